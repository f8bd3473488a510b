//! `files/`: the disc's own file tree, read by `discus-fs` (the tree `discus ls` shows: Rock
//! Ridge, else UDF, Joliet, ISO 9660:1999, the primary tree; or the one asked for), with the
//! modes, dates and links the disc records. The tree is read once, at mount; a file's bytes are
//! read when asked, straight through its extents (a multi-extent or interleaved file is one file)
//! and the mount's block cache, never buffered whole.
//!
//! What the kernel could not show is left out and said: a name that is empty, `.`, `..` or holds
//! `/` or NUL (the rule `discus extract` applies), a second entry of a name, an associated file
//! (a resource fork: it shares its data file's name), a device, FIFO or socket.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use discus::fs::{Extent, Kind, TreeKind};
use discus::{Error, Format, Result};

use crate::cache::BLOCK;
use crate::image::{Content, Memory, Pool, Shared};
use crate::tree::{Meta, Tree};

/// The cache key's view number for disc blocks: apart from the flat files' (numbered from 0).
const DISC_VIEW: usize = usize::MAX;

/// Bytes of a logical block of the filesystem.
const FS_BLOCK: u64 = discus::fs::BLOCK as u64;

/// How many left-out entries are named one by one; the rest are counted.
const NAMED: usize = 20;

/// The disc's filesystem, opened for `files/`.
pub struct Disc {
    tree: discus::fs::Tree,
    reader: Arc<DiscReader>,
}

/// Reads the disc's 2048-byte blocks for every file of `files/`, through the shared cache.
struct DiscReader {
    path: PathBuf,
    images: Pool<discus::fs::Image>,
    shared: Arc<Shared>,
}

impl Disc {
    /// Opens the filesystem of `path` (read by `format`) and reads its tree (`kind`, or the one
    /// the disc records best). `shared` holds the cache its files read through.
    pub(crate) fn open(
        path: &Path,
        format: &'static Format,
        kind: Option<TreeKind>,
        sources: usize,
        shared: Arc<Shared>,
    ) -> Result<Disc> {
        let open = {
            let path = path.to_path_buf();
            move || discus::fs::Image::open(discus::open_as(&path, format)?.source, &path)
        };
        let mut image = open()?;
        let tree = image.tree(kind)?;
        let reader = Arc::new(DiscReader {
            path: path.to_path_buf(),
            images: Pool::new(Some(image), sources, open),
            shared,
        });
        Ok(Disc { tree, reader })
    }

    /// Which tree is shown.
    pub fn kind(&self) -> TreeKind {
        self.tree.kind
    }

    /// What the reader tolerated while reading the tree.
    pub fn warnings(&self) -> &[String] {
        &self.tree.warnings
    }

    /// Adds the tree's entries to folder `folder` of `tree`; returns what was left out, and why.
    pub fn add_to(&self, tree: &mut Tree, folder: u64) -> Vec<String> {
        let disc = &self.tree;
        let mut left_out = Vec::new();
        // Each node once, whatever the reader gave: a node listed in two folders cannot make the
        // walk go round.
        let mut seen = vec![false; disc.nodes.len()];
        let mut stack = vec![(0usize, folder, String::new())];
        seen[0] = true;
        while let Some((index, number, path)) = stack.pop() {
            tree.set_meta(number, meta(&disc.nodes[index]));
            for &child in &disc.nodes[index].children {
                let Some(node) = disc.nodes.get(child) else {
                    continue;
                };
                let child_path = format!("{path}/{}", node.name);
                if std::mem::replace(&mut seen[child], true) {
                    left_out.push(format!("{child_path}: listed twice"));
                    continue;
                }
                if let Err(why) = discus::fs::extract::safe_name(&node.name) {
                    left_out.push(format!("{child_path}: {why}"));
                    continue;
                }
                if node.associated {
                    left_out.push(format!(
                        "{child_path}: an associated file (resource fork), which shares its data file's name"
                    ));
                    continue;
                }
                let added = match &node.kind {
                    Kind::Directory => tree.add_dir(number, &node.name).inspect(|&n| {
                        stack.push((child, n, child_path.clone()));
                    }),
                    Kind::File => tree.add_file(number, &node.name, self.content(node)),
                    Kind::Symlink(target) => tree.add_symlink(number, &node.name, target),
                    Kind::Special { .. } => {
                        left_out.push(format!("{child_path}: a device, FIFO or socket"));
                        continue;
                    }
                };
                match added {
                    Some(n) => tree.set_meta(n, meta(node)),
                    None => left_out.push(format!("{child_path}: a second entry of this name")),
                }
            }
        }
        if left_out.len() > NAMED {
            let more = left_out.len() - NAMED;
            left_out.truncate(NAMED);
            left_out.push(format!("and {more} more entries"));
        }
        left_out
    }

    /// How a file's bytes are read: straight through its extents, or (data that must be decoded
    /// or framed: zisofs, Mode 2 Form 2, or none readable) through the reader's own stream.
    fn content(&self, node: &discus::fs::Node) -> Arc<dyn Content> {
        if let Some(data) = &node.inline {
            return Arc::new(Memory(data.clone()));
        }
        if node.zisofs || node.xa_form2.is_some() || node.unreadable.is_some() {
            return Arc::new(Streamed {
                node: node.clone(),
                size: node.stream_size(),
                reader: self.reader.clone(),
            });
        }
        let mut runs = Vec::with_capacity(node.extents.len());
        let mut at = 0u64;
        for extent in node.extents.iter().filter(|e| e.bytes > 0) {
            runs.push((at, extent.clone()));
            at += extent.bytes;
        }
        Arc::new(Extents {
            runs,
            size: at,
            reader: self.reader.clone(),
        })
    }
}

/// The mode and date a node shows.
fn meta(node: &discus::fs::Node) -> Meta {
    let time = node.modified.and_then(|t| {
        let seconds = Duration::from_secs(t.0.unsigned_abs());
        match t.0 >= 0 {
            true => SystemTime::UNIX_EPOCH.checked_add(seconds),
            false => SystemTime::UNIX_EPOCH.checked_sub(seconds),
        }
    });
    Meta {
        mode: Some(node.effective_mode() & 0o7777),
        time,
    }
}

impl DiscReader {
    /// Fills `out` with the disc's bytes from byte `at` (block × 2048 + offset), a cache block
    /// at a time.
    fn read(&self, mut at: u64, mut out: &mut [u8]) -> Result<()> {
        while !out.is_empty() {
            let group = at / BLOCK;
            let inside = (at % BLOCK) as usize;
            let take = out.len().min(BLOCK as usize - inside);
            match self.group(group)? {
                Some(data) => out[..take].copy_from_slice(&data[inside..inside + take]),
                None => {
                    // A group the data tracks do not hold whole (the end of a track): read only
                    // the blocks asked for, uncached.
                    let first = at / FS_BLOCK;
                    let last = (at + take as u64).div_ceil(FS_BLOCK);
                    let mut data = vec![0u8; ((last - first) * FS_BLOCK) as usize];
                    self.images
                        .with(|image| image.blocks().read(first, &mut data))?;
                    let from = (at - first * FS_BLOCK) as usize;
                    out[..take].copy_from_slice(&data[from..from + take]);
                }
            }
            at += take as u64;
            out = &mut out[take..];
        }
        Ok(())
    }

    /// Cache block `group` of the disc's blocks, read now if not cached; `None` when the data
    /// tracks do not hold all of it.
    fn group(&self, group: u64) -> Result<Option<Arc<Vec<u8>>>> {
        let key = (DISC_VIEW, group);
        if let Some(data) = self.shared.cache.get(key) {
            return Ok(Some(data));
        }
        let per_group = BLOCK / FS_BLOCK;
        let first = group * per_group;
        let data = self.images.with(|image| {
            let blocks = image.blocks();
            if !blocks.holds(first, per_group) {
                return Ok(None);
            }
            let mut data = vec![0u8; BLOCK as usize];
            blocks.read(first, &mut data)?;
            Ok(Some(Arc::new(data)))
        })?;
        if let Some(data) = &data {
            self.shared.cache.insert(key, data.clone());
        }
        Ok(data)
    }
}

/// A file read through its extents.
struct Extents {
    /// Each extent with the file offset it starts at.
    runs: Vec<(u64, Extent)>,
    size: u64,
    reader: Arc<DiscReader>,
}

impl Content for Extents {
    fn len(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, out: &mut [u8]) -> Result<usize> {
        let end = self.size.min(offset.saturating_add(out.len() as u64));
        let mut at = offset;
        // The first run that ends past the offset; an interleaved file has thousands of runs.
        let mut run = self
            .runs
            .partition_point(|(start, e)| start + e.bytes <= at);
        while at < end {
            let Some((start, extent)) = self.runs.get(run) else {
                break;
            };
            let take = (end.min(start + extent.bytes) - at) as usize;
            let from = (at - offset) as usize;
            let piece = &mut out[from..from + take];
            match extent.block {
                None => piece.fill(0),
                Some(block) => self.reader.read(block * FS_BLOCK + (at - start), piece)?,
            }
            at += take as u64;
            run += 1;
        }
        Ok(at.saturating_sub(offset) as usize)
    }
}

/// A file whose bytes the filesystem reader must produce (decompress zisofs, frame Form 2
/// sectors as RIFF/CDXA) or refuse: opened for each read, on a reader of the pool.
struct Streamed {
    node: discus::fs::Node,
    size: u64,
    reader: Arc<DiscReader>,
}

impl Content for Streamed {
    fn len(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, out: &mut [u8]) -> Result<usize> {
        let path = &self.reader.path;
        self.reader.images.with(|image| {
            let mut stream = image.open_file(&self.node)?;
            stream
                .seek(SeekFrom::Start(offset))
                .map_err(|e| Error::io(path, e))?;
            let mut done = 0;
            while done < out.len() {
                let n = stream
                    .read(&mut out[done..])
                    .map_err(|e| match e.downcast::<Error>() {
                        Ok(inner) => inner,
                        Err(e) => Error::io(path, e),
                    })?;
                if n == 0 {
                    break;
                }
                done += n;
            }
            Ok(done)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::image::{Image, Options};
    use crate::tree::Kind as NodeKind;

    fn samples() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples")
    }

    /// Every file below `folder` of `tree`, with its path from `folder`.
    fn files(tree: &Tree, folder: u64, path: &str, out: &mut Vec<(String, u64)>) {
        let Some(NodeKind::Dir(entries)) = tree.node(folder).map(|n| &n.kind) else {
            return;
        };
        for (name, number) in entries {
            let child = format!("{path}/{name}");
            match tree.node(*number).map(|n| &n.kind) {
                Some(NodeKind::Dir(_)) => files(tree, *number, &child, out),
                Some(NodeKind::File(_)) => out.push((child, *number)),
                _ => {}
            }
        }
    }

    #[test]
    fn files_read_in_odd_pieces_equal_what_the_filesystem_reader_gives() {
        // A cache of two blocks, so blocks come and go; pieces that cross sectors and cache
        // blocks; every sample format with a filesystem.
        let options = Options {
            cache: 2 * BLOCK,
            sources: 2,
            tree: None,
        };
        for sample in [
            "iso/data.iso",
            "cso/data.cso",
            "cso/data.zso",
            "img/data-2352.img",
            "cue/mixed/mixed.cue",
            "nrg/mixed.nrg",
            "mds/mixed.mds",
            "ccd/mixed.ccd",
            "cue/xa/xa.cue",
        ] {
            let path = samples().join(sample);
            let image = Image::open(&path, &options).unwrap();
            let (tree, left_out) = image.namespace();
            assert!(left_out.is_empty(), "{sample}: {left_out:?}");
            let folder = tree.lookup(Tree::ROOT, crate::image::FILES).unwrap();
            let mut found = Vec::new();
            files(&tree, folder, "", &mut found);
            assert!(!found.is_empty(), "{sample}");
            let mut reader = discus::open_filesystem(&path).unwrap();
            let disc = reader.tree(None).unwrap();
            for (name, number) in found {
                let Some(NodeKind::File(content)) = tree.node(number).map(|n| &n.kind) else {
                    unreachable!("a file");
                };
                let index = disc.lookup(&name).unwrap();
                let mut expected = Vec::new();
                reader
                    .open_file(&disc.nodes[index])
                    .unwrap()
                    .read_to_end(&mut expected)
                    .unwrap();
                assert_eq!(content.len(), expected.len() as u64, "{sample}{name}");
                let mut got = Vec::new();
                let mut piece = vec![0u8; 3001];
                loop {
                    let n = content.read_at(got.len() as u64, &mut piece).unwrap();
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&piece[..n]);
                }
                assert!(got == expected, "{sample}{name}");
                assert_eq!(
                    content
                        .read_at(expected.len() as u64 + 5, &mut piece)
                        .unwrap(),
                    0
                );
            }
            assert!(image.cached_bytes() <= 2 * BLOCK);
        }
    }
}
