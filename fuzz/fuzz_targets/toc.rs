//! Fuzzes the cdrdao TOC reader: arbitrary bytes opened as a TOC and every track read at both ends.
#![no_main]

/// A few raw sectors for the data file a TOC names.
static SECTORS: [u8; 2448 * 4] = [0; 2448 * 4];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Failing is fine; panicking, hanging or allocating what the text claims is not.
    let _ = discus_tests::harness::open_and_read("toc", "disc.toc", data, &[("disc.bin", &SECTORS[..])]);
});
