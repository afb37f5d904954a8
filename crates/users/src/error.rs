//! The one error type of the service's operations, with the HTTP status each deserves.
//!
//! Defined apart from the HTTP layer so the CLI and the registrar can call the same operations;
//! `http::error` turns it into a response.

use std::time::Duration;

use http::StatusCode;

use crate::password::HashError;
use crate::store::StoreError;
use crate::token::{KeyError, TokenError};

/// Why an operation of the users service failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Wrong username or password; deliberately does not say which.
    #[error("invalid username or password")]
    InvalidCredentials,
    /// Too many failures for this username; retry after the given time.
    #[error("too many failed sign-in attempts")]
    TooManyAttempts {
        /// Until the lockout ends.
        retry_after: Duration,
    },
    /// The account exists and the password was right, but an admin disabled it.
    #[error("this account is disabled")]
    AccountDisabled,
    /// No `Authorization: Bearer` header.
    #[error("an access token is required")]
    MissingToken,
    /// The access token was refused.
    #[error(transparent)]
    InvalidToken(#[from] TokenError),
    /// The refresh token is unknown, expired, revoked or already used; sign in again.
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// Authenticated, but not allowed to do this.
    #[error("this requires the admin role")]
    Forbidden,
    /// No user has that id or name.
    #[error("no such user")]
    UserNotFound,
    /// The username is in use.
    #[error("that username is taken")]
    UsernameTaken,
    /// A field of the request is out of bounds.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The request body is not the expected JSON.
    #[error("malformed request body: {0}")]
    MalformedBody(String),
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
    /// Signing keys failed.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// Password hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// A blocking task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UsernameTaken => Self::UsernameTaken,
            other => Self::Store(other),
        }
    }
}

/// A request field that breaks a rule, and the rule.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Invalid {
    /// Usernames become SIP user parts and enter HA1, so they are kept to a safe alphabet.
    #[error("username must be 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit")]
    Username,
    /// Passwords need a minimum length; the maximum bounds hashing work.
    #[error("password must be 8-1024 characters")]
    Password,
    /// Display names are shown in buddy lists.
    #[error("display name must be 1-128 characters with no control characters")]
    DisplayName,
    /// A very loose check: one `@` with something on each side.
    #[error("email must look like name@domain")]
    Email,
    /// A user without roles could not even sign in to SIP.
    #[error("roles must not be empty")]
    NoRoles,
}

impl Error {
    /// The HTTP status this error deserves.
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::InvalidCredentials | Self::MissingToken | Self::InvalidRefreshToken => {
                StatusCode::UNAUTHORIZED
            }
            Self::InvalidToken(TokenError::InsufficientScope(_)) => StatusCode::FORBIDDEN,
            Self::InvalidToken(e) if e.rfc6750_code().is_none() => StatusCode::SERVICE_UNAVAILABLE,
            Self::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            Self::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::AccountDisabled | Self::Forbidden => StatusCode::FORBIDDEN,
            Self::UserNotFound => StatusCode::NOT_FOUND,
            Self::UsernameTaken => StatusCode::CONFLICT,
            Self::Invalid(_) | Self::MalformedBody(_) => StatusCode::BAD_REQUEST,
            Self::Store(_) | Self::Keys(_) | Self::Hash(_) | Self::Task(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// A stable, machine-readable code for clients to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::TooManyAttempts { .. } => "TOO_MANY_ATTEMPTS",
            Self::AccountDisabled => "ACCOUNT_DISABLED",
            Self::MissingToken => "UNAUTHENTICATED",
            Self::InvalidToken(TokenError::InsufficientScope(_)) => "INSUFFICIENT_SCOPE",
            Self::InvalidToken(e) if e.rfc6750_code().is_none() => "UNAVAILABLE",
            Self::InvalidToken(_) => "INVALID_TOKEN",
            Self::InvalidRefreshToken => "INVALID_REFRESH_TOKEN",
            Self::Forbidden => "FORBIDDEN",
            Self::UserNotFound => "NOT_FOUND",
            Self::UsernameTaken => "USERNAME_TAKEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::MalformedBody(_) => "BAD_REQUEST",
            Self::Store(_) | Self::Keys(_) | Self::Hash(_) | Self::Task(_) => "INTERNAL",
        }
    }
}
