//! An `.mdf` without its `.mds`: the layout (tracks, sessions, gaps) is lost with the descriptor,
//! so the file is read as one data track of raw sectors, the way a raw image is, and a warning
//! says so. The sector size is sniffed: a sync pattern at byte 0 means raw sectors (2448 when the
//! next sync is 2448 bytes on, as Alcohol stores subchannel, else 2352); an ISO 9660 volume
//! descriptor at 0x8001 means 2048-byte user data.

use std::path::Path;

use discus_core::flat::{FlatSource, read_exact_at};
use discus_core::sector::{SYNC, sniff_mode};
use discus_core::{
    Disc, Error, Form, IoContext, Lba, Result, SectorSource, Subchannel, Track, TrackMode,
};

/// The form of a raw `.mdf`, if it looks like one.
pub(crate) fn sniff(head: &[u8], len: u64) -> Option<Form> {
    if head.get(..12) == Some(&SYNC[..]) {
        let sub =
            head.get(2448..2460) == Some(&SYNC[..]) && head.get(2352..2364) != Some(&SYNC[..]);
        // A one-sector file has no second sync; its size tells.
        let sub = sub || len == 2448;
        return Some(if sub { Form::RawSub } else { Form::Raw });
    }
    matches!(head.get(0x8001..0x8006), Some(b"CD001") | Some(b"BEA01")).then_some(Form::Cooked)
}

pub(crate) fn open(path: &Path) -> Result<Box<dyn SectorSource>> {
    let file = discus_core::output::open_input(path)?;
    let len = file.metadata().with_path(path)?.len();
    let mut head = vec![0u8; len.min(0x10000) as usize];
    read_exact_at(&file, path, &mut head, 0)?;
    let form = sniff(&head, len).ok_or_else(|| {
        Error::at_offset(
            path,
            0,
            "no .mds beside this .mdf, and it holds neither raw sectors (no sync at byte 0) nor an ISO 9660 volume; open the .mds instead",
        )
    })?;
    let size = form.size() as u64;
    let sectors = u32::try_from(len / size)
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| Error::at_offset(path, 0, "the file holds no whole sector, or too many"))?;
    let mode = match form {
        Form::Cooked => TrackMode::Mode1,
        _ => match head
            .chunks_exact(form.size())
            .filter_map(sniff_mode)
            .find(|&m| m == 1 || m == 2)
        {
            Some(2) => TrackMode::Mode2Xa,
            _ => TrackMode::Mode1,
        },
    };
    // 2048-byte sectors past a CD's size are a DVD's or a BD's; raw sectors are a CD's.
    let mut disc = if form == Form::Cooked {
        Disc::user_data_image(sectors)
    } else {
        Disc::single_session(vec![Track::new(1, mode, Lba(0), sectors)])
    };
    if form == Form::RawSub {
        disc.subchannel = Some(Subchannel::Stored);
    }
    let mut source = FlatSource::new(path, file, disc, form, 0)
        .with_detail("sector size", form.name())
        .with_detail("descriptor", "none (.mds missing)")
        .with_warning(
            "no .mds descriptor beside this .mdf: it is read as one data track of raw sectors; the tracks, sessions and gaps the descriptor described are unknown",
        );
    if len % size != 0 {
        source = source.with_warning(format!(
            "the size ({len} bytes) is not a whole number of {size}-byte sectors; the last {} bytes are ignored",
            len % size
        ));
    }
    Ok(Box::new(source))
}
