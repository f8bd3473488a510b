//! `discus convert INPUT OUTPUT`: one image to another format.

use std::io::Write;
use std::path::PathBuf;

use crate::cmd::write_args::WriteArgs;
use crate::progress::Progress;
use crate::{CANCEL, Context, Status};

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
}

/// Runs `convert`.
pub fn run(args: Args, context: &Context, out: &mut dyn Write) -> anyhow::Result<Status> {
    let write = args.write.write_options(context.threads)?;
    let progress = Progress::new(context.quiet, "converting");
    let report = |done: u64, total: u64| progress.update(done, total, 2352);
    let options = discus::ConvertOptions {
        to: args.write.format_name(args.to.as_deref())?,
        force: args.force,
        durable: args.sync,
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
            args.write.allow_lossy,
            context,
            out,
        );
    }
    Ok(Status::Success)
}
