//! cdrdao TOC files for discus: the text cdrdao, whipper and libcdio's tools keep beside the
//! data of a disc, describing tracks as pieces of files (`FILE`, `DATAFILE`), zeros (`SILENCE`,
//! `ZERO`, `PREGAP`) and marks (`START`, `INDEX`), with copy and emphasis flags, ISRC, catalog
//! and CD-TEXT.
//!
//! Reading refuses, naming the line and column, what cdrdao would refuse; writing puts the disc's
//! sectors in one `stem.bin` and writes a TOC that `cdrdao show-toc` reads. See `docs/formats/toc.md`.
//!
//! | module | reads / writes |
//! |---|---|
//! | `parse` | the text: tokens, statements, CD-TEXT blocks |
//! | `read` | pieces and files → disc addresses, the [`discus_core::SectorSource`] |
//! | `write` | the plan, the [`discus_core::SectorSink`] and the TOC text |

mod parse;
mod read;
mod write;

pub use write::toc_text;

use std::path::Path;

use discus_core::{Confidence, Format, Probe, Result, SectorSource, Writer};

/// The cdrdao TOC format.
pub static FORMAT: Format = Format {
    name: "toc",
    description: "cdrdao TOC: a text table of contents over BIN/WAV data files",
    extensions: &["toc"],
    probe,
    open,
    writer: Some(Writer {
        capabilities: write::CAPABILITIES,
        plan: write::plan,
        create: write::create,
    }),
};

/// A text that parses as a TOC is as sure as a magic number; a text with a `TRACK <cdrdao mode>`
/// line that does not parse is still a TOC, so that `open` can say what is wrong with it.
fn probe(probe: &Probe<'_>) -> Confidence {
    if probe.head.is_empty() || probe.head.contains(&0) {
        return Confidence::No;
    }
    let text = String::from_utf8_lossy(probe.head);
    let mut text = text.into_owned();
    if probe.len > probe.head.len() as u64 {
        let cut = text.rfind('\n').unwrap_or(0);
        text.truncate(cut);
    }
    let has_track = text.lines().any(|line| {
        let mut words = line.split_whitespace();
        words.next() == Some("TRACK")
            && words
                .next()
                .is_some_and(|mode| parse::Mode::ALL.iter().any(|m| m.keyword() == mode))
    });
    match (has_track, parse::parse(probe.path, &text).is_ok()) {
        (true, true) => Confidence::Magic,
        (true, false) => Confidence::Structure,
        _ if probe.has_extension(FORMAT.extensions) => Confidence::Extension,
        _ => Confidence::No,
    }
}

fn open(path: &Path) -> Result<Box<dyn SectorSource>> {
    Ok(Box::new(read::TocSource::open(path)?))
}
