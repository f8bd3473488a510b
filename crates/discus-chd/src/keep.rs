//! What chdman's track metadata has no place for — sessions, INDEX 02 and later, track flags,
//! ISRC, the catalog number and CD-TEXT — kept in one metadata entry of our own, `DSCS`.
//!
//! The entry is not flagged for the checksum, so the CHD's SHA-1s stay what chdman computes for the
//! same disc, and chdman, libchdr and the emulators skip a tag they do not know: `chdman verify` and
//! `extractcd` work as on chdman's own file. It is text, one fact a line:
//!
//! ```text
//! DISCUS-CHD 1
//! CATALOG 0000010271955
//! DISC TITLE Join us now
//! CDTEXT 8000…              (raw CD-TEXT packs, hex)
//! TRACK 2 SESSION 1 START 64 CONTROL 2
//! TRACK 2 ISRC USABC0000001
//! TRACK 2 INDEX 2 300
//! TRACK 2 TITLE Stored pregap
//! ```
//!
//! A reader applies it only if it fits the tracks the CHT2 entries describe (same numbers, starts
//! in order); otherwise it says so and keeps chdman's view.

use discus_core::{Control, Disc, Index, Lba, Session, Text, Track};

use crate::header::tag;
use crate::metadata::Entry;

/// The tag of the entry.
pub const TAG: u32 = tag(b"DSCS");
/// Its first line.
const MAGIC: &str = "DISCUS-CHD 1";

/// Whether `disc` has anything CHT2 cannot say.
fn has_extra(disc: &Disc) -> bool {
    disc.sessions.len() > 1
        || disc.catalog.is_some()
        || !disc.text.is_empty()
        || disc.cd_text_packs.is_some()
        || disc.tracks().any(|t| {
            t.isrc.is_some()
                || !t.indexes.is_empty()
                || !t.text.is_empty()
                || t.control.0 & !Control::DATA != 0
        })
}

/// One line per field of `text`, prefixed.
fn text_lines(out: &mut String, prefix: &str, text: &Text) {
    for (name, value) in [
        ("TITLE", &text.title),
        ("PERFORMER", &text.performer),
        ("SONGWRITER", &text.songwriter),
    ] {
        if let Some(value) = value {
            // A line holds one value; CD-TEXT has no line breaks to lose.
            let value = value.replace(['\n', '\r'], " ");
            out.push_str(&format!("{prefix} {name} {value}\n"));
        }
    }
}

/// The entry for what `disc` has beyond chdman's track metadata, if anything.
pub fn entry(disc: &Disc) -> Option<Entry> {
    if !has_extra(disc) {
        return None;
    }
    let mut out = format!("{MAGIC}\n");
    if let Some(catalog) = &disc.catalog {
        out.push_str(&format!("CATALOG {catalog}\n"));
    }
    text_lines(&mut out, "DISC", &disc.text);
    if let Some(packs) = &disc.cd_text_packs {
        let hex: String = packs.iter().map(|b| format!("{b:02X}")).collect();
        out.push_str(&format!("CDTEXT {hex}\n"));
    }
    for session in &disc.sessions {
        for track in &session.tracks {
            let n = track.number;
            out.push_str(&format!(
                "TRACK {n} SESSION {} START {} CONTROL {}\n",
                session.number, track.start.0, track.control.0
            ));
            if let Some(isrc) = &track.isrc {
                out.push_str(&format!("TRACK {n} ISRC {isrc}\n"));
            }
            for index in &track.indexes {
                out.push_str(&format!(
                    "TRACK {n} INDEX {} {}\n",
                    index.number, index.lba.0
                ));
            }
            text_lines(&mut out, &format!("TRACK {n}"), &track.text);
        }
    }
    Some(Entry::text(TAG, &out, 0))
}

/// The disc with what the entry holds put back, or unchanged (with a warning) if the entry does not
/// fit it.
pub fn restore(disc: Disc, entries: &[Entry], warnings: &mut Vec<String>) -> Disc {
    let Some(entry) = entries.iter().find(|e| e.tag == TAG) else {
        return disc;
    };
    match apply(&disc, &entry.as_text()) {
        Ok(restored) => restored,
        Err(why) => {
            warnings.push(format!(
                "the DSCS entry (what chdman does not keep) is not used: {why}"
            ));
            disc
        }
    }
}

fn set_text(text: &mut Text, field: &str, value: &str) -> Result<(), String> {
    let slot = match field {
        "TITLE" => &mut text.title,
        "PERFORMER" => &mut text.performer,
        "SONGWRITER" => &mut text.songwriter,
        other => return Err(format!("unknown text field {other}")),
    };
    *slot = Some(value.to_string());
    Ok(())
}

fn number<T: std::str::FromStr>(word: Option<&str>, what: &str) -> Result<T, String> {
    word.and_then(|w| w.parse().ok())
        .ok_or_else(|| format!("{what} is missing or not a number"))
}

fn apply(original: &Disc, text: &str) -> Result<Disc, String> {
    let mut lines = text.lines();
    if lines.next() != Some(MAGIC) {
        return Err("it does not start with its version line".into());
    }
    let mut disc = original.clone();
    let mut tracks: Vec<Track> = disc.tracks().cloned().collect();
    let mut session_of: Vec<u8> = vec![1; tracks.len()];
    for line in lines {
        let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
        match keyword {
            "CATALOG" => disc.catalog = Some(rest.to_string()),
            "DISC" => {
                let (field, value) = rest.split_once(' ').unwrap_or((rest, ""));
                set_text(&mut disc.text, field, value)?;
            }
            "CDTEXT" => {
                if !rest.len().is_multiple_of(2) || !rest.is_ascii() {
                    return Err("CDTEXT is not hex".into());
                }
                let packs = (0..rest.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&rest[i..i + 2], 16))
                    .collect::<Result<Vec<u8>, _>>()
                    .map_err(|_| "CDTEXT is not hex".to_string())?;
                disc.cd_text_packs = Some(packs);
            }
            "TRACK" => {
                let mut words = rest.splitn(3, ' ');
                let n: u8 = number(words.next(), "a track number")?;
                let position = tracks
                    .iter()
                    .position(|t| t.number == n)
                    .ok_or_else(|| format!("it names track {n}, which the CHD does not have"))?;
                let track = &mut tracks[position];
                let key = words.next().unwrap_or("");
                let value = words.next().unwrap_or("");
                match key {
                    "SESSION" => {
                        let mut w = value.split(' ');
                        session_of[position] = number(w.next(), "a session")?;
                        if w.next() != Some("START") {
                            return Err(format!("track {n}: START missing"));
                        }
                        let start: i32 = number(w.next(), "a start")?;
                        let shift = i64::from(start) - i64::from(track.start.0);
                        if shift < 0 {
                            return Err(format!(
                                "track {n} would start before where its data lies"
                            ));
                        }
                        track.start = Lba(start);
                        for index in &mut track.indexes {
                            index.lba = Lba(index.lba.0 + shift as i32);
                        }
                        if w.next() != Some("CONTROL") {
                            return Err(format!("track {n}: CONTROL missing"));
                        }
                        track.control = Control(number(w.next(), "control bits")?);
                    }
                    "ISRC" => track.isrc = Some(value.to_string()),
                    "INDEX" => {
                        let mut w = value.split(' ');
                        let number_: u8 = number(w.next(), "an index number")?;
                        let lba: i32 = number(w.next(), "an index address")?;
                        track.indexes.push(Index {
                            number: number_,
                            lba: Lba(lba),
                        });
                    }
                    field => set_text(&mut track.text, field, value)?,
                }
            }
            "" => {}
            other => return Err(format!("unknown line {other}")),
        }
    }
    let mut sessions: Vec<Session> = Vec::new();
    for (track, session) in tracks.into_iter().zip(session_of) {
        match sessions.last_mut() {
            Some(last) if last.number == session => last.tracks.push(track),
            _ => sessions.push(Session {
                number: session,
                tracks: vec![track],
            }),
        }
    }
    disc.sessions = sessions;
    disc.check_layout()?;
    Ok(disc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use discus_core::TrackMode;

    #[test]
    fn sessions_flags_indexes_and_text_come_back() {
        let plain = Disc::single_session(vec![
            Track::new(1, TrackMode::Audio, Lba(0), 60),
            Track::new(2, TrackMode::Mode1, Lba(60), 34),
        ]);
        assert!(entry(&plain).is_none(), "nothing to keep, no entry");
        let mut disc = plain.clone();
        let mut second = disc.sessions[0].tracks.pop().expect("track 2");
        second.start = Lba(11460);
        disc.sessions.push(Session {
            number: 2,
            tracks: vec![second],
        });
        disc.catalog = Some("0000010271955".into());
        disc.text.title = Some("Join us now".into());
        let first = &mut disc.sessions[0].tracks[0];
        first.control = Control(Control::COPY_PERMITTED);
        first.isrc = Some("USABC0000001".into());
        first.indexes.push(Index {
            number: 2,
            lba: Lba(30),
        });
        first.text.performer = Some("Richard S".into());
        let kept = entry(&disc).expect("an entry");
        assert_eq!(
            kept.flags, 0,
            "outside the checksum, so the SHA-1s stay chdman's"
        );
        let mut warnings = Vec::new();
        assert_eq!(restore(plain, &[kept], &mut warnings), disc);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn an_entry_that_does_not_fit_is_ignored_with_a_warning() {
        let plain = Disc::single_session(vec![Track::new(1, TrackMode::Audio, Lba(0), 60)]);
        let bad = Entry::text(
            TAG,
            "DISCUS-CHD 1\nTRACK 7 SESSION 1 START 0 CONTROL 0\n",
            0,
        );
        let mut warnings = Vec::new();
        assert_eq!(restore(plain.clone(), &[bad], &mut warnings), plain);
        assert_eq!(warnings.len(), 1);
    }
}
