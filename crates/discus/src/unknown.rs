//! Image formats discus does not read, recognised so that the user learns what the file is and what
//! reads it, instead of a bare "not a disc image discus recognises".
//!
//! Each entry scores a file the way a format's probe does (a checked signature is `Magic`, a name
//! alone is `Extension`), and the registry reports the entry only when it scores higher than every
//! format discus reads: a format that reads a file always wins a tie, so an entry never hides an
//! image discus can open (a hybrid ISO whose boot sector happens to look like something else).

use std::path::Path;

use discus_core::{Confidence, Error, Probe};

/// A format discus recognises but does not read.
struct Foreign {
    /// What the file is, as the message says it: "a PBP (PSP eboot) image".
    what: &'static str,
    /// The format's short name: "PBP".
    name: &'static str,
    /// Its usual extensions, lower case.
    extensions: &'static [&'static str],
    /// Whether the file carries the format's signature.
    signature: fn(&Probe<'_>) -> bool,
    /// What to use instead, if anything.
    hint: Hint,
}

/// What the message suggests besides naming the format.
#[derive(Clone, Copy)]
enum Hint {
    /// Nothing: no common tool to name.
    None,
    /// A hard-disk image: `qemu-img` converts these to raw, which discus then reads as an IMG.
    HardDisk,
    /// A tool or way out of the format's own world.
    Tool(&'static str),
}

/// `bytes` at `offset` of the head.
fn head_at(probe: &Probe<'_>, offset: usize, bytes: &[u8]) -> bool {
    probe.head.get(offset..offset + bytes.len()) == Some(bytes)
}

/// `bytes` starting `from_end` bytes before the end of the file.
fn tail_at(probe: &Probe<'_>, from_end: usize, bytes: &[u8]) -> bool {
    let Some(start) = probe.tail.len().checked_sub(from_end) else {
        return false;
    };
    probe.tail.get(start..start + bytes.len()) == Some(bytes)
}

/// A VHD has its 512-byte footer ("conectix") at the end, and dynamic ones a copy at the start;
/// images from before Virtual PC 2004 have a 511-byte footer.
fn vhd_signature(probe: &Probe<'_>) -> bool {
    head_at(probe, 0, b"conectix")
        || tail_at(probe, 512, b"conectix")
        || tail_at(probe, 511, b"conectix")
}

/// MagicISO keeps its "bbis" descriptor in the last bytes of the file; its exact size has changed
/// between versions, so the signature is looked for in the last 128 bytes.
fn uif_signature(probe: &Probe<'_>) -> bool {
    let start = probe.tail.len().saturating_sub(128);
    probe.tail[start..].windows(4).any(|w| w == b"bbis")
}

static FOREIGN: &[Foreign] = &[
    Foreign {
        what: "a PBP (PSP eboot) image",
        name: "PBP",
        extensions: &["pbp"],
        signature: |p| head_at(p, 0, b"\0PBP"),
        hint: Hint::None,
    },
    Foreign {
        what: "an RVZ (Dolphin GameCube/Wii) image",
        name: "RVZ",
        extensions: &["rvz"],
        signature: |p| head_at(p, 0, b"RVZ\x01"),
        hint: Hint::Tool("`dolphin-tool convert` turns it into an ISO"),
    },
    Foreign {
        what: "a WIA (Wii ISO archive) image",
        name: "WIA",
        extensions: &["wia"],
        signature: |p| head_at(p, 0, b"WIA\x01"),
        hint: Hint::Tool("`dolphin-tool convert` or `wit` turn it into an ISO"),
    },
    Foreign {
        what: "a WBFS (Wii backup file system) image",
        name: "WBFS",
        extensions: &["wbfs"],
        signature: |p| head_at(p, 0, b"WBFS"),
        hint: Hint::Tool("`wit` or `dolphin-tool convert` turn it into an ISO"),
    },
    Foreign {
        what: "a GCZ (Dolphin compressed GameCube/Wii) image",
        name: "GCZ",
        extensions: &["gcz"],
        // The magic is the little-endian word 0xB10BC001.
        signature: |p| head_at(p, 0, &[0x01, 0xC0, 0x0B, 0xB1]),
        hint: Hint::Tool("`dolphin-tool convert` turns it into an ISO"),
    },
    Foreign {
        what: "a DAA (PowerISO direct access archive) image",
        name: "DAA",
        extensions: &["daa"],
        signature: |p| head_at(p, 0, b"DAA\0\0\0\0\0"),
        hint: Hint::None,
    },
    Foreign {
        what: "an ISZ (UltraISO compressed) image",
        name: "ISZ",
        extensions: &["isz"],
        signature: |p| head_at(p, 0, b"IsZ!"),
        hint: Hint::None,
    },
    Foreign {
        what: "a UIF (MagicISO) image",
        name: "UIF",
        extensions: &["uif"],
        signature: uif_signature,
        hint: Hint::Tool("`uif2iso` turns it into an ISO or BIN/CUE"),
    },
    Foreign {
        what: "a BlindWrite B5T/B6T descriptor",
        name: "BlindWrite images",
        extensions: &["b5t", "b6t"],
        signature: |p| head_at(p, 0, b"BWT5 STREAM SIGN"),
        hint: Hint::None,
    },
    Foreign {
        what: "a DMG (Apple disk image)",
        name: "DMG",
        extensions: &["dmg"],
        signature: |p| tail_at(p, 512, b"koly"),
        hint: Hint::Tool(
            "`hdiutil convert -format UDTO` (macOS) or `dmg2img` turn it into a raw image",
        ),
    },
    Foreign {
        what: "a VHD (Virtual PC/Hyper-V) hard-disk image",
        name: "VHD",
        extensions: &["vhd"],
        signature: vhd_signature,
        hint: Hint::HardDisk,
    },
    Foreign {
        what: "a VHDX (Hyper-V) hard-disk image",
        name: "VHDX",
        extensions: &["vhdx"],
        signature: |p| head_at(p, 0, b"vhdxfile"),
        hint: Hint::HardDisk,
    },
    Foreign {
        what: "a VMDK (VMware) hard-disk image",
        name: "VMDK",
        extensions: &["vmdk"],
        signature: |p| head_at(p, 0, b"KDMV") || head_at(p, 0, b"# Disk DescriptorFile"),
        hint: Hint::HardDisk,
    },
    Foreign {
        what: "a VDI (VirtualBox) hard-disk image",
        name: "VDI",
        extensions: &["vdi"],
        // The little-endian signature 0xBEDA107F after the 64-byte text banner.
        signature: |p| head_at(p, 0x40, &[0x7F, 0x10, 0xDA, 0xBE]),
        hint: Hint::HardDisk,
    },
    Foreign {
        what: "a QCOW (QEMU copy-on-write) hard-disk image",
        name: "QCOW",
        extensions: &["qcow2", "qcow"],
        signature: |p| head_at(p, 0, b"QFI\xFB"),
        hint: Hint::HardDisk,
    },
    Foreign {
        what: "an XVD (Xbox One) image",
        name: "XVD",
        extensions: &["xvd", "xvc"],
        signature: |p| head_at(p, 0x200, b"msft-xvd"),
        hint: Hint::None,
    },
];

impl Foreign {
    fn score(&self, probe: &Probe<'_>) -> (Confidence, bool) {
        let named = probe.has_extension(self.extensions);
        let confidence = match ((self.signature)(probe), named) {
            (true, _) => Confidence::Magic,
            (false, true) => Confidence::Extension,
            (false, false) => Confidence::No,
        };
        (confidence, named)
    }

    fn error(&self, path: &Path) -> Error {
        let mut what = format!("{}: discus does not read {}", self.what, self.name);
        match self.hint {
            Hint::None => {}
            Hint::HardDisk => what.push_str(
                "; it is a hard-disk format: `qemu-img convert -O raw` makes a raw image of it",
            ),
            Hint::Tool(tool) => {
                what.push_str("; ");
                what.push_str(tool);
            }
        }
        Error::NotRead {
            path: path.to_path_buf(),
            what,
        }
    }
}

/// The error naming what `probe`'s file is, if a format discus does not read scores higher than
/// `best`, the score of the best format discus reads (`None` when none recognised the file).
pub(crate) fn recognise(probe: &Probe<'_>, best: Option<(Confidence, bool)>) -> Option<Error> {
    let (foreign, score) = FOREIGN
        .iter()
        .map(|f| (f, f.score(probe)))
        .filter(|(_, (confidence, _))| *confidence > Confidence::No)
        .max_by_key(|(_, score)| *score)?;
    if best.is_some_and(|best| best >= score) {
        return None;
    }
    Some(foreign.error(probe.path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe_of<'a>(path: &'a Path, head: &'a [u8], tail: &'a [u8], len: u64) -> Probe<'a> {
        Probe {
            path,
            head,
            tail,
            len,
            siblings: &[],
        }
    }

    fn said(name: &str, head: &[u8], tail: &[u8]) -> Option<String> {
        let path = Path::new(name);
        let len = (head.len() + tail.len()) as u64;
        recognise(&probe_of(path, head, tail, len), None).map(|e| e.to_string())
    }

    #[test]
    fn i15_5_signatures_name_the_format_whatever_the_name() {
        let cases: &[(&[u8], &str)] = &[
            (
                b"\0PBP\0\0\x01\0",
                "a PBP (PSP eboot) image: discus does not read PBP",
            ),
            (b"RVZ\x01", "RVZ"),
            (b"WIA\x01", "WIA"),
            (b"WBFS", "WBFS"),
            (&[0x01, 0xC0, 0x0B, 0xB1], "GCZ"),
            (b"DAA\0\0\0\0\0\0\0", "DAA"),
            (b"IsZ!", "ISZ"),
            (b"BWT5 STREAM SIGN", "BlindWrite"),
            (b"vhdxfile", "VHDX"),
            (b"KDMV\x01\0\0\0", "VMDK"),
            (b"QFI\xFB\0\0\0\x03", "QCOW"),
        ];
        for (head, want) in cases {
            let got = said("x.dat", head, &[]).unwrap_or_default();
            assert!(got.starts_with("x.dat: "), "{got}");
            assert!(got.contains(want), "{want}: {got}");
        }
    }

    #[test]
    fn i15_5_signatures_at_offsets_and_in_the_tail() {
        let mut vdi = vec![0u8; 0x48];
        vdi[0x40..0x44].copy_from_slice(&[0x7F, 0x10, 0xDA, 0xBE]);
        assert!(said("a", &vdi, &[]).unwrap_or_default().contains("VDI"));
        let mut xvd = vec![0u8; 0x208];
        xvd[0x200..].copy_from_slice(b"msft-xvd");
        assert!(said("a", &xvd, &[]).unwrap_or_default().contains("XVD"));
        let mut footer = vec![0u8; 512];
        footer[..8].copy_from_slice(b"conectix");
        let vhd = said("a", &[0; 16], &footer).unwrap_or_default();
        assert!(
            vhd.contains("VHD") && vhd.contains("qemu-img convert"),
            "{vhd}"
        );
        let mut koly = vec![0u8; 512];
        koly[..4].copy_from_slice(b"koly");
        assert!(
            said("a", &[0; 16], &koly)
                .unwrap_or_default()
                .contains("DMG")
        );
        let mut bbis = vec![0u8; 64];
        bbis[..4].copy_from_slice(b"bbis");
        assert!(
            said("a", &[0; 16], &bbis)
                .unwrap_or_default()
                .contains("UIF")
        );
    }

    #[test]
    fn i15_5_a_name_alone_is_enough_only_when_nothing_reads_the_file() {
        let got = said("game.daa", &[1; 16], &[]).unwrap_or_default();
        assert!(got.contains("DAA"), "{got}");
        let path = Path::new("game.daa");
        let probe = probe_of(path, &[1; 16], &[], 16);
        // A format that reads the file by its content outranks a name.
        assert!(recognise(&probe, Some((Confidence::Structure, false))).is_none());
        // A format that reads it only by a weaker claim is outranked by a signature.
        let probe = probe_of(path, b"\0PBP", &[], 4);
        assert!(recognise(&probe, Some((Confidence::Extension, false))).is_some());
        // Ties go to the format that reads the file.
        assert!(recognise(&probe, Some((Confidence::Magic, false))).is_none());
    }
}
