//! The one error type of discus. Every variant that comes from input names the file and the place in it.

use std::io;
use std::path::{Path, PathBuf};

use crate::address::Lba;

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in a file something went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A byte offset.
    Offset(u64),
    /// A line (and column, both from 1) of a text file.
    Line {
        /// Line number from 1.
        line: usize,
        /// Column from 1.
        column: usize,
    },
    /// A sector address.
    Sector(Lba),
    /// A compressed block number.
    Block(u64),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Offset(offset) => write!(f, "byte offset {offset}"),
            Location::Line { line, column } => write!(f, "line {line}, column {column}"),
            Location::Sector(lba) => write!(f, "LBA {lba}"),
            Location::Block(block) => write!(f, "block {block}"),
        }
    }
}

/// Everything that can go wrong in discus.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system refused a read or write. The system's words are part of the message
    /// and not also the error's `source()`, so a printed chain says them once.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        cause: io::Error,
    },
    /// The input is not what its format says it must be.
    #[error("{}: {at}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Where in it.
        at: Location,
        /// What is wrong.
        message: String,
    },
    /// The input is valid but uses something discus does not handle.
    #[error("{}: unsupported: {message}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is not supported.
        message: String,
    },
    /// No format recognised the input.
    #[error("{}: not a disc image discus recognises", path.display())]
    Unrecognised {
        /// The file.
        path: PathBuf,
    },
    /// The input is a known image format that discus does not read (a PBP, a VHD, …): saying
    /// which, and what does read it, helps more than "not recognised".
    #[error("{}: {what}", path.display())]
    NotRead {
        /// The file.
        path: PathBuf,
        /// What the file is and, where one exists, the tool that reads it.
        what: String,
    },
    /// The target cannot hold something the source has; nothing was written.
    #[error("{}: the conversion would lose data: {}; pass --allow-lossy to convert anyway", path.display(), losses.join("; "))]
    Lossy {
        /// The output that was asked for.
        path: PathBuf,
        /// One sentence per thing that would be lost.
        losses: Vec<String>,
    },
    /// Bytes the target leaves out (a raw sector's sync, header, EDC and ECC, or a dropped gap's
    /// content) are not what discus would regenerate in their place.
    #[error("{}: {count} sector(s) would not come back as stored (first at LBA {first}): what the target leaves out of them (sync, header, EDC/ECC, or a gap's content) does not regenerate; {}pass --allow-lossy to convert anyway", path.display(), lossless.as_deref().map(|l| format!("{l}, or ")).unwrap_or_default())]
    NotRegenerable {
        /// The input.
        path: PathBuf,
        /// The first sector that does not regenerate.
        first: Lba,
        /// How many do not.
        count: u64,
        /// The lossless choice, when the target can keep the sectors whole (named first).
        lossless: Option<String>,
    },
    /// An output exists and `force` was not given.
    #[error("{}: already exists; pass --force to replace it", path.display())]
    OutputExists {
        /// The output.
        path: PathBuf,
    },
    /// An output would replace a file this process put in place earlier: two conversions of one
    /// run (items of a batch) name the same file.
    #[error(
        "{}: written earlier in this run by another conversion; discus never replaces a file it wrote itself (two items name the same output)",
        path.display()
    )]
    OutputWrittenThisRun {
        /// The output.
        path: PathBuf,
    },
    /// An output is one of the inputs.
    #[error("{}: is an input of this conversion; choose another output", path.display())]
    OutputIsInput {
        /// The output.
        path: PathBuf,
    },
    /// The caller asked for something impossible (bad option value, unknown format name).
    #[error("{0}")]
    Usage(String),
    /// The conversion was cancelled (Ctrl-C); nothing was written.
    #[error("interrupted; no output was written")]
    Interrupted,
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<Path>, cause: io::Error) -> Error {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            cause,
        }
    }

    /// The kind of the system's error, for an [`Error::Io`].
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        match self {
            Error::Io { cause, .. } => Some(cause.kind()),
            _ => None,
        }
    }

    /// Invalid input at a byte offset.
    pub fn at_offset(path: impl AsRef<Path>, offset: u64, message: impl Into<String>) -> Error {
        Error::Invalid {
            path: path.as_ref().to_path_buf(),
            at: Location::Offset(offset),
            message: message.into(),
        }
    }

    /// Invalid input at a line and column.
    pub fn at_line(
        path: impl AsRef<Path>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Error {
        Error::Invalid {
            path: path.as_ref().to_path_buf(),
            at: Location::Line { line, column },
            message: message.into(),
        }
    }

    /// Invalid input in a compressed block.
    pub fn at_block(path: impl AsRef<Path>, block: u64, message: impl Into<String>) -> Error {
        Error::Invalid {
            path: path.as_ref().to_path_buf(),
            at: Location::Block(block),
            message: message.into(),
        }
    }

    /// Something this input uses that discus does not handle.
    pub fn unsupported(path: impl AsRef<Path>, message: impl Into<String>) -> Error {
        Error::Unsupported {
            path: path.as_ref().to_path_buf(),
            message: message.into(),
        }
    }

    /// Whether the error is the user's call to make rather than a broken input (usage, exists, lossy).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Error::Usage(_)
                | Error::OutputExists { .. }
                | Error::OutputWrittenThisRun { .. }
                | Error::OutputIsInput { .. }
                | Error::Lossy { .. }
        )
    }
}

/// Attaches a path to `std::io` results.
pub trait IoContext<T> {
    /// Turns an `io::Error` into [`Error::Io`] naming `path`.
    fn with_path(self, path: &Path) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn with_path(self, path: &Path) -> Result<T> {
        self.map_err(|cause| Error::io(path, cause))
    }
}
