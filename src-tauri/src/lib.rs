//! Halo's desktop app: a thin Tauri shell over `session::Coordinator`.
//!
//! The UI (`ui/`, plain HTML, CSS and JavaScript) invokes the [commands](commands) and hears
//! every `PhoneEvent` as the Tauri event `phone`. There is no SIP here: whatever the phone
//! does, the `halo` CLI can do through the same `Coordinator`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod commands;
mod error;
mod secrets;
mod shell;
mod signin;

use std::time::Duration;

use tauri::{Manager, RunEvent};

use shell::Shell;

/// How long quitting waits for the server to confirm the unregistration.
const QUIT_WAIT: Duration = Duration::from_secs(5);

/// Opens the window and runs until it closes; the phone, if signed in, unregisters on the way
/// out.
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let app = tauri::Builder::default()
        .manage(Shell::default())
        .invoke_handler(tauri::generate_handler![
            commands::sign_in_form,
            commands::sign_in,
            commands::sign_out,
            commands::set_status,
            commands::list_buddies,
            commands::add_buddy,
            commands::remove_buddy,
            commands::allow_watcher,
            commands::block_watcher,
            commands::send_message,
            commands::history,
            commands::call,
            commands::answer,
            commands::reject,
            commands::hangup,
            commands::hold,
            commands::resume,
            commands::dtmf,
            commands::mute,
        ])
        .build(tauri::generate_context!("../tauri.conf.json"))
        .expect("the window and webview can be created");
    app.run(|app, event| {
        if let RunEvent::Exit = event {
            if let Some(phone) = app.state::<Shell>().take() {
                let quit = tokio::time::timeout(QUIT_WAIT, phone.quit());
                // The event loop is ending; blocking it here only delays the exit.
                let _ = tauri::async_runtime::block_on(quit);
            }
        }
    });
}
