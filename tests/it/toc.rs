//! cdrdao TOC files (issue 15 item 1): libcdio's `.toc` corpus against `cdrdao show-toc` and
//! `cd-info --toc-file`, round trips TOC ↔ cue ↔ NRG, and what we write read back by cdrdao.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use discus::core::{Form, Location};
use discus::{ConvertOptions, Error, WriteOptions};
use discus_tests::{corpus, peer, run, samples};

fn convert(input: &Path, output: &Path) {
    convert_with(input, output, false);
}

fn convert_with(input: &Path, output: &Path, allow_lossy: bool) {
    let options = ConvertOptions {
        force: true,
        write: WriteOptions {
            allow_lossy,
            ..WriteOptions::default()
        },
        ..ConvertOptions::default()
    };
    discus::convert(input, output, &options)
        .unwrap_or_else(|e| panic!("{} -> {}: {e}", input.display(), output.display()));
}

/// Every track as layout and every sector of it (gaps included) as 2352 bytes: what must survive
/// a round trip.
fn disc_and_sectors(path: &Path) -> (Vec<String>, Vec<u8>) {
    let mut source = discus::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .source;
    let tracks: Vec<_> = source.disc().tracks().cloned().collect();
    let mut layout = Vec::new();
    for track in &tracks {
        layout.push(format!(
            "{} {:?} start {} length {} pregap {:?} postgap {:?} control {:#x} isrc {:?} indexes {:?}",
            track.number,
            track.mode,
            track.start,
            track.length,
            track.pregap,
            track.postgap,
            track.toc_control(),
            track.isrc,
            track.indexes
        ));
    }
    let sectors = discus_core::testing::all_sectors(&mut *source, Form::Raw).concat();
    (layout, sectors)
}

fn assert_same_disc(a: &Path, b: &Path) {
    let (left, right) = (disc_and_sectors(a), disc_and_sectors(b));
    assert_eq!(left.0, right.0, "{} vs {}", a.display(), b.display());
    assert!(
        left.1 == right.1,
        "sectors differ: {} vs {}",
        a.display(),
        b.display()
    );
}

/// Sample images that a TOC holds whole: one session, mixed mode with stored and generated gaps,
/// Mode 2 XA, and an NRG.
fn one_session_samples() -> Vec<PathBuf> {
    vec![
        samples().join("cue/mixed/mixed.cue"),
        samples().join("cue/xa/xa.cue"),
        samples().join("cue/data/data.cue"),
        samples().join("nrg/mixed.nrg"),
    ]
}

#[test]
fn i15_1_round_trips_toc_cue_nrg_keep_layout_and_sectors() {
    let dir = tempfile::tempdir().expect("temp dir");
    for sample in one_session_samples() {
        assert!(sample.is_file(), "{} is missing", sample.display());
        let toc = dir.path().join("a.toc");
        let cue = dir.path().join("b.cue");
        let toc_again = dir.path().join("c.toc");
        let nrg = dir.path().join("d.nrg");
        let toc_from_nrg = dir.path().join("e.toc");
        convert(&sample, &toc);
        assert_same_disc(&sample, &toc);
        convert(&toc, &cue);
        assert_same_disc(&toc, &cue);
        convert(&cue, &toc_again);
        assert_same_disc(&cue, &toc_again);
        let text = |p: &Path, bin: &str| {
            std::fs::read_to_string(p)
                .expect("read toc")
                .replace(bin, "X.bin")
        };
        // A TOC written from a TOC is the same text (the cue in between may change the forms).
        let copy = dir.path().join("g.toc");
        convert(&toc, &copy);
        assert_eq!(text(&toc, "a.bin"), text(&copy, "g.bin"));
        // NRG stores every pregap and refuses INDEX 02 as a loss, so TOC → NRG keeps the sectors
        // (a generated pregap arrives as the zeros it stands for); NRG → TOC → NRG keeps
        // everything.
        convert_with(&toc, &nrg, true);
        assert!(
            disc_and_sectors(&toc).1 == disc_and_sectors(&nrg).1,
            "sectors differ: {} vs NRG",
            sample.display()
        );
        convert(&nrg, &toc_from_nrg);
        assert_same_disc(&nrg, &toc_from_nrg);
        let nrg_again = dir.path().join("f.nrg");
        convert(&toc_from_nrg, &nrg_again);
        assert_same_disc(&nrg, &nrg_again);
    }
}

/// A track as `cdrdao show-toc` lists it: number, copy permitted, pregap, start and end in sectors.
type Row = (u32, bool, u32, u32, u32);

/// The tracks `cdrdao show-toc` lists, or `None` when it refuses the TOC.
fn show_toc(cdrdao: &Path, toc: &Path) -> Option<Vec<Row>> {
    let output = run(
        cdrdao,
        &[OsStr::new("show-toc"), toc.as_os_str()],
        toc.parent().expect("folder"),
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    if !output.status.success() || text.contains("ERROR") {
        return None;
    }
    // "START  00:00:64(    64)": the sector count is in the parentheses.
    let sectors = |line: &str| -> u32 {
        line.rsplit('(')
            .next()
            .and_then(|s| s.trim_end_matches(')').trim().parse().ok())
            .unwrap_or_else(|| panic!("show-toc line {line}"))
    };
    let mut rows = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("TRACK ") {
            let mut words = rest.split_whitespace();
            let number = words.next().and_then(|n| n.parse().ok()).expect("number");
            rows.push((number, false, 0, 0, 0));
        } else if let Some(row) = rows.last_mut() {
            if line == "COPY PERMITTED" {
                row.1 = true;
            } else if line.starts_with("PREGAP ") {
                row.2 = sectors(line);
            } else if line.starts_with("START ") {
                row.3 = sectors(line);
            } else if line.starts_with("END ") {
                row.4 = sectors(line);
            }
        }
    }
    Some(rows)
}

/// Our reading of a TOC in the terms of `show-toc`.
fn our_rows(toc: &Path) -> Vec<Row> {
    let opened = discus::open(toc).unwrap_or_else(|e| panic!("{}: {e}", toc.display()));
    opened
        .source
        .disc()
        .tracks()
        .map(|t| {
            (
                u32::from(t.number),
                t.control.has(discus::core::Control::COPY_PERMITTED),
                t.pregap.sectors,
                t.start.0 as u32,
                t.end_lba().0 as u32,
            )
        })
        .collect()
}

#[test]
fn i15_1_cdrdao_reads_the_tocs_we_write_as_we_do() {
    let Some(cdrdao) = peer("cdrdao") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    for sample in one_session_samples() {
        let toc = dir.path().join("w.toc");
        convert(&sample, &toc);
        let theirs = show_toc(&cdrdao, &toc)
            .unwrap_or_else(|| panic!("cdrdao refuses the TOC written from {}", sample.display()));
        assert_eq!(theirs, our_rows(&toc), "{}", sample.display());
        // read-test reads every block from the data file as a burn would. `--force` passes over
        // cdrdao's warning that the samples' tracks are shorter than the 4 seconds a CD needs.
        let read = run(
            &cdrdao,
            &[
                OsStr::new("read-test"),
                OsStr::new("--force"),
                toc.as_os_str(),
            ],
            dir.path(),
        );
        let said = String::from_utf8_lossy(&read.stderr).into_owned()
            + &String::from_utf8_lossy(&read.stdout);
        let lead_out = our_rows(&toc).last().map_or(0, |r| r.4);
        assert!(
            said.contains(&format!("Read {lead_out} blocks")),
            "{}: {said}",
            sample.display()
        );
    }
}

/// A track as `cd-info --toc-file` lists it: number, LSN, kind (`audio`, `data`, `XA`), copy.
type CdInfoRow = (u32, i64, String, bool);

/// The tracks and the lead-out LSN `cd-info --toc-file` lists, or `None` when it refuses the TOC.
fn cd_info(tool: &Path, toc: &Path) -> Option<(Vec<CdInfoRow>, i64)> {
    let output = run(
        tool,
        &[
            OsStr::new("--no-header"),
            OsStr::new("--no-device-info"),
            OsStr::new("--no-analyze"),
            OsStr::new("--toc-file"),
            toc.as_os_str(),
        ],
        toc.parent().expect("folder"),
    );
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || !text.contains("Track List") {
        return None;
    }
    let mut rows = Vec::new();
    let mut lead_out = None;
    for line in text.lines() {
        let Some((number, rest)) = line.trim().split_once(':') else {
            continue;
        };
        let Ok(number) = number.trim().parse::<u32>() else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.len() < 3 {
            continue;
        }
        // libcdio prints negative LSNs as unsigned 64-bit numbers.
        let lsn = fields[1]
            .parse::<u64>()
            .map(|n| n as i64)
            .unwrap_or(i64::MIN);
        if fields[2] == "leadout" {
            lead_out = Some(lsn);
        } else if fields.len() >= 5 {
            rows.push((number, lsn, fields[2].to_string(), fields[4] == "yes"));
        }
    }
    Some((rows, lead_out?))
}

#[test]
fn i15_1_libcdio_corpus_tocs_agree_with_cdrdao_and_cd_info() {
    let Some(dir) = corpus("libcdio") else {
        return;
    };
    let cdrdao = peer("cdrdao");
    let cd_info_tool = peer("cd-info");
    let mut tocs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toc"))
        .collect();
    tocs.sort();
    assert!(tocs.len() >= 20, "the corpus has {} TOC files", tocs.len());
    let mut agreed_with_cd_info = 0;
    for toc in &tocs {
        let name = toc.file_name().and_then(OsStr::to_str).unwrap_or_default();
        let ours = discus::open(toc);
        if name.starts_with("bad-") {
            match ours {
                Err(Error::Invalid {
                    at: Location::Line { .. },
                    ..
                }) => continue,
                Err(other) => panic!("{name}: refused without line and column: {other}"),
                Ok(_) => panic!("{name}: a bad TOC was read"),
            }
        }
        if let Some(cdrdao) = &cdrdao {
            match show_toc(cdrdao, toc) {
                // Where cdrdao reads a TOC, we read it the same way.
                Some(theirs) => {
                    assert_eq!(theirs, our_rows(toc), "{name}");
                }
                // cdrdao refuses FILE in data tracks (data2, isofs-m1, data6) and SILENCE there
                // (data1), which cd-info and discus read; what it refuses for data past the end of
                // a file, discus refuses too.
                None => {
                    if let Err(error) = &ours {
                        let said = error.to_string();
                        assert!(
                            said.contains("past the end") || said.contains("not found"),
                            "{name}: {said}"
                        );
                    }
                }
            }
        }
        let Some(tool) = &cd_info_tool else { continue };
        let Some((rows, lead_out)) = cd_info(tool, toc) else {
            continue;
        };
        let opened = match ours {
            Ok(opened) => opened,
            // cd-info lists tracks whose data lies past the end of their file (t2–t10, data7:
            // FILE "cdda.bin" 1:0:0 on a 302-sector file; data5's second track) without reading
            // them; cdrdao and discus refuse those.
            Err(error) => {
                let said = error.to_string();
                assert!(
                    said.contains("past the end"),
                    "{name}: cd-info reads it, we say {said}"
                );
                continue;
            }
        };
        let disc = opened.source.disc();
        assert_eq!(rows.len(), disc.track_count(), "{name}: track count");
        for (row, track) in rows.iter().zip(disc.tracks()) {
            assert_eq!(row.0, u32::from(track.number), "{name}");
            assert_eq!(row.2 == "audio", !track.mode.is_data(), "{name}: kind");
            assert_eq!(
                row.3,
                track.control.has(discus::core::Control::COPY_PERMITTED),
                "{name}: copy"
            );
        }
        // cd-info places tracks at their file offsets and ignores SILENCE, ZERO and PREGAP
        // lengths, so its addresses mean something only for a TOC that is one file from its
        // first byte: there they must be ours.
        let one_file_from_start = std::fs::read_to_string(toc)
            .map(|t| t.contains("00:00:00") && !t.contains("SILENCE") && !t.contains('#'))
            .unwrap_or(false);
        if rows.len() == 1 && one_file_from_start {
            assert_eq!(
                rows[0].1,
                i64::from(disc.tracks().next().map_or(0, |t| t.start.0)),
                "{name}"
            );
            assert_eq!(
                Some(discus::core::Lba(lead_out as i32)),
                disc.lead_out(),
                "{name}: lead-out"
            );
            agreed_with_cd_info += 1;
        }
    }
    assert!(
        agreed_with_cd_info >= 2 || cd_info_tool.is_none(),
        "only {agreed_with_cd_info} TOCs compared by address"
    );
}

#[test]
fn i15_1_a_toc_is_never_read_as_a_cue_sheet() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Reads as a cue sheet's grammar would not: TRACK without a number, FILE with a time.
    let toc = dir.path().join("x.toc");
    std::fs::write(&toc, "TRACK AUDIO\nFILE \"missing.bin\" 0\n").expect("write");
    let said = discus::open(&toc)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        said.contains("line 2, column 1: FILE 'missing.bin' not found"),
        "{said}"
    );
    assert_eq!(discus::probe(&toc).map(|f| f.name).ok(), Some("toc"));
    // The same text under another name is still a TOC.
    let renamed = dir.path().join("x.txt");
    std::fs::copy(&toc, &renamed).expect("copy");
    assert_eq!(discus::probe(&renamed).map(|f| f.name).ok(), Some("toc"));
}

#[test]
fn i15_1_a_pregap_before_lba_0_is_cut_and_the_tracks_stay() {
    let Some(dir) = corpus("libcdio") else {
        return;
    };
    // p1.nrg stores track 1's pregap from LBA -150; a TOC begins at LBA 0, as cdrdao does.
    let nrg = dir.join("p1.nrg");
    let out = tempfile::tempdir().expect("temp dir");
    let toc = out.path().join("p1.toc");
    convert(&nrg, &toc);
    let starts = |p: &Path| -> Vec<(u8, i32, u32)> {
        discus::open(p)
            .expect("open")
            .source
            .disc()
            .tracks()
            .map(|t| (t.number, t.start.0, t.length))
            .collect()
    };
    assert_eq!(starts(&toc), starts(&nrg));
    if let Some(cdrdao) = peer("cdrdao") {
        let rows = show_toc(&cdrdao, &toc).expect("cdrdao reads the TOC");
        assert_eq!(rows, our_rows(&toc));
    }
}

#[test]
fn i15_1_a_toc_naming_a_wave_file_reads_its_samples_as_the_cue_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wave = samples().join("cue/wave");
    for name in ["wave-data.bin", "wave.wav"] {
        std::fs::copy(wave.join(name), dir.path().join(name)).expect("copy");
    }
    // The same disc as the cue sample: the WAVE file's header is not sound; the offset counts
    // from its samples (the second FILE starts 10 sectors in, then takes the rest).
    let toc = dir.path().join("wave.toc");
    std::fs::write(
        &toc,
        "CD_ROM\nTRACK MODE1_RAW\nDATAFILE \"wave-data.bin\"\n\
         TRACK AUDIO\nPREGAP 0:2:0\nFILE \"wave.wav\" 0 0:0:10\nFILE \"wave.wav\" 0:0:10\n",
    )
    .expect("write");
    let comparison = discus::compare(
        &toc,
        &wave.join("wave.cue"),
        &discus::CompareOptions::default(),
    )
    .expect("compare");
    assert!(comparison.identical(), "{comparison:?}");
    if let Some(cdrdao) = peer("cdrdao") {
        let theirs = show_toc(&cdrdao, &toc).expect("cdrdao reads the TOC");
        assert_eq!(theirs, our_rows(&toc));
    }
    // A `.wav` that is not CD audio is refused as the cue reader refuses it.
    let mut mono = std::fs::read(wave.join("wave.wav")).expect("wav");
    mono[22] = 1;
    std::fs::write(dir.path().join("wave.wav"), mono).expect("write");
    let said = discus::open(&toc)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(said.contains("1 channel(s)"), "{said}");
}

/// Every sector of every track (gaps included) of `path` in `form`, back to back.
fn sectors_in(path: &Path, form: Form) -> Vec<u8> {
    let mut source = discus::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .source;
    discus_core::testing::all_sectors(&mut *source, form).concat()
}

/// Sync and the BCD header of the sector at `lba` with `mode`: the first 16 bytes cdrdao's
/// encoder writes (`set_sync_pattern`, `set_sector_header` of its lec.cc).
fn header(lba: i32, mode: u8) -> Vec<u8> {
    let bcd = |n: i32| (((n / 10) << 4) | (n % 10)) as u8;
    let at = lba + 150;
    let mut out = vec![0u8];
    out.extend([0xFF; 10]);
    out.push(0);
    out.extend([bcd(at / 4500), bcd(at / 75 % 60), bcd(at % 75), mode]);
    out
}

/// `cd-info --toc-file` agrees with `discus info` on the tracks of `toc`: count, kind, copy, and
/// (for a TOC of one file read from its first byte) start and lead-out.
fn assert_cd_info_agrees(toc: &Path, by_address: bool) {
    let Some(tool) = peer("cd-info") else {
        return;
    };
    let (rows, lead_out) =
        cd_info(&tool, toc).unwrap_or_else(|| panic!("cd-info refuses {}", toc.display()));
    let opened = discus::open(toc).expect("open");
    let disc = opened.source.disc();
    assert_eq!(rows.len(), disc.track_count());
    for (row, track) in rows.iter().zip(disc.tracks()) {
        let kind = match track.mode {
            discus::core::TrackMode::Audio => "audio",
            discus::core::TrackMode::Mode2Xa => "XA",
            _ => "data",
        };
        assert_eq!(row.2, kind, "{}", toc.display());
        if by_address {
            assert_eq!(row.1, i64::from(track.start.0), "{}", toc.display());
        }
    }
    if by_address {
        assert_eq!(Some(discus::core::Lba(lead_out as i32)), disc.lead_out());
    }
}

/// `cdrdao show-toc` accepts `toc` and lists the tracks as we read them; `read-test` reads every
/// block of its data files.
fn assert_cdrdao_agrees(toc: &Path) {
    let Some(cdrdao) = peer("cdrdao") else {
        return;
    };
    let theirs =
        show_toc(&cdrdao, toc).unwrap_or_else(|| panic!("cdrdao refuses {}", toc.display()));
    assert_eq!(theirs, our_rows(toc), "{}", toc.display());
    let read = run(
        &cdrdao,
        &[
            OsStr::new("read-test"),
            OsStr::new("--force"),
            toc.as_os_str(),
        ],
        toc.parent().expect("folder"),
    );
    let said =
        String::from_utf8_lossy(&read.stderr).into_owned() + &String::from_utf8_lossy(&read.stdout);
    let lead_out = our_rows(toc).last().map_or(0, |r| r.4);
    assert!(
        said.contains(&format!("Read {lead_out} blocks")),
        "{}: {said}",
        toc.display()
    );
}

/// Converts `toc` to a cue sheet and back to a TOC; both read the same layout and sectors (as
/// `form`, so a stored subchannel is compared too).
fn assert_round_trips(toc: &Path, form: Form) {
    let dir = toc.parent().expect("folder");
    let (cue, again) = (dir.join("via.cue"), dir.join("again.toc"));
    convert(toc, &cue);
    convert(&cue, &again);
    assert_same_disc(toc, &cue);
    assert_same_disc(toc, &again);
    assert!(sectors_in(toc, form) == sectors_in(&cue, form), "cue");
    assert!(sectors_in(toc, form) == sectors_in(&again, form), "TOC");
}

#[test]
fn i15_1_mode2_form2_tracks_read_as_cdrdao_burns_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let count = 300usize;
    let user: Vec<u8> = (0..2324 * count).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(dir.path().join("f2.bin"), &user).expect("write");
    // cdrdao takes DATAFILE in a data track; libcdio reads FILE with a start there (and crashes
    // on this DATAFILE). Both are the same disc to discus.
    let cdrdao_toc = dir.path().join("f2.toc");
    std::fs::write(
        &cdrdao_toc,
        "CD_ROM_XA\n\nTRACK MODE2_FORM2\nDATAFILE \"f2.bin\" 00:04:00\n",
    )
    .expect("write");
    let libcdio_toc = dir.path().join("f2-file.toc");
    std::fs::write(
        &libcdio_toc,
        "CD_ROM_XA\n\nTRACK MODE2_FORM2\nFILE \"f2.bin\" 00:00:00 00:04:00\n",
    )
    .expect("write");
    let raw = sectors_in(&cdrdao_toc, Form::Raw);
    assert_eq!(raw.len(), count * 2352);
    // What cdrdao's TrackReader::readBlock and lec_encode_mode2_form2_sector make of each block:
    // sync, header, subheader 00 00 20 00 twice, the data, the EDC over subheader and data.
    for (i, sector) in raw.chunks_exact(2352).enumerate() {
        let mut expected = header(i as i32, 2);
        expected.extend([0, 0, 0x20, 0, 0, 0, 0x20, 0]);
        expected.extend_from_slice(&user[i * 2324..(i + 1) * 2324]);
        let edc = discus_core::sector::edc::compute(&expected[16..2348]);
        expected.extend(edc.to_le_bytes());
        assert!(sector == &expected[..], "sector {i}");
    }
    assert!(raw == sectors_in(&libcdio_toc, Form::Raw));
    assert_cdrdao_agrees(&cdrdao_toc);
    assert_cd_info_agrees(&libcdio_toc, true);
    assert_round_trips(&cdrdao_toc, Form::Raw);
}

#[test]
fn i15_1_zero_mode0_sectors_read_as_cdrdao_burns_them_and_a_mode0_track_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let count = 300usize;
    let user: Vec<u8> = (0..2048 * count).map(|i| (i * 3) as u8).collect();
    std::fs::write(dir.path().join("m1.iso"), &user).expect("write");
    let toc = dir.path().join("m0.toc");
    std::fs::write(
        &toc,
        "CD_ROM\n\nTRACK MODE1\nZERO MODE0 00:00:10\nSTART\nDATAFILE \"m1.iso\" 00:04:00\nZERO MODE0 00:00:05\n",
    )
    .expect("write");
    let opened = discus::open(&toc).expect("open");
    let track = opened
        .source
        .disc()
        .tracks()
        .next()
        .cloned()
        .expect("track");
    // The Mode 0 sectors are not what a generated gap holds, so the TOC stores them.
    assert_eq!((track.pregap.sectors, track.pregap.stored), (10, true));
    assert_eq!(
        (track.start.0, track.length, track.postgap.sectors),
        (10, 305, 0)
    );
    let raw = sectors_in(&toc, Form::Raw);
    // lec_encode_mode0_sector: sync, header with mode 0, 2336 zeros.
    let mode0 = |lba: i32| {
        let mut sector = header(lba, 0);
        sector.resize(2352, 0);
        sector
    };
    for (i, sector) in raw.chunks_exact(2352).enumerate() {
        let lba = i as i32;
        let expected = match i {
            0..10 => mode0(lba),
            10..310 => {
                let mut sector = [0u8; 2352];
                discus_core::sector::encode_mode1(
                    discus::core::Lba(lba),
                    &user[(i - 10) * 2048..(i - 9) * 2048],
                    &mut sector,
                );
                sector.to_vec()
            }
            _ => mode0(lba),
        };
        assert!(sector == &expected[..], "sector {i}");
    }
    assert_cdrdao_agrees(&toc);
    assert_round_trips(&toc, Form::Raw);
    // Data lengths in bytes (cdrdao's `dataLength`: bytes of the statement's own sectors, 2336
    // for Mode 0, 2048 for MODE1) are the same disc.
    let in_bytes = dir.path().join("m0-bytes.toc");
    std::fs::write(
        &in_bytes,
        "CD_ROM\n\nTRACK MODE1\nZERO MODE0 23360\nSTART\nDATAFILE \"m1.iso\" 614400\nZERO MODE0 11680\n",
    )
    .expect("write");
    assert!(raw == sectors_in(&in_bytes, Form::Raw));
    assert_cdrdao_agrees(&in_bytes);
    // cdrdao's grammar has no MODE0 track (its `trackMode` rule), and libcdio refuses it too.
    let track_mode0 = dir.path().join("track-mode0.toc");
    std::fs::write(&track_mode0, "CD_ROM\nTRACK MODE0\nZERO 00:00:10\n").expect("write");
    match discus::open(&track_mode0) {
        Err(Error::Invalid {
            at: Location::Line { line: 2, column: 7 },
            message,
            ..
        }) => assert!(message.contains("MODE0"), "{message}"),
        other => panic!("TRACK MODE0: {:?}", other.err()),
    }
    if let Some(cdrdao) = peer("cdrdao") {
        assert!(show_toc(&cdrdao, &track_mode0).is_none());
    }
}

#[test]
fn i15_1_packed_rw_subchannel_reads_interleaved_with_p_and_q_made_from_the_layout() {
    use discus_core::sector::subchannel::{Generator, rw_pack_parity, rw_raw_to_packed};
    let dir = tempfile::tempdir().expect("temp dir");
    let count = 300usize;
    // Audio and packed R–W: four 24-symbol packs a sector, one symbol a byte, parity slots empty.
    let mut packed = vec![0u8; 96 * count];
    for (i, pack) in packed.chunks_exact_mut(24).enumerate() {
        pack[0] = 0x09; // mode 1 item 1, as CD+G packs are
        pack[1] = (i % 64) as u8;
        for (j, symbol) in pack[4..20].iter_mut().enumerate() {
            *symbol = ((i * 5 + j * 11) % 64) as u8;
        }
    }
    let mut file = Vec::new();
    for (i, sub) in packed.chunks_exact(96).enumerate() {
        file.extend((0..2352).map(|b| (b + i) as u8));
        file.extend_from_slice(sub);
    }
    std::fs::write(dir.path().join("rw.bin"), &file).expect("write");
    let toc = dir.path().join("rw.toc");
    // cdrdao takes only DATAFILE in a track with subchannel.
    std::fs::write(
        &toc,
        "CD_DA\n\nTRACK AUDIO RW\nDATAFILE \"rw.bin\" 00:04:00\n",
    )
    .expect("write");
    let opened = discus::open(&toc).expect("open");
    assert_eq!(
        opened.source.disc().subchannel,
        Some(discus::core::Subchannel::Stored)
    );
    let track = opened
        .source
        .disc()
        .tracks()
        .next()
        .cloned()
        .expect("track");
    let read = sectors_in(&toc, Form::RawSub);
    let generator = Generator::new(&track);
    let mut raw_rw = Vec::new();
    for (i, sector) in read.chunks_exact(2448).enumerate() {
        assert!(
            sector[..2352] == file[i * 2448..i * 2448 + 2352],
            "main {i}"
        );
        // P and Q are the layout's, as cdrdao makes them when it writes (GenericMMCraw keeps only
        // the low six bits of the file's bytes).
        let mut pq = [0u8; 96];
        generator.write(discus::core::Lba(i as i32), &mut pq);
        let sub = &sector[2352..];
        assert!(
            sub.iter().zip(pq).all(|(&s, p)| s & 0xC0 == p & 0xC0),
            "P/Q {i}"
        );
        raw_rw.extend(sub.iter().map(|s| s & 0x3F));
    }
    // By hand: the mode symbol (0x09) of the first pack has delay 0, so it is byte 0 of sector
    // 0; its data symbol 4 has delay 4, so it lands in the fifth pack: sector 1, byte 4; the
    // instruction symbol goes to position 18 and two packs later.
    assert_eq!(raw_rw[0], 0x09);
    assert_eq!(raw_rw[96 + 4], packed[4]);
    assert_eq!(raw_rw[2 * 24 + 18], packed[1]);
    // De-interleaved, the disc's R–W are the file's packs with their parity filled in.
    let mut back = vec![0u8; 96 * (count - 2)];
    rw_raw_to_packed(&raw_rw, &mut back);
    let mut expected = packed[..96 * (count - 2)].to_vec();
    for pack in expected.chunks_exact_mut(24) {
        rw_pack_parity(pack);
    }
    assert!(back == expected);
    assert_cdrdao_agrees(&toc);
    assert_cd_info_agrees(&toc, false);
    // Out as RW_RAW (TOC) and as a CD+G cue sheet, back with every byte of the subchannel.
    let again = dir.path().join("again.toc");
    convert(&toc, &again);
    let written = std::fs::read_to_string(&again).expect("toc");
    assert!(written.contains("TRACK AUDIO RW_RAW"), "{written}");
    assert!(read == sectors_in(&again, Form::RawSub));
    assert_round_trips(&toc, Form::RawSub);
}

#[test]
fn i15_1_cooked_tracks_with_subchannel_read_raw_with_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let count = 300usize;
    let mut file = Vec::new();
    for i in 0..count {
        file.extend((0..2048).map(|b| (b * 3 + i) as u8));
        file.extend((0..96).map(|b| (b + i) as u8));
    }
    std::fs::write(dir.path().join("m1.bin"), &file).expect("write");
    let toc = dir.path().join("m1.toc");
    std::fs::write(
        &toc,
        "CD_ROM\n\nTRACK MODE1 RW_RAW\nDATAFILE \"m1.bin\" 00:04:00\n",
    )
    .expect("write");
    let read = sectors_in(&toc, Form::RawSub);
    for (i, sector) in read.chunks_exact(2448).enumerate() {
        let record = &file[i * 2144..(i + 1) * 2144];
        let mut raw = [0u8; 2352];
        discus_core::sector::encode_mode1(discus::core::Lba(i as i32), &record[..2048], &mut raw);
        assert!(sector[..2352] == raw[..], "main {i}");
        assert!(sector[2352..] == record[2048..], "subchannel {i}");
    }
    assert_cdrdao_agrees(&toc);
    assert_cd_info_agrees(&toc, false);
    let again = dir.path().join("again.toc");
    convert(&toc, &again);
    assert!(read == sectors_in(&again, Form::RawSub));
}

#[test]
fn i15_1_a_truncated_subchannel_file_is_refused_at_its_line_and_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Two whole sectors, then a third whose packed subchannel is cut after 48 bytes.
    std::fs::write(dir.path().join("rw.bin"), vec![0u8; 2 * 2448 + 2352 + 48]).expect("write");
    let toc = dir.path().join("rw.toc");
    std::fs::write(&toc, "CD_DA\n\nTRACK AUDIO RW\nDATAFILE \"rw.bin\"\n").expect("write");
    match discus::open(&toc) {
        Err(Error::Invalid {
            at: Location::Line { line: 4, column: 1 },
            message,
            ..
        }) => assert!(message.contains("at byte 4896"), "{message}"),
        other => panic!("truncated: {:?}", other.err()),
    }
}
