#!/bin/bash
# Throughput of fuin against stock age on a 1 GiB file held in the page
# cache, and fuin's peak memory.  Builds nothing.
#
#   bench/run.sh [FUIN]        FUIN: the fuin program (default: $FUIN, else
#                              ../build/fuin relative to this script)
#
# Environment: BENCH_OUT (results directory, default
# ${TMPDIR:-/tmp}/fuin-bench-results), BENCH_RUNS (default 5).
# Needs age, age-keygen, hyperfine, python3; /usr/bin/time (Debian package
# "time") for the memory figures.  Needs about 3.5 GiB free on the disk of
# ${TMPDIR:-/tmp} and as much free memory for the page cache.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FUIN=${1:-${FUIN:-$HERE/../build/fuin}}
RUNS=${BENCH_RUNS:-5}
OUT=${BENCH_OUT:-${TMPDIR:-/tmp}/fuin-bench-results}
SIZE_MIB=1024

# shellcheck source=bench/common.sh
. "$HERE/common.sh"
bench_fuin
bench_need age age-keygen hyperfine python3
TIME=/usr/bin/time
if [ ! -x "$TIME" ] || ! "$TIME" -v true >/dev/null 2>&1; then
    echo "bench: /usr/bin/time (GNU time) is not installed (apt-get install time);" \
        "peak memory will not be measured" >&2
    TIME=
fi

mkdir -p "$OUT" || die "cannot create $OUT"
W=$(mktemp -d "${TMPDIR:-/tmp}/fuin-bench.XXXXXX") || die "cannot create a temporary directory"
trap 'rm -rf "$W"' EXIT

echo "fuin:   $("$FUIN" --version) ($FUIN)"
echo "age:    $(age --version)"
echo "CPU:    $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) online CPUs"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; other work skews the figures)"
echo "work:   $W"
echo "output: $OUT"
echo

age-keygen -o "$W/key.txt" 2>/dev/null || die "age-keygen failed"
R=$(age-keygen -y "$W/key.txt")

echo "creating a $SIZE_MIB MiB random file..."
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$W/big" || die "cannot write $W/big"
# Inputs for the decrypt runs, made by age so both tools read the same bytes.
age -r "$R" -o "$W/big.age" "$W/big" || die "age encrypt failed"
age -a -r "$R" -o "$W/big.age.asc" "$W/big" || die "age -a encrypt failed"
# Both programs must agree with each other on these very files before their
# speed means anything.
"$FUIN" decrypt -i "$W/key.txt" "$W/big.age" 2>/dev/null | cmp -s - "$W/big" ||
    die "fuin does not decrypt age's binary file correctly"
"$FUIN" decrypt -i "$W/key.txt" "$W/big.age.asc" 2>/dev/null | cmp -s - "$W/big" ||
    die "fuin does not decrypt age's armored file correctly"
"$FUIN" encrypt -a -r "$R" "$W/big" 2>/dev/null | age -d -i "$W/key.txt" | cmp -s - "$W/big" ||
    die "age does not decrypt fuin's armored output correctly"
for f in big big.age big.age.asc; do
    cat "$W/$f" >/dev/null
done

# One hyperfine invocation per operation, so the two tools are measured
# back to back under the same conditions.  Output goes to stdout, not -o:
# fuin refuses to replace an existing -o file such as /dev/null.
bench() { # bench NAME AGE_CMD FUIN_CMD
    echo "== $1"
    hyperfine --warmup 1 --runs "$RUNS" --style basic \
        --export-json "$OUT/$1.json" --export-markdown "$OUT/$1.md" \
        -n "age $1" "$2" -n "fuin $1" "$3" || die "hyperfine failed for $1"
    echo
}
cd "$W" || die "cannot enter $W"
K=key.txt
bench encrypt "age -r $R big >/dev/null" "'$FUIN' encrypt -r $R big >/dev/null"
bench decrypt "age -d -i $K big.age >/dev/null" "'$FUIN' decrypt -i $K big.age >/dev/null"
bench encrypt-armor "age -a -r $R big >/dev/null" "'$FUIN' encrypt -a -r $R big >/dev/null"
bench decrypt-armor "age -d -i $K big.age.asc >/dev/null" \
    "'$FUIN' decrypt -i $K big.age.asc >/dev/null"
echo "== io-floor"
hyperfine --warmup 1 --runs "$RUNS" --style basic \
    --export-json "$OUT/io-floor.json" --export-markdown "$OUT/io-floor.md" \
    -n "cat big" "cat big >/dev/null" -n "cat big.age.asc" "cat big.age.asc >/dev/null" ||
    die "hyperfine failed for the I/O floor"
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
    rss "$FUIN" encrypt -r "$R" big
    rss "$FUIN" decrypt -i "$K" big.age
    rss "$FUIN" encrypt -a -r "$R" big
    rss "$FUIN" decrypt -i "$K" big.age.asc
    rss age -r "$R" big
    rss age -d -i "$K" big.age
    # rss.txt holds one figure a line, in this order (see the summary).
fi

python3 - "$OUT" "$SIZE_MIB" "$(cut -d' ' -f1-3 /proc/loadavg)" >"$OUT/summary.md" <<'EOF'
import json, os, sys

out, size_mib, loadavg = sys.argv[1], int(sys.argv[2]), sys.argv[3]
targets = {"encrypt": 1.4, "decrypt": 1.8, "encrypt-armor": 3.0, "decrypt-armor": 3.0}

def load(name):
    with open(os.path.join(out, name + ".json")) as f:
        return {r["command"]: r for r in json.load(f)["results"]}

def fmt(r):
    return "%.3f ± %.3f s (%.0f MiB/s)" % (r["mean"], r["stddev"], size_mib / r["mean"])

print("| operation | age | fuin | age/fuin | target | met |")
print("|---|---|---|---|---|---|")
for op, want in targets.items():
    res = load(op)
    a, f = res["age " + op], res["fuin " + op]
    ratio = a["mean"] / f["mean"]
    print("| %s | %s | %s | %.2f× | ≥ %.1f× | %s |"
          % (op, fmt(a), fmt(f), ratio, want, "yes" if ratio >= want else "**no**"))
floor = load("io-floor")
print()
print("I/O floor: `cat big > /dev/null` %s; `cat big.age.asc > /dev/null` %s"
      % (fmt(floor["cat big"]), fmt(floor["cat big.age.asc"])))

rss_path = os.path.join(out, "rss.txt")
rows = [l.strip() for l in open(rss_path) if l.strip()] if os.path.exists(rss_path) else []
if rows:
    ops = ["fuin encrypt", "fuin decrypt", "fuin encrypt -a", "fuin decrypt (armored)",
           "age encrypt", "age decrypt"]
    print()
    print("| peak RSS | MiB | target | met |")
    print("|---|---|---|---|")
    for op, kb in zip(ops, rows):
        mib = int(kb) / 1024
        if op.startswith("fuin"):
            print("| %s | %.1f | ≤ 32 | %s |" % (op, mib, "yes" if mib <= 32 else "**no**"))
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
