//! A deterministic, realistic data disc for benchmarks: an ISO 9660 volume descriptor, then
//! content in 1 MiB stretches of the kinds a game or software disc holds — already-compressed media
//! (incompressible), text and scripts, structured binary tables, and zero padding — in fixed
//! proportions drawn from a seeded generator. The same size always gives the same bytes.

use std::io::{self, Write};

use discus_core::Lba;
use discus_core::sector::{RAW_SIZE, USER_SIZE, encode_mode1};

/// A small fast generator (xorshift64*): deterministic across platforms.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

const STRETCH: usize = 1 << 20;
const WORDS: &[&str] = &[
    "the", "player", "level", "texture", "model", "sound", "script", "function", "return", "if",
    "else", "value", "index", "table", "string", "object", "mesh", "enemy", "door", "item", "0",
    "1", "true", "false", "end", "local", "for", "in", "pairs", "self", "position", "velocity",
];

fn fill_stretch(rng: &mut Rng, out: &mut [u8]) {
    match rng.next() % 20 {
        // 40 %: compressed media (video, audio, packed archives).
        0..=7 => {
            for chunk in out.chunks_mut(8) {
                let v = rng.next().to_le_bytes();
                chunk.copy_from_slice(&v[..chunk.len()]);
            }
        }
        // 10 %: zero padding between files.
        8..=9 => out.fill(0),
        // 25 %: text and scripts.
        10..=14 => {
            let mut at = 0;
            while at < out.len() {
                let r = rng.next();
                let word = WORDS[(r % WORDS.len() as u64) as usize].as_bytes();
                let sep: &[u8] = if r >> 60 == 0 { b"\n" } else { b" " };
                for &b in word.iter().chain(sep) {
                    if at < out.len() {
                        out[at] = b;
                        at += 1;
                    }
                }
            }
        }
        // 25 %: structured binary: records of slowly changing little-endian fields.
        _ => {
            let mut base = rng.next() as u32;
            for record in out.chunks_mut(16) {
                base = base.wrapping_add((rng.next() % 4) as u32);
                let fields = [base, base >> 3, (rng.next() % 256) as u32, 0x3f80_0000];
                for (slot, field) in record.chunks_mut(4).zip(fields) {
                    slot.copy_from_slice(&field.to_le_bytes()[..slot.len()]);
                }
            }
        }
    }
}

fn volume_descriptors(sectors: u32) -> Vec<u8> {
    let mut area = vec![0u8; 3 * USER_SIZE];
    let pvd = &mut area[..USER_SIZE];
    pvd[0] = 1;
    pvd[1..6].copy_from_slice(b"CD001");
    pvd[6] = 1;
    pvd[8..40].fill(b' ');
    pvd[40..72].fill(b' ');
    pvd[40..50].copy_from_slice(b"BENCH_DISC");
    pvd[80..84].copy_from_slice(&sectors.to_le_bytes());
    pvd[84..88].copy_from_slice(&sectors.to_be_bytes());
    pvd[120..122].copy_from_slice(&1u16.to_le_bytes());
    pvd[122..124].copy_from_slice(&1u16.to_be_bytes());
    pvd[124..126].copy_from_slice(&1u16.to_le_bytes());
    pvd[126..128].copy_from_slice(&1u16.to_be_bytes());
    pvd[128..130].copy_from_slice(&2048u16.to_le_bytes());
    pvd[130..132].copy_from_slice(&2048u16.to_be_bytes());
    pvd[881] = 1;
    let terminator = &mut area[USER_SIZE..2 * USER_SIZE];
    terminator[0] = 255;
    terminator[1..6].copy_from_slice(b"CD001");
    terminator[6] = 1;
    area
}

/// Writes a bench disc of `sectors` 2048-byte sectors to `out` as an ISO.
pub fn write_iso(sectors: u32, out: &mut impl Write) -> io::Result<()> {
    let mut rng = Rng(0x00D1_5C05_u64 ^ u64::from(sectors));
    let total = sectors as usize * USER_SIZE;
    let mut stretch = vec![0u8; STRETCH];
    let descriptors = volume_descriptors(sectors);
    let mut written = 0usize;
    while written < total {
        let len = STRETCH.min(total - written);
        fill_stretch(&mut rng, &mut stretch[..len]);
        // The system area stays empty and the volume descriptors sit at sector 16, as on a real disc.
        if written == 0 {
            stretch[..16 * USER_SIZE].fill(0);
            stretch[16 * USER_SIZE..16 * USER_SIZE + descriptors.len()]
                .copy_from_slice(&descriptors);
        }
        out.write_all(&stretch[..len])?;
        written += len;
    }
    Ok(())
}

/// Turns an ISO's sectors into raw MODE1/2352 sectors (what a BIN of the same disc holds).
pub fn iso_to_bin(iso: &mut impl io::Read, bin: &mut impl Write) -> io::Result<()> {
    let mut user = vec![0u8; USER_SIZE];
    let mut raw = [0u8; RAW_SIZE];
    let mut lba = 0;
    loop {
        match iso.read_exact(&mut user) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        encode_mode1(Lba(lba), &user, &mut raw);
        bin.write_all(&raw)?;
        lba += 1;
    }
}
