//! Where everything goes. The folder's entries get their ISO 9660 and Joliet names and places in
//! both trees (folders deeper than eight levels relocated under `rr_moved` for the ISO 9660
//! tree, left in place in Joliet's); then blocks are handed out in order — system area,
//! descriptors, (UDF's recognition sequence and descriptors, its anchor at 256), path tables, boot
//! catalog, ISO 9660 folders, Joliet folders, Rock Ridge continuation areas, UDF file entries,
//! then the files' data in tree order — and the structures are rendered with those numbers.
//!
//! The sizes of folders do not depend on the numbers written in them (every number has a fixed
//! width), so the structures are rendered twice: once with zeros to learn their sizes, once with
//! the places those sizes give.

use std::path::PathBuf;

use discus_core::{Error, Result};

use super::iso9660::{
    self as iso, BLOCK, Descriptor, FLAG_DIRECTORY, FLAG_MULTI_EXTENT, MAX_EXTENT, PathEntry,
    Record,
};
use super::rockridge::{self as rr, Continuations};
use super::scan::{Entry, EntryKind};
use super::{Options, eltorito, joliet, udf};

/// ISO 9660 allows eight levels of folders, the root being the first.
const MAX_LEVELS: usize = 8;

/// The first volume descriptor.
const PVD_BLOCK: u32 = 16;

/// The Rock Ridge name of the folder relocated folders are stored in.
const RR_MOVED: &[u8] = b"rr_moved";

/// One entry of a folder in the ISO 9660 tree.
#[derive(Clone, Debug)]
struct IsoChild {
    entry: usize,
    /// A file record with `CL` standing in for a relocated folder.
    placeholder: bool,
    name: Vec<u8>,
}

/// The laid-out image.
pub(crate) struct Layout {
    pub entries: Vec<Entry>,
    iso_parent: Vec<usize>,
    iso_children: Vec<Vec<IsoChild>>,
    /// The real parent of a relocated folder.
    relocated_from: Vec<Option<usize>>,
    rr_moved: Option<usize>,
    joliet_children: Vec<Vec<(usize, Vec<u16>)>>,
    /// ISO 9660 folders in path table order, with their identifier and parent's number.
    iso_table: Vec<(usize, Vec<u8>, u16)>,
    joliet_table: Vec<(usize, Vec<u8>, u16)>,
    date: i64,
    label: String,
    joliet: bool,
    udf: bool,
    udf_revision: udf::Revision,
    boot: Option<usize>,
    efi: Option<usize>,
}

/// Places of everything, in blocks.
#[derive(Clone, Debug, Default)]
pub(crate) struct Places {
    iso_dir: Vec<u32>,
    iso_size: Vec<u32>,
    joliet_dir: Vec<u32>,
    joliet_size: Vec<u32>,
    /// The first block of each file's data.
    pub file: Vec<u32>,
    path_tables: [u32; 4],
    path_table_size: [u32; 2],
    catalog: u32,
    continuations: u32,
    pub udf: udf::Places,
    /// One past the last block of the ISO 9660 metadata and UDF entries: file data starts here.
    pub data_start: u32,
    /// Blocks in the volume.
    pub total: u32,
}

/// What rendering gives: the blocks before the file data, and the blocks after it.
pub(crate) struct Rendered {
    pub head: Vec<u8>,
    pub tail: Vec<u8>,
}

impl Layout {
    /// Names and places every entry of `entries` in the trees.
    pub fn new(mut entries: Vec<Entry>, options: &Options, date: i64) -> Result<Layout> {
        if options.reproducible() {
            // Times later than the date given are clamped to it, as reproducible builds expect
            // (a file touched by the build itself does not change the image).
            for entry in &mut entries {
                entry.mtime = entry.mtime.min(date);
            }
        }
        let count = entries.len();
        let mut layout = Layout {
            iso_parent: vec![0; count],
            iso_children: vec![Vec::new(); count],
            relocated_from: vec![None; count],
            rr_moved: None,
            joliet_children: vec![Vec::new(); count],
            iso_table: Vec::new(),
            joliet_table: Vec::new(),
            date,
            label: options.label.clone(),
            joliet: options.joliet,
            udf: options.udf,
            udf_revision: options.udf_revision,
            boot: None,
            efi: None,
            entries,
        };
        layout.relocate(date);
        layout.name_iso();
        layout.name_joliet();
        layout.boot = options
            .boot
            .as_deref()
            .map(|p| layout.find_file(p, "--boot"))
            .transpose()?;
        layout.efi = options
            .efi
            .as_deref()
            .map(|p| layout.find_file(p, "--efi"))
            .transpose()?;
        Ok(layout)
    }

    /// The entry of a regular file at `path` (relative to the folder).
    fn find_file(&self, path: &str, option: &str) -> Result<usize> {
        let mut at = 0usize;
        for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
            at = *self.entries[at]
                .children
                .iter()
                .find(|&&c| self.entries[c].name == part.as_bytes())
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "{option} {path}: no such file in the folder (the path is inside the folder written)"
                    ))
                })?;
        }
        match self.entries[at].kind {
            EntryKind::File { .. } => Ok(at),
            _ => Err(Error::Usage(format!(
                "{option} {path}: is not a regular file"
            ))),
        }
    }

    /// Builds the ISO 9660 hierarchy: the real one, with folders below the eighth level moved
    /// under `rr_moved` in the root (their real place keeps a `CL` placeholder).
    fn relocate(&mut self, date: i64) {
        let count = self.entries.len();
        let mut level = vec![0usize; count];
        level[0] = 1;
        let mut order = vec![0usize];
        let mut i = 0;
        while i < order.len() {
            let d = order[i];
            i += 1;
            for &c in &self.entries[d].children.clone() {
                if !self.entries[c].is_dir() {
                    continue;
                }
                level[c] = level[d] + 1;
                order.push(c);
            }
        }
        let deep = level.iter().any(|&l| l > MAX_LEVELS);
        if deep {
            self.entries.push(Entry {
                name: RR_MOVED.to_vec(),
                kind: EntryKind::Dir,
                mode: 0o040555,
                uid: 0,
                gid: 0,
                mtime: date,
                parent: 0,
                children: Vec::new(),
            });
            let moved = self.entries.len() - 1;
            self.iso_parent.push(0);
            self.iso_children.push(Vec::new());
            self.relocated_from.push(None);
            self.joliet_children.push(Vec::new());
            self.rr_moved = Some(moved);
        }
        let mut iso_level = vec![0usize; self.entries.len()];
        iso_level[0] = 1;
        for &d in &order {
            for &c in &self.entries[d].children.clone() {
                let mut child = IsoChild {
                    entry: c,
                    placeholder: false,
                    name: Vec::new(),
                };
                if self.entries[c].is_dir() {
                    if iso_level[d] + 1 > MAX_LEVELS {
                        let moved = self.rr_moved.expect("made when a folder is this deep");
                        self.iso_parent[c] = moved;
                        self.relocated_from[c] = Some(d);
                        iso_level[c] = 3;
                        child.placeholder = true;
                        self.iso_children[moved].push(IsoChild {
                            entry: c,
                            placeholder: false,
                            name: Vec::new(),
                        });
                    } else {
                        self.iso_parent[c] = d;
                        iso_level[c] = iso_level[d] + 1;
                    }
                } else {
                    self.iso_parent[c] = d;
                }
                self.iso_children[d].push(child);
            }
        }
        if let Some(moved) = self.rr_moved {
            self.iso_children[0].push(IsoChild {
                entry: moved,
                placeholder: false,
                name: Vec::new(),
            });
        }
    }

    fn name_iso(&mut self) {
        for d in 0..self.entries.len() {
            if self.iso_children[d].is_empty() {
                continue;
            }
            let children: Vec<(&[u8], bool)> = self.iso_children[d]
                .iter()
                .map(|c| {
                    let entry = &self.entries[c.entry];
                    (entry.name.as_slice(), entry.is_dir())
                })
                .collect();
            let names = iso::identifiers(&children);
            for (child, name) in self.iso_children[d].iter_mut().zip(names) {
                child.name = name;
            }
            self.iso_children[d].sort_by(|a, b| iso::record_order(&a.name, &b.name));
        }
        // The path table: folders by level, then parent, then name — breadth first.
        let mut table: Vec<(usize, Vec<u8>, u16)> = vec![(0, vec![0], 1)];
        let mut i = 0;
        while i < table.len() {
            let d = table[i].0;
            i += 1;
            for child in &self.iso_children[d] {
                if !child.placeholder && self.entries[child.entry].is_dir() {
                    table.push((child.entry, child.name.clone(), i as u16));
                }
            }
        }
        self.iso_table = table;
    }

    fn name_joliet(&mut self) {
        if !self.joliet {
            return;
        }
        for d in 0..self.entries.len() {
            // Joliet cannot say what a link is: links are left out of its tree.
            let kept: Vec<usize> = self.entries[d]
                .children
                .iter()
                .copied()
                .filter(|&c| !matches!(self.entries[c].kind, EntryKind::Symlink(_)))
                .collect();
            let children: Vec<(&[u8], bool)> = kept
                .iter()
                .map(|&c| (self.entries[c].name.as_slice(), self.entries[c].is_dir()))
                .collect();
            let names = joliet::names(&children);
            let mut list: Vec<(usize, Vec<u16>)> = kept.into_iter().zip(names).collect();
            list.sort_by(|a, b| a.1.cmp(&b.1));
            self.joliet_children[d] = list;
        }
        let mut table: Vec<(usize, Vec<u8>, u16)> = vec![(0, vec![0], 1)];
        let mut i = 0;
        while i < table.len() {
            let d = table[i].0;
            i += 1;
            for (c, name) in &self.joliet_children[d] {
                if self.entries[*c].is_dir() {
                    table.push((*c, joliet::bytes(name), i as u16));
                }
            }
        }
        self.joliet_table = table;
    }

    /// The ISO 9660 tree's folders in path table order.
    fn iso_dirs(&self) -> impl Iterator<Item = usize> + '_ {
        self.iso_table.iter().map(|t| t.0)
    }

    /// Regular files in tree order, depth first (the order their data is written).
    pub fn files_in_order(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![0usize];
        while let Some(d) = stack.pop() {
            for &c in self.entries[d].children.iter().rev() {
                stack.push(c);
            }
            if matches!(self.entries[d].kind, EntryKind::File { .. }) {
                out.push(d);
            }
        }
        out
    }

    pub fn file_size(&self, entry: usize) -> u64 {
        match &self.entries[entry].kind {
            EntryKind::File { size, .. } => *size,
            _ => 0,
        }
    }

    /// Where file `entry`'s data is read from, and the device and inode it had when scanned.
    pub fn file_path(&self, entry: usize) -> Option<(&PathBuf, Option<(u64, u64)>)> {
        match &self.entries[entry].kind {
            EntryKind::File { path, identity, .. } => Some((path, *identity)),
            _ => None,
        }
    }

    pub fn boot(&self) -> Option<usize> {
        self.boot
    }

    /// Hands out every block.
    pub fn place(&self) -> Result<Places> {
        // Path table entries name their parent by a 16-bit number.
        let folders = self.iso_table.len().max(self.joliet_table.len());
        if folders > usize::from(u16::MAX) {
            return Err(Error::Usage(format!(
                "the folder holds {folders} folders; ISO 9660 path tables number at most 65,535"
            )));
        }
        let count = self.entries.len();
        let mut places = Places {
            iso_dir: vec![0; count],
            iso_size: vec![0; count],
            joliet_dir: vec![0; count],
            joliet_size: vec![0; count],
            file: vec![0; count],
            ..Places::default()
        };
        // Sizes first, from a rendering with every place 0.
        let (iso_dirs, continuations) = self.render_iso_dirs(&places);
        for (d, data) in self.iso_dirs().zip(&iso_dirs) {
            places.iso_size[d] = data.len() as u32;
        }
        let joliet_dirs = self.render_joliet_dirs(&places);
        for ((d, _, _), data) in self.joliet_table.iter().zip(&joliet_dirs) {
            places.joliet_size[d.to_owned()] = data.len() as u32;
        }
        let mut next = PVD_BLOCK + 1;
        if self.boot.is_some() || self.efi.is_some() {
            next += 1;
        }
        if self.joliet {
            next += 1;
        }
        next += 1; // terminator
        if self.udf {
            udf::check(self).map_err(Error::Usage)?;
            next = udf::reserve(next, self.udf_revision, &mut places.udf);
        }
        let table_blocks = |bytes: usize| bytes.div_ceil(BLOCK).max(1) as u32;
        let iso_table = self.iso_path_table(&places, false);
        let joliet_table = self.joliet_path_table(&places, false);
        places.path_table_size = [iso_table.len() as u32, joliet_table.len() as u32];
        for (i, bytes) in [&iso_table, &iso_table, &joliet_table, &joliet_table]
            .into_iter()
            .enumerate()
        {
            if i >= 2 && !self.joliet {
                break;
            }
            places.path_tables[i] = next;
            next += table_blocks(bytes.len());
        }
        if self.boot.is_some() || self.efi.is_some() {
            places.catalog = next;
            next += 1;
        }
        for d in self.iso_dirs() {
            places.iso_dir[d] = next;
            next += places.iso_size[d] / BLOCK as u32;
        }
        for (d, _, _) in &self.joliet_table {
            places.joliet_dir[*d] = next;
            next += places.joliet_size[*d] / BLOCK as u32;
        }
        places.continuations = next;
        next += continuations.blocks();
        if self.udf {
            next = udf::place_entries(self, next, &mut places.udf);
        }
        places.data_start = next;
        let mut cursor = u64::from(next);
        // Names of one file (hard links) share its data, as genisoimage and xorriso write them.
        let mut written: std::collections::HashMap<(u64, u64), u32> = Default::default();
        for f in self.files_in_order() {
            let size = self.file_size(f);
            let inode = match &self.entries[f].kind {
                EntryKind::File { inode, .. } => *inode,
                _ => None,
            };
            if let Some(&block) = inode.and_then(|i| written.get(&i)) {
                places.file[f] = block;
                continue;
            }
            if size > 0 {
                places.file[f] = u32::try_from(cursor).map_err(|_| too_large())?;
                cursor += size.div_ceil(BLOCK as u64);
                if let Some(inode) = inode {
                    written.insert(inode, places.file[f]);
                }
            }
        }
        if self.udf {
            // The closing anchor.
            cursor += 1;
        }
        places.total = u32::try_from(cursor).map_err(|_| too_large())?;
        Ok(places)
    }

    /// Renders the metadata blocks (everything before the file data) and the blocks after it.
    pub fn render(&self, places: &Places) -> Result<Rendered> {
        let mut head = vec![0u8; places.data_start as usize * BLOCK];
        let mut put = |block: u32, data: &[u8]| {
            // Every block was placed inside the metadata area.
            let at = block as usize * BLOCK;
            head[at..at + data.len()].copy_from_slice(data);
        };
        let mut block = PVD_BLOCK;
        let root_record = |extent: u32, size: u32| {
            Record {
                extent,
                size,
                date: self.entries[0].mtime,
                flags: FLAG_DIRECTORY,
                name: &[0],
                system_use: &[],
            }
            .bytes()
        };
        let label = volume_label(&self.label);
        let application = b"DISCUS";
        put(
            block,
            &Descriptor {
                kind: 1,
                escapes: &[],
                system: b"",
                volume: &label,
                application,
                blocks: places.total,
                path_table_size: places.path_table_size[0],
                path_table_l: places.path_tables[0],
                path_table_m: places.path_tables[1],
                root: &root_record(places.iso_dir[0], places.iso_size[0]),
                date: self.date,
                joliet: false,
            }
            .bytes(),
        );
        block += 1;
        if self.boot.is_some() || self.efi.is_some() {
            put(block, &eltorito::boot_record(places.catalog));
            block += 1;
        }
        if self.joliet {
            let label: Vec<u16> = self.label.encode_utf16().take(16).collect();
            put(
                block,
                &Descriptor {
                    kind: 2,
                    escapes: joliet::ESCAPES,
                    system: b"",
                    volume: &joliet::bytes(&label),
                    application: &joliet::bytes(&"DISCUS".encode_utf16().collect::<Vec<_>>()),
                    blocks: places.total,
                    path_table_size: places.path_table_size[1],
                    path_table_l: places.path_tables[2],
                    path_table_m: places.path_tables[3],
                    root: &root_record(places.joliet_dir[0], places.joliet_size[0]),
                    date: self.date,
                    joliet: true,
                }
                .bytes(),
            );
            block += 1;
        }
        put(block, &iso::terminator());
        let iso_table = self.iso_path_table(places, true);
        put(places.path_tables[0], &self.iso_path_table(places, false));
        put(places.path_tables[1], &iso_table);
        if self.joliet {
            put(
                places.path_tables[2],
                &self.joliet_path_table(places, false),
            );
            put(places.path_tables[3], &self.joliet_path_table(places, true));
        }
        if self.boot.is_some() || self.efi.is_some() {
            let image = |entry: Option<usize>, efi: bool| {
                entry.map(|e| eltorito::BootImage {
                    block: places.file[e],
                    sectors: match efi {
                        true => eltorito::efi_sectors(self.file_size(e)),
                        false => 4,
                    },
                })
            };
            put(
                places.catalog,
                &eltorito::catalog(image(self.boot, false), image(self.efi, true)),
            );
        }
        let (dirs, continuations) = self.render_iso_dirs(places);
        for (d, data) in self.iso_dirs().zip(&dirs) {
            if data.len() as u32 != places.iso_size[d] {
                return Err(Error::Usage(
                    "internal: a folder changed size between layout passes".into(),
                ));
            }
            put(places.iso_dir[d], data);
        }
        for ((d, _, _), data) in self
            .joliet_table
            .iter()
            .zip(self.render_joliet_dirs(places))
        {
            put(places.joliet_dir[*d], &data);
        }
        put(places.continuations, &continuations.data);
        let mut tail = Vec::new();
        if self.udf {
            udf::render(self, places, &mut put, &mut tail);
        }
        Ok(Rendered { head, tail })
    }

    fn iso_path_table(&self, places: &Places, big_endian: bool) -> Vec<u8> {
        let entries: Vec<PathEntry<'_>> = self
            .iso_table
            .iter()
            .map(|(d, name, parent)| PathEntry {
                name,
                extent: places.iso_dir[*d],
                parent: *parent,
            })
            .collect();
        iso::path_table(&entries, big_endian)
    }

    fn joliet_path_table(&self, places: &Places, big_endian: bool) -> Vec<u8> {
        let entries: Vec<PathEntry<'_>> = self
            .joliet_table
            .iter()
            .map(|(d, name, parent)| PathEntry {
                name,
                extent: places.joliet_dir[*d],
                parent: *parent,
            })
            .collect();
        iso::path_table(&entries, big_endian)
    }

    /// The number of links of an entry (`PX`): a folder's `.`, its name in its parent, and each
    /// subfolder's `..`.
    fn links(&self, entry: usize) -> u32 {
        let e = &self.entries[entry];
        match e.is_dir() {
            true => {
                2 + e
                    .children
                    .iter()
                    .filter(|&&c| self.entries[c].is_dir())
                    .count() as u32
            }
            false => 1,
        }
    }

    fn attributes(&self, entry: usize) -> Vec<Vec<u8>> {
        let e = &self.entries[entry];
        vec![
            rr::px(e.mode, self.links(entry), e.uid, e.gid),
            rr::tf(e.mtime),
        ]
    }

    /// The ISO 9660 folders' data in path table order, and the continuation areas.
    fn render_iso_dirs(&self, places: &Places) -> (Vec<Vec<u8>>, Continuations) {
        let mut continuations = Continuations {
            start: places.continuations,
            data: Vec::new(),
        };
        let mut out = Vec::new();
        for d in self.iso_dirs() {
            let mut records = Vec::new();
            let dot_room = MAX_ROOM_DOT;
            // `.`: on the root, SP first and the ER naming Rock Ridge.
            let mut su = Vec::new();
            if d == 0 {
                su.push(rr::sp());
            }
            su.extend(self.attributes(d));
            if d == 0 {
                su.push(rr::er());
            }
            let su = continuations.system_use(su, dot_room);
            records.push(
                Record {
                    extent: places.iso_dir[d],
                    size: places.iso_size[d],
                    date: self.entries[d].mtime,
                    flags: FLAG_DIRECTORY,
                    name: &[0],
                    system_use: &su,
                }
                .bytes(),
            );
            let parent = self.iso_parent[d];
            let mut su = self.attributes(parent);
            if let Some(real) = self.relocated_from[d] {
                su.push(rr::link(b"PL", places.iso_dir[real]));
            }
            let su = continuations.system_use(su, dot_room);
            records.push(
                Record {
                    extent: places.iso_dir[parent],
                    size: places.iso_size[parent],
                    date: self.entries[parent].mtime,
                    flags: FLAG_DIRECTORY,
                    name: &[1],
                    system_use: &su,
                }
                .bytes(),
            );
            for child in &self.iso_children[d] {
                let c = child.entry;
                let e = &self.entries[c];
                let room = iso::MAX_RECORD - 1 - iso::record_base(child.name.len());
                let mut su = rr::nm(&e.name);
                su.extend(self.attributes(c));
                let record = |extent: u32, size: u32, flags: u8, su: &[u8]| {
                    Record {
                        extent,
                        size,
                        date: e.mtime,
                        flags,
                        name: &child.name,
                        system_use: su,
                    }
                    .bytes()
                };
                match &e.kind {
                    EntryKind::Dir if child.placeholder => {
                        su.push(rr::link(b"CL", places.iso_dir[c]));
                        let su = continuations.system_use(su, room);
                        records.push(record(places.iso_dir[c], 0, 0, &su));
                    }
                    EntryKind::Dir => {
                        if Some(d) == self.rr_moved || Some(c) == self.rr_moved {
                            su.push(rr::re());
                        }
                        let su = continuations.system_use(su, room);
                        records.push(record(
                            places.iso_dir[c],
                            places.iso_size[c],
                            FLAG_DIRECTORY,
                            &su,
                        ));
                    }
                    EntryKind::Symlink(target) => {
                        su.extend(rr::sl(target));
                        let su = continuations.system_use(su, room);
                        records.push(record(0, 0, 0, &su));
                    }
                    EntryKind::File { size, .. } => {
                        // Every piece of a multi-extent file carries the same entries, so a
                        // reader that takes any one of them sees the name.
                        let su = continuations.system_use(su, room);
                        for (extent, bytes, last) in pieces(places.file[c], *size) {
                            let flags = if last { 0 } else { FLAG_MULTI_EXTENT };
                            records.push(record(extent, bytes, flags, &su));
                        }
                    }
                }
            }
            out.push(iso::pack_records(&records));
        }
        (out, continuations)
    }

    /// The Joliet folders' data in its path table order.
    fn render_joliet_dirs(&self, places: &Places) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for (d, _, _) in &self.joliet_table {
            let d = *d;
            let parent = self.entries[d].parent;
            let dot = |extent, size, name: &'static [u8], date| {
                Record {
                    extent,
                    size,
                    date,
                    flags: FLAG_DIRECTORY,
                    name,
                    system_use: &[],
                }
                .bytes()
            };
            let mut records = vec![
                dot(
                    places.joliet_dir[d],
                    places.joliet_size[d],
                    &[0],
                    self.entries[d].mtime,
                ),
                dot(
                    places.joliet_dir[parent],
                    places.joliet_size[parent],
                    &[1],
                    self.entries[parent].mtime,
                ),
            ];
            for (c, name) in &self.joliet_children[d] {
                let e = &self.entries[*c];
                let name = joliet::bytes(name);
                let record = |extent, size, flags| {
                    Record {
                        extent,
                        size,
                        date: e.mtime,
                        flags,
                        name: &name,
                        system_use: &[],
                    }
                    .bytes()
                };
                match &e.kind {
                    EntryKind::Dir => records.push(record(
                        places.joliet_dir[*c],
                        places.joliet_size[*c],
                        FLAG_DIRECTORY,
                    )),
                    EntryKind::File { size, .. } => {
                        for (extent, bytes, last) in pieces(places.file[*c], *size) {
                            let flags = if last { 0 } else { FLAG_MULTI_EXTENT };
                            records.push(record(extent, bytes, flags));
                        }
                    }
                    EntryKind::Symlink(_) => {}
                }
            }
            out.push(iso::pack_records(&records));
        }
        out
    }
}

impl Layout {
    pub fn date(&self) -> i64 {
        self.date
    }

    pub fn label(&self) -> &str {
        &self.label
    }
}

/// Room for System Use in a `.` or `..` record.
const MAX_ROOM_DOT: usize = iso::MAX_RECORD - 1 - 34;

/// The records of a file of `size` bytes from `block`: (extent, bytes, last). One for a file
/// below 4 GiB; more, each but the last [`MAX_EXTENT`] bytes, for a larger one.
fn pieces(block: u32, size: u64) -> Vec<(u32, u32, bool)> {
    let mut out = Vec::new();
    let mut left = size;
    let mut at = block;
    loop {
        let piece = left.min(MAX_EXTENT);
        left -= piece;
        out.push((at, piece as u32, left == 0));
        if left == 0 {
            break out;
        }
        at += (MAX_EXTENT / BLOCK as u64) as u32;
    }
}

fn too_large() -> Error {
    Error::Usage("the folder holds more than an ISO 9660 volume can address (8 TiB)".into())
}

/// The primary volume identifier: the label as given, printable ASCII (other characters become
/// `_`), at most 32 bytes. genisoimage and xorriso write `-V` as given, too.
fn volume_label(label: &str) -> Vec<u8> {
    label
        .chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            _ => b'_',
        })
        .take(32)
        .collect()
}
