//! Managing accounts: create, read, update, delete, passwords.

use serde::Deserialize;
use uuid::Uuid;

use crate::error::{Error, Invalid};
use crate::metrics::Metrics;
use crate::password::DigestAlgorithm;
use crate::state::AppState;
use crate::store::{Role, User, UserRecord};

/// A new account. Roles default to `user`; the display name to the username.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Sign-in name and SIP user part.
    pub username: String,
    /// Initial password.
    pub password: String,
    /// Name shown to people.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Contact address.
    #[serde(default)]
    pub email: Option<String>,
    /// Roles; `["user"]` if absent.
    #[serde(default)]
    pub roles: Option<Vec<Role>>,
}

/// Changes to an account; absent fields stay as they are. The username cannot change because
/// the stored HA1 values cover it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    /// New display name.
    pub display_name: Option<String>,
    /// New email; an empty string removes it.
    pub email: Option<String>,
    /// New roles, replacing the old ones.
    pub roles: Option<Vec<Role>>,
    /// Disabling also revokes the user's refresh tokens.
    pub disabled: Option<bool>,
}

impl AppState {
    /// Creates an account.
    pub fn create_user(&self, new: NewUser) -> Result<User, Error> {
        check_username(&new.username)?;
        let display_name = new.display_name.unwrap_or_else(|| new.username.clone());
        check_display_name(&display_name)?;
        let email = new.email.filter(|e| !e.is_empty());
        email.as_deref().map(check_email).transpose()?;
        let roles = new.roles.unwrap_or_else(|| vec![Role::User]);
        check_roles(&roles)?;
        let now = self.now();
        let mut record = UserRecord {
            user: User {
                id: Uuid::new_v4(),
                username: new.username,
                display_name,
                email,
                roles,
                disabled: false,
                created_at: now,
                updated_at: now,
            },
            password_hash: String::new(),
            ha1_md5: String::new(),
            ha1_sha256: String::new(),
        };
        self.set_secrets(&mut record, &new.password)?;
        self.inner.store.insert_user(&record)?;
        tracing::info!(user = %record.user.username, id = %record.user.id, "created user");
        Ok(record.user)
    }

    /// All accounts, by username.
    pub fn users(&self) -> Result<Vec<User>, Error> {
        let records = self.inner.store.users()?;
        Ok(records.into_iter().map(|r| r.user).collect())
    }

    /// One account by id.
    pub fn user(&self, id: Uuid) -> Result<User, Error> {
        Ok(self.record(id)?.user)
    }

    /// One account by username.
    pub fn user_by_name(&self, username: &str) -> Result<User, Error> {
        let record = self.inner.store.user_by_name(username)?;
        record.map(|r| r.user).ok_or(Error::UserNotFound)
    }

    /// Applies `update` to an account.
    pub fn update_user(&self, id: Uuid, update: UserUpdate) -> Result<User, Error> {
        let mut record = self.record(id)?;
        let user = &mut record.user;
        if let Some(name) = update.display_name {
            check_display_name(&name)?;
            user.display_name = name;
        }
        if let Some(email) = update.email {
            if email.is_empty() {
                user.email = None;
            } else {
                check_email(&email)?;
                user.email = Some(email);
            }
        }
        if let Some(roles) = update.roles {
            check_roles(&roles)?;
            user.roles = roles;
        }
        let now = self.now();
        let newly_disabled = update.disabled == Some(true) && !user.disabled;
        if let Some(disabled) = update.disabled {
            user.disabled = disabled;
        }
        user.updated_at = now;
        if !self.inner.store.update_user(&record)? {
            return Err(Error::UserNotFound);
        }
        if newly_disabled {
            self.inner.store.revoke_user_refresh(id, now)?;
        }
        Ok(record.user)
    }

    /// Removes an account and its refresh tokens.
    pub fn delete_user(&self, id: Uuid) -> Result<(), Error> {
        if self.inner.store.delete_user(id)? {
            tracing::info!(%id, "deleted user");
            Ok(())
        } else {
            Err(Error::UserNotFound)
        }
    }

    /// Sets a new password (and HA1 values) and revokes the user's refresh tokens, so a stolen
    /// session ends with the password change. Access tokens already issued run out on their own.
    pub fn set_password(&self, id: Uuid, password: &str) -> Result<(), Error> {
        let mut record = self.record(id)?;
        self.set_secrets(&mut record, password)?;
        let now = self.now();
        record.user.updated_at = now;
        if !self.inner.store.update_user(&record)? {
            return Err(Error::UserNotFound);
        }
        self.inner.store.revoke_user_refresh(id, now)?;
        Ok(())
    }

    /// A user changing their own password must give the current one. Wrong guesses count
    /// towards the same lockout as sign-in, or this would be a way around it.
    pub fn change_own_password(&self, id: Uuid, current: &str, new: &str) -> Result<(), Error> {
        let record = self.record(id)?;
        let username = &record.user.username;
        let now = self.now();
        self.inner
            .lockout
            .check(username, now)
            .map_err(|retry_after| Error::TooManyAttempts { retry_after })?;
        if !self
            .inner
            .hasher
            .verify(current, Some(&record.password_hash))
        {
            if self.inner.lockout.record_failure(username, now) {
                Metrics::inc(&self.inner.metrics.lockouts);
            }
            return Err(Error::InvalidCredentials);
        }
        self.set_password(id, new)
    }

    fn record(&self, id: Uuid) -> Result<UserRecord, Error> {
        self.inner.store.user(id)?.ok_or(Error::UserNotFound)
    }

    fn set_secrets(&self, record: &mut UserRecord, password: &str) -> Result<(), Error> {
        check_password(password)?;
        let realm = self.inner.config.realm();
        let username = &record.user.username;
        record.password_hash = self.inner.hasher.hash(password)?;
        record.ha1_md5 = DigestAlgorithm::Md5.ha1(username, &realm, password);
        record.ha1_sha256 = DigestAlgorithm::Sha256.ha1(username, &realm, password);
        Ok(())
    }
}

fn check_username(name: &str) -> Result<(), Invalid> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    let starts_well = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if starts_well && name.len() <= 64 && name.chars().all(allowed) {
        Ok(())
    } else {
        Err(Invalid::Username)
    }
}

fn check_password(password: &str) -> Result<(), Invalid> {
    if (8..=1024).contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(Invalid::Password)
    }
}

fn check_display_name(name: &str) -> Result<(), Invalid> {
    let len = name.chars().count();
    if (1..=128).contains(&len) && !name.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(Invalid::DisplayName)
    }
}

fn check_email(email: &str) -> Result<(), Invalid> {
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && email.len() <= 254
                && !email.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            Ok(())
        }
        _ => Err(Invalid::Email),
    }
}

fn check_roles(roles: &[Role]) -> Result<(), Invalid> {
    if roles.is_empty() {
        Err(Invalid::NoRoles)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_sip_safe() {
        for good in ["alice", "bob.smith", "a", "x_1-2"] {
            assert!(check_username(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Alice",
            "-bob",
            "bob smith",
            "bob@x",
            "é",
            &"a".repeat(65),
        ] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_need_one_at_sign() {
        assert!(check_email("a@b").is_ok());
        for bad in ["a", "@b", "a@", "a@b@c", "a b@c"] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }
}
