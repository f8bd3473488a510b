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

/// Reads exactly `buf.len()` bytes at `offset`, naming `path` on failure. A short file is reported
/// as invalid input at the offset where the data ran out.
pub fn read_exact_at(file: &File, path: &Path, buf: &mut [u8], offset: u64) -> Result<()> {
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
