//! `batch --name serial`: outputs named by what the disc says it is — the serial `info` finds
//! (PlayStation `SYSTEM.CNF`, PSP `UMD_DATA.BIN`/`PARAM.SFO`, Sega headers) and, with `--dat`,
//! the title of the DAT entry the image's tracks match — instead of the input's file name.
//!
//! The rules (docs/batch.md states them):
//! - a serial is read when the item is found, so the name is known before anything runs, the
//!   same on every shard; a disc without one keeps its input's name;
//! - two items of one folder with one serial (a revision, the same game twice) are both named
//!   `SERIAL (input name)`, whichever runs first; a name still shared after that is a clash like
//!   any other (the first by key order converts, the others fail saying why);
//! - a DAT title needs the whole image hashed, so it is looked up when the item runs; the title
//!   names one disc, and a second item of the run matching the same entry is that disc again:
//!   it fails, naming the first;
//! - every name is made one safe file name: no separators, no `..`, no control characters, no
//!   double quotes (a cue sheet quotes its BINs' names), at most 200 bytes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use discus::Dat;

use super::worker;

/// How outputs are named.
#[derive(Clone, Default)]
pub enum NameBy {
    /// After the input's file name (the default).
    #[default]
    Stem,
    /// After the serial the disc holds, or the title of its entry in `dat`.
    Serial {
        /// The DAT whose titles name the discs that match an entry.
        dat: Option<Arc<Dat>>,
    },
}

impl NameBy {
    /// Whether serials are read when items are found.
    pub fn by_serial(&self) -> bool {
        matches!(self, NameBy::Serial { .. })
    }

    /// The DAT, with `--dat`.
    pub fn dat(&self) -> Option<&Dat> {
        match self {
            NameBy::Serial { dat } => dat.as_deref(),
            NameBy::Stem => None,
        }
    }
}

/// Bytes a name made from a serial or a title keeps: room for ` (input name)`, the extension and
/// the temporary prefix within the 255 a file name may have.
const MOST: usize = 120;

/// `text` (a serial or a title, as the disc or the DAT writes it) as one file name, or `None`
/// when nothing usable is left. Path separators become `-`, control characters and double
/// quotes go, spaces and dots at either end go (so `..` and `.` leave nothing).
pub fn file_name(text: &str) -> Option<String> {
    let mapped: String = text
        .chars()
        .filter_map(|c| match c {
            '/' | '\\' => Some('-'),
            '"' => Some('\''),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect();
    let trimmed = mapped.trim_matches(|c: char| c.is_whitespace() || c == '.');
    let mut cut = trimmed.len().min(MOST);
    while !trimmed.is_char_boundary(cut) {
        cut -= 1;
    }
    let name = trimmed[..cut].trim_end_matches(|c: char| c.is_whitespace() || c == '.');
    // The rules the filesystem extractor holds names to, and the sheets' quoting: whatever the
    // mapping above misses, a name that breaks them is not used.
    let safe = discus::fs::extract::safe_name(name).is_ok()
        && discus::core::output::quotable(name, "a sheet").is_ok();
    safe.then(|| name.to_string())
}

/// The serial of the image at `path`, as a file name: `None` for a disc that names none (or
/// that cannot be read; the conversion will say why). Its file system is read only when the
/// files the image is made of pass `reads` within `root`: a sheet naming a file outside the
/// INPUT folder fails as an item later, and its file is not read to name it first.
pub fn serial(path: &Path, reads: worker::Reads, root: &Path) -> Option<String> {
    let opened = discus::open(path).ok()?;
    worker::check_reads(reads, path, path, &opened.source.files(), root).ok()?;
    let mut image = discus::fs::Image::open(opened.source, path).ok()?;
    let game = discus::fs::game::identify(&mut image).ok()?;
    game.serial.as_deref().and_then(file_name)
}

/// The output stems of one folder's items, by `--name serial`: the serial where an item's is
/// its alone in the folder, `SERIAL (stem)` where two or more share it, and the stem where the
/// disc has none. `items` are (stem, serial) in key order.
pub fn stems(items: &[(String, Option<String>)]) -> Vec<String> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for (_, serial) in items {
        if let Some(serial) = serial {
            *count.entry(serial).or_default() += 1;
        }
    }
    items
        .iter()
        .map(|(stem, serial)| match serial {
            Some(serial) if count.get(serial.as_str()) == Some(&1) => serial.clone(),
            Some(serial) => format!("{serial} ({stem})"),
            None => stem.clone(),
        })
        .collect()
}

/// The DAT titles taken in this run, with the item that took each: a second item matching one
/// entry is the same disc again.
#[derive(Default)]
pub struct Titles {
    taken: Mutex<HashMap<PathBuf, String>>,
}

impl Titles {
    /// Takes `output` for the item `key`; the key of the item that has it, if another has.
    pub fn take(&self, output: &Path, key: &str) -> Result<(), String> {
        let mut taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        match taken.get(output) {
            Some(first) if first != key => Err(first.clone()),
            Some(_) => Ok(()),
            None => {
                taken.insert(output.to_path_buf(), key.to_string());
                Ok(())
            }
        }
    }
}

/// The title of the DAT entry the image at `path` matches whole, as a file name.
pub fn dat_title(path: &Path, dat: &Dat, cancel: &std::sync::atomic::AtomicBool) -> Option<String> {
    let options = discus::VerifyOptions {
        dat: Some(dat),
        cancel: Some(cancel),
        ..discus::VerifyOptions::default()
    };
    let verification = discus::verify(path, &options).ok()?;
    let found = verification.dat?;
    match found.complete {
        true => found.game.as_deref().and_then(file_name),
        false => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i16_4_serials_and_titles_become_one_safe_file_name() {
        assert_eq!(file_name("SLUS-00594").as_deref(), Some("SLUS-00594"));
        assert_eq!(
            file_name("Game: Part 1/2 (USA)").as_deref(),
            Some("Game: Part 1-2 (USA)")
        );
        assert_eq!(
            file_name("../../etc/passwd").as_deref(),
            Some("-..-etc-passwd")
        );
        assert_eq!(file_name(".."), None);
        assert_eq!(file_name(" . "), None);
        assert_eq!(file_name("\u{1}\u{7f}"), None);
        assert_eq!(file_name("A\nB\tC\0").as_deref(), Some("ABC"));
        assert_eq!(file_name("say \"hi\"").as_deref(), Some("say 'hi'"));
        assert_eq!(file_name("C:\\x").as_deref(), Some("C:-x"));
        let long = "é".repeat(200);
        let cut = file_name(&long).unwrap_or_default();
        assert!(cut.len() <= MOST && cut.chars().all(|c| c == 'é'), "{cut}");
    }

    #[test]
    fn i16_4_a_shared_serial_names_every_disc_that_has_it_by_its_input_too() {
        let items = vec![
            ("Game (USA)".to_string(), Some("SLUS-00001".to_string())),
            (
                "Game (USA) (Rev 1)".to_string(),
                Some("SLUS-00001".to_string()),
            ),
            ("Other".to_string(), Some("SLUS-00002".to_string())),
            ("Homebrew".to_string(), None),
        ];
        assert_eq!(
            stems(&items),
            [
                "SLUS-00001 (Game (USA))",
                "SLUS-00001 (Game (USA) (Rev 1))",
                "SLUS-00002",
                "Homebrew"
            ]
        );
    }

    #[test]
    fn i16_4_a_title_is_taken_by_one_item_of_the_run() {
        let titles = Titles::default();
        let out = Path::new("/o/Game (USA).cso");
        assert_eq!(titles.take(out, "in/a.iso"), Ok(()));
        assert_eq!(titles.take(out, "in/a.iso"), Ok(()));
        assert_eq!(titles.take(out, "in/b.iso"), Err("in/a.iso".to_string()));
    }
}
