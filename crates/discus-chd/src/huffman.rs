//! MAME's static Huffman coding, as CHD uses it twice: for the hunk types of the map (16 symbols,
//! codes of at most 8 bits, tree sent run-length coded) and for the `huff` codec (256 byte
//! values, codes of at most 16 bits, tree sent Huffman-coded itself).
//!
//! Readers rebuild the codes from the lengths alone, so the rules here are MAME's
//! (`huffman.cpp`), not DEFLATE's:
//!
//! - **Lengths.** Symbols sorted heaviest first (ties: lower symbol first); the two lightest are
//!   merged again and again, the merged node going after every node at least as heavy. When the
//!   longest code would exceed the limit, the counts are scaled down (a binary search on the total
//!   weight, each count kept at 1 or more) until it fits. A lone symbol gets a 1-bit code.
//! - **Codes.** Walking from the longest length to 1, each length's first code is where the
//!   longer ones left off, halved; within a length codes go in symbol order. The longest codes get
//!   the smallest values, the reverse of DEFLATE. A decoder refuses lengths that do not make a
//!   complete code, so only lengths built this way are written.
//!
//! Bits go out most significant first; the last byte is padded with zeros.

/// Writes bits most significant first.
#[derive(Debug, Default)]
pub struct BitWriter {
    out: Vec<u8>,
    /// Bits not yet in `out`, in the low `count` bits.
    acc: u64,
    count: u32,
}

impl BitWriter {
    /// An empty writer with room for `bytes` bytes.
    pub fn with_capacity(bytes: usize) -> BitWriter {
        BitWriter {
            out: Vec::with_capacity(bytes),
            acc: 0,
            count: 0,
        }
    }

    /// Writes the low `bits` bits of `value` (at most 32).
    pub fn put(&mut self, value: u64, bits: u32) {
        debug_assert!(bits <= 32);
        if bits == 0 {
            return;
        }
        // At most 7 bits wait in `acc`, so 7 + 32 fit.
        self.acc = (self.acc << bits) | (value & ((1u64 << bits) - 1));
        self.count += bits;
        while self.count >= 8 {
            self.count -= 8;
            self.out.push((self.acc >> self.count) as u8);
        }
        self.acc &= (1u64 << self.count) - 1;
    }

    /// Bytes written so far, the partial last byte included.
    pub fn len(&self) -> usize {
        self.out.len() + usize::from(self.count > 0)
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, the last one padded with zero bits.
    pub fn finish(mut self) -> Vec<u8> {
        if self.count > 0 {
            self.out.push((self.acc << (8 - self.count)) as u8);
        }
        self.out
    }
}

/// Bits needed to write `value` (0 needs none).
pub fn bits_for(value: u64) -> u32 {
    64 - value.leading_zeros()
}

/// A Huffman code: each symbol's length (0 = unused) and code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Code {
    lengths: Vec<u8>,
    codes: Vec<u32>,
}

impl Code {
    /// The code MAME builds for these symbol counts, no code longer than `max_bits`.
    pub fn from_histogram(histogram: &[u32], max_bits: u32) -> Code {
        let lengths = limited_lengths(histogram, max_bits);
        let codes = canonical(&lengths);
        Code { lengths, codes }
    }

    /// Each symbol's code length.
    pub fn lengths(&self) -> &[u8] {
        &self.lengths
    }

    /// Writes `symbol`'s code.
    pub fn put(&self, out: &mut BitWriter, symbol: usize) {
        out.put(
            u64::from(self.codes[symbol]),
            u32::from(self.lengths[symbol]),
        );
    }

    /// Bits the symbols of `histogram` take in this code.
    pub fn cost(&self, histogram: &[u32]) -> u64 {
        histogram
            .iter()
            .zip(&self.lengths)
            .map(|(&n, &len)| u64::from(n) * u64::from(len))
            .sum()
    }

    /// MAME's `export_tree_rle`: the lengths in symbol order in fields of 3, 4 or 5 bits (for
    /// codes up to 7, 15 or more bits). 1 is the escape: `1 1` is a length of 1, `1 v n` is the
    /// length `v` repeated `n + 3` times; any other value is one length.
    pub fn export_rle(&self, out: &mut BitWriter, max_bits: u32) {
        let field = match max_bits {
            16.. => 5,
            8.. => 4,
            _ => 3,
        };
        let mut at = 0;
        while at < self.lengths.len() {
            let value = self.lengths[at];
            let run = self.lengths[at..]
                .iter()
                .take_while(|&&l| l == value)
                .count();
            let mut left = run;
            while left > 0 {
                if value == 1 {
                    out.put(1, field);
                    out.put(1, field);
                    left -= 1;
                } else if left <= 2 {
                    out.put(u64::from(value), field);
                    left -= 1;
                } else {
                    let repeats = (left - 3).min((1 << field) - 1);
                    out.put(1, field);
                    out.put(u64::from(value), field);
                    out.put(repeats as u64, field);
                    left -= repeats + 3;
                }
            }
            at += run;
        }
    }

    /// MAME's `export_tree_huffman`. The lengths are run-length coded as symbols of a small code
    /// (24 symbols, up to 6 bits): `v + 1` is one length `v`, `0` repeats the last length, its
    /// count − 2 following in 3 bits (7: the rest in as many bits as `symbols − 9` needs). The
    /// small code's own lengths go first, 3 bits each: that of symbol 0, then where the others
    /// begin (at most 8) less one, then the lengths up to the last used symbol, then 7.
    pub fn export_huffman(&self, out: &mut BitWriter) {
        // (small symbol, repeat count − 2 for a repeat)
        let mut items: Vec<(u8, u32)> = Vec::new();
        let mut small_histogram = [0u32; SMALL_SYMBOLS];
        let mut push = |items: &mut Vec<(u8, u32)>, symbol: u8, count: u32| {
            small_histogram[usize::from(symbol)] += 1;
            items.push((symbol, count));
        };
        let mut at = 0;
        while at < self.lengths.len() {
            let value = self.lengths[at];
            let run = self.lengths[at..]
                .iter()
                .take_while(|&&l| l == value)
                .count() as u32;
            push(&mut items, value + 1, 0);
            match run - 1 {
                0 => {}
                1 => push(&mut items, value + 1, 0),
                more => push(&mut items, 0, more - 2),
            }
            at += run as usize;
        }
        let small = Code::from_histogram(&small_histogram, SMALL_MAX_BITS);
        let used: Vec<usize> = (1..SMALL_SYMBOLS)
            .filter(|&s| small.lengths[s] != 0)
            .collect();
        let first = used.first().copied().unwrap_or(1).min(8);
        let last = used.last().copied().unwrap_or(0);
        out.put(u64::from(small.lengths[0]), 3);
        out.put(first as u64 - 1, 3);
        for symbol in first..=last {
            out.put(u64::from(small.lengths[symbol]), 3);
        }
        out.put(7, 3);
        let count_bits = bits_for(self.lengths.len().saturating_sub(9) as u64);
        for (symbol, count) in items {
            small.put(out, usize::from(symbol));
            if symbol == 0 {
                if count < 7 {
                    out.put(u64::from(count), 3);
                } else {
                    out.put(7, 3);
                    out.put(u64::from(count - 7), count_bits);
                }
            }
        }
    }
}

/// Symbols of the small code that carries a `huff` tree.
const SMALL_SYMBOLS: usize = 24;
/// Its longest code.
const SMALL_MAX_BITS: u32 = 6;

/// MAME's `compute_tree_from_histo`: the lengths of the tree for `histogram`, scaled down until no
/// code is longer than `max_bits`.
fn limited_lengths(histogram: &[u32], max_bits: u32) -> Vec<u8> {
    let total: u64 = histogram.iter().map(|&n| u64::from(n)).sum();
    let mut lower = 0u64;
    let mut upper = total * 2;
    loop {
        let weight = (upper + lower) / 2;
        let lengths = tree_lengths(histogram, total, weight);
        if lengths.iter().all(|&l| u32::from(l) <= max_bits) {
            lower = weight;
            if weight == total || upper - lower <= 1 {
                return lengths;
            }
        } else {
            upper = weight;
        }
    }
}

/// MAME's `build_tree`: code lengths of a Huffman tree over the counts scaled to `weight / total`.
fn tree_lengths(histogram: &[u32], total: u64, weight: u64) -> Vec<u8> {
    struct Node {
        weight: u64,
        parent: usize,
    }
    const ROOT: usize = usize::MAX;
    let mut nodes: Vec<Node> = histogram
        .iter()
        .map(|&n| Node {
            weight: if n == 0 {
                0
            } else {
                (u64::from(n) * weight / total.max(1)).max(1)
            },
            parent: ROOT,
        })
        .collect();
    let mut list: Vec<usize> = (0..histogram.len())
        .filter(|&s| histogram[s] != 0)
        .collect();
    // Heaviest first; equal weights in symbol order.
    list.sort_by(|&a, &b| nodes[b].weight.cmp(&nodes[a].weight).then(a.cmp(&b)));
    while list.len() > 1 {
        let (Some(one), Some(zero)) = (list.pop(), list.pop()) else {
            break;
        };
        let merged = nodes.len();
        let weight = nodes[zero].weight + nodes[one].weight;
        nodes.push(Node {
            weight,
            parent: ROOT,
        });
        nodes[zero].parent = merged;
        nodes[one].parent = merged;
        let at = list
            .iter()
            .position(|&n| weight > nodes[n].weight)
            .unwrap_or(list.len());
        list.insert(at, merged);
    }
    (0..histogram.len())
        .map(|symbol| {
            if nodes[symbol].weight == 0 {
                return 0;
            }
            let mut depth = 0u8;
            let mut node = symbol;
            while nodes[node].parent != ROOT {
                node = nodes[node].parent;
                depth = depth.saturating_add(1);
            }
            depth.max(1)
        })
        .collect()
}

/// MAME's `assign_canonical_codes` for lengths that form a complete code.
fn canonical(lengths: &[u8]) -> Vec<u32> {
    let mut start = [0u32; 33];
    for &len in lengths {
        start[usize::from(len).min(32)] += 1;
    }
    let mut next = 0u32;
    for len in (1..=32).rev() {
        let count = start[len];
        start[len] = next;
        next = (next + count) >> 1;
    }
    lengths
        .iter()
        .map(|&len| {
            if len == 0 {
                return 0;
            }
            let slot = &mut start[usize::from(len)];
            let code = *slot;
            *slot += 1;
            code
        })
        .collect()
}

/// The `huff` codec (MAME's `huffman_8bit_encoder`): the byte tree (codes up to 16 bits) sent
/// Huffman-coded, then every byte's code.
pub fn encode_bytes(data: &[u8]) -> Vec<u8> {
    let mut histogram = [0u32; 256];
    for &b in data {
        histogram[usize::from(b)] += 1;
    }
    let code = Code::from_histogram(&histogram, HUFF_MAX_BITS);
    let mut out = BitWriter::with_capacity((code.cost(&histogram) / 8) as usize + 64);
    code.export_huffman(&mut out);
    for &b in data {
        code.put(&mut out, usize::from(b));
    }
    out.finish()
}

/// The longest code of the `huff` codec.
const HUFF_MAX_BITS: u32 = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_go_out_most_significant_first() {
        let mut bits = BitWriter::default();
        bits.put(1, 4);
        bits.put(4, 4);
        bits.put(13, 4);
        bits.put(0xABCD, 16);
        assert_eq!(bits.len(), 4);
        assert_eq!(bits.finish(), [0x14, 0xDA, 0xBC, 0xD0]);
    }

    #[test]
    fn longest_codes_get_the_smallest_values() {
        // Lengths {A:1, B:2, C:2}: B = 00, C = 01, A = 1.
        let code = Code::from_histogram(&[10, 3, 3], 8);
        assert_eq!(code.lengths(), [1, 2, 2]);
        assert_eq!(code.codes, [1, 0, 1]);
    }

    #[test]
    fn lengths_are_limited_and_the_code_stays_complete() {
        // Fibonacci counts make the deepest possible tree: 25 symbols would need 24 bits.
        let mut histogram = vec![0u32; 256];
        let (mut a, mut b) = (1u32, 1u32);
        for slot in histogram.iter_mut().take(25) {
            *slot = a;
            (a, b) = (b, a + b);
        }
        let code = Code::from_histogram(&histogram, 16);
        assert!(code.lengths().iter().all(|&l| l <= 16));
        let kraft: f64 = code
            .lengths()
            .iter()
            .filter(|&&l| l > 0)
            .map(|&l| 0.5f64.powi(i32::from(l)))
            .sum();
        assert!((kraft - 1.0).abs() < 1e-9, "{kraft}");
    }

    #[test]
    fn a_lone_symbol_gets_one_bit() {
        let mut histogram = [0u32; 16];
        histogram[5] = 100;
        let code = Code::from_histogram(&histogram, 8);
        assert_eq!(code.lengths()[5], 1);
        assert_eq!(code.codes[5], 0);
    }

    #[test]
    fn flat_tree_exports_as_one_run() {
        // 16 symbols of 4 bits: `1 4 13`, the tree discus's first map writer used.
        let code = Code::from_histogram(&[1; 16], 8);
        assert_eq!(code.lengths(), [4; 16]);
        let mut bits = BitWriter::default();
        code.export_rle(&mut bits, 8);
        assert_eq!(bits.finish(), [0x14, 0xD0]);
    }
}

#[cfg(test)]
mod against_chd_crate {
    use super::*;
    use chd::codecs::{CodecImplementation, HuffmanCodec};

    fn decodes(data: &[u8]) {
        let packed = encode_bytes(data);
        let mut codec = HuffmanCodec::new(data.len() as u32).expect("codec");
        let mut back = vec![0u8; data.len()];
        codec.decompress(&packed, &mut back).expect("decodes");
        assert!(back == data, "{} bytes differ after huff", data.len());
    }

    #[test]
    fn huff_hunks_decode_in_the_chd_crate() {
        // Text of few symbols, one byte value, all 256 values, skewed counts (long codes).
        let text: Vec<u8> = b"the quick brown fox jumps over the lazy dog. "
            .iter()
            .copied()
            .cycle()
            .take(4096)
            .collect();
        decodes(&text);
        decodes(&[0x41; 4096]);
        decodes(&(0..=255u8).cycle().take(4096).collect::<Vec<_>>());
        let mut skewed = Vec::new();
        let (mut a, mut b) = (1usize, 1usize);
        for symbol in 0..20u8 {
            skewed.extend(std::iter::repeat_n(symbol, a));
            (a, b) = (b, a + b);
        }
        skewed.truncate(65536);
        decodes(&skewed);
        let mut noise = Vec::with_capacity(8192);
        let mut x = 0x1234_5678u32;
        for _ in 0..8192 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            noise.push((x >> 24) as u8);
        }
        decodes(&noise);
    }
}
