//! Subchannel: 96 bytes per sector in the model's one layout, raw interleaved P–W (byte k holds bit
//! 7 − k mod 8 of every channel's byte k / 8, P in bit 7). Formats that store the packed layout
//! (12 bytes P, then 12 bytes Q, …), such as CloneCD `.sub`, convert at their boundary with
//! [`interleave`] and [`deinterleave`]. Where a source has none, [`Generator`] makes P and Q.
//!
//! Channels R–W carry 6-bit symbols (bits 5..0 of each interleaved byte), grouped in packs of 24:
//! mode/item, instruction, two Q parity symbols, sixteen data symbols, four P parity symbols;
//! four packs a sector. On the disc the packs are protected by Reed–Solomon codes over GF(64)
//! and interleaved across eight packs (IEC 60908, the CD+G/CD-TEXT layer). A drive returns them
//! either as on the disc ("raw P–W") or de-interleaved and corrected ("R–W packed"); cdrdao keeps
//! the first as `RW_RAW` and the second as `RW`. [`rw_packed_to_raw`] does what a recorder does
//! with packed data and [`rw_raw_to_packed`] what a drive does when it de-interleaves.

use super::SUBCHANNEL_SIZE;
use crate::address::{Lba, MSF_OFFSET, Msf, to_bcd};
use crate::disc::Track;

/// Packed (12 bytes per channel, P first) to interleaved.
pub fn interleave(packed: &[u8], out: &mut [u8]) {
    out[..SUBCHANNEL_SIZE].fill(0);
    for channel in 0..8 {
        for byte in 0..12 {
            let value = packed[channel * 12 + byte];
            for bit in 0..8 {
                if value & (0x80 >> bit) != 0 {
                    out[byte * 8 + bit] |= 0x80 >> channel;
                }
            }
        }
    }
}

/// Interleaved to packed (12 bytes per channel, P first).
pub fn deinterleave(interleaved: &[u8], out: &mut [u8]) {
    out[..SUBCHANNEL_SIZE].fill(0);
    for (k, &value) in interleaved[..SUBCHANNEL_SIZE].iter().enumerate() {
        for channel in 0..8 {
            if value & (0x80 >> channel) != 0 {
                out[channel * 12 + k / 8] |= 0x80 >> (k % 8);
            }
        }
    }
}

/// CRC-16 of the Q channel: polynomial 0x1021, initial 0, result inverted, stored big-endian.
pub fn q_crc(data: &[u8]) -> u16 {
    let mut crc = 0u16;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    !crc
}

/// Bytes of one R–W pack: 24 six-bit symbols.
pub const RW_PACK_SIZE: usize = 24;

/// GF(2^6) with the primitive polynomial x^6 + x + 1 (IEC 60908's for the R–W code), α = x:
/// powers of α, twice over so that a sum of two logarithms needs no reduction.
const RW_EXP: [u8; 126] = {
    let mut table = [0u8; 126];
    let mut value: u8 = 1;
    let mut i = 0;
    while i < 126 {
        table[i] = value;
        value <<= 1;
        if value & 0x40 != 0 {
            value ^= 0x43;
        }
        i += 1;
    }
    table
};

/// Logarithms to the base α of GF(2^6) (index 0 unused).
const RW_LOG: [u8; 64] = {
    let mut table = [0u8; 64];
    let mut i = 0;
    while i < 63 {
        table[RW_EXP[i] as usize] = i as u8;
        i += 1;
    }
    table
};

const fn rw_mul(a: u8, b: u8) -> u8 {
    if a == 0 || b == 0 {
        0
    } else {
        RW_EXP[RW_LOG[a as usize] as usize + RW_LOG[b as usize] as usize]
    }
}

/// The generator (x − α^0)(x − α^1)…(x − α^(N−1)) of a code with N parity symbols, highest power
/// first without its leading 1: a codeword's polynomial (first symbol highest) then has the roots
/// α^0 … α^(N−1), which is the parity check IEC 60908 gives for the pack's P and Q symbols.
const fn rw_generator<const N: usize>() -> [u8; N] {
    // coefficients[i] is the coefficient of x^i; the product starts as 1.
    let mut coefficients = [0u8; 8];
    coefficients[0] = 1;
    let mut k = 0;
    while k < N {
        let root = RW_EXP[k];
        // Multiply by (x + root): shift up, add root times the old coefficients.
        let mut i = k + 1;
        while i > 0 {
            coefficients[i] = coefficients[i - 1] ^ rw_mul(coefficients[i], root);
            i -= 1;
        }
        coefficients[0] = rw_mul(coefficients[0], root);
        k += 1;
    }
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = coefficients[N - 1 - i];
        i += 1;
    }
    out
}

const RW_Q_GENERATOR: [u8; 2] = rw_generator::<2>();
const RW_P_GENERATOR: [u8; 4] = rw_generator::<4>();

/// The `parity.len()` check symbols of a systematic Reed–Solomon code over `data` (the remainder
/// of data·x^N divided by the generator).
fn rw_parity<const N: usize>(data: &[u8], generator: &[u8; N], parity: &mut [u8]) {
    let mut register = [0u8; N];
    for &symbol in data {
        let feedback = (symbol & 0x3F) ^ register[0];
        for i in 0..N - 1 {
            register[i] = register[i + 1] ^ rw_mul(feedback, generator[i]);
        }
        register[N - 1] = rw_mul(feedback, generator[N - 1]);
    }
    parity[..N].copy_from_slice(&register);
}

/// Fills the parity of one pack (24 symbols, low 6 bits each): Q (symbols 2 and 3) over the
/// mode and instruction symbols, then P (20..24) over the 20 symbols before it.
pub fn rw_pack_parity(pack: &mut [u8]) {
    let (head, rest) = pack.split_at_mut(2);
    rw_parity(head, &RW_Q_GENERATOR, rest);
    let (body, tail) = pack.split_at_mut(20);
    rw_parity(body, &RW_P_GENERATOR, tail);
}

/// Symbols each pack exchanges before the delay (IEC 60908; cdrtools' `do_encode_sub` with its
/// `permute` flag, the call cdrdao's `TrackReader::readBlock` has commented out): they keep a
/// pack's header symbols apart on the disc.
const RW_SWAPS: [(usize, usize); 3] = [(1, 18), (2, 5), (3, 23)];

/// How many packs symbol `j` of a pack is delayed on the disc: `j mod 8`, so a pack spreads over
/// eight packs (two sectors).
const fn rw_delay(j: usize) -> usize {
    j % 8
}

/// Packed R–W (cdrdao's `RW`) to R–W as on the disc (the R–W bits of `RW_RAW`), sector by sector
/// of one stream: parity is computed for every pack (a packed file may carry it or not; cdrdao
/// documents it as "generated if required"), symbols swapped, then each delayed by
/// `j mod 8` packs. `packed` holds `history` sectors before the ones wanted (at most the two the
/// delay reaches back; packs before the stream are zeros, as in a recorder whose delay line starts
/// empty) and `out` receives the rest, 96 bytes a sector with P and Q bits zero.
pub fn rw_packed_to_raw(history: usize, packed: &[u8], out: &mut [u8]) {
    let encoded: Vec<[u8; RW_PACK_SIZE]> = packed
        .chunks_exact(RW_PACK_SIZE)
        .map(|pack| {
            let mut symbols = [0u8; RW_PACK_SIZE];
            for (s, &p) in symbols.iter_mut().zip(pack) {
                *s = p & 0x3F;
            }
            rw_pack_parity(&mut symbols);
            for (a, b) in RW_SWAPS {
                symbols.swap(a, b);
            }
            symbols
        })
        .collect();
    let first = history * SUBCHANNEL_SIZE / RW_PACK_SIZE;
    for (i, pack) in out.chunks_exact_mut(RW_PACK_SIZE).enumerate() {
        let at = first + i;
        for (j, symbol) in pack.iter_mut().enumerate() {
            *symbol = at
                .checked_sub(rw_delay(j))
                .and_then(|from| encoded.get(from))
                .map_or(0, |p| p[j]);
        }
    }
}

/// R–W as on the disc back to packs (what a drive's de-interleaving does, without correction):
/// `raw` holds the sectors wanted followed by the two sectors the delay reaches into, `out`
/// receives the packs of the sectors wanted, parity symbols as they were on the disc.
pub fn rw_raw_to_packed(raw: &[u8], out: &mut [u8]) {
    let symbols = |pack: usize, j: usize| raw.get(pack * RW_PACK_SIZE + j).map_or(0, |s| s & 0x3F);
    for (p, pack) in out.chunks_exact_mut(RW_PACK_SIZE).enumerate() {
        for (j, symbol) in pack.iter_mut().enumerate() {
            *symbol = symbols(p + rw_delay(j), j);
        }
        for (a, b) in RW_SWAPS {
            pack.swap(a, b);
        }
    }
}

/// Makes the P and Q subchannel of one track from its layout: P set in the pregap, Q with ADR 1
/// positions (track, index, relative and absolute time).
#[derive(Clone, Debug)]
pub struct Generator {
    track: Track,
}

impl Generator {
    /// A generator for `track`.
    pub fn new(track: &Track) -> Generator {
        Generator {
            track: track.clone(),
        }
    }

    /// The 12 Q bytes at `lba`.
    pub fn q(&self, lba: Lba) -> [u8; 12] {
        let track = &self.track;
        let in_pregap = lba < track.start;
        let index = if in_pregap {
            0
        } else {
            track
                .indexes
                .iter()
                .filter(|i| i.lba <= lba)
                .map(|i| i.number)
                .max()
                .unwrap_or(1)
        };
        // In the pregap the relative time counts down to INDEX 01.
        let relative = lba.distance_from(track.start).unsigned_abs() as u32;
        let absolute = Msf::from_frames((lba.0 + MSF_OFFSET).max(0) as u32);
        let relative = Msf::from_frames(relative);
        let mut q = [0u8; 12];
        q[0] = (track.toc_control() << 4) | 1;
        q[1] = to_bcd(track.number);
        q[2] = to_bcd(index);
        q[3..6].copy_from_slice(&relative.to_bcd());
        q[7..10].copy_from_slice(&absolute.to_bcd());
        let crc = q_crc(&q[..10]);
        q[10..12].copy_from_slice(&crc.to_be_bytes());
        q
    }

    /// Writes the interleaved subchannel of `lba` into `out` (96 bytes).
    pub fn write(&self, lba: Lba, out: &mut [u8]) {
        let mut packed = [0u8; SUBCHANNEL_SIZE];
        if lba < self.track.start {
            packed[..12].fill(0xFF);
        }
        packed[12..24].copy_from_slice(&self.q(lba));
        interleave(&packed, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disc::TrackMode;

    #[test]
    fn interleave_round_trips() {
        let packed: Vec<u8> = (0..96u32).map(|i| (i * 37 + 11) as u8).collect();
        let mut inter = [0u8; 96];
        interleave(&packed, &mut inter);
        let mut back = [0u8; 96];
        deinterleave(&inter, &mut back);
        assert_eq!(back[..], packed[..]);
    }

    /// The parity checks of IEC 60908: each row of H over a pack is zero (row k weights the
    /// symbol at position i by α^(k·(n−1−i))).
    fn syndromes(symbols: &[u8], rows: usize) -> Vec<u8> {
        let n = symbols.len();
        (0..rows)
            .map(|k| {
                symbols.iter().enumerate().fold(0u8, |acc, (i, &s)| {
                    let power = (k * (n - 1 - i)) % 63;
                    acc ^ rw_mul(s, RW_EXP[power])
                })
            })
            .collect()
    }

    #[test]
    fn rw_q_parity_of_a_hand_worked_pack() {
        // Mode symbol 1, instruction 0: c2 + c3 = 1 and α·c2 + c3 = α³ give
        // c2 = (α³ + 1)/(α + 1) = α² + α + 1 = 7 and c3 = 1 + 7 = 6.
        let mut pack = [0u8; 24];
        pack[0] = 1;
        rw_pack_parity(&mut pack);
        assert_eq!(pack[2..4], [7, 6]);
        assert_eq!(syndromes(&pack[..4], 2), [0, 0]);
        assert_eq!(syndromes(&pack, 4), [0, 0, 0, 0]);
    }

    #[test]
    fn rw_parity_checks_hold_for_any_pack() {
        let mut pack: [u8; 24] = core::array::from_fn(|i| ((i * 29 + 5) & 0x3F) as u8);
        rw_pack_parity(&mut pack);
        assert_eq!(syndromes(&pack[..4], 2), [0, 0]);
        assert_eq!(syndromes(&pack, 4), [0, 0, 0, 0]);
        // GF(64) is a field: α^63 = 1 and every element has a logarithm.
        assert_eq!(RW_EXP[63], 1);
        assert!((1..64u8).all(|v| RW_EXP[RW_LOG[v as usize] as usize] == v));
    }

    #[test]
    fn a_packed_symbol_lands_where_the_swap_and_its_delay_put_it() {
        // One pack with only the instruction symbol set: after the swap it is symbol 18, which
        // is delayed 18 mod 8 = 2 packs. The P parity it causes spreads the same way.
        let mut packed = vec![0u8; 96 * 3];
        packed[1] = 0x15;
        let mut raw = vec![0u8; 96 * 3];
        rw_packed_to_raw(0, &packed, &mut raw);
        assert_eq!(raw[2 * 24 + 18], 0x15);
        assert_eq!(raw[18], 0);
        let mut pack = [0u8; 24];
        pack[1] = 0x15;
        rw_pack_parity(&mut pack);
        // Q parity symbol 2 swaps to 5 (delay 5), symbol 3 to 23 (delay 7), P symbol 20 stays
        // (delay 4).
        assert_eq!(raw[5 * 24 + 5], pack[2]);
        assert_eq!(raw[7 * 24 + 23], pack[3]);
        assert_eq!(raw[4 * 24 + 20], pack[20]);
        // Only R–W bits: P and Q are the caller's.
        assert!(raw.iter().all(|&b| b & 0xC0 == 0));
    }

    #[test]
    fn rw_packed_to_raw_and_back_round_trips_and_history_continues_the_stream() {
        let packed: Vec<u8> = (0..96 * 6u32).map(|i| ((i * 7 + 3) % 64) as u8).collect();
        let mut raw = vec![0u8; 96 * 6];
        rw_packed_to_raw(0, &packed, &mut raw);
        // Sectors 2..6 converted with two sectors of history are the same bytes.
        let mut tail = vec![0u8; 96 * 4];
        rw_packed_to_raw(2, &packed, &mut tail);
        assert_eq!(tail, raw[96 * 2..]);
        // Back to packs for the sectors whose delayed symbols are all there.
        let mut back = vec![0u8; 96 * 4];
        rw_raw_to_packed(&raw, &mut back);
        let mut expected = packed[..96 * 4].to_vec();
        for pack in expected.chunks_exact_mut(24) {
            rw_pack_parity(pack);
        }
        assert_eq!(back, expected);
    }

    #[test]
    fn q_of_first_sector_of_track_one() {
        let track = Track::new(1, TrackMode::Mode1, Lba(0), 100);
        let q = Generator::new(&track).q(Lba(0));
        assert_eq!(q[..10], [0x41, 0x01, 0x01, 0, 0, 0, 0, 0x00, 0x02, 0x00]);
        // The CRC makes the whole 12 bytes check to the residue of an inverted CRC-16.
        let crc = q_crc(&q[..10]);
        assert_eq!(u16::from_be_bytes([q[10], q[11]]), crc);
    }
}
