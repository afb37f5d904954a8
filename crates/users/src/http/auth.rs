//! `/auth/*` and discovery.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json as JsonResponse;
use serde::Deserialize;

use super::extract::{blocking, Json};
use crate::error::Error;
use crate::sessions::TokenResponse;
use crate::state::{AppState, Discovery};

#[derive(Deserialize)]
pub(crate) struct Login {
    username: String,
    password: String,
}

#[derive(Deserialize)]
pub(crate) struct Refresh {
    refresh_token: String,
}

pub(crate) async fn login(
    State(state): State<AppState>,
    Json(body): Json<Login>,
) -> Result<JsonResponse<TokenResponse>, Error> {
    let tokens = blocking(&state, move |s| s.login(&body.username, &body.password)).await?;
    Ok(JsonResponse(tokens))
}

pub(crate) async fn refresh(
    State(state): State<AppState>,
    Json(body): Json<Refresh>,
) -> Result<JsonResponse<TokenResponse>, Error> {
    let tokens = blocking(&state, move |s| s.refresh(&body.refresh_token)).await?;
    Ok(JsonResponse(tokens))
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    Json(body): Json<Refresh>,
) -> Result<StatusCode, Error> {
    blocking(&state, move |s| s.logout(&body.refresh_token)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn well_known(State(state): State<AppState>) -> JsonResponse<Discovery> {
    JsonResponse(state.discovery())
}
