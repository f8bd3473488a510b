#!/usr/bin/env bash
# Benchmark of `discus batch` on many small images (not a test: it measures and prints).
#
#   bash tests/bench-batch.sh                 # 500 images of 3 MiB, to CSO if built in, else raw IMG
#   N=200 SIZE_MB=8 FORMAT=cue bash tests/bench-batch.sh
#   JOBS=1 bash tests/bench-batch.sh          # one item at a time, to see what parallel items give
#
# It makes N variants of samples/iso/data.iso (padded to SIZE_MB, one byte differing so no two are
# equal), converts them with `discus batch --verify` under /usr/bin/time -v, and prints items per
# second, the CPU utilisation (time's "Percent of CPU": 200% means both cores busy), and the cost
# per item against single `discus convert` runs of one item (process start included).
# Needs GNU time (Debian package `time`) and python3; builds discus in release mode.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-500}
SIZE_MB=${SIZE_MB:-3}
JOBS=${JOBS:-}
target_dir=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet -p discus-cli
discus="$target_dir/release/discus"
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }

if [ -z "${FORMAT:-}" ]; then
  if "$discus" formats --json | python3 -c 'import json,sys; sys.exit(0 if any(f["name"]=="cso" for f in json.load(sys.stdin)) else 1)'; then
    FORMAT=cso
  else
    FORMAT=img
  fi
fi
format_args=(--to "$FORMAT")
ext=$FORMAT
[ "$FORMAT" = img ] && format_args+=(--sector-size 2352)
jobs_args=()
[ -n "$JOBS" ] && jobs_args=(--jobs "$JOBS")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in"
python3 - "$work/in" "$N" "$SIZE_MB" samples/iso/data.iso <<'PY'
import sys
folder, n, size_mb, source = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
data = bytearray(open(source, "rb").read())
data += bytes(max(0, size_mb * 1024 * 1024 - len(data)))
for i in range(n):
    data[-2048] = i % 256
    data[-2047] = i // 256
    with open(f"{folder}/disc{i:04d}.iso", "wb") as f:
        f.write(data)
PY
bytes_in=$(du -sb "$work/in" | cut -f1)
sync

field() { grep -F "$1" "$2" | sed 's/.*: //'; }
seconds() { # h:mm:ss or m:ss.ss -> seconds
  echo "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'
}

echo "== $N images of $SIZE_MB MiB ($((bytes_in / 1048576)) MiB) -> $FORMAT, batch --verify ${JOBS:+--jobs $JOBS}"
/usr/bin/time -v -o "$work/batch.time" "$discus" --quiet batch "$work/in" "${format_args[@]}" \
  --out-dir "$work/out" --verify "${jobs_args[@]}" > "$work/batch.out" || true
tail -1 "$work/batch.out"
wall=$(seconds "$(field 'Elapsed (wall clock)' "$work/batch.time")")
cpu=$(field 'Percent of CPU' "$work/batch.time")
user=$(field 'User time' "$work/batch.time")
sys=$(field 'System time' "$work/batch.time")
rss=$(field 'Maximum resident' "$work/batch.time")

# One item at a time, one process each: the cost a shell loop over `discus convert` pays.
singles=20
mkdir -p "$work/single"
files=()
for i in $(seq 0 $((singles - 1))); do files+=("$(printf '%s/in/disc%04d.iso' "$work" "$i")"); done
/usr/bin/time -v -o "$work/single.time" bash -c '
  discus=$1 ext=$2 out=$3; shift 3
  i=0
  for f in "$@"; do
    "$discus" --quiet convert "$f" "$out/$i.$ext" '"${format_args[*]}"' --verify >/dev/null
    i=$((i + 1))
  done' _ "$discus" "$ext" "$work/single" "${files[@]}"
s_wall=$(seconds "$(field 'Elapsed (wall clock)' "$work/single.time")")
s_user=$(field 'User time' "$work/single.time")
s_sys=$(field 'System time' "$work/single.time")

python3 - "$N" "$wall" "$cpu" "$user" "$sys" "$rss" "$singles" "$s_wall" "$s_user" "$s_sys" "$bytes_in" <<'PY'
import sys
n, wall, cpu, user, sys_t, rss, singles, s_wall, s_user, s_sys, bytes_in = sys.argv[1:]
n, wall, user, sys_t, singles = int(n), float(wall), float(user), float(sys_t), int(singles)
s_wall, s_user, s_sys, bytes_in = float(s_wall), float(s_user), float(s_sys), int(bytes_in)
print(f"batch:   {wall:.2f} s wall, {n / wall:.1f} items/s, {bytes_in / wall / 1e6:.0f} MB/s in, "
      f"CPU {cpu} (200% = both cores), max RSS {int(rss) // 1024} MiB")
print(f"         per item: {wall / n * 1000:.1f} ms wall, {(user + sys_t) / n * 1000:.1f} ms CPU")
print(f"convert: {singles} single runs: {s_wall / singles * 1000:.1f} ms wall, "
      f"{(s_user + s_sys) / singles * 1000:.1f} ms CPU per item")
print(f"batch vs single convert: {s_wall / singles / (wall / n):.2f}x the items per second; "
      f"CPU per item {(user + sys_t) / n * 1000 - (s_user + s_sys) / singles * 1000:+.1f} ms")
PY
