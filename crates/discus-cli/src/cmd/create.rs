//! `discus create DIR OUTPUT`: an image of a folder — ISO 9660 level 3 with Rock Ridge and Joliet,
//! optionally a UDF bridge and El Torito boot entries — written straight into any format discus
//! writes (`out.iso`, `out.cso`, `out.chd`, `out.cue` …) through the same writers as `convert`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::bail;

use discus::fs::write::UdfRevision;

use crate::cmd::write_args::WriteArgs;
use crate::{Context, Status};

/// Arguments of `create`.
#[derive(clap::Args)]
pub struct Args {
    /// The folder to write (links inside it are stored as links, never followed).
    pub dir: PathBuf,
    /// The image to write; its extension says the format (iso, cso, zso, chd, cue …).
    pub output: PathBuf,
    /// The volume label (default: the folder's name).
    #[arg(long, value_name = "LABEL")]
    pub label: Option<String>,
    /// Also write a UDF tree over the same file data: UDF 1.02 (as `genisoimage -udf`), or
    /// `--udf=2.01`.
    #[arg(long, value_name = "REV", num_args = 0..=1, require_equals = true,
          default_missing_value = "1.02", value_parser = parse_udf)]
    pub udf: Option<UdfRevision>,
    /// Leave out the Joliet tree.
    #[arg(long)]
    pub no_joliet: bool,
    /// A file of the folder (path inside it) to boot by BIOS: no emulation, 4 sectors loaded,
    /// with a boot-info table computed into the image's copy (the file itself is not changed).
    #[arg(long, value_name = "PATH")]
    pub boot: Option<String>,
    /// A file of the folder (path inside it) to boot by UEFI: an EFI system partition image.
    #[arg(long, value_name = "PATH")]
    pub efi: Option<String>,
    /// The volume's date, for the same bytes each run: seconds since 1970, or
    /// YYYY-MM-DD[THH:MM:SS] in UTC. File times later than it are written as it. Default:
    /// SOURCE_DATE_EPOCH when set, else now.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub date: Option<i64>,
    /// The output format, if OUTPUT's extension does not say it.
    #[arg(long, value_name = "FORMAT")]
    pub to: Option<String>,
    /// Replace OUTPUT if it exists.
    #[arg(long, short)]
    pub force: bool,
    /// Flush the output to the disk before it takes its name.
    #[arg(long)]
    pub sync: bool,
    /// How to write the output.
    #[command(flatten)]
    pub write: WriteArgs,
}

fn parse_udf(text: &str) -> Result<UdfRevision, String> {
    UdfRevision::from_name(text).ok_or_else(|| format!("{text}: UDF 1.02 or 2.01"))
}

/// Parses `--date`: seconds since 1970, or a UTC date with an optional time.
pub fn parse_date(text: &str) -> Result<i64, String> {
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    let bad = || format!("{text}: not seconds since 1970 nor YYYY-MM-DD[THH:MM:SS]");
    let (date, time) = text.split_once(['T', ' ']).unwrap_or((text, "00:00:00"));
    let numbers =
        |s: &str, sep: char| -> Option<Vec<u32>> { s.split(sep).map(|p| p.parse().ok()).collect() };
    let d = numbers(date, '-')
        .filter(|d| d.len() == 3)
        .ok_or_else(bad)?;
    let t = numbers(time.trim_end_matches('Z'), ':')
        .filter(|t| t.len() == 3 || t.len() == 2)
        .ok_or_else(bad)?;
    discus::fs::Timestamp::from_civil(
        i64::from(d[0]),
        d[1],
        d[2],
        t[0],
        t[1],
        t.get(2).copied().unwrap_or(0),
        0,
    )
    .map(|t| t.0)
    .ok_or_else(bad)
}

/// Runs `create`.
pub fn run(args: Args, context: &Context, out: &mut dyn Write) -> anyhow::Result<Status> {
    if !args.dir.is_dir() {
        bail!("{}: is not a folder", args.dir.display());
    }
    let to = args
        .write
        .format_for_output(args.to.as_deref(), &args.output)?;
    let date = match args.date {
        Some(date) => Some(date),
        None => discus::fs::write::source_date_epoch()?,
    };
    let label = args.label.clone().unwrap_or_else(|| {
        args.dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "CDROM".into())
    });
    let layout = discus::fs::write::Options {
        label,
        joliet: !args.no_joliet,
        udf: args.udf.is_some(),
        udf_revision: args.udf.unwrap_or_default(),
        boot: args.boot.clone(),
        efi: args.efi.clone(),
        date,
        exclude: Vec::new(),
    };
    let written = crate::cmd::convert::Written {
        output: &args.output,
        to,
        force: args.force,
        sync: args.sync,
        write: &args.write,
    };
    let (outcome, also) = written.run(context, "creating", 2048, |options| {
        discus::create(&args.dir, &args.output, &layout, options)
    })?;
    writeln!(
        out,
        "{} -> {} ({}): {} sectors{also}",
        args.dir.display(),
        args.output.display(),
        outcome.to.name,
        outcome.report.sectors
    )?;
    Ok(Status::Success)
}
