//! What a batch shows while it runs and when it ends: on a terminal an overall bar and a bar per
//! running item (stderr), a line per finished item (stdout); with `--json`, one JSON event per
//! line on stdout (`started`, `progress`, `finished`, `failed`, `summary`, and `planned` for a
//! dry run). Everything is drawn from the one thread that owns stdout.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

use super::worker::{Event, ItemResult};

/// Counts of a finished run.
#[derive(Clone, Debug, Default)]
pub struct Totals {
    /// Items converted.
    pub converted: usize,
    /// Items skipped.
    pub skipped: usize,
    /// Items failed.
    pub failed: usize,
    /// Bytes of converted inputs.
    pub bytes_in: u64,
    /// Bytes of their outputs.
    pub bytes_out: u64,
    /// Whether Ctrl-C stopped the run.
    pub interrupted: bool,
}

/// The run's display.
pub struct Reporter<'a> {
    out: &'a mut dyn Write,
    json: bool,
    quiet: bool,
    /// Items of the run (its slice), counted by the first pass.
    items: usize,
    /// Key and main input of each item found and not yet finished: only those under way and
    /// the few queued are held, never the whole run.
    names: HashMap<usize, (String, String)>,
    multi: Option<MultiProgress>,
    overall: Option<ProgressBar>,
    bars: HashMap<usize, ProgressBar>,
    stages: HashMap<usize, &'static str>,
    last_json: HashMap<usize, Instant>,
    totals: Totals,
    failures: Vec<(String, String)>,
    started: Instant,
    /// Items that will run (not skipped or refused by the plan), and how many of them ended.
    to_run: usize,
    ran: usize,
    /// When the first item started: the rate counts from there, not from discovery.
    first_start: Option<Instant>,
    /// When the last progress line went to a log (stderr not a terminal).
    last_line: Option<Instant>,
}

/// A duration for people: `42 s`, `3 min 20 s`, `2 h 05 min`.
pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
    }
}

/// Bytes for people: `1.5 MiB`.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

impl<'a> Reporter<'a> {
    /// A display for a run of `items` items, of which `to_run` will run.
    pub fn new(
        out: &'a mut dyn Write,
        json: bool,
        quiet: bool,
        items: usize,
        to_run: usize,
    ) -> Reporter<'a> {
        let bars_wanted = !json && !quiet && std::io::stderr().is_terminal() && to_run > 0;
        let (multi, overall) = if bars_wanted {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(8));
            let overall = multi.add(ProgressBar::new(items as u64));
            if let Ok(style) =
                ProgressStyle::with_template("batch [{bar:30}] {pos}/{len} items, {msg}")
            {
                overall.set_style(style.progress_chars("=> "));
            }
            (Some(multi), Some(overall))
        } else {
            (None, None)
        };
        Reporter {
            out,
            json,
            quiet,
            items,
            names: HashMap::new(),
            multi,
            overall,
            bars: HashMap::new(),
            stages: HashMap::new(),
            last_json: HashMap::new(),
            totals: Totals::default(),
            failures: Vec::new(),
            started: Instant::now(),
            to_run,
            ran: 0,
            first_start: None,
            last_line: None,
        }
    }

    /// Items per second of the items that ran, and the time the rest will take at that rate.
    fn rate(&self) -> Option<(f64, f64)> {
        let since = self.first_start?.elapsed().as_secs_f64();
        if self.ran == 0 || since <= 0.0 {
            return None;
        }
        let rate = self.ran as f64 / since;
        let left = self.to_run.saturating_sub(self.ran) as f64;
        Some((rate, left / rate))
    }

    /// Shows the rate and ETA: in the overall bar on a terminal; in a log (a Slurm or Kubernetes
    /// job's output, where there are no bars), as a line every 10 seconds.
    fn show_rate(&mut self) {
        let Some((rate, eta)) = self.rate() else {
            return;
        };
        let text = format!(
            "{:.1} items/s, {} elapsed, eta {}",
            rate,
            duration(self.started.elapsed().as_secs_f64()),
            duration(eta)
        );
        if let Some(overall) = &self.overall {
            overall.set_message(text);
            return;
        }
        if self.json || self.quiet {
            return;
        }
        let due = self
            .last_line
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(10));
        if due && self.ran < self.to_run {
            self.last_line = Some(Instant::now());
            eprintln!(
                "discus: batch: {}/{} item(s) run, {text}",
                self.ran, self.to_run
            );
        }
    }

    fn label(&self, index: usize) -> String {
        self.names
            .get(&index)
            .map(|(key, _)| key.clone())
            .unwrap_or_default()
    }

    /// Prints a line on stdout, above the bars.
    fn line(&mut self, text: &str) -> std::io::Result<()> {
        let out = &mut self.out;
        match &self.multi {
            Some(multi) => multi.suspend(|| writeln!(out, "{text}")),
            None => writeln!(out, "{text}"),
        }
    }

    fn json_line(&mut self, value: Value) -> std::io::Result<()> {
        let text = value.to_string();
        writeln!(self.out, "{text}")?;
        self.out.flush()
    }

    fn warn(&self, text: &str) {
        if self.quiet || self.json {
            return;
        }
        match &self.multi {
            Some(multi) => multi.suspend(|| eprintln!("discus: warning: {text}")),
            None => eprintln!("discus: warning: {text}"),
        }
    }

    /// A dry run's line for the item `label`: what would be done with it.
    pub fn planned(&mut self, label: &str, action: &str, output: &str) -> std::io::Result<()> {
        if self.json {
            return self.json_line(
                json!({"event": "planned", "item": label, "action": action, "output": output}),
            );
        }
        self.line(&format!("{action}: {label} -> {output}"))
    }

    /// Handles one event from a worker (or from the planner, for items that never run).
    pub fn event(&mut self, event: Event) -> std::io::Result<()> {
        match event {
            Event::Found { index, key, input } => {
                self.names.insert(index, (key, input));
            }
            Event::Stage { index, stage } => {
                let first = !self.stages.contains_key(&index);
                if self.first_start.is_none() {
                    self.first_start = Some(Instant::now());
                }
                self.stages.insert(index, stage);
                let label = self.label(index);
                if self.json {
                    if first {
                        let input = self
                            .names
                            .get(&index)
                            .map(|(_, input)| input.clone())
                            .unwrap_or_default();
                        return self
                            .json_line(json!({"event": "started", "item": label, "input": input}));
                    }
                    return self.json_line(
                        json!({"event": "progress", "item": label, "stage": stage, "done": 0, "total": 0}),
                    );
                }
                if let Some(multi) = &self.multi {
                    let bar = self.bars.entry(index).or_insert_with(|| {
                        let bar = multi.add(ProgressBar::new(0));
                        if let Ok(style) = ProgressStyle::with_template(
                            "  {msg:50!} [{bar:20}] {percent:>3}% {binary_bytes_per_sec}",
                        ) {
                            bar.set_style(style.progress_chars("=> "));
                        }
                        bar
                    });
                    bar.set_message(format!("{stage} {label}"));
                    bar.set_position(0);
                }
            }
            Event::Progress { index, done, total } => {
                if self.json {
                    let due = self
                        .last_json
                        .get(&index)
                        .is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
                    if due || done == total {
                        self.last_json.insert(index, Instant::now());
                        let label = self.label(index);
                        let stage = self.stages.get(&index).copied().unwrap_or("converting");
                        return self.json_line(json!({
                            "event": "progress", "item": label, "stage": stage,
                            "done": done, "total": total,
                        }));
                    }
                } else if let Some(bar) = self.bars.get(&index) {
                    bar.set_length(total * 2352);
                    bar.set_position(done * 2352);
                }
            }
            Event::Finished { index, result } => self.finished(index, result)?,
        }
        Ok(())
    }

    fn finished(&mut self, index: usize, result: ItemResult) -> std::io::Result<()> {
        if let Some(bar) = self.bars.remove(&index) {
            bar.finish_and_clear();
            if let Some(multi) = &self.multi {
                multi.remove(&bar);
            }
        }
        if let Some(overall) = &self.overall {
            overall.inc(1);
        }
        // Only items a worker ran count for the rate: skips of done items take no time.
        if self.stages.remove(&index).is_some() {
            self.ran += 1;
            self.last_json.remove(&index);
            self.show_rate();
        }
        let label = self
            .names
            .remove(&index)
            .map(|(key, _)| key)
            .unwrap_or_default();
        match result {
            ItemResult::Converted {
                bytes_in,
                bytes_out,
                outputs,
                verified,
                deleted,
                warnings,
                seconds,
            } => {
                self.totals.converted += 1;
                self.totals.bytes_in += bytes_in;
                self.totals.bytes_out += bytes_out;
                if self.json {
                    return self.json_line(json!({
                        "event": "finished", "item": label, "status": "converted",
                        "outputs": outputs, "bytes_in": bytes_in, "bytes_out": bytes_out,
                        "verified": verified, "deleted": deleted, "warnings": warnings,
                        "seconds": seconds,
                    }));
                }
                for warning in &warnings {
                    self.warn(&format!("{label}: {warning}"));
                }
                let main = outputs
                    .first()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                let mut text = format!("converted {label} -> {main}");
                if verified {
                    text.push_str(" (verified)");
                }
                if !deleted.is_empty() {
                    text.push_str(&format!(" (deleted {} input file(s))", deleted.len()));
                }
                self.line(&text)
            }
            ItemResult::Skipped { reason, deleted } => {
                self.totals.skipped += 1;
                if self.json {
                    return self.json_line(json!({
                        "event": "finished", "item": label, "status": "skipped",
                        "reason": reason, "deleted": deleted,
                    }));
                }
                let mut text = format!("skipped {label}: {reason}");
                if !deleted.is_empty() {
                    text.push_str(&format!(" (deleted {} input file(s))", deleted.len()));
                }
                self.line(&text)
            }
            ItemResult::Failed { error, interrupted } => {
                self.totals.failed += 1;
                self.totals.interrupted |= interrupted;
                self.failures.push((label.clone(), error.clone()));
                if self.json {
                    return self.json_line(json!({
                        "event": "failed", "item": label, "error": error,
                        "interrupted": interrupted,
                    }));
                }
                self.line(&format!("failed {label}: {error}"))
            }
        }
    }

    /// Seconds since the run started.
    pub fn seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Clears the bars, prints the summary and returns the counts.
    pub fn finish(mut self, dry_run: bool) -> std::io::Result<Totals> {
        if let Some(overall) = self.overall.take() {
            overall.finish_and_clear();
        }
        if let Some(multi) = self.multi.take() {
            let _ = multi.clear();
        }
        let t = self.totals.clone();
        let seconds = self.started.elapsed().as_secs_f64();
        if self.json {
            let failures: Vec<Value> = self
                .failures
                .iter()
                .map(|(item, error)| json!({"item": item, "error": error}))
                .collect();
            self.json_line(json!({
                "event": "summary", "items": self.items, "converted": t.converted,
                "skipped": t.skipped, "failed": t.failed, "bytes_in": t.bytes_in,
                "bytes_out": t.bytes_out, "seconds": seconds, "interrupted": t.interrupted,
                "dry_run": dry_run, "failures": failures,
                "items_per_second": self.rate().map(|(rate, _)| rate),
            }))?;
            return Ok(t);
        }
        if dry_run {
            writeln!(
                self.out,
                "dry run: {} item(s); nothing was written",
                self.items
            )?;
            return Ok(t);
        }
        writeln!(
            self.out,
            "batch: {} item(s): {} converted, {} skipped, {} failed; {} in, {} out; {:.1} s{}",
            self.items,
            t.converted,
            t.skipped,
            t.failed,
            human(t.bytes_in),
            human(t.bytes_out),
            seconds,
            if t.interrupted { "; interrupted" } else { "" }
        )?;
        if !self.failures.is_empty() {
            writeln!(self.out, "failed:")?;
            for (item, error) in &self.failures {
                writeln!(self.out, "  {item}: {error}")?;
            }
        }
        Ok(t)
    }
}
