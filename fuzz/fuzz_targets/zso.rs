//! Fuzzes the zso reader: arbitrary bytes opened as zso and every track read at both ends.
#![no_main]

/// A few raw sectors for the data files a descriptor names.
static SECTORS: [u8; 2352 * 4] = [0; 2352 * 4];
/// Subchannel for the same four sectors.
static SUBCHANNEL: [u8; 96 * 4] = [0; 96 * 4];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = (&SECTORS, &SUBCHANNEL);
    // Failing is fine; panicking, hanging or allocating what the bytes claim is not.
    let _ = discus_tests::harness::open_and_read("zso", "disc.zso", data, &[]);
});
