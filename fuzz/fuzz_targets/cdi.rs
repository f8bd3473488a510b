//! Fuzzes the CDI reader: arbitrary bytes as the descriptor of a DiscJuggler image, after a few
//! sectors of data and before a trailer that places it (the first byte picks v2, v3 or v3.5), so
//! the fuzzer spends its time in the descriptor rather than on finding a trailer.
#![no_main]

/// The sector data the descriptor describes.
const DATA: usize = 2448 * 4;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&pick, descriptor)) = data.split_first() else {
        return;
    };
    let version = 0x8000_0004u32 + u32::from(pick % 3);
    let mut file = vec![0u8; DATA];
    file.extend_from_slice(descriptor);
    file.extend_from_slice(&version.to_le_bytes());
    let place = if version == 0x8000_0006 {
        descriptor.len() + 8
    } else {
        DATA
    };
    file.extend_from_slice(&(place as u32).to_le_bytes());
    // Failing is fine; panicking, hanging or allocating what the descriptor claims is not.
    let _ = discus_tests::harness::open_and_read("cdi", "disc.cdi", &file, &[]);
});
