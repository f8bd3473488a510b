//! DAT files (Logiqx XML, as Redump and No-Intro publish them): games, each a list of ROMs with
//! size, CRC32, MD5 and SHA-1. `discus verify --dat` names the game whose track files an image
//! reproduces, or says which tracks match nothing.

use std::path::Path;

use crate::verify::Digests;
use crate::{Error, Result};

/// One file of a game.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatRom {
    /// The file name (`Game (Track 1).bin`).
    pub name: String,
    /// Its size, if the DAT gives it.
    pub size: Option<u64>,
    /// CRC32 in lower-case hex.
    pub crc32: Option<String>,
    /// MD5 in lower-case hex.
    pub md5: Option<String>,
    /// SHA-1 in lower-case hex.
    pub sha1: Option<String>,
}

impl DatRom {
    /// Whether `digests` are this file's: the size agrees, and every hash the DAT gives equals.
    pub fn matches(&self, digests: &Digests) -> bool {
        let hashes = [
            (&self.crc32, digests.crc32_hex()),
            (&self.md5, digests.md5_hex()),
            (&self.sha1, digests.sha1_hex()),
        ];
        let given = hashes.iter().filter(|(h, _)| h.is_some()).count();
        given > 0
            && self.size.is_none_or(|s| s == digests.size)
            && hashes
                .iter()
                .all(|(h, actual)| h.as_ref().is_none_or(|h| h == actual))
    }

    /// Whether the file is a track (`.bin`), not a sheet or other companion.
    pub fn is_track(&self) -> bool {
        Path::new(&self.name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("bin"))
    }
}

/// One game (a disc) of a DAT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatGame {
    /// Its name.
    pub name: String,
    /// Its files, in DAT order.
    pub roms: Vec<DatRom>,
}

/// A parsed DAT.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dat {
    /// The DAT's own name (its header), if it has one.
    pub name: Option<String>,
    /// Every game.
    pub games: Vec<DatGame>,
}

/// What a DAT says about an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatMatch {
    /// The game whose files match best, if any file matched at all.
    pub game: Option<String>,
    /// Whether every track matched a track file of that game and every track file of the game
    /// matched a track (or the whole image matched its only track file).
    pub complete: bool,
    /// Per track of the image, the file of the game it matched.
    pub tracks: Vec<Option<String>>,
    /// Track files of the game that no track matched.
    pub unmatched: Vec<String>,
}

/// A game as a match for an image: which of its files each track matched, and how well.
struct Candidate {
    game: usize,
    matched: Vec<Option<usize>>,
    complete: bool,
    /// (complete, files matched): higher is better.
    score: (bool, usize),
}

fn lower(value: Option<&str>) -> Option<String> {
    value
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
}

impl Dat {
    /// Reads and parses the DAT at `path`.
    pub fn open(path: &Path) -> Result<Dat> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Dat::parse(&text, path)
    }

    /// Parses the text of a Logiqx XML DAT (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Dat> {
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        };
        let document = roxmltree::Document::parse_with_options(text, options).map_err(|e| {
            let at = e.pos();
            Error::at_line(path, at.row as usize, at.col as usize, e.to_string())
        })?;
        let root = document.root_element();
        if !root.has_tag_name("datafile") {
            let at = document.text_pos_at(root.range().start);
            return Err(Error::at_line(
                path,
                at.row as usize,
                at.col as usize,
                format!(
                    "a DAT's top element is <datafile>, not <{}>",
                    root.tag_name().name()
                ),
            ));
        }
        let name = root
            .children()
            .find(|n| n.has_tag_name("header"))
            .and_then(|h| h.children().find(|n| n.has_tag_name("name")))
            .and_then(|n| n.text())
            .map(str::to_string);
        let mut games = Vec::new();
        for game in root
            .children()
            .filter(|n| n.has_tag_name("game") || n.has_tag_name("machine"))
        {
            let roms = game
                .children()
                .filter(|n| n.has_tag_name("rom"))
                .map(|rom| DatRom {
                    name: rom.attribute("name").unwrap_or_default().to_string(),
                    size: rom.attribute("size").and_then(|s| s.trim().parse().ok()),
                    crc32: lower(rom.attribute("crc")),
                    md5: lower(rom.attribute("md5")),
                    sha1: lower(rom.attribute("sha1")),
                })
                .collect();
            games.push(DatGame {
                name: game.attribute("name").unwrap_or_default().to_string(),
                roms,
            });
        }
        Ok(Dat { name, games })
    }

    /// Finds the game whose track files `tracks` (in disc order) reproduce. `image` — all tracks
    /// in one — is tried too, for DATs that list a disc as a single BIN.
    pub fn identify(&self, tracks: &[&Digests], image: &Digests) -> DatMatch {
        // The first game of the best score wins.
        let mut best: Option<Candidate> = None;
        for (g, game) in self.games.iter().enumerate() {
            let mut used = vec![false; game.roms.len()];
            let mut matched = Vec::new();
            for digests in tracks {
                let found = game
                    .roms
                    .iter()
                    .enumerate()
                    .position(|(r, rom)| !used[r] && rom.matches(digests));
                if let Some(r) = found {
                    used[r] = true;
                }
                matched.push(found);
            }
            let track_files = game.roms.iter().filter(|r| r.is_track()).count();
            let whole =
                track_files == 1 && game.roms.iter().any(|r| r.is_track() && r.matches(image));
            let all_tracks = !matched.is_empty() && matched.iter().all(Option::is_some);
            let all_files = game
                .roms
                .iter()
                .zip(&used)
                .all(|(rom, &used)| used || !rom.is_track());
            let complete = whole || (all_tracks && all_files);
            let score = (
                complete,
                matched.iter().filter(|m| m.is_some()).count() + usize::from(whole),
            );
            if score.1 > 0 && best.as_ref().is_none_or(|b| score > b.score) {
                best = Some(Candidate {
                    game: g,
                    matched,
                    complete,
                    score,
                });
            }
        }
        let Some(Candidate {
            game: g,
            matched,
            complete,
            ..
        }) = best
        else {
            return DatMatch {
                game: None,
                complete: false,
                tracks: vec![None; tracks.len()],
                unmatched: Vec::new(),
            };
        };
        let game = &self.games[g];
        let names = |r: &Option<usize>| r.and_then(|r| game.roms.get(r)).map(|r| r.name.clone());
        let unmatched = if complete {
            Vec::new()
        } else {
            game.roms
                .iter()
                .enumerate()
                .filter(|(r, rom)| rom.is_track() && !matched.contains(&Some(*r)))
                .map(|(_, rom)| rom.name.clone())
                .collect()
        };
        DatMatch {
            game: Some(game.name.clone()),
            complete,
            tracks: matched.iter().map(names).collect(),
            unmatched,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digests(size: u64, crc32: u32) -> Digests {
        Digests {
            size,
            crc32,
            md5: [0; 16],
            sha1: [0; 20],
        }
    }

    #[test]
    fn parses_and_identifies() {
        let text = r#"<?xml version="1.0"?>
<!DOCTYPE datafile PUBLIC "-//Logiqx//DTD ROM Management Datafile//EN" "http://www.logiqx.com/Dats/datafile.dtd">
<datafile>
  <header><name>Test</name></header>
  <game name="Other"><rom name="Other.bin" size="4" crc="00000001"/></game>
  <game name="Two">
    <rom name="Two.cue" size="10" crc="deadbeef"/>
    <rom name="Two (Track 1).bin" size="4" crc="0000000A"/>
    <rom name="Two (Track 2).bin" size="8" crc="0000000b"/>
  </game>
</datafile>"#;
        let dat = Dat::parse(text, Path::new("t.dat")).unwrap();
        assert_eq!(dat.name.as_deref(), Some("Test"));
        assert_eq!(dat.games.len(), 2);
        let (t1, t2) = (digests(4, 10), digests(8, 11));
        let found = dat.identify(&[&t1, &t2], &digests(12, 5));
        assert_eq!(found.game.as_deref(), Some("Two"));
        assert!(found.complete);
        assert_eq!(found.tracks[1].as_deref(), Some("Two (Track 2).bin"));
        let wrong = digests(8, 12);
        let found = dat.identify(&[&t1, &wrong], &digests(12, 5));
        assert!(!found.complete);
        assert_eq!(found.tracks[1], None);
        assert_eq!(found.unmatched, ["Two (Track 2).bin"]);
        let none = dat.identify(&[&wrong], &wrong);
        assert_eq!(none.game, None);
        assert!(Dat::parse("<x/>", Path::new("t.dat")).is_err());
        assert!(Dat::parse("<datafile>", Path::new("t.dat")).is_err());
    }
}
