#!/bin/bash
# Hostile input to fuin unpack / fuin verify PACKAGE: a corpus of archives
# built here at test time (python3 tarfile/zipfile, GNU tar, bsdtar, 7zz,
# age, minisign; no committed blobs) - path traversal, links, devices,
# colliding and unsafe names, bombs, encrypted zips, damaged, re-ordered,
# re-signed and mis-signed packages, untrusted and revoked signers.  For
# every input: the exact exit status, one clear error line naming the
# cause, nothing written outside -C DIR (the whole sandbox is compared
# before and after) and nothing left in DIR (no .fuin-unpack-*, no partial
# file) when the unpack fails.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/harness.sh"
sandbox pack-hostile
umask 022

. "$HERE/pack_setup.sh"
YKEY=$(sed -n 's/^minisign-key-id: //p' yamada/.config/fuin/card.pub)
# how 佐藤 receives: his store, his identity's passphrase
RECV=(--store "$SS" --passphrase-file "$T/spw")

# ---- the checks made for every hostile input ------------------------------
# The sandbox as it is, except DIR, ./out, ./err and the snapshots.
mkdir -p "$T/outside" "$T/snap" "$T/w" "$T/corpus"
printf 'secret\n' >"$T/secret"
: >out
: >err
snap_all() {
    find "$T" \( -path "$1" -o -path "$T/out" -o -path "$T/err" -o -path "$T/snap" \) -prune \
        -o -printf '%p|%y|%s|%T@|%m|%n|%l\n' | LC_ALL=C sort
}
snap_dir() { find "$1" -mindepth 1 -printf '%P|%y|%s|%T@|%m|%n|%l\n' | LC_ALL=C sort; }
same_snap() { # same_snap DESCRIPTION BEFORE AFTER
    if cmp -s "$2" "$3"; then ok; else
        bad "$1"
        diff "$2" "$3" | grep '^[<>]' | head -5 | sed 's/^/    /'
    fi
}
# cause NAME COMMAND REGEX: the failure is one line "fuin: COMMAND: FILE:
# FAILED: ..." matching REGEX (unpack adds "nothing was unpacked"), with
# no raw control or direction-changing character from the input
cause() {
    local f o
    f=$(grep -c "^fuin: $2: .*: FAILED: " err)
    o=$(grep -v -e "^fuin: $2: .*: FAILED: " -e "^fuin: $2: nothing was unpacked\$" err | wc -l)
    if [ "$f" -eq 1 ] && [ "$o" -eq 0 ] && grep -Eq -- "FAILED: .*$3" err; then ok; else
        bad "$1: stderr should be one FAILED line matching /$3/ ($f FAILED lines, $o others)"
    fi
    if LC_ALL=C grep -q '[[:cntrl:]]' err || LC_ALL=C grep -q $'\xe2\x80[\xaa-\xae]' err; then
        bad "$1: raw control or bidi characters reach stderr"
    else ok; fi
}
no_private() { ! find "$1" -name '.fuin-unpack-*' | grep -q .; }
links_inside() { # every symbolic link in DIR resolves to DIR or below
    local d l r
    d=$(readlink -f "$1")
    while IFS= read -r -d '' l; do
        r=$(readlink -m "$l")
        case "$r" in "$d" | "$d"/*) ;; *) echo "    $l -> $(readlink "$l") resolves to $r"; return 1 ;; esac
    done < <(find "$1" -type l -print0)
}
ncases=0
WHO=sato
# hostile NAME STATUS REGEX INPUT [OPTION...]: "fuin unpack -C DIR OPTION...
# INPUT" as $WHO into DIR=$T/w/NAME/d (made by the caller if it must hold
# something, else empty), beside a canary directory; on failure DIR is as
# it was, and nothing changes outside DIR either way.
hostile() {
    local name=$1 want=$2 re=$3 input=$4
    shift 4
    ncases=$((ncases + 1))
    W=$T/w/$name
    mkdir -p "$W/d" "$W/canary"
    [ -e "$W/canary/keep" ] || printf 'canary\n' >"$W/canary/keep"
    snap_all "$W/d" >"$T/snap/all.before"
    snap_dir "$W/d" >"$T/snap/dir.before"
    as "$WHO" unpack -C "$W/d" "$@" "$input"
    expect_rc "$want" "$name: unpack exit status"
    if [ "$want" -ne 0 ]; then
        cause "$name" unpack "$re"
        snap_dir "$W/d" >"$T/snap/dir.after"
        same_snap "$name: DIR is left as it was (no partial file, nothing moved in)" \
            "$T/snap/dir.before" "$T/snap/dir.after"
    else
        check "$name: nothing FAILED" test "$(grep -c FAILED err)" -eq 0
    fi
    # (what the caller put in DIR beforehand is not the archive's doing)
    [ -s "$T/snap/dir.before" ] || check "$name: every link in DIR stays in DIR" links_inside "$W/d"
    check "$name: no private directory left in DIR" no_private "$W/d"
    snap_all "$W/d" >"$T/snap/all.after"
    same_snap "$name: nothing written outside DIR" "$T/snap/all.before" "$T/snap/all.after"
}
# verify_case NAME STATUS REGEX INPUT [OPTION...]: fuin verify, which must
# fail the same way and write nothing at all
verify_case() {
    local name=$1 want=$2 re=$3 input=$4
    shift 4
    snap_all /nonexistent >"$T/snap/all.before"
    as "$WHO" verify "$@" "$input"
    expect_rc "$want" "$name: verify exit status"
    cause "$name (verify)" verify "$re"
    snap_all /nonexistent >"$T/snap/all.after"
    same_snap "$name: verify writes nothing" "$T/snap/all.before" "$T/snap/all.after"
}

# ---- the corpus: foreign archives (unpack --any) ---------------------------
C=$T/corpus
python3 - "$C" "$T" <<'PY' || fail "python3 could not build the corpus"
import io, os, sys, tarfile, zipfile, warnings
out, T = sys.argv[1], sys.argv[2]
MT = 1700000000
P = b'pwned\n'
def ti(name, data=b'', type=tarfile.REGTYPE, mode=0o644, **kw):
    t = tarfile.TarInfo(name)
    t.type, t.mode, t.mtime = type, mode, MT
    for k, v in kw.items():
        setattr(t, k, v)
    t.size = len(data) if type == tarfile.REGTYPE else 0
    return t
def sym(name, target): return ti(name, type=tarfile.SYMTYPE, linkname=target)
def hard(name, target): return ti(name, type=tarfile.LNKTYPE, linkname=target)
def dr(name, mode=0o755): return ti(name, type=tarfile.DIRTYPE, mode=mode)
def mktar(fn, members, fmt=tarfile.PAX_FORMAT):
    with tarfile.open(os.path.join(out, fn), 'w', format=fmt) as tf:
        for m in members:
            if isinstance(m, tuple):
                m = (ti(m[0], m[1]), m[1])
            else:
                m = (m, b'x' * m.size)
            tf.addfile(m[0], io.BytesIO(m[1]) if m[0].type == tarfile.REGTYPE else None)
# where things go
mktar('abs.tar', [('%s/outside/pwned' % T, P)])
mktar('dotdot.tar', [('../../../outside/pwned', P)])
mktar('dot-dotdot.tar', [('./../canary/pwned', P)])
mktar('mid-dotdot.tar', [('a/../../canary/pwned', P)])
mktar('pax-path.tar', [ti('safe.txt', P, pax_headers={'path': '../../../outside/pwned'})])
# symbolic and hard links
mktar('symlink-abs.tar', [sym('evil', '%s/outside' % T)])
mktar('symlink-rel.tar', [sym('evil', '../../../outside')])
mktar('symlink-nested.tar', [dr('a/'), dr('a/b/'), sym('a/b/evil', '../../../canary')])
mktar('symlink-through.tar', [sym('link', '%s/outside' % T), ('link/pwned', P)])
mktar('symlink-through-rel.tar', [sym('link', '../../../outside'), ('link/pwned', P)])
mktar('symlink-through-inside.tar', [dr('sub/'), sym('link', 'sub'), ('link/x', P)])
mktar('symlink-via-self.tar', [sym('a', '.'), sym('a/b', '..')])
mktar('symlink-chain.tar', [sym('a', '.'), sym('b', 'a/../canary')])
mktar('symlink-chain-sub.tar', [dr('d/'), sym('d/s', '..'), sym('d/s2', 's/../canary')])
mktar('hardlink-abs.tar', [hard('h', '%s/secret' % T)])
mktar('hardlink-rel.tar', [hard('h', '../../../secret')])
mktar('hardlink-forward.tar', [hard('h', 'later'), ('later', P)])
mktar('hardlink-to-symlink.tar', [sym('l', 'x'), ('x', P), hard('h', 'l')])
# what is not a file
mktar('chr.tar', [ti('null', type=tarfile.CHRTYPE, devmajor=1, devminor=3)])
mktar('blk.tar', [ti('sda', type=tarfile.BLKTYPE, devmajor=8, devminor=0)])
mktar('fifo.tar', [ti('fifo', type=tarfile.FIFOTYPE)])
mktar('setid.tar', [ti('suid', P, mode=0o4755), ti('sgid', P, mode=0o2755),
                    dr('sticky/', 0o1777), ti('sticky/all', P, mode=0o7777)])
mktar('xattr.tar', [ti('x.txt', P, pax_headers={
    'SCHILY.xattr.user.evil': 'owned', 'SCHILY.xattr.user.fuin.label': 'C1-I1-A1',
    'SCHILY.xattr.trusted.evil': 'owned',
    'SCHILY.xattr.security.selinux': 'system_u:object_r:shadow_t:s0'})])
# one name twice
mktar('dup.tar', [('a.txt', b'first\n'), ('a.txt', b'second\n')])
mktar('dup-dir-file.tar', [dr('x/'), ('x', P)])
mktar('file-then-dir.tar', [('x', P), ('x/y', P)])
mktar('case.tar', [('A.txt', b'upper\n'), ('a.txt', b'lower\n')])
mktar('nfd-e.tar', [('caf\u00e9.txt', b'nfc\n'), ('cafe\u0301.txt', b'nfd\n')])
mktar('nfd-ga.tar', [('\u304c.txt', b'nfc\n'), ('\u304b\u3099.txt', b'nfd\n')])
# names
mktar('ctl-nl.tar', [('a\nb.txt', P)])
mktar('ctl-esc.tar', [('\x1b[31mred.txt', P)])
mktar('bidi.tar', [('invoice\u202etxt.exe', P)])
mktar('zwsp.tar', [('pay\u200bpal.txt', P)])
mktar('badutf8.tar', [('bad\udcff.txt', P)], fmt=tarfile.GNU_FORMAT)
mktar('win-con.tar', [('CON', P)])
mktar('win-aux.tar', [('dir/aux.txt', P)])
mktar('win-com1.tar', [('com1.tar.gz', P)])
mktar('win-dot.tar', [('trailing.', P)])
mktar('win-space.tar', [('trailing ', P)])
mktar('win-colon.tar', [('a:b', P)])
mktar('win-backslash.tar', [('..\\..\\..\\outside\\pwned', P)])
mktar('longcomp.tar', [('x' * 300, P)])
mktar('deep.tar', [('a/' * 300 + 'f', P)])
mktar('rename.tar', [('a:b', b'colon\n'), ('CON', b'con\n'), ('x\n.txt', b'nl\n'),
                     ('trail.', b'dot\n'), ('r\u202eev.txt', b'bidi\n'), ('aux.txt', b'aux\n')])
mktar('plant-private.tar', [('.fuin-unpack-000000000000/x', P)])
mktar('rename-clash.tar', [('a_b', b'plain\n'), ('a:b', b'colon\n')])
# bombs
mktar('many.tar', [('f%03d' % i, P) for i in range(20)])
mktar('big.tar', [('big', b'\0' * (2 << 20))])
mktar('total.tar', [('p%d' % i, b'\1' * (600 << 10)) for i in range(3)])
with tarfile.open(os.path.join(out, 'trunc-src.tar'), 'w', format=tarfile.PAX_FORMAT) as tf:
    tf.addfile(ti('big', b'y' * 100000), io.BytesIO(b'y' * 100000))
class Zeros(io.RawIOBase):
    def __init__(s, n): s.n = n
    def read(s, k=-1):
        k = s.n if k < 0 else min(k, s.n)
        s.n -= k
        return b'\0' * k
BOMB = 64 << 20
with tarfile.open(os.path.join(out, 'ratio.tar.gz'), 'w:gz', compresslevel=9) as tf:
    t = ti('zeros')
    t.size = BOMB
    tf.addfile(t, Zeros(BOMB))
# zips
def mkzip(fn, items, method=zipfile.ZIP_STORED):
    with zipfile.ZipFile(os.path.join(out, fn), 'w') as z:
        for name, data, *attr in items:
            zi = zipfile.ZipInfo(name, (2023, 1, 1, 0, 0, 0))
            zi.compress_type = method
            if attr:
                zi.external_attr, zi.create_system = attr[0] << 16, 3
            z.writestr(zi, data)
mkzip('zip-dotdot.zip', [('../../../outside/pwned', P)])
mkzip('zip-abs.zip', [('%s/outside/pwned' % T, P)])
mkzip('zip-backslash.zip', [('..\\..\\..\\outside\\pwned', P)])
mkzip('zip-symlink.zip', [('evil', ('%s/outside' % T).encode(), 0o120777), ('evil/pwned', P)])
warnings.simplefilter('ignore')
mkzip('zip-dup.zip', [('a.txt', b'1\n'), ('a.txt', b'2\n')])
mkzip('zip-suid.zip', [('s', P, 0o104755)])
with zipfile.ZipFile(os.path.join(out, 'ratio.zip'), 'w') as z:
    zi = zipfile.ZipInfo('zeros', (2023, 1, 1, 0, 0, 0))
    zi.compress_type = zipfile.ZIP_DEFLATED
    with z.open(zi, 'w', force_zip64=True) as f:
        for i in range(64):
            f.write(b'\0' * (1 << 20))
PY
head -c 50000 "$C/trunc-src.tar" >"$C/trunc.tar"
# password zips: 7-Zip writes them (python's zipfile cannot)
mkdir -p zsrc
printf 'secret\n' >zsrc/s.txt
printf 'plain\n' >zsrc/plain.txt
(
    cd zsrc &&
        7zz a -tzip -p'zip passphrase' -mem=ZipCrypto "$C/zipcrypto.zip" s.txt &&
        7zz a -tzip -p'zip passphrase' -mem=AES256 "$C/aes.zip" s.txt &&
        7zz a -tzip "$C/mixed.zip" plain.txt &&
        7zz a -tzip -p'zip passphrase' -mem=AES256 "$C/mixed.zip" s.txt &&
        7zz a -tzip -p'zip passphrase' -mem=AES256 "$C/aes-dotdot.zip" s.txt &&
        7zz rn -p'zip passphrase' "$C/aes-dotdot.zip" s.txt ../../../outside/pwned &&
        head -c 64M /dev/zero >zeros &&
        7zz a -tzip -mx=9 -p'zip passphrase' -mem=AES256 "$C/aes-ratio.zip" zeros &&
        rm -f zeros
) >/dev/null 2>&1 || fail "7zz could not write the password zips"
printf 'zip passphrase\n' >zpw
printf 'not the passphrase\n' >zpw-wrong
# GNU tar and bsdtar write traversal their own way
mkdir -p tsrc
printf 'pwned\n' >tsrc/pwned
(cd tsrc && bsdtar -cf "$C/bsdtar-dotdot.tar" -s ',^,../../../outside/,' pwned) 2>/dev/null
bsdtar -cPf "$C/bsdtar-abs.tar" "$T/tsrc/pwned" 2>/dev/null
tar -cPf "$C/gnutar-abs.tar" "$T/tsrc/pwned" 2>/dev/null
tar --transform "s,^,$(printf 'l%.0s' {1..120})/../../../../outside/," -cf "$C/gnutar-longname.tar" \
    -C tsrc pwned 2>/dev/null
# GNU sparse files: a 64 MiB file that is a hole but for its last bytes
# (10 KiB in the tar), and one that is nothing but a hole
truncate -s 64M tsrc/hole
printf 'end' >>tsrc/hole
tar -S -cf "$C/sparse-bomb.tar" -C tsrc hole
truncate -s 1M tsrc/allhole
tar -S -cf "$C/sparse-allhole.tar" -C tsrc allhole
rm -f tsrc/hole
for f in abs dotdot symlink-chain setid rename ratio.tar.gz zipcrypto.zip aes.zip mixed.zip \
    aes-dotdot.zip aes-ratio.zip \
    bsdtar-dotdot bsdtar-abs gnutar-abs gnutar-longname sparse-bomb; do
    case $f in *.*) ;; *) f=$f.tar ;; esac
    check "corpus: $f was built" test -s "$C/$f"
done

# ---- 1. where things go -----------------------------------------------------
hostile abs 11 'outside/pwned": absolute path' "$C/abs.tar" --any
hostile dotdot 11 '"\.\." component' "$C/dotdot.tar" --any
hostile dot-dotdot 11 '"\.\./canary/pwned": "\.\." component' "$C/dot-dotdot.tar" --any
hostile mid-dotdot 11 '"a/\.\./\.\./canary/pwned": "\.\." component' "$C/mid-dotdot.tar" --any
hostile pax-path 11 '"\.\./\.\./\.\./outside/pwned": "\.\." component' "$C/pax-path.tar" --any
hostile bsdtar-dotdot 11 '"\.\." component' "$C/bsdtar-dotdot.tar" --any
hostile bsdtar-abs 11 'absolute path' "$C/bsdtar-abs.tar" --any
hostile gnutar-abs 11 'absolute path' "$C/gnutar-abs.tar" --any
hostile gnutar-longname 11 'outside/pwned": "\.\." component' "$C/gnutar-longname.tar" --any
hostile zip-dotdot 11 '"\.\." component' "$C/zip-dotdot.zip" --any
hostile zip-abs 11 'absolute path' "$C/zip-abs.zip" --any
# (a zip reader may take '\\' for '/': either way it is refused)
hostile zip-backslash 11 "(character '\\\\' is not allowed|\"\\.\\.\" component)" "$C/zip-backslash.zip" --any
hostile rename-abs 11 'absolute path' "$C/abs.tar" --any --rename-unsafe
hostile deep 11 'nested deeper than 256 directories' "$C/deep.tar" --any
hostile longcomp 11 'path component longer than 255 bytes' "$C/longcomp.tar" --any

# the hint after an absolute path: --rename-unsafe does not rename it (above)
as sato unpack -C "$T/w/abs/d" --any "$C/abs.tar"
if grep -q 'rename-unsafe renames it' err; then
    fail "abs: the error says \"--rename-unsafe renames it\", but --rename-unsafe refuses an absolute path too"
else ok; fi

# ---- 2. links -------------------------------------------------------------------
hostile symlink-abs 11 '"evil": symbolic link to ".*outside": absolute target' "$C/symlink-abs.tar" --any
hostile symlink-rel 11 '"evil": symbolic link to "\.\./\.\./\.\./outside": leads outside' "$C/symlink-rel.tar" --any
hostile symlink-nested 11 '"a/b/evil": symbolic link to "\.\./\.\./\.\./canary": leads outside' \
    "$C/symlink-nested.tar" --any
hostile symlink-through 11 '"link": symbolic link to ".*outside": absolute target' "$C/symlink-through.tar" --any
hostile symlink-through-rel 11 '"link": symbolic link to "\.\./\.\./\.\./outside": leads outside' \
    "$C/symlink-through-rel.tar" --any
hostile symlink-through-inside 11 '"link": is both a symbolic link and a file or directory' \
    "$C/symlink-through-inside.tar" --any
hostile symlink-via-self 11 '"a/b": (goes through a symbolic link|symbolic link to "\.\." goes through)' "$C/symlink-via-self.tar" --any
# each link stays inside on its own; together they lead out:
#   a -> .   b -> a/../canary   (b is DIR/../canary)
hostile symlink-chain 11 'symbolic link' "$C/symlink-chain.tar" --any
hostile symlink-chain-sub 11 'symbolic link' "$C/symlink-chain-sub.tar" --any
hostile zip-symlink 11 '"evil(/pwned": goes through a symbolic link or a file|": symbolic link to ".*outside": absolute target)' \
    "$C/zip-symlink.zip" --any
hostile hardlink-abs 11 '"h": hard link to ".*secret": absolute path' "$C/hardlink-abs.tar" --any
check "hardlink-abs: the outside file has one link" test "$(stat -c %h "$T/secret")" -eq 1
hostile hardlink-rel 11 '"h": hard link to "\.\./\.\./\.\./secret": "\.\." component' "$C/hardlink-rel.tar" --any
hostile hardlink-forward 11 '"h": hard link to "later", which is not a file extracted before it' \
    "$C/hardlink-forward.tar" --any
hostile hardlink-to-symlink 11 '"h": hard link to "l", which is not a file extracted before' \
    "$C/hardlink-to-symlink.tar" --any

# ---- 3. what is not a file; modes and xattrs -------------------------------------
hostile chr 11 '"null" is a device node' "$C/chr.tar" --any
hostile blk 11 '"sda" is a device node' "$C/blk.tar" --any
hostile fifo 11 '"fifo" is a FIFO' "$C/fifo.tar" --any
hostile setid 0 '' "$C/setid.tar" --any
for f in suid sgid sticky sticky/all; do
    m=$(stat -c %a "$W/d/$f" 2>/dev/null || echo missing)
    check "setid: $f is there without setuid, setgid or sticky bit (mode $m)" test "$m" = 755
done
hostile zip-suid 0 '' "$C/zip-suid.zip" --any
m=$(stat -c %a "$W/d/s" 2>/dev/null || echo missing)
check "zip-suid: no setuid bit (mode $m)" test "${#m}" -eq 3
hostile xattr 0 '' "$C/xattr.tar" --any
check "xattr: no xattr but the label is applied from a foreign tar" python3 -c '
import os, sys
names = set(os.listxattr(sys.argv[1]))
assert not names & {"user.evil", "trusted.evil"}, names
assert "security.selinux" not in names or os.getxattr(sys.argv[1], "security.selinux") != b"system_u:object_r:shadow_t:s0", names
' "$W/d/x.txt"

# ---- 4. one name twice ------------------------------------------------------------
hostile dup 11 '"a\.txt" comes twice' "$C/dup.tar" --any
hostile dup-dir-file 11 '"x" comes twice' "$C/dup-dir-file.tar" --any
hostile file-then-dir 11 '"x/y": goes through a symbolic link or a file' "$C/file-then-dir.tar" --any
hostile case 11 '"a\.txt" comes twice, or collides .*case folding' "$C/case.tar" --any
hostile nfd-e 11 'collides with another name after case folding or Unicode normalisation' "$C/nfd-e.tar" --any
hostile nfd-ga 11 'collides with another name after case folding or Unicode normalisation' "$C/nfd-ga.tar" --any
hostile zip-dup 11 'comes twice' "$C/zip-dup.zip" --any

# ---- 5. names that cannot travel ---------------------------------------------------
hostile ctl-nl 11 '"a\\nb\.txt": control character U\+000A' "$C/ctl-nl.tar" --any
hostile ctl-esc 11 'control character U\+001B' "$C/ctl-esc.tar" --any
hostile bidi 11 'direction-changing character U\+202E' "$C/bidi.tar" --any
hostile zwsp 11 'invisible or direction-changing character U\+200B' "$C/zwsp.tar" --any
hostile badutf8 11 'not valid UTF-8' "$C/badutf8.tar" --any
hostile win-con 11 '"CON" is a reserved device name on Windows' "$C/win-con.tar" --any
hostile win-aux 11 '"aux\.txt" is a reserved device name on Windows' "$C/win-aux.tar" --any
hostile win-com1 11 '"com1\.tar\.gz" is a reserved device name' "$C/win-com1.tar" --any
hostile win-dot 11 'component ends in a dot' "$C/win-dot.tar" --any
hostile win-space 11 'component ends in a space' "$C/win-space.tar" --any
hostile win-colon 11 "character ':' is not allowed in names on Windows" "$C/win-colon.tar" --any
hostile plant-private 11 '\.fuin-unpack-' "$C/plant-private.tar" --any
hostile win-backslash 11 "character '\\\\' is not allowed" "$C/win-backslash.tar" --any
hostile rename 0 '' "$C/rename.tar" --any --rename-unsafe
check "rename: the summary counts the renames" grep -q 'renamed: 6 unsafe names' err
for p in 'a_b:colon' 'CON_:con' 'x_.txt:nl' 'trail._:dot' 'r_ev.txt:bidi' 'aux_.txt:aux'; do
    check "rename: ${p#*:} is present as ${p%%:*}" test "$(cat "$W/d/${p%%:*}" 2>/dev/null)" = "${p#*:}"
done
check "rename: nothing is left under the unsafe names" \
    test "$(ls -A "$W/d" | LC_ALL=C sort | tr '\n' ' ')" = "CON_ a_b aux_.txt r_ev.txt trail._ x_.txt "
hostile rename-clash 11 '"a_b" comes twice' "$C/rename-clash.tar" --any --rename-unsafe
hostile rename-dotdot 0 '' "$C/dotdot.tar" --any --rename-unsafe
check "rename-dotdot: \"..\" becomes \"__\", inside DIR" test "$(cat "$W/d/__/__/__/outside/pwned" 2>/dev/null)" = pwned

# ---- 6. bombs and limits ------------------------------------------------------------
hostile max-files 11 'more than 10 entries \(--max-files\)' "$C/many.tar" --any --max-files 10
hostile max-file-size 11 'big: larger than 1048576 bytes' "$C/big.tar" --any --max-file-size 1M
check "max-file-size: the error names the option --max-file-size" grep -q -- '--max-file-size' err
hostile max-size 11 'more than 1048576 bytes in all' "$C/total.tar" --any --max-size 1M
check "max-size: the error names the option --max-size" grep -q -- '(--max-size)' err
hostile ratio-gzip 11 'expands more than 20 times .*an archive bomb\? \(--max-ratio\)' "$C/ratio.tar.gz" --any --max-ratio 20
hostile ratio-zip 11 'expands more than 20 times .*\(--max-ratio\)' "$C/ratio.zip" --any --max-ratio 20
hostile sparse-bomb 11 'hole: larger than 10485760 bytes' "$C/sparse-bomb.tar" --any --max-file-size 10M
hostile trunc-foreign 3 'big: Truncated tar archive' "$C/trunc.tar" --any
hostile sparse-allhole 0 '' "$C/sparse-allhole.tar" --any
check "sparse-allhole: a file that is all hole keeps its size (1 MiB), as GNU tar and bsdtar extract it" \
    test "$(stat -c %s "$W/d/allhole" 2>/dev/null)" = 1048576

# ---- 7. encrypted zips --------------------------------------------------------------
# ZipCrypto and partly encrypted zips are refused; an all-AES zip is opened
# with its passphrase (docs/commands/unpack.txt) and then checked like any
hostile zipcrypto 1 '"s\.txt" is encrypted with ZipCrypto' "$C/zipcrypto.zip" --any --zip-passphrase-file "$T/zpw"
hostile zip-mixed 1 'the zip encrypts only 1 of its 2 files' "$C/mixed.zip" --any --zip-passphrase-file "$T/zpw"
hostile zip-aes-wrong-passphrase 1 'wrong passphrase for the zip' "$C/aes.zip" --any --zip-passphrase-file "$T/zpw-wrong"
hostile zip-aes-dotdot 11 '"\.\./\.\./\.\./outside/pwned": "\.\." component' "$C/aes-dotdot.zip" --any \
    --zip-passphrase-file "$T/zpw"
hostile zip-aes-ratio 11 'expands more than 20 times' "$C/aes-ratio.zip" --any --zip-passphrase-file "$T/zpw" \
    --max-ratio 20
hostile zip-aes 0 '' "$C/aes.zip" --any --zip-passphrase-file "$T/zpw"
check "zip-aes: opened with its passphrase" test "$(cat "$W/d/s.txt" 2>/dev/null)" = secret
# no passphrase and no terminal: refused, and the hint names the right option
ncases=$((ncases + 1))
mkdir -p "$T/w/zip-aes-no-passphrase/d"
as sato unpack -C "$T/w/zip-aes-no-passphrase/d" --any "$C/aes.zip"
check "zip-aes-no-passphrase: refused (exit $rc)" test "$rc" -ne 0
check "zip-aes-no-passphrase: DIR is left empty" test -z "$(ls -A "$T/w/zip-aes-no-passphrase/d")"
check "zip-aes-no-passphrase: the hint names --zip-passphrase-file" grep -q -- '--zip-passphrase-file' err
# from a pipe the central directory cannot be checked first: refused
ncases=$((ncases + 1))
mkdir -p "$T/w/zip-aes-pipe/d"
cat "$C/aes.zip" | HOME=$T/sato "$FUIN" unpack -C "$T/w/zip-aes-pipe/d" --any --zip-passphrase-file "$T/zpw" - >out 2>err
rc=${PIPESTATUS[1]}
expect_rc 1 "zip-aes-pipe: unpack exit status"
cause zip-aes-pipe unpack 'save it to a file first'
check "zip-aes-pipe: DIR is left empty" test -z "$(ls -A "$T/w/zip-aes-pipe/d")"

# ---- 8. packages: damaged, re-ordered, edited ------------------------------------------
mkdir -p pk/docs pk2/docs
printf 'hello\n' >pk/docs/a.txt
printf 'world\n' >pk/docs/b.txt
head -c 200000 /dev/urandom >pk/docs/z.bin
printf 'another\n' >pk2/docs/a.txt
as yamada pack -o signed.fuin --store "$YS" --passphrase-file "$T/ypw" pk/docs
expect_rc 0 "pack: a signed 機密性1 package"
as yamada pack -o signed2.fuin --store "$YS" --passphrase-file "$T/ypw" pk2/docs
expect_rc 0 "pack: a second signed package"
as yamada pack -o unsigned.fuin --store "$YS" --unsigned pk/docs
expect_rc 0 "pack --unsigned: allowed for 機密性1-完全性1"
check "pack --unsigned: says unsigned" grep -q 'unsigned, not encrypted' err
as yamada pack -o enc.fuin --store "$YS" --passphrase-file "$T/ypw" -r '佐藤 一郎' --class C2 pk/docs
expect_rc 0 "pack: an encrypted 機密性2 package"
run keygen -o plain.key
PLAIN=$("$FUIN" keygen -y plain.key)
as yamada pack -o enc-plain.fuin --store "$YS" --passphrase-file "$T/ypw" -r "$PLAIN" --class C2 pk/docs
expect_rc 0 "pack: to a plain age recipient"

cat >retar.py <<'PY'
# retar.py IN OUT OP...: the members of tar IN, changed, written to OUT
import io, sys, tarfile
src, dst, ops = sys.argv[1], sys.argv[2], sys.argv[3:]
with tarfile.open(src) as tf:
    ms = [(m, tf.extractfile(m).read() if m.isfile() else None) for m in tf.getmembers()]
def find(name):
    for i, (m, d) in enumerate(ms):
        if m.name == name:
            return i
    sys.exit('retar: no member ' + name)
for op in ops:
    verb, _, arg = op.partition(':')
    if verb == 'flip':                  # flip:NAME  change one byte
        i = find(arg); m, d = ms[i]; ms[i] = (m, bytes([d[0] ^ 1]) + d[1:])
    elif verb == 'drop':                # drop:NAME
        del ms[find(arg)]
    elif verb == 'dup':                 # dup:NAME  the member twice
        i = find(arg); ms.insert(i + 1, ms[i])
    elif verb == 'add':                 # add:NAME  a new file at the end
        m = tarfile.TarInfo(arg); m.size = 6; m.mtime = ms[-1][0].mtime; m.mode = 0o644
        ms.append((m, b'added\n'))
    elif verb == 'data':                # data:NAME=FILE  new contents
        name, _, fn = arg.partition('=')
        i = find(name); ms[i] = (ms[i][0], open(fn, 'rb').read())
    elif verb == 'symlink':             # symlink:NAME=TARGET
        name, _, t = arg.partition('='); i = find(name); m = ms[i][0]
        n = tarfile.TarInfo(m.name); n.type = tarfile.SYMTYPE; n.linkname = t
        n.mtime, n.mode = m.mtime, m.mode; ms[i] = (n, None)
    else:
        sys.exit('retar: bad op ' + op)
with tarfile.open(dst, 'w', format=tarfile.PAX_FORMAT) as out:
    for m, d in ms:
        if d is not None:
            m.size = len(d)
        out.addfile(m, io.BytesIO(d) if d is not None else None)
PY
cat >medit.py <<'PY'
# medit.py IN OUT OP...: a manifest (JSON Lines) changed
import json, sys
src, dst, ops = sys.argv[1], sys.argv[2], sys.argv[3:]
ls = [json.loads(l) for l in open(src, encoding='utf-8').read().splitlines()]
for op in ops:
    verb, _, arg = op.partition(':')
    k, _, v = arg.partition('=')
    if verb == 'class':                 # class:LABEL
        ls[0]['class'] = arg
    elif verb == 'label':               # label:PATH=LABEL
        [o for o in ls if o.get('path') == k][0]['label'] = v
    elif verb == 'path':                # path:OLD=NEW
        [o for o in ls if o.get('path') == k][0]['path'] = v
    elif verb == 'sha':                 # sha:PATH=HEX
        [o for o in ls if o.get('path') == k][0]['sha256'] = v
    elif verb == 'dupline':             # dupline:PATH
        i = [i for i, o in enumerate(ls) if o.get('path') == arg][0]
        ls.insert(i + 1, dict(ls[i]))
    else:
        sys.exit('medit: bad op ' + op)
with open(dst, 'w', encoding='utf-8') as f:
    for o in ls:
        f.write(json.dumps(o, ensure_ascii=False, separators=(',', ':')) + '\n')
PY
retar() { python3 retar.py "$@" || fail "retar $*"; }
medit() { python3 medit.py "$@" || fail "medit $*"; }
mkdir -p xs xs2 xu
tar -xf signed.fuin -C xs && tar -xf signed2.fuin -C xs2 && tar -xf unsigned.fuin -C xu
MAN=fuin-manifest.jsonl SIG=fuin-manifest.jsonl.minisig
TC=$(sed -n 's/^trusted comment: //p' "xs/$SIG")
check "the signed package's trusted comment is at hand" test -n "$TC"
# the untouched re-tar unpacks: the tools below change only what they are told
retar signed.fuin same.pkg
hostile control-retar 0 '' same.pkg "${RECV[@]}"
check "control-retar: the files are there" cmp -s pk/docs/z.bin "$W/d/docs/z.bin"

retar unsigned.fuin flip.pkg flip:data/docs/a.txt
hostile pkg-changed 10 '"docs/a\.txt" differs from the manifest \(SHA-256\)' flip.pkg "${RECV[@]}"
verify_case pkg-changed 10 '"docs/a\.txt" differs from the manifest' flip.pkg "${RECV[@]}"
retar signed.fuin flip-s.pkg flip:data/docs/z.bin
hostile pkg-changed-signed 10 '"docs/z\.bin" differs from the manifest' flip-s.pkg "${RECV[@]}"
retar unsigned.fuin added.pkg add:data/docs/c.txt
hostile pkg-added 10 '"docs/c\.txt" is not in the manifest \(added\)' added.pkg "${RECV[@]}"
verify_case pkg-added 10 '"docs/c\.txt" is not in the manifest \(added\)' added.pkg "${RECV[@]}"
retar signed.fuin added-out.pkg 'add:data/../../../outside/pwned'
hostile pkg-added-traversal 10 'is not in the manifest \(added\)' added-out.pkg "${RECV[@]}"
retar signed.fuin added-top.pkg 'add:../../../outside/pwned'
hostile pkg-added-outside-data 10 '"\.\./\.\./\.\./outside/pwned" is not in the manifest \(added\)' \
    added-top.pkg "${RECV[@]}"
retar unsigned.fuin removed.pkg drop:data/docs/z.bin
hostile pkg-removed-last 10 '"docs/z\.bin" is in the manifest but not in the package' removed.pkg "${RECV[@]}"
verify_case pkg-removed-last 10 'is in the manifest but not in the package' removed.pkg "${RECV[@]}"
retar signed.fuin removed-mid.pkg drop:data/docs/b.txt
hostile pkg-removed-middle 10 'out of order \(or a file is missing\); expected "docs/b\.txt"' removed-mid.pkg "${RECV[@]}"
retar signed.fuin dup.pkg dup:data/docs/a.txt
hostile pkg-duplicated 10 '"docs/a\.txt" comes twice or out of order' dup.pkg "${RECV[@]}"
retar signed.fuin symlink.pkg "symlink:data/docs/a.txt=$T/outside/pwned"
hostile pkg-symlink-member 10 '"docs/a\.txt" is not a regular file as the manifest says' symlink.pkg "${RECV[@]}"
retar signed.fuin bag.pkg flip:manifest-sha256.txt
hostile pkg-bagit-changed 10 'manifest-sha256\.txt does not match the manifest' bag.pkg "${RECV[@]}"

# truncated: in the middle of a file, right after the manifest, and the age file
s=$(stat -c %s unsigned.fuin)
head -c $((s / 2)) unsigned.fuin >half.pkg
hostile pkg-truncated 10 'Truncated tar archive \(truncated or damaged\)' half.pkg "${RECV[@]}"
verify_case pkg-truncated 10 'truncated' half.pkg "${RECV[@]}"
off=$(python3 -c 'import sys,tarfile; print(tarfile.open(sys.argv[1]).getmembers()[1].offset)' signed.fuin)
head -c "$off" signed.fuin >cut.pkg
hostile pkg-cut-after-manifest 10 'the package ends after its manifest' cut.pkg "${RECV[@]}"
s=$(stat -c %s enc.fuin)
head -c $((s / 2)) enc.fuin >enc-half.pkg
hostile pkg-encrypted-truncated 10 'truncated' enc-half.pkg "${RECV[@]}"
verify_case pkg-encrypted-truncated 10 'truncated' enc-half.pkg "${RECV[@]}"
python3 -c '
import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[len(d) // 2] ^= 1
open(sys.argv[2], "wb").write(d)' enc.fuin enc-flip.pkg
hostile pkg-encrypted-changed 10 'does not authenticate: the file was modified' enc-flip.pkg "${RECV[@]}"
# data after the end of the tar: refused inside an age file, so outside too
age -d -i plain.key -o inner.tar enc-plain.fuin 2>/dev/null || fail "age -d of a package"
cat inner.tar signed2.fuin >inner-app.tar
age -r "$PLAIN" -o enc-app.pkg inner-app.tar || fail "age -r"
hostile pkg-encrypted-appended 10 'data after the end of the package' enc-app.pkg --store "$SS" -i "$T/plain.key"
cat signed.fuin signed2.fuin >app.pkg
hostile pkg-appended 10 'data after the end of the package' app.pkg "${RECV[@]}"
# not a package at all
: >empty.pkg
hostile empty 3 'empty input: not a package' empty.pkg "${RECV[@]}"
head -c 5000 /dev/urandom >random.pkg
hostile random 3 'not a package, tar or zip file' random.pkg "${RECV[@]}"
hostile not-a-package 3 'not a fuin package .*unpack it with --any' "$C/setid.tar" "${RECV[@]}"

# ---- 9. signatures ---------------------------------------------------------------------
retar signed.fuin swapsig.pkg "data:$SIG=xs2/$SIG"
hostile sig-of-another-manifest 8 'manifest signature: file modified \(signature does not verify\)' \
    swapsig.pkg "${RECV[@]}"
verify_case sig-of-another-manifest 8 'signature does not verify' swapsig.pkg "${RECV[@]}"
# a file changed and its hash put in the manifest and manifest-sha256.txt:
# the manifest no longer matches its signature
printf 'HELLO\n' >newa
NEWH=$(sha256sum newa | cut -c1-64) OLDH=$(sha256sum pk/docs/a.txt | cut -c1-64)
sed "s/$OLDH/$NEWH/" "xs/$MAN" >man-edit
sed "s/$OLDH/$NEWH/" xs/manifest-sha256.txt >bag-edit
retar signed.fuin edit.pkg "data:$MAN=man-edit" data:manifest-sha256.txt=bag-edit data:data/docs/a.txt=newa
hostile manifest-edited 8 'manifest signature: file modified' edit.pkg "${RECV[@]}"
sed 's/class:C1-I1-A1/class:C2-I1-A1/' "xs/$SIG" >sig-tc
retar signed.fuin tc.pkg "data:$SIG=sig-tc"
hostile trusted-comment-edited 8 'trusted comment modified' tc.pkg "${RECV[@]}"
minisign -G -W -p other.pub -s other.key >/dev/null 2>&1
cp "xs/$MAN" m-other
minisign -S -s other.key -m m-other -t "$TC" >/dev/null 2>&1 || fail "minisign -S with another key"
retar signed.fuin other-key.pkg "data:$SIG=m-other.minisig"
hostile signed-by-another-key 8 'signed by key [0-9A-F]+, but the certificate is for key' other-key.pkg "${RECV[@]}"
cp "xs/$MAN" m-legacy
minisign -S -l -s yamada/.config/fuin/sign.key -m m-legacy -t "$TC" <ypw >/dev/null 2>&1 ||
    fail "minisign -S -l"
retar signed.fuin legacy.pkg "data:$SIG=m-legacy.minisig"
hostile legacy-signature 8 'legacy \(non-prehashed\) signature' legacy.pkg "${RECV[@]}"
cp "xs/$MAN" m-nocert
minisign -S -s yamada/.config/fuin/sign.key -m m-nocert -t "${TC%%	cert:*}" <ypw >/dev/null 2>&1 ||
    fail "minisign -S without the certificate"
retar signed.fuin nocert.pkg "data:$SIG=m-nocert.minisig"
hostile no-certificate 9 'unknown signer: the signature carries no certificate' nocert.pkg "${RECV[@]}"
verify_case no-certificate 9 'carries no certificate' nocert.pkg "${RECV[@]}"

# ---- 10. the class and the policy -------------------------------------------------------
# a label above the class, the manifest signed again with 山田's key by stock minisign
medit "xs/$MAN" man-label label:docs/a.txt=C2-I1-A1
cp man-label m-label
minisign -S -s yamada/.config/fuin/sign.key -m m-label -t "$TC" <ypw >/dev/null 2>&1 ||
    fail "minisign -S of the relabelled manifest"
retar signed.fuin label.pkg "data:$MAN=man-label" "data:$SIG=m-label.minisig"
hostile label-above-class 1 'docs/a\.txt is labelled C2-I1-A1, above the package class C1-I1-A1' \
    label.pkg "${RECV[@]}"
verify_case label-above-class 1 'above the package class C1-I1-A1' label.pkg "${RECV[@]}"
medit "xu/$MAN" uman-label label:docs/a.txt=C2-I1-A1
retar unsigned.fuin label-u.pkg "data:$MAN=uman-label"
hostile label-above-class-unsigned 1 'docs/a\.txt is labelled C2-I1-A1, above the package class' \
    label-u.pkg "${RECV[@]}"
# the same manifest NOT signed again: it is a modified manifest first of all
retar signed.fuin label-ns.pkg "data:$MAN=man-label"
hostile label-edited-not-resigned 8 'manifest signature: file modified' label-ns.pkg "${RECV[@]}"
medit "xu/$MAN" uman-c2 class:C2-I1-A1
retar unsigned.fuin c2-plain.pkg "data:$MAN=uman-c2"
hostile c2-unencrypted 1 'policy: the package arrived unencrypted: .*\[class\.C2\] encrypt = required' \
    c2-plain.pkg "${RECV[@]}"
age -d -i plain.key -o c2-stripped.pkg enc-plain.fuin 2>/dev/null
hostile c2-age-layer-stripped 1 'arrived unencrypted' c2-stripped.pkg "${RECV[@]}"
medit "xu/$MAN" uman-i2 class:C1-I2-A1
retar unsigned.fuin i2-unsigned.pkg "data:$MAN=uman-i2"
hostile i2-unsigned 1 'policy: the package is not signed: .*\[class\.I2\] sign = required' \
    i2-unsigned.pkg "${RECV[@]}"
WHO=citizen
hostile no-identity 1 'no identity given' enc.fuin --store "$SS"
run keygen -o other-id.key
hostile wrong-identity 1 'no identity matched a recipient' enc.fuin --store "$SS" -i "$T/other-id.key"
WHO=sato
# the signature taken out of a signed 機密性1 package: allowed by the policy
# (C1-I1 needs none), but the result must not claim a signer
retar signed.fuin nosig.pkg "drop:$SIG"
hostile signature-removed 0 '' nosig.pkg "${RECV[@]}"
check "signature-removed: says it is not signed" grep -q 'signer: none (the package is not signed)' err

# ---- 11. hostile manifests ----------------------------------------------------------------
hostile pkg-max-files 11 'fuin-manifest\.jsonl: 4 entries, more than 2 \(--max-files\)' \
    signed.fuin "${RECV[@]}" --max-files 2
medit "xu/$MAN" uman-dup dupline:docs/a.txt
retar unsigned.fuin m-dup.pkg "data:$MAN=uman-dup"
hostile manifest-dup-path 11 '"docs/a\.txt" is listed twice' m-dup.pkg "${RECV[@]}"
medit "xu/$MAN" uman-nfd "path:docs/a.txt=docs/caf$(printf '\xc3\xa9').txt" \
    "path:docs/b.txt=docs/cafe$(printf '\xcc\x81').txt"
retar unsigned.fuin m-nfd.pkg "data:$MAN=uman-nfd"
hostile manifest-nfd-collision 11 'is listed twice \(or collides after case folding or Unicode normalisation\)' \
    m-nfd.pkg "${RECV[@]}"
medit "xu/$MAN" uman-dotdot 'path:docs/a.txt=docs/../../../outside/pwned'
retar unsigned.fuin m-dotdot.pkg "data:$MAN=uman-dotdot"
hostile manifest-dotdot-path 11 '"\.\." component' m-dotdot.pkg "${RECV[@]}"

# ---- 12. names that exist in DIR ------------------------------------------------------------
mkdir -p "$T/w/exists-file/d" "$T/w/exists-dir/d/docs" "$T/w/exists-symlink/d" \
    "$T/w/exists-foreign/d" "$T/w/exists-second/d"
printf 'mine\n' >"$T/w/exists-file/d/docs"
printf 'mine\n' >"$T/w/exists-dir/d/docs/a.txt"
ln -s "$T/outside" "$T/w/exists-symlink/d/docs"
printf 'mine\n' >"$T/w/exists-foreign/d/docs"
printf 'mine\n' >"$T/w/exists-second/d/b"
hostile exists-file 5 'd/docs exists: nothing was unpacked' signed.fuin "${RECV[@]}"
check "exists-file: the existing file is untouched" test "$(cat "$W/d/docs")" = mine
hostile exists-dir 5 'd/docs exists: nothing was unpacked' signed.fuin "${RECV[@]}"
check "exists-dir: the existing file is untouched" test "$(cat "$W/d/docs/a.txt")" = mine
hostile exists-symlink 5 'd/docs exists: nothing was unpacked' signed.fuin "${RECV[@]}"
check "exists-symlink: still the same link" test "$(readlink "$W/d/docs")" = "$T/outside"
tar -cf docs.tar -C pk docs
hostile exists-foreign 5 'd/docs exists: nothing was unpacked' docs.tar --any
check "exists-foreign: the existing file is untouched" test "$(cat "$W/d/docs")" = mine
mkdir -p two/a two/b && printf '1\n' >two/a/x && printf '2\n' >two/b/y
tar -cf two.tar -C two a b
hostile exists-second 5 'd/b exists: nothing was unpacked' two.tar --any
check "exists-second: the first name was not moved in either" test "$(ls -A "$W/d")" = b

# ---- 13. whose signature ----------------------------------------------------------------------
mkdir -p ciso2
HOME=$T/ciso2 "$FUIN" ciso init --org 'よその組合' --passphrase-file "$T/rpw" >/dev/null 2>&1
ROOT2=$T/ciso2/.config/fuin/ciso/root.pub
check "a second CISO root" test -s "$ROOT2"
WHO=citizen
hostile another-root 9 'manifest signature: certificate signed by another root' signed.fuin --trust "$ROOT2"
verify_case another-root 9 'certificate signed by another root' signed.fuin --trust "$ROOT2"
WHO=sato
# no revocation list installed yet: --require-revocation-check must refuse
# before anything is moved into DIR
hostile revocation-unchecked 9 'revocation could not be checked' signed.fuin "${RECV[@]}" --require-revocation-check
as ciso ciso revoke "$YKEY" --reason 'laptop lost' --passphrase-file "$T/rpw"
expect_rc 0 "ciso revoke 山田's key"
mkdir -p web
cp ciso/.config/fuin/ciso/revoked.txt ciso/.config/fuin/ciso/revoked.txt.minisig web/
as sato store update "$T/web/revoked.txt" --store "$SS"
expect_rc 0 "佐藤: store update revoked.txt"
hostile revoked-signer 9 "manifest signature: key $YKEY revoked on .*: laptop lost" signed.fuin "${RECV[@]}"
verify_case revoked-signer 9 "key $YKEY revoked on .*: laptop lost" signed.fuin "${RECV[@]}"
WHO=citizen
hostile revoked-signer-trust 9 "key $YKEY revoked" signed.fuin --trust "$ROOT"
WHO=sato

# ---- 14. an unprivileged receiver: read-only directories ---------------------------------------
# root reads and removes a directory of mode 0000; another user cannot, so
# a failure after the modes are set must still leave nothing behind
nobody=()
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
    setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    chmod 711 "$T"
    mkdir -m 1777 "$T/nr"
elif [ "$(id -u)" -ne 0 ]; then
    mkdir -p "$T/nr"
fi
if [ -d "$T/nr" ]; then
    python3 - "$T/nr" <<'PY'
import io, os, sys, tarfile
out = sys.argv[1]
def t(name, type=tarfile.REGTYPE, mode=0o644, link=''):
    i = tarfile.TarInfo(name); i.type, i.mode, i.linkname, i.mtime = type, mode, link, 1700000000
    return i
def f(name):
    i = t(name); i.size = 2; return i, io.BytesIO(b'x\n')
def mk(fn, ms):
    with tarfile.open(os.path.join(out, fn), 'w', format=tarfile.PAX_FORMAT) as tf:
        for m in ms:
            tf.addfile(*m) if isinstance(m, tuple) else tf.addfile(m)
# fails at the end (a link where a directory was made), after z got mode 0000
mk('zero-fail.tar', [t('z/', tarfile.DIRTYPE, 0o000), f('z/x'),
                     t('link', tarfile.SYMTYPE, link='sub'), f('link/x')])
# harmless: a read-only directory holding a file and a link to it
mk('ro-link.tar', [t('ro/', tarfile.DIRTYPE, 0o555), f('ro/x'), t('ro/l', tarfile.SYMTYPE, link='x')])
PY
    chmod 644 "$T"/nr/*.tar
    nr() { # nr NAME STATUS REGEX TAR: unpack --any as an unprivileged user
        ncases=$((ncases + 1))
        mkdir -m 777 "$T/nr/$1"
        "${nobody[@]}" env HOME=/nonexistent "$FUIN" unpack --any -C "$T/nr/$1" "$T/nr/$4" </dev/null >out 2>err
        rc=$?
        expect_rc "$2" "$1 (unprivileged): unpack exit status"
        if [ "$2" -ne 0 ]; then
            cause "$1 (unprivileged)" unpack "$3"
            check "$1 (unprivileged): DIR is left empty (no .fuin-unpack-*)" test -z "$(ls -A "$T/nr/$1")"
        fi
        check "$1 (unprivileged): no private directory left in DIR" no_private "$T/nr/$1"
    }
    nr zero-dir-fail 11 '"link": is both a symbolic link and a file or directory' zero-fail.tar
    nr readonly-dir-link 0 '' ro-link.tar
    check "readonly-dir-link (unprivileged): the link is there" test "$(readlink "$T/nr/readonly-dir-link/ro/l" 2>/dev/null)" = x
    [ "$(id -u)" -eq 0 ] && chmod -R u+rwX "$T/nr" 2>/dev/null
else
    echo "SKIP: no unprivileged user to run as"
fi

echo "$ncases hostile inputs"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
