//! Which slice of a batch a run converts: `--shard K/N` given, or `--shard auto` read from the job
//! runner's environment (Slurm array, Kubernetes Indexed Job, GNU parallel, GitLab `parallel:`).
//!
//! An item goes to the shard whose score for its key is highest (rendezvous hashing). The slice
//! of an item depends on nothing but its key and N: not on the order of directory listings, not
//! on the other items, not on the machine. Adding files to the archive moves no existing item to
//! another shard; going from N to N+1 shards moves about 1/(N+1) of them, all into the new one.
//! The hash is part of the journal format: machines running different versions of discus on
//! one split must agree on it, so it is written out here rather than taken from a library whose
//! output may change.

/// `K/N`, K from 1 to N.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which slice, from 1.
    pub index: usize,
    /// How many slices.
    pub count: usize,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// A checked shard: K runs from 1 to N.
    pub fn new(index: usize, count: usize) -> Result<Shard, String> {
        if count == 0 || index == 0 || index > count {
            return Err(format!(
                "shard {index}/{count}: K runs from 1 to N, and N is at least 1"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether the item with `key` belongs to this slice.
    pub fn takes(&self, key: &str) -> bool {
        owner(key, self.count) == self.index
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("'{text}' is not K/N (for example 2/8) or auto"))?;
        let index: usize = k
            .trim()
            .parse()
            .map_err(|_| format!("'{k}' is not a number"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("'{n}' is not a number"))?;
        Shard::new(index, count)
    }
}

/// What `--shard` says: a slice, or `auto` for the runner's environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardArg {
    /// `K/N`.
    Fixed(Shard),
    /// `auto`.
    Auto,
}

impl std::str::FromStr for ShardArg {
    type Err = String;

    fn from_str(text: &str) -> Result<ShardArg, String> {
        if text.trim().eq_ignore_ascii_case("auto") {
            return Ok(ShardArg::Auto);
        }
        text.parse().map(ShardArg::Fixed)
    }
}

/// FNV-1a, 64 bits: a fixed function of the key's bytes.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The finaliser of SplitMix64: spreads every input bit over the whole word, which FNV alone
/// does poorly for keys that differ only in their last bytes (`disc0001.iso`, `disc0002.iso`).
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The shard (from 1) of the item with `key` among `count`: the one with the highest score.
pub fn owner(key: &str, count: usize) -> usize {
    let hash = mix(fnv1a(key.as_bytes()));
    (1..=count.max(1))
        .max_by_key(|&k| mix(hash ^ mix(k as u64)))
        .unwrap_or(1)
}

/// The environment variables each runner sets, for messages and docs.
pub const RUNNERS: &str = "SLURM_ARRAY_TASK_ID (Slurm job array), JOB_COMPLETION_INDEX (Kubernetes Indexed Job, with --shard-count), PARALLEL_SEQ (GNU parallel, with --shard-count), CI_NODE_INDEX and CI_NODE_TOTAL (GitLab CI parallel:)";

fn number(name: &str, text: &str) -> Result<usize, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{name}={text} is not a whole number"))
}

/// The shard of this run from the job runner's environment, read through `var`; `count` is
/// `--shard-count`. Returns the shard and where it came from.
pub fn from_env(
    var: &dyn Fn(&str) -> Option<String>,
    count: Option<usize>,
) -> Result<(Shard, String), String> {
    let mut found: Vec<(Result<Shard, String>, String)> = Vec::new();
    if let Some(id) = var("SLURM_ARRAY_TASK_ID") {
        found.push((slurm(var, &id, count), format!("SLURM_ARRAY_TASK_ID={id}")));
    }
    if let Some(index) = var("JOB_COMPLETION_INDEX") {
        let shard = counted("JOB_COMPLETION_INDEX", &index, 0, count, "completions");
        found.push((shard, format!("JOB_COMPLETION_INDEX={index}")));
    }
    if let Some(seq) = var("PARALLEL_SEQ") {
        let shard = counted("PARALLEL_SEQ", &seq, 1, count, "jobs");
        found.push((shard, format!("PARALLEL_SEQ={seq}")));
    }
    if let Some(index) = var("CI_NODE_INDEX") {
        let shard = match var("CI_NODE_TOTAL") {
            Some(total) => number("CI_NODE_TOTAL", &total).and_then(|total| {
                check_count(total, count, "CI_NODE_TOTAL")?;
                Shard::new(number("CI_NODE_INDEX", &index)?, total)
            }),
            None => Err("CI_NODE_INDEX is set but CI_NODE_TOTAL is not".to_string()),
        };
        found.push((shard, format!("CI_NODE_INDEX={index}")));
    }
    match found.len() {
        0 => Err(format!(
            "--shard auto: no job runner's shard in the environment (looked for {RUNNERS}); pass --shard K/N"
        )),
        1 => {
            let (shard, source) = found.remove(0);
            shard
                .map(|s| (s, source))
                .map_err(|e| format!("--shard auto: {e}"))
        }
        _ => {
            let names: Vec<&str> = found.iter().map(|(_, source)| source.as_str()).collect();
            Err(format!(
                "--shard auto: several job runners set a shard ({}), often one inherited from the shell that submitted the job; pass --shard K/N",
                names.join(", ")
            ))
        }
    }
}

/// `--shard-count`, when given, must agree with the runner's own count.
fn check_count(runner: usize, given: Option<usize>, name: &str) -> Result<(), String> {
    match given {
        Some(given) if given != runner => Err(format!(
            "--shard-count {given} disagrees with {name}={runner}"
        )),
        _ => Ok(()),
    }
}

/// A runner that numbers its tasks from `first` but does not say how many there are.
fn counted(
    name: &str,
    text: &str,
    first: usize,
    count: Option<usize>,
    what: &str,
) -> Result<Shard, String> {
    let value = number(name, text)?;
    let count = count
        .ok_or_else(|| format!("{name} is set; pass --shard-count N, the number of {what}"))?;
    let index = (value + 1)
        .checked_sub(first)
        .ok_or_else(|| format!("{name}={value} is below {first}"))?;
    Shard::new(index, count).map_err(|e| format!("{name}={value}: {e}"))
}

/// A Slurm array task: ids from `SLURM_ARRAY_TASK_MIN` to `_MAX` in steps of `_STEP`
/// (`--array=1-16`, `--array=0-15`, `--array=0-30:2`), `SLURM_ARRAY_TASK_COUNT` of them.
fn slurm(
    var: &dyn Fn(&str) -> Option<String>,
    id: &str,
    count: Option<usize>,
) -> Result<Shard, String> {
    let get = |name: &str| -> Result<usize, String> {
        let text =
            var(name).ok_or_else(|| format!("SLURM_ARRAY_TASK_ID is set but {name} is not"))?;
        number(name, &text)
    };
    let id = number("SLURM_ARRAY_TASK_ID", id)?;
    let min = get("SLURM_ARRAY_TASK_MIN")?;
    let max = get("SLURM_ARRAY_TASK_MAX")?;
    let step = match var("SLURM_ARRAY_TASK_STEP") {
        Some(text) => number("SLURM_ARRAY_TASK_STEP", &text)?.max(1),
        None => 1,
    };
    let tasks = match var("SLURM_ARRAY_TASK_COUNT") {
        Some(text) => number("SLURM_ARRAY_TASK_COUNT", &text)?,
        None => (max.saturating_sub(min)) / step + 1,
    };
    // A list such as --array=1,4,9 has gaps no K/N can number.
    if max < min || (max - min) % step != 0 || (max - min) / step + 1 != tasks {
        return Err(format!(
            "the array's task ids ({min} to {max}, step {step}, {tasks} tasks) are not an even range such as --array=1-{tasks}; pass --shard K/N"
        ));
    }
    // `sbatch --array=5` reruns one task of a larger array; alone it would be shard 1/1 and
    // convert everything. (`--array=1` cannot be told apart from an array of one.)
    if tasks == 1 && min > 1 {
        return Err(format!(
            "an array of one task ({min}) looks like a rerun of one task of a larger array; pass --shard {min}/N"
        ));
    }
    if id < min || (id - min) % step != 0 {
        return Err(format!(
            "SLURM_ARRAY_TASK_ID={id} is not in the array {min}-{max}:{step}"
        ));
    }
    check_count(tasks, count, "SLURM_ARRAY_TASK_COUNT")?;
    Shard::new((id - min) / step + 1, tasks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name: &str| map.get(name).cloned()
    }

    fn resolve(pairs: &[(&str, &str)], count: Option<usize>) -> Result<Shard, String> {
        from_env(&env(pairs), count).map(|(shard, _)| shard)
    }

    fn keys(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("dumps/ps1/disc{i:05}.cue"))
            .collect()
    }

    #[test]
    fn shards_parse_and_cover_everything_once() {
        assert!("0/3".parse::<Shard>().is_err());
        assert!("4/3".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
        assert_eq!("auto".parse::<ShardArg>(), Ok(ShardArg::Auto));
        assert_eq!(
            "2/3".parse::<ShardArg>(),
            Ok(ShardArg::Fixed(Shard { index: 2, count: 3 }))
        );
        for n in [1, 2, 3, 7, 64] {
            for key in keys(200) {
                let takers = (1..=n)
                    .filter(|&k| Shard { index: k, count: n }.takes(&key))
                    .count();
                assert_eq!(takers, 1, "{key} in {takers} slices of {n}");
            }
        }
    }

    #[test]
    fn the_split_of_known_keys_never_changes() {
        // Machines running different builds on one split must agree: this pins the function.
        let keys = [
            "roms/a.iso",
            "roms/b.cue",
            "in/nested/deeper/b.img",
            "x",
            "dumps/ps1/Game (USA).cue",
            "dumps/ps1/Game (Europe).cue",
            "dumps/ps2/disc00001.iso",
            "dumps/ps2/disc00002.iso",
        ];
        let got: Vec<usize> = keys.iter().map(|k| owner(k, 8)).collect();
        assert_eq!(got, GOLDEN);
        assert!(keys.iter().all(|k| owner(k, 1) == 1));
    }

    // Computed independently (a few lines of Python of the same definition), not by this code.
    const GOLDEN: [usize; 8] = [1, 1, 7, 3, 5, 6, 7, 1];

    #[test]
    fn slices_are_balanced() {
        let all = keys(10_000);
        for n in [2usize, 4, 8, 16] {
            let mut sizes = vec![0usize; n];
            for key in &all {
                sizes[owner(key, n) - 1] += 1;
            }
            // A uniform hash gives binomial slices: σ = √(items·p·(1−p)) with p = 1/n (about 24
            // keys for 16 shards of 10,000). Four σ is never reached by chance here and catches
            // a skewed hash.
            let p = 1.0 / n as f64;
            let mean = all.len() as f64 * p;
            let sigma = (all.len() as f64 * p * (1.0 - p)).sqrt();
            for &size in &sizes {
                assert!(
                    (size as f64 - mean).abs() <= 4.0 * sigma,
                    "{n} shards: {sizes:?}"
                );
            }
        }
    }

    #[test]
    fn adding_items_or_a_shard_moves_few_items() {
        let before = keys(5_000);
        let slices: HashMap<&String, usize> = before.iter().map(|k| (k, owner(k, 8))).collect();
        // More files in the archive: every earlier item stays where it was, whatever the order.
        let mut after = keys(6_000);
        after.reverse();
        for key in &after {
            if let Some(&was) = slices.get(key) {
                assert_eq!(owner(key, 8), was, "{key} moved");
            }
        }
        // One more shard: only items that now go to the new shard move, about 1/9 of them.
        let moved: Vec<&&String> = slices
            .iter()
            .filter(|(k, was)| owner(k, 9) != **was)
            .map(|(k, _)| k)
            .collect();
        assert!(moved.iter().all(|k| owner(k, 9) == 9));
        let expected = before.len() / 9;
        assert!(
            moved.len().abs_diff(expected) * 100 <= expected * 15,
            "{} of {} moved",
            moved.len(),
            before.len()
        );
    }

    #[test]
    fn slurm_arrays_number_their_tasks_from_one() {
        let task = |id: &str, min: &str, max: &str, count: &str| {
            resolve(
                &[
                    ("SLURM_ARRAY_TASK_ID", id),
                    ("SLURM_ARRAY_TASK_MIN", min),
                    ("SLURM_ARRAY_TASK_MAX", max),
                    ("SLURM_ARRAY_TASK_COUNT", count),
                ],
                None,
            )
        };
        assert_eq!(task("3", "1", "16", "16"), Shard::new(3, 16));
        assert_eq!(task("0", "0", "15", "16"), Shard::new(1, 16));
        assert_eq!(task("15", "0", "15", "16"), Shard::new(16, 16));
        let stepped = resolve(
            &[
                ("SLURM_ARRAY_TASK_ID", "4"),
                ("SLURM_ARRAY_TASK_MIN", "0"),
                ("SLURM_ARRAY_TASK_MAX", "6"),
                ("SLURM_ARRAY_TASK_STEP", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            None,
        );
        assert_eq!(stepped, Shard::new(3, 4));
        // --array=1,4,9: a list with gaps.
        let listed = task("4", "1", "9", "3");
        assert!(listed.is_err_and(|e| e.contains("not an even range")));
        let disagrees = resolve(
            &[
                ("SLURM_ARRAY_TASK_ID", "2"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_MAX", "4"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            Some(8),
        );
        assert!(disagrees.is_err_and(|e| e.contains("--shard-count 8 disagrees")));
        assert!(task("2", "1", "4", "x").is_err_and(|e| e.contains("SLURM_ARRAY_TASK_COUNT=x")));
        // sbatch --array=5: one task of a larger array, rerun alone.
        assert!(task("5", "5", "5", "1").is_err_and(|e| e.contains("--shard 5/N")));
        assert_eq!(task("1", "1", "1", "1"), Shard::new(1, 1));
    }

    #[test]
    fn runners_without_a_count_need_shard_count() {
        let k8s = &[("JOB_COMPLETION_INDEX", "0")];
        assert_eq!(resolve(k8s, Some(8)), Shard::new(1, 8));
        assert!(resolve(k8s, None).is_err_and(|e| e.contains("--shard-count")));
        assert!(resolve(&[("JOB_COMPLETION_INDEX", "8")], Some(8)).is_err());
        let parallel = &[("PARALLEL_SEQ", "3")];
        assert_eq!(resolve(parallel, Some(3)), Shard::new(3, 3));
        assert!(resolve(&[("PARALLEL_SEQ", "0")], Some(3)).is_err());
        let gitlab = &[("CI_NODE_INDEX", "2"), ("CI_NODE_TOTAL", "5")];
        assert_eq!(resolve(gitlab, None), Shard::new(2, 5));
        assert!(resolve(&[("CI_NODE_INDEX", "2")], None).is_err());
    }

    #[test]
    fn none_or_several_runners_is_an_error_that_says_what_to_do() {
        let none = resolve(&[], Some(4));
        assert!(
            none.is_err_and(|e| e.contains("SLURM_ARRAY_TASK_ID") && e.contains("--shard K/N"))
        );
        let both = resolve(
            &[("PARALLEL_SEQ", "1"), ("JOB_COMPLETION_INDEX", "0")],
            Some(4),
        );
        assert!(both.is_err_and(|e| e.contains("several") && e.contains("PARALLEL_SEQ=1")));
    }
}

/// The job files of `docs/batch.md` set what `--shard auto` reads.
#[cfg(test)]
mod documented {
    use super::*;
    use yaml_rust2::{Yaml, YamlLoader};

    const DOC: &str = include_str!("../../../../docs/batch.md");

    /// The first fenced block of `language` after the heading `title`.
    fn block(title: &str, language: &str) -> String {
        let section = DOC
            .split_once(title)
            .map(|(_, rest)| rest)
            .unwrap_or_else(|| panic!("docs/batch.md has no '{title}'"));
        let fence = format!("```{language}\n");
        let start = section
            .find(&fence)
            .unwrap_or_else(|| panic!("no {language} block after '{title}'"))
            + fence.len();
        let length = section[start..].find("```").expect("closing fence");
        section[start..start + length].to_string()
    }

    fn strings(list: &Yaml) -> Vec<String> {
        list.as_vec()
            .into_iter()
            .flatten()
            .filter_map(|y| y.as_str().map(str::to_string))
            .collect()
    }

    #[test]
    fn the_kubernetes_manifest_gives_every_index_its_own_shard() {
        let text = block("### Kubernetes Indexed Job", "yaml");
        let docs = YamlLoader::load_from_str(&text).expect("the manifest is YAML");
        let job = &docs[0];
        assert_eq!(job["kind"].as_str(), Some("Job"));
        let spec = &job["spec"];
        assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
        let completions = spec["completions"].as_i64().expect("completions") as usize;
        let pod = &spec["template"]["spec"];
        let container = &pod["containers"][0];
        let mut argv = strings(&container["command"]);
        argv.extend(strings(&container["args"]));
        assert_eq!(argv.first().map(String::as_str), Some("discus"));
        let after = |flag: &str| {
            argv.iter()
                .position(|a| a == flag)
                .and_then(|i| argv.get(i + 1))
                .cloned()
                .unwrap_or_else(|| panic!("the manifest passes no {flag}"))
        };
        assert_eq!(after("--shard"), "auto");
        let count: usize = after("--shard-count").parse().expect("a number");
        assert_eq!(count, completions, "--shard-count must be the completions");
        // The variable discus reads, from the annotation Kubernetes gives each indexed pod.
        let env = container["env"].as_vec().expect("env");
        let index = env
            .iter()
            .find(|e| e["name"].as_str() == Some("JOB_COMPLETION_INDEX"))
            .expect("JOB_COMPLETION_INDEX is set");
        assert_eq!(
            index["valueFrom"]["fieldRef"]["fieldPath"].as_str(),
            Some("metadata.annotations['batch.kubernetes.io/job-completion-index']")
        );
        // The output folder is on the shared volume every pod mounts.
        let mount = container["volumeMounts"][0]["mountPath"]
            .as_str()
            .expect("a volume mount");
        assert!(after("--out-dir").starts_with(mount));
        let claim = &pod["volumes"][0]["persistentVolumeClaim"]["claimName"];
        assert!(
            claim.as_str().is_some(),
            "the volume is a claim every pod shares"
        );
        // Indexes 0..completions, as Kubernetes gives them, make every shard once.
        let shards: Vec<Shard> = (0..completions)
            .map(|i| {
                let i = i.to_string();
                let var = |name: &str| (name == "JOB_COMPLETION_INDEX").then(|| i.clone());
                from_env(&var, Some(count)).expect("a shard").0
            })
            .collect();
        let indexes: Vec<usize> = shards.iter().map(|s| s.index).collect();
        assert_eq!(indexes, (1..=completions).collect::<Vec<_>>());
        assert!(shards.iter().all(|s| s.count == completions));
    }

    #[test]
    fn the_slurm_script_and_gitlab_job_let_the_runner_choose_the_shard() {
        let script = block("### Slurm array job", "sh");
        assert!(script.contains("#SBATCH --array=1-"));
        assert!(script.contains("--shard \"${SHARD:-auto}\""));
        let gitlab = block("### GitLab CI", "yaml");
        let docs = YamlLoader::load_from_str(&gitlab).expect("YAML");
        let job = &docs[0]["convert"];
        assert!(job["parallel"].as_i64().is_some_and(|n| n > 1));
        assert!(
            strings(&job["script"])
                .iter()
                .any(|l| l.contains("--shard auto"))
        );
    }
}
