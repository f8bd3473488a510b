//! Helpers shared by the tests of this crate: the corpus, an in-memory source, whole conversions
//! through the NRG writer, and reading every sector of a track.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use discus_core::convert::convert;
use discus_core::{
    Check, Destination, Disc, Form, Lba, Plan, Result, SectorSource, Track, WriteOptions,
    read_sectors,
};

/// The libcdio corpus beside the repository, or `None` when it is absent (a failure in CI, a
/// recorded skip elsewhere).
pub fn corpus() -> Option<PathBuf> {
    discus_core::testing::corpus("libcdio")
}

/// Opens an image with this crate's reader.
pub fn open(path: &Path) -> Result<Box<dyn SectorSource>> {
    (discus_nrg::FORMAT.open)(path)
}

/// Writes `source` as an NRG at `path` the way the facade does: plan, loss check, sink, convert.
pub fn write(source: &mut dyn SectorSource, path: &Path, options: &WriteOptions) -> Result<Plan> {
    let writer = discus_nrg::FORMAT.writer.expect("NRG writes");
    let plan = (writer.plan)(&*source, options)?;
    discus_core::plan::check(&plan, options, path)?;
    let destination = Destination {
        path: path.to_path_buf(),
        force: true,
        inputs: source.files(),
        durable: false,
        run: None,
    };
    let sink = (writer.create)(&destination, &plan, options)?;
    convert(source, &plan, sink, &Default::default())?;
    Ok(plan)
}

/// Sectors `from .. from + count` of track `index` in `form`.
pub fn sectors(
    source: &mut dyn SectorSource,
    index: usize,
    from: Lba,
    count: usize,
    form: Form,
) -> Vec<u8> {
    let mut out = vec![0u8; count * form.size()];
    let mut check = Check::default();
    read_sectors(
        source,
        index,
        from,
        count,
        form,
        &mut out,
        &mut Vec::new(),
        &mut check,
    )
    .expect("sectors read");
    out
}

/// Every sector of every track from INDEX 01 to its end (postgap included) as whole 2352-byte
/// sectors, and the pregap sectors both layouts agree on, per track.
pub fn body(source: &mut dyn SectorSource) -> Vec<Vec<u8>> {
    let tracks: Vec<Track> = source.disc().tracks().cloned().collect();
    tracks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let count = t.end_lba().distance_from(t.start) as usize;
            sectors(source, i, t.start, count, Form::Raw)
        })
        .collect()
}

/// An in-memory source: each track's stored sectors (pregap first when stored) in one buffer.
pub struct Memory {
    pub disc: Disc,
    pub forms: Vec<Form>,
    pub data: Vec<Vec<u8>>,
}

impl Memory {
    /// A source of `disc` whose stored sectors are made by `fill(track index, lba, sector)`.
    pub fn new(
        disc: Disc,
        forms: Vec<Form>,
        fill: impl Fn(usize, &Track, Lba, &mut [u8]),
    ) -> Memory {
        let data = disc
            .tracks()
            .zip(&forms)
            .enumerate()
            .map(|(i, (track, form))| {
                let first = stored_first(track);
                let count = stored_count(track);
                let mut buf = vec![0u8; count * form.size()];
                for (k, sector) in buf.chunks_exact_mut(form.size()).enumerate() {
                    fill(i, track, Lba(first.0 + k as i32), sector);
                }
                buf
            })
            .collect();
        Memory { disc, forms, data }
    }
}

fn stored_first(track: &Track) -> Lba {
    if track.pregap.stored {
        track.first_lba()
    } else {
        track.start
    }
}

fn stored_count(track: &Track) -> usize {
    let mut count = track.length as usize;
    if track.pregap.stored {
        count += track.pregap.sectors as usize;
    }
    if track.postgap.stored {
        count += track.postgap.sectors as usize;
    }
    count
}

impl SectorSource for Memory {
    fn disc(&self) -> &Disc {
        &self.disc
    }

    fn stored_form(&self, track: usize) -> Form {
        self.forms[track]
    }

    fn read(&mut self, track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
        let t = self.disc.track(track).expect("track");
        let size = self.forms[track].size();
        let at = lba.distance_from(stored_first(t)) as usize * size;
        buf.copy_from_slice(&self.data[track][at..at + buf.len()]);
        Ok(())
    }

    fn files(&self) -> Vec<PathBuf> {
        Vec::new()
    }
}

/// Builds NRG files byte by byte, for inputs the writer would never make.
pub struct Raw {
    pub data: Vec<u8>,
    pub chunks: Vec<([u8; 4], Vec<u8>)>,
    pub v1: bool,
}

impl Raw {
    /// `sectors` sectors of `size` bytes of data, numbered so misplaced reads show.
    pub fn new(sectors: usize, size: usize) -> Raw {
        let data = (0..sectors * size)
            .map(|i| ((i / size) as u8).wrapping_add(i as u8 & 0x0f))
            .collect();
        Raw {
            data,
            chunks: Vec::new(),
            v1: false,
        }
    }

    pub fn chunk(mut self, id: &[u8; 4], payload: Vec<u8>) -> Raw {
        self.chunks.push((*id, payload));
        self
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut out = self.data.clone();
        let at = out.len() as u64;
        for (id, payload) in &self.chunks {
            out.extend_from_slice(id);
            out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
            out.extend_from_slice(payload);
        }
        if self.v1 {
            out.extend_from_slice(b"NERO");
            out.extend_from_slice(&(at as u32).to_be_bytes());
        } else {
            out.extend_from_slice(b"NER5");
            out.extend_from_slice(&at.to_be_bytes());
        }
        out
    }

    /// Offset of the `n`-th chunk's header.
    pub fn chunk_at(&self, n: usize) -> u64 {
        self.data.len() as u64
            + self.chunks[..n]
                .iter()
                .map(|(_, p)| 8 + p.len() as u64)
                .sum::<u64>()
    }
}

/// A DAOX payload: (sector size, mode code, index0, index1, end) per track, numbered from 1.
pub fn daox(tracks: &[(u16, u8, u64, u64, u64)]) -> Vec<u8> {
    let len = 22 + tracks.len() * 42;
    let mut out = (len as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&[0u8; 14]);
    out.extend_from_slice(&[0x00, 0x01, 1, tracks.len() as u8]);
    for &(size, mode, i0, i1, end) in tracks {
        out.extend_from_slice(&[0u8; 12]);
        out.extend_from_slice(&size.to_be_bytes());
        out.extend_from_slice(&[mode, 0, 0, 1]);
        for v in [i0, i1, end] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
    out
}

/// A CUEX payload: (control/ADR, track, index, LBA) per entry; track and index plain numbers.
pub fn cuex(entries: &[(u8, u8, u8, i32)]) -> Vec<u8> {
    let bcd = |v: u8| {
        if v == 0xAA {
            v
        } else {
            ((v / 10) << 4) | (v % 10)
        }
    };
    entries
        .iter()
        .flat_map(|&(ctl, track, index, lba)| {
            let mut e = vec![ctl, bcd(track), bcd(index), 0];
            e.extend_from_slice(&lba.to_be_bytes());
            e
        })
        .collect()
}

/// A u32 payload.
pub fn be32(value: u32) -> Vec<u8> {
    value.to_be_bytes().to_vec()
}

/// The chunks of a finished NRG (v2) file: (id, offset of header, payload).
pub fn chunks_of(file: &[u8]) -> Vec<(String, usize, Vec<u8>)> {
    let n = file.len();
    assert_eq!(&file[n - 12..n - 8], b"NER5");
    let mut at = u64::from_be_bytes(file[n - 8..].try_into().expect("8 bytes")) as usize;
    let mut out = Vec::new();
    loop {
        let id = String::from_utf8_lossy(&file[at..at + 4]).into_owned();
        let len = u32::from_be_bytes(file[at + 4..at + 8].try_into().expect("4 bytes")) as usize;
        out.push((id.clone(), at, file[at + 8..at + 8 + len].to_vec()));
        at += 8 + len;
        if id == "END!" {
            break;
        }
    }
    assert_eq!(at, n - 12, "END! sits right before the footer");
    out
}
