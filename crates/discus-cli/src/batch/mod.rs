//! `discus batch`: converts whole folders and archives. Items are found and grouped
//! ([`discover`]), sliced (`--shard`), checked against the journal ([`journal`]), and run on a
//! pool of workers ([`worker`]) while one thread draws progress and writes results ([`report`]).
//! One item's failure never stops the others.

pub mod archive;
pub mod discover;
pub mod journal;
pub mod merge;
pub mod naming;
pub mod report;
pub mod shard;
pub mod worker;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};

use discover::{Item, Naming, Shard, Source, Stream, absolute};
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
    /// Items run at once (at most; never more than will run).
    pub jobs: usize,
    /// Compression threads per item as asked (`--threads`); 0: the cores shared among the
    /// items running (see [`schedule`]).
    pub threads: usize,
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
    /// How outputs are named (`--name`, `--dat`).
    pub name: naming::NameBy,
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
            serial: None,
        };
        let known = Known::read(dir);
        let skip = |path: &Path| known.is_output(&absolute(path));
        let keys = discover::discover(inputs, recursive, &naming, &skip)
            .into_iter()
            .map(|item| item.key)
            .collect();
        merged.expect(keys);
    }
    Ok(merged.write(out, json)?)
}

/// Decides an item's action from the journal and the outputs on disk.
fn plan(options: &Options, item: &Item, known: &Known) -> Action {
    let to = options.to.name;
    if let Source::Missing(path, why) = &item.source {
        return Action::Fail(format!("{}: {why}", path.display()));
    }
    if let Some(clash) = &item.clash {
        return Action::Fail(clash.clone());
    }
    // Known from discovery already, so a dry run shows it too; the worker checks again on the
    // files the conversion itself opens.
    if let Source::Image(path) = &item.source
        && let Err(e) = worker::check_reads(options.reads(), path, path, &item.files, &item.root)
    {
        return Action::Fail(e.to_string());
    }
    if let Some(State::Done {
        outputs, verified, ..
    }) = known.state(&item.key, to)
    {
        let intact = !outputs.is_empty() && outputs.iter().all(|o| o.intact());
        // Inputs still here with --delete-source now: converted and compared again in this run
        // before anything is deleted; the journal alone never deletes a file.
        let delete_now = options.delete_source && !item.deletable.is_empty();
        if intact && (verified || !options.verify) && !delete_now {
            return Action::Skip {
                reason: "done in an earlier run".to_string(),
                record: false,
            };
        }
    }
    // Read only for items that run: the lines are read again from the journals.
    let own = known.own(&item.key, to);
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
}

/// How many items run at once and how many threads each one's compression gets: never more
/// items than will run, and the cores shared among them, so items × threads stays at the cores
/// — a batch of one big item gets every core, one of many small items one each. `jobs` and
/// `threads` (0: not given) are what the user asked for, and win.
pub fn schedule(cores: usize, jobs: usize, threads: usize, to_run: usize) -> (usize, usize) {
    let workers = jobs.max(1).min(to_run.max(1));
    let threads = match threads {
        0 => (cores.max(1) / workers).max(1),
        n => n,
    };
    (workers, threads)
}

/// What the first pass over the items found: enough to size the run and report progress,
/// without holding the items.
#[derive(Default)]
struct Count {
    /// Items of this run's slice.
    items: usize,
    /// Of those, the ones a worker will run.
    to_run: usize,
    /// The folders outputs go to (leftovers of killed runs are cleaned there).
    folders: BTreeSet<PathBuf>,
}

/// What a dry run says it would do with an item.
fn planned(item: &Item, action: &Action) -> String {
    match action {
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
            _ if item.files.len() > 1 => format!("convert ({} files)", item.files.len()),
            _ => "convert".to_string(),
        },
        Action::Skip { reason, .. } => format!("skip ({reason})"),
        Action::Fail(why) => format!("fail ({why})"),
    }
}

/// Runs a batch; returns the counts (the caller turns failures into exit code 1).
///
/// Items are never all held at once: a first pass over the INPUTs counts them (and finds the
/// files sheets share), a second one feeds them to the workers through a queue of a few items,
/// and the journal and the counters keep the rest.
pub fn run(options: &Options, cancel: &AtomicBool, out: &mut dyn Write) -> anyhow::Result<Totals> {
    let journal_dir = journal_folder(options);
    let known = Known::read(&journal_dir);
    // Outputs never become inputs, also when --out-dir lies inside an INPUT folder.
    let out_dir = options
        .out_dir
        .as_deref()
        .map(absolute)
        .filter(|dir| !options.inputs.iter().any(|i| absolute(i) == *dir));
    let skip = |path: &Path| {
        let path = absolute(path);
        out_dir.as_ref() == Some(&path) || known.is_output(&path)
    };
    let naming = Naming {
        out_dir: options.out_dir.as_deref(),
        extension: options
            .to
            .extensions
            .first()
            .copied()
            .unwrap_or(options.to.name),
        serial: options.name.by_serial().then(|| options.reads()),
    };
    let takes = |item: &Item| options.shard.is_none_or(|shard| shard.takes(&item.key));

    // First pass. Clashes are found over every item, before slicing: `a.iso` and `a.img` would
    // both write `a.cso`, and may fall to different shards running at the same time.
    let mut first = Stream::new(&options.inputs, options.recursive, &naming, &skip);
    let mut census = Count::default();
    census.folders.insert(journal_dir.clone());
    for item in first.by_ref() {
        if !takes(&item) {
            continue;
        }
        census.items += 1;
        if !matches!(item.source, Source::Missing(..)) {
            census.folders.insert(item.out_folder.clone());
        }
        if matches!(plan(options, &item, &known), Action::Convert { .. }) {
            census.to_run += 1;
        }
    }
    let named = first.into_census();
    let items = || {
        Stream::with_census(&options.inputs, options.recursive, &naming, &skip, named)
            .filter(|item| takes(item))
    };
    let mut reporter = Reporter::new(
        out,
        options.json,
        options.quiet,
        census.items,
        census.to_run,
    );

    if options.dry_run {
        for item in items() {
            let action = plan(options, &item, &known);
            reporter.planned(
                &item.key,
                &planned(&item, &action),
                &item.output.display().to_string(),
            )?;
        }
        return Ok(reporter.finish(true)?);
    }

    let (workers, threads) = schedule(
        discus::core::format::cores(),
        options.jobs,
        options.threads,
        census.to_run,
    );
    let mut write = options.write.clone();
    write.threads = threads;

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
            "items": census.items,
            "to": options.to.name,
            "host": journal::host_name(),
            "pid": std::process::id(),
            "workers": workers,
            "threads": threads,
        }),
    )?;
    // Leftovers of a killed run: only when no other batch is writing into the same folder.
    if journal.others_running {
        if !options.quiet && !options.json {
            eprintln!(
                "discus: warning: another discus batch is running in {}; temporary files of killed runs are left for later",
                journal_dir.display()
            );
        }
    } else {
        for folder in &census.folders {
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

    let shared = Shared {
        options,
        journal: &journal,
        cancel,
        write: &write,
        titles: &naming::Titles::default(),
        run: &discus::core::Run::new(),
    };
    let (sender, receiver) = mpsc::channel::<Event>();
    // A few items wait for each worker; the rest are still names in folders.
    let (queue, jobs) = mpsc::sync_channel::<(usize, Item, Action)>(workers * 2);
    let jobs = Arc::new(Mutex::new(jobs));
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let discovery = {
            let (sender, journal, known) = (sender.clone(), &journal, &known);
            scope.spawn(move || -> anyhow::Result<()> {
                for (index, item) in items().enumerate() {
                    // After Ctrl-C, items not yet started are left for the next run.
                    if cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    let action = plan(options, &item, known);
                    let _ = sender.send(Event::Found {
                        index,
                        key: item.key.clone(),
                        input: item.input().display().to_string(),
                    });
                    let result = match action {
                        Action::Convert { .. } => {
                            // Every worker gone (Ctrl-C, a closed pipe): nothing more to hand out.
                            if queue.send((index, item, action)).is_err() {
                                break;
                            }
                            continue;
                        }
                        Action::Skip { reason, record } => {
                            if record {
                                journal.record(
                                    "skipped",
                                    &item.key,
                                    options.to.name,
                                    serde_json::json!({ "reason": reason }),
                                )?;
                            }
                            ItemResult::Skipped {
                                reason,
                                deleted: Vec::new(),
                            }
                        }
                        Action::Fail(why) => {
                            // Refusals are journaled like failures: a rerun sees what happened.
                            journal.record(
                                "failed",
                                &item.key,
                                options.to.name,
                                serde_json::json!({ "error": why }),
                            )?;
                            ItemResult::Failed {
                                error: why,
                                interrupted: false,
                            }
                        }
                    };
                    let _ = sender.send(Event::Finished { index, result });
                }
                Ok(())
            })
        };
        for _ in 0..workers {
            let (sender, jobs, shared) = (sender.clone(), Arc::clone(&jobs), &shared);
            scope.spawn(move || {
                loop {
                    if shared.cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok((index, item, action)) = next else {
                        break;
                    };
                    if shared.cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    let _ = sender.send(Event::Stage {
                        index,
                        stage: "starting",
                    });
                    let result = worker::run_item(shared, index, &item, &action, &sender);
                    let _ = sender.send(Event::Finished { index, result });
                }
            });
        }
        // The workers hold the queue's end now: when the last one stops, discovery does too.
        drop(jobs);
        drop(sender);
        for event in receiver {
            if let Err(e) = reporter.event(event) {
                // Nobody reads the results any more (a closed pipe): stop the workers too.
                cancel.store(true, Ordering::Relaxed);
                return Err(e.into());
            }
        }
        discovery
            .join()
            .map_err(|_| anyhow::anyhow!("batch: finding the items stopped unexpectedly"))?
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

#[cfg(test)]
mod tests {
    use super::schedule;

    #[test]
    fn i18_4_items_times_threads_stay_at_the_cores_unless_asked() {
        // Many small items: one per core, one thread each.
        assert_eq!(schedule(2, 2, 0, 10_000), (2, 1));
        // One big item: it gets every core instead of leaving one idle.
        assert_eq!(schedule(2, 2, 0, 1), (1, 2));
        assert_eq!(schedule(8, 8, 0, 3), (3, 2));
        // Nothing to run still makes a valid schedule.
        assert_eq!(schedule(2, 2, 0, 0), (1, 2));
        // What the user asks for wins, oversubscribed or not.
        assert_eq!(schedule(2, 4, 0, 100), (4, 1));
        assert_eq!(schedule(2, 2, 3, 100), (2, 3));
        assert_eq!(schedule(2, 1, 0, 100), (1, 2));
    }
}
