#!/bin/bash
# fuin against stock minisign and age, both directions:
#  - minisign -V verifies fuin's signatures (and rejects modified files);
#  - fuin verify -p verifies minisign -S signatures, prehashed and legacy;
#  - a fuin-made sign.key signs with minisign -S (passphrase on a pty),
#    a minisign-made key (encrypted or -W) signs with fuin sign;
#  - age -d -i identity.age (passphrase on a pty) opens files encrypted
#    to the card's recipient;
#  - minisign -V checks CISO certificates, revocation lists and policies.
# Skipped (77) when minisign, age or python3 is missing.
set -u

if [ -z "${FUIN:-}" ] || [ ! -x "$FUIN" ]; then
    echo "FUIN must name the fuin program (got '${FUIN:-}')" >&2
    exit 1
fi
for tool in minisign age python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP: $tool not installed; minisign/age interoperability not tested"
        exit 77
    fi
done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PTY=$here/pty_drive.py

T=$(mktemp -d "${TMPDIR:-/tmp}/fuin-cli-minisign.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
export HOME=$T/home
mkdir -p "$HOME"

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() {
    failed=$((failed + 1))
    echo "FAIL: $*"
    if [ -s err ]; then sed 's/^/    stderr: /' err | head -5; fi
}
check() { # check DESCRIPTION COMMAND...
    local d=$1
    shift
    if "$@"; then ok; else bad "$d"; fi
}
run() { # run ARGS...: fuin; stdout ./out, stderr ./err, status $rc
    "$FUIN" "$@" </dev/null >out 2>err
    rc=$?
}
tool() { # tool CMD ARGS...: any program, same capture
    "$@" </dev/null >out 2>err
    rc=$?
}
expect_rc() { # expect_rc N DESCRIPTION
    if [ "$rc" -eq "$1" ]; then ok; else bad "$2: exit $rc, expected $1"; fi
}
expect_fail() { # expect_fail DESCRIPTION: any non-zero status
    if [ "$rc" -ne 0 ]; then ok; else bad "$1: exit 0, expected failure"; fi
}
# pty CMD ARGS...: run on a pseudo-terminal answering the prompts in
# $ANSWERS (pairs --answer REGEX TEXT).  minisign prompts on standard
# error, so neither output is redirected: all of it is the transcript,
# kept in ./err for the failure report.
pty() {
    python3 "$PTY" --timeout 60 --transcript tty "${ANSWERS[@]}" -- "$@" </dev/null >/dev/null 2>pty.err
    rc=$?
    cat tty pty.err >err 2>/dev/null
}

PASS='interop passphrase long enough 1618'
printf '%s\n' "$PASS" >pw
NAME='山田 花子'

run key new --name "$NAME" --email hanako@example.lg.jp --dir id --passphrase-file pw
expect_rc 0 "key new"
KEYID=$(sed -n 's/^minisign-key-id: //p' id/card.pub)
REC=$(sed -n 's/^age-recipient: //p' id/card.pub)

# ------------------------------------------- fuin signs, minisign verifies
head -c 300000 /dev/urandom >data.bin
printf 'テキスト\n' >jp.txt
run sign --dir id --passphrase-file pw --class C2 data.bin jp.txt
expect_rc 0 "fuin sign"
tool minisign -Vm data.bin -p id/sign.pub
expect_rc 0 "minisign -V of a fuin signature"
check "minisign reports both signatures verified" grep -q 'Signature and comment signature verified' out
check "minisign shows the Japanese signer" grep -q "^Trusted comment: timestamp:[0-9]*	file:data.bin	hashed	fuin:1	signer:$NAME	key-id:$KEYID	class:C2-I1-A1	time:" out
tool minisign -Vm jp.txt -p id/sign.pub -H
expect_rc 0 "minisign -V -H: fuin's signatures are prehashed"
cp data.bin data.mod
printf 'x' | dd of=data.mod bs=1 seek=1000 conv=notrunc 2>/dev/null
tool minisign -Vm data.mod -x data.bin.minisig -p id/sign.pub
expect_fail "minisign -V of a modified file"
tool minisign -Vm data.bin -P "$(sed -n 2p id/sign.pub)"
expect_rc 0 "minisign -V -P with the bare key"

# ------------------------------------------- minisign signs, fuin verifies
# fuin's own sign.key, used by stock minisign (passphrase on a pty).
ANSWERS=(--answer 'Password: ' "$PASS")
pty minisign -S -s id/sign.key -m jp.txt -x jp.ms.minisig -t 'stock minisign 署名'
expect_rc 0 "minisign -S with fuin's sign.key"
run verify -p id/sign.pub -x jp.ms.minisig jp.txt
expect_rc 0 "fuin verify of minisign's prehashed signature"
check "fuin shows minisign's trusted comment" grep -qx 'jp.txt: OK: trusted comment: stock minisign 署名' out
pty minisign -S -l -s id/sign.key -m data.bin -x data.legacy.minisig
expect_rc 0 "minisign -S -l (legacy) with fuin's sign.key"
check "legacy signature algorithm Ed" \
    test "$(sed -n 2p data.legacy.minisig | base64 -d 2>/dev/null | head -c 2)" = Ed
run verify -p id/sign.pub -x data.legacy.minisig data.bin
expect_rc 0 "fuin verify of a legacy signature"
run verify -p id/sign.pub -x data.legacy.minisig data.mod
expect_rc 1 "fuin verify of a modified file, legacy signature"
check "legacy: modified named" grep -q 'FAILED: file modified' err
run verify -p id/sign.pub -x jp.ms.minisig data.bin
expect_rc 1 "fuin verify of the wrong file against minisign's signature"

# A key made by minisign -G (password on a pty), used by fuin sign.
MPASS='minisign made this key 2236'
printf '%s\n' "$MPASS" >mpw
ANSWERS=(--answer 'Password: ' "$MPASS" --answer 'one more time' "$MPASS")
pty minisign -G -p m.pub -s m.key
expect_rc 0 "minisign -G with a password"
echo "made with a minisign key" >m.txt
run sign -s m.key --passphrase-file mpw --dir id m.txt
expect_rc 0 "fuin sign with minisign's encrypted key"
tool minisign -Vm m.txt -p m.pub
expect_rc 0 "minisign -V of fuin's signature with minisign's key"
run verify -p m.pub m.txt
expect_rc 0 "fuin verify with minisign's public key"
check "no card for this key: signer is the key id" grep -q "signed by $(sed -n 1p m.pub | grep -o '[0-9A-F]\{16\}$')" out
run sign -s m.key --passphrase-file pw --dir id --force m.txt
expect_rc 1 "fuin sign with minisign's key and the wrong passphrase"

# minisign -G -W: an unencrypted key needs no passphrase.
tool minisign -G -W -p w.pub -s w.key
expect_rc 0 "minisign -G -W"
echo w >w.txt
setsid -w "$FUIN" sign -s w.key --dir id w.txt </dev/null >out 2>err
rc=$?
expect_rc 0 "fuin sign with an unencrypted minisign key, no terminal"
tool minisign -Vm w.txt -p w.pub
expect_rc 0 "minisign -V with the unencrypted key"

# After fuin key passwd, minisign uses the new passphrase.
NEWPASS='the second interop passphrase 1732'
printf '%s\n' "$NEWPASS" >newpw
run key passwd --dir id --passphrase-file pw --new-passphrase-file newpw
expect_rc 0 "fuin key passwd"
ANSWERS=(--answer 'Password: ' "$NEWPASS")
pty minisign -S -s id/sign.key -m w.txt -x w.new.minisig
expect_rc 0 "minisign -S with the new passphrase"
ANSWERS=(--answer 'Password: ' "$PASS")
pty minisign -S -s id/sign.key -m w.txt -x w.old.minisig
expect_fail "minisign -S with the old passphrase"
run verify -p id/sign.pub -x w.new.minisig w.txt
expect_rc 0 "same key after passwd"

# -------------------------------------------------- age and identity.age
echo "for hanako only" >secret.txt
run encrypt -r "$REC" -o secret.age secret.txt
expect_rc 0 "fuin encrypt to the card's recipient"
ANSWERS=(--answer 'passphrase' "$NEWPASS")
pty age -d -i id/identity.age -o secret.out secret.age
expect_rc 0 "age -d -i identity.age"
check "age decrypted with the protected identity" cmp -s secret.txt secret.out
age -r "$REC" -o secret2.age secret.txt
ANSWERS=(--answer 'passphrase' "$NEWPASS")
pty age -d -i id/identity.age -o secret2.out secret2.age
expect_rc 0 "age -d -i identity.age of age's own file"
check "age round trip with the card's recipient" cmp -s secret.txt secret2.out
ANSWERS=(--answer 'passphrase' "$PASS")
pty age -d -i id/identity.age -o secret3.out secret.age
expect_fail "age -d -i identity.age with the old passphrase"
check "no plaintext with the old passphrase" test ! -s secret3.out

# ------------------------------------ CISO files checked by stock minisign
RPASS='root interop passphrase 5772'
printf '%s\n' "$RPASS" >rpw
run ciso init --org '〇〇事務組合' --dir ciso --passphrase-file rpw
expect_rc 0 "ciso init"
run ciso certify id/card.pub -o hanako.cert --role staff --until "$(date -u -d '+30 days' +%Y-%m-%d)" \
    --dir ciso --passphrase-file rpw
expect_rc 0 "ciso certify"
tool minisign -Vm hanako.cert -p ciso/root.pub
expect_rc 0 "minisign -V of a certificate"
check "certificate comment" grep -q '^Trusted comment: fuin-certificate serial:' out
sed 's/role: staff/role: manager/' hanako.cert >forged.cert
tool minisign -Vm forged.cert -x hanako.cert.minisig -p ciso/root.pub
expect_fail "minisign -V of a forged certificate"
run ciso revoke "$KEYID" --reason 'left the office' --dir ciso --passphrase-file rpw
expect_rc 0 "ciso revoke"
tool minisign -Vm ciso/revoked.txt -p ciso/root.pub
expect_rc 0 "minisign -V of the revocation list"
printf '[organisation]\nname = 〇〇事務組合\n' >policy.ini
run ciso sign-policy policy.ini --dir ciso --passphrase-file rpw
expect_rc 0 "ciso sign-policy"
tool minisign -Vm policy.ini -p ciso/root.pub
expect_rc 0 "minisign -V of the policy"
# The root key itself is a minisign key.
ANSWERS=(--answer 'Password: ' "$RPASS")
pty minisign -S -s ciso/root.key -m policy.ini -x policy.ms.minisig
expect_rc 0 "minisign -S with the CISO root key"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
