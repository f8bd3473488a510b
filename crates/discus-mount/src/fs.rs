//! The FUSE server: answers the kernel from a [`Tree`], read-only. Every file is immutable while
//! mounted, so the kernel may keep what it read (`FOPEN_KEEP_CACHE`) and names and attributes
//! for long; a write of any kind is refused with `EROFS`.

use std::ffi::OsStr;
use std::io::Write;
use std::time::{Duration, SystemTime};

use fuser::{
    AccessFlags, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation,
    INodeNo, InitFlags, KernelConfig, LockOwner, OpenAccMode, OpenFlags, ReplyAttr, ReplyData,
    ReplyDirectory, ReplyDirectoryPlus, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, Request,
};

use crate::cache::BLOCK;
use crate::tree::{Kind, Node, Tree};

/// How long the kernel may trust a name or an attribute: nothing changes while mounted.
const TTL: Duration = Duration::from_secs(3600);

/// The largest read-ahead to ask the kernel for: a few cache blocks, so a sequential reader's
/// next requests are in flight (on other server threads) while one is served.
const READ_AHEAD: u32 = 1 << 20;

/// The filesystem a mount serves.
pub struct MountFs {
    tree: Tree,
    /// Owner of every node (the image file's).
    uid: u32,
    gid: u32,
    /// Time shown on every node (the image file's last change).
    time: SystemTime,
}

impl MountFs {
    /// Serves `tree`, every node owned by `uid`:`gid` and dated `time`.
    pub fn new(tree: Tree, uid: u32, gid: u32, time: SystemTime) -> MountFs {
        MountFs {
            tree,
            uid,
            gid,
            time,
        }
    }

    fn attr(&self, number: u64, node: &Node) -> FileAttr {
        let (kind, size, perm, nlink) = match &node.kind {
            Kind::Dir(_) => (FileType::Directory, 0, 0o555, 2 + node.subdirs),
            Kind::File(content) => (FileType::RegularFile, content.len(), 0o444, 1),
            Kind::Symlink(target) => (FileType::Symlink, target.len() as u64, 0o777, 1),
        };
        // Only permission bits: the type comes from the kind, and set-id bits mean nothing on a
        // `nosuid` mount.
        let perm = node.meta.mode.map_or(perm, |mode| mode & 0o777) as u16;
        let time = node.meta.time.unwrap_or(self.time);
        FileAttr {
            ino: INodeNo(number),
            size,
            blocks: size.div_ceil(512),
            atime: time,
            mtime: time,
            ctime: time,
            crtime: time,
            kind,
            perm,
            nlink,
            uid: self.uid,
            gid: self.gid,
            rdev: 0,
            flags: 0,
            // What `cp` and `dd` size their buffers by: one cache block per request.
            blksize: BLOCK as u32,
        }
    }
}

/// Says why a read failed on stderr, never failing itself (stderr may be closed in the
/// background), and gives the reader an I/O error.
fn report(error: &discus::Error) -> Errno {
    let _ = writeln!(std::io::stderr(), "discus: mount: {error}");
    Errno::EIO
}

impl MountFs {
    /// The entries of folder `number` from `offset` on (`.` and `..` first), each with the
    /// offset the kernel resumes after it from.
    fn listing(
        &self,
        number: u64,
        offset: u64,
    ) -> Result<impl Iterator<Item = (u64, &str, u64, &Node)>, Errno> {
        let node = self.tree.node(number).ok_or(Errno::ENOENT)?;
        let Kind::Dir(entries) = &node.kind else {
            return Err(Errno::ENOTDIR);
        };
        let dots = [(".", number), ("..", node.parent)];
        let all = dots
            .into_iter()
            .chain(entries.iter().map(|(name, n)| (name.as_str(), *n)));
        Ok(all
            .enumerate()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .filter_map(|(position, (name, n))| {
                Some((position as u64 + 1, name, n, self.tree.node(n)?))
            }))
    }
}

impl Filesystem for MountFs {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> std::io::Result<()> {
        // Listings with attributes (see `readdirplus`), where the kernel offers them.
        let _ = config.add_capabilities(InitFlags::FUSE_DO_READDIRPLUS);
        // The kernel says how much read-ahead it allows by refusing more; take what it allows.
        if let Err(most) = config.set_max_readahead(READ_AHEAD) {
            let _ = config.set_max_readahead(most);
        }
        Ok(())
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let found = name
            .to_str()
            .and_then(|name| self.tree.lookup(parent.0, name))
            .and_then(|number| Some((number, self.tree.node(number)?)));
        match found {
            Some((number, node)) => {
                reply.entry(&TTL, &self.attr(number, node), Generation(0));
            }
            None => reply.error(Errno::ENOENT),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.tree.node(ino.0) {
            Some(node) => reply.attr(&TTL, &self.attr(ino.0, node)),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        if flags.acc_mode() != OpenAccMode::O_RDONLY {
            return reply.error(Errno::EROFS);
        }
        match self.tree.node(ino.0).map(|n| &n.kind) {
            Some(Kind::File(_)) => reply.opened(FileHandle(0), FopenFlags::FOPEN_KEEP_CACHE),
            Some(Kind::Dir(_)) => reply.error(Errno::EISDIR),
            // The kernel follows a link before opening; one opened as itself has no data.
            Some(Kind::Symlink(_)) => reply.error(Errno::ELOOP),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn readlink(&self, _req: &Request, ino: INodeNo, reply: ReplyData) {
        match self.tree.node(ino.0).map(|n| &n.kind) {
            Some(Kind::Symlink(target)) => reply.data(target.as_bytes()),
            Some(_) => reply.error(Errno::EINVAL),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let Some(Kind::File(content)) = self.tree.node(ino.0).map(|n| &n.kind) else {
            return reply.error(Errno::ENOENT);
        };
        let want = u64::from(size).min(content.len().saturating_sub(offset));
        let mut buf = vec![0u8; want as usize];
        match content.read_at(offset, &mut buf) {
            Ok(n) => reply.data(&buf[..n]),
            Err(error) => reply.error(report(&error)),
        }
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        match self.tree.node(ino.0).map(|n| &n.kind) {
            Some(Kind::Dir(_)) => reply.opened(FileHandle(0), FopenFlags::FOPEN_CACHE_DIR),
            Some(Kind::File(_) | Kind::Symlink(_)) => reply.error(Errno::ENOTDIR),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let entries = match self.listing(ino.0, offset) {
            Ok(entries) => entries,
            Err(errno) => return reply.error(errno),
        };
        for (position, name, number, node) in entries {
            let kind = match &node.kind {
                Kind::File(_) => FileType::RegularFile,
                Kind::Symlink(_) => FileType::Symlink,
                Kind::Dir(_) => FileType::Directory,
            };
            if reply.add(INodeNo(number), position, kind, name) {
                break;
            }
        }
        reply.ok();
    }

    /// A listing with every entry's attributes: `ls -l` and `find -ls` of a folder cost one
    /// request, not one lookup per entry.
    fn readdirplus(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectoryPlus,
    ) {
        let entries = match self.listing(ino.0, offset) {
            Ok(entries) => entries,
            Err(errno) => return reply.error(errno),
        };
        for (position, name, number, node) in entries {
            let attr = self.attr(number, node);
            if reply.add(INodeNo(number), position, name, &TTL, &attr, Generation(0)) {
                break;
            }
        }
        reply.ok();
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        let mut bytes = 0u64;
        for number in 1..=self.tree.len() as u64 {
            if let Some(Kind::File(content)) = self.tree.node(number).map(|n| &n.kind) {
                bytes += content.len();
            }
        }
        let files = self.tree.len() as u64;
        reply.statfs(bytes.div_ceil(2048), 0, 0, files, 0, 2048, 255, 2048);
    }

    fn access(&self, _req: &Request, ino: INodeNo, mask: AccessFlags, reply: ReplyEmpty) {
        match self.tree.node(ino.0) {
            None => reply.error(Errno::ENOENT),
            Some(_) if mask.contains(AccessFlags::W_OK) => reply.error(Errno::EROFS),
            Some(_) => reply.ok(),
        }
    }
}
