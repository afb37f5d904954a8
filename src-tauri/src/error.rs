//! What a command tells the UI when it fails: `{kind, message}`, where `kind` lets the UI
//! point at the field at fault and `message` is for the person.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use session::{LoginError, StartError, Stopped};

/// Why a command failed, and what the person can do about it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UiError {
    #[error("Wrong username or password.")]
    WrongPassword,
    #[error(
        "Too many failed sign-in attempts: this account is locked for a while. Try again later."
    )]
    LockedOut,
    #[error("This account is disabled. Ask your administrator.")]
    AccountDisabled,
    #[error("Cannot reach {server}: {cause}. Check the address and that the server is running.")]
    Unreachable { server: String, cause: String },
    #[error("The server refused the sign-in ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("`{0}` is not a server address; it looks like http://127.0.0.1:8080.")]
    BadServer(String),
    #[error("Cannot start the phone: {0}")]
    Start(StartError),
    #[error("Not signed in.")]
    NotSignedIn,
    #[error("Already signed in; sign out first.")]
    AlreadySignedIn,
    #[error("The phone has stopped; sign in again.")]
    Stopped(#[from] Stopped),
    #[error("`{0}` is not a status you can choose.")]
    UnknownStatus(String),
}

impl UiError {
    fn kind(&self) -> &'static str {
        match self {
            UiError::WrongPassword => "wrong_password",
            UiError::LockedOut => "locked_out",
            UiError::AccountDisabled => "account_disabled",
            UiError::Unreachable { .. } => "unreachable",
            UiError::Refused { .. } => "refused",
            UiError::BadServer(_) => "bad_server",
            UiError::Start(_) => "start",
            UiError::NotSignedIn => "not_signed_in",
            UiError::AlreadySignedIn => "already_signed_in",
            UiError::Stopped(_) => "stopped",
            UiError::UnknownStatus(_) => "unknown_status",
        }
    }

    /// Sorts a failed start by what the person should fix: the password, the server address,
    /// or nothing they can (the rest).
    pub(crate) fn from_start(server: &str, e: StartError) -> UiError {
        match e {
            StartError::Login(LoginError::Refused { status, body }) => refused(status, &body),
            StartError::Login(LoginError::Http(e)) => UiError::Unreachable {
                server: server.to_owned(),
                cause: root_cause(&e),
            },
            other => UiError::Start(other),
        }
    }
}

/// halo-server's refusals carry `{"error": {"code", "message"}}`.
fn refused(status: u16, body: &str) -> UiError {
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let error = &json["error"];
    match error["code"].as_str() {
        Some("INVALID_CREDENTIALS") => UiError::WrongPassword,
        Some("TOO_MANY_ATTEMPTS") => UiError::LockedOut,
        Some("ACCOUNT_DISABLED") => UiError::AccountDisabled,
        _ => UiError::Refused {
            status,
            message: error["message"]
                .as_str()
                .map_or_else(|| body.trim().to_owned(), str::to_owned),
        },
    }
}

/// The innermost cause ("Connection refused (os error 111)"): reqwest's own message names
/// only the URL, which the person typed and knows.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

impl Serialize for UiError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("UiError", 2)?;
        out.serialize_field("kind", self.kind())?;
        out.serialize_field("message", &self.to_string())?;
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_refusals_become_kinds_with_messages() {
        let wrong = refused(
            401,
            r#"{"error":{"code":"INVALID_CREDENTIALS","message":"invalid username or password"}}"#,
        );
        assert_eq!(
            serde_json::to_value(&wrong).unwrap(),
            serde_json::json!({"kind": "wrong_password", "message": "Wrong username or password."})
        );
        let locked = refused(
            429,
            r#"{"error":{"code":"TOO_MANY_ATTEMPTS","message":"x"}}"#,
        );
        assert_eq!(locked.kind(), "locked_out");
        let other = refused(500, "gateway on fire");
        assert_eq!(
            other.to_string(),
            "The server refused the sign-in (500): gateway on fire"
        );
    }
}
