//! Layouts other writers make and discus does not: index shifts with padded blocks, a header size
//! of 0, a short last block left unpadded, LZ4 spans with padding after the block, DAX version 1
//! with NC areas. Each file is built by hand from the format notes and must read back exactly.

mod common;

use std::io::Write;

use common::{mixed_image, unpack_bytes};

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Plain,
    Deflate,
    Lz4,
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
    encoder.write_all(data).expect("deflate");
    encoder.finish().expect("deflate")
}

fn lz4(data: &[u8]) -> Vec<u8> {
    lz4_flex::block::compress(data)
}

/// The header fields and habits of the writer being imitated.
struct Writer {
    magic: &'static [u8; 4],
    version: u8,
    /// The header size field (old CSO v1 writers leave 0).
    header_size: u32,
    shift: u8,
    block_size: usize,
    /// Pad the short last block to a whole block before packing, as maxcso does.
    pad_last: bool,
}

/// A CSO / ZSO file of `data` as `writer` would make it, each block packed as `kind_of` says and
/// padded with zeros to the alignment.
fn build(writer: &Writer, data: &[u8], kind_of: impl Fn(usize) -> Kind) -> Vec<u8> {
    let Writer {
        magic,
        version,
        header_size,
        shift,
        block_size,
        pad_last,
    } = *writer;
    let blocks = data.len().div_ceil(block_size);
    let align = 1usize << shift;
    let mut file = Vec::new();
    file.extend_from_slice(magic);
    file.extend_from_slice(&header_size.to_le_bytes());
    file.extend_from_slice(&(data.len() as u64).to_le_bytes());
    file.extend_from_slice(&(block_size as u32).to_le_bytes());
    file.extend_from_slice(&[version, shift, 0, 0]);
    let index_at = file.len();
    file.resize(index_at + (blocks + 1) * 4, 0);
    file.resize(file.len().next_multiple_of(align), 0);
    let mut entries = Vec::new();
    for (i, chunk) in data.chunks(block_size).enumerate() {
        let mut input = chunk.to_vec();
        if pad_last {
            input.resize(block_size, 0);
        }
        let mut kind = kind_of(i);
        // A real writer stores a block plain when packing does not shrink it (in v2 a span of a
        // whole block means plain whatever the flag).
        let shrinks = |packed: Vec<u8>| packed.len() < input.len();
        if (kind == Kind::Deflate && !shrinks(deflate(&input)))
            || (kind == Kind::Lz4 && !shrinks(lz4(&input)))
        {
            kind = Kind::Plain;
        }
        let (bytes, flag) = match kind {
            Kind::Plain => (input.clone(), version != 2),
            Kind::Deflate => (deflate(&input), false),
            Kind::Lz4 => (lz4(&input), version == 2),
        };
        let flag = if flag { 0x8000_0000u32 } else { 0 };
        entries.push((file.len() >> shift) as u32 | flag);
        file.extend_from_slice(&bytes);
        // Padding after the data: the next block starts aligned.
        file.resize(file.len().next_multiple_of(align), 0);
    }
    entries.push((file.len() >> shift) as u32);
    for (i, entry) in entries.iter().enumerate() {
        file[index_at + i * 4..index_at + i * 4 + 4].copy_from_slice(&entry.to_le_bytes());
    }
    file
}

#[test]
fn cso_v1_with_a_shift_and_padding_reads_back() {
    let data = mixed_image(45, 31);
    for shift in [0u8, 2, 4, 11] {
        for header_size in [0, 24] {
            for pad_last in [false, true] {
                let kind = |i: usize| {
                    if i.is_multiple_of(3) {
                        Kind::Plain
                    } else {
                        Kind::Deflate
                    }
                };
                let writer = Writer {
                    magic: b"CISO",
                    version: 1,
                    header_size,
                    shift,
                    block_size: 16384,
                    pad_last,
                };
                let file = build(&writer, &data, kind);
                let read = unpack_bytes(&file, "cso").expect("reads");
                assert!(
                    read == data,
                    "shift {shift} header {header_size} pad {pad_last}"
                );
            }
        }
    }
}

#[test]
fn cso_v2_mixing_deflate_lz4_and_plain_reads_back() {
    let data = mixed_image(64, 32);
    for shift in [0u8, 1, 3] {
        let kind = |i: usize| match i % 3 {
            0 => Kind::Deflate,
            1 => Kind::Lz4,
            _ => Kind::Plain,
        };
        // v2 plain blocks must fill the block, so the short last block is always padded here.
        let writer = Writer {
            magic: b"CISO",
            version: 2,
            header_size: 24,
            shift,
            block_size: 4096,
            pad_last: true,
        };
        let file = build(&writer, &data, kind);
        let read = unpack_bytes(&file, "cso").expect("reads");
        assert!(read == data, "shift {shift}");
    }
}

#[test]
fn zso_with_padded_lz4_spans_reads_back() {
    let data = mixed_image(51, 33); // a short last block
    for shift in [0u8, 1, 2, 5] {
        for pad_last in [false, true] {
            let kind = |i: usize| if i % 5 == 4 { Kind::Plain } else { Kind::Lz4 };
            let writer = Writer {
                magic: b"ZISO",
                version: 1,
                header_size: 24,
                shift,
                block_size: 4096,
                pad_last,
            };
            let file = build(&writer, &data, kind);
            let read = unpack_bytes(&file, "zso").expect("reads");
            assert!(read == data, "shift {shift} pad {pad_last}");
        }
    }
}

#[test]
fn dax_version_1_with_nc_areas_reads_back() {
    let data = mixed_image(45, 34); // 11.25 frames: a short last frame
    let frames = data.len().div_ceil(8192);
    let plain = |f: usize| (3..6).contains(&f) || f == 9;
    let mut file = Vec::new();
    file.extend_from_slice(b"DAX\0");
    file.extend_from_slice(&(data.len() as u32).to_le_bytes());
    file.extend_from_slice(&1u32.to_le_bytes());
    file.extend_from_slice(&2u32.to_le_bytes()); // two NC areas
    file.extend_from_slice(&[0; 16]);
    let tables = file.len();
    file.resize(tables + frames * 6 + 2 * 8, 0);
    let areas = tables + frames * 6;
    for (n, (start, count)) in [(3u32, 3u32), (9, 1)].iter().enumerate() {
        file[areas + n * 8..areas + n * 8 + 4].copy_from_slice(&start.to_le_bytes());
        file[areas + n * 8 + 4..areas + n * 8 + 8].copy_from_slice(&count.to_le_bytes());
    }
    for (f, chunk) in data.chunks(8192).enumerate() {
        let bytes = if plain(f) {
            chunk.to_vec()
        } else {
            let mut encoder =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            encoder.write_all(chunk).expect("zlib");
            encoder.finish().expect("zlib")
        };
        let offset = file.len() as u32;
        file[tables + f * 4..tables + f * 4 + 4].copy_from_slice(&offset.to_le_bytes());
        let at = tables + frames * 4 + f * 2;
        file[at..at + 2].copy_from_slice(&(bytes.len() as u16).to_le_bytes());
        file.extend_from_slice(&bytes);
    }
    let read = unpack_bytes(&file, "dax").expect("reads");
    assert!(read == data);
}
