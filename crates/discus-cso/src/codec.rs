//! Block codecs: the encoders a writer tries on each block and the decoders a reader uses.
//!
//! Every block is packed on its own, so any block can be read without its neighbours:
//!
//! | packing | bytes in the file | encoders | decoder |
//! |---|---|---|---|
//! | raw deflate (CSO) | RFC 1951 stream, no header, maybe followed by zero padding | `zlib` (zlib-rs, level 9, four strategies), `libdeflate` (level 12) | libdeflate |
//! | zlib (DAX) | RFC 1950: 2-byte header, deflate, Adler-32 | same, zlib-wrapped | libdeflate |
//! | LZ4 (ZSO, CSO v2) | one raw LZ4 block (no frame), maybe followed by zero padding | `lz4hc` (LZ4 HC, C reference), `lz4` (LZ4 fast) | lz4_flex |
//!
//! Encoders keep their state per thread and reset it before every block (allocating a deflate
//! state costs more than packing a 2 KiB block). Since every block starts from a reset state, the
//! same block gives the same bytes whichever thread packs it and whatever it packed before.
//!
//! Before any encoder runs, [`pack`] can recognise a block no encoder could shrink enough (random
//! bytes: compressed video and audio) and skip them all.

use std::cell::RefCell;

use zlib_rs::{DeflateConfig, DeflateFlush, Status, Strategy};

use crate::header::Packing;

/// One way to pack a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// zlib-rs at level 9 (memory level 8, 32 KiB window) with a strategy: zlib's own tree and
    /// block choices, the kind of stream PSP firmware inflates (it crashes on libdeflate's).
    Zlib(Strategy),
    /// libdeflate at level 12: smaller, but PSP custom firmware crashes on its output.
    Libdeflate,
    /// LZ4 HC at a level (2–12; 2 is LZ4 1.10's middle strategy, 3 and up hash chains).
    Lz4Hc(i32),
    /// LZ4 at its fast default.
    Lz4,
}

impl Method {
    /// Whether the method writes deflate (as opposed to LZ4).
    pub fn is_deflate(self) -> bool {
        matches!(self, Method::Zlib(_) | Method::Libdeflate)
    }
}

/// Whether deflate output carries the zlib wrapper (DAX) or is raw (CSO).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrap {
    /// Raw deflate.
    Raw,
    /// zlib header and Adler-32 around the deflate data.
    Zlib,
}

/// The per-thread encoder states, made on first use.
#[derive(Default)]
struct Encoders {
    zlib: Vec<(Strategy, Wrap, zlib_rs::Deflate)>,
    libdeflate: Option<libdeflater::Compressor>,
    trial: Vec<u8>,
    /// What `pack` gave for an all-zero block, by methods, wrap and length (see [`ZeroBlock`]).
    zero: Vec<ZeroBlock>,
}

/// The packed form of an all-zero block, kept once made. Zero padding is a tenth of a typical
/// disc and every zero block of one length packs to the same bytes, so packing it once per thread
/// and copying it afterwards gives what packing each would (for raw deflate, the shorter of that
/// and [`fixed_deflate_of_zeros`]), without the encoders' work — a deflate state reset and three
/// Huffman trees per block — and sparse DVD images, mostly zeros, pack at the speed of reading
/// them. The thread count still never changes the bytes: every thread makes the same entry.
struct ZeroBlock {
    methods: Vec<Method>,
    wrap: Wrap,
    len: usize,
    packed: Option<(Packing, Vec<u8>)>,
}

/// A raw deflate stream of `len` zero bytes in one block of fixed Huffman codes: a literal zero,
/// then copies of distance 1. For a 2 KiB block that is 127 bits, 16 bytes, where zlib's lazy
/// parse spends 17; on a disc with a tenth of its blocks zero that byte a block is more than the
/// whole difference between zlib-rs and zlib. (For 16 KiB blocks zlib's dynamic block is smaller,
/// and is kept.) Fixed codes are the plainest deflate there is: every inflater handles them.
fn fixed_deflate_of_zeros(len: usize) -> Vec<u8> {
    /// Copy lengths of the length symbols 257..=285 and their extra bits (RFC 1951, 3.2.5).
    const BASE: [u16; 29] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
        131, 163, 195, 227, 258,
    ];
    const EXTRA: [u8; 29] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ];
    struct Bits {
        bytes: Vec<u8>,
        held: u32,
        count: u32,
    }
    impl Bits {
        /// Appends the low `n` bits of `value`, least significant first.
        fn put(&mut self, value: u32, n: u32) {
            self.held |= value << self.count;
            self.count += n;
            while self.count >= 8 {
                self.bytes.push(self.held as u8);
                self.held >>= 8;
                self.count -= 8;
            }
        }
        /// Appends a Huffman code of `n` bits, which deflate sends most significant bit first.
        fn code(&mut self, code: u32, n: u32) {
            self.put(code.reverse_bits() >> (32 - n), n);
        }
        /// A symbol of the fixed literal/length code (3.2.6).
        fn symbol(&mut self, symbol: u32) {
            match symbol {
                0..=143 => self.code(0x30 + symbol, 8),
                144..=255 => self.code(0x190 + symbol - 144, 9),
                256..=279 => self.code(symbol - 256, 7),
                _ => self.code(0xC0 + symbol - 280, 8),
            }
        }
        /// A copy of `length` (3..=258) bytes from distance 1.
        fn copy(&mut self, length: usize) {
            let slot = BASE.partition_point(|base| usize::from(*base) <= length) - 1;
            self.symbol(257 + slot as u32);
            self.put(
                (length - usize::from(BASE[slot])) as u32,
                u32::from(EXTRA[slot]),
            );
            self.code(0, 5); // distance code 0: distance 1, no extra bits
        }
    }
    let mut bits = Bits {
        bytes: Vec::with_capacity(len / 128 + 8),
        held: 0,
        count: 0,
    };
    bits.put(1, 1); // BFINAL
    bits.put(1, 2); // BTYPE 01: fixed codes
    let mut left = len;
    if left > 0 {
        bits.symbol(0);
        left -= 1;
    }
    while left >= 258 {
        bits.copy(258);
        left -= 258;
    }
    if left >= 3 {
        bits.copy(left);
    } else {
        for _ in 0..left {
            bits.symbol(0);
        }
    }
    bits.symbol(256);
    if bits.count > 0 {
        bits.put(0, 8 - bits.count);
    }
    bits.bytes
}

/// Whether every byte of `input` is zero: compared against a page of zeros, so the work is the C
/// library's `memcmp` (vectorised, and just as fast in an unoptimised test build, where the
/// multi-gigabyte sparse DVD tests run).
pub fn all_zero(input: &[u8]) -> bool {
    static ZEROS: [u8; 4096] = [0; 4096];
    input
        .chunks(ZEROS.len())
        .all(|chunk| chunk == &ZEROS[..chunk.len()])
}

thread_local! {
    static ENCODERS: RefCell<Encoders> = RefCell::new(Encoders::default());
    static INFLATER: RefCell<Option<libdeflater::Decompressor>> = const { RefCell::new(None) };
}

/// At least the most bytes any method can produce from `len` input bytes (LZ4's worst case is
/// `len + len / 255 + 16`, deflate's about `len + len / 4096 + 16` with the zlib wrapper).
pub fn bound(len: usize) -> usize {
    len + len / 64 + 128
}

/// Whether no encoder can pack `input` into `limit` bytes or fewer, judged cheaply: its bytes are
/// spread so evenly that entropy coding cannot reach `limit`, and LZ4 finds no repeats to gain
/// from. Random-looking data (compressed video and audio, a third of many discs) fails both, and
/// skipping the slow encoders on it — they spend as long there as on text, to store it plain in
/// the end — makes packing a third faster. Blocks that deflate could shrink by a few bytes may be
/// stored plain instead; that costs far less than 0.1 % of the output.
fn hopeless(input: &[u8], limit: usize, scratch: &mut Vec<u8>) -> bool {
    /// `c · log2(c)` for counts up to this, from a table built once.
    const TABLED: usize = 4096;
    static TABLE: std::sync::LazyLock<Vec<f64>> = std::sync::LazyLock::new(|| {
        (0..=TABLED)
            .map(|c| {
                if c == 0 {
                    0.0
                } else {
                    c as f64 * (c as f64).log2()
                }
            })
            .collect()
    });
    let c_log2_c = |c: u32| match TABLE.get(c as usize) {
        Some(v) => *v,
        None => f64::from(c) * f64::from(c).log2(),
    };
    if input.len() < 256 || limit >= input.len() {
        return false;
    }
    // Four tables, so runs of one byte value do not wait on one counter.
    let mut tables = [[0u32; 256]; 4];
    let mut quads = input.chunks_exact(4);
    for quad in &mut quads {
        for (table, byte) in tables.iter_mut().zip(quad) {
            table[usize::from(*byte)] += 1;
        }
    }
    for byte in quads.remainder() {
        tables[0][usize::from(*byte)] += 1;
    }
    let mut counts = [0u32; 256];
    for (i, count) in counts.iter_mut().enumerate() {
        *count = tables[0][i] + tables[1][i] + tables[2][i] + tables[3][i];
    }
    // Σ c·log2(n/c) = n·log2(n) − Σ c·log2(c), with c·log2(c) from a table for the usual counts.
    let n = input.len() as f64;
    let spent: f64 = counts.iter().map(|c| c_log2_c(*c)).sum();
    let entropy_bits = n * n.log2() - spent;
    // A deflate block needs at least the order-0 entropy for its literals, plus its code lengths:
    // with nearly all 256 byte values in use that is 257 lengths at a bit or more each, so 32
    // bytes is a floor well below what zlib or libdeflate spend. (Fixed codes are worse still:
    // 8 or 9 bits a byte.) LZ4 has no entropy coding at all.
    if entropy_bits / 8.0 + 32.0 <= limit as f64 {
        return false;
    }
    // Matches are what could still save; LZ4 failing to fit in fewer bytes than the input means
    // there are none worth having.
    scratch.resize(input.len() - 1, 0);
    lz4_flex::block::compress_into(input, scratch).is_err()
}

impl Encoders {
    /// Packs `input` with `method` into `self.trial`; `None` when the method could not.
    fn run(&mut self, method: Method, wrap: Wrap, input: &[u8]) -> Option<usize> {
        self.trial.resize(bound(input.len()), 0);
        match method {
            Method::Zlib(strategy) => {
                let position = self
                    .zlib
                    .iter()
                    .position(|(s, w, _)| *s == strategy && *w == wrap);
                let index = match position {
                    Some(i) => i,
                    None => {
                        let config = DeflateConfig {
                            level: 9,
                            window_bits: if wrap == Wrap::Raw { -15 } else { 15 },
                            // zlib's default; 9 (maxcso's) gives the same bytes on 2 KiB
                            // blocks but doubles the hash table cleared for every block.
                            mem_level: 8,
                            strategy,
                            ..DeflateConfig::default()
                        };
                        self.zlib
                            .push((strategy, wrap, zlib_rs::Deflate::new_with_config(config)));
                        self.zlib.len() - 1
                    }
                };
                let (_, _, deflate) = self.zlib.get_mut(index)?;
                deflate.reset();
                match deflate.compress(input, &mut self.trial, DeflateFlush::Finish) {
                    Ok(Status::StreamEnd) => usize::try_from(deflate.total_out()).ok(),
                    _ => None,
                }
            }
            Method::Libdeflate => {
                let compressor = self.libdeflate.get_or_insert_with(|| {
                    libdeflater::Compressor::new(libdeflater::CompressionLvl::best())
                });
                let result = match wrap {
                    Wrap::Raw => compressor.deflate_compress(input, &mut self.trial),
                    Wrap::Zlib => compressor.zlib_compress(input, &mut self.trial),
                };
                result.ok()
            }
            Method::Lz4Hc(level) => lzzzz::lz4_hc::compress(input, &mut self.trial, level).ok(),
            Method::Lz4 => lzzzz::lz4::compress(input, &mut self.trial, 1).ok(),
        }
    }
}

/// Packs `input` with each of `methods` and leaves the smallest result in `out`, returning its
/// packing; `None` if no method produced anything, or — when a `limit` is given — if the block
/// clearly cannot be packed into `limit` bytes (see `hopeless`). On a tie the earlier method
/// wins, except that LZ4 wins a tie with deflate because it decodes faster.
pub fn pack(
    methods: &[Method],
    wrap: Wrap,
    input: &[u8],
    limit: Option<usize>,
    out: &mut Vec<u8>,
) -> Option<Packing> {
    ENCODERS.with(|cell| {
        let mut encoders = cell.borrow_mut();
        if all_zero(input) {
            return encoders.zero_block(methods, wrap, input, out);
        }
        encoders.pack(methods, wrap, input, limit, out)
    })
}

impl Encoders {
    /// `pack` of an all-zero `input`: the cached result, made on first use. A zero block is never
    /// hopeless, so the result does not depend on the limit.
    fn zero_block(
        &mut self,
        methods: &[Method],
        wrap: Wrap,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Option<Packing> {
        let known = self
            .zero
            .iter()
            .position(|z| z.methods == methods && z.wrap == wrap && z.len == input.len());
        let index = match known {
            Some(index) => index,
            None => {
                let packing = self.pack(methods, wrap, input, None, out);
                if packing == Some(Packing::Deflate) {
                    let fixed = fixed_deflate_of_zeros(input.len());
                    if fixed.len() < out.len() {
                        *out = fixed;
                    }
                }
                let packed = packing.map(|p| (p, out.clone()));
                self.zero.push(ZeroBlock {
                    methods: methods.to_vec(),
                    wrap,
                    len: input.len(),
                    packed,
                });
                self.zero.len() - 1
            }
        };
        let (packing, bytes) = self.zero.get(index)?.packed.as_ref()?;
        out.clear();
        out.extend_from_slice(bytes);
        Some(*packing)
    }

    /// `pack` of a block that is not all zeros.
    fn pack(
        &mut self,
        methods: &[Method],
        wrap: Wrap,
        input: &[u8],
        limit: Option<usize>,
        out: &mut Vec<u8>,
    ) -> Option<Packing> {
        let encoders = self;
        if let Some(limit) = limit
            && hopeless(input, limit, &mut encoders.trial)
        {
            return None;
        }
        let mut best: Option<(Method, usize)> = None;
        for &method in methods {
            let Some(len) = encoders.run(method, wrap, input) else {
                continue;
            };
            let better = match best {
                None => true,
                Some((held, held_len)) => {
                    len < held_len || (len == held_len && held.is_deflate() && !method.is_deflate())
                }
            };
            if better {
                best = Some((method, len));
                out.clear();
                out.extend_from_slice(encoders.trial.get(..len)?);
            }
        }
        let (method, _) = best?;
        Some(match (method.is_deflate(), wrap) {
            (true, Wrap::Raw) => Packing::Deflate,
            (true, Wrap::Zlib) => Packing::Zlib,
            (false, _) => Packing::Lz4,
        })
    }
}

/// Decodes a packed block into `out` and returns how many bytes it gave; the message says what is
/// wrong when it cannot. `short` is the length of a last block written without zero padding, which
/// the LZ4 padding search also tries.
pub fn unpack(
    packing: Packing,
    input: &[u8],
    out: &mut [u8],
    short: Option<usize>,
) -> Result<usize, String> {
    match packing {
        Packing::Plain => {
            let n = out.len().min(input.len());
            out[..n].copy_from_slice(&input[..n]);
            Ok(n)
        }
        Packing::Deflate | Packing::Zlib => INFLATER.with(|cell| {
            let mut slot = cell.borrow_mut();
            let inflater = slot.get_or_insert_with(libdeflater::Decompressor::new);
            // libdeflate stops at the final deflate block, so zero padding after it is harmless.
            let result = if packing == Packing::Deflate {
                inflater.deflate_decompress(input, out)
            } else {
                inflater.zlib_decompress(input, out)
            };
            result.map_err(|e| match e {
                libdeflater::DecompressionError::BadData if packing == Packing::Zlib => {
                    "corrupt zlib data (bad deflate stream or Adler-32)".to_string()
                }
                libdeflater::DecompressionError::BadData => "corrupt deflate data".to_string(),
                libdeflater::DecompressionError::InsufficientSpace => {
                    format!("inflates to more than {} bytes", out.len())
                }
            })
        }),
        Packing::Lz4 => match lz4_flex::block::decompress_into(input, out) {
            Ok(n) => Ok(n),
            Err(first) => {
                // A raw LZ4 block does not say where it ends, so a span with alignment padding
                // after the block fails as a whole; find the block's end by the output length, as
                // the PSP and PS2 loaders do, and decode exactly that.
                let lengths = [Some(out.len()), short];
                for want in lengths.into_iter().flatten() {
                    let decoded = lz4_block_len(input, want)
                        .and_then(|end| lz4_flex::block::decompress_into(&input[..end], out).ok());
                    if let Some(n) = decoded {
                        return Ok(n);
                    }
                }
                Err(format!("corrupt LZ4 data ({first})"))
            }
        },
    }
}

/// The length of the LZ4 block at the start of `input` that decodes to exactly `output` bytes,
/// found by walking its sequences without decoding them; `None` if no prefix does.
fn lz4_block_len(input: &[u8], output: usize) -> Option<usize> {
    let mut at = 0usize;
    let mut produced = 0usize;
    let extended = |at: &mut usize, mut n: usize| -> Option<usize> {
        loop {
            let byte = *input.get(*at)?;
            *at += 1;
            n = n.checked_add(usize::from(byte))?;
            if byte != 255 {
                return Some(n);
            }
        }
    };
    loop {
        let token = *input.get(at)?;
        at += 1;
        let mut literals = usize::from(token >> 4);
        if literals == 15 {
            literals = extended(&mut at, literals)?;
        }
        at = at.checked_add(literals)?;
        produced = produced.checked_add(literals)?;
        if at > input.len() || produced > output {
            return None;
        }
        // The last sequence is literals only: the block ends where the output is complete.
        if produced == output {
            return Some(at);
        }
        let offset = usize::from(u16::from_le_bytes([*input.get(at)?, *input.get(at + 1)?]));
        at += 2;
        if offset == 0 || offset > produced {
            return None;
        }
        let mut matched = usize::from(token & 15);
        if matched == 15 {
            matched = extended(&mut at, matched)?;
        }
        produced = produced.checked_add(matched + 4)?;
        if produced >= output {
            // A block may not end on a match.
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut data = Vec::new();
        for i in 0..2048u32 {
            data.push((i % 7) as u8 + b'a');
            if i % 13 == 0 {
                data.push((i * 31 % 251) as u8);
            }
        }
        data.truncate(2048);
        data
    }

    #[test]
    fn every_method_round_trips() {
        let data = sample();
        let methods = [
            Method::Zlib(Strategy::Default),
            Method::Zlib(Strategy::Filtered),
            Method::Zlib(Strategy::HuffmanOnly),
            Method::Zlib(Strategy::Rle),
            Method::Libdeflate,
            Method::Lz4Hc(12),
            Method::Lz4,
        ];
        for method in methods {
            for wrap in [Wrap::Raw, Wrap::Zlib] {
                if !method.is_deflate() && wrap == Wrap::Zlib {
                    continue;
                }
                let mut packed = Vec::new();
                let packing = pack(&[method], wrap, &data, None, &mut packed);
                let packing = packing.unwrap_or(Packing::Plain);
                assert_ne!(packing, Packing::Plain, "{method:?}");
                let mut out = vec![0u8; 2048];
                assert_eq!(unpack(packing, &packed, &mut out, None), Ok(2048));
                assert_eq!(out, data, "{method:?} {wrap:?}");
            }
        }
    }

    #[test]
    fn the_smallest_trial_wins() {
        let data = sample();
        let mut each = Vec::new();
        let mut sizes = Vec::new();
        for method in [Method::Zlib(Strategy::Default), Method::Libdeflate] {
            pack(&[method], Wrap::Raw, &data, None, &mut each);
            sizes.push(each.len());
        }
        let mut best = Vec::new();
        pack(
            &[Method::Zlib(Strategy::Default), Method::Libdeflate],
            Wrap::Raw,
            &data,
            None,
            &mut best,
        );
        assert_eq!(best.len(), *sizes.iter().min().unwrap_or(&0));
    }

    #[test]
    fn padded_lz4_blocks_decode() {
        let data = sample();
        let mut packed = Vec::new();
        assert_eq!(
            pack(&[Method::Lz4Hc(12)], Wrap::Raw, &data, None, &mut packed),
            Some(Packing::Lz4)
        );
        packed.extend_from_slice(&[0; 7]);
        let mut out = vec![0u8; 2048];
        assert_eq!(unpack(Packing::Lz4, &packed, &mut out, None), Ok(2048));
        assert_eq!(out, data);
    }

    #[test]
    fn padded_deflate_blocks_decode() {
        let data = sample();
        let mut packed = Vec::new();
        pack(
            &[Method::Zlib(Strategy::Default)],
            Wrap::Raw,
            &data,
            None,
            &mut packed,
        );
        packed.extend_from_slice(&[0; 3]);
        let mut out = vec![0u8; 2048];
        assert_eq!(unpack(Packing::Deflate, &packed, &mut out, None), Ok(2048));
        assert_eq!(out, data);
    }

    #[test]
    fn random_blocks_are_hopeless_and_text_is_not() {
        let mut state = 0x1234_5678_9ABC_DEF0u64;
        let random: Vec<u8> = (0..2048)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        let mut scratch = Vec::new();
        assert!(hopeless(&random, 2047, &mut scratch));
        assert!(!hopeless(&sample(), 2047, &mut scratch));
        // Random bytes repeated: high entropy, but matches pack them.
        let mut repeated = random[..1024].to_vec();
        repeated.extend_from_slice(&random[..1024]);
        assert!(!hopeless(&repeated, 2047, &mut scratch));
        let mut out = Vec::new();
        let methods = [Method::Zlib(Strategy::Default)];
        assert_eq!(
            pack(&methods, Wrap::Raw, &random, Some(2047), &mut out),
            None
        );
    }

    #[test]
    fn zero_blocks_pack_as_the_encoders_would() {
        let methods = [
            vec![Method::Zlib(Strategy::Default)],
            vec![Method::Libdeflate],
            vec![Method::Lz4Hc(2)],
            vec![Method::Lz4Hc(12), Method::Lz4],
        ];
        for len in [2048, 16384] {
            let zeros = vec![0u8; len];
            for methods in &methods {
                let mut direct = Vec::new();
                let want = ENCODERS.with(|cell| {
                    cell.borrow_mut()
                        .pack(methods, Wrap::Raw, &zeros, None, &mut direct)
                });
                // The first call fills the cache, the second is served from it.
                for _ in 0..2 {
                    let mut cached = Vec::new();
                    let got = pack(methods, Wrap::Raw, &zeros, Some(len - 1), &mut cached);
                    assert_eq!(got, want, "{methods:?} {len}");
                    if got == Some(Packing::Deflate) {
                        // The fixed-code stream where it is smaller, else the encoder's.
                        assert!(cached.len() <= direct.len(), "{methods:?} {len}");
                        let mut out = vec![1u8; len];
                        assert_eq!(unpack(Packing::Deflate, &cached, &mut out, None), Ok(len));
                        assert!(all_zero(&out));
                    } else {
                        assert_eq!(cached, direct, "{methods:?} {len}");
                    }
                }
            }
        }
        assert!(all_zero(&[0; 130]));
        let mut late = vec![0u8; 130];
        late[129] = 1;
        assert!(!all_zero(&late));
        late[129] = 0;
        late[3] = 1;
        assert!(!all_zero(&late));
    }

    #[test]
    fn fixed_zero_streams_inflate_with_zlib_too() {
        use std::io::Read;
        // Every remainder case: none, one or two literals, a short and a long last copy.
        for len in [0, 1, 2, 3, 4, 258, 259, 260, 261, 262, 2048, 16384, 1 << 20] {
            let stream = fixed_deflate_of_zeros(len);
            let mut out = Vec::new();
            let read = flate2::read::DeflateDecoder::new(stream.as_slice()).read_to_end(&mut out);
            assert_eq!(read.ok(), Some(len), "{len}");
            assert!(all_zero(&out));
        }
        assert_eq!(fixed_deflate_of_zeros(2048).len(), 16);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut out = vec![0u8; 2048];
        for packing in [Packing::Deflate, Packing::Zlib, Packing::Lz4] {
            for garbage in [
                &[][..],
                &[0xFF; 3][..],
                &[0x0F, 1, 2, 3][..],
                &[0xF0; 64][..],
            ] {
                let _ = unpack(packing, garbage, &mut out, Some(100));
            }
        }
        assert_eq!(lz4_block_len(&[0xF0, 255, 255], 2048), None);
    }
}
