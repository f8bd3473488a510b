//! CD-TEXT packs, as NRG's `CDTX` chunk stores them: 18 bytes each, exactly as they sit in the
//! lead-in's R–W subchannel.
//!
//! | byte | field |
//! |---|---|
//! | 0 | pack type: 0x80 title, 0x81 performer, 0x82 songwriter, … 0x8F size information |
//! | 1 | track number the pack's first character belongs to (bit 7: extension flag) |
//! | 2 | sequence number, counting every pack of the block from 0 |
//! | 3 | bit 7 double-byte text; bits 6–4 block number; bits 3–0 characters of the current string before this pack (at most 15) |
//! | 4–15 | 12 bytes of text: NUL-terminated strings, disc first, then track by track |
//! | 16–17 | CRC-16 (polynomial 0x1021, inverted), big-endian |
//!
//! The three 0x8F packs of a block hold, in their 36 text bytes: character set, first track, last
//! track, copyright flags, the number of packs of each type 0x80–0x8F, the last sequence number of
//! each of the 8 blocks and each block's language code.
//!
//! Reading decodes block 0 (single-byte text) into the model's title, performer and songwriter;
//! the packs themselves travel unchanged. Writing makes packs from the model's fields when a
//! source has text but no packs.

use discus_core::sector::subchannel::q_crc;
use discus_core::{Disc, Text};

/// Bytes of one pack.
pub(crate) const PACK_SIZE: usize = 18;
/// Text bytes in one pack.
const TEXT_SIZE: usize = 12;
/// Pack types of the fields the model holds, in order: title, performer, songwriter.
const FIELD_TYPES: [u8; 3] = [0x80, 0x81, 0x82];
/// The size-information pack type.
const SIZE_INFO: u8 = 0x8F;
/// Character set code of ISO 8859-1, which also covers plain ASCII.
const LATIN1: u8 = 0x00;
/// Language code of English, the usual block 0 language.
const ENGLISH: u8 = 0x09;

/// The text fields that block 0 of a set of packs carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Decoded {
    /// Disc fields.
    pub disc: Text,
    /// Track fields by track number.
    pub tracks: Vec<(u8, Text)>,
}

fn field(text: &mut Text, kind: u8) -> &mut Option<String> {
    match kind {
        0x80 => &mut text.title,
        0x81 => &mut text.performer,
        _ => &mut text.songwriter,
    }
}

/// Decodes the single-byte text of block 0. Returns `None` when there is none to decode (no
/// packs of block 0, or double-byte text, which is left to the raw packs).
pub(crate) fn decode(packs: &[u8]) -> Option<Decoded> {
    let packs: Vec<&[u8]> = packs
        .chunks_exact(PACK_SIZE)
        .filter(|p| (p[3] >> 4) & 0x07 == 0)
        .collect();
    if packs.iter().any(|p| p[3] & 0x80 != 0) {
        return None;
    }
    let charset = packs
        .iter()
        .find(|p| p[0] == SIZE_INFO && p[1] == 0)
        .map_or(LATIN1, |p| p[4]);
    if charset != LATIN1 && charset != 0x01 {
        return None;
    }
    let mut decoded = Decoded::default();
    let mut found = false;
    for kind in FIELD_TYPES {
        let mut of_kind: Vec<&[u8]> = packs.iter().copied().filter(|p| p[0] == kind).collect();
        of_kind.sort_by_key(|p| p[2]);
        let Some(first) = of_kind.first() else {
            continue;
        };
        let first_track = first[1] & 0x7F;
        let bytes: Vec<u8> = of_kind
            .iter()
            .flat_map(|p| p[4..16].iter().copied())
            .collect();
        let mut previous: Option<String> = None;
        for (track, raw) in (first_track..=99).zip(bytes.split(|&b| b == 0)) {
            // A lone TAB means "the same as the previous track".
            let value = if raw == b"\t" {
                previous.clone()
            } else {
                Some(raw.iter().map(|&b| char::from(b)).collect::<String>())
            };
            if let Some(value) = value.clone().filter(|v| !v.is_empty()) {
                found = true;
                if track == 0 {
                    *field(&mut decoded.disc, kind) = Some(value);
                } else {
                    let at = match decoded.tracks.iter().position(|(n, _)| *n == track) {
                        Some(at) => at,
                        None => {
                            decoded.tracks.push((track, Text::default()));
                            decoded.tracks.len() - 1
                        }
                    };
                    if let Some((_, text)) = decoded.tracks.get_mut(at) {
                        *field(text, kind) = Some(value);
                    }
                }
            }
            previous = value;
        }
    }
    decoded.tracks.sort_by_key(|(n, _)| *n);
    found.then_some(decoded)
}

/// Makes block 0 packs (ISO 8859-1, English) from the disc's text fields, or `None` when the disc
/// has no text, its track numbers do not run without gaps, or the text needs more than the 256
/// packs a block can hold. Characters outside ISO 8859-1 become `?`.
pub(crate) fn encode(disc: &Disc) -> Option<Vec<u8>> {
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
        let get = |text: &Text| -> Option<String> {
            match kind {
                0x80 => text.title.clone(),
                0x81 => text.performer.clone(),
                _ => text.songwriter.clone(),
            }
        };
        if texts.iter().all(|t| get(t).is_none_or(|v| v.is_empty())) {
            continue;
        }
        // The stream of strings, each byte tagged with its track and its place in its string.
        let mut stream: Vec<(u8, u8, usize)> = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let track = if i == 0 { 0 } else { first + (i - 1) as u8 };
            let value = get(text).unwrap_or_default();
            let bytes = value
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .chain(std::iter::once(0));
            for (position, byte) in bytes.enumerate() {
                stream.push((byte, track, position));
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
    if packs.is_empty() || packs.len() + 3 > 256 {
        return None;
    }
    counts[usize::from(SIZE_INFO & 0x0F)] = 3;
    let last_sequence = (packs.len() + 2) as u8;
    let mut info = [0u8; 36];
    info[0] = LATIN1;
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
        let crc = q_crc(&pack[..16]);
        pack[16..].copy_from_slice(&crc.to_be_bytes());
        out.extend_from_slice(&pack);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use discus_core::{Lba, Track, TrackMode};

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

    #[test]
    fn decodes_the_packs_of_p1() {
        let decoded = decode(&unhex(P1_PACKS)).unwrap();
        assert_eq!(
            decoded.disc.title.as_deref(),
            Some("Join us now we have the software")
        );
        assert_eq!(decoded.disc.performer.as_deref(), Some("Richard Stallman"));
        assert!(decoded.tracks.is_empty());
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
        let decoded = decode(&packs).unwrap();
        assert_eq!(decoded.disc, disc.text);
        assert_eq!(
            decoded.tracks[1].1.title.as_deref(),
            Some("Second ? with a dash")
        );
        assert_eq!(decoded.tracks[0].1.songwriter.as_deref(), Some("Someone"));
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
        assert_eq!(decode(&[]), None);
    }
}
