//! The CD layer of a CHD: track metadata (`CHT2`, and the older `CHTR`) and where each track's
//! frames lie in the logical data.
//!
//! The logical data is a run of 2448-byte frames: the bytes of the sector as the track type stores
//! them (2048 for `MODE1`, 2352 for `MODE1_RAW` …; audio big-endian), zeros up to 2352, then 96 bytes
//! of subchannel (zeros for `SUBTYPE:NONE`). Each track holds `FRAMES` frames — its pregap first when
//! `PGTYPE` starts with `V` — and is padded with zero frames to a multiple of four.

use discus_core::sector::{MODE2_SIZE, RAW_SIZE, USER_SIZE};
use discus_core::{Disc, Form, Gap, Lba, Session, Track, TrackMode};

/// Bytes of one CHD CD frame.
pub const FRAME: usize = 2448;
/// Tracks are padded to a multiple of this many frames.
pub const TRACK_PADDING: u32 = 4;
/// Metadata tag of the current track format.
pub const CHT2: u32 = crate::header::tag(b"CHT2");
/// Metadata tag of the v3/v4 track format.
pub const CHTR: u32 = crate::header::tag(b"CHTR");
/// Binary TOC of the oldest CD CHDs.
pub const CHCD: u32 = crate::header::tag(b"CHCD");
/// GD-ROM track format.
pub const CHGD: u32 = crate::header::tag(b"CHGD");

/// A track type as CHT2 names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackType {
    /// `MODE1`: 2048 bytes per frame.
    Mode1,
    /// `MODE1_RAW`: 2352.
    Mode1Raw,
    /// `MODE2`: 2336.
    Mode2,
    /// `MODE2_FORM1`: 2048.
    Mode2Form1,
    /// `MODE2_FORM2`: 2324.
    Mode2Form2,
    /// `MODE2_FORM_MIX`: 2336.
    Mode2FormMix,
    /// `MODE2_RAW`: 2352.
    Mode2Raw,
    /// `AUDIO`: 2352, big-endian samples.
    Audio,
}

impl TrackType {
    const ALL: [TrackType; 8] = [
        TrackType::Mode1,
        TrackType::Mode1Raw,
        TrackType::Mode2,
        TrackType::Mode2Form1,
        TrackType::Mode2Form2,
        TrackType::Mode2FormMix,
        TrackType::Mode2Raw,
        TrackType::Audio,
    ];

    /// The name in CHT2 text.
    pub fn name(self) -> &'static str {
        match self {
            TrackType::Mode1 => "MODE1",
            TrackType::Mode1Raw => "MODE1_RAW",
            TrackType::Mode2 => "MODE2",
            TrackType::Mode2Form1 => "MODE2_FORM1",
            TrackType::Mode2Form2 => "MODE2_FORM2",
            TrackType::Mode2FormMix => "MODE2_FORM_MIX",
            TrackType::Mode2Raw => "MODE2_RAW",
            TrackType::Audio => "AUDIO",
        }
    }

    /// Parses a CHT2 name.
    pub fn parse(name: &str) -> Option<TrackType> {
        TrackType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Bytes of each frame the type stores.
    pub fn data_size(self) -> usize {
        match self {
            TrackType::Mode1 | TrackType::Mode2Form1 => USER_SIZE,
            TrackType::Mode2Form2 => 2324,
            TrackType::Mode2 | TrackType::Mode2FormMix => MODE2_SIZE,
            TrackType::Mode1Raw | TrackType::Mode2Raw | TrackType::Audio => RAW_SIZE,
        }
    }

    /// What the disc holds. Every Mode 2 type a cue can name is XA in practice, as the cue reader
    /// decides too.
    pub fn mode(self) -> TrackMode {
        match self {
            TrackType::Audio => TrackMode::Audio,
            TrackType::Mode1 | TrackType::Mode1Raw => TrackMode::Mode1,
            _ => TrackMode::Mode2Xa,
        }
    }

    /// The form sectors of this type travel in, without subchannel; `None` for the one the model
    /// has no form for (Form 2 user data alone).
    pub fn form(self) -> Option<Form> {
        match self {
            TrackType::Mode1 | TrackType::Mode2Form1 => Some(Form::Cooked),
            TrackType::Mode2 | TrackType::Mode2FormMix => Some(Form::Mode2),
            TrackType::Mode1Raw | TrackType::Mode2Raw | TrackType::Audio => Some(Form::Raw),
            TrackType::Mode2Form2 => None,
        }
    }

    /// The type that stores a `mode` track in `form` (subchannel aside), as chdman chooses it
    /// for the cue track type that stores sectors that way.
    pub fn for_track(mode: TrackMode, form: Form) -> TrackType {
        match (mode, form.without_subchannel()) {
            (TrackMode::Audio, _) => TrackType::Audio,
            (TrackMode::Mode1, Form::Cooked) => TrackType::Mode1,
            (TrackMode::Mode1, _) => TrackType::Mode1Raw,
            (_, Form::Cooked) => TrackType::Mode2Form1,
            (_, Form::Mode2) => TrackType::Mode2,
            _ => TrackType::Mode2Raw,
        }
    }
}

/// Subchannel as CHT2 names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubType {
    /// `NONE`: the 96 bytes are zero.
    None,
    /// `RW`: packed (deinterleaved) subchannel.
    Cooked,
    /// `RW_RAW`: raw interleaved subchannel, the model's layout.
    Raw,
}

impl SubType {
    /// The name in CHT2 text.
    pub fn name(self) -> &'static str {
        match self {
            SubType::None => "NONE",
            SubType::Cooked => "RW",
            SubType::Raw => "RW_RAW",
        }
    }

    fn parse(name: &str) -> Option<SubType> {
        [SubType::None, SubType::Cooked, SubType::Raw]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

/// One CHT2 (or CHTR) line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChdTrack {
    /// TRACK.
    pub number: u32,
    /// TYPE.
    pub kind: TrackType,
    /// SUBTYPE.
    pub sub: SubType,
    /// FRAMES: frames stored, a `V` pregap included, padding excluded.
    pub frames: u32,
    /// PREGAP.
    pub pregap: u32,
    /// PGTYPE began with `V`: the pregap is in the frames.
    pub pregap_stored: bool,
    /// PGTYPE without the `V`, as written.
    pub pgtype: String,
    /// PGSUB.
    pub pgsub: String,
    /// POSTGAP (never stored).
    pub postgap: u32,
    /// PAD, of `CHGD` only: the last frames of FRAMES that no file held (zeros up to the next
    /// track's start).
    pub pad: u32,
}

impl ChdTrack {
    /// Parses one CHT2 or CHTR text; says what is wrong otherwise.
    pub fn parse(text: &str) -> Result<ChdTrack, String> {
        let mut track = ChdTrack {
            number: 0,
            kind: TrackType::Mode1,
            sub: SubType::None,
            frames: 0,
            pregap: 0,
            pregap_stored: false,
            pgtype: "MODE1".into(),
            pgsub: "NONE".into(),
            postgap: 0,
            pad: 0,
        };
        let mut seen_type = false;
        let number = |value: &str, key: &str| {
            value
                .parse::<u32>()
                .map_err(|_| format!("{key}:{value} is not a number"))
        };
        for field in text.split_whitespace() {
            let Some((key, value)) = field.split_once(':') else {
                return Err(format!("'{field}' is not KEY:VALUE"));
            };
            match key {
                "TRACK" => track.number = number(value, key)?,
                "TYPE" => {
                    track.kind = TrackType::parse(value)
                        .ok_or_else(|| format!("unknown track type '{value}'"))?;
                    seen_type = true;
                }
                "SUBTYPE" => {
                    track.sub = SubType::parse(value)
                        .ok_or_else(|| format!("unknown subchannel type '{value}'"))?
                }
                "FRAMES" => track.frames = number(value, key)?,
                "PREGAP" => track.pregap = number(value, key)?,
                "PGTYPE" => {
                    track.pregap_stored = value.starts_with('V');
                    track.pgtype = value.trim_start_matches('V').to_string();
                }
                "PGSUB" => track.pgsub = value.to_string(),
                "POSTGAP" => track.postgap = number(value, key)?,
                "PAD" => track.pad = number(value, key)?,
                // Fields of newer writers are not needed to place sectors.
                _ => {}
            }
        }
        if track.number == 0 || !seen_type {
            return Err("a track needs TRACK and TYPE".into());
        }
        if track.pad > track.frames {
            return Err(format!(
                "{} frames of padding in a track of {} frames",
                track.pad, track.frames
            ));
        }
        if track.pregap_stored && track.pregap > track.frames {
            return Err(format!(
                "a stored pregap of {} frames is longer than the track's {} frames",
                track.pregap, track.frames
            ));
        }
        Ok(track)
    }

    /// The CHT2 text, exactly as chdman writes it (its SHA-1 is part of the overall SHA-1).
    pub fn to_cht2(&self) -> String {
        format!(
            "TRACK:{} TYPE:{} SUBTYPE:{} FRAMES:{} PREGAP:{} PGTYPE:{}{} PGSUB:{} POSTGAP:{}",
            self.number,
            self.kind.name(),
            self.sub.name(),
            self.frames,
            self.pregap,
            if self.pregap_stored { "V" } else { "" },
            self.pgtype,
            self.pgsub,
            self.postgap
        )
    }

    /// Frames the track takes in the logical data, padding included.
    pub fn padded_frames(&self) -> u64 {
        u64::from(self.frames).next_multiple_of(u64::from(TRACK_PADDING))
    }
}

/// The CHT2 line for a track of the model stored in `form` (`pregap` stored or not).
pub fn describe(track: &Track, number: u32, form: Form, pregap_stored: bool) -> ChdTrack {
    let kind = TrackType::for_track(track.mode, form);
    let sub = if form.has_subchannel() {
        SubType::Raw
    } else {
        SubType::None
    };
    let pregap_frames = if pregap_stored {
        track.pregap.sectors
    } else {
        0
    };
    ChdTrack {
        number,
        kind,
        sub,
        frames: pregap_frames + track.length,
        pregap: track.pregap.sectors,
        pregap_stored,
        // chdman writes the track's own type and subchannel for a stored pregap, and its
        // defaults (MODE1, NONE) for one that is not: the text must match for the SHA-1 to.
        pgtype: if pregap_stored {
            kind.name().to_string()
        } else {
            "MODE1".to_string()
        },
        pgsub: if pregap_stored {
            sub.name().to_string()
        } else {
            "NONE".to_string()
        },
        postgap: track.postgap.sectors,
        pad: 0,
    }
}

/// The model's disc for these CHD tracks: each track after the one before (postgap included),
/// stored pregaps marked stored. LBA 0 is disc time 00:02:00, where the data of the first track
/// begins: a stored track 1 pregap (hidden track one audio) starts there and puts INDEX 01 later,
/// as libcdio places it; an unstored one is the standard lead-in side, below LBA 0.
pub fn disc_of(tracks: &[ChdTrack]) -> Result<Disc, String> {
    let mut model = Vec::with_capacity(tracks.len());
    let mut cursor: i64 = match tracks.first() {
        Some(first) if !first.pregap_stored => -i64::from(first.pregap),
        _ => 0,
    };
    for (i, chd) in tracks.iter().enumerate() {
        if chd.number as usize != i + 1 {
            return Err(format!(
                "track {} is listed in place {}; CHD tracks are numbered 1, 2, 3 … in order",
                chd.number,
                i + 1
            ));
        }
        let length = if chd.pregap_stored {
            chd.frames - chd.pregap
        } else {
            chd.frames
        };
        let start = cursor + i64::from(chd.pregap);
        let end = start + i64::from(length) + i64::from(chd.postgap);
        if end > i64::from(i32::MAX) / 2 {
            return Err("the tracks run past the last address a disc can have".into());
        }
        let number = u8::try_from(chd.number)
            .ok()
            .filter(|n| *n <= 99)
            .ok_or_else(|| format!("track number {} is above 99", chd.number))?;
        let mut track = Track::new(number, chd.kind.mode(), Lba(start as i32), length);
        track.pregap = Gap {
            sectors: chd.pregap,
            stored: chd.pregap_stored,
        };
        track.postgap = Gap::generated(chd.postgap);
        model.push(track);
        cursor = end;
    }
    Ok(Disc::single_session(model))
}

// GD-ROM (`CHGD`), as chdman writes it from a GDI or a Redump GD-ROM cue: the text of CHT2 with
// PAD after FRAMES, no stored pregaps, and the tracks laid end to end over the whole disc from LBA
// 0 — each track's FRAMES run up to the next track's start, the last PAD of them zeros that no
// file held (the gap before a track, and between the areas up to LBA 45000).

impl ChdTrack {
    /// The CHGD text, exactly as chdman writes it.
    pub fn to_chgd(&self) -> String {
        format!(
            "TRACK:{} TYPE:{} SUBTYPE:{} FRAMES:{} PAD:{} PREGAP:{} PGTYPE:{} PGSUB:{} POSTGAP:{}",
            self.number,
            self.kind.name(),
            self.sub.name(),
            self.frames,
            self.pad,
            self.pregap,
            self.pgtype,
            self.pgsub,
            self.postgap
        )
    }
}

/// The CHGD lines of a GD-ROM ([`Disc::is_gd_rom`]) whose tracks are written in `forms`, without
/// their pregaps: each track's frames reach the next track's start, the sectors in between
/// (gaps, and the space between the areas) as zero PAD frames.
pub fn describe_gd_rom(disc: &Disc, forms: &[Form]) -> Vec<ChdTrack> {
    let tracks: Vec<&Track> = disc.tracks().collect();
    tracks
        .iter()
        .enumerate()
        .map(|(i, track)| {
            let form = forms.get(i).copied().unwrap_or(Form::Raw);
            let mut chd = describe(track, i as u32 + 1, form, false);
            chd.pregap = 0;
            chd.postgap = 0;
            chd.pad = tracks.get(i + 1).map_or(0, |next| {
                next.start.distance_from(track.data_end()).max(0) as u32
            });
            chd.frames = track.length + chd.pad;
            chd
        })
        .collect()
}

/// The model's disc for CHGD tracks: two sessions as a GDI reads (the high-density area, from
/// LBA 45000, the second), each track's PAD frames the generated pregap of the next track of its
/// area (between the areas they belong to no track).
pub fn disc_of_gd_rom(tracks: &[ChdTrack]) -> Result<Disc, String> {
    let high = i64::from(discus_core::disc::GD_ROM_HIGH_DENSITY.0);
    let mut sessions: Vec<Session> = Vec::new();
    let mut cursor = 0i64;
    for (i, chd) in tracks.iter().enumerate() {
        if chd.number as usize != i + 1 || chd.number > 99 {
            return Err(format!(
                "track {} is listed in place {}; CHD tracks are numbered 1, 2, 3 … in order",
                chd.number,
                i + 1
            ));
        }
        if chd.pregap_stored || chd.postgap > 0 {
            return Err(format!(
                "GD-ROM track {} has a stored pregap or a postgap, which CHGD does not describe",
                chd.number
            ));
        }
        let length = chd.frames - chd.pad;
        if length == 0 {
            return Err(format!("GD-ROM track {} holds only padding", chd.number));
        }
        if cursor + i64::from(chd.frames) > i64::from(i32::MAX) / 2 {
            return Err("the tracks run past the last address a disc can have".into());
        }
        let mut track = Track::new(
            chd.number as u8,
            chd.kind.mode(),
            Lba(cursor as i32),
            length,
        );
        let number = if cursor >= high && !sessions.is_empty() {
            2
        } else {
            1
        };
        match sessions.last_mut() {
            Some(session) if session.number == number => {
                if let Some(before) = session.tracks.last() {
                    let hole = track.start.distance_from(before.end_lba());
                    track.pregap = Gap::generated(hole.max(0) as u32);
                }
                session.tracks.push(track);
            }
            _ => sessions.push(Session {
                number,
                tracks: vec![track],
            }),
        }
        cursor += i64::from(chd.frames);
    }
    Ok(Disc {
        sessions,
        ..Disc::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cht2_text_round_trips_as_chdman_writes_it() {
        let lines = [
            "TRACK:1 TYPE:MODE1_RAW SUBTYPE:NONE FRAMES:300 PREGAP:0 PGTYPE:MODE1 PGSUB:NONE POSTGAP:0",
            "TRACK:2 TYPE:AUDIO SUBTYPE:NONE FRAMES:350 PREGAP:150 PGTYPE:VAUDIO PGSUB:NONE POSTGAP:0",
            "TRACK:3 TYPE:AUDIO SUBTYPE:NONE FRAMES:123 PREGAP:150 PGTYPE:MODE1 PGSUB:NONE POSTGAP:75",
        ];
        let tracks: Vec<ChdTrack> = lines
            .iter()
            .map(|l| ChdTrack::parse(l).expect("parses"))
            .collect();
        for (line, track) in lines.iter().zip(&tracks) {
            assert_eq!(&track.to_cht2(), line);
        }
        let disc = disc_of(&tracks).expect("lays out");
        let t2 = disc.track(1).expect("track 2");
        assert_eq!(
            (t2.first_lba(), t2.start, t2.length),
            (Lba(300), Lba(450), 200)
        );
        assert!(t2.pregap.stored);
        let t3 = disc.track(2).expect("track 3");
        assert_eq!((t3.start, t3.postgap), (Lba(800), Gap::generated(75)));
        // The same lines come back from the model.
        for (i, track) in disc.tracks().enumerate() {
            let back = describe(track, i as u32 + 1, Form::Raw, track.pregap.stored);
            assert_eq!(back.to_cht2(), lines[i]);
        }
    }

    #[test]
    fn i15_3_chgd_text_and_layout_as_chdman_writes_them() {
        // chdman 0.251 and 0.289, createcd of a five-track GDI (tracks at 0, 450, 45000,
        // 45350, 45620).
        let lines = [
            "TRACK:1 TYPE:MODE1_RAW SUBTYPE:NONE FRAMES:450 PAD:150 PREGAP:0 PGTYPE:MODE1 PGSUB:NONE POSTGAP:0",
            "TRACK:2 TYPE:AUDIO SUBTYPE:NONE FRAMES:44550 PAD:44250 PREGAP:0 PGTYPE:MODE1 PGSUB:NONE POSTGAP:0",
            "TRACK:3 TYPE:MODE1_RAW SUBTYPE:NONE FRAMES:350 PAD:150 PREGAP:0 PGTYPE:MODE1 PGSUB:NONE POSTGAP:0",
            "TRACK:4 TYPE:AUDIO SUBTYPE:NONE FRAMES:270 PAD:150 PREGAP:0 PGTYPE:MODE1 PGSUB:NONE POSTGAP:0",
            "TRACK:5 TYPE:MODE1_RAW SUBTYPE:NONE FRAMES:200 PAD:0 PREGAP:0 PGTYPE:MODE1 PGSUB:NONE POSTGAP:0",
        ];
        let tracks: Vec<ChdTrack> = lines
            .iter()
            .map(|l| ChdTrack::parse(l).expect("parses"))
            .collect();
        let disc = disc_of_gd_rom(&tracks).expect("lays out");
        assert!(disc.is_gd_rom());
        let rows: Vec<_> = disc
            .tracks()
            .map(|t| (t.start.0, t.length, t.pregap))
            .collect();
        assert_eq!(
            rows,
            [
                (0, 300, Gap::NONE),
                (450, 300, Gap::generated(150)),
                (45_000, 200, Gap::NONE),
                (45_350, 120, Gap::generated(150)),
                (45_620, 200, Gap::generated(150)),
            ]
        );
        assert_eq!(disc.session_of(2), Some(2));
        let back = describe_gd_rom(&disc, &[Form::Raw; 5]);
        for (line, track) in lines.iter().zip(&back) {
            assert_eq!(&track.to_chgd(), line);
        }
        let mut only_pad = tracks[4].clone();
        only_pad.pad = 200;
        assert!(disc_of_gd_rom(&[tracks[0].clone(), only_pad]).is_err());
        assert!(ChdTrack::parse("TRACK:1 TYPE:AUDIO FRAMES:10 PAD:11").is_err());
    }

    #[test]
    fn bad_lines_say_why() {
        assert!(ChdTrack::parse("TRACK:1 TYPE:MODE9 FRAMES:1").is_err());
        assert!(ChdTrack::parse("TRACK:1 TYPE:AUDIO FRAMES:x").is_err());
        assert!(ChdTrack::parse("TRACK:1 TYPE:AUDIO FRAMES:10 PREGAP:20 PGTYPE:VAUDIO").is_err());
    }
}
