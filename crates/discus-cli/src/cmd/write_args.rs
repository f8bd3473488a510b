//! The options that say how to write an output, shared by `convert` and `batch` so both take the
//! same flags with the same meaning.

use anyhow::bail;
use clap::ValueEnum;

/// What to do with audio tracks when the target holds only data.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AudioFiles {
    /// Write each audio track as `Name (Track N).wav` beside the output.
    Wav,
}

/// How to write the output: every option of the target formats, shared by `convert` and `batch`.
#[derive(clap::Args, Clone, Debug)]
pub struct WriteArgs {
    /// Settings for a device: psp, ppsspp, ps2, ps2-opl, pcsx2, ps1, saturn or pce (the format
    /// and its settings; `--to` or the output's extension may choose another format the preset
    /// knows, e.g. `--target psp` with a .chd; other options given here still apply on top).
    #[arg(long, value_name = "PRESET")]
    pub target: Option<String>,
    /// Convert even if the target cannot hold everything (audio tracks in an ISO, subchannel …).
    #[arg(long)]
    pub allow_lossy: bool,
    /// Bytes per sector where the target offers a choice (IMG: 2048 or 2352; CHD: 2048 for the
    /// DVD layout PPSSPP reads).
    #[arg(long, value_name = "BYTES")]
    pub sector_size: Option<u32>,
    /// BIN/CUE: one BIN for the whole disc instead of one per track.
    #[arg(long)]
    pub single_bin: bool,
    /// BIN/CUE: write Mode 1 data as MODE1/2048 instead of regenerated MODE1/2352.
    #[arg(long)]
    pub cooked: bool,
    /// BIN/CUE: keep each BIN as ECM (`NAME.bin.ecm`), the sheet still naming `NAME.bin`.
    #[arg(long)]
    pub ecm: bool,
    /// ISO: also write audio tracks to files beside the ISO.
    #[arg(long, value_name = "KIND")]
    pub audio: Option<AudioFiles>,
    /// Compressed formats: block size in bytes (a power of two; CHD: the hunk, whole 2448-byte
    /// frames for a CD or 2048-byte sectors for a DVD).
    #[arg(long, value_name = "BYTES")]
    pub block_size: Option<u32>,
    /// CSO: format version (1 or 2).
    #[arg(long, value_name = "N")]
    pub cso_version: Option<u8>,
    /// Compressed formats: the encoder (CSO: zlib, libdeflate; ZSO: lz4hc, lz4; CHD: the codecs,
    /// comma-separated, from cdlz,cdzl,cdfl,cdzs for a CD or lzma,zlib,huff,flac,zstd for a DVD).
    #[arg(long, value_name = "NAME")]
    pub encoder: Option<String>,
    /// Compressed formats: try every encoder per block and keep the smallest.
    #[arg(long)]
    pub best: bool,
    /// Compressed formats: store a block uncompressed unless compression saves this many percent.
    #[arg(long, value_name = "PERCENT")]
    pub orig_cost: Option<f64>,
}

impl WriteArgs {
    /// The preset `--target` names, if any.
    pub fn preset(&self) -> anyhow::Result<Option<discus::Preset>> {
        let Some(name) = &self.target else {
            return Ok(None);
        };
        match discus::preset(name) {
            Some(preset) => Ok(Some(preset)),
            None => bail!(
                "unknown --target '{name}'; presets are {}",
                discus::PRESETS.join(", ")
            ),
        }
    }

    /// The output format: the one named, else the preset's first. A preset that has no settings
    /// for the format named is refused: neither may win silently.
    pub fn format_name(&self, to: Option<&str>) -> anyhow::Result<Option<String>> {
        let preset = self.preset()?;
        Ok(match (to, preset) {
            (Some(to), Some(preset)) => {
                if discus::find(to).is_some_and(|named| preset.setting(named).is_none()) {
                    bail!(
                        "--to {to} contradicts --target {}, which writes {}; give one of them, or a --to that matches",
                        preset.name,
                        preset.format_names()
                    );
                }
                Some(to.to_string())
            }
            (Some(to), None) => Some(to.to_string()),
            (None, Some(preset)) => Some(preset.format.name.to_string()),
            (None, None) => None,
        })
    }

    /// The output format for a file named `output`: its extension must agree with `--to` and
    /// `--target` where it names a format discus writes, so CSO data never lands in a `.zso`. With
    /// `--target` alone, an extension naming another format the preset writes chooses that one
    /// (`--target psp` with `game.chd`).
    pub fn format_for_output(
        &self,
        to: Option<&str>,
        output: &std::path::Path,
    ) -> anyhow::Result<Option<String>> {
        // `.img`, `.bin` and `.raw` hold plain sectors of any size: an ISO written as `x.img`
        // (`--to iso`) is common and not a contradiction. A preset is compressed data, which
        // never belongs under them.
        let by_extension = discus::target_for(output, None)
            .ok()
            .filter(|f| !(f.name == "img" && to.is_some()));
        if let (None, Some(preset), Some(by_extension)) = (to, self.preset()?, by_extension)
            && preset.setting(by_extension).is_some()
        {
            return Ok(Some(by_extension.name.to_string()));
        }
        let chosen = self.format_name(to)?;
        if let (Some(chosen), Some(by_extension)) = (&chosen, by_extension) {
            let chosen_format = discus::find(chosen).map(|f| f.name);
            if chosen_format.is_some_and(|c| c != by_extension.name) {
                let option = match (self.preset()?, to) {
                    (Some(preset), None) => {
                        format!(
                            "--target {} (a preset for {})",
                            preset.name,
                            preset.format_names()
                        )
                    }
                    _ => "--to".to_string(),
                };
                bail!(
                    "{}: the extension says {}, {option} says {chosen}; name the output .{} or drop the option",
                    output.display(),
                    by_extension.name,
                    discus::find(chosen)
                        .and_then(|f| f.extensions.first().copied())
                        .unwrap_or(chosen.as_str())
                );
            }
        }
        Ok(chosen)
    }

    /// The write options these arguments give, with `threads` for compression. A preset's
    /// settings are not in them: the conversion fills what these leave unset from the preset
    /// (`ConvertOptions::preset`), once it knows the disc.
    pub fn write_options(&self, threads: usize) -> anyhow::Result<discus::WriteOptions> {
        let sector_size = match (self.cooked, self.sector_size) {
            (true, Some(size)) if size != 2048 => {
                bail!("--cooked writes 2048-byte sectors and cannot go with --sector-size {size}")
            }
            (true, _) => Some(2048),
            (false, size) => size,
        };
        Ok(discus::WriteOptions {
            allow_lossy: self.allow_lossy,
            threads,
            sector_size,
            single_file: self.single_bin,
            audio_files: self.audio.is_some(),
            ecm: self.ecm,
            compression: discus::Compression {
                block_size: self.block_size,
                version: self.cso_version,
                encoder: self.encoder.clone(),
                min_saving: self.orig_cost.map(|p| p / 100.0),
                best: self.best,
            },
        })
    }
}
