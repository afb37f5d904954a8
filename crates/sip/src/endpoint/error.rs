use crate::msg::ParseError;
use crate::transport::TransportKind;

/// Why the endpoint refused to send; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The transaction has ended (or never existed): its outcome was already reported.
    #[error("unknown transaction")]
    UnknownTransaction,
    /// The request lacks or has malformed mandatory headers (RFC 3261 §8.1.1); fix and retry.
    #[error("invalid request: {0}")]
    InvalidRequest(#[source] ParseError),
    /// The transaction cannot do this now: a final response was already sent, the INVITE was
    /// already cancelled or has its final response.
    #[error("not allowed in the transaction's current state")]
    WrongState,
    /// Only INVITE transactions can be cancelled (RFC 3261 §9.1).
    #[error("only an INVITE can be cancelled")]
    NotInvite,
    /// ACK has no client transaction (RFC 3261 §17.1.1.3, §13.2.2.4): use `send_stateless`.
    #[error("an ACK is sent with send_stateless")]
    AckIsStateless,
    /// A response status outside 100–699.
    #[error("invalid status code {0}")]
    InvalidStatus(u16),
    /// The endpoint does not know its address on this transport: call `set_sent_by` first,
    /// or put a Via in the request.
    #[error("no sent-by configured for {0}")]
    NoSentBy(TransportKind),
    /// Another live client transaction uses this branch and method; let the endpoint choose
    /// the branch (leave Via out).
    #[error("branch already in use")]
    BranchInUse,
    /// Too many transactions are open; retry once some complete.
    #[error("too many transactions")]
    TooManyTransactions,
}
