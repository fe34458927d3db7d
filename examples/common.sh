# shellcheck shell=bash
# Sourced by the example scripts.  Finds (or builds) the fuin program and
# sets up a made-up organisation in a scratch directory: a CISO root key,
# three certified members of staff with their own trust stores.  Each person
# is a home directory of their own (HOME=$EX/NAME), as on their own PC.
#
#   FUIN=/usr/bin/fuin bash examples/X.sh   use an installed program (no build)
#   EX=DIR                                  reuse the organisation made in DIR
#                                           (demo.sh runs every example in one)
set -euo pipefail
EX_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ -z "${FUIN:-}" ]; then
    if [ ! -x "$EX_SRC/build/fuin" ]; then
        echo "building fuin (cmake, build/)..."
        cmake -S "$EX_SRC" -B "$EX_SRC/build" -DFUIN_WERROR=ON >/dev/null
        cmake --build "$EX_SRC/build" -j"$(nproc)" --target fuin_cli >/dev/null
    fi
    FUIN=$EX_SRC/build/fuin
fi
command -v "$FUIN" >/dev/null || { echo "example: no fuin program at '$FUIN'" >&2; exit 1; }
FUIN=$(command -v "$FUIN")
export FUIN

EX_OWN=
if [ -z "${EX:-}" ]; then
    EX=$(mktemp -d) EX_OWN=1
fi
# on_exit CMD: run CMD when the script ends (then remove a scratch
# directory of its own)
on_exit() {
    # shellcheck disable=SC2064
    trap "$1; [ -z '$EX_OWN' ] || rm -rf '$EX'" EXIT
}
on_exit :
export EX

ORG='〇〇広域事務組合'
YAMADA='山田 花子'
SATO='佐藤 一郎'
KANRI='管理 次郎'

# Bold headings on a terminal, plain text in a pipe or a log.
if [ -t 1 ]; then B=$(printf '\033[1m') N=$(printf '\033[0m'); else B='' N=''; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
say() { printf '   %s\n' "$*"; }
# q ARG...: the arguments as a person would type them (quoted where needed)
q() {
    local a out=
    for a in "$@"; do
        a=${a//$EX\//}
        case $a in
        '' | *[[:space:]\'\"\$\`\\\|\&\;\(\)\<\>\*\?\[\]]*) a="'${a//\'/\'\\\'\'}'" ;;
        esac
        out+=${out:+ }$a
    done
    printf '%s' "$out"
}
# show CMD...: print the command as a person would type it, then run it
show() {
    printf '   $ %s\n' "$(q "$@")"
    "$@" 2>&1 | sed "s#$EX/##g"
}
# as WHO CMD...: run fuin as WHO (their HOME, as on their own PC), showing
# the command; what fuin says on standard error is shown in order
as() {
    local who=$1
    shift
    printf '   [%s]$ fuin %s\n' "$who" "$(q "$@")"
    HOME=$EX/$who "$FUIN" "$@" 2>&1 | sed "s#$EX/##g"
}
# said FILE: the last thing fuin said in FILE (its error line), scratch paths cut
said() { grep '^fuin:' "$1" | tail -n 1 | sed "s#$EX/##g"; }
# quietly WHO CMD...: the same without showing it (setup steps)
quietly() {
    local who=$1 log
    shift
    log=$EX/.log
    HOME=$EX/$who "$FUIN" "$@" </dev/null >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
}

# The made-up organisation, once per scratch directory.  Passphrases are
# files the people "type" (never on argv, never in the environment).
org_setup() {
    [ -e "$EX/.org-ready" ] && return 0
    local who role until
    cd "$EX"
    for who in ciso yamada sato kanri; do mkdir -p "$who"; done
    printf 'root passphrase long enough 2718\n' >ciso/pass
    printf 'yamada passphrase long enough 1414\n' >yamada/pass
    printf 'sato passphrase long enough 1732\n' >sato/pass
    printf 'kanri passphrase long enough 2236\n' >kanri/pass
    chmod 600 ./*/pass
    step "0. Setting up a made-up body, $ORG: a CISO root key, three certified staff"
    quietly ciso ciso init --org "$ORG" --passphrase-file "$EX/ciso/pass"
    mkdir -p web
    cp ciso/.config/fuin/ciso/root.pub web/root.pub
    until=$(date -u -d '+200 days' +%Y-%m-%d)
    for who in yamada:staff:"$YAMADA":yamada sato:staff:"$SATO":sato kanri:manager:"$KANRI":kanri; do
        IFS=: read -r who role name mail <<<"$who"
        quietly "$who" key new --name "$name" --email "$mail@example.lg.jp" --passphrase-file "$EX/$who/pass"
        cp "$who/.config/fuin/card.pub" "ciso/$who.pub"
        quietly ciso ciso certify "$EX/ciso/$who.pub" --role "$role" --until "$until" --passphrase-file "$EX/ciso/pass"
        cp "ciso/$who.cert" "$who/.config/fuin/card.cert"
        cp "ciso/$who.cert.minisig" "$who/.config/fuin/card.cert.minisig"
        say "$name: key made, certified by the CISO as $role until $until"
    done
    for who in yamada sato kanri; do
        quietly "$who" store init "$EX/web/root.pub" --store "$EX/$who/store"
        quietly "$who" store add "$EX/ciso/yamada.cert" "$EX/ciso/sato.cert" "$EX/ciso/kanri.cert" \
            --store "$EX/$who/store"
    done
    say "every PC trusts the CISO's root.pub (published on the body's web site: web/root.pub)"
    touch "$EX/.org-ready"
}
