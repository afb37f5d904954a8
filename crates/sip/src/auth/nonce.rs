//! Stateless server nonces: the nonce carries its own issue time, authenticated with an HMAC,
//! so a registrar tells fresh, expired and forged nonces apart without storing any
//! (RFC 7616 §3.3 suggests a timestamp and a private key in the nonce; §5.5 on replays).

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::digest::constant_time_eq;

/// Bytes of the truncated HMAC-SHA-256 tag; 128 bits leaves forgery at 2^-128 per guess.
const TAG_LEN: usize = 16;
/// Issue time (8) + serial (8) + tag.
const NONCE_LEN: usize = 16 + TAG_LEN;
const BLOCK: usize = 64;

/// What [`NonceIssuer::check`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceState {
    /// Ours and younger than `max_age`.
    Valid,
    /// Ours but expired: challenge again with `stale=true` if the response was right, so the
    /// client retries without asking the user (RFC 7616 §3.3).
    Stale,
    /// Not issued with this secret, malformed, or dated in the future: challenge afresh.
    Invalid,
}

impl NonceState {
    /// Ages an authentic nonce; one dated after `now_secs` cannot be ours, as time given to
    /// the core never goes backwards.
    pub(crate) fn of(issued: u64, now_secs: u64, max_age: u64) -> Self {
        match now_secs.checked_sub(issued) {
            None => NonceState::Invalid,
            Some(age) if age > max_age => NonceState::Stale,
            Some(_) => NonceState::Valid,
        }
    }
}

/// Issues and checks nonces `base64url(issued_secs ‖ serial ‖ HMAC-SHA-256(secret, …)[..16])`.
///
/// The serial makes nonces issued within the same second distinct, so per-nonce `nc` replay
/// tracking never conflates two clients. It restarts at zero with the process; registrars
/// sharing a secret should each use a different secret or accept that rare collision.
pub struct NonceIssuer {
    /// SHA-256 states having absorbed the inner and outer key pads: each is one whole block,
    /// so starting from these saves half the compressions of every tag, and a registrar
    /// makes two tags per registration (issue and check).
    inner: Sha256,
    outer: Sha256,
    serial: u64,
}

impl NonceIssuer {
    /// `secret` should be at least 32 random bytes; rotating it invalidates all nonces.
    pub fn new(secret: &[u8]) -> Self {
        let mut key = [0u8; BLOCK];
        if secret.len() > BLOCK {
            key[..32].copy_from_slice(&Sha256::digest(secret));
        } else {
            key[..secret.len()].copy_from_slice(secret);
        }
        Self {
            inner: Sha256::new().chain_update(key.map(|b| b ^ 0x36)),
            outer: Sha256::new().chain_update(key.map(|b| b ^ 0x5c)),
            serial: 0,
        }
    }

    /// A fresh nonce dated `now_secs` (any monotonic seconds count the caller keeps).
    pub fn issue(&mut self, now_secs: u64) -> String {
        self.serial = self.serial.wrapping_add(1);
        let mut raw = [0u8; NONCE_LEN];
        raw[..8].copy_from_slice(&now_secs.to_be_bytes());
        raw[8..16].copy_from_slice(&self.serial.to_be_bytes());
        let tag = self.tag(&raw[..16]);
        raw[16..].copy_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Classifies `nonce` at `now_secs`; older than `max_age` seconds is [`NonceState::Stale`].
    pub fn check(&self, nonce: &str, now_secs: u64, max_age: u64) -> NonceState {
        match self.issued_at(nonce) {
            Some(issued) => NonceState::of(issued, now_secs, max_age),
            None => NonceState::Invalid,
        }
    }

    /// The issue time of a nonce this issuer made, or `None` for any other string.
    pub(crate) fn issued_at(&self, nonce: &str) -> Option<u64> {
        let raw = URL_SAFE_NO_PAD.decode(nonce).ok()?;
        let (body, tag) = raw.split_at_checked(16)?;
        if tag.len() != TAG_LEN || !constant_time_eq(tag, &self.tag(body)[..TAG_LEN]) {
            return None;
        }
        let issued: [u8; 8] = body.get(..8)?.try_into().ok()?;
        Some(u64::from_be_bytes(issued))
    }

    /// HMAC-SHA-256 (RFC 2104) from the precomputed pad states.
    fn tag(&self, message: &[u8]) -> [u8; 32] {
        let inner = self.inner.clone().chain_update(message).finalize();
        self.outer.clone().chain_update(inner).finalize().into()
    }
}

impl fmt::Debug for NonceIssuer {
    /// Redacted: the pad states stand for the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonceIssuer")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}
