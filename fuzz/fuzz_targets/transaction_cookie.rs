#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| backend::fuzz_checks::transaction_cookie(data));
