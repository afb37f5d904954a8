//! libFuzzer over [`check::check`], which `cargo test` also replays on fuzz/regressions/auth_header/.
#![no_main]

#[path = "../checks/auth_header.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
