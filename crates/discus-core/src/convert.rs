//! The conversion loop: read runs of sectors from a source in the form the plan asks for, hand them
//! to the sink in order, and refuse at the end if any stripped sector would not regenerate.
//!
//! The work is shared by `threads` workers, each of which takes the next run of sectors, reads it,
//! checks and converts it, and writes it when its turn comes: reading is one run at a time and in
//! order, writing is one run at a time and in order, and the checking in between runs on every
//! worker at once. So on two cores one worker reads and checks while the other writes. Each run
//! stays with the worker that read it until it is written: handing a megabyte to another core to
//! write cost more here (the kernel's copy into the page cache pulling every cache line across)
//! than checking every sector's EDC and ECC. Memory is two buffers per worker.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::address::Lba;
use crate::disc::{Disc, Track};
use crate::error::{Error, Result};
use crate::plan::{Plan, TrackPlan, sectors_delivered};
use crate::sector::subchannel::Generator;
use crate::sector::{Check, Form, transcode_on_one_thread};
use crate::stream::{SectorSink, SectorSource, check_dropped, generate, part_end, part_is_stored};

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
    /// Threads that check and convert sectors; 0 means one per core. The source is asked to keep
    /// to the same number (see [`SectorSource::set_threads`]).
    pub threads: usize,
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

/// What the workers need to know about the plan.
struct Context<'a> {
    plan: &'a Plan,
    /// `(plan track, first address, sectors, stored)` of every run, in order.
    runs: &'a [(usize, Lba, usize, bool)],
    stored_forms: &'a [Form],
    modes: &'a [crate::disc::TrackMode],
    generators: &'a [Option<Generator>],
    options: &'a ConvertOptions<'a>,
    total: u64,
}

/// The source, and the next run to read from it.
struct Reading<'s> {
    source: &'s mut dyn SectorSource,
    next: usize,
}

/// The sink, whose turn it is to write, and what the writes so far came to.
struct Writing {
    sink: Box<dyn SectorSink>,
    /// The run to be written next.
    turn: usize,
    check: Check,
    done: u64,
    /// The first error, in the order of the runs.
    error: Option<Error>,
}

/// The state the workers share.
struct Shared<'s> {
    reading: Mutex<Reading<'s>>,
    writing: Mutex<Writing>,
    /// Signalled when the turn moves on or the work stops.
    turned: Condvar,
    /// Set on the first error (or a worker's panic): every worker stops.
    stop: AtomicBool,
}

/// A lock that a panicking worker cannot leave unusable: the others then see `stop` and quit.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Sets `stop` if the worker holding it panics, so the others do not wait for its turn forever.
struct StopOnPanic<'a>(&'a AtomicBool);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

/// A worker: until the runs or the work stop, takes the next run, reads it, checks and converts
/// it, and writes it in its turn. Runs are independent, so which worker takes which never changes
/// a byte; the writes keep the order of the runs.
fn work(context: &Context<'_>, shared: &Shared<'_>) {
    let _guard = StopOnPanic(&shared.stop);
    let mut stored = Vec::new();
    let mut out = Vec::new();
    loop {
        let (sequence, read) = {
            let mut reading = lock(&shared.reading);
            let sequence = reading.next;
            if shared.stop.load(Ordering::SeqCst) || sequence >= context.runs.len() {
                return;
            }
            reading.next += 1;
            let (track, lba, count, is_stored) = context.runs[sequence];
            let read = if is_stored {
                let source_track = context.plan.tracks[track].source;
                stored.resize(count * reading.source.stored_form(source_track).size(), 0);
                reading.source.read(source_track, lba, &mut stored)
            } else {
                Ok(())
            };
            (sequence, read)
        };
        let (track, lba, count, is_stored) = context.runs[sequence];
        let form = context.plan.tracks[track].form;
        let from = context.stored_forms[track];
        let mut check = Check::default();
        let ready = read.map(|()| {
            if is_stored && from == form {
                return stored.as_slice();
            }
            out.resize(count * form.size(), 0);
            let mode = context.modes[track];
            let generator = context.generators[track].as_ref();
            if is_stored {
                transcode_on_one_thread(
                    mode, lba, from, &stored, form, &mut out, generator, &mut check,
                );
            } else {
                generate(mode, lba, form, &mut out, generator);
            }
            out.as_slice()
        });
        let mut writing = lock(&shared.writing);
        while writing.turn != sequence {
            if shared.stop.load(Ordering::SeqCst) {
                return;
            }
            // The timeout only backs up a wake-up lost to a panicking worker.
            writing = shared
                .turned
                .wait_timeout(writing, Duration::from_millis(100))
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let cancelled = context
            .options
            .cancel
            .is_some_and(|c| c.load(Ordering::Relaxed));
        let written = ready.and_then(|bytes| {
            if cancelled {
                return Err(Error::Interrupted);
            }
            writing.sink.write(track, bytes)
        });
        match written {
            Ok(()) => {
                if let Some(lba) = check.first {
                    writing.check.first.get_or_insert(lba);
                }
                writing.check.count += check.count;
                writing.done += count as u64;
                writing.turn += 1;
                if let Some(progress) = context.options.progress {
                    progress(writing.done, context.total);
                }
            }
            Err(error) => {
                writing.error = Some(error);
                shared.stop.store(true, Ordering::SeqCst);
            }
        }
        drop(writing);
        shared.turned.notify_all();
    }
}

/// Runs `plan`: every sector it names goes from `source` to `sink`, which is finished (its files
/// committed) only if everything succeeded. Stored gap sectors the plan leaves out are checked to
/// be what would be generated in their place, like stripped sync and ECC. On any error the sink is
/// dropped and leaves nothing.
pub fn convert(
    source: &mut dyn SectorSource,
    plan: &Plan,
    sink: Box<dyn SectorSink>,
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
    let workers = match options.threads {
        0 => crate::format::cores(),
        n => n.min(crate::format::max_threads()),
    };
    source.set_threads(workers);
    let context = Context {
        plan,
        runs: &runs,
        stored_forms: &stored_forms,
        modes: &modes,
        generators: &generators,
        options,
        total,
    };
    let shared = Shared {
        reading: Mutex::new(Reading { source, next: 0 }),
        writing: Mutex::new(Writing {
            sink,
            turn: 0,
            check,
            done: 0,
            error: None,
        }),
        turned: Condvar::new(),
        stop: AtomicBool::new(false),
    };
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| work(&context, &shared));
        }
    });
    let Writing {
        sink,
        check,
        done,
        error,
        ..
    } = shared
        .writing
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(error) = error {
        return Err(error);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disc::TrackMode;
    use crate::format::Capabilities;
    use crate::sector::{RAW_SIZE, USER_SIZE, encode_mode1};
    use std::sync::Arc;

    /// A Mode 1 track stored raw, every sector regenerating except those listed.
    struct Raw {
        disc: Disc,
        corrupt: Vec<i32>,
    }

    impl SectorSource for Raw {
        fn disc(&self) -> &Disc {
            &self.disc
        }
        fn stored_form(&self, _track: usize) -> Form {
            Form::Raw
        }
        fn read(&mut self, _track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
            for (i, chunk) in buf.chunks_exact_mut(RAW_SIZE).enumerate() {
                let at = lba.0 + i as i32;
                let raw: &mut [u8; RAW_SIZE] = chunk.try_into().expect("a raw sector");
                encode_mode1(Lba(at), &[at as u8; USER_SIZE], raw);
                if self.corrupt.contains(&at) {
                    raw[0x900] ^= 1;
                }
            }
            Ok(())
        }
        fn files(&self) -> Vec<std::path::PathBuf> {
            Vec::new()
        }
    }

    /// Keeps what it is given, in order.
    struct Collect(Arc<Mutex<Vec<u8>>>);

    impl SectorSink for Collect {
        fn write(&mut self, _track: usize, sectors: &[u8]) -> Result<()> {
            self.0
                .lock()
                .expect("not poisoned")
                .extend_from_slice(sectors);
            Ok(())
        }
        fn finish(self: Box<Self>) -> Result<()> {
            Ok(())
        }
    }

    /// Issue 14 item 3: the workers take batches in whatever order they finish, and the writer
    /// restores it: every thread count gives the same bytes and names the same first bad sector.
    #[test]
    fn i14_3_any_thread_count_gives_the_same_bytes_and_first_bad_sector() {
        let sectors = 3 * BATCH_SECTORS as u32 + 100;
        let mut source = Raw {
            disc: Disc::single_session(vec![Track::new(1, TrackMode::Mode1, Lba(0), sectors)]),
            corrupt: vec![1630, 600, 1601],
        };
        let capabilities = Capabilities {
            raw_sectors: true,
            ..Capabilities::default()
        };
        let path = std::path::Path::new("out.iso");
        let plan = Plan::first_data_track(&source, capabilities, Form::Cooked, path)
            .expect("a plan of one data track");
        let mut results = Vec::new();
        for threads in [1, 2, 5] {
            let bytes = Arc::new(Mutex::new(Vec::new()));
            let options = ConvertOptions {
                allow_lossy: true,
                threads,
                ..ConvertOptions::default()
            };
            let sink = Box::new(Collect(Arc::clone(&bytes)));
            let report = convert(&mut source, &plan, sink, &options).expect("converts");
            let bytes = bytes.lock().expect("not poisoned").clone();
            results.push((report.not_regenerable, bytes));
        }
        let (check, bytes) = &results[0];
        assert_eq!(check.first, Some(Lba(600)));
        assert_eq!(check.count, 3);
        assert_eq!(bytes.len(), sectors as usize * USER_SIZE);
        for (at, sector) in bytes.chunks(USER_SIZE).enumerate() {
            assert!(sector.iter().all(|b| *b == at as u8), "sector {at}");
        }
        for other in &results[1..] {
            assert_eq!(other, &results[0]);
        }
        // And without `allow_lossy` the refusal names the same first sector.
        let options = ConvertOptions {
            threads: 2,
            ..ConvertOptions::default()
        };
        let sink = Box::new(Collect(Arc::new(Mutex::new(Vec::new()))));
        match convert(&mut source, &plan, sink, &options) {
            Err(Error::NotRegenerable { first, count, .. }) => {
                assert_eq!((first, count), (Lba(600), 3));
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}
