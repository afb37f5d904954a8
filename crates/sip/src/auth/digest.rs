//! Digest algorithms and the response computation of RFC 7616 §3.4.1–§3.4.4, which
//! RFC 8760 adopts for SIP unchanged apart from `A2` hashing the SIP method and Request-URI.

use std::fmt;
use std::str::FromStr;

use md5::Md5;
use sha2::{Digest, Sha256, Sha512_256};

use super::{DigestCredentials, ParseError};

/// A Digest `algorithm` (RFC 7616 §3.3, adopted for SIP by RFC 8760).
///
/// The `-sess` variants hash the client nonce into `A1` (RFC 7616 §3.4.2), so a proxy can be
/// handed a per-session key instead of the long-term one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// `MD5`, the default when the parameter is absent (RFC 7616 §3.3).
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256`.
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
    /// `SHA-512-256` (SHA-512/256).
    Sha512_256,
    /// `SHA-512-256-sess`.
    Sha512_256Sess,
}

impl Algorithm {
    const ALL: [Algorithm; 6] = [
        Algorithm::Md5,
        Algorithm::Md5Sess,
        Algorithm::Sha256,
        Algorithm::Sha256Sess,
        Algorithm::Sha512_256,
        Algorithm::Sha512_256Sess,
    ];

    /// The token as written in the `algorithm` parameter.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
            Algorithm::Sha512_256 => "SHA-512-256",
            Algorithm::Sha512_256Sess => "SHA-512-256-sess",
        }
    }

    /// Whether `A1` includes the nonce and client nonce (RFC 7616 §3.4.2).
    pub fn is_sess(self) -> bool {
        matches!(
            self,
            Algorithm::Md5Sess | Algorithm::Sha256Sess | Algorithm::Sha512_256Sess
        )
    }

    /// Ranks the underlying hash so a client can refuse a downgrade to MD5 when a server
    /// offers SHA-2 as well. `-sess` does not change the rank.
    pub(crate) fn strength(self) -> u8 {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => 1,
            Algorithm::Sha256 | Algorithm::Sha256Sess => 2,
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => 3,
        }
    }

    /// `H(data)` as lowercase hex (RFC 7616 §3.2).
    pub(crate) fn hash(self, data: &[u8]) -> String {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => hex(&Md5::digest(data)),
            Algorithm::Sha256 | Algorithm::Sha256Sess => hex(&Sha256::digest(data)),
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => hex(&Sha512_256::digest(data)),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = ParseError;

    /// Case-insensitive, as tokens are (RFC 7616 §3.3).
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseError::UnsupportedAlgorithm(s.to_owned()))
    }
}

/// A quality of protection (RFC 7616 §3.3 `qop`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qop {
    /// `auth`: authenticates the method and Request-URI.
    Auth,
    /// `auth-int`: also authenticates the message body.
    AuthInt,
}

impl Qop {
    /// The token as written in `qop`.
    pub fn name(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }
}

impl fmt::Display for Qop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Qop {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        [Qop::Auth, Qop::AuthInt]
            .into_iter()
            .find(|q| q.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseError::UnsupportedQop(s.to_owned()))
    }
}

/// `H(username ":" realm ":" password)`: the long-term secret a registrar stores instead of the
/// password (RFC 7616 §3.4.2). It depends on the algorithm, so a server offering SHA-256 and
/// MD5 stores one per algorithm; `-sess` variants use their base hash's value.
pub fn ha1(algorithm: Algorithm, username: &str, realm: &str, password: &str) -> String {
    algorithm.hash(format!("{username}:{realm}:{password}").as_bytes())
}

/// `H(username ":" realm)`, sent in place of the username when the challenge has
/// `userhash=true` (RFC 7616 §3.4.4); a server looks accounts up by it.
pub fn userhash(algorithm: Algorithm, username: &str, realm: &str) -> String {
    algorithm.hash(format!("{username}:{realm}").as_bytes())
}

/// The `response` that `credentials` must carry, given the stored `ha1` (see [`ha1`]), the
/// request method and body (RFC 7616 §3.4.1–§3.4.3).
///
/// The `uri`, nonce, client nonce, `nc` and `qop` come from `credentials`; the parser
/// guarantees `cnonce` and `nc` whenever `qop` or a `-sess` algorithm needs them, and a
/// hand-built value missing them hashes the empty string rather than panicking.
pub(crate) fn expected_response(
    credentials: &DigestCredentials,
    ha1: &str,
    method: &str,
    body: &[u8],
) -> String {
    let alg = credentials.algorithm_or_default();
    let nonce = &credentials.nonce;
    let cnonce = credentials.cnonce.as_deref().unwrap_or("");
    let ha1 = ha1.to_ascii_lowercase();
    let ha1 = if alg.is_sess() {
        alg.hash(format!("{ha1}:{nonce}:{cnonce}").as_bytes())
    } else {
        ha1
    };
    let uri = &credentials.uri;
    let ha2 = match credentials.qop {
        Some(Qop::AuthInt) => {
            let body_hash = alg.hash(body);
            alg.hash(format!("{method}:{uri}:{body_hash}").as_bytes())
        }
        Some(Qop::Auth) | None => alg.hash(format!("{method}:{uri}").as_bytes()),
    };
    match credentials.qop {
        Some(qop) => {
            let nc = credentials.nc.unwrap_or(0);
            alg.hash(format!("{ha1}:{nonce}:{nc:08x}:{cnonce}:{qop}:{ha2}").as_bytes())
        }
        // RFC 2069 form, kept by RFC 3261 §22.4 for servers that send no qop.
        None => alg.hash(format!("{ha1}:{nonce}:{ha2}").as_bytes()),
    }
}

/// Lowercase hex, as every Digest value is written (RFC 7616 §3.2).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Compares without an early exit, so response timing reveals nothing about how many leading
/// characters an attacker guessed.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
