//! `batch --name serial` (issue 16 item 4): outputs named by the serial the disc holds, or by the
//! title of the DAT entry it matches, on discs made by genisoimage as console discs are laid out
//! (a PlayStation `SYSTEM.CNF`, a PSP `UMD_DATA.BIN`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use discus_tests::{discus_bin, files_below, peer, samples};
use serde_json::Value;
use sha1::Digest;

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

/// An ISO of a folder holding `files` (name, bytes), made by genisoimage.
fn disc(tool: &Path, image: &Path, files: &[(&str, &[u8])]) {
    let staging = tempfile::tempdir().expect("temp");
    for (name, bytes) in files {
        std::fs::write(staging.path().join(name), bytes).expect("write");
    }
    std::fs::create_dir_all(image.parent().expect("parent")).expect("mkdir");
    let made = discus_tests::run(
        tool,
        &[
            os("-quiet"),
            os("-V"),
            os("GAME"),
            os("-o"),
            image.as_os_str(),
            staging.path().as_os_str(),
        ],
        staging.path(),
    );
    assert!(made.status.success(), "{made:?}");
}

/// A PlayStation disc booting `exe` (`SCES_004.52`), with `extra` making two discs of one
/// serial differ.
fn playstation(tool: &Path, image: &Path, exe: &str, extra: &[u8]) {
    let cnf = format!("BOOT = cdrom:\\{exe};1\r\nTCB = 4\r\n");
    disc(
        tool,
        image,
        &[("SYSTEM.CNF", cnf.as_bytes()), ("DATA.BIN", extra)],
    );
}

fn batch(dir: &Path, args: &[&str]) -> (i32, Vec<Value>) {
    let out = std::process::Command::new(discus_bin())
        .arg("batch")
        .args(args)
        .arg("--json")
        .current_dir(dir)
        .output()
        .expect("run discus");
    let events = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    (out.status.code().unwrap_or(-1), events)
}

/// The file names in `folder` with `extension`.
fn names(folder: &Path, extension: &str) -> BTreeSet<String> {
    std::fs::read_dir(folder)
        .map(|list| {
            list.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(extension))
                .collect()
        })
        .unwrap_or_default()
}

fn serial_of(image: &Path) -> Value {
    let out = discus_tests::discus(&[os("info"), os("--json"), image.as_os_str()]);
    let info: Value = serde_json::from_slice(&out.stdout).expect("info json");
    info["game"]["serial"].clone()
}

/// The archive the naming tests share: five discs in one folder and one below it.
fn archive(tool: &Path, root: &Path) -> PathBuf {
    let input = root.join("in");
    playstation(tool, &input.join("Ridge.iso"), "SCES_004.52", b"a");
    // One serial on two discs: a revision.
    playstation(tool, &input.join("Tekken.iso"), "SLUS_000.01", b"b");
    playstation(tool, &input.join("Tekken (Rev 1).iso"), "SLUS_000.01", b"c");
    // A PSP disc whose UMD_DATA.BIN holds a hostile "serial": separators, `..`, a control
    // character and a double quote.
    disc(
        tool,
        &input.join("Evil.iso"),
        &[("UMD_DATA.BIN", b"../../\x01ev\"il|0000000000000000|0001|G")],
    );
    // No serial at all: keeps its name.
    std::fs::copy(
        samples().join("iso").join("data.iso"),
        input.join("Plain.iso"),
    )
    .expect("copy");
    // Same serial as Ridge, but in another folder: no clash, each folder is its own.
    playstation(
        tool,
        &input.join("sub").join("Copy.iso"),
        "SCES_004.52",
        b"d",
    );
    input
}

#[test]
fn i16_4_batch_names_outputs_by_the_serial_the_disc_holds() {
    let Some(tool) = peer("genisoimage") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp");
    let root = dir.path();
    archive(&tool, root);
    let (code, events) = batch(
        root,
        &[
            "in",
            "-r",
            "--to",
            "cso",
            "--out-dir",
            "out",
            "--name",
            "serial",
        ],
    );
    assert_eq!(code, 0, "{events:#?}");
    let out = root.join("out");
    let expected: BTreeSet<String> = [
        "SCES-00452.cso",
        "SLUS-00001 (Tekken).cso",
        "SLUS-00001 (Tekken (Rev 1)).cso",
        "-..-ev'il.cso",
        "Plain.cso",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(names(&out, ".cso"), expected);
    assert_eq!(
        names(&out.join("sub"), ".cso"),
        BTreeSet::from(["SCES-00452.cso".to_string()])
    );
    // Nothing was written outside the output folder, and the output is the disc it is named
    // after.
    for file in files_below(root) {
        let name = file.to_string_lossy();
        assert!(
            !name.ends_with(".cso") || file.starts_with(&out),
            "{}",
            file.display()
        );
    }
    assert_eq!(serial_of(&out.join("SCES-00452.cso")), "SCES-00452");

    // The same names on every shard: serials are read when items are found, and two discs of
    // one serial are both named by their inputs whichever shard runs either.
    let split = root.join("split");
    for shard in ["1/2", "2/2"] {
        let (code, events) = batch(
            root,
            &[
                "in",
                "-r",
                "--to",
                "cso",
                "--out-dir",
                "split",
                "--name",
                "serial",
                "--shard",
                shard,
            ],
        );
        assert_eq!(code, 0, "{events:#?}");
    }
    assert_eq!(names(&split, ".cso"), expected);

    // A rerun finds everything done under its serial name.
    let (code, events) = batch(
        root,
        &[
            "in",
            "-r",
            "--to",
            "cso",
            "--out-dir",
            "out",
            "--name",
            "serial",
        ],
    );
    assert_eq!(code, 0, "{events:#?}");
    let summary = events.last().expect("summary");
    assert_eq!(summary["skipped"], 6, "{summary}");
}

#[test]
fn i16_4_a_serial_that_is_another_discs_file_name_clashes_by_key_order() {
    let Some(tool) = peer("genisoimage") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp");
    let root = dir.path();
    let input = root.join("in");
    // `A.iso` holds serial SCES-00452; a disc without a serial is called `SCES-00452.iso`:
    // both would write SCES-00452.cso. The first by key order converts.
    playstation(&tool, &input.join("A.iso"), "SCES_004.52", b"a");
    std::fs::copy(
        samples().join("iso").join("data.iso"),
        input.join("SCES-00452.iso"),
    )
    .expect("copy");
    let (code, events) = batch(
        root,
        &["in", "--to", "cso", "--out-dir", "out", "--name", "serial"],
    );
    assert_eq!(code, 1, "{events:#?}");
    let failed: Vec<&Value> = events.iter().filter(|e| e["event"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{events:#?}");
    assert_eq!(failed[0]["item"], "in/SCES-00452.iso");
    assert!(
        failed[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("would also write") && e.contains("A.iso")),
        "{failed:?}"
    );
    assert_eq!(
        serial_of(&root.join("out").join("SCES-00452.cso")),
        "SCES-00452"
    );
}

#[test]
fn i16_4_with_a_dat_discs_that_match_an_entry_take_its_title() {
    let Some(tool) = peer("genisoimage") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp");
    let root = dir.path();
    let input = root.join("in");
    playstation(&tool, &input.join("a.iso"), "SCES_004.52", b"a");
    // The same disc again under another name, and a disc the DAT does not know.
    std::fs::copy(input.join("a.iso"), input.join("b.iso")).expect("copy");
    playstation(&tool, &input.join("c.iso"), "SLUS_000.01", b"c");
    // The DAT lists the disc as one ISO, as Redump does for PSP and DVD systems, with its size
    // and SHA-1 computed here, not by discus. Its title has a separator in it.
    let bytes = std::fs::read(input.join("a.iso")).expect("read");
    let sha1: String = sha1::Sha1::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let dat = format!(
        "<?xml version=\"1.0\"?>\n<datafile><header><name>test</name></header>\n\
         <game name=\"Ridge Racer: Type 4/R4 (Europe)\"><description>x</description>\n\
         <rom name=\"Ridge Racer (Europe).iso\" size=\"{}\" sha1=\"{sha1}\"/></game>\n</datafile>\n",
        bytes.len()
    );
    std::fs::write(root.join("redump.dat"), dat).expect("write dat");
    let (code, events) = batch(
        root,
        &[
            "in",
            "--to",
            "cso",
            "--out-dir",
            "out",
            "--name",
            "serial",
            "--dat",
            "redump.dat",
        ],
    );
    // One of a.iso and b.iso takes the title (whichever gets there first: they are one disc);
    // the other fails, naming it. c.iso matches no entry and keeps its serial.
    assert_eq!(code, 1, "{events:#?}");
    assert_eq!(
        names(&root.join("out"), ".cso"),
        BTreeSet::from([
            "Ridge Racer: Type 4-R4 (Europe).cso".to_string(),
            "SLUS-00001.cso".to_string()
        ])
    );
    let failed: Vec<&Value> = events.iter().filter(|e| e["event"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{events:#?}");
    let other = match failed[0]["item"].as_str() {
        Some("in/a.iso") => "in/b.iso",
        Some("in/b.iso") => "in/a.iso",
        _ => panic!("{failed:?}"),
    };
    assert!(
        failed[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("same disc twice") && e.contains(other)),
        "{failed:?}"
    );
    // --dat without --name serial is refused rather than ignored.
    let (code, _) = batch(root, &["in", "--to", "cso", "--dat", "redump.dat"]);
    assert_eq!(code, 2);
}

/// A sheet in the INPUT folder naming an image outside it: the item fails as any such sheet does,
/// and naming by serial does not read the outside image's file system to name it first.
#[test]
fn i11_1_naming_by_serial_reads_nothing_a_sheet_names_outside_the_input() {
    let Some(tool) = peer("genisoimage") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp");
    let root = dir.path();
    playstation(
        &tool,
        &root.join("outside").join("Secret.iso"),
        "SLPS_999.99",
        b"s",
    );
    playstation(
        &tool,
        &root.join("in").join("Ridge.iso"),
        "SCES_004.52",
        b"a",
    );
    std::fs::write(
        root.join("in").join("Stolen.cue"),
        "FILE \"../outside/Secret.iso\" BINARY\r\n  TRACK 01 MODE1/2048\r\n    INDEX 01 00:00:00\r\n",
    )
    .expect("sheet");
    let Some(strace) = peer("strace") else {
        return;
    };
    let trace = root.join("trace.txt");
    let out = std::process::Command::new(strace)
        // One file per thread (-ff): with one file for all, strace splits a call that another
        // thread interrupts into "unfinished" and "resumed" lines, and the byte count lands on a
        // line that does not name the file.
        .args(["-ff", "-y", "-e", "trace=read,pread64", "-o"])
        .arg(&trace)
        .arg(discus_bin())
        .args([
            "batch",
            "in",
            "--to",
            "iso",
            "--out-dir",
            "out",
            "--name",
            "serial",
            "--json",
        ])
        .current_dir(root)
        .output()
        .expect("run discus");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !said.contains("SLPS"),
        "the outside disc's serial was read: {said}"
    );
    // Opening the sheet looks at the named file's first 4 bytes (is it ECM?); nothing more of
    // it may be read, least of all its file system to find a serial.
    let traces: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("the folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("trace.txt."))
        })
        .collect();
    assert!(!traces.is_empty(), "strace wrote no trace");
    let reads: Vec<String> = traces
        .iter()
        .flat_map(|t| {
            std::fs::read_to_string(t)
                .expect("a trace")
                .lines()
                .filter(|line| line.contains("Secret.iso>"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        reads.iter().all(|line| line.ends_with(", 4, 0) = 4")),
        "the outside image was read: {reads:#?}"
    );
    assert!(said.contains("Stolen"), "{said}");
    let written = names(&root.join("out"), ".iso");
    assert_eq!(
        written,
        BTreeSet::from(["SCES-00452.iso".to_string()]),
        "{said}"
    );
}
