//! Who the users are: the registrar asks, the users service answers.

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
    /// The stored HA1 of an enabled user for `algorithm`'s hash, or `None`.
    fn ha1(&self, username: &str, algorithm: Algorithm) -> Option<String>;
    /// The username a token was issued to, if it is valid for SIP.
    fn validate_token(&self, token: &str) -> Result<String, TokenRejection>;
    /// Whether `username` is an account (for 404 versus 480).
    fn exists(&self, username: &str) -> bool;
}

/// The users service of the same process.
#[derive(Debug, Clone)]
pub struct UsersAccounts {
    state: AppState,
    validator: TokenValidator,
}

impl UsersAccounts {
    /// Validates tokens in-process with the service's own keys.
    pub fn new(state: AppState) -> UsersAccounts {
        let validator = state.sip_token_validator();
        UsersAccounts { state, validator }
    }
}

impl Accounts for UsersAccounts {
    fn ha1(&self, username: &str, algorithm: Algorithm) -> Option<String> {
        // The -sess variants start from the same HA1 (RFC 7616 §3.4.2).
        let stored = match algorithm {
            Algorithm::Md5 | Algorithm::Md5Sess => DigestAlgorithm::Md5,
            Algorithm::Sha256 | Algorithm::Sha256Sess => DigestAlgorithm::Sha256,
            _ => return None,
        };
        match self.state.digest_ha1(username, stored) {
            Ok(ha1) => ha1,
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
