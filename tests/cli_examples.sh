#!/bin/bash
# The four scenario scripts in examples/ (the README's first command runs
# them through demo.sh): each one alone, with its own scratch organisation,
# and all four through demo.sh in one.  The scripts check their own results
# (bytes, refusals, nothing left behind) and exit non-zero on any surprise;
# here their exit codes and the lines a person reads are checked.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/harness.sh"
sandbox examples
EXD=$FUIN_SOURCE_DIR/examples

for s in encrypt-attachment sign-release wipe-usb send-package; do
    FUIN=$FUIN TMPDIR=$T bash "$EXD/$s.sh" >"$T/$s.out" 2>&1
    check "$s.sh alone exits 0" test "$?" -eq 0
done
check "scenario 1: stock age gave back the bytes" grep -q '^   stock age gave back the same bytes$' encrypt-attachment.out
check "scenario 1: stock age refused the changed label" grep -q '^   stock age: age: error: bad header MAC$' encrypt-attachment.out
check "scenario 1: 機密性3 under a passphrase refused" grep -q '^   refused: fuin: encrypt: policy: 機密性3' encrypt-attachment.out
check "scenario 2: fuin verify OK with root.pub" grep -q '^citizen/予算公表.csv: OK: signed by 山田 花子 (staff)' sign-release.out
check "scenario 2: stock minisign verified it" test "$(grep -c '^Signature and comment signature verified$' sign-release.out)" -eq 2
check "scenario 2: a changed figure fails, exit 1" grep -q '^   fuin (exit 1): .*FAILED: file modified' sign-release.out
if [ "$(id -u)" = 0 ] && command -v losetup >/dev/null && losetup -f >/dev/null 2>&1; then
    check "scenario 3: ran (not skipped)" sh -c "! grep -q SKIPPED '$T/wipe-usb.out'"
    check "scenario 3: the requester cannot approve" grep -q '^   山田 cannot approve it herself (exit 1): ' wipe-usb.out
    check "scenario 3: wiped and verified" grep -q '^/dev/loop[0-9]*: wiped: 16777216 bytes written, 16777216 verified, Clear$' wipe-usb.out
    check "scenario 3: the ledger verifies" grep -q ': OK: 1 records$' wipe-usb.out
    check "scenario 3: the spent approval is refused" grep -q 'this approval was already used' wipe-usb.out
else
    echo "SKIP: scenario 3 needs root and a loop device (it says it skipped; checked)"
    check "scenario 3: says it skipped" grep -q '^scenario 3 (wipe a USB stick) SKIPPED: ' wipe-usb.out
fi
check "scenario 4: the receiver's verify OK" grep -q '^out4/議会資料.fuin: OK: package of class C2-I2-A1, 3 files, 76 bytes$' send-package.out
check "scenario 4: unpacked" grep -q '^out4/議会資料.fuin: OK: .*, unpacked$' send-package.out
check "scenario 4: a changed package refused, exit 10" grep -q '^   refused (exit 10): ' send-package.out
check "scenario 4: stock tar lists the manifest first" grep -q '^   -rw-r--r-- 0/0 .* fuin-manifest.jsonl$' send-package.out
check "the scenarios leave no scratch directory behind" test -z "$(find "$T" -maxdepth 1 -name 'tmp.*')"

FUIN=$FUIN TMPDIR=$T bash "$EXD/demo.sh" >"$T/demo.out" 2>&1
check "demo.sh with FUIN set exits 0" test "$?" -eq 0
check "demo.sh did not build (FUIN given)" sh -c "! grep -q '^deps:' '$T/demo.out'"
check "demo.sh ran the four scenarios" test "$(grep -c '^scenario [1-4] .* finished$' demo.out)" -eq "$(grep -c '^scenario [1-4] ' demo.out)"
check "demo.sh finished" grep -q '^demo finished: four scenarios in [0-9]* s$' demo.out
check "the demo leaves no scratch directory behind" test -z "$(find "$T" -maxdepth 1 -name 'tmp.*')"
check "no loop device left attached to a scratch image" sh -c "! losetup -a 2>/dev/null | grep -q '$T'"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
