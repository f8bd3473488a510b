//! CD sectors: the shapes they travel in ([`Form`]), their sync/header, EDC and ECC, and the one place
//! where a sector changes shape ([`transcode`]), which is also where the lossless check lives.
//!
//! Raw sector layouts (ECMA-130), offsets in bytes:
//!
//! | mode | 0..12 | 12..16 | 16.. |
//! |---|---|---|---|
//! | Mode 1 | sync | BCD MSF + mode 1 | 2048 data, EDC over 0..2064, 8 zeros, 172 P, 104 Q |
//! | Mode 2 Form 1 | sync | BCD MSF + mode 2 | subheader ×2, 2048 data, EDC over 16..2072, P, Q (header zeroed for ECC) |
//! | Mode 2 Form 2 | sync | BCD MSF + mode 2 | subheader ×2, 2324 data, EDC over 16..2348 (may be zero) |
//! | Audio | 2352 bytes of PCM, no structure |

pub mod ecc;
pub mod edc;
pub mod subchannel;
mod transcode;

pub use transcode::{Check, transcode, transcode_on_one_thread};

use crate::address::Lba;
use crate::disc::TrackMode;

/// The 12-byte sync pattern at the start of every data sector.
pub const SYNC: [u8; 12] = [
    0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00,
];
/// A whole main-channel sector.
pub const RAW_SIZE: usize = 2352;
/// Mode 1 or Mode 2 Form 1 user data.
pub const USER_SIZE: usize = 2048;
/// A Mode 2 sector after sync and header.
pub const MODE2_SIZE: usize = 2336;
/// Mode 2 Form 2 user data.
pub const FORM2_USER_SIZE: usize = 2324;
/// Subchannel bytes per sector (P–W, 12 bytes each).
pub const SUBCHANNEL_SIZE: usize = 96;
/// A main-channel sector followed by its subchannel.
pub const RAW_SUB_SIZE: usize = RAW_SIZE + SUBCHANNEL_SIZE;
/// The subheader written for Form 1 sectors made from bare user data: a plain data sector.
pub const DATA_SUBHEADER: [u8; 4] = [0x00, 0x00, 0x08, 0x00];
/// Submode bit that marks Form 2.
pub const SUBMODE_FORM2: u8 = 0x20;
/// The subheader given to Form 2 sectors whose file keeps only their user data: no file, channel
/// or coding information, only the Form 2 bit. cdrdao burns a `MODE2_FORM2` sector with exactly
/// this subheader (its `TrackReader::readBlock` clears the eight bytes and sets bytes 2 and 6 to
/// 0x20) and so do writers of a cue sheet's `MODE2/2324` tracks; anything richer would be invented.
pub const FORM2_SUBHEADER: [u8; 4] = [0x00, 0x00, SUBMODE_FORM2, 0x00];

/// The shape sectors travel in between a source and a sink.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Form {
    /// 2048 bytes of user data (Mode 1, Mode 2 Form 1); what an ISO stores.
    Cooked,
    /// 2336 bytes: a Mode 2 sector without sync and header (subheader onwards).
    Mode2,
    /// 2352 bytes: the whole main channel.
    Raw,
    /// 2448 bytes: the main channel followed by 96 bytes of interleaved P–W subchannel.
    RawSub,
}

impl Form {
    /// Bytes per sector in this form.
    pub const fn size(self) -> usize {
        match self {
            Form::Cooked => USER_SIZE,
            Form::Mode2 => MODE2_SIZE,
            Form::Raw => RAW_SIZE,
            Form::RawSub => RAW_SUB_SIZE,
        }
    }

    /// Whether the form carries subchannel data.
    pub const fn has_subchannel(self) -> bool {
        matches!(self, Form::RawSub)
    }

    /// The form with the same main channel but no subchannel.
    pub const fn without_subchannel(self) -> Form {
        match self {
            Form::RawSub => Form::Raw,
            other => other,
        }
    }

    /// Whether this form can hold every byte of a `mode` sector that arrives as `from`.
    /// Regeneration (Raw → Cooked for Mode 1) is lossless only if each sector regenerates,
    /// which [`transcode`] checks; this answers for what no check can save.
    pub fn holds(self, mode: TrackMode, from: Form) -> bool {
        use Form::*;
        match (mode, self.without_subchannel()) {
            (_, Raw) => true,
            (TrackMode::Audio, _) => false,
            (TrackMode::Mode1, Cooked) => true,
            (TrackMode::Mode1, Mode2) => false,
            (TrackMode::Mode2 | TrackMode::Mode2Xa, Mode2) => true,
            (TrackMode::Mode2, Cooked) => false,
            // Subheaders and Form 2 data do not fit 2048 bytes, unless they never existed.
            (TrackMode::Mode2Xa, Cooked) => from == Cooked,
            (_, RawSub) => unreachable!("without_subchannel never returns RawSub"),
        }
    }

    /// A short name for listings.
    pub fn name(self) -> &'static str {
        match self {
            Form::Cooked => "2048",
            Form::Mode2 => "2336",
            Form::Raw => "2352",
            Form::RawSub => "2448",
        }
    }
}

/// Writes sync and the BCD header (address of `lba`, `mode`) into the first 16 bytes of `sector`.
pub fn write_header(sector: &mut [u8], lba: Lba, mode: u8) {
    sector[..12].copy_from_slice(&SYNC);
    sector[12..15].copy_from_slice(&lba.to_absolute_msf().to_bcd());
    sector[15] = mode;
}

/// Builds a raw Mode 1 sector at `lba` from 2048 bytes of user data.
pub fn encode_mode1(lba: Lba, user: &[u8], sector: &mut [u8; RAW_SIZE]) {
    write_header(sector, lba, 1);
    sector[16..2064].copy_from_slice(&user[..USER_SIZE]);
    let edc = edc::compute(&sector[..2064]);
    sector[2064..2068].copy_from_slice(&edc.to_le_bytes());
    sector[2068..2076].fill(0);
    ecc::write(sector);
}

/// Builds a raw Mode 2 sector at `lba` from its 2336 bytes after the header, regenerating EDC and
/// (Form 1) ECC from the subheader and data it holds.
pub fn encode_mode2(lba: Lba, body: &[u8], sector: &mut [u8; RAW_SIZE]) {
    write_header(sector, lba, 2);
    sector[16..].copy_from_slice(&body[..MODE2_SIZE]);
    if sector[18] & SUBMODE_FORM2 != 0 {
        let edc = edc::compute(&sector[16..2348]);
        sector[2348..2352].copy_from_slice(&edc.to_le_bytes());
    } else {
        let edc = edc::compute(&sector[16..2072]);
        sector[2072..2076].copy_from_slice(&edc.to_le_bytes());
        ecc::write_for_mode(sector);
    }
}

/// Builds a raw Mode 2 Form 1 sector at `lba` from a subheader and 2048 bytes of user data.
pub fn encode_form1(lba: Lba, subheader: [u8; 4], user: &[u8], sector: &mut [u8; RAW_SIZE]) {
    let mut body = [0u8; MODE2_SIZE];
    body[..4].copy_from_slice(&subheader);
    body[4..8].copy_from_slice(&subheader);
    body[8..2056].copy_from_slice(&user[..USER_SIZE]);
    // Form 1 is what the subheader says; make sure the form bit agrees.
    body[2] &= !SUBMODE_FORM2;
    body[6] &= !SUBMODE_FORM2;
    encode_mode2(lba, &body, sector);
}

/// Builds the 2336-byte Mode 2 body of a Form 2 sector from what a file keeps of it without its
/// subheader: [`FORM2_SUBHEADER`] twice, then the `stored` bytes, which are either the 2324 bytes
/// of user data (the EDC is then computed, as cdrdao's `lec_encode_mode2_form2_sector` does when it
/// burns such a sector: a Form 2 EDC of zero would claim "not computed" for data that has one) or
/// those 2324 bytes followed by the sector's own EDC (2328, kept as stored).
pub fn form2_body_from_user_data(stored: &[u8], body: &mut [u8]) {
    body[..4].copy_from_slice(&FORM2_SUBHEADER);
    body[4..8].copy_from_slice(&FORM2_SUBHEADER);
    let kept = stored.len().min(FORM2_USER_SIZE + 4);
    body[8..8 + kept].copy_from_slice(&stored[..kept]);
    if kept < FORM2_USER_SIZE + 4 {
        let edc = edc::compute(&body[..8 + FORM2_USER_SIZE]);
        body[8 + FORM2_USER_SIZE..MODE2_SIZE].copy_from_slice(&edc.to_le_bytes());
    }
}

/// Builds a raw Mode 0 sector at `lba`: sync, a header with mode byte 0, and 2336 zeros. Mode 0
/// has no user data at all (ECMA-130 §14.3); cdrdao writes these for `ZERO MODE0` and zeroes the
/// body whatever it was given (`lec_encode_mode0_sector`).
pub fn encode_mode0(lba: Lba, sector: &mut [u8]) {
    write_header(sector, lba, 0);
    sector[16..RAW_SIZE].fill(0);
}

/// Turns 16-bit audio samples between little-endian (a CD's, a BIN's) and big-endian (CHD's,
/// a cue `MOTOROLA` file's, a TOC `SWAP` file's): the bytes of each pair change places.
pub fn swap_sample_bytes(samples: &mut [u8]) {
    for pair in samples.chunks_exact_mut(2) {
        pair.swap(0, 1);
    }
}

/// The mode byte of a raw sector, or `None` when it has no sync (audio, or not a sector at all).
pub fn sniff_mode(sector: &[u8]) -> Option<u8> {
    (sector.len() >= 16 && sector[..12] == SYNC).then(|| sector[15])
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha1::{Digest, Sha1};

    #[test]
    fn zero_mode1_sector_matches_known_vector() {
        let mut sector = [0u8; RAW_SIZE];
        encode_mode1(Lba(0), &[0u8; USER_SIZE], &mut sector);
        assert_eq!(sector[12..16], [0x00, 0x02, 0x00, 0x01]);
        assert_eq!(sector[2064..2068], [0xc5, 0x13, 0x68, 0x2b]);
        assert_eq!(sector[0x81C..0x824], [0x00, 0xf7, 0x00, 0xf5, 0, 0, 0, 0]);
        assert_eq!(sector[0x8C8..0x8D0], [0x00, 0x41, 0, 0, 0, 0, 0, 0]);
        let digest = Sha1::digest(sector);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "d9ee3c3ce5f425e5adb786706f65f363fd785695");
    }

    #[test]
    fn form1_ecc_ignores_header_and_form2_has_no_ecc() {
        let user: Vec<u8> = (0..USER_SIZE).map(|i| i as u8).collect();
        let mut a = [0u8; RAW_SIZE];
        let mut b = [0u8; RAW_SIZE];
        encode_form1(Lba(10), DATA_SUBHEADER, &user, &mut a);
        encode_form1(Lba(5000), DATA_SUBHEADER, &user, &mut b);
        assert_ne!(a[12..15], b[12..15]);
        // ECC is computed with a zeroed header, so it does not depend on the address.
        assert_eq!(a[0x81C..], b[0x81C..]);

        let mut body = [0u8; MODE2_SIZE];
        body[2] = SUBMODE_FORM2;
        body[6] = SUBMODE_FORM2;
        let mut form2 = [0u8; RAW_SIZE];
        encode_mode2(Lba(0), &body, &mut form2);
        let edc = edc::compute(&form2[16..2348]);
        assert_eq!(form2[2348..], edc.to_le_bytes());
    }

    #[test]
    fn form2_bodies_get_the_form2_subheader_and_an_edc_unless_they_keep_theirs() {
        let stored: Vec<u8> = (0..FORM2_USER_SIZE).map(|i| i as u8).collect();
        let mut body = vec![0xAAu8; MODE2_SIZE];
        form2_body_from_user_data(&stored, &mut body);
        assert_eq!(body[..8], [0, 0, 0x20, 0, 0, 0, 0x20, 0]);
        assert_eq!(body[8..8 + FORM2_USER_SIZE], stored[..]);
        // The EDC covers subheader and data, as in a raw sector's bytes 16..2348.
        let edc = edc::compute(&body[..2332]).to_le_bytes();
        assert_eq!(body[2332..], edc);
        let mut raw = [0u8; RAW_SIZE];
        encode_mode2(Lba(0), &body, &mut raw);
        assert_eq!(raw[16..], body[..]);
        // 2328-byte sectors keep their own EDC.
        let stored = vec![7u8; FORM2_USER_SIZE + 4];
        form2_body_from_user_data(&stored, &mut body);
        assert_eq!(body[2332..], [7, 7, 7, 7]);
    }

    #[test]
    fn a_mode0_sector_is_sync_header_mode_0_and_zeros() {
        let mut sector = [0x55u8; RAW_SIZE];
        encode_mode0(Lba(0), &mut sector);
        assert_eq!(sector[..12], SYNC);
        assert_eq!(sector[12..16], [0x00, 0x02, 0x00, 0x00]);
        assert!(sector[16..].iter().all(|&b| b == 0));
        assert_eq!(sniff_mode(&sector), Some(0));
    }
}
