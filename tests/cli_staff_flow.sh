#!/bin/bash
# The whole staff flow as new users meet it, each person with a fresh HOME
# and their own workstation trust store, under the built-in policy:
#   CISO init -> three staff keys -> certify -> stores set up by command ->
#   機密性3 by name -> the colleague decrypts with `fuin decrypt` and no -i ->
#   完全性2 release signed -> a citizen verifies with fuin verify --trust
#   root.pub and with stock minisign -> disposal request, the manager's
#   approval, wipe of a loop device, ledger verify, HTML certificate ->
#   revocation of a lost key, after which the citizen's check of that key's
#   signatures fails, or says plainly that it could not check.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/harness.sh"
sandbox staff-flow

ORG='〇〇事務組合'
YAMADA='山田 花子'
SATO='佐藤 一郎'
KANRI='管理 次郎'
printf 'root passphrase long enough 2718\n' >rpw
printf 'yamada passphrase long enough 1414\n' >ypw
printf 'sato passphrase long enough 1732\n' >spw
printf 'kanri passphrase long enough 2236\n' >kpw
for who in ciso yamada sato kanri citizen; do mkdir -p "$T/$who"; done

# ---- 1. the CISO's root key; root.pub and its fingerprint are published
as ciso ciso init --org "$ORG" --passphrase-file "$T/rpw"
expect_rc 0 "ciso init"
ROOT=$T/ciso/.config/fuin/ciso/root.pub
FP=$(sed -n 's/^sha256: *//p' out)
check "ciso init prints the fingerprint of root.pub" test "$FP" = "$(sha256sum "$ROOT" | cut -c1-64)"
mkdir -p web && cp "$ROOT" web/root.pub   # the body's web site

# ---- 2. three colleagues make their keys
as yamada key new --name "$YAMADA" --email yamada@example.lg.jp --passphrase-file "$T/ypw"
expect_rc 0 "山田: key new"
as sato key new --name "$SATO" --email sato@example.lg.jp --passphrase-file "$T/spw"
expect_rc 0 "佐藤: key new"
as kanri key new --name "$KANRI" --email kanri@example.lg.jp --passphrase-file "$T/kpw"
expect_rc 0 "管理: key new"
YKEY=$(sed -n 's/^minisign-key-id: //p' yamada/.config/fuin/card.pub)

# ---- 3. the CISO certifies them; each gets card.cert back
UNTIL=$(date -u -d '+200 days' +%Y-%m-%d)
for p in yamada:staff sato:staff kanri:manager; do
    who=${p%%:*} role=${p##*:}
    cp "$who/.config/fuin/card.pub" "ciso/$who.pub"
    as ciso ciso certify "$T/ciso/$who.pub" --role "$role" --until "$UNTIL" --passphrase-file "$T/rpw"
    expect_rc 0 "certify $who as $role"
    check "certify $who: says what to hand to whom" grep -q "^give both files to " out
    check "certify $who: says how to install it" grep -q "^install them on every workstation: fuin store add $T/ciso/$who.cert\$" out
    cp "ciso/$who.cert" "$who/.config/fuin/card.cert"
    cp "ciso/$who.cert.minisig" "$who/.config/fuin/card.cert.minisig"
done

# ---- 4. every workstation's trust store, by command
for who in yamada sato kanri; do
    as "$who" store init "$T/web/root.pub" --fingerprint "$FP" --store "$T/$who/store"
    expect_rc 0 "$who: store init with the published fingerprint"
    as "$who" store add "$T/ciso/yamada.cert" "$T/ciso/sato.cert" "$T/ciso/kanri.cert" --store "$T/$who/store"
    expect_rc 0 "$who: store add the three certificates"
    as "$who" store show --store "$T/$who/store"
    check "$who: store show: three valid certificates" test "$(grep -c ' valid$' out)" -eq 3
    check "$who: store show: no list yet, said plainly" grep -q '^revocations:  none installed: revocation cannot be checked' out
done
as yamada store init "$T/web/root.pub" --fingerprint 0000 --store "$T/yamada/store2"
expect_rc 1 "store init refuses a root.pub whose fingerprint differs"
check "no store made for a wrong fingerprint" test ! -e yamada/store2/root.pub

# ---- 5. 機密性3 to a colleague by name
printf '人事評価（機密性3）\n' >secret.txt
as yamada encrypt --store "$T/yamada/store" -r "$SATO" --class '【機密性3】' -o "$T/secret.age" "$T/secret.txt"
expect_rc 0 "山田: encrypt 機密性3 to 佐藤 by name"
check "encrypt names the certified colleague" grep -q "$SATO" err
as yamada encrypt -p --passphrase-file "$T/ypw" --class C3 -o "$T/secret-p.age" "$T/secret.txt"
expect_rc 1 "機密性3 never under a passphrase"

# ---- 6. 佐藤 decrypts with fuin decrypt and no -i
as sato decrypt --passphrase-file "$T/spw" -o "$T/opened.txt" "$T/secret.age"
expect_rc 0 "佐藤: decrypt with the own identity, no -i"
check "佐藤: the plaintext" cmp -s secret.txt opened.txt
check "佐藤: the label shown first" grep -q 'label: C3-I1-A1' err
as yamada decrypt --passphrase-file "$T/ypw" -o "$T/not-mine.txt" "$T/secret.age"
expect_rc 1 "山田 cannot open what went to 佐藤"
check "no plaintext for the wrong person" test ! -e not-mine.txt
# stock age opens 佐藤's identity.age the same way (passphrase on the tty)
if command -v python3 >/dev/null && command -v age >/dev/null; then
    python3 "$HERE/pty_drive.py" --timeout 60 --out out --err err \
        --answer 'passphrase' "$(cat spw)" -- \
        age -d -i "$T/sato/.config/fuin/identity.age" -o "$T/opened-age.txt" "$T/secret.age"
    check "stock age -d -i identity.age opens it too" cmp -s secret.txt opened-age.txt
fi

# ---- 7. a 完全性2 public release, signed by 山田
printf 'year,budget\n2026,100\n' >release.csv
as yamada sign --store "$T/yamada/store" --class C1-I2 --passphrase-file "$T/ypw" "$T/release.csv"
expect_rc 0 "山田: sign a 完全性2 release"

# ---- 8. a citizen verifies with only the published root.pub
mkdir -p citizen/dl && cp release.csv release.csv.minisig citizen/dl/
as citizen verify --trust "$T/web/root.pub" "$T/citizen/dl/release.csv"
expect_rc 0 "citizen: verify --trust root.pub"
check "citizen: signed by 山田, certified by the body" grep -q "^$T/citizen/dl/release.csv: OK: signed by $YAMADA (staff), label C1-I2-A1, at .*, certified by $ORG\$" out
check "citizen: says revocation was not checked" grep -q '^  revocation: NOT checked: no revocation list' out
# the same file renamed: the signed name is shown
cp release.csv citizen/dl/release_final.csv
cp release.csv.minisig citizen/dl/release_final.csv.minisig
as citizen verify --trust "$T/web/root.pub" "$T/citizen/dl/release_final.csv"
expect_rc 0 "citizen: a renamed copy still verifies"
check "citizen: the signed name is shown" grep -qx '  name: signed as "release.csv", checked as "'"$T"'/citizen/dl/release_final.csv": the same bytes under another name' out
# with stock minisign only (docs/trust.md)
(
    cd citizen/dl || exit 1
    sed -n '3s/^trusted comment: //p' release.csv.minisig | tr '\t' '\n' |
        sed -n 's/^cert://p' | base64 -d >bundle &&
        awk '/^untrusted comment:/{f=1} {print > (f ? "signer.cert.minisig" : "signer.cert")}' bundle &&
        minisign -Vm signer.cert -x signer.cert.minisig -p "$T/web/root.pub" >/dev/null &&
        minisign -Vm release.csv -P "$(sed -n 's/^minisign-public-key: //p' signer.cert)" >/dev/null
) 2>err
check "citizen: stock minisign verifies the certificate and the release" test "$?" -eq 0

# ---- 9. disposal: request, approval, wipe of a loop device, ledger, certificate
if [ "$(id -u)" = 0 ] && command -v losetup >/dev/null && truncate -s 8M usb.img &&
    dev=$(losetup -f --show usb.img 2>/dev/null); then
    loops+=("$dev")
    printf 'FUIN-CANARY-usb' | dd of=usb.img bs=1 seek=65536 conv=notrunc status=none
    as yamada request disposal --asset USB-001 --class C2 --reason 'end of lease' \
        --store "$T/yamada/store" --passphrase-file "$T/ypw" -o "$T/req"
    expect_rc 0 "山田: request disposal"
    as yamada approve "$T/req" --store "$T/yamada/store" --passphrase-file "$T/ypw"
    expect_rc 1 "the requester never approves"
    as kanri approve "$T/req" --store "$T/kanri/store" --passphrase-file "$T/kpw"
    expect_rc 0 "管理: approve"
    check "approve showed the request" grep -qx '  asset:     USB-001' err
    as yamada wipe --approval "$T/req" --asset USB-001 --witness "$SATO" --yes \
        --store "$T/yamada/store" --passphrase-file "$T/ypw" "$dev"
    expect_rc 0 "山田: wipe the USB stick with the approval"
    check "the medium no longer holds the data" sh -c "! grep -aq FUIN-CANARY-usb usb.img"
    as yamada ledger verify
    expect_rc 0 "ledger verify"
    as yamada ledger export --html
    check "HTML certificate: the asset" grep -q 'USB-001' out
    check "HTML certificate: the approver" grep -q "$KANRI" out
    cp out 消去証明書.html
    as yamada wipe --approval "$T/req" --asset USB-001 --yes --ledger "$T/other.jsonl" \
        --store "$T/yamada/store" --passphrase-file "$T/ypw" "$dev"
    expect_rc 1 "the approval is spent, even with another ledger"
else
    echo "SKIP: the disposal part needs root and a loop device"
fi

# ---- 10. 山田's laptop is lost: the CISO revokes the key
as ciso ciso revoke "$YKEY" --reason 'laptop lost' --passphrase-file "$T/rpw"
expect_rc 0 "ciso revoke 山田's key"
check "revoke names the holder" grep -q "^holder: $YAMADA <yamada@example.lg.jp> (staff, certificate " out
as ciso ciso revoke 0000000000000000 --reason typo --passphrase-file "$T/rpw"
expect_rc 1 "revoke of a key id never certified is refused"
# the citizen who has only root.pub: no false OK
as citizen verify --trust "$T/web/root.pub" "$T/citizen/dl/release.csv"
check "citizen without the list: not a plain OK" grep -q '^  revocation: NOT checked' out
as citizen verify --trust "$T/web/root.pub" --require-revocation-check "$T/citizen/dl/release.csv"
expect_rc 1 "citizen without the list, --require-revocation-check: fails"
# the list is published beside root.pub: the check fails
cp ciso/.config/fuin/ciso/revoked.txt ciso/.config/fuin/ciso/revoked.txt.minisig web/
as citizen verify --trust "$T/web/root.pub" "$T/citizen/dl/release.csv"
expect_rc 1 "citizen: the revoked key's release fails"
one_line_err "citizen: says revoked" "FAILED: key $YKEY revoked on .*: laptop lost"
# workstations take the list; 機密性3 to 山田 is refused from now on
as sato store update "$T/web/revoked.txt" --store "$T/sato/store"
expect_rc 0 "佐藤: store update revoked.txt"
as sato encrypt --store "$T/sato/store" -r "$YAMADA" --class C3 -o "$T/to-yamada.age" "$T/secret.txt"
expect_rc 1 "no 機密性3 to a revoked key"
check "nothing written to the revoked key" test ! -e to-yamada.age
as sato store update "$T/web/revoked.txt" --store "$T/sato/store"
expect_rc 0 "the same list again: already installed"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
