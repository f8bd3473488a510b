//! Rock Ridge (RRIP, IEEE P1282) over the System Use Sharing Protocol (SUSP, IEEE P1281): the
//! entries in a directory record's System Use area, followed through CE continuation areas, that
//! give POSIX names, modes, owners, times, symbolic links, device numbers and the relocation of
//! directories deeper than ISO 9660 allows.
//!
//! An entry: signature (2 bytes), length (1), version (1), data. The root's `.` record starts with
//! `SP` (check bytes BE EF, then how many bytes every later System Use area skips first, for discs
//! whose areas begin with an XA record).

use crate::blocks::{BLOCK, Blocks};
use crate::tree::Timestamp;
use discus_core::Result;

/// Continuation areas followed for one record at most: real discs use one or two; a loop of CE
/// entries pointing at each other must end.
const MAX_CONTINUATIONS: usize = 32;
/// Bytes of System Use data gathered for one record at most.
const MAX_AREA: usize = 64 * 1024;

/// What the Rock Ridge entries of one record say.
#[derive(Clone, Debug, Default)]
pub struct Entries {
    /// `NM`: the POSIX name (continuations joined); `None` when absent.
    pub name: Option<String>,
    /// `NM` said "current" or "parent" (the `.` and `..` records).
    pub name_is_dot: bool,
    /// `SL`: the symbolic link's target.
    pub symlink: Option<String>,
    /// `PX`: mode, links, owner, group.
    pub mode: Option<u32>,
    /// `PX`: owner and group.
    pub owner: Option<(u32, u32)>,
    /// `TF`: modification time (else creation time).
    pub modified: Option<Timestamp>,
    /// `PN`: device numbers (high, low).
    pub device: Option<(u32, u32)>,
    /// `CL`: this record stands for the directory relocated to this block.
    pub child_link: Option<u32>,
    /// `RE`: this directory is the relocated copy; it is shown at the place its `CL` names.
    pub relocated: bool,
    /// `ZF` with algorithm `pz`: the data is zisofs-compressed; its uncompressed size.
    pub zisofs: Option<u64>,
    /// `SP` seen, with the bytes every System Use area skips.
    pub sp: Option<usize>,
    /// Any Rock Ridge entry seen (`PX`, `NM`, `RR`, `ER` …).
    pub any: bool,
}

fn both32(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
}

/// Reads the entries of one System Use area and its continuations. `sector` is the block of the
/// record, named in errors.
pub fn read(blocks: &mut Blocks, area: &[u8], sector: u64) -> Result<Entries> {
    let mut entries = Entries::default();
    let mut name = String::new();
    let mut name_seen = false;
    let mut link = LinkBuilder::default();
    let mut pending: Vec<u8> = area.to_vec();
    let mut continuations = 0usize;
    let mut gathered = pending.len();
    loop {
        let mut next = None;
        let mut at = 0usize;
        while at + 4 <= pending.len() {
            let signature = [pending[at], pending[at + 1]];
            let length = usize::from(pending[at + 2]);
            if length < 4 || at + length > pending.len() {
                // Padding or a broken entry: what follows cannot be found.
                break;
            }
            let data = &pending[at + 4..at + length];
            match &signature {
                b"ST" => break,
                b"CE" => {
                    if let (Some(block), Some(offset), Some(len)) =
                        (both32(data, 0), both32(data, 8), both32(data, 16))
                    {
                        next = Some((block, offset, len));
                    }
                }
                b"SP" if data.len() >= 3 && data[0] == 0xBE && data[1] == 0xEF => {
                    entries.sp = Some(usize::from(data[2]));
                }
                b"NM" => {
                    entries.any = true;
                    if let Some((&flags, text)) = data.split_first() {
                        if flags & 0x06 != 0 {
                            entries.name_is_dot = true;
                        } else {
                            name.push_str(&String::from_utf8_lossy(text));
                            name_seen = true;
                        }
                    }
                }
                b"SL" => {
                    entries.any = true;
                    if let Some((_, components)) = data.split_first() {
                        link.add(components);
                    }
                }
                b"PX" => {
                    entries.any = true;
                    if let (Some(mode), Some(uid), Some(gid)) =
                        (both32(data, 0), both32(data, 16), both32(data, 24))
                    {
                        entries.mode = Some(mode);
                        entries.owner = Some((uid, gid));
                    }
                }
                b"PN" => {
                    entries.any = true;
                    if let (Some(high), Some(low)) = (both32(data, 0), both32(data, 8)) {
                        entries.device = Some((high, low));
                    }
                }
                b"TF" => {
                    entries.any = true;
                    entries.modified = timestamps(data);
                }
                b"CL" => {
                    entries.any = true;
                    entries.child_link = both32(data, 0);
                }
                b"RE" => {
                    entries.any = true;
                    entries.relocated = true;
                }
                b"ZF" => {
                    entries.any = true;
                    if data.get(..2) == Some(b"pz") {
                        entries.zisofs = both32(data, 4).map(u64::from);
                    }
                }
                b"RR" | b"ER" | b"PL" | b"SF" => entries.any = true,
                _ => {}
            }
            at += length;
        }
        let Some((block, offset, length)) = next else {
            break;
        };
        continuations += 1;
        gathered = gathered.saturating_add(length as usize);
        // A continuation area starts inside its block; an offset past it is a broken entry, and
        // reading up to it could mean gigabytes.
        if offset as usize >= BLOCK {
            return Err(blocks.invalid(
                sector,
                format!(
                    "a Rock Ridge CE entry points {offset} bytes into block {block}, past its end"
                ),
            ));
        }
        if continuations > MAX_CONTINUATIONS || gathered > MAX_AREA {
            return Err(blocks.invalid(
                sector,
                "Rock Ridge continuation areas (CE) do not end: more than 32 areas or 64 KiB",
            ));
        }
        let end = u64::from(offset) + u64::from(length);
        let bytes = blocks.bytes(u64::from(block), end.div_ceil(BLOCK as u64) * BLOCK as u64)?;
        pending = bytes[offset as usize..end as usize].to_vec();
    }
    if name_seen {
        entries.name = Some(name);
    }
    entries.symlink = link.finish();
    Ok(entries)
}

/// The modification time of a `TF` entry (or its creation time when no modification is
/// recorded). The flags say which times follow, in flag-bit order, each 7 bytes or 17 (long form).
fn timestamps(data: &[u8]) -> Option<Timestamp> {
    let (&flags, times) = data.split_first()?;
    let width = if flags & 0x80 != 0 { 17 } else { 7 };
    let mut created = None;
    let mut at = 0usize;
    for bit in 0..7 {
        if flags & (1 << bit) == 0 {
            continue;
        }
        let field = times.get(at..at + width)?;
        let time = match width {
            7 => crate::iso9660::short_date(field),
            _ => crate::iso9660::long_date(field),
        };
        match bit {
            0 => created = time,
            1 => return time.or(created),
            _ => {}
        }
        at += width;
    }
    created
}

/// Joins the components of `SL` entries into a path: ROOT gives `/`, CURRENT `.`, PARENT `..`,
/// and a component flagged CONTINUE carries on into the next one without a separator.
#[derive(Default)]
struct LinkBuilder {
    text: String,
    seen: bool,
    /// The last component continued: no separator before the next.
    joined: bool,
}

impl LinkBuilder {
    fn add(&mut self, mut components: &[u8]) {
        self.seen = true;
        while components.len() >= 2 {
            let flags = components[0];
            let length = usize::from(components[1]);
            let Some(content) = components.get(2..2 + length) else {
                return;
            };
            let part = if flags & 0x08 != 0 {
                "/".to_string()
            } else if flags & 0x04 != 0 {
                "..".to_string()
            } else if flags & 0x02 != 0 {
                ".".to_string()
            } else {
                String::from_utf8_lossy(content).into_owned()
            };
            if !self.text.is_empty() && !self.joined && !self.text.ends_with('/') {
                self.text.push('/');
            }
            self.text.push_str(&part);
            self.joined = flags & 0x01 != 0;
            components = &components[2 + length..];
        }
    }

    fn finish(self) -> Option<String> {
        self.seen.then_some(self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlink_components_join_with_root_parent_and_continuation() {
        let mut link = LinkBuilder::default();
        // "..", "copy" + continued "ing", then in a second SL entry "COPYING"
        link.add(&[
            0x04, 0, 0x01, 4, b'c', b'o', b'p', b'y', 0, 3, b'i', b'n', b'g',
        ]);
        link.add(&[0, 7, b'C', b'O', b'P', b'Y', b'I', b'N', b'G']);
        assert_eq!(link.finish().as_deref(), Some("../copying/COPYING"));
        let mut absolute = LinkBuilder::default();
        absolute.add(&[0x08, 0, 0, 3, b'e', b't', b'c']);
        assert_eq!(absolute.finish().as_deref(), Some("/etc"));
    }
}
