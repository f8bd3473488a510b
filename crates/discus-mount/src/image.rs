//! What a mount shows of one image, without FUSE: the flat files (`image.iso`, and `image.bin` +
//! `image.cue` when the ISO alone does not hold the disc), each a [`Content`] that reads its bytes
//! on demand from the image through a bounded block cache.
//!
//! The flat files are the outputs the ISO and BIN/CUE writers would write (the BIN/CUE as one
//! BIN, as `discus convert --single-bin` does): their plans come from the writers themselves and
//! their bytes from [`Window`], so a mounted file and a converted one cannot differ.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::SystemTime;

use discus::core::window::Scratch;
use discus::core::{Check, Plan, Window};
use discus::{Error, Format, Result, SectorSource, WriteOptions};

use crate::cache::{BLOCK, Cache};
use crate::files::Disc;
use crate::tree::Tree;

/// The stem of every flat file: `image.iso`, `image.bin`, `image.cue`.
pub const STEM: &str = "image";

/// The folder the disc's file tree is shown in.
pub const FILES: &str = "files";

/// Bytes a file of the mount reads from.
pub trait Content: Send + Sync {
    /// The file's length in bytes.
    fn len(&self) -> u64;

    /// Fills `out` from byte `offset` (fewer bytes at the end of the file) and returns how many.
    fn read_at(&self, offset: u64, out: &mut [u8]) -> Result<usize>;

    /// Whether the file is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A small file computed once (the cue sheet, the CD-TEXT packs).
pub struct Memory(pub Vec<u8>);

impl Content for Memory {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }

    fn read_at(&self, offset: u64, out: &mut [u8]) -> Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.0.len());
        let take = out.len().min(self.0.len() - start);
        out[..take].copy_from_slice(&self.0[start..start + take]);
        Ok(take)
    }
}

/// An opened source and the buffers its reads reuse.
pub(crate) struct Reader {
    source: Box<dyn SectorSource>,
    scratch: Scratch,
}

/// Things opened on the image (sources, filesystem readers), handed out one per concurrent read:
/// they read through `&mut self`, so concurrent readers each need their own (a CSO block decodes
/// on the thread that asked for it).
pub(crate) struct Pool<T> {
    /// Those no read is using, and how many are open in all.
    idle: Mutex<(Vec<T>, usize)>,
    freed: Condvar,
    limit: usize,
    open: Box<dyn Fn() -> Result<T> + Send + Sync>,
}

impl<T> Pool<T> {
    /// A pool of at most `limit` (at least 1), starting with `first` when one is open already,
    /// opening more with `open`.
    pub(crate) fn new(
        first: Option<T>,
        limit: usize,
        open: impl Fn() -> Result<T> + Send + Sync + 'static,
    ) -> Pool<T> {
        let open_now = usize::from(first.is_some());
        Pool {
            idle: Mutex::new((first.into_iter().collect(), open_now)),
            freed: Condvar::new(),
            limit: limit.max(1),
            open: Box::new(open),
        }
    }

    /// Runs `read` with one of its own, opening one if all are busy and fewer than the limit are
    /// open, else waiting for one to be free.
    pub(crate) fn with<R>(&self, read: impl FnOnce(&mut T) -> Result<R>) -> Result<R> {
        let mut item = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                if let Some(item) = idle.0.pop() {
                    break item;
                }
                if idle.1 < self.limit {
                    idle.1 += 1;
                    drop(idle);
                    match (self.open)() {
                        Ok(opened) => break opened,
                        Err(error) => {
                            self.idle.lock().unwrap_or_else(PoisonError::into_inner).1 -= 1;
                            self.freed.notify_one();
                            return Err(error);
                        }
                    }
                }
                idle = self
                    .freed
                    .wait(idle)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        let result = read(&mut item);
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .push(item);
        self.freed.notify_one();
        result
    }
}

/// What the flat files share: the image's sources and the block cache.
pub(crate) struct Shared {
    /// The image file, for messages.
    pub(crate) path: PathBuf,
    sources: Pool<Reader>,
    pub(crate) cache: Cache,
}

/// A flat file: the single output file of a writer's plan, read block by block through the cache.
pub struct Flat {
    /// Its number among the flat files, part of its cache keys.
    id: usize,
    window: Window,
    shared: Arc<Shared>,
}

impl Flat {
    /// Block `block` of the file, from the cache or decoded now.
    fn block(&self, block: u64) -> Result<Arc<Vec<u8>>> {
        let key = (self.id, block);
        if let Some(data) = self.shared.cache.get(key) {
            return Ok(data);
        }
        let start = block * BLOCK;
        let len = BLOCK.min(self.window.len().saturating_sub(start)) as usize;
        let mut data = vec![0u8; len];
        self.shared.sources.with(|reader| {
            // A sector whose sync or ECC would not regenerate still shows its user data: the mount
            // shows what the image holds, as `convert --allow-lossy` would write it.
            let mut check = Check::default();
            self.window.read_at(
                &mut *reader.source,
                start,
                &mut data,
                &mut reader.scratch,
                &mut check,
            )
        })?;
        let data = Arc::new(data);
        self.shared.cache.insert(key, data.clone());
        Ok(data)
    }
}

impl Content for Flat {
    fn len(&self) -> u64 {
        self.window.len()
    }

    fn read_at(&self, offset: u64, out: &mut [u8]) -> Result<usize> {
        let end = self.len().min(offset.saturating_add(out.len() as u64));
        let mut at = offset;
        while at < end {
            let block = self.block(at / BLOCK)?;
            let inside = (at % BLOCK) as usize;
            let take = ((end - at) as usize).min(block.len().saturating_sub(inside));
            if take == 0 {
                // The window gave a short block: the image holds less than its layout says.
                return Err(Error::Usage(format!(
                    "{}: no data at byte {at} of a flat file",
                    self.shared.path.display()
                )));
            }
            let from = (at - offset) as usize;
            out[from..from + take].copy_from_slice(&block[inside..inside + take]);
            at += take as u64;
        }
        Ok(end.saturating_sub(offset) as usize)
    }
}

/// How to open an image for mounting.
#[derive(Clone, Debug)]
pub struct Options {
    /// Bytes of decoded blocks kept in memory, for all files together.
    pub cache: u64,
    /// Sources open at once at most: how many reads decode in parallel.
    pub sources: usize,
    /// The tree `files/` shows (default: the one the disc records best, as `discus ls` chooses).
    pub tree: Option<discus::fs::TreeKind>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            cache: 64 << 20,
            sources: discus::core::format::cores().max(2),
            tree: None,
        }
    }
}

/// A file the mount shows at its top.
pub struct File {
    /// Its name.
    pub name: String,
    /// Its bytes.
    pub content: Arc<dyn Content>,
}

/// An image opened for mounting: the files to show and what to say about them.
pub struct Image {
    /// The image file.
    pub path: PathBuf,
    /// The format that read it.
    pub format: &'static Format,
    /// When the image file was last changed: the time the mount shows on its files.
    pub modified: SystemTime,
    /// The flat files, in the order a listing shows them.
    pub files: Vec<File>,
    /// Why a flat file or `files/` is not shown, or what it leaves out.
    pub notes: Vec<String>,
    /// The disc's file tree, shown as `files/`, when it has one.
    pub disc: Option<Disc>,
    shared: Arc<Shared>,
}

impl Image {
    /// Opens `path` and works out its flat files. Nothing is decoded yet beyond what opening
    /// reads (headers, sheets, indexes).
    pub fn open(path: &Path, options: &Options) -> Result<Image> {
        let opened = discus::open(path)?;
        let format = opened.format;
        let modified = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .map_err(|e| Error::io(path, e))?;
        let source = opened.source;
        let mut notes = Vec::new();
        let mut views: Vec<(String, Option<Window>, Option<Vec<u8>>)> = Vec::new();

        let iso = plan_for(&*source, "iso", &WriteOptions::default());
        let iso_holds_all = matches!(&iso, Ok(plan) if plan.losses.is_empty());
        match iso {
            Ok(plan) => views.push((format!("{STEM}.iso"), Some(Window::new(&plan)), None)),
            Err(error) => notes.push(format!("no {STEM}.iso: {error}")),
        }
        if !iso_holds_all {
            let single = WriteOptions {
                single_file: true,
                ..WriteOptions::default()
            };
            let bin_cue = plan_for(&*source, "cue", &single).and_then(|plan| {
                let sheet = discus::cue_sheet(&plan, STEM, true)?;
                Ok((plan, sheet))
            });
            match bin_cue {
                Ok((plan, sheet)) => {
                    views.push((format!("{STEM}.bin"), Some(Window::new(&plan)), None));
                    views.push((format!("{STEM}.cue"), None, Some(sheet.into_bytes())));
                    if let Some(packs) = plan.disc.cd_text_packs.clone() {
                        // The sheet names it (CDTEXTFILE), as the BIN/CUE writer writes it.
                        views.push((format!("{STEM}.cdt"), None, Some(packs)));
                    }
                }
                Err(error) => notes.push(format!("no {STEM}.bin/{STEM}.cue: {error}")),
            }
        }

        let reopen = path.to_path_buf();
        let first = Reader {
            source,
            scratch: Scratch::default(),
        };
        let shared = Arc::new(Shared {
            path: path.to_path_buf(),
            sources: Pool::new(Some(first), options.sources, move || {
                Ok(Reader {
                    source: discus::open_as(&reopen, format)?.source,
                    scratch: Scratch::default(),
                })
            }),
            cache: Cache::new(options.cache),
        });
        let files = views
            .into_iter()
            .enumerate()
            .map(|(id, (name, window, bytes))| {
                let content: Arc<dyn Content> = match (window, bytes) {
                    (Some(window), _) => Arc::new(Flat {
                        id,
                        window,
                        shared: shared.clone(),
                    }),
                    (None, bytes) => Arc::new(Memory(bytes.unwrap_or_default())),
                };
                File { name, content }
            })
            .collect();
        let disc = match Disc::open(path, format, options.tree, options.sources, shared.clone()) {
            Ok(disc) => {
                notes.extend(disc.warnings().iter().map(|w| format!("{FILES}/: {w}")));
                Some(disc)
            }
            Err(error) => {
                notes.push(format!("no {FILES}/: {error}"));
                None
            }
        };
        Ok(Image {
            path: path.to_path_buf(),
            format,
            modified,
            files,
            notes,
            disc,
            shared,
        })
    }

    /// What the mount shows: the flat files, then `files/` with the disc's tree; and what of the
    /// disc's tree is left out, and why.
    pub fn namespace(&self) -> (Tree, Vec<String>) {
        let mut tree = Tree::default();
        for file in &self.files {
            tree.add_file(Tree::ROOT, &file.name, file.content.clone());
        }
        let mut left_out = Vec::new();
        if let Some(disc) = &self.disc
            && let Some(folder) = tree.add_dir(Tree::ROOT, FILES)
        {
            left_out = disc
                .add_to(&mut tree, folder)
                .into_iter()
                .map(|why| format!("{FILES}{why}: left out"))
                .collect();
        }
        (tree, left_out)
    }

    /// The file called `name`, if the mount shows one.
    pub fn file(&self, name: &str) -> Option<&File> {
        self.files.iter().find(|f| f.name == name)
    }

    /// Bytes of decoded blocks held in the cache now.
    pub fn cached_bytes(&self) -> u64 {
        self.shared.cache.bytes()
    }
}

/// The plan the writer of format `name` makes for `source`. A plan that is refused (a DVD as
/// BIN/CUE) shows no file; one with losses still does, since a view loses nothing of the image.
fn plan_for(source: &dyn SectorSource, name: &str, options: &WriteOptions) -> Result<Plan> {
    let writer = discus::find(name)
        .and_then(|f| f.writer)
        .ok_or_else(|| Error::Usage(format!("this build of discus does not write {name}")))?;
    let plan = (writer.plan)(source, options)?;
    if let Some(why) = plan.refused.first() {
        return Err(Error::Usage(why.clone()));
    }
    Ok(plan)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn samples() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples")
    }

    /// The whole file, read in pieces that do not line up with sectors or cache blocks.
    fn read_all(content: &dyn Content) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 70_001];
        loop {
            let n = content.read_at(out.len() as u64, &mut buf).unwrap();
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    fn converted(image: &Path, name: &str, single_file: bool) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let mut options = discus::ConvertOptions::default();
        options.write.allow_lossy = true;
        options.write.single_file = single_file;
        discus::convert(image, &dir.path().join(name), &options).unwrap();
        std::fs::read(dir.path().join(name)).unwrap()
    }

    #[test]
    fn flat_files_equal_what_convert_writes() {
        // A small cache forces blocks out while reading, as a large image would.
        let options = Options {
            cache: 3 * BLOCK,
            sources: 2,
            tree: None,
        };
        for (sample, with_bin) in [
            ("iso/data.iso", false),
            ("cso/data.cso", false),
            ("cso/data.zso", false),
            ("cso/data.dax", false),
            ("img/data-2352.img", false),
            ("cue/mixed/mixed.cue", true),
            ("nrg/mixed.nrg", true),
            ("mds/mixed.mds", true),
            ("ccd/mixed.ccd", true),
            ("cue/xa/xa.cue", true),
        ] {
            let path = samples().join(sample);
            let image = Image::open(&path, &options).unwrap();
            let iso = image.file("image.iso").expect(sample);
            assert!(
                read_all(&*iso.content) == converted(&path, "image.iso", false),
                "{sample}: image.iso"
            );
            assert_eq!(image.file("image.bin").is_some(), with_bin, "{sample}");
            if with_bin {
                let bin = image.file("image.bin").unwrap();
                let cue = image.file("image.cue").unwrap();
                let sheet = converted(&path, "image.cue", true);
                assert_eq!(read_all(&*cue.content), sheet, "{sample}: image.cue");
                let dir = tempfile::tempdir().unwrap();
                let mut convert = discus::ConvertOptions::default();
                convert.write.single_file = true;
                convert.write.allow_lossy = true;
                discus::convert(&path, &dir.path().join("image.cue"), &convert).unwrap();
                let written = std::fs::read(dir.path().join("image.bin")).unwrap();
                assert!(read_all(&*bin.content) == written, "{sample}: image.bin");
            }
            assert!(image.cached_bytes() <= 3 * BLOCK);
        }
    }
}
