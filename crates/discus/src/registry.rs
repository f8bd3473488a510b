//! The list of formats and the choice among them. This is the only place that names every format.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use discus_core::format::extension_of;
use discus_core::{Confidence, Error, Format, IoContext, Probe, Result};

/// Every format compiled in, in the order ties are broken.
static FORMATS: &[&Format] = &[
    #[cfg(feature = "cue")]
    &discus_cue::FORMAT,
    #[cfg(feature = "toc")]
    &discus_toc::FORMAT,
    #[cfg(feature = "ecm")]
    &discus_ecm::FORMAT,
    #[cfg(feature = "gdi")]
    &discus_gdi::FORMAT,
    #[cfg(feature = "cdi")]
    &discus_cdi::FORMAT,
    #[cfg(feature = "cso")]
    &discus_cso::CSO,
    #[cfg(feature = "cso")]
    &discus_cso::ZSO,
    #[cfg(feature = "cso")]
    &discus_cso::DAX,
    #[cfg(feature = "nrg")]
    &discus_nrg::FORMAT,
    #[cfg(feature = "chd")]
    &discus_chd::FORMAT,
    #[cfg(feature = "iso")]
    &discus_iso::FORMAT,
    // Sheets before the raw reader: a lone `.mdf` or a CloneCD `.img` also looks raw.
    #[cfg(feature = "mds")]
    &discus_mds::FORMAT,
    #[cfg(feature = "img")]
    &discus_img::ccd::FORMAT,
    #[cfg(feature = "img")]
    &discus_img::FORMAT,
];

/// Every format this build knows.
pub fn formats() -> &'static [&'static Format] {
    FORMATS
}

/// The format called `name` (case-insensitive), or one that uses `name` as its extension.
pub fn find(name: &str) -> Option<&'static Format> {
    FORMATS
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .or_else(|| {
            FORMATS
                .iter()
                .find(|f| f.extensions.iter().any(|e| e.eq_ignore_ascii_case(name)))
        })
        .copied()
}

/// The format to write `output` in: `to` if given, else the one whose extension the output has.
pub fn target_for(output: &Path, to: Option<&str>) -> Result<&'static Format> {
    let names = || {
        FORMATS
            .iter()
            .filter(|f| f.writer.is_some())
            .map(|f| f.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match to {
        Some(name) => find(name).ok_or_else(|| {
            Error::Usage(format!(
                "unknown format '{name}'; discus writes {}",
                names()
            ))
        }),
        None => {
            let ext = extension_of(output).ok_or_else(|| {
                Error::Usage(format!(
                    "{}: no extension to take the output format from; name one with --to ({})",
                    output.display(),
                    names()
                ))
            })?;
            find(&ext).ok_or_else(|| {
                Error::Usage(format!(
                    "{}: '.{ext}' is no format discus writes; name one with --to ({})",
                    output.display(),
                    names()
                ))
            })
        }
    }
}

/// Extensions whose same-stem files a probe may want to see beside its input.
const SIBLING_EXTENSIONS: &[&str] = &["cue", "bin", "ccd", "img", "sub", "mds", "mdf", "iso"];

/// Files next to `path` with its stem and one of the extensions above (either case): a fixed list
/// of look-ups rather than a folder scan, so probing stays cheap in folders of thousands of images.
fn siblings(path: &Path) -> Vec<PathBuf> {
    let Some(stem) = path.file_stem() else {
        return Vec::new();
    };
    let own = extension_of(path);
    let mut found = Vec::new();
    for ext in SIBLING_EXTENSIONS {
        if own.as_deref() == Some(ext) {
            continue;
        }
        for candidate in [ext.to_string(), ext.to_ascii_uppercase()] {
            let mut name = stem.to_os_string();
            name.push(".");
            name.push(&candidate);
            let sibling = path.with_file_name(name);
            if sibling.is_file() {
                found.push(sibling);
                break;
            }
        }
    }
    found
}

/// The format that recognises `path` best. The extension is a hint: content outranks it.
pub fn probe(path: &Path) -> Result<&'static Format> {
    let mut file = File::open(path).with_path(path)?;
    let len = file.metadata().with_path(path)?.len();
    let mut head = Vec::new();
    (&mut file)
        .take(Probe::HEAD as u64)
        .read_to_end(&mut head)
        .with_path(path)?;
    let tail_len = len.min(Probe::TAIL as u64);
    let mut tail = vec![0u8; tail_len as usize];
    file.seek(SeekFrom::Start(len - tail_len)).with_path(path)?;
    file.read_exact(&mut tail).with_path(path)?;
    let siblings = siblings(path);
    let probe = Probe {
        path,
        head: &head,
        tail: &tail,
        len,
        siblings: &siblings,
    };
    // Content decides; between equally sure formats the file's extension does.
    let mut best: Option<(&'static Format, (Confidence, bool))> = None;
    for &format in FORMATS {
        let confidence = (format.probe)(&probe);
        let score = (confidence, probe.has_extension(format.extensions));
        if confidence > Confidence::No && best.is_none_or(|(_, s)| score > s) {
            best = Some((format, score));
        }
    }
    // A format discus does not read, named by a surer signature, says what the file is.
    if let Some(error) = crate::unknown::recognise(&probe, best.map(|(_, score)| score)) {
        return Err(error);
    }
    best.map(|(f, _)| f).ok_or_else(|| Error::Unrecognised {
        path: path.to_path_buf(),
    })
}
