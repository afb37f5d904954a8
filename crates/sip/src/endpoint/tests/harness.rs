//! Two endpoints, a virtual clock and a seeded network between them. No sockets, no sleeps:
//! `step` jumps time to the next delivery or deadline.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::endpoint::{Config, Endpoint, EndpointEvent};
use crate::msg::{Message, Method, Request, Response, SipMessage, Uri};
use crate::transport::{Remote, TransportKind};
use crate::txn::TxnId;

pub(super) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Client,
    Server,
}

/// Decides whether a message reaches `to`; `false` loses it.
type Filter = Box<dyn FnMut(Side, &[u8]) -> bool>;
/// A transaction user reacting to events as they come out.
type Tu = Box<dyn FnMut(Instant, &mut Endpoint, &EndpointEvent)>;

struct Packet {
    at: Instant,
    seq: u64,
    to: Side,
    from: Remote,
    bytes: Vec<u8>,
}

/// A seeded lossy network: fixed latency, random loss and duplication, and a filter for
/// losing specific messages.
pub(super) struct Net {
    rng: SmallRng,
    pub(super) latency: Duration,
    pub(super) loss: f64,
    pub(super) duplicate: f64,
    filter: Option<Filter>,
    in_flight: Vec<Packet>,
    seq: u64,
}

impl Net {
    pub(super) fn seeded(seed: u64) -> Net {
        Net {
            rng: SmallRng::seed_from_u64(seed),
            latency: ms(5),
            loss: 0.0,
            duplicate: 0.0,
            filter: None,
            in_flight: Vec::new(),
            seq: 0,
        }
    }

    /// Loses every message for which `keep` returns false.
    pub(super) fn filter(&mut self, keep: impl FnMut(Side, &[u8]) -> bool + 'static) {
        self.filter = Some(Box::new(keep));
    }

    /// Loses everything sent to `side` from now on.
    pub(super) fn block(&mut self, side: Side) {
        self.filter(move |to, _| to != side);
    }

    fn submit(&mut self, now: Instant, to: Side, from: Remote, bytes: Vec<u8>) {
        if self.filter.as_mut().is_some_and(|keep| !keep(to, &bytes)) {
            return;
        }
        if self.rng.gen_bool(self.loss) {
            return;
        }
        if self.rng.gen_bool(self.duplicate) {
            // The copy trails by a millisecond, as a duplicate from another path would.
            self.push(now + self.latency + ms(1), to, from, bytes.clone());
        }
        self.push(now + self.latency, to, from, bytes);
    }

    fn push(&mut self, at: Instant, to: Side, from: Remote, bytes: Vec<u8>) {
        self.seq += 1;
        self.in_flight.push(Packet {
            at,
            seq: self.seq,
            to,
            from,
            bytes,
        });
    }

    fn next_at(&self) -> Option<Instant> {
        self.in_flight.iter().map(|p| p.at).min()
    }

    fn pop_due(&mut self, now: Instant) -> Option<Packet> {
        let i = self
            .in_flight
            .iter()
            .enumerate()
            .filter(|(_, p)| p.at <= now)
            .min_by_key(|(_, p)| (p.at, p.seq))
            .map(|(i, _)| i)?;
        Some(self.in_flight.remove(i))
    }
}

/// One endpoint with everything it said and sent, time-stamped.
pub(super) struct Peer {
    pub(super) ep: Endpoint,
    pub(super) remote: Remote,
    pub(super) events: Vec<(Instant, EndpointEvent)>,
    pub(super) sent: Vec<(Instant, Message)>,
    pub(super) tu: Option<Tu>,
}

impl Peer {
    /// Ids of the requests that opened server transactions.
    pub(super) fn incoming(&self) -> Vec<(TxnId, Request)> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                EndpointEvent::IncomingRequest { txn, request, .. } => {
                    Some((*txn, request.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// Statuses passed up for a client transaction.
    pub(super) fn statuses(&self, id: TxnId) -> Vec<u16> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                EndpointEvent::Response { txn, response } if *txn == id => Some(response.status),
                _ => None,
            })
            .collect()
    }

    pub(super) fn timeouts(&self) -> Vec<(Instant, TxnId)> {
        self.events
            .iter()
            .filter_map(|(at, e)| match e {
                EndpointEvent::TransactionTimeout { txn } => Some((*at, *txn)),
                _ => None,
            })
            .collect()
    }

    pub(super) fn count(&self, pred: impl Fn(&EndpointEvent) -> bool) -> usize {
        self.events.iter().filter(|(_, e)| pred(e)).count()
    }

    /// Sent requests of `method`.
    pub(super) fn sent_requests(&self, method: Method) -> Vec<(Instant, Request)> {
        self.sent
            .iter()
            .filter_map(|(at, m)| match m {
                Message::Request(r) if r.method == method => Some((*at, r.clone())),
                _ => None,
            })
            .collect()
    }

    /// Sent responses with this status.
    pub(super) fn sent_responses(&self, status: u16) -> Vec<(Instant, Response)> {
        self.sent
            .iter()
            .filter_map(|(at, m)| match m {
                Message::Response(r) if r.status == status => Some((*at, r.clone())),
                _ => None,
            })
            .collect()
    }

    pub(super) fn is_alive(&self, id: TxnId) -> bool {
        self.ep.is_open(id)
    }
}

pub(super) struct Pair {
    pub(super) client: Peer,
    pub(super) server: Peer,
    pub(super) net: Net,
    pub(super) start: Instant,
    pub(super) now: Instant,
}

impl Pair {
    pub(super) fn new(transport: TransportKind) -> Pair {
        Pair::with_config(transport, |_| {})
    }

    pub(super) fn with_config(transport: TransportKind, tweak: impl Fn(&mut Config)) -> Pair {
        let start = Instant::now();
        let peer = |port: u16, seed: u64| {
            let mut config = Config {
                rng_seed: seed,
                ..Config::default()
            };
            tweak(&mut config);
            let mut ep = Endpoint::new(config, start);
            ep.set_sent_by(transport, format!("127.0.0.1:{port}"));
            Peer {
                ep,
                remote: Remote {
                    transport,
                    addr: SocketAddr::from(([127, 0, 0, 1], port)),
                },
                events: Vec::new(),
                sent: Vec::new(),
                tu: None,
            }
        };
        Pair {
            client: peer(5062, 1),
            server: peer(5070, 2),
            net: Net::seeded(3),
            start,
            now: start,
        }
    }

    /// `start + offset`: the virtual time of an assertion.
    pub(super) fn at(&self, offset: Duration) -> Instant {
        self.start + offset
    }

    pub(super) fn peer(&mut self, side: Side) -> &mut Peer {
        match side {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        }
    }

    /// A client request towards the server.
    pub(super) fn send(&mut self, req: Request) -> TxnId {
        let to = self.server.remote;
        let id = self
            .client
            .ep
            .send_request(self.now, req, to)
            .expect("test requests are valid");
        self.flush();
        id
    }

    /// Delivers `bytes` to `to` now, as if from the other side, bypassing the network.
    pub(super) fn inject(&mut self, to: Side, bytes: &[u8]) {
        let from = match to {
            Side::Client => self.server.remote,
            Side::Server => self.client.remote,
        };
        let now = self.now;
        self.peer(to).ep.handle_input(now, from, bytes);
        self.flush();
    }

    /// Moves transmits into the network and events into the logs, letting the TUs react,
    /// until both endpoints are quiet.
    pub(super) fn flush(&mut self) {
        loop {
            let mut quiet = true;
            for side in [Side::Client, Side::Server] {
                let now = self.now;
                let (to, from) = match side {
                    Side::Client => (Side::Server, self.client.remote),
                    Side::Server => (Side::Client, self.server.remote),
                };
                while let Some(t) = self.peer(side).ep.poll_transmit() {
                    quiet = false;
                    let msg = Message::parse(&t.bytes).expect("the endpoint writes valid SIP");
                    self.peer(side).sent.push((now, msg));
                    self.net.submit(now, to, from, t.bytes);
                }
                while let Some(e) = self.peer(side).ep.poll_event() {
                    quiet = false;
                    let peer = self.peer(side);
                    if let Some(tu) = peer.tu.as_mut() {
                        tu(now, &mut peer.ep, &e);
                    }
                    peer.events.push((now, e));
                }
            }
            if quiet {
                return;
            }
        }
    }

    fn next_wake(&self) -> Option<Instant> {
        [
            self.net.next_at(),
            self.client.ep.poll_timeout(),
            self.server.ep.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Advances to the next delivery or deadline and processes it; false when nothing is left.
    pub(super) fn step(&mut self) -> bool {
        self.flush();
        let Some(next) = self.next_wake() else {
            return false;
        };
        self.now = self.now.max(next);
        let now = self.now;
        while let Some(p) = self.net.pop_due(now) {
            self.peer(p.to).ep.handle_input(now, p.from, &p.bytes);
            self.flush();
        }
        self.client.ep.handle_timeout(now);
        self.server.ep.handle_timeout(now);
        self.flush();
        true
    }

    /// Runs until nothing is in flight and no timer is pending.
    pub(super) fn drive(&mut self) {
        for _ in 0..100_000 {
            if !self.step() {
                return;
            }
        }
        panic!("still busy after 100000 steps");
    }

    /// Runs everything due up to `start + offset`, then sets the clock there.
    pub(super) fn run_until(&mut self, offset: Duration) {
        let deadline = self.at(offset);
        while self.next_wake().is_some_and(|at| at <= deadline) {
            self.step();
        }
        self.now = self.now.max(deadline);
    }

    /// Steps until `done` holds; panics if the simulation runs dry first.
    pub(super) fn step_until(&mut self, done: impl Fn(&Pair) -> bool) {
        while !done(self) {
            assert!(self.step(), "ran out of things to do");
        }
    }
}

/// An INVITE from alice to bob with a preloaded Route, as a UAC core would build it.
pub(super) fn invite() -> Request {
    request(Method::Invite)
}

pub(super) fn request(method: Method) -> Request {
    let mut r = Request::new(
        method.clone(),
        Uri::parse("sip:bob@127.0.0.1:5070").expect("valid URI"),
    );
    let h = &mut r.headers;
    h.push("Route", "<sip:proxy.test;lr>");
    h.push("From", "\"Alice\" <sip:alice@a.test>;tag=alicetag");
    h.push("To", "<sip:bob@b.test>");
    h.push("Call-ID", "call-1@a.test");
    h.push("CSeq", format!("7 {method}"));
    h.push("Contact", "<sip:alice@127.0.0.1:5062>");
    r
}

/// The TU's response to a server transaction, with a To tag on anything but 100.
pub(super) fn response_to(req: &Request, status: u16) -> Response {
    let mut resp = Response::to_request(req, status, crate::msg::reason_phrase(status));
    if status > 100 {
        let mut to = resp.to_header().expect("test requests have a To");
        if to.tag().is_none() {
            to.set_tag("bobtag");
        }
        resp.headers.set("To", to.to_string());
    }
    resp
}

/// A server TU that answers every new request with `status`.
pub(super) fn answer_with(status: u16) -> Tu {
    Box::new(move |now, ep, e| {
        if let EndpointEvent::IncomingRequest { txn, request, .. } = e {
            ep.send_response(now, *txn, response_to(request, status))
                .expect("a fresh transaction takes a response");
        }
    })
}
