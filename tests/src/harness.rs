//! What the property tests and the fuzz targets exercise, in one place so both run the same code:
//!
//! - [`open_and_read`]: arbitrary bytes opened as one format and every track read — it may fail,
//!   it must never panic or allocate what the bytes merely claim;
//! - [`round_trip`]: an arbitrary small disc written by one format's writer and read back — every
//!   sector must come back as it went in.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use discus::core::{
    Check, ConvertOptions, Destination, Disc, Form, Gap, Lba, SectorSource, Session, Track,
    TrackMode, read_sectors,
};
use discus::{Error, Result, WriteOptions};

thread_local! {
    /// One private folder per thread, reused: fuzzers call these functions millions of times.
    static SCRATCH: RefCell<Option<tempfile::TempDir>> = const { RefCell::new(None) };
}

fn scratch() -> PathBuf {
    SCRATCH.with(|cell| {
        let mut slot = cell.borrow_mut();
        let dir = slot.get_or_insert_with(|| tempfile::tempdir().expect("temporary folder"));
        dir.path().to_path_buf()
    })
}

/// Sectors read at each end of a track: enough to reach headers, first and last blocks, and
/// boundaries, without making a fuzz run slow on a file that claims a long track.
const SECTORS_PER_END: u32 = 32;

/// Reads the first and last sectors of every track of `source`, in the stored form and as raw.
pub fn read_everywhere(source: &mut dyn SectorSource) -> Result<u64> {
    let disc = source.disc().clone();
    let mut read = 0u64;
    let mut scratch = Vec::new();
    for (index, track) in disc.tracks().enumerate() {
        let total = track.total_sectors() as u32;
        let first = track.first_lba();
        let mut runs = vec![(first, total.min(SECTORS_PER_END))];
        if total > SECTORS_PER_END {
            let tail = total.min(2 * SECTORS_PER_END) - SECTORS_PER_END;
            runs.push((Lba(first.0 + (total - tail) as i32), tail));
        }
        for (lba, count) in runs {
            for form in [source.stored_form(index), Form::Raw] {
                let mut buf = vec![0u8; count as usize * form.size()];
                read_sectors(
                    source,
                    index,
                    lba,
                    count as usize,
                    form,
                    &mut buf,
                    &mut scratch,
                    &mut Check::default(),
                )?;
                read += u64::from(count);
            }
        }
    }
    Ok(read)
}

/// Writes `bytes` as `name` (plus `siblings`, name and bytes) in the scratch folder, opens it as
/// the format called `format`, and reads it with [`read_everywhere`].
pub fn open_and_read(
    format: &str,
    name: &str,
    bytes: &[u8],
    siblings: &[(&str, &[u8])],
) -> Result<u64> {
    let format = discus::find(format).ok_or_else(|| Error::Usage(format!("no format {format}")))?;
    let dir = scratch();
    for (sibling, content) in siblings {
        std::fs::write(dir.join(sibling), content).map_err(|e| Error::io(dir.join(sibling), e))?;
    }
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    let mut source = (format.open)(&path)?;
    read_everywhere(&mut *source)
}

/// An in-memory source: what the round trip writes. Each track stores its pregap and body in the
/// form given.
pub struct MemorySource {
    disc: Disc,
    forms: Vec<Form>,
    data: Vec<Vec<u8>>,
}

impl SectorSource for MemorySource {
    fn disc(&self) -> &Disc {
        &self.disc
    }

    fn stored_form(&self, track: usize) -> Form {
        self.forms[track]
    }

    fn read(&mut self, track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
        let t = self
            .disc
            .track(track)
            .ok_or_else(|| Error::Usage("no such track".into()))?;
        let size = self.forms[track].size();
        // The first stored sector: the pregap's when it is stored, else INDEX 01.
        let first = if t.pregap.stored {
            t.first_lba()
        } else {
            t.start
        };
        let from = lba.distance_from(first) as usize * size;
        let data = &self.data[track];
        let chunk = data
            .get(from..from + buf.len())
            .ok_or_else(|| Error::Usage(format!("read past track {} at {lba}", t.number)))?;
        buf.copy_from_slice(chunk);
        Ok(())
    }

    fn files(&self) -> Vec<PathBuf> {
        vec![PathBuf::from("memory")]
    }
}

/// A small deterministic byte generator for sector contents.
struct Bytes(u64);

impl Bytes {
    fn next(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 24) as u8
    }
}

/// Builds a small disc from arbitrary bytes: 1–4 tracks of 1–40 sectors, Mode 1 (stored as
/// 2048-byte user data), audio (raw) or Mode 2 XA (2336 bytes after the header), with generated
/// pregaps of 0–20 sectors on tracks after the first, and sector contents from a seed. Discs for
/// one-track formats (`single_data`) get one Mode 1 track.
pub fn small_disc(spec: &[u8], single_data: bool) -> MemorySource {
    let byte = |i: usize| spec.get(i).copied().unwrap_or(0);
    let count = if single_data {
        1
    } else {
        1 + byte(0) as usize % 4
    };
    let mut bytes = Bytes(u64::from_le_bytes(std::array::from_fn(|i| byte(1 + i))) | 1);
    let mut tracks = Vec::new();
    let mut forms = Vec::new();
    let mut data = Vec::new();
    let mut next = Lba(0);
    for i in 0..count {
        let kind = if single_data { 0 } else { byte(10 + i * 3) % 3 };
        let (mode, form) = match kind {
            0 => (TrackMode::Mode1, Form::Cooked),
            1 => (TrackMode::Audio, Form::Raw),
            _ => (TrackMode::Mode2Xa, Form::Mode2),
        };
        let length = 1 + u32::from(byte(11 + i * 3)) % 40;
        let pregap = if i == 0 {
            0
        } else {
            u32::from(byte(12 + i * 3)) % 21
        };
        let start = Lba(next.0 + pregap as i32);
        let mut track = Track::new(i as u8 + 1, mode, start, length);
        track.pregap = Gap::generated(pregap);
        let mut stored = vec![0u8; length as usize * form.size()];
        for (k, b) in stored.iter_mut().enumerate() {
            *b = bytes.next();
            // Mode 2 bodies start with a subheader; make it a consistent Form 1 or Form 2 one.
            if form == Form::Mode2 {
                let at = k % form.size();
                if at < 8 {
                    *b = [0, 0, 0x08, 0][at % 4];
                }
            }
        }
        next = track.end_lba();
        tracks.push(track);
        forms.push(form);
        data.push(stored);
    }
    MemorySource {
        disc: Disc {
            sessions: vec![Session { number: 1, tracks }],
            ..Disc::default()
        },
        forms,
        data,
    }
}

/// Every sector of every track of `source` (pregap included), as raw 2352-byte sectors.
fn raw_sectors(source: &mut dyn SectorSource) -> Result<Vec<(u8, TrackMode, Vec<u8>)>> {
    let disc = source.disc().clone();
    let mut out = Vec::new();
    for (index, track) in disc.tracks().enumerate() {
        let count = track.total_sectors() as usize;
        let mut buf = vec![0u8; count * Form::Raw.size()];
        read_sectors(
            source,
            index,
            track.first_lba(),
            count,
            Form::Raw,
            &mut buf,
            &mut Vec::new(),
            &mut Check::default(),
        )?;
        out.push((track.number, track.mode, buf));
    }
    Ok(out)
}

/// Writes the disc `spec` describes with the writer of `format` into the scratch folder, reads it
/// back, and compares layouts and every sector. `Err` says what differs.
pub fn round_trip(
    format: &str,
    spec: &[u8],
    options: &WriteOptions,
) -> std::result::Result<(), String> {
    let target = discus::find(format).ok_or_else(|| format!("no format {format}"))?;
    let writer = target
        .writer
        .ok_or_else(|| format!("{format} does not write"))?;
    let single = !writer.capabilities.multi_track;
    let mut source = small_disc(spec, single);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let output = dir.path().join(format!("disc.{}", target.extensions[0]));
    let destination = Destination {
        path: output.clone(),
        force: false,
        inputs: Vec::new(),
        durable: false,
        run: None,
    };
    let plan = (writer.plan)(&source, options).map_err(|e| e.to_string())?;
    if !plan.losses.is_empty() {
        return Err(format!("{format} would lose: {:?}", plan.losses));
    }
    let sink = (writer.create)(&destination, &plan, options).map_err(|e| e.to_string())?;
    discus::core::convert(&mut source, &plan, sink, &ConvertOptions::default())
        .map_err(|e| e.to_string())?;
    let mut back = discus::open(&output).map_err(|e| e.to_string())?.source;
    let expected = raw_sectors(&mut source).map_err(|e| e.to_string())?;
    let got = raw_sectors(&mut *back).map_err(|e| e.to_string())?;
    let starts = |d: &Disc| {
        d.tracks()
            .map(|t| (t.number, t.mode, t.start, t.length))
            .collect::<Vec<_>>()
    };
    if starts(source.disc()) != starts(back.disc()) {
        return Err(format!(
            "{format}: layout {:?} came back as {:?}",
            starts(source.disc()),
            starts(back.disc())
        ));
    }
    for ((number, mode, want), (_, _, have)) in expected.iter().zip(&got) {
        if want != have {
            let at = want
                .chunks(2352)
                .zip(have.chunks(2352))
                .position(|(a, b)| a != b);
            return Err(format!(
                "{format}: track {number} ({}) differs at sector {at:?} (lengths {} and {})",
                mode.name(),
                want.len() / 2352,
                have.len() / 2352
            ));
        }
    }
    Ok(())
}

/// The formats whose writer the round trip covers.
pub fn writers() -> Vec<&'static str> {
    discus::formats()
        .iter()
        .filter(|f| f.writer.is_some())
        .map(|f| f.name)
        .collect()
}

/// Opens `path` only to list the files an image is made of.
pub fn files_of(path: &Path) -> Vec<PathBuf> {
    discus::open(path)
        .map(|o| o.source.files())
        .unwrap_or_default()
}

/// Bytes of each file read at most by [`read_filesystem`]: enough to cross extents and blocks.
const FILE_BYTES: u64 = 256 * 1024;

/// Writes `bytes` (padded to whole 2048-byte sectors) as an ISO in the scratch folder, opens its
/// filesystems, reads every tree the descriptors name, the boot catalog, and the start of every
/// file. It may fail; it must never panic, hang, or allocate what the bytes merely claim.
pub fn read_filesystem(bytes: &[u8]) -> Result<u64> {
    use std::io::Read;
    let iso = discus::find("iso").ok_or_else(|| Error::Usage("no iso format".into()))?;
    let path = scratch().join("fs.iso");
    let mut padded = bytes.to_vec();
    padded.resize(bytes.len().div_ceil(2048).max(1) * 2048, 0);
    std::fs::write(&path, &padded).map_err(|e| Error::io(&path, e))?;
    let opened = discus::open_as(&path, iso)?;
    let mut image = discus::fs::Image::open(opened.source, &path)?;
    let mut read = 0u64;
    let _ = image.boot_entries();
    for kind in image.trees() {
        let Ok(tree) = image.tree(Some(kind)) else {
            continue;
        };
        for node in &tree.nodes {
            if node.kind != discus::fs::Kind::File {
                continue;
            }
            if let Ok(stream) = image.open_file(node) {
                let mut sink = Vec::new();
                read += stream.take(FILE_BYTES).read_to_end(&mut sink).unwrap_or(0) as u64;
            }
        }
    }
    Ok(read)
}
