//! `discus mount` (issue 17) through the real command and the kernel's FUSE: every sample format
//! shows `image.iso` (and `image.bin` + `image.cue`) byte for byte as `discus convert` writes
//! them, peers read the mounted ISO, eight readers read at once, SIGTERM and `discus unmount`
//! leave nothing mounted or running, and a missing /dev/fuse is explained.
//!
//! Each mount is held by a guard that unmounts and stops the server when the test ends, fails or
//! hangs (a watchdog does it after a while), so no test leaves a mount behind.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Sender, channel};
use std::time::{Duration, Instant};

use discus_tests::{corpus, discus, discus_bin, peer, samples, skip};

use crate::fs::{assert_same, genisoimage, snapshot, writable};
use sha1::{Digest, Sha1};

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// Whether this process can mount with FUSE; if not, says why ([`skip`]: a failure in CI).
fn fuse_usable() -> bool {
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/fuse")
    {
        Ok(_) => true,
        Err(e) => {
            skip(&format!(
                "/dev/fuse cannot be opened ({e}): FUSE mounts cannot be tested"
            ));
            false
        }
    }
}

/// Whether a mount is at `dir`, from the kernel's table.
fn mounted(dir: &Path) -> bool {
    let table = std::fs::read_to_string("/proc/self/mountinfo").expect("mount table");
    let dir = dir.to_string_lossy().replace(' ', "\\040");
    table
        .lines()
        .any(|line| line.split(' ').nth(4) == Some(dir.as_str()))
}

/// Unmounts `dir` whatever state it is in (busy, or its server gone).
fn force_unmount(dir: &Path) {
    let _ = Command::new("umount").arg("-l").arg(dir).output();
    let _ = Command::new("fusermount3")
        .args(["-u", "-z", "-q"])
        .arg(dir)
        .output();
}

fn kill(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .output();
}

/// A `discus mount` in the foreground, its folder, and the watchdog that ends it if the test hangs.
struct Mount {
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// Dropping it stops the watchdog.
    _watchdog: Sender<()>,
}

impl Mount {
    /// Mounts `image` with `extra` arguments and waits until the mount is there.
    fn start(image: &Path, extra: &[&str]) -> Mount {
        let dir = tempfile::tempdir().expect("mount point");
        let mut child = Command::new(discus_bin())
            .arg("mount")
            .arg(image)
            .arg(dir.path())
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("discus starts");
        let (stop, stopped) = channel::<()>();
        let (pid, path) = (child.id(), dir.path().to_path_buf());
        std::thread::spawn(move || {
            if stopped.recv_timeout(Duration::from_secs(180)).is_err() {
                eprintln!(
                    "watchdog: the mount at {} outlived its test",
                    path.display()
                );
                kill(pid, "KILL");
                force_unmount(&path);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while !mounted(dir.path()) {
            if let Ok(Some(status)) = child.try_wait() {
                let mut stderr = String::new();
                let _ = child
                    .stderr
                    .take()
                    .map(|mut e| e.read_to_string(&mut stderr));
                panic!(
                    "discus mount {} ended ({status}): {stderr}",
                    image.display()
                );
            }
            assert!(Instant::now() < deadline, "the mount did not appear");
            std::thread::sleep(Duration::from_millis(20));
        }
        Mount {
            dir,
            child: Some(child),
            _watchdog: stop,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .expect("list the mount")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Sends `signal` and waits for the server to end; returns whether it exited successfully.
    fn stop_with(&mut self, signal: &str) -> bool {
        let mut child = self.child.take().expect("a running server");
        kill(child.id(), signal);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status.success();
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop on {signal}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill(child.id(), "TERM");
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        if mounted(self.dir.path()) {
            force_unmount(self.dir.path());
        }
    }
}

fn sha1_of(path: &Path) -> String {
    let mut file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut hasher = Sha1::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    format!("{:x}", hasher.finalize())
}

/// `discus convert` of `image` to `name` in `dir` (`--single-bin` for a cue), lossy allowed: what
/// the mount must show.
fn convert_to(image: &Path, dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    let mut args = vec![os("convert"), image.as_os_str(), out.as_os_str()];
    args.extend([os("--allow-lossy"), os("--force")]);
    if name.ends_with(".cue") {
        args.push(os("--single-bin"));
    }
    let output = discus(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

/// Reads of 2 KiB at seeded random offsets of `mounted` match the same bytes of `expected`.
fn random_reads_match(mounted: &Path, expected: &[u8], seed: u64, count: usize) {
    let file = File::open(mounted).expect("open the mounted file");
    let mut x = seed | 1;
    let mut buf = [0u8; 2048];
    for _ in 0..count {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let offset = x % expected.len().saturating_sub(buf.len()).max(1) as u64;
        let n = file.read_at(&mut buf, offset).expect("read_at");
        let at = offset as usize;
        let want = &expected[at..(at + buf.len()).min(expected.len())];
        assert_eq!(&buf[..n], want, "{} at byte {offset}", mounted.display());
    }
}

#[test]
fn i17_1_every_sample_format_shows_what_convert_writes() {
    if !fuse_usable() {
        return;
    }
    let out = tempfile::tempdir().expect("temp dir");
    // CHDs are made here (no CHD is committed): one CD with audio, one data disc.
    for (from, chd) in [
        ("cue/mixed/mixed.cue", "mixed.chd"),
        ("iso/data.iso", "data.chd"),
    ] {
        let output = discus(&[
            os("convert"),
            samples().join(from).as_os_str(),
            out.path().join(chd).as_os_str(),
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let made = |name: &str| out.path().join(name).to_string_lossy().into_owned();
    let (mixed_chd, data_chd) = (made("mixed.chd"), made("data.chd"));
    for (sample, with_bin) in [
        (mixed_chd.as_str(), true),
        (data_chd.as_str(), false),
        ("ecm/mixed.cue", true),
        ("iso/data.iso", false),
        ("img/data-2352.img", false),
        ("cso/data.cso", false),
        ("cso/data.zso", false),
        ("cso/data.dax", false),
        ("nrg/mixed.nrg", true),
        ("mds/mixed.mds", true),
        ("ccd/mixed.ccd", true),
        ("cue/mixed/mixed.cue", true),
        ("cue/xa/xa.cue", true),
    ] {
        // `join` keeps an absolute path (the CHDs made above) as it is.
        let image = samples().join(sample);
        let mount = Mount::start(&image, &[]);
        // What the conversions write: the ISO, and for discs it does not hold, the single-BIN
        // BIN/CUE (with its CD-TEXT file when the disc has CD-TEXT).
        let folder = out
            .path()
            .join(sample.replace('/', "_").trim_start_matches('_'));
        std::fs::create_dir_all(&folder).expect("folder");
        convert_to(&image, &folder, "image.iso");
        if with_bin {
            convert_to(&image, &folder, "image.cue");
        }
        let mut written: Vec<String> = std::fs::read_dir(&folder)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        written.sort();
        // The disc's file tree is there too, as `files/` (checked below).
        written.push("files".to_string());
        written.sort();
        assert_eq!(mount.names(), written, "{sample}");
        written.retain(|n| n != "files");
        files_match_extract(&mount, &image);
        for name in &written {
            assert_eq!(
                sha1_of(&mount.path(name)),
                sha1_of(&folder.join(name)),
                "{sample}: {name}"
            );
        }
        for (name, seed) in [("image.iso", 17), ("image.bin", 29)] {
            if let Ok(bytes) = std::fs::read(folder.join(name)) {
                random_reads_match(&mount.path(name), &bytes, seed, 64);
            }
        }
        // Read-only: writing, creating and removing are refused.
        assert!(
            std::fs::OpenOptions::new()
                .write(true)
                .open(mount.path("image.iso"))
                .is_err()
        );
        assert!(File::create(mount.path("new.iso")).is_err());
        assert!(std::fs::remove_file(mount.path("image.iso")).is_err());
    }
}

#[test]
fn i17_1_peers_read_the_mounted_iso_of_a_cso() {
    if !fuse_usable() {
        return;
    }
    let (Some(iso_info), Some(seven)) = (peer("iso-info"), peer("7zz")) else {
        return;
    };
    let original = samples().join("iso/data.iso");
    let mount = Mount::start(&samples().join("cso/data.cso"), &[]);
    let iso = mount.path("image.iso");
    // Their listings of the mounted file and of the ISO the CSO was made from are the same.
    let listing = |program: &Path, args: &[&str], file: &Path| {
        let output = Command::new(program)
            .args(args)
            .arg(file)
            .output()
            .expect("the peer starts");
        assert!(output.status.success(), "{}", program.display());
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter(|l| !l.contains(&*file.to_string_lossy()) && !l.starts_with("Path ="))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let ours = listing(&iso_info, &["-f", "-i"], &iso);
    assert!(
        ours.iter().any(|l| l.ends_with("/data/random.bin")),
        "{ours:?}"
    );
    assert_eq!(ours, listing(&iso_info, &["-f", "-i"], &original));
    let ours = listing(&seven, &["l"], &iso);
    assert!(ours.iter().any(|l| l.contains("random.bin")), "{ours:?}");
    // 7-Zip prints the archive's own size and time; the file lines must agree.
    let files = |lines: Vec<String>| -> Vec<String> {
        lines
            .into_iter()
            .filter(|l| l.contains(".bin") || l.contains(".txt"))
            .collect()
    };
    assert_eq!(files(ours), files(listing(&seven, &["l"], &original)));
}

#[test]
fn i17_1_a_loop_device_reads_the_mounted_iso() {
    if !fuse_usable() {
        return;
    }
    let Some(losetup) = peer("losetup") else {
        return;
    };
    let mount = Mount::start(&samples().join("cso/data.cso"), &[]);
    let iso = mount.path("image.iso");
    let attach = Command::new(&losetup)
        .args(["-r", "-f", "--show"])
        .arg(&iso)
        .output()
        .expect("losetup starts");
    if !attach.status.success() {
        let why = String::from_utf8_lossy(&attach.stderr).trim().to_string();
        skip(&format!("no loop device for the mounted ISO: {why}"));
        return;
    }
    let device = String::from_utf8_lossy(&attach.stdout).trim().to_string();
    let read = (|| {
        let mut pvd = [0u8; 2048];
        File::open(&device)?.read_exact_at(&mut pvd, 16 * 2048)?;
        std::io::Result::Ok(pvd)
    })();
    // Where the kernel has an ISO 9660 driver, the loop device mounts as the disc.
    let target = tempfile::tempdir().expect("mount point");
    let kernel_mount = Command::new("mount")
        .args(["-t", "iso9660", "-o", "ro"])
        .arg(&device)
        .arg(target.path())
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    let listed = kernel_mount.then(|| target.path().join("data/random.bin").is_file());
    if kernel_mount {
        let _ = Command::new("umount").arg(target.path()).output();
    }
    let _ = Command::new(&losetup).arg("-d").arg(&device).output();
    let pvd = read.expect("the loop device reads");
    assert_eq!(
        &pvd[1..6],
        b"CD001",
        "sector 16 is the primary volume descriptor"
    );
    assert_ne!(
        listed,
        Some(false),
        "the kernel's mount of the ISO lists its files"
    );
}

#[test]
fn i17_2_sigterm_unmounts_even_with_a_file_open_and_nothing_is_left() {
    if !fuse_usable() {
        return;
    }
    let mut mount = Mount::start(&samples().join("cue/mixed/mixed.cue"), &[]);
    let open = File::open(mount.path("image.bin")).expect("open a mounted file");
    let mut buf = [0u8; 2352];
    open.read_exact_at(&mut buf, 0).expect("read");
    let pid = mount.child.as_ref().map(Child::id).expect("server");
    assert!(mount.stop_with("TERM"), "the server exits cleanly");
    assert!(!mounted(mount.dir.path()), "nothing is left mounted");
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "nothing is left running"
    );
    drop(open);
    // The folder is an empty folder again.
    assert_eq!(mount.names(), Vec::<String>::new());
}

#[test]
fn i17_2_ctrl_c_unmounts() {
    if !fuse_usable() {
        return;
    }
    let mut mount = Mount::start(&samples().join("iso/data.iso"), &[]);
    assert!(mount.stop_with("INT"));
    assert!(!mounted(mount.dir.path()));
}

#[test]
fn i17_2_background_returns_once_mounted_and_unmount_ends_the_server() {
    if !fuse_usable() {
        return;
    }
    let dir = tempfile::tempdir().expect("mount point");
    let image = samples().join("nrg/mixed.nrg");
    let output = discus(&[
        os("mount"),
        image.as_os_str(),
        dir.path().as_os_str(),
        os("--background"),
    ]);
    // Whatever happens below, the mount goes.
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            if mounted(self.0) {
                force_unmount(self.0);
            }
        }
    }
    let _guard = Unmount(dir.path());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // It prints the files it shows, and they are there at once.
    let listed: Vec<String> = BufReader::new(&output.stdout[..])
        .lines()
        .map(|l| l.expect("line"))
        .collect();
    let iso = dir.path().join("image.iso");
    assert!(listed.contains(&iso.display().to_string()), "{listed:?}");
    assert!(std::fs::metadata(&iso).expect("image.iso").len() > 0);
    let server = servers_of(dir.path());
    assert_eq!(server.len(), 1, "one detached server");
    // `unmount` refuses a folder with no discus mount, then ends this one.
    let other = tempfile::tempdir().expect("folder");
    let refused = discus(&[os("unmount"), other.path().as_os_str()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no discus mount"));
    let done = discus(&[os("unmount"), dir.path().as_os_str()]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(!mounted(dir.path()));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !servers_of(dir.path()).is_empty() {
        assert!(Instant::now() < deadline, "the detached server did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Processes whose command line mounts at `dir`.
fn servers_of(dir: &Path) -> Vec<u32> {
    let needle = dir.as_os_str().as_encoded_bytes().to_vec();
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmd| {
                cmd.split(|b| *b == 0).any(|arg| arg == needle.as_slice())
                    && cmd.split(|b| *b == 0).any(|arg| arg == b"mount")
            })
        })
        .collect()
}

#[test]
fn i17_1_eight_readers_at_once_read_the_right_bytes() {
    if !fuse_usable() {
        return;
    }
    // A CSO of 16 MiB of varied data: large enough that the readers meet in the cache and the
    // source pool, and that a small cache evicts while they read.
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = dir.path().join("big.iso");
    let mut data = std::fs::read(samples().join("iso/data.iso")).expect("sample");
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    while data.len() < 16 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // Half the sectors compressible, half not: both kinds of CSO block.
        let sector = data.len() / 2048;
        data.push(if sector.is_multiple_of(2) {
            (sector % 251) as u8
        } else {
            x as u8
        });
    }
    std::fs::write(&iso, &data).expect("write the ISO");
    let cso = dir.path().join("big.cso");
    let output = discus(&[os("convert"), iso.as_os_str(), cso.as_os_str()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mount = Mount::start(&cso, &["--cache", "1M"]);
    let mounted_iso = mount.path("image.iso");
    std::thread::scope(|scope| {
        for reader in 0..8u64 {
            let (path, data) = (&mounted_iso, &data);
            scope.spawn(move || {
                if reader % 2 == 0 {
                    // Whole-file readers, each starting at another place.
                    let file = File::open(path).expect("open");
                    let mut buf = vec![0u8; 200_000];
                    let start = (reader as usize * data.len() / 8) / 4096 * 4096;
                    let (mut at, mut done) = (start, 0);
                    while done < data.len() {
                        let want = buf.len().min(data.len() - at);
                        let n = file.read_at(&mut buf[..want], at as u64).expect("read");
                        assert!(n > 0, "reader {reader}: the file ends early at {at}");
                        assert!(buf[..n] == data[at..at + n], "reader {reader} at {at}");
                        at = (at + n) % data.len();
                        done += n;
                    }
                } else {
                    random_reads_match(path, data, reader * 7919, 300);
                }
            });
        }
    });
}

#[test]
fn i17_2_a_missing_fuse_device_says_what_to_install_and_mounts_nothing() {
    let dir = tempfile::tempdir().expect("mount point");
    let output = Command::new(discus_bin())
        .arg("mount")
        .arg(samples().join("iso/data.iso"))
        .arg(dir.path())
        .env("DISCUS_FUSE_DEVICE", "/nonexistent/fuse")
        .output()
        .expect("discus starts");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/fuse"), "{stderr}");
    assert!(stderr.contains("modprobe fuse"), "{stderr}");
    assert!(!mounted(dir.path()));
    // A folder that is not there is said before anything else.
    let missing = dir.path().join("nowhere");
    let output = discus(&[
        os("mount"),
        samples().join("iso/data.iso").as_os_str(),
        missing.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("create it first"));
    // So is an image that is not one.
    let output = discus(&[
        os("mount"),
        samples().join("bad/garbage.img").as_os_str(),
        dir.path().as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!mounted(dir.path()));
}

#[test]
fn i17_1_a_sparse_dvd_mounts_whole_and_its_last_sector_reads_right() {
    if !fuse_usable() {
        return;
    }
    // A DVD-5 of 4.7 GB as a sparse ISO (no disk used) with a marked last sector: offsets past
    // 4 GiB reach the right sector, and a DVD shows only the ISO (BIN/CUE holds CDs).
    const DVD5: u64 = 2_295_104;
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = dir.path().join("dvd.iso");
    let mut file = File::create(&iso).expect("create");
    std::io::Write::write_all(
        &mut file,
        &std::fs::read(samples().join("iso/data.iso")).expect("sample"),
    )
    .expect("write");
    file.set_len(DVD5 * 2048).expect("set_len");
    let last: Vec<u8> = (0..2048u32).map(|i| (i % 253) as u8 ^ 0x5a).collect();
    file.write_all_at(&last, (DVD5 - 1) * 2048).expect("mark");
    drop(file);
    let mount = Mount::start(&iso, &[]);
    // Its file tree is the sample's, at the start.
    assert_eq!(mount.names(), ["files", "image.iso"]);
    assert_eq!(
        std::fs::read(mount.path("files/docs/notes.txt"))
            .expect("a file of the tree")
            .len(),
        109_973
    );
    let mounted = mount.path("image.iso");
    assert_eq!(
        std::fs::metadata(&mounted).expect("size").len(),
        DVD5 * 2048
    );
    let file = File::open(&mounted).expect("open");
    let mut sector = vec![0u8; 2048];
    file.read_exact_at(&mut sector, (DVD5 - 1) * 2048)
        .expect("read the last sector");
    assert!(sector == last, "the last sector");
    file.read_exact_at(&mut sector, 16 * 2048)
        .expect("read the PVD");
    assert_eq!(&sector[1..6], b"CD001");
}

/// `discus extract IMAGE -o DIR --outside-links`: what `files/` must hold.
fn extracted(image: &Path, dir: &Path) {
    let out = discus(&[
        os("extract"),
        image.as_os_str(),
        os("-o"),
        dir.as_os_str(),
        os("--outside-links"),
    ]);
    assert!(
        out.status.success(),
        "discus extract {}: {}",
        image.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    writable(dir);
}

/// Every path below `root` with its permission bits and modification time (links: their own).
fn stats(root: &Path) -> std::collections::BTreeMap<String, (u32, i64)> {
    use std::os::unix::fs::MetadataExt;
    discus_tests::files_below(root)
        .into_iter()
        .filter_map(|path| {
            let meta = std::fs::symlink_metadata(&path).ok()?;
            let relative = path.strip_prefix(root).ok()?.to_string_lossy().into_owned();
            (!meta.file_type().is_symlink())
                .then_some((relative, (meta.mode() & 0o777, meta.mtime())))
        })
        .collect()
}

/// `files/` of `mount` holds what `discus extract` writes of `image`: the same paths, bytes and
/// link targets, and for files the same dates.
fn files_match_extract(mount: &Mount, image: &Path) {
    let out = tempfile::tempdir().expect("temp dir");
    extracted(image, out.path());
    let files = mount.path("files");
    assert_same(
        &snapshot(&files),
        &snapshot(out.path()),
        &format!("{}: files/ against discus extract", image.display()),
    );
    let (ours, theirs) = (stats(&files), stats(out.path()));
    for (path, (_, time)) in &theirs {
        assert_eq!(
            ours.get(path).map(|s| s.1),
            Some(*time),
            "{}: the date of {path}",
            image.display()
        );
    }
}

#[test]
fn i17_1_files_of_every_corpus_iso_read_as_discus_extract_writes_them() {
    if !fuse_usable() {
        return;
    }
    let Some(dir) = corpus("libcdio") else {
        return;
    };
    let mut images: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "iso"))
        .collect();
    images.extend(corpus("jspspemu").map(|d| d.join("cube.iso")));
    images.sort();
    let mut compared = 0;
    for image in images {
        // Images whose tree discus refuses (the malformed ones) have no `files/` to compare; the
        // hostile-tree test mounts those.
        let ls = discus(&[os("ls"), os("-R"), image.as_os_str()]);
        if !ls.status.success() {
            continue;
        }
        let mount = Mount::start(&image, &[]);
        assert!(mount.path("files").is_dir(), "{}", image.display());
        files_match_extract(&mount, &image);
        compared += 1;
    }
    assert!(compared >= 8, "only {compared} corpus images compared");
}

#[test]
fn i17_1_rock_ridge_modes_dates_and_links_show_as_recorded() {
    if !fuse_usable() {
        return;
    }
    let temp = tempfile::tempdir().expect("temp");
    let Some(image) = genisoimage(temp.path(), &["-R", "-J"]) else {
        return;
    };
    let mount = Mount::start(&image, &[]);
    let files = mount.path("files");
    // genisoimage -R records the modes and dates of the tree it was made from.
    let source = stats(&temp.path().join("tree"));
    let shown = stats(&files);
    assert_eq!(
        shown.keys().collect::<Vec<_>>(),
        source.keys().collect::<Vec<_>>()
    );
    for (path, (mode, time)) in &source {
        assert_eq!(shown[path], (*mode, *time), "{path}");
    }
    // Links are links, with the target as recorded, even one that points out of the disc.
    for (link, target) in [
        ("inside", "big.bin"),
        ("escape", "../../etc/passwd"),
        ("absolute", "/etc/passwd"),
    ] {
        assert_eq!(
            std::fs::read_link(files.join(link)).expect("a link"),
            Path::new(target)
        );
    }
    assert_eq!(
        std::fs::read(files.join("inside")).expect("read through the link"),
        std::fs::read(temp.path().join("tree/big.bin")).expect("source")
    );
    let deep = files.join("a/b/c/d/e/f/g/h/i/j/deep.txt");
    assert_eq!(std::fs::read(deep).expect("deep"), b"ten levels down\n");
}

#[test]
fn i17_1_eight_readers_at_once_read_the_files_right() {
    if !fuse_usable() {
        return;
    }
    // A multi-extent file (three extents) and a CSO, whose blocks decode on the readers' threads.
    let mut images = vec![];
    let temp = tempfile::tempdir().expect("temp");
    if let Some(dir) = corpus("libcdio") {
        images.push(dir.join("multi_extent_8k.iso"));
    }
    images.push(samples().join("cso/data.cso"));
    if let Some(made) = genisoimage(temp.path(), &["-R"]) {
        let cso = temp.path().join("made.cso");
        let out = discus(&[os("convert"), made.as_os_str(), cso.as_os_str()]);
        assert!(out.status.success());
        images.push(cso);
    }
    for image in images {
        let expected_dir = tempfile::tempdir().expect("temp");
        extracted(&image, expected_dir.path());
        let expected: Vec<(PathBuf, Vec<u8>)> = discus_tests::files_below(expected_dir.path())
            .into_iter()
            .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
            .map(|p| {
                let bytes = std::fs::read(&p).expect("read");
                let relative = p
                    .strip_prefix(expected_dir.path())
                    .expect("below")
                    .to_path_buf();
                (relative, bytes)
            })
            .collect();
        assert!(!expected.is_empty());
        let mount = Mount::start(&image, &["--cache", "256K"]);
        let files = mount.path("files");
        std::thread::scope(|scope| {
            for reader in 0..8u64 {
                let (files, expected) = (&files, &expected);
                scope.spawn(move || {
                    for round in 0..expected.len() {
                        let (path, bytes) = &expected[(round + reader as usize) % expected.len()];
                        let whole = std::fs::read(files.join(path)).expect("read a file");
                        assert!(&whole == bytes, "{}: reader {reader}", path.display());
                        if bytes.len() > 4096 {
                            random_reads_match(&files.join(path), bytes, reader + 3, 32);
                        }
                    }
                });
            }
        });
    }
}

#[test]
fn i17_1_a_hostile_tree_neither_breaks_nor_hangs_the_mount() {
    if !fuse_usable() {
        return;
    }
    let temp = tempfile::tempdir().expect("temp");
    let Some(image) = genisoimage(temp.path(), &["-R"]) else {
        return;
    };
    let bytes = std::fs::read(&image).expect("read");
    let big = std::fs::read(temp.path().join("tree/big.bin")).expect("source");
    // Rock Ridge names rewritten to `..` and to `/z`: left out, said on stderr; the rest shows.
    for (replacement, label) in [(b"..", "dots"), (b"/z", "slash")] {
        let mut patched = bytes.clone();
        let needle = b"NM\x07\x01\x00xx";
        let at = patched
            .windows(needle.len())
            .position(|w| w == needle)
            .expect("the NM entry of xx");
        patched[at + 5..at + 7].copy_from_slice(replacement);
        let bad = temp.path().join(format!("{label}.iso"));
        std::fs::write(&bad, &patched).expect("write");
        let mount = Mount::start(&bad, &[]);
        let files = mount.path("files");
        let names: Vec<String> = std::fs::read_dir(&files)
            .expect("list files/")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            !names.iter().any(|n| n == "xx" || n.contains('/')),
            "{names:?}"
        );
        assert_eq!(std::fs::read(files.join("big.bin")).expect("big.bin"), big);
        assert!(!files.join("z").exists() && !mount.path("z").exists());
    }
    // The record of folder `a` in the root, found by walking the root's records.
    let root_extent = u32::from_le_bytes(
        bytes[16 * 2048 + 158..16 * 2048 + 162]
            .try_into()
            .expect("4"),
    );
    let root_at = root_extent as usize * 2048;
    let find = |name: &[u8]| {
        let mut record = root_at;
        while bytes[record + 33..].get(..name.len()) != Some(name) {
            assert!(bytes[record] != 0, "a record in the root's first block");
            record += usize::from(bytes[record]);
        }
        record
    };
    // Folder `a` pointed at the root: a loop. The mount comes up with its flat file, and says
    // why it has no `files/`.
    let record = find(b"A");
    let mut looped = bytes.clone();
    looped[record + 2..record + 6].copy_from_slice(&root_extent.to_le_bytes());
    looped[record + 6..record + 10].copy_from_slice(&root_extent.to_be_bytes());
    let path = temp.path().join("loop.iso");
    std::fs::write(&path, &looped).expect("write");
    let mut mount = Mount::start(&path, &[]);
    assert_eq!(mount.names(), ["image.iso"]);
    assert_eq!(sha1_of(&mount.path("image.iso")), sha1_of(&path));
    assert!(mount.stop_with("TERM"));
    // big.bin claiming 4 GiB − 2 KiB: shown, its reads fail at once, the other files read.
    let record = find(b"BIG.BIN");
    let mut huge = bytes.clone();
    let length = 0xFFFF_F800u32;
    huge[record + 10..record + 14].copy_from_slice(&length.to_le_bytes());
    huge[record + 14..record + 18].copy_from_slice(&length.to_be_bytes());
    let path = temp.path().join("huge.iso");
    std::fs::write(&path, &huge).expect("write");
    let mount = Mount::start(&path, &[]);
    let files = mount.path("files");
    let started = Instant::now();
    assert!(std::fs::read(files.join("big.bin")).is_err());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        std::fs::read(files.join("a/b/c/d/e/f/g/h/i/j/deep.txt")).expect("deep"),
        b"ten levels down\n"
    );
}

#[test]
fn i17_2_a_user_who_is_not_root_mounts_through_fusermount3_and_unmounts() {
    if !fuse_usable() {
        return;
    }
    // Users mount through the setuid fusermount3 and need a /dev/fuse they may open (0666 on
    // desktops, 0600 here). So as not to change the machine's device, the test runs in a mount
    // namespace of its own where a 0666 node of the same device is bound over /dev/fuse, and
    // mounts, reads and unmounts as `nobody`.
    let (Some(unshare), Some(setpriv), Some(_)) =
        (peer("unshare"), peer("setpriv"), peer("fusermount3"))
    else {
        return;
    };
    if !is_root() {
        skip("only root can bind a device node in a namespace of its own");
        return;
    }
    let temp = tempfile::tempdir().expect("temp");
    let (dir, image, node) = (
        temp.path().join("mnt"),
        temp.path().join("data.iso"),
        temp.path().join("fuse"),
    );
    std::fs::create_dir(&dir).expect("mount point");
    std::fs::copy(samples().join("iso/data.iso"), &image).expect("copy");
    for path in [temp.path(), &dir, &image] {
        let chown = Command::new("chown").arg("65534:65534").arg(path).status();
        assert!(chown.is_ok_and(|s| s.success()));
    }
    let as_nobody = format!(
        "{} --reuid=65534 --regid=65534 --clear-groups",
        setpriv.display()
    );
    let script = format!(
        r#"set -e
mknod "$NODE" c 10 229 && chmod 0666 "$NODE" && mount --bind "$NODE" /dev/fuse
{as_nobody} "$DISCUS" mount "$IMAGE" "$DIR" --background
grep " $DIR " /proc/self/mountinfo
{as_nobody} sha1sum "$DIR/files/docs/notes.txt" "$DIR/image.iso"
{as_nobody} "$DISCUS" unmount "$DIR"
if grep -q " $DIR " /proc/self/mountinfo; then echo "still mounted"; exit 1; fi
"#
    );
    let out = Command::new(unshare)
        .args(["-m", "--propagation", "private", "sh", "-c", &script])
        .env("DISCUS", discus_bin())
        .env("IMAGE", &image)
        .env("DIR", &dir)
        .env("NODE", &node)
        .output()
        .expect("unshare runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The kernel records the mount as the user's (fusermount3 made it), read-only.
    assert!(
        text.contains("user_id=65534") && text.contains(" ro,"),
        "{text}"
    );
    let out_dir = tempfile::tempdir().expect("temp");
    extracted(&image, out_dir.path());
    assert!(
        text.contains(&sha1_of(&out_dir.path().join("docs/notes.txt"))),
        "{text}"
    );
    assert!(text.contains(&sha1_of(&image)), "{text}");
    // Nothing is left serving.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !servers_of(&dir).is_empty() {
        assert!(Instant::now() < deadline, "the server did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    })
}
