//! Who the users are: the registrar asks, the users service answers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sip::auth::Algorithm;
use users::{AppState, DigestAlgorithm, TokenValidator, SCOPE_SIP_REGISTER};

/// Why a Bearer token was refused, in RFC 6750 terms for the challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRejection {
    /// `invalid_token` or `insufficient_scope` (RFC 6750 §3.1).
    pub code: &'static str,
    /// For the `error_description`.
    pub description: String,
}

/// The accounts a registrar serves. Calls are short and synchronous (a SQLite lookup).
pub trait Accounts: Send + 'static {
    /// The stored HA1 of an enabled user for `algorithm`'s hash, or `None`. May come from a
    /// cache, so a changed password or a disabled account may take a short while to show.
    fn ha1(&self, username: &str, algorithm: Algorithm) -> Option<String>;
    /// The same, read from the source now: asked when a response did not match a cached HA1,
    /// so that a new password works at once.
    fn fresh_ha1(&self, username: &str, algorithm: Algorithm) -> Option<String> {
        self.ha1(username, algorithm)
    }
    /// The username a token was issued to, if it is valid for SIP.
    fn validate_token(&self, token: &str) -> Result<String, TokenRejection>;
    /// Whether `username` is an account (for 404 versus 480).
    fn exists(&self, username: &str) -> bool;
}

/// How long a looked-up HA1 is reused. The lookup (a SQLite query, parsed each time by the
/// users store) was a seventh of the registrar's CPU under REGISTER load. The price: an old
/// password, or a disabled account, keeps working for Digest up to this long after the
/// change; a new password works at once (see [`Accounts::fresh_ha1`]).
const HA1_TTL: Duration = Duration::from_secs(10);

/// Cached HA1 values (or their absence) by user and stored hash, with when they were read.
type Ha1Cache = HashMap<(String, DigestAlgorithm), (Option<String>, Instant)>;

/// The users service of the same process.
#[derive(Debug, Clone)]
pub struct UsersAccounts {
    state: AppState,
    validator: TokenValidator,
    ha1_cache: Arc<Mutex<Ha1Cache>>,
}

impl UsersAccounts {
    /// Validates tokens in-process with the service's own keys.
    pub fn new(state: AppState) -> UsersAccounts {
        let validator = state.sip_token_validator();
        UsersAccounts {
            state,
            validator,
            ha1_cache: Arc::default(),
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Ha1Cache> {
        // Only the registrar's task uses it; a panic elsewhere cannot leave it half-written.
        self.ha1_cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The users store keeps one HA1 per hash family; the -sess variants start from the same HA1
/// (RFC 7616 §3.4.2).
fn stored_family(algorithm: Algorithm) -> Option<DigestAlgorithm> {
    match algorithm {
        Algorithm::Md5 | Algorithm::Md5Sess => Some(DigestAlgorithm::Md5),
        Algorithm::Sha256 | Algorithm::Sha256Sess => Some(DigestAlgorithm::Sha256),
        _ => None,
    }
}

impl Accounts for UsersAccounts {
    fn ha1(&self, username: &str, algorithm: Algorithm) -> Option<String> {
        let family = stored_family(algorithm)?;
        let key = (username.to_owned(), family);
        if let Some((ha1, at)) = self.cache().get(&key) {
            if at.elapsed() < HA1_TTL {
                return ha1.clone();
            }
        }
        self.fresh_ha1(username, algorithm)
    }

    fn fresh_ha1(&self, username: &str, algorithm: Algorithm) -> Option<String> {
        let family = stored_family(algorithm)?;
        match self.state.digest_ha1(username, family) {
            Ok(ha1) => {
                let mut cache = self.cache();
                // Bounded by the number of accounts, plus names tried that do not exist:
                // forget everything stale once it grows, rather than track ages.
                if cache.len() > 100_000 {
                    cache.retain(|_, (_, at)| at.elapsed() < HA1_TTL);
                }
                cache.insert((username.to_owned(), family), (ha1.clone(), Instant::now()));
                ha1
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading HA1 failed");
                None
            }
        }
    }

    fn validate_token(&self, token: &str) -> Result<String, TokenRejection> {
        let claims = self
            .validator
            .validate(token)
            .and_then(|c| c.require_scope(SCOPE_SIP_REGISTER).map(|()| c))
            .map_err(|e| TokenRejection {
                code: e.rfc6750_code().unwrap_or("invalid_token"),
                description: e.to_string(),
            })?;
        Ok(claims.username)
    }

    fn exists(&self, username: &str) -> bool {
        self.state.user_by_name(username).is_ok()
    }
}
