//! The writing half: one data file for the disc (`stem.bin`) and the TOC text, written last.
//!
//! Each track keeps the form its source stores it in when cdrdao has a mode for it (MODE1 for
//! cooked Mode 1, MODE2_FORM_MIX for 2336-byte XA …), else goes out raw; stored subchannel goes
//! out as RW_RAW with raw sectors. A stored pregap is written and marked with START; a generated
//! one becomes PREGAP, except track 1's standard pregap, which cdrdao always adds itself. A
//! generated postgap becomes a closing ZERO (or SILENCE).

use discus_core::output::{self, Destination, Output};
use discus_core::plan::{self, sectors_delivered};
use discus_core::{
    Arrivals, Capabilities, Control, Disc, Error, Form, Msf, Plan, Result, SectorSink,
    SectorSource, Subchannel, Text, Track, TrackMode, WriteOptions,
};

/// What a TOC holds: one session of any tracks, raw subchannel, catalog, ISRC, CD-TEXT.
pub(crate) const CAPABILITIES: Capabilities = Capabilities {
    media: discus_core::Media::CD,
    multi_track: true,
    audio: true,
    sessions: false,
    subchannel: true,
    raw_sectors: true,
    metadata: true,
    compressed: false,
};

/// The cdrdao mode of a track written in `form`, and whether it is written with DATAFILE.
fn mode_keyword(mode: TrackMode, form: Form) -> Option<&'static str> {
    Some(match (mode, form.without_subchannel()) {
        (TrackMode::Audio, Form::Raw) => "AUDIO",
        (TrackMode::Mode1, Form::Raw) => "MODE1_RAW",
        (TrackMode::Mode1, Form::Cooked) => "MODE1",
        (TrackMode::Mode2, Form::Mode2) => "MODE2",
        (TrackMode::Mode2Xa, Form::Mode2) => "MODE2_FORM_MIX",
        (TrackMode::Mode2Xa, Form::Cooked) => "MODE2_FORM1",
        (TrackMode::Mode2 | TrackMode::Mode2Xa, Form::Raw) => "MODE2_RAW",
        _ => return None,
    })
}

pub(crate) fn plan(source: &dyn SectorSource, _options: &WriteOptions) -> Result<Plan> {
    if source.disc().track_count() == 0 {
        return Err(Error::Usage("the source has no track to write".to_string()));
    }
    let stored_subchannel = source.disc().subchannel == Some(Subchannel::Stored);
    let mut plan = Plan::keep_all(
        source,
        CAPABILITIES,
        |track, stored| {
            let main = match (track.mode, stored.without_subchannel()) {
                (TrackMode::Mode1, Form::Cooked) => Form::Cooked,
                (TrackMode::Mode2 | TrackMode::Mode2Xa, Form::Mode2) => Form::Mode2,
                _ => Form::Raw,
            };
            if main == Form::Raw && stored_subchannel && stored.has_subchannel() {
                Form::RawSub
            } else {
                main
            }
        },
        |track| (track.pregap.stored && track.pregap.sectors > 0, false),
    );
    // A TOC describes one session: the tracks of later ones are kept, in one session, and the
    // plan reports the merge as a loss.
    if plan.disc.sessions.len() > 1 {
        plan.retain(source, |_, _| true);
    }
    // The data file's first byte is LBA 0 (a track 1 that starts later gets PREGAP).
    plan.notes.extend(plan.disc.begin_at_lba_zero());
    let mut end = None;
    for track in plan.disc.tracks() {
        if let Some(end) = end
            && track.first_lba() != end
        {
            plan.notes.push(format!(
                "track {} starts at LBA {} in the source; the TOC places it right after the track before (LBA {end})",
                track.number,
                track.start
            ));
        }
        end = Some(track.end_lba());
    }
    Ok(plan)
}

fn time(sectors: u64) -> Result<String> {
    u32::try_from(sectors)
        .ok()
        .filter(|&f| f < 256 * 60 * 75)
        .map(|f| Msf::from_frames(f).to_string())
        .ok_or_else(|| Error::Usage(format!("{sectors} sectors are too many for a TOC time")))
}

/// A string as cdrdao reads it: quotes and backslashes escaped, control characters as spaces.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn text_block(text: &Text, indent: &str, out: &mut Vec<String>) {
    if text.is_empty() {
        return;
    }
    out.push(format!("{indent}CD_TEXT {{"));
    out.push(format!("{indent}  LANGUAGE 0 {{"));
    for (keyword, value) in [
        ("TITLE", &text.title),
        ("PERFORMER", &text.performer),
        ("SONGWRITER", &text.songwriter),
    ] {
        if let Some(value) = value {
            out.push(format!("{indent}    {keyword} {}", quoted(value)));
        }
    }
    out.push(format!("{indent}  }}"));
    out.push(format!("{indent}}}"));
}

/// The TOC text for `plan`, its sectors in `bin` (a name beside the TOC).
pub fn toc_text(plan: &Plan, bin: &str) -> Result<String> {
    let disc: &Disc = &plan.disc;
    let mut lines = Vec::new();
    let xa = disc.tracks().any(|t| t.mode == TrackMode::Mode2Xa);
    let data = disc.tracks().any(|t| t.mode.is_data());
    lines.push(
        match (xa, data) {
            (true, _) => "CD_ROM_XA",
            (false, true) => "CD_ROM",
            (false, false) => "CD_DA",
        }
        .to_string(),
    );
    if let Some(catalog) = disc
        .catalog
        .as_deref()
        .filter(|c| c.len() == 13 && c.bytes().all(|b| b.is_ascii_digit()))
    {
        lines.push(format!("CATALOG \"{catalog}\""));
    }
    let any_text = !disc.text.is_empty() || disc.tracks().any(|t| !t.text.is_empty());
    if any_text {
        lines.push("CD_TEXT {".to_string());
        lines.push("  LANGUAGE_MAP {".to_string());
        lines.push("    0 : EN".to_string());
        lines.push("  }".to_string());
        let mut inner = Vec::new();
        text_block(&disc.text, "", &mut inner);
        // The disc block without its CD_TEXT wrapper, which is already open.
        if inner.len() > 2 {
            lines.extend(inner[1..inner.len() - 1].iter().map(|l| format!("  {l}")));
        }
        lines.push("}".to_string());
    }
    let mut byte = 0u64;
    for (track, track_plan) in disc.tracks().zip(&plan.tracks) {
        let keyword = mode_keyword(track.mode, track_plan.form).ok_or_else(|| {
            Error::Usage(format!(
                "track {}: a TOC cannot store {} sectors in {}-byte form",
                track.number,
                track.mode.name(),
                track_plan.form.name()
            ))
        })?;
        lines.push(String::new());
        lines.push(format!("// Track {}", track.number));
        let sub = if track_plan.form.has_subchannel() {
            " RW_RAW"
        } else {
            ""
        };
        lines.push(format!("TRACK {keyword}{sub}"));
        lines.push(if track.control.has(Control::COPY_PERMITTED) {
            "COPY".to_string()
        } else {
            "NO COPY".to_string()
        });
        if track.mode == TrackMode::Audio {
            if track.control.has(Control::PRE_EMPHASIS) {
                lines.push("PRE_EMPHASIS".to_string());
            }
            if track.control.has(Control::FOUR_CHANNEL) {
                lines.push("FOUR_CHANNEL_AUDIO".to_string());
            }
        }
        if let Some(isrc) = track
            .isrc
            .as_deref()
            .filter(|c| c.len() == 12 && c.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            lines.push(format!("ISRC \"{isrc}\""));
        }
        if any_text {
            text_block(&track.text, "", &mut lines);
        }
        let pregap = u64::from(track.pregap.sectors);
        if !track_plan.pregap && pregap > 0 {
            lines.push(format!("PREGAP {}", time(pregap)?));
        }
        let sectors = sectors_delivered(track_plan, track);
        let statement = if track.mode == TrackMode::Audio {
            // FILE takes a start (here 0 after the byte offset) before the length.
            format!("FILE \"{bin}\" #{byte} 0 {}", time(sectors)?)
        } else {
            format!("DATAFILE \"{bin}\" #{byte} {}", time(sectors)?)
        };
        lines.push(statement);
        if track_plan.pregap && pregap > 0 {
            lines.push(format!("START {}", time(pregap)?));
        }
        for index in kept_indexes(track) {
            lines.push(format!(
                "INDEX {}",
                time(index.lba.distance_from(track.start) as u64)?
            ));
        }
        if track.postgap.sectors > 0 && !track_plan.postgap {
            let zero = if track.mode == TrackMode::Audio {
                "SILENCE"
            } else {
                "ZERO"
            };
            lines.push(format!(
                "{zero} {}",
                time(u64::from(track.postgap.sectors))?
            ));
        }
        byte += sectors * track_plan.form.size() as u64;
    }
    let mut text = lines.join("\n");
    text.push('\n');
    Ok(text)
}

/// INDEX 02 and later inside the track, increasing.
fn kept_indexes(track: &Track) -> impl Iterator<Item = &discus_core::Index> {
    let mut last = track.start;
    track.indexes.iter().filter(move |index| {
        let fine = index.lba > last && index.lba < track.data_end();
        if fine {
            last = index.lba;
        }
        fine
    })
}

struct TocSink {
    bin: Output,
    arrivals: Arrivals,
    toc: Output,
    text: String,
}

pub(crate) fn create(
    destination: &Destination,
    plan: &Plan,
    options: &WriteOptions,
) -> Result<Box<dyn SectorSink>> {
    plan::check(plan, options, &destination.path)?;
    let stem = destination.quotable_stem("a TOC")?;
    let bin_name = format!("{stem}.bin");
    let bin_path = destination.in_folder(&bin_name);
    if bin_path == destination.path {
        return Err(Error::Usage(format!(
            "{}: the TOC would share its name with its data file; give it the extension .toc",
            destination.path.display()
        )));
    }
    let text = toc_text(plan, &bin_name)?;
    let bin = destination.create(&bin_path)?;
    let toc = destination.create(&destination.path)?;
    Ok(Box::new(TocSink {
        bin,
        arrivals: Arrivals::for_plan(plan),
        toc,
        text,
    }))
}

impl SectorSink for TocSink {
    fn write(&mut self, track: usize, sectors: &[u8]) -> Result<()> {
        self.arrivals.accept(track, sectors.len())?;
        self.bin.put(sectors)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let TocSink {
            bin,
            arrivals,
            mut toc,
            text,
        } = *self;
        arrivals.check_complete()?;
        toc.put(text.as_bytes())?;
        // The TOC last, so no reader finds a TOC whose data file is missing.
        output::commit([bin, toc])
    }
}
