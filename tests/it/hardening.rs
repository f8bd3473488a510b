//! Bad input never hurts: every committed sample cut at several lengths, and every deliberately
//! broken file, either converts or fails with exit code 2 and a message naming the file — never a
//! panic, never an output file, never a change to the input. Runs run under a 2 GiB address-space
//! limit, so a header claiming a huge size cannot make discus allocate it.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use discus_tests::{corpus, discus_bin, files_below, listing, samples};

/// Runs discus with a memory ceiling (when `prlimit` exists) in `dir`.
fn limited(args: &[&OsStr], dir: &Path) -> Output {
    let prlimit = Path::new("/usr/bin/prlimit");
    let mut command = if prlimit.is_file() {
        let mut c = Command::new(prlimit);
        c.arg("--as=2147483648").arg(discus_bin());
        c
    } else {
        Command::new(discus_bin())
    };
    command
        .args(args)
        .current_dir(dir)
        .output()
        .expect("discus starts")
}

/// Checks the rules for one run on `input` whose files are `files`: success, or exit 2 naming a
/// file; no panic; nothing but the inputs left in `dir`; inputs unchanged.
fn assert_clean_outcome(
    output: &Output,
    input: &Path,
    files: &[(PathBuf, Vec<u8>)],
    dir: &Path,
    what: &str,
) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{what}: panic: {stderr}");
    match output.status.code() {
        Some(0) => {}
        Some(2) => {
            let named = files.iter().any(|(f, _)| {
                f.file_name()
                    .is_some_and(|n| stderr.contains(&*n.to_string_lossy()))
            }) || stderr.contains(&*input.to_string_lossy());
            assert!(named, "{what}: the error names no input file: {stderr}");
            let mut inputs: Vec<String> = files
                .iter()
                .filter_map(|(f, _)| f.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect();
            inputs.sort();
            inputs.dedup();
            assert_eq!(
                listing(dir),
                inputs,
                "{what}: a failed run left files behind"
            );
        }
        other => panic!("{what}: exit code {other:?}: {stderr}"),
    }
    for (file, bytes) in files {
        assert!(
            std::fs::read(file).ok().as_deref() == Some(&bytes[..]),
            "{what}: {} was changed",
            file.display()
        );
    }
}

/// The images among the samples: one entry per image, the files it is made of.
fn sample_images() -> Vec<Vec<PathBuf>> {
    let mut images = Vec::new();
    for path in files_below(&samples()) {
        if path
            .components()
            .any(|c| c.as_os_str() == "bad" || c.as_os_str() == "recipes")
        {
            continue;
        }
        let Ok(opened) = discus::open(&path) else {
            continue;
        };
        let files = opened.source.files();
        // An image made of several files is listed once, from its first file (the sheet).
        if files.first() == Some(&path) || (files.len() == 1 && files[0] != path) {
            images.push(files);
        }
    }
    images.sort();
    images.dedup();
    images
}

#[test]
fn every_sample_cut_short_fails_cleanly_or_converts() {
    let images = sample_images();
    assert!(images.len() >= 3, "too few sample images: {images:?}");
    for files in images {
        let sheet = &files[0];
        for (victim_index, victim) in files.iter().enumerate() {
            let len = std::fs::metadata(victim).expect("size").len();
            let mut cuts = vec![0, 1, 16, 2047, 2353, len / 2, len.saturating_sub(1)];
            cuts.retain(|&c| c < len);
            cuts.dedup();
            for cut in cuts {
                let dir = tempfile::tempdir().expect("temp dir");
                let mut copies = Vec::new();
                for (i, file) in files.iter().enumerate() {
                    let copy = dir.path().join(file.file_name().expect("file name"));
                    let mut bytes = std::fs::read(file).expect("read sample");
                    if i == victim_index {
                        bytes.truncate(cut as usize);
                    }
                    std::fs::write(&copy, &bytes).expect("write copy");
                    copies.push((copy, bytes));
                }
                let input = dir.path().join(sheet.file_name().expect("name"));
                let what = format!("{} cut to {cut} bytes", victim.display());
                let info = limited(&[OsStr::new("info"), input.as_os_str()], dir.path());
                assert_clean_outcome(&info, &input, &copies, dir.path(), &what);
                let out = dir.path().join("out-of-test.iso");
                let convert = limited(
                    &[
                        OsStr::new("convert"),
                        input.as_os_str(),
                        out.as_os_str(),
                        OsStr::new("--allow-lossy"),
                    ],
                    dir.path(),
                );
                if convert.status.success() {
                    std::fs::remove_file(&out).expect("a successful conversion wrote its output");
                }
                assert_clean_outcome(&convert, &input, &copies, dir.path(), &what);
            }
        }
    }
}

#[test]
fn every_broken_file_fails_cleanly() {
    let mut broken: Vec<PathBuf> = files_below(&samples().join("bad"));
    if let Some(dir) = corpus("libcdio") {
        broken.extend(files_below(&dir).into_iter().filter(|p| {
            p.file_name().is_some_and(|n| {
                n.to_string_lossy().starts_with("bad-")
                    || n.to_string_lossy().starts_with("malformed")
            })
        }));
    }
    assert!(broken.len() >= 4);
    for path in broken {
        let dir = tempfile::tempdir().expect("temp dir");
        let copy = dir.path().join(path.file_name().expect("name"));
        let bytes = std::fs::read(&path).expect("read");
        std::fs::write(&copy, &bytes).expect("copy");
        let files = vec![(copy.clone(), bytes)];
        let what = path.display().to_string();
        let info = limited(&[OsStr::new("info"), copy.as_os_str()], dir.path());
        assert_clean_outcome(&info, &copy, &files, dir.path(), &what);
        let out = dir.path().join("out-of-test.cue");
        let convert = limited(
            &[OsStr::new("convert"), copy.as_os_str(), out.as_os_str()],
            dir.path(),
        );
        if convert.status.success() {
            for name in listing(dir.path()) {
                if name.starts_with("out-of-test") {
                    std::fs::remove_file(dir.path().join(name)).expect("remove output");
                }
            }
        }
        assert_clean_outcome(&convert, &copy, &files, dir.path(), &what);
    }
}

/// A source that fails with an I/O error at one address, as a disk with a bad block would.
struct FailingSource {
    inner: Box<dyn discus::SectorSource>,
    fail_at: discus::core::Lba,
}

impl discus::SectorSource for FailingSource {
    fn disc(&self) -> &discus::Disc {
        self.inner.disc()
    }

    fn stored_form(&self, track: usize) -> discus::Form {
        self.inner.stored_form(track)
    }

    fn read(&mut self, track: usize, lba: discus::core::Lba, buf: &mut [u8]) -> discus::Result<()> {
        let count = (buf.len() / self.stored_form(track).size()) as i32;
        if (lba.0..lba.0 + count).contains(&self.fail_at.0) {
            let error = std::io::Error::other("injected read error");
            return Err(discus::Error::io("injected.bin", error));
        }
        self.inner.read(track, lba, buf)
    }

    fn files(&self) -> Vec<PathBuf> {
        self.inner.files()
    }
}

#[test]
fn a_read_error_in_the_middle_leaves_no_output_in_any_format() {
    let input = samples().join("cue").join("mixed").join("mixed.cue");
    for format in discus::formats().iter().filter(|f| f.writer.is_some()) {
        let dir = tempfile::tempdir().expect("temp dir");
        let opened = discus::open(&input).expect("open sample");
        let mut source = FailingSource {
            inner: opened.source,
            fail_at: discus::core::Lba(20),
        };
        let writer = format.writer.expect("filtered");
        let options = discus::WriteOptions {
            allow_lossy: true,
            ..discus::WriteOptions::default()
        };
        let destination = discus::core::Destination {
            path: dir.path().join(format!("out.{}", format.extensions[0])),
            force: false,
            inputs: Vec::new(),
            durable: false,
            run: None,
        };
        let plan = (writer.plan)(&source, &options).expect("plan");
        let sink = (writer.create)(&destination, &plan, &options).expect("create");
        let result = discus::core::convert(
            &mut source,
            &plan,
            sink,
            &discus::core::ConvertOptions::default(),
        );
        let message = result
            .expect_err("the read error stops the conversion")
            .to_string();
        assert!(
            message.contains("injected read error"),
            "{}: {message}",
            format.name
        );
        assert!(
            listing(dir.path()).is_empty(),
            "{}: left {:?}",
            format.name,
            listing(dir.path())
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_leaves_no_partial_output() {
    // A 256 KiB tmpfs in a private mount namespace: the conversion runs out of space half way.
    let Some(unshare) = ["/usr/bin/unshare", "/bin/unshare"]
        .iter()
        .map(Path::new)
        .find(|p| p.is_file())
    else {
        discus_tests::skip("unshare is not installed");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("small");
    std::fs::create_dir(&out).expect("mount point");
    let input = samples().join("iso").join("data.iso");
    let script = format!(
        "mount -t tmpfs -o size=256k tmpfs '{out}' || exit 77; '{bin}' convert '{input}' '{out}/x.img' --sector-size 2352; echo \"rc=$?\"; ls -A '{out}'",
        out = out.display(),
        bin = discus_bin().display(),
        input = input.display()
    );
    let output = Command::new(unshare)
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", &script])
        .output()
        .expect("unshare starts");
    if output.status.code() == Some(77)
        || String::from_utf8_lossy(&output.stderr).contains("unshare failed")
    {
        discus_tests::skip("this machine allows no private tmpfs mount");
        return;
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stdout.starts_with("rc=2\n"),
        "stdout: {stdout} stderr: {stderr}"
    );
    assert_eq!(
        stdout.trim_end(),
        "rc=2",
        "files were left on the full disk: {stdout}"
    );
    assert!(
        stderr.contains("x.img") && stderr.contains("No space left on device"),
        "{stderr}"
    );
}

#[test]
fn every_regression_input_fails_cleanly() {
    // What the fuzz targets once found (samples/regression/README.md): each must fail with exit 2
    // naming the file, under the address-space limit, and fail without a panic in the library.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut found = 0;
    for file in files_below(&samples().join("regression")) {
        let Some(extension) = file.extension().map(|e| e.to_string_lossy().into_owned()) else {
            continue;
        };
        if extension == "md" {
            continue;
        }
        found += 1;
        let name = file
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let bytes = std::fs::read(&file).expect("read");
        // A folder of its own: the rules check that nothing but the input is left in it.
        let folder = dir.path().join(format!("{found}"));
        std::fs::create_dir(&folder).expect("mkdir");
        let input = folder.join(&name);
        std::fs::write(&input, &bytes).expect("copy");
        let output = limited(
            &[
                OsStr::new("convert"),
                input.as_os_str(),
                OsStr::new("out.iso"),
                OsStr::new("--allow-lossy"),
            ],
            &folder,
        );
        assert_eq!(output.status.code(), Some(2), "{name}: {output:?}");
        assert_clean_outcome(
            &output,
            &input,
            &[(input.clone(), bytes.clone())],
            &folder,
            &name,
        );
        let read = std::panic::catch_unwind(|| {
            discus_tests::harness::open_and_read(&extension, &name, &bytes, &[])
        });
        assert!(
            matches!(read, Ok(Err(_))),
            "{name}: the library did not refuse it cleanly"
        );
    }
    assert!(found >= 2, "no regression inputs found");
}

#[test]
fn a_huge_sheet_is_refused_without_being_read_whole() {
    // A 3 GiB cue sheet (sparse): read at most to its limit plus one byte, so under the 2 GiB
    // address-space limit it fails cleanly naming the file; so does a TOC over its 16 MiB. (The
    // GDI probe already turns away such a file before the reader sees it.)
    let dir = tempfile::tempdir().expect("temp dir");
    // The TOC probe takes no file with a NUL in its head, so the TOC is 17 MiB of real text.
    let comments = "// a comment line that goes on\n".repeat(17 << 15);
    for (name, start, size) in [
        ("huge.cue", "FILE \"a.bin\" BINARY\n", 3u64 << 30),
        ("huge.toc", "CD_ROM\nTRACK MODE1\n", 0),
    ] {
        let folder = dir.path().join(name.replace('.', "-"));
        std::fs::create_dir(&folder).expect("mkdir");
        let sheet = folder.join(name);
        let mut file = std::fs::File::create(&sheet).expect("create");
        std::io::Write::write_all(&mut file, start.as_bytes()).expect("write");
        if size == 0 {
            std::io::Write::write_all(&mut file, comments.as_bytes()).expect("write");
        } else {
            file.set_len(size).expect("sparse");
        }
        drop(file);
        let output = limited(&[OsStr::new("info"), sheet.as_os_str()], &folder);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(name) && stderr.contains("text of a few KiB"),
            "{name}: {stderr}"
        );
    }
}
