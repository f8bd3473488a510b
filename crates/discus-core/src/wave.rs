//! Reads the header of a RIFF WAVE file a sheet names as a track's data (a cue sheet's `FILE …
//! WAVE`, a cdrdao TOC's `FILE "x.wav"`): it must hold CD audio (PCM, 16-bit, stereo, 44.1 kHz),
//! and the sectors are the bytes of its `data` chunk, whose little-endian samples are already what
//! a CD-DA sector holds. One reader for every sheet format.

use std::fs::File;
use std::path::Path;

use crate::error::{Error, Result};

/// Reads `buf.len()` bytes at `offset`.
fn read_at(file: &File, path: &Path, offset: u64, buf: &mut [u8]) -> Result<()> {
    crate::flat::read_exact_at(file, path, buf, offset)
}

/// Where the samples are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Samples {
    /// Byte offset of the `data` chunk's contents.
    pub offset: u64,
    /// Bytes of samples.
    pub len: u64,
}

/// Chunks looked at before giving up: a real file has a handful.
const MAX_CHUNKS: usize = 1024;

/// Finds the samples of `file` (`len` bytes long), checking that they are CD audio. A `data`
/// chunk that claims more than the file holds (streaming writers leave the size unset) is cut to
/// the file, with a warning.
pub fn samples(path: &Path, file: &File, len: u64, warnings: &mut Vec<String>) -> Result<Samples> {
    let mut riff = [0u8; 12];
    if len < 12 {
        return Err(Error::at_offset(path, 0, "too short to be a WAVE file"));
    }
    read_at(file, path, 0, &mut riff)?;
    if &riff[..4] == b"RF64" {
        return Err(Error::unsupported(path, "RF64 (64-bit WAVE) files"));
    }
    if &riff[..4] != b"RIFF" || &riff[8..12] != b"WAVE" {
        return Err(Error::at_offset(
            path,
            0,
            "not a RIFF WAVE file (no RIFF/WAVE signature)",
        ));
    }
    let mut at = 12u64;
    let mut format_seen = false;
    for _ in 0..MAX_CHUNKS {
        if at.saturating_add(8) > len {
            break;
        }
        let mut header = [0u8; 8];
        read_at(file, path, at, &mut header)?;
        let size = u64::from(u32::from_le_bytes([
            header[4], header[5], header[6], header[7],
        ]));
        let body = at + 8;
        match &header[..4] {
            b"fmt " => {
                check_format(path, file, body, size, len)?;
                format_seen = true;
            }
            b"data" => {
                if !format_seen {
                    return Err(Error::at_offset(
                        path,
                        at,
                        "the data chunk comes before any fmt chunk",
                    ));
                }
                let available = len - body;
                let len = if size > available {
                    warnings.push(format!(
                        "{}: the data chunk claims {size} bytes but the file holds {available} after it; using {available}",
                        path.display()
                    ));
                    available
                } else {
                    size
                };
                return Ok(Samples { offset: body, len });
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        at = body.saturating_add(size).saturating_add(size & 1);
    }
    Err(Error::at_offset(path, at, "no data chunk in the WAVE file"))
}

fn check_format(path: &Path, file: &File, at: u64, size: u64, len: u64) -> Result<()> {
    if size < 16 || at + 16 > len {
        return Err(Error::at_offset(path, at, "the fmt chunk is too short"));
    }
    let mut fmt = [0u8; 16];
    read_at(file, path, at, &mut fmt)?;
    let word = |i: usize| u16::from_le_bytes([fmt[i], fmt[i + 1]]);
    let tag = word(0);
    let channels = word(2);
    let rate = u32::from_le_bytes([fmt[4], fmt[5], fmt[6], fmt[7]]);
    let bits = word(14);
    // 1 is PCM; 0xFFFE (extensible) carries PCM too when the other fields say CD audio.
    if tag != 1 && tag != 0xFFFE {
        return Err(Error::unsupported(
            path,
            format!("WAVE format tag {tag:#06x}: only PCM audio can be a CD track"),
        ));
    }
    if channels != 2 || rate != 44_100 || bits != 16 {
        return Err(Error::unsupported(
            path,
            format!(
                "WAVE audio of {channels} channel(s), {rate} Hz, {bits} bits: a CD track needs 2 channels, 44100 Hz, 16 bits"
            ),
        ));
    }
    Ok(())
}

/// A RIFF WAVE header (44 bytes) for `data_len` bytes of CD audio, for tests and samples.
pub fn header(data_len: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(44);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&data_len.saturating_add(36).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&44_100u32.to_le_bytes());
    h.extend_from_slice(&(44_100u32 * 4).to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&16u16.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_len.to_le_bytes());
    h
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Write;

    fn open(bytes: &[u8]) -> (tempfile::NamedTempFile, Result<Samples>, Vec<String>) {
        let mut temp = tempfile::NamedTempFile::new().unwrap();
        temp.write_all(bytes).unwrap();
        let mut warnings = Vec::new();
        let got = samples(
            temp.path(),
            temp.as_file(),
            bytes.len() as u64,
            &mut warnings,
        );
        (temp, got, warnings)
    }

    #[test]
    fn finds_data_after_other_chunks() {
        let mut bytes = header(8);
        // Put an odd-sized LIST chunk (padded) between fmt and data.
        let data = bytes.split_off(36);
        bytes.extend_from_slice(b"LIST\x03\x00\x00\x00abc\x00");
        bytes.extend_from_slice(&data);
        bytes.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let (_t, got, warnings) = open(&bytes);
        assert_eq!(got.unwrap(), Samples { offset: 56, len: 8 });
        assert!(warnings.is_empty());
    }

    #[test]
    fn a_data_size_past_the_end_is_cut_with_a_warning() {
        let mut bytes = header(u32::MAX);
        bytes.extend_from_slice(&[0; 12]);
        let (_t, got, warnings) = open(&bytes);
        assert_eq!(
            got.unwrap(),
            Samples {
                offset: 44,
                len: 12
            }
        );
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn refuses_what_is_not_cd_audio() {
        let mut mono = header(0);
        mono[22] = 1;
        let (_t, got, _) = open(&mono);
        assert!(matches!(got, Err(Error::Unsupported { .. })));
        let mut float = header(0);
        float[20] = 3;
        let (_t, got, _) = open(&float);
        assert!(matches!(got, Err(Error::Unsupported { .. })));
        let (_t, got, _) = open(b"RIFX\0\0\0\0WAVEfmt ");
        assert!(matches!(got, Err(Error::Invalid { .. })));
        let mut no_data = header(0);
        no_data.truncate(36);
        let (_t, got, _) = open(&no_data);
        assert!(got.unwrap_err().to_string().contains("no data chunk"));
    }
}
