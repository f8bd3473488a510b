//! NRG track mode codes: one byte per track (in a DAOX/DAOI entry, or the low byte of an ETN
//! entry's 32-bit mode) that says what the track holds and how many bytes each stored sector has.
//!
//! | code | bytes | stored as | track |
//! |---|---|---|---|
//! | 0x00 | 2048 | user data only | Mode 1 |
//! | 0x02 | 2048 | user data only | Mode 2 Form 1 |
//! | 0x03 | 2336 | subheader onwards | Mode 2 (XA Form 1/2 or formless) |
//! | 0x05 | 2352 | whole sector | Mode 1 |
//! | 0x06 | 2352 | whole sector | Mode 2 (XA, mixed forms) |
//! | 0x07 | 2352 | whole sector | audio |
//! | 0x08 | 2352 | whole sector | audio (an alternative code some writers use) |
//! | 0x0F | 2448 | whole sector + 96 bytes interleaved P–W | Mode 1 |
//! | 0x10 | 2448 | whole sector + 96 bytes interleaved P–W | audio |
//! | 0x11 | 2448 | whole sector + 96 bytes interleaved P–W | Mode 2 |
//!
//! libmirage, Aaru and MAME agree on this table. The codes of MAME's parser (which reads them as
//! `code << 8`) are what `chdman` accepts: only 0x00, 0x06 and 0x07.
//!
//! Some writers (MagicISO, as Aaru notes) put a 2048-byte code on 2352-byte sectors. The reader
//! trusts the declared sector size over the code in that case and looks at the sector itself.

use discus_core::sector::sniff_mode;
use discus_core::{Form, TrackMode};

/// Every code the reader knows: (code, what the track holds, how its sectors are stored).
const CODES: &[(u8, TrackMode, Form)] = &[
    (0x00, TrackMode::Mode1, Form::Cooked),
    (0x02, TrackMode::Mode2Xa, Form::Cooked),
    (0x03, TrackMode::Mode2Xa, Form::Mode2),
    (0x05, TrackMode::Mode1, Form::Raw),
    (0x06, TrackMode::Mode2Xa, Form::Raw),
    (0x07, TrackMode::Audio, Form::Raw),
    (0x08, TrackMode::Audio, Form::Raw),
    (0x0F, TrackMode::Mode1, Form::RawSub),
    (0x10, TrackMode::Audio, Form::RawSub),
    (0x11, TrackMode::Mode2Xa, Form::RawSub),
];

/// What a code means, or `None` for a code no reader documents.
pub(crate) fn decode(code: u8) -> Option<(TrackMode, Form)> {
    CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|&(_, mode, form)| (mode, form))
}

/// The code a writer puts on a track of `mode` stored as `form` (never the alternative 0x08).
pub(crate) fn encode(mode: TrackMode, form: Form) -> Option<u8> {
    let mode = match mode {
        TrackMode::Mode2 => TrackMode::Mode2Xa,
        other => other,
    };
    CODES
        .iter()
        .find(|(c, m, f)| *m == mode && *f == form && *c != 0x08)
        .map(|&(code, _, _)| code)
}

/// The form whose sectors are `size` bytes long.
pub(crate) fn form_of_size(size: usize) -> Option<Form> {
    [Form::Cooked, Form::Mode2, Form::Raw, Form::RawSub]
        .into_iter()
        .find(|f| f.size() == size)
}

/// What a track of `form` most likely holds, judged by its first stored sector (`first`, may be
/// empty for an empty track): raw sectors carry their mode byte after the sync; 2048 and 2336-byte
/// sectors do not, so Mode 1 and Mode 2 are the only readings left.
pub(crate) fn guess(form: Form, first: &[u8]) -> TrackMode {
    match form {
        Form::Cooked => TrackMode::Mode1,
        Form::Mode2 => TrackMode::Mode2Xa,
        Form::Raw | Form::RawSub => match sniff_mode(first) {
            Some(1) => TrackMode::Mode1,
            Some(2) => TrackMode::Mode2Xa,
            _ => TrackMode::Audio,
        },
    }
}

/// A short description for `discus info`: `0x07 (audio, 2352)`.
pub(crate) fn describe(code: u8, mode: TrackMode, form: Form) -> String {
    format!("{code:#04x} ({}, {})", mode.name(), form.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_written_code_reads_back_as_itself() {
        for &(code, mode, form) in CODES {
            if code == 0x08 {
                assert_eq!(encode(mode, form), Some(0x07));
                continue;
            }
            assert_eq!(encode(mode, form), Some(code));
            assert_eq!(decode(code), Some((mode, form)));
        }
        assert_eq!(encode(TrackMode::Mode2, Form::Raw), Some(0x06));
        assert_eq!(encode(TrackMode::Audio, Form::Cooked), None);
        assert_eq!(decode(0x01), None);
    }

    #[test]
    fn sizes_and_guesses() {
        assert_eq!(form_of_size(2336), Some(Form::Mode2));
        assert_eq!(form_of_size(2000), None);
        let mut raw = [0u8; 2352];
        raw[..12].copy_from_slice(&discus_core::sector::SYNC);
        raw[15] = 2;
        assert_eq!(guess(Form::Raw, &raw), TrackMode::Mode2Xa);
        assert_eq!(guess(Form::Raw, &[0u8; 2352]), TrackMode::Audio);
        assert_eq!(guess(Form::Cooked, &[]), TrackMode::Mode1);
    }
}

/// NeroAPI media type bits (`NERO_MEDIA_TYPE`, as libmirage's NRG parser names them): CD-R/RW,
/// CD-ROM, the DVD family and the Blu-ray family.
pub(crate) mod media {
    /// CD-R/RW.
    pub const CD: u32 = 0x0000_0001;
    /// CD-ROM.
    pub const CD_ROM: u32 = 0x0000_0400;
    /// DVD-R/RW, DVD+R/RW, DVD-RAM, DVD-ROM and the 9 GB recordables.
    pub const DVD_ANY: u32 = 0x0000_0004 | 0x0000_0008 | 0x0000_0010 | 0x0000_0200 | 0x000C_0000;
    /// DVD-ROM: what discus writes for a DVD.
    pub const DVD_ROM: u32 = 0x0000_0200;
    /// BD-ROM, BD-R, BD-RE.
    pub const BD_ANY: u32 = 0x0010_0000 | 0x0020_0000 | 0x0040_0000;
}

/// The medium an NRG's `MTYP` chunk names (checked CD first, as libmirage does). Without the
/// chunk, or with a CD type, the image is a CD. A DVD is one track of 2048-byte user data; its
/// layers are not recorded, so a second volume (a PS2 disc) is found in the data instead.
pub(crate) fn medium(media_type: Option<u32>, disc: &discus_core::Disc) -> discus_core::Medium {
    use discus_core::Medium;
    let Some(bits) = media_type else {
        return Medium::Cd;
    };
    let size = || Medium::for_user_data(disc.total_sectors());
    if bits & (media::CD | media::CD_ROM) != 0 {
        Medium::Cd
    } else if bits & media::DVD_ANY != 0 {
        match size() {
            Medium::Dvd { layers, .. } => Medium::Dvd {
                layers,
                layer_break: None,
            },
            _ => Medium::Dvd {
                layers: 1,
                layer_break: None,
            },
        }
    } else if bits & media::BD_ANY != 0 {
        Medium::Bd
    } else {
        Medium::Cd
    }
}
