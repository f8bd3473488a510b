//! Sector addresses: `Lba` for all arithmetic, `Msf` only at the edges (cue text, BCD headers, display).

use std::fmt;

/// Sectors per second of CD audio time.
pub const FRAMES_PER_SECOND: i32 = 75;
/// Sectors between MSF 00:00:00 and LBA 0: the track 1 pregap every CD has.
pub const MSF_OFFSET: i32 = 150;

/// A logical block address: 0 is absolute disc time 00:02:00, −150..−1 the 150-sector pregap every
/// disc has before it. LBA 0 is where track 1's INDEX 01 usually is, but not always: a disc whose
/// track 1 has a longer pregap (hidden track one audio, INDEX 00 or PREGAP on track 1 in a cue
/// sheet) has INDEX 01 later, at the address the TOC gives (libcdio, cdrdao and the drive agree).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lba(pub i32);

impl Lba {
    /// The address `sectors` further on, or `None` on overflow.
    pub fn checked_add(self, sectors: i64) -> Option<Lba> {
        i32::try_from(i64::from(self.0) + sectors).ok().map(Lba)
    }

    /// The number of sectors from `earlier` to `self` (negative when `earlier` is later).
    pub fn distance_from(self, earlier: Lba) -> i64 {
        i64::from(self.0) - i64::from(earlier.0)
    }

    /// The absolute disc time of this address (LBA + 150), as written in sector headers and TOCs.
    /// Negative addresses below −150 (the lead-in) fold to 90:00:00 and above, as MMC defines.
    pub fn to_absolute_msf(self) -> Msf {
        let frames = self.0 + MSF_OFFSET;
        let frames = if frames < 0 { frames + 450_000 } else { frames };
        Msf::from_frames(frames.max(0) as u32)
    }

    /// The address of an absolute disc time (the inverse of [`Lba::to_absolute_msf`]).
    pub fn from_absolute_msf(msf: Msf) -> Lba {
        let frames = msf.frames() as i32;
        if msf.minutes >= 90 {
            Lba(frames - 450_150)
        } else {
            Lba(frames - MSF_OFFSET)
        }
    }
}

impl fmt::Display for Lba {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Minutes, seconds and frames (sectors): 75 frames a second, 60 seconds a minute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Msf {
    /// Minutes, 0..=99 for anything that fits a BCD byte.
    pub minutes: u8,
    /// Seconds, 0..=59.
    pub seconds: u8,
    /// Frames, 0..=74.
    pub frames: u8,
}

/// Why an MSF could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MsfError {
    /// Not three colon-separated decimal numbers.
    #[error("'{0}' is not a time of the form mm:ss:ff")]
    Syntax(String),
    /// Seconds of 60 or more.
    #[error("seconds {0} out of range (0-59)")]
    Seconds(u32),
    /// Frames of 75 or more.
    #[error("frames {0} out of range (0-74)")]
    Frames(u32),
    /// A BCD byte with a nibble above 9.
    #[error("byte {0:#04x} is not BCD")]
    Bcd(u8),
}

impl Msf {
    /// Checked constructor: seconds below 60 and frames below 75.
    pub fn new(minutes: u8, seconds: u8, frames: u8) -> Result<Msf, MsfError> {
        if seconds >= 60 {
            return Err(MsfError::Seconds(seconds.into()));
        }
        if frames >= 75 {
            return Err(MsfError::Frames(frames.into()));
        }
        Ok(Msf {
            minutes,
            seconds,
            frames,
        })
    }

    /// The time that is `frames` sectors long. Minutes saturate at 255.
    pub fn from_frames(frames: u32) -> Msf {
        let minutes = (frames / (60 * 75)).min(255) as u8;
        Msf {
            minutes,
            seconds: (frames / 75 % 60) as u8,
            frames: (frames % 75) as u8,
        }
    }

    /// The length of this time in sectors.
    pub fn frames(self) -> u32 {
        (u32::from(self.minutes) * 60 + u32::from(self.seconds)) * 75 + u32::from(self.frames)
    }

    /// Parses cue-sheet time `mm:ss:ff` (one or more digits per field; minutes may exceed 99).
    pub fn parse(text: &str) -> Result<Msf, MsfError> {
        let syntax = || MsfError::Syntax(text.to_string());
        let mut fields = [0u32; 3];
        let mut parts = text.split(':');
        for field in &mut fields {
            let part = parts.next().ok_or_else(syntax)?;
            if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(syntax());
            }
            *field = part.parse().map_err(|_| syntax())?;
        }
        if parts.next().is_some() {
            return Err(syntax());
        }
        let [m, s, f] = fields;
        if s >= 60 {
            return Err(MsfError::Seconds(s));
        }
        if f >= 75 {
            return Err(MsfError::Frames(f));
        }
        let minutes = u8::try_from(m).map_err(|_| syntax())?;
        Msf::new(minutes, s as u8, f as u8)
    }

    /// The three BCD bytes of a sector header or Q subchannel.
    pub fn to_bcd(self) -> [u8; 3] {
        [
            to_bcd(self.minutes),
            to_bcd(self.seconds),
            to_bcd(self.frames),
        ]
    }

    /// Reads three BCD bytes.
    pub fn from_bcd(bytes: [u8; 3]) -> Result<Msf, MsfError> {
        let [m, s, f] = bytes;
        Msf::new(from_bcd(m)?, from_bcd(s)?, from_bcd(f)?)
    }
}

impl fmt::Display for Msf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}:{:02}",
            self.minutes, self.seconds, self.frames
        )
    }
}

/// A value 0..=99 as one BCD byte (values above 99 wrap, as they cannot be expressed).
pub const fn to_bcd(value: u8) -> u8 {
    let value = value % 100;
    ((value / 10) << 4) | (value % 10)
}

/// One BCD byte as its value.
pub fn from_bcd(byte: u8) -> Result<u8, MsfError> {
    if byte >> 4 > 9 || byte & 0x0f > 9 {
        return Err(MsfError::Bcd(byte));
    }
    Ok((byte >> 4) * 10 + (byte & 0x0f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lba_zero_is_two_seconds_in() {
        assert_eq!(Lba(0).to_absolute_msf().to_bcd(), [0x00, 0x02, 0x00]);
        assert_eq!(Lba::from_absolute_msf(Msf::new(0, 2, 0).unwrap()), Lba(0));
        assert_eq!(Lba(-150).to_absolute_msf(), Msf::new(0, 0, 0).unwrap());
    }

    #[test]
    fn lead_in_folds_above_ninety_minutes() {
        let msf = Lba(-151).to_absolute_msf();
        assert_eq!(msf.minutes, 99);
        assert_eq!(Lba::from_absolute_msf(msf), Lba(-151));
    }

    #[test]
    fn parse_checks_ranges() {
        assert_eq!(Msf::parse("01:02:03").unwrap().frames(), (62 * 75) + 3);
        assert_eq!(Msf::parse("0:2:0").unwrap().frames(), 150);
        assert_eq!(Msf::parse("00:60:00"), Err(MsfError::Seconds(60)));
        assert_eq!(Msf::parse("00:00:75"), Err(MsfError::Frames(75)));
        assert!(matches!(Msf::parse("00:0a:00"), Err(MsfError::Syntax(_))));
        assert!(matches!(Msf::parse("00:00"), Err(MsfError::Syntax(_))));
        assert!(matches!(
            Msf::parse("00:00:00:00"),
            Err(MsfError::Syntax(_))
        ));
    }

    #[test]
    fn bcd_round_trip_and_rejects_bad_nibbles() {
        for v in 0..100u8 {
            assert_eq!(from_bcd(to_bcd(v)), Ok(v));
        }
        assert_eq!(from_bcd(0x1a), Err(MsfError::Bcd(0x1a)));
    }

    #[test]
    fn frames_round_trip() {
        for frames in [0u32, 74, 75, 4499, 4500, 333_000] {
            assert_eq!(Msf::from_frames(frames).frames(), frames);
        }
    }
}
