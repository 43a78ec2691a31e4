#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| backend::fuzz_checks::session_cookie(data));
