#!/usr/bin/env bash
# Install everything fuin, its tests, fuzzers and benchmarks need on a
# fresh minimal Debian 12 (mmdebstrap --variant=minbase), as root.  Every
# package is named here: nothing may rely on a package being there already
# or on a Recommends (apt-get runs with --no-install-recommends, as on a
# minimal machine).  Only what is missing is installed; nothing comes from
# anywhere but the Debian archive.
#
#   bash scripts/deps.sh           install what is missing, then --check
#   bash scripts/deps.sh --check   only check; exit 1 naming what is absent
set -eu

# Build: compiler, CMake, and the libraries fuin links.
build="build-essential cmake pkg-config libsodium-dev libjansson-dev
       libinih-dev libpwquality-dev libcrack2-dev libarchive-dev libssl-dev
       libunistring-dev libzip-dev nettle-dev libzstd-dev libxml2-dev
       libqpdf-dev"
# Run time: libpwquality only *recommends* cracklib-runtime, which builds
# the dictionary (/var/cache/cracklib/cracklib_dict.*) that every new
# passphrase is checked against; without it no key can be made.
runtime="cracklib-runtime"
# Tests: cmocka, zlib (testkit payload hashes), the peers fuin must
# interoperate with, python3 (pseudo-terminals, JSON), groff (man page),
# faketime (certificate validity), FUSE (a failing disk), the label peers
# (exiftool, python-docx, openpyxl, odfpy and reportlab make and read
# documents; exiftool reads zip-based ones only with libarchive-zip-perl,
# which it merely recommends; qpdf checks PDFs, getfattr reads extended attributes),
# util-linux and e2fsprogs (loop devices, blkdiscard, mkfs.ext4, unshare), dosfstools (a
# FAT file system has no O_TMPFILE: the named-temporary path), binutils (nm).
tests="libcmocka-dev zlib1g-dev age minisign 7zip libarchive-tools python3
       groff-base faketime libfuse3-dev fuse3 util-linux mount e2fsprogs
       dosfstools binutils libimage-exiftool-perl libarchive-zip-perl python3-docx
       python3-openpyxl python3-odf python3-reportlab qpdf attr rsyslog"
# Fuzzing and benchmarks.  clang's libFuzzer and sanitizer runtimes are
# in libclang-rt-14-dev, which clang only recommends.
tools="clang libclang-rt-14-dev hyperfine time"

pkgs="$build $runtime $tests $tools"

# Commands and files that must be there afterwards (what the packages
# above are for), so that a test never skips for want of a package.
need_cmds="cc c++ cmake pkg-config clang age age-keygen minisign 7zz bsdtar
           python3 groff faketime fusermount3 losetup blkdiscard mkfs.ext4
           mkfs.vfat unshare setsid nm hyperfine cracklib-packer exiftool qpdf
           getfattr setfattr rsyslogd"
need_files="/usr/bin/time /var/cache/cracklib/cracklib_dict.pwd
            /var/cache/cracklib/cracklib_dict.pwi /usr/include/crack.h
            /usr/include/cmocka.h /usr/include/fuse3/fuse.h
            /usr/include/archive.h /usr/include/openssl/evp.h /usr/include/uninorm.h
            /usr/include/zip.h /usr/include/libxml2/libxml/parser.h
            /usr/include/qpdf/qpdf-c.h
            /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a"

check() {
    local absent="" c f p
    for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            absent="$absent package:$p"
    done
    for c in $need_cmds; do
        command -v "$c" >/dev/null 2>&1 || absent="$absent command:$c"
    done
    for f in $need_files; do
        [ -r "$f" ] || absent="$absent file:$f"
    done
    if [ -n "$absent" ]; then
        echo "deps: missing after installation:$absent" >&2
        return 1
    fi
    echo "deps: all build, run-time and test dependencies are present"
}

if [ "${1:-}" = "--check" ]; then
    check
    exit
fi

missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    [ "$(id -u)" = 0 ] || { echo "deps: run as root to install:$missing" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    echo "deps: installing$missing"
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
check
