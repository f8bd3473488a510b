//! Output safety: every output goes to a temporary file beside its final name and is renamed into
//! place only when the whole conversion succeeded. Dropping an [`Output`] removes its temporary file,
//! so an error or a panic leaves nothing behind.
//!
//! The rules every writer gets from here, so no format has to remember them:
//! - only regular files are written or replaced: a folder, FIFO, socket or device node at the output
//!   name is refused, `--force` or not;
//! - an existing file is replaced only with `force`, and the final rename never replaces a file that
//!   appeared while the conversion ran (a second discus, or anyone else, writing the same name);
//! - within one [`Run`] (a batch), a file one conversion put in place is never replaced by
//!   another, `force` or not: two items that name the same file (a sibling such as
//!   `Track 2.bin` included) cannot overwrite each other's output;
//! - a temporary file is named after its output and locked while it is written, so a later run can
//!   tell the leftovers of a killed run (unlocked) from a conversion still under way (locked) and
//!   remove only the first;
//! - durability is a choice: by default nothing waits for the disk (as `cp` does not); with
//!   `durable` each output is flushed before its rename, with the flush started early in the
//!   background so the wait at the end is short, and the folder is flushed after the rename.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::error::{Error, IoContext, Result};

/// Where a conversion writes, and the rules it writes by.
#[derive(Clone, Debug, Default)]
pub struct Destination {
    /// The output the user named (the descriptor for multi-file formats).
    pub path: PathBuf,
    /// Replace outputs that exist.
    pub force: bool,
    /// Files that must never be replaced: the inputs.
    pub inputs: Vec<PathBuf>,
    /// Flush every output to the disk before renaming it into place (and the folder after), so
    /// the output survives a power cut once the conversion reports success. Needed where a source
    /// is deleted on the strength of the output; otherwise a cost the user chooses.
    pub durable: bool,
    /// The run this conversion belongs to, if it is one of several (a batch): see [`Run`].
    pub run: Option<Run>,
}

/// The files the conversions of one run (the items of a batch) have put in place. No conversion
/// given the same `Run` replaces one of them, `force` or not: two items that name the same file —
/// a data file a writer adds beside its sheet included, which no check of the items' main output
/// names can see — would otherwise overwrite each other's output.
#[derive(Clone, Debug, Default)]
pub struct Run(Arc<std::sync::Mutex<std::collections::HashSet<PathBuf>>>);

impl Run {
    /// A new run, with nothing put in place yet.
    pub fn new() -> Run {
        Run::default()
    }
}

impl Destination {
    /// Checks that `path` may be written: it is not an input, it is a regular file or nothing (never
    /// a folder, FIFO or device), it does not exist unless `force`, and its folder exists.
    pub fn check(&self, path: &Path) -> Result<()> {
        let existing = std::fs::metadata(path).ok();
        // Only a regular file is compared with the inputs: comparing opens the file, and opening a
        // FIFO waits for a writer forever.
        if existing.as_ref().is_some_and(std::fs::Metadata::is_file) {
            for input in &self.inputs {
                if same_file::is_same_file(input, path).unwrap_or(false) {
                    return Err(Error::OutputIsInput {
                        path: path.to_path_buf(),
                    });
                }
            }
        }
        if let Some(meta) = existing {
            if meta.is_dir() {
                return Err(Error::Usage(format!(
                    "{}: is a folder; name the output file inside it",
                    path.display()
                )));
            }
            if !meta.is_file() {
                // A FIFO would block the conversion forever, and replacing a device node or a
                // socket is never what a user converting an image means.
                return Err(Error::Usage(format!(
                    "{}: is not a regular file (a FIFO, socket or device); discus writes only regular files",
                    path.display()
                )));
            }
            if !self.force {
                return Err(Error::OutputExists {
                    path: path.to_path_buf(),
                });
            }
        }
        let folder = folder_of(path);
        match std::fs::metadata(folder) {
            Ok(meta) if meta.is_dir() => Ok(()),
            Ok(_) => Err(Error::io(
                path,
                io::Error::new(
                    io::ErrorKind::NotADirectory,
                    format!("{} is not a folder", folder.display()),
                ),
            )),
            Err(e) => Err(Error::io(
                path,
                io::Error::new(
                    e.kind(),
                    format!("cannot use the folder {}: {}", folder.display(), plain(&e)),
                ),
            )),
        }
    }

    /// Starts the output `path`: checked, then written to a temporary file in its folder. Leftover
    /// temporary files of this output from a run that was killed are removed first.
    pub fn create(&self, path: &Path) -> Result<Output> {
        self.check(path)?;
        let folder = folder_of(path);
        let prefix = part_prefix(path);
        remove_stale_parts(folder, &prefix);
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(PART_SUFFIX);
        // A temporary file is private (0600) by default; the output is an ordinary file, so it
        // gets the mode a plain create would give it (0666 less the umask).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let temp = builder.tempfile_in(folder).map_err(|e| {
            // The temporary name means nothing to the user: say which folder refused.
            Error::io(
                path,
                io::Error::new(
                    e.kind(),
                    format!(
                        "cannot write in the folder {}: {}",
                        folder.display(),
                        plain(&e)
                    ),
                ),
            )
        })?;
        // Held until the temporary file is renamed or removed: the mark of a live conversion.
        temp.as_file()
            .try_lock()
            .map_err(|e| Error::io(path, io::Error::other(e.to_string())))?;
        let writeback = match self.durable {
            true => Some(Writeback::new(temp.as_file()).with_path(path)?),
            false => None,
        };
        Ok(Output {
            path: path.to_path_buf(),
            writer: BufWriter::with_capacity(1 << 20, temp),
            replace: self.force,
            run: self.run.clone(),
            writeback,
            hole_end: 0,
            sought: false,
            stamp: Stamp::default(),
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

    /// The output's stem as a sheet (`sheet`: "a cue sheet", "a TOC" …) writes its data files'
    /// names: in double quotes, so a stem holding one is refused.
    pub fn quotable_stem(&self, sheet: &str) -> Result<String> {
        let stem = self.stem();
        quotable(&stem, sheet)?;
        Ok(stem)
    }

    /// The output's file stem as text.
    pub fn stem(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "disc".to_string())
    }
}

const PART_SUFFIX: &str = ".part";

/// Refuses a file name `name` that `sheet` could not write between double quotes.
pub fn quotable(name: &str, sheet: &str) -> Result<()> {
    match name.contains('"') {
        true => Err(Error::Usage(format!(
            "{name}: {sheet} cannot name a file with a double quote in it"
        ))),
        false => Ok(()),
    }
}

/// The folder `path` is in (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// `.discus-NAME.`: the start of every temporary file of the output `path`, random part and
/// `.part` after it. The name is cut so the whole stays within the 255 bytes a file name may have.
fn part_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut cut = name.len().min(200);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(".discus-{}.", &name[..cut])
}

/// Removes the temporary files of an output that no live process holds: what a run killed by a
/// signal it could not catch (SIGKILL, a power cut) left. A conversion under way holds a lock on
/// its file, so it is never touched.
fn remove_stale_parts(folder: &Path, prefix: &str) {
    // The folder is listed once per process, the first time an output goes into it: listing it
    // for every output would cost O(n) each, O(n²) for a batch or an extraction of n files into
    // one folder (50,000 batch outputs took 24 minutes that way). A run killed before this process
    // started is what leaves parts, so the first listing sees every one it can clean.
    static LEFTOVERS: std::sync::Mutex<Option<HashMap<PathBuf, Vec<OsString>>>> =
        std::sync::Mutex::new(None);
    let mut seen = LEFTOVERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let leftovers = seen
        .get_or_insert_with(HashMap::new)
        .entry(folder.to_path_buf())
        .or_insert_with(|| parts_in(folder));
    leftovers.retain(|name| {
        if !name.to_string_lossy().starts_with(prefix) {
            return true;
        }
        let leftover = folder.join(name);
        let regular = std::fs::symlink_metadata(&leftover).is_ok_and(|m| m.is_file());
        let unheld = regular && File::open(&leftover).is_ok_and(|file| file.try_lock().is_ok());
        if unheld {
            let _ = std::fs::remove_file(&leftover);
        }
        // A part still held belongs to a live run; it is not looked at again in this process.
        false
    });
}

/// The names of the temporary files of outputs in `folder`.
fn parts_in(folder: &Path) -> Vec<OsString> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|entry| entry.file_name())
        .filter(|name| {
            let name = name.to_string_lossy();
            name.starts_with(".discus-") && name.ends_with(PART_SUFFIX)
        })
        .collect()
}

/// An I/O error's text without any path tempfile attached (it names the temporary file, which
/// means nothing to the user).
fn plain(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "it does not exist".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only".to_string(),
        io::ErrorKind::StorageFull => "no space left on the device".to_string(),
        kind => io::Error::from(kind).to_string(),
    }
}

/// Starts the disk writing an output's data while the conversion goes on, so that the flush before
/// the rename finds little left to do: every [`Writeback::EVERY`] bytes a thread asks the system to
/// write out what it holds of the file, one request at a time.
#[derive(Debug)]
struct Writeback {
    file: Arc<File>,
    since: u64,
    running: Option<JoinHandle<io::Result<()>>>,
}

impl Writeback {
    const EVERY: u64 = 64 << 20;

    fn new(file: &File) -> io::Result<Writeback> {
        Ok(Writeback {
            file: Arc::new(file.try_clone()?),
            since: 0,
            running: None,
        })
    }

    fn wrote(&mut self, bytes: usize) {
        self.since += bytes as u64;
        if self.since < Self::EVERY || self.running.as_ref().is_some_and(|r| !r.is_finished()) {
            return;
        }
        self.since = 0;
        // A failed early flush is not an error of its own: the final flush reports it.
        if let Some(done) = self.running.take() {
            let _ = done.join();
        }
        let file = Arc::clone(&self.file);
        self.running = Some(std::thread::spawn(move || file.sync_data()));
    }

    fn finish(&mut self) {
        if let Some(done) = self.running.take() {
            let _ = done.join();
        }
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
/// full length when it is committed, so it reads back byte for byte as written. Holes are made
/// only while the file is written front to back: once a writer seeks by itself, a skipped write
/// could leave older bytes where zeros belong, so every write is then made.
#[derive(Debug)]
pub struct Output {
    path: PathBuf,
    writer: BufWriter<tempfile::NamedTempFile>,
    replace: bool,
    run: Option<Run>,
    writeback: Option<Writeback>,
    /// The end of the last hole skipped over: the file must be at least this long.
    hole_end: u64,
    /// Whether the writer moved the position itself (not through [`Output::put_at`]).
    sought: bool,
    /// The modification time and mode the file appears with.
    stamp: Stamp,
}

/// What [`Output::stamp`] asks for.
#[derive(Debug, Default)]
struct Stamp {
    modified: Option<std::time::SystemTime>,
    mode: Option<u32>,
}

impl Output {
    /// The final name.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file appears under its final name with this modification (and access) time and these
    /// permission bits (an extracted file keeps its disc's), set on the temporary file after the
    /// last write so it is never seen with others. A failure to set them leaves the file as
    /// written, as `cp -p` does on a file system that cannot hold them.
    pub fn stamp(&mut self, modified: Option<std::time::SystemTime>, mode: Option<u32>) {
        self.stamp = Stamp { modified, mode };
    }

    /// Writes all of `data`, naming the output on failure.
    pub fn put(&mut self, data: &[u8]) -> Result<()> {
        if !self.sought && data.len() >= HOLE_MIN && all_zero(data) {
            let end = self
                .writer
                .seek(SeekFrom::Current(data.len() as i64))
                .with_path(&self.path)?;
            self.hole_end = self.hole_end.max(end);
            return Ok(());
        }
        self.write_all(data).with_path(&self.path)
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

    /// Reads back `buf.len()` bytes written at `offset`, for a writer that checks what it wrote
    /// before it refers to it again (CHD's copies of earlier hunks). Skipped zeros read as zeros.
    pub fn read_back(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.writer.flush().with_path(&self.path)?;
        let file = self.writer.get_ref().as_file();
        // A hole at the end is not part of the file yet: give it its length now, as commit would.
        if file.metadata().with_path(&self.path)?.len() < self.hole_end {
            file.set_len(self.hole_end).with_path(&self.path)?;
        }
        crate::flat::read_exact_at(file, &self.path, buf, offset)
    }

    /// Bytes written so far (the current position).
    pub fn position(&mut self) -> Result<u64> {
        self.writer.stream_position().with_path(&self.path)
    }

    /// The name this output gets when it is kept as ECM: `name.bin` → `name.bin.ecm`.
    pub fn ecm_path(path: &Path) -> PathBuf {
        let mut name = path.as_os_str().to_os_string();
        name.push(".ecm");
        PathBuf::from(name)
    }

    /// This output's bytes encoded as ECM into a new output at [`Output::ecm_path`], under the
    /// same rules (`destination`); this one is dropped, its temporary file with it. The encoder
    /// reads the finished bytes twice (ECM records are sized first), as the `ecm` tool does.
    pub fn into_ecm(self, destination: &Destination) -> Result<Output> {
        let ecm_path = Output::ecm_path(&self.path);
        let mut ecm = destination.create(&ecm_path)?;
        let finished = self.flushed()?;
        let mut file = finished.temp.as_file();
        let len = file.metadata().with_path(&finished.path)?.len();
        crate::ecm::encode(&mut file, len, &finished.path, &mut ecm)?;
        Ok(ecm)
    }

    fn flushed(self) -> Result<Finished> {
        let Output {
            path,
            writer,
            replace,
            run,
            writeback,
            hole_end,
            sought: _,
            stamp,
        } = self;
        let temp = writer
            .into_inner()
            .map_err(|e| Error::io(&path, e.into_error()))?;
        // A hole at the end is not part of the file until its length says so.
        let len = temp.as_file().metadata().with_path(&path)?.len();
        if len < hole_end {
            temp.as_file().set_len(hole_end).with_path(&path)?;
        }
        if let Some(time) = stamp.modified {
            let times = std::fs::FileTimes::new()
                .set_modified(time)
                .set_accessed(time);
            let _ = temp.as_file().set_times(times);
        }
        #[cfg(unix)]
        if let Some(mode) = stamp.mode {
            use std::os::unix::fs::PermissionsExt;
            let _ = temp
                .as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode));
        }
        let durable = writeback.is_some();
        if let Some(mut writeback) = writeback {
            writeback.finish();
            temp.as_file().sync_all().with_path(&path)?;
        }
        Ok(Finished {
            path,
            temp,
            replace,
            run,
            durable,
        })
    }
}

/// An output written and flushed, waiting for its rename.
struct Finished {
    path: PathBuf,
    temp: tempfile::NamedTempFile,
    replace: bool,
    run: Option<Run>,
    durable: bool,
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.writer.write(buf)?;
        if let Some(writeback) = &mut self.writeback {
            writeback.wrote(written);
        }
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

impl Seek for Output {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        // Asking where we are moves nothing; any other seek ends hole-making (see [`Output`]).
        if pos != SeekFrom::Current(0) {
            self.sought = true;
        }
        self.writer.seek(pos)
    }
}

thread_local! {
    /// The files [`commit`] put in place on this thread since [`take_placed`] last emptied it. A
    /// sink commits in its `finish`, which the conversion loop calls on its own thread, so the
    /// loop can say what was written without every sink having to report it.
    static PLACED: std::cell::RefCell<Vec<PathBuf>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The files committed on this thread since the last call.
pub(crate) fn take_placed() -> Vec<PathBuf> {
    PLACED.with(|placed| std::mem::take(&mut *placed.borrow_mut()))
}

/// How `path` is known in a [`Run`]: its folder resolved (so another spelling of the same
/// folder is the same) joined with its file name.
fn written_key(path: &Path) -> Option<PathBuf> {
    let folder = std::fs::canonicalize(folder_of(path)).ok()?;
    Some(folder.join(path.file_name()?))
}

/// Renames every output into place, in the order given: put data files first and the descriptor
/// last, so a reader never finds a descriptor whose data is missing. Without `force` a rename never
/// replaces a file, even one that appeared during the conversion. If a rename fails, the outputs
/// already renamed are removed again.
pub fn commit(outputs: impl IntoIterator<Item = Output>) -> Result<()> {
    let finished = outputs
        .into_iter()
        .map(Output::flushed)
        .collect::<Result<Vec<_>>>()?;
    let mut placed: Vec<PathBuf> = Vec::new();
    let mut folders: Vec<PathBuf> = Vec::new();
    // The run's list is held across the renames, so that of two of its conversions racing for
    // one name only the first lands and the second is told, whatever `force` says.
    let run = finished.iter().find_map(|f| f.run.clone());
    let mut written = run
        .as_ref()
        .map(|run| run.0.lock().unwrap_or_else(|e| e.into_inner()));
    let mut keys = Vec::new();
    for done in finished {
        let Finished {
            path,
            temp,
            replace,
            run: _,
            durable,
        } = done;
        let key = written.as_ref().and_then(|_| written_key(&path));
        let renamed = match (&key, &written) {
            (Some(key), Some(written)) if written.contains(key) => {
                Err(Error::OutputWrittenThisRun { path: path.clone() })
            }
            _ => match replace {
                true => temp.persist(&path),
                false => temp.persist_noclobber(&path),
            }
            .map_err(|e| match e.error.kind() {
                io::ErrorKind::AlreadyExists => Error::OutputExists { path: path.clone() },
                _ => Error::io(&path, io::Error::new(e.error.kind(), plain(&e.error))),
            }),
        };
        if let Err(e) = renamed {
            for done in &placed {
                let _ = std::fs::remove_file(done);
            }
            return Err(e);
        }
        keys.extend(key);
        let folder = folder_of(&path).to_path_buf();
        if durable && !folders.contains(&folder) {
            folders.push(folder);
        }
        placed.push(path);
    }
    if let Some(written) = written.as_mut() {
        written.extend(keys);
    }
    drop(written);
    // The renames themselves live in the folder: flush it too, or a power cut can undo them.
    for folder in folders {
        File::open(&folder)
            .and_then(|f| f.sync_all())
            .with_path(&folder)?;
    }
    PLACED.with(|list| list.borrow_mut().extend(placed));
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
    fn i11_3_within_a_run_no_conversion_replaces_another_s_file_outside_one_force_does() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("out.bin");
        let write = |destination: &Destination, data: &[u8]| {
            let mut output = destination.create(&destination.path)?;
            output.put(data)?;
            commit([output])
        };
        let run = Run::new();
        let in_run = Destination {
            path: path.clone(),
            force: true,
            run: Some(run.clone()),
            ..Destination::default()
        };
        write(&in_run, b"first").expect("the first item writes");
        // Another item of the run, even with force and through another spelling of the folder.
        let other = Destination {
            path: dir.path().join(".").join("out.bin"),
            ..in_run.clone()
        };
        let err = write(&other, b"second").expect_err("the second item is refused");
        assert!(matches!(err, Error::OutputWrittenThisRun { .. }), "{err}");
        assert_eq!(std::fs::read(&path).expect("read"), b"first");
        // A program converting again outside any run replaces it, as --force says.
        let alone = Destination {
            run: None,
            ..in_run
        };
        write(&alone, b"again").expect("force outside a run replaces");
        assert_eq!(std::fs::read(&path).expect("read"), b"again");
    }

    #[test]
    fn i12_3_zero_runs_become_holes_and_read_back_as_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("out.img");
        let destination = Destination {
            path: path.clone(),
            force: false,
            inputs: Vec::new(),
            durable: false,
            run: None,
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

    #[test]
    fn i13_5_what_was_written_reads_back_holes_included() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("out.chd");
        let destination = Destination {
            path: path.clone(),
            ..Destination::default()
        };
        let mut output = destination.create(&path).expect("create");
        output.put(b"head").expect("put");
        output.put(&vec![0u8; HOLE_MIN]).expect("hole");
        let mut back = [0u8; 4];
        output.read_back(0, &mut back).expect("read back");
        assert_eq!(&back, b"head");
        // The trailing hole is not in the file yet, and still reads as zeros.
        let mut hole = vec![1u8; 16];
        output
            .read_back(4 + HOLE_MIN as u64 - 16, &mut hole)
            .expect("hole");
        assert_eq!(hole, [0u8; 16]);
        // Writing goes on where it was.
        output.put(b"tail").expect("put");
        commit([output]).expect("commit");
        let written = std::fs::read(&path).expect("read");
        assert_eq!(written.len(), 8 + HOLE_MIN);
        assert_eq!(&written[4 + HOLE_MIN..], b"tail");
    }

    #[test]
    fn after_a_seek_zeros_are_written_over_what_was_there() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("out.img");
        let destination = Destination {
            path: path.clone(),
            ..Destination::default()
        };
        let mut output = destination.create(&path).expect("create");
        output.put(&vec![7u8; HOLE_MIN]).expect("put");
        output.seek(SeekFrom::Start(0)).expect("seek");
        output.put(&vec![0u8; HOLE_MIN]).expect("zeros");
        commit([output]).expect("commit");
        assert!(std::fs::read(&path).expect("read") == vec![0u8; HOLE_MIN]);
    }

    #[test]
    fn a_stem_with_a_double_quote_cannot_be_named_by_a_sheet() {
        let destination = Destination {
            path: PathBuf::from("dir/a\"b.cue"),
            ..Destination::default()
        };
        let refused = destination.quotable_stem("a cue sheet");
        assert!(
            matches!(&refused, Err(Error::Usage(m)) if m.contains("a cue sheet cannot name")),
            "{refused:?}"
        );
        let fine = Destination {
            path: PathBuf::from("dir/ab.toc"),
            ..Destination::default()
        };
        assert_eq!(fine.quotable_stem("a TOC").ok().as_deref(), Some("ab"));
    }
}
