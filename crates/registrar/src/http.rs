//! Buddy lists and watcher decisions over HTTP, beside the users API:
//!
//! | route | what |
//! |---|---|
//! | `GET /users/me/buddies` | the caller's list |
//! | `POST /users/me/buddies` | add `{username, name?, group?}` |
//! | `PATCH /users/me/buddies/{username}` | rename or regroup `{name?, group?}` |
//! | `DELETE /users/me/buddies/{username}` | remove |
//! | `PUT /users/me/watchers/{username}` | `{decision: "allow" \| "block"}` for a watcher |
//!
//! Every change is also told to the registrar, which re-judges the user's watchers at once.

use std::sync::{Arc, Mutex};

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, put};
use axum::{Json, Router};
use serde::Deserialize;
use tokio::sync::mpsc;
use users::AppState;

use crate::store::{Buddy, Decision, Store, StoreError};

/// What the buddy API needs: the users service (tokens, who exists), the registrar's store,
/// and the channel to the registrar.
#[derive(Debug, Clone)]
pub struct BuddyApi {
    users: AppState,
    store: Arc<Mutex<Store>>,
    changed: mpsc::UnboundedSender<String>,
}

impl BuddyApi {
    /// `changed` receives the username whose list or decisions changed.
    pub fn new(users: AppState, store: Store, changed: mpsc::UnboundedSender<String>) -> BuddyApi {
        BuddyApi {
            users,
            store: Arc::new(Mutex::new(store)),
            changed,
        }
    }

    fn with_store<T>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<T, ApiError> {
        // A panic while holding the lock cannot leave SQLite inconsistent: each call is
        // one statement, so the poisoned data is still usable.
        let store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        f(&store).map_err(ApiError::Store)
    }
}

/// The routes, to merge into the users router.
pub fn router(api: BuddyApi) -> Router {
    Router::new()
        .route("/users/me/buddies", get(list).post(add))
        .route("/users/me/buddies/{username}", patch(update).delete(remove))
        .route("/users/me/watchers/{username}", put(decide))
        .with_state(api)
}

#[derive(Debug, thiserror::Error)]
enum ApiError {
    #[error("a valid access token is required")]
    Unauthorized,
    #[error("no such user")]
    NoSuchUser,
    #[error("not on the buddy list")]
    NotABuddy,
    #[error("storage failed")]
    Store(StoreError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::NoSuchUser => (StatusCode::NOT_FOUND, "no_such_user"),
            ApiError::NotABuddy => (StatusCode::NOT_FOUND, "not_a_buddy"),
            ApiError::Store(e) => {
                // Logged, never shown: the client can do nothing with SQLite's words.
                tracing::error!(error = %e, "buddy API storage");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let body = Json(serde_json::json!({"error": {"code": code, "message": self.to_string()}}));
        let mut resp = (status, body).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

/// The username of the access token's holder.
struct Me(String);

impl FromRequestParts<BuddyApi> for Me {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, api: &BuddyApi) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .ok_or(ApiError::Unauthorized)?;
        let claims = api
            .users
            .api_token_validator()
            .validate(token)
            .map_err(|_| ApiError::Unauthorized)?;
        Ok(Me(claims.username))
    }
}

async fn list(State(api): State<BuddyApi>, Me(me): Me) -> Result<Json<Vec<Buddy>>, ApiError> {
    Ok(Json(api.with_store(|s| s.buddies(&me))?))
}

async fn add(
    State(api): State<BuddyApi>,
    Me(me): Me,
    Json(buddy): Json<Buddy>,
) -> Result<(StatusCode, Json<Buddy>), ApiError> {
    let exists = api.users.user_by_name(&buddy.username).is_ok();
    if !exists && buddy.username != "echo" {
        return Err(ApiError::NoSuchUser);
    }
    api.with_store(|s| s.put_buddy(&me, &buddy))?;
    let _ = api.changed.send(me);
    Ok((StatusCode::CREATED, Json(buddy)))
}

#[derive(Debug, Deserialize)]
struct Changes {
    name: Option<String>,
    group: Option<String>,
}

async fn update(
    State(api): State<BuddyApi>,
    Me(me): Me,
    Path(username): Path<String>,
    Json(changes): Json<Changes>,
) -> Result<Json<Buddy>, ApiError> {
    let mut buddy = api
        .with_store(|s| s.buddies(&me))?
        .into_iter()
        .find(|b| b.username == username)
        .ok_or(ApiError::NotABuddy)?;
    if changes.name.is_some() {
        buddy.name = changes.name;
    }
    if changes.group.is_some() {
        buddy.group = changes.group;
    }
    api.with_store(|s| s.put_buddy(&me, &buddy))?;
    Ok(Json(buddy))
}

async fn remove(
    State(api): State<BuddyApi>,
    Me(me): Me,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !api.with_store(|s| s.delete_buddy(&me, &username))? {
        return Err(ApiError::NotABuddy);
    }
    let _ = api.changed.send(me);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct Decide {
    decision: Decision,
}

async fn decide(
    State(api): State<BuddyApi>,
    Me(me): Me,
    Path(username): Path<String>,
    Json(body): Json<Decide>,
) -> Result<StatusCode, ApiError> {
    api.with_store(|s| s.set_decision(&me, &username, body.decision))?;
    let _ = api.changed.send(me);
    Ok(StatusCode::NO_CONTENT)
}
