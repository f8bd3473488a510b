//! Reading an NRG: from its chunk list to the tracks it declares, and sectors from the file.
//!
//! The track lists say where each track's sectors are in the file and how they are stored:
//!
//! * **Disc-at-once** (`DAOX`/`DAOI`, one chunk per session): per track the byte offsets of
//!   INDEX 00, INDEX 01 and the track's end. The pregap (INDEX 00 to INDEX 01) is stored, and the
//!   tracks of a session follow each other without a gap, so the file is a copy of the session
//!   from its first pregap to its lead-out. The session's `CUEX`/`CUES` chunk says the same in
//!   disc addresses.
//! * **Track-at-once** (`ETN2`/`ETNF`/`TINF`, one chunk per session): per track the offset and
//!   length of its stored sectors, without the pregap.
//!
//! Where the tracks lie on the disc is the business of `layout`. This module checks
//! everything before it is trusted: sizes of chunks and entries, track extents inside the data
//! area and not overlapping, sector sizes that fit the mode code.

use std::fs::File;
use std::path::{Path, PathBuf};

use discus_core::cd_text;
use discus_core::flat::read_exact_at;
use discus_core::output::open_input;
use discus_core::{Disc, Error, Form, IoContext, Lba, Result, SectorSource, Subchannel, TrackMode};

use crate::chunks::{
    Chunk, CueEntry, DaoChunk, EtnEntry, Footer, Version, parse_cue, parse_etn, read_footer, walk,
};
use crate::layout::STANDARD_PREGAP;
use crate::mode;

/// How one track's stored sectors lie in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stored {
    pub form: Form,
    /// The address of the first stored sector.
    pub first: Lba,
    /// Its byte offset.
    pub offset: u64,
    /// How many sectors are stored from there on.
    pub sectors: u64,
}

/// An open NRG image.
#[derive(Debug)]
pub(crate) struct NrgSource {
    path: PathBuf,
    file: File,
    disc: Disc,
    stored: Vec<Stored>,
    details: Vec<(String, String)>,
    warnings: Vec<String>,
}

/// Opens `path` as an NRG image.
pub(crate) fn open(path: &Path) -> Result<Box<dyn SectorSource>> {
    let file = open_input(path)?;
    let len = file.metadata().with_path(path)?.len();
    let mut warnings = Vec::new();
    let footer = read_footer(&file, path, len)?;
    let chunks = walk(&file, path, &footer, &mut warnings)?;
    let mut reader = Reader {
        file: &file,
        path,
        footer,
        warnings: &mut warnings,
        details: Vec::new(),
    };
    let (disc, stored) = reader.build(&chunks)?;
    let details = reader.details;
    Ok(Box::new(NrgSource {
        path: path.to_path_buf(),
        file,
        disc,
        stored,
        details,
        warnings,
    }))
}

impl SectorSource for NrgSource {
    fn disc(&self) -> &Disc {
        &self.disc
    }

    fn stored_form(&self, track: usize) -> Form {
        self.stored.get(track).map_or(Form::Raw, |s| s.form)
    }

    fn read(&mut self, track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
        let stored = self
            .stored
            .get(track)
            .ok_or_else(|| Error::Usage(format!("no track at index {track}")))?;
        let size = stored.form.size();
        if !buf.len().is_multiple_of(size) {
            return Err(Error::Usage(format!(
                "a read of {} bytes is not a whole number of {size}-byte sectors",
                buf.len()
            )));
        }
        let count = (buf.len() / size) as u64;
        let index = lba.distance_from(stored.first);
        let index = u64::try_from(index)
            .ok()
            .filter(|i| i + count <= stored.sectors)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "LBA {lba} (+{count}) is outside the stored sectors of track index {track}"
                ))
            })?;
        read_exact_at(
            &self.file,
            &self.path,
            buf,
            stored.offset + index * size as u64,
        )
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

/// One track as a track list declares it, checked against the file.
#[derive(Clone, Debug)]
pub(crate) struct Declared {
    pub code: u8,
    pub mode: TrackMode,
    pub form: Form,
    /// Byte offset of the first stored pregap sector (equal to `data_at` when none is stored).
    pub pregap_at: u64,
    /// Byte offset of INDEX 01.
    pub data_at: u64,
    /// Byte offset after the track.
    pub end: u64,
    /// Pregap sectors on disc.
    pub pregap: u32,
    pub pregap_stored: bool,
    /// Sectors from INDEX 01 on.
    pub length: u32,
    pub isrc: Option<String>,
    /// Where the entry is in the file, for messages.
    pub at: u64,
}

/// What kind of track list a session has.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// Disc-at-once, with its cue entries when the file has them.
    Dao {
        cue: Option<Vec<CueEntry>>,
        first_track: u8,
        last_track: u8,
    },
    TrackAtOnce,
}

/// One session as the file declares it.
#[derive(Clone, Debug)]
pub(crate) struct Declaration {
    pub kind: Kind,
    pub tracks: Vec<Declared>,
    /// Offset of its track list chunk, for messages.
    pub at: u64,
}

/// The state of one open: the file, and what it has found to say about it.
pub(crate) struct Reader<'a> {
    pub file: &'a File,
    pub path: &'a Path,
    pub footer: Footer,
    pub warnings: &'a mut Vec<String>,
    pub details: Vec<(String, String)>,
}

impl Reader<'_> {
    pub(crate) fn invalid(&self, at: u64, message: impl Into<String>) -> Error {
        Error::at_offset(self.path, at, message)
    }

    fn build(&mut self, chunks: &[Chunk]) -> Result<(Disc, Vec<Stored>)> {
        let version = self.footer.version;
        self.details.push((
            "NRG version".into(),
            match version {
                Version::V2 => "2 (NER5 footer, 64-bit offsets)".into(),
                Version::V1 => "1 (NERO footer, 32-bit offsets)".into(),
            },
        ));
        self.details.push((
            "Chunks".into(),
            chunks
                .iter()
                .map(Chunk::name)
                .collect::<Vec<_>>()
                .join(", "),
        ));

        let mut cues: Vec<Option<Vec<CueEntry>>> = Vec::new();
        let mut declarations = Vec::new();
        let mut session_counts = Vec::new();
        let mut text_chunk = None;
        let mut catalog = None;
        let mut media_type = None;
        for chunk in chunks {
            match &chunk.id {
                b"CUEX" | b"CUES" => match parse_cue(chunk) {
                    Ok(entries) => cues.push(Some(entries)),
                    Err(message) => {
                        self.warnings
                            .push(format!("{message}; the chunk is ignored"));
                        cues.push(None);
                    }
                },
                b"DAOX" | b"DAOI" => {
                    let dao = DaoChunk::parse(chunk, self.path)?;
                    if catalog.is_none() {
                        catalog = self.catalog(&dao);
                    }
                    let tracks = dao
                        .entries
                        .iter()
                        .map(|entry| self.declare_dao(entry))
                        .collect::<Result<Vec<_>>>()?;
                    declarations.push(Declaration {
                        kind: Kind::Dao {
                            cue: None,
                            first_track: dao.first_track,
                            last_track: dao.last_track,
                        },
                        tracks,
                        at: dao.at,
                    });
                }
                b"ETN2" | b"ETNF" | b"TINF" => {
                    let entries = parse_etn(chunk, self.path)?;
                    let tracks = entries
                        .iter()
                        .map(|entry| self.declare_tao(entry))
                        .collect::<Result<Vec<_>>>()?;
                    declarations.push(Declaration {
                        kind: Kind::TrackAtOnce,
                        tracks,
                        at: chunk.at,
                    });
                }
                b"SINF" => match chunk.u32() {
                    Some(count) => session_counts.push(count),
                    None => self.warnings.push(format!(
                        "the SINF chunk at byte {} is {} bytes long, not 4; it is ignored",
                        chunk.at, chunk.len
                    )),
                },
                b"CDTX" => text_chunk = Some((chunk.payload.to_vec(), chunk.at)),
                b"MTYP" | b"DINF" | b"RELO" | b"TOCT" => {
                    if &chunk.id == b"MTYP" {
                        media_type = chunk.u32();
                    }
                    let label = match &chunk.id {
                        b"MTYP" => "Media type (MTYP)",
                        b"DINF" => "Disc information (DINF)",
                        b"RELO" => "Relocation (RELO)",
                        _ => "TOC type (TOCT)",
                    };
                    let value: String = chunk.payload.iter().map(|b| format!("{b:02x}")).collect();
                    self.details.push((label.into(), format!("0x{value}")));
                }
                _ => {}
            }
        }
        if declarations.is_empty() {
            return Err(self.invalid(
                self.footer.chunks_at,
                "the chunk list has no track list (DAOX, DAOI, ETN2, ETNF or TINF chunk)",
            ));
        }
        // The n-th cue chunk belongs to the n-th disc-at-once session.
        let mut cues = cues.into_iter();
        for declaration in &mut declarations {
            if let Kind::Dao { cue, .. } = &mut declaration.kind {
                *cue = cues.next().flatten();
            }
        }
        let declarations = self.split_sessions(declarations, &session_counts);
        self.check_overlaps(&declarations)?;
        let (mut disc, stored) = self.lay_out(&declarations)?;
        disc.catalog = catalog;
        disc.medium = crate::mode::medium(media_type, &disc);
        if stored.iter().any(|s| s.form.has_subchannel()) {
            disc.subchannel = Some(Subchannel::Stored);
        }
        if let Some((packs, at)) = text_chunk {
            let warnings = cd_text::read_into(&mut disc, &packs);
            self.warnings.extend(
                warnings
                    .iter()
                    .map(|w| format!("the CDTX chunk at byte {at}: {w}")),
            );
        }
        self.hide_standard_pregap(&mut disc, &stored)?;
        Ok((disc, stored))
    }

    /// The MCN of a DAO header: 13 digits, or nothing when the field is empty.
    fn catalog(&mut self, dao: &DaoChunk) -> Option<String> {
        let mcn = dao.mcn.get(..13)?;
        if mcn.iter().all(|&b| b == 0) {
            return None;
        }
        if mcn.iter().all(u8::is_ascii_digit) {
            return Some(String::from_utf8_lossy(mcn).into_owned());
        }
        self.warnings.push(format!(
            "the MCN in the DAO chunk at byte {} is not 13 digits; it is ignored",
            dao.at
        ));
        None
    }

    /// The sector at `offset` (or none when the track is empty), to tell raw modes apart.
    fn first_sector(&self, offset: u64, form: Form, sectors: u64) -> Result<Vec<u8>> {
        if sectors == 0 {
            return Ok(Vec::new());
        }
        let mut sector = vec![0u8; form.size()];
        read_exact_at(self.file, self.path, &mut sector, offset)?;
        Ok(sector)
    }

    /// Checks a byte range of sectors of `size` bytes against the data area.
    fn sectors(&self, from: u64, to: u64, size: usize, what: &str, at: u64) -> Result<u32> {
        if from > to {
            return Err(self.invalid(
                at,
                format!("{what} ends at byte {to}, before it begins at byte {from}"),
            ));
        }
        if to > self.footer.chunks_at {
            return Err(self.invalid(
                at,
                format!(
                    "{what} reaches byte {to}, past the start of the chunk list at byte {}: the file is truncated or the entry is wrong",
                    self.footer.chunks_at
                ),
            ));
        }
        if !(to - from).is_multiple_of(size as u64) {
            return Err(self.invalid(
                at,
                format!(
                    "{what} is {} bytes long, not a whole number of {size}-byte sectors",
                    to - from
                ),
            ));
        }
        u32::try_from((to - from) / size as u64)
            .map_err(|_| self.invalid(at, format!("{what} has more sectors than a disc holds")))
    }

    /// Resolves a mode code against the sector size the file uses, trusting the size.
    fn resolve_mode(
        &mut self,
        code: u8,
        size: usize,
        offset: u64,
        sectors: u64,
        at: u64,
    ) -> Result<(TrackMode, Form)> {
        if let Some((mode, form)) = mode::decode(code).filter(|(_, f)| f.size() == size) {
            return Ok((mode, form));
        }
        let Some(form) = mode::form_of_size(size) else {
            return Err(self.invalid(
                at,
                format!("sector size {size} is none of 2048, 2336, 2352 and 2448"),
            ));
        };
        let first = self.first_sector(offset, form, sectors)?;
        let mode = mode::guess(form, &first);
        self.warnings.push(match mode::decode(code) {
            Some((_, declared)) => format!(
                "the track entry at byte {at} has mode code {code:#04x} ({}-byte sectors) but {size}-byte sectors; read as {} {}",
                declared.name(),
                mode.name(),
                form.name()
            ),
            None => format!(
                "the track entry at byte {at} has the unknown mode code {code:#04x}; read as {} {} from its sector size",
                mode.name(),
                form.name()
            ),
        });
        Ok((mode, form))
    }

    fn declare_dao(&mut self, entry: &crate::chunks::DaoEntry) -> Result<Declared> {
        let size = usize::from(entry.sector_size);
        if mode::form_of_size(size).is_none() {
            return Err(self.invalid(
                entry.at,
                format!(
                    "the track entry declares {size}-byte sectors; NRG uses 2048, 2336, 2352 or 2448"
                ),
            ));
        }
        let pregap = self.sectors(
            entry.index0,
            entry.index1,
            size,
            "the track's pregap",
            entry.at,
        )?;
        let length = self.sectors(entry.index1, entry.end, size, "the track", entry.at)?;
        let (mode, form) =
            self.resolve_mode(entry.mode, size, entry.index1, u64::from(length), entry.at)?;
        Ok(Declared {
            code: entry.mode,
            mode,
            form,
            pregap_at: entry.index0,
            data_at: entry.index1,
            end: entry.end,
            pregap,
            pregap_stored: true,
            length,
            isrc: self.isrc(&entry.isrc, entry.at),
            at: entry.at,
        })
    }

    fn declare_tao(&mut self, entry: &EtnEntry) -> Result<Declared> {
        let decoded = u8::try_from(entry.mode)
            .ok()
            .and_then(|code| mode::decode(code).map(|d| (code, d)));
        let Some((code, (mode, form))) = decoded else {
            return Err(Error::unsupported(
                self.path,
                format!(
                    "the track-at-once entry at byte {} has the unknown mode {:#x}, so its sector size is unknown",
                    entry.at, entry.mode
                ),
            ));
        };
        let end = entry
            .offset
            .checked_add(entry.length)
            .ok_or_else(|| self.invalid(entry.at, "the track's offset and length overflow"))?;
        let length = self.sectors(entry.offset, end, form.size(), "the track", entry.at)?;
        Ok(Declared {
            code,
            mode,
            form,
            pregap_at: entry.offset,
            data_at: entry.offset,
            end,
            pregap: STANDARD_PREGAP,
            pregap_stored: false,
            length,
            isrc: None,
            at: entry.at,
        })
    }

    fn isrc(&mut self, raw: &[u8; 12], at: u64) -> Option<String> {
        if raw.iter().all(|&b| b == 0) {
            return None;
        }
        if raw.iter().all(u8::is_ascii_alphanumeric) {
            return Some(String::from_utf8_lossy(raw).to_ascii_uppercase());
        }
        self.warnings.push(format!(
            "the ISRC of the track entry at byte {at} is not 12 letters and digits; it is ignored"
        ));
        None
    }

    /// No two tracks may claim the same bytes.
    fn check_overlaps(&mut self, declarations: &[Declaration]) -> Result<()> {
        let mut extents: Vec<(u64, u64, u64)> = Vec::new();
        for (session, declaration) in declarations.iter().enumerate() {
            if declaration.tracks.is_empty() {
                return Err(self.invalid(
                    declaration.at,
                    format!("session {} has no tracks", session + 1),
                ));
            }
            for track in &declaration.tracks {
                if track.end > track.pregap_at {
                    extents.push((track.pregap_at, track.end, track.at));
                }
            }
        }
        extents.sort_unstable();
        for pair in extents.windows(2) {
            if let [(a_start, a_end, a_at), (b_start, b_end, b_at)] = pair
                && b_start < a_end
            {
                return Err(self.invalid(
                        *b_at,
                        format!(
                            "the track of this entry (bytes {b_start}..{b_end}) overlaps the track of the entry at byte {a_at} (bytes {a_start}..{a_end})"
                        ),
                    ));
            }
        }
        Ok(())
    }
}
