//! `discus batch` on a tree built from the samples: nested folders, a multi-BIN cue, archives, a
//! broken file. The summary, exit code and journal; a rerun skipping finished items; a resume
//! after `kill -9` with no partial output left; `--delete-source` deleting only verified inputs;
//! `--dry-run` touching nothing; `--shard` slices covering every item exactly once.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use discus_tests::{discus, discus_bin, files_below, peer, run, samples};
use serde_json::Value;

pub(super) fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

pub(super) fn copy(from: &Path, to: &Path) {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).expect("make folder");
    }
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
}

/// A zip holding `members` (name in the archive, file), made by Python's zipfile (deflated).
pub(super) fn zip(archive: &Path, members: &[(&str, &Path)]) -> bool {
    let Some(python) = peer("python3") else {
        return false;
    };
    if let Some(parent) = archive.parent() {
        std::fs::create_dir_all(parent).expect("make folder");
    }
    let mut args = vec![
        os("-c"),
        os("import sys, zipfile\n\
            z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\n\
            for i in range(2, len(sys.argv), 2): z.write(sys.argv[i + 1], sys.argv[i])\n\
            z.close()"),
        archive.as_os_str(),
    ];
    for (name, file) in members {
        args.push(os(name));
        args.push(file.as_os_str());
    }
    let output = run(&python, &args, Path::new("."));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    true
}

/// The test tree: what `discus batch in -r` should find, by key.
struct Tree {
    _dir: tempfile::TempDir,
    root: PathBuf,
    input: PathBuf,
    /// Items that convert, by key.
    good: Vec<String>,
    /// Items that fail, by key.
    bad: Vec<String>,
}

fn tree() -> Tree {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().to_path_buf();
    let input = root.join("in");
    let iso = samples().join("iso").join("data.iso");
    copy(&iso, &input.join("a.iso"));
    copy(
        &samples().join("img").join("data-2352.img"),
        &input.join("nested").join("deeper").join("b.img"),
    );
    let mixed = samples().join("cue").join("mixed");
    for entry in std::fs::read_dir(&mixed)
        .expect("samples/cue/mixed")
        .flatten()
    {
        copy(
            &entry.path(),
            &input.join("nested").join("mixed").join(entry.file_name()),
        );
    }
    copy(
        &samples().join("bad").join("garbage.img"),
        &input.join("broken").join("garbage.img"),
    );
    std::fs::write(input.join("notes.txt"), "not an image\n").expect("write notes");
    let mut good = vec![
        "in/a.iso".to_string(),
        "in/nested/deeper/b.img".to_string(),
        "in/nested/mixed/mixed.cue".to_string(),
    ];
    if zip(
        &input.join("archives").join("zipped.zip"),
        &[
            ("inner/game.iso", &iso),
            ("readme.txt", &root.join("in").join("notes.txt")),
        ],
    ) {
        good.push("in/archives/zipped.zip".to_string());
    }
    if let Some(sevenzip) = peer("7zz") {
        let staging = root.join("staging");
        copy(&iso, &staging.join("seven.iso"));
        let archive = input.join("archives").join("packed.7z");
        let output = run(
            &sevenzip,
            &[os("a"), archive.as_os_str(), os("seven.iso")],
            &staging,
        );
        assert!(output.status.success(), "7zz a failed");
        good.push("in/archives/packed.7z".to_string());
    }
    // Multi-file images of other formats, when this build writes them: the descriptor claims
    // its data files (.mdf; .img and .sub), which must not become items of their own.
    let formats = discus(&[os("formats"), os("--json")]);
    let formats: Value = serde_json::from_slice(&formats.stdout).expect("formats json");
    for (format, folder) in [("mds", "alcohol"), ("ccd", "clone")] {
        let writes = formats
            .as_array()
            .is_some_and(|l| l.iter().any(|f| f["name"] == format && f["writes"] == true));
        if !writes {
            continue;
        }
        std::fs::create_dir_all(input.join(folder)).expect("mkdir");
        let descriptor = input.join(folder).join(format!("disc.{format}"));
        let output = discus(&[os("convert"), iso.as_os_str(), descriptor.as_os_str()]);
        assert!(output.status.success(), "{format}");
        good.push(format!("in/{folder}/disc.{format}"));
    }
    good.sort();
    Tree {
        _dir: dir,
        root,
        input,
        good,
        bad: vec!["in/broken/garbage.img".to_string()],
    }
}

/// Runs `discus batch` in `dir` with `args`, `--json`; returns the exit code and the events.
pub(super) fn batch(dir: &Path, args: &[&str]) -> (i32, Vec<Value>) {
    let output = Command::new(discus_bin())
        .arg("batch")
        .args(args)
        .arg("--json")
        .current_dir(dir)
        .output()
        .expect("discus starts");
    let events = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON event ({e}): {l}")))
        .collect();
    (output.status.code().unwrap_or(-1), events)
}

pub(super) fn summary(events: &[Value]) -> &Value {
    events
        .iter()
        .rfind(|e| e["event"] == "summary")
        .expect("a summary event")
}

pub(super) fn items_with(events: &[Value], event: &str, status: Option<&str>) -> Vec<String> {
    let mut list: Vec<String> = events
        .iter()
        .filter(|e| e["event"] == event && status.is_none_or(|s| e["status"] == s))
        .filter_map(|e| e["item"].as_str().map(str::to_string))
        .collect();
    list.sort();
    list
}

pub(super) fn journal_lines(folder: &Path) -> Vec<Value> {
    let mut lines = Vec::new();
    for file in files_below(folder) {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| n.starts_with("discus-batch") && n.ends_with(".jsonl")) {
            let text = std::fs::read_to_string(&file).expect("journal");
            lines.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok()));
        }
    }
    lines
}

fn mtimes(folder: &Path) -> Vec<(PathBuf, SystemTime)> {
    files_below(folder)
        .into_iter()
        .filter_map(|f| Some((f.clone(), std::fs::metadata(&f).ok()?.modified().ok()?)))
        .collect()
}

#[test]
fn a_tree_converts_with_summary_journal_and_exit_code_then_reruns_as_skips() {
    let t = tree();
    let (code, events) = batch(&t.root, &["in", "-r", "--to", "cue", "--out-dir", "out"]);
    assert_eq!(code, 1, "a broken item makes the exit code 1: {events:?}");
    assert_eq!(items_with(&events, "finished", Some("converted")), t.good);
    assert_eq!(items_with(&events, "failed", None), t.bad);
    let s = summary(&events);
    assert_eq!(s["converted"], t.good.len());
    assert_eq!(s["failed"], 1);
    assert_eq!(s["skipped"], 0);
    assert!(s["bytes_in"].as_u64().is_some_and(|b| b > 0));
    assert!(s["bytes_out"].as_u64().is_some_and(|b| b > 0));
    assert!(
        s["failures"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("garbage.img"))
    );

    let out = t.root.join("out");
    // Names keep the stem and the folder below INPUT; the cue's BINs were not items of their own.
    for expected in [
        "a.cue",
        "nested/deeper/b.cue",
        "nested/mixed/mixed.cue",
        "nested/mixed/mixed (Track 3).bin",
    ] {
        assert!(out.join(expected).is_file(), "{expected} missing");
    }
    assert!(!out.join("nested/mixed/mixed (Track 1).cue").exists());
    if t.good.iter().any(|k| k.ends_with(".zip")) {
        // One image in an archive is named after the archive.
        assert!(out.join("archives/zipped.cue").is_file());
    }
    // Extraction folders are gone, nothing is left half-written.
    assert!(
        files_below(&out)
            .iter()
            .all(|f| !f.to_string_lossy().contains(".discus-")),
        "{:?}",
        files_below(&out)
    );

    // The journal has a done line per converted item, with its outputs' sizes and hashes.
    let journal = journal_lines(&out);
    let done: Vec<&Value> = journal.iter().filter(|l| l["event"] == "done").collect();
    assert_eq!(done.len(), t.good.len());
    for line in &done {
        for output in line["outputs"].as_array().expect("outputs") {
            let path = out.join(output["path"].as_str().expect("path"));
            let size = std::fs::metadata(&path).expect("output exists").len();
            assert_eq!(output["size"], size);
            assert_eq!(output["sha1"].as_str().map(str::len), Some(40));
        }
    }

    // The same command again: everything done is skipped and not touched.
    let before = mtimes(&out);
    let (code, events) = batch(&t.root, &["in", "-r", "--to", "cue", "--out-dir", "out"]);
    assert_eq!(code, 1);
    assert_eq!(items_with(&events, "finished", Some("skipped")), t.good);
    assert_eq!(items_with(&events, "failed", None), t.bad);
    let after: Vec<_> = mtimes(&out)
        .into_iter()
        .filter(|(f, _)| !f.to_string_lossy().contains("discus-batch"))
        .collect();
    let before: Vec<_> = before
        .into_iter()
        .filter(|(f, _)| !f.to_string_lossy().contains("discus-batch"))
        .collect();
    assert_eq!(before, after);

    // An output changed behind discus's back is the user's now: kept, the item refused and
    // journaled; --force makes it again.
    std::fs::write(out.join("a.cue"), "garbage").expect("spoil an output");
    let (_, events) = batch(&t.root, &["in", "-r", "--to", "cue", "--out-dir", "out"]);
    let failed = events
        .iter()
        .find(|e| e["event"] == "failed" && e["item"] == "in/a.iso")
        .expect("the changed output stops its item");
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("changed since discus wrote it")),
        "{failed}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("a.cue")).ok().as_deref(),
        Some("garbage")
    );
    let (_, events) = batch(
        &t.root,
        &["in", "-r", "--to", "cue", "--out-dir", "out", "--force"],
    );
    assert!(items_with(&events, "finished", Some("converted")).contains(&"in/a.iso".to_string()));
}

#[test]
fn dry_run_touches_nothing() {
    let t = tree();
    let before = mtimes(&t.root);
    let output = discus(&[
        os("batch"),
        t.input.as_os_str(),
        os("-r"),
        os("--to"),
        os("iso"),
        os("--dry-run"),
        os("--delete-source"),
    ]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("nothing was written"), "{stdout}");
    assert!(stdout.contains("convert (4 files)"), "{stdout}");
    assert_eq!(mtimes(&t.root), before);
}

#[test]
fn delete_source_deletes_only_verified_inputs() {
    let t = tree();
    // An output that already exists makes its item fail: its input must stay.
    std::fs::create_dir_all(t.root.join("out").join("nested").join("deeper")).expect("mkdir");
    std::fs::write(t.root.join("out/nested/deeper/b.cue"), "in the way").expect("write");
    let (code, events) = batch(
        &t.root,
        &[
            "in",
            "-r",
            "--to",
            "cue",
            "--out-dir",
            "out",
            "--delete-source",
        ],
    );
    assert_eq!(code, 1);
    let converted = items_with(&events, "finished", Some("converted"));
    assert!(converted.contains(&"in/a.iso".to_string()));
    for event in events.iter().filter(|e| e["status"] == "converted") {
        assert_eq!(event["verified"], true);
    }
    assert!(!t.input.join("a.iso").exists());
    // A multi-file image goes whole: the sheet and every BIN.
    assert!(!t.input.join("nested/mixed").join("mixed.cue").exists());
    assert!(
        !t.input
            .join("nested/mixed")
            .join("mixed (Track 2).bin")
            .exists()
    );
    // Failed items keep their inputs.
    assert!(t.input.join("nested/deeper/b.img").exists());
    assert!(t.input.join("broken/garbage.img").exists());
    assert!(t.input.join("notes.txt").exists());
    for (key, data) in [
        ("in/alcohol/disc.mds", "alcohol/disc.mdf"),
        ("in/clone/disc.ccd", "clone/disc.sub"),
    ] {
        if converted.contains(&key.to_string()) {
            assert!(
                !t.input.join(data).exists(),
                "{data} was not deleted with its descriptor"
            );
        }
    }
    if converted.contains(&"in/archives/zipped.zip".to_string()) {
        assert!(!t.input.join("archives/zipped.zip").exists());
    }
    // With --allow-lossy nothing may be deleted.
    let output = discus(&[
        os("batch"),
        t.input.as_os_str(),
        os("--to"),
        os("iso"),
        os("--delete-source"),
        os("--allow-lossy"),
    ]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn shards_cover_every_item_exactly_once() {
    let t = tree();
    let planned = |shard: Option<&str>| {
        let mut args = vec!["in", "-r", "--to", "iso", "--out-dir", "out", "--dry-run"];
        if let Some(shard) = shard {
            args.extend(["--shard", shard]);
        }
        let (code, events) = batch(&t.root, &args);
        assert_eq!(code, 0);
        items_with(&events, "planned", None)
    };
    let all = planned(None);
    assert_eq!(all.len(), t.good.len() + t.bad.len());
    for n in [1usize, 2, 3, 7] {
        let mut seen = BTreeSet::new();
        for k in 1..=n {
            // Balance is a property of many keys (the unit tests of the hash); here: coverage.
            let slice = planned(Some(&format!("{k}/{n}")));
            for item in slice {
                assert!(seen.insert(item.clone()), "{item} in two slices of {n}");
            }
        }
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), all, "slices of {n}");
    }
    // Shards run into one folder, each with its own journal; an unsharded rerun skips them all.
    for k in 1..=3 {
        let shard = format!("{k}/3");
        batch(
            &t.root,
            &[
                "in",
                "-r",
                "--to",
                "cue",
                "--out-dir",
                "out",
                "--shard",
                &shard,
            ],
        );
    }
    for k in 1..=3 {
        let journal = t
            .root
            .join(format!("out/discus-batch.shard-{k}-of-3.jsonl"));
        assert!(journal.is_file(), "{}", journal.display());
    }
    let (_, events) = batch(&t.root, &["in", "-r", "--to", "cue", "--out-dir", "out"]);
    assert_eq!(items_with(&events, "finished", Some("skipped")), t.good);
    let output = discus(&[
        os("batch"),
        t.input.as_os_str(),
        os("--to"),
        os("iso"),
        os("--shard"),
        os("4/3"),
    ]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn archives_refuse_members_outside_and_leave_no_temporary_files() {
    let t = tree();
    let evil = t.root.join("evil");
    std::fs::create_dir_all(&evil).expect("mkdir");
    let iso = samples().join("iso").join("data.iso");
    if !zip(&evil.join("escape.zip"), &[("../../escaped.iso", &iso)]) {
        return;
    }
    // A leftover of a killed run is cleaned up by the next one.
    std::fs::write(evil.join(".discus-leftover.part"), "half").expect("write");
    std::fs::create_dir_all(evil.join(".discus-old.extract")).expect("mkdir");
    let (code, events) = batch(&t.root, &["evil", "--to", "iso"]);
    assert_eq!(code, 1);
    let failed = events
        .iter()
        .find(|e| e["event"] == "failed")
        .expect("the archive fails");
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("refused")),
        "{failed}"
    );
    assert!(!t.root.join("escaped.iso").exists());
    assert_eq!(
        discus_tests::listing(&evil),
        ["discus-batch.jsonl", "escape.zip"]
    );
}

/// Waits until the journals in `folder` record at least `count` finished items.
fn wait_for_done(folder: &Path, count: usize, limit: Duration) -> usize {
    let start = Instant::now();
    loop {
        let done = journal_lines(folder)
            .iter()
            .filter(|l| l["event"] == "done")
            .count();
        if done >= count || start.elapsed() > limit {
            return done;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Fills `input` with items big enough that a batch is still running when it is stopped: the
/// sample ISO padded to 4 MiB, each copy different. Returns how many.
fn big_items(input: &Path) -> usize {
    std::fs::create_dir_all(input).expect("mkdir");
    let mut iso = std::fs::read(samples().join("iso").join("data.iso")).expect("iso");
    iso.resize(4 << 20, 0);
    let total = 24;
    for n in 0..total {
        iso[4 << 19] = n as u8;
        std::fs::write(input.join(format!("disc{n:02}.iso")), &iso).expect("write");
    }
    total
}

#[test]
fn a_killed_batch_resumes_without_redoing_or_leaving_partial_outputs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let total = big_items(&dir.path().join("in"));
    let out = dir.path().join("out");
    let args = [
        "batch",
        "in",
        "--to",
        "img",
        "--sector-size",
        "2352",
        "--out-dir",
        "out",
        "--jobs",
        "2",
        "--verify",
        "--quiet",
    ];
    let mut child = Command::new(discus_bin())
        .args(args)
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("discus starts");
    let done_before = wait_for_done(&out, 3, Duration::from_secs(120));
    let kill = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let _ = child.wait();
    let done_at_kill = wait_for_done(&out, 0, Duration::ZERO);
    assert!(
        done_at_kill < total,
        "the run ended before it could be killed"
    );
    assert!(done_before >= 3);

    // Whatever has its final name is whole: every .img is exactly the raw size of its input.
    let raw_size = (4u64 << 20) / 2048 * 2352;
    for file in files_below(&out) {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".img") {
            assert_eq!(
                std::fs::metadata(&file).map(|m| m.len()).ok(),
                Some(raw_size),
                "{name}"
            );
        } else {
            assert!(
                name.starts_with(".discus-") || name.starts_with("discus-batch"),
                "unexpected {name}"
            );
        }
    }
    let finished: BTreeSet<String> = journal_lines(&out)
        .iter()
        .filter(|l| l["event"] == "done")
        .filter_map(|l| l["key"].as_str().map(str::to_string))
        .collect();
    let before = mtimes(&out);

    // The same command again finishes the rest and redoes nothing that was done.
    let (code, events) = batch(dir.path(), &args[1..args.len() - 1]);
    assert_eq!(code, 0, "{events:?}");
    let skipped = items_with(&events, "finished", Some("skipped"));
    let converted = items_with(&events, "finished", Some("converted"));
    assert_eq!(skipped.iter().cloned().collect::<BTreeSet<_>>(), finished);
    assert_eq!(skipped.len() + converted.len(), total);
    for (file, mtime) in before {
        let name = file.to_string_lossy().into_owned();
        let key_done = finished.iter().any(|k| {
            name.ends_with(&format!(
                "{}.img",
                k.trim_start_matches("in/").trim_end_matches(".iso")
            ))
        });
        if key_done {
            assert_eq!(
                std::fs::metadata(&file).and_then(|m| m.modified()).ok(),
                Some(mtime),
                "{name} was redone"
            );
        }
    }
    let names: Vec<String> = discus_tests::listing(&out);
    assert!(
        names.iter().all(|n| !n.starts_with(".discus-")),
        "{names:?}"
    );
    assert_eq!(names.iter().filter(|n| n.ends_with(".img")).count(), total);
}

#[test]
fn ctrl_c_during_a_batch_leaves_no_temporary_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let total = big_items(&dir.path().join("in"));
    let out = dir.path().join("out");
    let child = Command::new(discus_bin())
        .args([
            "batch",
            "in",
            "--to",
            "img",
            "--sector-size",
            "2352",
            "--out-dir",
            "out",
            "--jobs",
            "2",
            "--quiet",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("discus starts");
    let done_before = wait_for_done(&out, 2, Duration::from_secs(120));
    assert!(done_before >= 2);
    let interrupt = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupt.success());
    let output = child.wait_with_output().expect("wait");
    assert_ne!(
        output.status.code(),
        Some(0),
        "an interrupted batch does not report success"
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
    let done = wait_for_done(&out, 0, Duration::ZERO);
    assert!(done < total, "the run ended before it could be interrupted");
    for file in files_below(&out) {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert!(
            !name.starts_with(".discus-"),
            "left a temporary file: {name}"
        );
        if name.ends_with(".img") {
            assert_eq!(
                std::fs::metadata(&file).map(|m| m.len()).ok(),
                Some((4u64 << 20) / 2048 * 2352),
                "{name}"
            );
        }
    }
}

/// The `run` line of the journal in `folder`: what the run set out to do.
fn run_line(folder: &Path) -> Value {
    let text = std::fs::read_to_string(folder.join("discus-batch.jsonl")).expect("journal");
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["event"] == "run")
        .expect("a run line")
}

#[test]
fn i18_4_json_events_are_one_object_per_line_whatever_the_names_hold() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let input = root.join("in");
    let iso = samples().join("iso").join("data.iso");
    for i in 0..12 {
        copy(&iso, &input.join(format!("disc{i:02}.iso")));
    }
    // Names and messages with line breaks, quotes and a tab: each event must stay one line.
    copy(&iso, &input.join("two\nlines \"quoted\"\t.iso"));
    copy(
        &samples().join("bad").join("garbage.img"),
        &input.join("bro\nken.img"),
    );
    let out = Command::new(discus_bin())
        .args([
            "batch",
            "in",
            "--to",
            "cso",
            "--out-dir",
            "out",
            "--verify",
            "--json",
        ])
        .current_dir(root)
        .output()
        .expect("run discus");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let events: Vec<Value> = text
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not one JSON object: {line:?}: {e}"));
            assert!(value.is_object() && value["event"].is_string(), "{line}");
            value
        })
        .collect();
    let ended = |event: &str| events.iter().filter(|e| e["event"] == event).count();
    assert_eq!(ended("started"), 14, "{text}");
    assert_eq!(ended("finished") + ended("failed"), 14, "{text}");
    let failed: Vec<&Value> = events.iter().filter(|e| e["event"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["item"], "in/bro\nken.img");
    let summary = events.last().expect("summary");
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["items"], 14);
    assert!(
        summary["items_per_second"]
            .as_f64()
            .is_some_and(|r| r > 0.0)
    );
    // Nothing but events on stdout: no bars, no log lines, also where stderr is no terminal.
    assert!(!text.contains("discus:"), "{text}");
}

#[test]
fn i18_4_the_cores_go_to_many_items_or_to_the_few_there_are() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let iso = samples().join("iso").join("data.iso");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Many small items: one per core, one compression thread each.
    for i in 0..(cores * 3) {
        copy(&iso, &root.join("many").join(format!("d{i}.iso")));
    }
    // One item: it runs alone and gets every core for its compression.
    copy(&iso, &root.join("one").join("d.iso"));
    for (folder, workers, threads) in [("many", cores, 1), ("one", 1, cores)] {
        let out = discus(&[
            os("batch"),
            root.join(folder).as_os_str(),
            os("--to"),
            os("cso"),
            os("--json"),
        ]);
        assert!(out.status.success(), "{out:?}");
        let line = run_line(&root.join(folder));
        assert_eq!(line["workers"], workers, "{folder}: {line}");
        assert_eq!(line["threads"], threads, "{folder}: {line}");
    }
    // What the user asks for wins: --jobs and --threads as given, even past the cores.
    for name in ["a", "b"] {
        copy(&iso, &root.join("asked").join(format!("{name}.iso")));
    }
    let out = discus(&[
        os("--threads"),
        os("3"),
        os("batch"),
        root.join("asked").as_os_str(),
        os("--to"),
        os("cso"),
        os("--jobs"),
        os("2"),
        os("--json"),
    ]);
    assert!(out.status.success(), "{out:?}");
    let line = run_line(&root.join("asked"));
    assert_eq!(
        (line["workers"].clone(), line["threads"].clone()),
        (2.into(), 3.into())
    );
}

#[test]
fn i18_4_a_sheet_reached_through_two_inputs_still_owns_its_bin() {
    // `in/data.cue` is both named on the command line and found in the folder `in`: one item,
    // whose BIN is its alone — counted once, so --delete-source deletes it.
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    for name in ["data.cue", "data.bin"] {
        copy(
            &samples().join("cue").join("data").join(name),
            &root.join("in").join(name),
        );
    }
    let out = Command::new(discus_bin())
        .args([
            "batch",
            "in",
            "in/data.cue",
            "--to",
            "iso",
            "--out-dir",
            "out",
        ])
        .args(["--delete-source", "--json"])
        .current_dir(root)
        .output()
        .expect("run discus");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let converted: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["status"] == "converted")
        .collect();
    assert_eq!(converted.len(), 1, "{text}");
    assert!(!root.join("in").join("data.bin").exists(), "{text}");
    assert!(!root.join("in").join("data.cue").exists(), "{text}");
    assert!(root.join("out").join("data.iso").exists());
}
