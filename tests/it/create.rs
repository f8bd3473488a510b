//! `discus create DIR OUT` (issue 16, item 3) checked by readers nobody here wrote: xorriso
//! (libisofs), 7-Zip, genisoimage's isoinfo, libcdio's iso-info, udftools' udfinfo and pycdlib
//! each read the image and must see the folder — names, sizes, modes, links, dates, contents —
//! with the differences each tree cannot avoid stated exactly (Joliet and UDF hold no links,
//! Joliet cuts names to 64 characters). Then: `create` then `extract` gives the folder back for
//! random folders, two runs give the same bytes, a boot image's boot-info table is the one
//! genisoimage computes while the file in the folder is left alone, a sparse 4.5 GiB file is
//! written as multi-extent records, and hostile folders (links out, FIFOs, the output inside)
//! are handled.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use discus_tests::{discus, in_ci, peer, run, skip};
use proptest::prelude::*;
use serde_json::Value;

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// What a path of a folder holds.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    Folder,
    File(Vec<u8>),
    Link(String),
}

/// Every path below `root` (relative, `/`-separated) and what it holds; links are not followed.
fn snapshot(root: &Path) -> BTreeMap<String, Entry> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read folder").flatten() {
            let path = entry.path();
            let relative = path
                .strip_prefix(root)
                .expect("below the root")
                .to_string_lossy()
                .into_owned();
            let meta = fs::symlink_metadata(&path).expect("metadata");
            let value = if meta.file_type().is_symlink() {
                Entry::Link(
                    fs::read_link(&path)
                        .expect("link")
                        .to_string_lossy()
                        .into_owned(),
                )
            } else if meta.is_dir() {
                stack.push(path.clone());
                Entry::Folder
            } else if meta.is_file() {
                Entry::File(fs::read(&path).expect("file"))
            } else {
                continue;
            };
            out.insert(relative, value);
        }
    }
    out
}

fn without_links(tree: &BTreeMap<String, Entry>) -> BTreeMap<String, Entry> {
    tree.iter()
        .filter(|(_, e)| !matches!(e, Entry::Link(_)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn assert_same(theirs: &BTreeMap<String, Entry>, want: &BTreeMap<String, Entry>, what: &str) {
    let show = |e: Option<&Entry>| match e {
        None => "absent".to_string(),
        Some(Entry::Folder) => "folder".to_string(),
        Some(Entry::Link(t)) => format!("link to {t}"),
        Some(Entry::File(b)) => format!("file of {} bytes", b.len()),
    };
    let lines: Vec<String> = want
        .keys()
        .chain(theirs.keys())
        .filter(|k| want.get(*k) != theirs.get(*k))
        .map(|k| {
            format!(
                "{k}: folder {}, read {}",
                show(want.get(k)),
                show(theirs.get(k))
            )
        })
        .collect();
    assert!(lines.is_empty(), "{what}:\n{}", lines.join("\n"));
}

/// Lets the owner change everything below `root` again (extracted folders keep their modes).
fn writable(root: &Path) {
    let _ = Command::new("chmod")
        .arg("-R")
        .arg("u+w")
        .arg(root)
        .status();
}

/// The modification time every entry of the sample folder is given.
const MTIME: i64 = 1_600_000_000;
/// The `--date` of the images: later than [`MTIME`], so file times are kept as they are.
const DATE: &str = "1700000000";

fn set_mtime(path: &Path) {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(MTIME as u64);
    fs::File::open(path)
        .and_then(|f| f.set_modified(time))
        .expect("set time");
}

/// The folder of the recipe: long and Unicode names, names that collide once mapped to ISO
/// 9660, folders twelve levels deep, modes, links inside and out, empty files and folders, a
/// FIFO.
fn sample(root: &Path) -> PathBuf {
    let src = root.join("src");
    let deep = src.join("deep/l2/l3/l4/l5/l6/l7/l8/l9/l10/l11");
    fs::create_dir_all(&deep).expect("mkdir");
    fs::create_dir_all(src.join("docs")).expect("mkdir");
    fs::create_dir_all(src.join("nothing")).expect("mkdir");
    fs::write(deep.join("leaf.txt"), b"at the bottom\n").expect("write");
    fs::write(src.join("docs/readme.txt"), b"hello\n").expect("write");
    fs::write(src.join("Read Me.txt"), b"one\n").expect("write");
    fs::write(src.join("read_me.txt"), b"two\n").expect("write");
    fs::write(src.join(format!("{}.txt", "n".repeat(200))), b"long\n").expect("write");
    fs::write(src.join("ünïcödé ✓ 日本.txt"), b"unicode\n").expect("write");
    fs::write(src.join("empty"), b"").expect("write");
    let random: Vec<u8> = (0..70_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(src.join("docs/data.bin"), &random).expect("write");
    fs::write(src.join("run.sh"), b"#!/bin/sh\n").expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::{PermissionsExt, symlink};
        fs::set_permissions(src.join("run.sh"), fs::Permissions::from_mode(0o755)).expect("chmod");
        fs::set_permissions(
            src.join("docs/readme.txt"),
            fs::Permissions::from_mode(0o600),
        )
        .expect("chmod");
        fs::set_permissions(src.join("docs"), fs::Permissions::from_mode(0o751)).expect("chmod");
        symlink("../../etc/passwd", src.join("docs/out")).expect("link");
        symlink("readme.txt", src.join("docs/rel")).expect("link");
        symlink("/usr/bin", src.join("abs")).expect("link");
        let fifo = Command::new("mkfifo").arg(src.join("pipe")).status();
        assert!(fifo.is_ok_and(|s| s.success()), "mkfifo");
    }
    // Times last: children change their folder's time.
    let mut paths = vec![src.clone()];
    for (path, entry) in snapshot(&src) {
        if !matches!(entry, Entry::Link(_)) {
            paths.push(src.join(path));
        }
    }
    for path in paths.iter().rev() {
        set_mtime(path);
    }
    src
}

/// `discus create` with `more` options, which must succeed; returns its stderr.
fn create(src: &Path, out: &Path, more: &[&str]) -> String {
    let mut args = vec![
        os("create"),
        src.as_os_str(),
        out.as_os_str(),
        os("--date"),
        os(DATE),
    ];
    args.extend(more.iter().map(|s| os(s)));
    let made = discus(&args);
    assert!(
        made.status.success(),
        "discus create {}: {}",
        out.display(),
        String::from_utf8_lossy(&made.stderr)
    );
    String::from_utf8_lossy(&made.stderr).into_owned()
}

/// `discus extract`, links that leave the folder allowed (the sample has some on purpose).
fn extract(image: &Path, dir: &Path) -> BTreeMap<String, Entry> {
    let out = discus(&[
        os("extract"),
        image.as_os_str(),
        os("-o"),
        dir.as_os_str(),
        os("--outside-links"),
    ]);
    assert!(
        out.status.success(),
        "discus extract {}: {}",
        image.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    writable(dir);
    snapshot(dir)
}

fn text(program: &Path, args: &[&OsStr]) -> String {
    let out = run(program, args, Path::new("."));
    assert!(
        out.status.success(),
        "{} {args:?}: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// pycdlib's view of an image: each tree walked, every entry's size, mode, link target, record
/// date and content; the El Torito entries.
const PYCDLIB: &str = r#"
import calendar, io, json, sys
import pycdlib
iso = pycdlib.PyCdlib()
iso.open(sys.argv[1])
out = {"rr": {}, "joliet": [], "udf": [], "boot": []}
def date(rec):
    d = rec.date
    return calendar.timegm((1900 + d.years_since_1900, d.month, d.day_of_month, d.hour, d.minute, d.second)) - d.gmtoffset * 15 * 60
for path, dirs, files in iso.walk(rr_path="/"):
    base = path.rstrip("/")
    for name in dirs + files:
        p = base + "/" + name
        rec = iso.get_record(rr_path=p)
        rr = rec.rock_ridge
        e = {"mode": rr.get_file_mode(), "date": date(rec)}
        if rr.is_symlink():
            e["link"] = rr.symlink_path().decode()
        elif rec.is_dir():
            e["dir"] = True
        else:
            data = io.BytesIO()
            iso.get_file_from_iso_fp(data, rr_path=p)
            e["hex"] = data.getvalue().hex()
        out["rr"][p[1:]] = e
if iso.has_joliet():
    for path, dirs, files in iso.walk(joliet_path="/"):
        out["joliet"] += [path.rstrip("/") + "/" + n for n in dirs + files]
if iso.has_udf():
    for path, dirs, files in iso.walk(udf_path="/"):
        out["udf"] += [path.rstrip("/") + "/" + n for n in dirs + files]
if iso.eltorito_boot_catalog is not None:
    cat = iso.eltorito_boot_catalog
    entries = [cat.initial_entry] + [e for s in cat.sections for e in s.section_entries]
    out["boot"] = [[e.load_rba, e.sector_count, e.boot_media_type] for e in entries]
    out["platforms"] = [cat.validation_entry.platform_id] + [s.platform_id for s in cat.sections]
print(json.dumps(out))
"#;

/// pycdlib's view, or `None` (skipped, a failure in CI) when it is not installed.
fn pycdlib(image: &Path) -> Option<Value> {
    let python = peer("python3")?;
    let has = Command::new(&python)
        .args(["-c", "import pycdlib"])
        .status()
        .is_ok_and(|s| s.success());
    if !has {
        skip("pycdlib is not installed (pip install pycdlib)");
        return None;
    }
    let json = text(&python, &[os("-c"), os(PYCDLIB), image.as_os_str()]);
    Some(serde_json::from_str(&json).expect("pycdlib prints JSON"))
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    fs::symlink_metadata(path).expect("metadata").mode()
}

#[test]
#[cfg(unix)]
fn i16_3_every_reader_sees_the_folder() {
    let dir = tempfile::tempdir().expect("temp");
    let src = sample(dir.path());
    let image = dir.path().join("out.iso");
    let warned = create(&src, &image, &["--udf", "--label", "Recipe"]);
    // The FIFO is skipped with a warning, never opened (opening it would hang the run).
    assert!(warned.contains("pipe: skipped: a FIFO"), "{warned}");
    let mut want = snapshot(&src);
    let want_files = without_links(&want);

    // discus itself, through the Rock Ridge tree.
    let ours = extract(&image, &dir.path().join("discus"));
    assert_same(&ours, &want, "discus extract");

    // xorriso restores the Rock Ridge tree with links, the relocated folders at their place.
    if let Some(xorriso) = peer("xorriso") {
        let to = dir.path().join("xorriso");
        text(
            &xorriso,
            &[
                os("-osirrox"),
                os("on"),
                os("-indev"),
                image.as_os_str(),
                os("-extract"),
                os("/"),
                to.as_os_str(),
            ],
        );
        writable(&to);
        assert_same(&snapshot(&to), &want, "xorriso -extract");
        let listing = text(
            &xorriso,
            &[
                os("-indev"),
                image.as_os_str(),
                os("-find"),
                os("/"),
                os("-exec"),
                os("lsdl"),
            ],
        );
        for line in [
            "-rwxr-xr-x",
            "drwxr-x--x",
            "'/docs/out' -> '../../etc/passwd'",
            "'/abs' -> '/usr/bin'",
        ] {
            assert!(
                listing.contains(line),
                "xorriso -find lacks {line}:\n{listing}"
            );
        }
    }

    // 7-Zip reads the UDF tree of a bridge disc: every file and folder, no links (UDF here holds
    // none, as genisoimage's holds them as empty files).
    if let Some(sevenzip) = peer("7zz") {
        let to = dir.path().join("7zz");
        let mut target = std::ffi::OsString::from("-o");
        target.push(&to);
        text(&sevenzip, &[os("x"), os("-y"), &target, image.as_os_str()]);
        writable(&to);
        assert_same(&snapshot(&to), &want_files, "7zz x (UDF)");
        // Its Joliet reading when asked for ISO: names cut to 64 characters, no links.
        let listing = text(&sevenzip, &[os("l"), os("-tiso"), image.as_os_str()]);
        let cut = format!("{}.txt", "n".repeat(60));
        assert!(
            listing.contains(&cut),
            "7zz -tiso shows the Joliet name {cut}:\n{listing}"
        );
    }

    // genisoimage's isoinfo: Rock Ridge names, modes and links; Joliet names of at most 64.
    if let Some(isoinfo) = peer("isoinfo") {
        let rr = text(&isoinfo, &[os("-i"), image.as_os_str(), os("-R"), os("-l")]);
        for line in [
            "out -> ../../etc/passwd",
            "-rw-------",
            &"n".repeat(200),
            "ünïcödé ✓ 日本.txt",
        ] {
            assert!(rr.contains(line), "isoinfo -R -l lacks {line}:\n{rr}");
        }
        let joliet = text(&isoinfo, &[os("-i"), image.as_os_str(), os("-J"), os("-l")]);
        assert!(
            joliet.contains(&format!("{}.txt;1", "n".repeat(60))),
            "{joliet}"
        );
        let plain = text(&isoinfo, &[os("-i"), image.as_os_str(), os("-l")]);
        // The two names that map to the same ISO 9660 name are told apart by a number.
        assert!(
            plain.contains("READ_ME.TXT;1") && plain.contains("READ_ME1.TXT;1"),
            "{plain}"
        );
    }

    // genisoimage's isovfy checks the structure: path tables against the folders, record order,
    // extents and Rock Ridge entries.
    if let Some(isovfy) = peer("isovfy") {
        let report = text(&isovfy, &[os("-i"), image.as_os_str()]);
        assert!(report.contains("No errors found"), "isovfy:\n{report}");
    }

    // libcdio's iso-info walks the Rock Ridge tree.
    if let Some(iso_info) = peer("iso-info") {
        let listing = text(&iso_info, &[os("-l"), image.as_os_str()]);
        assert!(
            listing.contains("leaf.txt") && listing.contains("data.bin"),
            "{listing}"
        );
        assert!(listing.contains("Recipe"), "the label: {listing}");
    }

    // udfinfo: a closed UDF 1.02 volume counting every file and folder.
    if let Some(udfinfo) = peer("udfinfo") {
        let info = text(&udfinfo, &[image.as_os_str()]);
        let files = want_files
            .values()
            .filter(|e| matches!(e, Entry::File(_)))
            .count();
        let folders = want_files.values().filter(|e| **e == Entry::Folder).count() + 1;
        for line in [
            "integrity=closed".to_string(),
            "udfrev=1.02".to_string(),
            "label=Recipe".to_string(),
            format!("numfiles={files}"),
            format!("numdirs={folders}"),
        ] {
            assert!(info.contains(&line), "udfinfo lacks {line}:\n{info}");
        }
    }

    // pycdlib: every Rock Ridge entry's mode, date, link and content; Joliet and UDF names.
    if let Some(view) = pycdlib(&image) {
        let rr = view["rr"].as_object().expect("rr tree");
        // pycdlib shows the relocation folder (RE) the others hide.
        let shown: Vec<&String> = rr.keys().filter(|k| !k.starts_with("rr_moved")).collect();
        assert_eq!(shown.len(), want.len(), "pycdlib rr entries: {shown:?}");
        for (path, entry) in &want {
            let seen = &rr[path.as_str()];
            let mode = mode_of(&src.join(path));
            assert_eq!(seen["mode"].as_u64(), Some(u64::from(mode)), "{path} mode");
            match entry {
                Entry::Link(target) => assert_eq!(seen["link"].as_str(), Some(target.as_str())),
                Entry::Folder => {
                    assert_eq!(seen["dir"], Value::Bool(true), "{path}");
                    assert_eq!(seen["date"].as_i64(), Some(MTIME), "{path} date");
                }
                Entry::File(bytes) => {
                    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                    assert_eq!(seen["hex"].as_str(), Some(hex.as_str()), "{path} content");
                    assert_eq!(seen["date"].as_i64(), Some(MTIME), "{path} date");
                }
            }
        }
        let joliet: Vec<String> = view["joliet"]
            .as_array()
            .expect("joliet")
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        assert_eq!(
            joliet.len(),
            want_files.len(),
            "Joliet holds all but links: {joliet:?}"
        );
        for name in &joliet {
            let last = name.rsplit('/').next().unwrap_or("").trim_end_matches(";1");
            assert!(last.encode_utf16().count() <= 64, "Joliet name {last}");
        }
        let udf: Vec<&str> = view["udf"]
            .as_array()
            .expect("udf")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let want_udf: Vec<String> = want_files.keys().map(|k| format!("/{k}")).collect();
        let mut udf_sorted: Vec<String> = udf.iter().map(|s| s.to_string()).collect();
        udf_sorted.sort();
        assert_eq!(udf_sorted, want_udf, "UDF holds all but links");
    }
    want.clear();
}

#[test]
fn i16_3_udf_2_01_reads_in_udfinfo_7zip_and_pycdlib() {
    let dir = tempfile::tempdir().expect("temp");
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("VIDEO_TS")).expect("mkdir");
    fs::write(src.join("VIDEO_TS/VIDEO_TS.IFO"), vec![3u8; 12_288]).expect("write");
    fs::write(src.join("ünï.txt"), b"u").expect("write");
    let image = dir.path().join("dvd.iso");
    create(&src, &image, &["--udf=2.01"]);
    let want = snapshot(&src);
    if let Some(udfinfo) = peer("udfinfo") {
        let info = text(&udfinfo, &[image.as_os_str()]);
        for line in ["udfrev=2.01", "integrity=closed", "numfiles=2", "numdirs=2"] {
            assert!(info.contains(line), "udfinfo lacks {line}:\n{info}");
        }
    }
    if let Some(sevenzip) = peer("7zz") {
        let to = dir.path().join("7zz");
        let mut target = std::ffi::OsString::from("-o");
        target.push(&to);
        text(&sevenzip, &[os("x"), os("-y"), &target, image.as_os_str()]);
        assert_same(&snapshot(&to), &want, "7zz x (UDF 2.01)");
    }
    if let Some(view) = pycdlib(&image) {
        let mut udf: Vec<&str> = view["udf"]
            .as_array()
            .expect("udf")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        udf.sort();
        assert_eq!(udf, ["/VIDEO_TS", "/VIDEO_TS/VIDEO_TS.IFO", "/ünï.txt"]);
    }
}

#[test]
fn i16_3_two_runs_give_the_same_bytes_and_source_date_epoch_is_the_date() {
    let dir = tempfile::tempdir().expect("temp");
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("b/c")).expect("mkdir");
    fs::write(src.join("b/c/z.txt"), b"z").expect("write");
    fs::write(src.join("a.txt"), b"a").expect("write");
    let (one, two) = (dir.path().join("1.iso"), dir.path().join("2.iso"));
    create(&src, &one, &["--udf"]);
    create(&src, &two, &["--udf"]);
    assert!(
        fs::read(&one).expect("one") == fs::read(&two).expect("two"),
        "two runs differ"
    );
    // SOURCE_DATE_EPOCH gives what --date gives.
    let three = dir.path().join("3.iso");
    let made = Command::new(discus_tests::discus_bin())
        .args([
            os("create"),
            src.as_os_str(),
            three.as_os_str(),
            os("--udf"),
        ])
        .env("SOURCE_DATE_EPOCH", DATE)
        .output()
        .expect("discus starts");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(
        fs::read(&one).expect("one") == fs::read(&three).expect("three"),
        "SOURCE_DATE_EPOCH differs from --date"
    );
}

#[test]
fn i16_3_boot_info_table_is_genisoimages_and_the_source_is_untouched() {
    let (Some(genisoimage), Some(xorriso)) = (peer("genisoimage"), peer("xorriso")) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp");
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("boot")).expect("mkdir");
    let loader: Vec<u8> = (0..5000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    fs::write(src.join("boot/isolinux.bin"), &loader).expect("write");
    fs::write(src.join("boot/efi.img"), vec![0xEF; 100_000]).expect("write");
    // genisoimage patches the file it boots, so it gets a copy of the folder.
    let theirs_src = dir.path().join("theirs");
    fs::create_dir_all(theirs_src.join("boot")).expect("mkdir");
    fs::write(theirs_src.join("boot/isolinux.bin"), &loader).expect("write");
    let ours = dir.path().join("ours.iso");
    create(
        &src,
        &ours,
        &["--boot", "boot/isolinux.bin", "--efi", "boot/efi.img"],
    );
    assert_eq!(
        fs::read(src.join("boot/isolinux.bin")).expect("read"),
        loader,
        "the source boot file was changed"
    );
    let theirs = dir.path().join("theirs.iso");
    text(
        &genisoimage,
        &[
            os("-quiet"),
            os("-R"),
            os("-J"),
            os("-b"),
            os("boot/isolinux.bin"),
            os("-no-emul-boot"),
            os("-boot-load-size"),
            os("4"),
            os("-boot-info-table"),
            os("-o"),
            theirs.as_os_str(),
            theirs_src.as_os_str(),
        ],
    );
    // The table: primary descriptor block, image block, length, checksum. Blocks differ between
    // the two layouts; each must name its own image, and length and checksum must agree.
    let table = |image: &Path| {
        let data = fs::read(image).expect("read image");
        let word =
            |at: usize| u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
        let catalog = word(17 * 2048 + 0x47) as usize;
        let load = word(catalog * 2048 + 32 + 8) as usize;
        let sectors = u16::from_le_bytes([data[catalog * 2048 + 38], data[catalog * 2048 + 39]]);
        (
            load as u32,
            sectors,
            [
                word(load * 2048 + 8),
                word(load * 2048 + 12),
                word(load * 2048 + 16),
                word(load * 2048 + 20),
            ],
        )
    };
    let (our_load, our_sectors, our_table) = table(&ours);
    let (their_load, their_sectors, their_table) = table(&theirs);
    assert_eq!((our_sectors, their_sectors), (4, 4));
    assert_eq!(our_table[0], 16);
    assert_eq!(our_table[1], our_load);
    assert_eq!(their_table[1], their_load);
    assert_eq!(
        our_table[2..],
        their_table[2..],
        "length and checksum as genisoimage computes them"
    );
    // Beyond the table the image's bytes are the file's.
    let data = fs::read(&ours).expect("read");
    let at = our_load as usize * 2048;
    assert_eq!(&data[at..at + 8], &loader[..8]);
    assert_eq!(&data[at + 64..at + 5000], &loader[64..]);
    let report = text(
        &xorriso,
        &[
            os("-indev"),
            ours.as_os_str(),
            os("-report_el_torito"),
            os("plain"),
        ],
    );
    for line in [
        "/boot/isolinux.bin",
        "boot-info-table",
        "UEFI",
        "/boot/efi.img",
    ] {
        assert!(
            report.contains(line),
            "xorriso -report_el_torito lacks {line}:\n{report}"
        );
    }
    if let Some(view) = pycdlib(&ours) {
        assert_eq!(view["platforms"], serde_json::json!([0, 0xEF]));
        assert_eq!(
            view["boot"][1][1],
            serde_json::json!(196),
            "the EFI entry loads the whole image"
        );
    }
}

#[test]
fn i16_3_a_sparse_file_of_4_5_gib_is_written_as_multi_extent_records() {
    let Some(xorriso) = peer("xorriso") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp");
    let src = dir.path().join("src");
    fs::create_dir_all(&src).expect("mkdir");
    let size: u64 = 9 << 29; // 4.5 GiB
    let big = fs::File::create(src.join("big.img")).expect("create");
    big.set_len(size).expect("sparse");
    {
        use std::os::unix::fs::FileExt;
        big.write_all_at(b"first", 0).expect("mark");
        big.write_all_at(b"last!", size - 5).expect("mark");
    }
    drop(big);
    let image = dir.path().join("big.iso");
    create(&src, &image, &[]);
    // Written as holes: far less on the disk than its length.
    {
        use std::os::unix::fs::MetadataExt;
        let meta = fs::metadata(&image).expect("image");
        assert!(
            meta.len() > size && meta.blocks() * 512 < 64 << 20,
            "{} bytes, {} allocated",
            meta.len(),
            meta.blocks() * 512
        );
    }
    // xorriso: one file of the whole size, in two extents (4 GiB − 2 KiB, then the rest).
    let lba = text(
        &xorriso,
        &[
            os("-indev"),
            image.as_os_str(),
            os("-find"),
            os("/big.img"),
            os("-exec"),
            os("report_lba"),
        ],
    );
    let extents: Vec<(u64, u64)> = lba
        .lines()
        .filter(|l| l.starts_with("File data lba:"))
        .filter_map(|l| {
            let fields: Vec<&str> = l
                .trim_start_matches("File data lba:")
                .split(',')
                .map(str::trim)
                .collect();
            Some((fields.get(1)?.parse().ok()?, fields.get(2)?.parse().ok()?))
        })
        .collect();
    assert_eq!(extents.len(), 2, "{lba}");
    // Blocks: 4 GiB − 2 KiB in the first, the rest in the second.
    assert_eq!(extents[0].1, 0xFFFF_F800 / 2048, "{lba}");
    assert_eq!(extents[0].1 + extents[1].1, size / 2048, "{lba}");
    let mut data = fs::File::open(&image).expect("open");
    let read_at = |file: &mut fs::File, at: u64| {
        use std::os::unix::fs::FileExt;
        let mut buf = [0u8; 5];
        file.read_exact_at(&mut buf, at).expect("read");
        buf
    };
    assert_eq!(&read_at(&mut data, extents[0].0 * 2048), b"first");
    let end = extents[1].0 * 2048 + (size - 0xFFFF_F800);
    assert_eq!(&read_at(&mut data, end - 5), b"last!");
    let listing = text(
        &xorriso,
        &[
            os("-indev"),
            image.as_os_str(),
            os("-find"),
            os("/"),
            os("-exec"),
            os("lsdl"),
        ],
    );
    assert!(listing.contains(&size.to_string()), "{listing}");
    if let Some(sevenzip) = peer("7zz") {
        let listing = text(&sevenzip, &[os("l"), image.as_os_str()]);
        assert!(
            listing.contains(&size.to_string()),
            "7zz sees the whole size:\n{listing}"
        );
    }
    let ls = discus(&[os("ls"), image.as_os_str()]);
    assert!(String::from_utf8_lossy(&ls.stdout).contains(&size.to_string()));
}

#[test]
fn i16_3_create_writes_any_format_through_the_normal_writers() {
    let dir = tempfile::tempdir().expect("temp");
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("sub")).expect("mkdir");
    fs::write(src.join("sub/a.txt"), vec![b'a'; 100_000]).expect("write");
    fs::write(
        src.join("b.bin"),
        (0..50_000u32).map(|i| (i % 251) as u8).collect::<Vec<u8>>(),
    )
    .expect("write");
    let want = snapshot(&src);
    for name in ["out.cso", "out.zso", "out.chd", "out.cue", "out.iso"] {
        let image = dir.path().join(name);
        create(&src, &image, &["--udf"]);
        let got = extract(&image, &dir.path().join(format!("x-{name}")));
        assert_same(&got, &want, name);
    }
    // As convert does, the result line names what was written beside the sheet.
    let sheet = dir.path().join("named.cue");
    let made = discus(&[
        os("create"),
        src.as_os_str(),
        sheet.as_os_str(),
        os("--date"),
        os(DATE),
    ]);
    let said = String::from_utf8_lossy(&made.stdout);
    assert!(
        made.status.success() && said.contains("also wrote") && said.contains("named.bin"),
        "{said}"
    );
    // MAME's chdman reads the CHD back to a cue sheet whose tree is the folder.
    if let Some(chdman) = peer("chdman") {
        let (cue, bin) = (dir.path().join("back.cue"), dir.path().join("back.bin"));
        let chd = dir.path().join("out.chd");
        text(
            &chdman,
            &[
                os("extractcd"),
                os("-i"),
                chd.as_os_str(),
                os("-o"),
                cue.as_os_str(),
                os("-ob"),
                bin.as_os_str(),
            ],
        );
        assert_same(
            &extract(&cue, &dir.path().join("x-chdman")),
            &want,
            "chdman extractcd",
        );
    }
}

#[test]
fn i16_3_hostile_folders_output_inside_and_links_out() {
    let dir = tempfile::tempdir().expect("temp");
    let src = dir.path().join("src");
    fs::create_dir_all(&src).expect("mkdir");
    fs::write(src.join("a"), b"a").expect("write");
    // The output inside the folder would be read while written.
    let inside = src.join("me.iso");
    let out = discus(&[os("create"), src.as_os_str(), inside.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("inside the folder"));
    assert!(!inside.exists());
    // A link out of the folder is stored as a link and not followed: /etc is not copied.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc", src.join("etc")).expect("link");
        let image = dir.path().join("links.iso");
        create(&src, &image, &[]);
        let ls = discus(&[os("ls"), image.as_os_str()]);
        let listing = String::from_utf8_lossy(&ls.stdout);
        assert!(listing.contains("etc -> /etc"), "{listing}");
        assert!(fs::metadata(&image).expect("image").len() < 200 * 1024);
    }
}

/// A random folder: names (with dots, spaces, Unicode, ISO-colliding case), files of random
/// sizes, folders up to twelve deep, links.
#[derive(Clone, Debug)]
enum Node {
    File(Vec<u8>),
    Folder(Vec<(String, Node)>),
    Link(String),
}

fn node(depth: u32) -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..3000).prop_map(Node::File),
        // Rock Ridge stores a target by components: `a//b` and `a/` come back as `a/b` and `a`
        // (as from genisoimage and xorriso), so targets here have neither.
        1 => "/?[a-z.]{1,6}(/[a-z.]{1,6}){0,3}".prop_map(Node::Link),
    ];
    leaf.prop_recursive(depth, 48, 5, |inner| {
        proptest::collection::vec(("[a-zA-Z0-9 ._é日-]{1,40}", inner), 0..5).prop_map(Node::Folder)
    })
}

fn build(at: &Path, node: &Node) {
    match node {
        Node::File(bytes) => fs::write(at, bytes).expect("write"),
        Node::Link(target) => {
            #[cfg(unix)]
            std::os::unix::fs::symlink(target, at).expect("link");
        }
        Node::Folder(children) => {
            fs::create_dir_all(at).expect("mkdir");
            for (name, child) in children {
                if matches!(name.as_str(), "." | "..") || at.join(name).symlink_metadata().is_ok() {
                    continue;
                }
                build(&at.join(name), child);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: if in_ci() { 24 } else { 8 }, ..ProptestConfig::default() })]

    #[test]
    fn i16_3_create_then_extract_gives_the_folder(tree in node(12)) {
        let dir = tempfile::tempdir().expect("temp");
        let src = dir.path().join("src");
        fs::create_dir_all(&src).expect("mkdir");
        if let Node::Folder(_) = &tree {
            build(&src, &tree);
        } else {
            build(&src.join("only"), &tree);
        }
        let image = dir.path().join("t.iso");
        create(&src, &image, &["--udf"]);
        let got = extract(&image, &dir.path().join("x"));
        assert_same(&got, &snapshot(&src), "create then extract");
    }
}
