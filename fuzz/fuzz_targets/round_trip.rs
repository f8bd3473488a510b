//! Fuzzes every writer: an arbitrary small disc written and read back must give every sector back.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for format in discus_tests::harness::writers() {
        let options = discus::WriteOptions::default();
        if let Err(difference) = discus_tests::harness::round_trip(format, data, &options) {
            panic!("{difference}");
        }
    }
});
