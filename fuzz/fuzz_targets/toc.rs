//! Fuzzes the cdrdao TOC reader: arbitrary bytes opened as a TOC and every track read at both ends.
#![no_main]

/// A few sectors for the data files a TOC names, with a pattern so that Form 2 data and packed
/// R–W subchannel (interleaved across sectors) are not all zeros.
static SECTORS: [u8; 2448 * 4] = {
    let mut bytes = [0u8; 2448 * 4];
    let mut i = 0;
    while i < bytes.len() {
        bytes[i] = (i * 7 % 251) as u8;
        i += 1;
    }
    bytes
};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Failing is fine; panicking, hanging or allocating what the text claims is not.
    // `cut.bin` ends inside a sector's subchannel.
    let _ = discus_tests::harness::open_and_read(
        "toc",
        "disc.toc",
        data,
        &[("disc.bin", &SECTORS[..]), ("cut.bin", &SECTORS[..2448 * 3 + 2400])],
    );
});
