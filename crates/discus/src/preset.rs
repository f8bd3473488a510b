//! Presets: the settings each target device or emulator needs, by name, with the reason.
//!
//! Users ask for "a file my PSP plays", not for a block size, so a preset names the format to
//! write and, for every format its device reads, the settings that device needs. The format comes
//! from `--to` or the output's extension when they name one the preset knows, else it is the
//! preset's first. Every setting a preset leaves `None` takes the container's default, and every
//! option the user gives explicitly wins over the preset's.
//!
//! | preset | formats (first = default) | CSO/ZSO | CHD |
//! |---|---|---|---|
//! | `psp` | CSO, CHD | CSO v1, 2048-byte blocks, zlib | DVD layout, 2048-byte hunks |
//! | `ppsspp` | CSO, CHD | CSO v1, 2048-byte blocks, libdeflate 12 | DVD layout, 2048-byte hunks |
//! | `ps2` | CHD | — | DVD CHD for a DVD, CD CHD for a CD |
//! | `ps2-opl` | ZSO | ZSO, 2048-byte blocks, LZ4 HC | — |
//! | `pcsx2` | CSO, CHD | CSO v1, 16384-byte blocks, zlib | as `ps2` |
//! | `ps1`, `saturn`, `pce` | CHD | — | CD CHD, chdman's codecs and hunks |
//!
//! A preset is checked against the disc before anything is written: a PSP preset needs a data
//! track, a CD console's preset needs a CD. What the preset decides from the disc (`ps2`: DVD or CD
//! layout) is settled in [`Preset::settle`].

use discus_core::{Compression, Disc, Error, Format, Medium, Result, TrackMode, WriteOptions};

/// A named set of conversion settings for one target device.
#[derive(Clone, Debug)]
pub struct Preset {
    /// The name `--target` takes.
    pub name: &'static str,
    /// The format written when the output names none the preset knows.
    pub format: &'static Format,
    /// The compression settings of [`Preset::format`].
    pub compression: Compression,
    /// Why these settings, in one sentence for `discus formats`.
    pub reason: &'static str,
    /// The settings of every format the preset writes, [`Preset::format`] first.
    pub settings: Vec<Setting>,
    /// What the disc must be.
    pub disc: DiscRule,
}

/// What one preset writes in one format.
#[derive(Clone, Debug)]
pub struct Setting {
    /// The format.
    pub format: &'static Format,
    /// Its compression settings.
    pub compression: Compression,
    /// Bytes per stored sector (CHD: 2048 writes the DVD layout), or the format's choice.
    pub sector_size: Option<u32>,
    /// How the layout follows the disc.
    pub layout: Layout,
    /// Why, in one sentence.
    pub reason: &'static str,
}

/// How a setting's layout follows the disc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// As the setting says.
    Fixed,
    /// A DVD in 2048-byte sectors, a CD as the disc is: a lone Mode 1 track is a DVD's data too,
    /// since PS2 CD games are Mode 2 XA and a PS2 image in 2048-byte sectors is a DVD's.
    DvdOrCd,
    /// The disc's own tracks in the CD layout: 2048-byte sectors are refused.
    Cd,
}

/// What a preset's device reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiscRule {
    /// Any disc with a data track.
    DataTrack,
    /// A CD with a data track (the consoles that read only CDs).
    Cd,
}

/// The names [`preset`] knows, in the order to list them.
pub const PRESETS: &[&str] = &[
    "psp", "ppsspp", "ps2", "ps2-opl", "pcsx2", "ps1", "saturn", "pce",
];

/// Compression settings with a block size, CSO version and encoder.
#[cfg(feature = "cso")]
fn cso(block_size: u32, encoder: &str) -> Compression {
    Compression {
        block_size: Some(block_size),
        version: Some(1),
        encoder: Some(encoder.to_string()),
        min_saving: None,
        best: false,
    }
}

/// The CHD a PSP emulator reads: the UMD's 2048-byte sectors in 2048-byte hunks.
#[cfg(feature = "chd")]
fn chd_umd() -> Setting {
    Setting {
        format: &discus_chd::FORMAT,
        compression: Compression {
            block_size: Some(2048),
            ..Compression::default()
        },
        sector_size: Some(2048),
        layout: Layout::Fixed,
        reason: "PPSSPP reads a UMD from a CHD of 2048-byte sectors (chdman createdvd) and \
                 decodes a whole hunk for every sector it reads, so hunks of one sector keep its \
                 random reads fast",
    }
}

/// The CHD a PS2 emulator reads: createdvd for a DVD, createcd for a CD, chdman's defaults.
#[cfg(feature = "chd")]
fn chd_ps2() -> Setting {
    Setting {
        format: &discus_chd::FORMAT,
        compression: Compression::default(),
        sector_size: None,
        layout: Layout::DvdOrCd,
        reason: "PCSX2 reads a DVD game from a DVD CHD (chdman createdvd) and a CD game from a CD \
                 CHD (createcd); a PS2 image in 2048-byte sectors is a DVD's, since PS2 CD games \
                 are Mode 2, so it becomes a DVD CHD whatever its size",
    }
}

/// The CHD of a CD console: createcd's codecs and hunks, every track as stored.
#[cfg(feature = "chd")]
fn chd_cd(reason: &'static str) -> Setting {
    Setting {
        format: &discus_chd::FORMAT,
        compression: Compression::default(),
        sector_size: None,
        layout: Layout::Cd,
        reason,
    }
}

/// The preset called `name` (case-insensitive), if there is one in this build (a preset needs the
/// format features it writes).
pub fn preset(name: &str) -> Option<Preset> {
    let name = name.to_ascii_lowercase();
    let name = PRESETS.iter().copied().find(|n| *n == name)?;
    let mut settings: Vec<Setting> = Vec::new();
    let mut disc = DiscRule::DataTrack;
    let reason;
    match name {
        "psp" => {
            reason = "PSP custom firmware (PRO, ME, ARK) and Adrenaline read CSO v1 with 2048-byte \
                      blocks, and freeze or crash on blocks packed by libdeflate (maxcso#52), so \
                      every block is packed by zlib; as a CHD, the UMD layout PPSSPP reads";
            #[cfg(feature = "cso")]
            settings.push(Setting {
                format: &discus_cso::CSO,
                compression: cso(2048, "zlib"),
                sector_size: None,
                layout: Layout::Fixed,
                reason,
            });
            #[cfg(feature = "chd")]
            settings.push(chd_umd());
        }
        "ppsspp" => {
            reason = "PPSSPP inflates blocks with zlib, which reads any valid deflate, so blocks \
                      are packed by libdeflate at level 12, 0.4 % smaller than zlib; 2048-byte \
                      blocks match its sector reads; CSO v1 because PPSSPP has no LZ4 path for \
                      CSO v2 to gain from; as a CHD, 2048-byte sectors in 2048-byte hunks";
            #[cfg(feature = "cso")]
            settings.push(Setting {
                format: &discus_cso::CSO,
                compression: cso(2048, "libdeflate"),
                sector_size: None,
                layout: Layout::Fixed,
                reason,
            });
            #[cfg(feature = "chd")]
            settings.push(chd_umd());
        }
        "ps2" => {
            reason = "PCSX2 reads CHD: a DVD CHD for a DVD game, a CD CHD for a CD game, with \
                      chdman's codecs and hunks";
            #[cfg(feature = "chd")]
            settings.push(chd_ps2());
        }
        "ps2-opl" => {
            reason = "Open PS2 Loader reads ZSO with 2048-byte blocks only, whatever the size of \
                      the image, with the index at byte 24 and the blocks right after it (it counts \
                      the blocks from the first index entry); it and hdl-dump also need the file to \
                      be a whole number of 2048-byte sectors, so the file is padded with zeros";
            #[cfg(feature = "cso")]
            settings.push(Setting {
                format: &discus_cso::ZSO,
                compression: Compression {
                    block_size: Some(2048),
                    version: Some(1),
                    encoder: Some("lz4hc".to_string()),
                    min_saving: None,
                    best: false,
                },
                sector_size: None,
                layout: Layout::Fixed,
                reason,
            });
        }
        "pcsx2" => {
            reason = "PCSX2 reads CSO version 1 only (it refuses version 2), with any \
                      power-of-two block, and needs every block to inflate to exactly the block \
                      size, so the short last block is padded with zeros; 16 KiB blocks, the size \
                      recommended for PS2 images, compress better than 2 KiB and read faster; as \
                      a CHD, what `ps2` writes";
            #[cfg(feature = "cso")]
            settings.push(Setting {
                format: &discus_cso::CSO,
                compression: cso(16384, "zlib"),
                sector_size: None,
                layout: Layout::Fixed,
                reason,
            });
            #[cfg(feature = "chd")]
            settings.push(chd_ps2());
        }
        "ps1" | "saturn" | "pce" => {
            disc = DiscRule::Cd;
            reason = match name {
                "ps1" => {
                    "DuckStation, Beetle PSX and other PS1 emulators read a CD CHD of the whole \
                     disc (Mode 2 data and CD audio), as chdman createcd writes it"
                }
                "saturn" => {
                    "Beetle Saturn, Kronos and SSF-era cores read a CD CHD of the whole disc, \
                     audio tracks included, as chdman createcd writes it"
                }
                _ => {
                    "PC Engine CD emulators (Beetle PCE, Mednafen) read a CD CHD of the whole \
                     disc, its audio tracks included, as chdman createcd writes it"
                }
            };
            #[cfg(feature = "chd")]
            settings.push(chd_cd(reason));
        }
        _ => return None,
    }
    let first = settings.first()?;
    let (format, compression) = (first.format, first.compression.clone());
    Some(Preset {
        name,
        format,
        compression,
        reason,
        settings,
        disc,
    })
}

impl Preset {
    /// The preset's setting for `format`, if it writes that format.
    pub fn setting(&self, format: &Format) -> Option<&Setting> {
        self.settings.iter().find(|s| s.format.name == format.name)
    }

    /// The names of the formats the preset writes, for messages.
    pub fn format_names(&self) -> String {
        let names: Vec<&str> = self.settings.iter().map(|s| s.format.name).collect();
        names.join(", ")
    }

    /// The setting for `format`, or a refusal that says which formats the preset writes.
    pub fn require(&self, format: &Format) -> Result<&Setting> {
        self.setting(format).ok_or_else(|| {
            Error::Usage(format!(
                "--target {} writes {}, not {}; drop the option that names {}, or choose another preset",
                self.name,
                self.format_names(),
                format.name,
                format.name
            ))
        })
    }

    /// Fills what the user left unset in `options` with the preset's settings for `format` and this
    /// disc, after checking the device reads such a disc: a refusal says why it does not.
    pub fn settle(&self, format: &Format, disc: &Disc, options: &mut WriteOptions) -> Result<()> {
        let setting = self.require(format)?;
        let data: Vec<TrackMode> = disc
            .tracks()
            .map(|t| t.mode)
            .filter(|m| m.is_data())
            .collect();
        if data.is_empty() {
            return Err(Error::Usage(format!(
                "--target {}: the disc has no data track (it is an audio CD), and a {} reads games, \
                 which are data",
                self.name,
                self.device()
            )));
        }
        if self.disc == DiscRule::Cd && !disc.medium.is_cd() {
            return Err(Error::Usage(format!(
                "--target {}: the image is a {}, and a {} reads CDs only",
                self.name,
                medium_name(disc.medium),
                self.device()
            )));
        }
        let ours = &setting.compression;
        let asked = &mut options.compression;
        asked.block_size = asked.block_size.or(ours.block_size);
        asked.version = asked.version.or(ours.version);
        asked.encoder = asked.encoder.take().or_else(|| ours.encoder.clone());
        asked.min_saving = asked.min_saving.or(ours.min_saving);
        asked.best |= ours.best;
        let lone_mode1 = disc.track_count() == 1 && data == [TrackMode::Mode1];
        let sector_size = match setting.layout {
            Layout::Fixed => setting.sector_size,
            Layout::DvdOrCd if !disc.medium.is_cd() || lone_mode1 => Some(2048),
            Layout::DvdOrCd => None,
            Layout::Cd => {
                if options.sector_size == Some(2048) {
                    return Err(Error::Usage(format!(
                        "--target {} writes the CD layout a {} reads; --sector-size 2048 would make \
                         a DVD-style image of the data track alone",
                        self.name,
                        self.device()
                    )));
                }
                None
            }
        };
        options.sector_size = options.sector_size.or(sector_size);
        Ok(())
    }

    /// The device, for messages.
    fn device(&self) -> &'static str {
        match self.name {
            "psp" | "ppsspp" => "PSP",
            "ps2" | "ps2-opl" | "pcsx2" => "PS2",
            "ps1" => "PS1",
            "saturn" => "Saturn",
            _ => "PC Engine CD",
        }
    }
}

fn medium_name(medium: Medium) -> &'static str {
    match medium {
        Medium::Cd => "CD",
        Medium::Dvd { .. } => "DVD",
        _ => "Blu-ray disc",
    }
}

#[cfg(all(test, feature = "chd", feature = "cso"))]
mod tests {
    use super::*;
    use discus_core::{Lba, Track};

    #[test]
    fn every_listed_preset_exists_and_writes_compressed_formats() {
        for name in PRESETS {
            let Some(preset) = preset(name) else {
                panic!("{name} is listed but missing");
            };
            assert!(!preset.reason.is_empty());
            assert_eq!(preset.settings[0].format.name, preset.format.name);
            for setting in &preset.settings {
                let writer = setting.format.writer.map(|w| w.capabilities);
                assert!(writer.is_some_and(|c| c.compressed), "{name}");
                assert!(!setting.reason.is_empty());
            }
        }
        assert!(preset("PSP").is_some());
        assert!(preset("dreamcast").is_none());
    }

    #[test]
    fn explicit_options_win_over_the_preset() {
        let psp = preset("psp").expect("psp");
        let disc = Disc::user_data_image(1000);
        let mut options = WriteOptions::default();
        options.compression.block_size = Some(4096);
        psp.settle(&discus_chd::FORMAT, &disc, &mut options)
            .expect("a data disc");
        assert_eq!(options.compression.block_size, Some(4096));
        assert_eq!(options.sector_size, Some(2048));
    }

    #[test]
    fn ps2_is_a_dvd_chd_for_an_iso_and_a_cd_chd_for_a_mode2_cd() {
        let ps2 = preset("ps2").expect("ps2");
        let mut options = WriteOptions::default();
        ps2.settle(
            &discus_chd::FORMAT,
            &Disc::user_data_image(1000),
            &mut options,
        )
        .expect("settles");
        assert_eq!(options.sector_size, Some(2048));
        let cd = Disc::single_session(vec![Track::new(1, TrackMode::Mode2Xa, Lba(0), 1000)]);
        let mut options = WriteOptions::default();
        ps2.settle(&discus_chd::FORMAT, &cd, &mut options)
            .expect("settles");
        assert_eq!(options.sector_size, None);
    }

    #[test]
    fn a_preset_refuses_what_its_device_cannot_read() {
        let audio = Disc::single_session(vec![Track::new(1, TrackMode::Audio, Lba(0), 1000)]);
        let psp = preset("psp").expect("psp");
        let err = psp
            .settle(&discus_chd::FORMAT, &audio, &mut WriteOptions::default())
            .expect_err("an audio CD is no PSP game");
        assert!(err.to_string().contains("no data track"), "{err}");
        let dvd = Disc::user_data_image(3_000_000);
        let err = preset("ps1")
            .expect("ps1")
            .settle(&discus_chd::FORMAT, &dvd, &mut WriteOptions::default())
            .expect_err("a DVD is no PS1 game");
        assert!(err.to_string().contains("CDs only"), "{err}");
        let err = preset("ps1")
            .expect("ps1")
            .require(&discus_cso::CSO)
            .expect_err("no CSO for PS1");
        assert!(err.to_string().contains("writes chd"), "{err}");
    }
}
