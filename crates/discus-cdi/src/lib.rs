//! DiscJuggler images (`.cdi`, versions 2, 3 and 3.5) for discus: read only.
//!
//! A CDI file is the sector data of every track, pregap included, one track after the other
//! from byte 0, then a descriptor that says where the tracks are on the disc, in which mode and
//! sector size (2048, 2336, 2352, or 2352 followed by 16 bytes of Q or 96 bytes of P–W
//! subchannel), and the sessions — a Dreamcast image is an audio session and a data session.
//! The descriptor's layout is in [`descriptor`]; what discus makes of it is in
//! `docs/formats/cdi.md`.

pub mod descriptor;

use std::fs::File;
use std::path::{Path, PathBuf};

use descriptor::{
    DiscBlock, MAX_DESCRIPTOR, MEDIUM_CD_ROM, MEDIUM_DVD_ROM, TEXT_FIELDS, TrackBlock, Trailer,
};
use discus_core::cd_text;
use discus_core::flat::read_exact_at;
use discus_core::sector::subchannel::Generator;
use discus_core::{
    Confidence, Control, Disc, Error, Form, Format, Gap, Index, IoContext, Lba, Medium, Probe,
    Result, SectorSource, Session, Subchannel, Track, TrackMode,
};

/// The CDI format.
pub static FORMAT: Format = Format {
    name: "cdi",
    description: "CDI: a DiscJuggler image (v2, v3, v3.5), read only",
    extensions: &["cdi"],
    probe,
    open,
    writer: None,
};

/// The sectors before LBA 0 that DiscJuggler stores at the head of the first track.
const STANDARD_PREGAP: u32 = 150;

/// The field of a track's CD-TEXT block that holds the track's title: the one field whose
/// meaning a public reader states (Aaru reads field 10 as the title; libmirage and the others
/// skip the fields without naming them).
const TITLE_FIELD: usize = 10;

fn probe(probe: &Probe<'_>) -> Confidence {
    let last8 = probe
        .tail
        .len()
        .checked_sub(8)
        .and_then(|at| probe.tail.get(at..));
    let Some(trailer) = last8.and_then(|t| Trailer::parse(t, probe.len)) else {
        return if probe.has_extension(FORMAT.extensions) {
            Confidence::Extension
        } else {
            Confidence::No
        };
    };
    // A descriptor within the probed tail (the usual few hundred bytes) is parsed whole: a raw
    // sector at byte 0 must not outrank it.
    let tail_start = probe.len - probe.tail.len() as u64;
    let parsed = trailer.start >= tail_start
        && probe
            .tail
            .get((trailer.start - tail_start) as usize..probe.tail.len() - 8)
            .is_some_and(|bytes| {
                descriptor::parse(probe.path, trailer.version, bytes, trailer.start).is_ok()
            });
    if parsed || probe.has_extension(FORMAT.extensions) {
        Confidence::Magic
    } else {
        Confidence::Structure
    }
}

/// Where and how a track's stored sectors lie in the file.
#[derive(Clone, Copy, Debug)]
struct Stored {
    /// The byte of the track's first stored sector (its pregap's first, as the model has it).
    offset: u64,
    /// Bytes per sector in the file: the form's size, or 2368 with 16 bytes of Q after each.
    stride: usize,
    /// The form the track is read in.
    form: Form,
}

/// An open CDI image.
#[derive(Debug)]
struct CdiSource {
    path: PathBuf,
    file: File,
    disc: Disc,
    stored: Vec<Stored>,
    details: Vec<(String, String)>,
    warnings: Vec<String>,
    /// Reused for sectors whose stride is not their form's size.
    scratch: Vec<u8>,
}

/// The sector size and form of a read mode.
fn read_mode(mode: u32) -> Option<(usize, Form)> {
    Some(match mode {
        0 => (2048, Form::Cooked),
        1 => (2336, Form::Mode2),
        2 => (2352, Form::Raw),
        3 => (2368, Form::Raw),
        4 => (2448, Form::RawSub),
        _ => return None,
    })
}

fn open(path: &Path) -> Result<Box<dyn SectorSource>> {
    let file = File::open(path).with_path(path)?;
    let len = file.metadata().with_path(path)?.len();
    let mut last8 = [0u8; 8];
    let trailer_at = len.checked_sub(8).ok_or_else(|| {
        Error::at_offset(
            path,
            0,
            "a CDI image ends with an 8-byte trailer; this file is shorter",
        )
    })?;
    read_exact_at(&file, path, &mut last8, trailer_at)?;
    let trailer = Trailer::parse(&last8, len).ok_or_else(|| {
        Error::at_offset(
            path,
            trailer_at,
            "no DiscJuggler trailer: the last 8 bytes are not a version (0x80000004-0x80000006) and a descriptor offset inside the file",
        )
    })?;
    let size = trailer_at - trailer.start;
    if size > MAX_DESCRIPTOR {
        return Err(Error::at_offset(
            path,
            trailer_at,
            format!(
                "the trailer places a {size}-byte descriptor at byte {}; DiscJuggler's are a few KiB",
                trailer.start
            ),
        ));
    }
    let mut bytes = vec![0u8; size as usize];
    read_exact_at(&file, path, &mut bytes, trailer.start)?;
    let descriptor = descriptor::parse(path, trailer.version, &bytes, trailer.start)?;
    let mut source = CdiSource {
        path: path.to_path_buf(),
        file,
        disc: Disc::default(),
        stored: Vec::new(),
        details: vec![
            ("version".into(), format!("DiscJuggler {}", trailer.name())),
            (
                "descriptor".into(),
                format!("{size} bytes at byte {}", trailer.start),
            ),
        ],
        warnings: Vec::new(),
        scratch: Vec::new(),
    };
    if let Some(unread) = descriptor.unread {
        source.warnings.push(format!(
            "{} bytes after the sessions, from byte {}, are not a disc block discus knows; its volume name, catalog and CD-TEXT are not read",
            unread.count, unread.at
        ));
    }
    if source.medium(&descriptor.sessions, descriptor.disc.as_ref())? == MEDIUM_DVD_ROM {
        source.lay_out_dvd(&descriptor.sessions, trailer.start)?;
    } else {
        source.lay_out(&descriptor.sessions, trailer.start)?;
        source.track_text(&descriptor.sessions);
    }
    if let Some(block) = &descriptor.disc {
        source.disc_block(block);
    }
    Ok(Box::new(source))
}

/// A CD-TEXT field or volume name as text: DiscJuggler stores single-byte text (read as ISO
/// 8859-1, of which ASCII is a part), sometimes NUL-terminated.
fn text_of(bytes: &[u8]) -> Option<String> {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let text: String = bytes[..end].iter().map(|&b| char::from(b)).collect();
    let text = text.trim_end();
    (!text.is_empty()).then(|| text.to_string())
}

impl CdiSource {
    /// The disc's medium type: the first header that has one (the first track's, as libmirage
    /// takes it; else the disc block's). Headers that disagree with it are a warning; a type
    /// that is neither CD-ROM nor DVD-ROM is read as a CD, with a warning.
    fn medium(&mut self, sessions: &[Vec<TrackBlock>], disc: Option<&DiscBlock>) -> Result<u16> {
        let headers = sessions
            .iter()
            .flatten()
            .map(|b| (b.offset, b.medium))
            .chain(disc.map(|d| (d.offset, d.medium)));
        let mut chosen: Option<(u64, u16)> = None;
        for (at, medium) in headers {
            let Some(medium) = medium else { continue };
            match chosen {
                None => chosen = Some((at, medium)),
                Some((_, first)) if first != medium => self.warnings.push(format!(
                    "the block at byte {at} gives medium type {medium:#04x}, the first {first:#04x}; the first is read"
                )),
                Some(_) => {}
            }
        }
        let Some((_, medium)) = chosen else {
            return Ok(MEDIUM_CD_ROM);
        };
        let name = match medium {
            MEDIUM_CD_ROM => "CD-ROM",
            MEDIUM_DVD_ROM => "DVD-ROM",
            other => {
                self.warnings.push(format!(
                    "medium type {other:#04x} is neither CD-ROM (0x98) nor DVD-ROM (0x38); the image is read as a CD"
                ));
                "unknown, read as a CD"
            }
        };
        self.details
            .push(("medium type".into(), format!("{medium:#04x} ({name})")));
        Ok(medium)
    }

    /// A DVD image: one Mode 1 track in 2048-byte sectors, which DiscJuggler stores after the
    /// same 150-sector pregap it gives a CD. A DVD has no pregap, tracks or CD addresses, so the
    /// model is the sectors after it from sector 0, as Aaru reads such an image.
    fn lay_out_dvd(&mut self, sessions: &[Vec<TrackBlock>], data_end: u64) -> Result<()> {
        let path = self.path.clone();
        let blocks: Vec<&TrackBlock> = sessions.iter().flatten().collect();
        let [block] = blocks.as_slice() else {
            let at = blocks.first().map_or(0, |b| b.offset);
            return Err(Error::at_offset(
                &path,
                at,
                format!(
                    "a DVD image (medium type 0x38) with {} tracks: a DVD is one track of 2048-byte sectors",
                    blocks.len()
                ),
            ));
        };
        let fail = |message: String| Error::at_offset(&path, block.offset, message);
        if block.mode != 1 || block.read_mode != 0 {
            return Err(fail(format!(
                "a DVD image (medium type 0x38) whose track has mode {} and read mode {}: a DVD is Mode 1 in 2048-byte sectors (mode 1, read mode 0)",
                block.mode, block.read_mode
            )));
        }
        check_lengths(block, 1, 2048, 0, data_end).map_err(fail)?;
        let pregap = block.indexes[0];
        let length = block.total - pregap;
        let first_data = i64::from(block.start) - i64::from(STANDARD_PREGAP) + i64::from(pregap);
        if first_data != 0 {
            self.warnings.push(format!(
                "the DVD track's data is placed at LBA {first_data}; a DVD's begins at sector 0, where discus reads it"
            ));
        }
        let skipped = u64::from(pregap) * 2048;
        let mut head = vec![0u8; usize::try_from(skipped).unwrap_or(0)];
        read_exact_at(&self.file, &path, &mut head, 0)?;
        if head.iter().any(|&b| b != 0) {
            self.warnings.push(format!(
                "the {pregap} sectors DiscJuggler stores before the DVD's data are not empty; a DVD has no place for them and they are not read"
            ));
        }
        let medium = match Medium::for_user_data(u64::from(length)) {
            Medium::Cd => Medium::Dvd {
                layers: 1,
                layer_break: None,
            },
            other => other,
        };
        self.disc = Disc {
            medium,
            ..Disc::single_session(vec![Track::new(1, TrackMode::Mode1, Lba(0), length)])
        };
        self.stored.push(Stored {
            offset: skipped,
            stride: 2048,
            form: Form::Cooked,
        });
        self.details.push((
            "DVD".into(),
            format!("{length} sectors of 2048 bytes after {pregap} stored pregap sectors"),
        ));
        let end = (u64::from(block.total)) * 2048;
        if end < data_end {
            self.warnings.push(format!(
                "{} bytes between the last track's data and the descriptor belong to no track",
                data_end - end
            ));
        }
        Ok(())
    }

    /// Puts the first language's CD-TEXT title on each track, and lists every field of every
    /// language in the details: only the title's place among the 18 fields is known.
    fn track_text(&mut self, sessions: &[Vec<TrackBlock>]) {
        let tracks = self.disc.sessions.iter_mut().flat_map(|s| &mut s.tracks);
        for (track, block) in tracks.zip(sessions.iter().flatten()) {
            if let Some(first) = block.text.first() {
                track.text.title = first.get(TITLE_FIELD).and_then(|f| text_of(f));
            }
            let listed: Vec<String> = block
                .text
                .iter()
                .enumerate()
                .map(|(language, fields)| {
                    let set: Vec<String> = fields
                        .iter()
                        .enumerate()
                        .filter_map(|(i, f)| text_of(f).map(|t| format!("{i} {t:?}")))
                        .collect();
                    format!("block {language}: {}", set.join(", "))
                })
                .collect();
            if !listed.is_empty() {
                self.details.push((
                    format!("track {} CD-TEXT", track.number),
                    format!(
                        "{} ({TEXT_FIELDS} fields per block, numbered from 0; field {TITLE_FIELD} is the title)",
                        listed.join("; ")
                    ),
                ));
            }
        }
    }

    /// The disc block: the catalog number onto the disc, the lead-in's CD-TEXT packs as the
    /// disc's (and decoded into its and its tracks' text), the volume name and size in the
    /// details.
    fn disc_block(&mut self, block: &DiscBlock) {
        if let Some(volume) = text_of(&block.volume) {
            self.details.push(("volume name".into(), volume));
        }
        self.details.push((
            "disc size".into(),
            format!("{} sectors, as the disc block gives it", block.sectors),
        ));
        if let Some((catalog, at)) = &block.catalog {
            let digits = catalog.iter().all(u8::is_ascii_digit);
            if digits && self.disc.medium.is_cd() {
                self.disc.catalog = Some(String::from_utf8_lossy(catalog).into_owned());
            } else if !digits {
                self.warnings.push(format!(
                    "the catalog number at byte {at} is marked as set but is not 13 digits; it is not kept"
                ));
            }
        }
        let (bytes, at) = &block.cd_text;
        if bytes.is_empty() || !self.disc.medium.is_cd() {
            return;
        }
        // The track blocks' titles were set first and are kept: each is DiscJuggler's own record
        // of its track, where the packs' strings reach a track only by counting along the
        // lead-in. The packs give the rest (performer, songwriter, the disc's fields).
        let warnings = cd_text::read_into(&mut self.disc, bytes);
        self.warnings.extend(
            warnings
                .iter()
                .map(|w| format!("the disc block's CD-TEXT at byte {at}: {w}")),
        );
        if let Some(packs) = &self.disc.cd_text_packs {
            self.details.push((
                "CD-TEXT".into(),
                format!(
                    "{} packs in the disc block",
                    packs.len() / cd_text::PACK_SIZE
                ),
            ));
        }
    }

    /// Builds the disc from the track blocks, checking each against the data before the
    /// descriptor and against the tracks before it.
    fn lay_out(&mut self, sessions: &[Vec<TrackBlock>], data_end: u64) -> Result<()> {
        let path = self.path.clone();
        let mut offset = 0u64;
        let mut number = 0u8;
        let mut sizes = Vec::new();
        for (index, blocks) in sessions.iter().enumerate() {
            let mut session = Session {
                number: index as u8 + 1,
                tracks: Vec::new(),
            };
            for block in blocks {
                number += 1;
                let fail = |message: String| Error::at_offset(&path, block.offset, message);
                let mode = match block.mode {
                    0 => TrackMode::Audio,
                    1 => TrackMode::Mode1,
                    2 => TrackMode::Mode2Xa,
                    other => {
                        return Err(fail(format!(
                            "track {number}: mode {other} (0 audio, 1 Mode 1, 2 Mode 2)"
                        )));
                    }
                };
                let (stride, form) = read_mode(block.read_mode).ok_or_else(|| {
                    fail(format!(
                        "track {number}: read mode {} (0 to 4: 2048, 2336, 2352, 2368, 2448 bytes)",
                        block.read_mode
                    ))
                })?;
                match (mode, form) {
                    (TrackMode::Audio, Form::Cooked | Form::Mode2)
                    | (TrackMode::Mode1, Form::Mode2)
                    | (TrackMode::Mode2Xa, Form::Cooked) => {
                        return Err(fail(format!(
                            "track {number}: {} stored in {stride}-byte sectors, which cannot hold it",
                            mode.name()
                        )));
                    }
                    _ => {}
                }
                check_lengths(block, number, stride, offset, data_end).map_err(fail)?;
                let end = offset + u64::from(block.total) * stride as u64;
                let pregap = block.indexes[0];
                let length = block.total - pregap;
                let first = i64::from(block.start) - i64::from(STANDARD_PREGAP);
                let start = first + i64::from(pregap);
                if start + i64::from(length) > 1_000_000 {
                    return Err(fail(format!(
                        "track {number}: starts at LBA {start}, beyond any CD"
                    )));
                }
                let mut track = Track::new(number, mode, Lba(start as i32), length);
                if pregap > 0 {
                    track.pregap = Gap::stored(pregap);
                }
                let mut at = track.start.0;
                for (i, &len) in block.indexes[1..block.indexes.len() - 1].iter().enumerate() {
                    at += len as i32;
                    track.indexes.push(Index {
                        number: i as u8 + 2,
                        lba: Lba(at),
                    });
                }
                let data = if mode.is_data() { Control::DATA } else { 0 };
                track.control = Control((block.control as u8 & 0x0F & !Control::DATA) | data);
                track.isrc.clone_from(&block.isrc);
                let before = session
                    .tracks
                    .last()
                    .or_else(|| self.disc.sessions.last().and_then(|s| s.tracks.last()));
                let earliest =
                    before.map_or(-i64::from(STANDARD_PREGAP), |b| i64::from(b.end_lba().0));
                if first < earliest {
                    return Err(fail(format!(
                        "track {number}: its pregap begins at LBA {first}, before LBA {earliest} where the track before it ends"
                    )));
                }
                if form == Form::RawSub {
                    self.disc.subchannel = Some(Subchannel::Stored);
                }
                if stride != form.size() {
                    self.warnings.push(format!(
                        "track {number} stores 16 bytes of Q subchannel after each sector; discus reads the 2352-byte sectors and regenerates Q where a target keeps a subchannel"
                    ));
                }
                sizes.push(format!("track {number}: {stride}"));
                self.stored.push(Stored {
                    offset,
                    stride,
                    form,
                });
                session.tracks.push(track);
                offset = end;
            }
            self.disc.sessions.push(session);
        }
        self.details.push(("sector sizes".into(), sizes.join(", ")));
        if offset < data_end {
            self.warnings.push(format!(
                "{} bytes between the last track's data and the descriptor belong to no track",
                data_end - offset
            ));
        }
        self.hide_standard_pregap()?;
        let notes = self
            .disc
            .close_holes()
            .map_err(|message| Error::at_offset(&path, data_end, message))?;
        self.warnings.extend(notes);
        Ok(())
    }

    /// DiscJuggler stores LBA −150..−1 at the head of the first track. Like a cue sheet's BIN the
    /// model begins at LBA 0 when those sectors hold only what would be generated there; when
    /// they hold anything else they stay, as the stored pregap they are.
    fn hide_standard_pregap(&mut self) -> Result<()> {
        let (Some(track), Some(stored)) = (
            self.disc
                .sessions
                .first_mut()
                .and_then(|s| s.tracks.first_mut()),
            self.stored.first_mut(),
        ) else {
            return Ok(());
        };
        // A shorter pregap from LBA −150 leaves track 1 starting before LBA 0: kept as stored.
        if track.first_lba() != Lba(-(STANDARD_PREGAP as i32))
            || track.pregap.sectors < STANDARD_PREGAP
        {
            return Ok(());
        }
        let count = STANDARD_PREGAP as usize;
        let mut actual = vec![0u8; count * stored.stride];
        read_exact_at(&self.file, &self.path, &mut actual, stored.offset)?;
        let size = stored.form.size();
        let mut probe = track.clone();
        probe.pregap = Gap::NONE;
        let mut expected = vec![0u8; count * size];
        discus_core::stream::generate(
            track.mode,
            Lba(-(STANDARD_PREGAP as i32)),
            stored.form,
            &mut expected,
            Some(&Generator::new(&probe)),
        );
        let same = actual
            .chunks_exact(stored.stride)
            .zip(expected.chunks_exact(size))
            .all(|(a, e)| a[..size] == *e);
        if !same {
            return Ok(());
        }
        track.pregap = match track.pregap.sectors - STANDARD_PREGAP {
            0 => Gap::NONE,
            rest => Gap::stored(rest),
        };
        stored.offset += (count * stored.stride) as u64;
        self.details.push((
            "track 1 pregap".into(),
            "150 sectors stored (LBA -150..-1), identical to a generated pregap".into(),
        ));
        Ok(())
    }
}

/// Checks a track block's lengths: its index lengths add up to the track's, something follows
/// the pregap, and its `stride`-byte sectors from byte `offset` end before the descriptor.
fn check_lengths(
    block: &TrackBlock,
    number: u8,
    stride: usize,
    offset: u64,
    data_end: u64,
) -> std::result::Result<(), String> {
    let sum: u64 = block.indexes.iter().map(|&l| u64::from(l)).sum();
    if sum != u64::from(block.total) {
        return Err(format!(
            "track {number}: its indexes add up to {sum} sectors and the track holds {}",
            block.total
        ));
    }
    let end = offset + u64::from(block.total) * stride as u64;
    if end > data_end {
        return Err(format!(
            "track {number}: {} sectors of {stride} bytes from byte {offset} end at byte {end}, past the sector data (the descriptor begins at byte {data_end})",
            block.total
        ));
    }
    if block.total == block.indexes[0] {
        return Err(format!("track {number}: no sector after its pregap"));
    }
    Ok(())
}

impl SectorSource for CdiSource {
    fn disc(&self) -> &Disc {
        &self.disc
    }

    fn stored_form(&self, track: usize) -> Form {
        self.stored.get(track).map_or(Form::Raw, |s| s.form)
    }

    fn read(&mut self, track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
        let (first, end) = self
            .disc
            .track(track)
            .map(|t| (t.first_lba(), t.data_end()))
            .ok_or_else(|| Error::Usage(format!("no track at index {track}")))?;
        let stored = *self
            .stored
            .get(track)
            .ok_or_else(|| Error::Usage(format!("no data for track index {track}")))?;
        let size = stored.form.size();
        // The file holds the track's pregap and data back to back with the next track's: a read
        // past them would return the next track's bytes as this one's.
        let count = buf.len() / size;
        let index = u64::try_from(lba.distance_from(first))
            .ok()
            .filter(|i| {
                buf.len().is_multiple_of(size)
                    && i + count as u64 <= end.distance_from(first).max(0) as u64
            })
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{}: LBA {lba} (+{count}) is outside the stored sectors of track index {track}",
                    self.path.display()
                ))
            })?;
        let offset = stored.offset + index * stored.stride as u64;
        if stored.stride == size {
            return read_exact_at(&self.file, &self.path, buf, offset);
        }
        // Sectors followed by 16 bytes of Q: one read, then the main channel of each.
        self.scratch.resize(count * stored.stride, 0);
        read_exact_at(&self.file, &self.path, &mut self.scratch, offset)?;
        for (out, sector) in buf
            .chunks_exact_mut(size)
            .zip(self.scratch.chunks_exact(stored.stride))
        {
            out.copy_from_slice(&sector[..size]);
        }
        Ok(())
    }

    fn files(&self) -> Vec<PathBuf> {
        vec![self.path.clone()]
    }

    fn details(&self) -> Vec<(String, String)> {
        self.details.clone()
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}
