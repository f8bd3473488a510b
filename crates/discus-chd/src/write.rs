//! Writing: the plan and the sink of a CHD, laid out as chdman lays it out:
//!
//! ```text
//! header (124, written last) │ metadata entries │ hunk 0 │ hunk 1 │ … (back to back, in hunk order) │ map
//! ```
//!
//! Sectors become logical data as [`crate::cd`] describes (CD frames with each track padded to four
//! frames), which is cut into hunks. The sink gathers a batch of hunks, finds in parallel each
//! hunk's SHA-1 (a hunk equal to one already stored becomes a copy of it, as chdman does), packs
//! the new ones in parallel with every codec and keeps the smallest, and writes them in order.
//! Each hunk is packed on its own by deterministic encoders, so the bytes do not depend on the
//! thread count.
//!
//! Memory stays at a batch of hunks plus what grows with the disc, kept small so that an 8.5 GB
//! DVD (two million 4 KiB hunks) fits in 64 MiB: the map ([`map::Map`]: 1 byte a copy of the zero
//! hunk, 6 a packed hunk) and the index of stored hunks, 8 bytes a slot for every hunk and a
//! quarter more. The index keeps 64 bits of each hunk's SHA-1 (32 place it, 32 are kept) and its
//! number; a hunk that matches is compared byte for byte with the one it would copy (kept in a
//! small cache, in the batch, or read back from the file) before it becomes a copy, so two hunks
//! that share a hash prefix are both stored.

use std::collections::HashMap;

use discus_core::format::Media;
use discus_core::output::{self, Destination, Output};
use discus_core::plan::{self, Plan};
use discus_core::{
    Capabilities, Error, Form, Medium, Result, SectorSink, SectorSource, WriteOptions,
};
use rayon::prelude::*;
use sha1::{Digest, Sha1};

use crate::cd::{self, FRAME, TrackType};
use crate::codec::{self, Codec, Effort};
use crate::header::{Header, V5_LENGTH};
use crate::keep;
use crate::map::{self, CRC16, Kind};
use crate::metadata::{self, CHECKSUM, Entry};

/// What a CHD holds: CDs with every CD track type, raw subchannel, and — in an entry of our own —
/// the sessions, indexes, flags, ISRC, catalog and CD-TEXT chdman has no place for; and DVDs.
pub const CAPABILITIES: Capabilities = Capabilities {
    media: Media {
        cd: true,
        dvd: true,
        bd: false,
    },
    multi_track: true,
    audio: true,
    sessions: true,
    subchannel: true,
    raw_sectors: true,
    metadata: true,
    compressed: true,
};

/// chdman's CD hunk: 8 frames.
pub const CD_HUNK: u32 = 8 * FRAME as u32;
/// chdman's CD codecs, in its slot order.
pub const CD_CODECS: [Codec; 3] = [Codec::Cdlz, Codec::Cdzl, Codec::Cdfl];
/// Largest hunk the writer makes: the map's 24-bit lengths must hold any packed hunk.
pub const MAX_HUNK: u32 = 1 << 23;
/// chdman's DVD hunk (createdvd): two sectors.
pub const DVD_HUNK: u32 = 4096;
/// Bytes of a DVD sector, the unit of a DVD CHD.
pub const DVD_UNIT: u32 = 2048;
/// The DVD codecs written by default: chdman's createdvd set, in its slot order.
pub const DVD_CODECS: [Codec; 4] = [Codec::Lzma, Codec::Zlib, Codec::Huff, Codec::Flac];
/// Logical bytes gathered before a batch is packed.
const BATCH_BYTES: usize = 4 << 20;

/// Everything the options decide, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Codecs in header slot order.
    pub codecs: Vec<Codec>,
    /// Bytes per hunk.
    pub hunk_bytes: u32,
    /// Bytes per unit: a CD frame (2448) or a DVD sector (2048).
    pub unit: u32,
    /// How hard the encoders try.
    pub effort: Effort,
    /// Threads that pack hunks (0 = one per core).
    pub threads: usize,
}

/// Whether a plan's disc is written as a DVD CHD (2048-byte units, `DVD ` metadata): a DVD, or
/// any one-track data disc when 2048-byte sectors are asked for (PPSSPP reads UMD images so).
pub fn is_dvd_layout(medium: Medium, options: &WriteOptions) -> bool {
    !medium.is_cd() || options.sector_size == Some(DVD_UNIT)
}

/// Checks the options for a CD (`dvd` false) or DVD image and fills in chdman's defaults.
pub fn settings(options: &WriteOptions, dvd: bool) -> Result<Settings> {
    let compression = &options.compression;
    let (defaults, unit, default_hunk) = if dvd {
        (&DVD_CODECS[..], DVD_UNIT, DVD_HUNK)
    } else {
        (&CD_CODECS[..], FRAME as u32, CD_HUNK)
    };
    let codecs = match &compression.encoder {
        None => defaults.to_vec(),
        Some(list) => {
            let mut codecs = Vec::new();
            for name in list
                .split([',', '+'])
                .map(str::trim)
                .filter(|n| !n.is_empty())
            {
                let codec = Codec::parse(name)
                    .filter(|c| c.is_cd() != dvd)
                    .ok_or_else(|| {
                        Error::Usage(format!(
                            "'{name}' is not a {} CHD codec; choose from {} (comma-separated)",
                            if dvd { "DVD" } else { "CD" },
                            Codec::ALL
                                .iter()
                                .filter(|c| c.is_cd() != dvd)
                                .map(|c| c.name())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    })?;
                if !codecs.contains(&codec) {
                    codecs.push(codec);
                }
            }
            if codecs.is_empty() || codecs.len() > 4 {
                return Err(Error::Usage("a CHD names one to four codecs".to_string()));
            }
            codecs
        }
    };
    let hunk_bytes = match compression.block_size {
        None => default_hunk,
        Some(b) if b > 0 && b.is_multiple_of(unit) && b <= MAX_HUNK => b,
        Some(b) => {
            return Err(Error::Usage(format!(
                "a {} CHD hunk is a whole number of {unit}-byte units up to {MAX_HUNK} bytes, not {b}",
                if dvd { "DVD" } else { "CD" }
            )));
        }
    };
    if compression.min_saving.is_some() {
        return Err(Error::Usage(
            "a CHD keeps a hunk packed whenever packing makes it smaller; a minimum saving does not apply".to_string(),
        ));
    }
    if compression.version.is_some_and(|v| v != 5) {
        return Err(Error::Usage("discus writes CHD version 5".to_string()));
    }
    if let Some(size) = options.sector_size.filter(|s| *s != DVD_UNIT) {
        return Err(Error::Usage(format!(
            "a CHD stores CD sectors as the source has them, or 2048-byte sectors (--sector-size 2048); not {size}"
        )));
    }
    Ok(Settings {
        codecs,
        hunk_bytes,
        unit,
        effort: if compression.best {
            Effort::BEST
        } else {
            Effort::DEFAULT
        },
        threads: options.threads,
    })
}

/// The form a track is written from: as the source stores it (CHD types exist for each), with
/// its raw subchannel if it has one.
fn form_for(_track: &discus_core::Track, stored: Form) -> Form {
    stored
}

/// `Writer::plan`: a CD keeps every track in the form it is stored in, stored pregaps included; a
/// DVD (or a 2048-byte layout) keeps its data track as 2048-byte sectors.
pub fn plan(source: &dyn SectorSource, options: &WriteOptions) -> Result<Plan> {
    let dvd = is_dvd_layout(source.disc().medium, options);
    settings(options, dvd)?;
    if dvd {
        let path = source.files().into_iter().next().unwrap_or_default();
        let mut plan = Plan::first_data_track(source, CAPABILITIES, Form::Cooked, &path)?;
        if plan.disc.medium.is_cd() {
            // 2048-byte units asked for a CD-sized data disc (a UMD): the CHD is a DVD-style image.
            plan.disc.medium = Medium::Dvd {
                layers: 1,
                layer_break: None,
            };
        }
        return Ok(plan);
    }
    // A GD-ROM is written as chdman writes one (CHGD): no pregaps, the gaps as zero padding.
    let gd_rom = source.disc().is_gd_rom();
    Ok(Plan::keep_all(source, CAPABILITIES, form_for, |track| {
        (
            !gd_rom && track.pregap.stored && track.pregap.sectors > 0,
            false,
        )
    }))
}

/// One plan track as the sink lays it out.
#[derive(Clone, Debug)]
struct Layout {
    /// Track number, for messages.
    number: u32,
    /// Sectors the track delivers.
    frames: u64,
    /// Units it takes in the logical data, padding included.
    padded: u64,
    /// Bytes of each arriving sector.
    size: usize,
    /// Of which main channel.
    main: usize,
    audio: bool,
    sub: bool,
}

/// `Writer::create`.
pub fn create(
    destination: &Destination,
    plan: &Plan,
    options: &WriteOptions,
) -> Result<Box<dyn SectorSink>> {
    plan::check(plan, options, &destination.path)?;
    let dvd = !plan.disc.medium.is_cd();
    let settings = settings(options, dvd)?;
    let mut layouts = Vec::new();
    let mut entries = Vec::new();
    if dvd {
        let sectors = plan.total_sectors();
        layouts.push(Layout {
            number: 1,
            frames: sectors,
            padded: sectors,
            size: DVD_UNIT as usize,
            main: DVD_UNIT as usize,
            audio: false,
            sub: false,
        });
        // chdman's createdvd writes this one entry: an empty text (its NUL), checksummed.
        entries.push(Entry::text(crate::read::DVD, "", CHECKSUM));
    } else if plan.disc.is_gd_rom() {
        let forms: Vec<Form> = plan.tracks.iter().map(|t| t.form).collect();
        for (chd, track_plan) in cd::describe_gd_rom(&plan.disc, &forms)
            .into_iter()
            .zip(&plan.tracks)
        {
            entries.push(Entry::text(cd::CHGD, &chd.to_chgd(), CHECKSUM));
            layouts.push(Layout {
                number: chd.number,
                // The track's own sectors arrive; its PAD frames are zeros, like the padding.
                frames: u64::from(chd.frames - chd.pad),
                padded: chd.padded_frames(),
                size: track_plan.form.size(),
                main: track_plan.form.without_subchannel().size(),
                audio: chd.kind == TrackType::Audio,
                sub: track_plan.form.has_subchannel(),
            });
        }
    } else {
        for (i, (track_plan, track)) in plan.tracks.iter().zip(plan.disc.tracks()).enumerate() {
            let chd = cd::describe(track, i as u32 + 1, track_plan.form, track_plan.pregap);
            entries.push(Entry::text(cd::CHT2, &chd.to_cht2(), CHECKSUM));
            layouts.push(Layout {
                number: chd.number,
                frames: u64::from(chd.frames),
                padded: chd.padded_frames(),
                size: track_plan.form.size(),
                main: track_plan.form.without_subchannel().size(),
                audio: chd.kind == TrackType::Audio,
                sub: track_plan.form.has_subchannel(),
            });
        }
        if let Some(kept) = keep::entry(&plan.disc) {
            entries.push(kept);
        }
    }
    let unit = settings.unit as usize;
    let logical: u64 = layouts.iter().map(|l| l.padded * unit as u64).sum();
    let meta = metadata::encode(&entries, V5_LENGTH as u64)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the compression threads: {e}")))?;
    let mut output = destination.create(&destination.path)?;
    output.put(&[0u8; V5_LENGTH])?;
    output.put(&meta)?;
    let hunk = settings.hunk_bytes as usize;
    let settings_hunk = settings.hunk_bytes;
    let hunks = usize::try_from(logical.div_ceil(hunk as u64))
        .ok()
        .filter(|&h| u32::try_from(h).is_ok())
        .ok_or_else(|| Error::Usage("more hunks than a CHD map can hold".to_string()))?;
    Ok(Box::new(ChdSink {
        output,
        batch: (BATCH_BYTES / hunk).max(pool.current_num_threads() * 2) * hunk,
        settings,
        pool,
        layouts,
        entries,
        logical,
        appended: 0,
        current: 0,
        frames_in_track: 0,
        pending: Vec::new(),
        raw_sha1: Sha1::new(),
        map: map::Map::new(settings_hunk, (V5_LENGTH + meta.len()) as u64),
        stored: Index::new(hunks),
        cache: Cache::default(),
    }))
}

struct ChdSink {
    output: Output,
    settings: Settings,
    pool: rayon::ThreadPool,
    layouts: Vec<Layout>,
    entries: Vec<Entry>,
    /// Logical bytes the plan makes.
    logical: u64,
    /// Logical bytes made so far.
    appended: u64,
    /// The plan track receiving sectors.
    current: usize,
    /// Frames of it received.
    frames_in_track: u64,
    /// Logical bytes not yet packed.
    pending: Vec<u8>,
    /// Bytes per batch (whole hunks).
    batch: usize,
    raw_sha1: Sha1,
    /// Every hunk's entry so far, compact.
    map: map::Map,
    /// Every hunk stored (not copied), by a prefix of its SHA-1.
    stored: Index,
    /// Hunks copied lately, to check the next copies of them without reading the file.
    cache: Cache,
}

impl ChdSink {
    /// Ends the current track: checks it got all its frames and pads it to four frames.
    fn close_track(&mut self) -> Result<()> {
        let Some(layout) = self.layouts.get(self.current) else {
            return Ok(());
        };
        if self.frames_in_track != layout.frames {
            return Err(Error::Usage(format!(
                "track {} received {} of its {} sectors",
                layout.number, self.frames_in_track, layout.frames
            )));
        }
        let unit = self.settings.unit as usize;
        let padding = layout.padded - self.frames_in_track;
        self.pending
            .resize(self.pending.len() + padding as usize * unit, 0);
        self.appended += padding * unit as u64;
        Ok(())
    }

    /// Packs and writes the whole hunks of `data` (the last one zero-padded); `logical` of its
    /// bytes are logical data (the rest is the last hunk's padding).
    fn pack_and_write(&mut self, data: &[u8], logical: usize) -> Result<()> {
        let hunk = self.settings.hunk_bytes as usize;
        let settings = &self.settings;
        let raw_sha1 = &mut self.raw_sha1;
        let (_, keys): ((), Vec<(u64, u16)>) = self.pool.install(|| {
            rayon::join(
                || raw_sha1.update(&data[..logical]),
                || {
                    data.par_chunks(hunk)
                        .map(|h| (hash_prefix(h), CRC16.checksum(h)))
                        .collect()
                },
            )
        });
        // Which hunks are new: not stored before and not equal to an earlier hunk of this batch.
        let base = self.map.len();
        let hunks: Vec<&[u8]> = data.chunks(hunk).collect();
        let mut first_in_batch: HashMap<u64, usize> = HashMap::new();
        let mut source: Vec<Source> = Vec::with_capacity(keys.len());
        for (i, &(key, _)) in keys.iter().enumerate() {
            let found = match self.stored.get(key) {
                Some(earlier) => match self.cache.get(earlier) {
                    Some(bytes) if bytes == hunks[i] => Source::Copy(earlier),
                    Some(_) => Source::New,
                    None => Source::Check(earlier),
                },
                None => match first_in_batch.get(&key) {
                    Some(&j) if hunks[j] == hunks[i] => Source::Copy((base + j) as u32),
                    Some(_) => Source::New,
                    None => {
                        first_in_batch.insert(key, i);
                        Source::New
                    }
                },
            };
            source.push(found);
        }
        // New hunks are packed; so are those that match a hunk only the file holds: packing is
        // deterministic and lossless, so equal packed bytes mean equal hunks.
        let packed: Vec<Option<(u8, Vec<u8>)>> = self.pool.install(|| {
            hunks
                .par_iter()
                .zip(source.par_iter())
                .map(|(h, from)| match from {
                    Source::Copy(_) => None,
                    _ => codec::pack(&settings.codecs, h, settings.effort),
                })
                .collect()
        });
        for (i, ((input, packed), from)) in hunks.iter().zip(packed).zip(&source).enumerate() {
            let number = (base + i) as u32;
            let (key, crc) = keys[i];
            let copy = match *from {
                Source::Copy(of) => Some(of),
                Source::Check(of) if self.holds(of, input, packed.as_ref())? => Some(of),
                _ => None,
            };
            let entry = match (copy, packed) {
                (Some(of), _) => {
                    self.cache.keep(of, input);
                    map::Entry::copy(of)
                }
                (None, Some((slot, bytes))) => {
                    self.output.put(&bytes)?;
                    map::Entry::codec(slot, bytes.len() as u32, crc)
                }
                (None, None) => {
                    self.output.put(input)?;
                    map::Entry::stored(crc)
                }
            };
            if copy.is_none() {
                self.stored.insert(key, number);
            }
            self.map.push(entry);
        }
        Ok(())
    }

    /// Whether stored hunk `of` holds `input`, whose packing is `packed`: the same codec and
    /// the same bytes in the file (or, stored raw, the same raw bytes).
    fn holds(&mut self, of: u32, input: &[u8], packed: Option<&(u8, Vec<u8>)>) -> Result<bool> {
        let hunk_bytes = self.settings.hunk_bytes;
        let Some((entry, offset)) = self.map.get(of as usize) else {
            return Ok(false);
        };
        let expected: &[u8] = match (entry.kind(), packed) {
            (Kind::Stored, None) => input,
            (Kind::Codec(slot), Some((ours, bytes)))
                if slot == *ours && entry.file_bytes(hunk_bytes) as usize == bytes.len() =>
            {
                bytes
            }
            _ => return Ok(false),
        };
        let mut written = vec![0u8; expected.len()];
        self.output.read_back(offset, &mut written)?;
        Ok(written == expected)
    }

    fn flush_whole_batches(&mut self) -> Result<()> {
        if self.pending.len() >= self.batch {
            let whole = self.pending.len() / self.batch * self.batch;
            let pending = std::mem::take(&mut self.pending);
            self.pack_and_write(&pending[..whole], whole)?;
            self.pending = pending;
            self.pending.drain(..whole);
        }
        Ok(())
    }
}

impl SectorSink for ChdSink {
    fn write(&mut self, track: usize, sectors: &[u8]) -> Result<()> {
        if track < self.current || track >= self.layouts.len() {
            return Err(Error::Usage(format!(
                "sectors of track {track} arrived out of order"
            )));
        }
        while self.current < track {
            self.close_track()?;
            self.current += 1;
            self.frames_in_track = 0;
        }
        let layout = self.layouts[track].clone();
        if !sectors.len().is_multiple_of(layout.size) {
            return Err(Error::Usage(format!(
                "track {track} received a part of a sector"
            )));
        }
        let count = (sectors.len() / layout.size) as u64;
        if self.frames_in_track + count > layout.frames {
            return Err(Error::Usage(format!(
                "track {track} received more than its {} sectors",
                layout.frames
            )));
        }
        let unit = self.settings.unit as usize;
        if layout.size == unit && !layout.audio {
            // DVD sectors are the logical data as they come.
            self.pending.extend_from_slice(sectors);
        } else {
            self.pending.reserve(count as usize * unit);
            for sector in sectors.chunks_exact(layout.size) {
                let at = self.pending.len();
                self.pending.resize(at + unit, 0);
                let frame = &mut self.pending[at..at + unit];
                frame[..layout.main].copy_from_slice(&sector[..layout.main]);
                if layout.audio {
                    // CHD keeps CD audio big-endian.
                    discus_core::sector::swap_sample_bytes(&mut frame[..layout.main]);
                }
                if layout.sub {
                    frame[2352..].copy_from_slice(&sector[layout.main..]);
                }
            }
        }
        self.frames_in_track += count;
        self.appended += count * unit as u64;
        self.flush_whole_batches()
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        while self.current < self.layouts.len() {
            self.close_track()?;
            self.current += 1;
            self.frames_in_track = 0;
        }
        if self.appended != self.logical {
            return Err(Error::Usage(format!(
                "the CHD received {} of its {} bytes",
                self.appended, self.logical
            )));
        }
        self.flush_whole_batches()?;
        let mut pending = std::mem::take(&mut self.pending);
        let logical = pending.len();
        let hunk = self.settings.hunk_bytes as usize;
        pending.resize(logical.next_multiple_of(hunk), 0);
        if !pending.is_empty() {
            self.pack_and_write(&pending, logical)?;
        }
        let map_offset = self.map.end();
        let map = self.map.encode();
        self.output.put(&map)?;
        // libchdr (since 2026-04) refuses a file with fewer bytes than an eighth of its hunk
        // count, though chdman's run-length map of a blank area is far smaller: pad a sparse
        // disc's file with zeros after the map, which every reader ignores.
        let end = map_offset + map.len() as u64;
        let least = (self.map.len() as u64).div_ceil(8);
        if end < least {
            self.output.put(&vec![0u8; (least - end) as usize])?;
        }
        let raw_sha1: [u8; 20] = std::mem::take(&mut self.raw_sha1).finalize().into();
        let mut codecs = [0u32; 4];
        for (slot, codec) in self.settings.codecs.iter().enumerate() {
            codecs[slot] = codec.tag();
        }
        let header = Header {
            version: 5,
            codecs,
            logical_bytes: self.logical,
            map_offset,
            meta_offset: if self.entries.is_empty() {
                0
            } else {
                V5_LENGTH as u64
            },
            hunk_bytes: self.settings.hunk_bytes,
            unit_bytes: self.settings.unit,
            raw_sha1,
            sha1: metadata::overall_sha1(&raw_sha1, &self.entries),
            parent_sha1: [0; 20],
        };
        self.output.put_at(0, &header.to_bytes())?;
        output::commit([self.output])
    }
}

/// Where a hunk's bytes come from.
#[derive(Clone, Copy, Debug)]
enum Source {
    /// Stored anew.
    New,
    /// A copy of this hunk, checked equal.
    Copy(u32),
    /// Perhaps a copy of this hunk, which only the file holds: compared after packing.
    Check(u32),
}

/// 64 bits of a hunk's SHA-1.
fn hash_prefix(hunk: &[u8]) -> u64 {
    let digest = Sha1::digest(hunk);
    let mut prefix = [0u8; 8];
    prefix.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(prefix)
}

/// Stored hunks by hash prefix: open addressing in a table sized once for every hunk of the
/// disc, 8 bytes a slot (32 bits of the hash, the hunk number + 1; 0 is empty). The table is
/// allocated zeroed, so the memory it takes is the pages hunks land in: little on a sparse disc.
struct Index {
    slots: Vec<u64>,
}

impl Index {
    fn new(hunks: usize) -> Index {
        Index {
            slots: vec![0; hunks + hunks / 4 + 16],
        }
    }

    /// The first slot to look at (from the high 32 bits) and what a slot keeps (the low 32).
    fn place(&self, key: u64) -> (usize, u64) {
        let at = ((key >> 32) * self.slots.len() as u64) >> 32;
        (at as usize, key & 0xFFFF_FFFF)
    }

    /// The hunk stored under `key`, if any (the first one; equal prefixes of different hunks are
    /// told apart by comparing bytes).
    fn get(&self, key: u64) -> Option<u32> {
        let (mut at, tag) = self.place(key);
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                return None;
            }
            if slot >> 32 == tag {
                return Some((slot & 0xFFFF_FFFF) as u32 - 1);
            }
            at = (at + 1) % self.slots.len();
        }
    }

    /// Adds a hunk, unless one is stored under its key already.
    fn insert(&mut self, key: u64, hunk: u32) {
        let (mut at, tag) = self.place(key);
        // More slots than hunks: a free one is always found.
        for _ in 0..self.slots.len() {
            let slot = self.slots[at];
            if slot == 0 {
                self.slots[at] = (tag << 32) | (u64::from(hunk) + 1);
                return;
            }
            if slot >> 32 == tag {
                return;
            }
            at = (at + 1) % self.slots.len();
        }
    }
}

/// The bytes of hunks copied lately (the zero hunk of a sparse disc above all), at most
/// [`Cache::BYTES`] of them, the least recently used going first.
#[derive(Default)]
struct Cache {
    hunks: HashMap<u32, (u64, Vec<u8>)>,
    bytes: usize,
    clock: u64,
}

impl Cache {
    const BYTES: usize = 1 << 20;

    fn get(&mut self, hunk: u32) -> Option<&[u8]> {
        self.clock += 1;
        let clock = self.clock;
        self.hunks.get_mut(&hunk).map(|(used, bytes)| {
            *used = clock;
            &bytes[..]
        })
    }

    fn keep(&mut self, hunk: u32, bytes: &[u8]) {
        self.clock += 1;
        if let Some((used, _)) = self.hunks.get_mut(&hunk) {
            *used = self.clock;
            return;
        }
        while self.bytes + bytes.len() > Self::BYTES && !self.hunks.is_empty() {
            let oldest = self
                .hunks
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(&h, _)| h);
            if let Some((_, gone)) = oldest.and_then(|h| self.hunks.remove(&h)) {
                self.bytes -= gone.len();
            }
        }
        self.bytes += bytes.len();
        self.hunks.insert(hunk, (self.clock, bytes.to_vec()));
    }
}
