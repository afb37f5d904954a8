//! Client transactions: INVITE (RFC 3261 §17.1.1, Accepted from RFC 6026 §8.4) and
//! non-INVITE (§17.1.2).

use std::time::{Duration, Instant};

use super::derived::ack_for_non_2xx;
use super::key::ClientKey;
use super::timer::{Backoff, Timer, TimerConfig, TimerTable, TIMER_D};
use super::{Outbox, TxnId};
use crate::endpoint::EndpointEvent;
use crate::msg::{Method, Request, Response, SipMessage};
use crate::transport::Remote;

/// RFC 3261 Figures 5 and 6 in one enum: INVITE starts in `Calling`, others in `Trying`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientState {
    Calling,
    Trying,
    Proceeding,
    Completed,
    /// RFC 6026: a 2xx arrived; further 2xx (retransmitted or forked) still go to the TU.
    Accepted,
    Terminated,
}

#[derive(Debug)]
pub(crate) struct ClientTxn {
    id: TxnId,
    key: ClientKey,
    state: ClientState,
    request: Request,
    /// The request as sent, kept for retransmission.
    bytes: Vec<u8>,
    remote: Remote,
    config: TimerConfig,
    timers: TimerTable,
    backoff: Backoff,
    /// The ACK of a non-2xx final, sent again for every retransmission of that final.
    ack: Option<Vec<u8>>,
    /// A CANCEL went out for this INVITE; one is enough.
    cancelled: bool,
}

impl ClientTxn {
    /// Sends `request` and arms the retransmission (unreliable only) and timeout timers.
    pub(crate) fn start(
        id: TxnId,
        key: ClientKey,
        request: Request,
        remote: Remote,
        config: TimerConfig,
        now: Instant,
        out: &mut Outbox,
    ) -> ClientTxn {
        let invite = request.method == Method::Invite;
        // Timer A doubles without bound, Timer E stops at T2 (§17.1.1.2, §17.1.2.2).
        let (state, retransmit, timeout, cap) = if invite {
            (ClientState::Calling, Timer::A, Timer::B, None)
        } else {
            (ClientState::Trying, Timer::E, Timer::F, Some(config.t2))
        };
        let mut txn = ClientTxn {
            id,
            key,
            state,
            bytes: request.to_bytes(),
            request,
            remote,
            config,
            timers: TimerTable::default(),
            backoff: Backoff::new(config.t1, cap),
            ack: None,
            cancelled: false,
        };
        out.send(remote, txn.bytes.clone());
        if !remote.transport.is_reliable() {
            txn.timers
                .set(retransmit, now + txn.backoff.next_interval());
        }
        txn.timers.set(timeout, now + config.timeout());
        txn
    }

    pub(crate) fn key(&self) -> &ClientKey {
        &self.key
    }

    pub(crate) fn request(&self) -> &Request {
        &self.request
    }

    pub(crate) fn remote(&self) -> Remote {
        self.remote
    }

    pub(crate) fn state(&self) -> ClientState {
        self.state
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.state == ClientState::Terminated
    }

    pub(crate) fn next_timeout(&self) -> Option<(Instant, Timer)> {
        self.timers.next()
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled
    }

    fn is_invite(&self) -> bool {
        self.request.method == Method::Invite
    }

    /// A CANCEL went out for this INVITE. Timer B stopped with the first provisional response,
    /// but RFC 3261 §9.1 wants the INVITE given up if no final arrives 64·T1 after the CANCEL,
    /// so a UAS that ignores the CANCEL cannot keep the transaction forever.
    pub(crate) fn cancel_sent(&mut self, now: Instant) {
        self.cancelled = true;
        if self.state == ClientState::Proceeding {
            self.timers.set(Timer::B, now + self.config.timeout());
        }
    }

    pub(crate) fn on_response(&mut self, now: Instant, response: Response, out: &mut Outbox) {
        if self.is_invite() {
            self.on_invite_response(now, response, out);
        } else {
            self.on_non_invite_response(now, response, out);
        }
    }

    fn on_invite_response(&mut self, now: Instant, response: Response, out: &mut Outbox) {
        use ClientState::*;
        match (self.state, response.status) {
            (Calling | Proceeding, 100..=199) => {
                if self.state == Calling {
                    // §17.1.1.2: the request got through, stop retransmitting and timing out.
                    self.timers.stop(Timer::A);
                    self.timers.stop(Timer::B);
                    self.state = Proceeding;
                }
                self.deliver(response, out);
            }
            (Calling | Proceeding, 200..=299) => {
                // RFC 6026 §8.4: stay to pass further 2xx up, so the UAC core ACKs each.
                self.timers.stop_all();
                self.timers.set(Timer::M, now + self.config.timeout());
                self.state = Accepted;
                self.deliver(response, out);
            }
            (Calling | Proceeding, _) => {
                let ack = ack_for_non_2xx(&self.request, &response).to_bytes();
                out.send(self.remote, ack.clone());
                self.ack = Some(ack);
                self.deliver(response, out);
                self.complete(now, Timer::D, TIMER_D);
            }
            (Accepted, 200..=299) => self.deliver(response, out),
            (Completed, 300..) => {
                // §17.1.1.2: a retransmitted final means our ACK was lost; it is not news
                // for the TU.
                if let Some(ack) = &self.ack {
                    out.send(self.remote, ack.clone());
                }
            }
            // Late provisionals and finals after the outcome is known are absorbed.
            _ => {}
        }
    }

    fn on_non_invite_response(&mut self, now: Instant, response: Response, out: &mut Outbox) {
        use ClientState::*;
        match (self.state, response.is_provisional()) {
            (Trying | Proceeding, true) => {
                // §17.1.2.2: retransmissions continue, but every T2.
                self.backoff.saturate();
                self.state = Proceeding;
                self.deliver(response, out);
            }
            (Trying | Proceeding, false) => {
                self.deliver(response, out);
                self.complete(now, Timer::K, self.config.t4);
            }
            // Retransmitted finals in Completed are absorbed: the TU hears one final only.
            _ => {}
        }
    }

    /// Enters Completed to absorb retransmissions for `wait`, or terminates at once on a
    /// reliable transport, where there are none (Timers D and K are zero, §17.1.1.2, §17.1.2.2).
    fn complete(&mut self, now: Instant, timer: Timer, wait: Duration) {
        self.timers.stop_all();
        if self.remote.transport.is_reliable() {
            self.state = ClientState::Terminated;
        } else {
            self.state = ClientState::Completed;
            self.timers.set(timer, now + wait);
        }
    }

    fn deliver(&self, response: Response, out: &mut Outbox) {
        out.event(EndpointEvent::Response {
            txn: self.id,
            response,
        });
    }

    /// Fires every timer due at `now`, earliest first.
    pub(crate) fn handle_timeout(&mut self, now: Instant, out: &mut Outbox) {
        while let Some(timer) = self.timers.pop_expired(now) {
            self.on_timer(now, timer, out);
        }
    }

    fn on_timer(&mut self, now: Instant, timer: Timer, out: &mut Outbox) {
        use ClientState::*;
        match (timer, self.state) {
            (Timer::A, Calling) | (Timer::E, Trying | Proceeding) => {
                out.send(self.remote, self.bytes.clone());
                self.timers.set(timer, now + self.backoff.next_interval());
            }
            (Timer::B | Timer::F, _) => {
                self.terminate();
                out.event(EndpointEvent::TransactionTimeout { txn: self.id });
            }
            (Timer::D | Timer::K | Timer::M, _) => self.terminate(),
            // Retransmission timers are stopped on every state change, so a stale one cannot
            // be due; the server-only timers are never set here.
            _ => {}
        }
    }

    /// RFC 3261 §17.1.4: the TU learns of the failure if it still waits for an outcome.
    pub(crate) fn on_transport_error(&mut self, out: &mut Outbox) {
        let open = matches!(
            self.state,
            ClientState::Calling | ClientState::Trying | ClientState::Proceeding
        );
        self.terminate();
        if open {
            out.event(EndpointEvent::TransportFailed { txn: self.id });
        }
    }

    fn terminate(&mut self) {
        self.timers.stop_all();
        self.state = ClientState::Terminated;
    }
}
