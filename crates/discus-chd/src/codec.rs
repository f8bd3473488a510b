//! Hunk compressors, each writing exactly what chdman's decoder of the same FourCC reads.
//!
//! | codec | hunk bytes as compressed |
//! |---|---|
//! | `lzma` | raw LZMA1, lc 3 lp 0 pb 2, no header, no end marker |
//! | `zlib` | raw deflate (no zlib header) |
//! | `flac` | `L` or `B` (sample byte order), then FLAC frames without a stream header |
//! | `huff` | MAME's 8-bit Huffman: the byte code's tree, Huffman-coded itself, then every byte's code ([`crate::huffman`]) |
//! | `cdlz`, `cdzl` | ECC bitmap (a bit per frame, LSB first) │ base length (2 bytes, 3 from 64 KiB hunks) │ LZMA or deflate of the 2352-byte parts │ deflate of the 96-byte parts |
//! | `zstd` | one zstd frame |
//! | `cdzs` | as `cdlz`, with zstd for the base and the subchannel |
//! | `cdfl` | FLAC frames of the 2352-byte parts as big-endian stereo │ deflate of the 96-byte parts |
//!
//! For `cdlz`/`cdzl` a frame whose sync is present and whose ECC P and Q verify (with the header
//! zeroed for Mode 2, as MAME does) has its sync and ECC zeroed and its bit set: the reader
//! regenerates them, and zeros compress better.
//!
//! A codec "fails" on a hunk when its output would not be smaller than the hunk, as in chdman.

use discus_core::sector::{SYNC, ecc};
use lzma_sdk_rs::LzmaProps;

use crate::cd::FRAME;
use crate::header::tag;

/// Main-channel bytes of a frame.
const SECTOR: usize = 2352;
/// Subchannel bytes of a frame.
const SUB: usize = 96;
/// Where ECC P begins; P and Q run to the end of the sector.
const ECC_START: usize = 0x81C;

/// A codec the writer can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    /// CD: LZMA base, deflate subchannel.
    Cdlz,
    /// CD: deflate base and subchannel.
    Cdzl,
    /// CD: FLAC base, deflate subchannel.
    Cdfl,
    /// LZMA.
    Lzma,
    /// Deflate.
    Zlib,
    /// FLAC.
    Flac,
    /// Static Huffman over bytes: wins on hunks of few distinct byte values (text, tables).
    Huff,
    /// CD: zstd base and subchannel (chdman 0.262 and later only).
    Cdzs,
    /// Zstandard (chdman 0.262 and later only).
    Zstd,
}

impl Codec {
    /// Every codec, by name.
    pub const ALL: [Codec; 9] = [
        Codec::Cdlz,
        Codec::Cdzl,
        Codec::Cdfl,
        Codec::Cdzs,
        Codec::Lzma,
        Codec::Zlib,
        Codec::Huff,
        Codec::Flac,
        Codec::Zstd,
    ];

    /// The FourCC name.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Cdlz => "cdlz",
            Codec::Cdzl => "cdzl",
            Codec::Cdfl => "cdfl",
            Codec::Lzma => "lzma",
            Codec::Zlib => "zlib",
            Codec::Flac => "flac",
            Codec::Huff => "huff",
            Codec::Cdzs => "cdzs",
            Codec::Zstd => "zstd",
        }
    }

    /// The FourCC as the header stores it.
    pub fn tag(self) -> u32 {
        let name = self.name().as_bytes();
        tag(&[name[0], name[1], name[2], name[3]])
    }

    /// Whether the codec works on CD frames.
    pub fn is_cd(self) -> bool {
        matches!(self, Codec::Cdlz | Codec::Cdzl | Codec::Cdfl | Codec::Cdzs)
    }

    /// Parses a name.
    pub fn parse(name: &str) -> Option<Codec> {
        Codec::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }
}

/// How hard the encoders try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effort {
    /// LZMA "fast bytes", the match length at which the encoder stops looking (chdman: 64).
    pub lzma_fast_bytes: u32,
    /// Deflate level.
    pub deflate_level: u32,
    /// Run every codec on every hunk, even where it cannot win.
    pub every_codec: bool,
}

impl Effort {
    /// chdman's settings.
    pub const DEFAULT: Effort = Effort {
        lzma_fast_bytes: 64,
        deflate_level: 9,
        every_codec: false,
    };
    /// `--best`: every codec on every hunk, and the longest LZMA matches.
    pub const BEST: Effort = Effort {
        lzma_fast_bytes: 273,
        deflate_level: 9,
        every_codec: true,
    };
}

/// The best packing of one hunk: the slot of the codec that packed it smallest and its bytes, or
/// `None` when no codec makes it smaller than the hunk. Ties go to the earlier slot, as in chdman.
///
/// Unless `effort.every_codec`, codecs are skipped where they cannot win, which is most of the
/// time a writer spends:
/// - FLAC on a CD hunk whose every frame is a data sector (sync first);
/// - LZMA on a hunk whose deflate output is still most of its input — the compressed media of a
///   game disc, where deflate's output is the smaller one (measured on the bench disc: LZMA won none
///   of those hunks);
/// - FLAC on a DVD hunk that no other codec packs and whose samples no linear predictor would
///   shrink ([`flac_hopeless`]): random and already-compressed data, 43 % of the bench disc.
pub fn pack(codecs: &[Codec], hunk: &[u8], effort: Effort) -> Option<(u8, Vec<u8>)> {
    let mut cd: Option<CdParts> = None;
    let mut results: Vec<Option<Vec<u8>>> = vec![None; codecs.len()];
    // Deflate first, so its size can tell whether LZMA is worth running; FLAC last, so the best
    // size so far can tell whether it is.
    let mut order: Vec<usize> = (0..codecs.len()).collect();
    order.sort_by_key(|&slot| match codecs[slot] {
        Codec::Cdzl | Codec::Zlib => 0,
        Codec::Flac => 2,
        _ => 1,
    });
    let mut deflated: Option<usize> = None;
    let mut smallest = hunk.len();
    for slot in order {
        let codec = codecs[slot];
        let packed = if codec.is_cd() {
            let parts = cd.get_or_insert_with(|| CdParts::split(hunk, effort));
            let skip = !effort.every_codec
                && match codec {
                    Codec::Cdfl => parts.all_data,
                    Codec::Cdlz => {
                        deflated.is_some_and(|d| d * 100 >= parts.raw.len() * LZMA_WORTH)
                    }
                    _ => false,
                };
            if skip {
                None
            } else {
                parts.pack(codec, hunk.len(), effort)
            }
        } else {
            let skip = !effort.every_codec
                && match codec {
                    Codec::Lzma => deflated.is_some_and(|d| d * 100 >= hunk.len() * LZMA_WORTH),
                    Codec::Flac => smallest == hunk.len() && flac_hopeless(hunk),
                    _ => false,
                };
            if skip {
                None
            } else {
                pack_plain(codec, hunk, effort)
            }
        };
        if matches!(codec, Codec::Cdzl | Codec::Zlib) {
            // A failed deflate (no smaller than its input) counts as all of it.
            deflated = Some(packed.as_ref().map_or(hunk.len(), Vec::len));
        }
        if let Some(packed) = &packed {
            smallest = smallest.min(packed.len());
        }
        results[slot] = packed;
    }
    let mut best: Option<(u8, Vec<u8>)> = None;
    for (slot, packed) in results.into_iter().enumerate() {
        let Some(packed) = packed else { continue };
        if packed.len() < hunk.len() && best.as_ref().is_none_or(|(_, b)| packed.len() < b.len()) {
            best = Some((slot as u8, packed));
        }
    }
    best
}

/// LZMA is tried only when deflate packed a hunk below this share (percent) of its sector bytes.
const LZMA_WORTH: usize = 80;

/// Whether FLAC cannot pack a hunk no other codec packs: its 16-bit little-endian stereo samples
/// leave at least 90 % of their bits after the best order-12 linear prediction of each channel,
/// estimated from the autocorrelation (Levinson–Durbin) as FLAC's own LPC analysis starts — a
/// hundredth of the encoder's work. Random and already-compressed data leave all 16 bits; audio
/// and sampled tables leave far fewer, and FLAC is run on them as chdman runs it.
fn flac_hopeless(hunk: &[u8]) -> bool {
    const ORDER: usize = 12;
    let frames = hunk.len() / 4;
    if frames <= ORDER {
        return false;
    }
    let mut bits = 0.0f64;
    for channel in 0..2 {
        let samples: Vec<f64> = hunk
            .chunks_exact(4)
            .map(|f| f64::from(i16::from_le_bytes([f[2 * channel], f[2 * channel + 1]])))
            .collect();
        let mut corr = [0.0f64; ORDER + 1];
        for (lag, c) in corr.iter_mut().enumerate() {
            *c = samples[lag..]
                .iter()
                .zip(&samples)
                .map(|(a, b)| a * b)
                .sum();
        }
        // Levinson–Durbin: the prediction error left after each order.
        let mut error = corr[0];
        let mut coef = [0.0f64; ORDER + 1];
        for i in 1..=ORDER {
            if error <= corr[0] * 1e-9 {
                error = 0.0;
                break;
            }
            let k = (corr[i] - (1..i).map(|j| coef[j] * corr[i - j]).sum::<f64>()) / error;
            let previous = coef;
            coef[i] = k;
            for j in 1..i {
                coef[j] = previous[j] - k * previous[i - j];
            }
            error *= 1.0 - k * k;
        }
        let variance = error / frames as f64;
        // Rice-coded residual of that variance: about half its log2, plus the code's overhead.
        let per_sample = if variance < 1.0 {
            0.5
        } else {
            0.5 * variance.log2() + 0.3
        };
        bits += per_sample * frames as f64;
    }
    bits / 8.0 >= hunk.len() as f64 * 0.9
}

/// A CD hunk taken apart: its sectors as they are, its sectors with verifiable sync and ECC
/// zeroed (and which ones), and its subchannel deflated.
struct CdParts {
    raw: Vec<u8>,
    /// Every frame is a data sector (begins with the sync pattern).
    all_data: bool,
    stripped: Vec<u8>,
    bitmap: Vec<u8>,
    sub_raw: Vec<u8>,
    sub: Option<Vec<u8>>,
}

impl CdParts {
    fn split(hunk: &[u8], effort: Effort) -> CdParts {
        let frames = hunk.len() / FRAME;
        let mut raw = Vec::with_capacity(frames * SECTOR);
        let mut sub = Vec::with_capacity(frames * SUB);
        for frame in hunk.chunks_exact(FRAME) {
            raw.extend_from_slice(&frame[..SECTOR]);
            sub.extend_from_slice(&frame[SECTOR..]);
        }
        let all_data = raw.chunks_exact(SECTOR).all(|s| s[..SYNC.len()] == SYNC);
        let mut stripped = raw.clone();
        let mut bitmap = vec![0u8; frames.div_ceil(8)];
        for (i, sector) in stripped.chunks_exact_mut(SECTOR).enumerate() {
            if ecc_verifies(sector) {
                bitmap[i / 8] |= 1 << (i % 8);
                sector[..SYNC.len()].fill(0);
                sector[ECC_START..].fill(0);
            }
        }
        CdParts {
            raw,
            all_data,
            stripped,
            bitmap,
            sub: deflate(&sub, effort.deflate_level).filter(|d| d.len() < sub.len()),
            sub_raw: sub,
        }
    }

    fn pack(&self, codec: Codec, hunk_bytes: usize, effort: Effort) -> Option<Vec<u8>> {
        let zstd_sub;
        let sub = if codec == Codec::Cdzs {
            zstd_sub = zstd(&self.sub_raw).filter(|z| z.len() < self.sub_raw.len())?;
            &zstd_sub
        } else {
            self.sub.as_ref()?
        };
        let mut out = Vec::new();
        match codec {
            Codec::Cdfl => {
                out.extend(flac_frames(&self.raw, cd_flac_block(hunk_bytes), true)?);
            }
            _ => {
                let base = match codec {
                    Codec::Cdlz => lzma(&self.stripped, effort)?,
                    Codec::Cdzs => zstd(&self.stripped)?,
                    _ => deflate(&self.stripped, effort.deflate_level)?,
                };
                if base.len() >= hunk_bytes {
                    return None;
                }
                out.extend_from_slice(&self.bitmap);
                let length = (base.len() as u32).to_be_bytes();
                if hunk_bytes < 65536 {
                    out.extend_from_slice(&length[2..]);
                } else {
                    out.extend_from_slice(&length[1..]);
                }
                out.extend_from_slice(&base);
            }
        }
        out.extend_from_slice(sub);
        Some(out)
    }
}

/// Whether a sector has sync and ECC P and Q that regenerate, as MAME's `ecc_verify` decides:
/// Mode 2 sectors are checked with their header zeroed.
fn ecc_verifies(sector: &[u8]) -> bool {
    if sector[..SYNC.len()] != SYNC {
        return false;
    }
    let mut copy = [0u8; SECTOR];
    copy.copy_from_slice(&sector[..SECTOR]);
    if copy[15] == 2 {
        copy[12..16].fill(0);
    }
    ecc::matches(&copy)
}

/// FLAC block size of `cdfl`: a quarter of the hunk's sector bytes, halved while above a sector.
fn cd_flac_block(hunk_bytes: usize) -> usize {
    let mut block = hunk_bytes / FRAME * SECTOR / 4;
    while block > SECTOR {
        block /= 2;
    }
    block
}

/// FLAC block size of `flac`: a quarter of the hunk, halved while above 2048.
fn flac_block(hunk_bytes: usize) -> usize {
    let mut block = hunk_bytes / 4;
    while block > 2048 {
        block /= 2;
    }
    block
}

fn pack_plain(codec: Codec, hunk: &[u8], effort: Effort) -> Option<Vec<u8>> {
    match codec {
        Codec::Lzma => lzma(hunk, effort),
        Codec::Zlib => deflate(hunk, effort.deflate_level),
        Codec::Zstd => zstd(hunk),
        Codec::Huff => Some(crate::huffman::encode_bytes(hunk)),
        Codec::Flac => {
            // chdman tries both byte orders and keeps the smaller; data rarely packs with FLAC, so
            // the little-endian order alone keeps the time down where it would lose anyway.
            let frames = flac_frames(hunk, flac_block(hunk.len()), false)?;
            let mut out = Vec::with_capacity(frames.len() + 1);
            out.push(b'L');
            out.extend(frames);
            Some(out)
        }
        _ => None,
    }
}

/// Raw deflate at `level` (libdeflate: smaller than zlib at the same level, and several times
/// faster; every CHD reader inflates with zlib or a port of it, which reads any deflate stream).
pub fn deflate(data: &[u8], level: u32) -> Option<Vec<u8>> {
    let level = libdeflater::CompressionLvl::new(level as i32).ok()?;
    let mut compressor = libdeflater::Compressor::new(level);
    let mut out = vec![0u8; compressor.deflate_compress_bound(data.len())];
    let size = compressor.deflate_compress(data, &mut out).ok()?;
    out.truncate(size);
    Some(out)
}

/// One zstd frame at the strongest level the pure-Rust encoder has (chdman uses zstd's 22; the
/// decoders read any frame).
pub fn zstd(data: &[u8]) -> Option<Vec<u8>> {
    zrip::compress(data, ZSTD_LEVEL).ok()
}

/// The highest level of the zstd encoder used.
const ZSTD_LEVEL: i32 = 4;

/// Raw LZMA1 as chdman writes it: the LZMA SDK encoder at level 8 with the dictionary reduced to
/// the input (the codec's hunk bytes: the hunk, or a CD hunk's 2352-byte parts), lc 3, lp 0,
/// pb 2, no header, no end marker. `lzma-sdk-rs` is a port of that encoder which gives the same
/// bytes, so an LZMA hunk of ours is the very hunk chdman stores — never larger — where the
/// XZ-derived encoders (lzma-rust2, liblzma) come out 0.1–0.5 % larger on 4 KiB hunks. Readers
/// derive the same dictionary from the hunk size, so any of them decodes it.
pub fn lzma(data: &[u8], effort: Effort) -> Option<Vec<u8>> {
    let mut props = LzmaProps::chd_for_hunk(u32::try_from(data.len()).ok()?);
    if effort.lzma_fast_bytes != props.fb {
        // The SDK's own rule for the match-finder depth that goes with a fast-bytes setting.
        props.fb = effort.lzma_fast_bytes;
        props.mc = 16 + props.fb / 2;
    }
    Some(lzma_sdk_rs::encode(data, &props))
}

/// FLAC frames (no stream header) of 16-bit stereo samples, big- or little-endian.
fn flac_frames(data: &[u8], block: usize, big_endian: bool) -> Option<Vec<u8>> {
    use flacenc::component::BitRepr;
    use flacenc::error::Verify;
    if block == 0 || !data.len().is_multiple_of(4) {
        return None;
    }
    let samples: Vec<i32> = data
        .chunks_exact(2)
        .map(|s| {
            let pair = [s[0], s[1]];
            i32::from(if big_endian {
                i16::from_be_bytes(pair)
            } else {
                i16::from_le_bytes(pair)
            })
        })
        .collect();
    let mut config = flacenc::config::Encoder::default();
    config.block_size = block;
    // Hunks are packed in parallel already; FLAC's own threads would only compete.
    config.multithread = false;
    // libFLAC level 8, as chdman uses, predicts with LPC orders up to 12.
    config.subframe_coding.qlpc.lpc_order = 12;
    let config = config.into_verified().ok()?;
    let source = flacenc::source::MemSource::from_samples(&samples, 2, 16, 44100);
    let stream = flacenc::encode_with_fixed_block_size(&config, source, block).ok()?;
    let mut sink = flacenc::bitsink::ByteSink::new();
    for n in 0..stream.frame_count() {
        stream.frame(n)?.write(&mut sink).ok()?;
    }
    Some(sink.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use discus_core::Lba;
    use discus_core::sector::encode_mode1;

    #[test]
    fn block_sizes_follow_chdman() {
        assert_eq!(cd_flac_block(19584), 2352);
        assert_eq!(flac_block(4096), 1024);
        assert_eq!(flac_block(2048), 512);
    }

    #[test]
    fn flac_is_hopeless_on_noise_and_not_on_audio() {
        // Noise from a fixed generator: nothing to predict.
        let noise = discus_core::testing::noise_bytes(4096, 0x1234_5678);
        assert!(flac_hopeless(&noise));
        // A tone with a little noise on it: deflate barely packs it, LPC does.
        let tone: Vec<u8> = (0..1024)
            .flat_map(|i| {
                let v = (f64::from(i) * 0.07).sin() * 12000.0 + f64::from(noise[i as usize]) * 8.0;
                let s = (v as i16).to_le_bytes();
                [s[0], s[1], s[0], s[1]]
            })
            .collect();
        assert!(!flac_hopeless(&tone));
        let (slot, _) = pack(
            &[Codec::Lzma, Codec::Zlib, Codec::Huff, Codec::Flac],
            &tone,
            Effort::DEFAULT,
        )
        .expect("a tone packs");
        assert_eq!(slot, 3, "FLAC packs a tone smallest");
    }

    #[test]
    fn verifiable_sectors_are_stripped_and_marked() {
        let mut hunk = vec![0u8; 8 * FRAME];
        let mut sector = [0u8; SECTOR];
        encode_mode1(Lba(16), &[7u8; 2048], &mut sector);
        hunk[..SECTOR].copy_from_slice(&sector);
        sector[100] ^= 1; // breaks its ECC: kept whole
        hunk[FRAME..FRAME + SECTOR].copy_from_slice(&sector);
        let parts = CdParts::split(&hunk, Effort::DEFAULT);
        assert_eq!(parts.bitmap, [0b0000_0001]);
        assert_eq!(parts.stripped[..12], [0u8; 12]);
        assert_eq!(parts.stripped[ECC_START..SECTOR], [0u8; SECTOR - ECC_START]);
        assert_eq!(
            parts.stripped[SECTOR..2 * SECTOR],
            parts.raw[SECTOR..2 * SECTOR]
        );
        let (slot, packed) = pack(
            &[Codec::Cdlz, Codec::Cdzl, Codec::Cdfl],
            &hunk,
            Effort::DEFAULT,
        )
        .expect("a mostly empty hunk packs");
        assert!(slot <= 2 && packed.len() < 2000, "{slot} {}", packed.len());
    }
}
