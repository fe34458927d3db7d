#!/bin/bash
# kill -9 at random points leaves nothing partial behind.
#  (a) decrypt -o, with and without --force over a previous file: the
#      output is absent (or the previous file, intact) or complete;
#  (b) key new: the directory holds no key file that is not whole, and an
#      interrupted set (no card.pub) is recognised by the next key new;
#  (c) ledger append (record-destruction): the ledger always verifies;
#  (d) on FAT (no O_TMPFILE, so a named temporary): SIGINT, SIGTERM, SIGHUP
#      remove it; after kill -9 the next run removes and reports it.
# The random points are reproducible: FUIN_KILL_SEED=N (printed below).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/harness.sh"
sandbox sigkill

seed=${FUIN_KILL_SEED:-$$}
RANDOM=$seed
echo "kill points from FUIN_KILL_SEED=$seed"
kills=0

printf 'staff passphrase long enough 1414\n' >pw
"$FUIN" keygen -o k.key 2>/dev/null
R=$("$FUIN" keygen -y k.key)
head -c 48M /dev/urandom >plain
"$FUIN" encrypt -r "$R" --class C2 -o big.age plain 2>/dev/null
check "setup" test -s big.age

ms_now() { date +%s%3N; }
# how long a whole run takes, in ms (at least 1)
duration() {
    local t0 t1
    t0=$(ms_now)
    "$@" </dev/null >/dev/null 2>&1
    t1=$(ms_now)
    echo $((t1 - t0 > 0 ? t1 - t0 : 1))
}
# kill_at MS CMD...: start CMD, kill -9 it after MS milliseconds
kill_at() {
    local ms=$1
    shift
    "$@" </dev/null >/dev/null 2>kill.err &
    local pid=$!
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    kills=$((kills + 1))
}
only_files() { # only_files DIR NAME...: DIR holds exactly these (sorted)
    local d=$1
    shift
    local want=
    [ $# -gt 0 ] && want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
    [ "$(ls -A "$d" | sort | tr '\n' ' ')" = "$want" ]
}

# ---- (a) decrypt
mkdir -p a
D=$(duration "$FUIN" decrypt -i k.key -o a/probe big.age)
rm -f a/probe
echo "decrypt takes about $D ms"
for i in $(seq 20); do
    ms=$((RANDOM % (D + D / 5 + 1)))
    rm -f a/out
    if [ $((i % 2)) = 0 ]; then
        echo previous >a/out
        kill_at "$ms" "$FUIN" decrypt -i k.key --force -o a/out big.age
        if cmp -s a/out plain; then ok
        elif [ "$(cat a/out 2>/dev/null)" = previous ]; then ok
        else fail "(a) decrypt --force killed at ${ms} ms: a/out is neither the previous file nor the whole plaintext"; fi
    else
        kill_at "$ms" "$FUIN" decrypt -i k.key -o a/out big.age
        if [ ! -e a/out ] || cmp -s a/out plain; then ok
        else fail "(a) decrypt killed at ${ms} ms: a/out is partial ($(stat -c %s a/out) bytes)"; fi
    fi
    if [ -e a/out ]; then
        check "(a) killed at ${ms} ms: nothing but a/out" only_files a out
    else
        check "(a) killed at ${ms} ms: nothing at all" only_files a
    fi
done
# armored input: the plaintext is written by the writer thread
"$FUIN" encrypt -a -r "$R" --class C2 -o big.asc plain 2>/dev/null
D=$(duration "$FUIN" decrypt -i k.key -o a/probe big.asc)
rm -f a/probe
for i in $(seq 10); do
    ms=$((RANDOM % (D + D / 5 + 1)))
    rm -f a/out
    kill_at "$ms" "$FUIN" decrypt -i k.key -o a/out big.asc
    if [ ! -e a/out ] || cmp -s a/out plain; then ok
    else fail "(a) armored decrypt killed at ${ms} ms: a/out is partial ($(stat -c %s a/out) bytes)"; fi
    if [ -e a/out ]; then
        check "(a) armored, killed at ${ms} ms: nothing but a/out" only_files a out
    else
        check "(a) armored, killed at ${ms} ms: nothing at all" only_files a
    fi
done
rm -f big.asc

# ---- (b) key new
D=$(duration "$FUIN" key new --name 'P Q' --dir probe --passphrase-file pw)
rm -rf probe
echo "key new takes about $D ms"
for i in $(seq 20); do
    ms=$((RANDOM % (D + D / 5 + 1)))
    d=kn$i
    kill_at "$ms" "$FUIN" key new --name 'P Q' --dir "$d" --passphrase-file pw
    if [ ! -e "$d" ] || only_files "$d"; then
        ok
    elif only_files "$d" identity.age sign.key sign.pub card.pub; then
        run key show "$d"
        expect_rc 0 "(b) key new killed at ${ms} ms: the whole identity works"
    else
        # whole files, but not all of them: only ever without card.pub
        check "(b) key new killed at ${ms} ms: an incomplete set lacks card.pub" test ! -e "$d/card.pub"
        run key new --name 'P Q' --dir "$d" --passphrase-file pw
        expect_rc 5 "(b) key new over an interrupted one"
        one_line_err "(b) it says so" 'incomplete identity \(no card.pub\): an earlier key new was interrupted'
    fi
    if [ -e "$d/identity.age" ]; then
        run inspect "$d/identity.age"
        expect_rc 0 "(b) killed at ${ms} ms: identity.age is a whole age file"
    fi
    for f in sign.key sign.pub; do
        if [ -e "$d/$f" ]; then
            check "(b) killed at ${ms} ms: $f is whole (two lines)" test "$(wc -l <"$d/$f")" -eq 2
        fi
    done
    check "(b) killed at ${ms} ms: no temporary" sh -c "! ls -A . '$d' 2>/dev/null | grep -q fuin-tmp"
done

# ---- (c) ledger append
"$FUIN" key new --name '山田 花子' --dir me --passphrase-file pw >/dev/null 2>&1
D=$(duration "$FUIN" ledger record-destruction --asset A-0 --how crushed --class C1 \
    --ledger L --dir me --passphrase-file pw)
echo "ledger record-destruction takes about $D ms"
for i in $(seq 20); do
    ms=$((RANDOM % (D + D / 5 + 1)))
    before=$(wc -l <L)
    kill_at "$ms" "$FUIN" ledger record-destruction --asset "A-$i" --how crushed --class C1 \
        --ledger L --dir me --passphrase-file pw
    run ledger verify --dir me L
    expect_rc 0 "(c) killed at ${ms} ms: the ledger verifies"
    after=$(wc -l <L)
    check "(c) killed at ${ms} ms: one record or none was added" \
        test $((after - before)) -ge 0 -a $((after - before)) -le 1
    check "(c) killed at ${ms} ms: the ledger ends with a whole line" \
        test "$(tail -c1 L | od -An -c | tr -d ' ')" = '\n'
done
check "(c) nothing but the ledger and its keys" only_files . L a big.age k.key kill.err \
    $(ls -d kn* 2>/dev/null) me out err plain pw home

# ---- (d) no O_TMPFILE: the named temporary.  A FAT file system where the
# kernel has one; elsewhere the fault library refuses O_TMPFILE in fat/.
mkdir fat
named=()
if [ "$(id -u)" = 0 ] && command -v mkfs.vfat >/dev/null && truncate -s 200M fat.img &&
    mkfs.vfat fat.img >/dev/null && mount -o loop fat.img fat 2>/dev/null; then
    trap 'umount "$T/fat" 2>/dev/null; rm -rf "$T"' EXIT
    echo "(d) on a FAT file system"
elif [ -n "${FUIN_FAULT_SHIM:-}" ] && [ -r "$FUIN_FAULT_SHIM" ]; then
    echo "(d) no FAT here (kernel without vfat): the fault library refuses O_TMPFILE in fat/"
    named=(env LD_PRELOAD="$FUIN_FAULT_SHIM" FUIN_FAULT=notmpfile FUIN_FAULT_DIR="$T/fat"
        ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0")
else
    echo "SKIP: (d) neither a FAT file system nor the fault library (FUIN_FAULT_SHIM)"
    named=(skip)
fi
if [ "${named[0]:-}" != skip ]; then
    D=$(duration "${named[@]}" "$FUIN" decrypt -i k.key -o fat/probe big.age)
    rm -f fat/probe
    echo "decrypt with a named temporary takes about $D ms"
    for sig in INT TERM HUP; do
        # a background job of a script ignores SIGINT: give it back its default
        env --default-signal=INT "${named[@]}" "$FUIN" decrypt -i k.key -o fat/out big.age </dev/null >/dev/null 2>err &
        pid=$!
        for _ in $(seq 300); do ls -A fat | grep -q fuin-tmp && break; sleep 0.01; done
        check "(d) a named temporary while writing (SIG$sig case)" sh -c 'ls -A fat | grep -q fuin-tmp'
        kill -"$sig" "$pid"
        wait "$pid" 2>/dev/null
        check "(d) SIG$sig: the temporary is removed" only_files fat
        rm -f fat/out
    done
    for i in $(seq 10); do
        ms=$((RANDOM % (D + 1)))
        kill_at "$ms" "${named[@]}" "$FUIN" decrypt -i k.key -o fat/out big.age
        if [ -e fat/out ]; then
            check "(d) killed at ${ms} ms: the output is complete" cmp -s fat/out plain
            rm -f fat/out
        fi
        left=$(ls -A fat | grep -c fuin-tmp)
        "${named[@]}" "$FUIN" decrypt -i k.key -o fat/next big.age </dev/null >/dev/null 2>err
        rc=$?
        expect_rc 0 "(d) the run after a kill at ${ms} ms works"
        if [ "$left" -gt 0 ]; then
            check "(d) the next run reports the stale temporary" \
                grep -q 'note: removed 1 stale temporary file (partial output of an interrupted fuin)' err
        else
            check "(d) the next run after a kill at ${ms} ms reports no stale file" sh -c "! grep -q stale err"
        fi
        check "(d) after the next run: only its output" only_files fat next
        rm -f fat/next
    done
    mountpoint -q fat && umount fat
fi

echo "$kills kills"
check "at least 50 kills" test "$kills" -ge 50
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
