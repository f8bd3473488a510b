//! Compressed ISO images for discus: CSO v1, CSO v2, ZSO and DAX.
//!
//! All four cut a 2048-byte-sector image (one Mode 1 data track) into fixed-size blocks, pack each
//! block on its own and keep an index of where each block lies, so a reader can fetch any sector
//! by decoding one block. They differ in the header, in how the index marks a block's packing and
//! in the codec:
//!
//! | format | magic | header | blocks | codec |
//! |---|---|---|---|---|
//! | CSO v1 | `CISO`, version 0/1 | 24 bytes | 2 KiB by default, power of two | raw deflate, or plain (index top bit) |
//! | CSO v2 | `CISO`, version 2 | 24 bytes | as v1 | raw deflate or LZ4 (top bit), plain when the span fills the block |
//! | ZSO | `ZISO` | 24 bytes | 2 KiB | raw LZ4 block, or plain (top bit) |
//! | DAX | `DAX\0` | 32 bytes | 8 KiB frames | zlib stream, or plain inside NC areas |
//!
//! The layouts field by field are in [`header`]; the codecs in [`codec`]; reading in [`read`];
//! writing in [`mod@write`]. The device presets (`--target psp` …) are the facade's
//! (`discus::preset`), since one preset covers several formats.
//!
//! Each format exports a [`Format`] descriptor. [`CSO`] reads v1 and v2 and writes v1 unless
//! `Compression::version` is 2.

pub mod codec;
pub mod header;
pub mod read;
pub mod write;

use std::path::Path;

use discus_core::format::{Confidence, Format, Probe, Writer};
use discus_core::{Result, SectorSource};

pub use read::CompressedSource;

use header::{CSO_MAGIC, DAX_MAGIC, ZSO_MAGIC};

/// CSO (CISO) v1 and v2: deflate blocks (v2 also LZ4) for PSP and PS2 loaders and emulators.
pub static CSO: Format = Format {
    name: "cso",
    description: "CSO compressed ISO, v1 and v2 (PSP, PS2): deflate or LZ4 blocks",
    extensions: &["cso"],
    probe: probe_cso,
    open,
    writer: Some(Writer {
        capabilities: write::CAPABILITIES,
        plan: write::plan_cso,
        create: write::create_cso,
    }),
};

/// ZSO (ZISO): LZ4 blocks, for Open PS2 Loader.
pub static ZSO: Format = Format {
    name: "zso",
    description: "ZSO compressed ISO (Open PS2 Loader, PSP): LZ4 blocks",
    extensions: &["zso"],
    probe: probe_zso,
    open,
    writer: Some(Writer {
        capabilities: write::CAPABILITIES,
        plan: write::plan_zso,
        create: write::create_zso,
    }),
};

/// DAX: zlib frames of 8 KiB, an early PSP compressed ISO.
pub static DAX: Format = Format {
    name: "dax",
    description: "DAX compressed ISO (PSP): 8 KiB zlib frames",
    extensions: &["dax"],
    probe: probe_dax,
    open,
    writer: Some(Writer {
        capabilities: write::CAPABILITIES,
        plan: write::plan_dax,
        create: write::create_dax,
    }),
};

/// Opens any of the four containers, whichever magic the file has.
fn open(path: &Path) -> Result<Box<dyn SectorSource>> {
    Ok(Box::new(CompressedSource::open(path)?))
}

fn probe_cso(probe: &Probe<'_>) -> Confidence {
    let head = probe.head;
    if head.starts_with(&CSO_MAGIC) {
        // Wii and Xbox CISO share the magic: rank them below a checked magic, so a reader made for
        // them would win, but still claim them so that opening explains what they are.
        let version = head.get(0x14).copied().unwrap_or(u8::MAX);
        let block = head
            .get(0x10..0x14)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let psp_like = version <= 2 && block.is_power_of_two() && block >= 2048;
        if header::looks_like_wii(head) || header::head_looks_like_xbox(head) || !psp_like {
            Confidence::Structure
        } else {
            Confidence::Magic
        }
    } else if probe.has_extension(CSO.extensions) {
        Confidence::Extension
    } else {
        Confidence::No
    }
}

fn probe_zso(probe: &Probe<'_>) -> Confidence {
    if probe.head.starts_with(&ZSO_MAGIC) {
        Confidence::Magic
    } else if probe.has_extension(ZSO.extensions) {
        Confidence::Extension
    } else {
        Confidence::No
    }
}

fn probe_dax(probe: &Probe<'_>) -> Confidence {
    if probe.head.starts_with(&DAX_MAGIC) {
        Confidence::Magic
    } else if probe.has_extension(DAX.extensions) {
        Confidence::Extension
    } else {
        Confidence::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(format: &Format, name: &str, head: &[u8]) -> Confidence {
        let probe = Probe {
            path: Path::new(name),
            head,
            tail: &[],
            len: head.len() as u64,
            siblings: &[],
        };
        (format.probe)(&probe)
    }

    #[test]
    fn probes_score_magic_above_the_extension() {
        let mut cso = b"CISO\x18\0\0\0\0\x10\0\0\0\0\0\0\0\x08\0\0\x01\0\0\0".to_vec();
        cso.resize(64, 0);
        assert_eq!(probe(&CSO, "x.bin", &cso), Confidence::Magic);
        assert_eq!(probe(&CSO, "x.CSO", b"junk"), Confidence::Extension);
        assert_eq!(probe(&CSO, "x.iso", b"junk"), Confidence::No);
        assert_eq!(probe(&ZSO, "x.bin", b"ZISO and more"), Confidence::Magic);
        assert_eq!(probe(&ZSO, "x.zso", b"junk"), Confidence::Extension);
        assert_eq!(probe(&DAX, "x.bin", b"DAX\0 and more"), Confidence::Magic);
        assert_eq!(probe(&DAX, "x.dax", b"junk"), Confidence::Extension);
        assert_eq!(probe(&ZSO, "x.cso", &cso), Confidence::No);
        // A CISO header no PSP writer makes (version 7) still goes to the reader, which explains.
        cso[0x14] = 7;
        assert_eq!(probe(&CSO, "x.cso", &cso), Confidence::Structure);
    }
}
