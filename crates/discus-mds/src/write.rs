//! Writing MDS v1 + MDF from any disc: the MDF holds every track's stored sectors back to back
//! (stored pregap, INDEX 01 onwards, stored postgap); the descriptor is computed from the plan
//! before the first sector is written and put in place last.
//!
//! Sector size: 2352 (raw) by default, 2448 (raw + interleaved P–W, subchannel mode 0x08) when
//! the source stores a subchannel or `sector_size` is 2448, and 2048 for Mode 1 tracks when
//! `sector_size` is 2048. Gaps the source does not store are not written: the descriptor's
//! addresses describe them (see `read.rs` for the rule both sides follow).

use discus_core::output::{self, Destination, Output};
use discus_core::plan::{self, sectors_delivered};
use discus_core::{
    Arrivals, Capabilities, Error, Form, Gap, Lba, Plan, Result, SectorSink, SectorSource,
    Subchannel, TrackMode, WriteOptions,
};

use crate::descriptor::{
    Builder, EXTRA_SIZE, Extra, FOOTER_SIZE, SESSION_SIZE, SESSIONS_AT, SUBCHANNEL_INTERLEAVED,
    SessionBlock, TRACK_SIZE, TrackBlock,
};
use crate::read::SESSION_PREGAP;

/// What MDS holds: tracks, audio, sessions, subchannel and raw sectors; no catalog, ISRC,
/// CD-TEXT or INDEX 02+.
pub(crate) const CAPABILITIES: Capabilities = Capabilities {
    // Alcohol's medium types name CDs and DVDs; no Blu-ray type is known.
    media: discus_core::Media {
        cd: true,
        dvd: true,
        bd: false,
    },
    multi_track: true,
    audio: true,
    sessions: true,
    subchannel: true,
    raw_sectors: true,
    metadata: false,
    compressed: false,
};

/// Decides the form of every track (see the module comment) and checks that the layout fits.
pub(crate) fn plan(source: &dyn SectorSource, options: &WriteOptions) -> Result<Plan> {
    let disc = source.disc();
    if disc.track_count() == 0 {
        return Err(Error::Usage("the source has no track to write".to_string()));
    }
    if !disc.medium.is_cd() {
        // One track of 2048-byte sectors; another sector size is refused by the plan check.
        let path = source.files().into_iter().next().unwrap_or_default();
        let form = match options.sector_size {
            None | Some(2048) => Form::Cooked,
            Some(_) => Form::Raw,
        };
        return Plan::first_data_track(source, CAPABILITIES, form, &path);
    }
    let stored_subchannel = disc.subchannel == Some(Subchannel::Stored)
        && (0..disc.track_count()).any(|i| source.stored_form(i).has_subchannel());
    let (subchannel, cooked) = match options.sector_size {
        None => (stored_subchannel, false),
        Some(2352) => (false, false),
        Some(2448) => (true, false),
        Some(2048) => (false, true),
        Some(other) => {
            return Err(Error::Usage(format!(
                "an MDF is written with 2352 or 2448-byte sectors, or 2048 for Mode 1 (not {other})"
            )));
        }
    };
    let mut plan = Plan::keep_all(
        source,
        CAPABILITIES,
        |track, _| {
            if subchannel {
                Form::RawSub
            } else if cooked && track.mode == TrackMode::Mode1 {
                Form::Cooked
            } else {
                Form::Raw
            }
        },
        |track| {
            (
                track.pregap.stored && track.pregap.sectors > 0,
                track.postgap.stored && track.postgap.sectors > 0,
            )
        },
    );
    if subchannel && plan.disc.subchannel.is_none() {
        plan.disc.subchannel = Some(Subchannel::Generated);
    }
    let mut notes = plan.disc.close_holes().map_err(Error::Usage)?;
    for session in &mut plan.disc.sessions {
        for track in &mut session.tracks {
            if !track.indexes.is_empty() {
                notes.push(format!(
                    "track {}: INDEX 02 and later are not kept (MDS has no place for them)",
                    track.number
                ));
                track.indexes.clear();
            }
        }
    }
    plan.notes.extend(notes);
    Ok(plan)
}

/// The mode byte Alcohol writes for a track.
fn mode_byte(mode: TrackMode) -> u8 {
    match mode {
        TrackMode::Audio => 0xA9,
        TrackMode::Mode1 => 0xAA,
        TrackMode::Mode2 => 0xAB,
        TrackMode::Mode2Xa => 0xEC,
    }
}

/// The pregap a track's extra block gives: a session's first track always has at least the
/// standard 150 sectors that the model keeps in the session gap.
fn written_pregap(first_of_session: bool, pregap: Gap) -> u32 {
    if first_of_session && pregap.sectors == 0 {
        SESSION_PREGAP
    } else {
        pregap.sectors
    }
}

/// The pregap of the disc's first track, counted as Alcohol counts it: from LBA −150 (the
/// standard pregap, which the model names only when a source stores it) to INDEX 01, so that a
/// track 1 with hidden audio before it says 150 + its own pregap. A pregap the model has reaching
/// below LBA 0 is written as it is.
fn first_track_pregap(track: &discus_core::Track) -> u32 {
    if track.first_lba() >= Lba(0) {
        let from_standard = track.start.distance_from(Lba(-(SESSION_PREGAP as i32)));
        u32::try_from(from_standard).unwrap_or(SESSION_PREGAP)
    } else {
        track.pregap.sectors
    }
}

fn msf_bytes(lba: Lba) -> [u8; 3] {
    let msf = lba.to_absolute_msf();
    [msf.minutes, msf.seconds, msf.frames]
}

/// The descriptor for `plan` and the bytes each plan track puts in the MDF.
pub(crate) fn layout(plan: &Plan, mdf_name: &str) -> Result<(Vec<u8>, Vec<u64>)> {
    let disc = &plan.disc;
    let sessions = &disc.sessions;
    let session_count = u16::try_from(sessions.len())
        .map_err(|_| Error::Usage("too many sessions for an MDS".to_string()))?;
    let blocks_in =
        |index: usize, tracks: usize| 3 + tracks + usize::from(index + 1 < sessions.len());
    let all_blocks: usize = sessions
        .iter()
        .enumerate()
        .map(|(i, s)| blocks_in(i, s.tracks.len()))
        .sum();
    let tracks_at = SESSIONS_AT + sessions.len() * SESSION_SIZE;
    let extras_at = tracks_at + all_blocks * TRACK_SIZE;
    let footer_at = extras_at + disc.track_count() * EXTRA_SIZE;
    let as_u32 = |value: usize| {
        u32::try_from(value)
            .map_err(|_| Error::Usage("the MDS descriptor would be too large".into()))
    };
    let disc_type = if disc
        .tracks()
        .any(|t| matches!(t.mode, TrackMode::Mode2 | TrackMode::Mode2Xa))
    {
        0x20
    } else {
        0x00
    };

    let mut builder = Builder::default();
    builder.header(session_count);
    let mut block_at = tracks_at;
    let mut extra_at = extras_at;
    let mut plan_index = 0usize;
    let mut mdf_offset = 0u64;
    let mut expected = Vec::with_capacity(plan.tracks.len());
    for (index, session) in sessions.iter().enumerate() {
        let (Some(first), Some(last)) = (session.tracks.first(), session.tracks.last()) else {
            return Err(Error::Usage(format!(
                "session {} has no track",
                session.number
            )));
        };
        let first_pregap = if index == 0 {
            first_track_pregap(first)
        } else {
            written_pregap(true, first.pregap)
        };
        let start = Lba(first.start.0 - first_pregap as i32);
        let end = last.end_lba();
        let count = blocks_in(index, session.tracks.len());
        builder.session(
            SESSIONS_AT + index * SESSION_SIZE,
            &SessionBlock {
                at: 0,
                start: start.0,
                end: end.0,
                number: u16::from(session.number),
                all_blocks: u8::try_from(count)
                    .map_err(|_| Error::Usage("too many tracks in one session".into()))?,
                non_track_blocks: u8::try_from(count - session.tracks.len()).unwrap_or(u8::MAX),
                first_track: u16::from(first.number),
                last_track: u16::from(last.number),
                track_offset: as_u32(block_at)?,
            },
        );
        let lead_in = |point: u8, control: u8, pmsf: [u8; 3]| TrackBlock {
            adr_control: 0x10 | control,
            point,
            pmsf,
            ..TrackBlock::default()
        };
        for block in [
            lead_in(0xA0, first.toc_control(), [first.number, disc_type, 0]),
            lead_in(0xA1, last.toc_control(), [last.number, 0, 0]),
            lead_in(0xA2, first.toc_control(), msf_bytes(end)),
        ] {
            builder.track(block_at, &block);
            block_at += TRACK_SIZE;
        }
        for (position, track) in session.tracks.iter().enumerate() {
            let track_plan = plan.tracks.get(plan_index).ok_or_else(|| {
                Error::Usage("the plan has fewer tracks than its disc".to_string())
            })?;
            plan_index += 1;
            let size = track_plan.form.size() as u64;
            let pregap_bytes = if track_plan.pregap {
                u64::from(track.pregap.sectors) * size
            } else {
                0
            };
            builder.track(
                block_at,
                &TrackBlock {
                    mode: mode_byte(track.mode),
                    subchannel: if track_plan.form.has_subchannel() {
                        SUBCHANNEL_INTERLEAVED
                    } else {
                        0
                    },
                    adr_control: 0x10 | track.toc_control(),
                    point: track.number,
                    pmsf: msf_bytes(track.start),
                    extra_offset: as_u32(extra_at)?,
                    sector_size: track_plan.form.size() as u16,
                    start_lba: track.start.0,
                    start_offset: mdf_offset + pregap_bytes,
                    files: 1,
                    footer_offset: as_u32(footer_at)?,
                    ..TrackBlock::default()
                },
            );
            builder.extra(
                extra_at,
                Extra {
                    pregap: if index == 0 && position == 0 {
                        first_pregap
                    } else {
                        written_pregap(position == 0, track.pregap)
                    },
                    length: track.length,
                },
            );
            block_at += TRACK_SIZE;
            extra_at += EXTRA_SIZE;
            let bytes = sectors_delivered(track_plan, track) * size;
            expected.push(bytes);
            mdf_offset += bytes;
        }
        if let Some(next) = sessions.get(index + 1).and_then(|s| s.tracks.first()) {
            let next_start = Lba(next.start.0 - written_pregap(true, next.pregap) as i32);
            builder.track(
                block_at,
                &TrackBlock {
                    adr_control: 0x50,
                    point: 0xB0,
                    msf: msf_bytes(next_start),
                    pmsf: msf_bytes(disc.lead_out().unwrap_or(end)),
                    ..TrackBlock::default()
                },
            );
            block_at += TRACK_SIZE;
        }
    }
    builder.footer(footer_at, mdf_name);
    debug_assert_eq!(extra_at, footer_at);
    debug_assert!(builder.data.len() >= footer_at + FOOTER_SIZE);
    Ok((builder.data, expected))
}

/// Creates the MDF and the descriptor (as temporary files) and the sink that fills them.
pub(crate) fn create(
    destination: &Destination,
    plan: &Plan,
    options: &WriteOptions,
) -> Result<Box<dyn SectorSink>> {
    plan::check(plan, options, &destination.path)?;
    let mdf_path = destination.sibling("mdf");
    // Alcohol names the data file with a wildcard for the descriptor's own stem.
    let (descriptor, expected) = if plan.disc.medium.is_cd() {
        layout(plan, "*.mdf")?
    } else {
        crate::dvd::layout(plan, "*.mdf")?
    };
    let mdf = destination.create(&mdf_path)?;
    let mds = destination.create(&destination.path)?;
    Ok(Box::new(MdsSink {
        mdf,
        mds,
        descriptor,
        arrivals: Arrivals::new(
            expected,
            plan.tracks.iter().map(|t| t.form.size()).collect(),
        ),
    }))
}

/// Appends sectors to the MDF and writes the descriptor in `finish`.
struct MdsSink {
    mdf: Output,
    mds: Output,
    descriptor: Vec<u8>,
    arrivals: Arrivals,
}

impl SectorSink for MdsSink {
    fn write(&mut self, track: usize, sectors: &[u8]) -> Result<()> {
        self.arrivals.accept(track, sectors.len())?;
        self.mdf.put(sectors)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let mut this = *self;
        this.arrivals.check_complete()?;
        this.mds.put(&this.descriptor)?;
        output::commit([this.mdf, this.mds])
    }
}
