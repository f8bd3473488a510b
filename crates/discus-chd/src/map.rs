//! The hunk map of a compressed CHD and the CRC-16 that guards it and every hunk.
//!
//! Expanded, each hunk has a 12-byte entry `type u8 | length u24 | offset u48 | crc16 u16`. On disk
//! the map is a 16-byte header (`bitstream length u32 | first offset u48 | map CRC u16 | length bits
//! | self bits | parent bits | 0`) and an MSB-first bitstream: a Huffman tree over the 16 type
//! symbols, every hunk's type, then every hunk's fields (a codec hunk's length and CRC, a stored
//! hunk's CRC, a copy's hunk number). Offsets are not stored: hunks lie back to back from the first
//! offset in hunk order, which is why the writer must write them in order without gaps.
//!
//! The writer makes the map as chdman does (see [`encode`]), with the Huffman code of
//! [`crate::huffman`].

use crc::{CRC_16_IBM_3740, Crc, Table};

use crate::huffman::{BitWriter, Code, bits_for};

/// CRC-16/IBM-3740 (CCITT-FALSE): polynomial 0x1021, initial 0xFFFF, no final xor; of the map and
/// of every v5 hunk, read and written. Sixteen bytes a step: a one-byte table took a fifth of an
/// extraction's time.
pub const CRC16: Crc<u16, Table<16>> = Crc::<u16, Table<16>>::new(&CRC_16_IBM_3740);

/// How one hunk is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Compressed with the codec in header slot 0–3.
    Codec(u8),
    /// Stored as is.
    Stored,
    /// A copy of an earlier hunk.
    Copy(u32),
}

/// Map types (`compression_type` in MAME): a codec slot is its own number.
const NONE: u8 = 4;
const SELF: u8 = 5;
const RLE_SMALL: u8 = 7;
const RLE_LARGE: u8 = 8;
const SELF_0: u8 = 9;
const SELF_1: u8 = 10;

/// One hunk's map entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Packed length (a codec hunk) or the hunk copied (a copy).
    value: u32,
    /// CRC-16 of the whole decompressed hunk (0 for a copy).
    crc: u16,
    /// 0–3 a codec slot, [`NONE`] stored, [`SELF`] a copy.
    kind: u8,
}

impl Entry {
    /// A hunk packed by the codec in `slot` into `length` bytes.
    pub fn codec(slot: u8, length: u32, crc: u16) -> Entry {
        debug_assert!(slot < 4 && length < 1 << 24);
        Entry {
            value: length,
            crc,
            kind: slot,
        }
    }

    /// A hunk stored as is.
    pub fn stored(crc: u16) -> Entry {
        Entry {
            value: 0,
            crc,
            kind: NONE,
        }
    }

    /// A copy of hunk `of`.
    pub fn copy(of: u32) -> Entry {
        Entry {
            value: of,
            crc: 0,
            kind: SELF,
        }
    }

    /// How the hunk is stored.
    pub fn kind(self) -> Kind {
        match self.kind {
            NONE => Kind::Stored,
            SELF => Kind::Copy(self.value),
            slot => Kind::Codec(slot),
        }
    }

    /// Bytes the hunk takes in the file (0 for a copy).
    pub fn file_bytes(self, hunk_bytes: u32) -> u32 {
        match self.kind {
            NONE => hunk_bytes,
            SELF => 0,
            _ => self.value,
        }
    }
}

/// Hunks between two checkpoints of a [`Map`]: finding a hunk's entry decodes at most this many.
const CHECKPOINT: usize = 1024;

/// Where the entry of every [`CHECKPOINT`]th hunk starts, and the state a reader has there.
#[derive(Clone, Copy, Debug)]
struct Checkpoint {
    at: usize,
    offset: u64,
    last_self: u32,
}

/// The map as it grows, kept compact until [`Map::encode`] writes it (a DVD-9 has two million
/// hunks). Each entry is stored as it goes out: its type, with a copy already turned into MAME's
/// `SELF_0` or `SELF_1` where it can be, and only the fields that type has — 6 bytes for a packed
/// hunk, 3 for a stored one, 5 for a copy with its number, 1 for a copy of the hunk copied last
/// (the zero hunk of a blank area) or of the one after it.
#[derive(Debug)]
pub struct Map {
    bytes: Vec<u8>,
    count: usize,
    hunk_bytes: u32,
    first_offset: u64,
    /// File offset of the next hunk stored.
    end: u64,
    last_self: u32,
    checkpoints: Vec<Checkpoint>,
}

/// One entry as [`Map`] gives it back: the entry, its type symbol and its file offset.
#[derive(Clone, Copy, Debug)]
struct Decoded {
    entry: Entry,
    symbol: u8,
    offset: u64,
}

impl Map {
    /// An empty map for hunks of `hunk_bytes`, the first stored at `first_offset`.
    pub fn new(hunk_bytes: u32, first_offset: u64) -> Map {
        Map {
            bytes: Vec::new(),
            count: 0,
            hunk_bytes,
            first_offset,
            end: first_offset,
            last_self: 0,
            checkpoints: Vec::new(),
        }
    }

    /// Hunks in the map.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the map has no hunks.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// File offset after the last hunk stored: where the next goes, and the map after the last.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Adds the next hunk's entry.
    pub fn push(&mut self, entry: Entry) {
        if self.count.is_multiple_of(CHECKPOINT) {
            self.checkpoints.push(Checkpoint {
                at: self.bytes.len(),
                offset: self.end,
                last_self: self.last_self,
            });
        }
        self.count += 1;
        match entry.kind() {
            Kind::Copy(of) => {
                if of == self.last_self {
                    self.bytes.push(SELF_0);
                } else if Some(of) == self.last_self.checked_add(1) {
                    self.bytes.push(SELF_1);
                } else {
                    self.bytes.push(SELF);
                    self.bytes.extend_from_slice(&of.to_be_bytes());
                }
                self.last_self = of;
            }
            Kind::Stored => {
                self.bytes.push(NONE);
                self.bytes.extend_from_slice(&entry.crc.to_be_bytes());
                self.end += u64::from(self.hunk_bytes);
            }
            Kind::Codec(slot) => {
                self.bytes.push(slot);
                self.bytes
                    .extend_from_slice(&entry.value.to_be_bytes()[1..]);
                self.bytes.extend_from_slice(&entry.crc.to_be_bytes());
                self.end += u64::from(entry.value);
            }
        }
    }

    /// Hunk `hunk`'s entry and file offset.
    pub fn get(&self, hunk: usize) -> Option<(Entry, u64)> {
        if hunk >= self.count {
            return None;
        }
        let mark = self.checkpoints[hunk / CHECKPOINT];
        let mut cursor = Cursor {
            map: self,
            at: mark.at,
            offset: mark.offset,
            last_self: mark.last_self,
        };
        let mut found = None;
        for _ in hunk / CHECKPOINT * CHECKPOINT..=hunk {
            found = cursor.next();
        }
        found.map(|d| (d.entry, d.offset))
    }

    /// Every entry in hunk order.
    fn entries(&self) -> Cursor<'_> {
        Cursor {
            map: self,
            at: 0,
            offset: self.first_offset,
            last_self: 0,
        }
    }

    /// The map as it goes into the file: header and bitstream, as MAME's `compress_v5_map` makes
    /// it.
    ///
    /// Runs of one type become a repeat symbol and a count (3 to 18, or up to 274 in two
    /// symbols); the type symbols get a Huffman code of up to 8 bits, sent run-length coded. A run
    /// of 274 copies of the zero hunk then costs a few bits.
    pub fn encode(&self) -> Vec<u8> {
        let mut crc = CRC16.digest();
        let mut max_length = 0u64;
        let mut max_self = 0u64;
        let mut symbols: Vec<u8> = Vec::new();
        let mut histogram = [0u32; 16];
        let mut emit = |symbols: &mut Vec<u8>, symbol: u8| {
            histogram[usize::from(symbol)] += 1;
            symbols.push(symbol);
        };
        let mut last_type = 0u8;
        let mut count = 0u32;
        for (hunk, decoded) in self.entries().enumerate() {
            let entry = decoded.entry;
            // The CRC covers the expanded 12-byte entries, offsets included.
            let mut raw = [0u8; 12];
            raw[0] = entry.kind;
            let (length, at, hunk_crc) = match entry.kind() {
                Kind::Copy(from) => (0, u64::from(from), 0),
                _ => (entry.file_bytes(self.hunk_bytes), decoded.offset, entry.crc),
            };
            raw[1..4].copy_from_slice(&length.to_be_bytes()[1..]);
            raw[4..10].copy_from_slice(&at.to_be_bytes()[2..]);
            raw[10..12].copy_from_slice(&hunk_crc.to_be_bytes());
            crc.update(&raw);
            match decoded.symbol {
                SELF => max_self = max_self.max(u64::from(entry.value)),
                SELF_0 | SELF_1 => {}
                _ => max_length = max_length.max(u64::from(length)),
            }
            let this = decoded.symbol;
            if this == last_type {
                count += 1;
            }
            if this != last_type || hunk + 1 == self.count {
                while count > 0 {
                    if count < 3 {
                        emit(&mut symbols, last_type);
                        count -= 1;
                    } else if count <= 3 + 15 {
                        emit(&mut symbols, RLE_SMALL);
                        emit(&mut symbols, (count - 3) as u8);
                        count = 0;
                    } else {
                        let run = count.min(3 + 16 + 255);
                        emit(&mut symbols, RLE_LARGE);
                        emit(&mut symbols, ((run - 3 - 16) >> 4) as u8);
                        emit(&mut symbols, ((run - 3 - 16) & 15) as u8);
                        count -= run;
                    }
                }
                if this != last_type {
                    emit(&mut symbols, this);
                    last_type = this;
                }
            }
        }
        let length_bits = bits_for(max_length);
        let self_bits = bits_for(max_self);
        let code = Code::from_histogram(&histogram, 8);
        let mut bits = BitWriter::with_capacity((code.cost(&histogram) / 8) as usize + 16);
        code.export_rle(&mut bits, 8);
        for &symbol in &symbols {
            code.put(&mut bits, usize::from(symbol));
        }
        // The fields, hunk by hunk, as a reader meets them after expanding the runs.
        let mut next = symbols.iter().copied();
        let mut current = 0u8;
        let mut repeat = 0u32;
        for decoded in self.entries() {
            if repeat == 0 {
                match next.next() {
                    Some(RLE_SMALL) => repeat = 2 + u32::from(next.next().unwrap_or(0)),
                    Some(RLE_LARGE) => {
                        let high = u32::from(next.next().unwrap_or(0));
                        let low = u32::from(next.next().unwrap_or(0));
                        repeat = 2 + 16 + (high << 4) + low;
                    }
                    Some(symbol) => current = symbol,
                    None => {}
                }
            } else {
                repeat -= 1;
            }
            let entry = decoded.entry;
            match current {
                0..=3 => {
                    bits.put(u64::from(entry.value), length_bits);
                    bits.put(u64::from(entry.crc), 16);
                }
                NONE => bits.put(u64::from(entry.crc), 16),
                SELF => bits.put(u64::from(entry.value), self_bits),
                _ => {}
            }
        }
        let stream = bits.finish();
        let mut out = Vec::with_capacity(16 + stream.len());
        out.extend_from_slice(&(stream.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.first_offset.to_be_bytes()[2..]);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
        out.push(length_bits as u8);
        out.push(self_bits as u8);
        out.push(0);
        out.push(0);
        out.extend_from_slice(&stream);
        out
    }
}

/// Reads a [`Map`]'s entries back in order.
struct Cursor<'a> {
    map: &'a Map,
    at: usize,
    offset: u64,
    last_self: u32,
}

impl Iterator for Cursor<'_> {
    type Item = Decoded;

    fn next(&mut self) -> Option<Decoded> {
        let bytes = &self.map.bytes;
        let symbol = *bytes.get(self.at)?;
        let field = |from: usize, len: usize| {
            bytes[from..from + len]
                .iter()
                .fold(0u32, |v, &b| (v << 8) | u32::from(b))
        };
        let offset = self.offset;
        let (entry, size) = match symbol {
            0..=3 => {
                let length = field(self.at + 1, 3);
                let crc = field(self.at + 4, 2) as u16;
                self.offset += u64::from(length);
                (Entry::codec(symbol, length, crc), 6)
            }
            NONE => {
                self.offset += u64::from(self.map.hunk_bytes);
                (Entry::stored(field(self.at + 1, 2) as u16), 3)
            }
            SELF => {
                self.last_self = field(self.at + 1, 4);
                (Entry::copy(self.last_self), 5)
            }
            SELF_1 => {
                self.last_self += 1;
                (Entry::copy(self.last_self), 1)
            }
            _ => (Entry::copy(self.last_self), 1),
        };
        self.at += size;
        Some(Decoded {
            entry,
            symbol,
            offset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(entries: &[Entry], first_offset: u64, hunk_bytes: u32) -> Vec<u8> {
        let mut map = Map::new(hunk_bytes, first_offset);
        for &entry in entries {
            map.push(entry);
        }
        map.encode()
    }

    #[test]
    fn entries_come_back_with_their_offsets_and_take_little_room() {
        let mut map = Map::new(4096, 124);
        for hunk in 0..5000u32 {
            map.push(match hunk % 5 {
                0 => Entry::codec(2, 100 + hunk, hunk as u16),
                1 => Entry::stored(7),
                2 => Entry::copy(0),
                3 => Entry::copy(hunk / 2),
                _ => Entry::copy(hunk / 2 + 1),
            });
        }
        let mut offset = 124u64;
        for hunk in 0..5000u32 {
            let (entry, at) = map.get(hunk as usize).expect("entry");
            let expected = match hunk % 5 {
                0 => Entry::codec(2, 100 + hunk, hunk as u16),
                1 => Entry::stored(7),
                2 => Entry::copy(0),
                3 => Entry::copy(hunk / 2),
                _ => Entry::copy(hunk / 2 + 1),
            };
            assert_eq!(entry, expected, "hunk {hunk}");
            if !matches!(entry.kind(), Kind::Copy(_)) {
                assert_eq!(at, offset, "hunk {hunk}");
            }
            offset += u64::from(entry.file_bytes(4096));
        }
        assert_eq!(map.end(), offset);
        assert!(map.get(5000).is_none());
        // A blank area: a byte a hunk.
        let mut blank = Map::new(4096, 124);
        blank.push(Entry::codec(0, 10, 1));
        for _ in 0..100_000 {
            blank.push(Entry::copy(0));
        }
        assert!(blank.bytes.len() < 100_010);
    }

    #[test]
    fn crc16_is_ccitt_false() {
        assert_eq!(CRC16.checksum(b"123456789"), 0x29B1);
    }

    #[test]
    fn map_layout_follows_compress_v5_map() {
        let entries = [Entry::codec(0, 5, 0xABCD), Entry::copy(0)];
        let map = encode(&entries, 200, 19584);
        assert_eq!(map[..4], 8u32.to_be_bytes());
        assert_eq!(map[4..10], [0, 0, 0, 0, 0, 200]);
        assert_eq!((map[12], map[13], map[14]), (3, 0, 0));
        // Types: a literal 0, then SELF_0 (a copy of hunk 0, the last copied). Code: both 1 bit.
        // Tree `1 1 | 1 0 5 | 1 1 | 1 0 3`, types `0 1`, fields `101 1010101111001101`.
        assert_eq!(map[16..], [0x11, 0x10, 0x51, 0x11, 0x03, 0x6D, 0x5E, 0x68]);
    }

    #[test]
    fn runs_of_copies_cost_a_few_bits() {
        let mut entries = vec![Entry::codec(1, 100, 1)];
        entries.extend((0..100_000).map(|_| Entry::copy(0)));
        let map = encode(&entries, 124, 4096);
        // 100,000 copies in runs of 274: three symbols of one or two bits each.
        assert!(map.len() < 16 + 400, "{}", map.len());
    }
}
