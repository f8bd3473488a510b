//! Rock Ridge (RRIP 1.10 over SUSP 1.10) entries as written: `SP` and `ER` on the root's `.`,
//! `PX` (mode, links, owner), `TF` (modification time), `NM` (the real name, split over entries
//! past 250 bytes), `SL` (a link's target by components), and for a folder deeper than ISO 9660's
//! eight levels `CL` at its real place, `RE` where it is stored and `PL` back to its real parent.
//! What does not fit the 255-byte record goes to continuation areas (`CE`) in blocks of their own.

use super::iso9660::{BLOCK, both32};

/// A `PX` entry (RRIP 1.10: no serial number field, as genisoimage writes).
pub(crate) fn px(mode: u32, links: u32, uid: u32, gid: u32) -> Vec<u8> {
    let mut e = vec![b'P', b'X', 36, 1];
    for value in [mode, links, uid, gid] {
        e.extend_from_slice(&both32(value));
    }
    e
}

/// A `TF` entry with the modification time only: access and attribute-change times change with
/// every read and would make two runs differ.
pub(crate) fn tf(seconds: i64) -> Vec<u8> {
    let mut e = vec![b'T', b'F', 12, 1, 0x02];
    e.extend_from_slice(&super::iso9660::short_date(seconds));
    e
}

/// The `NM` entries of a name (each holds 250 bytes; all but the last say "continued").
pub(crate) fn nm(name: &[u8]) -> Vec<Vec<u8>> {
    let pieces: Vec<&[u8]> = name.chunks(250).collect();
    let count = pieces.len();
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let mut e = vec![b'N', b'M', (5 + piece.len()) as u8, 1];
            e.push(u8::from(i + 1 < count));
            e.extend_from_slice(piece);
            e
        })
        .collect()
}

/// The `SL` entries of a link target: components (root `/`, `.`, `..`, names split past 248
/// bytes) packed into entries of at most 255 bytes, each but the last marked continued.
pub(crate) fn sl(target: &[u8]) -> Vec<Vec<u8>> {
    let mut components: Vec<Vec<u8>> = Vec::new();
    if target.first() == Some(&b'/') {
        components.push(vec![0x08, 0]);
    }
    for part in target.split(|&c| c == b'/').filter(|p| !p.is_empty()) {
        match part {
            b"." => components.push(vec![0x02, 0]),
            b".." => components.push(vec![0x04, 0]),
            name => {
                let pieces: Vec<&[u8]> = name.chunks(248).collect();
                let count = pieces.len();
                for (i, piece) in pieces.into_iter().enumerate() {
                    let mut c = vec![u8::from(i + 1 < count), piece.len() as u8];
                    c.extend_from_slice(piece);
                    components.push(c);
                }
            }
        }
    }
    let mut entries: Vec<Vec<u8>> = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    for component in components {
        if 5 + current.len() + component.len() > 255 {
            entries.push(std::mem::take(&mut current));
        }
        current.extend_from_slice(&component);
    }
    entries.push(current);
    let count = entries.len();
    entries
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let mut e = vec![
                b'S',
                b'L',
                (5 + body.len()) as u8,
                1,
                u8::from(i + 1 < count),
            ];
            e.extend_from_slice(&body);
            e
        })
        .collect()
}

/// The `SP` entry that opens the root's `.` record: Rock Ridge is here, skip nothing.
pub(crate) fn sp() -> Vec<u8> {
    vec![b'S', b'P', 7, 1, 0xBE, 0xEF, 0]
}

/// The `ER` entry naming RRIP 1.10.
pub(crate) fn er() -> Vec<u8> {
    const ID: &[u8] = b"RRIP_1991A";
    const DESCRIPTION: &[u8] =
        b"THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS";
    const SOURCE: &[u8] = b"PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.";
    let mut e = vec![
        b'E',
        b'R',
        (8 + ID.len() + DESCRIPTION.len() + SOURCE.len()) as u8,
        1,
        ID.len() as u8,
        DESCRIPTION.len() as u8,
        SOURCE.len() as u8,
        1,
    ];
    e.extend_from_slice(ID);
    e.extend_from_slice(DESCRIPTION);
    e.extend_from_slice(SOURCE);
    e
}

/// `CL` (at a relocated folder's real place: where it is stored) or `PL` (in its `..`: its real
/// parent).
pub(crate) fn link(tag: &[u8; 2], block: u32) -> Vec<u8> {
    let mut e = vec![tag[0], tag[1], 12, 1];
    e.extend_from_slice(&both32(block));
    e
}

/// `RE`: this folder is stored here but belongs where a `CL` points at it.
pub(crate) fn re() -> Vec<u8> {
    vec![b'R', b'E', 4, 1]
}

/// Bytes of a `CE` entry.
const CE_LEN: usize = 28;

fn ce(block: u32, offset: u32, length: u32) -> Vec<u8> {
    let mut e = vec![b'C', b'E', CE_LEN as u8, 1];
    e.extend_from_slice(&both32(block));
    e.extend_from_slice(&both32(offset));
    e.extend_from_slice(&both32(length));
    e
}

/// Continuation areas, packed into blocks one after another (an area never crosses a block).
#[derive(Default)]
pub(crate) struct Continuations {
    /// The first block of the areas.
    pub start: u32,
    pub data: Vec<u8>,
}

impl Continuations {
    /// Where an area of `len` bytes goes: block (from `start`) and offset.
    fn place(&mut self, len: usize) -> (u32, u32) {
        let used = self.data.len() % BLOCK;
        if used + len > BLOCK {
            self.data.resize(self.data.len() + BLOCK - used, 0);
        }
        let at = self.data.len();
        self.data.resize(at + len, 0);
        (self.start + (at / BLOCK) as u32, (at % BLOCK) as u32)
    }

    /// Blocks the areas take.
    pub fn blocks(&self) -> u32 {
        self.data.len().div_ceil(BLOCK) as u32
    }

    /// The System Use area of a record with `room` bytes for it: the entries that fit, and a `CE`
    /// to areas holding the rest.
    pub fn system_use(&mut self, entries: Vec<Vec<u8>>, room: usize) -> Vec<u8> {
        let total: usize = entries.iter().map(Vec::len).sum();
        if total <= room {
            return entries.concat();
        }
        let mut inline = Vec::new();
        let mut rest = entries.into_iter().peekable();
        while let Some(next) = rest.peek() {
            if inline.len() + next.len() + CE_LEN > room {
                break;
            }
            inline.extend_from_slice(next);
            rest.next();
        }
        // Split the rest into areas of at most a block, each but the last ending with a CE.
        let mut areas: Vec<Vec<u8>> = vec![Vec::new()];
        let remaining: Vec<Vec<u8>> = rest.collect();
        let mut left: usize = remaining.iter().map(Vec::len).sum();
        for entry in remaining {
            let area = areas.last_mut().expect("areas start with one");
            let fits_all = area.len() + left <= BLOCK;
            if !fits_all && area.len() + entry.len() + CE_LEN > BLOCK {
                areas.push(Vec::new());
            }
            left -= entry.len();
            areas
                .last_mut()
                .expect("just pushed")
                .extend_from_slice(&entry);
        }
        let count = areas.len();
        let lengths: Vec<usize> = areas
            .iter()
            .enumerate()
            .map(|(i, a)| a.len() + if i + 1 < count { CE_LEN } else { 0 })
            .collect();
        let places: Vec<(u32, u32)> = lengths.iter().map(|&len| self.place(len)).collect();
        for (i, mut area) in areas.into_iter().enumerate() {
            if let Some(&(block, offset)) = places.get(i + 1) {
                area.extend_from_slice(&ce(block, offset, lengths[i + 1] as u32));
            }
            let (block, offset) = places[i];
            let at = (block - self.start) as usize * BLOCK + offset as usize;
            self.data[at..at + area.len()].copy_from_slice(&area);
        }
        let (block, offset) = places[0];
        inline.extend_from_slice(&ce(block, offset, lengths[0] as u32));
        inline
    }
}
