//! Writing an NRG: version 2 (`NER5` footer), disc-at-once, in the layout Nero itself writes and
//! the other readers agree on.
//!
//! ```text
//! [track 1: pregap (LBA −150..−1), sectors] [track 2: pregap, sectors] … [chunks] [NER5 footer]
//! chunks: (CUEX, DAOX) per session, CDTX (if there is CD-TEXT), SINF per session, MTYP, END!
//! ```
//!
//! * Every sector from each track's INDEX 00 to its end is stored, because a disc-at-once image is
//!   a copy of the session: the `DAOX` offsets have no room for a gap the file does not hold.
//!   Track 1's pregap always reaches down to LBA −150 (generated where the source does not store
//!   it), so a Mode 1 disc begins with 150 × 2048 bytes — what `nrg2iso` skips blindly — and a
//!   track 1 with a longer pregap (hidden track one audio) keeps its INDEX 01 address.
//! * Mode codes: Mode 1 as 2048-byte user data (0x00), Mode 2 as whole 2352-byte sectors (0x06,
//!   so XA subheaders and Form 2 survive), audio as 0x07. Stored subchannel is kept with the
//!   2448-byte codes 0x0F/0x10/0x11. These are the codes MAME's `chdman` accepts, except the
//!   subchannel ones, which it refuses; without them the subchannel would be lost.
//!   `--sector-size 2352` keeps Mode 1 whole (0x05); `--sector-size 2336` stores Mode 2 as 0x03.
//! * Postgaps are stored as part of their track: NRG has no field for them.
//! * Sessions keep their addresses: the cue chunk of each session says where its tracks are.
//!   The cue chunks hold INDEX 00 and 01 only: libcdio aborts on any other entry, so the plan
//!   lists every INDEX 02 and later as a loss, refused unless lossy conversions are allowed.

use std::path::Path;

use discus_core::cd_text;
use discus_core::output::commit;
use discus_core::plan::sectors_delivered;
use discus_core::{
    Capabilities, Destination, Disc, Error, Form, Gap, Lba, Output, Plan, Result, SectorSink,
    SectorSource, Session, Subchannel, Track, TrackMode, TrackPlan, WriteOptions,
};

use crate::chunks::{CueEntry, DaoChunk, DaoEntry, LEAD_OUT, footer_v2, put_chunk};
use crate::layout::STANDARD_PREGAP;
use crate::mode;

/// What an NRG can hold.
pub(crate) const CAPABILITIES: Capabilities = Capabilities {
    // Nero's media types name DVDs; discus writes no Blu-ray NRG.
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
    metadata: true,
    compressed: false,
};

/// How data sectors are sized, as the user chose with `--sector-size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sizing {
    /// Mode 1 cooked (2048), Mode 2 raw (2352).
    Usual,
    /// Every data track raw (2352).
    Raw,
    /// Mode 2 as 2336 bytes, Mode 1 cooked.
    Mode2Body,
}

fn sizing(options: &WriteOptions) -> Result<Sizing> {
    match options.sector_size {
        None | Some(2048) => Ok(Sizing::Usual),
        Some(2352) => Ok(Sizing::Raw),
        Some(2336) => Ok(Sizing::Mode2Body),
        Some(other) => Err(Error::Usage(format!(
            "NRG stores data tracks with 2048 (Mode 1), 2336 (Mode 2) or 2352-byte sectors, not {other}"
        ))),
    }
}

/// The form a track is written in.
fn form_for(mode: TrackMode, stored: Form, keep_subchannel: bool, sizing: Sizing) -> Form {
    if keep_subchannel && stored.has_subchannel() {
        return Form::RawSub;
    }
    match (mode, sizing) {
        (TrackMode::Audio, _) | (_, Sizing::Raw) => Form::Raw,
        (TrackMode::Mode1, _) => Form::Cooked,
        (TrackMode::Mode2 | TrackMode::Mode2Xa, Sizing::Mode2Body) => Form::Mode2,
        (TrackMode::Mode2 | TrackMode::Mode2Xa, Sizing::Usual) => Form::Raw,
    }
}

/// Decides the layout: every track, all of its gaps, in the form above.
pub(crate) fn plan(source: &dyn SectorSource, options: &WriteOptions) -> Result<Plan> {
    let sizing = sizing(options)?;
    let path = source.files().into_iter().next().unwrap_or_default();
    let disc = source.disc();
    if disc.track_count() == 0 {
        return Err(Error::Usage("the source has no track to write".to_string()));
    }
    if disc.tracks().any(|t| t.number == 0 || t.number > 99) {
        return Err(Error::unsupported(
            &path,
            "NRG numbers tracks 1 to 99; the source has others",
        ));
    }
    if !disc.medium.is_cd() {
        // A DVD: one track of 2048-byte user data (mode code 0x00) from the file's start, with
        // no pregap (a DVD has none); another sector size is refused by the plan check.
        let form = match options.sector_size {
            None | Some(2048) => Form::Cooked,
            Some(_) => Form::Raw,
        };
        return Plan::first_data_track(source, CAPABILITIES, form, &path);
    }
    let keep_subchannel = disc.subchannel == Some(Subchannel::Stored);
    let mut plan = Plan::keep_all(
        source,
        CAPABILITIES,
        |track, stored| form_for(track.mode, stored, keep_subchannel, sizing),
        |_| (true, true),
    );
    // A disc-at-once NRG holds the disc from LBA −150, the standard pregap Nero stores; track 1's
    // pregap reaches down there. The part the source does not store (usually −150..−1, before
    // the first byte of a cue sheet's BIN) is generated; a pregap the source stores from LBA 0
    // (hidden track one audio) stays where it is, so the addresses do not move.
    if let Some(first) = plan
        .disc
        .sessions
        .first_mut()
        .and_then(|s| s.tracks.first_mut())
    {
        let lowest = Lba(-(STANDARD_PREGAP as i32));
        if let Ok(extra) = u32::try_from(first.first_lba().distance_from(lowest))
            && extra > 0
        {
            first.pregap = Gap {
                sectors: first.pregap.sectors + extra,
                ..first.pregap
            };
        }
    }
    close_gaps(&mut plan.disc, &path)?;
    let notes = metadata_notes(&plan.disc);
    plan.find_losses(source);
    plan.notes.extend(notes);
    plan.losses.extend(index_losses(&plan.disc));
    Ok(plan)
}

/// INDEX 02 and later, one sentence each: the cue chunk cannot carry them (libcdio's reader
/// aborts on any entry but INDEX 00 and 01), so writing the NRG drops them — a loss.
fn index_losses(disc: &Disc) -> Vec<String> {
    disc.tracks()
        .flat_map(|track| {
            track.indexes.iter().map(move |index| {
                format!(
                    "INDEX {:02} of track {} at LBA {} ({}) is not written: NRG readers (libcdio) cannot read cue entries beyond INDEX 01",
                    index.number,
                    track.number,
                    index.lba,
                    index.lba.to_absolute_msf()
                )
            })
        })
        .collect()
}

/// Tracks of a session must follow each other: space between them becomes pregap (or, when the
/// next pregap is stored and cannot grow, postgap of the track before), which is generated.
fn close_gaps(disc: &mut Disc, path: &Path) -> Result<()> {
    let mut previous_session_end: Option<Lba> = None;
    for session in &mut disc.sessions {
        if let (Some(end), Some(first)) = (previous_session_end, session.tracks.first())
            && first.first_lba() < end
        {
            return Err(Error::unsupported(
                path,
                format!(
                    "session {} begins at LBA {} before the previous session ends at LBA {end}",
                    session.number,
                    first.first_lba()
                ),
            ));
        }
        for k in 1..session.tracks.len() {
            let (before, after) = session.tracks.split_at_mut(k);
            let (Some(previous), Some(track)) = (before.last_mut(), after.first_mut()) else {
                continue;
            };
            let space = track.first_lba().distance_from(previous.end_lba());
            if space < 0 {
                return Err(Error::unsupported(
                    path,
                    format!(
                        "track {} begins at LBA {} inside track {}, which ends at LBA {}",
                        track.number,
                        track.first_lba(),
                        previous.number,
                        previous.end_lba()
                    ),
                ));
            }
            let space = u32::try_from(space).map_err(|_| {
                Error::unsupported(path, "tracks lie further apart than a disc reaches")
            })?;
            if space == 0 {
                continue;
            }
            if !track.pregap.stored {
                track.pregap = Gap::generated(track.pregap.sectors + space);
            } else if !previous.postgap.stored {
                previous.postgap = Gap::generated(previous.postgap.sectors + space);
            } else {
                return Err(Error::unsupported(
                    path,
                    format!(
                        "{space} sectors lie between tracks {} and {} that no track holds; a disc-at-once NRG has no room for them",
                        previous.number, track.number
                    ),
                ));
            }
        }
        previous_session_end = session.lead_out();
    }
    Ok(())
}

/// Says which metadata NRG cannot hold as it is; the writer leaves it out.
fn metadata_notes(disc: &Disc) -> Vec<String> {
    let mut notes = Vec::new();
    if disc.catalog.is_some() && catalog_bytes(disc).is_none() {
        notes.push("the catalog number is not 13 digits and is not written".to_string());
    }
    for track in disc.tracks() {
        if track.isrc.is_some() && isrc_bytes(track).is_none() {
            notes.push(format!(
                "track {}: the ISRC is not 12 letters and digits and is not written",
                track.number
            ));
        }
    }
    let has_text = !disc.text.is_empty() || disc.tracks().any(|t| !t.text.is_empty());
    if disc.cd_text_packs.is_none() && has_text && cd_text::encode(disc).is_none() {
        notes.push(
            "the CD-TEXT does not fit the packs of one block (too long, or tracks not numbered in a row) and is not written"
                .to_string(),
        );
    }
    notes
}

/// The MCN field: 13 digits and a NUL, when the catalog number is 13 digits.
fn catalog_bytes(disc: &Disc) -> Option<[u8; 14]> {
    let catalog = disc.catalog.as_deref()?;
    if catalog.len() != 13 || !catalog.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut mcn = [0u8; 14];
    mcn[..13].copy_from_slice(catalog.as_bytes());
    Some(mcn)
}

/// The ISRC field, when the ISRC is 12 letters and digits.
fn isrc_bytes(track: &Track) -> Option<[u8; 12]> {
    let isrc = track.isrc.as_deref()?;
    if isrc.len() != 12 || !isrc.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let mut field = [0u8; 12];
    field.copy_from_slice(isrc.as_bytes());
    Some(field)
}

/// Where one track goes in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Placed {
    form: Form,
    code: u8,
    index0: u64,
    index1: u64,
    end: u64,
    /// Sectors the sink will receive for it.
    sectors: u64,
}

/// Starts writing `plan` to `destination.path`.
pub(crate) fn create(
    destination: &Destination,
    plan: &Plan,
    _: &WriteOptions,
) -> Result<Box<dyn SectorSink>> {
    if plan.tracks.len() != plan.disc.track_count() {
        return Err(Error::Usage(format!(
            "the plan has {} track plans for {} tracks",
            plan.tracks.len(),
            plan.disc.track_count()
        )));
    }
    let placed = place(&plan.disc, &plan.tracks)?;
    let output = destination.create(&destination.path)?;
    Ok(Box::new(NrgSink {
        output,
        disc: plan.disc.clone(),
        plans: plan.tracks.clone(),
        placed,
        received: vec![0; plan.tracks.len()],
        current: 0,
    }))
}

/// Lays the tracks out back to back from byte 0.
fn place(disc: &Disc, plans: &[TrackPlan]) -> Result<Vec<Placed>> {
    let mut at = 0u64;
    let mut placed = Vec::with_capacity(plans.len());
    for (plan, track) in plans.iter().zip(disc.tracks()) {
        let code = mode::encode(track.mode, plan.form).ok_or_else(|| {
            Error::Usage(format!(
                "NRG has no mode code for a {} track in {}-byte sectors",
                track.mode.name(),
                plan.form.name()
            ))
        })?;
        let size = plan.form.size() as u64;
        let pregap = if plan.pregap {
            u64::from(track.pregap.sectors)
        } else {
            0
        };
        let sectors = sectors_delivered(plan, track);
        let index0 = at;
        let index1 = index0 + pregap * size;
        let end = index0 + sectors * size;
        placed.push(Placed {
            form: plan.form,
            code,
            index0,
            index1,
            end,
            sectors,
        });
        at = end;
    }
    Ok(placed)
}

/// Receives the sectors, then writes the chunk list and the footer.
struct NrgSink {
    output: Output,
    disc: Disc,
    plans: Vec<TrackPlan>,
    placed: Vec<Placed>,
    received: Vec<u64>,
    /// The track being written; earlier ones are complete.
    current: usize,
}

impl NrgSink {
    fn incomplete(&self, track: usize) -> Option<Error> {
        let (placed, received) = (self.placed.get(track)?, self.received.get(track)?);
        (*received != placed.sectors).then(|| {
            Error::Usage(format!(
                "track index {track} got {received} of its {} sectors",
                placed.sectors
            ))
        })
    }
}

impl SectorSink for NrgSink {
    fn write(&mut self, track: usize, sectors: &[u8]) -> Result<()> {
        let Some(placed) = self.placed.get(track).copied() else {
            return Err(Error::Usage(format!("no track at index {track}")));
        };
        if track < self.current {
            return Err(Error::Usage(format!(
                "sectors of track index {track} arrived after track index {}",
                self.current
            )));
        }
        for earlier in self.current..track {
            if let Some(error) = self.incomplete(earlier) {
                return Err(error);
            }
        }
        self.current = track;
        let size = placed.form.size();
        if !sectors.len().is_multiple_of(size) {
            return Err(Error::Usage(format!(
                "{} bytes are not a whole number of {size}-byte sectors",
                sectors.len()
            )));
        }
        let count = (sectors.len() / size) as u64;
        let received = self.received.get(track).copied().unwrap_or(0) + count;
        if received > placed.sectors {
            return Err(Error::Usage(format!(
                "track index {track} got more than its {} sectors",
                placed.sectors
            )));
        }
        if let Some(slot) = self.received.get_mut(track) {
            *slot = received;
        }
        self.output.put(sectors)
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        for track in 0..self.placed.len() {
            if let Some(error) = self.incomplete(track) {
                return Err(error);
            }
        }
        let chunks_at = self.output.position()?;
        let data_end = self.placed.last().map_or(0, |p| p.end);
        if chunks_at != data_end {
            return Err(Error::Usage(format!(
                "the sectors end at byte {chunks_at}, not at byte {data_end} as laid out"
            )));
        }
        let mut tail = chunk_list(&self.disc, &self.plans, &self.placed);
        tail.extend_from_slice(&footer_v2(chunks_at));
        self.output.put(&tail)?;
        commit([self.output])
    }
}

/// Every chunk after the sector data, up to and including `END!`.
fn chunk_list(disc: &Disc, plans: &[TrackPlan], placed: &[Placed]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut first = 0usize;
    for (index, session) in disc.sessions.iter().enumerate() {
        let count = session.tracks.len();
        let plans = plans.get(first..first + count).unwrap_or_default();
        let placed = placed.get(first..first + count).unwrap_or_default();
        first += count;
        let cue: Vec<u8> = cue_entries(session, index, plans)
            .iter()
            .flat_map(CueEntry::encode)
            .collect();
        put_chunk(&mut out, b"CUEX", &cue);
        put_chunk(
            &mut out,
            b"DAOX",
            &dao_chunk(disc, session, placed).encode(),
        );
    }
    let packs = disc.cd_text_packs.clone().or_else(|| cd_text::encode(disc));
    if let Some(packs) = packs {
        put_chunk(&mut out, b"CDTX", &packs);
    }
    for session in &disc.sessions {
        put_chunk(
            &mut out,
            b"SINF",
            &(session.tracks.len() as u32).to_be_bytes(),
        );
    }
    // Media type 1: CD (what Nero writes for CDs, and the one value libcdio knows); a DVD is
    // DVD-ROM, which libmirage reads as a DVD.
    let media_type = if disc.medium.is_cd() {
        crate::mode::media::CD
    } else {
        crate::mode::media::DVD_ROM
    };
    put_chunk(&mut out, b"MTYP", &media_type.to_be_bytes());
    put_chunk(&mut out, b"END!", &[]);
    out
}

/// Control and ADR 1 for a track's entries.
fn control_adr(track: &Track) -> u8 {
    (track.toc_control() << 4) | 1
}

/// The cue entries of one session: its lead-in, INDEX 00 and 01 of every track, and the lead-out.
/// INDEX 02 and later are left out: libcdio reads the entries as strict INDEX 01/next INDEX 00
/// pairs and aborts on anything else.
fn cue_entries(session: &Session, index: usize, plans: &[TrackPlan]) -> Vec<CueEntry> {
    let mut entries = Vec::new();
    let (Some(first), Some(last)) = (session.tracks.first(), session.tracks.last()) else {
        return entries;
    };
    let index0 = |track: &Track, plan: Option<&TrackPlan>| {
        if plan.is_none_or(|p| p.pregap) {
            track.first_lba()
        } else {
            track.start
        }
    };
    // libcdio insists that the first session's lead-in entry is at LBA −150.
    let lead_in = if index == 0 {
        Lba(-(STANDARD_PREGAP as i32))
    } else {
        index0(first, plans.first())
    };
    let data = |track: &Track| if track.mode.is_data() { 0x41 } else { 0x01 };
    entries.push(CueEntry::at_lba(data(first), 0, 0, lead_in));
    let mut end = Lba(0);
    for (k, track) in session.tracks.iter().enumerate() {
        let plan = plans.get(k);
        let control = control_adr(track);
        entries.push(CueEntry::at_lba(
            control,
            track.number,
            0,
            index0(track, plan),
        ));
        entries.push(CueEntry::at_lba(control, track.number, 1, track.start));
        end = if plan.is_none_or(|p| p.postgap) {
            track.end_lba()
        } else {
            track.data_end()
        };
    }
    entries.push(CueEntry::at_lba(data(last), LEAD_OUT, 1, end));
    entries
}

/// The DAOX chunk of one session.
fn dao_chunk(disc: &Disc, session: &Session, placed: &[Placed]) -> DaoChunk {
    let xa = session
        .tracks
        .iter()
        .any(|t| matches!(t.mode, TrackMode::Mode2 | TrackMode::Mode2Xa));
    DaoChunk {
        mcn: catalog_bytes(disc).unwrap_or_default(),
        // High byte: the disc type as in a TOC (0x20 CD-ROM XA, 0x00 otherwise); the low byte is
        // 1 in every Nero file we have seen.
        toc_type: if xa { 0x2001 } else { 0x0001 },
        first_track: session.tracks.first().map_or(1, |t| t.number),
        last_track: session.tracks.last().map_or(1, |t| t.number),
        entries: session
            .tracks
            .iter()
            .zip(placed)
            .map(|(track, placed)| {
                DaoEntry {
                    isrc: isrc_bytes(track).unwrap_or_default(),
                    sector_size: placed.form.size() as u16,
                    mode: placed.code,
                    // What Nero writes after the mode code.
                    extra: [0, 0, 1],
                    index0: placed.index0,
                    index1: placed.index1,
                    end: placed.end,
                    at: 0,
                }
            })
            .collect(),
        at: 0,
    }
}
