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

mkdir -p cdi
discus convert cue/mixed-single/mixed.cue "$work/pregap.nrg" --force --allow-lossy --sector-size 2352
python3 - "$work/pregap.nrg" <<'PY'
import struct, sys

V2, V3, V35 = 0x80000004, 0x80000005, 0x80000006
MARK = bytes([0, 0, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
u16 = lambda v: struct.pack("<H", v)
u32 = lambda v: struct.pack("<I", v)


def block(version, t, session, index):
    """One track block: t = dict(mode, read_mode, pregap, length, start, newer)."""
    b = bytearray()
    b += u32(1) + bytes(8) if t.get("newer") else u32(0)
    b += MARK * 2 + bytes(4)
    name = b"discus.cdi"
    b += bytes([len(name)]) + name + bytes(19)
    if version == V2:
        b += u32(0)
    else:
        b += u32(0x80000000) + u32(360000) + bytes(2) + u16(0x98)
    b += u16(2) + u32(t["pregap"]) + u32(t["length"])
    b += u32(0) + bytes(2)
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


def write(path, version, sessions):
    """sessions: list of lists of (track dict, sector bytes incl. pregap)."""
    data = b"".join(s for session in sessions for _, s in session)
    d = bytearray(u16(len(sessions)))
    for n, session in enumerate(sessions):
        d += u16(len(session))
        for i, (t, _) in enumerate(session):
            d += block(version, t, n, i)
        d += bytes(12 if version == V2 else 13)
    d += u16(0)  # the empty session DiscJuggler writes after the last
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
PY
