//! `/users`: administration by admins, and self-service at `/users/me`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json as JsonResponse;
use serde::Deserialize;
use uuid::Uuid;

use super::extract::{blocking, AdminUser, AuthUser, Json};
use crate::accounts::{NewUser, UserUpdate};
use crate::error::Error;
use crate::state::AppState;
use crate::store::{Role, User};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetPassword {
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeOwnPassword {
    current_password: String,
    new_password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetRoles {
    roles: Vec<Role>,
}

/// An id that is not a UUID names no user.
fn user_id(raw: &str) -> Result<Uuid, Error> {
    Uuid::parse_str(raw).map_err(|_| Error::UserNotFound)
}

pub(crate) async fn list(
    State(state): State<AppState>,
    _: AdminUser,
) -> Result<JsonResponse<Vec<User>>, Error> {
    Ok(JsonResponse(blocking(&state, AppState::users).await?))
}

pub(crate) async fn create(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Json(new): Json<NewUser>,
) -> Result<(StatusCode, JsonResponse<User>), Error> {
    let user = blocking(&state, move |s| s.create_user(new)).await?;
    tracing::info!(user = %user.username, by = %admin.id, "admin created user");
    Ok((StatusCode::CREATED, JsonResponse(user)))
}

pub(crate) async fn get(
    State(state): State<AppState>,
    _: AdminUser,
    Path(id): Path<String>,
) -> Result<JsonResponse<User>, Error> {
    let id = user_id(&id)?;
    Ok(JsonResponse(blocking(&state, move |s| s.user(id)).await?))
}

pub(crate) async fn update(
    State(state): State<AppState>,
    _: AdminUser,
    Path(id): Path<String>,
    Json(update): Json<UserUpdate>,
) -> Result<JsonResponse<User>, Error> {
    let id = user_id(&id)?;
    let user = blocking(&state, move |s| s.update_user(id, update)).await?;
    Ok(JsonResponse(user))
}

pub(crate) async fn set_roles(
    State(state): State<AppState>,
    _: AdminUser,
    Path(id): Path<String>,
    Json(body): Json<SetRoles>,
) -> Result<JsonResponse<User>, Error> {
    let id = user_id(&id)?;
    let update = UserUpdate {
        roles: Some(body.roles),
        ..UserUpdate::default()
    };
    let user = blocking(&state, move |s| s.update_user(id, update)).await?;
    Ok(JsonResponse(user))
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let id = user_id(&id)?;
    blocking(&state, move |s| s.delete_user(id)).await?;
    tracing::info!(%id, by = %admin.id, "admin deleted user");
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn set_password(
    State(state): State<AppState>,
    _: AdminUser,
    Path(id): Path<String>,
    Json(body): Json<SetPassword>,
) -> Result<StatusCode, Error> {
    let id = user_id(&id)?;
    blocking(&state, move |s| s.set_password(id, &body.password)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn me(
    State(state): State<AppState>,
    me: AuthUser,
) -> Result<JsonResponse<User>, Error> {
    Ok(JsonResponse(
        blocking(&state, move |s| s.user(me.id)).await?,
    ))
}

pub(crate) async fn change_own_password(
    State(state): State<AppState>,
    me: AuthUser,
    Json(body): Json<ChangeOwnPassword>,
) -> Result<StatusCode, Error> {
    blocking(&state, move |s| {
        s.change_own_password(me.id, &body.current_password, &body.new_password)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
