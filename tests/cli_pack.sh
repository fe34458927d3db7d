#!/bin/bash
# Packages: fuin pack / verify / unpack, end to end with certified keys,
# against stock age, minisign, GNU tar, bsdtar and 7zz, and a corpus of
# hostile archives built here (no committed blobs).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/harness.sh"
sandbox pack

. "$HERE/pack_setup.sh"
SATO_ID=$T/sato/.config/fuin/identity.age
# the label's machine form (user.fuin.class) and human form (user.fuin.label)
xattr() { python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.fuin.class").decode())' "$1" 2>/dev/null; }
xlabel() { python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.fuin.label").decode())' "$1" 2>/dev/null; }
setlabel() { python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.fuin.label", sys.argv[2].encode())' "$1" "$2"; }

# ---- the files: a directory, labels by name, Japanese names
mkdir -p src/報告 src/empty c1
printf 'hello\n' >c1/a.txt
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
check "unpack: and its human form" test "$(xlabel 'recv/src/報告/【機密性2】内訳.txt')" = '機密性2 完全性1 可用性1'
check "unpack: no private directory left" test -z "$(ls -A recv | grep fuin-unpack)"


# ---- 3. stock tools take a package apart
run keygen -o plain.key
PLAIN=$("$FUIN" keygen -y plain.key)
as yamada pack -o p2.fuin --store "$YS" --passphrase-file "$T/ypw" -r "$PLAIN" src
expect_rc 0 "pack: to a plain age recipient (C2 allows any recipient)"
check "manifest records the recipient" true
age -d -i plain.key -o p2.tar p2.fuin 2>err
rc=$?; expect_rc 0 "age -d decrypts a package"
tar -tf p2.tar >out 2>err
rc=$?; expect_rc 0 "GNU tar lists the inner tar"
check "GNU tar: the manifest is the first member" test "$(head -1 out)" = fuin-manifest.jsonl
check "GNU tar: no warning about the pax headers" test ! -s err
check "GNU tar: the files under data/" grep -qx 'data/src/報告/本文.txt' out
bsdtar -tf p2.tar >out 2>err
rc=$?; expect_rc 0 "bsdtar lists the inner tar"
check "bsdtar: five tag members and seven entries" test "$(wc -l <out)" -eq 12
mkdir x2 && tar -xf p2.tar -C x2 2>err
rc=$?; expect_rc 0 "GNU tar extracts it"
check "GNU tar: same bytes" diff -r src x2/data/src
check "the manifest records the recipient" grep -q "\"recipients\":\[\"$PLAIN\"\]" x2/fuin-manifest.jsonl
minisign -Vm x2/fuin-manifest.jsonl -p yamada/.config/fuin/sign.pub >out 2>err
rc=$?; expect_rc 0 "stock minisign verifies the extracted manifest's signature"
check "minisign: the trusted comment names the manifest and class" grep -q 'file:fuin-manifest.jsonl	hashed	fuin:1	signer:山田 花子	key-id:[0-9A-F]*	class:C2-I1-A1' out
(cd x2 && sha256sum --quiet -c manifest-sha256.txt) >out 2>err
rc=$?; expect_rc 0 "BagIt: manifest-sha256.txt checks with sha256sum -c"
check "BagIt: bagit.txt declares version 1.0" grep -qx 'BagIt-Version: 1.0' x2/bagit.txt
as sato verify --store "$SS" -i plain.key p2.fuin
expect_rc 0 "verify with a plain identity file"
printf 'x' | dd of=x2/data/src/README bs=1 seek=0 conv=notrunc 2>/dev/null
(cd x2 && sha256sum --quiet -c manifest-sha256.txt) >/dev/null 2>&1
rc=$?; expect_rc 1 "BagIt: a changed file fails sha256sum -c"

# ---- 4. a package made by hand with tar, age and minisign verifies with fuin
mkdir -p hand/data/docs
printf 'by hand\n' >hand/data/docs/a.txt
printf 'second\n' >hand/data/b.txt
touch -d '2026-01-02 03:04:05Z' hand/data/docs/a.txt hand/data/b.txt hand/data/docs
python3 - hand <<'PY'
import hashlib, json, os, sys, time
root = sys.argv[1]
def t(x): return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(int(x)))
ents = []
for rel in ['b.txt', 'docs', 'docs/a.txt']:
    p = os.path.join(root, 'data', rel); st = os.stat(p)
    e = {'path': rel, 'type': 'dir' if os.path.isdir(p) else 'file'}
    if e['type'] == 'file': e['size'] = st.st_size
    e['mode'] = '%04o' % (st.st_mode & 0o777); e['mtime'] = t(st.st_mtime)
    if e['type'] == 'file': e['sha256'] = hashlib.sha256(open(p, 'rb').read()).hexdigest()
    ents.append(e)
head = {'fuin-package': 1, 'class': 'C1-I1-A1', 'created': t(time.time()), 'creator': 'by hand',
        'tool': 'tar+age+minisign', 'hash': 'sha256', 'entries': len(ents),
        'bytes': sum(e.get('size', 0) for e in ents), 'recipients': [], 'approval': ''}
with open(os.path.join(root, 'fuin-manifest.jsonl'), 'w') as f:
    for o in [head] + ents: f.write(json.dumps(o, ensure_ascii=False, separators=(',', ':')) + '\n')
with open(os.path.join(root, 'bagit.txt'), 'w') as f:
    f.write('BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n')
with open(os.path.join(root, 'manifest-sha256.txt'), 'w') as f:
    for e in ents:
        if e['type'] == 'file': f.write('%s  data/%s\n' % (e['sha256'], e['path']))
PY
KEYID=$(sed -n 's/^minisign-key-id: //p' yamada/.config/fuin/card.pub)
BUNDLE=$(cat yamada/.config/fuin/card.cert yamada/.config/fuin/card.cert.minisig | base64 -w0)
NOW=$(date -u +%s)
TC="timestamp:$NOW	file:fuin-manifest.jsonl	hashed	fuin:1	signer:山田 花子	key-id:$KEYID	class:C1-I1-A1	time:$(date -u -d "@$NOW" +%Y-%m-%dT%H:%M:%SZ)	cert:$BUNDLE"
python3 "$HERE/pty_drive.py" --timeout 60 --transcript tty --answer 'Password: ' "$(cat ypw)" -- \
    minisign -S -s yamada/.config/fuin/sign.key -m hand/fuin-manifest.jsonl -t "$TC" </dev/null >/dev/null 2>pty.err
rc=$?; expect_rc 0 "stock minisign signs the hand-made manifest"
(cd hand && tar --format=pax -cf ../hand.tar fuin-manifest.jsonl fuin-manifest.jsonl.minisig bagit.txt manifest-sha256.txt --no-recursion data data/b.txt data/docs data/docs/a.txt) 2>err
rc=$?; expect_rc 0 "GNU tar writes the hand-made package"
age -r "$PLAIN" -o hand.fuin hand.tar
as sato verify --store "$SS" -i "$T/plain.key" hand.fuin
expect_rc 0 "fuin verifies a package made with tar + age + minisign"
check "verify: the hand-made package's signer" grep -q 'signer: 山田 花子 (staff)' out
as sato verify --store "$SS" hand.tar
expect_rc 0 "fuin verifies the unencrypted hand-made tar (C1 needs no encryption)"
mkdir recv2
as sato unpack -C recv2 --store "$SS" hand.tar
expect_rc 0 "unpack of the hand-made package"
check "unpack: the files, without data/" test "$(cat recv2/docs/a.txt)" = 'by hand'

# ---- 5. the class rules on the receiving side
as yamada pack -o c2plain.fuin --store "$YS" --passphrase-file "$T/ypw" -r "$PLAIN" src
age -d -i plain.key -o c2plain.tar c2plain.fuin
as sato verify --store "$SS" c2plain.tar
expect_rc 1 "verify: a 機密性2 package that arrives decrypted is refused"
check "verify: the refusal names the rule" grep -q 'arrived unencrypted.*encrypt = required' err
mkdir recv3
as sato unpack -C recv3 --store "$SS" c2plain.tar
expect_rc 1 "unpack: the same refusal"
check "unpack: nothing left in DIR" test -z "$(ls -A recv3)"
as sato unpack -C recv3 --store "$SS" --passphrase-file "$T/spw" p1.fuin
expect_rc 0 "unpack again into an empty DIR"
as sato unpack -C recv3 --store "$SS" --passphrase-file "$T/spw" p1.fuin
expect_rc 5 "unpack: a name that exists in DIR: exit 5"
check "unpack: says which name exists" grep -q 'recv3/src exists: nothing was unpacked' err
as citizen verify p1.fuin -i "$T/plain.key"
expect_rc 2 "verify: no trust root at all: usage error"

# ---- 6. labels: xattr in, xattr out; the class takes the highest
mkdir -p lab
printf 'a\n' >lab/a.txt
printf 'b\n' >lab/b.txt
if setlabel lab/a.txt 'C2-I2-A1' 2>/dev/null; then
    as yamada pack -o lab.fuin --store "$YS" --passphrase-file "$T/ypw" -r '佐藤 一郎' lab
    expect_rc 0 "pack: a file labelled by xattr"
    check "pack: the class follows the xattr label" grep -q 'class C2-I2-A1' err
    mkdir recv4
    as sato unpack -C recv4 --store "$SS" --passphrase-file "$T/spw" lab.fuin
    expect_rc 0 "unpack: labelled package"
    check "unpack: the xattr label is back" test "$(xattr recv4/lab/a.txt)" = C2-I2-A1
    check "unpack: an unlabelled file stays unlabelled" test -z "$(xattr recv4/lab/b.txt)"
    setlabel lab/b.txt 'not a label'
    as yamada pack -o lab2.fuin --store "$YS" --passphrase-file "$T/ypw" -r '佐藤 一郎' lab
    expect_rc 3 "pack: an xattr label that does not parse"
    check "pack: names the file and the xattr" grep -q 'lab/b.txt: its label: xattr: not a label' err
else
    echo "SKIP: user xattrs are not supported on $T"
fi
as yamada pack -o sym.fuin --store "$YS" --passphrase-file "$T/ypw" c1 src/README /dev/null
expect_rc 11 "pack: a device is not packed"
ln -s src/README link
as yamada pack -o sym.fuin --store "$YS" --passphrase-file "$T/ypw" link
expect_rc 11 "pack: a symbolic link is not packed"
check "pack: says to name the target" grep -q 'symbolic link is not packed.*name the file it points to' err
as yamada pack -o dup.fuin --store "$YS" --passphrase-file "$T/ypw" c1 c1
expect_rc 11 "pack: the same path twice"
mkdir -p case1 case2 && printf 1 >case1/A.txt && printf 2 >case1/a.txt
as yamada pack -o case.fuin --store "$YS" --passphrase-file "$T/ypw" case1
expect_rc 11 "pack: names that differ only in case"
check "pack: no package after a refusal" test ! -e case.fuin -a ! -e dup.fuin -a ! -e sym.fuin

# ---- 7. zstd, JSON, stdout
as yamada pack -o z.fuin --zstd --store "$YS" --passphrase-file "$T/ypw" -r '佐藤 一郎' src
expect_rc 0 "pack --zstd"
# the tar inside is zstd (libzstd, 1 MiB jobs on every CPU): bsdtar lists
# it, and the frame carries zstd's checksum (frame header descriptor bit 2)
as sato decrypt --passphrase-file "$T/spw" -o z.tar.zst z.fuin
expect_rc 0 "decrypt the zstd package"
check "the package's payload is a zstd frame with a checksum" python3 -c '
import sys; b=open("z.tar.zst","rb").read(5)
assert b[:4]==bytes.fromhex("28b52ffd") and b[4]&4, b.hex()'
check "bsdtar lists the zstd tar inside" sh -c 'bsdtar -tf z.tar.zst | grep -q "^data/src/"'
as sato verify --json --store "$SS" --passphrase-file "$T/spw" z.fuin
expect_rc 0 "verify --json of a zstd package"
check "verify --json: one array with the package object" python3 -c '
import json,sys; a=json.load(open("out")); o=a[0]
assert o["ok"] and o["package"] and o["encrypted"] and o["class"]=="C2-I1-A1", o
assert o["signer"]=="山田 花子" and len(o["files"])==7, o' 

# ---- 8. --zip: AES-256 for outside recipients with 7-Zip
as yamada pack --zip -o out.zip --store "$YS" --passphrase-file "$T/ypw" src
expect_rc 0 "pack --zip"
ZP=$(sed -n 's/^    \([0-9A-Z-]*\)$/\1/p' err)
check "pack --zip: a 6x4 passphrase of unambiguous symbols" \
    grep -Eqx '[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){5}' <<<"$ZP"
check "pack --zip: says to use another channel" grep -q 'another channel than the zip' err
check "pack --zip: says Explorer cannot open it" grep -q 'Windows Explorer alone cannot' err
check "pack --zip: no temporary left" test -z "$(ls -A | grep fuin-zip)"
7zz t -p"$ZP" out.zip >out 2>&1
rc=$?; expect_rc 0 "7zz t accepts fuin's AES zip"
7zz l -slt out.zip >out 2>&1
check "7zz: every file is AES-256" test "$(grep -c '^Method = AES-256' out)" -eq 8
check "7zz: the manifest first" test "$(grep -m2 '^Path = ' out | tail -1)" = 'Path = fuin-manifest.jsonl'
7zz t -pWRONG-PASSPHRASE out.zip >/dev/null 2>&1
rc=$?; check "7zz t with a wrong passphrase fails" test "$rc" -ne 0
mkdir x7 && 7zz x -p"$ZP" -ox7 out.zip >/dev/null 2>&1
check "7zz x: same bytes" diff -r src x7/data/src
check "7zz x: the extracted manifest verifies with minisign" \
    minisign -Vqm x7/fuin-manifest.jsonl -p yamada/.config/fuin/sign.pub
printf '%s\n' "$ZP" >zp
as sato verify --store "$SS" --zip-passphrase-file "$T/zp" out.zip
expect_rc 0 "verify: fuin's zip package"
check "verify: says it is a password zip" grep -q 'sealed: AES-256 zip (password)' out
printf 'WRONG-WRONG-WRONG-WRONG\n' >zpbad
as sato verify --store "$SS" --zip-passphrase-file "$T/zpbad" out.zip
expect_rc 1 "verify: a wrong zip passphrase"
check "verify: says the passphrase is wrong" grep -q 'wrong passphrase for the zip' err
mkdir recv5
as sato unpack -C recv5 --store "$SS" --zip-passphrase-file "$T/zp" out.zip
expect_rc 0 "unpack: fuin's zip package"
check "unpack: zip package, same bytes" diff -r src recv5/src
# fuin encrypts every member itself (AE-2 around deflate stored blocks of
# 65,535 bytes, 16 blocks to a worker's slot): sizes at the edges of AES
# blocks, of stored blocks and of slots (1,048,560), read back by 7-Zip,
# bsdtar and fuin; 700 more files make the manifest and manifest-sha256.txt
# longer than one stored block (they are written last, over zeros)
mkdir edges edges/many
for n in 0 1 15 16 17 65534 65535 65536 131070 131071 1048559 1048560 1048561 2097121; do
    head -c "$n" /dev/urandom >"edges/e$n.bin"
done
for i in $(seq 1 700); do echo "$i" >"edges/many/file-with-a-longer-name-$i.txt"; done
as yamada pack --zip -o edges.zip --store "$YS" --passphrase-file "$T/ypw" edges
expect_rc 0 "pack --zip: files of edge sizes"
EZP=$(sed -n 's/^    \([0-9A-Z-]*\)$/\1/p' err)
7zz l -slt edges.zip >out 2>&1
# 14 + 700 files and 4 tag files; the three directories are not encrypted
check "7zz: every member but the directories is AES-256 deflate (stored)" \
    test "$(grep -c '^Method = AES-256 Deflate$' out)" -eq 718
check "7zz: the manifest is longer than a stored block" \
    test "$(sed -n '/^Path = fuin-manifest.jsonl$/,/^Size/s/^Size = //p' out)" -gt 65535
7zz t -p"$EZP" edges.zip >out 2>&1
check "7zz t: every member's HMAC and size" grep -q '^Everything is Ok' out
mkdir xe && 7zz x -p"$EZP" -oxe edges.zip >/dev/null 2>&1
check "7zz x: edge sizes, same bytes" diff -r edges xe/data/edges
mkdir xb && bsdtar -xf edges.zip --passphrase "$EZP" -C xb 2>/dev/null
check "bsdtar -x: edge sizes, same bytes" diff -r edges xb/data/edges
printf '%s\n' "$EZP" >ezp
mkdir recv_edges
as sato unpack -C recv_edges --store "$SS" --zip-passphrase-file "$T/ezp" edges.zip
expect_rc 0 "unpack: the zip of edge sizes"
check "unpack: edge sizes, same bytes" diff -r edges recv_edges/edges
as yamada pack --zip -o c3.zip --class C3 --store "$YS" --passphrase-file "$T/ypw" src
expect_rc 1 "pack --zip: refused for 機密性3"
check "pack --zip: the refusal names the rule" grep -q '\[class.C3\] zip = forbidden' err
check "pack --zip: no zip on refusal" test ! -e c3.zip
as yamada pack --zip -o out.zip --store "$YS" --passphrase-file "$T/ypw" src
expect_rc 5 "pack --zip: an existing OUTPUT is kept"
as yamada pack --zip -r "$PLAIN" -o y.zip src
expect_rc 2 "pack --zip with -r: usage error"
mkdir -p z7/d && printf 'seven\n' >z7/d/a.txt
(cd z7 && 7zz a -tzip -p'zip pass 7zz' -mem=AES256 ../aes7.zip d >/dev/null && 7zz a -tzip -p'zip pass 7zz' -mem=ZipCrypto ../zc7.zip d >/dev/null)
printf 'zip pass 7zz\n' >zp7
mkdir recv6 recv7
as sato unpack --any -C recv6 --zip-passphrase-file "$T/zp7" aes7.zip
expect_rc 0 "unpack --any: a 7zz-made AES-256 zip"
check "unpack --any: its contents" test "$(cat recv6/d/a.txt)" = seven
check "unpack --any: says nothing was verified" grep -q 'NOTHING was verified' err
as sato unpack --any -C recv7 --zip-passphrase-file "$T/zp7" zc7.zip
expect_rc 1 "unpack --any: ZipCrypto refused"
check "unpack --any: names ZipCrypto" grep -q 'ZipCrypto (traditional PKWARE), which is broken' err
check "unpack --any: nothing left after the refusal" test -z "$(ls -A recv7)"

# ---- 9. interrupted: nothing is left behind
mkdir -p big && head -c 3000000 /dev/urandom >big/a.bin && head -c 3000000 /dev/urandom >big/b.bin
as yamada pack -o big.fuin --store "$YS" --passphrase-file "$T/ypw" big
expect_rc 0 "pack: a larger C1 package"
mkfifo slow.fifo
mkdir recv8
(head -c 4000000 big.fuin; sleep 30) >slow.fifo &
feeder=$!
HOME=$T/sato "$FUIN" unpack -C recv8 --store "$SS" slow.fifo </dev/null >out 2>err &
up=$!
for _ in $(seq 50); do ls -A recv8 | grep -q fuin-unpack && break; sleep 0.1; done
check "unpack: the private directory exists while it works" test -n "$(ls -A recv8)"
sleep 0.3
kill -INT "$up"
wait "$up"
rc=$?
kill "$feeder" 2>/dev/null
wait "$feeder" 2>/dev/null
expect_rc 130 "unpack: SIGINT ends it as SIGINT does"
check "unpack: after SIGINT nothing is left in DIR" test -z "$(ls -A recv8)"
check "unpack: says nothing was unpacked" grep -q 'nothing was unpacked' err

# ---- 10. the stale sweep removes only fuin's own private directories
mkdir -p recv9/.fuin-unpack-0123456789ab && printf 'mine\n' >recv9/.fuin-unpack-0123456789ab/keep.txt
as sato unpack -C recv9 --store "$SS" hand.tar
expect_rc 0 "unpack beside a look-alike private directory"
check "the sweep leaves a directory without fuin's marker alone" \
    test "$(cat recv9/.fuin-unpack-0123456789ab/keep.txt 2>/dev/null)" = mine
check "no marker or private directory of this run is left" \
    test "$(ls -A recv9 | sort | tr '\n' ' ')" = ".fuin-unpack-0123456789ab b.txt docs "
# links that lead out together, also when only the case differs
python3 - <<'PY'
import io, tarfile
def link(t, name, target):
    i = tarfile.TarInfo(name); i.type = tarfile.SYMTYPE; i.linkname = target; t.addfile(i)
with tarfile.open('chain.tar', 'w') as t:
    link(t, 'A', '.'); link(t, 'b', 'a/../outside')
PY
mkdir recv10
as sato unpack --any -C recv10 chain.tar
expect_rc 11 "unpack --any: a link through a link that differs only in case"
check "unpack --any: nothing left after the link chain" test -z "$(ls -A recv10)"
# ".." out of a name the archive did not create (DEST's own x may be a link)
mkdir recv11 && ln -s / recv11/x
python3 - <<'PY'
import tarfile
with tarfile.open('dotdot.tar', 'w') as t:
    i = tarfile.TarInfo('l'); i.type = tarfile.SYMTYPE; i.linkname = 'x/../y'; t.addfile(i)
PY
as sato unpack --any -C recv11 dotdot.tar
expect_rc 11 "unpack --any: a link climbing out of a name the archive did not make"
check "unpack --any: DEST's own link untouched, nothing added" test "$(ls -A recv11)" = x
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
