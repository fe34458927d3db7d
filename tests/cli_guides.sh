#!/bin/bash
# The guides in docs/guide/ run as written: every ```sh block of every
# guide is executed, in order, in one scratch directory per guide, and the
# first command that fails ends that guide with its file and line.  The
# Japanese and English versions of a guide must hold the same commands in
# the same order.  A deliberately broken guide checks that a failure is
# caught and located.
#
# How a guide is run (docs/guide/README.md describes it for writers):
#   - Lines inside ```sh fences are run verbatim; other fences (```text,
#     ```ini) are not run.  The script is built so that each command keeps
#     its line number in the guide, so a failure names guide:line.
#   - Hidden lines the reader does not type are HTML comments:
#       <!-- test: COMMAND -->       one line of shell
#       <!-- test                    several lines of shell, up to -->
#     and two directives:
#       <!-- test: exit N -->        the next ```sh block must end with
#                                    status N (it shows a refusal)
#       <!-- test: requires loop --> the blocks from here on need root and
#                                    a loop device (a visible SKIP when
#                                    absent); "requires none" ends it
#   - Hidden lines may use: person NAME (later commands act as NAME: their
#     own HOME, workstation and passphrase), as NAME CMD... (one command as
#     NAME), out_has / err_has REGEX (the last fuin command's stdout or
#     stderr matches), loop_setup IMAGE (a loop device for /dev/sdb).
#   - `fuin` on PATH is a wrapper around $FUIN that stands in for each
#     person's machine: HOME is people/NAME/home; where a guide's command
#     omits them it adds --store people/NAME/etc-fuin (that PC's
#     /etc/fuin) and --passphrase-file people/NAME/pw (what the person
#     types at the passphrase prompt); it replaces /dev/sdb with the loop
#     device and answers wipe's confirmation prompt with the device's name
#     on a pseudo-terminal (tests/pty_drive.py; --yes without python3).
#     Nothing else of the command is changed.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/harness.sh
. "$HERE/harness.sh"
SRC=${FUIN_SOURCE_DIR:-$(cd "$HERE/.." && pwd)}
sandbox guides
export LANG=C LC_ALL=C TZ=UTC
GUIDES="staff ciso"
# the guides show the outside recipient's stock age and stock minisign
for tool in age minisign; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (Debian package $tool; scripts/deps.sh installs it): the guides use it"
done

# ---- the fuin wrapper: one person's machine
mkdir -p "$T/bin"
cat >"$T/bin/fuin" <<'EOF'
#!/bin/bash
# stands in for the machine of the person whose HOME is people/NAME/home
P=$(dirname "$HOME")
args=("$@")
has() { local a; for a in "${args[@]}"; do case $a in "$1" | "$1"=*) return 0 ;; esac; done; return 1; }
pw=0 st=0 yes=0
case "${1:-} ${2:-}" in
"key new"* | "key passwd"* | "ciso init"* | "ciso certify"* | "ciso revoke"*) pw=1 st=1 ;;
"ciso sign-policy"*) pw=1 ;;
"key "* | "store "* | "policy "* | "encrypt "* | "label "*) st=1 ;;
"decrypt "* | "unpack "*) has -i || pw=1; st=1 ;;
"sign "* | "pack "* | "request "* | "ledger checkpoint"* | "ledger record-destruction"*) pw=1 st=1 ;;
"approve "*) has --check || pw=1; st=1 ;;
"wipe "*) has --dry-run || { pw=1 yes=1; }; st=1 ;;
"verify "*) has --trust || has -p || { st=1; [ -e "$HOME/.config/fuin/identity.age" ] && pw=1; } ;;
esac
[ "${1:-}" = store ] || [ -e "$P/etc-fuin/root.pub" ] || st=0
[ -e "$P/pw" ] || pw=0
extra=()
[ "$st" = 1 ] && ! has --store && extra+=(--store "$P/etc-fuin")
if [ "$pw" = 1 ] && ! has --passphrase-file; then
    extra+=(--passphrase-file "$P/pw")
    if [ "${1:-} ${2:-}" = "key passwd" ]; then
        printf '%s renewed %s\n' "$(head -1 "$P/pw")" "$RANDOM" >"$P/pw.new"
        extra+=(--new-passphrase-file "$P/pw.new")
    fi
fi
has --yes && yes=0
if [ -n "${GUIDE_DEV:-}" ]; then
    for i in "${!args[@]}"; do [ "${args[$i]}" = /dev/sdb ] && args[$i]=$GUIDE_DEV; done
fi
# options go after the subcommand words (getopt_long permutes) but before "--"
tail=()
for i in "${!args[@]}"; do
    if [ "${args[$i]}" = -- ]; then tail=("${args[@]:$i}"); args=("${args[@]:0:$i}"); break; fi
done
if [ "$yes" = 1 ] && [ -n "${GUIDE_DEV:-}" ] && command -v python3 >/dev/null; then
    # the person types the device's name at the confirmation prompt
    base=${GUIDE_DEV##*/}
    python3 "$FUIN_GUIDE_PTY" --timeout 300 --out "$GUIDE_LAST.out" --err "$GUIDE_LAST.err" \
        --answer "Type the target's name \\($base\\) to confirm" "$base" -- \
        "$FUIN_GUIDE_REAL" "${args[@]}" "${extra[@]}" "${tail[@]}"
    rc=$?
else
    [ "$yes" = 1 ] && extra+=(--yes)
    "$FUIN_GUIDE_REAL" "${args[@]}" "${extra[@]}" "${tail[@]}" >"$GUIDE_LAST.out" 2>"$GUIDE_LAST.err"
    rc=$?
fi
cat "$GUIDE_LAST.err" >&2
cat "$GUIDE_LAST.out"
if [ "$rc" = 0 ] && [ -e "$P/pw.new" ]; then mv "$P/pw.new" "$P/pw"; fi
rm -f "$P/pw.new"
exit "$rc"
EOF
chmod 755 "$T/bin/fuin"

# ---- the prelude every guide runs after
cat >"$T/prelude.sh" <<'EOF'
person() {
    local d=$G/people/$1
    mkdir -p "$d/home"
    [ -e "$d/pw" ] || printf '%s passphrase, long and hard to guess 4711\n' "$1" >"$d/pw"
    export HOME=$d/home
}
as() { (person "$1" && shift && "$@"); }
out_has() { grep -Eq -- "$1" "$GUIDE_LAST.out" || { echo "expected on stdout: /$1/" >&2; sed 's/^/    stdout: /' "$GUIDE_LAST.out" | head -5 >&2; return 1; }; }
err_has() { grep -Eq -- "$1" "$GUIDE_LAST.err" || { echo "expected on stderr: /$1/" >&2; sed 's/^/    stderr: /' "$GUIDE_LAST.err" | head -5 >&2; return 1; }; }
loop_setup() { # IMAGE: an 8 MiB medium with a canary, as /dev/sdb
    truncate -s 8M "$1"
    printf 'FUIN-GUIDE-CANARY' | dd of="$1" bs=1 seek=65536 conv=notrunc status=none
    GUIDE_DEV=$(losetup -f --show "$1") || return 1
    echo "$GUIDE_DEV" >>"$G/../loops"
    export GUIDE_DEV
}
__expect_rc() { # WANT GOT LINE
    [ "$1" = "$2" ] && return 0
    echo "FAIL: $GUIDE_FILE:$3: the block should end with exit $1, got $2" >&2
    exit 1
}
person nobody
EOF

# ---- markdown -> shell, one line for one line
# have_loop: 1 when the "requires loop" blocks can run
extract() { # GUIDE.md HAVE_LOOP
    awk -v have_loop="$2" '
    function emit(s) { print (skip ? "" : s) }
    BEGIN { mode = ""; skip = 0; want = "" }
    mode == "sh" && /^```[ \t]*$/ {
        mode = ""
        if (want != "") { emit("); __rc=$?; __expecting=; set -e; __expect_rc " want " $__rc " start); want = "" }
        else print ""
        next }
    mode == "sh" { emit($0); next }
    mode == "other" { if (/^```[ \t]*$/) mode = ""; print ""; next }
    mode == "hidden" {
        if (/-->[ \t]*$/) { mode = ""; sub(/-->[ \t]*$/, ""); }
        emit($0); next }
    /^```sh[ \t]*$/ {
        mode = "sh"; start = NR
        if (want != "") emit("__expecting=1; set +e; ( trap - ERR; set -e")
        else print ""
        next }
    /^```/ { mode = "other"; print ""; next }
    /^<!-- test: exit [0-9]+ -->[ \t]*$/ { want = $4; print ""; next }
    /^<!-- test: requires loop -->/ { skip = (have_loop != 1); print ""; next }
    /^<!-- test: requires none -->/ { skip = 0; print ""; next }
    /^<!-- test: .*-->[ \t]*$/ { s = $0; sub(/^<!-- test: /, "", s); sub(/ *-->[ \t]*$/, "", s); emit(s); next }
    /^<!-- test[ \t]*$/ { mode = "hidden"; print ""; next }
    { print "" }' "$1"
}
# the commands a reader types, for comparing the two languages: the
# lines of ```sh blocks without their comments
commands() {
    awk '/^```sh[ \t]*$/ { f = 1; next } f && /^```/ { f = 0; next }
         f { sub(/[ \t]+#.*$/, ""); sub(/^#.*$/, ""); if ($0 != "") print }' "$1"
}
# the lines of a "requires loop" region, for the SKIP message
loop_lines() {
    awk '/^<!-- test: requires loop -->/ { a = NR } /^<!-- test: requires none -->/ && a { print a "-" NR; a = 0 }
         END { if (a) print a "-" NR }' "$1" | paste -sd, -
}

run_guide() { # FILE (relative to SRC or absolute) HAVE_LOOP: runs it, status of the run
    local md=$1 name g
    case $md in /*) ;; *) md=$SRC/$md ;; esac
    name=${md#"$SRC"/}
    g=$T/run/$(basename "$md" .md)
    rm -rf "$g" && mkdir -p "$g/work" "$g/people"
    extract "$md" "$2" >"$g/guide.sh"
    : >"$g/last.out" && : >"$g/last.err"
    # a new bash, not a subshell: set -e must hold even when run_guide is
    # called where the caller's -e would be ignored (if, ||)
    cat >"$g/run.sh" <<EOF2
cd "$g/work" || exit 1
export G="$g" GUIDE_FILE="$name" GUIDE_LAST="$g/last" FUIN_GUIDE_REAL="$FUIN" FUIN_GUIDE_PTY="$HERE/pty_drive.py" PATH="$T/bin:\$PATH"
unset GUIDE_DEV
GUIDE_MD="$md"
. "$T/prelude.sh"
trap '[ -n "\${__expecting:-}" ] || echo "FAIL: \$GUIDE_FILE:\$LINENO: \$(sed -n "\${LINENO}p" "\$GUIDE_MD")" >&2' ERR
set -eE -o pipefail
. "$g/guide.sh"
EOF2
    bash "$g/run.sh" >"$g/log" 2>&1
}

# loop devices: root, losetup and a free device
have_loop=0
if [ "$(id -u)" = 0 ] && command -v losetup >/dev/null && truncate -s 1M probe.img &&
    probe=$(losetup -f --show probe.img 2>/dev/null); then
    losetup -d "$probe"
    have_loop=1
fi
rm -f probe.img
trap 'while read -r l; do losetup -d "$l" 2>/dev/null; done <"$T/run/loops" 2>/dev/null; [ -n "${GUIDE_KEEP:-}" ] || rm -rf "$T"' EXIT
mkdir -p "$T/run" && : >"$T/run/loops"

# ---- 1. the runner catches a failure and names the guide and the line
cat >broken.md <<'EOF'
# a broken guide
```sh
fuin keygen -o me.key
```
<!-- test: exit 4 -->
```sh
fuin decrypt -i me.key -o x.txt nothing.age   # exit 4: no such file
```
```text
not run: fuin does-not-exist
```
```sh
fuin keygen -y me.key
fuin inspect missing.age
fuin keygen -y me.key
```
EOF
run_guide "$T/broken.md" 0
rc=$?
check "a broken guide fails" test "$rc" -ne 0
check "the failure names the guide and line 14" grep -q "^FAIL: $T/broken.md:14: fuin inspect missing.age\$" "$T/run/broken/log"
sed 's/exit 4 -->/exit 3 -->/' "$T/broken.md" >"$T/broken3.md"
run_guide "$T/broken3.md" 0
check "an exit-N block that ended otherwise fails" test "$?" -ne 0
check "a wrong exit status names its block" grep -q "^FAIL: $T/broken3.md:6: the block should end with exit 3, got 4\$" "$T/run/broken3/log"

# ---- 2. every guide, in both languages
for g in $GUIDES; do
    for lang in ja en; do
        f=docs/guide/$g.$lang.md
        if [ ! -f "$SRC/$f" ]; then fail "$f is missing"; continue; fi
        if [ "$have_loop" != 1 ] && [ -n "$(loop_lines "$SRC/$f")" ]; then
            echo "SKIP: $f lines $(loop_lines "$SRC/$f"): wiping a medium needs root and a loop device; the rest of the guide runs"
        fi
        n=$(grep -c '^```sh' "$SRC/$f")
        if run_guide "$f" "$have_loop"; then
            ok
            echo "ok: $f ($n command blocks)"
        else
            bad "$f does not run as written"
            sed 's/^/    log: /' "$T/run/$g.$lang/log" | tail -15
        fi
    done
    # ---- 3. the two languages cannot drift apart
    if [ -f "$SRC/docs/guide/$g.ja.md" ] && [ -f "$SRC/docs/guide/$g.en.md" ]; then
        commands "$SRC/docs/guide/$g.ja.md" >"$g.ja.cmds"
        commands "$SRC/docs/guide/$g.en.md" >"$g.en.cmds"
        check "$g: some commands" test -s "$g.ja.cmds"
        if cmp -s "$g.ja.cmds" "$g.en.cmds"; then ok; else
            bad "docs/guide/$g.ja.md and $g.en.md differ in their commands"
            diff "$g.ja.cmds" "$g.en.cmds" | head -10 | sed 's/^/    /'
        fi
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
