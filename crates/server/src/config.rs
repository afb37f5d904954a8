//! The configuration file, merged with command-line options.
//!
//! ```toml
//! data = "/var/lib/halo"
//! http = "0.0.0.0:8443"
//! domain = "example.org"
//! sip_tls = "0.0.0.0:5061"     # SIP over TLS too, with the [tls] certificate (needs --sip)
//! [tls]
//! cert = "/etc/halo/cert.pem"
//! key = "/etc/halo/key.pem"
//! [tokens]
//! access_ttl_secs = 900
//! [lockout]
//! max_failures = 5
//! [argon2]
//! memory_kib = 19456
//! [sip]
//! realm = "example.org"
//! [registrar]                  # every key optional; defaults shown
//! min_expires = 60             # shorter REGISTER expiries get 423
//! max_expires = 3600           # longer ones are cut down
//! default_expires = 3600       # when the REGISTER names none
//! event_min_expires = 60       # the same for PUBLISH and SUBSCRIBE
//! event_max_expires = 3600
//! max_message_bytes = 8192     # larger MESSAGE bodies get 413
//! notify_interval_ms = 200     # least time between two NOTIFYs of one subscription
//! digest_algorithms = ["MD5", "SHA-256"]  # offered, in this order
//! bearer_challenge = true      # also challenge with `Bearer realm=…` (Halo's tokens)
//! echo_user = "echo"           # the echo buddy; "" for none
//! echo_delay_ms = 500          # the echo buddy plays a call's sound back this much later
//! ```
//!
//! Phones built on libre (baresip 1.0) give up on any challenge but a single MD5 one; for
//! them set `digest_algorithms = ["MD5"]` and `bearer_challenge = false`. Halo phones still
//! sign in: they present their token before any challenge.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sip::auth::Algorithm;
use users::{Argon2Config, LockoutConfig, SipConfig, TokenConfig};

use crate::cli::{Cli, ServeArgs};

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileConfig {
    data: Option<PathBuf>,
    http: Option<SocketAddr>,
    domain: Option<String>,
    issuer: Option<String>,
    tls: Option<TlsPaths>,
    sip_tls: Option<SocketAddr>,
    tokens: TokenConfig,
    lockout: LockoutConfig,
    argon2: Argon2Config,
    sip: SipConfig,
    registrar: RegistrarFile,
}

/// The `[registrar]` table: overrides of `registrar::Config`'s defaults.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RegistrarFile {
    min_expires: Option<u32>,
    max_expires: Option<u32>,
    default_expires: Option<u32>,
    event_min_expires: Option<u32>,
    event_max_expires: Option<u32>,
    max_message_bytes: Option<usize>,
    notify_interval_ms: Option<u64>,
    digest_algorithms: Option<Vec<DigestName>>,
    bearer_challenge: Option<bool>,
    echo_user: Option<String>,
    echo_delay_ms: Option<u64>,
}

/// The Digest algorithms a registrar can verify, spelt as in challenges (RFC 8760).
#[derive(Debug, Clone, Copy, Deserialize)]
enum DigestName {
    #[serde(rename = "MD5")]
    Md5,
    #[serde(rename = "SHA-256")]
    Sha256,
}

impl RegistrarFile {
    /// Applies the keys that were given.
    pub(crate) fn apply(&self, config: &mut registrar::Config) {
        let set = |field: &mut u32, value: Option<u32>| {
            if let Some(v) = value {
                *field = v;
            }
        };
        set(&mut config.min_expires, self.min_expires);
        set(&mut config.max_expires, self.max_expires);
        set(&mut config.default_expires, self.default_expires);
        set(&mut config.event_min_expires, self.event_min_expires);
        set(&mut config.event_max_expires, self.event_max_expires);
        if let Some(bytes) = self.max_message_bytes {
            config.max_message_bytes = bytes;
        }
        if let Some(ms) = self.notify_interval_ms {
            config.notify_interval = std::time::Duration::from_millis(ms);
        }
        if let Some(names) = &self.digest_algorithms {
            config.digest.algorithms = names
                .iter()
                .map(|n| match n {
                    DigestName::Md5 => Algorithm::Md5,
                    DigestName::Sha256 => Algorithm::Sha256,
                })
                .collect();
        }
        if let Some(bearer) = self.bearer_challenge {
            config.bearer_challenge = bearer;
        }
        if let Some(echo) = &self.echo_user {
            config.echo_user = Some(echo.clone()).filter(|e| !e.is_empty());
        }
        if let Some(ms) = self.echo_delay_ms {
            config.echo_delay = std::time::Duration::from_millis(ms);
        }
    }
}

/// Certificate and key for HTTPS and SIP over TLS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TlsPaths {
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

/// Everything `halo-server` runs with.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) users: users::Config,
    pub(crate) http: SocketAddr,
    pub(crate) tls: Option<TlsPaths>,
    pub(crate) sip_tls: Option<SocketAddr>,
    pub(crate) registrar: RegistrarFile,
}

/// A configuration file that could not be used, located for the operator.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {key}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        key: String,
        message: String,
    },
}

impl Settings {
    /// Defaults, then the file, then the command line.
    pub(crate) fn load(cli: &Cli, serve: Option<&ServeArgs>) -> Result<Self, ConfigError> {
        let file = match &cli.config {
            Some(path) => read(path)?,
            None => FileConfig::default(),
        };
        let data = cli
            .data
            .clone()
            .or(file.data)
            .unwrap_or_else(|| "halo-data".into());
        let domain = cli
            .domain
            .clone()
            .or(file.domain)
            .unwrap_or_else(|| "localhost".into());
        let http = serve
            .and_then(|s| s.http)
            .or(file.http)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let tls = match serve {
            Some(ServeArgs {
                tls_cert: Some(cert),
                tls_key: Some(key),
                ..
            }) => Some(TlsPaths {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => file.tls,
        };
        let mut users = users::Config::new(data, domain);
        users.issuer = file.issuer;
        users.tokens = file.tokens;
        users.lockout = file.lockout;
        users.argon2 = file.argon2;
        users.sip = file.sip;
        Ok(Self {
            users,
            http,
            tls,
            sip_tls: serve.and_then(|s| s.sip_tls).or(file.sip_tls),
            registrar: file.registrar,
        })
    }
}

fn read(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(path, &text)
}

fn parse(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |span| span.start);
        let (line, column) = line_and_column(text, offset);
        ConfigError::Invalid {
            path: path.to_owned(),
            line,
            column,
            key: key_at(text, offset),
            message: e.message().to_owned(),
        }
    })
}

/// 1-based line and column of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The dotted key the error points into: the key on its line, qualified by the table it is in.
/// toml's spans point at the key for unknown keys and at the value for bad values; both are on
/// the key's line.
fn key_at(text: &str, offset: usize) -> String {
    let start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("");
    let table = text[..start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
    let key = match line.split_once('=') {
        Some((key, _)) => key.trim().trim_matches('"').to_owned(),
        None => line
            .trim()
            .trim_matches(|c| c == '[' || c == ']')
            .to_owned(),
    };
    match table {
        Some(table) if line.contains('=') => format!("{table}.{key}"),
        _ => key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        parse(Path::new("halo.toml"), text)
            .expect_err("invalid")
            .to_string()
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = "domain = \"example.org\"\n[tokens]\naccess_ttl_secs = 60\nacess_ttl = 5\n";
        let message = error(text);
        assert!(
            message.starts_with("halo.toml:4:1: tokens.acess_ttl: "),
            "{message}"
        );
        assert!(message.contains("unknown field"), "{message}");
    }

    #[test]
    fn bad_value_names_its_key() {
        let message = error("http = \"not an address\"\n");
        assert!(message.starts_with("halo.toml:1:8: http: "), "{message}");
        let message = error("[lockout]\n\nmax_failures = \"five\"\n");
        assert!(
            message.starts_with("halo.toml:3:16: lockout.max_failures: "),
            "{message}"
        );
    }

    #[test]
    fn a_full_file_parses() {
        let text = r#"
            data = "/var/lib/halo"
            http = "0.0.0.0:8443"
            domain = "example.org"
            [tls]
            cert = "c.pem"
            key = "k.pem"
            [tokens]
            access_ttl_secs = 300
            [sip]
            realm = "halo"
        "#;
        let file = parse(Path::new("halo.toml"), text).expect("valid");
        assert_eq!(file.tokens.access_ttl_secs, 300);
        assert_eq!(file.tokens.refresh_ttl_secs, 30 * 24 * 3600, "default kept");
        assert_eq!(file.sip.realm.as_deref(), Some("halo"));
        assert!(file.tls.is_some());
    }

    #[test]
    fn registrar_keys_apply_and_bad_ones_are_located() {
        let text = "[registrar]\nmin_expires = 30\ndigest_algorithms = [\"MD5\"]\nbearer_challenge = false\necho_user = \"\"\n";
        let file = parse(Path::new("halo.toml"), text).expect("valid");
        let mut config = registrar::Config::new("example.test");
        file.registrar.apply(&mut config);
        assert_eq!(config.min_expires, 30);
        assert_eq!(config.max_expires, 3600, "default kept");
        assert_eq!(config.digest.algorithms, [Algorithm::Md5]);
        assert!(!config.bearer_challenge);
        assert_eq!(config.echo_user, None);

        let bad = "[registrar]\nmin_expires = 30\ndigest_algorithms = [\"SHA-1\"]\n";
        let err = parse(Path::new("halo.toml"), bad).expect_err("unknown algorithm");
        let text = err.to_string();
        assert!(text.starts_with("halo.toml:3:"), "{text}");
        assert!(text.contains("registrar.digest_algorithms"), "{text}");
        let typo = "[registrar]\nmin_expire = 30\n";
        let err = parse(Path::new("halo.toml"), typo).expect_err("unknown key");
        assert!(err.to_string().contains("registrar.min_expire"), "{err}");
    }
}
