use std::time::{Duration, Instant};

use rand::{rngs::SmallRng, SeedableRng};

use crate::auth::{Authenticator, Challenge, Challenger, RequestParts};
use crate::msg::{Method, Request, Response, SipMessage, SubState};

use super::test_util::{assert_send, na, on_the_wire, reply, request, secs, start, uri};
use super::*;

const T1: Duration = Duration::from_millis(500);

/// One subscriber, a virtual clock and what it emitted.
struct Sub {
    sub: Subscription,
    now: Instant,
    t0: Instant,
}

impl Sub {
    fn new() -> Sub {
        let t0 = start();
        let mut from = na("<sip:alice@example.test>");
        from.set_tag("a1");
        let mut config = SubscriptionConfig::new(
            uri("sip:bob@example.test"),
            from,
            na("<sip:alice@192.0.2.1>"),
            PRESENCE,
        );
        config.expires = 600;
        config.route = vec![na("<sip:proxy.example.test;lr>")];
        let mut sub = Subscription::new(config, "sub-call".into(), t0);
        sub.subscribe(t0);
        Sub { sub, now: t0, t0 }
    }

    fn at(&mut self, after: Duration) {
        self.now = self.t0 + after;
        self.sub.handle_timeout(self.now);
    }

    fn sent(&mut self) -> Request {
        let req = self.sub.poll_request().expect("a SUBSCRIBE was due");
        assert!(self.sub.poll_request().is_none(), "one SUBSCRIBE at a time");
        on_the_wire(&req)
    }

    fn events(&mut self) -> Vec<SubEvent> {
        std::iter::from_fn(|| self.sub.poll_event()).collect()
    }

    fn answer(&mut self) -> Response {
        self.sub.poll_response().expect("the NOTIFY was answered")
    }

    /// Accepts the last SUBSCRIBE with 200 and `expires`.
    fn accept(&mut self, req: &Request, expires: &str) {
        let ok = reply(
            req,
            200,
            Some("b1"),
            &[("Contact", "<sip:bob@192.0.2.4>"), ("Expires", expires)],
        );
        self.sub.handle_response(self.now, &ok);
    }

    fn notify(&mut self, cseq: u32, state: &str) -> Result<(), NotifyError> {
        let n = notify(cseq, state);
        self.sub.handle_notify(self.now, &n)
    }

    fn terminated(&mut self) -> (TerminationReason, Option<Duration>) {
        let found = self.events().into_iter().find_map(|e| match e {
            SubEvent::Terminated {
                reason,
                retry_after,
            } => Some((reason, retry_after)),
            _ => None,
        });
        assert_eq!(self.sub.phase(), SubPhase::Terminated);
        assert_eq!(self.sub.poll_timeout(), None, "no timers after the end");
        found.expect("a Terminated event")
    }
}

fn notify(cseq: u32, state: &str) -> Request {
    let cseq = format!("{cseq} NOTIFY");
    let mut n = request(
        Method::Notify,
        "sip:alice@192.0.2.1",
        &[
            ("From", "<sip:bob@example.test>;tag=b1"),
            ("To", "<sip:alice@example.test>;tag=a1"),
            ("Call-ID", "sub-call"),
            ("CSeq", &cseq),
            ("Contact", "<sip:bob@192.0.2.4>"),
            ("Event", "presence"),
            ("Subscription-State", state),
            ("Content-Type", "application/pidf+xml"),
        ],
    );
    n.body = b"<presence/>".to_vec();
    n
}

#[test]
fn initial_subscribe_is_out_of_dialog_with_package_headers() {
    let mut s = Sub::new();
    assert_eq!(s.sub.phase(), SubPhase::Sent);
    let req = s.sent();
    assert_eq!(req.method, Method::Subscribe);
    assert_eq!(req.uri, uri("sip:bob@example.test"));
    assert_eq!(req.to_header().unwrap().tag(), None);
    assert_eq!(req.from_header().unwrap().tag(), Some("a1"));
    assert_eq!(req.header("Route"), Some("<sip:proxy.example.test;lr>"));
    assert_eq!(req.header("Event"), Some("presence"));
    let accept = req.accept_header().unwrap().expect("an Accept");
    assert_eq!(accept.to_string(), "application/pidf+xml");
    assert!(accept.accepts("application/pidf+xml"));
    assert_eq!(req.header("Expires"), Some("600"));
    assert_eq!(req.header("Contact"), Some("<sip:alice@192.0.2.1>"));
    assert_eq!(req.cseq().unwrap().to_string(), "1 SUBSCRIBE");
}

#[test]
fn accepted_then_active_then_refreshed_in_dialog_at_the_documented_instant() {
    let mut s = Sub::new();
    let req = s.sent();
    s.accept(&req, "600");
    assert_eq!(s.sub.phase(), SubPhase::Accepted);
    s.notify(1, "active;expires=600").unwrap();
    let ok = s.answer();
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("Contact"), Some("<sip:alice@192.0.2.1>"));
    let events = s.events();
    assert!(events.contains(&SubEvent::StateChanged {
        from: SubPhase::Accepted,
        to: SubPhase::Active
    }));
    assert!(events.contains(&SubEvent::Notified {
        state: SubState::Active,
        content_type: Some("application/pidf+xml".into()),
        body: b"<presence/>".to_vec(),
    }));
    // 600 s granted: refresh at 600 − max(5, 60) = 540 s.
    assert_eq!(s.sub.poll_timeout(), Some(s.t0 + secs(540)));
    s.at(secs(539));
    assert!(
        s.sub.poll_request().is_none(),
        "an early timeout is a no-op"
    );
    s.at(secs(540));
    let refresh = s.sent();
    assert_eq!(refresh.uri, uri("sip:bob@192.0.2.4"), "the remote target");
    assert_eq!(refresh.to_header().unwrap().tag(), Some("b1"));
    assert_eq!(refresh.cseq().unwrap().seq, 2);
    assert_eq!(refresh.header("Expires"), Some("600"));
    assert_eq!(
        refresh.header("Route"),
        None,
        "no Record-Route, no route set"
    );
    // The refresh is granted less; the next refresh follows the new grant.
    s.accept(&refresh, "300");
    assert_eq!(s.sub.expires_at(), Some(s.t0 + secs(840)));
    assert_eq!(s.sub.poll_timeout(), Some(s.t0 + secs(540 + 270)));
}

#[test]
fn notify_expires_lowers_the_grant_and_moves_the_refresh() {
    let mut s = Sub::new();
    let req = s.sent();
    s.accept(&req, "600");
    s.notify(1, "active;expires=100").unwrap();
    assert_eq!(s.sub.expires_at(), Some(s.t0 + secs(100)));
    // 100 s: refresh at 100 − max(5, 10) = 90 s.
    assert_eq!(s.sub.poll_timeout(), Some(s.t0 + secs(90)));
    s.notify(2, "active;expires=3000").unwrap();
    assert_eq!(
        s.sub.expires_at(),
        Some(s.t0 + secs(100)),
        "only ever lowered"
    );
    // Short grants refresh 5 s early.
    s.notify(3, "active;expires=30").unwrap();
    assert_eq!(s.sub.poll_timeout(), Some(s.t0 + secs(25)));
}

#[test]
fn timer_n_ends_a_subscription_without_notify() {
    let mut s = Sub::new();
    let req = s.sent();
    s.at(secs(10));
    s.accept(&req, "600");
    assert_eq!(s.sub.poll_timeout(), Some(s.t0 + secs(10) + 64 * T1));
    s.at(secs(10) + 64 * T1);
    assert_eq!(s.terminated(), (TerminationReason::NoNotify, None));
}

#[test]
fn notify_before_the_2xx_creates_the_dialog() {
    let mut s = Sub::new();
    let req = s.sent();
    s.notify(1, "pending;expires=600").unwrap();
    assert_eq!(s.answer().status, 200);
    assert_eq!(s.sub.phase(), SubPhase::Pending);
    let id = s
        .sub
        .dialog_id()
        .expect("the NOTIFY made the dialog")
        .clone();
    assert_eq!(
        (id.local_tag.as_str(), id.remote_tag.as_str()),
        ("a1", "b1")
    );
    s.accept(&req, "600");
    assert_eq!(
        s.sub.phase(),
        SubPhase::Pending,
        "the 2xx does not undo PENDING"
    );
    assert_eq!(s.sub.dialog_id(), Some(&id));
    // No Timer N: a NOTIFY came. The next deadline is the refresh.
    assert_eq!(s.sub.poll_timeout(), Some(s.t0 + secs(540)));
    s.notify(2, "active").unwrap();
    assert_eq!(s.sub.phase(), SubPhase::Active);
    s.at(secs(540));
    let refresh = s.sent();
    assert_eq!(
        refresh.cseq().unwrap().seq,
        2,
        "the dialog continues our CSeq"
    );
    assert_eq!(refresh.uri, uri("sip:bob@192.0.2.4"));
}

#[test]
fn terminated_reasons_give_rfc_6665_retry_advice() {
    let zero = Some(Duration::ZERO);
    let cases: &[(&str, NotifyReason, Option<Duration>)] = &[
        (
            "deactivated;retry-after=30",
            NotifyReason::Deactivated,
            zero,
        ),
        ("timeout", NotifyReason::Timeout, zero),
        (
            "probation;retry-after=30",
            NotifyReason::Probation,
            Some(secs(30)),
        ),
        (
            "giveup;retry-after=60",
            NotifyReason::Giveup,
            Some(secs(60)),
        ),
        ("rejected;retry-after=30", NotifyReason::Rejected, None),
        ("noresource", NotifyReason::NoResource, None),
        ("invariant", NotifyReason::Invariant, None),
        (
            "whatever;retry-after=5",
            NotifyReason::Unspecified,
            Some(secs(5)),
        ),
    ];
    for (params, reason, retry) in cases {
        let mut s = Sub::new();
        let req = s.sent();
        s.accept(&req, "600");
        s.notify(1, &format!("terminated;reason={params}")).unwrap();
        assert_eq!(s.answer().status, 200);
        assert_eq!(
            s.terminated(),
            (TerminationReason::Notified(*reason), *retry),
            "{params}"
        );
        assert!(s.sub.poll_request().is_none());
    }
    let mut s = Sub::new();
    s.sent();
    s.notify(1, "terminated").unwrap();
    assert_eq!(
        s.terminated(),
        (TerminationReason::Notified(NotifyReason::Unspecified), zero)
    );
}

#[test]
fn interval_too_brief_retries_with_min_expires() {
    let mut s = Sub::new();
    let req = s.sent();
    let too_brief = reply(&req, 423, None, &[("Min-Expires", "1800")]);
    s.sub.handle_response(s.now, &too_brief);
    let retry = s.sent();
    assert_eq!(retry.header("Expires"), Some("1800"));
    assert_eq!(retry.cseq().unwrap().seq, 2);
    assert_eq!(retry.call_id().unwrap(), "sub-call");
    // A 423 that does not raise the interval fails instead of looping.
    let again = reply(&retry, 423, None, &[("Min-Expires", "1800")]);
    s.sub.handle_response(s.now, &again);
    assert_eq!(s.terminated().0, TerminationReason::Refused { status: 423 });
}

#[test]
fn refused_initial_subscribe_reports_retry_after() {
    let mut s = Sub::new();
    let req = s.sent();
    s.sub.handle_response(s.now, &reply(&req, 180, None, &[]));
    assert_eq!(
        s.sub.phase(),
        SubPhase::Sent,
        "provisional responses are ignored"
    );
    let busy = reply(&req, 503, None, &[("Retry-After", "120")]);
    s.sub.handle_response(s.now, &busy);
    assert_eq!(
        s.terminated(),
        (TerminationReason::Refused { status: 503 }, Some(secs(120)))
    );
}

fn active() -> (Sub, Request) {
    let mut s = Sub::new();
    let req = s.sent();
    s.accept(&req, "600");
    s.notify(1, "active").unwrap();
    s.at(secs(540));
    let refresh = s.sent();
    (s, refresh)
}

#[test]
fn refresh_answered_481_or_timed_out_ends_the_subscription() {
    let (mut s, refresh) = active();
    s.sub
        .handle_response(s.now, &reply(&refresh, 481, None, &[]));
    assert_eq!(
        s.terminated(),
        (
            TerminationReason::Lost { status: 481 },
            Some(Duration::ZERO)
        )
    );
    let (mut s, _) = active();
    s.sub.handle_transaction_timeout(s.now);
    assert_eq!(s.terminated().0, TerminationReason::Lost { status: 408 });
}

#[test]
fn other_refresh_failures_keep_the_subscription_until_expiry() {
    let (mut s, refresh) = active();
    s.sub
        .handle_response(s.now, &reply(&refresh, 500, None, &[]));
    assert_eq!(s.sub.phase(), SubPhase::Active);
    assert_eq!(s.sub.poll_timeout(), Some(s.t0 + secs(600)));
    s.at(secs(600));
    assert_eq!(
        s.terminated(),
        (TerminationReason::Expired, Some(Duration::ZERO))
    );
}

#[test]
fn mismatched_notifies_are_refused() {
    let mut s = Sub::new();
    let req = s.sent();
    s.accept(&req, "600");
    let mut wrong_call = notify(1, "active");
    wrong_call.headers.set("Call-ID", "other");
    let err = s.sub.handle_notify(s.now, &wrong_call).unwrap_err();
    assert_eq!((err.status(), s.answer().status), (481, 481));
    let mut wrong_event = notify(1, "active");
    wrong_event.headers.set("Event", "dialog");
    let err = s.sub.handle_notify(s.now, &wrong_event).unwrap_err();
    assert_eq!((err.status(), s.answer().status), (489, 489));
    let mut no_state = notify(1, "active");
    no_state.headers.remove("Subscription-State");
    assert_eq!(
        s.sub.handle_notify(s.now, &no_state).unwrap_err().status(),
        400
    );
    assert_eq!(s.answer().status, 400);
    s.notify(5, "active").unwrap();
    s.answer();
    assert_eq!(s.notify(4, "active").unwrap_err().status(), 500);
    let mut other_fork = notify(6, "active");
    other_fork
        .headers
        .set("From", "<sip:bob@example.test>;tag=b2");
    assert_eq!(
        s.sub
            .handle_notify(s.now, &other_fork)
            .unwrap_err()
            .status(),
        481
    );
    assert_eq!(s.sub.phase(), SubPhase::Active, "refusals change nothing");
}

#[test]
fn malformed_input_never_panics() {
    let mut s = Sub::new();
    let req = s.sent();
    let bare = request(Method::Notify, "sip:alice@192.0.2.1", &[]);
    assert_eq!(s.sub.handle_notify(s.now, &bare).unwrap_err().status(), 400);
    let answer = s.answer();
    assert_eq!(answer.status, 400);
    s.sub.handle_response(
        s.now,
        &Response {
            status: 200,
            reason: "OK".into(),
            headers: Default::default(),
            body: Vec::new(),
        },
    );
    assert_eq!(
        s.sub.phase(),
        SubPhase::Sent,
        "a response without headers is no answer"
    );
    // A 2xx without To tag or Contact makes no dialog, but the NOTIFY still can.
    let bare_ok = reply(&req, 200, None, &[("Expires", "bogus")]);
    s.sub.handle_response(s.now, &bare_ok);
    assert_eq!(s.sub.phase(), SubPhase::Accepted);
    assert!(s.sub.dialog_id().is_none());
    assert_eq!(
        s.sub.expires_at(),
        Some(s.t0 + secs(600)),
        "asked-for expiry"
    );
    let mut no_contact = notify(1, "active");
    no_contact.headers.remove("Contact");
    assert_eq!(
        s.sub
            .handle_notify(s.now, &no_contact)
            .unwrap_err()
            .status(),
        400
    );
    s.notify(1, "active").unwrap();
    assert!(s.sub.dialog_id().is_some());
}

#[test]
fn unsubscribe_waits_for_the_final_notify() {
    let (mut s, refresh) = active();
    s.accept(&refresh, "600");
    s.events();
    s.sub.unsubscribe(s.now);
    let unsub = s.sent();
    assert_eq!(unsub.header("Expires"), Some("0"));
    assert_eq!(unsub.to_header().unwrap().tag(), Some("b1"));
    s.sub.handle_response(s.now, &reply(&unsub, 200, None, &[]));
    assert_eq!(s.sub.phase(), SubPhase::Active);
    // The notifier's reason (timeout) must not make us subscribe again.
    s.notify(2, "terminated;reason=timeout").unwrap();
    assert_eq!(s.terminated(), (TerminationReason::Unsubscribed, None));

    let (mut s, refresh) = active();
    s.sub.unsubscribe(s.now);
    assert!(
        s.sub.poll_request().is_none(),
        "waits for the refresh's answer"
    );
    s.accept(&refresh, "600");
    let unsub = s.sent();
    assert_eq!(unsub.header("Expires"), Some("0"));
    s.sub.handle_response(s.now, &reply(&unsub, 200, None, &[]));
    let deadline = s.now + 64 * T1;
    assert_eq!(s.sub.poll_timeout(), Some(deadline));
    s.now = deadline;
    s.sub.handle_timeout(deadline);
    assert_eq!(s.terminated(), (TerminationReason::Unsubscribed, None));
}

#[test]
fn challenge_is_answered_through_the_auth_module() {
    let mut s = Sub::new();
    let req = s.sent();
    let challenge = r#"Digest realm="example.test", nonce="n1", qop="auth", algorithm=SHA-256"#;
    let unauthorized = reply(&req, 401, None, &[("WWW-Authenticate", challenge)]);
    // The owner's side of the seam.
    let mut auth = Authenticator::new("alice", "secret");
    let mut rng = SmallRng::seed_from_u64(1);
    let challenger = Challenger::from_status(unauthorized.status).unwrap();
    let offered: Vec<Challenge> = unauthorized
        .headers
        .get_all(challenger.challenge_header())
        .filter_map(|v| v.parse().ok())
        .collect();
    let last = s.sub.last_request().unwrap();
    let uri = last.uri.to_string();
    let parts = RequestParts {
        method: "SUBSCRIBE",
        uri: &uri,
        body: &last.body,
    };
    let answers = auth
        .respond(challenger, &offered, &parts, &mut rng)
        .unwrap();
    s.sub.authorize(s.now, &answers);
    let retry = s.sent();
    assert_eq!(retry.cseq().unwrap().seq, 2);
    let credentials = retry.header("Authorization").expect("credentials added");
    assert!(credentials.starts_with("Digest "));
    // Kept for the refresh.
    s.accept(&retry, "600");
    s.notify(1, "active").unwrap();
    s.at(secs(540));
    let refresh = s.sent();
    assert_eq!(refresh.header("Authorization"), Some(credentials));
    // A challenge the owner could not answer is a final failure.
    let mut s = Sub::new();
    let req = s.sent();
    s.sub.handle_response(s.now, &reply(&req, 407, None, &[]));
    assert_eq!(s.terminated().0, TerminationReason::Refused { status: 407 });
}

/// Subscriber and notifier talking through a lossless, instant network.
struct Pair {
    sub: Subscription,
    notifier: Option<Notifier>,
    config: NotifierConfig,
    now: Instant,
    log: Vec<(Instant, SubEvent)>,
}

impl Pair {
    fn new(t0: Instant) -> Pair {
        let mut from = na("<sip:alice@example.test>");
        from.set_tag("a1");
        let mut config = SubscriptionConfig::new(
            uri("sip:bob@example.test"),
            from,
            na("<sip:alice@192.0.2.1>"),
            PRESENCE,
        );
        config.expires = 120;
        let mut sub = Subscription::new(config, "pair-call".into(), t0);
        sub.subscribe(t0);
        Pair {
            sub,
            notifier: None,
            config: NotifierConfig::new(PRESENCE, na("<sip:bob@192.0.2.4>")),
            now: t0,
            log: Vec::new(),
        }
    }

    /// Delivers everything in flight until both sides are quiet.
    fn drive(&mut self) {
        for _ in 0..100 {
            let mut progress = false;
            while let Some(req) = self.sub.poll_request() {
                progress = true;
                let req = on_the_wire(&req);
                match &mut self.notifier {
                    Some(n) => {
                        let _ = n.handle_subscribe(self.now, &req);
                    }
                    None => {
                        let incoming = IncomingSubscribe::new(self.config.clone(), req, "b1")
                            .expect("a valid SUBSCRIBE");
                        let body = NotifyBody {
                            content_type: "application/pidf+xml".into(),
                            bytes: b"<open/>".to_vec(),
                        };
                        self.notifier =
                            Some(incoming.accept(self.now, SubState::Active, Some(body)));
                    }
                }
            }
            if let Some(n) = &mut self.notifier {
                while let Some(resp) = n.poll_response() {
                    progress = true;
                    self.sub.handle_response(self.now, &resp);
                }
                while let Some(req) = n.poll_request() {
                    progress = true;
                    let _ = self.sub.handle_notify(self.now, &on_the_wire(&req));
                }
                while let Some(resp) = self.sub.poll_response() {
                    progress = true;
                    n.handle_response(self.now, &resp);
                }
            }
            while let Some(e) = self.sub.poll_event() {
                self.log.push((self.now, e));
            }
            if !progress {
                return;
            }
        }
        panic!("the pair did not settle");
    }

    /// Advances virtual time to the earliest deadline on either side.
    fn step(&mut self) -> bool {
        let next = [
            self.sub.poll_timeout(),
            self.notifier.as_ref().and_then(Notifier::poll_timeout),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(at) = next else { return false };
        self.now = at;
        self.sub.handle_timeout(at);
        if let Some(n) = &mut self.notifier {
            n.handle_timeout(at);
        }
        self.drive();
        true
    }
}

#[test]
fn subscriber_and_notifier_keep_a_subscription_alive_for_an_hour() {
    let t0 = start();
    let mut p = Pair::new(t0);
    p.drive();
    assert_eq!(p.sub.phase(), SubPhase::Active);
    assert!(p.log.iter().any(|(_, e)| matches!(
        e,
        SubEvent::Notified { body, .. } if body == b"<open/>"
    )));
    while p.now < t0 + secs(3600) {
        assert!(p.step());
    }
    assert_eq!(p.sub.phase(), SubPhase::Active);
    let n = p.notifier.as_ref().unwrap();
    assert!(!n.is_terminated());
    // 120 s grants refreshed at 108 s each time (120 − 12).
    assert!(n.expires_at() > p.now);
    p.sub.unsubscribe(p.now);
    p.drive();
    assert_eq!(p.sub.phase(), SubPhase::Terminated);
    assert!(p.notifier.as_ref().unwrap().is_terminated());
    assert!(matches!(
        p.log.last(),
        Some((
            _,
            SubEvent::Terminated {
                reason: TerminationReason::Unsubscribed,
                retry_after: None
            }
        ))
    ));
}

fn incoming(expires: &str, event: &str) -> Request {
    request(
        Method::Subscribe,
        "sip:bob@example.test",
        &[
            ("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKs1"),
            ("From", "<sip:alice@example.test>;tag=a1"),
            ("To", "<sip:bob@example.test>"),
            ("Call-ID", "n-call"),
            ("CSeq", "1 SUBSCRIBE"),
            ("Contact", "<sip:alice@192.0.2.1>"),
            ("Event", event),
            ("Expires", expires),
        ],
    )
}

fn config() -> NotifierConfig {
    NotifierConfig::new(PRESENCE, na("<sip:bob@192.0.2.4>"))
}

#[test]
fn notifier_accepts_and_notifies_at_once() {
    let t0 = start();
    let req = incoming("7200", "presence");
    let mut n =
        IncomingSubscribe::new(config(), req, "b1")
            .unwrap()
            .accept(t0, SubState::Pending, None);
    let ok = n.poll_response().unwrap();
    assert_eq!(ok.status, 200);
    assert_eq!(ok.to_header().unwrap().tag(), Some("b1"));
    assert_eq!(ok.header("Expires"), Some("3600"), "cut to max_expires");
    let first = on_the_wire(&n.poll_request().unwrap());
    assert_eq!(first.uri, uri("sip:alice@192.0.2.1"));
    assert_eq!(
        first.header("Subscription-State"),
        Some("pending;expires=3600")
    );
    assert_eq!(first.header("Event"), Some("presence"));
    // One NOTIFY outstanding: newer states coalesce.
    n.notify(t0 + secs(1), SubState::Active, None);
    n.notify(
        t0 + secs(2),
        SubState::Active,
        Some(NotifyBody {
            content_type: "application/pidf+xml".into(),
            bytes: b"<latest/>".to_vec(),
        }),
    );
    assert!(n.poll_request().is_none());
    n.handle_response(t0 + secs(3), &reply(&first, 200, None, &[]));
    let second = n.poll_request().unwrap();
    assert_eq!(second.body, b"<latest/>");
    assert_eq!(
        second.header("Subscription-State"),
        Some("active;expires=3597")
    );
    assert!(n.poll_request().is_none());
    // Expiry → NOTIFY terminated;reason=timeout at exactly the granted instant.
    n.handle_response(t0 + secs(3), &reply(&second, 200, None, &[]));
    assert_eq!(n.poll_timeout(), Some(t0 + secs(3600)));
    n.handle_timeout(t0 + secs(3600));
    let last = n.poll_request().unwrap();
    assert_eq!(
        last.header("Subscription-State"),
        Some("terminated;reason=timeout")
    );
    assert!(n.is_terminated());
    assert!(matches!(
        n.poll_event(),
        Some(NotifierEvent::Terminated {
            reason: Some(NotifyReason::Timeout)
        })
    ));
}

#[test]
fn notifier_refuses_what_it_cannot_serve() {
    let req = incoming("10", "presence");
    let err = IncomingSubscribe::new(config(), req.clone(), "b1").unwrap_err();
    let resp = err.response(&req);
    assert_eq!((resp.status, resp.header("Min-Expires")), (423, Some("60")));
    let req = incoming("600", "dialog");
    let err = IncomingSubscribe::new(config(), req.clone(), "b1").unwrap_err();
    let resp = err.response(&req);
    assert_eq!(resp.status, 489);
    let allowed = resp.allow_events().unwrap().expect("an Allow-Events");
    assert!(allowed.contains("presence") && !allowed.contains("dialog"));
    let mut req = incoming("600", "presence");
    req.headers.remove("Contact");
    assert_eq!(
        IncomingSubscribe::new(config(), req, "b1")
            .unwrap_err()
            .status(),
        400
    );
    let denied = IncomingSubscribe::new(config(), incoming("600", "presence"), "b1")
        .unwrap()
        .reject(403);
    assert_eq!(denied.status, 403);
}

#[test]
fn notifier_ends_when_the_subscriber_is_gone_or_fetches() {
    let t0 = start();
    let mut n = IncomingSubscribe::new(config(), incoming("600", "presence"), "b1")
        .unwrap()
        .accept(t0, SubState::Active, None);
    let first = n.poll_request().unwrap();
    n.handle_response(t0, &reply(&first, 481, None, &[]));
    assert!(n.is_terminated());
    assert_eq!(n.poll_timeout(), None);
    assert!(matches!(
        n.poll_event(),
        Some(NotifierEvent::Terminated { reason: None })
    ));
    // Expires: 0 is a fetch: one NOTIFY, terminated.
    let mut n = IncomingSubscribe::new(config(), incoming("0", "presence"), "b1")
        .unwrap()
        .accept(t0, SubState::Active, None);
    assert_eq!(n.poll_response().unwrap().header("Expires"), Some("0"));
    let only = n.poll_request().unwrap();
    assert_eq!(
        only.header("Subscription-State"),
        Some("terminated;reason=timeout")
    );
    assert!(n.is_terminated());
}

#[test]
fn notifier_final_notify_waits_for_the_outstanding_one() {
    let t0 = start();
    let mut n = IncomingSubscribe::new(config(), incoming("600", "presence"), "b1")
        .unwrap()
        .accept(t0, SubState::Pending, None);
    let first = n.poll_request().unwrap();
    n.terminate(t0, NotifyReason::Rejected, None);
    assert!(n.is_terminated());
    assert!(n.poll_request().is_none(), "the first NOTIFY is unanswered");
    n.handle_response(t0, &reply(&first, 200, None, &[]));
    let last = on_the_wire(&n.poll_request().unwrap());
    assert_eq!(
        last.header("Subscription-State"),
        Some("terminated;reason=rejected")
    );
    assert_eq!(last.cseq().unwrap().seq, first.cseq().unwrap().seq + 1);
}

#[test]
fn types_are_send() {
    assert_send::<Subscription>();
    assert_send::<Notifier>();
    assert_send::<IncomingSubscribe>();
    assert_send::<SubEvent>();
    assert_send::<NotifyError>();
}
