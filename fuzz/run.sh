#!/usr/bin/env bash
# Run the libFuzzer targets for a given amount of CPU time, keeping and
# minimising the corpus in fuzz/corpus/NAME.
#
# usage: fuzz/run.sh [--cpu-minutes N | --seconds N] [--no-minimise] [TARGET...]
#   --cpu-minutes N  stop each target after N minutes of CPU time (default 30);
#                    CPU time, not wall time, so a busy machine does not
#                    shorten the run
#   --seconds N      stop each target after N seconds of wall time instead
#   --no-minimise    keep the corpus as the run left it
#   TARGET           header armor label minisig card policy ledger sanitize
#                    manifest unpack ooxml odf pdf request (default: all, one after
#                    the other)
#
# fuzz/regress/NAME holds inputs that once crashed (each fixed, with a
# test): every run replays them first.  Crashes, leaks, timeouts and out-of-memory inputs are written to
# fuzz/artifacts/ (not committed) and make the run exit 1.  Each target
# prints one line: CPU minutes, executions, coverage and corpus sizes;
# fuzz/README.md records those lines.  The C2SP age testkit (../shared)
# seeds header and armor when present; it is read in place, never copied
# into fuzz/corpus.
set -eu
cd "$(dirname "$0")/.."
ALL="header armor label minisig card policy ledger sanitize manifest unpack ooxml odf pdf request"
cpu_min=30 wall= minimise=1 targets=
while [ $# -gt 0 ]; do
  case $1 in
    --cpu-minutes) cpu_min=$2; shift 2 ;;
    --seconds) wall=$2; shift 2 ;;
    --no-minimise) minimise=; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz/run.sh: unknown option $1" >&2; exit 2 ;;
    *) case " $ALL " in *" $1 "*) targets="$targets $1" ;;
         *) echo "fuzz/run.sh: no target $1 (have: $ALL)" >&2; exit 2 ;; esac
       shift ;;
  esac
done
targets=${targets:-$ALL}

if [ ! -f build-fuzz/CMakeCache.txt ]; then
  CC=clang cmake -S . -B build-fuzz -DFUIN_FUZZ=ON -DFUIN_TESTS=OFF -DFUIN_WERROR=ON >/dev/null
fi
# shellcheck disable=SC2086
cmake --build build-fuzz -j2 --target $(printf 'fuzz_%s ' $targets) >/dev/null 2>&1 ||
  { echo "fuzz/run.sh: the fuzz build failed (cmake --build build-fuzz)" >&2; exit 1; }

seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
kit=../shared/testdata/age-testkit
if [ -d "$kit" ]; then
  bash fuzz/seeds.sh "$kit" "$seeds"
else
  echo "SKIP: testkit seeds (../shared/testdata/age-testkit absent)"
fi
mkdir -p "$seeds/ledger" "$seeds/policy" "$seeds/sanitize" fuzz/artifacts
# signed ledgers, so the fuzzer gets past the signature into the chain
# (only fuzz_ledger can make them, and only the chosen targets are built)
case " $targets " in *" ledger "*)
  FUIN_FUZZ_MAKE_SEEDS="$seeds/ledger" build-fuzz/fuzz/fuzz_ledger ;;
esac
# manifests written by the library, packages and tar/zip archives, and
# documents (OOXML, ODF, PDF) the label writers stamped
for t in manifest unpack ooxml odf pdf; do
  case " $targets " in *" $t "*)
    mkdir -p "$seeds/$t"
    FUIN_FUZZ_MAKE_SEEDS="$seeds/$t" build-fuzz/fuzz/fuzz_"$t" ;;
  esac
done
cp examples/policy.ini "$seeds/policy/"
cp tests/shim/data/*.txt tests/shim/data/*.json tests/shim/data/*.err "$seeds/sanitize/" 2>/dev/null || true

tick=$(getconf CLK_TCK)
cpu_of() { # user+system CPU seconds of PID (0 once it is gone)
  awk -v t="$tick" '{ sub(/^.*\) /, ""); print int(($12 + $13) / t) }' "/proc/$1/stat" 2>/dev/null || echo 0
}

status=0
for name in $targets; do
  corpus=fuzz/corpus/$name
  mkdir -p "$corpus"
  extra=()
  [ -d "$seeds/$name" ] && extra+=("$seeds/$name")
  # inputs that once crashed: replayed every run, never minimised away
  [ -d "fuzz/regress/$name" ] && extra+=("fuzz/regress/$name")
  before=$(find "$corpus" -type f | wc -l)
  log=$(mktemp)
  limit=()
  [ -n "$wall" ] && limit=(-max_total_time="$wall")
  build-fuzz/fuzz/fuzz_"$name" "${limit[@]}" -max_len=70000 -timeout=20 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$name-" \
    "$corpus" "${extra[@]}" >"$log" 2>&1 &
  pid=$!
  cpu=0
  while kill -0 "$pid" 2>/dev/null; do
    now=$(cpu_of "$pid")
    [ "$now" -gt "$cpu" ] && cpu=$now
    if [ -z "$wall" ] && [ "$cpu" -ge $((cpu_min * 60)) ]; then
      kill -INT "$pid"
      break
    fi
    sleep 2
  done
  rc=0
  wait "$pid" || rc=$?
  # the interrupt ends a healthy run: libFuzzer then exits 0 or 72 (SIGINT)
  if grep -q 'ERROR: libFuzzer\|ERROR: AddressSanitizer\|runtime error:\|ERROR: LeakSanitizer\|SUMMARY: ' "$log" ||
     { [ "$rc" -ne 0 ] && [ "$rc" -ne 72 ] && [ "$rc" -ne 130 ] && ! grep -q 'run interrupted' "$log"; }; then
    echo "fuzz_$name: FAILED (exit $rc); see the artifact in fuzz/artifacts/ and the log:"
    grep -m5 'ERROR\|runtime error\|SUMMARY\|Test unit written' "$log" | sed 's/^/    /'
    status=1
    rm -f "$log"
    continue
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
  after=$(find "$corpus" -type f | wc -l)
  if [ -n "$minimise" ]; then
    min=$(mktemp -d)
    build-fuzz/fuzz/fuzz_"$name" -merge=1 -max_len=70000 -timeout=20 "$min" "$corpus" >/dev/null 2>&1
    find "$corpus" -type f -delete
    cp "$min"/* "$corpus"/ 2>/dev/null || true
    rm -rf "$min"
  fi
  # never keep a copy of a seed (libFuzzer names inputs by their SHA-1)
  if [ -d "$seeds/$name" ]; then
    for f in "$seeds/$name"/*; do
      rm -f "$corpus/$(sha1sum <"$f" | cut -c1-40)"
    done
  fi
  kept=$(find "$corpus" -type f | wc -l)
  printf 'fuzz_%s: %s CPU-min, %s executions, %s, corpus %s -> %s inputs (%s after minimising), no crash\n' \
    "$name" "$(awk -v s="${cpu:-0}" 'BEGIN { printf "%.1f", s / 60 }')" "${execs:-?}" "${cov:-cov ?}" \
    "$before" "$after" "$kept"
  rm -f "$log"
done
exit $status
