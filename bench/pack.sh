#!/bin/bash
# Packages: fuin pack / verify / unpack against the stock pipeline they
# replace, tar + zstd + age + minisign, in one run on 1,000 files of 1 MiB
# of random data in /dev/shm (memory, so the disk does not count), and
# fuin's peak memory there and on 100,000 small files.  Builds nothing.
#
#   bench/pack.sh [FUIN]       FUIN: the fuin program (default: $FUIN, else
#                              ../build/fuin relative to this script)
#
# Environment: BENCH_OUT (results directory, default
# ${TMPDIR:-/tmp}/fuin-bench-pack-results), BENCH_RUNS (default 3),
# BENCH_DIR (where the data goes, default /dev/shm), BENCH_NFILES (files of
# 1 MiB, default 1000), BENCH_NSMALL (files of 100 bytes, default 100000).
# Needs tar, zstd, age, minisign, 7zz (Debian package 7zip), hyperfine, python3, and GNU time
# (/usr/bin/time, Debian package "time") for the memory figures.  Needs
# about 6.5 GiB free in BENCH_DIR (the files, four packages of them, one
# extracted copy); everything is removed on exit.
#
# BENCH_GROUP_NICE=N (root; needs setsid and sched_autogroup): run in a new
# session whose scheduler autogroup has nice N.  With autogroups on, nice
# only ranks processes within one session, so a nice-19 job started from
# another session still takes a full share of the CPUs against this one;
# BENCH_GROUP_NICE=-19 makes such jobs yield as nice 19 is meant to.
set -u

if [ -n "${BENCH_GROUP_NICE:-}" ] && [ -z "${FUIN_BENCH_REGROUPED:-}" ]; then
    export FUIN_BENCH_REGROUPED=1
    exec setsid --wait bash -c 'echo "$0" >/proc/self/autogroup && exec "$@"' \
        "$BENCH_GROUP_NICE" "$0" "$@"
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FUIN=${1:-${FUIN:-$HERE/../build/fuin}}
RUNS=${BENCH_RUNS:-3}
OUT=${BENCH_OUT:-${TMPDIR:-/tmp}/fuin-bench-pack-results}
BASE=${BENCH_DIR:-/dev/shm}
NFILES=${BENCH_NFILES:-1000}
NSMALL=${BENCH_NSMALL:-100000}
SMALL_BYTES=100
CLASS=C2-I2-A1

# shellcheck source=bench/common.sh
. "$HERE/common.sh"
bench_fuin
bench_need tar zstd age minisign 7zz hyperfine python3
TIME=/usr/bin/time
if [ ! -x "$TIME" ] || ! "$TIME" -f %M true >/dev/null 2>&1; then
    echo "bench: /usr/bin/time (GNU time) is not installed (apt-get install time);" \
        "peak memory will not be measured" >&2
    TIME=
fi
need_kib=$(((NFILES * 13 / 2 + 512) * 1024 + NSMALL * 20))
have_kib=$(df -Pk "$BASE" | awk 'NR == 2 { print $4 }')
[ "${have_kib:-0}" -ge "$need_kib" ] ||
    die "$BASE has $((${have_kib:-0} / 1024)) MiB free, about $((need_kib / 1024)) MiB are needed"

case $BASE in *[[:space:]\'\"]*) die "BENCH_DIR must not contain blanks or quotes: '$BASE'" ;; esac
mkdir -p "$OUT" || die "cannot create $OUT"
W=$(mktemp -d "$BASE/fuin-bench-pack.XXXXXX") || die "cannot create a directory in $BASE"
trap 'cd / && rm -rf "$W"' EXIT
trap 'exit 130' INT TERM HUP PIPE

echo "fuin:      $("$FUIN" --version) ($FUIN)"
echo "peers:     $(tar --version | head -n 1), zstd $(zstd -V | sed -n 's/.* v\([0-9.]*\).*/\1/p')," \
    "age $(age --version), $(minisign -v 2>&1 | head -n 1), $(hyperfine --version)"
echo "CPU:       $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) online CPUs"
echo "load:      $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; other work skews the figures)"
echo "busiest:   $(ps -eo ni=,pcpu=,comm= --sort=-pcpu | head -n 4 |
    awk '{ printf "%s%s (nice %s, %s%%)", (NR > 1 ? ", " : ""), $3, $1, $2 }')"
if [ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" = 1 ]; then
    echo "autogroup: on, this session's group at nice $(sed -n 's/.* nice //p' /proc/self/autogroup 2>/dev/null)" \
        "(a process's nice only counts within its session: niced jobs of other sessions still take a full share)"
fi
echo "work:      $W"
echo "output:    $OUT"
echo

cd "$W" || die "cannot enter $W"
# ---- keys: a CISO root, a certified staff key, a trust store; a plain age
# identity to decrypt with (no passphrase); a minisign key without one.
mkdir ciso signer recv || die "cannot create the home directories"
printf 'root passphrase long enough 2718\n' >rpw
printf 'signer passphrase long enough 1414\n' >spw
as() { # as WHO fuin-ARGS...: fuin with HOME=WHO, no terminal
    local who=$1
    shift
    HOME=$W/$who "$FUIN" "$@" </dev/null >"$W/setup.log" 2>&1 ||
        { cat "$W/setup.log" >&2; die "fuin $* failed"; }
}
as ciso ciso init --org 'Bench Org' --passphrase-file "$W/rpw"
as signer key new --name 'Bench Signer' --email bench@example.org --passphrase-file "$W/spw"
cp signer/.config/fuin/card.pub ciso/signer.pub
as ciso ciso certify "$W/ciso/signer.pub" --role staff --until "$(date -u -d '+200 days' +%Y-%m-%d)" \
    --passphrase-file "$W/rpw"
cp ciso/signer.cert signer/.config/fuin/card.cert &&
    cp ciso/signer.cert.minisig signer/.config/fuin/card.cert.minisig || die "cannot install the certificate"
as recv store init "$W/ciso/.config/fuin/ciso/root.pub" --store "$W/store"
as recv store add "$W/ciso/signer.cert" --store "$W/store"
"$FUIN" keygen -o plain.key 2>/dev/null || die "fuin keygen failed"
R=$("$FUIN" keygen -y plain.key) || die "fuin keygen -y failed"
minisign -G -W -p mk.pub -s mk.key >/dev/null 2>&1 || die "minisign -G failed"

# ---- the data
echo "creating $NFILES files of 1 MiB and $NSMALL files of $SMALL_BYTES bytes in $W..."
python3 - "$NFILES" "$NSMALL" "$SMALL_BYTES" <<'EOF' || die "cannot write the files"
import os, sys
nfiles, nsmall, small = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
os.mkdir("src")
for i in range(nfiles):
    with open("src/f%04d.bin" % i, "wb") as f:
        f.write(os.urandom(1 << 20))
os.mkdir("small")
for i in range(nsmall):
    d = "small/d%03d" % (i // 1000)
    if i % 1000 == 0:
        os.mkdir(d)
    with open("%s/f%05d.bin" % (d, i), "wb") as f:
        f.write(os.urandom(small))
EOF
SRC_MIB=$(du -sm --apparent-size src | cut -f1)

# The commands, as hyperfine runs them (bash, so that pipefail makes a
# failing stage fail the run) and as the checks below run them.
PACK="HOME='$W/signer' '$FUIN' pack -o out.fuin -r $R --class $CLASS --store store --passphrase-file spw src 2>/dev/null"
PACKZ="HOME='$W/signer' '$FUIN' pack --zstd -o outz.fuin -r $R --class $CLASS --store store --passphrase-file spw src 2>/dev/null"
PEERZ="tar -cf - src | zstd -q -T2 | age -r $R >out.tar.zst.age && minisign -S -s mk.key -m out.tar.zst.age >/dev/null"
PEER="tar -cf - src | age -r $R >out.tar.age && minisign -S -s mk.key -m out.tar.age >/dev/null"
# --zip against 7-Zip's AES-256 zip, stored (7zz takes its password on the
# command line; this one is only for the benchmark)
PACKZIP="HOME='$W/signer' '$FUIN' pack --zip -o out.zip --class $CLASS --store store --passphrase-file spw src 2>/dev/null"
PEERZIP="7zz a -tzip -mem=AES256 -mx0 -pbench-zip-password-1234 out7.zip src >/dev/null"
# (fuin verify takes out.fuin for a package only while no out.fuin.minisig
# lies beside it; with one it checks that detached signature instead.)
VERIFY="HOME='$W/recv' '$FUIN' verify --store store -i plain.key out.fuin >/dev/null"
UNPACK="HOME='$W/recv' '$FUIN' unpack -C dest --store store -i plain.key out.fuin 2>/dev/null"
UNPACKZ="HOME='$W/recv' '$FUIN' unpack -C dest --store store -i plain.key outz.fuin 2>/dev/null"
PEERZ_X="minisign -Vm out.tar.zst.age -p mk.pub -q && age -d -i plain.key out.tar.zst.age | zstd -dq | tar -xf - -C dest"
PEER_X="minisign -Vm out.tar.age -p mk.pub -q && age -d -i plain.key out.tar.age | tar -xf - -C dest"
PEER_V="minisign -Vm out.tar.zst.age -p mk.pub -q"
sh_run() { bash -o pipefail -c "$1" </dev/null; }
fresh_dest() { rm -rf dest && mkdir dest; }

# ---- agreement first: every package opens, and gives back the files
echo "checking that every pipeline gives the files back..."
sh_run "$PACK" || die "fuin pack failed: $PACK"
sh_run "$PACKZ" || die "fuin pack --zstd failed"
sh_run "$PEERZ" || die "the tar | zstd | age pipeline failed"
sh_run "$PEER" || die "the tar | age pipeline failed"
sh_run "$PACKZIP" || die "fuin pack --zip failed"
sh_run "$PEERZIP" || die "7zz a -tzip -mem=AES256 failed"
7zz t -pbench-zip-password-1234 out7.zip >/dev/null || die "7zz cannot test its own zip"
# the files and the four tag files (manifest, signature, two BagIt files)
[ "$(7zz l -slt out.zip | grep -c "^Method = AES-256 Deflate$")" -eq "$((NFILES + 4))" ] ||
    die "7zz does not list every member of out.zip as AES-256 Deflate (stored)"
rm -f out.zip out7.zip
[ "$(head -c 21 out.fuin)" = age-encryption.org/v1 ] || die "out.fuin is not an age file"
grep -aq "^-> fuin-label $CLASS" <(head -c 4096 out.fuin) || die "out.fuin's age header has no $CLASS label"
members=$(age -d -i plain.key out.fuin | tar -tf - | grep -c '^data/src/f.*\.bin$')
[ "$members" -eq "$NFILES" ] || die "stock age + tar see $members files in out.fuin, not $NFILES"
HOME=$W/recv "$FUIN" verify --store store -i plain.key out.fuin >verify.txt 2>&1 ||
    { cat verify.txt >&2; die "fuin verify rejects out.fuin"; }
grep -q "out.fuin: OK: package of class $CLASS, $NFILES files" verify.txt ||
    die "fuin verify does not report class $CLASS and $NFILES files"
grep -q 'signer: Bench Signer (staff), certified by Bench Org' verify.txt ||
    die "fuin verify does not name the certified signer"
sh_run "$VERIFY" || die "fuin verify failed: $VERIFY"
for cmd in UNPACK UNPACKZ PEERZ_X PEER_X; do
    fresh_dest
    sh_run "${!cmd}" || die "$cmd failed: ${!cmd}"
    diff -r src dest/src >/dev/null || die "$cmd did not give back the same files"
done
HOME=$W/recv "$FUIN" verify --store store -i plain.key outz.fuin >/dev/null 2>&1 ||
    die "fuin verify rejects outz.fuin"
# ...and a damaged package must fail, or verify measures nothing.
cp out.fuin bad.fuin && python3 -c '
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(os.path.getsize(sys.argv[1]) // 2)
    b = f.read(1)[0]
    f.seek(-1, 1)
    f.write(bytes([b ^ 1]))' bad.fuin || die "cannot make a damaged package"
HOME=$W/recv "$FUIN" verify --store store -i plain.key bad.fuin >/dev/null 2>&1 &&
    die "fuin verify accepts a damaged package"
rm -f bad.fuin
fresh_dest
ls -l out.fuin outz.fuin out.tar.zst.age out.tar.age | awk '{ printf "  %-16s %d bytes\n", $9, $5 }'
echo

# ---- timings: one hyperfine invocation per part, each command preceded
# by removing what it writes (fuin keeps an existing -o file; unpack needs
# names that do not exist in DEST).
bench() { # bench NAME (PREPARE LABEL COMMAND)...
    local name=$1 args=()
    shift
    while [ $# -ge 3 ]; do
        args+=(--prepare "$1" -n "$2" "$3")
        shift 3
    done
    echo "== $name"
    hyperfine --warmup 1 --runs "$RUNS" --style basic --shell "bash -o pipefail" \
        --export-json "$OUT/$name.json" --export-markdown "$OUT/$name.md" "${args[@]}" ||
        die "hyperfine failed for $name"
    echo
}
bench pack \
    "rm -f out.fuin" "fuin pack" "$PACK" \
    "rm -f outz.fuin" "fuin pack --zstd" "$PACKZ" \
    "rm -f out.tar.zst.age out.tar.zst.age.minisig" "tar | zstd -T2 | age + minisign -S" "$PEERZ" \
    "rm -f out.tar.age out.tar.age.minisig" "tar | age + minisign -S" "$PEER"
bench zip \
    "rm -f out.zip" "fuin pack --zip" "$PACKZIP" \
    "rm -f out7.zip" "7zz a -tzip -mem=AES256 -mx0" "$PEERZIP"
rm -f out.zip out7.zip
bench open \
    "true" "fuin verify" "$VERIFY" \
    "rm -rf dest && mkdir dest" "fuin unpack" "$UNPACK" \
    "rm -rf dest && mkdir dest" "fuin unpack (--zstd package)" "$UNPACKZ" \
    "rm -rf dest && mkdir dest" "minisign -V && age -d | zstd -d | tar -x" "$PEERZ_X" \
    "rm -rf dest && mkdir dest" "minisign -V && age -d | tar -x" "$PEER_X" \
    "true" "minisign -V alone" "$PEER_V"
fresh_dest

# ---- peak memory (GNU time: kilobytes), and the time of that one run
: >"$OUT/rss.txt"
rss() { # rss LABEL COMMAND
    "$TIME" -o "$W/time.txt" -f '%M %e %U %S' bash -o pipefail -c "$2" </dev/null ||
        die "$1 failed under /usr/bin/time: $2"
    printf '%s\t%s\n' "$1" "$(cat "$W/time.txt")" >>"$OUT/rss.txt"
}
if [ -n "$TIME" ]; then
    echo "== peak memory"
    rm -f out.fuin outz.fuin
    # "HOME=... exec fuin ...": GNU time measures fuin itself, not a shell
    ex() { printf '%s exec %s' "${1%% *}" "${1#* }"; }
    rss "pack $NFILES x 1 MiB" "$(ex "$PACK")"
    rss "pack --zstd $NFILES x 1 MiB" "$(ex "$PACKZ")"
    rss "verify $NFILES x 1 MiB" "$(ex "$VERIFY")"
    rss "unpack $NFILES x 1 MiB" "$(ex "$UNPACK")"
    rss "pack --zip $NFILES x 1 MiB" "$(ex "$PACKZIP")"
    rm -f out.zip
    fresh_dest
    SPACK="exec '$FUIN' pack -o small.fuin -r $R --class $CLASS --store store --passphrase-file spw small 2>/dev/null"
    rss "pack $NSMALL x $SMALL_BYTES B" "HOME='$W/signer' $SPACK"
    rss "verify $NSMALL x $SMALL_BYTES B" "HOME='$W/recv' exec '$FUIN' verify --store store -i plain.key small.fuin >/dev/null"
    rss "unpack $NSMALL x $SMALL_BYTES B" "HOME='$W/recv' exec '$FUIN' unpack -C dest --store store -i plain.key small.fuin 2>/dev/null"
    diff -r small dest/small >/dev/null || die "fuin unpack did not give back the small files"
    # a zip holds every entry until it is closed (libzip: about 330 bytes each)
    rss "pack --zip $NSMALL x $SMALL_BYTES B" "HOME='$W/signer' exec '$FUIN' pack --zip -o small.zip --class $CLASS --store store --passphrase-file spw small 2>/dev/null"
    rm -f small.zip
    fresh_dest
    # for reference, the peers once on the small files (time only)
    rss "peer pack $NSMALL x $SMALL_BYTES B" "tar -cf - small | zstd -q -T2 | age -r $R >small.tar.zst.age && minisign -S -s mk.key -m small.tar.zst.age >/dev/null"
    rss "peer unpack $NSMALL x $SMALL_BYTES B" "minisign -Vm small.tar.zst.age -p mk.pub -q && age -d -i plain.key small.tar.zst.age | zstd -dq | tar -xf - -C dest"
    fresh_dest
    cat "$OUT/rss.txt"
    echo
fi

python3 - "$OUT" "$SRC_MIB" "$NFILES" "$(cut -d' ' -f1-3 /proc/loadavg)" >"$OUT/summary.md" <<'EOF'
import json, os, sys

out, size_mib, nfiles, loadavg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

def load(name):
    with open(os.path.join(out, name + ".json")) as f:
        return {r["command"]: r for r in json.load(f)["results"]}

pack, opn, zp = load("pack"), load("open"), load("zip")
res = dict(pack, **opn)
res.update(zp)

def md(name):
    """A command name as a table cell: in a code span, its pipes escaped."""
    return "`%s`" % name.replace("|", "\\|")

def fmt(r):
    return "%.2f s (%.2f–%.2f; %.0f MiB/s)" % (r["median"], r["min"], r["max"],
                                              size_mib / r["median"])

# (fuin command, peer command, target or None)
rows = [
    ("fuin pack", "tar | zstd -T2 | age + minisign -S", 2.0),
    ("fuin pack", "tar | age + minisign -S", None),
    ("fuin pack --zstd", "tar | zstd -T2 | age + minisign -S", None),
    ("fuin pack --zip", "7zz a -tzip -mem=AES256 -mx0", 1.0),
    ("fuin verify", "minisign -V && age -d | tar -x", 2.0),
    ("fuin verify", "minisign -V && age -d | zstd -d | tar -x", None),
    ("fuin unpack", "minisign -V && age -d | tar -x", 2.0),
    ("fuin unpack", "minisign -V && age -d | zstd -d | tar -x", None),
    ("fuin unpack (--zstd package)", "minisign -V && age -d | zstd -d | tar -x", None),
    ("fuin verify", "minisign -V alone", None),
]
print("%d files × 1 MiB (%d MiB), median of %d runs (min–max):"
      % (nfiles, size_mib, len(pack["fuin pack"]["times"])))
print()
print("| fuin | time | peer | time | peer/fuin | target | met |")
print("|---|---|---|---|---|---|---|")
for f, p, want in rows:
    ratio = res[p]["median"] / res[f]["median"]
    met = "" if want is None else ("yes" if ratio >= want else "**no**")
    print("| %s | %s | %s | %s | %.2f× | %s | %s |"
          % (md(f), fmt(res[f]), md(p), fmt(res[p]), ratio,
             "(information)" if want is None else "≥ %g×" % want, met))
print()
print("CPU time per run (mean user + system, from hyperfine):")
print()
print("| command | user + system | elapsed (median) |")
print("|---|---|---|")
for name, r in res.items():
    print("| %s | %.2f + %.2f s | %.2f s |" % (md(name), r["user"], r["system"], r["median"]))

rss_path = os.path.join(out, "rss.txt")
rows = [l.rstrip("\n").split("\t") for l in open(rss_path) if l.strip()] \
    if os.path.exists(rss_path) else []
if rows:
    print()
    print("Peak RSS (GNU time %M) and the time of that one run:")
    print()
    print("| run | peak RSS | elapsed (user + system) | target | met |")
    print("|---|---|---|---|---|")
    for label, figs in rows:
        kb, e, u, s = figs.split()
        mib = int(kb) / 1024
        peer = label.startswith("peer")
        print("| %s%s | %s | %s s (%s + %s) | %s | %s |"
              % ("" if peer else "fuin ", label,
                 "" if peer else "%.1f MiB" % mib, e, u, s,
                 "(reference)" if peer else "≤ 64 MiB",
                 "" if peer else ("yes" if mib <= 64 else "**no**")))
else:
    print()
    print("Peak RSS not measured (/usr/bin/time missing).")
print()
print("Load average at the end of the run: %s (1, 5, 15 min)." % loadavg)
EOF
[ -s "$OUT/summary.md" ] || die "could not summarise the results"
echo "== summary ($OUT/summary.md)"
cat "$OUT/summary.md"
