//! The `.ccd` text: an INI file (CRLF or LF, a BOM tolerated, section and key names in any case,
//! spaces around `=`) turned into typed sections. Every error names the file, line and column.

use std::path::Path;

use discus_core::{Error, Result};

/// One `key=value` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    /// The key, lower case, inner runs of spaces collapsed to one (`index 1`).
    pub name: String,
    pub value: String,
    pub line: usize,
    /// Column of the value, from 1.
    pub column: usize,
}

/// One `[section]` and its keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Section {
    /// The name, lower case, inner runs of spaces collapsed to one (`entry 3`).
    pub name: String,
    pub line: usize,
    pub keys: Vec<Key>,
}

fn normalise(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

/// Splits the text into sections. Blank lines and `;` comments are skipped.
pub(crate) fn sections(path: &Path, text: &str) -> Result<Vec<Section>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections: Vec<Section> = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let line = index + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let indent = raw.len() - raw.trim_start().len();
        let content = raw.trim();
        if content.is_empty() || content.starts_with(';') {
            continue;
        }
        if let Some(rest) = content.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err(Error::at_line(
                    path,
                    line,
                    indent + 1,
                    format!("'{content}' opens a section but has no closing ']'"),
                ));
            };
            sections.push(Section {
                name: normalise(name),
                line,
                keys: Vec::new(),
            });
            continue;
        }
        let Some((key, value)) = content.split_once('=') else {
            return Err(Error::at_line(
                path,
                line,
                indent + 1,
                format!("'{content}' is neither a [section] nor a key=value line"),
            ));
        };
        let Some(section) = sections.last_mut() else {
            return Err(Error::at_line(
                path,
                line,
                indent + 1,
                "a key before the first [section]",
            ));
        };
        let value_start = key.len() + 1 + (value.len() - value.trim_start().len());
        section.keys.push(Key {
            name: normalise(key),
            value: value.trim().to_string(),
            line,
            column: indent + value_start + 1,
        });
    }
    Ok(sections)
}

impl Section {
    /// The last value of `name` (lower case), if given.
    pub fn get(&self, name: &str) -> Option<&Key> {
        self.keys.iter().rev().find(|k| k.name == name)
    }

    /// The number after `prefix ` in the section name (`entry 3` → 3).
    pub fn numbered(&self, prefix: &str) -> Option<&str> {
        self.name
            .strip_prefix(prefix)
            .map(str::trim)
            .filter(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
    }

    /// A required key as a number.
    pub fn number(&self, path: &Path, name: &str) -> Result<i64> {
        match self.get(name) {
            Some(key) => key.number(path),
            None => Err(Error::at_line(
                path,
                self.line,
                1,
                format!("[{}] has no {name} key", self.name),
            )),
        }
    }

    /// An optional key as a number.
    pub fn number_or(&self, path: &Path, name: &str) -> Result<Option<i64>> {
        self.get(name).map(|k| k.number(path)).transpose()
    }
}

impl Key {
    /// The value as a decimal number (may be negative) or `0x` hexadecimal.
    pub fn number(&self, path: &Path) -> Result<i64> {
        let value = self.value.as_str();
        let parsed = match value
            .strip_prefix("0x")
            .or_else(|| value.strip_prefix("0X"))
        {
            Some(hex) => i64::from_str_radix(hex, 16).ok(),
            None => value.parse::<i64>().ok(),
        };
        parsed
            .filter(|n| n.unsigned_abs() < 1 << 40)
            .ok_or_else(|| {
                Error::at_line(
                    path,
                    self.line,
                    self.column,
                    format!("{} = '{value}' is not a number", self.name),
                )
            })
    }

    /// The value as a number in `range`.
    pub fn in_range(&self, path: &Path, range: std::ops::RangeInclusive<i64>) -> Result<i64> {
        let n = self.number(path)?;
        if range.contains(&n) {
            Ok(n)
        } else {
            Err(Error::at_line(
                path,
                self.line,
                self.column,
                format!(
                    "{} = {n} is out of range ({}..={})",
                    self.name,
                    range.start(),
                    range.end()
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_of_case_spaces_and_line_endings() {
        let text =
            "\u{feff}[CloneCD]\r\nVersion = 3\r\n\r\n[ Entry  0 ]\nPoint=0xA0\n  INDEX  1 =  150\n";
        let s = sections(Path::new("a.ccd"), text).unwrap();
        assert_eq!(s[0].name, "clonecd");
        assert_eq!(s[0].get("version").unwrap().value, "3");
        assert_eq!(s[1].numbered("entry"), Some("0"));
        assert_eq!(
            s[1].get("point").unwrap().number(Path::new("a")).unwrap(),
            0xA0
        );
        let index = s[1].get("index 1").unwrap();
        assert_eq!(
            (index.line, index.column, index.value.as_str()),
            (6, 15, "150")
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        let err = sections(Path::new("a.ccd"), "[Disc]\nnonsense\n").unwrap_err();
        assert!(err.to_string().contains("a.ccd: line 2, column 1"), "{err}");
        let s = sections(Path::new("a.ccd"), "[Disc]\nSessions=x\n").unwrap();
        let err = s[0].number(Path::new("a.ccd"), "sessions").unwrap_err();
        assert!(err.to_string().contains("line 2, column 10"), "{err}");
        let err = s[0].number(Path::new("a.ccd"), "tocentries").unwrap_err();
        assert!(
            err.to_string().contains("line 1") && err.to_string().contains("no tocentries"),
            "{err}"
        );
    }
}
