//! Any WWW-Authenticate / Authorization value: parsing must not panic and must round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip::auth::{Challenge, Credentials};

fuzz_target!(|data: &[u8]| {
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
});
