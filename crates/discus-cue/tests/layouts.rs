//! Whole-file tests on sheets written here: every layout and file type, the tolerances (each with
//! its warning), the refusals, and conversions through the writer.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{
    audio_sectors, convert, convert_source, folder, mode1_sectors, open, plan, stored_sectors,
    wave_header, write_sheet,
};
use discus_core::sector::{RAW_SIZE, USER_SIZE, edc, encode_mode1, encode_mode2};
use discus_core::{
    Disc, Error, Form, Gap, Index, Lba, Result, SectorSource, Subchannel, Track, TrackMode,
    WriteOptions,
};
use discus_cue::FORMAT;

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn multi() -> WriteOptions {
    WriteOptions::default()
}

fn single() -> WriteOptions {
    WriteOptions {
        single_file: true,
        ..WriteOptions::default()
    }
}

/// A mixed-mode disc as one BIN per track: data, audio with INDEX 00, audio with PREGAP and INDEX 02.
fn mixed(dir: &Path) -> PathBuf {
    std::fs::write(dir.join("m (Track 1).bin"), mode1_sectors(0, 40, 1)).unwrap();
    std::fs::write(dir.join("m (Track 2).bin"), audio_sectors(150 + 30, 2)).unwrap();
    std::fs::write(dir.join("m (Track 3).bin"), audio_sectors(35, 3)).unwrap();
    let cue = dir.join("m.cue");
    write_sheet(
        &cue,
        "FILE \"m (Track 1).bin\" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n\
         FILE \"m (Track 2).bin\" BINARY\n  TRACK 02 AUDIO\n    INDEX 00 00:00:00\n    INDEX 01 00:02:00\n\
         FILE \"m (Track 3).bin\" BINARY\n  TRACK 03 AUDIO\n    PREGAP 00:01:00\n    INDEX 01 00:00:00\n    INDEX 02 00:00:20\n",
    );
    cue
}

#[test]
fn mixed_disc_layout() {
    let work = dir();
    let source = open(&mixed(work.path()));
    let t: Vec<Track> = source.disc().tracks().cloned().collect();
    assert_eq!(
        (t[0].mode, t[0].start, t[0].length),
        (TrackMode::Mode1, Lba(0), 40)
    );
    assert_eq!(
        (t[1].pregap, t[1].start, t[1].length),
        (Gap::stored(150), Lba(190), 30)
    );
    assert_eq!(
        (t[2].pregap, t[2].start, t[2].length),
        (Gap::generated(75), Lba(295), 35)
    );
    assert_eq!(
        t[2].indexes,
        vec![Index {
            number: 2,
            lba: Lba(315)
        }]
    );
    assert!(source.warnings().is_empty(), "{:?}", source.warnings());
}

#[test]
fn mixed_disc_merges_and_splits_back_exactly() {
    let work = dir();
    let cue = mixed(work.path());
    let [a, b, c] = ["a", "b", "c"].map(|d| {
        let path = work.path().join(d);
        std::fs::create_dir(&path).unwrap();
        path
    });
    convert(&cue, &a.join("m.cue"), &single()).unwrap();
    convert(&a.join("m.cue"), &b.join("m.cue"), &multi()).unwrap();
    convert(&b.join("m.cue"), &c.join("m.cue"), &single()).unwrap();
    // The split BINs and the sheet are the ones written by hand (sheet up to the same text).
    for name in ["m (Track 1).bin", "m (Track 2).bin", "m (Track 3).bin"] {
        assert_eq!(
            std::fs::read(b.join(name)).unwrap(),
            std::fs::read(work.path().join(name)).unwrap(),
            "{name}"
        );
    }
    assert_eq!(
        std::fs::read(b.join("m.cue")).unwrap(),
        std::fs::read(&cue).unwrap()
    );
    assert_eq!(folder(&a), folder(&c));
    let merged = std::fs::read_to_string(a.join("m.cue")).unwrap();
    let expected = [
        "FILE \"m.bin\" BINARY",
        "  TRACK 01 MODE1/2352",
        "    INDEX 01 00:00:00",
        "  TRACK 02 AUDIO",
        "    INDEX 00 00:00:40",
        "    INDEX 01 00:02:40",
        "  TRACK 03 AUDIO",
        "    PREGAP 00:01:00",
        "    INDEX 01 00:02:70",
        "    INDEX 02 00:03:15",
        "",
    ]
    .join("\r\n");
    assert_eq!(merged, expected);
    // The generated pregap is not in the file: 40 + 180 + 35 sectors.
    assert_eq!(
        std::fs::metadata(a.join("m.bin")).unwrap().len(),
        255 * RAW_SIZE as u64
    );
    assert_eq!(open(&cue).disc(), open(&a.join("m.cue")).disc());
}

#[test]
fn multi_session_in_one_file() {
    let work = dir();
    let mut bin = audio_sectors(20, 1);
    bin.extend(mode1_sectors(20 + 11_400, 10, 2));
    std::fs::write(work.path().join("ms.bin"), &bin).unwrap();
    let cue = work.path().join("ms.cue");
    write_sheet(
        &cue,
        "REM SESSION 01\nFILE \"ms.bin\" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n\
         REM SESSION 02\n  TRACK 02 MODE1/2352\n    INDEX 01 00:00:20\n",
    );
    let mut source = open(&cue);
    let disc = source.disc().clone();
    assert_eq!(disc.sessions.len(), 2);
    assert_eq!(disc.sessions[1].number, 2);
    let second = &disc.sessions[1].tracks[0];
    assert_eq!((second.start, second.length), (Lba(20 + 11_400), 10));
    // File positions and disc addresses differ: the data sits right after track 1 in the file.
    assert_eq!(stored_sectors(&mut *source, 1), bin[20 * RAW_SIZE..]);
    // Split per track with REM SESSION, then back to one file: same disc, same bytes.
    let split = work.path().join("split");
    std::fs::create_dir(&split).unwrap();
    convert(&cue, &split.join("ms.cue"), &multi()).unwrap();
    let text = std::fs::read_to_string(split.join("ms.cue")).unwrap();
    assert!(
        text.starts_with("REM SESSION 01\r\nFILE \"ms (Track 1).bin\""),
        "{text}"
    );
    assert!(text.contains("REM SESSION 02\r\nFILE \"ms (Track 2).bin\" BINARY\r\n  TRACK 02 MODE1/2352\r\n    INDEX 01 00:00:00\r\n"), "{text}");
    assert_eq!(open(&split.join("ms.cue")).disc(), &disc);
    let merged = work.path().join("merged");
    std::fs::create_dir(&merged).unwrap();
    convert(&split.join("ms.cue"), &merged.join("ms.cue"), &single()).unwrap();
    assert_eq!(std::fs::read(merged.join("ms.bin")).unwrap(), bin);
    assert_eq!(
        std::fs::read(merged.join("ms.cue")).unwrap(),
        std::fs::read(&cue).unwrap()
    );
    // A raw → cooked conversion checks the session-2 headers against their disc addresses.
    let cooked = work.path().join("cooked");
    std::fs::create_dir(&cooked).unwrap();
    let options = WriteOptions {
        sector_size: Some(2048),
        ..WriteOptions::default()
    };
    convert(&cue, &cooked.join("ms.cue"), &options).unwrap();
}

#[test]
fn wave_tracks_read_their_data_chunk() {
    let work = dir();
    let pcm = audio_sectors(12, 9);
    let mut wav = wave_header(pcm.len() as u32);
    wav.extend_from_slice(&pcm);
    std::fs::write(work.path().join("song.wav"), &wav).unwrap();
    std::fs::write(work.path().join("data.bin"), mode1_sectors(0, 5, 4)).unwrap();
    let cue = work.path().join("w.cue");
    write_sheet(
        &cue,
        "FILE \"data.bin\" BINARY\nTRACK 01 MODE1/2352\nINDEX 01 00:00:00\n\
         FILE \"song.wav\" WAVE\nTRACK 02 AUDIO\nPREGAP 00:02:00\nINDEX 01 00:00:00\n",
    );
    let mut source = open(&cue);
    let track = source.disc().track(1).unwrap().clone();
    assert_eq!((track.start, track.length), (Lba(155), 12));
    assert_eq!(stored_sectors(&mut *source, 1), pcm);
    assert_eq!(source.files().len(), 3);
    let out = work.path().join("out");
    std::fs::create_dir(&out).unwrap();
    convert(&cue, &out.join("w.cue"), &multi()).unwrap();
    assert_eq!(std::fs::read(out.join("w (Track 2).bin")).unwrap(), pcm);
    // A data track cannot live in a WAVE file.
    write_sheet(
        &cue,
        "FILE \"song.wav\" WAVE\nTRACK 01 MODE1/2352\nINDEX 01 00:00:00\n",
    );
    let err = (FORMAT.open)(&cue).err().unwrap().to_string();
    assert!(err.contains("line 2") && err.contains("WAVE"), "{err}");
}

#[test]
fn motorola_audio_is_swapped_to_little_endian() {
    let work = dir();
    let pcm = audio_sectors(6, 5);
    let swapped: Vec<u8> = pcm.chunks(2).flat_map(|s| [s[1], s[0]]).collect();
    std::fs::write(work.path().join("be.bin"), &swapped).unwrap();
    let cue = work.path().join("be.cue");
    write_sheet(
        &cue,
        "FILE \"be.bin\" MOTOROLA\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n",
    );
    let mut source = open(&cue);
    assert_eq!(stored_sectors(&mut *source, 0), pcm);
    let out = work.path().join("out");
    std::fs::create_dir(&out).unwrap();
    convert(&cue, &out.join("le.cue"), &single()).unwrap();
    assert_eq!(std::fs::read(out.join("le.bin")).unwrap(), pcm);
    assert!(
        std::fs::read_to_string(out.join("le.cue"))
            .unwrap()
            .contains("FILE \"le.bin\" BINARY")
    );
}

#[test]
fn cdg_keeps_its_subchannel() {
    let work = dir();
    let sectors: Vec<u8> = (0..4 * 2448).map(|i| (i % 251) as u8).collect();
    std::fs::write(work.path().join("k.bin"), &sectors).unwrap();
    let cue = work.path().join("k.cue");
    write_sheet(
        &cue,
        "FILE \"k.bin\" BINARY\nTRACK 01 CDG\nINDEX 01 00:00:00\n",
    );
    let mut source = open(&cue);
    assert_eq!(source.stored_form(0), Form::RawSub);
    assert_eq!(source.disc().subchannel, Some(Subchannel::Stored));
    assert_eq!(stored_sectors(&mut *source, 0), sectors);
    let out = work.path().join("out");
    std::fs::create_dir(&out).unwrap();
    convert(&cue, &out.join("k.cue"), &multi()).unwrap();
    assert_eq!(std::fs::read(out.join("k.bin")).unwrap(), sectors);
    assert!(
        std::fs::read_to_string(out.join("k.cue"))
            .unwrap()
            .contains("TRACK 01 CDG")
    );
}

#[test]
fn mode2_shapes_become_raw_xa_sectors() {
    let work = dir();
    // 2336: a Form 1 body with a real subheader.
    let mut body = vec![0u8; 2336];
    body[..8].copy_from_slice(&[1, 2, 0x08, 0, 1, 2, 0x08, 0]);
    body[8..2056].fill(0x5A);
    let mut raw = [0u8; RAW_SIZE];
    encode_mode2(Lba(0), &body, &mut raw);
    let full_body = raw[16..].to_vec();
    std::fs::write(work.path().join("a.bin"), &full_body).unwrap();
    // 2324 and 2328: Form 2 data without a subheader; 2048: Form 1 user data.
    std::fs::write(work.path().join("b.bin"), vec![0x11u8; 2324]).unwrap();
    let mut with_edc = vec![0x22u8; 2324];
    with_edc.extend_from_slice(&[1, 2, 3, 4]);
    std::fs::write(work.path().join("c.bin"), &with_edc).unwrap();
    std::fs::write(work.path().join("d.bin"), vec![0x33u8; 2048]).unwrap();
    let cue = work.path().join("x.cue");
    write_sheet(
        &cue,
        "FILE a.bin BINARY\nTRACK 01 MODE2/2336\nINDEX 01 00:00:00\nFILE b.bin BINARY\nTRACK 02 MODE2/2324\nINDEX 01 00:00:00\n\
         FILE c.bin BINARY\nTRACK 03 MODE2/2328\nINDEX 01 00:00:00\nFILE d.bin BINARY\nTRACK 04 MODE2/2048\nINDEX 01 00:00:00\n\
         FILE a.bin BINARY\nTRACK 05 CDI/2336\nINDEX 01 00:00:00\n",
    );
    let source = open(&cue);
    assert!(source.disc().tracks().all(|t| t.mode == TrackMode::Mode2Xa));
    assert_eq!(
        (0..5).map(|i| source.stored_form(i)).collect::<Vec<_>>(),
        vec![
            Form::Mode2,
            Form::Mode2,
            Form::Mode2,
            Form::Cooked,
            Form::Mode2
        ]
    );
    assert_eq!(
        source
            .warnings()
            .iter()
            .filter(|w| w.contains("non-standard"))
            .count(),
        3,
        "{:?}",
        source.warnings()
    );
    let out = work.path().join("out");
    std::fs::create_dir(&out).unwrap();
    convert(&cue, &out.join("x.cue"), &multi()).unwrap();
    let text = std::fs::read_to_string(out.join("x.cue")).unwrap();
    assert_eq!(text.matches("MODE2/2352").count(), 5, "{text}");
    let read = |n: u8| std::fs::read(out.join(format!("x (Track {n}).bin"))).unwrap();
    // Track 1 comes back as the raw sector it was made from.
    assert_eq!(read(1), raw);
    // Track 2: header of LBA 1, Form 2 subheader, data, EDC over subheader and data.
    let t2 = read(2);
    assert_eq!(t2[12..16], [0x00, 0x02, 0x01, 0x02]);
    assert_eq!(t2[16..24], [0, 0, 0x20, 0, 0, 0, 0x20, 0]);
    assert!(t2[24..2348].iter().all(|&b| b == 0x11));
    assert_eq!(t2[2348..], edc::compute(&t2[16..2348]).to_le_bytes());
    // Track 3 keeps the EDC it stored.
    assert_eq!(read(3)[2348..], [1, 2, 3, 4]);
    // Track 4: a Form 1 sector at LBA 3 with the plain data subheader.
    let t4 = read(4);
    let mut expected = [0u8; RAW_SIZE];
    discus_core::sector::encode_form1(
        Lba(3),
        discus_core::sector::DATA_SUBHEADER,
        &[0x33; 2048],
        &mut expected,
    );
    assert_eq!(t4, expected);
}

#[test]
fn cooked_mode1_sources_are_written_raw() {
    let work = dir();
    let user: Vec<u8> = (0..3 * USER_SIZE).map(|i| (i % 253) as u8).collect();
    std::fs::write(work.path().join("c.iso"), &user).unwrap();
    let cue = work.path().join("c.cue");
    write_sheet(
        &cue,
        "FILE \"c.iso\" BINARY\nTRACK 01 MODE1/2048\nINDEX 01 00:00:00\n",
    );
    let out = work.path().join("out");
    std::fs::create_dir(&out).unwrap();
    convert(&cue, &out.join("r.cue"), &multi()).unwrap();
    assert!(
        std::fs::read_to_string(out.join("r.cue"))
            .unwrap()
            .contains("TRACK 01 MODE1/2352")
    );
    let raw = std::fs::read(out.join("r.bin")).unwrap();
    for (i, sector) in raw.chunks(RAW_SIZE).enumerate() {
        let mut expected = [0u8; RAW_SIZE];
        encode_mode1(
            Lba(i as i32),
            &user[i * USER_SIZE..(i + 1) * USER_SIZE],
            &mut expected,
        );
        assert_eq!(sector, expected);
    }
    // A BIN with a same-stem sheet beside it opens through the sheet.
    convert(&cue, &out.join("one.cue"), &single()).unwrap();
    let source = open(&out.join("one.bin"));
    assert_eq!(source.disc().track(0).unwrap().length, 3);
    // A BIN without one is not taken for a sheet.
    std::fs::copy(out.join("r.bin"), out.join("lonely.bin")).unwrap();
    let err = (FORMAT.open)(&out.join("lonely.bin"))
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("binary data"), "{err}");
}

#[test]
fn tolerances_warn() {
    let work = dir();
    // A truncated BIN, named by a Windows path, in a Latin-1 sheet with CR line endings.
    let mut bin = audio_sectors(3, 1);
    bin.extend_from_slice(&[9; 100]);
    std::fs::write(work.path().join("Track.bin"), &bin).unwrap();
    let cue = work.path().join("t.cue");
    std::fs::write(
        &cue,
        b"TITLE \"Caf\xe9\"\rfile \"C:\\Rips\\TRACK.BIN\" binary\r\ttrack 1 audio  \r  index 1 0:0:0",
    )
    .unwrap();
    let mut source = open(&cue);
    assert_eq!(source.disc().text.title.as_deref(), Some("Caf\u{e9}"));
    assert_eq!(source.disc().track(0).unwrap().length, 3);
    assert_eq!(stored_sectors(&mut *source, 0), bin[..3 * RAW_SIZE]);
    let warnings = source.warnings();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(warnings[0].contains("Windows path"));
    assert!(warnings[1].contains("case"));
    assert!(warnings[2].contains("100 byte(s)"));
}

#[test]
fn refusals_name_the_line() {
    let work = dir();
    let cue = work.path().join("r.cue");
    let cases: [(&str, &str, &str); 4] = [
        // A single BINARY file would fall back to the only .bin; a WAVE never does.
        (
            "FILE \"gone.wav\" WAVE\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n",
            "line 1, column 6",
            "gone.wav",
        ),
        (
            "FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nFILE \"b.bin\" BINARY\nTRACK 02 AUDIO\nINDEX 01 00:00:00\n",
            "line 4, column 6",
            "b.bin",
        ),
        (
            "FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nTRACK 02 AUDIO\nINDEX 01 00:00:01\n",
            "line 5",
            "end of FILE",
        ),
        (
            "FILE \"a.bin\" FLAC\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n",
            "line 1, column 14",
            "FLAC",
        ),
    ];
    std::fs::write(work.path().join("a.bin"), audio_sectors(1, 0)).unwrap();
    for (text, place, words) in cases {
        write_sheet(&cue, text);
        let err = (FORMAT.open)(&cue).err().expect("refused").to_string();
        assert!(err.contains(place) && err.contains(words), "{err}");
    }
    // Names resolve beside the sheet, not in the working directory.
    let sub = work.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    write_sheet(
        &sub.join("s.cue"),
        "FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nFILE \"b.bin\" BINARY\nTRACK 02 AUDIO\nINDEX 01 00:00:00\n",
    );
    let err = (FORMAT.open)(&sub.join("s.cue"))
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("line 1, column 6"), "{err}");
}

#[test]
fn cd_text_file_is_read_and_written() {
    let work = dir();
    std::fs::write(work.path().join("a.bin"), audio_sectors(2, 0)).unwrap();
    let packs: Vec<u8> = (0..54u8).collect();
    std::fs::write(work.path().join("a.cdt"), &packs).unwrap();
    let cue = work.path().join("a.cue");
    write_sheet(
        &cue,
        "CDTEXTFILE \"a.cdt\"\nFILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nISRC GBAYE0000351\nINDEX 01 00:00:00\n",
    );
    let source = open(&cue);
    assert_eq!(source.disc().cd_text_packs.as_deref(), Some(&packs[..]));
    assert_eq!(source.files().len(), 3);
    let out = work.path().join("out");
    std::fs::create_dir(&out).unwrap();
    convert(&cue, &out.join("b.cue"), &multi()).unwrap();
    assert_eq!(std::fs::read(out.join("b.cdt")).unwrap(), packs);
    let text = std::fs::read_to_string(out.join("b.cue")).unwrap();
    assert!(text.starts_with("CDTEXTFILE \"b.cdt\"\r\n"), "{text}");
    assert!(text.contains("ISRC GBAYE0000351"), "{text}");
}

#[test]
fn outputs_are_refused_when_present_and_nothing_is_left_on_error() {
    let work = dir();
    let cue = mixed(work.path());
    let out = work.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("m (Track 2).bin"), b"old").unwrap();
    let err = convert(&cue, &out.join("m.cue"), &multi()).unwrap_err();
    assert!(matches!(err, Error::OutputExists { .. }), "{err}");
    assert_eq!(folder(&out).len(), 1);
    // The sheet's own BINs are inputs: writing over them is refused.
    let err = convert(&cue, &cue, &multi()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutputExists { .. } | Error::OutputIsInput { .. }
        ),
        "{err}"
    );
    // A sheet named like its own BIN.
    let err = convert(&cue, &out.join("x.bin"), &single()).unwrap_err();
    assert!(matches!(err, Error::Usage(_)), "{err}");
    assert_eq!(folder(&out).len(), 1);
    // A bad sector size is a usage error.
    let source = open(&cue);
    let options = WriteOptions {
        sector_size: Some(2336),
        ..WriteOptions::default()
    };
    assert!((FORMAT.writer.unwrap().plan)(&*source, &options).is_err());
}

/// A source holding raw sectors with stored subchannel on every track (as CloneCD has).
struct WithSubchannel {
    disc: Disc,
}

impl SectorSource for WithSubchannel {
    fn disc(&self) -> &Disc {
        &self.disc
    }
    fn stored_form(&self, _: usize) -> Form {
        Form::RawSub
    }
    fn read(&mut self, track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
        for (i, sector) in buf.chunks_mut(2448).enumerate() {
            let at = lba.0 + i as i32;
            if track == 0 {
                let mut raw = [0u8; RAW_SIZE];
                encode_mode1(Lba(at), &[at as u8; USER_SIZE], &mut raw);
                sector[..RAW_SIZE].copy_from_slice(&raw);
            } else {
                sector[..RAW_SIZE].fill(at as u8);
            }
            sector[RAW_SIZE..].fill(0x80 | track as u8);
        }
        Ok(())
    }
    fn files(&self) -> Vec<PathBuf> {
        Vec::new()
    }
}

#[test]
fn stored_subchannel_stays_on_audio_and_is_a_loss_on_data() {
    let mut disc = Disc::single_session(vec![
        Track::new(1, TrackMode::Mode1, Lba(0), 4),
        Track::new(2, TrackMode::Audio, Lba(4), 3),
    ]);
    disc.subchannel = Some(Subchannel::Stored);
    let mut source = WithSubchannel { disc };
    let planned = plan(&source, &multi());
    assert_eq!(planned.tracks[0].form, Form::Raw);
    assert_eq!(planned.tracks[1].form, Form::RawSub);
    assert_eq!(planned.losses.len(), 1, "{:?}", planned.losses);
    assert!(planned.losses[0].contains("track 1") && planned.losses[0].contains("subchannel"));
    let work = dir();
    let err = convert_source(&mut source, &work.path().join("s.cue"), &multi()).unwrap_err();
    assert!(matches!(err, Error::Lossy { .. }), "{err}");
    let lossy = WriteOptions {
        allow_lossy: true,
        ..multi()
    };
    convert_source(&mut source, &work.path().join("s.cue"), &lossy).unwrap();
    let text = std::fs::read_to_string(work.path().join("s.cue")).unwrap();
    assert!(
        text.contains("TRACK 01 MODE1/2352") && text.contains("TRACK 02 CDG"),
        "{text}"
    );
    let cdg = std::fs::read(work.path().join("s (Track 2).bin")).unwrap();
    assert_eq!(cdg.len(), 3 * 2448);
    assert!(cdg[RAW_SIZE..2448].iter().all(|&b| b == 0x81));
}
