#!/bin/bash
# fuin label scan against getfattr -R (Debian package attr) on a tree of
# 100,000 small files in the page cache (/dev/shm), a tenth of them
# labelled, in one run; reports files per second and the ratio.  The
# target (issue 12) is at least 20,000 files/s on 2 cores.  Builds nothing.
#
#   bench/label.sh [FUIN]      FUIN: the fuin program (default: $FUIN, else
#                              ../build/fuin relative to this script)
#
# Environment: BENCH_OUT (results directory, default
# ${TMPDIR:-/tmp}/fuin-bench-label-results), BENCH_RUNS (default 7),
# BENCH_DIR (where the tree goes, default /dev/shm), BENCH_NSMALL (files,
# default 100000, in directories of 1,000).  Needs hyperfine, getfattr,
# setfattr, python3.  BENCH_GROUP_NICE=N as in bench/pack.sh.  getfattr
# exits 1 when some file lacks the attribute (most do): "; true" keeps
# hyperfine going.
set -u

if [ -n "${BENCH_GROUP_NICE:-}" ] && [ -z "${FUIN_BENCH_REGROUPED:-}" ]; then
    export FUIN_BENCH_REGROUPED=1
    exec setsid --wait bash -c 'echo "$0" >/proc/self/autogroup && exec "$@"' \
        "$BENCH_GROUP_NICE" "$0" "$@"
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FUIN=${1:-${FUIN:-$HERE/../build/fuin}}
RUNS=${BENCH_RUNS:-7}
OUT=${BENCH_OUT:-${TMPDIR:-/tmp}/fuin-bench-label-results}
BASE=${BENCH_DIR:-/dev/shm}
N=${BENCH_NSMALL:-100000}

# shellcheck source=bench/common.sh
. "$HERE/common.sh"
bench_fuin
bench_need hyperfine getfattr setfattr python3
mkdir -p "$OUT"
W=$(mktemp -d "$BASE/fuin-bench-label.XXXXXX") || die "cannot create a directory in $BASE"
trap 'rm -rf "$W"' EXIT
cd "$W" || die "cannot enter $W"

echo "machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
echo "fuin $("$FUIN" --version | head -n 1), $(getfattr --version | head -n 1), $(hyperfine --version)"
echo "tree: $N files of 100 bytes in $BASE, one label in ten"

# the tree: directories of 1,000 files, every tenth file labelled (xattr)
python3 - "$N" <<'EOF' || die "cannot make the tree"
import os, sys
n = int(sys.argv[1])
data = b"x" * 100
for i in range(n):
    d = "tree/d%03d" % (i // 1000)
    if i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    p = "%s/f%06d.txt" % (d, i)
    with open(p, "wb") as f:
        f.write(data)
    if i % 10 == 0:
        os.setxattr(p, "user.fuin.label", "機密性2 完全性1 可用性1".encode())
        os.setxattr(p, "user.fuin.class", b"C2-I1-A1")
EOF

# both must see the same labels, or the comparison means nothing
"$FUIN" label scan --json tree >scan.jsonl 2>scan.err || die "fuin label scan failed: $(head -c 300 scan.err)"
got=$(grep -c '"status":"labelled","label":{"class":"C2-I1-A1"' scan.jsonl)
[ "$got" -eq $((N / 10)) ] || die "fuin label scan found $got labelled files, not $((N / 10))"
want=$(getfattr -R -n user.fuin.label tree 2>/dev/null | grep -c '^user.fuin.label=')
[ "$want" -eq $((N / 10)) ] || die "getfattr -R found $want labels, not $((N / 10))"

hyperfine --warmup 1 --runs "$RUNS" --style basic \
    --export-json "$OUT/label.json" --export-markdown "$OUT/label.md" \
    -n "fuin label scan" "$FUIN label scan tree >/dev/null 2>&1" \
    -n "fuin label scan --no-doc" "$FUIN label scan --no-doc tree >/dev/null 2>&1" \
    -n "getfattr -R -n user.fuin.label" "getfattr -R -n user.fuin.label tree >/dev/null 2>&1; true" ||
    die "hyperfine failed"

python3 - "$OUT/label.json" "$N" <<'EOF'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
n = int(sys.argv[2])
peer = r["getfattr -R -n user.fuin.label"]["median"]
print()
for name in ("fuin label scan", "fuin label scan --no-doc", "getfattr -R -n user.fuin.label"):
    m = r[name]["median"]
    print("%-32s median %6.3f s  %9.0f files/s  %5.2fx getfattr's speed" % (name, m, n / m, peer / m))
m = r["fuin label scan"]["median"]
print("target: >= 20000 files/s: %s" % ("met" if n / m >= 20000 else "NOT met"))
EOF
