//! The disc model every format decodes into and encodes from: disc → sessions → tracks → indexes.
//!
//! The model says what is *on the disc*. How a file stores a sector (2048, 2336, 2352 or 2448 bytes)
//! is the business of the format that stores it; see [`crate::Form`] for the shapes sectors travel in.

use crate::address::Lba;

/// What a track holds, as the disc defines it (not as a file stores it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrackMode {
    /// CD-DA: 2352 bytes of 16-bit little-endian stereo PCM per sector.
    Audio,
    /// Mode 1 data: 2048 user bytes protected by EDC and ECC.
    Mode1,
    /// Mode 2 without XA structure: 2336 user bytes, no EDC/ECC.
    Mode2,
    /// Mode 2 CD-ROM XA: Form 1 (2048 bytes, EDC/ECC) or Form 2 (2324 bytes) per sector, as the subheader says.
    Mode2Xa,
}

impl TrackMode {
    /// Whether the track holds data (the control field's data bit).
    pub fn is_data(self) -> bool {
        self != TrackMode::Audio
    }

    /// A short name for listings: `audio`, `mode1`, `mode2`, `mode2-xa`.
    pub fn name(self) -> &'static str {
        match self {
            TrackMode::Audio => "audio",
            TrackMode::Mode1 => "mode1",
            TrackMode::Mode2 => "mode2",
            TrackMode::Mode2Xa => "mode2-xa",
        }
    }
}

/// A pregap or postgap: sectors that belong to a track but lie outside INDEX 01 .. end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Gap {
    /// Length in sectors.
    pub sectors: u32,
    /// Whether the source file holds these sectors. Unstored gaps are generated (silence or empty data
    /// sectors) when a target wants them; a format never invents bytes it claims to have stored.
    pub stored: bool,
}

impl Gap {
    /// No gap.
    pub const NONE: Gap = Gap {
        sectors: 0,
        stored: false,
    };

    /// A gap that the source holds.
    pub const fn stored(sectors: u32) -> Gap {
        Gap {
            sectors,
            stored: true,
        }
    }

    /// A gap that exists on disc but not in the source.
    pub const fn generated(sectors: u32) -> Gap {
        Gap {
            sectors,
            stored: false,
        }
    }
}

/// The four control bits of a track's TOC and Q subchannel entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Control(pub u8);

impl Control {
    /// Audio with pre-emphasis.
    pub const PRE_EMPHASIS: u8 = 0x1;
    /// Digital copy permitted.
    pub const COPY_PERMITTED: u8 = 0x2;
    /// Data track.
    pub const DATA: u8 = 0x4;
    /// Four-channel audio.
    pub const FOUR_CHANNEL: u8 = 0x8;

    /// Whether all of `bits` are set.
    pub fn has(self, bits: u8) -> bool {
        self.0 & bits == bits
    }
}

/// CD-TEXT style fields that cue sheets, NRG and CloneCD carry per disc and per track.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Text {
    /// TITLE.
    pub title: Option<String>,
    /// PERFORMER.
    pub performer: Option<String>,
    /// SONGWRITER.
    pub songwriter: Option<String>,
}

impl Text {
    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.performer.is_none() && self.songwriter.is_none()
    }
}

/// An index mark inside a track (INDEX 02 and later; INDEX 00 is the pregap and INDEX 01 the start).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Index {
    /// Index number, 2..=99.
    pub number: u8,
    /// Where the index begins.
    pub lba: Lba,
}

/// One track: `pregap`, then `length` sectors from INDEX 01 at `start`, then `postgap`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Track {
    /// Track number, 1..=99 (the first track of a disc need not be 1).
    pub number: u8,
    /// What the track holds.
    pub mode: TrackMode,
    /// INDEX 01: the address the TOC points to.
    pub start: Lba,
    /// Sectors from INDEX 01 to the end of the track, gaps excluded.
    pub length: u32,
    /// Sectors before INDEX 01 (INDEX 00 when stored). Track 1's pregap covers LBA 0 up to its
    /// INDEX 01 (hidden track one audio, INDEX 00 or PREGAP on track 1 in a cue sheet), so a track 1
    /// that starts later than LBA 0 always has one. The standard 150 sectors before LBA 0
    /// (−150..−1) are on every disc, but the model names them only when the source stores them
    /// *and* they differ from what would be generated (a Nero image keeps them): the files of most
    /// formats begin at LBA 0, and a writer that stores them (NRG) extends track 1's pregap in its
    /// plan and gets them generated.
    pub pregap: Gap,
    /// Sectors after the track's data.
    pub postgap: Gap,
    /// INDEX 02 and later.
    pub indexes: Vec<Index>,
    /// Control bits (copy permitted, pre-emphasis, four channel; the data bit follows `mode`).
    pub control: Control,
    /// International Standard Recording Code, 12 characters.
    pub isrc: Option<String>,
    /// CD-TEXT fields of this track.
    pub text: Text,
}

impl Track {
    /// A track of `length` sectors at `start` with no gaps or metadata.
    pub fn new(number: u8, mode: TrackMode, start: Lba, length: u32) -> Track {
        Track {
            number,
            mode,
            start,
            length,
            pregap: Gap::NONE,
            postgap: Gap::NONE,
            indexes: Vec::new(),
            control: Control(if mode.is_data() { Control::DATA } else { 0 }),
            isrc: None,
            text: Text::default(),
        }
    }

    /// The first sector of the track, pregap included.
    pub fn first_lba(&self) -> Lba {
        Lba(self.start.0 - self.pregap.sectors as i32)
    }

    /// The first sector after the track's data (where the postgap begins).
    pub fn data_end(&self) -> Lba {
        Lba(self.start.0 + self.length as i32)
    }

    /// The first sector after the track, postgap included.
    pub fn end_lba(&self) -> Lba {
        Lba(self.data_end().0 + self.postgap.sectors as i32)
    }

    /// All sectors of the track, gaps included.
    pub fn total_sectors(&self) -> u64 {
        u64::from(self.pregap.sectors) + u64::from(self.length) + u64::from(self.postgap.sectors)
    }

    /// The control byte as the TOC holds it: the flags plus the data bit the mode implies.
    pub fn toc_control(&self) -> u8 {
        let data = if self.mode.is_data() {
            Control::DATA
        } else {
            0
        };
        (self.control.0 & !Control::DATA) | data
    }
}

/// One session: a run of tracks between a lead-in and a lead-out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Session {
    /// Session number, from 1.
    pub number: u8,
    /// The session's tracks in order.
    pub tracks: Vec<Track>,
}

impl Session {
    /// The address just after the session's last track (where its lead-out starts).
    pub fn lead_out(&self) -> Option<Lba> {
        self.tracks.last().map(Track::end_lba)
    }
}

/// Where a disc's subchannel comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subchannel {
    /// Read from the source image: it may hold data no generator can recreate (copy protection, CD+G).
    Stored,
    /// Computed from the layout (P and Q only) because the source had none.
    Generated,
}

/// Where a GD-ROM's (Dreamcast) high-density area begins. Its single-density area (tracks 1 and
/// 2, what any CD drive reads) lies from LBA 0; formats that hold GD-ROMs (GDI, Redump's cue with
/// `REM HIGH-DENSITY AREA`, CHD's `CHGD`) model the two areas as two sessions.
pub const GD_ROM_HIGH_DENSITY: Lba = Lba(45_000);

/// Sectors a CD can address from LBA 0: absolute time 99:59:74 is LBA 449,849, the last address
/// a BCD minute byte can hold. A data image longer than this cannot be a CD.
pub const CD_MAX_SECTORS: u64 = 449_850;
/// Sectors of a single-layer DVD (DVD-5, 4.7 GB): 2,295,104 blocks of 2048 bytes.
pub const DVD_SINGLE_LAYER_SECTORS: u64 = 2_295_104;
/// Sectors of a dual-layer DVD (DVD-9, 8,543,666,176 bytes).
pub const DVD_DUAL_LAYER_SECTORS: u64 = 4_171_712;

/// What kind of disc an image is of.
///
/// A CD has sessions, tracks, 2352-byte sectors, a subchannel and MSF addresses. A DVD or a BD has
/// none of them: it is one data track of 2048-byte sectors (the drive hides the rest), addressed
/// by sector number only. Writers say in [`crate::Capabilities::media`] which media they hold, and
/// the plan check refuses the others before anything is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Medium {
    /// A compact disc (the default: every format discus reads began as one).
    #[default]
    Cd,
    /// A DVD.
    Dvd {
        /// Recorded layers: 1 (DVD-5) or 2 (DVD-9).
        layers: u8,
        /// The first sector of layer 1 on a dual-layer disc, when the source records it or the
        /// second volume of a PS2 disc shows it.
        layer_break: Option<u32>,
    },
    /// A Blu-ray disc.
    Bd,
}

impl Medium {
    /// What a plain image of `sectors` 2048-byte sectors must be: a CD up to 99:59:74, then a
    /// single-layer DVD, a dual-layer DVD, and past a DVD-9's capacity a BD. Sources that record
    /// the medium (MDS, NRG) say so instead.
    pub fn for_user_data(sectors: u64) -> Medium {
        if sectors <= CD_MAX_SECTORS {
            Medium::Cd
        } else if sectors <= DVD_SINGLE_LAYER_SECTORS {
            Medium::Dvd {
                layers: 1,
                layer_break: None,
            }
        } else if sectors <= DVD_DUAL_LAYER_SECTORS {
            Medium::Dvd {
                layers: 2,
                layer_break: None,
            }
        } else {
            Medium::Bd
        }
    }

    /// Whether this is a CD (with tracks, raw sectors and MSF addresses).
    pub fn is_cd(self) -> bool {
        self == Medium::Cd
    }

    /// The layer break of a dual-layer DVD, if known.
    pub fn layer_break(self) -> Option<u32> {
        match self {
            Medium::Dvd { layer_break, .. } => layer_break,
            _ => None,
        }
    }

    /// A short name: `CD`, `DVD`, `DVD (dual layer)`, `BD`.
    pub fn name(self) -> &'static str {
        match self {
            Medium::Cd => "CD",
            Medium::Dvd { layers: 2, .. } => "DVD (dual layer)",
            Medium::Dvd { .. } => "DVD",
            Medium::Bd => "BD",
        }
    }
}

/// A whole disc.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Disc {
    /// What kind of disc it is. A DVD or BD has one data track of 2048-byte sectors.
    pub medium: Medium,
    /// Sessions in order; at least one for a disc with tracks.
    pub sessions: Vec<Session>,
    /// Media catalogue number (UPC/EAN), 13 digits.
    pub catalog: Option<String>,
    /// Disc-level CD-TEXT fields.
    pub text: Text,
    /// Raw CD-TEXT packs (18 bytes each) when the source stores them as such.
    pub cd_text_packs: Option<Vec<u8>>,
    /// Whether the source carries a subchannel, and how it came by it.
    pub subchannel: Option<Subchannel>,
}

impl Disc {
    /// A single-session disc of the given tracks.
    pub fn single_session(tracks: Vec<Track>) -> Disc {
        Disc {
            sessions: vec![Session { number: 1, tracks }],
            ..Disc::default()
        }
    }

    /// The disc of a plain image of 2048-byte user data (ISO, raw 2048 IMG, CSO): one Mode 1 track
    /// of `sectors`, its medium inferred from the size ([`Medium::for_user_data`]).
    pub fn user_data_image(sectors: u32) -> Disc {
        Disc {
            medium: Medium::for_user_data(u64::from(sectors)),
            ..Disc::single_session(vec![Track::new(1, TrackMode::Mode1, Lba(0), sectors)])
        }
    }

    /// Every track of every session, in disc order. A track's position in this order is its
    /// *track index*, which sources and sinks use to name tracks.
    pub fn tracks(&self) -> impl Iterator<Item = &Track> {
        self.sessions.iter().flat_map(|s| s.tracks.iter())
    }

    /// The track at `index` in [`Disc::tracks`] order.
    pub fn track(&self, index: usize) -> Option<&Track> {
        self.tracks().nth(index)
    }

    /// How many tracks the disc has.
    pub fn track_count(&self) -> usize {
        self.sessions.iter().map(|s| s.tracks.len()).sum()
    }

    /// The session number of the track at `index`.
    pub fn session_of(&self, index: usize) -> Option<u8> {
        let mut remaining = index;
        for session in &self.sessions {
            if remaining < session.tracks.len() {
                return Some(session.number);
            }
            remaining -= session.tracks.len();
        }
        None
    }

    /// Sectors of every track, gaps included.
    pub fn total_sectors(&self) -> u64 {
        self.tracks().map(Track::total_sectors).sum()
    }

    /// Whether the disc has a GD-ROM's shape: two sessions, the first ending by LBA 45000 and the
    /// second (the high-density area) beginning there or later.
    pub fn is_gd_rom(&self) -> bool {
        match self.sessions.as_slice() {
            [low, high] => {
                low.lead_out().is_some_and(|end| end <= GD_ROM_HIGH_DENSITY)
                    && high
                        .tracks
                        .first()
                        .is_some_and(|t| t.first_lba() >= GD_ROM_HIGH_DENSITY)
            }
            _ => false,
        }
    }

    /// The lead-out of the last session.
    pub fn lead_out(&self) -> Option<Lba> {
        self.sessions.last().and_then(Session::lead_out)
    }

    /// Gives the addresses between two tracks of a session that belong to no track to a gap: the
    /// earlier track's postgap unless it is stored, else the later track's pregap. Formats that
    /// describe every address of a session by its tracks (MDS, CloneCD) need this; it says what it
    /// changed, as notes, and refuses overlapping tracks or a hole between two stored gaps.
    pub fn close_holes(&mut self) -> Result<Vec<String>, String> {
        let mut notes = Vec::new();
        notes.extend(self.fill_before_first_track());
        for session in &mut self.sessions {
            for pair in 1..session.tracks.len() {
                let (before, after) = session.tracks.split_at_mut(pair);
                let (Some(a), Some(b)) = (before.last_mut(), after.first_mut()) else {
                    continue;
                };
                let hole = b.first_lba().distance_from(a.end_lba());
                if hole < 0 {
                    return Err(format!(
                        "track {} begins at LBA {}, inside track {} (which ends at LBA {})",
                        b.number,
                        b.first_lba(),
                        a.number,
                        a.end_lba()
                    ));
                }
                let Ok(hole) = u32::try_from(hole) else {
                    return Err(format!(
                        "track {} begins {hole} sectors after track {}",
                        b.number, a.number
                    ));
                };
                if hole == 0 {
                    continue;
                }
                if !a.postgap.stored {
                    a.postgap = Gap::generated(a.postgap.sectors + hole);
                    notes.push(format!(
                        "the {hole} sector(s) between tracks {} and {} become part of track {}'s postgap",
                        a.number, b.number, a.number
                    ));
                } else if !b.pregap.stored {
                    b.pregap = Gap::generated(b.pregap.sectors + hole);
                    notes.push(format!(
                        "the {hole} sector(s) between tracks {} and {} become part of track {}'s pregap",
                        a.number, b.number, b.number
                    ));
                } else {
                    return Err(format!(
                        "{hole} sector(s) lie between tracks {} and {}, whose gaps are both stored; the target cannot describe them",
                        a.number, b.number
                    ));
                }
            }
        }
        Ok(notes)
    }

    /// Gives the addresses from LBA 0 to the first track's first sector, when a source left them
    /// to no track (a CloneCD or MDS image whose track 1 starts late without a pregap), to track
    /// 1's pregap, generated: on a disc they are its pregap, and every format that begins at LBA 0
    /// needs them described. Says what it changed.
    pub fn fill_before_first_track(&mut self) -> Option<String> {
        let first = self.sessions.first_mut()?.tracks.first_mut()?;
        let hole = u32::try_from(first.first_lba().0).ok().filter(|&h| h > 0)?;
        if first.pregap.stored && first.pregap.sectors > 0 {
            return None;
        }
        first.pregap = Gap::generated(first.pregap.sectors + hole);
        Some(format!(
            "the {hole} sector(s) before track {} (from LBA 0) become its pregap",
            first.number
        ))
    }

    /// Lays the disc out for a format whose data file begins at LBA 0 (a cue sheet's BIN, a TOC's
    /// data file): the addresses before a late track 1 become its pregap
    /// ([`Disc::fill_before_first_track`]), and a pregap reaching below LBA 0 (an NRG keeping LBA
    /// −150..−1) is cut at LBA 0 — the conversion then checks the sectors left out, as it checks
    /// any dropped gap. Says what it changed.
    pub fn begin_at_lba_zero(&mut self) -> Option<String> {
        let note = self.fill_before_first_track();
        if let Some(first) = self.sessions.first_mut().and_then(|s| s.tracks.first_mut())
            && first.first_lba() < Lba(0)
        {
            first.pregap = match u32::try_from(first.start.0) {
                Ok(own) if own > 0 => Gap {
                    sectors: own,
                    ..first.pregap
                },
                _ => Gap::NONE,
            };
        }
        note
    }

    /// Checks what every TOC-writing format needs: sessions in increasing order and not empty,
    /// track numbers 1–99 increasing across the disc, and no track starting before the previous
    /// one ends. Says what is wrong otherwise.
    pub fn check_layout(&self) -> Result<(), String> {
        let mut last_number = 0u8;
        let mut last_session = 0u8;
        let mut last_end: Option<Lba> = None;
        for session in &self.sessions {
            if session.number <= last_session || session.tracks.is_empty() {
                return Err(format!(
                    "session {} is empty or out of order",
                    session.number
                ));
            }
            last_session = session.number;
            for track in &session.tracks {
                if track.number == 0 || track.number > 99 || track.number <= last_number {
                    return Err(format!(
                        "track number {} after {last_number}: track numbers must increase within 1-99",
                        track.number
                    ));
                }
                last_number = track.number;
                if last_end.is_some_and(|end| track.first_lba() < end) {
                    return Err(format!(
                        "track {} begins at LBA {}, before the previous track ends",
                        track.number,
                        track.first_lba()
                    ));
                }
                last_end = Some(track.end_lba());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i11_6_the_addresses_before_a_late_track_one_are_its_pregap() {
        let mut disc = Disc::single_session(vec![Track::new(1, TrackMode::Audio, Lba(150), 10)]);
        let note = disc.fill_before_first_track();
        assert!(note.is_some_and(|n| n.contains("150 sector(s)")));
        assert_eq!(disc.sessions[0].tracks[0].pregap, Gap::generated(150));
        assert_eq!(disc.sessions[0].tracks[0].first_lba(), Lba(0));
        // Already from LBA 0 (or before): nothing to do.
        assert_eq!(disc.fill_before_first_track(), None);
        let mut early = Disc::single_session(vec![Track::new(1, TrackMode::Audio, Lba(0), 10)]);
        assert_eq!(early.fill_before_first_track(), None);
        assert_eq!(early.sessions[0].tracks[0].pregap, Gap::NONE);
    }

    #[test]
    fn i12_1_medium_follows_the_size_of_a_plain_image() {
        assert_eq!(Medium::for_user_data(CD_MAX_SECTORS), Medium::Cd);
        assert_eq!(
            Medium::for_user_data(CD_MAX_SECTORS + 1),
            Medium::Dvd {
                layers: 1,
                layer_break: None
            }
        );
        // 4.7 GB: a DVD-5; 8.5 GB: a DVD-9; 25 GB: a BD.
        assert_eq!(Medium::for_user_data(2_295_104).name(), "DVD");
        assert_eq!(Medium::for_user_data(4_171_712).name(), "DVD (dual layer)");
        assert_eq!(Medium::for_user_data(4_171_713), Medium::Bd);
        assert_eq!(Medium::for_user_data(12_219_392), Medium::Bd);
        let disc = Disc::user_data_image(2_295_104);
        assert!(!disc.medium.is_cd());
        assert_eq!(disc.total_sectors(), 2_295_104);
    }

    #[test]
    fn holes_between_tracks_go_to_a_gap_or_are_refused() {
        let mut disc = Disc::single_session(vec![
            Track::new(1, TrackMode::Mode1, Lba(0), 100),
            Track::new(2, TrackMode::Audio, Lba(130), 50),
        ]);
        let notes = disc
            .close_holes()
            .expect("a hole between unstored gaps closes");
        assert_eq!(disc.track(0).map(|t| t.postgap), Some(Gap::generated(30)));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(disc.check_layout(), Ok(()));

        let mut stored = Disc::single_session(vec![
            Track::new(1, TrackMode::Mode1, Lba(0), 100),
            Track::new(2, TrackMode::Audio, Lba(130), 50),
        ]);
        stored.sessions[0].tracks[0].postgap = Gap::stored(10);
        stored.sessions[0].tracks[1].pregap = Gap::stored(10);
        assert!(stored.close_holes().is_err());

        let mut overlapping = Disc::single_session(vec![
            Track::new(1, TrackMode::Mode1, Lba(0), 100),
            Track::new(2, TrackMode::Audio, Lba(90), 50),
        ]);
        assert!(
            overlapping
                .close_holes()
                .unwrap_err()
                .contains("inside track 1")
        );
    }
}
