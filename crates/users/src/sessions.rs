//! Signing in: login, refresh token rotation, logout.
//!
//! A login starts a refresh token *family*. Each refresh consumes the presented token and
//! issues its successor in the same family; presenting a consumed token again means two parties
//! hold it, one of them a thief, so the whole family is revoked (OAuth 2.0 Security BCP §4.14.2)
//! and both must sign in again.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Error;
use crate::metrics::Metrics;
use crate::state::{AppState, SipInfo};
use crate::store::{RefreshRecord, User};
use crate::token::{hash_refresh_token, new_refresh_token, Claims, SCOPE_SIP_REGISTER};

/// The answer to a login or refresh.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    /// RS256 JWT for the API and the registrar.
    pub access_token: String,
    /// Opaque; exchange at `/auth/refresh` before or after the access token expires.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Access token lifetime in seconds.
    pub expires_in: u64,
    /// Where to register.
    pub sip: SipInfo,
}

impl AppState {
    /// Checks a password and issues tokens.
    ///
    /// Unknown usernames cost the same Argon2 work as known ones and fail with the same error,
    /// so the answer does not tell whether an account exists.
    pub fn login(&self, username: &str, password: &str) -> Result<TokenResponse, Error> {
        let inner = &self.inner;
        let now = self.now();
        if let Err(retry_after) = inner.lockout.check(username, now) {
            Metrics::inc(&inner.metrics.logins_failed);
            return Err(Error::TooManyAttempts { retry_after });
        }
        let record = inner.store.user_by_name(username)?;
        let stored = record.as_ref().map(|r| r.password_hash.as_str());
        // Always verified, even without a record: the dummy hash keeps the timing the same.
        let verified = inner.hasher.verify(password, stored);
        let Some(record) = record.filter(|_| verified) else {
            Metrics::inc(&inner.metrics.logins_failed);
            if inner.lockout.record_failure(username, now) {
                Metrics::inc(&inner.metrics.lockouts);
                tracing::warn!(%username, "sign-in locked after repeated failures");
            }
            return Err(Error::InvalidCredentials);
        };
        inner.lockout.record_success(username);
        if record.user.disabled {
            Metrics::inc(&inner.metrics.logins_failed);
            return Err(Error::AccountDisabled);
        }
        Metrics::inc(&inner.metrics.logins_ok);
        self.issue(&record.user, Uuid::new_v4(), now)
    }

    /// Exchanges a refresh token for new tokens, consuming it.
    pub fn refresh(&self, refresh_token: &str) -> Result<TokenResponse, Error> {
        let store = &self.inner.store;
        let now = self.now();
        let hash = hash_refresh_token(refresh_token);
        let token = store.refresh(&hash)?.ok_or(Error::InvalidRefreshToken)?;
        if token.revoked_at.is_some() || token.expires_at <= now {
            return Err(Error::InvalidRefreshToken);
        }
        if !store.consume_refresh(&hash, now)? {
            tracing::warn!(user = %token.user, family = %token.family,
                "refresh token reused; revoking its family");
            store.revoke_family(token.family, now)?;
            return Err(Error::InvalidRefreshToken);
        }
        let user = match store.user(token.user)? {
            Some(record) if !record.user.disabled => record.user,
            _ => return Err(Error::InvalidRefreshToken),
        };
        Metrics::inc(&self.inner.metrics.refreshes);
        self.issue(&user, token.family, now)
    }

    /// Ends the session a refresh token belongs to. Unknown tokens are ignored: signing out
    /// twice is not an error.
    pub fn logout(&self, refresh_token: &str) -> Result<(), Error> {
        let store = &self.inner.store;
        if let Some(token) = store.refresh(&hash_refresh_token(refresh_token))? {
            store.revoke_family(token.family, self.now())?;
        }
        Ok(())
    }

    fn issue(&self, user: &User, family: Uuid, now: i64) -> Result<TokenResponse, Error> {
        let config = &self.inner.config;
        let access_ttl = config.tokens.access_ttl_secs;
        let claims = Claims {
            iss: config.issuer(),
            sub: user.id,
            aud: vec![config.tokens.api_audience.clone(), config.sip_audience()],
            exp: now.saturating_add(secs(access_ttl)),
            iat: now,
            nbf: now,
            jti: Uuid::new_v4(),
            username: user.username.clone(),
            roles: user.roles.clone(),
            scope: SCOPE_SIP_REGISTER.to_owned(),
        };
        let access_token = self.inner.keys.sign(&claims)?;
        let refresh_token = new_refresh_token();
        self.inner.store.insert_refresh(&RefreshRecord {
            hash: hash_refresh_token(&refresh_token),
            family,
            user: user.id,
            issued_at: now,
            expires_at: now.saturating_add(secs(config.tokens.refresh_ttl_secs)),
            used_at: None,
            revoked_at: None,
        })?;
        Metrics::inc(&self.inner.metrics.tokens_issued);
        Ok(TokenResponse {
            access_token,
            refresh_token,
            token_type: "Bearer".to_owned(),
            expires_in: access_ttl,
            sip: self.sip_info(),
        })
    }
}

fn secs(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX)
}
