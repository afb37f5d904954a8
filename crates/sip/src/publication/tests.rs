use std::time::{Duration, Instant};

use crate::event::test_util::{assert_send, na, on_the_wire, reply, secs, start, uri};
use crate::event::PRESENCE;
use crate::msg::{EntityTag, Method, Request, Response, SipMessage};

use super::*;

struct Pub {
    publication: Publication,
    t0: Instant,
    now: Instant,
}

impl Pub {
    fn new() -> Pub {
        Pub::asking(120)
    }

    fn asking(expires: u32) -> Pub {
        let t0 = start();
        let mut from = na("<sip:alice@example.test>");
        from.set_tag("p1");
        let mut config = PublicationConfig::new(
            uri("sip:alice@example.test"),
            from,
            PRESENCE,
            "application/pidf+xml",
        );
        config.expires = expires;
        config.route = vec![na("<sip:proxy.example.test;lr>")];
        Pub {
            publication: Publication::new(config, "pub-call".into(), t0),
            t0,
            now: t0,
        }
    }

    fn at(&mut self, after: Duration) {
        self.now = self.t0 + after;
        self.publication.handle_timeout(self.now);
    }

    fn sent(&mut self) -> Request {
        let req = self.publication.poll_request().expect("a PUBLISH was due");
        assert!(self.publication.poll_request().is_none(), "one at a time");
        on_the_wire(&req)
    }

    fn respond(&mut self, resp: &Response) {
        self.publication.handle_response(self.now, resp);
    }

    fn ok(&mut self, req: &Request, etag: &str, expires: &str) {
        let ok = reply(req, 200, None, &[("SIP-ETag", etag), ("Expires", expires)]);
        self.respond(&ok);
    }

    fn events(&mut self) -> Vec<PubEvent> {
        std::iter::from_fn(|| self.publication.poll_event()).collect()
    }
}

#[test]
fn initial_refresh_modify_remove_carry_the_right_headers() {
    let mut p = Pub::new();
    p.publication.publish(p.now, b"<open/>".to_vec());
    let initial = p.sent();
    assert_eq!(initial.method, Method::Publish);
    assert_eq!(initial.uri, uri("sip:alice@example.test"));
    assert_eq!(initial.sip_if_match(), None);
    assert_eq!(initial.header("Event"), Some("presence"));
    assert_eq!(initial.header("Expires"), Some("120"));
    assert_eq!(initial.header("Content-Type"), Some("application/pidf+xml"));
    assert_eq!(initial.header("Route"), Some("<sip:proxy.example.test;lr>"));
    assert_eq!(initial.body, b"<open/>");
    p.ok(&initial, "e1", "120");
    assert_eq!(
        p.events(),
        [PubEvent::Published {
            etag: EntityTag::parse("e1").unwrap(),
            expires_at: p.t0 + secs(120)
        }]
    );
    // 120 s: refresh at 120 − max(5, 12) = 108 s.
    assert_eq!(p.publication.poll_timeout(), Some(p.t0 + secs(108)));
    p.at(secs(107));
    assert!(p.publication.poll_request().is_none());
    p.at(secs(108));
    let refresh = p.sent();
    assert_eq!(
        refresh.sip_if_match().as_ref().map(EntityTag::as_str),
        Some("e1")
    );
    assert!(refresh.body.is_empty());
    assert_eq!(refresh.header("Content-Type"), None);
    assert_eq!(refresh.header("Expires"), Some("120"));
    assert_eq!(refresh.cseq().unwrap().seq, 2);
    assert_eq!(refresh.call_id().unwrap(), "pub-call");
    p.ok(&refresh, "e2", "60");
    assert_eq!(p.publication.etag().map(EntityTag::as_str), Some("e2"));
    assert_eq!(p.publication.poll_timeout(), Some(p.t0 + secs(108 + 54)));

    p.publication.publish(p.now, b"<closed/>".to_vec());
    let modify = p.sent();
    assert_eq!(
        modify.sip_if_match().as_ref().map(EntityTag::as_str),
        Some("e2")
    );
    assert_eq!(modify.body, b"<closed/>");
    p.ok(&modify, "e3", "120");

    p.publication.remove(p.now);
    let remove = p.sent();
    assert_eq!(
        remove.sip_if_match().as_ref().map(EntityTag::as_str),
        Some("e3")
    );
    assert_eq!(remove.header("Expires"), Some("0"));
    assert!(remove.body.is_empty());
    p.events();
    p.respond(&reply(&remove, 200, None, &[]));
    assert_eq!(p.events(), [PubEvent::Removed]);
    assert_eq!(p.publication.etag().map(EntityTag::as_str), None);
    assert_eq!(p.publication.poll_timeout(), None);
}

#[test]
fn conditional_request_failed_starts_afresh() {
    let mut p = Pub::new();
    p.publication.publish(p.now, b"<open/>".to_vec());
    let initial = p.sent();
    p.ok(&initial, "e1", "120");
    p.at(secs(108));
    let refresh = p.sent();
    p.respond(&reply(&refresh, 412, None, &[]));
    let fresh = p.sent();
    assert_eq!(fresh.sip_if_match(), None);
    assert_eq!(fresh.body, b"<open/>", "the current state again");
    assert_eq!(fresh.cseq().unwrap().seq, 3);
    p.ok(&fresh, "e9", "120");
    assert_eq!(p.publication.etag().map(EntityTag::as_str), Some("e9"));
}

#[test]
fn interval_too_brief_retries_with_min_expires() {
    let mut p = Pub::new();
    p.publication.publish(p.now, b"<open/>".to_vec());
    let initial = p.sent();
    p.respond(&reply(&initial, 423, None, &[("Min-Expires", "600")]));
    let retry = p.sent();
    assert_eq!(retry.header("Expires"), Some("600"));
    assert_eq!(retry.body, b"<open/>");
    p.ok(&retry, "e1", "600");
    assert_eq!(p.publication.poll_timeout(), Some(p.t0 + secs(540)));
}

#[test]
fn bad_event_fails_without_retry() {
    let mut p = Pub::new();
    p.publication.publish(p.now, b"<open/>".to_vec());
    let initial = p.sent();
    p.respond(&reply(&initial, 489, None, &[]));
    assert_eq!(
        p.events(),
        [PubEvent::Failed {
            status: 489,
            retry_in: None
        }]
    );
    assert_eq!(p.publication.poll_timeout(), None);
}

#[test]
fn transient_failures_retry_with_doubling_backoff() {
    let mut p = Pub::asking(600);
    p.publication.publish(p.now, b"<open/>".to_vec());
    let first = p.sent();
    p.publication.handle_transaction_timeout(p.now);
    assert_eq!(
        p.events(),
        [PubEvent::Failed {
            status: 408,
            retry_in: Some(secs(30))
        }]
    );
    p.at(secs(30));
    let second = p.sent();
    assert_eq!(second.sip_if_match(), None);
    assert_eq!(second.body, b"<open/>");
    assert!(second.cseq().unwrap().seq > first.cseq().unwrap().seq);
    p.respond(&reply(&second, 500, None, &[]));
    assert_eq!(p.publication.poll_timeout(), Some(p.t0 + secs(30 + 60)));
    p.at(secs(90));
    let third = p.sent();
    // Retry-After longer than the backoff wins.
    p.respond(&reply(&third, 503, None, &[("Retry-After", "600")]));
    assert_eq!(p.publication.poll_timeout(), Some(p.t0 + secs(90 + 600)));
    p.at(secs(690));
    let fourth = p.sent();
    p.ok(&fourth, "e1", "600");
    // Success resets the backoff.
    p.at(secs(690 + 540));
    let refresh = p.sent();
    p.publication.handle_transaction_timeout(p.now);
    let failed = p.events().pop();
    assert_eq!(
        failed,
        Some(PubEvent::Failed {
            status: 408,
            retry_in: Some(secs(30))
        })
    );
    // Retried before the entity lapses: a modify with the current body.
    p.at(secs(690 + 570));
    let retry = p.sent();
    assert_eq!(
        retry.sip_if_match().as_ref().map(EntityTag::as_str),
        Some("e1")
    );
    assert_eq!(retry.body, b"<open/>");
    assert!(retry.cseq().unwrap().seq > refresh.cseq().unwrap().seq);
    // Retried after it lapsed (backoff now 60 s, past 690 + 600): initial again.
    p.publication.handle_transaction_timeout(p.now);
    p.at(secs(690 + 630));
    let fresh = p.sent();
    assert_eq!(fresh.sip_if_match(), None);
    assert_eq!(fresh.body, b"<open/>");
}

#[test]
fn changes_while_a_publish_is_outstanding_wait_for_its_answer() {
    let mut p = Pub::new();
    p.publication.publish(p.now, b"<one/>".to_vec());
    let initial = p.sent();
    p.publication.publish(p.now, b"<two/>".to_vec());
    assert!(p.publication.poll_request().is_none(), "RFC 3903 §4.1");
    p.ok(&initial, "e1", "120");
    let modify = p.sent();
    assert_eq!(
        modify.sip_if_match().as_ref().map(EntityTag::as_str),
        Some("e1")
    );
    assert_eq!(modify.body, b"<two/>");
    p.publication.remove(p.now);
    p.ok(&modify, "e2", "120");
    let remove = p.sent();
    assert_eq!(remove.header("Expires"), Some("0"));
    assert_eq!(
        remove.sip_if_match().as_ref().map(EntityTag::as_str),
        Some("e2")
    );
}

#[test]
fn remove_without_state_needs_no_request() {
    let mut p = Pub::new();
    p.publication.remove(p.now);
    assert!(p.publication.poll_request().is_none());
    assert_eq!(p.events(), [PubEvent::Removed]);
}

#[test]
fn stray_and_malformed_responses_are_ignored() {
    let mut p = Pub::new();
    p.publication.publish(p.now, b"<open/>".to_vec());
    let initial = p.sent();
    let mut stray = reply(&initial, 200, None, &[("SIP-ETag", "x")]);
    stray.headers.set("CSeq", "99 PUBLISH");
    p.respond(&stray);
    p.respond(&Response {
        status: 200,
        reason: "OK".into(),
        headers: Default::default(),
        body: Vec::new(),
    });
    p.respond(&reply(&initial, 100, None, &[]));
    assert!(p.events().is_empty());
    assert_eq!(p.publication.etag().map(EntityTag::as_str), None);
    // A 2xx without SIP-ETag cannot be refreshed: no refresh timer, next publish is initial.
    p.respond(&reply(&initial, 200, None, &[]));
    assert_eq!(p.publication.poll_timeout(), None);
    p.publication.publish(p.now, b"<x/>".to_vec());
    assert_eq!(p.sent().sip_if_match(), None);
}

#[test]
fn challenge_seam_resends_with_credentials() {
    use crate::auth::{Authenticator, Challenge, Challenger, RequestParts};
    use rand::{rngs::SmallRng, SeedableRng};

    let mut p = Pub::new();
    p.publication.publish(p.now, b"<open/>".to_vec());
    let initial = p.sent();
    let challenge: Challenge = r#"Digest realm="proxy", nonce="n7""#.parse().unwrap();
    let last = p.publication.last_request().unwrap();
    let target = last.uri.to_string();
    let parts = RequestParts {
        method: "PUBLISH",
        uri: &target,
        body: &last.body,
    };
    let answers = Authenticator::new("alice", "pw")
        .respond(
            Challenger::Proxy,
            &[challenge],
            &parts,
            &mut SmallRng::seed_from_u64(3),
        )
        .unwrap();
    p.publication.authorize(p.now, &answers);
    let retry = p.sent();
    assert_eq!(retry.cseq().unwrap().seq, initial.cseq().unwrap().seq + 1);
    assert!(retry.header("Proxy-Authorization").is_some());
    assert_eq!(retry.body, b"<open/>");
}

#[test]
fn types_are_send() {
    assert_send::<Publication>();
    assert_send::<PubEvent>();
}
