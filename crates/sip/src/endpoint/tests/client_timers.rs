//! Client transaction timers: A, B, D, E, F, K, M, and T1/T2/T4 configuration.

use std::time::Duration;

use super::harness::{answer_with, invite, ms, request, Pair, Side};
use crate::endpoint::EndpointEvent;
use crate::msg::{Method, SipMessage};
use crate::transport::TransportKind::{Tcp, Udp};
use crate::txn::{Timer, TimerConfig};

fn offsets(p: &Pair, times: impl IntoIterator<Item = std::time::Instant>) -> Vec<Duration> {
    times.into_iter().map(|t| t - p.start).collect()
}

#[test]
fn timer_a_doubles_until_timer_b_at_64_t1() {
    let mut p = Pair::new(Udp);
    p.net.block(Side::Server);
    let id = p.send(invite());
    assert_eq!(p.client.ep.timeout_reason(), Some((id, Timer::A)));
    p.drive();
    let sent = p.client.sent_requests(Method::Invite);
    let expected = [0, 500, 1500, 3500, 7500, 15500, 31500].map(ms);
    assert_eq!(offsets(&p, sent.iter().map(|(at, _)| *at)), expected);
    assert_eq!(p.client.timeouts(), [(p.at(ms(32_000)), id)]);
    assert!(!p.client.is_alive(id));
    assert_eq!(p.client.ep.poll_timeout(), None);
}

#[test]
fn t1_configures_every_derived_timer() {
    let mut p = Pair::with_config(Udp, |c| {
        c.timers = TimerConfig {
            t1: ms(100),
            t2: ms(400),
            t4: ms(1000),
        }
    });
    p.net.block(Side::Server);
    let invite_id = p.send(invite());
    let options_id = p.send(request(Method::Options));
    p.drive();
    // Timer B = 64·T1 = 6.4 s, Timer F too.
    let timeouts = p.client.timeouts();
    assert_eq!(
        timeouts,
        [(p.at(ms(6400)), invite_id), (p.at(ms(6400)), options_id)]
    );
    let a: Vec<_> = p.client.sent_requests(Method::Invite);
    let expected = [0, 100, 300, 700, 1500, 3100, 6300].map(ms);
    assert_eq!(offsets(&p, a.iter().map(|(at, _)| *at)), expected);
    // Timer E is capped at the configured T2 = 400 ms.
    let e = p.client.sent_requests(Method::Options);
    let gaps: Vec<_> = e.windows(2).map(|w| w[1].0 - w[0].0).collect();
    assert_eq!(&gaps[..4], [100, 200, 400, 400].map(ms));

    // And Timer K is the configured T4.
    let mut p = Pair::with_config(Udp, |c| c.timers.t4 = ms(1000));
    p.server.tu = Some(answer_with(200));
    let id = p.send(request(Method::Options));
    p.run_until(ms(10 + 999));
    assert!(p.client.is_alive(id));
    p.run_until(ms(10 + 1000));
    assert!(!p.client.is_alive(id));
}

#[test]
fn timer_e_caps_at_t2_and_timer_f_times_out() {
    let mut p = Pair::new(Udp);
    p.net.block(Side::Server);
    let id = p.send(request(Method::Options));
    p.drive();
    let sent = p.client.sent_requests(Method::Options);
    let expected = [
        0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
    ]
    .map(ms);
    assert_eq!(offsets(&p, sent.iter().map(|(at, _)| *at)), expected);
    assert_eq!(p.client.timeouts(), [(p.at(ms(32_000)), id)]);
}

#[test]
fn timer_e_runs_at_t2_once_proceeding() {
    let mut p = Pair::new(Udp);
    p.server.tu = Some(answer_with(100));
    let id = p.send(request(Method::Options));
    p.drive();
    // The 100 arrives at 10 ms; the E already armed fires at 500 ms, then every T2.
    let sent = p.client.sent_requests(Method::Options);
    let expected = [0, 500, 4500, 8500, 12500, 16500, 20500, 24500, 28500].map(ms);
    assert_eq!(offsets(&p, sent.iter().map(|(at, _)| *at)), expected);
    assert_eq!(p.client.timeouts(), [(p.at(ms(32_000)), id)]);
    assert_eq!(
        p.client.statuses(id),
        vec![100; 9],
        "each 100, one per retransmission"
    );
    assert_eq!(p.server.incoming().len(), 1);
}

#[test]
fn timer_d_absorbs_retransmitted_finals_for_32_s() {
    let mut p = Pair::new(Udp);
    p.server.tu = Some(answer_with(486));
    // Every ACK is lost, so the server keeps retransmitting its 486 (Timer G).
    p.net
        .filter(|to, bytes| !(to == Side::Server && bytes.starts_with(b"ACK")));
    let id = p.send(invite());
    p.run_until(ms(32_009));
    assert!(
        p.client.is_alive(id),
        "Timer D runs 32 s from the 486 at 10 ms"
    );
    assert_eq!(p.client.ep.timeout_reason(), Some((id, Timer::D)));
    p.run_until(ms(32_010));
    assert!(!p.client.is_alive(id));
    assert_eq!(p.client.statuses(id), [486], "retransmissions are absorbed");
    let finals = p.server.sent_responses(486).len();
    assert_eq!(finals, 11);
    assert_eq!(
        p.client.sent_requests(Method::Ack).len(),
        finals,
        "every 486 is ACKed again"
    );
}

#[test]
fn timer_d_is_zero_on_reliable_transports() {
    let mut p = Pair::new(Tcp);
    p.server.tu = Some(answer_with(486));
    let id = p.send(invite());
    p.run_until(ms(10));
    assert_eq!(p.client.statuses(id), [486]);
    assert!(!p.client.is_alive(id));
    assert_eq!(p.client.sent_requests(Method::Ack).len(), 1);
    assert_eq!(p.client.ep.poll_timeout(), None);
}

#[test]
fn timer_k_waits_t4_and_absorbs_duplicate_finals() {
    let mut p = Pair::new(Udp);
    p.server.tu = Some(answer_with(200));
    p.net.duplicate = 1.0;
    let id = p.send(request(Method::Register));
    p.run_until(ms(5_009));
    assert!(p.client.is_alive(id), "Timer K = T4 from the 200 at 10 ms");
    p.run_until(ms(5_010));
    assert!(!p.client.is_alive(id));
    assert!(
        p.server.sent_responses(200).len() >= 2,
        "the duplicate got 200 again"
    );
    assert_eq!(p.client.statuses(id), [200], "delivered once");
    assert_eq!(p.server.incoming().len(), 1, "no second IncomingRequest");

    let mut p = Pair::new(Tcp);
    p.server.tu = Some(answer_with(200));
    let id = p.send(request(Method::Register));
    p.run_until(ms(10));
    assert!(!p.client.is_alive(id), "Timer K is zero on TCP");
}

#[test]
fn timer_m_passes_every_2xx_up_then_strays() {
    let mut p = Pair::new(Udp);
    p.server.tu = Some(answer_with(200));
    // No ACK reaches the server, so it retransmits the 2xx until Timer L.
    p.net
        .filter(|to, bytes| !(to == Side::Server && bytes.starts_with(b"ACK")));
    let server_remote = p.server.remote;
    p.client.tu = Some(Box::new(move |_, ep, e| {
        // The UAC core ACKs every 2xx it is given.
        if let EndpointEvent::Response { response, .. }
        | EndpointEvent::StrayResponse { response, .. } = e
        {
            let mut ack = invite();
            ack.method = Method::Ack;
            ack.headers
                .set("To", response.header("To").unwrap_or_default());
            ack.headers.set("CSeq", "7 ACK");
            ep.send_stateless(crate::msg::Message::Request(ack), server_remote);
        }
    }));
    let id = p.send(invite());
    p.run_until(ms(32_009));
    assert!(
        p.client.is_alive(id),
        "Timer M = 64·T1 from the 200 at 10 ms"
    );
    p.run_until(ms(32_010));
    assert!(!p.client.is_alive(id));
    let retransmitted = p.server.sent_responses(200).len();
    assert_eq!(p.client.statuses(id), vec![200; retransmitted]);
    assert_eq!(p.client.sent_requests(Method::Ack).len(), retransmitted);

    // A 2xx after Timer M matches nothing: the UAC core sees it as stray.
    let late = p.server.sent_responses(200)[0].1.to_bytes();
    p.inject(Side::Client, &late);
    let strays = p
        .client
        .count(|e| matches!(e, EndpointEvent::StrayResponse { .. }));
    assert_eq!(strays, 1);
}
