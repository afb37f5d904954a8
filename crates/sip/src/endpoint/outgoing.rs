//! Everything the TU sends: requests in new client transactions, responses in server
//! transactions, CANCEL, and stateless messages.

use std::time::Instant;

use super::{Endpoint, SendError};
use crate::msg::{Message, Method, ParseError, Request, Response, SipMessage, Via};
use crate::transport::{Remote, TransportKind};
use crate::txn::{cancel_for, ClientKey, ClientState, ClientTxn, TxnId};

impl Endpoint {
    /// Starts a client transaction for `req` towards `to`.
    ///
    /// Fills in what RFC 3261 §8.1.1 requires and the TU may leave out: a top Via
    /// `SIP/2.0/<T> <sent-by>;branch=z9hG4bK…;rport` (RFC 3581) if there is none, a branch if
    /// the top Via lacks one, `Max-Forwards: 70`, and the configured `User-Agent`.
    /// `Content-Length` is always written from the body.
    pub fn send_request(
        &mut self,
        now: Instant,
        mut req: Request,
        to: Remote,
    ) -> Result<TxnId, SendError> {
        let now = self.admit(now, &req)?;
        self.complete_via(&mut req, to.transport)?;
        if !req.headers.contains("Max-Forwards") {
            req.headers.push("Max-Forwards", "70");
        }
        if let Some(ua) = &self.config.user_agent {
            if !req.headers.contains("User-Agent") {
                req.headers.push("User-Agent", ua.clone());
            }
        }
        self.start_checked(now, req, to)
    }

    /// Starts a client transaction for a request a proxy relays (RFC 3261 §16.6).
    ///
    /// Unlike [`send_request`](Self::send_request), which completes a UA's own request, this
    /// always pushes a new top Via with our sent-by and a fresh branch: the upstream Vias stay
    /// below it so the response can find its way back, and the transaction is keyed on our
    /// branch alone. Max-Forwards, Route and Record-Route are the proxy's business.
    pub fn forward_request(
        &mut self,
        now: Instant,
        mut req: Request,
        to: Remote,
    ) -> Result<TxnId, SendError> {
        let now = self.admit(now, &req)?;
        self.push_via(&mut req, to.transport)?;
        self.start_checked(now, req, to)
    }

    /// Advances the clock and refuses what can never be a client transaction.
    fn admit(&mut self, now: Instant, req: &Request) -> Result<Instant, SendError> {
        let now = self.advance(now);
        if req.method == Method::Ack {
            return Err(SendError::AckIsStateless);
        }
        if self.clients.len() >= self.config.max_transactions {
            return Err(SendError::TooManyTransactions);
        }
        Ok(now)
    }

    /// Validates a completed request and starts its client transaction.
    fn start_checked(
        &mut self,
        now: Instant,
        req: Request,
        to: Remote,
    ) -> Result<TxnId, SendError> {
        req.validate().map_err(SendError::InvalidRequest)?;
        let key = ClientKey::for_request(&req)
            .ok_or_else(|| SendError::InvalidRequest(ParseError::new("Via without branch")))?;
        if self.client_keys.contains_key(&key) {
            return Err(SendError::BranchInUse);
        }
        let id = self.next_id();
        self.start_client(now, id, key, req, to);
        Ok(id)
    }

    fn start_client(&mut self, now: Instant, id: TxnId, key: ClientKey, req: Request, to: Remote) {
        let txn = ClientTxn::start(
            id,
            key.clone(),
            req,
            to,
            self.config.timers,
            now,
            &mut self.out,
        );
        self.client_keys.insert(key, id);
        self.clients.insert(id, txn);
        self.settle_client(id);
    }

    /// Pushes our Via if the request has none, or gives the top Via a branch if it lacks one.
    fn complete_via(
        &mut self,
        req: &mut Request,
        transport: TransportKind,
    ) -> Result<(), SendError> {
        if req.headers.contains("Via") {
            let mut via = req.top_via().map_err(SendError::InvalidRequest)?;
            if via.branch().is_none_or(str::is_empty) {
                via.params.set("branch", Some(&self.new_branch()));
                req.headers.replace_first("Via", via.to_string());
            }
            return Ok(());
        }
        self.push_via(req, transport)
    }

    /// Pushes `Via: SIP/2.0/<T> <sent-by>;branch=<fresh>;rport` on top.
    fn push_via(&mut self, req: &mut Request, transport: TransportKind) -> Result<(), SendError> {
        let sent_by = self
            .sent_by
            .get(&transport)
            .ok_or(SendError::NoSentBy(transport))?
            .clone();
        let branch = self.new_branch();
        let via = format!("SIP/2.0/{transport} {sent_by};branch={branch};rport");
        // Validate what we write: a bad sent-by must fail here, not at the peer.
        Via::parse(&via).map_err(SendError::InvalidRequest)?;
        req.headers.push_front("Via", via);
        Ok(())
    }

    /// Responds within a server transaction, provisional or final. The TU sets the To tag
    /// (RFC 3261 §8.2.6.2); the endpoint sends the response to where the request came from.
    pub fn send_response(
        &mut self,
        now: Instant,
        txn: TxnId,
        resp: Response,
    ) -> Result<(), SendError> {
        let now = self.advance(now);
        if !(100..=699).contains(&resp.status) {
            return Err(SendError::InvalidStatus(resp.status));
        }
        let server = self
            .servers
            .get_mut(&txn)
            .ok_or(SendError::UnknownTransaction)?;
        let result = server.send_response(now, resp, &mut self.out);
        self.settle_server(txn);
        result
    }

    /// CANCELs a pending client INVITE (RFC 3261 §9.1) and returns the CANCEL's transaction.
    ///
    /// The CANCEL copies the INVITE's Request-URI, Call-ID, From, To, CSeq number, top Via
    /// (so its branch) and Route. It goes out once a provisional response has arrived, as §9.1
    /// requires; until then it waits. If the INVITE ends before any provisional response,
    /// the CANCEL is never sent and its id reports nothing: the INVITE's own outcome says it all.
    pub fn cancel(&mut self, now: Instant, invite: TxnId) -> Result<TxnId, SendError> {
        let now = self.advance(now);
        let txn = self
            .clients
            .get(&invite)
            .ok_or(SendError::UnknownTransaction)?;
        if txn.request().method != Method::Invite {
            return Err(SendError::NotInvite);
        }
        let state = txn.state();
        let pending = matches!(state, ClientState::Calling | ClientState::Proceeding);
        if !pending || txn.is_cancelled() || self.pending_cancels.contains_key(&invite) {
            return Err(SendError::WrongState);
        }
        let cancel = cancel_for(txn.request());
        let id = self.next_id();
        if state == ClientState::Proceeding {
            self.send_cancel(now, invite, id, cancel);
        } else {
            self.pending_cancels.insert(invite, (id, cancel));
        }
        Ok(id)
    }

    pub(super) fn send_cancel(&mut self, now: Instant, invite: TxnId, id: TxnId, cancel: Request) {
        let Some(txn) = self.clients.get_mut(&invite) else {
            return;
        };
        txn.cancel_sent(now);
        let to = txn.remote();
        self.settle_client(invite);
        // The key exists: cancel_for copied the INVITE's branched top Via.
        if let Some(key) = ClientKey::for_request(&cancel) {
            self.start_client(now, id, key, cancel, to);
        }
    }

    /// Sends outside any transaction: the ACK of a 2xx, a stateless response, a keep-alive.
    /// A request without Via gets one with a fresh branch (if a sent-by is known), and
    /// `Max-Forwards: 70` if it has none; nothing is retransmitted.
    pub fn send_stateless(&mut self, mut msg: Message, to: Remote) {
        if let Message::Request(req) = &mut msg {
            if !req.headers.contains("Via") {
                if let Some(sent_by) = self.sent_by.get(&to.transport).cloned() {
                    let branch = self.new_branch();
                    req.headers.push_front(
                        "Via",
                        format!("SIP/2.0/{} {sent_by};branch={branch};rport", to.transport),
                    );
                }
            }
            if !req.headers.contains("Max-Forwards") {
                req.headers.push("Max-Forwards", "70");
            }
        }
        self.out.send(to, msg.to_bytes());
    }
}
