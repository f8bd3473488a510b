//! One item's work: extract it if it is an archive, convert each image, compare the output with
//! the input (`--verify`), record the outputs' hashes in the journal, delete the input
//! (`--delete-source`) — reporting each step as an event to the thread that draws the progress.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use serde_json::{Value, json};

use super::discover::{self, Item, Naming, Source, image_extensions};
use super::journal::{self, Journal, OutputRecord};
use super::{Action, Options, archive};

/// What a worker tells the reporting thread.
pub enum Event {
    /// Work on item `index` began, or moved on to another stage.
    Stage {
        /// The item.
        index: usize,
        /// `extracting`, `converting`, `verifying`, `hashing`.
        stage: &'static str,
    },
    /// Sectors done of the current stage.
    Progress {
        /// The item.
        index: usize,
        /// Sectors done.
        done: u64,
        /// Sectors in all.
        total: u64,
    },
    /// The item ended.
    Finished {
        /// The item.
        index: usize,
        /// How.
        result: ItemResult,
    },
}

/// How an item ended.
#[derive(Debug)]
pub enum ItemResult {
    /// Converted (and verified, if asked).
    Converted {
        /// Bytes of the input files.
        bytes_in: u64,
        /// Bytes of the output files.
        bytes_out: u64,
        /// The output files.
        outputs: Vec<PathBuf>,
        /// Whether the outputs were compared with the inputs.
        verified: bool,
        /// Input files deleted.
        deleted: Vec<PathBuf>,
        /// What the conversion left out or tolerated.
        warnings: Vec<String>,
        /// Time taken.
        seconds: f64,
    },
    /// Nothing to do.
    Skipped {
        /// Why.
        reason: String,
        /// Input files deleted (a verified item of an earlier run, with `--delete-source`).
        deleted: Vec<PathBuf>,
    },
    /// Failed; no output of it is left (an archive keeps the images that did convert).
    Failed {
        /// Why.
        error: String,
        /// Whether it was stopped by Ctrl-C.
        interrupted: bool,
    },
}

/// What every worker shares.
pub struct Shared<'a> {
    /// The run's options.
    pub options: &'a Options,
    /// The journal.
    pub journal: &'a Journal,
    /// Set by Ctrl-C.
    pub cancel: &'a AtomicBool,
}

/// One converted image.
struct Converted {
    inputs: Vec<PathBuf>,
    bytes_in: u64,
    outputs: Vec<OutputRecord>,
    warnings: Vec<String>,
}

enum ImageOutcome {
    Converted(Converted),
    Skipped(String),
}

fn bytes_of(files: &[PathBuf]) -> u64 {
    files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum()
}

/// A progress callback that sends at most a few events a second.
fn progress_sender(index: usize, events: &Sender<Event>) -> impl Fn(u64, u64) + Sync + '_ {
    let last = Mutex::new(None::<Instant>);
    move |done, total| {
        let mut last = match last.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let due = last.is_none_or(|t| t.elapsed() >= Duration::from_millis(100));
        if due || done == total {
            *last = Some(Instant::now());
            let _ = events.send(Event::Progress { index, done, total });
        }
    }
}

/// Removes the files of an output that failed its verification.
fn remove_output(output: &Path) {
    let files = discus::open(output)
        .map(|o| o.source.files())
        .unwrap_or_default();
    for file in files {
        let _ = std::fs::remove_file(file);
    }
    let _ = std::fs::remove_file(output);
}

/// Converts one image file to `output`, then verifies and hashes the output.
fn convert_image(
    shared: &Shared<'_>,
    index: usize,
    events: &Sender<Event>,
    input: &Path,
    output: &Path,
    force: bool,
    journal_entry: Option<(&str, &str)>,
) -> anyhow::Result<ImageOutcome> {
    let options = shared.options;
    let opened = discus::open(input)?;
    let inputs = opened.source.files();
    drop(opened);
    if inputs
        .iter()
        .any(|i| same_file::is_same_file(i, output).unwrap_or(false))
    {
        return Ok(ImageOutcome::Skipped(format!(
            "already {}",
            options.to.name
        )));
    }
    if options.skip_existing && output.exists() {
        return Ok(ImageOutcome::Skipped(format!(
            "{} exists",
            output.display()
        )));
    }
    if let Some((key, to)) = journal_entry {
        shared.journal.record(
            "started",
            key,
            to,
            json!({ "input": input, "output": output }),
        )?;
    }
    if let Some(folder) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).with_context(|| folder.display().to_string())?;
    }
    let _ = events.send(Event::Stage {
        index,
        stage: "converting",
    });
    let progress = progress_sender(index, events);
    let convert_options = discus::ConvertOptions {
        to: Some(options.to.name.to_string()),
        force,
        // A source is deleted on the strength of its output: that output must be on the disk.
        durable: options.delete_source,
        write: options.write.clone(),
        progress: Some(&progress),
        cancel: Some(shared.cancel),
    };
    let outcome = discus::convert(input, output, &convert_options)?;
    let mut warnings = outcome.warnings;
    warnings.extend(outcome.losses.iter().map(|l| format!("lost: {l}")));
    if options.verify {
        let _ = events.send(Event::Stage {
            index,
            stage: "verifying",
        });
        let compare_options = discus::CompareOptions {
            allow_missing: options.write.allow_lossy,
            progress: Some(&progress),
            cancel: Some(shared.cancel),
            ..discus::CompareOptions::default()
        };
        match discus::compare(input, output, &compare_options) {
            Ok(comparison) if comparison.identical() => {
                warnings.extend(comparison.notes);
            }
            Ok(comparison) => {
                remove_output(output);
                bail!(
                    "verification failed, output removed: {}",
                    comparison.summary()
                );
            }
            Err(discus::Error::Interrupted) => {
                // Not verified, so not kept: the next run converts it again.
                remove_output(output);
                return Err(discus::Error::Interrupted.into());
            }
            Err(e) => {
                remove_output(output);
                return Err(anyhow!(e).context("verification failed, output removed"));
            }
        }
    }
    let _ = events.send(Event::Stage {
        index,
        stage: "hashing",
    });
    let mut files = discus::open(output)
        .map(|o| o.source.files())
        .unwrap_or_default();
    if !files
        .iter()
        .any(|f| same_file::is_same_file(f, output).unwrap_or(false))
    {
        files.insert(0, output.to_path_buf());
    }
    let outputs = files
        .iter()
        .map(|f| journal::record_output(f))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ImageOutcome::Converted(Converted {
        bytes_in: bytes_of(&inputs),
        inputs,
        outputs,
        warnings,
    }))
}

/// Deletes `files` (an item's inputs), returning those removed.
fn delete_inputs(files: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut deleted = Vec::new();
    for file in files {
        if file.exists() {
            std::fs::remove_file(file).with_context(|| format!("deleting {}", file.display()))?;
            deleted.push(file.clone());
        }
    }
    Ok(deleted)
}

/// Runs one item to its end and returns how it ended; the journal gets its events.
pub fn run_item(
    shared: &Shared<'_>,
    index: usize,
    item: &Item,
    action: &Action,
    events: &Sender<Event>,
) -> ItemResult {
    let started = Instant::now();
    let to = shared.options.to.name;
    if shared.cancel.load(Ordering::Relaxed) {
        return ItemResult::Failed {
            error: "interrupted before it started".to_string(),
            interrupted: true,
        };
    }
    let force = match action {
        Action::Convert { force } => *force,
        Action::Skip { .. } | Action::Fail(_) => {
            return ItemResult::Failed {
                error: "nothing to run".to_string(),
                interrupted: false,
            };
        }
    };
    let result = match &item.source {
        Source::Image(path) => image_item(shared, index, item, path, force, events),
        Source::Archive(path, kind) => {
            archive_item(shared, index, item, path, *kind, force, events)
        }
        Source::Missing(path, why) => Err(anyhow!("{}: {why}", path.display())),
    };
    match result {
        Ok(ItemResult::Converted {
            bytes_in,
            bytes_out,
            outputs,
            verified,
            deleted,
            warnings,
            ..
        }) => ItemResult::Converted {
            bytes_in,
            bytes_out,
            outputs,
            verified,
            deleted,
            warnings,
            seconds: started.elapsed().as_secs_f64(),
        },
        Ok(other) => other,
        Err(error) => {
            let interrupted = shared.cancel.load(Ordering::Relaxed)
                || error.chain().any(|e| {
                    matches!(
                        e.downcast_ref::<discus::Error>(),
                        Some(discus::Error::Interrupted)
                    )
                });
            let message = format!("{error:#}");
            if matches!(item.source, Source::Image(_)) {
                let _ = shared
                    .journal
                    .record("failed", &item.key, to, json!({ "error": message }));
            }
            ItemResult::Failed {
                error: message,
                interrupted,
            }
        }
    }
}

fn done_fields(
    shared: &Shared<'_>,
    inputs: &[PathBuf],
    outputs: &[OutputRecord],
    verified: bool,
) -> Value {
    json!({
        "inputs": inputs.iter().map(|i| shared.journal.input_json(i)).collect::<Vec<_>>(),
        "outputs": outputs.iter().map(|o| shared.journal.output_json(o)).collect::<Vec<_>>(),
        "verified": verified,
    })
}

fn image_item(
    shared: &Shared<'_>,
    index: usize,
    item: &Item,
    path: &Path,
    force: bool,
    events: &Sender<Event>,
) -> anyhow::Result<ItemResult> {
    let options = shared.options;
    let to = options.to.name;
    let entry = Some((item.key.as_str(), to));
    let converted = match convert_image(shared, index, events, path, &item.output, force, entry)? {
        ImageOutcome::Skipped(reason) => {
            return Ok(ItemResult::Skipped {
                reason,
                deleted: Vec::new(),
            });
        }
        ImageOutcome::Converted(c) => c,
    };
    shared.journal.record(
        "done",
        &item.key,
        to,
        done_fields(
            shared,
            &converted.inputs,
            &converted.outputs,
            options.verify,
        ),
    )?;
    let mut deleted = Vec::new();
    if options.delete_source && options.verify {
        deleted = delete_inputs(&converted.inputs)?;
        shared
            .journal
            .record("deleted", &item.key, to, json!({ "files": deleted }))?;
    }
    Ok(ItemResult::Converted {
        bytes_in: converted.bytes_in,
        bytes_out: converted.outputs.iter().map(|o| o.size).sum(),
        outputs: converted.outputs.into_iter().map(|o| o.path).collect(),
        verified: options.verify,
        deleted,
        warnings: converted.warnings,
        seconds: 0.0,
    })
}

// The archive's path and kind are unpacked from the item by the caller; passing them keeps the
// match in one place.
#[allow(clippy::too_many_arguments)]
fn archive_item(
    shared: &Shared<'_>,
    index: usize,
    item: &Item,
    path: &Path,
    kind: archive::Kind,
    force: bool,
    events: &Sender<Event>,
) -> anyhow::Result<ItemResult> {
    let options = shared.options;
    let to = options.to.name;
    std::fs::create_dir_all(&item.out_folder)
        .with_context(|| item.out_folder.display().to_string())?;
    // Beside the outputs, so extracting needs no space elsewhere; removed when dropped, which
    // covers errors and Ctrl-C; a killed run's folder is removed by the next run.
    let temp = tempfile::Builder::new()
        .prefix(".discus-")
        .suffix(".extract")
        .tempdir_in(&item.out_folder)
        .with_context(|| item.out_folder.display().to_string())?;
    shared.journal.record(
        "started",
        &item.key,
        to,
        json!({ "input": path, "output": item.output }),
    )?;
    let _ = events.send(Event::Stage {
        index,
        stage: "extracting",
    });
    let wanted_extensions = image_extensions();
    let wanted = |name: &Path| {
        name.extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .is_some_and(|e| wanted_extensions.contains(&e))
    };
    archive::extract(path, kind, temp.path(), &wanted, shared.cancel)?;
    // One image is named after the archive (`Game.zip` → `Game.cso`, whatever its member is
    // called); several go to a folder named after it, keeping their names and folders.
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "archive".to_string());
    let extension = options
        .to
        .extensions
        .first()
        .copied()
        .unwrap_or(options.to.name);
    let several = item.out_folder.join(&stem);
    let naming = Naming {
        out_dir: Some(&several),
        extension,
    };
    let mut inner = discover::discover(
        &[temp.path().to_path_buf()],
        true,
        &naming,
        &Default::default(),
    );
    if inner.is_empty() {
        bail!("{}: holds no disc image", path.display());
    }
    if let [only] = inner.as_mut_slice() {
        only.output = item.output.clone();
    }
    let clashes = discover::collisions(&inner);
    let mut outputs = Vec::new();
    let mut warnings = Vec::new();
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    for (position, image) in inner.iter().enumerate() {
        if let Some(clash) = clashes.get(&position) {
            failures.push(clash.clone());
            continue;
        }
        let Source::Image(image_path) = &image.source else {
            failures.push(format!(
                "{}: archives inside archives are not opened",
                image.key
            ));
            continue;
        };
        let name = image_path
            .strip_prefix(temp.path())
            .unwrap_or(image_path)
            .display()
            .to_string();
        match convert_image(
            shared,
            index,
            events,
            image_path,
            &image.output,
            force,
            None,
        ) {
            Ok(ImageOutcome::Converted(c)) => {
                outputs.extend(c.outputs);
                warnings.extend(c.warnings.into_iter().map(|w| format!("{name}: {w}")));
            }
            Ok(ImageOutcome::Skipped(reason)) => skipped.push(format!("{name}: {reason}")),
            Err(e) => {
                if shared.cancel.load(Ordering::Relaxed) {
                    return Err(e);
                }
                failures.push(format!("{name}: {e:#}"));
            }
        }
    }
    if !failures.is_empty() {
        // The journal keeps "started": a rerun redoes the archive and replaces what did convert.
        bail!("{}", failures.join("; "));
    }
    if outputs.is_empty() {
        return Ok(ItemResult::Skipped {
            reason: skipped.join("; "),
            deleted: Vec::new(),
        });
    }
    let inputs = vec![path.to_path_buf()];
    let bytes_in = bytes_of(&inputs);
    shared.journal.record(
        "done",
        &item.key,
        to,
        done_fields(shared, &inputs, &outputs, options.verify),
    )?;
    drop(temp);
    let mut deleted = Vec::new();
    if options.delete_source && options.verify {
        deleted = delete_inputs(&inputs)?;
        shared
            .journal
            .record("deleted", &item.key, to, json!({ "files": deleted }))?;
    }
    Ok(ItemResult::Converted {
        bytes_in,
        bytes_out: outputs.iter().map(|o| o.size).sum(),
        outputs: outputs.into_iter().map(|o| o.path).collect(),
        verified: options.verify,
        deleted,
        warnings,
        seconds: 0.0,
    })
}
