//! Reading CloneCD: the `.ccd` sections become the disc, the `.img` holds every track's sectors
//! back to back (2352 bytes each, from the first track's INDEX 00 or 01 on, which is LBA 0 on
//! real images), and the `.sub` the same sectors' packed P–W subchannel, converted to the model's
//! interleaved layout as it is read.
//!
//! The TOC entries (`[Entry N]`) are the authority on where tracks start (PLBA) and where each
//! session's lead-out is (point A2). `[TRACK N]` adds what the TOC does not hold: the pregap
//! (INDEX 1 − INDEX 0: only differences are used, since real images count INDEX from the session's
//! start as often as from the disc's), INDEX 2+, ISRC and MODE. MODE is a hint: the sectors say
//! what a track is (sync and mode byte), because real images get MODE wrong.

use std::fs::File;
use std::path::{Path, PathBuf};

use discus_core::cd_text;
use discus_core::flat::read_exact_at;
use discus_core::sector::subchannel::interleave;
use discus_core::sector::{RAW_SIZE, SUBCHANNEL_SIZE, SYNC};
use discus_core::{
    Control, Disc, Error, Form, Gap, Index, IoContext, Lba, Result, SectorSource, Session,
    Subchannel, Track, TrackMode,
};

use super::sheet::{self, Section};
use super::{DISCUS_POSTGAP, DISCUS_PREGAP, DISCUS_SUBCHANNEL, sibling};

/// Addresses a descriptor may give: far beyond any disc, far inside `i32` even when added up.
const MAX_ADDRESS: i64 = 1 << 26;
/// Descriptors are small; anything this large is not one.
const MAX_DESCRIPTOR: u64 = 16 << 20;
/// Sectors looked at from a track's INDEX 01 to find its mode.
const SNIFF_SECTORS: u64 = 16;

/// One `[Entry N]`: a TOC descriptor.
#[derive(Clone, Debug)]
struct Entry {
    session: u8,
    point: u8,
    adr: u8,
    control: u8,
    plba: i64,
    line: usize,
}

/// One `[TRACK N]`.
#[derive(Clone, Debug, Default)]
struct TrackSection {
    mode: Option<(i64, usize)>,
    /// (index number, value, line).
    indexes: Vec<(u8, i64, usize)>,
    isrc: Option<(String, usize)>,
    pregap_generated: bool,
    /// (sectors, stored, line).
    postgap: Option<(u32, bool, usize)>,
    line: usize,
}

/// The typed descriptor.
#[derive(Debug, Default)]
struct Sheet {
    version: Option<i64>,
    toc_entries: Option<(i64, usize)>,
    catalog: Option<(String, usize)>,
    /// The packs of `[CDText]` and the section's line.
    cd_text: Option<(Vec<u8>, usize)>,
    subchannel_generated: bool,
    entries: Vec<Entry>,
    tracks: Vec<(u8, TrackSection)>,
    session_lines: Vec<(u8, usize)>,
}

fn parse(path: &Path, text: &str, warnings: &mut Vec<String>) -> Result<Sheet> {
    let sections = sheet::sections(path, text)?;
    if !sections.iter().any(|s| s.name == "clonecd") {
        return Err(Error::at_line(
            path,
            1,
            1,
            "no [CloneCD] section: not a CloneCD descriptor",
        ));
    }
    let mut sheet = Sheet::default();
    for section in &sections {
        match section.name.as_str() {
            "clonecd" => sheet.version = section.number_or(path, "version")?,
            "disc" => parse_disc(path, section, &mut sheet)?,
            "cdtext" => sheet.cd_text = Some((parse_cd_text(path, section)?, section.line)),
            _ => {
                if section.numbered("entry").is_some() {
                    sheet.entries.push(parse_entry(path, section)?);
                } else if let Some(n) = section.numbered("track") {
                    let number = number_of(path, section, n)?;
                    if sheet.tracks.iter().any(|(t, _)| *t == number) {
                        return Err(Error::at_line(
                            path,
                            section.line,
                            1,
                            format!("a second [TRACK {number}]"),
                        ));
                    }
                    sheet.tracks.push((number, parse_track(path, section)?));
                } else if let Some(n) = section.numbered("session") {
                    let number = number_of(path, section, n)?;
                    sheet.session_lines.push((number, section.line));
                } else {
                    warnings.push(format!(
                        "{}: line {}: section [{}] is not CloneCD's; it is ignored",
                        path.display(),
                        section.line,
                        section.name
                    ));
                }
            }
        }
    }
    Ok(sheet)
}

fn number_of(path: &Path, section: &Section, digits: &str) -> Result<u8> {
    digits
        .parse::<u8>()
        .ok()
        .filter(|n| (1..=99).contains(n))
        .ok_or_else(|| {
            Error::at_line(
                path,
                section.line,
                1,
                format!("[{}]: the number must be 1-99", section.name),
            )
        })
}

fn parse_disc(path: &Path, section: &Section, sheet: &mut Sheet) -> Result<()> {
    if let Some(key) = section.get("datatracksscrambled")
        && key.number(path)? != 0
    {
        return Err(Error::unsupported(
            path,
            format!(
                "line {}: DataTracksScrambled={}: scrambled data tracks",
                key.line, key.value
            ),
        ));
    }
    if let Some(key) = section.get("tocentries") {
        sheet.toc_entries = Some((key.number(path)?, key.line));
    }
    sheet.catalog = section
        .get("catalog")
        .map(|k| (k.value.clone(), k.line))
        .filter(|(v, _)| !v.is_empty());
    sheet.subchannel_generated = section
        .get(DISCUS_SUBCHANNEL)
        .is_some_and(|k| k.value.eq_ignore_ascii_case("generated"));
    Ok(())
}

fn parse_cd_text(path: &Path, section: &Section) -> Result<Vec<u8>> {
    let mut packs: Vec<(i64, Vec<u8>)> = Vec::new();
    for key in &section.keys {
        let Some(n) = key.name.strip_prefix("entry ") else {
            continue;
        };
        let index = n.trim().parse::<i64>().map_err(|_| {
            Error::at_line(
                path,
                key.line,
                1,
                format!("'{}' is not a CD-TEXT entry", key.name),
            )
        })?;
        let bytes = key
            .value
            .split_whitespace()
            .map(|b| u8::from_str_radix(b.trim_start_matches("0x"), 16))
            .collect::<std::result::Result<Vec<u8>, _>>()
            .ok()
            .filter(|b| b.len() == 18)
            .ok_or_else(|| {
                Error::at_line(
                    path,
                    key.line,
                    key.column,
                    "a CD-TEXT entry must be 18 hexadecimal bytes",
                )
            })?;
        packs.push((index, bytes));
    }
    packs.sort_by_key(|(n, _)| *n);
    Ok(packs.into_iter().flat_map(|(_, b)| b).collect())
}

fn parse_entry(path: &Path, section: &Section) -> Result<Entry> {
    let byte = |name: &str| -> Result<u8> {
        match section.get(name) {
            Some(key) => Ok(key.in_range(path, 0..=255)? as u8),
            None => Err(Error::at_line(
                path,
                section.line,
                1,
                format!("[{}] has no {name} key", section.name),
            )),
        }
    };
    let session = byte("session")?;
    let point = byte("point")?;
    let control = byte("control")?;
    let adr = match section.get("adr") {
        Some(key) => key.in_range(path, 0..=15)? as u8,
        None => 1,
    };
    let plba = match section.get("plba") {
        Some(key) => key.in_range(path, -MAX_ADDRESS..=MAX_ADDRESS)?,
        None => {
            let m = section.number(path, "pmin")?;
            let s = section.number(path, "psec")?;
            let f = section.number(path, "pframe")?;
            (m * 60 + s) * 75 + f - 150
        }
    };
    if session == 0 {
        return Err(Error::at_line(
            path,
            section.get("session").map_or(section.line, |k| k.line),
            1,
            "Session=0: sessions count from 1",
        ));
    }
    Ok(Entry {
        session,
        point,
        adr,
        control: control & 0x0F,
        plba,
        line: section.line,
    })
}

fn parse_track(path: &Path, section: &Section) -> Result<TrackSection> {
    let mut track = TrackSection {
        line: section.line,
        ..TrackSection::default()
    };
    for key in &section.keys {
        if let Some(n) = key.name.strip_prefix("index ") {
            let number = n
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|&n| n <= 99)
                .ok_or_else(|| {
                    Error::at_line(
                        path,
                        key.line,
                        1,
                        format!("'{}' is not an index 0-99", key.name),
                    )
                })?;
            let value = key.in_range(path, -MAX_ADDRESS..=MAX_ADDRESS)?;
            track.indexes.retain(|(i, _, _)| *i != number);
            track.indexes.push((number, value, key.line));
        } else if key.name == "mode" {
            track.mode = Some((key.number(path)?, key.line));
        } else if key.name == "isrc" {
            track.isrc = Some((key.value.clone(), key.line));
        } else if key.name == DISCUS_PREGAP {
            track.pregap_generated = key.value.eq_ignore_ascii_case("generated");
        } else if key.name == DISCUS_POSTGAP {
            let mut words = key.value.split_whitespace();
            let sectors = words
                .next()
                .and_then(|w| w.parse::<u32>().ok())
                .filter(|&n| i64::from(n) < MAX_ADDRESS);
            let stored = match words.next().map(str::to_ascii_lowercase).as_deref() {
                Some("stored") => Some(true),
                Some("generated") | None => Some(false),
                Some(_) => None,
            };
            let (Some(sectors), Some(stored)) = (sectors, stored) else {
                return Err(Error::at_line(
                    path,
                    key.line,
                    key.column,
                    format!(
                        "{} must be a sector count and 'generated' or 'stored'",
                        key.name
                    ),
                ));
            };
            track.postgap = Some((sectors, stored, key.line));
        }
    }
    track.indexes.sort_by_key(|(i, _, _)| *i);
    Ok(track)
}

/// Where a track's sectors are in the `.img` (and `.sub`).
#[derive(Clone, Debug)]
struct Storage {
    /// The address of the track's first sector in the files (its pregap's start).
    first: Lba,
    /// The sector number of that sector in the files.
    sector: u64,
}

/// An opened CloneCD image.
#[derive(Debug)]
pub(crate) struct CcdSource {
    ccd: PathBuf,
    img_path: PathBuf,
    img: File,
    sub: Option<(PathBuf, File)>,
    disc: Disc,
    storage: Vec<Storage>,
    main: Vec<u8>,
    packed: Vec<u8>,
    details: Vec<(String, String)>,
    warnings: Vec<String>,
}

impl SectorSource for CcdSource {
    fn disc(&self) -> &Disc {
        &self.disc
    }

    fn stored_form(&self, _track: usize) -> Form {
        if self.sub.is_some() {
            Form::RawSub
        } else {
            Form::Raw
        }
    }

    fn read(&mut self, track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
        let form = self.stored_form(track);
        let storage = self.storage.get(track).ok_or_else(|| {
            Error::Usage(format!("{}: no track at index {track}", self.ccd.display()))
        })?;
        let skip = u64::try_from(lba.distance_from(storage.first)).map_err(|_| {
            Error::Usage(format!(
                "{}: LBA {lba} is before track index {track}",
                self.ccd.display()
            ))
        })?;
        let sector = storage.sector + skip;
        let count = buf.len() / form.size();
        let Some((sub_path, sub)) = &self.sub else {
            return read_exact_at(&self.img, &self.img_path, buf, sector * RAW_SIZE as u64);
        };
        self.main.resize(count * RAW_SIZE, 0);
        self.packed.resize(count * SUBCHANNEL_SIZE, 0);
        read_exact_at(
            &self.img,
            &self.img_path,
            &mut self.main,
            sector * RAW_SIZE as u64,
        )?;
        read_exact_at(
            sub,
            sub_path,
            &mut self.packed,
            sector * SUBCHANNEL_SIZE as u64,
        )?;
        for ((out, main), packed) in buf
            .chunks_exact_mut(form.size())
            .zip(self.main.chunks_exact(RAW_SIZE))
            .zip(self.packed.chunks_exact(SUBCHANNEL_SIZE))
        {
            let (out_main, out_sub) = out.split_at_mut(RAW_SIZE);
            out_main.copy_from_slice(main);
            interleave(packed, out_sub);
        }
        Ok(())
    }

    fn files(&self) -> Vec<PathBuf> {
        let mut files = vec![self.ccd.clone(), self.img_path.clone()];
        if let Some((path, _)) = &self.sub {
            files.push(path.clone());
        }
        files
    }

    fn details(&self) -> Vec<(String, String)> {
        self.details.clone()
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

/// What the sectors of a track say it is, from the first synced sector among its first few.
fn sniff_mode(
    img: &File,
    img_path: &Path,
    first: u64,
    available: u64,
) -> Result<Option<TrackMode>> {
    let count = available.min(SNIFF_SECTORS);
    let mut buf = vec![0u8; count as usize * RAW_SIZE];
    read_exact_at(img, img_path, &mut buf, first * RAW_SIZE as u64)?;
    for sector in buf.chunks_exact(RAW_SIZE) {
        if sector[..12] != SYNC {
            continue;
        }
        return Ok(match sector[15] {
            1 => Some(TrackMode::Mode1),
            2 if sector[16..20] == sector[20..24] => Some(TrackMode::Mode2Xa),
            2 => Some(TrackMode::Mode2),
            _ => continue,
        });
    }
    Ok((count > 0).then_some(TrackMode::Audio))
}

/// Opens the descriptor `ccd` with its `.img` and (if present) `.sub`.
pub(crate) fn open(ccd: &Path) -> Result<CcdSource> {
    let len = std::fs::metadata(ccd).with_path(ccd)?.len();
    if len > MAX_DESCRIPTOR {
        return Err(Error::at_offset(
            ccd,
            0,
            format!("{len} bytes is far too large for a CloneCD descriptor"),
        ));
    }
    let bytes = std::fs::read(ccd).with_path(ccd)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut warnings = Vec::new();
    let sheet = parse(ccd, &text, &mut warnings)?;

    let img_path = sibling(ccd, "img").ok_or_else(|| {
        Error::io(
            ccd.with_extension("img"),
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("the image file of {} is missing", ccd.display()),
            ),
        )
    })?;
    let img = File::open(&img_path).with_path(&img_path)?;
    let img_len = img.metadata().with_path(&img_path)?.len();
    let sub = match sibling(ccd, "sub") {
        Some(path) => {
            let file = File::open(&path).with_path(&path)?;
            let len = file.metadata().with_path(&path)?.len();
            Some((path, file, len))
        }
        None => None,
    };

    // Tracks in number order, with the lead-out of each session.
    let mut entries: Vec<&Entry> = sheet
        .entries
        .iter()
        .filter(|e| (1..=99).contains(&e.point) && e.adr <= 1)
        .collect();
    entries.sort_by_key(|e| e.point);
    if entries.is_empty() {
        return Err(Error::at_line(
            ccd,
            sheet.entries.first().map_or(1, |e| e.line),
            1,
            "no [Entry] describes a track (Point 1-99)",
        ));
    }
    for pair in entries.windows(2) {
        if let [a, b] = pair {
            if a.point == b.point {
                return Err(Error::at_line(
                    ccd,
                    b.line,
                    1,
                    format!(
                        "a second entry for track {} (the first is at line {})",
                        b.point, a.line
                    ),
                ));
            }
            if b.session < a.session || b.plba <= a.plba {
                return Err(Error::at_line(
                    ccd,
                    b.line,
                    1,
                    format!(
                        "track {} (session {}, PLBA {}) does not follow track {} (session {}, PLBA {})",
                        b.point, b.session, b.plba, a.point, a.session, a.plba
                    ),
                ));
            }
        }
    }
    if let Some((count, line)) = sheet.toc_entries
        && count != sheet.entries.len() as i64
    {
        warnings.push(format!(
            "{}: line {line}: TocEntries={count}, but the descriptor has {} [Entry] sections",
            ccd.display(),
            sheet.entries.len()
        ));
    }
    let lead_out = |session: u8| -> Result<i64> {
        sheet
            .entries
            .iter()
            .find(|e| e.point == 0xA2 && e.session == session)
            .map(|e| e.plba)
            .ok_or_else(|| {
                let line = sheet
                    .session_lines
                    .iter()
                    .find(|(n, _)| *n == session)
                    .map(|(_, l)| *l)
                    .or_else(|| {
                        entries
                            .iter()
                            .find(|e| e.session == session)
                            .map(|e| e.line)
                    })
                    .unwrap_or(1);
                Error::at_line(
                    ccd,
                    line,
                    1,
                    format!("session {session} has no lead-out entry (Point=0xa2)"),
                )
            })
    };

    let mut sessions: Vec<Session> = Vec::new();
    let mut storage = Vec::with_capacity(entries.len());
    let mut sector = 0u64;
    let mut sniffs = Vec::new();
    for (position, entry) in entries.iter().enumerate() {
        let section = sheet
            .tracks
            .iter()
            .find(|(n, _)| *n == entry.point)
            .map(|(_, s)| s);
        let index = |n: u8| section.and_then(|s| s.indexes.iter().find(|(i, _, _)| *i == n));
        let index1 = index(1).map(|(_, v, _)| *v);
        let pregap = match (index(0), index1) {
            (Some((_, zero, line)), one) => {
                let gap = one.unwrap_or(entry.plba) - zero;
                if gap < 0 {
                    return Err(Error::at_line(
                        ccd,
                        *line,
                        1,
                        format!("track {}: INDEX 0 lies after INDEX 1", entry.point),
                    ));
                }
                gap
            }
            (None, _) => 0,
        };
        let first = entry.plba - pregap;
        let next = entries
            .get(position + 1)
            .filter(|n| n.session == entry.session);
        let end = match next {
            Some(next) => {
                let next_section = sheet
                    .tracks
                    .iter()
                    .find(|(n, _)| *n == next.point)
                    .map(|(_, s)| s);
                let next_index =
                    |n: u8| next_section.and_then(|s| s.indexes.iter().find(|(i, _, _)| *i == n));
                match next_index(0) {
                    Some((_, zero, _)) => {
                        next.plba - (next_index(1).map_or(next.plba, |(_, v, _)| *v) - zero)
                    }
                    None => next.plba,
                }
            }
            None => lead_out(entry.session)?,
        };
        let (postgap, post_stored) = match section.and_then(|s| s.postgap) {
            Some((sectors, stored, _)) => (i64::from(sectors), stored),
            None => (0, false),
        };
        let length = end - entry.plba - postgap;
        if length <= 0 || first < -MAX_ADDRESS || end > MAX_ADDRESS {
            return Err(Error::at_line(
                ccd,
                entry.line,
                1,
                format!(
                    "track {} starts at LBA {} but the next track or the lead-out is at LBA {end}{}",
                    entry.point,
                    entry.plba,
                    if postgap > 0 {
                        format!(" (after a postgap of {postgap})")
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        let mut track = Track::new(
            entry.point,
            TrackMode::Mode1,
            Lba(entry.plba as i32),
            length as u32,
        );
        track.control = Control(entry.control);
        if pregap > 0 {
            track.pregap = Gap {
                sectors: pregap as u32,
                stored: !section.is_some_and(|s| s.pregap_generated),
            };
        }
        if postgap > 0 {
            track.postgap = Gap {
                sectors: postgap as u32,
                stored: post_stored,
            };
        }
        for &(number, value, line) in section.map_or(&[][..], |s| &s.indexes[..]) {
            if number < 2 {
                continue;
            }
            let lba = match index1 {
                Some(one) => entry.plba + (value - one),
                None => value,
            };
            let last = track
                .indexes
                .last()
                .map_or(entry.plba, |i| i64::from(i.lba.0));
            if lba <= last || lba >= entry.plba + length {
                warnings.push(format!(
                    "{}: line {line}: INDEX {number} of track {} is outside the track or out of order; it is ignored",
                    ccd.display(),
                    entry.point
                ));
                continue;
            }
            track.indexes.push(Index {
                number,
                lba: Lba(lba as i32),
            });
        }
        if let Some((isrc, line)) = section.and_then(|s| s.isrc.clone()) {
            if isrc.len() == 12 && isrc.bytes().all(|b| b.is_ascii_alphanumeric()) {
                track.isrc = Some(isrc);
            } else {
                warnings.push(format!(
                    "{}: line {line}: ISRC '{isrc}' is not 12 letters and digits; it is ignored",
                    ccd.display()
                ));
            }
        }
        storage.push(Storage {
            first: Lba(first as i32),
            sector,
        });
        sniffs.push((
            sector + pregap as u64,
            length as u64,
            section.and_then(|s| s.mode),
        ));
        sector += (end - first) as u64;
        match sessions.last_mut() {
            Some(session) if session.number == entry.session => session.tracks.push(track),
            _ => sessions.push(Session {
                number: entry.session,
                tracks: vec![track],
            }),
        }
    }
    for (number, section) in &sheet.tracks {
        if !entries.iter().any(|e| e.point == *number) {
            warnings.push(format!(
                "{}: line {}: [TRACK {number}] has no TOC entry; it is ignored",
                ccd.display(),
                section.line
            ));
        }
    }

    let needed = sector * RAW_SIZE as u64;
    if img_len < needed {
        return Err(Error::at_offset(
            &img_path,
            img_len,
            format!(
                "the image holds {img_len} bytes; the {} tracks {} describes need {sector} sectors ({needed} bytes)",
                entries.len(),
                ccd.display()
            ),
        ));
    }
    if img_len > needed {
        warnings.push(format!(
            "{}: {} bytes after the last track's sectors are ignored",
            img_path.display(),
            img_len - needed
        ));
    }
    if let Some((path, _, len)) = &sub {
        let needed = sector * SUBCHANNEL_SIZE as u64;
        if *len < needed {
            return Err(Error::at_offset(
                path,
                *len,
                format!(
                    "the subchannel file holds {len} bytes, {} sectors' worth; the image has {sector} sectors ({needed} bytes of subchannel)",
                    len / SUBCHANNEL_SIZE as u64
                ),
            ));
        }
        if *len > needed {
            warnings.push(format!(
                "{}: {} bytes after the last sector's subchannel are ignored",
                path.display(),
                len - needed
            ));
        }
    }

    // The sectors decide each track's mode.
    let mut tracks: Vec<&mut Track> = sessions
        .iter_mut()
        .flat_map(|s| s.tracks.iter_mut())
        .collect();
    for (track, (first, length, mode_key)) in tracks.iter_mut().zip(sniffs) {
        let declared = match mode_key {
            Some((0, _)) => Some(TrackMode::Audio),
            Some((1, _)) => Some(TrackMode::Mode1),
            Some((2, _)) => Some(TrackMode::Mode2Xa),
            _ => None,
        };
        let found = sniff_mode(&img, &img_path, first, length)?;
        let mode = found.or(declared).unwrap_or(TrackMode::Audio);
        let disagrees = match (declared, found) {
            (Some(TrackMode::Mode2Xa), Some(TrackMode::Mode2)) => false,
            (Some(d), Some(f)) => d != f,
            _ => false,
        };
        if disagrees && let Some((value, line)) = mode_key {
            warnings.push(format!(
                    "{}: line {line}: track {} says MODE={value}, but its sectors are {}; the sectors are trusted",
                    ccd.display(),
                    track.number,
                    mode.name()
                ));
        }
        track.mode = mode;
    }

    let catalog = match sheet.catalog {
        Some((catalog, _))
            if catalog.len() == 13 && catalog.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(catalog)
        }
        Some((catalog, line)) => {
            warnings.push(format!(
                "{}: line {line}: CATALOG '{catalog}' is not 13 digits; it is ignored",
                ccd.display()
            ));
            None
        }
        None => None,
    };
    let subchannel = match (&sub, sheet.subchannel_generated) {
        (None, _) => None,
        (Some(_), true) => Some(Subchannel::Generated),
        (Some(_), false) => Some(Subchannel::Stored),
    };
    let mut disc = Disc {
        sessions,
        catalog,
        subchannel,
        ..Disc::default()
    };
    if let Some((packs, line)) = sheet.cd_text {
        // CloneCD has no other place for text: the packs are the disc's CD-TEXT.
        let said = cd_text::read_into(&mut disc, &packs);
        warnings.extend(
            said.iter()
                .map(|w| format!("{}: line {line}: [CDText]: {w}", ccd.display())),
        );
    }
    let details = vec![
        (
            "version".to_string(),
            sheet
                .version
                .map_or("not given".to_string(), |v| v.to_string()),
        ),
        ("sectors".to_string(), sector.to_string()),
        (
            "subchannel".to_string(),
            match subchannel {
                None => "none (no .sub file)".to_string(),
                Some(Subchannel::Generated) => {
                    "generated by discus (P and Q from the layout), packed P-W in .sub".to_string()
                }
                Some(Subchannel::Stored) => "stored, packed P-W in .sub".to_string(),
            },
        ),
    ];
    Ok(CcdSource {
        ccd: ccd.to_path_buf(),
        img_path,
        img,
        sub: sub.map(|(path, file, _)| (path, file)),
        disc,
        storage,
        main: Vec::new(),
        packed: Vec::new(),
        details,
        warnings,
    })
}
