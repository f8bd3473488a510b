//! The core of discus: the disc model every format decodes into, the sector codec (EDC/ECC, cooking
//! and uncooking with the lossless check), the sector streams between formats, plans, output safety
//! and the conversion loop.
//!
//! ```text
//! input ──probe──▶ Format::open ──▶ SectorSource ──read_sectors (transcode, check)──▶ SectorSink ──finish──▶ outputs
//!                                        └──────── Disc ──▶ Writer::plan ──▶ Plan ──────────┘
//! ```
//!
//! A format crate depends on this crate only. It exports one [`Format`] and implements
//! [`SectorSource`] (and, if it writes, [`SectorSink`] with a plan function).

pub mod address;
pub mod cd_text;
pub mod containment;
pub mod convert;
pub mod disc;
pub mod ecm;
pub mod error;
pub mod flat;
pub mod format;
pub mod iso9660;
pub mod output;
pub mod plan;
pub mod sector;
pub mod stream;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod wave;
pub mod window;

pub use address::{Lba, Msf};
pub use convert::{ConvertOptions, Report, convert};
pub use disc::{Control, Disc, Gap, Index, Medium, Session, Subchannel, Text, Track, TrackMode};
pub use error::{Error, IoContext, Location, Result};
pub use format::{
    Capabilities, Compression, Confidence, Format, Media, Probe, WriteOptions, Writer,
};
pub use output::{Destination, Output, Run};
pub use plan::{Arrivals, Plan, TrackPlan};
pub use sector::{Check, Form};
pub use stream::{SectorSink, SectorSource, StoredHash, read_sectors};
pub use window::Window;
