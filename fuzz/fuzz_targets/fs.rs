//! Fuzzes the filesystem reader: arbitrary bytes as an ISO, every tree (ISO 9660, Joliet,
//! Rock Ridge, UDF), the boot catalog and the start of every file read.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Failing is fine; panicking, hanging or allocating what the bytes claim is not.
    let _ = discus_tests::harness::read_filesystem(data);
});
