//! From INPUT arguments to items: files and folders are walked, a multi-file image (a sheet and
//! its data files) becomes one item named by its descriptor, archives are items of their own, and
//! each item gets its output path, a stable key for sharding and the journal, the folder it must
//! stay in, and the input files only it owns (the ones `--delete-source` may remove).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use discus::core::containment;

use super::archive;
pub use super::shard::Shard;

/// Extensions of files that describe other files: opened first, so their data files are known
/// before anything is taken for an image of its own.
const DESCRIPTORS: &[&str] = &["cue", "mds", "ccd", "toc", "gdi"];

/// Extensions of files that are only ever data of a descriptor; alone they are not items.
const DATA_ONLY: &[&str] = &["sub", "wav", "cdt"];

/// Extensions of data files a broken descriptor is assumed to own (so they are not converted
/// on their own when the descriptor cannot be read).
const DATA_FILES: &[&str] = &["bin", "img", "mdf", "sub", "wav", "cdt"];

/// Extensions worth looking at in a folder or an archive: every format's, plus data files.
pub fn image_extensions() -> Vec<String> {
    let mut list: Vec<String> = discus::formats()
        .iter()
        .flat_map(|f| f.extensions.iter().map(|e| e.to_string()))
        .collect();
    for ext in DESCRIPTORS.iter().chain(DATA_FILES) {
        list.push(ext.to_string());
    }
    list.sort();
    list.dedup();
    list
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// What an item is.
#[derive(Clone, Debug)]
pub enum Source {
    /// A disc image; its main file (the descriptor of a multi-file image).
    Image(PathBuf),
    /// An archive whose images are extracted and converted.
    Archive(PathBuf, archive::Kind),
    /// An INPUT that does not exist or cannot be read.
    Missing(PathBuf, String),
}

/// One unit of work.
#[derive(Clone, Debug)]
pub struct Item {
    /// Stable across machines, runs and spellings of the same INPUT: the name of the INPUT folder
    /// (links resolved; for an INPUT file, of its folder), then the path below it — so
    /// `roms/`, `roms`, `.` inside it and an absolute path give the same keys, and a folder
    /// mounted elsewhere on another machine still matches. Items are sorted and sharded by it.
    pub key: String,
    /// What to convert.
    pub source: Source,
    /// Every input file of the item (all files of a multi-file image), known at discovery.
    pub files: Vec<PathBuf>,
    /// The folder the outputs go to.
    pub out_folder: PathBuf,
    /// The main output (for an archive: the output its one image gets, named after the archive).
    pub output: PathBuf,
    /// The folder every file the item reads must lie in (links resolved): its INPUT folder, or
    /// the folder of an INPUT file.
    pub root: PathBuf,
    /// The input files `--delete-source` may remove: inside `root` (links resolved) and named
    /// by no other item of the run. A BIN two sheets share, or a file a sheet names outside its
    /// folder, is never among them.
    pub deletable: Vec<PathBuf>,
}

impl Item {
    /// The main input file.
    pub fn input(&self) -> &Path {
        match &self.source {
            Source::Image(p) | Source::Archive(p, _) | Source::Missing(p, _) => p,
        }
    }
}

/// Where outputs go and what they are called.
pub struct Naming<'a> {
    /// `--out-dir`, or `None` for beside each input.
    pub out_dir: Option<&'a Path>,
    /// The output extension (the target format's first).
    pub extension: &'a str,
}

impl Naming<'_> {
    /// The folder for an input at `relative_folder` below its INPUT folder, or beside `input`.
    pub fn folder(&self, input: &Path, relative_folder: &Path) -> PathBuf {
        match self.out_dir {
            Some(dir) => dir.join(relative_folder),
            None => input
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(".")),
        }
    }

    /// The output file for an image whose main file is `input`.
    pub fn output(&self, folder: &Path, input: &Path) -> PathBuf {
        let stem = input
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "disc".to_string());
        folder.join(format!("{stem}.{}", self.extension))
    }
}

/// A file found under an INPUT, before grouping.
struct Found {
    key: String,
    path: PathBuf,
    relative_folder: PathBuf,
    explicit: bool,
    root: PathBuf,
}

/// The key of the file at `relative` below the resolved folder `root`: the folder's own name,
/// then the relative path, with `/` between parts whatever the system.
fn key_of(root: &Path, relative: &Path) -> String {
    let mut parts: Vec<String> = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .into_iter()
        .collect();
    for part in relative.components() {
        parts.push(part.as_os_str().to_string_lossy().into_owned());
    }
    parts.join("/")
}

/// The folder of an INPUT file (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Files below `root` (only its own files unless `recursive`), sorted, skipping discus's own
/// temporary files and journals and anything in `skip`.
fn walk(root: &Path, recursive: bool, skip: &HashSet<PathBuf>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    // A link to a folder above (`in/loop -> ..`) would be walked again and again.
    let mut visited = HashSet::new();
    while let Some(dir) = pending.pop() {
        if !visited.insert(absolute(&dir)) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(".discus-") {
                continue;
            }
            let path = entry.path();
            if skip.contains(&absolute(&path)) {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() || (kind.is_symlink() && path.is_dir()) {
                if recursive {
                    pending.push(path);
                }
            } else if path.is_file() {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// `path` made absolute and canonical where it exists, so the same file always compares equal.
pub fn absolute(path: &Path) -> PathBuf {
    containment::resolved(path)
}

/// Turns INPUT arguments into items, in key order. `skip` holds files never to take as inputs
/// (outputs of earlier runs, absolute paths), `out_dir_abs` is kept out of folder walks.
pub fn discover(
    inputs: &[PathBuf],
    recursive: bool,
    naming: &Naming<'_>,
    skip: &HashSet<PathBuf>,
) -> Vec<Item> {
    let wanted = image_extensions();
    let mut found = Vec::new();
    let mut items = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let root = containment::resolved(input);
            for path in walk(input, recursive, skip) {
                let ext = extension(&path);
                if archive::Kind::of(&path).is_none() && !wanted.contains(&ext) {
                    continue;
                }
                let relative = path.strip_prefix(input).unwrap_or(&path).to_path_buf();
                let relative_folder = relative.parent().map(Path::to_path_buf).unwrap_or_default();
                found.push(Found {
                    key: key_of(&root, &relative),
                    path,
                    relative_folder,
                    explicit: false,
                    root: root.clone(),
                });
            }
        } else if input.is_file() {
            let root = containment::resolved(folder_of(input));
            let name = input.file_name().map(PathBuf::from).unwrap_or_default();
            found.push(Found {
                key: key_of(&root, &name),
                path: input.clone(),
                relative_folder: PathBuf::new(),
                explicit: true,
                root,
            });
        } else {
            items.push(Item {
                key: input.to_string_lossy().replace('\\', "/"),
                source: Source::Missing(input.clone(), "no such file or folder".to_string()),
                files: Vec::new(),
                out_folder: PathBuf::new(),
                output: PathBuf::new(),
                root: PathBuf::new(),
                deletable: Vec::new(),
            });
        }
    }
    // Descriptors first: the files they name are theirs.
    found.sort_by_key(|f| !DESCRIPTORS.contains(&extension(&f.path).as_str()));
    let mut claimed: HashSet<PathBuf> = HashSet::new();
    for f in found {
        let abs = absolute(&f.path);
        if claimed.contains(&abs) {
            continue;
        }
        let ext = extension(&f.path);
        let folder = naming.folder(&f.path, &f.relative_folder);
        if let Some(kind) = archive::Kind::of(&f.path) {
            claimed.insert(abs);
            items.push(Item {
                key: f.key,
                // The output of an archive of one image; one of several images goes to a
                // folder of the archive's name.
                output: naming.output(&folder, &f.path),
                out_folder: folder,
                source: Source::Archive(f.path.clone(), kind),
                files: vec![f.path],
                root: f.root,
                deletable: Vec::new(),
            });
            continue;
        }
        if DATA_ONLY.contains(&ext.as_str()) && !f.explicit {
            continue;
        }
        let mut files = vec![f.path.clone()];
        if DESCRIPTORS.contains(&ext.as_str()) {
            match discus::open(&f.path) {
                Ok(opened) => files = opened.source.files(),
                Err(_) => files.extend(siblings(&f.path)),
            }
            if !files.iter().any(|p| absolute(p) == abs) {
                files.insert(0, f.path.clone());
            }
        }
        for file in &files {
            claimed.insert(absolute(file));
        }
        items.push(Item {
            key: f.key,
            output: naming.output(&folder, &f.path),
            out_folder: folder,
            source: Source::Image(f.path),
            files,
            root: f.root,
            deletable: Vec::new(),
        });
    }
    items.sort_by(|a, b| a.key.cmp(&b.key));
    mark_deletable(&mut items);
    items
}

/// Fills each item's `deletable`: its files inside its root (links resolved) that no other item
/// of the run names. Counted over every item found, before any `--shard` slicing, so a BIN
/// another shard's sheet needs is never deleted either.
fn mark_deletable(items: &mut [Item]) {
    let mut owners: HashMap<PathBuf, usize> = HashMap::new();
    for item in items.iter() {
        let mine: HashSet<PathBuf> = item.files.iter().map(|f| absolute(f)).collect();
        for file in mine {
            *owners.entry(file).or_default() += 1;
        }
    }
    for item in items.iter_mut() {
        if matches!(item.source, Source::Missing(..)) {
            continue;
        }
        let mut seen = HashSet::new();
        item.deletable = item
            .files
            .iter()
            .filter(|f| {
                let real = absolute(f);
                owners.get(&real) == Some(&1) && real.starts_with(&item.root) && seen.insert(real)
            })
            .cloned()
            .collect();
    }
}

/// Same-stem data files beside a descriptor that could not be read.
fn siblings(descriptor: &Path) -> Vec<PathBuf> {
    let Some(stem) = descriptor.file_stem() else {
        return Vec::new();
    };
    let Some(parent) = descriptor.parent() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    }) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_stem() == Some(stem)
                && p != descriptor
                && DATA_FILES.contains(&extension(p).as_str())
        })
        .collect()
}

/// Items that cannot run beside an earlier one (by key order): the same key as another item
/// (two INPUT folders of the same name), or an output another item claims.
pub fn collisions(items: &[Item]) -> BTreeMap<usize, String> {
    let mut seen: BTreeMap<PathBuf, usize> = BTreeMap::new();
    let mut keys: HashMap<&str, usize> = HashMap::new();
    let mut clashes = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        if matches!(item.source, Source::Missing(..)) {
            continue;
        }
        if let Some(&first) = keys.get(item.key.as_str()) {
            clashes.insert(
                index,
                format!(
                    "{} has the same key '{}' as {} (two INPUT folders of the same name); run them separately",
                    item.input().display(),
                    item.key,
                    items[first].input().display()
                ),
            );
            continue;
        }
        keys.insert(&item.key, index);
        let out = absolute(&item.output);
        match seen.get(&out) {
            Some(&first) => {
                clashes.insert(
                    index,
                    format!(
                        "{} would also write {}; only {} is converted",
                        item.input().display(),
                        item.output.display(),
                        items[first].input().display()
                    ),
                );
            }
            None => {
                seen.insert(out, index);
            }
        }
    }
    clashes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_use_forward_slashes() {
        let key = key_of(Path::new("/x/in"), &Path::new("a").join("b.iso"));
        assert_eq!(key, "in/a/b.iso");
        assert_eq!(key_of(Path::new("/"), Path::new("b.iso")), "b.iso");
    }
}
