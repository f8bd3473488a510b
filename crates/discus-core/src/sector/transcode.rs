//! Changing the shape of sectors, with the lossless check: bytes are only stripped when they are
//! proven to regenerate from what is kept.

use super::subchannel::Generator;
use super::{
    DATA_SUBHEADER, Form, MODE2_SIZE, RAW_SIZE, SUBCHANNEL_SIZE, SYNC, USER_SIZE, ecc, edc,
    encode_form1, encode_mode1, write_header,
};
use crate::address::Lba;
use crate::disc::TrackMode;

/// The sectors whose stripped bytes would not come back: the first address and how many.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Check {
    /// The first sector that did not regenerate.
    pub first: Option<Lba>,
    /// How many did not.
    pub count: u64,
}

impl Check {
    fn note(&mut self, lba: Lba) {
        self.first.get_or_insert(lba);
        self.count += 1;
    }

    /// Whether every sector checked so far regenerates.
    pub fn is_clean(&self) -> bool {
        self.count == 0
    }
}

/// Converts consecutive sectors of one `mode` track starting at `first` from the form `from`
/// (in `src`) to the form `to` (in `dst`). Sectors whose stripped sync, header, EDC or ECC would
/// not regenerate are counted in `check`; the caller decides whether that is allowed.
/// Subchannel is copied when both forms have it and made by `subchannel` when only `to` has it.
// Every argument is a distinct input of the one conversion; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn transcode(
    mode: TrackMode,
    first: Lba,
    from: Form,
    src: &[u8],
    to: Form,
    dst: &mut [u8],
    subchannel: Option<&Generator>,
    check: &mut Check,
) {
    let count = src.len() / from.size();
    debug_assert_eq!(dst.len(), count * to.size());
    if from == to {
        dst.copy_from_slice(src);
        return;
    }
    // Checking or regenerating EDC/ECC is the hot path of a conversion (several µs a sector);
    // sectors are independent, so a long run is shared among the cores.
    let threads = parallelism().min(count / MIN_SECTORS_PER_THREAD);
    if threads < 2 {
        transcode_on_one_thread(mode, first, from, src, to, dst, subchannel, check);
        return;
    }
    let per_thread = count.div_ceil(threads);
    let parts: Vec<Check> = std::thread::scope(|scope| {
        let handles: Vec<_> = src
            .chunks(per_thread * from.size())
            .zip(dst.chunks_mut(per_thread * to.size()))
            .enumerate()
            .map(|(i, (src, dst))| {
                let first = Lba(first.0 + (i * per_thread) as i32);
                scope.spawn(move || {
                    let mut part = Check::default();
                    transcode_on_one_thread(mode, first, from, src, to, dst, subchannel, &mut part);
                    part
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    // Parts are in address order, so the first part with a bad sector holds the first one.
    for part in parts {
        if let Some(lba) = part.first {
            check.first.get_or_insert(lba);
        }
        check.count += part.count;
    }
}

/// Below this many sectors per thread, starting a thread costs more than it saves.
const MIN_SECTORS_PER_THREAD: usize = 64;

fn parallelism() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// [`transcode`] on the calling thread only: for callers that run several conversions at once
/// and so already keep the cores busy (the conversion loop's workers).
#[allow(clippy::too_many_arguments)]
pub fn transcode_on_one_thread(
    mode: TrackMode,
    first: Lba,
    from: Form,
    src: &[u8],
    to: Form,
    dst: &mut [u8],
    subchannel: Option<&Generator>,
    check: &mut Check,
) {
    let main_from = from.without_subchannel();
    let main_to = to.without_subchannel();
    for (i, (s, d)) in src
        .chunks_exact(from.size())
        .zip(dst.chunks_exact_mut(to.size()))
        .enumerate()
    {
        let lba = Lba(first.0 + i as i32);
        convert_main(mode, lba, main_from, s, main_to, d, check);
        if to.has_subchannel() {
            let sub = &mut d[RAW_SIZE..RAW_SIZE + SUBCHANNEL_SIZE];
            if from.has_subchannel() {
                sub.copy_from_slice(&s[RAW_SIZE..RAW_SIZE + SUBCHANNEL_SIZE]);
            } else if let Some(generator) = subchannel {
                generator.write(lba, sub);
            } else {
                sub.fill(0);
            }
        }
    }
}

fn convert_main(
    mode: TrackMode,
    lba: Lba,
    from: Form,
    src: &[u8],
    to: Form,
    dst: &mut [u8],
    check: &mut Check,
) {
    match (from, to) {
        (a, b) if a == b => dst[..a.size()].copy_from_slice(&src[..a.size()]),
        (Form::Raw, Form::Cooked) => {
            let raw: &[u8; RAW_SIZE] = src[..RAW_SIZE].try_into().expect("chunk is a raw sector");
            match mode {
                TrackMode::Mode1 => {
                    if !mode1_regenerates(raw, lba) {
                        check.note(lba);
                    }
                    dst.copy_from_slice(&raw[16..16 + USER_SIZE]);
                }
                // Mode 2 to 2048 bytes keeps the first 2048 bytes of user data; the plan has
                // already reported that subheaders and Form 2 data are lost.
                TrackMode::Mode2 | TrackMode::Mode2Xa => {
                    dst.copy_from_slice(&raw[24..24 + USER_SIZE])
                }
                TrackMode::Audio => dst.copy_from_slice(&raw[..USER_SIZE]),
            }
        }
        (Form::Raw, Form::Mode2) => {
            if !header_regenerates(&src[..16], lba, 2) {
                check.note(lba);
            }
            dst.copy_from_slice(&src[16..RAW_SIZE]);
        }
        (Form::Mode2, Form::Raw) => {
            write_header(dst, lba, 2);
            dst[16..RAW_SIZE].copy_from_slice(&src[..MODE2_SIZE]);
        }
        (Form::Mode2, Form::Cooked) => dst.copy_from_slice(&src[8..8 + USER_SIZE]),
        (Form::Cooked, Form::Raw) => {
            let raw: &mut [u8; RAW_SIZE] = (&mut dst[..RAW_SIZE])
                .try_into()
                .expect("chunk is a raw sector");
            match mode {
                TrackMode::Mode1 => encode_mode1(lba, src, raw),
                TrackMode::Mode2 | TrackMode::Mode2Xa => {
                    encode_form1(lba, DATA_SUBHEADER, src, raw)
                }
                TrackMode::Audio => {
                    raw[..USER_SIZE].copy_from_slice(src);
                    raw[USER_SIZE..].fill(0);
                }
            }
        }
        (Form::Cooked, Form::Mode2) => {
            let mut raw = [0u8; RAW_SIZE];
            encode_form1(lba, DATA_SUBHEADER, src, &mut raw);
            dst.copy_from_slice(&raw[16..]);
        }
        (Form::RawSub, _) | (_, Form::RawSub) => {
            unreachable!("subchannel is split off before the main channel is converted")
        }
        (Form::Raw, Form::Raw) | (Form::Cooked, Form::Cooked) | (Form::Mode2, Form::Mode2) => {
            unreachable!("equal forms are copied above")
        }
    }
}

/// Whether a raw Mode 1 sector is exactly what its user data and address regenerate to.
pub(crate) fn mode1_regenerates(raw: &[u8; RAW_SIZE], lba: Lba) -> bool {
    header_regenerates(&raw[..16], lba, 1)
        && edc::compute(&raw[..2064]).to_le_bytes() == raw[2064..2068]
        && raw[2068..2076] == [0u8; 8]
        && ecc::matches(raw)
}

fn header_regenerates(header: &[u8], lba: Lba, mode: u8) -> bool {
    header[..12] == SYNC && header[12..15] == lba.to_absolute_msf().to_bcd() && header[15] == mode
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_mode1(lba: Lba, fill: u8) -> [u8; RAW_SIZE] {
        let mut raw = [0u8; RAW_SIZE];
        encode_mode1(lba, &[fill; USER_SIZE], &mut raw);
        raw
    }

    #[test]
    fn clean_mode1_strips_losslessly_and_comes_back() {
        let mut src = Vec::new();
        for i in 0..3 {
            src.extend_from_slice(&raw_mode1(Lba(100 + i), i as u8));
        }
        let mut cooked = vec![0u8; 3 * USER_SIZE];
        let mut check = Check::default();
        transcode(
            TrackMode::Mode1,
            Lba(100),
            Form::Raw,
            &src,
            Form::Cooked,
            &mut cooked,
            None,
            &mut check,
        );
        assert!(check.is_clean());
        let mut back = vec![0u8; 3 * RAW_SIZE];
        transcode(
            TrackMode::Mode1,
            Lba(100),
            Form::Cooked,
            &cooked,
            Form::Raw,
            &mut back,
            None,
            &mut check,
        );
        assert_eq!(back, src);
    }

    #[test]
    fn a_corrupt_ecc_byte_is_counted_with_its_address() {
        let mut src = Vec::new();
        for i in 0..4 {
            src.extend_from_slice(&raw_mode1(Lba(i), 0x55));
        }
        src[2 * RAW_SIZE + 0x900] ^= 1;
        src[3 * RAW_SIZE + 2064] ^= 1;
        let mut cooked = vec![0u8; 4 * USER_SIZE];
        let mut check = Check::default();
        transcode(
            TrackMode::Mode1,
            Lba(0),
            Form::Raw,
            &src,
            Form::Cooked,
            &mut cooked,
            None,
            &mut check,
        );
        assert_eq!(
            check,
            Check {
                first: Some(Lba(2)),
                count: 2
            }
        );
    }

    #[test]
    fn a_wrong_address_in_the_header_does_not_regenerate() {
        let src = raw_mode1(Lba(7), 1);
        let mut cooked = vec![0u8; USER_SIZE];
        let mut check = Check::default();
        transcode(
            TrackMode::Mode1,
            Lba(8),
            Form::Raw,
            &src,
            Form::Cooked,
            &mut cooked,
            None,
            &mut check,
        );
        assert_eq!(check.count, 1);
    }
}
