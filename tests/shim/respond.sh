# Shared by the fake tools in this directory (nvme, hdparm, blkdiscard),
# which tests/test_sanitize.c copies into a temporary directory and hands
# to libfuin as fuin_sanitize_options.tool_dir.  No real device is touched.
#
# The caller sets $key (what was asked: "nvme-sanitize", "hdparm-identify"
# ...).  This script
#   - appends one line to calls.log: the tool name, then every argument in
#     brackets ("hdparm [-I] [/dev/sdz]");
#   - records the environment and whether standard input is empty in
#     env.last;
#   - answers from resp/: for the Nth call with this key it prints
#     resp/KEY.N.out (else resp/KEY.out) on stdout, KEY[.N].err on stderr
#     and exits with the number in KEY[.N].rc (default 0).
d=$(dirname "$0")
tool=$(basename "$0")
{
    printf '%s' "$tool"
    for a in "$@"; do
        printf ' [%s]' "$a"
    done
    printf '\n'
} >>"$d/calls.log"
{
    env
    if IFS= read -r _line; then echo "stdin:data"; else echo "stdin:eof"; fi
} >"$d/env.last"

n=1
if [ -f "$d/resp/$key.count" ]; then
    n=$(( $(cat "$d/resp/$key.count") + 1 ))
fi
echo "$n" >"$d/resp/$key.count"

base="$d/resp/$key"
if [ -f "$base.$n.out" ] || [ -f "$base.$n.err" ] || [ -f "$base.$n.rc" ]; then
    base="$base.$n"
fi
[ -f "$base.out" ] && cat "$base.out"
[ -f "$base.err" ] && cat "$base.err" >&2
rc=0
[ -f "$base.rc" ] && rc=$(cat "$base.rc")
exit "$rc"
