//! Compressed formats through the command line: third-party CSO files decode, presets write what
//! their device needs, the thread count never changes the bytes, and `info` shows the block make-up.

use std::ffi::OsStr;

use discus_tests::{corpus, discus, samples};

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

#[test]
fn third_party_csos_decode_and_cube_gives_back_its_iso() {
    let Some(dir) = corpus("jspspemu") else {
        return;
    };
    let out = tempfile::tempdir().expect("temp dir");
    let iso = out.path().join("cube.iso");
    let output = discus(&[
        os("convert"),
        dir.join("cube.cso").as_os_str(),
        iso.as_os_str(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        std::fs::read(&iso).expect("ours") == std::fs::read(dir.join("cube.iso")).expect("theirs")
    );
    let test = out.path().join("test.iso");
    let output = discus(&[
        os("convert"),
        dir.join("test.cso").as_os_str(),
        test.as_os_str(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(std::fs::metadata(&test).expect("test.iso").len(), 6_369_280);
}

#[test]
fn presets_write_what_their_device_reads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = samples().join("iso").join("data.iso");
    let header = |name: &str, target: &str| {
        let out = dir.path().join(name);
        let output = discus(&[
            os("convert"),
            iso.as_os_str(),
            out.as_os_str(),
            os("--target"),
            os(target),
        ]);
        assert!(
            output.status.success(),
            "{target}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::read(&out).expect("output")
    };
    // PSP: CSO v1, 2048-byte blocks, no index shift.
    let psp = header("psp.cso", "psp");
    assert_eq!(&psp[..4], b"CISO");
    assert_eq!(
        u32::from_le_bytes(psp[16..20].try_into().expect("4 bytes")),
        2048
    );
    assert_eq!((psp[20], psp[21]), (1, 0));
    // Open PS2 Loader: ZSO, header size 0x18, 2048-byte blocks, data right after the index.
    let opl = header("opl.zso", "ps2-opl");
    assert_eq!(&opl[..4], b"ZISO");
    assert_eq!(
        u32::from_le_bytes(opl[4..8].try_into().expect("4 bytes")),
        0x18
    );
    assert_eq!(
        u32::from_le_bytes(opl[16..20].try_into().expect("4 bytes")),
        2048
    );
    let first = u32::from_le_bytes(opl[24..28].try_into().expect("4 bytes")) & 0x7FFF_FFFF;
    let blocks = (std::fs::metadata(&iso).expect("iso").len() as u32).div_ceil(2048);
    assert_eq!(
        (first << opl[21]) as usize,
        24 + (blocks as usize + 1) * 4,
        "OPL counts blocks from the first entry"
    );
    // PCSX2: 16 KiB blocks.
    let pcsx2 = header("pcsx2.cso", "pcsx2");
    assert_eq!(
        u32::from_le_bytes(pcsx2[16..20].try_into().expect("4 bytes")),
        16384
    );
    // Each decodes to the ISO.
    for name in ["psp.cso", "opl.zso", "pcsx2.cso"] {
        let back = dir.path().join(format!("{name}.iso"));
        let output = discus(&[
            os("convert"),
            dir.path().join(name).as_os_str(),
            back.as_os_str(),
        ]);
        assert!(output.status.success());
        assert!(
            std::fs::read(&back).expect("back") == std::fs::read(&iso).expect("iso"),
            "{name}"
        );
    }
    let unknown = discus(&[
        os("convert"),
        iso.as_os_str(),
        dir.path().join("x.cso").as_os_str(),
        os("--target"),
        os("gamecube"),
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("psp, ppsspp, ps2-opl, pcsx2"));
}

#[test]
fn the_thread_count_never_changes_the_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = samples().join("iso").join("data.iso");
    for (format, extra) in [
        ("cso", vec![]),
        ("zso", vec![]),
        ("dax", vec![]),
        ("cso", vec!["--best"]),
        ("cso", vec!["--cso-version", "2", "--best"]),
    ] {
        let mut outputs = Vec::new();
        for threads in ["1", "2", "5"] {
            let out = dir.path().join(format!("t{threads}.{format}"));
            let mut args = vec![
                os("--threads"),
                os(threads),
                os("convert"),
                iso.as_os_str(),
                out.as_os_str(),
                os("--force"),
            ];
            args.extend(extra.iter().map(|a| os(a)));
            let output = discus(&args);
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            outputs.push(std::fs::read(&out).expect("output"));
        }
        assert!(
            outputs.windows(2).all(|w| w[0] == w[1]),
            "{format} {extra:?} differs with the thread count"
        );
    }
}

#[test]
fn info_shows_the_block_make_up() {
    let output = discus(&[
        os("info"),
        os("--json"),
        samples().join("cso").join("data.cso").as_os_str(),
    ]);
    assert!(output.status.success());
    let v: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let details: Vec<(String, String)> = v["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| {
            (
                d["label"].as_str().unwrap_or("").to_string(),
                d["value"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let get = |label: &str| {
        details
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(get("block size"), "2048");
    let blocks: u32 = get("blocks").parse().expect("block count");
    let deflate: u32 = get("deflate blocks").parse().expect("deflate count");
    let plain: u32 = get("plain blocks").parse().expect("plain count");
    assert_eq!(deflate + plain, blocks);
    assert!(get("ratio").contains('%'));
}
