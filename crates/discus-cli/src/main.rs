//! `discus`: convert CD disc images between formats.
//!
//! Results go to stdout, progress and warnings to stderr. Exit codes: 0 success, 1 some items
//! failed or a check found a mismatch, 2 a usage error or a fatal error. A closed stdout (a pipe
//! into `head`) ends the program quietly.

mod batch;
mod cmd;
mod progress;

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser, Subcommand};

/// Set by Ctrl-C, SIGTERM or SIGHUP; conversions check it between batches and stop, leaving no
/// output.
pub static CANCEL: AtomicBool = AtomicBool::new(false);

/// Convert CD disc images between ISO, BIN/CUE, CSO/ZSO/DAX and raw IMG.
#[derive(Parser)]
#[command(name = "discus", version, about, propagate_version = true)]
struct Cli {
    /// Print nothing but results and errors.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Threads for work that runs in parallel (compression); default: one per core, at most
    /// four per core.
    #[arg(long, global = true, value_name = "N", default_value_t = 0)]
    threads: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert an image to another format.
    Convert(cmd::convert::Args),
    /// Show the layout of an image.
    Info(cmd::info::Args),
    /// List the formats discus reads and writes.
    Formats(cmd::formats::Args),
    /// Convert many images: files, folders and archives, in parallel and resumably.
    Batch(cmd::batch::Args),
    /// Check every sector of an image and print its Redump hashes.
    Verify(cmd::verify::Args),
    /// Compare two images sector by sector.
    Compare(cmd::compare::Args),
    /// List the files inside an image (ISO 9660, Joliet, Rock Ridge, UDF).
    Ls(cmd::ls::Args),
    /// Extract the files inside an image into a folder.
    Extract(cmd::extract::Args),
    /// Create an image (ISO 9660, Rock Ridge, Joliet, UDF, El Torito) from a folder.
    Create(cmd::create::Args),
    /// Show an image, read-only, as image.iso (and image.bin + image.cue) in a folder (FUSE).
    #[cfg(all(feature = "mount", target_os = "linux"))]
    Mount(cmd::mount::Args),
    /// End a `discus mount`.
    #[cfg(all(feature = "mount", target_os = "linux"))]
    Unmount(cmd::unmount::Args),
}

/// What every command gets besides its own arguments.
pub struct Context {
    /// `--quiet`.
    pub quiet: bool,
    /// `--threads`.
    pub threads: usize,
}

impl Context {
    /// Prints a warning on stderr unless quiet.
    pub fn warn(&self, message: &str) {
        if !self.quiet {
            eprintln!("discus: warning: {message}");
        }
    }
}

/// How a command ended, when it did not fail outright.
pub enum Status {
    /// Everything succeeded.
    Success,
    /// Some items failed or a check found a mismatch.
    Partial,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The "termination" feature makes this handler take SIGTERM and SIGHUP too: a batch stopped by
    // a job runner or a closed terminal cleans up like one stopped with Ctrl-C.
    let _ = ctrlc::set_handler(|| CANCEL.store(true, Ordering::Relaxed));
    let mut context = Context {
        quiet: cli.quiet,
        threads: cli.threads,
    };
    // Past a few threads per core only switching grows: 5,000 turned 0.01 s into 40 s.
    let most = discus::core::format::max_threads();
    if context.threads > most {
        context.warn(&format!(
            "--threads {} is more than this machine can use; using {most} (four per core)",
            context.threads
        ));
        context.threads = most;
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let result = match cli.command {
        Command::Convert(args) => cmd::convert::run(args, &context, &mut out),
        Command::Info(args) => cmd::info::run(args, &context, &mut out),
        Command::Formats(args) => cmd::formats::run(args, &context, &mut out),
        Command::Batch(args) => cmd::batch::run(args, &context, &mut out),
        Command::Verify(args) => cmd::verify::run(args, &context, &mut out),
        Command::Compare(args) => cmd::compare::run(args, &context, &mut out),
        Command::Ls(args) => cmd::ls::run(args, &context, &mut out),
        Command::Extract(args) => cmd::extract::run(args, &context, &mut out),
        Command::Create(args) => cmd::create::run(args, &context, &mut out),
        #[cfg(all(feature = "mount", target_os = "linux"))]
        Command::Mount(args) => cmd::mount::run(args, &context, &mut out),
        #[cfg(all(feature = "mount", target_os = "linux"))]
        Command::Unmount(args) => cmd::unmount::run(args, &context, &mut out),
    };
    let result = result.and_then(|status| {
        out.flush()?;
        Ok(status)
    });
    match result {
        Ok(Status::Success) => ExitCode::SUCCESS,
        Ok(Status::Partial) => ExitCode::from(1),
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("discus: error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        let kind = e
            .downcast_ref::<io::Error>()
            .map(io::Error::kind)
            .or_else(|| {
                e.downcast_ref::<discus::Error>()
                    .and_then(discus::Error::io_kind)
            });
        kind == Some(io::ErrorKind::BrokenPipe)
    })
}
