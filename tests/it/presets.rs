//! Device presets (`--target`): one preset names a format and its settings for every format its
//! device reads. Each CHD a preset writes must open in chdman with the hunk, unit and metadata the
//! device needs and pass `chdman verify`; each CSO/ZSO must carry the block size it promises; a
//! disc the device cannot read is refused before anything is written.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use discus_tests::{discus, peer, run, samples};

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// `discus convert INPUT OUTPUT --target PRESET EXTRA…`, which must succeed.
fn convert(input: &Path, output: &Path, preset: &str, extra: &[&str]) {
    let mut args = vec![
        os("convert"),
        input.as_os_str(),
        output.as_os_str(),
        os("--target"),
        os(preset),
    ];
    args.extend(extra.iter().map(|s| os(s)));
    let result = discus(&args);
    assert!(
        result.status.success(),
        "--target {preset} {}: {}",
        input.display(),
        String::from_utf8_lossy(&result.stderr)
    );
}

/// `chdman info` and `chdman verify` of `chd`: the info text, after checking verify passed.
fn chdman_checks(chdman: &Path, chd: &Path) -> String {
    let verify = run(
        chdman,
        &[os("verify"), os("-i"), chd.as_os_str()],
        Path::new("."),
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        verify.status.success()
            && said.contains("Raw SHA1 verification successful")
            && said.contains("Overall SHA1 verification successful"),
        "{} verify {}: {said}",
        chdman.display(),
        chd.display()
    );
    let info = run(
        chdman,
        &[os("info"), os("-i"), chd.as_os_str()],
        Path::new("."),
    );
    assert!(info.status.success(), "{info:?}");
    String::from_utf8_lossy(&info.stdout).into_owned()
}

/// The value after `key` in `chdman info`'s text.
fn field(info: &str, key: &str) -> String {
    info.lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| panic!("chdman info prints no {key}: {info}"))
}

struct Expected {
    preset: &'static str,
    input: PathBuf,
    hunk: &'static str,
    unit: &'static str,
    metadata: &'static str,
}

#[test]
fn i13_4_each_presets_chd_opens_in_chdman_with_its_hunk_and_metadata() {
    let Some(newer) = peer("chdman-0.289") else {
        return;
    };
    let older = peer("chdman");
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = samples().join("iso").join("data.iso");
    let mixed = samples().join("cue").join("mixed").join("mixed.cue");
    let xa = samples().join("cue").join("xa").join("xa.cue");
    let dvd = |preset| Expected {
        preset,
        input: iso.clone(),
        hunk: "2,048 bytes",
        unit: "2,048 bytes",
        metadata: "Tag='DVD '",
    };
    let cd = |preset, input: &PathBuf| Expected {
        preset,
        input: input.clone(),
        hunk: "19,584 bytes",
        unit: "2,448 bytes",
        metadata: "Tag='CHT2'",
    };
    let cases = [
        // PPSSPP: a UMD as a DVD CHD of 2048-byte hunks.
        dvd("psp"),
        dvd("ppsspp"),
        // PS2: a DVD's image (2048-byte sectors) as createdvd, a Mode 2 CD as createcd.
        Expected {
            hunk: "4,096 bytes",
            ..dvd("ps2")
        },
        Expected {
            hunk: "4,096 bytes",
            ..dvd("pcsx2")
        },
        cd("ps2", &xa),
        // CD consoles: the whole disc, audio included, as createcd.
        cd("ps1", &mixed),
        cd("saturn", &mixed),
        cd("pce", &mixed),
    ];
    for (i, case) in cases.iter().enumerate() {
        let chd = dir.path().join(format!("{i}-{}.chd", case.preset));
        convert(&case.input, &chd, case.preset, &[]);
        let info = chdman_checks(&newer, &chd);
        let what = format!("--target {} of {}", case.preset, case.input.display());
        assert_eq!(field(&info, "Hunk Size:"), case.hunk, "{what}");
        assert_eq!(field(&info, "Unit Size:"), case.unit, "{what}");
        assert!(info.contains(case.metadata), "{what}: {info}");
        if case.metadata.contains("CHT2") {
            let codecs = field(&info, "Compression:");
            assert!(
                codecs.contains("cdlz") && codecs.contains("cdzl") && codecs.contains("cdfl"),
                "{what}: {info}"
            );
        }
        // chdman 0.251 (no DVD commands, but it verifies any CHD) agrees.
        if let Some(older) = &older {
            chdman_checks(older, &chd);
        }
    }
    // The audio tracks of the PS1 disc are all there.
    let info = chdman_checks(&newer, &dir.path().join("5-ps1.chd"));
    assert_eq!(info.matches("TYPE:AUDIO").count(), 2, "{info}");
}

#[test]
fn i13_4_a_preset_for_a_format_picks_its_settings_from_the_extension_or_to() {
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = samples().join("iso").join("data.iso");
    // `--to chd` with the preset whose first format is CSO: a CHD with the preset's CHD settings.
    let chd = dir.path().join("psp.out");
    let output = discus(&[
        os("convert"),
        iso.as_os_str(),
        chd.as_os_str(),
        os("--target"),
        os("psp"),
        os("--to"),
        os("chd"),
    ]);
    assert!(output.status.success(), "{output:?}");
    let head = std::fs::read(&chd).expect("chd");
    assert_eq!(&head[..8], b"MComprHD");
    // Hunk bytes at 56, unit bytes at 60 (big-endian).
    assert_eq!(&head[56..60], &2048u32.to_be_bytes());
    assert_eq!(&head[60..64], &2048u32.to_be_bytes());
    // An explicit option wins over the preset's.
    let bigger = dir.path().join("bigger.chd");
    convert(&iso, &bigger, "psp", &["--block-size", "8192"]);
    let head = std::fs::read(&bigger).expect("chd");
    assert_eq!(&head[56..60], &8192u32.to_be_bytes());
    // A preset without settings for the format named is refused, naming what it writes.
    let output = discus(&[
        os("convert"),
        iso.as_os_str(),
        dir.path().join("x.cso").as_os_str(),
        os("--target"),
        os("ps1"),
    ]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("chd"), "{stderr}");
    assert!(!dir.path().join("x.cso").exists());
}

#[test]
fn i13_4_a_preset_refuses_a_disc_its_device_does_not_read_and_says_why() {
    let dir = tempfile::tempdir().expect("temp dir");
    // An audio CD: no PSP or PS1 game.
    let bin = dir.path().join("audio.bin");
    std::fs::write(&bin, vec![0u8; 2352 * 300]).expect("bin");
    let cue = dir.path().join("audio.cue");
    std::fs::write(
        &cue,
        "FILE \"audio.bin\" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n",
    )
    .expect("cue");
    for preset in ["psp", "ps1", "ps2"] {
        let chd = dir.path().join(format!("{preset}.chd"));
        let output = discus(&[
            os("convert"),
            cue.as_os_str(),
            chd.as_os_str(),
            os("--target"),
            os(preset),
        ]);
        assert_eq!(output.status.code(), Some(2), "{preset}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("--target {preset}")) && stderr.contains("no data track"),
            "{preset}: {stderr}"
        );
        assert!(!chd.exists());
    }
    // A DVD (an ISO too big for a CD, sparse): no PS1, Saturn or PC Engine CD game.
    let iso = dir.path().join("big.iso");
    let mut bytes = std::fs::read(samples().join("iso").join("data.iso")).expect("iso");
    bytes.truncate(64 * 2048);
    std::fs::write(&iso, &bytes).expect("iso");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&iso)
        .and_then(|f| f.set_len(2_000_000 * 2048))
        .expect("grow");
    for preset in ["ps1", "saturn", "pce"] {
        let chd = dir.path().join(format!("{preset}.chd"));
        let output = discus(&[
            os("convert"),
            iso.as_os_str(),
            chd.as_os_str(),
            os("--target"),
            os(preset),
            os("--allow-lossy"),
        ]);
        assert_eq!(output.status.code(), Some(2), "{preset}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("DVD") && stderr.contains("CDs only"),
            "{preset}: {stderr}"
        );
        assert!(!chd.exists());
    }
}

#[test]
fn presets_write_the_block_size_they_promise_in_every_format() {
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = samples().join("iso").join("data.iso");
    for name in discus::PRESETS {
        let preset = discus::preset(name).expect("listed presets exist");
        for setting in &preset.settings {
            let extension = setting.format.extensions[0];
            let out = dir.path().join(format!("{name}.{extension}"));
            let options = discus::ConvertOptions {
                preset: Some(&preset),
                force: true,
                ..discus::ConvertOptions::default()
            };
            let outcome = discus::convert(&iso, &out, &options)
                .unwrap_or_else(|e| panic!("{name} as {extension}: {e}"));
            assert_eq!(outcome.to.name, setting.format.name);
            let head = std::fs::read(&out).expect("output");
            let block = match setting.format.name {
                "chd" => u32::from_be_bytes(head[56..60].try_into().expect("4")),
                _ => u32::from_le_bytes(head[16..20].try_into().expect("4")),
            };
            // Unset: chdman's hunk for the layout (createdvd for a DVD's image, createcd).
            let promised = setting
                .compression
                .block_size
                .unwrap_or(match setting.layout {
                    discus::preset::Layout::Cd => 8 * 2448,
                    _ => 4096,
                });
            assert_eq!(block, promised, "{name} as {extension}");
            // Each reads back as the ISO.
            let back = dir.path().join(format!("{name}.{extension}.iso"));
            discus::convert(&out, &back, &discus::ConvertOptions::default())
                .unwrap_or_else(|e| panic!("{name} back: {e}"));
            assert!(
                std::fs::read(&back).ok() == std::fs::read(&iso).ok(),
                "{name} as {extension}"
            );
        }
    }
}
