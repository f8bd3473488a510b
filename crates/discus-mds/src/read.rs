//! Reading an MDS/MDF pair: the descriptor's blocks plus the sizes of the data files become the
//! disc model and, per track, the run of bytes that holds its stored sectors.
//!
//! Where gaps live (the same rule the writer follows, see `docs/formats/mds.md`):
//!
//! * a track's INDEX 01 sector is at its *start offset*; its extra block's *length* counts the
//!   sectors from INDEX 01 that the MDF holds for it (its postgap excluded);
//! * its *pregap* (extra block) is stored when the MDF holds that many sectors right before the
//!   start offset, after the previous track's data, and generated otherwise; the 150-sector
//!   pregap of a session's first track that no image stores is the model's session gap, not a gap;
//!   the disc's first track counts its pregap from LBA −150, so only the part from LBA 0 to its
//!   INDEX 01 (hidden track one audio) is a gap in the model, unless the MDF stores all of it;
//! * addresses between a track's end and the next track's pregap (or the session's end) are its
//!   *postgap*, stored when the MDF holds exactly those sectors after the track's data.

use std::fs::File;
use std::path::{Path, PathBuf};

use discus_core::flat::read_exact_at;
use discus_core::{
    Control, Disc, Error, Form, Gap, IoContext, Lba, Result, SectorSource, Session, Subchannel,
    Track, TrackMode,
};

use crate::descriptor::{self, Descriptor, Entry, SUBCHANNEL_INTERLEAVED, track_field};

/// The pregap every session's first track has and no image stores.
pub(crate) const SESSION_PREGAP: u32 = 150;

/// Addresses and sector counts a descriptor may give: far beyond any disc, far inside `i32` even
/// when added up.
const MAX_ADDRESS: u32 = 1 << 26;

/// Descriptors are small (a few KiB); anything this large is not one.
const MAX_DESCRIPTOR: u64 = 16 << 20;

/// One data file of a (possibly split) MDF.
#[derive(Debug)]
struct Part {
    path: PathBuf,
    file: File,
    len: u64,
}

/// The parts of one MDF, read as one run of bytes.
#[derive(Debug)]
struct Stream {
    parts: Vec<Part>,
}

impl Stream {
    fn len(&self) -> u64 {
        self.parts.iter().map(|p| p.len).sum()
    }

    fn name(&self) -> String {
        self.parts
            .iter()
            .map(|p| p.path.display().to_string())
            .collect::<Vec<_>>()
            .join(" + ")
    }

    fn read(&self, mut offset: u64, mut buf: &mut [u8]) -> Result<()> {
        for part in &self.parts {
            if buf.is_empty() {
                break;
            }
            if offset >= part.len {
                offset -= part.len;
                continue;
            }
            let here = ((part.len - offset).min(buf.len() as u64)) as usize;
            let (now, rest) = buf.split_at_mut(here);
            read_exact_at(&part.file, &part.path, now, offset)?;
            buf = rest;
            offset = 0;
        }
        if buf.is_empty() {
            Ok(())
        } else {
            let path = self
                .parts
                .last()
                .map(|p| p.path.clone())
                .unwrap_or_default();
            Err(Error::at_offset(
                path,
                self.len(),
                format!("the file ends {} bytes early", buf.len()),
            ))
        }
    }
}

/// Where a track's stored sectors are.
#[derive(Clone, Debug)]
struct Storage {
    form: Form,
    stream: usize,
    /// The address of the first stored sector.
    first: Lba,
    /// Its byte offset in the stream.
    offset: u64,
    sectors: u64,
}

/// An opened MDS/MDF image.
#[derive(Debug)]
pub(crate) struct MdsSource {
    mds: PathBuf,
    disc: Disc,
    streams: Vec<Stream>,
    storage: Vec<Storage>,
    details: Vec<(String, String)>,
    warnings: Vec<String>,
    /// A DVD whose data file holds fewer sectors than its descriptor says.
    truncation: Option<discus_core::iso9660::Truncation>,
}

impl SectorSource for MdsSource {
    fn disc(&self) -> &Disc {
        &self.disc
    }

    fn stored_form(&self, track: usize) -> Form {
        self.storage.get(track).map_or(Form::Raw, |s| s.form)
    }

    fn read(&mut self, track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
        let storage = self.storage.get(track).ok_or_else(|| {
            Error::Usage(format!("{}: no track at index {track}", self.mds.display()))
        })?;
        let size = storage.form.size() as u64;
        let count = buf.len() as u64 / size;
        let skip = lba.distance_from(storage.first);
        if !(buf.len() as u64).is_multiple_of(size)
            || skip < 0
            || skip as u64 + count > storage.sectors
        {
            return Err(Error::Usage(format!(
                "{}: track index {track} stores no {count} sector(s) at LBA {lba}",
                self.mds.display()
            )));
        }
        let stream = self.streams.get(storage.stream).ok_or_else(|| {
            Error::Usage(format!(
                "{}: no data file for track index {track}",
                self.mds.display()
            ))
        })?;
        stream.read(storage.offset + skip as u64 * size, buf)
    }

    fn files(&self) -> Vec<PathBuf> {
        let mut files = vec![self.mds.clone()];
        for stream in &self.streams {
            files.extend(stream.parts.iter().map(|p| p.path.clone()));
        }
        files
    }

    fn details(&self) -> Vec<(String, String)> {
        self.details.clone()
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    fn truncation(&self) -> Option<discus_core::iso9660::Truncation> {
        self.truncation
    }
}

/// What a track block says, decoded and checked.
struct Decoded {
    number: u8,
    session: u8,
    session_first: bool,
    /// The first track of the disc, whose pregap is counted from LBA −150.
    disc_first: bool,
    mode: TrackMode,
    form: Form,
    control: u8,
    start: Lba,
    pregap: u32,
    length: u32,
    offset: u64,
    stream: usize,
    /// Where the block is, for messages.
    at: u64,
}

/// The track mode a track block's mode byte names (its low nibble; Alcohol ignores the high one).
fn track_mode(mode: u8) -> Option<TrackMode> {
    match mode & 0x0F {
        0x1 | 0x9 => Some(TrackMode::Audio),
        0x2 | 0xA => Some(TrackMode::Mode1),
        0x3 | 0xB => Some(TrackMode::Mode2),
        0x0 | 0x4 | 0x5 | 0x7 | 0xC | 0xD => Some(TrackMode::Mode2Xa),
        _ => None,
    }
}

/// The form a track's sectors are stored in, from its sector size and subchannel mode.
fn stored_form(mds: &Path, entry: &Entry, mode: TrackMode) -> Result<Form> {
    let block = &entry.block;
    let size_at = block.at + track_field::SECTOR_SIZE;
    let form = match (block.subchannel, block.sector_size) {
        (0, 2352) => Form::Raw,
        (0, 2048) => Form::Cooked,
        (0, 2336) => Form::Mode2,
        (SUBCHANNEL_INTERLEAVED, 2448) => Form::RawSub,
        (0 | SUBCHANNEL_INTERLEAVED, size) => {
            return Err(Error::at_offset(
                mds,
                size_at,
                format!(
                    "track {}: {size}-byte sectors with subchannel mode {:#04x} are not an MDS layout discus reads (2048, 2336, 2352, or 2448 with subchannel)",
                    block.point, block.subchannel
                ),
            ));
        }
        (other, _) => {
            return Err(Error::unsupported(
                mds,
                format!(
                    "track {}: subchannel mode {other:#04x} (discus reads none and 0x08, interleaved P-W)",
                    block.point
                ),
            ));
        }
    };
    let fits = match form {
        Form::Cooked => matches!(mode, TrackMode::Mode1 | TrackMode::Mode2Xa),
        Form::Mode2 => matches!(mode, TrackMode::Mode2 | TrackMode::Mode2Xa),
        Form::Raw | Form::RawSub => true,
    };
    if !fits {
        return Err(Error::at_offset(
            mds,
            size_at,
            format!(
                "track {}: a {} track cannot be stored as {}-byte sectors",
                block.point,
                mode.name(),
                form.name()
            ),
        ));
    }
    Ok(form)
}

/// The path a footer's file name stands for: `*` is the descriptor's own stem (Alcohol writes
/// `*.mdf`), other names are relative to the descriptor's folder.
fn resolve(mds: &Path, name: &str, warnings: &mut Vec<String>) -> PathBuf {
    let folder = mds.parent().unwrap_or_else(|| Path::new(""));
    let stem = mds
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let named = name.replace('*', &stem);
    // A Windows path keeps only its last component: images move between machines.
    let base = named
        .rsplit(['\\', '/'])
        .next()
        .unwrap_or(named.as_str())
        .to_string();
    let path = folder.join(&base);
    if path.is_file() {
        return path;
    }
    // Case differs on case-sensitive file systems (IMAGE.MDF beside image.mds).
    if let Ok(entries) = std::fs::read_dir(if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    }) {
        for entry in entries.flatten() {
            let candidate = entry.file_name();
            if candidate.to_string_lossy().eq_ignore_ascii_case(&base) {
                let found = folder.join(candidate);
                warnings.push(format!(
                    "the descriptor names '{name}'; using {} (letter case differs)",
                    found.display()
                ));
                return found;
            }
        }
    }
    path
}

/// Opens the descriptor `mds` and its data files.
pub(crate) fn open(mds: &Path) -> Result<MdsSource> {
    let len = std::fs::metadata(mds).with_path(mds)?.len();
    if len > MAX_DESCRIPTOR {
        return Err(Error::at_offset(
            mds,
            0,
            format!("{len} bytes is far too large for an MDS descriptor"),
        ));
    }
    let data = std::fs::read(mds).with_path(mds)?;
    let descriptor = descriptor::parse(mds, &data)?;
    build(mds, &descriptor)
}

fn build(mds: &Path, descriptor: &Descriptor) -> Result<MdsSource> {
    if descriptor.header.is_dvd() {
        return build_dvd(mds, descriptor);
    }
    let mut warnings = Vec::new();
    let mut streams: Vec<Stream> = Vec::new();
    let mut stream_names: Vec<Vec<PathBuf>> = Vec::new();
    let mut decoded: Vec<Decoded> = Vec::new();
    let mut session_ends: Vec<(u8, i32)> = Vec::new();
    let mut subchannel_tracks = 0usize;
    for (index, (session, entries)) in descriptor.sessions.iter().enumerate() {
        let number = u8::try_from(session.number)
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| {
                Error::at_offset(
                    mds,
                    session.at + 8,
                    format!("session number {} is not 1-99", session.number),
                )
            })?;
        if index > 0 && session_ends.last().is_some_and(|&(n, _)| n >= number) {
            return Err(Error::at_offset(
                mds,
                session.at + 8,
                format!("session {number} follows a session with the same or a higher number"),
            ));
        }
        session_ends.push((number, session.end));
        let mut first = true;
        for entry in entries.iter().filter(|e| (1..=99).contains(&e.block.point)) {
            let block = &entry.block;
            let mode = track_mode(block.mode).ok_or_else(|| {
                Error::unsupported(
                    mds,
                    format!("track {}: track mode {:#04x}", block.point, block.mode),
                )
            })?;
            let form = stored_form(mds, entry, mode)?;
            if form.has_subchannel() {
                subchannel_tracks += 1;
            }
            let extra = entry.extra.ok_or_else(|| {
                Error::at_offset(
                    mds,
                    block.at + track_field::EXTRA_OFFSET,
                    format!(
                        "track {} has no extra block (offset 0), so its length is unknown",
                        block.point
                    ),
                )
            })?;
            if entry.files.is_empty() {
                return Err(Error::at_offset(
                    mds,
                    block.at + track_field::FILES,
                    format!("track {} names no data file", block.point),
                ));
            }
            if block.start_lba.unsigned_abs() > MAX_ADDRESS
                || extra.pregap > MAX_ADDRESS
                || extra.length > MAX_ADDRESS
            {
                return Err(Error::at_offset(
                    mds,
                    block.at + track_field::START_LBA,
                    format!(
                        "track {}: start LBA {}, pregap {} and length {} are beyond any disc",
                        block.point, block.start_lba, extra.pregap, extra.length
                    ),
                ));
            }
            if decoded.last().is_some_and(|d| d.number >= block.point) {
                return Err(Error::at_offset(
                    mds,
                    block.at + 4,
                    format!(
                        "track {} follows a track with the same or a higher number",
                        block.point
                    ),
                ));
            }
            let paths: Vec<PathBuf> = entry
                .files
                .iter()
                .map(|f| resolve(mds, &f.name, &mut warnings))
                .collect();
            let stream = match stream_names.iter().position(|p| *p == paths) {
                Some(existing) => existing,
                None => {
                    let mut parts = Vec::with_capacity(paths.len());
                    for path in &paths {
                        let file = File::open(path).map_err(|e| {
                            Error::io(
                                path,
                                std::io::Error::new(
                                    e.kind(),
                                    format!("{e} (the data file {} names)", mds.display()),
                                ),
                            )
                        })?;
                        let len = file.metadata().with_path(path)?.len();
                        parts.push(Part {
                            path: path.clone(),
                            file,
                            len,
                        });
                    }
                    streams.push(Stream { parts });
                    stream_names.push(paths);
                    streams.len() - 1
                }
            };
            decoded.push(Decoded {
                number: block.point,
                session: number,
                session_first: first,
                disc_first: decoded.is_empty(),
                mode,
                form,
                control: block.adr_control & 0x0F,
                start: Lba(block.start_lba),
                pregap: extra.pregap,
                length: extra.length,
                offset: block.start_offset,
                stream,
                at: block.at,
            });
            first = false;
        }
    }
    if decoded.is_empty() {
        return Err(Error::at_offset(
            mds,
            u64::from(descriptor.header.session_offset),
            "the descriptor has no track",
        ));
    }

    let layout = place(mds, &decoded, &session_ends, &streams, &mut warnings)?;

    let mut sessions: Vec<Session> = Vec::new();
    let mut storage = Vec::with_capacity(decoded.len());
    for (track, placed) in decoded.iter().zip(layout) {
        let mut model = Track::new(track.number, track.mode, track.start, track.length);
        model.control = Control(track.control);
        model.pregap = placed.pregap;
        model.postgap = placed.postgap;
        storage.push(Storage {
            form: track.form,
            stream: track.stream,
            first: if placed.pregap.stored {
                model.first_lba()
            } else {
                model.start
            },
            offset: placed.offset,
            sectors: placed.sectors,
        });
        match sessions.last_mut() {
            Some(session) if session.number == track.session => session.tracks.push(model),
            _ => sessions.push(Session {
                number: track.session,
                tracks: vec![model],
            }),
        }
    }
    let subchannel = (subchannel_tracks > 0).then_some(Subchannel::Stored);
    let disc = Disc {
        sessions,
        subchannel,
        ..Disc::default()
    };
    let header = &descriptor.header;
    let mut details = vec![
        (
            "version".to_string(),
            format!("{}.{}", header.version[0], header.version[1]),
        ),
        (
            "medium".to_string(),
            match header.medium {
                0 => "CD-ROM",
                1 => "CD-R",
                _ => "CD-RW",
            }
            .to_string(),
        ),
        (
            "data files".to_string(),
            streams
                .iter()
                .map(Stream::name)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "subchannel".to_string(),
            if subchannel_tracks == 0 {
                "none".to_string()
            } else {
                format!(
                    "stored, interleaved P-W after each sector, on {subchannel_tracks} of {} track(s)",
                    decoded.len()
                )
            },
        ),
    ];
    if header.dpm_offset != 0 {
        details.push((
            "DPM".to_string(),
            "present (data position measurement; not converted)".to_string(),
        ));
    }
    Ok(MdsSource {
        mds: mds.to_path_buf(),
        disc,
        streams,
        storage,
        details,
        warnings,
        truncation: None,
    })
}

/// Opens the data files a track's footers name, as one stream.
fn open_stream(mds: &Path, entry: &Entry, warnings: &mut Vec<String>) -> Result<Stream> {
    let mut parts = Vec::with_capacity(entry.files.len());
    for name in &entry.files {
        let path = resolve(mds, &name.name, warnings);
        let file = File::open(&path).map_err(|e| {
            Error::io(
                &path,
                std::io::Error::new(
                    e.kind(),
                    format!("{e} (the data file {} names)", mds.display()),
                ),
            )
        })?;
        let len = file.metadata().with_path(&path)?.len();
        parts.push(Part { path, file, len });
    }
    Ok(Stream { parts })
}

/// A DVD descriptor: one track of 2048-byte sectors from the start of its MDF, its length in
/// the track block, its layers in the disc structures (see `dvd.rs`).
fn build_dvd(mds: &Path, descriptor: &Descriptor) -> Result<MdsSource> {
    let mut warnings = Vec::new();
    let entry = descriptor
        .sessions
        .iter()
        .flat_map(|(_, entries)| entries)
        .find(|e| (1..=99).contains(&e.block.point))
        .ok_or_else(|| {
            Error::at_offset(
                mds,
                u64::from(descriptor.header.session_offset),
                "the DVD descriptor has no track",
            )
        })?;
    let block = &entry.block;
    if block.sector_size != 2048 || block.subchannel != 0 {
        return Err(Error::at_offset(
            mds,
            block.at + track_field::SECTOR_SIZE,
            format!(
                "a DVD track of {}-byte sectors with subchannel mode {:#04x}: a DVD has 2048-byte sectors only",
                block.sector_size, block.subchannel
            ),
        ));
    }
    if entry.files.is_empty() {
        return Err(Error::at_offset(
            mds,
            block.at + track_field::FILES,
            "the DVD track names no data file",
        ));
    }
    let stream = open_stream(mds, entry, &mut warnings)?;
    let held = stream.len().saturating_sub(block.start_offset) / 2048;
    // Alcohol records the length in the track block; older files leave it 0 and the data file
    // says it, as libmirage reads them.
    let declared = match block.extra_offset {
        0 => held,
        n => u64::from(n),
    };
    let truncation = (held < declared).then_some(discus_core::iso9660::Truncation {
        declared_by: "descriptor",
        recorded: declared,
        held,
    });
    let sectors = u32::try_from(declared.min(held))
        .ok()
        .filter(|&n| n > 0 && n <= MAX_ADDRESS)
        .ok_or_else(|| {
            Error::at_offset(
                mds,
                block.at + track_field::EXTRA_OFFSET,
                format!("a DVD track of {declared} sectors, {held} of them in the data file"),
            )
        })?;
    let header = &descriptor.header;
    let structures = match header.structures_offset {
        0 => None,
        at => {
            let at = at as usize + crate::descriptor::PFI_AT;
            let data = std::fs::read(mds).with_path(mds)?;
            data.get(at..at + 2048).map(<[u8]>::to_vec)
        }
    };
    let medium = crate::dvd::medium_of(structures.as_deref(), sectors);
    let disc = Disc {
        medium,
        ..Disc::single_session(vec![Track::new(1, TrackMode::Mode1, Lba(0), sectors)])
    };
    let details = vec![
        (
            "version".to_string(),
            format!("{}.{}", header.version[0], header.version[1]),
        ),
        (
            "medium type".to_string(),
            format!("{:#04x} (DVD)", header.medium),
        ),
        ("data files".to_string(), stream.name()),
    ];
    Ok(MdsSource {
        mds: mds.to_path_buf(),
        disc,
        storage: vec![Storage {
            form: Form::Cooked,
            stream: 0,
            first: Lba(0),
            offset: block.start_offset,
            sectors: u64::from(sectors),
        }],
        streams: vec![stream],
        details,
        warnings,
        truncation,
    })
}

/// Where one track's stored sectors are and which of its gaps are stored.
struct Placed {
    pregap: Gap,
    postgap: Gap,
    offset: u64,
    sectors: u64,
}

/// Decides, track by track, which gaps the MDF stores (see the module comment), and checks that
/// every stored sector lies inside its data file.
fn place(
    mds: &Path,
    tracks: &[Decoded],
    session_ends: &[(u8, i32)],
    streams: &[Stream],
    warnings: &mut Vec<String>,
) -> Result<Vec<Placed>> {
    // Postgap sectors after each track: the addresses up to the next track's pregap, or the
    // session's end.
    let mut postgaps = Vec::with_capacity(tracks.len());
    for (index, track) in tracks.iter().enumerate() {
        let end = i64::from(track.start.0) + i64::from(track.length);
        let next = tracks.get(index + 1).filter(|n| n.session == track.session);
        let hole = match next {
            Some(next) => {
                let next_first = i64::from(next.start.0) - i64::from(model_pregap_sectors(next));
                let hole = next_first - end;
                if hole < 0 {
                    return Err(Error::at_offset(
                        mds,
                        next.at + track_field::START_LBA,
                        format!(
                            "track {} (with its pregap) starts at LBA {next_first}, inside track {}, which ends at LBA {end}",
                            next.number, track.number
                        ),
                    ));
                }
                hole
            }
            None => {
                let session_end = session_ends
                    .iter()
                    .find(|(n, _)| *n == track.session)
                    .map_or(end, |&(_, e)| i64::from(e));
                let hole = session_end - end;
                if hole < 0 {
                    warnings.push(format!(
                        "session {} ends at LBA {session_end}, before the end of its last track (LBA {end}); the session end is ignored",
                        track.session
                    ));
                }
                hole.max(0)
            }
        };
        postgaps.push(
            u32::try_from(hole)
                .ok()
                .filter(|&h| h <= MAX_ADDRESS)
                .ok_or_else(|| {
                    Error::at_offset(
                        mds,
                        track.at + track_field::START_LBA,
                        format!(
                            "track {} is followed by a gap of {hole} sectors",
                            track.number
                        ),
                    )
                })?,
        );
    }

    let mut pregap_stored = vec![false; tracks.len()];
    let mut postgap_stored = vec![false; tracks.len()];
    let mut whole_pregap = vec![false; tracks.len()];
    // The previous track in the same stream: (index, end of its data in the stream).
    let mut previous: Vec<Option<(usize, u64)>> = vec![None; streams.len()];
    for (index, track) in tracks.iter().enumerate() {
        let size = track.form.size() as u64;
        let stream_len = streams.get(track.stream).map_or(0, Stream::len);
        let body_end = u64::from(track.length)
            .checked_mul(size)
            .and_then(|b| b.checked_add(track.offset))
            .filter(|&end| end <= stream_len)
            .ok_or_else(|| {
                Error::at_offset(
                    mds,
                    track.at + track_field::START_OFFSET,
                    format!(
                        "track {}: {} sectors of {size} bytes from byte {} run past the end of {} ({stream_len} bytes)",
                        track.number,
                        track.length,
                        track.offset,
                        streams.get(track.stream).map(Stream::name).unwrap_or_default()
                    ),
                )
            })?;
        let slot = previous.get_mut(track.stream).ok_or_else(|| {
            Error::Usage(format!(
                "{}: stream {} missing",
                mds.display(),
                track.stream
            ))
        })?;
        let (before_end, before_post, before_size) = match *slot {
            Some((p, end)) => (
                end,
                postgaps.get(p).copied().unwrap_or(0),
                tracks.get(p).map_or(0, |t| t.form.size() as u64),
            ),
            None => (0, 0, 0),
        };
        if track.offset < before_end {
            return Err(Error::at_offset(
                mds,
                track.at + track_field::START_OFFSET,
                format!(
                    "track {}'s data at byte {} overlaps the track before it, whose data ends at byte {before_end}",
                    track.number, track.offset
                ),
            ));
        }
        let free = track.offset - before_end;
        // The disc's first track may store its whole pregap (from LBA −150) or only the part the
        // model counts (from LBA 0); the bytes before its data say which.
        if track.disc_first && track.pregap != model_pregap_sectors(track) {
            let whole = u64::from(track.pregap) * size;
            whole_pregap[index] = whole > 0 && free == whole;
        }
        let pre = u64::from(stored_pregap_sectors(track, whole_pregap[index])) * size;
        let post = u64::from(before_post) * before_size;
        // Which stored gaps explain the bytes between the two tracks' data: pregap first.
        let choice = [(true, true), (true, false), (false, true), (false, false)]
            .into_iter()
            .filter(|&(p, q)| (!p || pre > 0) && (!q || post > 0))
            .find(|&(p, q)| u64::from(p) * pre + u64::from(q) * post == free);
        let (pre_stored, post_stored) = choice.unwrap_or_else(|| {
            let pre_stored = pre > 0 && free >= pre;
            let unused = free - if pre_stored { pre } else { 0 };
            warnings.push(format!(
                "{} bytes of the data file before track {} belong to no track; they are skipped",
                unused, track.number
            ));
            (pre_stored, false)
        });
        pregap_stored[index] = pre_stored;
        if let Some((p, _)) = *slot
            && let Some(flag) = postgap_stored.get_mut(p)
        {
            *flag = post_stored;
        }
        *slot = Some((index, body_end));
    }
    // After the last track of each stream: a stored postgap, or bytes no track uses.
    for (stream, slot) in streams.iter().zip(&previous) {
        let Some((p, end)) = *slot else { continue };
        let Some(track) = tracks.get(p) else { continue };
        let post = u64::from(postgaps.get(p).copied().unwrap_or(0)) * track.form.size() as u64;
        let free = stream.len() - end;
        if post > 0 && free >= post {
            if let Some(flag) = postgap_stored.get_mut(p) {
                *flag = true;
            }
        } else if free > 0 {
            warnings.push(format!(
                "the last {free} bytes of {} belong to no track; they are ignored",
                stream.name()
            ));
        }
    }

    let mut placed = Vec::with_capacity(tracks.len());
    for (index, track) in tracks.iter().enumerate() {
        let size = track.form.size() as u64;
        let pregap = if pregap_stored[index] {
            Gap::stored(stored_pregap_sectors(track, whole_pregap[index]))
        } else {
            Gap::generated(model_pregap_sectors(track))
        };
        let pregap = if pregap.sectors == 0 {
            Gap::NONE
        } else {
            pregap
        };
        let post_sectors = postgaps.get(index).copied().unwrap_or(0);
        let postgap = match (post_sectors, postgap_stored[index]) {
            (0, _) => Gap::NONE,
            (n, true) => Gap::stored(n),
            (n, false) => Gap::generated(n),
        };
        let before = if pregap.stored {
            u64::from(pregap.sectors)
        } else {
            0
        };
        let after = if postgap.stored {
            u64::from(postgap.sectors)
        } else {
            0
        };
        placed.push(Placed {
            pregap,
            postgap,
            offset: track.offset - before * size,
            sectors: before + u64::from(track.length) + after,
        });
    }
    Ok(placed)
}

/// The pregap a track has in the model when it is not stored: a session's first track has the
/// standard 150 sectors in the session gap, so only a different count is a gap of its own.
fn model_pregap_sectors(track: &Decoded) -> u32 {
    let from = i64::from(track.start.0) - i64::from(track.pregap);
    if track.disc_first && from == -i64::from(SESSION_PREGAP) {
        // Counted from LBA −150 to INDEX 01: only what lies from LBA 0 on is the track's own
        // (hidden track one audio). Real images say 150 with INDEX 01 at LBA 0: no gap at all.
        u32::try_from(track.start.0).unwrap_or(0)
    } else if track.session_first && track.pregap == SESSION_PREGAP {
        0
    } else {
        track.pregap
    }
}

/// The pregap sectors the MDF stores for `track` when it stores its pregap: all of them when
/// `whole` (the disc's first track stored from LBA −150), else the part the model counts.
fn stored_pregap_sectors(track: &Decoded, whole: bool) -> u32 {
    if whole {
        track.pregap
    } else {
        model_pregap_sectors(track)
    }
}
