//! DVD images in MDS/MDF, as Alcohol 120% and Daemon Tools write them: medium type 0x10
//! (DVD-ROM) to 0x13 in the header, one session with one track of 2048-byte sectors whose block
//! keeps the track's length where a CD track points to its extra block, and the disc structures
//! a drive reports for each layer (copyright, manufacturing, physical format information). The
//! physical format information says how many layers the disc has and where layer 0 ends, which
//! is the layer break.
//!
//! Writing puts the same: the structures hold zeros where discus knows nothing (copyright and
//! manufacturing data are not in any other image) and a physical format information computed from
//! the medium: DVD-ROM, 120 mm, embossed, one or two layers (opposite track path, as pressed
//! dual-layer discs are) with the layer break.

use discus_core::{Error, Medium, Plan, Result};

use crate::descriptor::{
    Builder, FOOTER_SIZE, MEDIUM_DVD_ROM, PFI_AT, SESSION_SIZE, SESSIONS_AT, STRUCTURES_SIZE,
    SessionBlock, TRACK_SIZE, TrackBlock,
};

/// The physical sector number of a DVD's first data sector (ECMA-267).
const FIRST_PSN: u32 = 0x3_0000;
/// The mode byte of a DVD's track block (Mode 1: 2048 bytes of user data).
const DVD_MODE: u8 = 0x02;

/// The physical format information of `medium` with `sectors` of data (ECMA-267 §3.3.2.1).
pub(crate) fn physical_format(medium: Medium, sectors: u32) -> [u8; 2048] {
    let mut pfi = [0u8; 2048];
    // Book type DVD-ROM, part version 1; 120 mm, maximum rate not specified.
    pfi[0] = 0x01;
    pfi[1] = 0x0F;
    let last = FIRST_PSN + sectors.saturating_sub(1);
    match medium.layer_break() {
        Some(layer_break) if layer_break > 0 && layer_break < sectors => {
            // Two layers, opposite track path, embossed.
            pfi[2] = 0x20 | 0x10 | 0x01;
            let layer0_end = FIRST_PSN + layer_break - 1;
            // On an opposite-track-path disc layer 1 counts on from the complement of layer
            // 0's last sector.
            let end = (!layer0_end & 0x00FF_FFFF) + (sectors - layer_break) - 1;
            pfi[8..12].copy_from_slice(&end.to_be_bytes());
            pfi[12..16].copy_from_slice(&layer0_end.to_be_bytes());
        }
        _ => {
            pfi[2] = 0x01;
            pfi[8..12].copy_from_slice(&last.to_be_bytes());
        }
    }
    pfi[4..8].copy_from_slice(&FIRST_PSN.to_be_bytes());
    pfi
}

/// The medium the physical format information of layer 0 describes, for a track of `sectors`.
pub(crate) fn medium_of(pfi: Option<&[u8]>, sectors: u32) -> Medium {
    let by_size = Medium::for_user_data(u64::from(sectors));
    let Some(pfi) = pfi.filter(|p| p.len() >= 16) else {
        return match by_size {
            Medium::Cd => Medium::Dvd {
                layers: 1,
                layer_break: None,
            },
            other => other,
        };
    };
    let two_layers = (pfi[2] >> 5) & 0x03 == 0x01;
    if !two_layers {
        return Medium::Dvd {
            layers: 1,
            layer_break: None,
        };
    }
    let be = |at: usize| u32::from_be_bytes([pfi[at], pfi[at + 1], pfi[at + 2], pfi[at + 3]]);
    let (start, layer0_end) = (be(4) & 0x00FF_FFFF, be(12) & 0x00FF_FFFF);
    let layer_break = layer0_end
        .checked_sub(start)
        .map(|n| n + 1)
        .filter(|&n| n < sectors);
    Medium::Dvd {
        layers: 2,
        layer_break,
    }
}

/// The descriptor of a DVD plan (one track of 2048-byte sectors) and the bytes its MDF holds.
pub(crate) fn layout(plan: &Plan, mdf_name: &str) -> Result<(Vec<u8>, Vec<u64>)> {
    let (Some(track), [track_plan]) = (plan.disc.track(0), plan.tracks.as_slice()) else {
        return Err(Error::Usage(
            "a DVD is written to MDS as one track".to_string(),
        ));
    };
    let medium = plan.disc.medium;
    let layers = if medium.layer_break().is_some() { 2 } else { 1 };
    let as_u32 = |value: usize| {
        u32::try_from(value)
            .map_err(|_| Error::Usage("the MDS descriptor would be too large".into()))
    };
    let mut builder = Builder::default();
    builder.header_of(MEDIUM_DVD_ROM, 1);
    let tracks_at = SESSIONS_AT + SESSION_SIZE;
    let structures_at = tracks_at + TRACK_SIZE;
    let footer_at = structures_at + layers * STRUCTURES_SIZE;
    builder.put(0x40, &as_u32(structures_at)?.to_le_bytes());
    builder.session(
        SESSIONS_AT,
        &SessionBlock {
            at: 0,
            start: 0,
            end: track.end_lba().0,
            number: 1,
            all_blocks: 1,
            non_track_blocks: 0,
            first_track: 1,
            last_track: 1,
            track_offset: as_u32(tracks_at)?,
        },
    );
    builder.track(
        tracks_at,
        &TrackBlock {
            mode: DVD_MODE,
            adr_control: 0x10 | track.toc_control(),
            point: 1,
            // A DVD track block keeps the track's length here.
            extra_offset: track.length,
            sector_size: track_plan.form.size() as u16,
            start_lba: 0,
            start_offset: 0,
            files: 1,
            footer_offset: as_u32(footer_at)?,
            ..TrackBlock::default()
        },
    );
    let pfi = physical_format(medium, track.length);
    for layer in 0..layers {
        let at = structures_at + layer * STRUCTURES_SIZE;
        builder.put(at + STRUCTURES_SIZE - 1, &[0]);
        builder.put(at + PFI_AT, &pfi);
    }
    builder.footer(footer_at, mdf_name);
    debug_assert!(builder.data.len() >= footer_at + FOOTER_SIZE);
    Ok((
        builder.data,
        vec![u64::from(track.length) * track_plan.form.size() as u64],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i12_2_layer_break_survives_the_physical_format_information() {
        let dual = Medium::Dvd {
            layers: 2,
            layer_break: Some(2_084_960),
        };
        let pfi = physical_format(dual, 4_000_000);
        assert_eq!(pfi[2] >> 5 & 3, 1, "two layers");
        assert_eq!(medium_of(Some(&pfi), 4_000_000), dual);
        let single = physical_format(Medium::for_user_data(2_000_000), 2_000_000);
        assert_eq!(
            medium_of(Some(&single), 2_000_000),
            Medium::Dvd {
                layers: 1,
                layer_break: None
            }
        );
        // Without structures the size decides, but an MDS that says DVD is never a CD.
        assert_eq!(medium_of(None, 1000).name(), "DVD");
    }
}
