#!/bin/bash
# One meaning per option across all commands.
#  (a) Every command whose source opens the trust store takes --store DIR,
#      and every command that uses a key directory takes --dir DIR.
#  (b) In every command's help, the shared options (--store, --dir,
#      --passphrase-file, --json, --force, -o) are described with the words
#      of the overview's "Options shared by the commands" list: the same
#      beginning everywhere (a command may add what its files are).
#  (c) The behaviour is the same: --store naming a directory that does not
#      exist fails the same way (exit 4, the same one line) in every
#      command that takes it.
#  (d) The README's examples name only commands and options that exist,
#      without [optional] brackets.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
src=${FUIN_SOURCE_DIR:-$(dirname "$HERE")}
. "$HERE/harness.sh"
sandbox cli-options

# The commands, from the overview.
mapfile -t cmds < <("$FUIN" help | awk '/^Commands:/{on=1; next} on && /^  [a-z]/{print $1} on && /^$/{exit}')
check "the overview lists the commands" test "${#cmds[@]}" -ge 15

# Long options of a command's getopt tables.
long_options() {
    grep -o '{"[a-z-]*", *[a-z_]*_argument' "$src/cli/cmd_$1.c" | sed 's/{"\([a-z-]*\)".*/\1/' | sort -u
}

# ---- (a) from the source
for c in "${cmds[@]}"; do
    f=$src/cli/cmd_$c.c
    [ -f "$f" ] || continue
    opts=$(long_options "$c")
    if grep -q 'fuin_cli_open_store\|fuin_cli_disposal_begin' "$f"; then
        check "(a) $c opens the trust store: takes --store" grep -qx store <<<"$opts"
    fi
    if grep -q 'fuin_cli_load_operator\|fuin_cli_default_dir\|ciso_dir' "$f"; then
        check "(a) $c uses a key directory: takes --dir" grep -qx dir <<<"$opts"
    fi
done

# ---- (b) the words
# canonical OPTION-HEAD => the first words every description starts with
declare -A canon=(
    ["--store DIR"]="the trust store (default /etc/fuin, used when /etc/fuin/root.pub exists)"
    ["--dir DIR"]="your key directory (default ~/.config/fuin"
    ["--passphrase-file FILE"]="read the passphrase from the first line of FILE instead of the terminal"
    ["--json"]="print JSON instead of text"
    ["--force"]="replace output files that exist"
    ["-o,"]="write"
)
# The overview states each of them.
"$FUIN" help >overview.txt
for k in "${!canon[@]}"; do
    [ "$k" = "-o," ] && continue
    check "(b) the overview lists $k" grep -q -- "^      $k " overview.txt
done
# description of option HEAD in help text FILE, continuation lines joined
describe() { # describe FILE HEAD-PREFIX
    awk -v head="$2" '
        /^Options:/ { on = 1; next }
        on && /^$/ { exit }
        on {
            opt = substr($0, 1, 30); rest = substr($0, 31)
            gsub(/^ +| +$/, "", opt)
            if (opt != "") {
                if (found) exit
                if (opt == head || index(opt, head " ") == 1) { found = 1; d = rest }
            } else if (found) {
                sub(/^ +/, "", rest); d = d " " rest
            }
        }
        END { if (found) print d }
    ' "$1"
}
for c in "${cmds[@]}" ; do
    [ "$c" = help ] && continue
    "$FUIN" help "$c" >"help.$c" 2>/dev/null || { fail "(b) fuin help $c"; continue; }
    for k in "${!canon[@]}"; do
        d=$(describe "help.$c" "$k")
        [ -n "$d" ] || continue
        case "$d" in
            "${canon[$k]}"*) ok ;;
            *) fail "(b) $c: $k is described as \"$d\", not starting with \"${canon[$k]}\"" ;;
        esac
    done
done

# ---- (c) the same behaviour
want_store() { # want_store DESCRIPTION CMD...: --store nosuch fails alike
    local d=$1
    shift
    "$FUIN" "$@" </dev/null >out 2>err
    rc=$?
    expect_rc 4 "(c) $d --store nosuch"
    one_line_err "(c) $d --store nosuch" \
        "^fuin: [a-z]+: trust store nosuch does not exist: set it up with .fuin store init ROOT.pub --store nosuch.\$"
}
echo x >f
want_store encrypt encrypt -r age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqgh6xdd --store nosuch -o f.age f
want_store sign sign --store nosuch f
want_store verify verify --store nosuch f
want_store policy policy show --store nosuch
want_store key key new --name 'X Y' --dir kd --store nosuch
want_store ciso ciso init --org O --dir cd --store nosuch
want_store request request disposal --asset A --class C1 -o r --store nosuch
want_store approve approve r --store nosuch
want_store wipe wipe --dry-run --class C1 --store nosuch f
want_store ledger ledger record-destruction --asset A --how h --class C1 --store nosuch
want_store store store show --store nosuch

# ---- (d) the README's examples use only commands and options that exist
# (the staff flow test, cli_staff_flow.sh, runs them for real)
if command -v python3 >/dev/null; then
    python3 - "$src" "${cmds[@]}" >readme.out 2>&1 <<'PY'
import re, shlex, sys
src, cmds = sys.argv[1], set(sys.argv[2:])
def options(cmd):
    if cmd == "help":
        return set(), set()
    text = open(f"{src}/cli/cmd_{cmd}.c").read()
    longs = set(re.findall(r'\{"([a-z-]+)", *[a-z_]+_argument', text))
    shorts = set()
    for m in re.findall(r'getopt_long\([^,]+, *[^,]+, *"([^"]*)"', text):
        shorts |= set(c for c in m if c.isalnum())
    return longs, shorts
bad = 0
for n, line in enumerate(open(f"{src}/README.md"), 1):
    if not line.startswith("    fuin "):
        continue
    code = line.split("  #")[0].strip()
    for part in re.split(r" && | \| ", code):
        try:
            words = shlex.split(part.split(" > ")[0])
        except ValueError as e:
            print(f"README.md:{n}: cannot split: {e}"); bad += 1; continue
        if not words or words[0] != "fuin":
            continue
        cmd = words[1] if len(words) > 1 else ""
        if cmd not in cmds:
            print(f"README.md:{n}: unknown command {cmd!r}"); bad += 1; continue
        longs, shorts = options(cmd)
        for w in words[2:]:
            if w.startswith("--"):
                if w[2:].split("=")[0] not in longs:
                    print(f"README.md:{n}: fuin {cmd} has no option {w}"); bad += 1
            elif re.fullmatch(r"-[A-Za-z]+", w):
                for c in w[1:]:
                    if c not in shorts:
                        print(f"README.md:{n}: fuin {cmd} has no option -{c}"); bad += 1
            elif "[" in w or "]" in w:
                print(f"README.md:{n}: {w!r} is not runnable as written"); bad += 1
print(f"checked README examples, {bad} problem(s)")
sys.exit(1 if bad else 0)
PY
    check "(d) README examples: only existing commands and options" test "$?" -eq 0
    grep -v '^checked' readme.out | sed 's/^/    /'
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
