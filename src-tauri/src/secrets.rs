//! The password, when the person ticks "remember me", lives in the desktop's keyring (the
//! Secret Service on Linux), never in a file of ours. Many desktops have no keyring (a bare
//! window manager, Xvfb in CI): then nothing is remembered and the person is told so, but
//! signing in works as before. The calls block on D-Bus, so they run off the async threads.

use keyring::Entry;

/// The keyring's service name: the app's identifier, so other apps' entries never collide.
const SERVICE: &str = "local.halo.desktop";

/// One entry per account: the same user name on two servers is two accounts.
fn entry(server: &str, user: &str) -> keyring::Result<Entry> {
    Entry::new(SERVICE, &format!("{user}@{server}"))
}

/// Stores the password; `Err` says, for the person, why it could not be.
pub(crate) async fn remember(server: String, user: String, password: String) -> Result<(), String> {
    blocking(move || entry(&server, &user)?.set_password(&password)).await
}

/// The stored password, if there is a keyring and it holds one.
pub(crate) async fn recall(server: String, user: String) -> Option<String> {
    blocking(move || entry(&server, &user)?.get_password())
        .await
        .ok()
}

/// Removes a stored password (the person unticked "remember me"); there being none, or no
/// keyring, is fine.
pub(crate) async fn forget(server: String, user: String) {
    match blocking(move || entry(&server, &user)?.delete_credential()).await {
        Ok(()) => {}
        Err(e) => tracing::debug!(error = %e, "no stored password removed"),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> keyring::Result<T> + Send + 'static,
) -> Result<T, String> {
    match tauri::async_runtime::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(describe(&e)),
        Err(e) => Err(format!("the keyring call failed: {e}")),
    }
}

fn describe(e: &keyring::Error) -> String {
    match e {
        keyring::Error::NoEntry => "no password is stored".to_owned(),
        keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_) => {
            // The D-Bus detail helps a developer, not the person reading the notice.
            tracing::warn!(error = %e, "no usable keyring");
            "no system keyring (Secret Service) is available here".to_owned()
        }
        other => other.to_string(),
    }
}
