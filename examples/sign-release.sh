#!/usr/bin/env bash
# Scenario 2: a 完全性2 public release is signed with a key the CISO
# certified (policy §2.6.1(16)); a citizen checks it with only the body's
# published root.pub — with fuin, and with stock minisign alone.
. "$(dirname "$0")/common.sh"
org_setup
cd "$EX"
mkdir -p out2 citizen

step "1. Signing a public release (完全性2: it must carry an electronic signature)"
printf 'year,budget\n2026,100\n2027,104\n' >yamada/予算公表.csv
as yamada sign --store "$EX/yamada/store" --class C1-I2 --passphrase-file "$EX/yamada/pass" \
    "$EX/yamada/予算公表.csv"
say "the signature is an ordinary minisign file next to it:"
show head -n 1 yamada/予算公表.csv.minisig
cp yamada/予算公表.csv yamada/予算公表.csv.minisig citizen/

step "2. A citizen verifies it with fuin and only the body's published root.pub"
as citizen verify --trust "$EX/web/root.pub" "$EX/citizen/予算公表.csv"

step "3. ...or with stock minisign alone (the recipe in docs/trust.md)"
say "the signer's certificate travels in the signature's trusted comment:"
(
    cd citizen
    sed -n '3s/^trusted comment: //p' 予算公表.csv.minisig | tr '\t' '\n' | sed -n 's/^cert://p' |
        base64 -d >bundle
    awk '/^untrusted comment:/{f=1} {print > (f ? "signer.cert.minisig" : "signer.cert")}' bundle
    show minisign -Vm signer.cert -x signer.cert.minisig -p ../web/root.pub
    show minisign -Vm 予算公表.csv -P "$(sed -n 's/^minisign-public-key: //p' signer.cert)" |
        cut -c1-120
)

step "4. A changed figure is caught by both"
sed 's/2027,104/2027,140/' citizen/予算公表.csv >citizen/changed.csv
cp citizen/予算公表.csv.minisig citizen/changed.csv.minisig
rc=0
HOME=$EX/citizen "$FUIN" verify --trust "$EX/web/root.pub" "$EX/citizen/changed.csv" >out2/v.out 2>&1 || rc=$?
[ "$rc" -ne 0 ] || { echo "example: fuin verified a changed file" >&2; exit 1; }
say "fuin (exit $rc): $(said out2/v.out)"
if minisign -Vm citizen/changed.csv -P "$(sed -n 's/^minisign-public-key: //p' citizen/signer.cert)" \
    >out2/m.out 2>&1; then
    echo "example: minisign verified a changed file" >&2; exit 1
fi
say "minisign: $(head -n 1 out2/m.out)"
echo
echo "scenario 2 (sign a public release) finished"
