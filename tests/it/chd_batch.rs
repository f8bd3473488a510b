//! `discus batch --to chd` as the tochd/namDHC wrappers around chdman are used: a folder of cue/bin
//! sets, ISOs and zips becomes CHDs, each checked against its source (`--verify`) and, with
//! `--delete-source`, its sources removed only once the CHD is verified and on the disk — every BIN
//! of a cue, nothing outside the folder. A run killed with SIGKILL and started again finishes only
//! what is left.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use discus_tests::{discus, discus_bin, files_below, listing, peer, run, samples};

use crate::batch::{batch, copy, items_with, journal_lines, os, zip};

/// `chdman verify` passes for `chd`, both SHA-1s.
fn chdman_verifies(chd: &Path) {
    let Some(chdman) = peer("chdman-0.289").or_else(|| peer("chdman")) else {
        return;
    };
    let output = run(
        &chdman,
        &[os("verify"), os("-i"), chd.as_os_str()],
        Path::new("."),
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success() && said.contains("Overall SHA1 verification successful"),
        "{}: {said}",
        chd.display()
    );
}

/// `discus compare A B` finds them equal.
fn same_disc(a: &Path, b: &Path) {
    let output = discus(&[os("compare"), a.as_os_str(), b.as_os_str()]);
    assert!(
        output.status.success(),
        "{} against {}: {}{}",
        a.display(),
        b.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn i13_4_batch_to_chd_deletes_every_bin_of_a_cue_only_after_its_chd_verifies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let input = root.join("in");
    // A multi-BIN Redump-style set, a single-BIN XA set in a subfolder, an ISO, a zipped set.
    let mixed = samples().join("cue").join("mixed");
    for name in listing(&mixed) {
        copy(&mixed.join(&name), &input.join("mixed").join(&name));
    }
    let xa = samples().join("cue").join("xa");
    for name in ["xa.cue", "xa.bin"] {
        copy(&xa.join(name), &input.join("ps").join(name));
    }
    copy(
        &samples().join("iso").join("data.iso"),
        &input.join("data.iso"),
    );
    let zipped = zip(
        &input.join("zipped.zip"),
        &[
            (
                "data.cue",
                &samples().join("cue").join("data").join("data.cue"),
            ),
            (
                "data.bin",
                &samples().join("cue").join("data").join("data.bin"),
            ),
        ],
    );
    // Not an image: never touched.
    std::fs::write(input.join("notes.txt"), "keep me").expect("notes");
    // A BIN outside the folder that a sheet inside names: read only when allowed, never deleted.
    copy(
        &samples().join("cue").join("data").join("data.bin"),
        &root.join("elsewhere").join("outside.bin"),
    );
    std::fs::write(
        input.join("outside.cue"),
        "FILE \"../elsewhere/outside.bin\" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n",
    )
    .expect("sheet");

    let args = [
        "in",
        "-r",
        "--to",
        "chd",
        "--out-dir",
        "out",
        "--delete-source",
        "--allow-outside-files",
    ];
    let (code, events) = batch(root, &args);
    assert_eq!(code, 0, "{events:?}");
    let mut expected = vec![
        "in/data.iso",
        "in/mixed/mixed.cue",
        "in/outside.cue",
        "in/ps/xa.cue",
    ];
    if zipped {
        expected.push("in/zipped.zip");
    }
    assert_eq!(items_with(&events, "finished", Some("converted")), expected);
    let out = root.join("out");
    let chds: Vec<_> = files_below(&out)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "chd"))
        .collect();
    assert_eq!(chds.len(), expected.len(), "{chds:?}");
    for chd in &chds {
        chdman_verifies(chd);
    }
    // Each CHD holds its source's disc, the multi-BIN set with its audio tracks and gaps.
    same_disc(
        &out.join("mixed").join("mixed.chd"),
        &mixed.join("mixed.cue"),
    );
    same_disc(&out.join("ps").join("xa.chd"), &xa.join("xa.cue"));
    same_disc(
        &out.join("data.chd"),
        &samples().join("iso").join("data.iso"),
    );
    // Every source inside the folder went, all three BINs of the set included; the BIN outside
    // and the file that is no image stayed.
    let left: Vec<String> = files_below(&input)
        .iter()
        .filter_map(|p| p.strip_prefix(&input).ok())
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["notes.txt"], "{left:?}");
    assert!(root.join("elsewhere").join("outside.bin").is_file());
    // Deleted only once flushed: the journal says each output was made durable.
    let done: Vec<_> = journal_lines(&out)
        .into_iter()
        .filter(|l| l["event"] == "done")
        .collect();
    assert_eq!(done.len(), expected.len());
    assert!(done.iter().all(|l| l["durable"] == true), "{done:?}");
}

#[test]
fn i13_4_an_item_that_fails_deletes_nothing_and_the_rest_go_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let input = root.join("in");
    let data = samples().join("cue").join("data");
    copy(&data.join("data.cue"), &input.join("good.cue"));
    copy(&data.join("data.bin"), &input.join("data.bin"));
    // A set whose BIN is missing (alone in its folder, so no other BIN stands in): it fails,
    // and its sheet stays.
    std::fs::create_dir_all(input.join("broken")).expect("mkdir");
    std::fs::write(
        input.join("broken").join("half.cue"),
        "FILE \"half.bin\" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n",
    )
    .expect("sheet");
    let (code, events) = batch(
        root,
        &[
            "in",
            "-r",
            "--to",
            "chd",
            "--out-dir",
            "out",
            "--delete-source",
        ],
    );
    assert_eq!(code, 1, "{events:?}");
    assert_eq!(items_with(&events, "failed", None), ["in/broken/half.cue"]);
    assert_eq!(
        items_with(&events, "finished", Some("converted")),
        ["in/good.cue"]
    );
    // The failed set is untouched; the good one went.
    assert_eq!(listing(&input), ["broken"]);
    assert_eq!(listing(&input.join("broken")), ["half.cue"]);
    assert_eq!(
        listing(&root.join("out")),
        ["discus-batch.jsonl", "good.chd"]
    );
}

/// Items big enough that a batch is still running when it is killed: the sample ISO padded to
/// 4 MiB with noise (so each CHD takes a moment to pack), each copy different.
fn big_isos(input: &Path) -> usize {
    std::fs::create_dir_all(input).expect("mkdir");
    let mut iso = std::fs::read(samples().join("iso").join("data.iso")).expect("iso");
    let start = iso.len();
    iso.resize(4 << 20, 0);
    let mut x = 0x2545_F491u32;
    for byte in &mut iso[start..] {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *byte = (x >> 24) as u8;
    }
    let total = 16;
    for n in 0..total {
        iso[start] = n as u8;
        std::fs::write(input.join(format!("disc{n:02}.iso")), &iso).expect("write");
    }
    total
}

/// Finished items in the journals of `out`, once at least `count` are (or `limit` passed).
fn done_keys(out: &Path, count: usize, limit: Duration) -> BTreeSet<String> {
    let start = Instant::now();
    loop {
        let keys: BTreeSet<String> = journal_lines(out)
            .iter()
            .filter(|l| l["event"] == "done")
            .filter_map(|l| l["key"].as_str().map(str::to_string))
            .collect();
        if keys.len() >= count || start.elapsed() > limit {
            return keys;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn i13_4_a_killed_chd_batch_resumes_with_only_what_is_left() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("in");
    let total = big_isos(&input);
    let out = dir.path().join("out");
    let args = [
        "batch",
        "in",
        "--to",
        "chd",
        "--out-dir",
        "out",
        "--jobs",
        "2",
        "--delete-source",
        "--quiet",
    ];
    let mut child = Command::new(discus_bin())
        .args(args)
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("discus starts");
    done_keys(&out, 2, Duration::from_secs(300));
    let kill = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let _ = child.wait();
    let finished = done_keys(&out, 0, Duration::ZERO);
    assert!(finished.len() >= 2);
    assert!(
        finished.len() < total,
        "the run ended before it could be killed"
    );
    // A finished item's source is gone and its CHD verifies; an unfinished item's source is
    // whole; nothing half-written has a final name.
    for n in 0..total {
        let key = format!("in/disc{n:02}.iso");
        let chd = out.join(format!("disc{n:02}.chd"));
        if finished.contains(&key) {
            assert!(!input.join(format!("disc{n:02}.iso")).exists(), "{key}");
            chdman_verifies(&chd);
        } else {
            assert_eq!(
                std::fs::metadata(input.join(format!("disc{n:02}.iso")))
                    .map(|m| m.len())
                    .ok(),
                Some(4 << 20),
                "{key}"
            );
            if chd.exists() {
                // Renamed into place just before the kill: whole, and the rerun takes it over.
                chdman_verifies(&chd);
            }
        }
    }
    let before: Vec<_> = finished
        .iter()
        .map(|k| {
            let chd = out.join(
                Path::new(k)
                    .with_extension("chd")
                    .file_name()
                    .expect("name"),
            );
            let mtime = std::fs::metadata(&chd)
                .and_then(|m| m.modified())
                .expect("chd");
            (chd, mtime)
        })
        .collect();

    // The same command again does the rest only.
    let (code, events) = batch(dir.path(), &args[1..args.len() - 1]);
    assert_eq!(code, 0, "{events:?}");
    let converted = items_with(&events, "finished", Some("converted"));
    assert!(
        converted.iter().all(|k| !finished.contains(k)),
        "redone: {converted:?}"
    );
    assert_eq!(converted.len() + finished.len(), total, "{events:?}");
    for (chd, mtime) in before {
        assert_eq!(
            std::fs::metadata(&chd).and_then(|m| m.modified()).ok(),
            Some(mtime),
            "{} was redone",
            chd.display()
        );
    }
    let names = listing(&out);
    assert!(
        names.iter().all(|n| !n.starts_with(".discus-")),
        "{names:?}"
    );
    assert_eq!(names.iter().filter(|n| n.ends_with(".chd")).count(), total);
    assert!(files_below(&input).is_empty(), "{:?}", listing(&input));
    for chd in files_below(&out)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "chd"))
    {
        chdman_verifies(&chd);
    }
}
