//! BIN/CUE for discus: a cue sheet (CDRWIN text) describing one BIN per track (Redump), one BIN
//! for the disc, or a mix, plus WAVE and big-endian (MOTOROLA) audio files.
//!
//! Reading is tolerant of what real sheets get wrong (stale file names, wrong letter case,
//! Windows paths, truncated BINs, bad catalog numbers) and says so in the source's warnings; it
//! refuses, naming the line and column, what cannot be read safely. Writing is deterministic:
//! the same disc always gives the same BINs and the same sheet. See `docs/formats/cue.md`.
//!
//! | module | reads / writes |
//! |---|---|
//! | `sheet` | the sheet's text: encodings, lines, tokens, commands |
//! | `files` | where the FILEs are (fallbacks), opening them, positioned reads |
//! | `wave` | RIFF WAVE headers |
//! | `layout` | sheet + file sizes → disc addresses and file extents |
//! | `read` | the [`discus_core::SectorSource`] |
//! | `write` | the plan, the [`discus_core::SectorSink`] and the sheet text |

mod files;
mod layout;
mod read;
mod sheet;
mod write;

pub use write::{bin_names, sheet};

use std::path::Path;

use discus_core::{Confidence, Format, Probe, Result, SectorSource, Writer};

/// The BIN/CUE format.
pub static FORMAT: Format = Format {
    name: "cue",
    description: "BIN/CUE: a cue sheet with one BIN per track (Redump style) or one BIN for the disc",
    extensions: &["cue"],
    probe,
    open,
    writer: Some(Writer {
        capabilities: write::CAPABILITIES,
        plan: write::plan,
        create: write::create,
    }),
};

/// Files a sheet names as its data; one of these with a same-stem sheet beside it is read
/// through the sheet. (Other files with a sheet beside them, a `.toc` say, belong to other formats.)
const DATA_EXTENSIONS: &[&str] = &["bin", "img", "raw", "wav"];

/// A sheet that parses is as good as a magic number; one with FILE and TRACK lines that does not
/// parse is still a sheet (so `open` can say what is wrong with it). A file with a same-stem
/// `.cue` beside it (`game.bin` next to `game.cue`) is read through that sheet when the sheet
/// names it.
fn probe(probe: &Probe<'_>) -> Confidence {
    // cdrdao's TOC files have FILE and TRACK lines too, but another grammar: read as a cue sheet
    // they fail with errors about cue commands that mislead.
    if probe.has_extension(&["toc"]) {
        return Confidence::No;
    }
    let truncated = probe.len > probe.head.len() as u64;
    match sheet::sniff(probe.head, truncated) {
        Some(true) => Confidence::Magic,
        Some(false) => Confidence::Structure,
        None if probe.has_extension(&["cue"]) => Confidence::Extension,
        None if probe.has_extension(DATA_EXTENSIONS)
            && probe.sibling("cue").is_some()
            && files::sibling_sheet(probe.path).is_some() =>
        {
            Confidence::Structure
        }
        None => Confidence::No,
    }
}

/// Opens a sheet; a data file (`.bin`, `.img`, `.raw`, `.wav`) is opened through its same-stem
/// sibling sheet when there is one; anything else is read as a sheet (a sheet may be called anything).
fn open(path: &Path) -> Result<Box<dyn SectorSource>> {
    let is_data = discus_core::format::extension_of(path)
        .is_some_and(|e| DATA_EXTENSIONS.contains(&e.as_str()));
    let sheet = match is_data {
        true => files::sibling_sheet(path).filter(|s| s != path),
        false => None,
    };
    let source = read::CueSource::open(sheet.as_deref().unwrap_or(path))?;
    Ok(Box::new(source))
}
