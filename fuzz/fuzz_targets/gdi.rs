//! Fuzzes the GDI reader: arbitrary bytes opened as a GD-ROM sheet beside one track file.
#![no_main]

/// A few raw sectors for the track file a sheet names.
static SECTORS: [u8; 2352 * 4] = [0; 2352 * 4];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Failing is fine; panicking, hanging or allocating what the sheet claims is not.
    let _ = discus_tests::harness::open_and_read("gdi", "disc.gdi", data, &[("track01.bin", &SECTORS[..])]);
});
