use crate::msg::{Request, Response};
use crate::transport::Remote;
use crate::txn::TxnId;

/// What the endpoint tells its transaction user (the UA core: dialogs, registrations,
/// subscriptions). Drained with [`Endpoint::poll_event`](super::Endpoint::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndpointEvent {
    /// A request opened a server transaction; answer it with
    /// [`Endpoint::send_response`](super::Endpoint::send_response). Never an ACK or a CANCEL:
    /// those have their own events. Retransmissions of the request do not repeat this.
    /// The transaction lives until the TU sends a final response (RFC 3261 §17.2 has no
    /// timer for a silent TU), so every one must be answered.
    IncomingRequest {
        txn: TxnId,
        request: Request,
        from: Remote,
    },
    /// An ACK that no transaction absorbs: the ACK of a 2xx (RFC 3261 §13.3.1.4), which belongs
    /// to the dialog. Emitted once per 2xx while its INVITE transaction lives, and for every ACK
    /// that matches nothing.
    IncomingAck { request: Request, from: Remote },
    /// A CANCEL matched a server INVITE transaction that has no final response yet. The
    /// endpoint has already answered the CANCEL with 200; the TU must now answer the INVITE
    /// with 487 (RFC 3261 §9.2).
    CancelReceived { invite: TxnId, cancel: Request },
    /// A response for a client transaction: every provisional, the final, and for INVITE every
    /// 2xx (retransmitted or forked) while the transaction is Accepted, so that the UAC core
    /// ACKs each one (RFC 6026 §8.4). Retransmitted non-2xx finals are absorbed.
    Response { txn: TxnId, response: Response },
    /// The transaction gave up: no final in 64·T1 (Timer B, F), no ACK for our non-2xx final
    /// (Timer H) or for our 2xx (Timer L; the TU should send BYE, RFC 3261 §13.3.1.4).
    TransactionTimeout { txn: TxnId },
    /// The transport could not reach the remote of a transaction still waiting for an
    /// outcome (RFC 3261 §17.1.4, §17.2.4); the transaction has ended.
    TransportFailed { txn: TxnId },
    /// A response no client transaction matches, such as a 2xx retransmitted after Timer M:
    /// a UAC core with the dialog may ACK it again.
    StrayResponse { response: Response, from: Remote },
    /// Input that was discarded: a malformed response, or bytes too broken to answer. For
    /// logs only.
    Dropped { reason: String, from: Remote },
}
