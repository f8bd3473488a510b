//! The bytes of the one file a plan's writer would write (an ISO, a single-file BIN), read at any
//! offset without writing anything: each plan track is an extent of its delivered sectors in its
//! form, one after another, and a read fetches only the sectors it covers through
//! [`read_sectors`] — so a generated gap, a regenerated sync and ECC, or a stripped header come
//! out exactly as the conversion loop would write them.
//!
//! This is what lets a mount show `image.iso` or `image.bin` of any image, computed on demand.

use crate::address::Lba;
use crate::error::{Error, Result};
use crate::plan::{Plan, sectors_delivered};
use crate::sector::{Check, Form};
use crate::stream::{SectorSource, read_sectors};

/// One plan track's share of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Extent {
    /// Where its first sector starts in the file.
    start: u64,
    /// The source track it reads (index in the source's [`crate::Disc::tracks`] order).
    source_track: usize,
    /// Its first delivered sector (the first pregap sector when the plan takes the pregap).
    first: Lba,
    /// Sectors delivered.
    sectors: u64,
    /// The form they are delivered in.
    form: Form,
}

impl Extent {
    fn end(&self) -> u64 {
        self.start + self.sectors * self.form.size() as u64
    }
}

/// The byte layout of a plan's single output file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    extents: Vec<Extent>,
}

/// Buffers a [`Window`] read reuses between calls.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Whole sectors covering a read that starts or ends inside one.
    sectors: Vec<u8>,
    /// What [`read_sectors`] converts from.
    stored: Vec<u8>,
}

impl Window {
    /// The layout of `plan` written as one file: its tracks in order, each with the sectors the
    /// plan delivers (pregap and postgap as it says) in the plan's form.
    pub fn new(plan: &Plan) -> Window {
        let mut start = 0u64;
        let extents = plan
            .tracks
            .iter()
            .zip(plan.disc.tracks())
            .map(|(track_plan, track)| {
                let first = if track_plan.pregap {
                    track.first_lba()
                } else {
                    track.start
                };
                let extent = Extent {
                    start,
                    source_track: track_plan.source,
                    first,
                    sectors: sectors_delivered(track_plan, track),
                    form: track_plan.form,
                };
                start = extent.end();
                extent
            })
            .collect();
        Window { extents }
    }

    /// Bytes in the file.
    pub fn len(&self) -> u64 {
        self.extents.last().map_or(0, Extent::end)
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `out` with the file's bytes from `offset` (fewer at the end of the file) and returns
    /// how many it filled. Sectors whose stripped bytes would not regenerate go into `check`: the
    /// caller decides whether that matters (a conversion refuses, a mount shows what is there).
    pub fn read_at(
        &self,
        source: &mut dyn SectorSource,
        offset: u64,
        out: &mut [u8],
        scratch: &mut Scratch,
        check: &mut Check,
    ) -> Result<usize> {
        let end = self.len().min(offset.saturating_add(out.len() as u64));
        let mut at = offset;
        // Extents are in file order: skip to the one holding `offset`.
        let first = self.extents.partition_point(|e| e.end() <= offset);
        for extent in &self.extents[first..] {
            if at >= end {
                break;
            }
            let size = extent.form.size() as u64;
            let take_end = end.min(extent.end());
            let first_sector = (at - extent.start) / size;
            let last_sector = (take_end - extent.start).div_ceil(size);
            let count = usize::try_from(last_sector - first_sector)
                .map_err(|_| Error::Usage(format!("a read of {} bytes is too large", out.len())))?;
            let lba = Lba(extent.first.0 + sector_offset(first_sector)?);
            let dst = &mut out[(at - offset) as usize..(take_end - offset) as usize];
            let skip = ((at - extent.start) % size) as usize;
            if skip == 0 && dst.len() == count * size as usize {
                read_sectors(
                    source,
                    extent.source_track,
                    lba,
                    count,
                    extent.form,
                    dst,
                    &mut scratch.stored,
                    check,
                )?;
            } else {
                scratch.sectors.resize(count * size as usize, 0);
                read_sectors(
                    source,
                    extent.source_track,
                    lba,
                    count,
                    extent.form,
                    &mut scratch.sectors,
                    &mut scratch.stored,
                    check,
                )?;
                dst.copy_from_slice(&scratch.sectors[skip..skip + dst.len()]);
            }
            at = take_end;
        }
        Ok((end.saturating_sub(offset)) as usize)
    }
}

fn sector_offset(sectors: u64) -> Result<i32> {
    i32::try_from(sectors).map_err(|_| {
        Error::Usage(format!(
            "sector {sectors} of a track is past any disc address"
        ))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::format::{Capabilities, Media};
    use crate::testing::{Synthetic, all_sectors, mixed_multisession};

    fn source(form: Form) -> Synthetic {
        let disc = mixed_multisession();
        let forms = vec![form; disc.track_count()];
        Synthetic {
            disc,
            forms,
            fail_on: None,
        }
    }

    /// Every byte the window shows, read in uneven pieces that start and end inside sectors and
    /// cross tracks, equals the plan's sectors one after another — what a sink would receive —
    /// with stored pregaps kept, generated ones and postgaps left out.
    #[test]
    fn uneven_reads_give_the_planned_sectors_in_order() {
        let mut source = source(Form::Raw);
        let capabilities = Capabilities {
            media: Media::CD,
            multi_track: true,
            audio: true,
            sessions: true,
            raw_sectors: true,
            ..Capabilities::default()
        };
        let plan = Plan::keep_all(
            &source,
            capabilities,
            |_, _| Form::Raw,
            |t| (t.pregap.stored, false),
        );
        let window = Window::new(&plan);
        let tracks: Vec<_> = source.disc().tracks().cloned().collect();
        let mut expected = Vec::new();
        for (track, bytes) in tracks.iter().zip(all_sectors(&mut source, Form::Raw)) {
            let skip = match track.pregap.stored {
                true => 0,
                false => track.pregap.sectors as usize,
            };
            let keep = track.pregap.sectors as usize + track.length as usize;
            expected.extend_from_slice(&bytes[skip * 2352..keep * 2352]);
        }
        assert_eq!(window.len(), expected.len() as u64);
        let mut got = Vec::new();
        let mut scratch = Scratch::default();
        let mut check = Check::default();
        for piece in [1usize, 2351, 2353, 7000, 100_000, 3].iter().cycle() {
            let mut buf = vec![0u8; *piece];
            let offset = got.len() as u64;
            let n = window
                .read_at(&mut source, offset, &mut buf, &mut scratch, &mut check)
                .unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "the bytes differ");
        assert!(check.is_clean());
    }

    /// A read that runs past the end fills what there is; one that starts past it fills nothing.
    #[test]
    fn reads_past_the_end_fill_what_there_is() {
        let mut source = source(Form::Raw);
        let plan = Plan::first_data_track(
            &source,
            Capabilities::default(),
            Form::Cooked,
            std::path::Path::new("x"),
        )
        .unwrap();
        let window = Window::new(&plan);
        assert_eq!(window.len(), 300 * 2048);
        let mut buf = [0u8; 4096];
        let mut scratch = Scratch::default();
        let mut check = Check::default();
        let mut read = |offset| {
            window
                .read_at(&mut source, offset, &mut buf, &mut scratch, &mut check)
                .unwrap()
        };
        assert_eq!(read(window.len() - 10), 10);
        assert_eq!(read(window.len() + 10), 0);
    }
}
