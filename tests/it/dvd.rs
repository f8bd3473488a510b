//! DVD and Blu-ray images (issue 12): the medium is known, CD-only formats refuse a DVD before
//! writing, images over 4 GiB round-trip byte for byte through every format that holds them,
//! a PS2 dual-layer image keeps its second volume and reports its layer break, and truncated
//! images are reported with both sizes.
//!
//! The large images are sparse files (`File::set_len` over the small sample ISO): they cost no
//! disk, and the writers leave their blank areas as holes.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use discus::core::Medium;
use discus::core::flat::read_exact_at;
use discus::{ConvertOptions, WriteOptions};
use discus_tests::{discus, peer, samples};

const SECTOR: u64 = 2048;
/// A single-layer DVD (DVD-5, 4.7 GB).
const DVD5: u64 = 2_295_104;
/// A dual-layer DVD (DVD-9, 8.5 GB).
const DVD9: u64 = 4_171_712;
/// A 25 GB Blu-ray.
const BD25: u64 = 12_219_392;

/// The small real ISO the large images start with.
fn sample_iso() -> Vec<u8> {
    std::fs::read(samples().join("iso").join("data.iso")).expect("the sample ISO")
}

/// A sparse ISO of `sectors` whose first sectors are the sample ISO.
fn sparse_iso(path: &Path, sectors: u64) {
    let mut file = File::create(path).expect("create");
    file.write_all(&sample_iso()).expect("write");
    file.set_len(sectors * SECTOR).expect("set_len");
}

/// Sets the both-endian volume space size of the PVD at `sector` of `file`.
fn set_volume_size(file: &mut File, sector: u64, blocks: u32) {
    let mut field = blocks.to_le_bytes().to_vec();
    field.extend(blocks.to_be_bytes());
    file.seek(SeekFrom::Start(sector * SECTOR + 80))
        .expect("seek");
    file.write_all(&field).expect("write");
}

/// A PS2-style dual-layer image: layer 0's volume ends at `layer0` sectors and layer 1's volume
/// (the sample again) starts 16 sectors before, so its PVD is at the sector `layer0` names, as
/// PCSX2 and Open PS2 Loader look for it. Returns where layer 1 starts.
fn dual_layer_iso(path: &Path, sectors: u64, layer0: u32) -> u32 {
    sparse_iso(path, sectors);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open");
    set_volume_size(&mut file, 16, layer0);
    let layer1 = layer0 - 16;
    file.seek(SeekFrom::Start(u64::from(layer1) * SECTOR))
        .expect("seek");
    file.write_all(&sample_iso()).expect("write layer 1");
    layer1
}

/// Reads two files side by side and says whether they hold the same bytes (streaming: a few
/// MiB of memory whatever their size; slice equality is a `memcmp`, fast in a debug build; the
/// core's positioned read skips the holes of sparse files instead of reading zeros page by page).
fn same_bytes(a: &Path, b: &Path) -> bool {
    let (fa, fb) = (
        File::open(a).expect("open a"),
        File::open(b).expect("open b"),
    );
    let len = fa.metadata().expect("len").len();
    if len != fb.metadata().expect("len").len() {
        return false;
    }
    let (mut ba, mut bb) = (vec![0u8; 4 << 20], vec![0u8; 4 << 20]);
    let mut at = 0u64;
    while at < len {
        let n = (len - at).min(ba.len() as u64) as usize;
        read_exact_at(&fa, a, &mut ba[..n], at).expect("read a");
        read_exact_at(&fb, b, &mut bb[..n], at).expect("read b");
        if ba[..n] != bb[..n] {
            return false;
        }
        at += n as u64;
    }
    true
}

/// Runs `discus ARGS` under `/usr/bin/time -v` and returns its peak resident memory in KiB, or
/// `None` where GNU time is not installed.
fn peak_memory_kib(args: &[&std::ffi::OsStr]) -> Option<u64> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return None;
    }
    let output = std::process::Command::new(time)
        .arg("-v")
        .arg(discus_tests::discus_bin())
        .args(args)
        .output()
        .expect("time runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|n| n.trim().parse().ok())
}

fn convert(input: &Path, output: &Path, write: WriteOptions) -> discus::Result<discus::Outcome> {
    let options = ConvertOptions {
        write,
        ..ConvertOptions::default()
    };
    discus::convert(input, output, &options)
}

fn medium_of(path: &Path) -> Medium {
    discus::open(path).expect("open").source.disc().medium
}

#[test]
fn i12_1_a_plain_image_is_a_cd_a_dvd_or_a_bd_by_its_size() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (sectors, name) in [
        (1000, "CD"),
        (DVD5, "DVD"),
        (DVD9, "DVD (dual layer)"),
        (BD25, "BD"),
    ] {
        let iso = dir.path().join(format!("{sectors}.iso"));
        sparse_iso(&iso, sectors);
        assert_eq!(medium_of(&iso).name(), name, "{sectors} sectors");
    }
}

#[test]
fn i12_2_cd_formats_refuse_a_dvd_and_a_bd_before_writing() {
    let dir = tempfile::tempdir().expect("temp dir");
    for sectors in [DVD5, BD25] {
        let iso = dir.path().join(format!("disc{sectors}.iso"));
        sparse_iso(&iso, sectors);
        let mut targets = vec!["out.cue", "out.ccd"];
        // Alcohol's medium types know no Blu-ray, and neither does discus's NRG writer.
        if sectors == BD25 {
            targets.extend(["out.mds", "out.nrg"]);
        }
        for target in targets {
            let out = dir.path().join(target);
            let lossy = WriteOptions {
                allow_lossy: true,
                ..WriteOptions::default()
            };
            let error = convert(&iso, &out, lossy)
                .expect_err("a DVD or BD is refused even when lossy conversions are allowed")
                .to_string();
            assert!(error.contains("only"), "{target}: {error}");
            assert!(error.contains("ISO"), "{target}: {error}");
            if target.ends_with("cue") || target.ends_with("ccd") {
                assert!(error.contains("holds CDs only"), "{target}: {error}");
                assert!(error.contains("99:59:74"), "{target}: {error}");
            }
            let left: Vec<_> = std::fs::read_dir(dir.path())
                .expect("list")
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("out") || n.starts_with(".discus"))
                .collect();
            assert!(left.is_empty(), "{target} left {left:?}");
        }
        // A raw IMG holds DVDs, but only as 2048-byte sectors.
        let raw = WriteOptions {
            sector_size: Some(2352),
            allow_lossy: true,
            ..WriteOptions::default()
        };
        let error = convert(&iso, &dir.path().join("out.img"), raw)
            .expect_err("2352-byte DVD sectors are refused")
            .to_string();
        assert!(error.contains("only 2048-byte sectors"), "{error}");
    }
}

#[test]
fn i12_2_info_prints_sectors_not_an_msf_for_a_dvd() {
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = dir.path().join("dvd.iso");
    sparse_iso(&iso, DVD5);
    let output = discus(&["info".as_ref(), iso.as_os_str()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("medium:    DVD"), "{text}");
    assert!(
        text.contains("lead-out at sector 2295104 (4700372992 bytes)"),
        "{text}"
    );
    // 2,295,104 sectors as a CD time would be 510:03:29 (or 255:… saturated): neither appears.
    assert!(!text.contains(":03:29") && !text.contains("255:"), "{text}");
}

#[test]
fn i12_3_dvd5_round_trips_through_mds_nrg_and_img_byte_identical() {
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = dir.path().join("dvd.iso");
    sparse_iso(&iso, DVD5);
    // One chain through every writer that holds a DVD besides ISO: each step reads what the
    // one before wrote, so a byte lost anywhere shows at the end.
    let mds = dir.path().join("dvd.mds");
    // The first step runs the command under GNU time where it exists: memory must not grow
    // with the image (the batches in flight are a few MiB whatever the size).
    match peak_memory_kib(&["convert".as_ref(), iso.as_os_str(), mds.as_os_str()]) {
        Some(kib) => assert!(
            kib <= 64 * 1024,
            "peak memory {kib} KiB for a 4.7 GB conversion"
        ),
        None => {
            convert(&iso, &mds, WriteOptions::default()).expect("ISO → MDS");
        }
    }
    assert_eq!(medium_of(&mds).name(), "DVD");
    let nrg = dir.path().join("dvd.nrg");
    convert(&mds, &nrg, WriteOptions::default()).expect("MDS → NRG");
    assert_eq!(medium_of(&nrg).name(), "DVD");
    let img = dir.path().join("back.img");
    convert(&nrg, &img, WriteOptions::default()).expect("NRG → IMG");
    assert!(
        same_bytes(&iso, &img),
        "ISO → MDS → NRG → IMG changed bytes"
    );
}

#[test]
fn i12_4_ps2_dual_layer_keeps_both_layers_and_reports_the_break() {
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = dir.path().join("ps2.iso");
    let layer0: u32 = 2_084_960;
    let layer1 = dual_layer_iso(&iso, DVD9, layer0);
    let expected = Medium::Dvd {
        layers: 2,
        layer_break: Some(layer1),
    };
    let info = discus::info(&iso).expect("info");
    assert_eq!(info.disc.medium, expected);
    assert!(info.truncation.is_none());
    let output = discus(&["info".as_ref(), iso.as_os_str()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains(&format!("layer 1 from sector {layer1}")),
        "{text}"
    );
    // Through MDS (which records the break in its physical format information) and back.
    let mds = dir.path().join("ps2.mds");
    convert(&iso, &mds, WriteOptions::default()).expect("ISO → MDS");
    assert_eq!(medium_of(&mds), expected, "the MDS records the layer break");
    let back = dir.path().join("back.iso");
    convert(&mds, &back, WriteOptions::default()).expect("MDS → ISO");
    assert!(same_bytes(&iso, &back), "a layer was lost");
    assert_eq!(discus::info(&back).expect("info").disc.medium, expected);
}

#[test]
fn i12_5_a_truncated_iso_is_reported_failed_and_warned() {
    let dir = tempfile::tempdir().expect("temp dir");
    let whole = sample_iso();
    let sectors = whole.len() as u64 / SECTOR;
    let cut = dir.path().join("cut.iso");
    // Cut by 100 sectors (the sample is larger than that).
    std::fs::write(&cut, &whole[..((sectors - 100) * SECTOR) as usize]).expect("write");
    let info = discus::info(&cut).expect("info");
    let truncation = info.truncation.expect("truncation found");
    assert_eq!(truncation.held + 100, truncation.recorded);
    let output = discus(&["info".as_ref(), cut.as_os_str()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains(&format!(
            "truncated: volume says {} sectors, image holds {}",
            truncation.recorded, truncation.held
        )),
        "{text}"
    );
    // verify: a failed check, exit 1 (issue 11 item 9).
    let output = discus(&["verify".as_ref(), cut.as_os_str()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("FAILED"));
    // convert: goes through (trimmed images exist) and warns with both numbers.
    let outcome = convert(&cut, &dir.path().join("out.cue"), WriteOptions::default())
        .expect("a trimmed image still converts");
    assert!(
        outcome
            .warnings
            .iter()
            .any(|w| w.contains(&truncation.to_string())),
        "{:?}",
        outcome.warnings
    );
    // The same volume, cut inside a BIN's sector: found through the cue sheet.
    let bin_cut = dir.path().join("out.bin");
    let len = std::fs::metadata(&bin_cut).expect("bin").len();
    File::options()
        .write(true)
        .open(&bin_cut)
        .and_then(|f| f.set_len(len - 2352 * 10 - 1000))
        .expect("cut the BIN");
    let info = discus::info(&dir.path().join("out.cue")).expect("info of the cut BIN");
    assert!(info.truncation.is_some(), "{:?}", info.warnings);
}

#[test]
fn i12_5_the_whole_sample_is_not_truncated() {
    let iso = samples().join("iso").join("data.iso");
    assert!(discus::info(&iso).expect("info").truncation.is_none());
    let output = discus(&["verify".as_ref(), iso.as_os_str()]);
    assert_eq!(output.status.code(), Some(0));
}

/// A DVD held in memory (small, with its medium said): what `verify` makes of any DVD source.
struct MemoryDvd {
    disc: discus::Disc,
    data: Vec<u8>,
}

impl discus::SectorSource for MemoryDvd {
    fn disc(&self) -> &discus::Disc {
        &self.disc
    }
    fn stored_form(&self, _: usize) -> discus::Form {
        discus::Form::Cooked
    }
    fn read(&mut self, _: usize, lba: discus::core::Lba, buf: &mut [u8]) -> discus::Result<()> {
        let from = lba.0 as usize * SECTOR as usize;
        buf.copy_from_slice(&self.data[from..from + buf.len()]);
        Ok(())
    }
    fn files(&self) -> Vec<std::path::PathBuf> {
        Vec::new()
    }
}

#[test]
fn i12_2_verify_hashes_a_dvd_as_its_iso() {
    let data = sample_iso();
    let mut disc = discus::Disc::user_data_image((data.len() as u64 / SECTOR) as u32);
    disc.medium = Medium::Dvd {
        layers: 1,
        layer_break: None,
    };
    let mut source = MemoryDvd {
        disc,
        data: data.clone(),
    };
    let iso = discus::find("iso").expect("iso format");
    let verification =
        discus::verify::verify_source(iso, &mut source, "game", &discus::VerifyOptions::default())
            .expect("verify");
    let mut hashers = discus::verify::Hashers::default();
    hashers.update(&data);
    let expected = hashers.finish();
    // Redump keeps a DVD as its ISO: 2048-byte sectors, no cue sheet.
    assert_eq!(verification.image, expected);
    assert_eq!(verification.tracks.len(), 1);
    assert_eq!(verification.tracks[0].file, "game.iso");
    assert!(verification.cue.is_none());
    assert!(verification.passed());
}

#[test]
fn i12_2_iat_reads_the_dvd_nrg_and_mdf_we_write() {
    let Some(iat) = peer("iat") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    // Just past the largest CD, so the image is a DVD while staying cheap to read.
    let iso = dir.path().join("dvd.iso");
    sparse_iso(&iso, 460_000);
    assert_eq!(medium_of(&iso).name(), "DVD");
    for (target, data_file) in [("dvd.nrg", "dvd.nrg"), ("dvd.mds", "dvd.mdf")] {
        convert(&iso, &dir.path().join(target), WriteOptions::default()).expect("convert");
        let out = dir.path().join(format!("{target}.iat.iso"));
        let run = discus_tests::run(
            &iat,
            &[dir.path().join(data_file).as_os_str(), out.as_os_str()],
            dir.path(),
        );
        assert!(run.status.success(), "iat on {target}: {run:?}");
        assert!(same_bytes(&iso, &out), "iat's ISO of {target} differs");
    }
}

#[test]
fn i12_5_a_dvd_mdf_shorter_than_its_descriptor_fails_verify() {
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = dir.path().join("dvd.iso");
    sparse_iso(&iso, 460_000);
    let mds = dir.path().join("dvd.mds");
    convert(&iso, &mds, WriteOptions::default()).expect("ISO → MDS");
    File::options()
        .write(true)
        .open(dir.path().join("dvd.mdf"))
        .and_then(|f| f.set_len(300 * SECTOR))
        .expect("cut the MDF");
    let truncation = discus::info(&mds)
        .expect("a short DVD MDF still opens")
        .truncation
        .expect("found");
    assert_eq!((truncation.recorded, truncation.held), (460_000, 300));
    let output = discus(&["verify".as_ref(), mds.as_os_str()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("truncated: descriptor says 460000 sectors, image holds 300"),
        "{text}"
    );
}

#[test]
fn i12_5_a_cut_udf_volume_is_reported_from_its_partition() {
    let Some(corpus) = discus_tests::corpus("libcdio") else {
        return;
    };
    // udf102.iso has no ISO 9660 volume: only UDF's anchor (sector 256) and partition say how
    // long it is.
    let whole = std::fs::read(corpus.join("udf102.iso")).expect("udf102.iso");
    let info = discus::info(&corpus.join("udf102.iso")).expect("info");
    assert!(info.volume.is_none() && info.truncation.is_none());
    let dir = tempfile::tempdir().expect("temp dir");
    let cut = dir.path().join("cut.iso");
    std::fs::write(&cut, &whole[..400 * SECTOR as usize]).expect("write");
    let truncation = discus::info(&cut).expect("info").truncation.expect("found");
    assert_eq!(truncation.held, 400);
    assert!(truncation.recorded > 400, "{truncation}");
}
