//! The writing half: plans how a disc becomes BIN/CUE, takes the sectors into one BIN per track
//! (Redump naming, the default) or one BIN for the disc, and writes the sheet last. The sheet is
//! computed from the plan alone, so the same disc always gives the same bytes, and a disc that
//! was split, merged and split again comes back as it was.

use discus_core::output::{self, Destination, Output};
use discus_core::plan::{self, sectors_delivered};
use discus_core::{
    Arrivals, Capabilities, Control, Disc, Error, Form, Msf, Plan, Result, SectorSink,
    SectorSource, Subchannel, Text, Track, TrackMode, WriteOptions,
};

use crate::layout::implied_starts;

/// What BIN/CUE holds: everything but compression. Subchannel only on CDG (audio) tracks.
pub(crate) const CAPABILITIES: Capabilities = Capabilities {
    media: discus_core::Media::CD,
    multi_track: true,
    audio: true,
    sessions: true,
    subchannel: true,
    raw_sectors: true,
    metadata: true,
    compressed: false,
};

/// The cue mode keyword of a track written in `form`, or `None` when a sheet cannot say it.
fn mode_keyword(mode: TrackMode, form: Form) -> Option<&'static str> {
    Some(match (mode, form) {
        (TrackMode::Audio, Form::Raw) => "AUDIO",
        (TrackMode::Audio, Form::RawSub) => "CDG",
        (TrackMode::Mode1, Form::Raw) => "MODE1/2352",
        (TrackMode::Mode1, Form::Cooked) => "MODE1/2048",
        (TrackMode::Mode2 | TrackMode::Mode2Xa, Form::Raw) => "MODE2/2352",
        (TrackMode::Mode2 | TrackMode::Mode2Xa, Form::Mode2) => "MODE2/2336",
        _ => return None,
    })
}

/// Decides how each track is stored. Data and audio go out raw (2352 bytes), because only raw
/// sectors keep everything every source may hold; Mode 1 goes out cooked (MODE1/2048) only when
/// the user asks for 2048-byte sectors. Stored subchannel survives only on audio tracks (CDG);
/// on data tracks the plan reports it as a loss. Stored pregaps are written (INDEX 00),
/// generated ones are described (PREGAP); postgaps are always described (POSTGAP).
pub(crate) fn plan(source: &dyn SectorSource, options: &WriteOptions) -> Result<Plan> {
    let cooked = match options.sector_size {
        None | Some(2352) => false,
        Some(2048) => true,
        Some(other) => {
            return Err(Error::Usage(format!(
                "cue sheets are written with 2352-byte sectors, or 2048 for Mode 1 (not {other})"
            )));
        }
    };
    if source.disc().track_count() == 0 {
        return Err(Error::Usage("the source has no track to write".to_string()));
    }
    let stored_subchannel = source.disc().subchannel == Some(Subchannel::Stored);
    // Redump's GD-ROM sheets keep every pregap in the track's file (INDEX 00 at its start), and
    // chdman reads a GD-ROM sheet only so: a GD-ROM's generated pregaps are written out too.
    let gd_rom = source.disc().is_gd_rom();
    let mut plan = Plan::keep_all(
        source,
        CAPABILITIES,
        |track, stored| match track.mode {
            TrackMode::Audio if stored_subchannel && stored.has_subchannel() => Form::RawSub,
            TrackMode::Mode1 if cooked => Form::Cooked,
            _ => Form::Raw,
        },
        |track| {
            (
                (track.pregap.stored || gd_rom) && track.pregap.sectors > 0,
                false,
            )
        },
    );
    // The data file's first byte is LBA 0 (a track 1 that starts later gets PREGAP).
    plan.notes.extend(plan.disc.begin_at_lba_zero());
    plan.notes.extend(notes(&plan.disc));
    Ok(plan)
}

/// What the sheet will say differently from the source, short of losing sector data.
fn notes(disc: &Disc) -> Vec<String> {
    let mut notes = Vec::new();
    let shape: Vec<(u8, u32, u32, u32)> = disc
        .sessions
        .iter()
        .enumerate()
        .flat_map(|(s, session)| {
            session
                .tracks
                .iter()
                .map(move |t| (s as u8, t.pregap.sectors, t.length, t.postgap.sectors))
        })
        .collect();
    if let Some(implied) = implied_starts(&shape, disc.is_gd_rom())
        && let Some((track, at)) = disc
            .tracks()
            .zip(implied)
            .find(|(track, at)| track.start != *at)
    {
        notes.push(format!(
                "track {} starts at LBA {} in the source; the cue sheet places it at LBA {at} (a sheet holds no space between tracks except their gaps, and sessions {} sectors apart)",
                track.number,
                track.start,
                crate::layout::SECOND_SESSION_GAP
            ));
    }
    if disc.catalog.as_deref().is_some_and(|c| !valid_catalog(c)) {
        notes.push("the catalog number is not 13 digits and is not written".to_string());
    }
    for track in disc.tracks() {
        if track.isrc.as_deref().is_some_and(|c| !valid_isrc(c)) {
            notes.push(format!(
                "track {}: the ISRC is not 12 letters and digits and is not written",
                track.number
            ));
        }
        if kept_indexes(track).count() < track.indexes.len() {
            notes.push(format!(
                "track {}: indexes outside the track or out of order are not written",
                track.number
            ));
        }
    }
    let texts = std::iter::once(&disc.text).chain(disc.tracks().map(|t| &t.text));
    if texts
        .flat_map(|t| [&t.title, &t.performer, &t.songwriter])
        .flatten()
        .any(|v| v.contains(['"', '\r', '\n']))
    {
        notes.push(
            "CD-TEXT with double quotes or line breaks is written with single quotes and spaces"
                .to_string(),
        );
    }
    notes
}

fn valid_catalog(catalog: &str) -> bool {
    catalog.len() == 13 && catalog.bytes().all(|b| b.is_ascii_digit())
}

fn valid_isrc(isrc: &str) -> bool {
    isrc.len() == 12 && isrc.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// INDEX 02 and later that a sheet can hold: inside the track's data, increasing.
fn kept_indexes(track: &Track) -> impl Iterator<Item = &discus_core::Index> {
    let mut last = (1u8, track.start);
    track.indexes.iter().filter(move |index| {
        let fine = index.number > last.0 && index.lba > last.1 && index.lba < track.data_end();
        if fine {
            last = (index.number, index.lba);
        }
        fine
    })
}

/// A field as a sheet can quote it.
fn quoted(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| match c {
            '"' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("\"{clean}\"")
}

fn time(frames: u64) -> Result<String> {
    // Minutes above 255 do not fit what readers (ours included) take.
    u32::try_from(frames)
        .ok()
        .filter(|&f| f < 256 * 60 * 75)
        .map(|f| Msf::from_frames(f).to_string())
        .ok_or_else(|| {
            Error::Usage(format!(
                "a file position of {frames} sectors is too far for a cue sheet"
            ))
        })
}

/// The sheet's lines for the text fields, at `indent`.
fn text_lines(text: &Text, indent: &str, out: &mut Vec<String>) {
    for (keyword, value) in [
        ("TITLE", &text.title),
        ("PERFORMER", &text.performer),
        ("SONGWRITER", &text.songwriter),
    ] {
        if let Some(value) = value {
            out.push(format!("{indent}{keyword} {}", quoted(value)));
        }
    }
}

/// Names of the outputs: one per track, or one for the disc.
struct Names {
    bins: Vec<String>,
    /// For each plan track, which of `bins` it goes to.
    bin_of: Vec<usize>,
}

/// Names of the data files for a sheet called `stem`.cue: Redump's names, one BIN per track
/// (`stem (Track N).bin`, two digits when any track reaches 10) or `stem.bin` for a one-track
/// disc or a single-file sheet.
fn names(stem: &str, disc: &Disc, single: bool) -> Result<Names> {
    output::quotable(stem, "a cue sheet")?;
    if single || disc.track_count() == 1 {
        return Ok(Names {
            bins: vec![format!("{stem}.bin")],
            bin_of: vec![0; disc.track_count()],
        });
    }
    let pad = disc.tracks().any(|t| t.number >= 10);
    let bins = disc
        .tracks()
        .map(|t| {
            if pad {
                format!("{stem} (Track {:02}).bin", t.number)
            } else {
                format!("{stem} (Track {}).bin", t.number)
            }
        })
        .collect();
    Ok(Names {
        bins,
        bin_of: (0..disc.track_count()).collect(),
    })
}

/// The name of the CD-TEXT file beside a sheet called `stem`.cue, when the disc has packs.
fn cd_text_name(stem: &str, disc: &Disc) -> Option<String> {
    disc.cd_text_packs.as_ref().map(|_| format!("{stem}.cdt"))
}

/// The file name of each track's BIN when discus writes `disc` as `stem`.cue, one BIN per track:
/// what `discus verify` names the tracks it hashes.
pub fn bin_names(stem: &str, disc: &Disc) -> Result<Vec<String>> {
    let names = names(stem, disc, false)?;
    Ok(names
        .bin_of
        .iter()
        .map(|&i| names.bins[i].clone())
        .collect())
}

/// The text of the sheet discus writes for `plan` as `stem`.cue (CRLF line endings), without
/// writing anything: what `discus verify` hashes as the image's cue sheet.
pub fn sheet(plan: &Plan, stem: &str, single_file: bool) -> Result<String> {
    let names = names(stem, &plan.disc, single_file)?;
    sheet_text(plan, &names, cd_text_name(stem, &plan.disc).as_deref())
}

/// The sheet for `plan` with the given names, CRLF line endings.
fn sheet_text(plan: &Plan, names: &Names, cd_text: Option<&str>) -> Result<String> {
    let disc = &plan.disc;
    let mut lines = Vec::new();
    if let Some(catalog) = disc.catalog.as_deref().filter(|c| valid_catalog(c)) {
        lines.push(format!("CATALOG {catalog}"));
    }
    if let Some(name) = cd_text {
        lines.push(format!("CDTEXTFILE {}", quoted(name)));
    }
    text_lines(&disc.text, "", &mut lines);
    let multi_session = disc.sessions.len() > 1;
    let mut position = 0u64;
    let mut current_bin = None;
    let mut index = 0usize;
    for (session_number, session) in disc.sessions.iter().enumerate() {
        for (first_of_session, track) in session.tracks.iter().enumerate().map(|(i, t)| (i == 0, t))
        {
            let track_plan = plan.tracks.get(index).ok_or_else(|| {
                Error::Usage("the plan has fewer tracks than its disc".to_string())
            })?;
            let bin = names.bin_of.get(index).copied().unwrap_or(0);
            let keyword = mode_keyword(track.mode, track_plan.form).ok_or_else(|| {
                Error::Usage(format!(
                    "track {}: a cue sheet cannot store {} sectors in {}-byte form",
                    track.number,
                    track.mode.name(),
                    track_plan.form.name()
                ))
            })?;
            if track_plan.postgap && track.postgap.sectors > 0 {
                return Err(Error::Usage(format!(
                    "track {}: a cue sheet cannot store a postgap",
                    track.number
                )));
            }
            if multi_session && first_of_session {
                // A GD-ROM's areas as Redump marks them; its reader places the second at LBA 45000.
                lines.push(match (disc.is_gd_rom(), session_number) {
                    (true, 0) => "REM SINGLE-DENSITY AREA".to_string(),
                    (true, _) => "REM HIGH-DENSITY AREA".to_string(),
                    (false, _) => format!("REM SESSION {:02}", session_number + 1),
                });
            }
            if current_bin != Some(bin) {
                let name = names.bins.get(bin).map_or("", String::as_str);
                lines.push(format!("FILE {} BINARY", quoted(name)));
                current_bin = Some(bin);
                position = 0;
            }
            lines.push(format!("  TRACK {:02} {keyword}", track.number));
            text_lines(&track.text, "    ", &mut lines);
            let flags: Vec<&str> = [
                (Control::COPY_PERMITTED, "DCP"),
                (Control::FOUR_CHANNEL, "4CH"),
                (Control::PRE_EMPHASIS, "PRE"),
            ]
            .into_iter()
            .filter(|(bit, _)| track.control.has(*bit))
            .map(|(_, name)| name)
            .collect();
            if !flags.is_empty() {
                lines.push(format!("    FLAGS {}", flags.join(" ")));
            }
            if let Some(isrc) = track.isrc.as_deref().filter(|c| valid_isrc(c)) {
                lines.push(format!("    ISRC {isrc}"));
            }
            let pregap = u64::from(track.pregap.sectors);
            let first = if track_plan.pregap {
                if pregap > 0 {
                    lines.push(format!("    INDEX 00 {}", time(position)?));
                }
                track.first_lba()
            } else {
                if pregap > 0 {
                    lines.push(format!("    PREGAP {}", time(pregap)?));
                }
                track.start
            };
            let at =
                |lba: discus_core::Lba| time(position + lba.distance_from(first).max(0) as u64);
            lines.push(format!("    INDEX 01 {}", at(track.start)?));
            for mark in kept_indexes(track) {
                lines.push(format!("    INDEX {:02} {}", mark.number, at(mark.lba)?));
            }
            if track.postgap.sectors > 0 {
                lines.push(format!(
                    "    POSTGAP {}",
                    time(u64::from(track.postgap.sectors))?
                ));
            }
            position += sectors_delivered(track_plan, track);
            index += 1;
        }
    }
    let mut text = lines.join("\r\n");
    text.push_str("\r\n");
    Ok(text)
}

/// One plan track's share of the outputs.
/// Takes the sectors into the BINs and writes the sheet in `finish`.
struct CueSink {
    bins: Vec<Output>,
    /// For each plan track, the BIN it goes to.
    bin_of: Vec<usize>,
    arrivals: Arrivals,
    cd_text: Option<(Output, Vec<u8>)>,
    sheet: Output,
    text: String,
    /// With `--ecm`, the rules the `.bin.ecm` outputs are made under.
    ecm: Option<Destination>,
}

/// Creates every output (as temporary files) and the sink that fills them.
pub(crate) fn create(
    destination: &Destination,
    plan: &Plan,
    options: &WriteOptions,
) -> Result<Box<dyn SectorSink>> {
    plan::check(plan, options, &destination.path)?;
    let stem = destination.stem();
    let names = names(&stem, &plan.disc, options.single_file)?;
    let cd_text_name = cd_text_name(&stem, &plan.disc);
    let cd_text_path = cd_text_name
        .as_deref()
        .map(|name| destination.in_folder(name));
    let text = sheet_text(plan, &names, cd_text_name.as_deref())?;
    let bin_paths: Vec<_> = names
        .bins
        .iter()
        .map(|name| destination.in_folder(name))
        .collect();
    // Two outputs with one name would overwrite each other at commit (a sheet named `x.bin`).
    let mut all: Vec<&std::path::Path> = bin_paths.iter().map(|p| p.as_path()).collect();
    all.extend(cd_text_path.as_deref());
    all.push(&destination.path);
    let unique: std::collections::HashSet<_> = all.iter().collect();
    if unique.len() != all.len() {
        return Err(Error::Usage(format!(
            "{}: the sheet would share its name with one of its own files; give it the extension .cue",
            destination.path.display()
        )));
    }
    // Kept as ECM (`--ecm`): the `.ecm` names must be free before anything is written.
    if options.ecm {
        for path in &bin_paths {
            destination.check(&Output::ecm_path(path))?;
        }
    }
    let bins = bin_paths
        .iter()
        .map(|path| destination.create(path))
        .collect::<Result<Vec<_>>>()?;
    let cd_text = match (cd_text_path, &plan.disc.cd_text_packs) {
        (Some(path), Some(packs)) => Some((destination.create(&path)?, packs.clone())),
        _ => None,
    };
    let sheet = destination.create(&destination.path)?;
    Ok(Box::new(CueSink {
        bins,
        bin_of: names.bin_of.clone(),
        arrivals: Arrivals::for_plan(plan),
        cd_text,
        sheet,
        text,
        ecm: options.ecm.then(|| destination.clone()),
    }))
}

impl SectorSink for CueSink {
    fn write(&mut self, track: usize, sectors: &[u8]) -> Result<()> {
        self.arrivals.accept(track, sectors.len())?;
        let bin = self
            .bin_of
            .get(track)
            .copied()
            .ok_or_else(|| Error::Usage(format!("the plan has no track {track}")))?;
        let bin = self
            .bins
            .get_mut(bin)
            .ok_or_else(|| Error::Usage(format!("no output for track {track}")))?;
        bin.put(sectors)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let CueSink {
            bins,
            arrivals,
            cd_text,
            mut sheet,
            text,
            ecm,
            ..
        } = *self;
        arrivals.check_complete()?;
        let mut outputs = match &ecm {
            Some(destination) => bins
                .into_iter()
                .map(|bin| bin.into_ecm(destination))
                .collect::<Result<Vec<_>>>()?,
            None => bins,
        };
        if let Some((mut file, packs)) = cd_text {
            file.put(&packs)?;
            outputs.push(file);
        }
        sheet.put(text.as_bytes())?;
        // The sheet goes last, so no reader ever finds a sheet whose BINs are missing.
        outputs.push(sheet);
        output::commit(outputs)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use discus_core::{Gap, Index, Lba, Session, TrackPlan};

    #[test]
    fn bins_are_named_as_redump_names_them() {
        let track = |n: u8, start: i32| Track::new(n, TrackMode::Audio, Lba(start), 10);
        let one = Disc::single_session(vec![track(1, 0)]);
        assert_eq!(bin_names("G", &one).unwrap(), ["G.bin"]);
        let two = Disc::single_session(vec![track(1, 0), track(2, 10)]);
        assert_eq!(
            bin_names("G", &two).unwrap(),
            ["G (Track 1).bin", "G (Track 2).bin"]
        );
        let ten = Disc::single_session(
            (1..=10)
                .map(|n| track(n, 10 * (i32::from(n) - 1)))
                .collect(),
        );
        let names = bin_names("G", &ten).unwrap();
        assert_eq!(
            (names[0].as_str(), names[9].as_str()),
            ("G (Track 01).bin", "G (Track 10).bin")
        );
    }

    fn plan_of(disc: Disc, forms: &[Form], pregaps: &[bool]) -> Plan {
        let tracks = forms
            .iter()
            .zip(pregaps)
            .enumerate()
            .map(|(source, (&form, &pregap))| TrackPlan {
                source,
                form,
                pregap,
                postgap: false,
            })
            .collect();
        Plan {
            disc,
            tracks,
            losses: Vec::new(),
            notes: Vec::new(),
            raw_sectors: true,
            refused: Vec::new(),
        }
    }

    fn mixed_disc() -> Disc {
        let mut data = Track::new(1, TrackMode::Mode1, Lba(0), 100);
        data.text.title = Some("Data \"1\"".to_string());
        let mut audio = Track::new(2, TrackMode::Audio, Lba(250), 50);
        audio.pregap = Gap::generated(150);
        audio.postgap = Gap::generated(10);
        audio.control = Control(Control::COPY_PERMITTED | Control::PRE_EMPHASIS);
        audio.isrc = Some("USABC1234567".to_string());
        let mut third = Track::new(3, TrackMode::Audio, Lba(335), 40);
        third.pregap = Gap::stored(25);
        third.indexes = vec![Index {
            number: 2,
            lba: Lba(345),
        }];
        let mut disc = Disc::single_session(vec![data, audio, third]);
        disc.catalog = Some("0000012101954".to_string());
        disc.text.performer = Some("P".to_string());
        disc
    }

    #[test]
    fn multi_bin_sheet_text() {
        let plan = plan_of(
            mixed_disc(),
            &[Form::Raw, Form::Raw, Form::Raw],
            &[false, false, true],
        );
        let destination = Destination {
            path: "out/Disc.cue".into(),
            force: false,
            inputs: Vec::new(),
            durable: false,
            run: None,
        };
        let names = names(&destination.stem(), &plan.disc, false).unwrap();
        assert_eq!(names.bins[2], "Disc (Track 3).bin");
        let text = sheet_text(&plan, &names, Some("Disc.cdt")).unwrap();
        let expected = [
            "CATALOG 0000012101954",
            "CDTEXTFILE \"Disc.cdt\"",
            "PERFORMER \"P\"",
            "FILE \"Disc (Track 1).bin\" BINARY",
            "  TRACK 01 MODE1/2352",
            "    TITLE \"Data '1'\"",
            "    INDEX 01 00:00:00",
            "FILE \"Disc (Track 2).bin\" BINARY",
            "  TRACK 02 AUDIO",
            "    FLAGS DCP PRE",
            "    ISRC USABC1234567",
            "    PREGAP 00:02:00",
            "    INDEX 01 00:00:00",
            "    POSTGAP 00:00:10",
            "FILE \"Disc (Track 3).bin\" BINARY",
            "  TRACK 03 AUDIO",
            "    INDEX 00 00:00:00",
            "    INDEX 01 00:00:25",
            "    INDEX 02 00:00:35",
            "",
        ]
        .join("\r\n");
        assert_eq!(text, expected);
        assert!(
            notes(&plan.disc)
                .iter()
                .any(|n| n.contains("single quotes"))
        );
    }

    #[test]
    fn single_bin_sheet_counts_positions_across_tracks() {
        let plan = plan_of(
            mixed_disc(),
            &[Form::Cooked, Form::Raw, Form::Raw],
            &[false, false, true],
        );
        let destination = Destination {
            path: "Disc.cue".into(),
            force: false,
            inputs: Vec::new(),
            durable: false,
            run: None,
        };
        let names = names(&destination.stem(), &plan.disc, true).unwrap();
        let text = sheet_text(&plan, &names, None).unwrap();
        assert!(
            text.contains("FILE \"Disc.bin\" BINARY\r\n  TRACK 01 MODE1/2048"),
            "{text}"
        );
        assert_eq!(text.matches("FILE").count(), 1);
        // Track 2 starts after the 100 sectors of track 1; track 3's INDEX 00 after 50 more.
        assert!(
            text.contains("PREGAP 00:02:00\r\n    INDEX 01 00:01:25\r\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "INDEX 00 00:02:00\r\n    INDEX 01 00:02:25\r\n    INDEX 02 00:02:35\r\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn sessions_and_padding() {
        let mut tracks: Vec<Track> = (1..=10)
            .map(|n| Track::new(n, TrackMode::Audio, Lba(i32::from(n - 1) * 10), 10))
            .collect();
        let second = tracks.split_off(9);
        let disc = Disc {
            sessions: vec![
                Session { number: 1, tracks },
                Session {
                    number: 2,
                    tracks: second,
                },
            ],
            ..Disc::default()
        };
        let plan = plan_of(disc, &[Form::Raw; 10], &[false; 10]);
        let destination = Destination {
            path: "X.cue".into(),
            force: false,
            inputs: Vec::new(),
            durable: false,
            run: None,
        };
        let names = names(&destination.stem(), &plan.disc, false).unwrap();
        assert_eq!(names.bins[0], "X (Track 01).bin");
        let text = sheet_text(&plan, &names, None).unwrap();
        assert!(
            text.starts_with("REM SESSION 01\r\nFILE \"X (Track 01).bin\""),
            "{text}"
        );
        assert!(
            text.contains("REM SESSION 02\r\nFILE \"X (Track 10).bin\" BINARY\r\n  TRACK 10 AUDIO"),
            "{text}"
        );
        // Track 10 sits right after track 9 in the source; the sheet will put it a session gap away.
        assert!(
            notes(&plan.disc)
                .iter()
                .any(|n| n.contains("track 10 starts at LBA 90"))
        );
    }

    #[test]
    fn refuses_forms_a_sheet_cannot_name() {
        let disc = Disc::single_session(vec![Track::new(1, TrackMode::Audio, Lba(0), 1)]);
        let plan = plan_of(disc, &[Form::Cooked], &[false]);
        let destination = Destination {
            path: "X.cue".into(),
            force: false,
            inputs: Vec::new(),
            durable: false,
            run: None,
        };
        let names = names(&destination.stem(), &plan.disc, true).unwrap();
        assert!(sheet_text(&plan, &names, None).is_err());
    }
}
