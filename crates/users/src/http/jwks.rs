//! The public keys, and their rotation.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use super::extract::{blocking, AdminUser};
use crate::error::Error;
use crate::state::AppState;

pub(crate) async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    // Short enough that a rotation reaches remote validators soon; they refetch on an unknown
    // kid anyway.
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(state.jwks()),
    )
}

pub(crate) async fn rotate(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> Result<Json<serde_json::Value>, Error> {
    let kid = blocking(&state, AppState::rotate_keys).await?;
    tracing::info!(%kid, by = %admin.id, "rotated signing key");
    Ok(Json(json!({ "kid": kid })))
}
