//! The RSA signing keys and the JWKS that publishes them.
//!
//! Keys live in `{data}/keys/` as PKCS#8 PEM files named `{stamp}-{kid}.pem`, readable by the
//! owner only, so tokens survive a restart. Only the stamp before the dash is read back; the
//! `kid` is recomputed from the key. No metadata file is needed: the file names carry the order.
//!
//! The newest key on disk signs. Every signature first looks at the directory, so a key added by
//! another process (`halo-server keys rotate`) signs the very next token, and a key's successor's
//! stamp bounds the last token the key signed. That bound, not a reload interval, decides when the
//! key retires: see [`retired`].

use std::fs;
use std::io::{ErrorKind, Write as _};
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
use crate::clock::Clock;

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

#[derive(Clone)]
struct SigningKey {
    /// The key's file, deleted when the key retires.
    path: PathBuf,
    /// When the file appeared in the directory, Unix seconds.
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
    /// How long a token is accepted after its `iat`: the access lifetime plus the leeway.
    token_life: i64,
    /// As on disk at the last look, oldest first; the last one signs. Never empty once opened.
    keys: RwLock<Vec<SigningKey>>,
}

impl KeyRing {
    /// Loads the keys in `dir`, creating the first one if there is none.
    pub(crate) fn open(dir: &Path, token_life: i64, clock: &dyn Clock) -> Result<Self, KeyError> {
        fs::create_dir_all(dir).map_err(|source| io(dir, source))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|source| io(dir, source))?;
        let ring = Self {
            dir: dir.to_owned(),
            token_life,
            keys: RwLock::new(Vec::new()),
        };
        ring.refresh()?;
        if ring.read().is_empty() {
            install(dir, clock)?;
            ring.refresh()?;
        }
        ring.retire(clock.now())?;
        Ok(ring)
    }

    /// Makes a new key the signing key, here and in every process sharing the directory. The
    /// previous one keeps validating until it retires.
    pub(crate) fn rotate(&self, clock: &dyn Clock) -> Result<String, KeyError> {
        let kid = install(&self.dir, clock)?;
        self.refresh()?;
        self.retire(clock.now())?;
        Ok(kid)
    }

    /// Picks up keys another process (the `keys rotate` command) added to the directory, and
    /// retires expired ones. Signing does not wait for this; it keeps the JWKS current while no
    /// token is signed, and old files from piling up.
    pub(crate) fn reload(&self, now: i64) -> Result<(), KeyError> {
        self.refresh()?;
        self.retire(now)
    }

    /// Signs with the newest key on disk. The caller read `claims.iat` from the clock before
    /// calling: [`retired`] counts on it.
    pub(crate) fn sign(&self, claims: &Claims) -> Result<String, KeyError> {
        self.refresh()?;
        let keys = self.read();
        let current = keys
            .last()
            .expect("open leaves a key, and refresh never empties the ring");
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(current.jwk.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &current.encoding)?)
    }

    /// The key with id `kid`, if it is still published at `now`.
    pub(crate) fn decoding_key(&self, kid: &str, now: i64) -> Option<DecodingKey> {
        let keys = self.read();
        let key = live(&keys, self.token_life, now)
            .find(|k| k.jwk.kid == kid)
            .map(|k| k.decoding.clone());
        key
    }

    pub(crate) fn jwks(&self, now: i64) -> Jwks {
        let keys = self.read();
        let mut published: Vec<Jwk> = live(&keys, self.token_life, now)
            .map(|k| k.jwk.clone())
            .collect();
        published.reverse();
        Jwks { keys: published }
    }

    /// Makes the held keys match the directory, reading only the files not held yet. Listing a
    /// directory of a few files costs microseconds, next to milliseconds for the sign-in or
    /// refresh that signs.
    fn refresh(&self) -> Result<(), KeyError> {
        let listed = list(&self.dir)?;
        let held: Vec<PathBuf> = self.read().iter().map(|k| k.path.clone()).collect();
        if listed.iter().map(|(_, path)| path).eq(held.iter()) {
            return Ok(());
        }
        let mut added = Vec::new();
        for (created, path) in listed.iter().filter(|(_, path)| !held.contains(path)) {
            added.extend(load(path, *created)?);
        }
        let mut keys = self.write();
        let mut fresh: Vec<SigningKey> = keys
            .iter()
            .filter(|k| listed.iter().any(|(_, path)| *path == k.path))
            .cloned()
            .chain(added)
            .collect();
        fresh.sort_by(|a, b| (a.created, &a.path).cmp(&(b.created, &b.path)));
        // Another thread may have added the same file meanwhile.
        fresh.dedup_by(|a, b| a.path == b.path);
        // An emptied directory is an operator's mistake: signing on with the held keys beats
        // refusing every sign-in, and the next start creates a key.
        if !fresh.is_empty() {
            *keys = fresh;
        }
        Ok(())
    }

    /// Drops the keys [`retired`] by their successors and deletes their files.
    fn retire(&self, now: i64) -> Result<(), KeyError> {
        let mut keys = self.write();
        let gone = keys
            .windows(2)
            .take_while(|pair| retired(&pair[1], self.token_life, now))
            .count();
        for key in keys.drain(..gone) {
            match fs::remove_file(&key.path) {
                // Another process sharing the directory deleted it first.
                Err(e) if e.kind() != ErrorKind::NotFound => return Err(io(&key.path, e)),
                _ => tracing::info!(kid = %key.jwk.kid, "retired signing key"),
            }
        }
        Ok(())
    }

    fn read(&self) -> RwLockReadGuard<'_, Vec<SigningKey>> {
        // Writers only replace or drain whole keys, so a panic elsewhere cannot leave the list torn.
        self.keys.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<SigningKey>> {
        self.keys.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// Whether the predecessor of `successor` can no longer have signed a token still accepted at
/// `now`.
///
/// A signer reads `iat` before it lists the directory, and a key's stamp is read just before its
/// file appears there. So a signer that did not see the successor read its clock before the file
/// appeared: in the stamp's second or the next. Its token is accepted until
/// `stamp + 1 + token_life` at the latest. How often a server reloads does not enter into it,
/// because signing always lists the directory first.
fn retired(successor: &SigningKey, token_life: i64, now: i64) -> bool {
    now > successor
        .created
        .saturating_add(token_life)
        .saturating_add(1)
}

/// Keys that may still have signed a token accepted at `now`: the newest, and each older one
/// whose successor has not [`retired`] it.
fn live(keys: &[SigningKey], token_life: i64, now: i64) -> impl Iterator<Item = &SigningKey> {
    let successors = keys.iter().skip(1).map(Some).chain([None]);
    keys.iter()
        .zip(successors)
        .filter(move |(_, next)| next.is_none_or(|n| !retired(n, token_life, now)))
        .map(|(key, _)| key)
}

/// The key files in `dir` with their stamps, in signing order: oldest first, ties by name.
fn list(dir: &Path) -> Result<Vec<(i64, PathBuf)>, KeyError> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|source| io(dir, source))? {
        let path = entry.map_err(|source| io(dir, source))?.path();
        let stamp = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_suffix(".pem"))
            .and_then(|stem| stem.split_once('-'))
            .and_then(|(stamp, _)| stamp.parse::<i64>().ok());
        if let Some(stamp) = stamp {
            files.push((stamp, path));
        }
    }
    files.sort();
    Ok(files)
}

/// The key in `path`, or `None` if another process retired it since it was listed.
fn load(path: &Path, created: i64) -> Result<Option<SigningKey>, KeyError> {
    let pem = match fs::read_to_string(path) {
        Ok(pem) => pem,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(io(path, source)),
    };
    let private = RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|_| KeyError::BadKeyFile {
        path: path.to_owned(),
    })?;
    SigningKey::from_private(path.to_owned(), created, &private).map(Some)
}

/// Generates a key and puts it into `dir` whole, by a rename, stamped with the time read just
/// before the rename. Generation takes seconds; a stamp read before it would retire the previous
/// key that much too early ([`retired`]).
fn install(dir: &Path, clock: &dyn Clock) -> Result<String, KeyError> {
    let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, KEY_BITS)?;
    let kid = thumbprint(&private.to_public_key());
    let pem = private.to_pkcs8_pem(LineEnding::LF)?;
    // Not named `*.pem`, so no reader takes the half-written file for a key.
    let staged = dir.join(format!("{kid}.new"));
    // Created with mode 0600 rather than chmod-ed afterwards, so the key is never readable by others.
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&staged)
        .map_err(|source| io(&staged, source))?;
    file.write_all(pem.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| io(&staged, source))?;
    let path = dir.join(format!("{}-{kid}.pem", clock.now()));
    fs::rename(&staged, &path).map_err(|source| io(&path, source))?;
    // Tokens are signed with the key from here on, so the rename must survive a crash.
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| io(dir, source))?;
    tracing::info!(%kid, "created signing key");
    Ok(kid)
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
