//! What a conversion may do to the files around its output (issue 11, items 10, 11, 12 and 18): it
//! never replaces a file that appeared while it ran, cleans up after every signal a job runner
//! sends, writes only regular files, keeps its thread count sane and says what went wrong once.

use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use discus_tests::{discus, discus_bin, listing, samples};

fn data_cue() -> PathBuf {
    samples().join("cue/data/data.cue")
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A sparse 256 MiB ISO: cheap to read, slow enough to turn into 2352-byte sectors (EDC and ECC
/// for every sector) that a conversion of it is still running a moment after it starts. (64 MiB
/// was no longer enough once the conversion loop checked on every core while it wrote.)
fn slow_input(dir: &Path) -> PathBuf {
    let input = dir.join("big.iso");
    File::create(&input)
        .and_then(|f| f.set_len(256 << 20))
        .expect("sparse file");
    input
}

fn start_slow_conversion(input: &Path, output: &Path) -> Child {
    let child = Command::new(discus_bin())
        .args(["convert", "--sector-size", "2352"])
        .arg(input)
        .arg(output)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("discus starts");
    std::thread::sleep(Duration::from_millis(500));
    child
}

#[test]
fn i11_10_the_final_rename_never_replaces_a_file_that_appeared_meanwhile() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = slow_input(dir.path());
    let output = dir.path().join("out.img");
    let mut child = start_slow_conversion(&input, &output);
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "the conversion ended before the other writer came; make the input larger"
    );
    // Someone else (a second discus, a user) writes the same name while the first one runs.
    std::fs::write(&output, b"the other writer's file").expect("write");
    let result = child.wait_with_output().expect("wait");
    assert_eq!(result.status.code(), Some(2), "{}", stderr_of(&result));
    assert!(
        stderr_of(&result).contains("already exists"),
        "{}",
        stderr_of(&result)
    );
    assert_eq!(
        std::fs::read(&output).expect("read"),
        b"the other writer's file"
    );
    assert_eq!(listing(dir.path()), ["big.iso", "out.img"]);
}

#[cfg(unix)]
#[test]
fn i11_11_sigterm_and_sighup_stop_a_conversion_and_leave_no_part_file() {
    for signal in ["-TERM", "-HUP"] {
        let dir = tempfile::tempdir().expect("temp dir");
        let input = slow_input(dir.path());
        let output = dir.path().join("out.img");
        let child = start_slow_conversion(&input, &output);
        let sent = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let result = child.wait_with_output().expect("wait");
        assert_eq!(
            result.status.code(),
            Some(2),
            "{signal}: {}",
            stderr_of(&result)
        );
        assert!(
            stderr_of(&result).contains("interrupted"),
            "{signal}: {}",
            stderr_of(&result)
        );
        assert_eq!(listing(dir.path()), ["big.iso"], "{signal}");
    }
}

#[cfg(unix)]
#[test]
fn i11_11_a_conversion_removes_the_leftovers_of_its_own_output_and_nothing_else() {
    let dir = tempfile::tempdir().expect("temp dir");
    // What a SIGKILL leaves: a temporary file of out.iso that nobody holds.
    let stale = dir.path().join(".discus-out.iso.x1y2z3.part");
    std::fs::write(&stale, vec![0u8; 4096]).expect("stale part");
    // A conversion of the same name still under way holds its file locked.
    let live = dir.path().join(".discus-out.iso.a1b2c3.part");
    let held = File::create(&live).expect("live part");
    held.lock().expect("lock");
    // Another output's leftover is not this conversion's business.
    let other = dir.path().join(".discus-other.iso.q1w2e3.part");
    std::fs::write(&other, b"x").expect("other part");

    let output = dir.path().join("out.iso");
    let result = discus(&[
        OsStr::new("convert"),
        data_cue().as_os_str(),
        output.as_os_str(),
    ]);
    assert_eq!(result.status.code(), Some(0), "{}", stderr_of(&result));
    assert!(!stale.exists(), "the unheld leftover is removed");
    assert!(live.exists(), "a live conversion's file is left alone");
    assert!(other.exists(), "another output's leftover is left alone");
    assert!(output.is_file());
}

#[cfg(unix)]
#[test]
fn i11_11_a_fifo_or_a_device_is_never_an_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("out.iso");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let cue = data_cue();
    for force in [false, true] {
        let mut args = vec![OsStr::new("convert"), cue.as_os_str(), fifo.as_os_str()];
        if force {
            args.push(OsStr::new("--force"));
        }
        let result = discus(&args);
        assert_eq!(result.status.code(), Some(2), "{}", stderr_of(&result));
        assert!(
            stderr_of(&result).contains("not a regular file"),
            "{}",
            stderr_of(&result)
        );
    }
    // /dev/null with --force would otherwise be replaced by an ISO (as root, for real).
    let result = discus(&[
        OsStr::new("convert"),
        data_cue().as_os_str(),
        OsStr::new("/dev/null"),
        OsStr::new("--to"),
        OsStr::new("iso"),
        OsStr::new("--force"),
    ]);
    assert_eq!(result.status.code(), Some(2), "{}", stderr_of(&result));
    assert!(
        stderr_of(&result).contains("not a regular file"),
        "{}",
        stderr_of(&result)
    );
    assert!(
        std::fs::metadata("/dev/null")
            .map(|m| !m.is_file())
            .unwrap_or(false)
    );
}

#[test]
fn i11_12_threads_are_capped_and_the_cap_is_said() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = dir.path().join("out.cso");
    let started = std::time::Instant::now();
    let result = discus(&[
        OsStr::new("--threads"),
        OsStr::new("100000"),
        OsStr::new("convert"),
        samples().join("iso/data.iso").as_os_str(),
        output.as_os_str(),
    ]);
    assert_eq!(result.status.code(), Some(0), "{}", stderr_of(&result));
    assert!(
        stderr_of(&result).contains("four per core"),
        "{}",
        stderr_of(&result)
    );
    // 100,000 threads never finished before the cap; a capped run takes well under a minute
    // even on a loaded machine.
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(output.is_file());
}

/// Runs a conversion that must fail and returns its one line of stderr.
fn one_error_line(args: &[&OsStr]) -> String {
    let result = discus(args);
    assert_eq!(result.status.code(), Some(2), "{}", stderr_of(&result));
    let text = stderr_of(&result);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one line, not {}: {text}", lines.len());
    assert!(
        !text.contains(".discus-"),
        "a temporary name leaked into: {text}"
    );
    text
}

#[test]
fn i11_18_each_failure_is_one_clear_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cue = data_cue();

    // A missing output folder names the folder, not a temporary file.
    let missing = dir.path().join("nope").join("out.iso");
    let text = one_error_line(&[OsStr::new("convert"), cue.as_os_str(), missing.as_os_str()]);
    assert!(text.contains("does not exist"), "{text}");

    // An existing folder as the output: one line that says what to do.
    let text = one_error_line(&[
        OsStr::new("convert"),
        cue.as_os_str(),
        dir.path().as_os_str(),
    ]);
    assert!(text.contains("is a folder"), "{text}");
    assert!(text.contains("data.iso"), "{text}");

    // The system's reason is printed once, not once per layer of the error.
    let absent = dir.path().join("absent.cue");
    let out = dir.path().join("out.iso");
    let text = one_error_line(&[OsStr::new("convert"), absent.as_os_str(), out.as_os_str()]);
    let reason = "No such file or directory";
    assert_eq!(text.matches(reason).count(), 1, "{text}");
}

#[test]
fn i14_1_a_durable_conversion_writes_the_same_bytes() {
    // More than one early-writeback step (64 MiB) so the background flush runs during the write.
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("in.iso");
    File::create(&input)
        .and_then(|f| f.set_len(150 << 20))
        .expect("sparse file");
    let plain = dir.path().join("plain.iso");
    let durable = dir.path().join("durable.iso");
    for (output, sync) in [(&plain, false), (&durable, true)] {
        let mut args = vec![OsStr::new("convert"), input.as_os_str(), output.as_os_str()];
        if sync {
            args.push(OsStr::new("--sync"));
        }
        let result = discus(&args);
        assert_eq!(result.status.code(), Some(0), "{}", stderr_of(&result));
    }
    let a = std::fs::read(&plain).expect("read");
    let b = std::fs::read(&durable).expect("read");
    assert_eq!(a.len(), 150 << 20);
    assert!(a == b, "a durable conversion wrote other bytes");
    assert_eq!(listing(dir.path()), ["durable.iso", "in.iso", "plain.iso"]);
}

#[test]
fn i11_18_a_warning_repeated_on_100000_lines_is_said_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        samples().join("cue/data/data.bin"),
        dir.path().join("data.bin"),
    )
    .expect("bin");
    let mut sheet =
        String::from("FILE \"data.bin\" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n");
    for _ in 0..100_000 {
        sheet.push_str("FROB 1\n");
    }
    let cue = dir.path().join("many.cue");
    std::fs::write(&cue, sheet).expect("cue");
    let result = discus(&[OsStr::new("info"), cue.as_os_str()]);
    assert_eq!(result.status.code(), Some(0), "{}", stderr_of(&result));
    let text = stderr_of(&result);
    let warnings: Vec<&str> = text.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{text}");
    assert!(
        warnings[0].contains("lines 4, 5, 6 and 99997 more"),
        "{text}"
    );
}

#[test]
fn i11_22_the_result_line_names_the_wav_files_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = dir.path().join("m.iso");
    let result = discus(&[
        OsStr::new("convert"),
        samples().join("cue/mixed/mixed.cue").as_os_str(),
        iso.as_os_str(),
        OsStr::new("--audio"),
        OsStr::new("wav"),
    ]);
    assert_eq!(result.status.code(), Some(0), "{}", stderr_of(&result));
    let line = String::from_utf8_lossy(&result.stdout).into_owned();
    let wavs: Vec<String> = listing(dir.path())
        .into_iter()
        .filter(|name| name.ends_with(".wav"))
        .collect();
    assert!(!wavs.is_empty());
    for wav in &wavs {
        assert!(line.contains(wav.as_str()), "{wav} not named in: {line}");
    }
}
