//! Reading: a [`SectorSource`] over a CHD with random access by sector.
//!
//! The header, the metadata chain and the map's references are checked here first, so that the
//! decoding crate (`chd`) is only ever handed a file whose sizes and links are sane: no allocation
//! bigger than the file, no SELF reference that loops. Hunks are then decoded by that crate; each
//! hunk's CRC (CRC-16 in v5) is checked here, with a table four times faster than the crate's, and
//! a hunk that is a copy of an earlier one (SELF, as every zero hunk of a DVD is) is resolved here
//! too, so the original is decoded once and copied after that.
//!
//! A read decodes only the hunks that hold the sectors asked for, on several decoders at once when
//! it covers many. Once reads go forward through the image (a conversion, a verify, a mount read
//! sequentially), the hunks after them are decoded ahead on the thread pool, in chunks handed back
//! in order, a bounded number at a time ([`AHEAD_BYTES`]): the cores decode while the reader copies
//! and writes, and no read waits on a single decoder. A read elsewhere drops what was decoded ahead.
//!
//! A CD image's frames become sectors of the stored form: the data bytes of the track type, audio
//! turned back to little-endian, and the raw subchannel where the image has one. A DVD image
//! (`DVD ` metadata, or 2048-byte units with no CD metadata) is one Mode 1 track of 2048-byte
//! sectors.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Condvar, Mutex};

use chd::Chd;
use chd::map::{CompressionTypeLegacy, CompressionTypeV5, MapEntry};
use crc::{CRC_32_ISO_HDLC, Crc, Table};
use discus_core::{Disc, Error, Form, Lba, Medium, Result, SectorSource, StoredHash};
use rayon::prelude::*;

use crate::cd::{self, ChdTrack, FRAME, SubType};
use crate::header::{Header, hex, tag, tag_name};
use crate::keep;
use crate::metadata::{self, Entry};

/// Metadata tag of a DVD image.
pub const DVD: u32 = tag(b"DVD ");
/// Below this many hunks a read decodes on the calling thread.
const PARALLEL_MIN_HUNKS: usize = 4;
/// Logical bytes of one chunk decoded ahead: big enough that a task's overhead does not count,
/// small enough that the first chunk is soon there.
const CHUNK_BYTES: u64 = 1 << 20;
/// At most this many logical bytes are decoded ahead of a sequential reader (and at most one
/// chunk more is being read from): memory stays bounded whatever the image size.
pub const AHEAD_BYTES: u64 = 8 << 20;
/// The hunks' CRC-32 (v3 and v4).
const HUNK_CRC32: Crc<u32, Table<16>> = Crc::<u32, Table<16>>::new(&CRC_32_ISO_HDLC);

/// Where a track's sectors lie in the logical data.
#[derive(Clone, Debug)]
struct Placement {
    /// Byte offset of the track's first stored sector.
    offset: u64,
    /// The first stored sector's address.
    first: Lba,
    /// Bytes of logical data per sector (2448 for CD frames, 2048 for DVD).
    stride: usize,
    /// Data bytes of each sector in the logical data.
    data: usize,
    /// Whether the data is big-endian audio.
    audio: bool,
    /// Whether the raw subchannel follows the 2352 bytes.
    sub: bool,
    /// The form handed out.
    form: Form,
}

/// An opened CHD.
pub struct ChdSource {
    path: PathBuf,
    header: Header,
    disc: Disc,
    placements: Vec<Placement>,
    entries: Vec<Entry>,
    /// Decoders, shared with the tasks that decode ahead.
    pool: Arc<Pool>,
    /// Hunks decoded for the last read that was not served from `ahead`.
    window: Window,
    /// Hunks decoded, or being decoded, ahead of a sequential reader.
    ahead: Option<Ahead>,
    /// The hunks of the last read, to tell a sequential reader.
    last: (u64, u64),
    warnings: Vec<String>,
    /// Hunks per map type: codec slots 0–3, NONE, SELF, PARENT.
    stats: [u64; 7],
    /// Where decoding in parallel runs: `--threads` as the conversion passes it on
    /// ([`SectorSource::set_threads`]); never told, rayon's pool of one thread per core.
    threads: Threads,
}

/// The threads a [`ChdSource`] decodes on.
enum Threads {
    /// Rayon's global pool.
    Global,
    /// The calling thread alone: no read-ahead, no parallel window.
    Here,
    /// A pool of the size asked for.
    Pool(Arc<rayon::ThreadPool>),
}

/// Decoded hunks `first ..` in `bytes`.
#[derive(Default)]
struct Window {
    first: u64,
    bytes: Vec<u8>,
}

/// Chunks of hunks decoded on the thread pool ahead of the reader, in order.
struct Ahead {
    chunks: VecDeque<Chunk>,
    /// The hunk after the last chunk asked for.
    next: u64,
    /// Set when the reader went elsewhere: tasks not yet started do nothing.
    dropped: Arc<AtomicBool>,
}

struct Chunk {
    first: u64,
    hunks: u64,
    state: ChunkState,
}

enum ChunkState {
    Pending(Receiver<Result<Vec<u8>>>),
    Ready(Vec<u8>),
}

/// The decoders not in use. Each holds its own handle on the file (a cloned handle would share
/// one seek position, and decoders seek and read at the same time) and its own copy of the map,
/// 12 bytes a hunk (14 MB for a DVD-5 in 4 KiB hunks): there are never more than one per core.
struct Pool {
    path: PathBuf,
    map_offset: u64,
    hunk_bytes: usize,
    /// Decoders free, and how many exist.
    free: Mutex<(Vec<Decoder>, usize)>,
    /// Signalled when a decoder is given back.
    given: Condvar,
    /// The most decoders there may be.
    most: usize,
    /// The header's codec tags, by slot.
    codecs: [u32; 4],
}

struct Decoder {
    chd: Chd<File>,
    packed: Vec<u8>,
    /// The last hunk a copy (SELF) led to, decoded.
    copied: Option<(u64, Vec<u8>)>,
    /// The codecs decoded here rather than by the `chd` crate (see [`OwnDecoder`]); per codec slot.
    own: [Option<OwnDecoder>; 4],
    /// A handle of our own for reading those hunks' bytes.
    file: File,
}

impl ChdSource {
    /// Opens `path`, checking header, metadata and map.
    pub fn open(path: &Path) -> Result<ChdSource> {
        let file = discus_core::output::open_input(path)?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut head = vec![0u8; (len.min(crate::header::V5_LENGTH as u64)) as usize];
        (&file)
            .read_exact(&mut head)
            .map_err(|e| Error::io(path, e))?;
        let header = Header::parse(path, &head, len)?;
        if header.has_parent() {
            let parent: String = header
                .parent_sha1
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            return Err(Error::unsupported(
                path,
                format!("needs its parent CHD (SHA-1 {parent}); discus does not read child CHDs"),
            ));
        }
        if header.is_compressed() {
            // The decoding crate allocates what the map header says the map's length is before it
            // reads it; a length past the end of the file is a lie, refused before any allocation.
            let mut map_head = [0u8; 4];
            discus_core::flat::read_exact_at(&file, path, &mut map_head, header.map_offset)?;
            let map_length = u64::from(u32::from_be_bytes(map_head));
            if header.map_offset + 16 + map_length > len {
                return Err(Error::at_offset(
                    path,
                    header.map_offset,
                    format!(
                        "the map says it is {map_length} bytes long, past the end of the file of {len} bytes"
                    ),
                ));
            }
        }
        let entries = metadata::read_all(path, &file, header.meta_offset, len)?;
        let mut warnings = Vec::new();
        let (disc, placements) = layout(path, &header, &entries, &mut warnings)?;

        let pool = Pool {
            path: path.to_path_buf(),
            map_offset: header.map_offset,
            hunk_bytes: header.hunk_bytes as usize,
            free: Mutex::new((Vec::new(), 0)),
            given: Condvar::new(),
            most: discus_core::format::cores().clamp(1, 8),
            codecs: header.codecs,
        };
        let first = pool.take()?;
        let stats = check_map(path, &first.chd)?;
        pool.give(first);
        Ok(ChdSource {
            path: path.to_path_buf(),
            header,
            disc,
            placements,
            entries,
            pool: Arc::new(pool),
            window: Window::default(),
            ahead: None,
            last: (u64::MAX, u64::MAX),
            warnings,
            stats,
            threads: Threads::Global,
        })
    }

    /// The checked header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The metadata entries in file order.
    pub fn metadata(&self) -> &[Entry] {
        &self.entries
    }

    /// Hands `visit` the logical bytes `start .. start + len` in order, in one or more slices,
    /// decoding what is not decoded yet: ahead on the pool when the reads go forward, else only
    /// the hunks asked for.
    fn visit(
        &mut self,
        start: u64,
        len: u64,
        mut visit: impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        let hunk = u64::from(self.header.hunk_bytes);
        let first = start / hunk;
        let end = (start + len).div_ceil(hunk);
        let (last_first, last_end) = self.last;
        self.last = (first, end);
        // A thread of the pool must not wait on tasks queued behind it in the same pool.
        let forward = first >= last_first
            && first <= last_end
            && end > last_end
            && rayon::current_thread_index().is_none()
            && !matches!(self.threads, Threads::Here);
        let in_window = self.window_holds(first, end);
        if !in_window && (forward || self.ahead_holds(first)) {
            return self.visit_ahead(start, len, visit);
        }
        self.ahead = None;
        if !in_window {
            self.decode_window(first, (end - first) as usize)?;
        }
        let from = (start - self.window.first * hunk) as usize;
        visit(&self.window.bytes[from..from + len as usize])
    }

    fn window_holds(&self, first: u64, end: u64) -> bool {
        let hunks = self.window.bytes.len() as u64 / u64::from(self.header.hunk_bytes);
        first >= self.window.first && end <= self.window.first + hunks
    }

    fn ahead_holds(&self, hunk: u64) -> bool {
        self.ahead
            .as_ref()
            .and_then(|a| a.chunks.front().map(|c| (c.first, a.next)))
            .is_some_and(|(from, to)| (from..to).contains(&hunk))
    }

    /// Decodes hunks `first .. first + count` into the window, on several decoders when there are
    /// enough of them.
    fn decode_window(&mut self, first: u64, count: usize) -> Result<()> {
        let hunk = self.header.hunk_bytes as usize;
        self.window.first = first;
        self.window.bytes.resize(count * hunk, 0);
        let pool = &*self.pool;
        let threads = match &self.threads {
            Threads::Global => pool.most,
            Threads::Here => 1,
            Threads::Pool(threads) => pool.most.min(threads.current_num_threads()),
        };
        if count < PARALLEL_MIN_HUNKS || threads == 1 {
            return pool.decode(first, &mut self.window.bytes);
        }
        let per = count.div_ceil(threads) * hunk;
        let bytes = &mut self.window.bytes;
        let mut decode = || {
            bytes
                .par_chunks_mut(per)
                .enumerate()
                .try_for_each(|(part, out)| pool.decode(first + (part * per / hunk) as u64, out))
        };
        match &self.threads {
            Threads::Pool(threads) => threads.install(decode),
            _ => decode(),
        }
    }

    /// [`ChdSource::visit`] through the chunks decoded ahead, starting them where needed.
    fn visit_ahead(
        &mut self,
        start: u64,
        len: u64,
        mut visit: impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        let hunk = u64::from(self.header.hunk_bytes);
        let total = self.header.hunk_count();
        let first = start / hunk;
        if !self.ahead_holds(first) {
            self.ahead = Some(Ahead {
                chunks: VecDeque::new(),
                next: first,
                dropped: Arc::new(AtomicBool::new(false)),
            });
        }
        let chunk_hunks = (CHUNK_BYTES / hunk).max(1);
        let most = (AHEAD_BYTES / (chunk_hunks * hunk)).max(2) as usize;
        let mut at = start;
        let end = start + len;
        while at < end {
            let want = at / hunk;
            let pool = Arc::clone(&self.pool);
            let on = match &self.threads {
                Threads::Pool(threads) => Some(Arc::clone(threads)),
                _ => None,
            };
            let path = self.path.clone();
            let Some(ahead) = self.ahead.as_mut() else {
                return Err(Error::Usage("read-ahead lost".to_string()));
            };
            // Chunks wholly behind the reader are done with.
            while ahead
                .chunks
                .front()
                .is_some_and(|c| c.first + c.hunks <= want)
            {
                ahead.chunks.pop_front();
            }
            while ahead.chunks.len() < most && ahead.next < total {
                let (from, hunks) = (ahead.next, chunk_hunks.min(total - ahead.next));
                ahead.next += hunks;
                ahead.chunks.push_back(spawn_chunk(
                    &pool,
                    on.as_deref(),
                    &ahead.dropped,
                    from,
                    hunks,
                ));
            }
            let Some(chunk) = ahead.chunks.front_mut() else {
                return Err(Error::Usage(format!(
                    "hunk {want} is past the last hunk of {}",
                    path.display()
                )));
            };
            if let ChunkState::Pending(receiver) = &chunk.state {
                let bytes = receiver.recv().unwrap_or_else(|_| {
                    Err(Error::at_block(
                        &path,
                        chunk.first,
                        "the hunk's decoder stopped",
                    ))
                });
                match bytes {
                    Ok(bytes) => chunk.state = ChunkState::Ready(bytes),
                    Err(e) => {
                        self.ahead = None;
                        return Err(e);
                    }
                }
            }
            let ChunkState::Ready(bytes) = &chunk.state else {
                continue;
            };
            let from = (at - chunk.first * hunk) as usize;
            let to = ((end - chunk.first * hunk) as usize).min(bytes.len());
            visit(&bytes[from..to])?;
            at += (to - from) as u64;
        }
        Ok(())
    }

    /// The codec name of map type `slot` (0–3).
    fn codec_name(&self, slot: usize) -> String {
        tag_name(self.header.codecs[slot])
    }
}

/// Starts decoding hunks `first .. first + hunks` on the thread pool `on` (rayon's global one if
/// none).
fn spawn_chunk(
    pool: &Arc<Pool>,
    on: Option<&rayon::ThreadPool>,
    dropped: &Arc<AtomicBool>,
    first: u64,
    hunks: u64,
) -> Chunk {
    let (sender, receiver) = sync_channel(1);
    let (pool, dropped) = (Arc::clone(pool), Arc::clone(dropped));
    let task = move || {
        if dropped.load(Ordering::Relaxed) {
            return;
        }
        // A panic in a task would end the process: it becomes an error for the reader instead.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut bytes = vec![0u8; hunks as usize * pool.hunk_bytes];
            pool.decode(first, &mut bytes).map(|()| bytes)
        }))
        .unwrap_or_else(|_| {
            Err(Error::at_block(
                &pool.path,
                first,
                "decoding these hunks failed unexpectedly",
            ))
        });
        // The reader may have gone elsewhere and dropped the receiver: then nobody wants this.
        let _ = sender.send(result);
    };
    match on {
        Some(threads) => threads.spawn(task),
        None => rayon::spawn(task),
    }
    Chunk {
        first,
        hunks,
        state: ChunkState::Pending(receiver),
    }
}

impl Drop for Ahead {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::Relaxed);
    }
}

impl Pool {
    /// A free decoder, a new one while there are fewer than [`Pool::most`], else the next one
    /// given back. (A holder only decodes and gives back, so the wait ends.)
    fn take(&self) -> Result<Decoder> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(decoder) = free.0.pop() {
                return Ok(decoder);
            }
            if free.1 < self.most {
                free.1 += 1;
                break;
            }
            free = self.given.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        drop(free);
        let opened = discus_core::output::open_input(&self.path).and_then(|handle| {
            // Opening decodes the map with the crate's Huffman decoder, third-party code fed
            // hostile bytes (the fuzzer found a code table that indexes past its end): a panic
            // there is the map's error, not a crash.
            quiet_decoder_panics();
            let chd =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Chd::open(handle, None)))
                    .unwrap_or(Err(chd::Error::DecompressionError))
                    .map_err(|e| map_error(&self.path, self.map_offset, e))?;
            Ok((chd, discus_core::output::open_input(&self.path)?))
        });
        match opened {
            Ok((chd, file)) => Ok(Decoder {
                chd,
                packed: Vec::new(),
                copied: None,
                own: std::array::from_fn(|slot| {
                    OwnDecoder::new(self.codecs[slot], self.hunk_bytes)
                }),
                file,
            }),
            Err(e) => {
                self.free.lock().unwrap_or_else(|e| e.into_inner()).1 -= 1;
                self.given.notify_one();
                Err(e)
            }
        }
    }

    fn give(&self, decoder: Decoder) {
        self.free
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .push(decoder);
        self.given.notify_one();
    }

    /// Decodes the hunks from `first` into `out` (whole hunks) with one decoder.
    fn decode(&self, first: u64, out: &mut [u8]) -> Result<()> {
        let mut decoder = self.take()?;
        let result = out
            .chunks_mut(self.hunk_bytes)
            .enumerate()
            .try_for_each(|(i, one)| decoder.hunk(&self.path, first + i as u64, one));
        self.give(decoder);
        result
    }
}

impl Decoder {
    /// Decodes hunk `index` into `out`; a copy (SELF) is the hunk it copies, decoded once.
    fn hunk(&mut self, path: &Path, index: u64, out: &mut [u8]) -> Result<()> {
        let original = self.original(path, index)?;
        if original == index {
            return self.decode(path, index, out);
        }
        if let Some((copied, bytes)) = &self.copied
            && *copied == original
            && bytes.len() == out.len()
        {
            out.copy_from_slice(bytes);
            return Ok(());
        }
        self.decode(path, original, out)?;
        match &mut self.copied {
            Some((copied, bytes)) if bytes.len() == out.len() => {
                *copied = original;
                bytes.copy_from_slice(out);
            }
            _ => self.copied = Some((original, out.to_vec())),
        }
        Ok(())
    }

    /// The hunk a chain of copies (SELF) leads to; each link goes to an earlier hunk, so the
    /// walk ends (a loop is refused, and is checked at open too).
    fn original(&self, path: &Path, index: u64) -> Result<u64> {
        let mut at = index;
        loop {
            let Some(MapEntry::V5Compressed(entry)) = self.chd.map().get_entry(at as usize) else {
                return Ok(at);
            };
            if !matches!(entry.hunk_type(), Ok(CompressionTypeV5::CompressionSelf)) {
                return Ok(at);
            }
            let to = entry.block_offset();
            if to >= at {
                return Err(Error::at_block(
                    path,
                    at,
                    format!(
                        "the map makes this hunk a copy of hunk {to}, which is not an earlier one"
                    ),
                ));
            }
            at = to;
        }
    }

    /// Decodes hunk `hunk` (not a copy) and checks its CRC against the map's.
    fn decode(&mut self, path: &Path, hunk: u64, out: &mut [u8]) -> Result<()> {
        let number = u32::try_from(hunk)
            .map_err(|_| Error::at_block(path, hunk, "hunk number past the map"))?;
        let layer = match self.chd.map().get_entry(hunk as usize) {
            Some(MapEntry::V5Compressed(entry)) => match entry.hunk_type() {
                Ok(CompressionTypeV5::CompressionType0) => Some((0, entry)),
                Ok(CompressionTypeV5::CompressionType1) => Some((1, entry)),
                Ok(CompressionTypeV5::CompressionType2) => Some((2, entry)),
                Ok(CompressionTypeV5::CompressionType3) => Some((3, entry)),
                _ => None,
            }
            .filter(|(slot, _)| self.own[*slot].is_some())
            .map(|(slot, entry)| (slot, entry.block_offset(), entry.block_size())),
            _ => None,
        };
        if let Some((_, offset, length)) = layer {
            self.packed.resize(length as usize, 0);
            discus_core::flat::read_exact_at(&self.file, path, &mut self.packed, offset)?;
        }
        let chd = &mut self.chd;
        let packed = &mut self.packed;
        let own = &mut self.own;
        // The decoding crate is trusted with checked sizes only, but a codec fed hostile bytes is
        // still third-party code: a panic there becomes an error naming the hunk, not a crash.
        quiet_decoder_panics();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            match layer.and_then(|(slot, _, _)| own[slot].as_mut()) {
                Some(layer) => layer.decode(packed, out),
                None => chd
                    .hunk(number)
                    .and_then(|mut h| h.read_hunk_in(packed, out))
                    .map(|_| ()),
            }
        }));
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(decode_error(path, hunk, e)),
            Err(_) => {
                return Err(Error::at_block(
                    path,
                    hunk,
                    "the hunk's compressed data is malformed (its decoder gave up)",
                ));
            }
        }
        let crc_ok = match self.chd.map().get_entry(hunk as usize) {
            Some(MapEntry::V5Compressed(entry)) => {
                crate::map::CRC16.checksum(out) == entry.hunk_crc()
            }
            Some(MapEntry::LegacyEntry(entry)) => match (entry.hunk_type(), entry.hunk_crc()) {
                (
                    Ok(CompressionTypeLegacy::Compressed | CompressionTypeLegacy::Uncompressed),
                    Some(crc),
                ) => HUNK_CRC32.checksum(out) == crc,
                _ => true,
            },
            _ => true,
        };
        if !crc_ok {
            return Err(Error::at_block(
                path,
                hunk,
                "the data is not what the map says (its CRC is wrong)",
            ));
        }
        Ok(())
    }
}

/// A codec decoded here rather than by the `chd` crate: the CD layer, and LZMA, which is most of
/// an extraction's time (liblzma decodes a DVD's 4 KiB hunks in 27 % less time than the crate's
/// pure-Rust decoder).
enum OwnDecoder {
    Cd(CdLayer),
    Lzma(Lzma),
}

impl OwnDecoder {
    /// The decoder of codec `tag` in hunks of `hunk_bytes`, if it is one done here.
    fn new(tag: u32, hunk_bytes: usize) -> Option<OwnDecoder> {
        if &tag.to_be_bytes() == b"lzma" {
            return Some(OwnDecoder::Lzma(Lzma));
        }
        CdLayer::new(tag, hunk_bytes).map(OwnDecoder::Cd)
    }

    fn decode(&mut self, input: &[u8], out: &mut [u8]) -> chd::Result<()> {
        match self {
            OwnDecoder::Cd(layer) => layer.decode(input, out),
            OwnDecoder::Lzma(lzma) => lzma.unpack(input, out),
        }
    }
}

/// Raw LZMA1 as CHD stores it (lc 3, lp 0, pb 2, no header, no end marker), decoded by liblzma
/// until the output is full. The dictionary is the output's size: CHD's encoders never reach
/// further back than their input, which is this output.
struct Lzma;

impl BaseCodec for Lzma {
    fn unpack(&mut self, input: &[u8], output: &mut [u8]) -> chd::Result<()> {
        use liblzma::stream::{Action, Filters, LzmaOptions, Stream};
        let dictionary = u32::try_from(output.len())
            .map_err(|_| chd::Error::InvalidParameter)?
            .max(4096);
        let mut options = LzmaOptions::new_preset(0).map_err(|_| chd::Error::CodecError)?;
        options
            .dict_size(dictionary)
            .literal_context_bits(3)
            .literal_position_bits(0)
            .position_bits(2);
        let mut filters = Filters::new();
        filters.lzma1(&options);
        let mut stream = Stream::new_raw_decoder(&filters).map_err(|_| chd::Error::CodecError)?;
        stream
            .process(input, output, Action::Run)
            .map_err(|_| chd::Error::DecompressionError)?;
        match stream.total_out() == output.len() as u64 {
            true => Ok(()),
            false => Err(chd::Error::DecompressionError),
        }
    }
}

/// The CD layer of a `cdlz`, `cdzl` or `cdzs` hunk, as MAME lays it out: a bit per frame saying
/// its sync and ECC were stripped, the packed length of the sector data, the sector data of every
/// frame packed by the base codec, then the subchannel of every frame packed by deflate (zstd for
/// `cdzs`). Done here rather than in the crate so that the stripped ECC is regenerated with the
/// core's row-parallel parity (the crate's byte loop was a fifth of an extraction) and the frames
/// are put together in place.
struct CdLayer {
    base: Box<dyn BaseCodec>,
    sub: Box<dyn BaseCodec>,
    frames: usize,
    sectors: Vec<u8>,
    subcode: Vec<u8>,
}

/// A codec of the `chd` crate, as the CD layer uses it.
trait BaseCodec: Send {
    fn unpack(&mut self, input: &[u8], output: &mut [u8]) -> chd::Result<()>;
}

impl<T: chd::codecs::CodecImplementation + Send> BaseCodec for T {
    fn unpack(&mut self, input: &[u8], output: &mut [u8]) -> chd::Result<()> {
        let done = self.decompress(input, output)?;
        match done.total_out() == output.len() {
            true => Ok(()),
            false => Err(chd::Error::DecompressionError),
        }
    }
}

impl CdLayer {
    /// The layer for codec `tag` in hunks of `hunk_bytes`, if it is one done here.
    fn new(tag: u32, hunk_bytes: usize) -> Option<CdLayer> {
        use chd::codecs::{CodecImplementation, ZlibCodec, ZstdCodec};
        if !hunk_bytes.is_multiple_of(FRAME) {
            return None;
        }
        let frames = hunk_bytes / FRAME;
        let (sectors, subcode) = ((frames * RAW) as u32, (frames * SUB) as u32);
        let (base, sub): (Box<dyn BaseCodec>, Box<dyn BaseCodec>) = match &tag.to_be_bytes() {
            b"cdlz" => (Box::new(Lzma), Box::new(ZlibCodec::new(subcode).ok()?)),
            b"cdzl" => (
                Box::new(ZlibCodec::new(sectors).ok()?),
                Box::new(ZlibCodec::new(subcode).ok()?),
            ),
            b"cdzs" => (
                Box::new(ZstdCodec::new(sectors).ok()?),
                Box::new(ZstdCodec::new(subcode).ok()?),
            ),
            _ => return None,
        };
        Some(CdLayer {
            base,
            sub,
            frames,
            sectors: vec![0; frames * RAW],
            subcode: vec![0; frames * SUB],
        })
    }

    fn decode(&mut self, input: &[u8], out: &mut [u8]) -> chd::Result<()> {
        let frames = self.frames;
        if out.len() != frames * FRAME {
            return Err(chd::Error::InvalidParameter);
        }
        let length_bytes = if out.len() < 65536 { 2 } else { 3 };
        let flags = frames.div_ceil(8);
        let header = flags + length_bytes;
        let length = input
            .get(flags..header)
            .ok_or(chd::Error::DecompressionError)?
            .iter()
            .fold(0usize, |n, &b| (n << 8) | usize::from(b));
        let packed = input
            .get(header..header + length)
            .ok_or(chd::Error::DecompressionError)?;
        self.base.unpack(packed, &mut self.sectors)?;
        self.sub
            .unpack(&input[header + length..], &mut self.subcode)?;
        let parts = self
            .sectors
            .chunks_exact(RAW)
            .zip(self.subcode.chunks_exact(SUB));
        for (index, ((sector, sub), frame)) in parts.zip(out.chunks_exact_mut(FRAME)).enumerate() {
            frame[..RAW].copy_from_slice(sector);
            frame[RAW..].copy_from_slice(sub);
            if input[index / 8] & (1 << (index % 8)) != 0 {
                let raw: &mut [u8; RAW] = (&mut frame[..RAW])
                    .try_into()
                    .map_err(|_| chd::Error::InvalidParameter)?;
                regenerate_ecc(raw);
            }
        }
        Ok(())
    }
}

/// Puts back the sync and ECC a CD codec stripped, as MAME's `ecc_generate` does: a Mode 2
/// sector's parity is computed with its header zeroed.
fn regenerate_ecc(sector: &mut [u8; RAW]) {
    sector[..12].copy_from_slice(&discus_core::sector::SYNC);
    discus_core::sector::ecc::write_for_mode(sector);
}

/// Bytes of a raw sector and of its subchannel in a CD frame.
const RAW: usize = 2352;
const SUB: usize = 96;

/// The decoder refused the file at open: past our own checks, that is the map.
fn map_error(path: &Path, map_offset: u64, error: chd::Error) -> Error {
    let why = match error {
        chd::Error::DecompressionError | chd::Error::InvalidData | chd::Error::InvalidFile => {
            "its Huffman coding or its CRC-16 is wrong".to_string()
        }
        chd::Error::UnsupportedFormat | chd::Error::CodecError => {
            "a codec this CHD names cannot be used".to_string()
        }
        other => format!("{other:?}"),
    };
    Error::at_offset(
        path,
        map_offset,
        format!("the hunk map does not decode: {why}"),
    )
}

/// Keeps the panic message of the decoding crate off the terminal: such a panic is caught and
/// reported as an error naming the hunk, so printing "panicked" too would only mislead. Panics
/// anywhere else still reach the hook that was there before.
fn quiet_decoder_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_decoder = info.location().is_some_and(|l| {
                let file = l.file().replace('\\', "/");
                file.contains("/chd-") && file.contains("/src/")
            });
            if !in_decoder {
                previous(info);
            }
        }));
    });
}

fn decode_error(path: &Path, hunk: u64, error: chd::Error) -> Error {
    let message = match error {
        chd::Error::DecompressionError => "the hunk does not decompress".to_string(),
        chd::Error::InvalidData | chd::Error::InvalidFile => {
            "the data is not what the map says (CRC-16 or size wrong)".to_string()
        }
        chd::Error::UnsupportedFormat | chd::Error::CodecError => {
            "a codec this CHD names cannot be used".to_string()
        }
        other => format!("{other:?}"),
    };
    Error::at_block(path, hunk, message)
}

/// Checks every SELF reference points to an earlier hunk (the decoder would otherwise recurse
/// forever) and counts hunks per type for `info`.
fn check_map(path: &Path, chd: &Chd<File>) -> Result<[u64; 7]> {
    let mut stats = [0u64; 7];
    for (index, entry) in chd.map().iter().enumerate() {
        let MapEntry::V5Compressed(entry) = entry else {
            continue;
        };
        let kind = entry.hunk_type().map_err(|_| {
            Error::at_block(
                path,
                index as u64,
                "the map gives this hunk an unknown type",
            )
        })?;
        let slot = match kind {
            CompressionTypeV5::CompressionType0 => 0,
            CompressionTypeV5::CompressionType1 => 1,
            CompressionTypeV5::CompressionType2 => 2,
            CompressionTypeV5::CompressionType3 => 3,
            CompressionTypeV5::CompressionNone => 4,
            CompressionTypeV5::CompressionSelf => {
                if entry.block_offset() >= index as u64 {
                    return Err(Error::at_block(
                        path,
                        index as u64,
                        format!(
                            "the map makes this hunk a copy of hunk {}, which is not an earlier one",
                            entry.block_offset()
                        ),
                    ));
                }
                5
            }
            _ => 6,
        };
        stats[slot] += 1;
    }
    Ok(stats)
}

/// The disc and where each track lies, from the metadata.
fn layout(
    path: &Path,
    header: &Header,
    entries: &[Entry],
    warnings: &mut Vec<String>,
) -> Result<(Disc, Vec<Placement>)> {
    let bad_meta = |message: String| Error::at_offset(path, header.meta_offset, message);
    let cd_tags = [cd::CHT2, cd::CHTR];
    // A GD-ROM (chdman's createcd of a GDI or a Redump GD-ROM cue) has CHGD lines instead.
    let gd_rom = !entries.iter().any(|e| cd_tags.contains(&e.tag))
        && entries.iter().any(|e| e.tag == cd::CHGD);
    let cd_tags: &[u32] = if gd_rom { &[cd::CHGD] } else { &cd_tags };
    let mut tracks: Vec<ChdTrack> = entries
        .iter()
        .filter(|e| cd_tags.contains(&e.tag))
        .map(|e| {
            ChdTrack::parse(&e.as_text()).map_err(|m| bad_meta(format!("track metadata: {m}")))
        })
        .collect::<Result<_>>()?;
    // The oldest CD CHDs have a binary table instead, read only when no text tracks exist (as MAME).
    if let (true, Some(old)) = (
        tracks.is_empty(),
        entries.iter().find(|e| e.tag == cd::CHCD),
    ) {
        tracks = metadata::chcd_tracks(&old.data)
            .map_err(|m| bad_meta(format!("CHCD track table: {m}")))?;
    }
    if tracks.is_empty() {
        if let Some(other) = entries.iter().find(|e| e.tag == tag(b"CHGT")) {
            return Err(Error::unsupported(
                path,
                format!(
                    "'{}' track metadata (GD-ROM) is not read yet",
                    tag_name(other.tag)
                ),
            ));
        }
        let dvd = entries.iter().any(|e| e.tag == DVD);
        if !dvd && header.unit_bytes != 2048 {
            return Err(Error::unsupported(
                path,
                format!(
                    "a CHD with {}-byte units and no CD or DVD metadata (a hard disk or raw image) is not a disc",
                    header.unit_bytes
                ),
            ));
        }
        if header.unit_bytes != 2048 {
            return Err(Error::at_offset(
                path,
                60,
                format!("a DVD image has 2048-byte units, not {}", header.unit_bytes),
            ));
        }
        let sectors = u32::try_from(header.logical_bytes / 2048)
            .ok()
            .filter(|s| i32::try_from(*s).is_ok())
            .ok_or_else(|| {
                Error::at_offset(path, 32, "more sectors than a disc address reaches")
            })?;
        if !header.logical_bytes.is_multiple_of(2048) {
            warnings.push(format!(
                "the last {} bytes are not a whole sector and are not read",
                header.logical_bytes % 2048
            ));
        }
        let mut disc = Disc::user_data_image(sectors);
        if dvd && disc.medium.is_cd() {
            // createdvd of a small image (a UMD): the metadata says DVD whatever the size.
            disc.medium = Medium::Dvd {
                layers: 1,
                layer_break: None,
            };
        }
        let placement = Placement {
            offset: 0,
            first: Lba(0),
            stride: 2048,
            data: 2048,
            audio: false,
            sub: false,
            form: Form::Cooked,
        };
        return Ok((disc, vec![placement]));
    }
    if header.unit_bytes as usize != FRAME || !(header.hunk_bytes as usize).is_multiple_of(FRAME) {
        return Err(Error::at_offset(
            path,
            56,
            format!(
                "a CD image needs {FRAME}-byte units and hunks of whole frames, not {} and {}",
                header.unit_bytes, header.hunk_bytes
            ),
        ));
    }
    let disc = if gd_rom {
        cd::disc_of_gd_rom(&tracks)
    } else {
        cd::disc_of(&tracks)
    }
    .map_err(|m| bad_meta(format!("track metadata: {m}")))?;
    // Sessions move tracks to later addresses: put them back before placing sectors.
    let disc = if gd_rom {
        disc
    } else {
        keep::restore(disc, entries, warnings)
    };
    let mut placements = Vec::with_capacity(tracks.len());
    let mut frame = 0u64;
    for (chd, track) in tracks.iter().zip(disc.tracks()) {
        let Some(mut form) = chd.kind.form() else {
            return Err(Error::unsupported(
                path,
                format!(
                    "track {} is {}, Form 2 user data alone, which discus has no sector form for",
                    chd.number,
                    chd.kind.name()
                ),
            ));
        };
        let raw = form == Form::Raw;
        let sub = match chd.sub {
            SubType::Raw if raw => true,
            SubType::None => false,
            other => {
                warnings.push(format!(
                    "track {}: its {} subchannel is not read (discus reads raw subchannel beside 2352-byte sectors)",
                    chd.number,
                    other.name()
                ));
                false
            }
        };
        if sub {
            form = Form::RawSub;
        }
        placements.push(Placement {
            offset: frame * FRAME as u64,
            first: if chd.pregap_stored {
                track.first_lba()
            } else {
                track.start
            },
            stride: FRAME,
            data: chd.kind.data_size(),
            audio: chd.kind == cd::TrackType::Audio,
            sub,
            form,
        });
        frame += chd.padded_frames();
    }
    if frame * FRAME as u64 > header.logical_bytes {
        return Err(Error::at_offset(
            path,
            32,
            format!(
                "the tracks need {} bytes of frames, the image has {}",
                frame * FRAME as u64,
                header.logical_bytes
            ),
        ));
    }
    Ok((disc, placements))
}

impl SectorSource for ChdSource {
    fn disc(&self) -> &Disc {
        &self.disc
    }

    fn set_threads(&mut self, threads: usize) {
        // Chunks already started on another pool finish there; new ones go to the new pool.
        self.threads = match threads {
            0 => Threads::Global,
            1 => Threads::Here,
            n => rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                // A pool that cannot start leaves decoding on the calling thread: slower, not wrong.
                .map_or(Threads::Here, |pool| Threads::Pool(Arc::new(pool))),
        };
    }

    fn stored_form(&self, track: usize) -> Form {
        self.placements.get(track).map_or(Form::Raw, |p| p.form)
    }

    fn read(&mut self, track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
        let placement = self
            .placements
            .get(track)
            .cloned()
            .ok_or_else(|| Error::Usage(format!("no track at index {track}")))?;
        let size = placement.form.size();
        let count = buf.len() / size;
        let index = lba.distance_from(placement.first);
        let start = u64::try_from(index)
            .ok()
            .map(|i| placement.offset + i * placement.stride as u64)
            .filter(|s| s + (count * placement.stride) as u64 <= self.header.logical_bytes)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "sectors {lba} + {count} of track {track} are not stored in the image"
                ))
            })?;
        let stride = placement.stride;
        // Where the logical data is the sector as handed out (a DVD, cooked or raw CD sectors
        // without subchannel…), whole runs are copied at once.
        let plain = stride == size && size == placement.data && !placement.audio;
        let mut done = 0usize;
        // A frame split between two hunks (hunks that are not whole frames) is put together here.
        let mut carry: Vec<u8> = Vec::new();
        self.visit(start, (count * stride) as u64, |mut bytes| {
            if !carry.is_empty() {
                let take = (stride - carry.len()).min(bytes.len());
                carry.extend_from_slice(&bytes[..take]);
                bytes = &bytes[take..];
                if carry.len() == stride {
                    put_sector(&placement, &carry, &mut buf[done * size..(done + 1) * size]);
                    done += 1;
                    carry.clear();
                }
            }
            let whole = (bytes.len() / stride).min(count - done);
            if plain {
                buf[done * size..(done + whole) * size].copy_from_slice(&bytes[..whole * size]);
            } else {
                let outs = buf[done * size..(done + whole) * size].chunks_exact_mut(size);
                for (frame, out) in bytes.chunks_exact(stride).zip(outs) {
                    put_sector(&placement, frame, out);
                }
            }
            done += whole;
            carry.extend_from_slice(&bytes[whole * stride..]);
            Ok(())
        })?;
        if done != count {
            return Err(Error::Usage(format!(
                "sectors {lba} + {count} of track {track}: only {done} were decoded"
            )));
        }
        Ok(())
    }

    fn files(&self) -> Vec<PathBuf> {
        vec![self.path.clone()]
    }

    fn details(&self) -> Vec<(String, String)> {
        let header = &self.header;
        let mut details = vec![
            ("CHD version".to_string(), header.version.to_string()),
            (
                "hunk size".to_string(),
                format!(
                    "{} bytes ({} units of {})",
                    header.hunk_bytes,
                    header.hunk_bytes / header.unit_bytes.max(1),
                    header.unit_bytes
                ),
            ),
            (
                "logical size".to_string(),
                format!("{} bytes", header.logical_bytes),
            ),
        ];
        let codecs: Vec<String> = (0..4)
            .filter(|&s| header.codecs[s] != 0)
            .map(|s| self.codec_name(s))
            .collect();
        details.push((
            "codecs".to_string(),
            if codecs.is_empty() {
                "none (uncompressed)".to_string()
            } else {
                codecs.join(", ")
            },
        ));
        if header.is_compressed() {
            let total: u64 = self.stats.iter().sum();
            let mut share = Vec::new();
            for (slot, &count) in self.stats.iter().enumerate() {
                if count == 0 {
                    continue;
                }
                let name = match slot {
                    0..=3 => self.codec_name(slot),
                    4 => "stored".to_string(),
                    5 => "copies".to_string(),
                    _ => "parent".to_string(),
                };
                share.push(format!(
                    "{count} {name} ({:.1} %)",
                    count as f64 * 100.0 / total.max(1) as f64
                ));
            }
            details.push((
                "hunks".to_string(),
                format!("{total}: {}", share.join(", ")),
            ));
        }
        details.push(("data SHA-1".to_string(), hex(&header.raw_sha1)));
        details.push(("SHA-1".to_string(), hex(&header.sha1)));
        for entry in &self.entries {
            let flag = if entry.flags & metadata::CHECKSUM != 0 {
                ""
            } else {
                " (not checksummed)"
            };
            let value = if entry.tag == keep::TAG {
                format!(
                    "{} bytes of what chdman does not keep{flag}",
                    entry.data.len()
                )
            } else {
                format!("{}{flag}", entry.as_text())
            };
            details.push((
                format!("metadata {}", tag_name(entry.tag).trim_end()),
                value,
            ));
        }
        details
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    fn stored_hashes(&mut self) -> Result<Vec<StoredHash>> {
        // chdman keeps no hashes in an uncompressed CHD (they are zero) and verifies nothing there.
        if !self.header.is_compressed() && self.header.raw_sha1 == [0; 20] {
            return Ok(Vec::new());
        }
        let verified = verify_hashes(self)?;
        Ok(vec![
            StoredHash {
                name: "data SHA-1".to_string(),
                stored: hex(&verified.stored_data),
                computed: hex(&verified.data),
            },
            StoredHash {
                name: "SHA-1".to_string(),
                stored: hex(&verified.stored_overall),
                computed: hex(&verified.overall),
            },
        ])
    }
}

/// One sector of `placement`'s form from its frame in the logical data.
fn put_sector(placement: &Placement, frame: &[u8], out: &mut [u8]) {
    let main = out.len().min(placement.data);
    out[..main].copy_from_slice(&frame[..main]);
    if placement.audio {
        discus_core::sector::swap_sample_bytes(&mut out[..main]);
    }
    if placement.sub {
        out[2352..2448].copy_from_slice(&frame[2352..2448]);
    }
}

/// Recomputes the data SHA-1 and the overall SHA-1 from the decoded hunks and the metadata, as
/// `chdman verify` does, and says whether they equal the header's. Returns (data, overall) hex
/// pairs of (stored, computed).
pub fn verify_hashes(source: &mut ChdSource) -> Result<Verified> {
    use sha1::{Digest, Sha1};
    let mut hasher = Sha1::new();
    // In steps, as a reader would go: the hunks after each step are decoded ahead.
    let step = 4u64 << 20;
    let total = source.header.logical_bytes;
    let mut done = 0u64;
    while done < total {
        let len = step.min(total - done);
        source.visit(done, len, |bytes| {
            hasher.update(bytes);
            Ok(())
        })?;
        done += len;
    }
    let data: [u8; 20] = hasher.finalize().into();
    let overall = metadata::overall_sha1(&data, &source.entries);
    Ok(Verified {
        stored_data: source.header.raw_sha1,
        data,
        stored_overall: source.header.sha1,
        overall,
    })
}

/// The outcome of [`verify_hashes`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The header's data SHA-1.
    pub stored_data: [u8; 20],
    /// The data SHA-1 of the decoded hunks.
    pub data: [u8; 20],
    /// The header's overall SHA-1.
    pub stored_overall: [u8; 20],
    /// The overall SHA-1 of the decoded hunks and the metadata.
    pub overall: [u8; 20],
}

impl Verified {
    /// Whether both hashes match.
    pub fn ok(&self) -> bool {
        self.data == self.stored_data && self.overall == self.stored_overall
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use discus_core::sector::{encode_form1, encode_mode1};

    /// What the CD layer puts back equals the sector a drive reads: Mode 1, and Mode 2 Form 1
    /// whose parity leaves the header out (MAME strips such sectors too).
    #[test]
    fn stripped_sync_and_ecc_regenerate_as_mame_writes_them() {
        let user: Vec<u8> = (0..2048u32).map(|i| (i * 7 + 3) as u8).collect();
        let mut mode1 = [0u8; RAW];
        encode_mode1(Lba(1234), &user, &mut mode1);
        let mut form1 = [0u8; RAW];
        encode_form1(Lba(99), [0, 0, 8, 0], &user, &mut form1);
        for whole in [mode1, form1] {
            let mut stripped = whole;
            stripped[..12].fill(0);
            stripped[0x81C..].fill(0);
            regenerate_ecc(&mut stripped);
            assert!(stripped == whole);
        }
    }

    /// `--threads` chooses where hunks decode (the calling thread, a pool of its own, rayon's);
    /// the sectors read are the same whichever, for a CD and a DVD CHD.
    #[test]
    fn i14_3_any_decoding_thread_count_reads_the_same_bytes() {
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/chd");
        for (name, form) in [("data.chd", Form::Raw), ("dvd.chd", Form::Cooked)] {
            let path = samples.join(name);
            let mut reads = Vec::new();
            for threads in [0, 1, 2, 3] {
                let mut source = ChdSource::open(&path).expect("the sample opens");
                source.set_threads(threads);
                reads.push(discus_core::testing::all_sectors(&mut source, form));
            }
            assert!(!reads[0].is_empty(), "{name}: no sectors");
            assert!(reads.iter().all(|read| *read == reads[0]), "{name}");
        }
    }
}
