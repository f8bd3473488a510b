//! The conversion loop: read runs of sectors from a source in the form the plan asks for, hand them
//! to the sink in order, and refuse at the end if any stripped sector would not regenerate.
//!
//! Reading overlaps the rest: a reader thread fills up to [`IN_FLIGHT`] batches of stored sectors
//! ahead while this thread checks, converts and writes the one before, so the disk and the cores
//! are busy at the same time. Memory stays bounded by the batches in flight.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use crate::address::Lba;
use crate::disc::{Disc, Track};
use crate::error::{Error, Result};
use crate::plan::{Plan, TrackPlan, sectors_delivered};
use crate::sector::subchannel::Generator;
use crate::sector::{Check, Form, transcode};
use crate::stream::{SectorSink, SectorSource, check_dropped, generate, part_end, part_is_stored};

/// Sectors per read: large enough that per-call costs vanish, small enough to keep memory flat
/// (about 1.2 MiB per buffer at 2448 bytes a sector).
pub const BATCH_SECTORS: usize = 512;

/// Batches read ahead of the one being written.
pub const IN_FLIGHT: usize = 3;

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
    /// Every file the conversion put in place, in the order they were renamed (data files first,
    /// the descriptor last): what to tell the user was written.
    pub outputs: Vec<std::path::PathBuf>,
}

/// One run of sectors of one plan track: either stored bytes the reader fetched, or a run the
/// source does not store and this thread generates.
struct Run {
    /// Index in the plan.
    track: usize,
    lba: Lba,
    count: usize,
    /// Stored sectors in the source's form, or `None` for a run to generate.
    stored: Option<Vec<u8>>,
}

/// The runs of every plan track in order, each within one part of its track (pregap, body,
/// postgap) so that a run is all stored or all generated. What is stored is what the *source*
/// track stores: a plan track may reach further than its source (NRG extends track 1's pregap
/// down to LBA −150, where most formats store nothing), and those sectors are generated.
fn runs(plan: &Plan, source: &Disc) -> Vec<(usize, Lba, usize, bool)> {
    let mut runs = Vec::new();
    for (index, (track_plan, track)) in plan.tracks.iter().zip(plan.disc.tracks()).enumerate() {
        let source_track = source.track(track_plan.source).unwrap_or(track);
        let (first, end) = delivered(track_plan, track);
        let mut at = first;
        while at < end {
            let (part_end, stored) = if at < source_track.first_lba() {
                (source_track.first_lba(), false)
            } else if at >= source_track.end_lba() {
                (end, false)
            } else {
                (
                    part_end(source_track, at).min(part_end(track, at)),
                    part_is_stored(source_track, at),
                )
            };
            let count = (part_end.min(end).distance_from(at) as usize).clamp(1, BATCH_SECTORS);
            runs.push((index, at, count, stored));
            at = Lba(at.0 + count as i32);
        }
    }
    runs
}

/// The addresses of `track` that `plan` hands to the sink: `first .. end`.
fn delivered(plan: &TrackPlan, track: &Track) -> (Lba, Lba) {
    let first = if plan.pregap {
        track.first_lba()
    } else {
        track.start
    };
    (first, Lba(first.0 + sectors_delivered(plan, track) as i32))
}

/// The reader thread: fetches every stored run in order and sends it on, reusing the buffers the
/// writer hands back. Stops at the first error (which it sends) or when the writer hangs up.
fn read_ahead(
    source: &mut dyn SectorSource,
    plan: &Plan,
    runs: &[(usize, Lba, usize, bool)],
    sender: &SyncSender<Result<Run>>,
    spare: &Receiver<Vec<u8>>,
) {
    for &(track, lba, count, stored) in runs {
        let source_track = plan.tracks[track].source;
        let data = if stored {
            let mut buffer = spare.try_recv().unwrap_or_default();
            buffer.resize(count * source.stored_form(source_track).size(), 0);
            if let Err(error) = source.read(source_track, lba, &mut buffer) {
                let _ = sender.send(Err(error));
                return;
            }
            Some(buffer)
        } else {
            None
        };
        let run = Run {
            track,
            lba,
            count,
            stored: data,
        };
        if sender.send(Ok(run)).is_err() {
            return;
        }
    }
}

/// Runs `plan`: every sector it names goes from `source` to `sink`, which is finished (its files
/// committed) only if everything succeeded. Stored gap sectors the plan leaves out are checked to
/// be what would be generated in their place, like stripped sync and ECC. On any error the sink is
/// dropped and leaves nothing.
pub fn convert(
    source: &mut dyn SectorSource,
    plan: &Plan,
    mut sink: Box<dyn SectorSink>,
    options: &ConvertOptions<'_>,
) -> Result<Report> {
    let total = plan.total_sectors();
    let mut check = Check::default();
    for (index, track_plan) in plan.tracks.iter().enumerate() {
        let source_track = source
            .disc()
            .track(track_plan.source)
            .cloned()
            .ok_or_else(|| Error::Usage(format!("no source track {}", track_plan.source)))?;
        // Stored gap sectors the plan does not reach: a gap left out, or the part of track 1's
        // pregap before LBA 0 that a target whose files begin there cannot hold.
        let Some(plan_track) = plan.disc.track(index) else {
            continue;
        };
        let (first, end) = delivered(track_plan, plan_track);
        let (pregap, postgap) = (source_track.pregap, source_track.postgap);
        let dropped_before = first
            .min(source_track.start)
            .distance_from(source_track.first_lba());
        if pregap.stored && dropped_before > 0 {
            check_dropped(
                source,
                track_plan.source,
                source_track.first_lba(),
                dropped_before as usize,
                &mut check,
            )?;
        }
        let kept_until = end.max(source_track.data_end());
        let dropped_after = source_track.end_lba().distance_from(kept_until);
        if postgap.stored && dropped_after > 0 {
            check_dropped(
                source,
                track_plan.source,
                kept_until,
                dropped_after as usize,
                &mut check,
            )?;
        }
    }
    let stored_forms: Vec<Form> = plan
        .tracks
        .iter()
        .map(|t| source.stored_form(t.source))
        .collect();
    let generators: Vec<Option<Generator>> = plan
        .tracks
        .iter()
        .zip(plan.disc.tracks())
        .map(|(t, track)| t.form.has_subchannel().then(|| Generator::new(track)))
        .collect();
    let modes: Vec<_> = plan.disc.tracks().map(|t| t.mode).collect();
    let runs = runs(plan, source.disc());
    // Known before the source moves to the reader thread: what a refusal offers first.
    let lossless = plan.keep_whole(source);
    let files = source.files();
    let mut done = 0u64;
    std::thread::scope(|scope| -> Result<()> {
        let (sender, receiver) = sync_channel::<Result<Run>>(IN_FLIGHT);
        let (give_back, spare) = sync_channel::<Vec<u8>>(IN_FLIGHT + 1);
        let runs = &runs;
        scope.spawn(move || read_ahead(source, plan, runs, &sender, &spare));
        let mut out = Vec::new();
        for run in receiver {
            if options.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(Error::Interrupted);
            }
            let run = run?;
            let form = plan.tracks[run.track].form;
            let mode = modes[run.track];
            let generator = generators[run.track].as_ref();
            out.resize(run.count * form.size(), 0);
            match run.stored {
                Some(stored) if stored_forms[run.track] == form => {
                    sink.write(run.track, &stored)?;
                    let _ = give_back.try_send(stored);
                }
                Some(stored) => {
                    let from = stored_forms[run.track];
                    transcode(
                        mode, run.lba, from, &stored, form, &mut out, generator, &mut check,
                    );
                    sink.write(run.track, &out)?;
                    let _ = give_back.try_send(stored);
                }
                None => {
                    generate(mode, run.lba, form, &mut out, generator);
                    sink.write(run.track, &out)?;
                }
            }
            done += run.count as u64;
            if let Some(progress) = options.progress {
                progress(done, total);
            }
        }
        Ok(())
    })?;
    if let (Some(first), false) = (check.first, options.allow_lossy) {
        let path = files.into_iter().next().unwrap_or_default();
        return Err(Error::NotRegenerable {
            path,
            first,
            count: check.count,
            lossless: lossless.map(str::to_string),
        });
    }
    let _ = crate::output::take_placed();
    sink.finish()?;
    Ok(Report {
        sectors: done,
        not_regenerable: check,
        outputs: crate::output::take_placed(),
    })
}
