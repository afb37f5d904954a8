//! What a [`super::Coordinator`] tells its users, on one broadcast stream. Serialised with an
//! `event` tag so the CLI writes them as JSON lines unchanged.

use presence::Status;
use serde::{Serialize, Serializer};

use crate::store::Delivery;

use super::CallId;

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PhoneEvent {
    /// The registration is in force for `expires` seconds (also after every refresh, and
    /// after recovering from a loss: `recovered` says so).
    Registered {
        /// Granted seconds.
        expires: u32,
        /// This ends a period without registration (network loss, server restart).
        recovered: bool,
    },
    /// A registration attempt failed; with `retry_in_ms` the phone tries again on its own.
    RegistrationFailed {
        /// SIP status (408 for no answer, 503 for an unreachable server).
        code: u16,
        /// Reason phrase or cause.
        reason: String,
        /// When the next attempt goes out, if one will.
        #[serde(skip_serializing_if = "Option::is_none")]
        retry_in_ms: Option<u64>,
    },
    /// No longer registered (sign-out, quit).
    Unregistered,
    /// A buddy's presence: their composed status and note.
    Presence {
        /// The buddy's address of record.
        uri: String,
        /// Shown next to the buddy.
        #[serde(serialize_with = "status_name")]
        status: Status,
        /// Shown under it.
        note: Option<String>,
    },
    /// The state of our subscription to a buddy: `pending` (awaiting their consent),
    /// `retrying` (lost; the phone resubscribes on its own) or `ended`.
    Watch {
        /// The buddy's address of record.
        uri: String,
        /// See above.
        state: WatchState,
    },
    /// Someone watches (or asks to watch) our presence, from the server's watcher list
    /// (RFC 3857 `presence.winfo`); sent when a watcher's state changes.
    Watcher {
        /// The watcher's address of record.
        uri: String,
        /// `pending` asks for `allow` or `block`.
        state: WatcherState,
    },
    /// The buddy list.
    Buddies {
        /// Every buddy, in the order added.
        list: Vec<Buddy>,
    },
    /// A chat message arrived.
    Message {
        /// Sender's address of record.
        from: String,
        /// UTF-8 text.
        text: String,
        /// Its id (the SIP Call-ID, which the sender keeps across retries).
        id: String,
    },
    /// A message we sent changed delivery state.
    MessageStatus {
        /// The id `send_message` returned.
        id: String,
        /// Where it stands.
        status: Delivery,
    },
    /// A call is ringing here.
    IncomingCall {
        /// Use with answer/reject.
        call: CallId,
        /// Caller's address.
        from: String,
    },
    /// A call changed state.
    Call {
        /// Which call.
        call: CallId,
        /// Its new state.
        state: CallState,
        /// Why it ended, when it did.
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A command could not be carried out.
    Error {
        /// For a person to read.
        message: String,
    },
}

/// A buddy on the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Buddy {
    /// Address of record.
    pub uri: String,
    /// Display name, if given.
    pub name: Option<String>,
}

/// See [`PhoneEvent::Watch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchState {
    /// Subscribed, waiting for the buddy to allow us.
    Pending,
    /// The subscription was lost; a new one follows on its own.
    Retrying,
    /// Over, not retried.
    Ended,
}

/// See [`PhoneEvent::Watcher`] (RFC 3857 §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WatcherState {
    /// Waiting for our decision.
    Pending,
    /// Allowed: sees our presence.
    Active,
    /// Was pending and gave up; the server remembers the attempt.
    Waiting,
    /// Blocked, or gone.
    Terminated,
}

impl From<presence::WatcherStatus> for WatcherState {
    fn from(s: presence::WatcherStatus) -> WatcherState {
        match s {
            presence::WatcherStatus::Pending => WatcherState::Pending,
            presence::WatcherStatus::Active => WatcherState::Active,
            presence::WatcherStatus::Waiting => WatcherState::Waiting,
            presence::WatcherStatus::Terminated => WatcherState::Terminated,
        }
    }
}

/// See [`PhoneEvent::Call`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    /// Our INVITE is out.
    Calling,
    /// The far end rings (180).
    Ringing,
    /// Early media (183).
    Early,
    /// Answered, media flowing.
    Active,
    /// We put it on hold.
    Held,
    /// Over.
    Ended,
}

fn status_name<S: Serializer>(status: &Status, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(super::status_word(*status))
}
