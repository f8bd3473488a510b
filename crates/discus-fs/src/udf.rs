//! UDF 1.02–2.60 (ECMA-167 with the OSTA profile), read path: the Anchor Volume Descriptor
//! Pointer (block 256, else N−256, else N−1), the Main Volume Descriptor Sequence (Partition and
//! Logical Volume descriptors), partition maps (type 1; and type 2: the sparable partition of
//! CD-RW/DVD-RW, whose sparing table moves defective packets elsewhere; the virtual partition of
//! packet-written CD-R/DVD-R, UDF 1.50+, whose Virtual Allocation Table in the last recorded
//! block maps virtual block numbers to recorded ones; the metadata partition of UDF 2.50+ /
//! Blu-ray), the File Set Descriptor, File Entries and Extended File Entries with every
//! allocation descriptor kind (short, long, extended, inline; recorded, unrecorded and
//! unallocated extents read as zeros; continuation chains), and File Identifier Descriptors with
//! OSTA CS0 names.
//!
//! Every descriptor starts with a 16-byte tag: identifier (u16), version, checksum of the tag's
//! other bytes, serial, CRC and its length, and the block the tag says it sits at.

use std::collections::{HashMap, HashSet};

use crate::blocks::{BLOCK, Blocks, Extent, FileStream};
use crate::tree::{Kind, Node, Timestamp, Tree, TreeKind};
use discus_core::Result;
use std::io::Read;

const TAG_ANCHOR: u16 = 2;
const TAG_PARTITION: u16 = 5;
const TAG_LOGICAL_VOLUME: u16 = 6;
const TAG_TERMINATING: u16 = 8;
const TAG_FILE_SET: u16 = 256;
const TAG_FILE_ID: u16 = 257;
const TAG_EXTENT: u16 = 258;
const TAG_FILE_ENTRY: u16 = 261;
const TAG_EXTENDED_FILE_ENTRY: u16 = 266;

/// Descriptors of a volume descriptor sequence read at most.
const MAX_SEQUENCE: u64 = 64;
/// Allocation extent descriptors followed for one file at most.
const MAX_CHAIN: usize = 4096;
/// The largest directory believed (see the ISO 9660 reader).
const MAX_DIRECTORY: u64 = 32 * 1024 * 1024;

fn u16_at(d: &[u8], at: usize) -> u16 {
    d.get(at..at + 2)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(d: &[u8], at: usize) -> u32 {
    d.get(at..at + 4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u64_at(d: &[u8], at: usize) -> u64 {
    d.get(at..at + 8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

/// The identifier of the tag at the start of `d` when its checksum holds.
fn tag(d: &[u8]) -> Option<u16> {
    let t = d.get(..16)?;
    let sum = t
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != 4)
        .fold(0u8, |acc, (_, &b)| acc.wrapping_add(b));
    (sum == t[4]).then(|| u16_at(t, 0))
}

/// How a partition reference number maps to blocks.
#[derive(Clone, Debug)]
enum Map {
    /// Type 1: the partition with this number, starting at this block.
    Physical { start: u64, length: u64 },
    /// UDF 2.50 metadata partition: blocks are addressed inside the metadata file, whose
    /// extents lie in the physical partition.
    Metadata { extents: Vec<Extent> },
    /// A sparable partition (CD-RW, DVD-RW): a physical one where a packet the sparing table
    /// lists was moved, whole, to the block the table gives.
    Sparable {
        start: u64,
        length: u64,
        /// Blocks in a packet (a power of two: 32 on CD-RW, 16 on DVD-RW).
        packet: u32,
        /// The first block of a moved packet (counted in the partition) → where it is now
        /// (counted on the disc).
        moved: HashMap<u32, u32>,
    },
    /// A virtual partition (UDF 1.50+ on write-once media): block `n` is block `table[n]` of the
    /// physical partition starting at `start`.
    Virtual { start: u64, table: Vec<u32> },
}

/// A sparing table's identifier (in its regid) and the VAT's trailing identifier (UDF 1.50).
const SPARING_TABLE_ID: &[u8] = b"*UDF Sparing Table";
const VAT_ID: &[u8] = b"*UDF Virtual Alloc Tbl";
/// The File Entry file type of a UDF 2.00+ Virtual Allocation Table.
const FILE_TYPE_VAT: u8 = 248;
/// Blocks before the last one searched for the VAT's File Entry: packet writers pad the end of
/// a session with a few blocks (Linux looks 3 back).
const VAT_SEARCH: u64 = 8;
/// Entries of a sparing table or VAT believed: a CD-R holds 360,000 blocks, a BD-R 12 million.
const MAX_MAP_ENTRIES: usize = 16 * 1024 * 1024;

/// A UDF volume found on the disc.
#[derive(Clone, Debug)]
pub struct Volume {
    maps: Vec<Map>,
    /// Where the File Set Descriptor is (block, partition reference).
    file_set: (u32, u16),
    /// Why the volume cannot be read, when it uses something not supported.
    unsupported: Option<String>,
}

impl Volume {
    /// Finds a UDF volume through its anchors, or `None` when the disc has none.
    pub fn find(blocks: &mut Blocks) -> Result<Option<Volume>> {
        let base = u64::from(blocks.first());
        let end = blocks.end();
        let candidates = [base + 256, end.saturating_sub(256), end.saturating_sub(1)];
        for at in candidates {
            if at < base + 256 || !blocks.holds(at, 1) {
                continue;
            }
            let anchor = blocks.block(at)?;
            if tag(&anchor) != Some(TAG_ANCHOR) {
                continue;
            }
            let length = u64::from(u32_at(&anchor, 16));
            let location = u64::from(u32_at(&anchor, 20));
            if let Some(volume) = Volume::from_sequence(blocks, location, length)? {
                return Ok(Some(volume));
            }
        }
        Ok(None)
    }

    fn from_sequence(blocks: &mut Blocks, location: u64, length: u64) -> Result<Option<Volume>> {
        let count = (length / BLOCK as u64).min(MAX_SEQUENCE);
        let mut partitions: Vec<(u16, u64, u64)> = Vec::new();
        let mut logical: Option<Vec<u8>> = None;
        for n in 0..count {
            let at = location + n;
            if !blocks.holds(at, 1) {
                break;
            }
            let d = blocks.block(at)?;
            match tag(&d) {
                Some(TAG_PARTITION) => partitions.push((
                    u16_at(&d, 22),
                    u64::from(u32_at(&d, 188)),
                    u64::from(u32_at(&d, 192)),
                )),
                Some(TAG_LOGICAL_VOLUME) if logical.is_none() => logical = Some(d),
                Some(TAG_TERMINATING) | None => break,
                Some(_) => {}
            }
        }
        let Some(lvd) = logical else {
            return Ok(None);
        };
        let mut unsupported = None;
        let block_size = u32_at(&lvd, 212);
        if block_size != BLOCK as u32 {
            unsupported = Some(format!("UDF logical blocks of {block_size} bytes"));
        }
        // The File Set Descriptor's long_ad: length, block, partition reference.
        let file_set = (u32_at(&lvd, 252), u16_at(&lvd, 256));
        let map_count = u32_at(&lvd, 268) as usize;
        let table_length = u32_at(&lvd, 264) as usize;
        let table = lvd
            .get(440..440 + table_length.min(BLOCK - 440))
            .unwrap_or(&[]);
        let mut maps = Vec::new();
        let mut at = 0usize;
        let mut metadata: Vec<(usize, u16, u32)> = Vec::new();
        let mut virtual_maps: Vec<(usize, u16)> = Vec::new();
        for _ in 0..map_count.min(64) {
            let Some(&kind) = table.get(at) else { break };
            let length = usize::from(*table.get(at + 1).unwrap_or(&0));
            if length < 2 {
                break;
            }
            let map = &table[at..(at + length).min(table.len())];
            match kind {
                1 => {
                    let number = u16_at(map, 4);
                    match partitions.iter().find(|p| p.0 == number) {
                        Some(&(_, start, length)) => maps.push(Map::Physical { start, length }),
                        None => {
                            unsupported = Some(format!("partition {number} has no descriptor"));
                            maps.push(Map::Physical {
                                start: 0,
                                length: 0,
                            });
                        }
                    }
                }
                2 => {
                    let id = map.get(5..28).unwrap_or(&[]);
                    let name = String::from_utf8_lossy(id)
                        .trim_end_matches(['\0', ' '])
                        .to_string();
                    if name == "*UDF Metadata Partition" {
                        metadata.push((maps.len(), u16_at(map, 38), u32_at(map, 40)));
                        maps.push(Map::Metadata {
                            extents: Vec::new(),
                        });
                    } else if name == "*UDF Sparable Partition" {
                        let number = u16_at(map, 38);
                        match partitions.iter().find(|p| p.0 == number) {
                            Some(&(_, start, length)) => {
                                maps.push(sparable(blocks, map, start, length)?);
                            }
                            None => {
                                unsupported = Some(format!("partition {number} has no descriptor"));
                                maps.push(Map::Physical {
                                    start: 0,
                                    length: 0,
                                });
                            }
                        }
                    } else if name == "*UDF Virtual Partition" {
                        virtual_maps.push((maps.len(), u16_at(map, 38)));
                        maps.push(Map::Virtual {
                            start: 0,
                            table: Vec::new(),
                        });
                    } else {
                        // Another kind of partition: named, not guessed at.
                        unsupported = Some(format!("the UDF partition map \"{name}\""));
                        maps.push(Map::Physical {
                            start: 0,
                            length: 0,
                        });
                    }
                }
                _ => {
                    unsupported = Some(format!("a UDF partition map of type {kind}"));
                }
            }
            at += length;
        }
        let mut volume = Volume {
            maps,
            file_set,
            unsupported,
        };
        // The VAT is the file whose File Entry is in the last recorded block, in the physical
        // partition the virtual one lies on.
        for (index, number) in virtual_maps {
            let physical = volume.maps.iter().position(|m| {
                matches!(m, Map::Physical { start, .. }
                    if partitions.iter().any(|p| p.0 == number && p.1 == *start))
            });
            let Some(physical) = physical else {
                volume.unsupported =
                    Some("a UDF virtual partition without its physical partition".into());
                continue;
            };
            let Some(Map::Physical { start, .. }) = volume.maps.get(physical).cloned() else {
                continue;
            };
            match volume.vat(blocks, physical as u16, start)? {
                Some(table) => volume.maps[index] = Map::Virtual { start, table },
                None => {
                    volume.unsupported = Some(
                        "a UDF virtual partition whose Virtual Allocation Table is not in the last \
                         blocks of the image (a session not closed, or a truncated image)"
                            .into(),
                    );
                }
            }
        }
        // The metadata file is a file of the physical partition with the same number.
        for (index, number, file_block) in metadata {
            // The physical partition map (the reference the metadata file's entry is read through)
            // whose partition has that number.
            let start = partitions.iter().find(|p| p.0 == number).map(|p| p.1);
            let physical = volume
                .maps
                .iter()
                .position(|m| matches!(m, Map::Physical { start: s, .. } if Some(*s) == start));
            let Some(physical) = physical else {
                volume.unsupported =
                    Some("a UDF metadata partition without its physical partition".into());
                continue;
            };
            let entry = volume.entry(blocks, file_block, physical as u16)?;
            volume.maps[index] = Map::Metadata {
                extents: entry.extents,
            };
        }
        Ok(Some(volume))
    }

    /// The physical block of block `lbn` of partition `partition`.
    fn physical(&self, blocks: &Blocks, lbn: u32, partition: u16) -> Result<u64> {
        match self.maps.get(usize::from(partition)) {
            Some(Map::Physical { start, length }) => {
                if u64::from(lbn) >= *length && *length > 0 {
                    return Err(blocks.invalid(
                        start + u64::from(lbn),
                        format!("UDF block {lbn} lies past its partition ({length} blocks)"),
                    ));
                }
                Ok(start + u64::from(lbn))
            }
            Some(Map::Sparable {
                start,
                length,
                packet,
                moved,
            }) => {
                if u64::from(lbn) >= *length {
                    return Err(blocks.invalid(
                        start + u64::from(lbn),
                        format!("UDF block {lbn} lies past its partition ({length} blocks)"),
                    ));
                }
                let first = lbn & !(packet - 1);
                Ok(match moved.get(&first) {
                    Some(&to) => u64::from(to) + u64::from(lbn - first),
                    None => start + u64::from(lbn),
                })
            }
            Some(Map::Virtual { start, table }) => match table.get(lbn as usize) {
                Some(&entry) if entry != u32::MAX => Ok(start + u64::from(entry)),
                _ => Err(blocks.invalid(
                    u64::from(lbn),
                    format!(
                        "UDF virtual block {lbn} is not in the Virtual Allocation Table ({} entries)",
                        table.len()
                    ),
                )),
            },
            Some(Map::Metadata { extents }) => {
                let mut offset = u64::from(lbn) * BLOCK as u64;
                for extent in extents {
                    if offset < extent.bytes {
                        return match extent.block {
                            Some(block) => Ok(block + offset / BLOCK as u64),
                            None => {
                                Err(blocks.invalid(0, "a UDF metadata block that is not recorded"))
                            }
                        };
                    }
                    offset -= extent.bytes;
                }
                Err(blocks.invalid(
                    u64::from(lbn),
                    format!("UDF metadata block {lbn} lies past the metadata file"),
                ))
            }
            None => Err(blocks.invalid(
                u64::from(lbn),
                format!("UDF partition reference {partition} has no partition map"),
            )),
        }
    }

    /// Reads the File Entry (or Extended File Entry) at `lbn` of `partition`.
    fn entry(&self, blocks: &mut Blocks, lbn: u32, partition: u16) -> Result<Entry> {
        let at = self.physical(blocks, lbn, partition)?;
        let d = blocks.block(at)?;
        let id = tag(&d);
        let (ea_at, extended) = match id {
            Some(TAG_FILE_ENTRY) => (176usize, false),
            Some(TAG_EXTENDED_FILE_ENTRY) => (216usize, true),
            _ => {
                return Err(
                    blocks.invalid(at, "not a UDF File Entry where a directory entry points")
                );
            }
        };
        let file_type = d[27];
        let flags = u16_at(&d, 34);
        let size = u64_at(&d, 56);
        let time_at = if extended { 92 } else { 84 };
        let ea_length = u32_at(&d, ea_at - 8) as usize;
        let ad_length = u32_at(&d, ea_at - 4) as usize;
        let ads_from = ea_at.saturating_add(ea_length);
        let ads = d
            .get(ads_from..ads_from.saturating_add(ad_length))
            .ok_or_else(|| blocks.invalid(at, "a UDF File Entry's descriptors run past its block"))?
            .to_vec();
        let permissions = u32_at(&d, 44);
        let mode =
            ((permissions >> 10) & 7) << 6 | ((permissions >> 5) & 7) << 3 | (permissions & 7);
        let mut entry = Entry {
            file_type,
            size,
            mode,
            owner: (u32_at(&d, 36), u32_at(&d, 40)),
            modified: timestamp(&d[time_at..time_at + 12]),
            extents: Vec::new(),
            inline: None,
            block: at,
        };
        match flags & 7 {
            3 => {
                // Embedded: the data is the descriptor area itself.
                let n = usize::try_from(size).unwrap_or(usize::MAX).min(ads.len());
                entry.inline = Some(ads[..n].to_vec());
            }
            kind => {
                entry.extents = self.extents(blocks, &ads, kind, partition, at)?;
                // The last extent may be longer than the file (a whole block); cut to size.
                let mut left = size;
                for extent in &mut entry.extents {
                    extent.bytes = extent.bytes.min(left);
                    left -= extent.bytes;
                }
                entry.extents.retain(|e| e.bytes > 0);
                if left > 0 {
                    // The descriptors hold less than the length says: the rest reads as zeros, as
                    // an unrecorded extent would.
                    entry.extents.push(Extent {
                        block: None,
                        bytes: left,
                    });
                }
            }
        }
        Ok(entry)
    }

    /// Turns allocation descriptors of `kind` (0 short, 1 long, 2 extended) into extents,
    /// following continuation (type 3) extents to Allocation Extent Descriptors.
    fn extents(
        &self,
        blocks: &mut Blocks,
        first: &[u8],
        kind: u16,
        partition: u16,
        at: u64,
    ) -> Result<Vec<Extent>> {
        let width = match kind {
            0 => 8,
            1 => 16,
            2 => 20,
            _ => return Err(blocks.invalid(at, format!("a UDF allocation descriptor kind {kind}"))),
        };
        let mut extents = Vec::new();
        let mut area = first.to_vec();
        let mut chain = 0usize;
        'areas: loop {
            let mut next = None;
            for ad in area.chunks_exact(width) {
                let raw = u32_at(ad, 0);
                let bytes = u64::from(raw & 0x3FFF_FFFF);
                let extent_type = raw >> 30;
                if bytes == 0 {
                    break;
                }
                let (lbn, part) = match kind {
                    0 => (u32_at(ad, 4), partition),
                    1 => (u32_at(ad, 4), u16_at(ad, 8)),
                    _ => (u32_at(ad, 12), u16_at(ad, 16)),
                };
                match extent_type {
                    0 => {
                        let block = self.physical(blocks, lbn, part)?;
                        extents.extend(self.split(blocks, block, lbn, part, bytes)?);
                    }
                    3 => {
                        next = Some(self.physical(blocks, lbn, part)?);
                        break;
                    }
                    _ => extents.push(Extent { block: None, bytes }),
                }
            }
            let Some(block) = next else { break 'areas };
            chain += 1;
            if chain > MAX_CHAIN {
                return Err(blocks.invalid(at, "a UDF allocation extent chain does not end"));
            }
            let d = blocks.block(block)?;
            if tag(&d) != Some(TAG_EXTENT) {
                return Err(blocks.invalid(block, "not a UDF Allocation Extent Descriptor"));
            }
            let length = (u32_at(&d, 20) as usize).min(BLOCK - 24);
            area = d[24..24 + length].to_vec();
        }
        Ok(extents)
    }

    /// One extent in physical blocks: contiguous in a type 1 partition; in a metadata partition,
    /// split wherever the metadata file's own extents break.
    fn split(
        &self,
        blocks: &Blocks,
        block: u64,
        lbn: u32,
        part: u16,
        bytes: u64,
    ) -> Result<Vec<Extent>> {
        let contiguous = match self.maps.get(usize::from(part)) {
            Some(Map::Physical { .. }) | None => true,
            Some(Map::Sparable { moved, .. }) => moved.is_empty(),
            Some(Map::Metadata { .. } | Map::Virtual { .. }) => false,
        };
        if contiguous {
            return Ok(vec![Extent {
                block: Some(block),
                bytes,
            }]);
        }
        let mut out = Vec::new();
        let mut left = bytes;
        let mut n = 0u32;
        while left > 0 {
            let here = self.physical(blocks, lbn.saturating_add(n), part)?;
            let piece = left.min(BLOCK as u64);
            match out.last_mut() {
                Some(Extent {
                    block: Some(b),
                    bytes,
                }) if *b + *bytes / BLOCK as u64 == here && *bytes % BLOCK as u64 == 0 => {
                    *bytes += piece;
                }
                _ => out.push(Extent {
                    block: Some(here),
                    bytes: piece,
                }),
            }
            left -= piece;
            n += 1;
        }
        Ok(out)
    }

    /// The Virtual Allocation Table: the entries of the VAT file whose File Entry is in one of the
    /// last blocks of the image, read through partition map `physical` (starting at `start`).
    fn vat(&self, blocks: &mut Blocks, physical: u16, start: u64) -> Result<Option<Vec<u32>>> {
        let end = blocks.end();
        for at in (end.saturating_sub(VAT_SEARCH)..end).rev() {
            if at < start || !blocks.holds(at, 1) {
                continue;
            }
            let d = blocks.block(at)?;
            if !matches!(tag(&d), Some(TAG_FILE_ENTRY | TAG_EXTENDED_FILE_ENTRY)) {
                continue;
            }
            let Ok(lbn) = u32::try_from(at - start) else {
                continue;
            };
            let entry = self.entry(blocks, lbn, physical)?;
            if entry.size > (MAX_MAP_ENTRIES * 4) as u64 {
                return Err(blocks.invalid(
                    at,
                    format!("a Virtual Allocation Table of {} bytes", entry.size),
                ));
            }
            let mut data = Vec::new();
            FileStream::new(blocks, entry.extents.clone(), entry.inline.clone())
                .read_to_end(&mut data)
                .map_err(|e| blocks.invalid(at, format!("reading the UDF VAT: {e}")))?;
            // UDF 2.00+: a VAT file, its header's length first. UDF 1.50: the entries, then the
            // identifier and the previous VAT's place (36 bytes).
            let entries = if entry.file_type == FILE_TYPE_VAT {
                let header = usize::from(u16_at(&data, 0));
                data.get(header..)
            } else if data.len() >= 36 && data[data.len() - 36 + 1..].starts_with(VAT_ID) {
                data.get(..data.len() - 36)
            } else {
                continue;
            };
            let Some(entries) = entries else {
                return Err(blocks.invalid(at, "a UDF VAT header longer than the VAT"));
            };
            return Ok(Some(
                entries
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ));
        }
        Ok(None)
    }

    /// Reads the whole tree from the File Set Descriptor's root.
    pub fn read_tree(&self, blocks: &mut Blocks) -> Result<Tree> {
        if let Some(why) = &self.unsupported {
            return Err(discus_core::Error::unsupported(blocks.path(), why.clone()));
        }
        let (fsd_lbn, fsd_part) = self.file_set;
        let fsd_at = self.physical(blocks, fsd_lbn, fsd_part)?;
        let fsd = blocks.block(fsd_at)?;
        if tag(&fsd) != Some(TAG_FILE_SET) {
            return Err(blocks.invalid(
                fsd_at,
                "not a UDF File Set Descriptor where the volume points",
            ));
        }
        let root_icb = (u32_at(&fsd, 404), u16_at(&fsd, 408));
        let root_entry = self.entry(blocks, root_icb.0, root_icb.1)?;
        let mut root = Node::new(String::new(), Kind::Directory, root_entry.block);
        root.mode = Some(0o040000 | root_entry.mode);
        root.modified = root_entry.modified;
        let mut tree = Tree {
            kind: TreeKind::Udf,
            nodes: vec![root],
            warnings: Vec::new(),
        };
        let mut visited = HashSet::new();
        let mut queue = vec![(0usize, root_entry)];
        while let Some((dir, entry)) = queue.pop() {
            if !visited.insert(entry.block) {
                return Err(blocks.invalid(
                    entry.block,
                    "a UDF directory is reached twice: the tree loops",
                ));
            }
            if entry.size > MAX_DIRECTORY {
                return Err(blocks.invalid(
                    entry.block,
                    format!(
                        "a UDF directory claims {} bytes; no directory is that large",
                        entry.size
                    ),
                ));
            }
            let data = read_all(blocks, &entry)?;
            let mut at = 0usize;
            while at + 38 <= data.len() {
                let fid = &data[at..];
                if tag(fid) != Some(TAG_FILE_ID) {
                    return Err(blocks.invalid(
                        entry.block,
                        format!("not a UDF File Identifier Descriptor at byte {at} of a directory"),
                    ));
                }
                let characteristics = fid[18];
                let name_length = usize::from(fid[19]);
                let icb = (u32_at(fid, 24), u16_at(fid, 28));
                let use_length = usize::from(u16_at(fid, 36));
                let total = (38 + use_length + name_length).div_ceil(4) * 4;
                let name_bytes = fid
                    .get(38 + use_length..38 + use_length + name_length)
                    .unwrap_or(&[]);
                at += total;
                // Deleted entries are skipped; the parent entry is `..`.
                if characteristics & 0x04 != 0 || characteristics & 0x08 != 0 {
                    continue;
                }
                let child = self.entry(blocks, icb.0, icb.1)?;
                let name = cs0(name_bytes);
                let kind = match child.file_type {
                    4 => Kind::Directory,
                    12 => Kind::Symlink(symlink(&read_all(blocks, &child)?)),
                    6 => Kind::Special {
                        mode: 0o060000,
                        device: None,
                    },
                    7 => Kind::Special {
                        mode: 0o020000,
                        device: None,
                    },
                    9 => Kind::Special {
                        mode: 0o010000,
                        device: None,
                    },
                    10 => Kind::Special {
                        mode: 0o140000,
                        device: None,
                    },
                    _ => Kind::File,
                };
                let type_bits = match &kind {
                    Kind::Directory => 0o040000,
                    Kind::Symlink(_) => 0o120000,
                    Kind::Special { mode, .. } => *mode,
                    Kind::File => 0o100000,
                };
                let mut node = Node::new(name, kind, child.block);
                node.mode = Some(type_bits | child.mode);
                node.owner = Some(child.owner);
                node.modified = child.modified;
                node.hidden = characteristics & 0x01 != 0;
                if node.kind == Kind::File {
                    node.size = child.size;
                    if let Some(bad) = child.extents.iter().find(|e| {
                        e.block
                            .is_some_and(|b| !blocks.holds(b, e.bytes.div_ceil(BLOCK as u64)))
                    }) {
                        node.unreadable = Some(format!(
                            "its data (block {}, {} bytes) lies past the end of the image ({} blocks)",
                            bad.block.unwrap_or(0),
                            bad.bytes,
                            blocks.end()
                        ));
                    }
                    node.extents.clone_from(&child.extents);
                    node.inline.clone_from(&child.inline);
                }
                let is_dir = node.is_dir();
                tree.nodes.push(node);
                let index = tree.nodes.len() - 1;
                tree.nodes[dir].children.push(index);
                if is_dir {
                    queue.push((index, child));
                }
            }
        }
        Ok(tree)
    }
}

/// What a File Entry says.
#[derive(Clone, Debug)]
struct Entry {
    file_type: u8,
    size: u64,
    mode: u32,
    owner: (u32, u32),
    modified: Option<Timestamp>,
    extents: Vec<Extent>,
    inline: Option<Vec<u8>>,
    /// The physical block of the entry.
    block: u64,
}

/// A sparable partition map (type 2, 64 bytes): partition number at 38, packet length (u16) at
/// 40, the number of sparing tables (u8) at 42, each table's size (u32) at 44 and their places
/// (u32 each) from 48. The tables are copies; the first that reads is used. A table: tag, regid
/// `*UDF Sparing Table` at 16, entry count (u16) at 48, then from 56 entries of 8 bytes: the
/// packet's first block in the partition (`FFFFFFFF` unused, `FFFFFFF0` defective, unmapped) and
/// where it is now.
fn sparable(blocks: &mut Blocks, map: &[u8], start: u64, length: u64) -> Result<Map> {
    let packet = u32::from(u16_at(map, 40));
    if !packet.is_power_of_two() {
        return Err(blocks.invalid(
            start,
            format!("a UDF sparable partition with packets of {packet} blocks"),
        ));
    }
    let tables = usize::from(*map.get(42).unwrap_or(&0)).min(4);
    let size = u64::from(u32_at(map, 44));
    let mut moved = HashMap::new();
    for n in 0..tables {
        let at = u64::from(u32_at(map, 48 + 4 * n));
        if size < 56 || size > (MAX_MAP_ENTRIES * 8) as u64 || !blocks.holds(at, 1) {
            continue;
        }
        let table = blocks.bytes(at, size.min(blocks.end().saturating_sub(at) * BLOCK as u64))?;
        if table.get(17..17 + SPARING_TABLE_ID.len()) != Some(SPARING_TABLE_ID) {
            continue;
        }
        let count = usize::from(u16_at(&table, 48));
        for entry in table[56..].chunks_exact(8).take(count) {
            let (from, to) = (u32_at(entry, 0), u32_at(entry, 4));
            if from < 0xFFFF_FFF0 {
                moved.insert(from, to);
            }
        }
        break;
    }
    Ok(Map::Sparable {
        start,
        length,
        packet,
        moved,
    })
}

/// All of an entry's data (a directory's descriptors, a link's components): its size was bounded
/// by the caller.
fn read_all(blocks: &mut Blocks, entry: &Entry) -> Result<Vec<u8>> {
    if entry.size > MAX_DIRECTORY {
        return Err(blocks.invalid(
            entry.block,
            format!("{} bytes of UDF metadata; too large", entry.size),
        ));
    }
    let mut data = Vec::new();
    FileStream::new(blocks, entry.extents.clone(), entry.inline.clone())
        .read_to_end(&mut data)
        .map_err(|e| blocks.invalid(entry.block, format!("reading a UDF directory: {e}")))?;
    Ok(data)
}

/// A UDF timestamp (12 bytes): type and zone (u16: zone in minutes, 12-bit signed, in the low
/// bits; −2047 means none), year (i16), month, day, hour, minute, second, then fractions.
fn timestamp(d: &[u8]) -> Option<Timestamp> {
    let type_zone = u16_at(d, 0);
    let mut zone = i64::from(type_zone & 0x0FFF);
    if zone >= 0x800 {
        zone -= 0x1000;
    }
    if zone == -2047 {
        zone = 0;
    }
    let year = i64::from(u16_at(d, 2) as i16);
    if year == 0 {
        return None;
    }
    Timestamp::from_civil(
        year,
        u32::from(d[4]),
        u32::from(d[5]),
        u32::from(d[6]),
        u32::from(d[7]),
        u32::from(d[8]),
        zone,
    )
}

/// An OSTA CS0 name: compression id 8 (one byte a character, Latin-1) or 16 (UCS-2 big-endian).
pub fn cs0(d: &[u8]) -> String {
    match d.split_first() {
        Some((8, rest)) => rest.iter().map(|&b| char::from(b)).collect(),
        Some((16, rest)) => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        Some((_, rest)) => String::from_utf8_lossy(rest).into_owned(),
        None => String::new(),
    }
}

/// A UDF symbolic link's path components (ECMA-167 4/14.16): type 1/2 root, 3 parent, 4 current,
/// 5 a CS0 name.
fn symlink(d: &[u8]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut absolute = false;
    let mut at = 0usize;
    while at + 4 <= d.len() {
        let kind = d[at];
        let length = usize::from(d[at + 1]);
        let name = d.get(at + 4..at + 4 + length).unwrap_or(&[]);
        match kind {
            1 | 2 => {
                absolute = true;
                parts.clear();
            }
            3 => parts.push("..".into()),
            4 => parts.push(".".into()),
            5 => parts.push(cs0(name)),
            _ => {}
        }
        at += 4 + length;
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cs0_names_in_both_compressions() {
        assert_eq!(cs0(&[8, b'A', 0xE9]), "Aé");
        let mut ucs = vec![16];
        ucs.extend("FéжΘ".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(cs0(&ucs), "FéжΘ");
    }

    #[test]
    fn symlink_components() {
        let d = [3, 0, 0, 0, 5, 4, 0, 0, 8, b'b', b'i', b'n'];
        assert_eq!(symlink(&d), "../bin");
        assert_eq!(
            symlink(&[2, 0, 0, 0, 5, 4, 0, 0, 8, b'e', b't', b'c']),
            "/etc"
        );
    }
}
