//! Issue 15 item 5: a file in a format discus does not read is named, with what reads it, rather
//! than called "not a disc image discus recognises".

use std::path::Path;

use discus::Error;

/// A file to write: its name, its first bytes, its last bytes, and words the message must hold.
type Case<'a> = (&'a str, &'a [u8], &'a [u8], &'a [&'a str]);

/// Writes `head`, zeros, then `tail` to `dir/name` and returns what probing it says.
fn probe_file(dir: &Path, name: &str, head: &[u8], tail: &[u8]) -> String {
    let path = dir.join(name);
    let mut bytes = head.to_vec();
    bytes.resize(bytes.len().max(0x400), 0);
    bytes.extend_from_slice(tail);
    std::fs::write(&path, bytes).expect("write sample");
    match discus::probe(&path) {
        Ok(format) => format!("read as {}", format.name),
        Err(error @ Error::NotRead { .. }) => error.to_string(),
        Err(other) => panic!("{name}: expected NotRead, got {other}"),
    }
}

#[test]
fn i15_5_every_format_discus_cannot_read_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut vdi = vec![0u8; 0x44];
    vdi[0x40..].copy_from_slice(&[0x7F, 0x10, 0xDA, 0xBE]);
    let mut xvd = vec![0u8; 0x208];
    xvd[0x200..].copy_from_slice(b"msft-xvd");
    let mut vhd_footer = b"conectix".to_vec();
    vhd_footer.resize(512, 0);
    let mut koly = b"koly".to_vec();
    koly.resize(512, 0);
    // MagicISO's "bbis" descriptor sits somewhere in the last 128 bytes.
    let mut bbis = vec![0u8; 100];
    bbis.extend_from_slice(b"bbis");
    bbis.resize(164, 0);
    // (file name, head, tail, words the message must hold); names that do not match the content
    // show the content decides.
    let cases: &[Case] = &[
        (
            "x.pbp",
            b"\0PBP\0\0\x01\0",
            b"",
            &["x.pbp: a PBP (PSP eboot) image: discus does not read PBP"],
        ),
        ("x.rvz", b"RVZ\x01", b"", &["RVZ"]),
        ("x.wia", b"WIA\x01", b"", &["WIA"]),
        ("x.wbfs", b"WBFS", b"", &["WBFS"]),
        ("x.gcz", &[0x01, 0xC0, 0x0B, 0xB1], b"", &["GCZ"]),
        ("x.daa", b"DAA\0\0\0\0\0", b"", &["DAA"]),
        ("x.isz", b"IsZ!", b"", &["ISZ"]),
        ("x.b6t", b"BWT5 STREAM SIGN", b"", &["BlindWrite"]),
        ("x.b5t", b"BWT5 STREAM SIGN", b"", &["BlindWrite"]),
        ("game.bin", b"", &bbis, &["UIF", "MagicISO"]),
        ("x.dmg", b"", &koly, &["DMG"]),
        ("disk.img", b"", &vhd_footer, &["VHD", "qemu-img convert"]),
        ("x.vhdx", b"vhdxfile", b"", &["VHDX", "qemu-img convert"]),
        ("x.vmdk", b"KDMV", b"", &["VMDK", "qemu-img convert"]),
        ("x.vdi", &vdi, b"", &["VDI", "qemu-img convert"]),
        ("x.qcow2", b"QFI\xFB", b"", &["QCOW", "qemu-img convert"]),
        ("x.xvd", &xvd, b"", &["XVD"]),
    ];
    for (name, head, tail, words) in cases {
        let said = probe_file(dir.path(), name, head, tail);
        for word in *words {
            assert!(said.contains(word), "{name}: {said}");
        }
    }
}
