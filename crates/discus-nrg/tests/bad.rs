//! Broken and hostile inputs: every one gives an error that names the byte offset, and none
//! panics or allocates what a header claims before checking it.

mod common;

use common::{Raw, be32, cuex, daox, open};
use discus_core::{Error, Location};

/// Writes `bytes` to a temporary `.nrg` and opens it.
fn open_bytes(bytes: &[u8]) -> discus_core::Result<Box<dyn discus_core::SectorSource>> {
    let temp = tempfile::tempdir().expect("temp dir");
    let path = temp.path().join("x.nrg");
    std::fs::write(&path, bytes).expect("write input");
    open(&path)
}

/// The offset an error names, and its message.
fn offset_of(result: discus_core::Result<Box<dyn discus_core::SectorSource>>) -> (u64, String) {
    match result {
        Err(Error::Invalid {
            at: Location::Offset(offset),
            message,
            ..
        }) => (offset, message),
        Err(other) => panic!("expected an error at an offset, got {other}"),
        Ok(_) => panic!("the input opened"),
    }
}

/// A valid one-track audio image of 10 stored sectors (the chunks from `index` on vary).
fn audio() -> Raw {
    Raw::new(10, 2352)
        .chunk(
            b"CUEX",
            cuex(&[
                (0x01, 0, 0, -150),
                (0x01, 1, 0, -150),
                (0x01, 1, 1, -145),
                (0x01, 0xAA, 1, -140),
            ]),
        )
        .chunk(b"DAOX", daox(&[(2352, 0x07, 0, 5 * 2352, 10 * 2352)]))
        .chunk(b"SINF", be32(1))
        .chunk(b"END!", Vec::new())
}

#[test]
fn the_valid_base_opens() {
    let source = open_bytes(&audio().bytes()).unwrap();
    let track = source.disc().track(0).unwrap();
    assert_eq!((track.start.0, track.length), (-145, 5));
    assert!(source.warnings().is_empty(), "{:?}", source.warnings());
}

#[test]
fn tiny_and_empty_files() {
    for len in 0..8 {
        let (at, message) = offset_of(open_bytes(&vec![0x4e; len]));
        assert_eq!(at, 0);
        assert!(message.contains("too short"), "{message}");
    }
}

#[test]
fn garbage_has_no_footer() {
    let mut seed = 7u32;
    let garbage: Vec<u8> = (0..5000)
        .map(|_| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (seed >> 16) as u8
        })
        .collect();
    let (at, message) = offset_of(open_bytes(&garbage));
    assert_eq!(at, 5000 - 12);
    assert!(message.contains("no NER5 or NERO footer"), "{message}");
}

#[test]
fn a_footer_pointing_past_itself() {
    let mut bytes = vec![0u8; 100];
    bytes.extend_from_slice(b"NER5");
    bytes.extend_from_slice(&(1u64 << 40).to_be_bytes());
    let (at, message) = offset_of(open_bytes(&bytes));
    assert_eq!(at, 100);
    assert!(message.contains("chunk list"), "{message}");
}

#[test]
fn a_chunk_longer_than_the_file() {
    let raw = audio();
    let mut bytes = raw.bytes();
    let daox_at = raw.chunk_at(1) as usize;
    bytes[daox_at + 4..daox_at + 8].copy_from_slice(&0x7fff_fff0u32.to_be_bytes());
    let (at, message) = offset_of(open_bytes(&bytes));
    assert_eq!(at, daox_at as u64);
    assert!(
        message.contains("DAOX claims 2147483632 bytes"),
        "{message}"
    );
}

#[test]
fn a_damaged_chunk_id() {
    let raw = audio();
    let mut bytes = raw.bytes();
    let at = raw.chunk_at(2) as usize;
    bytes[at] = 0x01;
    let (offset, message) = offset_of(open_bytes(&bytes));
    assert_eq!(offset, at as u64);
    assert!(message.contains("expected a chunk id"), "{message}");
}

#[test]
fn overlapping_tracks() {
    let raw = Raw::new(20, 2352)
        .chunk(
            b"DAOX",
            daox(&[
                (2352, 0x07, 0, 0, 12 * 2352),
                (2352, 0x07, 10 * 2352, 10 * 2352, 20 * 2352),
            ]),
        )
        .chunk(b"END!", Vec::new());
    let (at, message) = offset_of(open_bytes(&raw.bytes()));
    // The second track entry: chunk header, DAO header, one entry.
    assert_eq!(at, raw.chunk_at(0) + 8 + 22 + 42);
    assert!(message.contains("overlaps"), "{message}");
}

#[test]
fn a_track_reaching_into_the_chunks() {
    let raw = Raw::new(4, 2048)
        .chunk(b"DAOX", daox(&[(2048, 0x00, 0, 0, 5 * 2048)]))
        .chunk(b"END!", Vec::new());
    let (at, message) = offset_of(open_bytes(&raw.bytes()));
    assert_eq!(at, raw.chunk_at(0) + 8 + 22);
    assert!(
        message.contains("past the start of the chunk list"),
        "{message}"
    );
}

#[test]
fn sizes_that_do_not_fit_the_mode() {
    // A size no NRG uses.
    let raw = Raw::new(4, 1000)
        .chunk(b"DAOX", daox(&[(1000, 0x00, 0, 0, 4000)]))
        .chunk(b"END!", Vec::new());
    let (_, message) = offset_of(open_bytes(&raw.bytes()));
    assert!(message.contains("1000-byte sectors"), "{message}");
    // A track that is not a whole number of its sectors.
    let raw = Raw::new(4, 2352)
        .chunk(b"DAOX", daox(&[(2352, 0x07, 0, 0, 4 * 2352 - 1)]))
        .chunk(b"END!", Vec::new());
    let (_, message) = offset_of(open_bytes(&raw.bytes()));
    assert!(message.contains("not a whole number"), "{message}");
    // A DAOX whose length leaves half an entry.
    let mut payload = daox(&[(2352, 0x07, 0, 0, 4 * 2352)]);
    payload.truncate(50);
    let raw = Raw::new(4, 2352)
        .chunk(b"DAOX", payload)
        .chunk(b"END!", Vec::new());
    let (at, message) = offset_of(open_bytes(&raw.bytes()));
    assert_eq!(at, raw.chunk_at(0));
    assert!(message.contains("42-byte track entries"), "{message}");
}

#[test]
fn a_mode_code_at_odds_with_the_sector_size_is_read_by_the_size() {
    // MagicISO writes code 0x00 (2048) on 2352-byte Mode 1 sectors.
    let mut raw = Raw::new(3, 2352)
        .chunk(b"DAOX", daox(&[(2352, 0x00, 0, 0, 3 * 2352)]))
        .chunk(b"END!", Vec::new());
    for sector in raw.data.chunks_exact_mut(2352) {
        sector[..12].copy_from_slice(&discus_core::sector::SYNC);
        sector[15] = 1;
    }
    let source = open_bytes(&raw.bytes()).unwrap();
    assert_eq!(source.stored_form(0), discus_core::Form::Raw);
    assert_eq!(
        source.disc().track(0).unwrap().mode,
        discus_core::TrackMode::Mode1
    );
    assert!(source.warnings().iter().any(|w| w.contains("0x00")));
}

#[test]
fn unknown_chunks_are_skipped_and_a_missing_end_tolerated() {
    let raw = Raw::new(2, 2352)
        .chunk(b"ZZZZ", vec![1, 2, 3])
        .chunk(b"DAOX", daox(&[(2352, 0x07, 0, 0, 2 * 2352)]));
    let source = open_bytes(&raw.bytes()).unwrap();
    let warnings = source.warnings();
    assert!(warnings.iter().any(|w| w.contains("ZZZZ")), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("END!")), "{warnings:?}");
}

#[test]
fn no_track_list() {
    let raw = Raw::new(2, 2352)
        .chunk(b"SINF", be32(1))
        .chunk(b"END!", Vec::new());
    let (at, message) = offset_of(open_bytes(&raw.bytes()));
    assert_eq!(at, raw.chunk_at(0));
    assert!(message.contains("no track list"), "{message}");
}

#[test]
fn track_at_once_with_an_unknown_mode_is_unsupported() {
    let mut entry = Vec::new();
    for v in [0u32, 2 * 2352, 0x42, 0, 0] {
        entry.extend_from_slice(&v.to_be_bytes());
    }
    let mut raw = Raw::new(2, 2352)
        .chunk(b"ETNF", entry)
        .chunk(b"END!", Vec::new());
    raw.v1 = true;
    match open_bytes(&raw.bytes()) {
        Err(Error::Unsupported { message, .. }) => assert!(message.contains("0x42"), "{message}"),
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("opened"),
    }
}

#[test]
fn damaged_bytes_anywhere_in_the_chunks_never_panic() {
    let raw = audio();
    let base = raw.bytes();
    let chunks_at = raw.chunk_at(0) as usize;
    let mut seed = 99u32;
    let mut next = || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        (seed >> 8) as usize
    };
    for _ in 0..1000 {
        let mut bytes = base.clone();
        for _ in 0..1 + next() % 4 {
            let at = chunks_at + next() % (bytes.len() - chunks_at);
            bytes[at] = next() as u8;
        }
        if let Ok(mut source) = open_bytes(&bytes) {
            // Whatever opens reads all it claims to store.
            for (i, track) in source
                .disc()
                .tracks()
                .cloned()
                .collect::<Vec<_>>()
                .iter()
                .enumerate()
            {
                let form = source.stored_form(i);
                let first = if track.pregap.stored {
                    track.first_lba()
                } else {
                    track.start
                };
                let count = track.end_lba().distance_from(first) as usize;
                let mut buf = vec![0u8; count.min(64) * form.size()];
                source.read(i, first, &mut buf).unwrap();
            }
        }
    }
}
