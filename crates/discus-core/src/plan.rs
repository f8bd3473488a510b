//! A plan says how a target will hold a source: which tracks it keeps, in which form, with which
//! gaps. Plans are made before anything is written, so everything a target cannot hold is known —
//! and refused unless the user allows it — before the first byte goes out.

use crate::disc::{Disc, Medium, Track};
use crate::format::{Capabilities, WriteOptions};
use crate::sector::Form;
use crate::stream::SectorSource;

/// How one track of the target is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackPlan {
    /// The source track it comes from (index in [`Disc::tracks`] order of the source).
    pub source: usize,
    /// The form the sink takes its sectors in.
    pub form: Form,
    /// Whether the sink takes the pregap sectors.
    pub pregap: bool,
    /// Whether the sink takes the postgap sectors.
    pub postgap: bool,
}

/// The target's view of the disc and how to fill it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// The disc as the target will hold it (tracks it cannot hold removed, metadata it cannot hold cleared).
    pub disc: Disc,
    /// One entry per track of `disc`, in order.
    pub tracks: Vec<TrackPlan>,
    /// What would be lost: the conversion is refused unless lossy conversions are allowed.
    pub losses: Vec<String>,
    /// What the target drops that is not sector data (catalog, CD-TEXT …): reported, not refused.
    pub notes: Vec<String>,
    /// Whether the target can store sectors whole (2352 bytes) when asked to: where the plan
    /// strips them, a refusal names that lossless choice before `--allow-lossy`.
    pub raw_sectors: bool,
    /// Why the target cannot hold the source at all (a DVD in a CD-only format): refused even
    /// when lossy conversions are allowed, since what would come out is not the disc.
    pub refused: Vec<String>,
}

/// The option that keeps every byte of a sector where a target stores sectors stripped by default.
pub const KEEP_WHOLE: &str = "use --sector-size 2352 to keep every byte";

impl Plan {
    /// A plan that keeps every track of the source, each in the form `form_for` gives (from the
    /// track and the form the source stores it in), gaps delivered as `gaps` says, and the
    /// metadata the capabilities allow. Losses are filled in by [`Plan::find_losses`].
    pub fn keep_all(
        source: &dyn SectorSource,
        capabilities: Capabilities,
        form_for: impl Fn(&Track, Form) -> Form,
        gaps: impl Fn(&Track) -> (bool, bool),
    ) -> Plan {
        let mut disc = source.disc().clone();
        if !capabilities.metadata {
            disc.catalog = None;
            disc.cd_text_packs = None;
            disc.text = Default::default();
            for session in &mut disc.sessions {
                for track in &mut session.tracks {
                    track.isrc = None;
                    track.text = Default::default();
                }
            }
        }
        let mut tracks = Vec::new();
        for (index, track) in source.disc().tracks().enumerate() {
            let (pregap, postgap) = gaps(track);
            tracks.push(TrackPlan {
                source: index,
                form: form_for(track, source.stored_form(index)),
                pregap,
                postgap,
            });
        }
        if !tracks.iter().any(|t| t.form.has_subchannel()) {
            disc.subchannel = None;
        }
        let mut plan = Plan {
            disc,
            tracks,
            losses: Vec::new(),
            notes: Vec::new(),
            raw_sectors: capabilities.raw_sectors,
            refused: media_refusals(source.disc().medium, capabilities),
        };
        plan.find_losses(source);
        plan
    }

    /// The plan of a target that holds one data track and nothing else (ISO, raw IMG): the first
    /// data track in `form`, without gaps. Every other track is reported as lost.
    pub fn first_data_track(
        source: &dyn SectorSource,
        capabilities: Capabilities,
        form: Form,
        path: &std::path::Path,
    ) -> crate::Result<Plan> {
        let Some(first_data) = source.disc().tracks().position(|t| t.mode.is_data()) else {
            let absent = source.left_out();
            return Err(crate::Error::unsupported(
                path,
                if absent.is_empty() {
                    "the disc has no data track, and this format holds only data".to_string()
                } else {
                    format!(
                        "the image holds no data track, and this format holds only data: {}",
                        absent.join("; ")
                    )
                },
            ));
        };
        let mut plan = Plan::keep_all(source, capabilities, |_, _| form, |_| (false, false));
        plan.retain(source, |index, _| index == first_data);
        Ok(plan)
    }

    /// Keeps only the tracks for which `keep` is true (by source index), in one session.
    pub fn retain(&mut self, source: &dyn SectorSource, keep: impl Fn(usize, &Track) -> bool) {
        let mut kept_tracks = Vec::new();
        let mut kept_plans = Vec::new();
        for (plan, track) in self.tracks.iter().zip(self.disc.tracks()) {
            if keep(plan.source, track) {
                kept_tracks.push(track.clone());
                kept_plans.push(plan.clone());
            }
        }
        let catalog = self.disc.catalog.take();
        let text = std::mem::take(&mut self.disc.text);
        let subchannel = self.disc.subchannel;
        self.disc = Disc {
            medium: self.disc.medium,
            catalog,
            text,
            subchannel,
            ..Disc::single_session(kept_tracks)
        };
        self.tracks = kept_plans;
        self.find_losses(source);
    }

    /// Recomputes `losses` and `notes` by comparing the plan with the source: dropped tracks,
    /// merged sessions, forms that cannot hold a track, dropped stored gaps and subchannel, and
    /// metadata the target leaves out.
    pub fn find_losses(&mut self, source: &dyn SectorSource) {
        let original = source.disc();
        let mut losses = Vec::new();
        let mut notes = Vec::new();
        for (index, track) in original.tracks().enumerate() {
            let Some(plan) = self.tracks.iter().find(|p| p.source == index) else {
                losses.push(format!(
                    "track {} ({}, {} sectors) is not kept",
                    track.number,
                    track.mode.name(),
                    track.length
                ));
                continue;
            };
            let stored = source.stored_form(index);
            if !plan.form.holds(track.mode, stored) {
                losses.push(format!(
                    "track {} ({}) stored as {}-byte sectors loses {}{}",
                    track.number,
                    track.mode.name(),
                    plan.form.name(),
                    match track.mode {
                        crate::TrackMode::Audio => "the audio",
                        crate::TrackMode::Mode1 => "part of every sector",
                        _ => "the XA subheaders and Form 2 data",
                    },
                    if self.raw_sectors {
                        format!(" ({KEEP_WHOLE})")
                    } else {
                        String::new()
                    }
                ));
            }
            if stored.has_subchannel()
                && original.subchannel == Some(crate::disc::Subchannel::Stored)
                && !plan.form.has_subchannel()
            {
                losses.push(format!(
                    "track {}: the subchannel is not kept",
                    track.number
                ));
            }
            // A stored gap the target drops is not a loss by itself: the conversion checks that
            // its sectors are what would be generated in their place (silence, empty data), as it
            // checks stripped sync and ECC, and counts the ones that are not.
        }
        losses.extend(source.left_out());
        if original.sessions.len() > self.disc.sessions.len() {
            losses.push(format!(
                "the disc has {} sessions and the target holds {}",
                original.sessions.len(),
                self.disc.sessions.len()
            ));
        }
        if original.catalog.is_some() && self.disc.catalog.is_none() {
            notes.push("the catalog number is not kept".to_string());
        }
        if (original.cd_text_packs.is_some() || !original.text.is_empty())
            && self.disc.cd_text_packs.is_none()
            && self.disc.text.is_empty()
        {
            notes.push("CD-TEXT is not kept".to_string());
        }
        let isrcs = original.tracks().filter(|t| t.isrc.is_some()).count();
        let kept_isrcs = self.disc.tracks().filter(|t| t.isrc.is_some()).count();
        if kept_isrcs < isrcs {
            notes.push(format!("{} ISRC code(s) are not kept", isrcs - kept_isrcs));
        }
        self.losses = losses;
        self.notes = notes;
    }

    /// The lossless choice for sectors this plan strips (sync, header, EDC/ECC, subheaders), when
    /// the target could store them whole: named in a refusal before `--allow-lossy`.
    pub fn keep_whole(&self, source: &dyn SectorSource) -> Option<&'static str> {
        let main = |form: Form| form.size().min(crate::sector::RAW_SIZE);
        let strips = self
            .tracks
            .iter()
            .any(|t| main(t.form) < main(source.stored_form(t.source)));
        (self.raw_sectors && strips).then_some(KEEP_WHOLE)
    }

    /// Sectors the sink will receive.
    pub fn total_sectors(&self) -> u64 {
        self.tracks
            .iter()
            .zip(self.disc.tracks())
            .map(|(plan, track)| sectors_delivered(plan, track))
            .sum()
    }
}

/// Keeps a sink to what its plan promised: the sectors of each plan track arrive in track order,
/// whole sectors only, never more than planned, and all of them before the sink commits.
#[derive(Clone, Debug)]
pub struct Arrivals {
    /// Bytes each plan track must receive.
    expected: Vec<u64>,
    /// Bytes each plan track has received.
    received: Vec<u64>,
    /// Bytes per sector of each plan track.
    sector: Vec<usize>,
    current: usize,
}

impl Arrivals {
    /// What `plan` promises each of its tracks: its delivered sectors in its form.
    pub fn for_plan(plan: &Plan) -> Arrivals {
        let expected = plan
            .tracks
            .iter()
            .zip(plan.disc.tracks())
            .map(|(t, track)| sectors_delivered(t, track) * t.form.size() as u64)
            .collect();
        Arrivals::new(
            expected,
            plan.tracks.iter().map(|t| t.form.size()).collect(),
        )
    }

    /// Explicit byte counts and sector sizes per plan track, for a sink that lays tracks out itself.
    pub fn new(expected: Vec<u64>, sector: Vec<usize>) -> Arrivals {
        Arrivals {
            received: vec![0; expected.len()],
            expected,
            sector,
            current: 0,
        }
    }

    /// Records `bytes` arriving for plan track `track`, refusing what breaks the promise.
    pub fn accept(&mut self, track: usize, bytes: usize) -> crate::Result<()> {
        if track < self.current {
            return Err(crate::Error::Usage(format!(
                "sectors of track {track} arrived after track {}",
                self.current
            )));
        }
        self.current = track;
        let (Some(received), Some(&expected), Some(&sector)) = (
            self.received.get_mut(track),
            self.expected.get(track),
            self.sector.get(track),
        ) else {
            return Err(crate::Error::Usage(format!(
                "the plan has no track {track}"
            )));
        };
        let total = *received + bytes as u64;
        if sector == 0 || !bytes.is_multiple_of(sector) || total > expected {
            return Err(crate::Error::Usage(format!(
                "track {track} received {total} bytes, more than its planned {expected} or not whole sectors"
            )));
        }
        *received = total;
        Ok(())
    }

    /// Checks that every track received all it was promised, before the sink commits.
    pub fn check_complete(&self) -> crate::Result<()> {
        match (0..self.expected.len()).find(|&i| self.received[i] != self.expected[i]) {
            Some(track) => Err(crate::Error::Usage(format!(
                "track {track} received {} of its {} bytes",
                self.received[track], self.expected[track]
            ))),
            None => Ok(()),
        }
    }
}

/// Why a format of `capabilities` cannot hold a disc of `medium`, if it cannot.
fn media_refusals(medium: Medium, capabilities: Capabilities) -> Vec<String> {
    let media = capabilities.media;
    if media.holds(medium) {
        return Vec::new();
    }
    let held: Vec<&str> = [(media.cd, "CDs"), (media.dvd, "DVDs"), (media.bd, "BDs")]
        .into_iter()
        .filter_map(|(holds, name)| holds.then_some(name))
        .collect();
    let why = match medium {
        Medium::Cd => "this format holds no CDs".to_string(),
        // What a CD-only format would need and a DVD or BD lacks.
        _ if !media.dvd && !media.bd => format!(
            "the source is a {}, and this format holds CDs only: a {} has no 2352-byte sectors and no subchannel, and its addresses run past the CD limit of 99:59:74 (LBA {}); write ISO, IMG, CSO or ZSO instead",
            medium.name(),
            medium.name(),
            crate::disc::CD_MAX_SECTORS - 1
        ),
        _ => format!(
            "the source is a {}, and this format holds {} only; write ISO, IMG, CSO or ZSO instead",
            medium.name(),
            held.join(" and ")
        ),
    };
    vec![why]
}

/// A DVD or BD travels only as 2048-byte sectors: a writer may pick another form after
/// [`Plan::keep_all`] (a raw IMG of 2352-byte sectors), so this is checked on the final plan.
fn form_refusal(plan: &Plan) -> Option<String> {
    let medium = plan.disc.medium;
    let odd = plan.tracks.iter().find(|t| t.form != Form::Cooked)?;
    (!medium.is_cd()).then(|| {
        format!(
            "a {} has only 2048-byte sectors: it cannot be written as {}-byte sectors with a CD header, EDC/ECC or subchannel; write 2048-byte sectors",
            medium.name(),
            odd.form.name()
        )
    })
}

/// Sectors of `track` that `plan` delivers to the sink.
pub fn sectors_delivered(plan: &TrackPlan, track: &Track) -> u64 {
    let pregap = if plan.pregap { track.pregap.sectors } else { 0 };
    let postgap = if plan.postgap {
        track.postgap.sectors
    } else {
        0
    };
    u64::from(pregap) + u64::from(track.length) + u64::from(postgap)
}

/// Checks a plan before anything is written: one entry per track of a well laid-out disc
/// ([`Disc::check_layout`]), and no loss unless the user allowed lossy conversions.
pub fn check(plan: &Plan, options: &WriteOptions, path: &std::path::Path) -> crate::Result<()> {
    if plan.tracks.is_empty() || plan.tracks.len() != plan.disc.track_count() {
        return Err(crate::Error::Usage(
            "the plan's tracks do not match its disc".to_string(),
        ));
    }
    plan.disc.check_layout().map_err(crate::Error::Usage)?;
    let mut refused = plan.refused.clone();
    // A format that holds no DVD at all says so once; the sector size is then beside the point.
    if refused.is_empty() {
        refused.extend(form_refusal(plan));
    }
    if !refused.is_empty() {
        return Err(crate::Error::unsupported(path, refused.join("; ")));
    }
    if !plan.losses.is_empty() && !options.allow_lossy {
        return Err(crate::Error::Lossy {
            path: path.to_path_buf(),
            losses: plan.losses.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Media;
    use crate::address::Lba;
    use crate::error::{Error, Result};

    /// A source of no sectors: plans look at the layout only.
    struct Layout(Disc);

    impl SectorSource for Layout {
        fn disc(&self) -> &Disc {
            &self.0
        }
        fn stored_form(&self, _: usize) -> Form {
            Form::Cooked
        }
        fn read(&mut self, _: usize, _: Lba, _: &mut [u8]) -> Result<()> {
            Err(Error::Usage("a layout has no sectors".to_string()))
        }
        fn files(&self) -> Vec<std::path::PathBuf> {
            Vec::new()
        }
    }

    fn cd_only() -> Capabilities {
        Capabilities {
            multi_track: true,
            audio: true,
            raw_sectors: true,
            ..Capabilities::default()
        }
    }

    #[test]
    fn i12_2_a_dvd_is_refused_by_cd_formats_even_when_lossy() {
        let dvd = Layout(Disc::user_data_image(2_295_104));
        let path = std::path::Path::new("out.cue");
        let lossy = WriteOptions {
            allow_lossy: true,
            ..WriteOptions::default()
        };
        let plan = Plan::keep_all(&dvd, cd_only(), |_, _| Form::Raw, |_| (false, false));
        let message = check(&plan, &lossy, path).unwrap_err().to_string();
        assert!(message.contains("holds CDs only"), "{message}");
        assert!(message.contains("99:59:74"), "{message}");
        assert!(message.contains("ISO"), "{message}");

        // A format that holds DVDs takes it, but only as 2048-byte sectors.
        let all = Capabilities {
            media: Media::ALL,
            ..Capabilities::default()
        };
        let cooked = Plan::first_data_track(&dvd, all, Form::Cooked, path).unwrap();
        assert!(check(&cooked, &WriteOptions::default(), path).is_ok());
        let raw = Plan::first_data_track(&dvd, all, Form::Raw, path).unwrap();
        let message = check(&raw, &lossy, path).unwrap_err().to_string();
        assert!(message.contains("only 2048-byte sectors"), "{message}");

        // A CD-sized image is still a CD for every format.
        let cd = Layout(Disc::user_data_image(1000));
        let plan = Plan::keep_all(&cd, cd_only(), |_, _| Form::Raw, |_| (false, false));
        assert!(check(&plan, &WriteOptions::default(), path).is_ok());
    }
}
