//! Containment: whether every file an image reads lies inside a given folder. A sheet (cue, mds,
//! ccd) names its data files itself, so a sheet someone else wrote can point anywhere — an
//! absolute path, `../`, or a link inside the folder that leads out of it. Callers that must not
//! read (or later delete) anything outside a folder — a batch over a folder, an archive's
//! extraction folder — check the files a source reports with [`check`], after links are
//! resolved, so the rule is the same for every format.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Location, Result};

/// How much of a sheet is scanned for the line that names a file (sheets are small; a huge
/// file is not scanned further, and the refusal then names only the file).
const SCAN_LIMIT: u64 = 1 << 20;

/// `path` made absolute with every link resolved where it exists. A path that does not exist
/// keeps its resolved parent and loses `.` and `..` lexically, so `a/../../x` still compares
/// as the place it would reach.
pub fn resolved(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut clean = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                clean.pop();
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    match (clean.parent(), clean.file_name()) {
        (Some(parent), Some(name)) => match std::fs::canonicalize(parent) {
            Ok(parent) => parent.join(name),
            Err(_) => clean,
        },
        _ => clean,
    }
}

/// Whether `path` lies inside `root` once both are [`resolved`] (`root` itself counts as inside).
pub fn is_inside(root: &Path, path: &Path) -> bool {
    resolved(path).starts_with(resolved(root))
}

/// A file an image reads that lies outside the folder it must stay in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escape {
    /// The file, as the source reported it.
    pub file: PathBuf,
    /// Where it really is (links resolved).
    pub resolved: PathBuf,
    /// The line of the sheet that names it, when the sheet is text and names it.
    pub line: Option<usize>,
}

/// Every file of `files` outside `root`, each with the line of `sheet` naming it, in order.
pub fn escapes(sheet: &Path, files: &[PathBuf], root: &Path) -> Vec<Escape> {
    let root = resolved(root);
    let mut text: Option<String> = None;
    files
        .iter()
        .filter_map(|file| {
            let real = resolved(file);
            if real.starts_with(&root) {
                return None;
            }
            let text = text.get_or_insert_with(|| sheet_text(sheet));
            Some(Escape {
                file: file.clone(),
                line: naming_line(text, file),
                resolved: real,
            })
        })
        .collect()
}

/// Refuses, naming the sheet and the line, if any file of `files` lies outside `root`. The sheet
/// is read at `sheet` and named `shown` (an extracted sheet is better named by its place in
/// the archive than by a temporary folder). `rule` says which rule was broken and what to do:
/// the message is "reads FILE, RULE".
pub fn check(sheet: &Path, shown: &Path, files: &[PathBuf], root: &Path, rule: &str) -> Result<()> {
    let Some(first) = escapes(sheet, files, root).into_iter().next() else {
        return Ok(());
    };
    let shown_file = if first.resolved == first.file {
        format!("'{}'", first.file.display())
    } else {
        format!(
            "'{}' (really '{}')",
            first.file.display(),
            first.resolved.display()
        )
    };
    let message = format!("reads {file}, {rule}", file = shown_file);
    Err(match first.line {
        Some(line) => Error::Invalid {
            path: shown.to_path_buf(),
            at: Location::Line { line, column: 1 },
            message,
        },
        None => Error::Usage(format!("{}: {message}", shown.display())),
    })
}

/// The start of `sheet` as text, or nothing for a file that cannot be read.
fn sheet_text(sheet: &Path) -> String {
    let mut bytes = Vec::new();
    if let Ok(file) = std::fs::File::open(sheet) {
        let _ = file.take(SCAN_LIMIT).read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The first line (from 1) of `text` that names `file` by its file name, in any letter case
/// (readers accept names whose case differs). Binary descriptors rarely have a match; the
/// refusal then names only the file.
fn naming_line(text: &str, file: &Path) -> Option<usize> {
    let name = file.file_name()?.to_string_lossy().to_lowercase();
    text.lines()
        .position(|line| line.to_lowercase().contains(&name))
        .map(|index| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }

    #[test]
    fn dot_dot_and_absolute_names_are_outside() {
        let dir = folder();
        let root = dir.path().join("in");
        std::fs::create_dir_all(&root).expect("mkdir");
        std::fs::write(root.join("a.bin"), b"x").expect("write");
        std::fs::write(dir.path().join("b.bin"), b"x").expect("write");
        assert!(is_inside(&root, &root.join("a.bin")));
        assert!(is_inside(&root, &root.join("missing.bin")));
        assert!(!is_inside(&root, &root.join("..").join("b.bin")));
        assert!(!is_inside(&root, &root.join("x/../../b.bin")));
        assert!(!is_inside(&root, Path::new("/etc/services")));
        // A sibling folder whose name starts like the root is not inside it.
        assert!(!is_inside(&root, &dir.path().join("in2").join("a.bin")));
    }

    #[cfg(unix)]
    #[test]
    fn a_link_inside_that_leads_out_is_outside() {
        let dir = folder();
        let root = dir.path().join("in");
        std::fs::create_dir_all(&root).expect("mkdir");
        std::fs::write(dir.path().join("secret.bin"), b"x").expect("write");
        std::os::unix::fs::symlink(dir.path().join("secret.bin"), root.join("game.bin"))
            .expect("symlink");
        assert!(!is_inside(&root, &root.join("game.bin")));
    }

    #[test]
    fn the_refusal_names_the_sheet_and_line() {
        let dir = folder();
        let sheet = dir.path().join("game.cue");
        std::fs::write(
            &sheet,
            "REM x\nFILE \"/etc/services\" BINARY\n  TRACK 01 MODE1/2352\n",
        )
        .expect("write");
        let files = vec![sheet.clone(), PathBuf::from("/etc/services")];
        let shown = Path::new("game.zip").join("game.cue");
        let error = check(&sheet, &shown, &files, dir.path(), "not allowed").expect_err("refused");
        let text = error.to_string();
        assert!(text.contains("game.zip/game.cue: line 2"), "{text}");
        assert!(
            text.contains("reads '/etc/services', not allowed"),
            "{text}"
        );
        assert!(check(&sheet, &sheet, &files[..1], dir.path(), "x").is_ok());
    }
}
