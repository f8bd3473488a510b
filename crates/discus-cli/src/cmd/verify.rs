//! `discus verify IMAGE`: checks every stored raw sector (sync, header, EDC, ECC) and prints the
//! Redump hashes (CRC32, MD5, SHA-1) of each track and of the whole image; with `--dat`, names
//! the matching game. Exit 1 on a bad sector or a DAT mismatch.

use std::io::Write;
use std::path::PathBuf;

use discus::dat::Dat;
use discus::verify::{Digests, SectorFault, Verification};
use serde_json::{Value, json};

use crate::progress::Progress;
use crate::{CANCEL, Context, Status};

/// Arguments of `verify`.
#[derive(clap::Args)]
pub struct Args {
    /// The image (any format discus reads).
    pub image: PathBuf,
    /// A Redump or No-Intro DAT (Logiqx XML) to identify the image by.
    #[arg(long, value_name = "FILE")]
    pub dat: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

const FAULTS: [SectorFault; 4] = [
    SectorFault::Sync,
    SectorFault::Header,
    SectorFault::Edc,
    SectorFault::Ecc,
];

fn digests_json(d: &Digests) -> Value {
    json!({"size": d.size, "crc32": d.crc32_hex(), "md5": d.md5_hex(), "sha1": d.sha1_hex()})
}

fn json_of(v: &Verification) -> Value {
    let tracks: Vec<Value> = v
        .tracks
        .iter()
        .map(|t| {
            let faults: serde_json::Map<String, Value> = FAULTS
                .iter()
                .map(|f| (f.name().to_string(), json!(t.errors.by_fault[*f as usize])))
                .collect();
            json!({
                "number": t.number,
                "mode": t.mode.name(),
                "stored_sector_size": t.stored.size(),
                "file": t.file,
                "digests": digests_json(&t.digests),
                "checked_sectors": t.errors.checked,
                "bad_sectors": t.errors.bad,
                "faults": faults,
                "first_bad": t.errors.first.iter().map(|(lba, f)| json!({"lba": lba.0, "fault": f.name()})).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "path": v.path,
        "format": v.format.name,
        "medium": v.medium.name(),
        "passed": v.passed(),
        "bad_sectors": v.bad_sectors(),
        "tracks": tracks,
        "image": digests_json(&v.image),
        "cue": v.cue.as_ref().map(|(name, d)| json!({"file": name, "digests": digests_json(d)})),
        "iso": v.iso.as_ref().map(|(name, d)| json!({"file": name, "digests": digests_json(d)})),
        "warnings": v.warnings,
        "stored_hashes": v.stored_hashes.iter().map(|h| json!({"name": h.name, "stored": h.stored, "computed": h.computed, "matches": h.matches()})).collect::<Vec<_>>(),
        "truncated": v.truncation.map(|t| json!({"volume_sectors": t.recorded, "image_sectors": t.held})),
        "dat": v.dat.as_ref().map(|d| json!({
            "game": d.game,
            "complete": d.complete,
            "tracks": d.tracks,
            "unmatched": d.unmatched,
        })),
    })
}

/// Runs `verify`.
pub fn run(args: Args, context: &Context, out: &mut dyn Write) -> anyhow::Result<Status> {
    let dat = args.dat.as_deref().map(Dat::open).transpose()?;
    let progress = Progress::new(context.quiet, "verifying");
    let report = |done: u64, total: u64| progress.update(done, total, 2352);
    let options = discus::VerifyOptions {
        dat: dat.as_ref(),
        progress: Some(&report),
        cancel: Some(&CANCEL),
    };
    let result = discus::verify(&args.image, &options);
    progress.finish();
    let v = result?;
    for warning in &v.warnings {
        context.warn(warning);
    }
    let status = if v.passed() {
        Status::Success
    } else {
        Status::Partial
    };
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&json_of(&v))?)?;
        return Ok(status);
    }
    writeln!(out, "image:  {} ({})", args.image.display(), v.format.name)?;
    writeln!(
        out,
        "{:>5} {:<8} {:>6} {:>9} {:>9} {:>5}  {:<8} {:<32} {:<40} file",
        "track", "mode", "stored", "bytes", "checked", "bad", "crc32", "md5", "sha1"
    )?;
    for t in &v.tracks {
        writeln!(
            out,
            "{:>5} {:<8} {:>6} {:>9} {:>9} {:>5}  {:<8} {:<32} {:<40} {}",
            t.number,
            t.mode.name(),
            t.stored.name(),
            t.digests.size,
            t.errors.checked,
            t.errors.bad,
            t.digests.crc32_hex(),
            t.digests.md5_hex(),
            t.digests.sha1_hex(),
            t.file
        )?;
    }
    writeln!(
        out,
        "{:>5} {:<8} {:>6} {:>9} {:>9} {:>5}  {:<8} {:<32} {:<40} {}",
        "all",
        "",
        "",
        v.image.size,
        v.tracks.iter().map(|t| t.errors.checked).sum::<u64>(),
        v.bad_sectors(),
        v.image.crc32_hex(),
        v.image.md5_hex(),
        v.image.sha1_hex(),
        if v.medium.is_cd() {
            "(all tracks in one BIN)"
        } else {
            "(the ISO: a DVD or BD is its 2048-byte sectors)"
        }
    )?;
    match &v.cue {
        None if !v.medium.is_cd() => {
            writeln!(out, "cue:    none (a {} has no cue sheet)", v.medium.name())?
        }
        Some((name, d)) => writeln!(
            out,
            "cue:    {name} {} bytes crc32 {} md5 {} sha1 {}",
            d.size,
            d.crc32_hex(),
            d.md5_hex(),
            d.sha1_hex()
        )?,
        None => writeln!(out, "cue:    not hashed (tracks only)")?,
    }
    if let Some((name, d)) = &v.iso {
        writeln!(
            out,
            "iso:    {name} {} bytes crc32 {} md5 {} sha1 {}",
            d.size,
            d.crc32_hex(),
            d.md5_hex(),
            d.sha1_hex()
        )?;
    }
    for t in v.tracks.iter().filter(|t| t.errors.bad > 0) {
        let kinds: Vec<String> = FAULTS
            .iter()
            .filter(|f| t.errors.by_fault[**f as usize] > 0)
            .map(|f| format!("{} {}", f.name(), t.errors.by_fault[*f as usize]))
            .collect();
        let first: Vec<String> = t
            .errors
            .first
            .iter()
            .map(|(lba, f)| format!("{} ({})", lba, f.name()))
            .collect();
        writeln!(
            out,
            "sector errors: track {}: {} bad sector(s) ({}); first at LBA {}",
            t.number,
            t.errors.bad,
            kinds.join(", "),
            first.join(", ")
        )?;
    }
    for hash in &v.stored_hashes {
        let verdict = if hash.matches() {
            "matches".to_string()
        } else {
            format!(
                "DIFFERS: stored {}, contents give {}",
                hash.stored, hash.computed
            )
        };
        writeln!(out, "stored: {} {} {verdict}", hash.name, hash.computed)?;
    }
    if let Some(truncation) = &v.truncation {
        writeln!(out, "check:  {truncation}")?;
    }
    if let Some(d) = &v.dat {
        match (&d.game, d.complete) {
            (Some(game), true) => writeln!(out, "dat:    matches \"{game}\"")?,
            (Some(game), false) => {
                writeln!(
                    out,
                    "dat:    closest game \"{game}\", but not all tracks match"
                )?;
                for (t, matched) in v.tracks.iter().zip(&d.tracks) {
                    match matched {
                        Some(name) => writeln!(out, "        track {} = {name}", t.number)?,
                        None => writeln!(out, "        track {} matches nothing", t.number)?,
                    }
                }
                for name in &d.unmatched {
                    writeln!(out, "        {name}: no track matches it")?;
                }
            }
            (None, _) => writeln!(out, "dat:    no game of the DAT matches any track")?,
        }
    }
    writeln!(out, "result: {}", if v.passed() { "ok" } else { "FAILED" })?;
    Ok(status)
}
