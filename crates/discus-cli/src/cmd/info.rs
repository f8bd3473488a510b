//! `discus info INPUT`: the format, sessions, tracks, sizes and ISO 9660 volume of an image.

use std::io::Write;
use std::path::PathBuf;

use discus::core::disc::CD_MAX_SECTORS;
use discus::core::{Lba, Medium};

use crate::{Context, Status};

/// Arguments of `info`.
#[derive(clap::Args)]
pub struct Args {
    /// The image.
    pub input: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The disc time of `lba`, only where a CD can have one: a DVD or BD has no MSF addresses,
/// and no CD address lies past 99:59:74.
fn msf(lba: Lba, medium: Medium) -> Option<String> {
    let on_a_cd = medium.is_cd() && u64::try_from(lba.0).map_or(true, |s| s < CD_MAX_SECTORS);
    on_a_cd.then(|| lba.to_absolute_msf().to_string())
}

/// Runs `info`.
pub fn run(args: Args, context: &Context, out: &mut dyn Write) -> anyhow::Result<Status> {
    let info = discus::info(&args.input)?;
    for warning in &info.warnings {
        context.warn(warning);
    }
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&json(&info))?)?;
        return Ok(Status::Success);
    }
    let disc = &info.disc;
    writeln!(out, "file:      {}", info.path.display())?;
    writeln!(
        out,
        "format:    {} ({})",
        info.format.name, info.format.description
    )?;
    writeln!(
        out,
        "size:      {} bytes in {} file(s)",
        info.bytes,
        info.files.len()
    )?;
    writeln!(out, "medium:    {}", disc.medium.name())?;
    if let Some(layer_break) = disc.medium.layer_break() {
        writeln!(
            out,
            "layers:    2, layer 1 from sector {layer_break} (byte {})",
            u64::from(layer_break) * 2048
        )?;
    }
    if let Some(lead_out) = disc.lead_out() {
        let at = match msf(lead_out, disc.medium) {
            Some(msf) => format!("LBA {lead_out} ({msf})"),
            // Sectors and bytes, the only addresses a DVD has.
            None => format!("sector {lead_out} ({} bytes)", i64::from(lead_out.0) * 2048),
        };
        writeln!(
            out,
            "layout:    {} session(s), {} track(s), lead-out at {at}",
            disc.sessions.len(),
            disc.track_count(),
        )?;
    }
    if let Some(catalog) = &disc.catalog {
        writeln!(out, "catalog:   {catalog}")?;
    }
    if let Some(title) = &disc.text.title {
        writeln!(out, "title:     {title}")?;
    }
    if let Some(performer) = &disc.text.performer {
        writeln!(out, "performer: {performer}")?;
    }
    if let Some(songwriter) = &disc.text.songwriter {
        writeln!(out, "songwriter: {songwriter}")?;
    }
    if let Some(sub) = disc.subchannel {
        writeln!(
            out,
            "subchannel: {}",
            match sub {
                discus::core::Subchannel::Stored => "stored",
                discus::core::Subchannel::Generated => "generated (not in the source)",
            }
        )?;
    }
    if let Some(volume) = &info.volume {
        writeln!(
            out,
            "volume:    \"{}\", {} blocks of {} bytes ({} bytes)",
            volume.label,
            volume.blocks,
            volume.block_size,
            volume.bytes()
        )?;
    }
    if let Some((start, layer1)) = info.volumes.as_ref().and_then(|v| v.layer1.as_ref()) {
        writeln!(
            out,
            "volume 2:  \"{}\", {} blocks from sector {start} (layer 1)",
            layer1.label, layer1.blocks
        )?;
    }
    if let Some(created) = info.volume.as_ref().and_then(|v| v.created.as_ref()) {
        // `YYYYMMDDHHMMSScc` as the descriptor writes it, shown as a date.
        let part = |from: usize, to: usize| created.get(from..to).unwrap_or("");
        writeln!(
            out,
            "created:   {}-{}-{} {}:{}:{}",
            part(0, 4),
            part(4, 6),
            part(6, 8),
            part(8, 10),
            part(10, 12),
            part(12, 14)
        )?;
    }
    if let Some(game) = &info.game {
        let mut text: Vec<String> = Vec::new();
        text.extend(game.platform.map(str::to_string));
        text.extend(game.serial.clone());
        text.extend(game.title.as_ref().map(|t| format!("\"{t}\"")));
        writeln!(out, "game:      {}", text.join(", "))?;
    }
    if let Some(truncation) = &info.truncation {
        writeln!(out, "{truncation}")?;
    }
    let width = info
        .details
        .iter()
        .map(|(l, _)| l.len() + 1)
        .max()
        .unwrap_or(0)
        .max(10);
    for (label, value) in &info.details {
        writeln!(out, "{:<width$} {value}", format!("{label}:"))?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:>5} {:>7} {:<8} {:>8} {:>8} {:>8} {:<16} {:<16} {:>6}",
        "track", "session", "mode", "start", "(msf)", "length", "pregap", "postgap", "stored"
    )?;
    for (index, track) in disc.tracks().enumerate() {
        let gap = |g: discus::core::Gap| {
            if g.sectors == 0 {
                "-".to_string()
            } else {
                format!(
                    "{} ({})",
                    g.sectors,
                    if g.stored { "stored" } else { "generated" }
                )
            }
        };
        writeln!(
            out,
            "{:>5} {:>7} {:<8} {:>8} {:>8} {:>8} {:<16} {:<16} {:>6}",
            track.number,
            disc.session_of(index).unwrap_or(1),
            track.mode.name(),
            track.start,
            msf(track.start, disc.medium).unwrap_or_else(|| "-".to_string()),
            track.length,
            gap(track.pregap),
            gap(track.postgap),
            info.stored.get(index).map(|f| f.name()).unwrap_or("?"),
        )?;
    }
    // The tracks' CD-TEXT, after the table so its columns stay narrow.
    let texts: Vec<_> = disc.tracks().filter(|t| !t.text.is_empty()).collect();
    if !texts.is_empty() {
        writeln!(out)?;
        writeln!(out, "{:>5} text", "track")?;
        for track in texts {
            let text = &track.text;
            let fields: Vec<String> = [
                ("title", &text.title),
                ("performer", &text.performer),
                ("songwriter", &text.songwriter),
            ]
            .into_iter()
            .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name} \"{v}\"")))
            .collect();
            writeln!(out, "{:>5} {}", track.number, fields.join(", "))?;
        }
    }
    Ok(Status::Success)
}

fn json(info: &discus::Info) -> serde_json::Value {
    let disc = &info.disc;
    let tracks: Vec<_> = disc
        .tracks()
        .enumerate()
        .map(|(index, t)| {
            serde_json::json!({
                "number": t.number,
                "session": disc.session_of(index),
                "mode": t.mode.name(),
                "start": t.start.0,
                "length": t.length,
                "pregap": { "sectors": t.pregap.sectors, "stored": t.pregap.stored },
                "postgap": { "sectors": t.postgap.sectors, "stored": t.postgap.stored },
                "indexes": t.indexes.iter().map(|i| serde_json::json!({"number": i.number, "lba": i.lba.0})).collect::<Vec<_>>(),
                "control": t.toc_control(),
                "isrc": t.isrc,
                "title": t.text.title,
                "performer": t.text.performer,
                "stored_sector_size": info.stored.get(index).map(|f| f.size()),
            })
        })
        .collect();
    serde_json::json!({
        "path": info.path,
        "format": info.format.name,
        "bytes": info.bytes,
        "files": info.files,
        "sessions": disc.sessions.len(),
        "medium": disc.medium.name(),
        "layer_break": disc.medium.layer_break(),
        "truncated": info.truncation.map(|t| serde_json::json!({"volume_sectors": t.recorded, "image_sectors": t.held})),
        "lead_out": disc.lead_out().map(|l| l.0),
        "catalog": disc.catalog,
        "title": disc.text.title,
        "performer": disc.text.performer,
        "subchannel": disc.subchannel.map(|s| format!("{s:?}").to_lowercase()),
        "volume": info.volume.as_ref().map(|v| serde_json::json!({
            "label": v.label,
            "system": v.system,
            "blocks": v.blocks,
            "block_size": v.block_size,
            "bytes": v.bytes(),
            "created": v.created,
        })),
        "game": info.game.as_ref().map(|g| serde_json::json!({
            "platform": g.platform,
            "serial": g.serial,
            "title": g.title,
            "boot": g.boot,
        })),
        "details": info.details.iter().map(|(k, v)| serde_json::json!({"label": k, "value": v})).collect::<Vec<_>>(),
        "warnings": info.warnings,
        "tracks": tracks,
    })
}
