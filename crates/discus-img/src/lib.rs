//! Raw `.img` / `.bin` without a sheet: one data track, sectors back to back, 2048, 2336, 2352 or
//! 2448 bytes each. Nothing in the file says which, so the sector size is sniffed:
//!
//! 1. a sync pattern at byte 0 means raw sectors: 2448 if the next sync is at 2448, else 2352;
//!    the mode byte of the first data sector gives Mode 1 or Mode 2 (XA);
//! 2. otherwise the ISO 9660 "CD001" (or UDF "BEA01") signature of sector 16 at the offset each
//!    size puts it: 0x8001 (2048), 0x9209 (2336), 0x9311 / 0x9319 (2352 Mode 1 / Mode 2),
//!    0x9911 / 0x9919 (2448);
//! 3. otherwise the file size: 2048 if it divides, then 2352.
//!
//! Audio-only raw images have no sync and no volume: they need a sheet and are refused.
//! Writing produces 2048-byte sectors, or whole 2352-byte sectors with `sector_size` 2352.

pub mod ccd;

use std::path::Path;

use discus_core::flat::{FlatSink, FlatSource, read_exact_at};
use discus_core::sector::{SYNC, sniff_mode};
use discus_core::{
    Capabilities, Confidence, Destination, Disc, Error, Form, Format, IoContext, Lba, Plan, Probe,
    Result, SectorSink, SectorSource, Track, TrackMode, WriteOptions, Writer,
};

/// The raw IMG/BIN format.
pub static FORMAT: Format = Format {
    name: "img",
    description: "raw image without a sheet: one data track of 2048, 2336, 2352 or 2448-byte sectors",
    extensions: &["img", "bin", "raw"],
    probe,
    open,
    writer: Some(Writer {
        capabilities: CAPABILITIES,
        plan,
        create,
    }),
};

const CAPABILITIES: Capabilities = Capabilities {
    media: discus_core::Media::ALL,
    multi_track: false,
    audio: false,
    sessions: false,
    subchannel: false,
    raw_sectors: true,
    metadata: false,
    compressed: false,
};

/// Sheets that describe a raw file better than sniffing can: when one sits beside the file,
/// its own format should open it.
const SHEETS: &[&str] = &["cue", "ccd", "mds"];

/// Where each sector size puts the signature of the volume descriptor at sector 16.
const SIGNATURES: &[(usize, Form)] = &[
    (0x8001, Form::Cooked),
    (0x9209, Form::Mode2),
    (0x9311, Form::Raw),
    (0x9319, Form::Raw),
    (0x9911, Form::RawSub),
    (0x9919, Form::RawSub),
];

/// How a raw file stores its sectors, and how sure the sniffing is.
fn sniff(head: &[u8], len: u64) -> Option<(Form, Confidence)> {
    if head.len() >= 16 && head[..12] == SYNC {
        let sub =
            head.get(2448..2460) == Some(&SYNC[..]) && head.get(2352..2364) != Some(&SYNC[..]);
        return Some((
            if sub { Form::RawSub } else { Form::Raw },
            Confidence::Magic,
        ));
    }
    for &(offset, form) in SIGNATURES {
        if matches!(
            head.get(offset..offset + 5),
            Some(b"CD001") | Some(b"BEA01")
        ) {
            return Some((form, Confidence::Magic));
        }
    }
    [Form::Cooked, Form::Raw]
        .into_iter()
        .find(|f| len > 0 && len.is_multiple_of(f.size() as u64))
        .map(|f| (f, Confidence::Extension))
}

fn probe(probe: &Probe<'_>) -> Confidence {
    let sheet = SHEETS.iter().any(|ext| probe.sibling(ext).is_some());
    let ours = probe.has_extension(FORMAT.extensions);
    match sniff(probe.head, probe.len) {
        // A raw file with a sheet beside it belongs to the sheet's format.
        Some(_) if sheet => Confidence::Extension,
        // A plain 2048-byte volume is an ISO unless the name says otherwise.
        Some((Form::Cooked, Confidence::Magic)) if !ours => Confidence::Structure,
        Some((_, confidence)) if ours || confidence == Confidence::Magic => confidence,
        _ => Confidence::No,
    }
}

fn open(path: &Path) -> Result<Box<dyn SectorSource>> {
    let file = discus_core::output::open_input(path)?;
    let len = file.metadata().with_path(path)?.len();
    let mut head = vec![0u8; (len.min(0x10000)) as usize];
    read_exact_at(&file, path, &mut head, 0)?;
    let (form, _) = sniff(&head, len).ok_or_else(|| {
        Error::at_offset(
            path,
            0,
            "no sector sync, no ISO 9660 volume and no size that fits a sector size: not a raw image (audio needs a cue sheet)",
        )
    })?;
    let size = form.size() as u64;
    let whole = len / size;
    let mut source_warnings = Vec::new();
    // A torn last sector is data no target can hold: a loss each conversion refuses.
    let torn = (len % size != 0).then(|| {
        format!(
            "{}: the last {} byte(s), at byte {}, do not make a whole {size}-byte sector",
            path.display(),
            len % size,
            whole * size
        )
    });
    if let Some(torn) = &torn {
        source_warnings.push(format!("{torn}; they are not read"));
    }
    if whole == 0 {
        return Err(Error::at_offset(path, 0, "the file holds no whole sector"));
    }
    let sectors = u32::try_from(whole)
        .map_err(|_| Error::unsupported(path, "more sectors than a disc can address"))?;
    let mode = match form {
        Form::Cooked => TrackMode::Mode1,
        Form::Mode2 => TrackMode::Mode2Xa,
        Form::Raw | Form::RawSub => raw_mode(&head, form, path)?,
    };
    // 2048-byte sectors past a CD's size are a DVD's or a BD's; raw sectors are a CD's.
    let mut disc = if form == Form::Cooked {
        Disc::user_data_image(sectors)
    } else {
        Disc::single_session(vec![Track::new(1, mode, Lba(0), sectors)])
    };
    if form == Form::RawSub {
        disc.subchannel = Some(discus_core::Subchannel::Stored);
    }
    let mut source = FlatSource::new(path, file, disc, form, 0)
        .with_detail("sector size", form.name())
        .with_detail(
            "detected from",
            if head.get(..12) == Some(&SYNC[..]) {
                "sync pattern"
            } else {
                "volume descriptor position"
            },
        );
    for warning in source_warnings {
        source = source.with_warning(warning);
    }
    if let Some(torn) = torn {
        source = source.with_left_out(torn);
    }
    Ok(Box::new(source))
}

/// The mode of a raw image: that of its first Mode 1 or Mode 2 sector in the first 64 KiB.
fn raw_mode(head: &[u8], form: Form, path: &Path) -> Result<TrackMode> {
    let mode = head
        .chunks_exact(form.size())
        .filter_map(sniff_mode)
        .find(|&m| m == 1 || m == 2);
    match mode {
        Some(1) => Ok(TrackMode::Mode1),
        Some(2) => Ok(TrackMode::Mode2Xa),
        _ => Err(Error::at_offset(
            path,
            15,
            "no Mode 1 or Mode 2 sector in the first 64 KiB: not a data image",
        )),
    }
}

fn plan(source: &dyn SectorSource, options: &WriteOptions) -> Result<Plan> {
    let path = source.files().into_iter().next().unwrap_or_default();
    let form = match options.sector_size {
        None | Some(2048) => Form::Cooked,
        Some(2352) => Form::Raw,
        Some(other) => {
            return Err(Error::Usage(format!(
                "an IMG is written with 2048 or 2352-byte sectors, not {other}"
            )));
        }
    };
    Plan::first_data_track(source, CAPABILITIES, form, &path)
}

fn create(destination: &Destination, _: &Plan, _: &WriteOptions) -> Result<Box<dyn SectorSink>> {
    Ok(Box::new(FlatSink::create(destination)?))
}
