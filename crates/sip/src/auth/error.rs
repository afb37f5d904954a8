//! Errors of the auth module, one enum per layer: parsing a header value, and answering a
//! challenge.

/// A `WWW-Authenticate`, `Proxy-Authenticate`, `Authorization` or `Proxy-Authorization` value
/// could not be understood.
///
/// A client ignores a challenge that fails to parse (another header field may carry one it
/// supports); a server answers credentials that fail to parse with 400 (Bad Request).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The grammar broke at byte `offset` of the value.
    #[error("expected {expected} at byte {offset}")]
    Syntax {
        /// Byte offset into the header value.
        offset: usize,
        /// What the grammar wanted there.
        expected: &'static str,
    },
    /// A scheme other than `Digest` or `Bearer` (for example `Basic`, which SIP forbids,
    /// RFC 3261 §22.1).
    #[error("unsupported authentication scheme {0:?}")]
    UnsupportedScheme(String),
    /// A Digest `algorithm` outside RFC 7616 §3.3 / RFC 8760 (for example IMS `AKAv1-MD5`).
    #[error("unsupported digest algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// A `qop` naming no option we implement; answering without qop would be refused.
    #[error("unsupported qop {0:?}")]
    UnsupportedQop(String),
    /// A parameter the scheme requires is absent.
    #[error("missing parameter {0}")]
    MissingParam(&'static str),
    /// A known parameter has a value outside its grammar (`stale=maybe`, `nc=1`).
    #[error("invalid value for parameter {0}")]
    InvalidParam(&'static str),
    /// A parameter occurs twice; RFC 7235 §2.1 forbids it, and picking one would let an
    /// intermediary smuggle a value past whichever copy a peer checks.
    #[error("duplicate parameter {0:?}")]
    DuplicateParam(String),
    /// The Bearer token is not a `token68` (RFC 7235 §2.1, RFC 6750 §2.1).
    #[error("bearer token is not a token68")]
    InvalidToken,
}

/// Why [`Authenticator`](super::Authenticator) produced no credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// We already answered this realm for the current request and the server challenged again
    /// without `stale=true`: the credentials are wrong (RFC 3261 §22.2). Stop retrying and ask
    /// the user, instead of looping.
    #[error("credentials for realm {realm:?} were rejected")]
    Rejected {
        /// The realm whose credentials failed.
        realm: String,
    },
    /// None of the offered challenges can be answered: unsupported schemes only, or `Bearer`
    /// without a configured token. Treat the response as final.
    #[error("no challenge offered can be answered")]
    NoUsableChallenge,
}
