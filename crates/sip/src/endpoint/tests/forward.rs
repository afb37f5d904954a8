//! `forward_request`: the proxy's relay always gets its own Via and its own transaction.

use super::harness::{ms, request, Pair};
use crate::endpoint::{EndpointEvent, SendError};
use crate::msg::{Method, SipMessage};
use crate::transport::TransportKind::Udp;

#[test]
fn forwarded_request_gets_our_via_above_the_upstream_one() {
    let mut p = Pair::new(Udp);
    let mut req = request(Method::Message);
    req.headers.push(
        "Via",
        "SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKupstream;rport=5060",
    );
    let to = p.server.remote;
    let id = p
        .client
        .ep
        .forward_request(p.now, req, to)
        .expect("a valid request");
    let sent = p
        .client
        .ep
        .original_request(id)
        .expect("transaction is open");
    let vias: Vec<_> = sent.vias().expect("valid Vias");
    assert_eq!(vias.len(), 2, "ours pushed on top of the upstream Via");
    assert_eq!(vias[0].host, "127.0.0.1");
    assert_ne!(vias[0].branch(), Some("z9hG4bKupstream"));
    assert_eq!(vias[1].branch(), Some("z9hG4bKupstream"));
    assert!(!sent.headers.contains("User-Agent"), "a proxy adds no UA");
}

#[test]
fn two_forwards_of_one_request_are_two_transactions() {
    let mut p = Pair::new(Udp);
    let mut req = request(Method::Invite);
    req.headers
        .push("Via", "SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKupstream");
    let to = p.server.remote;
    let a = p.client.ep.forward_request(p.now, req.clone(), to);
    let b = p.client.ep.forward_request(p.now, req, to);
    assert!(
        matches!((a, b), (Ok(a), Ok(b)) if a != b),
        "parallel forking"
    );
}

#[test]
fn forwarded_transaction_receives_its_response() {
    let mut p = Pair::new(Udp);
    p.server.tu = Some(super::harness::answer_with(200));
    let mut req = request(Method::Message);
    req.headers
        .push("Via", "SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKupstream");
    let to = p.server.remote;
    let id = p
        .client
        .ep
        .forward_request(p.now, req, to)
        .expect("a valid request");
    p.flush();
    p.run_until(ms(100));
    assert_eq!(p.client.statuses(id), [200]);
}

#[test]
fn ack_cannot_be_forwarded_in_a_transaction() {
    let mut p = Pair::new(Udp);
    let to = p.server.remote;
    let r = p.client.ep.forward_request(p.now, request(Method::Ack), to);
    assert_eq!(r, Err(SendError::AckIsStateless));
    assert!(p
        .client
        .events
        .iter()
        .all(|(_, e)| !matches!(e, EndpointEvent::Response { .. })));
}
