#!/usr/bin/env bash
# Rebuilds every committed sample from this recipe: bash samples/make.sh
# Needs xorriso and python3 (Debian packages), and builds discus itself: the samples of formats
# other than ISO are written by discus's own writers from the ISO, so they show what discus writes.
# Fixed dates (SOURCE_DATE_EPOCH) make the ISO the same bytes on every run; SHA256SUMS records them.
set -euo pipefail
cd "$(dirname "$0")"
export SOURCE_DATE_EPOCH=1700000000 TZ=UTC LC_ALL=C
DISCUS=${DISCUS:-../target/release/discus}
if [ ! -x "$DISCUS" ]; then
  cargo build --release --quiet -p discus-cli
fi
discus() { "$DISCUS" --quiet "$@" >/dev/null; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# iso/data.iso: a small ISO 9660 + Joliet + Rock Ridge volume of text and binary files.
mkdir -p "$work/tree/docs" "$work/tree/data"
python3 - "$work/tree" <<'PY'
import random, sys, os
root = sys.argv[1]
r = random.Random(2026)
words = "disc sector track session index pregap audio data mode frame".split()
with open(os.path.join(root, "README.TXT"), "w") as f:
    f.write("discus sample volume\n" + " ".join(r.choice(words) for _ in range(4000)) + "\n")
with open(os.path.join(root, "docs", "notes.txt"), "w") as f:
    for i in range(2000):
        f.write(f"{i:05d} " + " ".join(r.choice(words) for _ in range(8)) + "\n")
with open(os.path.join(root, "data", "random.bin"), "wb") as f:
    f.write(bytes(r.randrange(256) for _ in range(120_000)))
with open(os.path.join(root, "data", "table.bin"), "wb") as f:
    f.write(b"".join(i.to_bytes(4, "little") for i in range(0, 60_000, 3)))
PY
find "$work/tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
rm -f iso/data.iso
xorriso -as mkisofs -quiet -no-pad -J -r -V DISCUS_SAMPLE -o iso/data.iso "$work/tree" 2>/dev/null

# img/: the same disc as raw images without a sheet, written by discus.
discus convert iso/data.iso img/data-2048.img --force
discus convert iso/data.iso img/data-2352.img --sector-size 2352 --force

# bad/: broken inputs that must give clear errors.
size=$(stat -c %s iso/data.iso)
head -c $((size - 1000)) iso/data.iso > bad/truncated.iso
: > bad/empty.iso
python3 - <<'PY'
import random
# corrupt-ecc.img: data-2352.img with one ECC byte of sector 20 flipped; stripping it to 2048
# bytes would lose that byte, so conversion to ISO must refuse without --allow-lossy.
data = bytearray(open("img/data-2352.img", "rb").read())
data[20 * 2352 + 0x900] ^= 0x01
open("bad/corrupt-ecc.img", "wb").write(data)
# garbage.img: bytes that are no image at all.
r = random.Random(99)
open("bad/garbage.img", "wb").write(bytes(r.randrange(256) for _ in range(5000)))
PY

# Formats added by later work put their recipes in recipes/, each a fragment sourced here.
for recipe in recipes/*.sh; do
  [ -e "$recipe" ] || continue
  # shellcheck source=/dev/null
  source "$recipe"
done

# Redump-style names have spaces ("mixed (Track 1).bin"): keep them whole with NUL separators.
find . -type f ! -name SHA256SUMS ! -name README.md ! -name make.sh ! -path './recipes/*' -print0 \
  | sort -z | xargs -0 sha256sum > SHA256SUMS
echo "samples rebuilt; checksums in samples/SHA256SUMS"
