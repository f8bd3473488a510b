//! `discus-bench`: make the bench discs and time discus on them next to the peer tools, in the
//! same run and alternating (discus, peer, discus, peer, …), because these machines are noisy.
//! Each row prints the medians, the ratio to the peer next to the issue's target for it, the
//! output sizes and the peak memory of both.
//!
//! ```text
//! cargo run --release -p discus-tests --bin discus-bench -- make  DIR [MB]
//! cargo run --release -p discus-tests --bin discus-bench -- run   DIR [--runs N] [SCENARIO ...]
//! ```
//!
//! `make` writes the 700 MiB bench disc (`bench.iso`, `bench.bin`/`bench.cue`) and a DVD-sized one
//! (`dvd.iso`: a few hundred MB of the same kinds of content, then a hole up to a single-layer DVD,
//! which costs no disk). Scenarios: bin2iso, iso2bin, cso, cso-best, zso, scaling (CSO and ZSO on
//! two threads against one), cso2iso, chd, chd2cue, dvd (default: all but cso-best, whose peer,
//! maxcso's default, takes about six minutes a run). Every command writes a new file: the outputs
//! of its previous run are removed before it is timed.
//! The CHD rows time chdman 0.289 (`chdman-0.289`) and 0.251 (`chdman`) where installed. A peer that is
//! not installed leaves its row with discus alone. Peak memory needs GNU time at /usr/bin/time
//! (Debian package `time`).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use discus_tests::bench_disc;

/// Sectors of the DVD-sized bench disc: a full single-layer DVD.
const DVD_SECTORS: u64 = 2_295_104;
/// Megabytes of real content at the start of the DVD-sized disc; the rest is a hole.
const DVD_CONTENT_MB: u32 = 300;

/// One timed run of a command.
#[derive(Clone, Copy)]
struct Measured {
    seconds: f64,
    /// User plus system CPU seconds of the process and its threads.
    cpu: Option<f64>,
    peak_kib: Option<u64>,
}

fn time(program: &Path, args: &[String]) -> Result<Measured, String> {
    let gnu_time = Path::new("/usr/bin/time");
    let started = Instant::now();
    let output = if gnu_time.is_file() {
        Command::new(gnu_time)
            .arg("-f")
            .arg("PEAK_KIB=%M CPU=%U %S")
            .arg(program)
            .args(args)
            .output()
    } else {
        Command::new(program).args(args).output()
    }
    .map_err(|e| format!("{} does not start: {e}", program.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!(
            "{} {} failed: {stderr}",
            program.display(),
            args.join(" ")
        ));
    }
    let line = stderr.lines().find_map(|l| l.strip_prefix("PEAK_KIB="));
    let mut fields = line.unwrap_or_default().split_whitespace();
    let peak_kib = fields.next().and_then(|v| v.parse().ok());
    let user: Option<f64> = fields
        .next()
        .and_then(|v| v.strip_prefix("CPU="))
        .and_then(|v| v.parse().ok());
    let system: Option<f64> = fields.next().and_then(|v| v.parse().ok());
    let cpu = user.zip(system).map(|(u, s)| u + s);
    Ok(Measured {
        seconds,
        cpu,
        peak_kib,
    })
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The medians of several runs of one command, and its largest peak.
struct Summary {
    seconds: f64,
    cpu: Option<f64>,
    peak_kib: Option<u64>,
}

fn summarise(runs: &[Measured]) -> Summary {
    let mut seconds: Vec<f64> = runs.iter().map(|m| m.seconds).collect();
    let mut cpu: Vec<f64> = runs.iter().filter_map(|m| m.cpu).collect();
    Summary {
        seconds: median(&mut seconds),
        cpu: (!cpu.is_empty()).then(|| median(&mut cpu)),
        peak_kib: runs.iter().filter_map(|m| m.peak_kib).max(),
    }
}

fn cpu_text(cpu: Option<f64>) -> String {
    cpu.map(|c| format!("{c:.2} s"))
        .unwrap_or_else(|| "n/a".into())
}

/// Bytes of a file, or of every file under a folder (an extraction's output).
fn size(path: &Path) -> u64 {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| size(&entry.path()))
            .sum(),
        Ok(meta) => meta.len(),
        Err(_) => 0,
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

fn text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn mib(kib: Option<u64>) -> String {
    kib.map(|k| format!("{:.0} MiB", k as f64 / 1024.0))
        .unwrap_or_else(|| "n/a".into())
}

fn make(dir: &Path, megabytes: u32) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let sectors = megabytes * 512;
    let iso = dir.join("bench.iso");
    let mut out = BufWriter::new(File::create(&iso).map_err(|e| e.to_string())?);
    bench_disc::write_iso(sectors, &mut out).map_err(|e| e.to_string())?;
    drop(out);
    let mut input = std::io::BufReader::new(File::open(&iso).map_err(|e| e.to_string())?);
    let mut bin = BufWriter::new(File::create(dir.join("bench.bin")).map_err(|e| e.to_string())?);
    bench_disc::iso_to_bin(&mut input, &mut bin).map_err(|e| e.to_string())?;
    drop(bin);
    std::fs::write(
        dir.join("bench.cue"),
        "FILE \"bench.bin\" BINARY\r\n  TRACK 01 MODE1/2352\r\n    INDEX 01 00:00:00\r\n",
    )
    .map_err(|e| e.to_string())?;
    // The DVD-sized disc: real content first, as on a disc whose files fill the inner tracks, then
    // a hole to the full size. The hole reads as zeros and costs no disk.
    let dvd = dir.join("dvd.iso");
    let file = File::create(&dvd).map_err(|e| e.to_string())?;
    let mut out = BufWriter::new(&file);
    bench_disc::write_iso(DVD_CONTENT_MB * 512, &mut out).map_err(|e| e.to_string())?;
    drop(out);
    file.set_len(DVD_SECTORS * 2048)
        .map_err(|e| e.to_string())?;
    println!(
        "made {} ({sectors} sectors), bench.bin, bench.cue and dvd.iso ({DVD_SECTORS} sectors, \
         the first {DVD_CONTENT_MB} MB written)",
        iso.display()
    );
    Ok(())
}

/// An image of 8,000 small files in eight folders and a few larger ones (about 100 MB), made with
/// `discus create` from a tree written under `dir`, for the extraction row.
fn make_files_iso(discus: &Path, dir: &Path, image: &Path) -> Result<(), String> {
    let tree = dir.join("files-tree");
    let _ = std::fs::remove_dir_all(&tree);
    for folder in 0..8 {
        let sub = tree.join(format!("dir{folder}"));
        std::fs::create_dir_all(&sub).map_err(|e| e.to_string())?;
        for n in 0..1000 {
            let body = format!("file {n} of folder {folder}\n").repeat(1 + n % 40);
            std::fs::write(sub.join(format!("f{n:04}.txt")), body).map_err(|e| e.to_string())?;
        }
    }
    for n in 0..4 {
        let mut file = BufWriter::new(
            File::create(tree.join(format!("big{n}.bin"))).map_err(|e| e.to_string())?,
        );
        bench_disc::write_iso(24 * 512, &mut file).map_err(|e| e.to_string())?;
    }
    let made = Command::new(discus)
        .args(["create", &text(&tree), &text(image), "--quiet"])
        .status()
        .map_err(|e| format!("{}: {e}", discus.display()))?;
    let _ = std::fs::remove_dir_all(&tree);
    match made.success() {
        true => Ok(()),
        false => Err(format!("discus could not make {}", image.display())),
    }
}

/// What the issue asks of a row: discus against its peer.
#[derive(Clone, Copy)]
enum Target {
    /// discus takes at most this many times the peer's time.
    AtMost(f64),
    /// discus is at least this many times faster than the peer.
    Faster(f64),
    /// discus is at least this many times faster, and its output no larger.
    FasterNoLarger(f64),
}

/// A command to time: the program, its arguments and the files it writes.
struct Job {
    label: String,
    program: PathBuf,
    args: Vec<String>,
    outputs: Vec<PathBuf>,
}

/// One row of the table.
struct Row {
    name: &'static str,
    input: PathBuf,
    discus: Job,
    peer: Option<Job>,
    target: Option<Target>,
}

/// The files a command wrote: its named outputs, and for BIN/CUE every file with the output's
/// stem and its Redump-named track files.
fn files_written(job: &Job) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for output in &job.outputs {
        if output.extension().is_none_or(|e| e != "cue") {
            files.push(output.clone());
            continue;
        }
        let stem = output
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tracks = format!("{stem} (Track ");
        let dir = output.parent().unwrap_or(Path::new("."));
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let same_stem = path
                .file_stem()
                .is_some_and(|s| s.to_string_lossy() == stem);
            let track = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&tracks));
            if same_stem || track {
                files.push(path);
            }
        }
    }
    files
}

/// Removes what an earlier run of `job` wrote, before it is timed again, so every command writes
/// a new file. Replacing a file measures something else: discus writes beside the old output and
/// renames over it (a failed run leaves the old file), while bchunk, cp and maxcso truncate it and
/// write into the pages it just freed. On the project's virtual machine the page cache for the new
/// file then costs about a second of system time more than the reused pages do (the copy into
/// pages the host has reclaimed), which is the file system's price of the safer replace, not of
/// the conversion.
fn remove_outputs(job: &Job) {
    for file in files_written(job) {
        match file.is_dir() {
            true => drop(std::fs::remove_dir_all(file)),
            false => drop(std::fs::remove_file(file)),
        }
    }
}

fn written(job: &Job) -> u64 {
    files_written(job).iter().map(|f| size(f)).sum()
}

/// Runs a row `runs` times, discus and peer alternating, and prints it.
fn run_row(row: &Row, runs: usize) -> Result<(), String> {
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for _ in 0..runs {
        remove_outputs(&row.discus);
        ours.push(time(&row.discus.program, &row.discus.args)?);
        if let Some(peer) = &row.peer {
            remove_outputs(peer);
            theirs.push(time(&peer.program, &peer.args)?);
        }
    }
    let input = size(&row.input);
    let ours = summarise(&ours);
    let our_bytes = written(&row.discus);
    println!(
        "{:<10} {:<28} {:>7.2} s {:>9} {:>7.0} MB/s {:>13} B {:>8}",
        row.name,
        row.discus.label,
        ours.seconds,
        cpu_text(ours.cpu),
        input as f64 / 1e6 / ours.seconds,
        our_bytes,
        mib(ours.peak_kib)
    );
    let Some(peer) = &row.peer else {
        return Ok(());
    };
    let peer_summary = summarise(&theirs);
    let peer_bytes = written(peer);
    println!(
        "{:<10} {:<28} {:>7.2} s {:>9} {:>7.0} MB/s {:>13} B {:>8}",
        "",
        peer.label,
        peer_summary.seconds,
        cpu_text(peer_summary.cpu),
        input as f64 / 1e6 / peer_summary.seconds,
        peer_bytes,
        mib(peer_summary.peak_kib)
    );
    let speed = peer_summary.seconds / ours.seconds;
    let verdict = match row.target {
        None => format!("discus {speed:.2}x the peer's speed"),
        Some(Target::AtMost(limit)) => {
            let ratio = ours.seconds / peer_summary.seconds;
            let met = if ratio <= limit { "met" } else { "NOT met" };
            format!("discus takes {ratio:.2}x the peer's time; target <= {limit}x: {met}")
        }
        Some(Target::Faster(want)) => {
            let met = if speed >= want { "met" } else { "NOT met" };
            format!("discus {speed:.2}x faster; target >= {want}x: {met}")
        }
        Some(Target::FasterNoLarger(want)) => {
            let smaller = our_bytes <= peer_bytes;
            let met = if speed >= want && smaller {
                "met"
            } else {
                "NOT met"
            };
            format!(
                "discus {speed:.2}x faster, output {:+} B; target >= {want}x and no larger: {met}",
                our_bytes as i64 - peer_bytes as i64
            )
        }
    };
    println!("{:<10} {verdict}", "");
    // On a loaded machine the wall clock measures each process's share of the cores as much as
    // its work; CPU seconds do not, so their ratio is printed too.
    if let Some((mine, theirs)) = ours.cpu.zip(peer_summary.cpu) {
        println!(
            "{:<10} CPU seconds: the peer uses {:.2}x discus's",
            "",
            theirs / mine
        );
    }
    Ok(())
}

fn run(dir: &Path, runs: usize, scenarios: &[String]) -> Result<(), String> {
    let discus = std::env::current_exe()
        .map_err(|e| e.to_string())?
        .with_file_name(format!("discus{}", std::env::consts::EXE_SUFFIX));
    if !discus.is_file() {
        return Err(format!(
            "{} is missing: build it first (cargo build --release -p discus-cli)",
            discus.display()
        ));
    }
    let out = dir.join("out");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let iso = dir.join("bench.iso");
    let bin = dir.join("bench.bin");
    let cue = dir.join("bench.cue");
    let dvd = dir.join("dvd.iso");
    let want = |name: &str| {
        if scenarios.is_empty() {
            name != "cso-best"
        } else {
            scenarios.iter().any(|s| s == name)
        }
    };
    let convert = |label: &str, input: &Path, output: &str, extra: &[&str]| {
        let target = out.join(output);
        let mut args = vec![
            "convert".to_string(),
            text(input),
            text(&target),
            "--force".into(),
            "--quiet".into(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        Job {
            label: label.to_string(),
            program: discus.clone(),
            args,
            outputs: vec![target],
        }
    };
    let peer = |name: &str, label: &str, args: Vec<String>, outputs: Vec<PathBuf>| {
        which(name).map(|program| Job {
            label: label.to_string(),
            program,
            args,
            outputs,
        })
    };
    let cp = |input: &Path, output: &str| {
        let target = out.join(output);
        peer(
            "cp",
            "cp",
            vec![text(input), text(&target)],
            vec![target.clone()],
        )
    };
    let maxcso = |label: &str, flags: &[&str], input: &Path, output: &str| {
        let target = out.join(output);
        let mut args: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        args.extend([text(input), "-o".into(), text(&target), "--quiet".into()]);
        peer("maxcso", label, args, vec![target.clone()])
    };

    let mut rows = Vec::new();
    if want("bin2iso") {
        let base = out.join("bchunk");
        rows.push(Row {
            name: "bin2iso",
            input: bin.clone(),
            discus: convert("discus bin/cue -> iso", &cue, "bin2iso.iso", &[]),
            peer: peer(
                "bchunk",
                "bchunk (checks nothing)",
                vec![text(&bin), text(&cue), text(&base)],
                vec![out.join("bchunk01.iso")],
            ),
            target: Some(Target::AtMost(1.0)),
        });
    }
    if want("iso2bin") {
        rows.push(Row {
            name: "iso2bin",
            input: iso.clone(),
            discus: convert("discus iso -> bin/cue", &iso, "iso2bin.cue", &[]),
            peer: cp(&iso, "cp-copy.iso"),
            target: Some(Target::AtMost(2.0)),
        });
    }
    if want("cso") {
        rows.push(Row {
            name: "cso",
            input: iso.clone(),
            discus: convert("discus iso -> cso", &iso, "out-cso.cso", &[]),
            peer: maxcso("maxcso --fast", &["--fast"], &iso, "maxcso-fast.cso"),
            target: Some(Target::FasterNoLarger(4.0)),
        });
    }
    if want("cso-best") {
        rows.push(Row {
            name: "cso-best",
            input: iso.clone(),
            discus: convert(
                "discus iso -> cso --best",
                &iso,
                "out-best.cso",
                &["--best"],
            ),
            peer: maxcso("maxcso (default)", &[], &iso, "maxcso-default.cso"),
            target: Some(Target::FasterNoLarger(10.0)),
        });
    }
    if want("zso") {
        rows.push(Row {
            name: "zso",
            input: iso.clone(),
            discus: convert("discus iso -> zso", &iso, "out-zso.zso", &[]),
            peer: maxcso("maxcso --format=zso", &["--format=zso"], &iso, "maxcso.zso"),
            target: Some(Target::FasterNoLarger(2.0)),
        });
    }
    if want("scaling") {
        // Issue 14 item 6: one conversion on two threads against the same on one.
        for (name, format) in [("scale-cso", "cso"), ("scale-zso", "zso")] {
            let two = convert(
                &format!("discus iso -> {format} --threads 2"),
                &iso,
                &format!("{name}-2.{format}"),
                &["--threads", "2"],
            );
            let one = convert(
                &format!("discus iso -> {format} --threads 1"),
                &iso,
                &format!("{name}-1.{format}"),
                &["--threads", "1"],
            );
            rows.push(Row {
                name,
                input: iso.clone(),
                discus: two,
                peer: Some(one),
                target: Some(Target::Faster(1.8)),
            });
        }
    }
    if want("cso2iso") {
        // Both decode the same file: the one discus packs by default.
        let cso = out.join("cso2iso-input.cso");
        time(
            &discus,
            &[
                "convert".into(),
                text(&iso),
                text(&cso),
                "--force".into(),
                "--quiet".into(),
            ],
        )?;
        rows.push(Row {
            name: "cso2iso",
            input: iso.clone(),
            discus: convert("discus cso -> iso", &cso, "cso2iso.iso", &[]),
            peer: maxcso(
                "maxcso --decompress",
                &["--decompress"],
                &cso,
                "maxcso-decompressed.iso",
            ),
            target: Some(Target::Faster(5.0)),
        });
    }
    // CHD against chdman 0.289 and 0.251 (Debian's `chdman`), each where installed. Issue 13's
    // targets: create at least 3x faster at no larger output, extract at least 3x faster. Every
    // extractor reads the same CHD, made once by discus before the rows run.
    let chd_input = dir.join("bench.chd");
    if want("chd2cue") && !chd_input.is_file() {
        let made = std::process::Command::new(&discus)
            .args(["convert", &text(&cue), &text(&chd_input), "--quiet"])
            .status()
            .map_err(|e| format!("{}: {e}", discus.display()))?;
        if !made.success() {
            return Err(format!("discus could not make {}", chd_input.display()));
        }
    }
    for chdman in ["chdman-0.289", "chdman"] {
        if want("chd") {
            let target = out.join(format!("{chdman}.chd"));
            let args = ["createcd", "-i", &text(&cue), "-o", &text(&target), "-f"];
            rows.push(Row {
                name: "chd",
                input: bin.clone(),
                discus: convert("discus bin/cue -> chd", &cue, "out-chd.chd", &[]),
                peer: peer(
                    chdman,
                    &format!("{chdman} createcd"),
                    args.iter().map(|a| a.to_string()).collect(),
                    vec![target.clone()],
                ),
                target: Some(Target::FasterNoLarger(3.0)),
            });
        }
        if want("chd2cue") {
            let sheet = out.join(format!("{chdman}-x.cue"));
            let data = out.join(format!("{chdman}-x.bin"));
            let args = [
                "extractcd",
                "-i",
                &text(&chd_input),
                "-o",
                &text(&sheet),
                "-ob",
                &text(&data),
                "-f",
            ];
            rows.push(Row {
                name: "chd2cue",
                input: bin.clone(),
                discus: convert(
                    "discus chd -> bin/cue",
                    &chd_input,
                    "chd2cue.cue",
                    &["--single-bin"],
                ),
                peer: peer(
                    chdman,
                    &format!("{chdman} extractcd"),
                    args.iter().map(|a| a.to_string()).collect(),
                    // The sheet brings its same-stem BIN along (see `files_written`).
                    vec![sheet.clone()],
                ),
                target: Some(Target::Faster(3.0)),
            });
        }
    }
    // DVD CHDs against chdman 0.289 (0.251 has no createdvd/extractdvd): the 700 MiB image as a
    // DVD, which `--target ps2` makes of any image in 2048-byte sectors with createdvd's codecs
    // and hunks. Issue 13: the same targets as for CDs.
    let dvd_chd = dir.join("bench-dvd.chd");
    if want("chd2dvd") && !dvd_chd.is_file() {
        let made = std::process::Command::new(&discus)
            .args([
                "convert",
                &text(&iso),
                &text(&dvd_chd),
                "--target",
                "ps2",
                "--quiet",
            ])
            .status()
            .map_err(|e| format!("{}: {e}", discus.display()))?;
        if !made.success() {
            return Err(format!("discus could not make {}", dvd_chd.display()));
        }
    }
    if want("dvdchd") {
        let target = out.join("chdman-dvd.chd");
        let args = ["createdvd", "-i", &text(&iso), "-o", &text(&target), "-f"];
        rows.push(Row {
            name: "dvdchd",
            input: iso.clone(),
            discus: convert(
                "discus iso -> dvd chd",
                &iso,
                "out-dvd.chd",
                &["--target", "ps2"],
            ),
            peer: peer(
                "chdman-0.289",
                "chdman-0.289 createdvd",
                args.iter().map(|a| a.to_string()).collect(),
                vec![target.clone()],
            ),
            target: Some(Target::FasterNoLarger(3.0)),
        });
    }
    if want("chd2dvd") {
        let target = out.join("chdman-x.iso");
        let args = [
            "extractdvd",
            "-i",
            &text(&dvd_chd),
            "-o",
            &text(&target),
            "-f",
        ];
        rows.push(Row {
            name: "chd2dvd",
            input: iso.clone(),
            discus: convert("discus dvd chd -> iso", &dvd_chd, "chd2dvd.iso", &[]),
            peer: peer(
                "chdman-0.289",
                "chdman-0.289 extractdvd",
                args.iter().map(|a| a.to_string()).collect(),
                vec![target.clone()],
            ),
            target: Some(Target::Faster(3.0)),
        });
    }
    // Issue 16: extracting a whole image of many small files (where per-file costs show) against
    // 7-Zip's extraction of the same image. The image is made once with `discus create`.
    let files_iso = dir.join("files.iso");
    if want("extract") && !files_iso.is_file() {
        make_files_iso(&discus, dir, &files_iso)?;
    }
    if want("extract") {
        let ours = out.join("extract-discus");
        let theirs = out.join("extract-7zz");
        rows.push(Row {
            name: "extract",
            input: files_iso.clone(),
            discus: Job {
                label: "discus extract".into(),
                program: discus.clone(),
                args: vec![
                    "extract".into(),
                    text(&files_iso),
                    "-o".into(),
                    text(&ours),
                    "--quiet".into(),
                ],
                outputs: vec![ours.clone()],
            },
            peer: peer(
                "7zz",
                "7zz x",
                vec![
                    "x".into(),
                    "-y".into(),
                    "-bd".into(),
                    format!("-o{}", text(&theirs)),
                    text(&files_iso),
                ],
                vec![theirs.clone()],
            ),
            target: Some(Target::AtMost(1.5)),
        });
    }
    if want("dvd") && dvd.is_file() {
        // The DVD-sized disc against nothing but itself: its MB/s and peak memory beside the
        // 700 MiB disc's rows above (issue 12: speed and memory must not depend on size).
        for (label, output, extra) in [
            ("discus dvd iso -> cso", "dvd.cso", &[][..]),
            ("discus dvd iso -> zso", "dvd.zso", &[][..]),
        ] {
            rows.push(Row {
                name: "dvd",
                input: dvd.clone(),
                discus: convert(label, &dvd, output, extra),
                peer: None,
                target: None,
            });
        }
    }

    println!(
        "{} cores; load average {}; {} run(s) per command, alternating, medians",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "n/a".into()),
        runs
    );
    println!(
        "{:<10} {:<28} {:>9} {:>9} {:>12} {:>15} {:>8}",
        "job", "command", "median", "CPU", "input MB/s", "output", "peak"
    );
    for row in &rows {
        run_row(row, runs)?;
        // Outputs are measured, then removed: the next job starts with as empty a disk.
        for job in std::iter::once(&row.discus).chain(&row.peer) {
            remove_outputs(job);
        }
    }
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average at the end: {}", load.trim());
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("make") if args.len() >= 2 => {
            let mb = args.get(2).and_then(|m| m.parse().ok()).unwrap_or(700);
            make(Path::new(&args[1]), mb)
        }
        Some("run") if args.len() >= 2 => {
            let mut runs = 3;
            let mut scenarios = Vec::new();
            let mut rest = args[2..].iter();
            while let Some(arg) = rest.next() {
                if arg == "--runs" {
                    runs = rest.next().and_then(|n| n.parse().ok()).unwrap_or(3);
                } else {
                    scenarios.push(arg.clone());
                }
            }
            run(Path::new(&args[1]), runs.max(1), &scenarios)
        }
        _ => Err("usage: discus-bench make DIR [MB] | run DIR [--runs N] \
                  [bin2iso|iso2bin|cso|cso-best|zso|cso2iso|chd|chd2cue|dvd ...]"
            .into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("discus-bench: {message}");
            ExitCode::from(2)
        }
    }
}
