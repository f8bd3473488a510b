//! Fuzzes probing and opening: arbitrary bytes under a neutral name, recognised (or not) by
//! content alone, then opened and read by whichever format claimed them.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("discus-fuzz-probe-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("input.dat");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(mut opened) = discus::open(&path) {
        let _ = discus_tests::harness::read_everywhere(&mut *opened.source);
    }
});
