//! libFuzzer over [`check::check`], which `cargo test` also replays on fuzz/regressions/sip_message/.
#![no_main]

#[path = "../checks/sip_message.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
