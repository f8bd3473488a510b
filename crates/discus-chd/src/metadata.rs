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
}
