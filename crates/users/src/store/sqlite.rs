//! The embedded default store: one SQLite file in the data directory.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Row};
use uuid::Uuid;

use super::{RefreshRecord, Role, StoreError, User, UserRecord, UserStore};

/// Schema steps, applied in order; `PRAGMA user_version` records how many have run. Append only:
/// an applied step is never edited, so every database reaches the same schema.
const MIGRATIONS: &[&str] = &["CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        username      TEXT NOT NULL UNIQUE,
        display_name  TEXT NOT NULL,
        email         TEXT,
        roles         TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        ha1_md5       TEXT NOT NULL,
        ha1_sha256    TEXT NOT NULL,
        disabled      INTEGER NOT NULL DEFAULT 0,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
    );
    CREATE TABLE refresh_tokens (
        hash       TEXT PRIMARY KEY,
        family     TEXT NOT NULL,
        user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        issued_at  INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at    INTEGER,
        revoked_at INTEGER
    );
    CREATE INDEX refresh_tokens_family ON refresh_tokens(family);
    CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);"];

const USER_COLUMNS: &str = "id, username, display_name, email, roles, password_hash, ha1_md5, \
                            ha1_sha256, disabled, created_at, updated_at";

/// SQLite behind a mutex: one connection serialises writers, which SQLite does anyway, and an
/// office's sign-ins are far below what one connection serves.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written: each statement is
        // atomic, so the connection is still usable.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let applied: usize = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    for (index, step) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
    }
    Ok(())
}

impl UserStore for SqliteStore {
    fn insert_user(&self, r: &UserRecord) -> Result<(), StoreError> {
        let u = &r.user;
        let result = self.conn().execute(
            &format!(
                "INSERT INTO users ({USER_COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"
            ),
            params![
                u.id.to_string(),
                u.username,
                u.display_name,
                u.email,
                roles_to_text(&u.roles),
                r.password_hash,
                r.ha1_md5,
                r.ha1_sha256,
                u.disabled,
                u.created_at,
                u.updated_at,
            ],
        );
        match result {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == ErrorCode::ConstraintViolation =>
            {
                Err(StoreError::UsernameTaken)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn user(&self, id: Uuid) -> Result<Option<UserRecord>, StoreError> {
        self.conn()
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
                [id.to_string()],
                read_user,
            )
            .optional()?
            .transpose()
    }

    fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        self.conn()
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1"),
                [username],
                read_user,
            )
            .optional()?
            .transpose()
    }

    fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY username"
        ))?;
        let rows = stmt.query_map([], read_user)?;
        let mut users = Vec::new();
        for row in rows {
            users.push(row??);
        }
        Ok(users)
    }

    fn update_user(&self, r: &UserRecord) -> Result<bool, StoreError> {
        let u = &r.user;
        let changed = self.conn().execute(
            "UPDATE users SET display_name = ?2, email = ?3, roles = ?4, password_hash = ?5,
                 ha1_md5 = ?6, ha1_sha256 = ?7, disabled = ?8, updated_at = ?9
             WHERE id = ?1",
            params![
                u.id.to_string(),
                u.display_name,
                u.email,
                roles_to_text(&u.roles),
                r.password_hash,
                r.ha1_md5,
                r.ha1_sha256,
                u.disabled,
                u.updated_at,
            ],
        )?;
        Ok(changed == 1)
    }

    fn delete_user(&self, id: Uuid) -> Result<bool, StoreError> {
        let changed = self
            .conn()
            .execute("DELETE FROM users WHERE id = ?1", [id.to_string()])?;
        Ok(changed == 1)
    }

    fn insert_refresh(&self, t: &RefreshRecord) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO refresh_tokens (hash, family, user_id, issued_at, expires_at, used_at, revoked_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                t.hash,
                t.family.to_string(),
                t.user.to_string(),
                t.issued_at,
                t.expires_at,
                t.used_at,
                t.revoked_at,
            ],
        )?;
        Ok(())
    }

    fn refresh(&self, hash: &str) -> Result<Option<RefreshRecord>, StoreError> {
        self.conn()
            .query_row(
                "SELECT hash, family, user_id, issued_at, expires_at, used_at, revoked_at
                 FROM refresh_tokens WHERE hash = ?1",
                [hash],
                read_refresh,
            )
            .optional()?
            .transpose()
    }

    fn consume_refresh(&self, hash: &str, now: i64) -> Result<bool, StoreError> {
        let changed = self.conn().execute(
            "UPDATE refresh_tokens SET used_at = ?2
             WHERE hash = ?1 AND used_at IS NULL AND revoked_at IS NULL",
            params![hash, now],
        )?;
        Ok(changed == 1)
    }

    fn revoke_family(&self, family: Uuid, now: i64) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE refresh_tokens SET revoked_at = ?2 WHERE family = ?1 AND revoked_at IS NULL",
            params![family.to_string(), now],
        )?;
        Ok(())
    }

    fn revoke_user_refresh(&self, user: Uuid, now: i64) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE refresh_tokens SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
            params![user.to_string(), now],
        )?;
        Ok(())
    }

    fn purge_refresh(&self, now: i64) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM refresh_tokens WHERE expires_at < ?1", [now])?;
        Ok(())
    }
}

fn roles_to_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn roles_from_text(text: &str) -> Result<Vec<Role>, StoreError> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect()
}

fn parse_uuid(column: &'static str, text: String) -> Result<Uuid, StoreError> {
    Uuid::parse_str(&text).map_err(|_| StoreError::Corrupt {
        column,
        value: text,
    })
}

/// Reads a row into a record; the outer `Result` is SQLite's, the inner one our decoding's, so
/// `query_row(..).optional()?.transpose()` yields both.
fn read_user(row: &Row<'_>) -> rusqlite::Result<Result<UserRecord, StoreError>> {
    let id: String = row.get(0)?;
    let roles: String = row.get(4)?;
    let (username, display_name, email) = (row.get(1)?, row.get(2)?, row.get(3)?);
    let (password_hash, ha1_md5, ha1_sha256) = (row.get(5)?, row.get(6)?, row.get(7)?);
    let (disabled, created_at, updated_at) = (row.get(8)?, row.get(9)?, row.get(10)?);
    Ok((|| {
        Ok(UserRecord {
            user: User {
                id: parse_uuid("users.id", id)?,
                username,
                display_name,
                email,
                roles: roles_from_text(&roles)?,
                disabled,
                created_at,
                updated_at,
            },
            password_hash,
            ha1_md5,
            ha1_sha256,
        })
    })())
}

fn read_refresh(row: &Row<'_>) -> rusqlite::Result<Result<RefreshRecord, StoreError>> {
    let family: String = row.get(1)?;
    let user: String = row.get(2)?;
    let (hash, issued_at, expires_at) = (row.get(0)?, row.get(3)?, row.get(4)?);
    let (used_at, revoked_at) = (row.get(5)?, row.get(6)?);
    Ok((|| {
        Ok(RefreshRecord {
            hash,
            family: parse_uuid("refresh_tokens.family", family)?,
            user: parse_uuid("refresh_tokens.user_id", user)?,
            issued_at,
            expires_at,
            used_at,
            revoked_at,
        })
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str) -> UserRecord {
        UserRecord {
            user: User {
                id: Uuid::new_v4(),
                username: name.to_owned(),
                display_name: name.to_uppercase(),
                email: None,
                roles: vec![Role::User, Role::Admin],
                disabled: false,
                created_at: 1,
                updated_at: 1,
            },
            password_hash: "$argon2id$x".to_owned(),
            ha1_md5: "m".to_owned(),
            ha1_sha256: "s".to_owned(),
        }
    }

    #[test]
    fn migrates_once_and_round_trips_users() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("users.db");
        let alice = record("alice");
        {
            let store = SqliteStore::open(&path).expect("opens");
            store.insert_user(&alice).expect("inserts");
            assert!(matches!(
                store.insert_user(&record("alice")),
                Err(StoreError::UsernameTaken)
            ));
        }
        let store = SqliteStore::open(&path).expect("reopens without re-running migrations");
        assert_eq!(
            store.user_by_name("alice").expect("reads"),
            Some(alice.clone())
        );
        assert_eq!(store.user(alice.user.id).expect("reads"), Some(alice));
    }

    #[test]
    fn consuming_a_refresh_token_succeeds_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("users.db")).expect("opens");
        let alice = record("alice");
        store.insert_user(&alice).expect("inserts");
        let token = RefreshRecord {
            hash: "h".to_owned(),
            family: Uuid::new_v4(),
            user: alice.user.id,
            issued_at: 1,
            expires_at: 100,
            used_at: None,
            revoked_at: None,
        };
        store.insert_refresh(&token).expect("inserts");
        assert!(store.consume_refresh("h", 5).expect("updates"));
        assert!(!store.consume_refresh("h", 6).expect("updates"));
        store.delete_user(alice.user.id).expect("deletes");
        assert_eq!(store.refresh("h").expect("reads"), None, "cascaded");
    }
}
