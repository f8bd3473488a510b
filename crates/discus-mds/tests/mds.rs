//! MDS/MDF round trips on synthetic discs (single data track, mixed mode, two sessions, every
//! kind of gap, with and without subchannel), the lone MDF, and bad descriptors.

// Helpers of a test crate unwrap like its tests do: a failure is the test failing.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use discus_core::sector::{RAW_SIZE, RAW_SUB_SIZE, USER_SIZE};
use discus_core::testing::*;
use discus_core::{Confidence, Form, Gap, Lba, Probe, Subchannel, TrackMode, WriteOptions};
use discus_mds::FORMAT;

fn open(path: &Path) -> Box<dyn discus_core::SectorSource> {
    (FORMAT.open)(path).unwrap_or_else(|e| panic!("{e}"))
}

fn probe(path: &Path, siblings: &[std::path::PathBuf]) -> Confidence {
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

#[test]
fn iso_like_track_goes_raw_and_comes_back_identical() {
    let dir = tempfile::tempdir().unwrap();
    let mds = dir.path().join("disc.mds");
    let mut source = iso_like(40);
    convert(&mut source, &FORMAT, &mds, &WriteOptions::default()).unwrap();
    let mdf = dir.path().join("disc.mdf");
    assert_eq!(std::fs::metadata(&mdf).unwrap().len(), 40 * RAW_SIZE as u64);
    let mut back = open(&mds);
    assert_eq!(back.disc(), &source.disc);
    assert_eq!(back.stored_form(0), Form::Raw);
    assert_eq!(
        all_sectors(&mut *back, Form::Cooked),
        all_sectors(&mut source, Form::Cooked)
    );
    // The data file is what mdf2iso-style tools expect: raw Mode 1 from LBA 0.
    let data = std::fs::read(&mdf).unwrap();
    assert_eq!(&data[12..16], &[0x00, 0x02, 0x00, 0x01]);
    assert_eq!(&data[16..16 + USER_SIZE], &user(0, Lba(0))[..]);

    // 2048-byte sectors on request.
    let cooked = dir.path().join("cooked.mds");
    let options = WriteOptions {
        sector_size: Some(2048),
        ..WriteOptions::default()
    };
    convert(&mut source, &FORMAT, &cooked, &options).unwrap();
    let mut back = open(&cooked);
    assert_eq!(back.stored_form(0), Form::Cooked);
    assert_eq!(
        all_sectors(&mut *back, Form::Cooked),
        all_sectors(&mut source, Form::Cooked)
    );
    assert_eq!(
        probe(&cooked, &[]),
        Confidence::Magic,
        "a descriptor's signature is magic"
    );
    let mdf = dir.path().join("cooked.mdf");
    assert_eq!(
        probe(&mdf, std::slice::from_ref(&cooked)),
        Confidence::Structure
    );
    // The .mdf opens through its descriptor.
    assert_eq!((FORMAT.open)(&mdf).unwrap().disc(), &source.disc);
}

#[test]
fn mixed_mode_two_sessions_and_gaps_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mds = dir.path().join("mixed.mds");
    let disc = mixed_multisession();
    let mut source = Synthetic {
        forms: vec![Form::Raw; disc.track_count()],
        disc,
        fail_on: None,
    };
    let plan = convert(&mut source, &FORMAT, &mds, &WriteOptions::default()).unwrap();
    assert!(plan.losses.is_empty(), "{:?}", plan.losses);
    let mut back = open(&mds);
    assert_eq!(back.disc(), &source.disc);
    let tracks: Vec<_> = back.disc().tracks().cloned().collect();
    assert_eq!(tracks[1].pregap, Gap::stored(150));
    assert_eq!(tracks[2].pregap, Gap::generated(75));
    assert_eq!(tracks[2].postgap, Gap::generated(10));
    assert_eq!(back.disc().sessions.len(), 2);
    assert_eq!(back.disc().subchannel, None);
    // Only stored sectors are in the MDF: 300 + (150 + 200) + 120 + 100.
    let mdf_len = std::fs::metadata(dir.path().join("mixed.mdf"))
        .unwrap()
        .len();
    assert_eq!(mdf_len, (300 + 350 + 120 + 100) * RAW_SIZE as u64);
    assert_eq!(
        all_sectors(&mut *back, Form::Raw),
        all_sectors(&mut source, Form::Raw)
    );
    // Writing what was read gives the same files.
    let again = dir.path().join("again.mds");
    convert(&mut *back, &FORMAT, &again, &WriteOptions::default()).unwrap();
    assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(&mds).unwrap());
    assert_eq!(
        std::fs::read(dir.path().join("again.mdf")).unwrap(),
        std::fs::read(dir.path().join("mixed.mdf")).unwrap()
    );
}

#[test]
fn stored_subchannel_is_kept_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let mds = dir.path().join("sub.mds");
    let (disc, forms) = with_subchannel(mixed_multisession());
    let mut source = Synthetic {
        disc,
        forms,
        fail_on: None,
    };
    convert(&mut source, &FORMAT, &mds, &WriteOptions::default()).unwrap();
    let mut back = open(&mds);
    assert_eq!(back.disc().subchannel, Some(Subchannel::Stored));
    assert_eq!(back.stored_form(0), Form::RawSub);
    assert_eq!(
        all_sectors(&mut *back, Form::RawSub),
        all_sectors(&mut source, Form::RawSub)
    );
    // Sector 5 of track 1: main channel then the model's interleaved subchannel, as is.
    let mdf = std::fs::read(dir.path().join("sub.mdf")).unwrap();
    let at = 5 * RAW_SUB_SIZE;
    assert_eq!(&mdf[at + RAW_SIZE..at + RAW_SUB_SIZE], &sub(0, Lba(5))[..]);
    // The descriptor says subchannel mode 0x08 and 2448-byte sectors for track 1.
    let descriptor = std::fs::read(&mds).unwrap();
    let session_blocks = 0x60;
    let first_track_block = session_blocks + 2 * 24 + 3 * 80;
    assert_eq!(descriptor[first_track_block + 1], 0x08);
    assert_eq!(
        u16::from_le_bytes([
            descriptor[first_track_block + 0x10],
            descriptor[first_track_block + 0x11]
        ]),
        2448
    );
}

#[test]
fn subchannel_on_request_is_generated_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let mds = dir.path().join("gen.mds");
    let mut source = iso_like(20);
    let options = WriteOptions {
        sector_size: Some(2448),
        ..WriteOptions::default()
    };
    let plan = convert(&mut source, &FORMAT, &mds, &options).unwrap();
    assert_eq!(plan.disc.subchannel, Some(Subchannel::Generated));
    let mut back = open(&mds);
    assert_eq!(back.stored_form(0), Form::RawSub);
    let mut expected = vec![0u8; 96];
    discus_core::sector::subchannel::Generator::new(&source.disc.sessions[0].tracks[0])
        .write(Lba(3), &mut expected);
    let sectors = all_sectors(&mut *back, Form::RawSub);
    assert_eq!(
        &sectors[0][3 * RAW_SUB_SIZE + RAW_SIZE..4 * RAW_SUB_SIZE],
        &expected[..]
    );
}

#[test]
fn a_stored_track_one_pregap_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mds = dir.path().join("htoa.mds");
    let mut t1 = track(1, TrackMode::Audio, 0, 50);
    t1.pregap = Gap::stored(75);
    let mut t2 = track(2, TrackMode::Audio, 80, 40);
    t2.pregap = Gap::stored(30);
    let mut source = Synthetic {
        disc: disc(vec![vec![t1, t2]]),
        forms: vec![Form::Raw; 2],
        fail_on: None,
    };
    convert(&mut source, &FORMAT, &mds, &WriteOptions::default()).unwrap();
    let mut back = open(&mds);
    assert_eq!(back.disc(), &source.disc);
    assert_eq!(
        all_sectors(&mut *back, Form::Raw),
        all_sectors(&mut source, Form::Raw)
    );
}

#[test]
fn lone_mdf_is_read_as_a_raw_image_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mds = dir.path().join("lone.mds");
    let mut source = iso_like(30);
    convert(&mut source, &FORMAT, &mds, &WriteOptions::default()).unwrap();
    std::fs::remove_file(&mds).unwrap();
    let mdf = dir.path().join("lone.mdf");
    assert_eq!(probe(&mdf, &[]), Confidence::Magic);
    let mut back = open(&mdf);
    assert_eq!(back.disc(), &source.disc);
    assert!(
        back.warnings().iter().any(|w| w.contains("no .mds")),
        "{:?}",
        back.warnings()
    );
    assert_eq!(
        all_sectors(&mut *back, Form::Cooked),
        all_sectors(&mut source, Form::Cooked)
    );
}

#[test]
fn an_mdf_split_into_named_parts_reads_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let mds = dir.path().join("split.mds");
    let mut source = iso_like(30);
    convert(&mut source, &FORMAT, &mds, &WriteOptions::default()).unwrap();
    // One session, blocks A0 A1 A2 and track 1: track 1's block is the fourth after the session.
    let mut bytes = std::fs::read(&mds).unwrap();
    let track_block = 0x60 + 24 + 3 * 80;
    let footers = bytes.len();
    let names = footers + 32;
    bytes[track_block + 0x30..track_block + 0x34].copy_from_slice(&2u32.to_le_bytes());
    bytes[track_block + 0x34..track_block + 0x38].copy_from_slice(&(footers as u32).to_le_bytes());
    let mut tail = Vec::new();
    tail.extend((names as u32).to_le_bytes());
    tail.extend(0u32.to_le_bytes());
    tail.extend([0u8; 8]);
    tail.extend((names as u32 + 10).to_le_bytes());
    tail.extend(1u32.to_le_bytes());
    tail.extend([0u8; 8]);
    tail.extend(b"part1.mdf\0");
    tail.extend("PART2.MDF".encode_utf16().flat_map(u16::to_le_bytes));
    tail.extend([0, 0]);
    bytes.extend(tail);
    std::fs::write(&mds, &bytes).unwrap();
    let data = std::fs::read(dir.path().join("split.mdf")).unwrap();
    std::fs::remove_file(dir.path().join("split.mdf")).unwrap();
    let cut = 10 * RAW_SIZE + 100;
    std::fs::write(dir.path().join("part1.mdf"), &data[..cut]).unwrap();
    std::fs::write(dir.path().join("part2.mdf"), &data[cut..]).unwrap();
    let mut back = open(&mds);
    assert_eq!(back.files().len(), 3);
    assert!(
        back.warnings().iter().any(|w| w.contains("letter case")),
        "{:?}",
        back.warnings()
    );
    assert_eq!(
        all_sectors(&mut *back, Form::Cooked),
        all_sectors(&mut source, Form::Cooked)
    );
}

#[test]
fn failed_conversion_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let disc = mixed_multisession();
    let mut source = Synthetic {
        forms: vec![Form::Raw; disc.track_count()],
        disc,
        fail_on: Some(2),
    };
    let err = convert(
        &mut source,
        &FORMAT,
        &dir.path().join("x.mds"),
        &WriteOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("synthetic"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// A good two-session image to break in the tests below.
fn good(dir: &Path) -> (std::path::PathBuf, Vec<u8>) {
    let mds = dir.join("good.mds");
    let disc = mixed_multisession();
    let mut source = Synthetic {
        forms: vec![Form::Raw; disc.track_count()],
        disc,
        fail_on: None,
    };
    convert(&mut source, &FORMAT, &mds, &WriteOptions::default()).unwrap();
    let bytes = std::fs::read(&mds).unwrap();
    (mds, bytes)
}

#[test]
fn truncated_descriptors_are_refused_with_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (mds, bytes) = good(dir.path());
    for cut in [
        0,
        10,
        16,
        60,
        88,
        0x60,
        0x60 + 30,
        0x60 + 48 + 100,
        bytes.len() - 40,
        bytes.len() - 4,
    ] {
        std::fs::write(&mds, &bytes[..cut]).unwrap();
        let err = match (FORMAT.open)(&mds) {
            Ok(_) => panic!("a descriptor cut at {cut} opened"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("good.mds"), "cut {cut}: {err}");
        assert!(
            err.contains("byte offset") || err.contains("the data file"),
            "cut {cut}: {err}"
        );
    }
}

#[test]
fn offsets_past_the_end_of_the_mdf_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mds, _) = good(dir.path());
    let mdf = dir.path().join("good.mdf");
    let data = std::fs::read(&mdf).unwrap();
    std::fs::write(&mdf, &data[..data.len() - 1000]).unwrap();
    let err = (FORMAT.open)(&mds)
        .err()
        .expect("a short MDF must not open")
        .to_string();
    assert!(
        err.contains("good.mds") && err.contains("byte offset"),
        "{err}"
    );
    assert!(err.contains("track 4") && err.contains("good.mdf"), "{err}");

    // A start offset far past the end.
    std::fs::write(&mdf, &data).unwrap();
    let mut bytes = std::fs::read(&mds).unwrap();
    let first_track_block = 0x60 + 2 * 24 + 3 * 80;
    bytes[first_track_block + 0x28..first_track_block + 0x30]
        .copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(&mds, &bytes).unwrap();
    let err = (FORMAT.open)(&mds)
        .err()
        .expect("must not open")
        .to_string();
    assert!(
        err.contains(&format!("byte offset {}", first_track_block + 0x28)),
        "{err}"
    );

    // Counts that point outside the descriptor.
    let other = tempfile::tempdir().unwrap();
    let (mds, mut bytes) = good(other.path());
    bytes[0x60 + 0x0A] = 250;
    std::fs::write(&mds, &bytes).unwrap();
    let err = (FORMAT.open)(&mds)
        .err()
        .expect("must not open")
        .to_string();
    assert!(err.contains("track block"), "{err}");
}

#[test]
fn other_versions_are_unsupported_and_a_dvd_of_raw_sectors_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mds, bytes) = good(dir.path());
    let mut v2 = bytes.clone();
    v2[0x10] = 2;
    v2[0x11] = 0;
    std::fs::write(&mds, &v2).unwrap();
    let err = (FORMAT.open)(&mds).err().unwrap().to_string();
    assert!(
        err.contains("unsupported") && err.contains("version 2.0"),
        "{err}"
    );
    let mut dvd = bytes.clone();
    dvd[0x12] = 0x10;
    std::fs::write(&mds, &dvd).unwrap();
    // A DVD descriptor is read now (issue 12), but a DVD track of 2352-byte sectors is no DVD.
    let err = (FORMAT.open)(&mds).err().unwrap().to_string();
    assert!(err.contains("2048-byte sectors only"), "{err}");
}

#[test]
fn a_missing_mdf_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (mds, _) = good(dir.path());
    std::fs::remove_file(dir.path().join("good.mdf")).unwrap();
    let err = (FORMAT.open)(&mds).err().unwrap().to_string();
    assert!(err.contains("good.mdf"), "{err}");
}

#[test]
fn random_corruption_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let (mds, bytes) = good(dir.path());
    let mut x = 0x1234_5678_9abc_def0u64;
    for _ in 0..400 {
        let mut broken = bytes.clone();
        for _ in 0..4 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let at = (x % broken.len() as u64) as usize;
            broken[at] = (x >> 40) as u8;
        }
        std::fs::write(&mds, &broken).unwrap();
        if let Ok(mut source) = (FORMAT.open)(&mds) {
            // Whatever opened must read within its files.
            let tracks: Vec<_> = source.disc().tracks().cloned().collect();
            for (index, track) in tracks.iter().enumerate() {
                let form = source.stored_form(index);
                let mut buf = vec![0u8; form.size()];
                let _ = source.read(index, track.start, &mut buf);
            }
        }
    }
}
