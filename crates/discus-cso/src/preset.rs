//! Presets: the settings each target device or emulator needs, by name, with the reason.
//!
//! Users ask for "a file my PSP plays", not for a block size, so a preset fixes the container, the
//! block size and the encoder. Every field it leaves `None` takes the container's default.
//!
//! | preset | container | block | encoder | why |
//! |---|---|---|---|---|
//! | `psp` | CSO v1 | 2048 | zlib | PSP custom firmware and Adrenaline read CSO v1 with 2 KiB blocks and crash on libdeflate output |
//! | `ppsspp` | CSO v1 | 2048 | libdeflate 12 | PPSSPP inflates any valid deflate with zlib; v2 gains nothing there (no LZ4 path) |
//! | `ps2-opl` | ZSO | 2048 | LZ4 HC | Open PS2 Loader reads ZSO with 2 KiB blocks, index at 24, blocks right after it, the file a whole number of 2 KiB sectors |
//! | `pcsx2` | CSO v1 | 16384 | zlib | PCSX2 reads CSO version 1 only, every block inflating to the block size; 16 KiB blocks compress better and are the PS2 recommendation |

use discus_core::{Compression, Format};

/// A named set of conversion settings for one target.
#[derive(Clone, Debug)]
pub struct Preset {
    /// The format written.
    pub format: &'static Format,
    /// The compression settings.
    pub compression: Compression,
    /// Why these settings, in one sentence for `discus presets`.
    pub reason: &'static str,
}

/// The names [`preset`] knows, in the order to list them.
pub const PRESETS: &[&str] = &["psp", "ppsspp", "ps2-opl", "pcsx2"];

/// The preset called `name` (case-insensitive), if there is one.
pub fn preset(name: &str) -> Option<Preset> {
    let name = name.to_ascii_lowercase();
    let compression = |block_size: u32, encoder: &str, best: bool| Compression {
        block_size: Some(block_size),
        version: Some(1),
        encoder: Some(encoder.to_string()),
        min_saving: None,
        best,
    };
    let preset = match name.as_str() {
        "psp" => Preset {
            format: &crate::CSO,
            compression: compression(2048, "zlib", false),
            reason: "PSP custom firmware (PRO, ME, ARK) and Adrenaline read CSO v1 with 2048-byte \
                     blocks, and freeze or crash on blocks packed by libdeflate (maxcso#52), so \
                     every block is packed by zlib",
        },
        "ppsspp" => Preset {
            format: &crate::CSO,
            compression: compression(2048, "libdeflate", false),
            reason: "PPSSPP inflates blocks with zlib, which reads any valid deflate, so blocks \
                     are packed by libdeflate at level 12, 0.4 % smaller than zlib; 2048-byte \
                     blocks match its sector reads; CSO v1 because PPSSPP has no LZ4 path for \
                     CSO v2 to gain from",
        },
        "ps2-opl" => Preset {
            format: &crate::ZSO,
            compression: compression(2048, "lz4hc", false),
            reason: "Open PS2 Loader reads ZSO with 2048-byte blocks only, whatever the size of \
                     the image, with the index at byte 24 and the blocks right after it (it counts \
                     the blocks from the first index entry); it and hdl-dump also need the file to \
                     be a whole number of 2048-byte sectors, so the file is padded with zeros",
        },
        "pcsx2" => Preset {
            format: &crate::CSO,
            compression: compression(16384, "zlib", false),
            reason: "PCSX2 reads CSO version 1 only (it refuses version 2), with any \
                     power-of-two block, and needs every block to inflate to exactly the block \
                     size, so the short last block is padded with zeros; 16 KiB blocks, the size \
                     recommended for PS2 images, compress better than 2 KiB and read faster",
        },
        _ => return None,
    };
    Some(preset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_preset_exists_and_is_valid() {
        for name in PRESETS {
            let Some(preset) = preset(name) else {
                panic!("{name} is listed but missing");
            };
            assert!(!preset.reason.is_empty());
            let writer = preset.format.writer.map(|w| w.capabilities);
            assert!(writer.is_some_and(|c| c.compressed));
        }
        assert!(preset("PSP").is_some());
        assert!(preset("dreamcast").is_none());
    }
}
