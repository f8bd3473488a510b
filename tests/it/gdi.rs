//! Dreamcast GDI sheets (issue 15 item 2): synthetic GD-ROMs of 3 and 5 tracks made here, read as
//! two areas, written again, and MAME's `chdman` (0.251 and 0.289) agreeing: a CHD made from the
//! GDI discus writes and extracted again reads as the same disc, sector for sector.

use std::ffi::OsStr;
use std::path::Path;

use discus::core::sector::encode_mode1;
use discus::core::{Check, Form, Lba, read_sectors};
use discus_tests::{peer, run};

/// Writes a GD-ROM to `dir/disc.gdi`: each entry is (LBA, data?, sectors). Data tracks hold raw
/// Mode 1 sectors addressed at their LBAs, audio tracks a byte pattern.
fn make(dir: &Path, tracks: &[(i32, bool, u32)]) {
    let mut sheet = format!("{}\r\n", tracks.len());
    for (i, &(lba, data, sectors)) in tracks.iter().enumerate() {
        let number = i + 1;
        let name = if data {
            format!("track{number:02}.bin")
        } else {
            format!("track{number:02}.raw")
        };
        let mut bytes = Vec::with_capacity(sectors as usize * 2352);
        let mut sector = [0u8; 2352];
        for s in 0..sectors {
            if data {
                let user: Vec<u8> = (0..2048u32)
                    .map(|b| (b * 13 + s + number as u32) as u8)
                    .collect();
                encode_mode1(Lba(lba + s as i32), &user, &mut sector);
            } else {
                for (b, byte) in sector.iter_mut().enumerate() {
                    *byte = (b as u32 * 7 + s * 3 + number as u32) as u8;
                }
            }
            bytes.extend_from_slice(&sector);
        }
        std::fs::write(dir.join(&name), bytes).expect("write track");
        sheet.push_str(&format!(
            "{number} {lba} {} 2352 {name} 0\r\n",
            if data { 4 } else { 0 }
        ));
    }
    std::fs::write(dir.join("disc.gdi"), sheet).expect("write sheet");
}

/// A track as compared here: session, number, start, length, pregap.
type Row = (u8, u8, i32, u32, u32);

/// The tracks and every stored sector of an image.
fn read_all(path: &Path) -> (Vec<Row>, Vec<u8>) {
    let mut source = discus::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .source;
    let disc = source.disc().clone();
    let mut layout = Vec::new();
    let mut sectors = Vec::new();
    for (index, track) in disc.tracks().enumerate() {
        layout.push((
            disc.session_of(index).unwrap_or(0),
            track.number,
            track.start.0,
            track.length,
            track.pregap.sectors,
        ));
        let mut out = vec![0u8; track.length as usize * 2352];
        read_sectors(
            &mut *source,
            index,
            track.start,
            track.length as usize,
            Form::Raw,
            &mut out,
            &mut Vec::new(),
            &mut Check::default(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        sectors.extend(out);
    }
    (layout, sectors)
}

const THREE: &[(i32, bool, u32)] = &[(0, true, 300), (450, false, 300), (45000, true, 500)];
const FIVE: &[(i32, bool, u32)] = &[
    (0, true, 300),
    (450, false, 300),
    (45000, true, 200),
    (45350, false, 120),
    (45620, true, 200),
];

#[test]
fn i15_2_a_gd_rom_reads_as_two_areas_with_generated_gaps() {
    let dir = tempfile::tempdir().expect("temp dir");
    make(dir.path(), FIVE);
    let (layout, sectors) = read_all(&dir.path().join("disc.gdi"));
    assert_eq!(
        layout,
        [
            (1, 1, 0, 300, 0),
            (1, 2, 450, 300, 150),
            (2, 3, 45000, 200, 0),
            (2, 4, 45350, 120, 150),
            (2, 5, 45620, 200, 150),
        ]
    );
    let mut files = Vec::new();
    for name in [
        "track01.bin",
        "track02.raw",
        "track03.bin",
        "track04.raw",
        "track05.bin",
    ] {
        files.extend(std::fs::read(dir.path().join(name)).expect("read"));
    }
    assert!(sectors == files);
    // The data tracks' headers name the LBAs the sheet gives: converting to cooked sectors
    // (which checks them) goes through.
    let iso = dir.path().join("area1.iso");
    let options = discus::ConvertOptions {
        write: discus::WriteOptions {
            allow_lossy: true,
            ..discus::WriteOptions::default()
        },
        ..discus::ConvertOptions::default()
    };
    discus::convert(&dir.path().join("disc.gdi"), &iso, &options).expect("GDI to ISO");
    assert_eq!(std::fs::metadata(&iso).expect("iso").len(), 300 * 2048);
}

#[test]
fn i15_2_chdman_reads_our_gd_roms_as_we_do() {
    for tool in ["chdman", "chdman-0.289"] {
        let Some(chdman) = peer(tool) else {
            continue;
        };
        for tracks in [THREE, FIVE] {
            let dir = tempfile::tempdir().expect("temp dir");
            make(dir.path(), tracks);
            // chdman reads the sheet discus writes (from the hand-made one) as discus reads it.
            discus::convert(
                &dir.path().join("disc.gdi"),
                &dir.path().join("ours.gdi"),
                &discus::ConvertOptions::default(),
            )
            .expect("write a GDI");
            assert_eq!(
                read_all(&dir.path().join("ours.gdi")),
                read_all(&dir.path().join("disc.gdi"))
            );
            std::fs::copy(dir.path().join("ours.gdi"), dir.path().join("disc.gdi")).expect("copy");
            let made = run(
                &chdman,
                &[
                    OsStr::new("createcd"),
                    OsStr::new("-i"),
                    OsStr::new("disc.gdi"),
                    OsStr::new("-o"),
                    OsStr::new("d.chd"),
                ],
                dir.path(),
            );
            assert!(
                made.status.success(),
                "{tool} createcd: {}",
                String::from_utf8_lossy(&made.stderr)
            );
            let back = run(
                &chdman,
                &[
                    OsStr::new("extractcd"),
                    OsStr::new("-i"),
                    OsStr::new("d.chd"),
                    OsStr::new("-o"),
                    OsStr::new("back.gdi"),
                ],
                dir.path(),
            );
            assert!(
                back.status.success(),
                "{tool} extractcd: {}",
                String::from_utf8_lossy(&back.stderr)
            );
            assert_eq!(
                read_all(&dir.path().join("back.gdi")),
                read_all(&dir.path().join("disc.gdi")),
                "{tool}, {} tracks",
                tracks.len()
            );
        }
    }
}

#[test]
fn i15_2_bad_sheets_name_their_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    make(dir.path(), THREE);
    let gdi = dir.path().join("disc.gdi");
    for (text, want) in [
        (
            "3\n1 0 4 2352 track01.bin 0\n2 450 0 2352 missing.raw 0\n3 45000 4 2352 track03.bin 0\n",
            "line 3, column 1: track file 'missing.raw' not found",
        ),
        (
            "2\n1 0 4 2352 track01.bin 0\n2 100 0 2352 track02.raw 0\n",
            "line 3, column 1: track 2 starts at LBA 100, inside track 1",
        ),
        (
            "1\n1 0 4 2352 track01.bin 99999999\n",
            "line 2, column 1: offset 99999999 is past the end",
        ),
    ] {
        std::fs::write(&gdi, text).expect("write");
        let said = discus::open(&gdi)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(said.contains(want), "{said}");
    }
}

#[test]
fn i15_2_a_gd_rom_through_gdi_mds_and_clonecd_comes_back_the_same() {
    let dir = tempfile::tempdir().expect("temp dir");
    make(dir.path(), FIVE);
    let original = dir.path().join("disc.gdi");
    let options = discus::ConvertOptions::default();
    for via in ["again.gdi", "x.mds", "x.ccd"] {
        let there = dir.path().join(via);
        let back = dir
            .path()
            .join(format!("back-{via}.gdi").replace(".gdi.gdi", ".gdi"));
        discus::convert(&original, &there, &options).unwrap_or_else(|e| panic!("{via}: {e}"));
        discus::convert(&there, &back, &options).unwrap_or_else(|e| panic!("{via} back: {e}"));
        assert_eq!(read_all(&back), read_all(&original), "{via}");
    }
    // A cue sheet marks the areas as Redump's do (REM HIGH-DENSITY AREA puts the second at LBA
    // 45000), so GDI -> cue -> GDI keeps the layout and every sector too.
    let cue = dir.path().join("x.cue");
    discus::convert(&original, &cue, &options).expect("to cue");
    let text = std::fs::read_to_string(&cue).expect("sheet");
    assert!(
        text.starts_with("REM SINGLE-DENSITY AREA\r\n")
            && text.contains("REM HIGH-DENSITY AREA\r\nFILE"),
        "{text}"
    );
    assert!(!text.contains("REM SESSION"), "{text}");
    assert_eq!(read_all(&cue), read_all(&original));
    let back = dir.path().join("from-cue.gdi");
    discus::convert(&cue, &back, &options).expect("cue to GDI");
    assert_eq!(read_all(&back), read_all(&original));
}

/// A GD-ROM sheet as Redump ships it: one file per track, the areas marked by REM lines, and the
/// pregaps of tracks after the first of an area stored in their files (INDEX 00 at the start).
#[test]
fn i15_2_redump_gd_rom_cue_reads_with_the_high_density_area_at_45000() {
    let dir = tempfile::tempdir().expect("temp dir");
    make(dir.path(), FIVE);
    let read = |name: &str| std::fs::read(dir.path().join(name)).expect("track file");
    // Redump's files for tracks 2, 4 and 5 begin with their 150-sector pregaps: silence before
    // audio, empty Mode 1 sectors (at their own LBAs) before data.
    let mut sector = [0u8; 2352];
    let mut data_pregap = Vec::new();
    for lba in 45_470..45_620 {
        encode_mode1(Lba(lba), &[0u8; 2048], &mut sector);
        data_pregap.extend_from_slice(&sector);
    }
    let files: [(&str, Vec<u8>); 5] = [
        ("Game (Track 1).bin", read("track01.bin")),
        (
            "Game (Track 2).bin",
            [vec![0u8; 150 * 2352], read("track02.raw")].concat(),
        ),
        ("Game (Track 3).bin", read("track03.bin")),
        (
            "Game (Track 4).bin",
            [vec![0u8; 150 * 2352], read("track04.raw")].concat(),
        ),
        (
            "Game (Track 5).bin",
            [data_pregap, read("track05.bin")].concat(),
        ),
    ];
    for (name, bytes) in &files {
        std::fs::write(dir.path().join(name), bytes).expect("write");
    }
    let sheet = "REM SINGLE-DENSITY AREA\r\n\
        FILE \"Game (Track 1).bin\" BINARY\r\n  TRACK 01 MODE1/2352\r\n    INDEX 01 00:00:00\r\n\
        FILE \"Game (Track 2).bin\" BINARY\r\n  TRACK 02 AUDIO\r\n    INDEX 00 00:00:00\r\n    INDEX 01 00:02:00\r\n\
        REM HIGH-DENSITY AREA\r\n\
        FILE \"Game (Track 3).bin\" BINARY\r\n  TRACK 03 MODE1/2352\r\n    INDEX 01 00:00:00\r\n\
        FILE \"Game (Track 4).bin\" BINARY\r\n  TRACK 04 AUDIO\r\n    INDEX 00 00:00:00\r\n    INDEX 01 00:02:00\r\n\
        FILE \"Game (Track 5).bin\" BINARY\r\n  TRACK 05 MODE1/2352\r\n    INDEX 00 00:00:00\r\n    INDEX 01 00:02:00\r\n";
    let cue = dir.path().join("Game.cue");
    std::fs::write(&cue, sheet).expect("write sheet");
    // The same addresses, pregaps and sectors as the GDI of the same disc.
    assert_eq!(read_all(&cue), read_all(&dir.path().join("disc.gdi")));
    let comparison = discus::compare(
        &cue,
        &dir.path().join("disc.gdi"),
        &discus::CompareOptions::default(),
    )
    .expect("compare");
    assert_eq!(comparison.differing_sectors(), 0, "{comparison:?}");
    // Redump cue -> GDI: its stored pregaps hold only what a GDI's generated ones hold.
    let gdi = dir.path().join("from-redump.gdi");
    discus::convert(&cue, &gdi, &discus::ConvertOptions::default()).expect("Redump cue to GDI");
    assert_eq!(read_all(&gdi), read_all(&dir.path().join("disc.gdi")));
}

/// The `SHA1:` and `Data SHA1:` lines `chdman info` prints for a CHD.
fn chdman_sha1s(chdman: &Path, chd: &Path) -> Vec<String> {
    let out = run(
        chdman,
        &[OsStr::new("info"), OsStr::new("-i"), chd.as_os_str()],
        Path::new("."),
    );
    assert!(out.status.success(), "chdman info {}", chd.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("SHA1:"))
        .map(str::to_string)
        .collect()
}

#[test]
fn i15_3_gd_rom_chds_are_chgd_as_chdman_writes_and_reads_them() {
    for tool in ["chdman", "chdman-0.289"] {
        let Some(chdman) = peer(tool) else {
            continue;
        };
        for tracks in [THREE, FIVE] {
            let dir = tempfile::tempdir().expect("temp dir");
            make(dir.path(), tracks);
            let gdi = dir.path().join("disc.gdi");
            let chdman_run = |args: &[&str]| {
                let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
                let out = run(&chdman, &args, dir.path());
                assert!(
                    out.status.success(),
                    "{tool} {args:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            };
            // chdman's CHGD CHD reads as the GDI it was made from: both areas, every sector.
            chdman_run(&["createcd", "-i", "disc.gdi", "-o", "theirs.chd"]);
            let theirs = dir.path().join("theirs.chd");
            assert_eq!(read_all(&theirs), read_all(&gdi), "{tool}");
            // Ours from the same GDI is the same CHD: the same data and overall SHA-1, so the
            // same CHGD text, and chdman verifies it.
            let ours = dir.path().join("ours.chd");
            discus::convert(&gdi, &ours, &discus::ConvertOptions::default()).expect("GDI to CHD");
            assert_eq!(
                chdman_sha1s(&chdman, &ours),
                chdman_sha1s(&chdman, &theirs),
                "{tool}, {} tracks",
                tracks.len()
            );
            chdman_run(&["verify", "-i", "ours.chd"]);
            // chdman extracts the GDI's track files from ours, byte for byte.
            chdman_run(&["extractcd", "-i", "ours.chd", "-o", "back.gdi"]);
            let sheet = std::fs::read_to_string(dir.path().join("back.gdi")).expect("sheet");
            for (i, line) in sheet.lines().skip(1).enumerate() {
                let name = line.split_whitespace().nth(4).expect("file name");
                let original = if tracks[i].1 {
                    format!("track{:02}.bin", i + 1)
                } else {
                    format!("track{:02}.raw", i + 1)
                };
                assert!(
                    std::fs::read(dir.path().join(name)).expect("extracted")
                        == std::fs::read(dir.path().join(&original)).expect("original"),
                    "{tool}: {name} differs from {original}"
                );
            }
            assert_eq!(read_all(&ours), read_all(&gdi));
        }
    }
}

/// The first `count` sectors of track `index` from `lba`, raw.
fn sectors_at(path: &Path, index: usize, lba: Lba, count: usize) -> Vec<u8> {
    let mut source = discus::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .source;
    let mut out = vec![0u8; count * 2352];
    read_sectors(
        &mut *source,
        index,
        lba,
        count,
        Form::Raw,
        &mut out,
        &mut Vec::new(),
        &mut Check::default(),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    out
}

#[test]
fn i15_2_chdman_takes_the_gd_rom_cue_discus_writes() {
    let Some(chdman) = peer("chdman-0.289") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    make(dir.path(), FIVE);
    let gdi = dir.path().join("disc.gdi");
    // As Redump's: every pregap in its track's file, INDEX 00 at the file's start.
    discus::convert(
        &gdi,
        &dir.path().join("Game.cue"),
        &discus::ConvertOptions::default(),
    )
    .expect("GDI to cue");
    let text = std::fs::read_to_string(dir.path().join("Game.cue")).expect("sheet");
    assert!(
        text.contains("TRACK 02 AUDIO\r\n    INDEX 00 00:00:00\r\n    INDEX 01 00:02:00"),
        "{text}"
    );
    let out = run(
        &chdman,
        &[
            OsStr::new("createcd"),
            OsStr::new("-i"),
            OsStr::new("Game.cue"),
            OsStr::new("-o"),
            OsStr::new("game.chd"),
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "chdman: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // chdman counts each track up to the next one's start (a stored pregap goes with the track
    // before it), so its tracks start where the GDI's do and begin with the same sectors.
    let chd = dir.path().join("game.chd");
    let theirs = discus::open(&chd).expect("open").source.disc().clone();
    let ours = discus::open(&gdi).expect("open").source.disc().clone();
    assert!(theirs.is_gd_rom());
    for (index, (a, b)) in ours.tracks().zip(theirs.tracks()).enumerate() {
        assert_eq!(a.start, b.start, "track {}", a.number);
        assert!(b.length >= a.length);
        assert!(
            sectors_at(&gdi, index, a.start, a.length as usize)
                == sectors_at(&chd, index, a.start, a.length as usize),
            "track {}",
            a.number
        );
    }
}
