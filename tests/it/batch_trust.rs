//! What `discus batch` (and `convert` of an archive) must never do, each attack built here:
//! delete a file outside the INPUT folder or one another item needs (issue 11.1), let a sheet
//! read a file outside its folder or its archive (11.2), replace an output it did not write
//! (11.3, a journal written by hand included), key the journal by how the folder was typed
//! (11.4), extract an archive bomb (11.5), write one format under another's extension (11.8),
//! convert an archive of several images as if it held one (11.20), delete a source before its
//! output is on the disk (14.1).

use std::path::{Path, PathBuf};
use std::process::Command;

use discus_tests::{discus, discus_bin, listing, peer, run, samples};
use serde_json::Value;

use crate::batch::{batch, copy, items_with, journal_lines, os, zip};

/// A one-track Mode 1 sheet naming `file`.
fn sheet(path: &Path, file: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(
        path,
        format!("FILE \"{file}\" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n"),
    )
    .expect("write sheet");
}

fn data_bin() -> PathBuf {
    samples().join("cue").join("data").join("data.bin")
}

fn error_of<'a>(events: &'a [Value], item: &str) -> &'a str {
    events
        .iter()
        .find(|e| e["event"] == "failed" && e["item"] == item)
        .and_then(|e| e["error"].as_str())
        .unwrap_or_else(|| panic!("{item} did not fail: {events:?}"))
}

#[test]
fn i11_1_delete_source_deletes_only_files_of_this_item_inside_the_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let input = root.join("in");
    let elsewhere = root.join("elsewhere");
    copy(&data_bin(), &elsewhere.join("up.bin"));
    copy(&data_bin(), &elsewhere.join("abs.bin"));
    sheet(&input.join("up.cue"), "../elsewhere/up.bin");
    let absolute = elsewhere.join("abs.bin");
    sheet(&input.join("abs.cue"), &absolute.to_string_lossy());
    // Two sheets share one BIN: it is neither's alone.
    copy(&data_bin(), &input.join("shared.bin"));
    sheet(&input.join("one.cue"), "shared.bin");
    sheet(&input.join("two.cue"), "shared.bin");
    copy(&data_bin(), &input.join("own.bin"));
    sheet(&input.join("own.cue"), "own.bin");
    // A link inside the folder that leads out of it.
    #[cfg(unix)]
    {
        copy(&data_bin(), &elsewhere.join("linked.bin"));
        std::os::unix::fs::symlink(elsewhere.join("linked.bin"), input.join("link.bin"))
            .expect("symlink");
        sheet(&input.join("link.cue"), "link.bin");
    }

    let args = ["in", "--to", "iso", "--out-dir", "out", "--delete-source"];
    // A dry run already shows the refusal.
    let mut dry = args.to_vec();
    dry.push("-n");
    let (_, events) = batch(root, &dry);
    let planned = events
        .iter()
        .find(|e| e["event"] == "planned" && e["item"] == "in/up.cue")
        .expect("planned");
    assert!(
        planned["action"]
            .as_str()
            .is_some_and(|a| a.starts_with("fail") && a.contains("up.cue: line 1")),
        "{planned}"
    );
    let (code, events) = batch(root, &args);
    assert_eq!(code, 1, "{events:?}");
    let mut outside = vec!["in/abs.cue", "in/up.cue"];
    if cfg!(unix) {
        outside.insert(1, "in/link.cue");
    }
    assert_eq!(items_with(&events, "failed", None), outside);
    for item in &outside {
        let error = error_of(&events, item);
        let name = item.trim_start_matches("in/");
        assert!(error.contains(&format!("{name}: line 1")), "{error}");
        assert!(error.contains("--allow-outside-files"), "{error}");
    }
    assert_eq!(
        items_with(&events, "finished", Some("converted")),
        ["in/one.cue", "in/own.cue", "in/two.cue"]
    );
    // Each item's own files went; the shared BIN and everything refused stayed.
    assert!(!input.join("own.cue").exists() && !input.join("own.bin").exists());
    assert!(!input.join("one.cue").exists() && !input.join("two.cue").exists());
    assert!(
        input.join("shared.bin").is_file(),
        "a shared BIN was deleted"
    );
    for kept in ["up.cue", "abs.cue"] {
        assert!(input.join(kept).is_file(), "{kept}");
    }
    // The outputs were flushed before the inputs went, and the journal says so.
    let journal = journal_lines(&root.join("out"));
    let done: Vec<&Value> = journal.iter().filter(|l| l["event"] == "done").collect();
    assert_eq!(done.len(), 3);
    assert!(done.iter().all(|l| l["durable"] == true), "{done:?}");

    // Allowed to read outside, the sheets convert, but nothing outside is ever deleted.
    let mut allowed = args.to_vec();
    allowed.push("--allow-outside-files");
    let (_, events) = batch(root, &allowed);
    let converted = items_with(&events, "finished", Some("converted"));
    for item in &outside {
        assert!(converted.contains(&item.to_string()), "{item}: {events:?}");
    }
    for file in ["up.bin", "abs.bin", "linked.bin"] {
        if file == "linked.bin" && !cfg!(unix) {
            continue;
        }
        assert!(elsewhere.join(file).is_file(), "{file} outside was deleted");
    }
    // The sheets themselves were inside and theirs alone; the link stays with what it names.
    assert!(!input.join("up.cue").exists() && !input.join("abs.cue").exists());
    if cfg!(unix) {
        assert!(input.join("link.bin").symlink_metadata().is_ok());
        let event = events
            .iter()
            .find(|e| e["item"] == "in/link.cue" && e["event"] == "finished")
            .expect("link item");
        assert!(
            event.to_string().contains("outside the INPUT folder"),
            "{event}"
        );
    }
}

/// A zip of one sheet naming `file`.
fn zip_with_sheet(archive: &Path, staging: &Path, file: &str) -> bool {
    let cue = staging.join(format!(
        "{}.cue",
        archive.file_stem().unwrap_or_default().to_string_lossy()
    ));
    sheet(&cue, file);
    zip(archive, &[("game.cue", &cue)])
}

#[test]
fn i11_2_a_sheet_inside_an_archive_names_only_members_of_that_archive() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let staging = root.join("staging");
    let secret = root.join("secret.bin");
    copy(&data_bin(), &secret);
    let input = root.join("in");
    if !zip_with_sheet(&input.join("abs.zip"), &staging, &secret.to_string_lossy()) {
        return;
    }
    // `..` from the extraction folder (inside --out-dir) reaches the output folder itself.
    copy(&data_bin(), &root.join("out").join("up.bin"));
    zip_with_sheet(&input.join("up.zip"), &staging, "../up.bin");
    zip_with_sheet(&input.join("etc.zip"), &staging, "/etc/services");
    let mut archives = vec!["in/abs.zip", "in/etc.zip", "in/up.zip"];
    if let Some(sevenzip) = peer("7zz") {
        sheet(
            &staging.join("seven").join("game.cue"),
            &secret.to_string_lossy(),
        );
        let output = run(
            &sevenzip,
            &[os("a"), input.join("seven.7z").as_os_str(), os("game.cue")],
            &staging.join("seven"),
        );
        assert!(output.status.success(), "7zz a failed");
        archives.push("in/seven.7z");
        archives.sort();
    }

    let (code, events) = batch(root, &["in", "--to", "iso", "--out-dir", "out"]);
    assert_eq!(code, 1);
    assert_eq!(items_with(&events, "failed", None), archives);
    for item in &archives {
        let error = error_of(&events, item);
        assert!(
            error.contains(&format!("{item}/game.cue: line 1")),
            "{error}"
        );
        assert!(error.contains("members of that archive"), "{error}");
    }
    // Nothing from outside reached an output, and no extraction folder is left.
    let out = listing(&root.join("out"));
    assert_eq!(out, ["discus-batch.jsonl", "up.bin"], "{out:?}");
    // --allow-outside-files is for plain folders only.
    let (_, events) = batch(
        root,
        &[
            "in",
            "--to",
            "iso",
            "--out-dir",
            "out",
            "--allow-outside-files",
        ],
    );
    assert_eq!(items_with(&events, "failed", None), archives);

    // `convert` of such an archive holds it to the same rule.
    let target = root.join("abs.iso");
    let output = discus(&[
        os("convert"),
        input.join("abs.zip").as_os_str(),
        target.as_os_str(),
    ]);
    assert!(!output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("game.cue: line 1"), "{stderr}");
    assert!(!target.exists());
    assert!(
        listing(root).iter().all(|n| !n.starts_with(".discus-")),
        "{:?}",
        listing(root)
    );
}

#[test]
fn i11_3_a_rerun_never_replaces_an_output_it_did_not_write_archives_included() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let iso = samples().join("iso").join("data.iso");
    if !zip(&root.join("in").join("game.zip"), &[("game.iso", &iso)]) {
        return;
    }
    let mine = root.join("out").join("game.cue");
    std::fs::create_dir_all(root.join("out")).expect("mkdir");
    std::fs::write(&mine, "the user's own file\n").expect("write");
    let args = ["in", "--to", "cue", "--out-dir", "out"];
    for run in 1..=2 {
        let (code, events) = batch(root, &args);
        assert_eq!(code, 1, "run {run}: {events:?}");
        assert!(
            error_of(&events, "in/game.zip").contains("already exists"),
            "run {run}"
        );
        assert_eq!(
            std::fs::read_to_string(&mine).ok().as_deref(),
            Some("the user's own file\n"),
            "run {run} replaced the user's file"
        );
    }
    // Every refusal is journaled.
    let failed = journal_lines(&root.join("out"))
        .into_iter()
        .filter(|l| l["event"] == "failed" && l["key"] == "in/game.zip")
        .count();
    assert_eq!(failed, 2);
    let mut forced = args.to_vec();
    forced.push("--force");
    let (code, events) = batch(root, &forced);
    assert_eq!(code, 0, "{events:?}");
    assert!(std::fs::read_to_string(&mine).is_ok_and(|t| t.contains("FILE")));
}

/// SHA-1 of a file, by the system's `sha1sum`.
fn sha1(path: &Path) -> Option<String> {
    let program = peer("sha1sum")?;
    let output = run(&program, &[path.as_os_str()], Path::new("."));
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace().next().map(str::to_string)
}

fn mtime_ns(path: &Path) -> u128 {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

#[test]
fn i11_3_a_journal_written_by_hand_replaces_or_deletes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let iso = samples().join("iso").join("data.iso");
    copy(&iso, &root.join("in").join("a.iso"));
    copy(&iso, &root.join("in").join("b.iso"));
    let out = root.join("out");
    std::fs::create_dir_all(&out).expect("mkdir");
    // a.cue is the user's; the journal claims it with made-up numbers.
    std::fs::write(out.join("a.cue"), "mine\n").expect("write");
    // victim.txt lies outside where b writes; the journal claims it with its true numbers.
    let victim = root.join("victim.txt");
    std::fs::write(&victim, "precious\n").expect("write");
    let Some(victim_sha) = sha1(&victim) else {
        return;
    };
    let lines = [
        serde_json::json!({"event": "written", "key": "in/a.iso", "to": "cue", "outputs": [
            {"path": "a.cue", "size": 5, "mtime_ns": 1, "crc32": "00000000",
             "sha1": "0000000000000000000000000000000000000000"}]}),
        serde_json::json!({"event": "written", "key": "in/b.iso", "to": "cue", "outputs": [
            {"path": "../victim.txt", "size": 9, "mtime_ns": mtime_ns(&victim) as u64,
             "crc32": "00000000", "sha1": victim_sha}]}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(out.join("discus-batch.jsonl"), text).expect("write journal");

    let (code, events) = batch(root, &["in", "--to", "cue", "--out-dir", "out"]);
    assert_eq!(code, 1, "{events:?}");
    assert!(error_of(&events, "in/a.iso").contains("changed since discus wrote it"));
    assert_eq!(
        std::fs::read_to_string(out.join("a.cue")).ok().as_deref(),
        Some("mine\n")
    );
    assert_eq!(
        items_with(&events, "finished", Some("converted")),
        ["in/b.iso"]
    );
    assert_eq!(
        std::fs::read_to_string(&victim).ok().as_deref(),
        Some("precious\n")
    );

    // A forged "done, verified" line does not delete an input: with --delete-source the item
    // is converted and compared in this run first.
    let forged = serde_json::json!({"event": "done", "key": "in/b.iso", "to": "iso",
        "outputs": [], "verified": true});
    let mut journal = std::fs::read_to_string(out.join("discus-batch.jsonl")).expect("journal");
    journal.push_str(&format!("{forged}\n"));
    std::fs::write(out.join("discus-batch.jsonl"), journal).expect("write journal");
    std::fs::write(out.join("b.iso"), "not an image\n").expect("write");
    let (_, events) = batch(
        root,
        &["in", "--to", "iso", "--out-dir", "out", "--delete-source"],
    );
    assert!(error_of(&events, "in/b.iso").contains("already exists"));
    assert!(
        root.join("in").join("b.iso").is_file(),
        "input deleted on the journal's word"
    );
}

#[test]
fn i11_3_two_runs_at_once_on_one_output_folder_do_not_both_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    copy(
        &samples().join("iso").join("data.iso"),
        &root.join("in").join("a.iso"),
    );
    std::fs::create_dir_all(root.join("out")).expect("mkdir");
    // Hold the journal's lock as a running batch does, with the system's flock(1).
    let Some(flock) = peer("flock") else {
        return;
    };
    let mut holder = Command::new(flock)
        .arg(root.join("out").join("discus-batch.jsonl"))
        .args(["sleep", "30"])
        .spawn()
        .expect("flock starts");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let output = Command::new(discus_bin())
        .args(["batch", "in", "--to", "cue", "--out-dir", "out"])
        .current_dir(root)
        .output()
        .expect("discus starts");
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("another discus batch is running"));
    assert!(!root.join("out").join("a.cue").exists());
}

#[test]
fn i11_4_journal_keys_do_not_depend_on_how_the_folder_is_typed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    copy(
        &samples().join("iso").join("data.iso"),
        &root.join("roms").join("a.iso"),
    );
    let (code, events) = batch(root, &["roms/", "--to", "cue", "--out-dir", "out"]);
    assert_eq!(code, 0, "{events:?}");
    assert_eq!(
        items_with(&events, "finished", Some("converted")),
        ["roms/a.iso"]
    );
    let absolute_roms = root.join("roms");
    let absolute_out = root.join("out");
    let spellings: Vec<(PathBuf, Vec<String>)> = vec![
        (root.to_path_buf(), vec!["roms".into(), "out".into()]),
        (root.join("roms"), vec![".".into(), "../out".into()]),
        (
            root.to_path_buf(),
            vec![
                absolute_roms.to_string_lossy().into_owned(),
                absolute_out.to_string_lossy().into_owned(),
            ],
        ),
        (root.to_path_buf(), vec!["roms/a.iso".into(), "out".into()]),
    ];
    for (cwd, args) in spellings {
        let (code, events) = batch(&cwd, &[&args[0], "--to", "cue", "--out-dir", &args[1]]);
        assert_eq!(code, 0, "{args:?}: {events:?}");
        assert_eq!(
            items_with(&events, "finished", Some("skipped")),
            ["roms/a.iso"],
            "{args:?}"
        );
    }
    // A link to the folder is the folder.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root.join("roms"), root.join("link")).expect("symlink");
        let (_, events) = batch(root, &["link", "--to", "cue", "--out-dir", "out"]);
        assert_eq!(
            items_with(&events, "finished", Some("skipped")),
            ["roms/a.iso"]
        );
    }
}

/// A zip holding `big.iso` of `real` zero bytes, deflated; when `declared` is given, its sizes in
/// both headers are rewritten to say that instead.
fn zero_zip(archive: &Path, real: usize, declared: Option<u32>) -> bool {
    let Some(python) = peer("python3") else {
        return false;
    };
    let script = "import sys, zipfile, struct\n\
        path, real, declared = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])\n\
        z = zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED)\n\
        z.writestr('big.iso', bytes(real))\n\
        z.close()\n\
        if declared >= 0:\n\
        \x20   data = bytearray(open(path, 'rb').read())\n\
        \x20   local = data.find(b'PK\\x03\\x04')\n\
        \x20   struct.pack_into('<I', data, local + 22, declared)\n\
        \x20   central = data.find(b'PK\\x01\\x02')\n\
        \x20   struct.pack_into('<I', data, central + 24, declared)\n\
        \x20   open(path, 'wb').write(data)\n";
    if let Some(parent) = archive.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    let real = real.to_string();
    let declared = declared.map(i64::from).unwrap_or(-1).to_string();
    let output = run(
        &python,
        &[
            os("-c"),
            os(script),
            archive.as_os_str(),
            os(&real),
            os(&declared),
        ],
        Path::new("."),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    true
}

#[test]
fn i11_5_archive_bombs_stop_at_the_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let real = 16 << 20;
    // Honest about its size, but over --max-extract: refused before anything is written.
    if !zero_zip(&root.join("in").join("honest.zip"), real, None) {
        return;
    }
    // Declares 2 KiB, expands to 16 MiB: stopped while extracting.
    zero_zip(&root.join("in").join("liar.zip"), real, Some(2048));
    let (code, events) = batch(
        root,
        &[
            "in",
            "--to",
            "cue",
            "--out-dir",
            "out",
            "--max-extract",
            "1M",
        ],
    );
    assert_eq!(code, 1, "{events:?}");
    let honest = error_of(&events, "in/honest.zip");
    assert!(honest.contains("declare 16777216 bytes"), "{honest}");
    assert!(honest.contains("--max-extract"), "{honest}");
    let liar = error_of(&events, "in/liar.zip");
    assert!(
        liar.contains("expands beyond 1048576 bytes") && liar.contains("declare 2048 bytes"),
        "{liar}"
    );
    // Nothing big was written and nothing is left behind.
    assert_eq!(listing(&root.join("out")), ["discus-batch.jsonl"]);
    // A 7z is held to the same limit (its solid blocks decode members not extracted, too).
    if let Some(sevenzip) = peer("7zz") {
        let staging = root.join("staging");
        std::fs::create_dir_all(&staging).expect("mkdir");
        std::fs::write(staging.join("big.iso"), vec![0u8; real]).expect("write");
        let archive = root.join("seven").join("big.7z");
        let output = run(
            &sevenzip,
            &[os("a"), archive.as_os_str(), os("big.iso")],
            &staging,
        );
        assert!(output.status.success(), "7zz a failed");
        let (code, events) = batch(
            root,
            &[
                "seven",
                "--to",
                "cue",
                "--out-dir",
                "out7",
                "--max-extract",
                "1M",
            ],
        );
        assert_eq!(code, 1, "{events:?}");
        let error = error_of(&events, "seven/big.7z");
        assert!(error.contains("declare 16777216 bytes"), "{error}");
        assert_eq!(listing(&root.join("out7")), ["discus-batch.jsonl"]);
    }
    // Under the default limit the same honest archive converts (zeros read as an empty ISO).
    let (code, events) = batch(root, &["in/honest.zip", "--to", "iso", "--out-dir", "ok"]);
    assert_eq!(code, 0, "{events:?}");
}

#[test]
fn i11_8_a_target_preset_never_contradicts_the_output_extension() {
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = samples().join("iso").join("data.iso");
    let zso = dir.path().join("psp.zso");
    let output = discus(&[
        os("convert"),
        iso.as_os_str(),
        zso.as_os_str(),
        os("--target"),
        os("psp"),
    ]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("zso") && stderr.contains("--target psp") && stderr.contains("cso"),
        "{stderr}"
    );
    assert!(!zso.exists());
    // --to against the extension likewise.
    let output = discus(&[
        os("convert"),
        iso.as_os_str(),
        zso.as_os_str(),
        os("--to"),
        os("cso"),
    ]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(!zso.exists());
    // `.img` holds plain sectors of any size: an ISO written as `x.img` is no contradiction.
    let img = dir.path().join("plain.img");
    let output = discus(&[
        os("convert"),
        iso.as_os_str(),
        img.as_os_str(),
        os("--to"),
        os("iso"),
    ]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(std::fs::read(&img).ok(), std::fs::read(&iso).ok());
    // A preset that agrees converts.
    let cso = dir.path().join("psp.cso");
    let output = discus(&[
        os("convert"),
        iso.as_os_str(),
        cso.as_os_str(),
        os("--target"),
        os("psp"),
    ]);
    assert!(output.status.success(), "{output:?}");
    // In batch, --to and --target must agree.
    let output = discus(&[
        os("batch"),
        iso.as_os_str(),
        os("--to"),
        os("zso"),
        os("--target"),
        os("psp"),
        os("--out-dir"),
        dir.path().join("out").as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--to zso contradicts --target psp"),
        "{stderr}"
    );
}

#[test]
fn i11_20_convert_of_an_archive_with_one_image_works_as_batch_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let iso = samples().join("iso").join("data.iso");
    if !zip(&root.join("game.zip"), &[("inner/game.iso", &iso)]) {
        return;
    }
    let output = discus(&[
        os("convert"),
        root.join("game.zip").as_os_str(),
        root.join("game.cue").as_os_str(),
        os("--verify"),
    ]);
    assert!(output.status.success(), "{output:?}");
    let back = root.join("back.iso");
    let output = discus(&[
        os("convert"),
        root.join("game.cue").as_os_str(),
        back.as_os_str(),
    ]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(std::fs::read(&back).ok(), std::fs::read(&iso).ok());
    assert!(listing(root).iter().all(|n| !n.starts_with(".discus-")));

    // Several images: a clear error naming them, nothing written.
    zip(
        &root.join("two.zip"),
        &[("one.iso", &iso), ("sub/two.iso", &iso)],
    );
    let target = root.join("two.cue");
    let output = discus(&[
        os("convert"),
        root.join("two.zip").as_os_str(),
        target.as_os_str(),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("holds 2 images")
            && stderr.contains("one.iso")
            && stderr.contains("two.iso"),
        "{stderr}"
    );
    assert!(!target.exists());
    assert!(listing(root).iter().all(|n| !n.starts_with(".discus-")));
}

#[test]
fn i11_2_zip_members_with_absolute_names_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let archive = root.join("in").join("slip.zip");
    let iso = samples().join("iso").join("data.iso");
    // Python's zipfile strips a leading '/', so the name is written as '_' and patched.
    if !zip(&archive, &[("_slip.iso", &iso)]) {
        return;
    }
    let mut bytes = std::fs::read(&archive).expect("read zip");
    let mut patched = 0;
    for at in 0..bytes.len().saturating_sub(9) {
        if &bytes[at..at + 9] == b"_slip.iso" {
            bytes[at] = b'/';
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "local and central names");
    std::fs::write(&archive, bytes).expect("write zip");
    let (code, events) = batch(root, &["in", "--to", "cue", "--out-dir", "out"]);
    assert_eq!(code, 1);
    assert!(error_of(&events, "in/slip.zip").contains("absolute path"));
    assert!(!Path::new("/slip.iso").exists() && !Path::new("/slip.cue").exists());
    assert_eq!(listing(&root.join("out")), ["discus-batch.jsonl"]);
}

#[cfg(unix)]
#[test]
fn i11_2_links_inside_the_folder_that_lead_out_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let elsewhere = root.join("elsewhere");
    copy(
        &samples().join("iso").join("data.iso"),
        &elsewhere.join("deep").join("x.iso"),
    );
    copy(
        &samples().join("iso").join("data.iso"),
        &elsewhere.join("y.iso"),
    );
    std::fs::create_dir_all(root.join("in")).expect("mkdir");
    std::os::unix::fs::symlink(elsewhere.join("y.iso"), root.join("in").join("y.iso"))
        .expect("symlink");
    std::os::unix::fs::symlink(elsewhere.join("deep"), root.join("in").join("sub"))
        .expect("symlink");
    let (code, events) = batch(
        root,
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
    assert_eq!(
        items_with(&events, "failed", None),
        ["in/sub/x.iso", "in/y.iso"]
    );
    for item in ["in/sub/x.iso", "in/y.iso"] {
        assert!(error_of(&events, item).contains("--allow-outside-files"));
    }
    // Allowed, they convert; the file they lead to is never deleted.
    let (_, events) = batch(
        root,
        &[
            "in",
            "-r",
            "--to",
            "cue",
            "--out-dir",
            "out",
            "--delete-source",
            "--allow-outside-files",
        ],
    );
    assert_eq!(
        items_with(&events, "finished", Some("converted")),
        ["in/sub/x.iso", "in/y.iso"]
    );
    assert!(elsewhere.join("deep").join("x.iso").is_file());
    assert!(elsewhere.join("y.iso").is_file());
}

#[cfg(unix)]
#[test]
fn i11_2_a_link_loop_in_the_folder_is_walked_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    copy(
        &samples().join("iso").join("data.iso"),
        &root.join("in").join("a.iso"),
    );
    std::os::unix::fs::symlink(root.join("in"), root.join("in").join("loop")).expect("symlink");
    let (code, events) = batch(root, &["in", "-r", "--to", "cue", "--out-dir", "out", "-n"]);
    assert_eq!(code, 0, "{events:?}");
    assert_eq!(items_with(&events, "planned", None), ["in/a.iso"]);
}

#[test]
fn i11_3_a_run_split_another_way_does_not_start_beside_running_shards() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    copy(
        &samples().join("iso").join("data.iso"),
        &root.join("in").join("a.iso"),
    );
    std::fs::create_dir_all(root.join("out")).expect("mkdir");
    let Some(flock) = peer("flock") else {
        return;
    };
    // Shard 1 of 2 is running (its journal locked).
    let mut holder = Command::new(flock)
        .arg(root.join("out").join("discus-batch.shard-1-of-2.jsonl"))
        .args(["sleep", "30"])
        .spawn()
        .expect("flock starts");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let run_with = |extra: &[&str]| {
        Command::new(discus_bin())
            .args(["batch", "in", "--to", "cue", "--out-dir", "out"])
            .args(extra)
            .current_dir(root)
            .output()
            .expect("discus starts")
    };
    let unsharded = run_with(&[]);
    let other_split = run_with(&["--shard", "1/3"]);
    let same_split = run_with(&["--shard", "2/2"]);
    let _ = holder.kill();
    let _ = holder.wait();
    for output in [&unsharded, &other_split] {
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("another --shard split"));
    }
    assert_eq!(same_split.status.code(), Some(0), "{same_split:?}");
}

#[test]
fn i11_3_a_run_killed_after_writing_redoes_its_own_output_but_not_a_started_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    copy(
        &samples().join("iso").join("data.iso"),
        &root.join("in").join("a.iso"),
    );
    let args = ["in", "--to", "cue", "--out-dir", "out"];
    let (code, _) = batch(root, &args);
    assert_eq!(code, 0);
    let journal_path = root.join("out").join("discus-batch.jsonl");
    let journal = std::fs::read_to_string(&journal_path).expect("journal");
    // Cut the journal as a kill after the first `written` line (size and time only) leaves it.
    let cut: String = journal
        .lines()
        .take_while(|l| !l.contains("\"written\""))
        .chain(journal.lines().find(|l| l.contains("\"written\"")))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(cut.contains("\"sha1\":\"\""), "{cut}");
    std::fs::write(&journal_path, &cut).expect("write journal");
    let (code, events) = batch(root, &args);
    assert_eq!(code, 0, "{events:?}");
    assert_eq!(
        items_with(&events, "finished", Some("converted")),
        ["in/a.iso"]
    );

    // Cut after `started` only: the output under the final name is not taken for discus's.
    let journal = std::fs::read_to_string(&journal_path).expect("journal");
    let started: String = journal
        .lines()
        .filter(|l| l.contains("\"started\""))
        .take(1)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&journal_path, started).expect("write journal");
    let (code, events) = batch(root, &args);
    assert_eq!(code, 1, "{events:?}");
    assert!(error_of(&events, "in/a.iso").contains("already exists"));
}

#[test]
fn i14_1_the_journal_says_which_items_were_made_durable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    copy(
        &samples().join("iso").join("data.iso"),
        &root.join("in").join("a.iso"),
    );
    for (out, extra, durable) in [
        ("plain", None, false),
        ("synced", Some("--sync"), true),
        ("deleting", Some("--delete-source"), true),
    ] {
        let mut args = vec!["in", "--to", "cue", "--out-dir", out];
        args.extend(extra);
        let (code, events) = batch(root, &args);
        assert_eq!(code, 0, "{out}: {events:?}");
        let done: Vec<Value> = journal_lines(&root.join(out))
            .into_iter()
            .filter(|l| l["event"] == "done")
            .collect();
        assert_eq!(done.len(), 1, "{out}");
        assert_eq!(done[0]["durable"], durable, "{out}: {}", done[0]);
    }
    assert!(!root.join("in").join("a.iso").exists());
}

#[test]
fn i11_2_a_sheet_reads_only_its_own_folder_and_below() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let input = root.join("in");
    // Below the sheet's folder: its own.
    copy(&data_bin(), &input.join("tracks").join("below.bin"));
    sheet(&input.join("below.cue"), "tracks/below.bin");
    // Another folder of the same INPUT: not the sheet's to name.
    copy(&data_bin(), &input.join("other").join("x.bin"));
    sheet(&input.join("sub").join("side.cue"), "../other/x.bin");
    let (code, events) = batch(root, &["in", "-r", "--to", "iso", "--out-dir", "out"]);
    assert_eq!(code, 1, "{events:?}");
    let error = error_of(&events, "in/sub/side.cue");
    assert!(
        error.contains("side.cue: line 1") && error.contains("outside the sheet's own folder"),
        "{error}"
    );
    assert!(
        items_with(&events, "finished", Some("converted")).contains(&"in/below.cue".to_string())
    );
}

#[test]
fn i11_4_two_input_folders_of_one_name_do_not_share_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let iso = samples().join("iso").join("data.iso");
    copy(&iso, &root.join("a").join("roms").join("x.iso"));
    copy(&iso, &root.join("b").join("roms").join("y.iso"));
    copy(&iso, &root.join("b").join("roms").join("x.iso"));
    let (code, events) = batch(
        root,
        &["a/roms", "b/roms", "--to", "cue", "--out-dir", "out"],
    );
    assert_eq!(code, 1, "{events:?}");
    // The first folder's x.iso converts; the second's x.iso has the same key and fails, saying
    // why, instead of being taken for done or replacing the first one's output.
    let error = error_of(&events, "roms/x.iso");
    assert!(error.contains("same key 'roms/x.iso'"), "{error}");
    assert!(
        items_with(&events, "finished", Some("converted"))
            .iter()
            .any(|k| k == "roms/x.iso")
    );
}

/// The sheets of every format that names other files — a cue (also through an ECM beside the BIN
/// it names), a cdrdao TOC, a Dreamcast GDI — each naming a file `file`.
fn sheets_naming(folder: &Path, file: &str) -> Vec<(&'static str, PathBuf)> {
    std::fs::create_dir_all(folder).expect("mkdir");
    let sheets = [
        (
            "t.toc",
            format!("CD_ROM\nTRACK MODE1_RAW\nDATAFILE \"{file}\"\n"),
        ),
        ("g.gdi", format!("1\n1 0 4 2352 \"{file}\" 0\n")),
        (
            "e.cue",
            format!("FILE \"{file}\" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n"),
        ),
    ];
    sheets
        .into_iter()
        .map(|(name, text)| {
            let path = folder.join(name);
            std::fs::write(&path, text).expect("write sheet");
            (name, path)
        })
        .collect()
}

#[test]
fn i11_2_toc_gdi_and_ecm_sheets_are_held_to_their_folder_and_archive() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let elsewhere = root.join("elsewhere");
    copy(&data_bin(), &elsewhere.join("x.bin"));
    // The cue names x.bin; only x.bin.ecm is there for the ECM lookup to find.
    let ecm = elsewhere.join("e.bin.ecm");
    let made = discus(&[
        os("convert"),
        data_bin().as_os_str(),
        ecm.as_os_str(),
        os("-q"),
    ]);
    assert!(made.status.success(), "{made:?}");
    let input = root.join("in");
    let mut expected = Vec::new();
    for (name, path) in sheets_naming(&input, "../elsewhere/x.bin") {
        if name == "e.cue" {
            std::fs::write(
                &path,
                "FILE \"../elsewhere/e.bin\" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n",
            )
            .expect("write sheet");
        }
        expected.push(format!("in/{name}"));
    }
    // The same sheets inside archives, naming a host file by its absolute path.
    let staging = root.join("staging");
    let secret = elsewhere.join("x.bin").to_string_lossy().into_owned();
    let mut archives = Vec::new();
    for (name, path) in sheets_naming(&staging, &secret) {
        let archive = input.join(format!("{name}.zip"));
        if zip(&archive, &[(name, &path)]) {
            archives.push(format!("in/{name}.zip"));
        }
    }
    expected.extend(archives);
    expected.sort();

    let before: Vec<Vec<u8>> = ["x.bin", "e.bin.ecm"]
        .iter()
        .map(|f| std::fs::read(elsewhere.join(f)).expect("read"))
        .collect();
    let (code, events) = batch(
        root,
        &[
            "in",
            "--to",
            "iso",
            "--out-dir",
            "out",
            "--delete-source",
            "--verify",
        ],
    );
    assert_eq!(code, 1, "{events:?}");
    assert_eq!(items_with(&events, "failed", None), expected);
    for item in &expected {
        let error = error_of(&events, item);
        assert!(
            error.contains("outside") || error.contains("member"),
            "{item}: {error}"
        );
    }
    // Nothing outside was deleted or changed, and no ISO was made of it.
    let after: Vec<Vec<u8>> = ["x.bin", "e.bin.ecm"]
        .iter()
        .map(|f| std::fs::read(elsewhere.join(f)).expect("outside file still there"))
        .collect();
    assert!(before == after, "a file outside the input folder changed");
    let isos: Vec<String> = listing(&root.join("out"))
        .into_iter()
        .filter(|n| n.ends_with(".iso"))
        .collect();
    assert!(isos.is_empty(), "{isos:?}");
}

#[test]
fn i11_3_with_force_no_item_replaces_a_file_another_item_wrote_siblings_included() {
    // `mixed.cue` to cue writes `mixed (Track 1).bin` beside its sheet; `mixed (Track 1).iso` to
    // cue writes a BIN of that very name as its only data file. The main outputs differ, so only
    // the rule that a run never replaces what it wrote itself keeps the first item's BIN whole.
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("in");
    let mixed = samples().join("cue").join("mixed");
    for name in [
        "mixed.cue",
        "mixed (Track 1).bin",
        "mixed (Track 2).bin",
        "mixed (Track 3).bin",
    ] {
        copy(&mixed.join(name), &input.join(name));
    }
    let iso = input.join("mixed (Track 1).iso");
    copy(&samples().join("iso").join("data.iso"), &iso);
    let (code, events) = batch(
        dir.path(),
        &[
            "in",
            "--to",
            "cue",
            "--out-dir",
            "out",
            "--force",
            "--jobs",
            "1",
        ],
    );
    assert_ne!(code, 0, "{events:?}");
    assert_eq!(
        items_with(&events, "finished", Some("converted")),
        ["in/mixed (Track 1).iso"],
        "{events:?}"
    );
    let error = error_of(&events, "in/mixed.cue");
    assert!(
        error.contains("mixed (Track 1).bin") && error.contains("written earlier in this run"),
        "{error}"
    );
    // What the first item wrote is still its image, byte for byte.
    let out = dir.path().join("out");
    let written = out.join("mixed (Track 1).cue");
    let compared = Command::new(discus_bin())
        .arg("compare")
        .arg(&written)
        .arg(&iso)
        .output()
        .expect("discus starts");
    assert!(
        compared.status.success(),
        "{}",
        String::from_utf8_lossy(&compared.stdout)
    );
    // The item that failed left none of its files behind.
    assert!(!out.join("mixed.cue").exists());
    assert!(!out.join("mixed (Track 2).bin").exists());
}
