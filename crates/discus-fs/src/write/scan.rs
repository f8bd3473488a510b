//! Reading the folder an image is made from: every entry with its name, kind, mode, owner and
//! time, children sorted by name so the image does not depend on the order the file system lists
//! them. Nothing is followed or opened here: a symbolic link is recorded as a link (its target as
//! written, even one pointing out of the folder), FIFOs, devices and sockets are skipped with a
//! warning, and regular files are only measured (their bytes are read when the image is written).

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use discus_core::{Error, Result};

/// What one entry is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// A folder; its children are in [`Entry::children`].
    Dir,
    /// A regular file of `size` bytes at `path`.
    File {
        /// Where its bytes are read from.
        path: PathBuf,
        /// Its size when the folder was read: a file that then changes size is an error.
        size: u64,
        /// Device and inode of a file with more than one name (a hard link): its names share
        /// one copy of the data.
        inode: Option<(u64, u64)>,
        /// Device and inode as the folder was read: the file opened later to copy its data must
        /// be this one, not a link or another file put in its place meanwhile.
        identity: Option<(u64, u64)>,
    },
    /// A symbolic link, with its target as recorded (bytes, never resolved).
    Symlink(Vec<u8>),
}

/// One entry of the folder.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// The name as the file system gives it (bytes; empty for the root).
    pub name: Vec<u8>,
    pub kind: EntryKind,
    /// The POSIX mode, type bits included.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Last modification, seconds since 1970 UTC.
    pub mtime: i64,
    /// The folder holding it (the root is its own parent).
    pub parent: usize,
    /// Children of a folder, sorted by name bytes.
    pub children: Vec<usize>,
}

impl Entry {
    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Dir
    }
}

/// The folder, read: entry 0 is the root.
#[derive(Debug)]
pub(crate) struct Scanned {
    pub entries: Vec<Entry>,
    /// What was left out, one sentence each.
    pub warnings: Vec<String>,
}

/// Folders deeper than this are refused: no reader follows them and a loop of bind mounts would
/// otherwise never end.
const MAX_DEPTH: usize = 256;

/// Reads the folder `root`, leaving out the entries `exclude` says to (checked by path).
pub(crate) fn scan(root: &Path, exclude: &dyn Fn(&Path) -> bool) -> Result<Scanned> {
    let meta = fs::metadata(root).map_err(|e| Error::io(root, e))?;
    if !meta.is_dir() {
        return Err(Error::Usage(format!("{}: is not a folder", root.display())));
    }
    let mut scanned = Scanned {
        entries: vec![entry(Vec::new(), EntryKind::Dir, &meta, 0)],
        warnings: Vec::new(),
    };
    let mut stack = vec![(0usize, root.to_path_buf(), 0usize)];
    while let Some((index, path, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(Error::unsupported(
                &path,
                format!("folders nest deeper than {MAX_DEPTH} levels"),
            ));
        }
        let mut names: Vec<OsString> = Vec::new();
        for item in fs::read_dir(&path).map_err(|e| Error::io(&path, e))? {
            names.push(item.map_err(|e| Error::io(&path, e))?.file_name());
        }
        names.sort_by_key(|name| os_bytes(name));
        let mut children = Vec::new();
        for name in names {
            let child = path.join(&name);
            if exclude(&child) {
                continue;
            }
            let meta = fs::symlink_metadata(&child).map_err(|e| Error::io(&child, e))?;
            let kind = meta.file_type();
            let entry_kind = if kind.is_dir() {
                EntryKind::Dir
            } else if kind.is_file() {
                EntryKind::File {
                    path: child.clone(),
                    size: meta.len(),
                    inode: hard_link(&meta),
                    identity: identity(&meta),
                }
            } else if kind.is_symlink() {
                let target = fs::read_link(&child).map_err(|e| Error::io(&child, e))?;
                EntryKind::Symlink(os_bytes(target.as_os_str()))
            } else {
                // Opening a FIFO blocks and a device reads forever: neither is data to copy.
                scanned.warnings.push(format!(
                    "{}: skipped: {} (only files, folders and links are written)",
                    child.display(),
                    special_name(&meta)
                ));
                continue;
            };
            let is_dir = entry_kind == EntryKind::Dir;
            scanned
                .entries
                .push(entry(os_bytes(&name), entry_kind, &meta, index));
            let at = scanned.entries.len() - 1;
            children.push(at);
            if is_dir {
                stack.push((at, child, depth + 1));
            }
        }
        scanned.entries[index].children = children;
    }
    Ok(scanned)
}

fn entry(name: Vec<u8>, kind: EntryKind, meta: &fs::Metadata, parent: usize) -> Entry {
    let (mode, uid, gid, mtime) = attributes(meta);
    Entry {
        name,
        kind,
        mode,
        uid,
        gid,
        mtime,
        parent,
        children: Vec::new(),
    }
}

#[cfg(unix)]
fn attributes(meta: &fs::Metadata) -> (u32, u32, u32, i64) {
    use std::os::unix::fs::MetadataExt;
    (meta.mode(), meta.uid(), meta.gid(), meta.mtime())
}

#[cfg(not(unix))]
fn attributes(meta: &fs::Metadata) -> (u32, u32, u32, i64) {
    let kind = if meta.is_dir() { 0o040755 } else { 0o100644 };
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs() as i64);
    (kind, 0, 0, mtime)
}

#[cfg(unix)]
fn hard_link(meta: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    (meta.nlink() > 1).then(|| (meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn hard_link(_: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Device and inode of a file (`None` where the system has none).
#[cfg(unix)]
pub(crate) fn identity(meta: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
pub(crate) fn identity(_: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

#[cfg(unix)]
fn special_name(meta: &fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_char_device() {
        "a character device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_name(_: &fs::Metadata) -> &'static str {
    "a special file"
}

/// A name's bytes: as stored on Unix, UTF-8 elsewhere.
#[cfg(unix)]
pub(crate) fn os_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    std::os::unix::ffi::OsStrExt::as_bytes(name).to_vec()
}

#[cfg(not(unix))]
pub(crate) fn os_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    name.to_string_lossy().into_owned().into_bytes()
}
