#!/usr/bin/env bash
# Build fuin twice and run every test on both builds:
#   1. RelWithDebInfo with -Wall -Wextra -Werror
#   2. AddressSanitizer + UndefinedBehaviorSanitizer
# then run each libFuzzer target briefly (64 s in all), seeded from the age
# testkit.  Usage: bash scripts/test.sh   (as root on Debian 12)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)

# ctest shows a passing test's output only with -V: list the parts that
# were skipped, with their reasons, so that no skip goes unseen.
skipped_parts() {
    echo "-- skipped parts ($1), each with its reason:"
    awk '/ Testing: /{t=$3} /^SKIP:/{n++; print "   " t ": " $0} END{if (!n) print "   none"}' \
        "$1/Testing/Temporary/LastTest.log"
}

echo "== build 1: -Werror"
cmake -S . -B build -DFUIN_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"
skipped_parts build

echo "== build 2: ASan + UBSan"
cmake -S . -B build-asan -DFUIN_WERROR=ON -DFUIN_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"
skipped_parts build-asan

echo "== fuzz: 78 s over the parsers"
CC=clang cmake -S . -B build-fuzz -DFUIN_FUZZ=ON -DFUIN_TESTS=OFF -DFUIN_WERROR=ON >/dev/null
targets="fuzz_header fuzz_armor fuzz_label fuzz_minisig fuzz_card fuzz_policy fuzz_ledger fuzz_sanitize
  fuzz_manifest fuzz_unpack fuzz_ooxml fuzz_odf fuzz_pdf fuzz_request"
# shellcheck disable=SC2086
cmake --build build-fuzz --target $targets -j"$jobs"
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
kit=../shared/testdata/age-testkit
if [ -d "$kit" ]; then
  bash fuzz/seeds.sh "$kit" "$seeds"
else
  echo "SKIP: fuzz seeds (../shared/testdata/age-testkit absent); fuzzing from empty corpora"
  mkdir -p "$seeds/header" "$seeds/armor" "$seeds/label"
fi
mkdir -p "$seeds/minisig" "$seeds/card" "$seeds/policy" "$seeds/ledger" "$seeds/sanitize" \
  "$seeds/manifest" "$seeds/unpack" "$seeds/ooxml" "$seeds/odf" "$seeds/pdf" "$seeds/request"
# signed ledgers, so the fuzzer gets past the signature into the chain
FUIN_FUZZ_MAKE_SEEDS="$seeds/ledger" build-fuzz/fuzz/fuzz_ledger
# manifests written by the library; packages and tar/zip archives
FUIN_FUZZ_MAKE_SEEDS="$seeds/manifest" build-fuzz/fuzz/fuzz_manifest
FUIN_FUZZ_MAKE_SEEDS="$seeds/unpack" build-fuzz/fuzz/fuzz_unpack
# documents the label writers stamped
for d in ooxml odf pdf; do FUIN_FUZZ_MAKE_SEEDS="$seeds/$d" build-fuzz/fuzz/fuzz_"$d"; done
cp examples/policy.ini "$seeds/policy/"
cp tests/shim/data/*.txt tests/shim/data/*.json tests/shim/data/*.err "$seeds/sanitize/" 2>/dev/null || true
# 78 s in all: the age parsers get the most
for t in header:10 armor:8 label:4 minisig:8 card:8 policy:6 ledger:8 sanitize:4 manifest:4 unpack:4 \
  ooxml:4 odf:4 pdf:4 request:2; do
  name=${t%%:*} secs=${t##*:}
  printf 'fuzz_%s (%ss): ' "$name" "$secs"
  # the kept corpus and the inputs that once crashed are read, never written
  dirs=("$seeds/$name")
  for d in fuzz/corpus/"$name" fuzz/regress/"$name"; do [ -d "$d" ] && dirs+=("$d"); done
  out=$(build-fuzz/fuzz/fuzz_"$name" -max_total_time="$secs" -max_len=70000 "${dirs[@]}" 2>&1) || {
    printf '%s\n' "$out" | tail -30
    echo "fuzz_$name: FAILED"
    exit 1
  }
  printf '%s\n' "$out" | tail -1
done
echo "== all tests passed"
