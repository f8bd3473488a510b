//! Helpers shared by the integration tests: a sector source over memory, synthetic images,
//! packing through the real conversion loop, and an independent reader of what we write.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use discus_core::convert::{ConvertOptions, convert};
use discus_core::output::Destination;
use discus_core::{
    Compression, Disc, Form, Format, Lba, Result, SectorSource, Track, TrackMode, WriteOptions,
};

/// A single Mode 1 track of 2048-byte sectors held in memory: what an ISO reader gives.
pub struct MemorySource {
    pub data: Vec<u8>,
    pub disc: Disc,
    pub path: PathBuf,
    /// Sector from which reads fail, to test that a failed conversion leaves nothing behind.
    pub fail_from: Option<i32>,
}

impl MemorySource {
    pub fn new(data: Vec<u8>) -> MemorySource {
        assert_eq!(data.len() % 2048, 0, "an ISO is whole sectors");
        let sectors = (data.len() / 2048) as u32;
        MemorySource {
            data,
            disc: Disc::single_session(vec![Track::new(1, TrackMode::Mode1, Lba(0), sectors)]),
            path: PathBuf::from("memory.iso"),
            fail_from: None,
        }
    }
}

impl SectorSource for MemorySource {
    fn disc(&self) -> &Disc {
        &self.disc
    }
    fn stored_form(&self, _track: usize) -> Form {
        Form::Cooked
    }
    fn read(&mut self, _track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
        let last = lba.0 + (buf.len() / 2048) as i32;
        if self.fail_from.is_some_and(|from| last > from) {
            return Err(discus_core::Error::at_offset(
                &self.path,
                0,
                "simulated read failure",
            ));
        }
        let start = lba.0 as usize * 2048;
        buf.copy_from_slice(&self.data[start..start + buf.len()]);
        Ok(())
    }
    fn files(&self) -> Vec<PathBuf> {
        vec![self.path.clone()]
    }
}

/// xorshift64*: deterministic bytes for synthetic images.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// `sectors` sectors of mixed content in runs of a few KiB: zeros, text, random bytes, tables.
pub fn mixed_image(sectors: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed | 1);
    let words = [
        &b"the "[..],
        b"sector ",
        b"disc ",
        b"of ",
        b"and ",
        b"image ",
        b"block ",
        b"a ",
        b"compressed ",
        b"PSP\n",
        b"index ",
        b"to ",
    ];
    let mut data = vec![0u8; sectors * 2048];
    let mut at = 0;
    while at < data.len() {
        let run = ((1 + rng.next() % 6) as usize * 1536).min(data.len() - at);
        let chunk = &mut data[at..at + run];
        match rng.next() % 4 {
            0 => {} // zeros
            1 => {
                let mut i = 0;
                while i < chunk.len() {
                    let w = words[(rng.next() % words.len() as u64) as usize];
                    let n = w.len().min(chunk.len() - i);
                    chunk[i..i + n].copy_from_slice(&w[..n]);
                    i += n;
                }
            }
            2 => chunk.iter_mut().for_each(|b| *b = rng.next() as u8),
            _ => {
                for (i, b) in chunk.iter_mut().enumerate() {
                    *b = if i % 16 < 4 {
                        (i / 16) as u8
                    } else {
                        (rng.next() % 4) as u8
                    };
                }
            }
        }
        at += run;
    }
    data
}

/// Options with the given compression and thread count.
pub fn options(compression: Compression, threads: usize) -> WriteOptions {
    WriteOptions {
        threads,
        compression,
        ..WriteOptions::default()
    }
}

/// Converts `data` (an ISO image) to `format` at `path` through the real plan, sink and loop.
pub fn pack_to(format: &Format, options: &WriteOptions, data: &[u8], path: &Path) -> Result<()> {
    let mut source = MemorySource::new(data.to_vec());
    let writer = format.writer.expect("the format writes");
    let plan = (writer.plan)(&source, options)?;
    let destination = Destination {
        path: path.to_path_buf(),
        force: true,
        inputs: vec![],
        durable: false,
        run: None,
    };
    let sink = (writer.create)(&destination, &plan, options)?;
    convert(&mut source, &plan, sink, &ConvertOptions::default())?;
    Ok(())
}

/// Packs and returns the file's bytes.
pub fn pack(format: &Format, compression: Compression, threads: usize, data: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(format!("image.{}", format.extensions[0]));
    pack_to(format, &options(compression, threads), data, &path).expect("packing succeeds");
    std::fs::read(&path).expect("output exists")
}

/// Reads every sector of a packed file through our reader, in the conversion loop's runs.
pub fn unpack(path: &Path) -> Result<Vec<u8>> {
    let mut source = discus_cso::CompressedSource::open(path)?;
    let sectors = source.disc().total_sectors() as usize;
    let mut data = vec![0u8; sectors * 2048];
    let mut at = 0;
    while at < sectors {
        let run = (sectors - at).min(512);
        source.read(0, Lba(at as i32), &mut data[at * 2048..(at + run) * 2048])?;
        at += run;
    }
    Ok(data)
}

/// Writes `bytes` to a temporary file with extension `ext` and reads it back through our reader.
pub fn unpack_bytes(bytes: &[u8], ext: &str) -> Result<Vec<u8>> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(format!("image.{ext}"));
    std::fs::write(&path, bytes).expect("write");
    unpack(&path)
}

/// The corpus folder beside the project, if this machine has it.
pub fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/jspspemu");
    dir.join("cube.cso").exists().then_some(dir)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

/// An independent decoder of what we write, from the format notes alone: flate2 for deflate and
/// zlib (where the library uses libdeflate), the C LZ4 library for LZ4 (where it uses lz4_flex).
/// Returns the image bytes.
pub fn second_decoder(file: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let magic = &file[..4];
    if magic == b"DAX\0" {
        let size = u32_at(file, 4) as usize;
        assert_eq!(u32_at(file, 8), 0, "we write DAX version 0");
        let frames = size.div_ceil(8192);
        let mut out = Vec::with_capacity(frames * 8192);
        for frame in 0..frames {
            let offset = u32_at(file, 32 + frame * 4) as usize;
            let at = 32 + frames * 4 + frame * 2;
            let len = u16::from_le_bytes([file[at], file[at + 1]]) as usize;
            let mut block = Vec::new();
            flate2::read::ZlibDecoder::new(&file[offset..offset + len])
                .read_to_end(&mut block)
                .expect("zlib frame inflates");
            assert_eq!(block.len(), 8192, "frame {frame} inflates to a whole frame");
            out.extend_from_slice(&block);
        }
        out.truncate(size);
        return out;
    }
    let zso = magic == b"ZISO";
    assert!(zso || magic == b"CISO");
    assert_eq!(u32_at(file, 4), 24, "header size");
    let size = u64::from_le_bytes(file[8..16].try_into().expect("8 bytes")) as usize;
    let block_size = u32_at(file, 16) as usize;
    let version = file[20];
    let shift = file[21];
    assert_eq!(&file[22..24], &[0, 0], "unused bytes are zero");
    let blocks = size.div_ceil(block_size);
    let entry = |i: usize| u32_at(file, 24 + i * 4);
    let offset = |e: u32| ((e & 0x7FFF_FFFF) as usize) << shift;
    let end = offset(entry(blocks));
    if zso {
        // ZSO files are padded with zeros to whole 2048-byte sectors, after the last block.
        assert_eq!(file.len(), end.next_multiple_of(2048), "ZSO padded to 2048");
        assert!(file[end..].iter().all(|b| *b == 0), "the padding is zeros");
    } else {
        assert_eq!(end, file.len(), "the last entry is the end of the file");
    }
    assert_eq!(entry(blocks) & 0x8000_0000, 0, "the last entry has no flag");
    let mut out = Vec::with_capacity(blocks * block_size);
    for block in 0..blocks {
        let (e, next) = (entry(block), entry(block + 1));
        let span = &file[offset(e)..offset(next)];
        assert_eq!(offset(e) % (1 << shift), 0, "block {block} is aligned");
        let flagged = e & 0x8000_0000 != 0;
        let plain = if version == 2 {
            span.len() >= block_size
        } else {
            flagged
        };
        let lz4 = zso || (version == 2 && flagged);
        let decoded = if plain {
            span[..block_size].to_vec()
        } else if lz4 {
            let mut buf = vec![0u8; block_size];
            // The C library's safe decoder wants the exact block: strip alignment padding by
            // trying shorter spans, as a loader with a known output size effectively does.
            let mut end = span.len();
            loop {
                if matches!(lzzzz::lz4::decompress(&span[..end], &mut buf), Ok(n) if n == block_size)
                {
                    break;
                }
                assert!(
                    end > 0 && span.len() - end < (1 << shift),
                    "block {block} LZ4-decodes"
                );
                end -= 1;
            }
            buf
        } else {
            let mut buf = Vec::new();
            flate2::read::DeflateDecoder::new(span)
                .read_to_end(&mut buf)
                .expect("deflate block inflates");
            buf
        };
        assert_eq!(
            decoded.len(),
            block_size,
            "block {block} decodes to a whole block"
        );
        out.extend_from_slice(&decoded);
    }
    out.truncate(size);
    out
}

/// A reader written to Open PS2 Loader's rules: index at 24, the block count taken from the first
/// index entry, 2048-byte blocks, LZ4 with a known 2048-byte output, top bit = plain.
pub fn opl_reader(file: &[u8]) -> Vec<u8> {
    assert_eq!(&file[..4], b"ZISO");
    let align = file[21];
    let first = u32_at(file, 24) as usize;
    let blocks = ((first << align) - 24) / 4 - 1;
    let mut out = Vec::with_capacity(blocks * 2048);
    for lsn in 0..blocks {
        let e = u32_at(file, 24 + lsn * 4);
        let next = u32_at(file, 24 + lsn * 4 + 4);
        let start = ((e & 0x7FFF_FFFF) as usize) << align;
        let end = ((next & 0x7FFF_FFFF) as usize) << align;
        if e & 0x8000_0000 != 0 {
            out.extend_from_slice(&file[start..start + 2048]);
        } else {
            let mut buf = [0u8; 2048];
            let n = lzzzz::lz4::decompress(&file[start..end], &mut buf).expect("LZ4 block");
            assert_eq!(n, 2048);
            out.extend_from_slice(&buf);
        }
    }
    out
}
