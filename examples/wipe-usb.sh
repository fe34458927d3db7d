#!/usr/bin/env bash
# Scenario 3: a USB stick that held 機密性2 files is wiped before it is
# thrown away (policy §2.4.1(7), §2.6.3(5)): the member of staff asks, a
# manager (never the one who asked) approves, the stick is wiped and read
# back, and the signed disposal record prints as a certificate (HTML).
# A loop device stands in for the stick: needs root and losetup.
. "$(dirname "$0")/common.sh"
if [ "$(id -u)" != 0 ] || ! command -v losetup >/dev/null; then
    echo "scenario 3 (wipe a USB stick) SKIPPED: it needs root and losetup for its stand-in loop device"
    exit 0
fi
org_setup
cd "$EX"
mkdir -p out3
truncate -s 16M out3/usb.img
dev=$(losetup -f --show out3/usb.img) || {
    echo "scenario 3 (wipe a USB stick) SKIPPED: no loop device could be attached here"
    exit 0
}
on_exit "losetup -d '$dev' 2>/dev/null || true"
printf 'FUIN-DEMO: 人事評価（機密性2）' | dd of="$dev" bs=1 seek=1048576 conv=notrunc status=none
say "the stand-in USB stick is $dev (16 MiB), with a 機密性2 file's text on it"

step "1. 山田 asks for the disposal of USB-001 (who asks never approves)"
as yamada request disposal --asset USB-001 --class C2 --reason '貸与期間終了のため廃棄' \
    --store "$EX/yamada/store" --passphrase-file "$EX/yamada/pass" -o "$EX/out3/USB-001.request"
rc=0
HOME=$EX/yamada "$FUIN" approve "$EX/out3/USB-001.request" --store "$EX/yamada/store" \
    --passphrase-file "$EX/yamada/pass" >out3/self.out 2>&1 || rc=$?
[ "$rc" -ne 0 ] || { echo "example: the requester approved her own request" >&2; exit 1; }
say "山田 cannot approve it herself (exit $rc): $(said out3/self.out)"

step "2. 管理 (a manager) reads the request and approves it"
as kanri approve "$EX/out3/USB-001.request" --store "$EX/kanri/store" --passphrase-file "$EX/kanri/pass"

step "3. 山田 wipes the stick with the approval, with 佐藤 as witness; every byte is read back"
as yamada wipe --approval "$EX/out3/USB-001.request" --asset USB-001 --witness "$SATO" --yes \
    --store "$EX/yamada/store" --passphrase-file "$EX/yamada/pass" "$dev"
if grep -aq 'FUIN-DEMO' out3/usb.img; then echo "example: the text is still on the stick" >&2; exit 1; fi
say "the stick no longer holds the text (searched the whole image)"

step "4. The disposal record: the ledger verifies, and prints as a certificate"
as yamada ledger verify
HOME=$EX/yamada "$FUIN" ledger export --html >out3/消去証明書.html
for want in USB-001 "$KANRI" "$SATO" "$YAMADA"; do
    grep -q "$want" out3/消去証明書.html || { echo "example: the certificate lacks $want" >&2; exit 1; }
done
say "out3/消去証明書.html: $(wc -c <out3/消去証明書.html) bytes, names the asset USB-001, the approver $KANRI and the witness $SATO"
[ -n "${EX_KEEP:-}" ] && cp out3/消去証明書.html "$EX_KEEP/" && say "kept a copy: $EX_KEEP/消去証明書.html"

step "5. The approval is spent: the same request cannot wipe again"
rc=0
HOME=$EX/yamada "$FUIN" wipe --approval "$EX/out3/USB-001.request" --asset USB-001 --yes \
    --store "$EX/yamada/store" --passphrase-file "$EX/yamada/pass" "$dev" >out3/again.out 2>&1 || rc=$?
[ "$rc" -ne 0 ] || { echo "example: a spent approval wiped again" >&2; exit 1; }
say "refused (exit $rc): $(said out3/again.out)"
echo
echo "scenario 3 (wipe a USB stick) finished"
