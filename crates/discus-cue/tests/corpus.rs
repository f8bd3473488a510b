//! The libcdio cue/bin pairs read with the right layout, the broken sheets are refused naming the
//! line (or, for CATALOG, read with the documented warning), and every pair survives
//! split → merge → split through the writer byte for byte.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{convert, corpus, folder, open, stored_sectors};
use discus_core::{
    Confidence, Control, Error, Form, Gap, Lba, Location, Probe, TrackMode, WriteOptions,
};
use discus_cue::FORMAT;

#[test]
fn isofs_m1_is_one_raw_mode1_track() {
    let Some(dir) = corpus() else { return };
    let mut source = open(&dir.join("isofs-m1.cue"));
    let disc = source.disc().clone();
    assert_eq!(disc.track_count(), 1);
    let track = disc.track(0).unwrap();
    assert_eq!(
        (track.number, track.mode, track.start, track.length),
        (1, TrackMode::Mode1, Lba(0), 302)
    );
    assert_eq!(track.pregap, Gap::NONE);
    assert_eq!(disc.catalog.as_deref(), Some("0000012101954"));
    assert_eq!(source.stored_form(0), Form::Raw);
    // The sheet says ISOFS-M1.BIN; the file is isofs-m1.bin.
    let warnings = source.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("ISOFS-M1.BIN") && w.contains("case")),
        "{warnings:?}"
    );
    let mut sector = vec![0u8; 2352];
    source.read(0, Lba(16), &mut sector).unwrap();
    assert_eq!(&sector[16..22], b"\x01CD001");
    let bin = std::fs::read(dir.join("isofs-m1.bin")).unwrap();
    assert_eq!(sector[..], bin[16 * 2352..17 * 2352]);
    assert_eq!(source.files().len(), 2);
}

#[test]
fn cdda_is_one_audio_track_with_catalog_and_text() {
    let Some(dir) = corpus() else { return };
    let source = open(&dir.join("cdda.cue"));
    let disc = source.disc();
    assert_eq!(disc.track_count(), 1);
    let track = disc.track(0).unwrap();
    assert_eq!((track.mode, track.length), (TrackMode::Audio, 302));
    assert_eq!(disc.catalog.as_deref(), Some("0000010271955"));
    assert_eq!(
        disc.text.title.as_deref(),
        Some("Join us now we have the software")
    );
    assert_eq!(disc.text.performer.as_deref(), Some("Richard Stallman"));
    assert_eq!(track.text.title.as_deref(), Some("Soft"));
    assert_eq!(track.text.performer.as_deref(), Some("Richard S"));
    assert!(track.control.has(Control::COPY_PERMITTED));
}

#[test]
fn cdda_4_5_starts_at_track_four() {
    let Some(dir) = corpus() else { return };
    let source = open(&dir.join("cdda_4_5.cue"));
    let tracks: Vec<_> = source.disc().tracks().cloned().collect();
    assert_eq!(tracks.len(), 2);
    assert_eq!(
        (tracks[0].number, tracks[0].start, tracks[0].length),
        (4, Lba(0), 150)
    );
    assert_eq!(
        (tracks[1].number, tracks[1].start, tracks[1].length),
        (5, Lba(150), 152)
    );
    assert!(source.warnings().is_empty(), "{:?}", source.warnings());
}

#[test]
fn p1_has_stored_pregaps_flags_and_the_boing_fallback() {
    let Some(dir) = corpus() else { return };
    let mut source = open(&dir.join("p1.cue"));
    let tracks: Vec<_> = source.disc().tracks().cloned().collect();
    assert_eq!(tracks.len(), 2);
    assert_eq!(tracks[0].pregap, Gap::stored(75));
    // The BIN begins at LBA 0 (00:02:00), so track 1's INDEX 01 is at 75 and track 2's at 225,
    // lead-out 302: what libcdio's cd-info lists for this sheet.
    assert_eq!((tracks[0].start, tracks[0].length), (Lba(75), 75));
    assert_eq!(tracks[0].first_lba(), Lba(0));
    assert_eq!(tracks[1].pregap, Gap::stored(75));
    assert_eq!((tracks[1].start, tracks[1].length), (Lba(225), 77));
    assert_eq!(source.disc().lead_out(), Some(Lba(302)));
    for track in &tracks {
        assert_eq!(track.mode, TrackMode::Audio);
        assert_eq!(track.control, Control(Control::COPY_PERMITTED));
    }
    let warnings = source.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("BOING.BIN") && w.contains("p1.bin")),
        "{warnings:?}"
    );
    // Track 2's stored pregap is the file from 00:02:00 on.
    let bin = std::fs::read(dir.join("p1.bin")).unwrap();
    assert_eq!(stored_sectors(&mut *source, 1), bin[150 * 2352..]);
    assert_eq!(stored_sectors(&mut *source, 0), bin[..150 * 2352]);
}

fn line_of(error: &Error) -> Option<(usize, usize)> {
    match error {
        Error::Invalid {
            at: Location::Line { line, column },
            ..
        } => Some((*line, *column)),
        _ => None,
    }
}

#[test]
fn bad_sheets_are_refused_at_their_line() {
    let Some(dir) = corpus() else { return };
    for (name, line, column, words) in [
        ("bad-mode1.cue", 6, 10, "MODE3_FORM1"),
        ("bad-msf-1.cue", 7, 14, "frames 100"),
        ("bad-msf-2.cue", 7, 14, "seconds 90"),
        ("bad-msf-3.cue", 7, 14, "xx:yy:0"),
    ] {
        let error = match (FORMAT.open)(&dir.join(name)) {
            Err(e) => e,
            Ok(_) => panic!("{name} opened"),
        };
        assert_eq!(line_of(&error), Some((line, column)), "{name}: {error}");
        let text = error.to_string();
        assert!(text.contains(name) && text.contains(words), "{text}");
    }
}

#[test]
fn bad_catalogs_are_dropped_with_a_warning() {
    let Some(dir) = corpus() else { return };
    for name in ["bad-cat1.cue", "bad-cat2.cue", "bad-cat3.cue"] {
        let source = open(&dir.join(name));
        assert_eq!(source.disc().catalog, None, "{name}");
        assert_eq!(source.disc().track_count(), 1);
        let warnings = source.warnings();
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(name) && w.contains("line 4") && w.contains("CATALOG")),
            "{name}: {warnings:?}"
        );
    }
}

#[test]
fn every_corpus_sheet_round_trips_split_merge_split() {
    let Some(dir) = corpus() else { return };
    for (cue, bin) in [
        ("isofs-m1.cue", "isofs-m1.bin"),
        ("cdda.cue", "cdda.bin"),
        ("cdda_4_5.cue", "cdda_4_5.bin"),
        ("p1.cue", "p1.bin"),
    ] {
        let work = tempfile::tempdir().unwrap();
        let [a, b, c] = ["a", "b", "c"].map(|d| {
            let path = work.path().join(d);
            std::fs::create_dir(&path).unwrap();
            path
        });
        let multi = WriteOptions::default();
        let single = WriteOptions {
            single_file: true,
            ..WriteOptions::default()
        };
        convert(&dir.join(cue), &a.join("Disc.cue"), &multi).unwrap();
        convert(&a.join("Disc.cue"), &b.join("Disc.cue"), &single).unwrap();
        convert(&b.join("Disc.cue"), &c.join("Disc.cue"), &multi).unwrap();
        let first = folder(&a);
        assert_eq!(
            first,
            folder(&c),
            "{cue}: split → merge → split changed something"
        );
        // The merged BIN is the original BIN, and the split BINs are its pieces.
        let original = std::fs::read(dir.join(bin)).unwrap();
        assert_eq!(
            std::fs::read(b.join("Disc.bin")).unwrap(),
            original,
            "{cue}"
        );
        let pieces: Vec<u8> = first
            .iter()
            .filter(|(name, _)| name.ends_with(".bin"))
            .flat_map(|(_, bytes)| bytes.clone())
            .collect();
        assert_eq!(pieces, original, "{cue}");
        // The disc is the same whichever way it is stored.
        let source = open(&dir.join(cue));
        let merged = open(&b.join("Disc.cue"));
        assert_eq!(source.disc(), merged.disc(), "{cue}");
        assert!(
            merged.warnings().is_empty(),
            "{cue}: {:?}",
            merged.warnings()
        );
    }
}

#[test]
fn p1_sheets_as_written() {
    let Some(dir) = corpus() else { return };
    let work = tempfile::tempdir().unwrap();
    convert(
        &dir.join("p1.cue"),
        &work.path().join("p1.cue"),
        &WriteOptions::default(),
    )
    .unwrap();
    let text = std::fs::read_to_string(work.path().join("p1.cue")).unwrap();
    let expected = [
        "CATALOG 0000010271955",
        "TITLE \"Join us now we have the software\"",
        "PERFORMER \"Richard Stallman\"",
        "FILE \"p1 (Track 1).bin\" BINARY",
        "  TRACK 01 AUDIO",
        "    FLAGS DCP",
        "    INDEX 00 00:00:00",
        "    INDEX 01 00:01:00",
        "FILE \"p1 (Track 2).bin\" BINARY",
        "  TRACK 02 AUDIO",
        "    FLAGS DCP",
        "    INDEX 00 00:00:00",
        "    INDEX 01 00:01:00",
        "",
    ]
    .join("\r\n");
    assert_eq!(text, expected);
    let single = tempfile::tempdir().unwrap();
    let options = WriteOptions {
        single_file: true,
        ..WriteOptions::default()
    };
    convert(&dir.join("p1.cue"), &single.path().join("p1.cue"), &options).unwrap();
    let text = std::fs::read_to_string(single.path().join("p1.cue")).unwrap();
    assert!(text.contains("FILE \"p1.bin\" BINARY\r\n  TRACK 01 AUDIO\r\n    FLAGS DCP\r\n    INDEX 00 00:00:00\r\n    INDEX 01 00:01:00\r\n  TRACK 02 AUDIO\r\n    FLAGS DCP\r\n    INDEX 00 00:02:00\r\n    INDEX 01 00:03:00\r\n"), "{text}");
}

#[test]
fn cooked_mode1_is_the_user_data() {
    let Some(dir) = corpus() else { return };
    let work = tempfile::tempdir().unwrap();
    let options = WriteOptions {
        sector_size: Some(2048),
        ..WriteOptions::default()
    };
    convert(
        &dir.join("isofs-m1.cue"),
        &work.path().join("m1.cue"),
        &options,
    )
    .unwrap();
    let text = std::fs::read_to_string(work.path().join("m1.cue")).unwrap();
    assert!(text.contains("TRACK 01 MODE1/2048"), "{text}");
    let cooked = std::fs::read(work.path().join("m1.bin")).unwrap();
    let raw = std::fs::read(dir.join("isofs-m1.bin")).unwrap();
    let user: Vec<u8> = raw
        .chunks(2352)
        .flat_map(|s| s[16..2064].to_vec())
        .collect();
    assert_eq!(cooked, user);
    // And back to raw: the sectors regenerate exactly.
    let back = tempfile::tempdir().unwrap();
    convert(
        &work.path().join("m1.cue"),
        &back.path().join("m1.cue"),
        &WriteOptions::default(),
    )
    .unwrap();
    assert_eq!(std::fs::read(back.path().join("m1.bin")).unwrap(), raw);
}

fn probe_file(path: &Path) -> Confidence {
    let bytes = std::fs::read(path).unwrap();
    let head = &bytes[..bytes.len().min(Probe::HEAD)];
    let tail = &bytes[bytes.len().saturating_sub(Probe::TAIL)..];
    let siblings: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p != path && p.file_stem() == path.file_stem())
        .collect();
    let probe = Probe {
        path,
        head,
        tail,
        len: bytes.len() as u64,
        siblings: &siblings,
    };
    (FORMAT.probe)(&probe)
}

#[test]
fn probes() {
    let Some(dir) = corpus() else { return };
    assert_eq!(probe_file(&dir.join("p1.cue")), Confidence::Magic);
    assert_eq!(probe_file(&dir.join("isofs-m1.cue")), Confidence::Magic);
    // A sheet that does not parse is still a sheet, so opening it can say why.
    assert_eq!(
        probe_file(&dir.join("bad-mode1.cue")),
        Confidence::Structure
    );
    // A BIN with a same-stem sheet beside it.
    assert_eq!(probe_file(&dir.join("cdda.bin")), Confidence::Structure);
    assert_eq!(probe_file(&dir.join("copying.iso")), Confidence::No);
    assert_eq!(probe_file(&dir.join("cdda.toc")), Confidence::No);
    // Opening the BIN opens its sheet.
    let source = open(&dir.join("cdda.bin"));
    assert_eq!(source.disc().catalog.as_deref(), Some("0000010271955"));
    assert!(source.files()[0].ends_with("cdda.cue"));
}
