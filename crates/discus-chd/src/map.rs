//! The hunk map of a compressed CHD and the CRC-16 that guards it and every hunk.
//!
//! Expanded, each hunk has a 12-byte entry `type u8 | length u24 | offset u48 | crc16 u16`. On disk
//! the map is a 16-byte header (`bitstream length u32 | first offset u48 | map CRC u16 | length bits
//! | self bits | parent bits | 0`) and an MSB-first bitstream: a Huffman tree over the 16 type
//! symbols, every hunk's type, then every hunk's fields (a codec hunk's length and CRC, a stored
//! hunk's CRC, a copy's hunk number). Offsets are not stored: hunks lie back to back from the first
//! offset in hunk order, which is why the writer must write them in order without gaps.
//!
//! The writer uses the simplest tree a reader accepts: all 16 symbols 4 bits long, written as the
//! run-length-coded lengths `1, 4, 13` (length 4, 13 + 3 times). MAME gives codes of one length in
//! symbol order, so symbol `s` is then the code `s`. chdman 0.251 reads such maps; they cost about
//! three bits a hunk more than MAME's tuned tree, a few hundred bytes on a CD.

use crc::{CRC_16_IBM_3740, Crc};

/// CRC-16/IBM-3740 (CCITT-FALSE): polynomial 0x1021, initial 0xFFFF, no final xor.
pub const CRC16: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_3740);

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

impl Kind {
    fn symbol(self) -> u8 {
        match self {
            Kind::Codec(slot) => slot,
            Kind::Stored => 4,
            Kind::Copy(_) => 5,
        }
    }
}

/// One hunk's map entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// How the hunk is stored.
    pub kind: Kind,
    /// Bytes it takes in the file (0 for a copy).
    pub length: u32,
    /// CRC-16 of the whole decompressed hunk (0 for a copy).
    pub crc: u16,
}

/// Writes bits MSB first.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    count: u32,
}

impl Bits {
    fn put(&mut self, value: u64, bits: u32) {
        if bits == 0 {
            return;
        }
        for i in (0..bits).rev() {
            self.acc = (self.acc << 1) | ((value >> i) & 1);
            self.count += 1;
            if self.count == 8 {
                self.out.push(self.acc as u8);
                self.acc = 0;
                self.count = 0;
            }
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.count > 0 {
            self.out.push((self.acc << (8 - self.count)) as u8);
        }
        self.out
    }
}

/// Bits needed to write `value` (0 needs none).
fn bits_for(value: u64) -> u32 {
    64 - value.leading_zeros()
}

/// The map as it goes into the file: header and bitstream. `first_offset` is the file offset of
/// the first hunk that is not a copy; `hunk_bytes` the hunk size.
pub fn encode(entries: &[Entry], first_offset: u64, hunk_bytes: u32) -> Vec<u8> {
    let mut crc = CRC16.digest();
    let mut offset = first_offset;
    let mut max_length = 0u64;
    let mut max_self = 0u64;
    for entry in entries {
        let mut raw = [0u8; 12];
        raw[0] = entry.kind.symbol();
        let (length, at, hunk_crc) = match entry.kind {
            Kind::Copy(from) => (0, u64::from(from), 0),
            Kind::Stored => (hunk_bytes, offset, entry.crc),
            Kind::Codec(_) => (entry.length, offset, entry.crc),
        };
        raw[1..4].copy_from_slice(&length.to_be_bytes()[1..]);
        raw[4..10].copy_from_slice(&at.to_be_bytes()[2..]);
        raw[10..12].copy_from_slice(&hunk_crc.to_be_bytes());
        crc.update(&raw);
        match entry.kind {
            Kind::Copy(from) => max_self = max_self.max(u64::from(from)),
            _ => {
                max_length = max_length.max(u64::from(length));
                offset += u64::from(length);
            }
        }
    }
    let length_bits = bits_for(max_length);
    let self_bits = bits_for(max_self);
    let mut bits = Bits {
        out: Vec::with_capacity(entries.len() * 5 + 16),
        acc: 0,
        count: 0,
    };
    // The tree: every one of the 16 symbols 4 bits long.
    bits.put(1, 4);
    bits.put(4, 4);
    bits.put(13, 4);
    for entry in entries {
        bits.put(u64::from(entry.kind.symbol()), 4);
    }
    for entry in entries {
        match entry.kind {
            Kind::Codec(_) => {
                bits.put(u64::from(entry.length), length_bits);
                bits.put(u64::from(entry.crc), 16);
            }
            Kind::Stored => bits.put(u64::from(entry.crc), 16),
            Kind::Copy(from) => bits.put(u64::from(from), self_bits),
        }
    }
    let stream = bits.finish();
    let mut out = Vec::with_capacity(16 + stream.len());
    out.extend_from_slice(&(stream.len() as u32).to_be_bytes());
    out.extend_from_slice(&first_offset.to_be_bytes()[2..]);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    out.push(length_bits as u8);
    out.push(self_bits as u8);
    out.push(0);
    out.push(0);
    out.extend_from_slice(&stream);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_is_ccitt_false() {
        assert_eq!(CRC16.checksum(b"123456789"), 0x29B1);
    }

    #[test]
    fn flat_tree_map_layout() {
        let entries = [
            Entry {
                kind: Kind::Codec(0),
                length: 5,
                crc: 0xABCD,
            },
            Entry {
                kind: Kind::Copy(0),
                length: 0,
                crc: 0,
            },
        ];
        let map = encode(&entries, 200, 19584);
        // Header: 12 bits of tree + 8 of types + 3 + 16 of fields (+0 self bits) = 39 bits, 5 bytes.
        assert_eq!(map[..4], 5u32.to_be_bytes());
        assert_eq!(map[4..10], [0, 0, 0, 0, 0, 200]);
        assert_eq!((map[12], map[13], map[14]), (3, 0, 0));
        // 0001 0100 1101 | 0000 0101 | 101 1010101111001101 | pad
        assert_eq!(map[16..], [0x14, 0xD0, 0x5B, 0x57, 0x9A]);
    }
}
