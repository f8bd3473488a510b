//! The reading half: opens a sheet, finds and opens its files, lays the disc out and serves the
//! stored sectors of each track with one positioned read per file extent touched (files stay
//! open; no per-sector system calls). MOTOROLA audio is swapped to little-endian here, and the two
//! Form 2 shapes the core has no form for (2324, 2328) are widened to 2336-byte Mode 2 bodies.

use std::path::{Path, PathBuf};

use discus_core::cd_text;
use discus_core::sector::{RAW_SIZE, form2_body_from_user_data};
use discus_core::{Disc, Error, Form, Lba, Result, SectorSource};

use crate::files::{self, DataFile};
use crate::layout::{self, FileSpan, Storage};
use crate::sheet::{self, FileType, TrackKind};

/// A sheet bigger than this is not a cue sheet (real ones are a few KiB).
pub(crate) const MAX_SHEET: u64 = 4 << 20;
/// CD-TEXT holds at most 8 blocks of 256 packs of 18 bytes; allow a header and slack.
const MAX_CD_TEXT: u64 = 64 << 10;
/// Bytes of one CD-TEXT pack.
const PACK: usize = cd_text::PACK_SIZE;

/// A disc read through a cue sheet.
#[derive(Debug)]
pub struct CueSource {
    cue: PathBuf,
    disc: Disc,
    storage: Vec<Storage>,
    /// Indexed like the sheet's FILE lines; `None` for files no INDEX uses.
    files: Vec<Option<DataFile>>,
    cd_text: Option<PathBuf>,
    comments: Vec<String>,
    warnings: Vec<String>,
    /// Why the trailing tracks the files hold no data for are left out (see [`layout::Absent`]),
    /// and the torn ends of files: losses for every plan.
    left_out: Vec<String>,
    scratch: Vec<u8>,
}

impl CueSource {
    /// Opens the sheet at `cue` and every file it uses.
    pub fn open(cue: &Path) -> Result<CueSource> {
        let bytes = discus_core::flat::read_sheet(cue, MAX_SHEET, "a cue sheet")?;
        if let Some(at) = sheet::binary_at(&bytes) {
            return Err(Error::at_offset(
                cue,
                at as u64,
                "a cue sheet is text, but this file holds binary data",
            ));
        }
        let sheet = sheet::parse(cue, &sheet::decode(&bytes))?;
        let mut warnings = sheet.warnings.clone();

        let used: Vec<bool> = (0..sheet.files.len())
            .map(|f| {
                sheet
                    .tracks
                    .iter()
                    .flat_map(|t| &t.indexes)
                    .any(|i| i.file == f)
            })
            .collect();
        let only_file = sheet.files.len() == 1;
        let may_be_absent = layout::trailing_data(&sheet);
        // The first track of a FILE, when every INDEX in it belongs to a trailing data track.
        let only_absent = |f: usize| {
            let tracks: Vec<usize> = sheet
                .tracks
                .iter()
                .enumerate()
                .filter(|(_, t)| t.indexes.iter().any(|i| i.file == f))
                .map(|(n, _)| n)
                .collect();
            tracks
                .iter()
                .all(|&t| t >= may_be_absent)
                .then(|| tracks.first().copied())
                .flatten()
        };
        let mut absent: Option<layout::Absent> = None;
        let mark_absent = |track: usize, reason: String, absent: &mut Option<layout::Absent>| {
            if absent.as_ref().is_none_or(|a| track < a.from) {
                *absent = Some(layout::Absent {
                    from: track,
                    reason,
                });
            }
        };
        let mut files = Vec::with_capacity(sheet.files.len());
        for (f, (entry, used)) in sheet.files.iter().zip(&used).enumerate() {
            if !used {
                warnings.push(entry.pos.warning(
                    cue,
                    format!("FILE '{}' holds no INDEX; it is not read", entry.name),
                ));
                files.push(None);
                continue;
            }
            let path = match files::locate(
                cue,
                &entry.name,
                entry.kind,
                only_file,
                entry.pos,
                &mut warnings,
            ) {
                Ok(path) => path,
                // The sheet's first track is never absent: with nothing else to read, the sheet
                // is refused as before.
                Err(error) => match only_absent(f)
                    .filter(|&track| track > 0)
                    .and_then(|track| Some((track, sheet.tracks.get(track)?)))
                {
                    Some((track, track_entry)) => {
                        mark_absent(
                            track,
                            format!(
                                "track {} ({}) is not in the image: {error}",
                                track_entry.number,
                                track_entry.kind.keyword()
                            ),
                            &mut absent,
                        );
                        files.push(None);
                        continue;
                    }
                    None => return Err(error),
                },
            };
            files.push(Some(files::open(path, entry.kind, &mut warnings)?));
        }
        for (t, track) in sheet.tracks.iter().enumerate() {
            for index in &track.indexes {
                let wave = files
                    .get(index.file)
                    .and_then(Option::as_ref)
                    .is_some_and(|f| f.kind == FileType::Wave);
                if wave && !track.kind.is_audio() && t >= may_be_absent && t > 0 {
                    // What EAC writes for the data track of an Enhanced CD it copied the audio of.
                    mark_absent(
                        t,
                        track.pos.warning(
                            cue,
                            format!(
                                "track {} ({}) is not in the image: its FILE is WAVE, which holds only audio",
                                track.number,
                                track.kind.keyword()
                            ),
                        ),
                        &mut absent,
                    );
                } else if wave && !track.kind.is_audio() {
                    return Err(track.pos.error(
                        cue,
                        format!(
                            "TRACK {:02} is {} but its FILE is WAVE, which holds only audio",
                            track.number,
                            track.kind.keyword()
                        ),
                    ));
                }
            }
            if matches!(
                track.kind,
                TrackKind::Mode2Form1 | TrackKind::Mode2Form2 | TrackKind::Mode2Form2Edc
            ) {
                warnings.push(track.pos.warning(
                    cue,
                    format!(
                        "TRACK {:02} uses the non-standard mode {}: its sectors store no subheader, so they are read as {} with a plain data subheader",
                        track.number,
                        track.kind.keyword(),
                        if track.kind == TrackKind::Mode2Form1 { "Form 1" } else { "Form 2" }
                    ),
                ));
            }
        }
        let spans: Vec<Option<FileSpan>> = files
            .iter()
            .map(|f| {
                f.as_ref().map(|f| FileSpan {
                    base: f.base,
                    len: f.len,
                })
            })
            .collect();
        let mut torn = Vec::new();
        let (mut disc, storage) =
            layout::build(cue, &sheet, &spans, &mut absent, &mut torn, &mut warnings)?;
        let mut left_out: Vec<String> = absent
            .map(|a| {
                let numbers: Vec<String> = sheet
                    .tracks
                    .get(a.from..)
                    .unwrap_or_default()
                    .iter()
                    .map(|t| format!("{:02}", t.number))
                    .collect();
                warnings.push(format!(
                    "{}; TRACK {} left out (conversions that need {} are refused)",
                    a.reason,
                    numbers.join(", "),
                    if numbers.len() == 1 { "it" } else { "them" }
                ));
                let mut lost = vec![a.reason];
                let after = sheet.tracks.get(a.from + 1..).unwrap_or_default();
                lost.extend(after.iter().map(|t| {
                    format!(
                        "track {} ({}) is not in the image: it follows a track with no data",
                        t.number,
                        t.kind.keyword()
                    )
                }));
                lost
            })
            .unwrap_or_default();
        left_out.extend(torn);

        let mut cd_text = None;
        if let Some((name, pos)) = &sheet.cd_text_file {
            match files::locate(cue, name, FileType::Binary, false, *pos, &mut warnings) {
                Ok(path) => {
                    match read_cd_text(&path) {
                        Ok(packs) => {
                            // The sheet's own TITLE, PERFORMER and SONGWRITER lines win over the
                            // packs': they are what the sheet's author wrote for this disc.
                            let said = cd_text::read_into(&mut disc, &packs);
                            warnings
                                .extend(said.iter().map(|w| {
                                    pos.warning(cue, format!("CDTEXTFILE '{name}': {w}"))
                                }));
                        }
                        Err(why) => warnings.push(pos.warning(
                            cue,
                            format!("CDTEXTFILE '{name}' {why}; CD-TEXT packs are not kept"),
                        )),
                    }
                    cd_text = Some(path);
                }
                Err(e) => warnings.push(format!("{e}; CD-TEXT packs are not kept")),
            }
        }

        Ok(CueSource {
            cue: cue.to_path_buf(),
            disc,
            storage,
            files,
            cd_text,
            comments: sheet.comments,
            warnings,
            left_out,
            scratch: Vec::new(),
        })
    }
}

/// Reads raw CD-TEXT packs: 18-byte packs, possibly behind the 4-byte header (big-endian length
/// + 2) that cdrecord writes, possibly with one trailing NUL (as some tools leave).
fn read_cd_text(path: &Path) -> std::result::Result<Vec<u8>, String> {
    let len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if len > MAX_CD_TEXT {
        return Err(format!("is {len} bytes, more than CD-TEXT can hold"));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let mut packs: &[u8] = &bytes;
    if packs.len() % PACK >= 4
        && let [hi, lo, _, _, rest @ ..] = packs
        && (usize::from(u16::from_be_bytes([*hi, *lo])) == rest.len() + 2 || rest.len() % PACK <= 1)
    {
        packs = rest;
    }
    if packs.len() % PACK == 1 && packs.last() == Some(&0) {
        packs = &packs[..packs.len() - 1];
    }
    if packs.is_empty() || !packs.len().is_multiple_of(PACK) {
        return Err(format!(
            "is {} bytes, not a whole number of 18-byte packs",
            bytes.len()
        ));
    }
    Ok(packs.to_vec())
}

impl SectorSource for CueSource {
    fn disc(&self) -> &Disc {
        &self.disc
    }

    fn stored_form(&self, track: usize) -> Form {
        self.storage.get(track).map_or(Form::Raw, |s| s.kind.form())
    }

    fn read(&mut self, track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
        let storage = self.storage.get(track).ok_or_else(|| {
            Error::Usage(format!("{}: no track at index {track}", self.cue.display()))
        })?;
        let kind = storage.kind;
        let size = kind.form().size();
        let file_size = kind.file_sector_size();
        let count = (buf.len() / size) as u64;
        let skip = lba.distance_from(storage.first);
        if !buf.len().is_multiple_of(size) || skip < 0 || skip as u64 + count > storage.sectors() {
            return Err(Error::Usage(format!(
                "{}: track {} stores no {count} sector(s) at LBA {lba}",
                self.cue.display(),
                track + 1
            )));
        }
        let mut skip = skip as u64;
        let mut done = 0u64;
        for extent in &storage.extents {
            if done == count {
                break;
            }
            if skip >= extent.sectors {
                skip -= extent.sectors;
                continue;
            }
            let run = (extent.sectors - skip).min(count - done);
            let file = self
                .files
                .get(extent.file)
                .and_then(Option::as_ref)
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "{}: file {} is not open",
                        self.cue.display(),
                        extent.file
                    ))
                })?;
            let offset = extent.offset + skip * file_size as u64;
            let dst = buf
                .get_mut((done as usize) * size..((done + run) as usize) * size)
                .ok_or_else(|| Error::Usage("read buffer too small".to_string()))?;
            if file_size == size {
                file.file.read_exact_at(&file.path, dst, offset)?;
            } else {
                self.scratch.resize(run as usize * file_size, 0);
                file.file
                    .read_exact_at(&file.path, &mut self.scratch, offset)?;
                for (stored, body) in self
                    .scratch
                    .chunks_exact(file_size)
                    .zip(dst.chunks_exact_mut(size))
                {
                    form2_body_from_user_data(stored, body);
                }
            }
            if file.kind == FileType::Motorola && kind.is_audio() {
                for sector in dst.chunks_exact_mut(size) {
                    discus_core::sector::swap_sample_bytes(&mut sector[..RAW_SIZE]);
                }
            }
            done += run;
            skip = 0;
        }
        Ok(())
    }

    fn files(&self) -> Vec<PathBuf> {
        let mut files = vec![self.cue.clone()];
        for file in self.files.iter().flatten() {
            if !files.contains(&file.path) {
                files.push(file.path.clone());
            }
        }
        files.extend(self.cd_text.clone());
        files
    }

    fn details(&self) -> Vec<(String, String)> {
        let mut details = vec![("sheet".to_string(), self.cue.display().to_string())];
        let open: Vec<&DataFile> = self.files.iter().flatten().collect();
        let layout = match (open.len(), self.disc.track_count()) {
            (1, _) => "one file for the disc",
            (files, tracks) if files == tracks => "one file per track",
            _ => "several files",
        };
        details.push(("layout".to_string(), layout.to_string()));
        for file in open {
            details.push((
                "file".to_string(),
                format!(
                    "{} ({}, {} bytes of sectors)",
                    file.path.display(),
                    file.kind.keyword(),
                    file.len
                ),
            ));
        }
        for (track, storage) in self.disc.tracks().zip(&self.storage) {
            details.push((
                format!("track {:02}", track.number),
                format!(
                    "{} ({}-byte sectors in the file)",
                    storage.kind.keyword(),
                    storage.kind.file_sector_size()
                ),
            ));
        }
        if let Some(cd_text) = &self.cd_text {
            details.push(("cd-text file".to_string(), cd_text.display().to_string()));
        }
        for comment in &self.comments {
            details.push(("REM".to_string(), comment.clone()));
        }
        details
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    fn left_out(&self) -> Vec<String> {
        self.left_out.clone()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cd_text_headers_and_trailing_nul_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.cdt");
        let packs: Vec<u8> = (0..36u8).collect();
        std::fs::write(&path, &packs).unwrap();
        assert_eq!(read_cd_text(&path).unwrap(), packs);
        let mut with_header = vec![0, 38, 0, 0];
        with_header.extend_from_slice(&packs);
        with_header.push(0);
        std::fs::write(&path, &with_header).unwrap();
        assert_eq!(read_cd_text(&path).unwrap(), packs);
        std::fs::write(&path, [1u8; 20]).unwrap();
        assert!(read_cd_text(&path).is_err());
    }
}
