//! Writing: the plan and the sink of CSO v1, CSO v2, ZSO and DAX.
//!
//! The file is laid out as the reader expects it (see [`crate::header`]):
//!
//! ```text
//! CSO / ZSO: header (24) │ index (4 × (blocks + 1)) │ zero padding to 1 << shift │ block 0 │ pad │ block 1 │ pad │ … │ ZSO: zeros to a multiple of 2048
//! DAX:       header (32) │ offsets (4 × frames) │ lengths (2 × frames) │ frame 0 │ frame 1 │ …
//! ```
//!
//! The header and index are known only at the end, so their space is reserved with zeros when the
//! sink is created and they are written with `put_at` in `finish`. Blocks start right after the
//! index (Open PS2 Loader counts the blocks from the first index entry) and the index shift is the
//! smallest that can address the worst case — every block stored plain — as maxcso chooses it, so
//! it stays 0 below 2 GiB.
//!
//! The sink buffers a batch of a few MiB, packs its blocks in parallel on a rayon pool of
//! `WriteOptions::threads` threads and writes them in order. Each block is packed on its own by a
//! deterministic encoder, so the bytes written do not depend on the number of threads, and memory
//! stays at a few batches whatever the size of the image.

use discus_core::output::{self, Destination, Output};
use discus_core::plan::{self, Plan};
use discus_core::{Capabilities, Error, Form, Result, SectorSink, SectorSource, WriteOptions};
use rayon::prelude::*;
use std::sync::mpsc::Receiver;
use zlib_rs::Strategy;

use crate::codec::{self, Method, Wrap};
use crate::header::{
    CSO_HEADER_SIZE, CSO_MAGIC, Container, DAX_FRAME_SIZE, DAX_HEADER_SIZE, DAX_MAGIC, INDEX_FLAG,
    INDEX_OFFSET, MIN_BLOCK_SIZE, Packing, ZSO_MAGIC,
};

/// What every container holds: one data track of 2048-byte sectors, compressed.
pub const CAPABILITIES: Capabilities = Capabilities {
    media: discus_core::Media::ALL,
    multi_track: false,
    audio: false,
    sessions: false,
    subchannel: false,
    raw_sectors: false,
    metadata: false,
    compressed: true,
};

/// Largest block size the writer offers; readers beyond PPSSPP and maxcso rarely take more.
pub const MAX_WRITE_BLOCK_SIZE: u32 = 1 << 20;
/// Inputs from this size get 16 KiB CSO blocks by default, as maxcso does (the PS2 recommendation).
const LARGE_INPUT: u64 = 2 << 30;
/// Input bytes packed per parallel batch.
const BATCH_BYTES: usize = 4 << 20;
/// Batches on the pool at once: two keep both threads of two cores packing while the oldest is
/// written and the next one fills (with one fewer, 10 % of two cores' time went idle).
const IN_PACKING: usize = 2;
/// The encoder names `Compression::encoder` accepts.
pub const ENCODERS: &[&str] = &["zlib", "libdeflate", "lz4hc", "lz4"];
/// The four zlib strategies maxcso tries; each wins on some blocks.
const ZLIB_STRATEGIES: [Strategy; 4] = [
    Strategy::Default,
    Strategy::Filtered,
    Strategy::HuffmanOnly,
    Strategy::Rle,
];
/// LZ4 HC level of the `lz4hc` encoder, ZSO's default. Level 2 is LZ4 1.10's middle strategy
/// (two hash tables, one probe each, no chains). On the 2 KiB blocks of the 734 MB bench disc it
/// packs 1.2 % smaller than the fast LZ4 maxcso uses (480.3 MB against 486.3 MB) at 1.1 CPU
/// seconds, against 2.5 for level 6, whose file is only 1.1 % smaller still: the level that keeps
/// ZSO ahead of maxcso in both size and speed. (Level 3, the first hash-chain level, is slower
/// than 6 per byte saved; `best` still tries level 12.)
const LZ4HC_LEVEL: i32 = 2;
/// LZ4 HC level of the middle trial of ZSO `best`: the old default, chains of 32.
const LZ4HC_CHAINED: i32 = 6;
/// LZ4 HC level `best` adds.
const LZ4HC_MAX: i32 = 12;

/// Everything the options decide, checked.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The container written.
    pub container: Container,
    /// Bytes per block.
    pub block_size: u32,
    /// Encoders tried on each block; the smallest result is kept.
    pub methods: Vec<Method>,
    /// A packed block is kept only if it saves at least this share of the block.
    pub min_saving: Option<f64>,
    /// Threads that pack blocks (0 = one per core).
    pub threads: usize,
}

/// The container the options ask of the `cso` format: version 1 unless version 2 is asked for.
pub fn cso_container(options: &WriteOptions) -> Result<Container> {
    match options.compression.version {
        None | Some(0 | 1) => Ok(Container::CsoV1),
        Some(2) => Ok(Container::CsoV2),
        Some(v) => Err(Error::Usage(format!(
            "CSO version {v} does not exist; choose 1 or 2"
        ))),
    }
}

fn zso_container(options: &WriteOptions) -> Result<Container> {
    match options.compression.version {
        None | Some(1) => Ok(Container::Zso),
        Some(v) => Err(Error::Usage(format!("ZSO has one version (1), not {v}"))),
    }
}

fn dax_container(options: &WriteOptions) -> Result<Container> {
    match options.compression.version {
        None | Some(0) => Ok(Container::Dax),
        Some(v) => Err(Error::Usage(format!(
            "discus writes DAX version 0 (as maxcso does), not {v}"
        ))),
    }
}

/// Checks the options against the container and fills in the defaults. `total` is the size of the
/// image in bytes.
pub fn settings(container: Container, options: &WriteOptions, total: u64) -> Result<Settings> {
    let compression = &options.compression;
    let block_size = match (container, compression.block_size) {
        (Container::Dax, None | Some(DAX_FRAME_SIZE)) => DAX_FRAME_SIZE,
        (Container::Dax, Some(b)) => {
            return Err(Error::Usage(format!(
                "DAX frames are always {DAX_FRAME_SIZE} bytes, not {b}"
            )));
        }
        (_, Some(b))
            if b.is_power_of_two() && (MIN_BLOCK_SIZE..=MAX_WRITE_BLOCK_SIZE).contains(&b) =>
        {
            b
        }
        (_, Some(b)) => {
            return Err(Error::Usage(format!(
                "block size {b} is not a power of two from {MIN_BLOCK_SIZE} to {MAX_WRITE_BLOCK_SIZE}"
            )));
        }
        // ZSO is read by Open PS2 Loader, which takes 2048-byte blocks only.
        (Container::Zso, None) => MIN_BLOCK_SIZE,
        (_, None) if total >= LARGE_INPUT => 16384,
        (_, None) => MIN_BLOCK_SIZE,
    };
    let bad_share = compression
        .min_saving
        .filter(|share| !(share.is_finite() && (0.0..1.0).contains(share)));
    if let Some(share) = bad_share {
        return Err(Error::Usage(format!(
            "min saving {share} is not a share from 0 (inclusive) to 1 (exclusive)"
        )));
    }
    if container == Container::Dax && total > u64::from(u32::MAX) - u64::from(DAX_FRAME_SIZE) {
        return Err(Error::Usage(format!(
            "DAX stores its size in 32 bits; this image of {total} bytes needs CSO"
        )));
    }
    Ok(Settings {
        container,
        block_size,
        methods: methods(container, compression.encoder.as_deref(), compression.best)?,
        min_saving: compression.min_saving,
        threads: options.threads,
    })
}

/// The encoders tried per block. Without `best`, the one named, or the container's default: zlib
/// for the deflate containers, LZ4 HC for ZSO.
///
/// With `best`, the smallest result per block of: libdeflate at level 12 for CSO v1 and DAX; that
/// and LZ4 HC 12 for CSO v2; LZ4 HC 12, 6 and 2 and fast LZ4 for ZSO. libdeflate output crashes PSP
/// custom firmware, so naming `zlib` together with `best` keeps to zlib, trying its four strategies
/// as maxcso does. Beside libdeflate 12 the zlib strategies were measured to win 0.001 % of the
/// output for 30 % (default strategy) to 130 % (all four) more time, so `best` leaves them out.
fn methods(container: Container, encoder: Option<&str>, best: bool) -> Result<Vec<Method>> {
    let name = encoder.map(str::to_ascii_lowercase);
    let allowed: &[&str] = match container {
        Container::CsoV1 | Container::Dax => &["zlib", "libdeflate"],
        Container::Zso => &["lz4hc", "lz4"],
        Container::CsoV2 => ENCODERS,
    };
    if let Some(name) = &name {
        if !ENCODERS.contains(&name.as_str()) {
            return Err(Error::Usage(format!(
                "unknown encoder '{name}'; choose one of {}",
                ENCODERS.join(", ")
            )));
        }
        if !allowed.contains(&name.as_str()) {
            return Err(Error::Usage(format!(
                "{} cannot hold '{name}' blocks; choose one of {}",
                container.name(),
                allowed.join(", ")
            )));
        }
    }
    let name = name.unwrap_or_else(|| allowed[0].to_string());
    let single = match name.as_str() {
        "libdeflate" => Method::Libdeflate,
        "lz4hc" => Method::Lz4Hc(LZ4HC_LEVEL),
        "lz4" => Method::Lz4,
        _ => Method::Zlib(Strategy::Default),
    };
    if !best {
        return Ok(vec![single]);
    }
    let methods = match container {
        Container::Zso => vec![
            Method::Lz4Hc(LZ4HC_MAX),
            Method::Lz4Hc(LZ4HC_CHAINED),
            Method::Lz4Hc(LZ4HC_LEVEL),
            Method::Lz4,
        ],
        _ if encoder.is_some() && name == "zlib" => ZLIB_STRATEGIES.map(Method::Zlib).to_vec(),
        Container::CsoV2 => vec![Method::Libdeflate, Method::Lz4Hc(LZ4HC_MAX)],
        _ => vec![Method::Libdeflate],
    };
    Ok(methods)
}

/// The plan of any of the containers: the first data track as 2048-byte sectors; every other
/// track, and the XA parts of a Mode 2 track, are losses the plan reports.
fn plan_with(
    container: Container,
    source: &dyn SectorSource,
    options: &WriteOptions,
) -> Result<Plan> {
    let path = source.files().into_iter().next().unwrap_or_default();
    let plan = Plan::first_data_track(source, CAPABILITIES, Form::Cooked, &path)?;
    // Refuse bad options now, before anything is written.
    settings(container, options, plan.total_sectors() * 2048)?;
    Ok(plan)
}

/// `Writer::plan` of CSO.
pub fn plan_cso(source: &dyn SectorSource, options: &WriteOptions) -> Result<Plan> {
    plan_with(cso_container(options)?, source, options)
}

/// `Writer::plan` of ZSO.
pub fn plan_zso(source: &dyn SectorSource, options: &WriteOptions) -> Result<Plan> {
    plan_with(zso_container(options)?, source, options)
}

/// `Writer::plan` of DAX.
pub fn plan_dax(source: &dyn SectorSource, options: &WriteOptions) -> Result<Plan> {
    plan_with(dax_container(options)?, source, options)
}

/// `Writer::create` of CSO.
pub fn create_cso(
    destination: &Destination,
    plan: &Plan,
    options: &WriteOptions,
) -> Result<Box<dyn SectorSink>> {
    create_with(cso_container(options)?, destination, plan, options)
}

/// `Writer::create` of ZSO.
pub fn create_zso(
    destination: &Destination,
    plan: &Plan,
    options: &WriteOptions,
) -> Result<Box<dyn SectorSink>> {
    create_with(zso_container(options)?, destination, plan, options)
}

/// `Writer::create` of DAX.
pub fn create_dax(
    destination: &Destination,
    plan: &Plan,
    options: &WriteOptions,
) -> Result<Box<dyn SectorSink>> {
    create_with(dax_container(options)?, destination, plan, options)
}

fn create_with(
    container: Container,
    destination: &Destination,
    plan: &Plan,
    options: &WriteOptions,
) -> Result<Box<dyn SectorSink>> {
    plan::check(plan, options, &destination.path)?;
    let one_cooked_track = plan.tracks.len() == 1 && plan.tracks[0].form == Form::Cooked;
    if !one_cooked_track {
        return Err(Error::Usage(format!(
            "{} holds one track of 2048-byte sectors; this plan has {} track(s)",
            container.name(),
            plan.tracks.len()
        )));
    }
    let total = plan.total_sectors() * 2048;
    let settings = settings(container, options, total)?;
    let layout = Layout::new(&settings, total)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the compression threads: {e}")))?;
    let mut output = destination.create(&destination.path)?;
    // Header and index are written last; hold their place (and the padding before block 0).
    put_zeros(&mut output, layout.data_start)?;
    let blocks = layout.blocks as usize;
    let block_size = settings.block_size as usize;
    Ok(Box::new(BlockSink {
        output,
        batch: (BATCH_BYTES / block_size).max(1) * block_size,
        settings: std::sync::Arc::new(settings),
        pool,
        total,
        received: 0,
        pending: Vec::new(),
        position: layout.data_start,
        index: Vec::with_capacity(if container == Container::Dax {
            0
        } else {
            blocks + 1
        }),
        lengths: Vec::with_capacity(if container == Container::Dax {
            blocks
        } else {
            0
        }),
        layout,
        packing: std::collections::VecDeque::new(),
        spare: None,
    }))
}

/// Where things go in the output.
#[derive(Clone, Copy, Debug)]
struct Layout {
    blocks: u64,
    shift: u8,
    /// Offset of block 0 (end of the reserved header and index, aligned).
    data_start: u64,
}

impl Layout {
    fn new(settings: &Settings, total: u64) -> Result<Layout> {
        let block_size = u64::from(settings.block_size);
        let blocks = total.div_ceil(block_size);
        if settings.container == Container::Dax {
            return Ok(Layout {
                blocks,
                shift: 0,
                data_start: DAX_HEADER_SIZE + blocks * 6,
            });
        }
        let index_end = CSO_HEADER_SIZE + (blocks + 1) * 4;
        for shift in 0..=31u8 {
            let align = 1u64 << shift;
            let data_start = index_end.next_multiple_of(align);
            let worst = data_start + blocks * block_size.next_multiple_of(align);
            if worst >> shift <= u64::from(INDEX_OFFSET) {
                return Ok(Layout {
                    blocks,
                    shift,
                    data_start,
                });
            }
        }
        Err(Error::Usage(format!(
            "an image of {total} bytes is too large for a {} index",
            settings.container.name()
        )))
    }
}

/// One packed block: how it is stored and, unless plain, its packed bytes.
struct Packed {
    packing: Packing,
    bytes: Vec<u8>,
}

/// Packs one block (a whole block, the last one padded with zeros).
fn pack_block(settings: &Settings, align: u64, input: &[u8]) -> Packed {
    let wrap = if settings.container == Container::Dax {
        Wrap::Zlib
    } else {
        Wrap::Raw
    };
    let size = input.len() as u64;
    // The largest packed block worth keeping: below the block once aligned, and saving the share
    // asked for. DAX keeps whatever zlib gives.
    let limit = (settings.container != Container::Dax).then(|| {
        let below = (size - 1) / align * align;
        let share = settings.min_saving.unwrap_or(0.0);
        below.min((size as f64 * (1.0 - share)).floor() as u64) as usize
    });
    let mut bytes = Vec::new();
    let packing = codec::pack(&settings.methods, wrap, input, limit, &mut bytes);
    let stored = (bytes.len() as u64).next_multiple_of(align);
    // DAX version 0 has no plain frames: every frame is a zlib stream, even one that grew.
    let worth = settings.container == Container::Dax
        || (stored < size
            && settings
                .min_saving
                .is_none_or(|share| (size - stored) as f64 >= share * size as f64));
    match packing {
        Some(packing) if worth => Packed { packing, bytes },
        _ => Packed {
            packing: Packing::Plain,
            bytes: Vec::new(),
        },
    }
}

struct BlockSink {
    output: Output,
    settings: std::sync::Arc<Settings>,
    layout: Layout,
    pool: rayon::ThreadPool,
    /// Bytes the plan delivers.
    total: u64,
    /// Bytes received so far.
    received: u64,
    /// Bytes received and not yet packed.
    pending: Vec<u8>,
    /// Input bytes packed per batch (whole blocks).
    batch: usize,
    /// Output offset of the next block.
    position: u64,
    /// CSO / ZSO: the index entries so far. DAX: the frame offsets.
    index: Vec<u32>,
    /// DAX: the frame lengths.
    lengths: Vec<u16>,
    /// The batches being packed on the pool, oldest first: each one's input and packed blocks
    /// arrive on its receiver.
    packing: std::collections::VecDeque<Receiver<(Vec<u8>, Vec<Packed>)>>,
    /// An input buffer written and free for the next batch.
    spare: Option<Vec<u8>>,
}

impl BlockSink {
    /// Starts packing the whole blocks of `data` on the pool and, once [`IN_PACKING`] batches are
    /// on it, writes the oldest, whose packing is done by then or nearly: the writing, and the
    /// tail of one batch where only some threads still have blocks left, overlap the packing of
    /// the next ones, so the pool always has blocks to pack.
    fn pack_and_write(&mut self, data: Vec<u8>) -> Result<()> {
        let (done, packed) = std::sync::mpsc::sync_channel(1);
        let settings = std::sync::Arc::clone(&self.settings);
        let align = 1u64 << self.layout.shift;
        self.pool.spawn(move || {
            let block_size = settings.block_size as usize;
            let blocks: Vec<Packed> = data
                .par_chunks(block_size)
                .map(|block| pack_block(&settings, align, block))
                .collect();
            let _ = done.send((data, blocks));
        });
        self.packing.push_back(packed);
        if self.packing.len() > IN_PACKING
            && let Some(oldest) = self.packing.pop_front()
        {
            self.write_packed(&oldest)?;
        }
        Ok(())
    }

    /// Waits for the batches being packed, if any, and writes them in order.
    fn write_last_packed(&mut self) -> Result<()> {
        while let Some(oldest) = self.packing.pop_front() {
            self.write_packed(&oldest)?;
        }
        Ok(())
    }

    /// Writes a packed batch in order: its blocks, each padded to the alignment.
    fn write_packed(&mut self, packing: &Receiver<(Vec<u8>, Vec<Packed>)>) -> Result<()> {
        let (data, packed) = packing.recv().map_err(|_| {
            Error::Usage("a compression thread stopped before its batch was packed".to_string())
        })?;
        let block_size = self.settings.block_size as usize;
        let align = 1u64 << self.layout.shift;
        for (packed, input) in packed.iter().zip(data.chunks(block_size)) {
            let bytes = if packed.packing == Packing::Plain {
                input
            } else {
                packed.bytes.as_slice()
            };
            self.record(packed.packing, bytes.len())?;
            self.output.put(bytes)?;
            let end = self.position + bytes.len() as u64;
            let padded = end.next_multiple_of(align);
            put_zeros(&mut self.output, padded - end)?;
            self.position = padded;
        }
        // The input buffer takes the next batch: a fresh 4 MiB would have its pages faulted in
        // again by the kernel.
        let mut data = data;
        data.clear();
        self.spare = Some(data);
        Ok(())
    }

    /// Enters the block about to be written at `self.position` in the index.
    fn record(&mut self, packing: Packing, len: usize) -> Result<()> {
        let block = self.index.len().max(self.lengths.len()) as u64;
        // The path is copied only when an error is made, not for every block.
        let path = self.output.path();
        let overflow =
            || Error::at_block(path, block, "the output outgrew what its index can address");
        if self.settings.container == Container::Dax {
            if packing == Packing::Plain {
                return Err(Error::at_block(
                    path,
                    block,
                    "zlib could not pack this frame",
                ));
            }
            self.index
                .push(u32::try_from(self.position).map_err(|_| overflow())?);
            self.lengths
                .push(u16::try_from(len).map_err(|_| overflow())?);
            return Ok(());
        }
        let offset = u32::try_from(self.position >> self.layout.shift)
            .ok()
            .filter(|o| *o <= INDEX_OFFSET)
            .ok_or_else(overflow)?;
        let flag = match (self.settings.container, packing) {
            (Container::CsoV1 | Container::Zso, Packing::Plain) => INDEX_FLAG,
            (Container::CsoV2, Packing::Lz4) => INDEX_FLAG,
            _ => 0,
        };
        self.index.push(offset | flag);
        Ok(())
    }

    /// Writes the header and the tables at the start of the file, a piece at a time: a DVD's
    /// ZSO index is 9 to 17 MB, and a second copy of it would double the memory the sink needs.
    fn write_head(&mut self) -> Result<()> {
        let mut head = Vec::with_capacity(DAX_HEADER_SIZE as usize);
        if self.settings.container == Container::Dax {
            head.extend_from_slice(&DAX_MAGIC);
            let size = u32::try_from(self.total)
                .map_err(|_| Error::Usage(format!("DAX cannot hold {} bytes", self.total)))?;
            head.extend_from_slice(&size.to_le_bytes());
            head.extend_from_slice(&0u32.to_le_bytes()); // version 0: no NC areas
            head.extend_from_slice(&[0u8; 20]); // NC area count and reserved words
        } else {
            let (magic, version) = match self.settings.container {
                Container::Zso => (ZSO_MAGIC, 1u8),
                Container::CsoV2 => (CSO_MAGIC, 2),
                _ => (CSO_MAGIC, 1),
            };
            head.extend_from_slice(&magic);
            head.extend_from_slice(&(CSO_HEADER_SIZE as u32).to_le_bytes());
            head.extend_from_slice(&self.total.to_le_bytes());
            head.extend_from_slice(&self.settings.block_size.to_le_bytes());
            head.push(version);
            head.push(self.layout.shift);
            head.extend_from_slice(&[0, 0]);
        }
        self.output.put_at(0, &head)?;
        let mut at = head.len() as u64;
        let mut piece = Vec::with_capacity(64 << 10);
        // DAX: the frame offsets, then the frame lengths. CSO / ZSO: the index (no lengths).
        for entries in self.index.chunks(16 << 10) {
            piece.clear();
            entries
                .iter()
                .for_each(|e| piece.extend_from_slice(&e.to_le_bytes()));
            self.output.put_at(at, &piece)?;
            at += piece.len() as u64;
        }
        for lengths in self.lengths.chunks(32 << 10) {
            piece.clear();
            lengths
                .iter()
                .for_each(|l| piece.extend_from_slice(&l.to_le_bytes()));
            self.output.put_at(at, &piece)?;
            at += piece.len() as u64;
        }
        Ok(())
    }
}

impl SectorSink for BlockSink {
    fn write(&mut self, track: usize, sectors: &[u8]) -> Result<()> {
        if track != 0 {
            return Err(Error::Usage(format!(
                "{} holds one track; got sectors for track {track}",
                self.settings.container.name()
            )));
        }
        self.received += sectors.len() as u64;
        if self.received > self.total {
            return Err(Error::Usage(format!(
                "{} received more than the {} bytes its plan holds",
                self.settings.container.name(),
                self.total
            )));
        }
        // Whole batches go to the pool as they fill; what is left over starts the next one.
        let mut sectors = sectors;
        while !sectors.is_empty() {
            let take = (self.batch - self.pending.len()).min(sectors.len());
            self.pending.extend_from_slice(&sectors[..take]);
            sectors = &sectors[take..];
            if self.pending.len() == self.batch {
                let next = self
                    .spare
                    .take()
                    .unwrap_or_else(|| Vec::with_capacity(self.batch));
                let full = std::mem::replace(&mut self.pending, next);
                self.pack_and_write(full)?;
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        if self.received != self.total {
            return Err(Error::Usage(format!(
                "{} received {} of the {} bytes its plan holds",
                self.settings.container.name(),
                self.received,
                self.total
            )));
        }
        // The short last block is padded with zeros to a whole block, as maxcso does: readers
        // such as PPSSPP expect every block to inflate to the block size.
        let mut pending = std::mem::take(&mut self.pending);
        let block_size = self.settings.block_size as usize;
        pending.resize(pending.len().next_multiple_of(block_size), 0);
        if !pending.is_empty() {
            self.pack_and_write(pending)?;
        }
        self.write_last_packed()?;
        if self.settings.container != Container::Dax {
            let end = u32::try_from(self.position >> self.layout.shift)
                .ok()
                .filter(|o| *o <= INDEX_OFFSET)
                .ok_or_else(|| {
                    Error::at_offset(
                        self.output.path(),
                        self.position,
                        "the output outgrew what its index can address",
                    )
                })?;
            self.index.push(end);
        }
        if self.settings.container == Container::Zso {
            // Open PS2 Loader and hdl-dump read ZSO files in whole 2048-byte sectors and refuse a
            // file of any other length (maxcso#85, hdl-dump#71). The zeros go after the last
            // block, outside the index: its last entry still ends the last block exactly, which
            // the loaders' LZ4 decoders need (they take a block's span as its exact length).
            let padded = self.position.next_multiple_of(u64::from(MIN_BLOCK_SIZE));
            put_zeros(&mut self.output, padded - self.position)?;
        }
        self.write_head()?;
        output::commit([self.output])
    }
}

/// Writes `count` zero bytes.
fn put_zeros(output: &mut Output, count: u64) -> Result<()> {
    const ZEROS: [u8; 4096] = [0; 4096];
    let mut left = count;
    while left > 0 {
        let take = left.min(ZEROS.len() as u64) as usize;
        output.put(&ZEROS[..take])?;
        left -= take as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use discus_core::Compression;

    fn options(compression: Compression) -> WriteOptions {
        WriteOptions {
            compression,
            ..WriteOptions::default()
        }
    }

    #[test]
    fn defaults_follow_maxcso() {
        let small = settings(Container::CsoV1, &options(Compression::default()), 1 << 30);
        let large = settings(Container::CsoV1, &options(Compression::default()), 4 << 30);
        let zso = settings(Container::Zso, &options(Compression::default()), 4 << 30);
        assert_eq!(small.map(|s| s.block_size).ok(), Some(2048));
        assert_eq!(large.map(|s| s.block_size).ok(), Some(16384));
        assert_eq!(zso.map(|s| s.block_size).ok(), Some(2048));
    }

    #[test]
    fn bad_options_are_usage_errors() {
        let cases = [
            Compression {
                encoder: Some("zstd".into()),
                ..Compression::default()
            },
            Compression {
                encoder: Some("lz4hc".into()),
                ..Compression::default()
            },
            Compression {
                block_size: Some(3000),
                ..Compression::default()
            },
            Compression {
                block_size: Some(2 << 20),
                ..Compression::default()
            },
            Compression {
                min_saving: Some(1.5),
                ..Compression::default()
            },
            Compression {
                version: Some(3),
                ..Compression::default()
            },
        ];
        for compression in cases {
            let options = options(compression.clone());
            let result = cso_container(&options).and_then(|c| settings(c, &options, 1 << 20));
            assert!(
                matches!(result, Err(Error::Usage(_))),
                "{compression:?} gave {result:?}"
            );
        }
    }

    #[test]
    fn zlib_keeps_best_psp_safe() {
        let named = methods(Container::CsoV1, Some("zlib"), true).unwrap_or_default();
        assert!(!named.contains(&Method::Libdeflate));
        let open = methods(Container::CsoV1, None, true).unwrap_or_default();
        assert!(open.contains(&Method::Libdeflate));
        let v2 = methods(Container::CsoV2, None, true).unwrap_or_default();
        assert!(v2.contains(&Method::Lz4Hc(LZ4HC_MAX)));
    }

    #[test]
    fn the_shift_stays_zero_below_two_gib() {
        let shift = |total| {
            let settings = Settings {
                container: Container::CsoV1,
                block_size: 2048,
                methods: vec![],
                min_saving: None,
                threads: 1,
            };
            Layout::new(&settings, total).map(|l| l.shift).ok()
        };
        assert_eq!(shift(1 << 30), Some(0));
        assert_eq!(shift(3 << 30), Some(1));
        assert_eq!(shift(5 << 30), Some(2));
    }
}
