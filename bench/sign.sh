#!/bin/bash
# Signing and verification speed of fuin against stock minisign, on a 1 GiB
# file held in the page cache and on 1,000 small files, and fuin's peak
# memory.  Both programs sign with the very same secret key file (made by
# "minisign -G -W"; fuin reads stock minisign keys).  Builds nothing.
#
#   bench/sign.sh [FUIN]       FUIN: the fuin program (default: $FUIN, else
#                              ../build/fuin relative to this script)
#
# Environment: BENCH_OUT (results directory, default
# ${TMPDIR:-/tmp}/fuin-bench-sign-results), BENCH_RUNS (default 5).
# Needs minisign, hyperfine, python3; /usr/bin/time (Debian package "time")
# for the memory figures.  Needs about 1.1 GiB free on the disk of
# ${TMPDIR:-/tmp} and as much free memory for the page cache.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FUIN=${1:-${FUIN:-$HERE/../build/fuin}}
RUNS=${BENCH_RUNS:-5}
OUT=${BENCH_OUT:-${TMPDIR:-/tmp}/fuin-bench-sign-results}
SIZE_MIB=1024
NSMALL=1000

# shellcheck source=bench/common.sh
. "$HERE/common.sh"
bench_fuin
bench_need minisign hyperfine python3
TIME=/usr/bin/time
if [ ! -x "$TIME" ] || ! "$TIME" -v true >/dev/null 2>&1; then
    echo "bench: /usr/bin/time (GNU time) is not installed (apt-get install time);" \
        "peak memory will not be measured" >&2
    TIME=
fi

mkdir -p "$OUT" || die "cannot create $OUT"
W=$(mktemp -d "${TMPDIR:-/tmp}/fuin-bench-sign.XXXXXX") || die "cannot create a temporary directory"
trap 'rm -rf "$W"' EXIT
# An empty home: fuin sign would otherwise pick up the signer name and
# certificate of whoever runs this from ~/.config/fuin, and fuin verify the
# policy of /etc/fuin only if that exists (it is reported below).
mkdir "$W/home" || die "cannot create $W/home"
export HOME=$W/home

echo "fuin:     $("$FUIN" --version) ($FUIN)"
echo "minisign: $(minisign -v 2>&1 | head -n 1)"
echo "CPU:      $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) online CPUs"
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; other work skews the figures)"
[ -e /etc/fuin/root.pub ] && echo "note:     /etc/fuin/root.pub exists; fuin applies its policy"
echo "work:     $W"
echo "output:   $OUT"
echo

cd "$W" || die "cannot enter $W"
# -W: no passphrase, so neither program prompts.
minisign -G -W -p k.pub -s k.key >/dev/null 2>&1 || die "minisign -G failed"

echo "creating a $SIZE_MIB MiB random file and $NSMALL files of 1 KiB..."
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >big || die "cannot write $W/big"
mkdir files || die "cannot create $W/files"
# .dat names, so that the globs below never match the .minisig files.
python3 - "$NSMALL" <<'EOF' || die "cannot write the small files"
import os, sys
for i in range(int(sys.argv[1])):
    with open("files/f%04d.dat" % i, "wb") as f:
        f.write(os.urandom(1024))
EOF
cp -r files sfiles || die "cannot copy the small files"

# Both programs must accept each other's signatures on these very files
# before their speed means anything.
"$FUIN" sign -s k.key big >/dev/null 2>&1 || die "fuin sign failed on big"
cp big.minisig big.sig
minisign -Vm big -p k.pub -x big.sig -q || die "minisign rejects fuin's signature of big"
"$FUIN" verify -p k.pub -x big.sig big >/dev/null || die "fuin rejects its own signature of big"
minisign -Sm big -s k.key -x m.sig >/dev/null || die "minisign -S failed on big"
"$FUIN" verify -p k.pub -x m.sig big >/dev/null || die "fuin rejects minisign's signature of big"
"$FUIN" sign -s k.key files/*.dat >/dev/null 2>&1 || die "fuin sign failed on the small files"
[ "$(ls files/*.dat.minisig | wc -l)" -eq "$NSMALL" ] || die "fuin did not write $NSMALL signatures"
for f in files/*.dat; do
    minisign -Vm "$f" -p k.pub -q || die "minisign rejects fuin's signature of $f"
done
[ "$("$FUIN" verify -p k.pub files/*.dat | grep -c ': OK: ')" -eq "$NSMALL" ] ||
    die "fuin does not verify all $NSMALL small files"
# ...and must reject a modified file, or the verify timings measure nothing.
cp files/f0000.dat bad.dat && cp files/f0000.dat.minisig bad.dat.minisig &&
    printf x >>bad.dat || die "cannot make a modified file"
minisign -Vm bad.dat -p k.pub -q 2>/dev/null && die "minisign accepts a modified file"
"$FUIN" verify -p k.pub bad.dat >/dev/null 2>&1 && die "fuin accepts a modified file"
cat big >/dev/null

# One hyperfine invocation per operation, so the two tools are measured
# back to back under the same conditions.
bench() { # bench NAME MINISIGN_CMD FUIN_CMD [hyperfine options...]
    local name=$1 m=$2 f=$3
    shift 3
    echo "== $name"
    hyperfine --warmup 1 --runs "$RUNS" --style basic "$@" \
        --export-json "$OUT/$name.json" --export-markdown "$OUT/$name.md" \
        -n "minisign $name" "$m" -n "fuin $name" "$f" || die "hyperfine failed for $name"
    echo
}
# minisign replaces -x files silently; fuin keeps an existing big.minisig
# unless --force is given (which it is, so no --prepare step is needed).
bench sign "minisign -Sm big -s k.key -x a.minisig >/dev/null" \
    "'$FUIN' sign --force -s k.key big >/dev/null"
bench verify "minisign -Vm big -p k.pub -x big.sig >/dev/null" \
    "'$FUIN' verify -p k.pub -x big.sig big >/dev/null"
# "|| exit 1" so that a failure inside the loop fails the run.
bench verify-1000 \
    "for f in files/*.dat; do minisign -Vm \$f -p k.pub -q || exit 1; done" \
    "'$FUIN' verify -p k.pub files/*.dat >/dev/null"
bench sign-1000 \
    "for f in sfiles/*.dat; do minisign -Sm \$f -s k.key >/dev/null || exit 1; done" \
    "'$FUIN' sign --force -s k.key sfiles/*.dat >/dev/null"
echo "== floor"
hyperfine --warmup 1 --runs "$RUNS" --style basic \
    --export-json "$OUT/floor.json" --export-markdown "$OUT/floor.md" \
    -n "cat big" "cat big >/dev/null" -n "b2sum big" "b2sum big >/dev/null" ||
    die "hyperfine failed for the floor"
echo

# Peak resident set size (GNU time reports kilobytes).
: >"$OUT/rss.txt"
rss() { # rss COMMAND...
    local kb
    "$TIME" -v "$@" >/dev/null 2>"$W/time.txt" || die "$* failed under /usr/bin/time"
    kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$W/time.txt")
    [ -n "$kb" ] || die "no peak RSS reported for $*"
    echo "$kb" >>"$OUT/rss.txt"
}
if [ -n "$TIME" ]; then
    rss "$FUIN" sign --force -s k.key big
    rss "$FUIN" verify -p k.pub -x big.sig big
    rss "$FUIN" verify -p k.pub files/*.dat
    rss minisign -Sm big -s k.key -x a.minisig
    rss minisign -Vm big -p k.pub -x big.sig
    # rss.txt holds one figure a line, in this order (see the summary).
fi

python3 - "$OUT" "$SIZE_MIB" "$NSMALL" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    >"$OUT/summary.md" <<'EOF'
import json, os, sys

out, size_mib, nsmall, loadavg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
# minisign mean / fuin mean must reach this (None: for information only).
targets = {"sign": 1 / 1.05, "verify": 1 / 1.05, "verify-1000": 5.0, "sign-1000": None}
wanted = {"sign": "≥ 0.952× (fuin ≤ 1.05× minisign's time)",
          "verify": "≥ 0.952× (fuin ≤ 1.05× minisign's time)",
          "verify-1000": "≥ 5×", "sign-1000": "(information)"}

def load(name):
    with open(os.path.join(out, name + ".json")) as f:
        return {r["command"]: r for r in json.load(f)["results"]}

def fmt(r, big):
    s = "%.3f ± %.3f s" % (r["mean"], r["stddev"])
    if big:
        return s + " (%.0f MiB/s)" % (size_mib / r["mean"])
    return s + " (%.2f ms/file)" % (r["mean"] * 1000 / nsmall)

print("| operation | minisign | fuin | minisign/fuin | target | met |")
print("|---|---|---|---|---|---|")
cpu = []
for op, want in targets.items():
    res = load(op)
    m, f = res["minisign " + op], res["fuin " + op]
    ratio = m["mean"] / f["mean"]
    met = "" if want is None else ("yes" if ratio >= want else "**no**")
    big = not op.endswith("-1000")
    print("| %s | %s | %s | %.2f× | %s | %s |"
          % (op, fmt(m, big), fmt(f, big), ratio, wanted[op], met))
    cpu.append((op, m, f))
floor = load("floor")
print()
print("Floor: `cat big > /dev/null` %s; `b2sum big > /dev/null` (BLAKE2b-512, the "
      "prehash both programs compute) %s"
      % (fmt(floor["cat big"], True), fmt(floor["b2sum big"], True)))
print()
print("CPU time per run (user + system, from hyperfine):")
print()
print("| operation | minisign | fuin |")
print("|---|---|---|")
for op, m, f in cpu:
    print("| %s | %.2f + %.2f s | %.2f + %.2f s |"
          % (op, m["user"], m["system"], f["user"], f["system"]))

rss_path = os.path.join(out, "rss.txt")
rows = [l.strip() for l in open(rss_path) if l.strip()] if os.path.exists(rss_path) else []
if rows:
    ops = ["fuin sign (1 GiB)", "fuin verify (1 GiB)", "fuin verify (1,000 files)",
           "minisign sign (1 GiB)", "minisign verify (1 GiB)"]
    print()
    print("| peak RSS | MiB | target | met |")
    print("|---|---|---|---|")
    for op, kb in zip(ops, rows):
        mib = int(kb) / 1024
        if op.startswith("fuin") and "1 GiB" in op:
            print("| %s | %.1f | ≤ 16 | %s |" % (op, mib, "yes" if mib <= 16 else "**no**"))
        else:
            print("| %s | %.1f | (reference) | |" % (op, mib))
else:
    print()
    print("Peak RSS not measured (/usr/bin/time missing).")
print()
print("Load average at the end of the run: %s (1, 5, 15 min)." % loadavg)
EOF
[ -s "$OUT/summary.md" ] || die "could not summarise the results"
echo "== summary ($OUT/summary.md)"
cat "$OUT/summary.md"
