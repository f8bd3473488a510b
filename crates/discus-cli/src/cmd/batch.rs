//! `discus batch INPUT... --to FORMAT`: converts files, folders and archives, in parallel,
//! resumably, with a summary. The work is in `crate::batch`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, bail};

use std::sync::Arc;

use crate::batch::archive;
use crate::batch::naming::NameBy;
use crate::batch::shard::{self, ShardArg};
use crate::batch::{self, Options};
use crate::cmd::write_args::WriteArgs;
use crate::{CANCEL, Context, Status};

/// Arguments of `batch`.
#[derive(clap::Args)]
pub struct Args {
    /// Images, folders and .zip/.7z archives. A multi-file image (a .cue and its BINs) is one
    /// item; its data files are never converted on their own.
    #[arg(required_unless_present = "report", value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// The output format (may be left to a `--target` preset).
    #[arg(long, value_name = "FORMAT", required_unless_present_any = ["target", "report"])]
    pub to: Option<String>,
    /// Convert nothing: merge the journals of every shard in DIR (a shared --out-dir) into one
    /// summary; with INPUTs, also list the items no journal mentions yet. Exit code 0 when every
    /// item is finished and none failed, else 1.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Where outputs go, keeping each input's folder below its INPUT folder (default: beside
    /// each input). The journal is kept here too.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Also look in the subfolders of INPUT folders.
    #[arg(long, short)]
    pub recursive: bool,
    /// Items converted at once (default: one per core; more when cores wait on a network file
    /// system, 1 or 2 on a spinning disk).
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,
    /// Say what would be done and touch nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Skip items whose output exists (default: such items fail, unless --force).
    #[arg(long, conflicts_with = "force")]
    pub skip_existing: bool,
    /// Replace outputs that exist.
    #[arg(long, short)]
    pub force: bool,
    /// Re-read each output and compare it sector by sector with its input before counting it done.
    #[arg(long)]
    pub verify: bool,
    /// Delete each input once its output is verified and flushed to disk; implies --verify.
    /// Only files inside the INPUT folder (or the archive) that no other item reads are deleted.
    #[arg(long)]
    pub delete_source: bool,
    /// Flush each output to the disk before it takes its name, so it survives a power cut once
    /// reported done (always so with --delete-source; the journal says per item).
    #[arg(long)]
    pub sync: bool,
    /// Let a sheet (cue, mds, ccd) in a plain folder read files outside its INPUT folder. Never
    /// applies to sheets inside archives, and such files are never deleted.
    #[arg(long)]
    pub allow_outside_files: bool,
    /// The most one archive may expand to (K, M, G, T: powers of 1024); extraction also stops
    /// at the free space of the output folder.
    #[arg(long, value_name = "SIZE", default_value = "64G", value_parser = archive::parse_size)]
    pub max_extract: u64,
    /// One JSON event per line on stdout instead of text and bars.
    #[arg(long)]
    pub json: bool,
    /// Convert only the K-th of N slices of the items (K from 1), for splitting an archive over
    /// machines or array jobs without coordination; `auto` reads K and N from the job runner
    /// (Slurm array, Kubernetes Indexed Job, GNU parallel, GitLab parallel).
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<ShardArg>,
    /// N for `--shard auto` under a runner that does not say how many tasks there are
    /// (Kubernetes: the Job's completions; GNU parallel: the number of jobs).
    #[arg(long, value_name = "N", requires = "shard")]
    pub shard_count: Option<usize>,
    /// How outputs are named: `stem` keeps the input's name; `serial` names them by the serial
    /// the disc holds (PlayStation, PSP, Saturn, Sega CD, Dreamcast), a disc without one
    /// keeping its input's name.
    #[arg(long, value_name = "stem|serial", default_value = "stem", value_parser = ["stem", "serial"])]
    pub name: String,
    /// With `--name serial`: name a disc whose tracks match an entry of this DAT (Logiqx XML,
    /// as Redump publishes) by that entry's title. Reads each image whole once more.
    #[arg(long, value_name = "FILE")]
    pub dat: Option<PathBuf>,
    /// Format options, as `convert` takes them.
    #[command(flatten)]
    pub format: WriteArgs,
}

/// Runs `batch`.
pub fn run(args: Args, context: &Context, out: &mut dyn Write) -> anyhow::Result<Status> {
    if let Some(dir) = &args.report {
        let complete = batch::report(dir, &args.inputs, args.recursive, args.json, out)?;
        return Ok(if complete {
            Status::Success
        } else {
            Status::Partial
        });
    }
    let name = args
        .format
        .format_name(args.to.as_deref())?
        .ok_or_else(|| anyhow!("name the output format with --to or --target"))?;
    let to = discus::find(&name).ok_or_else(|| {
        let names: Vec<&str> = discus::formats()
            .iter()
            .filter(|f| f.writer.is_some())
            .map(|f| f.name)
            .collect();
        anyhow!(
            "unknown format '{name}'; discus writes {}",
            names.join(", ")
        )
    })?;
    if to.writer.is_none() {
        bail!("discus reads {} but does not write it", to.name);
    }
    if args.delete_source && args.format.allow_lossy {
        bail!(
            "--delete-source cannot go with --allow-lossy: an output that lost something cannot replace its input"
        );
    }
    let mut shard_from = None;
    let shard = match (args.shard, args.shard_count) {
        (None, _) => None,
        (Some(ShardArg::Fixed(fixed)), None) => Some(fixed),
        (Some(ShardArg::Fixed(fixed)), Some(_)) => {
            bail!("--shard-count goes with --shard auto; --shard {fixed} names its count already")
        }
        (Some(ShardArg::Auto), count) => {
            let (found, source) =
                shard::from_env(&|name| std::env::var(name).ok(), count).map_err(|e| anyhow!(e))?;
            if !context.quiet && !args.json {
                eprintln!("discus: batch: shard {found} (from {source})");
            }
            shard_from = Some(source);
            Some(found)
        }
    };
    let name = match (args.name.as_str(), &args.dat) {
        ("serial", dat) => NameBy::Serial {
            dat: match dat {
                Some(path) => Some(Arc::new(discus::Dat::open(path)?)),
                None => None,
            },
        },
        (_, Some(_)) => bail!("--dat names outputs by title with --name serial; add it"),
        _ => NameBy::Stem,
    };
    let cores = discus::core::format::cores();
    let jobs = match args.jobs {
        Some(0) => bail!("--jobs must be at least 1"),
        Some(n) => n,
        // One item per core, each with one compression thread: items × threads stays at the
        // cores, so shards sharing a node (or the user's other work) are not crowded out. A
        // disk- or network-bound archive can ask for more with --jobs.
        None => cores,
    };
    let options = Options {
        inputs: args.inputs,
        to,
        out_dir: args.out_dir,
        recursive: args.recursive,
        jobs,
        // Shared out by the run once it knows how many items run (`batch::schedule`).
        threads: context.threads,
        dry_run: args.dry_run,
        skip_existing: args.skip_existing,
        force: args.force,
        verify: args.verify || args.delete_source,
        delete_source: args.delete_source,
        json: args.json,
        shard,
        shard_from,
        write: args.format.write_options(context.threads)?,
        preset: args.format.preset()?,
        quiet: context.quiet,
        allow_outside_files: args.allow_outside_files,
        max_extract: args.max_extract,
        sync: args.sync,
        name,
    };
    let totals = batch::run(&options, &CANCEL, out)?;
    if totals.interrupted {
        bail!("interrupted; finished items are kept and recorded, a rerun does the rest");
    }
    Ok(if totals.failed > 0 {
        Status::Partial
    } else {
        Status::Success
    })
}
