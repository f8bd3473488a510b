//! The writer, on sources made in memory: the layout Nero writes (and `nrg2iso` expects), every
//! mode code, gaps, sessions, subchannel and metadata, each read back by this crate's reader.

mod common;

use common::{Memory, body, chunks_of, open, write};
use discus_core::sector::{DATA_SUBHEADER, RAW_SIZE, encode_form1, encode_mode1};
use discus_core::{
    Control, Disc, Error, Form, Gap, Index, Lba, Session, Subchannel, Text, Track, TrackMode,
    WriteOptions,
};

/// Fills a sector the way a real one of its track would look, with bytes that tell sectors apart.
fn fill(index: usize, track: &Track, lba: Lba, sector: &mut [u8]) {
    let seed = (lba.0 as u32).wrapping_mul(2_654_435_761) ^ index as u32;
    let user: Vec<u8> = (0..2048u32)
        .map(|i| (seed.wrapping_add(i.wrapping_mul(40503)) >> 7) as u8)
        .collect();
    match (track.mode, sector.len()) {
        (TrackMode::Audio, _) => {
            for (i, b) in sector.iter_mut().enumerate() {
                *b = (seed.wrapping_add(i as u32 * 7) >> 3) as u8;
            }
        }
        (TrackMode::Mode1, 2048) => sector.copy_from_slice(&user),
        (TrackMode::Mode1, _) => {
            let mut raw = [0u8; RAW_SIZE];
            encode_mode1(lba, &user, &mut raw);
            sector[..RAW_SIZE].copy_from_slice(&raw);
        }
        (_, _) => {
            let mut raw = [0u8; RAW_SIZE];
            encode_form1(lba, DATA_SUBHEADER, &user, &mut raw);
            sector[..RAW_SIZE].copy_from_slice(&raw);
        }
    }
    if sector.len() > RAW_SIZE {
        for (i, b) in sector[RAW_SIZE..].iter_mut().enumerate() {
            *b = (seed >> (i % 24)) as u8;
        }
    }
}

fn layout(disc: &Disc) -> Vec<(u8, u8, TrackMode, Lba, u32, u32)> {
    disc.sessions
        .iter()
        .flat_map(|s| {
            s.tracks.iter().map(move |t| {
                (
                    s.number,
                    t.number,
                    t.mode,
                    t.start,
                    t.length,
                    t.pregap.sectors,
                )
            })
        })
        .collect()
}

/// The DAOX entries of a written file: (size, code, index0, index1, end).
fn daox_entries(file: &[u8]) -> Vec<(u16, u8, u64, u64, u64)> {
    chunks_of(file)
        .into_iter()
        .filter(|(id, _, _)| id == "DAOX")
        .flat_map(|(_, _, payload)| {
            payload[22..]
                .chunks_exact(42)
                .map(|e| {
                    let at =
                        |i: usize| u64::from_be_bytes(e[i..i + 8].try_into().expect("8 bytes"));
                    (
                        u16::from_be_bytes([e[12], e[13]]),
                        e[14],
                        at(18),
                        at(26),
                        at(34),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn a_data_disc_starts_with_its_pregap_as_nero_writes_it() {
    let disc = Disc::single_session(vec![Track::new(1, TrackMode::Mode1, Lba(0), 400)]);
    let mut source = Memory::new(disc.clone(), vec![Form::Cooked], fill);
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("data.nrg");
    let plan = write(&mut source, &out, &WriteOptions::default()).unwrap();
    assert!(plan.losses.is_empty() && plan.notes.is_empty());
    let file = std::fs::read(&out).unwrap();
    // 150 × 2048 bytes of pregap, then the user data: nrg2iso skips exactly 307200 bytes.
    assert_eq!(
        daox_entries(&file),
        vec![(2048, 0x00, 0, 307_200, 307_200 + 400 * 2048)]
    );
    assert!(file[..307_200].iter().all(|&b| b == 0));
    assert!(file[307_200..307_200 + 400 * 2048] == source.data[0][..]);
    let ids: Vec<String> = chunks_of(&file).into_iter().map(|c| c.0).collect();
    assert_eq!(ids, ["CUEX", "DAOX", "SINF", "MTYP", "END!"]);
    let cue = &chunks_of(&file)[0].2;
    assert_eq!(
        cue[..],
        [
            0x41, 0, 0, 0, 0xff, 0xff, 0xff, 0x6a, // lead-in at −150
            0x41, 1, 0, 0, 0xff, 0xff, 0xff, 0x6a, // track 1 INDEX 00
            0x41, 1, 1, 0, 0, 0, 0, 0, // track 1 INDEX 01 at 0
            0x41, 0xaa, 1, 0, 0, 0, 0x01, 0x90, // lead-out at 400
        ]
    );
    // Read back: the same disc (the stored pregap is the disc's own, empty one).
    let mut back = open(&out).unwrap();
    assert_eq!(back.disc(), &disc);
    assert_eq!(back.stored_form(0), Form::Cooked);
    assert!(body(&mut source) == body(&mut *back));
}

#[test]
fn a_mixed_disc_keeps_gaps_and_metadata() {
    let data = Track::new(1, TrackMode::Mode1, Lba(0), 300);
    let mut song = Track::new(2, TrackMode::Audio, Lba(450), 200);
    song.pregap = Gap::generated(150);
    song.isrc = Some("USXYZ2600001".into());
    song.indexes.push(Index {
        number: 2,
        lba: Lba(500),
    });
    song.control = Control(Control::PRE_EMPHASIS | Control::COPY_PERMITTED);
    song.text.title = Some("First song".into());
    let mut other = Track::new(3, TrackMode::Audio, Lba(725), 100);
    other.pregap = Gap::stored(75);
    other.postgap = Gap::generated(10);
    other.text.title = Some("Second song".into());
    let mut disc = Disc::single_session(vec![data, song, other]);
    disc.catalog = Some("0123456789012".into());
    disc.text.title = Some("A mixed disc".into());
    disc.text.performer = Some("discus".into());
    let mut source = Memory::new(disc.clone(), vec![Form::Raw; 3], fill);
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("mixed.nrg");
    // The cue chunk cannot carry INDEX 02: refused unless lossy conversions are allowed.
    let refused = write(&mut source, &out, &WriteOptions::default()).unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("INDEX 02 of track 2 at LBA 500 (00:08:50)"),
        "{refused}"
    );
    let lossy = WriteOptions {
        allow_lossy: true,
        ..WriteOptions::default()
    };
    let plan = write(&mut source, &out, &lossy).unwrap();
    assert_eq!(plan.losses.len(), 1, "{:?}", plan.losses);
    assert!(plan.notes.is_empty(), "{:?}", plan.notes);
    let file = std::fs::read(&out).unwrap();
    let s = 2352u64;
    let data_end = 150 * 2048 + 300 * 2048;
    assert_eq!(
        daox_entries(&file),
        vec![
            (2048, 0x00, 0, 150 * 2048, data_end),
            (2352, 0x07, data_end, data_end + 150 * s, data_end + 350 * s),
            (
                2352,
                0x07,
                data_end + 350 * s,
                data_end + 425 * s,
                data_end + 535 * s
            ),
        ]
    );
    let back = open(&out).unwrap();
    let read = back.disc();
    assert!(back.warnings().is_empty(), "{:?}", back.warnings());
    // The postgap is stored as part of its track; every gap written is stored now.
    assert_eq!(
        layout(read),
        vec![
            (1, 1, TrackMode::Mode1, Lba(0), 300, 0),
            (1, 2, TrackMode::Audio, Lba(450), 200, 150),
            (1, 3, TrackMode::Audio, Lba(725), 110, 75),
        ]
    );
    let tracks: Vec<_> = read.tracks().collect();
    assert_eq!(tracks[1].isrc.as_deref(), Some("USXYZ2600001"));
    // Index marks are not written (the plan lists them as lost); the rest of the cue chunk is.
    assert!(tracks[1].indexes.is_empty());
    assert_eq!(
        tracks[1].control,
        Control(Control::PRE_EMPHASIS | Control::COPY_PERMITTED)
    );
    assert_eq!(tracks[0].control, Control(Control::DATA));
    assert_eq!(read.catalog.as_deref(), Some("0123456789012"));
    assert_eq!(read.text, disc.text);
    assert_eq!(tracks[1].text.title.as_deref(), Some("First song"));
    assert_eq!(tracks[2].text.title.as_deref(), Some("Second song"));
    assert!(read.cd_text_packs.is_some());
    // Sectors: the same from INDEX 01 on; the stored pregap of track 3 too.
    let mut back = back;
    assert!(body(&mut source) == body(&mut *back));
    let before = common::sectors(&mut source, 2, Lba(650), 75, Form::Raw);
    let after = common::sectors(&mut *back, 2, Lba(650), 75, Form::Raw);
    assert!(before == after);
}

#[test]
fn mode_codes_follow_the_sector_size_option() {
    let disc = Disc::single_session(vec![Track::new(1, TrackMode::Mode1, Lba(0), 20), {
        let mut t = Track::new(2, TrackMode::Mode2Xa, Lba(170), 20);
        t.pregap = Gap::generated(150);
        t
    }]);
    let temp = tempfile::tempdir().unwrap();
    for (size, codes) in [
        (None, [(2048, 0x00), (2352, 0x06)]),
        (Some(2352), [(2352, 0x05), (2352, 0x06)]),
        (Some(2336), [(2048, 0x00), (2336, 0x03)]),
    ] {
        let mut source = Memory::new(disc.clone(), vec![Form::Raw, Form::Raw], fill);
        let out = temp.path().join(format!("{size:?}.nrg"));
        let options = WriteOptions {
            sector_size: size,
            ..WriteOptions::default()
        };
        write(&mut source, &out, &options).unwrap();
        let file = std::fs::read(&out).unwrap();
        let written: Vec<_> = daox_entries(&file).iter().map(|e| (e.0, e.1)).collect();
        assert_eq!(written, codes, "{size:?}");
        let mut back = open(&out).unwrap();
        assert_eq!(layout(back.disc()), layout(&disc));
        assert!(body(&mut source) == body(&mut *back), "{size:?}");
    }
    let mut source = Memory::new(disc, vec![Form::Raw, Form::Raw], fill);
    let options = WriteOptions {
        sector_size: Some(2000),
        ..WriteOptions::default()
    };
    let result = write(&mut source, &temp.path().join("bad.nrg"), &options);
    assert!(matches!(result, Err(Error::Usage(_))));
}

#[test]
fn stored_subchannel_travels_in_2448_byte_sectors() {
    let mut disc = Disc::single_session(vec![Track::new(1, TrackMode::Mode1, Lba(0), 30), {
        let mut t = Track::new(2, TrackMode::Audio, Lba(180), 30);
        t.pregap = Gap::stored(150);
        t
    }]);
    disc.subchannel = Some(Subchannel::Stored);
    let mut source = Memory::new(disc.clone(), vec![Form::RawSub; 2], fill);
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("sub.nrg");
    write(&mut source, &out, &WriteOptions::default()).unwrap();
    let file = std::fs::read(&out).unwrap();
    let codes: Vec<_> = daox_entries(&file).iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(codes, [(2448, 0x0F), (2448, 0x10)]);
    let mut back = open(&out).unwrap();
    assert_eq!(back.disc().subchannel, Some(Subchannel::Stored));
    assert_eq!(back.stored_form(1), Form::RawSub);
    for (i, track) in disc.tracks().enumerate() {
        let (first, count) = (track.first_lba(), track.total_sectors() as usize);
        let before = common::sectors(&mut source, i, first, count, Form::RawSub);
        let after = common::sectors(&mut *back, i, first, count, Form::RawSub);
        assert!(before == after, "track {}", track.number);
    }
}

#[test]
fn sessions_keep_their_addresses() {
    let first = Track::new(1, TrackMode::Audio, Lba(0), 300);
    let mut second = Track::new(2, TrackMode::Audio, Lba(450), 100);
    second.pregap = Gap::generated(150);
    // The usual distance: lead-out 6750, lead-in 4500, pregap 150.
    let mut data = Track::new(3, TrackMode::Mode1, Lba(550 + 11_400), 200);
    data.pregap = Gap::generated(150);
    let mut late = Track::new(4, TrackMode::Mode1, Lba(12_150 + 20_000), 50);
    late.pregap = Gap::generated(150);
    let disc = Disc {
        sessions: vec![
            Session {
                number: 1,
                tracks: vec![first, second],
            },
            Session {
                number: 2,
                tracks: vec![data],
            },
            Session {
                number: 3,
                tracks: vec![late],
            },
        ],
        ..Disc::default()
    };
    let mut source = Memory::new(
        disc.clone(),
        vec![Form::Raw, Form::Raw, Form::Cooked, Form::Cooked],
        fill,
    );
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("sessions.nrg");
    write(&mut source, &out, &WriteOptions::default()).unwrap();
    let file = std::fs::read(&out).unwrap();
    let ids: Vec<String> = chunks_of(&file).into_iter().map(|c| c.0).collect();
    assert_eq!(
        ids,
        [
            "CUEX", "DAOX", "CUEX", "DAOX", "CUEX", "DAOX", "SINF", "SINF", "SINF", "MTYP", "END!"
        ]
    );
    let mut back = open(&out).unwrap();
    assert!(back.warnings().is_empty(), "{:?}", back.warnings());
    // Session 3 is further away than the rule says: the cue chunk keeps it where it was.
    assert_eq!(layout(back.disc()), layout(&disc));
    assert!(body(&mut source) == body(&mut *back));
}

#[test]
fn space_between_tracks_becomes_pregap() {
    let first = Track::new(1, TrackMode::Audio, Lba(0), 100);
    let second = Track::new(2, TrackMode::Audio, Lba(130), 100);
    let disc = Disc::single_session(vec![first, second]);
    let mut source = Memory::new(disc, vec![Form::Raw; 2], fill);
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("space.nrg");
    let plan = write(&mut source, &out, &WriteOptions::default()).unwrap();
    assert_eq!(plan.disc.track(1).unwrap().pregap, Gap::generated(30));
    let back = open(&out).unwrap();
    assert_eq!(back.disc().track(1).unwrap().pregap, Gap::stored(30));
    assert_eq!(back.disc().track(1).unwrap().start, Lba(130));
}

#[test]
fn text_in_the_model_becomes_packs_and_bad_codes_are_dropped_with_a_note() {
    let mut disc = Disc::single_session(vec![Track::new(1, TrackMode::Audio, Lba(0), 10)]);
    disc.text = Text {
        title: Some("Title".into()),
        performer: None,
        songwriter: Some("Writer".into()),
    };
    disc.catalog = Some("12345".into());
    disc.sessions[0].tracks[0].isrc = Some("not an isrc".into());
    let mut source = Memory::new(disc, vec![Form::Raw], fill);
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("text.nrg");
    let plan = write(&mut source, &out, &WriteOptions::default()).unwrap();
    assert_eq!(plan.notes.len(), 2, "{:?}", plan.notes);
    let back = open(&out).unwrap();
    assert_eq!(back.disc().text.title.as_deref(), Some("Title"));
    assert_eq!(back.disc().text.songwriter.as_deref(), Some("Writer"));
    assert_eq!(back.disc().catalog, None);
    assert_eq!(back.disc().track(0).unwrap().isrc, None);
}

#[test]
fn an_unfinished_conversion_leaves_nothing() {
    let disc = Disc::single_session(vec![Track::new(1, TrackMode::Audio, Lba(0), 10)]);
    let source = Memory::new(disc, vec![Form::Raw], fill);
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("never.nrg");
    let writer = discus_nrg::FORMAT.writer.unwrap();
    let plan = (writer.plan)(&source, &WriteOptions::default()).unwrap();
    let destination = discus_core::Destination {
        path: out.clone(),
        force: false,
        inputs: Vec::new(),
        durable: false,
        run: None,
    };
    let mut sink = (writer.create)(&destination, &plan, &WriteOptions::default()).unwrap();
    sink.write(0, &[0u8; 2352 * 3]).unwrap();
    // Too few sectors: finishing refuses, and nothing is left behind.
    assert!(sink.finish().is_err());
    assert_eq!(std::fs::read_dir(temp.path()).unwrap().count(), 0);
}
