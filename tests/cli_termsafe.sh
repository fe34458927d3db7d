#!/bin/bash
# Terminal safety: names, comments, paths and labels that came from a file
# or from another person reach the terminal with control characters, ANSI
# escapes and bidi overrides escaped (inspect, verify, decrypt's notice,
# ledger show and verify, policy show/check, wipe's description, key and
# store show, every error line).  The raw bytes never appear.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/harness.sh"
sandbox termsafe

ESC=$'\x1b'
RLO=$'\u202e'
CSI=$'\u009b'
# raw_free DESCRIPTION FILE...: no ESC, no C1 CSI, no bidi override, no BEL
raw_free() {
    local d=$1
    shift
    if cat "$@" | grep -aq -e "$ESC" -e "$RLO" -e "$CSI" -e $'\a'; then
        bad "$d: a raw control or bidi character reached the terminal"
    else
        ok
    fi
}

ORG='〇〇事務組合'
printf 'root passphrase long enough 2718\n' >rpw
printf 'staff passphrase long enough 1414\n' >pw
"$FUIN" ciso init --org "$ORG" --dir ciso --passphrase-file rpw >/dev/null 2>&1
"$FUIN" key new --name '山田 花子' --dir me --passphrase-file pw >/dev/null 2>&1
UNTIL=$(date -u -d '+100 days' +%Y-%m-%d)
"$FUIN" ciso certify me/card.pub --role staff --until "$UNTIL" --dir ciso --passphrase-file rpw >/dev/null 2>&1
"$FUIN" store init ciso/root.pub --store S >/dev/null 2>&1
"$FUIN" store add me/card.cert --store S >/dev/null 2>&1
"$FUIN" keygen -o k.key 2>/dev/null
R=$("$FUIN" keygen -y k.key)
check "setup" test -s S/root.pub -a -s me/card.cert

# A received file whose name paints the terminal red, sets its title and
# reverses "txt.exe".
evil="invoice${RLO}txt.exe${ESC}[31m${ESC}]0;owned"$'\a'
echo 'quarterly figures' >"$evil"

# ---- errors name the file escaped
run inspect "$evil"
expect_rc 3 "inspect of a non-age file"
raw_free "inspect's error" err
check "inspect's error shows the escapes" grep -qF 'invoice\u202etxt.exe\x1b[31m\x1b]0;owned\x07' err

# ---- decrypt's label notice, verify's OK line
"$FUIN" encrypt -r "$R" --class C2 -o "$evil.age" "$evil" 2>/dev/null
run decrypt -i k.key -o plain.txt "$evil.age"
expect_rc 0 "decrypt"
raw_free "decrypt's label notice" err
check "decrypt names the file escaped" grep -qF 'invoice\u202etxt.exe\x1b[31m' err

"$FUIN" sign --dir me --passphrase-file pw "$evil" 2>/dev/null
run verify -p me/sign.pub "$evil"
expect_rc 0 "verify"
raw_free "verify's OK line" out err
check "verify shows the name escaped" grep -qF 'invoice\u202etxt.exe' out

# a stock minisign signature whose trusted comment holds escapes
if command -v minisign >/dev/null; then
    minisign -G -W -p mpk.pub -s msk.key -f >/dev/null 2>&1
    echo 'release' >rel.txt
    minisign -S -W -s msk.key -m rel.txt -t "signed by ${ESC}[2Jthe CISO${RLO}fdp.exe" >/dev/null 2>&1
    run verify -p mpk.pub rel.txt
    expect_rc 0 "verify a stock minisign signature"
    raw_free "verify with a hostile trusted comment" out err
    check "the trusted comment is shown escaped" grep -qF '\x1b[2Jthe CISO\u202efdp.exe' out
fi

# ---- wipe: the description and the ledger
run wipe --dry-run --class C1 "$evil"
raw_free "wipe --dry-run's description" out err
check "wipe's description shows the path escaped" grep -qF 'invoice\u202etxt.exe' out
run wipe --yes --class C1 --method zero --dir me --passphrase-file pw --ledger L "$evil"
expect_rc 0 "wipe"
raw_free "wipe's report" out err
run ledger show L
expect_rc 0 "ledger show"
raw_free "ledger show" out err
check "ledger show: the recorded path escaped" grep -qF 'invoice\u202etxt.exe\x1b[31m' out
run ledger show --json L
check "ledger show --json: JSON escapes controls itself" grep -qiF '\u001b[31m' out
# an edited ledger: the reason names the line, escaped
sed "s/\"seq\":1/\"seq\":1,\"x${ESC}\":1/" L >L2
run ledger verify --dir me L2
raw_free "ledger verify of an edited record" out err

# ---- policy show / check: values and sources from files
printf '[organisation]\nname = 〇〇%s組合\n' "$RLO" >policy.ini
if "$FUIN" ciso sign-policy policy.ini --dir ciso --passphrase-file rpw >/dev/null 2>&1 &&
    cp policy.ini policy.ini.minisig S/ 2>/dev/null; then
    run policy show --store S
    if [ "$rc" = 0 ]; then
        raw_free "policy show" out err
        check "policy show: the organisation escaped" grep -qF '〇〇\u202e組合' out
    else
        # refused at parse time is safe too; the refusal is escaped
        raw_free "policy show's refusal" out err
    fi
fi
run policy check --store S "$evil.age"
raw_free "policy check FILE" out err

# ---- a card whose name holds a bidi override or an escape
run key new --name "Evil${RLO}Name" --dir evilkey --passphrase-file pw
raw_free "key new with a hostile name" out err
if [ "$rc" = 0 ]; then
    run key show evilkey
    raw_free "key show" out err
fi
run key new --name "Esc${ESC}[31m" --dir esckey --passphrase-file pw
raw_free "key new with an escape in the name" out err

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
