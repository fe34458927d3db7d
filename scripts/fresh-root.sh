#!/usr/bin/env bash
# Run a command in a brand-new minimal Debian 12 root, as a new machine
# would see this project: nothing installed by hand on this machine is
# there.  This is what CI runs (.ci/run), and what a developer runs before
# resolving an issue.
#
#   bash scripts/fresh-root.sh                  # the README's two commands
#   bash scripts/fresh-root.sh 'bash scripts/test.sh'
#
# As root, from a git checkout.  Steps:
#  1. Debian's own mmdebstrap (installed from the archive if missing) builds
#     a `--variant=minbase` bookworm root with the archive's bookworm,
#     bookworm-updates and bookworm-security.  The tarball is cached in
#     $FUIN_FRESH_CACHE (default /var/cache/fuin-fresh-root) for a day, so
#     that security updates arrive; delete it to rebuild at once.
#  2. A clean `git clone` of HEAD goes to /work/src inside (uncommitted
#     changes are NOT tested; a warning says so), and ../shared, when it
#     exists, to /work/shared, so relative paths behave as in CI.
#  3. In a private mount namespace: the root bound onto itself (so that "/"
#     is a mount point, as on a real machine), /proc, /sys and /dev (loop
#     devices, FUSE, pseudo-terminals), a new tmpfs on /tmp and /dev/shm; then
#     chroot with an empty environment (PATH, HOME=/root, LANG=C.UTF-8,
#     CI=true, TERM=dumb) and stdin from /dev/null.
#  4. The root is deleted afterwards, whatever happened.
# Downloaded .deb files are kept in the cache between runs (apt checks each
# against the archive's signed index before installing it), which only saves
# download time: every package is installed anew in every root.
# Exit status: the command's; 2 if the root could not be made.
set -euo pipefail

die() { echo "fresh-root: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "run as root (mmdebstrap, chroot and mounts need it)"
proj=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel 2>/dev/null) ||
    die "not inside a git checkout"
cd "$proj"

# The README's two commands, as written there, unless a command is given.
readme_commands() {
    sed -n '1,12{/^    bash /{s/[[:space:]]*#.*$//;s/^    //;p}}' README.md
}
if [ "$#" -gt 0 ]; then
    cmd=$*
else
    mapfile -t lines < <(readme_commands)
    [ "${#lines[@]}" -eq 2 ] ||
        die "README.md must open with two indented 'bash ...' commands (found ${#lines[@]})"
    cmd="${lines[0]} && ${lines[1]}"
fi

if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    echo "fresh-root: warning: uncommitted changes are not tested (a clean clone of HEAD is)" >&2
fi

cache=${FUIN_FRESH_CACHE:-/var/cache/fuin-fresh-root}
base=$cache/bookworm-minbase.tar
mkdir -p "$cache/debs/partial"
if [ ! -s "$base" ] || [ -n "$(find "$base" -mmin +1440 2>/dev/null)" ]; then
    if ! command -v mmdebstrap >/dev/null; then
        echo "fresh-root: installing mmdebstrap from the Debian archive" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
    fi
    echo "fresh-root: building a minimal Debian 12 root with mmdebstrap" >&2
    t0=$(date +%s)
    mmdebstrap --mode=root --format=tar --variant=minbase bookworm "$base.part" \
        >"$cache/mmdebstrap.log" 2>&1 ||
        { tail -n 20 "$cache/mmdebstrap.log" >&2; die "mmdebstrap failed (log: $cache/mmdebstrap.log)"; }
    mv "$base.part" "$base"
    echo "fresh-root: base system built in $(( $(date +%s) - t0 )) s" >&2
fi

root=$(mktemp -d /var/tmp/fuin-fresh-root.XXXXXX)
cleanup() {
    # Mounts live only in the private namespace below; never delete through
    # one that leaked into this namespace.
    if findmnt -rn -o TARGET | grep -q "^$root"; then
        echo "fresh-root: mounts left under $root; not deleting it" >&2
        return
    fi
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT
tar -xf "$base" -C "$root"
mkdir -p "$root/work"
git clone -q "$proj" "$root/work/src"
if [ -d "$proj/../shared" ]; then
    cp -a "$proj/../shared" "$root/work/shared"
else
    echo "fresh-root: warning: ../shared is absent; tests that read it will skip" >&2
fi
# Name resolution for apt inside, nothing else of this machine's.
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
# .ci/run inside this root runs the commands directly instead of nesting.
echo "made by scripts/fresh-root.sh on $(date -u +%FT%TZ)" >"$root/etc/fuin-fresh-root"

echo "fresh-root: running '$cmd' in /work/src of a fresh Debian $(cat "$root/etc/debian_version")" >&2
t0=$(date +%s)
set +e
unshare -m --propagation private bash -c '
    r=$1 debs=$2 cmd=$3
    mount --bind "$r" "$r" &&
    mount -t proc proc "$r/proc" &&
    mount --rbind /sys "$r/sys" &&
    mount --rbind /dev "$r/dev" &&
    mount -t tmpfs -o mode=1777 tmpfs "$r/dev/shm" &&
    mount -t tmpfs -o mode=1777 tmpfs "$r/tmp" &&
    mount --bind "$debs" "$r/var/cache/apt/archives" &&
    exec chroot "$r" /usr/bin/env -i \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 CI=true TERM=dumb \
        bash -c "cd /work/src && $cmd" </dev/null
' _ "$root" "$cache/debs" "$cmd"
rc=$?
set -e
echo "fresh-root: exit $rc after $(( $(date +%s) - t0 )) s" >&2
exit "$rc"
