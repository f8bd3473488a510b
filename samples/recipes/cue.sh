# shellcheck shell=bash
# BIN/CUE samples, sourced by make.sh (cwd samples/, `set -euo pipefail`, `discus` and "$work" set).
# Sources are made here deterministically (seedless integer audio, a tiny xorriso volume, raw XA
# sectors built by a short Python script) and written out by discus's cue writer where the sample
# shows what discus writes. Everything lands in cue/:
#
#   cue/data/          iso/data.iso as BIN/CUE: MODE1/2352 with regenerated sync/header/EDC/ECC
#   cue/mixed/         mixed-mode disc, one BIN per track (Redump naming): MODE1 data, audio with a
#                      stored INDEX 00 pregap, audio with a generated PREGAP and an INDEX 02
#   cue/mixed-single/  the same disc as one BIN
#   cue/xa/            Mode 2 XA: ISO 9660 in Form 1 sectors followed by Form 2 sectors, MODE2/2352
#   cue/wave/          a hand-written sheet naming a data BIN and a RIFF WAVE audio track
#   cue/multisession/  audio in session 1, data in session 2 (REM SESSION), one BIN per track

cue_work="$work/cue"
rm -rf cue "$cue_work"
mkdir -p cue/data cue/mixed cue/mixed-single cue/xa cue/wave cue/multisession "$cue_work/tree"

# A tiny ISO 9660 volume (34 sectors without xorriso's padding) for the small data tracks.
printf 'discus cue sample\n' > "$cue_work/tree/HELLO.TXT"
find "$cue_work/tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
xorriso -as mkisofs -quiet -no-pad -V DISCUS_CUE -o "$cue_work/tiny.iso" "$cue_work/tree" 2>/dev/null

# Audio (triangle waves in integer arithmetic, so every machine writes the same samples), a WAVE
# file, and raw Mode 2 XA sectors with EDC and ECC.
python3 - "$cue_work" <<'PY'
import struct, sys
work = sys.argv[1]
RAW = 2352

def audio(sectors, period_l, period_r):
    """16-bit little-endian stereo PCM: two triangle waves of the given periods (in samples)."""
    out = bytearray()
    for n in range(sectors * 588):
        def tri(period):
            phase = n % period
            half = period // 2
            level = phase if phase < half else period - phase
            return (level * 16000) // half - 8000
        out += struct.pack("<hh", tri(period_l), tri(period_r))
    return bytes(out)

def write(name, data):
    with open(f"{work}/{name}", "wb") as f:
        f.write(data)

# mixed: track 2 = 30 sectors of stored pregap (silence) + 60 sectors; track 3 = 60 sectors.
write("mixed-2.bin", bytes(30 * RAW) + audio(60, 100, 150))
write("mixed-3.bin", audio(60, 120, 80))
# multisession: 60 sectors of audio in session 1.
write("ms-1.bin", audio(60, 90, 110))
# wave: 60 sectors in a 44-byte-header RIFF WAVE file.
pcm = audio(60, 200, 50)
header = b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt " + struct.pack(
    "<IHHIIHH", 16, 1, 2, 44100, 44100 * 4, 4, 16) + b"data" + struct.pack("<I", len(pcm))
write("wave.wav", header + pcm)

# --- Mode 2 XA: EDC (CRC-32, reversed polynomial 0xD8018001) and RSPC ECC (GF(2^8), 0x11D). ---
EDC = []
for i in range(256):
    v = i
    for _ in range(8):
        v = (v >> 1) ^ (0xD8018001 if v & 1 else 0)
    EDC.append(v)

def edc(data):
    crc = 0
    for byte in data:
        crc = EDC[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return struct.pack("<I", crc)

F = [((i << 1) ^ (0x11D if i & 0x80 else 0)) & 0xFF for i in range(256)]
B = [0] * 256
for i in range(256):
    B[i ^ F[i]] = i

def parity(sector, major_count, minor_count, major_mult, minor_inc, at):
    block = sector[12:12 + major_count * minor_count]
    size = len(block)
    for major in range(major_count):
        index = (major >> 1) * major_mult + (major & 1)
        a = b = 0
        for _ in range(minor_count):
            value = block[index]
            index += minor_inc
            if index >= size:
                index -= size
            a ^= value
            b ^= value
            a = F[a]
        a = B[F[a] ^ b]
        sector[at + major] = a
        sector[at + major + major_count] = a ^ b

def header(lba):
    f = lba + 150
    bcd = lambda v: ((v // 10) << 4) | (v % 10)
    return bytes([0] + [0xFF] * 10 + [0]) + bytes([bcd(f // 4500), bcd(f // 75 % 60), bcd(f % 75), 2])

def form1(lba, subheader, user):
    s = bytearray(header(lba) + subheader * 2 + user + bytes(RAW - 24 - 2048))
    s[2072:2076] = edc(s[16:2072])
    saved = s[12:16]
    s[12:16] = bytes(4)  # Form 1 ECC is computed over a zeroed header
    parity(s, 86, 24, 2, 86, 0x81C)
    parity(s, 52, 43, 86, 88, 0x8C8)
    s[12:16] = saved
    return bytes(s)

def form2(lba, subheader, user):
    s = bytearray(header(lba) + subheader * 2 + user + bytes(4))
    s[2348:2352] = edc(s[16:2348])
    return bytes(s)

with open(f"{work}/tiny.iso", "rb") as f:
    volume = f.read()
xa = bytearray()
blocks = len(volume) // 2048
for lba in range(blocks):
    last = lba == blocks - 1
    # file 0, channel 0, submode: data (0x08), plus end of record and end of file on the last block
    xa += form1(lba, bytes([0, 0, 0x08 | (0x81 if last else 0), 0]), volume[lba * 2048:(lba + 1) * 2048])
for i in range(30):
    lba = blocks + i
    user = bytes((j * 7 + i) & 0xFF for j in range(2324))
    # file 1, channel 1, submode: Form 2 (0x20) data (0x08)
    xa += form2(lba, bytes([1, 1, 0x28, 0]), user)
write("xa.raw", bytes(xa))
PY

# The sheets discus reads to write the samples; times are file positions (mm:ss:ff, 75 per second).
printf '%s\r\n' \
  'FILE "tiny.iso" BINARY' \
  '  TRACK 01 MODE1/2048' \
  '    INDEX 01 00:00:00' \
  'FILE "mixed-2.bin" BINARY' \
  '  TRACK 02 AUDIO' \
  '    TITLE "Stored pregap"' \
  '    FLAGS DCP' \
  '    INDEX 00 00:00:00' \
  '    INDEX 01 00:00:30' \
  'FILE "mixed-3.bin" BINARY' \
  '  TRACK 03 AUDIO' \
  '    TITLE "Generated pregap"' \
  '    PREGAP 00:02:00' \
  '    INDEX 01 00:00:00' \
  '    INDEX 02 00:00:30' > "$cue_work/mixed.cue"

printf '%s\r\n' \
  'FILE "xa.raw" BINARY' \
  '  TRACK 01 MODE2/2352' \
  '    INDEX 01 00:00:00' > "$cue_work/xa.cue"

printf '%s\r\n' \
  'REM SESSION 01' \
  'FILE "ms-1.bin" BINARY' \
  '  TRACK 01 AUDIO' \
  '    INDEX 01 00:00:00' \
  'REM SESSION 02' \
  'FILE "tiny.iso" BINARY' \
  '  TRACK 02 MODE1/2048' \
  '    INDEX 01 00:00:00' > "$cue_work/multisession.cue"

discus convert iso/data.iso cue/data/data.cue --force
discus convert "$cue_work/mixed.cue" cue/mixed/mixed.cue --force
discus convert "$cue_work/mixed.cue" cue/mixed-single/mixed.cue --single-bin --force
discus convert "$cue_work/xa.cue" cue/xa/xa.cue --force
discus convert "$cue_work/multisession.cue" cue/multisession/multisession.cue --force

# The WAVE sample is a sheet as a person writes it: a data BIN (from discus) and a WAVE file.
discus convert "$cue_work/tiny.iso" "$cue_work/wave-data.cue" --single-bin --force
cp "$cue_work/wave-data.bin" cue/wave/wave-data.bin
cp "$cue_work/wave.wav" cue/wave/wave.wav
printf '%s\r\n' \
  'TITLE "WAVE sample"' \
  'FILE "wave-data.bin" BINARY' \
  '  TRACK 01 MODE1/2352' \
  '    INDEX 01 00:00:00' \
  'FILE "wave.wav" WAVE' \
  '  TRACK 02 AUDIO' \
  '    PREGAP 00:02:00' \
  '    INDEX 01 00:00:00' > cue/wave/wave.cue
