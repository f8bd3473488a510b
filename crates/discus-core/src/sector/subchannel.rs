//! Subchannel: 96 bytes per sector in the model's one layout, raw interleaved P–W (byte k holds bit
//! 7 − k mod 8 of every channel's byte k / 8, P in bit 7). Formats that store the packed layout
//! (12 bytes P, then 12 bytes Q, …), such as CloneCD `.sub`, convert at their boundary with
//! [`interleave`] and [`deinterleave`]. Where a source has none, [`Generator`] makes P and Q.

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
