#!/usr/bin/env bash
# fuin wipe and fuin ledger on loop devices: canaries at the first, middle
# and last sectors (and between) are gone after a wipe, refusals, the
# confirmation rule, signed records and a ledger that detects an edit.
# Needs root and losetup (exit 77 with SKIP otherwise).
# Decision tested here: a target refused before any write (mounted) is not a
# wipe, so it gets no record; every attempted wipe gets one.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

if [ -z "${FUIN:-}" ] || [ ! -x "$FUIN" ]; then
    echo "FAIL: FUIN must name the fuin program"; exit 1
fi
if [ "$(id -u)" != 0 ] || ! command -v losetup >/dev/null; then
    echo "SKIP: cli_wipe needs root and losetup"; exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fuin-cli-wipe.XXXXXX") || exit 1
loops=()
mnt=
cleanup() {
    [ -n "$mnt" ] && umount "$mnt" 2>/dev/null
    for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
export HOME=$tmp/home
mkdir -p "$HOME"

echo 'correct horse battery staple 2026' > pw
"$FUIN" key new --name 'テスト 担当' --dir K --passphrase-file pw >/dev/null 2>&1
check "operator key made" test -f K/sign.key -a -f K/sign.pub -a -f K/card.pub

# 32 MiB image with canaries at sectors 0, middle, last and between.
truncate -s 32M img
size=$((32 * 1024 * 1024))
for off in 0 $((size / 4)) $((size / 2)) $((size * 3 / 4)) $((size - 512)); do
    printf 'FUIN-CANARY-%08d' "$off" | dd of=img bs=1 seek="$off" conv=notrunc status=none
done
check "5 canaries planted" test "$(grep -ac FUIN-CANARY img)" -ge 1
ncan=$(grep -ao 'FUIN-CANARY-[0-9]*' img | wc -l)
check "5 canaries counted" test "$ncan" -eq 5

dev=$(losetup -f --show img) || { echo "SKIP: losetup failed (no loop devices?)"; exit 77; }
loops+=("$dev")

out=$("$FUIN" wipe --class C1 --dry-run "$dev" 2>&1); rc=$?
check "dry-run exit 0" test "$rc" -eq 0
check "dry-run shows model" grep -q 'model:' <<<"$out"
check "dry-run shows size" grep -q "size:  *$size bytes" <<<"$out"
check "dry-run says Clear" grep -q 'category:     Clear' <<<"$out"
check "dry-run says transport loop" grep -q 'transport:    loop' <<<"$out"
check "dry-run shows the policy verdict" grep -q '^  policy:       allowed for C1-I1-A1$' <<<"$out"
check "dry-run never says Purge as category" bash -c "! grep -q 'category: *Purge' <<<\"\$1\"" _ "$out"

setsid "$FUIN" wipe --class C1 --dir K --passphrase-file pw --ledger L "$dev" </dev/null >/dev/null 2>err; rc=$?
check "no tty, no --yes: exit 2" test "$rc" -eq 2
check "no tty message" grep -q 'no terminal to confirm on; use --yes' err
ncan=$(grep -ao 'FUIN-CANARY-[0-9]*' img | wc -l)
check "canaries intact without confirmation" test "$ncan" -eq 5
check "no ledger without a wipe" test ! -e L

# The terminal confirmation must name the target: a wrong name erases
# nothing; with python3 the prompt is answered through a pseudo-terminal.
pty=$here/pty_drive.py
if command -v python3 >/dev/null && [ -f "$pty" ]; then
    base=${dev##*/}
    python3 "$pty" --timeout 30 --out out --err err --transcript tr \
        --answer "Type the target's name \\($base\\) to confirm" wrongname -- \
        "$FUIN" wipe --class C1 --dir K --passphrase-file pw --ledger L "$dev"; rc=$?
    check "wrong confirmation exit 1" test "$rc" -eq 1
    check "wrong confirmation says not confirmed" grep -q 'not confirmed' err
    check "wrong confirmation: canaries intact" test "$(grep -ao 'FUIN-CANARY-[0-9]*' img | wc -l)" -eq 5
    check "wrong confirmation: no ledger" test ! -e L
else
    echo "SKIP: python3 or pty_drive.py missing: terminal confirmation not tested"
fi

"$FUIN" wipe --yes --dir K --passphrase-file pw --ledger L --asset A-1 --class C1 "$dev" >out 2>err; rc=$?
check "device wipe exit 0" test "$rc" -eq 0
check "device wipe says wiped" grep -q "^$dev: wiped: $size bytes written, $size verified, Clear" out
sync
ncan=$(grep -ac FUIN-CANARY img)
check "no canary left in the backing file" test "$ncan" -eq 0
out=$("$FUIN" ledger verify --dir K L 2>&1); rc=$?
check "ledger verify exit 0" test "$rc" -eq 0
check "ledger verify 1 record" test "$out" = "L: OK: 1 records"
out=$("$FUIN" ledger show L); rc=$?
check "ledger show exit 0" test "$rc" -eq 0
check "ledger show lists the device wipe" grep -qP "^1\t.*\tテスト 担当\tdisposal\tA-1\tdevice $dev\tchacha20-1pass\tClear\tsuccess$" <<<"$out"
check "record has class C1" grep -q '"class":"C1-I1-A1"' L

# The policy decides what each class needs (built-in default): media of
# 機密性2 or more, and unlabelled media (counted as 機密性2), need an
# approved disposal request and full verification; files need no approval.
printf 'FUIN-CANARY-policy' | dd of=img bs=1 seek=3000000 conv=notrunc status=none
n_before=$(wc -l <L)
"$FUIN" wipe --dry-run "$dev" >out 2>err; rc=$?
check "unlabelled device dry-run refused exit 1" test "$rc" -eq 1
check "unlabelled device: rule named" grep -q "fuin: wipe: $dev: policy: built-in default: \[class.C2\] wipe_approval = required" err
check "unlabelled device: counted as 機密性2" grep -q 'unlabelled media count as 機密性2' err
check "unlabelled device: REFUSED shown" grep -q '^  REFUSED:      policy: ' out
"$FUIN" wipe --yes --class C2 --dir K --passphrase-file pw --ledger L "$dev" >out 2>err; rc=$?
check "C2 device without approval exit 1" test "$rc" -eq 1
check "C2 device without approval: one line" test "$(wc -l <err)" -eq 1
check "C2 device without approval: canary intact" test "$(grep -ac FUIN-CANARY-policy img)" -eq 1
check "C2 device without approval: no record" test "$(wc -l <L)" -eq "$n_before"
"$FUIN" wipe --yes --class C3 --verify sample=50 --dir K --passphrase-file pw --ledger L "$dev" >out 2>err; rc=$?
check "C3 device sample verify exit 1" test "$rc" -eq 1
check "C3 device sample verify: verify rule first" grep -q 'built-in default: \[class.C3\] wipe_verify = full' err
check "C3 device sample verify: canary intact" test "$(grep -ac FUIN-CANARY-policy img)" -eq 1
echo secret > pf1
"$FUIN" wipe --yes --class C2 --verify sample=10 --dir K --passphrase-file pw --ledger L pf1 >out 2>err; rc=$?
check "C2 file with sample verify exit 1" test "$rc" -eq 1
check "C2 file with sample verify: rule" grep -q 'wipe_verify = full' err
check "C2 file with sample verify: file kept" test -e pf1
"$FUIN" wipe --yes --class C2 --dir K --passphrase-file pw --ledger L pf1 >out 2>err; rc=$?
check "C2 file, full verify, no approval: exit 0" test "$rc" -eq 0
check "C2 file wiped" test ! -e pf1
check "C2 file: record added" test "$(wc -l <L)" -eq $((n_before + 1))

# The device's own erase commands: listed with what the device supports,
# refused where it does not, and a failing one is recorded as a failure.
printf 'FUIN-CANARY-sanitize' | dd of=img bs=1 seek=4000000 conv=notrunc status=none
n_before=$(wc -l <L)
"$FUIN" wipe --dry-run --class C1 "$dev" >out 2>err; rc=$?
check "dry-run lists the erase commands" grep -q "^  erase commands (the device's own):$" out
check "dry-run: secure discard unknown" grep -qE '^    secure-discard +unknown: ' out
check "dry-run: NVMe commands not on loop" grep -q '^    no: nvme-sanitize-crypto, nvme-sanitize-block, nvme-sanitize-overwrite, nvme-format-crypto, nvme-format-user: transport loop is not NVMe$' out
check "dry-run: ATA commands not on loop" grep -q '^    no: ata-sanitize-crypto, .*: transport loop has no ATA commands$' out
"$FUIN" wipe --yes --class C1 --method nvme-sanitize-crypto --dir K --passphrase-file pw --ledger L "$dev" >out 2>err; rc=$?
check "unsupported erase command exit 1" test "$rc" -eq 1
check "unsupported erase command: why" grep -q "fuin: wipe: $dev: refused: nvme-sanitize-crypto: transport loop is not NVMe" err
check "unsupported erase command: shown as Purge" grep -q '^  category:     Purge$' out
"$FUIN" wipe --yes --class C1 --method secure-discard --dir K --passphrase-file pw --ledger L "$dev" >out 2>err; rc=$?
check "undetectable erase command without --force-sanitize exit 1" test "$rc" -eq 1
check "undetectable: says how to force" grep -q -- '--force-sanitize runs it anyway' err
check "undetectable: the command is shown" grep -q "^  runs:         blkdiscard --secure --force $dev$" out
"$FUIN" wipe --yes --class C1 --method nvme-sanitize-crypto --force-sanitize --dir K --passphrase-file pw --ledger L "$dev" >out 2>err; rc=$?
check "--force-sanitize never overrides a no: exit 1" test "$rc" -eq 1
check "--force-sanitize never overrides a no: why" grep -q "refused: nvme-sanitize-crypto: transport loop is not NVMe" err
check "erase commands refused: canary intact" test "$(grep -ac FUIN-CANARY-sanitize img)" -eq 1
check "erase commands refused: no record" test "$(wc -l <L)" -eq "$n_before"
if command -v blkdiscard >/dev/null; then
    # A loop device has no secure discard: the kernel says no.
    "$FUIN" wipe --yes --class C1 --method secure-discard --force-sanitize --dir K \
        --passphrase-file pw --ledger L "$dev" >out 2>err; rc=$?
    check "failing erase command exit 4" test "$rc" -eq 4
    check "failing erase command: message" grep -q "fuin: wipe: $dev: wipe failed: .*secure-discard" err
    tail -n1 L >last
    check "failing erase command recorded as failure" grep -q '"result":"failure"' last
    check "failing erase command: method recorded" grep -q '"method":"secure-discard"' last
    check "failing erase command: no pattern" grep -q '"pattern":null' last
    check "failing erase command: nothing verified" grep -q '"verify":{"bytes":0,"mode":"none"}' last
    check "failing erase command: canary intact" test "$(grep -ac FUIN-CANARY-sanitize img)" -eq 1
    out=$("$FUIN" ledger verify --dir K L 2>&1); rc=$?
    check "ledger verifies after a failed erase command" test "$rc" -eq 0
else
    echo "SKIP: blkdiscard missing: failing erase command not tested"
fi
echo x >sf
"$FUIN" wipe --yes --method ata-security-erase sf >/dev/null 2>err; rc=$?
check "erase command on a file exit 2" test "$rc" -eq 2 -a -e sf
"$FUIN" wipe --yes --method nvme-format-user --passes 2 "$dev" >/dev/null 2>err; rc=$?
check "erase command with --passes exit 2" test "$rc" -eq 2
"$FUIN" wipe --yes --force-sanitize "$dev" >/dev/null 2>err; rc=$?
check "--force-sanitize without an erase command exit 2" test "$rc" -eq 2

# Zero method with sample verify, then the image holds only zeros.
printf 'FUIN-CANARY-again' | dd of=img bs=1 seek=1000000 conv=notrunc status=none
# Confirmed on the terminal when possible, else with --yes.
if command -v python3 >/dev/null && [ -f "$pty" ]; then
    python3 "$pty" --timeout 60 --out out --err err \
        --answer "Type the target's name \\(${dev##*/}\\) to confirm" "${dev##*/}" -- \
        "$FUIN" wipe --class C1 --method zero --verify sample=10 --dir K --passphrase-file pw --ledger L "$dev"; rc=$?
else
    "$FUIN" wipe --class C1 --yes --method zero --verify sample=10 --dir K --passphrase-file pw --ledger L "$dev" >/dev/null 2>&1; rc=$?
fi
check "zero wipe exit 0" test "$rc" -eq 0
check "image is all zeros" cmp -s img <(head -c "$size" /dev/zero)
check "zero record says sample=10" grep -q '"mode":"sample=10"' L

# A mounted ext4 loop device is refused, with no record.
if command -v mkfs.ext4 >/dev/null; then
    truncate -s 16M img2
    mkfs.ext4 -q -F img2 >/dev/null 2>&1
    dev2=$(losetup -f --show img2) && loops+=("$dev2")
    mkdir m && mount "$dev2" m && mnt=$tmp/m
    if [ -n "$mnt" ]; then
        n_before=$(wc -l <L)
        "$FUIN" wipe --class C1 --yes --dir K --passphrase-file pw --ledger L "$dev2" >out 2>err; rc=$?
        check "mounted device refused exit 1" test "$rc" -eq 1
        check "refusal names the mount" grep -q "refused: .*mount" err
        check "refused target gets no record" test "$(wc -l <L)" -eq "$n_before"
        out=$("$FUIN" wipe --class C1 --dry-run "$dev2" 2>&1); rc=$?
        check "dry-run of mounted device exit 1" test "$rc" -eq 1
        check "dry-run shows REFUSED" grep -q 'REFUSED:' <<<"$out"
        # A canary file on the mounted ext4, wiped as a file.
        printf 'FUIN-FILE-CANARY\n%.0s' {1..300} > m/secret.txt
        sync
        "$FUIN" wipe --yes --dir K --passphrase-file pw --ledger L m/secret.txt >out 2>err; rc=$?
        check "file wipe exit 0" test "$rc" -eq 0
        check "file gone" test ! -e m/secret.txt
        check "file wipe printed the caveat" grep -q 'caveat: *file wipe is best-effort' out
        tail -n1 L >last
        check "file record success" grep -q '"result":"success"' last
        check "file record has caveat" grep -q '"caveat":"file wipe is best-effort' last
        check "file record kind file" grep -q '"kind":"file"' last
        umount m && mnt=
        sync
        echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
        # Data blocks are overwritten; the journal may still hold copies
        # (documented caveat), so only count what is not in the journal.
        n=$(grep -ac 'FUIN-FILE-CANARY' img2)
        check "file canary gone from the ext4 image (data=ordered: not journaled)" test "$n" -eq 0
    else
        fail "could not mount the ext4 loop device"
    fi
else
    echo "SKIP: mkfs.ext4 missing: mounted-device and ext4 file tests not run"
fi

# Hard-linked file refused unless --force.
echo data > hl; ln hl hl2
n_before=$(wc -l <L)
"$FUIN" wipe --yes --dir K --passphrase-file pw --ledger L hl >/dev/null 2>err; rc=$?
check "hard-linked file: refusal is not recorded" test "$(wc -l <L)" -eq "$n_before"
check "hard-linked file: why" grep -q 'refused: it has 2 hard links' err
check "hard-linked file refused exit 1" test "$rc" -eq 1
check "hard-linked file kept" test -e hl
"$FUIN" wipe --yes --hard-links --dir K --passphrase-file pw --ledger L hl >/dev/null 2>&1; rc=$?
check "--hard-links wipes a hard-linked file" test "$rc" -eq 0 -a ! -e hl

# A wipe that fails (read-only loop device; no device-mapper error target
# is needed) is recorded as a failure with its error, exit 4.
truncate -s 4M ro.img
if rodev=$(losetup -r -f --show ro.img); then
    loops+=("$rodev")
    "$FUIN" wipe --class C1 --yes --dir K --passphrase-file pw --ledger L "$rodev" >/dev/null 2>err; rc=$?
    check "failed wipe exit 4" test "$rc" -eq 4
    check "failed wipe message" grep -q 'wipe failed: .*write failed' err
    tail -n1 L >last
    check "failed wipe recorded as failure" grep -q '"result":"failure"' last
    check "failed wipe record has the error" grep -q '"errors":\[".*write failed' last
else
    fail "losetup -r failed"
fi

# A directory: every regular file below it is wiped, directories stay.
mkdir -p d/sub && echo one > d/a && echo two > d/sub/b
"$FUIN" wipe --yes --dir K --passphrase-file pw --ledger L d >out 2>&1; rc=$?
check "directory wipe exit 0" test "$rc" -eq 0
check "directory files gone, directories kept" test ! -e d/a -a ! -e d/sub/b -a -d d/sub
check "directory record success" grep -q '"result":"success"' <(tail -n1 L)

# Physical destruction.
cp L L.pre
"$FUIN" ledger record-destruction --asset PC-9 --how 'drill through platters' --witness 'W 立会' \
    --dir K --passphrase-file pw --ledger L >out 2>err; rc=$?
check "unlabelled destruction without approval exit 1" test "$rc" -eq 1
check "unlabelled destruction: rule named" grep -q 'fuin: ledger: PC-9: policy: built-in default: \[class.C2\] wipe_approval = required' err
check "unlabelled destruction: no record" cmp -s L L.pre
"$FUIN" ledger record-destruction --asset PC-9 --how 'drill through platters' --witness 'W 立会' --class C1 \
    --dir K --passphrase-file pw --ledger L >out 2>&1; rc=$?
check "record-destruction exit 0" test "$rc" -eq 0
tail -n1 L >last
check "destruction record Destroy/physical" grep -q '"category":"Destroy"' last
check "destruction record physical" grep -q '"kind":"physical"' last
nrec=$(wc -l <L)
out=$("$FUIN" ledger verify --dir K L 2>&1); rc=$?
check "ledger verifies all $nrec records" test "$rc" -eq 0 -a "$out" = "L: OK: $nrec records"
out=$("$FUIN" ledger verify --json --dir K L); rc=$?
check "verify --json ok" grep -q '"ok":true' <<<"$out"

"$FUIN" ledger export --csv L >csv; rc=$?
check "export csv exit 0" test "$rc" -eq 0
check "csv has asset id" grep -q 'A-1' csv
"$FUIN" ledger export --html L >html; rc=$?
check "export html exit 0" test "$rc" -eq 0
check "html has asset id" grep -q 'A-1' html
check "html has 消去証明書" grep -q '消去証明書' html
check "html has 廃棄記録" grep -q '廃棄記録' html
"$FUIN" ledger export --json L >json; rc=$?
check "export json exit 0" test "$rc" -eq 0 -a -s json

# Verify with no key at all: the records are untrusted.
"$FUIN" ledger verify --dir /nonexistent L >/dev/null 2>&1; rc=$?
check "verify without the operator key exit 1" test "$rc" -eq 1

# One edited byte in record 1.
cp L L.bad
python3 - L.bad <<'PY' 2>/dev/null || sed -i '1s/"A-1"/"A-2"/' L.bad
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
i = b.index(b'"A-1"')
b[i + 3] = ord('2')
open(p, 'wb').write(b)
PY
out=$("$FUIN" ledger verify --dir K L.bad 2>&1); rc=$?
check "edited ledger exit 1" test "$rc" -eq 1
check "edited ledger names line 1" grep -q 'line 1' <<<"$out"

# Torn last line.
cp L L.torn
printf '{"record_id":"00' >>L.torn
out=$("$FUIN" ledger verify --dir K L.torn 2>&1); rc=$?
check "torn ledger exit 1" test "$rc" -eq 1
check "torn ledger reported" grep -qi 'torn' <<<"$out"
printf 'FUIN-CANARY-torn' | dd of=img bs=1 seek=2000000 conv=notrunc status=none
"$FUIN" wipe --class C1 --yes --dir K --passphrase-file pw --ledger L.torn "$dev" >/dev/null 2>err; rc=$?
check "wipe with a torn ledger exit 3" test "$rc" -eq 3
check "torn ledger refusal message" grep -q 'ledger cannot take a record, nothing wiped' err
check "torn ledger: nothing wiped" test "$(grep -ac FUIN-CANARY-torn img)" -eq 1
# An append that fails after the wipe is loud and non-zero.
cp L L.ro && chattr +i L.ro 2>/dev/null && {
    echo data > f3
    "$FUIN" wipe --yes --dir K --passphrase-file pw --ledger L.ro f3 >/dev/null 2>err; rc=$?
    check "append failure exit non-zero" test "$rc" -ne 0
    check "append failure is loud" grep -q 'LEDGER APPEND FAILED' err
    chattr -i L.ro
}

# The wipe has started writing once the canary at byte 0 is gone (the
# loop device writes through the backing file's page cache).
plant0() {
    printf 'FUIN-CANARY-START' | dd of=img bs=1 conv=notrunc status=none
}
wait_started() {
    local i
    for i in $(seq 200); do
        head -c 32 img | grep -aq FUIN-CANARY-START || return 0
        sleep 0.05
    done
    echo "note: wipe did not start within 10 s"
}

# Interruptions: SIGINT is recorded as interrupted; SIGKILL leaves no
# record; either way the ledger verifies and no success is claimed.
cp L L.int
n_before=$(wc -l <L.int)
plant0
"$FUIN" wipe --class C1 --yes --passes 64 --dir K --passphrase-file pw --ledger L.int "$dev" >/dev/null 2>err &
pid=$!
wait_started
kill -INT "$pid"
wait "$pid"; rc=$?
check "SIGINT wipe exit 1" test "$rc" -eq 1
check "SIGINT: one record added" test "$(wc -l <L.int)" -eq $((n_before + 1))
check "SIGINT: record says interrupted" grep -q '"result":"interrupted"' <(tail -n1 L.int)
out=$("$FUIN" ledger verify --dir K L.int 2>&1); rc=$?
check "SIGINT: ledger verifies" test "$rc" -eq 0 -a "$out" = "L.int: OK: $((n_before + 1)) records"
cp L L.kill
plant0
"$FUIN" wipe --class C1 --yes --passes 64 --dir K --passphrase-file pw --ledger L.kill "$dev" >/dev/null 2>&1 &
pid=$!
wait_started
kill -KILL "$pid"
wait "$pid" 2>/dev/null
out=$("$FUIN" ledger verify --dir K L.kill 2>&1); rc=$?
check "SIGKILL: ledger verifies, no record added" test "$rc" -eq 0 -a "$out" = "L.kill: OK: $n_before records"

# Usage errors.
"$FUIN" wipe --method bogus "$dev" >/dev/null 2>&1; rc=$?
check "bad --method exit 2" test "$rc" -eq 2
"$FUIN" wipe --passes 0 "$dev" >/dev/null 2>&1; rc=$?
check "bad --passes exit 2" test "$rc" -eq 2
"$FUIN" wipe >/dev/null 2>&1; rc=$?
check "no target exit 2" test "$rc" -eq 2
"$FUIN" ledger export L >/dev/null 2>&1; rc=$?
check "export without format exit 2" test "$rc" -eq 2
"$FUIN" ledger record-destruction --how x --dir K --ledger L >/dev/null 2>&1; rc=$?
check "record-destruction without --asset exit 2" test "$rc" -eq 2

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || exit 1
exit 0
