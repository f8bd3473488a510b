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

fn parity(
    block: &[u8],
    major_count: usize,
    minor_count: usize,
    major_mult: usize,
    minor_inc: usize,
    out: &mut [u8],
) {
    let size = major_count * minor_count;
    let block = &block[..size];
    for major in 0..major_count {
        let mut index = (major >> 1) * major_mult + (major & 1);
        let mut a = 0u8;
        let mut b = 0u8;
        for _ in 0..minor_count {
            let v = block[index];
            index += minor_inc;
            if index >= size {
                index -= size;
            }
            a ^= v;
            b ^= v;
            a = F[a as usize];
        }
        a = B[(F[a as usize] ^ b) as usize];
        out[major] = a;
        out[major + major_count] = a ^ b;
    }
}

/// P parity of `block` (the sector from offset 12, at least [`P_BLOCK`] bytes).
pub fn p_parity(block: &[u8], out: &mut [u8; P_SIZE]) {
    parity(block, 86, 24, 2, 86, out);
}

/// Q parity of `block` (the sector from offset 12, at least [`Q_BLOCK`] bytes, P parity included).
pub fn q_parity(block: &[u8], out: &mut [u8; Q_SIZE]) {
    parity(block, 52, 43, 86, 88, out);
}

/// Writes P then Q parity into a raw 2352-byte sector whose header, data and EDC are in place.
pub fn write(sector: &mut [u8; 2352]) {
    let mut p = [0u8; P_SIZE];
    p_parity(&sector[12..], &mut p);
    sector[0x81C..0x8C8].copy_from_slice(&p);
    let mut q = [0u8; Q_SIZE];
    q_parity(&sector[12..], &mut q);
    sector[0x8C8..0x930].copy_from_slice(&q);
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
