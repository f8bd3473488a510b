//! `.nrg`: Nero Burning ROM images, version 1 (`NERO` footer) and version 2 (`NER5` footer).
//!
//! An NRG holds the sectors of a disc first and describes them in a chain of chunks at the end
//! of the file, found through a footer in the last 8 or 12 bytes (module `chunks` has the byte
//! layout). Disc-at-once images store each session contiguously from its first pregap on;
//! track-at-once images store each track's sectors without its pregap (`read`); where the
//! tracks lie on the disc follows from that and the cue chunks (`layout`). What a track
//! holds and how many bytes its sectors have is one mode code per track (`mode`). CD-TEXT is
//! kept as raw packs and decoded into the disc's and tracks' text (`discus_core::cd_text`).
//!
//! Reading takes both versions, both layouts, several sessions and every mode code. Writing
//! makes version 2 disc-at-once images in the shape Nero writes, which libcdio, MAME's `chdman`,
//! `nrg2iso` and `iat` read (`write`).

mod chunks;
mod layout;
mod mode;
mod read;
mod write;

use discus_core::{Confidence, Format, Probe, Writer};

/// The NRG format.
pub static FORMAT: Format = Format {
    name: "nrg",
    description: "Nero Burning ROM image (NRG v1 and v2; disc-at-once and track-at-once)",
    extensions: &["nrg"],
    probe,
    open: read::open,
    writer: Some(Writer {
        capabilities: write::CAPABILITIES,
        plan: write::plan,
        create: write::create,
    }),
};

/// Magic when the file ends in a footer that points inside the file (and, when the first chunk
/// lies within the tail the probe sees, at something shaped like a chunk id).
fn probe(probe: &Probe<'_>) -> Confidence {
    if let Some((version, chunks_at)) = chunks::parse_footer(probe.tail, probe.len) {
        let footer_at = probe.len.saturating_sub(version.footer_size());
        let tail_start = probe.len.saturating_sub(probe.tail.len() as u64);
        let id_fits = match chunks_at.checked_sub(tail_start) {
            Some(at) => usize::try_from(at)
                .ok()
                .and_then(|at| probe.tail.get(at..at.checked_add(4)?))
                .is_some_and(|id| {
                    id.iter()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'!')
                }),
            None => true,
        };
        if chunks_at < footer_at && id_fits {
            return Confidence::Magic;
        }
    }
    if probe.has_extension(FORMAT.extensions) {
        Confidence::Extension
    } else {
        Confidence::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn score(name: &str, tail: &[u8], len: u64) -> Confidence {
        probe(&Probe {
            path: Path::new(name),
            head: &[],
            tail,
            len,
            siblings: &[],
        })
    }

    #[test]
    fn probe_scores_footers_and_extension() {
        let mut tail = vec![0u8; 100];
        tail[50..54].copy_from_slice(b"CUEX");
        tail.extend_from_slice(&chunks::footer_v2(10_050));
        assert_eq!(score("x.bin", &tail, 10_112), Confidence::Magic);
        // Pointing at bytes that are no chunk id.
        let mut bad = tail.clone();
        bad[50..54].copy_from_slice(b"\0\0\0\0");
        assert_eq!(score("x.bin", &bad, 10_112), Confidence::No);
        assert_eq!(score("x.nrg", &bad, 10_112), Confidence::Extension);
        // Pointing past the footer.
        let mut past = vec![0u8; 20];
        past.extend_from_slice(&chunks::footer_v2(1 << 40));
        assert_eq!(score("x.iso", &past, 32), Confidence::No);
    }
}
