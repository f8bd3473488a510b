//! The mount's namespace: numbered nodes (folders and files) the FUSE server answers from. The
//! top folder holds the flat files; a module that shows more (the file tree of the disc under
//! `files/`) adds a folder with [`Tree::add_dir`] and its files with [`Tree::add_file`], each
//! with a [`Content`] that reads through the same cache — the FUSE side needs no change.

use std::collections::HashMap;
use std::sync::Arc;

use crate::image::Content;

/// What a node is.
pub enum Kind {
    /// A folder, with its entries in listing order (name, node).
    Dir(Vec<(String, u64)>),
    /// A file and its bytes.
    File(Arc<dyn Content>),
}

/// One folder or file.
pub struct Node {
    /// The folder it is in (the top folder is its own parent).
    pub parent: u64,
    /// Folder or file.
    pub kind: Kind,
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
        self.add(parent, name, Kind::File(content))
    }

    /// Adds an empty folder called `name` to folder `parent`; returns its number, or `None` as
    /// [`Tree::add_file`] does.
    pub fn add_dir(&mut self, parent: u64, name: &str) -> Option<u64> {
        self.add(parent, name, Kind::Dir(Vec::new()))
    }

    fn add(&mut self, parent: u64, name: &str, kind: Kind) -> Option<u64> {
        if self.lookup(parent, name).is_some() || name.is_empty() || name.contains('/') {
            return None;
        }
        let number = self.nodes.len() as u64 + 1;
        let index = usize::try_from(parent.checked_sub(1)?).ok()?;
        match &mut self.nodes.get_mut(index)?.kind {
            Kind::Dir(entries) => entries.push((name.to_string(), number)),
            Kind::File(_) => return None,
        }
        self.nodes.push(Node { parent, kind });
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
    }
}
