//! The binary `.mds` descriptor (version 1, little-endian throughout): parsing it into blocks with
//! every offset and count checked against the descriptor's length, and building one from blocks.
//!
//! ```text
//! 0x00  header (88 bytes): "MEDIA DESCRIPTOR", version, medium type, sessions, session offset
//! ....  session blocks (24 bytes each): start, end, number, block counts, first/last track, track offset
//! ....  track blocks (80 bytes each), one per TOC entry: A0, A1, A2, tracks 1..99, B0, C0
//! ....  extra blocks (8 bytes, CD only): pregap sectors, track length in sectors (a DVD's
//!       track block holds its length in the extra-offset field instead)
//! ....  disc structures (DVD only, at the header's offset 0x40): per layer the copyright (4
//!       bytes), manufacturing (2048) and physical format information (2048) the drive reported
//! ....  footer blocks (16 bytes): file name offset, wide-character flag
//! ....  file names ("*.mdf", UTF-16LE or 8-bit, zero-terminated)
//! ```

use std::path::Path;

use discus_core::{Error, Result};

/// What every descriptor starts with.
pub(crate) const SIGNATURE: &[u8; 16] = b"MEDIA DESCRIPTOR";
/// Bytes of the header.
pub(crate) const HEADER_SIZE: usize = 88;
/// Where the first session block goes: the header padded to 0x60, as Alcohol writes it.
pub(crate) const SESSIONS_AT: usize = 0x60;
/// Bytes of a session block.
pub(crate) const SESSION_SIZE: usize = 24;
/// Bytes of a track block.
pub(crate) const TRACK_SIZE: usize = 80;
/// Bytes of an extra block.
pub(crate) const EXTRA_SIZE: usize = 8;
/// Bytes of a footer block.
pub(crate) const FOOTER_SIZE: usize = 16;
/// Bytes of one layer's disc structures: copyright, manufacturing and physical format information.
pub(crate) const STRUCTURES_SIZE: usize = 4 + 2048 + 2048;
/// Where the physical format information starts inside one layer's structures.
pub(crate) const PFI_AT: usize = 4 + 2048;
/// Medium types: 0-2 are CD-ROM, CD-R, CD-RW; 0x10-0x13 DVD-ROM, DVD-R and the like.
pub(crate) const MEDIUM_DVD_ROM: u16 = 0x10;
/// Subchannel mode: 96 bytes of interleaved P–W after each sector.
pub(crate) const SUBCHANNEL_INTERLEAVED: u8 = 0x08;

/// The header fields discus uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub version: [u8; 2],
    pub medium: u16,
    pub sessions: u16,
    /// Where a DVD's disc structures are (0 when absent).
    pub structures_offset: u32,
    pub session_offset: u32,
    pub dpm_offset: u32,
}

/// One session block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SessionBlock {
    /// Where the block is in the descriptor.
    pub at: u64,
    pub start: i32,
    pub end: i32,
    pub number: u16,
    pub all_blocks: u8,
    pub non_track_blocks: u8,
    pub first_track: u16,
    pub last_track: u16,
    pub track_offset: u32,
}

/// One track block: a TOC entry, and for tracks where their sectors are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TrackBlock {
    /// Where the block is in the descriptor.
    pub at: u64,
    pub mode: u8,
    pub subchannel: u8,
    pub adr_control: u8,
    pub point: u8,
    /// MIN, SEC, FRAME (binary).
    pub msf: [u8; 3],
    /// PMIN, PSEC, PFRAME (binary).
    pub pmsf: [u8; 3],
    pub extra_offset: u32,
    pub sector_size: u16,
    pub start_lba: i32,
    pub start_offset: u64,
    pub files: u32,
    pub footer_offset: u32,
}

/// Field offsets inside a track block, for error messages and building.
pub(crate) mod track_field {
    pub const EXTRA_OFFSET: u64 = 0x0C;
    pub const SECTOR_SIZE: u64 = 0x10;
    pub const START_LBA: u64 = 0x24;
    pub const START_OFFSET: u64 = 0x28;
    pub const FILES: u64 = 0x30;
    pub const FOOTER_OFFSET: u64 = 0x34;
}

/// One extra block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Extra {
    pub pregap: u32,
    pub length: u32,
}

/// A data file name as the footer gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileName {
    /// Where the footer is in the descriptor.
    pub at: u64,
    pub name: String,
}

/// A track block with what it points to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub block: TrackBlock,
    /// The extra block (CD tracks only; `None` when the offset is 0).
    pub extra: Option<Extra>,
    /// The data files, in order (several when the MDF is split).
    pub files: Vec<FileName>,
}

/// A parsed descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Descriptor {
    pub header: Header,
    pub sessions: Vec<(SessionBlock, Vec<Entry>)>,
}

/// Checked little-endian reads from the descriptor, naming the field that runs past its end.
struct Bytes<'a> {
    path: &'a Path,
    data: &'a [u8],
}

impl Bytes<'_> {
    fn slice(&self, at: u64, len: usize, what: &str) -> Result<&[u8]> {
        usize::try_from(at)
            .ok()
            .and_then(|start| Some(start..start.checked_add(len)?))
            .and_then(|range| self.data.get(range))
            .ok_or_else(|| {
                Error::at_offset(
                    self.path,
                    at,
                    format!(
                        "the descriptor is {} bytes long and ends inside {what} ({len} bytes at byte {at})",
                        self.data.len()
                    ),
                )
            })
    }

    fn array<const N: usize>(&self, at: u64, what: &str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.slice(at, N, what)?);
        Ok(out)
    }

    fn u8(&self, at: u64, what: &str) -> Result<u8> {
        Ok(self.array::<1>(at, what)?[0])
    }

    fn u16(&self, at: u64, what: &str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(at, what)?))
    }

    fn u32(&self, at: u64, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(at, what)?))
    }

    fn i32(&self, at: u64, what: &str) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array(at, what)?))
    }

    fn u64(&self, at: u64, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(at, what)?))
    }
}

/// The version bytes of a descriptor that starts with the signature, or `None`.
pub(crate) fn sniff_version(head: &[u8]) -> Option<[u8; 2]> {
    (head.get(..16) == Some(&SIGNATURE[..]))
        .then(|| head.get(16..18).map(|v| [v[0], v[1]]))
        .flatten()
}

impl Header {
    /// Whether the descriptor is of a DVD (one 2048-byte track, no extra blocks).
    pub fn is_dvd(&self) -> bool {
        (0x10..=0x13).contains(&self.medium)
    }
}

/// Parses the header: checks the signature, refuses other versions and unknown media.
pub(crate) fn parse_header(path: &Path, data: &[u8]) -> Result<Header> {
    let bytes = Bytes { path, data };
    if bytes.slice(0, 16, "the signature")? != SIGNATURE {
        return Err(Error::at_offset(
            path,
            0,
            "no 'MEDIA DESCRIPTOR' signature: not an MDS descriptor",
        ));
    }
    bytes.slice(0, HEADER_SIZE, "the header")?;
    let version = bytes.array::<2>(0x10, "the version")?;
    if version[0] != 1 {
        let what = if version[0] == 2 {
            " (Daemon Tools MDS v2 / MDX, whose descriptor is encrypted and compressed)"
        } else {
            ""
        };
        return Err(Error::unsupported(
            path,
            format!(
                "MDS version {}.{}{what}; discus reads version 1 (Alcohol 120%)",
                version[0], version[1]
            ),
        ));
    }
    let medium = bytes.u16(0x12, "the medium type")?;
    match medium {
        0x00..=0x02 | 0x10..=0x13 => {}
        other => {
            return Err(Error::unsupported(
                path,
                format!(
                    "unknown medium type {other:#06x}; discus reads CD (types 0-2) and DVD (0x10-0x13) images"
                ),
            ));
        }
    }
    Ok(Header {
        version,
        medium,
        sessions: bytes.u16(0x14, "the session count")?,
        structures_offset: bytes.u32(0x40, "the disc structures offset")?,
        session_offset: bytes.u32(0x50, "the session offset")?,
        dpm_offset: bytes.u32(0x54, "the DPM offset")?,
    })
}

/// Parses the whole descriptor.
pub(crate) fn parse(path: &Path, data: &[u8]) -> Result<Descriptor> {
    let header = parse_header(path, data)?;
    let bytes = Bytes { path, data };
    if header.sessions == 0 {
        return Err(Error::at_offset(
            path,
            0x14,
            "the descriptor has no session",
        ));
    }
    // Every block must lie inside the descriptor; check the run before reading any of it.
    let sessions_at = u64::from(header.session_offset);
    bytes.slice(
        sessions_at,
        usize::from(header.sessions) * SESSION_SIZE,
        &format!("the {} session block(s)", header.sessions),
    )?;
    let mut sessions = Vec::with_capacity(usize::from(header.sessions));
    for index in 0..u64::from(header.sessions) {
        let at = sessions_at + index * SESSION_SIZE as u64;
        let what = format!("session block {}", index + 1);
        let session = SessionBlock {
            at,
            start: bytes.i32(at, &what)?,
            end: bytes.i32(at + 4, &what)?,
            number: bytes.u16(at + 8, &what)?,
            all_blocks: bytes.u8(at + 0x0A, &what)?,
            non_track_blocks: bytes.u8(at + 0x0B, &what)?,
            first_track: bytes.u16(at + 0x0C, &what)?,
            last_track: bytes.u16(at + 0x0E, &what)?,
            track_offset: bytes.u32(at + 0x14, &what)?,
        };
        let blocks_at = u64::from(session.track_offset);
        bytes.slice(
            blocks_at,
            usize::from(session.all_blocks) * TRACK_SIZE,
            &format!(
                "the {} track block(s) of session {}",
                session.all_blocks, session.number
            ),
        )?;
        let mut entries = Vec::with_capacity(usize::from(session.all_blocks));
        for block in 0..u64::from(session.all_blocks) {
            entries.push(parse_entry(
                &bytes,
                blocks_at + block * TRACK_SIZE as u64,
                header.dpm_offset,
                header.is_dvd(),
            )?);
        }
        sessions.push((session, entries));
    }
    Ok(Descriptor { header, sessions })
}

fn parse_entry(bytes: &Bytes<'_>, at: u64, dpm_offset: u32, dvd: bool) -> Result<Entry> {
    let what = format!("the track block at byte {at}");
    let block = TrackBlock {
        at,
        mode: bytes.u8(at, &what)?,
        subchannel: bytes.u8(at + 1, &what)?,
        adr_control: bytes.u8(at + 2, &what)?,
        point: bytes.u8(at + 4, &what)?,
        msf: bytes.array(at + 5, &what)?,
        pmsf: bytes.array(at + 9, &what)?,
        extra_offset: bytes.u32(at + track_field::EXTRA_OFFSET, &what)?,
        sector_size: bytes.u16(at + track_field::SECTOR_SIZE, &what)?,
        start_lba: bytes.i32(at + track_field::START_LBA, &what)?,
        start_offset: bytes.u64(at + track_field::START_OFFSET, &what)?,
        files: bytes.u32(at + track_field::FILES, &what)?,
        footer_offset: bytes.u32(at + track_field::FOOTER_OFFSET, &what)?,
    };
    let is_track = (1..=99).contains(&block.point);
    if !is_track {
        return Ok(Entry {
            block,
            extra: None,
            files: Vec::new(),
        });
    }
    let extra = match block.extra_offset {
        // A DVD track block keeps its length where a CD's points to its extra block.
        _ if dvd => None,
        0 => None,
        offset => {
            let offset = u64::from(offset);
            let what = format!("the extra block of track {}", block.point);
            Some(Extra {
                pregap: bytes.u32(offset, &what)?,
                length: bytes.u32(offset + 4, &what)?,
            })
        }
    };
    let footers_at = u64::from(block.footer_offset);
    let count = usize::try_from(block.files).unwrap_or(usize::MAX);
    if block.files > 0 {
        bytes.slice(
            footers_at,
            count.saturating_mul(FOOTER_SIZE),
            &format!(
                "the {} footer block(s) of track {}",
                block.files, block.point
            ),
        )?;
    }
    let mut files = Vec::with_capacity(count.min(bytes.data.len() / FOOTER_SIZE));
    for file in 0..u64::from(block.files) {
        let footer = footers_at + file * FOOTER_SIZE as u64;
        let what = format!("footer block {} of track {}", file + 1, block.point);
        let name_at = bytes.u32(footer, &what)?;
        let wide = bytes.u32(footer + 4, &what)?;
        let name = file_name(bytes, u64::from(name_at), wide != 0, dpm_offset, footer)?;
        files.push(FileName { at: footer, name });
    }
    Ok(Entry {
        block,
        extra,
        files,
    })
}

/// Reads a zero-terminated file name (UTF-16LE when `wide`, else one byte a character), which
/// ends at the DPM data when that follows it, or at the end of the descriptor.
fn file_name(
    bytes: &Bytes<'_>,
    at: u64,
    wide: bool,
    dpm_offset: u32,
    footer: u64,
) -> Result<String> {
    let len = bytes.data.len() as u64;
    let end = if u64::from(dpm_offset) > at {
        u64::from(dpm_offset).min(len)
    } else {
        len
    };
    if at >= end {
        return Err(Error::at_offset(
            bytes.path,
            footer,
            format!("the file name offset {at} is past the end of the descriptor ({len} bytes)"),
        ));
    }
    let raw = bytes.slice(at, (end - at) as usize, "the file name")?;
    let name = if wide {
        let units: Vec<u16> = raw
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&u| u != 0)
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        raw.iter()
            .take_while(|&&b| b != 0)
            .map(|&b| char::from(b))
            .collect()
    };
    if name.is_empty() {
        return Err(Error::at_offset(
            bytes.path,
            at,
            "the data file name is empty",
        ));
    }
    Ok(name)
}

/// Little-endian writes into a growing descriptor.
#[derive(Default)]
pub(crate) struct Builder {
    pub data: Vec<u8>,
}

impl Builder {
    fn ensure(&mut self, end: usize) {
        if self.data.len() < end {
            self.data.resize(end, 0);
        }
    }

    pub fn put(&mut self, at: usize, bytes: &[u8]) {
        self.ensure(at + bytes.len());
        self.data[at..at + bytes.len()].copy_from_slice(bytes);
    }

    pub fn header(&mut self, sessions: u16) {
        self.header_of(0, sessions);
    }

    /// The header of a descriptor of medium type `medium` (0 CD-ROM, 0x10 DVD-ROM).
    pub fn header_of(&mut self, medium: u16, sessions: u16) {
        self.put(0, SIGNATURE);
        // Version 1.5, as Alcohol 120% writes it.
        self.put(0x10, &[1, 5]);
        self.put(0x12, &medium.to_le_bytes());
        self.put(0x14, &sessions.to_le_bytes());
        // Alcohol always sets this field to 2, and Daemon Tools relies on it.
        self.put(0x16, &2u16.to_le_bytes());
        self.put(0x50, &(SESSIONS_AT as u32).to_le_bytes());
        self.put(0x54, &0u32.to_le_bytes());
        self.ensure(SESSIONS_AT);
    }

    pub fn session(&mut self, at: usize, session: &SessionBlock) {
        self.put(at, &session.start.to_le_bytes());
        self.put(at + 4, &session.end.to_le_bytes());
        self.put(at + 8, &session.number.to_le_bytes());
        self.put(at + 0x0A, &[session.all_blocks, session.non_track_blocks]);
        self.put(at + 0x0C, &session.first_track.to_le_bytes());
        self.put(at + 0x0E, &session.last_track.to_le_bytes());
        self.put(at + 0x10, &0u32.to_le_bytes());
        self.put(at + 0x14, &session.track_offset.to_le_bytes());
    }

    pub fn track(&mut self, at: usize, block: &TrackBlock) {
        self.put(
            at,
            &[
                block.mode,
                block.subchannel,
                block.adr_control,
                0,
                block.point,
                block.msf[0],
                block.msf[1],
                block.msf[2],
                0,
                block.pmsf[0],
                block.pmsf[1],
                block.pmsf[2],
            ],
        );
        let at64 = |field: u64| at + field as usize;
        self.put(
            at64(track_field::EXTRA_OFFSET),
            &block.extra_offset.to_le_bytes(),
        );
        self.put(
            at64(track_field::SECTOR_SIZE),
            &block.sector_size.to_le_bytes(),
        );
        if (1..=99).contains(&block.point) {
            // Alcohol sets the first unknown byte to 2 on every CD track; Daemon Tools expects it.
            self.put(at + 0x12, &[2]);
        }
        self.put(at64(track_field::START_LBA), &block.start_lba.to_le_bytes());
        self.put(
            at64(track_field::START_OFFSET),
            &block.start_offset.to_le_bytes(),
        );
        self.put(at64(track_field::FILES), &block.files.to_le_bytes());
        self.put(
            at64(track_field::FOOTER_OFFSET),
            &block.footer_offset.to_le_bytes(),
        );
        self.ensure(at + TRACK_SIZE);
    }

    pub fn extra(&mut self, at: usize, extra: Extra) {
        self.put(at, &extra.pregap.to_le_bytes());
        self.put(at + 4, &extra.length.to_le_bytes());
    }

    /// A footer naming `name` in UTF-16LE right after it.
    pub fn footer(&mut self, at: usize, name: &str) {
        let name_at = at + FOOTER_SIZE;
        self.put(at, &(name_at as u32).to_le_bytes());
        self.put(at + 4, &1u32.to_le_bytes());
        self.ensure(at + FOOTER_SIZE);
        let mut text: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        text.extend_from_slice(&[0, 0]);
        self.put(name_at, &text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_refuses_v2_and_unknown_media() {
        let path = Path::new("x.mds");
        let mut b = Builder::default();
        b.header(1);
        assert!(parse_header(path, &b.data).is_ok());
        b.put(0x10, &[2, 0]);
        let err = parse_header(path, &b.data).unwrap_err().to_string();
        assert!(
            err.contains("unsupported") && err.contains("version 2.0"),
            "{err}"
        );
        b.put(0x10, &[1, 5]);
        b.put(0x12, &0x10u16.to_le_bytes());
        assert!(parse_header(path, &b.data).is_ok_and(|h| h.is_dvd()));
        b.put(0x12, &0x30u16.to_le_bytes());
        let err = parse_header(path, &b.data).unwrap_err().to_string();
        assert!(err.contains("unknown medium type"), "{err}");
        b.put(0x12, &0u16.to_le_bytes());
        let err = parse_header(path, &b.data[..40]).unwrap_err().to_string();
        assert!(err.contains("ends inside"), "{err}");
    }

    #[test]
    fn eight_bit_and_wide_names() {
        let path = Path::new("x.mds");
        let mut data = vec![0u8; 32];
        data[4..9].copy_from_slice(b"*.mdf");
        let bytes = Bytes { path, data: &data };
        assert_eq!(file_name(&bytes, 4, false, 0, 0).unwrap(), "*.mdf");
        let mut b = Builder::default();
        b.footer(0, "*.mdf");
        let bytes = Bytes {
            path,
            data: &b.data,
        };
        assert_eq!(file_name(&bytes, 16, true, 0, 0).unwrap(), "*.mdf");
        assert!(file_name(&bytes, 400, true, 0, 0).is_err());
    }
}
