//! Hostile and mistaken input: malformed requests and responses, mutated bytes, API misuse.

use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::harness::{invite, ms, request, response_to, Pair, Side};
use crate::endpoint::{Config, Endpoint, EndpointEvent, SendError};
use crate::msg::{Message, Method, SipMessage};
use crate::transport::TransportKind::{Tcp, Udp};

const VIA: &str = "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKbad\r\n";

#[test]
fn endpoint_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<Endpoint>();
    assert_send::<EndpointEvent>();
}

#[test]
fn malformed_requests_are_answered_statelessly() {
    let ok_rest = "From: <sip:a@a.test>;tag=1\r\nTo: <sip:b@b.test>\r\nCall-ID: x\r\n";
    let cases: Vec<(String, u16, &str)> = vec![
        (
            format!("OPTIONS sip:b@b.test SIP/2.0\r\n{VIA}From: <sip:a@a.test>;tag=1\r\nTo: <sip:b@b.test>\r\nCSeq: 1 OPTIONS\r\n\r\n"),
            400,
            "missing Call-ID header",
        ),
        (
            format!("OPTIONS sip:b@b.test SIP/2.0\r\n{VIA}{ok_rest}CSeq: 1 INVITE\r\n\r\n"),
            400,
            "CSeq method does not match",
        ),
        (
            format!("OPTIONS sip:b@b.test SIP/2.0\r\n{VIA}{ok_rest}CSeq: 1 OPTIONS\r\nMax-Forwards: many\r\n\r\n"),
            400,
            "bad Max-Forwards",
        ),
        (
            format!("OPTIONS sip:b@b.test SIP/2.0\r\n{VIA}{ok_rest}CSeq: x OPTIONS\r\n\r\n"),
            400,
            "bad CSeq number: \"x\"",
        ),
        (
            format!("INVITE sip:b@b.test SIP/2.0\r\n{VIA}{ok_rest}CSeq: 1 INVITE\r\nContent-Length: 99\r\n\r\nshort"),
            400,
            "body shorter than Content-Length",
        ),
        (
            format!("OPTIONS sip:b@b.test SIP/3.0\r\n{VIA}{ok_rest}CSeq: 1 OPTIONS\r\n\r\n"),
            505,
            "version not supported",
        ),
        (
            format!(
                "MESSAGE sip:b@b.test SIP/2.0\r\n{VIA}{ok_rest}CSeq: 1 MESSAGE\r\nContent-Length: 70000\r\n\r\n{}",
                "a".repeat(70_000)
            ),
            513,
            "message too large",
        ),
    ];
    for (bytes, status, reason) in cases {
        let mut p = Pair::new(Udp);
        p.inject(Side::Server, bytes.as_bytes());
        assert_eq!(p.server.sent.len(), 1, "{reason}");
        let Message::Response(resp) = &p.server.sent[0].1 else {
            panic!("{reason}: not a response");
        };
        assert_eq!((resp.status, resp.reason.as_str()), (status, reason));
        assert_eq!(resp.top_via().unwrap().branch(), Some("z9hG4bKbad"));
        assert!(p.server.incoming().is_empty(), "{reason}");
        assert_eq!(p.server.ep.poll_timeout(), None, "{reason}: no transaction");
    }
}

#[test]
fn malformed_ack_and_garbage_are_dropped() {
    let mut p = Pair::new(Udp);
    let ack = format!("ACK sip:b@b.test SIP/2.0\r\n{VIA}CSeq: 1 ACK\r\n\r\n");
    p.inject(Side::Server, ack.as_bytes());
    p.inject(Side::Server, b"hello world");
    p.inject(Side::Server, b"\r\n\r\n");
    assert!(p.server.sent.is_empty(), "an ACK is never answered");
    assert_eq!(
        p.server
            .count(|e| matches!(e, EndpointEvent::Dropped { .. })),
        2,
        "the keep-alive is not news"
    );
}

#[test]
fn malformed_responses_are_dropped() {
    let mut p = Pair::new(Udp);
    for bad in [
        &b"SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\n\r\n"[..],
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: one INVITE\r\n\r\n",
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nCSeq: 1 INVITE\r\n\r\n",
        b"SIP/2.0 999 Huh\r\n\r\n",
    ] {
        p.inject(Side::Client, bad);
    }
    assert_eq!(
        p.client
            .count(|e| matches!(e, EndpointEvent::Dropped { .. })),
        4
    );
    assert!(p.client.sent.is_empty());
}

/// Byte-level mutations of valid messages: flips, cuts, insertions, duplicated lines.
fn mutate(rng: &mut SmallRng, base: &[u8]) -> Vec<u8> {
    let mut b = base.to_vec();
    for _ in 0..rng.gen_range(1..4) {
        if b.is_empty() {
            break;
        }
        let i = rng.gen_range(0..b.len());
        match rng.gen_range(0..6) {
            0 => b[i] = rng.gen(),
            1 => b.truncate(i),
            2 => b.insert(
                i,
                *b": \r\n;,<>\"@".get(rng.gen_range(0..11)).unwrap_or(&b'x'),
            ),
            3 => {
                let end = (i + rng.gen_range(1..20)).min(b.len());
                b.drain(i..end);
            }
            4 => {
                let end = (i + rng.gen_range(1..40)).min(b.len());
                let chunk = b[i..end].to_vec();
                b.splice(i..i, chunk);
            }
            _ => b[i] = b'\n',
        }
    }
    b
}

#[test]
fn mutated_messages_never_panic() {
    let mut p = Pair::new(Udp);
    let id = p.send(invite());
    let server_remote = p.server.remote;
    let client_remote = p.client.remote;
    let mut seeds: Vec<Vec<u8>> = vec![p.client.sent[0].1.to_bytes()];
    let mut resp = response_to(
        &match &p.client.sent[0].1 {
            Message::Request(r) => r.clone(),
            Message::Response(_) => unreachable!("the client sent its INVITE"),
        },
        180,
    );
    seeds.push(resp.to_bytes());
    resp.status = 486;
    seeds.push(resp.to_bytes());
    let mut cancel = request(Method::Cancel);
    cancel
        .headers
        .push_front("Via", "SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKq");
    seeds.push(cancel.to_bytes());

    let mut rng = SmallRng::seed_from_u64(7);
    for transport in [Udp, Tcp] {
        let mut server = Endpoint::new(
            Config {
                rng_seed: 5,
                ..Config::default()
            },
            p.now,
        );
        let from = crate::transport::Remote {
            transport,
            ..client_remote
        };
        for n in 0..5_000u64 {
            let base = &seeds[rng.gen_range(0..seeds.len())];
            let bytes = mutate(&mut rng, base);
            let now = p.now + Duration::from_millis(n);
            server.handle_input(now, from, &bytes);
            p.client.ep.handle_input(now, server_remote, &bytes);
            server.handle_timeout(now);
            while server.poll_transmit().is_some() || server.poll_event().is_some() {}
        }
        // Whatever opened, only INVITEs the (absent) TU never answered may remain.
        server.handle_timeout(p.now + Duration::from_secs(3600));
        while server.poll_event().is_some() {}
        assert!(server
            .timeout_reason()
            .is_none_or(|(_, t)| t == crate::txn::Timer::AutoTrying));
    }
    p.client
        .ep
        .handle_timeout(p.now + Duration::from_secs(3600));
    assert!(!p.client.is_alive(id));
    assert_eq!(p.client.ep.poll_timeout(), None);
}

#[test]
fn send_errors_name_the_fix() {
    let mut p = Pair::new(Udp);
    let to = p.server.remote;
    let now = p.now;
    let ep = &mut p.client.ep;
    assert_eq!(
        ep.send_request(now, request(Method::Ack), to),
        Err(SendError::AckIsStateless)
    );
    let mut no_call_id = request(Method::Options);
    no_call_id.headers.remove("Call-ID");
    assert!(matches!(
        ep.send_request(now, no_call_id, to),
        Err(SendError::InvalidRequest(e)) if e.reason == "missing Call-ID header"
    ));
    let tcp = crate::transport::Remote {
        transport: Tcp,
        ..to
    };
    assert_eq!(
        ep.send_request(now, request(Method::Options), tcp),
        Err(SendError::NoSentBy(Tcp))
    );
    let options = ep.send_request(now, request(Method::Options), to).unwrap();
    assert_eq!(ep.cancel(now, options), Err(SendError::NotInvite));
    let mut same_branch = request(Method::Options);
    let via = ep
        .original_request(options)
        .unwrap()
        .header("Via")
        .unwrap()
        .to_owned();
    same_branch.headers.push("Via", via);
    assert_eq!(
        ep.send_request(now, same_branch, to),
        Err(SendError::BranchInUse)
    );
    let resp = response_to(&request(Method::Options), 200);
    assert_eq!(
        ep.send_response(now, options, resp.clone()),
        Err(SendError::UnknownTransaction),
        "a client transaction takes no responses"
    );

    p.send(request(Method::Options));
    p.run_until(ms(5));
    let (txn, req) = p.server.incoming()[0].clone();
    let mut bad = response_to(&req, 200);
    bad.status = 99;
    assert_eq!(
        p.server.ep.send_response(p.now, txn, bad),
        Err(SendError::InvalidStatus(99))
    );
    p.server
        .ep
        .send_response(p.now, txn, response_to(&req, 200))
        .unwrap();
    assert_eq!(
        p.server
            .ep
            .send_response(p.now, txn, response_to(&req, 404)),
        Err(SendError::WrongState),
        "one final per transaction"
    );
}

#[test]
fn requests_get_via_max_forwards_and_user_agent() {
    let mut p = Pair::with_config(Udp, |c| c.user_agent = Some("Halo-test".to_owned()));
    let id = p.send(request(Method::Options));
    let sent = p.client.ep.original_request(id).unwrap();
    let via = sent.top_via().unwrap();
    assert_eq!(
        (via.transport.as_str(), via.host.as_str(), via.port),
        ("UDP", "127.0.0.1", Some(5062))
    );
    assert!(via.branch().unwrap().starts_with("z9hG4bK"));
    assert_eq!(via.rport(), Some(None));
    assert_eq!(sent.header("Max-Forwards"), Some("70"));
    assert_eq!(sent.header("User-Agent"), Some("Halo-test"));
    assert_eq!(
        sent.header("Content-Length"),
        None,
        "written on serialisation only"
    );
    let wire = String::from_utf8(p.client.sent[0].1.to_bytes()).unwrap();
    assert!(wire.contains("Content-Length: 0\r\n"));
}

#[test]
fn identifiers_replay_from_the_seed() {
    let ids = |seed: u64| {
        let config = Config {
            rng_seed: seed,
            ..Config::default()
        };
        let mut ep = Endpoint::new(config, std::time::Instant::now());
        (ep.new_branch(), ep.new_tag(), ep.new_call_id())
    };
    assert_eq!(ids(9), ids(9));
    assert_ne!(ids(9), ids(10));
    let (branch, tag, call_id) = ids(9);
    assert!(branch.starts_with("z9hG4bK") && branch.len() == 23);
    assert_eq!((tag.len(), call_id.len()), (10, 24));
}
