//! The RSA signing keys and the JWKS that publishes them.
//!
//! Keys live in `{data}/keys/` as PKCS#8 PEM files named `{created}-{kid}.pem`, readable by the
//! owner only, so tokens survive a restart. Only the creation time before the dash is read
//! back; the `kid` is recomputed from the key. The newest key signs; an older one stays published
//! until every token it could have signed has expired, that is until `access_ttl + leeway` after
//! its successor was created, and is then deleted. No metadata file is needed: the file names
//! carry the order.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use rsa::traits::PublicKeyParts as _;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::Claims;

const KEY_BITS: usize = 2048;

/// One public key of a JWKS (RFC 7517), RSA only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Always `RSA`.
    pub kty: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// Always `RS256`.
    pub alg: String,
    /// The RFC 7638 thumbprint of the key.
    pub kid: String,
    /// Modulus, base64url.
    pub n: String,
    /// Public exponent, base64url.
    pub e: String,
}

/// A JSON Web Key Set, as served at `/auth/jwks.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// Published keys, newest first.
    pub keys: Vec<Jwk>,
}

/// The signing keys could not be created, read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key directory or a key file could not be read or written.
    #[error("key file {path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A key file does not hold an RSA private key in PKCS#8 PEM.
    #[error("key file {path} is not an RSA PKCS#8 PEM key")]
    BadKeyFile {
        /// The file concerned.
        path: PathBuf,
    },
    /// RSA key generation or encoding failed.
    #[error("RSA key: {0}")]
    Rsa(#[from] rsa::Error),
    /// PKCS#1 encoding of a new key failed.
    #[error("PKCS#1 encoding: {0}")]
    Pkcs1(#[from] rsa::pkcs1::Error),
    /// PKCS#8 encoding of a new key failed.
    #[error("PKCS#8 encoding: {0}")]
    Pkcs8(#[from] rsa::pkcs8::Error),
    /// Signing a token failed.
    #[error("signing: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

struct SigningKey {
    /// The key's file, deleted when the key retires.
    path: PathBuf,
    created: i64,
    jwk: Jwk,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl SigningKey {
    fn from_private(path: PathBuf, created: i64, key: &RsaPrivateKey) -> Result<Self, KeyError> {
        let (n, e) = components(&key.to_public_key());
        let kid = thumbprint(&key.to_public_key());
        let der = key.to_pkcs1_der()?;
        let decoding = DecodingKey::from_rsa_components(&n, &e)?;
        Ok(Self {
            path,
            created,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            decoding,
            jwk: Jwk {
                kty: "RSA".to_owned(),
                use_: "sig".to_owned(),
                alg: "RS256".to_owned(),
                kid,
                n,
                e,
            },
        })
    }
}

/// The set of signing keys, shared by the token issuer, the in-process validator and the JWKS.
pub(crate) struct KeyRing {
    dir: PathBuf,
    /// How long a superseded key stays published.
    retire_after: i64,
    /// Oldest first; the last one signs. Never empty.
    keys: RwLock<Vec<SigningKey>>,
}

impl KeyRing {
    /// Loads the keys in `dir`, creating the first one if there is none.
    pub(crate) fn open(dir: &Path, retire_after: i64, now: i64) -> Result<Self, KeyError> {
        fs::create_dir_all(dir).map_err(|source| io(dir, source))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|source| io(dir, source))?;
        let mut keys = load(dir)?;
        if keys.is_empty() {
            keys.push(create(dir, now)?);
        }
        let ring = Self {
            dir: dir.to_owned(),
            retire_after,
            keys: RwLock::new(keys),
        };
        ring.retire(now)?;
        Ok(ring)
    }

    /// Makes a new key the signing key. The previous one keeps validating until it retires.
    pub(crate) fn rotate(&self, now: i64) -> Result<String, KeyError> {
        // Generation takes a while; do it before taking the lock so validation is not held up.
        let key = create(&self.dir, now)?;
        let kid = key.jwk.kid.clone();
        self.write().push(key);
        self.retire(now)?;
        Ok(kid)
    }

    /// Picks up keys another process (the `keys rotate` command) added to the directory.
    pub(crate) fn reload(&self, now: i64) -> Result<(), KeyError> {
        let on_disk = load(&self.dir)?;
        let known: Vec<PathBuf> = self.read().iter().map(|k| k.path.clone()).collect();
        if !on_disk.is_empty() && on_disk.iter().map(|k| &k.path).ne(known.iter()) {
            *self.write() = on_disk;
        }
        self.retire(now)
    }

    pub(crate) fn sign(&self, claims: &Claims) -> Result<String, KeyError> {
        let keys = self.read();
        let current = keys.last().expect("the key ring is never empty");
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(current.jwk.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &current.encoding)?)
    }

    /// The key with id `kid`, if it is still published at `now`.
    pub(crate) fn decoding_key(&self, kid: &str, now: i64) -> Option<DecodingKey> {
        let keys = self.read();
        let key = live(&keys, self.retire_after, now)
            .find(|k| k.jwk.kid == kid)
            .map(|k| k.decoding.clone());
        key
    }

    pub(crate) fn jwks(&self, now: i64) -> Jwks {
        let keys = self.read();
        let mut published: Vec<Jwk> = live(&keys, self.retire_after, now)
            .map(|k| k.jwk.clone())
            .collect();
        published.reverse();
        Jwks { keys: published }
    }

    /// Drops keys whose successor is older than `retire_after` and deletes their files.
    fn retire(&self, now: i64) -> Result<(), KeyError> {
        let mut keys = self.write();
        let retired = keys
            .windows(2)
            .take_while(|pair| pair[1].created + self.retire_after <= now)
            .count();
        for key in keys.drain(..retired) {
            fs::remove_file(&key.path).map_err(|source| io(&key.path, source))?;
            tracing::info!(kid = %key.jwk.kid, "retired signing key");
        }
        Ok(())
    }

    fn read(&self) -> RwLockReadGuard<'_, Vec<SigningKey>> {
        // Writers only push or drain whole keys, so a panic elsewhere cannot leave the list torn.
        self.keys.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<SigningKey>> {
        self.keys.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// Keys that may still have signed an unexpired token: the newest, and each older one whose
/// successor is younger than `retire_after`.
fn live(keys: &[SigningKey], retire_after: i64, now: i64) -> impl Iterator<Item = &SigningKey> {
    let successors = keys.iter().skip(1).map(Some).chain([None]);
    keys.iter()
        .zip(successors)
        .filter(move |(_, next)| next.is_none_or(|n| n.created + retire_after > now))
        .map(|(key, _)| key)
}

fn load(dir: &Path) -> Result<Vec<SigningKey>, KeyError> {
    let mut keys = Vec::new();
    for entry in fs::read_dir(dir).map_err(|source| io(dir, source))? {
        let path = entry.map_err(|source| io(dir, source))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(created) = name
            .strip_suffix(".pem")
            .and_then(|stem| stem.split_once('-'))
            .and_then(|(created, _)| created.parse::<i64>().ok())
        else {
            continue;
        };
        let pem = fs::read_to_string(&path).map_err(|source| io(&path, source))?;
        let private = RsaPrivateKey::from_pkcs8_pem(&pem)
            .map_err(|_| KeyError::BadKeyFile { path: path.clone() })?;
        keys.push(SigningKey::from_private(path, created, &private)?);
    }
    keys.sort_by_key(|k| k.created);
    Ok(keys)
}

fn create(dir: &Path, now: i64) -> Result<SigningKey, KeyError> {
    let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, KEY_BITS)?;
    let public = private.to_public_key();
    let path = dir.join(format!("{now}-{}.pem", thumbprint(&public)));
    let key = SigningKey::from_private(path.clone(), now, &private)?;
    let pem = private.to_pkcs8_pem(LineEnding::LF)?;
    // Created with mode 0600 rather than chmod-ed afterwards, so the key is never readable by others.
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|source| io(&path, source))?;
    file.write_all(pem.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| io(&path, source))?;
    tracing::info!(kid = %key.jwk.kid, "created signing key");
    Ok(key)
}

fn components(key: &RsaPublicKey) -> (String, String) {
    (
        URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    )
}

/// The RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order, no
/// whitespace. Deterministic, so a key keeps its `kid` across restarts without storing it.
fn thumbprint(key: &RsaPublicKey) -> String {
    let (n, e) = components(key);
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

fn io(path: &Path, source: std::io::Error) -> KeyError {
    KeyError::Io {
        path: path.to_owned(),
        source,
    }
}
