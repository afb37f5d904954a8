//! The Halo users service: accounts, sign-in, and the tokens the SIP registrar accepts.
//!
//! Users sign in with a password (Argon2id) and receive an RS256 JWT access token, valid for the
//! HTTP API and the SIP registrar, plus an opaque refresh token that rotates on every use. The
//! public keys are published as a JWKS so other SIP servers can check Halo's tokens; standard
//! SIP phones that cannot do Bearer use Digest, for which HA1 values are stored.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use users::{AppState, Config, SystemClock};
//!
//! let state = AppState::open(Config::new("/var/lib/halo", "example.org"), Arc::new(SystemClock))?;
//! // In the same process, the registrar checks tokens without any network round trip.
//! let validator = state.sip_token_validator();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, users::router(state)).await?;
//! # let _ = validator;
//! # Ok(())
//! # }
//! ```

mod accounts;
mod clock;
mod config;
mod error;
mod http;
mod lockout;
mod metrics;
mod password;
mod sessions;
mod state;
mod store;
mod token;

pub use accounts::{NewUser, UserUpdate};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Argon2Config, Config, LockoutConfig, SipConfig, TokenConfig};
pub use error::{Error, Invalid};
pub use http::router;
pub use password::{DigestAlgorithm, HashError, UnknownDigestAlgorithm};
pub use sessions::TokenResponse;
pub use state::{AppState, Discovery, SipInfo};
pub use store::{RefreshRecord, Role, SqliteStore, StoreError, User, UserRecord, UserStore};
pub use token::{
    Claims, Jwk, Jwks, KeyError, RemoteConfig, RemoteValidator, TokenError, TokenValidator,
    ValidationPolicy, SCOPE_SIP_REGISTER,
};
