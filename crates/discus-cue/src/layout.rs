//! Turns a parsed sheet and the sizes of its files into the disc: which bytes of which file hold
//! each track (its *extents*), and where the track lies on the disc (its LBAs). The two are kept
//! apart on purpose: INDEX times are positions in a file, counted in that file's sectors, while disc
//! addresses also count the gaps no file holds (PREGAP, POSTGAP, the lead-out and lead-in between
//! sessions). Byte offsets are summed span by span because tracks in one file may store sectors of
//! different sizes.

use std::path::Path;

use discus_core::disc::GD_ROM_HIGH_DENSITY;
use discus_core::{Control, Disc, Error, Gap, Index, Lba, Msf, Result, Session, Subchannel, Track};

use crate::sheet::{Sheet, TrackKind};

/// Sectors from the end of session 1 to the first INDEX 01 of session 2: lead-out 6750, lead-in
/// 4500 and the 150-sector pregap every session's first track has.
pub(crate) const SECOND_SESSION_GAP: i64 = 6750 + 4500 + 150;
/// The same for later sessions, whose lead-out is 2250 sectors.
pub(crate) const LATER_SESSION_GAP: i64 = 2250 + 4500 + 150;

/// Addresses a sheet may reach: far beyond any disc, far inside `i32`.
const MIN_LBA: i64 = -(1 << 30);
const MAX_LBA: i64 = 1 << 30;

/// A run of stored sectors of one track in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Extent {
    /// Index into the sheet's files.
    pub file: usize,
    /// Absolute byte offset in the file of the first sector.
    pub offset: u64,
    pub sectors: u64,
}

/// How one track is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Storage {
    pub kind: TrackKind,
    /// The first stored sector's address (the pregap's start when the pregap is stored).
    pub first: Lba,
    /// Stored sectors, pregap (if stored) then body, in disc order.
    pub extents: Vec<Extent>,
}

impl Storage {
    pub fn sectors(&self) -> u64 {
        self.extents.iter().map(|e| e.sectors).sum()
    }
}

/// Where a file's sectors are: the byte offset of its first sector and the bytes it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileSpan {
    pub base: u64,
    pub len: u64,
}

/// The size of the gap before the first track of `session` (2 for the first session change).
pub(crate) fn session_gap(session_index: usize) -> i64 {
    if session_index == 1 {
        SECOND_SESSION_GAP
    } else {
        LATER_SESSION_GAP
    }
}

/// Where each track's INDEX 01 falls when tracks follow each other with nothing between them but
/// their gaps, and sessions are apart by [`session_gap`]: the layout a cue sheet implies. Takes
/// (session number, pregap, length, postgap) per track; returns the INDEX 01 addresses.
/// With `gd_rom`, the second session is a GD-ROM's high-density area, whose first sector is LBA
/// 45000.
pub(crate) fn implied_starts(tracks: &[(u8, u32, u32, u32)], gd_rom: bool) -> Option<Vec<Lba>> {
    let mut starts = Vec::with_capacity(tracks.len());
    let mut end = Lba(0);
    let mut sessions_seen = 0usize;
    let mut previous_session = None;
    for &(session, pregap, length, postgap) in tracks {
        let start = match previous_session {
            // Track 1's pregap lies from LBA 0 (disc time 00:02:00) to its INDEX 01.
            None => Lba(0).checked_add(i64::from(pregap))?,
            Some(previous) if previous != session => {
                sessions_seen += 1;
                if gd_rom {
                    GD_ROM_HIGH_DENSITY.checked_add(i64::from(pregap))?
                } else {
                    end.checked_add(session_gap(sessions_seen))?
                }
            }
            Some(_) => end.checked_add(i64::from(pregap))?,
        };
        previous_session = Some(session);
        starts.push(start);
        end = start.checked_add(i64::from(length) + i64::from(postgap))?;
    }
    Some(starts)
}

/// Which part of its track a span of stored sectors belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Pregap,
    Body,
}

/// Per track, while spans are collected.
#[derive(Clone, Debug, Default)]
struct Collect {
    pregap: u64,
    body: u64,
    extents: Vec<Extent>,
    /// INDEX 02+ as (number, stored sectors before it).
    indexes: Vec<(u8, u64)>,
    /// The part the track's latest span was in, for leading sectors of a later file.
    last_part: Option<Part>,
}

/// The first of the data tracks that end the sheet (the sheet's length when it ends with audio):
/// the tracks that may be absent. An audio ripper (EAC) lists the data track of an Enhanced CD
/// after the audio it copied, in the audio's WAVE file or a file it never wrote; the addresses of
/// the tracks before it do not depend on it.
pub(crate) fn trailing_data(sheet: &Sheet) -> usize {
    sheet
        .tracks
        .iter()
        .rposition(|t| t.kind.is_audio())
        .map_or(0, |last_audio| last_audio + 1)
}

/// Tracks of the sheet the files hold no data for: from track `from` (a sheet index) to the end,
/// with the reason of the first one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Absent {
    pub from: usize,
    pub reason: String,
}

/// Builds the disc. `files[i]` is the span of sheet file `i`, `None` for files no INDEX uses
/// and for files that are missing for an absent track. `absent` (from what the reader found:
/// a missing file, a WAVE file for data) may be moved earlier here, when an INDEX of a trailing
/// data track lies past the end of its file; the absent tracks are left out of the disc. Bytes
/// at the end of a file that make no whole sector go to `torn`, one sentence each.
pub(crate) fn build(
    cue: &Path,
    sheet: &Sheet,
    files: &[Option<FileSpan>],
    absent: &mut Option<Absent>,
    torn: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<(Disc, Vec<Storage>)> {
    let mut collect = vec![Collect::default(); sheet.tracks.len()];
    let present = |t: usize, absent: &Option<Absent>| absent.as_ref().is_none_or(|a| t < a.from);
    // Every INDEX in sheet order: (track, index).
    let points: Vec<(usize, &crate::sheet::SheetIndex)> = sheet
        .tracks
        .iter()
        .enumerate()
        .filter(|&(t, _)| present(t, absent))
        .flat_map(|(t, track)| track.indexes.iter().map(move |i| (t, i)))
        .collect();
    let may_be_absent = trailing_data(sheet);
    let mut start = 0;
    while start < points.len() {
        // The INDEX lines of one FILE are consecutive: a FILE line starts a new file.
        let file = points[start].1.file;
        let end = points[start..]
            .iter()
            .position(|(_, i)| i.file != file)
            .map_or(points.len(), |n| start + n);
        let span = files.get(file).copied().flatten().ok_or_else(|| {
            Error::Usage(format!(
                "internal: file {file} of {} was not opened",
                cue.display()
            ))
        })?;
        let found = spans_of_file(
            cue,
            sheet,
            &points[start..end],
            span,
            may_be_absent,
            &mut collect,
            torn,
            warnings,
        )?;
        if let Some(found) = found {
            // Tracks from here on are absent: their points, in this file and later ones, are not
            // read.
            *absent = Some(found);
            break;
        }
        start = end;
    }

    let mut sessions: Vec<Session> = Vec::new();
    let mut storage = Vec::with_capacity(sheet.tracks.len());
    let mut end = Lba(0);
    let kept = absent.as_ref().map_or(sheet.tracks.len(), |a| a.from);
    if kept == 0 {
        return Err(sheet.tracks.first().map_or_else(
            || Error::Usage(format!("{}: the sheet has no track", cue.display())),
            |t| {
                t.pos.error(
                    cue,
                    format!(
                        "no track of the sheet has data: {}",
                        absent.as_ref().map_or("", |a| a.reason.as_str())
                    ),
                )
            },
        ));
    }
    for (track, c) in sheet.tracks.iter().zip(collect).take(kept) {
        let too_long = || {
            track.pos.error(
                cue,
                format!("TRACK {:02} is too long for a disc", track.number),
            )
        };
        let (pregap, pregap_stored) = match (track.pregap, c.pregap) {
            (Some((_, pos)), stored) if stored > 0 => {
                return Err(Error::unsupported(
                    cue,
                    format!(
                        "line {}, column {}: TRACK {:02} has both PREGAP and stored pregap sectors (INDEX 00); discus cannot hold both",
                        pos.line, pos.column, track.number
                    ),
                ));
            }
            (Some((generated, _)), _) => (Gap::generated(generated), false),
            (None, 0) => (Gap::NONE, false),
            (None, stored) => (
                Gap::stored(u32::try_from(stored).map_err(|_| too_long())?),
                true,
            ),
        };
        let length = u32::try_from(c.body).map_err(|_| too_long())?;
        let new_session = sessions.last().is_none_or(|s| s.number != track.session);
        let begin = match sessions.last() {
            // The first byte of the first file is LBA 0, absolute time 00:02:00, as libcdio's
            // cd-info and cdrdao read a sheet: a pregap of track 1 (INDEX 00, hidden track one
            // audio, or PREGAP) puts its INDEX 01 that much later, and every track after it.
            None => Lba(0)
                .checked_add(i64::from(pregap.sectors))
                .ok_or_else(too_long)?,
            Some(_) if new_session && sheet.high_density == Some(track.session) => {
                if end > GD_ROM_HIGH_DENSITY {
                    return Err(track.pos.error(
                        cue,
                        format!(
                            "the single-density area ends at LBA {end}, past LBA {GD_ROM_HIGH_DENSITY} where the high-density area of TRACK {:02} begins",
                            track.number
                        ),
                    ));
                }
                GD_ROM_HIGH_DENSITY
                    .checked_add(i64::from(pregap.sectors))
                    .ok_or_else(too_long)?
            }
            Some(_) if new_session => end
                .checked_add(session_gap(sessions.len()))
                .ok_or_else(too_long)?,
            Some(_) => end
                .checked_add(i64::from(pregap.sectors))
                .ok_or_else(too_long)?,
        };
        // Keep every address of the track well inside i32 before the model's arithmetic runs.
        let lowest = i64::from(begin.0) - i64::from(pregap.sectors);
        let highest = i64::from(begin.0) + i64::from(length) + i64::from(track.postgap);
        if lowest < MIN_LBA || highest > MAX_LBA {
            return Err(too_long());
        }
        let mut disc_track = Track::new(track.number, track.kind.mode(), begin, length);
        disc_track.pregap = pregap;
        disc_track.postgap = Gap::generated(track.postgap);
        disc_track.control = Control(disc_track.control.0 | track.flags);
        disc_track.isrc = track.isrc.clone();
        disc_track.text = track.text.clone();
        let first_stored = if pregap_stored {
            disc_track.first_lba()
        } else {
            disc_track.start
        };
        for &(number, before) in &c.indexes {
            let lba = first_stored
                .checked_add(before as i64)
                .ok_or_else(too_long)?;
            disc_track.indexes.push(Index { number, lba });
        }
        end = disc_track.end_lba();
        storage.push(Storage {
            kind: track.kind,
            first: first_stored,
            extents: c.extents,
        });
        if new_session {
            sessions.push(Session {
                number: track.session,
                tracks: Vec::new(),
            });
        }
        if let Some(session) = sessions.last_mut() {
            session.tracks.push(disc_track);
        }
    }
    let disc = Disc {
        // A cue sheet's tracks are a CD's: MSF times, 2352-byte sectors.
        medium: discus_core::Medium::Cd,
        sessions,
        catalog: sheet.catalog.clone(),
        text: sheet.text.clone(),
        cd_text_packs: None,
        subchannel: sheet
            .tracks
            .iter()
            .any(|t| t.kind == TrackKind::Cdg)
            .then_some(Subchannel::Stored),
    };
    Ok((disc, storage))
}

/// Cuts one file into spans between its INDEX lines and hands each span to its track. A track
/// from `may_be_absent` on whose INDEX lies at or past the end of the file is absent: the
/// track before it runs to the end of the file, and the tracks from it on are returned.
// Every argument is a distinct input of the one cut; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
fn spans_of_file(
    cue: &Path,
    sheet: &Sheet,
    points: &[(usize, &crate::sheet::SheetIndex)],
    span: FileSpan,
    may_be_absent: usize,
    collect: &mut [Collect],
    torn: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<Option<Absent>> {
    let Some(&(first_track, first)) = points.first() else {
        return Ok(None);
    };
    let name = sheet.files.get(first.file).map_or("", |f| f.name.as_str());
    let past_end = |track: usize, index: &crate::sheet::SheetIndex| {
        Absent {
        from: track,
        reason: index.pos.warning(cue, format_args!(
            "track {} ({}) is not in the image: its INDEX {:02} at {} lies at or past the end of FILE '{name}' ({} bytes of sectors), so the file holds no data for it",
            sheet.tracks[track].number,
            sheet.tracks[track].kind.keyword(),
            index.number,
            Msf::from_frames(index.frames),
            span.len
        )),
    }
    };
    let mut offset = 0u64;
    // Sectors before the first INDEX of a file still belong to the track that INDEX starts (or
    // continues); dropping them would lose stored bytes, so they are kept and reported.
    if first.frames > 0 {
        let kind = sheet.tracks[first_track].kind;
        let part = collect[first_track].last_part.unwrap_or(Part::Pregap);
        let sectors = u64::from(first.frames);
        warnings.push(first.pos.warning(
            cue,
            format!(
                "FILE '{name}' starts with {sectors} sector(s) before its first INDEX; they are kept as {} of TRACK {:02}",
                if part == Part::Pregap { "stored pregap" } else { "part" },
                sheet.tracks[first_track].number
            ),
        ));
        offset = add_span(
            cue,
            first_track,
            kind,
            part,
            sectors,
            offset,
            span,
            first,
            collect,
        )?;
    }
    for (n, &(track, index)) in points.iter().enumerate() {
        let kind = sheet.tracks[track].kind;
        let size = kind.file_sector_size() as u64;
        let part = if index.number == 0 {
            Part::Pregap
        } else {
            Part::Body
        };
        if index.number >= 2 {
            let c = &mut collect[track];
            c.indexes.push((index.number, c.pregap + c.body));
        }
        // Bytes after the last whole sector of the file: not sector data anyone can read, so a
        // loss that a conversion refuses (and a warning for `info`).
        let tear = |at: u64, left: u64, torn: &mut Vec<String>, warnings: &mut Vec<String>| {
            if left == 0 {
                return;
            }
            let sentence = format!(
                "FILE '{name}' ends with {left} byte(s) at byte {} that do not make a whole {size}-byte sector",
                span.base + at
            );
            warnings.push(
                index
                    .pos
                    .warning(cue, format_args!("{sentence}; they are not read")),
            );
            torn.push(index.pos.warning(cue, sentence));
        };
        let available = span.len.saturating_sub(offset);
        let next_absent = points.get(n + 1).filter(|&&(next_track, next)| {
            next_track >= may_be_absent
                && next_track != track
                && u64::from(next.frames - index.frames).saturating_mul(size) >= available
        });
        if let Some(&(next_track, next)) = next_absent {
            // The next track starts at or past the end: this one runs to the end of the file.
            let sectors = available / size;
            if sectors > 0 {
                add_span(
                    cue, track, kind, part, sectors, offset, span, index, collect,
                )?;
            }
            tear(offset + sectors * size, available % size, torn, warnings);
            return Ok(Some(past_end(next_track, next)));
        }
        let sectors = match points.get(n + 1) {
            Some((_, next)) => u64::from(next.frames - index.frames),
            None => {
                let sectors = available / size;
                if sectors == 0 && track >= may_be_absent && track > 0 && n == 0 {
                    return Ok(Some(past_end(track, index)));
                }
                if sectors == 0 {
                    return Err(index.pos.error(
                        cue,
                        format!(
                            "INDEX {:02} at {} is at or past the end of FILE '{name}' ({} bytes of sectors)",
                            index.number,
                            Msf::from_frames(index.frames),
                            span.len
                        ),
                    ));
                }
                tear(offset + sectors * size, available % size, torn, warnings);
                sectors
            }
        };
        offset = add_span(
            cue, track, kind, part, sectors, offset, span, index, collect,
        )?;
    }
    Ok(None)
}

/// Adds `sectors` of `track` at `offset` (relative to the file's first sector) to its extents,
/// checking that the file holds them; returns the offset after them.
#[allow(clippy::too_many_arguments)]
fn add_span(
    cue: &Path,
    track: usize,
    kind: TrackKind,
    part: Part,
    sectors: u64,
    offset: u64,
    span: FileSpan,
    index: &crate::sheet::SheetIndex,
    collect: &mut [Collect],
) -> Result<u64> {
    let size = kind.file_sector_size() as u64;
    let end = sectors
        .checked_mul(size)
        .and_then(|bytes| bytes.checked_add(offset))
        .filter(|&end| end <= span.len)
        .ok_or_else(|| {
            index.pos.error(
                cue,
                format!(
                    "the FILE holds {} bytes of sectors, too few for the {sectors} sector(s) from INDEX {:02} at {}",
                    span.len,
                    index.number,
                    Msf::from_frames(index.frames)
                ),
            )
        })?;
    let c = &mut collect[track];
    match part {
        Part::Pregap => c.pregap += sectors,
        Part::Body => c.body += sectors,
    }
    c.last_part = Some(part);
    c.extents.push(Extent {
        file: index.file,
        offset: span.base + offset,
        sectors,
    });
    Ok(end)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sheet::parse;
    use discus_core::TrackMode;

    fn layout(text: &str, sizes: &[u64]) -> Result<(Disc, Vec<Storage>, Vec<String>)> {
        let cue = Path::new("t.cue");
        let sheet = parse(cue, text)?;
        let files: Vec<_> = sizes
            .iter()
            .map(|&len| Some(FileSpan { base: 0, len }))
            .collect();
        let mut warnings = Vec::new();
        let (disc, storage) = build(
            cue,
            &sheet,
            &files,
            &mut None,
            &mut Vec::new(),
            &mut warnings,
        )?;
        Ok((disc, storage, warnings))
    }

    #[test]
    fn single_file_with_mixed_sector_sizes() {
        // 10 sectors of 2048, then audio with a 2-sector INDEX 00 and an INDEX 02.
        let text = "FILE d.bin BINARY\nTRACK 01 MODE1/2048\nINDEX 01 00:00:00\n\
            TRACK 02 AUDIO\nINDEX 00 00:00:10\nINDEX 01 00:00:12\nINDEX 02 00:00:15\n";
        let size = 10 * 2048 + 20 * 2352 + 100;
        let (disc, storage, warnings) = layout(text, &[size]).unwrap();
        let t: Vec<_> = disc.tracks().collect();
        assert_eq!(
            (t[0].start, t[0].length, t[0].mode),
            (Lba(0), 10, TrackMode::Mode1)
        );
        assert_eq!(t[1].pregap, Gap::stored(2));
        assert_eq!((t[1].start, t[1].length), (Lba(12), 18));
        assert_eq!(
            t[1].indexes,
            vec![Index {
                number: 2,
                lba: Lba(15)
            }]
        );
        assert_eq!(storage[1].first, Lba(10));
        assert_eq!(
            storage[1].extents,
            vec![
                Extent {
                    file: 0,
                    offset: 20480,
                    sectors: 2
                },
                Extent {
                    file: 0,
                    offset: 20480 + 2 * 2352,
                    sectors: 3
                },
                Extent {
                    file: 0,
                    offset: 20480 + 5 * 2352,
                    sectors: 15
                },
            ]
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("100 byte(s)"));
    }

    #[test]
    fn generated_gaps_move_addresses_but_not_bytes() {
        let text = "FILE a.bin BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nPOSTGAP 00:00:05\n\
            FILE b.bin BINARY\nTRACK 02 AUDIO\nPREGAP 00:02:00\nINDEX 01 00:00:00\n";
        let (disc, storage, _) = layout(text, &[2352 * 20, 2352 * 30]).unwrap();
        let t: Vec<_> = disc.tracks().collect();
        assert_eq!(t[0].postgap, Gap::generated(5));
        assert_eq!(t[1].pregap, Gap::generated(150));
        assert_eq!(t[1].start, Lba(20 + 5 + 150));
        assert_eq!(storage[1].first, t[1].start);
        assert_eq!(
            storage[1].extents,
            vec![Extent {
                file: 1,
                offset: 0,
                sectors: 30
            }]
        );
    }

    #[test]
    fn a_data_track_pregap_lands_where_bluescsi_places_it() {
        // BlueSCSI's CUEParser test (its issue 422): PREGAP before a data track's INDEX 01 at
        // 01:06:19 — track start 4969, data start 5119, the data at byte 0xB254B0.
        let text = "FILE \"issue422.bin\" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n  \
            TRACK 02 MODE1/2352\n    PREGAP 00:02:00\n    INDEX 01 01:06:19\n";
        let (disc, storage, _) = layout(text, &[2352 * 5000]).unwrap();
        let t: Vec<_> = disc.tracks().collect();
        assert_eq!((t[1].first_lba(), t[1].start), (Lba(4969), Lba(5119)));
        assert_eq!(storage[1].extents[0].offset, 0xB254B0);
    }

    #[test]
    fn i15_2_redump_gd_rom_areas_place_the_high_density_area_at_45000() {
        let text = "REM SINGLE-DENSITY AREA\nFILE a.bin BINARY\nTRACK 01 MODE1/2352\nINDEX 01 00:00:00\n\
            TRACK 02 AUDIO\nINDEX 00 00:04:00\nINDEX 01 00:06:00\n\
            REM HIGH-DENSITY AREA\nFILE b.bin BINARY\nTRACK 03 MODE1/2352\nINDEX 01 00:00:00\n\
            FILE c.bin BINARY\nTRACK 04 AUDIO\nINDEX 00 00:00:00\nINDEX 01 00:02:00\n";
        let (disc, storage, _) = layout(text, &[2352 * 750, 2352 * 100, 2352 * 200]).unwrap();
        assert!(disc.is_gd_rom());
        let t: Vec<_> = disc.tracks().collect();
        assert_eq!((t[1].start, t[1].pregap), (Lba(450), Gap::stored(150)));
        assert_eq!((t[2].start, t[2].pregap), (Lba(45_000), Gap::NONE));
        assert_eq!(disc.session_of(2), Some(2));
        assert_eq!((t[3].first_lba(), t[3].start), (Lba(45_100), Lba(45_250)));
        assert_eq!(storage[3].extents[0].offset, 0);
        // A single-density area that reaches past LBA 45000 is refused at the track after it.
        let error = layout(text, &[2352 * 45_001, 2352 * 100, 2352 * 200])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("line 10, column 1") && error.contains("past LBA 45000"),
            "{error}"
        );
        // The area marks go in order, once, and not beside REM SESSION.
        let error = |text: &str| layout(text, &[2352 * 10]).unwrap_err().to_string();
        let track = "FILE a.bin BINARY\nTRACK 01 MODE1/2352\nINDEX 01 00:00:00\n";
        assert!(
            error(&format!("{track}REM SINGLE-DENSITY AREA\n")).contains("before the first track")
        );
        assert!(error("REM HIGH-DENSITY AREA\n").contains("must follow"));
        assert!(
            error(&format!("{track}REM HIGH-DENSITY AREA\nREM SESSION 02\n"))
                .contains("REM SESSION in a GD-ROM sheet")
        );
    }

    #[test]
    fn sessions_are_apart_by_lead_out_and_lead_in() {
        let text = "REM SESSION 01\nFILE a.bin BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n\
            REM SESSION 02\nTRACK 02 MODE1/2352\nINDEX 01 00:00:20\n\
            REM SESSION 03\nTRACK 03 MODE1/2352\nINDEX 00 00:00:30\nINDEX 01 00:00:32\n";
        let (disc, storage, _) = layout(text, &[2352 * 40]).unwrap();
        assert_eq!(disc.sessions.len(), 3);
        let t: Vec<_> = disc.tracks().collect();
        assert_eq!(t[1].start, Lba(20 + 11_400));
        assert_eq!(t[1].length, 10);
        // The file holds no lead-out or lead-in: track 2's bytes follow track 1's directly.
        assert_eq!(storage[1].extents[0].offset, 20 * 2352);
        assert_eq!(t[2].start, Lba(20 + 11_400 + 10 + 6_900));
        assert_eq!(t[2].pregap, Gap::stored(2));
        let implied = implied_starts(&[(1, 0, 20, 0), (2, 0, 10, 0), (3, 2, 8, 0)], false).unwrap();
        assert_eq!(implied, vec![t[0].start, t[1].start, t[2].start]);
    }

    #[test]
    fn a_track_may_span_files_and_leading_sectors_are_kept() {
        // EAC-style: track 2's pregap is at the end of the first file.
        let text = "FILE a.bin BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nTRACK 02 AUDIO\nINDEX 00 00:00:08\n\
            FILE b.bin BINARY\nINDEX 01 00:00:00\nTRACK 03 AUDIO\nINDEX 01 00:00:02\nFILE c.bin BINARY\nINDEX 02 00:00:01\n";
        let (disc, storage, warnings) = layout(text, &[2352 * 10, 2352 * 6, 2352 * 3]).unwrap();
        let t: Vec<_> = disc.tracks().collect();
        assert_eq!(
            (t[0].length, t[1].pregap, t[1].length),
            (8, Gap::stored(2), 2)
        );
        assert_eq!(t[1].start, Lba(10));
        assert_eq!(storage[1].extents.len(), 2);
        // Track 3: 4 sectors of b.bin, then 1 leading sector of c.bin, then INDEX 02 for 2 more.
        assert_eq!(t[2].length, 7);
        assert_eq!(
            t[2].indexes,
            vec![Index {
                number: 2,
                lba: Lba(12 + 5)
            }]
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }

    #[test]
    fn refuses_both_gaps_and_short_files() {
        let both = "FILE a.bin BINARY\nTRACK 01 AUDIO\nPREGAP 00:00:02\nINDEX 00 00:00:00\nINDEX 01 00:00:02\n";
        let err = layout(both, &[2352 * 10]).unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains("line 3"), "{err}");
        let past = "FILE a.bin BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nTRACK 02 AUDIO\nINDEX 01 00:00:10\n";
        let err = layout(past, &[2352 * 10]).unwrap_err().to_string();
        assert!(err.contains("line 5, column 10"), "{err}");
        let err = layout(past, &[2352 * 5]).unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("too few"), "{err}");
    }
}
