#!/usr/bin/env bash
# Separation of duties for disposal (policy 2.2(8)): fuin request disposal,
# fuin approve, fuin wipe --approval.  File targets only, so no root needed.
set -u

# shellcheck source=tests/harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

if [ -z "${FUIN:-}" ] || [ ! -x "$FUIN" ]; then
    echo "FAIL: FUIN must name the fuin program"; exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fuin-cli-approve.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
export HOME=$tmp/home
mkdir -p "$HOME"

echo 'correct horse battery staple 2026' > pw
UNTIL=$(date -u -d '+100 days' +%Y-%m-%d)
ORG='テスト事務組合'
run ciso init --org "$ORG" --dir ciso --passphrase-file pw
expect_rc 0 "ciso init"
run key new --name '作業 太郎' --dir op --passphrase-file pw
expect_rc 0 "key new operator"
run key new --name '管理 花子' --dir mgr --passphrase-file pw
expect_rc 0 "key new manager"
run key new --name '職員 次郎' --dir staff2 --passphrase-file pw
expect_rc 0 "key new second staff"
run key new --name '無証明 三郎' --dir nocert --passphrase-file pw
expect_rc 0 "key new uncertified"
mkdir -p store/certs
cp ciso/root.pub store/
for who in op:staff mgr:manager staff2:staff; do
    d=${who%%:*} role=${who#*:}
    run ciso certify "$d/card.pub" -o "store/certs/$d.cert" --role "$role" \
        --until "$UNTIL" --dir ciso --passphrase-file pw
    expect_rc 0 "certify $d as $role"
done
cp store/certs/mgr.cert mgr/card.cert
cp store/certs/mgr.cert.minisig mgr/card.cert.minisig

# ---- request
run request disposal --asset PC-0042 --class C2-I2-A1 --reason 'lease return' \
    --dir op --passphrase-file pw -o req
expect_rc 0 "request disposal"
check "request: header line" test "$(sed -n 1p req)" = "fuin-disposal-request: 1"
check "request: asset line" test "$(sed -n 2p req)" = "asset: PC-0042"
check "request: canonical class" test "$(sed -n 3p req)" = "class: C2-I2-A1"
check "request: reason" test "$(sed -n 4p req)" = "reason: lease return"
check "request: requester" test "$(sed -n 5p req)" = "requester: 作業 太郎"
check "request: 8 lines" test "$(wc -l <req)" -eq 8
check "request: nonce is 16 hex" grep -qE '^nonce: [0-9a-f]{16}$' req
check "request: trusted comment" grep -qx 'trusted comment: fuin-disposal-request asset:PC-0042' req.minisig
run request disposal --asset PC-0042 --class C2 --dir op --passphrase-file pw -o req
expect_rc 5 "request over an existing file"
run request disposal --asset PC-0042 --class C9 --dir op --passphrase-file pw -o req2
expect_rc 2 "request with a bad label"
check "bad label: nothing written" test ! -e req2 -a ! -e req2.minisig

# ---- approve
run approve req --dir op --passphrase-file pw --store store
expect_rc 1 "approve by the requester"
check "requester: never approves" grep -q 'never approves' err
check "requester: no approval written" test ! -e req.approval
run approve req --dir staff2 --passphrase-file pw --store store
expect_rc 1 "approve by a staff-role key"
check "staff: only a manager approves" grep -q 'only a manager approves' err
check "staff: no approval written" test ! -e req.approval
run approve req --dir nocert --passphrase-file pw --store store
expect_rc 1 "approve by an uncertified key"
check "uncertified: no approval written" test ! -e req.approval
run approve req --dir mgr --passphrase-file pw
expect_rc 2 "approve without a trust store"
# The request is shown before the approver's passphrase is asked: here
# there is no terminal to ask on, and the summary is already there.
setsid "$FUIN" approve req --dir mgr --store store </dev/null >out 2>err; rc=$?
expect_rc 2 "approve without a terminal"
check "approve shows the request first" test "$(sed -n 1p err)" = "fuin: approve: req: request to approve:"
check "approve shows the kind" grep -qx '  kind:      disposal (消去・廃棄)' err
check "approve shows the asset" grep -qx '  asset:     PC-0042' err
check "approve shows the class" grep -qx '  class:     C2-I2-A1' err
check "approve shows the requester" grep -qE '^  requester: 作業 太郎 \(key [0-9A-F]{16}\)$' err
check "approve shows the reason" grep -qx '  reason:    lease return' err
check "approve shows when" grep -qE '^  requested: [0-9T:-]+Z$' err
check "the passphrase is asked only after" grep -q 'no terminal' <(tail -n1 err)
check "no approval without the passphrase" test ! -e req.approval
run approve req --dir mgr --passphrase-file pw --store store
expect_rc 0 "approve by the manager"
check "approval written" test -s req.approval
check "approval trusted comment" grep -qE '^trusted comment: fuin-approval approver:管理 花子 key-id:[0-9A-F]{16} role:manager time:[0-9T:-]+Z$' req.approval
run approve req --dir mgr --passphrase-file pw --store store
expect_rc 5 "approve twice"

# ---- wipe --approval
printf 'SECRET-CANARY-1\n' > t1
run wipe --approval req --store store --asset PC-0042 --ledger L --dir op \
    --passphrase-file pw --yes t1
expect_rc 0 "wipe with approval"
check "wiped file gone" test ! -e t1
run ledger show --json L
expect_rc 0 "ledger show --json"
check "ledger has the approver" grep -qE '"approver": ?"管理 花子 \([0-9A-F]{16}\)"' out
check "the record has the request's class" grep -qE '"class": ?"C2-I2-A1"' out
check "the record names the request" grep -qE "\"request\": ?\"$(sha256sum req | cut -c1-64)\"" out

# An approval is good for one disposal.
printf 'SECRET-CANARY-R\n' > tr
cp L L.once
run wipe --approval req --store store --asset PC-0042 --ledger L --dir op \
    --passphrase-file pw --yes tr
expect_rc 1 "second wipe with the same approval"
check "reused approval: says so" grep -q 'this approval was already used (wipe of PC-0042 by 作業 太郎 ([0-9A-F]\{16\}) started [0-9T:-]*Z, ledger L); a new request is needed; nothing done' err
# Another ledger does not make the approval new: the trust store keeps
# the approvals used.
run wipe --approval req --store store --asset PC-0042 --ledger L.other --dir op \
    --passphrase-file pw --yes tr
expect_rc 1 "reused approval with another --ledger"
check "another --ledger: says so" grep -q 'this approval was already used' err
check "another --ledger: no new ledger" test ! -e L.other
check "another --ledger: file intact" grep -q SECRET-CANARY-R tr
check "the store records the used approval" test -s "store/used/$(sha256sum req | cut -c1-64)"
# Without the store's record the ledger still knows (and says which record).
mv "store/used/$(sha256sum req | cut -c1-64)" used.saved
run wipe --approval req --store store --asset PC-0042 --ledger L --dir op \
    --passphrase-file pw --yes tr
expect_rc 1 "reused approval, store record removed: the ledger refuses"
check "ledger refusal names the record" grep -q 'this approval was already carried out (record [0-9a-f]\{16\}, seq 1)' err
mv used.saved "store/used/$(sha256sum req | cut -c1-64)"

check "reused approval: file intact" test "$(cat tr)" = SECRET-CANARY-R
check "reused approval: no record" cmp -s L L.once

# The approval is for the class the manager saw: a different --class is
# refused before anything is erased.
printf 'SECRET-CANARY-C\n' > tc
run wipe --approval req --store store --asset PC-0042 --class C1 --ledger L --dir op \
    --passphrase-file pw --yes tc
expect_rc 1 "wipe with --class other than the request's"
check "other class: named" grep -q 'request is for class C2-I2-A1, not --class C1-I1-A1; nothing done' err
check "other class: file intact" test "$(cat tc)" = SECRET-CANARY-C

printf 'SECRET-CANARY-2\n' > t2
run wipe --approval req --store store --asset PC-9999 --ledger L --dir op \
    --passphrase-file pw --yes t2
expect_rc 1 "wipe with approval for another asset"
check "wrong asset: file intact" test "$(cat t2)" = SECRET-CANARY-2
check "wrong asset: names the asset" grep -q 'PC-0042' err
# The approval is checked before anything is asked: with no terminal, no
# --yes and no passphrase file the answer is still the approval's.
setsid "$FUIN" wipe --approval req --store store --asset PC-9999 --ledger L --dir op \
    t2 </dev/null >out 2>err; rc=$?
expect_rc 1 "wrong asset refused before confirmation and passphrase"
one_line_err "wrong asset, before anything is asked" 'request is for asset PC-0042, not --asset PC-9999; nothing done'

run wipe --approval req --store store --asset PC-0042 --ledger L --dir staff2 \
    --passphrase-file pw --yes t2
expect_rc 1 "wipe by someone other than the requester"
check "other operator: file intact" test "$(cat t2)" = SECRET-CANARY-2

cp req req.orig
sed -i 's/^reason: lease return$/reason: lease returm/' req
run wipe --approval req --store store --asset PC-0042 --ledger L --dir op \
    --passphrase-file pw --yes t2
expect_rc 1 "wipe with a tampered request"
check "tampered: file intact" test "$(cat t2)" = SECRET-CANARY-2
cp req.orig req

# An approval made by the requester's own key (forged by hand) is refused.
cp req.approval req.approval.good
cp req self
"$FUIN" sign --dir op --passphrase-file pw --store store self >/dev/null 2>&1
check "self-made approval signed" test -s self.minisig
mv self.minisig req.approval
run wipe --approval req --store store --asset PC-0042 --ledger L --dir op \
    --passphrase-file pw --yes t2
expect_rc 1 "wipe with a self-made approval"
check "self-made approval: why" grep -q 'req: approval: not a fuin approval' err
check "self approval: file intact" test "$(cat t2)" = SECRET-CANARY-2
cp req.approval.good req.approval

rm req.approval
run wipe --approval req --store store --asset PC-0042 --ledger L --dir op \
    --passphrase-file pw --yes t2
check "wipe without REQUEST.approval fails" test "$rc" -ne 0
check "no approval: file intact" test "$(cat t2)" = SECRET-CANARY-2
cp req.approval.good req.approval

run ledger verify --dir op L
expect_rc 0 "ledger verifies"

# ---- physical destruction is disposal of media too: same rules
cp L L.pre
run ledger record-destruction --asset PC-0042 --how 'crushed' --class C2 --ledger L \
    --dir op --passphrase-file pw
expect_rc 1 "destruction of 機密性2 media without approval"
check "destruction without approval: rule named" grep -q '\[class.C2\] wipe_approval = required' err
check "destruction without approval: no record" cmp -s L L.pre
run ledger record-destruction --asset PC-9999 --how 'crushed' --approval req --store store \
    --ledger L --dir op --passphrase-file pw
expect_rc 1 "destruction with an approval for another asset"
check "destruction, wrong asset: no record" cmp -s L L.pre
run ledger record-destruction --asset PC-0042 --how 'crushed' --approval req --store store \
    --ledger L --dir staff2 --passphrase-file pw
expect_rc 1 "destruction recorded by someone other than the requester"
check "destruction, other operator: no record" cmp -s L L.pre
run ledger record-destruction --asset PC-0042 --how 'crushed' --approval req --store store \
    --ledger L --dir op --passphrase-file pw
expect_rc 1 "destruction with an approval already carried out by a wipe"
check "used approval: says so" grep -q 'req: this approval was already used (wipe of PC-0042 by ' err
check "used approval: no record" cmp -s L L.pre
run request disposal --asset PC-0042 --class C2 --reason 'scrap' --dir op --passphrase-file pw -o reqd
expect_rc 0 "request disposal for the destruction"
run approve reqd --dir mgr --passphrase-file pw --store store
expect_rc 0 "approve the destruction"
run ledger record-destruction --asset PC-0042 --how 'crushed' --approval reqd --store store \
    --ledger L --dir op --passphrase-file pw
expect_rc 0 "destruction with approval"
check "destruction: one record added" test "$(wc -l <L)" -eq $(($(wc -l <L.pre) + 1))
tail -n1 L >last
check "destruction record: approver" grep -qE '"approver":"管理 花子 \([0-9A-F]{16}\)"' last
check "destruction record: category Destroy" grep -q '"category":"Destroy"' last
run ledger verify --dir op L
expect_rc 0 "ledger verifies after the destruction"

# ---- a revoked or expired manager cannot approve (issue 4)
# Every refusal below happens before anything is erased: the canary file
# keeps its bytes and the ledger stays exactly as it was.
cp L L.before
MGRKEY=$(sed -n 's/^minisign-key-id: //p' mgr/card.pub)
check "manager key id read" test "${#MGRKEY}" -eq 16

# (b) approved while the manager was valid, then the manager is revoked:
# the approval no longer counts.
run ciso revoke "$MGRKEY" --reason 'left the office' --dir ciso --passphrase-file pw
expect_rc 0 "revoke the manager"
cp ciso/revoked.txt ciso/revoked.txt.minisig store/
printf 'SECRET-CANARY-3\n' > t3
run wipe --approval req --store store --asset PC-0042 --ledger L --dir op \
    --passphrase-file pw --yes t3
expect_rc 1 "wipe with an approval by a since revoked manager"
check "revoked approver: file intact" test "$(cat t3)" = SECRET-CANARY-3
check "revoked approver: no record appended" cmp -s L L.before
check "revoked approver: the approver's key is named" grep -q "approver key $MGRKEY" err

# (a) the revoked manager approves a new request: refused, nothing written.
run request disposal --asset PC-0043 --class C3 --reason 'repair' \
    --dir op --passphrase-file pw -o req3
expect_rc 0 "request disposal of PC-0043"
run approve req3 --dir mgr --passphrase-file pw --store store
expect_rc 1 "approve by a revoked manager (certificate in DIR)"
check "revoked manager: says revoked, when and why" \
    grep -Eq "key $MGRKEY revoked on [0-9T:-]+Z: left the office" err
check "revoked manager: no approval written" test ! -e req3.approval
# Without card.cert in DIR the certificate comes from the store, where a
# revoked key has no valid certificate either.
mv mgr/card.cert mgr/card.cert.off
run approve req3 --dir mgr --passphrase-file pw --store store
expect_rc 1 "approve by a revoked manager (certificate from the store)"
check "revoked manager, store: no valid certificate" grep -q "your key $MGRKEY has no valid certificate" err
check "revoked manager, store: no approval written" test ! -e req3.approval
mv mgr/card.cert.off mgr/card.cert

# (c) an expired manager certificate: valid for two seconds, used after.
run key new --name '期限 切子' --dir mgr2 --passphrase-file pw
expect_rc 0 "key new short-lived manager"
SHORT=$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)
run ciso certify mgr2/card.pub -o store/certs/mgr2.cert --role manager \
    --until "$SHORT" --dir ciso --passphrase-file pw
expect_rc 0 "certify a manager for two seconds"
cp store/certs/mgr2.cert mgr2/card.cert
cp store/certs/mgr2.cert.minisig mgr2/card.cert.minisig
sleep 3
run approve req3 --dir mgr2 --passphrase-file pw --store store
expect_rc 1 "approve by a manager whose certificate expired"
check "expired manager: says expired" grep -Eq "certificate expired on $SHORT" err
check "expired manager: no approval written" test ! -e req3.approval
mv mgr2/card.cert mgr2/card.cert.off
run approve req3 --dir mgr2 --passphrase-file pw --store store
expect_rc 1 "approve by an expired manager (certificate from the store)"
check "expired manager, store: no approval written" test ! -e req3.approval
mv mgr2/card.cert.off mgr2/card.cert

# (c') approved while valid, wiped after the manager's certificate ended:
# faketime moves the wipe 60 days on, past the manager's 30 days but
# within the operator's 300.  faketime works by LD_PRELOAD, which
# AddressSanitizer refuses unless told not to check the link order.
if command -v faketime >/dev/null; then
    run key new --name '作業 四郎' --dir op4 --passphrase-file pw
    expect_rc 0 "key new long-lived operator"
    run key new --name '管理 五郎' --dir mgr5 --passphrase-file pw
    expect_rc 0 "key new 30-day manager"
    run ciso certify op4/card.pub -o store/certs/op4.cert --role staff \
        --until "$(date -u -d '+300 days' +%Y-%m-%d)" --dir ciso --passphrase-file pw
    expect_rc 0 "certify the operator for 300 days"
    run ciso certify mgr5/card.pub -o store/certs/mgr5.cert --role manager \
        --until "$(date -u -d '+30 days' +%Y-%m-%d)" --dir ciso --passphrase-file pw
    expect_rc 0 "certify the manager for 30 days"
    run request disposal --asset PC-0044 --class C2 --reason 'lease return' \
        --dir op4 --passphrase-file pw -o req4
    expect_rc 0 "request disposal of PC-0044"
    run approve req4 --dir mgr5 --passphrase-file pw --store store
    expect_rc 0 "approve by the 30-day manager while valid"
    printf 'SECRET-CANARY-4\n' > t4
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        faketime -f '+60d' "$FUIN" wipe --approval req4 --store store --asset PC-0044 \
        --ledger L --dir op4 --passphrase-file pw --yes t4 </dev/null >out 2>err
    rc=$?
    expect_rc 1 "wipe after the approver's certificate expired"
    check "expired approver: file intact" test "$(cat t4)" = SECRET-CANARY-4
    check "expired approver: no record appended" cmp -s L L.before
    check "expired approver: the approver is named" grep -q 'approver key' err
    # The same approval, today, is good (so the refusal above is the
    # expiry and nothing else).
    run wipe --approval req4 --store store --asset PC-0044 --ledger L --dir op4 \
        --passphrase-file pw --yes t4
    expect_rc 0 "the same approval while the approver is valid"
    check "valid approver: file wiped" test ! -e t4
else
    echo "SKIP: faketime not installed: the approval-outlived-by-expiry case was not run"
fi

if [ -e op4/sign.pub ]; then
    run ledger verify --dir op --key op4/sign.pub L
else
    run ledger verify --dir op L
fi
expect_rc 0 "ledger still verifies"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
