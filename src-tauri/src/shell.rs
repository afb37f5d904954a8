//! The one piece of managed state: the phone of the account signed in, if any.
//!
//! Tauri's `manage` wants its state at start-up, but a `Coordinator` exists only once someone
//! signs in and is gone after they sign out, so the handle sits in a `Mutex<Option<…>>`. The
//! lock is held only to clone or swap the handle, never across an `.await`.

use std::sync::Mutex;

use session::{Coordinator, PhoneEvent};
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::broadcast::error::RecvError;

use crate::error::UiError;

/// The Tauri event every [`PhoneEvent`] is forwarded as, serialised as the `halo` CLI
/// writes it (`{"event": "presence", …}`).
pub(crate) const PHONE_EVENT: &str = "phone";

#[derive(Default)]
pub(crate) struct Shell {
    phone: Mutex<Option<Coordinator>>,
}

impl Shell {
    /// The signed-in phone's handle.
    pub(crate) fn phone(&self) -> Result<Coordinator, UiError> {
        self.slot().clone().ok_or(UiError::NotSignedIn)
    }

    /// Installs a freshly started phone, unless another got there first.
    pub(crate) fn install(&self, phone: Coordinator) -> Result<(), Coordinator> {
        let mut slot = self.slot();
        match *slot {
            Some(_) => Err(phone),
            None => {
                *slot = Some(phone);
                Ok(())
            }
        }
    }

    pub(crate) fn is_signed_in(&self) -> bool {
        self.slot().is_some()
    }

    /// Takes the phone out, for sign-out or exit.
    pub(crate) fn take(&self) -> Option<Coordinator> {
        self.slot().take()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Coordinator>> {
        // A panic while holding the lock cannot leave the Option half-written.
        self.phone
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Forwards every event of `phone` to the UI until the phone stops: the stream closes once
/// the phone's task has ended and its last handle is dropped, after the final events
/// (`unregistered`) have gone out.
pub(crate) fn forward_events<R: Runtime>(app: AppHandle<R>, phone: &Coordinator) {
    let mut events = phone.events();
    tauri::async_runtime::spawn(async move {
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                Err(RecvError::Lagged(n)) => PhoneEvent::Error {
                    message: format!("the window fell behind and missed {n} events"),
                },
                Err(RecvError::Closed) => break,
            };
            if let Err(e) = app.emit(PHONE_EVENT, &event) {
                tracing::warn!(error = %e, "an event did not reach the window");
            }
        }
    });
}
