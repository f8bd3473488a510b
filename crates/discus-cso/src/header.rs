//! Headers and block indexes of the four containers, read and checked before any block is trusted.
//!
//! **CSO v1 / CSO v2 / ZSO** — a 24-byte little-endian header, then the index:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0x00 | 4 | magic: `CISO` (CSO) or `ZISO` (ZSO) |
//! | 0x04 | 4 | header size, 0x18; old CSO v1 writers leave 0, so readers ignore it for v1 |
//! | 0x08 | 8 | uncompressed size in bytes |
//! | 0x10 | 4 | block size in bytes, a power of two (2048 unless chosen otherwise) |
//! | 0x14 | 1 | version: 0 or 1 (CSO v1, ZSO), 2 (CSO v2) |
//! | 0x15 | 1 | index shift: block offsets are stored divided by `1 << shift` |
//! | 0x16 | 2 | unused, zero |
//! | 0x18 | 4 × (blocks + 1) | index: one u32 per block plus one for the end of the data |
//!
//! Block `i` lies at file bytes `[(index[i] & 0x7FFF_FFFF) << shift, (index[i + 1] & 0x7FFF_FFFF) << shift)`;
//! the span may end in zero padding up to the next multiple of `1 << shift`. The top bit says how
//! the block is packed: in CSO v1 and ZSO it marks a block stored plain (otherwise raw deflate for
//! CSO v1, a raw LZ4 block for ZSO); in CSO v2 a block is plain when its span is at least the block
//! size, and otherwise the top bit picks LZ4 (set) or raw deflate (clear).
//!
//! **DAX** — a 32-byte little-endian header, then three tables, then the frames:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0x00 | 4 | magic `DAX\0` |
//! | 0x04 | 4 | uncompressed size in bytes (so below 4 GiB) |
//! | 0x08 | 4 | version, 0 or 1 |
//! | 0x0C | 4 | number of NC (not compressed) areas, read in version 1 only |
//! | 0x10 | 16 | reserved |
//! | 0x20 | 4 × frames | file offset of each 8 KiB frame |
//! | … | 2 × frames | stored length of each frame |
//! | … | 8 × areas | version 1: NC areas as (first frame, frame count); those frames are stored plain |
//!
//! Every other frame is a zlib stream (2-byte header, deflate, Adler-32) of 8192 bytes.
//!
//! The sizes in a header are checked against the file length before anything is allocated, so a
//! hostile header cannot make the reader allocate gigabytes.

use std::fs::File;
use std::path::Path;

use discus_core::{Error, IoContext, Result};

/// Magic of CSO v1 and v2 (and, unluckily, of Wii and Xbox CISO images).
pub const CSO_MAGIC: [u8; 4] = *b"CISO";
/// Magic of ZSO.
pub const ZSO_MAGIC: [u8; 4] = *b"ZISO";
/// Magic of DAX.
pub const DAX_MAGIC: [u8; 4] = *b"DAX\0";
/// Bytes of the CSO / ZSO header, where the index begins.
pub const CSO_HEADER_SIZE: u64 = 0x18;
/// Bytes of the DAX header.
pub const DAX_HEADER_SIZE: u64 = 0x20;
/// DAX frames are always 8 KiB.
pub const DAX_FRAME_SIZE: u32 = 0x2000;
/// The top bit of a CSO / ZSO index entry (plain in v1 and ZSO, LZ4 in v2).
pub const INDEX_FLAG: u32 = 0x8000_0000;
/// The offset bits of an index entry.
pub const INDEX_OFFSET: u32 = 0x7FFF_FFFF;
/// Smallest block size a reader accepts: one sector.
pub const MIN_BLOCK_SIZE: u32 = 2048;
/// Largest block size a reader accepts; larger claims are corrupt headers, not real files.
pub const MAX_READ_BLOCK_SIZE: u32 = 16 << 20;
/// The first bytes of an LZ4 *frame*; Xbox CISO stores its blocks as frames, PSP containers never do.
const LZ4_FRAME_MAGIC: [u8; 4] = [0x04, 0x22, 0x4D, 0x18];

/// Which of the four containers a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Container {
    /// CSO version 0 or 1: raw deflate, top bit = plain.
    CsoV1,
    /// CSO version 2: deflate or LZ4 per block, plain when the span fills the block.
    CsoV2,
    /// ZSO: raw LZ4 blocks, top bit = plain.
    Zso,
    /// DAX: zlib frames of 8 KiB, NC areas stored plain.
    Dax,
}

impl Container {
    /// The name `discus info` shows.
    pub fn name(self) -> &'static str {
        match self {
            Container::CsoV1 => "CSO v1",
            Container::CsoV2 => "CSO v2",
            Container::Zso => "ZSO",
            Container::Dax => "DAX",
        }
    }
}

/// How one block is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Packing {
    /// The block's bytes as they are.
    Plain,
    /// Raw deflate (RFC 1951, no header).
    Deflate,
    /// A raw LZ4 block (not an LZ4 frame).
    Lz4,
    /// A zlib stream (RFC 1950): deflate with a 2-byte header and an Adler-32.
    Zlib,
}

/// Where a block lies in the file and how it is packed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// First byte in the file.
    pub offset: u64,
    /// Bytes from `offset` to the next block (padding included).
    pub len: u64,
    /// How the bytes are packed.
    pub packing: Packing,
}

/// The block tables of a container.
#[derive(Debug)]
enum Entries {
    /// CSO / ZSO: the raw index, blocks + 1 entries.
    Cso(Vec<u32>),
    /// DAX: offset and length per frame, and whether the frame lies in an NC area.
    Dax {
        offsets: Vec<u32>,
        lengths: Vec<u16>,
        plain: Vec<bool>,
    },
}

/// An opened container's layout: the header fields and the checked index.
#[derive(Debug)]
pub struct BlockMap {
    /// Which container.
    pub container: Container,
    /// The version byte (CSO/ZSO) or word (DAX) as stored.
    pub version: u32,
    /// Uncompressed bytes.
    pub uncompressed: u64,
    /// Bytes per block (DAX: per frame).
    pub block_size: u32,
    /// Index shift (DAX: 0).
    pub shift: u8,
    /// Length of the file.
    pub file_len: u64,
    entries: Entries,
}

impl BlockMap {
    /// Number of blocks.
    pub fn blocks(&self) -> u64 {
        self.uncompressed.div_ceil(u64::from(self.block_size))
    }

    /// Bytes block `block` decodes to: the block size, or what is left of the image for the last one.
    pub fn output_len(&self, block: u64) -> usize {
        let start = block.saturating_mul(u64::from(self.block_size));
        let left = self.uncompressed.saturating_sub(start);
        left.min(u64::from(self.block_size)) as usize
    }

    /// Where block `block` lies and how it is packed (`None` past the last block).
    pub fn span(&self, block: u64) -> Option<Span> {
        let i = usize::try_from(block).ok()?;
        match &self.entries {
            Entries::Cso(index) => {
                let entry = *index.get(i)?;
                let next = *index.get(i + 1)?;
                let offset = u64::from(entry & INDEX_OFFSET) << self.shift;
                let end = u64::from(next & INDEX_OFFSET) << self.shift;
                let len = end.saturating_sub(offset);
                let flagged = entry & INDEX_FLAG != 0;
                let packing = match (self.container, flagged) {
                    // v2 says "plain" by size, not by flag: a block that saved nothing fills its span.
                    (Container::CsoV2, _) if len >= u64::from(self.block_size) => Packing::Plain,
                    (Container::CsoV2, true) => Packing::Lz4,
                    (Container::CsoV2, false) => Packing::Deflate,
                    (Container::Zso, false) => Packing::Lz4,
                    // CSO v1 (DAX never has a CSO index).
                    (_, false) => Packing::Deflate,
                    (_, true) => Packing::Plain,
                };
                Some(Span {
                    offset,
                    len,
                    packing,
                })
            }
            Entries::Dax {
                offsets,
                lengths,
                plain,
            } => Some(Span {
                offset: u64::from(*offsets.get(i)?),
                len: u64::from(*lengths.get(i)?),
                packing: if *plain.get(i)? {
                    Packing::Plain
                } else {
                    Packing::Zlib
                },
            }),
        }
    }

    /// Where the index says the data ends (CSO / ZSO), or the end of the furthest frame (DAX).
    pub fn data_end(&self) -> u64 {
        match &self.entries {
            Entries::Cso(index) => index
                .last()
                .map_or(0, |e| u64::from(e & INDEX_OFFSET) << self.shift),
            Entries::Dax {
                offsets, lengths, ..
            } => offsets
                .iter()
                .zip(lengths)
                .map(|(o, l)| u64::from(*o) + u64::from(*l))
                .max()
                .unwrap_or(0),
        }
    }
}

/// Reads `buf.len()` bytes at `offset` with one positioned read; a short file is invalid input at
/// the offset where the data ran out.
pub fn read_at(file: &File, path: &Path, offset: u64, buf: &mut [u8]) -> Result<()> {
    discus_core::flat::read_exact_at(file, path, buf, offset)
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    let mut b = [0u8; 2];
    if let Some(s) = bytes.get(at..at + 2) {
        b.copy_from_slice(s);
    }
    u16::from_le_bytes(b)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    if let Some(s) = bytes.get(at..at + 4) {
        b.copy_from_slice(s);
    }
    u32::from_le_bytes(b)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    if let Some(s) = bytes.get(at..at + 8) {
        b.copy_from_slice(s);
    }
    u64::from_le_bytes(b)
}

/// Whether a `CISO` head is a Wii / GameCube CISO: there the word at 4 is a block size of 32 KiB or
/// more (2 MiB usually) and a map of one 0-or-1 byte per block follows, where a PSP CSO has its
/// header size (0 or 0x18), its uncompressed size and its block size.
pub fn looks_like_wii(head: &[u8]) -> bool {
    let block = u32_at(head, 4);
    head.len() >= 24
        && head.starts_with(&CSO_MAGIC)
        && block.is_power_of_two()
        && block >= 0x8000
        && head[8..24].iter().all(|b| *b <= 1)
}

/// Whether a `CISO` file is an Xbox CISO: those are CSO v2 by their header, but each compressed
/// block is a whole LZ4 frame. `first_packed` is the start of the first flagged block's data.
fn xbox_block(first_packed: &[u8]) -> bool {
    first_packed.starts_with(&LZ4_FRAME_MAGIC)
}

/// Whether a head of a file (its first bytes, as a probe sees them) is an Xbox CISO, as far as the
/// head shows: version 2 and a flagged block within reach that starts with an LZ4 frame.
pub fn head_looks_like_xbox(head: &[u8]) -> bool {
    if !head.starts_with(&CSO_MAGIC) || head.get(0x14) != Some(&2) {
        return false;
    }
    let shift = u32::from(head.get(0x15).copied().unwrap_or(0));
    if shift > 31 {
        return false;
    }
    let mut at = CSO_HEADER_SIZE as usize;
    while at + 4 <= head.len().min(CSO_HEADER_SIZE as usize + 4 * 64) {
        let entry = u32_at(head, at);
        if entry & INDEX_FLAG != 0 {
            let offset = (u64::from(entry & INDEX_OFFSET) << shift) as usize;
            return head.get(offset..).is_some_and(xbox_block);
        }
        at += 4;
    }
    false
}

/// Reads and checks the header and block tables of `path`.
///
/// Returns the block map and the oddities that were tolerated (as warnings for `discus info`).
pub fn read_map(path: &Path, file: &File) -> Result<(BlockMap, Vec<String>)> {
    let file_len = file.metadata().with_path(path)?.len();
    let mut head = [0u8; DAX_HEADER_SIZE as usize];
    let head_len = file_len.min(head.len() as u64) as usize;
    read_at(file, path, 0, &mut head[..head_len])?;
    let head = &head[..head_len];
    if head.starts_with(&CSO_MAGIC) || head.starts_with(&ZSO_MAGIC) {
        read_cso(path, file, file_len, head)
    } else if head.starts_with(&DAX_MAGIC) {
        read_dax(path, file, file_len, head)
    } else {
        Err(Error::at_offset(
            path,
            0,
            "no CISO, ZISO or DAX magic: not a CSO, ZSO or DAX file",
        ))
    }
}

/// The index entries as u32, read in pieces so the file's bytes are never held twice.
fn read_u32s(path: &Path, file: &File, offset: u64, count: usize) -> Result<Vec<u32>> {
    let mut values = Vec::with_capacity(count);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut at = offset;
    let mut left = count * 4;
    while left > 0 {
        let take = left.min(chunk.len());
        let piece = &mut chunk[..take];
        read_at(file, path, at, piece)?;
        values.extend(piece.chunks_exact(4).map(|b| u32_at(b, 0)));
        left -= take;
        at += take as u64;
    }
    Ok(values)
}

fn read_u16s(path: &Path, file: &File, offset: u64, count: usize) -> Result<Vec<u16>> {
    let mut bytes = vec![0u8; count * 2];
    read_at(file, path, offset, &mut bytes)?;
    Ok(bytes.chunks_exact(2).map(|b| u16_at(b, 0)).collect())
}

fn read_cso(
    path: &Path,
    file: &File,
    file_len: u64,
    head: &[u8],
) -> Result<(BlockMap, Vec<String>)> {
    let zso = head.starts_with(&ZSO_MAGIC);
    let what = if zso { "ZSO" } else { "CSO" };
    if file_len < CSO_HEADER_SIZE {
        return Err(Error::at_offset(
            path,
            0,
            format!("the file is {file_len} bytes, shorter than the 24-byte {what} header"),
        ));
    }
    if !zso && looks_like_wii(head) {
        return Err(Error::unsupported(
            path,
            "not a PSP/PS2 CSO (looks like a Wii/Xbox CISO)",
        ));
    }
    let header_size = u32_at(head, 4);
    let uncompressed = u64_at(head, 8);
    let block_size = u32_at(head, 16);
    let version = head[20];
    let shift = head[21];
    let unused = u16_at(head, 22);
    let mut warnings = Vec::new();

    let container = match (zso, version) {
        (true, 0 | 1) => Container::Zso,
        (false, 0 | 1) => Container::CsoV1,
        (false, 2) => Container::CsoV2,
        _ => {
            return Err(Error::unsupported(
                path,
                format!("{what} version {version} (discus reads CSO 0, 1 and 2, ZSO 0 and 1)"),
            ));
        }
    };
    if !block_size.is_power_of_two()
        || !(MIN_BLOCK_SIZE..=MAX_READ_BLOCK_SIZE).contains(&block_size)
    {
        return Err(Error::at_offset(
            path,
            16,
            format!(
                "block size {block_size} is not a power of two from {MIN_BLOCK_SIZE} to {MAX_READ_BLOCK_SIZE}"
            ),
        ));
    }
    if shift > 31 {
        return Err(Error::at_offset(
            path,
            21,
            format!("index shift {shift} is above 31"),
        ));
    }
    // Version 1 writers disagree on the header size (the corpus has 0); v2 and ZSO define it.
    if container != Container::CsoV1 && u64::from(header_size) != CSO_HEADER_SIZE {
        warnings.push(format!(
            "the header size field is {header_size}, not 24; the index is read at 24 anyway"
        ));
    }
    if container == Container::CsoV2 && unused != 0 {
        warnings.push(format!(
            "the unused header bytes hold {unused:#06x}, not zero"
        ));
    }

    // The index must fit in the file before it is allocated: this bounds the allocation by the
    // file length whatever the header claims.
    let blocks = uncompressed.div_ceil(u64::from(block_size));
    let index_len = blocks
        .checked_add(1)
        .and_then(|n| n.checked_mul(4))
        .filter(|len| CSO_HEADER_SIZE.saturating_add(*len) <= file_len)
        .ok_or_else(|| {
            Error::at_offset(
                path,
                8,
                format!(
                    "uncompressed size {uncompressed} needs an index of {blocks} blocks, which does not fit in the {file_len}-byte file"
                ),
            )
        })?;
    let entries = read_u32s(path, file, CSO_HEADER_SIZE, (blocks + 1) as usize)?;
    let index_end = CSO_HEADER_SIZE + index_len;

    if container == Container::CsoV2 {
        // Xbox CISO passes as CSO v2 up to here; its first flagged block starts with an LZ4 frame.
        if let Some(entry) = entries.iter().take(64).find(|e| **e & INDEX_FLAG != 0) {
            let offset = u64::from(entry & INDEX_OFFSET) << shift;
            let mut magic = [0u8; 4];
            if offset + 4 <= file_len {
                read_at(file, path, offset, &mut magic)?;
                if xbox_block(&magic) {
                    return Err(Error::unsupported(
                        path,
                        "not a PSP/PS2 CSO (looks like a Wii/Xbox CISO)",
                    ));
                }
            }
        }
    }

    let map = BlockMap {
        container,
        version: u32::from(version),
        uncompressed,
        block_size,
        shift,
        file_len,
        entries: Entries::Cso(entries),
    };
    check_cso_index(path, &map, index_end, &mut warnings)?;
    finish_checks(&map, &mut warnings);
    Ok((map, warnings))
}

/// Every block must lie after the index, after the block before it and inside the file; the first
/// one must start where the index ends, which is how a wrong uncompressed size shows.
fn check_cso_index(
    path: &Path,
    map: &BlockMap,
    index_end: u64,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let Entries::Cso(index) = &map.entries else {
        return Ok(());
    };
    let offset_of = |e: u32| u64::from(e & INDEX_OFFSET) << map.shift;
    let align = 1u64 << map.shift;
    let first = offset_of(index.first().copied().unwrap_or(0));
    if first < index_end {
        return Err(Error::at_block(
            path,
            0,
            format!(
                "starts at byte {first}, inside the header and index that end at byte {index_end}; the uncompressed size in the header ({}) does not match the index",
                map.uncompressed
            ),
        ));
    }
    if first > index_end.next_multiple_of(align) {
        // Data right after the index is what every writer does and what Open PS2 Loader relies on
        // (it counts the blocks from the first entry): a gap means the header's size is too small.
        return Err(Error::at_offset(
            path,
            8,
            format!(
                "the uncompressed size {} gives an index ending at byte {index_end}, but the first block starts at byte {first}; the size does not match the index",
                map.uncompressed
            ),
        ));
    }
    for (block, pair) in index.windows(2).enumerate() {
        let (start, end) = (offset_of(pair[0]), offset_of(pair[1]));
        if end < start {
            return Err(Error::at_block(
                path,
                block as u64,
                format!(
                    "index entry {} (byte {end}) goes backwards from this block's start (byte {start})",
                    block + 1
                ),
            ));
        }
        if end == start {
            return Err(Error::at_block(
                path,
                block as u64,
                format!("has no data: it starts and ends at byte {start}"),
            ));
        }
        if end > map.file_len {
            return Err(Error::at_block(
                path,
                block as u64,
                format!(
                    "ends at byte {end}, past the end of the {}-byte file; the file is truncated or its index is corrupt",
                    map.file_len
                ),
            ));
        }
        let output = map.output_len(block as u64) as u64;
        if map.container != Container::CsoV2 && pair[0] & INDEX_FLAG != 0 && end - start < output {
            return Err(Error::at_block(
                path,
                block as u64,
                format!(
                    "is stored plain in {} bytes but holds {output}",
                    end - start
                ),
            ));
        }
    }
    if map.container == Container::CsoV2 && index.last().is_some_and(|e| e & INDEX_FLAG != 0) {
        warnings.push("the last index entry has its top bit set, which CSO v2 forbids".into());
    }
    Ok(())
}

fn read_dax(
    path: &Path,
    file: &File,
    file_len: u64,
    head: &[u8],
) -> Result<(BlockMap, Vec<String>)> {
    if file_len < DAX_HEADER_SIZE {
        return Err(Error::at_offset(
            path,
            0,
            format!("the file is {file_len} bytes, shorter than the 32-byte DAX header"),
        ));
    }
    let uncompressed = u64::from(u32_at(head, 4));
    let version = u32_at(head, 8);
    let areas = if version >= 1 {
        u64::from(u32_at(head, 12))
    } else {
        0
    };
    if version > 1 {
        return Err(Error::unsupported(
            path,
            format!("DAX version {version} (discus reads 0 and 1)"),
        ));
    }
    let frames = uncompressed.div_ceil(u64::from(DAX_FRAME_SIZE));
    let tables_len = frames * 6 + areas * 8;
    let tables_end = DAX_HEADER_SIZE + tables_len;
    if tables_end > file_len {
        return Err(Error::at_offset(
            path,
            4,
            format!(
                "uncompressed size {uncompressed} ({frames} frames) and {areas} NC areas need {tables_len} bytes of tables, which do not fit in the {file_len}-byte file"
            ),
        ));
    }
    let frames = frames as usize;
    let offsets = read_u32s(path, file, DAX_HEADER_SIZE, frames)?;
    let lengths = read_u16s(path, file, DAX_HEADER_SIZE + frames as u64 * 4, frames)?;
    let areas_at = DAX_HEADER_SIZE + frames as u64 * 6;
    let area_words = read_u32s(path, file, areas_at, areas as usize * 2)?;
    let mut plain = vec![false; frames];
    for (n, area) in area_words.chunks_exact(2).enumerate() {
        let (start, count) = (u64::from(area[0]), u64::from(area[1]));
        if start + count > frames as u64 {
            return Err(Error::at_offset(
                path,
                areas_at + n as u64 * 8,
                format!(
                    "NC area {n} covers frames {start} to {} but the image has {frames}",
                    (start + count).saturating_sub(1)
                ),
            ));
        }
        for flag in &mut plain[start as usize..(start + count) as usize] {
            *flag = true;
        }
    }
    let map = BlockMap {
        container: Container::Dax,
        version,
        uncompressed,
        block_size: DAX_FRAME_SIZE,
        shift: 0,
        file_len,
        entries: Entries::Dax {
            offsets,
            lengths,
            plain,
        },
    };
    for frame in 0..map.blocks() {
        let Some(span) = map.span(frame) else { break };
        let end = span.offset + span.len;
        if span.offset < tables_end {
            return Err(Error::at_block(
                path,
                frame,
                format!(
                    "starts at byte {}, inside the header and tables that end at byte {tables_end}",
                    span.offset
                ),
            ));
        }
        if span.len == 0 {
            return Err(Error::at_block(path, frame, "has no data (length 0)"));
        }
        if end > file_len {
            return Err(Error::at_block(
                path,
                frame,
                format!(
                    "ends at byte {end}, past the end of the {file_len}-byte file; the file is truncated or its tables are corrupt"
                ),
            ));
        }
        let output = map.output_len(frame) as u64;
        if span.packing == Packing::Plain && span.len < output {
            return Err(Error::at_block(
                path,
                frame,
                format!("is stored plain in {} bytes but holds {output}", span.len),
            ));
        }
    }
    let mut warnings = Vec::new();
    finish_checks(&map, &mut warnings);
    Ok((map, warnings))
}

/// What is tolerated in every container: a size that is not whole sectors, bytes after the data.
fn finish_checks(map: &BlockMap, warnings: &mut Vec<String>) {
    let tail = map.uncompressed % 2048;
    if tail != 0 {
        warnings.push(format!(
            "the uncompressed size {} is not a whole number of 2048-byte sectors; its last {tail} bytes are not part of any sector",
            map.uncompressed
        ));
    }
    let end = map.data_end();
    let slack = (1u64 << map.shift).max(1024);
    if map.file_len > end + slack {
        warnings.push(format!(
            "{} bytes after the last block are ignored",
            map.file_len - end
        ));
    }
}
