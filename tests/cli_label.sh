#!/bin/bash
# Labels on files: fuin label set/show/clear/scan, read back by getfattr,
# exiftool, python-docx, openpyxl, odfpy and qpdf; the labels that encrypt,
# sign and pack take from the file; decrypt stamping the label back.  The
# documents are made here by those tools (no committed blobs).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/harness.sh"
sandbox label

# Debian's python3, which has python3-docx and the others (not a python
# that PATH may find first, such as pyenv's)
PY=/usr/bin/python3
for c in getfattr setfattr exiftool qpdf $PY age-keygen; do
    command -v "$c" >/dev/null || { echo "FAIL: $c is missing (scripts/deps.sh installs it)"; exit 1; }
done
$PY -c 'import docx, openpyxl, odf, reportlab' ||
    { echo "FAIL: python3-docx, -openpyxl, -odf or -reportlab is missing (scripts/deps.sh)"; exit 1; }

xget() { getfattr --only-values -n "$2" "$1" 2>/dev/null; }

# ---- 1. xattrs: set, show, clear --------------------------------------------------
printf 'hello\n' >a.txt
run label set --class '機密性２ 複製禁止' a.txt
expect_rc 0 "set"
check "set prints the human form" grep -qx 'a.txt: 機密性2 完全性1 可用性1 複製禁止' out
check "getfattr: user.fuin.label is the human form" test "$(xget a.txt user.fuin.label)" = '機密性2 完全性1 可用性1 複製禁止'
check "getfattr: user.fuin.class is the machine form" test "$(xget a.txt user.fuin.class)" = 'C2-I1-A1 no-copy'
check "the content is untouched" test "$(cat a.txt)" = hello
run label show a.txt
expect_rc 0 "show"
check "show: the label" grep -qx 'a.txt: 機密性2 完全性1 可用性1 複製禁止 (C2-I1-A1 no-copy)' out
check "show: where it was found" grep -Eq '^  xattr +C2-I1-A1 複製禁止$' out
run label show --json a.txt
check "show --json" $PY - out <<'EOF'
import json, sys
o = json.loads(open(sys.argv[1], encoding="utf-8").read())
assert o["path"] == "a.txt" and o["conflict"] is None, o
assert o["label"]["class"] == "C2-I1-A1 no-copy" and o["label"]["confidentiality"] == 2, o
assert [p["where"] for p in o["places"]] == ["xattr"], o
EOF
printf 'x\n' >plain.txt
run label show plain.txt
expect_rc 0 "show: an unlabelled file"
check "show: no label" grep -qx 'plain.txt: no label' out
run label clear a.txt
expect_rc 0 "clear"
check "clear: both xattrs gone" test -z "$(getfattr -d -m user.fuin a.txt 2>/dev/null)"
run label set --class C4 a.txt
expect_rc 2 "set: a bad label"
one_line_err "set: a bad label" '^fuin: label: --class: '
run label set a.txt
expect_rc 2 "set without --class"
run label set --class C2 missing.txt
expect_rc 4 "set: a missing file"
one_line_err "set: a missing file" '^fuin: label: missing\.txt: '
ln -s a.txt link.txt
run label set --class C2 link.txt
expect_rc 2 "set: a symbolic link is refused"
check "set: the link's target was not labelled" test -z "$(xget a.txt user.fuin.label)"
run label bogus a.txt
expect_rc 2 "an unknown subcommand"
run label show --csv a.txt
expect_rc 2 "--csv does not apply to show"

# ---- 2. the name -----------------------------------------------------------------
printf 'n\n' >report.txt
run label set --class 'C3-I2' --name report.txt
expect_rc 0 "set --name"
check "set --name renamed" test -f '【機密性3・完全性2】report.txt' -a ! -e report.txt
check "set --name: said so" grep -q 'renamed to 【機密性3・完全性2】report.txt' out
run label set --class C2 --name '【機密性3・完全性2】report.txt'
expect_rc 0 "set --name over an old prefix"
check "the old prefix is replaced, not stacked" test -f '【機密性2】report.txt'
printf 'other\n' >'【機密性3】report.txt'
run label set --class C3 --name '【機密性2】report.txt'
expect_rc 5 "set --name never renames over an existing file"
check "the existing file is untouched" test "$(cat '【機密性3】report.txt')" = other
run label clear --name '【機密性2】report.txt'
expect_rc 0 "clear --name"
check "clear --name takes the prefix off" test -f report.txt
printf 'd\n' >'[draft] notes.txt'
run label show '[draft] notes.txt'
expect_rc 0 "a bracket that holds no class is just a name"
check "[draft]: no label" grep -q 'no label' out

# ---- 3. conflicts: fuin does not guess ----------------------------------------------
printf 'c\n' >'【機密性3】c.txt'
setfattr -n user.fuin.label -v '機密性2' '【機密性3】c.txt'
run label show '【機密性3】c.txt'
expect_rc 12 "show: name C3, xattr C2 is a conflict"
check "show: CONFLICT" grep -qx '【機密性3】c.txt: CONFLICT' out
check "show: both places listed" grep -Eq '^  name ' out
check "show: both places listed (xattr)" grep -Eq '^  xattr +C2-I1-A1$' out
check "show: the reason names both" grep -q 'name says C3-I1-A1, xattr says C2-I1-A1' err
printf 'g\n' >g.txt
setfattr -n user.fuin.label -v 'secret' g.txt
run label show g.txt
expect_rc 12 "show: an xattr that is not a label"
setfattr -n user.fuin.label -v '機密性2' g.txt
setfattr -n user.fuin.class -v 'C3-I1-A1' g.txt
run label show g.txt
expect_rc 12 "show: human and machine form disagree"

# ---- 4. documents: OOXML, ODF, PDF, read back by their own tools -------------------------
$PY - <<'EOF'
import docx, openpyxl
from odf.opendocument import OpenDocumentText
from odf.text import P
from reportlab.pdfgen import canvas
d = docx.Document(); d.add_paragraph("本文 text"); d.core_properties.title = "報告"; d.save("doc.docx")
wb = openpyxl.Workbook(); wb.active["A1"] = "数値"; wb.save("book.xlsx")
t = OpenDocumentText(); t.text.addElement(P(text="hello")); t.save("note.odt")
c = canvas.Canvas("paper.pdf"); c.setTitle("Paper"); c.drawString(72, 720, "hello"); c.save()
EOF
check "the documents were made" test -s doc.docx -a -s book.xlsx -a -s note.odt -a -s paper.pdf
run label set --class '機密性2 完全性2' doc.docx book.xlsx note.odt paper.pdf
expect_rc 0 "set on four documents"
check "docx: exiftool reads FuinLabel" test "$(exiftool -s3 -FuinLabel doc.docx)" = '機密性2 完全性2 可用性1'
check "docx: exiftool reads FuinClass" test "$(exiftool -s3 -FuinClass doc.docx)" = 'C2-I2-A1'
check "xlsx: exiftool reads FuinClass" test "$(exiftool -s3 -FuinClass book.xlsx)" = 'C2-I2-A1'
# exiftool lists ODF user-defined fields as name/value pairs
check "odt: exiftool reads both user-defined fields" test "$(exiftool -a -s3 -User-definedName -User-defined note.odt | tr '\n' '|')" = 'FuinLabel|FuinClass|機密性2 完全性2 可用性1|C2-I2-A1|'
check "pdf: exiftool reads the Info FuinClass" test "$(exiftool -s3 -PDF:FuinClass paper.pdf)" = 'C2-I2-A1'
check "pdf: exiftool reads the XMP fuin:Class" test "$(exiftool -s3 -XMP-fuin:Class paper.pdf)" = 'C2-I2-A1'
check "pdf: qpdf --check passes" qpdf --check paper.pdf >/dev/null
check "docx: python-docx still opens it" $PY -c '
import docx; d = docx.Document("doc.docx"); assert d.paragraphs[0].text == "本文 text"; assert d.core_properties.title == "報告"'
check "xlsx: openpyxl still opens it" $PY -c '
import openpyxl; assert openpyxl.load_workbook("book.xlsx").active["A1"].value == "数値"'
check "odt: odfpy still opens it" $PY -c '
from odf.opendocument import load; load("note.odt")'
check "docx: the xattr too" test "$(xget doc.docx user.fuin.class)" = C2-I2-A1
run label show doc.docx paper.pdf note.odt
expect_rc 0 "show on documents"
check "show: docx custom properties" grep -Eq '^  ooxml:custom +C2-I2-A1$' out
check "show: pdf info" grep -Eq '^  pdf:info +C2-I2-A1$' out
check "show: pdf xmp" grep -Eq '^  pdf:xmp +C2-I2-A1$' out
check "show: odf meta" grep -Eq '^  odf:meta +C2-I2-A1$' out
# the document says one thing, the xattr another
setfattr -n user.fuin.label -v '機密性3 完全性2' doc.docx
setfattr -n user.fuin.class -v C3-I2-A1 doc.docx
run label show doc.docx
expect_rc 12 "show: xattr C3 against the document's C2"
check "show: names the document property" grep -q 'ooxml:custom says C2-I2-A1' err
run label show --no-doc doc.docx
expect_rc 0 "show --no-doc reads only the xattr and name"
run label clear doc.docx paper.pdf
expect_rc 0 "clear on documents"
check "docx: cleared from the properties" test -z "$(exiftool -s3 -FuinClass doc.docx)"
check "pdf: cleared from Info" test -z "$(exiftool -s3 -PDF:FuinClass paper.pdf)"
check "pdf: cleared from XMP" test -z "$(exiftool -s3 -XMP-fuin:Class paper.pdf)"
check "pdf: still passes qpdf --check" qpdf --check paper.pdf >/dev/null
printf 'not a zip' >broken.docx
run label set --class C2 broken.docx
expect_rc 3 "set on a broken document"
check "the broken document is untouched" test "$(cat broken.docx)" = 'not a zip'
check "and has no xattr either" test -z "$(xget broken.docx user.fuin.label)"

# ---- 5. MSIP labels from the policy --------------------------------------------------
# (the mapping itself, policy -> MSIP properties and back, is tested with
# the library in tests/test_filelabel.c; a policy reaches the CLI only
# through a CISO-signed store)
$PY - <<'EOF'
import zipfile, shutil
src = zipfile.ZipFile("doc.docx")
out = zipfile.ZipFile("msip.docx", "w", zipfile.ZIP_DEFLATED)
custom = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
          '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
          'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
          '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" '
          'name="MSIP_Label_12345678-aaaa-bbbb-cccc-1234567890ab_Enabled"><vt:lpwstr>true</vt:lpwstr></property>'
          '</Properties>')
for i in src.infolist():
    if i.filename == "docProps/custom.xml":
        continue
    data = src.read(i.filename)
    if i.filename == "[Content_Types].xml" and b"custom-properties" not in data:
        data = data.replace(b"</Types>", b'<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>')
    if i.filename == "_rels/.rels" and b"custom-properties" not in data:
        data = data.replace(b"</Relationships>", b'<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/></Relationships>')
    out.writestr(i, data)
out.writestr("docProps/custom.xml", custom)
out.close()
EOF
run label show msip.docx
expect_rc 0 "an MSIP label the policy does not map is shown, not guessed"
check "show: the MSIP label is listed" grep -q 'ooxml:msip .*12345678-aaaa-bbbb-cccc-1234567890ab.*does not map' out

# ---- 6. scan ---------------------------------------------------------------------
mkdir -p tree/sub tree/deep/er
printf 1 >tree/one.txt
printf 2 >tree/sub/two.txt
printf 3 >tree/deep/er/three.txt
printf 4 >'tree/sub/【機密性3】four.txt'
"$FUIN" label set --class C2 tree/one.txt >/dev/null
"$FUIN" label set --class C1 tree/sub >/dev/null
ln -s /etc tree/escape
cp doc.docx tree/sub/
run label scan tree
expect_rc 0 "scan"
check "scan: header line" grep -Eq '^CLASS +PLACES +STATUS +PATH$' out
check "scan: a labelled file" grep -Eq '^C2-I1-A1 +xattr +labelled +tree/one\.txt$' out
check "scan: a name label" grep -Eq '^C3-I1-A1 +name +labelled +tree/sub/【機密性3】four\.txt$' out
check "scan: an unlabelled file" grep -Eq '^- +- +unlabelled +tree/deep/er/three\.txt$' out
check "scan: a link is not followed" grep -Eq 'not followed +tree/escape$' out
check "scan: nothing under /etc" test "$(grep -c 'tree/escape/' out)" = 0
check "scan: a directory lower than its contents" grep -Eq '^C1-I1-A1 +xattr +lower than contents +tree/sub: holds C3-I1-A1$' out
check "scan: the summary on stderr" grep -q 'fuin: label scan: 5 files: 2 labelled, 3 unlabelled; 0 conflicts, 1 directories lower than their contents, 0 missing a name prefix, 0 unreadable, 1 links and others not followed' err
run label show tree/sub
expect_rc 0 "show on a directory"
check "show: a directory's contents" grep -Eq '^  contents +up to C3-I1-A1: LOWER than the directory.s label' out
run label show --json tree/sub
check "show --json on a directory" $PY -c '
import json, sys
o = json.loads(open("out", encoding="utf-8").read())
assert o["lower_than_contents"] is True and o["contents"]["confidentiality"] == 3, o'
run label scan --json tree
check "scan --json: JSON Lines" $PY - out <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
by = {r["path"]: r for r in rows}
assert by["tree/one.txt"]["label"]["class"] == "C2-I1-A1", by["tree/one.txt"]
assert by["tree/one.txt"]["status"] == "labelled"
assert by["tree/escape"]["type"] == "symlink"
assert by["tree/sub"]["status"] == "lower than contents" and by["tree/sub"]["contents"]["confidentiality"] == 3
assert by["tree"]["type"] == "dir"
assert rows[-1]["path"] == "tree", "the root comes last"
EOF
run label scan --csv -o inv.csv tree
expect_rc 0 "scan --csv -o"
check "scan --csv: RFC 4180, read by python's csv" $PY - inv.csv <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")))
by = {r["path"]: r for r in rows}
assert by["tree/one.txt"]["class"] == "C2-I1-A1" and by["tree/one.txt"]["status"] == "labelled", by
assert by["tree/sub/【機密性3】four.txt"]["places"] == "name"
EOF
run label scan --csv -o inv.csv tree
expect_rc 5 "scan -o never overwrites without --force"
setfattr -n user.fuin.label -v '機密性1' 'tree/sub/【機密性3】four.txt'
run label scan tree
expect_rc 12 "scan: a conflict makes the exit status 12"
check "scan: the conflict is listed" grep -Eq 'conflict +tree/sub/【機密性3】four\.txt: name says C3-I1-A1, xattr says C1-I1-A1$' out
printf 'esc\n' >$'tree/\e[31mred.txt'
run label scan --no-doc tree
check "scan: control characters in names are escaped" grep -q 'tree/\\x1b\[31mred.txt' out

# ---- 7. encrypt, sign and pack take the file's label; decrypt stamps it back ----------------
age-keygen -o id.txt 2>/dev/null
R=$(age-keygen -y id.txt)
printf 'classified\n' >att.txt
"$FUIN" label set --class '機密性2 完全性2' att.txt >/dev/null
run encrypt -r "$R" -o att.txt.age att.txt
expect_rc 0 "encrypt takes the file's label"
check "encrypt said where the label came from" grep -q "att.txt: label: C2-I2-A1 (the file's own)" err
run inspect att.txt.age
check "the header carries the file's label" grep -q 'label: *C2-I2-A1' out
run encrypt -r "$R" --class C1 -o low.age att.txt
expect_rc 1 "encrypt --class lower than the file's label is refused"
one_line_err "encrypt --class lower" 'policy: the class given \(C1-I1-A1\) is lower than the file.s own label \(C2-I2-A1\)'
check "nothing was written" test ! -e low.age
run encrypt -r "$R" --class C2-I2-A2 -o high.age att.txt
expect_rc 0 "encrypt --class higher than the file's label is fine"
check "the header has the higher class" test "$("$FUIN" inspect high.age | grep -c 'C2-I2-A2')" = 1
run encrypt -r "$R" --class C2-I1-A2 -o mixed.age att.txt
expect_rc 1 "encrypt --class higher in one level but lower in another is refused"
run decrypt -i id.txt -o back.txt att.txt.age
expect_rc 0 "decrypt"
check "decrypt stamps the label back (machine form)" test "$(xget back.txt user.fuin.class)" = C2-I2-A1
check "decrypt stamps the label back (human form)" test "$(xget back.txt user.fuin.label)" = '機密性2 完全性2 可用性1'
run label show back.txt
check "the label survived the round trip" grep -qx 'back.txt: 機密性2 完全性2 可用性1 (C2-I2-A1)' out
age -d -i id.txt -o stock.txt att.txt.age
check "stock age still decrypts it" test "$(cat stock.txt)" = classified
cp '【機密性3】c.txt' confl.txt 2>/dev/null
setfattr -n user.fuin.label -v C2 '【機密性3】c.txt'
run encrypt -r "$R" -o c.age '【機密性3】c.txt'
expect_rc 12 "encrypt refuses a file whose labels disagree"
check "nothing was written for it" test ! -e c.age
# pack: a document labelled only inside (no xattr) sets the package's class
mkdir pk
$PY -c 'import docx; docx.Document().save("pk/d.docx")'
"$FUIN" label set --no-xattr --class C2 pk/d.docx >/dev/null
check "the document has no xattr" test -z "$(xget pk/d.docx user.fuin.label)"
run pack -o pk.fuin -r "$R" pk
expect_rc 0 "pack a document labelled in its properties"
check "pack: the class comes from the document's properties" grep -q 'class C2-I1-A1' err
setfattr -n user.fuin.label -v 機密性1 pk/d.docx
run pack -o pk2.fuin -r "$R" pk
expect_rc 3 "pack refuses a file whose labels disagree"
check "pack: says which places disagree" grep -q 'pk/d.docx: its label: xattr says C1-I1-A1, ooxml:custom says C2-I1-A1' err
check "nothing was written" test ! -e pk2.fuin
printf 'pw for the label test 2718\n' >pw
run key new --name 'Label Tester' --dir kid --passphrase-file pw
expect_rc 0 "key new"
printf 'public release\n' >pub.txt
"$FUIN" label set --class 'C1' pub.txt >/dev/null
run sign --dir kid --passphrase-file pw pub.txt
expect_rc 0 "sign takes the file's label"
check "the signature's class is the file's" grep -q 'class:C1-I1-A1' pub.txt.minisig
run sign --dir kid --passphrase-file pw --force --class C1 att.txt
expect_rc 1 "sign --class lower than the file's label is refused"
check "no signature was written" test ! -e att.txt.minisig


# ---- 7b. what a review found: links, standard input, unreadable documents,
# ---- other people's files, hard links, a short inventory
printf 'c3\n' >c3.txt
"$FUIN" label set --class '機密性2 完全性2 複製禁止' c3.txt >/dev/null
ln -s c3.txt c3link.txt
run encrypt -r "$R" --class C1 -o viaLink.age c3link.txt
expect_rc 1 "encrypt --class lower, through a symbolic link: refused"
check "nothing was written through the link" test ! -e viaLink.age
"$FUIN" encrypt -r "$R" --class C1 -o stdin.age <c3.txt >/dev/null 2>err
rc=$?
expect_rc 1 "encrypt --class lower, from standard input: refused"
run encrypt -r "$R" --class C2-I2 -o keep.age c3.txt
expect_rc 0 "encrypt --class without the file's restriction"
check "the file's restriction is kept in the header" grep -q 'label: *C2-I2-A1 複製禁止' <("$FUIN" inspect keep.age)
run label show broken.docx
expect_rc 0 "show: a document that cannot be read is no conflict"
check "show: it says why" grep -Eq '^  ooxml:custom +: the document cannot be read' out
run encrypt -r "$R" --class C2 -o broken.age broken.docx
expect_rc 0 "an unreadable document can still be encrypted"
qpdf --encrypt u o 256 -- paper.pdf locked.pdf
run label show locked.pdf
expect_rc 0 "show: an encrypted PDF"
run label set --class C2 locked.pdf
expect_rc 3 "set on an encrypted PDF is refused"
check "and leaves no xattr behind" test -z "$(xget locked.pdf user.fuin.label)"
printf 'p\n' >'【機密性3】pre.txt'
run label set --class C2 '【機密性3】pre.txt'
expect_rc 0 "set on a name with another class prefix"
check "the prefix is made to agree" test -f '【機密性2】pre.txt' -a ! -e '【機密性3】pre.txt'
run label show '【機密性2】pre.txt'
expect_rc 0 "and the file is consistent"
cp doc.docx hl.docx
ln hl.docx hl2.docx
run label set --class C2 hl.docx
expect_rc 4 "set on a document with another hard link"
check "the reason" grep -q 'hard links' err
check "the document is untouched" cmp -s hl.docx hl2.docx
check "and has no xattr" test -z "$(xget hl.docx user.fuin.label)"
run label scan -o /dev/full tree
expect_rc 4 "scan to a full disk fails"
printf 'f\n' >full.txt
"$FUIN" label set --class C2 full.txt >/dev/full 2>err; rc=$?
expect_rc 4 "set with its report going to a full disk fails"
"$FUIN" label show full.txt >/dev/full 2>err; rc=$?
expect_rc 4 "show to a full disk fails"
"$FUIN" label clear full.txt >/dev/full 2>err; rc=$?
expect_rc 4 "clear with its report going to a full disk fails"
mkdir conf
printf 'x\n' >conf/x.txt
setfattr -n user.fuin.label -v '機密性3' conf/x.txt
setfattr -n user.fuin.class -v 'C2-I1-A1' conf/x.txt
"$FUIN" label set --class C1 conf >/dev/null
run label scan conf
check "a conflicted C3 file still raises its folder" grep -Eq 'lower than contents +conf: holds C3-I1-A1$' out
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null; then
    chmod 711 "$T"
    mkdir -m 777 shared
    cp doc.docx shared/root.docx
    chmod 644 shared/root.docx
    cp doc.docx shared/mine.docx
    chown nobody shared/mine.docx
    chmod 444 shared/mine.docx
    cp shared/root.docx root.before
    cp shared/mine.docx mine.before
    runuser -u nobody -- "$FUIN" label set --class C2 shared/root.docx >out 2>err
    rc=$?
    expect_rc 4 "another user's document is not rewritten"
    check "root.docx is byte for byte the same" cmp -s shared/root.docx root.before
    check "and still root's" test "$(stat -c %U shared/root.docx)" = root
    runuser -u nobody -- "$FUIN" label set --class C2 shared/mine.docx >out 2>err
    rc=$?
    expect_rc 4 "a read-only document is not rewritten"
    check "mine.docx is byte for byte the same" cmp -s shared/mine.docx mine.before
    chmod 700 "$T"
else
    echo "SKIP: the other-user checks (need root and runuser)"
fi

# ---- 8. a file system without user xattrs ------------------------------------------
# FAT where the kernel has it; else the test FUSE file system (tests/fuse_baddisk),
# which implements no xattr calls either.
nox=
if [ "$(id -u)" = 0 ] && truncate -s 8M fat.img && mkfs.vfat fat.img >/dev/null 2>&1 &&
    mkdir fat && mount -o loop fat.img fat 2>/dev/null; then
    nox=fat
    printf 'f\n' >fat/f.txt
elif [ -n "${FUIN_FUSE_BADDISK:-}" ] && [ -x "$FUIN_FUSE_BADDISK" ] && [ -e /dev/fuse ]; then
    mkdir fz
    "$FUIN_FUSE_BADDISK" "$T/fz" -f --size 65536 2>fz.log &
    fpid=$!
    for _ in $(seq 100); do [ -e fz/disk ] && break; sleep 0.1; done
    [ -e fz/disk ] && nox=fz
fi
if [ -n "$nox" ]; then
    f=$nox/f.txt
    [ "$nox" = fz ] && f=fz/disk
    run label set --class C2 "$f"
    expect_rc 4 "set where there are no xattrs ($nox)"
    one_line_err "set where there are no xattrs" 'does not support extended attributes \(use --no-xattr'
    run label show "$f"
    expect_rc 0 "show where there are no xattrs: no label, no error"
    check "show: no label" grep -q 'no label' out
    if [ "$nox" = fat ]; then
        run label set --class C2 --no-xattr --name fat/f.txt
        expect_rc 0 "set --no-xattr --name on FAT"
        check "FAT: labelled by name" test -f 'fat/【機密性2】f.txt'
        run decrypt -i id.txt -o fat/back.txt att.txt.age
        expect_rc 0 "decrypt onto FAT"
        check "decrypt onto FAT: a note that the label is not on the file" grep -q 'label is not on the output' err
        umount fat
    else
        fusermount3 -u fz 2>/dev/null || umount fz 2>/dev/null
        kill "$fpid" 2>/dev/null
        wait "$fpid" 2>/dev/null
    fi
else
    echo "SKIP: a file system without xattrs (needs root with vfat, or /dev/fuse and fuse_baddisk)"
fi

echo "label: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
