//! Fuzzes the ECM decoder: arbitrary bytes opened as a lone `.bin.ecm` and every track read at
//! both ends.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Failing is fine; panicking, hanging or allocating what the records claim is not.
    let _ = discus_tests::harness::open_and_read("ecm", "disc.bin.ecm", data, &[]);
});
