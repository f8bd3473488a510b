//! The two NRG images of libcdio's test data: p1.nrg (NER5, disc-at-once, two audio tracks with
//! CD-TEXT) and videocd.nrg (NERO, track-at-once, five Mode 2 tracks stored as 2336 bytes).
//! Every test skips when the corpus is absent.

mod common;

use common::{body, corpus, open, write};
use discus_core::{Control, Form, Gap, Lba, TrackMode, WriteOptions};

#[test]
fn p1_reads_as_nero_laid_it_out() {
    let Some(dir) = corpus() else { return };
    let source = open(&dir.join("p1.nrg")).unwrap();
    let disc = source.disc();
    assert_eq!(disc.sessions.len(), 1);
    let tracks: Vec<_> = disc.tracks().collect();
    assert_eq!(tracks.len(), 2);
    // As cd-info lists it: track 1 at LSN 150, track 2 at 300, lead-out 302.
    assert_eq!(
        tracks
            .iter()
            .map(|t| (t.number, t.mode, t.start, t.length, t.pregap))
            .collect::<Vec<_>>(),
        vec![
            (1, TrackMode::Audio, Lba(150), 75, Gap::stored(150)),
            (2, TrackMode::Audio, Lba(300), 2, Gap::stored(75)),
        ]
    );
    // The file stores 300 sectors before INDEX 01, from LBA -150; the 150 before LBA 0 are
    // silence, as generated, so the model's pregap is the hidden audio from LBA 0 on.
    assert_eq!(tracks[0].first_lba(), Lba(0));
    assert_eq!(disc.lead_out(), Some(Lba(302)));
    assert!(
        tracks
            .iter()
            .all(|t| t.control == Control(Control::COPY_PERMITTED))
    );
    assert_eq!(source.stored_form(0), Form::Raw);
    assert_eq!(source.stored_form(1), Form::Raw);
    assert_eq!(disc.cd_text_packs.as_ref().map(Vec::len), Some(8 * 18));
    assert_eq!(
        disc.text.title.as_deref(),
        Some("Join us now we have the software")
    );
    assert_eq!(disc.text.performer.as_deref(), Some("Richard Stallman"));
    assert_eq!(disc.catalog, None);
    assert_eq!(disc.subchannel, None);
    assert!(source.warnings().is_empty(), "{:?}", source.warnings());
    let details = source.details();
    assert!(details.iter().any(|(_, v)| v.contains("NER5")));
    assert!(
        details
            .iter()
            .any(|(_, v)| v == "CUEX, DAOX, CDTX, SINF, MTYP, END!")
    );
}

#[test]
fn p1_audio_is_the_sector_data_of_p1_bin() {
    let Some(dir) = corpus() else { return };
    let bin = std::fs::read(dir.join("p1.bin")).unwrap();
    let mut source = open(&dir.join("p1.nrg")).unwrap();
    // p1.bin holds LBA 0 to the lead-out: the second half of track 1's stored pregap, then the
    // rest of the disc. Ask the source for exactly what it stores there.
    let mut read = Vec::new();
    let ranges = [(0, Lba(0), 225), (1, Lba(225), 77)];
    for (track, from, count) in ranges {
        let mut buf = vec![0u8; count * 2352];
        source.read(track, from, &mut buf).unwrap();
        read.extend_from_slice(&buf);
    }
    assert_eq!(read.len(), bin.len());
    assert!(read == bin, "the audio differs from p1.bin");
}

#[test]
fn videocd_reads_as_track_at_once() {
    let Some(dir) = corpus() else { return };
    let source = open(&dir.join("videocd.nrg")).unwrap();
    let disc = source.disc();
    let layout: Vec<_> = disc
        .tracks()
        .map(|t| (t.number, t.mode, t.start, t.length, t.pregap))
        .collect();
    // The addresses cd-info lists: each track after the first has a 150-sector pregap the file
    // does not hold; track 1's is the disc's own pregap, which the model leaves implicit.
    assert_eq!(
        layout,
        vec![
            (1, TrackMode::Mode2Xa, Lba(0), 676, Gap::NONE),
            (2, TrackMode::Mode2Xa, Lba(826), 75, Gap::generated(150)),
            (3, TrackMode::Mode2Xa, Lba(1051), 75, Gap::generated(150)),
            (4, TrackMode::Mode2Xa, Lba(1276), 75, Gap::generated(150)),
            (5, TrackMode::Mode2Xa, Lba(1501), 225, Gap::generated(150)),
        ]
    );
    assert_eq!(disc.lead_out(), Some(Lba(1726)));
    assert!((0..5).all(|i| source.stored_form(i) == Form::Mode2));
    assert!(disc.tracks().all(|t| t.control == Control(Control::DATA)));
    assert_eq!(disc.cd_text_packs, None);
    assert!(source.warnings().is_empty(), "{:?}", source.warnings());
    assert!(source.details().iter().any(|(_, v)| v.contains("NERO")));
    assert!(
        source
            .details()
            .iter()
            .any(|(k, v)| k == "Layout" && v == "track-at-once")
    );
}

#[test]
fn videocd_sectors_come_from_their_offsets() {
    let Some(dir) = corpus() else { return };
    let file = std::fs::read(dir.join("videocd.nrg")).unwrap();
    let mut source = open(&dir.join("videocd.nrg")).unwrap();
    // Track 2 is stored right after track 1's 676 sectors.
    let mut sector = vec![0u8; 2336];
    source.read(1, Lba(826), &mut sector).unwrap();
    assert_eq!(sector[..], file[676 * 2336..677 * 2336]);
    // Its pregap is not stored, so the source refuses to read it.
    assert!(source.read(1, Lba(700), &mut sector).is_err());
}

#[test]
fn p1_written_again_is_the_same_file() {
    let Some(dir) = corpus() else { return };
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("p1.nrg");
    let mut source = open(&dir.join("p1.nrg")).unwrap();
    let plan = write(&mut *source, &out, &WriteOptions::default()).unwrap();
    assert!(plan.losses.is_empty() && plan.notes.is_empty());
    // Same layout, same chunks, same CD-TEXT: byte for byte what Nero wrote.
    assert!(std::fs::read(&out).unwrap() == std::fs::read(dir.join("p1.nrg")).unwrap());
}

#[test]
fn videocd_round_trip_keeps_every_sector() {
    let Some(dir) = corpus() else { return };
    let temp = tempfile::tempdir().unwrap();
    for (name, options, form) in [
        ("raw.nrg", WriteOptions::default(), Form::Raw),
        (
            "body.nrg",
            WriteOptions {
                sector_size: Some(2336),
                ..WriteOptions::default()
            },
            Form::Mode2,
        ),
    ] {
        let out = temp.path().join(name);
        let mut source = open(&dir.join("videocd.nrg")).unwrap();
        write(&mut *source, &out, &options).unwrap();
        let mut back = open(&out).unwrap();
        let before: Vec<_> = source
            .disc()
            .tracks()
            .map(|t| (t.number, t.start, t.length, t.pregap.sectors))
            .collect();
        let after: Vec<_> = back
            .disc()
            .tracks()
            .map(|t| (t.number, t.start, t.length, t.pregap.sectors))
            .collect();
        assert_eq!(before, after, "{name}");
        assert!((0..5).all(|i| back.stored_form(i) == form), "{name}");
        // Disc-at-once stores the pregaps the track-at-once image left out.
        assert!(back.disc().tracks().skip(1).all(|t| t.pregap.stored));
        assert!(back.warnings().is_empty(), "{:?}", back.warnings());
        assert!(
            body(&mut *source) == body(&mut *back),
            "{name}: sectors differ"
        );
    }
}

#[test]
fn corpus_images_cut_short_fail_cleanly() {
    let Some(dir) = corpus() else { return };
    let temp = tempfile::tempdir().unwrap();
    for name in ["p1.nrg", "videocd.nrg"] {
        let whole = std::fs::read(dir.join(name)).unwrap();
        let cut = temp.path().join(name);
        let mut lengths: Vec<usize> = (0..40).map(|i| i * 7).collect();
        lengths.extend((1..200).map(|i| whole.len() - i));
        lengths.extend([whole.len() / 2, 2352 * 3 + 1]);
        for len in lengths {
            std::fs::write(&cut, &whole[..len]).unwrap();
            match open(&cut) {
                Ok(_) => panic!("{name} cut to {len} bytes opened"),
                Err(e) => {
                    let message = e.to_string();
                    assert!(message.contains("byte offset"), "{message}");
                }
            }
        }
    }
}
