//! The [`Coordinator`]: one task owns the SIP stack, the table's machine instances, the timers
//! and the chat store; the cheap-clone handle sends it commands and hands out the event
//! stream. Everything the desktop shell and the `halo` CLI do goes through here.

mod buddies;
mod calls;
mod chat;
mod core;
mod dispatch;
mod events;
mod login;
mod outbox;
mod presence_usage;
mod registration;
mod rest;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use presence::Status;
use sip::transport::TransportKind;
use tokio::sync::{broadcast, mpsc, oneshot};

pub use events::{Buddy, CallState, PhoneEvent, WatchState, WatcherState};
pub use login::LoginError;
pub use rest::ApiError;

use crate::media::MediaAdapter;
use crate::store::{ChatLine, StoreError};
use crate::table::Table;

/// A call's id, unique within one Coordinator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct CallId(pub u32);

/// Where the account lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Server {
    /// `halo-server`: log in over HTTP at `base_url`, REGISTER with the Bearer token.
    Halo {
        /// E.g. `http://127.0.0.1:8080`.
        base_url: String,
        /// Where to send SIP when the server's advertised registrar (often just its domain)
        /// does not resolve here.
        registrar: Option<SocketAddr>,
    },
    /// A standard SIP server: Digest; `registrar` is also the outbound proxy.
    Standard {
        /// `host:port` to send everything to.
        registrar: SocketAddr,
        /// The SIP domain of the account's address of record.
        domain: String,
    },
}

/// Everything a phone needs to start.
pub struct Config {
    /// The account's server.
    pub server: Server,
    /// Account name (user part of the AOR, login name).
    pub user: String,
    /// Password (login for halo-server, Digest for standard servers).
    pub password: String,
    /// UDP, TCP or TLS towards the server.
    pub transport: TransportKind,
    /// Over TLS, CA certificates (PEM) to trust besides the public roots: a server with a
    /// private CA.
    pub tls_ca: Option<PathBuf>,
    /// Local SIP address; port 0 picks one.
    pub sip_bind: SocketAddr,
    /// Where the chat history lives (created if missing).
    pub data_dir: PathBuf,
    /// Answer incoming calls at once.
    pub auto_answer: bool,
    /// The status to reject calls with while do-not-disturb: 486 or 603.
    pub dnd_reject: u16,
    /// REGISTER expiry asked for, seconds.
    pub register_expires: u32,
    /// PUBLISH and SUBSCRIBE expiry asked for, seconds.
    pub presence_expires: u32,
    /// How often the registration is verified with an OPTIONS ping.
    pub keepalive: Duration,
    /// First retry delay after a failure; doubled with jitter up to `retry_max`.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// The state table to run.
    pub table: Table,
    /// The media layer.
    pub media: Box<dyn MediaAdapter>,
}

impl Config {
    /// Defaults for an account: UDP, any port, DND rejects with 486, an hour's registration,
    /// 10-minute presence, 30 s keep-alive, retries from 2 s up to 5 min, the built-in table,
    /// no media.
    pub fn new(server: Server, user: &str, password: &str, data_dir: PathBuf) -> Config {
        Config {
            server,
            user: user.to_owned(),
            password: password.to_owned(),
            transport: TransportKind::Udp,
            tls_ca: None,
            sip_bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            auto_answer: false,
            dnd_reject: 486,
            register_expires: 3600,
            presence_expires: 600,
            keepalive: Duration::from_secs(30),
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(300),
            table: Table::builtin(),
            media: Box::new(crate::media::NullMedia),
        }
    }
}

/// Why a Coordinator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The SIP sockets could not be bound.
    #[error("cannot bind the SIP socket: {0}")]
    Bind(#[from] std::io::Error),
    /// Signing in to halo-server failed.
    #[error(transparent)]
    Login(#[from] LoginError),
    /// The chat store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// halo-server's buddy list could not be read.
    #[error("cannot read the buddy list: {0}")]
    Buddies(#[from] ApiError),
    /// The server's registrar address is not usable.
    #[error("the server gave an unusable registrar address `{0}`")]
    Registrar(String),
    /// halo-server does not offer SIP over TLS.
    #[error("the server does not offer SIP over TLS")]
    NoTls,
    /// The TLS trust (the CA file) could not be loaded.
    #[error("cannot load TLS trust: {0}")]
    Tls(std::io::Error),
}

/// The Coordinator's task has stopped (after `quit`, or it failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the phone has stopped")]
pub struct Stopped;

/// What the handle asks of the task.
#[derive(Debug)]
pub(crate) enum Command {
    Register,
    Unregister,
    SetStatus(Status, Option<String>),
    Watch(String),
    Unwatch(String),
    BuddyAdd(String, Option<String>),
    BuddyRemove(String),
    Buddies,
    Allow(String),
    Block(String),
    SendMessage(String, String, oneshot::Sender<String>),
    History(String, oneshot::Sender<Vec<ChatLine>>),
    Call(String, oneshot::Sender<CallId>),
    Answer(Option<CallId>),
    Reject(Option<CallId>),
    Hangup(Option<CallId>),
    Hold(Option<CallId>),
    Resume(Option<CallId>),
    Dtmf(Option<CallId>, String),
    Mute(Option<CallId>, bool),
    Quit(oneshot::Sender<()>),
}

/// The cheap-clone handle to a running phone.
#[derive(Debug, Clone)]
pub struct Coordinator {
    cmd: mpsc::UnboundedSender<Command>,
    events: broadcast::Sender<PhoneEvent>,
}

impl Coordinator {
    /// Signs in (halo-server), binds the SIP socket and starts the phone's task on the current
    /// tokio runtime. Nothing is sent to the registrar before [`register`](Self::register).
    pub async fn start(config: Config) -> Result<Coordinator, StartError> {
        let (events, _) = broadcast::channel(1024);
        let (cmd, rx) = mpsc::unbounded_channel();
        let core = core::Core::start(config, events.clone()).await?;
        tokio::spawn(core.run(rx));
        Ok(Coordinator { cmd, events })
    }

    /// Every event from now on. A receiver that falls 1024 events behind loses the oldest.
    pub fn events(&self) -> broadcast::Receiver<PhoneEvent> {
        self.events.subscribe()
    }

    fn send(&self, c: Command) -> Result<(), Stopped> {
        self.cmd.send(c).map_err(|_| Stopped)
    }

    /// Registers (and then keeps the registration, presence and subscriptions alive).
    pub fn register(&self) -> Result<(), Stopped> {
        self.send(Command::Register)
    }

    /// Unregisters.
    pub fn unregister(&self) -> Result<(), Stopped> {
        self.send(Command::Unregister)
    }

    /// Publishes own status with an optional note.
    pub fn set_status(&self, status: Status, note: Option<String>) -> Result<(), Stopped> {
        self.send(Command::SetStatus(status, note))
    }

    /// Subscribes to a buddy's presence (`sip:` URI or `user@domain`).
    pub fn watch(&self, uri: &str) -> Result<(), Stopped> {
        self.send(Command::Watch(uri.to_owned()))
    }

    /// Ends the subscription to a buddy's presence.
    pub fn unwatch(&self, uri: &str) -> Result<(), Stopped> {
        self.send(Command::Unwatch(uri.to_owned()))
    }

    /// Adds a buddy and watches them. The list lives on halo-server when signed in there
    /// (every device sees it), else in the data directory.
    pub fn add_buddy(&self, uri: &str, name: Option<String>) -> Result<(), Stopped> {
        self.send(Command::BuddyAdd(uri.to_owned(), name))
    }

    /// Removes a buddy and stops watching them.
    pub fn remove_buddy(&self, uri: &str) -> Result<(), Stopped> {
        self.send(Command::BuddyRemove(uri.to_owned()))
    }

    /// Asks for a [`PhoneEvent::Buddies`].
    pub fn list_buddies(&self) -> Result<(), Stopped> {
        self.send(Command::Buddies)
    }

    /// Lets a (pending) watcher see our presence. Only halo-server takes this from a phone;
    /// elsewhere an error says the server manages authorization.
    pub fn allow_watcher(&self, uri: &str) -> Result<(), Stopped> {
        self.send(Command::Allow(uri.to_owned()))
    }

    /// Refuses a watcher; their subscription is terminated (halo-server only, as above).
    pub fn block_watcher(&self, uri: &str) -> Result<(), Stopped> {
        self.send(Command::Block(uri.to_owned()))
    }

    /// Queues a chat message and returns its id; [`PhoneEvent::MessageStatus`] follows it.
    pub async fn send_message(&self, to: &str, text: &str) -> Result<String, Stopped> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::SendMessage(to.to_owned(), text.to_owned(), tx))?;
        rx.await.map_err(|_| Stopped)
    }

    /// The last lines exchanged with `peer` (a `sip:` URI, `user@domain` or a user of our
    /// domain), oldest first. A store failure comes as a [`PhoneEvent::Error`] and an empty
    /// history.
    pub async fn history(&self, peer: &str) -> Result<Vec<ChatLine>, Stopped> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::History(peer.to_owned(), tx))?;
        rx.await.map_err(|_| Stopped)
    }

    /// Starts a call.
    pub async fn call(&self, to: &str) -> Result<CallId, Stopped> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Call(to.to_owned(), tx))?;
        rx.await.map_err(|_| Stopped)
    }

    /// Answers a ringing call (`None`: the latest).
    pub fn answer(&self, call: Option<CallId>) -> Result<(), Stopped> {
        self.send(Command::Answer(call))
    }

    /// Declines a ringing call.
    pub fn reject(&self, call: Option<CallId>) -> Result<(), Stopped> {
        self.send(Command::Reject(call))
    }

    /// Ends a call in any state.
    pub fn hangup(&self, call: Option<CallId>) -> Result<(), Stopped> {
        self.send(Command::Hangup(call))
    }

    /// Puts a call on hold (re-INVITE, sendonly).
    pub fn hold(&self, call: Option<CallId>) -> Result<(), Stopped> {
        self.send(Command::Hold(call))
    }

    /// Takes a call off hold.
    pub fn resume(&self, call: Option<CallId>) -> Result<(), Stopped> {
        self.send(Command::Resume(call))
    }

    /// Sends DTMF digits through the media layer.
    pub fn dtmf(&self, call: Option<CallId>, digits: &str) -> Result<(), Stopped> {
        self.send(Command::Dtmf(call, digits.to_owned()))
    }

    /// Mutes or unmutes the microphone.
    pub fn mute(&self, call: Option<CallId>, muted: bool) -> Result<(), Stopped> {
        self.send(Command::Mute(call, muted))
    }

    /// Unpublishes, unsubscribes, unregisters (waiting up to a few seconds for the server),
    /// and stops the task.
    pub async fn quit(&self) -> Result<(), Stopped> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Quit(tx))?;
        rx.await.map_err(|_| Stopped)
    }
}

/// How a status is spelled in events and commands.
pub fn status_word(status: Status) -> &'static str {
    match status {
        Status::Available => "available",
        Status::Away => "away",
        Status::Busy => "busy",
        Status::DoNotDisturb => "dnd",
        Status::OnThePhone => "on-the-phone",
        Status::Offline => "offline",
    }
}

/// The inverse of [`status_word`] for what a user may set.
pub fn parse_status(word: &str) -> Option<Status> {
    match word {
        "available" => Some(Status::Available),
        "away" => Some(Status::Away),
        "busy" => Some(Status::Busy),
        "dnd" => Some(Status::DoNotDisturb),
        "offline" => Some(Status::Offline),
        _ => None,
    }
}
