//! Issue 11, items 13–15: real sheets that were refused or misread — Windows paths into a
//! sub-folder, the data track an audio ripper (EAC) lists without copying, and a last track with
//! INDEX 00 only. Each is read through the `discus` command as a user would.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Output;

use discus::core::sector::RAW_SIZE;
use discus_tests::discus;
use serde_json::Value;

/// `sectors` audio sectors of a recognisable pattern.
fn audio(sectors: usize, seed: u8) -> Vec<u8> {
    (0..sectors * RAW_SIZE)
        .map(|i| (i % 251) as u8 ^ seed)
        .collect()
}

/// A WAVE file of CD audio holding `pcm`.
fn wave(pcm: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(44 + pcm.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + pcm.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&44_100u32.to_le_bytes());
    out.extend_from_slice(&176_400u32.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(pcm.len() as u32).to_le_bytes());
    out.extend_from_slice(pcm);
    out
}

fn run(args: &[&OsStr]) -> (Output, String) {
    let output = discus(args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stderr)
}

fn info(cue: &Path) -> (Value, String) {
    let (output, stderr) = run(&[OsStr::new("info"), OsStr::new("--json"), cue.as_os_str()]);
    assert!(output.status.success(), "info {}: {stderr}", cue.display());
    (
        serde_json::from_slice(&output.stdout).expect("info json"),
        stderr,
    )
}

fn track_numbers(info: &Value) -> Vec<i64> {
    info["tracks"]
        .as_array()
        .expect("tracks")
        .iter()
        .map(|t| t["number"].as_i64().expect("number"))
        .collect()
}

#[test]
fn i11_13_windows_path_into_a_sub_folder_is_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("Album")).expect("mkdir");
    std::fs::write(
        dir.path().join("Album").join("01.wav"),
        wave(&audio(200, 1)),
    )
    .expect("write");
    std::fs::write(dir.path().join("02.wav"), wave(&audio(100, 2))).expect("write");
    let cue = dir.path().join("album.cue");
    std::fs::write(
        &cue,
        "FILE \"Album\\01.wav\" WAVE\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n\
         FILE \"Album\\02.wav\" WAVE\n  TRACK 02 AUDIO\n    INDEX 01 00:00:00\n",
    )
    .expect("write cue");
    let (info, stderr) = info(&cue);
    assert_eq!(track_numbers(&info), vec![1, 2]);
    let files: Vec<String> = info["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f.as_str().expect("name").replace('\\', "/"))
        .collect();
    assert!(
        files.iter().any(|f| f.ends_with("Album/01.wav")),
        "{files:?}"
    );
    // 02.wav is not in Album: found beside the sheet, with a warning that names the line.
    assert!(files.iter().any(|f| f.ends_with("/02.wav")), "{files:?}");
    assert!(
        stderr.contains("line 4") && stderr.contains("Windows path"),
        "{stderr}"
    );
    assert!(!stderr.contains("line 1,"), "{stderr}");
}

#[test]
fn i11_14_eac_data_track_without_data_reads_the_audio_and_refuses_what_needs_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pcm = audio(300, 3);
    std::fs::write(dir.path().join("Range.wav"), wave(&pcm)).expect("write");
    std::fs::write(dir.path().join("range.bin"), &pcm).expect("write");
    // The shapes EAC leaves for the data track of an Enhanced CD it copied the audio of: in the
    // image's WAVE file, past the end of a BIN, in a file it never wrote.
    let sheets = [
        (
            "wave.cue",
            "FILE \"Range.wav\" WAVE\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n  TRACK 02 AUDIO\n    INDEX 01 00:02:00\n\
               TRACK 03 MODE1/2352\n    INDEX 01 02:36:00\n",
            "FILE is WAVE",
        ),
        (
            "past.cue",
            "FILE \"range.bin\" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n  TRACK 02 AUDIO\n    INDEX 01 00:02:00\n\
               TRACK 03 MODE1/2352\n    INDEX 01 02:36:00\n",
            "past the end of FILE 'range.bin'",
        ),
        (
            "missing.cue",
            "FILE \"range.bin\" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n  TRACK 02 AUDIO\n    INDEX 01 00:02:00\n\
             FILE \"Data Track.bin\" BINARY\n  TRACK 03 MODE1/2352\n    INDEX 01 00:00:00\n",
            "'Data Track.bin' not found",
        ),
    ];
    for (name, text, why) in sheets {
        let cue = dir.path().join(name);
        std::fs::write(&cue, text).expect("write cue");
        let (info, stderr) = info(&cue);
        assert_eq!(track_numbers(&info), vec![1, 2], "{name}");
        assert_eq!(info["lead_out"].as_i64(), Some(300), "{name}");
        assert!(
            stderr.contains("track 3 (MODE1/2352)") && stderr.contains(why),
            "{name}: {stderr}"
        );
        // A target that keeps the whole disc needs track 3: refused, naming it.
        let nrg = dir.path().join(format!("{name}.nrg"));
        let (output, stderr) = run(&[OsStr::new("convert"), cue.as_os_str(), nrg.as_os_str()]);
        assert!(!output.status.success(), "{name} -> nrg was not refused");
        assert!(
            stderr.contains("track 3 (MODE1/2352) is not in the image") && stderr.contains(why),
            "{name}: {stderr}"
        );
        assert!(!nrg.exists());
        // An ISO holds the data track, and there is none to hold: the message names the one
        // that is missing.
        let iso = dir.path().join(format!("{name}.iso"));
        let (output, stderr) = run(&[OsStr::new("convert"), cue.as_os_str(), iso.as_os_str()]);
        assert!(!output.status.success(), "{name} -> iso was not refused");
        assert!(stderr.contains("track 3 (MODE1/2352)"), "{name}: {stderr}");
        // Allowed to lose it, the audio converts whole.
        let out = dir.path().join(format!("{name}-audio.cue"));
        let (output, stderr) = run(&[
            OsStr::new("convert"),
            OsStr::new("--allow-lossy"),
            OsStr::new("--single-bin"),
            cue.as_os_str(),
            out.as_os_str(),
        ]);
        assert!(output.status.success(), "{name}: {stderr}");
        assert!(
            std::fs::read(out.with_extension("bin")).expect("bin") == pcm,
            "{name}: the audio changed"
        );
    }
}

#[test]
fn i11_15_last_track_with_only_index_00_is_read_from_there() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("cut.bin"), audio(300, 4)).expect("write");
    let cue = dir.path().join("cut.cue");
    std::fs::write(
        &cue,
        "FILE \"cut.bin\" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n  TRACK 02 AUDIO\n    INDEX 00 00:03:00\n",
    )
    .expect("write cue");
    let (info, stderr) = info(&cue);
    let tracks = info["tracks"].as_array().expect("tracks");
    assert_eq!(tracks.len(), 2);
    assert_eq!(
        (tracks[1]["start"].as_i64(), tracks[1]["length"].as_i64()),
        (Some(225), Some(75))
    );
    assert_eq!(tracks[1]["pregap"]["sectors"].as_i64(), Some(0));
    assert!(
        stderr.contains("line 5") && stderr.contains("INDEX 00"),
        "{stderr}"
    );
}

#[test]
fn i11_9_nrg_refuses_index_02_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("marks.bin"), audio(400, 5)).expect("write");
    let cue = dir.path().join("marks.cue");
    std::fs::write(
        &cue,
        "FILE \"marks.bin\" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n  TRACK 02 AUDIO\n    INDEX 01 00:02:00\n\
         TRACK 03 AUDIO\n    INDEX 01 00:04:00\n    INDEX 02 00:04:50\n",
    )
    .expect("write cue");
    let nrg = dir.path().join("marks.nrg");
    let (output, stderr) = run(&[
        OsStr::new("convert"),
        OsStr::new("-q"),
        cue.as_os_str(),
        nrg.as_os_str(),
    ]);
    assert!(!output.status.success(), "INDEX 02 was dropped silently");
    assert!(
        stderr.contains("INDEX 02 of track 3 at LBA 350 (00:06:50)"),
        "{stderr}"
    );
    assert!(!nrg.exists());
    let (output, stderr) = run(&[
        OsStr::new("convert"),
        OsStr::new("--allow-lossy"),
        cue.as_os_str(),
        nrg.as_os_str(),
    ]);
    assert!(output.status.success(), "{stderr}");
    // What was written still reads in libcdio, which is why the marks are left out.
    if let Some(cd_info) = discus_tests::peer("cd-info") {
        let rows = discus_tests::cd_info_tracks(&cd_info, "nrg", &nrg).expect("cd-info reads it");
        assert_eq!(rows, vec![(1, 0), (2, 150), (3, 300), (170, 400)]);
    }
}

#[test]
fn i11_9_bin_ending_mid_sector_is_refused_with_the_offset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut bytes = audio(20, 6);
    bytes.extend_from_slice(&[7u8; 100]);
    std::fs::write(dir.path().join("torn.bin"), &bytes).expect("write");
    let cue = dir.path().join("torn.cue");
    std::fs::write(
        &cue,
        "FILE \"torn.bin\" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n",
    )
    .expect("write cue");
    let out = dir.path().join("out.cue");
    // -q hides warnings, never a loss.
    let (output, stderr) = run(&[
        OsStr::new("convert"),
        OsStr::new("-q"),
        cue.as_os_str(),
        out.as_os_str(),
    ]);
    assert!(
        !output.status.success(),
        "the torn tail was dropped silently"
    );
    assert!(
        stderr.contains("100 byte(s) at byte 47040") && stderr.contains("--allow-lossy"),
        "{stderr}"
    );
    assert!(!out.exists());
    let (output, stderr) = run(&[
        OsStr::new("convert"),
        OsStr::new("-q"),
        OsStr::new("--allow-lossy"),
        cue.as_os_str(),
        out.as_os_str(),
    ]);
    assert!(output.status.success(), "{stderr}");
    // A raw image without a sheet: the same rule.
    let mut raw = Vec::new();
    for lba in 0..20 {
        let mut sector = [0u8; RAW_SIZE];
        discus::core::sector::encode_mode1(discus::core::Lba(lba), &[0u8; 2048], &mut sector);
        raw.extend_from_slice(&sector);
    }
    raw.extend_from_slice(&[1u8; 10]);
    let img = dir.path().join("raw.img");
    std::fs::write(&img, &raw).expect("write");
    let iso = dir.path().join("raw.iso");
    let (output, stderr) = run(&[OsStr::new("convert"), img.as_os_str(), iso.as_os_str()]);
    assert!(!output.status.success(), "raw image: torn tail dropped");
    assert!(stderr.contains("10 byte(s), at byte 47040"), "{stderr}");
}

#[test]
fn i11_16_a_refusal_names_the_lossless_choice_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    // MODE1/2352 whose sectors are not valid Mode 1 (no sync, no EDC): stripping them loses bytes.
    let bin = audio(30, 7);
    std::fs::write(dir.path().join("odd.bin"), &bin).expect("write");
    let cue = dir.path().join("odd.cue");
    std::fs::write(
        &cue,
        "FILE \"odd.bin\" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n",
    )
    .expect("write cue");
    for target in ["odd.nrg", "odd.img"] {
        let out = dir.path().join(target);
        let (output, stderr) = run(&[OsStr::new("convert"), cue.as_os_str(), out.as_os_str()]);
        assert!(!output.status.success(), "{target} was not refused");
        let choice = stderr.find("--sector-size 2352");
        let lossy = stderr.find("--allow-lossy");
        assert!(
            choice.is_some() && choice < lossy,
            "{target}: the lossless choice is not named first: {stderr}"
        );
        // And it does keep every byte (an image of such sectors reads back only through NRG:
        // a raw IMG is recognised by its sync patterns).
        let (output, stderr) = run(&[
            OsStr::new("convert"),
            OsStr::new("--sector-size"),
            OsStr::new("2352"),
            cue.as_os_str(),
            out.as_os_str(),
        ]);
        assert!(output.status.success(), "{target}: {stderr}");
        if target != "odd.nrg" {
            continue;
        }
        let back = dir.path().join(format!("{target}-back.cue"));
        let (output, stderr) = run(&[
            OsStr::new("convert"),
            OsStr::new("--single-bin"),
            out.as_os_str(),
            back.as_os_str(),
        ]);
        assert!(output.status.success(), "{target}: {stderr}");
        assert!(
            std::fs::read(back.with_extension("bin")).expect("bin") == bin,
            "{target}: bytes changed"
        );
    }
    // An ISO cannot store whole sectors: only --allow-lossy is offered.
    let iso = dir.path().join("odd.iso");
    let (output, stderr) = run(&[OsStr::new("convert"), cue.as_os_str(), iso.as_os_str()]);
    assert!(!output.status.success());
    assert!(
        !stderr.contains("--sector-size") && stderr.contains("--allow-lossy"),
        "{stderr}"
    );
    // Mode 2 XA in 2048-byte sectors loses the subheaders, which the plan knows before
    // writing: the loss itself names the choice.
    let xa = dir.path().join("xa.cue");
    std::fs::write(
        &xa,
        "FILE \"odd.bin\" BINARY\n  TRACK 01 MODE2/2352\n    INDEX 01 00:00:00\n",
    )
    .expect("write cue");
    let img = dir.path().join("xa.img");
    let (output, stderr) = run(&[OsStr::new("convert"), xa.as_os_str(), img.as_os_str()]);
    assert!(!output.status.success());
    let choice = stderr.find("--sector-size 2352");
    assert!(
        choice.is_some() && choice < stderr.find("--allow-lossy"),
        "{stderr}"
    );
}

#[test]
fn i11_7_the_file_named_is_the_file_converted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name);
    // t.img (with its t.ccd) holds one disc; t.bin (with its t.cue) another.
    let mode1 = |fill: &dyn Fn(i32) -> u8| {
        let mut raw = Vec::new();
        for lba in 0..40 {
            let mut sector = [0u8; RAW_SIZE];
            let user = [fill(lba); 2048];
            discus::core::sector::encode_mode1(discus::core::Lba(lba), &user, &mut sector);
            raw.extend_from_slice(&sector);
        }
        raw
    };
    std::fs::write(path("src.bin"), mode1(&|lba| lba as u8)).expect("write");
    std::fs::write(
        path("src.cue"),
        "FILE \"src.bin\" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n",
    )
    .expect("write");
    let convert = |args: &[&OsStr]| {
        let (output, stderr) = run(args);
        assert!(output.status.success(), "{args:?}: {stderr}");
    };
    let c = OsStr::new("convert");
    let q = OsStr::new("-q");
    convert(&[c, q, path("src.cue").as_os_str(), path("t.ccd").as_os_str()]);
    std::fs::write(path("t.bin"), mode1(&|_| 0xEE)).expect("write");
    std::fs::write(
        path("t.cue"),
        "FILE \"t.bin\" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n",
    )
    .expect("write");
    let user_data = |iso: &Path| std::fs::read(iso).expect("iso");
    let expected: Vec<u8> = (0..40u8).flat_map(|b| [b; 2048]).collect();

    convert(&[c, q, path("t.img").as_os_str(), path("img.iso").as_os_str()]);
    assert!(
        user_data(&path("img.iso")) == expected,
        "t.img was not what was converted"
    );
    // The sheet is still used for the file it names.
    convert(&[c, q, path("t.bin").as_os_str(), path("bin.iso").as_os_str()]);
    assert!(user_data(&path("bin.iso")) == vec![0xEEu8; 40 * 2048]);
    // Without the .ccd, t.img is a raw image: still not t.bin.
    std::fs::remove_file(path("t.ccd")).expect("rm");
    std::fs::remove_file(path("t.sub")).expect("rm");
    let (info, _) = info(&path("t.img"));
    assert_eq!(info["format"].as_str(), Some("img"), "{info}");
    convert(&[c, q, path("t.img").as_os_str(), path("raw.iso").as_os_str()]);
    assert!(user_data(&path("raw.iso")) == expected);
}
