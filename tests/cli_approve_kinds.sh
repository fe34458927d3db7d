#!/usr/bin/env bash
# Approvals of every kind (issue 13): fuin request provide|carry|exception,
# fuin approve (role from the policy), fuin approve --check, and the
# provide approval that fuin encrypt and fuin pack demand for information
# leaving for someone outside, bound into the header / manifest.
# Every bad approval: forged, reused, expired, self-approved, wrong kind,
# wrong object, wrong role, revoked approver.
set -u

# shellcheck source=tests/harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
sandbox approve-kinds

echo 'correct horse battery staple 2026' > pw
UNTIL=$(date -u -d '+100 days' +%Y-%m-%d)
ORG='テスト事務組合'
run ciso init --org "$ORG" --dir ciso --passphrase-file pw
expect_rc 0 "ciso init"
for who in op:'作業 太郎' mgr:'管理 花子' boss:'最高 責任者' staff2:'職員 次郎' nocert:'無証明 三郎'; do
    run key new --name "${who#*:}" --dir "${who%%:*}" --passphrase-file pw
    expect_rc 0 "key new ${who%%:*}"
done
mkdir -p store/certs
cp ciso/root.pub store/
for who in op:staff mgr:manager boss:ciso staff2:staff; do
    d=${who%%:*} role=${who#*:}
    run ciso certify "$d/card.pub" -o "store/certs/$d.cert" --role "$role" \
        --until "$UNTIL" --dir ciso --passphrase-file pw
    expect_rc 0 "certify $d as $role"
done
check "a ciso certificate says role: ciso" grep -qx 'role: ciso' store/certs/boss.cert
# The policy: providing 機密性2 and above to someone outside needs approval.
printf '[organisation]\nname = %s\n[approval]\nprovide = C2\nmax_days = 20\n' "$ORG" >store/policy.ini
run ciso sign-policy store/policy.ini --dir ciso --passphrase-file pw
expect_rc 0 "sign-policy"
S=(--store store)
# an outside recipient: an age key nobody certified
age-keygen -o outside.key 2>/dev/null || "$FUIN" keygen -o outside.key
OUT=$("$FUIN" keygen -y outside.key)
COLLEAGUE=$(sed -n 's/^age-recipient: //p' staff2/card.pub)

printf 'budget 2027, draft\n' > report.txt
printf 'another file\n' > other.txt
FILEOBJ="sha256:$(sha256sum report.txt | cut -c1-64)"

# ---- request provide
run request provide --file report.txt --class C2 --to '〇〇株式会社 <a@example.co.jp>' \
    --reason 'contract' --valid-days 5 --dir op --passphrase-file pw "${S[@]}" -o prov
expect_rc 0 "request provide"
check "provide: header" test "$(sed -n 1p prov)" = "fuin-request: 1"
check "provide: kind" test "$(sed -n 2p prov)" = "kind: provide"
check "provide: object is the file's sha256" test "$(sed -n 3p prov)" = "object: $FILEOBJ"
check "provide: canonical class" test "$(sed -n 4p prov)" = "class: C2-I1-A1"
check "provide: destination" test "$(sed -n 5p prov)" = "destination: 〇〇株式会社 <a@example.co.jp>"
check "provide: 12 lines" test "$(wc -l <prov)" -eq 12
check "provide: trusted comment" grep -qx "trusted comment: fuin-request kind:provide object:$FILEOBJ" prov.minisig
run request provide --file report.txt --class C2 --to X --valid-days 30 --dir op \
    --passphrase-file pw "${S[@]}" -o long
expect_rc 1 "request longer than max_days"
check "max_days: rule and origin named" grep -q 'store/policy.ini:5: \[approval\] max_days = 20' err
check "max_days: nothing written" test ! -e long -a ! -e long.minisig
run request provide --class C2 --to X --dir op --passphrase-file pw "${S[@]}" -o x
expect_rc 2 "provide without an object"
run request exception --class C2 --dir op --passphrase-file pw "${S[@]}" -o x
expect_rc 2 "exception without a reason"
check "usage errors: nothing written" test ! -e x

# ---- approve: who may
run approve prov --dir op --passphrase-file pw "${S[@]}"
expect_rc 1 "provide approved by the requester"
check "self: never approves" grep -q 'requested this provide: the person who asks for a permission never approves it' err
run approve prov --dir staff2 --passphrase-file pw "${S[@]}"
expect_rc 1 "provide approved by staff"
check "staff: role named with the rule" grep -q '職員 次郎 is certified as staff; only a manager approves a provide request of class C2-I1-A1 (\[approval\] provide_C2, built-in default)' err
run approve prov --dir boss --passphrase-file pw "${S[@]}"
expect_rc 1 "provide approved by the ciso (not the manager's role)"
check "ciso does not stand in for a manager" grep -q 'certified as ciso; only a manager approves' err
check "no approval written by refusals" test ! -e prov.approval
cp store/certs/mgr.cert mgr/card.cert
cp store/certs/mgr.cert.minisig mgr/card.cert.minisig
run approve prov --dir mgr --passphrase-file pw "${S[@]}"
expect_rc 0 "provide approved by the manager"
check "approve shows the object" grep -qx "  object:    $FILEOBJ" err
check "approve shows the destination" grep -qx '  to:        〇〇株式会社 <a@example.co.jp>' err
check "approve shows the validity" grep -qE '^  valid:     [0-9T:-]+Z to [0-9T:-]+Z$' err
check "approval comment names the role" grep -qE '^trusted comment: fuin-approval approver:管理 花子 key-id:[0-9A-F]{16} role:manager time:' prov.approval
ID=$(sha256sum prov | cut -c1-64)

# ---- approve --check (nothing used)
run approve --check --kind provide --file report.txt "${S[@]}" prov
expect_rc 0 "check: valid"
check "check: prints the id" grep -qx "approved provide $ID by 管理 花子 ([0-9A-F]*)" out
run approve --check --kind carry --file report.txt "${S[@]}" prov
expect_rc 1 "check: wrong kind"
check "wrong kind: named" grep -q 'request is a provide request, not carry' err
run approve --check --kind provide --file other.txt "${S[@]}" prov
expect_rc 1 "check: wrong object"
check "wrong object: named" grep -q 'approval is for another file (sha256:[0-9a-f]*), not sha256:' err
run approve --check --kind provide --file report.txt --at "$(day '+10 days')" "${S[@]}" prov
expect_rc 1 "check: expired"
check "expired: says when" grep -qE 'approval expired at [0-9T:-]+Z' err

# ---- forged
cp prov prov.good
sed -i 's/^destination: .*/destination: evil <e@example.com>/' prov
run approve --check --kind provide --file report.txt "${S[@]}" prov
expect_rc 1 "forged: edited request"
check "forged: signature named" grep -q 'prov.minisig: requester signature does not verify' err
cp prov.good prov
cp prov.approval prov.approval.good
cp prov.minisig prov.minisig.good
minisign -S -s nocert/sign.key -m prov -x prov.approval \
    -t "fuin-approval approver:無証明 三郎 key-id:0000000000000000 role:manager time:2026-01-01T00:00:00Z" <pw >/dev/null 2>&1
run approve --check --kind provide --file report.txt "${S[@]}" prov
expect_rc 1 "forged: approval by an uncertified key"
check "uncertified approver named" grep -q 'prov.approval: approver key [0-9A-F]* has no valid certificate in the trust store' err
OPKEY=$(sed -n 's/^minisign-key-id: //p' op/card.pub)
minisign -S -s op/sign.key -m prov -x prov.approval \
    -t "fuin-approval approver:作業 太郎 key-id:$OPKEY role:staff time:2026-01-01T00:00:00Z" <pw >/dev/null 2>&1
run approve --check --kind provide --file report.txt "${S[@]}" prov
expect_rc 1 "self-approved (forged with the requester's own key)"
check "self-approved: named" grep -q 'prov: approved by the requester' err
cp prov.approval.good prov.approval

# ---- encrypt: the policy demands the approval for an outside recipient
run encrypt -r "$OUT" --class C2 "${S[@]}" -o r.age report.txt
expect_rc 1 "encrypt C2 to an outside recipient without --approval"
check "no approval: rule and origin named" grep -q 'policy: store/policy.ini:4: \[approval\] provide = C2: encrypting of C2-I1-A1 information for a recipient outside' err
check "no approval: nothing written" test ! -e r.age
run encrypt -r "$COLLEAGUE" --class C2 "${S[@]}" -o c.age report.txt
expect_rc 0 "encrypt C2 to a certified colleague needs no approval"
run encrypt -r "$OUT" --class C1 "${S[@]}" -o c1.age report.txt
expect_rc 0 "encrypt C1 outside: below the rule"
run encrypt -r "$OUT" --class C2 --approval prov "${S[@]}" -o r.age other.txt
expect_rc 1 "encrypt another file under the approval"
check "encrypt wrong object: named" grep -q 'approval is for another file' err
check "encrypt wrong object: nothing written" test ! -e r.age
run encrypt -r "$OUT" --class C3 --approval prov "${S[@]}" -o r.age report.txt
expect_rc 1 "encrypt under the approval with another class"
check "class differs: named" grep -q 'request is for class C2-I1-A1, not C3-I1-A1' err
run encrypt -p --passphrase-file pw --class C2 --approval prov "${S[@]}" -o r.age report.txt
expect_rc 2 "encrypt -p with --approval"
run encrypt -r "$OUT" --class C2 --approval prov "${S[@]}" -o r.age report.txt
expect_rc 0 "encrypt with the approval"
check "encrypt: says the id" grep -q "approval $ID (provide to" err
run inspect --json r.age
expect_rc 0 "inspect the approved file"
check "inspect --json shows the approval id" grep -q "\"approval\":\"$ID\"" out
check "inspect: fuin-approval stanza" grep -q '"fuin-approval"' out
run inspect r.age
check "inspect text shows the id" grep -q "^approval:        $ID" out
check "the store records the use" test -s "store/used/$ID"
if command -v age >/dev/null; then
    age -d -i outside.key -o r.dec r.age 2>err; rc=$?
    expect_rc 0 "stock age decrypts the approved file"
    check "stock age: same bytes" cmp -s r.dec report.txt
else
    echo "SKIP: stock age is not installed (interop not checked)"
fi
run decrypt -i outside.key -o r.fuin.dec r.age
expect_rc 0 "fuin decrypts the approved file"
run encrypt -r "$OUT" --class C2 --approval prov "${S[@]}" -o r2.age report.txt
expect_rc 1 "reused approval"
check "reused: says so" grep -q "prov: approval already used (encrypt of $FILEOBJ to 〇〇株式会社 <a@example.co.jp> at [0-9T:-]*Z); nothing written" err
check "reused: nothing written" test ! -e r2.age
run approve --check --kind provide --file report.txt "${S[@]}" prov
expect_rc 1 "check a used approval"
check "check used: says so" grep -q 'approval already used' err

# ---- pack: the manifest carries the approval
mkdir -p docs && printf 'one\n' > docs/a.txt && printf 'two\n' > docs/b.txt
run request provide --file docs --class C2 --to 'partner' --dir op --passphrase-file pw "${S[@]}" -o pkreq
expect_rc 0 "request provide for a package"
run approve pkreq --dir mgr --passphrase-file pw "${S[@]}"
expect_rc 0 "approve the package request"
PID=$(sha256sum pkreq | cut -c1-64)
run pack -o p.fuin -r "$OUT" --class C2 --dir op --passphrase-file pw "${S[@]}" docs
expect_rc 1 "pack C2 to an outside recipient without --approval"
check "pack no approval: rule named" grep -q '\[approval\] provide = C2: packaging of C2-I1-A1' err
check "pack no approval: nothing written" test ! -e p.fuin
run pack -o p.fuin --zip --class C2 --dir op --passphrase-file pw "${S[@]}" docs
expect_rc 1 "pack --zip C2 without --approval"
run pack -o p.fuin -r "$OUT" --class C2 --approval prov --dir op --passphrase-file pw "${S[@]}" docs
expect_rc 1 "pack under an approval for another object (and used)"
check "pack: nothing written" test ! -e p.fuin
run pack -o p.fuin -r "$OUT" --class C2 --approval pkreq --dir op --passphrase-file pw "${S[@]}" docs
expect_rc 0 "pack with the approval"
run verify --store store p.fuin -i outside.key
if [ "$rc" -ne 0 ]; then run verify --store store -i outside.key p.fuin; fi
expect_rc 0 "verify the package"
check "verify shows the approval id" grep -q "approval: $PID" out
run pack -o p2.fuin -r "$OUT" --class C2 --approval pkreq --dir op --passphrase-file pw "${S[@]}" docs
expect_rc 1 "pack with a used approval"
check "pack reused: nothing written" test ! -e p2.fuin
# a single file packed alone: its own sha256 is the object
run request provide --file other.txt --class C2 --to 'partner' --dir op --passphrase-file pw "${S[@]}" -o one
expect_rc 0 "request provide for one file"
run approve one --dir mgr --passphrase-file pw "${S[@]}"
expect_rc 0 "approve it"
run pack -o one.fuin -r "$OUT" --class C2 --approval one --dir op --passphrase-file pw "${S[@]}" other.txt
expect_rc 0 "pack one file under its file approval"

# ---- carry: checked by whoever lets the medium out
run request carry --asset USB-7 --class C2 --to '出張先 〇〇市役所' --dir op --passphrase-file pw "${S[@]}" -o carry
expect_rc 0 "request carry"
check "carry: object is the asset" test "$(sed -n 3p carry)" = "object: asset:USB-7"
run approve carry --dir mgr --passphrase-file pw "${S[@]}"
expect_rc 0 "approve carry"
run approve --check --kind carry --asset USB-7 "${S[@]}" carry
expect_rc 0 "check carry"
run approve --check --kind carry --asset USB-8 "${S[@]}" carry
expect_rc 1 "check carry for another asset"
check "carry wrong asset: named" grep -q 'approval is for another asset (asset:USB-7), not asset:USB-8' err
run encrypt -r "$OUT" --class C2 --approval carry "${S[@]}" -o k.age report.txt
expect_rc 1 "a carry approval used for provide"
check "carry for provide: named" grep -q 'request is a carry request, not provide' err
run wipe --approval carry --store store --asset USB-7 --ledger L --dir op --passphrase-file pw --yes report.txt
expect_rc 1 "a carry approval used for a disposal"
check "carry for disposal: named" grep -q 'request is a carry request, not disposal' err
check "carry for disposal: file intact" test "$(cat report.txt)" = "budget 2027, draft"

# ---- exception: the CISO approves
run request exception --class C3 --reason 'USB use for the audit' --dir op --passphrase-file pw "${S[@]}" -o exc
expect_rc 0 "request exception"
check "exception: empty object" test "$(sed -n 3p exc)" = "object:"
run approve exc --dir mgr --passphrase-file pw "${S[@]}"
expect_rc 1 "a manager approving an exception"
check "exception needs ciso: rule named" grep -q '管理 花子 is certified as manager; only a ciso approves an exception request of class C3-I1-A1 (\[approval\] exception_C3, built-in default)' err
check "manager refusal: nothing written" test ! -e exc.approval
cp store/certs/boss.cert boss/card.cert
cp store/certs/boss.cert.minisig boss/card.cert.minisig
run approve exc --dir boss --passphrase-file pw "${S[@]}"
expect_rc 0 "the ciso approves the exception"
run approve --check --kind exception "${S[@]}" exc
expect_rc 0 "check the exception"
# A manager's approval of an exception, forged by hand, is refused at use.
cp exc.approval exc.approval.good
MKEY=$(sed -n 's/^minisign-key-id: //p' mgr/card.pub)
minisign -S -s mgr/sign.key -m exc -x exc.approval \
    -t "fuin-approval approver:管理 花子 key-id:$MKEY role:manager time:2026-01-01T00:00:00Z" <pw >/dev/null 2>&1
run approve --check --kind exception "${S[@]}" exc
expect_rc 1 "exception approved by a manager (wrong role)"
check "wrong role: names both roles and the rule" grep -q 'approver 管理 花子 has role manager, the policy needs ciso (\[approval\] exception_C3, built-in default)' err
cp exc.approval.good exc.approval

# ---- revoked after approving: refused when used
run request provide --file report.txt --class C2 --to 'partner' --dir op --passphrase-file pw "${S[@]}" -o late
expect_rc 0 "request provide (late)"
run approve late --dir mgr --passphrase-file pw "${S[@]}"
expect_rc 0 "approve it before the revocation"
run ciso revoke "$MKEY" --reason 'left the office' --dir ciso --passphrase-file pw
expect_rc 0 "revoke the manager"
cp ciso/revoked.txt ciso/revoked.txt.minisig store/
run encrypt -r "$OUT" --class C2 --approval late "${S[@]}" -o late.age report.txt
expect_rc 1 "encrypt under an approval by a since revoked manager"
check "revoked: approver named" grep -q "late.approval: approver key $MKEY has no valid certificate" err
check "revoked: nothing written" test ! -e late.age
check "revoked: not claimed" test ! -e "store/used/$(sha256sum late | cut -c1-64)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
