//! The descriptor DiscJuggler writes after the sector data: its place (the trailer), and the
//! session and track blocks inside it, field by field.
//!
//! The last 8 bytes of the file are the trailer: the version (`0x80000004` v2, `0x80000005` v3,
//! `0x80000006` v3.5) and a u32 that places the descriptor — counted from the start of the file
//! in v2 and v3, from the end of the file in v3.5. All numbers are little-endian.
//!
//! The descriptor is a u16 session count, then per session a u16 track count, the track blocks
//! and a session trailer (12 bytes in v2, 13 later). A track block (sizes in bytes):
//!
//! | size | field |
//! |---|---|
//! | 4 (+8) | zero, or non-zero and 8 more bytes (written by DiscJuggler 3.00.780 and later) |
//! | 20 | the start mark `00 00 01 00 00 00 FF FF FF FF`, twice |
//! | 4 | DiscJuggler settings |
//! | 1 + n | length and name of the image file |
//! | 19 | not needed here |
//! | 4 (+8) | `0x80000000` and 8 more bytes (disc capacity, medium type) from DiscJuggler 4 on |
//! | 2 + 4·n | index count, then the *length* of each index: the pregap, INDEX 01, INDEX 02 … |
//! | 4 + … | CD-TEXT block count, each block 18 fields of a length byte and that many bytes |
//! | 2 | not needed here |
//! | 4 | track mode: 0 audio, 1 Mode 1, 2 Mode 2 |
//! | 4, 4, 4 | not needed here, session index, track index in the session |
//! | 4 | start address: the first sector of the track's pregap, counted from LBA −150 |
//! | 4 | the track's sectors, pregap included (the sum of the index lengths) |
//! | 16 | not needed here |
//! | 4 | read mode: sector size 2048, 2336, 2352, 2352 + 16 (Q) or 2352 + 96 (P–W) |
//! | 4 | control bits (the Q channel's CTL) |
//! | 9 | zero, the track length again, zeros |
//! | 12 + 4 | ISRC and whether it is set |
//! | 5 + 4 (+78) | v3 and later: a word that, when `FFFFFFFF`, is followed by 78 more bytes |
//!
//! The sector data of every track, pregap included, lies in the file from byte 0 on, track after
//! track in descriptor order. These facts are those libmirage's and Aaru's readers rely on, and
//! the version rules those of the readers that handle all three versions.

use std::path::Path;

use discus_core::{Error, Result};

/// The version word of a DiscJuggler v2 image.
pub const V2: u32 = 0x8000_0004;
/// The version word of a DiscJuggler v3 image.
pub const V3: u32 = 0x8000_0005;
/// The version word of a DiscJuggler v3.5 image (the descriptor placed from the end).
pub const V35: u32 = 0x8000_0006;

/// The start mark every track block holds twice.
const START_MARK: [u8; 10] = [0, 0, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF];

/// More sessions or tracks than a CD can hold.
const MAX_TRACKS: usize = 99;

/// The largest descriptor read: 99 tracks with full CD-TEXT stay far below it, and nothing is
/// allocated for a descriptor the trailer merely claims.
pub const MAX_DESCRIPTOR: u64 = 4 << 20;

/// The trailer's two words, checked against the file's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trailer {
    /// The version word.
    pub version: u32,
    /// Where the descriptor begins, from the start of the file.
    pub start: u64,
}

impl Trailer {
    /// Reads the last 8 bytes of a file of `len` bytes; `None` when they are not a trailer.
    pub fn parse(last8: &[u8], len: u64) -> Option<Trailer> {
        let version = u32::from_le_bytes(last8.get(0..4)?.try_into().ok()?);
        let place = u64::from(u32::from_le_bytes(last8.get(4..8)?.try_into().ok()?));
        let start = match version {
            V2 | V3 => place,
            V35 => len.checked_sub(place)?,
            _ => return None,
        };
        // The descriptor holds at least a session count, and ends before the trailer.
        (start + 2 <= len.checked_sub(8)?).then_some(Trailer { version, start })
    }

    /// The version as DiscJuggler names it.
    pub fn name(self) -> &'static str {
        match self.version {
            V2 => "2",
            V3 => "3",
            _ => "3.5",
        }
    }
}

/// One track block, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackBlock {
    /// The byte of the file where the block begins (for errors).
    pub offset: u64,
    /// The index lengths: the pregap, INDEX 01, INDEX 02 …
    pub indexes: Vec<u32>,
    /// 0 audio, 1 Mode 1, 2 Mode 2.
    pub mode: u32,
    /// The first sector of the pregap, counted from LBA −150.
    pub start: u32,
    /// Sectors of the track, pregap included.
    pub total: u32,
    /// 0 2048, 1 2336, 2 2352, 3 2352 + 16, 4 2352 + 96.
    pub read_mode: u32,
    /// The Q channel's control bits.
    pub control: u32,
    /// The ISRC, when the block marks it as set.
    pub isrc: Option<String>,
}

/// One session: its track blocks.
pub type SessionBlock = Vec<TrackBlock>;

/// Reads little-endian fields from the descriptor, failing with the file offset of the field
/// that runs past its end.
struct Cursor<'a> {
    path: &'a Path,
    bytes: &'a [u8],
    base: u64,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn offset(&self) -> u64 {
        self.base + self.at as u64
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(Error::at_offset(
                self.path,
                self.offset(),
                format!(
                    "the CDI descriptor ends inside {what}: it is truncated or not a descriptor"
                ),
            ));
        };
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn skip(&mut self, n: usize, what: &str) -> Result<()> {
        self.take(n, what).map(|_| ())
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn fail(&self, at: u64, message: impl Into<String>) -> Error {
        Error::at_offset(self.path, at, message)
    }
}

/// Parses the descriptor `bytes`, which begin at byte `base` of the file.
pub fn parse(path: &Path, version: u32, bytes: &[u8], base: u64) -> Result<Vec<SessionBlock>> {
    let mut c = Cursor {
        path,
        bytes,
        base,
        at: 0,
    };
    let count_at = c.offset();
    let sessions = usize::from(c.u16("the session count")?);
    if sessions == 0 || sessions > MAX_TRACKS {
        return Err(c.fail(
            count_at,
            format!("the CDI descriptor counts {sessions} sessions (1 to 99)"),
        ));
    }
    let mut out = Vec::with_capacity(sessions);
    let mut all_tracks = 0usize;
    for session in 1..=sessions {
        let count_at = c.offset();
        let tracks = usize::from(c.u16("a session's track count")?);
        all_tracks += tracks;
        if tracks == 0 || all_tracks > MAX_TRACKS {
            return Err(c.fail(
                count_at,
                format!(
                    "session {session} counts {tracks} tracks, {all_tracks} in all (1 to 99 on a disc)"
                ),
            ));
        }
        let mut blocks = Vec::with_capacity(tracks);
        for _ in 0..tracks {
            blocks.push(track(&mut c, version)?);
        }
        c.skip(
            if version == V2 { 12 } else { 13 },
            "a session's closing bytes",
        )?;
        out.push(blocks);
    }
    Ok(out)
}

/// Parses one track block at the cursor.
fn track(c: &mut Cursor<'_>, version: u32) -> Result<TrackBlock> {
    let offset = c.offset();
    if c.u32("a track block")? != 0 {
        c.skip(8, "a track block")?;
    }
    let mark_at = c.offset();
    let marks = c.take(20, "a track's start mark")?;
    if marks[..10] != START_MARK || marks[10..] != START_MARK {
        return Err(c.fail(
            mark_at,
            "no track start mark (00 00 01 00 00 00 FF FF FF FF, twice) where a track block begins",
        ));
    }
    c.skip(4, "a track's settings")?;
    let name = usize::from(c.u8("a track's file name length")?);
    c.skip(name, "a track's file name")?;
    c.skip(19, "a track block")?;
    if c.u32("a track block")? == 0x8000_0000 {
        c.skip(8, "a track's medium fields")?;
    }
    let count_at = c.offset();
    let count = usize::from(c.u16("a track's index count")?);
    if !(2..=100).contains(&count) {
        return Err(c.fail(
            count_at,
            format!("a track with {count} indexes: a pregap, INDEX 01 and at most 98 more"),
        ));
    }
    let mut indexes = Vec::with_capacity(count);
    for _ in 0..count {
        indexes.push(c.u32("a track's index lengths")?);
    }
    let text_at = c.offset();
    let blocks = c.u32("a track's CD-TEXT block count")?;
    if blocks > 8 {
        return Err(c.fail(
            text_at,
            format!("a track with {blocks} CD-TEXT blocks (at most 8 languages)"),
        ));
    }
    for _ in 0..blocks * 18 {
        let len = usize::from(c.u8("a track's CD-TEXT")?);
        c.skip(len, "a track's CD-TEXT")?;
    }
    c.skip(2, "a track block")?;
    let mode = c.u32("a track's mode")?;
    c.skip(12, "a track's session and track index")?;
    let start = c.u32("a track's start address")?;
    let total = c.u32("a track's length")?;
    c.skip(16, "a track block")?;
    let read_mode = c.u32("a track's read mode")?;
    let control = c.u32("a track's control bits")?;
    c.skip(9, "a track block")?;
    let isrc = c.take(12, "a track's ISRC")?;
    let isrc_set = c.u32("a track's ISRC flag")? != 0;
    if version != V2 {
        c.skip(5, "a track block")?;
        if c.u32("a track block")? == 0xFFFF_FFFF {
            c.skip(78, "a track block")?;
        }
    }
    let isrc = isrc_set
        .then(|| String::from_utf8_lossy(isrc).into_owned())
        .filter(|s| s.len() == 12 && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    Ok(TrackBlock {
        offset,
        indexes,
        mode,
        start,
        total,
        read_mode,
        control,
        isrc,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn trailer_places_the_descriptor_by_version() {
        let word = |v: u32, p: u32| [v.to_le_bytes(), p.to_le_bytes()].concat();
        // v3.5 counts from the end of the file, v2 and v3 from the start.
        assert_eq!(
            Trailer::parse(&word(V35, 100), 1000),
            Some(Trailer {
                version: V35,
                start: 900
            })
        );
        assert_eq!(
            Trailer::parse(&word(V2, 100), 1000).map(|t| t.start),
            Some(100)
        );
        assert_eq!(Trailer::parse(&word(V3, 995), 1000), None);
        assert_eq!(Trailer::parse(&word(V35, 2000), 1000), None);
        assert_eq!(Trailer::parse(&word(0x8000_0007, 100), 1000), None);
    }
}
