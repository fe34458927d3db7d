#!/usr/bin/env bash
# Scenario 4: several files travel as one package, sealed as the policy
# demands for the highest class inside (§2.3(2)); the receiver verifies the
# package before anything in it is opened, then unpacks it.  A package
# changed on the way is refused and leaves nothing behind.
. "$(dirname "$0")/common.sh"
org_setup
cd "$EX"
mkdir -p out4 yamada/議会資料 sato/受信

step "1. 山田 packs a folder for 佐藤: the package takes the highest class inside"
printf '議事次第（公開）\n' >yamada/議会資料/議事次第.txt
printf '補正予算案（内部検討）\n' >yamada/議会資料/【機密性2】補正予算案.txt
printf 'id,name\n1,〇〇\n' >yamada/議会資料/委員名簿.csv
as yamada label set --class C2-I2 "$EX/yamada/議会資料/委員名簿.csv"
say "labels: 議事次第.txt none (機密性1), 【機密性2】補正予算案.txt by its name, 委員名簿.csv C2-I2 in its metadata"
as yamada pack -o "$EX/out4/議会資料.fuin" --store "$EX/yamada/store" --passphrase-file "$EX/yamada/pass" \
    -r "$SATO" "$EX/yamada/議会資料"
say "機密性2 → encrypted to 佐藤; 完全性2 → signed with 山田's certified key"

step "2. 佐藤 verifies what he received before opening anything (nothing is written)"
as sato verify --store "$EX/sato/store" --passphrase-file "$EX/sato/pass" "$EX/out4/議会資料.fuin"

step "3. ...then unpacks it: everything is checked before a file becomes visible"
as sato unpack -C "$EX/sato/受信" --store "$EX/sato/store" --passphrase-file "$EX/sato/pass" \
    "$EX/out4/議会資料.fuin"
show find sato/受信 -type f
say "the labels come back onto the files:"
as sato label show "$EX/sato/受信/議会資料/委員名簿.csv"

step "4. A package changed on the way is refused, and nothing is left behind"
size=$(stat -c %s out4/議会資料.fuin)
cp out4/議会資料.fuin out4/changed.fuin
printf 'X' | dd of=out4/changed.fuin bs=1 seek=$((size - 100)) conv=notrunc status=none
mkdir -p sato/受信2
rc=0
HOME=$EX/sato "$FUIN" unpack -C "$EX/sato/受信2" --store "$EX/sato/store" --passphrase-file "$EX/sato/pass" \
    "$EX/out4/changed.fuin" >out4/changed.out 2>&1 || rc=$?
[ "$rc" -ne 0 ] || { echo "example: a changed package was unpacked" >&2; exit 1; }
say "refused (exit $rc): $(said out4/changed.out)"
[ -z "$(ls -A sato/受信2)" ] || { echo "example: files were left behind" >&2; exit 1; }
say "sato/受信2 is still empty"

step "5. For a contractor with only stock tools: age -d gives an ordinary tar"
mkdir -p contractor
[ -e contractor/age.key ] || age-keygen -o contractor/age.key 2>/dev/null
key=$(age-keygen -y contractor/age.key)
as yamada pack -o "$EX/out4/議会資料-委託先.fuin" --store "$EX/yamada/store" \
    --passphrase-file "$EX/yamada/pass" -r "$key" "$EX/yamada/議会資料"
say "the contractor lists it with stock age and GNU tar (the manifest comes first):"
printf '   $ age -d -i contractor/age.key out4/議会資料-委託先.fuin | tar -tvf -\n'
age -d -i contractor/age.key out4/議会資料-委託先.fuin | tar -tvf - | sed 's/^/   /'
say "(docs/packages.md: checking the manifest's signature with stock minisign)"
echo
echo "scenario 4 (send and verify a package) finished"
