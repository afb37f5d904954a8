//! libFuzzer over [`check::check`], which `cargo test` also replays on fuzz/regressions/sip_stream/.
#![no_main]

#[path = "../checks/sip_stream.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
