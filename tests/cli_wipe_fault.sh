#!/usr/bin/env bash
# fuin wipe on a device that fails in the middle.  This kernel has no
# device-mapper, so the "error target" is tests/fuse_baddisk: a FUSE file
# whose reads and/or writes in a byte range fail with EIO, under a loop
# device.  The wipe must fail with exit 4, name the device and the offset,
# and leave a signed "failure" record in a ledger that verifies; a control
# device without faults is wiped and recorded as a success.
# Needs root, /dev/fuse, losetup and fuse_baddisk (exit 77 with SKIP
# otherwise).
set -u

# shellcheck source=tests/harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

if [ -z "${FUIN:-}" ] || [ ! -x "$FUIN" ]; then
    echo "FAIL: FUIN must name the fuin program"; exit 1
fi
if [ -z "${FUIN_FUSE_BADDISK:-}" ] || [ ! -x "$FUIN_FUSE_BADDISK" ]; then
    echo "SKIP: cli_wipe_fault: fuse_baddisk was not built (pkg-config found no fuse3: install libfuse3-dev and fuse3, see scripts/deps.sh)"
    exit 77
fi
if [ "$(id -u)" != 0 ] || ! command -v losetup >/dev/null; then
    echo "SKIP: cli_wipe_fault needs root and losetup"; exit 77
fi
if [ ! -c /dev/fuse ]; then
    echo "SKIP: cli_wipe_fault needs /dev/fuse"; exit 77
fi

size=$((64 * 1024 * 1024))
buf=$((4 * 1024 * 1024)) # the engine's I/O unit (BUF_SIZE in lib/wipe/wipe.c)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fuin-cli-wipe-fault.XXXXXX") || exit 1
loops=()
mnts=()
pids=()
cleanup() {
    local l m p _
    for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done
    for m in "${mnts[@]}"; do
        # A detached loop device lets go of its file a moment later.
        for _ in $(seq 50); do
            fusermount3 -u "$m" 2>/dev/null || umount "$m" 2>/dev/null || {
                sleep 0.1; continue; }
            break
        done
        mountpoint -q "$m" 2>/dev/null && umount -l "$m" 2>/dev/null
    done
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
cd "$tmp" || exit 1
export HOME=$tmp/home
mkdir -p "$HOME"

echo 'correct horse battery staple 2026' > pw
"$FUIN" key new --name 'テスト 担当' --dir K --passphrase-file pw >/dev/null 2>&1
check "operator key made" test -f K/sign.key -a -f K/card.pub

# mk_disk NAME DIO [fuse_baddisk options]: mount a faulty disk on NAME,
# plant canaries at the first and last sectors, attach a loop device with
# direct I/O DIO (on|off).  Sets $mnt and $dev.
mk_disk() {
    local name=$1 dio=$2 _
    shift 2
    mnt=$tmp/$name
    mkdir "$mnt"
    "$FUIN_FUSE_BADDISK" "$mnt" -f --size "$size" "$@" 2>"$name.log" &
    pids+=($!)
    mnts+=("$mnt")
    for _ in $(seq 100); do
        [ -e "$mnt/disk" ] && break
        kill -0 "${pids[-1]}" 2>/dev/null || break
        sleep 0.1
    done
    if [ ! -e "$mnt/disk" ]; then
        echo "SKIP: fuse_baddisk could not mount here: $(head -c 300 "$name.log")"
        exit 77
    fi
    plant "$mnt/disk" 0
    plant "$mnt/disk" $((size - 512))
    dev=$(losetup -f --show --direct-io="$dio" "$mnt/disk") || {
        echo "SKIP: losetup over a FUSE file failed (no loop devices?)"; exit 77; }
    loops+=("$dev")
}
plant() { # plant FILE OFFSET
    printf 'FUIN-CANARY-%08d' "$2" |
        dd of="$1" bs=64 seek="$2" oflag=seek_bytes conv=notrunc status=none
}
has_canary() { # has_canary FILE OFFSET
    dd if="$1" bs=64 count=1 skip="$2" iflag=skip_bytes status=none |
        grep -aq "FUIN-CANARY-$(printf %08d "$2")"
}
lacks_canary() { ! has_canary "$@"; }
lacks() { ! grep -q "$1" "$2"; } # lacks PATTERN FILE
stat_of() { # stat_of MNT read|write: requests the disk failed
    awk -v k="$2_errors" '$1 == k { print $2 + 0 }' "$1/stats"
}
# The wipe under test; a hang (e.g. the keystream thread never stopped
# after a failure) fails the test instead of stalling it.  Labelled C1:
# unlabelled media count as 機密性2, which needs an approved request
# (tested in cli_approve.sh), not the subject here.
wipe() {
    timeout 300 "$FUIN" wipe --yes --class C1 --dir K --passphrase-file pw --ledger L "$@" >out 2>err
}
nrec=0

# (1) Write errors in the middle third.  The engine writes 4 MiB O_DIRECT
# buffers; a failed block-device direct write fails as a whole, so the
# offset reported is the start of the buffer holding the first bad byte.
a=$((size / 3)) b=$((size * 2 / 3))
want=$((a / buf * buf))
mk_disk w off --error-start "$a" --error-end "$b" --ops write
wipe --method zero "$dev"; rc=$?
nrec=$((nrec + 1))
check "write fault: exit 4 (I/O)" test "$rc" -eq 4
check "write fault: one error line naming device and offset" \
    test "$(grep -c 'wipe failed' err)" -eq 1
check "write fault: error line text" grep -qx \
    "fuin: wipe: $dev: wipe failed: $dev: write failed at byte $want: Input/output error" err
check "write fault: no success on stdout" lacks "wiped:" out
check "write fault: says recorded as failure" grep -q "^fuin: wipe: $dev: recorded as failure, record " err
check "write fault: one record" test "$(wc -l <L)" -eq "$nrec"
tail -n1 L >last
check "write fault: record result failure" grep -qF '"result":"failure"' last
check "write fault: record error has the offset" \
    grep -qF "\"errors\":[\"$dev: write failed at byte $want: Input/output error\"]" last
check "write fault: record names the device" grep -qF "\"path\":\"$dev\"" last
check "write fault: nothing verified" grep -qF '"verify":{"bytes":0,"mode":"full"}' last
check "write fault: the disk saw write errors" test "$(stat_of "$mnt" write)" -ge 1
check "write fault: and no read errors" test "$(stat_of "$mnt" read)" -eq 0
check "write fault: everything before the bad buffer is zero" \
    cmp -s -n "$want" "$mnt/disk" /dev/zero
# The engine stops at the first failure: the last sector is untouched,
# and the record claims nothing for it.
check "write fault: canary at byte 0 gone" lacks_canary "$mnt/disk" 0
check "write fault: last sector not reached" has_canary "$mnt/disk" $((size - 512))
out=$("$FUIN" ledger verify --dir K L 2>&1); rc=$?
check "write fault: ledger verifies" test "$rc" -eq 0 -a "$out" = "L: OK: $nrec records"

# (2) Read errors only: every write succeeds, the read-back fails at the
# first bad buffer.  A read error is an I/O failure (4), not a mismatch (1).
mk_disk r off --error-start "$a" --error-end "$b" --ops read
wipe --method zero "$dev"; rc=$?
nrec=$((nrec + 1))
check "read fault: exit 4 (I/O)" test "$rc" -eq 4
check "read fault: one error line" test "$(grep -c 'wipe failed' err)" -eq 1
check "read fault: error line text" grep -qx \
    "fuin: wipe: $dev: wipe failed: $dev: read failed during verification at byte $want: Input/output error" err
check "read fault: no success on stdout" lacks "wiped:" out
check "read fault: one more record" test "$(wc -l <L)" -eq "$nrec"
tail -n1 L >last
check "read fault: record result failure" grep -qF '"result":"failure"' last
check "read fault: record error has the offset" \
    grep -qF "\"errors\":[\"$dev: read failed during verification at byte $want: Input/output error\"]" last
check "read fault: record counts what was verified" \
    grep -qF "\"verify\":{\"bytes\":$want,\"mode\":\"full\"}" last
check "read fault: the disk saw read errors" test "$(stat_of "$mnt" read)" -ge 1
check "read fault: and no write errors" test "$(stat_of "$mnt" write)" -eq 0
check "read fault: canary at byte 0 gone" lacks_canary "$mnt/disk" 0
check "read fault: canary in the last sector gone" \
    lacks_canary "$mnt/disk" $((size - 512))
out=$("$FUIN" ledger verify --dir K L 2>&1); rc=$?
check "read fault: ledger verifies" test "$rc" -eq 0 -a "$out" = "L: OK: $nrec records"

# (3) Control: the same kind of device without a fault.
mk_disk c off
wipe --method zero "$dev"; rc=$?
nrec=$((nrec + 1))
check "control: exit 0" test "$rc" -eq 0
check "control: says wiped" grep -qx "$dev: wiped: $size bytes written, $size verified, Clear" out
check "control: no error line" lacks "wipe failed" err
tail -n1 L >last
check "control: record success" grep -qF '"result":"success"' last
check "control: record has no errors" grep -qF '"errors":[]' last
check "control: record verified every byte" \
    grep -qF "\"verify\":{\"bytes\":$size,\"mode\":\"full\"}" last
check "control: no faults injected" \
    test "$(stat_of "$mnt" read)" -eq 0 -a "$(stat_of "$mnt" write)" -eq 0
check "control: the whole disk is zero" cmp -s -n "$size" "$mnt/disk" /dev/zero

# (4) The default ChaCha20 method (keystream made on another thread), one
# bad byte in the 16th buffer, direct I/O on the loop device: the failure
# must stop the generator, not hang, and be recorded.
a=$((size - 3 * 1024 * 1024 + 1234))
want=$((a / buf * buf))
mk_disk x on --error-start "$a" --error-end $((a + 1)) --ops both
losetup -n -O DIO "$dev" | grep -q 1 || echo "note: the kernel kept $dev without direct I/O"
wipe "$dev"; rc=$?
nrec=$((nrec + 1))
check "random, one bad byte: exit 4, no hang" test "$rc" -eq 4
check "random, one bad byte: error line text" grep -qx \
    "fuin: wipe: $dev: wipe failed: $dev: write failed at byte $want: Input/output error" err
tail -n1 L >last
check "random, one bad byte: record failure" grep -qF '"result":"failure"' last
check "random, one bad byte: record error has the offset" \
    grep -qF "write failed at byte $want: Input/output error\"]" last
check "random, one bad byte: exactly one failed request" test "$(stat_of "$mnt" write)" -eq 1

out=$("$FUIN" ledger verify --dir K L 2>&1); rc=$?
check "ledger verifies all $nrec records" test "$rc" -eq 0 -a "$out" = "L: OK: $nrec records"
out=$("$FUIN" ledger show L); rc=$?
check "ledger show exit 0" test "$rc" -eq 0
check "ledger show: 3 failures" test "$(grep -cP '\tfailure$' <<<"$out")" -eq 3
check "ledger show: 1 success" test "$(grep -cP '\tsuccess$' <<<"$out")" -eq 1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || exit 1
exit 0
