#!/bin/bash
# The fuin program end to end: keygen, encrypt/decrypt round trips in both
# encodings, recipients, passphrases, labels, --force, help and option
# errors.  Every check asserts exit codes, bytes and messages.
set -u

if [ -z "${FUIN:-}" ] || [ ! -x "$FUIN" ]; then
    echo "FUIN must name the fuin program (got '${FUIN:-}')" >&2
    exit 1
fi
if ! command -v python3 >/dev/null; then
    echo "SKIP: python3 is needed to check JSON output"
    exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/fuin-cli-basic.XXXXXX") || exit 1
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

# run [ARGS...]: fuin with stdin from /dev/null; stdout in ./out, stderr in
# ./err, exit code in $rc.
run() {
    "$FUIN" "$@" <"/dev/null" >out 2>err
    rc=$?
}
# run_in FILE [ARGS...]: same with stdin from FILE.
run_in() {
    local f=$1
    shift
    "$FUIN" "$@" <"$f" >out 2>err
    rc=$?
}
expect_rc() { # expect_rc N DESCRIPTION
    if [ "$rc" -eq "$1" ]; then ok; else bad "$2: exit $rc, expected $1"; fi
}
one_line_err() { # one_line_err DESCRIPTION REGEX
    local n
    n=$(wc -l <err)
    if [ "$n" -eq 1 ] && grep -Eq -- "$2" err; then ok; else
        bad "$1: stderr should be one line matching /$2/"
    fi
}
no_err() {
    if [ ! -s err ]; then ok; else bad "$1: unexpected stderr"; fi
}

# ------------------------------------------------------------------ keygen
B32='[02-9ac-hj-np-z]'
B32U='[02-9AC-HJ-NP-Z]'
run keygen -o k1.txt
expect_rc 0 "keygen -o"
check "keygen file mode 0600" test "$(stat -c %a k1.txt)" = 600
check "keygen file has 3 lines" test "$(wc -l <k1.txt)" -eq 3
check "keygen file ends in newline" test "$(tail -c 1 k1.txt | od -An -tx1 | tr -d ' ')" = 0a
check "keygen line 1 is # created (RFC 3339 UTC)" \
    grep -Eqx '# created: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z' <(sed -n 1p k1.txt)
check "keygen line 2 is # public key" \
    grep -Eqx "# public key: age1${B32}{58}" <(sed -n 2p k1.txt)
check "keygen line 3 is the secret key" \
    grep -Eqx "AGE-SECRET-KEY-1${B32U}{58}" <(sed -n 3p k1.txt)
P1=$(sed -n 2p k1.txt | sed 's/^# public key: //')
check "keygen -o prints the public key on stderr" test "$(cat err)" = "Public key: $P1"
check "keygen -o prints nothing on stdout" test ! -s out
created=$(sed -n 1p k1.txt | sed 's/^# created: //')
now=$(date -u +%s)
then=$(date -u -d "$created" +%s 2>/dev/null || echo 0)
check "keygen creation time is now" test $((now - then)) -ge 0 -a $((now - then)) -lt 120

cp k1.txt k1.copy
run keygen -o k1.txt
expect_rc 5 "keygen -o onto an existing file"
one_line_err "keygen -o existing" '^fuin: keygen: k1\.txt: file exists'
check "keygen leaves the existing key untouched" cmp -s k1.txt k1.copy

run keygen
expect_rc 0 "keygen to stdout"
check "keygen stdout format" grep -Eqx "AGE-SECRET-KEY-1${B32U}{58}" <(sed -n 3p out)
check "keygen stdout: 3 lines" test "$(wc -l <out)" -eq 3
check "keygen stdout (a pipe): public key on stderr" \
    test "$(cat err)" = "Public key: $(sed -n 2p out | sed 's/^# public key: //')"
cp out k2.txt
P2=$(sed -n 2p k2.txt | sed 's/^# public key: //')
"$FUIN" keygen -o k3.txt 2>/dev/null
P3=$(sed -n 2p k3.txt | sed 's/^# public key: //')
"$FUIN" keygen -o k4.txt 2>/dev/null
check "two keygens differ" test "$P1" != "$P2"

run keygen -y k1.txt
expect_rc 0 "keygen -y FILE"
check "keygen -y prints the public key line" test "$(cat out)" = "$P1"
no_err "keygen -y"
run_in k2.txt keygen -y
expect_rc 0 "keygen -y from stdin"
check "keygen -y stdin" test "$(cat out)" = "$P2"
run_in k2.txt keygen -y -
check "keygen -y -" test "$rc" -eq 0 -a "$(cat out)" = "$P2"
cat k1.txt k3.txt >k13.txt
run keygen -y k13.txt
check "keygen -y with two identities prints both" \
    test "$rc" -eq 0 -a "$(cat out)" = "$P1"$'\n'"$P3"
if command -v age-keygen >/dev/null; then
    check "age-keygen -y agrees" test "$(age-keygen -y k1.txt)" = "$P1"
    age-keygen -o agekey.txt 2>/dev/null
    run keygen -y agekey.txt
    check "keygen -y reads an age-keygen identity" \
        test "$rc" -eq 0 -a "$(cat out)" = "$(age-keygen -y agekey.txt)"
else
    echo "SKIP: age-keygen not installed; identity cross-check not run"
fi

# ------------------------------------------------------- round trips
sizes="0 1 65535 65536 65537 1048576"
for n in $sizes; do
    head -c "$n" /dev/urandom >"p$n"
done
for n in $sizes; do
    run encrypt -r "$P1" -o "c$n.age" "p$n"
    expect_rc 0 "encrypt $n bytes"
    no_err "encrypt $n bytes"
    check "binary file starts with the age v1 line ($n)" \
        test "$(head -n 1 "c$n.age")" = "age-encryption.org/v1"
    run decrypt -i k1.txt -o "d$n" "c$n.age"
    expect_rc 0 "decrypt $n bytes"
    check "round trip $n bytes" cmp -s "p$n" "d$n"

    run encrypt -a -r "$P1" -o "a$n.age" "p$n"
    expect_rc 0 "encrypt -a $n bytes"
    check "armored file begins with the BEGIN line ($n)" \
        test "$(head -n 1 "a$n.age")" = "-----BEGIN AGE ENCRYPTED FILE-----"
    check "armored file ends with the END line ($n)" \
        test "$(tail -n 1 "a$n.age")" = "-----END AGE ENCRYPTED FILE-----"
    run decrypt -i k1.txt -o "ad$n" "a$n.age"
    expect_rc 0 "decrypt armored $n bytes"
    check "armored round trip $n bytes" cmp -s "p$n" "ad$n"
done

# The size of a binary file follows from the format: header, 16-byte
# nonce, then a 16-byte tag per chunk of at most 64 KiB (at least one).
hdr=$(awk '/^---/ { print NR; exit }' c1.age)
hlen=$(head -n "$hdr" c1.age | wc -c)
for n in $sizes; do
    chunks=$(((n + 65535) / 65536))
    [ "$chunks" -eq 0 ] && chunks=1
    check "ciphertext size for $n bytes" \
        test "$(stat -c %s "c$n.age")" -eq $((hlen + 16 + n + 16 * chunks))
done

# Pipes: stdin to stdout both ways.
"$FUIN" encrypt -r "$P1" <p65537 2>err | "$FUIN" decrypt -i k1.txt >piped 2>>err
check "stdin/stdout round trip" cmp -s p65537 piped
no_err "stdin/stdout round trip"
run_in c1.age decrypt -i k1.txt -
check "decrypt - reads stdin" test "$rc" -eq 0
check "decrypt - output" cmp -s p1 out
run encrypt -r "$P1" -o - p1
check "encrypt -o - writes stdout" test "$rc" -eq 0 -a "$(head -n 1 out)" = "age-encryption.org/v1"

# Stock age reads what fuin writes, and the other way round.
if command -v age >/dev/null; then
    check "age -d decrypts a fuin file" cmp -s p65537 <(age -d -i k1.txt c65537.age)
    check "age -d decrypts an armored fuin file" cmp -s p65537 <(age -d -i k1.txt a65537.age)
    age -r "$P1" -o byage.age p65537
    run decrypt -i k1.txt -o byage.out byage.age
    check "fuin decrypts an age file" test "$rc" -eq 0
    check "fuin decrypts an age file: bytes" cmp -s p65537 byage.out
else
    echo "SKIP: age not installed; interoperability checks not run"
fi

# ------------------------------------------------------ recipients
printf '# team keys\n\n%s\n# end\r\n\r\n' "$P3" >recips.txt
run encrypt -r "$P1" -r "$P2" -R recips.txt -o multi.age p65537
expect_rc 0 "encrypt to -r -r -R"
run inspect --json multi.age
check "three X25519 stanzas" \
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["stanzas"]!=["X25519"]*3)' out
for k in k1 k2 k3; do
    run decrypt -i "$k.txt" -o "multi.$k" multi.age
    expect_rc 0 "$k decrypts the multi-recipient file"
    check "$k plaintext" cmp -s p65537 "multi.$k"
done
run decrypt -i k4.txt -o multi.k4 multi.age
expect_rc 1 "a key not among the recipients"
check "no output for a key not among the recipients" test ! -e multi.k4
run decrypt -i k4.txt -i k13.txt -o multi.k413 multi.age
check "any of several -i files may match" test "$rc" -eq 0
printf '# only comments\n\n' >norecips.txt
run encrypt -R norecips.txt -o none.age p1
expect_rc 2 "-R file without recipients"
check "no output for -R without recipients" test ! -e none.age

# ------------------------------------------------------- passphrase
printf 'correct horse battery staple\n' >pw.txt
printf 'correct horse battery staple\r\nsecond line ignored\n' >pw-crlf.txt
printf 'correct horse battery staple' >pw-noeol.txt
run encrypt --passphrase-file pw.txt -o pw.age p65537
expect_rc 0 "encrypt --passphrase-file"
no_err "encrypt --passphrase-file"
run inspect --json pw.age
check "passphrase file has one scrypt stanza" \
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["stanzas"]!=["scrypt"] or d["label"] is not None)' out
for f in pw.txt pw-crlf.txt pw-noeol.txt; do
    run decrypt --passphrase-file "$f" -o "pw.$f.out" pw.age
    expect_rc 0 "decrypt --passphrase-file $f"
    check "passphrase round trip ($f)" cmp -s p65537 "pw.$f.out"
done
run encrypt -p --passphrase-file pw.txt -a -o pwa.age p1
expect_rc 0 "encrypt -p --passphrase-file -a"
run decrypt --passphrase-file pw.txt pwa.age
check "armored passphrase round trip" test "$rc" -eq 0 -a "$(cmp -s p1 out && echo same)" = same
printf 'wrong\n' >pw-wrong.txt
run decrypt --passphrase-file pw-wrong.txt -o pw.wrong pw.age
expect_rc 1 "wrong passphrase"
check "no output for a wrong passphrase" test ! -e pw.wrong
printf '\n' >pw-empty.txt
run encrypt --passphrase-file pw-empty.txt -o empty-pw.age p1
expect_rc 2 "empty passphrase refused"
one_line_err "empty passphrase" 'pw-empty\.txt: .*empty passphrase'
check "no output for an empty passphrase" test ! -e empty-pw.age
run encrypt --passphrase-file missing-pw.txt -o mp.age p1
expect_rc 4 "missing passphrase file"
one_line_err "missing passphrase file" 'missing-pw\.txt'

# --------------------------------------------------------------- labels
# spelling | canonical text | C I A | ASCII restrictions (comma separated)
while IFS='|' read -r spelling text c i a restr; do
    [ -z "$spelling" ] && continue
    run encrypt -r "$P1" --class "$spelling" -o lab.age p1
    if [ "$rc" -ne 0 ]; then
        bad "--class '$spelling': exit $rc"
        rm -f lab.age
        continue
    fi
    ok
    run inspect --json lab.age
    check "inspect --json for --class '$spelling'" python3 - out "$text" "$c" "$i" "$a" "$restr" <<'EOF'
import json, sys
path, text, c, i, a, restr = sys.argv[1:]
raw = open(path, encoding="utf-8").read()
assert raw.endswith("}\n") and raw.count("\n") == 1, "one line"
d = json.loads(raw)
want = {
    "format": "age-v1",
    "armored": False,
    "stanzas": d.get("stanzas"),
    "label": {
        "confidentiality": int(c),
        "integrity": int(i),
        "availability": int(a),
        "restrictions": restr.split(",") if restr else [],
        "text": text,
    },
    "label_authenticated": False,
    "header_bytes": d.get("header_bytes"),
    "plaintext_bytes": 1,
}
assert set(d) == set(want), sorted(d)
# One recipient plus the label stanza; where the library puts the label
# among the stanzas is its choice.
assert sorted(d["stanzas"]) == ["X25519", "fuin-label"], d["stanzas"]
assert d == want, (d, want)
assert isinstance(d["header_bytes"], int) and d["header_bytes"] > 0
# Japanese stays UTF-8 on the wire, not \u escapes.
assert "\\u" not in raw, raw
if any(ord(ch) > 127 for ch in text):
    assert text in raw
EOF
    run decrypt -i k1.txt -o lab.out lab.age
    check "decrypt prints the label for '$spelling'" \
        test "$rc" -eq 0 -a "$(cat err)" = "fuin: decrypt: lab.age: label: $text"
    rm -f lab.age lab.out
done <<'EOF'
C2|C2-I1-A1|2|1|1|
C2-I2-A2|C2-I2-A2|2|2|2|
c2-i2-a2|C2-I2-A2|2|2|2|
機密性2|C2-I1-A1|2|1|1|
機密性２|C2-I1-A1|2|1|1|
機密性2/完全性2/可用性2|C2-I2-A2|2|2|2|
C2-I2-A2 複製禁止 転送禁止|C2-I2-A2 複製禁止 転送禁止|2|2|2|no-copy,no-forward
C2 no-forward no-copy|C2-I1-A1 複製禁止 転送禁止|2|1|1|no-copy,no-forward
C1 読後廃棄 持出禁止 暗号化必須 配付禁止|C1-I1-A1 配付禁止 暗号化必須 持出禁止 読後廃棄|1|1|1|no-distribute,encrypt-required,no-takeout,destroy-after-reading
EOF

# Armored inspect and a file without label.
run inspect --json a1.age
check "inspect --json armored, no label" python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
sys.exit(not (d["armored"] is True and d["label"] is None and d["stanzas"]==["X25519"]
              and d["plaintext_bytes"]==1 and d["format"]=="age-v1"))' out
run inspect c65537.age
expect_rc 0 "inspect (human)"
check "inspect human output" grep -qx 'plaintext bytes: 65537' out
check "inspect human: no label" grep -qx 'label:           none' out
"$FUIN" encrypt -r "$P1" --class 'C2-I2-A2 複製禁止' -o labh.age p1 2>/dev/null
run inspect labh.age
check "inspect human shows the unauthenticated label" \
    grep -qx 'label:           C2-I2-A2 複製禁止 (not authenticated without a key)' out

# The label reaches stderr before the first plaintext byte.
printf 'SECRET CONTENT\n' >secret.txt
"$FUIN" encrypt -r "$P1" --class 'C2-I2-A2 複製禁止' -o secret.age secret.txt 2>/dev/null
"$FUIN" decrypt -i k1.txt secret.age >both 2>&1
check "label line comes first" \
    test "$(sed -n 1p both)" = "fuin: decrypt: secret.age: label: C2-I2-A2 複製禁止"
check "plaintext after the label" test "$(sed -n 2p both)" = "SECRET CONTENT"
check "nothing else" test "$(wc -l <both)" -eq 2
run_in secret.age decrypt -i k1.txt
check "label from stdin names <stdin>" \
    test "$(cat err)" = "fuin: decrypt: <stdin>: label: C2-I2-A2 複製禁止"
run decrypt -i k1.txt c1.age
check "no label line for an unlabelled file" test "$rc" -eq 0 -a ! -s err

# Policy: confidentiality 3 never with a passphrase.
for cls in C3 'C3-I2-A2' '機密性3' '機密性３/完全性2/可用性2 複製禁止'; do
    run encrypt --passphrase-file pw.txt --class "$cls" -o c3pw.age p1
    expect_rc 1 "C3 with a passphrase ($cls)"
    check "C3 + passphrase message ($cls)" test "$(cat err)" = \
        "fuin: encrypt: policy: 機密性3 (C3) files may only be encrypted to recipient keys, not with a passphrase"
    check "no output for C3 + passphrase ($cls)" test ! -e c3pw.age
    run encrypt -p --class "$cls" -o c3pw.age p1
    expect_rc 1 "C3 with -p refused before asking ($cls)"
    check "no output for C3 + -p ($cls)" test ! -e c3pw.age
done
check "no temporary file left by the C3 refusals" test "$(ls -A | grep -c '^\.')" -eq 0

# A file's passphrase meets the policy's strength rule (§2.5.4), as a
# key's does: "short" is refused for a 機密性2 file, and for an unlabelled
# one, with the rule named and nothing written.
printf 'short\n' >short.txt
for cls in C2 ''; do
    if [ -n "$cls" ]; then run encrypt --passphrase-file short.txt --class "$cls" -o weak.age p1
    else run encrypt --passphrase-file short.txt -o weak.age p1; fi
    expect_rc 1 "weak file passphrase (class '${cls:-none}')"
    one_line_err "weak file passphrase names the rule (class '${cls:-none}')" \
        '^fuin: encrypt: short\.txt: passphrase too weak: shorter than 12 characters \(built-in default: \[passphrase\] min_length = 12\)$'
    check "weak file passphrase: no output (class '${cls:-none}')" test ! -e weak.age
done
printf 'Password1234\n' >score.txt
run encrypt --passphrase-file score.txt --class C2 -o weak.age p1
expect_rc 1 "file passphrase below the score"
check "file passphrase below the score: says so" grep -q 'score 27 below the policy' err
check "file passphrase below the score: no output" test ! -e weak.age

# Notice: a label in passphrase mode is not recorded.
run encrypt --passphrase-file pw.txt --class C2 -o c2pw.age p1
expect_rc 0 "C2 with a passphrase"
check "label notice in passphrase mode" test "$(cat err)" = \
    "fuin: encrypt: notice: passphrase mode cannot carry the label (age allows only the scrypt stanza); the label C2-I1-A1 is not recorded in the file"
run inspect --json c2pw.age
check "passphrase mode wrote no label" \
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["label"] is not None or d["stanzas"]!=["scrypt"])' out
run decrypt --passphrase-file pw.txt -o c2pw.out c2pw.age
check "passphrase file with label notice decrypts, no label line" \
    test "$rc" -eq 0 -a ! -s err

run encrypt -r "$P1" --class 'C4' -o badclass.age p1
expect_rc 2 "bad --class"
one_line_err "bad --class" '^fuin: encrypt: --class: .*C4'
check "no output for a bad --class" test ! -e badclass.age

# ---------------------------------------------------------------- --force
printf 'keep me\n' >existing
cp existing existing.copy
run encrypt -r "$P1" -o existing p1
expect_rc 5 "encrypt onto an existing file"
one_line_err "encrypt onto an existing file" '^fuin: encrypt: existing: file exists'
check "existing file unchanged (encrypt)" cmp -s existing existing.copy
run decrypt -i k1.txt -o existing c1.age
expect_rc 5 "decrypt onto an existing file"
check "existing file unchanged (decrypt)" cmp -s existing existing.copy
run encrypt -r "$P1" --force -o existing p65537
expect_rc 0 "encrypt --force"
run decrypt -i k1.txt -o existing.out existing
check "encrypt --force replaced the file" test "$rc" -eq 0 -a "$(cmp -s existing.out p65537 && echo same)" = same
run decrypt -i k1.txt --force -o existing c1.age
expect_rc 0 "decrypt --force"
check "decrypt --force replaced the file" cmp -s existing p1
check "no temporary files left by --force" test "$(ls -A | grep -c '^\.')" -eq 0

# -------------------------------------------------------------------- help
for c in keygen encrypt decrypt inspect help; do
    "$FUIN" help "$c" >h1 2>err
    r1=$?
    "$FUIN" "$c" --help >h2 2>>err
    r2=$?
    "$FUIN" "$c" -h >h3 2>>err
    check "help $c exits 0" test "$r1" -eq 0 -a "$r2" -eq 0
    check "fuin help $c == fuin $c --help == -h" cmp -s h1 h2
    check "fuin $c -h" cmp -s h1 h3
    check "help $c starts with usage" grep -q "^usage: fuin $c" h1
    check "help $c: stderr empty" test ! -s err
done
"$FUIN" >o1 2>/dev/null
r1=$?
"$FUIN" help >o2
"$FUIN" --help >o3
check "fuin, fuin help, fuin --help agree" test "$r1" -eq 0 -a "$(cmp -s o1 o2 && cmp -s o1 o3 && echo same)" = same
check "overview lists the commands" grep -q 'keygen' o1
run --version
expect_rc 0 "--version"
check "--version format" grep -Eqx 'fuin [0-9]+\.[0-9]+\.[0-9]+' out
run frobnicate
expect_rc 2 "unknown command"
check "unknown command message" test "$(cat err)" = 'fuin: unknown command "frobnicate"'
run help frobnicate
expect_rc 2 "help for an unknown command"
one_line_err "help unknown" 'unknown command "frobnicate"'

# ---------------------------------------------- duplicate / conflicting
# usage_case DESCRIPTION ARGS...: exit 2, one line, no output file.
usage_case() {
    local d=$1
    shift
    rm -f u.out
    run "$@"
    expect_rc 2 "$d"
    one_line_err "$d" '^fuin: [a-z]+: '
    check "$d: no output file" test ! -e u.out
    check "$d: nothing on stdout" test ! -s out
}
usage_case "encrypt -o twice" encrypt -r "$P1" -o u.out -o u.out p1
usage_case "encrypt --class twice" encrypt -r "$P1" --class C2 --class C2 -o u.out p1
usage_case "encrypt --passphrase-file twice" encrypt --passphrase-file pw.txt --passphrase-file pw.txt -o u.out p1
usage_case "encrypt -p twice" encrypt -p -p -o u.out p1
usage_case "encrypt -a twice" encrypt -r "$P1" -a -a -o u.out p1
usage_case "encrypt --armor and -a" encrypt -r "$P1" --armor -a -o u.out p1
usage_case "encrypt --force twice" encrypt -r "$P1" --force --force -o u.out p1
usage_case "encrypt -p with -r" encrypt -p -r "$P1" -o u.out p1
usage_case "encrypt -p with -R" encrypt -R recips.txt -p -o u.out p1
usage_case "encrypt --passphrase-file with -r" encrypt --passphrase-file pw.txt -r "$P1" -o u.out p1
usage_case "encrypt --passphrase-file with -R" encrypt --passphrase-file pw.txt -R recips.txt -o u.out p1
usage_case "encrypt without recipients" encrypt -o u.out p1
usage_case "encrypt two inputs" encrypt -r "$P1" -o u.out p1 p1
usage_case "encrypt unknown option" encrypt -r "$P1" --frobnicate -o u.out p1
usage_case "encrypt unknown short option" encrypt -r "$P1" -x -o u.out p1
usage_case "encrypt -r without a value" encrypt -o u.out p1 -r
usage_case "decrypt -o twice" decrypt -i k1.txt -o u.out -o u.out c1.age
usage_case "decrypt --passphrase-file twice" decrypt --passphrase-file pw.txt --passphrase-file pw.txt -o u.out pw.age
usage_case "decrypt --force twice" decrypt -i k1.txt --force --force -o u.out c1.age
usage_case "decrypt unknown option" decrypt -i k1.txt -r "$P1" -o u.out c1.age
usage_case "decrypt two inputs" decrypt -i k1.txt -o u.out c1.age c1.age
usage_case "keygen -y with -o" keygen -y -o u.out k1.txt
usage_case "keygen -o twice" keygen -o u.out -o u.out
usage_case "keygen with an argument" keygen u.out
usage_case "keygen unknown option" keygen --frobnicate
usage_case "inspect --json twice" inspect --json --json c1.age
usage_case "inspect two inputs" inspect c1.age c1.age
run encrypt -r "$P1" -o u.out -o u.out p1
check "duplicate -o names the option" grep -q -- '-o/--output given more than once' err

# Binary output is not written to a terminal (needs a pseudo-terminal).
python3 - "$FUIN" "$P1" <<'EOF' >ptyres 2>&1
import os, pty, subprocess, sys
fuin, rcp = sys.argv[1], sys.argv[2]
m, s = pty.openpty()
p = subprocess.run([fuin, "encrypt", "-r", rcp], stdin=subprocess.DEVNULL,
                   stdout=s, stderr=subprocess.PIPE)
os.close(s)
print(p.returncode)
print(p.stderr.decode().rstrip("\n"))
EOF
check "binary to a terminal refused (exit 2)" test "$(sed -n 1p ptyres)" = 2
check "binary to a terminal message" test "$(sed -n 2p ptyres)" = \
    "fuin: encrypt: refusing to output binary to the terminal, use -a or -o"
check "binary to a terminal: one line" test "$(wc -l <ptyres)" -eq 2

# Passphrase from the terminal: asked twice without echo on encrypt.
python3 - "$FUIN" <<'EOF' >ttyres 2>&1
import fcntl, os, pty, select, subprocess, sys, termios, time
fuin = sys.argv[1]

def session(args, answers):
    m, s = pty.openpty()
    def ctty():
        os.setsid()
        fcntl.ioctl(s, termios.TIOCSCTTY, 0)
    p = subprocess.Popen([fuin] + args, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         preexec_fn=ctty, pass_fds=(s,))
    os.close(s)
    seen = b""
    def read_until(pred, timeout):
        nonlocal seen
        deadline = time.time() + timeout
        while not pred() and time.time() < deadline:
            r, _, _ = select.select([m], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(m, 4096)
                except OSError:  # EIO: the child closed the terminal
                    return
                if not chunk:
                    return
                seen += chunk
    for i, a in enumerate(answers):
        read_until(lambda: seen.count(b"passphrase: ") > i, 30)
        os.write(m, a + b"\n")
    err = p.communicate(timeout=120)[1]
    read_until(lambda: False, 0.5)
    os.close(m)
    return p.returncode, err.decode(), seen.decode(errors="replace")

rc, err, tty = session(["encrypt", "-p", "-o", "tty.age", "p1"],
                       [b"tty secret long enough 42", b"tty secret long enough 42"])
print("enc", rc, repr(err), "Confirm" in tty, "tty secret" not in tty)
rc, err, tty = session(["decrypt", "-o", "tty.out", "tty.age"], [b"tty secret long enough 42"])
print("dec", rc, repr(err), "tty secret" not in tty)
rc, err, tty = session(["encrypt", "-p", "-o", "tty2.age", "p1"],
                       [b"one", b"two"])
print("mismatch", rc, repr(err))
EOF
check "tty passphrase encrypt" grep -qx "enc 0 '' True True" ttyres
check "tty passphrase decrypt" grep -qx "dec 0 '' True" ttyres
check "tty passphrase round trip" cmp -s p1 tty.out
check "tty passphrases that differ" \
    grep -qx "mismatch 2 'fuin: encrypt: passphrases do not match\\\\n'" ttyres
check "no output when the passphrases differ" test ! -e tty2.age
if [ "$failed" -ne 0 ]; then sed 's/^/    tty: /' ttyres; fi

# Without a terminal, -p cannot ask: usage error, one line.
setsid -w "$FUIN" encrypt -p -o notty.age p1 </dev/null >out 2>err
rc=$?
expect_rc 2 "-p without a terminal"
one_line_err "-p without a terminal" 'no terminal'
check "no output for -p without a terminal" test ! -e notty.age
setsid -w "$FUIN" decrypt -o notty.out pw.age </dev/null >out 2>err
rc=$?
expect_rc 2 "scrypt file without a passphrase source"
one_line_err "scrypt file without a passphrase source" '^fuin: decrypt: pw\.age: .*no terminal'
check "no output for a missing passphrase" test ! -e notty.out

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
