//! CHD against MAME's own tool: what discus writes must carry the same SHA-1s as chdman's CHD of
//! the same input, pass `chdman verify` (0.251 and 0.289) and extract to the same sectors; what
//! chdman writes (every CD codec, hunk sizes, zstd, DVD) must read back equal to its source.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use discus_tests::{corpus, discus, files_below, peer, run, samples};

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// Every sample cue, and libcdio's sheets. Those name their BIN in upper case (`CDDA.BIN` for
/// `cdda.bin`), which chdman does not find, so they are copied into `dir` under the name they give.
fn sheets(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = files_below(&samples().join("cue"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "cue"))
        .collect();
    assert!(!found.is_empty(), "samples/cue holds no sheet");
    if let Some(corpus) = corpus("libcdio") {
        let copies = dir.join("libcdio");
        std::fs::create_dir_all(&copies).expect("folder");
        for name in ["isofs-m1", "cdda"] {
            let cue = copies.join(format!("{name}.cue"));
            std::fs::copy(corpus.join(format!("{name}.cue")), &cue).expect("copy cue");
            std::fs::copy(
                corpus.join(format!("{name}.bin")),
                copies.join(format!("{}.BIN", name.to_uppercase())),
            )
            .expect("copy bin");
            found.push(cue);
        }
    }
    found
}

fn discus_ok(args: &[&OsStr]) {
    let output = discus(args);
    assert!(
        output.status.success(),
        "discus {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn tool_ok(program: &Path, args: &[&OsStr], dir: &Path) -> String {
    let output = run(program, args, dir);
    assert!(
        output.status.success(),
        "{} {args:?}: {}{}",
        program.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The `SHA1` and `Data SHA1` lines of `chdman info`.
fn chdman_hashes(chdman: &Path, chd: &Path) -> (String, String) {
    let info = tool_ok(
        chdman,
        &[os("info"), os("-i"), chd.as_os_str()],
        Path::new("."),
    );
    let value = |key: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("chdman info prints no {key}: {info}"))
    };
    (value("SHA1:"), value("Data SHA1:"))
}

/// `chdman verify` passes, both hashes (an exit code of 0 alone also comes with "nothing to verify").
fn chdman_verifies(chdman: &Path, chd: &Path) {
    let said = tool_ok(
        chdman,
        &[os("verify"), os("-i"), chd.as_os_str()],
        Path::new("."),
    );
    assert!(
        said.contains("Raw SHA1 verification successful")
            && said.contains("Overall SHA1 verification successful"),
        "{} verify {}: {said}",
        chdman.display(),
        chd.display()
    );
}

/// The one BIN `chdman extractcd` writes, and its sheet.
fn extract_cd(chdman: &Path, chd: &Path, dir: &Path, name: &str) -> (Vec<u8>, String) {
    let cue = dir.join(format!("{name}.cue"));
    let bin = dir.join(format!("{name}.bin"));
    tool_ok(
        chdman,
        &[
            os("extractcd"),
            os("-i"),
            chd.as_os_str(),
            os("-o"),
            cue.as_os_str(),
            os("-ob"),
            bin.as_os_str(),
            os("-f"),
        ],
        dir,
    );
    (
        std::fs::read(&bin).expect("extracted bin"),
        std::fs::read_to_string(&cue).expect("extracted cue"),
    )
}

fn chdman_create(chdman: &Path, command: &str, input: &Path, chd: &Path, extra: &[&str]) {
    let mut args = vec![
        os(command),
        os("-i"),
        input.as_os_str(),
        os("-o"),
        chd.as_os_str(),
        os("-f"),
    ];
    args.extend(extra.iter().map(|s| os(s)));
    tool_ok(chdman, &args, Path::new("."));
}

#[test]
fn i13_2_our_cd_chd_has_chdmans_hashes_verifies_and_extracts_the_same() {
    let Some(chdman) = peer("chdman") else { return };
    let newer = peer("chdman-0.289");
    let dir = tempfile::tempdir().expect("temp dir");
    for cue in sheets(dir.path()) {
        let ours = dir.path().join("ours.chd");
        let theirs = dir.path().join("theirs.chd");
        discus_ok(&[os("convert"), cue.as_os_str(), ours.as_os_str(), os("-f")]);
        chdman_create(&chdman, "createcd", &cue, &theirs, &[]);
        assert_eq!(
            chdman_hashes(&chdman, &ours),
            chdman_hashes(&chdman, &theirs),
            "{}",
            cue.display()
        );
        chdman_verifies(&chdman, &ours);
        let (our_bin, our_cue) = extract_cd(&chdman, &ours, dir.path(), "a");
        let (their_bin, their_cue) = extract_cd(&chdman, &theirs, dir.path(), "b");
        assert!(
            our_bin == their_bin,
            "{}: extracted BINs differ",
            cue.display()
        );
        assert_eq!(
            our_cue.replace("a.bin", "b.bin"),
            their_cue,
            "{}",
            cue.display()
        );
        if let Some(newer) = &newer {
            chdman_verifies(newer, &ours);
            let (newer_bin, _) = extract_cd(newer, &ours, dir.path(), "c");
            assert!(
                newer_bin == their_bin,
                "{}: 0.289 extracts other bytes",
                cue.display()
            );
        }
    }
}

#[test]
fn i13_2_chd_bytes_do_not_depend_on_threads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cue = samples().join("cue").join("mixed").join("mixed.cue");
    let one = dir.path().join("one.chd");
    let two = dir.path().join("two.chd");
    discus_ok(&[
        os("convert"),
        cue.as_os_str(),
        one.as_os_str(),
        os("--threads"),
        os("1"),
    ]);
    discus_ok(&[
        os("convert"),
        cue.as_os_str(),
        two.as_os_str(),
        os("--threads"),
        os("3"),
    ]);
    assert!(std::fs::read(&one).expect("one") == std::fs::read(&two).expect("two"));
}

/// Converts `chd` to a single-BIN cue with discus and returns the BIN.
fn discus_bin_of(chd: &Path, dir: &Path) -> Vec<u8> {
    let out = dir.join("d").join("d.cue");
    let _ = std::fs::remove_dir_all(dir.join("d"));
    std::fs::create_dir_all(dir.join("d")).expect("folder");
    discus_ok(&[
        os("convert"),
        chd.as_os_str(),
        out.as_os_str(),
        os("--single-bin"),
    ]);
    std::fs::read(dir.join("d").join("d.bin")).expect("our bin")
}

#[test]
fn i13_1_every_cd_chd_chdman_writes_reads_back_as_it_extracts() {
    let Some(chdman) = peer("chdman") else { return };
    let newer = peer("chdman-0.289");
    let dir = tempfile::tempdir().expect("temp dir");
    let chd = dir.path().join("t.chd");
    let mut cases: Vec<(PathBuf, &[&str])> = Vec::new();
    for cue in sheets(dir.path()) {
        cases.push((cue, &[]));
    }
    let mixed = samples().join("cue").join("mixed").join("mixed.cue");
    for extra in [
        &["-c", "cdlz"][..],
        &["-c", "cdzl"],
        &["-c", "cdfl"],
        &["-c", "none"],
        &["-hs", "2448"],
        &["-hs", "9792"],
    ] {
        cases.push((mixed.clone(), extra));
    }
    for (cue, extra) in cases {
        chdman_create(&chdman, "createcd", &cue, &chd, extra);
        let (expected, _) = extract_cd(&chdman, &chd, dir.path(), "x");
        assert!(
            discus_bin_of(&chd, dir.path()) == expected,
            "{} {extra:?}",
            cue.display()
        );
    }
    // zstd came with chdman 0.262; 0.251 cannot write it.
    if let Some(newer) = newer {
        for extra in [&["-c", "cdzs"][..], &["-c", "cdzs,cdzl,cdfl"]] {
            chdman_create(&newer, "createcd", &mixed, &chd, extra);
            let (expected, _) = extract_cd(&newer, &chd, dir.path(), "x");
            assert!(discus_bin_of(&chd, dir.path()) == expected, "{extra:?}");
        }
    }
}

#[test]
fn i13_1_dvd_and_raw_chds_read_back_as_their_iso() {
    let Some(chdman) = peer("chdman") else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = samples().join("iso").join("data.iso");
    let chd = dir.path().join("t.chd");
    let back = dir.path().join("back.iso");
    let expected = std::fs::read(&iso).expect("iso");
    let mut cases: Vec<(&Path, &str, &[&str])> = vec![
        (&chdman, "createraw", &["-hs", "4096", "-us", "2048"]),
        (
            &chdman,
            "createraw",
            &["-hs", "2048", "-us", "2048", "-c", "zlib"],
        ),
        (
            &chdman,
            "createraw",
            &["-hs", "4096", "-us", "2048", "-c", "huff"],
        ),
        (
            &chdman,
            "createraw",
            &["-hs", "4096", "-us", "2048", "-c", "flac"],
        ),
    ];
    let newer = peer("chdman-0.289");
    if let Some(newer) = &newer {
        cases.push((newer, "createdvd", &[]));
        cases.push((newer, "createdvd", &["-hs", "2048", "-c", "zstd"]));
    }
    for (tool, command, extra) in cases {
        chdman_create(tool, command, &iso, &chd, extra);
        discus_ok(&[os("convert"), chd.as_os_str(), back.as_os_str(), os("-f")]);
        assert!(
            std::fs::read(&back).expect("back") == expected,
            "{command} {extra:?}"
        );
    }
}

#[test]
fn i13_5_info_shows_hunks_codecs_hashes_and_metadata() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cue = samples().join("cue").join("mixed").join("mixed.cue");
    let chd = dir.path().join("m.chd");
    discus_ok(&[os("convert"), cue.as_os_str(), chd.as_os_str()]);
    let output = discus(&[os("info"), chd.as_os_str()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    for expected in [
        "hunk size:",
        "19584 bytes",
        "codecs:",
        "cdlz, cdzl, cdfl",
        "copies",
        "data SHA-1:",
        "metadata CHT2: TRACK:2 TYPE:AUDIO SUBTYPE:NONE FRAMES:90 PREGAP:30 PGTYPE:VAUDIO",
    ] {
        assert!(text.contains(expected), "no '{expected}' in {text}");
    }
}

#[test]
fn i13_3_our_dvd_chd_has_chdmans_hashes_and_verifies() {
    let Some(chdman) = peer("chdman") else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = samples().join("iso").join("data.iso");
    let ours = dir.path().join("ours.chd");
    // The sample ISO is CD-sized: 2048-byte sectors ask for the DVD layout, as a UMD needs.
    discus_ok(&[
        os("convert"),
        iso.as_os_str(),
        ours.as_os_str(),
        os("--sector-size"),
        os("2048"),
    ]);
    chdman_verifies(&chdman, &ours);
    let back = dir.path().join("back.iso");
    tool_ok(
        &chdman,
        &[
            os("extractraw"),
            os("-i"),
            ours.as_os_str(),
            os("-o"),
            back.as_os_str(),
        ],
        dir.path(),
    );
    assert!(std::fs::read(&back).expect("back") == std::fs::read(&iso).expect("iso"));
    // createdvd came with chdman 0.255: the hashes of its DVD CHD are the reference.
    if let Some(newer) = peer("chdman-0.289") {
        let theirs = dir.path().join("theirs.chd");
        chdman_create(&newer, "createdvd", &iso, &theirs, &[]);
        assert_eq!(chdman_hashes(&newer, &ours), chdman_hashes(&newer, &theirs));
        chdman_verifies(&newer, &ours);
        // Issue 13, item 6: no larger than chdman's. Our LZMA hunks are the bytes chdman's encoder
        // makes, and every other codec is kept only where it packs smaller.
        let size = |p: &Path| std::fs::metadata(p).expect("size").len();
        assert!(
            size(&ours) <= size(&theirs),
            "ours {} B, chdman's {} B",
            size(&ours),
            size(&theirs)
        );
    }
}

#[test]
fn i13_3_sparse_dvd_over_4_gib_writes_and_verifies() {
    // 2,200,000 sectors of zeros (4.5 GB, past every 32-bit byte offset) in a sparse file: one
    // hunk is packed and the rest are copies of it, so this stays fast.
    let dir = tempfile::tempdir().expect("temp dir");
    let iso = dir.path().join("sparse.iso");
    std::fs::File::create(&iso)
        .and_then(|f| f.set_len(2_200_000 * 2048))
        .expect("sparse iso");
    let chd = dir.path().join("sparse.chd");
    discus_ok(&[os("convert"), iso.as_os_str(), chd.as_os_str()]);
    let size = std::fs::metadata(&chd).expect("chd").len();
    // One bit per hunk in the map and little else.
    assert!(size < 1 << 20, "{size} bytes");
    let info = discus(&[os("info"), chd.as_os_str()]);
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(
        text.contains("medium:    DVD") || text.contains("DVD"),
        "{text}"
    );
    assert!(text.contains("1099999 copies"), "{text}");
    // Reading back sectors past 4 GiB.
    let back = discus::open(&chd).expect("opens");
    assert_eq!(back.source.disc().total_sectors(), 2_200_000);
    if let Some(chdman) = peer("chdman") {
        chdman_verifies(&chdman, &chd);
    }
}

#[test]
fn i13_4_cue_to_chd_to_cue_gives_back_the_redump_set_byte_for_byte() {
    // Split sets with what chdman drops: FLAGS DCP, TITLE, INDEX 02 (mixed), a second session
    // (multisession). The sheet and every BIN come back as they were.
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["data", "mixed", "xa", "multisession"] {
        let folder = samples().join("cue").join(name);
        let cue = folder.join(format!("{name}.cue"));
        let out = dir.path().join(name);
        std::fs::create_dir_all(&out).expect("folder");
        let chd = out.join(format!("{name}.chd"));
        let back = out.join(format!("{name}.cue"));
        discus_ok(&[os("convert"), cue.as_os_str(), chd.as_os_str()]);
        discus_ok(&[os("convert"), chd.as_os_str(), back.as_os_str()]);
        assert_eq!(
            std::fs::read(&back).expect("sheet back"),
            std::fs::read(&cue).expect("sheet"),
            "{name}"
        );
        for bin in files_below(&folder)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        {
            let name = bin.file_name().expect("a name");
            assert!(
                std::fs::read(out.join(name)).expect("bin back")
                    == std::fs::read(&bin).expect("bin"),
                "{}",
                bin.display()
            );
        }
    }
}

#[test]
fn i13_4_a_chdman_chd_converts_to_the_sheet_chdman_extracts() {
    let Some(chdman) = peer("chdman") else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["mixed", "multisession", "wave"] {
        let cue = files_below(&samples().join("cue").join(name))
            .into_iter()
            .find(|p| p.extension().is_some_and(|e| e == "cue"))
            .expect("a sheet");
        let chd = dir.path().join("t.chd");
        chdman_create(&chdman, "createcd", &cue, &chd, &[]);
        let (_, expected) = extract_cd(&chdman, &chd, dir.path(), "x");
        let ours = dir.path().join("d").join("d.cue");
        discus_bin_of(&chd, dir.path());
        let sheet = std::fs::read_to_string(&ours).expect("our sheet");
        // discus writes CRLF, as Redump sheets have; chdman writes LF.
        assert_eq!(
            sheet.replace("\r\n", "\n").replace("d.bin", "x.bin"),
            expected,
            "{name}"
        );
    }
}

/// Writes `bytes` as `name` in `dir` and reads the whole image through the library: the error
/// message, or `None` if it read.
fn read_all(dir: &Path, name: &str, bytes: &[u8]) -> Option<String> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    let mut opened = match discus::open(&path) {
        Ok(opened) => opened,
        Err(e) => return Some(e.to_string()),
    };
    discus_tests::harness::read_everywhere(&mut *opened.source)
        .err()
        .map(|e| e.to_string())
}

fn be_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

#[test]
fn i13_6_bad_chds_are_refused_with_the_place_and_no_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cue = samples().join("cue").join("mixed").join("mixed.cue");
    let good_path = dir.path().join("good.chd");
    discus_ok(&[os("convert"), cue.as_os_str(), good_path.as_os_str()]);
    let good = std::fs::read(&good_path).expect("chd");
    assert_eq!(read_all(dir.path(), "same.chd", &good), None);
    let map_offset = be_u64(&good, 40) as usize;
    let meta_offset = be_u64(&good, 48) as usize;

    // Truncated anywhere: in the header, in the metadata, in the hunks, in the map.
    for cut in [
        0,
        7,
        100,
        130,
        good.len() / 2,
        map_offset + 8,
        good.len() - 1,
    ] {
        let said = read_all(dir.path(), "cut.chd", &good[..cut]);
        assert!(said.is_some(), "cut at {cut} read");
    }
    let said = read_all(dir.path(), "cut.chd", &good[..100]).unwrap_or_default();
    assert!(said.contains("byte offset"), "{said}");

    // The map's CRC.
    let mut bad = good.clone();
    bad[map_offset + 10] ^= 0xFF;
    let said = read_all(dir.path(), "map.chd", &bad).unwrap_or_default();
    assert!(
        said.contains(&format!("byte offset {map_offset}")),
        "{said}"
    );

    // A map claiming to be 3.8 GB long (found by the fuzzer): refused before the decoding crate
    // allocates what it claims.
    let mut bad = good.clone();
    bad[map_offset..map_offset + 4].copy_from_slice(&0xE2D0_0C1E_u32.to_be_bytes());
    let said = read_all(dir.path(), "long-map.chd", &bad).unwrap_or_default();
    assert!(
        said.contains(&format!("byte offset {map_offset}"))
            && said.contains("3805285406 bytes long"),
        "{said}"
    );

    // The hunks follow the metadata chain: walk it to its end.
    let first_hunk = {
        let mut at = meta_offset;
        loop {
            let next = be_u64(&good, at + 8) as usize;
            let length = u32::from_be_bytes([0, good[at + 5], good[at + 6], good[at + 7]]);
            if next == 0 {
                break at + 16 + length as usize;
            }
            at = next;
        }
    };
    // A byte of the first hunk: its CRC-16 no longer matches (or it no longer decodes).
    let mut bad = good.clone();
    bad[first_hunk + 40] ^= 0x55;
    let said = read_all(dir.path(), "hunk.chd", &bad).unwrap_or_default();
    assert!(said.contains("block 0"), "{said}");

    // A codec slot nobody knows.
    let mut bad = good.clone();
    bad[28..32].copy_from_slice(b"abcd");
    let said = read_all(dir.path(), "codec.chd", &bad).unwrap_or_default();
    assert!(
        said.contains("byte offset 28") && said.contains("abcd"),
        "{said}"
    );

    // Metadata whose chain loops back to its first entry.
    let mut bad = good.clone();
    bad[meta_offset + 8..meta_offset + 16].copy_from_slice(&(meta_offset as u64).to_be_bytes());
    let said = read_all(dir.path(), "loop.chd", &bad).unwrap_or_default();
    assert!(
        said.contains(&format!("byte offset {meta_offset}")),
        "{said}"
    );

    // Metadata claiming 16 MiB.
    let mut bad = good.clone();
    bad[meta_offset + 5..meta_offset + 8].copy_from_slice(&[0xFF, 0xFF, 0xFF]);
    let said = read_all(dir.path(), "huge.chd", &bad).unwrap_or_default();
    assert!(said.contains("past the end of the file"), "{said}");

    // A header claiming more hunks than the file could map.
    let mut bad = good.clone();
    bad[32..40].copy_from_slice(&(1u64 << 50).to_be_bytes());
    let said = read_all(dir.path(), "hunks.chd", &bad).unwrap_or_default();
    assert!(said.contains("byte offset 32"), "{said}");

    // Through the command line: an error, not a crash, and no panic message.
    let bad_path = dir.path().join("hunk.chd");
    std::fs::write(&bad_path, {
        let mut bad = good.clone();
        bad[first_hunk + 3] ^= 0xFF;
        bad
    })
    .expect("write");
    let out = dir.path().join("out.cue");
    let output = discus(&[os("convert"), bad_path.as_os_str(), out.as_os_str()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_ne!(output.status.code(), Some(101), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("block 0"), "{stderr}");
}

#[test]
fn i13_5_verify_recomputes_both_sha1s_as_chdman_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cue = samples().join("cue").join("mixed").join("mixed.cue");
    let chd = dir.path().join("m.chd");
    discus_ok(&[os("convert"), cue.as_os_str(), chd.as_os_str()]);
    let output = discus(&[os("verify"), chd.as_os_str()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("stored: data SHA-1 db960f00bdaaaa3144891b517786d6cf575fdcde matches"),
        "{text}"
    );
    assert!(text.contains("stored: SHA-1 3b201fc7612e55145a06311374d497d749dc5437 matches"));
    // One bit of the stored data SHA-1 flipped: every sector still reads, the hash does not match.
    let mut bytes = std::fs::read(&chd).expect("chd");
    bytes[70] ^= 1;
    let bad = dir.path().join("bad.chd");
    std::fs::write(&bad, bytes).expect("write");
    let output = discus(&[os("verify"), bad.as_os_str()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("data SHA-1") && text.contains("DIFFERS"),
        "{text}"
    );
    if let Some(chdman) = peer("chdman") {
        let said = run(
            &chdman,
            &[os("verify"), os("-i"), bad.as_os_str()],
            dir.path(),
        );
        assert!(
            !String::from_utf8_lossy(&said.stdout).contains("Raw SHA1 verification successful")
        );
    }
}

#[test]
fn i13_5_zstd_and_cdzs_are_opt_in_and_chdman_0_289_reads_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cue = samples().join("cue").join("mixed").join("mixed.cue");
    let iso = samples().join("iso").join("data.iso");
    let cd = dir.path().join("cd.chd");
    let dvd = dir.path().join("dvd.chd");
    discus_ok(&[
        os("convert"),
        cue.as_os_str(),
        cd.as_os_str(),
        os("--encoder"),
        os("cdzs,cdzl,cdfl"),
    ]);
    discus_ok(&[
        os("convert"),
        iso.as_os_str(),
        dvd.as_os_str(),
        os("--sector-size"),
        os("2048"),
        os("--encoder"),
        os("zstd"),
    ]);
    // The default set names no zstd codec: chdman 0.251 refuses a file that names one anywhere.
    let default = dir.path().join("default.chd");
    discus_ok(&[os("convert"), cue.as_os_str(), default.as_os_str()]);
    let header = std::fs::read(&default).expect("chd");
    assert!(
        !header[16..32]
            .windows(4)
            .any(|w| w == b"cdzs" || w == b"zstd")
    );
    // Our own reader reads them back.
    let back = dir.path().join("back.iso");
    discus_ok(&[os("convert"), dvd.as_os_str(), back.as_os_str()]);
    assert!(std::fs::read(&back).expect("back") == std::fs::read(&iso).expect("iso"));
    let Some(newer) = peer("chdman-0.289") else {
        return;
    };
    let Some(chdman) = peer("chdman") else { return };
    chdman_verifies(&newer, &cd);
    chdman_verifies(&newer, &dvd);
    let theirs = dir.path().join("theirs.chd");
    chdman_create(&chdman, "createcd", &cue, &theirs, &[]);
    let (expected, _) = extract_cd(&chdman, &theirs, dir.path(), "x");
    let (ours, _) = extract_cd(&newer, &cd, dir.path(), "y");
    assert!(ours == expected);
    assert_eq!(chdman_hashes(&newer, &cd), chdman_hashes(&chdman, &theirs));
}
