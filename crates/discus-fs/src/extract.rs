//! Extraction of a tree (or chosen parts of it) into a folder, with the rules that keep every
//! write inside that folder: a name that is empty, `.`, `..`, or holds `/` or NUL is refused (with
//! everything below it); no write goes through a symbolic link (every folder on the way is checked
//! to be a real folder, and a link is never replaced); a link whose target leaves the folder is
//! refused unless asked for. Each file is written through the core's [`Destination`] rules: a
//! temporary file renamed into place, never replacing a file without `force`.

use std::io;
use std::path::{Component, Path, PathBuf};

use discus_core::output::commit;
use discus_core::{Destination, Error, IoContext, Result};

use crate::Image;
use crate::tree::{Kind, Tree};

/// How to extract.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Replace files that exist.
    pub force: bool,
    /// Create symbolic links whose target leaves the output folder (absolute, or `..` past it).
    pub outside_links: bool,
    /// Files that must never be replaced (the image's own files).
    pub inputs: Vec<PathBuf>,
}

/// What happened to one entry.
#[derive(Debug)]
pub enum Event {
    /// Written (a file, folder or link) at this path inside the folder.
    Written(String),
    /// Left out, with why (an associated file, a device node, an unsafe name or link).
    Skipped(String, String),
    /// Failed, with the error.
    Failed(String, Error),
}

/// What an extraction did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Files written.
    pub files: u64,
    /// Folders made.
    pub folders: u64,
    /// Links made.
    pub links: u64,
    /// Bytes of file data written.
    pub bytes: u64,
    /// Entries left out.
    pub skipped: u64,
    /// Entries that failed.
    pub failed: u64,
}

/// Whether `name` is safe as one component of a path inside the output folder.
pub fn safe_name(name: &str) -> std::result::Result<(), &'static str> {
    if name.is_empty() {
        Err("an empty name")
    } else if name == "." || name == ".." {
        Err("a name that means a folder above or here")
    } else if name.contains('/') || name.contains('\\') {
        Err("a name with a path separator in it")
    } else if name.contains('\0') {
        Err("a name with a NUL byte")
    } else {
        Ok(())
    }
}

/// Whether a link at `link_dir` (a path relative to the output folder, as components) pointing
/// at `target` stays inside the folder, resolved by its text alone.
pub fn link_stays_inside(link_dir: &[&str], target: &str) -> bool {
    let target = Path::new(target);
    if target.is_absolute() {
        return false;
    }
    let mut depth = link_dir.len() as i64;
    for component in target.components() {
        match component {
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

/// Extracts the nodes at `paths` of `tree` (the whole tree when empty) into `folder`, calling
/// `report` for each entry. Each chosen path lands at its own name inside the folder (its
/// directories below it kept); the root lands as the folder's content.
pub fn extract(
    image: &mut Image,
    tree: &Tree,
    paths: &[String],
    folder: &Path,
    options: &Options,
    report: &mut dyn FnMut(Event),
) -> Result<Summary> {
    std::fs::create_dir_all(folder).with_path(folder)?;
    let mut chosen: Vec<(usize, String)> = Vec::new();
    if paths.is_empty() {
        chosen.push((0, String::new()));
    } else {
        for path in paths {
            let index = tree.lookup(path).ok_or_else(|| {
                Error::Usage(format!("{path}: no such file or folder in the image"))
            })?;
            let name = match index {
                0 => String::new(),
                _ => tree.nodes[index].name.clone(),
            };
            chosen.push((index, name));
        }
    }
    let mut summary = Summary::default();
    // Folders get their dates and modes after what is inside them is written.
    let mut folders_done: Vec<(PathBuf, usize)> = Vec::new();
    for (start, start_name) in chosen {
        // Paths whose some component was refused: everything below is left out with it.
        let mut refused: Vec<String> = Vec::new();
        for (relative, index) in tree.walk(start, &start_name) {
            if relative.is_empty() {
                continue;
            }
            let node = &tree.nodes[index];
            if refused
                .iter()
                .any(|r| relative.starts_with(r.as_str()) && relative[r.len()..].starts_with('/'))
            {
                continue;
            }
            let parts: Vec<&str> = relative.split('/').collect();
            if let Err(why) = safe_name(&node.name) {
                refused.push(relative.clone());
                summary.skipped += 1;
                report(Event::Skipped(
                    relative.clone(),
                    format!("refused: {why} would write outside the output folder"),
                ));
                continue;
            }
            if node.associated {
                summary.skipped += 1;
                report(Event::Skipped(
                    relative.clone(),
                    "an associated file (resource fork): it shares its data file's name".into(),
                ));
                continue;
            }
            let target = folder.join(&relative);
            let parent_parts = &parts[..parts.len() - 1];
            if let Err(e) = real_folders(folder, parent_parts) {
                summary.failed += 1;
                refused.push(relative.clone());
                report(Event::Failed(relative.clone(), e));
                continue;
            }
            let outcome = match &node.kind {
                Kind::Directory => make_folder(&target).map(|made| {
                    if made {
                        summary.folders += 1;
                    }
                    folders_done.push((target.clone(), index));
                }),
                Kind::File => write_file(image, tree, index, &target, options).map(|bytes| {
                    summary.files += 1;
                    summary.bytes += bytes;
                }),
                Kind::Symlink(link) => {
                    if !options.outside_links && !link_stays_inside(parent_parts, link) {
                        summary.skipped += 1;
                        report(Event::Skipped(
                            relative.clone(),
                            format!(
                                "a link to {link}, outside the output folder (pass --outside-links to create it)"
                            ),
                        ));
                        continue;
                    }
                    make_link(link, &target, options.force).map(|()| summary.links += 1)
                }
                Kind::Special { .. } => {
                    summary.skipped += 1;
                    report(Event::Skipped(
                        relative.clone(),
                        "a device, FIFO or socket: not created".into(),
                    ));
                    continue;
                }
            };
            match outcome {
                Ok(()) => report(Event::Written(relative.clone())),
                Err(e) => {
                    summary.failed += 1;
                    if node.is_dir() {
                        refused.push(relative.clone());
                    }
                    report(Event::Failed(relative.clone(), e));
                }
            }
        }
    }
    // Deepest first, so a folder's date is set after its content stopped changing it.
    folders_done.sort_by_key(|(path, _)| std::cmp::Reverse(path.components().count()));
    for (path, index) in folders_done {
        let node = &tree.nodes[index];
        set_times(&path, node.modified.map(|t| t.0));
        if let Some(mode) = node.mode {
            // The owner keeps write permission, so the extracted tree can be changed and removed.
            set_mode(&path, (mode & 0o777) | 0o200);
        }
    }
    Ok(summary)
}

/// Checks that each folder on the way from `root` down `parts` is a real folder, not a link.
fn real_folders(root: &Path, parts: &[&str]) -> Result<()> {
    let mut at = root.to_path_buf();
    for part in parts {
        at.push(part);
        let meta = std::fs::symlink_metadata(&at).with_path(&at)?;
        if !meta.is_dir() {
            return Err(Error::Usage(format!(
                "{}: is not a folder (a link or a file); nothing is written through it",
                at.display()
            )));
        }
    }
    Ok(())
}

/// Makes a folder; an existing real folder is fine. Returns whether it was made.
fn make_folder(path: &Path) -> Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(false),
        Ok(_) => Err(Error::Usage(format!(
            "{}: exists and is not a folder",
            path.display()
        ))),
        Err(_) => std::fs::create_dir(path).with_path(path).map(|()| true),
    }
}

fn write_file(
    image: &mut Image,
    tree: &Tree,
    index: usize,
    target: &Path,
    options: &Options,
) -> Result<u64> {
    let node = &tree.nodes[index];
    if std::fs::symlink_metadata(target).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Error::Usage(format!(
            "{}: is a link; discus does not write through or replace links",
            target.display()
        )));
    }
    let destination = Destination {
        path: target.to_path_buf(),
        force: options.force,
        inputs: options.inputs.clone(),
        durable: false,
        run: None,
    };
    let mut output = destination.create(target)?;
    let mut stream = image.open_file(node)?;
    let bytes = io::copy(&mut stream, &mut output).map_err(|e| match e.downcast::<Error>() {
        Ok(inner) => inner,
        Err(e) => Error::io(target, e),
    })?;
    output.stamp(
        node.modified.and_then(|t| system_time(t.0)),
        node.mode.map(|mode| mode & 0o777),
    );
    commit([output])?;
    Ok(bytes)
}

/// The time `seconds` after (or before) 1970.
fn system_time(seconds: i64) -> Option<std::time::SystemTime> {
    let span = std::time::Duration::from_secs(seconds.unsigned_abs());
    match seconds >= 0 {
        true => std::time::UNIX_EPOCH.checked_add(span),
        false => std::time::UNIX_EPOCH.checked_sub(span),
    }
}

fn make_link(link: &str, target: &Path, force: bool) -> Result<()> {
    if let Ok(meta) = std::fs::symlink_metadata(target) {
        if !force || meta.is_dir() {
            return Err(Error::OutputExists {
                path: target.to_path_buf(),
            });
        }
        std::fs::remove_file(target).with_path(target)?;
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(link, target).with_path(target)
    }
    #[cfg(not(unix))]
    {
        Err(Error::unsupported(
            target,
            format!("a symbolic link to {link}"),
        ))
    }
}

/// Sets the modification (and access) time; a failure leaves the time of writing, as `cp` does.
fn set_times(path: &Path, seconds: Option<i64>) {
    let Some(time) = seconds.and_then(system_time) else {
        return;
    };
    let times = std::fs::FileTimes::new()
        .set_modified(time)
        .set_accessed(time);
    let opened = match std::fs::metadata(path).map(|m| m.is_dir()) {
        Ok(true) => std::fs::File::open(path),
        _ => std::fs::File::options().write(true).open(path),
    };
    if let Ok(file) = opened {
        let _ = file.set_times(times);
    }
}

fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_names_and_links_are_told_apart() {
        assert!(safe_name("..").is_err());
        assert!(safe_name("a/b").is_err());
        assert!(safe_name("").is_err());
        assert!(safe_name("ok.txt").is_ok());
        assert!(link_stays_inside(&["copy"], "../COPYING"));
        assert!(!link_stays_inside(&["copy"], "../../etc/passwd"));
        assert!(!link_stays_inside(&[], "/etc/passwd"));
        assert!(link_stays_inside(&["tmp"], "../copying/COPYING"));
    }
}
