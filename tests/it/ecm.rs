//! ECM (issue 15 item 3): the committed `samples/ecm/` files were made by the public `ecm` tool
//! (`samples/recipes/ecm.sh`); discus's encoder must write the same bytes, its decoder must give
//! back the BINs they came from, and a cue naming `x.bin` must read `x.bin.ecm`.

use std::path::{Path, PathBuf};

use discus::core::Form;
use discus::core::ecm::{EcmFile, encode};
use discus::{ConvertOptions, WriteOptions};
use discus_tests::samples;

/// (the BIN, the ECM the tool made of it, the sheet beside the ECM, the sheet beside the BIN)
fn pairs() -> Vec<(PathBuf, PathBuf, PathBuf, PathBuf)> {
    let s = samples();
    vec![
        (
            s.join("cue/mixed-single/mixed.bin"),
            s.join("ecm/mixed.bin.ecm"),
            s.join("ecm/mixed.cue"),
            s.join("cue/mixed-single/mixed.cue"),
        ),
        (
            s.join("cue/xa/xa.bin"),
            s.join("ecm/xa.bin.ecm"),
            s.join("ecm/xa.cue"),
            s.join("cue/xa/xa.cue"),
        ),
    ]
}

/// Every track's layout and every sector of it as 2352 bytes.
fn disc_and_sectors(path: &Path) -> (String, Vec<u8>) {
    let mut source = discus::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .source;
    let tracks: Vec<_> = source.disc().tracks().cloned().collect();
    let sectors = discus_core::testing::all_sectors(&mut *source, Form::Raw).concat();
    (format!("{tracks:?}"), sectors)
}

#[test]
fn i15_3_our_encoder_writes_what_the_ecm_tool_wrote() {
    for (bin, ecm, _, _) in pairs() {
        let data = std::fs::read(&bin).expect("read bin");
        let mut ours = Vec::new();
        encode(
            &mut std::io::Cursor::new(&data),
            data.len() as u64,
            &bin,
            &mut ours,
        )
        .expect("encode");
        let theirs = std::fs::read(&ecm).expect("read ecm");
        assert!(
            ours == theirs,
            "{}: our ECM differs from the tool's",
            bin.display()
        );
    }
}

#[test]
fn i15_3_the_tools_ecm_decodes_to_its_bin_and_its_edc_holds() {
    for (bin, ecm, _, _) in pairs() {
        let file = EcmFile::open(&ecm).expect("open ecm");
        file.verify().expect("the stored EDC matches");
        let data = std::fs::read(&bin).expect("read bin");
        let mut back = vec![0u8; file.len() as usize];
        file.read_exact_at(&mut back, 0).expect("decode");
        assert!(back == data, "{}", ecm.display());
        // One flipped byte in the stored data is found by the EDC.
        let dir = tempfile::tempdir().expect("temp dir");
        let mut bytes = std::fs::read(&ecm).expect("read");
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x40;
        let damaged = dir.path().join("damaged.bin.ecm");
        std::fs::write(&damaged, bytes).expect("write");
        let said = EcmFile::open(&damaged)
            .and_then(|f| f.verify())
            .expect_err("damage is found")
            .to_string();
        assert!(said.contains("damaged.bin.ecm"), "{said}");
    }
}

#[test]
fn i15_3_a_sheet_naming_a_bin_reads_the_ecm_beside_it() {
    for (_, ecm, sheet_by_ecm, sheet_by_bin) in pairs() {
        assert_eq!(
            disc_and_sectors(&sheet_by_ecm),
            disc_and_sectors(&sheet_by_bin),
            "{}",
            sheet_by_ecm.display()
        );
        let opened = discus::open(&sheet_by_ecm).expect("open");
        assert!(
            opened.source.files().contains(&ecm),
            "{:?}",
            opened.source.files()
        );
    }
}

#[test]
fn i15_3_a_lone_ecm_is_a_raw_track_and_writing_one_matches_the_tool() {
    let (bin, ecm, _, sheet) = pairs().pop().expect("the XA pair");
    // Alone: without the sheet beside it.
    let alone_dir = tempfile::tempdir().expect("temp dir");
    let alone = alone_dir.path().join("xa.bin.ecm");
    std::fs::copy(&ecm, &alone).expect("copy");
    let ecm_path = ecm;
    let ecm = alone;
    let opened = discus::open(&ecm).expect("open the lone ECM");
    assert_eq!(opened.format.name, "ecm");
    assert_eq!(disc_and_sectors(&ecm).1, std::fs::read(&bin).expect("bin"));
    let dir = tempfile::tempdir().expect("temp dir");
    let written = dir.path().join("xa.bin.ecm");
    let options = ConvertOptions {
        write: WriteOptions::default(),
        ..ConvertOptions::default()
    };
    discus::convert(&sheet, &written, &options).expect("convert to ECM");
    assert!(
        std::fs::read(&written).expect("written") == std::fs::read(&ecm_path).expect("theirs"),
        "discus's ECM of xa differs from the tool's"
    );
    // A multi-track disc needs its sheet: the lone ECM keeps the data track and says so.
    let mixed = samples().join("cue/mixed-single/mixed.cue");
    let refused = discus::convert(&mixed, &dir.path().join("m.bin.ecm"), &options);
    assert!(
        matches!(refused, Err(discus::Error::Lossy { .. })),
        "{refused:?}"
    );
}

#[test]
fn i15_3_a_toc_naming_a_bin_reads_the_ecm_beside_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let toc = dir.path().join("t.toc");
    let options = ConvertOptions::default();
    discus::convert(
        &samples().join("cue/mixed-single/mixed.cue"),
        &toc,
        &options,
    )
    .expect("write a TOC");
    let before = disc_and_sectors(&toc);
    let bin = dir.path().join("t.bin");
    let data = std::fs::read(&bin).expect("bin");
    let mut out = std::fs::File::create(dir.path().join("t.bin.ecm")).expect("create");
    encode(
        &mut std::io::Cursor::new(&data),
        data.len() as u64,
        &bin,
        &mut out,
    )
    .expect("encode");
    drop(out);
    std::fs::remove_file(&bin).expect("remove the BIN");
    assert_eq!(disc_and_sectors(&toc), before);
}

#[test]
fn i15_3_an_ecm_beside_its_sheet_is_opened_through_the_sheet() {
    let (_, ecm, sheet, _) = pairs().remove(0);
    let said = discus::open(&ecm)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        said.contains("open the sheet") && said.contains("mixed.cue"),
        "{said}"
    );
    assert_eq!(
        discus::open(&sheet)
            .expect("the sheet")
            .source
            .disc()
            .track_count(),
        3
    );
}

#[test]
fn i15_3_a_cue_written_with_ecm_keeps_its_bins_as_the_ecm_tool_would() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (bin, tool_ecm, _, sheet) in pairs() {
        let out = dir.path().join("out.cue");
        let options = ConvertOptions {
            write: WriteOptions {
                ecm: true,
                single_file: true,
                ..WriteOptions::default()
            },
            force: true,
            ..ConvertOptions::default()
        };
        discus::convert(&sheet, &out, &options).expect("cue to cue with ECM");
        // The sheet names out.bin, which is there only as out.bin.ecm — what the ecm tool made
        // of the same BIN, byte for byte — and reads back as the disc it came from.
        let text = std::fs::read_to_string(&out).expect("sheet");
        assert!(text.starts_with("FILE \"out.bin\" BINARY"), "{text}");
        assert!(!dir.path().join("out.bin").exists());
        assert!(
            std::fs::read(dir.path().join("out.bin.ecm")).expect("ecm")
                == std::fs::read(&tool_ecm).expect("tool's ecm"),
            "{}",
            bin.display()
        );
        assert_eq!(disc_and_sectors(&out), disc_and_sectors(&sheet));
    }
    // Only a sheet has BINs to keep so; other targets are refused before anything is written.
    let refused = discus::convert(
        &samples().join("cue/xa/xa.cue"),
        &dir.path().join("x.iso"),
        &ConvertOptions {
            write: WriteOptions {
                ecm: true,
                ..WriteOptions::default()
            },
            ..ConvertOptions::default()
        },
    );
    assert!(refused.is_err_and(|e| e.to_string().contains("--ecm")));
    assert!(!dir.path().join("x.iso").exists());
}
