//! El Torito as written: the boot record descriptor (block 17), a boot catalog of one block — a
//! validation entry, the default entry (no-emulation BIOS, 4 × 512-byte sectors loaded, as
//! `-no-emul-boot -boot-load-size 4`), and for `--efi` a final section header (platform 0xEF) with
//! its entry — and the boot-info table isolinux and GRUB expect at byte 8 of their image: the
//! primary descriptor's block, the image's block and length, and the 32-bit sum of the image's
//! little-endian words from byte 64. The table is computed into the image's copy on the disc;
//! the file in the folder is never written.

use super::iso9660::BLOCK;

/// The boot record volume descriptor pointing at the catalog.
pub(crate) fn boot_record(catalog: u32) -> Vec<u8> {
    let mut d = vec![0u8; BLOCK];
    d[1..6].copy_from_slice(b"CD001");
    d[6] = 1;
    d[7..30].copy_from_slice(b"EL TORITO SPECIFICATION");
    d[0x47..0x4B].copy_from_slice(&catalog.to_le_bytes());
    d
}

/// x86 BIOS and UEFI platform identifiers.
const BIOS: u8 = 0;
const EFI: u8 = 0xEF;

/// An image the catalog names: where it is and how many 512-byte sectors to load.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BootImage {
    pub block: u32,
    pub sectors: u16,
}

fn entry(image: BootImage) -> [u8; 32] {
    let mut e = [0u8; 32];
    e[0] = 0x88; // bootable
    e[1] = 0; // no emulation
    e[6..8].copy_from_slice(&image.sectors.to_le_bytes());
    e[8..12].copy_from_slice(&image.block.to_le_bytes());
    e
}

fn validation(platform: u8) -> [u8; 32] {
    let mut e = [0u8; 32];
    e[0] = 1;
    e[1] = platform;
    e[30] = 0x55;
    e[31] = 0xAA;
    // The checksum makes the sixteen little-endian words sum to zero.
    let sum = e.chunks_exact(2).fold(0u16, |s, w| {
        s.wrapping_add(u16::from_le_bytes([w[0], w[1]]))
    });
    e[28..30].copy_from_slice(&0u16.wrapping_sub(sum).to_le_bytes());
    e
}

/// The catalog block: the BIOS image as the default entry and the EFI one in a section of its
/// own, or the EFI image as the default when there is no BIOS one.
pub(crate) fn catalog(bios: Option<BootImage>, efi: Option<BootImage>) -> Vec<u8> {
    let mut d = vec![0u8; BLOCK];
    let (platform, default) = match (bios, efi) {
        (Some(b), _) => (BIOS, Some(b)),
        (None, Some(e)) => (EFI, Some(e)),
        (None, None) => (BIOS, None),
    };
    d[..32].copy_from_slice(&validation(platform));
    if let Some(image) = default {
        d[32..64].copy_from_slice(&entry(image));
    }
    if let (Some(_), Some(e)) = (bios, efi) {
        // Final section header: platform EFI, one entry.
        d[64] = 0x91;
        d[65] = EFI;
        d[66..68].copy_from_slice(&1u16.to_le_bytes());
        d[96..128].copy_from_slice(&entry(e));
    }
    d
}

/// Sectors of 512 bytes the catalog says to load for an EFI image: its whole size, as xorriso
/// writes it, when the 16-bit field holds it (else 0, which firmware reads as "the whole image").
pub(crate) fn efi_sectors(size: u64) -> u16 {
    u16::try_from(size.div_ceil(512)).unwrap_or(0)
}

/// Writes the boot-info table into `head` (the image's first block, and `data` all of the
/// image's bytes) for an image at `block` of `size` bytes.
pub(crate) fn boot_info_table(head: &mut [u8], data: &[u8], pvd: u32, block: u32, size: u64) {
    let mut padded = data.get(64..).unwrap_or(&[]).to_vec();
    padded.resize(padded.len().next_multiple_of(4), 0);
    let sum = padded.chunks_exact(4).fold(0u32, |s, w| {
        s.wrapping_add(u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
    });
    head[8..12].copy_from_slice(&pvd.to_le_bytes());
    head[12..16].copy_from_slice(&block.to_le_bytes());
    head[16..20].copy_from_slice(&(size as u32).to_le_bytes());
    head[20..24].copy_from_slice(&sum.to_le_bytes());
    head[24..64].fill(0);
}
