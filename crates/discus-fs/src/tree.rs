//! What every filesystem reader produces: a tree of named nodes with their kind, size, mode,
//! date and extents. The readers fill it; `ls`, `extract` and `info` only read it.

use crate::blocks::Extent;

/// Which of the trees a disc may record is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TreeKind {
    /// The primary ISO 9660 tree with Rock Ridge names, modes, links and relocation.
    RockRidge,
    /// UDF.
    Udf,
    /// The Joliet tree (UCS-2 names in a supplementary volume descriptor).
    Joliet,
    /// The ISO 9660:1999 tree (an enhanced volume descriptor: long names, no versions).
    Iso1999,
    /// The primary ISO 9660 tree, plain.
    Iso9660,
}

impl TreeKind {
    /// Every kind, in the order the default choice prefers them: Rock Ridge keeps names, modes,
    /// links and relocated directories; UDF holds the whole tree on bridge discs whose ISO 9660
    /// tree is a stub; Joliet keeps long names; ISO 9660:1999 long 8-bit names; the primary tree
    /// is what every disc has.
    pub const PREFERENCE: [TreeKind; 5] = [
        TreeKind::RockRidge,
        TreeKind::Udf,
        TreeKind::Joliet,
        TreeKind::Iso1999,
        TreeKind::Iso9660,
    ];

    /// The name `--fs` takes and JSON prints.
    pub fn name(self) -> &'static str {
        match self {
            TreeKind::RockRidge => "rr",
            TreeKind::Udf => "udf",
            TreeKind::Joliet => "joliet",
            TreeKind::Iso1999 => "iso1999",
            TreeKind::Iso9660 => "iso",
        }
    }

    /// The kind named `name` (as [`TreeKind::name`] gives it).
    pub fn from_name(name: &str) -> Option<TreeKind> {
        TreeKind::PREFERENCE.into_iter().find(|k| k.name() == name)
    }
}

/// What a node is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory; its children are in [`Node::children`].
    Directory,
    /// A symbolic link to the target as recorded.
    Symlink(String),
    /// A block or character device, FIFO or socket (Rock Ridge), with its device numbers.
    Special {
        /// The file type bits of the mode.
        mode: u32,
        /// The device number (high, low), if recorded.
        device: Option<(u32, u32)>,
    },
}

/// A point in time, as seconds since 1970-01-01 UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The time of a civil date and time in a zone `offset_minutes` east of UTC.
    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        offset_minutes: i64,
    ) -> Option<Timestamp> {
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
            return None;
        }
        // Days from the civil date (the algorithm of H. Hinnant's date library).
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        let seconds = days * 86_400
            + i64::from(hour) * 3600
            + i64::from(minute) * 60
            + i64::from(second.min(60))
            - offset_minutes * 60;
        Some(Timestamp(seconds))
    }

    /// The UTC date and time as (year, month, day, hour, minute, second).
    pub fn civil(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        (
            year,
            month,
            day,
            (secs / 3600) as u32,
            (secs % 3600 / 60) as u32,
            (secs % 60) as u32,
        )
    }

    /// `YYYY-MM-DD HH:MM:SS` in UTC.
    pub fn display(self) -> String {
        let (y, mo, d, h, mi, s) = self.civil();
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
    }
}

/// One entry of a tree.
#[derive(Clone, Debug)]
pub struct Node {
    /// The name as the tree records it (version and trailing dot removed in ISO 9660 names).
    pub name: String,
    /// What it is.
    pub kind: Kind,
    /// Bytes of data (0 for directories and links).
    pub size: u64,
    /// The POSIX mode (type and permission bits), when the tree records one (Rock Ridge, UDF).
    pub mode: Option<u32>,
    /// Owner and group, when recorded.
    pub owner: Option<(u32, u32)>,
    /// Last modification, when recorded.
    pub modified: Option<Timestamp>,
    /// Where the data lies, in order (several for a multi-extent or interleaved file).
    pub extents: Vec<Extent>,
    /// Data held in the entry itself (UDF inline files).
    pub inline: Option<Vec<u8>>,
    /// Marked hidden (ISO 9660 existence bit, UDF hidden characteristic): listed, not deleted.
    pub hidden: bool,
    /// An ISO 9660 associated file (a Mac resource fork): it shares its data file's name.
    pub associated: bool,
    /// The CD-ROM XA record of a Mode 2 Form 2 file (XA audio, Video CD MPEG): its sectors hold
    /// 2324 bytes, not the 2048 the size counts; it is extracted as RIFF/CDXA with whole sectors.
    pub xa_form2: Option<Vec<u8>>,
    /// The data is stored zisofs-compressed (Rock Ridge `ZF`); [`Node::size`] is the
    /// uncompressed size and reading decompresses.
    pub zisofs: bool,
    /// Why the data cannot be extracted (it lies past the image), if so.
    pub unreadable: Option<String>,
    /// The sector of the record that describes it, for messages.
    pub record: u64,
    /// Children, for a directory, as indexes into [`Tree::nodes`].
    pub children: Vec<usize>,
}

impl Node {
    /// A node with nothing but a name and a kind.
    pub fn new(name: String, kind: Kind, record: u64) -> Node {
        Node {
            name,
            kind,
            size: 0,
            mode: None,
            owner: None,
            modified: None,
            extents: Vec::new(),
            inline: None,
            hidden: false,
            associated: false,
            xa_form2: None,
            zisofs: false,
            unreadable: None,
            record,
            children: Vec::new(),
        }
    }

    /// Bytes [`crate::Image::open_file`] gives for it: the size, but a Mode 2 Form 2 file comes
    /// out as RIFF/CDXA with whole sectors, larger than the size its record counts.
    pub fn stream_size(&self) -> u64 {
        match (&self.xa_form2, &self.inline) {
            (Some(_), _) => crate::blocks::cdxa_len(&self.extents),
            (None, Some(data)) => data.len() as u64,
            (None, None) => self.size,
        }
    }

    /// Whether it is a directory.
    pub fn is_dir(&self) -> bool {
        self.kind == Kind::Directory
    }

    /// The mode to show and to give an extracted file: the recorded one, else read-only for all
    /// (the medium is read-only), with search permission on directories.
    pub fn effective_mode(&self) -> u32 {
        match (self.mode, &self.kind) {
            (Some(mode), _) => mode,
            (None, Kind::Directory) => 0o040555,
            (None, Kind::Symlink(_)) => 0o120777,
            (None, Kind::Special { mode, .. }) => *mode | 0o444,
            (None, Kind::File) => 0o100444,
        }
    }
}

/// A tree read from a disc: node 0 is the root.
#[derive(Clone, Debug)]
pub struct Tree {
    /// Which tree this is.
    pub kind: TreeKind,
    /// Every node; the root first.
    pub nodes: Vec<Node>,
    /// What was tolerated while reading (an unreadable directory, a skipped record).
    pub warnings: Vec<String>,
}

impl Tree {
    /// The root.
    pub fn root(&self) -> &Node {
        &self.nodes[0]
    }

    /// The node at `path` (`/`-separated, from the root; empty or `/` is the root).
    pub fn lookup(&self, path: &str) -> Option<usize> {
        let mut at = 0usize;
        for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
            at = *self.nodes[at]
                .children
                .iter()
                .find(|&&child| self.nodes[child].name == part)?;
        }
        Some(at)
    }

    /// Every node below `from` (itself first) with its path relative to the root, depth first in
    /// recorded order.
    pub fn walk(&self, from: usize, from_path: &str) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        let mut stack = vec![(from_path.to_string(), from)];
        while let Some((path, index)) = stack.pop() {
            let node = &self.nodes[index];
            for &child in node.children.iter().rev() {
                let name = &self.nodes[child].name;
                let child_path = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}/{name}")
                };
                stack.push((child_path, child));
            }
            out.push((path, index));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        let t = Timestamp::from_civil(2020, 5, 28, 16, 14, 19, 0).expect("valid");
        assert_eq!(t.0, 1_590_682_459);
        assert_eq!(t.civil(), (2020, 5, 28, 16, 14, 19));
        let east = Timestamp::from_civil(2020, 5, 28, 18, 14, 19, 120).expect("valid");
        assert_eq!(east, t);
        assert_eq!(Timestamp(0).display(), "1970-01-01 00:00:00");
    }
}
