//! Shared helpers of the integration tests and the bench tooling: where the samples, the corpus and
//! the `discus` binary are, and how to require a peer tool.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub mod bench_disc;
pub mod harness;

/// The repository's top folder.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .to_path_buf()
}

/// The committed samples folder.
pub fn samples() -> PathBuf {
    repo().join("samples")
}

pub use discus_core::testing::{corpus, in_ci, peer, skip};

/// The `discus` binary of this build, built on first use (cargo does not build other packages'
/// binaries for a test).
pub fn discus_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test knows its own path");
        // target/<profile>/deps/it-… → target/<profile>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("tests run from target/<profile>/deps");
        let target_dir = profile_dir.parent().expect("profile folder has a parent");
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let mut build = Command::new(option_env!("CARGO").unwrap_or("cargo"));
        build
            .args([
                "build",
                "--quiet",
                "-p",
                "discus-cli",
                "--bin",
                "discus",
                "--target-dir",
            ])
            .arg(target_dir)
            .current_dir(repo());
        if release {
            build.arg("--release");
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "building the discus binary failed");
        profile_dir.join(format!("discus{}", std::env::consts::EXE_SUFFIX))
    })
}

/// Runs `discus` with `args` and returns its output.
pub fn discus(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(discus_bin())
        .args(args)
        .output()
        .expect("discus starts")
}

/// Runs a command and returns its output, failing the test if it cannot start.
pub fn run(program: &Path, args: &[&std::ffi::OsStr], dir: &Path) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{} does not start: {e}", program.display()))
}

/// Every file below `folder`, sorted.
pub fn files_below(folder: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Names of the files in `folder` (no subfolders), sorted: to check that a failure left nothing.
pub fn listing(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Feeds `image` (a cue sheet or an NRG) to `chdman createcd`, extracts the CHD again with
/// `chdman extractcd` into `dir`, and returns the extracted sheet: what an image looks like after a
/// round trip through MAME's reader. Fails the test when chdman refuses either step.
pub fn chdman_round_trip(chdman: &Path, image: &Path, dir: &Path) -> PathBuf {
    use std::ffi::OsStr;
    let chd = dir.join("t.chd");
    let made = run(
        chdman,
        &[
            OsStr::new("createcd"),
            OsStr::new("-i"),
            image.as_os_str(),
            OsStr::new("-o"),
            chd.as_os_str(),
            OsStr::new("-f"),
        ],
        dir,
    );
    assert!(
        made.status.success(),
        "createcd {}: {}",
        image.display(),
        String::from_utf8_lossy(&made.stderr)
    );
    let back = dir.join("back.cue");
    let bin = dir.join("back.bin");
    let extracted = run(
        chdman,
        &[
            OsStr::new("extractcd"),
            OsStr::new("-i"),
            chd.as_os_str(),
            OsStr::new("-o"),
            back.as_os_str(),
            OsStr::new("-ob"),
            bin.as_os_str(),
            OsStr::new("-f"),
        ],
        dir,
    );
    assert!(
        extracted.status.success(),
        "extractcd {}: {}",
        image.display(),
        String::from_utf8_lossy(&extracted.stderr)
    );
    back
}

/// The rows of `cd-info`'s track list for an image (`kind` is `cue` or `nrg`): (track number,
/// LSN), the lead-out as 170. `None` when cd-info refuses the image.
pub fn cd_info_tracks(cd_info: &Path, kind: &str, image: &Path) -> Option<Vec<(u32, i64)>> {
    let flag = format!("--{kind}-file");
    let output = run(
        cd_info,
        &[
            std::ffi::OsStr::new("--no-device-info"),
            std::ffi::OsStr::new("--no-cddb"),
            std::ffi::OsStr::new("--no-analyze"),
            std::ffi::OsStr::new(&flag),
            image.as_os_str(),
        ],
        image.parent().unwrap_or(Path::new(".")),
    );
    let text = String::from_utf8_lossy(&output.stdout);
    // Rows look like "  1: 00:02:00  000000 data  false  no" and "170: 00:06:48  000348 leadout".
    let rows: Vec<(u32, i64)> = text
        .lines()
        .filter_map(|line| {
            let (number, rest) = line.trim().split_once(':')?;
            let number = number.trim().parse::<u32>().ok()?;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            Some((number, fields.get(1)?.parse().ok()?))
        })
        .collect();
    (output.status.success() && !rows.is_empty()).then_some(rows)
}
