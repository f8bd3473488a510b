//! A hand-made ISO 9660 image with what mastering tools rarely write but real discs hold:
//! several versions of one name, an interleaved file, a multi-extent file, a hidden file, an
//! extended attribute record, and a file whose data lies past the image.

use std::io::Read;

use discus_core::flat::FlatSource;
use discus_core::{Disc, Form};
use discus_fs::{Image, Kind, TreeKind};

const BLOCK: usize = 2048;

fn both32(v: u32) -> [u8; 8] {
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&v.to_le_bytes());
    out[4..].copy_from_slice(&v.to_be_bytes());
    out
}

/// A directory record.
fn record(name: &[u8], extent: u32, size: u32, flags: u8, unit: u8, gap: u8, ear: u8) -> Vec<u8> {
    let mut r = vec![0u8; 33];
    r[1] = ear;
    r[2..10].copy_from_slice(&both32(extent));
    r[10..18].copy_from_slice(&both32(size));
    r[18..25].copy_from_slice(&[120, 5, 28, 16, 14, 19, 0]);
    r[25] = flags;
    r[26] = unit;
    r[27] = gap;
    r[28..32].copy_from_slice(&[1, 0, 0, 1]);
    r[32] = name.len() as u8;
    r.extend_from_slice(name);
    if r.len() % 2 == 1 {
        r.push(0);
    }
    r[0] = r.len() as u8;
    r
}

/// Fills block `block` with the byte `value`.
fn fill(image: &mut [u8], block: usize, value: u8) {
    image[block * BLOCK..(block + 1) * BLOCK].fill(value);
}

fn build() -> Vec<u8> {
    let blocks = 40usize;
    let mut image = vec![0u8; blocks * BLOCK];
    let pvd = 16 * BLOCK;
    image[pvd] = 1;
    image[pvd + 1..pvd + 6].copy_from_slice(b"CD001");
    image[pvd + 6] = 1;
    image[pvd + 40..pvd + 44].copy_from_slice(b"TEST");
    image[pvd + 80..pvd + 88].copy_from_slice(&both32(blocks as u32 + 100));
    image[pvd + 128..pvd + 132].copy_from_slice(&[0, 8, 8, 0]);
    let root = record(&[0], 18, BLOCK as u32, 2, 0, 0, 0);
    image[pvd + 156..pvd + 156 + 34].copy_from_slice(&root);
    let terminator = 17 * BLOCK;
    image[terminator] = 255;
    image[terminator + 1..terminator + 6].copy_from_slice(b"CD001");
    let mut dir = Vec::new();
    dir.extend(record(&[0], 18, BLOCK as u32, 2, 0, 0, 0));
    dir.extend(record(&[1], 18, BLOCK as u32, 2, 0, 0, 0));
    // Version 2 comes after version 1 here: the highest wins, wherever it is.
    dir.extend(record(b"A.TXT;1", 20, 5, 0, 0, 0, 0));
    dir.extend(record(b"A.TXT;2", 21, 5, 0, 0, 0, 0));
    // One block of data, one block of gap, twice.
    dir.extend(record(b"INTER.BIN;1", 22, 4096, 0, 1, 1, 0));
    // Two extents: a whole block, then 100 bytes.
    dir.extend(record(b"MULTI.BIN;1", 26, 2048, 0x80, 0, 0, 0));
    dir.extend(record(b"MULTI.BIN;1", 28, 100, 0, 0, 0, 0));
    dir.extend(record(b"HIDDEN.;1", 29, 3, 1, 0, 0, 0));
    // One block of extended attributes before the data.
    dir.extend(record(b"EAR.BIN;1", 30, 4, 0, 0, 0, 1));
    dir.extend(record(b"FAR.BIN;1", 1000, 4096, 0, 0, 0, 0));
    // An XA record marking Mode 2 Form 2 data (attributes 0x1555 as on a Video CD).
    let mut xa = record(b"MOVIE.STR;1", 32, 2048, 0, 0, 0, 0);
    xa.extend_from_slice(&[0, 0, 0, 0, 0x15, 0x55, b'X', b'A', 1, 0, 0, 0, 0, 0]);
    xa[0] = xa.len() as u8;
    dir.extend(xa);
    image[18 * BLOCK..18 * BLOCK + dir.len()].copy_from_slice(&dir);
    image[20 * BLOCK..20 * BLOCK + 5].copy_from_slice(b"one\n\n");
    image[21 * BLOCK..21 * BLOCK + 5].copy_from_slice(b"two\n\n");
    fill(&mut image, 22, b'a');
    fill(&mut image, 23, b'X');
    fill(&mut image, 24, b'b');
    fill(&mut image, 26, b'm');
    fill(&mut image, 28, b'n');
    image[29 * BLOCK..29 * BLOCK + 3].copy_from_slice(b"shh");
    fill(&mut image, 30, b'E');
    image[31 * BLOCK..31 * BLOCK + 4].copy_from_slice(b"data");
    image
}

fn open(image: &[u8]) -> (tempfile::TempDir, Image) {
    let dir = tempfile::tempdir().expect("temp");
    let path = dir.path().join("synthetic.iso");
    std::fs::write(&path, image).expect("write");
    let file = std::fs::File::open(&path).expect("open");
    let disc = Disc::user_data_image((image.len() / BLOCK) as u32);
    let source = FlatSource::new(&path, file, disc, Form::Cooked, 0);
    let opened = Image::open(Box::new(source), &path).expect("image");
    (dir, opened)
}

fn read(image: &mut Image, node: &discus_fs::Node) -> Vec<u8> {
    let mut out = Vec::new();
    image
        .open_file(node)
        .expect("stream")
        .read_to_end(&mut out)
        .expect("read");
    out
}

#[test]
fn i16_1_versions_interleave_multi_extent_hidden_and_ear() {
    let (_dir, mut image) = open(&build());
    assert_eq!(image.trees(), [TreeKind::Iso9660]);
    assert_eq!(image.volume().map(|v| v.label.as_str()), Some("TEST"));
    let tree = image.tree(None).expect("tree");
    let names: Vec<&str> = tree
        .root()
        .children
        .iter()
        .map(|&c| tree.nodes[c].name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "A.TXT",
            "INTER.BIN",
            "MULTI.BIN",
            "HIDDEN",
            "EAR.BIN",
            "FAR.BIN",
            "MOVIE.STR"
        ]
    );
    let node = |name: &str| tree.nodes[tree.lookup(name).expect(name)].clone();
    assert_eq!(read(&mut image, &node("A.TXT")), b"two\n\n");
    let inter = read(&mut image, &node("INTER.BIN"));
    assert_eq!(inter.len(), 4096);
    assert!(inter[..2048].iter().all(|&b| b == b'a') && inter[2048..].iter().all(|&b| b == b'b'));
    let multi = read(&mut image, &node("MULTI.BIN"));
    assert_eq!(multi.len(), 2148);
    assert!(multi[..2048].iter().all(|&b| b == b'm') && multi[2048..].iter().all(|&b| b == b'n'));
    let hidden = node("HIDDEN");
    assert!(hidden.hidden);
    assert_eq!(read(&mut image, &hidden), b"shh");
    assert_eq!(read(&mut image, &node("EAR.BIN")), b"data");
    // Listed, but its data lies past the image: refused with the record's sector.
    let far = node("FAR.BIN");
    assert_eq!(far.kind, Kind::File);
    let error = image.open_file(&far).err().expect("refused").to_string();
    assert!(
        error.contains("LBA 18") && error.contains("past the end"),
        "{error}"
    );
}

#[test]
fn i16_2_seeking_in_a_multi_extent_file_lands_in_the_right_extent() {
    use std::io::{Seek, SeekFrom};
    let (_dir, mut image) = open(&build());
    let tree = image.tree(None).expect("tree");
    let multi = tree.nodes[tree.lookup("MULTI.BIN").expect("multi")].clone();
    let mut stream = image.open_file(&multi).expect("stream");
    stream.seek(SeekFrom::Start(2046)).expect("seek");
    let mut four = [0u8; 4];
    stream.read_exact(&mut four).expect("read");
    assert_eq!(&four, b"mmnn");
    stream.seek(SeekFrom::End(-1)).expect("seek");
    assert_eq!(stream.read(&mut four).expect("read"), 1);
}

/// A High Sierra directory record: a 6-byte date and the flags at byte 24.
fn hs_record(name: &[u8], extent: u32, size: u32, flags: u8) -> Vec<u8> {
    let mut r = record(name, extent, size, 0, 0, 0, 0);
    r[18..24].copy_from_slice(&[86, 3, 14, 12, 30, 0]);
    r[24] = flags;
    r[25] = 0;
    r
}

#[test]
fn i16_1_high_sierra_volume_lists_and_reads() {
    let blocks = 24usize;
    let mut image = vec![0u8; blocks * BLOCK];
    let pvd = 16 * BLOCK;
    // The block number, then type 1, `CDROM`, version 1; every field 8 bytes later than ISO 9660.
    image[pvd..pvd + 8].copy_from_slice(&both32(16));
    image[pvd + 8] = 1;
    image[pvd + 9..pvd + 14].copy_from_slice(b"CDROM");
    image[pvd + 14] = 1;
    let root = hs_record(&[0], 18, BLOCK as u32, 2);
    image[pvd + 180..pvd + 180 + root.len()].copy_from_slice(&root);
    let terminator = 17 * BLOCK;
    image[terminator + 8] = 255;
    image[terminator + 9..terminator + 14].copy_from_slice(b"CDROM");
    let mut dir = Vec::new();
    dir.extend(hs_record(&[0], 18, BLOCK as u32, 2));
    dir.extend(hs_record(&[1], 18, BLOCK as u32, 2));
    dir.extend(hs_record(b"README.TXT;1", 20, 6, 0));
    dir.extend(hs_record(b"SUB;1", 19, BLOCK as u32, 2));
    image[18 * BLOCK..18 * BLOCK + dir.len()].copy_from_slice(&dir);
    let mut sub = Vec::new();
    sub.extend(hs_record(&[0], 19, BLOCK as u32, 2));
    sub.extend(hs_record(&[1], 18, BLOCK as u32, 2));
    image[19 * BLOCK..19 * BLOCK + sub.len()].copy_from_slice(&sub);
    image[20 * BLOCK..20 * BLOCK + 6].copy_from_slice(b"1986!\n");
    let (_dir, mut opened) = open(&image);
    assert_eq!(opened.trees(), [TreeKind::Iso9660]);
    let tree = opened.tree(None).expect("tree");
    let readme = tree.nodes[tree.lookup("README.TXT").expect("readme")].clone();
    assert_eq!(readme.kind, Kind::File);
    assert_eq!(
        readme.modified.map(|t| t.display()),
        Some("1986-03-14 12:30:00".to_string())
    );
    assert_eq!(read(&mut opened, &readme), b"1986!\n");
    // The flags at byte 24 make SUB a folder.
    assert!(tree.nodes[tree.lookup("SUB").expect("sub")].is_dir());
}
