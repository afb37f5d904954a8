//! The SIP endpoint: owns every transaction, matches messages to them, and runs their timers.

mod error;
mod events;
mod incoming;
mod outgoing;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use rand::rngs::SmallRng;
use rand::SeedableRng;

use crate::msg::{Request, BRANCH_COOKIE, DEFAULT_MAX_MESSAGE_SIZE};
use crate::transport::{Remote, StreamLimits, Transmit, TransportKind};
use crate::txn::{ClientKey, ClientTxn, Outbox, ServerKey, ServerTxn};

/// Re-exported so that a driver needs only this module.
pub use crate::txn::{Timer, TimerConfig, TxnId};
pub use error::SendError;
pub use events::EndpointEvent;

/// The default of `Config::max_transactions`.
const MAX_TRANSACTIONS: usize = 16 * 1024;

/// Endpoint settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// T1, T2, T4: every transaction timer derives from them.
    pub timers: TimerConfig,
    /// Seeds the generator of branches, tags and Call-IDs, so that a trace replays exactly.
    /// The default draws it from the OS: these values must be unique across endpoints
    /// (RFC 3261 §8.1.1.4, §8.1.1.7), so only tests should fix it.
    pub rng_seed: u64,
    /// Larger messages are answered 513 (requests) or dropped.
    pub max_message_size: usize,
    /// Added to requests that have no `User-Agent`.
    pub user_agent: Option<String>,
    /// Transactions per direction, completed ones included: the bound on their memory.
    /// Over UDP a completed non-INVITE server transaction stays 64·T1 (Timer J, 32 s) to
    /// absorb retransmissions, so a server answering N requests a second fills about 32·N;
    /// when full, the answered server transaction closest to its end makes room, and only
    /// a table full of unanswered ones refuses new requests with 503.
    pub max_transactions: usize,
    /// Connection bounds, for the driver that owns the sockets; next to `max_message_size`,
    /// the other bound on what a stream peer can make us hold.
    pub streams: StreamLimits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            timers: TimerConfig::default(),
            rng_seed: rand::random(),
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            user_agent: Some(concat!("Halo/", env!("CARGO_PKG_VERSION")).to_owned()),
            max_transactions: MAX_TRANSACTIONS,
            streams: StreamLimits::default(),
        }
    }
}

/// The transaction layer of one SIP user agent (RFC 3261 §17), without I/O.
///
/// Contract, as for every sans-IO type in this crate:
/// - feed it with `handle_input`/`handle_message` (bytes or parsed messages from the
///   network), `handle_timeout` (when [`poll_timeout`](Self::poll_timeout) is reached; an early
///   call does nothing), `handle_transport_error`, and the TU's `send_*`/`cancel` calls;
/// - after each of those, drain [`poll_transmit`](Self::poll_transmit) and
///   [`poll_event`](Self::poll_event), then wait until `poll_timeout` or the next input;
/// - `now` must not go backwards; an earlier `now` is treated as the latest one seen.
///
/// Routing choices:
/// - Responses of server transactions go back to the `Remote` the request came from (the
///   source address and, for streams, the connection), not to the Via sent-by as RFC 3261
///   §18.2.2 describes. This is RFC 3581 symmetric response routing applied always: it is the
///   only thing that crosses NAT, and what Kamailio and baresip expect. The top Via still gets
///   `received`/`rport` so that proxies see the same.
/// - The endpoint, not the TU, retransmits a 2xx to INVITE until the ACK (T1 doubling to T2,
///   RFC 3261 §13.3.1.4) so no UA core can forget to; Timer L (64·T1) ends it with
///   [`EndpointEvent::TransactionTimeout`] if no ACK came.
#[derive(Debug)]
pub struct Endpoint {
    config: Config,
    rng: SmallRng,
    /// The latest `now` seen, so that time never runs backwards inside.
    now: Instant,
    next_id: u64,
    sent_by: HashMap<TransportKind, String>,
    // BTreeMaps: timers fire and events come out in id order, so traces replay.
    clients: BTreeMap<TxnId, ClientTxn>,
    servers: BTreeMap<TxnId, ServerTxn>,
    client_keys: HashMap<ClientKey, TxnId>,
    server_keys: HashMap<ServerKey, TxnId>,
    /// CANCELs waiting for their INVITE's first provisional response (RFC 3261 §9.1), by the
    /// INVITE's id.
    pending_cancels: BTreeMap<TxnId, (TxnId, Request)>,
    /// Every transaction's next timer deadline, ordered: a server answering thousands of
    /// requests a second keeps tens of thousands of completed transactions (Timer J/K,
    /// 64·T1), and scanning them all on each wake-up cost more than handling the request.
    /// Kept current by `settle_client`/`settle_server` after every change to a transaction.
    deadlines: BTreeSet<(Instant, TxnId)>,
    deadline_of: HashMap<TxnId, Instant>,
    out: Outbox,
}

impl Endpoint {
    /// An endpoint with no transactions; `now` is the earliest time it will ever see.
    pub fn new(config: Config, now: Instant) -> Self {
        Endpoint {
            rng: SmallRng::seed_from_u64(config.rng_seed),
            config,
            now,
            next_id: 0,
            sent_by: HashMap::new(),
            clients: BTreeMap::new(),
            servers: BTreeMap::new(),
            client_keys: HashMap::new(),
            server_keys: HashMap::new(),
            pending_cancels: BTreeMap::new(),
            deadlines: BTreeSet::new(),
            deadline_of: HashMap::new(),
            out: Outbox::default(),
        }
    }

    /// The sent-by (`host[:port]`) to put in the Via of requests sent over this transport.
    pub fn set_sent_by(&mut self, transport: TransportKind, sent_by: String) {
        self.sent_by.insert(transport, sent_by);
    }

    /// Fires every transaction timer due at `now`: clients first, then servers, each in id
    /// order, so traces replay.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.advance(now);
        let mut due: Vec<TxnId> = self
            .deadlines
            .iter()
            .take_while(|(at, _)| *at <= now)
            .map(|&(_, id)| id)
            .collect();
        due.sort_by_key(|id| (!self.clients.contains_key(id), *id));
        for id in due {
            if let Some(txn) = self.clients.get_mut(&id) {
                txn.handle_timeout(now, &mut self.out);
                self.settle_client(id);
            } else if let Some(txn) = self.servers.get_mut(&id) {
                txn.handle_timeout(now, &mut self.out);
                self.settle_server(id);
            } else {
                // Gone without being settled: the entry must not keep waking us.
                self.file_deadline(id, None);
            }
        }
    }

    /// The transport layer could not deliver to this remote (connection refused or closed):
    /// every transaction using it ends.
    pub fn handle_transport_error(&mut self, now: Instant, remote: Remote) {
        self.advance(now);
        let clients: Vec<TxnId> = self
            .clients
            .iter()
            .filter(|(_, t)| t.remote() == remote)
            .map(|(&id, _)| id)
            .collect();
        for id in clients {
            if let Some(txn) = self.clients.get_mut(&id) {
                txn.on_transport_error(&mut self.out);
            }
            self.settle_client(id);
        }
        let servers: Vec<TxnId> = self
            .servers
            .iter()
            .filter(|(_, t)| t.remote() == remote)
            .map(|(&id, _)| id)
            .collect();
        for id in servers {
            if let Some(txn) = self.servers.get_mut(&id) {
                txn.on_transport_error(&mut self.out);
            }
            self.settle_server(id);
        }
    }

    /// The next message to put on the wire, oldest first.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.transmits.pop_front()
    }

    /// The next event for the TU, oldest first.
    pub fn poll_event(&mut self) -> Option<EndpointEvent> {
        self.out.events.pop_front()
    }

    /// The earliest timer deadline of any transaction. Read from the index alone: were an
    /// entry ever stale, waking for it is harmless (an early timeout does nothing, and the
    /// transaction is filed again), whereas sleeping past a real deadline is not.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadlines.first().map(|&(at, _)| at)
    }

    /// Which transaction and timer [`poll_timeout`](Self::poll_timeout) is waiting for, for
    /// logs.
    pub fn timeout_reason(&self) -> Option<(TxnId, Timer)> {
        let &(_, id) = self.deadlines.first()?;
        let timer = match self.clients.get(&id) {
            Some(c) => c.next_timeout(),
            None => self.servers.get(&id).and_then(ServerTxn::next_timeout),
        };
        timer.map(|(_, timer)| (id, timer))
    }

    /// Whether a transaction is still open: tests watch them end.
    #[cfg(test)]
    pub(crate) fn is_open(&self, txn: TxnId) -> bool {
        self.clients.contains_key(&txn)
            || self.servers.contains_key(&txn)
            || self.pending_cancels.values().any(|(id, _)| *id == txn)
    }

    /// A fresh RFC 3261 branch (`z9hG4bK` and 16 random characters, §8.1.1.7).
    pub fn new_branch(&mut self) -> String {
        format!("{BRANCH_COOKIE}{}", self.random_token(16))
    }

    /// A fresh From/To tag (RFC 3261 §19.3 wants at least 32 random bits; these carry ~59).
    pub fn new_tag(&mut self) -> String {
        self.random_token(10)
    }

    /// A fresh Call-ID (RFC 3261 §8.1.1.4), random rather than derived from an address, which
    /// would leak it.
    pub fn new_call_id(&mut self) -> String {
        self.random_token(24)
    }

    fn random_token(&mut self, len: usize) -> String {
        crate::token::random(&mut self.rng, len)
    }

    /// The request that opened a transaction: as sent (with the Via we added) for a client
    /// one, as received (with `received`/`rport`) for a server INVITE; other server
    /// transactions keep only their responses. For auth retries and dialog creation.
    pub fn original_request(&self, txn: TxnId) -> Option<&Request> {
        if let Some(c) = self.clients.get(&txn) {
            return Some(c.request());
        }
        if let Some(s) = self.servers.get(&txn) {
            return s.invite();
        }
        self.pending_cancels
            .values()
            .find(|(id, _)| *id == txn)
            .map(|(_, req)| req)
    }

    fn advance(&mut self, now: Instant) -> Instant {
        self.now = self.now.max(now);
        self.now
    }

    fn next_id(&mut self) -> TxnId {
        self.next_id += 1;
        TxnId::new(self.next_id)
    }

    /// After any change to a client transaction: forgets it if it terminated (with a CANCEL
    /// that was waiting for it), else files its next deadline.
    fn settle_client(&mut self, id: TxnId) {
        if self.clients.get(&id).is_some_and(ClientTxn::is_terminated) {
            if let Some(txn) = self.clients.remove(&id) {
                self.client_keys.remove(txn.key());
            }
            self.pending_cancels.remove(&id);
        }
        let next = self.clients.get(&id).and_then(ClientTxn::next_timeout);
        self.file_deadline(id, next.map(|(at, _)| at));
    }

    /// The same for a server transaction.
    fn settle_server(&mut self, id: TxnId) {
        if self.servers.get(&id).is_some_and(ServerTxn::is_terminated) {
            if let Some(txn) = self.servers.remove(&id) {
                self.server_keys.remove(txn.key());
            }
        }
        let next = self.servers.get(&id).and_then(ServerTxn::next_timeout);
        self.file_deadline(id, next.map(|(at, _)| at));
    }

    fn file_deadline(&mut self, id: TxnId, at: Option<Instant>) {
        if let Some(old) = self.deadline_of.remove(&id) {
            self.deadlines.remove(&(old, id));
        }
        if let Some(at) = at {
            self.deadlines.insert((at, id));
            self.deadline_of.insert(id, at);
        }
    }
}
