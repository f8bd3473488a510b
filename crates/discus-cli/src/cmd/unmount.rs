//! `discus unmount DIR`: ends a `discus mount` at DIR (the serving process then exits). Refuses a
//! folder where no discus mount is, and a busy mount unless `--lazy`.

use std::io::Write;
use std::path::PathBuf;

use crate::{Context, Status};

/// Arguments of `unmount`.
#[derive(clap::Args)]
pub struct Args {
    /// The folder a discus mount is at.
    pub dir: PathBuf,
    /// Detach the mount now even if a program has a file open there; the open files fail when
    /// the serving process ends.
    #[arg(long)]
    pub lazy: bool,
}

/// Runs `unmount`.
pub fn run(args: Args, _context: &Context, _out: &mut dyn Write) -> anyhow::Result<Status> {
    discus_mount::unmount(&args.dir, args.lazy)?;
    Ok(Status::Success)
}
