#!/usr/bin/env bash
# fuin ledger without devices: record times carry the operator's UTC offset
# (TZ), the CSV export cannot smuggle spreadsheet formulas, and
# `fuin ledger repair` cuts only a torn last line, keeping its bytes in
# LEDGER.torn-OFFSET, and refuses everything else leaving the ledger
# byte-identical.  No root needed; POSIX TZ strings need no tz database.
set -u

# shellcheck source=tests/harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
# The value of "KEY":"..." in line N of FILE.
field() { sed -n "${3}p" "$1" | grep -o "\"$2\":\"[^\"]*\"" | head -n1 | cut -d'"' -f4; }
no_torn_files() { ! compgen -G "$1.torn-*" >/dev/null; }

if [ -z "${FUIN:-}" ] || [ ! -x "$FUIN" ]; then
    echo "FAIL: FUIN must name the fuin program"; exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fuin-cli-ledger.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
export HOME=$tmp/home
mkdir -p "$HOME"

echo 'correct horse battery staple 2026' > pw
run key new --name 'テスト 担当' --dir K --passphrase-file pw
expect_rc 0 "key new"

destroy() { # destroy TZ ASSET [more options]: one record in ./L
    local tz=$1 asset=$2; shift 2
    TZ=$tz "$FUIN" ledger record-destruction --asset "$asset" --how shredder --class C1 \
        --dir K --passphrase-file pw --ledger L "$@" </dev/null >out 2>err
    rc=$?
}

# ---- time zones
t0=$(date +%s)
destroy JST-9 A-1
expect_rc 0 "record in TZ=JST-9"
destroy UTC0 A-2
expect_rc 0 "record in TZ=UTC0"
destroy EST5 A-3
expect_rc 0 "record in TZ=EST5"
t1=$(date +%s)
s1=$(field L start 1) e1=$(field L end 1)
s2=$(field L start 2)
s3=$(field L start 3)
check "JST record ends in +09:00 ($s1)" grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+09:00$' <<<"$s1"
check "JST record: end has the offset too" grep -qE '\+09:00$' <<<"$e1"
check "UTC record ends in Z ($s2)" grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' <<<"$s2"
check "EST record ends in -05:00 ($s3)" grep -qE '^[0-9-]{10}T[0-9:]{8}-05:00$' <<<"$s3"
# The clock reading is the local one: exact against date(1) for the same
# instant, and the instant is now.
for n in 1 2 3; do
    s=$(field L start "$n")
    t=$(date -d "$s" +%s 2>/dev/null || echo 0)
    check "record $n time is now ($s)" test "$t" -ge "$t0" -a "$t" -le "$t1"
    case $n in
    1) want=$(TZ=JST-9 date -d "@$t" +%Y-%m-%dT%H:%M:%S+09:00) ;;
    2) want=$(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ) ;;
    3) want=$(TZ=EST5 date -d "@$t" +%Y-%m-%dT%H:%M:%S-05:00) ;;
    esac
    check "record $n exact local time" test "$s" = "$want"
done
run ledger verify --dir K L
expect_rc 0 "mixed-offset ledger verifies"
check "verify says 3 records" test "$(cat out)" = "L: OK: 3 records"
t=$(date -d "$s1" +%s)
run ledger export --html L
expect_rc 0 "export --html"
want=$(TZ=JST-9 date -d "@$t" '+%Y年%-m月%-d日 %H:%M:%S')
check "HTML shows JST time with (+09:00)" grep -qF "<tr><th>開始</th><td>$want (+09:00)</td></tr>" out
t=$(date -d "$s2" +%s)
want=$(date -u -d "@$t" '+%Y年%-m月%-d日 %H:%M:%S')
check "HTML shows UTC time with (UTC)" grep -qF "<tr><th>開始</th><td>$want (UTC)</td></tr>" out
run ledger export --csv L
expect_rc 0 "export --csv"
check "CSV carries the record's time text" grep -qF ",1,$s1,$e1," out
run ledger show L
check "show prints the record's end time" grep -qP "^1\t\Q$e1\E\t" out

# An old-style record forged with +24:00 is not a record.
sed '1s/+09:00"/+24:00"/' L >L.bad
run ledger verify --dir K L.bad
expect_rc 1 "offset +24:00 refused"
check "+24:00: reason" grep -q 'line 1 (seq 1): bad start or end time' err

# ---- CSV formula injection
destroy UTC0 '=HYPERLINK("http://evil.example/","x")' --witness '@SUM(1)'
expect_rc 0 "record with formula-like asset and witness"
run ledger export --csv L
expect_rc 0 "export --csv"
row=$(grep -F 'HYPERLINK' out)
check "asset id quoted with a leading '" grep -qF ",\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"x\"\")\"," <<<"$row"
check "witness quoted with a leading '" grep -qF ",\"'@SUM(1)\"," <<<"$row"
check "no bare =HYPERLINK cell" bash -c '! grep -qE "(^|,)\"?=HYPERLINK" <<<"$1"' _ "$row"
run ledger export --json L
check "JSON export keeps the text as recorded" grep -qF '"witness":"@SUM(1)"' out

# ---- repair
n=$(wc -l <L)
size=$(stat -c %s L)
cp L L.orig
run ledger repair --dir K L
expect_rc 0 "repair of a clean ledger"
check "clean: nothing to repair" test "$(cat out)" = "L: OK: $n records, nothing to repair"
check "clean: unchanged" cmp -s L L.orig
check "clean: no .torn file" no_torn_files L

# A torn last line (with bytes that must not reach the terminal raw).
cp L T
printf '{"record_id":"00\033[2J' >>T
cp T T.before
run ledger repair --dry-run --dir K T
expect_rc 0 "repair --dry-run of a torn ledger"
check "dry-run: what and where" grep -qxF "T: would cut the torn last line at byte $size (20 bytes) and keep it in T.torn-$size" out
check "dry-run: shows the torn bytes, escaped" grep -qxF 'T: torn bytes: {"record_id":"00\x1B[2J' out
check "dry-run: no raw escape byte" bash -c '! grep -q $'"'"'\033'"'"' out'
check "dry-run: the good records" grep -qxF "T: the $n records before it verify" out
check "dry-run: ledger unchanged" cmp -s T T.before
check "dry-run: no .torn file" no_torn_files T
run ledger repair --dir K T
expect_rc 0 "repair of a torn ledger"
check "repair: what it did" grep -qxF "T: cut the torn last line at byte $size (20 bytes), kept in T.torn-$size" out
check "repair: then OK" grep -qxF "T: OK: $n records" out
check "repair: ledger is the good part" cmp -s T L
check "repair: .torn holds exactly the torn bytes" cmp -s "T.torn-$size" <(printf '{"record_id":"00\033[2J')
check "repair: .torn is mode 600" test "$(stat -c %a "T.torn-$size")" = 600
run ledger verify --dir K T
expect_rc 0 "repaired ledger verifies"
TZ=UTC0 "$FUIN" ledger record-destruction --asset A-9 --how shredder --class C1 --dir K \
    --passphrase-file pw --ledger T </dev/null >out 2>err; rc=$?
expect_rc 0 "append after repair"
check "append after repair: seq $((n + 1))" grep -q "(seq $((n + 1)))" out
run ledger verify --dir K T
check "verify after the append" test "$rc" -eq 0 -a "$(cat out)" = "T: OK: $((n + 1)) records"

# The .torn file exists already: refused, both files untouched.
cp L X
printf '{"torn' >>X
cp X X.before
printf 'keep me\n' >"X.torn-$size"
run ledger repair --dry-run --dir K X
expect_rc 5 "dry-run with an existing .torn file"
run ledger repair --dir K X
expect_rc 5 "repair with an existing .torn file"
check "existing .torn: message" grep -qF "X.torn-$size: exists; move it away first (ledger not repaired)" err
check "existing .torn: ledger unchanged" cmp -s X X.before
check "existing .torn: file kept" test "$(cat "X.torn-$size")" = "keep me"

# An edited record: refused with the verify reason, byte-identical.
sed '1s/"asset_id":"A-1"/"asset_id":"A-7"/' L >E
check "edit made" bash -c '! cmp -s E L'
cp E E.before
run ledger repair --dir K E
expect_rc 1 "repair of an edited ledger"
check "edited: verify's reason" grep -qxF 'fuin: ledger: E: line 1 (seq 1): signature does not verify (record edited) (not repaired: repair only cuts a torn last line after records that verify)' err
check "edited: unchanged" cmp -s E E.before
check "edited: no .torn file" no_torn_files E
# Edited and torn: still refused, the torn bytes stay where they are.
printf '{"torn' >>E
cp E E.before
run ledger repair --dir K E
expect_rc 1 "repair of an edited and torn ledger"
check "edited+torn: unchanged" cmp -s E E.before
check "edited+torn: no .torn file" no_torn_files E
# Records by a key not given: not verified, so not repaired.
cp T.before U
run ledger repair --dir nokeys U
expect_rc 1 "repair without the operator's key"
check "unknown key: reason" grep -q 'signed by unknown key id' err
check "unknown key: unchanged" cmp -s U T.before
check "unknown key: no .torn file" no_torn_files U

run ledger repair --dir K missing
expect_rc 4 "repair of a missing ledger"
ln -s L S
run ledger repair --dir K S
expect_rc 4 "repair through a symlink"
check "symlink: target unchanged" cmp -s L L.orig
run ledger repair --json --dir K L
expect_rc 2 "repair --json is a usage error"
run ledger verify --dry-run --dir K L
expect_rc 2 "verify --dry-run is a usage error"
run ledger repair --dry-run --dry-run --dir K L
expect_rc 2 "--dry-run twice"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
