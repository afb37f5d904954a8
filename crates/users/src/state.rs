//! The service itself: configuration, storage, keys and counters behind one cheap handle.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::clock::Clock;
use crate::config::Config;
use crate::error::Error;
use crate::lockout::Lockout;
use crate::metrics::Metrics;
use crate::password::{DigestAlgorithm, Hasher};
use crate::store::{SqliteStore, UserStore};
use crate::token::{Jwks, KeyRing, TokenValidator, ValidationPolicy};

/// The users service. Clones share everything, so it serves as axum state and can be handed to
/// the registrar in the same process.
///
/// Its operations are synchronous and may block (SQLite, Argon2): call them from a blocking
/// context such as `tokio::task::spawn_blocking`, as the HTTP handlers do.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) store: Arc<dyn UserStore>,
    pub(crate) keys: Arc<KeyRing>,
    pub(crate) hasher: Hasher,
    pub(crate) lockout: Lockout,
    pub(crate) metrics: Metrics,
    /// Checks tokens presented to this HTTP API.
    pub(crate) api_validator: TokenValidator,
}

/// What a client needs to know to sign in to SIP, served with each login and at
/// `/.well-known/halo` so that the HTTP URL alone is enough to configure a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SipInfo {
    /// The SIP domain of user AORs.
    pub domain: String,
    /// The URI to REGISTER with.
    pub registrar: String,
    /// The same registrar over TLS, when it serves TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registrar_tls: Option<String>,
}

/// The discovery document at `/.well-known/halo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Discovery {
    /// The `iss` of this service's tokens.
    pub issuer: String,
    /// Where the signing keys are published, relative to this service.
    pub jwks_uri: String,
    /// SIP settings.
    pub sip: SipInfo,
}

impl AppState {
    /// Opens the SQLite database and signing keys in `config.data_dir`, creating them on first
    /// start.
    pub fn open(config: Config, clock: Arc<dyn Clock>) -> Result<Self, Error> {
        let store = SqliteStore::open(&config.data_dir.join("users.db"))?;
        Self::with_store(config, clock, Arc::new(store))
    }

    /// Like [`AppState::open`], with another store.
    pub fn with_store(
        config: Config,
        clock: Arc<dyn Clock>,
        store: Arc<dyn UserStore>,
    ) -> Result<Self, Error> {
        let now = clock.now();
        let token_life = config
            .tokens
            .access_ttl()
            .as_secs()
            .saturating_add(config.tokens.leeway_secs);
        let keys = Arc::new(KeyRing::open(
            &config.data_dir.join("keys"),
            i64::try_from(token_life).unwrap_or(i64::MAX),
            &*clock,
        )?);
        store.purge_refresh(now)?;
        let hasher = Hasher::new(&config.argon2)?;
        let api_validator = TokenValidator::new(
            keys.clone(),
            policy(&config, config.tokens.api_audience.clone()),
            clock.clone(),
        );
        Ok(Self {
            inner: Arc::new(Inner {
                lockout: Lockout::new(config.lockout.clone()),
                config,
                clock,
                store,
                keys,
                hasher,
                metrics: Metrics::default(),
                api_validator,
            }),
        })
    }

    /// The configuration the service runs with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// A validator for tokens presented to the SIP registrar of this domain, using this
    /// process's keys directly.
    pub fn sip_token_validator(&self) -> TokenValidator {
        let config = &self.inner.config;
        TokenValidator::new(
            self.inner.keys.clone(),
            policy(config, config.sip_audience()),
            self.inner.clock.clone(),
        )
    }

    /// The validator of this HTTP API's own audience.
    pub fn api_token_validator(&self) -> &TokenValidator {
        &self.inner.api_validator
    }

    /// The stored HA1 of an enabled user for Digest authentication, computed for
    /// [`Config::realm`]. `None` for unknown or disabled users.
    pub fn digest_ha1(
        &self,
        username: &str,
        algorithm: DigestAlgorithm,
    ) -> Result<Option<String>, Error> {
        let record = self.inner.store.user_by_name(username)?;
        Ok(record
            .filter(|r| !r.user.disabled)
            .map(|r| match algorithm {
                DigestAlgorithm::Md5 => r.ha1_md5,
                DigestAlgorithm::Sha256 => r.ha1_sha256,
            }))
    }

    /// Creates a new signing key; tokens issued from now on carry its `kid`.
    pub fn rotate_keys(&self) -> Result<String, Error> {
        Ok(self.inner.keys.rotate(&*self.inner.clock)?)
    }

    /// Publishes keys added to the data directory by another process, such as the
    /// `halo-server keys rotate` command, and retires expired ones. Signing does not need it:
    /// each token is signed with the newest key on disk.
    pub fn reload_keys(&self) -> Result<(), Error> {
        Ok(self.inner.keys.reload(self.inner.clock.now())?)
    }

    /// The published public keys.
    pub fn jwks(&self) -> Jwks {
        self.inner.keys.jwks(self.inner.clock.now())
    }

    /// The discovery document.
    pub fn discovery(&self) -> Discovery {
        Discovery {
            issuer: self.inner.config.issuer(),
            jwks_uri: "/auth/jwks.json".to_owned(),
            sip: self.sip_info(),
        }
    }

    pub(crate) fn sip_info(&self) -> SipInfo {
        SipInfo {
            domain: self.inner.config.domain.clone(),
            registrar: self.inner.config.registrar(),
            registrar_tls: self.inner.config.sip.registrar_tls.clone(),
        }
    }

    /// The counters in Prometheus text format.
    pub fn metrics_text(&self) -> String {
        self.inner.metrics.render()
    }

    pub(crate) fn now(&self) -> i64 {
        self.inner.clock.now()
    }
}

fn policy(config: &Config, audience: String) -> ValidationPolicy {
    ValidationPolicy {
        issuer: config.issuer(),
        audience,
        leeway_secs: config.tokens.leeway_secs,
    }
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}
