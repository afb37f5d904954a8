//! The sans-IO registrar driven through a real (sans-IO) endpoint, with virtual time: every
//! rejection, the location service, offline messages and a restart.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use registrar::{Accounts, Config, OutId, Outcome, Output, Registrar, Store, TokenRejection};
use sip::endpoint::{Endpoint, EndpointEvent};
use sip::msg::{Method, Request, Response, SipMessage, Uri};
use sip::transport::{Remote, TransportKind};

const UNIX: u64 = 1_700_000_000;

/// alice and bob exist; `Bearer valid-<user>` is a valid token.
struct Fake;

impl Accounts for Fake {
    fn ha1(&self, username: &str, algorithm: sip::auth::Algorithm) -> Option<String> {
        self.exists(username).then(|| {
            sip::auth::ha1(
                algorithm,
                username,
                "example.test",
                &format!("{username}-secret"),
            )
        })
    }

    fn validate_token(&self, token: &str) -> Result<String, TokenRejection> {
        token
            .strip_prefix("valid-")
            .map(str::to_owned)
            .ok_or(TokenRejection {
                code: "invalid_token",
                description: "signature is invalid".to_owned(),
            })
    }

    fn exists(&self, username: &str) -> bool {
        matches!(username, "alice" | "bob")
    }
}

struct Harness {
    ep: Endpoint,
    reg: Registrar,
    now: Instant,
    sent: Vec<Request>,
    /// The ids of `sent`, index for index, to report outcomes with.
    sent_ids: Vec<OutId>,
    seq: u32,
}

fn remote(port: u16) -> Remote {
    Remote {
        transport: TransportKind::Udp,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
    }
}

impl Harness {
    fn open(dir: &Path, now: Instant) -> Harness {
        Harness::open_with(dir, now, |_| {})
    }

    /// Like [`Harness::open`], with `adjust` applied to the configuration.
    fn open_with(dir: &Path, now: Instant, adjust: impl FnOnce(&mut Config)) -> Harness {
        let mut config = Config::new("example.test");
        config.udp = Some(SocketAddr::from(([127, 0, 0, 1], 5060)));
        adjust(&mut config);
        let store = Store::open(&dir.join("registrar.db")).expect("store opens");
        let reg = Registrar::new(config, Box::new(Fake), store, now, UNIX).expect("restores");
        Harness {
            ep: Endpoint::new(sip::endpoint::Config::default(), now),
            reg,
            now,
            sent: Vec::new(),
            sent_ids: Vec::new(),
            seq: 0,
        }
    }

    fn request(&mut self, method: Method, uri: &str, from: &str, to: &str) -> Request {
        self.seq += 1;
        let mut r = Request::new(method.clone(), Uri::parse(uri).expect("valid"));
        let h = &mut r.headers;
        h.push(
            "Via",
            format!(
                "SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKtest{};rport",
                self.seq
            ),
        );
        h.push(
            "From",
            format!("<sip:{from}@example.test>;tag=f{}", self.seq),
        );
        h.push("To", format!("<sip:{to}@example.test>"));
        h.push("Call-ID", format!("call-{}", self.seq));
        h.push("CSeq", format!("{} {method}", self.seq));
        h.push("Max-Forwards", "70");
        r
    }

    /// alice's SUBSCRIBE to her own presence (watching oneself needs no authorization).
    fn self_subscription(&mut self) -> Request {
        let mut s = self.request(
            Method::Subscribe,
            "sip:alice@example.test",
            "alice",
            "alice",
        );
        s.headers.push("Proxy-Authorization", "Bearer valid-alice");
        s.headers.push("Event", "presence");
        s.headers.push("Contact", "<sip:alice@127.0.0.1:5080>");
        s
    }

    /// Delivers `req` and returns the registrar's answer to it.
    fn send(&mut self, req: Request, from: Remote) -> Response {
        self.ep.handle_input(self.now, from, &req.to_bytes());
        let mut txn = None;
        while let Some(e) = self.ep.poll_event() {
            if let EndpointEvent::IncomingRequest {
                txn: t,
                request,
                from,
            } = e
            {
                self.reg.handle_request(self.now, t, request, from);
                txn = Some(t);
            }
        }
        let txn = txn.expect("the endpoint accepted the request");
        let mut answer = None;
        while let Some(out) = self.reg.poll_output() {
            match out {
                Output::Respond { txn: t, response } if t == txn => answer = Some(response),
                Output::Send { id, request, .. } => {
                    self.sent.push(request);
                    self.sent_ids.push(id);
                }
                _ => {}
            }
        }
        answer.expect("the request was answered")
    }

    fn register(&mut self, user: &str, contact: &str, expires: u32) -> Response {
        let mut r = self.request(Method::Register, "sip:example.test", user, user);
        r.headers.push("Contact", contact);
        r.headers.push("Expires", expires.to_string());
        r.headers
            .push("Authorization", format!("Bearer valid-{user}"));
        self.send(r, remote(5080))
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.reg.handle_timeout(self.now);
        while let Some(out) = self.reg.poll_output() {
            if let Output::Send { id, request, .. } = out {
                self.sent.push(request);
                self.sent_ids.push(id);
            }
        }
    }

    /// Answers the `n`th request the registrar sent with 200, as a phone would.
    fn answer_ok(&mut self, n: usize) {
        let ok = Response::to_request(&self.sent[n], 200, "OK");
        self.reg
            .handle_outcome(self.now, self.sent_ids[n], Outcome::Response(ok));
    }

    /// The `<basic>` of each NOTIFY sent so far, in order.
    fn notified_basics(&self) -> Vec<String> {
        self.sent
            .iter()
            .filter(|r| r.method == Method::Notify)
            .map(|r| {
                let body = String::from_utf8_lossy(&r.body);
                let basic = body
                    .split("<basic>")
                    .nth(1)
                    .and_then(|rest| rest.split("</basic>").next());
                basic.unwrap_or("(none)").to_owned()
            })
            .collect()
    }
}

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn unauthenticated_register_gets_digest_and_bearer_challenges() {
    let d = dir();
    let mut h = Harness::open(d.path(), Instant::now());
    let mut r = h.request(Method::Register, "sip:example.test", "alice", "alice");
    r.headers.push("Contact", "<sip:alice@127.0.0.1:5080>");
    let resp = h.send(r, remote(5080));
    assert_eq!(resp.status, 401);
    let challenges: Vec<&str> = resp.headers.get_all("WWW-Authenticate").collect();
    assert!(challenges
        .iter()
        .any(|c| c.starts_with("Digest") && c.contains("MD5")));
    assert!(challenges.iter().any(|c| c.contains("SHA-256")));
    assert!(challenges
        .iter()
        .any(|c| c.starts_with("Bearer") && c.contains("realm")));
}

#[test]
fn digest_register_succeeds_with_the_right_password() {
    use rand::SeedableRng;
    let d = dir();
    let mut h = Harness::open(d.path(), Instant::now());
    let mut first = h.request(Method::Register, "sip:example.test", "bob", "bob");
    first.headers.push("Contact", "<sip:bob@127.0.0.1:5084>");
    let challenge = h.send(first.clone(), remote(5084));
    let offered: Vec<sip::auth::Challenge> = challenge
        .headers
        .get_all("WWW-Authenticate")
        .filter_map(|c| c.parse().ok())
        .collect();
    let mut bob = sip::auth::Authenticator::new("bob", "bob-secret");
    let parts = sip::auth::RequestParts {
        method: "REGISTER",
        uri: "sip:example.test",
        body: b"",
    };
    let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
    let answers = bob
        .respond(sip::auth::Challenger::Server, &offered, &parts, &mut rng)
        .expect("a digest challenge to answer");
    let mut second = h.request(Method::Register, "sip:example.test", "bob", "bob");
    second.headers.push("Contact", "<sip:bob@127.0.0.1:5084>");
    second
        .headers
        .push("Authorization", answers[0].credentials.to_string());
    assert_eq!(h.send(second, remote(5084)).status, 200);
}

#[test]
fn invalid_token_gets_rfc6750_error() {
    let d = dir();
    let mut h = Harness::open(d.path(), Instant::now());
    let mut r = h.request(Method::Register, "sip:example.test", "alice", "alice");
    r.headers.push("Contact", "<sip:alice@127.0.0.1:5080>");
    r.headers.push("Authorization", "Bearer forged");
    let resp = h.send(r, remote(5080));
    assert_eq!(resp.status, 401);
    assert!(resp
        .headers
        .get_all("WWW-Authenticate")
        .any(|c| c.starts_with("Bearer") && c.contains("invalid_token")));
}

#[test]
fn registering_someone_elses_aor_is_forbidden() {
    let d = dir();
    let mut h = Harness::open(d.path(), Instant::now());
    let mut r = h.request(Method::Register, "sip:example.test", "alice", "bob");
    r.headers.push("Contact", "<sip:bob@127.0.0.1:5080>");
    r.headers.push("Authorization", "Bearer valid-alice");
    assert_eq!(h.send(r, remote(5080)).status, 403);
}

#[test]
fn location_service_bounds_lists_and_expires() {
    let d = dir();
    let mut h = Harness::open(d.path(), Instant::now());
    let too_short = h.register("alice", "<sip:alice@127.0.0.1:5080>", 10);
    assert_eq!(too_short.status, 423);
    assert_eq!(too_short.header("Min-Expires"), Some("60"));

    assert_eq!(
        h.register("alice", "<sip:alice@127.0.0.1:5080>;q=0.5", 120)
            .status,
        200
    );
    let ok = h.register("alice", "<sip:alice@127.0.0.1:6080>", 99_999);
    let contacts: Vec<&str> = ok.headers.get_all("Contact").collect();
    assert_eq!(
        contacts.len(),
        2,
        "the 200 lists every binding: {contacts:?}"
    );
    assert!(contacts[0].contains("6080") && contacts[0].contains("expires=3600"));
    assert_eq!(h.reg.bindings("alice").len(), 2);

    h.advance(Duration::from_secs(121));
    assert_eq!(
        h.reg.bindings("alice").len(),
        1,
        "the 120 s binding expired on time"
    );

    let mut star = h.request(Method::Register, "sip:example.test", "alice", "alice");
    star.headers.push("Contact", "*");
    star.headers.push("Expires", "0");
    star.headers.push("Authorization", "Bearer valid-alice");
    assert_eq!(h.send(star, remote(5080)).status, 200);
    assert!(h.reg.bindings("alice").is_empty());
}

#[test]
fn instance_id_replaces_the_old_binding_of_a_device() {
    let d = dir();
    let mut h = Harness::open(d.path(), Instant::now());
    let inst = "+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-000000000001>\";reg-id=1";
    h.register("bob", &format!("<sip:bob@127.0.0.1:5084>;{inst}"), 300);
    h.register("bob", &format!("<sip:bob@127.0.0.1:7084>;{inst}"), 300);
    let b = h.reg.bindings("bob");
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].contact.uri.port, Some(7084));
}

#[test]
fn message_rejections_spoofed_from_and_size() {
    let d = dir();
    let mut h = Harness::open(d.path(), Instant::now());
    let mut spoofed = h.request(Method::Message, "sip:bob@example.test", "bob", "bob");
    spoofed
        .headers
        .push("Proxy-Authorization", "Bearer valid-alice");
    spoofed.body = b"hi".to_vec();
    assert_eq!(h.send(spoofed, remote(5080)).status, 403);

    let mut big = h.request(Method::Message, "sip:bob@example.test", "alice", "bob");
    big.headers
        .push("Proxy-Authorization", "Bearer valid-alice");
    big.body = vec![b'x'; 9000];
    assert_eq!(h.send(big, remote(5080)).status, 413);

    let mut unauth = h.request(Method::Message, "sip:bob@example.test", "alice", "bob");
    unauth.body = b"hi".to_vec();
    assert_eq!(h.send(unauth, remote(5080)).status, 407);
}

#[test]
fn publish_and_subscribe_rejections() {
    let d = dir();
    let mut h = Harness::open(d.path(), Instant::now());
    let mut p = h.request(Method::Publish, "sip:alice@example.test", "alice", "alice");
    p.headers.push("Proxy-Authorization", "Bearer valid-alice");
    p.headers.push("Event", "dialog");
    assert_eq!(h.send(p, remote(5080)).status, 489);

    let mut p = h.request(Method::Publish, "sip:alice@example.test", "alice", "alice");
    p.headers.push("Proxy-Authorization", "Bearer valid-alice");
    p.headers.push("Event", "presence");
    p.headers.push("SIP-If-Match", "no-such-etag");
    assert_eq!(h.send(p, remote(5080)).status, 412);

    let mut p = h.request(Method::Publish, "sip:alice@example.test", "alice", "alice");
    p.headers.push("Proxy-Authorization", "Bearer valid-alice");
    p.headers.push("Event", "presence");
    p.headers.push("Expires", "5");
    assert_eq!(h.send(p, remote(5080)).status, 423);

    let mut p = h.request(Method::Publish, "sip:bob@example.test", "alice", "bob");
    p.headers.push("Proxy-Authorization", "Bearer valid-alice");
    p.headers.push("Event", "presence");
    assert_eq!(
        h.send(p, remote(5080)).status,
        403,
        "publishing as someone else"
    );

    let mut s = h.request(Method::Subscribe, "sip:bob@example.test", "alice", "bob");
    s.headers.push("Proxy-Authorization", "Bearer valid-alice");
    s.headers.push("Event", "dialog");
    s.headers.push("Contact", "<sip:alice@127.0.0.1:5080>");
    assert_eq!(h.send(s, remote(5080)).status, 489);

    let mut s = h.request(Method::Subscribe, "sip:bob@example.test", "alice", "bob");
    s.headers.set("To", "<sip:bob@example.test>;tag=gone");
    s.headers.push("Event", "presence");
    s.headers.push("Contact", "<sip:alice@127.0.0.1:5080>");
    assert_eq!(h.send(s, remote(5080)).status, 481);
}

#[test]
fn subscribe_gets_immediate_notify_and_publish_notifies_watchers() {
    let d = dir();
    let mut h = Harness::open(d.path(), Instant::now());
    let s = h.self_subscription();
    assert_eq!(h.send(s, remote(5080)).status, 200);
    assert_eq!(
        h.sent.iter().filter(|r| r.method == Method::Notify).count(),
        1
    );

    let mut p = h.request(Method::Publish, "sip:alice@example.test", "alice", "alice");
    p.headers.push("Proxy-Authorization", "Bearer valid-alice");
    p.headers.push("Event", "presence");
    p.headers.push("Content-Type", "application/pidf+xml");
    p.body = br#"<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@example.test"><tuple id="t1"><status><basic>open</basic></status></tuple></presence>"#.to_vec();
    let ok = h.send(p, remote(5080));
    assert_eq!(ok.status, 200);
    assert!(ok.header("SIP-ETag").is_some());
    // The first NOTIFY is still unanswered, so the change waits for it (one in flight).
    h.advance(Duration::from_secs(1));
}

#[test]
fn offline_messages_and_bindings_survive_a_restart_and_arrive_in_order() {
    let d = dir();
    let start = Instant::now();
    {
        let mut h = Harness::open(d.path(), start);
        for text in ["one", "two"] {
            let mut m = h.request(Method::Message, "sip:bob@example.test", "alice", "bob");
            m.headers.push("Proxy-Authorization", "Bearer valid-alice");
            m.headers.push("Content-Type", "text/plain");
            m.body = text.as_bytes().to_vec();
            assert_eq!(h.send(m, remote(5080)).status, 202, "bob is offline");
        }
        assert_eq!(
            h.register("alice", "<sip:alice@127.0.0.1:5080>", 600)
                .status,
            200
        );
    }
    let mut h = Harness::open(d.path(), start + Duration::from_secs(5));
    assert_eq!(h.reg.bindings("alice").len(), 1, "bindings restored");
    assert_eq!(
        h.register("bob", "<sip:bob@127.0.0.1:5084>", 600).status,
        200
    );
    let delivered: Vec<&[u8]> = h
        .sent
        .iter()
        .filter(|r| r.method == Method::Message)
        .map(|r| r.body.as_slice())
        .collect();
    assert_eq!(
        delivered,
        [b"one".as_slice()],
        "one at a time, oldest first"
    );
}

#[test]
fn without_a_publication_a_user_is_open_while_registered_and_closed_otherwise() {
    let d = dir();
    let mut h = Harness::open(d.path(), Instant::now());
    // Watching oneself needs no authorization, so this isolates the composition rule.
    let s = h.self_subscription();
    assert_eq!(h.send(s, remote(5080)).status, 200);
    assert_eq!(h.notified_basics(), ["closed"], "not registered: closed");
    h.answer_ok(0);

    h.register("alice", "<sip:alice@127.0.0.1:5080>", 600);
    h.advance(Duration::from_secs(1));
    assert_eq!(h.notified_basics(), ["closed", "open"], "registered: open");
    let last = h.sent.len() - 1;
    h.answer_ok(last);

    h.register("alice", "<sip:alice@127.0.0.1:5080>", 0);
    h.advance(Duration::from_secs(1));
    assert_eq!(
        h.notified_basics(),
        ["closed", "open", "closed"],
        "unregistered: closed again"
    );
}

#[test]
fn binding_changes_reach_the_disk_within_the_flush_delay() {
    let d = dir();
    let mut h = Harness::open(d.path(), Instant::now());
    let mut reader = Store::open(&d.path().join("registrar.db")).expect("store opens");
    assert_eq!(
        h.register("alice", "<sip:alice@127.0.0.1:5080>", 600)
            .status,
        200
    );
    assert!(
        reader.bindings().expect("readable").is_empty(),
        "queued, not written per REGISTER"
    );
    let due = h.reg.poll_timeout().expect("a write is scheduled");
    assert!(due <= h.now + Duration::from_millis(20), "written soon");
    h.advance(Duration::from_millis(20));
    // The write happens on the writer thread; wait for it, not for a clock.
    h.reg.sync_store().expect("written");
    assert_eq!(reader.bindings().expect("readable").len(), 1);
}

/// A change waiting out the NOTIFY throttle when the watcher unsubscribes must not leave a
/// deadline in the past: that made `handle_timeout` spin forever and the server stop
/// answering anyone (seen as un-REGISTERs without a response).
#[test]
fn unsubscribing_while_a_notify_is_throttled_ends_cleanly() {
    let d = dir();
    let mut h = Harness::open(d.path(), Instant::now());
    let s = h.self_subscription();
    let mut unsubscribe = s.clone();
    let ok = h.send(s, remote(5080));
    assert_eq!(ok.status, 200);
    h.answer_ok(0);

    // A change inside the throttle window: its NOTIFY waits for the window's end.
    h.register("alice", "<sip:alice@127.0.0.1:5080>", 600);
    assert_eq!(h.notified_basics(), ["closed"], "throttled");

    unsubscribe
        .headers
        .set("To", ok.header("To").expect("tagged"));
    unsubscribe.headers.set("CSeq", "100 SUBSCRIBE");
    unsubscribe.headers.set(
        "Via",
        "SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKunsubscribe;rport",
    );
    unsubscribe.headers.set("Expires", "0");
    assert_eq!(h.send(unsubscribe, remote(5080)).status, 200);

    // Past the window, run in a thread: a regression spins rather than fails.
    let (done_tx, done) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        h.advance(Duration::from_secs(1));
        let _ = done_tx.send(());
        h
    });
    done.recv_timeout(Duration::from_secs(30))
        .expect("handle_timeout returned");
    let h = worker.join().expect("no panic");
    let next = h.reg.poll_timeout();
    assert!(
        next.is_none_or(|at| at > h.now),
        "no deadline left in the past"
    );
    let terminated = h
        .sent
        .iter()
        .filter(|r| r.method == Method::Notify)
        .filter(|r| {
            r.header("Subscription-State")
                .is_some_and(|v| v.starts_with("terminated"))
        })
        .count();
    assert_eq!(
        terminated, 1,
        "one terminating NOTIFY, and nothing after it"
    );
}

const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 9 0 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n";

fn echo_invite(h: &mut Harness) -> Request {
    let mut inv = h.request(Method::Invite, "sip:echo@example.test", "alice", "echo");
    inv.headers
        .push("Proxy-Authorization", "Bearer valid-alice");
    inv.headers.push("Contact", "<sip:alice@127.0.0.1:5080>");
    inv.headers.push("Content-Type", "application/sdp");
    inv.body = OFFER.as_bytes().to_vec();
    inv
}

/// The echo buddy answers a call itself: its SDP names the reflector, keeps the caller's
/// codecs (G.722 first, which the server never decodes) and hands the caller's own SRTP key
/// back; a re-INVITE and the BYE inside its dialog are answered unchallenged.
#[test]
fn the_echo_buddy_answers_calls_with_the_reflector_and_the_callers_key() {
    let d = dir();
    let reflector = SocketAddr::from(([127, 0, 0, 1], 7000));
    let mut h = Harness::open_with(d.path(), Instant::now(), |c| c.echo_media = Some(reflector));
    let inv = echo_invite(&mut h);
    let ok = h.send(inv.clone(), remote(5080));
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("Content-Type"), Some("application/sdp"));
    let sdp = String::from_utf8(ok.body.clone()).expect("text");
    assert!(sdp.contains("c=IN IP4 127.0.0.1"), "{sdp}");
    assert!(sdp.contains("m=audio 7000 RTP/AVP 9 0 101"), "{sdp}");
    assert!(
        sdp.contains(
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
        ),
        "{sdp}"
    );
    let contact = ok.header("Contact").expect("a Contact").to_owned();
    assert!(contact.contains("sip:echo@127.0.0.1:5060"), "{contact}");

    // Inside the dialog: to the Contact, with the To tag, no credentials.
    let in_dialog = |h: &mut Harness, method: Method, cseq: u32| {
        let mut r = inv.clone();
        r.method = method.clone();
        r.uri = Uri::parse("sip:echo@127.0.0.1:5060").expect("valid");
        r.headers.set("To", ok.header("To").expect("tagged"));
        r.headers.set("CSeq", format!("{cseq} {method}"));
        r.headers.set(
            "Via",
            format!("SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKecho{cseq};rport"),
        );
        r.headers.remove_first("Proxy-Authorization");
        if method == Method::Bye {
            r.body.clear();
            r.headers.remove_first("Content-Type");
        }
        h.send(r, remote(5080))
    };
    assert_eq!(
        in_dialog(&mut h, Method::Invite, 2).status,
        200,
        "re-INVITE"
    );
    assert_eq!(in_dialog(&mut h, Method::Bye, 3).status, 200, "BYE");
    assert_eq!(
        in_dialog(&mut h, Method::Bye, 4).status,
        481,
        "the call is over"
    );
}

#[test]
fn without_a_reflector_the_echo_buddy_takes_no_calls() {
    let d = dir();
    let mut h = Harness::open(d.path(), Instant::now());
    let inv = echo_invite(&mut h);
    assert_eq!(h.send(inv, remote(5080)).status, 480);
}

/// A watcher over TLS is told a Contact it can refresh over TLS.
#[test]
fn a_tls_subscription_gets_a_tls_contact() {
    let d = dir();
    let tls = SocketAddr::from(([127, 0, 0, 1], 5061));
    let mut h = Harness::open_with(d.path(), Instant::now(), |c| c.tls = Some(tls));
    let mut s = h.self_subscription();
    s.headers
        .set("Via", "SIP/2.0/TLS client.invalid;branch=z9hG4bKtls;rport");
    s.headers
        .set("Contact", "<sip:alice@client.invalid;transport=tls>");
    let from = Remote {
        transport: TransportKind::Tls,
        addr: SocketAddr::from(([127, 0, 0, 1], 40000)),
    };
    let ok = h.send(s, from);
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.header("Contact"),
        Some("<sip:127.0.0.1:5061;transport=tls>")
    );
}
