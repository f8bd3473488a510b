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
