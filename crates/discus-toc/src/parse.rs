//! The text of a TOC file: tokens (words, quoted strings, braces) with their line and column, and
//! the statements cdrdao defines, parsed into a [`Toc`]. Sizes that need the data files (a FILE
//! without a length) are left for the layout.

use std::path::Path;

use discus_core::{Error, Msf, Result, Text};

/// A line and column (both from 1) in the TOC file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub fn error(self, path: &Path, message: impl Into<String>) -> Error {
        Error::at_line(path, self.line, self.column, message)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Word,
    Str,
    Open,
    Close,
    Colon,
    Comma,
}

#[derive(Clone, Debug)]
struct Token {
    kind: Kind,
    text: String,
    pos: Pos,
}

/// How a track's sectors are stored in its files, as cdrdao names it (the variants keep cdrdao's
/// keywords, which start with the word).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)]
pub(crate) enum Mode {
    Audio,
    Mode0,
    Mode1,
    Mode1Raw,
    Mode2,
    Mode2Form1,
    Mode2Form2,
    Mode2FormMix,
    Mode2Raw,
}

impl Mode {
    pub const ALL: [Mode; 9] = [
        Mode::Audio,
        Mode::Mode0,
        Mode::Mode1,
        Mode::Mode1Raw,
        Mode::Mode2,
        Mode::Mode2Form1,
        Mode::Mode2Form2,
        Mode::Mode2FormMix,
        Mode::Mode2Raw,
    ];

    pub fn keyword(self) -> &'static str {
        match self {
            Mode::Audio => "AUDIO",
            Mode::Mode0 => "MODE0",
            Mode::Mode1 => "MODE1",
            Mode::Mode1Raw => "MODE1_RAW",
            Mode::Mode2 => "MODE2",
            Mode::Mode2Form1 => "MODE2_FORM1",
            Mode::Mode2Form2 => "MODE2_FORM2",
            Mode::Mode2FormMix => "MODE2_FORM_MIX",
            Mode::Mode2Raw => "MODE2_RAW",
        }
    }

    fn from_keyword(word: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.keyword() == word)
    }

    /// Bytes of one sector in a data file (without subchannel).
    pub fn sector_bytes(self) -> u64 {
        match self {
            Mode::Audio | Mode::Mode1Raw | Mode::Mode2Raw => 2352,
            Mode::Mode0 | Mode::Mode2 | Mode::Mode2FormMix => 2336,
            Mode::Mode1 | Mode::Mode2Form1 => 2048,
            Mode::Mode2Form2 => 2324,
        }
    }
}

/// The subchannel a track's data file keeps after each sector (`TRACK mode RW|RW_RAW`), 96 bytes
/// either way; cdrdao's manual and `TrackData::subChannelSize` agree on the size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Sub {
    #[default]
    None,
    /// `RW_RAW`: P–W as on the disc, R–W interleaved and with their L-EC parity (what a drive
    /// returns for raw P–W reading).
    Raw,
    /// `RW`: R–W packs de-interleaved, one 6-bit symbol a byte, four 24-symbol packs a sector
    /// (what a drive returns for "R–W de-interleaved and error corrected"); parity and
    /// interleaving are made when the disc is written.
    Packed,
}

impl Sub {
    /// Bytes of subchannel after each sector in the file.
    pub fn bytes(self) -> u64 {
        match self {
            Sub::None => 0,
            Sub::Raw | Sub::Packed => 96,
        }
    }
}

/// One piece of a track's data, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Sectors from a file: from byte `byte`, `sectors` of them (`None`: to the end of the file).
    File {
        name: String,
        swap: bool,
        byte: u64,
        sectors: Option<u32>,
        pos: Pos,
    },
    /// Sectors of zeros (SILENCE, ZERO, PREGAP): on the disc, in no file. `mode0`: `ZERO MODE0`,
    /// which cdrdao burns as Mode 0 sectors (header mode 0, no data) whatever the track's mode.
    Zero { sectors: u32, pos: Pos, mode0: bool },
}

/// Where INDEX 01 is, counted from the track's first sector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// `START mm:ss:ff`.
    At(u32),
    /// `START` alone: after the first `n` pieces.
    AfterPieces(usize),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TocTrack {
    pub pos: Pos,
    pub mode: Option<Mode>,
    /// `RW` or `RW_RAW`: 96 bytes of subchannel after each sector.
    pub sub: Sub,
    pub copy: bool,
    pub pre_emphasis: bool,
    pub four_channel: bool,
    pub isrc: Option<String>,
    pub text: Text,
    /// A `PREGAP` statement: zeros before INDEX 01.
    pub pregap: Option<u32>,
    pub start: Option<(Start, Pos)>,
    pub pieces: Vec<Piece>,
    /// INDEX 02 and later, counted from INDEX 01.
    pub indexes: Vec<(u32, Pos)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Toc {
    /// `CD_DA`, `CD_ROM`, `CD_ROM_XA` or `CD_I`.
    pub kind: Option<String>,
    pub catalog: Option<String>,
    pub text: Text,
    pub tracks: Vec<TocTrack>,
}

impl Toc {
    /// Whether the disc is CD-ROM XA (so raw Mode 2 tracks are XA).
    pub fn is_xa(&self) -> bool {
        matches!(self.kind.as_deref(), Some("CD_ROM_XA" | "CD_I"))
    }
}

/// Splits the text into tokens; `//` starts a comment to the end of the line.
fn tokens(path: &Path, text: &str) -> Result<Vec<Token>> {
    let mut out = Vec::new();
    for (line_index, line) in text.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let pos = Pos {
                line: line_index + 1,
                column: i + 1,
            };
            let c = chars[i];
            if c.is_whitespace() {
                i += 1;
                continue;
            }
            if c == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            }
            let single = match c {
                '{' => Some(Kind::Open),
                '}' => Some(Kind::Close),
                ':' => Some(Kind::Colon),
                ',' => Some(Kind::Comma),
                _ => None,
            };
            if let Some(kind) = single {
                out.push(Token {
                    kind,
                    text: c.to_string(),
                    pos,
                });
                i += 1;
                continue;
            }
            if c == '"' {
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(pos.error(path, "the string has no closing quote")),
                        Some('"') => break,
                        Some('\\') => {
                            // cdrdao's escapes: \" \\ and three octal digits.
                            let octal: String = chars.iter().skip(i + 1).take(3).copied().collect();
                            if octal.len() == 3 && octal.chars().all(|d| ('0'..='7').contains(&d)) {
                                let code = u32::from_str_radix(&octal, 8).unwrap_or(0x3F);
                                value.push(char::from_u32(code).unwrap_or('?'));
                                i += 4;
                            } else if let Some(&next) = chars.get(i + 1) {
                                value.push(next);
                                i += 2;
                            } else {
                                i += 1;
                            }
                        }
                        Some(&other) => {
                            value.push(other);
                            i += 1;
                        }
                    }
                }
                i += 1;
                out.push(Token {
                    kind: Kind::Str,
                    text: value,
                    pos,
                });
                continue;
            }
            let begin = i;
            while i < chars.len()
                && !chars[i].is_whitespace()
                && !matches!(chars[i], '{' | '}' | ',' | '"')
                && (chars[i] != '/' || chars.get(i + 1) != Some(&'/'))
            {
                // A colon belongs to a word when it sits inside a time (1:0:0), not alone.
                if chars[i] == ':' && i == begin {
                    break;
                }
                i += 1;
            }
            out.push(Token {
                kind: Kind::Word,
                text: chars[begin..i].iter().collect(),
                pos,
            });
        }
    }
    Ok(out)
}

/// What a plain number counts in a length: cdrdao reads samples for audio statements (FILE,
/// SILENCE) and bytes of the statement's sector size for data statements (DATAFILE, ZERO: its
/// `dataLength` rule).
#[derive(Clone, Copy, Debug)]
enum Unit {
    Samples,
    Bytes(u64),
}

struct Parser<'a> {
    path: &'a Path,
    tokens: Vec<Token>,
    at: usize,
    /// Where the file ends, for errors about something missing at the end.
    end: Pos,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn here(&self) -> Pos {
        self.peek().map_or(self.end, |t| t.pos)
    }

    fn error(&self, pos: Pos, message: impl Into<String>) -> Error {
        pos.error(self.path, message)
    }

    /// The next token if it is a word that reads as a time or a sample count.
    fn peek_length(&self) -> bool {
        self.peek().is_some_and(|t| {
            t.kind == Kind::Word && t.text.bytes().next().is_some_and(|b| b.is_ascii_digit())
        })
    }

    /// A length or position: `mm:ss:ff` in sectors, or a number of samples (4 bytes each) that
    /// makes whole 2352-byte sectors.
    fn length(&mut self, what: &str) -> Result<u32> {
        self.length_in(what, Unit::Samples)
    }

    /// A length in `mm:ss:ff` or a plain number in `unit`, which must make whole sectors.
    fn length_in(&mut self, what: &str, unit: Unit) -> Result<u32> {
        let pos = self.here();
        let token = match self.next() {
            Some(t) if t.kind == Kind::Word => t,
            _ => return Err(self.error(pos, format!("{what}: expected a time mm:ss:ff"))),
        };
        if token.text.contains(':') {
            return Msf::parse(&token.text)
                .map(Msf::frames)
                .map_err(|e| self.error(pos, format!("{what}: {e}")));
        }
        let (per_sector, name) = match unit {
            Unit::Samples => (588, "samples"),
            Unit::Bytes(block) => (block, "bytes"),
        };
        let number: u64 = token.text.parse().map_err(|_| {
            self.error(
                pos,
                format!(
                    "{what}: '{}' is neither a time mm:ss:ff nor a number of {name}",
                    token.text
                ),
            )
        })?;
        if !number.is_multiple_of(per_sector) {
            // cdrdao pads the last sector with zeros; discus keeps whole sectors only.
            return Err(Error::unsupported(
                self.path,
                format!(
                    "line {}, column {}: {what}: {number} {name} is not a whole number of sectors ({per_sector} {name} each)",
                    pos.line, pos.column
                ),
            ));
        }
        u32::try_from(number / per_sector)
            .map_err(|_| self.error(pos, format!("{what}: {number} {name} is too long")))
    }

    fn string(&mut self, what: &str) -> Result<String> {
        let pos = self.here();
        match self.next() {
            Some(t) if t.kind == Kind::Str => Ok(t.text),
            _ => Err(self.error(pos, format!("{what}: expected a string in double quotes"))),
        }
    }

    /// `{ … }` with nested blocks, from the opening brace; returns the block's tokens.
    fn block(&mut self, what: &str) -> Result<Vec<Token>> {
        let pos = self.here();
        if self.next().map(|t| t.kind) != Some(Kind::Open) {
            return Err(self.error(pos, format!("{what}: expected '{{'")));
        }
        let mut depth = 1usize;
        let mut inner = Vec::new();
        while let Some(token) = self.next() {
            match token.kind {
                Kind::Open => depth += 1,
                Kind::Close => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(inner);
                    }
                }
                _ => {}
            }
            inner.push(token);
        }
        Err(self.error(pos, format!("{what}: the block has no closing '}}'")))
    }
}

/// The fields of the first language of a CD_TEXT block that the model keeps.
fn cd_text(tokens: &[Token]) -> Text {
    let mut text = Text::default();
    let mut depth = 0usize;
    let mut in_language = false;
    let mut languages = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i];
        match token.kind {
            Kind::Open => depth += 1,
            Kind::Close => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    in_language = false;
                }
            }
            Kind::Word if depth == 0 && token.text == "LANGUAGE" => {
                languages += 1;
                in_language = languages == 1;
            }
            Kind::Word if depth == 1 && in_language => {
                if let Some(value) = tokens.get(i + 1).filter(|t| t.kind == Kind::Str) {
                    let field = match token.text.as_str() {
                        "TITLE" => Some(&mut text.title),
                        "PERFORMER" => Some(&mut text.performer),
                        "SONGWRITER" => Some(&mut text.songwriter),
                        _ => None,
                    };
                    if let Some(field) = field
                        && !value.text.is_empty()
                    {
                        *field = Some(value.text.clone());
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    text
}

/// Parses a TOC file's text.
pub(crate) fn parse(path: &Path, text: &str) -> Result<Toc> {
    let tokens = tokens(path, text)?;
    let end = Pos {
        line: text.lines().count().max(1),
        column: 1,
    };
    let mut p = Parser {
        path,
        tokens,
        at: 0,
        end,
    };
    let mut toc = Toc::default();
    while let Some(token) = p.next() {
        let pos = token.pos;
        if token.kind != Kind::Word {
            return Err(p.error(pos, format!("unexpected '{}'", token.text)));
        }
        let word = token.text.as_str();
        let track = toc.tracks.last_mut();
        match (word, track) {
            ("CD_DA" | "CD_ROM" | "CD_ROM_XA" | "CD_I", _) => toc.kind = Some(word.to_string()),
            ("CATALOG", _) => {
                let at = p.here();
                let catalog = match p.next() {
                    Some(t) if t.kind == Kind::Str => t.text,
                    _ => {
                        return Err(p.error(at, "CATALOG: expected 13 digits in double quotes"));
                    }
                };
                if catalog.len() != 13 || !catalog.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(p.error(at, format!("CATALOG: '{catalog}' is not 13 digits")));
                }
                toc.catalog = Some(catalog);
            }
            ("CD_TEXT", None) => toc.text = cd_text(&p.block("CD_TEXT")?),
            ("TRACK", _) => {
                let at = p.here();
                let mode = match p.next() {
                    Some(t) if t.kind == Kind::Word => Mode::from_keyword(&t.text)
                        .ok_or_else(|| p.error(at, format!("TRACK: unknown mode '{}'", t.text)))?,
                    _ => return Err(p.error(at, "TRACK: expected a mode (AUDIO, MODE1, …)")),
                };
                // cdrdao's grammar has MODE0 only as the mode of ZERO data, never of a track
                // (`trackMode` in its TocParser.g); cdrdao and libcdio both refuse the file.
                if mode == Mode::Mode0 {
                    return Err(p.error(
                        at,
                        "TRACK: MODE0 is not a track mode (cdrdao writes Mode 0 sectors only as ZERO MODE0 inside a track)",
                    ));
                }
                let mut sub = Sub::None;
                if let Some(word) = p.peek().filter(|t| t.kind == Kind::Word) {
                    sub = match word.text.as_str() {
                        "RW_RAW" => Sub::Raw,
                        "RW" => Sub::Packed,
                        _ => Sub::None,
                    };
                    if sub != Sub::None {
                        p.at += 1;
                    }
                }
                if toc.tracks.len() == 99 {
                    return Err(p.error(pos, "a disc has at most 99 tracks"));
                }
                toc.tracks.push(TocTrack {
                    pos,
                    mode: Some(mode),
                    sub,
                    ..TocTrack::default()
                });
            }
            (_, None) => {
                return Err(p.error(pos, format!("'{word}' before the first TRACK")));
            }
            (_, Some(track)) => track_statement(&mut p, track, word, pos)?,
        }
    }
    if toc.tracks.is_empty() {
        return Err(p.error(end, "the TOC has no TRACK"));
    }
    Ok(toc)
}

/// One statement inside a track.
fn track_statement(p: &mut Parser<'_>, track: &mut TocTrack, word: &str, pos: Pos) -> Result<()> {
    match word {
        "NO" => {
            let at = p.here();
            match p.next().map(|t| t.text) {
                Some(w) if w == "COPY" => track.copy = false,
                Some(w) if w == "PRE_EMPHASIS" => track.pre_emphasis = false,
                _ => return Err(p.error(at, "NO: expected COPY or PRE_EMPHASIS")),
            }
        }
        "COPY" => track.copy = true,
        "PRE_EMPHASIS" => track.pre_emphasis = true,
        "TWO_CHANNEL_AUDIO" => track.four_channel = false,
        "FOUR_CHANNEL_AUDIO" => track.four_channel = true,
        "ISRC" => {
            let at = p.here();
            let isrc = p.string("ISRC")?;
            // Written CC-OOO-YY-NNNNN by some tools; the code itself is the 12 letters and digits.
            let code: String = isrc.chars().filter(|&c| c != '-').collect();
            if code.len() != 12 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(p.error(at, format!("ISRC: '{isrc}' is not 12 letters and digits")));
            }
            track.isrc = Some(code);
        }
        "CD_TEXT" => track.text = cd_text(&p.block("CD_TEXT")?),
        "PREGAP" => {
            if track.pregap.is_some() || track.start.is_some() || !track.pieces.is_empty() {
                return Err(p.error(
                    pos,
                    "PREGAP must come before the track's data and once, without START",
                ));
            }
            track.pregap = Some(p.length("PREGAP")?);
        }
        "FILE" | "AUDIOFILE" | "DATAFILE" => {
            let name = p.string(word)?;
            let mut swap = false;
            if p.peek()
                .is_some_and(|t| t.kind == Kind::Word && t.text == "SWAP")
            {
                swap = true;
                p.at += 1;
            }
            let mut byte = 0u64;
            if let Some(offset) = p
                .peek()
                .filter(|t| t.kind == Kind::Word && t.text.starts_with('#'))
                .cloned()
            {
                p.at += 1;
                byte = offset.text[1..].parse().map_err(|_| {
                    p.error(
                        offset.pos,
                        format!("'{}' is not a byte offset", offset.text),
                    )
                })?;
            }
            let size = track.mode.map_or(2352, Mode::sector_bytes) + track.sub.bytes();
            if word != "DATAFILE" {
                let start = p.length(&format!("{word} start"))?;
                byte += u64::from(start) * size;
            }
            let unit = if word == "DATAFILE" {
                Unit::Bytes(size)
            } else {
                Unit::Samples
            };
            let sectors = if p.peek_length() {
                Some(p.length_in(&format!("{word} length"), unit)?).filter(|&n| n > 0)
            } else {
                None
            };
            track.pieces.push(Piece::File {
                name,
                swap,
                byte,
                sectors,
                pos,
            });
        }
        "SILENCE" => {
            let sectors = p.length("SILENCE")?;
            track.pieces.push(Piece::Zero {
                sectors,
                pos,
                mode0: false,
            });
        }
        "ZERO" => {
            // An optional data mode and subchannel mode say how cdrdao writes the zeros. MODE0
            // makes Mode 0 sectors; any other mode is read as zeros of the track's own mode, and
            // zero subchannel data is the same in every layout.
            let (mut mode, mut sub) = (track.mode.unwrap_or(Mode::Audio), track.sub);
            while let Some(word) = p.peek().filter(|t| {
                t.kind == Kind::Word
                    && (Mode::from_keyword(&t.text).is_some() || t.text.starts_with("RW"))
            }) {
                match word.text.as_str() {
                    "RW" => sub = Sub::Packed,
                    "RW_RAW" => sub = Sub::Raw,
                    other => mode = Mode::from_keyword(other).unwrap_or(mode),
                }
                p.at += 1;
            }
            let mode0 = mode == Mode::Mode0;
            let sectors = p.length_in("ZERO", Unit::Bytes(mode.sector_bytes() + sub.bytes()))?;
            track.pieces.push(Piece::Zero {
                sectors,
                pos,
                mode0,
            });
        }
        "START" => {
            if track.start.is_some() || track.pregap.is_some() {
                return Err(p.error(pos, "START given twice, or with PREGAP"));
            }
            let start = if p.peek_length() {
                Start::At(p.length("START")?)
            } else {
                Start::AfterPieces(track.pieces.len())
            };
            track.start = Some((start, pos));
        }
        "INDEX" => {
            let at = p.length("INDEX")?;
            track.indexes.push((at, pos));
        }
        "FIFO" => {
            return Err(Error::unsupported(
                p.path,
                format!(
                    "line {}, column {}: FIFO reads from a pipe while burning; there is nothing to convert",
                    pos.line, pos.column
                ),
            ));
        }
        other => return Err(p.error(pos, format!("unknown statement '{other}'"))),
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn toc(text: &str) -> Toc {
        parse(Path::new("t.toc"), text).unwrap()
    }

    fn error(text: &str) -> String {
        parse(Path::new("t.toc"), text).unwrap_err().to_string()
    }

    #[test]
    fn reads_statements_of_a_track() {
        let t = toc(concat!(
            "CD_ROM_XA // comment\nCATALOG \"0724385356926\"\n",
            "TRACK AUDIO RW_RAW\nCOPY\nPRE_EMPHASIS\nFOUR_CHANNEL_AUDIO\nISRC \"US-EM3-96-00078\"\n",
            "PREGAP 0:2:0\nFILE \"a.bin\" SWAP #16 1:0:0 588\nINDEX 0:0:1\n",
            "TRACK MODE1\nZERO MODE1 RW_RAW 0:0:5\nDATAFILE \"b.iso\"\nSTART\n",
        ));
        assert!(t.is_xa());
        assert_eq!(t.catalog.as_deref(), Some("0724385356926"));
        let a = &t.tracks[0];
        assert!(a.sub == Sub::Raw && a.copy && a.pre_emphasis && a.four_channel);
        assert_eq!(a.isrc.as_deref(), Some("USEM39600078"));
        assert_eq!(a.pregap, Some(150));
        assert_eq!(
            a.pieces,
            [Piece::File {
                name: "a.bin".into(),
                swap: true,
                byte: 16 + 4500 * 2448,
                sectors: Some(1),
                pos: Pos { line: 9, column: 1 },
            }]
        );
        assert_eq!(
            a.indexes,
            [(
                1,
                Pos {
                    line: 10,
                    column: 1
                }
            )]
        );
        let b = &t.tracks[1];
        assert_eq!(b.mode, Some(Mode::Mode1));
        assert_eq!(
            b.start,
            Some((
                Start::AfterPieces(2),
                Pos {
                    line: 14,
                    column: 1
                }
            ))
        );
    }

    #[test]
    fn reads_cd_text_of_the_first_language() {
        let t = toc(concat!(
            "CD_TEXT { LANGUAGE_MAP { 0 : EN, 1: 9 }\n LANGUAGE 0 { TITLE \"A \\\"B\\\"\" PERFORMER \"P\"\n",
            " TOC_INFO1 { 0, 1, 2 } UPC_EAN \"\" }\n LANGUAGE 1 { TITLE \"other\" } }\n",
            "TRACK AUDIO\nCD_TEXT { LANGUAGE 0 { TITLE \"T\" } }\nSILENCE 1:0:0\n",
        ));
        assert_eq!(t.text.title.as_deref(), Some("A \"B\""));
        assert_eq!(t.text.performer.as_deref(), Some("P"));
        assert_eq!(t.tracks[0].text.title.as_deref(), Some("T"));
    }

    #[test]
    fn errors_name_line_and_column() {
        assert!(error("CATALOG\n\nTRACK AUDIO\n").contains("line 3, column 1: CATALOG"));
        assert!(error("CATALOG 167890123\n").contains("line 1, column 9"));
        assert!(error("CATALOG \"123456789A123\"\n").contains("not 13 digits"));
        assert!(error("TRACK MODE1_FORM45\n").contains("line 1, column 7: TRACK: unknown mode"));
        assert!(error("TRACK AUDIO\nFILE \"a\" 0:0:75\n").contains("line 2, column 10"));
        assert!(error("TRACK AUDIO\nFILE \"a\" 0:60:0\n").contains("seconds 60"));
        assert!(error("TRACK AUDIO\nFILE \"a\" xx:yy:zz\n").contains("not a time"));
        assert!(error("SILENCE 1:0:0\n").contains("before the first TRACK"));
        assert!(error("TRACK AUDIO\nFILE \"a\n").contains("no closing quote"));
        assert!(error("TRACK AUDIO\nCD_TEXT { LANGUAGE 0 {\n").contains("no closing"));
        assert!(error("// nothing\n").contains("no TRACK"));
        assert!(error("TRACK AUDIO\nBOGUS\n").contains("line 2, column 1: unknown statement"));
        assert!(error("CD_ROM\nTRACK MODE0\n").contains("line 2, column 7: TRACK: MODE0"));
    }

    #[test]
    fn reads_packed_subchannel_and_mode0_zeros() {
        let t =
            toc("TRACK MODE1 RW\nZERO MODE0 0:0:2\nZERO MODE1 RW 0:0:1\nDATAFILE \"d\" 0:0:1\n");
        let track = &t.tracks[0];
        assert_eq!(track.sub, Sub::Packed);
        let zeros: Vec<bool> = track
            .pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Zero { mode0, .. } => Some(*mode0),
                Piece::File { .. } => None,
            })
            .collect();
        assert_eq!(zeros, [true, false]);
        assert_eq!(track.pieces.len(), 3);
        // Plain numbers in data statements are bytes of their sectors (cdrdao's `dataLength`):
        // the track's subchannel counts: a Mode 0 sector is 2336 + 96 bytes here, a MODE1 one 2144.
        let t = toc("TRACK MODE1 RW\nZERO MODE0 4864\nDATAFILE \"d\" 6432\nSILENCE 588\n");
        let lengths: Vec<Option<u32>> = t.tracks[0]
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Zero { sectors, .. } => Some(*sectors),
                Piece::File { sectors, .. } => *sectors,
            })
            .collect();
        assert_eq!(lengths, [Some(2), Some(3), Some(1)]);
        assert!(
            error("TRACK MODE1\nZERO 2049\n")
                .contains("2049 bytes is not a whole number of sectors (2048 bytes each)")
        );
    }
}
