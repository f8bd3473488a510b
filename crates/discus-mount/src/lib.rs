//! `discus mount`: any image discus reads, shown read-only through FUSE as the plain files other
//! tools want — `image.iso` (the first data track's 2048-byte user data; a DVD whole) and, when
//! the ISO alone does not hold the disc (audio, Mode 2, more tracks or sessions), `image.bin` +
//! `image.cue` (the whole disc as raw sectors in one BIN, with the sheet the BIN/CUE writer
//! writes). Nothing is converted first and nothing is written: every read decodes only the
//! blocks it needs, through a cache bounded in bytes, with one source per concurrent reader.
//!
//! ```text
//! image ──discus::open──▶ SectorSource(s) ──Window (a writer's plan)──▶ Cache ──▶ Content
//!                                                                                │
//!                       Tree (folders, files) ◀──────────────────────────────────┘
//!                         └──▶ MountFs (fuser) ──▶ the kernel ──▶ DIR/image.iso …
//! ```
//!
//! | module | does |
//! |---|---|
//! | `image` | opens the image, decides the flat files, reads them through the cache |
//! | `cache` | the bounded block cache |
//! | `files` | `files/`: the disc's file tree (through `discus-fs`), files read through their extents |
//! | `tree` | the namespace FUSE serves |
//! | `fs` | the FUSE server (Linux) |
//! | `session` | checks, mounting, serving until stopped, unmounting (Linux) |
//!
//! This crate sits above the formats, like the command line: it uses the facade `discus` only.

pub mod cache;
pub mod files;
#[cfg(target_os = "linux")]
mod fs;
pub mod image;
#[cfg(target_os = "linux")]
pub mod session;
pub mod tree;

pub use image::{Content, Image, Options};
#[cfg(target_os = "linux")]
pub use session::{FUSE_DEVICE, Mounted, Settings, check_fuse, is_discus_mount, mount, unmount};
