//! Mounting and unmounting: the checks that turn a missing or closed `/dev/fuse` into advice, the
//! FUSE session serving a [`Tree`] on its own threads, and the unmount that leaves nothing behind
//! (lazily when a reader still has a file open, so a stop never hangs).

use std::fs::OpenOptions;
use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use discus::{Error, Result};
use fuser::{BackgroundSession, Config, MountOption, SessionACL};
use nix::errno::Errno;
use nix::mount::{MntFlags, umount2};

use crate::fs::MountFs;
use crate::image::Image;

/// The FUSE device the kernel offers.
pub const FUSE_DEVICE: &str = "/dev/fuse";

/// What every mount's source is called, so `discus unmount` knows a discus mount from another.
const SOURCE_PREFIX: &str = "discus:";

/// How to serve a mount.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Threads answering the kernel: reads of several programs are served at once.
    pub threads: usize,
    /// The device to check before mounting ([`FUSE_DEVICE`]; another path only in tests of the
    /// advice given when it is missing).
    pub device: PathBuf,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            threads: 4,
            device: PathBuf::from(FUSE_DEVICE),
        }
    }
}

/// Checks that this process can mount with FUSE, and if not says what to install or do.
pub fn check_fuse(device: &Path) -> Result<()> {
    let advice = |kind: ErrorKind, text: String| Error::io(device, std::io::Error::new(kind, text));
    match OpenOptions::new().read(true).write(true).open(device) {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(advice(
                ErrorKind::NotFound,
                "does not exist, so FUSE is not available: load the kernel module (`modprobe fuse`), \
                 or in a container start it with `--device /dev/fuse --cap-add SYS_ADMIN`"
                    .to_string(),
            ));
        }
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {
            return Err(advice(
                ErrorKind::PermissionDenied,
                "permission denied: mounting needs read and write access to it; run as root, or \
                 let users open it (`chmod 0666 /dev/fuse`, as desktop systems have it) and install \
                 fuse3 for fusermount3 (`apt install fuse3`)"
                    .to_string(),
            ));
        }
        Err(e) => return Err(advice(e.kind(), format!("cannot be opened: {e}"))),
    }
    if !nix::unistd::geteuid().is_root() && fusermount().is_none() {
        return Err(Error::Usage(
            "mounting as a user who is not root needs fusermount3: install fuse3 \
             (`apt install fuse3`, `dnf install fuse3`), or mount as root"
                .to_string(),
        ));
    }
    Ok(())
}

/// The setuid helper a user who is not root mounts and unmounts through, if installed (where the
/// FUSE library looks for it).
fn fusermount() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("FUSERMOUNT_PATH") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let folders = std::env::split_paths(&path).chain(
        ["/bin", "/usr/bin", "/sbin", "/usr/sbin"]
            .into_iter()
            .map(PathBuf::from),
    );
    folders
        .flat_map(|folder| [folder.join("fusermount3"), folder.join("fusermount")])
        .find(|candidate| candidate.is_file())
}

/// A served mount. Dropping it unmounts.
pub struct Mounted {
    dir: PathBuf,
    session: Option<BackgroundSession>,
    left_out: Vec<String>,
}

/// Mounts `image` at `dir` and serves it on background threads until [`Mounted::unmount`], an
/// unmount from outside (`discus unmount`, `fusermount3 -u`) or the drop of the result.
pub fn mount(image: &Image, dir: &Path, settings: &Settings) -> Result<Mounted> {
    let dir = absolute(dir)?;
    match std::fs::metadata(&dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(Error::Usage(format!("{}: is not a folder", dir.display()))),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(Error::Usage(format!(
                "{}: no such folder; create it first (mkdir)",
                dir.display()
            )));
        }
        Err(e) => return Err(Error::io(&dir, e)),
    }
    if is_discus_mount(&dir)? {
        return Err(Error::Usage(format!(
            "{}: a discus mount is already there; `discus unmount {}` first",
            dir.display(),
            dir.display()
        )));
    }
    check_fuse(&settings.device)?;
    let (tree, left_out) = image.namespace();
    let owner = std::fs::metadata(&image.path).map_err(|e| Error::io(&image.path, e))?;
    let fs = MountFs::new(tree, owner.uid(), owner.gid(), image.modified);
    let mut config = Config::default();
    config.mount_options = vec![
        MountOption::RO,
        MountOption::NoExec,
        MountOption::NoDev,
        MountOption::NoSuid,
        MountOption::FSName(format!(
            "{SOURCE_PREFIX}{}",
            std::path::absolute(&image.path)
                .unwrap_or_else(|_| image.path.clone())
                .display()
        )),
        MountOption::Subtype("discus".to_string()),
    ];
    config.acl = SessionACL::Owner;
    config.n_threads = Some(settings.threads.max(1));
    config.clone_fd = true;
    let session = fuser::Session::new(fs, &dir, &config)
        .map_err(|e| mount_error(&dir, e))?
        .spawn()
        .map_err(|e| Error::io(&dir, e))?;
    Ok(Mounted {
        dir,
        session: Some(session),
        left_out,
    })
}

/// Advice for a mount the kernel or fusermount3 refused.
fn mount_error(dir: &Path, error: std::io::Error) -> Error {
    let hint = match error.kind() {
        ErrorKind::PermissionDenied => {
            "; mounting needs root, or fusermount3 (package fuse3) and permission to mount at this folder"
        }
        ErrorKind::NotFound => "; install fuse3 for fusermount3 (`apt install fuse3`)",
        _ => "",
    };
    Error::io(
        dir,
        std::io::Error::new(error.kind(), format!("cannot mount: {error}{hint}")),
    )
}

impl Mounted {
    /// The folder it is mounted at.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Entries of the disc's tree `files/` does not show, and why.
    pub fn left_out(&self) -> &[String] {
        &self.left_out
    }

    /// Serves until `stop` is set (then unmounts) or someone unmounts from outside.
    pub fn serve_until(mut self, stop: &AtomicBool) -> Result<()> {
        loop {
            if self.session.as_ref().is_none_or(|s| s.guard.is_finished()) {
                return self.join();
            }
            if stop.load(Ordering::Relaxed) {
                return self.unmount();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Unmounts, lazily if a reader still has a file open (the folder is free at once; open files
    /// fail when the process ends), and waits a moment for the server to finish.
    pub fn unmount(mut self) -> Result<()> {
        unmount_dir(&self.dir, true)?;
        let deadline = Instant::now() + Duration::from_secs(3);
        while self
            .session
            .as_ref()
            .is_some_and(|s| !s.guard.is_finished())
        {
            if Instant::now() > deadline {
                // A reader holds a file open: the folder is already free, and the server ends
                // with the process.
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.join()
    }

    /// Ends the session once its mount is gone (unmounted here or from outside).
    fn join(&mut self) -> Result<()> {
        match self.session.take() {
            // Its thread has ended, so nothing is served any more. Joining would drop fuser's
            // mount guard, which unmounts the folder once more (fuser 0.18 takes a device that
            // reports an error for one still mounted) — and by then a new mount may be there
            // (`discus unmount DIR; discus mount other DIR`: the likely cause of a new mount
            // vanishing once on a busy machine). The session is left to the end of the process
            // instead, which closes its device.
            Some(session) if session.guard.is_finished() => {
                std::mem::forget(session);
                Ok(())
            }
            Some(session) => session.join().map_err(|e| Error::io(&self.dir, e)),
            None => Ok(()),
        }
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if self.session.is_some() {
            let _ = unmount_dir(&self.dir, true);
        }
    }
}

/// `dir` made absolute without resolving its last part: a mount point whose server died cannot
/// be looked at (ENOTCONN), and it must still be found and unmounted.
fn absolute(dir: &Path) -> Result<PathBuf> {
    let dir = std::path::absolute(dir).map_err(|e| Error::io(dir, e))?;
    match (dir.parent(), dir.file_name()) {
        (Some(parent), Some(name)) => Ok(parent
            .canonicalize()
            .map_err(|e| Error::io(parent, e))?
            .join(name)),
        _ => Ok(dir),
    }
}

/// Unmounts the discus mount at `dir`. A busy mount (a program has a file open there, or its
/// working folder) is detached when `lazy`, else refused with advice.
pub fn unmount(dir: &Path, lazy: bool) -> Result<()> {
    let dir = absolute(dir)?;
    if !is_discus_mount(&dir)? {
        return Err(Error::Usage(format!(
            "{}: no discus mount there",
            dir.display()
        )));
    }
    unmount_dir(&dir, lazy)
}

fn unmount_dir(dir: &Path, lazy: bool) -> Result<()> {
    match umount2(dir, MntFlags::empty()) {
        Ok(()) => Ok(()),
        Err(Errno::EBUSY) if lazy => match umount2(dir, MntFlags::MNT_DETACH) {
            Ok(()) => Ok(()),
            Err(Errno::EPERM) => fusermount_unmount(dir, true),
            Err(e) => Err(Error::io(dir, e.into())),
        },
        Err(Errno::EBUSY) => Err(Error::Usage(format!(
            "{}: busy (a program has a file open there, or its working folder); close it, or pass \
             --lazy to detach the mount now",
            dir.display()
        ))),
        // Only root unmounts directly; users go through the setuid helper.
        Err(Errno::EPERM) => fusermount_unmount(dir, lazy),
        Err(Errno::EINVAL) => Ok(()), // already gone: nothing is mounted there any more
        Err(e) => Err(Error::io(dir, e.into())),
    }
}

fn fusermount_unmount(dir: &Path, lazy: bool) -> Result<()> {
    let helper = fusermount().ok_or_else(|| {
        Error::Usage(format!(
            "{}: unmounting as a user who is not root needs fusermount3: install fuse3",
            dir.display()
        ))
    })?;
    let mut command = Command::new(&helper);
    command.arg("-u").arg("-q");
    if lazy {
        command.arg("-z");
    }
    let output = command
        .arg("--")
        .arg(dir)
        .output()
        .map_err(|e| Error::io(&helper, e))?;
    match output.status.success() {
        true => Ok(()),
        false => Err(Error::Usage(format!(
            "{}: {} could not unmount it: {}",
            dir.display(),
            helper.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ))),
    }
}

/// Whether a discus mount is at `dir` (an absolute path), from the kernel's mount table.
pub fn is_discus_mount(dir: &Path) -> Result<bool> {
    let table = Path::new("/proc/self/mountinfo");
    let text = std::fs::read_to_string(table).map_err(|e| Error::io(table, e))?;
    Ok(text.lines().any(|line| {
        let fields: Vec<&str> = line.split(' ').collect();
        // Fields: id, parent, dev, root, mount point, options, optional fields…, "-", type,
        // source, super options.
        let Some(dash) = fields.iter().position(|f| *f == "-") else {
            return false;
        };
        let (Some(point), Some(kind), Some(source)) =
            (fields.get(4), fields.get(dash + 1), fields.get(dash + 2))
        else {
            return false;
        };
        kind.starts_with("fuse")
            && unescape(source).starts_with(SOURCE_PREFIX)
            && Path::new(&unescape(point)) == dir
    }))
}

/// A field of the mount table with its octal escapes (`\040` for a space) decoded.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match octal {
            Some(digits) => {
                let value = digits.iter().fold(0u32, |v, d| v * 8 + u32::from(d - b'0'));
                out.push(value as u8);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_table_escapes_decode() {
        assert_eq!(unescape(r"/tmp/a\040b\134c"), r"/tmp/a b\c");
        assert_eq!(unescape(r"plain\04"), r"plain\04");
    }

    #[test]
    fn a_missing_device_says_what_to_do() {
        let error = check_fuse(Path::new("/nonexistent/fuse")).expect_err("no device");
        let text = error.to_string();
        assert!(text.contains("/nonexistent/fuse"), "{text}");
        assert!(text.contains("modprobe fuse"), "{text}");
    }
}
