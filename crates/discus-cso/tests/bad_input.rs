//! Broken and foreign files give a clear error naming the block or byte, never a panic or a huge
//! allocation; a failed write leaves no output.

mod common;

use std::io::Write;

use common::{MemorySource, mixed_image, pack, unpack_bytes};
use discus_core::convert::{ConvertOptions, convert};
use discus_core::output::Destination;
use discus_core::{Compression, Error, Location};
use discus_cso::{CSO, DAX, ZSO};

fn entry(file: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(file[24 + i * 4..28 + i * 4].try_into().expect("4 bytes"))
}

fn set_entry(file: &mut [u8], i: usize, value: u32) {
    file[24 + i * 4..28 + i * 4].copy_from_slice(&value.to_le_bytes());
}

fn valid_cso() -> Vec<u8> {
    pack(&CSO, Compression::default(), 1, &mixed_image(40, 8))
}

/// The block an error names, if it names one.
fn block_of(error: &Error) -> Option<u64> {
    match error {
        Error::Invalid {
            at: Location::Block(block),
            ..
        } => Some(*block),
        _ => None,
    }
}

fn offset_of(error: &Error) -> Option<u64> {
    match error {
        Error::Invalid {
            at: Location::Offset(offset),
            ..
        } => Some(*offset),
        _ => None,
    }
}

fn open_error(bytes: &[u8], ext: &str) -> Error {
    match unpack_bytes(bytes, ext) {
        Ok(_) => panic!("a broken file was accepted"),
        Err(e) => e,
    }
}

/// A CSO v1 file of 2048-byte blocks made by hand: each block is (stored bytes, plain?).
fn hand_made_cso(size: u64, blocks: &[(Vec<u8>, bool)]) -> Vec<u8> {
    let mut file = Vec::new();
    file.extend_from_slice(b"CISO");
    file.extend_from_slice(&24u32.to_le_bytes());
    file.extend_from_slice(&size.to_le_bytes());
    file.extend_from_slice(&2048u32.to_le_bytes());
    file.extend_from_slice(&[1, 0, 0, 0]);
    let mut offset = 24 + 4 * (blocks.len() as u32 + 1);
    for (bytes, plain) in blocks {
        let flag = if *plain { 0x8000_0000 } else { 0 };
        file.extend_from_slice(&(offset | flag).to_le_bytes());
        offset += bytes.len() as u32;
    }
    file.extend_from_slice(&offset.to_le_bytes());
    for (bytes, _) in blocks {
        file.extend_from_slice(bytes);
    }
    file
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("deflate");
    encoder.finish().expect("deflate")
}

#[test]
fn an_index_entry_past_the_end_names_its_block() {
    let mut file = valid_cso();
    let len = file.len() as u32;
    set_entry(&mut file, 5, len + 100);
    let error = open_error(&file, "cso");
    assert_eq!(block_of(&error), Some(4), "{error}");
    assert!(error.to_string().contains("past the end"), "{error}");
}

#[test]
fn an_index_going_backwards_names_its_block() {
    let mut file = valid_cso();
    let previous = entry(&file, 5);
    set_entry(&mut file, 6, previous - 10);
    let error = open_error(&file, "cso");
    assert_eq!(block_of(&error), Some(5), "{error}");
    assert!(error.to_string().contains("backwards"), "{error}");
}

#[test]
fn a_truncated_file_names_the_first_block_it_cuts() {
    let file = valid_cso();
    let cut = &file[..file.len() - 500];
    let error = open_error(cut, "cso");
    let block = block_of(&error).expect("names a block");
    assert!(block < 40, "{error}");
    assert!(error.to_string().contains("truncated"), "{error}");
    // Cut inside the header or the index.
    let error = open_error(&file[..10], "cso");
    assert_eq!(offset_of(&error), Some(0), "{error}");
    let error = open_error(&file[..100], "cso");
    assert_eq!(offset_of(&error), Some(8), "{error}");
}

#[test]
fn a_wrong_uncompressed_size_is_caught() {
    let file = valid_cso();
    for size in [40 * 2048 * 2, 40 * 2048 / 2, 41 * 2048] {
        let mut wrong = file.clone();
        wrong[8..16].copy_from_slice(&(size as u64).to_le_bytes());
        let error = open_error(&wrong, "cso");
        assert!(error.to_string().contains("size"), "{size}: {error}");
    }
    // A size claiming an exabyte is refused before anything is allocated for it.
    let mut huge = file.clone();
    huge[8..16].copy_from_slice(&(1u64 << 60).to_le_bytes());
    let error = open_error(&huge, "cso");
    assert_eq!(offset_of(&error), Some(8), "{error}");
}

#[test]
fn a_block_that_inflates_short_or_long_names_its_block() {
    let plain = (vec![7u8; 2048], true);
    for (bytes, says) in [
        (deflate(&[1u8; 1000]), "1000 bytes instead of 2048"),
        (deflate(&[1u8; 3000]), "more than 2048"),
        (vec![0xFF; 40], "corrupt"),
    ] {
        let file = hand_made_cso(4096, &[plain.clone(), (bytes, false)]);
        let error = open_error(&file, "cso");
        assert_eq!(block_of(&error), Some(1), "{error}");
        assert!(error.to_string().contains(says), "{error}");
    }
    // A plain block shorter than the block size is caught when the file is opened.
    let file = hand_made_cso(4096, &[(vec![7u8; 1000], true), plain]);
    let error = open_error(&file, "cso");
    assert_eq!(block_of(&error), Some(0), "{error}");
}

#[test]
fn a_corrupt_lz4_block_names_its_block() {
    let mut file = pack(&ZSO, Compression::default(), 1, &mixed_image(40, 8));
    // Find a packed block and scramble its first bytes.
    let block = (0..40)
        .find(|i| {
            entry(&file, *i) & 0x8000_0000 == 0 && entry(&file, i + 1) - entry(&file, *i) > 20
        })
        .expect("a packed block");
    let at = entry(&file, block) as usize;
    file[at..at + 8].copy_from_slice(&[0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0]);
    let error = open_error(&file, "zso");
    assert_eq!(block_of(&error), Some(block as u64), "{error}");
}

#[test]
fn wii_and_xbox_ciso_are_named_as_such() {
    // Wii / GameCube CISO: block size at 4, then a map of 0/1 bytes.
    let mut wii = Vec::new();
    wii.extend_from_slice(b"CISO");
    wii.extend_from_slice(&0x20_0000u32.to_le_bytes());
    wii.extend_from_slice(&[1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]);
    wii.resize(0x8000, 0);
    // Xbox CISO: a CSO v2 header whose packed blocks are LZ4 frames.
    let mut xbox = Vec::new();
    xbox.extend_from_slice(b"CISO");
    xbox.extend_from_slice(&24u32.to_le_bytes());
    xbox.extend_from_slice(&4096u64.to_le_bytes());
    xbox.extend_from_slice(&2048u32.to_le_bytes());
    xbox.extend_from_slice(&[2, 2, 0, 0]);
    xbox.extend_from_slice(&((36u32 >> 2) | 0x8000_0000).to_le_bytes());
    xbox.extend_from_slice(&((80u32 >> 2) | 0x8000_0000).to_le_bytes());
    xbox.extend_from_slice(&(124u32 >> 2).to_le_bytes());
    for _ in 0..2 {
        xbox.extend_from_slice(&[0x04, 0x22, 0x4D, 0x18]);
        xbox.extend_from_slice(&[0x60; 40]);
    }
    for (file, name) in [(wii, "wii"), (xbox, "xbox")] {
        let error = open_error(&file, "cso");
        assert!(
            matches!(error, Error::Unsupported { .. }),
            "{name}: {error}"
        );
        assert!(
            error
                .to_string()
                .contains("not a PSP/PS2 CSO (looks like a Wii/Xbox CISO)"),
            "{name}: {error}"
        );
        let probe = discus_core::Probe {
            path: std::path::Path::new("game.cso"),
            head: &file,
            tail: &[],
            len: file.len() as u64,
            siblings: &[],
        };
        assert_eq!(
            (CSO.probe)(&probe),
            discus_core::Confidence::Structure,
            "{name}"
        );
    }
}

#[test]
fn impossible_header_fields_are_refused() {
    let file = valid_cso();
    let mut odd_block = file.clone();
    odd_block[16..20].copy_from_slice(&3000u32.to_le_bytes());
    assert_eq!(offset_of(&open_error(&odd_block, "cso")), Some(16));
    let mut huge_block = file.clone();
    huge_block[16..20].copy_from_slice(&(1u32 << 30).to_le_bytes());
    assert_eq!(offset_of(&open_error(&huge_block, "cso")), Some(16));
    let mut version = file.clone();
    version[20] = 5;
    assert!(matches!(
        open_error(&version, "cso"),
        Error::Unsupported { .. }
    ));
    let mut shift = file.clone();
    shift[21] = 40;
    assert_eq!(offset_of(&open_error(&shift, "cso")), Some(21));
    assert!(
        open_error(b"NOPE and more bytes than a header", "cso")
            .to_string()
            .contains("magic")
    );
}

#[test]
fn broken_dax_files_name_the_frame_or_offset() {
    let file = pack(&DAX, Compression::default(), 1, &mixed_image(40, 8));
    let frames = 10;
    // A frame offset past the end.
    let mut past = file.clone();
    past[32 + 3 * 4..32 + 4 * 4].copy_from_slice(&(file.len() as u32).to_le_bytes());
    assert_eq!(block_of(&open_error(&past, "dax")), Some(3));
    // A frame length that makes it inflate short: corrupt data.
    let mut short = file.clone();
    let at = 32 + frames * 4 + 2 * 2;
    short[at..at + 2].copy_from_slice(&3u16.to_le_bytes());
    assert_eq!(block_of(&open_error(&short, "dax")), Some(2));
    // Version 1 with an NC area beyond the frames.
    let mut areas = file.clone();
    areas[8..12].copy_from_slice(&1u32.to_le_bytes());
    areas[12..16].copy_from_slice(&1u32.to_le_bytes());
    let error = open_error(&areas, "dax");
    assert!(
        offset_of(&error).is_some() || block_of(&error).is_some(),
        "{error}"
    );
    // A size whose tables do not fit.
    let mut huge = file.clone();
    huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(offset_of(&open_error(&huge, "dax")), Some(4));
}

#[test]
fn mangled_files_never_panic() {
    let originals = [
        ("cso", valid_cso()),
        (
            "cso",
            pack(
                &CSO,
                Compression {
                    version: Some(2),
                    ..Compression::default()
                },
                1,
                &mixed_image(20, 1),
            ),
        ),
        (
            "zso",
            pack(&ZSO, Compression::default(), 1, &mixed_image(20, 2)),
        ),
        (
            "dax",
            pack(&DAX, Compression::default(), 1, &mixed_image(20, 3)),
        ),
    ];
    let mut rng = common::Rng(99);
    for (ext, original) in &originals {
        for round in 0..150 {
            let mut file = original.clone();
            match round % 3 {
                0 => {
                    let at = (rng.next() % file.len() as u64) as usize;
                    file[at] ^= 1 << (rng.next() % 8);
                }
                1 => {
                    // Somewhere in the header or index, where damage matters most.
                    for _ in 0..3 {
                        let at = (rng.next() % 200.min(file.len() as u64)) as usize;
                        file[at] = rng.next() as u8;
                    }
                }
                _ => file.truncate((rng.next() % file.len() as u64) as usize),
            }
            // Errors are fine; panics and aborts are not.
            let _ = unpack_bytes(&file, ext);
        }
    }
}

#[test]
fn a_failed_conversion_leaves_no_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("out.cso");
    let mut source = MemorySource::new(mixed_image(3000, 4));
    source.fail_from = Some(2000);
    let options = common::options(Compression::default(), 2);
    let writer = CSO.writer.expect("writes");
    let plan = (writer.plan)(&source, &options).expect("plan");
    let destination = Destination {
        path: path.clone(),
        force: false,
        inputs: vec![],
        durable: false,
        run: None,
    };
    let sink = (writer.create)(&destination, &plan, &options).expect("create");
    let result = convert(&mut source, &plan, sink, &ConvertOptions::default());
    assert!(result.is_err());
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert!(left.is_empty(), "left behind: {left:?}");

    // A sink dropped before `finish`, or finished short of its plan, leaves nothing either.
    let source = MemorySource::new(mixed_image(10, 4));
    let plan = (writer.plan)(&source, &options).expect("plan");
    let mut sink = (writer.create)(&destination, &plan, &options).expect("create");
    sink.write(0, &source.data[..4096]).expect("write");
    assert!(matches!(sink.finish(), Err(Error::Usage(_))));
    let sink = (writer.create)(&destination, &plan, &options).expect("create");
    drop(sink);
    assert!(std::fs::read_dir(dir.path()).expect("dir").next().is_none());
}

#[test]
fn bad_options_are_refused_at_plan_time() {
    let source = MemorySource::new(mixed_image(10, 4));
    let cases = [
        (
            &CSO,
            Compression {
                encoder: Some("zstd".into()),
                ..Compression::default()
            },
        ),
        (
            &CSO,
            Compression {
                encoder: Some("lz4".into()),
                ..Compression::default()
            },
        ),
        (
            &ZSO,
            Compression {
                encoder: Some("zlib".into()),
                ..Compression::default()
            },
        ),
        (
            &DAX,
            Compression {
                block_size: Some(2048),
                ..Compression::default()
            },
        ),
        (
            &CSO,
            Compression {
                block_size: Some(1000),
                ..Compression::default()
            },
        ),
        (
            &CSO,
            Compression {
                version: Some(4),
                ..Compression::default()
            },
        ),
    ];
    for (format, compression) in cases {
        let options = common::options(compression.clone(), 1);
        let plan = (format.writer.expect("writes").plan)(&source, &options);
        assert!(
            matches!(plan, Err(Error::Usage(_))),
            "{} {compression:?}",
            format.name
        );
    }
}
