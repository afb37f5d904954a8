//! Errors as HTTP responses: `{"error": {"code", "message"}}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::Error;
use crate::token::TokenError;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status_code();
        // A 5xx's details (paths, SQL) help an attacker and confuse a user; they go to the log.
        let message = if status.is_server_error() {
            tracing::error!(error = %self, source = ?std::error::Error::source(&self), "request failed");
            "internal error; the server log has details".to_owned()
        } else {
            self.to_string()
        };
        let body = Json(json!({ "error": { "code": self.code(), "message": message } }));
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        if let Some(challenge) = self.challenge() {
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                headers.insert(header::WWW_AUTHENTICATE, value);
            }
        }
        if let Error::TooManyAttempts { retry_after } = &self {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after.as_secs().max(1)),
            );
        }
        response
    }
}

impl Error {
    /// The `WWW-Authenticate` value (RFC 6750 §3): on every 401, and on a 403 for scope.
    fn challenge(&self) -> Option<String> {
        let realm = r#"Bearer realm="halo""#;
        match self {
            Error::InvalidToken(TokenError::InsufficientScope(scope)) => Some(format!(
                r#"{realm}, error="insufficient_scope", scope="{scope}""#
            )),
            Error::InvalidToken(e) => e.rfc6750_code().map(|code| {
                // The description goes inside a quoted-string, which cannot hold a bare quote.
                let description = e.to_string().replace('"', "'");
                format!(r#"{realm}, error="{code}", error_description="{description}""#)
            }),
            _ if self.status_code() == StatusCode::UNAUTHORIZED => Some(realm.to_owned()),
            _ => None,
        }
    }
}
