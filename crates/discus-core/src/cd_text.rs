//! CD-TEXT packs: the 18-byte records a disc's lead-in carries in its R–W subchannel, which
//! NRG (`CDTX`), CDI (the disc block), a cue sheet's `CDTEXTFILE` and CloneCD (`[CDText]`) store
//! as they are. This module turns them into the model's title, performer and songwriter and makes
//! them from it, so every format that holds packs gives the same disc.
//!
//! | byte | field |
//! |---|---|
//! | 0 | pack type: 0x80 title, 0x81 performer, 0x82 songwriter, … 0x8F size information |
//! | 1 | track number the pack's first character belongs to (0 the disc; bit 7: extension flag) |
//! | 2 | sequence number, counting every pack of the block from 0 |
//! | 3 | bit 7 double-byte text; bits 6–4 block number; bits 3–0 characters of the current string before this pack (at most 15) |
//! | 4–15 | 12 bytes of text: NUL-terminated strings, disc first, then track by track |
//! | 16–17 | CRC-16 (polynomial 0x1021, inverted), big-endian |
//!
//! A block is one language. Its three 0x8F packs hold, in their 36 text bytes: character set,
//! first track, last track, copyright flags, the number of packs of each type 0x80–0x8F, the last
//! sequence number of each of the 8 blocks and each block's language code. A string that is a
//! lone TAB means "the same as the track before".
//!
//! [`decode`] reads the single-byte text (ISO 8859-1 or ASCII) of block 0, the first language,
//! which is what the model has room for; the packs themselves travel unchanged in
//! [`Disc::cd_text_packs`]. Damaged packs never stop it:
//!
//! - a wrong CRC (or none: some tools leave the field zero): the text is read as it is —
//!   libcdio and libmirage do not check it either, and an image has no second copy of the pack to
//!   read instead;
//! - bytes after the last whole pack, a sequence number seen twice (the first pack is read), a
//!   sequence number missing, a pack whose track or character position does not follow on from
//!   the pack before: each strand of text is resynchronised at the next pack by its track number
//!   and character position, so a lost pack costs the strings it held, not every string after it;
//! - a string cut off at the end of its packs is not read.
//!
//! Each is one warning sentence in [`Decoded::warnings`]. Nothing is allocated beyond one
//! block's 256 packs, whatever the input holds. [`encode`] makes block 0 (ISO 8859-1, English)
//! from the model's fields, CRCs included, for targets that store packs when a source has text
//! but none.

use crate::disc::{Disc, Text};
use crate::sector::subchannel::q_crc;

/// Bytes of one pack.
pub const PACK_SIZE: usize = 18;
/// Text bytes in one pack.
const TEXT_SIZE: usize = 12;
/// Pack types of the fields the model holds, in order: title, performer, songwriter.
const FIELD_TYPES: [u8; 3] = [0x80, 0x81, 0x82];
/// The size-information pack type.
const SIZE_INFO: u8 = 0x8F;
/// Character set code of ISO 8859-1.
const ISO_8859_1: u8 = 0x00;
/// Character set code of 7-bit ASCII, a part of ISO 8859-1.
const ASCII: u8 = 0x01;
/// Language code of English, the usual block 0 language.
const ENGLISH: u8 = 0x09;
/// The highest track number a pack can name.
const LAST_TRACK: u8 = 99;
/// A sequence number is one byte: a block has at most this many packs.
const BLOCK_PACKS: usize = 256;

/// The CRC-16 a pack's first 16 bytes should carry in its last two.
pub fn crc(pack: &[u8; PACK_SIZE]) -> u16 {
    q_crc(&pack[..16])
}

/// Whether a pack's stored CRC is the one its bytes give.
pub fn crc_matches(pack: &[u8; PACK_SIZE]) -> bool {
    u16::from_be_bytes([pack[16], pack[17]]) == crc(pack)
}

/// The text fields block 0 of a set of packs carries, and what was wrong with the packs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// Disc fields.
    pub disc: Text,
    /// Track fields by track number, in order, only tracks with a field set.
    pub tracks: Vec<(u8, Text)>,
    /// One sentence per kind of damage found (no file name: the caller says where the packs are).
    pub warnings: Vec<String>,
}

impl Decoded {
    /// Whether no field was decoded.
    pub fn is_empty(&self) -> bool {
        self.disc.is_empty() && self.tracks.iter().all(|(_, t)| t.is_empty())
    }

    /// Puts the decoded fields on `disc` where it has none of its own: a field a format states
    /// itself (a sheet's TITLE line, a CDI track block's title) is kept over the one the packs
    /// give. Returns a sentence for each field where the two differ, and for each track the
    /// packs name that the disc does not have.
    pub fn fill(&self, disc: &mut Disc) -> Vec<String> {
        let mut notes = Vec::new();
        fill_text(&mut disc.text, &self.disc, "the disc", &mut notes);
        let mut absent = Vec::new();
        for (number, text) in &self.tracks {
            let track = disc
                .sessions
                .iter_mut()
                .flat_map(|s| s.tracks.iter_mut())
                .find(|t| t.number == *number);
            match track {
                Some(track) => {
                    fill_text(
                        &mut track.text,
                        text,
                        &format!("track {number}"),
                        &mut notes,
                    );
                }
                None => absent.push(usize::from(*number)),
            }
        }
        if !absent.is_empty() {
            notes.push(format!(
                "the CD-TEXT packs give text for track {}, which the disc does not have; it is not read",
                ranges(&absent)
            ));
        }
        notes
    }
}

fn fill_text(into: &mut Text, from: &Text, whose: &str, notes: &mut Vec<String>) {
    for kind in FIELD_TYPES {
        let Some(value) = get(from, kind) else {
            continue;
        };
        let slot = field(into, kind);
        match slot {
            None => *slot = Some(value),
            Some(own) if *own != value => notes.push(format!(
                "{whose}: the {} {own:?} is kept; the CD-TEXT packs give {value:?}",
                name(kind)
            )),
            Some(_) => {}
        }
    }
}

fn field(text: &mut Text, kind: u8) -> &mut Option<String> {
    match kind {
        0x80 => &mut text.title,
        0x81 => &mut text.performer,
        _ => &mut text.songwriter,
    }
}

fn get(text: &Text, kind: u8) -> Option<String> {
    match kind {
        0x80 => text.title.clone(),
        0x81 => text.performer.clone(),
        _ => text.songwriter.clone(),
    }
}

fn name(kind: u8) -> &'static str {
    match kind {
        0x80 => "title",
        0x81 => "performer",
        _ => "songwriter",
    }
}

/// The block a pack belongs to.
fn block_of(pack: &[u8; PACK_SIZE]) -> u8 {
    (pack[3] >> 4) & 0x07
}

/// Numbers in order as ranges: `3, 5–9`.
fn ranges(numbers: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(&first) = numbers.get(i) {
        let mut last = first;
        while numbers.get(i + 1) == Some(&(last + 1)) {
            last += 1;
            i += 1;
        }
        out.push(if first == last {
            first.to_string()
        } else {
            format!("{first}–{last}")
        });
        i += 1;
    }
    out.join(", ")
}

/// What every reader of stored packs does with them: the whole packs become the disc's
/// [`Disc::cd_text_packs`] (unchanged, for targets that store packs), and their text goes onto
/// the disc where it has none of its own ([`Decoded::fill`]). Returns the warnings of both, for
/// the caller to say where the packs are.
pub fn read_into(disc: &mut Disc, bytes: &[u8]) -> Vec<String> {
    let decoded = decode(bytes);
    let mut warnings = decoded.warnings.clone();
    warnings.extend(decoded.fill(disc));
    let whole = bytes.as_chunks::<PACK_SIZE>().0.as_flattened();
    if !whole.is_empty() {
        disc.cd_text_packs = Some(whole.to_vec());
    }
    warnings
}

/// Decodes the single-byte text of block 0. Damage is reported in [`Decoded::warnings`] and
/// read around (see the module's documentation); double-byte text and character sets other
/// than ISO 8859-1 and ASCII are not decoded (the packs still travel).
pub fn decode(bytes: &[u8]) -> Decoded {
    let mut decoded = Decoded::default();
    let (packs, rest) = bytes.as_chunks::<PACK_SIZE>();
    if !rest.is_empty() {
        decoded.warnings.push(format!(
            "the last {} bytes of the CD-TEXT are not a whole 18-byte pack and are not read",
            rest.len()
        ));
    }

    // Block 0 by sequence number.
    let mut block: [Option<&[u8; PACK_SIZE]>; BLOCK_PACKS] = [None; BLOCK_PACKS];
    let (mut repeated, mut wrong_crc, mut first_wrong) = (0usize, 0usize, None);
    for pack in packs.iter().filter(|p| block_of(p) == 0) {
        let sequence = usize::from(pack[2]);
        if block[sequence].is_some() {
            repeated += 1;
            continue;
        }
        if !crc_matches(pack) {
            wrong_crc += 1;
            first_wrong.get_or_insert(sequence);
        }
        block[sequence] = Some(pack);
    }
    let present: Vec<usize> = (0..BLOCK_PACKS).filter(|&s| block[s].is_some()).collect();
    let Some(&highest) = present.last() else {
        return decoded;
    };
    let no_crc = present
        .iter()
        .all(|&s| block[s].is_some_and(|p| p[16..] == [0, 0]));
    if no_crc {
        // Some tools leave the field empty rather than compute it: one sentence, not a count.
        decoded.warnings.push(
            "the CD-TEXT packs of block 0 carry no CRC (all zero); their text is read as it is"
                .to_string(),
        );
    } else if wrong_crc > 0 {
        decoded.warnings.push(format!(
            "{wrong_crc} of the {} CD-TEXT packs of block 0 have a wrong CRC (the first: sequence number {}); their text is read as it is",
            present.len(),
            first_wrong.unwrap_or(0)
        ));
    }
    if repeated > 0 {
        decoded.warnings.push(format!(
            "{repeated} CD-TEXT packs repeat a sequence number of block 0; the first pack of each number is read"
        ));
    }
    // The size information says where block 0 ends; packs may be missing after the last one
    // present as well as between.
    let size_info = |track: u8| {
        present
            .iter()
            .filter_map(|&s| block[s])
            .find(|p| p[0] == SIZE_INFO && p[1] == track)
    };
    let last = size_info(1).map_or(highest, |p| usize::from(p[12]).max(highest));
    let missing: Vec<usize> = (0..=last).filter(|&s| block[s].is_none()).collect();
    if !missing.is_empty() {
        decoded.warnings.push(format!(
            "block 0 of the CD-TEXT lacks the packs with sequence numbers {}; the strings they held are not read",
            ranges(&missing)
        ));
    }
    if present
        .iter()
        .any(|&s| block[s].is_some_and(|p| p[3] & 0x80 != 0))
    {
        decoded.warnings.push(
            "block 0 of the CD-TEXT holds double-byte text, which discus does not decode; the packs are kept as they are"
                .to_string(),
        );
        return decoded;
    }
    let charset = size_info(0).map_or(ISO_8859_1, |p| p[4]);
    if charset != ISO_8859_1 && charset != ASCII {
        decoded.warnings.push(format!(
            "block 0 of the CD-TEXT is in character set {charset:#04x} (0x80 is Shift-JIS), which discus does not decode; the packs are kept as they are"
        ));
        return decoded;
    }

    let mut tracks: Vec<Text> = vec![Text::default(); usize::from(LAST_TRACK) + 1];
    for kind in FIELD_TYPES {
        let of_kind = present
            .iter()
            .filter_map(|&s| block[s].map(|p| (s, p)))
            .filter(|(_, p)| p[0] == kind);
        decode_strand(of_kind, kind, &mut tracks, &mut decoded.warnings);
    }
    let mut tracks = tracks.into_iter().enumerate();
    if let Some((_, disc)) = tracks.next() {
        decoded.disc = disc;
    }
    decoded.tracks = tracks
        .filter(|(_, t)| !t.is_empty())
        .map(|(n, t)| (n as u8, t))
        .collect();
    decoded
}

/// Reads the strings of one pack type (in sequence order) into `tracks`.
fn decode_strand<'a>(
    packs: impl Iterator<Item = (usize, &'a [u8; PACK_SIZE])>,
    kind: u8,
    tracks: &mut [Text],
    warnings: &mut Vec<String>,
) {
    // The track the string being read belongs to, and its bytes so far.
    let mut track = 0u8;
    let mut string: Vec<u8> = Vec::new();
    // The string of the track before, which a lone TAB repeats.
    let mut previous: Option<String> = None;
    let mut before: Option<usize> = None;
    let mut out_of_step = 0usize;
    for (sequence, pack) in packs {
        let pack_track = pack[1] & 0x7F;
        let position = usize::from(pack[3] & 0x0F);
        let in_step = before.is_some_and(|b| b + 1 == sequence)
            && pack_track == track
            && position == string.len().min(15);
        let mut text = &pack[4..4 + TEXT_SIZE];
        if !in_step {
            // A first pack, or a pack after a lost one: start again from what this pack says
            // of itself. A pack that begins inside a string whose start is lost skips to the
            // string's end.
            if before.is_some() {
                out_of_step += 1;
            }
            string.clear();
            previous = None;
            track = pack_track;
            if position > 0 {
                match text.iter().position(|&b| b == 0) {
                    Some(end) => {
                        text = &text[end + 1..];
                        track = track.saturating_add(1);
                    }
                    None => text = &[],
                }
            }
        }
        for &byte in text {
            if byte != 0 {
                string.push(byte);
                continue;
            }
            let value = if string == b"\t" {
                previous.clone()
            } else {
                Some(string.iter().map(|&b| char::from(b)).collect::<String>())
            };
            if let Some(value) = value.clone().filter(|v| !v.is_empty())
                && let Some(text) = tracks.get_mut(usize::from(track))
            {
                *field(text, kind) = Some(value);
            }
            previous = value;
            string.clear();
            track = track.saturating_add(1);
        }
        before = Some(sequence);
    }
    if out_of_step > 0 {
        warnings.push(format!(
            "{out_of_step} CD-TEXT {} packs do not follow on from the pack before (a sequence number, track or character position out of step); the strings they cut are not read",
            name(kind)
        ));
    }
    if !string.is_empty() {
        warnings.push(format!(
            "the CD-TEXT {} packs end inside the string of track {track}; it is not read",
            name(kind)
        ));
    }
}

/// Makes block 0 packs (ISO 8859-1, English) from the disc's text fields, or `None` when the disc
/// has no text, its track numbers do not run without gaps, or the text needs more than the 256
/// packs a block can hold. Characters outside ISO 8859-1 become `?`.
pub fn encode(disc: &Disc) -> Option<Vec<u8>> {
    let tracks: Vec<_> = disc.tracks().collect();
    let first = tracks.first()?.number;
    let last = tracks.last()?.number;
    if tracks
        .iter()
        .enumerate()
        .any(|(i, t)| usize::from(t.number) != usize::from(first) + i)
    {
        return None;
    }
    let texts: Vec<&Text> = std::iter::once(&disc.text)
        .chain(tracks.iter().map(|t| &t.text))
        .collect();
    let mut packs: Vec<[u8; PACK_SIZE]> = Vec::new();
    let mut counts = [0u8; 16];
    for kind in FIELD_TYPES {
        if texts
            .iter()
            .all(|t| get(t, kind).is_none_or(|v| v.is_empty()))
        {
            continue;
        }
        // The stream of strings, each byte tagged with its track and its place in its string.
        let mut stream: Vec<(u8, u8, usize)> = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let track = if i == 0 { 0 } else { first + (i - 1) as u8 };
            let value = get(text, kind).unwrap_or_default();
            let bytes = value
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .chain(std::iter::once(0));
            for (position, byte) in bytes.enumerate() {
                stream.push((byte, track, position));
            }
            // Never more than a block: stop collecting as soon as it cannot fit.
            if stream.len() > BLOCK_PACKS * TEXT_SIZE {
                return None;
            }
        }
        for piece in stream.chunks(TEXT_SIZE) {
            let (_, track, position) = piece[0];
            let mut pack = [0u8; PACK_SIZE];
            pack[0] = kind;
            pack[1] = track;
            pack[3] = position.min(15) as u8;
            for (slot, (byte, _, _)) in pack[4..16].iter_mut().zip(piece) {
                *slot = *byte;
            }
            packs.push(pack);
            let count = &mut counts[usize::from(kind & 0x0F)];
            *count = count.saturating_add(1);
        }
    }
    if packs.is_empty() || packs.len() + 3 > BLOCK_PACKS {
        return None;
    }
    counts[usize::from(SIZE_INFO & 0x0F)] = 3;
    let last_sequence = (packs.len() + 2) as u8;
    let mut info = [0u8; 36];
    info[0] = ISO_8859_1;
    info[1] = first;
    info[2] = last;
    info[4..20].copy_from_slice(&counts);
    info[20] = last_sequence;
    info[28] = ENGLISH;
    for (i, piece) in info.chunks(TEXT_SIZE).enumerate() {
        let mut pack = [0u8; PACK_SIZE];
        pack[0] = SIZE_INFO;
        pack[1] = i as u8;
        pack[4..16].copy_from_slice(piece);
        packs.push(pack);
    }
    let mut out = Vec::with_capacity(packs.len() * PACK_SIZE);
    for (sequence, mut pack) in packs.into_iter().enumerate() {
        pack[2] = sequence as u8;
        let crc = crc(&pack);
        pack[16..].copy_from_slice(&crc.to_be_bytes());
        out.extend_from_slice(&pack);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Lba, Track, TrackMode};

    /// The CDTX payload of libcdio's test image p1.nrg (8 packs).
    const P1_PACKS: &str = "800000004a6f696e207573206e6f77204b438000010c77652068617665207468652010e48000020f736f66747761726500000000a3098100030052696368617264205374616c81638100040c6c6d616e0000000000000000634b8f000500000102000302000000000000a6058f01060000000000000000030700000094f08f020700000000000900000000000000ea42";

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn p1_disc() -> Disc {
        let mut disc = Disc::single_session(vec![
            Track::new(1, TrackMode::Audio, Lba(150), 75),
            Track::new(2, TrackMode::Audio, Lba(300), 2),
        ]);
        disc.text.title = Some("Join us now we have the software".into());
        disc.text.performer = Some("Richard Stallman".into());
        disc
    }

    /// A disc of `count` audio tracks with a title and performer each, and the disc's.
    fn titled(count: u8) -> Disc {
        let mut disc = Disc::single_session(
            (1..=count)
                .map(|n| Track::new(n, TrackMode::Audio, Lba(i32::from(n) * 100), 100))
                .collect(),
        );
        disc.text.title = Some("Album".into());
        disc.text.performer = Some("Band".into());
        for track in &mut disc.sessions[0].tracks {
            track.text.title = Some(format!("Song number {}", track.number));
            track.text.performer = Some(format!("P{}", track.number));
        }
        disc
    }

    fn pack_at(i: usize) -> std::ops::Range<usize> {
        i * PACK_SIZE..(i + 1) * PACK_SIZE
    }

    #[test]
    fn decodes_the_packs_of_p1() {
        let decoded = decode(&unhex(P1_PACKS));
        assert_eq!(
            decoded.disc.title.as_deref(),
            Some("Join us now we have the software")
        );
        assert_eq!(decoded.disc.performer.as_deref(), Some("Richard Stallman"));
        assert!(decoded.tracks.is_empty());
        assert!(decoded.warnings.is_empty(), "{:?}", decoded.warnings);
    }

    #[test]
    fn encodes_what_nero_wrote_for_p1() {
        // Same text, same packs, byte for byte (CRCs included).
        assert_eq!(encode(&p1_disc()).unwrap(), unhex(P1_PACKS));
    }

    #[test]
    fn track_text_round_trips() {
        let mut disc = p1_disc();
        disc.sessions[0].tracks[1].text.title = Some("Second — with a dash".into());
        disc.sessions[0].tracks[0].text.songwriter = Some("Someone".into());
        let packs = encode(&disc).unwrap();
        assert_eq!(packs.len() % PACK_SIZE, 0);
        let decoded = decode(&packs);
        assert_eq!(decoded.disc, disc.text);
        assert_eq!(
            decoded.tracks[1].1.title.as_deref(),
            Some("Second ? with a dash")
        );
        assert_eq!(decoded.tracks[0].1.songwriter.as_deref(), Some("Someone"));
        assert!(decoded.warnings.is_empty(), "{:?}", decoded.warnings);
    }

    #[test]
    fn short_strings_in_one_pack_go_to_successive_tracks() {
        // "A\0B\0C\0…" puts several tracks' titles in one pack whose track number is the first's.
        let mut disc = Disc::single_session(
            (1..=5)
                .map(|n| Track::new(n, TrackMode::Audio, Lba(i32::from(n) * 100), 100))
                .collect(),
        );
        for track in &mut disc.sessions[0].tracks {
            track.text.title = Some(char::from(b'A' + track.number).to_string());
        }
        let decoded = decode(&encode(&disc).unwrap());
        let titles: Vec<_> = decoded
            .tracks
            .iter()
            .map(|(n, t)| (*n, t.title.clone().unwrap()))
            .collect();
        assert_eq!(
            titles,
            [(1, "B"), (2, "C"), (3, "D"), (4, "E"), (5, "F")].map(|(n, s)| (n, s.to_string()))
        );
    }

    #[test]
    fn a_lone_tab_repeats_the_track_before() {
        let mut packs = Vec::new();
        let mut pack = [0u8; PACK_SIZE];
        pack[0] = 0x81;
        pack[4..16].copy_from_slice(b"Band\0Solo\0\t\0");
        let crc = crc(&pack);
        pack[16..].copy_from_slice(&crc.to_be_bytes());
        packs.extend_from_slice(&pack);
        let decoded = decode(&packs);
        assert_eq!(decoded.disc.performer.as_deref(), Some("Band"));
        let performers: Vec<_> = decoded
            .tracks
            .iter()
            .map(|(n, t)| (*n, t.performer.as_deref()))
            .collect();
        assert_eq!(performers, [(1, Some("Solo")), (2, Some("Solo"))]);
    }

    #[test]
    fn i15_4_a_wrong_crc_is_a_warning_and_the_text_is_read() {
        let mut packs = encode(&p1_disc()).unwrap();
        packs[pack_at(1).end - 1] ^= 0xFF;
        let decoded = decode(&packs);
        assert_eq!(
            decoded.disc.title.as_deref(),
            Some("Join us now we have the software")
        );
        assert_eq!(decoded.warnings.len(), 1, "{:?}", decoded.warnings);
        assert!(
            decoded.warnings[0].contains("1 of the 8 CD-TEXT packs of block 0 have a wrong CRC")
                && decoded.warnings[0].contains("sequence number 1"),
            "{:?}",
            decoded.warnings
        );
    }

    #[test]
    fn packs_without_crcs_are_one_warning() {
        let mut packs = encode(&p1_disc()).unwrap();
        for pack in packs.chunks_exact_mut(PACK_SIZE) {
            pack[16..].fill(0);
        }
        let decoded = decode(&packs);
        assert_eq!(decoded.disc, p1_disc().text);
        assert_eq!(
            decoded.warnings,
            ["the CD-TEXT packs of block 0 carry no CRC (all zero); their text is read as it is"]
        );
    }

    #[test]
    fn i15_4_a_truncated_stream_reads_what_is_whole() {
        let packs = encode(&titled(3)).unwrap();
        // Cut inside the performer packs: the titles are whole, the performers up to the cut.
        let performers = packs
            .chunks_exact(PACK_SIZE)
            .position(|p| p[0] == 0x81)
            .unwrap();
        let cut = &packs[..(performers + 1) * PACK_SIZE + 7];
        let decoded = decode(cut);
        assert_eq!(decoded.disc.title.as_deref(), Some("Album"));
        assert_eq!(decoded.disc.performer.as_deref(), Some("Band"));
        assert_eq!(decoded.tracks.len(), 3);
        assert!(
            decoded
                .tracks
                .iter()
                .all(|(n, t)| t.title.as_deref() == Some(&format!("Song number {n}")[..])),
            "{decoded:?}"
        );
        // "Band\0P1\0P2\0P" is the first performer pack: P3 is cut, so is the size information.
        assert_eq!(decoded.tracks[1].1.performer.as_deref(), Some("P2"));
        assert_eq!(decoded.tracks[2].1.performer, None);
        let said = decoded.warnings.join("\n");
        assert!(said.contains("the last 7 bytes"), "{said}");
        assert!(
            said.contains("performer packs end inside the string of track 3"),
            "{said}"
        );
        // Every cut, at every byte: no panic, and never text that was not written.
        for len in 0..packs.len() {
            let decoded = decode(&packs[..len]);
            for (n, text) in &decoded.tracks {
                if let Some(title) = &text.title {
                    assert_eq!(title, &format!("Song number {n}"));
                }
            }
        }
    }

    #[test]
    fn i15_4_a_lost_pack_costs_only_its_strings() {
        let disc = titled(9);
        let packs = encode(&disc).unwrap();
        // Drop the third title pack: the strings it touched go, the later ones come back by the
        // next pack's track number and character position.
        let dropped = 2;
        let mut damaged = packs[..pack_at(dropped).start].to_vec();
        damaged.extend_from_slice(&packs[pack_at(dropped).end..]);
        let decoded = decode(&damaged);
        let said = decoded.warnings.join("\n");
        assert!(
            said.contains("lacks the packs with sequence numbers 2;"),
            "{said}"
        );
        assert!(
            said.contains("1 CD-TEXT title packs do not follow on"),
            "{said}"
        );
        let titles: Vec<(u8, Option<&str>)> = decoded
            .tracks
            .iter()
            .map(|(n, t)| (*n, t.title.as_deref()))
            .collect();
        for (n, title) in &titles {
            if let Some(title) = title {
                assert_eq!(*title, format!("Song number {n}"));
            }
        }
        // The lost pack held the middle of track 2's title and the start of track 3's: those two
        // go, every other comes back.
        let missing: Vec<u8> = titles
            .iter()
            .filter(|(_, t)| t.is_none())
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(missing, [2, 3], "{titles:?}");
        // Performers are untouched.
        assert_eq!(
            decoded
                .tracks
                .iter()
                .filter(|(_, t)| t.performer.is_some())
                .count(),
            9
        );
    }

    #[test]
    fn repeated_packs_and_other_blocks() {
        let packs = encode(&p1_disc()).unwrap();
        // The whole block twice (a lead-in read that went round again), then the same packs as
        // block 1 with other text: block 0 is read once, block 1 not at all.
        let mut twice = packs.clone();
        twice.extend_from_slice(&packs);
        let mut other = encode(&titled(2)).unwrap();
        for pack in other.chunks_exact_mut(PACK_SIZE) {
            pack[3] |= 0x10;
        }
        twice.extend_from_slice(&other);
        let decoded = decode(&twice);
        assert_eq!(decoded.disc, p1_disc().text);
        assert!(decoded.tracks.is_empty());
        assert!(
            decoded.warnings.len() == 1
                && decoded.warnings[0].starts_with("8 CD-TEXT packs repeat"),
            "{:?}",
            decoded.warnings
        );
    }

    #[test]
    fn double_byte_and_other_character_sets_are_not_decoded() {
        let mut packs = encode(&p1_disc()).unwrap();
        let info = packs
            .chunks_exact(PACK_SIZE)
            .position(|p| p[0] == SIZE_INFO)
            .unwrap();
        packs[pack_at(info).start + 4] = 0x80;
        let decoded = decode(&packs);
        assert!(decoded.is_empty());
        assert!(decoded.warnings.iter().any(|w| w.contains("0x80")));
        packs[3] |= 0x80;
        assert!(
            decode(&packs)
                .warnings
                .iter()
                .any(|w| w.contains("double-byte"))
        );
    }

    #[test]
    fn garbage_never_panics() {
        // Deterministic noise in every length up to a few blocks.
        let noise = crate::testing::noise_bytes(PACK_SIZE * 600, 0x1234_5678);
        for len in (0..noise.len()).step_by(37) {
            let _ = decode(&noise[..len]);
        }
        // Every pack claiming to be a block-0 title pack of the disc, 10 KiB of text.
        let mut long = Vec::new();
        for i in 0..600usize {
            let mut pack = [b'x'; PACK_SIZE];
            pack[..4].copy_from_slice(&[0x80, 0, i as u8, 0]);
            long.extend_from_slice(&pack);
        }
        let decoded = decode(&long);
        assert!(decoded.disc.title.is_none());
    }

    #[test]
    fn fill_keeps_the_formats_own_fields() {
        let mut disc = titled(2);
        disc.sessions[0].tracks[1].text.title = Some("Own".into());
        let mut from_packs = titled(2);
        from_packs.sessions[0].tracks[0].text.songwriter = Some("Writer".into());
        let decoded = decode(&encode(&from_packs).unwrap());
        let notes = decoded.fill(&mut disc);
        assert_eq!(
            disc.sessions[0].tracks[1].text.title.as_deref(),
            Some("Own")
        );
        assert_eq!(
            disc.sessions[0].tracks[0].text.songwriter.as_deref(),
            Some("Writer")
        );
        assert_eq!(
            notes,
            ["track 2: the title \"Own\" is kept; the CD-TEXT packs give \"Song number 2\""]
        );
        let mut one = titled(1);
        let notes = decoded.fill(&mut one);
        assert!(
            notes[0].contains("track 2, which the disc does not have"),
            "{notes:?}"
        );
    }

    #[test]
    fn read_into_keeps_the_whole_packs_and_fills_the_text() {
        let mut packs = encode(&p1_disc()).unwrap();
        packs.extend_from_slice(&[0x80, 0, 9]);
        let mut disc = Disc::single_session(vec![Track::new(1, TrackMode::Audio, Lba(0), 75)]);
        disc.text.title = Some("Own title".into());
        let warnings = read_into(&mut disc, &packs);
        assert_eq!(
            disc.cd_text_packs.as_deref(),
            Some(&packs[..packs.len() - 3])
        );
        assert_eq!(disc.text.title.as_deref(), Some("Own title"));
        assert_eq!(disc.text.performer.as_deref(), Some("Richard Stallman"));
        assert_eq!(
            warnings,
            [
                "the last 3 bytes of the CD-TEXT are not a whole 18-byte pack and are not read",
                "the disc: the title \"Own title\" is kept; the CD-TEXT packs give \"Join us now we have the software\""
            ]
        );
        let mut empty = Disc::default();
        assert!(read_into(&mut empty, &packs[..17]).len() == 1 && empty.cd_text_packs.is_none());
    }

    #[test]
    fn text_beyond_one_block_makes_no_packs() {
        let mut disc = p1_disc();
        disc.text.title = Some("x".repeat(5000));
        assert_eq!(encode(&disc), None);
    }

    #[test]
    fn no_text_no_packs() {
        let disc = Disc::single_session(vec![Track::new(1, TrackMode::Mode1, Lba(0), 10)]);
        assert_eq!(encode(&disc), None);
        assert!(decode(&[]).is_empty());
        assert!(decode(&[]).warnings.is_empty());
    }
}
