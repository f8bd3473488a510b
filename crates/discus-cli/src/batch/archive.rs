//! Images inside `.zip` and `.7z` archives: listing their members and extracting the ones that
//! may belong to a disc image into a temporary folder, refusing members whose names would land
//! outside it (absolute paths, `..`) and links, and archives that would expand beyond a limit
//! (`--max-extract`) or the free space — by their declared sizes before anything is written,
//! and by the bytes really decoded while extracting, since declared sizes can lie.
//!
//! Members are extracted rather than streamed into the converter: every reader seeks (a sheet's
//! tracks, a CSO's index at the start and blocks anywhere), a deflated member cannot seek, and a
//! sheet's data files must be on disk to be named.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, anyhow, bail};

use super::discover::{self, Item, Naming};

/// The archive kinds batch opens, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// PKZIP.
    Zip,
    /// 7-Zip.
    SevenZip,
}

impl Kind {
    /// The kind of `path`, from its extension.
    pub fn of(path: &Path) -> Option<Kind> {
        let ext = path.extension()?.to_string_lossy().to_ascii_lowercase();
        match ext.as_str() {
            "zip" => Some(Kind::Zip),
            "7z" => Some(Kind::SevenZip),
            _ => None,
        }
    }
}

/// A member's name as a relative path with plain components only, or an error saying why not.
pub fn safe_name(name: &str) -> anyhow::Result<PathBuf> {
    // Archives made on Windows may use backslashes.
    let name = name.replace('\\', "/");
    let path = Path::new(&name);
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => clean.push(part),
            Component::CurDir => {}
            _ => bail!("member '{name}' has an absolute path or '..'; refused"),
        }
    }
    if clean.as_os_str().is_empty() {
        bail!("member '{name}' has no file name");
    }
    Ok(clean)
}

/// The member names of an archive (files only), without extracting anything.
pub fn list(path: &Path, kind: Kind) -> anyhow::Result<Vec<String>> {
    match kind {
        Kind::Zip => {
            let file = File::open(path).with_context(|| path.display().to_string())?;
            let archive = zip::ZipArchive::new(file)
                .with_context(|| format!("{}: not a readable zip archive", path.display()))?;
            Ok(archive
                .file_names()
                .filter(|n| !n.ends_with('/'))
                .map(str::to_string)
                .collect())
        }
        Kind::SevenZip => {
            let archive = sevenz_rust2::Archive::open(path)
                .map_err(|e| anyhow!("{}: not a readable 7z archive: {e}", path.display()))?;
            Ok(archive
                .files
                .iter()
                .filter(|f| !f.is_directory())
                .map(|f| f.name().to_string())
                .collect())
        }
    }
}

/// A size as `--max-extract` takes it: bytes, or a number with K, M, G or T (powers of 1024,
/// with or without `iB`/`B`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a size (for example 64G or 500M)"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        other => return Err(format!("'{other}' is not a unit; use K, M, G or T")),
    };
    number
        .checked_mul(1u64 << shift)
        .ok_or_else(|| format!("'{text}' is too large"))
}

/// How many bytes an extraction may still write, counted as members really decode.
pub struct Budget {
    /// Bytes left.
    left: u64,
    /// The limit, for messages.
    limit: u64,
    /// What the limit is (`--max-extract`, the free space of a folder), for messages.
    what: String,
    /// What the members declare, for messages.
    declared: u64,
}

impl Budget {
    fn take(&mut self, archive: &Path, n: u64) -> anyhow::Result<()> {
        self.left = self.left.checked_sub(n).ok_or_else(|| {
            anyhow!(
                "{}: expands beyond {} bytes ({}) although its members declare {} bytes; extraction stopped (an archive bomb?)",
                archive.display(),
                self.limit,
                self.what,
                self.declared
            )
        })?;
        Ok(())
    }
}

/// Copies `reader` into `to` (a new file, or nowhere when `None`: a member skipped in a solid
/// archive still decodes), counting every byte against `budget`, stopping when `cancel` is set.
fn copy_out(
    reader: &mut dyn Read,
    to: Option<&Path>,
    archive: &Path,
    budget: &mut Budget,
    cancel: &AtomicBool,
) -> anyhow::Result<u64> {
    let mut out = match to {
        Some(to) => {
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).with_context(|| parent.display().to_string())?;
            }
            Some(File::create_new(to).with_context(|| to.display().to_string())?)
        }
        None => None,
    };
    let shown = to.unwrap_or(archive).display().to_string();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        if cancel.load(Ordering::Relaxed) {
            bail!("interrupted");
        }
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).with_context(|| shown.clone()),
        };
        budget.take(archive, n as u64)?;
        if let Some(out) = &mut out {
            out.write_all(&buf[..n]).with_context(|| shown.clone())?;
        }
        total += n as u64;
    }
    Ok(total)
}

/// The budget of an extraction into `into` of members declaring `declared` bytes: the smaller
/// of `max_extract` and the free space there, refused at once when the declared sizes exceed it.
fn budget(archive: &Path, into: &Path, declared: u64, max_extract: u64) -> anyhow::Result<Budget> {
    let free = fs4::available_space(into).ok();
    let (limit, what) = match free {
        Some(free) if free < max_extract => (free, format!("the free space in {}", into.display())),
        _ => (max_extract, "--max-extract".to_string()),
    };
    if declared > limit {
        bail!(
            "{}: its members declare {declared} bytes, more than {what} allows ({limit} bytes); nothing extracted",
            archive.display()
        );
    }
    Ok(Budget {
        left: limit,
        limit,
        what,
        declared,
    })
}

/// Extracts the members of `path` for which `wanted` is true into `into`, and returns their
/// paths there. Refuses before writing anything when the members declare more than
/// `max_extract` bytes or the free space of `into`, and stops when the bytes really decoded
/// pass that. Stops (with an error) when `cancel` is set; the caller removes `into`.
pub fn extract(
    path: &Path,
    kind: Kind,
    into: &Path,
    wanted: &dyn Fn(&Path) -> bool,
    max_extract: u64,
    cancel: &AtomicBool,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut extracted = Vec::new();
    match kind {
        Kind::Zip => {
            let file = File::open(path).with_context(|| path.display().to_string())?;
            let mut archive = zip::ZipArchive::new(file)
                .with_context(|| format!("{}: not a readable zip archive", path.display()))?;
            let mut declared = 0u64;
            for index in 0..archive.len() {
                let member = archive
                    .by_index_raw(index)
                    .with_context(|| format!("{}: member {index}", path.display()))?;
                if !member.is_dir() && safe_name(member.name()).is_ok_and(|n| wanted(&n)) {
                    declared = declared.saturating_add(member.size());
                }
            }
            let mut budget = budget(path, into, declared, max_extract)?;
            for index in 0..archive.len() {
                let mut member = archive
                    .by_index(index)
                    .with_context(|| format!("{}: member {index}", path.display()))?;
                if member.is_dir() {
                    continue;
                }
                let name = safe_name(member.name())?;
                if member.is_symlink() {
                    bail!(
                        "{}: member '{}' is a link; refused",
                        path.display(),
                        name.display()
                    );
                }
                if !wanted(&name) {
                    continue;
                }
                let to = into.join(&name);
                copy_out(&mut member, Some(&to), path, &mut budget, cancel).with_context(|| {
                    format!("{}: extracting '{}'", path.display(), name.display())
                })?;
                extracted.push(to);
            }
        }
        Kind::SevenZip => {
            let mut reader =
                sevenz_rust2::ArchiveReader::open(path, sevenz_rust2::Password::empty())
                    .map_err(|e| anyhow!("{}: not a readable 7z archive: {e}", path.display()))?;
            // Solid blocks decode in order, so members not wanted decode too: they count
            // against the budget as well.
            let declared = reader
                .archive()
                .files
                .iter()
                .filter(|f| !f.is_directory())
                .fold(0u64, |sum, f| sum.saturating_add(f.size()));
            let mut budget = budget(path, into, declared, max_extract)?;
            let mut failure: Option<anyhow::Error> = None;
            let result = reader.for_each_entries(|entry, data| {
                if entry.is_directory() {
                    return Ok(true);
                }
                let outcome = safe_name(entry.name()).and_then(|name| {
                    if !wanted(&name) {
                        // Solid archives decode in order: skipping a member still reads it.
                        copy_out(data, None, path, &mut budget, cancel)?;
                        return Ok(None);
                    }
                    let to = into.join(&name);
                    copy_out(data, Some(&to), path, &mut budget, cancel)?;
                    Ok(Some(to))
                });
                match outcome {
                    Ok(Some(to)) => {
                        extracted.push(to);
                        Ok(true)
                    }
                    Ok(None) => Ok(true),
                    Err(e) => {
                        failure = Some(e);
                        Ok(false)
                    }
                }
            });
            if let Some(e) = failure {
                return Err(e.context(format!("{}: extracting", path.display())));
            }
            result.map_err(|e| anyhow!("{}: {e}", path.display()))?;
        }
    }
    Ok(extracted)
}

/// An archive's image files extracted into a temporary folder (removed when this is dropped,
/// which covers errors and Ctrl-C; a killed run's folder is removed by the next run).
pub struct Unpacked {
    temp: tempfile::TempDir,
    /// The images found, as items: one image is to be written to the output named for the
    /// archive; several go to a folder named after the archive, keeping their names and folders.
    pub images: Vec<Item>,
}

impl Unpacked {
    /// An extracted file's name inside the archive, for messages.
    pub fn name(&self, path: &Path) -> String {
        path.strip_prefix(self.temp.path())
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

/// Extracts the images of the archive `path` into a temporary folder in `out_folder` (so
/// extracting needs no space elsewhere) and finds them. One image gets `output`; several are
/// named below `out_folder/<archive stem>/` with `extension`. Every image's `root` is the
/// extraction folder: a sheet in it may name only members of the archive.
pub fn unpack(
    path: &Path,
    kind: Kind,
    out_folder: &Path,
    output: &Path,
    extension: &str,
    max_extract: u64,
    cancel: &AtomicBool,
) -> anyhow::Result<Unpacked> {
    std::fs::create_dir_all(out_folder).with_context(|| out_folder.display().to_string())?;
    let temp = tempfile::Builder::new()
        .prefix(".discus-")
        .suffix(".extract")
        .tempdir_in(out_folder)
        .with_context(|| out_folder.display().to_string())?;
    let wanted_extensions = discover::image_extensions();
    let wanted = |name: &Path| {
        name.extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .is_some_and(|e| wanted_extensions.contains(&e))
    };
    extract(path, kind, temp.path(), &wanted, max_extract, cancel)?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "archive".to_string());
    let several = out_folder.join(&stem);
    let naming = Naming {
        out_dir: Some(&several),
        extension,
        // An archive's images keep their names: a Redump archive is named by its title already.
        serial: None,
    };
    let mut images = discover::discover(
        &[temp.path().to_path_buf()],
        true,
        &naming,
        &discover::skip_nothing,
    );
    if images.is_empty() {
        bail!("{}: holds no disc image", path.display());
    }
    if let [only] = images.as_mut_slice() {
        only.output = output.to_path_buf();
    }
    Ok(Unpacked { temp, images })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("64G"), Ok(64 << 30));
        assert_eq!(parse_size("5MiB"), Ok(5 << 20));
        assert_eq!(parse_size("1 k"), Ok(1024));
        assert!(parse_size("x").is_err());
        assert!(parse_size("3Q").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn member_names_stay_inside() {
        assert_eq!(
            safe_name("a/b.cue").ok(),
            Some(PathBuf::from("a").join("b.cue"))
        );
        assert_eq!(safe_name("./x.iso").ok(), Some(PathBuf::from("x.iso")));
        assert!(safe_name("../x.iso").is_err());
        assert!(safe_name("a/../../x.iso").is_err());
        assert!(safe_name("/etc/passwd").is_err());
        assert!(safe_name("..\\x.iso").is_err());
        assert!(safe_name("").is_err());
    }
}
