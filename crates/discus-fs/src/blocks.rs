//! The 2048-byte logical blocks of one data track, read through any [`SectorSource`] in cooked
//! form (Mode 1 user data, or Mode 2 XA Form 1 user data), and a window over a file's extents as
//! `Read + Seek`, so a file's bytes stream out without being loaded whole.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use discus_core::iso9660::first_data_track;
use discus_core::sector::{RAW_SIZE, USER_SIZE};
use discus_core::{Check, Error, Form, Lba, Location, Result, SectorSource, read_sectors};

/// Bytes in a logical block.
pub const BLOCK: usize = USER_SIZE;

/// The blocks of the data tracks of a disc's first data session. Block numbers are counted from
/// LBA 0, as ISO 9660 and UDF count them (a data track of a later session starts past 0). A
/// filesystem may reach past its first track: a Video CD's MPEG files lie in tracks 2 and on.
pub struct Blocks {
    source: Box<dyn SectorSource>,
    path: PathBuf,
    /// Every data track of that session from it on: index, first block (pregap included), end.
    tracks: Vec<(usize, u64, u64)>,
    /// The first block the first data track holds (INDEX 01).
    first: u32,
    /// One past the last block of the last of those data tracks.
    end: u64,
    /// Added to every block asked for: where the volume being read starts (the second volume of
    /// a PS2 dual-layer disc counts its blocks from its own start).
    offset: u64,
    scratch: Vec<u8>,
}

impl Blocks {
    /// The data tracks of `source` from its first, which was opened from `path` (named in errors).
    pub fn new(source: Box<dyn SectorSource>, path: &Path) -> Result<Blocks> {
        let Some(first_data) = first_data_track(&*source) else {
            return Err(Error::unsupported(path, "the disc has no data track"));
        };
        let (track, start) = (first_data.index, first_data.start);
        // One past the track's last sector (postgap included), counted from LBA 0.
        let held = u64::try_from(start.0.max(0)).unwrap_or(0) + first_data.sectors;
        let session = source
            .disc()
            .sessions
            .iter()
            .position(|s| s.tracks.iter().any(|t| t.mode.is_data()))
            .unwrap_or(0);
        let before: usize = source.disc().sessions[..session]
            .iter()
            .map(|s| s.tracks.len())
            .sum();
        let mut tracks = Vec::new();
        for (offset, t) in source.disc().sessions[session].tracks.iter().enumerate() {
            let index = before + offset;
            if index < track || !t.mode.is_data() {
                continue;
            }
            let from = u64::try_from(t.first_lba().0.max(0)).unwrap_or(0);
            let to = u64::try_from(t.end_lba().0.max(0)).unwrap_or(0);
            tracks.push((index, from, to));
        }
        // The first track's own range: as `first_data_track` counts it.
        if let Some(first) = tracks.first_mut() {
            first.2 = first.2.max(held);
        }
        let end = tracks.iter().map(|t| t.2).max().unwrap_or(held);
        Ok(Blocks {
            source,
            path: path.to_path_buf(),
            tracks,
            first: u32::try_from(start.0).unwrap_or(0),
            end,
            offset: 0,
            scratch: Vec::new(),
        })
    }

    /// The image file, for error messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The first block of the track (where its volume descriptors are counted from).
    pub fn first(&self) -> u32 {
        self.first
    }

    /// One past the last block the image holds.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Counts blocks from `offset` on: block 0 is then the disc's block `offset`.
    pub fn set_offset(&mut self, offset: u64) {
        self.offset = offset;
    }

    /// An error about the structure at `block` (named by its place on the disc).
    pub fn invalid(&self, block: u64, message: impl Into<String>) -> Error {
        let block = block.saturating_add(self.offset);
        Error::Invalid {
            path: self.path.clone(),
            at: Location::Sector(Lba(i32::try_from(block).unwrap_or(i32::MAX))),
            message: message.into(),
        }
    }

    /// Whether `count` blocks from `block` lie inside the image, in data tracks.
    pub fn holds(&self, block: u64, count: u64) -> bool {
        let block = block.saturating_add(self.offset);
        if block < u64::from(self.first) || block.saturating_add(count) > self.end {
            return false;
        }
        // Every block of the run must be in some data track (an audio track between is not).
        let mut at = block;
        let end = block + count;
        while at < end {
            match self.tracks.iter().find(|t| at >= t.1 && at < t.2) {
                Some(t) => at = t.2,
                None => return false,
            }
        }
        true
    }

    /// Whether the image keeps the whole sector at `block`: a Mode 2 track stored with more than
    /// its 2048 bytes of user data. Only then can a Form 2 sector's 2324 bytes be given.
    pub fn keeps_whole_sector(&self, block: u64) -> bool {
        let block = block.saturating_add(self.offset);
        self.tracks
            .iter()
            .find(|t| block >= t.1 && block < t.2)
            .is_some_and(|&(track, _, _)| {
                let mode = self.source.disc().track(track).map(|t| t.mode);
                matches!(
                    mode,
                    Some(discus_core::TrackMode::Mode2 | discus_core::TrackMode::Mode2Xa)
                ) && self.source.stored_form(track) != Form::Cooked
            })
    }

    /// Fills `buf` (a whole number of blocks) from `block` on, as 2048-byte user data.
    pub fn read(&mut self, block: u64, buf: &mut [u8]) -> Result<()> {
        self.read_form(block, Form::Cooked, buf)
    }

    /// Fills `buf` (a whole number of sectors of `form`) from `block` on, across tracks.
    pub fn read_form(&mut self, block: u64, form: Form, buf: &mut [u8]) -> Result<()> {
        let count = buf.len() / form.size();
        if !self.holds(block, count as u64) {
            return Err(self.invalid(
                block,
                format!(
                    "{count} block(s) from here lie past the end of the data ({} blocks)",
                    self.end
                ),
            ));
        }
        let block = block + self.offset;
        let mut done = 0usize;
        while done < count {
            let at = block + done as u64;
            let Some(&(track, _, track_end)) = self.tracks.iter().find(|t| at >= t.1 && at < t.2)
            else {
                return Err(self.invalid(at - self.offset, "this block is in no data track"));
            };
            let run = (count - done).min((track_end - at) as usize);
            // `holds` keeps the block below `end`, which came from an i32 LBA.
            let lba = Lba(i32::try_from(at).unwrap_or(i32::MAX));
            read_sectors(
                &mut *self.source,
                track,
                lba,
                run,
                form,
                &mut buf[done * form.size()..(done + run) * form.size()],
                &mut self.scratch,
                // A damaged EDC does not change the user data a file holds; `verify` reports it.
                &mut Check::default(),
            )?;
            done += run;
        }
        Ok(())
    }

    /// One block, newly allocated.
    pub fn block(&mut self, block: u64) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; BLOCK];
        self.read(block, &mut buf)?;
        Ok(buf)
    }

    /// `length` bytes from `block` on (for directories and descriptors, whose length the caller
    /// has checked against the image first).
    pub fn bytes(&mut self, block: u64, length: u64) -> Result<Vec<u8>> {
        let blocks = length.div_ceil(BLOCK as u64);
        if !self.holds(block, blocks) {
            return Err(self.invalid(
                block,
                format!(
                    "a structure of {length} bytes here runs past the end of the image ({} blocks)",
                    self.end
                ),
            ));
        }
        let mut buf = vec![0u8; blocks as usize * BLOCK];
        self.read(block, &mut buf)?;
        buf.truncate(length as usize);
        Ok(buf)
    }
}

/// One run of a file's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extent {
    /// The first block, or `None` for a run that reads as zeros (a UDF extent allocated but not
    /// recorded, or a sparse one).
    pub block: Option<u64>,
    /// Bytes in the run.
    pub bytes: u64,
}

/// A file's bytes as `Read + Seek`: its extents in order, or its data held in the directory
/// entry itself (UDF inline data).
pub struct FileStream<'a> {
    blocks: &'a mut Blocks,
    extents: Vec<Extent>,
    inline: Option<Vec<u8>>,
    /// For a Mode 2 Form 2 file: the RIFF/CDXA header; the content is then that header and
    /// each block's whole 2352-byte sector.
    riff: Option<Vec<u8>>,
    size: u64,
    position: u64,
    /// Blocks read ahead: the first block held and its bytes.
    cache: Option<(u64, Vec<u8>)>,
    /// The extent last read from and the file offset it starts at.
    cursor: (usize, u64),
    /// For a zisofs-compressed file: its block table and the last block decoded.
    zisofs: Option<Zisofs>,
}

/// A zisofs file (Rock Ridge `ZF`, written by mkzftree and xorriso): a 16-byte header (magic
/// 37 E4 53 96 C9 DB D6 07, uncompressed size u32, header size / 4, log2 of the block size),
/// then one u32 offset per block plus one for the end; each block a zlib stream, or nothing for a
/// block of zeros.
struct Zisofs {
    log2_block: u8,
    pointers: Vec<u32>,
    decoded: Option<(u64, Vec<u8>)>,
}

const ZISOFS_MAGIC: [u8; 8] = [0x37, 0xE4, 0x53, 0x96, 0xC9, 0xDB, 0xD6, 0x07];

/// Bytes of the RIFF/CDXA header before a Form 2 file's sectors.
const CDXA_HEADER: usize = 44;

/// Bytes of the RIFF/CDXA file [`FileStream::cdxa`] gives for a Form 2 file of `extents`: the
/// header and every sector whole.
pub fn cdxa_len(extents: &[Extent]) -> u64 {
    let sectors: u64 = extents.iter().map(|e| e.bytes.div_ceil(BLOCK as u64)).sum();
    CDXA_HEADER as u64 + sectors * RAW_SIZE as u64
}

/// Blocks read at once: large enough that a big file streams at disk speed, small enough to keep.
const READ_AHEAD: u64 = 64;

impl<'a> FileStream<'a> {
    /// A stream over `extents` (or over `inline` data when set).
    pub fn new(blocks: &'a mut Blocks, extents: Vec<Extent>, inline: Option<Vec<u8>>) -> Self {
        let size = match &inline {
            Some(data) => data.len() as u64,
            None => extents.iter().map(|e| e.bytes).sum(),
        };
        FileStream {
            blocks,
            extents,
            inline,
            riff: None,
            size,
            position: 0,
            cache: None,
            cursor: (0, 0),
            zisofs: None,
        }
    }

    /// A stream of a Mode 2 Form 2 file (XA audio, Video CD MPEG) as the RIFF/CDXA file other
    /// tools give: `RIFF`, size, `CDXA`, a `fmt ` chunk holding the file's 14-byte XA record,
    /// then a `data` chunk of the whole 2352-byte sectors, since their 2324 bytes of user data do
    /// not fit the 2048 bytes a directory record counts.
    pub fn cdxa(blocks: &'a mut Blocks, extents: Vec<Extent>, xa_record: &[u8]) -> Self {
        let data = cdxa_len(&extents) - CDXA_HEADER as u64;
        let mut header = Vec::with_capacity(CDXA_HEADER);
        header.extend_from_slice(b"RIFF");
        header.extend_from_slice(
            &(u32::try_from(data + CDXA_HEADER as u64 - 8).unwrap_or(u32::MAX)).to_le_bytes(),
        );
        header.extend_from_slice(b"CDXAfmt ");
        header.extend_from_slice(&16u32.to_le_bytes());
        let mut record = [0u8; 16];
        let n = xa_record.len().min(14);
        record[..n].copy_from_slice(&xa_record[..n]);
        header.extend_from_slice(&record);
        header.extend_from_slice(b"data");
        header.extend_from_slice(&(u32::try_from(data).unwrap_or(u32::MAX)).to_le_bytes());
        // Whole sectors, one extent a block each, so the reader below counts sectors.
        let extents = extents
            .into_iter()
            .map(|e| Extent {
                block: e.block,
                bytes: e.bytes.div_ceil(BLOCK as u64) * RAW_SIZE as u64,
            })
            .collect();
        FileStream {
            blocks,
            extents,
            inline: None,
            size: CDXA_HEADER as u64 + data,
            riff: Some(header),
            position: 0,
            cache: None,
            cursor: (0, 0),
            zisofs: None,
        }
    }

    /// Reads raw sectors of a Form 2 file from `position` past the header.
    fn read_raw(&mut self, out: &mut [u8]) -> Result<usize> {
        let header = self.riff.as_ref().map_or(0, Vec::len) as u64;
        let within_data = self.position - header;
        let mut base = 0u64;
        for extent in &self.extents {
            if within_data < base + extent.bytes {
                let offset = within_data - base;
                let sector = offset / RAW_SIZE as u64;
                let at = (offset % RAW_SIZE as u64) as usize;
                let Some(first) = extent.block else {
                    let n = out.len().min((extent.bytes - offset) as usize);
                    out[..n].fill(0);
                    return Ok(n);
                };
                let block = first + sector;
                let hit = matches!(&self.cache, Some((from, data))
                    if block >= *from && block < *from + (data.len() / RAW_SIZE) as u64);
                if !hit {
                    let left = extent.bytes / RAW_SIZE as u64 - sector;
                    let count = left.clamp(1, READ_AHEAD) as usize;
                    let mut data = self.cache.take().map(|(_, d)| d).unwrap_or_default();
                    data.resize(count * RAW_SIZE, 0);
                    self.blocks.read_form(block, Form::Raw, &mut data)?;
                    self.cache = Some((block, data));
                }
                let Some((from, data)) = &self.cache else {
                    return Ok(0);
                };
                let start = (block - from) as usize * RAW_SIZE + at;
                let n = out.len().min(RAW_SIZE - at);
                out[..n].copy_from_slice(&data[start..start + n]);
                return Ok(n);
            }
            base += extent.bytes;
        }
        Ok(0)
    }

    /// Bytes in the file.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Reads from the block `block` at byte `offset` within it, at most `want` bytes and never
    /// past the run of `run_blocks` blocks that starts at `block`.
    fn read_block_bytes(
        &mut self,
        block: u64,
        run_blocks: u64,
        offset: usize,
        out: &mut [u8],
    ) -> Result<usize> {
        let hit = matches!(&self.cache, Some((first, data))
            if block >= *first && block < *first + (data.len() / BLOCK) as u64);
        if !hit {
            let count = run_blocks.clamp(1, READ_AHEAD);
            let mut data = match self.cache.take() {
                Some((_, data)) => data,
                None => Vec::new(),
            };
            data.resize(count as usize * BLOCK, 0);
            self.blocks.read(block, &mut data)?;
            self.cache = Some((block, data));
        }
        let Some((first, data)) = &self.cache else {
            return Ok(0);
        };
        let start = (block - first) as usize * BLOCK + offset;
        let n = out.len().min(data.len() - start);
        out[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }
}

impl Read for FileStream<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.position >= self.size || out.is_empty() {
            return Ok(0);
        }
        if let Some(header) = &self.riff {
            let n = if (self.position as usize) < header.len() {
                let start = self.position as usize;
                let n = out.len().min(header.len() - start);
                out[..n].copy_from_slice(&header[start..start + n]);
                n
            } else {
                self.read_raw(out).map_err(io::Error::other)?
            };
            self.position += n as u64;
            return Ok(n);
        }
        if let Some(data) = &self.inline {
            let start = self.position as usize;
            let n = out.len().min(data.len() - start);
            out[..n].copy_from_slice(&data[start..start + n]);
            self.position += n as u64;
            return Ok(n);
        }
        if self.zisofs.is_some() {
            let n = self.read_zisofs(out).map_err(io::Error::other)?;
            self.position += n as u64;
            return Ok(n);
        }
        let n = self.read_stored(self.position, out)?;
        self.position += n as u64;
        Ok(n)
    }
}

impl FileStream<'_> {
    /// Turns a stream of stored bytes into one of the zisofs file they compress.
    pub fn into_zisofs(mut self) -> Result<Self> {
        let mut header = [0u8; 16];
        self.read_stored_exact(0, &mut header)?;
        if header[..8] != ZISOFS_MAGIC || !(15..=17).contains(&header[13]) {
            return Err(self.invalid("not zisofs data (magic or block size)"));
        }
        let size = u64::from(u32::from_le_bytes([
            header[8], header[9], header[10], header[11],
        ]));
        let log2_block = header[13];
        let count = size.div_ceil(1 << log2_block) + 1;
        let stored = self.size;
        let table_at = u64::from(header[12]) * 4;
        if table_at + count * 4 > stored {
            return Err(self.invalid(format!(
                "a zisofs file of {size} bytes needs a block table larger than its {stored} stored bytes"
            )));
        }
        let mut table = vec![0u8; (count * 4) as usize];
        self.read_stored_exact(table_at, &mut table)?;
        let pointers = table
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        self.size = size;
        self.zisofs = Some(Zisofs {
            log2_block,
            pointers,
            decoded: None,
        });
        Ok(self)
    }

    fn invalid(&self, message: impl Into<String>) -> Error {
        let block = self.extents.first().and_then(|e| e.block).unwrap_or(0);
        self.blocks.invalid(block, message)
    }

    fn read_stored_exact(&mut self, mut position: u64, mut out: &mut [u8]) -> Result<()> {
        while !out.is_empty() {
            let n = self
                .read_stored(position, out)
                .map_err(|e| self.invalid(e.to_string()))?;
            if n == 0 {
                return Err(self.invalid("the zisofs data ends early"));
            }
            position += n as u64;
            out = &mut out[n..];
        }
        Ok(())
    }

    /// Decodes the zisofs block holding the position (once) and copies from it.
    fn read_zisofs(&mut self, out: &mut [u8]) -> Result<usize> {
        let Some(z) = &self.zisofs else {
            return Ok(0);
        };
        let block_size = 1u64 << z.log2_block;
        let index = self.position >> z.log2_block;
        let cached = matches!(&z.decoded, Some((i, _)) if *i == index);
        if !cached {
            let (Some(&start), Some(&end)) = (
                z.pointers.get(index as usize),
                z.pointers.get(index as usize + 1),
            ) else {
                return Ok(0);
            };
            let length = block_size.min(self.size - index * block_size) as usize;
            // zlib never grows a block by more than a little; a larger claim is a broken table.
            if end < start || u64::from(end - start) > 2 * block_size + 1024 {
                return Err(self.invalid(format!(
                    "zisofs block {index} claims {start}..{end} of the stored data"
                )));
            }
            let mut data = Vec::with_capacity(length);
            if end == start {
                data.resize(length, 0);
            } else {
                let mut compressed = vec![0u8; (end - start) as usize];
                self.read_stored_exact(u64::from(start), &mut compressed)?;
                flate2::read::ZlibDecoder::new(&compressed[..])
                    .take(length as u64)
                    .read_to_end(&mut data)
                    .map_err(|e| self.invalid(format!("zisofs block {index}: {e}")))?;
                if data.len() != length {
                    return Err(self.invalid(format!(
                        "zisofs block {index} inflates to {} bytes, not {length}",
                        data.len()
                    )));
                }
            }
            if let Some(z) = &mut self.zisofs {
                z.decoded = Some((index, data));
            }
        }
        let Some(Zisofs {
            decoded: Some((_, data)),
            ..
        }) = &self.zisofs
        else {
            return Ok(0);
        };
        let within = (self.position % block_size) as usize;
        let n = out.len().min(data.len().saturating_sub(within));
        out[..n].copy_from_slice(&data[within..within + n]);
        Ok(n)
    }

    /// Reads the stored bytes at `position` (of the extents, as the disc holds them).
    fn read_stored(&mut self, position: u64, out: &mut [u8]) -> io::Result<usize> {
        // Find the extent holding the position, going on from the last one: a file read front
        // to back (an interleaved one has an extent per unit) never rescans its list.
        let (mut index, mut base) = match self.cursor {
            (index, base) if position >= base => (index, base),
            _ => (0, 0),
        };
        while index < self.extents.len() && position >= base + self.extents[index].bytes {
            base += self.extents[index].bytes;
            index += 1;
        }
        let Some(extent) = self.extents.get(index).cloned() else {
            return Ok(0);
        };
        self.cursor = (index, base);
        let within = position - base;
        let left = usize::try_from(extent.bytes - within).unwrap_or(usize::MAX);
        let want = out.len().min(left);
        let n = match extent.block {
            None => {
                out[..want].fill(0);
                want
            }
            Some(first) => {
                let block = first + within / BLOCK as u64;
                let run = (extent.bytes.div_ceil(BLOCK as u64)) - within / BLOCK as u64;
                let offset = (within % BLOCK as u64) as usize;
                self.read_block_bytes(block, run, offset, &mut out[..want])
                    .map_err(io::Error::other)?
            }
        };
        Ok(n)
    }
}

impl Seek for FileStream<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::End(delta) => self.size.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of a file",
            )
        })?;
        self.position = target;
        Ok(target)
    }
}
