//! The registrar's side of Digest: issue challenges and verify credentials against a stored
//! `HA1`, so the password itself is never needed (RFC 3261 §22.4, RFC 7616 §3.4.2).

use super::digest::{constant_time_eq, expected_response};
use super::nonce::{NonceIssuer, NonceState};
use super::replay::{NcCheck, ReplayGuard};
use super::{Algorithm, DigestChallenge, DigestCredentials, Qop};

/// What a [`DigestServer`] offers and how long its nonces live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Realm of every challenge; credentials for another realm are denied.
    pub realm: String,
    /// One challenge per algorithm, strongest first, in the order RFC 8760 asks servers to list them.
    pub algorithms: Vec<Algorithm>,
    /// Qualities of protection offered; empty means RFC 2069 mode, which has no `nc` and so
    /// no replay protection.
    pub qop: Vec<Qop>,
    /// Seconds a nonce stays valid before it is answered as stale.
    pub nonce_max_age: u64,
    /// Nonces whose `nc` is tracked at once; size it above the registrations expected per
    /// `nonce_max_age`.
    pub replay_capacity: usize,
}

impl ServerConfig {
    /// SHA-256 then MD5 (for older phones), `qop=auth`, five-minute nonces, 4096 tracked.
    pub fn new(realm: impl Into<String>) -> Self {
        Self {
            realm: realm.into(),
            algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
            qop: vec![Qop::Auth],
            nonce_max_age: 300,
            replay_capacity: 4096,
        }
    }
}

/// The outcome of [`DigestServer::verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a request is only authorized on Verdict::Authorized"]
pub enum Verdict {
    /// Proceed with the request.
    Authorized,
    /// The response was right but the nonce expired: send
    /// [`DigestServer::challenges`] with `stale = true` (RFC 7616 §3.3).
    Stale,
    /// Refuse, with a fresh challenge (401/407) so a client holding the right password can
    /// still succeed.
    Denied(Denial),
}

/// Why credentials were denied; for logs, never for the client (which must not learn
/// whether the username or the password was wrong).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denial {
    /// The credentials name another realm.
    WrongRealm,
    /// An algorithm or qop the server did not offer: a downgrade attempt or a broken client.
    NotOffered,
    /// The nonce was not issued by this server's secret.
    UnknownNonce,
    /// The response does not match the stored `HA1`: wrong password (or wrong `HA1`).
    BadResponse,
    /// The nonce count did not increase: a replayed request (RFC 7616 §5.5).
    Replayed,
}

/// Issues challenges and verifies credentials for one realm.
///
/// Sans-IO: time arrives as `now_secs` (monotonic seconds chosen by the caller), the
/// account lookup stays with the caller, and the only state is the bounded replay map.
#[derive(Debug)]
pub struct DigestServer {
    config: ServerConfig,
    issuer: NonceIssuer,
    replay: ReplayGuard,
}

impl DigestServer {
    /// `secret` keys the nonce HMAC; see [`NonceIssuer::new`].
    pub fn new(config: ServerConfig, secret: &[u8]) -> Self {
        Self {
            replay: ReplayGuard::new(config.replay_capacity),
            issuer: NonceIssuer::new(secret),
            config,
        }
    }

    /// One challenge per configured algorithm sharing a fresh nonce, each to be sent in its own
    /// `WWW-Authenticate` (or `Proxy-Authenticate`) header field, in order.
    pub fn challenges(&mut self, now_secs: u64, stale: bool) -> Vec<DigestChallenge> {
        let nonce = self.issuer.issue(now_secs);
        self.config
            .algorithms
            .iter()
            .map(|&algorithm| DigestChallenge {
                realm: self.config.realm.clone(),
                nonce: nonce.clone(),
                opaque: None,
                algorithm: Some(algorithm),
                qop: self.config.qop.clone(),
                stale,
                domain: Vec::new(),
                userhash: false,
                extra: Vec::new(),
            })
            .collect()
    }

    /// Checks `credentials` for a request with `method` and `body`.
    ///
    /// `ha1` is the stored [`ha1`](super::ha1) of `credentials.username` for
    /// `credentials.algorithm_or_default()`. The caller compares `credentials.uri` with the
    /// Request-URI (RFC 3261 §22.4 leaves URI equivalence to the SIP URI rules of §19.1.4).
    ///
    /// The nonce count is recorded only after the response verifies, so forged requests
    /// cannot push a legitimate client's count forward.
    pub fn verify(
        &mut self,
        credentials: &DigestCredentials,
        ha1: &str,
        method: &str,
        body: &[u8],
        now_secs: u64,
    ) -> Verdict {
        if credentials.realm != self.config.realm {
            return Verdict::Denied(Denial::WrongRealm);
        }
        let offered_qop = match credentials.qop {
            Some(qop) => self.config.qop.contains(&qop),
            None => self.config.qop.is_empty(),
        };
        let algorithm = credentials.algorithm_or_default();
        if !offered_qop || !self.config.algorithms.contains(&algorithm) {
            return Verdict::Denied(Denial::NotOffered);
        }
        let Some(issued) = self.issuer.issued_at(&credentials.nonce) else {
            return Verdict::Denied(Denial::UnknownNonce);
        };
        let expected = expected_response(credentials, ha1, method, body);
        let given = credentials.response.to_ascii_lowercase();
        if !constant_time_eq(expected.as_bytes(), given.as_bytes()) {
            return Verdict::Denied(Denial::BadResponse);
        }
        let max_age = self.config.nonce_max_age;
        match NonceState::of(issued, now_secs, max_age) {
            NonceState::Valid => {}
            NonceState::Stale => return Verdict::Stale,
            NonceState::Invalid => return Verdict::Denied(Denial::UnknownNonce),
        }
        let Some(nc) = credentials.nc.filter(|_| credentials.qop.is_some()) else {
            return Verdict::Authorized;
        };
        let oldest_live = now_secs.saturating_sub(max_age);
        match self
            .replay
            .accept(&credentials.nonce, issued, nc, oldest_live)
        {
            NcCheck::Fresh => Verdict::Authorized,
            NcCheck::Replayed => Verdict::Denied(Denial::Replayed),
            NcCheck::Forgotten => Verdict::Stale,
        }
    }
}
