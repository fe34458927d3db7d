# Shared checks for the CLI shell tests (sourced, not run; ctest runs only
# tests/cli_*.sh).  Each check prints FAIL lines and counts; the test ends
# with the "N passed, M failed" line.  run() leaves stdout in ./out, stderr
# in ./err and the exit status in $rc.
# shellcheck shell=bash

# sandbox NAME: the usual start of a test.  $FUIN must name the program;
# a new directory $T becomes the working directory and HOME ($T/home),
# and is removed on exit together with the loop devices listed in $loops.
loops=()
sandbox() {
    if [ -z "${FUIN:-}" ] || [ ! -x "$FUIN" ]; then
        echo "FUIN must name the fuin program (got '${FUIN:-}')" >&2
        exit 1
    fi
    T=$(mktemp -d "${TMPDIR:-/tmp}/fuin-$1.XXXXXX") || exit 1
    trap 'for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done; rm -rf "$T"' EXIT
    cd "$T" || exit 1
    export HOME=$T/home
    mkdir -p "$HOME"
}
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() {
    failed=$((failed + 1))
    echo "FAIL: $*"
    if [ -s err ]; then sed 's/^/    stderr: /' err | head -5; fi
}
fail() { bad "$@"; } # fail DESCRIPTION: a check decided in the test itself
check() { # check DESCRIPTION COMMAND...
    local d=$1
    shift
    if "$@"; then ok; else bad "$d"; fi
}
run() { # run ARGS...: stdout ./out, stderr ./err, status $rc
    "$FUIN" "$@" </dev/null >out 2>err
    rc=$?
}
as() { # as PERSON ARGS...: run fuin as that person (HOME=$T/PERSON), as run()
    local who=$1
    shift
    HOME=$T/$who "$FUIN" "$@" </dev/null >out 2>err
    rc=$?
}
expect_rc() { # expect_rc N DESCRIPTION
    if [ "$rc" -eq "$1" ]; then ok; else bad "$2: exit $rc, expected $1"; fi
}
one_line_err() { # one_line_err DESCRIPTION REGEX
    local n
    n=$(wc -l <err)
    if [ "$n" -eq 1 ] && grep -Eq -- "$2" err; then ok; else
        bad "$1: stderr should be one line matching /$2/ (got $n lines)"
    fi
}
no_err() {
    if [ ! -s err ]; then ok; else bad "$1: unexpected stderr"; fi
}
mode_of() { stat -c %a "$1"; }
day() { date -u -d "$1" +%Y-%m-%d; }
