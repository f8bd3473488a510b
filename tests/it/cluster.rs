//! `discus batch` split over job runners (issue 18): `--shard auto` read from a runner's
//! environment, shards writing into one output folder, `batch --report` merging their journals,
//! GNU parallel running shards at once (and one of them killed and rerun), and a real one-node
//! Slurm cluster running an array job.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use discus_tests::{discus_bin, samples};
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
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("dumps");
    let mut iso = std::fs::read(samples().join("iso").join("data.iso")).expect("sample iso");
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
