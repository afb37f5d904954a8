//! The one-shot operator commands: users and keys.

use std::io::BufRead as _;
use std::sync::Arc;

use anyhow::Context as _;
use users::{AppState, NewUser, Role, SystemClock};

use crate::cli::{KeysCommand, UserCommand};
use crate::config::Settings;

/// Passwords never travel as arguments, which other users can read in the process list.
const PASSWORD_ENV: &str = "HALO_PASSWORD";

pub(crate) fn user(settings: Settings, command: UserCommand) -> anyhow::Result<()> {
    let state = open(settings)?;
    match command {
        UserCommand::Add {
            name,
            admin,
            display_name,
        } => {
            let roles = if admin {
                vec![Role::User, Role::Admin]
            } else {
                vec![Role::User]
            };
            let user = state.create_user(NewUser {
                username: name,
                password: password()?,
                display_name,
                email: None,
                roles: Some(roles),
            })?;
            println!("added {} ({})", user.username, user.id);
        }
        UserCommand::List => {
            println!(
                "{:<24} {:<24} {:<12} {:<9} id",
                "username", "display name", "roles", "state"
            );
            for user in state.users()? {
                let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
                let status = if user.disabled { "disabled" } else { "enabled" };
                println!(
                    "{:<24} {:<24} {:<12} {:<9} {}",
                    user.username,
                    user.display_name,
                    roles.join(","),
                    status,
                    user.id
                );
            }
        }
        UserCommand::Remove { name } => {
            let user = state
                .user_by_name(&name)
                .with_context(|| format!("user {name}"))?;
            state.delete_user(user.id)?;
            println!("removed {name}");
        }
        UserCommand::Passwd { name } => {
            let user = state
                .user_by_name(&name)
                .with_context(|| format!("user {name}"))?;
            state.set_password(user.id, &password()?)?;
            println!("password of {name} changed; their sessions are signed out");
        }
    }
    Ok(())
}

pub(crate) fn keys(settings: Settings, command: KeysCommand) -> anyhow::Result<()> {
    let state = open(settings)?;
    match command {
        KeysCommand::Rotate => {
            let kid = state.rotate_keys()?;
            println!(
                "new signing key {kid}; a running server signs with it from its next token on"
            );
        }
    }
    Ok(())
}

fn open(settings: Settings) -> anyhow::Result<AppState> {
    let dir = settings.users.data_dir.display().to_string();
    AppState::open(settings.users, Arc::new(SystemClock))
        .with_context(|| format!("opening the data directory {dir}"))
}

fn password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var(PASSWORD_ENV) {
        return Ok(password);
    }
    eprintln!("password (one line on stdin; or set {PASSWORD_ENV}):");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!password.is_empty(), "no password given");
    Ok(password)
}
