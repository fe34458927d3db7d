#!/bin/bash
# Every output is checked: every command that writes to standard output
# or to a file fails, with the I/O exit code (4) and a message, when the
# output cannot be written, and leaves nothing behind:
#  (a) standard output on /dev/full;
#  (b) files on a full file system (a 1 MiB tmpfs, filled), root only;
#  (c) -o naming a character device writes it in place and never replaces
#      the device node (fuin encrypt -o /dev/full --force once did).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/harness.sh"
sandbox fullout

ORG='〇〇事務組合'
printf 'root passphrase long enough 2718\n' >rpw
printf 'staff passphrase long enough 1414\n' >pw
echo 'some text' >f.txt

# A little world to write about.
"$FUIN" ciso init --org "$ORG" --dir ciso --passphrase-file rpw >/dev/null 2>&1
"$FUIN" key new --name '山田 花子' --dir me --passphrase-file pw >/dev/null 2>&1
"$FUIN" key new --name '管理 次郎' --dir mgr --passphrase-file pw >/dev/null 2>&1
UNTIL=$(date -u -d '+100 days' +%Y-%m-%d)
"$FUIN" ciso certify me/card.pub --role staff --until "$UNTIL" --dir ciso --passphrase-file rpw >/dev/null 2>&1
"$FUIN" ciso certify mgr/card.pub --role manager --until "$UNTIL" --dir ciso --passphrase-file rpw >/dev/null 2>&1
"$FUIN" store init ciso/root.pub --store S >/dev/null 2>&1
"$FUIN" store add me/card.cert mgr/card.cert --store S >/dev/null 2>&1
"$FUIN" keygen -o k.key 2>/dev/null
R=$("$FUIN" keygen -y k.key)
"$FUIN" encrypt -r "$R" --class C2 -o f.age f.txt 2>/dev/null
"$FUIN" sign --dir me --passphrase-file pw f.txt 2>/dev/null
"$FUIN" wipe --yes --class C1 --method zero --dir me --passphrase-file pw --ledger L \
    "$(echo junk >junk && echo junk)" >/dev/null 2>&1
"$FUIN" request disposal --asset A-1 --class C2 --dir me --passphrase-file pw -o req >/dev/null 2>&1
check "the setup worked" test -s f.age -a -s f.txt.minisig -a -s L -a -s req -a -s S/root.pub

# ---- (a) standard output on /dev/full
full_stdout() { # full_stdout DESCRIPTION ARGS...
    local d=$1
    shift
    "$FUIN" "$@" </dev/null >/dev/full 2>err
    rc=$?
    expect_rc 4 "(a) $d > /dev/full"
    check "(a) $d > /dev/full: says no space" grep -q 'No space left on device' err
}
full_stdout "keygen" keygen
check "(a) keygen: no public key announced for a lost key" sh -c '! grep -q "Public key" err'
full_stdout "keygen -y" keygen -y k.key
full_stdout "encrypt" encrypt -r "$R" f.txt
full_stdout "encrypt -a" encrypt -r "$R" -a f.txt
full_stdout "decrypt" decrypt -i k.key f.age
# several batches through the writer thread of an armored stream
head -c $((5 * 1048576)) /dev/urandom >f5m
"$FUIN" encrypt -a -r "$R" -o f5m.asc f5m 2>/dev/null
full_stdout "encrypt -a (5 MiB)" encrypt -a -r "$R" f5m
full_stdout "decrypt armored (5 MiB)" decrypt -i k.key f5m.asc
full_stdout "inspect" inspect f.age
full_stdout "inspect --json" inspect --json f.age
full_stdout "key show" key show me
full_stdout "key show --json" key show --json me
full_stdout "verify" verify -p me/sign.pub f.txt
full_stdout "verify --json" verify -p me/sign.pub --json f.txt
full_stdout "policy show" policy show
full_stdout "policy check" policy check --class C2
full_stdout "store show" store show --store S
full_stdout "pack -o -" pack -o - --class C1-I1-A1 --unsigned f.txt
check "(a) pack -o -: names standard output" grep -q "cannot write to standard output" err
full_stdout "store show --json" store show --json --store S
full_stdout "store add (already there)" store add me/card.cert --store S
full_stdout "ledger verify" ledger verify --dir me L
full_stdout "ledger verify --json" ledger verify --json --dir me L
full_stdout "ledger show" ledger show L
full_stdout "ledger show --json" ledger show --json L
full_stdout "ledger export --csv" ledger export --csv L
full_stdout "ledger export --json" ledger export --json L
full_stdout "ledger export --html" ledger export --html L
full_stdout "ledger show with filters" ledger show --kind disposal --person '山田 花子' --class C1 --since 2020-01-01 L
full_stdout "ledger show --json with filters" ledger show --json --kind disposal --until 2999-12-31 L
full_stdout "ledger export --csv with filters" ledger export --csv --kind disposal --since 2020-01-01 L
full_stdout "ledger export --html with filters" ledger export --html --person '山田 花子' L
cp L Lc
full_stdout "ledger checkpoint" ledger checkpoint --dir me --passphrase-file pw Lc
# the record was appended before the report could not be: the ledger says so
"$FUIN" ledger verify --dir me Lc >out 2>&1
check "(a) ledger checkpoint > /dev/full: the ledger still verifies, one record more" \
    grep -q "OK: $(($(wc -l <L) + 1)) records" out
full_stdout "wipe --dry-run" wipe --dry-run --class C1 f.txt
full_stdout "help" help
full_stdout "help encrypt" help encrypt
full_stdout "encrypt --help" encrypt --help
full_stdout "--version" --version

# ---- (c) a device as -o: written in place, never replaced
"$FUIN" encrypt -r "$R" -o /dev/full --force f.txt </dev/null >/dev/null 2>err; rc=$?
expect_rc 4 "(c) encrypt -o /dev/full --force"
check "(c) /dev/full is still the device" test -c /dev/full
"$FUIN" decrypt -i k.key -o /dev/full f.age </dev/null >/dev/null 2>err; rc=$?
expect_rc 4 "(c) decrypt -o /dev/full"
check "(c) decrypt: /dev/full is still the device" test -c /dev/full
"$FUIN" encrypt -r "$R" -o /dev/null f.txt </dev/null >/dev/null 2>err; rc=$?
expect_rc 0 "(c) encrypt -o /dev/null (nothing to replace, no --force needed)"
check "(c) /dev/null is still the device" test -c /dev/null
"$FUIN" decrypt -i k.key -o /dev/stdout f.age </dev/null >dev-stdout.out 2>err; rc=$?
expect_rc 0 "(c) decrypt -o /dev/stdout"
check "(c) /dev/stdout: the plaintext" cmp -s f.txt dev-stdout.out

# ---- (b) files on a full file system
if [ "$(id -u)" = 0 ] && mkdir -p small && mount -t tmpfs -o size=1M tmpfs small 2>/dev/null; then
    trap 'umount "$T/small" 2>/dev/null; for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done; rm -rf "$T"' EXIT
    cp f.txt f.age req req.minisig small/ 2>/dev/null
    cp L small/L
    cp -r me small/me 2>/dev/null
    # A ledger whose last page is nearly full, so that the next record needs
    # a new page of the full tmpfs (a smaller one fits in the page's slack
    # and rightly succeeds): checkpoints until the slack is below one record.
    for i in $(seq 20); do
        sz=$(stat -c %s small/L)
        [ $((4096 - sz % 4096)) -lt $(($(tail -n 1 small/L | wc -c) - 16)) ] && break
        "$FUIN" ledger checkpoint --dir me --passphrase-file pw small/L >/dev/null 2>&1
    done
    cp small/L L.full
    head -c 2M /dev/zero >small/filler 2>/dev/null
    sync
    ls -A small | sort >before
    full_fs() { # full_fs DESCRIPTION ARGS...: fails with 4, adds no file
        local d=$1
        shift
        "$FUIN" "$@" </dev/null >out 2>err
        rc=$?
        expect_rc 4 "(b) $d on a full file system"
        ls -A small | sort >after
        check "(b) $d: nothing left behind" cmp -s before after
        check "(b) $d: nothing left in me/" test "$(ls -A small/me | wc -l)" -eq "$(ls -A me | wc -l)"
    }
    full_fs "encrypt -o" encrypt -r "$R" -o small/out.age f.txt
    full_fs "encrypt -a -o" encrypt -r "$R" -a -o small/out.age f.txt
    full_fs "decrypt -o" decrypt -i k.key -o small/out.txt f.age
    full_fs "decrypt armored (5 MiB) -o" decrypt -i k.key -o small/out.txt f5m.asc
    full_fs "encrypt -a (5 MiB) -o" encrypt -a -r "$R" -o small/out.age f5m
    full_fs "keygen -o" keygen -o small/new.key
    full_fs "sign" sign --dir me --passphrase-file pw small/f.txt
    full_fs "key new" key new --name 'X Y' --dir small/newkey --passphrase-file pw
    check "(b) key new: no half identity" test ! -e small/newkey/identity.age
    full_fs "ciso init" ciso init --org "$ORG" --dir small/ciso --passphrase-file rpw
    full_fs "ciso certify -o" ciso certify me/card.pub -o small/c.cert --role staff --until "$UNTIL" --dir ciso --passphrase-file rpw
    cp policy.ini small/ 2>/dev/null
    full_fs "request -o" request disposal --asset A-2 --class C2 --dir me --passphrase-file pw -o small/req2
    full_fs "approve" approve small/req --dir mgr --passphrase-file pw --store S
    full_fs "store init" store init ciso/root.pub --store small/S
    full_fs "ledger record-destruction" ledger record-destruction --asset A-3 --how crushed --class C1 \
        --ledger small/Ld --dir me --passphrase-file pw
    full_fs "ledger checkpoint" ledger checkpoint --dir me --passphrase-file pw small/L
    check "(b) ledger checkpoint: the ledger is as it was" cmp -s L.full small/L
    "$FUIN" ledger verify --dir me small/L >/dev/null 2>&1
    check "(b) ledger checkpoint: the ledger still verifies" test $? -eq 0
    echo junk >junk2
    full_fs "wipe (its ledger)" wipe --yes --class C1 --method zero --dir me --passphrase-file pw \
        --ledger small/L2 junk2
    # standard output redirected to a file there: the error is seen
    "$FUIN" encrypt -r "$R" f.txt >small/redirected.age 2>err </dev/null; rc=$?
    expect_rc 4 "(b) encrypt > file on a full file system"
    rm -f small/redirected.age
    "$FUIN" decrypt -i k.key -o /dev/stdout f.age >small/redirected.txt 2>err </dev/null; rc=$?
    expect_rc 4 "(b) decrypt -o /dev/stdout > file on a full file system"
    rm -f small/redirected.txt
    umount small
else
    echo "SKIP: the full file system cases need root and a tmpfs mount"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
