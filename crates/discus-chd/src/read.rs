//! Reading: a [`SectorSource`] over a CHD with random access by sector.
//!
//! The header, the metadata chain and the map's references are checked here first, so that the
//! decoding crate (`chd`) is only ever handed a file whose sizes and links are sane: no allocation
//! bigger than the file, no SELF reference that loops. Hunks are then decoded by that crate, which
//! checks each hunk's CRC-16; a read decodes only the hunks that hold the sectors asked for, on
//! several decoders at once when a read covers many hunks, and keeps the last hunk for the next
//! small read.
//!
//! A CD image's frames become sectors of the stored form: the data bytes of the track type, audio
//! turned back to little-endian, and the raw subchannel where the image has one. A DVD image
//! (`DVD ` metadata, or 2048-byte units with no CD metadata) is one Mode 1 track of 2048-byte
//! sectors.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use chd::Chd;
use chd::map::{CompressionTypeV5, MapEntry};
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
    /// One decoder per thread that may decode at once; each holds its own handle on the file.
    decoders: Vec<Decoder>,
    /// The last hunk decoded for a partial read.
    cache: Option<(u64, Vec<u8>)>,
    /// Decoded hunks of the current read.
    scratch: Vec<u8>,
    warnings: Vec<String>,
    /// Hunks per map type: codec slots 0–3, NONE, SELF, PARENT.
    stats: [u64; 7],
}

struct Decoder {
    chd: Chd<File>,
    packed: Vec<u8>,
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
        let entries = metadata::read_all(path, &file, header.meta_offset, len)?;
        let mut warnings = Vec::new();
        let (disc, placements) = layout(path, &header, &entries, &mut warnings)?;

        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8);
        let mut decoders = Vec::with_capacity(threads);
        for _ in 0..threads {
            // Each decoder opens the file itself: a cloned handle would share one seek position,
            // and decoders seek and read at the same time.
            let handle = discus_core::output::open_input(path)?;
            let chd = Chd::open(handle, None).map_err(|e| map_error(path, &header, e))?;
            decoders.push(Decoder {
                chd,
                packed: Vec::new(),
            });
        }
        let stats = check_map(path, &decoders[0].chd)?;
        Ok(ChdSource {
            path: path.to_path_buf(),
            header,
            disc,
            placements,
            entries,
            decoders,
            cache: None,
            scratch: Vec::new(),
            warnings,
            stats,
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

    /// Decodes hunks `first .. first + count` into `self.scratch`.
    fn decode(&mut self, first: u64, count: usize) -> Result<()> {
        let hunk = self.header.hunk_bytes as usize;
        self.scratch.resize(count * hunk, 0);
        if count == 1
            && let Some((cached, bytes)) = &self.cache
            && *cached == first
        {
            self.scratch.copy_from_slice(bytes);
            return Ok(());
        }
        let path = &self.path;
        if count < PARALLEL_MIN_HUNKS || self.decoders.len() == 1 {
            let decoder = &mut self.decoders[0];
            for (i, out) in self.scratch.chunks_mut(hunk).enumerate() {
                decoder.decode(path, first + i as u64, out)?;
            }
        } else {
            let per = count.div_ceil(self.decoders.len()) * hunk;
            self.scratch
                .par_chunks_mut(per)
                .zip(self.decoders.par_iter_mut())
                .enumerate()
                .try_for_each(|(part, (out, decoder))| {
                    let base = first + (part * per / hunk) as u64;
                    for (i, one) in out.chunks_mut(hunk).enumerate() {
                        decoder.decode(path, base + i as u64, one)?;
                    }
                    Ok::<(), Error>(())
                })?;
        }
        if count == 1 {
            match &mut self.cache {
                Some((index, bytes)) => {
                    *index = first;
                    bytes.copy_from_slice(&self.scratch);
                }
                None => self.cache = Some((first, self.scratch.clone())),
            }
        }
        Ok(())
    }

    /// The codec name of map type `slot` (0–3).
    fn codec_name(&self, slot: usize) -> String {
        tag_name(self.header.codecs[slot])
    }
}

impl Decoder {
    fn decode(&mut self, path: &Path, hunk: u64, out: &mut [u8]) -> Result<()> {
        let number = u32::try_from(hunk)
            .map_err(|_| Error::at_block(path, hunk, "hunk number past the map"))?;
        let chd = &mut self.chd;
        let packed = &mut self.packed;
        // The decoding crate is trusted with checked sizes only, but a codec fed hostile bytes is
        // still third-party code: a panic there becomes an error naming the hunk, not a crash.
        quiet_decoder_panics();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            chd.hunk(number)
                .and_then(|mut h| h.read_hunk_in(packed, out))
        }));
        match result {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(decode_error(path, hunk, e)),
            Err(_) => Err(Error::at_block(
                path,
                hunk,
                "the hunk's compressed data is malformed (its decoder gave up)",
            )),
        }
    }
}

/// The decoder refused the file at open: past our own checks, that is the map.
fn map_error(path: &Path, header: &Header, error: chd::Error) -> Error {
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
        header.map_offset,
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
        let hunk = u64::from(self.header.hunk_bytes);
        let first = start / hunk;
        let end = (start + (count * placement.stride) as u64).div_ceil(hunk);
        self.decode(first, (end - first) as usize)?;
        let base = (start - first * hunk) as usize;
        for (i, out) in buf.chunks_exact_mut(size).enumerate() {
            let at = base + i * placement.stride;
            let frame = &self.scratch[at..at + placement.stride];
            let main = size.min(placement.data);
            out[..main].copy_from_slice(&frame[..main]);
            if placement.audio {
                for pair in out[..main].chunks_exact_mut(2) {
                    pair.swap(0, 1);
                }
            }
            if placement.sub {
                out[2352..2448].copy_from_slice(&frame[2352..2448]);
            }
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

/// Recomputes the data SHA-1 and the overall SHA-1 from the decoded hunks and the metadata, as
/// `chdman verify` does, and says whether they equal the header's. Returns (data, overall) hex
/// pairs of (stored, computed).
pub fn verify_hashes(source: &mut ChdSource) -> Result<Verified> {
    use sha1::{Digest, Sha1};
    let hunk = u64::from(source.header.hunk_bytes);
    let hunks = source.header.hunk_count();
    let mut hasher = Sha1::new();
    let batch = (4u64 << 20).div_ceil(hunk).max(1);
    let mut done = 0u64;
    while done < hunks {
        let count = batch.min(hunks - done);
        source.decode(done, count as usize)?;
        let bytes = (source.header.logical_bytes - done * hunk).min(count * hunk) as usize;
        hasher.update(&source.scratch[..bytes]);
        done += count;
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
