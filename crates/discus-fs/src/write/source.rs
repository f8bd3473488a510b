//! The image being created, as a [`SectorSource`] of one Mode 1 track in 2048-byte form: the
//! metadata blocks are held rendered, each file's blocks are read from the file when the writer
//! asks for them (holes of a sparse file read as zeros without being read), and the block of a
//! boot image that carries the boot-info table is served from the patched copy. Any format's
//! writer takes it like any other source.

use std::fs::File;
use std::path::{Path, PathBuf};

use discus_core::flat::read_exact_at;
use discus_core::{Disc, Error, Form, Lba, Result, SectorSource};

use super::iso9660::BLOCK;

/// A file's data in the image.
#[derive(Debug)]
pub(crate) struct Span {
    pub block: u64,
    pub size: u64,
    pub path: PathBuf,
    /// Device and inode when the folder was read.
    pub identity: Option<(u64, u64)>,
}

impl Span {
    fn end(&self) -> u64 {
        self.block + self.size.div_ceil(BLOCK as u64)
    }
}

/// Opens a file the folder scan found, refusing one that is no longer the same file: opening
/// follows links, so a file swapped for a link (or another file) since the folder was read would
/// put whatever that points at into the image.
pub(crate) fn open_scanned(path: &Path, identity: Option<(u64, u64)>) -> Result<File> {
    let file = discus_core::output::open_input(path)?;
    let opened = file.metadata().map_err(|e| Error::io(path, e))?;
    if super::scan::identity(&opened) != identity {
        return Err(Error::io(
            path,
            std::io::Error::other(
                "was replaced (by a link or another file) while the image was written",
            ),
        ));
    }
    Ok(file)
}

/// A folder laid out as an image.
pub struct Created {
    pub(crate) disc: Disc,
    /// Blocks `0..head.len() / BLOCK`: descriptors, tables, folders.
    pub(crate) head: Vec<u8>,
    /// File data, by block.
    pub(crate) spans: Vec<Span>,
    /// Blocks after the file data (UDF's closing anchor), from `tail_start`.
    pub(crate) tail: Vec<u8>,
    pub(crate) tail_start: u64,
    /// Whole blocks served instead of a file's own (the boot image's first block).
    pub(crate) overlay: Vec<(u64, Vec<u8>)>,
    pub(crate) warnings: Vec<String>,
    /// The file last read from, kept open.
    open: Option<(usize, File)>,
}

impl Created {
    pub(crate) fn new(
        head: Vec<u8>,
        spans: Vec<Span>,
        tail: Vec<u8>,
        total: u32,
        overlay: Vec<(u64, Vec<u8>)>,
        warnings: Vec<String>,
    ) -> Created {
        let tail_start = u64::from(total) - (tail.len() / BLOCK) as u64;
        Created {
            disc: Disc::user_data_image(total),
            head,
            spans,
            tail,
            tail_start,
            overlay,
            warnings,
            open: None,
        }
    }

    /// Blocks in the image.
    pub fn blocks(&self) -> u64 {
        self.disc.tracks().map(|t| u64::from(t.length)).sum()
    }

    /// Fills `out` with file `index`'s data from `block` on (whole blocks; past its end zeros).
    fn read_span(&mut self, index: usize, block: u64, out: &mut [u8]) -> Result<()> {
        let span = &self.spans[index];
        let offset = (block - span.block) * BLOCK as u64;
        let stored = usize::try_from(span.size.saturating_sub(offset))
            .unwrap_or(usize::MAX)
            .min(out.len());
        let (path, size, identity) = (span.path.clone(), span.size, span.identity);
        if !matches!(&self.open, Some((i, _)) if *i == index) {
            self.open = Some((index, open_scanned(&path, identity)?));
        }
        let Some((_, file)) = &self.open else {
            return Ok(());
        };
        read_exact_at(file, &path, &mut out[..stored], offset).map_err(|e| {
            Error::at_offset(
                &path,
                offset,
                format!("the file changed while the image was written ({e})"),
            )
        })?;
        out[stored..].fill(0);
        if offset + stored as u64 == size {
            // The last bytes: the file must not have grown since it was measured.
            let now = file.metadata().map_err(|e| Error::io(&path, e))?.len();
            if now != size {
                return Err(Error::at_offset(
                    &path,
                    size,
                    format!(
                        "the file changed size while the image was written ({size} bytes when the folder was read, {now} now)"
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl SectorSource for Created {
    fn disc(&self) -> &Disc {
        &self.disc
    }

    fn stored_form(&self, _: usize) -> Form {
        Form::Cooked
    }

    fn read(&mut self, _: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
        let first = u64::try_from(lba.0)
            .map_err(|_| Error::Usage(format!("LBA {lba} is before the image")))?;
        let count = (buf.len() / BLOCK) as u64;
        let head_blocks = (self.head.len() / BLOCK) as u64;
        let mut block = first;
        while block < first + count {
            let at = ((block - first) as usize) * BLOCK;
            let left = first + count - block;
            let run = if block < head_blocks {
                let n = left.min(head_blocks - block);
                let from = block as usize * BLOCK;
                buf[at..at + n as usize * BLOCK]
                    .copy_from_slice(&self.head[from..from + n as usize * BLOCK]);
                n
            } else if block >= self.tail_start {
                let n = left;
                let from = (block - self.tail_start) as usize * BLOCK;
                let bytes = n as usize * BLOCK;
                match self.tail.get(from..from + bytes) {
                    Some(data) => buf[at..at + bytes].copy_from_slice(data),
                    None => {
                        return Err(Error::Usage(format!("block {block} is past the image")));
                    }
                }
                n
            } else {
                // The span holding the block, or the gap before the next one.
                let index = self.spans.partition_point(|s| s.block <= block);
                match index
                    .checked_sub(1)
                    .filter(|&i| self.spans[i].end() > block)
                {
                    Some(i) => {
                        let n = left.min(self.spans[i].end() - block);
                        let bytes = n as usize * BLOCK;
                        self.read_span(i, block, &mut buf[at..at + bytes])?;
                        n
                    }
                    None => {
                        let next = self
                            .spans
                            .get(index)
                            .map_or(self.tail_start, |s| s.block)
                            .min(self.tail_start);
                        let n = left.min(next.saturating_sub(block)).max(1);
                        buf[at..at + n as usize * BLOCK].fill(0);
                        n
                    }
                }
            };
            block += run;
        }
        for (patched, data) in &self.overlay {
            if (first..first + count).contains(patched) {
                let at = ((patched - first) as usize) * BLOCK;
                buf[at..at + BLOCK].copy_from_slice(data);
            }
        }
        Ok(())
    }

    fn files(&self) -> Vec<PathBuf> {
        self.spans.iter().map(|s| s.path.clone()).collect()
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}
