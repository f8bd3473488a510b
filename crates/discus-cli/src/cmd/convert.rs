//! `discus convert INPUT OUTPUT`: one image to another format.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;

use crate::progress::Progress;
use crate::{CANCEL, Context, Status};

/// What to do with audio tracks when the target holds only data.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AudioFiles {
    /// Write each audio track as `Name (Track N).wav` beside the output.
    Wav,
}

/// Arguments of `convert`.
#[derive(clap::Args)]
pub struct Args {
    /// The image to read (its format is recognised from its contents).
    pub input: PathBuf,
    /// The file to write (for BIN/CUE, the .cue; data files go beside it).
    pub output: PathBuf,
    /// The output format, if OUTPUT's extension does not say it.
    #[arg(long, value_name = "FORMAT")]
    pub to: Option<String>,
    /// Replace OUTPUT if it exists.
    #[arg(long, short)]
    pub force: bool,
    /// Convert even if the target cannot hold everything (audio tracks in an ISO, subchannel …).
    #[arg(long)]
    pub allow_lossy: bool,
    /// Bytes per sector where the target offers a choice (IMG: 2048 or 2352).
    #[arg(long, value_name = "BYTES")]
    pub sector_size: Option<u32>,
    /// BIN/CUE: one BIN for the whole disc instead of one per track.
    #[arg(long)]
    pub single_bin: bool,
    /// BIN/CUE: write Mode 1 data as MODE1/2048 instead of regenerated MODE1/2352.
    #[arg(long)]
    pub cooked: bool,
    /// ISO: also write audio tracks to files beside the ISO.
    #[arg(long, value_name = "KIND")]
    pub audio: Option<AudioFiles>,
    /// Compressed formats: block size in bytes (a power of two).
    #[arg(long, value_name = "BYTES")]
    pub block_size: Option<u32>,
    /// CSO: format version (1 or 2).
    #[arg(long, value_name = "N")]
    pub cso_version: Option<u8>,
    /// Compressed formats: the encoder (CSO: zlib, libdeflate; ZSO: lz4hc, lz4).
    #[arg(long, value_name = "NAME")]
    pub encoder: Option<String>,
    /// Compressed formats: try every encoder per block and keep the smallest.
    #[arg(long)]
    pub best: bool,
    /// Compressed formats: store a block uncompressed unless compression saves this many percent.
    #[arg(long, value_name = "PERCENT")]
    pub orig_cost: Option<f64>,
    /// Re-read the output and compare it sector by sector with the input; a mismatch removes
    /// the output and exits 1.
    #[arg(long)]
    pub verify: bool,
}

/// Runs `convert`.
pub fn run(args: Args, context: &Context, out: &mut dyn Write) -> anyhow::Result<Status> {
    let sector_size = match (args.cooked, args.sector_size) {
        (true, Some(size)) if size != 2048 => {
            anyhow::bail!(
                "--cooked writes 2048-byte sectors and cannot go with --sector-size {size}"
            )
        }
        (true, _) => Some(2048),
        (false, size) => size,
    };
    let write = discus::WriteOptions {
        allow_lossy: args.allow_lossy,
        threads: context.threads,
        sector_size,
        single_file: args.single_bin,
        audio_files: args.audio.is_some(),
        compression: discus::Compression {
            block_size: args.block_size,
            version: args.cso_version,
            encoder: args.encoder.clone(),
            min_saving: args.orig_cost.map(|p| p / 100.0),
            best: args.best,
        },
    };
    let progress = Progress::new(context.quiet, "converting");
    let report = |done: u64, total: u64| progress.update(done, total, 2352);
    let options = discus::ConvertOptions {
        to: args.to.clone(),
        force: args.force,
        write,
        progress: Some(&report),
        cancel: Some(&CANCEL),
    };
    let result = discus::convert(&args.input, &args.output, &options);
    progress.finish();
    let outcome = result?;
    for warning in &outcome.warnings {
        context.warn(warning);
    }
    for loss in &outcome.losses {
        context.warn(&format!("lost (allowed by --allow-lossy): {loss}"));
    }
    writeln!(
        out,
        "{} ({}) -> {} ({}): {} sectors",
        args.input.display(),
        outcome.from.name,
        args.output.display(),
        outcome.to.name,
        outcome.report.sectors
    )?;
    if args.verify {
        return crate::cmd::compare::verify_conversion(
            &args.input,
            &args.output,
            args.allow_lossy,
            context,
            out,
        );
    }
    Ok(Status::Success)
}
