//! `discus mount IMAGE DIR`: the image, read-only, as `DIR/image.iso` (and `image.bin` +
//! `image.cue` when the ISO alone does not hold the disc), computed on demand. Serves in the
//! foreground until Ctrl-C, SIGTERM or `discus unmount DIR`; `--background` runs the same command
//! detached and returns once the mount is there.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};
use discus_mount::{Image, Options, Settings};

use crate::batch::archive::parse_size;
use crate::{CANCEL, Context, Status};

/// Arguments of `mount`.
#[derive(clap::Args)]
pub struct Args {
    /// The image (any format discus reads).
    pub image: PathBuf,
    /// The folder to show it in (it must exist).
    pub dir: PathBuf,
    /// Memory for decoded blocks, all readers together (K, M, G).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub cache: u64,
    /// The tree `DIR/files/` shows: rr, udf, joliet, iso1999 or iso (default: the best the disc
    /// has, as `discus ls` chooses).
    #[arg(long, value_name = "TREE", value_parser = crate::cmd::ls::parse_tree)]
    pub fs: Option<discus::fs::TreeKind>,
    /// Return once mounted, serving in the background until `discus unmount DIR`.
    #[arg(long)]
    pub background: bool,
    /// Set on the detached process `--background` starts: it reports to its starter on stdout.
    #[arg(long, hide = true)]
    pub detached: bool,
}

/// The device checked before mounting, replaceable only to test the advice given without one.
const DEVICE_VARIABLE: &str = "DISCUS_FUSE_DEVICE";

/// What the detached process tells the one that started it, one line each.
const FILE: &str = "file: ";
const NOTE: &str = "note: ";
const ERROR: &str = "error: ";
const MOUNTED: &str = "mounted";

/// Runs `mount`.
pub fn run(args: Args, context: &Context, out: &mut dyn Write) -> anyhow::Result<Status> {
    if args.background && !args.detached {
        return start_detached(&args, context, out);
    }
    let options = Options {
        cache: args.cache,
        sources: discus::WriteOptions {
            threads: context.threads,
            ..Default::default()
        }
        .thread_count(),
        tree: args.fs,
    };
    let settings = Settings {
        threads: options.sources.max(4),
        device: std::env::var_os(DEVICE_VARIABLE)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(discus_mount::FUSE_DEVICE)),
    };
    let mounted = Image::open(&args.image, &options).and_then(|image| {
        let mounted = discus_mount::mount(&image, &args.dir, &settings)?;
        Ok((image, mounted))
    });
    let (image, mounted) = match mounted {
        Ok(both) => both,
        Err(error) => {
            if args.detached {
                writeln!(out, "{ERROR}{error}")?;
            }
            return Err(error.into());
        }
    };
    let mut files: Vec<PathBuf> = image
        .files
        .iter()
        .map(|f| mounted.dir().join(&f.name))
        .collect();
    if image.disc.is_some() {
        files.push(mounted.dir().join(discus_mount::image::FILES));
    }
    let notes: Vec<&String> = image.notes.iter().chain(mounted.left_out()).collect();
    if args.detached {
        for file in &files {
            writeln!(out, "{FILE}{}", file.display())?;
        }
        for note in &notes {
            writeln!(out, "{NOTE}{note}")?;
        }
        writeln!(out, "{MOUNTED}")?;
        // The starter returns on this line; nothing is written to stdout after it.
        out.flush()?;
    } else {
        for file in &files {
            writeln!(out, "{}", file.display())?;
        }
        out.flush()?;
        for note in &notes {
            context.warn(note);
        }
        if !context.quiet {
            eprintln!(
                "discus: serving {} at {}; Ctrl-C or `discus unmount {}` unmounts",
                args.image.display(),
                mounted.dir().display(),
                mounted.dir().display()
            );
        }
    }
    mounted.serve_until(&CANCEL)?;
    Ok(Status::Success)
}

/// Starts this command again, detached (its own process group, no terminal, working folder `/`
/// so it keeps no folder busy), and returns once it says the mount is there or why it is not.
fn start_detached(args: &Args, context: &Context, out: &mut dyn Write) -> anyhow::Result<Status> {
    let absolute =
        |path: &Path| std::path::absolute(path).with_context(|| format!("{}", path.display()));
    let exe = std::env::current_exe().context("finding the discus program to run detached")?;
    let mut child = Command::new(exe)
        .arg("--threads")
        .arg(context.threads.to_string())
        .arg("mount")
        .arg(absolute(&args.image)?)
        .arg(absolute(&args.dir)?)
        .arg("--cache")
        .arg(args.cache.to_string())
        .args(args.fs.iter().flat_map(|kind| ["--fs", kind.name()]))
        .arg("--detached")
        .current_dir("/")
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting the detached mount")?;
    let Some(report) = child.stdout.take() else {
        bail!("the detached mount has no output to report on");
    };
    for line in BufReader::new(report).lines() {
        let line = line.context("reading what the detached mount reports")?;
        if let Some(file) = line.strip_prefix(FILE) {
            writeln!(out, "{file}")?;
        } else if let Some(note) = line.strip_prefix(NOTE) {
            context.warn(note);
        } else if let Some(error) = line.strip_prefix(ERROR) {
            let _ = child.wait();
            bail!("{error}");
        } else if line == MOUNTED {
            return Ok(Status::Success);
        }
    }
    let status = child.wait().context("waiting for the detached mount")?;
    bail!("the detached mount ended ({status}) before mounting")
}
