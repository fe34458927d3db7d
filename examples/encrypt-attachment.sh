#!/usr/bin/env bash
# Scenario 1: a member of staff encrypts a 機密性2 attachment before
# sending it (policy §2.6.1(4)): to a colleague by name, and to an outside
# contractor who has only stock age; both open it, and stock age refuses a
# copy whose label was changed on the way.
. "$(dirname "$0")/common.sh"
org_setup
cd "$EX"
mkdir -p out1

step "1. Encrypting a 機密性2 attachment (policy §2.6.1(4): classified files travel encrypted)"
printf '令和8年度 予算案（内部検討資料）\n歳入 100 / 歳出 98\n' >yamada/予算案.txt
say "山田 encrypts it to her colleague 佐藤, by name (his key comes from the CISO's certificate):"
as yamada encrypt --store "$EX/yamada/store" -r "$SATO" --class '機密性2 転送禁止' \
    -o "$EX/out1/予算案.txt.age" "$EX/yamada/予算案.txt"
say "anyone can see what the file is and how it is classified, without a key:"
as sato inspect "$EX/out1/予算案.txt.age"
say "佐藤 opens it with his own key (the label is shown before the plaintext):"
as sato decrypt --passphrase-file "$EX/sato/pass" -o "$EX/sato/予算案.txt" "$EX/out1/予算案.txt.age"
cmp yamada/予算案.txt sato/予算案.txt && say "佐藤 has the same bytes: $(head -n 1 sato/予算案.txt)"

step "2. The same attachment for an outside contractor who has only stock age"
mkdir -p contractor
show age-keygen -o contractor/age.key
key=$(age-keygen -y contractor/age.key)
say "the contractor sends his public key: $key"
as yamada encrypt -r "$key" --class 'C2 転送禁止' -o "$EX/out1/予算案-委託先.txt.age" "$EX/yamada/予算案.txt"
say "the contractor decrypts it with stock age, which knows nothing of fuin:"
show age -d -i contractor/age.key -o contractor/予算案.txt out1/予算案-委託先.txt.age
cmp yamada/予算案.txt contractor/予算案.txt && say "stock age gave back the same bytes"

step "3. A label changed on the way is refused by both (the age header MAC covers it)"
sed 's/fuin-label C2-I1-A1/fuin-label C1-I1-A1/' out1/予算案-委託先.txt.age >out1/tampered.age
cmp -s out1/予算案-委託先.txt.age out1/tampered.age && { echo "example: the label was not where expected" >&2; exit 1; }
if age -d -i contractor/age.key out1/tampered.age >/dev/null 2>out1/age.err; then
    echo "example: stock age accepted a changed label" >&2; exit 1
fi
say "stock age: $(head -n 1 out1/age.err)"
if HOME=$EX/sato "$FUIN" decrypt -i contractor/age.key -o "$EX/out1/x.txt" out1/tampered.age 2>out1/fuin.err; then
    echo "example: fuin accepted a changed label" >&2; exit 1
fi
say "fuin:      $(said out1/fuin.err)"
[ ! -e out1/x.txt ] && say "no plaintext was written"

step "4. 機密性3 is never sent under a passphrase (policy: certified recipients only)"
if HOME=$EX/yamada "$FUIN" encrypt -p --passphrase-file "$EX/yamada/pass" --class C3 \
    -o "$EX/out1/c3.age" "$EX/yamada/予算案.txt" 2>out1/c3.err; then
    echo "example: 機密性3 was encrypted under a passphrase" >&2; exit 1
fi
say "refused: $(said out1/c3.err)"
echo
echo "scenario 1 (encrypt an attachment) finished"
