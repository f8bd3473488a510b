//! DiscJuggler CDI (issue 15 item 4): the samples the recipe lays out from the format's facts
//! (v2, v3, v3.5; 2048, 2336, 2352, 2352 + Q and 2352 + P–W sectors; a Dreamcast-style audio
//! session and data session; track CD-TEXT in two languages and the disc block's catalog and
//! lead-in packs; a DVD) read as the recipe says, agree with `iat` and chdman, convert to the
//! other formats sector for sector, and broken descriptors fail with the byte offset.

use std::path::{Path, PathBuf};

use discus::core::testing::all_sectors;
use discus::core::{Check, Form, Lba, Medium, Subchannel, read_sectors};
use discus_tests::{corpus, peer, run, samples};

fn sample(name: &str) -> PathBuf {
    samples().join("cdi").join(name)
}

/// `count` sectors of `size` bytes from sector `first` of a sample file, each cut to `keep`.
fn sectors(
    path: &Path,
    first: usize,
    count: usize,
    size: usize,
    keep: std::ops::Range<usize>,
) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes[first * size..(first + count) * size]
        .chunks_exact(size)
        .flat_map(|s| s[keep.clone()].to_vec())
        .collect()
}

/// (session, number, mode, start, length, pregap, pregap stored) of every track.
type Row = (u8, u8, &'static str, i32, u32, u32, bool);

fn layout(path: &Path) -> Vec<Row> {
    let opened = discus::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let disc = opened.source.disc();
    disc.tracks()
        .enumerate()
        .map(|(i, t)| {
            (
                disc.session_of(i).unwrap_or(0),
                t.number,
                t.mode.name(),
                t.start.0,
                t.length,
                t.pregap.sectors,
                t.pregap.stored,
            )
        })
        .collect()
}

fn options(allow_lossy: bool) -> discus::ConvertOptions<'static> {
    discus::ConvertOptions {
        write: discus::WriteOptions {
            allow_lossy,
            ..discus::WriteOptions::default()
        },
        ..discus::ConvertOptions::default()
    }
}

#[test]
fn i15_4_dreamcast_v35_reads_as_two_sessions() {
    let path = sample("dreamcast-v35.cdi");
    assert_eq!(
        layout(&path),
        [
            // The 150 silent sectors before LBA 0 are what would be generated: not in the model.
            (1, 1, "audio", 0, 60, 0, false),
            // Session 2 after 11,250 sectors of lead-out and lead-in, its pregap stored.
            (2, 2, "mode2-xa", 11_460, 64, 150, true),
        ]
    );
    let mut source = discus::open(&path).expect("open").source;
    assert_eq!(source.stored_form(1), Form::Mode2);
    let read = all_sectors(&mut *source, Form::Raw);
    let audio = samples().join("cue/multisession/multisession (Track 1).bin");
    assert!(read[0] == sectors(&audio, 0, 60, 2352, 0..2352));
    // The data track's body is the XA sample's sectors from the subheader on.
    let mut mode2 = vec![0u8; 64 * 2336];
    let mut check = Check::default();
    read_sectors(
        &mut *source,
        1,
        Lba(11_460),
        64,
        Form::Mode2,
        &mut mode2,
        &mut Vec::new(),
        &mut check,
    )
    .expect("read track 2");
    assert!(check.is_clean());
    let xa = samples().join("cue/xa/xa.bin");
    assert!(mode2 == sectors(&xa, 0, 64, 2352, 16..2352));
}

#[test]
fn i15_4_v2_cooked_and_v3_subchannel_sectors() {
    assert_eq!(
        layout(&sample("data-v2.cdi")),
        [(1, 1, "mode1", 0, 34, 0, false)]
    );
    let mut source = discus::open(&sample("data-v2.cdi")).expect("open").source;
    let data = samples().join("cue/multisession/multisession (Track 2).bin");
    assert!(all_sectors(&mut *source, Form::Cooked)[0] == sectors(&data, 0, 34, 2352, 16..2064));

    // v3: 2352 + 16 bytes of Q, read as 2352 (the generated pregap from NRG hidden again), and
    // 2352 + 96 bytes of P–W, read whole as a stored subchannel.
    let path = sample("mixed-v3.cdi");
    assert_eq!(
        layout(&path),
        [
            (1, 1, "mode1", 0, 34, 0, false),
            (1, 2, "audio", 34, 60, 0, false)
        ]
    );
    let opened = discus::open(&path).expect("open");
    assert!(
        opened
            .source
            .warnings()
            .iter()
            .any(|w| w.contains("16 bytes of Q"))
    );
    let mut source = opened.source;
    assert_eq!(source.disc().subchannel, Some(Subchannel::Stored));
    assert_eq!(source.stored_form(1), Form::RawSub);
    let read = all_sectors(&mut *source, Form::RawSub);
    let mixed = samples().join("cue/mixed-single/mixed.bin");
    let main: Vec<u8> = read[0]
        .chunks_exact(2448)
        .flat_map(|s| s[..2352].to_vec())
        .collect();
    assert!(main == sectors(&mixed, 0, 34, 2352, 0..2352));
    let audio = sectors(
        &samples().join("cue/multisession/multisession (Track 1).bin"),
        0,
        60,
        2352,
        0..2352,
    );
    let sub = sectors(&samples().join("ccd/multisession.sub"), 0, 60, 96, 0..96);
    let expected: Vec<u8> = audio
        .chunks_exact(2352)
        .zip(sub.chunks_exact(96))
        .flat_map(|(a, s)| [a, s].concat())
        .collect();
    assert!(read[1] == expected);
}

#[test]
fn i15_4_cdi_converts_to_cue_chd_and_iso_sector_for_sector() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, target, lossy) in [
        ("dreamcast-v35.cdi", "d.cue", false),
        ("dreamcast-v35.cdi", "d.chd", false),
        ("data-v2.cdi", "v2.cue", false),
        ("mixed-v3.cdi", "m.ccd", false),
        ("mixed-v3.cdi", "m.chd", false),
    ] {
        let input = sample(name);
        let output = dir.path().join(target);
        discus::convert(&input, &output, &options(lossy))
            .unwrap_or_else(|e| panic!("{name} -> {target}: {e}"));
        let comparison = discus::compare(&input, &output, &discus::CompareOptions::default())
            .unwrap_or_else(|e| panic!("{name} vs {target}: {e}"));
        assert!(comparison.identical(), "{name} vs {target}: {comparison:?}");
    }
    // A Dreamcast CDI is no GD-ROM: the GDI writer says so instead of moving the data session.
    let refused = discus::convert(
        &sample("dreamcast-v35.cdi"),
        &dir.path().join("d.gdi"),
        &options(false),
    );
    assert!(refused.is_err());
}

#[test]
fn i15_4_iat_extracts_the_data_tracks_discus_reads() {
    let Some(iat) = peer("iat") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    // The DVD image too: iat skips the same stored pregap discus leaves out of a DVD.
    for name in ["data-v2.cdi", "dreamcast-v35.cdi", "dvd-v35.cdi"] {
        let ours = dir.path().join(format!("{name}.discus.iso"));
        discus::convert(&sample(name), &ours, &options(true)).expect("to ISO");
        let theirs = dir.path().join(format!("{name}.iat.iso"));
        let out = run(
            &iat,
            &[sample(name).as_os_str(), theirs.as_os_str()],
            dir.path(),
        );
        assert!(
            out.status.success(),
            "iat {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            std::fs::read(&ours).expect("ours") == std::fs::read(&theirs).expect("iat's"),
            "{name}: iat and discus differ"
        );
    }
}

/// Copies a sample and lets `edit` change its bytes.
fn broken(dir: &Path, name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = std::fs::read(sample(name)).expect("sample");
    edit(&mut bytes);
    let path = dir.join(format!("broken-{name}"));
    std::fs::write(&path, bytes).expect("write");
    path
}

fn error_of(path: &Path) -> String {
    match discus::open(path) {
        Ok(_) => panic!("{} opened", path.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn i15_4_broken_descriptors_name_the_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let len = std::fs::metadata(sample("dreamcast-v35.cdi"))
        .expect("sample")
        .len() as usize;
    let descriptor = len - 526 - 8;
    // The descriptor cut after 200 bytes, the trailer moved up to it: it ends inside a track block.
    let path = broken(dir.path(), "dreamcast-v35.cdi", |b| {
        b.truncate(descriptor + 200);
        b.extend_from_slice(&0x8000_0006u32.to_le_bytes());
        b.extend_from_slice(&208u32.to_le_bytes());
    });
    let said = error_of(&path);
    assert!(
        said.contains("descriptor ends inside") && said.contains("byte offset"),
        "{said}"
    );
    // A session count of 0 and one of 300.
    for count in [0u16, 300] {
        let path = broken(dir.path(), "dreamcast-v35.cdi", |b| {
            b[descriptor..descriptor + 2].copy_from_slice(&count.to_le_bytes());
        });
        let said = error_of(&path);
        assert!(
            said.contains(&format!("byte offset {descriptor}")) && said.contains("sessions"),
            "{said}"
        );
    }
    // Track 1's length (pregap included) made larger than the file.
    let path = broken(dir.path(), "data-v2.cdi", |b| {
        let n = b.len();
        let start = u32::from_le_bytes(b[n - 4..].try_into().expect("4 bytes")) as usize;
        // session count, track count, then the block: 4 + 20 + 4 + 1 + 10 + 19 + 4 + 2 + 8 + 4 + 2 + 4 + 12 + 4.
        let total = start + 2 + 2 + 4 + 20 + 4 + 1 + 10 + 19 + 4 + 2 + 8 + 4 + 2 + 4 + 12 + 4;
        b[total..total + 4].copy_from_slice(&1_000_000u32.to_le_bytes());
        // Keep the index lengths adding up, so the length check is the one that fires.
        let index1 = start + 2 + 2 + 4 + 20 + 4 + 1 + 10 + 19 + 4 + 2 + 4;
        b[index1..index1 + 4].copy_from_slice(&(1_000_000u32 - 150).to_le_bytes());
    });
    let said = error_of(&path);
    assert!(said.contains("past the sector data"), "{said}");
    // A first track whose pregap from LBA -150 is shorter than 150 sectors (its INDEX 01 before
    // LBA 0): read as stored, without taking 150 from 100.
    let path = broken(dir.path(), "data-v2.cdi", |b| {
        let n = b.len();
        let start = u32::from_le_bytes(b[n - 4..].try_into().expect("4 bytes")) as usize;
        let index0 = start + 2 + 2 + 4 + 20 + 4 + 1 + 10 + 19 + 4 + 2;
        b[index0..index0 + 4].copy_from_slice(&100u32.to_le_bytes());
        b[index0 + 4..index0 + 8].copy_from_slice(&84u32.to_le_bytes());
    });
    let opened = discus::open(&path).expect("opens");
    let track = opened.source.disc().track(0).cloned().expect("track 1");
    assert_eq!(
        (track.first_lba().0, track.start.0, track.pregap.stored),
        (-150, -50, true)
    );
    // No start mark where a track block begins.
    let path = broken(dir.path(), "data-v2.cdi", |b| {
        let n = b.len();
        let start = u32::from_le_bytes(b[n - 4..].try_into().expect("4 bytes")) as usize;
        b[start + 2 + 2 + 4 + 2] = 7;
    });
    assert!(error_of(&path).contains("no track start mark"));
    // A file that only ends like a CDI names the trailer, and the probe no longer calls CDI a
    // format discus does not read.
    let path = dir.path().join("short.cdi");
    std::fs::write(&path, [0u8; 6]).expect("write");
    let said = error_of(&path);
    assert!(!said.contains("does not read"), "{said}");
}

#[test]
fn i15_4_every_truncation_of_a_sample_fails_cleanly() {
    let bytes = std::fs::read(sample("mixed-v3.cdi")).expect("sample");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cut.cdi");
    // Cuts through the descriptor and the trailer: each must fail or read, never panic.
    for keep in (bytes.len() - 400..bytes.len()).step_by(7) {
        std::fs::write(&path, &bytes[..keep]).expect("write");
        let _ = discus::open(&path);
    }
}

/// A CDI made by another tool (cdibuilder, in the GPL-3.0 `Conkwer/cditools` repository, file
/// `test.cdi`): a self-booting Dreamcast disc, as `iat` reads it too. It is not committed; put it
/// in the shared corpus as `cditools/test.cdi` to run this.
#[test]
#[ignore = "needs the shared corpus file cditools/test.cdi"]
fn i15_4_a_real_cdi_from_cditools() {
    let Some(folder) = corpus("cditools") else {
        return;
    };
    let path = folder.join("test.cdi");
    assert_eq!(
        layout(&path),
        [
            (1, 1, "audio", 0, 302, 0, false),
            (2, 2, "mode2-xa", 11_702, 335, 150, true),
        ]
    );
    let info = discus::info(&path).expect("info");
    assert_eq!(info.volume.map(|v| v.label), Some("mygame".to_string()));
    // Its disc block (cdibuilder writes DiscJuggler 4's layout) is read without a warning: the
    // disc's size, a volume name of spaces (none), no catalog.
    let opened = discus::open(&path).expect("open");
    assert!(
        opened.source.warnings().is_empty(),
        "{:?}",
        opened.source.warnings()
    );
    let details = opened.source.details();
    assert!(
        details
            .iter()
            .any(|(k, v)| k == "disc size" && v.starts_with("13472 sectors")),
        "{details:?}"
    );
    assert_eq!(opened.source.disc().catalog, None);
}

/// Where the descriptor of a v3.5 image begins (its trailer counts from the end of the file).
fn v35_descriptor(bytes: &[u8]) -> usize {
    let place = u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().expect("4 bytes"));
    bytes.len() - place as usize
}

/// A v3.5 image whose descriptor is cut after `keep` bytes, its trailer moved up to place it.
fn v35_cut(bytes: &[u8], keep: usize) -> Vec<u8> {
    let start = v35_descriptor(bytes);
    let mut out = bytes[..start + keep].to_vec();
    out.extend_from_slice(&0x8000_0006u32.to_le_bytes());
    out.extend_from_slice(&(keep as u32 + 8).to_le_bytes());
    out
}

/// Where `needle` begins in `bytes`.
fn find(bytes: &[u8], needle: &[u8]) -> usize {
    bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{needle:?} not found"))
}

#[test]
fn i15_4_cd_text_titles_catalog_and_lead_in_packs() {
    let path = sample("cdtext-v35.cdi");
    let opened = discus::open(&path).expect("open");
    let disc = opened.source.disc().clone();
    // The first language's title field (field 10) is each track's title; the second
    // language's ("Premiere lumiere") is not.
    let titles: Vec<Option<&str>> = disc.tracks().map(|t| t.text.title.as_deref()).collect();
    assert_eq!(titles, [Some("First light"), Some("Second wind")]);
    assert_eq!(disc.catalog.as_deref(), Some("0123456789012"));
    assert_eq!(disc.medium, Medium::Cd);
    // Fields whose meaning no reader states are listed, both languages, not dropped.
    let details = opened.source.details();
    let listed = |key: &str| {
        details
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {key} in {details:?}"))
    };
    let track1 = listed("track 1 CD-TEXT");
    assert!(
        track1.contains("3 \"field three\"")
            && track1.contains("block 1: 0 \"Ada\", 10 \"Premiere lumiere\""),
        "{track1}"
    );
    assert_eq!(listed("volume name"), "AUDIO");
    assert!(
        opened.source.warnings().is_empty(),
        "{:?}",
        opened.source.warnings()
    );
    // The lead-in's packs travel as the disc's: 10 packs, a title pack first.
    let packs = disc.cd_text_packs.clone().expect("the disc block's packs");
    assert_eq!((packs.len(), packs[0]), (10 * 18, 0x80));

    // Through NRG, whose reader decodes packs: the performers and the disc's title come back
    // from the lead-in packs, the catalog from the descriptor.
    let dir = tempfile::tempdir().expect("temp dir");
    let nrg = dir.path().join("text.nrg");
    discus::convert(&path, &nrg, &options(false)).expect("to NRG");
    let back = discus::open(&nrg).expect("open NRG");
    let back = back.source.disc();
    assert_eq!(back.catalog.as_deref(), Some("0123456789012"));
    assert_eq!(back.text.title.as_deref(), Some("CD-TEXT sample"));
    let people: Vec<(Option<&str>, Option<&str>)> = back
        .tracks()
        .map(|t| (t.text.title.as_deref(), t.text.performer.as_deref()))
        .collect();
    assert_eq!(
        people,
        [
            (Some("First light"), Some("Ada")),
            (Some("Second wind"), Some("Grace"))
        ]
    );
    // A cue sheet keeps the catalog, the titles and the packs (as its CDTEXTFILE).
    let cue = dir.path().join("text.cue");
    discus::convert(&path, &cue, &options(false)).expect("to cue");
    let sheet = std::fs::read_to_string(&cue).expect("sheet");
    assert!(
        sheet.contains("CATALOG 0123456789012") && sheet.contains("TITLE \"Second wind\""),
        "{sheet}"
    );
    assert!(std::fs::read(dir.path().join("text.cdt")).expect("cdt") == packs);
    let comparison =
        discus::compare(&path, &cue, &discus::CompareOptions::default()).expect("compare");
    assert!(comparison.identical(), "{comparison:?}");
}

#[test]
fn i15_4_dvd_cdi_converts_to_iso_and_a_dvd_chd() {
    let path = sample("dvd-v35.cdi");
    let iso = std::fs::read(samples().join("iso/data.iso")).expect("the sample ISO");
    let sectors = (iso.len() / 2048) as u32;
    assert_eq!(layout(&path), [(1, 1, "mode1", 0, sectors, 0, false)]);
    let opened = discus::open(&path).expect("open");
    assert_eq!(
        opened.source.disc().medium,
        Medium::Dvd {
            layers: 1,
            layer_break: None
        }
    );
    let dir = tempfile::tempdir().expect("temp dir");
    // No --allow-lossy: a DVD's ISO is the whole disc.
    let ours = dir.path().join("dvd.iso");
    discus::convert(&path, &ours, &options(false)).expect("to ISO");
    assert!(std::fs::read(&ours).expect("ISO") == iso);
    // A CD-only target refuses the DVD before writing.
    assert!(discus::convert(&path, &dir.path().join("dvd.cue"), &options(false)).is_err());
    let chd = dir.path().join("dvd.chd");
    discus::convert(&path, &chd, &options(false)).expect("to CHD");
    let comparison =
        discus::compare(&path, &chd, &discus::CompareOptions::default()).expect("compare");
    assert!(comparison.identical(), "{comparison:?}");
    for name in ["chdman", "chdman-0.289"] {
        let Some(chdman) = peer(name) else {
            continue;
        };
        let out = run(
            &chdman,
            &["verify".as_ref(), "-i".as_ref(), chd.as_os_str()],
            dir.path(),
        );
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && said.contains("Overall SHA1 verification successful"),
            "{name} verify: {said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if name == "chdman-0.289" {
            let back = dir.path().join("back.iso");
            let out = run(
                &chdman,
                &[
                    "extractdvd".as_ref(),
                    "-i".as_ref(),
                    chd.as_os_str(),
                    "-o".as_ref(),
                    back.as_os_str(),
                    "-f".as_ref(),
                ],
                dir.path(),
            );
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(std::fs::read(&back).expect("extracted") == iso);
        }
    }
}

#[test]
fn i15_4_cd_text_and_disc_block_past_the_descriptor_name_the_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = std::fs::read(sample("cdtext-v35.cdi")).expect("sample");
    let start = v35_descriptor(&bytes);
    let path = dir.path().join("cut.cdi");
    let open_error = |file: &[u8]| {
        std::fs::write(&path, file).expect("write");
        error_of(&path)
    };
    // A CD-TEXT field whose length runs past the end of the descriptor.
    let title = find(&bytes[start..], b"\x0bFirst light");
    let said = open_error(&v35_cut(&bytes, title + 4));
    assert!(
        said.contains("field 10 of the track's CD-TEXT block 0 claims 11 bytes")
            && said.contains(&format!("byte offset {}", start + title)),
        "{said}"
    );
    // The disc block's CD-TEXT length made larger than what follows.
    let volume = find(&bytes[start..], b"\x05AUDIO");
    let text_len = volume + 6 + 9 + 13 + 4;
    let mut long = bytes.clone();
    long[start + text_len..start + text_len + 4].copy_from_slice(&100_000u32.to_le_bytes());
    let said = open_error(&long);
    assert!(
        said.contains("the disc block's CD-TEXT claims 100000 bytes")
            && said.contains(&format!("byte offset {}", start + text_len)),
        "{said}"
    );
    // Every cut through the disc block, from its start mark to the end of its CD-TEXT, is an
    // error naming a byte; a cut right after the session of no tracks is a descriptor without
    // a disc block (as older writers end), one inside the start mark leaves bytes that are no
    // disc block (a warning), and the 8 closing bytes are not needed.
    let header = volume - 74;
    let text_end = text_len + 4 + 180;
    let descriptor_len = bytes.len() - 8 - start;
    for keep in header..descriptor_len {
        std::fs::write(&path, v35_cut(&bytes, keep)).expect("write");
        let opened = discus::open(&path);
        match (keep >= header + 24 && keep < text_end, opened) {
            (true, Err(e)) => assert!(e.to_string().contains("byte offset"), "{keep}: {e}"),
            (true, Ok(_)) => panic!("cut at {keep} opened"),
            (false, Err(e)) => panic!("cut at {keep}: {e}"),
            (false, Ok(opened)) => {
                let warned = opened
                    .source
                    .warnings()
                    .iter()
                    .any(|w| w.contains("not a disc block"));
                assert_eq!(warned, keep > header && keep < header + 24, "cut at {keep}");
            }
        }
    }
}

/// The disc's and tracks' TITLE, PERFORMER and SONGWRITER (track 0 is the disc), as discus has them.
fn text_fields(disc: &discus::core::Disc) -> Vec<(u8, &'static str, String)> {
    let mut fields = Vec::new();
    let texts = std::iter::once((0, &disc.text)).chain(disc.tracks().map(|t| (t.number, &t.text)));
    for (number, text) in texts {
        for (name, value) in [
            ("TITLE", &text.title),
            ("PERFORMER", &text.performer),
            ("SONGWRITER", &text.songwriter),
        ] {
            if let Some(value) = value {
                fields.push((number, name, value.clone()));
            }
        }
    }
    fields
}

/// The same fields of the first language as `cd-info` prints them ("Language 0 'English':",
/// "CD-TEXT for Track  2:", "\tTITLE: …"), for an image of `kind` (`nrg`, `cue`).
fn cd_info_text(cd_info: &Path, kind: &str, image: &Path) -> Vec<(u8, &'static str, String)> {
    let flag = format!("--{kind}-file");
    let output = run(
        cd_info,
        &[
            "--no-header".as_ref(),
            "--no-device-info".as_ref(),
            "--no-cddb".as_ref(),
            flag.as_ref(),
            image.as_os_str(),
        ],
        image.parent().expect("a folder"),
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "cd-info on {}: {text}",
        image.display()
    );
    let mut fields = Vec::new();
    let mut track = None;
    let mut language = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Language ") {
            language = rest.split_whitespace().next().map(str::to_string);
        } else if line.starts_with("CD-TEXT for Disc") {
            track = Some(0);
        } else if let Some(rest) = line.strip_prefix("CD-TEXT for Track") {
            track = rest.trim().trim_end_matches(':').parse::<u8>().ok();
        } else if let (Some(number), Some("0"), Some((name, value))) =
            (track, language.as_deref(), line.trim().split_once(": "))
        {
            let name = match name {
                "TITLE" => "TITLE",
                "PERFORMER" => "PERFORMER",
                "SONGWRITER" => "SONGWRITER",
                _ => continue,
            };
            fields.push((number, name, value.to_string()));
        }
    }
    fields
}

#[test]
fn i15_4_cdi_lead_in_text_reaches_info_and_the_cue_sheet() {
    let path = sample("cdtext-v35.cdi");
    // The disc block's packs give the disc's title and performer and each track's performer;
    // the track blocks' titles agree with them, so nothing is warned.
    let opened = discus::open(&path).expect("open");
    assert!(
        opened.source.warnings().is_empty(),
        "{:?}",
        opened.source.warnings()
    );
    let expected = [
        (0, "TITLE", "CD-TEXT sample"),
        (0, "PERFORMER", "discus samples"),
        (1, "TITLE", "First light"),
        (1, "PERFORMER", "Ada"),
        (2, "TITLE", "Second wind"),
        (2, "PERFORMER", "Grace"),
    ]
    .map(|(n, f, v)| (n, f, v.to_string()));
    assert_eq!(text_fields(opened.source.disc()), expected);

    // `discus info`: the disc's title in the text, every field in the JSON.
    let shown = discus_tests::discus(&["info".as_ref(), path.as_os_str()]);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("title:     CD-TEXT sample"), "{shown}");
    // Each track's text, under the track table.
    assert!(
        shown.contains("    1 title \"First light\", performer \"Ada\"\n")
            && shown.contains("    2 title \"Second wind\", performer \"Grace\"\n"),
        "{shown}"
    );
    let json = discus_tests::discus(&["info".as_ref(), "--json".as_ref(), path.as_os_str()]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(json["title"], "CD-TEXT sample");
    assert_eq!(json["performer"], "discus samples");
    let performers: Vec<&str> = json["tracks"]
        .as_array()
        .expect("tracks")
        .iter()
        .map(|t| t["performer"].as_str().unwrap_or("none"))
        .collect();
    assert_eq!(performers, ["Ada", "Grace"]);

    // A cue sheet written from it says the same in its own lines, besides the packs' CDTEXTFILE.
    let dir = tempfile::tempdir().expect("temp dir");
    let cue = dir.path().join("text.cue");
    discus::convert(&path, &cue, &options(false)).expect("to cue");
    let sheet = std::fs::read_to_string(&cue).expect("sheet");
    for line in [
        "CDTEXTFILE \"text.cdt\"",
        "TITLE \"CD-TEXT sample\"",
        "PERFORMER \"discus samples\"",
        "    TITLE \"First light\"",
        "    PERFORMER \"Ada\"",
        "    TITLE \"Second wind\"",
        "    PERFORMER \"Grace\"",
    ] {
        assert!(sheet.lines().any(|l| l == line), "no {line:?} in\n{sheet}");
    }
    // Read back, the sheet's lines and its packs agree: no warning, the same fields.
    let back = discus::open(&cue).expect("open the cue");
    assert!(
        back.source.warnings().is_empty(),
        "{:?}",
        back.source.warnings()
    );
    assert_eq!(text_fields(back.source.disc()), expected);
    // A TITLE line edited by hand wins over the packs, which say otherwise in a warning that
    // names the CDTEXTFILE line.
    std::fs::write(&cue, sheet.replace("\"First light\"", "\"Edited\"")).expect("edit");
    let edited = discus::open(&cue).expect("open the edited cue");
    let first = edited
        .source
        .disc()
        .tracks()
        .next()
        .expect("track 1")
        .text
        .clone();
    assert_eq!(
        (first.title.as_deref(), first.performer.as_deref()),
        (Some("Edited"), Some("Ada"))
    );
    let warnings = edited.source.warnings();
    assert!(
        warnings.len() == 1
            && warnings[0].contains("line 2, column 12: CDTEXTFILE 'text.cdt': track 1: the title \"Edited\" is kept; the CD-TEXT packs give \"First light\""),
        "{warnings:?}"
    );
}

#[test]
fn i15_4_cdi_track_block_title_wins_over_the_lead_in_packs() {
    let bytes = std::fs::read(sample("cdtext-v35.cdi")).expect("sample");
    let start = v35_descriptor(&bytes);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("other.cdi");

    // Track 1's block says "Other light" (same length), the lead-in packs "First light": the
    // block's is kept (DiscJuggler's own record of the track), the difference is a warning, and
    // the performer still comes from the packs.
    let mut other = bytes.clone();
    let title = start + find(&bytes[start..], b"\x0bFirst light") + 1;
    other[title..title + 11].copy_from_slice(b"Other light");
    std::fs::write(&path, &other).expect("write");
    let opened = discus::open(&path).expect("open");
    let track = opened
        .source
        .disc()
        .tracks()
        .next()
        .expect("track 1")
        .clone();
    assert_eq!(track.text.title.as_deref(), Some("Other light"));
    assert_eq!(track.text.performer.as_deref(), Some("Ada"));
    let warnings = opened.source.warnings();
    assert!(
        warnings.len() == 1
            && warnings[0].contains(
                "track 1: the title \"Other light\" is kept; the CD-TEXT packs give \"First light\""
            ),
        "{warnings:?}"
    );

    // A pack whose CRC is wrong: its text is read all the same (libcdio and libmirage do not
    // check it), with a warning that names where the packs are.
    let volume = find(&bytes[start..], b"\x05AUDIO");
    let packs_at = start + volume + 6 + 9 + 13 + 4 + 4;
    let mut damaged = bytes.clone();
    damaged[packs_at + 18 + 17] ^= 0x55;
    std::fs::write(&path, &damaged).expect("write");
    let opened = discus::open(&path).expect("open");
    let sound = discus::open(&sample("cdtext-v35.cdi")).expect("open");
    assert_eq!(
        text_fields(opened.source.disc()),
        text_fields(sound.source.disc())
    );
    let warnings = opened.source.warnings();
    assert!(
        warnings.len() == 1
            && warnings[0].starts_with(&format!("the disc block's CD-TEXT at byte {packs_at}: "))
            && warnings[0].contains("1 of the 10 CD-TEXT packs of block 0 have a wrong CRC"),
        "{warnings:?}"
    );
    // The packs travel as they are, wrong CRC included.
    assert!(
        opened.source.disc().cd_text_packs.as_deref() == Some(&damaged[packs_at..packs_at + 180])
    );
}

#[test]
fn i15_4_cd_text_agrees_with_cd_info() {
    let Some(cd_info) = peer("cd-info") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");

    // The CDI's text through an NRG discus writes: libcdio decodes the CDTX chunk itself.
    let cdi = sample("cdtext-v35.cdi");
    let nrg = dir.path().join("text.nrg");
    discus::convert(&cdi, &nrg, &options(false)).expect("to NRG");
    let ours = text_fields(discus::open(&cdi).expect("open").source.disc());
    assert_eq!(cd_info_text(&cd_info, "nrg", &nrg), ours);

    // libcdio's own CD-TEXT files (written by cdrecord, libburn and a real disc's lead-in) behind
    // a cue sheet's CDTEXTFILE, with as many tracks as their size information says. cd-info
    // opens the BIN named after the sheet.
    let Some(libcdio) = corpus("libcdio") else {
        return;
    };
    for (name, tracks) in [
        ("cdtext", 3),
        ("cdtext-libburnia", 3),
        ("cdtext-krosis", 10),
    ] {
        let folder = dir.path().join(name);
        std::fs::create_dir(&folder).expect("mkdir");
        std::fs::copy(libcdio.join(format!("{name}.cdt")), folder.join("disc.cdt")).expect("copy");
        let bin = std::fs::File::create(folder.join("disc.bin")).expect("bin");
        bin.set_len(tracks * 300 * 2352).expect("size");
        let mut sheet = "CDTEXTFILE \"disc.cdt\"\nFILE \"disc.bin\" BINARY\n".to_string();
        for n in 1..=tracks {
            let at = (n - 1) * 4;
            sheet.push_str(&format!(
                "  TRACK {n:02} AUDIO\n    INDEX 01 00:{at:02}:00\n"
            ));
        }
        let cue = folder.join("disc.cue");
        std::fs::write(&cue, sheet).expect("sheet");
        let opened = discus::open(&cue).expect("open");
        assert!(
            opened.source.warnings().is_empty(),
            "{name}: {:?}",
            opened.source.warnings()
        );
        let ours = text_fields(opened.source.disc());
        assert!(ours.len() > 2 * tracks as usize, "{name}: {ours:?}");
        let theirs = cd_info_text(&cd_info, "cue", &cue);
        if name != "cdtext-krosis" {
            assert_eq!(theirs, ours, "{name}");
            continue;
        }
        // One known difference. The first songwriter pack is "\0Krosis\0\t\0\t\0" for
        // track 0: the disc's songwriter is empty, track 1's is "Krosis" and tracks 2 and 3 repeat
        // it (TAB), and the next pack says it begins at track 4. libcdio skips the empty string
        // and files "Krosis" under the pack's own track number, the disc. Titles and performers
        // agree.
        let songwriter = |fields: &[(u8, &'static str, String)]| -> Vec<u8> {
            fields
                .iter()
                .filter(|(_, f, v)| *f == "SONGWRITER" && v == "Krosis")
                .map(|(n, _, _)| *n)
                .collect()
        };
        assert_eq!(songwriter(&theirs), [0]);
        assert_eq!(songwriter(&ours), (1..=10).collect::<Vec<u8>>());
        let others = |fields: Vec<(u8, &'static str, String)>| -> Vec<_> {
            fields
                .into_iter()
                .filter(|(_, f, _)| *f != "SONGWRITER")
                .collect()
        };
        assert_eq!(others(theirs), others(ours));
    }
}

#[test]
fn i15_4_every_format_that_holds_the_packs_gives_the_same_text() {
    let cdi = sample("cdtext-v35.cdi");
    let expected = text_fields(discus::open(&cdi).expect("open").source.disc());
    let dir = tempfile::tempdir().expect("temp dir");
    // NRG (CDTX), a cue sheet (its lines and CDTEXTFILE), CloneCD ([CDText]) and CHD (its own
    // metadata entry) all keep the packs; reading each back gives the CDI's text.
    for name in ["t.nrg", "t.cue", "t.ccd", "t.chd"] {
        let target = dir.path().join(name);
        discus::convert(&cdi, &target, &options(false)).expect(name);
        let opened = discus::open(&target).expect(name);
        assert!(opened.source.disc().cd_text_packs.is_some(), "{name}");
        assert_eq!(text_fields(opened.source.disc()), expected, "{name}");
        assert!(
            opened.source.warnings().is_empty(),
            "{name}: {:?}",
            opened.source.warnings()
        );
    }
}

#[test]
fn a_read_past_a_track_s_stored_sectors_is_refused_not_served_from_the_next_track() {
    // mixed-v3.cdi stores track 1 (Mode 1, 2352 + Q) and track 2 (audio) back to back: the
    // sector after track 1's last is track 2's first in the file, never track 1's.
    let mut source = discus::open(&sample("mixed-v3.cdi")).expect("open").source;
    let track = source.disc().track(0).expect("track 1").clone();
    let size = source.stored_form(0).size();
    let last = Lba(track.data_end().0 - 1);
    let mut one = vec![0u8; size];
    source
        .read(0, last, &mut one)
        .expect("the last sector reads");
    let mut two = vec![0u8; 2 * size];
    let err = source
        .read(0, last, &mut two)
        .expect_err("one past the end");
    assert!(
        err.to_string().contains("outside the stored sectors"),
        "{err}"
    );
    let err = source
        .read(0, Lba(track.first_lba().0 - 1), &mut one)
        .expect_err("one before the start");
    assert!(err.to_string().contains("mixed-v3.cdi"), "{err}");
}
