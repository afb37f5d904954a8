//! RFC 3261 §17 transactions, with the RFC 6026 Accepted states.
//!
//! A transaction is a plain state machine owned by the [`Endpoint`](crate::endpoint::Endpoint):
//! the endpoint matches each message to it, hands it the current `Instant`, and collects what it
//! wants sent or reported in an `Outbox`. Only the ids, the timer names and their configuration
//! are public; everything else is reached through the endpoint.

mod client;
mod derived;
mod key;
mod server;
mod timer;

use std::collections::VecDeque;
use std::fmt;

use crate::endpoint::EndpointEvent;
use crate::transport::{Remote, Transmit};

pub(crate) use client::{ClientState, ClientTxn};
pub(crate) use derived::cancel_for;
pub(crate) use key::{ClientKey, ServerKey};
pub(crate) use server::ServerTxn;
pub use timer::{Timer, TimerConfig};

/// Names one client or server transaction for as long as it lives; never reused by an
/// endpoint, so a stale id is simply unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TxnId(u64);

impl TxnId {
    pub(crate) fn new(n: u64) -> TxnId {
        TxnId(n)
    }
}

impl fmt::Display for TxnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "txn#{}", self.0)
    }
}

/// What transactions produce, in order, until the endpoint's `poll_*` methods drain it.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) events: VecDeque<EndpointEvent>,
}

impl Outbox {
    pub(crate) fn send(&mut self, remote: Remote, bytes: Vec<u8>) {
        self.transmits.push_back(Transmit { remote, bytes });
    }

    pub(crate) fn event(&mut self, event: EndpointEvent) {
        self.events.push_back(event);
    }
}
