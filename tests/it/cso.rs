//! Compressed formats through the command line: third-party CSO files decode, presets write what
//! their device needs, the thread count never changes the bytes, and `info` shows the block make-up.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

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
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("psp, ppsspp, ps2, ps2-opl, pcsx2, ps1, saturn, pce")
    );
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

/// A DVD-sized ISO that costs no disk: the small real ISO of the samples grown with
/// `File::set_len` to `sectors` 2048-byte sectors, the rest a hole that reads as zeros.
fn sparse_dvd(dir: &Path, name: &str, sectors: u64) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(samples().join("iso").join("data.iso"), &path).expect("copy the sample ISO");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open the copy");
    file.set_len(sectors * 2048).expect("grow it sparse");
    path
}

/// Reads `packed` through the library, 1 MiB at a time, and checks every byte against what the
/// sparse ISO holds — the sample's bytes, then zeros — without reading the ISO again (that would
/// copy gigabytes of zero pages through the kernel for each file). With `crc`, also returns the
/// CRC-32 of the image.
fn decodes_to(packed: &Path, sample: &[u8], sectors: u64, crc: bool) -> Option<u32> {
    let mut source = discus::open(packed)
        .unwrap_or_else(|e| panic!("{}: {e}", packed.display()))
        .source;
    let length = u64::from(source.disc().track(0).map_or(0, |t| t.length));
    assert_eq!(length, sectors, "{}", packed.display());
    let mut hasher = crc.then(crc32fast::Hasher::new);
    let mut ours = vec![0u8; 1 << 20];
    let mut lba = 0u64;
    while lba < sectors {
        let count = (sectors - lba).min(512) as usize;
        let ours = &mut ours[..count * 2048];
        source
            .read(0, discus_core::Lba(lba as i32), ours)
            .unwrap_or_else(|e| panic!("{} at LBA {lba}: {e}", packed.display()));
        let start = (lba * 2048) as usize;
        let from_sample = sample.get(start..).unwrap_or(&[]);
        let (head, tail) = ours.split_at(from_sample.len().min(ours.len()));
        assert!(
            head == &from_sample[..head.len()] && discus_cso::codec::all_zero(tail),
            "{} differs from the ISO in the 512 sectors from LBA {lba}",
            packed.display()
        );
        if let Some(hasher) = &mut hasher {
            hasher.update(ours);
        }
        lba += count as u64;
    }
    hasher.map(crc32fast::Hasher::finalize)
}

/// The index shift maxcso picks: the smallest that addresses the worst case, every block stored
/// plain after the header and the index.
fn smallest_shift(bytes: u64, block: u64) -> u8 {
    let blocks = bytes.div_ceil(block);
    let worst = 24 + (blocks + 1) * 4 + blocks * block;
    (0u8..32)
        .find(|shift| worst >> shift <= 0x7FFF_FFFF)
        .expect("some shift fits")
}

/// What maxcso says the CRC-32 of a CSO or ZSO's image is; with `decompress`, also that its
/// decompressor reads the whole file (to /dev/null: nothing DVD-sized is written).
fn maxcso_crc(maxcso: &Path, packed: &Path, decompress: bool) -> Option<u32> {
    let crc = std::process::Command::new(maxcso)
        .arg("--crc")
        .arg(packed)
        .output()
        .expect("maxcso starts");
    let text =
        String::from_utf8_lossy(&crc.stdout).into_owned() + &String::from_utf8_lossy(&crc.stderr);
    assert!(
        crc.status.success(),
        "maxcso --crc {}: {text}",
        packed.display()
    );
    if decompress {
        let run = std::process::Command::new(maxcso)
            .args([
                os("--decompress"),
                packed.as_os_str(),
                os("-o"),
                os("/dev/null"),
            ])
            .output()
            .expect("maxcso starts");
        assert!(
            run.status.success(),
            "maxcso --decompress {}: {}",
            packed.display(),
            String::from_utf8_lossy(&run.stderr)
        );
    }
    let hex = text.split("CRC32: ").nth(1)?.get(..8)?;
    u32::from_str_radix(hex, 16).ok()
}

fn header(packed: &Path) -> Vec<u8> {
    use std::io::Read;
    let mut head = vec![0u8; 24];
    std::fs::File::open(packed)
        .and_then(|mut f| f.read_exact(&mut head))
        .expect("24-byte header");
    head
}

/// One DVD-sized image through each conversion, checked by the library and by maxcso. maxcso
/// decodes slowly (most of this test's time: its `--crc` of an 8.5 GB ZSO alone took minutes), so
/// it checks the files named in `by_maxcso` with `--crc` (which decodes every block), and its
/// decompressor reads the CSO v1 of the single layer; the library checks every byte of all.
fn dvd_round_trips(sectors: u64, name: &str, by_maxcso: &[&str], maxcso_decompresses: bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = sparse_dvd(dir.path(), &format!("{name}.iso"), sectors);
    let sample = std::fs::read(samples().join("iso").join("data.iso")).expect("sample ISO");
    let bytes = sectors * 2048;
    let maxcso = discus_tests::peer("maxcso");
    // The image's CRC-32, from the first file decoded; the others decode to the same bytes.
    let mut image_crc = None;
    // (output, extra arguments, magic, version, block size, the earlier output it must equal)
    type Case = (
        &'static str,
        &'static [&'static str],
        &'static [u8; 4],
        u8,
        u64,
        Option<&'static str>,
    );
    let cases: [Case; 5] = [
        ("v1.cso", &[], b"CISO", 1, 16384, None),
        ("v2.cso", &["--cso-version", "2"], b"CISO", 2, 16384, None),
        ("opl.zso", &["--target", "ps2-opl"], b"ZISO", 1, 2048, None),
        // Above 2 GiB the defaults are already what the devices need: the same bytes.
        (
            "pcsx2.cso",
            &["--target", "pcsx2"],
            b"CISO",
            1,
            16384,
            Some("v1.cso"),
        ),
        ("default.zso", &[], b"ZISO", 1, 2048, Some("opl.zso")),
    ];
    for (output, extra, magic, version, block, same_as) in cases {
        let packed = dir.path().join(output);
        let started = std::time::Instant::now();
        let mut args = vec![os("convert"), iso.as_os_str(), packed.as_os_str()];
        args.extend(extra.iter().map(|a| os(a)));
        let run = discus(&args);
        assert!(
            run.status.success(),
            "{output}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let head = header(&packed);
        assert_eq!(&head[..4], magic, "{output}");
        assert_eq!(head[20], version, "{output}: version");
        assert_eq!(
            u64::from(u32::from_le_bytes(head[16..20].try_into().expect("4"))),
            block,
            "{output}: block size"
        );
        assert_eq!(
            u64::from_le_bytes(head[8..16].try_into().expect("8")),
            bytes,
            "{output}: size"
        );
        assert_eq!(
            head[21],
            smallest_shift(bytes, block),
            "{output}: index shift"
        );
        if magic == b"ZISO" {
            // Open PS2 Loader and hdl-dump read ZSO files in whole 2048-byte sectors.
            let len = std::fs::metadata(&packed).expect("size").len();
            assert_eq!(len % 2048, 0, "{output}: {len} bytes");
        }
        if version == 1 && magic == b"CISO" {
            last_block_inflates_whole(&packed, bytes, block);
        }
        if let Some(earlier) = same_as {
            let earlier = std::fs::read(dir.path().join(earlier)).expect("earlier output");
            assert!(
                std::fs::read(&packed).expect("output") == earlier,
                "{output}"
            );
        } else {
            let crc = decodes_to(&packed, &sample, sectors, image_crc.is_none());
            let crc = *image_crc.get_or_insert(crc.unwrap_or_default());
            if let Some(maxcso) = maxcso.as_ref().filter(|_| by_maxcso.contains(&output)) {
                let decompress = maxcso_decompresses && version == 1 && magic == b"CISO";
                let theirs = maxcso_crc(maxcso, &packed, decompress);
                assert_eq!(theirs, Some(crc), "{output}: maxcso --crc");
            }
        }
        eprintln!("{name} {output}: {:.1} s", started.elapsed().as_secs_f64());
    }
}

/// PCSX2 needs every block of a CSO to inflate to the whole block size; the last block of an image
/// that does not fill it must be padded before packing.
fn last_block_inflates_whole(packed: &Path, bytes: u64, block: u64) {
    use std::io::{Read, Seek, SeekFrom};
    let blocks = bytes.div_ceil(block);
    let head = header(packed);
    let shift = head[21];
    let mut file = std::fs::File::open(packed).expect("open");
    let mut entries = [0u8; 8];
    file.seek(SeekFrom::Start(24 + (blocks - 1) * 4))
        .and_then(|_| file.read_exact(&mut entries))
        .expect("last index entries");
    let entry = u32::from_le_bytes(entries[..4].try_into().expect("4"));
    let next = u32::from_le_bytes(entries[4..].try_into().expect("4"));
    let start = u64::from(entry & 0x7FFF_FFFF) << shift;
    let end = u64::from(next & 0x7FFF_FFFF) << shift;
    let mut stored = vec![0u8; (end - start) as usize];
    file.seek(SeekFrom::Start(start))
        .and_then(|_| file.read_exact(&mut stored))
        .expect("last block");
    let mut out = vec![0u8; block as usize];
    let inflated = if entry & 0x8000_0000 != 0 {
        Ok(stored.len().min(out.len()))
    } else {
        discus_cso::codec::unpack(
            discus_cso::header::Packing::Deflate,
            &stored,
            &mut out,
            None,
        )
    };
    assert_eq!(
        inflated,
        Ok(block as usize),
        "{}: last block",
        packed.display()
    );
}

/// Sectors of a single-layer DVD less one, so the last 16 KiB block is short.
const DVD5_SECTORS: u64 = 2_295_103;
/// Sectors of a full dual-layer DVD (8,543,666,176 bytes).
const DVD9_SECTORS: u64 = 4_171_712;

#[test]
fn i12_3_single_layer_dvd_round_trips_through_cso_and_zso() {
    dvd_round_trips(DVD5_SECTORS, "dvd5", &["v1.cso", "v2.cso", "opl.zso"], true);
}

#[test]
fn i12_3_dual_layer_dvd_round_trips_through_cso_and_zso() {
    // Past 8 GiB only the index shift is new: maxcso checks the CSO v1 that carries it.
    dvd_round_trips(DVD9_SECTORS, "dvd9", &["v1.cso"], false);
}
