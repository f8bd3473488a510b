# shellcheck shell=bash
# CDI samples, sourced by make.sh (cwd samples/, `set -euo pipefail`, `discus` set). discus does
# not write CDI and DiscJuggler runs on Windows only, so a Python script lays the files out from
# the published facts of the format (see crates/discus-cdi/src/descriptor.rs): the sector data of
# every track from byte 0, pregaps included, then the descriptor, then the trailer (version word
# and descriptor offset). The sectors come from the other samples, so their contents are known:
#
#   cdi/dreamcast-v35.cdi  v3.5, a Dreamcast-style disc: session 1 one audio track (the 60 audio
#                          sectors of cue/multisession) after 150 sectors of silence; session 2 at
#                          LBA 11460 (its pregap from 60 + 11,250 sectors of lead-out and lead-in) one Mode 2 track
#                          in 2336-byte sectors (the 64 XA sectors of cue/xa) after a stored
#                          150-sector pregap of empty Form 2 sectors, as DiscJuggler stores it
#   cdi/data-v2.cdi        v2, one Mode 1 track in 2048-byte sectors (the 34 data sectors of
#                          cue/multisession) after 150 empty sectors
#   cdi/mixed-v3.cdi       v3, one session: Mode 1 in 2352 + 16-byte Q sectors (the data of
#                          cue/mixed-single) after the 150 generated sectors discus's NRG writer
#                          stores before LBA 0, then an audio track in 2352 + 96-byte P-W sectors
#                          (the multisession audio with the CloneCD sample's subchannel) with no
#                          pregap; the first track block has the 8 extra bytes of DiscJuggler
#                          3.00.780 and later, the second the short tail
#   cdi/cdtext-v35.cdi     v3.5, two audio tracks (the multisession audio, 30 sectors each, the
#                          first after 150 sectors of silence) with CD-TEXT blocks in two
#                          languages (field 10, the title, and two more fields whose meaning no
#                          reader states), then the disc block: volume name, catalog
#                          0123456789012 and the lead-in's CD-TEXT packs, which are those
#                          discus's NRG writer makes for the same titles and performers
#   cdi/dvd-v35.cdi        v3.5, medium type DVD-ROM: one Mode 1 track in 2048-byte sectors (the
#                          sample ISO) after 150 empty sectors, and a disc block naming its volume

mkdir -p cdi
discus convert cue/mixed-single/mixed.cue "$work/pregap.nrg" --force --allow-lossy --sector-size 2352
# The lead-in CD-TEXT of the cdtext sample: the packs discus's NRG writer makes from a sheet.
cp "cue/multisession/multisession (Track 1).bin" "$work/text.bin"
cat > "$work/text.cue" <<'CUE'
PERFORMER "discus samples"
TITLE "CD-TEXT sample"
FILE "text.bin" BINARY
  TRACK 01 AUDIO
    TITLE "First light"
    PERFORMER "Ada"
    INDEX 01 00:00:00
  TRACK 02 AUDIO
    TITLE "Second wind"
    PERFORMER "Grace"
    INDEX 01 00:00:30
CUE
discus convert "$work/text.cue" "$work/text.nrg" --force
python3 - "$work/pregap.nrg" "$work/text.nrg" <<'PY'
import struct, sys

V2, V3, V35 = 0x80000004, 0x80000005, 0x80000006
MARK = bytes([0, 0, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
u16 = lambda v: struct.pack("<H", v)
u32 = lambda v: struct.pack("<I", v)


def header(version, newer=False, medium=0x98, tracks=0):
    """The header a track block and the disc block begin with."""
    b = bytearray()
    b += u32(1) + bytes(8) if newer else u32(0)
    b += MARK * 2 + bytes(3) + bytes([tracks])
    name = b"discus.cdi"
    b += bytes([len(name)]) + name + bytes(19)
    if version == V2:
        b += u32(0)
    else:
        b += u32(0x80000000) + u32(360000) + bytes(2) + u16(medium)
    return b


def block(version, t, session, index):
    """One track block: t = dict(mode, read_mode, pregap, length, start, newer, medium, text)."""
    b = header(version, t.get("newer"), t.get("medium", 0x98))
    b += u16(2) + u32(t["pregap"]) + u32(t["length"])
    # CD-TEXT: a block per language, each 18 fields of a length byte and the text.
    text = t.get("text", [])
    b += u32(len(text))
    for fields in text:
        for i in range(18):
            value = fields.get(i, b"")
            b += bytes([len(value)]) + value
    b += bytes(2)
    b += u32(t["mode"]) + bytes(4) + u32(session) + u32(index)
    total = t["pregap"] + t["length"]
    b += u32(t["start"]) + u32(total) + bytes(16)
    b += u32(t["read_mode"]) + u32(4 if t["mode"] else 0)
    b += b"\0" + u32(total) + bytes(4) + bytes(12) + u32(0)
    if version == V35:
        b += bytes(5) + u32(0xFFFFFFFF) + bytes(78)
    elif version == V3:
        b += bytes(5) + u32(0)
    return bytes(b)


def disc_block(version, disc, tracks):
    """The disc block: disc = dict(medium, sectors, volume, catalog, cd_text)."""
    b = header(version, medium=disc.get("medium", 0x98), tracks=tracks)
    b += u32(disc["sectors"])
    volume = disc.get("volume", b"")
    b += bytes([len(volume)]) + volume
    b += b"\0" + u32(1) + u32(1)
    catalog = disc.get("catalog")
    b += (catalog or bytes(13)) + u32(1 if catalog else 0)
    text = disc.get("cd_text", b"")
    b += u32(len(text)) + text + bytes(8)
    return bytes(b)


def write(path, version, sessions, disc=None):
    """sessions: list of lists of (track dict, sector bytes incl. pregap)."""
    data = b"".join(s for session in sessions for _, s in session)
    d = bytearray(u16(len(sessions)))
    for n, session in enumerate(sessions):
        d += u16(len(session))
        for i, (t, _) in enumerate(session):
            d += block(version, t, n, i)
        d += bytes(12 if version == V2 else 13)
    d += u16(0)  # the empty session DiscJuggler writes after the last
    if disc:
        d += disc_block(version, disc, sum(len(s) for s in sessions))
    place = len(d) + 8 if version == V35 else len(data)
    with open(path, "wb") as f:
        f.write(data + d + u32(version) + u32(place))


def sectors(path, first, count, size=2352):
    with open(path, "rb") as f:
        f.seek(first * size)
        return f.read(count * size)


multi = "cue/multisession/multisession (Track 1).bin"
multi_data = "cue/multisession/multisession (Track 2).bin"
audio = sectors(multi, 0, 60)
xa = sectors("cue/xa/xa.bin", 0, 64)
cooked = lambda raw, skip, keep: b"".join(raw[i + skip:i + skip + keep] for i in range(0, len(raw), 2352))

write("cdi/dreamcast-v35.cdi", V35, [
    [(dict(mode=0, read_mode=2, pregap=150, length=60, start=0), bytes(150 * 2352) + audio)],
    [(dict(mode=2, read_mode=1, pregap=150, length=64, start=60 + 11250 + 150),
      (bytes([0, 0, 0x20, 0] * 2) + bytes(2328)) * 150 + cooked(xa, 16, 2336))],
])

data34 = sectors(multi_data, 0, 34)
write("cdi/data-v2.cdi", V2, [
    [(dict(mode=1, read_mode=0, pregap=150, length=34, start=0), bytes(150 * 2048) + cooked(data34, 16, 2048))],
])

pregap = sectors(sys.argv[1], 0, 150)
mode1 = sectors("cue/mixed-single/mixed.bin", 0, 34)
with_q = lambda raw: b"".join(raw[i:i + 2352] + bytes(16) for i in range(0, len(raw), 2352))
sub = sectors("ccd/multisession.sub", 0, 60, 96)
with_pw = b"".join(audio[i * 2352:(i + 1) * 2352] + sub[i * 96:(i + 1) * 96] for i in range(60))
write("cdi/mixed-v3.cdi", V3, [
    [(dict(mode=1, read_mode=3, pregap=150, length=34, start=0, newer=True), with_q(pregap + mode1)),
     (dict(mode=0, read_mode=4, pregap=0, length=60, start=150 + 34), with_pw)],
])

# CD-TEXT in two languages per track and a disc block with catalog and lead-in packs.
nrg = open(sys.argv[2], "rb").read()
at = nrg.index(b"CDTX")
packs = nrg[at + 8:at + 8 + struct.unpack(">I", nrg[at + 4:at + 8])[0]]
assert packs and len(packs) % 18 == 0, "no CD-TEXT packs in the NRG"
texts = [
    [{10: b"First light", 0: b"Ada", 3: b"field three"}, {10: b"Premiere lumiere", 0: b"Ada"}],
    [{10: b"Second wind", 0: b"Grace"}, {10: b"Second souffle"}],
]
write("cdi/cdtext-v35.cdi", V35, [
    [(dict(mode=0, read_mode=2, pregap=150, length=30, start=0, text=texts[0]), bytes(150 * 2352) + audio[:30 * 2352]),
     (dict(mode=0, read_mode=2, pregap=0, length=30, start=180, text=texts[1]), audio[30 * 2352:])],
], disc=dict(sectors=210, volume=b"AUDIO", catalog=b"0123456789012", cd_text=packs))

# A DVD: medium type 0x38 in every header, the ISO's 2048-byte sectors after 150 empty ones.
iso = open("iso/data.iso", "rb").read()
write("cdi/dvd-v35.cdi", V35, [
    [(dict(mode=1, read_mode=0, pregap=150, length=len(iso) // 2048, start=0, medium=0x38), bytes(150 * 2048) + iso)],
], disc=dict(medium=0x38, sectors=150 + len(iso) // 2048, volume=b"DISCUS_SAMPLE"))
PY
