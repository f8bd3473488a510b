//! What chdman drops, kept in a metadata entry of our own.

use discus_core::Disc;

use crate::header::tag;
use crate::metadata::Entry;

/// The tag of the entry.
pub const TAG: u32 = tag(b"DSCS");

/// The disc with what the entry holds put back.
pub fn restore(disc: Disc, _entries: &[Entry], _warnings: &mut Vec<String>) -> Disc {
    disc
}

/// The entry for what `disc` has beyond chdman's track metadata, if anything.
pub fn entry(_disc: &Disc) -> Option<Entry> {
    None
}
