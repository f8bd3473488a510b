//! Alcohol 120% images for discus: a binary `.mds` descriptor (version 1) and one or more `.mdf`
//! data files. Multi-track, multi-session, mixed-mode discs and the interleaved P–W subchannel
//! (2448-byte sectors) are read and written; catalog, ISRC, CD-TEXT and INDEX 02+ have no place
//! in the format. DVD images (medium type 0x10-0x13, one 2048-byte track, the layer break in the
//! physical format information) are read and written by `dvd`. Daemon Tools' encrypted MDS
//! v2/MDX is refused as unsupported.
//!
//! | module | reads / writes |
//! |---|---|
//! | `descriptor` | the binary blocks: header, sessions, track (TOC) entries, extras, footers |
//! | `read` | descriptor + data file sizes → the disc and the [`discus_core::SectorSource`] |
//! | `write` | the plan, the descriptor bytes and the [`discus_core::SectorSink`] |
//! | `dvd` | the DVD descriptor: medium type, one track, the layers' disc structures |
//! | `lone` | an `.mdf` without its descriptor, read as a raw image |
//!
//! Where gaps live and why is in `docs/formats/mds.md`.

mod descriptor;
mod dvd;
mod lone;
mod read;
mod write;

use std::path::Path;

use discus_core::format::{extension_of, sibling};
use discus_core::{Confidence, Format, Probe, Result, SectorSource, Writer};

/// The MDS/MDF format.
pub static FORMAT: Format = Format {
    name: "mds",
    description: "Alcohol 120% MDS/MDF: tracks, sessions and subchannel in a binary descriptor",
    extensions: &["mds"],
    probe,
    open,
    writer: Some(Writer {
        capabilities: write::CAPABILITIES,
        plan: write::plan,
        create: write::create,
    }),
};

/// A descriptor's signature is a magic number (other versions too, so that `open` can say why it
/// refuses them). An `.mdf` with its `.mds` beside it is read through the descriptor; a lone
/// `.mdf` that looks like a raw image is read as one.
fn probe(probe: &Probe<'_>) -> Confidence {
    if descriptor::sniff_version(probe.head).is_some() {
        return Confidence::Magic;
    }
    if probe.has_extension(&["mdf"]) {
        if probe.sibling("mds").is_some() {
            return Confidence::Structure;
        }
        return match lone::sniff(probe.head, probe.len) {
            Some(_) => Confidence::Magic,
            None => Confidence::Extension,
        };
    }
    if probe.has_extension(FORMAT.extensions) {
        Confidence::Extension
    } else {
        Confidence::No
    }
}

fn open(path: &Path) -> Result<Box<dyn SectorSource>> {
    if extension_of(path).as_deref() == Some("mdf") {
        return match sibling(path, "mds") {
            Some(mds) => Ok(Box::new(read::open(&mds)?)),
            None => lone::open(path),
        };
    }
    Ok(Box::new(read::open(path)?))
}
