//! Images inside `.zip` and `.7z` archives: listing their members and extracting the ones that
//! may belong to a disc image into a temporary folder, refusing members whose names would land
//! outside it (absolute paths, `..`) and links.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, anyhow, bail};

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

/// Copies `reader` into a new file at `to`, stopping when `cancel` is set.
fn copy_out(reader: &mut dyn Read, to: &Path, cancel: &AtomicBool) -> anyhow::Result<u64> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).with_context(|| parent.display().to_string())?;
    }
    let mut out = File::create_new(to).with_context(|| to.display().to_string())?;
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
            Err(e) => return Err(e).with_context(|| to.display().to_string()),
        };
        out.write_all(&buf[..n])
            .with_context(|| to.display().to_string())?;
        total += n as u64;
    }
    Ok(total)
}

/// Extracts the members of `path` for which `wanted` is true into `into`, and returns their
/// paths there. Stops (with an error) when `cancel` is set; the caller removes `into`.
pub fn extract(
    path: &Path,
    kind: Kind,
    into: &Path,
    wanted: &dyn Fn(&Path) -> bool,
    cancel: &AtomicBool,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut extracted = Vec::new();
    match kind {
        Kind::Zip => {
            let file = File::open(path).with_context(|| path.display().to_string())?;
            let mut archive = zip::ZipArchive::new(file)
                .with_context(|| format!("{}: not a readable zip archive", path.display()))?;
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
                copy_out(&mut member, &to, cancel).with_context(|| {
                    format!("{}: extracting '{}'", path.display(), name.display())
                })?;
                extracted.push(to);
            }
        }
        Kind::SevenZip => {
            let mut reader =
                sevenz_rust2::ArchiveReader::open(path, sevenz_rust2::Password::empty())
                    .map_err(|e| anyhow!("{}: not a readable 7z archive: {e}", path.display()))?;
            let mut failure: Option<anyhow::Error> = None;
            let result = reader.for_each_entries(|entry, data| {
                if entry.is_directory() {
                    return Ok(true);
                }
                let outcome = safe_name(entry.name()).and_then(|name| {
                    if !wanted(&name) {
                        // Solid archives decode in order: skipping a member still reads it.
                        io::copy(data, &mut io::sink())?;
                        return Ok(None);
                    }
                    let to = into.join(&name);
                    copy_out(data, &to, cancel)?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
