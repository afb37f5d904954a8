//! Access tokens (RS256 JWTs), their validation, and refresh tokens.

mod keys;
mod remote;
mod validate;

pub(crate) use keys::KeyRing;
pub use keys::{Jwk, Jwks, KeyError};
pub use remote::{RemoteConfig, RemoteValidator};
pub use validate::{TokenError, TokenValidator, ValidationPolicy};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::store::Role;

/// The scope that lets a token REGISTER with the SIP registrar.
pub const SCOPE_SIP_REGISTER: &str = "sip.register";

/// The claims of a Halo access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// The user's id.
    pub sub: Uuid,
    /// The HTTP API and the SIP registrar, so one token serves both.
    #[serde(deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Not before, Unix seconds.
    pub nbf: i64,
    /// Unique token id, for logs and any future deny-list.
    pub jti: Uuid,
    /// The user's username, so the registrar can match the AOR without a lookup.
    pub username: String,
    /// The user's roles at issue time.
    pub roles: Vec<Role>,
    /// Space-separated scopes (RFC 8693 §4.2).
    pub scope: String,
}

impl Claims {
    /// Whether the space-separated `scope` includes `wanted`.
    pub fn has_scope(&self, wanted: &str) -> bool {
        self.scope.split(' ').any(|s| s == wanted)
    }

    /// Like [`Claims::has_scope`], as an error the registrar can turn into an
    /// `insufficient_scope` challenge.
    pub fn require_scope(&self, wanted: &str) -> Result<(), TokenError> {
        if self.has_scope(wanted) {
            Ok(())
        } else {
            Err(TokenError::InsufficientScope(wanted.to_owned()))
        }
    }
}

/// RFC 7519 §4.1.3 lets `aud` be a single string; other issuers' tokens may use that form.
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(aud) => vec![aud],
        OneOrMany::Many(auds) => auds,
    })
}

/// A fresh refresh token value: 256 random bits, base64url. Only its hash is stored.
pub(crate) fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A plain SHA-256 suffices for refresh tokens, unlike passwords: they are random and long, so
/// there is nothing to guess, and the lookup by hash must be fast.
pub(crate) fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
