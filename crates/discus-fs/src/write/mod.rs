//! Creating an image from a folder: ISO 9660 level 3 (multi-extent files of 4 GiB and more), Rock
//! Ridge, Joliet, an optional UDF bridge over the same file data, and El Torito. The result is a
//! [`SectorSource`](discus_core::SectorSource), so every format's writer takes it as it takes an
//! image read from a file: `create DIR out.cso` compresses as it goes, with no ISO in between.
//!
//! ```text
//! folder ──scan──▶ entries ──Layout (names, relocation, places)──▶ rendered metadata ─┐
//!                                                   files' data, read when asked ─────┴▶ Created
//! ```
//!
//! The same folder and options give the same bytes: children are sorted by name, every place
//! follows from the sorted tree, and with a date (`--date`, or `SOURCE_DATE_EPOCH`) the volume's
//! times are that date and no file time is later than it.

mod eltorito;
mod iso9660;
mod joliet;
mod layout;
mod rockridge;
mod scan;
mod source;
mod udf;

use std::path::{Path, PathBuf};

use discus_core::{Error, Result};

pub use source::Created;
pub use udf::Revision as UdfRevision;

use iso9660::BLOCK;

/// What to write.
#[derive(Clone, Debug)]
pub struct Options {
    /// The volume label.
    pub label: String,
    /// Write a Joliet tree (UCS-2 names for Windows).
    pub joliet: bool,
    /// Write a UDF bridge over the same file data.
    pub udf: bool,
    /// Its revision.
    pub udf_revision: UdfRevision,
    /// A file of the folder (path relative to it) to boot by BIOS, no emulation, with a
    /// boot-info table in the image's copy.
    pub boot: Option<String>,
    /// A file of the folder (path relative to it) to boot by UEFI (an EFI system partition image).
    pub efi: Option<String>,
    /// The time of the volume (seconds since 1970 UTC); no file time is written later than it.
    /// `None` takes the current time (and the image then differs from run to run).
    pub date: Option<i64>,
    /// Paths inside the folder to leave out.
    pub exclude: Vec<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            label: "CDROM".into(),
            joliet: true,
            udf: false,
            udf_revision: UdfRevision::default(),
            boot: None,
            efi: None,
            date: None,
            exclude: Vec::new(),
        }
    }
}

impl Options {
    fn reproducible(&self) -> bool {
        self.date.is_some()
    }
}

/// The date of a reproducible build, from `SOURCE_DATE_EPOCH` when it is set (seconds since
/// 1970, as <https://reproducible-builds.org/specs/source-date-epoch/> defines it).
pub fn source_date_epoch() -> Result<Option<i64>> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(text) => text.trim().parse().map(Some).map_err(|_| {
            Error::Usage(format!(
                "SOURCE_DATE_EPOCH={text}: is not a whole number of seconds"
            ))
        }),
        Err(_) => Ok(None),
    }
}

/// Whether `output` (a file to be written) lies inside `dir`: an image of a folder must not
/// read itself while it is written.
pub fn output_inside(dir: &Path, output: &Path) -> bool {
    let Ok(dir) = dir.canonicalize() else {
        return false;
    };
    let folder = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    folder.canonicalize().is_ok_and(|f| f.starts_with(&dir))
}

/// Lays out the folder `dir` as an image.
pub fn create(dir: &Path, options: &Options) -> Result<Created> {
    let date = match options.date {
        Some(date) => date,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
    };
    let excluded: Vec<PathBuf> = options
        .exclude
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let exclude = |path: &Path| {
        !excluded.is_empty() && path.canonicalize().is_ok_and(|p| excluded.contains(&p))
    };
    let scanned = scan::scan(dir, &exclude)?;
    let layout = layout::Layout::new(scanned.entries, options, date)?;
    let places = layout.place()?;
    let rendered = layout.render(&places)?;
    let mut spans = Vec::new();
    let mut placed = std::collections::HashSet::new();
    for f in layout.files_in_order() {
        let size = layout.file_size(f);
        // A hard link's data is read once, from its first name.
        if size == 0 || !placed.insert(places.file[f]) {
            continue;
        }
        if let Some((path, identity)) = layout.file_path(f) {
            spans.push(source::Span {
                block: u64::from(places.file[f]),
                size,
                path: path.clone(),
                identity,
            });
        }
    }
    let mut overlay = Vec::new();
    if let Some(boot) = layout.boot() {
        overlay.push(boot_block(&layout, &places, boot)?);
    }
    Ok(Created::new(
        rendered.head,
        spans,
        rendered.tail,
        places.total,
        overlay,
        scanned.warnings,
    ))
}

/// The largest boot image whose checksum is computed (no-emulation images are a few KiB; a
/// larger file is not one).
const MAX_BOOT_IMAGE: u64 = 64 << 20;

/// The boot image's first block with the boot-info table written in.
fn boot_block(
    layout: &layout::Layout,
    places: &layout::Places,
    boot: usize,
) -> Result<(u64, Vec<u8>)> {
    let (path, identity) = layout
        .file_path(boot)
        .map(|(path, identity)| (path.clone(), identity))
        .unwrap_or_default();
    let size = layout.file_size(boot);
    if !(64..=MAX_BOOT_IMAGE).contains(&size) {
        return Err(Error::Usage(format!(
            "{}: a boot image of {size} bytes; a no-emulation image with a boot-info table holds 64 bytes to {} MiB",
            path.display(),
            MAX_BOOT_IMAGE >> 20
        )));
    }
    let mut data = Vec::new();
    // One byte more than scanned, at most: enough to see that it grew.
    let file = source::open_scanned(&path, identity)?;
    std::io::Read::read_to_end(&mut std::io::Read::take(file, size + 1), &mut data)
        .map_err(|e| Error::io(&path, e))?;
    if data.len() as u64 != size {
        return Err(Error::at_offset(
            &path,
            0,
            format!(
                "the file changed size while the image was written ({size} bytes when the folder was read, {} now)",
                data.len()
            ),
        ));
    }
    let mut head = data[..data.len().min(BLOCK)].to_vec();
    head.resize(BLOCK, 0);
    let block = places.file[boot];
    eltorito::boot_info_table(&mut head, &data, 16, block, size);
    Ok((u64::from(block), head))
}

#[cfg(test)]
mod tests;
