//! The conversion matrix: every sample disc to every format discus writes and back. Where the
//! target holds the disc, every sector comes back; where it cannot, the conversion is refused
//! before writing with a message naming what would be lost, and goes through with --allow-lossy.
//! The table prints with `cargo test matrix -- --nocapture`.

use std::path::{Path, PathBuf};

use discus::core::{Check, Form, read_sectors};
use discus::{ConvertOptions, WriteOptions};
use discus_tests::{files_below, listing, samples};

/// One sample image per disc: sheets and single-file images, not the data files of a sheet.
fn sample_discs() -> Vec<PathBuf> {
    let mut discs = Vec::new();
    let mut data_files = Vec::new();
    for path in files_below(&samples()) {
        if path
            .components()
            .any(|c| c.as_os_str() == "bad" || c.as_os_str() == "recipes")
        {
            continue;
        }
        let Ok(opened) = discus::open(&path) else {
            continue;
        };
        let files = opened.source.files();
        if files.first() == Some(&path) {
            data_files.extend(files.into_iter().skip(1));
            discs.push(path);
        }
    }
    discs.retain(|d| !data_files.contains(d));
    discs
}

/// Whether an image holds a subchannel read from its source (not one generated from the layout).
fn stored_subchannel(path: &Path) -> bool {
    discus::open(path)
        .is_ok_and(|o| o.source.disc().subchannel == Some(discus::core::Subchannel::Stored))
}

/// The layout (number, start, length of each track) and the sectors of each track.
type Tracks = (Vec<(u8, i32, u32)>, Vec<Vec<u8>>);

/// The body of every track as raw bytes (with the subchannel when `subchannel`), and the layout.
fn sectors(path: &Path, subchannel: bool) -> Tracks {
    let form = if subchannel { Form::RawSub } else { Form::Raw };
    let mut source = discus::open(path).expect("open").source;
    let disc = source.disc().clone();
    let mut data = Vec::new();
    for (index, track) in disc.tracks().enumerate() {
        let count = track.length as usize;
        let mut buf = vec![0u8; count * form.size()];
        read_sectors(
            &mut *source,
            index,
            track.start,
            count,
            form,
            &mut buf,
            &mut Vec::new(),
            &mut Check::default(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        data.push(buf);
    }
    let layout = disc
        .tracks()
        .map(|t| (t.number, t.start.0, t.length))
        .collect();
    (layout, data)
}

fn convert(input: &Path, output: &Path, allow_lossy: bool) -> discus::Result<discus::Outcome> {
    let options = ConvertOptions {
        write: WriteOptions {
            allow_lossy,
            ..WriteOptions::default()
        },
        ..ConvertOptions::default()
    };
    discus::convert(input, output, &options)
}

#[test]
fn every_sample_converts_to_every_format_and_back_or_is_refused_before_writing() {
    let discs = sample_discs();
    assert!(discs.len() >= 5, "too few sample discs: {discs:?}");
    let writers: Vec<_> = discus::formats()
        .iter()
        .filter(|f| f.writer.is_some())
        .collect();
    let mut table = vec![format!(
        "| sample | {} |",
        writers
            .iter()
            .map(|w| w.name)
            .collect::<Vec<_>>()
            .join(" | ")
    )];
    table.push(format!("|---|{}", "---|".repeat(writers.len())));
    let mut failures = Vec::new();
    for disc in &discs {
        let from = discus::probe(disc).expect("probe");
        let name = disc
            .strip_prefix(samples())
            .unwrap_or(disc)
            .display()
            .to_string();
        let with_sub = stored_subchannel(disc);
        let original = sectors(disc, false);
        let mut row = vec![name.clone()];
        for writer in &writers {
            let dir = tempfile::tempdir().expect("temp dir");
            let there = dir.path().join(format!("there.{}", writer.extensions[0]));
            let cell = match convert(disc, &there, false) {
                Ok(_) => {
                    // Back into the sample's own format, then compare every sector and the layout.
                    let back = dir.path().join(format!("back.{}", from.extensions[0]));
                    // Subchannel is compared too where the target keeps the stored one.
                    let sub_kept = with_sub && stored_subchannel(&there);
                    let same_sub = !sub_kept || sectors(&there, true) == sectors(disc, true);
                    // A format discus only reads (CDI) has no way back: the target is compared
                    // with the sample directly.
                    let round = match from.writer {
                        Some(_) => convert(&there, &back, false).map(|_| true),
                        None => Ok(false),
                    };
                    match round {
                        Ok(went_back)
                            if (!went_back || sectors(&back, false) == original)
                                && sectors(&there, false) == original
                                && same_sub =>
                        {
                            "kept"
                        }
                        Ok(_) => {
                            failures.push(format!(
                                "{name} -> {} -> {}: sectors or layout differ",
                                writer.name, from.name
                            ));
                            "DIFFERS"
                        }
                        Err(e) => {
                            failures
                                .push(format!("{name} -> {} -> {}: {e}", writer.name, from.name));
                            "FAILS BACK"
                        }
                    }
                }
                Err(discus::Error::Lossy { losses, .. }) => {
                    // Refused before writing: nothing may be there, and --allow-lossy goes through.
                    if !listing(dir.path()).is_empty() {
                        failures.push(format!(
                            "{name} -> {}: refused but left {:?}",
                            writer.name,
                            listing(dir.path())
                        ));
                    }
                    if losses.is_empty() {
                        failures.push(format!(
                            "{name} -> {}: refused without naming a loss",
                            writer.name
                        ));
                    }
                    match convert(disc, &there, true) {
                        Ok(_) => "lossy",
                        Err(e) => {
                            failures
                                .push(format!("{name} -> {} with --allow-lossy: {e}", writer.name));
                            "FAILS LOSSY"
                        }
                    }
                }
                Err(discus::Error::Unsupported { .. }) => "cannot hold",
                Err(e) => {
                    failures.push(format!("{name} -> {}: {e}", writer.name));
                    "FAILS"
                }
            };
            row.push(cell.to_string());
        }
        table.push(format!("| {} |", row.join(" | ")));
    }
    println!("{}", table.join("\n"));
    assert!(
        failures.is_empty(),
        "matrix failures:\n{}",
        failures.join("\n")
    );
}

/// The DVD and BD rows of the matrix (issue 12): what every writer does with a single-layer DVD
/// and a 25 GB BD, decided by its plan before anything is written (the sparse images are read
/// whole only by the round trips of `dvd.rs`). A writer either holds the disc as it is — the
/// same medium, every sector as 2048 bytes, nothing lost — or refuses it and says why.
#[test]
fn i12_2_every_writer_holds_or_refuses_a_dvd_and_a_bd() {
    use discus::core::Medium;
    let dir = tempfile::tempdir().expect("temp dir");
    let sample = std::fs::read(samples().join("iso").join("data.iso")).expect("sample");
    let mut table = vec![
        "| medium | writer | result |".to_string(),
        "|---|---|---|".to_string(),
    ];
    let mut cells = std::collections::BTreeMap::new();
    for (sectors, medium) in [(2_295_104u64, "DVD"), (12_219_392, "BD")] {
        let iso = dir.path().join(format!("{medium}.iso"));
        std::fs::write(&iso, &sample).expect("write");
        std::fs::File::options()
            .write(true)
            .open(&iso)
            .and_then(|f| f.set_len(sectors * 2048))
            .expect("sparse");
        let opened = discus::open(&iso).expect("open");
        assert_eq!(opened.source.disc().medium.name(), medium);
        for format in discus::formats() {
            let Some(writer) = format.writer else {
                continue;
            };
            let out = dir.path().join(format!("out.{}", format.extensions[0]));
            let options = WriteOptions::default();
            let result = (writer.plan)(&*opened.source, &options)
                .and_then(|plan| discus::core::plan::check(&plan, &options, &out).map(|_| plan));
            let cell = match result {
                Ok(plan) => {
                    let whole = plan.disc.medium == opened.source.disc().medium
                        && plan.tracks.iter().all(|t| t.form == Form::Cooked)
                        && plan.losses.is_empty()
                        && plan.total_sectors() == sectors;
                    assert!(whole, "{medium} -> {}: {plan:?}", format.name);
                    assert_ne!(plan.disc.medium, Medium::Cd);
                    "holds"
                }
                Err(discus::Error::Unsupported { message, .. }) => {
                    assert!(
                        message.contains("only") && message.contains("ISO"),
                        "{}: {message}",
                        format.name
                    );
                    if message.contains("CDs only") {
                        "refused: CDs only"
                    } else {
                        "refused: CDs and DVDs only"
                    }
                }
                // DAX keeps its size in 32 bits.
                Err(discus::Error::Usage(message)) if format.name == "dax" => {
                    assert!(message.contains("32 bits"), "{message}");
                    "refused: over 4 GiB"
                }
                Err(e) => panic!("{medium} -> {}: {e}", format.name),
            };
            assert!(listing(dir.path()).iter().all(|f| !f.starts_with("out")));
            cells.insert((medium, format.name), cell);
            table.push(format!("| {medium} | {} | {cell} |", format.name));
        }
    }
    println!("{}", table.join("\n"));
    for (medium, writer, expected) in [
        ("DVD", "iso", "holds"),
        ("DVD", "img", "holds"),
        ("DVD", "cso", "holds"),
        ("DVD", "zso", "holds"),
        ("DVD", "mds", "holds"),
        ("DVD", "nrg", "holds"),
        ("DVD", "dax", "refused: over 4 GiB"),
        ("DVD", "cue", "refused: CDs only"),
        ("DVD", "ccd", "refused: CDs only"),
        ("BD", "iso", "holds"),
        ("BD", "cso", "holds"),
        ("BD", "zso", "holds"),
        ("BD", "mds", "refused: CDs and DVDs only"),
        ("BD", "nrg", "refused: CDs and DVDs only"),
        ("BD", "cue", "refused: CDs only"),
    ] {
        if let Some(cell) = cells.get(&(medium, writer)) {
            assert_eq!(*cell, expected, "{medium} -> {writer}");
        }
    }
}
