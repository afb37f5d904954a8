//! Persistence of users and refresh tokens.
//!
//! The service talks to storage only through [`UserStore`], so a PostgreSQL implementation can
//! replace [`SqliteStore`] when several `halo-server` nodes share one database. The trait is
//! synchronous: the service calls it on the blocking thread pool, which suits SQLite's blocking
//! API and equally a pooled synchronous PostgreSQL client.

mod sqlite;

pub use sqlite::SqliteStore;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Storage of accounts and refresh tokens.
pub trait UserStore: Send + Sync + fmt::Debug + 'static {
    /// Adds a user; [`StoreError::UsernameTaken`] if the name is in use.
    fn insert_user(&self, user: &UserRecord) -> Result<(), StoreError>;
    /// Looks a user up by id.
    fn user(&self, id: Uuid) -> Result<Option<UserRecord>, StoreError>;
    /// Looks a user up by exact username.
    fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>, StoreError>;
    /// All users, ordered by username.
    fn users(&self) -> Result<Vec<UserRecord>, StoreError>;
    /// Replaces a user's row; `false` if there is no such user.
    fn update_user(&self, user: &UserRecord) -> Result<bool, StoreError>;
    /// Removes a user and their refresh tokens; `false` if there was no such user.
    fn delete_user(&self, id: Uuid) -> Result<bool, StoreError>;

    /// Stores a newly issued refresh token.
    fn insert_refresh(&self, token: &RefreshRecord) -> Result<(), StoreError>;
    /// Looks a refresh token up by the hash of its value.
    fn refresh(&self, hash: &str) -> Result<Option<RefreshRecord>, StoreError>;
    /// Marks a token used, only if it is neither used nor revoked yet; `false` otherwise. The
    /// check and the mark are one step, so of two concurrent refreshes with one token only one
    /// wins.
    fn consume_refresh(&self, hash: &str, now: i64) -> Result<bool, StoreError>;
    /// Revokes every token of a rotation family.
    fn revoke_family(&self, family: Uuid, now: i64) -> Result<(), StoreError>;
    /// Revokes every token of a user.
    fn revoke_user_refresh(&self, user: Uuid, now: i64) -> Result<(), StoreError>;
    /// Forgets tokens that expired before `now`.
    fn purge_refresh(&self, now: i64) -> Result<(), StoreError>;
}

/// A user as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Stable id; the `sub` of the user's tokens.
    pub id: Uuid,
    /// Sign-in name and SIP user part; never changes, because HA1 covers it.
    pub username: String,
    /// Name shown to people.
    pub display_name: String,
    /// Contact address, if known.
    pub email: Option<String>,
    /// What the user may do.
    pub roles: Vec<Role>,
    /// A disabled user cannot sign in or refresh.
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A user together with their secrets, as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The public part.
    pub user: User,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Hex MD5 of `username:realm:password`.
    pub ha1_md5: String,
    /// Hex SHA-256 of `username:realm:password`.
    pub ha1_sha256: String,
}

impl fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRecord")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// A role granted to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Role {
    /// May manage users and keys.
    Admin,
    /// May sign in and use SIP.
    User,
}

impl Role {
    /// The name used in tokens, JSON and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::User => "user",
        }
    }
}

impl FromStr for Role {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Self::Admin),
            "user" => Ok(Self::User),
            other => Err(StoreError::Corrupt {
                column: "roles",
                value: other.to_owned(),
            }),
        }
    }
}

/// A refresh token as stored: only the SHA-256 of its value, so a copy of the database does not
/// let anyone sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    /// Hex SHA-256 of the token value.
    pub hash: String,
    /// Tokens descending from one login share a family; reuse of a rotated one revokes it.
    pub family: Uuid,
    /// Whose token it is.
    pub user: Uuid,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// When it was exchanged for its successor.
    pub used_at: Option<i64>,
    /// When it was revoked by logout, reuse or a password change.
    pub revoked_at: Option<i64>,
}

/// Storage failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The username is in use; pick another.
    #[error("username is taken")]
    UsernameTaken,
    /// A stored value could not be read back; the database was changed by something else.
    #[error("stored {column} is invalid: {value:?}")]
    Corrupt {
        /// The column holding the value.
        column: &'static str,
        /// The value found.
        value: String,
    },
    /// The database could not be created in the data directory.
    #[error("cannot create the data directory: {0}")]
    Io(#[from] std::io::Error),
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}
