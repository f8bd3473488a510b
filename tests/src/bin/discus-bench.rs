//! `discus-bench`: make the bench disc and time discus on it next to `cp` of the same bytes and
//! the peer tools, in the same run, because these machines are noisy. Prints MB/s (of input
//! bytes), the output/input size ratio and the peak memory of each command.
//!
//! ```text
//! cargo run --release -p discus-tests --bin discus-bench -- make  DIR [MB]
//! cargo run --release -p discus-tests --bin discus-bench -- run   DIR [SCENARIO ...]
//! ```
//! Scenarios: bin2iso, iso2bin, cso, cso-best, zso, cso2iso, chd, chd2cue (default: all); the
//! CHD rows time chdman 0.289 (`chdman-0.289`) and 0.251 (`chdman`) on the same disc when present. Peak memory needs
//! GNU time at /usr/bin/time (Debian package `time`).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use discus_tests::bench_disc;

struct Measured {
    seconds: f64,
    peak_kib: Option<u64>,
}

fn time(program: &Path, args: &[&str]) -> Result<Measured, String> {
    let gnu_time = Path::new("/usr/bin/time");
    let started = Instant::now();
    let output = if gnu_time.is_file() {
        Command::new(gnu_time)
            .arg("-f")
            .arg("PEAK_KIB=%M")
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
        return Err(format!("{} failed: {stderr}", program.display()));
    }
    let peak_kib = stderr
        .lines()
        .find_map(|l| l.strip_prefix("PEAK_KIB="))
        .and_then(|v| v.trim().parse().ok());
    Ok(Measured { seconds, peak_kib })
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn total_size(paths: &[PathBuf]) -> u64 {
    paths.iter().map(|p| size(p)).sum()
}

fn row(name: &str, input_bytes: u64, outputs: &[PathBuf], m: &Measured, cp: Option<f64>) {
    let mbs = input_bytes as f64 / 1e6 / m.seconds;
    let ratio = total_size(outputs) as f64 / input_bytes as f64;
    let peak = m
        .peak_kib
        .map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
        .unwrap_or_else(|| "n/a".into());
    let vs_cp = cp
        .map(|c| format!("{:.2}x cp time", m.seconds / c))
        .unwrap_or_default();
    println!(
        "{name:<28} {:>7.2} s {:>8.1} MB/s  ratio {:>6.2}%  peak {peak:>10}  {vs_cp}",
        m.seconds,
        mbs,
        ratio * 100.0
    );
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
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
    println!(
        "made {} ({} sectors), bench.bin and bench.cue",
        iso.display(),
        sectors
    );
    Ok(())
}

/// One bench run: where discus is, where outputs go, and the `cp` time of each input, taken once.
struct Bench {
    discus: PathBuf,
    out: PathBuf,
    cp_seconds: Vec<(PathBuf, f64)>,
}

fn text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

impl Bench {
    /// Copies `input` with `cp` (once per input) and prints the row every other row is compared to.
    fn cp_baseline(&mut self, input: &Path) -> Result<f64, String> {
        if let Some((_, seconds)) = self.cp_seconds.iter().find(|(p, _)| p == input) {
            return Ok(*seconds);
        }
        let copy = self.out.join("cp-copy");
        let m = time(Path::new("/bin/cp"), &[&text(input), &text(&copy)])?;
        let name = format!(
            "cp {}",
            input
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
        row(&name, size(input), std::slice::from_ref(&copy), &m, None);
        let _ = std::fs::remove_file(copy);
        self.cp_seconds.push((input.to_path_buf(), m.seconds));
        Ok(m.seconds)
    }

    /// Times `discus convert INPUT OUTPUT ARGS…` and prints it next to `cp` of the input.
    fn convert(
        &mut self,
        name: &str,
        input: &Path,
        output: &str,
        args: &[&str],
    ) -> Result<(), String> {
        let cp = self.cp_baseline(input)?;
        let target = self.out.join(output);
        let mut all = vec![
            "convert".to_string(),
            text(input),
            text(&target),
            "--force".into(),
            "--quiet".into(),
        ];
        all.extend(args.iter().map(|a| a.to_string()));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let m = time(&self.discus, &all)?;
        // Multi-file outputs (BIN/CUE) are counted whole: the files with the output's stem, and
        // its Redump-named track files.
        let stem = output
            .rsplit_once('.')
            .map(|(s, _)| s)
            .unwrap_or(output)
            .to_string();
        let tracks = format!("{stem} (Track ");
        let outputs: Vec<PathBuf> = std::fs::read_dir(&self.out)
            .map_err(|e| e.to_string())?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_stem().is_some_and(|s| s.to_string_lossy() == stem)
                    || p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with(&tracks))
            })
            .collect();
        row(name, size(input), &outputs, &m, Some(cp));
        Ok(())
    }

    /// Times a peer tool on `input` and prints it next to `cp` of the input.
    fn peer(
        &mut self,
        name: &str,
        input: &Path,
        program: &Path,
        args: &[&str],
        outputs: &[PathBuf],
    ) -> Result<(), String> {
        let cp = self.cp_baseline(input)?;
        let m = time(program, args)?;
        row(name, size(input), outputs, &m, Some(cp));
        Ok(())
    }
}

fn run(dir: &Path, scenarios: &[String]) -> Result<(), String> {
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
    let mut bench = Bench {
        discus: discus.clone(),
        out: out.clone(),
        cp_seconds: Vec::new(),
    };
    let iso = dir.join("bench.iso");
    let bin = dir.join("bench.bin");
    let cue = dir.join("bench.cue");
    let want = |name: &str| scenarios.is_empty() || scenarios.iter().any(|s| s == name);
    println!(
        "{} cores; {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        discus.display()
    );
    if want("bin2iso") {
        // Input bytes are the BIN's: the cue is a few bytes.
        let cp = bench.cp_baseline(&bin)?;
        let target = out.join("bin2iso.iso");
        let m = time(
            &discus,
            &["convert", &text(&cue), &text(&target), "--force", "--quiet"],
        )?;
        row("discus bin/cue -> iso", size(&bin), &[target], &m, Some(cp));
        if let Some(bchunk) = which("bchunk") {
            let base = out.join("bchunk");
            bench.peer(
                "bchunk bin/cue -> iso",
                &bin,
                &bchunk,
                &[&text(&bin), &text(&cue), &text(&base)],
                &[out.join("bchunk01.iso")],
            )?;
        }
    }
    if want("iso2bin") {
        bench.convert("discus iso -> bin/cue", &iso, "iso2bin.cue", &[])?;
    }
    if want("cso") {
        bench.convert("discus iso -> cso", &iso, "out-cso.cso", &[])?;
    }
    if want("cso-best") {
        bench.convert(
            "discus iso -> cso --best",
            &iso,
            "out-best.cso",
            &["--best"],
        )?;
    }
    if want("zso") {
        bench.convert("discus iso -> zso", &iso, "out-zso.zso", &[])?;
    }
    if want("cso2iso") {
        let cso = out.join("out-cso.cso");
        if !cso.is_file() {
            time(
                &discus,
                &["convert", &text(&iso), &text(&cso), "--force", "--quiet"],
            )?;
        }
        // Compared with cp of the ISO: the bytes written are the same.
        let cp = bench.cp_baseline(&iso)?;
        let target = out.join("cso2iso.iso");
        let m = time(
            &discus,
            &["convert", &text(&cso), &text(&target), "--force", "--quiet"],
        )?;
        row("discus cso -> iso", size(&iso), &[target], &m, Some(cp));
    }
    if want("chd") {
        // Input bytes are the BIN's, as for chdman, which reads the same cue.
        let cp = bench.cp_baseline(&bin)?;
        let target = out.join("out-chd.chd");
        let m = time(
            &discus,
            &["convert", &text(&cue), &text(&target), "--force", "--quiet"],
        )?;
        row("discus bin/cue -> chd", size(&bin), &[target], &m, Some(cp));
        for chdman in ["chdman-0.289", "chdman"] {
            if let Some(program) = which(chdman) {
                let target = out.join(format!("{chdman}.chd"));
                bench.peer(
                    &format!("{chdman} createcd"),
                    &bin,
                    &program,
                    &["createcd", "-i", &text(&cue), "-o", &text(&target), "-f"],
                    std::slice::from_ref(&target),
                )?;
            }
        }
    }
    if want("chd2cue") {
        // chdman's own CHD as the input of every reader, so all decode the same hunks.
        let chd = out.join("chdman-0.289.chd");
        if !chd.is_file() {
            time(
                &discus,
                &["convert", &text(&cue), &text(&chd), "--force", "--quiet"],
            )?;
        }
        let cp = bench.cp_baseline(&bin)?;
        let target = out.join("chd2cue.cue");
        let m = time(
            &discus,
            &[
                "convert",
                &text(&chd),
                &text(&target),
                "--single-bin",
                "--force",
                "--quiet",
            ],
        )?;
        row(
            "discus chd -> bin/cue",
            size(&bin),
            &[out.join("chd2cue.bin")],
            &m,
            Some(cp),
        );
        for chdman in ["chdman-0.289", "chdman"] {
            if let Some(program) = which(chdman) {
                let sheet = out.join(format!("{chdman}-x.cue"));
                let data = out.join(format!("{chdman}-x.bin"));
                bench.peer(
                    &format!("{chdman} extractcd"),
                    &bin,
                    &program,
                    &[
                        "extractcd",
                        "-i",
                        &text(&chd),
                        "-o",
                        &text(&sheet),
                        "-ob",
                        &text(&data),
                        "-f",
                    ],
                    std::slice::from_ref(&data),
                )?;
            }
        }
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
        Some("run") if args.len() >= 2 => run(Path::new(&args[1]), &args[2..]),
        _ => Err("usage: discus-bench make DIR [MB] | run DIR [bin2iso|iso2bin|cso|cso-best|zso|cso2iso|chd|chd2cue ...]".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("discus-bench: {message}");
            ExitCode::from(2)
        }
    }
}
