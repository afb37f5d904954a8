//! Whole exchanges: retransmission absorption, the non-2xx ACK, CANCEL, RFC 3581, reliable
//! transports, lossy networks, transport failures.

use super::harness::{answer_with, invite, ms, request, response_to, Pair, Side};
use crate::endpoint::EndpointEvent;
use crate::msg::{Method, Request, SipMessage};
use crate::transport::TransportKind::{Tcp, Udp};

#[test]
fn duplicated_requests_open_one_server_transaction() {
    let mut p = Pair::new(Udp);
    p.net.duplicate = 1.0;
    p.server.tu = Some(answer_with(486));
    let id = p.send(invite());
    p.drive();
    assert_eq!(p.server.incoming().len(), 1);
    assert_eq!(p.client.statuses(id), [486]);
    assert!(p.server.timeouts().is_empty() && p.client.timeouts().is_empty());
}

#[test]
fn ack_for_non_2xx_is_built_header_by_header() {
    let mut p = Pair::new(Udp);
    p.server.tu = Some(answer_with(486));
    let mut req = invite();
    req.headers.push("Route", "<sip:second.test;lr>");
    req.headers.push("Max-Forwards", "42");
    req.body = b"v=0\r\n".to_vec();
    req.headers.push("Content-Type", "application/sdp");
    let id = p.send(req);
    p.drive();
    let sent_invite = p.client.sent_requests(Method::Invite)[0].1.clone();
    let acks = p.client.sent_requests(Method::Ack);
    assert_eq!(acks.len(), 1);
    let ack = &acks[0].1;
    let final_response = &p.server.sent_responses(486)[0].1;

    assert_eq!(ack.uri, sent_invite.uri, "same Request-URI");
    let vias: Vec<_> = ack.headers.get_all("Via").collect();
    assert_eq!(
        vias,
        [sent_invite.header("Via").unwrap()],
        "only the top Via"
    );
    assert_eq!(
        ack.top_via().unwrap().branch(),
        sent_invite.top_via().unwrap().branch()
    );
    assert_eq!(ack.header("Call-ID"), sent_invite.header("Call-ID"));
    assert_eq!(ack.header("From"), sent_invite.header("From"));
    assert_eq!(
        ack.header("To"),
        final_response.header("To"),
        "To with the tag"
    );
    assert_eq!(ack.to_header().unwrap().tag(), Some("bobtag"));
    let cseq = ack.cseq().unwrap();
    assert_eq!((cseq.seq, cseq.method), (7, Method::Ack));
    let routes: Vec<_> = ack.headers.get_all("Route").collect();
    assert_eq!(routes, ["<sip:proxy.test;lr>", "<sip:second.test;lr>"]);
    assert_eq!(ack.header("Max-Forwards"), Some("42"));
    assert!(ack.body.is_empty());
    assert_eq!(ack.header("Content-Type"), None);
    assert_eq!(p.client.statuses(id), [486]);
}

#[test]
fn cancel_matches_its_invite_and_the_tu_answers_487() {
    let mut p = Pair::new(Udp);
    p.server.tu = Some(Box::new(|now, ep, e| match e {
        EndpointEvent::IncomingRequest { txn, request, .. } => {
            ep.send_response(now, *txn, response_to(request, 180))
                .unwrap();
        }
        EndpointEvent::CancelReceived { invite, .. } => {
            let req = ep.original_request(*invite).unwrap().clone();
            ep.send_response(now, *invite, response_to(&req, 487))
                .unwrap();
        }
        _ => {}
    }));
    let invite_id = p.send(invite());
    p.step_until(|p| !p.client.statuses(invite_id).is_empty());
    let cancel_id = p.client.ep.cancel(p.now, invite_id).unwrap();
    assert_eq!(
        p.client.ep.cancel(p.now, invite_id),
        Err(crate::endpoint::SendError::WrongState),
        "one CANCEL per INVITE"
    );
    p.flush();
    p.drive();

    let sent_invite = p.client.sent_requests(Method::Invite)[0].1.clone();
    let cancel = p.client.sent_requests(Method::Cancel)[0].1.clone();
    assert_eq!(cancel.uri, sent_invite.uri);
    for h in ["Via", "Call-ID", "From", "To"] {
        assert_eq!(cancel.header(h), sent_invite.header(h), "{h}");
    }
    assert_eq!(cancel.headers.get_all("Via").count(), 1);
    assert_eq!(
        cancel.headers.get_all("Route").collect::<Vec<_>>(),
        sent_invite.headers.get_all("Route").collect::<Vec<_>>()
    );
    assert_eq!(cancel.cseq().unwrap().seq, 7);
    assert_eq!(cancel.cseq().unwrap().method, Method::Cancel);

    let server_invite = p.server.incoming()[0].0;
    let cancelled = p.server.count(
        |e| matches!(e, EndpointEvent::CancelReceived { invite, .. } if *invite == server_invite),
    );
    assert_eq!(cancelled, 1);
    assert_eq!(p.client.statuses(cancel_id), [200]);
    let ok = &p.server.sent_responses(200)[0].1;
    assert_eq!(
        ok.to_header().unwrap().tag(),
        Some("bobtag"),
        "the INVITE's To tag"
    );
    assert_eq!(p.client.statuses(invite_id), [180, 487]);
    assert_eq!(p.client.sent_requests(Method::Ack).len(), 1);
    assert!(p.server.timeouts().is_empty() && p.client.timeouts().is_empty());
}

#[test]
fn cancel_waits_for_a_provisional_response() {
    let mut p = Pair::new(Udp);
    let invite_id = p.send(invite());
    let cancel_id = p.client.ep.cancel(p.now, invite_id).unwrap();
    assert_eq!(
        p.client
            .ep
            .original_request(cancel_id)
            .map(|r| r.method.clone()),
        Some(Method::Cancel)
    );
    p.flush();
    assert!(p.client.sent_requests(Method::Cancel).is_empty());
    // The server's automatic 100 leaves at 205 ms and arrives at 210 ms.
    p.run_until(ms(210));
    let cancels = p.client.sent_requests(Method::Cancel);
    assert_eq!(cancels.len(), 1);
    assert_eq!(cancels[0].0, p.at(ms(210)));
    p.run_until(ms(220));
    assert_eq!(p.client.statuses(cancel_id), [200]);
    assert_eq!(
        p.server
            .count(|e| matches!(e, EndpointEvent::CancelReceived { .. })),
        1
    );
}

#[test]
fn cancel_without_a_transaction_gets_481() {
    let mut p = Pair::new(Udp);
    let mut cancel = request(Method::Cancel);
    cancel
        .headers
        .push_front("Via", "SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKnone");
    cancel.headers.push("Max-Forwards", "70");
    p.inject(Side::Server, &cancel.to_bytes());
    let sent = p.server.sent_responses(481);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1.reason, "Call/Transaction Does Not Exist");
    assert!(p.server.events.is_empty());
    assert_eq!(p.server.ep.poll_timeout(), None);
}

#[test]
fn incoming_via_gets_received_and_rport() {
    let mut p = Pair::new(Udp);
    p.client
        .ep
        .set_sent_by(Udp, "alice-laptop.test:5999".to_owned());
    p.send(request(Method::Options));
    p.run_until(ms(5));
    let (_, req) = &p.server.incoming()[0];
    let via = req.top_via().unwrap();
    assert_eq!(via.received(), Some("127.0.0.1"));
    assert_eq!(via.rport(), Some(Some(5062)));
    assert_eq!(via.host, "alice-laptop.test");
}

#[test]
fn reliable_transport_has_no_retransmissions_or_waits() {
    let mut p = Pair::new(Tcp);
    p.server.tu = Some(Box::new(|now, ep, e| {
        if let EndpointEvent::IncomingRequest { txn, request, .. } = e {
            ep.send_response(now, *txn, response_to(request, 180))
                .unwrap();
            ep.send_response(now, *txn, response_to(request, 200))
                .unwrap();
        }
    }));
    let invite_id = p.send(invite());
    let options_id = p.send(request(Method::Options));
    let via = p
        .client
        .ep
        .original_request(invite_id)
        .unwrap()
        .top_via()
        .unwrap();
    assert_eq!(via.transport, "TCP");
    p.drive();
    assert_eq!(p.client.statuses(invite_id), [180, 200]);
    assert_eq!(p.client.statuses(options_id), [180, 200]);
    assert_eq!(p.client.sent_requests(Method::Invite).len(), 1);
    assert_eq!(p.client.sent_requests(Method::Options).len(), 1);
    assert_eq!(
        p.server.sent_responses(200).len(),
        2,
        "no 2xx retransmission on TCP"
    );
    // Only Timer L (the unacked 2xx) and Timer M outlive the exchange.
    assert_eq!(p.server.timeouts().len(), 1);
    assert_eq!(p.now, p.at(ms(32_010)), "Timer M, 64·T1 after the 200");
}

#[test]
fn lossy_duplicating_network_still_gives_one_outcome() {
    for seed in 0..20 {
        let mut p = Pair::new(Udp);
        p.net = super::harness::Net::seeded(seed);
        p.net.loss = 0.3;
        p.net.duplicate = 0.3;
        p.server.tu = Some(answer_with(200));
        let id = p.send(request(Method::Message));
        p.drive();
        let finals = p.client.statuses(id).len() + p.client.timeouts().len();
        assert_eq!(finals, 1, "seed {seed}");
        assert!(p.server.incoming().len() <= 1, "seed {seed}");
        assert_eq!(p.client.ep.poll_timeout(), None);
        assert_eq!(p.server.ep.poll_timeout(), None);
    }
}

#[test]
fn transport_failure_ends_waiting_transactions() {
    let mut p = Pair::new(Tcp);
    let id = p.send(invite());
    let server = p.server.remote;
    p.client.ep.handle_transport_error(p.now, server);
    p.flush();
    assert!(
        p.client
            .count(|e| matches!(e, EndpointEvent::TransportFailed { txn } if *txn == id))
            == 1
    );
    assert!(!p.client.is_alive(id));

    let mut p = Pair::new(Tcp);
    p.send(invite());
    p.run_until(ms(5));
    let txn = p.server.incoming()[0].0;
    let client = p.client.remote;
    p.server.ep.handle_transport_error(p.now, client);
    p.flush();
    assert_eq!(
        p.server
            .count(|e| matches!(e, EndpointEvent::TransportFailed { .. })),
        1
    );
    let req: Request = p.server.incoming()[0].1.clone();
    assert_eq!(
        p.server
            .ep
            .send_response(p.now, txn, response_to(&req, 200)),
        Err(crate::endpoint::SendError::UnknownTransaction)
    );
}
