//! `discus batch --report OUT_DIR`: one summary of every journal in an output folder, such as
//! the shards of a split writing into one shared folder. Read-only: it takes no lock and writes
//! nothing, so it can run while the shards do.
//!
//! Per item, the journal line with the latest time counts (an item may be in several journals:
//! a shard rerun with another N, an unsharded run after the shards). Per shard, its `run` lines
//! say how many items its slice had and when it started, its `end` lines when it finished; items
//! of a slice with no final state in any journal are the ones still to do.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use super::journal;
use super::report::human;
use super::shard::{Shard, owner};

/// How an item stands by its latest line.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Standing {
    Converted,
    Skipped(String),
    Failed(String),
    /// Started or written, never finished: killed, or running now.
    Unfinished(&'static str),
}

#[derive(Clone, Debug)]
struct ItemView {
    time: f64,
    standing: Standing,
    journal: usize,
    bytes_in: u64,
    bytes_out: u64,
}

/// One journal file: a shard's, or an unsharded run's.
#[derive(Debug, Default)]
struct JournalView {
    name: String,
    shard: Option<Shard>,
    hosts: BTreeSet<String>,
    runs: usize,
    /// Items in the slice, by the latest `run` line.
    items: Option<usize>,
    seconds: f64,
    /// Whether the latest run has no `end` line: killed, or still running.
    open: bool,
}

/// What the journals of a folder say, merged.
pub struct Merged {
    folder: PathBuf,
    journals: Vec<JournalView>,
    items: BTreeMap<(String, String), ItemView>,
    /// Item keys the caller expects (found under the INPUTs), if it said.
    expected: Option<BTreeSet<String>>,
}

fn number(value: &Value, name: &str) -> u64 {
    value.get(name).and_then(Value::as_u64).unwrap_or(0)
}

fn sizes(value: &Value, name: &str) -> u64 {
    value
        .get(name)
        .and_then(Value::as_array)
        .map(|list| list.iter().map(|f| number(f, "size")).sum())
        .unwrap_or(0)
}

/// The shard a journal's file name gives, `None` for an unsharded run's.
fn shard_of(name: &str) -> Option<Shard> {
    let (k, n) = name
        .strip_prefix("discus-batch.shard-")?
        .strip_suffix(".jsonl")?
        .split_once("-of-")?;
    Shard::new(k.parse().ok()?, n.parse().ok()?).ok()
}

impl Merged {
    /// Reads every journal in `folder`. A line that does not parse (the last line of a killed
    /// run) is passed over.
    pub fn read(folder: &Path) -> anyhow::Result<Merged> {
        if !folder.is_dir() {
            bail!("{}: no such folder", folder.display());
        }
        let paths = journal::journals_in(folder);
        if paths.is_empty() {
            bail!(
                "{}: no discus batch journal here (discus-batch*.jsonl); is it the --out-dir of a batch?",
                folder.display()
            );
        }
        let mut merged = Merged {
            folder: folder.to_path_buf(),
            journals: Vec::new(),
            items: BTreeMap::new(),
            expected: None,
        };
        for (index, path) in paths.iter().enumerate() {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut view = JournalView {
                shard: shard_of(&name),
                name,
                ..JournalView::default()
            };
            let file = File::open(path).with_context(|| path.display().to_string())?;
            // Start of the run being read, and the time of its latest line.
            let mut run: Option<(f64, f64)> = None;
            for line in BufReader::new(file).lines() {
                let Ok(line) = line else { break };
                let Ok(value) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                let time = value.get("time").and_then(Value::as_f64).unwrap_or(0.0);
                let event = value.get("event").and_then(Value::as_str).unwrap_or("");
                match event {
                    "run" => {
                        if let Some((start, last)) = run.take() {
                            view.seconds += last - start;
                        }
                        run = Some((time, time));
                        view.runs += 1;
                        view.open = true;
                        view.items = value
                            .get("items")
                            .and_then(Value::as_u64)
                            .map(|n| n as usize);
                        if let Some(host) = value.get("host").and_then(Value::as_str)
                            && !host.is_empty()
                        {
                            view.hosts.insert(host.to_string());
                        }
                        continue;
                    }
                    "end" => {
                        if let Some((start, _)) = run.take() {
                            view.seconds += time - start;
                        }
                        view.open = false;
                        continue;
                    }
                    _ => {}
                }
                if let Some((_, last)) = run.as_mut() {
                    *last = time;
                }
                merged.apply(index, time, event, &value);
            }
            if let Some((start, last)) = run {
                view.seconds += last - start;
            }
            merged.journals.push(view);
        }
        Ok(merged)
    }

    fn apply(&mut self, journal: usize, time: f64, event: &str, value: &Value) {
        let (Some(key), Some(to)) = (
            value.get("key").and_then(Value::as_str),
            value.get("to").and_then(Value::as_str),
        ) else {
            return;
        };
        let text = |name: &str| {
            value
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let (standing, bytes_in, bytes_out) = match event {
            "started" => (Standing::Unfinished("started"), 0, 0),
            "written" => (Standing::Unfinished("written"), 0, 0),
            "done" => (
                Standing::Converted,
                sizes(value, "inputs"),
                sizes(value, "outputs"),
            ),
            "failed" => (Standing::Failed(text("error")), 0, 0),
            "skipped" => (Standing::Skipped(text("reason")), 0, 0),
            _ => return,
        };
        let slot = (to.to_string(), key.to_string());
        if self.items.get(&slot).is_some_and(|old| old.time > time) {
            return;
        }
        self.items.insert(
            slot,
            ItemView {
                time,
                standing,
                journal,
                bytes_in,
                bytes_out,
            },
        );
    }

    /// Items the caller found under its INPUTs: those in no journal are listed as not started.
    pub fn expect(&mut self, keys: BTreeSet<String>) {
        self.expected = Some(keys);
    }

    /// The summary as one JSON object.
    pub fn to_json(&self) -> Value {
        let mut converted = 0;
        let mut skipped = 0;
        let (mut bytes_in, mut bytes_out) = (0u64, 0u64);
        let mut failures = Vec::new();
        let mut unfinished = Vec::new();
        for ((to, key), item) in &self.items {
            let journal = self
                .journals
                .get(item.journal)
                .map(|j| j.name.clone())
                .unwrap_or_default();
            match &item.standing {
                Standing::Converted => {
                    converted += 1;
                    bytes_in += item.bytes_in;
                    bytes_out += item.bytes_out;
                }
                Standing::Skipped(_) => skipped += 1,
                Standing::Failed(error) => failures.push(json!({
                    "item": key, "to": to, "error": error, "journal": journal,
                })),
                Standing::Unfinished(stage) => unfinished.push(json!({
                    "item": key, "to": to, "stage": stage, "journal": journal,
                })),
            }
        }
        let finished = |key: &str| {
            self.items
                .iter()
                .any(|((_, k), item)| k == key && !matches!(item.standing, Standing::Unfinished(_)))
        };
        let shards: Vec<Value> = self
            .journals
            .iter()
            .enumerate()
            .map(|(index, j)| {
                let mine = |want: fn(&Standing) -> bool| {
                    self.items
                        .values()
                        .filter(|i| i.journal == index && want(&i.standing))
                        .count()
                };
                // The slice's items with a final state in any journal (a rerun split another
                // way may have finished some), by the same hash that dealt them.
                let settled = match j.shard {
                    Some(shard) => self
                        .items
                        .iter()
                        .filter(|((_, key), item)| {
                            owner(key, shard.count) == shard.index
                                && !matches!(item.standing, Standing::Unfinished(_))
                        })
                        .map(|((_, key), _)| key)
                        .collect::<BTreeSet<_>>()
                        .len(),
                    None => self
                        .items
                        .iter()
                        .filter(|(_, item)| !matches!(item.standing, Standing::Unfinished(_)))
                        .map(|((_, key), _)| key)
                        .collect::<BTreeSet<_>>()
                        .len(),
                };
                json!({
                    "journal": j.name,
                    "shard": j.shard.map(|s| s.to_string()),
                    "hosts": j.hosts,
                    "runs": j.runs,
                    "seconds": j.seconds,
                    "running_or_killed": j.open,
                    "items": j.items,
                    "converted": mine(|s| *s == Standing::Converted),
                    "skipped": mine(|s| matches!(s, Standing::Skipped(_))),
                    "failed": mine(|s| matches!(s, Standing::Failed(_))),
                    "unfinished": mine(|s| matches!(s, Standing::Unfinished(_))),
                    "to_do": j.items.map(|n| n.saturating_sub(settled)),
                })
            })
            .collect();
        // Shards of a split whose journal is missing never started (or wrote elsewhere).
        let mut never = Vec::new();
        let counts: BTreeSet<usize> = self
            .journals
            .iter()
            .filter_map(|j| j.shard.map(|s| s.count))
            .collect();
        for count in counts {
            for k in 1..=count {
                let name = journal::file_name(Some(Shard { index: k, count }));
                if !self.journals.iter().any(|j| j.name == name) {
                    never.push(format!("{k}/{count}"));
                }
            }
        }
        let not_started: Vec<&String> = self
            .expected
            .iter()
            .flatten()
            .filter(|key| !self.items.keys().any(|(_, k)| k == *key))
            .collect();
        let to_do: usize = shards
            .iter()
            .filter_map(|s| s["to_do"].as_u64())
            .sum::<u64>() as usize;
        let complete = failures.is_empty()
            && unfinished.is_empty()
            && never.is_empty()
            && not_started.is_empty()
            && to_do == 0
            && self.expected.iter().flatten().all(|key| finished(key));
        json!({
            "folder": self.folder,
            "items": self.items.len(),
            "converted": converted,
            "skipped": skipped,
            "failed": failures.len(),
            "unfinished": unfinished.len(),
            "to_do": to_do,
            "bytes_in": bytes_in,
            "bytes_out": bytes_out,
            "complete": complete,
            "shards": shards,
            "shards_never_started": never,
            "failures": failures,
            "unfinished_items": unfinished,
            "not_started": not_started,
        })
    }

    /// Writes the summary, as text or one JSON object; returns whether every item is finished
    /// and none failed.
    pub fn write(&self, out: &mut dyn Write, as_json: bool) -> std::io::Result<bool> {
        let v = self.to_json();
        let complete = v["complete"].as_bool() == Some(true);
        if as_json {
            writeln!(out, "{v}")?;
            return Ok(complete);
        }
        let n = |name: &str| v[name].as_u64().unwrap_or(0);
        writeln!(
            out,
            "batch report of {}: {} item(s) in {} journal(s): {} converted, {} skipped, {} failed, {} unfinished, {} to do; {} in, {} out",
            self.folder.display(),
            n("items"),
            self.journals.len(),
            n("converted"),
            n("skipped"),
            n("failed"),
            n("unfinished"),
            n("to_do"),
            human(n("bytes_in")),
            human(n("bytes_out")),
        )?;
        for shard in v["shards"].as_array().into_iter().flatten() {
            let name = shard["shard"]
                .as_str()
                .map(|s| format!("shard {s}"))
                .unwrap_or_else(|| "unsharded".to_string());
            let hosts: Vec<&str> = shard["hosts"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let to_do = shard["to_do"]
                .as_u64()
                .map(|t| format!(", {t} to do"))
                .unwrap_or_default();
            writeln!(
                out,
                "  {name}: {} converted, {} skipped, {} failed, {} unfinished{to_do}; {} run(s), {:.1} s{}{}",
                shard["converted"],
                shard["skipped"],
                shard["failed"],
                shard["unfinished"],
                shard["runs"],
                shard["seconds"].as_f64().unwrap_or(0.0),
                if hosts.is_empty() {
                    String::new()
                } else {
                    format!(" on {}", hosts.join(", "))
                },
                if shard["running_or_killed"] == true {
                    "; last run has not ended (running, or killed)"
                } else {
                    ""
                },
            )?;
        }
        for shard in v["shards_never_started"].as_array().into_iter().flatten() {
            writeln!(
                out,
                "  shard {}: no journal (never started)",
                shard.as_str().unwrap_or("")
            )?;
        }
        let list = |name: &str| v[name].as_array().cloned().unwrap_or_default();
        let failures = list("failures");
        if !failures.is_empty() {
            writeln!(out, "failed:")?;
            for f in failures {
                writeln!(
                    out,
                    "  {} ({}): {}",
                    f["item"].as_str().unwrap_or(""),
                    f["journal"].as_str().unwrap_or(""),
                    f["error"].as_str().unwrap_or("")
                )?;
            }
        }
        let unfinished = list("unfinished_items");
        if !unfinished.is_empty() {
            writeln!(out, "unfinished (killed, or running now):")?;
            for u in unfinished {
                writeln!(
                    out,
                    "  {} ({}): {}",
                    u["item"].as_str().unwrap_or(""),
                    u["journal"].as_str().unwrap_or(""),
                    u["stage"].as_str().unwrap_or("")
                )?;
            }
        }
        let not_started = list("not_started");
        if !not_started.is_empty() {
            writeln!(out, "in no journal yet:")?;
            for key in not_started {
                writeln!(out, "  {}", key.as_str().unwrap_or(""))?;
            }
        }
        Ok(complete)
    }
}
