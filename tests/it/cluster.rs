//! `discus batch` split over job runners (issue 18): `--shard auto` read from a runner's
//! environment, shards writing into one output folder, `batch --report` merging their journals,
//! GNU parallel running shards at once (and one of them killed and rerun), and a real one-node
//! Slurm cluster running an array job.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use discus_tests::{discus_bin, peer, samples};
use serde_json::Value;

/// Every variable `--shard auto` reads: removed from each command, so a test run inside a job
/// runner (or a shell that has one set) sees only what the test sets.
const RUNNER_VARS: &[&str] = &[
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_MAX",
    "SLURM_ARRAY_TASK_STEP",
    "SLURM_ARRAY_TASK_COUNT",
    "JOB_COMPLETION_INDEX",
    "PARALLEL_SEQ",
    "CI_NODE_INDEX",
    "CI_NODE_TOTAL",
];

/// `discus ARGS` in `dir` with only the runner variables in `env` set.
fn discus_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(discus_bin());
    command.args(args).current_dir(dir);
    for name in RUNNER_VARS {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.output().expect("discus starts")
}

fn events(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn keys_of(events: &[Value], event: &str) -> BTreeSet<String> {
    events
        .iter()
        .filter(|e| e["event"] == event)
        .filter_map(|e| e["item"].as_str().map(str::to_string))
        .collect()
}

/// The archive of the cluster tests: `good` small ISOs (the sample, one byte apart) in three
/// folders and a few corrupt files. Returns the keys of both kinds.
struct Archive {
    dir: tempfile::TempDir,
    good: BTreeSet<String>,
    bad: BTreeSet<String>,
}

impl Archive {
    fn root(&self) -> &Path {
        self.dir.path()
    }
}

fn archive(good: usize) -> Archive {
    archive_of(good, 0)
}

/// The archive with each good image padded to `size` bytes (0: the sample's size), so that a
/// conversion takes long enough to be caught halfway.
fn archive_of(good: usize, size: usize) -> Archive {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("dumps");
    let mut iso = std::fs::read(samples().join("iso").join("data.iso")).expect("sample iso");
    if size > iso.len() {
        iso.resize(size, 0);
    }
    let mut keys = BTreeSet::new();
    for n in 0..good {
        let folder = ["ps1", "ps2", "saturn"][n % 3];
        // A byte in the last sector: every image differs, all stay valid.
        let last = iso.len() - 100;
        iso[last] = n as u8;
        let path = input.join(folder).join(format!("disc{n:02}.iso"));
        std::fs::create_dir_all(path.parent().expect("folder")).expect("mkdir");
        std::fs::write(&path, &iso).expect("write");
        keys.insert(format!("dumps/{folder}/disc{n:02}.iso"));
    }
    let mut bad = BTreeSet::new();
    let bad_dir = samples().join("bad");
    for (from, to) in [
        ("garbage.img", "ps1/garbage.img"),
        ("garbage.img", "ps2/noise.img"),
        ("truncated.iso", "saturn/truncated.iso"),
        ("empty.iso", "ps2/empty.iso"),
    ] {
        std::fs::copy(bad_dir.join(from), input.join(to)).expect("copy bad sample");
        bad.insert(format!("dumps/{to}"));
    }
    Archive {
        dir,
        good: keys,
        bad,
    }
}

/// The items a dry run with `shard` plans.
fn planned(root: &Path, shard: &[&str], env: &[(&str, &str)]) -> (i32, BTreeSet<String>, String) {
    let mut args = vec!["batch", "dumps", "-r", "--to", "iso", "--out-dir", "out"];
    args.extend(["--dry-run", "--json"]);
    args.extend(shard);
    let output = discus_in(root, &args, env);
    (
        output.status.code().unwrap_or(-1),
        keys_of(&events(&output), "planned"),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn i18_1_shard_auto_takes_the_slice_the_runner_names() {
    let a = archive(12);
    let root = a.root();
    let (_, all, _) = planned(root, &[], &[]);
    assert_eq!(all.len(), a.good.len() + a.bad.len());
    for k in 1..=4usize {
        let explicit = format!("{k}/4");
        let (_, fixed, _) = planned(root, &["--shard", &explicit], &[]);
        let id = k.to_string();
        // Slurm numbers `--array=1-4` from 1; Kubernetes from 0; parallel's PARALLEL_SEQ from 1.
        let slurm = [
            ("SLURM_ARRAY_TASK_ID", id.as_str()),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        let (code, by_slurm, _) = planned(root, &["--shard", "auto"], &slurm);
        assert_eq!(code, 0);
        assert_eq!(by_slurm, fixed, "slurm task {k}");
        let index = (k - 1).to_string();
        let (_, by_k8s, _) = planned(
            root,
            &["--shard", "auto", "--shard-count", "4"],
            &[("JOB_COMPLETION_INDEX", index.as_str())],
        );
        assert_eq!(by_k8s, fixed, "kubernetes index {index}");
        let (_, by_parallel, _) = planned(
            root,
            &["--shard", "auto", "--shard-count", "4"],
            &[("PARALLEL_SEQ", id.as_str())],
        );
        assert_eq!(by_parallel, fixed, "parallel seq {k}");
    }
    // Nothing to read: a usage error that names the variables and the way out.
    let (code, none, stderr) = planned(root, &["--shard", "auto"], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(none.is_empty());
    assert!(
        stderr.contains("SLURM_ARRAY_TASK_ID") && stderr.contains("--shard K/N"),
        "{stderr}"
    );
    let (code, _, stderr) = planned(root, &["--shard", "auto"], &[("JOB_COMPLETION_INDEX", "0")]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--shard-count"), "{stderr}");
}

/// Per item key, the journal files (by name) that record it with `event`, over every journal.
fn recorded(out: &Path, event: &str) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in journal_files(out) {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&file).expect("journal");
        for line in text.lines() {
            let Ok(value) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if value["event"] == event
                && let Some(key) = value["key"].as_str()
            {
                found.entry(key.to_string()).or_default().push(name.clone());
            }
        }
    }
    found
}

fn journal_files(out: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("discus-batch"))
    });
    files.sort();
    files
}

/// `discus batch --report out --json` (with `inputs`, if any): its exit code and summary.
fn report(root: &Path, inputs: &[&str]) -> (i32, Value) {
    let mut args = vec!["batch", "--report", "out", "--json", "-r"];
    args.extend(inputs);
    let output = discus_in(root, &args, &[]);
    let text = String::from_utf8_lossy(&output.stdout);
    let value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("report is not one JSON object ({e}): {text}"));
    (output.status.code().unwrap_or(-1), value)
}

/// The shard of N that owns each key, as the dry run of each shard plans it.
fn owners(root: &Path, n: usize) -> BTreeMap<String, usize> {
    let mut owner = BTreeMap::new();
    for k in 1..=n {
        let shard = format!("{k}/{n}");
        let (_, keys, _) = planned(root, &["--shard", &shard], &[]);
        for key in keys {
            owner.insert(key, k);
        }
    }
    owner
}

/// Checks the result of a complete sharded run: every good item converted exactly once, by its
/// own shard; every corrupt one failed in exactly one journal, its shard's; the report agrees.
fn check_complete(a: &Archive, n: usize, extension: &str) {
    let root = a.root();
    let out = root.join("out");
    let owner = owners(root, n);
    let done = recorded(&out, "done");
    let failed = recorded(&out, "failed");
    assert_eq!(
        done.keys().cloned().collect::<BTreeSet<_>>(),
        a.good,
        "converted items"
    );
    for (key, journals) in &done {
        let k = owner[key];
        assert_eq!(
            journals,
            &[format!("discus-batch.shard-{k}-of-{n}.jsonl")],
            "{key} converted once, by shard {k}"
        );
    }
    assert_eq!(
        failed.keys().cloned().collect::<BTreeSet<_>>(),
        a.bad,
        "failed items"
    );
    for (key, journals) in &failed {
        // A rerun of a shard tries its failed items again: the same journal, never another.
        let k = owner[key];
        let journals: BTreeSet<&String> = journals.iter().collect();
        let expected = format!("discus-batch.shard-{k}-of-{n}.jsonl");
        assert_eq!(journals, BTreeSet::from([&expected]), "{key}");
    }
    // Every good image is in the output folder once: outputs of the ISOs, nothing left over.
    let isos: Vec<PathBuf> = discus_tests::files_below(&out)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    assert_eq!(isos.len(), a.good.len());
    assert!(
        discus_tests::files_below(&out)
            .iter()
            .all(|p| !p.to_string_lossy().contains(".discus-")),
        "temporary files left"
    );

    let (code, summary) = report(root, &["dumps"]);
    assert_eq!(code, 1, "failures make the report exit 1: {summary}");
    assert_eq!(summary["converted"], a.good.len());
    assert_eq!(summary["failed"], a.bad.len());
    assert_eq!(summary["unfinished"], 0);
    assert_eq!(summary["to_do"], 0);
    assert_eq!(summary["not_started"], serde_json::json!([]));
    assert_eq!(summary["shards_never_started"], serde_json::json!([]));
    let reported: BTreeSet<String> = summary["failures"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["item"].as_str().map(str::to_string))
        .collect();
    assert_eq!(reported, a.bad);
    let shards = summary["shards"].as_array().expect("shards");
    assert_eq!(shards.len(), n);
    for shard in shards {
        let k: usize = shard["shard"]
            .as_str()
            .and_then(|s| s.split('/').next())
            .and_then(|k| k.parse().ok())
            .expect("K/N");
        let mine = owner.values().filter(|&&o| o == k).count();
        assert_eq!(shard["items"], mine, "{shard}");
        assert_eq!(
            shard["converted"].as_u64().unwrap_or(0) + shard["failed"].as_u64().unwrap_or(0),
            mine as u64,
            "{shard}"
        );
        assert_eq!(shard["running_or_killed"], false);
    }
    let bytes_in: u64 = a
        .good
        .iter()
        .filter_map(|k| std::fs::metadata(root.join(k)).ok())
        .map(|m| m.len())
        .sum();
    assert_eq!(summary["bytes_in"], bytes_in);
}

/// GNU parallel with `args` (its options, the command and `:::` arguments), in `dir`.
fn parallel(dir: &Path, args: &[&str]) -> Option<Command> {
    let parallel = peer("parallel")?;
    let mut command = Command::new(parallel);
    command.arg("--will-cite").args(args).current_dir(dir);
    for name in RUNNER_VARS {
        command.env_remove(name);
    }
    Some(command)
}

#[test]
fn i18_4_gnu_parallel_runs_three_shards_at_once_into_one_folder() {
    // Images of 2 MiB: a shard of sample-sized ones can end before a loaded machine has started
    // the next, and the overlap checked below would be down to chance.
    let a = archive_of(36, 2 << 20);
    let discus = discus_bin().to_string_lossy().into_owned();
    // The documented form: `--shard auto` reads PARALLEL_SEQ; -N0 gives the command no argument.
    let Some(mut command) = parallel(
        a.root(),
        &[
            "-j3",
            "-N0",
            "--halt",
            "never",
            &discus,
            "--quiet",
            "batch",
            "dumps",
            "-r",
            "--to",
            "iso",
            "--out-dir",
            "out",
            "--jobs",
            "1",
            "--shard",
            "auto",
            "--shard-count",
            "3",
            ":::",
            "1",
            "2",
            "3",
        ],
    ) else {
        return;
    };
    let output = command.output().expect("parallel starts");
    // parallel's exit code is the number of jobs that failed: the shards with corrupt items.
    let owner = owners(a.root(), 3);
    let failing: BTreeSet<usize> = a.bad.iter().map(|k| owner[k]).collect();
    assert_eq!(
        output.status.code(),
        Some(failing.len() as i32),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    check_complete(&a, 3, "iso");
    // Every shard ran beside the others: each journal's run overlaps another's.
    let runs: Vec<(f64, f64)> = journal_files(&a.root().join("out"))
        .iter()
        .map(|file| {
            let lines = journal_lines_of(file);
            let start = lines
                .iter()
                .find(|l| l["event"] == "run")
                .expect("run line")["time"]
                .as_f64()
                .unwrap_or(0.0);
            let end = lines
                .iter()
                .find(|l| l["event"] == "end")
                .expect("end line")["time"]
                .as_f64()
                .unwrap_or(0.0);
            (start, end)
        })
        .collect();
    assert_eq!(runs.len(), 3);
    let latest_start = runs.iter().map(|r| r.0).fold(f64::MIN, f64::max);
    let earliest_end = runs.iter().map(|r| r.1).fold(f64::MAX, f64::min);
    assert!(
        latest_start < earliest_end,
        "shards ran one after another: {runs:?}"
    );
}

fn journal_lines_of(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(file)
        .expect("journal")
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The pid a shard's journal names in its latest `run` line, once it has `done` lines for at
/// least `done` items.
fn shard_pid_after(journal: &Path, done: usize, limit: Duration) -> Option<u32> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if journal.is_file() {
            let lines = journal_lines_of(journal);
            let finished = lines.iter().filter(|l| l["event"] == "done").count();
            let pid = lines
                .iter()
                .rev()
                .find(|l| l["event"] == "run")
                .and_then(|l| l["pid"].as_u64());
            if finished >= done
                && let Some(pid) = pid
            {
                return u32::try_from(pid).ok();
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}

#[test]
fn i18_4_a_shard_killed_halfway_reruns_only_its_remaining_items() {
    // Items big enough (4 MiB to raw 2352-byte sectors, verified) that shard 2 is still busy
    // when it has finished two of them.
    let a = archive_of(24, 4 << 20);
    let root = a.root();
    let out = root.join("out");
    let discus = discus_bin().to_string_lossy().into_owned();
    let shard_args = |shards: &[&'static str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "-j3",
            "--halt",
            "never",
            discus.as_str(),
            "--quiet",
            "batch",
            "dumps",
            "-r",
            "--to",
            "img",
            "--sector-size",
            "2352",
            "--verify",
            "--out-dir",
            "out",
            "--jobs",
            "1",
            "--shard",
            "{}/3",
            ":::",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(shards.iter().map(|s| s.to_string()));
        args
    };
    let first = shard_args(&["1", "2", "3"]);
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let Some(mut command) = parallel(root, &first) else {
        return;
    };
    let mut running = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("parallel starts");
    let journal = out.join("discus-batch.shard-2-of-3.jsonl");
    let pid = shard_pid_after(&journal, 2, Duration::from_secs(300));
    let Some(pid) = pid else {
        let _ = running.kill();
        let _ = running.wait();
        panic!("shard 2 never finished two items");
    };
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = running.wait().expect("parallel ends");
    assert!(!status.success(), "parallel saw the killed shard fail");

    let owner = owners(root, 3);
    let slice: BTreeSet<String> = owner
        .iter()
        .filter(|(_, k)| **k == 2)
        .map(|(key, _)| key.clone())
        .collect();
    let done_before: BTreeSet<String> = recorded(&out, "done")
        .into_keys()
        .filter(|k| slice.contains(k))
        .collect();
    let failed_before: BTreeSet<String> = recorded(&out, "failed")
        .into_keys()
        .filter(|k| slice.contains(k))
        .collect();
    let remaining: BTreeSet<String> = slice
        .difference(&done_before)
        .filter(|k| !failed_before.contains(*k))
        .cloned()
        .collect();
    assert!(done_before.len() >= 2);
    assert!(
        !remaining.is_empty(),
        "shard 2 finished before it was killed"
    );
    // The report sees the killed shard: its run never ended and items are left.
    let (code, summary) = report(root, &[]);
    assert_eq!(code, 1);
    let shard2 = summary["shards"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["shard"] == "2/3")
        .expect("shard 2 in the report")
        .clone();
    assert_eq!(shard2["running_or_killed"], true, "{shard2}");
    assert_eq!(shard2["to_do"], remaining.len(), "{shard2}");

    // Rerun shard 2 alone, as parallel --resume-failed would: only its remaining items convert.
    let again = shard_args(&["2"]);
    let mut again: Vec<&str> = again.iter().map(String::as_str).collect();
    // Keep the events of the rerun: JSON lines on stdout.
    again.insert(
        again.iter().position(|a| *a == "batch").expect("batch") + 1,
        "--json",
    );
    let output = parallel(root, &again)
        .expect("parallel is there")
        .output()
        .expect("parallel starts");
    let events: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let converted: BTreeSet<String> = events
        .iter()
        .filter(|e| e["event"] == "finished" && e["status"] == "converted")
        .filter_map(|e| e["item"].as_str().map(str::to_string))
        .collect();
    let good_remaining: BTreeSet<String> = remaining
        .iter()
        .filter(|k| a.good.contains(*k))
        .cloned()
        .collect();
    assert_eq!(
        converted, good_remaining,
        "the rerun converts only what was left"
    );
    let skipped: BTreeSet<String> = events
        .iter()
        .filter(|e| e["event"] == "finished" && e["status"] == "skipped")
        .filter_map(|e| e["item"].as_str().map(str::to_string))
        .collect();
    assert_eq!(skipped, done_before, "what was done is skipped");
    check_complete(&a, 3, "img");
}

/// A one-node Slurm cluster of its own, started as root with every file in a temporary folder
/// and its own ports and munge socket, so it neither needs nor touches a system Slurm. Dropping
/// it cancels its jobs and stops every daemon it started, also when the test fails.
struct Slurm {
    dir: tempfile::TempDir,
    conf: PathBuf,
    daemons: Vec<(String, std::process::Child)>,
}

/// A daemon's program: on PATH, or in the sbin folders a user's PATH may lack.
fn daemon(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/sbin", "/usr/local/sbin"]
        .iter()
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file())
        .or_else(|| peer(name))
}

/// A TCP port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Slurm {
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.env("SLURM_CONF", &self.conf);
        for name in RUNNER_VARS {
            command.env_remove(name);
        }
        command
    }

    fn log_tail(&self) -> String {
        let mut text = String::new();
        for name in ["munged.log", "slurmctld.log", "slurmd.log"] {
            let log = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            let tail = lines[lines.len().saturating_sub(15)..].join("\n");
            text.push_str(&format!("--- {name}\n{tail}\n"));
        }
        text
    }

    fn spawn(
        &mut self,
        name: &str,
        program: &Path,
        args: &[&std::ffi::OsStr],
    ) -> Result<(), String> {
        let child = Command::new(program)
            .args(args)
            .env("SLURM_CONF", &self.conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{name} does not start: {e}"))?;
        self.daemons.push((name.to_string(), child));
        Ok(())
    }

    /// Starts munged, slurmctld and slurmd and waits until the node is idle; `Err` says why not.
    fn start(programs: &BTreeMap<&str, PathBuf>) -> Result<Slurm, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let root = dir.path().to_path_buf();
        let conf = root.join("slurm.conf");
        let mut slurm = Slurm {
            dir,
            conf: conf.clone(),
            daemons: Vec::new(),
        };
        use std::os::unix::fs::PermissionsExt;
        // munged refuses a key others can read, and wants to reach its socket's folder.
        let munge = root.join("munge");
        std::fs::create_dir_all(&munge).map_err(|e| e.to_string())?;
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o711))
            .map_err(|e| e.to_string())?;
        std::fs::set_permissions(&munge, std::fs::Permissions::from_mode(0o711))
            .map_err(|e| e.to_string())?;
        let key = munge.join("munge.key");
        let mut bytes = vec![0u8; 128];
        use std::io::Read;
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut bytes))
            .map_err(|e| format!("/dev/urandom: {e}"))?;
        std::fs::write(&key, &bytes).map_err(|e| e.to_string())?;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| e.to_string())?;
        let socket = munge.join("munge.socket");
        for sub in ["state", "spool"] {
            std::fs::create_dir_all(root.join(sub)).map_err(|e| e.to_string())?;
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map_err(|e| format!("hostname: {e}"))?;
        let host = host
            .trim()
            .split('.')
            .next()
            .unwrap_or("localhost")
            .to_string();
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let path = |name: &str| root.join(name).to_string_lossy().into_owned();
        let text = format!(
            "ClusterName=discus\n\
             SlurmctldHost={host}(127.0.0.1)\n\
             SlurmctldPort={ctld}\n\
             SlurmdPort={slurmd}\n\
             AuthType=auth/munge\n\
             AuthInfo=socket={socket}\n\
             CredType=cred/munge\n\
             SlurmUser=root\n\
             SlurmdUser=root\n\
             StateSaveLocation={state}\n\
             SlurmdSpoolDir={spool}\n\
             SlurmctldPidFile={ctld_pid}\n\
             SlurmdPidFile={slurmd_pid}\n\
             SlurmctldLogFile={ctld_log}\n\
             SlurmdLogFile={slurmd_log}\n\
             ProctrackType=proctrack/linuxproc\n\
             TaskPlugin=task/none\n\
             SchedulerType=sched/builtin\n\
             SelectType=select/cons_tres\n\
             SelectTypeParameters=CR_CPU\n\
             ReturnToService=2\n\
             MpiDefault=none\n\
             JobAcctGatherType=jobacct_gather/none\n\
             AccountingStorageType=accounting_storage/none\n\
             NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=2048 State=UNKNOWN\n\
             PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n",
            ctld = free_port(),
            slurmd = free_port(),
            socket = socket.display(),
            state = path("state"),
            spool = path("spool"),
            ctld_pid = path("slurmctld.pid"),
            slurmd_pid = path("slurmd.pid"),
            ctld_log = path("slurmctld.log"),
            slurmd_log = path("slurmd.log"),
        );
        std::fs::write(&conf, text).map_err(|e| e.to_string())?;
        let arg = |s: &str| std::ffi::OsString::from(s);
        let munge_args = [
            arg("--foreground"),
            arg("--force"),
            arg(&format!("--key-file={}", key.display())),
            arg(&format!("--socket={}", socket.display())),
            arg(&format!("--pid-file={}", path("munged.pid"))),
            arg(&format!("--log-file={}", path("munged.log"))),
            arg(&format!("--seed-file={}", path("munged.seed"))),
        ];
        let refs: Vec<&std::ffi::OsStr> = munge_args.iter().map(|a| a.as_os_str()).collect();
        slurm.spawn("munged", &programs["munged"], &refs)?;
        let start = Instant::now();
        while !socket.exists() {
            if start.elapsed() > Duration::from_secs(20) {
                return Err(format!("munged made no socket\n{}", slurm.log_tail()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        slurm.spawn(
            "slurmctld",
            &programs["slurmctld"],
            &[os("-D"), os("-c"), os("-i")],
        )?;
        slurm.spawn("slurmd", &programs["slurmd"], &[os("-D")])?;
        // Ready when the node reports idle (about 5 to 10 seconds here).
        let start = Instant::now();
        loop {
            let state = slurm
                .command(&programs["sinfo"].to_string_lossy())
                .args(["-h", "-o", "%T"])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_default();
            if state == "idle" {
                return Ok(slurm);
            }
            let stopped =
                slurm
                    .daemons
                    .iter_mut()
                    .find_map(|(name, child)| match child.try_wait() {
                        Ok(Some(status)) => Some(format!("{name} stopped ({status})")),
                        _ => None,
                    });
            if let Some(stopped) = stopped {
                return Err(format!("{stopped}\n{}", slurm.log_tail()));
            }
            if start.elapsed() > Duration::from_secs(90) {
                return Err(format!(
                    "the node is '{state}', not idle, after 90 s\n{}",
                    slurm.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

impl Drop for Slurm {
    fn drop(&mut self) {
        // Jobs first, so slurmd can end their steps; then the daemons, newest first.
        let _ = self.command("scancel").args(["--user", "root"]).output();
        for (_, child) in self.daemons.iter_mut().rev() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn i18_4_a_slurm_array_converts_every_item_once_with_shard_auto() {
    let mut programs = BTreeMap::new();
    for name in ["munged", "slurmctld", "slurmd"] {
        let Some(program) = daemon(name) else { return };
        programs.insert(name, program);
    }
    for name in ["sbatch", "sinfo", "scancel"] {
        let Some(program) = peer(name) else { return };
        programs.insert(name, program);
    }
    // The daemons run as root (SlurmUser=root): as another user they cannot start, which is a
    // skip here and a failure in CI, which runs as root.
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    if uid != "0" {
        discus_tests::skip("a Slurm cluster of its own needs root");
        return;
    }
    let slurm = match Slurm::start(&programs) {
        Ok(slurm) => slurm,
        Err(why) => {
            discus_tests::skip(&format!("Slurm did not start: {why}"));
            return;
        }
    };
    let a = archive(36);
    let root = a.root();
    // The job script of docs/batch.md, as documented.
    let doc = std::fs::read_to_string(discus_tests::repo().join("docs").join("batch.md"))
        .expect("docs/batch.md");
    let section = doc
        .split_once("### Slurm array job")
        .map(|(_, rest)| rest)
        .expect("the Slurm section");
    let start = section.find("```sh\n").expect("its script") + "```sh\n".len();
    let script = &section[start..start + section[start..].find("```").expect("fence")];
    let script_path = root.join("discus.sbatch");
    std::fs::write(&script_path, script).expect("write script");
    let bin_dir = discus_bin().parent().expect("folder of discus");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut submit = slurm
        .command(&programs["sbatch"].to_string_lossy())
        // The script's override of --shard auto, should the caller's shell have one.
        .env_remove("SHARD")
        .args(["--wait", "--array=1-4", "--chdir"])
        .arg(root)
        .arg(format!("--output={}/slurm-%a.log", root.display()))
        .arg(format!(
            "--export=ALL,DUMPS={},OUT={},PATH={path}",
            root.join("dumps").display(),
            root.join("out").display()
        ))
        .arg(&script_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sbatch starts");
    let started = Instant::now();
    let status = loop {
        if let Ok(Some(status)) = submit.try_wait() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(600) {
            let _ = submit.kill();
            panic!(
                "the array job did not end in 10 minutes\n{}",
                slurm.log_tail()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let logs: String = (1..=4)
        .map(|k| std::fs::read_to_string(root.join(format!("slurm-{k}.log"))).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    // Shards with a corrupt item exit 1, so sbatch --wait reports the array failed.
    let owner = owners(root, 4);
    let failing: BTreeSet<usize> = a.bad.iter().map(|k| owner[k]).collect();
    assert_eq!(status.success(), failing.is_empty(), "{logs}");
    for k in 1..=4 {
        assert!(
            logs.contains(&format!("shard {k}/4 (from SLURM_ARRAY_TASK_ID={k})")),
            "task {k} took its shard from Slurm: {logs}"
        );
    }
    check_complete(&a, 4, "cso");
    drop(slurm);
}

#[test]
fn i18_2_two_items_of_one_output_never_both_convert_in_different_shards() {
    // `xN.iso` and `xN.img` would both write `xN.cso`.
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("dumps");
    std::fs::create_dir_all(&input).expect("mkdir");
    let iso = std::fs::read(samples().join("iso").join("data.iso")).expect("sample iso");
    for n in 0..8 {
        std::fs::write(input.join(format!("x{n}.iso")), &iso).expect("write");
        std::fs::write(input.join(format!("x{n}.img")), &iso).expect("write");
    }
    let mut converts: BTreeMap<String, usize> = BTreeMap::new();
    let mut split = false;
    for k in 1..=2 {
        let shard = format!("{k}/2");
        let output = discus_in(
            dir.path(),
            &[
                "batch",
                "dumps",
                "--to",
                "cso",
                "--out-dir",
                "out",
                "--dry-run",
                "--json",
                "--shard",
                &shard,
            ],
            &[],
        );
        let planned = events(&output);
        for n in 0..8 {
            let mine: Vec<&Value> = planned
                .iter()
                .filter(|e| {
                    e["item"]
                        .as_str()
                        .is_some_and(|i| i.starts_with(&format!("dumps/x{n}.")))
                })
                .collect();
            split |= mine.len() == 1;
            for e in mine {
                if e["action"] == "convert" {
                    *converts.entry(format!("x{n}")).or_default() += 1;
                }
            }
        }
    }
    assert!(split, "no pair fell to two shards; the test proves nothing");
    for n in 0..8 {
        assert_eq!(
            converts.get(&format!("x{n}")),
            Some(&1),
            "x{n}: {converts:?}"
        );
    }
}

#[test]
fn i18_5_a_job_log_shows_items_per_second_and_the_time_left() {
    // A job's output is a file, not a terminal: no bars, but a line with the rate and the ETA
    // (at the first item, then every 10 seconds), and the rate in the JSON summary.
    let a = archive(6);
    let args = [
        "batch",
        "dumps",
        "-r",
        "--to",
        "cso",
        "--out-dir",
        "out",
        "--jobs",
        "1",
    ];
    let output = discus_in(a.root(), &args, &[]);
    let log = String::from_utf8_lossy(&output.stderr);
    let first = format!(
        "discus: batch: 1/{} item(s) run",
        a.good.len() + a.bad.len()
    );
    let line = log
        .lines()
        .find(|l| l.starts_with(&first))
        .unwrap_or_else(|| panic!("no progress line: {log}"));
    assert!(
        line.contains(" items/s, ") && line.contains(" eta "),
        "{line}"
    );
    let output = discus_in(
        a.root(),
        &[
            "batch",
            "dumps",
            "-r",
            "--to",
            "cso",
            "--out-dir",
            "again",
            "--json",
        ],
        &[],
    );
    let all = events(&output);
    let summary = all.last().expect("a summary");
    assert_eq!(summary["event"], "summary");
    assert!(
        summary["items_per_second"]
            .as_f64()
            .is_some_and(|r| r > 0.0),
        "{summary}"
    );
    // Every event is one line of JSON (events() parsed each line on its own).
    assert!(all.iter().all(|e| e["event"].is_string()));
}
