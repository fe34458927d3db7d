# shellcheck shell=bash
# Sourced by the bench scripts (run, sign, pack, label, speed): the checks
# every one of them starts with.

die() {
    echo "bench: $*" >&2
    exit 1
}

# bench_fuin: $FUIN must be a program that runs; it is made absolute.
bench_fuin() {
    [ -x "$FUIN" ] || die "no fuin program at '$FUIN' (build it, or pass its path)"
    FUIN=$(cd "$(dirname "$FUIN")" && pwd)/$(basename "$FUIN")
    "$FUIN" --version >/dev/null 2>&1 || die "'$FUIN' does not run"
}

# bench_need TOOL...: each must be on PATH.
bench_need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "$tool is not installed"
    done
}
