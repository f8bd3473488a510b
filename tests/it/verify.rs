//! `discus verify` and `discus compare` (and `convert --verify`): Redump hashes checked against
//! md5sum, sha1sum and Python's zlib on the BINs `discus convert X Y.cue` writes; every format
//! discus writes hashing the same as the ISO it came from; a damaged ECC byte found and named; a
//! DAT naming the game or the track that does not match; comparisons across formats.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use discus_tests::{discus, peer, run, samples};
use serde_json::Value;

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// Sectors of the sample volume (samples/iso/data.iso), which its recipe may change.
fn sample_sectors() -> u64 {
    let iso = samples().join("iso").join("data.iso");
    std::fs::metadata(iso).expect("sample iso").len() / 2048
}

fn verify_json(image: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec![os("verify"), image.as_os_str(), os("--json")];
    args.extend(extra.iter().map(|s| os(s)));
    let output = discus(&args);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "verify --json printed no JSON ({e}): {text}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap_or(-1), value)
}

/// The first word a hashing tool prints for `file`.
fn tool_hash(tool: &Path, file: &Path) -> String {
    let output = run(tool, &[file.as_os_str()], Path::new("."));
    assert!(output.status.success(), "{} failed", tool.display());
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

fn zlib_crc32(python: &Path, file: &Path) -> String {
    let output = run(
        python,
        &[
            os("-c"),
            os("import sys, zlib; print('%08x' % zlib.crc32(open(sys.argv[1], 'rb').read()))"),
            file.as_os_str(),
        ],
        Path::new("."),
    );
    assert!(output.status.success(), "python3 zlib failed");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The BIN files a cue sheet names, in order (the `FILE "…"` lines).
fn bins_of(cue: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(cue).expect("cue written");
    let folder = cue.parent().expect("cue has a folder");
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("FILE \""))
        .filter_map(|l| l.split('"').next())
        .map(|name| folder.join(name))
        .collect()
}

#[test]
fn verify_hashes_equal_md5sum_sha1sum_and_zlib_of_the_written_bins() {
    let (Some(md5sum), Some(sha1sum), Some(python)) =
        (peer("md5sum"), peer("sha1sum"), peer("python3"))
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, image) in [
        ("data", samples().join("iso").join("data.iso")),
        ("raw", samples().join("img").join("data-2352.img")),
        (
            "mixed",
            samples().join("cue").join("mixed").join("mixed.cue"),
        ),
        (
            "multisession",
            samples()
                .join("cue")
                .join("multisession")
                .join("multisession.cue"),
        ),
    ] {
        let cue = dir.path().join(format!("{name}.cue"));
        let output = discus(&[os("convert"), image.as_os_str(), cue.as_os_str()]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let bins = bins_of(&cue);
        let (code, v) = verify_json(&image, &[]);
        assert_eq!(code, 0, "{v}");
        let tracks = v["tracks"].as_array().expect("tracks");
        assert_eq!(tracks.len(), bins.len(), "{name}");
        let mut all = Vec::new();
        for (track, bin) in tracks.iter().zip(&bins) {
            let d = &track["digests"];
            assert_eq!(d["md5"], tool_hash(&md5sum, bin), "{}", bin.display());
            assert_eq!(d["sha1"], tool_hash(&sha1sum, bin), "{}", bin.display());
            assert_eq!(d["crc32"], zlib_crc32(&python, bin), "{}", bin.display());
            let bytes = std::fs::read(bin).expect("bin");
            assert_eq!(d["size"], bytes.len() as u64);
            all.extend(bytes);
        }
        // Named as the image, the sheet verify hashes is the very sheet convert wrote.
        if image.file_stem().is_some_and(|stem| stem == name) {
            assert_eq!(v["cue"]["file"], format!("{name}.cue"), "{v}");
            assert_eq!(
                v["cue"]["digests"]["sha1"],
                tool_hash(&sha1sum, &cue),
                "{name}"
            );
            for (track, bin) in tracks.iter().zip(&bins) {
                let file = bin.file_name().map(|n| n.to_string_lossy().into_owned());
                assert_eq!(track["file"].as_str(), file.as_deref(), "{name}");
            }
        }
        // The whole image is the tracks one after another (the single-BIN layout).
        let merged = dir.path().join(format!("{name}-all.bin"));
        std::fs::write(&merged, &all).expect("write merged");
        assert_eq!(v["image"]["sha1"], tool_hash(&sha1sum, &merged), "{name}");
        assert_eq!(v["image"]["crc32"], zlib_crc32(&python, &merged), "{name}");
    }
}

#[test]
fn every_written_format_hashes_like_the_iso_it_came_from() {
    let iso = samples().join("iso").join("data.iso");
    let (_, reference) = verify_json(&iso, &[]);
    let formats = discus(&[os("formats"), os("--json")]);
    let list: Value = serde_json::from_slice(&formats.stdout).expect("formats json");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut checked = Vec::new();
    for format in list.as_array().expect("format list") {
        if format["writes"] != true {
            continue;
        }
        let name = format["name"].as_str().expect("name");
        let ext = format["extensions"][0].as_str().expect("extension");
        let out = dir.path().join(format!("copy-{name}.{ext}"));
        let converted = discus(&[
            os("convert"),
            iso.as_os_str(),
            out.as_os_str(),
            os("--to"),
            os(name),
        ]);
        assert!(
            converted.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&converted.stderr)
        );
        let (code, v) = verify_json(&out, &[]);
        assert_eq!(code, 0, "{name}: {v}");
        assert_eq!(v["image"], reference["image"], "{name}");
        assert_eq!(v["tracks"][0]["digests"], reference["tracks"][0]["digests"]);
        checked.push(name.to_string());
    }
    assert!(checked.len() >= 3, "only {checked:?} were checked");
}

#[test]
fn a_damaged_ecc_byte_is_found_and_named() {
    let bad = samples().join("bad").join("corrupt-ecc.img");
    let (code, v) = verify_json(&bad, &[]);
    assert_eq!(code, 1);
    assert_eq!(v["passed"], false);
    assert_eq!(v["bad_sectors"], 1);
    let track = &v["tracks"][0];
    assert_eq!(track["checked_sectors"], sample_sectors());
    assert_eq!(track["faults"]["ecc"], 1);
    assert_eq!(track["first_bad"][0]["lba"], 20);
    assert_eq!(track["first_bad"][0]["fault"], "ecc");
    let text = discus(&[os("verify"), bad.as_os_str()]);
    assert_eq!(text.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("first at LBA 20 (ecc)"), "{stdout}");
    assert!(stdout.contains("result: FAILED"), "{stdout}");
    // The clean raw image it was made from passes, every sector checked.
    let (code, v) = verify_json(&samples().join("img").join("data-2352.img"), &[]);
    assert_eq!((code, &v["bad_sectors"]), (0, &Value::from(0)));
    assert_eq!(v["tracks"][0]["checked_sectors"], sample_sectors());
}

fn fixture_dat() -> PathBuf {
    discus_tests::repo()
        .join("tests")
        .join("fixtures")
        .join("samples.dat")
}

#[test]
fn a_dat_names_the_game_or_the_tracks_that_do_not_match() {
    let dat = fixture_dat();
    let dat_arg = dat.to_string_lossy().into_owned();
    let mixed = samples().join("cue").join("mixed").join("mixed.cue");
    let (code, v) = verify_json(&mixed, &["--dat", &dat_arg]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["dat"]["game"], "Discus Mixed Mode");
    assert_eq!(v["dat"]["complete"], true);
    assert_eq!(v["dat"]["tracks"][2], "Discus Mixed Mode (Track 3).bin");

    // The same disc from a single BIN and from an ISO-sourced copy: the DAT still knows it.
    let single = samples().join("cue").join("mixed-single").join("mixed.cue");
    let (code, v) = verify_json(&single, &["--dat", &dat_arg]);
    assert_eq!(
        (code, &v["dat"]["game"]),
        (0, &Value::from("Discus Mixed Mode"))
    );
    let iso = samples().join("iso").join("data.iso");
    let (code, v) = verify_json(&iso, &["--dat", &dat_arg]);
    assert_eq!(
        (code, &v["dat"]["game"]),
        (0, &Value::from("Discus Sample Volume"))
    );

    // One track's hash differs in the DAT: the closest game, the track that does not match.
    let multi = samples()
        .join("cue")
        .join("multisession")
        .join("multisession.cue");
    let (code, v) = verify_json(&multi, &["--dat", &dat_arg]);
    assert_eq!(code, 1);
    assert_eq!(v["dat"]["game"], "Discus Multisession (Bad Dump)");
    assert_eq!(v["dat"]["complete"], false);
    assert_eq!(v["dat"]["tracks"][1], Value::Null);
    assert_eq!(
        v["dat"]["unmatched"][0],
        "Discus Multisession (Bad Dump) (Track 2).bin"
    );
    let text = discus(&[
        os("verify"),
        multi.as_os_str(),
        os("--dat"),
        dat.as_os_str(),
    ]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("track 2 matches nothing"), "{stdout}");

    // A disc the DAT does not list at all.
    let xa = samples().join("cue").join("xa").join("xa.cue");
    let (code, v) = verify_json(&xa, &["--dat", &dat_arg]);
    assert_eq!((code, &v["dat"]["game"]), (1, &Value::Null));

    // A DAT that is not XML is an error naming its line.
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = dir.path().join("broken.dat");
    std::fs::write(&broken, "<datafile>\n<game name=\"x\">\n").expect("write dat");
    let output = discus(&[
        os("verify"),
        iso.as_os_str(),
        os("--dat"),
        broken.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("broken.dat"));
}

#[test]
fn the_facade_verifies_without_writing_anything() {
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("disc.iso");
    std::fs::copy(samples().join("iso").join("data.iso"), &copy).expect("copy");
    let v = discus::verify(&copy, &discus::VerifyOptions::default()).expect("verify");
    assert!(v.passed());
    assert_eq!(v.tracks.len(), 1);
    assert_eq!(v.tracks[0].file, "disc.bin");
    assert_eq!(v.image.size, sample_sectors() * 2352);
    assert_eq!(discus_tests::listing(dir.path()), ["disc.iso"]);
}

fn compare(a: &Path, b: &Path) -> (i32, Value) {
    let output = discus(&[os("compare"), a.as_os_str(), b.as_os_str(), os("--json")]);
    let value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "compare --json printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap_or(-1), value)
}

#[test]
fn compare_across_formats_and_names_the_first_differing_sector() {
    let iso = samples().join("iso").join("data.iso");
    let cue = samples().join("cue").join("data").join("data.cue");
    let raw = samples().join("img").join("data-2352.img");
    let bad = samples().join("bad").join("corrupt-ecc.img");

    let (code, v) = compare(&iso, &cue);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["identical"], true);
    assert_eq!(v["tracks"][0]["sectors"], sample_sectors());

    // Both raw: whole sectors are compared, so one ECC byte counts.
    let (code, v) = compare(&raw, &bad);
    assert_eq!(code, 1);
    assert_eq!(v["tracks"][0]["compared_as"], 2352);
    assert_eq!(v["differing_sectors"], 1);
    assert_eq!(v["tracks"][0]["first_differing"][0], 20);
    let text = discus(&[os("compare"), raw.as_os_str(), bad.as_os_str()]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("first at LBA 20"));

    // The ISO keeps only user data, which the damaged byte does not touch.
    let (code, v) = compare(&iso, &bad);
    assert_eq!(
        (code, &v["tracks"][0]["compared_as"]),
        (0, &Value::from(2048))
    );

    // Another layout: missing tracks are differences.
    let mixed = samples().join("cue").join("mixed").join("mixed.cue");
    let (code, v) = compare(&mixed, &iso);
    assert_eq!(code, 1);
    assert!(
        v["layout"].as_array().is_some_and(|l| l
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.contains("only in A")))),
        "{v}"
    );
}

#[test]
fn convert_verify_rereads_the_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = samples().join("iso").join("data.iso");
    let out = dir.path().join("disc.cue");
    let output = discus(&[
        os("convert"),
        iso.as_os_str(),
        out.as_os_str(),
        os("--verify"),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("verified: identical"));
    // A lossy conversion verifies what it kept.
    let mixed = samples().join("cue").join("mixed").join("mixed.cue");
    let out = dir.path().join("mixed.iso");
    let output = discus(&[
        os("convert"),
        mixed.as_os_str(),
        out.as_os_str(),
        os("--allow-lossy"),
        os("--verify"),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The CRC32 `maxcso --crc` prints for a CSO or ZSO: that of the ISO inside.
fn maxcso_crc(maxcso: &Path, image: &Path) -> String {
    let output = run(maxcso, &[os("--crc"), image.as_os_str()], Path::new("."));
    assert!(output.status.success(), "maxcso --crc failed");
    // maxcso prints its result on stderr.
    let text = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    text.rsplit("CRC32: ")
        .next()
        .map(|s| s.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

#[test]
fn i11_17_a_one_data_track_image_is_hashed_as_its_iso_too() {
    let (Some(md5sum), Some(sha1sum), Some(maxcso)) =
        (peer("md5sum"), peer("sha1sum"), peer("maxcso"))
    else {
        return;
    };
    let iso = samples().join("iso").join("data.iso");
    let expected = (
        tool_hash(&md5sum, &iso),
        tool_hash(&sha1sum, &iso),
        maxcso_crc(&maxcso, &samples().join("cso").join("data.cso")),
    );
    for image in [
        iso.clone(),
        samples().join("cso").join("data.cso"),
        samples().join("cso").join("data.zso"),
        samples().join("cso").join("data.dax"),
        samples().join("cue").join("data").join("data.cue"),
    ] {
        let (code, v) = verify_json(&image, &[]);
        assert_eq!(code, 0, "{}", image.display());
        let digests = &v["iso"]["digests"];
        let got = (
            digests["md5"].as_str().unwrap_or_default().to_string(),
            digests["sha1"].as_str().unwrap_or_default().to_string(),
            digests["crc32"].as_str().unwrap_or_default().to_string(),
        );
        assert_eq!(got, expected, "{}: {v}", image.display());
        // The BIN hashes Redump's CD entries use are still there beside them.
        assert!(v["tracks"][0]["digests"]["sha1"].is_string());
    }
}
