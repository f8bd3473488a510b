//! MDS/MDF and CloneCD through the facade: BIN/CUE and ISO round trips through both formats,
//! the subchannel carried between them byte for byte, and peers nobody here wrote (mdf2iso and
//! iat read our MDF, ccd2iso our IMG) giving the same ISO as discus.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use discus::{ConvertOptions, WriteOptions};
use discus_tests::{corpus, files_below, listing, peer, run, samples};

fn convert_with(input: &Path, output: &Path, write: WriteOptions) -> discus::Outcome {
    let options = ConvertOptions {
        write,
        force: true,
        ..ConvertOptions::default()
    };
    discus::convert(input, output, &options)
        .unwrap_or_else(|e| panic!("{} -> {}: {e}", input.display(), output.display()))
}

fn convert(input: &Path, output: &Path) -> discus::Outcome {
    convert_with(input, output, WriteOptions::default())
}

/// Every cue sheet among the samples, and the corpus's raw data sheet.
fn sheets() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = files_below(&samples().join("cue"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "cue"))
        .collect();
    if let Some(dir) = corpus("libcdio") {
        found.push(dir.join("isofs-m1.cue"));
    }
    found
}

/// Every 2048-byte ISO among the samples and a few of the corpus.
fn isos() -> Vec<PathBuf> {
    let mut found = vec![samples().join("iso").join("data.iso")];
    if let Some(dir) = corpus("libcdio") {
        for name in ["copying.iso", "joliet.iso", "test-udf1.iso"] {
            found.push(dir.join(name));
        }
    }
    found
}

/// The files of `folder` other than the sheet, by name, with their bytes.
fn bins(folder: &Path) -> Vec<(String, Vec<u8>)> {
    listing(folder)
        .into_iter()
        .filter(|name| !name.ends_with(".cue"))
        .map(|name| {
            let bytes = std::fs::read(folder.join(&name)).expect("read output");
            (name, bytes)
        })
        .collect()
}

/// Per track: number, mode, start, length, pregap sectors, whether stored, postgap sectors.
type Shape = (u8, &'static str, i32, u32, u32, bool, u32);

/// The layout of a disc as a sheet shows it: per track its number, mode, start, length and gaps.
fn layout(path: &Path) -> Vec<Shape> {
    let opened = discus::open(path).unwrap_or_else(|e| panic!("{e}"));
    opened
        .source
        .disc()
        .tracks()
        .map(|t| {
            (
                t.number,
                t.mode.name(),
                t.start.0,
                t.length,
                t.pregap.sectors,
                t.pregap.stored,
                t.postgap.sectors,
            )
        })
        .collect()
}

#[test]
fn cue_through_mds_and_ccd_comes_back_byte_identical() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut checked = 0;
    for sheet in sheets() {
        let stem = "disc";
        // What discus's own cue writer makes of the sheet is the reference.
        let reference = dir.path().join("reference");
        let _ = std::fs::remove_dir_all(&reference);
        std::fs::create_dir_all(&reference).expect("mkdir");
        convert(&sheet, &reference.join(format!("{stem}.cue")));
        let expected = bins(&reference);
        for via in ["mds", "ccd"] {
            let middle = dir.path().join(via);
            let back = dir.path().join(format!("{via}-back"));
            for folder in [&middle, &back] {
                let _ = std::fs::remove_dir_all(folder);
                std::fs::create_dir_all(folder).expect("mkdir");
            }
            let image = middle.join(format!("{stem}.{via}"));
            let there = convert(&sheet, &image);
            assert!(
                there.losses.is_empty(),
                "{}: {:?}",
                sheet.display(),
                there.losses
            );
            convert(&image, &back.join(format!("{stem}.cue")));
            assert!(
                bins(&back) == expected,
                "{} via {via}: the BINs differ from the direct conversion",
                sheet.display()
            );
            assert_eq!(
                layout(&back.join(format!("{stem}.cue"))),
                layout(&reference.join(format!("{stem}.cue"))),
                "{} via {via}: the layout changed",
                sheet.display()
            );
        }
        checked += 1;
    }
    assert!(checked > 0, "no cue sheet to check");
}

#[test]
fn iso_through_mds_and_ccd_comes_back_byte_identical() {
    let dir = tempfile::tempdir().expect("temp dir");
    for iso in isos() {
        let original = std::fs::read(&iso).expect("read iso");
        for (via, options) in [
            ("mds", WriteOptions::default()),
            (
                "mds",
                WriteOptions {
                    sector_size: Some(2048),
                    ..WriteOptions::default()
                },
            ),
            ("ccd", WriteOptions::default()),
        ] {
            let image = dir.path().join(format!("x.{via}"));
            let back = dir.path().join("back.iso");
            convert_with(&iso, &image, options);
            let outcome = convert(&image, &back);
            assert!(outcome.losses.is_empty(), "{:?}", outcome.losses);
            assert!(
                std::fs::read(&back).expect("back") == original,
                "{} via {via} changed",
                iso.display()
            );
        }
    }
}

#[test]
fn subchannel_goes_between_mds_and_ccd_byte_for_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = samples().join("iso").join("data.iso");
    let ccd = dir.path().join("a.ccd");
    convert(&iso, &ccd);
    let generated = discus::open(&ccd).expect("open ccd");
    assert_eq!(
        generated.source.disc().subchannel,
        Some(discus::core::Subchannel::Generated)
    );
    // CCD → MDS with 2448-byte sectors: the MDF carries the .sub, interleaved.
    let mds = dir.path().join("b.mds");
    convert_with(
        &ccd,
        &mds,
        WriteOptions {
            sector_size: Some(2448),
            ..WriteOptions::default()
        },
    );
    let mdf = std::fs::read(dir.path().join("b.mdf")).expect("mdf");
    let sub = std::fs::read(dir.path().join("a.sub")).expect("sub");
    assert_eq!(mdf.len() / 2448, sub.len() / 96);
    for (sector, packed) in mdf.chunks_exact(2448).zip(sub.chunks_exact(96)) {
        let mut interleaved = [0u8; 96];
        discus::core::sector::subchannel::interleave(packed, &mut interleaved);
        assert_eq!(&sector[2352..], &interleaved[..]);
    }
    // MDS (a stored subchannel now) → CCD: the same .img and .sub; MDS again: the same MDF.
    let back = dir.path().join("c.ccd");
    convert(&mds, &back);
    assert!(std::fs::read(dir.path().join("c.sub")).expect("sub") == sub);
    assert!(
        std::fs::read(dir.path().join("c.img")).expect("img")
            == std::fs::read(dir.path().join("a.img")).expect("img")
    );
    let again = dir.path().join("d.mds");
    convert(&back, &again);
    assert!(std::fs::read(dir.path().join("d.mdf")).expect("mdf") == mdf);
}

#[test]
fn a_broken_mdf_fails_cleanly_and_leaves_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = samples().join("iso").join("data.iso");
    let mds = dir.path().join("x.mds");
    convert(&iso, &mds);
    let mdf = dir.path().join("x.mdf");
    let data = std::fs::read(&mdf).expect("mdf");
    std::fs::write(&mdf, &data[..data.len() / 2]).expect("truncate");
    let before = listing(dir.path());
    let err = discus::convert(&mds, &dir.path().join("y.iso"), &ConvertOptions::default())
        .expect_err("a truncated MDF must not convert")
        .to_string();
    assert!(
        err.contains("x.mds") && err.contains("byte offset"),
        "{err}"
    );
    assert_eq!(
        listing(dir.path()),
        before,
        "a failed conversion left files"
    );
}

/// Runs `tool args…` in `dir` and returns the ISO it wrote.
fn peer_iso(tool: &Path, args: &[&Path], dir: &Path, out: &Path) -> Vec<u8> {
    let args: Vec<&OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let made = run(tool, &args, dir);
    assert!(
        made.status.success() && out.is_file(),
        "{} failed: {}{}",
        tool.display(),
        String::from_utf8_lossy(&made.stdout),
        String::from_utf8_lossy(&made.stderr)
    );
    std::fs::read(out).expect("peer output")
}

#[test]
fn mdf2iso_and_iat_read_our_mdf() {
    let tools: Vec<(&str, PathBuf)> = ["mdf2iso", "iat"]
        .into_iter()
        .filter_map(|name| peer(name).map(|p| (name, p)))
        .collect();
    if tools.is_empty() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    for iso in isos() {
        let original = std::fs::read(&iso).expect("read iso");
        let mds = dir.path().join("x.mds");
        convert(&iso, &mds);
        let ours = dir.path().join("ours.iso");
        convert(&mds, &ours);
        let ours = std::fs::read(&ours).expect("ours");
        assert!(ours == original);
        let mdf = dir.path().join("x.mdf");
        for (name, tool) in &tools {
            let out = dir.path().join(format!("{name}.iso"));
            let _ = std::fs::remove_file(&out);
            let theirs = peer_iso(tool, &[&mdf, &out], dir.path(), &out);
            assert!(
                theirs == ours,
                "{name} reads {} differently from discus",
                iso.display()
            );
        }
    }
    // iat also reads 2448-byte sectors (mdf2iso only knows them by a P channel set at sector 0,
    // which a generated subchannel does not have at INDEX 01).
    if let Some((_, iat)) = tools.iter().find(|(n, _)| *n == "iat") {
        let iso = samples().join("iso").join("data.iso");
        let mds = dir.path().join("sub.mds");
        convert_with(
            &iso,
            &mds,
            WriteOptions {
                sector_size: Some(2448),
                ..WriteOptions::default()
            },
        );
        let out = dir.path().join("iat-2448.iso");
        let theirs = peer_iso(iat, &[&dir.path().join("sub.mdf"), &out], dir.path(), &out);
        assert!(theirs == std::fs::read(&iso).expect("iso"));
    }
}

#[test]
fn ccd2iso_reads_our_img() {
    let Some(ccd2iso) = peer("ccd2iso") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    for iso in isos() {
        let ccd = dir.path().join("x.ccd");
        convert(&iso, &ccd);
        let ours = dir.path().join("ours.iso");
        convert(&ccd, &ours);
        let ours = std::fs::read(&ours).expect("ours");
        assert!(ours == std::fs::read(&iso).expect("iso"));
        let out = dir.path().join("ccd2iso.iso");
        let _ = std::fs::remove_file(&out);
        let theirs = peer_iso(
            &ccd2iso,
            &[&dir.path().join("x.img"), &out],
            dir.path(),
            &out,
        );
        assert!(
            theirs == ours,
            "ccd2iso reads {} differently from discus",
            iso.display()
        );
    }
}
