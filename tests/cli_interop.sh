#!/bin/bash
# Interoperability with stock age (Debian age 1.1.1): whatever fuin writes,
# age must read, and the other way round, in binary and ASCII armor, with
# X25519 recipients and with passphrases, at the chunk boundaries of the
# STREAM payload (0, 1, 65535, 65536, 65537 bytes) and for 10 MiB.  Labels
# are invisible to age but authenticated: a label edited in the header must
# make both fuin and age refuse the file.  Passphrase prompts are answered
# through a pseudo-terminal (tests/pty_drive.py), since both programs read
# them from /dev/tty.
# $f is deliberately unquoted throughout: it is either empty or "-a".
# shellcheck disable=SC2086
set -u

if [ -z "${FUIN:-}" ] || [ ! -x "$FUIN" ]; then
    echo "FUIN must name the fuin program (got '${FUIN:-}')" >&2
    exit 1
fi
if ! command -v age >/dev/null || ! command -v age-keygen >/dev/null; then
    echo "SKIP: stock age not installed"
    exit 77
fi
if ! command -v python3 >/dev/null; then
    echo "SKIP: python3 is needed to drive passphrase prompts and edit headers"
    exit 77
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PTY="$HERE/pty_drive.py"
if [ ! -r "$PTY" ]; then
    echo "pty_drive.py not found beside $0" >&2
    exit 1
fi
FUIN=$(cd "$(dirname "$FUIN")" && pwd)/$(basename "$FUIN")

T=$(mktemp -d "${TMPDIR:-/tmp}/fuin-cli-interop.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

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
# step DESCRIPTION COMMAND...: run COMMAND with stderr in ./err; it must
# exit 0.  Sets $rc.
step() {
    local d=$1
    shift
    "$@" 2>err
    rc=$?
    if [ "$rc" -eq 0 ]; then ok; else bad "$d: exit $rc"; fi
}
# refuse DESCRIPTION WANT COMMAND...: COMMAND must exit WANT ("nonzero" =
# any failure).
refuse() {
    local d=$1 want=$2
    shift 2
    "$@" 2>err
    rc=$?
    if [ "$want" = nonzero ]; then
        if [ "$rc" -ne 0 ]; then ok; else bad "$d: exit 0, expected failure"; fi
    elif [ "$rc" -eq "$want" ]; then ok; else bad "$d: exit $rc, expected $want"; fi
}
same() { # same DESCRIPTION EXPECTED ACTUAL
    if cmp -s "$2" "$3"; then ok; else bad "$1: $3 differs from $2"; fi
}
# is_form FILE bin|arm: the file really is in the encoding asked for, so a
# silently ignored -a cannot make the armored cases pass on binary files.
is_form() {
    local first
    first=$(head -n 1 "$1")
    if [ "$2" = arm ]; then
        [ "$first" = "-----BEGIN AGE ENCRYPTED FILE-----" ] &&
            [ "$(tail -n 1 "$1")" = "-----END AGE ENCRYPTED FILE-----" ]
    else
        [ "$first" = "age-encryption.org/v1" ]
    fi
}
aflag() { [ "$1" = arm ] && echo -a; }
# The number of "-> X25519" stanzas in a binary file's header.
x25519_count() { head -c 4096 "$1" | grep -ac '^-> X25519 '; }

# ------------------------------------------------------------------ data
sizes="0 1 65535 65536 65537 10485760"
for n in $sizes; do
    head -c "$n" /dev/urandom >"p$n" || exit 1
done
check "test data sizes" test "$(stat -c %s p10485760)" -eq 10485760 -a ! -s p0

# ---------------------------------------------------------------- keys
"$FUIN" keygen -o fk.txt 2>err
check "fuin keygen" test $? -eq 0 -a -s fk.txt
age-keygen -o ak.txt 2>/dev/null
check "age-keygen" test -s ak.txt
"$FUIN" keygen -o fk2.txt 2>/dev/null
age-keygen -o ak2.txt 2>/dev/null
FR=$(age-keygen -y fk.txt)    # fuin's identity, recipient as age sees it
AR=$(age-keygen -y ak.txt)
FR2=$(age-keygen -y fk2.txt)
AR2=$(age-keygen -y ak2.txt)
check "age-keygen -y reads a fuin identity" test -n "$FR" -a -n "$FR2"

step "fuin keygen -y on a fuin identity" "$FUIN" keygen -y fk.txt >out
check "fuin keygen -y = age-keygen -y (fuin identity)" test "$(cat out)" = "$FR"
step "fuin keygen -y on an age-keygen identity" "$FUIN" keygen -y ak.txt >out
check "fuin keygen -y = age-keygen -y (age-keygen identity)" test "$(cat out)" = "$AR"
step "fuin keygen -y from stdin (age-keygen identity)" "$FUIN" keygen -y <ak2.txt >out
check "fuin keygen -y stdin = age-keygen -y" test "$(cat out)" = "$AR2"
check "fuin's '# public key' comment = age-keygen -y" \
    test "$(sed -n 's/^# public key: //p' fk.txt)" = "$FR"
check "age-keygen's '# public key' comment = fuin keygen -y" \
    test "$(sed -n 's/^# public key: //p' ak.txt)" = "$("$FUIN" keygen -y ak.txt 2>/dev/null)"
cat ak.txt fk2.txt >mixed.txt
check "fuin keygen -y on a two-key file agrees with age-keygen -y" \
    test "$("$FUIN" keygen -y mixed.txt 2>/dev/null)" = "$(age-keygen -y mixed.txt)"

# ------------------------------------------- X25519, both directions
# age -o creates its output only when the first plaintext byte arrives, so
# an empty plaintext leaves no file: age's output goes to stdout here.
# fuin encrypts to its own key's recipient, age decrypts with fuin's
# identity file; age encrypts to an age-keygen recipient, fuin decrypts
# with age-keygen's identity file.
for form in bin arm; do
    for n in $sizes; do
        f=$(aflag $form)
        step "fuin encrypt $form $n" "$FUIN" encrypt $f -r "$FR" -o "f.$form.$n" "p$n"
        check "fuin encrypt $form $n: encoding" is_form "f.$form.$n" $form
        step "age -d of fuin $form $n" age -d -i fk.txt "f.$form.$n" >"f.$form.$n.out"
        same "age -d of fuin $form $n" "p$n" "f.$form.$n.out"

        step "age encrypt $form $n" age $f -r "$AR" -o "a.$form.$n" "p$n"
        check "age encrypt $form $n: encoding" is_form "a.$form.$n" $form
        step "fuin decrypt of age $form $n" "$FUIN" decrypt -i ak.txt -o "a.$form.$n.out" "a.$form.$n"
        same "fuin decrypt of age $form $n" "p$n" "a.$form.$n.out"
        check "fuin decrypt of age $form $n: no stderr" test ! -s err
        rm -f "f.$form.$n.out" "a.$form.$n.out"
    done
done

# Pipes on both sides: stdin to stdout, never a seekable file.
for form in bin arm; do
    f=$(aflag $form)
    "$FUIN" encrypt $f -r "$FR" <p65537 2>err | age -d -i fk.txt >pipe1.$form
    check "fuin | age -d ($form)" test "${PIPESTATUS[0]}${PIPESTATUS[1]}" = 00
    same "fuin | age -d ($form)" p65537 pipe1.$form
    age $f -r "$AR" <p65537 | "$FUIN" decrypt -i ak.txt >pipe2.$form 2>err
    check "age | fuin decrypt ($form)" test "${PIPESTATUS[0]}${PIPESTATUS[1]}" = 00
    same "age | fuin decrypt ($form)" p65537 pipe2.$form
done

# The identities are interchangeable: age-keygen's identity with fuin's
# encryption, fuin's identity with age's encryption.
step "fuin encrypt to an age-keygen recipient" "$FUIN" encrypt -r "$AR" -o x1 p65536
step "age -d with the age-keygen identity" age -d -i ak.txt -o x1.out x1
same "fuin -> age-keygen key" p65536 x1.out
step "age encrypt to a fuin recipient" age -r "$FR" -o x2 p65536
step "fuin decrypt with its own identity" "$FUIN" decrypt -i fk.txt -o x2.out x2
same "age -> fuin key" p65536 x2.out

# ------------------------------------ multiple recipients, -R files
# One file to a fuin key and an age-keygen key; each side decrypts with
# each identity.
for form in bin arm; do
    f=$(aflag $form)
    step "fuin encrypt -r -r ($form)" "$FUIN" encrypt $f -r "$FR" -r "$AR" -o "m.f.$form" p65537
    for k in fk ak; do
        step "age -d -i $k of fuin two-recipient ($form)" age -d -i $k.txt -o "m.f.$form.$k" "m.f.$form"
        same "age -d -i $k of fuin two-recipient ($form)" p65537 "m.f.$form.$k"
    done
    step "age encrypt -r -r ($form)" age $f -r "$FR" -r "$AR" -o "m.a.$form" p65537
    for k in fk ak; do
        step "fuin decrypt -i $k of age two-recipient ($form)" \
            "$FUIN" decrypt -i $k.txt -o "m.a.$form.$k" "m.a.$form"
        same "fuin decrypt -i $k of age two-recipient ($form)" p65537 "m.a.$form.$k"
    done
done
check "fuin wrote two X25519 stanzas" test "$(x25519_count m.f.bin)" -eq 2
refuse "age -d with a key that is not a recipient (fuin file)" nonzero \
    age -d -i ak2.txt -o m.none m.f.bin
refuse "fuin decrypt with a key that is not a recipient (age file)" 1 \
    "$FUIN" decrypt -i fk2.txt -o m.none2 m.a.bin
check "no output for a non-recipient" test ! -e m.none2
# Several identities on either side: a file of two keys, and repeated -i.
step "fuin decrypt -i (two-key file) of age file" "$FUIN" decrypt -i mixed.txt -o m.mixed m.a.bin
same "fuin decrypt -i (two-key file)" p65537 m.mixed
step "fuin decrypt -i -i of age file" "$FUIN" decrypt -i fk2.txt -i ak.txt -o m.ii m.a.bin
same "fuin decrypt -i -i" p65537 m.ii

# Recipients files, with comments and blank lines, read by both programs.
printf '# fuin key\n%s\n\n# age-keygen key\n%s\n' "$FR2" "$AR2" >rcpts.txt
step "fuin encrypt -R" "$FUIN" encrypt -R rcpts.txt -o r.f p65535
check "fuin -R: two X25519 stanzas" test "$(x25519_count r.f)" -eq 2
step "age encrypt -R" age -R rcpts.txt -o r.a p65535
check "age -R: two X25519 stanzas" test "$(x25519_count r.a)" -eq 2
for k in fk2 ak2; do
    step "age -d -i $k of fuin -R file" age -d -i $k.txt -o r.f.$k r.f
    same "age -d -i $k of fuin -R file" p65535 r.f.$k
    step "fuin decrypt -i $k of age -R file" "$FUIN" decrypt -i $k.txt -o r.a.$k r.a
    same "fuin decrypt -i $k of age -R file" p65535 r.a.$k
done
# Mixed: -r plus -R gives three recipients, all usable by age.
step "fuin encrypt -r -R -a" "$FUIN" encrypt -a -r "$AR" -R rcpts.txt -o r3.f p1
for k in ak fk2 ak2; do
    step "age -d -i $k of fuin -r -R file" age -d -i $k.txt -o r3.f.$k r3.f
    same "age -d -i $k of fuin -r -R file" p1 r3.f.$k
done

# ----------------------------------------------------------- labels
LABEL_IN='C2-I2-A2 複製禁止'
for form in bin arm; do
    f=$(aflag $form)
    step "fuin encrypt --class ($form)" \
        "$FUIN" encrypt $f -r "$AR" -r "$FR" --class "$LABEL_IN" -o "l.$form" p65537
    check "fuin encrypt --class ($form): encoding" is_form "l.$form" $form
    step "age -d ignores the label stanza ($form)" age -d -i ak.txt -o "l.$form.age" "l.$form"
    same "age -d of a labelled file ($form)" p65537 "l.$form.age"
    step "fuin decrypt of a labelled file ($form)" \
        "$FUIN" decrypt -i fk.txt -o "l.$form.fuin" "l.$form"
    same "fuin decrypt of a labelled file ($form)" p65537 "l.$form.fuin"
    check "fuin decrypt prints the label ($form)" \
        test "$(cat err)" = "fuin: decrypt: l.$form: label: C2-I2-A2 複製禁止"
done
check "label stanza in the header, ASCII tokens" \
    grep -aqx -- '-> fuin-label C2-I2-A2 no-copy' <(head -c 1024 l.bin)
# A labelled file travels through age unchanged in meaning: age only
# decrypts, so re-encrypting with age drops the label (expected), while
# fuin reads it from a file made by age as "no label".
step "fuin decrypt of an unlabelled age file prints no label" \
    "$FUIN" decrypt -i ak.txt -o l.none a.bin.1
check "no label line for an age file" test ! -s err

# Tampering with the label must break the header MAC for both programs.
# edit.py IN OUT OLD NEW replaces the one occurrence of OLD in the header
# of IN; an armored file is unwrapped first and re-armored afterwards, so
# only the header bytes change, never the encoding.
cat >edit.py <<'EOF'
import base64, sys
src, dst, old, new = sys.argv[1], sys.argv[2], sys.argv[3].encode(), sys.argv[4].encode()
data = open(src, "rb").read()
begin, end = b"-----BEGIN AGE ENCRYPTED FILE-----", b"-----END AGE ENCRYPTED FILE-----"
armored = data.startswith(begin)
if armored:
    body = data[len(begin):data.index(end)]
    data = base64.b64decode(b"".join(body.split()), validate=True)
hlen = data.index(b"\n--- ") + 1
header = data[:hlen]
if header.count(old) != 1:
    sys.exit("edit.py: %r occurs %d times in the header" % (old, header.count(old)))
data = header.replace(old, new) + data[hlen:]
if armored:
    b64 = base64.b64encode(data)
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    data = begin + b"\n" + b"\n".join(lines) + b"\n" + end + b"\n"
open(dst, "wb").write(data)
EOF
# tampered DESCRIPTION FILE PLAINTEXT: neither program may accept FILE or
# release any of its plaintext.
tampered() {
    local d=$1 file=$2
    refuse "fuin decrypt: $d" 1 "$FUIN" decrypt -i ak.txt -o "$file.fuin" "$file"
    check "fuin decrypt: $d: one error line" test "$(wc -l <err)" -eq 1
    check "fuin decrypt: $d: no output file" test ! -e "$file.fuin"
    check "fuin decrypt: $d: no label printed" test "$(grep -c ': label: ' err)" -eq 0
    # age writes plaintext to stdout as it goes: none may come before the
    # header MAC was checked.
    refuse "age -d: $d" nonzero age -d -i ak.txt "$file" >"$file.age"
    check "age -d: $d: no plaintext" test ! -s "$file.age"
}
step "fuin encrypt --class C2" "$FUIN" encrypt -r "$AR" --class C2 -o t.bin p65536
step "fuin encrypt -a --class C2" "$FUIN" encrypt -a -r "$AR" --class C2 -o t.arm p65536
for form in bin arm; do
    step "untampered C2 file: age -d ($form, control)" age -d -i ak.txt -o "t.$form.ok" "t.$form"
    same "untampered C2 file: age -d ($form, control)" p65536 "t.$form.ok"
    step "untampered C2 file: fuin decrypt ($form, control)" \
        "$FUIN" decrypt -i ak.txt -o "t.$form.fok" "t.$form"
    check "untampered C2 file: label printed ($form, control)" \
        test "$(cat err)" = "fuin: decrypt: t.$form: label: C2-I1-A1"

    step "edit the label class C2 -> C3 ($form)" python3 edit.py "t.$form" "t.$form.c3" \
        $'\n-> fuin-label C2-I1-A1\n' $'\n-> fuin-label C3-I1-A1\n'
    check "edited label ($form) still in the same encoding" is_form "t.$form.c3" $form
    tampered "label C2 edited to C3 ($form)" "t.$form.c3"

    step "remove the label stanza ($form)" python3 edit.py "t.$form" "t.$form.nolabel" \
        $'\n-> fuin-label C2-I1-A1\n\n' $'\n'
    tampered "label stanza removed ($form)" "t.$form.nolabel"
done
check "C2 -> C3 edit changed exactly one byte" test "$(cmp -l t.bin t.bin.c3 | wc -l)" -eq 1
# A label slipped into a file age made (age's MAC does not cover it).
step "insert a label stanza into an age file" python3 edit.py a.bin.65536 t.inserted \
    $'age-encryption.org/v1\n' $'age-encryption.org/v1\n-> fuin-label C3-I2-A2 no-copy\n\n'
tampered "label stanza inserted into an age file" t.inserted

# Every restriction at once: age must skip a stanza with seven arguments.
ALL='機密性2/完全性2/可用性2 複製禁止 転送禁止 配付禁止 暗号化必須 持出禁止 読後廃棄'
step "fuin encrypt --class (all restrictions)" "$FUIN" encrypt -r "$AR" --class "$ALL" -o lall p65535
check "all restrictions: stanza" grep -aqx -- \
    '-> fuin-label C2-I2-A2 no-copy no-forward no-distribute encrypt-required no-takeout destroy-after-reading' \
    <(head -c 1024 lall)
step "age -d (all restrictions)" age -d -i ak.txt -o lall.age lall
same "age -d (all restrictions)" p65535 lall.age
step "fuin decrypt (all restrictions)" "$FUIN" decrypt -i ak.txt -o lall.fuin lall
check "fuin decrypt prints all restrictions" test "$(cat err)" = \
    "fuin: decrypt: lall: label: C2-I2-A2 複製禁止 転送禁止 配付禁止 暗号化必須 持出禁止 読後廃棄"

# fuin inspect describes files age made, without a key.
for form in bin arm; do
    for n in $sizes; do
        "$FUIN" inspect --json "a.$form.$n" >out 2>err
        check "fuin inspect --json of age $form $n" python3 -c '
import json, sys
d = json.load(open("out"))
want = {"format": "age-v1", "armored": sys.argv[1] == "arm", "stanzas": ["X25519"],
        "label": None, "plaintext_bytes": int(sys.argv[2])}
got = {k: d.get(k) for k in want}
if got != want:
    sys.exit("got %r, want %r" % (got, want))' $form "$n"
    done
done

# ------------------------------------------------------- passphrases
# age and fuin both use scrypt (work factor 2^18 when encrypting), about a
# second per run, so this matrix is smaller: 0, 65536 and 10 MiB.
PASS='correct horse battery staple'
printf '%s\n' "$PASS" >pass.txt
psizes="0 65536 10485760"
for form in bin arm; do
    f=$(aflag $form)
    for n in $psizes; do
        # fuin -p --passphrase-file -> age -d, passphrase typed at age's prompt
        step "fuin encrypt -p $form $n" \
            "$FUIN" encrypt $f -p --passphrase-file pass.txt -o "pf.$form.$n" "p$n"
        check "fuin encrypt -p $form $n: encoding" is_form "pf.$form.$n" $form
        step "age -d (tty) of fuin -p $form $n" python3 "$PTY" --err err.age \
            --out "pf.$form.$n.out" --answer 'Enter passphrase' "$PASS" -- age -d "pf.$form.$n"
        same "age -d of fuin -p $form $n" "p$n" "pf.$form.$n.out"

        # age -p, passphrase typed twice at age's prompt -> fuin --passphrase-file
        step "age -p (tty) $form $n" python3 "$PTY" --err err.age \
            --answer 'Enter passphrase' "$PASS" --answer 'Confirm passphrase' "$PASS" \
            -- age $f -p -o "pa.$form.$n" "p$n"
        check "age -p $form $n: encoding" is_form "pa.$form.$n" $form
        step "fuin decrypt --passphrase-file of age -p $form $n" \
            "$FUIN" decrypt --passphrase-file pass.txt -o "pa.$form.$n.out" "pa.$form.$n"
        same "fuin decrypt of age -p $form $n" "p$n" "pa.$form.$n.out"
        rm -f "pf.$form.$n.out" "pa.$form.$n.out"
    done
done
check "age -p wrote an scrypt stanza" grep -aq '^-> scrypt ' <(head -c 512 pa.bin.0)
check "fuin -p wrote an scrypt stanza" grep -aq '^-> scrypt ' <(head -c 512 pf.bin.0)
printf 'wrong horse\n' >wrong.txt
refuse "fuin decrypt of age -p with the wrong passphrase" 1 \
    "$FUIN" decrypt --passphrase-file wrong.txt -o pa.wrong pa.bin.65536
check "no output for the wrong passphrase" test ! -e pa.wrong

# A non-ASCII passphrase must be the same bytes for both programs.
UPASS='封印 パスフレーズ ü'
printf '%s\n' "$UPASS" >upass.txt
step "fuin encrypt -p (UTF-8 passphrase)" "$FUIN" encrypt -p --passphrase-file upass.txt -o u.f p1
step "age -d (tty, UTF-8 passphrase)" python3 "$PTY" --err err.age \
    --answer 'Enter passphrase' "$UPASS" -- age -d -o u.f.out u.f
same "age -d of fuin -p (UTF-8 passphrase)" p1 u.f.out

# A label in passphrase mode is not written (only the scrypt stanza is
# allowed), so age must still decrypt; fuin says so in one notice line.
step "fuin encrypt -p --class C2" \
    "$FUIN" encrypt -p --passphrase-file pass.txt --class C2 -o pl.f p65537
check "fuin -p --class: notice on stderr" grep -q 'notice' err
check "fuin -p --class: no label stanza" test "$(head -c 512 pl.f | grep -ac 'fuin-label')" -eq 0
step "age -d of fuin -p --class C2" python3 "$PTY" --err err.age \
    --answer 'Enter passphrase' "$PASS" -- age -d -o pl.f.out pl.f
same "age -d of fuin -p --class C2" p65537 pl.f.out

# fuin's own prompts on the terminal: asked twice to encrypt, once to
# decrypt; the files are then read by age (through its prompt) and fuin.
TPASS='typed at the terminal'
step "fuin encrypt -p (tty)" python3 "$PTY" --err err.fuin --transcript tty.enc \
    --answer 'Enter passphrase: ' "$TPASS" --answer 'Confirm passphrase: ' "$TPASS" \
    -- "$FUIN" encrypt -p -o tp.f p65537
check "fuin encrypt -p (tty): asked twice" \
    test "$(grep -ac 'Enter passphrase: ' tty.enc)$(grep -ac 'Confirm passphrase: ' tty.enc)" = 11
check "fuin encrypt -p (tty): passphrase not echoed" test "$(grep -ac "$TPASS" tty.enc)" -eq 0
step "age -d (tty) of fuin -p (tty)" python3 "$PTY" --err err.age \
    --answer 'Enter passphrase' "$TPASS" -- age -d -o tp.f.age tp.f
same "age -d of fuin -p (tty)" p65537 tp.f.age
step "fuin decrypt (tty) of fuin -p (tty)" python3 "$PTY" --err err.fuin --transcript tty.dec \
    --answer 'Enter passphrase: ' "$TPASS" -- "$FUIN" decrypt -o tp.f.fuin tp.f
same "fuin decrypt (tty) of fuin -p (tty)" p65537 tp.f.fuin
check "fuin decrypt (tty): asked once" test "$(grep -ac 'passphrase' tty.dec)" -eq 1
step "fuin decrypt (tty) of age -p" python3 "$PTY" --err err.fuin \
    --answer 'Enter passphrase: ' "$PASS" -- "$FUIN" decrypt -o tp.a.fuin pa.arm.65536
same "fuin decrypt (tty) of age -p" p65536 tp.a.fuin
refuse "fuin decrypt (tty) with the wrong passphrase" 1 python3 "$PTY" --err err.fuin \
    --answer 'Enter passphrase: ' 'not it' -- "$FUIN" decrypt -o tp.wrong pa.bin.0
check "fuin decrypt (tty) wrong passphrase: no output" test ! -e tp.wrong
check "fuin decrypt (tty) wrong passphrase: one error line" \
    grep -qx 'fuin: decrypt: pa.bin.0: .*passphrase.*' err.fuin
refuse "fuin encrypt -p (tty) with differing entries" 2 python3 "$PTY" --err err.fuin \
    --answer 'Enter passphrase: ' 'one' --answer 'Confirm passphrase: ' 'two' \
    -- "$FUIN" encrypt -p -o tp.mismatch p1
check "fuin encrypt -p (tty) mismatch: no output" test ! -e tp.mismatch

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
