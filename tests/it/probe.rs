//! Probing: every committed sample is recognised as the format its extension names, and still is
//! when it is renamed, because content outranks the extension.

use std::path::Path;

use discus_tests::{files_below, samples};

/// The format a sample's extension names. Data files of a sheet (`.bin` beside a `.cue`) belong
/// to the sheet's format.
fn expected(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    let sheet_beside = |sheet: &str| path.with_extension(sheet).is_file();
    Some(match ext.as_str() {
        "iso" => "iso",
        "img" if sheet_beside("ccd") => "ccd",
        "img" => "img",
        "bin" if sheet_beside("cue") => "cue",
        "bin" => "img",
        "cue" => "cue",
        "cso" => "cso",
        "zso" => "zso",
        "dax" => "dax",
        "nrg" => "nrg",
        "mds" => "mds",
        "ccd" => "ccd",
        "chd" => "chd",
        "cdi" => "cdi",
        _ => return None,
    })
}

/// Sample files that stand for a whole image: not the data files of a multi-file image (a
/// sheet's BINs are found through the sheet), and not the broken ones.
fn images() -> Vec<std::path::PathBuf> {
    let candidates: Vec<_> = files_below(&samples())
        .into_iter()
        .filter(|p| !p.components().any(|c| c.as_os_str() == "bad"))
        .filter(|p| expected(p).is_some())
        .collect();
    let mut data_files = Vec::new();
    for path in &candidates {
        if let Ok(opened) = discus::open(path) {
            let files = opened.source.files();
            if files.first() == Some(path) {
                data_files.extend(files.into_iter().skip(1));
            }
        }
    }
    candidates
        .into_iter()
        .filter(|p| !data_files.contains(p))
        .collect()
}

#[test]
fn every_sample_is_recognised_as_its_extension_says() {
    let images = images();
    assert!(
        images.len() >= 3,
        "samples/ holds too few images: {images:?}"
    );
    for path in images {
        let want = expected(&path).expect("filtered above");
        let got = discus::probe(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(got.name, want, "{}", path.display());
    }
}

#[test]
fn a_renamed_sample_is_still_recognised() {
    let dir = tempfile::tempdir().expect("temp dir");
    for path in images() {
        let want = expected(&path).expect("filtered above");
        // Images made of several files are found through their siblings; rename single files only.
        if path.extension().is_some_and(|e| e == "bin" || e == "cue") && want == "cue" {
            continue;
        }
        let renamed = dir.path().join("renamed.dat");
        std::fs::copy(&path, &renamed).expect("copy sample");
        let got = discus::probe(&renamed).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // A 2048-byte raw IMG and an ISO are the same bytes; either name is right.
        let same = got.name == want
            || (matches!(want, "img" | "iso") && matches!(got.name, "img" | "iso"));
        assert!(
            same,
            "{} renamed was taken for {}",
            path.display(),
            got.name
        );
    }
}

#[test]
fn garbage_is_not_recognised() {
    let bad = samples().join("bad").join("garbage.img");
    let error = discus::open(&bad).err().expect("garbage must not open");
    let message = error.to_string();
    assert!(message.contains("garbage.img"), "{message}");
}
