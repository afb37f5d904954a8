//! Server transaction timers: G, H, I, J, L, the 2xx retransmission and the automatic 100.

use std::time::Duration;

use super::harness::{answer_with, invite, ms, request, Pair, Side};
use crate::endpoint::EndpointEvent;
use crate::msg::{Method, Request, SipMessage};
use crate::transport::TransportKind::{Tcp, Udp};
use crate::txn::{Timer, TxnId};

/// A request as the peer would put it on the wire, with its own Via.
fn wire(mut req: Request, branch: &str) -> Vec<u8> {
    req.headers.push_front(
        "Via",
        format!("SIP/2.0/UDP 127.0.0.1:5062;branch={branch};rport"),
    );
    req.headers.push("Max-Forwards", "70");
    req.to_bytes()
}

fn ack_for_2xx(branch: &str) -> Vec<u8> {
    let mut ack = invite();
    ack.method = Method::Ack;
    ack.headers.set("To", "<sip:bob@b.test>;tag=bobtag");
    ack.headers.set("CSeq", "7 ACK");
    wire(ack, branch)
}

fn send_times(p: &Pair, status: u16) -> Vec<Duration> {
    p.server
        .sent_responses(status)
        .iter()
        .map(|(at, _)| *at - p.start)
        .collect()
}

fn only_txn(p: &Pair) -> TxnId {
    let incoming = p.server.incoming();
    assert_eq!(incoming.len(), 1);
    incoming[0].0
}

#[test]
fn timer_g_caps_at_t2_and_timer_h_times_out() {
    let mut p = Pair::new(Udp);
    p.server.tu = Some(answer_with(486));
    p.inject(Side::Server, &wire(invite(), "z9hG4bKg"));
    let id = only_txn(&p);
    assert_eq!(p.server.ep.timeout_reason(), Some((id, Timer::G)));
    p.drive();
    let expected = [
        0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
    ]
    .map(ms);
    assert_eq!(send_times(&p, 486), expected);
    assert_eq!(p.server.timeouts(), [(p.at(ms(32_000)), id)]);
    assert!(!p.server.is_alive(id));
}

#[test]
fn timer_i_absorbs_ack_retransmissions_for_t4() {
    let mut p = Pair::new(Udp);
    p.server.tu = Some(answer_with(486));
    p.send(invite());
    // INVITE at 5 ms, 486 back at 10 ms, ACK in at 15 ms: Confirmed, Timer I = T4.
    p.run_until(ms(15));
    let id = only_txn(&p);
    assert_eq!(p.server.ep.timeout_reason(), Some((id, Timer::I)));
    let ack = p.client.sent_requests(Method::Ack)[0].1.to_bytes();
    p.inject(Side::Server, &ack);
    p.run_until(ms(5_014));
    assert!(p.server.is_alive(id));
    p.run_until(ms(5_015));
    assert!(!p.server.is_alive(id));
    assert_eq!(
        p.server.sent_responses(486).len(),
        1,
        "no Timer G after the ACK"
    );
    assert_eq!(
        p.server
            .count(|e| matches!(e, EndpointEvent::IncomingAck { .. })),
        0,
        "the ACK of a non-2xx stays in the transaction"
    );
    assert!(p.server.timeouts().is_empty());

    let mut p = Pair::new(Tcp);
    p.server.tu = Some(answer_with(486));
    p.send(invite());
    p.run_until(ms(15));
    assert!(!p.server.is_alive(only_txn(&p)), "Timer I is zero on TCP");
}

#[test]
fn timer_j_answers_retransmissions_for_64_t1() {
    let mut p = Pair::new(Udp);
    p.server.tu = Some(answer_with(200));
    let bytes = wire(request(Method::Options), "z9hG4bKj");
    p.inject(Side::Server, &bytes);
    let id = only_txn(&p);
    p.run_until(ms(31_999));
    p.inject(Side::Server, &bytes);
    assert_eq!(p.server.sent_responses(200).len(), 2, "the final is resent");
    assert_eq!(p.server.incoming().len(), 1);
    assert!(p.server.is_alive(id));
    p.run_until(ms(32_000));
    assert!(!p.server.is_alive(id));
    // Now the same bytes are a new request.
    p.inject(Side::Server, &bytes);
    assert_eq!(p.server.incoming().len(), 2);

    let mut p = Pair::new(Tcp);
    p.server.tu = Some(answer_with(200));
    p.send(request(Method::Options));
    p.run_until(ms(5));
    assert!(!p.server.is_alive(only_txn(&p)), "Timer J is zero on TCP");
}

#[test]
fn unacked_2xx_is_retransmitted_until_timer_l() {
    let mut p = Pair::new(Udp);
    p.server.tu = Some(answer_with(200));
    let bytes = wire(invite(), "z9hG4bKl");
    p.inject(Side::Server, &bytes);
    let id = only_txn(&p);
    p.run_until(ms(2_000));
    p.inject(Side::Server, &bytes);
    p.drive();
    let expected = [
        0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
    ]
    .map(ms);
    assert_eq!(
        send_times(&p, 200),
        expected,
        "the retransmitted INVITE is absorbed"
    );
    assert_eq!(p.server.timeouts(), [(p.at(ms(32_000)), id)]);
    assert_eq!(p.server.incoming().len(), 1);
}

#[test]
fn ack_of_2xx_stops_retransmission_and_goes_up_once() {
    let mut p = Pair::new(Udp);
    p.server.tu = Some(answer_with(200));
    p.inject(Side::Server, &wire(invite(), "z9hG4bKok"));
    let id = only_txn(&p);
    p.run_until(ms(600));
    p.inject(Side::Server, &ack_for_2xx("z9hG4bKack1"));
    p.inject(Side::Server, &ack_for_2xx("z9hG4bKack1"));
    assert_eq!(p.server.ep.timeout_reason(), Some((id, Timer::L)));
    p.drive();
    assert_eq!(send_times(&p, 200), [0, 500].map(ms));
    let acks = p
        .server
        .count(|e| matches!(e, EndpointEvent::IncomingAck { .. }));
    assert_eq!(acks, 1);
    assert!(
        p.server.timeouts().is_empty(),
        "Timer L ends an ACKed txn quietly"
    );
    assert!(!p.server.is_alive(id));
    // After the transaction, an ACK still reaches the TU (the dialog may want it).
    p.inject(Side::Server, &ack_for_2xx("z9hG4bKack2"));
    let acks = p
        .server
        .count(|e| matches!(e, EndpointEvent::IncomingAck { .. }));
    assert_eq!(acks, 2);
}

#[test]
fn endpoint_sends_100_after_200_ms_of_tu_silence() {
    let mut p = Pair::new(Udp);
    let bytes = wire(invite(), "z9hG4bKt");
    p.inject(Side::Server, &bytes);
    let id = only_txn(&p);
    assert_eq!(p.server.ep.timeout_reason(), Some((id, Timer::AutoTrying)));
    p.run_until(ms(199));
    assert!(p.server.sent_responses(100).is_empty());
    p.run_until(ms(200));
    assert_eq!(send_times(&p, 100), [ms(200)]);
    let trying = &p.server.sent_responses(100)[0].1;
    assert!(
        trying.to_header().unwrap().tag().is_none(),
        "a 100 needs no tag"
    );
    // A retransmitted INVITE gets the latest provisional again.
    p.run_until(ms(500));
    p.inject(Side::Server, &bytes);
    assert_eq!(send_times(&p, 100), [ms(200), ms(500)]);
    p.drive();
    assert!(p.server.is_alive(id), "Proceeding waits for the TU");
}

#[test]
fn tu_response_within_200_ms_suppresses_the_100() {
    let mut p = Pair::new(Udp);
    p.server.tu = Some(answer_with(180));
    let id = p.send(invite());
    p.drive();
    assert!(p.server.sent_responses(100).is_empty());
    assert_eq!(p.client.statuses(id), [180]);
    assert_eq!(
        p.client.sent_requests(Method::Invite).len(),
        1,
        "the 180 stopped Timer A"
    );
}

#[test]
fn a_full_table_ends_the_oldest_answered_transaction_instead_of_refusing() {
    let mut p = Pair::with_config(Udp, |c| c.max_transactions = 2);
    p.server.tu = Some(answer_with(200));
    let register = |branch| wire(request(Method::Register), branch);
    p.inject(Side::Server, &register("z9hG4bKone"));
    p.run_until(ms(100));
    p.inject(Side::Server, &register("z9hG4bKtwo"));
    p.run_until(ms(200));
    p.inject(Side::Server, &register("z9hG4bKthree"));
    assert_eq!(p.server.incoming().len(), 3, "the third request is served");
    assert!(p.server.sent_responses(503).is_empty());

    // The second is still there to absorb its retransmission; the first made room.
    p.inject(Side::Server, &register("z9hG4bKtwo"));
    assert_eq!(p.server.incoming().len(), 3);
    assert_eq!(
        p.server.sent_responses(200).len(),
        4,
        "the stored 200 resent"
    );
    p.inject(Side::Server, &register("z9hG4bKone"));
    assert_eq!(
        p.server.incoming().len(),
        4,
        "a retransmission after its transaction made room is a new request"
    );
}

#[test]
fn a_table_full_of_unanswered_transactions_refuses_with_503() {
    let mut p = Pair::with_config(Udp, |c| c.max_transactions = 1);
    p.inject(Side::Server, &wire(request(Method::Register), "z9hG4bKone"));
    p.inject(Side::Server, &wire(request(Method::Register), "z9hG4bKtwo"));
    assert_eq!(p.server.incoming().len(), 1);
    assert_eq!(p.server.sent_responses(503).len(), 1);
}
