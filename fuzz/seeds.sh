#!/usr/bin/env bash
# Extract the age files of the C2SP testkit into seed corpora (not committed).
# usage: fuzz/seeds.sh TESTKIT_DIR OUT_DIR
set -eu
kit=$1 out=$2
mkdir -p "$out/header" "$out/armor" "$out/label"
for f in "$kit"/*; do
  name=$(basename "$f")
  [ "$name" = README.md ] && continue
  grep -aq '^compressed: zlib' "$f" && continue
  python3 - "$f" "$out" "$name" <<'PY'
import sys
f, out, name = sys.argv[1:]
raw = open(f, 'rb').read()
body = raw.split(b'\n\n', 1)[1]
dest = 'armor' if b'armored: yes' in raw.split(b'\n\n', 1)[0] else 'header'
open(f'{out}/{dest}/{name}', 'wb').write(body)
if dest == 'armor':
    open(f'{out}/header/{name}', 'wb').write(body)
PY
done
for s in C2 C3-I2-A2 c3-i2-a2 '機密性３' '機密性3/完全性2/可用性2' 'C2 複製禁止 転送禁止' 'C3 no-copy,encrypt-required'; do
  printf '%s' "$s" > "$out/label/$(printf '%s' "$s" | sha1sum | cut -c1-12)"
done
