//! The mount's namespace: numbered nodes (folders, files and links) the FUSE server answers
//! from. The top folder holds the flat files; the `files` module adds the disc's own tree under
//! `files/` with [`Tree::add_dir`], [`Tree::add_file`] and [`Tree::add_symlink`], each file with a
//! [`Content`] that reads through the same cache, and the mode and date the disc records.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use crate::image::Content;

/// What a node is.
pub enum Kind {
    /// A folder, with its entries in listing order (name, node).
    Dir(Vec<(String, u64)>),
    /// A file and its bytes.
    File(Arc<dyn Content>),
    /// A symbolic link and its target as the disc records it (never followed by the server: the
    /// kernel resolves it, inside or outside the mount, as for any link).
    Symlink(String),
}

/// What a node shows besides its kind and size, when the disc records it; the mount's defaults
/// (read-only modes, the image file's date) otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// Permission bits (the low 12 bits of a POSIX mode).
    pub mode: Option<u32>,
    /// Last modification.
    pub time: Option<SystemTime>,
}

/// One folder, file or link.
pub struct Node {
    /// The folder it is in (the top folder is its own parent).
    pub parent: u64,
    /// Folder, file or link.
    pub kind: Kind,
    /// Mode and date, where recorded.
    pub meta: Meta,
    /// Folders directly inside it (for a folder's link count, asked for on every `stat`).
    pub subdirs: u32,
}

/// Every node of the mount, numbered from [`Tree::ROOT`] as FUSE numbers inodes.
pub struct Tree {
    nodes: Vec<Node>,
    by_name: HashMap<(u64, String), u64>,
}

impl Default for Tree {
    fn default() -> Tree {
        Tree {
            nodes: vec![Node {
                parent: Tree::ROOT,
                kind: Kind::Dir(Vec::new()),
                meta: Meta::default(),
                subdirs: 0,
            }],
            by_name: HashMap::new(),
        }
    }
}

impl Tree {
    /// The top folder's number (FUSE's root inode).
    pub const ROOT: u64 = 1;

    /// The node numbered `number`.
    pub fn node(&self, number: u64) -> Option<&Node> {
        let index = usize::try_from(number.checked_sub(1)?).ok()?;
        self.nodes.get(index)
    }

    /// The node called `name` in folder `parent`.
    pub fn lookup(&self, parent: u64, name: &str) -> Option<u64> {
        self.by_name.get(&(parent, name.to_string())).copied()
    }

    /// Adds a file called `name` to folder `parent`; returns its number, or `None` when `parent`
    /// is not a folder or already has an entry of that name.
    pub fn add_file(&mut self, parent: u64, name: &str, content: Arc<dyn Content>) -> Option<u64> {
        self.add(parent, name, Kind::File(content), Meta::default())
    }

    /// Adds an empty folder called `name` to folder `parent`; returns its number, or `None` as
    /// [`Tree::add_file`] does.
    pub fn add_dir(&mut self, parent: u64, name: &str) -> Option<u64> {
        self.add(parent, name, Kind::Dir(Vec::new()), Meta::default())
    }

    /// Adds a link called `name` to `target` in folder `parent`, as [`Tree::add_file`] does.
    pub fn add_symlink(&mut self, parent: u64, name: &str, target: &str) -> Option<u64> {
        self.add(
            parent,
            name,
            Kind::Symlink(target.to_string()),
            Meta::default(),
        )
    }

    /// Sets the mode and date node `number` shows.
    pub fn set_meta(&mut self, number: u64, meta: Meta) {
        let index = number.checked_sub(1).and_then(|i| usize::try_from(i).ok());
        if let Some(node) = index.and_then(|i| self.nodes.get_mut(i)) {
            node.meta = meta;
        }
    }

    /// Adds a node. A name the kernel could not pass back (empty, `.`, `..`, holding `/` or NUL)
    /// or already taken in the folder is refused: the caller says what it left out.
    fn add(&mut self, parent: u64, name: &str, kind: Kind, meta: Meta) -> Option<u64> {
        if name.is_empty()
            || name == "."
            || name == ".."
            || name.contains(['/', '\0'])
            || self.lookup(parent, name).is_some()
        {
            return None;
        }
        let number = self.nodes.len() as u64 + 1;
        let index = usize::try_from(parent.checked_sub(1)?).ok()?;
        let is_dir = matches!(kind, Kind::Dir(_));
        let folder = self.nodes.get_mut(index)?;
        match &mut folder.kind {
            Kind::Dir(entries) => entries.push((name.to_string(), number)),
            Kind::File(_) | Kind::Symlink(_) => return None,
        }
        folder.subdirs += u32::from(is_dir);
        self.nodes.push(Node {
            parent,
            kind,
            meta,
            subdirs: 0,
        });
        self.by_name.insert((parent, name.to_string()), number);
        Some(number)
    }

    /// How many nodes there are.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree has only its top folder.
    pub fn is_empty(&self) -> bool {
        self.nodes.len() == 1
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::image::Memory;

    #[test]
    fn names_are_unique_per_folder_and_files_hold_nothing() {
        let mut tree = Tree::default();
        let file: Arc<dyn Content> = Arc::new(Memory(b"abc".to_vec()));
        let iso = tree
            .add_file(Tree::ROOT, "image.iso", file.clone())
            .unwrap();
        assert!(
            tree.add_file(Tree::ROOT, "image.iso", file.clone())
                .is_none()
        );
        assert!(tree.add_file(iso, "x", file.clone()).is_none());
        let files = tree.add_dir(Tree::ROOT, "files").unwrap();
        let inner = tree.add_file(files, "image.iso", file).unwrap();
        assert_eq!(tree.lookup(files, "image.iso"), Some(inner));
        assert_eq!(tree.lookup(Tree::ROOT, "image.iso"), Some(iso));
        assert_eq!(tree.node(inner).unwrap().parent, files);
        assert!(tree.node(0).is_none() && tree.node(99).is_none());
        let Kind::Dir(entries) = &tree.node(Tree::ROOT).unwrap().kind else {
            panic!("the top is a folder");
        };
        let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["image.iso", "files"]);
        assert_eq!(tree.node(Tree::ROOT).unwrap().subdirs, 1);
    }

    #[test]
    fn names_the_kernel_cannot_pass_back_are_refused() {
        let mut tree = Tree::default();
        for name in ["", ".", "..", "a/b", "nul\0x"] {
            assert!(tree.add_dir(Tree::ROOT, name).is_none(), "{name:?}");
        }
        let link = tree.add_symlink(Tree::ROOT, "up", "../..").unwrap();
        assert!(tree.add_dir(link, "x").is_none());
        assert!(matches!(&tree.node(link).unwrap().kind, Kind::Symlink(t) if t == "../.."));
    }
}
