#!/bin/bash
# The fuin program on bad input: every case asserts the exit code, a single
# stderr line naming the file and the problem, and that nothing (not even a
# temporary file) is left in the output directory.
set -u

if [ -z "${FUIN:-}" ] || [ ! -x "$FUIN" ]; then
    echo "FUIN must name the fuin program (got '${FUIN:-}')" >&2
    exit 1
fi
if ! command -v python3 >/dev/null; then
    echo "SKIP: python3 is needed to edit test files"
    exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/fuin-cli-bad.XXXXXX") || exit 1
FULL=
cleanup() {
    if [ -n "$FULL" ]; then umount "$FULL" 2>/dev/null; fi
    rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1

passed=0
failed=0
skipped=0
ok() { passed=$((passed + 1)); }
bad() {
    failed=$((failed + 1))
    echo "FAIL: $*"
    if [ -s err ]; then sed 's/^/    stderr: /' err | head -5; fi
}
check() {
    local d=$1
    shift
    if "$@"; then ok; else bad "$d"; fi
}

# bad_case DESCRIPTION EXIT NAME REGEX OUTDIR ARGS...
# Runs fuin ARGS with stdin from /dev/null.  Asserts the exit code, that
# stderr is one line containing NAME (fixed string) and matching REGEX
# (extended, case-insensitive), and that OUTDIR is empty afterwards.
bad_case() {
    local d=$1 want=$2 name=$3 re=$4 dir=$5 n
    shift 5
    "$FUIN" "$@" </dev/null >out 2>err
    rc=$?
    if [ "$rc" -eq "$want" ]; then ok; else bad "$d: exit $rc, expected $want"; fi
    if [ -n "${FUIN_TEST_VERBOSE:-}" ]; then echo "[$d] exit $rc: $(cat err)"; fi
    n=$(wc -l <err)
    # The problem phrase must be in the message, not just in the file name.
    if [ "$n" -eq 1 ] && grep -qF -- "$name" err &&
        awk -v n="$name" '{ while ((i = index($0, n)) > 0) $0 = substr($0, 1, i - 1) substr($0, i + length(n)); print }' err |
        grep -Eqi -- "$re"; then
        ok
    else
        bad "$d: stderr should be one line with '$name' and /$re/ (got $n lines)"
    fi
    if [ -z "$(ls -A "$dir" 2>/dev/null)" ]; then ok; else
        bad "$d: left files in $dir: $(ls -A "$dir" | tr '\n' ' ')"
    fi
}
fresh() { rm -rf od && mkdir od; }

# header_len FILE: bytes of the binary age header including the MAC line.
header_len() {
    head -n "$(awk '/^---/ { print NR; exit }' "$1")" "$1" | wc -c
}

"$FUIN" keygen -o k1.txt 2>/dev/null
"$FUIN" keygen -o k2.txt 2>/dev/null
P1=$(sed -n 2p k1.txt | sed 's/^# public key: //')
head -c 100000 /dev/urandom >p100k       # two chunks: 65536 + 34464
head -c 200000 /dev/urandom >p200k       # four chunks
head -c 1048576 /dev/urandom >p1m
head -c 131072 /dev/urandom >p128k       # two full chunks, the last final
printf 'x' >p1
"$FUIN" encrypt -r "$P1" -o c2.age p100k
"$FUIN" encrypt -r "$P1" -o c4.age p200k
"$FUIN" encrypt -r "$P1" -o c1m.age p1m
"$FUIN" encrypt -r "$P1" -o c128k.age p128k
"$FUIN" encrypt -r "$P1" -a -o ca.age p100k
printf 'right passphrase\n' >pw.txt
printf 'wrong passphrase\n' >pwbad.txt
"$FUIN" encrypt --passphrase-file pw.txt -o pw.age p100k
H=$(header_len c2.age)
check "setup: test files exist" test -s c2.age -a -s c4.age -a -s c1m.age -a -s ca.age -a -s pw.age
check "setup: the 2-chunk file has the expected size" \
    test "$(stat -c %s c2.age)" -eq $((H + 16 + 100000 + 32))

# flip FILE OUT OFFSET: copy FILE with one bit of byte OFFSET flipped.
flip() {
    python3 - "$1" "$2" "$3" <<'EOF'
import sys
src, dst, off = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = bytearray(open(src, "rb").read())
b[off] ^= 0x01
open(dst, "wb").write(b)
EOF
}
# flip_b64 FILE OUT LINE COL: flip one bit of the value encoded by the base64
# character at LINE (1-based) column COL (0-based), keeping it valid base64.
flip_b64() {
    python3 - "$1" "$2" "$3" "$4" <<'EOF'
import sys
A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
src, dst, line, col = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
data = open(src, "rb").read()
lines = data.split(b"\n")
l = bytearray(lines[line - 1])
l[col] = ord(A[A.index(chr(l[col])) ^ 1])
lines[line - 1] = bytes(l)
open(dst, "wb").write(b"\n".join(lines))
EOF
}

# ------------------------------------------------------------- keys
fresh
bad_case "wrong identity" 1 c2.age 'no identity matched' od \
    decrypt -i k2.txt -o od/out c2.age
fresh
bad_case "wrong passphrase" 1 pw.age 'passphrase|no identity matched' od \
    decrypt --passphrase-file pwbad.txt -o od/out pw.age

# An identity with a broken Bech32 checksum: change the last character.
python3 - <<'EOF'
lines = open("k1.txt").read().split("\n")
k = lines[2]
lines[2] = k[:-1] + ("Q" if k[-1] != "Q" else "P")
open("kbad.txt", "w").write("\n".join(lines))
EOF
fresh
bad_case "identity file with a bad checksum" 3 kbad.txt 'line 3.*checksum|checksum.*line 3' od \
    decrypt -i kbad.txt -o od/out c2.age
bad_case "keygen -y with a bad checksum" 3 kbad.txt 'checksum' od keygen -y kbad.txt
check "keygen -y with a bad checksum prints no recipient" test ! -s out
fresh
bad_case "missing identity file" 4 nokey.txt 'no such file' od \
    decrypt -i nokey.txt -o od/out c2.age

P1BAD=${P1%?}$([ "${P1: -1}" = q ] && echo p || echo q)
fresh
bad_case "-r with a bad checksum" 2 "\"$P1BAD\"" 'invalid recipient.*checksum' od \
    encrypt -r "$P1BAD" -o od/out p1
fresh
bad_case "-r that is not a recipient" 2 '"hello"' 'invalid recipient' od \
    encrypt -r hello -o od/out p1
printf '# ok\n%s\n%s\n' "$P1" "$P1BAD" >rbad.txt
fresh
bad_case "-R file with a bad line" 2 rbad.txt 'line 3: invalid recipient' od \
    encrypt -R rbad.txt -o od/out p1
fresh
bad_case "missing -R file" 4 norecips.txt 'no such file' od \
    encrypt -R norecips.txt -o od/out p1

# ---------------------------------------------------------- truncation
head -c 40 c2.age >t_header.age
fresh
bad_case "truncated inside the header" 3 t_header.age 'truncated|header' od \
    decrypt -i k1.txt -o od/out t_header.age
head -c $((H + 16 + 1000)) c2.age >t_chunk.age
fresh
bad_case "truncated inside a chunk" 1 t_chunk.age 'truncat|payload|chunk' od \
    decrypt -i k1.txt -o od/out t_chunk.age
head -c $((H + 16 + 65536 + 16)) c2.age >t_final.age
fresh
bad_case "truncated before the final chunk" 1 t_final.age 'truncat|final|payload' od \
    decrypt -i k1.txt -o od/out t_final.age
# A short nonce is a header failure in the age testkit (stream_short_nonce).
head -c $((H + 10)) c2.age >t_nonce.age
fresh
bad_case "truncated inside the nonce" 3 t_nonce.age 'truncat|nonce' od \
    decrypt -i k1.txt -o od/out t_nonce.age

# ------------------------------------------------------------ tampering
flip_b64 c2.age f_body.age 3 10
fresh
bad_case "flipped bit in a recipient stanza body" 1 f_body.age 'no identity matched' od \
    decrypt -i k1.txt -o od/out f_body.age
mac_line=$(awk '/^---/ { print NR; exit }' c2.age)
flip_b64 c2.age f_mac.age "$mac_line" 10
fresh
bad_case "flipped bit in the header MAC" 1 f_mac.age 'mac' od \
    decrypt -i k1.txt -o od/out f_mac.age
flip c2.age f_payload.age $((H + 16 + 100))
fresh
bad_case "flipped bit in the payload" 1 f_payload.age 'payload|authenticat|chunk' od \
    decrypt -i k1.txt -o od/out f_payload.age
flip c2.age f_last.age $((H + 16 + 65552 + 10))
fresh
bad_case "flipped bit in the final chunk" 1 f_last.age 'payload|authenticat|chunk' od \
    decrypt -i k1.txt -o od/out f_last.age
# After a full final chunk, extra bytes cannot be part of it: trailing data.
cat c128k.age p1 >trailing.age
fresh
bad_case "trailing data after a full final chunk" 1 trailing.age 'trailing' od \
    decrypt -i k1.txt -o od/out trailing.age
# After a short final chunk, an extra byte makes that chunk fail.
cat c2.age p1 >trailing2.age
fresh
bad_case "trailing byte after a short final chunk" 1 trailing2.age 'truncated|modified|trailing' od \
    decrypt -i k1.txt -o od/out trailing2.age

# ------------------------------------------------------ not age at all
printf 'hello, world\n' >hello.txt
fresh
bad_case "not an age file" 3 hello.txt 'not an age file' od \
    decrypt -i k1.txt -o od/out hello.txt
bad_case "inspect: not an age file" 3 hello.txt 'not an age file' od inspect hello.txt
{
    printf 'age-encryption.org/v2\n'
    tail -n +2 c2.age
} >v2.age
fresh
bad_case "unsupported version" 3 v2.age 'unsupported' od \
    decrypt -i k1.txt -o od/out v2.age
bad_case "inspect: unsupported version" 3 v2.age 'unsupported' od inspect v2.age
: >empty.age
fresh
bad_case "empty input" 3 empty.age 'empty' od decrypt -i k1.txt -o od/out empty.age
bad_case "inspect: empty input" 3 empty.age 'empty' od inspect --json empty.age
fresh
"$FUIN" decrypt -i k1.txt -o od/out </dev/null >out 2>err
rc=$?
check "empty stdin: exit 3" test "$rc" -eq 3
check "empty stdin: names <stdin>" grep -qF '<stdin>' err

python3 - <<'EOF'
lines = open("ca.age").read().split("\n")
l = lines[1]
open("a_b64.age", "w").write("\n".join(lines[:1] + [l[:5] + "!" + l[6:]] + lines[2:]))
open("a_long.age", "w").write("\n".join(lines[:1] + [lines[1] + lines[2]] + lines[3:]))
EOF
fresh
bad_case "armor with bad base64" 3 a_b64.age 'armor' od \
    decrypt -i k1.txt -o od/out a_b64.age
fresh
bad_case "armor with a long line" 3 a_long.age 'armor.*(64|long)' od \
    decrypt -i k1.txt -o od/out a_long.age

# ------------------------------------------------------------- paths
fresh
bad_case "missing output directory (decrypt)" 4 nodir/out 'no such file' od \
    decrypt -i k1.txt -o nodir/out c2.age
check "missing output directory not created" test ! -e nodir
bad_case "missing output directory (encrypt)" 4 nodir/out.age 'no such file' od \
    encrypt -r "$P1" -o nodir/out.age p1
mkdir adir
fresh
bad_case "directory as input (decrypt)" 4 adir 'is a directory' od \
    decrypt -i k1.txt -o od/out adir
bad_case "directory as input (encrypt)" 4 adir 'is a directory' od \
    encrypt -r "$P1" -o od/out adir
bad_case "directory as input (inspect)" 4 adir 'is a directory' od inspect adir
bad_case "missing input" 4 nofile.age 'no such file' od \
    decrypt -i k1.txt -o od/out nofile.age
bad_case "directory as identity file" 4 adir 'is a directory' od \
    decrypt -i adir -o od/out c2.age

# ------------------------------------------------- tampered label stanza
"$FUIN" encrypt -r "$P1" --class C2 -o lab.age p100k 2>/dev/null
python3 - <<'EOF'
b = open("lab.age", "rb").read()
old, new = b"fuin-label C2-I1-A1", b"fuin-label C3-I1-A1"
assert b.count(old) == 1, "label stanza not found"
open("lab_c3.age", "wb").write(b.replace(old, new))
EOF
check "setup: tampered label file written" test -s lab_c3.age
fresh
bad_case "label changed from C2 to C3" 1 lab_c3.age 'mac' od \
    decrypt -i k1.txt -o od/out lab_c3.age
check "tampered label is not printed" test "$(grep -c 'label:' err)" -eq 0
if command -v age >/dev/null; then
    age -d -i k1.txt -o od/age.out lab_c3.age >/dev/null 2>&1
    rc=$?
    check "stock age refuses the tampered label (exit $rc)" test "$rc" -ne 0
    rm -f od/age.out
    age -d -i k1.txt lab.age >lab.age.out 2>/dev/null
    check "stock age decrypts the untampered labelled file" cmp -s p100k lab.age.out
else
    skipped=$((skipped + 1))
    echo "SKIP: age not installed; stock age check of the tampered label not run"
fi

# ---------------------------------------------------------- disk full
if [ "$(id -u)" -eq 0 ] && mkdir full && mount -t tmpfs -o size=256k tmpfs full 2>/dev/null; then
    FULL=$T/full
    bad_case "disk full while decrypting" 4 full/out 'no space|space' full \
        decrypt -i k1.txt -o full/out c1m.age
    bad_case "disk full while encrypting" 4 full/out.age 'no space|space' full \
        encrypt -r "$P1" -o full/out.age p1m
    umount "$FULL" && FULL=
else
    skipped=$((skipped + 1))
    echo "SKIP: disk-full case needs root and a tmpfs mount"
fi

# ------------------------------------------- stdout releases whole chunks
# Truncated inside chunk 3: chunks 1 and 2 authenticated, nothing more.
head -c $((H + 16 + 2 * 65552 + 1000)) c4.age >t_c3.age
"$FUIN" decrypt -i k1.txt t_c3.age >partial 2>err
rc=$?
check "truncated to stdout: exit 1 (got $rc)" test "$rc" -eq 1
check "truncated to stdout: one stderr line naming the file" \
    test "$(wc -l <err)" -eq 1 -a "$(grep -c 't_c3.age' err)" -eq 1
check "truncated to stdout: exactly 131072 bytes released (got $(stat -c %s partial))" \
    test "$(stat -c %s partial)" -eq 131072
check "truncated to stdout: the released bytes are the plaintext prefix" \
    cmp -s partial <(head -c 131072 p200k)
# Tampered payload in chunk 2 of 4: only chunk 1 is released.
flip c4.age f_c2.age $((H + 16 + 65552 + 7))
"$FUIN" decrypt -i k1.txt f_c2.age >partial 2>err
rc=$?
check "tampered chunk 2 to stdout: exit 1" test "$rc" -eq 1
check "tampered chunk 2 to stdout: 65536 bytes released" test "$(stat -c %s partial)" -eq 65536
# Header failures release nothing at all.
"$FUIN" decrypt -i k1.txt f_mac.age >partial 2>err
check "header MAC failure to stdout releases nothing" test ! -s partial

# ------------------------- armored, several batches (the writer thread)
# An armored stream is written by a thread of its own (lib/crypt/stream.c),
# 2 MiB batches at a time: 5 MiB span three batches.  A tampered chunk in
# the second batch: what came before is released in order, nothing after,
# and with -o nothing is left.
head -c $((5 * 1048576)) /dev/urandom >p5m
"$FUIN" encrypt -r "$P1" -o c5m.age p5m
H5=$(header_len c5m.age)
# armor ARMORED_OUT BINARY_IN (stock-age-style PEM armor, 64 columns)
armor() {
    python3 - "$1" "$2" <<'EOF'
import base64, sys
b = base64.b64encode(open(sys.argv[2], "rb").read()).decode()
with open(sys.argv[1], "w") as f:
    f.write("-----BEGIN AGE ENCRYPTED FILE-----\n")
    for i in range(0, len(b), 64):
        f.write(b[i:i + 64] + "\n")
    f.write("-----END AGE ENCRYPTED FILE-----\n")
EOF
}
flip c5m.age f_c40.age $((H5 + 16 + 40 * 65552 + 9))
armor a_c40.age f_c40.age
armor a_ok.age c5m.age
"$FUIN" decrypt -i k1.txt a_ok.age >whole 2>err
check "armored 5 MiB: decrypts to the plaintext" cmp -s whole p5m
fresh
bad_case "armored, tampered chunk 40 of 80" 1 a_c40.age 'chunk 40 does not authenticate' od \
    decrypt -i k1.txt -o od/out a_c40.age
"$FUIN" decrypt -i k1.txt a_c40.age >partial 2>err
rc=$?
check "armored, tampered chunk 40, to stdout: exit 1 (got $rc)" test "$rc" -eq 1
check "armored, tampered chunk 40, to stdout: exactly 40 chunks released (got $(stat -c %s partial))" \
    test "$(stat -c %s partial)" -eq $((40 * 65536))
check "armored, tampered chunk 40, to stdout: the released bytes are the plaintext prefix" \
    cmp -s partial <(head -c $((40 * 65536)) p5m)
head -c $((H5 + 16 + 70 * 65552 + 100)) c5m.age >t_c70.age
armor a_t70.age t_c70.age
fresh
bad_case "armored, truncated in chunk 70" 1 a_t70.age 'truncated|modified' od \
    decrypt -i k1.txt -o od/out a_t70.age
# Tampered chunk 40 and a bad base64 character further on: the
# writer thread meets the first, the reader the second (chunk 78, in the
# next read of 1 MiB of armor); the earlier one is
# the one told, every time.
python3 - a_c40.age a_c40_b64.age $(((H5 + 16 + 78 * 65552) / 48 + 2)) <<'EOF'
import sys
lines = open(sys.argv[1]).read().split("\n")
n = int(sys.argv[3])
lines[n] = "!" + lines[n][1:]
open(sys.argv[2], "w").write("\n".join(lines))
EOF
same=0
for i in 1 2 3 4 5 6; do
    "$FUIN" decrypt -i k1.txt a_c40_b64.age 2>err | cat >/dev/null
    rc=${PIPESTATUS[0]}
    [ "$rc" -eq 1 ] && grep -q 'chunk 40 does not authenticate' err && same=$((same + 1))
done
check "armored, tampered chunk 40 then bad base64: the tamper is told in 6 of 6 runs (got $same)" \
    test "$same" -eq 6
"$FUIN" encrypt -a -r "$P1" -o a5m.age p5m
"$FUIN" decrypt -i k1.txt a5m.age >whole 2>err
check "armored encrypt of 5 MiB: round trip" cmp -s whole p5m
check "armored encrypt of 5 MiB: the same armor as a re-armored binary file" \
    test "$(wc -l <a5m.age)" -eq "$(wc -l <a_ok.age)"

if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
