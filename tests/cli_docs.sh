#!/usr/bin/env bash
# The help texts, the man page and the option tables of the program must
# agree, because users read one and scripts rely on the other:
#  (a) every option in a cli/cmd_*.c getopt table (long names and the short
#      letters of the optstring) is documented in docs/commands/<cmd>.txt,
#      and every option documented there exists in the table;
#  (b) `fuin help CMD`, `fuin CMD --help` and `fuin CMD -h` print exactly
#      docs/commands/<cmd>.txt; the overview likewise; unknown commands fail;
#  (c) the man page built beside the program has a `.SS "fuin CMD"` section
#      whose text is the same help text, carries the program's version, and
#      groff reports no warnings on it.
# Environment (set by ctest): FUIN = path of the fuin program,
# FUIN_SOURCE_DIR = source tree.  Exit 77 (skip) only when groff is missing,
# and only after (a) and (b) have passed.
set -u
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${FUIN_SOURCE_DIR:-$(dirname "$here")}
docs=$src/docs/commands
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

if [ -z "${FUIN:-}" ] || [ ! -x "$FUIN" ]; then
    echo "FAIL: FUIN must name the fuin program (got '${FUIN:-}')"
    exit 1
fi
if [ ! -d "$docs" ] || [ ! -d "$src/cli" ]; then
    echo "FAIL: FUIN_SOURCE_DIR ($src) has no docs/commands or cli directory"
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fuin-cli-docs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# Does FILE mention option OPT ("--name" or "-x") as a whole word?
mentions() {
    grep -Eq -- "(^|[^A-Za-z0-9-])$2([^A-Za-z0-9-]|\$)" "$1"
}

# Long option names of the `struct option` arrays in a C file.
long_options() {
    awk '
        /struct[ \t]+option[^;]*\[[^]]*\][ \t]*=/ { inside = 1 }
        inside {
            line = $0
            while (match(line, /\{[ \t]*"[^"]+"[ \t]*,/)) {
                name = substr(line, RSTART, RLENGTH)
                sub(/^\{[ \t]*"/, "", name)
                sub(/"[ \t]*,$/, "", name)
                print name
                line = substr(line, RSTART + RLENGTH)
            }
        }
        inside && /}[ \t]*;/ { inside = 0 }
    ' "$1"
}

# Short option letters of the getopt_long optstrings in a C file.
short_options() {
    grep -o 'getopt_long([^"]*"[^"]*"' "$1" | sed 's/.*"\([^"]*\)"$/\1/' |
        tr -d ':+-' | fold -w1
}

# Options listed in the "Options:" block of a help text, one per line.
documented_options() {
    awk '
        /^Options:$/ { inside = 1; next }
        inside && /^$/ { inside = 0 }
        inside && /^  (-[A-Za-z0-9]|    --)/ {
            spec = $0
            sub(/^ +/, "", spec)
            sub(/  .*/, "", spec)       # the description starts after 2 spaces
            n = split(spec, parts, /[, ]+/)
            for (i = 1; i <= n; i++)
                if (parts[i] ~ /^--?[A-Za-z0-9]/) {
                    sub(/\[?=.*/, "", parts[i])   # --zstd[=LEVEL]: an optional argument
                    print parts[i]
                }
        }
    ' "$1"
}

# --- (a) option tables against help texts ----------------------------------
n_cmd_files=0
for c_file in "$src"/cli/cmd_*.c; do
    [ -e "$c_file" ] || continue
    n_cmd_files=$((n_cmd_files + 1))
    cmd=$(basename "$c_file" .c)
    cmd=${cmd#cmd_}
    doc=$docs/$cmd.txt
    if [ ! -f "$doc" ]; then
        fail "(a) cli/cmd_$cmd.c has no docs/commands/$cmd.txt"
        continue
    fi
    longs=$(long_options "$c_file")
    if [ -z "$longs" ]; then
        fail "(a) no long options found in cli/cmd_$cmd.c (table not parsed?)"
        continue
    fi
    shorts=$(short_options "$c_file")
    for name in $longs; do
        mentions "$doc" "--$name" ||
            fail "(a) $cmd: option --$name (cli/cmd_$cmd.c) missing from docs/commands/$cmd.txt"
    done
    for letter in $shorts; do
        mentions "$doc" "-$letter" ||
            fail "(a) $cmd: option -$letter (cli/cmd_$cmd.c) missing from docs/commands/$cmd.txt"
    done
    # The other direction: a documented option the program does not know.
    for opt in $(documented_options "$doc"); do
        case $opt in
        --*) printf '%s\n' "$longs" | grep -qx -- "${opt#--}" ;;
        -?) printf '%s\n' "$shorts" | grep -qx -- "${opt#-}" ;;
        *) false ;;
        esac || fail "(a) $cmd: docs/commands/$cmd.txt documents $opt, which cli/cmd_$cmd.c does not accept"
    done
done
[ "$n_cmd_files" -gt 0 ] || fail "(a) no cli/cmd_*.c files in $src/cli"

# --- (b) the program prints the help texts verbatim --------------------------
commands=()
for doc in "$docs"/*.txt; do
    name=$(basename "$doc" .txt)
    [ "$name" = overview ] || commands+=("$name")
done
[ ${#commands[@]} -gt 0 ] || fail "(b) no help texts in $docs"

# run NAME ARGS...: stdout to $tmp/NAME.out, stderr to $tmp/NAME.err, rc to $rc
run() {
    local name=$1
    shift
    "$FUIN" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
    rc=$?
}

# expect_text NAME EXPECTED-FILE DESCRIPTION: exit 0, stdout = file, no stderr
expect_text() {
    if [ "$rc" -ne 0 ]; then
        fail "(b) $3: exit status $rc, expected 0"
    fi
    if ! cmp -s "$tmp/$1.out" "$2"; then
        fail "(b) $3: output differs from ${2#"$src"/}:"
        diff -u "$2" "$tmp/$1.out" | head -20
    fi
    if [ -s "$tmp/$1.err" ]; then
        fail "(b) $3: unexpected stderr: $(head -3 "$tmp/$1.err")"
    fi
}

for cmd in "${commands[@]}"; do
    doc=$docs/$cmd.txt
    run "help-$cmd" help "$cmd"
    expect_text "help-$cmd" "$doc" "fuin help $cmd"
    run "$cmd-help" "$cmd" --help
    expect_text "$cmd-help" "$doc" "fuin $cmd --help"
    run "$cmd-h" "$cmd" -h
    expect_text "$cmd-h" "$doc" "fuin $cmd -h"
done

for args in "" "help" "--help" "-h"; do
    # shellcheck disable=SC2086 # word splitting of $args is intended
    run overview $args
    expect_text overview "$docs/overview.txt" "fuin $args (overview)"
done

# An unknown name must be an error, not the overview; "overview" is the name
# of a file, not a command.
for bad in no-such-command overview; do
    run "bad-$bad" help "$bad"
    [ "$rc" -eq 2 ] || fail "(b) fuin help $bad: exit status $rc, expected 2"
    [ ! -s "$tmp/bad-$bad.out" ] ||
        fail "(b) fuin help $bad: printed on stdout: $(head -1 "$tmp/bad-$bad.out")"
    grep -q "$bad" "$tmp/bad-$bad.err" ||
        fail "(b) fuin help $bad: stderr does not name the command: $(cat "$tmp/bad-$bad.err")"
done

run version --version
version_line=$(cat "$tmp/version.out")
case $version_line in
"fuin "[0-9]*.[0-9]*.[0-9]*) ;;
*) fail "(b) fuin --version printed '$version_line', expected 'fuin X.Y.Z'" ;;
esac

# --- (c) the man page ---------------------------------------------------------
man=$(dirname "$FUIN")/fuin.1
if [ ! -f "$man" ]; then
    fail "(c) no man page at $man"
else
    for cmd in "${commands[@]}"; do
        grep -qxF ".SS \"fuin $cmd\"" "$man" ||
            fail "(c) $man has no .SS \"fuin $cmd\" section"
    done
    grep -q "^\.TH FUIN 1 .*\"$version_line\"" "$man" ||
        fail "(c) .TH line of $man does not carry \"$version_line\": $(grep '^\.TH' "$man")"

    # The no-fill text of each section, unescaped, must be the help text.
    if command -v perl >/dev/null 2>&1; then
        for cmd in "${commands[@]}"; do
            perl -CO -ne '
                BEGIN { $want = shift @ARGV; $in = 0 }
                if ($in == 0 && $_ eq ".SS \"fuin $want\"\n") { $in = 1; next }
                if ($in == 1) { $in = $_ eq ".nf\n" ? 2 : -1; next }
                if ($in == 2) {
                    if ($_ eq ".fi\n") { $in = -1; next }
                    s/^\\&//;
                    s/\\\[u([0-9A-F]{4,6})\]/chr(hex($1))/ge;
                    s/\\-/-/g; s/\\\(aq/\x27/g; s/\\\(ga/`/g; s/\\e/\\/g;
                    print;
                }
            ' "$cmd" "$man" >"$tmp/man-$cmd.txt"
            if ! cmp -s "$tmp/man-$cmd.txt" "$docs/$cmd.txt"; then
                fail "(c) section \"fuin $cmd\" of $man differs from docs/commands/$cmd.txt:"
                diff -u "$docs/$cmd.txt" "$tmp/man-$cmd.txt" | head -20
            fi
        done
    else
        echo "NOTE: perl missing, man section text not compared with the help texts"
    fi
fi

if [ "$failures" -gt 0 ]; then
    echo "cli_docs: $failures failure(s)"
    exit 1
fi
if ! command -v groff >/dev/null 2>&1; then
    echo "SKIP: groff not installed; (a), (b) and the man page sections passed," \
        "but the man page was not checked for groff warnings"
    exit 77
fi
if [ -f "$man" ]; then
    groff -ww -man -Tutf8 -z "$man" >"$tmp/groff.out" 2>"$tmp/groff.err"
    rc=$?
    if [ "$rc" -ne 0 ] || [ -s "$tmp/groff.err" ]; then
        fail "(c) groff -ww -man -Tutf8 -z $man: exit $rc, warnings:"
        head -20 "$tmp/groff.err"
    fi
fi
if [ "$failures" -gt 0 ]; then
    echo "cli_docs: $failures failure(s)"
    exit 1
fi
echo "cli_docs: ok (${#commands[@]} commands, $n_cmd_files option tables)"
exit 0
