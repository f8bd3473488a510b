//! `discus extract IMAGE [PATH…] -o DIR`: writes the files inside an image (all, or the chosen
//! files and folders) into a folder, dates and modes kept, each file atomically, never outside the
//! folder (see `discus::fs::extract` for the rules).

use std::io::Write;
use std::path::PathBuf;

use discus::fs::TreeKind;
use discus::fs::extract::{Event, Options, extract};

use crate::cmd::ls::parse_tree;
use crate::{Context, Status};

/// Arguments of `extract`.
#[derive(clap::Args)]
pub struct Args {
    /// The image (any format discus reads).
    pub image: PathBuf,
    /// Files or folders inside the image (default: everything).
    pub paths: Vec<String>,
    /// The folder to write into (made if missing).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: PathBuf,
    /// The tree to read: rr, udf, joliet, iso1999 or iso (default: the best the disc has).
    #[arg(long, value_name = "TREE", value_parser = parse_tree)]
    pub fs: Option<TreeKind>,
    /// The volume to read on a PS2 dual-layer disc: 0 (layer 0) or 1 (layer 1's own volume).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub layer: usize,
    /// Replace files that exist.
    #[arg(long)]
    pub force: bool,
    /// Create symbolic links that point outside the output folder (refused by default).
    #[arg(long)]
    pub outside_links: bool,
    /// Print each entry written.
    #[arg(long, short)]
    pub verbose: bool,
}

/// Runs `extract`.
pub fn run(args: Args, context: &Context, out: &mut dyn Write) -> anyhow::Result<Status> {
    let opened = discus::open(&args.image)?;
    let inputs = opened.source.files();
    let mut image = discus::fs::Image::open(opened.source, &args.image)?;
    image.set_layer(args.layer)?;
    let tree = image.tree(args.fs)?;
    for warning in &tree.warnings {
        context.warn(warning);
    }
    let options = Options {
        force: args.force,
        outside_links: args.outside_links,
        inputs,
    };
    let mut written = Vec::new();
    let summary = extract(
        &mut image,
        &tree,
        &args.paths,
        &args.output,
        &options,
        &mut |event| match event {
            Event::Written(path) => written.push(path),
            Event::Skipped(path, why) => context.warn(&format!("{path}: skipped: {why}")),
            Event::Failed(path, error) => eprintln!("discus: error: {path}: {error}"),
        },
    )?;
    if args.verbose {
        for path in &written {
            writeln!(out, "{path}")?;
        }
    }
    if !context.quiet {
        eprintln!(
            "discus: {} file(s), {} folder(s), {} link(s), {} bytes from the {} tree into {}{}",
            summary.files,
            summary.folders,
            summary.links,
            summary.bytes,
            tree.kind.name(),
            args.output.display(),
            match (summary.skipped, summary.failed) {
                (0, 0) => String::new(),
                (s, f) => format!("; {s} skipped, {f} failed"),
            }
        );
    }
    Ok(if summary.failed > 0 {
        Status::Partial
    } else {
        Status::Success
    })
}
