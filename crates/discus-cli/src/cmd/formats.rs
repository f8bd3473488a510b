//! `discus formats`: what each format reads and writes, and what it can hold.

use std::io::Write;

use crate::{Context, Status};

/// Arguments of `formats`.
#[derive(clap::Args)]
pub struct Args {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

const CAPABILITY_NAMES: [&str; 7] = [
    "multi-track",
    "audio",
    "sessions",
    "subchannel",
    "raw-sectors",
    "metadata",
    "compressed",
];

fn capabilities(format: &discus::Format) -> Vec<&'static str> {
    let Some(writer) = format.writer else {
        return Vec::new();
    };
    let c = writer.capabilities;
    let flags = [
        c.multi_track,
        c.audio,
        c.sessions,
        c.subchannel,
        c.raw_sectors,
        c.metadata,
        c.compressed,
    ];
    CAPABILITY_NAMES
        .iter()
        .zip(flags)
        .filter(|(_, on)| *on)
        .map(|(name, _)| *name)
        .collect()
}

/// Runs `formats`.
pub fn run(args: Args, _: &Context, out: &mut dyn Write) -> anyhow::Result<Status> {
    let formats = discus::formats();
    if args.json {
        let list: Vec<_> = formats
            .iter()
            .map(|f| {
                serde_json::json!({
                    "name": f.name,
                    "description": f.description,
                    "extensions": f.extensions,
                    "reads": true,
                    "writes": f.writer.is_some(),
                    "capabilities": capabilities(f),
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        return Ok(Status::Success);
    }
    writeln!(
        out,
        "{:<6} {:<5} {:<6} {:<16} {:<62} description",
        "name", "read", "write", "extensions", "holds"
    )?;
    for f in formats {
        writeln!(
            out,
            "{:<6} {:<5} {:<6} {:<16} {:<62} {}",
            f.name,
            "yes",
            if f.writer.is_some() { "yes" } else { "no" },
            f.extensions.join(","),
            capabilities(f).join(","),
            f.description
        )?;
    }
    writeln!(out)?;
    writeln!(out, "presets (--target):")?;
    for name in discus::PRESETS {
        if let Some(preset) = discus::preset(name) {
            // Every format the preset writes, the one it writes by default first.
            writeln!(
                out,
                "  {name:<8} {:<9} {}",
                preset.format_names().replace(", ", ","),
                preset.reason
            )?;
        }
    }
    Ok(Status::Success)
}
