//! DiscJuggler CDI (issue 15 item 4): the samples the recipe lays out from the format's facts
//! (v2, v3, v3.5; 2048, 2336, 2352, 2352 + Q and 2352 + P–W sectors; a Dreamcast-style audio
//! session and data session) read as the recipe says, agree with `iat`, convert to the other
//! formats sector for sector, and broken descriptors fail with the byte offset.

use std::path::{Path, PathBuf};

use discus::core::testing::all_sectors;
use discus::core::{Check, Form, Lba, Subchannel, read_sectors};
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
    for name in ["data-v2.cdi", "dreamcast-v35.cdi"] {
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
}
