//! Joliet names: UCS-2 big-endian, at most 64 characters, a `;1` version on files (as
//! genisoimage and xorriso write them). A longer name is cut to 64 keeping its extension (up to
//! 16 characters) — genisoimage -J cuts the tail instead, extension and all; characters Joliet
//! forbids (`* / : ; ? \` and controls) and those outside UCS-2 become `_`; a name then taken in
//! the folder (compared without case, as Windows compares them) gets `~N` before its extension.

/// The most characters of a Joliet name (the version not counted).
pub(crate) const MAX_CHARS: usize = 64;

/// The longest extension kept when a name is cut.
const EXTENSION_CHARS: usize = 16;

fn unit(c: char) -> u16 {
    match c {
        '*' | '/' | ':' | ';' | '?' | '\\' => u16::from(b'_'),
        c if (c as u32) < 0x20 => u16::from(b'_'),
        c => u16::try_from(c as u32).unwrap_or(u16::from(b'_')),
    }
}

/// The Joliet names of one folder's children, as UCS-2 units (files with `;1`).
pub(crate) fn names(children: &[(&[u8], bool)]) -> Vec<Vec<u16>> {
    let mut taken = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(children.len());
    for &(name, is_dir) in children {
        let chars: Vec<u16> = String::from_utf8_lossy(name).chars().map(unit).collect();
        let dot = chars.iter().rposition(|&u| u == u16::from(b'.'));
        let (stem, extension) = match dot {
            Some(at) if at > 0 && !is_dir && chars.len() - at <= EXTENSION_CHARS + 1 => {
                (chars[..at].to_vec(), chars[at..].to_vec())
            }
            _ => (chars.clone(), Vec::new()),
        };
        let build = |suffix: &str| {
            let suffix: Vec<u16> = suffix.encode_utf16().collect();
            let room = MAX_CHARS - extension.len() - suffix.len();
            let mut name: Vec<u16> = stem.iter().copied().take(room).collect();
            name.extend_from_slice(&suffix);
            name.extend_from_slice(&extension);
            name
        };
        let mut chosen = build("");
        let mut n = 1u32;
        while !taken.insert(String::from_utf16_lossy(&chosen).to_lowercase()) {
            chosen = build(&format!("~{n}"));
            n += 1;
        }
        if !is_dir {
            chosen.extend(";1".encode_utf16());
        }
        out.push(chosen);
    }
    out
}

/// UCS-2 big-endian bytes.
pub(crate) fn bytes(units: &[u16]) -> Vec<u8> {
    units.iter().flat_map(|u| u.to_be_bytes()).collect()
}

/// The escape sequence of a Joliet descriptor: UCS-2 level 3.
pub(crate) const ESCAPES: &[u8] = b"%/E";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_keep_their_extension_and_collisions_get_a_number() {
        let long = format!("{}.txt", "x".repeat(100));
        let names = names(&[
            (long.as_bytes(), false),
            (format!("{}.TXT", "X".repeat(90)).as_bytes(), false),
            ("a:b".as_bytes(), true),
        ]);
        let first = String::from_utf16_lossy(&names[0]);
        assert_eq!(first, format!("{}.txt;1", "x".repeat(60)));
        let second = String::from_utf16_lossy(&names[1]);
        assert_eq!(second, format!("{}~1.TXT;1", "X".repeat(58)));
        assert_eq!(String::from_utf16_lossy(&names[2]), "a_b");
    }
}
