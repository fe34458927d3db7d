#!/bin/bash
# Packages: fuin pack / verify / unpack, end to end with certified keys,
# against stock age, minisign, GNU tar, bsdtar and 7zz, and a corpus of
# hostile archives built here (no committed blobs).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/harness.sh"
sandbox pack

ORG='〇〇事務組合'
printf 'root passphrase long enough 2718\n' >rpw
printf 'yamada passphrase long enough 1414\n' >ypw
printf 'sato passphrase long enough 1732\n' >spw
as() {
    local who=$1
    shift
    HOME=$T/$who "$FUIN" "$@" </dev/null >out 2>err
    rc=$?
}
for who in ciso yamada sato citizen; do mkdir -p "$T/$who"; done
as ciso ciso init --org "$ORG" --passphrase-file "$T/rpw"
expect_rc 0 "ciso init"
ROOT=$T/ciso/.config/fuin/ciso/root.pub
as yamada key new --name '山田 花子' --email yamada@example.lg.jp --passphrase-file "$T/ypw"
expect_rc 0 "yamada: key new"
as sato key new --name '佐藤 一郎' --email sato@example.lg.jp --passphrase-file "$T/spw"
expect_rc 0 "sato: key new"
UNTIL=$(date -u -d '+200 days' +%Y-%m-%d)
for who in yamada sato; do
    cp "$who/.config/fuin/card.pub" "ciso/$who.pub"
    as ciso ciso certify "$T/ciso/$who.pub" --role staff --until "$UNTIL" --passphrase-file "$T/rpw"
    expect_rc 0 "certify $who"
    cp "ciso/$who.cert" "$who/.config/fuin/card.cert"
    cp "ciso/$who.cert.minisig" "$who/.config/fuin/card.cert.minisig"
done
for who in yamada sato; do
    as "$who" store init "$ROOT" --store "$T/$who/store"
    expect_rc 0 "$who: store init"
    as "$who" store add "$T/ciso/yamada.cert" "$T/ciso/sato.cert" --store "$T/$who/store"
    expect_rc 0 "$who: store add"
done
YS=$T/yamada/store SS=$T/sato/store
SATO_ID=$T/sato/.config/fuin/identity.age
xattr() { python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.fuin.label").decode())' "$1" 2>/dev/null; }
setlabel() { python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.fuin.label", sys.argv[2].encode())' "$1" "$2"; }

# ---- the files: a directory, labels by name, Japanese names
mkdir -p src/報告 src/empty
printf '令和8年度 報告書\n' >src/報告/本文.txt
printf 'secret numbers\n' >'src/報告/【機密性2】内訳.txt'
head -c 300000 /dev/urandom >src/報告/data.bin
printf 'readme\n' >src/README
chmod 0640 src/README

# ---- 1. pack: the class comes from the labels; the policy decides
as yamada pack -o p1.fuin --store "$YS" --passphrase-file "$T/ypw" src
expect_rc 1 "pack: a 機密性2 file inside, no recipients: refused"
check "pack: the refusal says encryption is required" grep -q 'must be encrypted' err
check "pack: nothing written on refusal" test ! -e p1.fuin
as yamada pack -o p1.fuin --store "$YS" --passphrase-file "$T/ypw" --class C1 src
expect_rc 1 "pack: --class below a file's label: refused"
check "pack: names the file above the class" grep -q '内訳.txt is labelled C2-I1-A1, above the package class C1-I1-A1' err
as yamada pack -o p1.fuin --store "$YS" --passphrase-file "$T/ypw" -r '佐藤 一郎' src
expect_rc 0 "pack: to a certified colleague by name"
check "pack: summary names the class" grep -q 'class C2-I1-A1, signed (certified key), encrypted to the recipients' err
check "pack: the package is an age file" test "$(head -c 22 p1.fuin)" = "age-encryption.org/v1"
check "pack: the age header carries the class" grep -aq '^-> fuin-label C2-I1-A1' p1.fuin

# ---- 2. verify and unpack at the receiver
as sato verify --store "$SS" --passphrase-file "$T/spw" p1.fuin
expect_rc 0 "verify: the package verifies"
check "verify: OK line with class and files" grep -q "p1.fuin: OK: package of class C2-I1-A1, 4 files" out
check "verify: names the signer" grep -q 'signer: 山田 花子 (staff), certified by 〇〇事務組合' out
check "verify: lists a labelled file" grep -q 'src/報告/【機密性2】内訳.txt  C2-I1-A1' out
check "verify: writes no file" test "$(ls | grep -c -v -e '^out$' -e '^err$')" -eq "$(ls | grep -c -v -e '^out$' -e '^err$')"
mkdir recv
as sato unpack -C recv --store "$SS" --passphrase-file "$T/spw" p1.fuin
expect_rc 0 "unpack: verified and unpacked"
check "unpack: same bytes" diff -r src recv/src
check "unpack: mode kept" test "$(mode_of recv/src/README)" = 640
check "unpack: mtime kept" test "$(stat -c %Y recv/src/README)" = "$(stat -c %Y src/README)"
check "unpack: label stamped as xattr" test "$(xattr 'recv/src/報告/【機密性2】内訳.txt')" = C2-I1-A1
check "unpack: no private directory left" test -z "$(ls -A recv | grep fuin-unpack)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
