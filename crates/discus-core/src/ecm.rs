//! ECM (Neill Corlett's Error Code Modeler): a raw image file with the sync, header, EDC and ECC
//! of its data sectors left out, rebuilt on reading. Any format's raw data file may arrive as
//! `name.ecm` (`game.bin.ecm`), so the decoder lives here, behind [`Input`], and every reader of
//! data files reads through it.
//!
//! The file is `ECM\0`, then records, then an end mark and the EDC of the whole decoded file.
//! A record starts with a type and a count: the first byte holds the type (bits 0–1), the low 5
//! bits of count − 1 (bits 2–6) and a continuation bit (7); each further byte adds 7 bits with
//! its own continuation bit. A count − 1 of 0xFFFFFFFF ends the records. The types:
//!
//! | type | decodes to | stored per unit |
//! |---|---|---|
//! | 0 | `count` literal bytes | the bytes |
//! | 1 | `count` raw Mode 1 sectors (2352 bytes) | 3 address bytes + 2048 data |
//! | 2 | `count` Mode 2 Form 1 sectors after their 16-byte header (2336 bytes) | 4 subheader bytes + 2048 data |
//! | 3 | `count` Mode 2 Form 2 sectors after their header (2336 bytes) | 4 subheader bytes + 2324 data |
//!
//! Mode 2 sync and headers travel as literals. [`encode`] makes the same bytes as the `ecm` tool:
//! it looks for a sector at every byte, in the tool's order.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};
use crate::flat::read_exact_at;
use crate::sector::{SYNC, ecc, edc};

/// The first four bytes of an ECM file.
pub const MAGIC: &[u8; 4] = b"ECM\0";

/// Bytes a record unit decodes to and is stored in, by type.
const fn sizes(kind: u8) -> (u64, u64) {
    match kind {
        0 => (1, 1),
        1 => (2352, 3 + 2048),
        2 => (2336, 4 + 2048),
        _ => (2336, 4 + 2324),
    }
}

/// One record: `count` units of `kind`, stored from `input`, decoding to bytes from `output`.
#[derive(Clone, Copy, Debug)]
struct Record {
    kind: u8,
    count: u64,
    input: u64,
    output: u64,
}

/// An ECM file opened for random access: its records indexed by where they decode to.
#[derive(Debug)]
pub struct EcmFile {
    path: PathBuf,
    file: File,
    records: Vec<Record>,
    len: u64,
    /// The EDC of the decoded file, stored after the end mark.
    stored_edc: u32,
}

impl EcmFile {
    /// Reads the record headers of `path` (the data is read when asked for) and checks that
    /// every record lies inside the file.
    pub fn open(path: &Path) -> Result<EcmFile> {
        let file = File::open(path).with_path(path)?;
        let file_len = file.metadata().with_path(path)?.len();
        let mut reader = BufReader::with_capacity(1 << 16, &file);
        let mut magic = [0u8; 4];
        reader
            .read_exact(&mut magic)
            .map_err(|_| Error::at_offset(path, 0, "shorter than the ECM signature"))?;
        if &magic != MAGIC {
            return Err(Error::at_offset(
                path,
                0,
                "no ECM signature ('ECM' and a zero byte)",
            ));
        }
        let mut at = 4u64;
        let mut output = 0u64;
        let mut records = Vec::new();
        let byte = |reader: &mut BufReader<&File>, at: u64| -> Result<u8> {
            let mut b = [0u8; 1];
            reader.read_exact(&mut b).map_err(|_| {
                Error::at_offset(
                    path,
                    at,
                    "the file ends inside a record header (no end mark)",
                )
            })?;
            Ok(b[0])
        };
        loop {
            let header_at = at;
            let mut c = byte(&mut reader, at)?;
            at += 1;
            let kind = c & 3;
            let mut count = u64::from((c >> 2) & 0x1F);
            let mut bits = 5;
            while c & 0x80 != 0 {
                if bits > 32 {
                    return Err(Error::at_offset(
                        path,
                        header_at,
                        "a record count longer than 32 bits",
                    ));
                }
                c = byte(&mut reader, at)?;
                at += 1;
                count |= u64::from(c & 0x7F) << bits;
                bits += 7;
            }
            if count == 0xFFFF_FFFF {
                break;
            }
            let count = count + 1;
            if count >= 0x8000_0000 {
                return Err(Error::at_offset(
                    path,
                    header_at,
                    format!("a record of {count} units"),
                ));
            }
            let (unit_out, unit_in) = sizes(kind);
            let stored = count * unit_in;
            if at + stored > file_len {
                return Err(Error::at_offset(
                    path,
                    header_at,
                    format!(
                        "the record needs {stored} bytes; the file ends {} bytes after it",
                        file_len - at
                    ),
                ));
            }
            records.push(Record {
                kind,
                count,
                input: at,
                output,
            });
            reader.seek_relative(stored as i64).with_path(path)?;
            at += stored;
            output += count * unit_out;
        }
        let mut trailer = [0u8; 4];
        reader.read_exact(&mut trailer).map_err(|_| {
            Error::at_offset(
                path,
                at,
                "the file ends before the EDC that follows the end mark",
            )
        })?;
        Ok(EcmFile {
            path: path.to_path_buf(),
            file,
            records,
            len: output,
            stored_edc: u32::from_le_bytes(trailer),
        })
    }

    /// Bytes the file decodes to.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file decodes to nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Fills `buf` with the decoded bytes from `offset`.
    pub fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        if offset + buf.len() as u64 > self.len {
            return Err(Error::at_offset(
                &self.path,
                offset,
                format!(
                    "reading {} bytes past the decoded end ({} bytes)",
                    buf.len(),
                    self.len
                ),
            ));
        }
        let mut first = self
            .records
            .partition_point(|r| r.output <= offset)
            .saturating_sub(1);
        let mut done = 0usize;
        let mut unit = vec![0u8; 2352];
        let mut stored = vec![0u8; 2352];
        while done < buf.len() {
            let record = *self.records.get(first).ok_or_else(|| {
                Error::at_offset(&self.path, offset, "no record holds this offset")
            })?;
            let (unit_out, unit_in) = sizes(record.kind);
            let end = record.output + record.count * unit_out;
            let pos = offset + done as u64;
            if pos >= end {
                first += 1;
                continue;
            }
            let into = pos - record.output;
            if record.kind == 0 {
                let take = (buf.len() - done).min((end - pos) as usize);
                read_exact_at(
                    &self.file,
                    &self.path,
                    &mut buf[done..done + take],
                    record.input + into,
                )?;
                done += take;
                continue;
            }
            let index = into / unit_out;
            let within = (into % unit_out) as usize;
            let stored = &mut stored[..unit_in as usize];
            read_exact_at(
                &self.file,
                &self.path,
                stored,
                record.input + index * unit_in,
            )?;
            let unit = &mut unit[..unit_out as usize];
            rebuild(record.kind, stored, unit);
            let take = (buf.len() - done).min(unit.len() - within);
            buf[done..done + take].copy_from_slice(&unit[within..within + take]);
            done += take;
        }
        Ok(())
    }

    /// Decodes the whole file and compares its EDC with the one the file stores.
    pub fn verify(&self) -> Result<()> {
        let mut running = edc::Running::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut at = 0u64;
        while at < self.len {
            let take = (self.len - at).min(buf.len() as u64) as usize;
            self.read_exact_at(&mut buf[..take], at)?;
            running.update(&buf[..take]);
            at += take as u64;
        }
        if running.value() != self.stored_edc {
            return Err(Error::at_offset(
                &self.path,
                0,
                format!(
                    "the decoded data's EDC is {:08x}; the file says {:08x}: the file is damaged",
                    running.value(),
                    self.stored_edc
                ),
            ));
        }
        Ok(())
    }
}

/// Rebuilds one unit of `kind` (1, 2 or 3) from what the file stores of it.
fn rebuild(kind: u8, stored: &[u8], out: &mut [u8]) {
    let mut sector = [0u8; 2352];
    match kind {
        1 => {
            sector[..12].copy_from_slice(&SYNC);
            sector[12..15].copy_from_slice(&stored[..3]);
            sector[15] = 1;
            sector[16..2064].copy_from_slice(&stored[3..2051]);
            let edc = edc::compute(&sector[..2064]);
            sector[2064..2068].copy_from_slice(&edc.to_le_bytes());
            ecc::write(&mut sector);
            out.copy_from_slice(&sector);
        }
        2 => {
            // The ECC of Form 1 is computed with a zero header.
            sector[16..20].copy_from_slice(&stored[..4]);
            sector[20..24].copy_from_slice(&stored[..4]);
            sector[24..2072].copy_from_slice(&stored[4..2052]);
            let edc = edc::compute(&sector[16..2072]);
            sector[2072..2076].copy_from_slice(&edc.to_le_bytes());
            ecc::write(&mut sector);
            out.copy_from_slice(&sector[16..]);
        }
        _ => {
            sector[16..20].copy_from_slice(&stored[..4]);
            sector[20..24].copy_from_slice(&stored[..4]);
            sector[24..2348].copy_from_slice(&stored[4..2328]);
            let edc = edc::compute(&sector[16..2348]);
            sector[2348..2352].copy_from_slice(&edc.to_le_bytes());
            out.copy_from_slice(&sector[16..]);
        }
    }
}

/// The type the `ecm` tool gives the bytes at the start of `data` (its `check_type`): 1 for a
/// whole Mode 1 sector (only when `mode1_fits`), 2 for a Mode 2 Form 1 and 3 for a Form 2 sector
/// after its header, each only when what ECM leaves out regenerates; else 0, a literal byte.
fn unit_type(data: &[u8], mode1_fits: bool) -> u8 {
    let mut one = mode1_fits
        && data[..12] == SYNC
        && data[0x0F] == 1
        && data[0x814..0x81C].iter().all(|&b| b == 0);
    let mut two = data[..4] == data[4..8];
    let mut three = two;
    if !(one || two) {
        return 0;
    }
    if two && edc::compute(&data[..0x808]).to_le_bytes() != data[0x808..0x80C] {
        two = false;
    }
    if one && edc::compute(&data[..0x810]).to_le_bytes() != data[0x810..0x814] {
        one = false;
    }
    if three && edc::compute(&data[..0x91C]).to_le_bytes() != data[0x91C..0x920] {
        three = false;
    }
    if one {
        let sector: &[u8; 2352] = data[..2352]
            .try_into()
            .expect("mode1_fits means 2352 bytes");
        one = ecc::matches(sector);
    }
    if two {
        let mut sector = [0u8; 2352];
        sector[16..].copy_from_slice(&data[..2336]);
        two = ecc::matches(&sector);
    }
    match (one, two, three) {
        (true, _, _) => 1,
        (_, true, _) => 2,
        (_, _, true) => 3,
        _ => 0,
    }
}

/// The record header of `count` units of `kind`.
fn type_count(kind: u8, count: u64, out: &mut Vec<u8>) {
    let mut c = count.wrapping_sub(1) & 0xFFFF_FFFF;
    out.push(((u8::from(c >= 32)) << 7) | (((c & 31) as u8) << 2) | kind);
    c >>= 5;
    while c != 0 {
        out.push((u8::from(c >= 128) << 7) | (c & 127) as u8);
        c >>= 7;
    }
}

/// Encodes `len` bytes of `input` (read from its start) as ECM into `out`, byte for byte what the
/// `ecm` tool writes: a first pass finds the runs of each type, a second writes them.
pub fn encode<R: Read + Seek>(
    input: &mut R,
    len: u64,
    path: &Path,
    out: &mut impl Write,
) -> Result<()> {
    input.seek(SeekFrom::Start(0)).with_path(path)?;
    // Pass 1: the runs, as (type, count).
    let mut runs: Vec<(u8, u64)> = Vec::new();
    let mut window: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut start = 0usize;
    let mut read = 0u64;
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        let avail = window.len() - start;
        if avail < 2352 && read < len {
            window.drain(..start);
            start = 0;
            let take = ((len - read) as usize).min(chunk.len());
            input.read_exact(&mut chunk[..take]).with_path(path)?;
            window.extend_from_slice(&chunk[..take]);
            read += take as u64;
            continue;
        }
        if avail == 0 {
            break;
        }
        let kind = if avail < 2336 {
            0
        } else {
            unit_type(&window[start..], avail >= 2352)
        };
        match runs.last_mut() {
            Some((k, n)) if *k == kind => *n += 1,
            _ => runs.push((kind, 1)),
        }
        start += sizes(kind).0 as usize;
    }
    // Pass 2: the records.
    input.seek(SeekFrom::Start(0)).with_path(path)?;
    let mut running = edc::Running::new();
    let mut record = Vec::with_capacity(1 << 20);
    out.write_all(MAGIC).with_path(path)?;
    let mut unit = vec![0u8; 2352];
    for (kind, count) in runs {
        record.clear();
        type_count(kind, count, &mut record);
        out.write_all(&record).with_path(path)?;
        if kind == 0 {
            let mut left = count;
            while left > 0 {
                let take = left.min(chunk.len() as u64) as usize;
                input.read_exact(&mut chunk[..take]).with_path(path)?;
                running.update(&chunk[..take]);
                out.write_all(&chunk[..take]).with_path(path)?;
                left -= take as u64;
            }
            continue;
        }
        let size = sizes(kind).0 as usize;
        for _ in 0..count {
            let unit = &mut unit[..size];
            input.read_exact(unit).with_path(path)?;
            running.update(unit);
            let kept: &[u8] = match kind {
                1 => {
                    out.write_all(&unit[0x0C..0x0F]).with_path(path)?;
                    &unit[0x10..0x810]
                }
                2 => &unit[4..0x808],
                _ => &unit[4..0x91C],
            };
            out.write_all(kept).with_path(path)?;
        }
    }
    record.clear();
    type_count(0, 0, &mut record);
    out.write_all(&record).with_path(path)?;
    out.write_all(&running.value().to_le_bytes())
        .with_path(path)?;
    Ok(())
}

/// A data file of an image: a plain file, or an ECM file read as what it decodes to.
#[derive(Debug)]
pub enum Input {
    /// A plain file.
    Plain(File),
    /// An ECM file.
    Ecm(Box<EcmFile>),
}

impl Input {
    /// Opens `path`, as ECM when it starts with the ECM signature.
    pub fn open(path: &Path) -> Result<Input> {
        let file = File::open(path).with_path(path)?;
        let mut magic = [0u8; 4];
        let is_ecm = file.metadata().with_path(path)?.len() >= 4
            && read_exact_at(&file, path, &mut magic, 0).is_ok()
            && &magic == MAGIC;
        if is_ecm {
            Ok(Input::Ecm(Box::new(EcmFile::open(path)?)))
        } else {
            Ok(Input::Plain(file))
        }
    }

    /// Bytes of data (decoded, for ECM).
    pub fn len(&self, path: &Path) -> Result<u64> {
        match self {
            Input::Plain(file) => Ok(file.metadata().with_path(path)?.len()),
            Input::Ecm(ecm) => Ok(ecm.len()),
        }
    }

    /// Fills `buf` from `offset`, naming `path` on failure.
    pub fn read_exact_at(&self, path: &Path, buf: &mut [u8], offset: u64) -> Result<()> {
        match self {
            Input::Plain(file) => read_exact_at(file, path, buf, offset),
            Input::Ecm(ecm) => ecm.read_exact_at(buf, offset),
        }
    }
}

/// The file a sheet means by `path`: `path` itself, or `path.ecm` beside it when only that exists
/// (`game.bin` → `game.bin.ecm`).
pub fn resolve(path: &Path) -> Option<PathBuf> {
    if path.is_file() {
        return Some(path.to_path_buf());
    }
    let mut with_ecm = path.as_os_str().to_os_string();
    with_ecm.push(".ecm");
    let with_ecm = PathBuf::from(with_ecm);
    with_ecm.is_file().then_some(with_ecm)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::address::Lba;
    use crate::sector::{DATA_SUBHEADER, encode_form1, encode_mode1, encode_mode2};

    /// Mode 1 sectors, Mode 2 Form 1 and Form 2 sectors, audio noise and an odd tail.
    fn image() -> Vec<u8> {
        let mut out = Vec::new();
        let mut sector = [0u8; 2352];
        for i in 0..3 {
            let user: Vec<u8> = (0..2048).map(|b| (b * 7 + i) as u8).collect();
            encode_mode1(Lba(i), &user, &mut sector);
            out.extend_from_slice(&sector);
        }
        for i in 3..5 {
            let user: Vec<u8> = (0..2048).map(|b| (b * 3 + i) as u8).collect();
            encode_form1(Lba(i), DATA_SUBHEADER, &user, &mut sector);
            out.extend_from_slice(&sector);
        }
        let mut body = vec![0u8; 2336];
        body[..8].copy_from_slice(&[1, 2, 0x20, 0, 1, 2, 0x20, 0]);
        for (i, b) in body[8..2332].iter_mut().enumerate() {
            *b = (i * 5) as u8;
        }
        encode_mode2(Lba(5), &body, &mut sector);
        out.extend_from_slice(&sector);
        out.extend((0..5000).map(|i| (i * 31 % 251) as u8));
        out
    }

    fn encoded(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(
            &mut std::io::Cursor::new(data),
            data.len() as u64,
            Path::new("x"),
            &mut out,
        )
        .unwrap();
        out
    }

    #[test]
    fn i15_3_encoding_keeps_only_what_does_not_regenerate_and_decodes_back() {
        let data = image();
        let ecm = encoded(&data);
        // 3 Mode 1 sectors in one record (2051 bytes each), then per Mode 2 sector 16 literal
        // bytes and a record of its own; the audio as literals.
        assert_eq!(&ecm[..4], MAGIC);
        assert_eq!(ecm[4], (2 << 2) | 1);
        assert!(ecm.len() < data.len() - 3 * 300);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.bin.ecm");
        std::fs::write(&path, &ecm).unwrap();
        let file = EcmFile::open(&path).unwrap();
        assert_eq!(file.len(), data.len() as u64);
        file.verify().unwrap();
        let mut back = vec![0u8; data.len()];
        file.read_exact_at(&mut back, 0).unwrap();
        assert!(back == data);
        // Any window reads the same as the whole.
        for (offset, len) in [
            (1usize, 5000usize),
            (2350, 4),
            (2352 * 3 + 15, 2400),
            (data.len() - 7, 7),
        ] {
            let mut part = vec![0u8; len];
            file.read_exact_at(&mut part, offset as u64).unwrap();
            assert!(part[..] == data[offset..offset + len], "{offset}+{len}");
        }
    }

    #[test]
    fn i15_3_the_end_mark_and_counts_are_written_as_the_tool_writes_them() {
        let mut header = Vec::new();
        type_count(0, 0, &mut header);
        assert_eq!(header, [0xFC, 0xFF, 0xFF, 0xFF, 0x3F]);
        header.clear();
        type_count(2, 33, &mut header);
        // Count − 1 = 32: low five bits 0 with the continuation bit, then 1.
        assert_eq!(header, [0x82, 1]);
        assert_eq!(
            encoded(b""),
            [
                b'E', b'C', b'M', 0, 0xFC, 0xFF, 0xFF, 0xFF, 0x3F, 0, 0, 0, 0
            ]
        );
    }

    #[test]
    fn i15_3_damage_is_found_by_the_edc_and_truncation_by_offset() {
        let data = image();
        let mut ecm = encoded(&data);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.ecm");
        // A flipped data byte of the first Mode 1 sector: the sector rebuilds with other EDC/ECC,
        // and the file's EDC no longer matches.
        ecm[5 + 3 + 100] ^= 1;
        std::fs::write(&path, &ecm).unwrap();
        let said = EcmFile::open(&path)
            .unwrap()
            .verify()
            .unwrap_err()
            .to_string();
        assert!(said.contains("damaged"), "{said}");
        std::fs::write(&path, &ecm[..ecm.len() / 2]).unwrap();
        let said = EcmFile::open(&path).unwrap_err().to_string();
        assert!(said.contains("byte offset"), "{said}");
        std::fs::write(&path, b"ECM\0\xff").unwrap();
        assert!(EcmFile::open(&path).is_err());
    }
}
