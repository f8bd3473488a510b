//! The batch journal: JSON lines in the output folder, one line per event of an item (started,
//! done with its outputs' sizes and hashes, failed, deleted). A rerun of the same command reads it
//! to skip what is done and still intact, and to know which outputs are its own to redo.
//!
//! Each shard writes its own file (`discus-batch.jsonl`, `discus-batch.shard-2-of-8.jsonl`) and
//! holds an advisory lock on it while it runs; every run reads all of them. Another batch holding
//! a lock is how a run knows not to remove temporary files that may still be being written.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};
use sha1::Digest;

use super::discover::{Shard, absolute, fingerprint};

/// An output file as the journal records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputRecord {
    /// Where it is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Its modification time (ns since the epoch) when recorded.
    pub mtime_ns: u64,
    /// CRC32 of its bytes.
    pub crc32: u32,
    /// SHA-1 of its bytes, lower-case hex.
    pub sha1: String,
}

/// What the journals say about an item, by its last event.
#[derive(Clone, Debug)]
pub enum State {
    /// Finished.
    Done {
        /// Its outputs.
        outputs: Vec<OutputRecord>,
        /// Whether the outputs were compared with the inputs.
        verified: bool,
    },
    /// Outputs written (and recorded) but the item did not finish: killed while verifying, or
    /// an archive part way through its images.
    Written,
    /// Started and never finished. An output that exists is not taken for discus's own: a run
    /// killed between its rename and its `written` line is rare, and assuming otherwise would
    /// let a rerun replace a file that was there before.
    Started,
    /// Failed or refused.
    Failed,
}

/// The size and modification time of a file.
pub fn stamp(path: &Path) -> Option<(u64, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    Some((meta.len(), mtime))
}

/// CRC32 and SHA-1 of a file.
pub fn hash(path: &Path) -> anyhow::Result<(u32, String)> {
    let mut file = File::open(path).with_context(|| path.display().to_string())?;
    let mut crc = crc32fast::Hasher::new();
    let mut sha = sha1::Sha1::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).with_context(|| path.display().to_string()),
        };
        crc.update(&buf[..n]);
        sha.update(&buf[..n]);
    }
    let sha: String = sha.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((crc.finalize(), sha))
}

/// Records an output's size and time only, the moment it is in place: the hashes take a
/// while, and a run killed meanwhile must still know the file for its own.
pub fn stamp_output(path: &Path) -> anyhow::Result<OutputRecord> {
    let (size, mtime_ns) =
        stamp(path).with_context(|| format!("{}: output vanished", path.display()))?;
    Ok(OutputRecord {
        path: path.to_path_buf(),
        size,
        mtime_ns,
        crc32: 0,
        sha1: String::new(),
    })
}

/// Records an output as it is now.
pub fn record_output(path: &Path) -> anyhow::Result<OutputRecord> {
    let (size, mtime_ns) =
        stamp(path).with_context(|| format!("{}: output vanished", path.display()))?;
    let (crc32, sha1) = hash(path)?;
    Ok(OutputRecord {
        path: path.to_path_buf(),
        size,
        mtime_ns,
        crc32,
        sha1,
    })
}

impl OutputRecord {
    /// Whether the file is exactly what discus recorded writing: same size, same modification
    /// time and the same SHA-1 (when one was recorded: a `written` line made the moment the file
    /// was put in place has none yet). Only such a file is replaced without `--force`.
    pub fn unchanged(&self) -> bool {
        stamp(&self.path) == Some((self.size, self.mtime_ns))
            && (self.sha1.is_empty() || hash(&self.path).is_ok_and(|(_, sha)| sha == self.sha1))
    }

    /// Whether the file is still what was recorded: same size, and the same modification time or
    /// (if something touched it) the same CRC32. Enough to skip an item as done; replacing a
    /// file asks for [`OutputRecord::unchanged`].
    pub fn intact(&self) -> bool {
        match stamp(&self.path) {
            Some((size, _)) if size != self.size => false,
            Some((_, mtime)) if mtime == self.mtime_ns => true,
            Some(_) => hash(&self.path).is_ok_and(|(crc, _)| crc == self.crc32),
            None => false,
        }
    }
}

/// The journal file's name for a run.
pub fn file_name(shard: Option<Shard>) -> String {
    match shard {
        Some(s) => format!("discus-batch.shard-{}-of-{}.jsonl", s.index, s.count),
        None => "discus-batch.jsonl".to_string(),
    }
}

/// The journals in `folder`, sorted by name.
pub fn journals_in(folder: &Path) -> Vec<PathBuf> {
    let mut list: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name().is_some_and(|n| {
                        let n = n.to_string_lossy();
                        n.starts_with("discus-batch") && n.ends_with(".jsonl")
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    list.sort();
    list
}

/// What every journal in a folder says, as an index into the journals rather than their
/// content: per item 16 bytes of fingerprint, the kind and time of its latest state and where
/// the lines recording its outputs are. The lines themselves are read again when the item comes
/// up, so a rerun over an archive of 50,000 done items holds a few MiB, not the journals.
#[derive(Debug, Default)]
pub struct Known {
    folder: PathBuf,
    /// The journals read, by the number the index uses.
    files: Vec<Mutex<BufReader<File>>>,
    /// Each item by fingerprint of its key and format: across journals (shards of two splits,
    /// an unsharded run after the shards) the latest line counts, not the file read last.
    items: HashMap<u128, Slot>,
    /// Every output any journal recorded, by fingerprint of its resolved path.
    outputs: HashSet<u128>,
}

/// Where a line is: the journal's number and the line's byte offset in it.
type Line = (u32, u64);

/// One item in [`Known`].
#[derive(Debug)]
struct Slot {
    /// The time of the line that gave the state.
    time: f64,
    state: Kind,
    /// That line (a `done` line lists the outputs).
    line: Line,
    /// Every line recording outputs of the item, in the order read: the latest record of each
    /// path counts.
    outputs: Vec<Line>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Started,
    Failed,
    Written,
    Done,
    /// Only outputs so far (a line with outputs and no state of its own).
    None,
}

fn state_key(key: &str, to: &str) -> u128 {
    fingerprint(&format!("{to}\u{0}{key}"))
}

fn path_field(folder: &Path, value: &Value) -> Option<PathBuf> {
    value.as_str().map(|p| folder.join(p))
}

fn u64_field(value: &Value, name: &str) -> u64 {
    value.get(name).and_then(Value::as_u64).unwrap_or(0)
}

impl Known {
    /// Reads every journal in `folder` (none is fine). Lines that do not parse — the last line
    /// of a run killed while writing it — are ignored.
    pub fn read(folder: &Path) -> Known {
        let folder = absolute(folder);
        let mut known = Known {
            folder: folder.clone(),
            ..Known::default()
        };
        for path in journals_in(&folder) {
            let Ok(file) = File::open(&path) else {
                continue;
            };
            let number = known.files.len() as u32;
            let mut reader = BufReader::new(file);
            let mut offset = 0u64;
            let mut line = String::new();
            loop {
                line.clear();
                let Ok(read) = reader.read_line(&mut line) else {
                    break;
                };
                if read == 0 {
                    break;
                }
                if let Ok(value) = serde_json::from_str::<Value>(&line) {
                    known.apply(&value, (number, offset));
                }
                offset += read as u64;
            }
            known.files.push(Mutex::new(reader));
        }
        known
    }

    fn apply(&mut self, value: &Value, at: Line) {
        let (Some(event), Some(key), Some(to)) = (
            value.get("event").and_then(Value::as_str),
            value.get("key").and_then(Value::as_str),
            value.get("to").and_then(Value::as_str),
        ) else {
            return;
        };
        let outputs = Known::outputs_of(&self.folder, value);
        let slot = self.items.entry(state_key(key, to)).or_insert(Slot {
            time: f64::MIN,
            state: Kind::None,
            line: at,
            outputs: Vec::new(),
        });
        if !outputs.is_empty() {
            slot.outputs.push(at);
            for output in &outputs {
                self.outputs.insert(fingerprint(&absolute(&output.path)));
            }
        }
        let state = match event {
            "started" => Kind::Started,
            "failed" => Kind::Failed,
            "written" => Kind::Written,
            "done" => Kind::Done,
            _ => return,
        };
        let time = value.get("time").and_then(Value::as_f64).unwrap_or(0.0);
        if slot.time <= time {
            (slot.time, slot.state, slot.line) = (time, state, at);
        }
    }

    /// The outputs a journal line records.
    fn outputs_of(folder: &Path, value: &Value) -> Vec<OutputRecord> {
        value
            .get("outputs")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|o| {
                        Some(OutputRecord {
                            path: path_field(folder, o.get("path")?)?,
                            size: u64_field(o, "size"),
                            mtime_ns: u64_field(o, "mtime_ns"),
                            crc32: u32::from_str_radix(o.get("crc32")?.as_str()?, 16).ok()?,
                            sha1: o.get("sha1")?.as_str()?.to_string(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The line at `at`, read again from its journal (appended to since, never rewritten).
    fn line(&self, (file, offset): Line) -> Option<Value> {
        let mut reader = self
            .files
            .get(file as usize)?
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        reader.seek(SeekFrom::Start(offset)).ok()?;
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        serde_json::from_str(&line).ok()
    }

    /// Every output the journals record discus writing for an item converted to `to` (the
    /// latest record of each path).
    pub fn own(&self, key: &str, to: &str) -> Vec<OutputRecord> {
        let Some(slot) = self.items.get(&state_key(key, to)) else {
            return Vec::new();
        };
        let mut own: Vec<OutputRecord> = Vec::new();
        for at in &slot.outputs {
            let Some(value) = self.line(*at) else {
                continue;
            };
            for output in Known::outputs_of(&self.folder, &value) {
                own.retain(|o| o.path != output.path);
                own.push(output);
            }
        }
        own
    }

    /// The last state the journals give an item converted to `to`.
    pub fn state(&self, key: &str, to: &str) -> Option<State> {
        let slot = self.items.get(&state_key(key, to))?;
        Some(match slot.state {
            Kind::Started => State::Started,
            Kind::Failed => State::Failed,
            Kind::Written => State::Written,
            Kind::Done => {
                let value = self.line(slot.line)?;
                State::Done {
                    outputs: Known::outputs_of(&self.folder, &value),
                    verified: value.get("verified").and_then(Value::as_bool) == Some(true),
                }
            }
            Kind::None => return None,
        })
    }

    /// Whether a journal recorded the file at `path` (resolved) as an output: such files are
    /// never taken as inputs.
    pub fn is_output(&self, path: &Path) -> bool {
        self.outputs.contains(&fingerprint(path))
    }
}

/// The journal a run writes, locked while the run lasts.
pub struct Journal {
    folder: PathBuf,
    file: Mutex<File>,
    /// Whether another batch held a lock on a journal of this folder when this one opened (or
    /// may have: where locks do not work, assumed so).
    pub others_running: bool,
    /// Why this run holds no lock on its journal: a file system without working locks (some
    /// NFS mounts). The run goes on; only its own journal is written, so shards stay apart.
    pub unlocked: Option<String>,
}

/// This machine's name, for the report's line per shard ("" where it cannot be read).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Journal {
    /// Opens (or creates) this run's journal in `folder` and locks it.
    pub fn open(folder: &Path, shard: Option<Shard>) -> anyhow::Result<Journal> {
        std::fs::create_dir_all(folder).with_context(|| folder.display().to_string())?;
        let folder = absolute(folder);
        let path = folder.join(file_name(shard));
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .with_context(|| path.display().to_string())?;
        // Called through the trait: std's own File::try_lock is newer than discus's minimum Rust.
        let unlocked = match fs4::FileExt::try_lock(&file) {
            Ok(()) => None,
            Err(fs4::TryLockError::WouldBlock) => bail!(
                "{}: another discus batch is running with this journal (same output folder and shard)",
                path.display()
            ),
            // A shared folder need not support locks. Each shard appends to its own file and
            // renames outputs into place, which needs none; what is lost is only the check
            // against two runs of one shard at once, and knowing that no other run is writing.
            Err(fs4::TryLockError::Error(e)) => Some(format!(
                "{}: cannot lock ({e}); going on without: do not start this shard twice at once, and temporary files of killed runs are left in place",
                path.display()
            )),
        };
        // A run killed while writing a line leaves it unfinished; start on a fresh line.
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))
                .and_then(|_| file.read_exact(&mut last))
                .with_context(|| path.display().to_string())?;
            if last[0] != b'\n' {
                file.write_all(b"\n")
                    .with_context(|| path.display().to_string())?;
            }
        }
        let running: Vec<PathBuf> = journals_in(&folder)
            .into_iter()
            .filter(|p| *p != path)
            .filter(|other| {
                File::open(other).is_ok_and(|f| {
                    matches!(
                        fs4::FileExt::try_lock_shared(&f),
                        Err(fs4::TryLockError::WouldBlock)
                    )
                })
            })
            .collect();
        // Shards of one split share a folder by design: their items are disjoint. A run split
        // another way (or not at all) would convert some of the same items at the same time.
        let split = |name: &str| {
            name.strip_prefix("discus-batch.shard-")
                .and_then(|rest| rest.split_once("-of-"))
                .and_then(|(_, n)| n.strip_suffix(".jsonl"))
                .and_then(|n| n.parse::<usize>().ok())
        };
        if let Some(other) = running.iter().find(|other| {
            let name = other
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            split(&name) != shard.map(|s| s.count)
        }) {
            bail!(
                "{}: another discus batch is running into this folder with another --shard split; running both could convert the same items at once",
                other.display()
            );
        }
        let others_running = !running.is_empty() || unlocked.is_some();
        Ok(Journal {
            folder,
            file: Mutex::new(file),
            others_running,
            unlocked,
        })
    }

    /// A path as the journal writes it: relative to the journal's folder when inside it.
    fn path_text(&self, path: &Path) -> String {
        let abs = absolute(path);
        abs.strip_prefix(&self.folder)
            .unwrap_or(&abs)
            .to_string_lossy()
            .into_owned()
    }

    /// Appends one event for item `key` converted to `to`, with `fields` added.
    pub fn record(&self, event: &str, key: &str, to: &str, fields: Value) -> anyhow::Result<()> {
        self.append(
            json!({ "event": event, "key": key, "to": to, "time": now() }),
            fields,
        )
    }

    /// Appends an event of the run itself (`run` when it starts, `end` when it ends): no item key,
    /// so a reader that looks for items passes over it.
    pub fn note(&self, event: &str, fields: Value) -> anyhow::Result<()> {
        self.append(json!({ "event": event, "time": now() }), fields)
    }

    /// Appends `line` with `fields` added, as one write of one line: a run killed meanwhile
    /// leaves at most one unfinished last line, which readers skip.
    fn append(&self, mut line: Value, fields: Value) -> anyhow::Result<()> {
        if let (Some(line), Value::Object(extra)) = (line.as_object_mut(), fields) {
            line.extend(extra);
        }
        let mut text = serde_json::to_string(&line)?;
        text.push('\n');
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.write_all(text.as_bytes())?;
        file.flush()?;
        Ok(())
    }

    /// The JSON of an output record.
    pub fn output_json(&self, output: &OutputRecord) -> Value {
        json!({
            "path": self.path_text(&output.path),
            "size": output.size,
            "mtime_ns": output.mtime_ns,
            "crc32": format!("{:08x}", output.crc32),
            "sha1": output.sha1,
        })
    }

    /// The JSON of an input file as it is now.
    pub fn input_json(&self, path: &Path) -> Value {
        let (size, mtime_ns) = stamp(path).unwrap_or((0, 0));
        json!({ "path": self.path_text(path), "size": size, "mtime_ns": mtime_ns })
    }
}

/// Removes what killed runs left in `folder`: `.discus-*.part` files (outputs never finished)
/// and `.discus-*.extract` folders (archives being extracted). Returns what it removed.
pub fn clean_leftovers(folder: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(folder) else {
        return removed;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(".discus-") {
            continue;
        }
        let path = entry.path();
        let done = if name.ends_with(".part") && path.is_file() {
            std::fs::remove_file(&path).is_ok()
        } else if name.ends_with(".extract") && path.is_dir() {
            std::fs::remove_dir_all(&path).is_ok()
        } else {
            false
        };
        if done {
            removed.push(path);
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn across_journals_the_latest_line_counts_not_the_file_read_last() {
        let dir = tempfile::tempdir().expect("temp dir");
        // An item failed under a split in 3, then was converted under a split in 4; the file
        // of the split in 4 sorts first.
        let failed = r#"{"event":"failed","key":"in/a.iso","to":"cso","time":100.0,"error":"x"}"#;
        let done = r#"{"event":"done","key":"in/a.iso","to":"cso","time":200.0,"outputs":[],"verified":false}"#;
        std::fs::write(
            dir.path().join("discus-batch.shard-2-of-3.jsonl"),
            format!("{failed}\n"),
        )
        .expect("write");
        std::fs::write(
            dir.path().join("discus-batch.shard-1-of-4.jsonl"),
            format!("{done}\n"),
        )
        .expect("write");
        let known = Known::read(dir.path());
        assert!(matches!(
            known.state("in/a.iso", "cso"),
            Some(State::Done { .. })
        ));
    }
}
