//! The UDF bridge (`--udf`): a UDF 1.02 (or 2.01) volume (ECMA-167 with the OSTA profile) over
//! the same file data as the ISO 9660 trees, as `genisoimage -udf` writes one.
//!
//! ```text
//! after the ISO terminator  BEA01 NSR02/03 TEA01   volume recognition sequence
//! 32..                      main volume descriptor sequence: PVD IUVD PD LVD USD TD
//! 48..                      its reserve copy
//! 64, 65                    logical volume integrity (closed) and a terminator
//! 256 and the last block    anchor volume descriptor pointers
//! 257.. (partition 0)       ISO structures, then FSD, a file entry per entry, folders' FIDs,
//!                           then the files' data — shared with ISO 9660 and Joliet
//! ```
//!
//! Every descriptor starts with a 16-byte tag: identifier, version (2, or 3 for 2.01), checksum of the tag, serial,
//! the CRC-ITU-T of the bytes after the tag and their count, and the block the tag lies at
//! (counted in the partition for what lies in it).

use super::iso9660::BLOCK;
use super::layout::{Layout, Places as LayoutPlaces};
use super::scan::EntryKind;
use crate::tree::Timestamp;

/// The UDF revision written: 1.02 (what genisoimage -udf writes; every reader) or 2.01 (the
/// revision DVD-Video players and Windows XP onwards expect at least, as mkudffs defaults to).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Revision {
    /// UDF 1.02: ECMA-167 2nd edition descriptors (tag version 2), `NSR02`.
    #[default]
    V1_02,
    /// UDF 2.01: ECMA-167 3rd edition descriptors (tag version 3), `NSR03`.
    V2_01,
}

impl Revision {
    /// The revision as UDF records it (BCD-like: 0x0102, 0x0201).
    fn number(self) -> u16 {
        match self {
            Revision::V1_02 => 0x0102,
            Revision::V2_01 => 0x0201,
        }
    }

    fn tag_version(self) -> u16 {
        match self {
            Revision::V1_02 => 2,
            Revision::V2_01 => 3,
        }
    }

    fn nsr(self) -> &'static [u8; 5] {
        match self {
            Revision::V1_02 => b"NSR02",
            Revision::V2_01 => b"NSR03",
        }
    }

    /// The name `--udf` takes.
    pub fn from_name(name: &str) -> Option<Revision> {
        match name {
            "1.02" => Some(Revision::V1_02),
            "2.01" => Some(Revision::V2_01),
            _ => None,
        }
    }
}

/// Where the UDF structures go.
#[derive(Clone, Debug, Default)]
pub(crate) struct Places {
    revision: Revision,
    recognition: u32,
    partition: u32,
    fsd: u32,
    /// Each entry's file entry (absolute block; 0 for an entry UDF does not hold).
    entry: Vec<u32>,
    /// Each folder's FIDs: first block and bytes.
    dir: Vec<(u32, u32)>,
}

const MAIN_VDS: u32 = 32;
const RESERVE_VDS: u32 = 48;
const INTEGRITY: u32 = 64;
const ANCHOR: u32 = 256;
/// Blocks of each volume descriptor sequence extent.
const VDS_BLOCKS: u32 = 16;

/// The largest extent a short allocation descriptor gives (30 bits of length, whole blocks).
const MAX_AD: u64 = 0x3FFF_F800;
/// Bytes of a file entry before its allocation descriptors.
const FE_FIXED: usize = 176;

/// Reserves the recognition sequence from `next` and the fixed descriptor blocks; everything else
/// starts after the first anchor, with the file set descriptor and its terminator first in the
/// partition, where genisoimage puts them (and pycdlib looks for them).
pub(crate) fn reserve(next: u32, revision: Revision, places: &mut Places) -> u32 {
    places.revision = revision;
    places.recognition = next;
    places.partition = ANCHOR + 1;
    places.fsd = places.partition;
    places.partition + 2
}

/// The bytes of a folder's FIDs (sizes only depend on names).
fn fid_len(name: &[u8]) -> usize {
    (38 + name.len()).next_multiple_of(4)
}

/// A name in OSTA compressed Unicode: one byte a character when all fit, else UCS-2; cut to the
/// 255 bytes a FID holds.
fn cs0(name: &str) -> Vec<u8> {
    let units: Vec<u16> = name
        .chars()
        .map(|c| u16::try_from(c as u32).unwrap_or(u16::from(b'_')))
        .collect();
    if units.iter().all(|&u| u <= 0xFF) {
        let mut out = vec![8u8];
        out.extend(units.iter().take(254).map(|&u| u as u8));
        out
    } else {
        let mut out = vec![16u8];
        out.extend(units.iter().take(127).flat_map(|u| u.to_be_bytes()));
        out
    }
}

fn name_of(layout: &Layout, entry: usize) -> Vec<u8> {
    cs0(&String::from_utf8_lossy(&layout.entries[entry].name))
}

/// Places the FSD, a file entry for every entry of the real tree, and each folder's FIDs.
pub(crate) fn place_entries(layout: &Layout, mut next: u32, places: &mut Places) -> u32 {
    let count = layout.entries.len();
    places.entry = vec![0; count];
    places.dir = vec![(0, 0); count];
    let order = real_order(layout);
    for &e in &order {
        places.entry[e] = next;
        next += 1;
    }
    for &d in &order {
        if !layout.entries[d].is_dir() {
            continue;
        }
        let bytes: usize = fid_len(&[])
            + children(layout, d)
                .map(|c| fid_len(&name_of(layout, c)))
                .sum::<usize>();
        places.dir[d] = (next, bytes as u32);
        next += bytes.div_ceil(BLOCK) as u32;
    }
    next
}

/// The children of a folder in the UDF tree. Links are left out: UDF can record them (file type
/// 12) but 7-Zip then refuses the whole volume ("unsupported feature"), and genisoimage writes
/// them as empty files; the Rock Ridge tree keeps them.
fn children(layout: &Layout, dir: usize) -> impl Iterator<Item = usize> + '_ {
    layout.entries[dir]
        .children
        .iter()
        .copied()
        .filter(|&c| !matches!(layout.entries[c].kind, EntryKind::Symlink(_)))
}

/// The entries of the UDF tree (the real one: not `rr_moved`), depth first.
fn real_order(layout: &Layout) -> Vec<usize> {
    let mut out = Vec::new();
    let mut stack = vec![0usize];
    while let Some(e) = stack.pop() {
        out.push(e);
        let kids: Vec<usize> = children(layout, e).collect();
        stack.extend(kids.into_iter().rev());
    }
    out
}

/// CRC-ITU-T (polynomial 0x1021, initial 0), as ECMA-167 7.2.6 computes a tag's CRC.
const CRC_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

fn crc(data: &[u8]) -> u16 {
    data.iter().fold(0u16, |crc, &b| {
        (crc << 8) ^ CRC_TABLE[usize::from((crc >> 8) as u8 ^ b)]
    })
}

/// Fills in the tag of descriptor `d` (its first `length` bytes count): identifier, the version
/// of the revision,
/// serial 1, CRC, location; the checksum last.
fn tag(d: &mut [u8], revision: Revision, id: u16, location: u32, length: usize) {
    d[0..2].copy_from_slice(&id.to_le_bytes());
    d[2..4].copy_from_slice(&revision.tag_version().to_le_bytes());
    d[6..8].copy_from_slice(&1u16.to_le_bytes());
    let body = crc(&d[16..length]);
    d[8..10].copy_from_slice(&body.to_le_bytes());
    d[10..12].copy_from_slice(&((length - 16) as u16).to_le_bytes());
    d[12..16].copy_from_slice(&location.to_le_bytes());
    d[4] = 0;
    let sum = d[..16]
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != 4)
        .fold(0u8, |s, (_, &b)| s.wrapping_add(b));
    d[4] = sum;
}

fn put16(d: &mut [u8], at: usize, v: u16) {
    d[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn put32(d: &mut [u8], at: usize, v: u32) {
    d[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put64(d: &mut [u8], at: usize, v: u64) {
    d[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// A timestamp in UTC (type 1, zone 0).
fn timestamp(d: &mut [u8], at: usize, seconds: i64) {
    let (year, month, day, hour, minute, second) = Timestamp(seconds).civil();
    put16(d, at, 0x1000);
    put16(d, at + 2, year.clamp(1, 9999) as u16);
    d[at + 4] = month as u8;
    d[at + 5] = day as u8;
    d[at + 6] = hour as u8;
    d[at + 7] = minute as u8;
    d[at + 8] = second as u8;
}

/// The CS0 character set specification.
fn charspec(d: &mut [u8], at: usize) {
    d[at] = 0;
    d[at + 1..at + 24].copy_from_slice(b"OSTA Compressed Unicode");
}

/// An entity identifier; `udf` adds the UDF revision suffix.
fn regid(d: &mut [u8], at: usize, id: &[u8], udf: Option<Revision>) {
    d[at + 1..at + 1 + id.len()].copy_from_slice(id);
    if let Some(revision) = udf {
        put16(d, at + 24, revision.number());
    }
}

/// A fixed-length dstring: compressed Unicode, its used length in the last byte.
fn dstring(d: &mut [u8], at: usize, len: usize, text: &str) {
    let mut bytes = cs0(text);
    let step = if bytes[0] == 16 { 2 } else { 1 };
    while bytes.len() > len - 1 {
        bytes.truncate(bytes.len() - step);
    }
    if bytes.len() == 1 {
        return;
    }
    d[at..at + bytes.len()].copy_from_slice(&bytes);
    d[at + len - 1] = bytes.len() as u8;
}

/// A long allocation descriptor of one block in partition 0.
fn long_ad(d: &mut [u8], at: usize, length: u32, lbn: u32) {
    put32(d, at, length);
    put32(d, at + 4, lbn);
}

/// UDF permissions (other, group, owner in 5-bit groups: execute, write, read, change
/// attributes, delete) from a POSIX mode.
fn permissions(mode: u32) -> u32 {
    let mut out = 0;
    for (class, shift) in [(0, 0), (3, 5), (6, 10)] {
        let bits = (mode >> class) & 7;
        out |= (bits & 1 | bits & 2 | bits & 4) << shift;
    }
    out
}

/// What the volume descriptors say.
struct Volume<'a> {
    revision: Revision,
    label: &'a str,
    date: i64,
    partition: u32,
    partition_length: u32,
    /// The file set descriptor's block in the partition.
    fsd: u32,
}

/// One volume descriptor sequence at `base`: PVD, IUVD, PD, LVD, USD, TD (written twice, the
/// main and the reserve copy, each tagged with its own blocks).
fn descriptor_sequence(base: u32, v: &Volume<'_>) -> Vec<Vec<u8>> {
    let (label, date) = (v.label, v.date);
    let mut out = Vec::new();
    let mut pvd = vec![0u8; BLOCK];
    put32(&mut pvd, 16, 0);
    dstring(&mut pvd, 24, 32, label);
    put16(&mut pvd, 56, 1);
    put16(&mut pvd, 58, 1);
    put16(&mut pvd, 60, 2);
    put16(&mut pvd, 62, 2);
    put32(&mut pvd, 64, 1);
    put32(&mut pvd, 68, 1);
    // The volume set identifier starts with 16 characters unique to this volume: the
    // date in hex, so the same inputs give the same bytes.
    dstring(&mut pvd, 72, 128, &format!("{:016X}{label}", date as u64));
    charspec(&mut pvd, 200);
    charspec(&mut pvd, 264);
    timestamp(&mut pvd, 376, date);
    regid(&mut pvd, 388, b"*discus", None);
    tag(&mut pvd, v.revision, 1, base, 512);
    out.push(pvd);
    let mut iuvd = vec![0u8; BLOCK];
    put32(&mut iuvd, 16, 1);
    regid(&mut iuvd, 20, b"*UDF LV Info", Some(v.revision));
    charspec(&mut iuvd, 52);
    dstring(&mut iuvd, 116, 128, label);
    regid(&mut iuvd, 352, b"*discus", None);
    tag(&mut iuvd, v.revision, 4, base + 1, 512);
    out.push(iuvd);
    let mut pd = vec![0u8; BLOCK];
    put32(&mut pd, 16, 2);
    put16(&mut pd, 20, 1);
    put16(&mut pd, 22, 0);
    let mut contents = *b"+NSR02";
    contents[1..].copy_from_slice(v.revision.nsr());
    regid(&mut pd, 24, &contents, None);
    put32(&mut pd, 184, 1);
    put32(&mut pd, 188, v.partition);
    put32(&mut pd, 192, v.partition_length);
    regid(&mut pd, 196, b"*discus", None);
    tag(&mut pd, v.revision, 5, base + 2, 512);
    out.push(pd);
    let mut lvd = vec![0u8; BLOCK];
    put32(&mut lvd, 16, 3);
    charspec(&mut lvd, 20);
    dstring(&mut lvd, 84, 128, label);
    put32(&mut lvd, 212, BLOCK as u32);
    regid(&mut lvd, 216, b"*OSTA UDF Compliant", Some(v.revision));
    long_ad(&mut lvd, 248, BLOCK as u32, v.fsd);
    put32(&mut lvd, 264, 6);
    put32(&mut lvd, 268, 1);
    regid(&mut lvd, 272, b"*discus", None);
    put32(&mut lvd, 432, 2 * BLOCK as u32);
    put32(&mut lvd, 436, INTEGRITY);
    lvd[440..446].copy_from_slice(&[1, 6, 1, 0, 0, 0]);
    tag(&mut lvd, v.revision, 6, base + 3, 446);
    out.push(lvd);
    let mut usd = vec![0u8; BLOCK];
    put32(&mut usd, 16, 4);
    tag(&mut usd, v.revision, 7, base + 4, 24);
    out.push(usd);
    let mut td = vec![0u8; BLOCK];
    tag(&mut td, v.revision, 8, base + 5, 512);
    out.push(td);
    out
}

/// Writes the UDF structures into the metadata blocks (`put`) and the closing anchor (`tail`).
pub(crate) fn render(
    layout: &Layout,
    places: &LayoutPlaces,
    put: &mut dyn FnMut(u32, &[u8]),
    tail: &mut Vec<u8>,
) {
    let udf = &places.udf;
    let date = layout.date();
    let label = layout.label();
    for (i, id) in [b"BEA01", udf.revision.nsr(), b"TEA01"]
        .into_iter()
        .enumerate()
    {
        let mut d = vec![0u8; BLOCK];
        d[1..6].copy_from_slice(id);
        d[6] = 1;
        put(udf.recognition + i as u32, &d);
    }
    let partition_length = places.total - 1 - udf.partition;
    let volume = Volume {
        revision: udf.revision,
        label,
        date,
        partition: udf.partition,
        partition_length,
        fsd: udf.fsd - udf.partition,
    };
    for base in [MAIN_VDS, RESERVE_VDS] {
        for (i, d) in descriptor_sequence(base, &volume).into_iter().enumerate() {
            put(base + i as u32, &d);
        }
    }
    let order = real_order(layout);
    let files = order
        .iter()
        .filter(|&&e| !layout.entries[e].is_dir())
        .count() as u32;
    let dirs = order.len() as u32 - files;
    let mut lvid = vec![0u8; BLOCK];
    timestamp(&mut lvid, 16, date);
    put32(&mut lvid, 28, 1);
    put64(&mut lvid, 40, 16 + layout.entries.len() as u64);
    put32(&mut lvid, 72, 1);
    put32(&mut lvid, 76, 46);
    put32(&mut lvid, 80, 0);
    put32(&mut lvid, 84, partition_length);
    regid(&mut lvid, 88, b"*discus", None);
    put32(&mut lvid, 120, files);
    put32(&mut lvid, 124, dirs);
    for at in [128, 130, 132] {
        put16(&mut lvid, at, udf.revision.number());
    }
    tag(&mut lvid, udf.revision, 9, INTEGRITY, 134);
    put(INTEGRITY, &lvid);
    let mut td = vec![0u8; BLOCK];
    tag(&mut td, udf.revision, 8, INTEGRITY + 1, 512);
    put(INTEGRITY + 1, &td);
    let anchor = |at: u32| {
        let mut d = vec![0u8; BLOCK];
        put32(&mut d, 16, VDS_BLOCKS * BLOCK as u32);
        put32(&mut d, 20, MAIN_VDS);
        put32(&mut d, 24, VDS_BLOCKS * BLOCK as u32);
        put32(&mut d, 28, RESERVE_VDS);
        tag(&mut d, udf.revision, 2, at, 512);
        d
    };
    put(ANCHOR, &anchor(ANCHOR));
    tail.extend_from_slice(&anchor(places.total - 1));
    let lbn = |block: u32| block - udf.partition;
    // The file set descriptor.
    let mut fsd = vec![0u8; BLOCK];
    timestamp(&mut fsd, 16, date);
    put16(&mut fsd, 28, 3);
    put16(&mut fsd, 30, 3);
    put32(&mut fsd, 32, 1);
    put32(&mut fsd, 36, 1);
    charspec(&mut fsd, 48);
    dstring(&mut fsd, 112, 128, label);
    charspec(&mut fsd, 240);
    dstring(&mut fsd, 304, 32, label);
    long_ad(&mut fsd, 400, BLOCK as u32, lbn(udf.entry[0]));
    regid(&mut fsd, 416, b"*OSTA UDF Compliant", Some(udf.revision));
    tag(&mut fsd, udf.revision, 256, lbn(udf.fsd), 512);
    put(udf.fsd, &fsd);
    let mut td = vec![0u8; BLOCK];
    tag(&mut td, udf.revision, 8, lbn(udf.fsd) + 1, 512);
    put(udf.fsd + 1, &td);
    // Folders' FIDs.
    for &d in &order {
        if !layout.entries[d].is_dir() {
            continue;
        }
        let (start, _) = udf.dir[d];
        let mut data: Vec<u8> = Vec::new();
        let parent = layout.entries[d].parent;
        let fid = |data: &mut Vec<u8>, name: &[u8], entry: usize, flags: u8| {
            let at = data.len();
            let len = fid_len(name);
            data.resize(at + len, 0);
            let f = &mut data[at..at + len];
            put16(f, 16, 1);
            f[18] = flags;
            f[19] = name.len() as u8;
            long_ad(f, 20, BLOCK as u32, lbn(udf.entry[entry]));
            f[38..38 + name.len()].copy_from_slice(name);
            tag(f, udf.revision, 257, lbn(start) + (at / BLOCK) as u32, len);
        };
        fid(&mut data, &[], parent, 0x0A);
        for c in children(layout, d) {
            let flags = if layout.entries[c].is_dir() { 0x02 } else { 0 };
            fid(&mut data, &name_of(layout, c), c, flags);
        }
        data.resize(data.len().next_multiple_of(BLOCK), 0);
        for (i, block) in data.chunks(BLOCK).enumerate() {
            put(start + i as u32, block);
        }
    }
    // File entries.
    for &e in &order {
        let entry = &layout.entries[e];
        let mut fe = vec![0u8; BLOCK];
        put16(&mut fe, 16 + 4, 4); // strategy 4
        put16(&mut fe, 16 + 8, 1); // one entry
        let (kind, size, ads): (u8, u64, Vec<u8>) = match &entry.kind {
            EntryKind::Dir => {
                let (start, bytes) = udf.dir[e];
                (4, u64::from(bytes), short_ads(lbn(start), u64::from(bytes)))
            }
            EntryKind::File { size, .. } => {
                let ads = match *size {
                    0 => Vec::new(),
                    size => short_ads(lbn(places.file[e]), size),
                };
                (5, *size, ads)
            }
            // Not in the UDF tree (see `children`).
            EntryKind::Symlink(_) => continue,
        };
        fe[16 + 11] = kind;
        // Allocation by short descriptors (flags 0).
        put32(&mut fe, 36, entry.uid);
        put32(&mut fe, 40, entry.gid);
        put32(&mut fe, 44, permissions(entry.mode));
        let links = match entry.is_dir() {
            true => {
                1 + entry
                    .children
                    .iter()
                    .filter(|&&c| layout.entries[c].is_dir())
                    .count() as u16
            }
            false => 1,
        };
        put16(&mut fe, 48, links);
        put64(&mut fe, 56, size);
        put64(&mut fe, 64, size.div_ceil(BLOCK as u64));
        for at in [72, 84, 96] {
            timestamp(&mut fe, at, entry.mtime);
        }
        put32(&mut fe, 108, 1);
        regid(&mut fe, 128, b"*discus", None);
        put64(&mut fe, 160, if e == 0 { 0 } else { 16 + e as u64 });
        let n = ads.len().min(BLOCK - FE_FIXED);
        put32(&mut fe, 172, n as u32);
        fe[FE_FIXED..FE_FIXED + n].copy_from_slice(&ads[..n]);
        tag(&mut fe, udf.revision, 261, lbn(udf.entry[e]), FE_FIXED + n);
        put(udf.entry[e], &fe);
    }
}

/// Short allocation descriptors for `size` bytes from partition block `lbn`.
fn short_ads(lbn: u32, size: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut left, mut at) = (size, lbn);
    while left > 0 {
        let piece = left.min(MAX_AD);
        out.extend_from_slice(&(piece as u32).to_le_bytes());
        out.extend_from_slice(&at.to_le_bytes());
        at += (piece / BLOCK as u64) as u32;
        left -= piece;
    }
    out
}

/// The largest file one file entry's short descriptors describe.
pub(crate) fn check(layout: &Layout) -> Result<(), String> {
    for &e in &real_order(layout) {
        let too_long = match &layout.entries[e].kind {
            EntryKind::File { size, .. } => size.div_ceil(MAX_AD) as usize * 8 > BLOCK - FE_FIXED,
            _ => false,
        };
        if too_long {
            return Err(format!(
                "{}: too large for one UDF file entry (a file past 230 GiB)",
                String::from_utf8_lossy(&layout.entries[e].name)
            ));
        }
    }
    Ok(())
}
