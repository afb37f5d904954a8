//! SIP authentication, sans-IO: Digest (RFC 3261 §22, RFC 7616, RFC 8760) and Bearer
//! (RFC 8898, RFC 6750).
//!
//! Header *values* go in and out as text; the message layer owns header names and framing.
//! Nothing here reads a clock or a socket: servers pass `now_secs`, clients pass the
//! `rand::RngCore` that makes client nonces, so a seeded run replays exactly.
//!
//! - Parsing and serialising: [`Challenge`] (`WWW-Authenticate`, `Proxy-Authenticate`) and
//!   [`Credentials`] (`Authorization`, `Proxy-Authorization`) implement `FromStr` and
//!   `Display`; parsing never panics and keeps unknown parameters.
//! - Client: [`Authenticator`] answers 401/407 and counts nonce uses.
//! - Server: [`DigestServer`] issues challenges with stateless [`NonceIssuer`] nonces and
//!   verifies credentials against a stored [`ha1`], never the password.
//!
//! ```
//! use rand::{rngs::SmallRng, SeedableRng};
//! use sip::auth::{ha1, Authenticator, Challenge, Challenger, Credentials};
//! use sip::auth::{DigestServer, RequestParts, ServerConfig, Verdict};
//!
//! let mut rng = SmallRng::seed_from_u64(7);
//! let mut server = DigestServer::new(ServerConfig::new("example.com"), b"registrar secret");
//! let mut alice = Authenticator::new("alice", "wonderland");
//! let register = RequestParts { method: "REGISTER", uri: "sip:example.com", body: b"" };
//!
//! // A new request: nothing known yet, so no credentials.
//! assert!(alice.authorize(&register, &mut rng).is_empty());
//!
//! // The 401 carries one WWW-Authenticate header field per challenge.
//! let headers: Vec<String> = server.challenges(1_000, false).iter().map(|c| c.to_string()).collect();
//! let offered: Vec<Challenge> = headers.iter().filter_map(|h| h.parse().ok()).collect();
//! let answers = alice.respond(Challenger::Server, &offered, &register, &mut rng)?;
//! assert_eq!(answers[0].challenger.credentials_header(), "Authorization");
//!
//! // The registrar parses the Authorization value and checks it against the stored HA1.
//! let header = answers[0].credentials.to_string();
//! let Credentials::Digest(creds) = header.parse()? else { unreachable!("digest was offered") };
//! let stored = ha1(creds.algorithm_or_default(), "alice", "example.com", "wonderland");
//! assert_eq!(server.verify(&creds, &stored, "REGISTER", b"", 1_001), Verdict::Authorized);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod challenge;
mod client;
mod credentials;
mod digest;
mod error;
mod nonce;
mod params;
mod replay;
mod server;
#[cfg(test)]
mod tests;

pub use challenge::{BearerChallenge, Challenge, DigestChallenge};
pub use client::{Answer, Authenticator, Challenger, RequestParts};
pub use credentials::{BearerToken, Credentials, DigestCredentials};
pub use digest::{ha1, userhash, Algorithm, Qop};
pub use error::{AuthError, ParseError};
pub use nonce::{NonceIssuer, NonceState};
pub use params::AuthParam;
pub use server::{Denial, DigestServer, ServerConfig, Verdict};
