//! The descriptor DiscJuggler writes after the sector data: its place (the trailer), and the
//! session and track blocks inside it, field by field.
//!
//! The last 8 bytes of the file are the trailer: the version (`0x80000004` v2, `0x80000005` v3,
//! `0x80000006` v3.5) and a u32 that places the descriptor — counted from the start of the file
//! in v2 and v3, from the end of the file in v3.5. All numbers are little-endian.
//!
//! The descriptor is a u16 session count, then per session a u16 track count, the track blocks
//! and a session trailer (12 bytes in v2, 13 later); then a session of no tracks (its u16 count
//! 0) and the disc block. A track block and the disc block begin with the same header:
//!
//! | size | field |
//! |---|---|
//! | 4 (+8) | zero, or non-zero and 8 more bytes (written by DiscJuggler 3.00.780 and later) |
//! | 20 | the start mark `00 00 01 00 00 00 FF FF FF FF`, twice |
//! | 4 | DiscJuggler settings (the last byte: the tracks on the disc) |
//! | 1 + n | length and name of the image file |
//! | 19 | not needed here |
//! | 4 (+8) | `0x80000000` and 8 more from DiscJuggler 4 on: disc capacity (u32), 2 bytes, medium type (u16: `0x98` CD-ROM, `0x38` DVD-ROM) |
//!
//! The rest of a track block (sizes in bytes):
//!
//! | size | field |
//! |---|---|
//! | 2 + 4·n | index count, then the *length* of each index: the pregap, INDEX 01, INDEX 02 … |
//! | 4 + … | CD-TEXT block count (one per language, at most 8), each block 18 fields of a length byte and that many bytes |
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
//! The rest of the disc block, which only DiscJuggler 4's layout is known to carry:
//!
//! | size | field |
//! |---|---|
//! | 4 | the disc's size in sectors (lead-in and lead-out between sessions included) |
//! | 1 + n | length and text of the volume name (the data track's ISO 9660 volume identifier) |
//! | 9 | not needed here |
//! | 13 + 4 | the catalog number (EAN/UPC, 13 digits) and whether it is set |
//! | 4 + n | length and bytes of the lead-in's CD-TEXT: 18-byte packs as a drive returns them |
//! | 8 | zeros (in v3.5 the version word and the trailer follow) |
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

/// The medium type DiscJuggler 4 writes for a CD.
pub const MEDIUM_CD_ROM: u16 = 0x98;
/// The medium type DiscJuggler 4 writes for a DVD.
pub const MEDIUM_DVD_ROM: u16 = 0x38;

/// Fields of one CD-TEXT block of a track.
pub const TEXT_FIELDS: usize = 18;
/// CD-TEXT blocks a track can have: one per language, as on the disc.
const MAX_TEXT_BLOCKS: u32 = 8;

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
    /// The header's medium type, when the block has DiscJuggler 4's header.
    pub medium: Option<u16>,
    /// The CD-TEXT blocks, one per language: each its 18 fields as stored, empty ones included.
    pub text: Vec<Vec<Vec<u8>>>,
}

/// One session: its track blocks.
pub type SessionBlock = Vec<TrackBlock>;

/// The disc block after the sessions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscBlock {
    /// The byte of the file where the block begins (for errors).
    pub offset: u64,
    /// The header's medium type, when the block has DiscJuggler 4's header.
    pub medium: Option<u16>,
    /// The disc's size in sectors, lead-ins and lead-outs between sessions included.
    pub sectors: u32,
    /// The volume name as stored (empty when there is none).
    pub volume: Vec<u8>,
    /// The catalog field and the byte it begins at, when the block marks it as set.
    pub catalog: Option<(Vec<u8>, u64)>,
    /// The lead-in's CD-TEXT as stored (18-byte packs) and the byte it begins at.
    pub cd_text: (Vec<u8>, u64),
}

/// The whole descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Descriptor {
    /// The sessions, each its track blocks.
    pub sessions: Vec<SessionBlock>,
    /// The disc block, when the sessions are followed by one.
    pub disc: Option<DiscBlock>,
    /// Bytes after the sessions that are not a disc block.
    pub unread: Option<Unread>,
}

/// Bytes of the descriptor left unread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unread {
    /// The byte of the file where they begin.
    pub at: u64,
    /// How many.
    pub count: usize,
}

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

    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.at)
    }

    /// Reads a length-prefixed run of `len` bytes whose length field began at `len_at`; one that
    /// runs past the descriptor's end is named with the length and what was left.
    fn counted(&mut self, len: usize, len_at: u64, what: &str) -> Result<&'a [u8]> {
        let left = self.remaining();
        if len > left {
            return Err(self.fail(
                len_at,
                format!(
                    "{what} claims {len} bytes and the CDI descriptor ends {left} bytes later: it is truncated or not a descriptor"
                ),
            ));
        }
        self.take(len, what)
    }

    /// Whether a block header (an optional u32 with its 8 bytes, then the start mark twice)
    /// begins at the cursor.
    fn at_header(&self) -> bool {
        let rest = &self.bytes[self.at.min(self.bytes.len())..];
        let marks_at = match rest.get(..4) {
            Some([0, 0, 0, 0]) => 4,
            Some(_) => 12,
            None => return false,
        };
        rest.get(marks_at..marks_at + 20)
            .is_some_and(|m| m[..10] == START_MARK && m[10..] == START_MARK)
    }
}

/// Parses the descriptor `bytes`, which begin at byte `base` of the file.
pub fn parse(path: &Path, version: u32, bytes: &[u8], base: u64) -> Result<Descriptor> {
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
    let (disc, unread) = disc_block(&mut c)?;
    Ok(Descriptor {
        sessions: out,
        disc,
        unread,
    })
}

/// Parses what follows the sessions: DiscJuggler's session of no tracks, then the disc block.
/// A descriptor that ends with the sessions (older writers) has none; bytes that do not begin
/// with a block header are left unread (and reported), since only this layout is known. Once
/// the header is there, the block is read whole and a block cut short is an error.
fn disc_block(c: &mut Cursor<'_>) -> Result<(Option<DiscBlock>, Option<Unread>)> {
    let rest_at = c.offset();
    let rest = c.remaining();
    if rest == 0 {
        return Ok((None, None));
    }
    let ended = rest >= 2 && c.u16("the session of no tracks")? == 0;
    if ended && c.remaining() == 0 {
        return Ok((None, None));
    }
    if !ended || !c.at_header() {
        return Ok((
            None,
            Some(Unread {
                at: rest_at,
                count: rest,
            }),
        ));
    }
    let offset = c.offset();
    let medium = header(c, "the disc block")?;
    let sectors = c.u32("the disc block's disc size")?;
    let volume_at = c.offset();
    let volume_len = usize::from(c.u8("the disc block's volume name length")?);
    let volume = c
        .counted(volume_len, volume_at, "the disc block's volume name")?
        .to_vec();
    c.skip(9, "the disc block")?;
    let catalog_at = c.offset();
    let catalog = c.take(13, "the disc block's catalog number")?.to_vec();
    let catalog_set = c.u32("the disc block's catalog flag")? != 0;
    let text_at = c.offset();
    let text_len = c.u32("the disc block's CD-TEXT length")?;
    let text_len = usize::try_from(text_len).unwrap_or(usize::MAX);
    let text = c
        .counted(text_len, text_at, "the disc block's CD-TEXT")?
        .to_vec();
    Ok((
        Some(DiscBlock {
            offset,
            medium,
            sectors,
            volume,
            catalog: catalog_set.then_some((catalog, catalog_at)),
            cd_text: (text, text_at + 4),
        }),
        None,
    ))
}

/// Parses the header a track block and the disc block begin with; returns the medium type when
/// the header has DiscJuggler 4's fields.
fn header(c: &mut Cursor<'_>, what: &str) -> Result<Option<u16>> {
    if c.u32(what)? != 0 {
        c.skip(8, what)?;
    }
    let mark_at = c.offset();
    let marks = c.take(20, "a block's start mark")?;
    if marks[..10] != START_MARK || marks[10..] != START_MARK {
        return Err(c.fail(
            mark_at,
            format!(
                "no track start mark (00 00 01 00 00 00 FF FF FF FF, twice) where {what} begins"
            ),
        ));
    }
    c.skip(4, "a block's settings")?;
    let name_at = c.offset();
    let name = usize::from(c.u8("a block's file name length")?);
    c.counted(name, name_at, "a block's file name")?;
    c.skip(19, what)?;
    if c.u32(what)? != 0x8000_0000 {
        return Ok(None);
    }
    c.skip(4, "a block's disc capacity")?;
    c.skip(2, what)?;
    Ok(Some(c.u16("a block's medium type")?))
}

/// Parses one track block at the cursor.
fn track(c: &mut Cursor<'_>, version: u32) -> Result<TrackBlock> {
    let offset = c.offset();
    let medium = header(c, "a track block")?;
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
    if blocks > MAX_TEXT_BLOCKS {
        return Err(c.fail(
            text_at,
            format!("a track with {blocks} CD-TEXT blocks (at most 8 languages)"),
        ));
    }
    let mut text = Vec::with_capacity(blocks as usize);
    for block in 0..blocks {
        let mut fields = Vec::with_capacity(TEXT_FIELDS);
        for field in 0..TEXT_FIELDS {
            let len_at = c.offset();
            let len = usize::from(c.u8("a track's CD-TEXT")?);
            let what = format!("field {field} of the track's CD-TEXT block {block}");
            fields.push(c.counted(len, len_at, &what)?.to_vec());
        }
        text.push(fields);
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
        medium,
        text,
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

    /// The header of a block: DiscJuggler 3.00.780's 8 extra bytes when `newer`, and
    /// DiscJuggler 4's medium fields.
    fn header_bytes(newer: bool, medium: u16) -> Vec<u8> {
        let mut b = if newer {
            [&1u32.to_le_bytes()[..], &[0; 8]].concat()
        } else {
            vec![0; 4]
        };
        b.extend(START_MARK);
        b.extend(START_MARK);
        b.extend([0, 0, 0, 1, 3]);
        b.extend(b"a.c");
        b.extend([0; 19]);
        b.extend(0x8000_0000u32.to_le_bytes());
        b.extend(360_000u32.to_le_bytes());
        b.extend([0, 0]);
        b.extend(medium.to_le_bytes());
        b
    }

    /// A v3 descriptor of one audio track with the given CD-TEXT blocks, then `after`.
    fn descriptor(text: &[&[&[u8]]], after: &[u8]) -> Vec<u8> {
        let mut d = vec![1, 0, 1, 0];
        d.extend(header_bytes(false, MEDIUM_CD_ROM));
        d.extend(2u16.to_le_bytes());
        d.extend(150u32.to_le_bytes());
        d.extend(10u32.to_le_bytes());
        d.extend((text.len() as u32).to_le_bytes());
        for fields in text {
            for i in 0..TEXT_FIELDS {
                let field = fields.get(i).copied().unwrap_or(b"");
                d.push(field.len() as u8);
                d.extend(field);
            }
        }
        d.extend([0; 2]);
        d.extend(0u32.to_le_bytes()); // audio
        d.extend([0; 12]);
        d.extend(0u32.to_le_bytes()); // start
        d.extend(160u32.to_le_bytes()); // total
        d.extend([0; 16]);
        d.extend(2u32.to_le_bytes()); // 2352-byte sectors
        d.extend(0u32.to_le_bytes());
        d.extend([0; 9 + 12 + 4 + 5 + 4]);
        d.extend([0; 13]); // the session's closing bytes
        d.extend(0u16.to_le_bytes()); // the session of no tracks
        d.extend(after);
        d
    }

    #[test]
    fn cd_text_fields_and_a_disc_block_in_the_newer_header_shape() {
        let path = Path::new("t.cdi");
        let mut disc = header_bytes(true, MEDIUM_DVD_ROM);
        disc.extend(210u32.to_le_bytes());
        disc.extend(b"\x03VOL");
        disc.extend([0, 1, 0, 0, 0, 1, 0, 0, 0]);
        disc.extend(b"0123456789012");
        disc.extend(1u32.to_le_bytes());
        disc.extend(18u32.to_le_bytes());
        disc.extend([0x80; 18]);
        disc.extend([0; 8]);
        let fields: &[&[u8]] = &[b"zero", b"", b"two"];
        let bytes = descriptor(&[fields, &[]], &disc);
        let parsed = parse(path, V3, &bytes, 1000).unwrap();
        let track = &parsed.sessions[0][0];
        assert_eq!(track.medium, Some(MEDIUM_CD_ROM));
        assert_eq!(track.text.len(), 2);
        assert_eq!(track.text[0][2], b"two");
        assert!(track.text[1].iter().all(Vec::is_empty));
        let block = parsed.disc.unwrap();
        assert_eq!(block.medium, Some(MEDIUM_DVD_ROM));
        assert_eq!((block.sectors, &block.volume[..]), (210, &b"VOL"[..]));
        assert_eq!(
            block.catalog.map(|(c, _)| c),
            Some(b"0123456789012".to_vec())
        );
        assert_eq!(block.cd_text.0, vec![0x80; 18]);
        assert_eq!(parsed.unread, None);

        // Bytes after the sessions with no start mark: left unread, named.
        let bytes = descriptor(&[], b"junk after the sessions");
        let parsed = parse(path, V3, &bytes, 1000).unwrap();
        let unread = parsed.unread.unwrap();
        assert_eq!((parsed.disc, unread.count), (None, 25));

        // More than 8 languages, and a field that runs past the end.
        let nine: Vec<&[&[u8]]> = vec![&[]; 9];
        let err = parse(path, V3, &descriptor(&nine, &[]), 0).unwrap_err();
        assert!(err.to_string().contains("9 CD-TEXT blocks"), "{err}");
        let mut cut = descriptor(&[&[b"a title"]], &[]);
        let len_at = cut.iter().position(|&b| b == 7).unwrap();
        cut.truncate(len_at + 3);
        let err = parse(path, V3, &cut, 0).unwrap_err().to_string();
        assert!(
            err.contains("field 0 of the track's CD-TEXT block 0 claims 7 bytes")
                && err.contains(&format!("byte offset {len_at}")),
            "{err}"
        );
    }
}
