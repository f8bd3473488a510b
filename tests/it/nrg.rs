//! NRG through the facade and against peers nobody here wrote: libcdio's `cd-info`, MAME's
//! `chdman`, `nrg2iso` and `iat`. Images come from the libcdio corpus and `samples/nrg/`, whose
//! files must be what the writer makes today from `samples/iso/data.iso` and the mixed-mode cue.

use std::path::{Path, PathBuf};

use discus::core::{Check, Form, TrackMode, read_sectors};
use discus::{ConvertOptions, WriteOptions};
use discus_tests::{corpus, peer, run, samples};

fn convert(input: &Path, output: &Path) -> discus::Outcome {
    convert_with(input, output, false)
}

/// `allow_lossy` for the mixed sample, whose INDEX 02 an NRG cannot hold (issue 11, item 9).
fn convert_with(input: &Path, output: &Path, allow_lossy: bool) -> discus::Outcome {
    let options = ConvertOptions {
        force: true,
        write: WriteOptions {
            allow_lossy,
            ..WriteOptions::default()
        },
        ..ConvertOptions::default()
    };
    discus::convert(input, output, &options)
        .unwrap_or_else(|e| panic!("{} -> {}: {e}", input.display(), output.display()))
}

/// The track bodies (INDEX 01 to the end, postgap included) of an image: user data for Mode 1,
/// whole sectors for the rest, with each track's number and start.
fn bodies(path: &Path) -> Vec<(u8, i32, Vec<u8>)> {
    let mut source = discus::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .source;
    let tracks: Vec<_> = source.disc().tracks().cloned().collect();
    tracks
        .iter()
        .enumerate()
        .map(|(index, track)| {
            let form = if track.mode == TrackMode::Mode1 {
                Form::Cooked
            } else {
                Form::Raw
            };
            let count = track.end_lba().distance_from(track.start) as usize;
            let mut out = vec![0u8; count * form.size()];
            read_sectors(
                &mut *source,
                index,
                track.start,
                count,
                form,
                &mut out,
                &mut Vec::new(),
                &mut Check::default(),
            )
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (track.number, track.start.0, out)
        })
        .collect()
}

fn assert_same_bodies(a: &Path, b: &Path) {
    let (left, right) = (bodies(a), bodies(b));
    assert_eq!(
        left.len(),
        right.len(),
        "{} vs {}",
        a.display(),
        b.display()
    );
    // Every format places the tracks at the same addresses (p1.nrg's track 1 at 150 too).
    for (l, r) in left.iter().zip(&right) {
        assert_eq!((l.0, l.1), (r.0, r.1), "{} vs {}", a.display(), b.display());
        assert!(
            l.2 == r.2,
            "track {} differs: {} vs {}",
            l.0,
            a.display(),
            b.display()
        );
    }
}

/// The mixed-mode cue sample (Mode 1 data, then audio with a stored and a generated pregap).
fn mixed_cue() -> PathBuf {
    samples().join("cue").join("mixed").join("mixed.cue")
}

/// A committed NRG sample.
fn sample(name: &str) -> PathBuf {
    let path = samples().join("nrg").join(name);
    assert!(
        path.is_file(),
        "{} is missing: run samples/make.sh",
        path.display()
    );
    path
}

/// The NRG samples and where each comes from.
fn nrg_samples() -> Vec<(PathBuf, PathBuf)> {
    vec![
        (sample("data.nrg"), samples().join("iso").join("data.iso")),
        (sample("mixed.nrg"), mixed_cue()),
    ]
}

#[test]
fn samples_are_what_the_writer_makes_and_read_back_identically() {
    let temp = tempfile::tempdir().expect("temp dir");
    for (sample, origin) in nrg_samples() {
        let fresh = temp.path().join(sample.file_name().expect("name"));
        convert_with(&origin, &fresh, true);
        assert!(
            std::fs::read(&fresh).expect("fresh") == std::fs::read(&sample).expect("sample"),
            "{} is not what the writer makes from {} today: run samples/make.sh",
            sample.display(),
            origin.display()
        );
        assert_same_bodies(&origin, &sample);
    }
    // And back to an ISO, byte for byte.
    let iso = temp.path().join("back.iso");
    convert(&sample("data.nrg"), &iso);
    assert!(
        std::fs::read(&iso).expect("iso")
            == std::fs::read(samples().join("iso").join("data.iso")).expect("data.iso")
    );
}

#[test]
fn corpus_nrgs_through_bin_cue_and_back_keep_every_sector() {
    let Some(dir) = corpus("libcdio") else { return };
    let temp = tempfile::tempdir().expect("temp dir");
    for name in ["p1.nrg", "videocd.nrg"] {
        let nrg = dir.join(name);
        let first = temp.path().join(format!("{name}-1.cue"));
        let again = temp.path().join(format!("{name}-2.nrg"));
        let second = temp.path().join(format!("{name}-3.cue"));
        convert(&nrg, &first);
        convert(&first, &again);
        convert(&again, &second);
        assert_same_bodies(&nrg, &first);
        assert_same_bodies(&first, &again);
        assert_same_bodies(&first, &second);
        assert_eq!(
            discus::open(&nrg).expect("nrg").format.name,
            "nrg",
            "{name} probes as NRG"
        );
    }
}

/// Rows of `cd-info`'s track list: (track number, LSN), the lead-out as 170.
fn cd_info_rows(cd_info: &Path, nrg: &Path) -> Vec<(u32, i64)> {
    discus_tests::cd_info_tracks(cd_info, "nrg", nrg)
        .unwrap_or_else(|| panic!("cd-info refuses {}", nrg.display()))
}

#[test]
fn cd_info_lists_the_tracks_and_lead_out_we_wrote() {
    let Some(cd_info) = peer("cd-info") else {
        return;
    };
    let temp = tempfile::tempdir().expect("temp dir");
    let mut images: Vec<PathBuf> = nrg_samples().into_iter().map(|(nrg, _)| nrg).collect();
    if let Some(dir) = corpus("libcdio") {
        for name in ["p1.nrg", "videocd.nrg"] {
            let ours = temp.path().join(name);
            convert(&dir.join(name), &ours);
            images.push(ours);
        }
    }
    for nrg in images {
        let disc = discus::open(&nrg).expect("open").source.disc().clone();
        let mut expected: Vec<(u32, i64)> = disc
            .tracks()
            .map(|t| (u32::from(t.number), i64::from(t.start.0)))
            .collect();
        expected.push((170, i64::from(disc.lead_out().expect("lead-out").0)));
        assert_eq!(cd_info_rows(&cd_info, &nrg), expected, "{}", nrg.display());
    }
}

#[test]
fn chdman_reads_our_nrg_and_gives_back_the_same_data_sectors() {
    let Some(chdman) = peer("chdman") else { return };
    let temp = tempfile::tempdir().expect("temp dir");
    for (nrg, _) in nrg_samples() {
        let back = discus_tests::chdman_round_trip(&chdman, &nrg, temp.path());
        let (ours, theirs) = (bodies(&nrg), bodies(&back));
        assert_eq!(ours.len(), theirs.len(), "{}", nrg.display());
        // chdman places track N at the sum of the earlier tracks' bodies plus N's own pregap,
        // leaving out the earlier tracks' stored pregaps (Nero's own multi-track images read
        // the same way): only a disc's first track reads back where it is. It is the data track
        // of both samples.
        for ((number, _, our), (_, _, their)) in ours.iter().zip(&theirs).take(1) {
            assert!(
                our == their,
                "{} track {number}: chdman reads other sectors",
                nrg.display()
            );
        }
        for ((number, _, our), (_, _, their)) in ours.iter().zip(&theirs) {
            assert_eq!(
                our.len(),
                their.len(),
                "{} track {number} length",
                nrg.display()
            );
        }
    }
}

#[test]
fn nrg2iso_and_iat_give_our_iso_as_a_prefix() {
    let temp = tempfile::tempdir().expect("temp dir");
    let nrg = sample("data.nrg");
    let iso = std::fs::read(samples().join("iso").join("data.iso")).expect("data.iso");
    for tool in ["nrg2iso", "iat"] {
        let Some(program) = peer(tool) else { continue };
        let out = temp.path().join(format!("{tool}.iso"));
        let output = run(&program, &[nrg.as_os_str(), out.as_os_str()], temp.path());
        assert!(
            output.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let made = std::fs::read(&out).expect("tool output");
        assert!(
            made.len() >= iso.len() && made[..iso.len()] == iso[..],
            "{tool}: its ISO does not start with ours"
        );
    }
}
