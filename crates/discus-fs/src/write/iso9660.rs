//! ISO 9660 (ECMA-119) structures as written: both-endian numbers, the 7- and 17-byte dates,
//! directory records, path tables, the primary/supplementary descriptors and the level 3 names
//! (d-characters, 30 for name and extension together, a `;1` version on files).

use crate::tree::Timestamp;

/// Bytes in a block.
pub(crate) const BLOCK: usize = crate::blocks::BLOCK;

/// The largest extent one record can describe: the largest multiple of the block size a u32
/// length holds. A larger file is written as several records (ISO 9660 level 3 multi-extent).
pub(crate) const MAX_EXTENT: u64 = 0xFFFF_F800;

/// Directory record flags.
pub(crate) const FLAG_DIRECTORY: u8 = 0x02;
pub(crate) const FLAG_MULTI_EXTENT: u8 = 0x80;

/// A u16 little-endian then big-endian.
pub(crate) fn both16(value: u16) -> [u8; 4] {
    let (le, be) = (value.to_le_bytes(), value.to_be_bytes());
    [le[0], le[1], be[0], be[1]]
}

/// A u32 little-endian then big-endian.
pub(crate) fn both32(value: u32) -> [u8; 8] {
    let (le, be) = (value.to_le_bytes(), value.to_be_bytes());
    [le[0], le[1], le[2], le[3], be[0], be[1], be[2], be[3]]
}

/// A directory record date in UTC: years since 1900 (clamped to what the byte holds), month,
/// day, hour, minute, second, zone 0.
pub(crate) fn short_date(seconds: i64) -> [u8; 7] {
    // 1900..=2155 is what the year byte holds.
    let seconds = seconds.clamp(-2_208_988_800, 5_933_894_399);
    let (year, month, day, hour, minute, second) = Timestamp(seconds).civil();
    [
        (year - 1900) as u8,
        month as u8,
        day as u8,
        hour as u8,
        minute as u8,
        second as u8,
        0,
    ]
}

/// A volume descriptor date in UTC: `YYYYMMDDHHMMSS00` and zone 0.
pub(crate) fn long_date(seconds: i64) -> [u8; 17] {
    let seconds = seconds.clamp(-62_135_596_800, 253_402_300_799);
    let (year, month, day, hour, minute, second) = Timestamp(seconds).civil();
    let text = format!("{year:04}{month:02}{day:02}{hour:02}{minute:02}{second:02}00");
    let mut out = [0u8; 17];
    out[..16].copy_from_slice(&text.as_bytes()[..16]);
    out
}

/// The "not specified" volume descriptor date: sixteen ASCII zeros and zone 0.
pub(crate) fn no_date() -> [u8; 17] {
    let mut out = [b'0'; 17];
    out[16] = 0;
    out
}

/// The length of a directory record with a name of `name` bytes and no System Use: 33 bytes,
/// the name, and a pad byte after an even-length name. Always even.
pub(crate) fn record_base(name: usize) -> usize {
    33 + name + usize::from(name.is_multiple_of(2))
}

/// The longest a directory record may be.
pub(crate) const MAX_RECORD: usize = 255;

/// One directory record.
pub(crate) struct Record<'a> {
    pub extent: u32,
    pub size: u32,
    pub date: i64,
    pub flags: u8,
    pub name: &'a [u8],
    pub system_use: &'a [u8],
}

impl Record<'_> {
    /// The record's bytes (the System Use area padded to keep the length even).
    pub fn bytes(&self) -> Vec<u8> {
        let base = record_base(self.name.len());
        let length = base + self.system_use.len() + self.system_use.len() % 2;
        let mut out = Vec::with_capacity(length);
        out.push(length.min(MAX_RECORD) as u8);
        out.push(0);
        out.extend_from_slice(&both32(self.extent));
        out.extend_from_slice(&both32(self.size));
        out.extend_from_slice(&short_date(self.date));
        out.push(self.flags);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&both16(1));
        out.push(self.name.len() as u8);
        out.extend_from_slice(self.name);
        out.resize(base, 0);
        out.extend_from_slice(self.system_use);
        out.resize(length, 0);
        out
    }
}

/// Packs records into a directory's blocks: a record never crosses a block, the rest of a block
/// is zeros. Returns the data (a whole number of blocks).
pub(crate) fn pack_records(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    for record in records {
        let used = out.len() % BLOCK;
        if used + record.len() > BLOCK {
            out.resize(out.len() + BLOCK - used, 0);
        }
        out.extend_from_slice(record);
    }
    let blocks = out.len().div_ceil(BLOCK).max(1);
    out.resize(blocks * BLOCK, 0);
    out
}

/// One path table entry: a directory's identifier, its first block and its parent's number
/// (1-based, in table order).
pub(crate) struct PathEntry<'a> {
    pub name: &'a [u8],
    pub extent: u32,
    pub parent: u16,
}

/// A path table, little-endian (type L) or big-endian (type M).
pub(crate) fn path_table(entries: &[PathEntry<'_>], big_endian: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in entries {
        out.push(entry.name.len() as u8);
        out.push(0);
        if big_endian {
            out.extend_from_slice(&entry.extent.to_be_bytes());
            out.extend_from_slice(&entry.parent.to_be_bytes());
        } else {
            out.extend_from_slice(&entry.extent.to_le_bytes());
            out.extend_from_slice(&entry.parent.to_le_bytes());
        }
        out.extend_from_slice(entry.name);
        if entry.name.len() % 2 == 1 {
            out.push(0);
        }
    }
    out
}

/// What a primary or supplementary volume descriptor says.
pub(crate) struct Descriptor<'a> {
    /// 1 primary, 2 supplementary (Joliet).
    pub kind: u8,
    /// Escape sequences of a Joliet descriptor (`%/E`, UCS-2 level 3).
    pub escapes: &'a [u8],
    /// Identifiers already encoded (a-characters, or UCS-2 big-endian for Joliet).
    pub system: &'a [u8],
    pub volume: &'a [u8],
    pub application: &'a [u8],
    pub blocks: u32,
    pub path_table_size: u32,
    pub path_table_l: u32,
    pub path_table_m: u32,
    /// The root's 34-byte record.
    pub root: &'a [u8],
    pub date: i64,
    /// The character used to pad identifier fields (space, or 0 for Joliet's UCS-2 pairs).
    pub joliet: bool,
}

fn field(out: &mut [u8], at: usize, len: usize, value: &[u8], joliet: bool) {
    let area = &mut out[at..at + len];
    if joliet {
        // UCS-2 spaces, and a lone trailing byte of 0 when the field length is odd.
        for pair in area.chunks_mut(2) {
            match pair.len() {
                2 => pair.copy_from_slice(&[0, b' ']),
                _ => pair[0] = 0,
            }
        }
    } else {
        area.fill(b' ');
    }
    let n = value.len().min(len);
    area[..n].copy_from_slice(&value[..n]);
}

impl Descriptor<'_> {
    pub fn bytes(&self) -> Vec<u8> {
        let mut d = vec![0u8; BLOCK];
        d[0] = self.kind;
        d[1..6].copy_from_slice(b"CD001");
        d[6] = 1;
        field(&mut d, 8, 32, self.system, self.joliet);
        field(&mut d, 40, 32, self.volume, self.joliet);
        d[80..88].copy_from_slice(&both32(self.blocks));
        let escapes = self.escapes.len().min(32);
        d[88..88 + escapes].copy_from_slice(&self.escapes[..escapes]);
        d[120..124].copy_from_slice(&both16(1));
        d[124..128].copy_from_slice(&both16(1));
        d[128..132].copy_from_slice(&both16(BLOCK as u16));
        d[132..140].copy_from_slice(&both32(self.path_table_size));
        d[140..144].copy_from_slice(&self.path_table_l.to_le_bytes());
        d[148..152].copy_from_slice(&self.path_table_m.to_be_bytes());
        d[156..190].copy_from_slice(&self.root[..34]);
        // Volume set, publisher, preparer, application; copyright, abstract, bibliographic files.
        field(&mut d, 190, 128, b"", self.joliet);
        field(&mut d, 318, 128, b"", self.joliet);
        field(&mut d, 446, 128, b"", self.joliet);
        field(&mut d, 574, 128, self.application, self.joliet);
        field(&mut d, 702, 37, b"", self.joliet);
        field(&mut d, 739, 37, b"", self.joliet);
        field(&mut d, 776, 37, b"", self.joliet);
        d[813..830].copy_from_slice(&long_date(self.date));
        d[830..847].copy_from_slice(&long_date(self.date));
        d[847..864].copy_from_slice(&no_date());
        d[864..881].copy_from_slice(&long_date(self.date));
        d[881] = 1;
        d
    }
}

/// The volume descriptor set terminator.
pub(crate) fn terminator() -> Vec<u8> {
    let mut d = vec![0u8; BLOCK];
    d[0] = 255;
    d[1..6].copy_from_slice(b"CD001");
    d[6] = 1;
    d
}

/// The longest level 3 file name: name and extension together (the dot and `;1` not counted).
const FILE_CHARS: usize = 30;
/// The longest directory identifier.
const DIR_CHARS: usize = 31;
/// The longest extension kept: longer ones stay part of the name.
const EXTENSION_CHARS: usize = 8;

/// A d-character: what ISO 9660 names may hold.
fn d_char(c: char) -> u8 {
    match c.to_ascii_uppercase() {
        c @ ('A'..='Z' | '0'..='9' | '_') => c as u8,
        _ => b'_',
    }
}

fn d_chars(text: &str) -> Vec<u8> {
    text.chars().map(d_char).collect()
}

/// The ISO 9660 identifiers of one folder's children, in their order: a file's `NAME.EXT;1`, a
/// folder's `NAME`. Names map to upper-case d-characters (anything else becomes `_`), a file's
/// extension (after its last dot, not a leading one) is kept up to 8 characters, and the name is
/// cut to fit; a name already taken in the folder gets a number in its last characters
/// (`LONGNA01`), so the same folder always maps the same way.
pub(crate) fn identifiers(children: &[(&[u8], bool)]) -> Vec<Vec<u8>> {
    let mut taken = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(children.len());
    for &(name, is_dir) in children {
        let text = String::from_utf8_lossy(name);
        let (stem, extension) = match text.rfind('.') {
            Some(dot) if !is_dir && dot > 0 && text.len() - dot - 1 <= EXTENSION_CHARS => {
                (d_chars(&text[..dot]), d_chars(&text[dot + 1..]))
            }
            _ => (d_chars(&text), Vec::new()),
        };
        let limit = match is_dir {
            true => DIR_CHARS,
            false => FILE_CHARS - extension.len(),
        };
        let mut stem: Vec<u8> = stem.into_iter().take(limit).collect();
        if stem.is_empty() && extension.is_empty() {
            stem.push(b'_');
        }
        let key = |stem: &[u8]| {
            let mut key = stem.to_vec();
            if !extension.is_empty() {
                key.push(b'.');
                key.extend_from_slice(&extension);
            }
            key
        };
        let mut chosen = key(&stem);
        let mut n = 1u32;
        while taken.contains(&chosen) {
            let digits = n.to_string();
            let keep = limit.saturating_sub(digits.len()).min(stem.len());
            let mut numbered = stem[..keep].to_vec();
            numbered.extend_from_slice(digits.as_bytes());
            chosen = key(&numbered);
            n += 1;
        }
        taken.insert(chosen.clone());
        if !is_dir {
            if extension.is_empty() {
                chosen.push(b'.');
            }
            chosen.extend_from_slice(b";1");
        }
        out.push(chosen);
    }
    out
}

/// The order of records in a directory (ECMA-119 9.3): by name, then extension, each as if
/// padded with spaces — for d-characters this is the order of (name, extension) as bytes.
pub(crate) fn record_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    fn parts(id: &[u8]) -> (&[u8], &[u8]) {
        let id = match id.iter().position(|&c| c == b';') {
            Some(at) => &id[..at],
            None => id,
        };
        match id.iter().position(|&c| c == b'.') {
            Some(at) => (&id[..at], &id[at + 1..]),
            None => (id, &[]),
        }
    }
    parts(a).cmp(&parts(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_d_characters_and_collisions_get_numbers() {
        let names: Vec<(&[u8], bool)> = vec![
            (b"readme.txt", false),
            (b"README.TXT", false),
            (b".hidden", false),
            (b"a very long file name that goes on.tar", false),
            (b"dir.with.dots", true),
            (b"noext", false),
        ];
        let ids = identifiers(&names);
        assert_eq!(ids[0], b"README.TXT;1");
        assert_eq!(ids[1], b"README1.TXT;1");
        assert_eq!(ids[2], b"_HIDDEN.;1");
        assert_eq!(ids[3], b"A_VERY_LONG_FILE_NAME_THAT_.TAR;1");
        assert_eq!(ids[4], b"DIR_WITH_DOTS");
        assert_eq!(ids[5], b"NOEXT.;1");
    }

    #[test]
    fn dates_round_trip_through_the_reader() {
        let t = 1_590_682_459;
        assert_eq!(
            crate::iso9660::short_date(&short_date(t)),
            Some(Timestamp(t))
        );
        assert_eq!(crate::iso9660::long_date(&long_date(t)), Some(Timestamp(t)));
        assert_eq!(crate::iso9660::long_date(&no_date()), None);
    }
}
