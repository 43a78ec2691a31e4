#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ferris_login::fuzz_checks::callback_query(data));
