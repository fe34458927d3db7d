#!/bin/bash
# Errors name the real cause.  Each of these used to end in the same
# words ("this key has no valid certificate", "trust store: ...: No such
# file or directory"); each now has its own message naming the file and
# what to do, and a refusal comes before any passphrase is asked.
#   no trust store, a store without its root key, no certificate, a
#   certificate for another key, an expired certificate, a revoked key, a
#   policy whose signature does not verify.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/harness.sh"
sandbox cli-causes

ORG='〇〇事務組合'
printf 'root passphrase long enough 2718\n' >rpw
printf 'staff passphrase long enough 1414\n' >pw
echo data >f.txt

run ciso init --org "$ORG" --dir ciso --passphrase-file rpw
expect_rc 0 "ciso init"
for who in yamada sato nocert; do
    run key new --name "$who" --dir "$who" --passphrase-file pw
    expect_rc 0 "key new $who"
done
UNTIL=$(date -u -d '+100 days' +%Y-%m-%d)
for who in yamada sato; do
    run ciso certify "$who/card.pub" --role staff --until "$UNTIL" --dir ciso --passphrase-file rpw
    expect_rc 0 "certify $who"
    cp "$who/card.cert" "$who/card.cert.minisig" "$who/" 2>/dev/null
done
YKEY=$(sed -n 's/^minisign-key-id: //p' yamada/card.pub)
SKEY=$(sed -n 's/^minisign-key-id: //p' sato/card.pub)
NKEY=$(sed -n 's/^minisign-key-id: //p' nocert/card.pub)
run store init ciso/root.pub --store S
expect_rc 0 "store init"
run store add yamada/card.cert sato/card.cert --store S
expect_rc 0 "store add"

# Signing a 完全性2 file is refused, asking nothing: no terminal and no
# passphrase file, and the answer is the cause, not "no terminal".
refused_sign() { # refused_sign DESCRIPTION REGEX DIR [--store S]
    local d=$1 re=$2
    shift 2
    setsid "$FUIN" sign --class C1-I2 --force --dir "$@" f.txt </dev/null >out 2>err
    rc=$?
    expect_rc 1 "$d"
    one_line_err "$d: the cause" "$re"
    check "$d: no signature written" test ! -e f.txt.minisig
}

# 1. no trust store at all
if [ ! -e /etc/fuin/root.pub ]; then
    refused_sign "no trust store" \
        'not certified: no trust store \(/etc/fuin/root\.pub does not exist\), so no certificate can be checked: set it up with .fuin store init ROOT\.pub. \(or give --store DIR\)$' \
        yamada
else
    echo "SKIP: this machine has /etc/fuin/root.pub; the no-store case needs a machine without one"
fi

# 2. a store without its root key
mkdir -p empty
run sign --class C1-I2 --dir yamada --store empty --passphrase-file pw f.txt
expect_rc 4 "a store without root.pub"
one_line_err "a store without root.pub: says so" \
    '^fuin: sign: trust store empty has no root key \(no empty/root\.pub\): set it up with .fuin store init ROOT\.pub --store empty.$'
run sign --class C1-I2 --dir yamada --store nosuch --passphrase-file pw f.txt
expect_rc 4 "a store that does not exist"
one_line_err "a store that does not exist: says so" '^fuin: sign: trust store nosuch does not exist: set it up with'

# 3. a key without any certificate
refused_sign "no certificate" \
    "not certified: key $NKEY has no certificate \\(no nocert/card\\.cert, none in the trust store\\): have the CISO certify your card\\.pub" \
    nocert --store S

# 4. a certificate for another key beside this one
mkdir -p mixed && cp nocert/sign.key nocert/sign.pub nocert/card.pub mixed/
cp sato/card.cert mixed/card.cert && cp sato/card.cert.minisig mixed/card.cert.minisig
refused_sign "a certificate for another key" \
    "not certified: mixed/card\\.cert is the certificate of sato's key $SKEY, not of this key $NKEY: put your own card\\.cert" \
    mixed --store S

# 5. an expired certificate
SHORT=$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)
mkdir -p expired && cp yamada/sign.key yamada/sign.pub yamada/card.pub expired/
run ciso certify expired/card.pub -o expired/card.cert --role staff --until "$SHORT" --dir ciso --passphrase-file rpw
expect_rc 0 "certify for two seconds"
sleep 3
# the store still has yamada's long certificate; a store without it shows
# the expired one
run store init ciso/root.pub --store S2
refused_sign "an expired certificate" \
    'not certified: expired/card\.cert: .*certificate expired on .* \(have the CISO certify your key again\)$' \
    expired --store S2

# 6. a revoked key
run ciso revoke "$YKEY" --reason 'laptop lost' --dir ciso --passphrase-file rpw
expect_rc 0 "revoke yamada"
run store update ciso/revoked.txt --store S
expect_rc 0 "store update revoked.txt"
refused_sign "a revoked key" \
    'not certified: yamada/card\.cert: .*revoked.*laptop lost.* \(make a new key with fuin key new and have it certified\)$' \
    yamada --store S

# 7. a policy whose signature does not verify
printf '[organisation]\nname = %s\n' "$ORG" >S/policy.ini
run ciso sign-policy S/policy.ini --dir ciso --passphrase-file rpw
expect_rc 0 "sign-policy"
run policy show --store S
expect_rc 0 "the signed policy opens"
printf '[class.C3]\npassphrase = allowed\n' >>S/policy.ini
run policy show --store S
expect_rc 1 "a modified policy"
one_line_err "a modified policy: names the file and what to do" \
    '^fuin: policy: trust store: S/policy\.ini: signature invalid: the file was modified \(install the CISO.s signed policy\.ini with its \.minisig: fuin store update policy\.ini\)$'
rm S/policy.ini
run policy show --store S
expect_rc 1 "a policy signature without its policy"
one_line_err "a signature without its policy: named" 'S/policy\.ini'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
