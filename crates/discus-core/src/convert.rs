//! The conversion loop: read runs of sectors from a source in the form the plan asks for, hand them
//! to the sink in order, and refuse at the end if any stripped sector would not regenerate.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::address::Lba;
use crate::error::{Error, Result};
use crate::plan::{Plan, sectors_delivered};
use crate::sector::Check;
use crate::stream::{SectorSink, SectorSource, check_dropped, read_sectors};

/// Sectors per read: large enough that per-call costs vanish, small enough to keep memory flat
/// (about 1.2 MiB per buffer at 2448 bytes a sector).
pub const BATCH_SECTORS: usize = 512;

/// How a conversion runs.
#[derive(Default)]
pub struct ConvertOptions<'a> {
    /// Strip sectors even when their stripped bytes would not regenerate.
    pub allow_lossy: bool,
    /// Called after each batch with (sectors done, sectors in all).
    pub progress: Option<&'a (dyn Fn(u64, u64) + Sync)>,
    /// Checked between batches; when set, the conversion stops with [`Error::Interrupted`].
    pub cancel: Option<&'a AtomicBool>,
}

/// What a finished conversion did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Sectors written.
    pub sectors: u64,
    /// Sectors stripped although they did not regenerate (only with `allow_lossy`).
    pub not_regenerable: Check,
}

/// Runs `plan`: every sector it names goes from `source` to `sink`, which is finished (its files
/// committed) only if everything succeeded. Stored gap sectors the plan leaves out are checked to
/// be what would be generated in their place, like stripped sync and ECC. On any error the sink is dropped and leaves nothing.
pub fn convert(
    source: &mut dyn SectorSource,
    plan: &Plan,
    mut sink: Box<dyn SectorSink>,
    options: &ConvertOptions<'_>,
) -> Result<Report> {
    let total = plan.total_sectors();
    let mut done = 0u64;
    let mut check = Check::default();
    let mut buffer = Vec::new();
    let mut scratch = Vec::new();
    for (index, (track_plan, track)) in plan.tracks.iter().zip(plan.disc.tracks()).enumerate() {
        let source_track = source
            .disc()
            .track(track_plan.source)
            .cloned()
            .ok_or_else(|| Error::Usage(format!("no source track {}", track_plan.source)))?;
        if source_track.pregap.stored && !track_plan.pregap && source_track.pregap.sectors > 0 {
            let count = source_track.pregap.sectors as usize;
            check_dropped(
                source,
                track_plan.source,
                source_track.first_lba(),
                count,
                &mut check,
            )?;
        }
        if source_track.postgap.stored && !track_plan.postgap && source_track.postgap.sectors > 0 {
            let count = source_track.postgap.sectors as usize;
            check_dropped(
                source,
                track_plan.source,
                source_track.data_end(),
                count,
                &mut check,
            )?;
        }
        let first = if track_plan.pregap {
            track.first_lba()
        } else {
            track.start
        };
        let count = sectors_delivered(track_plan, track);
        let size = track_plan.form.size();
        let mut at = 0u64;
        while at < count {
            if options.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(Error::Interrupted);
            }
            let run = (count - at).min(BATCH_SECTORS as u64) as usize;
            buffer.resize(run * size, 0);
            let lba = Lba(first.0 + at as i32);
            read_sectors(
                source,
                track_plan.source,
                lba,
                run,
                track_plan.form,
                &mut buffer,
                &mut scratch,
                &mut check,
            )?;
            sink.write(index, &buffer)?;
            at += run as u64;
            done += run as u64;
            if let Some(progress) = options.progress {
                progress(done, total);
            }
        }
    }
    if let (Some(first), false) = (check.first, options.allow_lossy) {
        let path = source.files().into_iter().next().unwrap_or_default();
        return Err(Error::NotRegenerable {
            path,
            first,
            count: check.count,
        });
    }
    sink.finish()?;
    Ok(Report {
        sectors: done,
        not_regenerable: check,
    })
}
