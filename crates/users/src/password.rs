//! Password hashes and SIP Digest HA1 values.

use std::fmt;
use std::str::FromStr;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use md5::Md5;
use sha2::{Digest as _, Sha256};

use crate::config::Argon2Config;

/// Hashes and verifies passwords with Argon2id.
pub(crate) struct Hasher {
    argon2: Argon2<'static>,
    /// A hash of a random password with the configured cost. Unknown usernames are verified
    /// against it so that a failed login takes as long whether or not the user exists.
    dummy: String,
}

impl Hasher {
    pub(crate) fn new(config: &Argon2Config) -> Result<Self, HashError> {
        let params = Params::new(
            config.memory_kib,
            config.iterations,
            config.parallelism,
            None,
        )?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::generate(&mut OsRng);
        let dummy = argon2
            .hash_password(uuid::Uuid::new_v4().as_bytes(), &salt)?
            .to_string();
        Ok(Self { argon2, dummy })
    }

    pub(crate) fn hash(&self, password: &str) -> Result<String, HashError> {
        let salt = SaltString::generate(&mut OsRng);
        Ok(self
            .argon2
            .hash_password(password.as_bytes(), &salt)?
            .to_string())
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is no user, in
    /// which case the answer is always `false`. The comparison inside `argon2` is constant-time.
    pub(crate) fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let phc = stored.unwrap_or(&self.dummy);
        let matches = PasswordHash::new(phc)
            .map(|hash| {
                self.argon2
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false);
        matches && stored.is_some()
    }
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher")
            .field("params", self.argon2.params())
            .finish_non_exhaustive()
    }
}

/// Argon2 rejected its parameters or failed to hash.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HashError {
    /// The configured cost is outside what Argon2 accepts; fix the `[argon2]` settings.
    #[error("invalid argon2 parameters: {0}")]
    Params(#[from] argon2::Error),
    /// Hashing itself failed.
    #[error("password hashing failed: {0}")]
    Hash(#[from] argon2::password_hash::Error),
}

/// The hash algorithms of SIP Digest (RFC 8760) for which HA1 is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// `MD5` (RFC 2617), still all many deployed phones speak.
    Md5,
    /// `SHA-256` (RFC 7616).
    Sha256,
}

impl DigestAlgorithm {
    /// HA1 = H(username ":" realm ":" password), lower-case hex (RFC 7616 §3.4.2). The `-sess`
    /// variants derive from this value and the nonces, so one stored HA1 serves both.
    pub fn ha1(self, username: &str, realm: &str, password: &str) -> String {
        let input = format!("{username}:{realm}:{password}");
        match self {
            Self::Md5 => hex::encode(Md5::digest(input.as_bytes())),
            Self::Sha256 => hex::encode(Sha256::digest(input.as_bytes())),
        }
    }
}

impl FromStr for DigestAlgorithm {
    type Err = UnknownDigestAlgorithm;

    /// Accepts the `algorithm=` token of a challenge, `-sess` included.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let base = s
            .strip_suffix("-sess")
            .or_else(|| s.strip_suffix("-SESS"))
            .unwrap_or(s);
        if base.eq_ignore_ascii_case("MD5") {
            Ok(Self::Md5)
        } else if base.eq_ignore_ascii_case("SHA-256") {
            Ok(Self::Sha256)
        } else {
            Err(UnknownDigestAlgorithm(s.to_owned()))
        }
    }
}

/// A Digest `algorithm` for which no HA1 is kept (SHA-512-256, for instance).
#[derive(Debug, thiserror::Error)]
#[error("unsupported digest algorithm {0:?}")]
pub struct UnknownDigestAlgorithm(String);

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Hasher {
        Hasher::new(&Argon2Config {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .expect("valid parameters")
    }

    #[test]
    fn verifies_its_own_hash_and_rejects_others() {
        let hasher = cheap();
        let hash = hasher.hash("correct horse").expect("hashes");
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher.verify("correct horse", Some(&hash)));
        assert!(!hasher.verify("wrong horse", Some(&hash)));
    }

    #[test]
    fn unknown_user_never_verifies() {
        let hasher = cheap();
        assert!(!hasher.verify("", None));
        assert!(!hasher.verify("anything", None));
    }

    #[test]
    fn ha1_matches_rfc_examples() {
        // RFC 2617 §3.5 and RFC 7616 §3.9.1.
        assert_eq!(
            DigestAlgorithm::Md5.ha1("Mufasa", "testrealm@host.com", "Circle Of Life"),
            "939e7578ed9e3c518a452acee763bce9"
        );
        assert_eq!(
            DigestAlgorithm::Sha256.ha1("Mufasa", "http-auth@example.org", "Circle of Life"),
            "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232"
        );
    }

    #[test]
    fn parses_challenge_algorithms() {
        assert_eq!(
            "MD5".parse::<DigestAlgorithm>().ok(),
            Some(DigestAlgorithm::Md5)
        );
        assert_eq!(
            "sha-256-sess".parse::<DigestAlgorithm>().ok(),
            Some(DigestAlgorithm::Sha256)
        );
        assert!("SHA-512-256".parse::<DigestAlgorithm>().is_err());
    }
}
