//! Fuzzes the chd reader: arbitrary bytes opened as chd and every track read at both ends. Seed it
//! with the CHDs the tests make (`discus convert samples/cue/mixed/mixed.cue corpus/chd/mixed.chd`):
//! random bytes rarely pass the header checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Failing is fine; panicking, hanging or allocating what the bytes claim is not.
    let _ = discus_tests::harness::open_and_read("chd", "disc.chd", data, &[]);
});
