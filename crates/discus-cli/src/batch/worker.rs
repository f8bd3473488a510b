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

use discus::core::containment;

use super::discover::{Item, Source, absolute};
use super::journal::{self, Journal, OutputRecord};
use super::{Action, Options, archive, naming};

/// Why a sheet inside an archive may not read a file outside its extraction folder.
pub const ARCHIVE_RULE: &str = "which is no member of the archive; refused: a sheet inside an archive may name only members of that archive";

/// Which files an image may read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    /// Anything (`--allow-outside-files`).
    Anywhere,
    /// An image in a plain folder: files inside its INPUT folder, and a sheet's files inside the
    /// sheet's own folder (or below it).
    Folder,
    /// An image extracted from an archive: members of the archive only.
    Archive,
}

/// Refuses, naming the sheet (as `shown`) and the line, if `files` — every file the image's
/// reader opened, the image's own file among them — break the rule of `reads`. `root` is the
/// INPUT folder, or the extraction folder of an archive.
pub fn check_reads(
    reads: Reads,
    sheet: &Path,
    shown: &Path,
    files: &[PathBuf],
    root: &Path,
) -> discus::Result<()> {
    const ALLOW: &str =
        "batch reads only such files with --allow-outside-files (and never deletes them)";
    match reads {
        Reads::Anywhere => Ok(()),
        Reads::Archive => containment::check(sheet, shown, files, root, ARCHIVE_RULE),
        Reads::Folder => {
            containment::check(
                sheet,
                shown,
                files,
                root,
                &format!(
                    "outside the INPUT folder {}; refused: {ALLOW}",
                    containment::resolved(root).display()
                ),
            )?;
            // A sheet names its neighbours; `../other/x.bin` is another folder's file even
            // inside the INPUT folder. The folder as the reader sees it: the sheet's path as
            // found, not where a link to the sheet leads.
            let own = match sheet.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent,
                _ => Path::new("."),
            };
            let sheet_itself = absolute(sheet);
            let named: Vec<PathBuf> = files
                .iter()
                .filter(|f| absolute(f) != sheet_itself)
                .cloned()
                .collect();
            containment::check(
                sheet,
                shown,
                &named,
                own,
                &format!(
                    "outside the sheet's own folder {}; refused: {ALLOW}",
                    containment::resolved(own).display()
                ),
            )
        }
    }
}

/// What a worker tells the reporting thread.
pub enum Event {
    /// Item `index` was found: what to call it. Sent before any other event of the item, so
    /// the reporter holds the names of the items under way only.
    Found {
        /// The item.
        index: usize,
        /// Its key.
        key: String,
        /// Its main input file, as shown.
        input: String,
    },
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
    /// How to write: the options' own, with the threads the run's schedule gives each item.
    pub write: &'a discus::WriteOptions,
    /// The DAT titles items of this run took (`--name serial --dat`).
    pub titles: &'a naming::Titles,
    /// The files the run's items have put in place: no item replaces another's.
    pub run: &'a discus::core::Run,
}

/// One converted image.
pub struct Converted {
    inputs: Vec<PathBuf>,
    bytes_in: u64,
    outputs: Vec<OutputRecord>,
    warnings: Vec<String>,
}

/// How one image ended.
pub enum ImageOutcome {
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

/// One image to convert and the rules it is held to.
pub struct ImageJob<'a> {
    /// The image (its main file).
    pub input: &'a Path,
    /// Its output.
    pub output: &'a Path,
    /// Replace existing outputs.
    pub force: bool,
    /// The folder every file it reads must lie in.
    pub root: &'a Path,
    /// Which files it may read.
    pub reads: Reads,
    /// How to name the image in messages.
    pub shown: PathBuf,
    /// Item key and format, to journal its start as an item of its own (not for images in
    /// archives: the archive is the item).
    pub journal_entry: Option<(&'a str, &'a str)>,
    /// Journals the outputs as written, the moment they are in place and again once hashed.
    pub on_written: &'a dyn Fn(&[OutputRecord]) -> anyhow::Result<()>,
}

/// Converts one image, then hashes, journals (`written`) and verifies the output.
pub fn convert_image(
    shared: &Shared<'_>,
    index: usize,
    events: &Sender<Event>,
    job: &ImageJob<'_>,
) -> anyhow::Result<ImageOutcome> {
    let options = shared.options;
    let (input, output) = (job.input, job.output);
    let opened = discus::open(input)?;
    let inputs = opened.source.files();
    drop(opened);
    // Every file the reader resolved — the sheet's own names, links followed — not only what
    // discovery saw.
    check_reads(job.reads, input, &job.shown, &inputs, job.root)?;
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
    if let Some((key, to)) = job.journal_entry {
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
        force: job.force,
        // A source is deleted on the strength of its output: that output must be on the disk
        // (the core flushes it and its folder before the rename).
        durable: options.durable(),
        write: shared.write.clone(),
        preset: options.preset.as_ref(),
        progress: Some(&progress),
        cancel: Some(shared.cancel),
        run: Some(shared.run),
    };
    let outcome = discus::convert(input, output, &convert_options)?;
    let mut warnings = outcome.warnings;
    warnings.extend(outcome.losses.iter().map(|l| format!("lost: {l}")));
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
    // Recorded at once and again with hashes, before verifying: a run killed while hashing or
    // verifying leaves outputs the next run knows for its own (and replaces only if unchanged).
    let stamped = files
        .iter()
        .map(|f| journal::stamp_output(f))
        .collect::<anyhow::Result<Vec<_>>>()?;
    (job.on_written)(&stamped)?;
    let outputs = files
        .iter()
        .map(|f| journal::record_output(f))
        .collect::<anyhow::Result<Vec<_>>>()?;
    (job.on_written)(&outputs)?;
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
    Ok(ImageOutcome::Converted(Converted {
        bytes_in: bytes_of(&inputs),
        inputs,
        outputs,
        warnings,
    }))
}

/// Whether `path`, which a journal lists as an output of `item`, is where `item` writes: in its
/// output folder, named after its output (`x.cue`, `x (Track 2).bin`) or inside the folder of
/// an archive's images. A journal edited by hand cannot make discus remove anything else.
fn is_where_item_writes(item: &Item, path: &Path) -> bool {
    let folder = absolute(&item.out_folder);
    let path = absolute(path);
    let stem = item
        .output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if stem.is_empty() || !path.starts_with(&folder) {
        return false;
    }
    path.starts_with(folder.join(&stem))
        || (path.parent() == Some(folder.as_path())
            && path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(stem.as_str())))
}

/// Removes the outputs an earlier run of this journal wrote for `item`, so the conversion that
/// follows needs no `--force`: only those still exactly as recorded (size, time, SHA-1) and where
/// the item writes. One changed since is the user's now and stops the item.
fn clear_own_outputs(item: &Item, own: &[OutputRecord]) -> anyhow::Result<()> {
    for record in own {
        if !record.path.exists() || !is_where_item_writes(item, &record.path) {
            // Not ours to remove; if it is in the way, the conversion refuses.
            continue;
        }
        if !record.unchanged() {
            bail!(
                "{}: changed since discus wrote it in an earlier run; pass --force to replace it",
                record.path.display()
            );
        }
        std::fs::remove_file(&record.path)
            .with_context(|| format!("replacing {}", record.path.display()))?;
    }
    Ok(())
}

/// Deletes those of `files` (an item's inputs as its reader listed them) that the item alone
/// owns inside its folder; returns the files deleted and a note for each kept.
fn delete_inputs(item: &Item, files: &[PathBuf]) -> anyhow::Result<(Vec<PathBuf>, Vec<String>)> {
    let deletable: std::collections::HashSet<PathBuf> =
        item.deletable.iter().map(|f| absolute(f)).collect();
    let mut deleted = Vec::new();
    let mut kept = Vec::new();
    for file in files {
        let real = absolute(file);
        if !deletable.contains(&real) {
            let why = if containment::is_inside(&item.root, file) {
                "another item of this run also reads it"
            } else {
                "it lies outside the INPUT folder"
            };
            kept.push(format!("kept {}: {why}", file.display()));
            continue;
        }
        if file.exists() {
            std::fs::remove_file(file).with_context(|| format!("deleting {}", file.display()))?;
            deleted.push(file.clone());
        }
    }
    Ok((deleted, kept))
}

fn outputs_field(shared: &Shared<'_>, outputs: &[OutputRecord]) -> Value {
    json!({
        "outputs": outputs.iter().map(|o| shared.journal.output_json(o)).collect::<Vec<_>>(),
    })
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
    let (force, own) = match action {
        Action::Convert { force, own } => (*force, own.as_slice()),
        Action::Skip { .. } | Action::Fail(_) => {
            return ItemResult::Failed {
                error: "nothing to run".to_string(),
                interrupted: false,
            };
        }
    };
    let titled = match titled(shared, item) {
        Ok(titled) => titled,
        Err(error) => {
            let _ = shared
                .journal
                .record("failed", &item.key, to, json!({ "error": error }));
            return ItemResult::Failed {
                error,
                interrupted: false,
            };
        }
    };
    let item = titled.as_ref().unwrap_or(item);
    let result = if force {
        Ok(())
    } else {
        clear_own_outputs(item, own)
    }
    .and_then(|()| match &item.source {
        Source::Image(path) => image_item(shared, index, item, path, force, events),
        Source::Archive(path, kind) => {
            archive_item(shared, index, item, path, *kind, force, events)
        }
        Source::Missing(path, why) => Err(anyhow!("{}: {why}", path.display())),
    });
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
        Ok(ItemResult::Skipped { reason, deleted }) => {
            let _ = shared
                .journal
                .record("skipped", &item.key, to, json!({ "reason": reason }));
            ItemResult::Skipped { reason, deleted }
        }
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
            // Every failure and refusal, archives included: a rerun must not take an output
            // that was in the way for one discus started.
            let _ = shared
                .journal
                .record("failed", &item.key, to, json!({ "error": message }));
            ItemResult::Failed {
                error: message,
                interrupted,
            }
        }
    }
}

/// With `--dat`, the item renamed after the title of the DAT entry its image matches whole
/// (`None`: no DAT, an archive, or no entry matches, so the name found at discovery stands).
/// A title another item of this run took is the same disc again, and fails this one.
fn titled(shared: &Shared<'_>, item: &Item) -> Result<Option<Item>, String> {
    let (Some(dat), Source::Image(path)) = (shared.options.name.dat(), &item.source) else {
        return Ok(None);
    };
    let Some(title) = naming::dat_title(path, dat, shared.cancel) else {
        return Ok(None);
    };
    let extension = item
        .output
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    let output = item.out_folder.join(format!("{title}.{extension}"));
    if let Err(first) = shared.titles.take(&absolute(&output), &item.key) {
        return Err(format!(
            "{} matches the DAT entry '{title}' as {first} does: the same disc twice; only {first} is converted",
            path.display()
        ));
    }
    let mut renamed = item.clone();
    renamed.output = output;
    Ok(Some(renamed))
}

fn done_fields(
    shared: &Shared<'_>,
    inputs: &[PathBuf],
    outputs: &[OutputRecord],
    verified: bool,
    durable: bool,
) -> Value {
    json!({
        "inputs": inputs.iter().map(|i| shared.journal.input_json(i)).collect::<Vec<_>>(),
        "outputs": outputs.iter().map(|o| shared.journal.output_json(o)).collect::<Vec<_>>(),
        "verified": verified,
        "durable": durable,
    })
}

/// Deletes the item's own inputs (its outputs were flushed to disk before they took their
/// names), journaling both; returns the files deleted and notes on those kept.
fn finish_with_delete(
    shared: &Shared<'_>,
    item: &Item,
    inputs: &[PathBuf],
    outputs: &[OutputRecord],
) -> anyhow::Result<(Vec<PathBuf>, Vec<String>)> {
    let to = shared.options.to.name;
    shared.journal.record(
        "done",
        &item.key,
        to,
        done_fields(shared, inputs, outputs, true, true),
    )?;
    let (deleted, kept) = delete_inputs(item, inputs)?;
    shared.journal.record(
        "deleted",
        &item.key,
        to,
        json!({ "files": deleted, "kept": kept }),
    )?;
    Ok((deleted, kept))
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
    let on_written = |outputs: &[OutputRecord]| {
        shared
            .journal
            .record("written", &item.key, to, outputs_field(shared, outputs))
    };
    let job = ImageJob {
        input: path,
        output: &item.output,
        force,
        root: &item.root,
        reads: options.reads(),
        shown: path.to_path_buf(),
        journal_entry: Some((item.key.as_str(), to)),
        on_written: &on_written,
    };
    let converted = match convert_image(shared, index, events, &job)? {
        ImageOutcome::Skipped(reason) => {
            return Ok(ItemResult::Skipped {
                reason,
                deleted: Vec::new(),
            });
        }
        ImageOutcome::Converted(c) => c,
    };
    let mut warnings = converted.warnings;
    let mut deleted = Vec::new();
    if options.delete_source && options.verify {
        let (gone, kept) = finish_with_delete(shared, item, &converted.inputs, &converted.outputs)?;
        deleted = gone;
        warnings.extend(kept);
    } else {
        shared.journal.record(
            "done",
            &item.key,
            to,
            done_fields(
                shared,
                &converted.inputs,
                &converted.outputs,
                options.verify,
                options.durable(),
            ),
        )?;
    }
    Ok(ItemResult::Converted {
        bytes_in: converted.bytes_in,
        bytes_out: converted.outputs.iter().map(|o| o.size).sum(),
        outputs: converted.outputs.into_iter().map(|o| o.path).collect(),
        verified: options.verify,
        deleted,
        warnings,
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
    let extension = options
        .to
        .extensions
        .first()
        .copied()
        .unwrap_or(options.to.name);
    let unpacked = archive::unpack(
        path,
        kind,
        &item.out_folder,
        &item.output,
        extension,
        options.max_extract,
        shared.cancel,
    )?;
    let inner = &unpacked.images;
    let mut outputs = Vec::new();
    let mut warnings = Vec::new();
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    for image in inner {
        if let Some(clash) = &image.clash {
            failures.push(clash.clone());
            continue;
        }
        let Source::Image(image_path) = &image.source else {
            failures.push(format!(
                "{}: archives inside archives are not opened",
                unpacked.name(image.input())
            ));
            continue;
        };
        let name = unpacked.name(image_path);
        // The archive is the item: its line lists every image's outputs so far.
        let on_written = |new: &[OutputRecord]| {
            let mut all = outputs.clone();
            all.extend_from_slice(new);
            shared
                .journal
                .record("written", &item.key, to, outputs_field(shared, &all))
        };
        let job = ImageJob {
            input: image_path,
            output: &image.output,
            force,
            root: &image.root,
            reads: Reads::Archive,
            shown: path.join(&name),
            journal_entry: None,
            on_written: &on_written,
        };
        match convert_image(shared, index, events, &job) {
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
        // The images that did convert are journaled as written: a rerun replaces them (if
        // unchanged) when it redoes the archive.
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
    drop(unpacked);
    let mut deleted = Vec::new();
    if options.delete_source && options.verify {
        let (gone, kept) = finish_with_delete(shared, item, &inputs, &outputs)?;
        deleted = gone;
        warnings.extend(kept);
    } else {
        shared.journal.record(
            "done",
            &item.key,
            to,
            done_fields(shared, &inputs, &outputs, options.verify, options.durable()),
        )?;
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
