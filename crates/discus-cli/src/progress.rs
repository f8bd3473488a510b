//! The progress bar on stderr: shown only on a terminal, only when not quiet, and only once the
//! work has lasted longer than a moment, so quick conversions print nothing but their result.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Work shorter than this shows no bar.
const GRACE: Duration = Duration::from_millis(400);

/// A bar that appears after [`GRACE`].
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    enabled: bool,
    shown: AtomicBool,
}

impl Progress {
    /// A bar for `what`, hidden when quiet or when stderr is not a terminal.
    pub fn new(quiet: bool, what: &str) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} [{bar:30}] {percent:>3}% {binary_bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        Progress {
            bar,
            started: Instant::now(),
            enabled: !quiet && std::io::stderr().is_terminal(),
            shown: AtomicBool::new(false),
        }
    }

    /// Records `done` of `total` sectors of `sector_bytes` each.
    pub fn update(&self, done: u64, total: u64, sector_bytes: u64) {
        if self.enabled && !self.shown.load(Ordering::Relaxed) && self.started.elapsed() > GRACE {
            self.shown.store(true, Ordering::Relaxed);
            self.bar
                .set_draw_target(ProgressDrawTarget::stderr_with_hz(8));
        }
        self.bar.set_length(total * sector_bytes);
        self.bar.set_position(done * sector_bytes);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
