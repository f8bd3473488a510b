//! Reads the text of a cue sheet into a [`Sheet`]: decoding (UTF-8 with or without BOM, else
//! Latin-1), lines (CRLF, LF or CR), tokens (quoted or bare) and every command, checked line by
//! line. Nothing here touches the disk: file names stay names until `files` looks for them, and
//! INDEX times stay file positions until `layout` turns them into disc addresses.

use std::path::Path;

use discus_core::sector::{FORM2_USER_SIZE, MODE2_SIZE, RAW_SIZE, RAW_SUB_SIZE, USER_SIZE};
use discus_core::{Control, Error, Form, Msf, Result, Text, TrackMode};

/// A place in the sheet, both from 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    /// An error at this place of `path`.
    pub fn error(self, path: &Path, message: impl Into<String>) -> Error {
        Error::at_line(path, self.line, self.column, message)
    }

    /// A warning at this place of `path`, worded like an error so the two read alike.
    pub fn warning(self, path: &Path, message: impl std::fmt::Display) -> String {
        format!(
            "{}: line {}, column {}: {message}",
            path.display(),
            self.line,
            self.column
        )
    }
}

/// How a FILE stores its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileType {
    /// Sectors as they are; audio little-endian.
    Binary,
    /// Sectors as they are, but audio samples big-endian.
    Motorola,
    /// A RIFF WAVE file whose `data` chunk holds CD audio.
    Wave,
}

impl FileType {
    pub fn keyword(self) -> &'static str {
        match self {
            FileType::Binary => "BINARY",
            FileType::Motorola => "MOTOROLA",
            FileType::Wave => "WAVE",
        }
    }
}

/// Compressed or foreign audio containers that cue sheets name but discus does not decode.
const UNSUPPORTED_AUDIO: &[&str] = &["MP3", "AIFF", "FLAC", "OGG", "APE", "WV", "M4A", "OPUS"];

/// A TRACK mode keyword: what the track holds and how many bytes each sector takes in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TrackKind {
    Audio,
    /// Audio followed by 96 bytes of interleaved subchannel (CD+G karaoke).
    Cdg,
    Mode1Cooked,
    Mode1Raw,
    /// Mode 2 without sync and header.
    Mode2Body,
    Mode2Raw,
    CdiBody,
    CdiRaw,
    /// Non-standard: Form 1 user data only.
    Mode2Form1,
    /// Non-standard: Form 2 user data only.
    Mode2Form2,
    /// Non-standard (cdrdao): Form 2 user data and its EDC.
    Mode2Form2Edc,
}

impl TrackKind {
    const ALL: [TrackKind; 11] = [
        TrackKind::Audio,
        TrackKind::Cdg,
        TrackKind::Mode1Cooked,
        TrackKind::Mode1Raw,
        TrackKind::Mode2Body,
        TrackKind::Mode2Raw,
        TrackKind::CdiBody,
        TrackKind::CdiRaw,
        TrackKind::Mode2Form1,
        TrackKind::Mode2Form2,
        TrackKind::Mode2Form2Edc,
    ];

    pub fn parse(word: &str) -> Option<TrackKind> {
        TrackKind::ALL
            .into_iter()
            .find(|kind| kind.keyword().eq_ignore_ascii_case(word))
    }

    pub fn keyword(self) -> &'static str {
        match self {
            TrackKind::Audio => "AUDIO",
            TrackKind::Cdg => "CDG",
            TrackKind::Mode1Cooked => "MODE1/2048",
            TrackKind::Mode1Raw => "MODE1/2352",
            TrackKind::Mode2Body => "MODE2/2336",
            TrackKind::Mode2Raw => "MODE2/2352",
            TrackKind::CdiBody => "CDI/2336",
            TrackKind::CdiRaw => "CDI/2352",
            TrackKind::Mode2Form1 => "MODE2/2048",
            TrackKind::Mode2Form2 => "MODE2/2324",
            TrackKind::Mode2Form2Edc => "MODE2/2328",
        }
    }

    /// What the disc holds. Every Mode 2 flavour a cue names is XA in practice (CD-i included).
    pub fn mode(self) -> TrackMode {
        match self {
            TrackKind::Audio | TrackKind::Cdg => TrackMode::Audio,
            TrackKind::Mode1Cooked | TrackKind::Mode1Raw => TrackMode::Mode1,
            _ => TrackMode::Mode2Xa,
        }
    }

    /// Bytes one sector takes in the file.
    pub fn file_sector_size(self) -> usize {
        match self {
            TrackKind::Audio | TrackKind::Mode1Raw | TrackKind::Mode2Raw | TrackKind::CdiRaw => {
                RAW_SIZE
            }
            TrackKind::Cdg => RAW_SUB_SIZE,
            TrackKind::Mode1Cooked | TrackKind::Mode2Form1 => USER_SIZE,
            TrackKind::Mode2Body | TrackKind::CdiBody => MODE2_SIZE,
            TrackKind::Mode2Form2 => FORM2_USER_SIZE,
            TrackKind::Mode2Form2Edc => FORM2_USER_SIZE + 4,
        }
    }

    /// The form the reader hands sectors out in. The two Form 2 shapes the core has no form for
    /// are widened to the 2336-byte Mode 2 body by giving them a subheader.
    pub fn form(self) -> Form {
        match self {
            TrackKind::Audio | TrackKind::Mode1Raw | TrackKind::Mode2Raw | TrackKind::CdiRaw => {
                Form::Raw
            }
            TrackKind::Cdg => Form::RawSub,
            TrackKind::Mode1Cooked | TrackKind::Mode2Form1 => Form::Cooked,
            TrackKind::Mode2Body
            | TrackKind::CdiBody
            | TrackKind::Mode2Form2
            | TrackKind::Mode2Form2Edc => Form::Mode2,
        }
    }

    /// Whether the main channel is audio samples (byte order matters for MOTOROLA files).
    pub fn is_audio(self) -> bool {
        self.mode() == TrackMode::Audio
    }
}

/// A FILE line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SheetFile {
    /// The name as written (quotes removed).
    pub name: String,
    pub kind: FileType,
    /// Where the name starts.
    pub pos: Pos,
}

/// An INDEX line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SheetIndex {
    pub number: u8,
    /// The FILE (index into [`Sheet::files`]) current at this line.
    pub file: usize,
    /// Sectors from the start of that file.
    pub frames: u32,
    pub pos: Pos,
}

/// A TRACK and the commands that belong to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SheetTrack {
    pub number: u8,
    pub kind: TrackKind,
    pub session: u8,
    pub pos: Pos,
    /// PREGAP: sectors and the place of the command.
    pub pregap: Option<(u32, Pos)>,
    /// POSTGAP in sectors.
    pub postgap: u32,
    pub indexes: Vec<SheetIndex>,
    /// FLAGS as control bits (the data bit is added from the mode later).
    pub flags: u8,
    pub isrc: Option<String>,
    pub text: Text,
}

/// A parsed cue sheet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sheet {
    pub catalog: Option<String>,
    pub cd_text_file: Option<(String, Pos)>,
    pub text: Text,
    pub files: Vec<SheetFile>,
    pub tracks: Vec<SheetTrack>,
    /// REM lines other than REM SESSION and the GD-ROM area marks, kept for `details` only.
    pub comments: Vec<String>,
    /// The session `REM HIGH-DENSITY AREA` began (Redump's GD-ROM sheets): its first file's
    /// first sector is LBA 45000.
    pub high_density: Option<u8>,
    pub warnings: Vec<String>,
}

/// Turns the bytes of a sheet into text: a UTF-8 BOM is dropped; text that is not UTF-8 is read
/// as Latin-1, which every byte is, so decoding never fails (Windows rips use ANSI code pages).
/// A UTF-16 BOM (some Windows tools save sheets so) selects UTF-16.
pub(crate) fn decode(bytes: &[u8]) -> String {
    if let Some(text) = utf16(bytes) {
        return text;
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// UTF-16 text behind its BOM, or `None` without one.
fn utf16(bytes: &[u8]) -> Option<String> {
    let (body, little) = match bytes {
        [0xFF, 0xFE, body @ ..] => (body, true),
        [0xFE, 0xFF, body @ ..] => (body, false),
        _ => return None,
    };
    let units = body.chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if little {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    });
    Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

/// Where a file that is not UTF-16 holds a NUL byte: no sheet does, binary files always do.
pub(crate) fn binary_at(bytes: &[u8]) -> Option<usize> {
    if utf16(bytes.get(..2).unwrap_or_default()).is_some() {
        return None;
    }
    bytes.iter().position(|&b| b == 0)
}

/// Splits text into lines on CRLF, LF or a lone CR, numbered from 1.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text;
    let mut number = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        number += 1;
        let (line, next) = match rest.find(['\r', '\n']) {
            Some(at) => {
                let skip = if rest[at..].starts_with("\r\n") { 2 } else { 1 };
                (&rest[..at], &rest[at + skip..])
            }
            None => (rest, ""),
        };
        rest = next;
        Some((number, line))
    })
}

/// One word of a line: bare, or the inside of double quotes.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Token<'a> {
    text: &'a str,
    quoted: bool,
    /// Byte offset in the line where the token (its opening quote) starts.
    start: usize,
    column: usize,
}

fn tokens<'a>(line: &'a str, number: usize, path: &Path) -> Result<Vec<Token<'a>>> {
    let mut out = Vec::new();
    let mut chars = line.char_indices().enumerate().peekable();
    while let Some((column, (start, c))) = chars.next() {
        // A BOM in the middle of text (sheets pasted together) is as good as a space.
        if c.is_whitespace() || c == '\u{feff}' {
            continue;
        }
        let column = column + 1;
        if c == '"' {
            // A quoted name runs to the next quote; cue sheets define no escapes.
            let mut end = None;
            for (_, (at, c)) in chars.by_ref() {
                if c == '"' {
                    end = Some(at);
                    break;
                }
            }
            let end = end.ok_or_else(|| {
                Error::at_line(path, number, column, "quote opened here is never closed")
            })?;
            out.push(Token {
                text: &line[start + 1..end],
                quoted: true,
                start,
                column,
            });
        } else {
            let mut end = line.len();
            while let Some(&(_, (at, c))) = chars.peek() {
                if c.is_whitespace() || c == '\u{feff}' {
                    end = at;
                    break;
                }
                chars.next();
            }
            out.push(Token {
                text: &line[start..end],
                quoted: false,
                start,
                column,
            });
        }
    }
    Ok(out)
}

fn pos_of(line: usize, token: &Token<'_>) -> Pos {
    Pos {
        line,
        column: token.column,
    }
}

/// The argument that runs from token `from` to the end of the line: a single token as it is
/// (unquoted), or the raw rest of the line, so that bare names with spaces survive.
fn rest_of_line(line: &str, tokens: &[Token<'_>], from: usize) -> Option<String> {
    match tokens.get(from..)? {
        [] => None,
        [one] => Some(one.text.to_string()),
        [first, ..] => Some(line.get(first.start..)?.trim().to_string()),
    }
}

fn parse_msf(path: &Path, line: usize, token: &Token<'_>) -> Result<u32> {
    Msf::parse(token.text)
        .map(Msf::frames)
        .map_err(|e| pos_of(line, token).error(path, e.to_string()))
}

/// A decimal number of one to three digits no greater than `max`.
fn parse_number(text: &str, max: u8) -> Option<u8> {
    if text.is_empty() || text.len() > 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u8>().ok().filter(|&n| n <= max)
}

/// CD-TEXT keywords some sheets carry that the model has no field for.
const IGNORED_CD_TEXT: &[&str] = &[
    "ARRANGER",
    "COMPOSER",
    "MESSAGE",
    "DISC_ID",
    "GENRE",
    "TOC_INFO1",
    "TOC_INFO2",
    "UPC_EAN",
    "SIZE_INFO",
];

/// Parser state between lines.
struct Parser<'p> {
    path: &'p Path,
    sheet: Sheet,
    session: u8,
    /// The last INDEX seen, to refuse indexes that go backwards in the same file.
    last_index: Option<SheetIndex>,
}

impl Parser<'_> {
    fn track(&mut self, keyword: &Token<'_>, line: usize) -> Result<&mut SheetTrack> {
        let path = self.path;
        let word = keyword.text.to_ascii_uppercase();
        self.sheet
            .tracks
            .last_mut()
            .ok_or_else(|| pos_of(line, keyword).error(path, format!("{word} outside a TRACK")))
    }

    fn warn(&mut self, pos: Pos, message: impl std::fmt::Display) {
        let warning = pos.warning(self.path, message);
        self.sheet.warnings.push(warning);
    }

    /// Checks that the track just ended has its INDEX 01. The sheet's last track may have only
    /// INDEX 00 (a rip cut off after the last pregap): its INDEX 00 is taken as the start, as MAME's
    /// chdman takes the rest of the file as the last track, with a warning.
    fn end_track(&mut self, last: bool) -> Result<()> {
        if let Some(track) = self.sheet.tracks.last_mut()
            && !track.indexes.iter().any(|i| i.number == 1)
        {
            if last && let Some(zero) = track.indexes.first_mut().filter(|i| i.number == 0) {
                zero.number = 1;
                let (pos, number) = (zero.pos, track.number);
                self.warn(
                    pos,
                    format!(
                        "TRACK {number:02}, the last, has INDEX 00 and no INDEX 01; INDEX 00 is taken as its start"
                    ),
                );
                return Ok(());
            }
            return Err(track.pos.error(
                self.path,
                format!("TRACK {:02} has no INDEX 01", track.number),
            ));
        }
        Ok(())
    }

    fn line(&mut self, number: usize, line: &str) -> Result<()> {
        let path = self.path;
        let tokens = tokens(line, number, path)?;
        let Some(keyword) = tokens.first() else {
            return Ok(());
        };
        let pos = pos_of(number, keyword);
        let args = tokens.get(1..).unwrap_or_default();
        let arg_pos = |i: usize| args.get(i).map_or(pos, |t| pos_of(number, t));
        let word = keyword.text.to_ascii_uppercase();
        match word.as_str() {
            "REM" => self.rem(number, line, &tokens)?,
            "CATALOG" => match args {
                [digits]
                    if digits.text.len() == 13
                        && digits.text.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    if self.sheet.catalog.is_some() {
                        self.warn(pos, "a second CATALOG is ignored");
                    } else {
                        self.sheet.catalog = Some(digits.text.to_string());
                    }
                }
                [] => self.warn(pos, "CATALOG without a number is ignored"),
                _ => {
                    let value = rest_of_line(line, &tokens, 1).unwrap_or_default();
                    self.warn(
                        arg_pos(0),
                        format!("CATALOG '{value}' is not 13 decimal digits; the catalog number is dropped"),
                    );
                }
            },
            "CDTEXTFILE" => match rest_of_line(line, &tokens, 1) {
                Some(name) => self.sheet.cd_text_file = Some((name, arg_pos(0))),
                None => return Err(pos.error(path, "CDTEXTFILE needs a file name")),
            },
            "FILE" => self.file(number, line, &tokens)?,
            "TRACK" => self.new_track(number, keyword, &tokens)?,
            "INDEX" => self.index(number, keyword, &tokens)?,
            "PREGAP" | "POSTGAP" => {
                let time = args
                    .first()
                    .ok_or_else(|| pos.error(path, format!("{word} needs a time mm:ss:ff")))?;
                let frames = parse_msf(path, number, time)?;
                let time_pos = pos_of(number, time);
                let track = self.track(keyword, number)?;
                if word == "PREGAP" {
                    track.pregap = Some((frames, time_pos));
                } else {
                    track.postgap = frames;
                }
            }
            "FLAGS" => {
                let mut flags = 0;
                let mut unknown = Vec::new();
                for (i, flag) in args.iter().enumerate() {
                    match flag.text.to_ascii_uppercase().as_str() {
                        "DCP" => flags |= Control::COPY_PERMITTED,
                        "4CH" => flags |= Control::FOUR_CHANNEL,
                        "PRE" => flags |= Control::PRE_EMPHASIS,
                        // Serial copy management lives in the subchannel, not in the control bits.
                        "SCMS" => {}
                        other => unknown.push((arg_pos(i), other.to_string())),
                    }
                }
                self.track(keyword, number)?.flags = flags;
                for (at, flag) in unknown {
                    self.warn(at, format!("unknown flag {flag} is ignored"));
                }
            }
            "ISRC" => {
                let code = args.first().map(|t| t.text).unwrap_or_default();
                let valid = code.len() == 12 && code.bytes().all(|b| b.is_ascii_alphanumeric());
                let track = self.track(keyword, number)?;
                if valid {
                    track.isrc = Some(code.to_string());
                } else {
                    self.warn(
                        arg_pos(0),
                        format!("ISRC '{code}' is not 12 letters and digits; it is dropped"),
                    );
                }
            }
            "TITLE" | "PERFORMER" | "SONGWRITER" => {
                let value = rest_of_line(line, &tokens, 1).unwrap_or_default();
                let text = match self.sheet.tracks.last_mut() {
                    Some(track) => &mut track.text,
                    None => &mut self.sheet.text,
                };
                let field = match word.as_str() {
                    "TITLE" => &mut text.title,
                    "PERFORMER" => &mut text.performer,
                    _ => &mut text.songwriter,
                };
                *field = Some(value);
            }
            _ if IGNORED_CD_TEXT.contains(&word.as_str()) => self.warn(
                pos,
                format!("{word} has no place in the disc model; it is not kept"),
            ),
            _ => self.warn(
                pos,
                format!("unknown command '{}' is ignored", keyword.text),
            ),
        }
        Ok(())
    }

    fn rem(&mut self, number: usize, line: &str, tokens: &[Token<'_>]) -> Result<()> {
        let is_session = tokens
            .get(1)
            .is_some_and(|t| t.text.eq_ignore_ascii_case("SESSION"));
        let area = rest_of_line(line, tokens, 1).map(|r| r.to_ascii_uppercase());
        if let Some(area @ ("SINGLE-DENSITY AREA" | "HIGH-DENSITY AREA")) = area.as_deref() {
            return self.gd_rom_area(number, tokens, area == "HIGH-DENSITY AREA");
        }
        if is_session && self.sheet.high_density.is_some() {
            return Err(pos_of(number, &tokens[1]).error(
                self.path,
                "REM SESSION in a GD-ROM sheet: its areas (REM HIGH-DENSITY AREA) are its sessions",
            ));
        }
        if !is_session {
            self.sheet
                .comments
                .push(rest_of_line(line, tokens, 1).unwrap_or_default());
            return Ok(());
        }
        let Some(value) = tokens.get(2) else {
            let at = tokens.get(1).map_or(
                Pos {
                    line: number,
                    column: 1,
                },
                |t| pos_of(number, t),
            );
            return Err(at.error(self.path, "REM SESSION needs a number"));
        };
        let pos = pos_of(number, value);
        let session = parse_number(value.text, 99)
            .filter(|&n| n >= 1)
            .ok_or_else(|| {
                pos.error(
                    self.path,
                    format!("'{}' is not a session number (1-99)", value.text),
                )
            })?;
        let current_has_tracks = self
            .sheet
            .tracks
            .last()
            .is_some_and(|t| t.session == self.session);
        let fine = if current_has_tracks {
            session == self.session + 1
        } else {
            session == self.session || (self.sheet.tracks.is_empty() && session == 1)
        };
        if !fine {
            return Err(pos.error(
                self.path,
                format!(
                    "REM SESSION {session:02} cannot follow session {:02}{}",
                    self.session,
                    if current_has_tracks {
                        ""
                    } else {
                        ", which has no track"
                    }
                ),
            ));
        }
        self.session = session;
        Ok(())
    }

    /// Redump's GD-ROM sheets mark the two areas of the disc: the single-density area before
    /// the first track, the high-density area before track 3. The high-density area is a
    /// session of its own in the model (as a GDI reads), placed at LBA 45000.
    fn gd_rom_area(&mut self, number: usize, tokens: &[Token<'_>], high: bool) -> Result<()> {
        let pos = tokens.first().map_or(
            Pos {
                line: number,
                column: 1,
            },
            |t| pos_of(number, t),
        );
        if !high {
            if !self.sheet.tracks.is_empty() {
                return Err(pos.error(
                    self.path,
                    "REM SINGLE-DENSITY AREA must come before the first track",
                ));
            }
            return Ok(());
        }
        if self.sheet.high_density.is_some() || self.sheet.tracks.is_empty() || self.session != 1 {
            return Err(pos.error(
                self.path,
                "REM HIGH-DENSITY AREA must follow the single-density area's tracks, once, in a sheet without REM SESSION",
            ));
        }
        self.session = 2;
        self.sheet.high_density = Some(2);
        Ok(())
    }

    fn file(&mut self, number: usize, line: &str, tokens: &[Token<'_>]) -> Result<()> {
        let path = self.path;
        let keyword_pos = tokens.first().map_or(
            Pos {
                line: number,
                column: 1,
            },
            |t| pos_of(number, t),
        );
        // The type is the last word: bare names may contain spaces.
        let [_, first, .., kind] = tokens else {
            return Err(
                keyword_pos.error(path, "FILE needs a name and a type (FILE \"name\" BINARY)")
            );
        };
        let kind_pos = pos_of(number, kind);
        let name = if tokens.len() == 3 {
            first.text.to_string()
        } else {
            line.get(first.start..kind.start)
                .unwrap_or_default()
                .trim()
                .to_string()
        };
        let name_pos = pos_of(number, first);
        if name.is_empty() {
            return Err(name_pos.error(path, "FILE has an empty name"));
        }
        let word = kind.text.to_ascii_uppercase();
        let kind = match word.as_str() {
            "BINARY" => FileType::Binary,
            "MOTOROLA" => FileType::Motorola,
            "WAVE" => FileType::Wave,
            other if UNSUPPORTED_AUDIO.contains(&other) && !kind.quoted => {
                return Err(Error::unsupported(
                    path,
                    format!(
                        "line {}, column {}: FILE type {other} ('{name}'): discus reads BINARY, MOTOROLA and WAVE (PCM) files; decode the audio to WAVE first",
                        kind_pos.line, kind_pos.column
                    ),
                ));
            }
            _ => {
                return Err(kind_pos.error(
                    path,
                    format!(
                        "unknown FILE type '{}' (expected BINARY, MOTOROLA or WAVE)",
                        kind.text
                    ),
                ));
            }
        };
        self.sheet.files.push(SheetFile {
            name,
            kind,
            pos: name_pos,
        });
        Ok(())
    }

    fn new_track(
        &mut self,
        number: usize,
        keyword: &Token<'_>,
        tokens: &[Token<'_>],
    ) -> Result<()> {
        let path = self.path;
        let pos = pos_of(number, keyword);
        if self.sheet.files.is_empty() {
            return Err(pos.error(path, "TRACK before any FILE"));
        }
        self.end_track(false)?;
        let (Some(value), Some(mode)) = (tokens.get(1), tokens.get(2)) else {
            return Err(pos.error(
                path,
                "TRACK needs a number and a mode (TRACK 01 MODE1/2352)",
            ));
        };
        let track_number = parse_number(value.text, 99)
            .filter(|&n| n >= 1)
            .ok_or_else(|| {
                pos_of(number, value).error(
                    path,
                    format!("'{}' is not a track number (1-99)", value.text),
                )
            })?;
        if let Some(previous) = self.sheet.tracks.last()
            && track_number <= previous.number
        {
            return Err(pos_of(number, value).error(
                path,
                format!(
                    "TRACK {track_number:02} follows TRACK {:02}; track numbers must increase",
                    previous.number
                ),
            ));
        }
        let kind = TrackKind::parse(mode.text).ok_or_else(|| {
            pos_of(number, mode).error(
                path,
                format!(
                    "unknown track mode '{}' (expected AUDIO, CDG, MODE1/2048, MODE1/2352, MODE2/2336, MODE2/2352, CDI/2336 or CDI/2352)",
                    mode.text
                ),
            )
        })?;
        if let Some(extra) = tokens.get(3) {
            self.warn(
                pos_of(number, extra),
                format!("'{}' after the track mode is ignored", extra.text),
            );
        }
        self.sheet.tracks.push(SheetTrack {
            number: track_number,
            kind,
            session: self.session,
            pos,
            pregap: None,
            postgap: 0,
            indexes: Vec::new(),
            flags: 0,
            isrc: None,
            text: Text::default(),
        });
        Ok(())
    }

    fn index(&mut self, number: usize, keyword: &Token<'_>, tokens: &[Token<'_>]) -> Result<()> {
        let path = self.path;
        let file = self.sheet.files.len().saturating_sub(1);
        let (Some(value), Some(time)) = (tokens.get(1), tokens.get(2)) else {
            let pos = pos_of(number, keyword);
            self.track(keyword, number)?;
            return Err(pos.error(path, "INDEX needs a number and a time (INDEX 01 00:00:00)"));
        };
        let index_number = parse_number(value.text, 99).ok_or_else(|| {
            pos_of(number, value).error(
                path,
                format!("'{}' is not an index number (00-99)", value.text),
            )
        })?;
        let frames = parse_msf(path, number, time)?;
        let time_pos = pos_of(number, time);
        let last_index = self.last_index;
        let track = self.track(keyword, number)?;
        if let Some(previous) = track.indexes.last() {
            if index_number <= previous.number {
                return Err(pos_of(number, value).error(
                    path,
                    format!(
                        "INDEX {index_number:02} follows INDEX {:02}; index numbers must increase",
                        previous.number
                    ),
                ));
            }
        } else if index_number > 1 {
            return Err(pos_of(number, value).error(
                path,
                format!("the first INDEX of a track must be 00 or 01, not {index_number:02}"),
            ));
        }
        if let Some(previous) = last_index.filter(|p| p.file == file)
            && frames <= previous.frames
        {
            return Err(time_pos.error(
                    path,
                    format!(
                        "INDEX {index_number:02} at {} is not after the previous INDEX at {} (line {}) in the same FILE: indexes overlap or go backwards",
                        Msf::from_frames(frames),
                        Msf::from_frames(previous.frames),
                        previous.pos.line
                    ),
                ));
        }
        let index = SheetIndex {
            number: index_number,
            file,
            frames,
            pos: time_pos,
        };
        track.indexes.push(index);
        self.last_index = Some(index);
        Ok(())
    }
}

/// Parses the text of the sheet at `path` (named in errors and warnings only).
pub(crate) fn parse(path: &Path, text: &str) -> Result<Sheet> {
    let mut parser = Parser {
        path,
        sheet: Sheet::default(),
        session: 1,
        last_index: None,
    };
    let mut last_line = 0;
    for (number, line) in lines(text) {
        parser.line(number, line)?;
        last_line = number;
    }
    parser.end_track(true)?;
    if parser.sheet.tracks.is_empty() {
        return Err(Error::at_line(
            path,
            last_line.max(1),
            1,
            "the sheet has no TRACK",
        ));
    }
    Ok(parser.sheet)
}

/// Whether the start of a file reads as a cue sheet: `Some(true)` when it parses completely,
/// `Some(false)` when it has FILE and TRACK commands but does not parse, `None` otherwise.
/// `truncated` says the head is not the whole file, so its last line may be cut.
pub(crate) fn sniff(head: &[u8], truncated: bool) -> Option<bool> {
    // Sheets are text; NUL bytes mean a binary file.
    if head.is_empty() || binary_at(head).is_some() {
        return None;
    }
    let mut text = decode(head);
    if truncated {
        let cut = text.rfind(['\r', '\n']).unwrap_or(0);
        text.truncate(cut);
    }
    let path = Path::new("");
    let mut file = false;
    let mut track = false;
    for (number, line) in lines(&text) {
        let Ok(tokens) = tokens(line, number, path) else {
            return None;
        };
        let Some(first) = tokens.first() else {
            continue;
        };
        if first.text.eq_ignore_ascii_case("FILE") {
            file = true;
        } else if first.text.eq_ignore_ascii_case("TRACK") {
            track |= file;
        }
    }
    if !(file && track) {
        return None;
    }
    Some(parse(path, &text).is_ok())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sheet(text: &str) -> Sheet {
        parse(Path::new("t.cue"), text).unwrap()
    }

    fn error(text: &str) -> (usize, usize, String) {
        match parse(Path::new("t.cue"), text) {
            Err(Error::Invalid {
                at: discus_core::Location::Line { line, column },
                message,
                ..
            }) => (line, column, message),
            other => panic!("expected a line error, got {other:?}"),
        }
    }

    #[test]
    fn decodes_bom_utf8_and_latin1() {
        assert_eq!(decode(b"\xEF\xBB\xBFFILE"), "FILE");
        assert_eq!(decode("Caf\u{e9}".as_bytes()), "Caf\u{e9}");
        assert_eq!(decode(b"Caf\xe9"), "Caf\u{e9}");
        assert_eq!(decode(b"\xFF\xFEF\0I\0"), "FI");
        assert_eq!(decode(b"\xFE\xFF\0F\0I"), "FI");
        assert_eq!(binary_at(b"\xFF\xFEF\0"), None);
        assert_eq!(binary_at(b"ab\0"), Some(2));
    }

    #[test]
    fn splits_crlf_lf_and_cr() {
        let got: Vec<_> = lines("a\r\nb\nc\rd").collect();
        assert_eq!(got, vec![(1, "a"), (2, "b"), (3, "c"), (4, "d")]);
        let got: Vec<_> = lines("a\n\n").collect();
        assert_eq!(got, vec![(1, "a"), (2, "")]);
    }

    #[test]
    fn tokens_keep_quotes_and_columns() {
        let got = tokens("\tFILE  \"a b.bin\" BINARY  ", 1, Path::new("x")).unwrap();
        let texts: Vec<_> = got.iter().map(|t| (t.text, t.quoted, t.column)).collect();
        assert_eq!(
            texts,
            vec![
                ("FILE", false, 2),
                ("a b.bin", true, 8),
                ("BINARY", false, 18)
            ]
        );
        let err = tokens("FILE \"open BINARY", 3, Path::new("x")).unwrap_err();
        assert!(err.to_string().contains("line 3, column 6"), "{err}");
    }

    #[test]
    fn every_command_is_read() {
        let text = "\u{feff}\u{feff}REM GENRE Rock\r\nCATALOG 1234567890123\r\nCDTEXTFILE \"disc.cdt\"\r\n\
            TITLE \"Disc\"\r\nPERFORMER Some Band\r\nSONGWRITER \"W\"\r\n\
            REM SESSION 01\r\nfile \"My Disc.bin\" binary\r\n  track 01 mode1/2352\r\n\
            \tINDEX 01 00:00:00   \r\n  TRACK 02 AUDIO\r\n    TITLE \"Song\"\r\n    PERFORMER \"P\"\r\n\
            SONGWRITER \"S\"\r\n    FLAGS DCP 4CH PRE SCMS\r\n    ISRC USABC1234567\r\n\
            PREGAP 00:02:00\r\n    INDEX 01 01:00:00\r\n    INDEX 02 01:10:00\r\n    POSTGAP 0:2:0\r\n\
            REM SESSION 02\r\nFILE data.bin MOTOROLA\r\n  TRACK 03 MODE2/2336\r\n    INDEX 00 00:00:00\r\n\
            INDEX 01 00:02:00";
        let s = sheet(&decode(text.as_bytes()));
        assert_eq!(s.catalog.as_deref(), Some("1234567890123"));
        assert_eq!(
            s.cd_text_file.as_ref().map(|c| c.0.as_str()),
            Some("disc.cdt")
        );
        assert_eq!(s.text.title.as_deref(), Some("Disc"));
        assert_eq!(s.text.performer.as_deref(), Some("Some Band"));
        assert_eq!(s.text.songwriter.as_deref(), Some("W"));
        assert_eq!(s.comments, vec!["GENRE Rock".to_string()]);
        assert_eq!(s.files.len(), 2);
        assert_eq!(s.files[0].name, "My Disc.bin");
        assert_eq!(s.files[0].kind, FileType::Binary);
        assert_eq!(s.files[1].kind, FileType::Motorola);
        assert_eq!(s.tracks.len(), 3);
        let t2 = &s.tracks[1];
        assert_eq!(t2.kind, TrackKind::Audio);
        assert_eq!(t2.text.title.as_deref(), Some("Song"));
        assert_eq!(t2.text.songwriter.as_deref(), Some("S"));
        assert_eq!(
            t2.flags,
            Control::COPY_PERMITTED | Control::FOUR_CHANNEL | Control::PRE_EMPHASIS
        );
        assert_eq!(t2.isrc.as_deref(), Some("USABC1234567"));
        assert_eq!(t2.pregap.map(|p| p.0), Some(150));
        assert_eq!(t2.postgap, 150);
        let frames: Vec<_> = t2.indexes.iter().map(|i| (i.number, i.frames)).collect();
        assert_eq!(frames, vec![(1, 4500), (2, 5250)]);
        assert_eq!(s.tracks[0].session, 1);
        assert_eq!(s.tracks[2].session, 2);
        assert_eq!(s.tracks[2].kind, TrackKind::Mode2Body);
        assert_eq!(s.tracks[2].indexes[0].file, 1);
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn every_mode_keyword_is_known() {
        for kind in TrackKind::ALL {
            let text = format!(
                "FILE a.bin BINARY\nTRACK 01 {}\nINDEX 01 00:00:00\n",
                kind.keyword().to_lowercase()
            );
            let s = sheet(&text);
            assert_eq!(s.tracks[0].kind, kind);
            assert_eq!(kind.file_sector_size() % 4, 0);
        }
        assert_eq!(TrackKind::Cdg.form(), Form::RawSub);
        assert_eq!(TrackKind::Mode2Form2.form(), Form::Mode2);
        assert_eq!(TrackKind::CdiRaw.mode(), TrackMode::Mode2Xa);
    }

    #[test]
    fn bare_names_with_spaces_take_the_last_word_as_type() {
        let s = sheet("FILE My Game (Track 1).bin BINARY\nTRACK 1 AUDIO\nINDEX 1 0:0:0");
        assert_eq!(s.files[0].name, "My Game (Track 1).bin");
        assert_eq!(s.files[0].pos, Pos { line: 1, column: 6 });
    }

    #[test]
    fn refusals_name_line_and_column() {
        let (l, c, m) = error("TRACK 01 AUDIO\n");
        assert_eq!((l, c), (1, 1));
        assert!(m.contains("before any FILE"), "{m}");
        let (l, c, m) = error("FILE a.bin BINARY\n  INDEX 01 00:00:00\n");
        assert_eq!((l, c), (2, 3));
        assert!(m.contains("outside a TRACK"), "{m}");
        let (l, c, m) = error("FILE a.bin BINARY\nTRACK 01 MODE3_FORM1\n");
        assert_eq!((l, c), (2, 10));
        assert!(m.contains("unknown track mode"), "{m}");
        let (l, c, m) = error("FILE a.bin BINARY\nTRACK 01 AUDIO\n INDEX 01 00:60:00\n");
        assert_eq!((l, c), (3, 11));
        assert!(m.contains("seconds 60"), "{m}");
        let (l, _, m) = error("FILE a.bin BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:75\n");
        assert_eq!(l, 3);
        assert!(m.contains("frames 75"), "{m}");
        let (l, c, m) = error(
            "FILE a.bin BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nTRACK 02 AUDIO\nINDEX 01 00:00:00\n",
        );
        assert_eq!((l, c), (5, 10));
        assert!(m.contains("overlap or go backwards"), "{m}");
        let (l, _, m) =
            error("FILE a.bin BINARY\nTRACK 01 AUDIO\nINDEX 01 00:01:00\nINDEX 02 00:00:10\n");
        assert_eq!(l, 4);
        assert!(m.contains("backwards"), "{m}");
        let (l, _, m) =
            error("FILE a.bin BINARY\nTRACK 01 AUDIO\nINDEX 02 00:01:00\nINDEX 01 00:02:00\n");
        assert_eq!(l, 3);
        assert!(m.contains("00 or 01"), "{m}");
        let (l, _, m) =
            error("FILE a.bin BINARY\nTRACK 01 AUDIO\nINDEX 00 00:00:00\nTRACK 02 AUDIO\n");
        assert_eq!(l, 2);
        assert!(m.contains("no INDEX 01"), "{m}");
        let (l, _, m) =
            error("FILE a.bin BINARY\nTRACK 02 AUDIO\nINDEX 01 0:0:0\nTRACK 01 AUDIO\n");
        assert_eq!(l, 4);
        assert!(m.contains("must increase"), "{m}");
        let (l, _, m) = error("FILE a.bin\n");
        assert_eq!(l, 1);
        assert!(m.contains("name and a type"), "{m}");
        let (_, _, m) = error("FILE a.bin WEIRD\n");
        assert!(m.contains("unknown FILE type"), "{m}");
        let (l, _, m) = error("REM just a comment\n\n");
        assert_eq!(l, 2);
        assert!(m.contains("no TRACK"), "{m}");
        let (l, _, m) =
            error("FILE a.bin BINARY\nTRACK 01 AUDIO\nINDEX 01 0:0:0\nREM SESSION 03\n");
        assert_eq!(l, 4);
        assert!(m.contains("SESSION 03"), "{m}");
        let (l, _, _) = error("FILE a.bin BINARY\nPREGAP 00:02:00\n");
        assert_eq!(l, 2);
    }

    #[test]
    fn i11_15_last_track_with_only_index_00_starts_there() {
        let s = sheet(
            "FILE a.bin BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nTRACK 02 AUDIO\nINDEX 00 00:02:00\n",
        );
        let last = &s.tracks[1];
        assert_eq!(last.indexes.len(), 1);
        assert_eq!((last.indexes[0].number, last.indexes[0].frames), (1, 150));
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        assert!(s.warnings[0].contains("line 5"), "{:?}", s.warnings);
        assert!(s.warnings[0].contains("INDEX 00"), "{:?}", s.warnings);
        // Only the last track: a track in the middle without INDEX 01 is still refused.
        let (l, _, m) = error(
            "FILE a.bin BINARY\nTRACK 01 AUDIO\nINDEX 00 00:00:00\nTRACK 02 AUDIO\nINDEX 01 00:02:00\n",
        );
        assert_eq!(l, 2);
        assert!(m.contains("no INDEX 01"), "{m}");
    }

    #[test]
    fn compressed_audio_is_unsupported() {
        let err = parse(Path::new("t.cue"), "FILE \"a.mp3\" MP3\nTRACK 01 AUDIO\n").unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
        assert!(err.to_string().contains("line 1, column 14"), "{err}");
    }

    #[test]
    fn bad_catalog_isrc_and_unknown_lines_warn() {
        let s = sheet(
            "CATALOG 12345\nFILE a.bin BINARY\nARRANGER x\nTRACK 01 AUDIO\nFLAGS DATA\nISRC bad\nFOO bar\nINDEX 01 0:0:0\n",
        );
        assert_eq!(s.catalog, None);
        assert_eq!(s.tracks[0].isrc, None);
        assert_eq!(s.warnings.len(), 5, "{:?}", s.warnings);
        assert!(
            s.warnings[0].contains("line 1, column 9"),
            "{:?}",
            s.warnings
        );
        assert!(s.warnings[0].contains("catalog number is dropped"));
    }

    #[test]
    fn sniff_tells_sheets_from_other_files() {
        assert_eq!(
            sniff(
                b"FILE a.bin BINARY\nTRACK 01 AUDIO\nINDEX 01 0:0:0\n",
                false
            ),
            Some(true)
        );
        assert_eq!(
            sniff(b"FILE a.bin BINARY\nTRACK 01 AUDIO\n", false),
            Some(false)
        );
        assert_eq!(sniff(b"hello world\n", false), None);
        assert_eq!(sniff(b"FILE\0TRACK", false), None);
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "FILE a.bin BINARY\r\nTRACK 01 AUDIO\r\nINDEX 01 0:0:0\r\n"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        assert_eq!(sniff(&utf16, false), Some(true));
        // A cut last line is dropped before parsing.
        assert_eq!(
            sniff(
                b"FILE a.bin BINARY\nTRACK 01 AUDIO\nINDEX 01 0:0:0\nTRACK 02 AU",
                true
            ),
            Some(true)
        );
    }
}
