//! The sans-IO heart: one [`Registrar`] fed requests, responses and time, producing
//! [`Output`]s. The service in `service.rs` is only its driver.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::SeedableRng;
use sip::endpoint::TxnId;
use sip::msg::{reason_phrase, Message, Method, Request, Response, SipMessage, Uri};
use sip::transport::{Remote, TransportKind};

use crate::accounts::Accounts;
use crate::auth::{Authenticated, Authenticator, Challenger};
use crate::config::Config;
use crate::echo::EchoCalls;
use crate::location::{Binding, Location};
use crate::message::Relay;
use crate::presence::Presence;
use crate::proxy::Fork;
use crate::store::{Store, StoreError};

/// A request the registrar sent, for matching what comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutId(u64);

/// What the driver must do.
#[derive(Debug)]
#[non_exhaustive]
pub enum Output {
    /// Answer a server transaction.
    Respond {
        /// The transaction.
        txn: TxnId,
        /// Its response.
        response: Response,
    },
    /// Send a request in a new client transaction and report its outcome with
    /// [`Registrar::handle_outcome`].
    Send {
        /// Names the transaction in `handle_outcome`.
        id: OutId,
        /// The request.
        request: Request,
        /// Where to.
        to: Remote,
        /// A relayed request: push our own Via (`Stack::forward_request`) rather than
        /// complete a request of our own (`Stack::send_request`).
        relay: bool,
    },
    /// CANCEL the INVITE sent as `id`.
    Cancel {
        /// The INVITE.
        id: OutId,
    },
    /// Send outside any transaction (a relayed ACK, a late 2xx).
    Stateless {
        /// The message.
        message: Message,
        /// Where to.
        to: Remote,
    },
}

/// How a request we sent ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A response, provisional or final.
    Response(Response),
    /// No response in time, or the transport failed: counts as this status (408, 503).
    Failed(u16),
}

/// What an [`OutId`] belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Purpose {
    Notify(u64),
    Relay(u64),
    Offline { message: i64, aor_seq: u64 },
    Fork { invite: TxnId, branch: usize },
    Hop { txn: TxnId },
    Echo,
}

/// The registrar, presence agent, message relay and proxy of one domain, without I/O.
///
/// Contract: after each `handle_*` call drain [`poll_output`](Self::poll_output), then call
/// [`handle_timeout`](Self::handle_timeout) at [`poll_timeout`](Self::poll_timeout) or at the
/// next input. `now` never goes backwards. The store is written through synchronously: its
/// SQLite calls take microseconds, and keeping them in order with the protocol state is what
/// makes a restart see exactly what clients were told.
pub struct Registrar {
    pub(crate) config: Config,
    pub(crate) accounts: Box<dyn Accounts>,
    pub(crate) store: Store,
    pub(crate) auth: Authenticator,
    pub(crate) location: Location,
    pub(crate) presence: Presence,
    pub(crate) relays: HashMap<u64, Relay>,
    pub(crate) forks: HashMap<TxnId, Fork>,
    pub(crate) echo: EchoCalls,
    /// In-dialog requests being relayed, to answer them if the next hop fails.
    pub(crate) hops: HashMap<TxnId, Request>,
    pub(crate) pending: HashMap<OutId, Purpose>,
    /// Offline messages being delivered, per AOR: one at a time, so they arrive in order.
    pub(crate) delivering: HashMap<String, u64>,
    /// The AORs with stored messages: every REGISTER asks, and asking SQLite each time cost
    /// a twentieth of the registrar's CPU under load.
    pub(crate) offline_waiting: HashSet<String>,
    pub(crate) out: VecDeque<Output>,
    /// When the store's queued binding changes are due to be written.
    store_flush_at: Option<Instant>,
    rng: SmallRng,
    next_id: u64,
    /// `now` of construction and the Unix time it stands for: stored times are Unix seconds.
    epoch: (Instant, u64),
    pub(crate) now: Instant,
}

impl std::fmt::Debug for Registrar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registrar")
            .field("domain", &self.config.domain)
            .finish_non_exhaustive()
    }
}

impl Registrar {
    /// Opens the registrar on `store`, restoring the bindings that have not expired.
    /// `unix_now` is the wall-clock time (seconds) that `now` stands for.
    pub fn new(
        config: Config,
        accounts: Box<dyn Accounts>,
        store: Store,
        now: Instant,
        unix_now: u64,
    ) -> Result<Registrar, StoreError> {
        let mut store = store;
        let restored = store.bindings()?;
        let offline_waiting = store.offline_recipients()?.into_iter().collect();
        let mut registrar = Registrar {
            auth: Authenticator::new(
                config.digest.clone(),
                &config.nonce_secret,
                config.bearer_challenge,
            ),
            presence: Presence::default(),
            config,
            accounts,
            store,
            location: Location::default(),
            relays: HashMap::new(),
            forks: HashMap::new(),
            echo: EchoCalls::default(),
            hops: HashMap::new(),
            pending: HashMap::new(),
            delivering: HashMap::new(),
            offline_waiting,
            out: VecDeque::new(),
            store_flush_at: None,
            rng: SmallRng::from_entropy(),
            next_id: 0,
            epoch: (now, unix_now),
            now,
        };
        for stored in restored {
            let (aor, key) = (stored.aor.clone(), stored.contact.clone());
            match registrar.restore_binding(stored) {
                Some(b) if b.expires_at > now => registrar.location.upsert(&aor, b),
                _ => {
                    let uri = sip::msg::NameAddr::parse(&key)
                        .map(|n| n.uri.to_string())
                        .unwrap_or(key);
                    registrar.store.delete_binding(&aor, &uri);
                }
            }
        }
        registrar.store.flush()?;
        Ok(registrar)
    }

    /// A request that opened a server transaction (never ACK or CANCEL).
    pub fn handle_request(&mut self, now: Instant, txn: TxnId, mut req: Request, from: Remote) {
        self.advance(now);
        // In place: responses copy no Route, so nothing needs the original.
        self.strip_own_routes(&mut req);
        if let Err(status) = self.dispatch(txn, &req, from) {
            let resp = self.response(&req, status);
            self.respond(txn, resp);
        }
    }

    fn dispatch(&mut self, txn: TxnId, req: &Request, from: Remote) -> Result<(), u16> {
        if self.is_routed_through_us(req) {
            return self.relay_in_dialog(txn, req);
        }
        match req.method {
            Method::Register => self.register(txn, req, from),
            Method::Publish => self.publish(txn, req),
            Method::Subscribe => self.subscribe(txn, req, from),
            Method::Message => self.message(txn, req),
            Method::Invite => self.invite(txn, req),
            Method::Options => {
                let mut ok = self.response(req, 200);
                ok.headers.push("Allow", ALLOW);
                self.respond(txn, ok);
                Ok(())
            }
            Method::Notify => Err(481),
            Method::Bye => self.echo_bye(txn, req),
            Method::Info | Method::Update | Method::Refer => Err(481),
            _ => {
                let mut resp = self.response(req, 405);
                resp.headers.push("Allow", ALLOW);
                self.respond(txn, resp);
                Ok(())
            }
        }
    }

    /// An ACK for a 2xx (or one matching nothing): relayed along its route.
    pub fn handle_ack(&mut self, now: Instant, req: Request) {
        self.advance(now);
        self.relay_ack(req);
    }

    /// The caller CANCELled an INVITE we are forking.
    pub fn handle_cancel(&mut self, now: Instant, invite: TxnId) {
        self.advance(now);
        self.cancel_fork(invite);
    }

    /// A response no client transaction wanted: a 2xx retransmitted by a callee after our
    /// INVITE transaction ended. Relayed statelessly by its Via (RFC 3261 §16.7 step 10 and
    /// RFC 6026 make proxies pass every 2xx on).
    pub fn handle_stray_response(&mut self, now: Instant, resp: Response) {
        self.advance(now);
        self.relay_stray(resp);
    }

    /// What became of a request sent as [`Output::Send`].
    pub fn handle_outcome(&mut self, now: Instant, id: OutId, outcome: Outcome) {
        self.advance(now);
        let final_ = match &outcome {
            Outcome::Response(r) => r.status >= 200,
            Outcome::Failed(_) => true,
        };
        let Some(&purpose) = self.pending.get(&id) else {
            return;
        };
        if final_ {
            self.pending.remove(&id);
        }
        match purpose {
            Purpose::Notify(sub) => self.notify_outcome(sub, &outcome),
            Purpose::Relay(relay) => self.relay_outcome(relay, id, outcome),
            Purpose::Offline { message, aor_seq } => {
                self.offline_outcome(message, aor_seq, &outcome)
            }
            Purpose::Fork { invite, branch } => self.fork_outcome(invite, branch, outcome),
            Purpose::Hop { txn } => self.hop_outcome(txn, outcome),
            Purpose::Echo => {}
        }
    }

    /// A buddy list or watcher decision of `user` changed (over HTTP): re-judge its watchers.
    pub fn handle_policy_change(&mut self, now: Instant, user: &str) {
        self.advance(now);
        let aor = self.aor_of(user);
        self.reauthorize(&aor);
    }

    /// Fires what is due: binding, publication and subscription expiries, throttled NOTIFYs.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
        for (aor, gone) in self.location.expire(now) {
            self.store.delete_binding(&aor, gone.key());
            self.store_changed();
            tracing::debug!(%aor, contact = %gone.key(), "binding expired");
            self.registration_changed(&aor);
        }
        self.presence_timeout(now);
        if self.store_flush_at.is_some_and(|at| at <= now) {
            self.flush_store();
        }
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.location.next_expiry(),
            self.presence.next_deadline(),
            self.store_flush_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Waits until every binding change handed to the store's writer is on disk (for tests,
    /// and for anyone who needs the file complete before reading it elsewhere).
    pub fn sync_store(&mut self) -> Result<(), StoreError> {
        self.store.sync()
    }

    /// The live bindings of `user`, highest q first.
    pub fn bindings(&self, user: &str) -> &[Binding] {
        self.location.bindings(&self.aor_of(user))
    }

    // ---- helpers shared by the modules ----

    /// A binding change was queued in the store: write it soon, with whatever else comes
    /// in the meantime (see `store.rs`).
    pub(crate) fn store_changed(&mut self) {
        if self.store_flush_at.is_none() {
            self.store_flush_at = Some(self.now + STORE_FLUSH_DELAY);
        }
    }

    fn flush_store(&mut self) {
        match self.store.flush() {
            Ok(()) => self.store_flush_at = None,
            Err(e) => {
                // Kept queued; the location table still serves. Retry later, not in a loop.
                tracing::warn!(error = %e, "writing bindings");
                self.store_flush_at = Some(self.now + STORE_RETRY_DELAY);
            }
        }
    }

    fn advance(&mut self, now: Instant) {
        self.now = self.now.max(now);
    }

    pub(crate) fn unix(&self, at: Instant) -> u64 {
        let (base, unix) = self.epoch;
        match at.checked_duration_since(base) {
            Some(d) => unix + d.as_secs(),
            None => unix.saturating_sub(base.duration_since(at).as_secs()),
        }
    }

    pub(crate) fn instant(&self, unix: u64) -> Instant {
        let (base, base_unix) = self.epoch;
        if unix >= base_unix {
            base + Duration::from_secs(unix - base_unix)
        } else {
            base.checked_sub(Duration::from_secs(base_unix - unix))
                .unwrap_or(base)
        }
    }

    pub(crate) fn now_secs(&self) -> u64 {
        self.unix(self.now)
    }

    pub(crate) fn aor_of(&self, user: &str) -> String {
        format!("{user}@{}", self.config.domain.to_ascii_lowercase())
    }

    /// The user part of `uri` if it is in our domain.
    pub(crate) fn local_user(&self, uri: &Uri) -> Option<String> {
        let host = uri.host.to_ascii_lowercase();
        let ours = host == self.config.domain.to_ascii_lowercase() || self.is_our_host(uri);
        uri.user.clone().filter(|_| ours)
    }

    pub(crate) fn is_echo(&self, user: &str) -> bool {
        self.config.echo_user.as_deref() == Some(user)
    }

    /// Authenticates and checks that the identity in From is the authenticated user: nobody
    /// can act as someone else. `Err` carries the status when no response was sent yet.
    pub(crate) fn authenticate(
        &mut self,
        txn: TxnId,
        req: &Request,
        who: Challenger,
    ) -> Result<Option<String>, u16> {
        let now = self.now_secs();
        match self.auth.check(req, who, self.accounts.as_ref(), now) {
            Authenticated::Challenge(mut resp) => {
                self.tag(&mut resp);
                self.respond(txn, resp);
                Ok(None)
            }
            Authenticated::User(user) => {
                let from = req.from_header().map_err(|e| e.status)?;
                if self.local_user(&from.uri).as_deref() != Some(user.as_str()) {
                    tracing::info!(%user, from = %from.uri, "identity does not match From");
                    return Err(403);
                }
                Ok(Some(user))
            }
        }
    }

    pub(crate) fn respond(&mut self, txn: TxnId, response: Response) {
        self.out.push_back(Output::Respond { txn, response });
    }

    /// A response to `req` with our To tag (RFC 3261 §8.2.6.2).
    pub(crate) fn response(&mut self, req: &Request, status: u16) -> Response {
        let mut resp = Response::to_request(req, status, reason_phrase(status));
        self.tag(&mut resp);
        resp
    }

    pub(crate) fn tag(&mut self, resp: &mut Response) {
        if let Ok(mut to) = resp.to_header() {
            if to.tag().is_none() {
                to.set_tag(&self.token(10));
                resp.headers.set("To", to.to_string());
            }
        }
    }

    /// A random token for tags, Call-IDs, branches and ETags (see `sip::token`).
    pub(crate) fn token(&mut self, len: usize) -> String {
        sip::token::random(&mut self.rng, len)
    }

    pub(crate) fn send(
        &mut self,
        purpose: Purpose,
        request: Request,
        to: Remote,
        relay: bool,
    ) -> OutId {
        self.next_id += 1;
        let id = OutId(self.next_id);
        self.pending.insert(id, purpose);
        self.out.push_back(Output::Send {
            id,
            request,
            to,
            relay,
        });
        id
    }

    pub(crate) fn next_seq(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Whether `uri` names this server's own socket (the host part of a Route or R-URI).
    pub(crate) fn is_our_host(&self, uri: &Uri) -> bool {
        let Ok(ip) = uri
            .host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        else {
            return false;
        };
        let port = uri.port.unwrap_or(5060);
        [self.config.udp, self.config.tcp, self.config.tls]
            .into_iter()
            .flatten()
            .any(|a| a.port() == port && (a.ip() == ip || a.ip().is_unspecified()))
    }

    /// Our address for `transport`, for Record-Route and Via.
    pub(crate) fn local(&self, transport: TransportKind) -> Option<SocketAddr> {
        match transport {
            TransportKind::Udp => self.config.udp,
            TransportKind::Tcp => self.config.tcp,
            TransportKind::Tls => self.config.tls,
        }
    }

    /// Where to send a request for `uri` (a contact or a route): the source of the
    /// registration that made it if there is one, else the address in the URI. Only IP
    /// literals are accepted, so nothing is ever looked up in DNS.
    pub(crate) fn resolve(&self, uri: &Uri) -> Option<Remote> {
        if let Some(b) = self.location.by_contact(&uri.to_string()) {
            return Some(b.source);
        }
        let ip: IpAddr = uri
            .host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()?;
        let transport = uri
            .transport()
            .and_then(|t| TransportKind::parse(&t))
            .unwrap_or(TransportKind::Udp);
        Some(Remote {
            transport,
            addr: SocketAddr::new(ip, uri.port.unwrap_or(5060)),
        })
    }
}

/// How long binding changes wait to be written together: at thousands of REGISTERs a second
/// this turns a commit per REGISTER into one per batch; a crash loses at most this window.
const STORE_FLUSH_DELAY: Duration = Duration::from_millis(20);
/// After a failed write (disk full, locked), the next try.
const STORE_RETRY_DELAY: Duration = Duration::from_secs(1);

/// A graceful stop drops the registrar: what is still queued reaches the disk.
impl Drop for Registrar {
    fn drop(&mut self) {
        if let Err(e) = self.store.flush() {
            tracing::warn!(error = %e, "writing bindings at shutdown");
        }
    }
}

/// Methods we answer or route.
pub(crate) const ALLOW: &str =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE, SUBSCRIBE, NOTIFY, PUBLISH, INFO, UPDATE, REFER";

/// `udp:127.0.0.1:5080`, the stored form of a binding's source.
pub(crate) fn remote_to_text(r: Remote) -> String {
    format!("{}:{}", r.transport.as_str().to_ascii_lowercase(), r.addr)
}

pub(crate) fn remote_from_text(s: &str) -> Option<Remote> {
    let (t, addr) = s.split_once(':')?;
    Some(Remote {
        transport: TransportKind::parse(t)?,
        addr: addr.parse().ok()?,
    })
}

/// The `;transport=` parameter a URI of ours needs for `t` (none for UDP, the default).
pub(crate) fn transport_param(t: TransportKind) -> &'static str {
    match t {
        TransportKind::Udp => "",
        TransportKind::Tcp => ";transport=tcp",
        TransportKind::Tls => ";transport=tls",
    }
}
