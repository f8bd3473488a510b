//! Finds the files a sheet names and opens them: FILE names are resolved against the sheet's own
//! folder (never the working directory), with the fallbacks real sheets need (wrong case, stale
//! names, Windows paths), each reported as a warning. Also the positioned read every other
//! module uses, so the reader never moves a shared file cursor.

use std::fs::File;
use std::path::{Path, PathBuf};

use discus_core::ecm::Input;
use discus_core::{IoContext, Result};

use crate::sheet::{FileType, Pos};

/// A data file, open for the life of the source.
#[derive(Debug)]
pub(crate) struct DataFile {
    pub path: PathBuf,
    pub kind: FileType,
    /// The file, read through the ECM decoder when it is a `.bin.ecm` standing in for a BIN.
    pub file: Input,
    /// Where the sectors start (after a WAVE header) and how many bytes of them there are.
    pub base: u64,
    pub len: u64,
}

/// The folder a sheet's relative names start from.
pub(crate) fn folder_of(cue: &Path) -> &Path {
    match cue.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// The entries of `folder` that are files, sorted so that every fallback is deterministic.
fn listing(folder: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn same_name(a: &Path, b: &str) -> bool {
    a.file_name()
        .is_some_and(|n| n.to_string_lossy().to_lowercase() == b.to_lowercase())
}

/// Whether a name is written the Windows way (backslashes or a drive letter).
fn is_windows_path(name: &str) -> bool {
    let bytes = name.as_bytes();
    name.contains('\\') || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
}

/// A Windows path relative to the sheet (`Album\01.wav`) as a path of this system, or `None`
/// for a path with a drive letter, a leading separator or a `..` component: those do not name a
/// file below the sheet's folder.
fn windows_relative(name: &str) -> Option<PathBuf> {
    let bytes = name.as_bytes();
    let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if drive || name.starts_with(['\\', '/']) {
        return None;
    }
    let parts: Vec<&str> = name.split(['\\', '/']).filter(|p| !p.is_empty()).collect();
    if parts.is_empty() || parts.contains(&"..") {
        return None;
    }
    Some(parts.iter().collect())
}

/// The file a FILE line means. Tried in order: the name as written (relative to the sheet), the
/// same name in another letter case, and — for a sheet with a single BINARY/MOTOROLA file only,
/// where no other file can be meant — the sheet's own stem with `.bin`, then the only `.bin` of
/// the folder. A Windows path is first tried as a path below the sheet's folder (`\` as the
/// separator), then by its last component beside the sheet. A file found outside the sheet's
/// folder (through `..` or an absolute path) is read, but with a warning, since a sheet normally
/// names only its neighbours and anything else may not be what the user meant to convert.
pub(crate) fn locate(
    cue: &Path,
    name: &str,
    kind: FileType,
    only_file: bool,
    pos: Pos,
    warnings: &mut Vec<String>,
) -> Result<PathBuf> {
    let found = search(cue, name, kind, only_file, pos, warnings)?;
    let folder = folder_of(cue);
    let inside = match (folder.canonicalize(), found.canonicalize()) {
        (Ok(folder), Ok(file)) => file.starts_with(folder),
        _ => found.starts_with(folder) && !name.contains(".."),
    };
    if !inside {
        warnings.push(pos.warning(
            cue,
            format!(
                "FILE '{name}' is outside the sheet's folder; reading '{}'",
                found.display()
            ),
        ));
    }
    Ok(found)
}

fn search(
    cue: &Path,
    name: &str,
    kind: FileType,
    only_file: bool,
    pos: Pos,
    warnings: &mut Vec<String>,
) -> Result<PathBuf> {
    let folder = folder_of(cue);
    let mut written = name.to_string();
    if is_windows_path(name) {
        // `Album\01.wav` names a file in a sub-folder of the sheet's folder, as on Windows; only
        // a path that stays inside the sheet's folder is tried this way.
        if let Some(inner) = windows_relative(name) {
            let direct = folder.join(&inner);
            if direct.is_file() {
                return Ok(direct);
            }
        }
        let base = name.rsplit(['\\', '/']).next().unwrap_or(name);
        let base = base.rsplit(':').next().unwrap_or(base).to_string();
        warnings.push(pos.warning(
            cue,
            format!(
                "'{name}' is a Windows path that is not below the sheet's folder; looking for '{base}' beside the sheet"
            ),
        ));
        written = base;
    }
    let direct = folder.join(&written);
    if direct.is_file() {
        return Ok(direct);
    }
    // `game.bin` kept as `game.bin.ecm` (how many archives ship it) is read through ECM.
    if let Some(ecm) = discus_core::ecm::resolve(&direct) {
        return Ok(ecm);
    }
    // The rest of the search happens in the folder the name points into (the sheet's folder for a
    // bare name); an absolute path that does not exist falls back to its base name beside the sheet.
    let (search_folder, base) = match Path::new(&written).file_name() {
        Some(base) => {
            let base = base.to_string_lossy().into_owned();
            let parent = direct.parent().filter(|p| p.is_dir()).unwrap_or(folder);
            (parent.to_path_buf(), base)
        }
        None => (folder.to_path_buf(), written.clone()),
    };
    let beside_sheet = folder.join(&base);
    if beside_sheet.is_file() {
        warnings.push(pos.warning(
            cue,
            format!("'{name}' not found; using '{}'", beside_sheet.display()),
        ));
        return Ok(beside_sheet);
    }
    let mut folders = vec![search_folder];
    if folders[0] != folder {
        folders.push(folder.to_path_buf());
    }
    for look in &folders {
        if let Some(found) = listing(look).into_iter().find(|p| same_name(p, &base)) {
            warnings.push(pos.warning(
                cue,
                format!(
                    "'{name}' not found; using '{}', whose name differs in case",
                    found.display()
                ),
            ));
            return Ok(found);
        }
    }
    let bin_like = matches!(kind, FileType::Binary | FileType::Motorola);
    if only_file && bin_like {
        let stem = cue
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let files = listing(folder);
        let stem_bin = format!("{stem}.bin");
        if let Some(found) = files.iter().find(|p| same_name(p, &stem_bin)) {
            warnings.push(pos.warning(
                cue,
                format!(
                    "'{name}' not found; using '{}', named after the sheet",
                    found.display()
                ),
            ));
            return Ok(found.clone());
        }
        let bins: Vec<&PathBuf> = files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("bin")))
            .collect();
        if let [only] = bins.as_slice() {
            warnings.push(pos.warning(
                cue,
                format!(
                    "'{name}' not found; using '{}', the only .bin file beside the sheet",
                    only.display()
                ),
            ));
            return Ok((*only).clone());
        }
    }
    Err(pos.error(
        cue,
        format!(
            "FILE '{name}' not found in {} (also tried other letter cases{})",
            folder.display(),
            if only_file && bin_like {
                ", the sheet's name with .bin and the only .bin of the folder"
            } else {
                ""
            }
        ),
    ))
}

/// Opens a located data file and finds where its sectors are.
pub(crate) fn open(path: PathBuf, kind: FileType, warnings: &mut Vec<String>) -> Result<DataFile> {
    let (file, base, len) = match kind {
        FileType::Wave => {
            let file = File::open(&path).with_path(&path)?;
            let len = file.metadata().with_path(&path)?.len();
            let samples = discus_core::wave::samples(&path, &file, len, warnings)?;
            (Input::Plain(file), samples.offset, samples.len)
        }
        FileType::Binary | FileType::Motorola => {
            let file = Input::open(&path)?;
            let len = file.len(&path)?;
            (file, 0, len)
        }
    };
    Ok(DataFile {
        path,
        kind,
        file,
        base,
        len,
    })
}

/// The sheet beside a non-sheet file with the same stem (`game.bin` → `game.cue`), any case,
/// when that sheet reads the file: one of its FILE lines resolves to it, as the reader resolves
/// them. A `t.cue` naming `t.bin` says nothing about a `t.img` beside it, and the file the user
/// named is the file converted.
pub(crate) fn sibling_sheet(path: &Path) -> Option<PathBuf> {
    let stem = path.file_stem()?.to_string_lossy().to_lowercase();
    let sheet = listing(folder_of(path)).into_iter().find(|p| {
        p.extension().is_some_and(|e| e.eq_ignore_ascii_case("cue"))
            && p.file_stem()
                .is_some_and(|s| s.to_string_lossy().to_lowercase() == stem)
    })?;
    names(&sheet, path).then_some(sheet)
}

/// Whether the sheet at `cue` reads `data` through one of its FILE lines.
fn names(cue: &Path, data: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(cue) else {
        return false;
    };
    if meta.len() > crate::read::MAX_SHEET {
        return false;
    }
    let Ok(bytes) = std::fs::read(cue) else {
        return false;
    };
    let Ok(sheet) = crate::sheet::parse(cue, &crate::sheet::decode(&bytes)) else {
        return false;
    };
    let Ok(wanted) = data.canonicalize() else {
        return false;
    };
    let only_file = sheet.files.len() == 1;
    sheet.files.iter().any(|file| {
        locate(
            cue,
            &file.name,
            file.kind,
            only_file,
            file.pos,
            &mut Vec::new(),
        )
        .and_then(|found| found.canonicalize().with_path(&found))
        .is_ok_and(|found| found == wanted)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn touch(folder: &Path, name: &str) -> PathBuf {
        let path = folder.join(name);
        std::fs::write(&path, b"x").unwrap();
        path
    }

    fn find(cue: &Path, name: &str, only: bool) -> (Result<PathBuf>, Vec<String>) {
        let mut warnings = Vec::new();
        let got = locate(
            cue,
            name,
            FileType::Binary,
            only,
            Pos { line: 2, column: 6 },
            &mut warnings,
        );
        (got, warnings)
    }

    #[test]
    fn exact_then_case_then_stem_then_only_bin() {
        let dir = tempfile::tempdir().unwrap();
        let cue = dir.path().join("disc.cue");
        let exact = touch(dir.path(), "Exact.bin");
        let (got, w) = find(&cue, "Exact.bin", true);
        assert_eq!(got.unwrap(), exact);
        assert!(w.is_empty());
        let (got, w) = find(&cue, "EXACT.BIN", true);
        assert_eq!(got.unwrap(), exact);
        assert!(w[0].contains("differs in case"), "{w:?}");
        // Stale name, one .bin: the only .bin.
        let (got, w) = find(&cue, "BOING.BIN", true);
        assert_eq!(got.unwrap(), exact);
        assert!(w[0].contains("only .bin"), "{w:?}");
        // The sheet's stem wins over the only-.bin rule.
        let stem = touch(dir.path(), "DISC.bin");
        let (got, w) = find(&cue, "BOING.BIN", true);
        assert_eq!(got.unwrap(), stem);
        assert!(w[0].contains("named after the sheet"), "{w:?}");
        // Several files in the sheet: no guessing.
        let (got, _) = find(&cue, "BOING.BIN", false);
        let err = got.unwrap_err().to_string();
        assert!(err.contains("line 2, column 6"), "{err}");
        assert!(err.contains("BOING.BIN"), "{err}");
    }

    #[test]
    fn windows_and_absolute_paths_keep_the_base_name() {
        let dir = tempfile::tempdir().unwrap();
        let cue = dir.path().join("disc.cue");
        let bin = touch(dir.path(), "track.bin");
        let (got, w) = find(&cue, "C:\\Rips\\Disc\\track.bin", false);
        assert_eq!(got.unwrap(), bin);
        assert!(w[0].contains("Windows path"), "{w:?}");
        let (got, _) = find(&cue, "/no/such/folder/track.bin", false);
        assert_eq!(got.unwrap(), bin);
        // A relative name in a subfolder works as written.
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let inner = touch(&dir.path().join("sub"), "inner.bin");
        let (got, w) = find(&cue, "sub/inner.bin", false);
        assert_eq!(got.unwrap(), inner);
        assert!(w.is_empty());
    }

    #[test]
    fn i11_13_windows_path_into_a_sub_folder_then_the_bare_name() {
        let dir = tempfile::tempdir().unwrap();
        let cue = dir.path().join("disc.cue");
        std::fs::create_dir(dir.path().join("Album")).unwrap();
        let inner = touch(&dir.path().join("Album"), "01.bin");
        let (got, w) = find(&cue, "Album\\01.bin", false);
        assert_eq!(got.unwrap(), inner);
        assert!(w.is_empty(), "{w:?}");
        // Not in the sub-folder: the bare name beside the sheet, with a warning naming the line.
        let beside = touch(dir.path(), "02.bin");
        let (got, w) = find(&cue, "Album\\02.bin", false);
        assert_eq!(got.unwrap(), beside);
        assert!(
            w[0].contains("line 2") && w[0].contains("Windows path"),
            "{w:?}"
        );
        // A path that climbs out of the sheet's folder is never followed.
        let sheet_folder = dir.path().join("Album");
        touch(dir.path(), "up.bin");
        let (got, _) = find(&sheet_folder.join("x.cue"), "..\\up.bin", false);
        assert!(got.is_err(), "{got:?}");
    }

    #[test]
    fn a_file_outside_the_sheets_folder_is_read_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let sheet_folder = dir.path().join("sheet");
        std::fs::create_dir(&sheet_folder).unwrap();
        let outside = touch(dir.path(), "data.bin");
        let (got, warnings) = find(&sheet_folder.join("x.cue"), "../data.bin", true);
        assert_eq!(
            got.unwrap().canonicalize().unwrap(),
            outside.canonicalize().unwrap()
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("outside the sheet's folder")),
            "{warnings:?}"
        );
        let inside = touch(&sheet_folder, "in.bin");
        let (got, warnings) = find(&sheet_folder.join("x.cue"), "in.bin", true);
        assert_eq!(got.unwrap(), inside);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn finds_the_sibling_sheet_that_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let bin = touch(dir.path(), "Game.bin");
        assert_eq!(sibling_sheet(&bin), None);
        let cue = dir.path().join("game.CUE");
        let sheet =
            |name: &str| format!("FILE \"{name}\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n");
        std::fs::write(&cue, sheet("Game.bin")).unwrap();
        assert_eq!(sibling_sheet(&bin), Some(cue.clone()));
        // i11_7: a sheet naming another file is not this file's sheet.
        let img = touch(dir.path(), "Game.img");
        assert_eq!(sibling_sheet(&img), None);
        // A stale name the reader resolves to the file (the sheet's own stem) still counts.
        std::fs::write(&cue, sheet("BOING.BIN")).unwrap();
        std::fs::remove_file(&img).unwrap();
        assert_eq!(sibling_sheet(&bin), Some(cue));
    }
}
