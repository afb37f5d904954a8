//! Settings of the users service.
//!
//! Every section deserialises from TOML with defaults for what is left out and rejects unknown
//! keys, so a typo in an operator's file is an error rather than a silently ignored setting.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// Everything the users service needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Holds the SQLite file and the signing keys.
    pub data_dir: PathBuf,
    /// The SIP domain users belong to (`alice@example.org`).
    pub domain: String,
    /// The `iss` of issued tokens; defaults to `https://{domain}`.
    pub issuer: Option<String>,
    /// Token lifetimes and audiences.
    pub tokens: TokenConfig,
    /// Failed-login throttling.
    pub lockout: LockoutConfig,
    /// Password hashing cost.
    pub argon2: Argon2Config,
    /// What SIP clients are told, and the Digest realm.
    pub sip: SipConfig,
}

impl Config {
    /// A configuration with defaults for everything but the data directory and domain.
    pub fn new(data_dir: impl Into<PathBuf>, domain: impl Into<String>) -> Self {
        Self {
            data_dir: data_dir.into(),
            domain: domain.into(),
            issuer: None,
            tokens: TokenConfig::default(),
            lockout: LockoutConfig::default(),
            argon2: Argon2Config::default(),
            sip: SipConfig::default(),
        }
    }

    /// The `iss` claim this service signs and expects.
    pub fn issuer(&self) -> String {
        self.issuer
            .clone()
            .unwrap_or_else(|| format!("https://{}", self.domain))
    }

    /// The `aud` value a SIP registrar of this domain expects.
    pub fn sip_audience(&self) -> String {
        self.tokens
            .sip_audience
            .clone()
            .unwrap_or_else(|| format!("sip:{}", self.domain))
    }

    /// The Digest realm the stored HA1 values were computed for.
    pub fn realm(&self) -> String {
        self.sip
            .realm
            .clone()
            .unwrap_or_else(|| self.domain.clone())
    }

    /// The registrar URI clients should REGISTER with.
    pub fn registrar(&self) -> String {
        self.sip
            .registrar
            .clone()
            .unwrap_or_else(|| format!("sip:{}", self.domain))
    }
}

/// Lifetimes and audiences of tokens.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenConfig {
    /// Access token lifetime; short because access tokens cannot be revoked.
    pub access_ttl_secs: u64,
    /// Refresh token lifetime, renewed at each rotation.
    pub refresh_ttl_secs: u64,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway_secs: u64,
    /// The `aud` of this HTTP API.
    pub api_audience: String,
    /// The `aud` of the SIP registrar; defaults to `sip:{domain}`.
    pub sip_audience: Option<String>,
}

impl Default for TokenConfig {
    fn default() -> Self {
        Self {
            access_ttl_secs: 15 * 60,
            refresh_ttl_secs: 30 * 24 * 3600,
            leeway_secs: 30,
            api_audience: "halo-api".to_owned(),
            sip_audience: None,
        }
    }
}

impl TokenConfig {
    pub(crate) fn access_ttl(&self) -> Duration {
        Duration::from_secs(self.access_ttl_secs)
    }
}

/// How many failed sign-ins lock a username, and for how long.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LockoutConfig {
    /// Failures within the window that trigger a lockout.
    pub max_failures: u32,
    /// The sliding window failures are counted in.
    pub window_secs: u64,
    /// How long a locked username stays locked.
    pub duration_secs: u64,
}

impl Default for LockoutConfig {
    fn default() -> Self {
        Self {
            max_failures: 5,
            window_secs: 15 * 60,
            duration_secs: 15 * 60,
        }
    }
}

/// Argon2id cost parameters for new password hashes.
///
/// Existing hashes keep the parameters they were made with (they are part of the PHC string), so
/// raising the cost applies at the next password change.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Argon2Config {
    /// Memory per hash in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for Argon2Config {
    /// OWASP's first recommended Argon2id setting (19 MiB, 2 passes, 1 lane): about the cost of
    /// its alternatives at a memory footprint a small office server can afford per login.
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// SIP-facing settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SipConfig {
    /// Digest realm; defaults to the domain. Changing it invalidates stored HA1 values until each
    /// user's next password change, because HA1 covers the realm.
    pub realm: Option<String>,
    /// Registrar URI advertised to clients; defaults to `sip:{domain}`.
    pub registrar: Option<String>,
    /// The registrar's SIP-over-TLS URI (`sip:host:port;transport=tls`), advertised when set.
    pub registrar_tls: Option<String>,
}
