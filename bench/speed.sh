#!/bin/bash
# fuin against its peers in one run, in alternating pairs: encrypt and
# decrypt against stock age (binary and armored), sign and verify against
# stock minisign, on a 1 GiB random file in /dev/shm, file to file and to
# /dev/null; medians, spread and peak RSS of every run, and in each pair
# the floor: `cat` copying the same input to the same output.  Builds nothing.
#
#   bench/speed.sh [FUIN]      FUIN: the fuin program (default: $FUIN, else
#                              ../build/fuin relative to this script)
#
# Environment: BENCH_PAIRS (pairs per operation, default 7), BENCH_MIB
# (file size, default 1024), BENCH_DIR (where the files live, default
# /dev/shm; needs about 5 times the file size free), BENCH_OUT (results
# directory, default ${TMPDIR:-/tmp}/fuin-bench-speed), BENCH_OPS (a
# space-separated subset of the operation names below).
# Needs age, age-keygen, minisign, python3.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FUIN=${1:-${FUIN:-$HERE/../build/fuin}}
PAIRS=${BENCH_PAIRS:-7}
MIB=${BENCH_MIB:-1024}
DIR=${BENCH_DIR:-/dev/shm}
OUT=${BENCH_OUT:-${TMPDIR:-/tmp}/fuin-bench-speed}

# shellcheck source=bench/common.sh
. "$HERE/common.sh"
bench_fuin
bench_need age age-keygen minisign python3
mkdir -p "$OUT" || die "cannot create $OUT"
W=$(mktemp -d "$DIR/fuin-bench-speed.XXXXXX") || die "cannot create a directory in $DIR"
trap 'rm -rf "$W"' EXIT
mkdir "$W/home" || die "cannot create $W/home"
export HOME=$W/home # no policy or ledger of the user's own

echo "fuin:     $("$FUIN" --version) ($FUIN)"
echo "age:      $(age --version)"
echo "minisign: $(minisign -v 2>&1 | head -n 1)"
echo "CPU:      $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) online CPUs"
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; other work skews the figures)"
[ -e /etc/fuin/root.pub ] && echo "note:     /etc/fuin/root.pub exists; fuin applies its policy"
echo "files:    $W ($MIB MiB)"
echo

cd "$W" || die "cannot enter $W"
age-keygen -o key.txt 2>/dev/null || die "age-keygen failed"
R=$(age-keygen -y key.txt)
minisign -G -W -p k.pub -s k.key >/dev/null 2>&1 || die "minisign -G failed"
head -c $((MIB * 1024 * 1024)) /dev/urandom >big || die "cannot write $W/big"
age -r "$R" -o big.age big || die "age -r failed"
age -a -r "$R" -o big.asc big || die "age -a -r failed"
minisign -S -m big -s k.key -x big.sig >/dev/null || die "minisign -S failed"
# speed means nothing without agreement, checked on these very files
"$FUIN" decrypt -i key.txt big.age | cmp -s - big || die "fuin does not decrypt age's file"
"$FUIN" decrypt -i key.txt big.asc | cmp -s - big || die "fuin does not decrypt age's armor"
"$FUIN" encrypt -r "$R" big | age -d -i key.txt | cmp -s - big || die "age does not decrypt fuin's file"
"$FUIN" encrypt -a -r "$R" big | age -d -i key.txt | cmp -s - big || die "age does not decrypt fuin's armor"
"$FUIN" verify -p k.pub -x big.sig big >/dev/null || die "fuin rejects minisign's signature"
"$FUIN" sign -s k.key big >/dev/null 2>&1 || die "fuin sign failed"
minisign -V -q -m big -p k.pub -x big.minisig || die "minisign rejects fuin's signature"

python3 - "$FUIN" "$R" "$PAIRS" "$OUT" "${BENCH_OPS:-}" <<'EOF'
import json, os, statistics, subprocess, sys, time
fuin, R, pairs, out, only = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5].split()
DEVNULL = "/dev/null"
# name: (peer, fuin, output file or None for stdout to /dev/null)
ops = [
    ("encrypt", ["age", "-r", R, "-o", "o", "big"], [fuin, "encrypt", "-r", R, "-o", "o", "big"]),
    ("decrypt", ["age", "-d", "-i", "key.txt", "-o", "o", "big.age"],
     [fuin, "decrypt", "-i", "key.txt", "-o", "o", "big.age"]),
    ("encrypt-armor", ["age", "-a", "-r", R, "-o", "o", "big"], [fuin, "encrypt", "-a", "-r", R, "-o", "o", "big"]),
    ("decrypt-armor", ["age", "-d", "-i", "key.txt", "-o", "o", "big.asc"],
     [fuin, "decrypt", "-i", "key.txt", "-o", "o", "big.asc"]),
    ("encrypt-null", ["age", "-r", R, "big"], [fuin, "encrypt", "-r", R, "big"]),
    ("decrypt-null", ["age", "-d", "-i", "key.txt", "big.age"], [fuin, "decrypt", "-i", "key.txt", "big.age"]),
    ("sign", ["minisign", "-S", "-m", "big", "-s", "k.key", "-x", "o"], [fuin, "sign", "-s", "k.key", "--force", "big"]),
    ("verify", ["minisign", "-V", "-q", "-m", "big", "-p", "k.pub", "-x", "big.sig"],
     [fuin, "verify", "-p", "k.pub", "-x", "big.sig", "big"]),
]
targets = {"encrypt": 1.5, "decrypt": 2.0, "encrypt-armor": 3.0, "decrypt-armor": 3.0,
           "sign": 1.7, "verify": 1.7}
rss_max = {"encrypt": 32, "decrypt": 32, "encrypt-armor": 32, "decrypt-armor": 32,
           "encrypt-null": 32, "decrypt-null": 32, "sign": 16, "verify": 16}

def run(cmd):
    if os.path.exists("o"):
        os.unlink("o")
    with open(DEVNULL, "wb") as null:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=null, stderr=null)
        _, status, ru = os.wait4(p.pid, 0)
        t = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("bench: failed: " + " ".join(cmd))
    return t, ru.ru_maxrss / 1024.0

results = {}
rows = []
for name, peer, mine in ops:
    if only and name not in only:
        continue
    run(peer); run(mine)  # warm-up, caches
    pt, ft, frss, prss, lt, lrss = [], [], [], [], [], []
    # the floor: the same input copied to the same output by cat
    src = mine[-1]
    floor = ["sh", "-c", "exec cat %s >%s" % (src, "o" if "o" in mine else DEVNULL)]
    for i in range(pairs):
        order = [(peer, pt, prss), (mine, ft, frss), (floor, lt, lrss)]
        if i % 2:
            order.reverse()
        for cmd, ts, rs in order:
            t, r = run(cmd)
            ts.append(t)
            rs.append(r)
    pm, fm = statistics.median(pt), statistics.median(ft)
    spread = max(abs(max(ft) - fm), abs(fm - min(ft))) / fm * 100
    ratio = pm / fm
    lm = statistics.median(lt)
    results[name] = {"peer": pt, "fuin": ft, "floor_cat": lt, "fuin_rss_mib": frss,
                     "peer_rss_mib": prss, "ratio": ratio, "spread_pct": spread}
    tgt = targets.get(name)
    met = "" if tgt is None else ("yes" if ratio >= tgt else "**no**")
    rmet = "yes" if max(frss) <= rss_max[name] else "**no**"
    rows.append("| %s | %.3f s | %.3f s (%.3f–%.3f) | ±%.0f %% | %.3f s | %.2f× | %s | %s | %.1f MiB | %s |" % (
        name, pm, fm, min(ft), max(ft), spread, lm, ratio, "≥ %.1f×" % tgt if tgt else "–", met,
        max(frss), rmet))
    print(rows[-1], flush=True)
with open(os.path.join(out, "speed.json"), "w") as f:
    json.dump(results, f, indent=1)
head = ("| operation | peer median | fuin median (min–max) | fuin spread | floor: cat IN >OUT | peer/fuin "
        "| target | met | fuin peak RSS | RSS target met |\n|---|---|---|---|---|---|---|---|---|---|")
with open(os.path.join(out, "summary.md"), "w") as f:
    f.write(head + "\n" + "\n".join(rows) + "\n")
print()
print(head)
print("\n".join(rows))
EOF
