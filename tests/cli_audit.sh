#!/bin/bash
# The record of every operation (docs/audit.md, issue 13) through the real
# program, with a trust store whose signed policy says [audit] record = on:
# each recorded command appends exactly one record with the right op,
# user, operator, class, file, size, SHA-256 and result; a failing
# operation records "failure" and keeps its own exit code; no secret and
# no file content reaches the ledger; ledger show's filters; verify's note
# about unsigned records and checkpoint; tampering; fail closed when the
# record cannot be written (exit 4, nothing done); record = off writes
# nothing; and the syslog copy through a real rsyslogd, one for one with
# the ledger, and a syslog outage that does not fail the operation.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/harness.sh"
if ! command -v python3 >/dev/null; then
    echo "SKIP: python3 is needed to read the ledger's JSON"
    exit 77
fi
sandbox audit
RSPID=
trap 'if [ -n "$RSPID" ]; then kill "$RSPID" 2>/dev/null; wait "$RSPID" 2>/dev/null; fi
      umount "$T/hanako/.config/fuin" 2>/dev/null
      for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done; rm -rf "$T"' EXIT

ORG='〇〇事務組合'
HANAKO='山田 花子'
ME=$(id -un)
printf 'root passphrase long enough 2718\n' >rpw
printf 'hanako passphrase long enough 1414\n' >pw
printf 'hanako new passphrase long enough 3141\n' >pw2
for who in ciso hanako bob; do mkdir -p "$T/$who"; done
L=$T/hanako/.config/fuin/ledger.jsonl     # the staff member's ledger
CL=$T/ciso/.config/fuin/ledger.jsonl      # the CISO's own
nrec() { if [ -e "$1" ]; then wc -l <"$1"; else echo 0; fi; }
# field LEDGER N PATH: the value at a dotted PATH of record N (-1: last),
# "null" for JSON null, "<absent>" when the key is missing
field() {
    python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")[:-1]
o = json.loads(lines[int(sys.argv[2]) if int(sys.argv[2]) < 0 else int(sys.argv[2]) - 1])
for k in sys.argv[3].split("."):
    if not isinstance(o, dict) or k not in o:
        print("<absent>"); sys.exit(0)
    o = o[k]
print("null" if o is None else o)
EOF
}
# expect_record LEDGER BEFORE DESC OP RESULT PATH [CLASS [OPERATOR]]:
# exactly one record more than BEFORE, and its fields.  PATH "-" for none;
# a PATH that is a regular file must have its size and sha256 recorded.
expect_record() {
    local led=$1 before=$2 d=$3 op=$4 result=$5 path=$6 cls=${7:-null} who=${8:-$HANAKO}
    local now
    now=$(nrec "$led")
    if [ "$now" -ne $((before + 1)) ]; then
        bad "$d: $((now - before)) records appended, expected 1"
        return
    fi
    ok
    check "$d: op $op" test "$(field "$led" -1 op)" = "$op"
    check "$d: result $result" test "$(field "$led" -1 result)" = "$result"
    check "$d: user $ME" test "$(field "$led" -1 user)" = "$ME"
    check "$d: operator $who ($(field "$led" -1 operator.name))" test "$(field "$led" -1 operator.name)" = "$who"
    check "$d: class $cls ($(field "$led" -1 class))" test "$(field "$led" -1 class)" = "$cls"
    if [ "$path" = - ]; then return; fi
    check "$d: path $path ($(field "$led" -1 target.path))" test "$(field "$led" -1 target.path)" = "$path"
    if [ -f "$path" ] && [ ! -L "$path" ]; then
        check "$d: size" test "$(field "$led" -1 target.size)" = "$(stat -c %s "$path")"
        check "$d: sha256" test "$(field "$led" -1 target.sha256)" = "$(sha256sum <"$path" | cut -c1-64)"
    fi
}

# ---- a CISO, a workstation store with a signed policy, a member of staff
as ciso ciso init --org "$ORG" --passphrase-file "$T/rpw"
expect_rc 0 "ciso init"
ROOT=$T/ciso/.config/fuin/ciso/root.pub
as hanako store init "$ROOT" --store "$T/store"
expect_rc 0 "store init"
policy() { # policy FILE RECORD SOCKET: a signed policy text
    cat >"$1" <<EOF
[organisation]
name = $ORG

[audit]
record = $2
syslog = on
syslog_socket = $3
EOF
    as ciso ciso sign-policy "$1" --passphrase-file "$T/rpw" --force
    expect_rc 0 "sign-policy $1"
}
mkdir -p pol
policy pol/policy.ini on "$T/log"

# policy install: the policy just installed says record = on
n=$(nrec "$L")
as hanako store update "$T/pol/policy.ini" --store "$T/store"
expect_rc 0 "policy install (store update)"
expect_record "$L" "$n" "policy install" policy-install success "$T/store/policy.ini" null "$ME"

n=$(nrec "$L")
as hanako key new --name "$HANAKO" --email hanako@example.lg.jp --passphrase-file "$T/pw" --store "$T/store"
expect_rc 0 "key new"
expect_record "$L" "$n" "key new" key-new success "$T/hanako/.config/fuin" null
KEYID=$(sed -n 's/^minisign-key-id: //p' hanako/.config/fuin/card.pub)

# the CISO certifies; the record is in the CISO's ledger, signed with the root key
cp hanako/.config/fuin/card.pub ciso/hanako.pub
n=$(nrec "$CL")
as ciso ciso certify "$T/ciso/hanako.pub" --role staff --until "$(date -u -d '+200 days' +%Y-%m-%d)" \
    --passphrase-file "$T/rpw" --store "$T/store"
expect_rc 0 "certify"
expect_record "$CL" "$n" "certify" certify success "$T/ciso/hanako.cert" null "$(field "$CL" -1 operator.name)"
check "certify: signed" test "$(field "$CL" -1 sig.comment)" != null
cp ciso/hanako.cert hanako/.config/fuin/card.cert
cp ciso/hanako.cert.minisig hanako/.config/fuin/card.cert.minisig
as hanako store add "$T/ciso/hanako.cert" --store "$T/store"
expect_rc 0 "store add"

# ---- sign, verify (good and tampered), label, key passwd, unpack, decrypt
CANARY='FUIN-PLAINTEXT-CANARY-7e3a'
printf 'year,budget\n2026,100\n%s\n' "$CANARY" >release.csv
n=$(nrec "$L")
as hanako sign --store "$T/store" --class C2-I2 --passphrase-file "$T/pw" "$T/release.csv"
expect_rc 0 "sign"
expect_record "$L" "$n" "sign" sign success "$T/release.csv" C2-I2-A1
check "sign: the record is signed with the operator's key" test "$(field "$L" -1 operator.key_id)" = "$KEYID"
check "sign: signed record" test "$(field "$L" -1 sig)" != null

n=$(nrec "$L")
as hanako verify --store "$T/store" "$T/release.csv"
expect_rc 0 "verify"
expect_record "$L" "$n" "verify" verify success "$T/release.csv" C2-I2-A1
cp release.csv tampered.csv
cp release.csv.minisig tampered.csv.minisig
printf 'x' >>tampered.csv
n=$(nrec "$L")
as hanako verify --store "$T/store" "$T/tampered.csv"
expect_rc 1 "verify of a tampered file keeps its own exit code"
expect_record "$L" "$n" "verify tampered" verify failure "$T/tampered.csv" "$(field "$L" -1 class)"

printf 'memo %s\n' "$CANARY" >memo.txt
n=$(nrec "$L")
as hanako label set --class C3 --store "$T/store" "$T/memo.txt"
expect_rc 0 "label set"
expect_record "$L" "$n" "label set" label success "$T/memo.txt" C3-I1-A1

n=$(nrec "$L")
HOME=$T/hanako "$FUIN" key passwd --passphrase-file "$T/pw" --new-passphrase-file "$T/pw2" \
    --store "$T/store" </dev/null >out 2>err
rc=$?
expect_rc 0 "key passwd"
expect_record "$L" "$n" "key passwd" key-passwd success "$T/hanako/.config/fuin"
cp pw2 pw

# pack, then unpack
mkdir -p pk && printf 'in the package %s\n' "$CANARY" >pk/a.txt
REC=$(sed -n 's/^age-recipient: //p' hanako/.config/fuin/card.pub)
n=$(nrec "$L")
as hanako pack -o "$T/p.fuin" --class C2 -r "$REC" --store "$T/store" --passphrase-file "$T/pw" "$T/pk"
expect_rc 0 "pack"
expect_record "$L" "$n" "pack" pack success "$T/p.fuin" C2-I1-A1
check "pack: the record names the recipient" grep -qF "\"detail\":\"1 file, to $REC\"" <(tail -1 "$L")
n=$(nrec "$L")
as hanako pack -o "$T/p.fuin" --class C2 -r "$REC" --store "$T/store" --passphrase-file "$T/pw" "$T/pk"
expect_rc 5 "pack over an existing package"
check "pack refused before it started: not recorded (docs/audit.md)" test "$(nrec "$L")" -eq "$n"
n=$(nrec "$L")
mkdir -p unpacked
as hanako unpack -C "$T/unpacked" --store "$T/store" --passphrase-file "$T/pw" "$T/p.fuin"
expect_rc 0 "unpack"
expect_record "$L" "$n" "unpack" unpack success "$T/p.fuin" "$(field "$L" -1 class)"
check "unpack: the package's class" test "$(field "$L" -1 class)" = C2-I1-A1

n=$(nrec "$L")
as hanako encrypt -r "$REC" --class C3 --store "$T/store" -o "$T/memo.age" "$T/memo.txt"
expect_rc 0 "encrypt"
expect_record "$L" "$n" "encrypt" encrypt success "$T/memo.txt" C3-I1-A1
check "encrypt: the record names the recipient" grep -qF "\"detail\":\"to $REC\"" <(tail -1 "$L")
check "encrypt: unsigned (no key unlocked)" test "$(field "$L" -1 sig)" = null
n=$(nrec "$L")
as hanako decrypt --passphrase-file "$T/pw" --store "$T/store" -o "$T/memo.out" "$T/memo.age"
expect_rc 0 "decrypt"
expect_record "$L" "$n" "decrypt" decrypt success "$T/memo.age" C3-I1-A1
check "decrypt: the record names the output" grep -qF "\"detail\":\"to $T/memo.out\"" <(tail -1 "$L")

# a request, and its approval tried by the requester herself: refused, and
# the refusal is on the record too
n=$(nrec "$L")
as hanako request provide --file "$T/memo.txt" --class C3 --to '〇〇株式会社' --store "$T/store" \
    --passphrase-file "$T/pw" -o "$T/req"
expect_rc 0 "request provide"
expect_record "$L" "$n" "request" request success "$T/req" C3-I1-A1
check "request: the record names the request by its hash" \
    test "$(field "$L" -1 request)" = "$(sha256sum <req | cut -c1-64)"
check "request: signed by the requester" test "$(field "$L" -1 sig)" != null
n=$(nrec "$L")
as hanako approve "$T/req" --store "$T/store" --passphrase-file "$T/pw"
expect_rc 1 "the requester cannot approve"
expect_record "$L" "$n" "approve (refused)" approve failure "$T/req" C3-I1-A1
n=$(nrec "$L")
as hanako approve --check --kind provide --file "$T/memo.txt" "$T/req" --store "$T/store"
expect_rc 1 "approve --check of an unapproved request"
expect_record "$L" "$n" "approval check" verify failure "$T/req"

# a file name that is not UTF-8 (Shift_JIS from an old medium): recorded
# escaped, and the operation is not failed for it
BAD=$(printf 'sjis-\x95\xf1\x8d\x90.txt')
printf 'old medium\n' >"$BAD"
n=$(nrec "$L")
as hanako sign --store "$T/store" --passphrase-file "$T/pw" "$T/$BAD"
expect_rc 0 "sign a file whose name is not UTF-8"
check "non-UTF-8 name: signature written" test -e "$BAD.minisig"
check "non-UTF-8 name: one record" test "$(nrec "$L")" -eq $((n + 1))
check "non-UTF-8 name: recorded escaped" grep -qF 'sjis-\\x95\\xf1\\x8d\\x90.txt' <(tail -1 "$L")
check "non-UTF-8 name: its hash recorded" \
    test "$(field "$L" -1 target.sha256)" = "$(sha256sum <"$BAD" | cut -c1-64)"

# ---- no secret, no content
for f in "$L" "$CL"; do
    [ -e "$f" ] || continue
    check "$(basename "$(dirname "$(dirname "$(dirname "$f")")")"): no plaintext in the ledger" sh -c "! grep -qF '$CANARY' '$f'"
    for p in pw pw2 rpw; do
        check "$f: no passphrase ($p) in the ledger" sh -c "! grep -qF \"\$(cat $p)\" '$f'"
    done
    check "$f: no secret key text" sh -c "! grep -qE 'AGE-SECRET-KEY|RWRTY|untrusted comment' '$f'"
done

# ---- ledger show filters
total=$(nrec "$L")
as hanako ledger show
expect_rc 0 "ledger show"
check "show: one line per record" test "$(wc -l <out)" -eq "$total"
for k in sign verify label; do
    as hanako ledger show --kind "$k"
    want=$(grep -c "\"op\":\"$k\"" "$L")
    check "show --kind $k: $want lines" test "$(wc -l <out)" -eq "$want"
    check "show --kind $k: only $k" test "$(cut -f4 out | sort -u)" = "$( [ "$want" -gt 0 ] && echo "$k")"
done
as hanako ledger show --kind wipe
expect_rc 2 "show --kind of no kind"
as hanako ledger show --person "$HANAKO"
check "show --person name: the records made with the key" test "$(wc -l <out)" -eq "$(grep -c "\"name\":\"$HANAKO\"" "$L")"
as hanako ledger show --person "$ME"
check "show --person login name: every record" test "$(wc -l <out)" -eq "$total"
as hanako ledger show --person nobody-at-all
check "show --person nobody: none" test ! -s out
as hanako ledger show --class C2
want=$(grep -cE '"class":"C[23]' "$L")
check "show --class C2: $want lines (C2 and C3)" test "$(wc -l <out)" -eq "$want"
as hanako ledger show --class C3
want=$(grep -c '"class":"C3' "$L")
check "show --class C3: $want lines" test "$(wc -l <out)" -eq "$want"
as hanako ledger show --since "$(date -u -d tomorrow +%Y-%m-%d)"
check "show --since tomorrow: none" test ! -s out
as hanako ledger show --until "$(date -u -d yesterday +%Y-%m-%d)"
check "show --until yesterday: none" test ! -s out
# a cut in time between two records
sleep 1.1
MID=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1.1
before=$(nrec "$L")
as hanako verify --store "$T/store" "$T/release.csv"
as hanako verify --store "$T/store" "$T/release.csv"
after=$(nrec "$L")
as hanako ledger show --since "$MID"
check "show --since MID: the $((after - before)) later records" test "$(wc -l <out)" -eq $((after - before))
as hanako ledger show --until "$MID"
check "show --until MID: the $before earlier records" test "$(wc -l <out)" -eq "$before"

# ---- verify, its note, checkpoint
as hanako ledger verify
expect_rc 0 "ledger verify"
check "verify: OK line" grep -qx "$L: OK: $after records" out
check "verify: note about unsigned records" grep -q '^note: the last [0-9]* records\? .*chained but not yet signed: fuin ledger checkpoint signs' out
as hanako ledger checkpoint --passphrase-file "$T/pw" --store "$T/store"
expect_rc 0 "ledger checkpoint"
check "checkpoint appended one record" test "$(nrec "$L")" -eq $((after + 1))
check "checkpoint: op" test "$(field "$L" -1 op)" = checkpoint
as hanako ledger verify
expect_rc 0 "ledger verify after checkpoint"
check "verify after checkpoint: no note" sh -c "! grep -q '^note:' out"
as hanako ledger verify --json
check "verify --json: unsigned_tail 0" grep -q '"unsigned_tail":0' out

# ---- tampering: each makes verify fail with exit 1 and names the line
cp "$L" L.good
N=$(nrec L.good)
tamper() { # tamper DESC LINE: $L was changed; verify must name LINE
    as hanako ledger verify
    expect_rc 1 "ledger verify: $1"
    check "$1: the reason names line $2 ($(cat out))" grep -q "FAILED.*line $2\b" out
    cp L.good "$L"
}
python3 - "$L" <<'EOF'
import sys
p = sys.argv[1]; ls = open(p, encoding="utf-8").read().split("\n")
ls[2] = ls[2].replace('"result":"success"', '"result":"failure"', 1)
open(p, "w", encoding="utf-8").write("\n".join(ls))
EOF
tamper "a result edited in line 3" 3
head -c -20 L.good >"$L"
tamper "truncated inside the last line" "$N"
{ sed -n 1p L.good; sed -n 3p L.good; sed -n 2p L.good; sed -n '4,$p' L.good; } >"$L"
tamper "lines 2 and 3 swapped" 2
sed 2d L.good >"$L"
tamper "line 2 deleted" 2
cp L.good "$L"

# ---- fail closed
printf 'to sign\n' >closed.txt
mv "$L" L.aside && mkdir "$L"
as hanako sign --store "$T/store" --passphrase-file "$T/pw" "$T/closed.txt"
expect_rc 4 "sign with a directory where the ledger goes"
check "fail closed: says nothing was done" grep -q 'the record cannot be written, so nothing was done' err
check "fail closed: no signature written" test ! -e closed.txt.minisig
as hanako encrypt -r "$REC" --store "$T/store" -o "$T/closed.age" "$T/closed.txt"
expect_rc 4 "encrypt with a directory where the ledger goes"
check "fail closed: no encrypted file" test ! -e closed.age
as hanako pack -o "$T/closed.fuin" --class C2 -r "$REC" --store "$T/store" --passphrase-file "$T/pw" "$T/closed.txt"
expect_rc 4 "pack with a directory where the ledger goes"
check "fail closed: no package" test ! -e closed.fuin
as hanako decrypt --passphrase-file "$T/pw" --store "$T/store" -o "$T/closed.out" "$T/memo.age"
expect_rc 4 "decrypt with a directory where the ledger goes"
check "fail closed: no plaintext" test ! -e closed.out
as hanako verify --store "$T/store" "$T/release.csv"
expect_rc 4 "verify with a directory where the ledger goes"
rmdir "$L" && mv L.aside "$L"
# a full disk: the key directory on a tmpfs filled up
KD=$T/hanako/.config/fuin
if [ "$(id -u)" = 0 ] && cp -a "$KD" keys.aside && mount -t tmpfs -o size=256k,mode=0700 fuin-audit "$KD" 2>/dev/null; then
    cp -a keys.aside/. "$KD"/
    dd if=/dev/zero of="$KD/filler" bs=4k 2>/dev/null
    dd if=/dev/zero of="$KD/filler2" bs=1 2>/dev/null
    cp "$L" L.before
    as hanako sign --store "$T/store" --passphrase-file "$T/pw" "$T/closed.txt"
    expect_rc 4 "sign with the ledger's disk full"
    check "full disk: says nothing was done" grep -q 'the record cannot be written, so nothing was done' err
    check "full disk: no signature written" test ! -e closed.txt.minisig
    check "full disk: ledger unchanged" cmp -s "$L" L.before
    umount "$KD"
    rm -f keys.aside/filler keys.aside/filler2
else
    echo "SKIP (full disk part): cannot mount a tmpfs over the key directory (needs root)"
fi

# ---- record = off: nothing written
policy pol/off.ini off "$T/log"
mkdir -p pol2 && cp pol/off.ini pol2/policy.ini && cp pol/off.ini.minisig pol2/policy.ini.minisig
as bob store init "$ROOT" --store "$T/store2"
as bob store update "$T/pol2/policy.ini" --store "$T/store2"
expect_rc 0 "install a policy with record = off"
as bob key new --name 'Bob Off' --passphrase-file "$T/pw" --store "$T/store2"
expect_rc 0 "key new under record = off"
printf 'bob\n' >bob.txt
as bob sign --store "$T/store2" --passphrase-file "$T/pw" "$T/bob.txt"
expect_rc 0 "sign under record = off"
as bob verify --store "$T/store2" -p "$T/bob/.config/fuin/sign.pub" "$T/bob.txt"
check "record = off: no ledger file" test ! -e "$T/bob/.config/fuin/ledger.jsonl"

# ---- the syslog copy through a real rsyslogd
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
if [ ! -x "$RSYSLOGD" ]; then
    echo "SKIP (syslog part): rsyslogd is not installed (scripts/deps.sh installs it)"
else
    mkdir -p rs
    # parser.escapeControlCharactersOnReceive="off": MSG is compared byte
    # for byte, not after normalisation (a ledger line has no control
    # characters anyway: JSON escapes them).  The template writes the
    # structured data, a TAB and the MSG as rsyslog parsed them.
    cat >rsyslog.conf <<EOF
global(workDirectory="$T/rs" maxMessageSize="64k"
       parser.escapeControlCharactersOnReceive="off")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$T/log" UseSpecialParser="off" ParseHostname="on"
      RateLimit.Interval="0")
template(name="fuinaudit" type="list") {
    property(name="structured-data") constant(value="\t")
    property(name="msg") constant(value="\n")
}
*.* action(type="omfile" file="$T/syslog.out" template="fuinaudit")
EOF
    "$RSYSLOGD" -n -f "$T/rsyslog.conf" -i "$T/rs/rsyslogd.pid" >rs/stdout 2>rs/stderr &
    RSPID=$!
    for _ in $(seq 100); do [ -S "$T/log" ] && break; sleep 0.1; done
    if [ ! -S "$T/log" ]; then
        bad "rsyslogd did not create its socket: $(head -3 rs/stderr)"
    else
        first=$(($(nrec "$L") + 1))
        for i in 1 2 3; do
            printf 'file %s\n' "$i" >"s$i.txt"
            as hanako sign --store "$T/store" --passphrase-file "$T/pw" "$T/s$i.txt"
            expect_rc 0 "sign s$i.txt with rsyslogd listening"
            as hanako verify --store "$T/store" "$T/s$i.txt"
            expect_rc 0 "verify s$i.txt with rsyslogd listening"
        done
        last=$(nrec "$L")
        want=$((last - first + 1))
        for _ in $(seq 100); do
            [ "$(nrec syslog.out)" -ge "$want" ] && break
            sleep 0.1
        done
        check "syslog: $want messages for $want records (got $(nrec syslog.out))" test "$(nrec syslog.out)" -eq "$want"
        check "syslog and ledger one for one" python3 - "$L" syslog.out "$first" <<'EOF'
import hashlib, re, sys
led = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
log = open(sys.argv[2], "rb").read().split(b"\n")[:-1]
first = int(sys.argv[3])
ok = True
for k, entry in enumerate(log):
    sd, msg = entry.split(b"\t", 1)
    line = led[first - 1 + k]
    if msg != line:
        # rsyslog keeps a leading space of MSG in some versions: say so
        print("line %d: MSG differs from the ledger line" % (first + k)); ok = False
    params = dict(re.findall(rb'(\w+)="((?:[^"\\]|\\.)*)"', sd))
    if not sd.startswith(b"[fuin@32473 "):
        print("line %d: SD-ID is not fuin@32473: %r" % (first + k, sd[:40])); ok = False
    if params.get(b"seq") != str(first + k).encode():
        print("line %d: seq %r" % (first + k, params.get(b"seq"))); ok = False
    if params.get(b"hash") != hashlib.sha256(line).hexdigest().encode():
        print("line %d: hash differs" % (first + k)); ok = False
    prev = hashlib.sha256(led[first - 2 + k]).hexdigest().encode() if first + k > 1 else b"0" * 64
    if params.get(b"prev_hash") != prev:
        print("line %d: prev_hash differs" % (first + k)); ok = False
sys.exit(0 if ok else 1)
EOF
        check "syslog: the operations' results" test "$(grep -c 'result="success"' syslog.out)" -eq "$want"
        check "syslog: each message names its chain" test "$(grep -cF "ledger=\"$L\"" syslog.out)" -eq "$want"
        # the signed checkpoint reaches the collector too (no gap in seq)
        as hanako ledger checkpoint --passphrase-file "$T/pw" --store "$T/store"
        expect_rc 0 "checkpoint with rsyslogd listening"
        for _ in $(seq 100); do
            [ "$(nrec syslog.out)" -gt "$want" ] && break
            sleep 0.1
        done
        check "syslog: the checkpoint's message" grep -q 'op="checkpoint"' syslog.out
    fi
    kill "$RSPID" 2>/dev/null
    wait "$RSPID" 2>/dev/null
    RSPID=
    # an outage: the operation still succeeds and the ledger has it
    n=$(nrec "$L")
    as hanako sign --store "$T/store" --passphrase-file "$T/pw" "$T/s1.txt" --force
    expect_rc 0 "sign with rsyslogd stopped"
    check "syslog outage: a note says so" grep -q 'note: the record did not reach the system log' err
    check "syslog outage: the record is in the ledger" test "$(nrec "$L")" -eq $((n + 1))
    rm -f "$T/log"
    as hanako verify --store "$T/store" "$T/s1.txt"
    expect_rc 0 "verify with no syslog socket at all"
    check "no socket: the record is in the ledger" test "$(nrec "$L")" -eq $((n + 2))
fi

# a disposal approval with the record on: the request's and the approval's
# own records name the request, and must not count as carrying it out
mkdir -p "$T/kanri"
printf 'kanri passphrase long enough 2236\n' >kpw
as kanri key new --name '管理 次郎' --email kanri@example.lg.jp --passphrase-file "$T/kpw" --store "$T/store"
expect_rc 0 "kanri: key new"
cp kanri/.config/fuin/card.pub ciso/kanri.pub
as ciso ciso certify "$T/ciso/kanri.pub" --role manager --until "$(date -u -d '+200 days' +%Y-%m-%d)" \
    --passphrase-file "$T/rpw" --store "$T/store"
expect_rc 0 "certify kanri as manager"
cp ciso/kanri.cert kanri/.config/fuin/card.cert
cp ciso/kanri.cert.minisig kanri/.config/fuin/card.cert.minisig
as hanako store add "$T/ciso/kanri.cert" --store "$T/store"
expect_rc 0 "store add kanri"
as hanako request disposal --asset USB-1 --class C2 --store "$T/store" --passphrase-file "$T/pw" -o "$T/dreq"
expect_rc 0 "request disposal"
as kanri approve "$T/dreq" --store "$T/store" --passphrase-file "$T/kpw"
expect_rc 0 "approve the disposal"
check "approve: recorded in the manager's ledger" \
    test "$(field "$T/kanri/.config/fuin/ledger.jsonl" -1 op)" = approve
n=$(nrec "$L")
as hanako ledger record-destruction --asset USB-1 --how 'shredded' --class C2 --approval "$T/dreq" \
    --store "$T/store" --passphrase-file "$T/pw"
expect_rc 0 "record-destruction with the approval, after the request's own record"
check "record-destruction: one disposal record" test "$(field "$L" -1 category)" = Destroy
as hanako ledger record-destruction --asset USB-1 --how 'shredded' --class C2 --approval "$T/dreq" \
    --store "$T/store" --passphrase-file "$T/pw"
expect_rc 1 "the same approval a second time"

# revocation: in the CISO's ledger, signed with the root key
n=$(nrec "$CL")
as ciso ciso revoke "$KEYID" --reason 'lost laptop' --passphrase-file "$T/rpw" --store "$T/store"
expect_rc 0 "revoke"
expect_record "$CL" "$n" "revoke" revoke success "$T/ciso/.config/fuin/ciso/revoked.txt" null \
    "$(field "$CL" -1 operator.name)"
check "revoke: the record names the key and the reason" \
    grep -qE "\"detail\":\"key $KEYID \\($HANAKO <hanako@example.lg.jp> \\(staff, certificate [0-9A-F]{16} valid until [^\"]*\\)\\): lost laptop\"" <(tail -1 "$CL")
check "revoke: signed with the root key" test "$(field "$CL" -1 sig)" != null
RKEY=$T/ciso/.config/fuin/ciso/root.pub
as ciso ledger verify --key "$RKEY"
expect_rc 0 "the CISO's ledger verifies with the root key"

as hanako ledger verify
expect_rc 0 "the ledger verifies at the end"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
