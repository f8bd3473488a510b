//! ECM images for discus: a raw BIN with the sync, header, EDC and ECC of its data sectors left
//! out (`game.bin.ecm`), as Neill Corlett's `ecm` tool makes them.
//!
//! The decoder lives in the core (`discus_core::ecm`), because an ECM file stands in for the data
//! file of any sheet: a cue naming `game.bin` reads `game.bin.ecm` when only that is there. This
//! crate is the ECM file on its own: opened alone it is a one-track raw image (the sector sync says
//! the mode); written, it is the ECM of a one-track raw image, byte for byte what `ecm` writes
//! from that image. Discs of more tracks are opened through their sheet. See `docs/formats/ecm.md`.

use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use discus_core::ecm::{self, Input};
use discus_core::output::{self, Destination, Output};
use discus_core::plan;
use discus_core::sector::{RAW_SIZE, SYNC};
use discus_core::{
    Arrivals, Capabilities, Confidence, Disc, Error, Form, Format, IoContext, Lba, Plan, Probe,
    Result, SectorSink, SectorSource, Track, TrackMode, WriteOptions, Writer,
};

/// The ECM format.
pub static FORMAT: Format = Format {
    name: "ecm",
    description: "ECM (Error Code Modeler): a raw BIN without the EDC/ECC its sectors regenerate",
    extensions: &["ecm"],
    probe,
    open,
    writer: Some(Writer {
        capabilities: CAPABILITIES,
        plan: plan_ecm,
        create,
    }),
};

/// One raw data track: what a lone ECM file can say about itself.
const CAPABILITIES: Capabilities = Capabilities {
    media: discus_core::Media::CD,
    multi_track: false,
    audio: false,
    sessions: false,
    subchannel: false,
    raw_sectors: true,
    metadata: false,
    compressed: true,
};

fn probe(probe: &Probe<'_>) -> Confidence {
    if probe.head.starts_with(ecm::MAGIC) {
        Confidence::Magic
    } else if probe.has_extension(FORMAT.extensions) {
        Confidence::Extension
    } else {
        Confidence::No
    }
}

/// A lone ECM file read as one raw track.
#[derive(Debug)]
struct EcmSource {
    path: PathBuf,
    input: Input,
    disc: Disc,
}

fn open(path: &Path) -> Result<Box<dyn SectorSource>> {
    // `game.bin.ecm` beside `game.cue`: the sheet knows the tracks; read alone, an audio track
    // after the data would pass for more data sectors.
    let inner = path.with_extension("");
    for sheet in ["cue", "toc", "gdi"] {
        if let Some(found) = discus_core::format::sibling(&inner, sheet) {
            return Err(Error::Usage(format!(
                "{}: this is the data of {}; open the sheet, which reads it through ECM",
                path.display(),
                found.display()
            )));
        }
    }
    let input = Input::open(path)?;
    if !matches!(input, Input::Ecm(_)) {
        return Err(Error::at_offset(
            path,
            0,
            "no ECM signature ('ECM' and a zero byte)",
        ));
    }
    let len = input.len(path)?;
    if len < RAW_SIZE as u64 {
        return Err(Error::at_offset(
            path,
            0,
            format!("decodes to {len} bytes, less than one raw sector"),
        ));
    }
    let mut first = [0u8; 24];
    input.read_exact_at(path, &mut first, 0)?;
    if first[..12] != SYNC {
        return Err(Error::unsupported(
            path,
            "the decoded data does not start with a data sector; open the cue sheet that names it",
        ));
    }
    let mode = match first[15] {
        1 => TrackMode::Mode1,
        // XA repeats its subheader; formless Mode 2 has no such pair.
        2 if first[16..20] == first[20..24] => TrackMode::Mode2Xa,
        2 => TrackMode::Mode2,
        other => {
            return Err(Error::at_offset(
                path,
                15,
                format!("sector mode {other}: not a data sector"),
            ));
        }
    };
    let sectors = u32::try_from(len / RAW_SIZE as u64)
        .map_err(|_| Error::unsupported(path, "more sectors than a disc can address"))?;
    if len % RAW_SIZE as u64 != 0 {
        return Err(Error::at_offset(
            path,
            0,
            format!(
                "decodes to {len} bytes, not whole 2352-byte sectors; open the sheet that names it"
            ),
        ));
    }
    Ok(Box::new(EcmSource {
        path: path.to_path_buf(),
        input,
        disc: Disc::single_session(vec![Track::new(1, mode, Lba(0), sectors)]),
    }))
}

impl SectorSource for EcmSource {
    fn disc(&self) -> &Disc {
        &self.disc
    }

    fn stored_form(&self, _track: usize) -> Form {
        Form::Raw
    }

    fn read(&mut self, _track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
        let index = u64::try_from(lba.0)
            .map_err(|_| Error::Usage(format!("LBA {lba} is before the track")))?;
        self.input
            .read_exact_at(&self.path, buf, index * RAW_SIZE as u64)
    }

    fn files(&self) -> Vec<PathBuf> {
        vec![self.path.clone()]
    }

    fn details(&self) -> Vec<(String, String)> {
        vec![(
            "container".to_string(),
            "ECM: EDC/ECC rebuilt on reading".to_string(),
        )]
    }
}

/// The first data track in raw sectors: an ECM of anything else would need a sheet to say what
/// it holds, so the other tracks are reported as lost.
fn plan_ecm(source: &dyn SectorSource, _options: &WriteOptions) -> Result<Plan> {
    Plan::first_data_track(source, CAPABILITIES, Form::Raw, Path::new(FORMAT.name))
}

/// Takes the raw sectors into an unnamed temporary file beside the output, then encodes them in
/// `finish`: ECM records are sized before they are written, so the data is read twice, as the
/// `ecm` tool reads it.
struct EcmSink {
    raw: BufWriter<File>,
    arrivals: Arrivals,
    output: Output,
}

fn create(
    destination: &Destination,
    plan: &Plan,
    options: &WriteOptions,
) -> Result<Box<dyn SectorSink>> {
    plan::check(plan, options, &destination.path)?;
    let folder = match destination.path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let raw = tempfile::tempfile_in(&folder).with_path(&folder)?;
    let output = destination.create(&destination.path)?;
    Ok(Box::new(EcmSink {
        raw: BufWriter::with_capacity(1 << 20, raw),
        arrivals: Arrivals::for_plan(plan),
        output,
    }))
}

impl SectorSink for EcmSink {
    fn write(&mut self, track: usize, sectors: &[u8]) -> Result<()> {
        self.arrivals.accept(track, sectors.len())?;
        let path = self.output.path().to_path_buf();
        self.raw.write_all(sectors).with_path(&path)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let EcmSink {
            raw,
            arrivals,
            mut output,
        } = *self;
        arrivals.check_complete()?;
        let path = output.path().to_path_buf();
        let mut raw = raw
            .into_inner()
            .map_err(|e| Error::io(&path, e.into_error()))?;
        let len = raw.stream_position().with_path(&path)?;
        let mut encoded = OutputWriter(&mut output);
        ecm::encode(&mut raw, len, &path, &mut encoded)?;
        output::commit([output])
    }
}

/// `Write` over an [`Output`], for the encoder.
struct OutputWriter<'a>(&'a mut Output);

impl Write for OutputWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.put(buf).map_err(std::io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
