#!/bin/bash
# Secrets never reach a core dump:
#  - a running fuin is not dumpable (the files in its /proc entry belong to root even
#    when it runs as nobody) and its core size limit is 0;
#  - a forced crash (SIGABRT while decrypting) writes no core file;
#  - with the debug override FUIN_DEBUG_CORE=1 the crash does write a core,
#    and that core holds neither the plaintext being decrypted nor the
#    identity: key material and plaintext live in no-dump memory.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/harness.sh"
sandbox coredump

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
    echo "SKIP: needs root and setpriv (util-linux) to run fuin as nobody"
    exit 77
fi
pattern=$(cat /proc/sys/kernel/core_pattern)
case $pattern in
    core | core.%p | core.* ) ;;
    *)
        echo "SKIP: core_pattern is '$pattern', not a core file in the working directory; the crash cases need it"
        exit 77 ;;
esac
if ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$FUIN"; then
    echo "SKIP: nobody cannot run $FUIN"
    exit 77
fi
chmod 0777 "$T"
nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
ulimit -c unlimited # only fuin itself may switch core dumps off

"$FUIN" keygen -o k.key 2>/dev/null
chmod 0644 k.key
R=$("$FUIN" keygen -y k.key)
SK=$(grep -o 'AGE-SECRET-KEY-1[0-9A-Z]*' k.key)
# 16 MiB of plaintext made of one recognisable line
python3 -c '
import sys
line = b"FUIN-PLAINTEXT-MARKER-0123456789abcdef\n"
sys.stdout.buffer.write(line * (16 * 1024 * 1024 // len(line)))' >plain
"$FUIN" encrypt -r "$R" --class C2 -o big.age plain 2>/dev/null
check "setup: encrypted" test -s big.age
chmod 0644 big.age

# decrypt BIG.AGE to a pipe that nobody reads: fuin blocks in write() with
# plaintext in its buffers; $pid is fuin, $holder keeps the pipe open.
start_decrypt() { # start_decrypt ENV...
    rm -f p && mkfifo -m 0666 p
    (exec 3<p; sleep 120) &
    holder=$!
    # not through a shell function: $! must be fuin itself
    "${nobody[@]}" env "$@" "$FUIN" decrypt -i k.key big.age >p 2>dec.err &
    pid=$!
    for _ in $(seq 100); do
        # blocked writing to the full pipe: the writer thread's wchan says
        # pipe_write
        cat /proc/$pid/task/*/wchan 2>/dev/null | grep -q pipe_write && break
        sleep 0.1
    done
}
stop_decrypt() {
    kill -ABRT "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rc=$?
    kill "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null
}

# ---- default: not dumpable, no core
rm -f core core.*
start_decrypt ASAN_OPTIONS="${ASAN_OPTIONS:-}:disable_coredump=0"
blocked() { cat /proc/$pid/task/*/wchan 2>/dev/null | grep -q pipe_write; }
check "fuin is blocked writing plaintext" blocked
check "not dumpable: /proc/PID/status belongs to root although fuin runs as nobody" \
    test "$(stat -c %u "/proc/$pid/status")" = 0
check "core size limit 0" grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits"
stop_decrypt
check "SIGABRT ended it (exit $rc)" test "$rc" -eq 134
check "no core file written" sh -c '! ls core* >/dev/null 2>&1'

# ---- FUIN_DEBUG_CORE=1: the control.  The core is written, and it holds
# neither plaintext nor the key.
rm -f core core.*
start_decrypt FUIN_DEBUG_CORE=1 ASAN_OPTIONS="${ASAN_OPTIONS:-}:disable_coredump=0"
check "control: fuin is blocked writing plaintext" blocked
check "control: /proc/PID/status belongs to nobody" test "$(stat -c %u "/proc/$pid/status")" = 65534
stop_decrypt
core=$(ls core* 2>/dev/null | head -1)
if [ -n "$core" ] && [ -s "$core" ]; then
    ok
    check "control: the core holds no plaintext" sh -c "! grep -aq FUIN-PLAINTEXT-MARKER '$core'"
    check "control: the core holds no identity" sh -c "! grep -aq '$SK' '$core'"
    # a core that holds anything at all: the program's own strings
    check "control: the core is a real core (holds fuin's strings)" grep -aq 'fuin' "$core"
else
    bad "control: FUIN_DEBUG_CORE=1 should let the crash write a core (exit $rc)"
fi
rm -f core core.*

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
