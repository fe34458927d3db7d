#!/bin/bash
# The CISO trust root end to end: fuin ciso init/certify/revoke/sign-policy,
# the trust store, fuin verify --trust (every outcome: OK, unknown signer,
# expired at signing time, revoked, another root, modified), the signed
# policy (show, check, bad signature, syntax error, unknown key, strength)
# and its enforcement by encrypt (-r by name and e-mail, ambiguous names,
# 機密性3 to an uncertified recipient) and sign.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)

if [ -z "${FUIN:-}" ] || [ ! -x "$FUIN" ]; then
    echo "FUIN must name the fuin program (got '${FUIN:-}')" >&2
    exit 1
fi
if ! command -v python3 >/dev/null; then
    echo "SKIP: python3 is needed to check JSON output"
    exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/fuin-cli-trust.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
export HOME=$T/home
mkdir -p "$HOME"

. "$HERE/harness.sh"

ORG='〇〇事務組合'
printf 'root passphrase long enough 2718\n' >rpw
printf 'staff passphrase long enough 1414\n' >pw
printf 'short\n' >weak
HANAKO='山田 花子'

# ------------------------------------------------------------- ciso init
run ciso init --org "$ORG" --dir ciso --passphrase-file weak
expect_rc 1 "ciso init with a weak passphrase"
one_line_err "ciso init weak passphrase" 'passphrase too weak'
check "weak root passphrase: nothing created" test ! -e ciso

run ciso init --org "$ORG" --dir ciso --passphrase-file rpw
expect_rc 0 "ciso init"
no_err "ciso init"
check "root.key mode 0600" test "$(mode_of ciso/root.key)" = 600
check "ciso directory mode 0700" test "$(mode_of ciso)" = 700
check "root.pub written" test -s ciso/root.pub
check "org.txt" test "$(cat ciso/org.txt)" = "$ORG"
ROOTID=$(sed -n 's/^root-key-id: *//p' out)
check "init prints the root key id" grep -Eqx '[0-9A-F]{16}' <<<"$ROOTID"
check "root.pub comment names the key id" grep -q "$ROOTID" <(sed -n 1p ciso/root.pub)
check "init prints sha256 of root.pub" \
    test "$(sed -n 's/^sha256: *//p' out)" = "$(sha256sum ciso/root.pub | cut -d' ' -f1)"
check "init prints the organisation" grep -qx "organisation: $ORG" out
run ciso init --org "$ORG" --dir ciso --passphrase-file rpw
expect_rc 5 "ciso init over an existing root"
run ciso init --dir ciso3 --passphrase-file rpw
expect_rc 2 "ciso init without --org"

# ------------------------------------------------------ staff and certify
run key new --name "$HANAKO" --email hanako@example.lg.jp --dir hanako --passphrase-file pw
expect_rc 0 "key new hanako"
run key new --name '佐藤 太郎' --email sato@example.lg.jp --dir sato1 --passphrase-file pw
expect_rc 0 "key new sato1"
run key new --name '佐藤 太郎' --email taro.sato@example.lg.jp --dir sato2 --passphrase-file pw
expect_rc 0 "key new sato2"
run key new --name 'No Cert' --dir nocert --passphrase-file pw
expect_rc 0 "key new nocert"
HKEY=$(sed -n 's/^minisign-key-id: //p' hanako/card.pub)
HREC=$(sed -n 's/^age-recipient: //p' hanako/card.pub)

UNTIL=$(day '+100 days')
cp hanako/card.pub hanako.pub
run ciso certify hanako.pub --role staff --until "$UNTIL" --dir ciso --passphrase-file rpw
expect_rc 0 "ciso certify"
check "certificate written as NAME.cert" test -s hanako.cert
check "certificate signature written" test -s hanako.cert.minisig
check "certify names the person" grep -q "certified $HANAKO <hanako@example.lg.jp> as staff of $ORG until ${UNTIL}T23:59:59Z" out
check "certificate: role" grep -qx 'role: staff' hanako.cert
check "certificate: organisation" grep -qx "organisation: $ORG" hanako.cert
check "certificate: valid-until" grep -qx "valid-until: ${UNTIL}T23:59:59Z" hanako.cert
check "certificate: root key id" grep -qx "root-key-id: $ROOTID" hanako.cert
check "certificate: the card's key" grep -qx "minisign-key-id: $HKEY" hanako.cert
check "certificate: the card's name" grep -qx "name: $HANAKO" hanako.cert
check "certificate signature comment" grep -q '^trusted comment: fuin-certificate serial:[0-9A-F]\{16\}$' hanako.cert.minisig
SERIAL=$(sed -n 's/^serial: //p' hanako.cert)
check "CISO keeps a copy by serial" cmp -s hanako.cert "ciso/issued/$SERIAL.cert"
run ciso certify hanako.pub --role staff --until "$UNTIL" --dir ciso --passphrase-file rpw
expect_rc 5 "certify over an existing certificate"
run ciso certify sato1/card.pub -o sato1.cert --role manager --until "$UNTIL" --dir ciso --passphrase-file rpw
expect_rc 0 "certify sato1 with -o"
run ciso certify sato2/card.pub -o sato2.cert --role sysadmin --until "$UNTIL" --dir ciso --passphrase-file rpw
expect_rc 0 "certify sato2"
run ciso certify hanako.pub -o x.cert --role boss --until "$UNTIL" --dir ciso --passphrase-file rpw
expect_rc 2 "certify with an unknown role"
run ciso certify hanako.pub -o x.cert --role staff --until "$(day '-1 day')" --dir ciso --passphrase-file rpw
expect_rc 2 "certify with --until in the past"
one_line_err "past --until" 'in the past'
run ciso certify hanako.pub -o x.cert --role staff --until 2026-13-45 --dir ciso --passphrase-file rpw
expect_rc 2 "certify with a bad date"
run ciso certify hanako.pub -o x.cert --role staff --until "$(day '+400 days')" --dir ciso --passphrase-file rpw
expect_rc 1 "certify beyond the certificate lifetime"
one_line_err "lifetime refusal names the rule" 'policy: built-in default: \[keys\] certificate_lifetime_days = 365: --until .* days after now'
check "no certificate beyond the lifetime" test ! -e x.cert
run ciso certify hanako.pub -o x.cert --role staff --until "$(day '+365 days')" --dir ciso --passphrase-file rpw
expect_rc 0 "certify for exactly the lifetime"
printf 'fuin-card: 1\nname: broken\n' >broken.pub
run ciso certify broken.pub --role staff --until "$UNTIL" --dir ciso --passphrase-file rpw
expect_rc 3 "certify a malformed card"
printf 'wrong root passphrase 99999\n' >wrongpw
run ciso certify sato1/card.pub -o y.cert --role staff --until "$UNTIL" --dir ciso --passphrase-file wrongpw
expect_rc 1 "certify with the wrong root passphrase"
check "no certificate with the wrong passphrase" test ! -e y.cert

# The trust store.
mkdir -p store/certs
cp ciso/root.pub store/
cp hanako.cert hanako.cert.minisig sato1.cert sato1.cert.minisig \
    sato2.cert sato2.cert.minisig store/certs/
# The staff member keeps the certificate beside the card.
cp hanako.cert hanako/card.cert
cp hanako.cert.minisig hanako/card.cert.minisig

run key show --store store hanako
expect_rc 0 "key show with a certificate"
check "key show: certificate role" grep -qx '  role:              staff' out
check "key show: certificate checked" grep -qx "  status:            valid, certified by the trust store's root" out
run key show --json --store store hanako
check "key show --json certificate" python3 - out "$ORG" "$SERIAL" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8"))["certificate"]
assert c["role"] == "staff" and c["organisation"] == sys.argv[2], c
assert c["serial"] == sys.argv[3] and c["verified"] is True and c["status"] == "ok", c
EOF

# ------------------------------------------------- sign and verify --trust
echo "release 1.0" >rel.txt
run sign --dir hanako --passphrase-file pw --store store --class C2-I2-A1 rel.txt
expect_rc 0 "sign 完全性2 with a certified key"
no_err "sign with a certificate"
check "the certificate travels in the trusted comment" grep -q '	cert:[A-Za-z0-9+/=]*$' rel.txt.minisig
run verify --trust ciso/root.pub rel.txt
expect_rc 0 "verify --trust"
no_err "verify --trust"
check "verify --trust line" grep -Eqx "rel\.txt: OK: signed by $HANAKO \(staff\), label C2-I2-A1, at [0-9T:-]+Z, certified by $ORG" out
run verify --store store rel.txt
expect_rc 0 "verify with the store's root"
check "store root line" grep -q "certified by $ORG" out
run verify --json --trust ciso/root.pub rel.txt
check "verify --trust --json" python3 - out "$HANAKO" "$ORG" "$HKEY" <<'EOF'
import json, sys
[o] = json.load(open(sys.argv[1], encoding="utf-8"))
assert o["ok"] is True and o["status"] == "ok", o
assert o["signer"] == sys.argv[2] and o["role"] == "staff" and o["organisation"] == sys.argv[3], o
assert o["key_id"] == sys.argv[4] and o["label"] == "C2-I2-A1" and o["time"].endswith("Z"), o
EOF
# 完全性2 without a trust store cannot be certified.
echo r2 >rel2.txt
run sign --dir hanako --passphrase-file pw --class C2-I2-A1 --store nosuchstore rel2.txt
expect_rc 4 "sign with a missing --store"
one_line_err "missing store" '^fuin: sign: trust store nosuchstore does not exist: set it up with .fuin store init ROOT.pub --store nosuchstore.$'
run sign --dir hanako --passphrase-file pw --class C2-I2-A1 rel2.txt
expect_rc 1 "完全性2 without a trust store"
one_line_err "完全性2 without a trust store" '\[class\.I2\] signer = certified'
check "no signature without a trust store" test ! -e rel2.txt.minisig
run sign --dir hanako --passphrase-file pw rel2.txt
expect_rc 0 "sign without a class, certificate from the directory"
run verify --trust ciso/root.pub rel2.txt
expect_rc 0 "verify --trust of a signature made without the store"
# The certificate can also come from the store's certs/.
run sign -s sato1/sign.key --passphrase-file pw --store store --class C1-I2-A1 --dir nocert rel2.txt --force
expect_rc 0 "sign with the certificate found in the store"
run verify --trust ciso/root.pub rel2.txt
check "store certificate used" grep -q "signed by 佐藤 太郎 (manager)" out

# Modified release.
cp rel.txt rel.orig
echo tampered >>rel.txt
run verify --trust ciso/root.pub rel.txt
expect_rc 1 "verify --trust of a modified file"
one_line_err "modified release" '^fuin: verify: rel\.txt: FAILED: file modified'
cp rel.orig rel.txt

# Unknown signer: no certificate at all.
echo u >unk.txt
run sign --dir nocert --passphrase-file pw unk.txt
expect_rc 0 "sign without a certificate"
run verify --trust ciso/root.pub unk.txt
expect_rc 1 "verify --trust of an uncertified signature"
one_line_err "unknown signer" 'FAILED: unknown signer'

# Another root.
run ciso init --org 'Other Org' --dir ciso2 --passphrase-file rpw
expect_rc 0 "second ciso init"
run verify --trust ciso2/root.pub rel.txt
expect_rc 1 "verify against another root"
one_line_err "foreign root" 'FAILED: certificate signed by another root'
run verify --trust ciso2/root.pub --store store rel.txt
expect_rc 2 "--store of another root than --trust"

# Expired at signing time: a certificate valid for a few seconds, used
# after it ended.  The signing time is in the trusted comment.
SHORT=$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)
run ciso certify hanako.pub -o short.cert --role staff --until "$SHORT" --dir ciso --passphrase-file rpw
expect_rc 0 "certify for two seconds"
mkdir -p expired
cp hanako/sign.key hanako/card.pub expired/
cp short.cert expired/card.cert
cp short.cert.minisig expired/card.cert.minisig
sleep 3
echo x >exp.txt
run sign --dir expired --passphrase-file pw exp.txt
expect_rc 0 "sign after the certificate ended (no class)"
run verify --trust ciso/root.pub exp.txt
expect_rc 1 "verify a signature made after the certificate expired"
one_line_err "expired at signing time" "FAILED: certificate expired at signing time \(valid until $SHORT"
run sign --dir expired --passphrase-file pw --store store --class C1-I2-A1 --force exp.txt
expect_rc 1 "完全性2 with an expired certificate"
check "the expired certificate is named" grep -q 'not certified: expired/card.cert: .*certificate expired on .*(have the CISO certify your key again)' err
if command -v faketime >/dev/null; then
    # Signed before the certificate begins: faketime moves the clock back.
    # faketime works by LD_PRELOAD, which AddressSanitizer refuses unless
    # told not to check the link order.
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        faketime -f '-30d' "$FUIN" sign --dir hanako --passphrase-file pw --force exp.txt \
        </dev/null >out 2>err
    check "sign under faketime succeeded" test "$?" -eq 0
    run verify --trust ciso/root.pub exp.txt
    expect_rc 1 "verify a signature made before the certificate began"
    one_line_err "not yet valid" 'not yet valid at signing time'
else
    echo "SKIP: faketime not installed: the not-yet-valid certificate case was not run"
fi

# Revocation.
run ciso revoke "$HKEY" --reason 'laptop lost' --dir ciso --passphrase-file rpw
expect_rc 0 "ciso revoke"
check "revocation listed" grep -Eq "^revoke: $HKEY [0-9T:-]+Z laptop lost\$" ciso/revoked.txt
check "revocation list signed" test -s ciso/revoked.txt.minisig
run ciso revoke "$HKEY" --reason again --dir ciso --passphrase-file rpw
expect_rc 5 "revoking twice"
run ciso revoke NOTAKEYID --reason x --dir ciso --passphrase-file rpw
expect_rc 2 "revoke with a bad key id"
run ciso revoke "$HKEY" --dir ciso --passphrase-file rpw
expect_rc 2 "revoke without --reason"
cp ciso/revoked.txt ciso/revoked.txt.minisig store/
run verify --trust ciso/root.pub --store store rel.txt
expect_rc 1 "verify a revoked key's signature"
one_line_err "revoked" "FAILED: key $HKEY revoked on [0-9T:-]+Z: laptop lost"
run verify --store store rel.txt
expect_rc 1 "verify with the store's root: revoked"
# The list published beside root.pub is found and checked.
run verify --trust ciso/root.pub rel.txt
expect_rc 1 "revoked.txt beside the root key is checked"
one_line_err "revoked.txt beside the root key: revoked" "FAILED: key $HKEY revoked on"
# Without any list the signature verifies, and the result says plainly
# that revocation was not checked: never a silent OK.
mkdir -p onlyroot && cp ciso/root.pub onlyroot/
run verify --trust onlyroot/root.pub rel.txt
expect_rc 0 "without a revocation list the signature still verifies"
check "without a list: OK line" grep -q '^rel.txt: OK: signed by ' out
check "without a list: says revocation was not checked" \
    grep -qx '  revocation: NOT checked: no revocation list (no trust store for this root, no onlyroot/revoked.txt beside the root key; give --revocations FILE)' out
run verify --trust onlyroot/root.pub --json rel.txt
check "without a list, JSON: checked false" \
    python3 -c 'import json,sys; d=json.load(open("out"))[0]; sys.exit(not (d["ok"] and d["revocation"]["checked"] is False and "no revocation list" in d["revocation"]["reason"]))'
run verify --trust onlyroot/root.pub --require-revocation-check rel.txt
expect_rc 1 "--require-revocation-check without a list"
one_line_err "--require-revocation-check says why" 'FAILED: revocation could not be checked'
run verify --trust onlyroot/root.pub --require-revocation-check --json rel.txt
check "--require-revocation-check, JSON status" \
    python3 -c 'import json,sys; d=json.load(open("out"))[0]; sys.exit(not (d["ok"] is False and d["status"] == "revocation-unchecked"))'
run verify --trust onlyroot/root.pub --revocations ciso/revoked.txt rel.txt
expect_rc 1 "--revocations FILE is checked"
run verify -p hanako/sign.pub --store store rel.txt
expect_rc 1 "-p: a revoked key fails too"
one_line_err "-p: revoked" "FAILED: key $HKEY revoked on"
run verify --trust onlyroot/root.pub --revocations ciso/org.txt rel.txt
check "--revocations without a signature: refused" test "$rc" -ne 0
# A tampered list is refused, by the store and by ciso revoke.
sed -i 's/laptop lost/laptop found/' store/revoked.txt
run verify --store store rel.txt
expect_rc 1 "tampered revocation list"
one_line_err "tampered revocation list" 'store/revoked\.txt'
cp ciso/revoked.txt store/revoked.txt

# ----------------------------------------------------------------- encrypt
# C3 goes only to certified recipients; names and addresses resolve.
echo "secret" >sec.txt
run encrypt --store store -r '佐藤 太郎' --class C3 -o amb.age sec.txt
expect_rc 2 "ambiguous name"
one_line_err "ambiguous name lists the candidates" 'ambiguous.*sato@example\.lg\.jp.*taro\.sato@example\.lg\.jp'
check "no output for an ambiguous name" test ! -e amb.age
run encrypt --store store -r 'TARO.SATO@example.lg.jp' --class C3 -o s2.age sec.txt
expect_rc 0 "encrypt C3 by e-mail"
check "the person found is shown" grep -q '佐藤 太郎 <taro.sato@example.lg.jp> (sysadmin' err
S2REC=$(sed -n 's/^age-recipient: //p' sato2/card.pub)
run inspect --json s2.age
check "encrypted to the resolved recipient (one X25519 stanza + label)" python3 - out <<'EOF'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["stanzas"] == ["fuin-label", "X25519"], o
assert o["label"]["text"] == "C3-I1-A1", o
EOF
run decrypt --passphrase-file pw -o s2id.txt sato2/identity.age
run decrypt -i s2id.txt -o s2.out s2.age
expect_rc 0 "the colleague decrypts"
check "the colleague gets the plaintext" cmp -s sec.txt s2.out
run encrypt --store store -r '佐藤太郎' -r sato@example.lg.jp --class C3 -o s1.age sec.txt
expect_rc 2 "name without the space is still ambiguous"
run encrypt --store store -r sato@example.lg.jp --class C3 -o s1.age sec.txt
expect_rc 0 "encrypt C3 by the other e-mail"
run encrypt --store store -r nobody --class C2 -o n.age sec.txt
expect_rc 2 "unknown name"
one_line_err "unknown name" 'no certified colleague'
run encrypt --store store -r "$HANAKO" --class C3 -o h.age sec.txt
expect_rc 1 "name of a revoked colleague"
one_line_err "revoked colleague" 'revoked'
"$FUIN" keygen -o outsider.txt 2>/dev/null
OUT=$(sed -n 's/^# public key: //p' outsider.txt)
run encrypt --store store -r "$OUT" --class C3 -o o.age sec.txt
expect_rc 1 "機密性3 to an uncertified recipient"
one_line_err "uncertified recipient refusal names the rule" \
    '^fuin: encrypt: policy: built-in default: \[class\.C3\] recipients = certified'
check "no output for the refused C3" test ! -e o.age
run encrypt --store store -r "$S2REC" -r "$OUT" --class '機密性3' -o o.age sec.txt
expect_rc 1 "機密性3 to one certified and one uncertified recipient"
run encrypt --store store -r "$S2REC" --class C3 -o ok3.age sec.txt
expect_rc 0 "機密性3 to a certified age1 recipient"
run encrypt --store store -r "$OUT" --class C2 -o o2.age sec.txt
expect_rc 0 "機密性2 to anyone"
run encrypt --store store --passphrase-file pw --class C3 -o p3.age sec.txt
expect_rc 1 "機密性3 with a passphrase"

# ------------------------------------------------------------------ policy
run policy show --store store
expect_rc 0 "policy show without a policy"
check "built-in default stated" grep -qx '; effective policy: built-in default (no policy.ini in store)' out
check "default organisation" grep -qx 'name = (no policy installed) ; built-in default' out
run policy check --store store --class C3
expect_rc 0 "policy check --class C3"
check "policy check names the C3 recipients rule" grep -q '\[class\.C3\] recipients = certified' out
run policy check --store store ok3.age
expect_rc 0 "policy check FILE"
check "policy check reads the label from the header" grep -q '^label: C3-I1-A1 (from the age header of ok3.age' out
run policy check --store store rel.txt
check "policy check reads the label from FILE.minisig" grep -q '^label: C2-I2-A1 (from the signature rel.txt.minisig' out
run policy check --store store sec.txt
check "policy check of an unlabelled file" grep -q '^label: none, handled as C1-I1-A1' out

cat >policy.ini <<EOF
[organisation]
name = $ORG

[passphrase]
min_length = 40
EOF
run ciso sign-policy policy.ini --dir ciso --passphrase-file rpw
expect_rc 0 "ciso sign-policy"
check "policy signature written" test -s policy.ini.minisig
run ciso sign-policy policy.ini --dir ciso --passphrase-file rpw
expect_rc 5 "sign-policy over an existing signature"
run ciso sign-policy policy.ini --dir ciso --passphrase-file rpw --force
expect_rc 0 "sign-policy --force"
cp policy.ini policy.ini.minisig store/
run policy show --store store
expect_rc 0 "policy show with the signed policy"
check "policy show names the policy and root" grep -qx "; effective policy: store/policy.ini (signature verified with the root key $ROOTID)" out
check "policy show: organisation from line 2" grep -qx "name = $ORG ; store/policy.ini:2" out
check "policy show: min_length from line 5" grep -qx 'min_length = 40 ; store/policy.ini:5' out
run key new --name 'Weak Person' --dir weakid --store store --passphrase-file pw
expect_rc 1 "passphrase below the installed policy's strength"
one_line_err "strength refusal names the policy line" 'store/policy\.ini:5: \[passphrase\] min_length = 40'
check "nothing created for a weak passphrase" test ! -e weakid

cat >other.ini <<EOF
[organisation]
name = Somebody Else
EOF
run ciso sign-policy other.ini --dir ciso --passphrase-file rpw
expect_rc 1 "sign-policy of another organisation's policy"
check "no signature for another organisation" test ! -e other.ini.minisig
printf '[organisation]\nname = %s\n[class.C3]\nrecipients = whoever\n' "$ORG" >badval.ini
run ciso sign-policy badval.ini --dir ciso --passphrase-file rpw
expect_rc 3 "sign-policy with a bad value"
one_line_err "bad value names file and line" '^fuin: ciso: badval\.ini:4: '
printf '[organisation]\nname = %s\n[passphrase]\nmin_lenght = 12\n' "$ORG" >unknown.ini
run ciso sign-policy unknown.ini --dir ciso --passphrase-file rpw
expect_rc 3 "sign-policy with an unknown key"
one_line_err "unknown key names file and line" '^fuin: ciso: unknown\.ini:4: unknown key "min_lenght"'
printf '[organisation\nname = x\n' >syntax.ini
run ciso sign-policy syntax.ini --dir ciso --passphrase-file rpw
expect_rc 3 "sign-policy with a syntax error"
one_line_err "syntax error names file and line" '^fuin: ciso: syntax\.ini:1: '
check "nothing signed for a syntax error" test ! -e syntax.ini.minisig

# An installed policy with an unknown key, correctly signed by the root
# (fuin sign with the root key signs anything): refused with file:line.
mkdir -p store2
cp ciso/root.pub store2/
cp unknown.ini store2/policy.ini
run sign -s ciso/root.key --passphrase-file rpw store2/policy.ini
expect_rc 0 "root signs a policy with an unknown key"
run policy show --store store2
expect_rc 3 "installed policy with an unknown key"
one_line_err "installed unknown key" '^fuin: policy: store2/policy\.ini:4: unknown key "min_lenght"'
run encrypt --store store2 -r "$OUT" -o e.age sec.txt
expect_rc 3 "encrypt refuses to work under a broken policy"
check "no output under a broken policy" test ! -e e.age
cp syntax.ini store2/policy.ini
run sign -s ciso/root.key --passphrase-file rpw --force store2/policy.ini
run policy show --store store2
expect_rc 3 "installed policy with a syntax error"
one_line_err "installed syntax error" '^fuin: policy: store2/policy\.ini:1: '

# Bad signature: the installed policy edited after signing, or unsigned.
echo '; edited' >>store/policy.ini
run policy show --store store
expect_rc 1 "policy with a bad signature"
one_line_err "bad policy signature" 'store/policy\.ini: signature invalid'
run encrypt --store store -r "$S2REC" -o e.age sec.txt
expect_rc 1 "encrypt refuses a wrongly signed policy"
check "no output under a wrongly signed policy" test ! -e e.age
rm store/policy.ini.minisig
run policy show --store store
expect_rc 1 "unsigned policy"
one_line_err "unsigned policy" 'signature missing'
# A policy signed by another root.
cp policy.ini store/policy.ini
cp policy.ini store3.ini
printf '[organisation]\nname = Other Org\n' >store3.ini
run ciso sign-policy store3.ini --dir ciso2 --passphrase-file rpw
cp store3.ini store/policy.ini
cp store3.ini.minisig store/policy.ini.minisig
run policy show --store store
expect_rc 1 "policy signed by another root"
one_line_err "policy of another root" 'store/policy\.ini: signature invalid'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
