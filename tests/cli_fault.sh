#!/bin/bash
# Faults in the middle of encrypt, decrypt, sign, wipe and ledger append,
# given by the fault library (tests/fault.c, LD_PRELOAD) to files below
# one directory, and a read-only file system:
#  - ENOSPC and EIO at the first and at a middle write, EIO on reading the
#    input, a failing fsync: exit 4 with one line naming the error, no
#    output left, the ledger intact;
#  - short writes and EINTR are no errors: the output is whole and right.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/harness.sh"
sandbox fault

if [ -z "${FUIN_FAULT_SHIM:-}" ] || [ ! -r "$FUIN_FAULT_SHIM" ]; then
    echo "SKIP: the fault library (FUIN_FAULT_SHIM) was not built"
    exit 77
fi
printf 'staff passphrase long enough 1414\n' >pw
"$FUIN" keygen -o k.key 2>/dev/null
R=$("$FUIN" keygen -y k.key)
"$FUIN" key new --name '山田 花子' --dir me --passphrase-file pw >/dev/null 2>&1
head -c 8M /dev/urandom >plain
"$FUIN" encrypt -r "$R" --class C2 -o big.age plain 2>/dev/null
"$FUIN" ledger record-destruction --asset A-0 --how crushed --class C1 --ledger L \
    --dir me --passphrase-file pw >/dev/null 2>&1
check "setup" test -s big.age -a -s L -a -s me/card.pub
mkdir f in
cp big.age in/

# faulty MODE DIR ARGS...: run fuin with the fault library on DIR
faulty() {
    local mode=$1 dir=$2
    shift 2
    env LD_PRELOAD="$FUIN_FAULT_SHIM" FUIN_FAULT="$mode" FUIN_FAULT_DIR="$T/$dir" \
        FUIN_FAULT_COUNT="$T/count" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
        "$FUIN" "$@" </dev/null >out 2>err
    rc=$?
}
writes_of() { # writes_of DIR ARGS...: how many writes below DIR a clean run makes
    local dir=$1
    shift
    faulty count "$dir" "$@"
    cut -d' ' -f1 count
}
empty_dir() { [ -z "$(ls -A "$1")" ]; }
# one_error DESCRIPTION REGEX: besides decrypt's label notice, one line
one_error() {
    grep -v ': label: ' err >err.1
    mv err.1 err
    one_line_err "$@"
}
ledger_ok() { # ledger_ok FILE RECORDS
    "$FUIN" ledger verify --dir me "$1" >/dev/null 2>&1 && [ "$(wc -l <"$1")" -eq "$2" ]
}

# ---- encrypt and decrypt: the output file
for op in encrypt decrypt; do
    if [ $op = encrypt ]; then args=(encrypt -r "$R" --class C2 -o f/out plain)
    else args=(decrypt -i k.key -o f/out big.age); fi
    W=$(writes_of f "${args[@]}")
    check "$op: the clean run wrote through the library (writes: $W)" test "$W" -ge 2
    rm -f f/out
    for m in "enospc@1:No space left on device" "enospc@$((W / 2)):No space left on device" \
        "enospc@$((W / 2))+partial:No space left on device" \
        "eio@$((W / 2)):Input/output error" "fsync:Input/output error"; do
        mode=${m%%:*} msg=${m#*:}
        faulty "$mode" f "${args[@]}"
        expect_rc 4 "$op with $mode"
        one_error "$op with $mode" "$msg"
        check "$op with $mode: nothing left in f/" empty_dir f
    done
    for mode in short eintr; do
        faulty "$mode" f "${args[@]}"
        expect_rc 0 "$op with $mode writes"
        if [ $op = encrypt ]; then
            "$FUIN" decrypt -i k.key -o dec f/out 2>/dev/null
            check "$op with $mode writes: the file decrypts to the plaintext" cmp -s dec plain
            rm -f dec
        else
            check "$op with $mode writes: the plaintext, whole" cmp -s f/out plain
        fi
        rm -f f/out
    done
done

# decrypt: the input fails to read half way
faulty count in decrypt -i k.key -o f/out in/big.age
Rd=$(cut -d' ' -f2 count)
rm -f f/out
faulty "readeio@$((Rd / 2))" in decrypt -i k.key -o f/out in/big.age
expect_rc 4 "decrypt with EIO reading the input"
one_error "decrypt with EIO reading the input" 'read failed: Input/output error'
check "decrypt with EIO reading the input: no output" empty_dir f

# ---- sign: the signature beside the file
cp plain f/doc
for m in "enospc@1:No space left on device" "eio@1:Input/output error" "fsync:Input/output error"; do
    mode=${m%%:*} msg=${m#*:}
    faulty "$mode" f sign --dir me --passphrase-file pw f/doc
    expect_rc 4 "sign with $mode"
    one_line_err "sign with $mode" "$msg"
    check "sign with $mode: no signature left" test ! -e f/doc.minisig
done
faulty short f sign --dir me --passphrase-file pw f/doc
expect_rc 0 "sign with short writes"
check "sign with short writes: stock minisign verifies" \
    minisign -Vm f/doc -p me/sign.pub -q
rm -f f/doc f/doc.minisig

# ---- ledger append: the ledger in the faulty directory
cp L f/L
for m in "enospc@1:No space left on device" "enospc@1+partial:No space left on device" \
    "eio@1:Input/output error"; do
    mode=${m%%:*} msg=${m#*:}
    faulty "$mode" f ledger record-destruction --asset A-1 --how crushed --class C1 \
        --ledger f/L --dir me --passphrase-file pw
    expect_rc 4 "ledger append with $mode"
    check "ledger append with $mode: says so" grep -q "LEDGER APPEND FAILED.*$msg" err
    check "ledger append with $mode: the ledger verifies, unchanged" ledger_ok f/L 1
done
faulty short f ledger record-destruction --asset A-1 --how crushed --class C1 \
    --ledger f/L --dir me --passphrase-file pw
expect_rc 0 "ledger append with short writes"
check "ledger append with short writes: verifies with the new record" ledger_ok f/L 2
faulty fsync f ledger record-destruction --asset A-2 --how crushed --class C1 \
    --ledger f/L --dir me --passphrase-file pw
expect_rc 4 "ledger append with a failing fsync"
check "ledger append with a failing fsync: the ledger still verifies" \
    sh -c '"$0" ledger verify --dir me f/L >/dev/null' "$FUIN"
rm -f f/L
# a new ledger that cannot be written does not appear at all
faulty enospc@1 f ledger record-destruction --asset A-3 --how crushed --class C1 \
    --ledger f/new --dir me --passphrase-file pw
expect_rc 4 "a new ledger on a full disk"
check "a new ledger on a full disk: no file" empty_dir f

# ---- wipe: a file in the faulty directory, the ledger outside it
cp L L2
head -c 3M /dev/urandom >f/junk
W=$(writes_of f wipe --yes --class C1 --method zero --dir me --passphrase-file pw --ledger L2 f/junk)
check "wipe: the clean run wrote (writes: $W)" test "$W" -ge 1
check "wipe: the clean run recorded" ledger_ok L2 2
head -c 3M /dev/urandom >f/junk
for m in "enospc@$(((W + 1) / 2))" "eio@$(((W + 1) / 2))"; do
    n=$(wc -l <L2)
    faulty "$m" f wipe --yes --class C1 --method zero --dir me --passphrase-file pw --ledger L2 f/junk
    expect_rc 4 "wipe with $m"
    check "wipe with $m: the failure is recorded and the ledger verifies" ledger_ok L2 $((n + 1))
    check "wipe with $m: recorded as a failure" sh -c "tail -1 L2 | grep -q '\"result\":\"failure\"'"
    check "wipe with $m: the file is not removed unwiped" test -e f/junk
done
for mode in short eintr; do
    n=$(wc -l <L2)
    faulty "$mode" f wipe --yes --class C1 --method zero --dir me --passphrase-file pw --ledger L2 f/junk
    expect_rc 0 "wipe with $mode writes"
    check "wipe with $mode writes: the file is gone" test ! -e f/junk
    check "wipe with $mode writes: recorded as success" sh -c "tail -1 L2 | grep -q '\"result\":\"success\"'"
    check "wipe with $mode writes: the ledger verifies" ledger_ok L2 $((n + 1))
    head -c 3M /dev/urandom >f/junk
done
rm -f f/junk
# the ledger append of a wipe fails: the wipe is done, the record is not
cp L f/L3
head -c 1M /dev/urandom >junk
faulty enospc@1 f wipe --yes --class C1 --method zero --dir me --passphrase-file pw --ledger f/L3 junk
expect_rc 4 "wipe whose ledger append fails"
check "wipe whose ledger append fails: says the wipe is NOT recorded" grep -q 'is NOT recorded' err
check "wipe whose ledger append fails: the ledger verifies, unchanged" ledger_ok f/L3 1
rm -f f/L3 junk

# ---- a read-only file system
if [ "$(id -u)" = 0 ] && mkdir ro && mount -t tmpfs -o size=16M tmpfs ro 2>/dev/null; then
    trap 'umount "$T/ro" 2>/dev/null; rm -rf "$T"' EXIT
    cp plain ro/doc
    cp L ro/L
    mount -o remount,ro ro
    for c in "encrypt -r $R --class C2 -o ro/out plain" "decrypt -i k.key -o ro/out big.age" \
        "sign --dir me --passphrase-file pw ro/doc"; do
        # shellcheck disable=SC2086
        run $c
        expect_rc 4 "read-only: ${c%% *}"
        one_error "read-only: ${c%% *}" 'Read-only file system'
    done
    run ledger record-destruction --asset A-9 --how crushed --class C1 --ledger ro/L \
        --dir me --passphrase-file pw
    expect_rc 4 "read-only: ledger append"
    check "read-only: ledger append says so" grep -q 'LEDGER APPEND FAILED.*Read-only file system' err
    run wipe --yes --class C1 --method zero --dir me --passphrase-file pw --ledger L ro/doc
    expect_rc 4 "read-only: wipe"
    check "read-only: wipe says so" grep -q 'Read-only file system' err
    check "read-only: nothing changed" sh -c 'ls -A ro | sort | tr "\n" " " | grep -qx "L doc "'
    check "read-only: the ledger verifies" ledger_ok ro/L 1
    umount ro
else
    echo "SKIP: the read-only file system cases need root and a tmpfs mount"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
