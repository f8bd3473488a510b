//! Output safety: every output goes to a temporary file beside its final name and is renamed into
//! place only when the whole conversion succeeded. Dropping an [`Output`] removes its temporary file,
//! so an error or a panic leaves nothing behind.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};

/// Where a conversion writes, and the rules it writes by.
#[derive(Clone, Debug)]
pub struct Destination {
    /// The output the user named (the descriptor for multi-file formats).
    pub path: PathBuf,
    /// Replace outputs that exist.
    pub force: bool,
    /// Files that must never be replaced: the inputs.
    pub inputs: Vec<PathBuf>,
}

impl Destination {
    /// Checks that `path` may be written: it is not an input, and it does not exist unless `force`.
    pub fn check(&self, path: &Path) -> Result<()> {
        for input in &self.inputs {
            if same_file::is_same_file(input, path).unwrap_or(false) {
                return Err(Error::OutputIsInput {
                    path: path.to_path_buf(),
                });
            }
        }
        if path.exists() && !self.force {
            return Err(Error::OutputExists {
                path: path.to_path_buf(),
            });
        }
        Ok(())
    }

    /// Starts the output `path`: checked, then written to a temporary file in its folder.
    pub fn create(&self, path: &Path) -> Result<Output> {
        self.check(path)?;
        let folder = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".discus-").suffix(".part");
        // A temporary file is private (0600) by default; the output is an ordinary file, so it
        // gets the mode a plain create would give it (0666 less the umask).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let temp = builder.tempfile_in(folder).with_path(path)?;
        Ok(Output {
            path: path.to_path_buf(),
            writer: BufWriter::with_capacity(1 << 20, temp),
            hole_end: 0,
        })
    }

    /// A sibling of the main output with the same stem and another extension (`x.cue` → `x.bin`).
    pub fn sibling(&self, extension: &str) -> PathBuf {
        self.path.with_extension(extension)
    }

    /// A file in the output's folder.
    pub fn in_folder(&self, name: &str) -> PathBuf {
        match self.path.parent() {
            Some(parent) => parent.join(name),
            None => PathBuf::from(name),
        }
    }

    /// The output's file stem as text.
    pub fn stem(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "disc".to_string())
    }
}

/// Runs of zeros at least this long are skipped over (a hole) instead of written.
const HOLE_MIN: usize = 64 * 1024;

/// Zeros to compare against: slice equality is a `memcmp`, fast even in unoptimised builds.
static ZEROS: [u8; HOLE_MIN] = [0; HOLE_MIN];

/// Whether `data` is all zero bytes.
fn all_zero(data: &[u8]) -> bool {
    data.chunks(HOLE_MIN)
        .all(|chunk| chunk == &ZEROS[..chunk.len()])
}

/// One output file being written.
///
/// A large write of nothing but zeros (a blank DVD area, a padded image) moves the position on
/// without writing, leaving a hole the file system stores for free; the file is extended to its
/// full length when it is committed, so it reads back byte for byte as written.
#[derive(Debug)]
pub struct Output {
    path: PathBuf,
    writer: BufWriter<tempfile::NamedTempFile>,
    /// The end of the last hole skipped over: the file must be at least this long.
    hole_end: u64,
}

impl Output {
    /// The final name.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes all of `data`, naming the output on failure.
    pub fn put(&mut self, data: &[u8]) -> Result<()> {
        if data.len() >= HOLE_MIN && all_zero(data) {
            let end = self
                .writer
                .seek(SeekFrom::Current(data.len() as i64))
                .with_path(&self.path)?;
            self.hole_end = self.hole_end.max(end);
            return Ok(());
        }
        self.writer.write_all(data).with_path(&self.path)
    }

    /// Writes `data` at `offset`, for headers and indexes that are known only at the end.
    pub fn put_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        let path = self.path.clone();
        let end = self.writer.stream_position().with_path(&path)?;
        self.writer.seek(SeekFrom::Start(offset)).with_path(&path)?;
        self.writer.write_all(data).with_path(&path)?;
        self.writer.seek(SeekFrom::Start(end)).with_path(&path)?;
        Ok(())
    }

    /// Bytes written so far (the current position).
    pub fn position(&mut self) -> Result<u64> {
        self.writer.stream_position().with_path(&self.path)
    }

    fn flushed(self) -> Result<(PathBuf, tempfile::NamedTempFile)> {
        let (path, hole_end) = (self.path, self.hole_end);
        let temp = self
            .writer
            .into_inner()
            .map_err(|e| Error::io(&path, e.into_error()))?;
        // A hole at the end is not part of the file until its length says so.
        let len = temp.as_file().metadata().with_path(&path)?.len();
        if len < hole_end {
            temp.as_file().set_len(hole_end).with_path(&path)?;
        }
        temp.as_file().sync_all().with_path(&path)?;
        Ok((path, temp))
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

impl Seek for Output {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.writer.seek(pos)
    }
}

/// Renames every output into place, in the order given: put data files first and the descriptor
/// last, so a reader never finds a descriptor whose data is missing. If a rename fails, the outputs
/// already renamed are removed again.
pub fn commit(outputs: impl IntoIterator<Item = Output>) -> Result<()> {
    let flushed = outputs
        .into_iter()
        .map(Output::flushed)
        .collect::<Result<Vec<_>>>()?;
    let mut placed: Vec<PathBuf> = Vec::new();
    for (path, temp) in flushed {
        if let Err(e) = temp.persist(&path) {
            for done in &placed {
                let _ = std::fs::remove_file(done);
            }
            return Err(Error::io(&path, e.error));
        }
        placed.push(path);
    }
    Ok(())
}

/// Opens an input file for reading, naming it on failure.
pub fn open_input(path: &Path) -> Result<File> {
    File::open(path).with_path(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i12_3_zero_runs_become_holes_and_read_back_as_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("out.img");
        let destination = Destination {
            path: path.clone(),
            force: false,
            inputs: Vec::new(),
        };
        let mut output = destination.create(&path).expect("create");
        let zeros = vec![0u8; 4 * HOLE_MIN];
        output.put(b"head").expect("put");
        output.put(&zeros).expect("hole");
        output.put(b"middle").expect("put");
        // A trailing hole must still count in the file's length.
        output.put(&zeros).expect("hole");
        commit([output]).expect("commit");
        let mut expected = b"head".to_vec();
        expected.extend(&zeros);
        expected.extend(b"middle");
        expected.extend(&zeros);
        assert_eq!(std::fs::read(&path).expect("read"), expected);
    }
}
