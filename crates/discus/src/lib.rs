//! discus converts CD images between formats. Every format decodes into one model — a
//! [`Disc`] of sessions and tracks plus a stream of sectors — and every format encodes from it,
//! so any format discus reads converts to any format it writes.
//!
//! ```
//! # fn main() -> discus::Result<()> {
//! # let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples");
//! # let out = tempfile::tempdir().map_err(|e| discus::Error::io("temp", e))?;
//! # let (cue, iso) = (samples.join("cue/data/data.cue"), out.path().join("data.iso"));
//! use discus::{ConvertOptions, convert};
//!
//! // BIN/CUE to ISO: the target format comes from the output's extension.
//! let outcome = convert(&cue, &iso, &ConvertOptions::default())?;
//! assert_eq!(outcome.from.name, "cue");
//! assert_eq!(outcome.report.sectors, 198);
//!
//! // What the ISO holds: one Mode 1 track with an ISO 9660 volume.
//! let info = discus::info(&iso)?;
//! assert_eq!(info.disc.track_count(), 1);
//! assert!(info.volume.is_some());
//! # Ok(()) }
//! ```
//!
//! A device preset from code — the settings `--target psp` gives on the command line:
//!
//! ```
//! # fn main() -> discus::Result<()> {
//! # let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples");
//! # let out = tempfile::tempdir().map_err(|e| discus::Error::io("temp", e))?;
//! # let (iso, cso) = (samples.join("iso/data.iso"), out.path().join("data.cso"));
//! let psp = discus::preset("psp").expect("psp is a preset");
//! let mut options = discus::ConvertOptions::default();
//! options.preset = Some(&psp);
//! let outcome = discus::convert(&iso, &cso, &options)?;
//! assert_eq!(outcome.to.name, "cso");
//!
//! // The same preset for a CHD: the format comes from the extension, the settings from the preset
//! // (a DVD-layout CHD with 2048-byte hunks, as PPSSPP reads it).
//! let outcome = discus::convert(&iso, &out.path().join("data.chd"), &options)?;
//! assert_eq!(outcome.to.name, "chd");
//! # Ok(()) }
//! ```
//!
//! This crate is the registry: it alone knows the list of formats (each behind a cargo feature of
//! its name) and picks one by probing. The model and the conversion loop live in `discus-core`,
//! re-exported as [`core`].

mod registry;
mod unknown;

// The README's Rust examples run as doctests, so what a new user copies from it works.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExamples;

pub mod compare;
pub mod dat;
pub mod preset;
pub mod verify;
pub(crate) mod warnings;

pub use discus_core as core;
pub use discus_core::{
    Compression, Confidence, Disc, Error, Form, Format, Report, Result, SectorSource, Track,
    TrackMode, WriteOptions,
};
/// The filesystems inside an image (ISO 9660, Joliet, Rock Ridge, El Torito, UDF).
pub use discus_fs as fs;
pub use registry::{find, formats, probe, target_for};

pub use preset::{PRESETS, Preset, preset};

/// The cue sheet the BIN/CUE writer writes for a plan, without writing anything (for views of an
/// image as BIN/CUE, such as a mount's `image.cue`).
#[cfg(feature = "cue")]
pub use discus_cue::sheet as cue_sheet;

pub use compare::{CompareOptions, Comparison, compare};
pub use dat::Dat;
pub use verify::{Verification, VerifyOptions, verify};

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use discus_core::iso9660::{Truncation, Volume, Volumes, first_data_track, read_volumes};
use discus_core::{Destination, Medium};

/// An opened image: its format and its source.
pub struct Opened {
    /// The format that recognised it.
    pub format: &'static Format,
    /// Its sectors and layout.
    pub source: Box<dyn SectorSource>,
}

/// Opens `path` with the format that recognises it best.
pub fn open(path: &Path) -> Result<Opened> {
    let format = probe(path)?;
    let source = (format.open)(path)?;
    Ok(Opened { format, source })
}

/// Opens the filesystems of `path`'s first data track, whatever container holds it.
pub fn open_filesystem(path: &Path) -> Result<fs::Image> {
    let Opened { source, .. } = open(path)?;
    fs::Image::open(source, path)
}

/// Opens `path` as `format`, without probing.
pub fn open_as(path: &Path, format: &'static Format) -> Result<Opened> {
    Ok(Opened {
        format,
        source: (format.open)(path)?,
    })
}

/// How to convert.
#[derive(Default)]
pub struct ConvertOptions<'a> {
    /// The target format by name; `None` takes it from the output's extension.
    pub to: Option<String>,
    /// Replace outputs that exist.
    pub force: bool,
    /// Flush the outputs to the disk before renaming them into place (see
    /// [`Destination::durable`]): for callers that delete the source afterwards.
    pub durable: bool,
    /// How to write (lossy conversions, sector size, layout, compression, threads).
    pub write: WriteOptions,
    /// A device preset: fills what `write` leaves unset with its settings for the target format
    /// and the disc, and refuses a disc or format its device does not read.
    pub preset: Option<&'a Preset>,
    /// Called with (sectors done, sectors in all) as the conversion goes.
    pub progress: Option<&'a (dyn Fn(u64, u64) + Sync)>,
    /// When set, the conversion stops and leaves no output.
    pub cancel: Option<&'a AtomicBool>,
    /// The run this conversion is one of (a batch): no conversion of a run replaces a file
    /// another put in place, `force` or not (see [`discus_core::Run`]).
    pub run: Option<&'a discus_core::Run>,
}

/// What a conversion did.
#[derive(Debug)]
pub struct Outcome {
    /// The format that read the input.
    pub from: &'static Format,
    /// The format that wrote the output.
    pub to: &'static Format,
    /// Sectors written and sectors stripped without regenerating.
    pub report: Report,
    /// What was lost because the user allowed it.
    pub losses: Vec<String>,
    /// What the target left out that is not sector data, and what the reader tolerated.
    pub warnings: Vec<String>,
}

/// Converts `input` to `output`. Nothing is written unless everything succeeds: the plan is checked
/// for losses before writing, outputs go to temporary files renamed at the end, and the input is
/// only ever read.
pub fn convert(input: &Path, output: &Path, options: &ConvertOptions<'_>) -> Result<Outcome> {
    if output.is_dir() {
        let example = input
            .file_stem()
            .map(|stem| output.join(stem).with_extension("iso"))
            .unwrap_or_else(|| output.join("disc.iso"));
        return Err(Error::Usage(format!(
            "{}: is a folder; name the output file inside it, e.g. {}",
            output.display(),
            example.display()
        )));
    }
    let (target, writer) = writer_for(output, options)?;
    let Opened { format, source } = open(input)?;
    write_source(format, source, output, target, writer, options)
}

/// A folder as `discus create` reads it: the `from` of a creation's [`Outcome`].
static FOLDER: Format = Format {
    name: "folder",
    description: "a folder of files, laid out as ISO 9660 + Rock Ridge + Joliet (+ UDF)",
    extensions: &[],
    probe: |_| Confidence::No,
    open: |path| {
        Err(Error::Usage(format!(
            "{}: a folder is written with `discus create`, not opened",
            path.display()
        )))
    },
    writer: None,
};

/// Writes an image of the folder `dir` to `output`, in the format its extension (or
/// `options.to`) names — ISO, CSO, CHD, BIN/CUE … — through the same writers and checks as
/// [`convert`]. An output inside the folder is refused: it would be read while it is written.
pub fn create(
    dir: &Path,
    output: &Path,
    layout: &fs::write::Options,
    options: &ConvertOptions<'_>,
) -> Result<Outcome> {
    if fs::write::output_inside(dir, output) {
        return Err(Error::Usage(format!(
            "{}: is inside the folder {} the image is made of; write it elsewhere",
            output.display(),
            dir.display()
        )));
    }
    let (target, writer) = writer_for(output, options)?;
    let source = Box::new(fs::write::create(dir, layout)?);
    write_source(&FOLDER, source, output, target, writer, options)
}

/// The format `output` is written in and its writer.
fn writer_for(
    output: &Path,
    options: &ConvertOptions<'_>,
) -> Result<(&'static Format, discus_core::Writer)> {
    let target = target_for(output, options.to.as_deref())?;
    let writer = target.writer.ok_or_else(|| {
        Error::Usage(format!(
            "discus reads {} but does not write it",
            target.name
        ))
    })?;
    if options.write.ecm && target.name != "cue" {
        return Err(Error::Usage(format!(
            "--ecm keeps a cue sheet's BINs as .bin.ecm; {} has no BIN beside a sheet (write a .cue, or --to ecm for a lone ECM file)",
            target.name
        )));
    }
    Ok((target, writer))
}

/// Writes `source` (read as `format`) to `output` as `target`.
fn write_source(
    format: &'static Format,
    mut source: Box<dyn SectorSource>,
    output: &Path,
    target: &'static Format,
    writer: discus_core::Writer,
    options: &ConvertOptions<'_>,
) -> Result<Outcome> {
    let destination = Destination {
        path: output.to_path_buf(),
        force: options.force,
        inputs: source.files(),
        durable: options.durable,
        run: options.run.cloned(),
    };
    destination.check(output)?;
    let volumes = read_volumes(&mut *source)?;
    let mut write = options.write.clone();
    if let Some(preset) = options.preset {
        let mut disc = source.disc().clone();
        disc.medium = settled_medium(disc.medium, volumes.as_ref());
        preset.settle(target, &disc, &mut write)?;
    }
    let mut plan = (writer.plan)(&*source, &write)?;
    plan.disc.medium = settled_medium(plan.disc.medium, volumes.as_ref());
    discus_core::plan::check(&plan, &write, output)?;
    let sink = (writer.create)(&destination, &plan, &write)?;
    let run = discus_core::ConvertOptions {
        allow_lossy: write.allow_lossy,
        progress: options.progress,
        cancel: options.cancel,
        threads: options.write.threads,
    };
    let report = discus_core::convert(&mut *source, &plan, sink, &run)?;
    let mut warnings = source.warnings();
    // A trimmed image is still worth converting (some dumps are trimmed on purpose), so this is
    // said, not refused.
    if let Some(truncation) = truncation_of(&*source, volumes.as_ref()) {
        warnings.push(format!("the input is {truncation}"));
    }
    warnings.extend(plan.notes.iter().cloned());
    let mut losses = plan.losses.clone();
    if let Some(first) = report.not_regenerable.first {
        losses.push(format!(
            "{} sector(s) did not regenerate as stored (first at LBA {first})",
            report.not_regenerable.count
        ));
    }
    Ok(Outcome {
        from: format,
        to: target,
        report,
        losses,
        warnings: warnings::group(warnings),
    })
}

/// What `discus info` shows about an image.
pub struct Info {
    /// The file.
    pub path: PathBuf,
    /// Its format.
    pub format: &'static Format,
    /// Its layout.
    pub disc: Disc,
    /// How each track is stored, in [`Disc::tracks`] order.
    pub stored: Vec<Form>,
    /// Bytes of every file the image is made of.
    pub bytes: u64,
    /// The files it is made of.
    pub files: Vec<PathBuf>,
    /// The ISO 9660 volume of the first data track, if it has one.
    pub volume: Option<Volume>,
    /// Every volume found at the start of the first data track (ISO 9660, a PS2 disc's layer 1
    /// volume, UDF).
    pub volumes: Option<Volumes>,
    /// Set when the image holds fewer sectors than its volumes say.
    pub truncation: Option<Truncation>,
    /// Facts of the container.
    pub details: Vec<(String, String)>,
    /// What the reader tolerated.
    pub warnings: Vec<String>,
    /// The game, where a console disc says it (serial, title, platform).
    pub game: Option<fs::game::Game>,
}

/// Reads the layout of `path` and the ISO 9660 volume of its first data track.
pub fn info(path: &Path) -> Result<Info> {
    let Opened { format, mut source } = open(path)?;
    let disc = source.disc().clone();
    let stored = (0..disc.track_count())
        .map(|i| source.stored_form(i))
        .collect();
    let files = source.files();
    let bytes = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let volumes = read_volumes(&mut *source)?;
    let truncation = truncation_of(&*source, volumes.as_ref());
    let mut disc = disc;
    disc.medium = settled_medium(disc.medium, volumes.as_ref());
    let details = source.details();
    let warnings = warnings::group(source.warnings());
    // Naming the game is a bonus: a disc whose filesystem cannot be read still has an `info`.
    let game = match volumes.is_some() {
        true => fs::Image::open(source, path)
            .and_then(|mut image| fs::game::identify(&mut image))
            .ok()
            .filter(|game| !game.is_empty()),
        false => None,
    };
    Ok(Info {
        path: path.to_path_buf(),
        format,
        disc,
        stored,
        bytes,
        files,
        volume: volumes.as_ref().and_then(|v| v.iso.clone()),
        volumes,
        truncation,
        details,
        warnings,
        game,
    })
}

/// The ISO 9660 volume of the first data track, read through the source in 2048-byte form.
pub fn volume_of(source: &mut dyn SectorSource) -> Result<Option<Volume>> {
    Ok(read_volumes(source)?.and_then(|v| v.iso))
}

/// Whether the image holds fewer sectors than its container says (checked first: it is the
/// container's own fault) or fewer of its first data track than its volumes say.
pub fn truncation_of(source: &dyn SectorSource, volumes: Option<&Volumes>) -> Option<Truncation> {
    if let Some(truncation) = source.truncation() {
        return Some(truncation);
    }
    volumes?.truncation(first_data_track(source)?.session_end)
}

/// The medium with what the volumes show: a second (layer 1) volume makes a DVD dual-layer and
/// places its layer break, when the source did not record one.
pub fn settled_medium(medium: Medium, volumes: Option<&Volumes>) -> Medium {
    match (medium, volumes.and_then(|v| v.layer1.as_ref())) {
        (
            Medium::Dvd {
                layer_break: None, ..
            },
            Some((start, _)),
        ) => Medium::Dvd {
            layers: 2,
            layer_break: Some(*start),
        },
        (medium, _) => medium,
    }
}
