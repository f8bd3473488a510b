//! `discus verify`: checks an image and hashes it the way Redump does.
//!
//! One pass reads the image through the BIN/CUE writer's plan (one 2352-byte BIN per track, a
//! track's stored pregap at the start of its file) into a sink that writes nothing: it hashes each
//! track's bytes (CRC32, MD5, SHA-1) and the whole image's, and checks every data sector the image
//! stores raw — sync, header address and mode, EDC and ECC. Sectors an image stores as 2048-byte
//! user data are regenerated and have nothing to check; their hashes are still those of the BIN
//! discus would write. The digests therefore equal `md5sum`/`sha1sum` of the BINs that
//! `discus convert IMAGE OUT.cue` writes, for every format, without writing them.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, PoisonError};

use discus_core::convert::BATCH_SECTORS;
use discus_core::iso9660::Truncation;
use discus_core::sector::{RAW_SIZE, SUBMODE_FORM2, SYNC, ecc, edc};
use discus_core::{
    Capabilities, Check, Error, Form, Lba, Media, Plan, SectorSink, SectorSource, TrackMode,
    WriteOptions, read_sectors,
};
use md5::Digest;

use crate::dat::{Dat, DatMatch};
use crate::{Format, Result, open};

/// Size and CRC32, MD5 and SHA-1 of a run of bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digests {
    /// Bytes hashed.
    pub size: u64,
    /// CRC-32 (IEEE, as zip and Redump use it).
    pub crc32: u32,
    /// MD5.
    pub md5: [u8; 16],
    /// SHA-1.
    pub sha1: [u8; 20],
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Digests {
    /// CRC32 as 8 lower-case hex digits.
    pub fn crc32_hex(&self) -> String {
        format!("{:08x}", self.crc32)
    }

    /// MD5 in lower-case hex.
    pub fn md5_hex(&self) -> String {
        hex(&self.md5)
    }

    /// SHA-1 in lower-case hex.
    pub fn sha1_hex(&self) -> String {
        hex(&self.sha1)
    }
}

/// The three hashes fed together.
#[derive(Clone, Default)]
pub struct Hashers {
    size: u64,
    crc32: crc32fast::Hasher,
    md5: md5::Md5,
    sha1: sha1::Sha1,
}

impl Hashers {
    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.size += data.len() as u64;
        // MD5 and SHA-1 each take about as long as reading; on two cores they run side by side.
        let (md5, sha1) = (&mut self.md5, &mut self.sha1);
        if data.len() >= 256 * 1024 {
            std::thread::scope(|scope| {
                scope.spawn(|| md5.update(data));
                sha1.update(data);
            });
        } else {
            md5.update(data);
            sha1.update(data);
        }
        self.crc32.update(data);
    }

    /// The digests of everything added.
    pub fn finish(self) -> Digests {
        Digests {
            size: self.size,
            crc32: self.crc32.finalize(),
            md5: self.md5.finalize().into(),
            sha1: self.sha1.finalize().into(),
        }
    }
}

/// The digests of a file's bytes as they are on disk.
pub fn hash_file(path: &Path) -> Result<Digests> {
    use std::io::Read;
    let mut file = discus_core::output::open_input(path)?;
    let mut hashers = Hashers::default();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, e)),
        };
        hashers.update(&buf[..n]);
    }
    Ok(hashers.finish())
}

/// What is wrong with a stored raw sector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SectorFault {
    /// The 12-byte sync pattern is not there.
    Sync,
    /// The header holds another address, or a mode the track does not have.
    Header,
    /// The EDC does not match the sector's contents.
    Edc,
    /// The P or Q parity does not match the sector's contents.
    Ecc,
}

impl SectorFault {
    /// A short name for listings.
    pub fn name(self) -> &'static str {
        match self {
            SectorFault::Sync => "sync",
            SectorFault::Header => "header",
            SectorFault::Edc => "edc",
            SectorFault::Ecc => "ecc",
        }
    }
}

/// Checks one raw data sector of a `mode` track at `lba`. Mode 0 sectors (empty, as gaps may
/// hold) pass; audio has no structure to check.
pub fn check_raw_sector(mode: TrackMode, lba: Lba, sector: &[u8; RAW_SIZE]) -> Option<SectorFault> {
    if mode == TrackMode::Audio {
        return None;
    }
    if sector[..12] != SYNC {
        return Some(SectorFault::Sync);
    }
    if sector[12..15] != lba.to_absolute_msf().to_bcd() {
        return Some(SectorFault::Header);
    }
    let expected_mode = if mode == TrackMode::Mode1 { 1 } else { 2 };
    match sector[15] {
        0 if sector[16..].iter().all(|&b| b == 0) => return None,
        m if m != expected_mode => return Some(SectorFault::Header),
        _ => {}
    }
    match mode {
        TrackMode::Mode1 => {
            if edc::compute(&sector[..2064]).to_le_bytes() != sector[2064..2068] {
                return Some(SectorFault::Edc);
            }
            if !ecc::matches(sector) {
                return Some(SectorFault::Ecc);
            }
        }
        TrackMode::Mode2Xa if sector[18] & SUBMODE_FORM2 != 0 => {
            // Form 2's EDC is optional: zero means none was recorded.
            let stored = &sector[2348..2352];
            if stored != [0u8; 4] && edc::compute(&sector[16..2348]).to_le_bytes() != stored {
                return Some(SectorFault::Edc);
            }
        }
        TrackMode::Mode2Xa => {
            if edc::compute(&sector[16..2072]).to_le_bytes() != sector[2072..2076] {
                return Some(SectorFault::Edc);
            }
            // Form 1 parity is computed over a zeroed header.
            let mut copy = *sector;
            copy[12..16].fill(0);
            if !ecc::matches(&copy) {
                return Some(SectorFault::Ecc);
            }
        }
        // Formless Mode 2 has no EDC or ECC.
        _ => {}
    }
    None
}

/// Sector errors of one track.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SectorErrors {
    /// Stored raw data sectors checked (0 when the image stores the track as user data only).
    pub checked: u64,
    /// Sectors with a fault.
    pub bad: u64,
    /// Faults by kind: sync, header, EDC, ECC (a sector counts once, for its first fault).
    pub by_fault: [u64; 4],
    /// The first bad sectors and what is wrong with them (at most [`SectorErrors::NAMED`]).
    pub first: Vec<(Lba, SectorFault)>,
}

impl SectorErrors {
    /// Bad sectors named per track.
    pub const NAMED: usize = 10;

    fn note(&mut self, lba: Lba, fault: SectorFault) {
        self.bad += 1;
        self.by_fault[fault as usize] += 1;
        if self.first.len() < Self::NAMED {
            self.first.push((lba, fault));
        }
    }
}

/// One track as Redump defines it.
#[derive(Clone, Debug)]
pub struct TrackVerification {
    /// Track number.
    pub number: u8,
    /// What the track holds.
    pub mode: TrackMode,
    /// How the image stores it.
    pub stored: Form,
    /// The BIN file name `discus convert` gives it (`NAME (Track N).bin`).
    pub file: String,
    /// Digests of that BIN.
    pub digests: Digests,
    /// Sector check results.
    pub errors: SectorErrors,
}

/// What `verify` found.
#[derive(Clone, Debug)]
pub struct Verification {
    /// The image.
    pub path: PathBuf,
    /// Its format.
    pub format: &'static Format,
    /// Every track, in disc order.
    pub tracks: Vec<TrackVerification>,
    /// Digests of all tracks' BINs one after another (the single-BIN image).
    pub image: Digests,
    /// The cue sheet's name and digests: the sheet discus writes beside the track BINs.
    pub cue: Option<(String, Digests)>,
    /// For a disc of one Mode 1 data track (an ISO, CSO, ZSO, DAX, or a one-track BIN), the name
    /// and digests of its 2048-byte user data as one ISO: what Redump's PSP, PS2 and DVD entries
    /// and `maxcso --crc` hash. A DVD's track digests are already these.
    pub iso: Option<(String, Digests)>,
    /// What the reader tolerated while opening.
    pub warnings: Vec<String>,
    /// The DAT's verdict, when a DAT was given.
    pub dat: Option<DatMatch>,
    /// Hashes the container keeps of itself (a CHD's SHA-1s), recomputed: each must match.
    pub stored_hashes: Vec<discus_core::StoredHash>,
    /// Set when the image holds fewer sectors than its volume says: a failed check.
    pub truncation: Option<Truncation>,
    /// The disc's medium: a DVD or BD is hashed as its 2048-byte sectors (the ISO).
    pub medium: discus_core::Medium,
}

impl Verification {
    /// Bad sectors over all tracks.
    pub fn bad_sectors(&self) -> u64 {
        self.tracks.iter().map(|t| t.errors.bad).sum()
    }

    /// Whether every sector checks and, with a DAT, the image matches one of its games whole.
    pub fn passed(&self) -> bool {
        self.bad_sectors() == 0
            && self.truncation.is_none()
            && self
                .stored_hashes
                .iter()
                .all(discus_core::StoredHash::matches)
            && self.dat.as_ref().is_none_or(|d| d.complete)
    }
}

/// How to verify.
#[derive(Default)]
pub struct VerifyOptions<'a> {
    /// A DAT to identify the image by.
    pub dat: Option<&'a Dat>,
    /// Called with (sectors done, sectors in all).
    pub progress: Option<&'a (dyn Fn(u64, u64) + Sync)>,
    /// When set, verification stops with [`Error::Interrupted`].
    pub cancel: Option<&'a AtomicBool>,
}

/// Opens `path` and verifies it.
pub fn verify(path: &Path, options: &VerifyOptions<'_>) -> Result<Verification> {
    let mut opened = open(path)?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "disc".to_string());
    let mut verification = verify_source(opened.format, &mut *opened.source, &stem, options)?;
    verification.path = path.to_path_buf();
    Ok(verification)
}

/// The plan of the BINs Redump keeps: the BIN/CUE writer's, every track as 2352-byte sectors.
/// Without the cue format compiled in, the same plan is made here. A DVD or BD has no 2352-byte
/// sectors: Redump keeps its 2048-byte sectors as one ISO, and so does this plan.
pub fn redump_plan(source: &dyn SectorSource) -> Result<Plan> {
    if !source.disc().medium.is_cd() {
        let path = source.files().into_iter().next().unwrap_or_default();
        let iso = Capabilities {
            media: Media::ALL,
            ..Capabilities::default()
        };
        return Plan::first_data_track(source, iso, Form::Cooked, &path);
    }
    let mut plan = match crate::find("cue").and_then(|f| f.writer) {
        Some(writer) => (writer.plan)(source, &WriteOptions::default())?,
        None => Plan::keep_all(
            source,
            Capabilities {
                multi_track: true,
                audio: true,
                sessions: true,
                raw_sectors: true,
                ..Capabilities::default()
            },
            |_, _| Form::Raw,
            |track| (track.pregap.stored && track.pregap.sectors > 0, false),
        ),
    };
    // A Redump BIN holds the main channel only, whatever the writer does with subchannel.
    for track in &mut plan.tracks {
        track.form = Form::Raw;
    }
    Ok(plan)
}

/// The names the BIN/CUE writer gives each track's BIN (its own rule, when it is compiled in).
fn bin_names(stem: &str, disc: &discus_core::Disc) -> Vec<String> {
    if !disc.medium.is_cd() {
        return vec![format!("{stem}.iso")];
    }
    #[cfg(feature = "cue")]
    if let Ok(names) = discus_cue::bin_names(stem, disc) {
        return names;
    }
    disc.tracks()
        .map(|t| format!("{stem} track {}", t.number))
        .collect()
}

/// The cue sheet the BIN/CUE writer would write beside those BINs, with its digests.
fn cue_sheet(plan: &Plan, stem: &str) -> Option<(String, Digests)> {
    if !plan.disc.medium.is_cd() {
        return None;
    }
    #[cfg(feature = "cue")]
    if let Ok(text) = discus_cue::sheet(plan, stem, false) {
        let mut hashers = Hashers::default();
        hashers.update(text.as_bytes());
        return Some((format!("{stem}.cue"), hashers.finish()));
    }
    let _ = (plan, stem);
    None
}

struct TrackState {
    mode: TrackMode,
    /// The address of the next sector to arrive.
    next: Lba,
    /// The first address whose bytes the source stores (before it, a generated pregap).
    stored_from: Lba,
    /// Whether the source stores this track's raw bytes, so they can be checked.
    check: bool,
    hashers: Hashers,
    errors: SectorErrors,
}

struct State {
    tracks: Vec<TrackState>,
    /// `None` for a one-track disc, whose image digests are its track's.
    image: Option<Hashers>,
    /// The user data of a one-track Mode 1 CD, from INDEX 01 on, as an ISO holds it.
    iso: Option<IsoHash>,
}

/// Hashes the 2048 user bytes of each raw Mode 1 sector from `from` on.
struct IsoHash {
    from: Lba,
    hashers: Hashers,
}

/// Hashes and checks what it is given; writes nothing.
struct HashSink {
    state: Arc<Mutex<State>>,
}

impl SectorSink for HashSink {
    fn write(&mut self, track: usize, sectors: &[u8]) -> Result<()> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let State { tracks, image, iso } = &mut *state;
        let track = tracks
            .get_mut(track)
            .ok_or_else(|| Error::Usage(format!("the plan has no track {track}")))?;
        for sector in sectors.chunks_exact(RAW_SIZE) {
            let lba = track.next;
            track.next = Lba(lba.0 + 1);
            if let Some(iso) = iso.as_mut().filter(|iso| lba >= iso.from) {
                iso.hashers.update(&sector[16..16 + 2048]);
            }
            if track.check && lba >= track.stored_from {
                track.errors.checked += 1;
                let raw: &[u8; RAW_SIZE] = sector
                    .try_into()
                    .map_err(|_| Error::Usage("a sector of the wrong size".to_string()))?;
                if let Some(fault) = check_raw_sector(track.mode, lba, raw) {
                    track.errors.note(lba, fault);
                }
            }
        }
        track.hashers.update(sectors);
        if let Some(image) = image {
            image.update(sectors);
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}

/// Whether a stored form keeps the bytes a sector check looks at.
fn checkable(form: Form) -> bool {
    matches!(form, Form::Raw | Form::RawSub | Form::Mode2)
}

/// Verifies an opened image; `stem` names its track files.
pub fn verify_source(
    format: &'static Format,
    source: &mut dyn SectorSource,
    stem: &str,
    options: &VerifyOptions<'_>,
) -> Result<Verification> {
    let volumes = discus_core::iso9660::read_volumes(source)?;
    let truncation = crate::truncation_of(source, volumes.as_ref());
    let plan = redump_plan(source)?;
    let mut states = Vec::new();
    let mut stored_forms = Vec::new();
    for (track_plan, track) in plan.tracks.iter().zip(plan.disc.tracks()) {
        let stored = source.stored_form(track_plan.source);
        stored_forms.push(stored);
        let first = if track_plan.pregap {
            track.first_lba()
        } else {
            track.start
        };
        states.push(TrackState {
            mode: track.mode,
            next: first,
            stored_from: if track.pregap.stored {
                track.first_lba()
            } else {
                track.start
            },
            check: track.mode.is_data() && checkable(stored),
            hashers: Hashers::default(),
            errors: SectorErrors::default(),
        });
    }
    let multi = states.len() > 1;
    let one_mode1_cd_track = match (
        plan.disc.medium.is_cd(),
        &plan.disc.tracks().collect::<Vec<_>>()[..],
    ) {
        (true, [track]) if track.mode == TrackMode::Mode1 => Some(track.start),
        _ => None,
    };
    let state = Arc::new(Mutex::new(State {
        tracks: states,
        image: multi.then(Hashers::default),
        iso: one_mode1_cd_track.map(|from| IsoHash {
            from,
            hashers: Hashers::default(),
        }),
    }));
    let sink = Box::new(HashSink {
        state: Arc::clone(&state),
    });
    let run = discus_core::ConvertOptions {
        // Raw sectors are never stripped, so nothing is refused as lossy here.
        allow_lossy: true,
        progress: options.progress,
        cancel: options.cancel,
        threads: 0,
    };
    discus_core::convert(source, &plan, sink, &run)?;
    let State { tracks, image, iso } = Arc::try_unwrap(state)
        .map_err(|_| Error::Usage("the hashing sink outlived the conversion".to_string()))?
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    let names = bin_names(stem, &plan.disc);
    let mut results = Vec::new();
    for (((state, track), name), stored) in tracks
        .into_iter()
        .zip(plan.disc.tracks())
        .zip(names)
        .zip(stored_forms)
    {
        results.push(TrackVerification {
            number: track.number,
            mode: track.mode,
            stored,
            file: name,
            digests: state.hashers.finish(),
            errors: state.errors,
        });
    }
    check_stored_postgaps(source, &plan, &mut results, options)?;
    let image = match image {
        Some(hashers) => hashers.finish(),
        None => results
            .first()
            .map(|t| t.digests.clone())
            .unwrap_or_else(|| Hashers::default().finish()),
    };
    let iso = match iso {
        Some(iso) => Some((format!("{stem}.iso"), iso.hashers.finish())),
        // A DVD or BD is hashed as its ISO already.
        None if !plan.disc.medium.is_cd() => Some((format!("{stem}.iso"), image.clone())),
        None => None,
    };
    let dat = options.dat.map(|dat| {
        let digests: Vec<&Digests> = results.iter().map(|t| &t.digests).collect();
        let by_tracks = dat.identify(&digests, &image);
        // A DAT that lists the ISO (Redump's PSP and DVD systems) matches it as a one-file game.
        match &iso {
            Some((_, iso)) if !by_tracks.complete => {
                let by_iso = dat.identify(&[iso], iso);
                if by_iso.complete { by_iso } else { by_tracks }
            }
            _ => by_tracks,
        }
    });
    let stored_hashes = source.stored_hashes()?;
    Ok(Verification {
        path: source.files().into_iter().next().unwrap_or_default(),
        format,
        tracks: results,
        image,
        cue: cue_sheet(&plan, stem),
        iso,
        warnings: crate::warnings::group(source.warnings()),
        dat,
        stored_hashes,
        truncation,
        medium: plan.disc.medium,
    })
}

/// Stored postgaps are not part of a Redump BIN, but their sectors are checked all the same.
fn check_stored_postgaps(
    source: &mut dyn SectorSource,
    plan: &Plan,
    results: &mut [TrackVerification],
    options: &VerifyOptions<'_>,
) -> Result<()> {
    let mut buffer = Vec::new();
    let mut scratch = Vec::new();
    for ((track_plan, track), result) in plan.tracks.iter().zip(plan.disc.tracks()).zip(results) {
        if !(track.postgap.stored
            && track.postgap.sectors > 0
            && track.mode.is_data()
            && checkable(result.stored))
        {
            continue;
        }
        let count = u64::from(track.postgap.sectors);
        let mut at = 0u64;
        while at < count {
            if options
                .cancel
                .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
            {
                return Err(Error::Interrupted);
            }
            let run = (count - at).min(BATCH_SECTORS as u64) as usize;
            buffer.resize(run * RAW_SIZE, 0);
            let first = Lba(track.data_end().0 + at as i32);
            read_sectors(
                source,
                track_plan.source,
                first,
                run,
                Form::Raw,
                &mut buffer,
                &mut scratch,
                &mut Check::default(),
            )?;
            for (i, sector) in buffer.chunks_exact(RAW_SIZE).enumerate() {
                let lba = Lba(first.0 + i as i32);
                result.errors.checked += 1;
                let fault = <&[u8; RAW_SIZE]>::try_from(sector)
                    .ok()
                    .and_then(|raw| check_raw_sector(track.mode, lba, raw));
                if let Some(fault) = fault {
                    result.errors.note(lba, fault);
                }
            }
            at += run as u64;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use discus_core::sector::{USER_SIZE, encode_mode1};

    #[test]
    fn a_clean_mode1_sector_passes_and_each_damage_is_named() {
        let mut sector = [0u8; RAW_SIZE];
        encode_mode1(Lba(20), &[0x5a; USER_SIZE], &mut sector);
        assert_eq!(check_raw_sector(TrackMode::Mode1, Lba(20), &sector), None);
        assert_eq!(
            check_raw_sector(TrackMode::Mode1, Lba(21), &sector),
            Some(SectorFault::Header)
        );
        let mut bad = sector;
        bad[0x900] ^= 1;
        assert_eq!(
            check_raw_sector(TrackMode::Mode1, Lba(20), &bad),
            Some(SectorFault::Ecc)
        );
        let mut bad = sector;
        bad[100] ^= 1;
        assert_eq!(
            check_raw_sector(TrackMode::Mode1, Lba(20), &bad),
            Some(SectorFault::Edc)
        );
        let mut bad = sector;
        bad[3] = 0;
        assert_eq!(
            check_raw_sector(TrackMode::Mode1, Lba(20), &bad),
            Some(SectorFault::Sync)
        );
    }

    #[test]
    fn known_digests() {
        let mut hashers = Hashers::default();
        hashers.update(b"abc");
        let d = hashers.finish();
        assert_eq!(d.crc32_hex(), "352441c2");
        assert_eq!(d.md5_hex(), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(d.sha1_hex(), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }
}
