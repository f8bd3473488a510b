//! Sector-level comparison of two images in any formats: their track layouts, then the sectors of
//! every track the two have in common. `discus compare`, `discus convert --verify` and
//! `discus batch --verify` all use this one comparison.
//!
//! Two images can store the same track differently (an ISO keeps 2048 bytes a sector, a BIN all
//! 2352), so each pair of tracks is compared in the richest form *both* store: whole raw sectors
//! when both keep them (so a damaged EDC or ECC byte counts), the 2336-byte Mode 2 body when both
//! keep that, and otherwise the 2048 bytes of user data. Audio is always compared raw. Bytes one
//! side only generates (a pregap it does not store) are not compared, only noted.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use discus_core::convert::BATCH_SECTORS;
use discus_core::{Check, Form, Lba, SectorSource, Track, TrackMode, read_sectors};

use crate::{Format, Result, open};

/// How to compare.
pub struct CompareOptions<'a> {
    /// Tracks of A that B lacks are notes rather than differences: B is a conversion of A that
    /// was allowed to drop them (`--allow-lossy`).
    pub allow_missing: bool,
    /// How many differing sectors to name per track.
    pub max_named: usize,
    /// Called with (sectors done, sectors in all).
    pub progress: Option<&'a (dyn Fn(u64, u64) + Sync)>,
    /// When set, the comparison stops with [`crate::Error::Interrupted`].
    pub cancel: Option<&'a AtomicBool>,
}

impl Default for CompareOptions<'_> {
    fn default() -> Self {
        CompareOptions {
            allow_missing: false,
            max_named: 10,
            progress: None,
            cancel: None,
        }
    }
}

/// How one pair of tracks compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackComparison {
    /// The track number.
    pub number: u8,
    /// The track's mode in A.
    pub mode: TrackMode,
    /// The form the sectors were compared in.
    pub form: Form,
    /// First LBA compared (in A's addressing).
    pub first: Lba,
    /// Sectors compared.
    pub sectors: u64,
    /// Sectors that differ.
    pub differing: u64,
    /// The first differing sectors (A's addresses), at most [`CompareOptions::max_named`].
    pub named: Vec<Lba>,
}

/// What a comparison found.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// The format of A.
    pub a_format: &'static str,
    /// The format of B.
    pub b_format: &'static str,
    /// Differences of layout (missing tracks, other modes, lengths or starts), one sentence each.
    pub layout: Vec<String>,
    /// What differs but does not count: gaps one side only describes, modes an ISO cannot say.
    pub notes: Vec<String>,
    /// The tracks both have, compared.
    pub tracks: Vec<TrackComparison>,
}

impl Comparison {
    /// Whether the layouts agree and every compared sector is equal.
    pub fn identical(&self) -> bool {
        self.layout.is_empty() && self.differing_sectors() == 0
    }

    /// Sectors that differ, over all tracks.
    pub fn differing_sectors(&self) -> u64 {
        self.tracks.iter().map(|t| t.differing).sum()
    }

    /// Sectors compared, over all tracks.
    pub fn compared_sectors(&self) -> u64 {
        self.tracks.iter().map(|t| t.sectors).sum()
    }

    /// One line saying how the comparison ended, for summaries and errors.
    pub fn summary(&self) -> String {
        if self.identical() {
            return format!(
                "identical: {} sector(s) in {} track(s) compared",
                self.compared_sectors(),
                self.tracks.len()
            );
        }
        let mut parts = self.layout.clone();
        for track in self.tracks.iter().filter(|t| t.differing > 0) {
            let first = track
                .named
                .first()
                .map(|l| format!(", first at LBA {l}"))
                .unwrap_or_default();
            parts.push(format!(
                "track {}: {} of {} sector(s) differ{first}",
                track.number, track.differing, track.sectors
            ));
        }
        format!("different: {}", parts.join("; "))
    }
}

/// Opens `a` and `b` (any formats) and compares them.
pub fn compare(a: &Path, b: &Path, options: &CompareOptions<'_>) -> Result<Comparison> {
    let mut left = open(a)?;
    let mut right = open(b)?;
    compare_sources(
        (left.format, &mut *left.source),
        (right.format, &mut *right.source),
        options,
    )
}

/// Which sectors of a track pair are compared, and how.
struct Pair {
    a: usize,
    b: usize,
    number: u8,
    mode: TrackMode,
    form: Form,
    first_a: Lba,
    first_b: Lba,
    count: u64,
}

/// The richest form both sides store a track in.
fn common_form(mode: TrackMode, a: Form, b: Form, same_start: bool) -> Form {
    let (a, b) = (a.without_subchannel(), b.without_subchannel());
    let body = |f: Form| matches!(f, Form::Raw | Form::Mode2);
    match mode {
        TrackMode::Audio => Form::Raw,
        // The raw header holds the address, so raw sectors only compare at equal addresses.
        _ if a == Form::Raw && b == Form::Raw && same_start => Form::Raw,
        TrackMode::Mode2 | TrackMode::Mode2Xa if body(a) && body(b) => Form::Mode2,
        _ => Form::Cooked,
    }
}

/// Compares the layouts of two opened images, then the sectors of the tracks they share.
pub fn compare_sources(
    a: (&'static Format, &mut dyn SectorSource),
    b: (&'static Format, &mut dyn SectorSource),
    options: &CompareOptions<'_>,
) -> Result<Comparison> {
    let (a_format, a) = a;
    let (b_format, b) = b;
    let a_tracks: Vec<Track> = a.disc().tracks().cloned().collect();
    let b_tracks: Vec<Track> = b.disc().tracks().cloned().collect();
    let mut layout = Vec::new();
    let mut notes = Vec::new();
    let mut pairs = Vec::new();
    if a.disc().sessions.len() != b.disc().sessions.len() {
        layout.push(format!(
            "A has {} session(s), B has {}",
            a.disc().sessions.len(),
            b.disc().sessions.len()
        ));
    }
    for (ia, ta) in a_tracks.iter().enumerate() {
        let Some((ib, tb)) = b_tracks
            .iter()
            .enumerate()
            .find(|(_, t)| t.number == ta.number)
        else {
            let sentence = format!("track {} ({}) is only in A", ta.number, ta.mode.name());
            if options.allow_missing {
                notes.push(sentence);
            } else {
                layout.push(sentence);
            }
            continue;
        };
        let (fa, fb) = (a.stored_form(ia), b.stored_form(ib));
        if ta.mode != tb.mode {
            let sentence = format!(
                "track {}: {} in A, {} in B",
                ta.number,
                ta.mode.name(),
                tb.mode.name()
            );
            // A 2048-byte image cannot say which data mode its sectors had.
            let unknowable = ta.mode.is_data()
                && tb.mode.is_data()
                && (fa == Form::Cooked || fb == Form::Cooked);
            if unknowable {
                notes.push(sentence);
            } else {
                layout.push(sentence);
            }
        }
        if ta.length != tb.length {
            layout.push(format!(
                "track {}: {} sectors in A, {} in B",
                ta.number, ta.length, tb.length
            ));
        }
        if ta.start != tb.start {
            layout.push(format!(
                "track {}: starts at LBA {} in A, {} in B",
                ta.number, ta.start, tb.start
            ));
        }
        let both_store_pregap = ta.pregap.stored
            && tb.pregap.stored
            && ta.pregap.sectors == tb.pregap.sectors
            && ta.pregap.sectors > 0;
        if ta.pregap.sectors != tb.pregap.sectors {
            let sentence = format!(
                "track {}: pregap of {} sectors in A, {} in B",
                ta.number, ta.pregap.sectors, tb.pregap.sectors
            );
            if ta.pregap.stored && tb.pregap.stored {
                layout.push(sentence);
            } else {
                notes.push(sentence);
            }
        } else if ta.pregap.sectors > 0 && ta.pregap.stored != tb.pregap.stored {
            notes.push(format!(
                "track {}: the pregap is stored in only one image and not compared",
                ta.number
            ));
        }
        let pregap = if both_store_pregap {
            ta.pregap.sectors
        } else {
            0
        };
        let form = common_form(ta.mode, fa, fb, ta.start == tb.start);
        pairs.push(Pair {
            a: ia,
            b: ib,
            number: ta.number,
            mode: ta.mode,
            form,
            first_a: Lba(ta.start.0 - pregap as i32),
            first_b: Lba(tb.start.0 - pregap as i32),
            count: u64::from(pregap) + u64::from(ta.length.min(tb.length)),
        });
    }
    for tb in &b_tracks {
        if !a_tracks.iter().any(|t| t.number == tb.number) {
            layout.push(format!(
                "track {} ({}) is only in B",
                tb.number,
                tb.mode.name()
            ));
        }
    }
    let total: u64 = pairs.iter().map(|p| p.count).sum();
    let mut done = 0u64;
    let mut tracks = Vec::new();
    let (mut buf_a, mut buf_b) = (Vec::new(), Vec::new());
    let mut scratch = Vec::new();
    for pair in &pairs {
        let size = pair.form.size();
        let mut result = TrackComparison {
            number: pair.number,
            mode: pair.mode,
            form: pair.form,
            first: pair.first_a,
            sectors: pair.count,
            differing: 0,
            named: Vec::new(),
        };
        let mut at = 0u64;
        while at < pair.count {
            if options.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(crate::Error::Interrupted);
            }
            let run = (pair.count - at).min(BATCH_SECTORS as u64) as usize;
            buf_a.resize(run * size, 0);
            buf_b.resize(run * size, 0);
            // What would not regenerate is a fact of each image, not a difference between them.
            let mut ignored = Check::default();
            let lba_a = Lba(pair.first_a.0 + at as i32);
            let lba_b = Lba(pair.first_b.0 + at as i32);
            read_sectors(
                a,
                pair.a,
                lba_a,
                run,
                pair.form,
                &mut buf_a,
                &mut scratch,
                &mut ignored,
            )?;
            read_sectors(
                b,
                pair.b,
                lba_b,
                run,
                pair.form,
                &mut buf_b,
                &mut scratch,
                &mut ignored,
            )?;
            if buf_a != buf_b {
                for (i, (x, y)) in buf_a
                    .chunks_exact(size)
                    .zip(buf_b.chunks_exact(size))
                    .enumerate()
                {
                    if x != y {
                        result.differing += 1;
                        if result.named.len() < options.max_named {
                            result.named.push(Lba(lba_a.0 + i as i32));
                        }
                    }
                }
            }
            at += run as u64;
            done += run as u64;
            if let Some(progress) = options.progress {
                progress(done, total);
            }
        }
        tracks.push(result);
    }
    Ok(Comparison {
        a_format: a_format.name,
        b_format: b_format.name,
        layout,
        notes,
        tracks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_the_richest_both_store() {
        use Form::*;
        assert_eq!(common_form(TrackMode::Mode1, Raw, RawSub, true), Raw);
        assert_eq!(common_form(TrackMode::Mode1, Raw, Raw, false), Cooked);
        assert_eq!(common_form(TrackMode::Mode1, Raw, Cooked, true), Cooked);
        assert_eq!(common_form(TrackMode::Mode2Xa, Raw, Mode2, true), Mode2);
        assert_eq!(common_form(TrackMode::Mode2Xa, Raw, Cooked, true), Cooked);
        assert_eq!(common_form(TrackMode::Audio, Cooked, Raw, false), Raw);
    }
}
