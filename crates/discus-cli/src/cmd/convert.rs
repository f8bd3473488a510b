//! `discus convert INPUT OUTPUT`: one image to another format. An INPUT that is a `.zip` or
//! `.7z` holding one image is converted as `batch` converts such an archive: extracted beside
//! OUTPUT within `--max-extract`, its sheets held to the archive's own members.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::bail;

use crate::batch::archive::{self, Kind};
use crate::batch::discover::Source;
use crate::batch::worker::{Reads, check_reads};
use crate::cmd::write_args::WriteArgs;
use crate::progress::Progress;
use crate::{CANCEL, Context, Status};

/// Arguments of `convert`.
#[derive(clap::Args)]
pub struct Args {
    /// The image to read (its format is recognised from its contents), or a .zip/.7z archive
    /// holding one image.
    pub input: PathBuf,
    /// The file to write (for BIN/CUE, the .cue; data files go beside it).
    pub output: PathBuf,
    /// The output format, if OUTPUT's extension does not say it (one that contradicts the
    /// extension is refused).
    #[arg(long, value_name = "FORMAT")]
    pub to: Option<String>,
    /// Replace OUTPUT if it exists.
    #[arg(long, short)]
    pub force: bool,
    /// Flush the output to the disk before it takes its name, so it survives a power cut once
    /// discus reports success (slower; `cp` and the other tools do not wait either).
    #[arg(long)]
    pub sync: bool,
    /// How to write the output.
    #[command(flatten)]
    pub write: WriteArgs,
    /// Re-read the output and compare it sector by sector with the input; a mismatch removes
    /// the output and exits 1.
    #[arg(long)]
    pub verify: bool,
    /// An archive INPUT: the most it may expand to (K, M, G, T: powers of 1024); extraction
    /// also stops at the free space of OUTPUT's folder.
    #[arg(long, value_name = "SIZE", default_value = "64G", value_parser = archive::parse_size)]
    pub max_extract: u64,
}

/// Runs `convert`.
pub fn run(args: Args, context: &Context, out: &mut dyn Write) -> anyhow::Result<Status> {
    let to = args
        .write
        .format_for_output(args.to.as_deref(), &args.output)?;
    let Some(kind) = Kind::of(&args.input) else {
        return convert(&args, &args.input, to, context, out);
    };
    let folder = match args.output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let extension = discus::target_for(&args.output, to.as_deref())?
        .extensions
        .first()
        .copied()
        .unwrap_or("out");
    // Removed when dropped, after the conversion (and its --verify) is over.
    let unpacked = archive::unpack(
        &args.input,
        kind,
        folder,
        &args.output,
        extension,
        args.max_extract,
        &CANCEL,
    )?;
    let image = match unpacked.images.as_slice() {
        [only] => only,
        several => {
            let names: Vec<String> = several.iter().map(|i| unpacked.name(i.input())).collect();
            bail!(
                "{}: holds {} images ({}); convert it with `discus batch`, which writes each of them",
                args.input.display(),
                several.len(),
                names.join(", ")
            );
        }
    };
    let Source::Image(path) = &image.source else {
        bail!(
            "{}: {} is an archive inside the archive; it is not opened",
            args.input.display(),
            unpacked.name(image.input())
        );
    };
    let files = discus::open(path)?.source.files();
    let shown = args.input.join(unpacked.name(path));
    check_reads(Reads::Archive, path, &shown, &files, &image.root)?;
    convert(&args, path, to, context, out)
}

/// Converts `input` (the INPUT, or the image extracted from it) to OUTPUT.
fn convert(
    args: &Args,
    input: &Path,
    to: Option<String>,
    context: &Context,
    out: &mut dyn Write,
) -> anyhow::Result<Status> {
    let written = Written {
        output: &args.output,
        to,
        force: args.force,
        sync: args.sync,
        write: &args.write,
    };
    let (outcome, also) = written.run(context, "converting", 2352, |options| {
        discus::convert(input, &args.output, options)
    })?;
    writeln!(
        out,
        "{} ({}) -> {} ({}): {} sectors{also}",
        args.input.display(),
        outcome.from.name,
        args.output.display(),
        outcome.to.name,
        outcome.report.sectors
    )?;
    if args.verify {
        return crate::cmd::compare::verify_conversion(
            input,
            &args.output,
            args.write.allow_lossy,
            context,
            out,
        );
    }
    Ok(Status::Success)
}

/// What `convert` and `create` share: the output and how to write it.
pub(crate) struct Written<'a> {
    pub output: &'a Path,
    pub to: Option<String>,
    pub force: bool,
    pub sync: bool,
    pub write: &'a WriteArgs,
}

impl Written<'_> {
    /// Runs `write` with these options and progress shown as `doing` (in sectors of
    /// `sector_bytes`), says the warnings and the losses `--allow-lossy` let through, and returns
    /// the outcome with the "; also wrote …" the result line ends with (the files written beside
    /// OUTPUT: track BINs, WAVs, `.bin.ecm`).
    pub fn run(
        self,
        context: &Context,
        doing: &str,
        sector_bytes: u64,
        write: impl FnOnce(&discus::ConvertOptions<'_>) -> discus::Result<discus::Outcome>,
    ) -> anyhow::Result<(discus::Outcome, String)> {
        let preset = self.write.preset()?;
        let progress = Progress::new(context.quiet, doing);
        let report = |done: u64, total: u64| progress.update(done, total, sector_bytes);
        let options = discus::ConvertOptions {
            to: self.to,
            force: self.force,
            durable: self.sync,
            write: self.write.write_options(context.threads)?,
            preset: preset.as_ref(),
            progress: Some(&report),
            cancel: Some(&CANCEL),
            // One conversion: nothing of a run to protect.
            run: None,
        };
        let result = write(&options);
        progress.finish();
        let outcome = result?;
        for warning in &outcome.warnings {
            context.warn(warning);
        }
        for loss in &outcome.losses {
            context.warn(&format!("lost (allowed by --allow-lossy): {loss}"));
        }
        let beside: Vec<String> = outcome
            .report
            .outputs
            .iter()
            .filter(|path| *path != self.output)
            .map(|path| path.display().to_string())
            .collect();
        let also = match beside.is_empty() {
            true => String::new(),
            false => format!("; also wrote {}", beside.join(", ")),
        };
        Ok((outcome, also))
    }
}
