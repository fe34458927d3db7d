#!/usr/bin/env bash
# fuin's main jobs, end to end, on made-up keys: the four things staff do
# with it, one script each, run here in one made-up organisation.
#   1. encrypt-attachment.sh  encrypt a 機密性2 attachment; stock age opens it
#   2. sign-release.sh        sign a public release; stock minisign verifies it
#   3. wipe-usb.sh            wipe a (loop-device) USB stick: request, approval,
#                             wipe, ledger, HTML disposal certificate
#   4. send-package.sh        send a package; the receiver verifies and unpacks it
# Usage: bash examples/demo.sh             (installs what is missing, builds)
#        FUIN=/usr/bin/fuin bash examples/demo.sh   (an installed fuin: no build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${FUIN:-}" ]; then
    bash "$here/../scripts/deps.sh"
    cmake -S "$here/.." -B "$here/../build" -DFUIN_WERROR=ON >/dev/null
    cmake --build "$here/../build" -j"$(nproc)" --target fuin_cli >/dev/null
    export FUIN=$here/../build/fuin
fi
for tool in age age-keygen minisign; do
    command -v "$tool" >/dev/null || { echo "demo: $tool is not installed (bash scripts/deps.sh)" >&2; exit 1; }
done
EX=$(mktemp -d)
export EX
trap 'rm -rf "$EX"' EXIT
start=$(date +%s)
echo "fuin: $("$FUIN" --version) ($FUIN)"
for s in encrypt-attachment sign-release wipe-usb send-package; do
    bash "$here/$s.sh"
done
echo
echo "demo finished: four scenarios in $(($(date +%s) - start)) s"
