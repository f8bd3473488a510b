//! For the tests of format crates (behind the `testing` feature): a synthetic disc of any layout,
//! every sector's bytes computed from its track and address (valid sync, header, EDC and ECC on
//! data sectors; noise for audio and subchannel), so round trips can be checked sector by sector
//! without sample files.

// Test support: a helper that fails is a failing test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use crate::sector::{DATA_SUBHEADER, RAW_SIZE, SUBCHANNEL_SIZE, USER_SIZE};
use crate::sector::{encode_form1, encode_mode1};
use crate::{
    Check, Destination, Disc, Error, Form, Format, Gap, Lba, Result, SectorSource, Session,
    Subchannel, Track, TrackMode, WriteOptions, read_sectors,
};

/// Bytes that depend on (seed, lba, salt) only.
fn noise(seed: u64, lba: Lba, salt: u64, out: &mut [u8]) {
    let mut x = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add((lba.0 as i64 as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(salt.wrapping_mul(0x94D0_49BB_1331_11EB))
        | 1;
    for byte in out.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *byte = (x >> 32) as u8;
    }
}

/// `len` bytes of deterministic noise from `seed`: data nothing can predict or pack, the same on
/// every run.
pub fn noise_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; len];
    noise(seed, Lba(0), 0, &mut out);
    out
}

/// The user data of a data sector.
pub fn user(track: usize, lba: Lba) -> Vec<u8> {
    let mut data = vec![0u8; USER_SIZE];
    noise(track as u64, lba, 1, &mut data);
    data
}

/// The whole main channel of a sector.
pub fn raw(mode: TrackMode, track: usize, lba: Lba) -> Vec<u8> {
    let mut sector = [0u8; RAW_SIZE];
    match mode {
        TrackMode::Audio => noise(track as u64, lba, 2, &mut sector),
        TrackMode::Mode1 => encode_mode1(lba, &user(track, lba), &mut sector),
        TrackMode::Mode2 | TrackMode::Mode2Xa => {
            encode_form1(lba, DATA_SUBHEADER, &user(track, lba), &mut sector)
        }
    }
    sector.to_vec()
}

/// The interleaved subchannel of a sector.
pub fn sub(track: usize, lba: Lba) -> Vec<u8> {
    let mut data = vec![0u8; SUBCHANNEL_SIZE];
    noise(track as u64, lba, 3, &mut data);
    data
}

/// A sector in `form`.
pub fn sector(mode: TrackMode, track: usize, lba: Lba, form: Form) -> Vec<u8> {
    match form {
        Form::Cooked => user(track, lba),
        Form::Mode2 => raw(mode, track, lba)[16..].to_vec(),
        Form::Raw => raw(mode, track, lba),
        Form::RawSub => {
            let mut s = raw(mode, track, lba);
            s.extend(sub(track, lba));
            s
        }
    }
}

/// A source over a layout, storing every track in `forms[i]`.
pub struct Synthetic {
    /// The layout.
    pub disc: Disc,
    /// The form each track is stored in.
    pub forms: Vec<Form>,
    /// Reading this track fails (to test that nothing is left behind).
    pub fail_on: Option<usize>,
}

impl SectorSource for Synthetic {
    fn disc(&self) -> &Disc {
        &self.disc
    }

    fn stored_form(&self, track: usize) -> Form {
        self.forms[track]
    }

    fn read(&mut self, track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
        if self.fail_on == Some(track) {
            return Err(Error::Usage("synthetic read failure".to_string()));
        }
        let form = self.forms[track];
        let t = self.disc.track(track).unwrap().clone();
        for (i, chunk) in buf.chunks_exact_mut(form.size()).enumerate() {
            let at = Lba(lba.0 + i as i32);
            assert!(
                at >= t.first_lba() && at < t.end_lba(),
                "read outside track"
            );
            if at < t.start {
                assert!(t.pregap.stored, "read of an unstored pregap at {at}");
            }
            if at >= t.data_end() {
                assert!(t.postgap.stored, "read of an unstored postgap at {at}");
            }
            chunk.copy_from_slice(&sector(t.mode, track, at, form));
        }
        Ok(())
    }

    fn files(&self) -> Vec<PathBuf> {
        Vec::new()
    }
}

/// A track with no gaps or metadata.
pub fn track(number: u8, mode: TrackMode, start: i32, length: u32) -> Track {
    Track::new(number, mode, Lba(start), length)
}

/// A disc of sessions of tracks.
pub fn disc(sessions: Vec<Vec<Track>>) -> Disc {
    Disc {
        sessions: sessions
            .into_iter()
            .enumerate()
            .map(|(i, tracks)| Session {
                number: i as u8 + 1,
                tracks,
            })
            .collect(),
        ..Disc::default()
    }
}

/// A mixed-mode, two-session disc with every kind of gap: track 1 Mode 1; track 2 audio with a
/// stored pregap; track 3 audio with a generated pregap and postgap and an INDEX 02; session 2
/// a Mode 2 XA track 11400 sectors after session 1.
pub fn mixed_multisession() -> Disc {
    let t1 = track(1, TrackMode::Mode1, 0, 300);
    let mut t2 = track(2, TrackMode::Audio, 450, 200);
    t2.pregap = Gap::stored(150);
    let mut t3 = track(3, TrackMode::Audio, 725, 120);
    t3.pregap = Gap::generated(75);
    t3.postgap = Gap::generated(10);
    let end = 725 + 120 + 10;
    let t4 = track(4, TrackMode::Mode2Xa, end + 11_400, 100);
    disc(vec![vec![t1, t2, t3], vec![t4]])
}

/// Runs a whole conversion of `source` into `format` at `path`.
pub fn convert(
    source: &mut dyn SectorSource,
    format: &Format,
    path: &Path,
    options: &WriteOptions,
) -> Result<crate::Plan> {
    let writer = format.writer.expect("the format writes");
    let plan = (writer.plan)(&*source, options)?;
    let destination = Destination {
        path: path.to_path_buf(),
        force: false,
        inputs: source.files(),
        durable: false,
        run: None,
    };
    let sink = (writer.create)(&destination, &plan, options)?;
    crate::convert(source, &plan, sink, &Default::default())?;
    Ok(plan)
}

/// Every sector of every track, gaps included, in `form`.
pub fn all_sectors(source: &mut dyn SectorSource, form: Form) -> Vec<Vec<u8>> {
    let tracks: Vec<Track> = source.disc().tracks().cloned().collect();
    let mut out = Vec::new();
    let mut scratch = Vec::new();
    let mut check = Check::default();
    for (index, track) in tracks.iter().enumerate() {
        let count = track.total_sectors() as usize;
        let mut buf = vec![0u8; count * form.size()];
        read_sectors(
            source,
            index,
            track.first_lba(),
            count,
            form,
            &mut buf,
            &mut scratch,
            &mut check,
        )
        .unwrap();
        out.push(buf);
    }
    assert!(check.is_clean());
    out
}

/// A stored-subchannel copy of `disc` (every track stored 2448 bytes a sector).
pub fn with_subchannel(mut disc: Disc) -> (Disc, Vec<Form>) {
    disc.subchannel = Some(Subchannel::Stored);
    let forms = vec![Form::RawSub; disc.track_count()];
    (disc, forms)
}

/// Whether this run is CI (`CI=true`), where a test that cannot run is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Says that the running test cannot run for `why` (a peer tool or the shared corpus is missing).
/// In CI that fails the test; elsewhere it prints a note and, when the test command set
/// `DISCUS_SKIP_LOG`, records the reason there so the run ends with a summary of everything skipped
/// instead of counting the test as passed in silence.
pub fn skip(why: &str) {
    // The test harness names each test's thread after the test.
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    if in_ci() {
        panic!("{test}: {why}; CI must have everything the tests need (.ci/run installs it)");
    }
    eprintln!("skipped: {test}: {why}");
    if let Some(log) = std::env::var_os("DISCUS_SKIP_LOG") {
        use std::io::Write;
        // One short write in append mode: lines of tests running at once do not interleave.
        let line = format!("{why}\t{test}\n");
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .and_then(|mut f| f.write_all(line.as_bytes()));
    }
}

/// The repository's top folder (two above this crate).
fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A folder of the shared corpus of third-party images (`../shared/corpus/NAME` beside the
/// repository), or `None` after [`skip`] (a failure in CI) when it is absent.
pub fn corpus(name: &str) -> Option<PathBuf> {
    let folder = repository().join("../shared/corpus").join(name);
    if folder.is_dir() {
        Some(folder)
    } else {
        skip(&format!(
            "the shared corpus folder {name} is absent (../shared/corpus/{name})"
        ));
        None
    }
}

/// The peer tool `name` on the PATH, or `None` after [`skip`] (a failure in CI).
pub fn peer(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        skip(&format!("peer tool {name} is not installed"));
    }
    found
}
