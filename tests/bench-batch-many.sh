#!/usr/bin/env bash
# Benchmark of `discus batch` on very many tiny images: what batch itself costs per item.
#
#   bash tests/bench-batch-many.sh            # 10,000 images of 32 KiB to CSO
#   N=1000 JOBS=1 bash tests/bench-batch-many.sh
#
# Each image is 16 sectors (the sample ISO's first 32 KiB, its first bytes numbered so no two are
# equal), so the conversion itself is a fraction of a millisecond and what is left of the wall
# time is batch's: discovery, planning, the journal, the queue and the report. Prints items per
# second, wall ms per item, the items' own time (the `seconds` of their `finished` events, which
# include converting, hashing and journaling the item), the overhead per item beyond that, CPU
# (200% = both cores) and peak memory; then a second run over the same folder, where every item
# is done: the cost of reading the journal once and checking each output.
# Needs GNU time (Debian package `time`) and python3; builds discus in release mode.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
JOBS=${JOBS:-}
target_dir=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet -p discus-cli
discus="$target_dir/release/discus"
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
jobs_args=()
[ -n "$JOBS" ] && jobs_args=(--jobs "$JOBS")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/in" "$N" samples/iso/data.iso <<'PY'
import os, sys
folder, n, source = sys.argv[1], int(sys.argv[2]), sys.argv[3]
head = bytearray(open(source, "rb").read()[:32768])
for i in range(n):
    sub = f"{folder}/{i // 1000:02d}"
    os.makedirs(sub, exist_ok=True)
    head[0:4] = i.to_bytes(4, "little")
    with open(f"{sub}/disc{i:05d}.iso", "wb") as f:
        f.write(head)
PY
sync

field() { grep -F "$1" "$2" | sed 's/.*: //'; }
seconds() { echo "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'; }

measure() { # label
  /usr/bin/time -v -o "$work/time" "$discus" batch "$work/in" -r --to cso --out-dir "$work/out" \
    --json "${jobs_args[@]}" > "$work/events" || true
  python3 - "$1" "$N" "$work/events" \
    "$(seconds "$(field 'Elapsed (wall clock)' "$work/time")")" \
    "$(field 'Percent of CPU' "$work/time")" \
    "$(field 'User time' "$work/time")" "$(field 'System time' "$work/time")" \
    "$(field 'Maximum resident' "$work/time")" "$(cut -d' ' -f1 /proc/loadavg)" \
    "${JOBS:-$(nproc)}" <<'PY'
import json, sys
label, n, events, wall, cpu, user, sys_t, rss, load, jobs = sys.argv[1:]
jobs = int(jobs)
n, wall, cpu_s = int(n), float(wall), float(user) + float(sys_t)
item_seconds, summary = [], {}
for line in open(events):
    e = json.loads(line)
    if e["event"] == "finished" and e.get("status") == "converted":
        item_seconds.append(e["seconds"])
    if e["event"] == "summary":
        summary = e
print(f"{label}: {summary.get('converted')} converted, {summary.get('skipped')} skipped, "
      f"{summary.get('failed')} failed of {n}")
print(f"  {wall:.2f} s wall, {n / wall:.0f} items/s, {wall / n * 1000:.2f} ms wall per item, "
      f"CPU {cpu} ({cpu_s / n * 1000:.2f} ms per item), peak RSS {int(rss) // 1024} MiB, load {load}")
if item_seconds:
    mean = sum(item_seconds) / len(item_seconds)
    # With `jobs` workers always busy, wall = items x mean / jobs; the rest is batch's own.
    print(f"  items' own time {mean * 1000:.2f} ms each; beyond it, per item: "
          f"{(wall / n - mean / jobs) * 1000:.2f} ms of wall ({jobs} item(s) at once)")
PY
}

echo "== $N images of 32 KiB -> cso ${JOBS:+--jobs $JOBS}"
measure "first run"
measure "rerun (all done)"
