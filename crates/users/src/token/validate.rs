//! Checking access tokens: the in-process validator and the checks every validator shares.

use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::{Claims, KeyRing};
use crate::clock::Clock;

/// Why a token was refused. Each reason maps to an RFC 6750 error code for the challenge.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// `exp` (plus leeway) has passed: the client should refresh.
    #[error("token has expired")]
    Expired,
    /// `nbf` (minus leeway) is still ahead: the clocks disagree.
    #[error("token is not valid yet")]
    NotYetValid,
    /// Signed by someone else's issuer.
    #[error("token has the wrong issuer")]
    WrongIssuer,
    /// Meant for another service.
    #[error("token is not meant for this service")]
    WrongAudience,
    /// The signature does not match the key named by `kid`.
    #[error("token signature is invalid")]
    BadSignature,
    /// Anything but RS256, which rules out `none` and HMAC with a public key as the secret.
    #[error("token algorithm {0:?} is not accepted")]
    UnsupportedAlgorithm(String),
    /// No published key has this id, even after refetching the JWKS.
    #[error("token signing key {0:?} is unknown")]
    UnknownKid(String),
    /// Not a well-formed JWT with the claims Halo issues.
    #[error("token is malformed: {0}")]
    Malformed(String),
    /// Valid, but lacks a scope the operation needs.
    #[error("token lacks the {0:?} scope")]
    InsufficientScope(String),
    /// The issuer's JWKS could not be fetched, so the token cannot be judged either way; this is
    /// the server's problem, not the client's.
    #[error("the issuer's keys are unavailable: {0}")]
    KeysUnavailable(#[source] reqwest::Error),
}

impl TokenError {
    /// The `error` parameter of a `WWW-Authenticate: Bearer` challenge (RFC 6750 §3.1), or `None`
    /// when the fault is the server's and the answer should be a 5xx instead of a challenge.
    pub fn rfc6750_code(&self) -> Option<&'static str> {
        match self {
            Self::InsufficientScope(_) => Some("insufficient_scope"),
            Self::KeysUnavailable(_) => None,
            Self::Expired
            | Self::NotYetValid
            | Self::WrongIssuer
            | Self::WrongAudience
            | Self::BadSignature
            | Self::UnsupportedAlgorithm(_)
            | Self::UnknownKid(_)
            | Self::Malformed(_) => Some("invalid_token"),
        }
    }
}

/// What a validator requires of a token besides a good signature.
#[derive(Debug, Clone)]
pub struct ValidationPolicy {
    /// The only accepted `iss`.
    pub issuer: String,
    /// Must be one of the token's `aud` values.
    pub audience: String,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
}

/// The parts of a JWT header that decide which key checks it.
#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    kid: Option<String>,
}

/// Reads the header without trusting it, refusing any algorithm but RS256 before a key is even
/// looked up. Returns the `kid`.
pub(super) fn signing_kid(token: &str) -> Result<String, TokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed(
            "not three dot-separated parts".into(),
        ));
    };
    let json = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| TokenError::Malformed("header is not base64url".into()))?;
    let header: RawHeader =
        serde_json::from_slice(&json).map_err(|e| TokenError::Malformed(format!("header: {e}")))?;
    if header.alg != "RS256" {
        return Err(TokenError::UnsupportedAlgorithm(header.alg));
    }
    header
        .kid
        .ok_or_else(|| TokenError::Malformed("header has no kid".into()))
}

/// Checks signature, issuer and audience with `jsonwebtoken`, then time against our clock
/// rather than the library's, so tests can move time.
pub(super) fn verify(
    token: &str,
    key: &DecodingKey,
    policy: &ValidationPolicy,
    now: i64,
) -> Result<Claims, TokenError> {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    validation.set_issuer(&[&policy.issuer]);
    validation.set_audience(&[&policy.audience]);
    let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => TokenError::BadSignature,
            ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
            ErrorKind::InvalidAudience => TokenError::WrongAudience,
            ErrorKind::InvalidAlgorithm => TokenError::UnsupportedAlgorithm("not RS256".into()),
            _ => TokenError::Malformed(e.to_string()),
        })?
        .claims;
    let leeway = i64::try_from(policy.leeway_secs).unwrap_or(i64::MAX);
    if now > claims.exp.saturating_add(leeway) {
        return Err(TokenError::Expired);
    }
    if now.saturating_add(leeway) < claims.nbf {
        return Err(TokenError::NotYetValid);
    }
    Ok(claims)
}

/// Validates tokens against this process's own signing keys, with no network involved: what the
/// registrar uses when it runs inside `halo-server`. Cheap to clone.
#[derive(Clone)]
pub struct TokenValidator {
    keys: Arc<KeyRing>,
    policy: ValidationPolicy,
    clock: Arc<dyn Clock>,
}

impl TokenValidator {
    pub(crate) fn new(keys: Arc<KeyRing>, policy: ValidationPolicy, clock: Arc<dyn Clock>) -> Self {
        Self {
            keys,
            policy,
            clock,
        }
    }

    /// Returns the claims of a valid token, or why it is not.
    pub fn validate(&self, token: &str) -> Result<Claims, TokenError> {
        let kid = signing_kid(token)?;
        let now = self.clock.now();
        let key = self
            .keys
            .decoding_key(&kid, now)
            .ok_or(TokenError::UnknownKid(kid))?;
        verify(token, &key, &self.policy, now)
    }
}

impl fmt::Debug for TokenValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenValidator")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}
