//! Validating tokens of a users service in another process, through its published JWKS.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use jsonwebtoken::DecodingKey;

use super::validate::{signing_kid, verify, TokenError, ValidationPolicy};
use super::{Claims, Jwks};
use crate::clock::Clock;

/// Where to fetch keys from and how often at most.
#[derive(Debug, Clone)]
pub struct RemoteConfig {
    /// The JWKS URL, e.g. `https://example.org/auth/jwks.json`.
    pub jwks_url: String,
    /// The shortest time between two fetches. Tokens with made-up `kid`s each ask for a refetch;
    /// this bound keeps a flood of them from turning into a flood against the users service.
    pub min_refetch_interval: Duration,
    /// Timeout of one fetch.
    pub timeout: Duration,
}

impl RemoteConfig {
    /// Defaults: refetch at most every 60 s, 5 s timeout.
    pub fn new(jwks_url: impl Into<String>) -> Self {
        Self {
            jwks_url: jwks_url.into(),
            min_refetch_interval: Duration::from_secs(60),
            timeout: Duration::from_secs(5),
        }
    }
}

/// Validates tokens with keys fetched from a JWKS URL and cached.
///
/// A token whose `kid` is not cached triggers a refetch, because the issuer may have rotated;
/// refetches are at most one per [`RemoteConfig::min_refetch_interval`], and concurrent requests
/// wait for the one fetch in flight rather than starting their own.
pub struct RemoteValidator {
    config: RemoteConfig,
    policy: ValidationPolicy,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
    keys: RwLock<HashMap<String, DecodingKey>>,
    /// Held across a fetch; holds the time of the last attempt.
    last_fetch: tokio::sync::Mutex<Option<i64>>,
}

impl RemoteValidator {
    /// Builds the validator; the first fetch happens with the first token.
    pub fn new(
        config: RemoteConfig,
        policy: ValidationPolicy,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, TokenError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(TokenError::KeysUnavailable)?;
        Ok(Self {
            config,
            policy,
            clock,
            http,
            keys: RwLock::new(HashMap::new()),
            last_fetch: tokio::sync::Mutex::new(None),
        })
    }

    /// Returns the claims of a valid token, or why it is not.
    pub async fn validate(&self, token: &str) -> Result<Claims, TokenError> {
        let kid = signing_kid(token)?;
        let key = match self.cached(&kid) {
            Some(key) => key,
            None => {
                self.refetch().await?;
                self.cached(&kid).ok_or(TokenError::UnknownKid(kid))?
            }
        };
        verify(token, &key, &self.policy, self.clock.now())
    }

    fn cached(&self, kid: &str) -> Option<DecodingKey> {
        self.keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(kid)
            .cloned()
    }

    /// Fetches the JWKS unless a fetch was attempted within the interval. A failed attempt counts
    /// too, so an unreachable issuer is not retried on every token.
    async fn refetch(&self) -> Result<(), TokenError> {
        let mut last = self.last_fetch.lock().await;
        let now = self.clock.now();
        let interval =
            i64::try_from(self.config.min_refetch_interval.as_secs()).unwrap_or(i64::MAX);
        if last.is_some_and(|at| now < at.saturating_add(interval)) {
            return Ok(());
        }
        *last = Some(now);
        let jwks: Jwks = self
            .http
            .get(&self.config.jwks_url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(TokenError::KeysUnavailable)?
            .json()
            .await
            .map_err(TokenError::KeysUnavailable)?;
        let keys = jwks
            .keys
            .into_iter()
            .filter(|jwk| jwk.kty == "RSA" && jwk.alg == "RS256")
            .filter_map(|jwk| {
                let key = DecodingKey::from_rsa_components(&jwk.n, &jwk.e).ok();
                key.map(|key| (jwk.kid, key))
            })
            .collect();
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = keys;
        Ok(())
    }
}

impl fmt::Debug for RemoteValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteValidator")
            .field("config", &self.config)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}
