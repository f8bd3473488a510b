//! The writing half: one file per track (`stemNN.bin` for data, `stemNN.raw` for audio, as
//! chdman names them) and the sheet, written last. A GDI places each file at an LBA and says
//! nothing else, so only what it can place comes back: gaps are never stored (a stored pregap is
//! reported lost unless it holds only what would be generated), and a disc whose sessions are not
//! a GD-ROM's two areas, or that has postgaps, is reported as changing shape.

use discus_core::output::{self, Destination, Output};
use discus_core::plan;
use discus_core::{
    Arrivals, Capabilities, Error, Form, Plan, Result, SectorSink, SectorSource, TrackMode,
    WriteOptions,
};

use crate::HIGH_DENSITY_START;

/// What a GDI holds: tracks of audio and data in two areas, nothing else.
pub(crate) const CAPABILITIES: Capabilities = Capabilities {
    media: discus_core::Media::CD,
    multi_track: true,
    audio: true,
    sessions: true,
    subchannel: false,
    raw_sectors: true,
    metadata: false,
    compressed: false,
};

pub(crate) fn plan(source: &dyn SectorSource, _options: &WriteOptions) -> Result<Plan> {
    if source.disc().track_count() == 0 {
        return Err(Error::Usage("the source has no track to write".to_string()));
    }
    let mut plan = Plan::keep_all(
        source,
        CAPABILITIES,
        |track, stored| match (track.mode, stored) {
            (TrackMode::Mode1, Form::Cooked) => Form::Cooked,
            _ => Form::Raw,
        },
        |_| (false, false),
    );
    let disc = &plan.disc;
    let areas_fit = match disc.sessions.as_slice() {
        [one] => one.tracks.iter().all(|t| t.start.0 < HIGH_DENSITY_START),
        [_, _] => disc.is_gd_rom(),
        _ => false,
    };
    if !areas_fit {
        plan.losses.push(format!(
            "a GDI holds a GD-ROM's two areas (the second from LBA {HIGH_DENSITY_START}); these {} session(s) would come back in another shape",
            disc.sessions.len()
        ));
    }
    for track in disc.tracks() {
        if track.postgap.sectors > 0 {
            plan.losses.push(format!(
                "track {}: a GDI has no postgaps; its {} sectors would come back as the next track's pregap",
                track.number, track.postgap.sectors
            ));
        }
        if !track.indexes.is_empty() {
            plan.notes.push(format!(
                "track {}: a GDI has no INDEX 02 and later",
                track.number
            ));
        }
    }
    Ok(plan)
}

/// The name of each track's file for a sheet called `stem`.gdi.
fn names(stem: &str, plan: &Plan) -> Vec<String> {
    plan.disc
        .tracks()
        .map(|t| {
            let ext = if t.mode == TrackMode::Audio {
                "raw"
            } else {
                "bin"
            };
            format!("{stem}{:02}.{ext}", t.number)
        })
        .collect()
}

/// The sheet's text for `plan` with the files `names`.
pub fn sheet(plan: &Plan, names: &[String]) -> String {
    let mut text = format!("{}\r\n", plan.disc.track_count());
    for ((track, track_plan), name) in plan.disc.tracks().zip(&plan.tracks).zip(names) {
        let kind = if track.mode == TrackMode::Audio { 0 } else { 4 };
        let name = if name.contains(' ') {
            format!("\"{name}\"")
        } else {
            name.clone()
        };
        text.push_str(&format!(
            "{} {} {kind} {} {name} 0\r\n",
            track.number,
            track.start,
            track_plan.form.size()
        ));
    }
    text
}

struct GdiSink {
    files: Vec<Output>,
    arrivals: Arrivals,
    sheet: Output,
    text: String,
}

pub(crate) fn create(
    destination: &Destination,
    plan: &Plan,
    options: &WriteOptions,
) -> Result<Box<dyn SectorSink>> {
    plan::check(plan, options, &destination.path)?;
    let stem = destination.quotable_stem("a GDI")?;
    let names = names(&stem, plan);
    let paths: Vec<_> = names.iter().map(|n| destination.in_folder(n)).collect();
    if paths.contains(&destination.path) {
        return Err(Error::Usage(format!(
            "{}: the sheet would share its name with a track file; give it the extension .gdi",
            destination.path.display()
        )));
    }
    let files = paths
        .iter()
        .map(|p| destination.create(p))
        .collect::<Result<Vec<_>>>()?;
    let sheet_output = destination.create(&destination.path)?;
    Ok(Box::new(GdiSink {
        files,
        arrivals: Arrivals::for_plan(plan),
        sheet: sheet_output,
        text: sheet(plan, &names),
    }))
}

impl SectorSink for GdiSink {
    fn write(&mut self, track: usize, sectors: &[u8]) -> Result<()> {
        self.arrivals.accept(track, sectors.len())?;
        self.files
            .get_mut(track)
            .ok_or_else(|| Error::Usage(format!("no output for track {track}")))?
            .put(sectors)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let GdiSink {
            files,
            arrivals,
            mut sheet,
            text,
        } = *self;
        arrivals.check_complete()?;
        sheet.put(text.as_bytes())?;
        let mut outputs = files;
        // The sheet last, so no reader finds a sheet whose track files are missing.
        outputs.push(sheet);
        output::commit(outputs)
    }
}
