//! Repeated warnings said once: a sheet with 100,000 unusual lines gives one warning per kind with
//! the first lines named and a count, not 100,000 lines of stderr.

/// Groups `warnings` that say the same thing about the same file at different lines, keeping the
/// order in which each kind first appeared. A warning of the form `FILE: line L, column C: TEXT`
/// groups with the others of the same FILE and TEXT; any other warning with its exact repeats. A
/// warning said once is left as it was.
pub fn group(warnings: Vec<String>) -> Vec<String> {
    let mut kinds: Vec<Kind> = Vec::new();
    for warning in warnings {
        let (key, line) = match split(&warning) {
            Some((file, line, text)) => ((file.to_string(), text.to_string()), Some(line)),
            None => ((String::new(), warning.clone()), None),
        };
        match kinds.iter_mut().find(|kind| kind.key == key) {
            Some(kind) => {
                kind.times += 1;
                kind.lines.extend(line);
            }
            None => kinds.push(Kind {
                first: warning,
                key,
                lines: line.into_iter().collect(),
                times: 1,
            }),
        }
    }
    kinds.into_iter().map(Kind::describe).collect()
}

/// One kind of warning: the same text about the same file.
struct Kind {
    /// The warning as first said.
    first: String,
    /// (file, text); the file is empty for a warning without a line.
    key: (String, String),
    /// The lines it was said at.
    lines: Vec<usize>,
    /// How often it was said.
    times: usize,
}

/// How many line numbers a grouped warning names before it counts the rest.
const NAMED: usize = 3;

impl Kind {
    fn describe(self) -> String {
        let (file, text) = &self.key;
        if self.times == 1 {
            return self.first;
        }
        if self.lines.is_empty() {
            return format!("{text} (said {} times)", self.times);
        }
        let named: Vec<String> = self
            .lines
            .iter()
            .take(NAMED)
            .map(usize::to_string)
            .collect();
        let more = match self.lines.len().saturating_sub(NAMED) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        format!("{file}: lines {}{more}: {text}", named.join(", "))
    }
}

/// Splits `FILE: line L, column C: TEXT` into its parts.
fn split(warning: &str) -> Option<(&str, usize, &str)> {
    let at = warning.find(": line ")?;
    let (file, rest) = (&warning[..at], &warning[at + ": line ".len()..]);
    let (line, rest) = rest.split_once(", column ")?;
    let (_column, text) = rest.split_once(": ")?;
    Some((file, line.parse().ok()?, text))
}

#[cfg(test)]
mod tests {
    use super::group;

    #[test]
    fn the_same_warning_at_many_lines_is_one_line_with_a_count() {
        let mut warnings: Vec<String> = (1..=100_000)
            .map(|l| format!("a.cue: line {l}, column 1: unknown command 'FOO' is ignored"))
            .collect();
        warnings.insert(
            1,
            "a.cue: line 7, column 3: a second CATALOG is ignored".into(),
        );
        warnings.push("b.bin: ends mid-sector".into());
        warnings.push("b.bin: ends mid-sector".into());
        assert_eq!(
            group(warnings),
            [
                "a.cue: lines 1, 2, 3 and 99997 more: unknown command 'FOO' is ignored",
                "a.cue: line 7, column 3: a second CATALOG is ignored",
                "b.bin: ends mid-sector (said 2 times)",
            ]
        );
    }

    #[test]
    fn different_files_and_texts_stay_apart() {
        let warnings = vec![
            "a.cue: line 1, column 1: x".to_string(),
            "b.cue: line 1, column 1: x".to_string(),
            "a.cue: line 2, column 1: y".to_string(),
        ];
        assert_eq!(
            group(warnings),
            [
                "a.cue: line 1, column 1: x",
                "b.cue: line 1, column 1: x",
                "a.cue: line 2, column 1: y"
            ]
        );
    }
}
