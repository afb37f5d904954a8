//! Extractors: authentication, and JSON bodies that fail in our error format.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{header, request::Parts};
use uuid::Uuid;

use crate::error::Error;
use crate::state::AppState;
use crate::store::Role;

/// `axum::Json`, but a bad body answers with our JSON error instead of plain text.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(Error))]
pub(crate) struct Json<T>(pub(crate) T);

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        Error::MalformedBody(rejection.body_text())
    }
}

/// The holder of a valid access token for this API.
#[derive(Debug, Clone)]
pub(crate) struct AuthUser {
    pub(crate) id: Uuid,
    pub(crate) roles: Vec<Role>,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(Error::MissingToken)?;
        let token = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or(Error::MissingToken)?;
        let claims = state.api_token_validator().validate(token)?;
        Ok(Self {
            id: claims.sub,
            roles: claims.roles,
        })
    }
}

/// An [`AuthUser`] holding the `admin` role; others get 403.
///
/// The role is taken from the token, so a demotion takes effect within one access token
/// lifetime; that is the price of not hitting the database on every request.
#[derive(Debug, Clone)]
pub(crate) struct AdminUser(pub(crate) AuthUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.roles.contains(&Role::Admin) {
            Ok(Self(user))
        } else {
            Err(Error::Forbidden)
        }
    }
}

/// Runs a blocking operation of the service (SQLite, Argon2) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    state: &AppState,
    op: impl FnOnce(&AppState) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || op(&state)).await?
}
