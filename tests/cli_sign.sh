#!/bin/bash
# Staff identities and signatures end to end: fuin key new/show/passwd,
# fuin sign and fuin verify -p, and every bad input the issue lists for
# them (modified file or trusted comment, wrong key, truncated or garbled
# .minisig, wrong passphrase, corrupted secret key, weak passphrase).
# Every check asserts exit codes, files and messages.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)

if [ -z "${FUIN:-}" ] || [ ! -x "$FUIN" ]; then
    echo "FUIN must name the fuin program (got '${FUIN:-}')" >&2
    exit 1
fi
if ! command -v python3 >/dev/null; then
    echo "SKIP: python3 is needed to check JSON output and drive the terminal"
    exit 77
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PTY=$here/pty_drive.py

T=$(mktemp -d "${TMPDIR:-/tmp}/fuin-cli-sign.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
# Nothing here may depend on the machine's own identity or trust store.
export HOME=$T/home
mkdir -p "$HOME"

. "$HERE/harness.sh"

PASS='correct horse battery staple 42'
NEWPASS='a different long passphrase 77'
printf '%s\n' "$PASS" >pw
printf '%s\n' "$NEWPASS" >newpw
printf 'abc\n' >weak
printf 'wrong passphrase entirely 3141\n' >wrongpw
NAME='山田 花子'

# ----------------------------------------------------------------- key new
run key new --name "$NAME" --email hanako@example.lg.jp --dir weakdir \
    --passphrase-file weak
expect_rc 1 "key new with a weak passphrase"
one_line_err "weak passphrase reason" '^fuin: key: weak: passphrase too weak: .*min_length = 12'
check "weak passphrase: nothing created" test ! -e weakdir

run key new --name "$NAME" --email hanako@example.lg.jp --dir id --passphrase-file pw
expect_rc 0 "key new"
no_err "key new"
for f in identity.age sign.key sign.pub card.pub; do
    check "key new wrote $f" test -s "id/$f"
done
check "identity directory mode 0700" test "$(mode_of id)" = 700
check "identity.age mode 0600" test "$(mode_of id/identity.age)" = 600
check "sign.key mode 0600" test "$(mode_of id/sign.key)" = 600
check "sign.pub mode 0644" test "$(mode_of id/sign.pub)" = 644
check "card.pub mode 0644" test "$(mode_of id/card.pub)" = 644
check "key new prints the card" cmp -s out id/card.pub
check "card line 1" test "$(sed -n 1p id/card.pub)" = "fuin-card: 1"
check "card keeps the Japanese name" test "$(sed -n 2p id/card.pub)" = "name: $NAME"
check "card e-mail" test "$(sed -n 3p id/card.pub)" = "email: hanako@example.lg.jp"
check "card age recipient" grep -Eqx 'age-recipient: age1[02-9ac-hj-np-z]{58}' <(sed -n 4p id/card.pub)
KEYID=$(sed -n 's/^minisign-key-id: //p' id/card.pub)
check "card key id is 16 hex digits" grep -Eqx '[0-9A-F]{16}' <<<"$KEYID"
check "sign.pub comment names the key id" \
    test "$(sed -n 1p id/sign.pub)" = "untrusted comment: minisign public key $KEYID"
check "card public key = sign.pub key line" \
    test "$(sed -n 's/^minisign-public-key: //p' id/card.pub)" = "$(sed -n 2p id/sign.pub)"
check "sign.key is a minisign secret key" \
    test "$(sed -n 1p id/sign.key | cut -c1-19)" = "untrusted comment: "
check "identity.age is an age file" test "$(head -n 1 id/identity.age)" = "age-encryption.org/v1"
check "identity.age is passphrase-encrypted (one scrypt stanza)" \
    grep -aqx -- '-> scrypt [A-Za-z0-9+/]\{22\} 18' <(head -c 200 id/identity.age)
check "identity.age does not contain the secret key in clear" \
    test "$(grep -ac AGE-SECRET-KEY id/identity.age)" -eq 0

# The identity inside is the card's recipient: decrypt it with the
# passphrase (fuin decrypt handles the scrypt file like any other).
run decrypt --passphrase-file pw -o idplain.txt id/identity.age
expect_rc 0 "identity.age opens with the passphrase"
check "identity text has the card's recipient" \
    test "$(sed -n 's/^# public key: //p' idplain.txt)" = "$(sed -n 's/^age-recipient: //p' id/card.pub)"
run keygen -y idplain.txt
check "the identity derives the card's recipient" \
    test "$(cat out)" = "$(sed -n 's/^age-recipient: //p' id/card.pub)"

cp -p id/card.pub card.before
run key new --name "$NAME" --dir id --passphrase-file pw
expect_rc 5 "key new over an existing identity"
one_line_err "key new over an existing identity" '^fuin: key: id/identity\.age: file exists'
check "existing card untouched" cmp -s card.before id/card.pub

run key new --dir x --passphrase-file pw
expect_rc 2 "key new without --name"
check "nothing created without --name" test ! -e x
run key new --name " padded" --dir x --passphrase-file pw
expect_rc 2 "key new with a name that has a leading space"
one_line_err "bad name" 'not a valid name'
check "nothing created for a bad name" test ! -e x
run key new --name "$NAME" --email 'not an address' --dir x --passphrase-file pw
expect_rc 2 "key new with a bad e-mail"
one_line_err "bad e-mail" 'not a valid e-mail'
check "nothing created for a bad e-mail" test ! -e x
run key frobnicate
expect_rc 2 "unknown key subcommand"

# Default location: $HOME/.config/fuin, created 0700.
run key new --name 'Default Person' --passphrase-file pw
expect_rc 0 "key new in the default directory"
check "default directory is ~/.config/fuin" test -s "$HOME/.config/fuin/card.pub"
check "default directory mode 0700" test "$(mode_of "$HOME/.config/fuin")" = 700

# Asked twice on the terminal.
python3 "$PTY" --err tty.err --answer 'passphrase: ' "$PASS" \
    --answer 'Confirm passphrase: ' "$PASS" -- \
    "$FUIN" key new --name 'Tty Person' --dir ttyid >tty.out
rc=$?
expect_rc 0 "key new with the passphrase typed twice"
check "key new on a terminal wrote the card" test -s ttyid/card.pub
python3 "$PTY" --err tty.err --answer 'passphrase: ' "$PASS" \
    --answer 'Confirm passphrase: ' 'something else entirely 5' -- \
    "$FUIN" key new --name 'Tty Person' --dir ttyid2 >tty.out
rc=$?
expect_rc 2 "key new with two different passphrases"
check "mismatch message" grep -q 'passphrases do not match' tty.err
check "mismatch: nothing created" test ! -e ttyid2

# ----------------------------------------------------------------- key show
run key show id
expect_rc 0 "key show DIR"
check "key show: name" grep -qx "name:                $NAME" out
check "key show: key id" grep -qx "minisign-key-id:     $KEYID" out
check "key show: no certificate" grep -qx "certificate:         none" out
run key show id/card.pub
expect_rc 0 "key show CARD"
check "key show CARD: name" grep -qx "name:                $NAME" out
run key show --json id
expect_rc 0 "key show --json"
check "key show --json fields" python3 - out "$NAME" "$KEYID" id/card.pub <<'EOF'
import json, sys
o = json.load(open(sys.argv[1], encoding="utf-8"))
card = dict(l.split(": ", 1) for l in open(sys.argv[4], encoding="utf-8").read().splitlines()[1:])
assert o["name"] == sys.argv[2], o
assert o["email"] == "hanako@example.lg.jp"
assert o["minisign_key_id"] == sys.argv[3]
assert o["age_recipient"] == card["age-recipient"]
assert o["minisign_public_key"] == card["minisign-public-key"]
assert o["created"] == card["created"]
assert o["certificate"] is None
EOF
check "key show --json is one line" test "$(wc -l <out)" -eq 1
run key show nonexistent.pub
expect_rc 4 "key show of a missing card"
printf 'fuin-card: 1\nname: x\n' >broken.pub
run key show broken.pub
expect_rc 3 "key show of a truncated card"
one_line_err "truncated card" '^fuin: key: broken\.pub: .*line'

# ------------------------------------------------------------------- sign
echo "release notes" >a.txt
printf 'second file\n' >b.txt
run sign --dir id --passphrase-file pw a.txt
expect_rc 0 "sign"
no_err "sign"
check "sign wrote a.txt.minisig" test -s a.txt.minisig
check "signature mode 0644" test "$(mode_of a.txt.minisig)" = 644
check "signature has 4 lines" test "$(wc -l <a.txt.minisig)" -eq 4
check "prehashed ED signature" \
    test "$(sed -n 2p a.txt.minisig | base64 -d 2>/dev/null | head -c 2)" = ED
TC=$(sed -n 's/^trusted comment: //p' a.txt.minisig)
check "trusted comment fields" python3 - "$TC" "$NAME" "$KEYID" <<'EOF'
import sys, time
tc, name, keyid = sys.argv[1], sys.argv[2], sys.argv[3]
f = tc.split("\t")
assert f[0].startswith("timestamp:") and f[1] == "file:a.txt" and f[2] == "hashed", f
assert f[3] == "fuin:1" and f[4] == "signer:" + name and f[5] == "key-id:" + keyid, f
assert f[6].startswith("time:") and len(f) == 7, f
ts = int(f[0][10:])
assert abs(ts - time.time()) < 300
assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)) == f[6][5:]
EOF

run verify -p id/sign.pub a.txt
expect_rc 0 "verify -p"
no_err "verify -p"
check "verify -p line" grep -Eqx "a\.txt: OK: signed by $NAME \(key $KEYID\), at [0-9T:-]+Z" out

# --class lands in the trusted comment; 完全性1 needs no certificate.
run sign --dir id --passphrase-file pw --class '機密性2' b.txt
expect_rc 0 "sign --class C2"
check "class field" grep -q "	class:C2-I1-A1	" b.txt.minisig
run verify -p id/sign.pub b.txt
check "verify shows the label" grep -q "label C2-I1-A1" out

# Many files in one call, verified in one call.
mkdir many
for i in $(seq 1 30); do echo "file $i" >"many/f$i"; done
run sign --dir id --passphrase-file pw many/f*
expect_rc 0 "sign 30 files in one call"
check "30 signatures" test "$(ls many/*.minisig | wc -l)" -eq 30
run verify -p id/sign.pub many/f*[0-9]
expect_rc 0 "verify 30 files in one call"
check "30 OK lines" test "$(grep -c ': OK: signed by' out)" -eq 30

# A larger file streams (several read chunks).
head -c 5000000 /dev/urandom >big.bin
run sign --dir id --passphrase-file pw big.bin
expect_rc 0 "sign a 5 MB file"
run verify -p id/sign.pub big.bin
expect_rc 0 "verify a 5 MB file"

# Existing signatures are kept unless --force.
cp a.txt.minisig a.keep
run sign --dir id --passphrase-file pw a.txt
expect_rc 5 "sign over an existing signature"
one_line_err "existing signature" '^fuin: sign: a\.txt\.minisig: file exists'
check "existing signature untouched" cmp -s a.keep a.txt.minisig
# Ed25519 is deterministic: within the same second only a different
# comment tells the new signature from the old one.
run sign --dir id --passphrase-file pw --force -c 'replaced by --force' a.txt
expect_rc 0 "sign --force"
check "sign --force replaced the signature" \
    test "$(sed -n 1p a.txt.minisig)" = "untrusted comment: replaced by --force"
check "no temporary files left" test "$(ls -A | grep -c '^\.')" -eq 0

run sign --dir id --passphrase-file pw -
expect_rc 2 "sign of standard input"
run sign --dir id --passphrase-file pw
expect_rc 2 "sign without FILE"
run sign --dir id --passphrase-file pw -c $'two\nlines' a.txt
expect_rc 2 "multi-line untrusted comment"
run sign --dir id --passphrase-file pw --class C9 a.txt
expect_rc 2 "sign with a bad --class"
run sign --dir id --passphrase-file pw --force -c 'my own note' a.txt
check "untrusted comment -c" test "$(sed -n 1p a.txt.minisig)" = "untrusted comment: my own note"

# 完全性2 needs a certified key; this one has no certificate.
echo i2 >i2.txt
run sign --dir id --passphrase-file pw --class C1-I2-A1 i2.txt
expect_rc 1 "I2 with an uncertified key"
one_line_err "I2 refusal names the rule" '^fuin: sign: policy: built-in default: \[class\.I2\] signer = certified'
check "no signature after the refusal" test ! -e i2.txt.minisig

# -------------------------------------------------------------- bad input
# Wrong passphrase.
echo w >w.txt
run sign --dir id --passphrase-file wrongpw w.txt
expect_rc 1 "sign with the wrong passphrase"
one_line_err "wrong passphrase" '^fuin: sign: id/sign\.key: wrong passphrase'
check "no signature with the wrong passphrase" test ! -e w.txt.minisig

# Corrupted secret key: one byte of the encrypted checksum changed.
python3 - id/sign.key corrupt.key <<'EOF'
import base64, sys
lines = open(sys.argv[1]).read().split("\n")
b = bytearray(base64.b64decode(lines[1]))
b[-3] ^= 0x01
lines[1] = base64.b64encode(bytes(b)).decode()
open(sys.argv[2], "w").write("\n".join(lines))
EOF
run sign -s corrupt.key --passphrase-file pw w.txt
expect_rc 1 "sign with a corrupted secret key"
one_line_err "corrupted key" '^fuin: sign: corrupt\.key: .*checksum'
check "no signature with a corrupted key" test ! -e w.txt.minisig
printf 'untrusted comment: x\nRWQnotbase64!!\n' >garbage.key
run sign -s garbage.key --passphrase-file pw w.txt
expect_rc 3 "sign with a malformed secret key"

# Modified file.
cp a.txt a.orig
echo "one more line" >>a.txt
run verify -p id/sign.pub a.txt
expect_rc 1 "verify a modified file"
one_line_err "modified file" '^fuin: verify: a\.txt: FAILED: file modified'
check "nothing on stdout for a failure" test ! -s out
run verify --json -p id/sign.pub a.txt b.txt
expect_rc 1 "verify --json with one modified file"
check "--json: one object per file" python3 - out "$NAME" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1], encoding="utf-8"))
assert [o["file"] for o in a] == ["a.txt", "b.txt"], a
assert a[0]["ok"] is False and a[0]["status"] == "modified", a[0]
assert "modified" in a[0]["reason"]
assert a[1]["ok"] is True and a[1]["status"] == "ok" and a[1]["signer"] == sys.argv[2], a[1]
assert a[1]["label"] == "C2-I1-A1" and a[1]["role"] is None and a[1]["organisation"] is None
assert len(a[1]["key_id"]) == 16 and a[1]["time"].endswith("Z")
EOF
cp a.orig a.txt

# Modified trusted comment (the signature line untouched).
python3 - a.txt.minisig mod.minisig <<'EOF'
import sys
t = open(sys.argv[1], encoding="utf-8").read().replace("\tfile:a.txt\t", "\tfile:b.txt\t")
open(sys.argv[2], "w", encoding="utf-8").write(t)
EOF
check "trusted comment was edited" sh -c '! cmp -s a.txt.minisig mod.minisig'
run verify -p id/sign.pub -x mod.minisig a.txt
expect_rc 1 "verify with a modified trusted comment"
one_line_err "modified trusted comment" 'FAILED: trusted comment modified'

# Wrong public key.
run verify -p ttyid/sign.pub a.txt
expect_rc 1 "verify with the wrong public key"
one_line_err "wrong public key" "FAILED: .*$KEYID"

# Truncated and garbled signatures.
head -c 60 a.txt.minisig >trunc.minisig
run verify -p id/sign.pub -x trunc.minisig a.txt
expect_rc 3 "verify a truncated .minisig"
one_line_err "truncated .minisig" '^fuin: verify: a\.txt: FAILED: trunc\.minisig: '
# The signature line loses 8 base64 characters: wrong length.
sed '2s/........$//' a.txt.minisig >garbled.minisig
run verify -p id/sign.pub -x garbled.minisig a.txt
expect_rc 3 "verify a garbled .minisig"
one_line_err "garbled .minisig" '^fuin: verify: a\.txt: FAILED: garbled\.minisig: '
# Algorithm bytes that are neither "ED" nor "Ed".
python3 - a.txt.minisig alg.minisig <<'EOF2'
import base64, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
b = bytearray(base64.b64decode(lines[1]))
b[0:2] = b"XX"
lines[1] = base64.b64encode(bytes(b)).decode()
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(lines))
EOF2
run verify -p id/sign.pub -x alg.minisig a.txt
expect_rc 3 "verify a .minisig with an unknown algorithm"
printf 'not a signature at all\n' >junk.minisig
run verify -p id/sign.pub -x junk.minisig a.txt
expect_rc 3 "verify a junk .minisig"
run verify -p id/sign.pub w.txt
expect_rc 4 "verify without a signature file"
one_line_err "missing signature" 'FAILED: no signature: w\.txt\.minisig'
run verify -p id/sign.pub -x a.txt.minisig a.txt b.txt
expect_rc 2 "-x with two files"
run verify -p id/sign.pub --trust id/sign.pub a.txt
expect_rc 2 "-p with --trust"
if [ ! -e /etc/fuin/root.pub ]; then
    run verify a.txt
    expect_rc 2 "verify without a key or trust store"
fi

# Several files: every one checked, the status is the first failure's.
run verify -p id/sign.pub a.txt w.txt b.txt
expect_rc 4 "verify with a missing signature among good files"
check "the good files still verified" test "$(grep -c ': OK: ' out)" -eq 2

# ---------------------------------------------------------------- passwd
cp id/identity.age id.before
cp id/sign.key sk.before
run key passwd --dir id --passphrase-file pw --new-passphrase-file weak
expect_rc 1 "key passwd to a weak passphrase"
one_line_err "key passwd weak" 'passphrase too weak'
check "weak passwd left identity.age" cmp -s id.before id/identity.age
check "weak passwd left sign.key" cmp -s sk.before id/sign.key
run key passwd --dir id --passphrase-file wrongpw --new-passphrase-file newpw
expect_rc 1 "key passwd with the wrong current passphrase"
one_line_err "key passwd wrong passphrase" 'wrong passphrase'
check "failed passwd left sign.key" cmp -s sk.before id/sign.key
run key passwd --dir id --passphrase-file pw --new-passphrase-file newpw
expect_rc 0 "key passwd"
check "passwd rewrote identity.age" sh -c '! cmp -s id.before id/identity.age'
check "passwd rewrote sign.key" sh -c '! cmp -s sk.before id/sign.key'
check "identity.age still 0600" test "$(mode_of id/identity.age)" = 600
check "sign.key still 0600" test "$(mode_of id/sign.key)" = 600
check "no temporary files in the identity directory" test "$(ls -A id | grep -c '^\.')" -eq 0
echo p >p.txt
run sign --dir id --passphrase-file pw p.txt
expect_rc 1 "old passphrase no longer opens sign.key"
run sign --dir id --passphrase-file newpw p.txt
expect_rc 0 "new passphrase opens sign.key"
run verify -p id/sign.pub p.txt
expect_rc 0 "same key after passwd"
run decrypt --passphrase-file pw -o x.txt id/identity.age
expect_rc 1 "old passphrase no longer opens identity.age"
run decrypt --passphrase-file newpw -o idplain2.txt id/identity.age
expect_rc 0 "new passphrase opens identity.age"
check "same identity after passwd" cmp -s idplain.txt idplain2.txt

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
