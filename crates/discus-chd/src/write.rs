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
//! thread count; memory stays at a batch of hunks, the map and the table of stored hunks.

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
/// The DVD codecs written by default: chdman's createdvd set (lzma, zlib, huff, flac) without
/// huff, whose encoder discus does not have; huff rarely wins on disc data.
pub const DVD_CODECS: [Codec; 3] = [Codec::Lzma, Codec::Zlib, Codec::Flac];
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
    Ok(Box::new(ChdSink {
        position: (V5_LENGTH + meta.len()) as u64,
        first_offset: (V5_LENGTH + meta.len()) as u64,
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
        // The hunk count is known: no doubling of a map that reaches 2 million entries on a DVD-9.
        map: Vec::with_capacity(logical.div_ceil(hunk as u64) as usize),
        stored: HashMap::new(),
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
    map: Vec<map::Entry>,
    /// SHA-1 of every hunk stored (not copied), to the hunk's number.
    stored: HashMap<[u8; 20], u32>,
    /// Offset of the next hunk.
    position: u64,
    /// Offset of the first hunk.
    first_offset: u64,
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
        let (_, keys): ((), Vec<([u8; 20], u16)>) = self.pool.install(|| {
            rayon::join(
                || raw_sha1.update(&data[..logical]),
                || {
                    data.par_chunks(hunk)
                        .map(|h| (Sha1::digest(h).into(), CRC16.checksum(h)))
                        .collect()
                },
            )
        });
        // Which hunks are new: not stored before and not equal to an earlier hunk of this batch.
        let base = self.map.len();
        let mut first_in_batch: HashMap<[u8; 20], usize> = HashMap::new();
        let mut source: Vec<Option<u32>> = Vec::with_capacity(keys.len());
        for (i, (key, _)) in keys.iter().enumerate() {
            if let Some(&earlier) = self.stored.get(key) {
                source.push(Some(earlier));
            } else if let Some(&j) = first_in_batch.get(key) {
                source.push(Some((base + j) as u32));
            } else {
                first_in_batch.insert(*key, i);
                source.push(None);
            }
        }
        let packed: Vec<Option<(u8, Vec<u8>)>> = self.pool.install(|| {
            data.par_chunks(hunk)
                .zip(source.par_iter())
                .map(|(h, copy)| match copy {
                    Some(_) => None,
                    None => codec::pack(&settings.codecs, h, settings.effort),
                })
                .collect()
        });
        for (i, ((input, packed), copy)) in data.chunks(hunk).zip(packed).zip(&source).enumerate() {
            let number = u32::try_from(base + i)
                .map_err(|_| Error::Usage("more hunks than a CHD map can hold".to_string()))?;
            let (key, crc) = keys[i];
            let entry = match (copy, packed) {
                (Some(from), _) => map::Entry {
                    kind: Kind::Copy(*from),
                    length: 0,
                    crc: 0,
                },
                (None, Some((slot, bytes))) => {
                    self.output.put(&bytes)?;
                    map::Entry {
                        kind: Kind::Codec(slot),
                        length: bytes.len() as u32,
                        crc,
                    }
                }
                (None, None) => {
                    self.output.put(input)?;
                    map::Entry {
                        kind: Kind::Stored,
                        length: input.len() as u32,
                        crc,
                    }
                }
            };
            if copy.is_none() {
                self.stored.insert(key, number);
                self.position += u64::from(entry.length);
            }
            self.map.push(entry);
        }
        Ok(())
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
                    for pair in frame[..layout.main].chunks_exact_mut(2) {
                        pair.swap(0, 1);
                    }
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
        let map_offset = self.position;
        let map = map::encode(&self.map, self.first_offset, self.settings.hunk_bytes);
        self.output.put(&map)?;
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
