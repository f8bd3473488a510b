//! MAME CHD ("compressed hunks of data") CD and DVD images for discus.
//!
//! A CHD cuts the disc's logical data into hunks (8 CD frames of 2448 bytes by default, or 4096
//! bytes of a DVD), compresses each hunk with the best of up to four codecs and keeps a Huffman-coded
//! map of where each hunk lies. Track layout and other facts live in metadata entries. The layouts
//! are in [`header`], [`metadata`] and [`cd`]; reading is in [`read`], the map in [`map`], the codecs in [`codec`] and writing
//! in [`mod@write`].

pub mod cd;
pub mod codec;
pub mod header;
pub mod huffman;
pub mod keep;
pub mod map;
pub mod metadata;
pub mod read;
pub mod write;

use std::path::Path;

use discus_core::format::{Confidence, Format, Probe, Writer};
use discus_core::{Result, SectorSource};

pub use read::ChdSource;

/// CHD v5 (and older) CD and DVD images.
pub static FORMAT: Format = Format {
    name: "chd",
    description: "MAME CHD compressed CD/DVD image (emulators, archives)",
    extensions: &["chd"],
    probe,
    open,
    writer: Some(Writer {
        capabilities: write::CAPABILITIES,
        plan: write::plan,
        create: write::create,
    }),
};

fn open(path: &Path) -> Result<Box<dyn SectorSource>> {
    Ok(Box::new(ChdSource::open(path)?))
}

fn probe(probe: &Probe<'_>) -> Confidence {
    if probe.head.starts_with(header::MAGIC) {
        Confidence::Magic
    } else if probe.has_extension(FORMAT.extensions) {
        Confidence::Extension
    } else {
        Confidence::No
    }
}
