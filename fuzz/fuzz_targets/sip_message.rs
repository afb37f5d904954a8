//! Any datagram: parsing must not panic, and whatever parses must survive the typed accessors
//! and a serialise/parse round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip::msg::{Message, SipMessage};

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = Message::parse(data) else {
        return;
    };
    let check = |m: &dyn SipMessage| {
        let _ = m.top_via();
        let _ = m.vias();
        let _ = m.from_header();
        let _ = m.to_header();
        let _ = m.call_id();
        let _ = m.cseq();
        let _ = m.contacts();
        let _ = m.expires();
    };
    match &msg {
        Message::Request(r) => {
            check(r);
            let _ = r.validate();
        }
        Message::Response(r) => check(r),
    }
    let again = Message::parse(&msg.to_bytes()).expect("our own output parses");
    assert_eq!(again.to_bytes(), msg.to_bytes(), "serialising is stable");
});
