//! What a format crate exports: one static [`Format`] descriptor with its probe, its reader and,
//! if it writes, a [`Writer`]. Only the `discus` facade knows the full list.

use std::path::{Path, PathBuf};

use crate::disc::Medium;
use crate::error::Result;
use crate::output::Destination;
use crate::plan::Plan;
use crate::stream::{SectorSink, SectorSource};

/// How sure a probe is that a file is in its format. Higher wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    /// Not this format.
    No,
    /// Only the extension fits.
    Extension,
    /// The structure parses (a sheet reads, sizes add up).
    Structure,
    /// A checked magic number or signature.
    Magic,
}

/// What a probe may look at: the first 64 KiB, the last bytes, the length and same-stem siblings.
#[derive(Debug)]
pub struct Probe<'a> {
    /// The file.
    pub path: &'a Path,
    /// Its first bytes (up to [`Probe::HEAD`]).
    pub head: &'a [u8],
    /// Its last bytes (up to [`Probe::TAIL`]).
    pub tail: &'a [u8],
    /// Its length in bytes.
    pub len: u64,
    /// Files in the same folder with the same stem and another extension.
    pub siblings: &'a [PathBuf],
}

impl Probe<'_> {
    /// Bytes of the head a probe gets.
    pub const HEAD: usize = 64 * 1024;
    /// Bytes of the tail a probe gets.
    pub const TAIL: usize = 4096;

    /// Whether the file's extension is one of `extensions` (case-insensitive).
    pub fn has_extension(&self, extensions: &[&str]) -> bool {
        extension_of(self.path)
            .is_some_and(|ext| extensions.iter().any(|e| e.eq_ignore_ascii_case(&ext)))
    }

    /// The sibling with extension `extension` (case-insensitive), if there is one.
    pub fn sibling(&self, extension: &str) -> Option<&Path> {
        self.siblings
            .iter()
            .find(|p| extension_of(p).is_some_and(|e| e.eq_ignore_ascii_case(extension)))
            .map(PathBuf::as_path)
    }
}

/// The same-stem file with extension `extension` (as given or in upper case) beside `path`: the
/// sheet of a data file (`game.mdf` → `game.mds`) or the data file of a sheet.
pub fn sibling(path: &Path, extension: &str) -> Option<PathBuf> {
    [extension.to_string(), extension.to_ascii_uppercase()]
        .into_iter()
        .map(|ext| path.with_extension(ext))
        .find(|p| p.is_file())
}

/// The extension of `path` in lower case.
pub fn extension_of(path: &Path) -> Option<String> {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

/// Which media a format holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Media {
    /// CDs.
    pub cd: bool,
    /// DVDs.
    pub dvd: bool,
    /// Blu-ray discs.
    pub bd: bool,
}

impl Media {
    /// CDs only: formats built on 2352-byte sectors, MSF addresses or a CD TOC.
    pub const CD: Media = Media {
        cd: true,
        dvd: false,
        bd: false,
    };
    /// Every medium: formats that store 2048-byte sectors of any count.
    pub const ALL: Media = Media {
        cd: true,
        dvd: true,
        bd: true,
    };

    /// Whether `medium` is one of these.
    pub fn holds(self, medium: Medium) -> bool {
        match medium {
            Medium::Cd => self.cd,
            Medium::Dvd { .. } => self.dvd,
            Medium::Bd => self.bd,
        }
    }
}

impl Default for Media {
    /// CDs only, as every format held before DVDs were modelled.
    fn default() -> Media {
        Media::CD
    }
}

/// What a format can hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// The media it holds; the plan check refuses the others before writing.
    pub media: Media,
    /// More than one track.
    pub multi_track: bool,
    /// Audio tracks.
    pub audio: bool,
    /// More than one session.
    pub sessions: bool,
    /// Subchannel data.
    pub subchannel: bool,
    /// Whole 2352-byte sectors (so Mode 2 XA and damaged sectors survive).
    pub raw_sectors: bool,
    /// Catalog, ISRC and CD-TEXT.
    pub metadata: bool,
    /// Compressed storage.
    pub compressed: bool,
}

/// Settings for compressing formats (CSO, ZSO, DAX). `None` means the format's own default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Compression {
    /// Block size in bytes (a power of two).
    pub block_size: Option<u32>,
    /// Format version (CSO 1 or 2).
    pub version: Option<u8>,
    /// Encoder name, as the format documents them (for CSO: `zlib`, `libdeflate`, …).
    pub encoder: Option<String>,
    /// Store a block uncompressed unless compression saves at least this share (0.0–1.0).
    pub min_saving: Option<f64>,
    /// Try every encoder per block and keep the smallest.
    pub best: bool,
}

/// How to write: what the user chose beyond the target format.
#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    /// Convert even when the target cannot hold everything the source has.
    pub allow_lossy: bool,
    /// Threads for work that runs in parallel (compression); 0 means one per core.
    pub threads: usize,
    /// Bytes per stored sector where a format offers a choice (raw IMG: 2048 or 2352; cue: 2048 writes
    /// Mode 1 cooked).
    pub sector_size: Option<u32>,
    /// One file for the whole disc instead of one per track (BIN/CUE).
    pub single_file: bool,
    /// Also write audio tracks as WAV files beside an ISO.
    pub audio_files: bool,
    /// Compression settings.
    pub compression: Compression,
    /// Sheet formats: keep each data file as ECM (`name.bin.ecm`), the sheet still naming
    /// `name.bin`, as Redump-era sets are kept; readers find the `.ecm` beside the sheet.
    pub ecm: bool,
}

impl WriteOptions {
    /// The threads parallel work should use: `threads`, or one per core when it is 0, and never more
    /// than [`max_threads`] — past a few per core threads only add switching.
    pub fn thread_count(&self) -> usize {
        match self.threads {
            0 => cores(),
            n => n.min(max_threads()),
        }
    }
}

/// The processor cores this process may use (1 if the system does not say).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The most threads any parallel work of discus starts: four per core.
pub fn max_threads() -> usize {
    cores() * 4
}

/// The writing half of a format.
#[derive(Clone, Copy, Debug)]
pub struct Writer {
    /// What the format can hold.
    pub capabilities: Capabilities,
    /// Decides, without writing anything, which tracks the target keeps and in which form.
    pub plan: fn(&dyn SectorSource, &WriteOptions) -> Result<Plan>,
    /// Starts writing: creates the outputs (as temporary files) and returns the sink.
    pub create: fn(&Destination, &Plan, &WriteOptions) -> Result<Box<dyn SectorSink>>,
}

/// One disc image format.
#[derive(Clone, Copy, Debug)]
pub struct Format {
    /// Short name, as `--to` takes it.
    pub name: &'static str,
    /// One line for `discus formats`.
    pub description: &'static str,
    /// File extensions, lower case, without the dot; the first is the one written.
    pub extensions: &'static [&'static str],
    /// Scores a file.
    pub probe: fn(&Probe<'_>) -> Confidence,
    /// Opens a file of this format.
    pub open: fn(&Path) -> Result<Box<dyn SectorSource>>,
    /// The writer, for formats discus writes.
    pub writer: Option<Writer>,
}
