//! The foundation: ISO and raw IMG round trips, the sector codec on a real raw image, `info`,
//! and output safety (refused overwrites, input as output, lossy strips, nothing left on failure).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use discus::core::Lba;
use discus::core::sector::{RAW_SIZE, USER_SIZE, encode_mode1};
use discus::{ConvertOptions, WriteOptions};
use discus_tests::{corpus, discus, discus_bin, listing, samples};

fn convert(input: &Path, output: &Path, write: WriteOptions) -> discus::Result<discus::Outcome> {
    let options = ConvertOptions {
        write,
        ..ConvertOptions::default()
    };
    discus::convert(input, output, &options)
}

fn raw_2352() -> WriteOptions {
    WriteOptions {
        sector_size: Some(2352),
        ..WriteOptions::default()
    }
}

/// Every 2048-byte ISO among the samples and the corpus (the deliberately broken ones excepted).
fn isos() -> Vec<PathBuf> {
    let mut found = vec![samples().join("iso").join("data.iso")];
    if let Some(dir) = corpus("libcdio") {
        for name in [
            "copying.iso",
            "copying-rr.iso",
            "joliet.iso",
            "deep-directory.iso",
            "multi_extent_8k.iso",
            "multi_extent_8k_joliet.iso",
            "test-udf1.iso",
            "udf102.iso",
        ] {
            found.push(dir.join(name));
        }
    }
    found
}

#[test]
fn iso_to_img_and_back_is_byte_identical() {
    let dir = tempfile::tempdir().expect("temp dir");
    for iso in isos() {
        let original = std::fs::read(&iso).expect("read iso");
        for (name, options) in [
            ("raw.img", raw_2352()),
            ("cooked.img", WriteOptions::default()),
        ] {
            let img = dir.path().join(name);
            let back = dir.path().join("back.iso");
            let _ = std::fs::remove_file(&img);
            let _ = std::fs::remove_file(&back);
            convert(&iso, &img, options).unwrap_or_else(|e| panic!("{}: {e}", iso.display()));
            let expected_size = if name == "raw.img" {
                original.len() / USER_SIZE * RAW_SIZE
            } else {
                original.len()
            };
            assert_eq!(
                std::fs::metadata(&img).expect("img").len() as usize,
                expected_size
            );
            convert(&img, &back, WriteOptions::default())
                .unwrap_or_else(|e| panic!("{}: {e}", img.display()));
            assert!(
                std::fs::read(&back).expect("back") == original,
                "{} via {name} changed",
                iso.display()
            );
        }
    }
}

#[test]
fn every_sector_of_a_real_raw_image_regenerates_byte_for_byte() {
    let Some(dir) = corpus("libcdio") else { return };
    let bin = std::fs::read(dir.join("isofs-m1.bin")).expect("read isofs-m1.bin");
    assert_eq!(bin.len(), 302 * RAW_SIZE);
    let mut regenerated = [0u8; RAW_SIZE];
    for (lba, stored) in bin.chunks_exact(RAW_SIZE).enumerate() {
        encode_mode1(
            Lba(lba as i32),
            &stored[16..16 + USER_SIZE],
            &mut regenerated,
        );
        assert!(regenerated[..] == stored[..], "sector {lba} differs");
    }
}

fn info_json(path: &Path) -> serde_json::Value {
    let output = discus(&[OsStr::new("info"), OsStr::new("--json"), path.as_os_str()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("info --json prints JSON")
}

#[test]
fn info_shows_the_layout_of_corpus_images() {
    let Some(dir) = corpus("libcdio") else { return };
    let copying = info_json(&dir.join("copying.iso"));
    assert_eq!(copying["format"], "iso");
    assert_eq!(copying["tracks"][0]["length"], 64);
    assert_eq!(copying["volume"]["blocks"], 64);
    assert_eq!(copying["volume"]["bytes"], 131072);
    let joliet = info_json(&dir.join("joliet.iso"));
    assert_eq!(joliet["volume"]["blocks"], 198);

    let raw = info_json(&dir.join("isofs-m1.bin"));
    assert_eq!(raw["tracks"].as_array().map(Vec::len), Some(1));
    let track = &raw["tracks"][0];
    assert_eq!(track["mode"], "mode1");
    assert_eq!(track["start"], 0);
    assert_eq!(track["length"], 302);
    assert_eq!(track["stored_sector_size"], 2352);
    assert_eq!(raw["volume"]["block_size"], 2048);
    assert_eq!(raw["lead_out"], 302);
}

#[test]
fn info_prints_a_readable_table() {
    let output = discus(&[
        OsStr::new("info"),
        samples().join("img").join("data-2352.img").as_os_str(),
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(text.contains("format:    img"), "{text}");
    assert!(text.contains("\"DISCUS_SAMPLE\""), "{text}");
    assert!(text.contains("mode1"), "{text}");
}

/// Runs the CLI expecting failure with exit code 2 and a message naming `names`.
fn fails_naming(args: &[&OsStr], names: &[&str]) -> String {
    let output = discus(args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    for name in names {
        assert!(stderr.contains(name), "'{name}' missing from: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn bad_inputs_give_clear_errors_and_no_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out.iso");
    let bad = samples().join("bad");
    for (file, words) in [
        (
            "truncated.iso",
            vec![
                "truncated.iso",
                "byte offset",
                "not a whole number of 2048-byte sectors",
            ],
        ),
        ("empty.iso", vec!["empty.iso", "empty"]),
        ("garbage.img", vec!["garbage.img", "not a disc image"]),
    ] {
        let input = bad.join(file);
        let before = std::fs::read(&input).expect("read bad sample");
        fails_naming(
            &[OsStr::new("convert"), input.as_os_str(), out.as_os_str()],
            &words,
        );
        fails_naming(&[OsStr::new("info"), input.as_os_str()], &[file]);
        assert!(
            listing(dir.path()).is_empty(),
            "{file} left {:?}",
            listing(dir.path())
        );
        assert_eq!(
            std::fs::read(&input).expect("reread"),
            before,
            "{file} was changed"
        );
    }
}

#[test]
fn a_missing_input_is_named() {
    fails_naming(
        &[OsStr::new("info"), OsStr::new("no-such-image.iso")],
        &["no-such-image.iso"],
    );
}

#[test]
fn an_existing_output_is_kept_without_force_and_replaced_with_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out.iso");
    std::fs::write(&out, b"keep me").expect("write");
    let input = samples().join("img").join("data-2352.img");
    fails_naming(
        &[OsStr::new("convert"), input.as_os_str(), out.as_os_str()],
        &["out.iso", "already exists", "--force"],
    );
    assert_eq!(std::fs::read(&out).expect("read"), b"keep me");
    let output = discus(&[
        OsStr::new("convert"),
        input.as_os_str(),
        out.as_os_str(),
        OsStr::new("--force"),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        std::fs::read(&out).expect("read"),
        std::fs::read(samples().join("iso").join("data.iso")).expect("read sample")
    );
    assert_eq!(listing(dir.path()), ["out.iso"]);
}

#[test]
fn the_input_is_never_the_output_even_through_a_link() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("in.iso");
    std::fs::copy(samples().join("iso").join("data.iso"), &input).expect("copy");
    let before = std::fs::read(&input).expect("read");
    fails_naming(
        &[
            OsStr::new("convert"),
            input.as_os_str(),
            input.as_os_str(),
            OsStr::new("--force"),
        ],
        &["in.iso", "is an input"],
    );
    #[cfg(unix)]
    {
        let link = dir.path().join("link.iso");
        std::os::unix::fs::symlink(&input, &link).expect("symlink");
        fails_naming(
            &[
                OsStr::new("convert"),
                input.as_os_str(),
                link.as_os_str(),
                OsStr::new("--force"),
            ],
            &["link.iso", "is an input"],
        );
    }
    assert_eq!(std::fs::read(&input).expect("reread"), before);
}

#[test]
fn a_sector_that_would_not_regenerate_is_not_stripped_without_allow_lossy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = samples().join("bad").join("corrupt-ecc.img");
    let out = dir.path().join("out.iso");
    fails_naming(
        &[OsStr::new("convert"), input.as_os_str(), out.as_os_str()],
        &["corrupt-ecc.img", "1 sector(s)", "LBA 20", "--allow-lossy"],
    );
    assert!(
        listing(dir.path()).is_empty(),
        "left {:?}",
        listing(dir.path())
    );
    let output = discus(&[
        OsStr::new("convert"),
        input.as_os_str(),
        out.as_os_str(),
        OsStr::new("--allow-lossy"),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("LBA 20"));
    // Only an ECC byte was damaged, so the user data is the original volume.
    assert_eq!(
        std::fs::read(&out).expect("read"),
        std::fs::read(samples().join("iso").join("data.iso")).expect("read sample")
    );
}

#[test]
fn an_img_can_be_written_only_with_sizes_it_supports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out.img");
    let input = samples().join("iso").join("data.iso");
    fails_naming(
        &[
            OsStr::new("convert"),
            input.as_os_str(),
            out.as_os_str(),
            OsStr::new("--sector-size"),
            OsStr::new("2000"),
        ],
        &["2048 or 2352"],
    );
    fails_naming(
        &[
            OsStr::new("convert"),
            input.as_os_str(),
            dir.path().join("out.xyz").as_os_str(),
        ],
        &["out.xyz", "--to"],
    );
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn formats_lists_what_is_read_and_written() {
    let output = discus(&[OsStr::new("formats"), OsStr::new("--json")]);
    assert!(output.status.success());
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let names: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    for name in ["iso", "img"] {
        assert!(names.contains(&name), "{names:?}");
    }
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let mut child = Command::new(discus_bin())
        .args(["formats"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_a_conversion_leaves_no_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("big.iso");
    // A sparse ISO of 440,000 sectors (the largest size that is still a CD, not a DVD, is
    // 449,850): reading it is cheap, regenerating EDC/ECC for 2352-byte output is not, so the
    // conversion is still running when the signal comes.
    std::fs::File::create(&input)
        .and_then(|f| f.set_len(440_000 * 2048))
        .expect("sparse file");
    let out = dir.path().join("big.img");
    let mut child = Command::new(discus_bin())
        .args(["convert", "--sector-size", "2352"])
        .arg(&input)
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(700));
    let still_running = child.try_wait().expect("try_wait").is_none();
    assert!(
        still_running,
        "the conversion finished before the signal; make the input larger"
    );
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted"));
    assert_eq!(listing(dir.path()), ["big.iso"]);
}
