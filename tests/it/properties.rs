//! Property tests, run in CI: no reader panics on arbitrary or damaged bytes, and every writer
//! gives back every sector of arbitrary small discs. The fuzz targets (`fuzz/`) run the same
//! harness for much longer.

use discus::WriteOptions;
use discus_tests::harness::{open_and_read, round_trip, writers};
use discus_tests::{files_below, samples};
use proptest::prelude::*;

/// Each reader with the file name it is given and the siblings a multi-file image needs.
fn readers() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    let mut readers = vec![
        ("iso", "disc.iso", vec![]),
        ("img", "disc.img", vec![]),
        ("cue", "disc.cue", vec!["disc.bin"]),
    ];
    for (format, name, siblings) in [
        ("cso", "disc.cso", vec![]),
        ("zso", "disc.zso", vec![]),
        ("dax", "disc.dax", vec![]),
        ("nrg", "disc.nrg", vec![]),
        ("mds", "disc.mds", vec!["disc.mdf"]),
        ("ccd", "disc.ccd", vec!["disc.img", "disc.sub"]),
        ("toc", "disc.toc", vec!["disc.bin"]),
        ("ecm", "disc.bin.ecm", vec![]),
        ("gdi", "disc.gdi", vec!["track01.bin"]),
    ] {
        if discus::find(format).is_some_and(|f| f.name == format) {
            readers.push((format, name, siblings));
        }
    }
    readers
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn no_reader_panics_on_arbitrary_bytes(
        which in 0usize..16,
        bytes in proptest::collection::vec(any::<u8>(), 0..20_000),
        sibling in proptest::collection::vec(any::<u8>(), 0..12_000),
    ) {
        let readers = readers();
        let (format, name, siblings) = &readers[which % readers.len()];
        let given: Vec<(&str, &[u8])> = siblings.iter().map(|s| (*s, &sibling[..])).collect();
        // Ok or Err are both fine; a panic fails the test.
        let _ = open_and_read(format, name, &bytes, &given);
    }

    #[test]
    fn every_writer_gives_back_every_sector(spec in proptest::collection::vec(any::<u8>(), 24)) {
        for format in writers() {
            let options = WriteOptions::default();
            prop_assert_eq!(round_trip(format, &spec, &options), Ok(()));
        }
    }
}

/// Damaged real files reach deeper than random bytes: each sample with bytes flipped at spread
/// positions, opened by every reader that claims it.
#[test]
fn damaged_samples_never_panic_a_reader() {
    let mut damaged = 0;
    for path in files_below(&samples()) {
        let Ok(format) = discus::probe(&path) else {
            continue;
        };
        let Ok(original) = std::fs::read(&path) else {
            continue;
        };
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("disc")
            .to_string();
        // A sheet's data files stay whole beside it.
        let siblings: Vec<(String, Vec<u8>)> = discus_tests::harness::files_of(&path)
            .into_iter()
            .filter(|f| f != &path)
            .filter_map(|f| {
                Some((
                    f.file_name()?.to_str()?.to_string(),
                    std::fs::read(&f).ok()?,
                ))
            })
            .collect();
        let given: Vec<(&str, &[u8])> =
            siblings.iter().map(|(n, b)| (n.as_str(), &b[..])).collect();
        for step in 1..=16u64 {
            let mut bytes = original.clone();
            if bytes.is_empty() {
                break;
            }
            for k in 0..8u64 {
                let at =
                    ((step * 7919 + k * 104_729) * 2_654_435_761 % bytes.len() as u64) as usize;
                bytes[at] ^= 0x5a ^ (k as u8);
            }
            let _ = open_and_read(format.name, &name, &bytes, &given);
            damaged += 1;
        }
    }
    assert!(damaged > 50, "too few damaged samples exercised: {damaged}");
}
