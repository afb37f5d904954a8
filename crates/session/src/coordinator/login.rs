//! Signing in to halo-server: `POST /auth/login` and `/auth/refresh` (DESIGN.md flow 1).

use serde::Deserialize;

/// The token answer of halo-server.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Tokens {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    pub(crate) expires_in: u64,
    pub(crate) sip: SipInfo,
}

/// Where to register, from the token answer.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SipInfo {
    pub(crate) domain: String,
    pub(crate) registrar: String,
    /// Present when the server also serves SIP over TLS.
    #[serde(default)]
    pub(crate) registrar_tls: Option<String>,
}

/// Why signing in failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The server could not be reached or answered garbage.
    #[error("cannot reach the sign-in service: {0}")]
    Http(#[from] reqwest::Error),
    /// The server refused (wrong password, locked out).
    #[error("sign-in refused ({status}): {body}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The server's JSON error, as text.
        body: String,
    },
}

pub(crate) async fn login(
    client: &reqwest::Client,
    base: &str,
    user: &str,
    password: &str,
) -> Result<Tokens, LoginError> {
    let body = serde_json::json!({ "username": user, "password": password });
    post(client, &format!("{base}/auth/login"), &body).await
}

pub(crate) async fn refresh(
    client: &reqwest::Client,
    base: &str,
    refresh_token: &str,
) -> Result<Tokens, LoginError> {
    let body = serde_json::json!({ "refresh_token": refresh_token });
    post(client, &format!("{base}/auth/refresh"), &body).await
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
) -> Result<Tokens, LoginError> {
    let resp = client.post(url).json(body).send().await?;
    let status = resp.status();
    if !status.is_success() {
        return Err(LoginError::Refused {
            status: status.as_u16(),
            body: resp.text().await.unwrap_or_default(),
        });
    }
    Ok(resp.json().await?)
}
