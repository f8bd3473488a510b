//! El Torito: the boot catalog a Boot Record volume descriptor points at. The catalog is a list
//! of 32-byte entries: a validation entry (header 1, platform, id, a checksum making the sixteen
//! little-endian words sum to 0, then 55 AA), the initial/default entry, then sections (header 0x90,
//! or 0x91 for the last, with platform and entry count) of further entries and 0x44 extensions.

use crate::blocks::{BLOCK, Blocks};
use discus_core::Result;

/// Blocks of catalog read at most: a catalog of 64 entries fits one; a few discs spill over.
const MAX_CATALOG_BLOCKS: usize = 4;

/// One bootable image the catalog names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootEntry {
    /// The platform id of its section (0 x86 BIOS, 1 PowerPC, 2 Mac, 0xEF UEFI).
    pub platform: u8,
    /// Marked bootable (0x88).
    pub bootable: bool,
    /// The media type: 0 no emulation, 1/2/3 1.2/1.44/2.88 MB floppy, 4 hard disk.
    pub media: u8,
    /// The segment it is loaded at (0 means the BIOS default 0x7C0).
    pub load_segment: u16,
    /// The system type byte (the partition type of a hard-disk image).
    pub system_type: u8,
    /// Virtual 512-byte sectors the BIOS loads: not the image's size.
    pub sector_count: u16,
    /// The block the image starts at.
    pub load_block: u32,
}

impl BootEntry {
    /// The platform's name.
    pub fn platform_name(&self) -> String {
        match self.platform {
            0 => "x86 BIOS".into(),
            1 => "PowerPC".into(),
            2 => "Mac".into(),
            0xEF => "UEFI".into(),
            other => format!("platform 0x{other:02x}"),
        }
    }

    /// The emulation's name.
    pub fn emulation(&self) -> String {
        match self.media & 0x0F {
            0 => "no emulation".into(),
            1 => "1.2 MB floppy".into(),
            2 => "1.44 MB floppy".into(),
            3 => "2.88 MB floppy".into(),
            4 => "hard disk".into(),
            other => format!("media type {other}"),
        }
    }

    /// The bytes an emulated floppy image is by definition; `None` for the other kinds, whose size
    /// comes from the file at the load block.
    pub fn emulated_size(&self) -> Option<u64> {
        match self.media & 0x0F {
            1 => Some(1_228_800),
            2 => Some(1_474_560),
            3 => Some(2_949_120),
            _ => None,
        }
    }
}

/// Reads the catalog at `block`. A catalog whose validation entry is wrong is an error naming
/// the block; entries after the last section end the list.
pub fn read_catalog(blocks: &mut Blocks, block: u32) -> Result<Vec<BootEntry>> {
    let at = u64::from(block);
    let count = (0..MAX_CATALOG_BLOCKS as u64)
        .take_while(|&n| blocks.holds(at + n, 1))
        .count();
    if count == 0 {
        return Err(blocks.invalid(
            at,
            "the El Torito boot catalog lies past the end of the image",
        ));
    }
    let data = blocks.bytes(at, (count * BLOCK) as u64)?;
    let validation = &data[..32];
    let sum = validation.chunks_exact(2).fold(0u16, |s, w| {
        s.wrapping_add(u16::from_le_bytes([w[0], w[1]]))
    });
    if validation[0] != 1 || validation[30] != 0x55 || validation[31] != 0xAA || sum != 0 {
        return Err(blocks.invalid(
            at,
            "the El Torito boot catalog's validation entry is wrong (header, 55 AA or checksum)",
        ));
    }
    let mut platform = validation[1];
    let mut entries = vec![entry(&data[32..64], platform)];
    let mut offset = 64usize;
    let mut last_section = false;
    while offset + 32 <= data.len() && !last_section {
        let header = &data[offset..offset + 32];
        if !matches!(header[0], 0x90 | 0x91) {
            break;
        }
        last_section = header[0] == 0x91;
        platform = header[1];
        let in_section = usize::from(u16::from_le_bytes([header[2], header[3]]));
        offset += 32;
        let mut seen = 0usize;
        while seen < in_section && offset + 32 <= data.len() {
            let e = &data[offset..offset + 32];
            offset += 32;
            if e[0] == 0x44 {
                // An extension of the entry before it (selection criteria).
                continue;
            }
            entries.push(entry(e, platform));
            seen += 1;
        }
    }
    Ok(entries)
}

fn entry(e: &[u8], platform: u8) -> BootEntry {
    BootEntry {
        platform,
        bootable: e[0] == 0x88,
        media: e[1],
        load_segment: u16::from_le_bytes([e[2], e[3]]),
        system_type: e[4],
        sector_count: u16::from_le_bytes([e[6], e[7]]),
        load_block: u32::from_le_bytes([e[8], e[9], e[10], e[11]]),
    }
}
