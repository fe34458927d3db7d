# The setup of the package tests (sourced after harness.sh and sandbox):
# a CISO root, two certified staff keys (山田, 佐藤) and their trust stores.
# Sets ROOT, YS and SS (as(), from harness.sh, runs fuin as a person).
# shellcheck shell=bash
ORG='〇〇事務組合'
printf 'root passphrase long enough 2718\n' >rpw
printf 'yamada passphrase long enough 1414\n' >ypw
printf 'sato passphrase long enough 1732\n' >spw
for who in ciso yamada sato citizen; do mkdir -p "$T/$who"; done
as ciso ciso init --org "$ORG" --passphrase-file "$T/rpw"
expect_rc 0 "ciso init"
ROOT=$T/ciso/.config/fuin/ciso/root.pub
as yamada key new --name '山田 花子' --email yamada@example.lg.jp --passphrase-file "$T/ypw"
expect_rc 0 "yamada: key new"
as sato key new --name '佐藤 一郎' --email sato@example.lg.jp --passphrase-file "$T/spw"
expect_rc 0 "sato: key new"
UNTIL=$(date -u -d '+200 days' +%Y-%m-%d)
for who in yamada sato; do
    cp "$who/.config/fuin/card.pub" "ciso/$who.pub"
    as ciso ciso certify "$T/ciso/$who.pub" --role staff --until "$UNTIL" --passphrase-file "$T/rpw"
    expect_rc 0 "certify $who"
    cp "ciso/$who.cert" "$who/.config/fuin/card.cert"
    cp "ciso/$who.cert.minisig" "$who/.config/fuin/card.cert.minisig"
done
for who in yamada sato; do
    as "$who" store init "$ROOT" --store "$T/$who/store"
    expect_rc 0 "$who: store init"
    as "$who" store add "$T/ciso/yamada.cert" "$T/ciso/sato.cert" --store "$T/$who/store"
    expect_rc 0 "$who: store add"
done
YS=$T/yamada/store SS=$T/sato/store
