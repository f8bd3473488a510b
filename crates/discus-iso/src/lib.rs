//! `.iso`: the user data of one data track, 2048 bytes per sector, nothing else — no header, no
//! sync, no gaps. Sector N of the track is bytes N×2048 .. (N+1)×2048 of the file.
//!
//! Reading refuses a file whose size is not a whole number of sectors: such a file is truncated or
//! not an ISO, and guessing would hide that. Writing keeps the first data track; everything else a
//! disc can have (audio, more tracks, XA subheaders) is reported by the plan before anything is
//! written. With `audio_files`, audio tracks go to WAV files beside the ISO instead of being lost.

mod wave;

use std::path::Path;

use discus_core::flat::{FlatSink, FlatSource};
use discus_core::iso9660::PVD_SECTOR;
use discus_core::output::commit;
use discus_core::sector::USER_SIZE;
use discus_core::{
    Capabilities, Confidence, Destination, Disc, Error, Form, Format, IoContext, Output, Plan,
    Probe, Result, SectorSink, SectorSource, Track, TrackMode, WriteOptions, Writer,
};

/// The ISO format.
pub static FORMAT: Format = Format {
    name: "iso",
    description: "ISO 9660 image: one data track of 2048-byte sectors",
    extensions: &["iso"],
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
    raw_sectors: false,
    metadata: false,
    compressed: false,
};

/// Byte offset of the first volume descriptor in a 2048-byte image.
const DESCRIPTOR_OFFSET: usize = PVD_SECTOR as usize * USER_SIZE;

fn probe(probe: &Probe<'_>) -> Confidence {
    let head = probe.head;
    let signature = head.get(DESCRIPTOR_OFFSET + 1..DESCRIPTOR_OFFSET + 6);
    // ISO 9660 ("CD001") or a UDF-only volume ("BEA01") at sector 16. A bad size does not make
    // it less of an ISO: `open` refuses it with a message that says so.
    if matches!(signature, Some(b"CD001") | Some(b"BEA01")) {
        Confidence::Magic
    } else if probe.has_extension(FORMAT.extensions) {
        Confidence::Extension
    } else {
        Confidence::No
    }
}

fn open(path: &Path) -> Result<Box<dyn SectorSource>> {
    let file = discus_core::output::open_input(path)?;
    let len = file.metadata().with_path(path)?.len();
    if len == 0 {
        return Err(Error::at_offset(path, 0, "the file is empty"));
    }
    if len % USER_SIZE as u64 != 0 {
        return Err(Error::at_offset(
            path,
            len - len % USER_SIZE as u64,
            format!(
                "the size ({len} bytes) is not a whole number of 2048-byte sectors: the file is truncated or not an ISO"
            ),
        ));
    }
    let sectors = u32::try_from(len / USER_SIZE as u64)
        .map_err(|_| Error::unsupported(path, "more sectors than a disc can address"))?;
    let disc = Disc::user_data_image(sectors);
    // Whether the volume inside is longer than the file (truncation) is checked for every
    // container alike by `discus_core::iso9660::read_volumes`.
    Ok(Box::new(FlatSource::new(path, file, disc, Form::Cooked, 0)))
}

fn plan(source: &dyn SectorSource, options: &WriteOptions) -> Result<Plan> {
    let path = source.files().into_iter().next().unwrap_or_default();
    if !options.audio_files {
        let mut plan = Plan::first_data_track(source, CAPABILITIES, Form::Cooked, &path)?;
        // The usual loss is audio, and the usual wish is to keep it beside the ISO.
        for loss in &mut plan.losses {
            if loss.contains("(audio,") {
                loss.push_str(" (--audio wav keeps it as a WAV file)");
            }
        }
        return Ok(plan);
    }
    // Audio tracks travel raw to WAV files beside the ISO, so they are kept rather than lost.
    let Some(first_data) = source.disc().tracks().position(|t| t.mode.is_data()) else {
        return Err(Error::unsupported(
            &path,
            "the disc has no data track for an ISO",
        ));
    };
    let form_for = |track: &Track, _| {
        if track.mode == TrackMode::Audio {
            Form::Raw
        } else {
            Form::Cooked
        }
    };
    let mut plan = Plan::keep_all(source, CAPABILITIES, form_for, |_| (false, false));
    plan.retain(source, |index, track| {
        index == first_data || track.mode == TrackMode::Audio
    });
    Ok(plan)
}

fn create(destination: &Destination, plan: &Plan, _: &WriteOptions) -> Result<Box<dyn SectorSink>> {
    let has_audio = plan.disc.tracks().any(|t| t.mode == TrackMode::Audio);
    if !has_audio {
        return Ok(Box::new(FlatSink::create(destination)?));
    }
    let pad = plan.disc.track_count() >= 10;
    let stem = destination.stem();
    let mut outputs = Vec::new();
    for track in plan.disc.tracks() {
        let output = if track.mode == TrackMode::Audio {
            let name = if pad {
                format!("{stem} (Track {:02}).wav", track.number)
            } else {
                format!("{stem} (Track {}).wav", track.number)
            };
            let mut output = destination.create(&destination.in_folder(&name))?;
            output.put(&wave::header(u64::from(track.length) * 2352))?;
            output
        } else {
            destination.create(&destination.path)?
        };
        outputs.push(output);
    }
    Ok(Box::new(IsoWithAudio { outputs }))
}

/// An ISO plus one WAV file per audio track: each plan track goes to its own output.
struct IsoWithAudio {
    outputs: Vec<Output>,
}

impl SectorSink for IsoWithAudio {
    fn write(&mut self, track: usize, sectors: &[u8]) -> Result<()> {
        match self.outputs.get_mut(track) {
            Some(output) => output.put(sectors),
            None => Err(Error::Usage(format!("no output for track index {track}"))),
        }
    }

    fn finish(self: Box<Self>) -> Result<()> {
        commit(self.outputs)
    }
}
