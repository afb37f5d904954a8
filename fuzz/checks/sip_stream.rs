//! A TCP byte stream cut at arbitrary points: framing must not panic and must stay bounded.

use sip::msg::StreamFramer;

const MAX: usize = 4096;

/// Panics when the input shows a bug: the fuzz target and `cargo test` replay both run this.
pub(crate) fn check(data: &[u8]) {
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
}
