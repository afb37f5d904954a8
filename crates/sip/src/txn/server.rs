//! Server transactions: INVITE (RFC 3261 §17.2.1, Accepted from RFC 6026 §8.7) and
//! non-INVITE (§17.2.2).

use std::time::{Duration, Instant};

use super::key::ServerKey;
use super::timer::{Backoff, Timer, TimerConfig, TimerTable, AUTO_TRYING_DELAY};
use super::{Outbox, TxnId};
use crate::endpoint::{EndpointEvent, SendError};
use crate::msg::{Method, Request, Response, SipMessage};
use crate::transport::Remote;

/// RFC 3261 Figures 7 and 8 in one enum: INVITE starts in `Proceeding`, others in `Trying`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ServerState {
    Trying,
    Proceeding,
    Completed,
    Confirmed,
    /// RFC 6026: a 2xx was sent; retransmitted INVITEs are absorbed until Timer L.
    Accepted,
    Terminated,
}

#[derive(Debug)]
pub(crate) struct ServerTxn {
    id: TxnId,
    key: ServerKey,
    state: ServerState,
    method: Method,
    /// An INVITE is kept whole: its 100 Trying and the matching of its ACK need it. Other
    /// requests are not: a completed non-INVITE transaction lingers 32 s (Timer J) to answer
    /// retransmissions, and under load those lingering copies were most of the endpoint's
    /// memory.
    invite: Option<Request>,
    /// Where the request came from, and so where every response goes (see `Endpoint`).
    remote: Remote,
    config: TimerConfig,
    timers: TimerTable,
    /// Timer G, or the 2xx retransmission: both T1 doubling up to T2.
    backoff: Backoff,
    /// The latest response as sent, resent for retransmitted requests and by Timer G.
    last_sent: Option<Vec<u8>>,
    /// The To tag of the latest response to an INVITE, for the 200 to a CANCEL.
    to_tag: Option<String>,
    /// Accepted only: the ACK of our 2xx arrived, so retransmitting stops and Timer L ends the
    /// transaction quietly.
    acked: bool,
}

impl ServerTxn {
    pub(crate) fn new(
        id: TxnId,
        key: ServerKey,
        request: &Request,
        remote: Remote,
        config: TimerConfig,
        now: Instant,
    ) -> ServerTxn {
        let mut timers = TimerTable::default();
        let method = request.method.clone();
        let state = if method == Method::Invite {
            // §17.2.1: a 100 within 200 ms stops the client's Timer A; the TU may beat it.
            timers.set(Timer::AutoTrying, now + AUTO_TRYING_DELAY);
            ServerState::Proceeding
        } else {
            ServerState::Trying
        };
        ServerTxn {
            id,
            key,
            state,
            invite: (method == Method::Invite).then(|| request.clone()),
            method,
            remote,
            config,
            timers,
            backoff: Backoff::new(config.t1, Some(config.t2)),
            last_sent: None,
            to_tag: None,
            acked: false,
        }
    }

    pub(crate) fn key(&self) -> &ServerKey {
        &self.key
    }

    /// The INVITE that opened this transaction; other requests are not kept.
    pub(crate) fn invite(&self) -> Option<&Request> {
        self.invite.as_ref()
    }

    pub(crate) fn remote(&self) -> Remote {
        self.remote
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.state == ServerState::Terminated
    }

    pub(crate) fn next_timeout(&self) -> Option<(Instant, Timer)> {
        self.timers.next()
    }

    /// Answered for good and only absorbing retransmissions until its timer ends it:
    /// Completed non-INVITE (Timer J) or Confirmed INVITE (Timer I). Ending one early costs
    /// at most a late retransmission seen as a new request.
    pub(crate) fn is_lingering(&self) -> bool {
        match self.state {
            ServerState::Completed => !self.is_invite(),
            ServerState::Confirmed => true,
            _ => false,
        }
    }

    fn is_invite(&self) -> bool {
        self.method == Method::Invite
    }

    fn reliable(&self) -> bool {
        self.remote.transport.is_reliable()
    }

    /// An INVITE that has no final response yet: a CANCEL for it makes the TU answer 487.
    pub(crate) fn is_cancellable(&self) -> bool {
        self.is_invite() && self.state == ServerState::Proceeding
    }

    /// The To tag of the latest response, which the 200 to a CANCEL should repeat (§9.2).
    pub(crate) fn to_tag(&self) -> Option<String> {
        self.to_tag.clone()
    }

    /// Whether `ack` acknowledges the 2xx this transaction sent: ACKs of 2xx carry a new branch
    /// (RFC 3261 §13.2.2.4), so they match by Call-ID and CSeq number, as a dialog would.
    pub(crate) fn is_acked_by(&self, ack: &Request) -> bool {
        let Some(invite) = &self.invite else {
            return false;
        };
        self.state == ServerState::Accepted
            && ack.call_id().ok() == invite.call_id().ok()
            && ack.cseq().ok().map(|c| c.seq) == invite.cseq().ok().map(|c| c.seq)
    }

    /// The request arrived again.
    pub(crate) fn on_retransmission(&mut self, out: &mut Outbox) {
        match self.state {
            // §17.2.1, §17.2.2: the response may have been lost, send it again.
            ServerState::Proceeding | ServerState::Completed => self.resend(out),
            // Trying: nothing to resend yet. Confirmed, Accepted: absorbed (RFC 6026 §7.1).
            _ => {}
        }
    }

    /// Sends a response from the TU.
    pub(crate) fn send_response(
        &mut self,
        now: Instant,
        response: Response,
        out: &mut Outbox,
    ) -> Result<(), SendError> {
        use ServerState::*;
        let status = response.status;
        let final_state = match (self.state, status) {
            (Trying | Proceeding, 100..=199) => Proceeding,
            (Trying | Proceeding, 200..=299) if self.is_invite() => Accepted,
            (Trying | Proceeding, _) => Completed,
            // RFC 6026 §7.1: a 2xx the UAS core sends again passes straight through.
            (Accepted, 200..=299) => Accepted,
            _ => return Err(SendError::WrongState),
        };
        self.timers.stop(Timer::AutoTrying);
        self.remember(&response, out);
        if final_state == self.state {
            return Ok(());
        }
        self.state = final_state;
        let unreliable = !self.reliable();
        match final_state {
            Accepted => {
                // RFC 3261 §13.3.1.4 makes the UAS core retransmit its 2xx until the ACK;
                // doing it here means no TU can forget it. Timer L bounds it (RFC 6026).
                if unreliable {
                    self.timers
                        .set(Timer::Retransmit2xx, now + self.backoff.next_interval());
                }
                self.timers.set(Timer::L, now + self.config.timeout());
            }
            Completed if self.is_invite() => {
                if unreliable {
                    self.timers
                        .set(Timer::G, now + self.backoff.next_interval());
                }
                self.timers.set(Timer::H, now + self.config.timeout());
            }
            Completed => self.wait_or_terminate(now, Timer::J, self.config.timeout()),
            _ => {}
        }
        Ok(())
    }

    /// An ACK matched this transaction. Returns whether it acknowledges our 2xx for the first
    /// time, the one case the TU must hear of; ACKs of non-2xx and repeated ACKs are absorbed.
    pub(crate) fn on_ack(&mut self, now: Instant) -> bool {
        match self.state {
            ServerState::Completed => {
                // §17.2.1: stop retransmitting and timing out; linger for ACK retransmissions.
                self.timers.stop(Timer::G);
                self.timers.stop(Timer::H);
                self.wait_or_terminate(now, Timer::I, self.config.t4);
                if self.state == ServerState::Completed {
                    self.state = ServerState::Confirmed;
                }
                false
            }
            ServerState::Accepted if !self.acked => {
                self.acked = true;
                self.timers.stop(Timer::Retransmit2xx);
                true
            }
            _ => false,
        }
    }

    /// Arms a wait timer on an unreliable transport; on a reliable one there is nothing to
    /// wait for (Timers I and J are zero) and the transaction ends now.
    fn wait_or_terminate(&mut self, now: Instant, timer: Timer, wait: Duration) {
        if self.reliable() {
            self.terminate();
        } else {
            self.timers.set(timer, now + wait);
        }
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant, out: &mut Outbox) {
        while let Some(timer) = self.timers.pop_expired(now) {
            self.on_timer(now, timer, out);
        }
    }

    fn on_timer(&mut self, now: Instant, timer: Timer, out: &mut Outbox) {
        use ServerState::*;
        match (timer, self.state) {
            (Timer::AutoTrying, Proceeding) if self.last_sent.is_none() => {
                if let Some(invite) = &self.invite {
                    let trying = Response::to_request(invite, 100, "Trying");
                    self.remember(&trying, out);
                }
            }
            (Timer::G, Completed) | (Timer::Retransmit2xx, Accepted) => {
                self.resend(out);
                self.timers.set(timer, now + self.backoff.next_interval());
            }
            (Timer::H, Completed) => {
                // §17.2.1: the ACK never came; the TU should know the final was not received.
                self.terminate();
                out.event(EndpointEvent::TransactionTimeout { txn: self.id });
            }
            (Timer::L, Accepted) => {
                let acked = self.acked;
                self.terminate();
                if !acked {
                    // No ACK for our 2xx in 64·T1: the dialog is dead (§13.3.1.4), BYE it.
                    out.event(EndpointEvent::TransactionTimeout { txn: self.id });
                }
            }
            (Timer::I | Timer::J, _) => self.terminate(),
            // A timer that belongs to a state we have left: states stop what they no longer
            // need, so this is only the AutoTrying a TU response overtook.
            _ => {}
        }
    }

    /// Sends `response` and keeps its bytes for retransmissions.
    fn remember(&mut self, response: &Response, out: &mut Outbox) {
        let bytes = response.to_bytes();
        // The copy is the one kept: it has no spare capacity.
        self.last_sent = Some(bytes.clone());
        out.send(self.remote, bytes);
        if self.is_invite() {
            self.to_tag = response
                .to_header()
                .ok()
                .and_then(|to| to.tag().map(str::to_owned));
        }
    }

    fn resend(&self, out: &mut Outbox) {
        if let Some(bytes) = &self.last_sent {
            out.send(self.remote, bytes.clone());
        }
    }

    /// RFC 3261 §17.2.4: tell the TU if it still has something to learn.
    pub(crate) fn on_transport_error(&mut self, out: &mut Outbox) {
        let open = match self.state {
            ServerState::Trying | ServerState::Proceeding | ServerState::Completed => true,
            ServerState::Accepted => !self.acked,
            ServerState::Confirmed | ServerState::Terminated => false,
        };
        self.terminate();
        if open {
            out.event(EndpointEvent::TransportFailed { txn: self.id });
        }
    }

    fn terminate(&mut self) {
        self.timers.stop_all();
        self.state = ServerState::Terminated;
    }
}
