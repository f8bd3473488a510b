//! Benchmark of the CSO family: compresses an ISO in each mode, decompresses it back, and prints
//! throughput, ratio and peak memory for each.
//!
//! ```text
//! cargo run --release --example cso_bench -p discus-cso -- FILE.iso [--threads N] [--modes LIST] [--encoders]
//! cargo run --release --example cso_bench -p discus-cso -- --generate FILE.iso [--size-mb N]
//! ```
//!
//! `--generate` writes a deterministic synthetic ISO of realistic content: runs of zeros (padding),
//! random bytes (compressed video and audio), text (scripts), tables of records and MIPS-like
//! code. `--modes` takes a comma list of `default,best,best-zlib,zso,zso-best,v2,v2-best,dax`; the
//! default list is `default,best,zso,v2,dax`. (The device presets belong to the `discus` facade and
//! are timed through `discus convert --target`.)
//! `--encoders` also times each encoder alone on one thread over the first 64 MiB (only those whose
//! name contains `CSO_BENCH_ONLY`, when that is set: `CSO_BENCH_ONLY=lz4hc`).
//! `--unpack FILE.cso` times only the conversion of a CSO, ZSO or DAX file back to an ISO.
//! Outputs go beside the input and are removed afterwards, unless `--keep` (the packed files).

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;
use std::time::Instant;

use discus_core::convert::{ConvertOptions, convert};
use discus_core::flat::{FlatSink, FlatSource};
use discus_core::output::Destination;
use discus_core::{Compression, Disc, Form, Lba, Track, TrackMode, WriteOptions};
use discus_cso::{CSO, CompressedSource, DAX, ZSO};

/// An ISO file as a source: one Mode 1 track of 2048-byte sectors from byte 0.
fn iso_source(path: &Path) -> std::io::Result<FlatSource> {
    let file = File::open(path)?;
    let sectors = (file.metadata()?.len() / 2048) as u32;
    let disc = Disc::single_session(vec![Track::new(1, TrackMode::Mode1, Lba(0), sectors)]);
    Ok(FlatSource::new(path, file, disc, Form::Cooked, 0))
}

/// splitmix64: a tiny deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Fills `chunk` with one kind of content, as files on a game disc are.
fn fill(rng: &mut Rng, words: &[Vec<u8>], chunk: &mut [u8]) {
    let kind = rng.below(100);
    match kind {
        // Padding and unused sectors.
        0..15 => chunk.fill(0),
        // Compressed video, audio and archives.
        15..45 => {
            for piece in chunk.chunks_mut(8) {
                let v = rng.next().to_le_bytes();
                piece.copy_from_slice(&v[..piece.len()]);
            }
        }
        // Scripts and dialog: words with a skewed frequency, punctuation, line breaks.
        45..70 => {
            let mut at = 0;
            while at < chunk.len() {
                let r = rng.next();
                let index = if r.is_multiple_of(4) {
                    (r >> 8) as usize % words.len()
                } else {
                    ((r >> 8) as usize % 48).min(words.len() - 1)
                };
                let word = &words[index];
                let sep: &[u8] = match (r >> 40) % 16 {
                    0 => b".\n",
                    1 => b", ",
                    _ => b" ",
                };
                for b in word.iter().chain(sep) {
                    if at < chunk.len() {
                        chunk[at] = *b;
                        at += 1;
                    }
                }
            }
        }
        // Tables: 32-byte records with a counter, a type from a few, small values and a name.
        70..90 => {
            let base = rng.next() as u32;
            for (n, record) in chunk.chunks_mut(32).enumerate() {
                let mut r = [0u8; 32];
                r[..4].copy_from_slice(&(base.wrapping_add(n as u32)).to_le_bytes());
                r[4..6].copy_from_slice(&((rng.below(6) as u16) * 0x101).to_le_bytes());
                r[6..8].copy_from_slice(&(rng.below(1000) as u16).to_le_bytes());
                let f = (rng.below(4096) as f32) / 16.0;
                r[8..12].copy_from_slice(&f.to_le_bytes());
                let word = &words[rng.below(48) as usize];
                let len = word.len().min(16);
                r[12..12 + len].copy_from_slice(&word[..len]);
                record.copy_from_slice(&r[..record.len()]);
            }
        }
        // Code: 32-bit instructions from a few opcodes with register fields and small immediates.
        _ => {
            const OPS: [u32; 8] = [
                0x2400_0000,
                0x8C00_0000,
                0xAC00_0000,
                0x0000_0021,
                0x1000_0000,
                0x0C00_0000,
                0x3C00_0000,
                0x2800_0000,
            ];
            for word in chunk.chunks_mut(4) {
                let r = rng.next();
                let op = OPS[(r % 8) as usize];
                let regs = ((r >> 8) as u32 & 0x1F) << 21 | ((r >> 16) as u32 & 0x1F) << 16;
                let imm = if r >> 60 < 12 {
                    (r >> 24) as u32 & 0xFF
                } else {
                    (r >> 24) as u32 & 0xFFFF
                };
                word.copy_from_slice(&(op | regs | imm).to_le_bytes()[..word.len()]);
            }
        }
    }
}

fn generate(path: &Path, size_mb: u64) -> std::io::Result<()> {
    let mut rng = Rng(0x00D1_5C05);
    let words: Vec<Vec<u8>> = (0..400)
        .map(|_| {
            let len = 2 + rng.below(9) as usize;
            (0..len).map(|_| b'a' + rng.below(26) as u8).collect()
        })
        .collect();
    let mut out = BufWriter::new(File::create(path)?);
    let mut chunk = vec![0u8; 32 * 1024];
    for _ in 0..size_mb * 32 {
        fill(&mut rng, &words, &mut chunk);
        out.write_all(&chunk)?;
    }
    out.flush()
}

/// CPU seconds this thread (`thread-self`) or process (`self`) has used so far (Linux; 0 elsewhere).
fn cpu_seconds(which: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{which}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; 100 ticks a second.
    (ticks(11) + ticks(12)) / 100.0
}

/// Resets the peak resident size the kernel keeps for this process (Linux).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The peak resident size since the last reset, in MiB (Linux).
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

struct Mode {
    name: &'static str,
    format: &'static discus_core::Format,
    compression: Compression,
}

fn modes(list: &str) -> Vec<Mode> {
    let all = vec![
        Mode {
            name: "default",
            format: &CSO,
            compression: Compression::default(),
        },
        Mode {
            name: "best",
            format: &CSO,
            compression: Compression {
                best: true,
                ..Compression::default()
            },
        },
        Mode {
            name: "best-zlib",
            format: &CSO,
            compression: Compression {
                best: true,
                encoder: Some("zlib".into()),
                ..Compression::default()
            },
        },
        Mode {
            name: "zso",
            format: &ZSO,
            compression: Compression::default(),
        },
        Mode {
            name: "zso-best",
            format: &ZSO,
            compression: Compression {
                best: true,
                ..Compression::default()
            },
        },
        Mode {
            name: "v2",
            format: &CSO,
            compression: Compression {
                version: Some(2),
                ..Compression::default()
            },
        },
        Mode {
            name: "v2-best",
            format: &CSO,
            compression: Compression {
                version: Some(2),
                best: true,
                ..Compression::default()
            },
        },
        Mode {
            name: "dax",
            format: &DAX,
            compression: Compression::default(),
        },
    ];
    let wanted: Vec<&str> = list.split(',').collect();
    all.into_iter()
        .filter(|m| wanted.contains(&m.name))
        .collect()
}

fn mb_per_s(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / 1e6 / seconds
}

fn run(
    input: &Path,
    threads: usize,
    list: &str,
    keep: bool,
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let size = std::fs::metadata(input)?.len();
    println!(
        "input {} ({:.1} MB), threads {}",
        input.display(),
        size as f64 / 1e6,
        if threads == 0 {
            "all".to_string()
        } else {
            threads.to_string()
        }
    );
    println!(
        "{:<16} {:>11} {:>9} {:>10} {:>8} {:>11} {:>8} {:>10} {:>11}",
        "mode",
        "size",
        "ratio",
        "pack MB/s",
        "cpu s",
        "unpack MB/s",
        "cpu s",
        "peak pack",
        "peak unpack"
    );
    for mode in modes(list) {
        let options = WriteOptions {
            threads,
            compression: mode.compression.clone(),
            ..WriteOptions::default()
        };
        let packed = input.with_extension(format!("bench.{}", mode.format.extensions[0]));
        let restored = input.with_extension("bench.iso");
        let _ = std::fs::remove_file(&packed);
        let _ = std::fs::remove_file(&restored);
        let writer = mode.format.writer.ok_or("format does not write")?;

        reset_peak();
        let cpu = cpu_seconds("self");
        let started = Instant::now();
        let mut source = iso_source(input)?;
        let plan = (writer.plan)(&source, &options)?;
        let destination = Destination {
            path: packed.clone(),
            force: true,
            inputs: vec![input.to_path_buf()],
            durable: false,
            run: None,
        };
        let sink = (writer.create)(&destination, &plan, &options)?;
        convert(&mut source, &plan, sink, &ConvertOptions::default())?;
        let pack_time = started.elapsed().as_secs_f64();
        let pack_cpu = cpu_seconds("self") - cpu;
        let pack_peak = peak_mib();
        let packed_size = std::fs::metadata(&packed)?.len();

        reset_peak();
        let cpu = cpu_seconds("self");
        let started = Instant::now();
        let mut source = CompressedSource::open(&packed)?;
        let plan = discus_core::Plan::keep_all(
            &source,
            discus_core::Capabilities::default(),
            |_, _| Form::Cooked,
            |_| (false, false),
        );
        let destination = Destination {
            path: restored.clone(),
            force: true,
            inputs: vec![packed.clone()],
            durable: false,
            run: None,
        };
        let sink = Box::new(FlatSink::create(&destination)?);
        convert(&mut source, &plan, sink, &ConvertOptions::default())?;
        let unpack_time = started.elapsed().as_secs_f64();
        let unpack_cpu = cpu_seconds("self") - cpu;
        let unpack_peak = peak_mib();
        let same = files_equal(input, &restored)?;

        println!(
            "{:<16} {:>11} {:>8.2}% {:>10.1} {:>8.1} {:>11.1} {:>8.1} {:>8.1}Mi {:>9.1}Mi{}",
            mode.name,
            packed_size,
            packed_size as f64 * 100.0 / size as f64,
            mb_per_s(size, pack_time),
            pack_cpu,
            mb_per_s(size, unpack_time),
            unpack_cpu,
            pack_peak,
            unpack_peak,
            if same { "" } else { "  MISMATCH" }
        );
        if !keep {
            let _ = std::fs::remove_file(&packed);
        }
        let _ = std::fs::remove_file(&restored);
    }
    Ok(())
}

/// Converts a CSO, ZSO or DAX file to an ISO beside it (then removed) and prints the speed.
fn unpack_only(packed: &Path) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let restored = packed.with_extension("bench.iso");
    let cpu = cpu_seconds("self");
    let started = Instant::now();
    let mut source = CompressedSource::open(packed)?;
    let plan = discus_core::Plan::keep_all(
        &source,
        discus_core::Capabilities::default(),
        |_, _| Form::Cooked,
        |_| (false, false),
    );
    let destination = Destination {
        path: restored.clone(),
        force: true,
        inputs: vec![packed.to_path_buf()],
        durable: false,
        run: None,
    };
    let sink = Box::new(FlatSink::create(&destination)?);
    let report = convert(&mut source, &plan, sink, &ConvertOptions::default())?;
    let seconds = started.elapsed().as_secs_f64();
    let bytes = report.sectors * 2048;
    println!(
        "unpack {}: {:.1} MB/s, {:.2} CPU s, {:.2} s",
        packed.display(),
        mb_per_s(bytes, seconds),
        cpu_seconds("self") - cpu,
        seconds
    );
    let _ = std::fs::remove_file(&restored);
    Ok(())
}

fn files_equal(a: &Path, b: &Path) -> std::io::Result<bool> {
    let (mut fa, mut fb) = (File::open(a)?, File::open(b)?);
    if fa.metadata()?.len() != fb.metadata()?.len() {
        return Ok(false);
    }
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = fa.read(&mut ba)?;
        if n == 0 {
            return Ok(true);
        }
        fb.read_exact(&mut bb[..n])?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
    }
}

/// Each encoder alone, one thread, 2048-byte blocks, over the first 64 MiB.
fn encoders(input: &Path) -> std::io::Result<()> {
    use flate2::{Compress, Compression as Level, FlushCompress};
    let mut data = vec![0u8; 64 << 20];
    let n = File::open(input)?.read(&mut data)?;
    data.truncate(n / 2048 * 2048);
    let mut out = vec![0u8; 4096];
    type Trial = (&'static str, Box<dyn FnMut(&[u8], &mut [u8]) -> usize>);
    let mut flate = Compress::new(Level::new(9), false);
    let deflate = |level: i32, strategy: zlib_rs::Strategy, mem_level: i32| {
        let mut d = zlib_rs::Deflate::new_with_config(zlib_rs::DeflateConfig {
            level,
            window_bits: -15,
            mem_level,
            strategy,
            ..zlib_rs::DeflateConfig::default()
        });
        move |input: &[u8], out: &mut [u8]| {
            d.reset();
            let _ = d.compress(input, out, zlib_rs::DeflateFlush::Finish);
            d.total_out() as usize
        }
    };
    let libdeflate = |level: i32| {
        let mut c = libdeflater::Compressor::new(
            libdeflater::CompressionLvl::new(level).unwrap_or_default(),
        );
        move |input: &[u8], out: &mut [u8]| c.deflate_compress(input, out).unwrap_or(input.len())
    };
    let trials: Vec<Trial> = vec![
        (
            "flate2 (default backend) 9",
            Box::new(move |input: &[u8], out: &mut [u8]| {
                flate.reset();
                let _ = flate.compress(input, out, FlushCompress::Finish);
                flate.total_out() as usize
            }),
        ),
        (
            "zlib-rs 9 mem 8",
            Box::new(deflate(9, zlib_rs::Strategy::Default, 8)),
        ),
        (
            "zlib-rs 6 mem 8",
            Box::new(deflate(6, zlib_rs::Strategy::Default, 8)),
        ),
        (
            "zlib-rs 7 mem 8",
            Box::new(deflate(7, zlib_rs::Strategy::Default, 8)),
        ),
        (
            "zlib-rs 8 mem 8",
            Box::new(deflate(8, zlib_rs::Strategy::Default, 8)),
        ),
        (
            "zlib-rs 9 mem 9",
            Box::new(deflate(9, zlib_rs::Strategy::Default, 9)),
        ),
        (
            "zlib-rs 9 filtered",
            Box::new(deflate(9, zlib_rs::Strategy::Filtered, 8)),
        ),
        (
            "zlib-rs 9 huffman",
            Box::new(deflate(9, zlib_rs::Strategy::HuffmanOnly, 8)),
        ),
        (
            "zlib-rs 9 rle",
            Box::new(deflate(9, zlib_rs::Strategy::Rle, 8)),
        ),
        ("libdeflate 12 + zlib-rs 9, smaller", {
            let mut ld = libdeflate(12);
            let mut zl = deflate(9, zlib_rs::Strategy::Default, 8);
            let mut spare = vec![0u8; 4096];
            Box::new(move |input: &[u8], out: &mut [u8]| {
                let a = ld(input, out);
                let b = zl(input, &mut spare);
                if b < a {
                    out[..b].copy_from_slice(&spare[..b]);
                }
                a.min(b)
            })
        }),
        ("libdeflate 6", Box::new(libdeflate(6))),
        ("libdeflate 8", Box::new(libdeflate(8))),
        ("libdeflate 9", Box::new(libdeflate(9))),
        ("libdeflate 10", Box::new(libdeflate(10))),
        ("libdeflate 11", Box::new(libdeflate(11))),
        ("libdeflate 12", Box::new(libdeflate(12))),
        (
            "lz4 fast (lzzzz, acc 1)",
            Box::new(|input: &[u8], out: &mut [u8]| {
                lzzzz::lz4::compress(input, out, 1).unwrap_or(input.len())
            }),
        ),
        (
            "lz4hc 2",
            Box::new(|input: &[u8], out: &mut [u8]| {
                lzzzz::lz4_hc::compress(input, out, 2).unwrap_or(input.len())
            }),
        ),
        (
            "lz4hc 3",
            Box::new(|input: &[u8], out: &mut [u8]| {
                lzzzz::lz4_hc::compress(input, out, 3).unwrap_or(input.len())
            }),
        ),
        (
            "lz4hc 4",
            Box::new(|input: &[u8], out: &mut [u8]| {
                lzzzz::lz4_hc::compress(input, out, 4).unwrap_or(input.len())
            }),
        ),
        (
            "lz4hc 6",
            Box::new(|input: &[u8], out: &mut [u8]| {
                lzzzz::lz4_hc::compress(input, out, 6).unwrap_or(input.len())
            }),
        ),
        (
            "lz4hc 9",
            Box::new(|input: &[u8], out: &mut [u8]| {
                lzzzz::lz4_hc::compress(input, out, 9).unwrap_or(input.len())
            }),
        ),
        (
            "lz4hc 12",
            Box::new(|input: &[u8], out: &mut [u8]| {
                lzzzz::lz4_hc::compress(input, out, 12).unwrap_or(input.len())
            }),
        ),
        (
            "lz4_flex",
            Box::new(|input: &[u8], out: &mut [u8]| {
                lz4_flex::block::compress_into(input, out).unwrap_or(input.len())
            }),
        ),
    ];
    println!(
        "\nencoders alone, MB/s per CPU-second of one thread, 2048-byte blocks, first {:.1} MB (each block's size capped at 2048, as stored):",
        data.len() as f64 / 1e6
    );
    let only = std::env::var("CSO_BENCH_ONLY").unwrap_or_default();
    for (name, mut trial) in trials {
        if !name.contains(only.as_str()) {
            continue;
        }
        let started = cpu_seconds("thread-self");
        let mut total = 0usize;
        for block in data.chunks(2048) {
            total += trial(block, &mut out).min(2048);
        }
        let seconds = cpu_seconds("thread-self") - started;
        println!(
            "  {:<28} {:>7.2}% {:>8.1} MB/s",
            name,
            total as f64 * 100.0 / data.len() as f64,
            mb_per_s(data.len() as u64, seconds)
        );
    }
    decoders(&data)
}

/// Each decoder alone, one thread, over the zlib-packed 2048-byte blocks of `data`.
fn decoders(data: &[u8]) -> std::io::Result<()> {
    let mut packed = Vec::new();
    let mut blocks = Vec::new();
    for block in data.chunks(2048) {
        let mut out = Vec::new();
        if discus_cso::codec::pack(
            &[discus_cso::codec::Method::Zlib(zlib_rs::Strategy::Default)],
            discus_cso::codec::Wrap::Raw,
            block,
            None,
            &mut out,
        )
        .is_some()
            && out.len() < 2048
        {
            blocks.push(packed.len()..packed.len() + out.len());
            packed.extend_from_slice(&out);
        }
    }
    let bytes = (blocks.len() * 2048) as u64;
    println!(
        "\ndecoders alone, MB/s of output per CPU-second, {} deflate blocks:",
        blocks.len()
    );
    let mut out = vec![0u8; 2048];
    let mut libdeflate = libdeflater::Decompressor::new();
    let started = cpu_seconds("thread-self");
    for r in &blocks {
        let _ = libdeflate.deflate_decompress(&packed[r.clone()], &mut out);
    }
    println!(
        "  {:<28} {:>8.1} MB/s",
        "libdeflate",
        mb_per_s(bytes, cpu_seconds("thread-self") - started)
    );
    let mut inflate = zlib_rs::Inflate::new(false, 15);
    let started = cpu_seconds("thread-self");
    for r in &blocks {
        inflate.reset(false);
        let _ = inflate.decompress(&packed[r.clone()], &mut out, zlib_rs::InflateFlush::Finish);
    }
    println!(
        "  {:<28} {:>8.1} MB/s",
        "zlib-rs",
        mb_per_s(bytes, cpu_seconds("thread-self") - started)
    );
    let mut flate = flate2::Decompress::new(false);
    let started = cpu_seconds("thread-self");
    for r in &blocks {
        flate.reset(false);
        let _ = flate.decompress(
            &packed[r.clone()],
            &mut out,
            flate2::FlushDecompress::Finish,
        );
    }
    println!(
        "  {:<28} {:>8.1} MB/s",
        "flate2 (default backend)",
        mb_per_s(bytes, cpu_seconds("thread-self") - started)
    );
    let started = cpu_seconds("thread-self");
    for r in &blocks {
        let _ = discus_cso::codec::unpack(
            discus_cso::header::Packing::Deflate,
            &packed[r.clone()],
            &mut out,
            None,
        );
    }
    println!(
        "  {:<28} {:>8.1} MB/s",
        "codec::unpack",
        mb_per_s(bytes, cpu_seconds("thread-self") - started)
    );
    Ok(())
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    if let Some(path) = value("--unpack") {
        return unpack_only(Path::new(&path));
    }
    if let Some(path) = value("--generate") {
        let size_mb = value("--size-mb")
            .and_then(|v| v.parse().ok())
            .unwrap_or(512);
        generate(Path::new(&path), size_mb)?;
        println!("wrote {path} ({size_mb} MiB)");
        return Ok(());
    }
    let Some(input) = args.iter().find(|a| {
        !a.starts_with("--")
            && Some(*a) != value("--threads").as_ref()
            && Some(*a) != value("--modes").as_ref()
    }) else {
        eprintln!(
            "usage: cso_bench FILE.iso [--threads N] [--modes LIST] [--encoders] | --generate FILE.iso [--size-mb N]"
        );
        std::process::exit(2);
    };
    let threads = value("--threads").and_then(|v| v.parse().ok()).unwrap_or(0);
    let list = value("--modes").unwrap_or_else(|| "default,best,zso,v2,dax".to_string());
    if args.iter().any(|a| a == "--encoders") {
        encoders(Path::new(input))?;
    }
    let keep = args.iter().any(|a| a == "--keep");
    run(Path::new(input), threads, &list, keep)
}
