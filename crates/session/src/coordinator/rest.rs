//! halo-server's buddy and watcher API (`crates/registrar/src/http.rs`), used only when signed
//! in there: the server's list is the account's list on every device, and the server is
//! where a watcher is allowed or blocked (standard SIP servers keep that to themselves).

use serde::{Deserialize, Serialize};

/// One entry of `GET /users/me/buddies`; buddies are users of the same domain.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct RemoteBuddy {
    pub(crate) username: String,
    #[serde(default)]
    pub(crate) name: Option<String>,
}

/// `PUT /users/me/watchers/{user}`'s verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Decision {
    Allow,
    Block,
}

/// Why a call to the buddy API failed; the local state was not changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The server could not be reached or answered garbage: try again later.
    #[error("cannot reach the buddy service: {0}")]
    Http(#[from] reqwest::Error),
    /// The server refused (no such user, not a buddy, token expired).
    #[error("the buddy service refused ({status}): {body}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The server's JSON error, as text.
        body: String,
    },
}

/// Base URL and the access token of the moment; cloned into each request's task.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    pub(crate) client: reqwest::Client,
    pub(crate) base: String,
    pub(crate) token: String,
}

impl Api {
    async fn check(resp: reqwest::Response) -> Result<reqwest::Response, ApiError> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        Err(ApiError::Refused {
            status: status.as_u16(),
            body: resp.text().await.unwrap_or_default(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/users/me/{path}", self.base)
    }

    pub(crate) async fn buddies(&self) -> Result<Vec<RemoteBuddy>, ApiError> {
        let resp = self
            .client
            .get(self.url("buddies"))
            .bearer_auth(&self.token)
            .send()
            .await?;
        Ok(Self::check(resp).await?.json().await?)
    }

    pub(crate) async fn add_buddy(&self, buddy: &RemoteBuddy) -> Result<(), ApiError> {
        let resp = self
            .client
            .post(self.url("buddies"))
            .bearer_auth(&self.token)
            .json(buddy)
            .send()
            .await?;
        Self::check(resp).await.map(drop)
    }

    pub(crate) async fn remove_buddy(&self, username: &str) -> Result<(), ApiError> {
        let resp = self
            .client
            .delete(self.url(&format!("buddies/{username}")))
            .bearer_auth(&self.token)
            .send()
            .await?;
        Self::check(resp).await.map(drop)
    }

    pub(crate) async fn decide(&self, watcher: &str, decision: Decision) -> Result<(), ApiError> {
        let resp = self
            .client
            .put(self.url(&format!("watchers/{watcher}")))
            .bearer_auth(&self.token)
            .json(&serde_json::json!({ "decision": decision }))
            .send()
            .await?;
        Self::check(resp).await.map(drop)
    }
}
