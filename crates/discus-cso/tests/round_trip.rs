//! ISO → CSO v1 / CSO v2 / ZSO / DAX → ISO must give back every byte, read by our reader and by an
//! independent one; the output must not depend on the thread count; the presets must produce what
//! their loaders read.

mod common;

use common::{mixed_image, opl_reader, pack, second_decoder, unpack_bytes};
use discus_core::{Compression, Format, Lba, SectorSource};
use discus_cso::{CSO, CompressedSource, DAX, ZSO};

fn compression(block_size: Option<u32>, version: Option<u8>, encoder: Option<&str>) -> Compression {
    Compression {
        block_size,
        version,
        encoder: encoder.map(str::to_string),
        ..Compression::default()
    }
}

/// Packs, then checks both readers give back `data` exactly.
fn round_trip(format: &Format, compression: Compression, data: &[u8]) -> Vec<u8> {
    let packed = pack(format, compression.clone(), 2, data);
    let ours = unpack_bytes(&packed, format.extensions[0]).expect("our reader reads it");
    assert!(
        ours == data,
        "{} {compression:?}: our reader differs",
        format.name
    );
    let theirs = second_decoder(&packed);
    assert!(
        theirs == data,
        "{} {compression:?}: second decoder differs",
        format.name
    );
    packed
}

#[test]
fn every_container_round_trips_mixed_data() {
    // 37 sectors: not a multiple of 8 (DAX frames) or of 16 KiB blocks, so the last block is short.
    for sectors in [1, 37, 300] {
        let data = mixed_image(sectors, sectors as u64);
        round_trip(&CSO, Compression::default(), &data);
        round_trip(&CSO, compression(None, Some(2), None), &data);
        round_trip(&ZSO, Compression::default(), &data);
        round_trip(&DAX, Compression::default(), &data);
        for block in [4096, 16384, 65536] {
            round_trip(&CSO, compression(Some(block), None, None), &data);
            round_trip(
                &CSO,
                compression(Some(block), Some(2), Some("lz4hc")),
                &data,
            );
            round_trip(&ZSO, compression(Some(block), None, None), &data);
        }
    }
}

#[test]
fn every_encoder_round_trips() {
    let data = mixed_image(80, 7);
    for encoder in ["zlib", "libdeflate"] {
        round_trip(&CSO, compression(None, None, Some(encoder)), &data);
        round_trip(&DAX, compression(None, None, Some(encoder)), &data);
    }
    for encoder in ["zlib", "libdeflate", "lz4hc", "lz4"] {
        round_trip(&CSO, compression(None, Some(2), Some(encoder)), &data);
    }
    for encoder in ["lz4hc", "lz4"] {
        round_trip(&ZSO, compression(None, None, Some(encoder)), &data);
    }
}

#[test]
fn best_is_never_bigger_than_the_default() {
    let data = mixed_image(200, 11);
    let default = round_trip(&CSO, Compression::default(), &data);
    let best = round_trip(
        &CSO,
        Compression {
            best: true,
            ..Compression::default()
        },
        &data,
    );
    let psp_best = round_trip(
        &CSO,
        Compression {
            best: true,
            encoder: Some("zlib".into()),
            ..Compression::default()
        },
        &data,
    );
    assert!(
        best.len() <= default.len(),
        "{} > {}",
        best.len(),
        default.len()
    );
    assert!(psp_best.len() <= default.len());
    let v2 = round_trip(&CSO, compression(None, Some(2), None), &data);
    let v2_best = round_trip(
        &CSO,
        Compression {
            version: Some(2),
            best: true,
            ..Compression::default()
        },
        &data,
    );
    assert!(v2_best.len() <= v2.len());
    let zso = round_trip(&ZSO, Compression::default(), &data);
    let zso_best = round_trip(
        &ZSO,
        Compression {
            best: true,
            ..Compression::default()
        },
        &data,
    );
    assert!(zso_best.len() <= zso.len());
}

#[test]
fn min_saving_stores_more_blocks_plain() {
    let data = mixed_image(200, 3);
    let default = round_trip(&CSO, Compression::default(), &data);
    let strict = round_trip(
        &CSO,
        Compression {
            min_saving: Some(0.9),
            ..Compression::default()
        },
        &data,
    );
    assert!(strict.len() > default.len());
}

#[test]
fn the_output_does_not_depend_on_the_thread_count() {
    // More than one 4 MiB batch, so batches and their order are exercised too.
    let data = mixed_image(2600, 5);
    let cases = [
        (&CSO, Compression::default()),
        (&CSO, compression(Some(16384), Some(2), None)),
        (&ZSO, Compression::default()),
        (&DAX, Compression::default()),
    ];
    for (format, compression) in cases {
        let one = pack(format, compression.clone(), 1, &data);
        let four = pack(format, compression.clone(), 4, &data);
        assert!(
            one == four,
            "{} {compression:?}: 1 and 4 threads differ",
            format.name
        );
        assert!(second_decoder(&one) == data);
        // Read in runs of 512 sectors, as a conversion does.
        let ours = unpack_bytes(&one, format.extensions[0]).expect("reads");
        assert!(
            ours == data,
            "{} {compression:?}: read in order",
            format.name
        );
    }
}

#[test]
fn random_access_reads_any_run_of_sectors() {
    let data = mixed_image(150, 9);
    for (format, block) in [(&CSO, 16384), (&ZSO, 2048), (&DAX, 8192)] {
        let packed = pack(format, compression(Some(block), None, None), 2, &data);
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("image");
        std::fs::write(&path, &packed).expect("write");
        let mut source = CompressedSource::open(&path).expect("opens");
        let mut state = 12345u64;
        for _ in 0..200 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let first = (state >> 33) as usize % 150;
            let count = 1 + (state >> 20) as usize % (150 - first).min(40);
            let mut buf = vec![0u8; count * 2048];
            source.read(0, Lba(first as i32), &mut buf).expect("reads");
            assert!(
                buf == data[first * 2048..(first + count) * 2048],
                "sectors {first}+{count}"
            );
        }
        let mut buf = vec![0u8; 2048];
        assert!(source.read(0, Lba(150), &mut buf).is_err(), "past the end");
        assert!(source.read(1, Lba(0), &mut buf).is_err(), "no second track");
    }
}

#[test]
fn runs_in_and_out_of_order_read_back() {
    let data = mixed_image(2600, 13);
    let packed = pack(&ZSO, Compression::default(), 2, &data);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("image.zso");
    std::fs::write(&path, &packed).expect("write");
    let mut source = CompressedSource::open(&path).expect("opens");
    // Whole runs in order, a jump, back again, runs that start or end inside a block.
    let runs = [
        (0, 512),
        (512, 512),
        (2000, 100),
        (1024, 512),
        (1536, 512),
        (2048, 512),
        (2560, 40),
        (1, 511),
        (512, 512),
        (1024, 512),
    ];
    for (first, count) in runs {
        let mut buf = vec![0u8; count * 2048];
        source.read(0, Lba(first as i32), &mut buf).expect("reads");
        assert!(
            buf == data[first * 2048..(first + count) * 2048],
            "run {first}+{count}"
        );
    }
}

#[test]
fn an_error_deep_in_a_run_names_its_block() {
    let data = mixed_image(2600, 14);
    let mut packed = pack(&CSO, Compression::default(), 2, &data);
    // Corrupt a packed block in the fourth run of 512, decoded in parallel with its neighbours.
    let entry = |file: &[u8], i: usize| {
        u32::from_le_bytes(file[24 + i * 4..28 + i * 4].try_into().expect("4 bytes"))
    };
    let block = (1600..2000)
        .find(|i| entry(&packed, *i) & 0x8000_0000 == 0)
        .expect("a packed block");
    let at = entry(&packed, block) as usize;
    packed[at..at + 4].copy_from_slice(&[0xFF; 4]);
    let error = unpack_bytes(&packed, "cso").expect_err("the corrupt block is found");
    assert!(
        matches!(
            error,
            discus_core::Error::Invalid {
                at: discus_core::Location::Block(b),
                ..
            } if b == block as u64
        ),
        "{error}"
    );
}

#[test]
fn zso_in_2048_byte_blocks_is_read_by_opl_rules() {
    // The settings of the `ps2-opl` preset (the preset itself is the facade's, tested there).
    let settings = Compression {
        block_size: Some(2048),
        version: Some(1),
        encoder: Some("lz4hc".to_string()),
        ..Compression::default()
    };
    let data = mixed_image(300, 21);
    let packed = round_trip(&ZSO, settings, &data);
    assert_eq!(&packed[4..8], &24u32.to_le_bytes(), "header size 0x18");
    assert_eq!(packed[20], 1, "version 1");
    assert_eq!(packed[21], 0, "index shift 0");
    assert_eq!(
        u32::from_le_bytes(packed[16..20].try_into().expect("4")),
        2048
    );
    assert!(opl_reader(&packed) == data);
    // OPL and hdl-dump read the file in whole 2048-byte sectors.
    assert_eq!(packed.len() % 2048, 0, "{} bytes", packed.len());
}

#[test]
fn info_counts_the_blocks() {
    let data = mixed_image(100, 4);
    let packed = pack(&CSO, compression(None, Some(2), None), 2, &data);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("image.cso");
    std::fs::write(&path, &packed).expect("write");
    let source = CompressedSource::open(&path).expect("opens");
    let details = source.details();
    let get = |label: &str| {
        details
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(get("format"), "CSO v2");
    assert_eq!(get("block size"), "2048");
    assert_eq!(get("blocks"), "100");
    let sum: u64 = ["deflate blocks", "LZ4 blocks", "plain blocks"]
        .iter()
        .map(|l| get(l).parse::<u64>().expect("a count"))
        .sum();
    assert_eq!(sum, 100);
    assert!(get("ratio").contains('%'));
    assert_eq!(source.disc().total_sectors(), 100);
}

#[test]
fn corpus_cube_cso_decodes_to_cube_iso() {
    let Some(dir) = common::corpus() else {
        eprintln!("corpus not found; skipped");
        return;
    };
    let iso = std::fs::read(dir.join("cube.iso")).expect("cube.iso");
    let decoded = common::unpack(&dir.join("cube.cso")).expect("cube.cso reads");
    assert!(decoded == iso, "cube.cso decodes to exactly cube.iso");
    let test = common::unpack(&dir.join("test.cso")).expect("test.cso reads");
    assert_eq!(test.len(), 6_369_280);
    assert_eq!(
        &test[16 * 2048 + 1..16 * 2048 + 6],
        b"CD001",
        "an ISO 9660 volume"
    );
    let source = CompressedSource::open(&dir.join("cube.cso")).expect("opens");
    assert!(source.warnings().is_empty(), "{:?}", source.warnings());
}

#[test]
fn corpus_cube_iso_round_trips_through_every_container() {
    let Some(dir) = common::corpus() else {
        eprintln!("corpus not found; skipped");
        return;
    };
    let iso = std::fs::read(dir.join("cube.iso")).expect("cube.iso");
    round_trip(&CSO, Compression::default(), &iso);
    round_trip(&CSO, compression(Some(16384), Some(2), None), &iso);
    round_trip(&ZSO, Compression::default(), &iso);
    round_trip(&DAX, Compression::default(), &iso);
    let original = std::fs::metadata(dir.join("cube.cso"))
        .expect("cube.cso")
        .len() as usize;
    let ours = pack(&CSO, Compression::default(), 2, &iso);
    // The corpus file was made by another zlib-based tool; ours is in the same range.
    assert!(
        ours.len() <= original + original / 20,
        "{} vs {original}",
        ours.len()
    );
}
