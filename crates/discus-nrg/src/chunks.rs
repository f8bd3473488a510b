//! The NRG container: sector data first, then a chain of chunks, then a footer that points to the
//! chain. Every number is big-endian.
//!
//! **Footer** (the last bytes of the file):
//!
//! | version | bytes | layout |
//! |---|---|---|
//! | 2 (Nero 5.5 and later) | 12 | `"NER5"`, u64 offset of the first chunk |
//! | 1 | 8 | `"NERO"`, u32 offset of the first chunk |
//!
//! **Chunk**: 4-byte ASCII id, u32 payload length, payload. The chain ends with `END!` (length 0),
//! right before the footer. Version 1 files use the 32-bit chunk variants (`CUES`, `DAOI`,
//! `ETNF`), version 2 files the 64-bit ones (`CUEX`, `DAOX`, `ETN2`); both are read in either.
//!
//! | id | payload |
//! |---|---|
//! | `CUEX` / `CUES` | 8-byte entries: control/ADR, track (BCD, `AA` = lead-out), index (BCD), 0, then CUEX: s32 LBA; CUES: 0, minute, second, frame (absolute time, LBA + 150). One chunk per disc-at-once session |
//! | `DAOX` / `DAOI` | 22-byte header: u32 chunk length again, 13-character MCN + NUL, u16 TOC type, u8 first track, u8 last track; then per track 42 (DAOX) or 30 (DAOI) bytes: 12-character ISRC, u16 sector size, u8 mode code, 3 bytes (Nero writes `00 00 01`), then INDEX 00, INDEX 01 and end-of-track byte offsets in the file as u64 (DAOX) or u32 (DAOI). One chunk per disc-at-once session |
//! | `ETN2` / `ETNF` | per track 32 / 20 bytes: offset and length in bytes (u64 / u32), u32 mode (code in the low byte), u32 start LBA counting stored sectors only, then u64 / u32 unknown. One chunk per track-at-once session |
//! | `TINF` | per track 12 bytes: u32 offset, u32 length, u32 mode: the oldest track-at-once list |
//! | `SINF` | u32: how many tracks the session has (one chunk per session) |
//! | `CDTX` | CD-TEXT packs, 18 bytes each |
//! | `MTYP` | u32 media type bit mask (1 = CD) |
//! | `DINF`, `RELO` | u32, meaning unknown |
//! | `TOCT` | u16 TOC type (high byte 0x00 CD-ROM, 0x10 CD-i, 0x20 CD-ROM XA) |
//! | `END!` | nothing: the end of the chain |
//!
//! Everything here checks sizes against the file before it allocates or trusts them.

use std::fs::File;
use std::path::Path;

use discus_core::flat::read_exact_at;
use discus_core::{Error, Lba, Msf, Result};

/// Which footer the file has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    /// `NERO` + u32: Nero before 5.5.
    V1,
    /// `NER5` + u64: Nero 5.5 and later.
    V2,
}

impl Version {
    /// The footer's size in bytes.
    pub(crate) fn footer_size(self) -> u64 {
        match self {
            Version::V1 => 8,
            Version::V2 => 12,
        }
    }
}

/// Where the chunk chain lies: from `chunks_at` up to `footer_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Footer {
    pub version: Version,
    pub chunks_at: u64,
    pub footer_at: u64,
}

/// Reads a footer from the last bytes of a file of `len` bytes (`tail` ends where the file ends).
/// Returns the version and the offset it points to, whether or not that offset is sane.
pub(crate) fn parse_footer(tail: &[u8], len: u64) -> Option<(Version, u64)> {
    let n = tail.len();
    if n >= 12 && len >= 12 && &tail[n - 12..n - 8] == b"NER5" {
        let offset = u64::from_be_bytes(tail[n - 8..].try_into().ok()?);
        return Some((Version::V2, offset));
    }
    if n >= 8 && len >= 8 && &tail[n - 8..n - 4] == b"NERO" {
        let offset = u32::from_be_bytes(tail[n - 4..].try_into().ok()?);
        return Some((Version::V1, u64::from(offset)));
    }
    None
}

/// Finds and checks the footer of `file` (`len` bytes long).
pub(crate) fn read_footer(file: &File, path: &Path, len: u64) -> Result<Footer> {
    if len < 8 {
        return Err(Error::at_offset(
            path,
            0,
            format!(
                "the file is {len} bytes long, too short for even the 8-byte footer of a Nero image"
            ),
        ));
    }
    let tail_len = len.min(12);
    let mut tail = [0u8; 12];
    let tail = &mut tail[..tail_len as usize];
    read_exact_at(file, path, tail, len - tail_len)?;
    let Some((version, chunks_at)) = parse_footer(tail, len) else {
        return Err(Error::at_offset(
            path,
            len - tail_len,
            "no NER5 or NERO footer at the end of the file: it is not a Nero image, or it was cut short",
        ));
    };
    let footer_at = len - version.footer_size();
    if chunks_at >= footer_at {
        return Err(Error::at_offset(
            path,
            footer_at,
            format!(
                "the footer points to the chunk list at byte {chunks_at}, but the chunks must end before the footer at byte {footer_at}: the file is truncated or the footer is damaged"
            ),
        ));
    }
    Ok(Footer {
        version,
        chunks_at,
        footer_at,
    })
}

/// One chunk of the chain. Payloads are read for the ids this crate understands only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub id: [u8; 4],
    /// Offset of the chunk's header in the file.
    pub at: u64,
    /// The payload length the header declares.
    pub len: u32,
    /// The payload (empty for ids that are skipped).
    pub payload: Vec<u8>,
}

impl Chunk {
    /// The id as text.
    pub(crate) fn name(&self) -> String {
        String::from_utf8_lossy(&self.id).into_owned()
    }

    /// Offset of the payload's first byte.
    pub(crate) fn payload_at(&self) -> u64 {
        self.at + 8
    }

    /// The payload as one big-endian u32, when it is exactly that.
    pub(crate) fn u32(&self) -> Option<u32> {
        Some(u32::from_be_bytes(self.payload.as_slice().try_into().ok()?))
    }
}

/// Ids whose payloads are read. Everything else is skipped with a warning.
const KNOWN: &[&[u8; 4]] = &[
    b"CUEX", b"CUES", b"DAOX", b"DAOI", b"ETN2", b"ETNF", b"TINF", b"SINF", b"CDTX", b"MTYP",
    b"DINF", b"TOCT", b"RELO",
];

/// The largest payload of a known chunk: a CUEX of 99 tracks with 99 indexes each is 80 KB, a full
/// CD-TEXT (8 blocks of 256 packs) 37 KB. Anything near this limit is not a real chunk.
const MAX_PAYLOAD: u32 = 1 << 20;

/// More chunks than any disc needs: a chain longer than this is garbage.
const MAX_CHUNKS: usize = 4096;

/// Walks the chain from the footer's offset to `END!`, checking every length against the file.
pub(crate) fn walk(
    file: &File,
    path: &Path,
    footer: &Footer,
    warnings: &mut Vec<String>,
) -> Result<Vec<Chunk>> {
    let mut chunks = Vec::new();
    let mut at = footer.chunks_at;
    loop {
        if at == footer.footer_at {
            warnings.push(format!(
                "the chunk list ends at byte {at} without an END! chunk"
            ));
            break;
        }
        let room = footer.footer_at - at;
        if room < 8 {
            return Err(Error::at_offset(
                path,
                at,
                format!("a chunk header needs 8 bytes but only {room} remain before the footer"),
            ));
        }
        if chunks.len() >= MAX_CHUNKS {
            return Err(Error::at_offset(
                path,
                at,
                format!("more than {MAX_CHUNKS} chunks: this is not a Nero chunk list"),
            ));
        }
        let mut header = [0u8; 8];
        read_exact_at(file, path, &mut header, at)?;
        let id: [u8; 4] = [header[0], header[1], header[2], header[3]];
        let len = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
        if !id.iter().all(|b| b.is_ascii_graphic()) {
            return Err(Error::at_offset(
                path,
                at,
                format!(
                    "expected a chunk id but found bytes {:02x} {:02x} {:02x} {:02x}: the chunk list is damaged",
                    id[0], id[1], id[2], id[3]
                ),
            ));
        }
        let name = String::from_utf8_lossy(&id).into_owned();
        if u64::from(len) > room - 8 {
            return Err(Error::at_offset(
                path,
                at,
                format!(
                    "chunk {name} claims {len} bytes but only {} remain before the footer: the file is truncated or the chunk is damaged",
                    room - 8
                ),
            ));
        }
        if &id == b"END!" {
            if len != 0 {
                warnings.push(format!("the END! chunk at byte {at} has a length of {len}"));
            }
            let after = at + 8 + u64::from(len);
            if after != footer.footer_at {
                warnings.push(format!(
                    "{} bytes lie between the END! chunk and the footer",
                    footer.footer_at - after
                ));
            }
            chunks.push(Chunk {
                id,
                at,
                len,
                payload: Vec::new(),
            });
            break;
        }
        let payload = if KNOWN.contains(&&id) {
            if len > MAX_PAYLOAD {
                return Err(Error::at_offset(
                    path,
                    at,
                    format!("chunk {name} claims {len} bytes, far more than any disc needs"),
                ));
            }
            let mut payload = vec![0u8; len as usize];
            read_exact_at(file, path, &mut payload, at + 8)?;
            payload
        } else {
            warnings.push(format!(
                "skipped chunk {name} ({len} bytes at byte {at}): its meaning is unknown"
            ));
            Vec::new()
        };
        chunks.push(Chunk {
            id,
            at,
            len,
            payload,
        });
        at += 8 + u64::from(len);
    }
    Ok(chunks)
}

/// The track number of a cue entry that marks the lead-out.
pub(crate) const LEAD_OUT: u8 = 0xAA;

/// One entry of a CUEX/CUES chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CueEntry {
    /// Control (high nibble) and ADR (low nibble), as in the Q subchannel.
    pub control_adr: u8,
    /// Track number (decoded from BCD), 0 for the lead-in, [`LEAD_OUT`] for the lead-out.
    pub track: u8,
    /// Index number (decoded from BCD).
    pub index: u8,
    /// The address as stored: CUEX s32 LBA; CUES `00 MM SS FF`.
    pub position: [u8; 4],
    /// Whether `position` is a CUES time rather than a CUEX LBA.
    pub msf: bool,
}

impl CueEntry {
    /// The entry's address. CUES times are read as BCD, the way track and index numbers are
    /// coded; a time that is not valid BCD is read as plain binary, as libmirage reads all of them.
    pub(crate) fn lba(&self) -> Option<Lba> {
        if !self.msf {
            return Some(Lba(i32::from_be_bytes(self.position)));
        }
        let [_, m, s, f] = self.position;
        let msf = Msf::from_bcd([m, s, f])
            .or_else(|_| Msf::new(m, s, f))
            .ok()?;
        Some(Lba::from_absolute_msf(msf))
    }

    /// An entry at `lba` in the CUEX form.
    pub(crate) fn at_lba(control_adr: u8, track: u8, index: u8, lba: Lba) -> CueEntry {
        CueEntry {
            control_adr,
            track,
            index,
            position: lba.0.to_be_bytes(),
            msf: false,
        }
    }

    /// The 8 bytes of the entry (track and index BCD-coded, except the lead-out's `AA`).
    pub(crate) fn encode(&self) -> [u8; 8] {
        let track = if self.track == LEAD_OUT {
            LEAD_OUT
        } else {
            discus_core::address::to_bcd(self.track)
        };
        let [a, b, c, d] = self.position;
        [
            self.control_adr,
            track,
            discus_core::address::to_bcd(self.index),
            0,
            a,
            b,
            c,
            d,
        ]
    }
}

/// Reads a CUEX/CUES payload. An error here is a sentence for a warning: the cue chunk only
/// confirms what the track list says, so a damaged one is set aside rather than fatal.
pub(crate) fn parse_cue(chunk: &Chunk) -> std::result::Result<Vec<CueEntry>, String> {
    if !chunk.payload.len().is_multiple_of(8) {
        return Err(format!(
            "chunk {} at byte {} is {} bytes long, not a whole number of 8-byte entries",
            chunk.name(),
            chunk.at,
            chunk.payload.len()
        ));
    }
    let mut entries = Vec::new();
    for (i, raw) in chunk.payload.chunks_exact(8).enumerate() {
        let entry_at = chunk.payload_at() + i as u64 * 8;
        let track = if raw[1] == LEAD_OUT {
            LEAD_OUT
        } else {
            discus_core::address::from_bcd(raw[1]).map_err(|e| {
                format!(
                    "{} entry at byte {entry_at}: track number {e}",
                    chunk.name()
                )
            })?
        };
        let index = discus_core::address::from_bcd(raw[2])
            .map_err(|e| format!("{} entry at byte {entry_at}: index {e}", chunk.name()))?;
        entries.push(CueEntry {
            control_adr: raw[0],
            track,
            index,
            position: [raw[4], raw[5], raw[6], raw[7]],
            msf: &chunk.id == b"CUES",
        });
    }
    Ok(entries)
}

/// Bytes of a DAOX/DAOI header.
pub(crate) const DAO_HEADER: usize = 22;
/// Bytes of a DAOX track entry.
pub(crate) const DAOX_ENTRY: usize = 42;
/// Bytes of a DAOI track entry.
pub(crate) const DAOI_ENTRY: usize = 30;

/// One track of a DAOX/DAOI chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DaoEntry {
    pub isrc: [u8; 12],
    pub sector_size: u16,
    pub mode: u8,
    /// The three bytes after the mode (Nero writes `00 00 01`).
    pub extra: [u8; 3],
    /// Byte offset of INDEX 00 (the first stored pregap sector).
    pub index0: u64,
    /// Byte offset of INDEX 01.
    pub index1: u64,
    /// Byte offset just after the track.
    pub end: u64,
    /// Offset of this entry in the file, for messages.
    pub at: u64,
}

/// A DAOX/DAOI chunk: one disc-at-once session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DaoChunk {
    /// 13 characters and a NUL; all NUL when there is none.
    pub mcn: [u8; 14],
    pub toc_type: u16,
    pub first_track: u8,
    pub last_track: u8,
    pub entries: Vec<DaoEntry>,
    /// Offset of the chunk in the file.
    pub at: u64,
}

impl DaoChunk {
    /// Reads a DAOX (64-bit offsets) or DAOI (32-bit) payload.
    pub(crate) fn parse(chunk: &Chunk, path: &Path) -> Result<DaoChunk> {
        let wide = &chunk.id == b"DAOX";
        let entry_size = if wide { DAOX_ENTRY } else { DAOI_ENTRY };
        let payload = &chunk.payload;
        if payload.len() < DAO_HEADER || !(payload.len() - DAO_HEADER).is_multiple_of(entry_size) {
            return Err(Error::at_offset(
                path,
                chunk.at,
                format!(
                    "chunk {} is {} bytes long; it must be a {DAO_HEADER}-byte header and {entry_size}-byte track entries",
                    chunk.name(),
                    payload.len()
                ),
            ));
        }
        let mut mcn = [0u8; 14];
        mcn.copy_from_slice(&payload[4..18]);
        let toc_type = u16::from_be_bytes([payload[18], payload[19]]);
        let mut entries = Vec::new();
        for (i, raw) in payload[DAO_HEADER..].chunks_exact(entry_size).enumerate() {
            let mut isrc = [0u8; 12];
            isrc.copy_from_slice(&raw[..12]);
            let offset = |n: usize| -> u64 {
                if wide {
                    let at = 18 + n * 8;
                    u64::from_be_bytes([
                        raw[at],
                        raw[at + 1],
                        raw[at + 2],
                        raw[at + 3],
                        raw[at + 4],
                        raw[at + 5],
                        raw[at + 6],
                        raw[at + 7],
                    ])
                } else {
                    let at = 18 + n * 4;
                    u64::from(u32::from_be_bytes([
                        raw[at],
                        raw[at + 1],
                        raw[at + 2],
                        raw[at + 3],
                    ]))
                }
            };
            entries.push(DaoEntry {
                isrc,
                sector_size: u16::from_be_bytes([raw[12], raw[13]]),
                mode: raw[14],
                extra: [raw[15], raw[16], raw[17]],
                index0: offset(0),
                index1: offset(1),
                end: offset(2),
                at: chunk.payload_at() + (DAO_HEADER + i * entry_size) as u64,
            });
        }
        Ok(DaoChunk {
            mcn,
            toc_type,
            first_track: payload[20],
            last_track: payload[21],
            entries,
            at: chunk.at,
        })
    }

    /// The DAOX payload (64-bit offsets).
    pub(crate) fn encode(&self) -> Vec<u8> {
        let len = DAO_HEADER + self.entries.len() * DAOX_ENTRY;
        let mut out = Vec::with_capacity(len);
        // Nero repeats the payload length here (big-endian in the files we have seen).
        out.extend_from_slice(&(len as u32).to_be_bytes());
        out.extend_from_slice(&self.mcn);
        out.extend_from_slice(&self.toc_type.to_be_bytes());
        out.push(self.first_track);
        out.push(self.last_track);
        for entry in &self.entries {
            out.extend_from_slice(&entry.isrc);
            out.extend_from_slice(&entry.sector_size.to_be_bytes());
            out.push(entry.mode);
            out.extend_from_slice(&entry.extra);
            out.extend_from_slice(&entry.index0.to_be_bytes());
            out.extend_from_slice(&entry.index1.to_be_bytes());
            out.extend_from_slice(&entry.end.to_be_bytes());
        }
        out
    }
}

/// One track of an ETN2/ETNF/TINF chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EtnEntry {
    /// Byte offset of the track's first stored sector.
    pub offset: u64,
    /// Bytes the track stores.
    pub length: u64,
    /// The 32-bit mode field (the code is its low byte).
    pub mode: u32,
    /// The start LBA field (stored sectors before this track); TINF has none.
    pub start_lba: Option<u32>,
    /// Offset of this entry in the file, for messages.
    pub at: u64,
}

/// Reads an ETN2, ETNF or TINF payload: one track-at-once session.
pub(crate) fn parse_etn(chunk: &Chunk, path: &Path) -> Result<Vec<EtnEntry>> {
    let size = match &chunk.id {
        b"ETN2" => 32,
        b"ETNF" => 20,
        _ => 12,
    };
    if !chunk.payload.len().is_multiple_of(size) {
        return Err(Error::at_offset(
            path,
            chunk.at,
            format!(
                "chunk {} is {} bytes long, not a whole number of {size}-byte track entries",
                chunk.name(),
                chunk.payload.len()
            ),
        ));
    }
    let be32 = |b: &[u8], at: usize| u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    let be64 = |b: &[u8], at: usize| (u64::from(be32(b, at)) << 32) | u64::from(be32(b, at + 4));
    Ok(chunk
        .payload
        .chunks_exact(size)
        .enumerate()
        .map(|(i, raw)| {
            let at = chunk.payload_at() + (i * size) as u64;
            match size {
                32 => EtnEntry {
                    offset: be64(raw, 0),
                    length: be64(raw, 8),
                    mode: be32(raw, 16),
                    start_lba: Some(be32(raw, 20)),
                    at,
                },
                20 => EtnEntry {
                    offset: u64::from(be32(raw, 0)),
                    length: u64::from(be32(raw, 4)),
                    mode: be32(raw, 8),
                    start_lba: Some(be32(raw, 12)),
                    at,
                },
                _ => EtnEntry {
                    offset: u64::from(be32(raw, 0)),
                    length: u64::from(be32(raw, 4)),
                    mode: be32(raw, 8),
                    start_lba: None,
                    at,
                },
            }
        })
        .collect())
}

/// Appends a chunk (id, length, payload) to `out`.
pub(crate) fn put_chunk(out: &mut Vec<u8>, id: &[u8; 4], payload: &[u8]) {
    out.extend_from_slice(id);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
}

/// The version 2 footer pointing to a chunk list at `chunks_at`.
pub(crate) fn footer_v2(chunks_at: u64) -> [u8; 12] {
    let mut footer = [0u8; 12];
    footer[..4].copy_from_slice(b"NER5");
    footer[4..].copy_from_slice(&chunks_at.to_be_bytes());
    footer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footers_of_both_versions() {
        let mut tail = vec![0u8; 20];
        tail.extend_from_slice(&footer_v2(1234));
        assert_eq!(parse_footer(&tail, 1 << 20), Some((Version::V2, 1234)));
        let mut v1 = vec![0u8; 20];
        v1.extend_from_slice(b"NERO");
        v1.extend_from_slice(&99u32.to_be_bytes());
        assert_eq!(parse_footer(&v1, 1 << 20), Some((Version::V1, 99)));
        assert_eq!(parse_footer(b"NER5", 4), None);
        assert_eq!(parse_footer(&[0u8; 12], 12), None);
    }

    #[test]
    fn cue_entries_round_trip_and_cues_times_read_as_bcd() {
        let entry = CueEntry::at_lba(0x41, 12, 1, Lba(-150));
        let bytes = entry.encode();
        assert_eq!(bytes, [0x41, 0x12, 0x01, 0, 0xff, 0xff, 0xff, 0x6a]);
        let chunk = Chunk {
            id: *b"CUEX",
            at: 0,
            len: 8,
            payload: bytes.to_vec(),
        };
        assert_eq!(parse_cue(&chunk), Ok(vec![entry]));
        let cues = CueEntry {
            control_adr: 0x41,
            track: 1,
            index: 1,
            position: [0, 0x00, 0x12, 0x34],
            msf: true,
        };
        // 00:12:34 absolute is 12 × 75 + 34 − 150 = 784.
        assert_eq!(cues.lba(), Some(Lba(784)));
        let binary = CueEntry {
            position: [0, 0, 0x1a, 0],
            ..cues
        };
        assert_eq!(binary.lba(), Some(Lba(26 * 75 - 150)));
    }

    #[test]
    fn dao_chunk_round_trips() {
        let dao = DaoChunk {
            mcn: *b"1234567890123\0",
            toc_type: 0x2001,
            first_track: 1,
            last_track: 1,
            entries: vec![DaoEntry {
                isrc: *b"USABC1234567",
                sector_size: 2352,
                mode: 0x06,
                extra: [0, 0, 1],
                index0: 0,
                index1: 352_800,
                end: 1_000_000 * 2352,
                at: 8 + 22,
            }],
            at: 0,
        };
        let payload = dao.encode();
        assert_eq!(payload.len(), 64);
        let chunk = Chunk {
            id: *b"DAOX",
            at: 0,
            len: 64,
            payload,
        };
        assert_eq!(DaoChunk::parse(&chunk, Path::new("x")).unwrap(), dao);
    }
}
