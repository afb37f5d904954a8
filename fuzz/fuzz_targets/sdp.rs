//! libFuzzer over [`check::check`], which `cargo test` also replays on fuzz/regressions/sdp/.
#![no_main]

#[path = "../checks/sdp.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
