//! CloneCD round trips on synthetic discs (single data track, mixed mode, two sessions, every
//! kind of gap, metadata, with and without subchannel), the packed `.sub` layout, tolerant
//! reading and bad input.

// Helpers of a test crate unwrap like its tests do: a failure is the test failing.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use discus_core::sector::subchannel::{Generator, deinterleave};
use discus_core::sector::{RAW_SIZE, SUBCHANNEL_SIZE};
use discus_core::testing::*;
use discus_core::{
    Capabilities, Confidence, Form, Gap, Index, Lba, Plan, Probe, SectorSource, Subchannel,
    TrackMode, WriteOptions,
};
use discus_img::ccd::FORMAT;

fn open(path: &Path) -> Box<dyn SectorSource> {
    (FORMAT.open)(path).unwrap_or_else(|e| panic!("{e}"))
}

fn open_err(path: &Path) -> String {
    match (FORMAT.open)(path) {
        Ok(_) => panic!("{} opened", path.display()),
        Err(e) => e.to_string(),
    }
}

fn probe(path: &Path, siblings: &[PathBuf]) -> Confidence {
    let data = std::fs::read(path).unwrap();
    let head = &data[..data.len().min(Probe::HEAD)];
    (FORMAT.probe)(&Probe {
        path,
        head,
        tail: &[],
        len: data.len() as u64,
        siblings,
    })
}

fn iso_like(sectors: u32) -> Synthetic {
    Synthetic {
        disc: disc(vec![vec![track(1, TrackMode::Mode1, 0, sectors)]]),
        forms: vec![Form::Cooked],
        fail_on: None,
    }
}

/// The mixed two-session disc with the metadata CloneCD holds.
fn rich() -> Synthetic {
    let mut disc = mixed_multisession();
    disc.catalog = Some("0123456789012".to_string());
    disc.cd_text_packs = Some((0..36u8).collect());
    let t3 = &mut disc.sessions[0].tracks[2];
    t3.indexes.push(Index {
        number: 2,
        lba: Lba(t3.start.0 + 30),
    });
    t3.isrc = Some("USABC1234567".to_string());
    Synthetic {
        forms: vec![Form::Raw; disc.track_count()],
        disc,
        fail_on: None,
    }
}

#[test]
fn iso_like_track_round_trips_with_a_generated_subchannel() {
    let dir = tempfile::tempdir().unwrap();
    let ccd = dir.path().join("disc.ccd");
    let mut source = iso_like(40);
    let plan = convert(&mut source, &FORMAT, &ccd, &WriteOptions::default()).unwrap();
    assert_eq!(plan.disc.subchannel, Some(Subchannel::Generated));
    let img = std::fs::read(dir.path().join("disc.img")).unwrap();
    let sub = std::fs::read(dir.path().join("disc.sub")).unwrap();
    assert_eq!(img.len(), 40 * RAW_SIZE);
    assert_eq!(sub.len(), 40 * SUBCHANNEL_SIZE);
    // The .sub is packed: P (12 bytes) then Q (12 bytes) of the generated subchannel.
    let track = source.disc.sessions[0].tracks[0].clone();
    let mut interleaved = [0u8; 96];
    Generator::new(&track).write(Lba(7), &mut interleaved);
    let mut packed = [0u8; 96];
    deinterleave(&interleaved, &mut packed);
    assert_eq!(&sub[7 * 96..8 * 96], &packed[..]);
    assert_eq!(
        &sub[7 * 96 + 12..7 * 96 + 24],
        &Generator::new(&track).q(Lba(7))[..]
    );

    let mut back = open(&ccd);
    let mut expected = source.disc.clone();
    expected.subchannel = Some(Subchannel::Generated);
    assert_eq!(back.disc(), &expected);
    assert!(
        back.details().iter().any(|(_, v)| v.contains("generated")),
        "{:?}",
        back.details()
    );
    assert_eq!(
        all_sectors(&mut *back, Form::Cooked),
        all_sectors(&mut source, Form::Cooked)
    );
    // A generated subchannel is no loss when a target drops it (CCD → ISO needs no --allow-lossy).
    let iso = Plan::first_data_track(
        &*back,
        Capabilities::default(),
        Form::Cooked,
        Path::new("x"),
    )
    .unwrap();
    assert!(iso.losses.is_empty(), "{:?}", iso.losses);

    assert_eq!(probe(&ccd, &[]), Confidence::Magic);
    let img_path = dir.path().join("disc.img");
    assert_eq!(
        probe(&img_path, std::slice::from_ref(&ccd)),
        Confidence::Structure
    );
    assert_eq!((FORMAT.open)(&img_path).unwrap().disc(), &expected);
}

#[test]
fn mixed_mode_two_sessions_gaps_and_metadata_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let ccd = dir.path().join("mixed.ccd");
    let mut source = rich();
    let plan = convert(&mut source, &FORMAT, &ccd, &WriteOptions::default()).unwrap();
    assert!(plan.losses.is_empty(), "{:?}", plan.losses);
    // Every sector is in the .img, generated gaps included: 300 + 350 + 205 + 100.
    let img_len = std::fs::metadata(dir.path().join("mixed.img"))
        .unwrap()
        .len();
    assert_eq!(img_len, (300 + 350 + 205 + 100) * RAW_SIZE as u64);
    let mut back = open(&ccd);
    let mut expected = source.disc.clone();
    expected.subchannel = Some(Subchannel::Generated);
    assert_eq!(back.disc(), &expected);
    let tracks: Vec<_> = back.disc().tracks().cloned().collect();
    assert_eq!(tracks[1].pregap, Gap::stored(150));
    assert_eq!(tracks[2].pregap, Gap::generated(75));
    assert_eq!(tracks[2].postgap, Gap::generated(10));
    assert_eq!(tracks[3].mode, TrackMode::Mode2Xa);
    assert_eq!(
        all_sectors(&mut *back, Form::Raw),
        all_sectors(&mut source, Form::Raw)
    );
    // Writing what was read gives the same three files.
    let again = dir.path().join("again.ccd");
    convert(&mut *back, &FORMAT, &again, &WriteOptions::default()).unwrap();
    for ext in ["ccd", "img", "sub"] {
        assert_eq!(
            std::fs::read(again.with_extension(ext)).unwrap(),
            std::fs::read(ccd.with_extension(ext)).unwrap(),
            ".{ext} differs"
        );
    }
}

#[test]
fn stored_subchannel_goes_to_the_sub_packed_and_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let ccd = dir.path().join("sub.ccd");
    let (disc, forms) = with_subchannel(mixed_multisession());
    let mut source = Synthetic {
        disc,
        forms,
        fail_on: None,
    };
    convert(&mut source, &FORMAT, &ccd, &WriteOptions::default()).unwrap();
    let text = std::fs::read_to_string(&ccd).unwrap();
    assert!(!text.contains("DiscusSubchannel"), "{text}");
    let sub = std::fs::read(dir.path().join("sub.sub")).unwrap();
    // Sector 9 of track 1 is sector 9 of the files.
    let mut packed = [0u8; 96];
    deinterleave(&discus_core::testing::sub(0, Lba(9)), &mut packed);
    assert_eq!(&sub[9 * 96..10 * 96], &packed[..]);
    let mut back = open(&ccd);
    assert_eq!(back.disc().subchannel, Some(Subchannel::Stored));
    assert_eq!(
        all_sectors(&mut *back, Form::RawSub),
        all_sectors(&mut source, Form::RawSub)
    );
}

#[test]
fn sectors_are_trusted_over_a_wrong_mode() {
    let dir = tempfile::tempdir().unwrap();
    let ccd = dir.path().join("m.ccd");
    let mut source = rich();
    convert(&mut source, &FORMAT, &ccd, &WriteOptions::default()).unwrap();
    let text = std::fs::read_to_string(&ccd).unwrap();
    let wrong = text.replacen("[TRACK 1]\r\nMODE=1", "[TRACK 1]\r\nMODE=0", 1);
    let wrong = wrong.replacen("[TRACK 2]\r\nMODE=0", "[TRACK 2]\r\nMODE=1", 1);
    assert_ne!(wrong, text);
    std::fs::write(&ccd, wrong).unwrap();
    let back = open(&ccd);
    let modes: Vec<_> = back.disc().tracks().map(|t| t.mode).collect();
    assert_eq!(
        modes,
        [
            TrackMode::Mode1,
            TrackMode::Audio,
            TrackMode::Audio,
            TrackMode::Mode2Xa
        ]
    );
    let warnings = back.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("MODE=0") && w.contains("m.ccd: line")),
        "{warnings:?}"
    );
}

#[test]
fn hand_written_descriptor_in_any_case_with_lf() {
    let dir = tempfile::tempdir().unwrap();
    let ccd = dir.path().join("hand.ccd");
    // Three sectors of Mode 1 at LBA 0, written by hand: lower case, spaces, LF, no [TRACK].
    let text = "[clonecd]\nversion = 2\n[disc]\ntocentries = 2\nsessions=1\n\
        [entry 0]\nsession = 1\npoint = 0xA2\nadr=0x01\ncontrol = 0x04\npmin=0\npsec=2\npframe=3\n\
        [Entry 1]\nSession=1\nPoint=0x01\nControl=0x04\nPLBA=0\n";
    std::fs::write(&ccd, text).unwrap();
    let mut img = Vec::new();
    for lba in 0..3 {
        img.extend(raw(TrackMode::Mode1, 0, Lba(lba)));
    }
    std::fs::write(dir.path().join("hand.img"), &img).unwrap();
    let mut back = open(&ccd);
    assert_eq!(back.disc().track_count(), 1);
    let track = back.disc().tracks().next().unwrap().clone();
    assert_eq!(
        (track.mode, track.start, track.length),
        (TrackMode::Mode1, Lba(0), 3)
    );
    assert_eq!(back.disc().subchannel, None);
    assert_eq!(back.stored_form(0), Form::Raw);
    let mut buf = vec![0u8; 3 * RAW_SIZE];
    back.read(0, Lba(0), &mut buf).unwrap();
    assert_eq!(buf, img);
}

#[test]
fn a_stored_track_one_pregap_goes_before_lba_zero() {
    let dir = tempfile::tempdir().unwrap();
    let ccd = dir.path().join("htoa.ccd");
    let mut t1 = track(1, TrackMode::Audio, 0, 50);
    t1.pregap = Gap::stored(75);
    let mut t2 = track(2, TrackMode::Audio, 80, 40);
    t2.pregap = Gap::stored(30);
    let mut source = Synthetic {
        disc: disc(vec![vec![t1, t2]]),
        forms: vec![Form::Raw; 2],
        fail_on: None,
    };
    convert(&mut source, &FORMAT, &ccd, &WriteOptions::default()).unwrap();
    let text = std::fs::read_to_string(&ccd).unwrap();
    assert!(
        text.contains("[TRACK 1]\r\nMODE=0\r\nINDEX 0=-75\r\nINDEX 1=0\r\n"),
        "{text}"
    );
    let mut back = open(&ccd);
    let mut expected = source.disc.clone();
    expected.subchannel = Some(Subchannel::Generated);
    assert_eq!(back.disc(), &expected);
    assert_eq!(
        all_sectors(&mut *back, Form::Raw),
        all_sectors(&mut source, Form::Raw)
    );
}

/// A good image to break in the tests below.
fn good(dir: &Path) -> (PathBuf, String) {
    let ccd = dir.join("good.ccd");
    let mut source = rich();
    convert(&mut source, &FORMAT, &ccd, &WriteOptions::default()).unwrap();
    let text = std::fs::read_to_string(&ccd).unwrap();
    (ccd, text)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.split("\r\n").position(|l| l == needle).unwrap() + 1
}

#[test]
fn missing_keys_and_entries_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let (ccd, text) = good(dir.path());
    // [Entry 3] (track 1) without its Point.
    let section = line_of(&text, "[Entry 3]");
    let broken = text.replacen(
        "[Entry 3]\r\nSession=1\r\nPoint=0x01\r\n",
        "[Entry 3]\r\nSession=1\r\n",
        1,
    );
    std::fs::write(&ccd, &broken).unwrap();
    let err = open_err(&ccd);
    assert!(
        err.contains(&format!("good.ccd: line {section}, column 1")),
        "{err}"
    );
    assert!(err.contains("no point key"), "{err}");

    // Session 2 without its lead-out entry.
    let broken = text.replace("Point=0xa2\r\n", "Point=0xa3\r\n");
    std::fs::write(&ccd, &broken).unwrap();
    let err = open_err(&ccd);
    assert!(
        err.contains("good.ccd: line") && err.contains("lead-out"),
        "{err}"
    );

    // A number that is not one.
    let broken = text.replacen("PLBA=0\r\n", "PLBA=zero\r\n", 1);
    std::fs::write(&ccd, &broken).unwrap();
    let err = open_err(&ccd);
    assert!(
        err.contains("column 6") && err.contains("not a number"),
        "{err}"
    );

    // Not a CloneCD descriptor at all.
    std::fs::write(&ccd, "[Disc]\r\nSessions=1\r\n").unwrap();
    let err = open_err(&ccd);
    assert!(err.contains("line 1") && err.contains("[CloneCD]"), "{err}");
}

#[test]
fn short_img_and_sub_are_refused_with_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (ccd, _) = good(dir.path());
    let sub = dir.path().join("good.sub");
    let data = std::fs::read(&sub).unwrap();
    std::fs::write(&sub, &data[..data.len() - 96]).unwrap();
    let err = open_err(&ccd);
    assert!(
        err.contains("good.sub") && err.contains(&format!("byte offset {}", data.len() - 96)),
        "{err}"
    );
    std::fs::write(&sub, &data).unwrap();
    let img = dir.path().join("good.img");
    let data = std::fs::read(&img).unwrap();
    std::fs::write(&img, &data[..data.len() - 1]).unwrap();
    let err = open_err(&ccd);
    assert!(
        err.contains("good.img") && err.contains("byte offset"),
        "{err}"
    );
    std::fs::remove_file(&img).unwrap();
    let err = open_err(&ccd);
    assert!(err.contains("good.img"), "{err}");
}

#[test]
fn failed_conversion_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut source = rich();
    source.fail_on = Some(3);
    let err = convert(
        &mut source,
        &FORMAT,
        &dir.path().join("x.ccd"),
        &WriteOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("synthetic"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn random_corruption_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let (ccd, text) = good(dir.path());
    let bytes = text.into_bytes();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..300 {
        let mut broken = bytes.clone();
        for _ in 0..3 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let at = (x % broken.len() as u64) as usize;
            broken[at] = b"0123456789-x=[]\n "[(x >> 40) as usize % 17];
        }
        std::fs::write(&ccd, &broken).unwrap();
        if let Ok(mut source) = (FORMAT.open)(&ccd) {
            let tracks: Vec<_> = source.disc().tracks().cloned().collect();
            for (index, track) in tracks.iter().enumerate() {
                let form = source.stored_form(index);
                let mut buf = vec![0u8; form.size()];
                let _ = source.read(index, track.start, &mut buf);
            }
        }
    }
}
