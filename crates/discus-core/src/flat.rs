//! The simplest image shape, shared by every format that is "one file of equal sectors, one
//! track": a plain ISO, a raw IMG/BIN without a sheet, a lone MDF. Reading is one positioned read
//! per run of sectors; writing appends the sectors and commits the file.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::address::Lba;
use crate::disc::Disc;
use crate::error::{Error, Result};
use crate::output::{Destination, Output, commit};
use crate::sector::Form;
use crate::stream::{SectorSink, SectorSource};

/// Reads a sheet (a cue, TOC or GDI: text of a few KiB) whole, refusing one over `max` bytes
/// without loading it: at most `max + 1` bytes are ever read, whatever the file is (a huge file,
/// a device). `what` names the kind of sheet in the refusal.
pub fn read_sheet(path: &Path, max: u64, what: &str) -> Result<Vec<u8>> {
    let file = crate::output::open_input(path)?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, max + 1), &mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(Error::at_offset(
            path,
            0,
            format!("{what} is text of a few KiB; this file is over {max} bytes"),
        ));
    }
    Ok(bytes)
}

/// Reads exactly `buf.len()` bytes at `offset`, naming `path` on failure. A short file is reported
/// as invalid input at the offset where the data ran out.
pub fn read_exact_at(file: &File, path: &Path, buf: &mut [u8], offset: u64) -> Result<()> {
    if buf.len() >= HOLE_READ_MIN && in_hole(file, offset, buf.len()) {
        buf.fill(0);
        return Ok(());
    }
    let mut done = 0usize;
    while done < buf.len() {
        let at = offset + done as u64;
        match read_at(file, &mut buf[done..], at) {
            Ok(0) => {
                return Err(Error::at_offset(
                    path,
                    at,
                    format!("the file ends {} bytes early", buf.len() - done),
                ));
            }
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(())
}

/// Reads at least this long first ask the file system whether they fall in a hole.
const HOLE_READ_MIN: usize = 64 * 1024;

/// Whether the `len` bytes at `offset` lie wholly in a hole of a sparse file, so they read as
/// zeros without the kernel filling page after page of them (a blank DVD area, a padded image).
/// Where the file system cannot say, the bytes are read as usual.
#[cfg(target_os = "linux")]
fn in_hole(file: &File, offset: u64, len: usize) -> bool {
    let end = offset.saturating_add(len as u64);
    match rustix::fs::seek(file, rustix::fs::SeekFrom::Data(offset)) {
        Ok(next_data) => next_data >= end,
        // No data at or after `offset`: a hole up to the end of the file, or past the end, which
        // the ordinary read reports as a short file.
        Err(rustix::io::Errno::NXIO) => file.metadata().is_ok_and(|m| m.len() >= end),
        Err(_) => false,
    }
}

#[cfg(not(target_os = "linux"))]
fn in_hole(_: &File, _: u64, _: usize) -> bool {
    false
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

/// A source over one file holding the sectors of a one-track disc back to back, starting at
/// `offset` bytes with the track's first stored sector.
#[derive(Debug)]
pub struct FlatSource {
    path: PathBuf,
    file: File,
    disc: Disc,
    form: Form,
    offset: u64,
    details: Vec<(String, String)>,
    warnings: Vec<String>,
    left_out: Vec<String>,
}

impl FlatSource {
    /// A source for `disc` (one track) stored in `form` from byte `offset` of `path`.
    pub fn new(path: &Path, file: File, disc: Disc, form: Form, offset: u64) -> FlatSource {
        FlatSource {
            path: path.to_path_buf(),
            file,
            disc,
            form,
            offset,
            details: Vec::new(),
            warnings: Vec::new(),
            left_out: Vec::new(),
        }
    }

    /// Adds a fact for `discus info`.
    pub fn with_detail(mut self, label: &str, value: impl Into<String>) -> FlatSource {
        self.details.push((label.to_string(), value.into()));
        self
    }

    /// Adds a warning about what was tolerated while opening.
    pub fn with_warning(mut self, warning: impl Into<String>) -> FlatSource {
        self.warnings.push(warning.into());
        self
    }

    /// Adds what the file holds but the disc leaves out (see [`SectorSource::left_out`]).
    pub fn with_left_out(mut self, lost: impl Into<String>) -> FlatSource {
        self.left_out.push(lost.into());
        self
    }
}

impl SectorSource for FlatSource {
    fn disc(&self) -> &Disc {
        &self.disc
    }

    fn stored_form(&self, _track: usize) -> Form {
        self.form
    }

    fn read(&mut self, track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
        let first = self
            .disc
            .track(track)
            .ok_or_else(|| Error::Usage(format!("no track at index {track}")))?
            .first_lba();
        let index = u64::try_from(lba.distance_from(first))
            .map_err(|_| Error::Usage(format!("LBA {lba} is before the track")))?;
        let offset = self.offset + index * self.form.size() as u64;
        read_exact_at(&self.file, &self.path, buf, offset)
    }

    fn files(&self) -> Vec<PathBuf> {
        vec![self.path.clone()]
    }

    fn details(&self) -> Vec<(String, String)> {
        self.details.clone()
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    fn left_out(&self) -> Vec<String> {
        self.left_out.clone()
    }
}

/// A sink that appends every sector it gets to one file.
#[derive(Debug)]
pub struct FlatSink {
    output: Output,
}

impl FlatSink {
    /// Starts writing `destination.path`.
    pub fn create(destination: &Destination) -> Result<FlatSink> {
        Ok(FlatSink {
            output: destination.create(&destination.path)?,
        })
    }
}

impl SectorSink for FlatSink {
    fn write(&mut self, _track: usize, sectors: &[u8]) -> Result<()> {
        self.output.put(sectors)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        commit([self.output])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i12_3_holes_read_as_zeros_and_the_end_is_still_the_end() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sparse.iso");
        let file = File::create(&path).expect("create");
        std::io::Write::write_all(&mut &file, &[7u8; 4096]).expect("write");
        file.set_len(8 << 20).expect("set_len");
        let file = File::open(&path).expect("open");
        let mut buf = vec![1u8; 1 << 20];
        // Data, then a hole (maybe skipped), then the hole at the end of the file.
        read_exact_at(&file, &path, &mut buf, 0).expect("read data");
        assert!(buf[..4096].iter().all(|&b| b == 7) && buf[4096..].iter().all(|&b| b == 0));
        buf.fill(1);
        read_exact_at(&file, &path, &mut buf, 2 << 20).expect("read hole");
        assert!(buf.iter().all(|&b| b == 0));
        buf.fill(1);
        read_exact_at(&file, &path, &mut buf, 7 << 20).expect("read the last MiB");
        assert!(buf.iter().all(|&b| b == 0));
        // A read past the end is a short file, hole or not.
        let error = read_exact_at(&file, &path, &mut buf, (7 << 20) + 1).unwrap_err();
        assert!(error.to_string().contains("ends 1 bytes early"), "{error}");
    }
}
