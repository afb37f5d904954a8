//! Any datagram: parsing must not panic, and whatever parses must survive the typed accessors
//! and a serialise/parse round trip.

use sip::msg::{Message, SipMessage};

/// Panics when the input shows a bug: the fuzz target and `cargo test` replay both run this.
pub(crate) fn check(data: &[u8]) {
    let Ok(msg) = Message::parse(data) else {
        return;
    };
    let accessors = |m: &dyn SipMessage| {
        let _ = m.top_via();
        let _ = m.vias();
        let _ = m.from_header();
        let _ = m.to_header();
        let _ = m.call_id();
        let _ = m.cseq();
        let _ = m.contacts();
        let _ = m.expires();
        let _ = m.sip_etag();
        let _ = m.sip_if_match();
        let _ = m.allow_events();
        let _ = m.accept_header();
    };
    match &msg {
        Message::Request(r) => {
            accessors(r);
            let _ = r.validate();
        }
        Message::Response(r) => accessors(r),
    }
    let again = Message::parse(&msg.to_bytes()).expect("our own output parses");
    assert_eq!(again.to_bytes(), msg.to_bytes(), "serialising is stable");
}
