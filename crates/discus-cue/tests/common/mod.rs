//! Helpers shared by the whole-file tests: the corpus folder, conversions through the writer and
//! small sector makers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use discus_core::sector::{RAW_SIZE, USER_SIZE, encode_mode1};
use discus_core::{Destination, Lba, Plan, Result, SectorSource, WriteOptions};
use discus_cue::FORMAT;

/// The libcdio corpus beside the repository, or `None` when it is absent (a failure in CI, a
/// recorded skip elsewhere).
pub fn corpus() -> Option<PathBuf> {
    discus_core::testing::corpus("libcdio")
}

pub fn open(path: &Path) -> Box<dyn SectorSource> {
    match (FORMAT.open)(path) {
        Ok(source) => source,
        Err(e) => panic!("opening {}: {e}", path.display()),
    }
}

pub fn plan(source: &dyn SectorSource, options: &WriteOptions) -> Plan {
    (FORMAT.writer.unwrap().plan)(source, options).unwrap()
}

/// Converts `input` to the sheet `output` through the cue writer.
pub fn convert(input: &Path, output: &Path, options: &WriteOptions) -> Result<()> {
    let mut source = (FORMAT.open)(input)?;
    convert_source(&mut *source, output, options)
}

pub fn convert_source(
    source: &mut dyn SectorSource,
    output: &Path,
    options: &WriteOptions,
) -> Result<()> {
    let writer = FORMAT.writer.unwrap();
    let plan = (writer.plan)(&*source, options)?;
    let destination = Destination {
        path: output.to_path_buf(),
        force: false,
        inputs: source.files(),
        durable: false,
        run: None,
    };
    let sink = (writer.create)(&destination, &plan, options)?;
    discus_core::convert(source, &plan, sink, &Default::default())?;
    Ok(())
}

/// Every file of a folder, by name, with its bytes, sorted.
pub fn folder(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Reads all stored sectors of track `index` (pregap included when stored).
pub fn stored_sectors(source: &mut dyn SectorSource, index: usize) -> Vec<u8> {
    let track = source.disc().track(index).unwrap().clone();
    let first = if track.pregap.stored {
        track.first_lba()
    } else {
        track.start
    };
    let count = track.length as usize
        + if track.pregap.stored {
            track.pregap.sectors as usize
        } else {
            0
        };
    let mut buf = vec![0u8; count * source.stored_form(index).size()];
    source.read(index, first, &mut buf).unwrap();
    buf
}

/// `count` raw Mode 1 sectors from `first`, user data filled with a pattern of `seed`.
pub fn mode1_sectors(first: i32, count: usize, seed: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(count * RAW_SIZE);
    for i in 0..count {
        let user: Vec<u8> = (0..USER_SIZE)
            .map(|j| (j as u8).wrapping_mul(seed).wrapping_add(i as u8))
            .collect();
        let mut raw = [0u8; RAW_SIZE];
        encode_mode1(Lba(first + i as i32), &user, &mut raw);
        out.extend_from_slice(&raw);
    }
    out
}

/// `count` sectors of a saw-tooth "audio" pattern.
pub fn audio_sectors(count: usize, seed: u8) -> Vec<u8> {
    (0..count * RAW_SIZE)
        .map(|i| (i as u8).wrapping_mul(3).wrapping_add(seed) ^ ((i / 256) as u8))
        .collect()
}

/// A 44-byte RIFF WAVE header for `len` bytes of CD audio.
pub fn wave_header(len: u32) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(len + 36).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    for field in [
        16u32.to_le_bytes().to_vec(),
        1u16.to_le_bytes().to_vec(),
        2u16.to_le_bytes().to_vec(),
        44_100u32.to_le_bytes().to_vec(),
        176_400u32.to_le_bytes().to_vec(),
        4u16.to_le_bytes().to_vec(),
        16u16.to_le_bytes().to_vec(),
    ] {
        h.extend_from_slice(&field);
    }
    h.extend_from_slice(b"data");
    h.extend_from_slice(&len.to_le_bytes());
    h
}

/// Writes `text` with CRLF line endings.
pub fn write_sheet(path: &Path, text: &str) {
    std::fs::write(path, text.replace('\n', "\r\n")).unwrap();
}
