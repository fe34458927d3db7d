#!/usr/bin/env bash
# Install fuin's build and test dependencies (Debian 12, as root).  Only
# what is missing is installed; nothing is downloaded from elsewhere.
set -eu
pkgs="build-essential cmake pkg-config clang libsodium-dev libjansson-dev
      libcmocka-dev zlib1g-dev libinih-dev libpwquality-dev libfuse3-dev fuse3 age minisign 7zip libarchive-tools hyperfine
      python3 groff-base time util-linux faketime"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
