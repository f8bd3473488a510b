//! Metadata entries: a chain of `tag u32 | flags u8 | length u24 | next u64` headers, each followed
//! by its payload. Entries flagged [`CHECKSUM`] count in the overall SHA-1.
//!
//! The chain comes from the file, so it is walked with every link checked: each entry must lie
//! inside the file, no entry may be visited twice (a loop), and lengths stay below 16 MiB as the
//! format says.

use std::collections::HashSet;
use std::fs::File;
use std::path::Path;

use discus_core::{Error, Result};
use sha1::{Digest, Sha1};

use crate::header::tag_name;

/// The entry counts in the overall SHA-1.
pub const CHECKSUM: u8 = 0x01;
/// Largest payload the 24-bit length can hold.
pub const MAX_LENGTH: usize = (1 << 24) - 1;

/// One metadata entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// FourCC.
    pub tag: u32,
    /// Flags ([`CHECKSUM`]).
    pub flags: u8,
    /// Payload (text entries end with NUL).
    pub data: Vec<u8>,
}

impl Entry {
    /// A text entry as chdman writes them: the text and its NUL, counted in the SHA-1.
    pub fn text(tag: u32, text: &str, flags: u8) -> Entry {
        let mut data = text.as_bytes().to_vec();
        data.push(0);
        Entry { tag, flags, data }
    }

    /// The payload as text, without the NUL.
    pub fn as_text(&self) -> String {
        let end = self
            .data
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.data.len());
        String::from_utf8_lossy(&self.data[..end]).into_owned()
    }
}

/// Reads the chain from `first` (0 = none) in a file of `len` bytes.
pub fn read_all(path: &Path, file: &File, first: u64, len: u64) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    let mut seen = HashSet::new();
    let mut offset = first;
    while offset != 0 {
        if !seen.insert(offset) {
            return Err(Error::at_offset(
                path,
                offset,
                "the metadata chain comes back to an entry it already passed",
            ));
        }
        if offset.saturating_add(16) > len {
            return Err(Error::at_offset(
                path,
                offset,
                format!("a metadata entry starts here, past the end of the file ({len} bytes)"),
            ));
        }
        let mut head = [0u8; 16];
        discus_core::flat::read_exact_at(file, path, &mut head, offset)?;
        let tag = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let flags = head[4];
        let length = u32::from_be_bytes([0, head[5], head[6], head[7]]) as u64;
        let mut next = [0u8; 8];
        next.copy_from_slice(&head[8..16]);
        let next = u64::from_be_bytes(next);
        if offset + 16 + length > len {
            return Err(Error::at_offset(
                path,
                offset + 5,
                format!(
                    "metadata '{}' says it has {length} bytes, past the end of the file",
                    tag_name(tag)
                ),
            ));
        }
        let mut data = vec![0u8; length as usize];
        discus_core::flat::read_exact_at(file, path, &mut data, offset + 16)?;
        entries.push(Entry { tag, flags, data });
        offset = next;
    }
    Ok(entries)
}

/// The entries as they go into the file at `start`, linked one after another.
pub fn encode(entries: &[Entry], start: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        if entry.data.is_empty() || entry.data.len() > MAX_LENGTH {
            return Err(Error::Usage(format!(
                "metadata '{}' of {} bytes does not fit a CHD entry (1 to {MAX_LENGTH} bytes)",
                tag_name(entry.tag),
                entry.data.len()
            )));
        }
        let here = start + out.len() as u64;
        let next = if i + 1 == entries.len() {
            0
        } else {
            here + 16 + entry.data.len() as u64
        };
        out.extend_from_slice(&entry.tag.to_be_bytes());
        out.push(entry.flags);
        out.extend_from_slice(&(entry.data.len() as u32).to_be_bytes()[1..]);
        out.extend_from_slice(&next.to_be_bytes());
        out.extend_from_slice(&entry.data);
    }
    Ok(out)
}

/// The overall SHA-1: the data SHA-1, then for each checksummed entry its tag and the SHA-1 of its
/// payload, those 24-byte records sorted bytewise (chdman's `compute_overall_sha1`).
pub fn overall_sha1(raw_sha1: &[u8; 20], entries: &[Entry]) -> [u8; 20] {
    let mut records: Vec<[u8; 24]> = entries
        .iter()
        .filter(|e| e.flags & CHECKSUM != 0)
        .map(|e| {
            let mut record = [0u8; 24];
            record[..4].copy_from_slice(&e.tag.to_be_bytes());
            record[4..].copy_from_slice(&Sha1::digest(&e.data));
            record
        })
        .collect();
    records.sort();
    let mut hasher = Sha1::new();
    hasher.update(raw_sha1);
    for record in &records {
        hasher.update(record);
    }
    hasher.finalize().into()
}

/// Track slots of a `CHCD` table, used or not (MAME's `CD_MAX_TRACKS`).
const CHCD_SLOTS: usize = 99;
/// Bytes of one `CHCD` slot: six 32-bit numbers.
const CHCD_SLOT: usize = 24;

/// The tracks of a `CHCD` entry, the binary table of the oldest CD CHDs (chdman before `CHTR`
/// text): a track count, then for each of 99 slots the track type, subchannel type, data bytes,
/// subchannel bytes, frames and padding frames, all 32-bit in the byte order of the machine that
/// wrote it. As MAME does, a count above 99 read little-endian means the table is big-endian.
///
/// The table has no pregaps or postgaps. Everything is checked against what the type implies, so
/// a table that would place sectors wrongly is refused with the number at fault; the payload comes
/// from the file and is read only as far as its length goes.
pub fn chcd_tracks(data: &[u8]) -> std::result::Result<Vec<crate::cd::ChdTrack>, String> {
    use crate::cd::{ChdTrack, SubType, TRACK_PADDING, TrackType};
    let word = |at: usize, big: bool| -> std::result::Result<u32, String> {
        let bytes: [u8; 4] = data
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                format!(
                    "the table ends at byte {} where byte {at} is needed",
                    data.len()
                )
            })?;
        Ok(if big {
            u32::from_be_bytes(bytes)
        } else {
            u32::from_le_bytes(bytes)
        })
    };
    let mut big = false;
    let mut count = word(0, big)?;
    if count as usize > CHCD_SLOTS {
        big = true;
        count = word(0, big)?;
    }
    if count == 0 || count as usize > CHCD_SLOTS {
        return Err(format!(
            "a track count of {count} (1 to {CHCD_SLOTS} in either byte order)"
        ));
    }
    let mut tracks = Vec::with_capacity(count as usize);
    for index in 0..count as usize {
        let number = index as u32 + 1;
        let at = 4 + index * CHCD_SLOT;
        let field = |n: usize| word(at + 4 * n, big);
        let (kind, sub, data_size, sub_size, frames, padding) = (
            field(0)?,
            field(1)?,
            field(2)?,
            field(3)?,
            field(4)?,
            field(5)?,
        );
        let kind = match kind {
            0 => TrackType::Mode1,
            1 => TrackType::Mode1Raw,
            2 => TrackType::Mode2,
            3 => TrackType::Mode2Form1,
            4 => TrackType::Mode2Form2,
            5 => TrackType::Mode2FormMix,
            6 => TrackType::Mode2Raw,
            7 => TrackType::Audio,
            other => return Err(format!("track {number} has the unknown type {other}")),
        };
        let (sub, expected_sub) = match sub {
            0 => (SubType::Cooked, 96),
            1 => (SubType::Raw, 96),
            2 => (SubType::None, 0),
            other => {
                return Err(format!(
                    "track {number} has the unknown subchannel type {other}"
                ));
            }
        };
        if data_size as usize != kind.data_size() || sub_size != expected_sub {
            return Err(format!(
                "track {number} is {} with {} subchannel but says {data_size} + {sub_size} bytes a sector",
                kind.name(),
                sub.name()
            ));
        }
        let expected_padding = frames.next_multiple_of(TRACK_PADDING) - frames;
        if padding != expected_padding {
            return Err(format!(
                "track {number} of {frames} frames is padded with {padding} frames, not the {expected_padding} that make whole groups of {TRACK_PADDING}"
            ));
        }
        tracks.push(ChdTrack {
            number,
            kind,
            sub,
            frames,
            pregap: 0,
            pregap_stored: false,
            pgtype: "MODE1".into(),
            pgsub: "NONE".into(),
            postgap: 0,
            pad: 0,
        });
    }
    Ok(tracks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn entries_chain_and_loops_are_refused() {
        let entries = vec![
            Entry::text(crate::header::tag(b"CHT2"), "TRACK:1", CHECKSUM),
            Entry::text(crate::header::tag(b"DSCS"), "x", 0),
        ];
        let mut file = tempfile::NamedTempFile::new().expect("temp");
        let mut bytes = vec![0u8; 124];
        bytes.extend(encode(&entries, 124).expect("encodes"));
        file.write_all(&bytes).expect("write");
        let len = bytes.len() as u64;
        let back = read_all(file.path(), file.as_file(), 124, len).expect("reads");
        assert_eq!(back, entries);

        // Point the second entry's next back at the first.
        let second = 124 + 16 + 8;
        bytes[second + 8..second + 16].copy_from_slice(&124u64.to_be_bytes());
        let mut looped = tempfile::NamedTempFile::new().expect("temp");
        looped.write_all(&bytes).expect("write");
        let err = read_all(looped.path(), looped.as_file(), 124, len).unwrap_err();
        assert!(err.to_string().contains("byte offset 124"), "{err}");
    }

    /// A CHCD table as old chdman wrote it: little- or big-endian words.
    fn chcd(big: bool, tracks: &[[u32; 6]]) -> Vec<u8> {
        let word = |v: u32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut out = word(tracks.len() as u32).to_vec();
        for slot in 0..99 {
            for &v in tracks.get(slot).unwrap_or(&[0; 6]) {
                out.extend(word(v));
            }
        }
        out
    }

    #[test]
    fn i13_1_chcd_tables_read_in_either_byte_order() {
        use crate::cd::{SubType, TrackType};
        // A Mode 1 data track of 1001 frames (3 padding) and an audio track with raw subchannel.
        let table = [[0, 2, 2048, 0, 1001, 3], [7, 1, 2352, 96, 300, 0]];
        for big in [false, true] {
            let tracks = chcd_tracks(&chcd(big, &table)).expect("reads");
            assert_eq!(tracks.len(), 2);
            assert_eq!(
                (tracks[0].kind, tracks[0].sub, tracks[0].frames),
                (TrackType::Mode1, SubType::None, 1001)
            );
            assert_eq!(
                (tracks[1].number, tracks[1].kind, tracks[1].sub),
                (2, TrackType::Audio, SubType::Raw)
            );
            assert_eq!(tracks[0].padded_frames(), 1004);
        }
    }

    #[test]
    fn i13_1_bad_chcd_tables_say_what_is_wrong_and_never_panic() {
        let good = chcd(false, &[[0, 2, 2048, 0, 1001, 3]]);
        for (table, says) in [
            (chcd(false, &[[9, 2, 2048, 0, 8, 0]]), "unknown type 9"),
            (chcd(false, &[[0, 5, 2048, 0, 8, 0]]), "unknown subchannel"),
            (chcd(false, &[[1, 2, 2048, 0, 8, 0]]), "says 2048 + 0"),
            (
                chcd(false, &[[0, 2, 2048, 0, 9, 0]]),
                "padded with 0 frames",
            ),
            (chcd(false, &[]), "track count of 0"),
            (good[..20].to_vec(), "the table ends at byte 20"),
        ] {
            let err = chcd_tracks(&table).unwrap_err();
            assert!(err.contains(says), "{err}");
        }
        // Every prefix and every single-byte change of a good table: an answer, never a panic.
        for end in 0..good.len() {
            let _ = chcd_tracks(&good[..end]);
        }
        for at in 0..64 {
            let mut bad = good.clone();
            bad[at] ^= 0xA5;
            let _ = chcd_tracks(&bad);
        }
    }
}
