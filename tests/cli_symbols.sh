#!/bin/bash
# The exported API of libfuin.so is deliberate: its dynamic symbols must be
# exactly tests/symbols.txt, every one of them must carry the fuin_ prefix
# (and none the internal fuin__ prefix), and the functions the public
# headers (include/fuin.h, include/fuin/*.h) mark FUIN_EXPORT must be
# exactly the exported ones.  After an intended API change,
# regenerate the list:
#   nm -D --defined-only libfuin.so | awk '$2=="T"{print $3}' | LC_ALL=C sort \
#       > tests/symbols.txt
set -u
export LC_ALL=C

if [ -z "${FUIN:-}" ] || [ -z "${FUIN_SOURCE_DIR:-}" ]; then
    echo "FUIN and FUIN_SOURCE_DIR must be set (got '${FUIN:-}', '${FUIN_SOURCE_DIR:-}')" >&2
    exit 1
fi
if ! command -v nm >/dev/null; then
    echo "SKIP: nm (binutils) is needed to read the library's symbol table"
    exit 77
fi

lib="$(dirname "$FUIN")/libfuin.so"
expected="$FUIN_SOURCE_DIR/tests/symbols.txt"
header="$FUIN_SOURCE_DIR/include/fuin.h"
headers=("$header")
for h in "$FUIN_SOURCE_DIR"/include/fuin/*.h; do
    [ -f "$h" ] && headers+=("$h")
done
for f in "$lib" "$expected" "$header"; do
    if [ ! -f "$f" ]; then
        echo "FAIL: $f not found"
        exit 1
    fi
done

T=$(mktemp -d "${TMPDIR:-/tmp}/fuin-symbols.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

failed=0
bad() {
    failed=$((failed + 1))
    echo "FAIL: $*"
}

if ! nm -D --defined-only "$lib" >"$T/all"; then
    echo "FAIL: nm could not read $lib"
    exit 1
fi
awk '$2=="T"{print $3}' "$T/all" | sort >"$T/functions"
# every defined dynamic symbol, whatever its type (data, weak, ...)
awk 'NF>=3{print $3}' "$T/all" | sort >"$T/names"

if [ ! -s "$T/functions" ]; then
    bad "no exported functions found in $lib"
fi

if ! diff -u "$expected" "$T/functions" >"$T/diff"; then
    bad "exported functions of $lib differ from tests/symbols.txt (- expected, + built):"
    sed 's/^/    /' "$T/diff"
fi

if grep -v '^fuin_' "$T/names" >"$T/unprefixed"; then
    bad "exported symbols without the fuin_ prefix:"
    sed 's/^/    /' "$T/unprefixed"
fi
if grep '^fuin__' "$T/names" >"$T/internal"; then
    bad "internal fuin__ symbols are exported (they must stay hidden):"
    sed 's/^/    /' "$T/internal"
fi

# functions declared FUIN_EXPORT in the public headers (name and '(' share
# a line; the macro's own #define is skipped)
cat "${headers[@]}" | grep -v '^[[:space:]]*#' | grep -o 'FUIN_EXPORT[^(]*(' |
    sed -E 's/.*[ *](fuin_[a-z0-9_]*)\($/\1/' | sort -u >"$T/declared"
if [ ! -s "$T/declared" ]; then
    bad "no FUIN_EXPORT declarations found in ${headers[*]}"
fi
if ! diff -u "$T/declared" "$T/functions" >"$T/hdiff"; then
    bad "FUIN_EXPORT declarations in the public headers and exported functions differ (- headers, + library):"
    sed 's/^/    /' "$T/hdiff"
fi

n=$(wc -l <"$T/functions")
if [ "$failed" -ne 0 ]; then
    echo "symbols: $failed check(s) failed ($n exported functions)"
    exit 1
fi
echo "symbols: $n exported functions, all fuin_, matching tests/symbols.txt and the public headers"
exit 0
