//! ISO 9660 (ECMA-119) trees: the volume descriptors from sector 16 (primary, Joliet and
//! ISO 9660:1999 supplementary/enhanced, El Torito boot record), and a walk of the directory
//! records from a root record, with Rock Ridge on the primary tree.
//!
//! A directory record: 0 length; 1 extended attribute record length in blocks (the data starts
//! after it); 2 extent (both-endian u32); 10 data length (both-endian u32); 18 date (7 bytes);
//! 25 flags (hidden 1, directory 2, associated 4, not the final extent 0x80); 26 file unit size;
//! 27 interleave gap; 32 name length; 33 name, padded to even; then the System Use area.
//! Records never cross a block: a length byte of 0 sends the reader to the next block.

use std::collections::{HashMap, HashSet};

use crate::blocks::{BLOCK, Blocks, Extent};
use crate::rockridge;
use crate::tree::{Kind, Node, Timestamp, Tree, TreeKind};
use discus_core::Result;

/// The first volume descriptor, counted from the track's first block.
const FIRST_DESCRIPTOR: u64 = 16;
/// Volume descriptors read at most before giving up on a terminator.
const MAX_DESCRIPTORS: u64 = 64;
/// The largest directory believed: far more than any real one (65,535 entries of 255 bytes), far
/// less than a length a broken record can claim.
const MAX_DIRECTORY: u64 = 32 * 1024 * 1024;

/// The trees and boot record the volume descriptors point at.
#[derive(Clone, Debug, Default)]
pub struct Descriptors {
    /// The primary volume descriptor's root directory record.
    pub primary: Option<Vec<u8>>,
    /// The Joliet supplementary descriptor's root record.
    pub joliet: Option<Vec<u8>>,
    /// The ISO 9660:1999 enhanced descriptor's root record.
    pub iso1999: Option<Vec<u8>>,
    /// The block of the El Torito boot catalog.
    pub boot_catalog: Option<u32>,
    /// A UDF volume recognition sequence follows (`NSR02`/`NSR03`).
    pub udf: bool,
    /// The primary descriptor is High Sierra's (pre-1988 discs): its fields sit 8 bytes later and
    /// its directory records have a 6-byte date and the flags at byte 24.
    pub high_sierra: bool,
}

/// Reads the volume descriptors from block 16 of the track to the terminator.
pub fn descriptors(blocks: &mut Blocks) -> Result<Descriptors> {
    let mut found = Descriptors::default();
    let base = u64::from(blocks.first());
    for n in FIRST_DESCRIPTOR..FIRST_DESCRIPTOR + MAX_DESCRIPTORS {
        let block = base + n;
        if !blocks.holds(block, 1) {
            break;
        }
        let d = blocks.block(block)?;
        let id = &d[1..6];
        if id == b"NSR02" || id == b"NSR03" {
            found.udf = true;
            continue;
        }
        if id == b"BEA01" || id == b"TEA01" || id == b"BOOT2" {
            continue;
        }
        if &d[9..14] == b"CDROM" {
            // High Sierra: the block number comes first, then type, `CDROM`, version.
            match d[8] {
                1 if found.primary.is_none() => {
                    found.primary = Some(d[180..214].to_vec());
                    found.high_sierra = true;
                }
                255 => break,
                _ => {}
            }
            continue;
        }
        if id != b"CD001" {
            break;
        }
        let root = d[156..190].to_vec();
        match d[0] {
            0 if d[7..30].starts_with(b"EL TORITO SPECIFICATION") => {
                found.boot_catalog = Some(u32::from_le_bytes([d[71], d[72], d[73], d[74]]));
            }
            1 if found.primary.is_none() => found.primary = Some(root),
            2 => {
                let escapes = &d[88..120];
                let joliet = escapes
                    .windows(3)
                    .any(|w| w[0] == b'%' && w[1] == b'/' && matches!(w[2], b'@' | b'C' | b'E'));
                if joliet && d[6] == 1 && found.joliet.is_none() {
                    found.joliet = Some(root);
                } else if d[6] == 2 && found.iso1999.is_none() {
                    found.iso1999 = Some(root);
                }
            }
            255 => break,
            _ => {}
        }
    }
    Ok(found)
}

/// One directory record, copied out of its block.
#[derive(Clone, Debug)]
struct Record {
    /// The block the record is in.
    sector: u64,
    ear: u8,
    extent: u32,
    size: u32,
    date: [u8; 7],
    flags: u8,
    unit: u8,
    gap: u8,
    name: Vec<u8>,
    system_use: Vec<u8>,
}

impl Record {
    /// Parses the record at the start of `data` (whose length is the record's), in High Sierra's
    /// layout when `high_sierra`.
    fn parse(data: &[u8], sector: u64, high_sierra: bool) -> Option<Record> {
        if data.len() < 34 {
            return None;
        }
        let name_len = usize::from(data[32]);
        let name_end = 33 + name_len;
        if name_end > data.len() {
            return None;
        }
        // The name is padded to an even offset before the System Use area.
        let su_start = (name_end + (name_len + 1) % 2).min(data.len());
        Some(Record {
            sector,
            ear: data[1],
            extent: u32::from_le_bytes([data[2], data[3], data[4], data[5]]),
            size: u32::from_le_bytes([data[10], data[11], data[12], data[13]]),
            date: match high_sierra {
                // Six bytes and no zone: local time, taken as UTC.
                true => [
                    data[18], data[19], data[20], data[21], data[22], data[23], 0,
                ],
                false => data[18..25].try_into().ok()?,
            },
            flags: if high_sierra { data[24] } else { data[25] },
            unit: data[26],
            gap: data[27],
            name: data[33..name_end].to_vec(),
            system_use: data[su_start..].to_vec(),
        })
    }

    fn is_dir(&self) -> bool {
        self.flags & 0x02 != 0
    }

    /// `.` (0x00) or `..` (0x01).
    fn is_dot(&self) -> bool {
        self.name.len() == 1 && self.name[0] <= 1
    }
}

/// The time of a 7-byte directory record date: years since 1900, month, day, hour, minute,
/// second, and the zone in 15-minute units east of UTC. All zeros means "not recorded".
pub fn short_date(field: &[u8]) -> Option<Timestamp> {
    if field.len() < 7 || field[..6].iter().all(|&b| b == 0) {
        return None;
    }
    let offset = i64::from(field[6] as i8) * 15;
    Timestamp::from_civil(
        1900 + i64::from(field[0]),
        u32::from(field[1]),
        u32::from(field[2]),
        u32::from(field[3]),
        u32::from(field[4]),
        u32::from(field[5]),
        offset,
    )
}

/// The time of a 17-byte volume descriptor date: `YYYYMMDDHHMMSScc` in ASCII digits and the
/// zone byte. All zeros (digits or bytes) means "not recorded".
pub fn long_date(field: &[u8]) -> Option<Timestamp> {
    let digits = field.get(..16)?;
    if !digits.iter().all(u8::is_ascii_digit) || digits.iter().all(|&b| b == b'0') {
        return None;
    }
    let number = |from: usize, to: usize| -> u32 {
        digits[from..to]
            .iter()
            .fold(0, |n, &d| n * 10 + u32::from(d - b'0'))
    };
    Timestamp::from_civil(
        i64::from(number(0, 4)),
        number(4, 6),
        number(6, 8),
        number(8, 10),
        number(10, 12),
        number(12, 14),
        i64::from(*field.get(16)? as i8) * 15,
    )
}

/// A name and its version number (`;N`, 1 when absent) as the tree records them.
fn split_version(name: &str) -> (String, u32) {
    match name.rsplit_once(';') {
        Some((base, version))
            if !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (base.to_string(), version.parse().unwrap_or(1))
        }
        _ => (name.to_string(), 1),
    }
}

/// The displayed name of a record of the `kind` tree and its version: Joliet names are UCS-2
/// big-endian (UTF-16 surrogates accepted); ISO 9660 names lose the trailing `.` of a name without
/// extension (`FILE.;1` → `FILE`).
fn record_name(kind: TreeKind, raw: &[u8]) -> (String, u32) {
    let text = match kind {
        TreeKind::Joliet => {
            let units: Vec<u16> = raw
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => String::from_utf8_lossy(raw).into_owned(),
    };
    let (mut name, version) = split_version(&text);
    if kind != TreeKind::Joliet && name.ends_with('.') && name.len() > 1 {
        name.pop();
    }
    (name, version)
}

/// A directory to read: the node it fills and where its records are.
struct Pending {
    node: usize,
    extent: u32,
    size: u32,
    /// The sector of the record that pointed here.
    from: u64,
    /// Folders above it (0 for the root).
    depth: usize,
}

/// Reads the `kind` tree whose root directory record is `root` (34 bytes from a volume
/// descriptor). Rock Ridge is read for [`TreeKind::RockRidge`] with `skip` bytes skipped at the
/// start of every System Use area. Folders deeper than `max_depth` are listed, not read (so a
/// caller that needs only the top of a large tree does not read all of it). `high_sierra` reads
/// High Sierra records.
pub fn read_tree(
    blocks: &mut Blocks,
    kind: TreeKind,
    root: &[u8],
    skip: usize,
    max_depth: usize,
    high_sierra: bool,
) -> Result<Tree> {
    let pvd_sector = u64::from(blocks.first()) + FIRST_DESCRIPTOR;
    let root = Record::parse(root, pvd_sector, high_sierra).ok_or_else(|| {
        blocks.invalid(
            pvd_sector,
            "the root directory record of the volume descriptor is broken",
        )
    })?;
    let mut root_node = Node::new(String::new(), Kind::Directory, pvd_sector);
    root_node.modified = short_date(&root.date);
    let mut tree = Tree {
        kind,
        nodes: vec![root_node],
        warnings: Vec::new(),
    };
    let rock_ridge = kind == TreeKind::RockRidge;
    let mut visited: HashSet<u32> = HashSet::new();
    let mut queue = vec![Pending {
        node: 0,
        extent: root.extent,
        size: root.size,
        from: pvd_sector,
        depth: 0,
    }];
    while let Some(dir) = queue.pop() {
        if !visited.insert(dir.extent) {
            return Err(blocks.invalid(
                dir.from,
                format!(
                    "the directory at block {} is reached twice: the tree loops",
                    dir.extent
                ),
            ));
        }
        let records = read_directory(blocks, &dir, high_sierra)?;
        let mut by_name: HashMap<String, (usize, u32)> = HashMap::new();
        let mut i = 0usize;
        while i < records.len() {
            // A multi-extent file: every record but the last carries 0x80; the pieces join in
            // record order.
            let first = i;
            while records[i].flags & 0x80 != 0
                && i + 1 < records.len()
                && records[i + 1].name == records[first].name
            {
                i += 1;
            }
            let group = &records[first..=i];
            i += 1;
            let record = &group[0];
            if record.is_dot() {
                if rock_ridge && dir.node == 0 && record.name[0] == 0 {
                    let rr = rockridge::read(blocks, su(&record.system_use, 0), record.sector)?;
                    apply_attributes(&mut tree.nodes[0], &rr);
                }
                continue;
            }
            let (mut name, version) = record_name(kind, &record.name);
            let mut node_kind = if record.is_dir() {
                Kind::Directory
            } else {
                Kind::File
            };
            let mut target = (record.extent, record.size);
            let mut rr = None;
            if rock_ridge {
                let entries = rockridge::read(blocks, su(&record.system_use, skip), record.sector)?;
                if entries.relocated {
                    // Shown where its CL placeholder stands. mkisofs also marks `rr_moved`
                    // itself RE so it disappears; genisoimage does not, and its empty `rr_moved`
                    // stays visible, as in xorriso and Linux.
                    continue;
                }
                if let Some(nm) = &entries.name {
                    name.clone_from(nm);
                }
                if let Some(link) = &entries.symlink {
                    node_kind = Kind::Symlink(link.clone());
                } else if let Some(block) = entries.child_link {
                    node_kind = Kind::Directory;
                    target = (block, relocated_size(blocks, block, record.sector)?);
                } else if let Some(mode) = entries.mode.filter(|_| !record.is_dir()) {
                    // The record's directory flag decides what is walked; PX only tells files
                    // from links, devices, FIFOs and sockets.
                    match mode & 0o170000 {
                        0o040000 | 0o100000 | 0 => {}
                        0o120000 => node_kind = Kind::Symlink(String::new()),
                        other => {
                            node_kind = Kind::Special {
                                mode: other,
                                device: entries.device,
                            }
                        }
                    }
                }
                rr = Some(entries);
            }
            let mut node = Node::new(name.clone(), node_kind, record.sector);
            node.modified = short_date(&record.date);
            node.hidden = record.flags & 0x01 != 0;
            node.associated = record.flags & 0x04 != 0;
            if let Some(entries) = &rr {
                apply_attributes(&mut node, entries);
            }
            if node.kind == Kind::File {
                file_extents(blocks, &mut node, group);
                node.xa_form2 = form2_record(&record.system_use);
                if let Some(size) = rr.as_ref().and_then(|e| e.zisofs) {
                    node.size = size;
                }
            }
            let is_dir = node.is_dir();
            // Of several versions of one name, the highest is the file; associated files share
            // their data file's name and are kept beside it.
            let key = format!("{}{name}", if node.associated { "\0" } else { "" });
            let index = match by_name.get(&key) {
                Some(&(existing, v)) if !is_dir => {
                    if version <= v {
                        continue;
                    }
                    tree.nodes[existing] = node;
                    by_name.insert(key, (existing, version));
                    existing
                }
                _ => {
                    tree.nodes.push(node);
                    let index = tree.nodes.len() - 1;
                    tree.nodes[dir.node].children.push(index);
                    by_name.insert(key, (index, version));
                    index
                }
            };
            if is_dir && dir.depth < max_depth {
                queue.push(Pending {
                    node: index,
                    extent: target.0,
                    size: target.1,
                    from: record.sector,
                    depth: dir.depth + 1,
                });
            }
        }
    }
    Ok(tree)
}

/// The CD-ROM XA record at the start of a System Use area (group, user, attributes, `XA`, file
/// number, 5 reserved bytes), when its attributes mark Mode 2 Form 2 data (0x1000) or interleaved
/// Form 1/Form 2 data (0x2000).
fn form2_record(area: &[u8]) -> Option<Vec<u8>> {
    let record = area.get(..14)?;
    let attributes = u16::from_be_bytes([record[4], record[5]]);
    (&record[6..8] == b"XA" && attributes & 0x3000 != 0).then(|| record.to_vec())
}

/// The System Use area after the `skip` bytes SP asks to skip.
fn su(area: &[u8], skip: usize) -> &[u8] {
    area.get(skip..).unwrap_or(&[])
}

fn apply_attributes(node: &mut Node, rr: &rockridge::Entries) {
    if let Some(mode) = rr.mode {
        node.mode = Some(mode);
    }
    node.owner = rr.owner.or(node.owner);
    if let Some(time) = rr.modified {
        node.modified = Some(time);
    }
    node.zisofs = rr.zisofs.is_some();
}

/// The size of a relocated directory, from the `.` record at its start.
fn relocated_size(blocks: &mut Blocks, block: u32, from: u64) -> Result<u32> {
    if !blocks.holds(u64::from(block), 1) {
        return Err(blocks.invalid(
            from,
            format!("a Rock Ridge CL entry points past the image, to block {block}"),
        ));
    }
    let data = blocks.block(u64::from(block))?;
    let length = usize::from(data[0]).min(BLOCK);
    Record::parse(&data[..length], u64::from(block), false)
        .filter(Record::is_dot)
        .map(|r| r.size)
        .ok_or_else(|| {
            blocks.invalid(
                u64::from(block),
                "a relocated directory does not start with its '.' record",
            )
        })
}

/// Reads every record of a directory, checking its extent against the image first.
fn read_directory(blocks: &mut Blocks, dir: &Pending, high_sierra: bool) -> Result<Vec<Record>> {
    let size = u64::from(dir.size);
    if size > MAX_DIRECTORY {
        return Err(blocks.invalid(
            dir.from,
            format!("a directory record claims {size} bytes of directory at block {}; no directory is that large", dir.extent),
        ));
    }
    let start = u64::from(dir.extent);
    if !blocks.holds(start, size.div_ceil(BLOCK as u64)) {
        return Err(blocks.invalid(
            dir.from,
            format!(
                "a directory at block {} of {size} bytes lies past the end of the image ({} blocks)",
                dir.extent,
                blocks.end()
            ),
        ));
    }
    let data = blocks.bytes(start, size)?;
    let mut records = Vec::new();
    for (n, chunk) in data.chunks(BLOCK).enumerate() {
        let sector = start + n as u64;
        let mut at = 0usize;
        while at < chunk.len() {
            let length = usize::from(chunk[at]);
            if length == 0 {
                // Records never cross a block: the rest of this one is padding.
                break;
            }
            let record = chunk
                .get(at..at + length)
                .and_then(|bytes| Record::parse(bytes, sector, high_sierra))
                .ok_or_else(|| {
                    blocks.invalid(
                        sector,
                        format!("a directory record of {length} bytes at byte {at} of the block is broken"),
                    )
                })?;
            records.push(record);
            at += length;
        }
    }
    Ok(records)
}

/// Sets a file's size and extents from its record(s): the data starts after the extended
/// attribute record; an interleaved file alternates `unit` blocks of data with `gap` blocks of
/// something else. Data that lies past the image is marked unreadable rather than listed away.
fn file_extents(blocks: &Blocks, node: &mut Node, group: &[Record]) {
    let mut extents = Vec::new();
    for record in group {
        let start = u64::from(record.extent) + u64::from(record.ear);
        let bytes = u64::from(record.size);
        let data_blocks = bytes.div_ceil(BLOCK as u64);
        if record.unit == 0 || bytes == 0 {
            if bytes > 0 && !blocks.holds(start, data_blocks) {
                node.unreadable = Some(format!(
                    "its data (block {start}, {bytes} bytes, recorded at sector {}) lies past the end of the image ({} blocks)",
                    record.sector,
                    blocks.end()
                ));
            }
            extents.push(Extent {
                block: Some(start),
                bytes,
            });
            continue;
        }
        let unit = u64::from(record.unit);
        let gap = u64::from(record.gap);
        let units = data_blocks.div_ceil(unit);
        let span = units.saturating_sub(1) * (unit + gap) + unit;
        if !blocks.holds(start, span) {
            node.unreadable = Some(format!(
                "its interleaved data (block {start}, {bytes} bytes, recorded at sector {}) lies past the end of the image",
                record.sector
            ));
            extents.push(Extent {
                block: Some(start),
                bytes,
            });
            continue;
        }
        let mut left = bytes;
        for u in 0..units {
            let piece = left.min(unit * BLOCK as u64);
            extents.push(Extent {
                block: Some(start + u * (unit + gap)),
                bytes: piece,
            });
            left -= piece;
        }
    }
    node.size = extents.iter().map(|e| e.bytes).sum();
    node.extents = extents;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_version_and_trailing_dot() {
        assert_eq!(
            record_name(TreeKind::Iso9660, b"FILE.;1"),
            ("FILE".into(), 1)
        );
        assert_eq!(
            record_name(TreeKind::Iso9660, b"A.TXT;12"),
            ("A.TXT".into(), 12)
        );
        let joliet: Vec<u8> = "été.txt;1"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(
            record_name(TreeKind::Joliet, &joliet),
            ("été.txt".into(), 1)
        );
    }

    #[test]
    fn dates_of_records_and_descriptors() {
        let t = short_date(&[120, 5, 28, 16, 14, 19, 8]).expect("date");
        assert_eq!(t.display(), "2020-05-28 14:14:19");
        assert_eq!(short_date(&[0; 7]), None);
        let t = long_date(b"2020052816141900\0").expect("date");
        assert_eq!(t.display(), "2020-05-28 16:14:19");
        assert_eq!(long_date(b"0000000000000000\0"), None);
    }
}
