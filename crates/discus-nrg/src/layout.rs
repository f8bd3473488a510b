//! Disc addresses: where each declared track lies on the disc, session by session.
//!
//! * **Disc-at-once**: a session is stored contiguously from its first track's INDEX 00, so one
//!   address fixes the whole session. It comes from the session's cue chunk (the first track's
//!   INDEX 01) when there is one; the cue chunk also gives control flags and INDEX 02 and later, and
//!   is checked against the track list, which wins where they differ (it says where the bytes are).
//! * **Track-at-once**: every track has a 150-sector pregap on disc that the file does not hold,
//!   unless the file leaves exactly that room in front of the track.
//! * **Sessions** without an address of their own follow the recorder's rule: the first track of
//!   session 2 starts 11 400 sectors after session 1 ends (lead-out 6750, lead-in 4500, pregap
//!   150), later sessions 6900 after.
//! * **Track 1's own pregap** (LBA −150..−1) is on every disc and formats other than NRG leave it
//!   out. When an NRG stores it as nothing but what discus would generate (zeros, silence, empty
//!   data sectors), the model does not claim it, so converting to a format without gaps, or to a
//!   sheet (whose first byte is LBA 0), loses nothing. A longer track 1 pregap (hidden track one
//!   audio: libcdio's `p1.nrg` stores 300 sectors, INDEX 01 at LBA 150) keeps its part from LBA 0.

use discus_core::flat::read_exact_at;
use discus_core::sector::subchannel::Generator;
use discus_core::{Control, Disc, Error, Form, Gap, Index, Lba, Result, Session, Track};

use crate::chunks::{CueEntry, LEAD_OUT};
use crate::mode;
use crate::read::{Declaration, Declared, Kind, Reader, Stored};

/// The pregap every track-at-once track has, and the size of track 1's pregap on every disc.
pub(crate) const STANDARD_PREGAP: u32 = 150;
/// From the end of session 1 to the first INDEX 01 of session 2: lead-out, lead-in, pregap.
pub(crate) const SECOND_SESSION_GAP: i64 = 6750 + 4500 + 150;
/// The same for later sessions, whose lead-out is 2250 sectors.
pub(crate) const LATER_SESSION_GAP: i64 = 2250 + 4500 + 150;

impl Reader<'_> {
    /// One track list per session is the rule; an old track-at-once file may instead list every
    /// track in one chunk and say in its SINF chunks how many belong to each session.
    pub(crate) fn split_sessions(
        &mut self,
        declarations: Vec<Declaration>,
        counts: &[u32],
    ) -> Vec<Declaration> {
        let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
        if let [only] = declarations.as_slice()
            && counts.len() > 1
            && matches!(only.kind, Kind::TrackAtOnce)
            && total == only.tracks.len() as u64
            && counts.iter().all(|&c| c > 0)
        {
            let mut rest = only.tracks.clone();
            let mut sessions = Vec::new();
            for &count in counts {
                let tail = rest.split_off(count as usize);
                sessions.push(Declaration {
                    kind: Kind::TrackAtOnce,
                    tracks: rest,
                    at: only.at,
                });
                rest = tail;
            }
            return sessions;
        }
        let declared: Vec<usize> = declarations.iter().map(|d| d.tracks.len()).collect();
        let agree = counts.len() == declared.len()
            && counts.iter().zip(&declared).all(|(&c, &d)| c as usize == d);
        if !counts.is_empty() && !agree {
            self.warnings.push(format!(
                "the SINF chunks give {counts:?} tracks per session but the track lists hold {declared:?}; the track lists are followed"
            ));
        }
        declarations
    }

    /// Gives every track its disc addresses, session by session.
    pub(crate) fn lay_out(&mut self, declarations: &[Declaration]) -> Result<(Disc, Vec<Stored>)> {
        let mut sessions = Vec::new();
        let mut stored = Vec::new();
        let mut previous_end: Option<i64> = None;
        let mut previous_stored_end = 0u64;
        let mut next_number = 1u8;
        let mut layouts = Vec::new();
        for (index, declaration) in declarations.iter().enumerate() {
            let count = declaration.tracks.len();
            let numbers = self.numbers(declaration, next_number, count)?;
            let cue = match &declaration.kind {
                Kind::Dao { cue, .. } => cue.as_deref(),
                Kind::TrackAtOnce => None,
            };
            let lookup = |track: u8, index: u8| {
                cue.and_then(|entries| {
                    entries
                        .iter()
                        .find(|e| e.track == track && e.index == index)
                        .and_then(CueEntry::lba)
                })
            };
            let mut tracks: Vec<Declared> = declaration.tracks.clone();
            if matches!(declaration.kind, Kind::TrackAtOnce) {
                // Aaru found Nero leaving the pregap's room in front of a track-at-once track.
                for track in &mut tracks {
                    let room = u64::from(STANDARD_PREGAP) * track.form.size() as u64;
                    if track.data_at >= previous_stored_end + room && room > 0 {
                        track.pregap_stored = true;
                        track.pregap_at = track.data_at - room;
                    }
                    previous_stored_end = track.end;
                }
            } else if let Some(last) = tracks.last() {
                previous_stored_end = last.end;
            }
            let Some(first) = tracks.first() else {
                continue;
            };
            let pregap = i64::from(first.pregap);
            let by_rule = match previous_end {
                None if matches!(declaration.kind, Kind::Dao { .. }) => (pregap - 150).max(0),
                None => 0,
                Some(end) if index == 1 => end + SECOND_SESSION_GAP,
                Some(end) => end + LATER_SESSION_GAP,
            };
            let Some(&first_number) = numbers.first() else {
                continue;
            };
            let explicit = lookup(first_number, 1)
                .map(|l| i64::from(l.0))
                .filter(|&lba| self.address(lba - pregap, first_number, 0).is_ok());
            let start = match explicit {
                Some(lba) if previous_end.is_none_or(|end| lba - pregap >= end) => lba,
                Some(lba) => {
                    self.warnings.push(format!(
                        "the cue chunk puts track {first_number} at LBA {lba}, inside the previous session; it is placed at LBA {by_rule}"
                    ));
                    by_rule
                }
                None => by_rule,
            };
            let mut cursor = start - pregap;
            let mut session = Session {
                number: (index + 1) as u8,
                tracks: Vec::new(),
            };
            let mut mismatches = Vec::new();
            for (declared, &number) in tracks.iter().zip(&numbers) {
                let first_lba = cursor;
                let track_start = first_lba + i64::from(declared.pregap);
                let end = track_start + i64::from(declared.length);
                let at = declared.at;
                let mut track = Track::new(
                    number,
                    declared.mode,
                    self.address(track_start, number, at)?,
                    declared.length,
                );
                self.address(end, number, at)?;
                track.pregap = if declared.pregap_stored {
                    Gap::stored(declared.pregap)
                } else {
                    Gap::generated(declared.pregap)
                };
                track.isrc = declared.isrc.clone();
                if let Some(entries) = cue {
                    self.cue_extras(&mut track, entries, &mut mismatches);
                }
                stored.push(Stored {
                    form: declared.form,
                    first: if declared.pregap_stored {
                        self.address(first_lba, number, at)?
                    } else {
                        track.start
                    },
                    offset: if declared.pregap_stored {
                        declared.pregap_at
                    } else {
                        declared.data_at
                    },
                    sectors: u64::from(declared.length)
                        + if declared.pregap_stored {
                            u64::from(declared.pregap)
                        } else {
                            0
                        },
                });
                layouts.push(format!(
                    "{} at bytes {}..{}",
                    mode::describe(declared.code, declared.mode, declared.form),
                    declared.pregap_at,
                    declared.end
                ));
                session.tracks.push(track);
                cursor = end;
            }
            if let Some(lead_out) = cue.and_then(|_| lookup(LEAD_OUT, 1))
                && i64::from(lead_out.0) != cursor
            {
                mismatches.push(format!("the lead-out at LBA {lead_out}, not {cursor}"));
            }
            if !mismatches.is_empty() {
                self.warnings.push(format!(
                    "the cue chunk of session {} disagrees with the track list ({}); the track list is followed",
                    index + 1,
                    mismatches.join("; ")
                ));
            }
            previous_end = Some(cursor);
            next_number = numbers.last().map_or(next_number, |n| n.saturating_add(1));
            sessions.push(session);
        }
        let kinds: Vec<&str> = declarations
            .iter()
            .map(|d| match d.kind {
                Kind::Dao { .. } => "disc-at-once",
                Kind::TrackAtOnce => "track-at-once",
            })
            .collect();
        self.details.push(("Layout".into(), kinds.join(", ")));
        for (track, layout) in sessions.iter().flat_map(|s| &s.tracks).zip(layouts) {
            self.details
                .push((format!("Track {}", track.number), layout));
        }
        Ok((
            Disc {
                sessions,
                ..Disc::default()
            },
            stored,
        ))
    }

    /// `value` as a disc address, refused when no disc reaches it.
    fn address(&self, value: i64, number: u8, at: u64) -> Result<Lba> {
        i32::try_from(value)
            .ok()
            .filter(|v| (-450_150..=10_000_000).contains(v))
            .map(Lba)
            .ok_or_else(|| {
                self.invalid(
                    at,
                    format!("track {number} would lie at LBA {value}, beyond any disc"),
                )
            })
    }

    /// Track numbers of a session: the DAO header's, when they fit; else counted on.
    fn numbers(&mut self, declaration: &Declaration, next: u8, count: usize) -> Result<Vec<u8>> {
        let first = match declaration.kind {
            Kind::Dao {
                first_track,
                last_track,
                ..
            } if first_track >= next
                && usize::from(last_track) + 1 == usize::from(first_track) + count =>
            {
                first_track
            }
            Kind::Dao {
                first_track,
                last_track,
                ..
            } => {
                self.warnings.push(format!(
                    "the DAO chunk at byte {} numbers its tracks {first_track} to {last_track} but lists {count}; they are numbered from {next}",
                    declaration.at
                ));
                next
            }
            Kind::TrackAtOnce => next,
        };
        if usize::from(first) + count > 100 {
            return Err(Error::unsupported(
                self.path,
                format!(
                    "the image has tracks numbered beyond 99 (the session at byte {})",
                    declaration.at
                ),
            ));
        }
        Ok((0..count).map(|i| first + i as u8).collect())
    }

    /// Takes from the cue entries what only they say: control flags and INDEX 02 and later;
    /// notes where INDEX 01 disagrees with the track list.
    fn cue_extras(
        &mut self,
        track: &mut Track,
        entries: &[CueEntry],
        mismatches: &mut Vec<String>,
    ) {
        let number = track.number;
        let mine = || entries.iter().filter(move |e| e.track == number);
        if let Some(entry) = mine().find(|e| e.index == 1).or_else(|| mine().next()) {
            let data = if track.mode.is_data() {
                Control::DATA
            } else {
                0
            };
            track.control = Control(((entry.control_adr >> 4) & !Control::DATA) | data);
            if let Some(lba) = entry.lba().filter(|_| entry.index == 1)
                && lba != track.start
            {
                mismatches.push(format!(
                    "track {} at LBA {lba}, not {}",
                    track.number, track.start
                ));
            }
        }
        for entry in mine().filter(|e| e.index >= 2) {
            match entry.lba() {
                Some(lba) if lba > track.start && lba < track.data_end() => {
                    track.indexes.push(Index {
                        number: entry.index,
                        lba,
                    });
                }
                _ => mismatches.push(format!(
                    "track {} INDEX {:02} outside the track",
                    track.number, entry.index
                )),
            }
        }
        track.indexes.sort_by_key(|i| i.lba);
    }

    /// Drops LBA −150..−1 from track 1's pregap in the model when they hold only what discus
    /// would generate (see the module notes); a longer pregap (hidden track one audio) keeps its
    /// part from LBA 0 on, as a cue sheet or CloneCD image of the same disc holds it.
    pub(crate) fn hide_standard_pregap(
        &mut self,
        disc: &mut Disc,
        stored: &[Stored],
    ) -> Result<()> {
        let (Some(track), Some(stored)) = (
            disc.sessions.first_mut().and_then(|s| s.tracks.first_mut()),
            stored.first(),
        ) else {
            return Ok(());
        };
        if track.first_lba() != Lba(-(STANDARD_PREGAP as i32))
            || track.pregap.sectors < STANDARD_PREGAP
        {
            return Ok(());
        }
        if track.pregap.stored {
            let count = STANDARD_PREGAP as usize;
            let form = stored.form;
            let mut actual = vec![0u8; count * form.size()];
            read_exact_at(self.file, self.path, &mut actual, stored.offset)?;
            let mut probe = track.clone();
            probe.pregap = Gap::NONE;
            if actual != generated_pregap(&probe, form) {
                return Ok(());
            }
            self.details.push((
                "Track 1 pregap".into(),
                "150 sectors stored (LBA -150..-1), identical to a generated pregap".into(),
            ));
        }
        track.pregap = match track.pregap.sectors - STANDARD_PREGAP {
            0 => Gap::NONE,
            rest => Gap {
                sectors: rest,
                ..track.pregap
            },
        };
        Ok(())
    }
}

/// What discus generates for LBA −150..−1 of `track` in `form`: empty data sectors or silence.
fn generated_pregap(track: &Track, form: Form) -> Vec<u8> {
    let mut out = vec![0u8; STANDARD_PREGAP as usize * form.size()];
    let first = Lba(-(STANDARD_PREGAP as i32));
    discus_core::stream::generate(
        track.mode,
        first,
        form,
        &mut out,
        Some(&Generator::new(track)),
    );
    out
}
