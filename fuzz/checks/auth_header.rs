//! Any WWW-Authenticate / Authorization value: parsing must not panic and must round-trip.

use sip::auth::{Challenge, Credentials};

/// Panics when the input shows a bug: the fuzz target and `cargo test` replay both run this.
pub(crate) fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = text.parse::<Challenge>() {
        let again: Challenge = c.to_string().parse().expect("our challenge parses");
        assert_eq!(again, c);
    }
    if let Ok(c) = text.parse::<Credentials>() {
        let again: Credentials = c.to_string().parse().expect("our credentials parse");
        assert_eq!(again, c);
    }
}
