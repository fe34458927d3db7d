#!/bin/bash
# fuin never blames the user for its own environment.  What this machine
# must provide (cracklib's dictionary, /proc, the device tools) is checked
# before anyone is asked for anything; when it is missing the command exits
# 7 with one line naming the file or program and the Debian package that
# provides it, and nothing is created or erased.
#
# The missing pieces are made without touching system files: a signed
# policy points [passphrase] dictionary at a path that does not exist, and
# (as root) a private mount namespace hides /var/cache/cracklib or /proc.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/harness.sh"
sandbox cli-env

# hide TARGET CMD...: run CMD with an empty tmpfs over TARGET, in a private
# mount namespace, so that nothing on this machine changes.  Where "/" is
# not a mount point (a chroot) the namespace's mounts must already be
# private, or the tmpfs could show outside: then 99 and nothing is done.
hide() {
    unshare -m --propagation unchanged sh -c '
        t=$1; shift
        mount --make-rprivate / 2>/dev/null ||
            [ "$(findmnt -no PROPAGATION -T "$t")" = private ] || exit 99
        mount -t tmpfs none "$t" || exit 98
        exec "$@"' _ "$@"
}
# Without /proc the sanitizer runtime of the ASan build cannot even read
# its options (it reads them from /proc/self/environ), so LeakSanitizer
# fails at exit and sets the exit status: there the status is not
# checked (a visible SKIP), and its own "==PID==" lines are not fuin's.
asan=0
if command -v nm >/dev/null && nm "$FUIN" 2>/dev/null | grep -q ' __asan_init'; then
    asan=1
fi
noproc() {
    hide /proc "$@"
    local r=$?
    sed -i '/^==[0-9]*==/d' err
    return $r
}
expect_rc_noproc() { # expect_rc_noproc N DESCRIPTION
    if [ "$asan" = 1 ]; then
        echo "SKIP: $2: the exit status under AddressSanitizer without /proc is the sanitizer's"
    else
        expect_rc "$1" "$2"
    fi
}
can_hide=0
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && hide /var/cache true 2>/dev/null; then
    can_hide=1
fi

ORG='〇〇事務組合'
printf 'root passphrase long enough 2718\n' >rpw
printf 'staff passphrase long enough 1414\n' >pw

# A root and a store whose signed policy names a dictionary that is not
# there.
run ciso init --org "$ORG" --dir ciso --passphrase-file rpw
expect_rc 0 "ciso init"
mkdir -p store/certs
cp ciso/root.pub store/
printf '[organisation]\nname = %s\n[passphrase]\ndictionary = %s/absent/words\n' \
    "$ORG" "$T" >store/policy.ini
run ciso sign-policy store/policy.ini --dir ciso --passphrase-file rpw
expect_rc 0 "ciso sign-policy with a dictionary path"
run policy show --store store
expect_rc 0 "policy show"
check "policy show: the dictionary and its line" \
    grep -qx "dictionary = $T/absent/words ; store/policy.ini:4" out

want="cannot check passphrases: the cracklib dictionary $T/absent/words\.pwd is missing \(named by store/policy\.ini:4: \[passphrase\] dictionary; build it with cracklib-packer from cracklib-runtime, or ask the CISO\)"

# key new: exit 7, one line, nothing created.
run key new --name '山田 花子' --dir me --store store --passphrase-file pw
expect_rc 7 "key new, dictionary missing"
one_line_err "key new: names the file and what provides it" "^fuin: key: $want\$"
check "key new: no key files" test ! -e me/identity.age -a ! -e me/sign.key -a ! -e me/card.pub
check "key new: not called a weak passphrase" sh -c '! grep -q "too weak" err'
# Asked before the person: with no terminal and no passphrase file the
# answer is still the environment, not "no terminal".
setsid "$FUIN" key new --name '山田 花子' --dir me2 --store store </dev/null >out 2>err; rc=$?
expect_rc 7 "key new without a terminal: the environment is checked first"
one_line_err "key new without a terminal" "^fuin: key: $want\$"

# ciso init and key passwd: the same, before any passphrase is read.
run ciso init --org "$ORG" --dir ciso2 --store store --passphrase-file rpw
expect_rc 7 "ciso init, dictionary missing"
one_line_err "ciso init: names the file" "^fuin: ciso: $want\$"
check "ciso init: no root key" test ! -e ciso2/root.key
run key new --name '佐藤 一郎' --dir sato --passphrase-file pw
expect_rc 0 "key new with the system dictionary"
cp -p sato/identity.age sato/sign.key .
setsid "$FUIN" key passwd --dir sato --store store </dev/null >out 2>err; rc=$?
expect_rc 7 "key passwd, dictionary missing (before the current passphrase)"
one_line_err "key passwd: names the file" "^fuin: key: $want\$"
check "key passwd: identity unchanged" cmp -s identity.age sato/identity.age
check "key passwd: signing key unchanged" cmp -s sign.key sato/sign.key

# The system dictionary itself missing, as on a machine without
# cracklib-runtime: hidden in a private mount namespace (root only).
if [ "$can_hide" = 1 ]; then
    hide /var/cache/cracklib \
        "$FUIN" key new --name '鈴木 次郎' --dir suzuki --passphrase-file pw \
        </dev/null >out 2>err
    rc=$?
    expect_rc 7 "key new without cracklib-runtime"
    one_line_err "no cracklib-runtime: says what to install" \
        '^fuin: key: cannot check passphrases: the cracklib dictionary /var/cache/cracklib/cracklib_dict\.pwd is missing \(install the Debian package cracklib-runtime\)$'
    check "no cracklib-runtime: no key files" test ! -e suzuki/identity.age
else
    echo "SKIP: hiding /var/cache/cracklib needs root and a private mount namespace (unshare -m); the system-dictionary message is checked in test_policy only"
fi

# A device cannot be wiped when /proc is missing: nobody could tell whether
# it is mounted (root and a loop device only).
if [ "$can_hide" = 1 ] && command -v losetup >/dev/null &&
    truncate -s 8M img && dev=$(losetup -f --show img 2>/dev/null); then
    loops+=("$dev")
    printf 'FUIN-CANARY-env' | dd of=img bs=1 seek=4096 conv=notrunc status=none
    noproc \
        "$FUIN" wipe --yes --class C1 --method zero --verify none --dir sato \
        --passphrase-file pw --ledger L "$dev" </dev/null >out 2>err
    rc=$?
    expect_rc_noproc 7 "wipe without /proc"
    one_line_err "wipe without /proc: says why" \
        "^fuin: wipe: $dev: refused: cannot read /proc/self/mountinfo \(No such file or directory; is /proc mounted\?\), so nobody can tell whether the device is in use\$"
    check "wipe without /proc: canary intact" grep -aq FUIN-CANARY-env img
    check "wipe without /proc: no record" test ! -e L
    noproc \
        "$FUIN" wipe --dry-run --class C1 "$dev" </dev/null >out 2>err
    rc=$?
    expect_rc_noproc 7 "wipe --dry-run without /proc"
    # The same device with /proc: allowed (the control case).
    run wipe --dry-run --class C1 "$dev"
    expect_rc 0 "wipe --dry-run with /proc"
    # sysfs missing: the device cannot be described.
    hide /sys \
        "$FUIN" wipe --dry-run --class C1 "$dev" </dev/null >out 2>err
    rc=$?
    expect_rc 7 "wipe without /sys"
    one_line_err "wipe without /sys: says why" \
        "^fuin: wipe: $dev: cannot describe the device: /sys/dev/block is missing \(is sysfs mounted at /sys\?\)\$"
else
    echo "SKIP: the /proc and /sys cases need root, a private mount namespace and a loop device"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
