//! The CHD header, checked before anything trusts it, and written back for v5.
//!
//! Version 5 (every chdman since 0.146), 124 bytes, big-endian:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | `MComprHD` |
//! | 8 | 4 | header length, 124 |
//! | 12 | 4 | version, 5 |
//! | 16 | 4 × 4 | codec FourCCs (`cdlz` …), 0 = none; all 0 means an uncompressed CHD |
//! | 32 | 8 | logical bytes |
//! | 40 | 8 | map offset |
//! | 48 | 8 | offset of the first metadata entry, 0 = none |
//! | 56 | 4 | bytes per hunk |
//! | 60 | 4 | bytes per unit (2448 for CD, 2048 for DVD) |
//! | 64 | 20 | SHA-1 of the logical data (`Data SHA1` in chdman) |
//! | 84 | 20 | SHA-1 of that and the checksummed metadata (`SHA1`) |
//! | 104 | 20 | parent's SHA-1, zero without a parent |
//!
//! Versions 3 and 4 are only checked far enough that the decoding crate cannot be made to allocate
//! more than the file can describe.

use std::path::Path;

use discus_core::{Error, Result};

/// The magic at offset 0.
pub const MAGIC: &[u8; 8] = b"MComprHD";
/// Length of a v5 header.
pub const V5_LENGTH: usize = 124;
/// Hunks three bits of a map can describe at most: a run of 274 hunks (MAME's longest).
const MAX_HUNKS_PER_MAP_BITS: u64 = 274 / 3;
/// Largest hunk a reader accepts (libchdr's limit).
pub const MAX_HUNK_BYTES: u32 = 128 << 20;

/// A FourCC as the header stores it.
pub const fn tag(name: &[u8; 4]) -> u32 {
    u32::from_be_bytes(*name)
}

/// The name of a FourCC, printable.
pub fn tag_name(value: u32) -> String {
    value
        .to_be_bytes()
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '?'
            }
        })
        .collect()
}

/// The codecs a v5 header may name, as chdman and libchdr know them.
pub const KNOWN_CODECS: [&[u8; 4]; 10] = [
    b"zlib", b"lzma", b"huff", b"flac", b"zstd", b"cdzl", b"cdlz", b"cdfl", b"cdzs", b"avhu",
];

/// The fields of a header that the reader and `info` use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// 3, 4 or 5.
    pub version: u32,
    /// Codec FourCCs; 0 = none.
    pub codecs: [u32; 4],
    /// Bytes of logical data.
    pub logical_bytes: u64,
    /// Where the map starts.
    pub map_offset: u64,
    /// Where the first metadata entry starts, 0 = none.
    pub meta_offset: u64,
    /// Bytes per hunk.
    pub hunk_bytes: u32,
    /// Bytes per unit.
    pub unit_bytes: u32,
    /// SHA-1 of the logical data.
    pub raw_sha1: [u8; 20],
    /// SHA-1 of the logical data and the checksummed metadata.
    pub sha1: [u8; 20],
    /// The parent's SHA-1, zero without a parent.
    pub parent_sha1: [u8; 20],
}

impl Header {
    /// Hunks the image has.
    pub fn hunk_count(&self) -> u64 {
        self.logical_bytes
            .div_ceil(u64::from(self.hunk_bytes.max(1)))
    }

    /// Whether hunks are compressed (the map is then Huffman-coded).
    pub fn is_compressed(&self) -> bool {
        self.codecs[0] != 0
    }

    /// Whether the image needs a parent CHD.
    pub fn has_parent(&self) -> bool {
        self.parent_sha1 != [0; 20]
    }

    /// Reads and checks the header of a file of `len` bytes whose first bytes are `head`.
    pub fn parse(path: &Path, head: &[u8], len: u64) -> Result<Header> {
        let bad = |offset: u64, message: String| Error::at_offset(path, offset, message);
        if head.len() < 16 || &head[..8] != MAGIC {
            return Err(bad(0, "not a CHD file: no MComprHD signature".into()));
        }
        let length = be32(head, 8);
        let version = be32(head, 12);
        if !(3..=5).contains(&version) {
            return Err(Error::unsupported(
                path,
                format!("CHD version {version}; discus reads versions 3 to 5"),
            ));
        }
        let expected = match version {
            5 => V5_LENGTH,
            4 => 108,
            _ => 120,
        };
        if length as usize != expected {
            return Err(bad(
                8,
                format!("a version {version} header is {expected} bytes, this one says {length}"),
            ));
        }
        if head.len() < expected || len < expected as u64 {
            return Err(bad(
                len.min(head.len() as u64),
                format!("the file ends inside its {expected}-byte header"),
            ));
        }
        if version < 5 {
            return Self::parse_legacy(path, head, len, version);
        }
        let mut codecs = [0u32; 4];
        for (slot, codec) in codecs.iter_mut().enumerate() {
            *codec = be32(head, 16 + 4 * slot);
        }
        let header = Header {
            version,
            codecs,
            logical_bytes: be64(head, 32),
            map_offset: be64(head, 40),
            meta_offset: be64(head, 48),
            hunk_bytes: be32(head, 56),
            unit_bytes: be32(head, 60),
            raw_sha1: sha(head, 64),
            sha1: sha(head, 84),
            parent_sha1: sha(head, 104),
        };
        for (slot, &codec) in codecs.iter().enumerate() {
            if codec != 0 && !KNOWN_CODECS.iter().any(|k| tag(k) == codec) {
                return Err(bad(
                    16 + 4 * slot as u64,
                    format!("unknown codec '{}' in slot {slot}", tag_name(codec)),
                ));
            }
        }
        if header.hunk_bytes == 0 || header.hunk_bytes > MAX_HUNK_BYTES {
            return Err(bad(
                56,
                format!(
                    "hunk size {} is not from 1 to {MAX_HUNK_BYTES} bytes",
                    header.hunk_bytes
                ),
            ));
        }
        if header.unit_bytes == 0 || !header.hunk_bytes.is_multiple_of(header.unit_bytes) {
            return Err(bad(
                60,
                format!(
                    "unit size {} does not divide the hunk size {}",
                    header.unit_bytes, header.hunk_bytes
                ),
            ));
        }
        let hunks = header.hunk_count();
        if hunks > u64::from(u32::MAX) {
            return Err(bad(
                32,
                format!("{hunks} hunks is more than a map can hold"),
            ));
        }
        // The densest map is a run of 274 hunks in three symbols of at least a bit each (chdman's
        // CHD of a blank 200 MB image is 279 bytes for 51,200 hunks), so a header claiming more
        // hunks than that is lying, and trusting it would allocate a map the file cannot fill.
        if hunks > len.saturating_mul(8).saturating_mul(MAX_HUNKS_PER_MAP_BITS) {
            return Err(bad(
                32,
                format!(
                    "{} logical bytes in {}-byte hunks is {hunks} hunks, more than a file of {len} bytes can map",
                    header.logical_bytes, header.hunk_bytes
                ),
            ));
        }
        let map_bytes = if header.is_compressed() {
            16
        } else {
            hunks * 4
        };
        if header.map_offset < V5_LENGTH as u64 || header.map_offset.saturating_add(map_bytes) > len
        {
            return Err(bad(
                40,
                format!(
                    "the map at offset {} ({map_bytes} bytes) lies outside the file of {len} bytes",
                    header.map_offset
                ),
            ));
        }
        if header.meta_offset != 0
            && (header.meta_offset < V5_LENGTH as u64
                || header.meta_offset.saturating_add(16) > len)
        {
            return Err(bad(
                48,
                format!(
                    "the first metadata entry at offset {} lies outside the file of {len} bytes",
                    header.meta_offset
                ),
            ));
        }
        Ok(header)
    }

    /// Versions 3 and 4: the fields the reader needs, and the map size checked against the file.
    fn parse_legacy(path: &Path, head: &[u8], len: u64, version: u32) -> Result<Header> {
        let hunks = u64::from(be32(head, 24));
        let logical_bytes = be64(head, 28);
        let meta_offset = be64(head, 36);
        let hunk_bytes = if version == 4 {
            be32(head, 44)
        } else {
            be32(head, 76)
        };
        let sha_at = if version == 4 { 48 } else { 80 };
        // Each map entry of v3/v4 is 16 bytes right after the header.
        let map_end = hunks * 16 + head.len().min(120) as u64;
        if hunk_bytes == 0 || hunk_bytes > MAX_HUNK_BYTES || map_end > len {
            return Err(Error::at_offset(
                path,
                24,
                format!("{hunks} hunks of {hunk_bytes} bytes do not fit a file of {len} bytes"),
            ));
        }
        let mut raw_sha1 = [0u8; 20];
        if version == 4 {
            raw_sha1 = sha(head, 88);
        }
        Ok(Header {
            version,
            codecs: [be32(head, 20), 0, 0, 0],
            logical_bytes,
            map_offset: head.len().min(120) as u64,
            meta_offset,
            hunk_bytes,
            // Version 3 and 4 CD images store 2448-byte frames.
            unit_bytes: 2448,
            raw_sha1,
            sha1: sha(head, sha_at),
            parent_sha1: sha(head, sha_at + 20),
        })
    }

    /// The 124 bytes of a v5 header.
    pub fn to_bytes(&self) -> [u8; V5_LENGTH] {
        let mut out = [0u8; V5_LENGTH];
        out[..8].copy_from_slice(MAGIC);
        out[8..12].copy_from_slice(&(V5_LENGTH as u32).to_be_bytes());
        out[12..16].copy_from_slice(&5u32.to_be_bytes());
        for (slot, codec) in self.codecs.iter().enumerate() {
            out[16 + 4 * slot..20 + 4 * slot].copy_from_slice(&codec.to_be_bytes());
        }
        out[32..40].copy_from_slice(&self.logical_bytes.to_be_bytes());
        out[40..48].copy_from_slice(&self.map_offset.to_be_bytes());
        out[48..56].copy_from_slice(&self.meta_offset.to_be_bytes());
        out[56..60].copy_from_slice(&self.hunk_bytes.to_be_bytes());
        out[60..64].copy_from_slice(&self.unit_bytes.to_be_bytes());
        out[64..84].copy_from_slice(&self.raw_sha1);
        out[84..104].copy_from_slice(&self.sha1);
        out[104..124].copy_from_slice(&self.parent_sha1);
        out
    }
}

fn be32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_be_bytes(word)
}

fn be64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_be_bytes(word)
}

fn sha(bytes: &[u8], at: usize) -> [u8; 20] {
    let mut out = [0u8; 20];
    out.copy_from_slice(&bytes[at..at + 20]);
    out
}

/// Lower-case hex of a hash.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Header {
        Header {
            version: 5,
            codecs: [tag(b"cdlz"), tag(b"cdzl"), tag(b"cdfl"), 0],
            logical_bytes: 97 * 19584,
            map_offset: 4000,
            meta_offset: 124,
            hunk_bytes: 19584,
            unit_bytes: 2448,
            raw_sha1: [1; 20],
            sha1: [2; 20],
            parent_sha1: [0; 20],
        }
    }

    #[test]
    fn a_written_header_reads_back() {
        let header = sample();
        let bytes = header.to_bytes();
        assert_eq!(
            Header::parse(Path::new("x.chd"), &bytes, 5000).ok(),
            Some(header)
        );
    }

    #[test]
    fn lies_are_refused_with_their_offset() {
        let mut bytes = sample().to_bytes();
        bytes[16..20].copy_from_slice(b"abcd");
        let err = Header::parse(Path::new("x.chd"), &bytes, 5000).unwrap_err();
        assert!(err.to_string().contains("byte offset 16"), "{err}");
        let mut huge = sample();
        huge.logical_bytes = u64::MAX / 2;
        let err = Header::parse(Path::new("x.chd"), &huge.to_bytes(), 5000).unwrap_err();
        assert!(err.to_string().contains("byte offset 32"), "{err}");
        let err = Header::parse(Path::new("x.chd"), &sample().to_bytes(), 3000).unwrap_err();
        assert!(err.to_string().contains("byte offset 40"), "{err}");
    }
}
