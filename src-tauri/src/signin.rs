//! What the sign-in form starts with, and what a sign-in needs besides the form: where the
//! account's chat history lives and which local address its SIP socket takes.
//!
//! The form is filled from, in order: `HALO_SERVER`, `HALO_USER`, `HALO_PASSWORD` (so
//! `scripts/run.sh` opens a form ready for the demo), the last successful sign-in, and the
//! embedded default of a local halo-server.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::UiError;

/// halo-server's HTTP address when it runs on this machine, as `scripts/run.sh` starts it.
const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// The form's starting values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Form {
    pub(crate) server: String,
    pub(crate) user: String,
    /// Never written to the file: only the keyring or `HALO_PASSWORD` supply it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) password: Option<String>,
    pub(crate) remember: bool,
}

/// The last successful sign-in's form, without the password.
fn last_path(config_dir: &Path) -> PathBuf {
    config_dir.join("last-sign-in.json")
}

/// The starting values; the password comes later, from the keyring, when `remember` is set.
pub(crate) fn form(config_dir: &Path) -> Form {
    let last: Form = std::fs::read(last_path(config_dir))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    Form {
        server: env("HALO_SERVER")
            .or(Some(last.server).filter(|s| !s.is_empty()))
            .unwrap_or_else(|| DEFAULT_SERVER.to_owned()),
        user: env("HALO_USER").unwrap_or(last.user),
        password: env("HALO_PASSWORD"),
        remember: last.remember,
    }
}

/// Keeps the form (never the password) for next time; a failure costs only the prefill.
pub(crate) fn save(config_dir: &Path, form: &Form) {
    let saved = Form {
        password: None,
        ..form.clone()
    };
    let written = std::fs::create_dir_all(config_dir).and_then(|()| {
        let json = serde_json::to_vec_pretty(&saved).expect("a form serialises");
        std::fs::write(last_path(config_dir), json)
    });
    if let Err(e) = written {
        tracing::warn!(error = %e, "the sign-in form was not saved");
    }
}

/// A server address the person typed, checked before anything is sent.
pub(crate) fn server_url(text: &str) -> Result<url::Url, UiError> {
    let text = text.trim();
    let url = url::Url::parse(text).map_err(|_| UiError::BadServer(text.to_owned()))?;
    match (url.scheme(), url.host_str()) {
        ("http" | "https", Some(_)) => Ok(url),
        _ => Err(UiError::BadServer(text.to_owned())),
    }
}

/// One folder per account (`alice@127.0.0.1_8080`), so two accounts never share a history.
pub(crate) fn account_dir(data_dir: &Path, server: &url::Url, user: &str) -> PathBuf {
    let host = server.host_str().unwrap_or("server");
    let port = server.port_or_known_default().unwrap_or(0);
    let name: String = format!("{user}@{host}_{port}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "@._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    data_dir.join("accounts").join(name)
}

/// The local address whose interface routes to the server, port 0: the SIP Contact must be
/// an address the server can send back to, which loopback is not for a server elsewhere and
/// a wildcard bind does not name. Connecting a UDP socket only asks the routing table.
pub(crate) async fn sip_bind(server: &url::Url) -> SocketAddr {
    let fallback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let (Some(host), Some(port)) = (server.host_str(), server.port_or_known_default()) else {
        return fallback;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let Some(remote) = tokio::net::lookup_host((host, port))
        .await
        .ok()
        .and_then(|mut addrs| addrs.next())
    else {
        return fallback;
    };
    let any = match remote {
        SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    UdpSocket::bind((any, 0))
        .and_then(|s| s.connect(remote).and_then(|()| s.local_addr()))
        .map_or(fallback, |local| SocketAddr::new(local.ip(), 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_must_be_http_urls() {
        assert!(server_url(" http://127.0.0.1:8080 ").is_ok());
        assert!(server_url("https://halo.example.org").is_ok());
        for bad in ["127.0.0.1:8080", "sip:alice@halo.local", ""] {
            assert!(
                matches!(server_url(bad), Err(UiError::BadServer(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn account_folders_are_safe_names() {
        let url = server_url("http://127.0.0.1:8080").unwrap();
        let dir = account_dir(Path::new("/d"), &url, "al/ice");
        assert_eq!(dir, Path::new("/d/accounts/al_ice@127.0.0.1_8080"));
    }

    #[tokio::test]
    async fn a_loopback_server_gets_a_loopback_socket() {
        let url = server_url("http://127.0.0.1:8080").unwrap();
        assert_eq!(sip_bind(&url).await, SocketAddr::from(([127, 0, 0, 1], 0)));
    }

    #[test]
    fn the_password_is_never_saved() {
        let dir = tempfile::tempdir().unwrap();
        let form = Form {
            server: "http://127.0.0.1:9".into(),
            user: "alice".into(),
            password: Some("secret".into()),
            remember: true,
        };
        save(dir.path(), &form);
        let text = std::fs::read_to_string(last_path(dir.path())).unwrap();
        assert!(!text.contains("secret"), "{text}");
    }
}
