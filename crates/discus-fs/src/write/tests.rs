//! The writer read back by this crate's reader: every tree it writes, every name, link and size.

use std::fs;
use std::io::Read;
use std::path::Path;

use super::*;
use crate::{Image, Kind, TreeKind};

fn image(dir: &Path, options: &Options) -> Image {
    let created = create(dir, options).expect("create");
    Image::open(Box::new(created), Path::new("created.iso")).expect("open")
}

fn sample(dir: &Path) {
    fs::create_dir_all(dir.join("docs/deep/a/b/c/d/e/f/g/h/i")).expect("mkdir");
    fs::write(dir.join("docs/readme.txt"), b"hello").expect("write");
    fs::write(
        dir.join("docs/deep/a/b/c/d/e/f/g/h/i/leaf.bin"),
        vec![7u8; 5000],
    )
    .expect("write");
    fs::write(dir.join("empty"), b"").expect("write");
    let long = "L".repeat(200);
    fs::write(dir.join(&long), b"long").expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink("../../etc/passwd", dir.join("docs/out")).expect("link");
}

fn read_all(image: &mut Image, node: &crate::Node) -> Vec<u8> {
    let mut out = Vec::new();
    image
        .open_file(node)
        .expect("open file")
        .read_to_end(&mut out)
        .expect("read");
    out
}

#[test]
fn every_tree_reads_back() {
    let dir = tempfile::tempdir().expect("temp");
    sample(dir.path());
    let options = Options {
        date: Some(1_700_000_000),
        ..Options::default()
    };
    let mut image = image(dir.path(), &options);
    assert_eq!(
        image.trees(),
        vec![TreeKind::RockRidge, TreeKind::Joliet, TreeKind::Iso9660]
    );
    let tree = image.tree(Some(TreeKind::RockRidge)).expect("rr tree");
    let leaf = tree
        .lookup("docs/deep/a/b/c/d/e/f/g/h/i/leaf.bin")
        .expect("relocated leaf found at its real place");
    assert_eq!(
        read_all(&mut image, &tree.nodes[leaf].clone()),
        vec![7u8; 5000]
    );
    let long = tree.lookup(&"L".repeat(200)).expect("long name");
    assert_eq!(read_all(&mut image, &tree.nodes[long].clone()), b"long");
    #[cfg(unix)]
    {
        let link = tree.lookup("docs/out").expect("link");
        assert_eq!(
            tree.nodes[link].kind,
            Kind::Symlink("../../etc/passwd".into())
        );
    }
    assert!(
        tree.lookup("rr_moved").is_none(),
        "rr_moved is hidden by RE"
    );
    let joliet = image.tree(Some(TreeKind::Joliet)).expect("joliet");
    assert!(
        joliet
            .lookup("docs/deep/a/b/c/d/e/f/g/h/i/leaf.bin")
            .is_some()
    );
    let iso = image.tree(Some(TreeKind::Iso9660)).expect("iso");
    assert!(iso.lookup("DOCS/README.TXT").is_some());
}

#[test]
fn the_udf_bridge_reads_back_over_the_same_data() {
    let dir = tempfile::tempdir().expect("temp");
    sample(dir.path());
    let options = Options {
        udf: true,
        date: Some(1_700_000_000),
        ..Options::default()
    };
    let mut image = image(dir.path(), &options);
    assert!(image.trees().contains(&TreeKind::Udf));
    let udf = image.tree(Some(TreeKind::Udf)).expect("udf tree");
    let rr = image.tree(Some(TreeKind::RockRidge)).expect("rr tree");
    let path = "docs/deep/a/b/c/d/e/f/g/h/i/leaf.bin";
    let (u, r) = (
        udf.lookup(path).expect("udf leaf"),
        rr.lookup(path).expect("rr leaf"),
    );
    assert_eq!(
        udf.nodes[u].extents, rr.nodes[r].extents,
        "one copy of the data"
    );
    assert_eq!(read_all(&mut image, &udf.nodes[u].clone()), vec![7u8; 5000]);
    assert!(udf.lookup(&"L".repeat(200)).is_some());
    assert!(udf.lookup("docs/out").is_none(), "no links in UDF");
}

#[test]
fn the_same_folder_gives_the_same_bytes() {
    let dir = tempfile::tempdir().expect("temp");
    sample(dir.path());
    let options = Options {
        date: Some(1_700_000_000),
        ..Options::default()
    };
    let bytes = |options: &Options| {
        let mut created = create(dir.path(), options).expect("create");
        let blocks = created.blocks() as usize;
        let mut buf = vec![0u8; blocks * BLOCK];
        discus_core::SectorSource::read(&mut created, 0, discus_core::Lba(0), &mut buf)
            .expect("read");
        buf
    };
    assert_eq!(bytes(&options), bytes(&options));
}

/// Reads every block of a created image.
fn read_whole(created: &mut Created) -> discus_core::Result<Vec<u8>> {
    let blocks = created.blocks() as usize;
    let mut buf = vec![0u8; blocks * BLOCK];
    discus_core::SectorSource::read(created, 0, discus_core::Lba(0), &mut buf)?;
    Ok(buf)
}

#[test]
fn i16_3_a_file_that_changes_size_while_read_is_an_error() {
    for grow in [true, false] {
        let dir = tempfile::tempdir().expect("temp");
        let path = dir.path().join("log.txt");
        fs::write(&path, vec![b'x'; 100_000]).expect("write");
        let mut created = create(dir.path(), &Options::default()).expect("create");
        let file = fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open");
        match grow {
            true => file.set_len(100_001).expect("grow"),
            false => file.set_len(50_000).expect("shrink"),
        }
        let error = read_whole(&mut created).expect_err("a changed file is refused");
        let message = error.to_string();
        assert!(
            message.contains("log.txt") && message.contains("changed"),
            "{message}"
        );
    }
}

/// A file swapped, after the folder was read, for a link to a file outside it of the same size:
/// its bytes must not reach the image (opening follows links; the scanned inode is compared).
#[test]
#[cfg(unix)]
fn i16_3_a_file_swapped_for_a_link_while_read_is_refused() {
    let outside = tempfile::tempdir().expect("temp");
    let secret = outside.path().join("secret");
    fs::write(&secret, vec![b's'; 100_000]).expect("write");
    let dir = tempfile::tempdir().expect("temp");
    let path = dir.path().join("log.txt");
    fs::write(&path, vec![b'x'; 100_000]).expect("write");
    let mut created = create(dir.path(), &Options::default()).expect("create");
    fs::remove_file(&path).expect("remove");
    std::os::unix::fs::symlink(&secret, &path).expect("link");
    let error = read_whole(&mut created).expect_err("a swapped file is refused");
    let message = error.to_string();
    assert!(
        message.contains("log.txt") && message.contains("replaced"),
        "{message}"
    );
}

#[test]
fn i16_3_a_file_unchanged_reads_back_whole() {
    let dir = tempfile::tempdir().expect("temp");
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
    fs::write(dir.path().join("a.bin"), &data).expect("write");
    let mut created = create(dir.path(), &Options::default()).expect("create");
    let image = read_whole(&mut created).expect("read");
    assert!(image.windows(data.len()).any(|w| w == data.as_slice()));
}

#[test]
#[cfg(unix)]
fn hard_links_share_one_copy_of_the_data() {
    let dir = tempfile::tempdir().expect("temp");
    fs::write(dir.path().join("a"), vec![1u8; 100_000]).expect("write");
    fs::hard_link(dir.path().join("a"), dir.path().join("b")).expect("link");
    fs::write(dir.path().join("c"), vec![2u8; 100_000]).expect("write");
    let mut image = image(dir.path(), &Options::default());
    let tree = image.tree(Some(TreeKind::RockRidge)).expect("tree");
    let extent = |name: &str| tree.nodes[tree.lookup(name).expect(name)].extents.clone();
    assert_eq!(extent("a"), extent("b"));
    assert_ne!(extent("a"), extent("c"));
    let b = tree.nodes[tree.lookup("b").expect("b")].clone();
    assert_eq!(read_all(&mut image, &b), vec![1u8; 100_000]);
}
