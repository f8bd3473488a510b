//! Layouts the corpus does not have, built byte by byte: version 1 disc-at-once with a CUES
//! chunk, ETN2 track-at-once with pregap room, one TINF list split into sessions by SINF, sessions
//! without cue chunks, and mode codes no reader documents.

mod common;

use common::{Raw, be32, daox};
use discus_core::{Control, Form, Gap, Index, Lba, SectorSource, TrackMode};

fn open_raw(raw: &Raw) -> Box<dyn SectorSource> {
    let temp = tempfile::tempdir().expect("temp dir");
    let path = temp.path().join("x.nrg");
    std::fs::write(&path, raw.bytes()).expect("write");
    common::open(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn layout(source: &dyn SectorSource) -> Vec<(u8, u8, TrackMode, Lba, u32, Gap)> {
    source
        .disc()
        .sessions
        .iter()
        .flat_map(|s| {
            s.tracks
                .iter()
                .map(move |t| (s.number, t.number, t.mode, t.start, t.length, t.pregap))
        })
        .collect()
}

fn bcd(v: u8) -> u8 {
    ((v / 10) << 4) | (v % 10)
}

/// A CUES entry at absolute time `frames` (LBA + 150), MSF in BCD.
fn cues(ctl: u8, track: u8, index: u8, lba: i32) -> Vec<u8> {
    let frames = (lba + 150) as u32;
    let (m, s, f) = (frames / 4500, frames / 75 % 60, frames % 75);
    let track = if track == 0xAA { 0xAA } else { bcd(track) };
    vec![
        ctl,
        track,
        bcd(index),
        0,
        0,
        bcd(m as u8),
        bcd(s as u8),
        bcd(f as u8),
    ]
}

/// One DAOI track: size, code, index0, index1, end, ISRC.
type DaoiTrack<'a> = (u16, u8, u32, u32, u32, &'a [u8; 12]);

/// A DAOI payload with an MCN.
fn daoi(mcn: &[u8; 13], tracks: &[DaoiTrack<'_>]) -> Vec<u8> {
    let len = 22 + tracks.len() * 30;
    let mut out = (len as u32).to_be_bytes().to_vec();
    out.extend_from_slice(mcn);
    out.extend_from_slice(&[0, 0x00, 0x01, 1, tracks.len() as u8]);
    for &(size, mode, i0, i1, end, isrc) in tracks {
        out.extend_from_slice(isrc);
        out.extend_from_slice(&size.to_be_bytes());
        out.extend_from_slice(&[mode, 0, 0, 1]);
        for v in [i0, i1, end] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
    out
}

#[test]
fn version_1_disc_at_once_with_cues() {
    let s = 2352u32;
    // Track 1: 150 pregap + 200; track 2: 75 pregap + 100 (with INDEX 02 at LBA 300).
    let cue: Vec<u8> = [
        cues(0x01, 0, 0, -150),
        cues(0x01, 1, 0, -150),
        cues(0x01, 1, 1, 0),
        cues(0x11, 2, 0, 200),
        cues(0x11, 2, 1, 275),
        cues(0x11, 2, 2, 300),
        cues(0x01, 0xAA, 1, 375),
    ]
    .concat();
    let mut raw = Raw::new(525, 2352)
        .chunk(b"CUES", cue)
        .chunk(
            b"DAOI",
            daoi(
                b"0731452006328",
                &[
                    (2352, 0x07, 0, 150 * s, 350 * s, &[0; 12]),
                    (2352, 0x07, 350 * s, 425 * s, 525 * s, b"GBAYE9900001"),
                ],
            ),
        )
        .chunk(b"SINF", be32(2))
        .chunk(b"END!", Vec::new());
    raw.v1 = true;
    let mut source = open_raw(&raw);
    assert!(source.warnings().is_empty(), "{:?}", source.warnings());
    // Track 1's pregap holds data here, so it stays in the model.
    assert_eq!(
        layout(&*source),
        vec![
            (1, 1, TrackMode::Audio, Lba(0), 200, Gap::stored(150)),
            (1, 2, TrackMode::Audio, Lba(275), 100, Gap::stored(75)),
        ]
    );
    let disc = source.disc().clone();
    assert_eq!(disc.catalog.as_deref(), Some("0731452006328"));
    let second = disc.track(1).unwrap();
    assert_eq!(second.isrc.as_deref(), Some("GBAYE9900001"));
    assert_eq!(
        second.indexes,
        vec![Index {
            number: 2,
            lba: Lba(300)
        }]
    );
    // Control flags come from the cue entries: pre-emphasis on track 2 only.
    assert_eq!(second.control, Control(Control::PRE_EMPHASIS));
    assert_eq!(disc.track(0).unwrap().control, Control(0));
    let mut sector = vec![0u8; 2352];
    source.read(1, Lba(200), &mut sector).unwrap();
    assert_eq!(sector[..], raw.data[350 * 2352..351 * 2352]);
}

#[test]
fn etn2_track_at_once_with_room_for_a_pregap() {
    let data_len = 10 * 2048u64;
    let second_at = data_len + 150 * 2352;
    let mut etn = Vec::new();
    for (offset, length, mode, lba) in
        [(0u64, data_len, 0u32, 0u32), (second_at, 20 * 2352, 7, 160)]
    {
        etn.extend_from_slice(&offset.to_be_bytes());
        etn.extend_from_slice(&length.to_be_bytes());
        etn.extend_from_slice(&mode.to_be_bytes());
        etn.extend_from_slice(&lba.to_be_bytes());
        etn.extend_from_slice(&0u64.to_be_bytes());
    }
    let mut raw = Raw::new(0, 2352);
    raw.data = vec![0x11; (second_at + 20 * 2352) as usize];
    let raw = raw
        .chunk(b"ETN2", etn)
        .chunk(b"SINF", be32(2))
        .chunk(b"END!", Vec::new());
    let mut source = open_raw(&raw);
    assert!(source.warnings().is_empty(), "{:?}", source.warnings());
    assert_eq!(
        layout(&*source),
        vec![
            (1, 1, TrackMode::Mode1, Lba(0), 10, Gap::NONE),
            (1, 2, TrackMode::Audio, Lba(160), 20, Gap::stored(150)),
        ]
    );
    assert_eq!(source.stored_form(0), Form::Cooked);
    let mut sector = vec![0u8; 2352];
    source.read(1, Lba(10), &mut sector).unwrap();
    assert_eq!(sector, vec![0x11; 2352]);
}

#[test]
fn one_tinf_list_split_into_sessions_by_sinf() {
    let mut tinf = Vec::new();
    for (offset, length, mode) in [(0u32, 20 * 2352u32, 7u32), (20 * 2352, 30 * 2048, 0)] {
        for v in [offset, length, mode] {
            tinf.extend_from_slice(&v.to_be_bytes());
        }
    }
    let mut raw = Raw::new(0, 2352);
    raw.data = vec![0; 20 * 2352 + 30 * 2048];
    let mut raw = raw
        .chunk(b"TINF", tinf)
        .chunk(b"SINF", be32(1))
        .chunk(b"SINF", be32(1))
        .chunk(b"END!", Vec::new());
    raw.v1 = true;
    let source = open_raw(&raw);
    assert!(source.warnings().is_empty(), "{:?}", source.warnings());
    // Session 2 begins 11 400 sectors after session 1 ends.
    assert_eq!(
        layout(&*source),
        vec![
            (1, 1, TrackMode::Audio, Lba(0), 20, Gap::NONE),
            (
                2,
                2,
                TrackMode::Mode1,
                Lba(20 + 11_400),
                30,
                Gap::generated(150)
            ),
        ]
    );
}

#[test]
fn disc_at_once_sessions_without_cue_chunks_follow_the_rule() {
    let s = 2352u64;
    let raw = Raw::new(150 + 10 + 150 + 10 + 150 + 10, 2352)
        .chunk(b"DAOX", daox(&[(2352, 0x07, 0, 150 * s, 160 * s)]))
        .chunk(b"DAOX", {
            let mut p = daox(&[(2352, 0x07, 160 * s, 310 * s, 320 * s)]);
            p[20] = 2;
            p[21] = 2;
            p
        })
        .chunk(b"DAOX", {
            let mut p = daox(&[(2352, 0x07, 320 * s, 470 * s, 480 * s)]);
            p[20] = 3;
            p[21] = 3;
            p
        })
        .chunk(b"END!", Vec::new());
    let source = open_raw(&raw);
    let starts: Vec<_> = layout(&*source).iter().map(|t| (t.0, t.3)).collect();
    assert_eq!(
        starts,
        vec![(1, Lba(0)), (2, Lba(10 + 11_400)), (3, Lba(11_420 + 6_900))]
    );
}

#[test]
fn an_unknown_code_is_read_from_the_sectors() {
    let mut raw = Raw::new(4, 2352)
        .chunk(b"DAOX", daox(&[(2352, 0x42, 0, 0, 4 * 2352)]))
        .chunk(b"END!", Vec::new());
    for sector in raw.data.chunks_exact_mut(2352) {
        sector[..12].copy_from_slice(&discus_core::sector::SYNC);
        sector[15] = 2;
    }
    let source = open_raw(&raw);
    assert_eq!(source.disc().track(0).unwrap().mode, TrackMode::Mode2Xa);
    assert_eq!(source.stored_form(0), Form::Raw);
    assert!(
        source.warnings().iter().any(|w| w.contains("0x42")),
        "{:?}",
        source.warnings()
    );
}

#[test]
fn a_cue_chunk_that_disagrees_is_reported_and_the_track_list_followed() {
    let cue = common::cuex(&[
        (0x01, 0, 0, -150),
        (0x01, 1, 0, -150),
        (0x01, 1, 1, 0),
        (0x01, 0xAA, 1, 99),
    ]);
    let raw = Raw::new(160, 2352)
        .chunk(b"CUEX", cue)
        .chunk(b"DAOX", daox(&[(2352, 0x07, 0, 150 * 2352, 160 * 2352)]))
        .chunk(b"END!", Vec::new());
    let source = open_raw(&raw);
    assert_eq!(source.disc().lead_out(), Some(Lba(10)));
    assert!(
        source
            .warnings()
            .iter()
            .any(|w| w.contains("lead-out at LBA 99")),
        "{:?}",
        source.warnings()
    );
}
