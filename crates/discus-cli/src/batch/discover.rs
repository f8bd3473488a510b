//! From INPUT arguments to items: files and folders are walked, a multi-file image (a sheet and
//! its data files) becomes one item named by its descriptor, archives are items of their own, and
//! each item gets its output path, a stable key for sharding and the journal, the folder it must
//! stay in, and the input files only it owns (the ones `--delete-source` may remove).

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use discus::core::containment;

pub use super::shard::Shard;
use super::{archive, naming, worker};

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
    /// Why the item may not run: it would write the output of an earlier item by key order,
    /// or has the key of one (two INPUT folders of one name). Found over every item, before
    /// `--shard` slices them, so no two shards both write one output.
    pub clash: Option<String>,
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
    /// Name outputs by the serial the disc holds (`--name serial`; see [`naming`]), reading a
    /// disc's file system only when the files it is made of pass this rule.
    pub serial: Option<worker::Reads>,
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
        self.output_as(folder, &stem_of(input))
    }

    /// The output file named `stem`.
    pub fn output_as(&self, folder: &Path, stem: &str) -> PathBuf {
        folder.join(format!("{stem}.{}", self.extension))
    }
}

/// The file stem of `path` as text (`disc` when it has none).
fn stem_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "disc".to_string())
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

/// `path` made absolute and canonical where it exists, so the same file always compares equal.
pub fn absolute(path: &Path) -> PathBuf {
    containment::resolved(path)
}

/// 128 bits standing for a resolved path or a key, so the sets a run keeps over all its items
/// cost 16 bytes an item rather than the text. Two texts share one with a chance of about
/// n²/2¹²⁹: none in any archive (10⁻²⁸ at a million files).
pub fn fingerprint<T: std::hash::Hash + ?Sized>(value: &T) -> u128 {
    use std::hash::{Hash, Hasher};
    let mut high = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut high);
    let mut low = std::collections::hash_map::DefaultHasher::new();
    0x5au8.hash(&mut low);
    value.hash(&mut low);
    (u128::from(high.finish()) << 64) | u128::from(low.finish())
}

/// Files never taken as inputs (outputs of earlier runs, the output folder), as a test on a
/// path found in a folder.
pub type Skip<'a> = &'a (dyn Fn(&Path) -> bool + Sync);

/// Nothing to skip.
pub fn skip_nothing(_: &Path) -> bool {
    false
}

/// The files sheets name, by fingerprint of the resolved path, with the number of items that
/// name each. A file here is never an item of its own, and only one named once may be deleted
/// by `--delete-source`. Only multi-file images add to it: an archive of plain ISOs keeps it
/// empty, whatever the number of items.
#[derive(Debug, Default)]
pub struct Census {
    named: HashMap<u128, u32>,
    /// The sheets counted.
    sheets: HashSet<u128>,
}

impl Census {
    fn claimed(&self, file: u128) -> bool {
        self.named.contains_key(&file)
    }

    fn owners(&self, file: u128) -> u32 {
        self.named.get(&file).copied().unwrap_or(1)
    }
}

/// An INPUT argument, as the stream takes it.
enum Input {
    Folder(PathBuf),
    File(PathBuf),
    Missing(PathBuf),
}

impl Input {
    /// Where the INPUT's items fall in key order: a folder's keys start with its name and `/`.
    fn order(&self) -> String {
        match self {
            Input::Folder(path) => format!("{}/", key_of(&absolute(path), Path::new(""))),
            Input::File(path) => {
                let name = path.file_name().map(PathBuf::from).unwrap_or_default();
                key_of(&absolute(folder_of(path)), &name)
            }
            Input::Missing(path) => path.to_string_lossy().replace('\\', "/"),
        }
    }
}

/// One name in a folder being walked.
struct Entry {
    name: std::ffi::OsString,
    folder: bool,
}

/// A folder being walked: its entries still to go, in key order, already reduced to items and
/// subfolders. Only the names are held, so a folder costs its names, not its items.
struct Frame {
    /// The folder as walked (the INPUT as typed, joined with `relative`).
    dir: PathBuf,
    /// The folder below its INPUT folder.
    relative: PathBuf,
    /// The INPUT folder, links resolved: keys and the containment rule start here.
    root: Rc<PathBuf>,
    entries: VecDeque<Entry>,
    /// Items of this folder that would write the output of an earlier one by key order.
    clashes: HashMap<std::ffi::OsString, String>,
    /// With `--name serial`, the output stem of each item of this folder.
    stems: HashMap<std::ffi::OsString, String>,
}

/// Checks made across INPUTs: within one INPUT folder, two items can share an output only in
/// one folder, which [`Frame`] checks; across INPUTs they can share keys, outputs and files.
#[derive(Default)]
struct Across {
    keys: HashSet<u128>,
    outputs: HashSet<u128>,
    files: HashSet<u128>,
}

/// The items below INPUTs, one at a time, in key order (every folder sorted on its own, its
/// subfolders walked where their names fall), without holding them: memory grows with the
/// largest folder and the number of files sheets name, not with the number of items.
///
/// A first pass (`Stream::new`) builds the [`Census`] of the files sheets name as it goes;
/// a second one over the same INPUTs (`Stream::with_census`) uses the finished census, so a
/// sheet naming a file walked before it (`../x.bin`) still claims it, and a BIN two sheets share
/// is known to be shared before either runs.
pub struct Stream<'a> {
    naming: &'a Naming<'a>,
    recursive: bool,
    skip: Skip<'a>,
    wanted: Vec<String>,
    census: Census,
    /// The census is final: nothing is added to it.
    frozen: bool,
    inputs: VecDeque<Input>,
    frames: Vec<Frame>,
    /// Folders walked: a link to a folder above would be walked again and again.
    visited: HashSet<PathBuf>,
    across: Option<Across>,
}

impl<'a> Stream<'a> {
    /// The first pass over `inputs`: items as the census so far says.
    pub fn new(
        inputs: &[PathBuf],
        recursive: bool,
        naming: &'a Naming<'a>,
        skip: Skip<'a>,
    ) -> Stream<'a> {
        Stream::start(inputs, recursive, naming, skip, Census::default(), false)
    }

    /// A pass over `inputs` with the census of a finished first pass over the same INPUTs.
    pub fn with_census(
        inputs: &[PathBuf],
        recursive: bool,
        naming: &'a Naming<'a>,
        skip: Skip<'a>,
        census: Census,
    ) -> Stream<'a> {
        Stream::start(inputs, recursive, naming, skip, census, true)
    }

    fn start(
        inputs: &[PathBuf],
        recursive: bool,
        naming: &'a Naming<'a>,
        skip: Skip<'a>,
        census: Census,
        frozen: bool,
    ) -> Stream<'a> {
        let mut list: Vec<Input> = inputs
            .iter()
            .map(|input| {
                if input.is_dir() {
                    Input::Folder(input.clone())
                } else if input.is_file() {
                    Input::File(input.clone())
                } else {
                    Input::Missing(input.clone())
                }
            })
            .collect();
        list.sort_by_cached_key(Input::order);
        let mut stream = Stream {
            naming,
            recursive,
            skip,
            wanted: image_extensions(),
            census,
            frozen,
            across: (inputs.len() > 1).then(Across::default),
            inputs: list.into(),
            frames: Vec::new(),
            visited: HashSet::new(),
        };
        // Sheets named on the command line claim their files before any INPUT is walked, as
        // the sheets of a folder do before its other files.
        if !frozen {
            let sheets: Vec<PathBuf> = stream
                .inputs
                .iter()
                .filter_map(|i| match i {
                    Input::File(p) if DESCRIPTORS.contains(&extension(p).as_str()) => {
                        Some(p.clone())
                    }
                    _ => None,
                })
                .collect();
            for sheet in sheets {
                stream.claim(&sheet);
            }
        }
        stream
    }

    /// The census, once the pass is over.
    pub fn into_census(self) -> Census {
        self.census
    }

    /// The files of a sheet: what its reader resolves, or, when it cannot be read, its
    /// same-stem data files (so a broken sheet fails as one item instead of its BINs being
    /// converted alone). The sheet itself is always first among them.
    fn sheet_files(path: &Path) -> Vec<PathBuf> {
        let mut files = match discus::open(path) {
            Ok(opened) => opened.source.files(),
            Err(_) => {
                let mut files = vec![path.to_path_buf()];
                files.extend(siblings(path));
                files
            }
        };
        let own = absolute(path);
        if !files.iter().any(|p| absolute(p) == own) {
            files.insert(0, path.to_path_buf());
        }
        files
    }

    /// Records the files the sheet at `path` names (first pass only).
    fn claim(&mut self, path: &Path) {
        // A sheet reached twice (named on the command line and inside a folder INPUT) is one
        // item: its files must not look shared with itself.
        if !self.census.sheets.insert(fingerprint(&absolute(path))) {
            return;
        }
        let mut seen = HashSet::new();
        for file in Stream::sheet_files(path) {
            let print = fingerprint(&absolute(&file));
            if seen.insert(print) {
                *self.census.named.entry(print).or_default() += 1;
            }
        }
    }

    /// Opens the folder `dir` (`relative` below the INPUT folder `root`): its names sorted in
    /// key order, its sheets' files claimed, the files that are no item dropped, and outputs
    /// that two of its items would share found.
    fn enter(&mut self, dir: PathBuf, relative: PathBuf, root: Rc<PathBuf>) {
        if !self.visited.insert(absolute(&dir)) {
            return;
        }
        let Ok(list) = std::fs::read_dir(&dir) else {
            return;
        };
        let mut entries = Vec::new();
        for entry in list.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with(".discus-") {
                continue;
            }
            let path = entry.path();
            if (self.skip)(&path) {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() || (kind.is_symlink() && path.is_dir()) {
                if self.recursive {
                    entries.push(Entry { name, folder: true });
                }
            } else if path.is_file()
                && (archive::Kind::of(&path).is_some() || self.wanted.contains(&extension(&path)))
            {
                entries.push(Entry {
                    name,
                    folder: false,
                });
            }
        }
        // Key order: a folder's keys continue with `/`, so `a.iso` comes before `a/b.iso`.
        entries.sort_by_cached_key(|e| {
            let mut key = e.name.to_string_lossy().into_owned().into_bytes();
            if e.folder {
                key.push(b'/');
            }
            key
        });
        if !self.frozen {
            let sheets: Vec<PathBuf> = entries
                .iter()
                .filter(|e| {
                    !e.folder && DESCRIPTORS.contains(&extension(Path::new(&e.name)).as_str())
                })
                .map(|e| dir.join(&e.name))
                .collect();
            for sheet in sheets {
                self.claim(&sheet);
            }
        }
        let out_folder = self.naming.folder(&dir.join("x"), &relative);
        entries.retain(|e| e.folder || self.is_item(&dir.join(&e.name), false));
        // By serial, the names of a folder's items depend on each other: one serial shared by
        // two discs names both by their inputs too.
        let mut stems = HashMap::new();
        if let Some(reads) = self.naming.serial {
            let files: Vec<&Entry> = entries.iter().filter(|e| !e.folder).collect();
            let found: Vec<(String, Option<String>)> = files
                .iter()
                .map(|e| {
                    let path = dir.join(&e.name);
                    let serial = match archive::Kind::of(&path) {
                        Some(_) => None,
                        None => naming::serial(&path, reads, &root),
                    };
                    (stem_of(&path), serial)
                })
                .collect();
            for (entry, stem) in files.iter().zip(naming::stems(&found)) {
                stems.insert(entry.name.clone(), stem);
            }
        }
        // One folder's outputs all go to one folder: their names are enough to compare, and the
        // first of each is found again by its place in the list.
        let mut outputs: HashMap<std::ffi::OsString, usize> = HashMap::new();
        let mut clashes = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            if entry.folder {
                continue;
            }
            let path = dir.join(&entry.name);
            let output = match stems.get(&entry.name) {
                Some(stem) => self.naming.output_as(&out_folder, stem),
                None => self.naming.output(&out_folder, &path),
            };
            let name = output
                .file_name()
                .map(|n| n.to_os_string())
                .unwrap_or_default();
            match outputs.get(&name) {
                Some(&first) => {
                    clashes.insert(
                        entry.name.clone(),
                        format!(
                            "{} would also write {}; only {} is converted",
                            path.display(),
                            output.display(),
                            dir.join(&entries[first].name).display()
                        ),
                    );
                }
                None => {
                    outputs.insert(name, index);
                }
            }
        }
        drop(outputs);
        let kept: VecDeque<Entry> = entries.into();
        self.frames.push(Frame {
            dir,
            relative,
            root,
            entries: kept,
            clashes,
            stems,
        });
    }

    /// Whether the file at `path` is an item: a sheet, an archive, or an image no sheet names
    /// (a data-only file such as `.sub` only when named on the command line).
    fn is_item(&self, path: &Path, explicit: bool) -> bool {
        let ext = extension(path);
        if archive::Kind::of(path).is_some() || DESCRIPTORS.contains(&ext.as_str()) {
            return true;
        }
        if DATA_ONLY.contains(&ext.as_str()) && !explicit {
            return false;
        }
        !self.census.claimed(fingerprint(&absolute(path)))
    }

    /// The item of the file `path`, `relative_folder` below its INPUT folder `root`.
    fn item(
        &self,
        path: PathBuf,
        key: String,
        relative_folder: &Path,
        root: &Path,
        clash: Option<String>,
        stem: Option<String>,
    ) -> Item {
        let folder = self.naming.folder(&path, relative_folder);
        let output = match stem {
            Some(stem) => self.naming.output_as(&folder, &stem),
            None => self.naming.output(&folder, &path),
        };
        let (source, files) = match archive::Kind::of(&path) {
            Some(kind) => (Source::Archive(path.clone(), kind), vec![path]),
            None if DESCRIPTORS.contains(&extension(&path).as_str()) => {
                let files = Stream::sheet_files(&path);
                (Source::Image(path), files)
            }
            None => (Source::Image(path.clone()), vec![path]),
        };
        let mut seen = HashSet::new();
        let deletable = files
            .iter()
            .filter(|f| {
                let real = absolute(f);
                let print = fingerprint(&real);
                self.census.owners(print) == 1 && real.starts_with(root) && seen.insert(print)
            })
            .cloned()
            .collect();
        Item {
            key,
            source,
            files,
            out_folder: folder,
            output,
            root: root.to_path_buf(),
            deletable,
            clash,
        }
    }

    /// Across INPUTs: a second item of one key or one output fails; the same file reached
    /// through two INPUTs is one item.
    fn across(&mut self, mut item: Item) -> Option<Item> {
        let Some(across) = &mut self.across else {
            return Some(item);
        };
        if matches!(item.source, Source::Missing(..)) {
            return Some(item);
        }
        if !across.files.insert(fingerprint(&absolute(item.input()))) {
            return None;
        }
        if !across.keys.insert(fingerprint(Path::new(&item.key))) {
            item.clash = Some(format!(
                "{} has the same key '{}' as an item of an earlier INPUT (two INPUT folders of the same name); run them separately",
                item.input().display(),
                item.key
            ));
        } else if !across.outputs.insert(fingerprint(&absolute(&item.output)))
            && item.clash.is_none()
        {
            item.clash = Some(format!(
                "{} would also write {}, which an item of an earlier INPUT writes; only that one is converted",
                item.input().display(),
                item.output.display()
            ));
        }
        Some(item)
    }

    fn next_item(&mut self) -> Option<Item> {
        loop {
            if let Some(frame) = self.frames.last_mut() {
                let Some(entry) = frame.entries.pop_front() else {
                    self.frames.pop();
                    continue;
                };
                let path = frame.dir.join(&entry.name);
                let relative = frame.relative.join(&entry.name);
                let root = Rc::clone(&frame.root);
                if entry.folder {
                    self.enter(path, relative, root);
                    continue;
                }
                let clash = frame.clashes.remove(&entry.name);
                let stem = frame.stems.remove(&entry.name);
                let folder = frame.relative.clone();
                let key = key_of(&root, &relative);
                let item = self.item(path, key, &folder, &root, clash, stem);
                if let Some(item) = self.across(item) {
                    return Some(item);
                }
                continue;
            }
            match self.inputs.pop_front()? {
                Input::Folder(dir) => {
                    let root = Rc::new(containment::resolved(&dir));
                    self.enter(dir, PathBuf::new(), root);
                }
                Input::File(path) => {
                    if !self.is_item(&path, true) {
                        continue;
                    }
                    let root = containment::resolved(folder_of(&path));
                    let name = path.file_name().map(PathBuf::from).unwrap_or_default();
                    let key = key_of(&root, &name);
                    let stem = match self.naming.serial {
                        Some(reads) if archive::Kind::of(&path).is_none() => {
                            naming::serial(&path, reads, &root)
                        }
                        _ => None,
                    };
                    let item = self.item(path, key, Path::new(""), &root, None, stem);
                    if let Some(item) = self.across(item) {
                        return Some(item);
                    }
                }
                Input::Missing(path) => {
                    return Some(Item {
                        key: path.to_string_lossy().replace('\\', "/"),
                        source: Source::Missing(path, "no such file or folder".to_string()),
                        files: Vec::new(),
                        out_folder: PathBuf::new(),
                        output: PathBuf::new(),
                        root: PathBuf::new(),
                        deletable: Vec::new(),
                        clash: None,
                    });
                }
            }
        }
    }
}

impl Iterator for Stream<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        self.next_item()
    }
}

/// Every item below `inputs`, in key order, both passes made: for the few images of an
/// archive, and for `--report`, which needs only the keys.
pub fn discover(
    inputs: &[PathBuf],
    recursive: bool,
    naming: &Naming<'_>,
    skip: Skip<'_>,
) -> Vec<Item> {
    let mut first = Stream::new(inputs, recursive, naming, skip);
    for _ in first.by_ref() {}
    let census = first.into_census();
    Stream::with_census(inputs, recursive, naming, skip, census).collect()
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
