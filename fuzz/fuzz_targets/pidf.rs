//! libFuzzer over [`check::check`], which `cargo test` also replays on fuzz/regressions/pidf/.
#![no_main]

#[path = "../checks/pidf.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
