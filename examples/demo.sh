#!/usr/bin/env bash
# fuin's main job, end to end, on a self-contained demo: a member of staff
# makes a key, encrypts a classified attachment with its label, inspects it,
# and the recipient decrypts it with fuin and with stock age.
set -eu
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DFUIN_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)" --target fuin_cli >/dev/null
fuin=$PWD/build/fuin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. The recipient makes a key (age-keygen format, mode 0600)"
"$fuin" keygen -o recipient.key
recipient=$("$fuin" keygen -y recipient.key)
ls -l recipient.key

step "2. Staff encrypt a 機密性2 attachment to that recipient, with its label"
printf '令和8年度 予算案（内部検討資料）\n' > 予算案.txt
"$fuin" encrypt -r "$recipient" --class '機密性2/完全性2 複製禁止 転送禁止' \
  -o 予算案.txt.age 予算案.txt
ls -l 予算案.txt.age

step "3. Anyone can see what the file is and how it is classified, without a key"
"$fuin" inspect 予算案.txt.age
"$fuin" inspect --json 予算案.txt.age

step "4. The recipient decrypts it with fuin (the label is shown first)"
"$fuin" decrypt -i recipient.key -o 予算案-受信.txt 予算案.txt.age
cmp 予算案.txt 予算案-受信.txt && cat 予算案-受信.txt

step "5. ...or with the stock age tool: the format is plain age v1"
age -d -i recipient.key 予算案.txt.age

step "6. A changed label is refused by both (the header MAC covers it)"
sed 's/fuin-label C2-I2-A1/fuin-label C1-I2-A1/' 予算案.txt.age > tampered.age
"$fuin" decrypt -i recipient.key tampered.age || echo "fuin refused it (exit $?)"
age -d -i recipient.key tampered.age 2>&1 | head -1 || true

step "7. 機密性3 never goes out under a passphrase"
"$fuin" encrypt -p --class C3 -o x.age 予算案.txt || echo "refused (exit $?)"
echo
echo "demo finished"
