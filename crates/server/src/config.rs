//! The configuration file, merged with command-line options.
//!
//! ```toml
//! data = "/var/lib/halo"
//! http = "0.0.0.0:8443"
//! domain = "example.org"
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
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
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
    tokens: TokenConfig,
    lockout: LockoutConfig,
    argon2: Argon2Config,
    sip: SipConfig,
}

/// Certificate and key for HTTPS.
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
        Ok(Self { users, http, tls })
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
}
