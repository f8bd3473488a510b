//! The filesystems inside a disc image: ISO 9660 (levels 1–3, multi-extent, interleaved and
//! versioned files, extended attribute records), Joliet, ISO 9660:1999, Rock Ridge (SUSP with CE
//! continuation, relocated directories shown at their real place), El Torito boot catalogs and UDF
//! — read over the 2048-byte user data of the first data track of any [`SectorSource`], so an
//! image in any container is read as it is, never converted first.
//!
//! ```text
//! SectorSource ──Blocks (cooked 2048-byte blocks)──▶ descriptors ──▶ Tree (nodes, extents)
//!                                                                    └──▶ FileStream (Read + Seek)
//! ```
//!
//! Nothing read from the disc sizes an allocation unchecked: every extent is checked against the
//! image before it is read, directories are bounded, and a directory reached twice is an error.

pub mod blocks;
pub mod eltorito;
pub mod extract;
pub mod game;
pub mod iso9660;
pub mod rockridge;
pub mod tree;
pub mod udf;
pub mod write;

use std::path::Path;

pub use blocks::{BLOCK, Blocks, Extent, FileStream};
pub use eltorito::BootEntry;
pub use tree::{Kind, Node, Timestamp, Tree, TreeKind};

use discus_core::iso9660::{Volume, parse_pvd};
use discus_core::{Error, Result, SectorSource};

/// A disc opened for its filesystems.
pub struct Image {
    blocks: Blocks,
    /// The ISO 9660 volumes: the first, and on a PS2 dual-layer disc the second (layer 1).
    volumes: Vec<IsoVolume>,
    /// Which of `volumes` [`Image::trees`] and [`Image::tree`] read.
    layer: usize,
    udf: Option<udf::Volume>,
}

/// One ISO 9660 volume and where it starts.
struct IsoVolume {
    /// The disc block its block 0 is.
    start: u64,
    descriptors: iso9660::Descriptors,
    volume: Option<Volume>,
    /// Rock Ridge's skip length, when the primary tree has Rock Ridge.
    rock_ridge: Option<usize>,
}

impl IsoVolume {
    /// Reads the descriptors of the volume whose block 0 is disc block `start`.
    fn read(blocks: &mut Blocks, start: u64) -> Result<IsoVolume> {
        blocks.set_offset(start);
        let read = (|| {
            let descriptors = iso9660::descriptors(blocks)?;
            let pvd_block = u64::from(blocks.first()) + 16;
            let volume = match blocks.holds(pvd_block, 1) {
                true => parse_pvd(&blocks.block(pvd_block)?),
                false => None,
            };
            let rock_ridge = match &descriptors.primary {
                Some(root) => rock_ridge_skip(blocks, root)?,
                None => None,
            };
            Ok(IsoVolume {
                start,
                descriptors,
                volume,
                rock_ridge,
            })
        })();
        blocks.set_offset(0);
        read
    }
}

impl Image {
    /// Reads the volume descriptors of the first data track of `source` (opened from `path`, named
    /// in errors).
    pub fn open(source: Box<dyn SectorSource>, path: &Path) -> Result<Image> {
        let mut blocks = Blocks::new(source, path)?;
        let first = IsoVolume::read(&mut blocks, 0)?;
        // A PS2 dual-layer dump holds two volumes: when the first is smaller than the image, the
        // block right after it holds layer 1's primary descriptor, its volume starting 16 blocks
        // earlier (as PCSX2 and Open PS2 Loader find it).
        let mut volumes = vec![];
        let second = match &first.volume {
            Some(v) if u64::from(v.blocks) > 16 && blocks.holds(u64::from(v.blocks), 1) => {
                match parse_pvd(&blocks.block(u64::from(v.blocks))?) {
                    Some(_) => Some(IsoVolume::read(&mut blocks, u64::from(v.blocks) - 16)?),
                    None => None,
                }
            }
            _ => None,
        };
        volumes.push(first);
        volumes.extend(second);
        // A UDF volume is looked for on every disc: the recognition sequence is optional in
        // practice (some mastering tools leave it out), the anchor at block 256 is not.
        let udf = udf::Volume::find(&mut blocks)?;
        Ok(Image {
            blocks,
            volumes,
            layer: 0,
            udf,
        })
    }

    /// How many ISO 9660 volumes the disc holds (2 on a PS2 dual-layer disc).
    pub fn layers(&self) -> usize {
        self.volumes.len()
    }

    /// Reads the trees of volume `layer` (0, or 1 for a dual-layer disc's second) from now on.
    pub fn set_layer(&mut self, layer: usize) -> Result<()> {
        if layer >= self.volumes.len() {
            return Err(Error::Usage(format!(
                "{}: has no layer {layer} volume ({} volume(s))",
                self.blocks.path().display(),
                self.volumes.len()
            )));
        }
        self.layer = layer;
        Ok(())
    }

    fn current(&self) -> &IsoVolume {
        &self.volumes[self.layer]
    }

    /// The primary volume descriptor (label, size, creation time) of the volume read, when there
    /// is one.
    pub fn volume(&self) -> Option<&Volume> {
        self.current().volume.as_ref()
    }

    /// The trees this disc records, in the order the default choice prefers them.
    pub fn trees(&self) -> Vec<TreeKind> {
        TreeKind::PREFERENCE
            .into_iter()
            .filter(|kind| match kind {
                TreeKind::RockRidge => self.current().rock_ridge.is_some(),
                // UDF describes the whole disc, from the first layer.
                TreeKind::Udf => self.udf.is_some() && self.layer == 0,
                TreeKind::Joliet => self.current().descriptors.joliet.is_some(),
                TreeKind::Iso1999 => self.current().descriptors.iso1999.is_some(),
                TreeKind::Iso9660 => self.current().descriptors.primary.is_some(),
            })
            .collect()
    }

    /// Reads the tree `kind`, or the one the disc records that is preferred (Rock Ridge > UDF >
    /// Joliet > ISO 9660:1999 > primary).
    pub fn tree(&mut self, kind: Option<TreeKind>) -> Result<Tree> {
        self.tree_to_depth(kind, usize::MAX)
    }

    /// Like [`Image::tree`], reading folders only `max_depth` levels below the root (deeper ones
    /// are listed empty). UDF trees are always read whole.
    pub fn tree_to_depth(&mut self, kind: Option<TreeKind>, max_depth: usize) -> Result<Tree> {
        let available = self.trees();
        let kind = match kind {
            Some(kind) if available.contains(&kind) => kind,
            Some(kind) => {
                let names: Vec<&str> = available.iter().map(|k| k.name()).collect();
                return Err(Error::Usage(format!(
                    "{}: has no {} tree (it has: {})",
                    self.blocks.path().display(),
                    kind.name(),
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                )));
            }
            None => *available.first().ok_or_else(|| {
                Error::unsupported(
                    self.blocks.path(),
                    "no ISO 9660 or UDF filesystem on the first data track",
                )
            })?,
        };
        let volume = self.current();
        let root = match kind {
            TreeKind::RockRidge | TreeKind::Iso9660 => volume.descriptors.primary.clone(),
            TreeKind::Joliet => volume.descriptors.joliet.clone(),
            TreeKind::Iso1999 => volume.descriptors.iso1999.clone(),
            TreeKind::Udf => {
                let udf = self
                    .udf
                    .clone()
                    .ok_or_else(|| Error::unsupported(self.blocks.path(), "no UDF volume"))?;
                return udf.read_tree(&mut self.blocks);
            }
        };
        let root = root.ok_or_else(|| {
            Error::unsupported(self.blocks.path(), format!("no {} tree", kind.name()))
        })?;
        let (start, skip) = (volume.start, volume.rock_ridge.unwrap_or(0));
        let high_sierra = volume.descriptors.high_sierra;
        self.blocks.set_offset(start);
        let tree = iso9660::read_tree(&mut self.blocks, kind, &root, skip, max_depth, high_sierra);
        self.blocks.set_offset(0);
        let mut tree = tree?;
        // Files are read by their place on the disc.
        if start > 0 {
            for node in &mut tree.nodes {
                for extent in &mut node.extents {
                    extent.block = extent.block.map(|b| b + start);
                }
                node.record += start;
            }
        }
        Ok(tree)
    }

    /// The entries of the El Torito boot catalog, if the disc has one.
    pub fn boot_entries(&mut self) -> Result<Option<Vec<BootEntry>>> {
        // A boot catalog's blocks count from the disc's start: only the first volume has one.
        match self.volumes[0].descriptors.boot_catalog {
            Some(block) => eltorito::read_catalog(&mut self.blocks, block).map(Some),
            None => Ok(None),
        }
    }

    /// A stream over a file's bytes (a Mode 2 Form 2 file's as RIFF/CDXA with whole sectors).
    /// Refuses a file whose data cannot be given as stored.
    pub fn open_file(&mut self, node: &Node) -> Result<FileStream<'_>> {
        if let Some(why) = &node.unreadable {
            return Err(self
                .blocks
                .invalid(node.record, format!("{}: {why}", node.name)));
        }
        if let Some(record) = &node.xa_form2 {
            let first = node.extents.first().and_then(|e| e.block);
            if first.is_some_and(|b| !self.blocks.keeps_whole_sector(b)) {
                // Sectors rebuilt from 2048 bytes would be Mode 1 sectors the disc never had.
                return Err(Error::unsupported(
                    self.blocks.path(),
                    format!(
                        "{}: a Mode 2 Form 2 file (XA audio or video) whose 2324-byte sectors this image does not keep (it stores 2048 bytes a sector); extract it from a BIN/CUE or another raw dump",
                        node.name
                    ),
                ));
            }
            return Ok(FileStream::cdxa(
                &mut self.blocks,
                node.extents.clone(),
                record,
            ));
        }
        let stream = FileStream::new(&mut self.blocks, node.extents.clone(), node.inline.clone());
        match node.zisofs {
            true => stream.into_zisofs(),
            false => Ok(stream),
        }
    }

    /// The blocks underneath, for readers of raw structures.
    pub fn blocks(&mut self) -> &mut Blocks {
        &mut self.blocks
    }
}

/// Whether the primary tree has Rock Ridge: the root's `.` record starts its System Use area
/// with an `SP` entry (and then the bytes every later area skips).
fn rock_ridge_skip(blocks: &mut Blocks, root: &[u8]) -> Result<Option<usize>> {
    if root.len() < 34 {
        return Ok(None);
    }
    let extent = u64::from(u32::from_le_bytes([root[2], root[3], root[4], root[5]]));
    if !blocks.holds(extent, 1) {
        return Ok(None);
    }
    let data = blocks.block(extent)?;
    let length = usize::from(data[0]);
    if !(34..=BLOCK).contains(&length) {
        return Ok(None);
    }
    let name_len = usize::from(data[32]);
    let start = 33 + name_len + (name_len + 1) % 2;
    let Some(area) = data.get(start..length) else {
        return Ok(None);
    };
    let entries = rockridge::read(blocks, area, extent)?;
    Ok(entries.sp)
}
