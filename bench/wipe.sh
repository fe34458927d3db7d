#!/bin/bash
# Device wipe speed of fuin against dd and GNU shred, all on the same 1 GiB
# file-backed loop device, in one hyperfine invocation.  Must run as root.
#
#   bench/wipe.sh [BUILD]      BUILD: a configured and built fuin build
#                              directory holding libfuin.a (default: $BUILD,
#                              else ../build relative to this script)
#
# The driver bench/wipe_bench.c (calls fuin_wipe_device) is compiled here
# against BUILD/libfuin.a; the `fuin wipe` command is not used, so no key,
# ledger or prompt is involved.
# Environment: BENCH_OUT (results directory, default
# ${TMPDIR:-/tmp}/fuin-bench-wipe-results), BENCH_RUNS (default 3),
# BENCH_DIR (where the 1 GiB backing file goes, default ${TMPDIR:-/tmp}).
# Needs losetup, hyperfine, shred, python3, cc, pkg-config.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
BUILD=${1:-${BUILD:-$SRC/build}}
RUNS=${BENCH_RUNS:-3}
OUT=${BENCH_OUT:-${TMPDIR:-/tmp}/fuin-bench-wipe-results}
DIR=${BENCH_DIR:-${TMPDIR:-/tmp}}
SIZE_MIB=1024

die() {
    echo "bench: $*" >&2
    exit 1
}
[ "$(id -u)" = 0 ] || die "must run as root (loop devices)"
for t in losetup hyperfine shred python3 cc pkg-config; do
    command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
done
[ -f "$BUILD/libfuin.a" ] || die "no $BUILD/libfuin.a (build the library, or pass the build directory)"

mkdir -p "$OUT" || die "cannot create $OUT"
WORK=$(mktemp -d "$DIR/fuin-bench-wipe.XXXXXX") || die "mktemp failed"
DEV=
cleanup() {
    [ -n "$DEV" ] && losetup -d "$DEV"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DRIVER=$WORK/wipe_bench
# the library's own dependencies, from the build's fuin.pc (Requires.private,
# Libs.private), as bench/ledger.sh does
REQ=$(sed -n 's/^Requires.private: //p' "$BUILD/fuin.pc")
PRIV=$(sed -n 's/^Libs.private: //p' "$BUILD/fuin.pc")
# shellcheck disable=SC2086 # word lists on purpose
DEPS="$(pkg-config --libs $REQ libxml-2.0) $PRIV" || die "pkg-config: $REQ"
# shellcheck disable=SC2086 # DEPS is a word list on purpose
cc -O2 -I "$SRC/include" -I "$BUILD/include" "$SRC/bench/wipe_bench.c" \
    "$BUILD/libfuin.a" $DEPS -lpthread -o "$DRIVER" || die "cannot compile bench/wipe_bench.c"

# A fully written backing file, so that no pass pays for block allocation.
dd if=/dev/zero of="$WORK/disk.img" bs=4M count=$((SIZE_MIB / 4)) \
    conv=fsync status=none || die "cannot create the backing file"
# Direct I/O on the loop device, so its writes reach the disk instead of
# stopping in the backing file's page cache (which would measure memcpy).
DEV=$(losetup --find --show --sector-size 4096 --direct-io=on "$WORK/disk.img") ||
    die "losetup failed"
NAME=${DEV#/dev/}
DIO=$(cat "/sys/block/$NAME/loop/dio" 2>/dev/null || echo "?")
echo "bench: $DEV on $WORK/disk.img ($SIZE_MIB MiB), loop direct I/O: $DIO"
"$DRIVER" zero none "$DEV" || die "the driver cannot wipe $DEV"

COUNT=$((SIZE_MIB / 4))
hyperfine --warmup 1 --runs "$RUNS" --style basic \
    --export-json "$OUT/wipe.json" --export-markdown "$OUT/wipe.md" \
    -n "dd zero write" "dd if=/dev/zero of=$DEV bs=4M count=$COUNT oflag=direct conv=fdatasync status=none" \
    -n "dd read" "dd if=$DEV of=/dev/null bs=4M count=$COUNT iflag=direct status=none" \
    -n "fuin zero, verify none" "$DRIVER zero none $DEV" \
    -n "fuin random, verify none" "$DRIVER random none $DEV" \
    -n "fuin zero, verify full" "$DRIVER zero full $DEV" \
    -n "fuin random, verify full" "$DRIVER random full $DEV" \
    -n "shred -n1" "shred -n1 $DEV" \
    -n "shred -n1 -z" "shred -n1 -z $DEV" ||
    die "hyperfine failed"

python3 - "$OUT/wipe.json" "$SIZE_MIB" >"$OUT/summary.md" <<'PY' || die "summary failed"
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
mib = int(sys.argv[2])
def mean(n): return res[n]["mean"]
dd = mean("dd zero write")
rd = mean("dd read")
targets = {"fuin zero, verify none": 0.90, "fuin random, verify none": 0.85}
print("| command | mean s (± sd) | MiB/s written | vs dd write | target |")
print("|---|---|---|---|---|")
for n, r in res.items():
    mb = mib / r["mean"]
    if n == "dd read":
        speed = f"{mb:.0f} (read)"
    elif n == "shred -n1 -z":
        speed = f"{2 * mib / r['mean']:.0f} (2 passes)"
    elif "verify full" in n:
        speed = f"{mb:.0f} (write+verify)"
    else:
        speed = f"{mb:.0f}"
    ratio = dd / r["mean"]
    t = targets.get(n)
    tgt = (f"≥ {t:.0%}: {'met' if ratio >= t else 'MISSED'}") if t else ""
    print(f"| {n} | {r['mean']:.3f} ± {r['stddev']:.3f} | {speed} | {ratio:.0%} | {tgt} |")
for p in ("zero", "random"):
    v = mean(f"fuin {p}, verify full") - mean(f"fuin {p}, verify none")
    print(f"\nverification after the {p} pass: {v:.3f} s extra = "
          f"{mib / v:.0f} MiB/s, {rd / v:.0%} of dd's O_DIRECT read speed "
          f"({mib / rd:.0f} MiB/s)" if v > 0 else f"\nverification ({p}): not measurable")
PY
echo
cat "$OUT/summary.md"
echo
echo "bench: results in $OUT"
