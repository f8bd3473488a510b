//! `discus batch`: converts whole folders and archives. Items are found and grouped
//! ([`discover`]), sliced (`--shard`), checked against the journal ([`journal`]), and run on a
//! pool of workers ([`worker`]) while one thread draws progress and writes results ([`report`]).
//! One item's failure never stops the others.

pub mod archive;
pub mod discover;
pub mod journal;
pub mod merge;
pub mod report;
pub mod shard;
pub mod worker;

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, PoisonError, mpsc};

use discover::{Item, Naming, Shard, Source, absolute};
use journal::{Journal, Known, OutputRecord, State};
use report::{Reporter, Totals};
use worker::{Event, ItemResult, Shared};

/// Everything a batch run needs, resolved from the command line.
pub struct Options {
    /// Files and folders.
    pub inputs: Vec<PathBuf>,
    /// The target format.
    pub to: &'static discus::Format,
    /// Where outputs go; `None`: beside each input.
    pub out_dir: Option<PathBuf>,
    /// Walk folders into subfolders.
    pub recursive: bool,
    /// Items run at once.
    pub jobs: usize,
    /// Say what would be done; touch nothing.
    pub dry_run: bool,
    /// Skip items whose output exists.
    pub skip_existing: bool,
    /// Replace outputs that exist.
    pub force: bool,
    /// Compare each output with its input before counting it done.
    pub verify: bool,
    /// Delete verified inputs.
    pub delete_source: bool,
    /// JSON events on stdout.
    pub json: bool,
    /// Only this slice of the items.
    pub shard: Option<Shard>,
    /// Where `--shard auto` found the slice (`SLURM_ARRAY_TASK_ID=3`), for the journal.
    pub shard_from: Option<String>,
    /// How to write.
    pub write: discus::WriteOptions,
    /// The `--target` preset, settled per item against its disc.
    pub preset: Option<discus::Preset>,
    /// No warnings, no progress.
    pub quiet: bool,
    /// Let a sheet in a plain folder read files outside its INPUT folder (never inside an
    /// archive, and such files are never deleted).
    pub allow_outside_files: bool,
    /// Most bytes one archive may expand to.
    pub max_extract: u64,
    /// Flush every output to disk before it takes its name (`--sync`).
    pub sync: bool,
}

impl Options {
    /// Whether outputs are flushed to disk before they take their names: asked for, or always
    /// when sources are deleted on the strength of their outputs.
    pub fn durable(&self) -> bool {
        self.sync || self.delete_source
    }

    /// Which files an image in a plain folder may read.
    pub fn reads(&self) -> worker::Reads {
        if self.allow_outside_files {
            worker::Reads::Anywhere
        } else {
            worker::Reads::Folder
        }
    }
}

/// What to do with an item.
#[derive(Clone, Debug)]
pub enum Action {
    /// Convert it.
    Convert {
        /// Replace any existing output (`--force`).
        force: bool,
        /// Outputs the journal records discus writing for this item in an earlier run: each is
        /// replaced without `--force` only if it is still exactly as recorded.
        own: Vec<OutputRecord>,
    },
    /// Nothing to do.
    Skip {
        /// Why.
        reason: String,
        /// Whether to journal it: a decision about a file in the way is; an item done in an
        /// earlier run is not (its `done` line says it all, and reruns of a large archive
        /// would otherwise grow the journal by a line per item each time).
        record: bool,
    },
    /// Fails before it runs.
    Fail(String),
}

/// The folder the journal lives in: `--out-dir`, else the first INPUT folder, else the folder of
/// the first INPUT file.
pub fn journal_folder(options: &Options) -> PathBuf {
    if let Some(dir) = &options.out_dir {
        return dir.clone();
    }
    match options.inputs.first() {
        Some(first) if first.is_dir() => first.clone(),
        Some(first) => first
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
        None => PathBuf::from("."),
    }
}

/// `batch --report DIR`: merges every journal in `dir` and writes the summary; with INPUTs,
/// also lists the items found under them that no journal mentions yet. Returns whether
/// everything is finished and nothing failed.
pub fn report(
    dir: &Path,
    inputs: &[PathBuf],
    recursive: bool,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    let mut merged = merge::Merged::read(dir)?;
    if !inputs.is_empty() {
        // Keys do not depend on the output's name, so any extension does.
        let naming = Naming {
            out_dir: Some(dir),
            extension: "out",
        };
        let skip = Known::read(dir).outputs().clone();
        let keys = discover::discover(inputs, recursive, &naming, &skip)
            .into_iter()
            .map(|item| item.key)
            .collect();
        merged.expect(keys);
    }
    Ok(merged.write(out, json)?)
}

/// Decides each item's action from the journal and the outputs on disk. `clashes` are the
/// items, by position in `items`, that must not run beside another one (see [`discover::collisions`]).
fn plan(
    options: &Options,
    items: &[Item],
    known: &Known,
    clashes: &BTreeMap<usize, String>,
) -> Vec<Action> {
    let to = options.to.name;
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            if let Source::Missing(path, why) = &item.source {
                return Action::Fail(format!("{}: {why}", path.display()));
            }
            if let Some(clash) = clashes.get(&index) {
                return Action::Fail(clash.clone());
            }
            // Known from discovery already, so a dry run shows it too; the worker checks again
            // on the files the conversion itself opens.
            if let Source::Image(path) = &item.source
                && let Err(e) =
                    worker::check_reads(options.reads(), path, path, &item.files, &item.root)
            {
                return Action::Fail(e.to_string());
            }
            let own = known.own(&item.key, to).to_vec();
            if let Some(State::Done {
                outputs, verified, ..
            }) = known.state(&item.key, to)
            {
                let intact = !outputs.is_empty() && outputs.iter().all(|o| o.intact());
                // Inputs still here with --delete-source now: converted and compared again in
                // this run before anything is deleted; the journal alone never deletes a file.
                let delete_now = options.delete_source && !item.deletable.is_empty();
                if intact && (*verified || !options.verify) && !delete_now {
                    return Action::Skip {
                        reason: "done in an earlier run".to_string(),
                        record: false,
                    };
                }
            }
            let own_output = own
                .iter()
                .any(|o| absolute(&o.path) == absolute(&item.output));
            if options.skip_existing
                && matches!(item.source, Source::Image(_))
                && item.output.exists()
                && !own_output
            {
                return Action::Skip {
                    reason: format!("{} exists", item.output.display()),
                    record: true,
                };
            }
            Action::Convert {
                force: options.force,
                own,
            }
        })
        .collect()
}

/// Runs a batch; returns the counts (the caller turns failures into exit code 1).
pub fn run(options: &Options, cancel: &AtomicBool, out: &mut dyn Write) -> anyhow::Result<Totals> {
    let journal_dir = journal_folder(options);
    let known = Known::read(&journal_dir);
    let mut skip: HashSet<PathBuf> = known.outputs().clone();
    if let Some(dir) = &options.out_dir {
        // Outputs never become inputs, also when --out-dir lies inside an INPUT folder.
        let dir = absolute(dir);
        if !options.inputs.iter().any(|i| absolute(i) == dir) {
            skip.insert(dir);
        }
    }
    let naming = Naming {
        out_dir: options.out_dir.as_deref(),
        extension: options
            .to
            .extensions
            .first()
            .copied()
            .unwrap_or(options.to.name),
    };
    let found = discover::discover(&options.inputs, options.recursive, &naming, &skip);
    // Over every item, before slicing: `a.iso` and `a.img` would both write `a.cso`, and may
    // fall to different shards running at the same time.
    let mut all_clashes = discover::collisions(&found);
    let mut items = Vec::new();
    let mut clashes = BTreeMap::new();
    for (position, item) in found.into_iter().enumerate() {
        if options.shard.is_none_or(|shard| shard.takes(&item.key)) {
            if let Some(why) = all_clashes.remove(&position) {
                clashes.insert(items.len(), why);
            }
            items.push(item);
        }
    }
    let actions = plan(options, &items, &known, &clashes);
    let labels: Vec<String> = items.iter().map(|i| i.key.clone()).collect();
    let to_run = actions
        .iter()
        .filter(|a| matches!(a, Action::Convert { .. }))
        .count();
    let inputs: Vec<String> = items
        .iter()
        .map(|i| i.input().display().to_string())
        .collect();
    let mut reporter = Reporter::new(out, options.json, options.quiet, labels, inputs, to_run);

    if options.dry_run {
        for (index, (item, action)) in items.iter().zip(&actions).enumerate() {
            let what = match action {
                Action::Convert { force: true, .. } => "convert (replacing)".to_string(),
                Action::Convert { own, .. } if own.iter().any(|o| o.path.exists()) => {
                    "convert (replacing its own earlier output)".to_string()
                }
                Action::Convert { .. } => match &item.source {
                    // Listing reads only the archive's directory.
                    Source::Archive(path, kind) => match archive::list(path, *kind) {
                        Ok(members) => {
                            let wanted = discover::image_extensions();
                            let images = members
                                .iter()
                                .filter(|m| {
                                    Path::new(m.as_str())
                                        .extension()
                                        .map(|e| e.to_string_lossy().to_ascii_lowercase())
                                        .is_some_and(|e| wanted.contains(&e))
                                })
                                .count();
                            format!("extract {images} image file(s) and convert")
                        }
                        Err(e) => format!("fail ({e:#})"),
                    },
                    _ if item.files.len() > 1 => {
                        format!("convert ({} files)", item.files.len())
                    }
                    _ => "convert".to_string(),
                },
                Action::Skip { reason, .. } => format!("skip ({reason})"),
                Action::Fail(why) => format!("fail ({why})"),
            };
            reporter.planned(index, &what, &item.output.display().to_string())?;
        }
        return Ok(reporter.finish(true)?);
    }

    let journal = Journal::open(&journal_dir, options.shard)?;
    if let Some(why) = &journal.unlocked
        && !options.quiet
        && !options.json
    {
        eprintln!("discus: warning: {why}");
    }
    // What this run set out to do: `batch --report` counts a shard's items not yet in any
    // journal from it, and the time each shard took from it and the `end` line.
    journal.note(
        "run",
        serde_json::json!({
            "shard": options.shard.map(|s| s.to_string()),
            "shard_from": options.shard_from,
            "items": items.len(),
            "to": options.to.name,
            "host": journal::host_name(),
            "pid": std::process::id(),
        }),
    )?;
    // Leftovers of a killed run: only when no other batch is writing into the same folder.
    let folders: BTreeSet<PathBuf> = items
        .iter()
        .filter(|i| !matches!(i.source, Source::Missing(..)))
        .map(|i| i.out_folder.clone())
        .chain(std::iter::once(journal_dir.clone()))
        .collect();
    if journal.others_running {
        if !options.quiet && !options.json {
            eprintln!(
                "discus: warning: another discus batch is running in {}; temporary files of killed runs are left for later",
                journal_dir.display()
            );
        }
    } else {
        for folder in &folders {
            for removed in journal::clean_leftovers(folder) {
                if !options.quiet && !options.json {
                    eprintln!(
                        "discus: warning: removed {} left by an interrupted run",
                        removed.display()
                    );
                }
            }
        }
    }

    let mut queue = VecDeque::new();
    for (index, (item, action)) in items.iter().zip(&actions).enumerate() {
        match action {
            Action::Convert { .. } => queue.push_back((index, item, action)),
            Action::Skip { reason, record } => {
                if *record {
                    journal.record(
                        "skipped",
                        &item.key,
                        options.to.name,
                        serde_json::json!({ "reason": reason }),
                    )?;
                }
                reporter.event(Event::Finished {
                    index,
                    result: ItemResult::Skipped {
                        reason: reason.clone(),
                        deleted: Vec::new(),
                    },
                })?;
            }
            Action::Fail(why) => {
                // Refusals are journaled like failures: a rerun sees what happened.
                journal.record(
                    "failed",
                    &item.key,
                    options.to.name,
                    serde_json::json!({ "error": why }),
                )?;
                reporter.event(Event::Finished {
                    index,
                    result: ItemResult::Failed {
                        error: why.clone(),
                        interrupted: false,
                    },
                })?
            }
        }
    }
    let queue = Mutex::new(queue);
    let shared = Shared {
        options,
        journal: &journal,
        cancel,
    };
    let workers = options.jobs.max(1).min(to_run.max(1));
    let (sender, receiver) = mpsc::channel::<Event>();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        for _ in 0..workers {
            let sender = sender.clone();
            let (queue, shared) = (&queue, &shared);
            scope.spawn(move || {
                loop {
                    // After Ctrl-C, items not yet started are left for the next run.
                    if shared.cancel.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let next = queue
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .pop_front();
                    let Some((index, item, action)) = next else {
                        break;
                    };
                    let _ = sender.send(Event::Stage {
                        index,
                        stage: "starting",
                    });
                    let result = worker::run_item(shared, index, item, action, &sender);
                    let _ = sender.send(Event::Finished { index, result });
                }
            });
        }
        drop(sender);
        for event in receiver {
            if let Err(e) = reporter.event(event) {
                // Nobody reads the results any more (a closed pipe): stop the workers too.
                cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                return Err(e.into());
            }
        }
        Ok(())
    })?;
    let seconds = reporter.seconds();
    let totals = reporter.finish(false)?;
    journal.note(
        "end",
        serde_json::json!({
            "converted": totals.converted,
            "skipped": totals.skipped,
            "failed": totals.failed,
            "bytes_in": totals.bytes_in,
            "bytes_out": totals.bytes_out,
            "seconds": seconds,
            "interrupted": totals.interrupted,
        }),
    )?;
    Ok(totals)
}
