//! The reading half: a parsed TOC and its data files become the disc and a source.
//!
//! cdrdao lays the tracks out back to back from the first sector after the standard 2-second
//! pregap (LBA 0); each track is the sum of its pieces (FILE, DATAFILE, SILENCE, ZERO, PREGAP),
//! and `START` says how many of its first sectors are the pregap. Zeros before `START` are a
//! pregap no file holds; zeros at the end of a track that has file data are its postgap; zeros
//! anywhere else are sectors of the track that the TOC spells out, generated when read.
//!
//! A track is served in the form its file keeps when the model has one (2048, 2336, 2352, 2448);
//! otherwise each sector is built the way cdrdao builds it when it burns the TOC: 2324-byte
//! `MODE2_FORM2` data gets the Form 2 subheader and its EDC, `ZERO MODE0` becomes Mode 0 sectors,
//! and a track with subchannel (`RW`, `RW_RAW`) is served raw with its 96 bytes, packed R–W being
//! interleaved with its parity and joined to P and Q made from the layout.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use discus_core::ecm::Input;
use discus_core::sector::subchannel::{Generator, rw_packed_to_raw};
use discus_core::sector::{
    MODE2_SIZE, RAW_SIZE, SUBCHANNEL_SIZE, encode_mode0, form2_body_from_user_data,
    transcode_on_one_thread,
};
use discus_core::stream::generate;
use discus_core::{
    Check, Control, Disc, Error, Form, Gap, Index, Lba, Result, SectorSource, Subchannel, Track,
    TrackMode,
};

use crate::parse::{Mode, Piece, Pos, Start, Sub, Toc, TocTrack, parse};

/// Where a run of a track's sectors comes from.
#[derive(Clone, Copy, Debug)]
struct Extent {
    first: Lba,
    sectors: u32,
    /// The file (index in `files`) and the byte of the extent's first sector; `None` for zeros.
    file: Option<(usize, u64)>,
    swap: bool,
    /// `ZERO MODE0`: Mode 0 sectors.
    mode0: bool,
}

/// What one sector of a track is made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    File,
    Zero,
    Mode0,
}

/// How a track keeps its sectors and how they are served.
#[derive(Clone, Copy, Debug)]
struct Storage {
    /// cdrdao's mode: the shape of a sector in the file.
    mode: Mode,
    sub: Sub,
    /// The form sectors are served in.
    form: Form,
    /// The track's first sector, where its stream of subchannel packs begins.
    first: Lba,
}

impl Storage {
    /// Bytes of one sector and its subchannel in the file.
    fn record(&self) -> usize {
        (self.mode.sector_bytes() + self.sub.bytes()) as usize
    }

    /// Whether the file's records are the served sectors as they are (zeros and Mode 0 apart).
    fn direct(&self) -> bool {
        self.mode != Mode::Mode2Form2
            && self.sub != Sub::Packed
            && self.form.without_subchannel() == main_form(self.mode)
    }
}

/// An open TOC image.
#[derive(Debug)]
pub(crate) struct TocSource {
    disc: Disc,
    storage: Vec<Storage>,
    extents: Vec<Vec<Extent>>,
    /// P and Q of each track, for the subchannel of sectors whose file keeps only R–W or none.
    generators: Vec<Generator>,
    toc_path: PathBuf,
    files: Vec<(PathBuf, Input)>,
    warnings: Vec<String>,
    /// Records read from the files before they are built into sectors.
    scratch: Vec<u8>,
}

/// The model's form closest to how a cdrdao mode keeps a sector (without subchannel). A 2324-byte
/// Form 2 sector widens to the 2336-byte Mode 2 body. MODE0 is never a track's mode (the parser
/// refuses it); its 2336 bytes would be a Mode 2 body.
fn main_form(mode: Mode) -> Form {
    match mode {
        Mode::Audio | Mode::Mode1Raw | Mode::Mode2Raw => Form::Raw,
        Mode::Mode1 | Mode::Mode2Form1 => Form::Cooked,
        Mode::Mode0 | Mode::Mode2 | Mode::Mode2FormMix | Mode::Mode2Form2 => Form::Mode2,
    }
}

/// The form a track is served in: its own, unless subchannel (which the model carries only after
/// raw sectors) or Mode 0 sectors (which only raw sectors hold) need it raw.
fn form_of(mode: Mode, sub: Sub, has_mode0: bool) -> Form {
    match (sub, has_mode0) {
        (Sub::Raw | Sub::Packed, _) => Form::RawSub,
        (Sub::None, true) => Form::Raw,
        (Sub::None, false) => main_form(mode),
    }
}

fn track_mode(mode: Mode, xa: bool) -> TrackMode {
    match mode {
        Mode::Audio => TrackMode::Audio,
        Mode::Mode1 | Mode::Mode1Raw | Mode::Mode0 => TrackMode::Mode1,
        Mode::Mode2 => TrackMode::Mode2,
        Mode::Mode2Raw if !xa => TrackMode::Mode2,
        Mode::Mode2Form1 | Mode::Mode2Form2 | Mode::Mode2FormMix | Mode::Mode2Raw => {
            TrackMode::Mode2Xa
        }
    }
}

/// The data files of a TOC, opened once each.
struct Files<'a> {
    toc: &'a Path,
    /// Each file and the bytes of its sectors (a WAVE file's samples).
    open: Vec<(PathBuf, Input, u64)>,
    /// Where each file's sectors begin (after a WAVE header).
    bases: Vec<u64>,
    by_name: HashMap<String, usize>,
    warnings: Vec<String>,
}

impl Files<'_> {
    /// The file a FILE statement names: relative to the TOC's folder, else its base name there.
    fn get(&mut self, name: &str, pos: Pos) -> Result<usize> {
        if let Some(&index) = self.by_name.get(name) {
            return Ok(index);
        }
        let folder = match self.toc.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let written = folder.join(name);
        // A data file kept as `name.ecm` is read through ECM.
        let path = if let Some(found) = discus_core::ecm::resolve(&written) {
            found
        } else {
            let base = Path::new(name).file_name().map(|b| folder.join(b));
            match base.filter(|b| b.is_file()) {
                Some(beside) => {
                    self.warnings.push(format!(
                        "{}: line {}: '{name}' not found; using '{}'",
                        self.toc.display(),
                        pos.line,
                        beside.display()
                    ));
                    beside
                }
                None => {
                    return Err(pos.error(
                        self.toc,
                        format!("FILE '{name}' not found in {}", folder.display()),
                    ));
                }
            }
        };
        let file = Input::open(&path)?;
        let mut len = file.len(&path)?;
        let mut base = 0;
        // cdrdao reads a `.wav` from its samples on (offsets count from there), as a cue sheet's
        // WAVE file is read: through the one WAVE reader of the core.
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("wav"))
        {
            let Input::Plain(plain) = &file else {
                return Err(pos.error(
                    self.toc,
                    format!("'{name}' is a WAVE file kept as ECM; discus reads WAVE files plain"),
                ));
            };
            let samples = discus_core::wave::samples(&path, plain, len, &mut self.warnings)?;
            base = samples.offset;
            len = samples.len;
        }
        self.bases.push(base);
        self.open.push((path, file, len));
        let index = self.open.len() - 1;
        self.by_name.insert(name.to_string(), index);
        Ok(index)
    }
}

/// A piece with its length known.
struct Sized {
    sectors: u32,
    file: Option<(usize, u64)>,
    swap: bool,
    mode0: bool,
}

impl Sized {
    /// Whether the piece's sectors are not what the core generates for the track: file data, or
    /// Mode 0 sectors in a track of another mode.
    fn stored(&self) -> bool {
        self.file.is_some() || self.mode0
    }
}

/// The lengths of a track's pieces, checked against their files.
fn size_pieces(track: &TocTrack, files: &mut Files<'_>, size: u64) -> Result<Vec<Sized>> {
    let mut sized = Vec::new();
    if let Some(pregap) = track.pregap {
        sized.push(Sized {
            sectors: pregap,
            file: None,
            swap: false,
            mode0: false,
        });
    }
    for piece in &track.pieces {
        match piece {
            Piece::Zero { sectors, mode0, .. } => sized.push(Sized {
                sectors: *sectors,
                file: None,
                swap: false,
                mode0: *mode0,
            }),
            Piece::File {
                name,
                swap,
                byte,
                sectors,
                pos,
            } => {
                let index = files.get(name, *pos)?;
                let (path, _, len) = &files.open[index];
                if *byte > *len {
                    return Err(pos.error(
                        files.toc,
                        format!(
                            "the data starts at byte {byte}, past the end of '{}' ({len} bytes)",
                            path.display()
                        ),
                    ));
                }
                let sectors = match sectors {
                    Some(n) => {
                        let need = u64::from(*n) * size;
                        if byte + need > *len {
                            return Err(pos.error(
                                files.toc,
                                format!(
                                    "{n} sectors of {size} bytes from byte {byte} need {} bytes; '{}' has {len}",
                                    byte + need,
                                    path.display()
                                ),
                            ));
                        }
                        *n
                    }
                    None => {
                        let rest = len - byte;
                        if rest % size != 0 && track.sub != Sub::None {
                            // The bytes cut off are the subchannel of the last sector (or more):
                            // reading on would shift every sector's subchannel, and padding
                            // would invent it.
                            return Err(pos.error(
                                files.toc,
                                format!(
                                    "'{}' ends {} bytes into the sector at byte {}: a sector with its subchannel is {size} bytes",
                                    path.display(),
                                    rest % size,
                                    byte + rest / size * size
                                ),
                            ));
                        }
                        if rest % size != 0 {
                            files.warnings.push(format!(
                                "{}: line {}: the last {} bytes of '{}' are not a whole {size}-byte sector and are ignored",
                                files.toc.display(),
                                pos.line,
                                rest % size,
                                path.display()
                            ));
                        }
                        u32::try_from(rest / size).map_err(|_| {
                            pos.error(files.toc, "more sectors than a disc can address")
                        })?
                    }
                };
                sized.push(Sized {
                    sectors,
                    file: Some((index, files.bases[index] + *byte)),
                    swap: *swap,
                    mode0: false,
                });
            }
        }
    }
    Ok(sized)
}

impl TocSource {
    pub(crate) fn open(path: &Path) -> Result<TocSource> {
        let bytes = discus_core::flat::read_sheet(path, 16 << 20, "a TOC file")?;
        if let Some(at) = bytes.iter().position(|&b| b == 0) {
            return Err(Error::at_offset(
                path,
                at as u64,
                "a NUL byte: this is not a TOC text file",
            ));
        }
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            // Older files are Latin-1.
            Err(e) => e.into_bytes().iter().map(|&b| char::from(b)).collect(),
        };
        let toc = parse(path, &text)?;
        TocSource::lay_out(path, &toc)
    }

    fn lay_out(path: &Path, toc: &Toc) -> Result<TocSource> {
        let mut files = Files {
            toc: path,
            open: Vec::new(),
            bases: Vec::new(),
            by_name: HashMap::new(),
            warnings: Vec::new(),
        };
        let mut tracks = Vec::new();
        let mut storage = Vec::new();
        let mut extents = Vec::new();
        let mut cursor: i64 = 0;
        let mut any_sub = false;
        for (number, toc_track) in (1u8..).zip(&toc.tracks) {
            let pos = toc_track.pos;
            let mode = toc_track.mode.unwrap_or(Mode::Audio);
            let size = mode.sector_bytes() + toc_track.sub.bytes();
            let sized = size_pieces(toc_track, &mut files, size)?;
            let has_mode0 = sized.iter().any(|piece| piece.mode0 && piece.sectors > 0);
            let form = form_of(mode, toc_track.sub, has_mode0);
            any_sub |= toc_track.sub != Sub::None;
            let total: u64 = sized.iter().map(|s| u64::from(s.sectors)).sum();
            // Where INDEX 01 is, from the track's first sector.
            let pregap: u64 = match (toc_track.pregap, toc_track.start) {
                (Some(pregap), _) => u64::from(pregap),
                (None, Some((Start::At(at), _))) => u64::from(at),
                (None, Some((Start::AfterPieces(n), _))) => {
                    sized.iter().take(n).map(|s| u64::from(s.sectors)).sum()
                }
                (None, None) => 0,
            };
            let start_pos = toc_track.start.map_or(pos, |(_, p)| p);
            if pregap > total || (pregap == total && total > 0) {
                return Err(start_pos.error(
                    path,
                    format!("track {number}: the pregap ({pregap} sectors) leaves no sector for the track ({total} in all)"),
                ));
            }
            if total == 0 {
                return Err(pos.error(path, format!("track {number} has no sectors")));
            }
            // Which pieces lie in the pregap decides whether it is stored.
            let mut offset = 0u64;
            let (mut zeros_before, mut files_before) = (false, false);
            for piece in &sized {
                if offset < pregap && piece.sectors > 0 {
                    if piece.stored() {
                        files_before = true;
                    } else {
                        zeros_before = true;
                    }
                }
                offset += u64::from(piece.sectors);
            }
            if zeros_before && files_before {
                return Err(Error::unsupported(
                    path,
                    format!(
                        "line {}, track {number}: the pregap is partly zeros and partly file data; discus keeps a pregap either stored or not",
                        start_pos.line
                    ),
                ));
            }
            // Zeros at the end of a track with file data after INDEX 01 are its postgap.
            let mut postgap = 0u64;
            let mut end = total;
            for piece in sized.iter().rev() {
                if piece.stored() || end - u64::from(piece.sectors) < pregap {
                    break;
                }
                end -= u64::from(piece.sectors);
                postgap += u64::from(piece.sectors);
            }
            let body_has_file = {
                let mut offset = 0u64;
                sized.iter().any(|piece| {
                    let begin = offset;
                    offset += u64::from(piece.sectors);
                    piece.stored() && offset > pregap && begin < total - postgap
                })
            };
            if !body_has_file {
                postgap = 0;
            }
            let length = total - pregap - postgap;
            let first =
                Lba(i32::try_from(cursor).map_err(|_| pos.error(path, "the disc is too long"))?);
            let start = Lba(first.0 + pregap as i32);
            let mut track = Track::new(number, track_mode(mode, toc.is_xa()), start, length as u32);
            track.pregap = Gap {
                sectors: pregap as u32,
                stored: files_before,
            };
            track.postgap = Gap::generated(postgap as u32);
            let mut control = 0;
            if toc_track.copy {
                control |= Control::COPY_PERMITTED;
            }
            if toc_track.pre_emphasis {
                control |= Control::PRE_EMPHASIS;
            }
            if toc_track.four_channel {
                control |= Control::FOUR_CHANNEL;
            }
            track.control = Control(control | (track.toc_control() & Control::DATA));
            track.isrc = toc_track.isrc.clone();
            track.text = toc_track.text.clone();
            let mut last = 0u32;
            for (number, &(at, at_pos)) in (2u8..).zip(&toc_track.indexes) {
                if at <= last || u64::from(at) >= length {
                    return Err(at_pos.error(
                        path,
                        format!("INDEX {number}: {at} sectors from the track start is not after the previous index and inside the track ({length} sectors)"),
                    ));
                }
                last = at;
                track.indexes.push(Index {
                    number,
                    lba: Lba(start.0 + at as i32),
                });
            }
            let mut lba = first;
            let mut runs = Vec::new();
            for piece in &sized {
                if piece.sectors > 0 {
                    runs.push(Extent {
                        first: lba,
                        sectors: piece.sectors,
                        file: piece.file,
                        swap: piece.swap,
                        mode0: piece.mode0,
                    });
                }
                lba = Lba(lba.0 + piece.sectors as i32);
            }
            cursor += total as i64;
            if cursor > i64::from(i32::MAX) {
                return Err(pos.error(path, "the disc is too long"));
            }
            tracks.push(track);
            storage.push(Storage {
                mode,
                sub: toc_track.sub,
                form,
                first,
            });
            extents.push(runs);
        }
        let generators = tracks.iter().map(Generator::new).collect();
        let mut disc = Disc::single_session(tracks);
        disc.catalog = toc.catalog.clone();
        disc.text = toc.text.clone();
        disc.subchannel = any_sub.then_some(Subchannel::Stored);
        Ok(TocSource {
            disc,
            storage,
            extents,
            generators,
            toc_path: path.to_path_buf(),
            files: files.open.into_iter().map(|(p, f, _)| (p, f)).collect(),
            warnings: files.warnings,
            scratch: Vec::new(),
        })
    }

    /// Reads the file records of `count` sectors of `track` from `first` into `out` (`record`
    /// bytes each; zeros where the TOC has zeros), and says what each sector is made from.
    fn fill_records(
        &self,
        track: usize,
        first: Lba,
        count: usize,
        out: &mut [u8],
        kinds: &mut Vec<Kind>,
    ) -> Result<()> {
        let storage = &self.storage[track];
        let record = storage.record();
        let main = storage.mode.sector_bytes() as usize;
        let runs = self
            .extents
            .get(track)
            .ok_or_else(|| Error::Usage(format!("no track at index {track}")))?;
        kinds.clear();
        let mut done = 0usize;
        while done < count {
            let at = Lba(first.0 + done as i32);
            let run = runs
                .iter()
                .find(|r| at >= r.first && at.distance_from(r.first) < i64::from(r.sectors))
                .ok_or_else(|| {
                    Error::Usage(format!("LBA {at} is in no piece of track {}", track + 1))
                })?;
            let into = at.distance_from(run.first) as u64;
            let take = (count - done).min((u64::from(run.sectors) - into) as usize);
            let dst = &mut out[done * record..(done + take) * record];
            let kind = match run.file {
                Some((file, byte)) => {
                    let (path, file) = &self.files[file];
                    file.read_exact_at(path, dst, byte + into * record as u64)?;
                    if run.swap {
                        // Big-endian samples (SWAP): the main channel's bytes change places in pairs.
                        for sector in dst.chunks_exact_mut(record) {
                            discus_core::sector::swap_sample_bytes(
                                &mut sector[..main.min(RAW_SIZE)],
                            );
                        }
                    }
                    Kind::File
                }
                None => {
                    dst.fill(0);
                    if run.mode0 { Kind::Mode0 } else { Kind::Zero }
                }
            };
            kinds.extend(std::iter::repeat_n(kind, take));
            done += take;
        }
        Ok(())
    }

    /// Builds `count` sectors of a track whose file does not keep them in the served form.
    fn read_built(&mut self, track: usize, lba: Lba, count: usize, buf: &mut [u8]) -> Result<()> {
        let storage = self.storage[track];
        let mode = self
            .disc
            .track(track)
            .ok_or_else(|| Error::Usage(format!("no track at index {track}")))?
            .mode;
        let record = storage.record();
        let main = storage.mode.sector_bytes() as usize;
        let size = storage.form.size();
        // Packed R–W is interleaved over eight packs: the two sectors before feed the delay.
        let history = match storage.sub {
            Sub::Packed => lba.distance_from(storage.first).clamp(0, 2) as usize,
            Sub::None | Sub::Raw => 0,
        };
        let first = Lba(lba.0 - history as i32);
        let mut records = std::mem::take(&mut self.scratch);
        records.clear();
        records.resize((history + count) * record, 0);
        let mut kinds = Vec::with_capacity(history + count);
        let filled = self.fill_records(track, first, history + count, &mut records, &mut kinds);
        if let Err(e) = filled {
            self.scratch = records;
            return Err(e);
        }
        let mut rw = Vec::new();
        if storage.sub == Sub::Packed {
            let packed: Vec<u8> = records
                .chunks_exact(record)
                .flat_map(|r| r[main..].iter().copied())
                .collect();
            rw.resize(count * SUBCHANNEL_SIZE, 0);
            rw_packed_to_raw(history, &packed, &mut rw);
        }
        let served = storage.form.without_subchannel();
        let from = main_form(storage.mode);
        let generator = &self.generators[track];
        let mut body = [0u8; MODE2_SIZE];
        for (i, sector) in buf.chunks_exact_mut(size).take(count).enumerate() {
            let at = Lba(lba.0 + i as i32);
            let stored = &records[(history + i) * record..(history + i + 1) * record];
            let kind = kinds[history + i];
            let (main_out, sub_out) = sector.split_at_mut(served.size());
            match kind {
                Kind::Mode0 => encode_mode0(at, main_out),
                Kind::Zero => generate(mode, at, served, main_out, None),
                Kind::File => {
                    let data = if storage.mode == Mode::Mode2Form2 {
                        form2_body_from_user_data(&stored[..main], &mut body);
                        &body[..]
                    } else {
                        &stored[..main]
                    };
                    // cooked → raw regenerates sync, header, EDC and ECC as cdrdao's encoder
                    // does; nothing is stripped, so there is nothing to check.
                    transcode_on_one_thread(
                        mode,
                        at,
                        from,
                        data,
                        served,
                        main_out,
                        None,
                        &mut Check::default(),
                    );
                }
            }
            if storage.form.has_subchannel() {
                match (storage.sub, kind) {
                    (Sub::Raw, Kind::File) => sub_out.copy_from_slice(&stored[main..]),
                    (Sub::Packed, _) => {
                        // cdrdao keeps only R–W from the file and makes P and Q itself.
                        generator.write(at, sub_out);
                        let rw = &rw[i * SUBCHANNEL_SIZE..(i + 1) * SUBCHANNEL_SIZE];
                        for (byte, symbol) in sub_out.iter_mut().zip(rw) {
                            *byte = (*byte & 0xC0) | symbol;
                        }
                    }
                    // Zeros have zero R–W; P and Q are the layout's.
                    _ => generator.write(at, sub_out),
                }
            }
        }
        self.scratch = records;
        Ok(())
    }
}

impl SectorSource for TocSource {
    fn disc(&self) -> &Disc {
        &self.disc
    }

    fn stored_form(&self, track: usize) -> Form {
        self.storage.get(track).map_or(Form::Raw, |s| s.form)
    }

    fn read(&mut self, track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
        let storage = *self
            .storage
            .get(track)
            .ok_or_else(|| Error::Usage(format!("no track at index {track}")))?;
        let size = storage.form.size();
        let count = buf.len() / size;
        if !storage.direct() {
            return self.read_built(track, lba, count, buf);
        }
        let mode = self
            .disc
            .track(track)
            .ok_or_else(|| Error::Usage(format!("no track at index {track}")))?
            .mode;
        let mut kinds = Vec::with_capacity(count);
        self.fill_records(track, lba, count, &mut buf[..count * size], &mut kinds)?;
        let generator = self.generators.get(track);
        let mut i = 0;
        while i < count {
            let kind = kinds[i];
            let run = kinds[i..].iter().take_while(|&&k| k == kind).count();
            let at = Lba(lba.0 + i as i32);
            let sectors = &mut buf[i * size..(i + run) * size];
            match kind {
                Kind::File => {}
                Kind::Zero => generate(mode, at, storage.form, sectors, generator),
                Kind::Mode0 => {
                    for (n, sector) in sectors.chunks_exact_mut(size).enumerate() {
                        let at = Lba(at.0 + n as i32);
                        encode_mode0(at, sector);
                        if let (true, Some(generator)) = (storage.form.has_subchannel(), generator)
                        {
                            generator.write(at, &mut sector[RAW_SIZE..]);
                        }
                    }
                }
            }
            i += run;
        }
        Ok(())
    }

    fn files(&self) -> Vec<PathBuf> {
        std::iter::once(self.toc_path.clone())
            .chain(self.files.iter().map(|(p, _)| p.clone()))
            .collect()
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A TOC `text` beside a data file `data.bin` of `bytes`.
    fn open(text: &str, bytes: &[u8]) -> (tempfile::TempDir, Result<TocSource>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("data.bin"), bytes).unwrap();
        let toc = dir.path().join("t.toc");
        std::fs::write(&toc, text).unwrap();
        let source = TocSource::open(&toc);
        (dir, source)
    }

    #[test]
    fn zeros_before_start_are_a_generated_pregap_and_at_the_end_a_postgap() {
        let data = vec![7u8; 2352 * 10];
        let (_dir, source) = open(
            "TRACK AUDIO\nFILE \"data.bin\" 0 0:0:4\n\nTRACK MODE1_RAW\nZERO 0:0:3\nSTART\nDATAFILE \"data.bin\" #9408 0:0:5\nZERO 0:0:2\n",
            &data,
        );
        let source = source.unwrap();
        let tracks: Vec<_> = source.disc().tracks().cloned().collect();
        assert_eq!((tracks[0].start, tracks[0].length), (Lba(0), 4));
        assert_eq!(tracks[1].pregap, Gap::generated(3));
        assert_eq!((tracks[1].start, tracks[1].length), (Lba(7), 5));
        assert_eq!(tracks[1].postgap, Gap::generated(2));
        assert_eq!(source.disc().lead_out(), Some(Lba(14)));
    }

    #[test]
    fn zeros_inside_a_track_and_swapped_audio_are_read() {
        let mut data = vec![0u8; 2352 * 2];
        data[0] = 1;
        let (_dir, source) = open(
            "TRACK AUDIO\nFILE \"data.bin\" SWAP 0 0:0:1\nSILENCE 0:0:1\nFILE \"data.bin\" 0:0:1 0:0:1\n",
            &data,
        );
        let mut source = source.unwrap();
        assert_eq!(source.disc().tracks().next().unwrap().length, 3);
        let mut buf = vec![9u8; 2352 * 3];
        source.read(0, Lba(0), &mut buf).unwrap();
        // SWAP exchanges the bytes of each sample; the silence is zeros.
        assert_eq!((buf[0], buf[1]), (0, 1));
        assert!(buf[2352..].iter().all(|&b| b == 0));
    }

    #[test]
    fn data_past_the_end_of_its_file_is_refused_at_its_line() {
        let (_dir, source) = open("TRACK AUDIO\n\nFILE \"data.bin\" 0 0:0:3\n", &[0u8; 2352]);
        let said = source.unwrap_err().to_string();
        assert!(
            said.contains("line 3, column 1") && said.contains("has 2352"),
            "{said}"
        );
        let (_dir, source) = open(
            "TRACK MODE1\nDATAFILE \"data.bin\"\nSTART 0:0:5\n",
            &[0u8; 4096],
        );
        let said = source.unwrap_err().to_string();
        assert!(
            said.contains("line 3, column 1") && said.contains("pregap"),
            "{said}"
        );
    }

    #[test]
    fn raw_subchannel_is_stored() {
        let (_dir, source) = open(
            "TRACK MODE1_RAW RW_RAW\nDATAFILE \"data.bin\"\n",
            &[0u8; 2448 * 2],
        );
        let source = source.unwrap();
        assert_eq!(source.stored_form(0), Form::RawSub);
        assert_eq!(source.disc().subchannel, Some(Subchannel::Stored));
        assert_eq!(source.disc().tracks().next().unwrap().length, 2);
    }

    #[test]
    fn packed_subchannel_reads_the_same_sector_by_sector_as_in_one_run() {
        // The interleave reaches two sectors back: a run that starts mid-track must see them.
        let mut file = Vec::new();
        for i in 0..10u32 {
            file.extend(std::iter::repeat_n(i as u8, 2352));
            file.extend((0..96u32).map(|j| ((i * 13 + j * 7) % 64) as u8));
        }
        let (_dir, source) = open("TRACK AUDIO RW\nDATAFILE \"data.bin\"\n", &file);
        let mut source = source.unwrap();
        assert_eq!(source.stored_form(0), Form::RawSub);
        let mut whole = vec![0u8; 2448 * 10];
        source.read(0, Lba(0), &mut whole).unwrap();
        for i in 0..10 {
            let mut one = vec![0u8; 2448];
            source.read(0, Lba(i as i32), &mut one).unwrap();
            assert_eq!(one[..], whole[i * 2448..(i + 1) * 2448], "sector {i}");
        }
        // R–W moved: sector 0's subchannel is not the file's bytes.
        assert_ne!(whole[2352..2448], file[2352..2448]);
    }

    #[test]
    fn form2_and_mode0_sectors_are_built() {
        let (_dir, source) = open(
            "CD_ROM_XA\nTRACK MODE2_FORM2\nZERO MODE0 0:0:1\nDATAFILE \"data.bin\"\n",
            &[5u8; 2324 * 2],
        );
        let mut source = source.unwrap();
        // Mode 0 sectors only fit raw sectors.
        assert_eq!(source.stored_form(0), Form::Raw);
        let mut buf = vec![0u8; 2352 * 3];
        source.read(0, Lba(0), &mut buf).unwrap();
        assert_eq!(buf[15], 0);
        assert!(buf[16..2352].iter().all(|&b| b == 0));
        assert_eq!(buf[2352 + 15], 2);
        assert_eq!(buf[2352 + 16..2352 + 24], [0, 0, 0x20, 0, 0, 0, 0x20, 0]);
        assert!(buf[2352 + 24..2352 + 24 + 2324].iter().all(|&b| b == 5));
    }
}
