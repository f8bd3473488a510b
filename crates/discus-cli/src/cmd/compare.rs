//! `discus compare A B`: compares two images in any formats, layout first, then sector by sector.
//! Exit 1 when they differ.

use std::io::Write;
use std::path::PathBuf;

use serde_json::json;

use crate::progress::Progress;
use crate::{CANCEL, Context, Status};

/// Arguments of `compare`.
#[derive(clap::Args)]
pub struct Args {
    /// The first image.
    pub a: PathBuf,
    /// The second image.
    pub b: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `compare`.
pub fn run(args: Args, context: &Context, out: &mut dyn Write) -> anyhow::Result<Status> {
    let progress = Progress::new(context.quiet, "comparing");
    let report = |done: u64, total: u64| progress.update(done, total, 2352);
    let options = discus::CompareOptions {
        progress: Some(&report),
        cancel: Some(&CANCEL),
        ..discus::CompareOptions::default()
    };
    let result = discus::compare(&args.a, &args.b, &options);
    progress.finish();
    let c = result?;
    let status = if c.identical() {
        Status::Success
    } else {
        Status::Partial
    };
    if args.json {
        let tracks: Vec<_> = c
            .tracks
            .iter()
            .map(|t| {
                json!({
                    "number": t.number,
                    "mode": t.mode.name(),
                    "compared_as": t.form.size(),
                    "first_lba": t.first.0,
                    "sectors": t.sectors,
                    "differing": t.differing,
                    "first_differing": t.named.iter().map(|l| l.0).collect::<Vec<_>>(),
                })
            })
            .collect();
        let value = json!({
            "a": args.a, "b": args.b,
            "a_format": c.a_format, "b_format": c.b_format,
            "identical": c.identical(),
            "layout": c.layout, "notes": c.notes,
            "differing_sectors": c.differing_sectors(),
            "tracks": tracks,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(status);
    }
    writeln!(out, "A: {} ({})", args.a.display(), c.a_format)?;
    writeln!(out, "B: {} ({})", args.b.display(), c.b_format)?;
    for line in &c.layout {
        writeln!(out, "layout: {line}")?;
    }
    for note in &c.notes {
        writeln!(out, "note:   {note}")?;
    }
    for t in &c.tracks {
        let named: Vec<String> = t.named.iter().map(|l| l.to_string()).collect();
        writeln!(
            out,
            "track {:>2} {:<8} compared as {}-byte sectors: {} sector(s), {} differ{}",
            t.number,
            t.mode.name(),
            t.form.size(),
            t.sectors,
            t.differing,
            if named.is_empty() {
                String::new()
            } else {
                format!(" (first at LBA {})", named.join(", "))
            }
        )?;
    }
    writeln!(out, "{}", c.summary())?;
    Ok(status)
}

/// `convert --verify`: compares a fresh output with its input; on a difference the output is
/// removed (it is not what the input holds) and the result is exit 1.
pub fn verify_conversion(
    input: &std::path::Path,
    output: &std::path::Path,
    allow_lossy: bool,
    context: &Context,
    out: &mut dyn Write,
) -> anyhow::Result<Status> {
    let progress = Progress::new(context.quiet, "verifying");
    let report = |done: u64, total: u64| progress.update(done, total, 2352);
    let options = discus::CompareOptions {
        allow_missing: allow_lossy,
        progress: Some(&report),
        cancel: Some(&CANCEL),
        ..discus::CompareOptions::default()
    };
    let result = discus::compare(input, output, &options);
    progress.finish();
    let comparison = match result {
        Ok(c) => c,
        Err(e) => {
            remove_image(output);
            return Err(anyhow::Error::new(e).context(format!(
                "verifying {} failed; it was removed",
                output.display()
            )));
        }
    };
    for note in &comparison.notes {
        context.warn(note);
    }
    if comparison.identical() {
        writeln!(out, "verified: {}", comparison.summary())?;
        return Ok(Status::Success);
    }
    remove_image(output);
    writeln!(
        out,
        "verification FAILED, {} removed: {}",
        output.display(),
        comparison.summary()
    )?;
    Ok(Status::Partial)
}

/// Removes an image and every file it is made of.
fn remove_image(path: &std::path::Path) {
    let files = discus::open(path)
        .map(|o| o.source.files())
        .unwrap_or_default();
    for file in files {
        let _ = std::fs::remove_file(file);
    }
    let _ = std::fs::remove_file(path);
}
