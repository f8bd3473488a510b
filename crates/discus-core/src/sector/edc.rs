//! The EDC of ECMA-130: a 32-bit CRC with the bit-reversed polynomial 0xD8018001, initial value 0,
//! no final XOR, stored little-endian. Computed slicing-by-8 because the lossless check runs it on
//! every sector of a conversion.

const POLY: u32 = 0xD801_8001;

/// Eight tables: `TABLES[0]` is the classic byte table, `TABLES[k][i]` the CRC of byte `i` followed by `k` zeros.
static TABLES: [[u32; 256]; 8] = build_tables();

const fn build_tables() -> [[u32; 256]; 8] {
    let mut tables = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut v = i as u32;
        let mut bit = 0;
        while bit < 8 {
            v = if v & 1 != 0 { (v >> 1) ^ POLY } else { v >> 1 };
            bit += 1;
        }
        tables[0][i] = v;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = tables[k - 1][i];
            tables[k][i] = (prev >> 8) ^ tables[0][(prev & 0xff) as usize];
            i += 1;
        }
        k += 1;
    }
    tables
}

/// Continues an EDC over `data` from `crc` (start with 0).
pub fn update(mut crc: u32, data: &[u8]) -> u32 {
    let t = &TABLES;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let lo = crc ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        let hi = u32::from_le_bytes([c[4], c[5], c[6], c[7]]);
        crc = t[7][(lo & 0xff) as usize]
            ^ t[6][((lo >> 8) & 0xff) as usize]
            ^ t[5][((lo >> 16) & 0xff) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][(hi & 0xff) as usize]
            ^ t[2][((hi >> 8) & 0xff) as usize]
            ^ t[1][((hi >> 16) & 0xff) as usize]
            ^ t[0][(hi >> 24) as usize];
    }
    for &byte in chunks.remainder() {
        crc = t[0][((crc ^ u32::from(byte)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// The EDC of `data`.
pub fn compute(data: &[u8]) -> u32 {
    update(0, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value() {
        assert_eq!(compute(b"123456789"), 0x6EC2_EDC4);
    }

    #[test]
    fn sliced_equals_bytewise() {
        let data: Vec<u8> = (0..2100u32).map(|i| (i * 7 + 3) as u8).collect();
        let bytewise = data.iter().fold(0u32, |crc, &b| {
            TABLES[0][((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8)
        });
        assert_eq!(compute(&data), bytewise);
        assert_eq!(update(compute(&data[..1001]), &data[1001..]), bytewise);
    }
}
