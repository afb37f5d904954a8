//! The commands the UI invokes (`ui/api.js` names each one). Past sign-in, each is a line
//! into the `Coordinator`, the API the `halo` CLI uses too.

use serde::Serialize;
use session::{parse_status, CallId, ChatLine, Config, Coordinator, Server};
use tauri::{AppHandle, Manager, State};

use crate::error::UiError;
use crate::secrets;
use crate::shell::{forward_events, Shell};
use crate::signin::{self, Form};

type Result<T> = std::result::Result<T, UiError>;

/// What the sign-in form starts with; a remembered password comes from the keyring.
#[tauri::command]
pub(crate) async fn sign_in_form(app: AppHandle) -> Result<Form> {
    let mut form = signin::form(&config_dir(&app));
    if form.remember && form.password.is_none() {
        form.password = secrets::recall(form.server.clone(), form.user.clone()).await;
    }
    Ok(form)
}

/// The outcome of a sign-in the UI shows besides the main window.
#[derive(Debug, Serialize)]
pub(crate) struct SignedIn {
    user: String,
    server: String,
    /// Set when "remember me" was ticked but the keyring could not keep the password.
    keyring_problem: Option<String>,
}

/// Signs in, registers, and starts forwarding the phone's events (before registering, so
/// that the first `registered` reaches the window).
#[tauri::command]
pub(crate) async fn sign_in(
    app: AppHandle,
    shell: State<'_, Shell>,
    server: String,
    user: String,
    password: String,
    remember: bool,
) -> Result<SignedIn> {
    if shell.is_signed_in() {
        return Err(UiError::AlreadySignedIn);
    }
    let url = signin::server_url(&server)?;
    let base_url = url.as_str().trim_end_matches('/').to_owned();
    let user = user.trim().to_owned();
    let data = signin::account_dir(&data_dir(&app), &url, &user);
    let mut config = Config::new(
        Server::Halo {
            base_url: base_url.clone(),
            registrar: None,
        },
        &user,
        &password,
        data,
    );
    config.sip_bind = signin::sip_bind(&url).await;
    let phone = Coordinator::start(config)
        .await
        .map_err(|e| UiError::from_start(&base_url, e))?;
    if let Err(late) = shell.install(phone.clone()) {
        // Two sign-ins raced; the first one stays.
        let _ = late.quit().await;
        return Err(UiError::AlreadySignedIn);
    }
    forward_events(app.clone(), &phone);
    phone.register()?;
    phone.list_buddies()?;

    signin::save(
        &config_dir(&app),
        &Form {
            server: base_url.clone(),
            user: user.clone(),
            password: None,
            remember,
        },
    );
    let keyring_problem = if remember {
        secrets::remember(base_url.clone(), user.clone(), password)
            .await
            .err()
            .map(|why| {
                format!(
                    "Your password was not remembered: {why}. You will be asked for it next time."
                )
            })
    } else {
        secrets::forget(base_url.clone(), user.clone()).await;
        None
    };
    Ok(SignedIn {
        user,
        server: base_url,
        keyring_problem,
    })
}

/// Unpublishes, unsubscribes and unregisters, then stops the phone.
#[tauri::command]
pub(crate) async fn sign_out(shell: State<'_, Shell>) -> Result<()> {
    let phone = shell.take().ok_or(UiError::NotSignedIn)?;
    phone.quit().await?;
    Ok(())
}

#[tauri::command]
pub(crate) fn set_status(shell: State<'_, Shell>, status: String, note: String) -> Result<()> {
    let chosen = parse_status(&status).ok_or(UiError::UnknownStatus(status))?;
    let note = Some(note.trim().to_owned()).filter(|n| !n.is_empty());
    Ok(shell.phone()?.set_status(chosen, note)?)
}

#[tauri::command]
pub(crate) fn list_buddies(shell: State<'_, Shell>) -> Result<()> {
    Ok(shell.phone()?.list_buddies()?)
}

#[tauri::command]
pub(crate) fn add_buddy(shell: State<'_, Shell>, uri: String, name: Option<String>) -> Result<()> {
    let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    Ok(shell.phone()?.add_buddy(uri.trim(), name)?)
}

#[tauri::command]
pub(crate) fn remove_buddy(shell: State<'_, Shell>, uri: String) -> Result<()> {
    Ok(shell.phone()?.remove_buddy(&uri)?)
}

#[tauri::command]
pub(crate) fn allow_watcher(shell: State<'_, Shell>, uri: String) -> Result<()> {
    Ok(shell.phone()?.allow_watcher(&uri)?)
}

#[tauri::command]
pub(crate) fn block_watcher(shell: State<'_, Shell>, uri: String) -> Result<()> {
    Ok(shell.phone()?.block_watcher(&uri)?)
}

/// Queues a chat line; its delivery state follows as `message_status` events with this id.
#[tauri::command]
pub(crate) async fn send_message(
    shell: State<'_, Shell>,
    to: String,
    text: String,
) -> Result<String> {
    Ok(shell.phone()?.send_message(&to, &text).await?)
}

#[tauri::command]
pub(crate) async fn history(shell: State<'_, Shell>, peer: String) -> Result<Vec<ChatLine>> {
    Ok(shell.phone()?.history(&peer).await?)
}

#[tauri::command]
pub(crate) async fn call(shell: State<'_, Shell>, to: String) -> Result<CallId> {
    Ok(shell.phone()?.call(to.trim()).await?)
}

#[tauri::command]
pub(crate) fn answer(shell: State<'_, Shell>, call: u32) -> Result<()> {
    Ok(shell.phone()?.answer(Some(CallId(call)))?)
}

#[tauri::command]
pub(crate) fn reject(shell: State<'_, Shell>, call: u32) -> Result<()> {
    Ok(shell.phone()?.reject(Some(CallId(call)))?)
}

#[tauri::command]
pub(crate) fn hangup(shell: State<'_, Shell>, call: u32) -> Result<()> {
    Ok(shell.phone()?.hangup(Some(CallId(call)))?)
}

#[tauri::command]
pub(crate) fn hold(shell: State<'_, Shell>, call: u32) -> Result<()> {
    Ok(shell.phone()?.hold(Some(CallId(call)))?)
}

#[tauri::command]
pub(crate) fn resume(shell: State<'_, Shell>, call: u32) -> Result<()> {
    Ok(shell.phone()?.resume(Some(CallId(call)))?)
}

#[tauri::command]
pub(crate) fn dtmf(shell: State<'_, Shell>, call: u32, digits: String) -> Result<()> {
    Ok(shell.phone()?.dtmf(Some(CallId(call)), &digits)?)
}

#[tauri::command]
pub(crate) fn mute(shell: State<'_, Shell>, call: u32, muted: bool) -> Result<()> {
    Ok(shell.phone()?.mute(Some(CallId(call)), muted)?)
}

fn config_dir(app: &AppHandle) -> std::path::PathBuf {
    app.path()
        .app_config_dir()
        .unwrap_or_else(|_| std::env::temp_dir().join("halo-desktop"))
}

fn data_dir(app: &AppHandle) -> std::path::PathBuf {
    app.path()
        .app_data_dir()
        .unwrap_or_else(|_| std::env::temp_dir().join("halo-desktop"))
}
