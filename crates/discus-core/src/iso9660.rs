//! Just enough ISO 9660 (and UDF) to say what a data track holds: the Primary Volume Descriptor
//! at logical sector 16, its label and size, checked both-endian; the second volume of a PS2
//! dual-layer DVD; and whether the image holds as many sectors as its volumes say (truncation).

use crate::address::Lba;
use crate::error::Result;
use crate::sector::{Check, Form};
use crate::stream::{SectorSource, read_sectors};

/// The logical sector of the first volume descriptor.
pub const PVD_SECTOR: u32 = 16;

/// The logical sector of UDF's first Anchor Volume Descriptor Pointer.
pub const UDF_ANCHOR_SECTOR: u32 = 256;

/// What the Primary Volume Descriptor says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volume {
    /// The volume identifier (label), trimmed.
    pub label: String,
    /// The system identifier, trimmed.
    pub system: String,
    /// Logical blocks in the volume.
    pub blocks: u32,
    /// Bytes per logical block (2048 on every CD).
    pub block_size: u16,
    /// Creation time as written (`YYYYMMDDHHMMSScc`), if set.
    pub created: Option<String>,
}

impl Volume {
    /// The volume's size in bytes.
    pub fn bytes(&self) -> u64 {
        u64::from(self.blocks) * u64::from(self.block_size)
    }
}

fn both_endian_u32(field: &[u8]) -> Option<u32> {
    let le = u32::from_le_bytes(field[..4].try_into().ok()?);
    let be = u32::from_be_bytes(field[4..8].try_into().ok()?);
    (le == be).then_some(le)
}

fn both_endian_u16(field: &[u8]) -> Option<u16> {
    let le = u16::from_le_bytes(field[..2].try_into().ok()?);
    let be = u16::from_be_bytes(field[2..4].try_into().ok()?);
    (le == be).then_some(le)
}

fn text(field: &[u8]) -> String {
    String::from_utf8_lossy(field)
        .trim_end_matches([' ', '\0'])
        .to_string()
}

/// Reads a Primary Volume Descriptor from the 2048 bytes of logical sector 16, or `None` if the
/// sector is not one (wrong type, signature or version, or both-endian fields that disagree).
pub fn parse_pvd(sector: &[u8]) -> Option<Volume> {
    if sector.len() < 2048 || sector[0] != 1 || &sector[1..6] != b"CD001" || sector[6] != 1 {
        return None;
    }
    let created = &sector[813..829];
    Some(Volume {
        label: text(&sector[40..72]),
        system: text(&sector[8..40]),
        blocks: both_endian_u32(&sector[80..88])?,
        block_size: both_endian_u16(&sector[128..132])?,
        created: (created.iter().all(u8::is_ascii_digit) && created.iter().any(|&b| b != b'0'))
            .then(|| text(created)),
    })
}

/// What the volumes recorded at the start of a data track say about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volumes {
    /// The ISO 9660 volume at sector 16, if there is one.
    pub iso: Option<Volume>,
    /// The second volume of a PS2 dual-layer DVD: the sector (from the track's start) where
    /// layer 1's volume begins, and the volume. Found as PCSX2 and Open PS2 Loader find it: when
    /// the first volume is smaller than the image, the sector right after it holds layer 1's
    /// Primary Volume Descriptor, whose volume starts 16 sectors earlier.
    pub layer1: Option<(u32, Volume)>,
    /// The sectors a UDF volume's partition reaches (its start plus its length), if it has one.
    pub udf_end: Option<u64>,
}

impl Volumes {
    /// The sectors from the track's start that the volumes say the image must hold: the end of
    /// layer 1's volume on a dual-layer disc, else the larger of the ISO 9660 and UDF extents.
    pub fn recorded(&self) -> Option<u64> {
        if let Some((start, volume)) = &self.layer1 {
            return Some(u64::from(*start) + u64::from(volume.blocks));
        }
        let iso = self
            .iso
            .as_ref()
            .filter(|v| usize::from(v.block_size) == crate::sector::USER_SIZE)
            .map(|v| u64::from(v.blocks));
        match (iso, self.udf_end) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// The truncation of an image that holds `held` sectors of the track, if the volumes say it
    /// should hold more.
    pub fn truncation(&self, held: u64) -> Option<Truncation> {
        self.recorded()
            .filter(|&recorded| recorded > held)
            .map(|recorded| Truncation {
                declared_by: "volume",
                recorded,
                held,
            })
    }
}

/// An image shorter than the volume it holds, or than its own descriptor says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truncation {
    /// What recorded the longer size: `volume` (ISO 9660 or UDF) or the container (`descriptor`).
    pub declared_by: &'static str,
    /// Sectors the volume says it spans.
    pub recorded: u64,
    /// Sectors the image holds.
    pub held: u64,
}

impl std::fmt::Display for Truncation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "truncated: {} says {} sectors, image holds {} ({} missing)",
            self.declared_by,
            self.recorded,
            self.held,
            self.recorded - self.held
        )
    }
}

/// The first data track of a disc and what the image holds around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataTrack {
    /// Its index in [`crate::Disc::tracks`] order.
    pub index: usize,
    /// Its INDEX 01.
    pub start: Lba,
    /// Its sectors, postgap included.
    pub sectors: u64,
    /// The end of its session, counted from LBA 0 as ISO 9660 block numbers are: a volume may
    /// span the tracks after its own (some mixed-mode discs count their audio tracks in it), so
    /// this, not the track's end, is what a volume size is compared with.
    pub session_end: u64,
}

/// The first data track of `source`'s disc, if it has one.
pub fn first_data_track(source: &dyn SectorSource) -> Option<DataTrack> {
    let disc = source.disc();
    let (index, track) = disc.tracks().enumerate().find(|(_, t)| t.mode.is_data())?;
    let session_end = disc
        .session_of(index)
        .and_then(|number| disc.sessions.iter().find(|s| s.number == number))
        .and_then(crate::disc::Session::lead_out)
        .unwrap_or(track.end_lba());
    Some(DataTrack {
        index,
        start: track.start,
        sectors: u64::from(track.length) + u64::from(track.postgap.sectors),
        session_end: u64::try_from(session_end.0).unwrap_or(0),
    })
}

/// Reads the volumes of the first data track through `source` (a few sectors, in 2048-byte
/// form whatever the container stores). `None` when the disc has no data track.
pub fn read_volumes(source: &mut dyn SectorSource) -> Result<Option<Volumes>> {
    let Some(DataTrack {
        index,
        start,
        sectors: track_sectors,
        ..
    }) = first_data_track(source)
    else {
        return Ok(None);
    };
    let mut read = |sector: u32| -> Result<Option<Vec<u8>>> {
        if u64::from(sector) >= track_sectors {
            return Ok(None);
        }
        let mut buf = vec![0u8; crate::sector::USER_SIZE];
        let lba = Lba(start.0 + sector as i32);
        read_sectors(
            source,
            index,
            lba,
            1,
            Form::Cooked,
            &mut buf,
            &mut Vec::new(),
            &mut Check::default(),
        )?;
        Ok(Some(buf))
    };
    let iso = read(PVD_SECTOR)?.and_then(|s| parse_pvd(&s));
    let mut layer1 = None;
    if let Some(volume) = &iso
        && u64::from(volume.blocks) < track_sectors
        && volume.blocks > PVD_SECTOR
        && let Some(second) = read(volume.blocks)?.and_then(|s| parse_pvd(&s))
    {
        layer1 = Some((volume.blocks - PVD_SECTOR, second));
    }
    let udf_end = match read(UDF_ANCHOR_SECTOR)? {
        Some(anchor) => udf_partition_end(&anchor, &mut read)?,
        None => None,
    };
    Ok(Some(Volumes {
        iso,
        layer1,
        udf_end,
    }))
}

/// The end of a UDF volume's partition: the anchor at sector 256 points to the Main Volume
/// Descriptor Sequence, whose Partition Descriptor gives the partition's start and length.
fn udf_partition_end(
    anchor: &[u8],
    read: &mut impl FnMut(u32) -> Result<Option<Vec<u8>>>,
) -> Result<Option<u64>> {
    const ANCHOR_TAG: u16 = 2;
    const PARTITION_TAG: u16 = 5;
    const TERMINATING_TAG: u16 = 8;
    if udf_tag(anchor, UDF_ANCHOR_SECTOR) != Some(ANCHOR_TAG) {
        return Ok(None);
    }
    let le32 = |data: &[u8], at: usize| {
        data.get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
    };
    // extent_ad of the Main VDS: length in bytes, then location.
    let (Some(length), Some(location)) = (le32(anchor, 16), le32(anchor, 20)) else {
        return Ok(None);
    };
    let sectors = (length / crate::sector::USER_SIZE as u32).min(32);
    for sector in location..location.saturating_add(sectors) {
        let Some(descriptor) = read(sector)? else {
            return Ok(None);
        };
        match udf_tag(&descriptor, sector) {
            Some(PARTITION_TAG) => {
                let (Some(start), Some(length)) = (le32(&descriptor, 188), le32(&descriptor, 192))
                else {
                    return Ok(None);
                };
                return Ok(Some(u64::from(start) + u64::from(length)));
            }
            Some(TERMINATING_TAG) | None => return Ok(None),
            Some(_) => {}
        }
    }
    Ok(None)
}

/// The identifier of a UDF descriptor tag whose checksum holds and which says it is at `sector`.
fn udf_tag(data: &[u8], sector: u32) -> Option<u16> {
    let tag = data.get(..16)?;
    let sum = tag
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != 4)
        .fold(0u8, |acc, (_, &b)| acc.wrapping_add(b));
    let location = u32::from_le_bytes(tag[12..16].try_into().ok()?);
    (sum == tag[4] && location == sector).then(|| u16::from_le_bytes([tag[0], tag[1]]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disc::{Disc, Track, TrackMode};
    use crate::error::Error;

    fn pvd(blocks: u32) -> Vec<u8> {
        let mut pvd = vec![0u8; 2048];
        pvd[0] = 1;
        pvd[1..6].copy_from_slice(b"CD001");
        pvd[6] = 1;
        pvd[80..84].copy_from_slice(&blocks.to_le_bytes());
        pvd[84..88].copy_from_slice(&blocks.to_be_bytes());
        pvd[128..130].copy_from_slice(&2048u16.to_le_bytes());
        pvd[130..132].copy_from_slice(&2048u16.to_be_bytes());
        pvd
    }

    /// A data track of 2048-byte sectors (a PVD at 16 saying `blocks`) then an audio track.
    struct Mixed {
        disc: Disc,
        data: Vec<u8>,
    }

    impl SectorSource for Mixed {
        fn disc(&self) -> &Disc {
            &self.disc
        }
        fn stored_form(&self, track: usize) -> Form {
            if track == 0 { Form::Cooked } else { Form::Raw }
        }
        fn read(&mut self, track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
            if track != 0 {
                return Err(Error::Usage("only the data track is read".to_string()));
            }
            let at = lba.0 as usize * 2048;
            buf.copy_from_slice(&self.data[at..at + buf.len()]);
            Ok(())
        }
        fn files(&self) -> Vec<std::path::PathBuf> {
            Vec::new()
        }
    }

    fn mixed(volume: u32, audio: u32) -> Mixed {
        let mut data = vec![0u8; 20 * 2048];
        data[16 * 2048..17 * 2048].copy_from_slice(&pvd(volume));
        Mixed {
            disc: Disc::single_session(vec![
                Track::new(1, TrackMode::Mode1, Lba(0), 20),
                Track::new(2, TrackMode::Audio, Lba(20), audio),
            ]),
            data,
        }
    }

    #[test]
    fn i12_5_a_volume_over_the_audio_tracks_is_whole_until_the_disc_is_cut() {
        // Some mixed-mode discs count their audio tracks in the data track's volume.
        let mut whole = mixed(50, 30);
        let volumes = read_volumes(&mut whole).unwrap().unwrap();
        let end = first_data_track(&whole).unwrap().session_end;
        assert_eq!(volumes.truncation(end), None);
        let mut cut = mixed(50, 20);
        let volumes = read_volumes(&mut cut).unwrap().unwrap();
        let end = first_data_track(&cut).unwrap().session_end;
        let truncation = volumes.truncation(end).unwrap();
        assert_eq!((truncation.recorded, truncation.held), (50, 40));
        assert_eq!(
            truncation.to_string(),
            "truncated: volume says 50 sectors, image holds 40 (10 missing)"
        );
    }

    #[test]
    fn rejects_mismatched_both_endian_size() {
        let mut pvd = vec![0u8; 2048];
        pvd[0] = 1;
        pvd[1..6].copy_from_slice(b"CD001");
        pvd[6] = 1;
        pvd[80..84].copy_from_slice(&10u32.to_le_bytes());
        pvd[84..88].copy_from_slice(&10u32.to_be_bytes());
        pvd[128..130].copy_from_slice(&2048u16.to_le_bytes());
        pvd[130..132].copy_from_slice(&2048u16.to_be_bytes());
        pvd[40..45].copy_from_slice(b"LABEL");
        let volume = parse_pvd(&pvd).expect("valid PVD");
        assert_eq!(volume.label, "LABEL");
        assert_eq!(volume.bytes(), 20480);
        pvd[84..88].copy_from_slice(&11u32.to_be_bytes());
        assert_eq!(parse_pvd(&pvd), None);
    }
}
