//! The HTTP API.
//!
//! | route | who | what |
//! |---|---|---|
//! | `POST /auth/login` | anyone | password → tokens |
//! | `POST /auth/refresh` | anyone | refresh token → new tokens (rotation) |
//! | `POST /auth/logout` | anyone | revoke a refresh token's family |
//! | `GET /auth/jwks.json` | anyone | public signing keys |
//! | `GET /.well-known/halo` | anyone | issuer, JWKS and SIP settings |
//! | `GET,POST /users` | admin | list, create |
//! | `GET,PATCH,DELETE /users/{id}` | admin | read, update, delete |
//! | `PUT /users/{id}/password`, `PUT /users/{id}/roles` | admin | set password, roles |
//! | `GET /users/me`, `PUT /users/me/password` | the user | read self, change own password |
//! | `POST /admin/keys/rotate` | admin | new signing key |
//! | `GET /health`, `GET /metrics` | anyone | liveness, Prometheus counters |

mod auth;
mod error;
mod extract;
mod jwks;
mod ops;
mod users;

use axum::routing::{get, post, put};
use axum::Router;

use crate::state::AppState;

/// The complete API, ready for `axum::serve` or for `oneshot` requests in tests.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/jwks.json", get(jwks::jwks))
        .route("/.well-known/halo", get(auth::well_known))
        .route("/users", get(users::list).post(users::create))
        .route("/users/me", get(users::me))
        .route("/users/me/password", put(users::change_own_password))
        .route(
            "/users/{id}",
            get(users::get).patch(users::update).delete(users::delete),
        )
        .route("/users/{id}/password", put(users::set_password))
        .route("/users/{id}/roles", put(users::set_roles))
        .route("/admin/keys/rotate", post(jwks::rotate))
        .route("/health", get(ops::health))
        .route("/metrics", get(ops::metrics))
        .with_state(state)
}
