//! Writing CloneCD: every sector of every track, gaps included, goes to the `.img` (2352 bytes)
//! and its subchannel to the `.sub` (96 bytes, packed P–W); the `.ccd` is computed from the plan
//! and put in place last. A source without subchannel gets one generated from the layout (P and
//! Q), and the descriptor says so (`DiscusSubchannel=generated` in `[Disc]`), so reading it back
//! knows it can be dropped without loss.

use std::fmt::Write as _;

use discus_core::output::{self, Destination, Output};
use discus_core::plan;
use discus_core::sector::subchannel::deinterleave;
use discus_core::sector::{RAW_SIZE, RAW_SUB_SIZE, SUBCHANNEL_SIZE};
use discus_core::{
    Arrivals, Capabilities, Error, Form, Lba, Plan, Result, SectorSink, SectorSource, Subchannel,
    TrackMode, WriteOptions,
};

use super::{DISCUS_POSTGAP, DISCUS_PREGAP, DISCUS_SUBCHANNEL};

/// What CloneCD holds: everything but compression (CD-TEXT as raw packs only).
pub(crate) const CAPABILITIES: Capabilities = Capabilities {
    media: discus_core::Media::CD,
    multi_track: true,
    audio: true,
    sessions: true,
    subchannel: true,
    raw_sectors: true,
    metadata: true,
    compressed: false,
};

/// Every track raw with subchannel, every gap written.
pub(crate) fn plan(source: &dyn SectorSource, options: &WriteOptions) -> Result<Plan> {
    match options.sector_size {
        None | Some(2352) | Some(2448) => {}
        Some(other) => {
            return Err(Error::Usage(format!(
                "CloneCD images hold 2352-byte sectors and a 96-byte subchannel each (not {other})"
            )));
        }
    }
    if source.disc().track_count() == 0 {
        return Err(Error::Usage("the source has no track to write".to_string()));
    }
    let mut plan = Plan::keep_all(source, CAPABILITIES, |_, _| Form::RawSub, |_| (true, true));
    // CD-TEXT travels as raw packs; text fields without packs have no place in a .ccd.
    plan.disc.text = Default::default();
    for session in &mut plan.disc.sessions {
        for track in &mut session.tracks {
            track.text = Default::default();
        }
    }
    let catalog_ok = |c: &str| c.len() == 13 && c.bytes().all(|b| b.is_ascii_digit());
    if plan.disc.catalog.as_deref().is_some_and(|c| !catalog_ok(c)) {
        plan.disc.catalog = None;
    }
    for session in &mut plan.disc.sessions {
        for track in &mut session.tracks {
            let isrc_ok = |c: &str| c.len() == 12 && c.bytes().all(|b| b.is_ascii_alphanumeric());
            if track.isrc.as_deref().is_some_and(|c| !isrc_ok(c)) {
                track.isrc = None;
            }
        }
    }
    plan.find_losses(source);
    // A source without subchannel gets P and Q generated from the layout (the core does it for
    // the RawSub form); the descriptor records that it was generated.
    if plan.disc.subchannel.is_none() {
        plan.disc.subchannel = Some(Subchannel::Generated);
    }
    let notes = plan.disc.close_holes().map_err(Error::Usage)?;
    plan.notes.extend(notes);
    Ok(plan)
}

/// `[TRACK] MODE`: 0 audio, 1 Mode 1, 2 Mode 2.
fn mode_number(mode: TrackMode) -> u8 {
    match mode {
        TrackMode::Audio => 0,
        TrackMode::Mode1 => 1,
        TrackMode::Mode2 | TrackMode::Mode2Xa => 2,
    }
}

/// One `[Entry N]`.
struct EntryText {
    session: u8,
    point: u8,
    adr: u8,
    control: u8,
    amsf: Lba,
    pmsf: [u8; 3],
}

fn absolute(lba: Lba) -> [u8; 3] {
    let msf = lba.to_absolute_msf();
    [msf.minutes, msf.seconds, msf.frames]
}

/// The `.ccd` text of `plan`, CRLF line endings.
pub(crate) fn descriptor(plan: &Plan) -> String {
    let disc = &plan.disc;
    let mut entries: Vec<EntryText> = Vec::new();
    let disc_type = if disc
        .tracks()
        .any(|t| matches!(t.mode, TrackMode::Mode2 | TrackMode::Mode2Xa))
    {
        0x20
    } else {
        0
    };
    let lead_in = Lba(-150);
    for (index, session) in disc.sessions.iter().enumerate() {
        let (Some(first), Some(last)) = (session.tracks.first(), session.tracks.last()) else {
            continue;
        };
        let lead_out = last.end_lba();
        let entry = |point: u8, control: u8, pmsf: [u8; 3]| EntryText {
            session: session.number,
            point,
            adr: 1,
            control,
            amsf: lead_in,
            pmsf,
        };
        entries.push(entry(
            0xA0,
            first.toc_control(),
            [first.number, disc_type, 0],
        ));
        entries.push(entry(0xA1, last.toc_control(), [last.number, 0, 0]));
        entries.push(entry(0xA2, last.toc_control(), absolute(lead_out)));
        for track in &session.tracks {
            entries.push(entry(
                track.number,
                track.toc_control(),
                absolute(track.start),
            ));
        }
        if let Some(next) = disc.sessions.get(index + 1).and_then(|s| s.tracks.first()) {
            // Where the next session's program area starts, and the disc's last lead-out.
            entries.push(EntryText {
                session: session.number,
                point: 0xB0,
                adr: 5,
                control: 0,
                amsf: Lba(next.first_lba().0 - 150),
                pmsf: absolute(disc.lead_out().unwrap_or(lead_out)),
            });
        }
    }

    let mut text = String::new();
    let mut line = |s: String| {
        text.push_str(&s);
        text.push_str("\r\n");
    };
    line("[CloneCD]".into());
    line("Version=3".into());
    line("[Disc]".into());
    line(format!("TocEntries={}", entries.len()));
    line(format!("Sessions={}", disc.sessions.len()));
    line("DataTracksScrambled=0".into());
    let packs = disc.cd_text_packs.as_deref().unwrap_or(&[]);
    let packs = &packs[..packs.len() / 18 * 18];
    line(format!("CDTextLength={}", packs.len()));
    if let Some(catalog) = &disc.catalog {
        line(format!("CATALOG={catalog}"));
    }
    if disc.subchannel == Some(Subchannel::Generated) {
        line(format!("{}=generated", key_name(DISCUS_SUBCHANNEL)));
    }
    if !packs.is_empty() {
        line("[CDText]".into());
        line(format!("Entries={}", packs.len() / 18));
        for (n, pack) in packs.chunks_exact(18).enumerate() {
            let hex: Vec<String> = pack.iter().map(|b| format!("{b:02x}")).collect();
            line(format!("Entry {n}={}", hex.join(" ")));
        }
    }
    for session in &disc.sessions {
        let mode = session.tracks.first().map_or(0, |t| mode_number(t.mode));
        line(format!("[Session {}]", session.number));
        line(format!("PreGapMode={mode}"));
        line("PreGapSubC=0".into());
    }
    for (n, e) in entries.iter().enumerate() {
        let a = absolute(e.amsf);
        let alba = Lba::from_absolute_msf(e.amsf.to_absolute_msf()).0;
        let plba =
            (i32::from(e.pmsf[0]) * 60 + i32::from(e.pmsf[1])) * 75 + i32::from(e.pmsf[2]) - 150;
        let mut s = String::new();
        let _ = write!(
            s,
            "[Entry {n}]\r\nSession={}\r\nPoint=0x{:02x}\r\nADR=0x{:02x}\r\nControl=0x{:02x}\r\nTrackNo=0\r\nAMin={}\r\nASec={}\r\nAFrame={}\r\nALBA={alba}\r\nZero=0\r\nPMin={}\r\nPSec={}\r\nPFrame={}\r\nPLBA={plba}",
            e.session, e.point, e.adr, e.control, a[0], a[1], a[2], e.pmsf[0], e.pmsf[1], e.pmsf[2]
        );
        line(s);
    }
    for track in disc.tracks() {
        line(format!("[TRACK {}]", track.number));
        line(format!("MODE={}", mode_number(track.mode)));
        if let Some(isrc) = &track.isrc {
            line(format!("ISRC={isrc}"));
        }
        if track.pregap.sectors > 0 {
            line(format!("INDEX 0={}", track.first_lba()));
        }
        line(format!("INDEX 1={}", track.start));
        for index in &track.indexes {
            line(format!("INDEX {}={}", index.number, index.lba));
        }
        if track.pregap.sectors > 0 && !track.pregap.stored {
            line(format!("{}=generated", key_name(DISCUS_PREGAP)));
        }
        if track.postgap.sectors > 0 {
            line(format!(
                "{}={} {}",
                key_name(DISCUS_POSTGAP),
                track.postgap.sectors,
                if track.postgap.stored {
                    "stored"
                } else {
                    "generated"
                }
            ));
        }
    }
    text
}

/// The spelling a key is written in (keys are read in lower case).
fn key_name(lower: &str) -> &'static str {
    match lower {
        DISCUS_SUBCHANNEL => "DiscusSubchannel",
        DISCUS_PREGAP => "DiscusPregap",
        _ => "DiscusPostgap",
    }
}

/// Creates the `.img`, `.sub` and `.ccd` (as temporary files) and the sink that fills them.
pub(crate) fn create(
    destination: &Destination,
    plan: &Plan,
    options: &WriteOptions,
) -> Result<Box<dyn SectorSink>> {
    plan::check(plan, options, &destination.path)?;
    for (track_plan, track) in plan.tracks.iter().zip(plan.disc.tracks()) {
        if track_plan.form != Form::RawSub || !track_plan.pregap || !track_plan.postgap {
            return Err(Error::Usage(format!(
                "track {}: a CloneCD image takes every sector, gaps included, as 2448-byte sectors",
                track.number
            )));
        }
    }
    let text = descriptor(plan);
    let img = destination.create(&destination.sibling("img"))?;
    let sub = destination.create(&destination.sibling("sub"))?;
    let ccd = destination.create(&destination.path)?;
    Ok(Box::new(CcdSink {
        img,
        sub,
        ccd,
        text,
        arrivals: Arrivals::for_plan(plan),
        main: Vec::new(),
        packed: Vec::new(),
    }))
}

/// Splits each 2448-byte sector into the `.img` and the `.sub` and writes the `.ccd` in `finish`.
struct CcdSink {
    img: Output,
    sub: Output,
    ccd: Output,
    text: String,
    arrivals: Arrivals,
    main: Vec<u8>,
    packed: Vec<u8>,
}

impl SectorSink for CcdSink {
    fn write(&mut self, track: usize, sectors: &[u8]) -> Result<()> {
        self.arrivals.accept(track, sectors.len())?;
        let count = sectors.len() / RAW_SUB_SIZE;
        self.main.clear();
        self.packed.resize(count * SUBCHANNEL_SIZE, 0);
        for (sector, packed) in sectors
            .chunks_exact(RAW_SUB_SIZE)
            .zip(self.packed.chunks_exact_mut(SUBCHANNEL_SIZE))
        {
            let (main, sub) = sector.split_at(RAW_SIZE);
            self.main.extend_from_slice(main);
            deinterleave(sub, packed);
        }
        self.img.put(&self.main)?;
        self.sub.put(&self.packed)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let mut this = *self;
        this.arrivals.check_complete()?;
        this.ccd.put(this.text.as_bytes())?;
        output::commit([this.img, this.sub, this.ccd])
    }
}
