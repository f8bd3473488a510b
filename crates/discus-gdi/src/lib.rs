//! Dreamcast GD-ROM sheets (`.gdi`) for discus: a line with the track count, then one line per
//! track — number, LBA of the file's first sector, type (0 audio, 4 data), sector size (2352 or
//! 2048), file name (quoted when it holds spaces) and a byte offset into the file.
//!
//! A GD-ROM has two areas: the single-density area from LBA 0 (tracks 1 and 2, readable by any CD
//! drive) and the high-density area from LBA 45000 (track 3 on). discus reads them as two sessions,
//! the second starting at the LBA the sheet gives. Between two tracks of an area, sectors no file
//! holds (the 150-sector gap before a data track after audio) become the later track's generated
//! pregap. Writing makes one file per track and the sheet: see `docs/formats/gdi.md`.

mod write;

pub use write::sheet;

use std::path::{Path, PathBuf};

use discus_core::ecm::Input;
use discus_core::sector::SYNC;
use discus_core::{
    Confidence, Disc, Error, Form, Format, Gap, Lba, Probe, Result, SectorSource, Session, Track,
    TrackMode, Writer,
};

/// The GDI format.
pub static FORMAT: Format = Format {
    name: "gdi",
    description: "GDI: a Dreamcast GD-ROM sheet over one file per track",
    extensions: &["gdi"],
    probe,
    open,
    writer: Some(Writer {
        capabilities: write::CAPABILITIES,
        plan: write::plan,
        create: write::create,
    }),
};

/// Where the high-density area of a GD-ROM begins.
pub const HIGH_DENSITY_START: i32 = discus_core::disc::GD_ROM_HIGH_DENSITY.0;

/// One line of the sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Line {
    number: u8,
    lba: i32,
    data: bool,
    sector_size: u32,
    name: String,
    offset: u64,
    line: usize,
}

/// The words of a line; a double-quoted word may hold spaces.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            out.push(chars.by_ref().take_while(|&c| c != '"').collect());
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
            out.push(word);
        }
    }
    out
}

/// Parses the sheet's text.
fn parse(path: &Path, text: &str) -> Result<Vec<Line>> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty());
    let (first, count_text) = lines
        .next()
        .ok_or_else(|| Error::at_line(path, 1, 1, "the sheet is empty"))?;
    let count: usize = count_text
        .parse()
        .ok()
        .filter(|n| (1..=99).contains(n))
        .ok_or_else(|| {
            Error::at_line(
                path,
                first,
                1,
                format!("'{count_text}' is not a track count (1-99)"),
            )
        })?;
    let mut tracks = Vec::new();
    for (number, text) in lines {
        let w = words(text);
        if w.len() < 6 {
            return Err(Error::at_line(
                path,
                number,
                1,
                "a track line needs: number, LBA, type, sector size, file name, offset",
            ));
        }
        let field = |i: usize, what: &str| -> Result<u64> {
            w[i].parse().map_err(|_| {
                Error::at_line(
                    path,
                    number,
                    1,
                    format!("{what} '{}' is not a number", w[i]),
                )
            })
        };
        let track = field(0, "track number")?;
        let lba = field(1, "LBA")?;
        let kind = field(2, "track type")?;
        let size = field(3, "sector size")?;
        let offset = field(5, "offset")?;
        if track != tracks.len() as u64 + 1 {
            return Err(Error::at_line(
                path,
                number,
                1,
                format!(
                    "track {track} where track {} was expected",
                    tracks.len() + 1
                ),
            ));
        }
        if kind != 0 && kind != 4 {
            return Err(Error::at_line(
                path,
                number,
                1,
                format!("track type {kind}: 0 (audio) or 4 (data)"),
            ));
        }
        if !(size == 2352 || (size == 2048 && kind == 4)) {
            return Err(Error::at_line(
                path,
                number,
                1,
                format!("sector size {size}: 2352, or 2048 for data"),
            ));
        }
        let lba = i32::try_from(lba)
            .ok()
            .filter(|&l| l < 450_000 * 2)
            .ok_or_else(|| {
                Error::at_line(path, number, 1, format!("LBA {lba} is beyond any disc"))
            })?;
        tracks.push(Line {
            number: track as u8,
            lba,
            data: kind == 4,
            sector_size: size as u32,
            name: w[4].clone(),
            offset,
            line: number,
        });
    }
    if tracks.len() != count {
        return Err(Error::at_line(
            path,
            first,
            1,
            format!("the sheet says {count} tracks and lists {}", tracks.len()),
        ));
    }
    Ok(tracks)
}

fn probe(probe: &Probe<'_>) -> Confidence {
    if probe.head.is_empty() || probe.head.contains(&0) || probe.len > 64 * 1024 {
        return Confidence::No;
    }
    let text = String::from_utf8_lossy(probe.head);
    match parse(probe.path, &text) {
        Ok(_) => Confidence::Structure,
        Err(_) if probe.has_extension(FORMAT.extensions) => Confidence::Extension,
        Err(_) => Confidence::No,
    }
}

/// An open GDI: the disc and one data file per track.
#[derive(Debug)]
struct GdiSource {
    disc: Disc,
    sheet: PathBuf,
    /// Per track: the file, its path, its form and the byte of its first sector.
    files: Vec<(PathBuf, Input, Form, u64)>,
}

/// The largest GDI sheet read: a GD-ROM has at most 99 tracks of one short line each.
const MAX_SHEET: u64 = 64 * 1024;

fn open(path: &Path) -> Result<Box<dyn SectorSource>> {
    let bytes = discus_core::flat::read_sheet(path, MAX_SHEET, "a GDI sheet")?;
    let text = String::from_utf8_lossy(&bytes);
    let lines = parse(path, &text)?;
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut files = Vec::new();
    let mut sessions: Vec<Session> = Vec::new();
    for line in &lines {
        let file_path = discus_core::ecm::resolve(&folder.join(&line.name)).ok_or_else(|| {
            Error::at_line(
                path,
                line.line,
                1,
                format!(
                    "track file '{}' not found in {}",
                    line.name,
                    folder.display()
                ),
            )
        })?;
        let input = Input::open(&file_path)?;
        let len = input.len(&file_path)?;
        let size = u64::from(line.sector_size);
        if line.offset > len {
            return Err(Error::at_line(
                path,
                line.line,
                1,
                format!(
                    "offset {} is past the end of '{}' ({len} bytes)",
                    line.offset,
                    file_path.display()
                ),
            ));
        }
        let sectors = u32::try_from((len - line.offset) / size)
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| {
                Error::at_line(
                    path,
                    line.line,
                    1,
                    format!("'{}' holds no whole sector", file_path.display()),
                )
            })?;
        let (mode, form) = match (line.data, line.sector_size) {
            (false, _) => (TrackMode::Audio, Form::Raw),
            (true, 2048) => (TrackMode::Mode1, Form::Cooked),
            (true, _) => {
                let mut head = [0u8; 16];
                input.read_exact_at(&file_path, &mut head, line.offset)?;
                let mode = match (head[..12] == SYNC, head[15]) {
                    (true, 2) => TrackMode::Mode2Xa,
                    _ => TrackMode::Mode1,
                };
                (mode, Form::Raw)
            }
        };
        let mut track = Track::new(line.number, mode, Lba(line.lba), sectors);
        track.pregap = Gap::NONE;
        let high = line.lba >= HIGH_DENSITY_START;
        let session_number = if high && !sessions.is_empty() { 2 } else { 1 };
        match sessions.last_mut() {
            Some(session) if session.number == session_number => {
                if let Some(before) = session.tracks.last()
                    && before.end_lba() > track.start
                {
                    return Err(Error::at_line(
                        path,
                        line.line,
                        1,
                        format!(
                            "track {} starts at LBA {}, inside track {}",
                            line.number, line.lba, before.number
                        ),
                    ));
                }
                session.tracks.push(track);
            }
            _ => sessions.push(Session {
                number: session_number,
                tracks: vec![track],
            }),
        }
        files.push((file_path, input, form, line.offset));
    }
    let mut disc = Disc {
        sessions,
        ..Disc::default()
    };
    // Sectors before a track 1 that starts late are its pregap, as on any disc from LBA 0.
    disc.fill_before_first_track();
    // Sectors between two tracks of an area belong to the later track's pregap, not stored.
    for session in &mut disc.sessions {
        for pair in 1..session.tracks.len() {
            let end = session.tracks[pair - 1].end_lba();
            let next = &mut session.tracks[pair];
            let hole = next.start.distance_from(end);
            if hole > 0 {
                next.pregap = Gap::generated(hole as u32);
            }
        }
    }
    Ok(Box::new(GdiSource {
        disc,
        sheet: path.to_path_buf(),
        files,
    }))
}

impl SectorSource for GdiSource {
    fn disc(&self) -> &Disc {
        &self.disc
    }

    fn stored_form(&self, track: usize) -> Form {
        self.files.get(track).map_or(Form::Raw, |f| f.2)
    }

    fn read(&mut self, track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
        let start = self
            .disc
            .track(track)
            .ok_or_else(|| Error::Usage(format!("no track at index {track}")))?
            .start;
        let (path, input, form, offset) = self
            .files
            .get(track)
            .ok_or_else(|| Error::Usage(format!("no file for track {}", track + 1)))?;
        let index = u64::try_from(lba.distance_from(start))
            .map_err(|_| Error::Usage(format!("LBA {lba} is before track {}", track + 1)))?;
        input.read_exact_at(path, buf, offset + index * form.size() as u64)
    }

    fn files(&self) -> Vec<PathBuf> {
        std::iter::once(self.sheet.clone())
            .chain(self.files.iter().map(|f| f.0.clone()))
            .collect()
    }

    fn details(&self) -> Vec<(String, String)> {
        vec![(
            "areas".to_string(),
            format!(
                "single density from LBA 0, high density from LBA {HIGH_DENSITY_START} (session 2)"
            ),
        )]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn i15_2_lines_quoted_names_and_errors() {
        let lines = parse(
            Path::new("d.gdi"),
            "2\r\n1 0 4 2352 \"Track 01.bin\" 0\r\n2 600 0 2352 track02.raw 0\r\n",
        )
        .unwrap();
        assert_eq!(lines[0].name, "Track 01.bin");
        assert!(!lines[1].data);
        let error = |text: &str| parse(Path::new("d.gdi"), text).unwrap_err().to_string();
        assert!(error("x\n").contains("line 1, column 1"));
        assert!(error("2\n1 0 4 2352 a.bin 0\n").contains("lists 1"));
        assert!(error("1\n\n1 0 5 2352 a.bin 0\n").contains("line 3, column 1: track type 5"));
        assert!(error("1\n2 0 4 2352 a.bin 0\n").contains("track 2 where track 1"));
        assert!(error("1\n1 0 0 2048 a.bin 0\n").contains("sector size 2048"));
    }
}
