//! BIN/CUE against peers nobody here wrote: bchunk's ISO, chdman's reading and extraction,
//! cd-info's track list, cuebreakpoints' breakpoints. Sheets come from `samples/cue/` and the
//! libcdio corpus.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use discus::core::{Check, Form, TrackMode, read_sectors};
use discus::{ConvertOptions, WriteOptions};
use discus_tests::{corpus, files_below, peer, run, samples};

/// Every cue sheet among the samples, and the libcdio corpus sheets that read.
fn sheets() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = files_below(&samples().join("cue"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "cue"))
        .collect();
    assert!(
        !found.is_empty(),
        "samples/cue holds no sheet: run samples/make.sh"
    );
    if let Some(dir) = corpus("libcdio") {
        for name in ["isofs-m1.cue", "cdda.cue", "cdda_4_5.cue"] {
            found.push(dir.join(name));
        }
    }
    found
}

/// The data files of a sheet as discus resolves them (the corpus names `ISOFS-M1.BIN` for a file
/// called `isofs-m1.bin`; peers that take a BIN path need the real one).
fn files_of(cue: &Path) -> Vec<PathBuf> {
    let files = discus::open(cue).expect("open sheet").source.files();
    files.into_iter().filter(|f| f != cue).collect()
}

fn convert(input: &Path, output: &Path, write: WriteOptions) -> discus::Outcome {
    let options = ConvertOptions {
        write,
        force: true,
        ..ConvertOptions::default()
    };
    discus::convert(input, output, &options)
        .unwrap_or_else(|e| panic!("{} -> {}: {e}", input.display(), output.display()))
}

/// Reads the body (INDEX 01 to end) of track `index` in `form`.
fn body(source: &mut dyn discus::SectorSource, index: usize, form: Form) -> Vec<u8> {
    let track = source.disc().track(index).expect("track").clone();
    let mut out = vec![0u8; track.length as usize * form.size()];
    let mut check = Check::default();
    read_sectors(
        source,
        index,
        track.start,
        track.length as usize,
        form,
        &mut out,
        &mut Vec::new(),
        &mut check,
    )
    .expect("read track");
    out
}

/// Checks that two images hold the same tracks with the same sectors: user data for Mode 1, raw
/// bytes for everything else.
fn assert_same_sectors(a: &Path, b: &Path) {
    let mut left = discus::open(a).expect("open a").source;
    let mut right = discus::open(b).expect("open b").source;
    let (l, r) = (left.disc().clone(), right.disc().clone());
    assert_eq!(
        l.track_count(),
        r.track_count(),
        "{} vs {}",
        a.display(),
        b.display()
    );
    for (index, (lt, rt)) in l.tracks().zip(r.tracks()).enumerate() {
        assert_eq!(lt.number, rt.number);
        assert_eq!(lt.mode, rt.mode, "track {}", lt.number);
        assert_eq!(
            lt.length,
            rt.length,
            "track {} of {} vs {}",
            lt.number,
            a.display(),
            b.display()
        );
        let form = if lt.mode == TrackMode::Mode1 {
            Form::Cooked
        } else {
            Form::Raw
        };
        assert!(
            body(&mut *left, index, form) == body(&mut *right, index, form),
            "track {} differs between {} and {}",
            lt.number,
            a.display(),
            b.display()
        );
    }
}

#[test]
fn our_iso_equals_bchunks_on_every_single_bin_sheet() {
    let Some(bchunk) = peer("bchunk") else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut compared = 0;
    for cue in sheets() {
        let files = files_of(&cue);
        let text = std::fs::read_to_string(&cue)
            .expect("read")
            .to_ascii_uppercase();
        // bchunk reads one BIN of 2352-byte sectors and needs a data first track.
        let first_track = text
            .lines()
            .find(|l| l.trim_start().starts_with("TRACK"))
            .unwrap_or("");
        if files.len() != 1 || !first_track.contains("MODE1/2352") {
            continue;
        }
        let base = dir.path().join("bchunk");
        let output = run(
            &bchunk,
            &[files[0].as_os_str(), cue.as_os_str(), base.as_os_str()],
            dir.path(),
        );
        assert!(
            output.status.success(),
            "bchunk on {}: {}",
            cue.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let ours = dir.path().join("ours.iso");
        let lossy = WriteOptions {
            allow_lossy: true,
            ..WriteOptions::default()
        };
        convert(&cue, &ours, lossy);
        let theirs = std::fs::read(dir.path().join("bchunk01.iso")).expect("bchunk wrote track 1");
        assert!(
            std::fs::read(&ours).expect("ours") == theirs,
            "{}: our ISO differs from bchunk's",
            cue.display()
        );
        compared += 1;
    }
    assert!(
        compared >= 2,
        "too few single-bin Mode 1 sheets compared: {compared}"
    );
}

#[test]
fn chdman_reads_our_bin_cue_and_gives_back_the_same_sectors() {
    let Some(chdman) = peer("chdman") else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    for cue in sheets() {
        // chdman numbers tracks from 1 and refuses a sheet whose first track is 04.
        if discus::open(&cue).is_ok_and(|o| o.source.disc().track(0).is_some_and(|t| t.number != 1))
        {
            continue;
        }
        // Rewrite each sheet with our writer first: chdman must read what discus writes.
        let ours = dir.path().join("ours.cue");
        for stale in discus_tests::listing(dir.path()) {
            let _ = std::fs::remove_file(dir.path().join(stale));
        }
        convert(
            &cue,
            &ours,
            WriteOptions {
                single_file: true,
                ..WriteOptions::default()
            },
        );
        let back = discus_tests::chdman_round_trip(&chdman, &ours, dir.path());
        assert_same_sectors(&ours, &back);
    }
}

/// Track starts (LSN) that `cd-info` lists for a sheet.
fn cd_info_starts(cd_info: &Path, cue: &Path) -> Vec<i64> {
    discus_tests::cd_info_tracks(cd_info, "cue", cue)
        .unwrap_or_default()
        .into_iter()
        .filter(|&(number, _)| number != 170)
        .map(|(_, lsn)| lsn)
        .collect()
}

#[test]
fn cd_info_lists_the_same_tracks_as_we_read() {
    let Some(cd_info) = peer("cd-info") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    for cue in sheets() {
        let ours = dir.path().join("ours.cue");
        for stale in discus_tests::listing(dir.path()) {
            let _ = std::fs::remove_file(dir.path().join(stale));
        }
        convert(
            &cue,
            &ours,
            WriteOptions {
                single_file: true,
                ..WriteOptions::default()
            },
        );
        let disc = discus::open(&ours)
            .expect("open ours")
            .source
            .disc()
            .clone();
        // cd-info reads one session from a cue, and places tracks ignoring PREGAP (libcdio keeps
        // file positions), where CDRWIN, MAME, libmirage and discus move later tracks by it.
        let generated_gap = disc
            .tracks()
            .any(|t| t.pregap.sectors > 0 && !t.pregap.stored);
        if disc.sessions.len() > 1 || generated_gap {
            continue;
        }
        let ours_starts: Vec<i64> = disc.tracks().map(|t| i64::from(t.start.0)).collect();
        assert_eq!(
            cd_info_starts(&cd_info, &ours),
            ours_starts,
            "{}",
            cue.display()
        );
    }
}

/// `cuebreakpoints` of a single-file sheet: the file-relative INDEX 01 times of tracks 2 …
fn breakpoints(tool: &Path, cue: &Path) -> String {
    let output = run(tool, &[cue.as_os_str()], cue.parent().expect("folder"));
    assert!(output.status.success(), "cuebreakpoints {}", cue.display());
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn merging_keeps_cuebreakpoints_of_the_original_single_bin_sheet() {
    let Some(tool) = peer("cuebreakpoints") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut compared = 0;
    for cue in sheets() {
        if files_of(&cue).len() != 1
            || std::fs::read_to_string(&cue)
                .expect("read")
                .to_ascii_uppercase()
                .contains("REM SESSION")
        {
            continue;
        }
        // Split into one BIN per track, merge again, and ask an outside parser where the tracks are.
        let split = dir.path().join("split.cue");
        let merged = dir.path().join("merged.cue");
        for stale in discus_tests::listing(dir.path()) {
            let _ = std::fs::remove_file(dir.path().join(stale));
        }
        convert(&cue, &split, WriteOptions::default());
        convert(
            &split,
            &merged,
            WriteOptions {
                single_file: true,
                ..WriteOptions::default()
            },
        );
        assert_eq!(
            breakpoints(&tool, &merged),
            breakpoints(&tool, &cue),
            "{}",
            cue.display()
        );
        assert_same_sectors(&cue, &merged);
        compared += 1;
    }
    assert!(
        compared >= 2,
        "too few single-file sheets compared: {compared}"
    );
}

#[test]
fn audio_tracks_are_refused_in_an_iso_and_kept_as_wav_when_asked() {
    let Some(dir) = corpus("libcdio") else { return };
    let out = tempfile::tempdir().expect("temp dir");
    let iso = out.path().join("p1.iso");
    let error = discus::convert(&dir.join("isofs-m1.cue"), &iso, &ConvertOptions::default());
    assert!(
        error.is_ok(),
        "a data-only disc converts: {:?}",
        error.err()
    );
    std::fs::remove_file(&iso).expect("remove");
    // cdda.cue is audio only: there is no data track for an ISO at all.
    let refused = discus::convert(&dir.join("cdda.cue"), &iso, &ConvertOptions::default());
    let message = refused.expect_err("audio-only disc refused").to_string();
    assert!(message.contains("no data track"), "{message}");
    assert!(discus_tests::listing(out.path()).is_empty());
}

/// A single-file sample sheet with a data track followed by audio tracks.
fn mixed_single_bin() -> Option<PathBuf> {
    sheets().into_iter().find(|cue| {
        files_of(cue).len() == 1
            && discus::open(cue).is_ok_and(|o| {
                let disc = o.source.disc();
                disc.sessions.len() == 1
                    && disc.track(0).is_some_and(|t| t.mode == TrackMode::Mode1)
                    && disc.tracks().any(|t| t.mode == TrackMode::Audio)
            })
    })
}

#[test]
fn a_mixed_disc_is_refused_as_iso_then_kept_whole_with_audio_wav() {
    let cue = mixed_single_bin().expect("samples/cue has a single-bin mixed-mode sheet");
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = dir.path().join("ours.iso");
    let refused = discus::convert(&cue, &iso, &ConvertOptions::default());
    let message = refused.expect_err("audio in an ISO is refused").to_string();
    assert!(message.contains("track 2 (audio"), "{message}");
    assert!(message.contains("--audio wav keeps it"), "{message}");
    assert!(message.contains("--allow-lossy"), "{message}");
    assert!(discus_tests::listing(dir.path()).is_empty());

    let outcome = convert(
        &cue,
        &iso,
        WriteOptions {
            audio_files: true,
            ..WriteOptions::default()
        },
    );
    assert!(outcome.losses.is_empty(), "{:?}", outcome.losses);
    let Some(bchunk) = peer("bchunk") else { return };
    let base = dir.path().join("bchunk");
    let files = files_of(&cue);
    let made = run(
        &bchunk,
        &[
            OsStr::new("-w"),
            files[0].as_os_str(),
            cue.as_os_str(),
            base.as_os_str(),
        ],
        dir.path(),
    );
    assert!(made.status.success());
    assert!(
        std::fs::read(&iso).expect("iso")
            == std::fs::read(dir.path().join("bchunk01.iso")).expect("bchunk iso")
    );
    let disc = discus::open(&cue).expect("open").source.disc().clone();
    for track in disc.tracks().filter(|t| t.mode == TrackMode::Audio) {
        let ours = std::fs::read(
            dir.path()
                .join(format!("ours (Track {}).wav", track.number)),
        )
        .expect("our wav");
        // bchunk starts a track at its last INDEX line, so it cuts tracks with INDEX 02 short.
        if !track.indexes.is_empty() {
            assert_eq!(ours.len() as u64, 44 + u64::from(track.length) * 2352);
            continue;
        }
        let theirs = std::fs::read(dir.path().join(format!("bchunk{:02}.wav", track.number)))
            .expect("bchunk wav");
        assert!(
            ours == theirs,
            "track {} WAV differs from bchunk's",
            track.number
        );
    }
}

#[test]
fn a_dropped_pregap_that_is_not_silence_is_refused_with_its_address() {
    let cue = mixed_single_bin().expect("samples/cue has a single-bin mixed-mode sheet");
    let disc = discus::open(&cue).expect("open").source.disc().clone();
    let track2 = disc.track(1).expect("track 2").clone();
    assert!(
        track2.pregap.stored && track2.pregap.sectors > 0,
        "the sample's track 2 stores its pregap"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    for file in discus::open(&cue).expect("open").source.files() {
        std::fs::copy(&file, dir.path().join(file.file_name().expect("name"))).expect("copy");
    }
    let copy = dir.path().join(cue.file_name().expect("name"));
    let bin = files_of(&copy).remove(0);
    // Put one non-zero sample into the middle of track 2's pregap.
    let mut bytes = std::fs::read(&bin).expect("read bin");
    let track1_sectors = disc.track(0).expect("track 1").total_sectors() as usize;
    let victim = track1_sectors + track2.pregap.sectors as usize / 2;
    bytes[victim * 2352 + 100] = 0x7f;
    std::fs::write(&bin, &bytes).expect("write bin");
    let iso = dir.path().join("out.iso");
    let options = ConvertOptions {
        write: WriteOptions {
            audio_files: true,
            ..WriteOptions::default()
        },
        ..ConvertOptions::default()
    };
    let message = discus::convert(&copy, &iso, &options)
        .expect_err("refused")
        .to_string();
    let lba = track2.first_lba().0 + track2.pregap.sectors as i32 / 2;
    assert!(
        message.contains(&format!("first at LBA {lba}")),
        "{message}"
    );
    assert!(message.contains("1 sector(s)"), "{message}");
    assert!(!iso.exists());
}
