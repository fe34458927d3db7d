#!/bin/bash
# What the record of every operation costs (docs/audit.md, issue 13):
#  (a) the time one record adds to an operation: fuin_audit_open (checks the
#      ledger, reserves room) + fuin_audit_append (one write + fsync), on the
#      disk of BENCH_DIR, unsigned, signed, and unsigned with the syslog
#      datagram; and, end to end, `fuin verify` of a signature with the
#      policy's [audit] record = on against record = off (hyperfine);
#  (b) `fuin ledger verify` of a 100,000-record ledger, 80 % unsigned and
#      20 % signed, and of an all-signed one (hyperfine, and the library
#      call alone).
# The driver bench/ledger_bench.c is compiled here against BUILD/libfuin.a.
#
#   bench/ledger.sh [BUILD]    BUILD: a built fuin build directory holding
#                              libfuin.a and fuin (default: $BUILD, else
#                              ../build relative to this script)
#
# Environment: BENCH_OUT (results, default ${TMPDIR:-/tmp}/fuin-bench-ledger-
# results), BENCH_RUNS (default 5), BENCH_N (records, default 100000),
# BENCH_APPENDS (appends timed per kind, default 200), BENCH_DIR (where the
# timed appends go: a real disk, default ${TMPDIR:-/tmp}).  The big ledgers
# are generated in /dev/shm (no fsync cost) and then copied to BENCH_DIR.
# Needs hyperfine, python3, cc, pkg-config.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
BUILD=${1:-${BUILD:-$SRC/build}}
RUNS=${BENCH_RUNS:-5}
N=${BENCH_N:-100000}
NAPP=${BENCH_APPENDS:-200}
OUT=${BENCH_OUT:-${TMPDIR:-/tmp}/fuin-bench-ledger-results}
DIR=${BENCH_DIR:-${TMPDIR:-/tmp}}

die() {
    echo "bench: $*" >&2
    exit 1
}
for t in hyperfine python3 cc pkg-config; do
    command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
done
[ -f "$BUILD/libfuin.a" ] || die "no $BUILD/libfuin.a (build the library, or pass the build directory)"
FUIN=$BUILD/fuin
[ -x "$FUIN" ] || die "no $FUIN"
mkdir -p "$OUT" || die "cannot create $OUT"
W=$(mktemp -d "$DIR/fuin-bench-ledger.XXXXXX") || die "mktemp failed"
G=$(mktemp -d /dev/shm/fuin-bench-ledger.XXXXXX 2>/dev/null || mktemp -d "$DIR/fuin-bench-gen.XXXXXX")
trap 'rm -rf "$W" "$G"' EXIT

DRIVER=$W/ledger_bench
# the library's own dependencies, from the build's fuin.pc (Requires.private,
# Libs.private), plus libxml-2.0, which lib/core/status.c calls but fuin.pc
# does not name
REQ=$(sed -n 's/^Requires.private: //p' "$BUILD/fuin.pc")
PRIV=$(sed -n 's/^Libs.private: //p' "$BUILD/fuin.pc")
# shellcheck disable=SC2086 # word lists on purpose
DEPS="$(pkg-config --libs $REQ libxml-2.0) $PRIV" || die "pkg-config: $REQ"
# shellcheck disable=SC2086 # DEPS is a word list on purpose
cc -O2 -I "$SRC/include" -I "$BUILD/include" "$SRC/bench/ledger_bench.c" \
    "$BUILD/libfuin.a" $DEPS -o "$DRIVER" || die "cannot compile bench/ledger_bench.c"

{
    echo "# Ledger: fuin $("$FUIN" --version | head -1), $(date -u +%Y-%m-%d)"
    echo
    echo "## (a) one record, library: $NAPP appends each, in $(df -T "$W" | awk 'NR==2{print $2}') ($DIR)"
    echo
    "$DRIVER" append "$W" "$NAPP" | sed 's/^/    /'
} | tee "$OUT/summary.md"

# (a) end to end: fuin verify with the record on and off
export HOME=$W/home
mkdir -p "$HOME"
cd "$W" || die "cd"
printf 'bench root passphrase long enough 2718\n' >rpw
printf 'bench staff passphrase long enough 1414\n' >pw
q() { "$FUIN" "$@" </dev/null >/dev/null 2>"$W/err" || die "fuin $*: $(head -2 "$W/err")"; }
q ciso init --org 'Bench Org' --dir "$W/ciso" --passphrase-file rpw
for s in on off; do
    q store init "$W/ciso/root.pub" --store "$W/store-$s"
    mkdir -p "pol-$s"
    printf '[organisation]\nname = Bench Org\n\n[audit]\nrecord = %s\nsyslog = off\n' "$s" >"pol-$s/policy.ini"
    q ciso sign-policy "pol-$s/policy.ini" --dir "$W/ciso" --passphrase-file rpw
    q store update "$W/pol-$s/policy.ini" --store "$W/store-$s"
done
q key new --name 'Bench Person' --dir "$W/key" --passphrase-file pw
head -c 4096 /dev/urandom >small.bin
q sign --dir "$W/key" --passphrase-file pw small.bin
PUB=$W/key/sign.pub
hyperfine --warmup 3 --runs $((RUNS * 10)) --export-json "$OUT/append.json" --export-markdown "$OUT/append.md" \
    -n "fuin verify, record off" "$FUIN verify --store $W/store-off -p $PUB small.bin" \
    -n "fuin verify, record on" "$FUIN verify --store $W/store-on -p $PUB small.bin" >"$OUT/append.txt" 2>&1 ||
    die "hyperfine (append): $(tail -3 "$OUT/append.txt")"
records=$(wc -l <"$HOME/.config/fuin/ledger.jsonl" 2>/dev/null || echo 0)

# (b) verify 100k records
"$DRIVER" gen "$G/mixed.jsonl" "$N" 20 "$W/mixed.pub" || die "gen mixed"
"$DRIVER" gen "$G/signed.jsonl" "$N" 100 "$W/signed.pub" || die "gen signed"
cp "$G/mixed.jsonl" "$G/signed.jsonl" "$W/" && rm -f "$G"/*.jsonl
"$DRIVER" verify "$W/mixed.jsonl" "$W/mixed.pub" "$RUNS" >"$OUT/verify-lib.txt" || die "verify mixed"
"$DRIVER" verify "$W/signed.jsonl" "$W/signed.pub" "$RUNS" >>"$OUT/verify-lib.txt" || die "verify signed"
hyperfine --warmup 1 --runs "$RUNS" --export-json "$OUT/verify.json" --export-markdown "$OUT/verify.md" \
    -n "ledger verify, $N records, 20 % signed" "$FUIN ledger verify --dir $W/nokeys --key $W/mixed.pub $W/mixed.jsonl" \
    -n "ledger verify, $N records, all signed" "$FUIN ledger verify --dir $W/nokeys --key $W/signed.pub $W/signed.jsonl" \
    >"$OUT/verify.txt" 2>&1 || die "hyperfine (verify): $(tail -3 "$OUT/verify.txt")"

python3 - "$OUT" "$records" "$(stat -c %s "$W/mixed.jsonl")" "$(stat -c %s "$W/signed.jsonl")" <<'EOF' | tee -a "$OUT/summary.md"
import json, sys
out, recs, msize, ssize = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
a = {r["command"]: r for r in json.load(open(out + "/append.json"))["results"]}
off, on = a["fuin verify, record off"], a["fuin verify, record on"]
d = (on["mean"] - off["mean"]) * 1e3
print()
print("## (a) one record, end to end: fuin verify of a 4 KiB file's signature")
print()
print("    record off: %.2f ms ± %.2f, record on: %.2f ms ± %.2f (medians %.2f / %.2f)" % (
    off["mean"] * 1e3, off["stddev"] * 1e3, on["mean"] * 1e3, on["stddev"] * 1e3,
    off["median"] * 1e3, on["median"] * 1e3))
print("    the record adds %.2f ms (target <= 5 ms: %s); %d records written" % (
    d, "met" if d <= 5 else "NOT met", recs))
print()
print("## (b) fuin ledger verify")
print()
for r in json.load(open(out + "/verify.json"))["results"]:
    print("    %-44s %.3f s ± %.3f (min %.3f) target <= 5 s: %s" % (
        r["command"], r["mean"], r["stddev"], r["min"], "met" if r["mean"] <= 5 else "NOT met"))
print("    ledger sizes: 20 %% signed %.1f MiB, all signed %.1f MiB" % (msize / 2**20, ssize / 2**20))
print()
print("library call alone (fuin_ledger_verify):")
for l in open(out + "/verify-lib.txt"):
    print("    " + l.rstrip())
EOF
