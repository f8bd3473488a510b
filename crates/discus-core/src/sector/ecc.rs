//! The Reed-Solomon product code (RSPC) of ECMA-130 over GF(2^8) with polynomial 0x11D:
//! P parity (86 columns of 24 bytes) then Q parity (52 diagonals of 43 bytes), both over the
//! sector from its header at offset 12.

/// `F[i]`: `i` multiplied by alpha in GF(2^8).
static F: [u8; 256] = build_f();
/// `B[i ^ F[i]] = i`: the inverse of multiplying by (1 + alpha).
static B: [u8; 256] = build_b();

const fn build_f() -> [u8; 256] {
    let mut f = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let shifted = (i << 1) ^ if i & 0x80 != 0 { 0x11D } else { 0 };
        f[i] = shifted as u8;
        i += 1;
    }
    f
}

const fn build_b() -> [u8; 256] {
    let f = build_f();
    let mut b = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        b[(i as u8 ^ f[i]) as usize] = i as u8;
        i += 1;
    }
    b
}

/// Bytes of P parity.
pub const P_SIZE: usize = 172;
/// Bytes of Q parity.
pub const Q_SIZE: usize = 104;
/// Bytes of the block P protects (header, data, EDC, zeros).
pub const P_BLOCK: usize = 86 * 24;
/// Bytes of the block Q protects (the P block plus P parity).
pub const Q_BLOCK: usize = 52 * 43;

/// Multiplies each of the eight bytes of `x` by alpha in GF(2^8) at once (shift left, reduce by
/// 0x1D where the top bit fell out).
#[inline(always)]
const fn mul_alpha(x: u64) -> u64 {
    let high = x & 0x8080_8080_8080_8080;
    ((x & 0x7F7F_7F7F_7F7F_7F7F) << 1) ^ ((high >> 7) * 0x1D)
}

/// Finishes `count` vectors whose running sums are `a` (Horner sum) and `b` (plain XOR):
/// `parity[m] = B[F[a] ^ b]`, `parity[m + count] = that ^ b`.
fn finish(a: &[u8], b: &[u8], count: usize, out: &mut [u8]) {
    for m in 0..count {
        let p = B[(F[a[m] as usize] ^ b[m]) as usize];
        out[m] = p;
        out[m + count] = p ^ b[m];
    }
}

/// Runs the vectors of a parity as rows of `LANES` × 8 bytes: for each of `ROWS` rows, `load`
/// gives the row as little-endian u64 lanes (built in registers: assembling a row in memory and
/// reading it back as u64 stalls on store forwarding), then every vector's sums advance together.
fn run_rows<const LANES: usize, const ROWS: usize>(
    mut load: impl FnMut(usize) -> [u64; LANES],
) -> ([u8; 88], [u8; 88]) {
    let mut a = [0u64; LANES];
    let mut b = [0u64; LANES];
    for k in 0..ROWS {
        let row = load(k);
        for lane in 0..LANES {
            a[lane] = mul_alpha(a[lane] ^ row[lane]);
            b[lane] ^= row[lane];
        }
    }
    let mut a_bytes = [0u8; 88];
    let mut b_bytes = [0u8; 88];
    for lane in 0..LANES {
        a_bytes[lane * 8..lane * 8 + 8].copy_from_slice(&a[lane].to_le_bytes());
        b_bytes[lane * 8..lane * 8 + 8].copy_from_slice(&b[lane].to_le_bytes());
    }
    (a_bytes, b_bytes)
}

/// Eight bytes of `block` at `at` as a little-endian u64.
#[inline(always)]
fn u64_at(block: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(block[at..at + 8].try_into().expect("8 bytes"))
}

/// P parity of `block` (the sector from offset 12, at least [`P_BLOCK`] + 2 bytes).
///
/// P's 86 vectors are the columns of the block read as 24 rows of 86 bytes, so each row advances
/// all of them together.
pub fn p_parity(block: &[u8], out: &mut [u8; P_SIZE]) {
    // The last lane of a row reads 2 bytes past its 86: of the next row, or for the last row of
    // the header/data/EDC that follow P's block in the sector. Their sums are never used.
    let (a, b) =
        run_rows::<11, 24>(|k| std::array::from_fn(|lane| u64_at(block, k * 86 + lane * 8)));
    finish(&a, &b, 86, out);
}

/// Q parity of `block` (the sector from offset 12, at least [`Q_BLOCK`] bytes, P parity included).
///
/// Q's 52 vectors are diagonals: in Horner row k, vector pair (2j, 2j+1) takes the two bytes at
/// `(k × 88 + j × 86) mod 2236`. Laid out three times in a row, the block needs no modulo: row k
/// is 26 byte pairs 86 apart from `k × 88`, which stays below 5848.
pub fn q_parity(block: &[u8], out: &mut [u8; Q_SIZE]) {
    let mut tripled = [0u8; TRIPLED];
    tripled[..Q_BLOCK].copy_from_slice(&block[..Q_BLOCK]);
    tripled[Q_BLOCK..2 * Q_BLOCK].copy_from_slice(&block[..Q_BLOCK]);
    tripled[2 * Q_BLOCK..].copy_from_slice(&block[..TRIPLED - 2 * Q_BLOCK]);
    let mut a = [0u64; 7];
    let mut b = [0u64; 7];
    for k in 0..43 {
        // One bounds check a row: within the fixed-size window every pair's index is a constant
        // once the lanes are unrolled, so the gather compiles to plain loads (a closure per lane
        // that checked every index cost a third of the whole lossless check).
        let row: &[u8; ROW_SPAN] = tripled[k * 88..k * 88 + ROW_SPAN]
            .try_into()
            .expect("row 42 ends at TRIPLED");
        let pair = |j: usize| u64::from(row[j * 86]) | (u64::from(row[j * 86 + 1]) << 8);
        for lane in 0..7 {
            let j = lane * 4;
            let mut v = pair(j) | (pair(j + 1) << 16);
            // The last lane holds pairs 24 and 25 only.
            if lane < 6 {
                v |= (pair(j + 2) << 32) | (pair(j + 3) << 48);
            }
            a[lane] = mul_alpha(a[lane] ^ v);
            b[lane] ^= v;
        }
    }
    let mut a_bytes = [0u8; 56];
    let mut b_bytes = [0u8; 56];
    for lane in 0..7 {
        a_bytes[lane * 8..lane * 8 + 8].copy_from_slice(&a[lane].to_le_bytes());
        b_bytes[lane * 8..lane * 8 + 8].copy_from_slice(&b[lane].to_le_bytes());
    }
    finish(&a_bytes, &b_bytes, 52, out);
}

/// Bytes of one Q row's 26 pairs: from the row's first pair to the end of its last.
const ROW_SPAN: usize = 25 * 86 + 2;

/// Bytes of the tripled Q block that row 42's last pair reaches: 42 × 88 + 25 × 86 + 2.
const TRIPLED: usize = 42 * 88 + 25 * 86 + 2;

/// Writes P then Q parity into a raw 2352-byte sector whose header, data and EDC are in place.
pub fn write(sector: &mut [u8; 2352]) {
    let mut p = [0u8; P_SIZE];
    p_parity(&sector[12..], &mut p);
    sector[0x81C..0x8C8].copy_from_slice(&p);
    let mut q = [0u8; Q_SIZE];
    q_parity(&sector[12..], &mut q);
    sector[0x8C8..0x930].copy_from_slice(&q);
}

/// Writes P and Q parity as the sector's mode (byte 15) has them: a Mode 2 (Form 1) sector's
/// parity counts its header as zeros, so the header is left out and put back.
pub fn write_for_mode(sector: &mut [u8; 2352]) {
    if sector[15] != 2 {
        return write(sector);
    }
    let header: [u8; 4] = [sector[12], sector[13], sector[14], sector[15]];
    sector[12..16].fill(0);
    write(sector);
    sector[12..16].copy_from_slice(&header);
}

/// Whether the stored P and Q parity of a raw sector equal what its contents give.
pub fn matches(sector: &[u8; 2352]) -> bool {
    let mut p = [0u8; P_SIZE];
    p_parity(&sector[12..], &mut p);
    if p[..] != sector[0x81C..0x8C8] {
        return false;
    }
    // Q covers the stored P parity, which equals the regenerated one at this point.
    let mut q = [0u8; Q_SIZE];
    q_parity(&sector[12..], &mut q);
    q[..] == sector[0x8C8..0x930]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook form of the RSPC (one vector at a time, one byte at a time): the oracle the
    /// row-parallel form above must match.
    fn reference(
        block: &[u8],
        major: usize,
        minor: usize,
        mult: usize,
        inc: usize,
        out: &mut [u8],
    ) {
        let size = major * minor;
        for m in 0..major {
            let mut index = (m >> 1) * mult + (m & 1);
            let (mut a, mut b) = (0u8, 0u8);
            for _ in 0..minor {
                let v = block[index];
                index = (index + inc) % size;
                a ^= v;
                b ^= v;
                a = F[a as usize];
            }
            a = B[(F[a as usize] ^ b) as usize];
            out[m] = a;
            out[m + major] = a ^ b;
        }
    }

    #[test]
    fn row_parallel_parity_equals_the_reference() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        for _ in 0..20 {
            let block: Vec<u8> = (0..Q_BLOCK)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            let (mut p, mut p_ref) = ([0u8; P_SIZE], [0u8; P_SIZE]);
            p_parity(&block, &mut p);
            reference(&block, 86, 24, 2, 86, &mut p_ref);
            assert_eq!(p, p_ref);
            let (mut q, mut q_ref) = ([0u8; Q_SIZE], [0u8; Q_SIZE]);
            q_parity(&block, &mut q);
            reference(&block, 52, 43, 86, 88, &mut q_ref);
            assert_eq!(q, q_ref);
        }
    }
}
