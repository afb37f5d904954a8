//! A TCP byte stream cut at arbitrary points: framing must not panic and must stay bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip::msg::StreamFramer;

const MAX: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(cut).max(1);
    let mut framer = StreamFramer::new(MAX);
    for piece in rest.chunks(chunk) {
        if framer.push(piece).is_err() {
            return;
        }
        loop {
            match framer.next_frame() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
        assert!(framer.buffered() <= 2 * MAX);
    }
});
