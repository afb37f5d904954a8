//! The Coordinator's task: owns the stack, the machine instances and the timers, and turns
//! commands, network input, transaction outcomes and deadlines into table events.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use net::{ClientTxn, Incoming, Stack, StackConfig, TxnUpdate};
use presence::Status;
use rand::rngs::SmallRng;
use rand::{RngCore, SeedableRng};
use sip::auth::{Answer, Authenticator, BearerToken};
use sip::endpoint::TxnId;
use sip::event::Subscription;
use sip::msg::{Message, NameAddr, Request, Response, Uri};
use sip::publication::Publication;
use sip::transport::{Remote, TransportKind};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::{sleep_until, timeout_at};

use super::calls::Call;
use super::login::{self, Tokens};
use super::outbox::OutMessage;
use super::rest::{Api, ApiError};
use super::{CallId, Command, Config, PhoneEvent, Server, StartError};
use crate::media::MediaAdapter;
use crate::schedule::Backoff;
use crate::store::Store;
use crate::table::{Event, State, Table};
use crate::timers::{AccountTimers, Deadlines, Due, TimerConfig};

/// Which machine instance an event is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    Registration,
    Publication,
    Subscription(String),
    Call(CallId),
    /// An outgoing chat message, by id.
    Message(String),
    Inbound,
}

/// Who waits for a client transaction's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Owner {
    /// Stale generations (a REGISTER overtaken by a newer one) are ignored.
    Register(u64),
    /// Stale generations (a ping from before a recovery) are ignored too.
    KeepAlive(u64),
    Publish,
    Subscribe(String),
    Message(String),
    Invite(CallId),
    Bye(CallId),
    Reinvite(CallId),
    /// Nobody: a CANCEL's own answer, a BYE for an extra fork.
    Nobody,
}

/// What the event at hand brought along, for guards and actions.
#[derive(Debug, Default)]
pub(super) struct Ctx {
    pub(super) response: Option<Response>,
    pub(super) request: Option<(TxnId, Request)>,
    pub(super) answers: Vec<Answer>,
    pub(super) auth_ok: bool,
    pub(super) can_retry: bool,
    pub(super) failure: Option<(u16, String)>,
    pub(super) retry_after: Option<std::time::Duration>,
    pub(super) sub_found: Option<String>,
    pub(super) known_dialog: bool,
    pub(super) view: Option<presence::View>,
    /// A `presence.winfo` NOTIFY's document.
    pub(super) watchers: Option<presence::WatcherInfo>,
}

/// Something to do on the network once the current input is handled.
pub(super) enum Out {
    Request(Request, Owner),
    Respond(TxnId, Response),
    Stateless(Request),
    Cancel(TxnId),
    Keepalive,
}

pub(super) enum Internal {
    Txn(Owner, TxnUpdate),
    Invite(CallId, TxnId),
    Tokens(Result<Tokens, login::LoginError>),
    Rest(RestDone),
}

/// A finished call to halo-server's buddy API; the local state follows only on success.
pub(super) enum RestDone {
    BuddyAdded(String, Option<String>, Result<(), ApiError>),
    BuddyRemoved(String, Result<(), ApiError>),
    Decided(String, Result<(), ApiError>),
}

pub(super) struct Buddy {
    pub(super) state: State,
    pub(super) sub: Option<Subscription>,
    pub(super) backoff: Backoff,
    pub(super) name: Option<String>,
    /// On the buddy list (as opposed to watched ad hoc).
    pub(super) listed: bool,
    /// Our own watcher list (`presence.winfo`) rather than a buddy's presence: the same
    /// subscription lifecycle, another package.
    pub(super) winfo: bool,
}

pub(super) struct Core {
    pub(super) table: Table,
    pub(super) cfg: Settings,
    pub(super) stack: Stack,
    incoming: mpsc::UnboundedReceiver<Incoming>,
    pub(super) events: broadcast::Sender<PhoneEvent>,
    pub(super) internal_tx: mpsc::UnboundedSender<Internal>,
    internal_rx: mpsc::UnboundedReceiver<Internal>,
    pub(super) rng: SmallRng,
    pub(super) store: Store,
    pub(super) media: Box<dyn MediaAdapter>,
    pub(super) aor: Uri,
    pub(super) domain: String,
    pub(super) remote: Remote,
    pub(super) contact: NameAddr,
    pub(super) auth: Authenticator,
    pub(super) http: Option<(reqwest::Client, String, Tokens)>,
    pub(super) reg: Reg,
    pub(super) pub_state: State,
    pub(super) publication: Option<Publication>,
    pub(super) own: (Status, Option<String>),
    pub(super) buddies: BTreeMap<String, Buddy>,
    /// The watchers last reported, to report only changes.
    pub(super) watchers: BTreeMap<String, presence::WatcherStatus>,
    pub(super) calls: BTreeMap<CallId, Call>,
    pub(super) next_call: u32,
    pub(super) messages: BTreeMap<String, OutMessage>,
    /// Subscription retries, by buddy AOR; the sip machines keep their own deadlines.
    pub(super) sub_retries: Deadlines<String>,
    pub(super) account: AccountTimers,
    pub(super) out: Vec<Out>,
    pub(super) queue: VecDeque<(Target, Event, Ctx)>,
    pub(super) quitting: Option<oneshot::Sender<()>>,
    stop: bool,
    /// Challenges answered in a row, per Call-ID (see `challenge_answers`).
    pub(super) challenges: HashMap<String, u32>,
    pub(super) inbound_state: State,
}

/// The parts of [`Config`] the task keeps reading.
pub(super) struct Settings {
    pub(super) user: String,
    pub(super) transport: TransportKind,
    pub(super) auto_answer: bool,
    pub(super) dnd_reject: u16,
    pub(super) presence_expires: u32,
    pub(super) retry_base: std::time::Duration,
    pub(super) retry_max: std::time::Duration,
}

/// Registration bookkeeping beside its table state.
pub(super) struct Reg {
    pub(super) state: State,
    pub(super) call_id: String,
    pub(super) tag: String,
    pub(super) cseq: u32,
    pub(super) expires: u32,
    pub(super) granted: u32,
    pub(super) generation: u64,
    pub(super) last: Option<Request>,
    /// Set when a registration is lost, so the next success says it recovered.
    pub(super) lost: bool,
    /// Bumped whenever keep-alives stop, so an old ping's late outcome is ignored.
    pub(super) ping_generation: u64,
}

impl Core {
    pub(super) async fn start(
        config: Config,
        events: broadcast::Sender<PhoneEvent>,
    ) -> Result<Core, StartError> {
        let mut auth = Authenticator::new(config.user.clone(), config.password.clone());
        let mut remote_buddies = None;
        let (remote_addr, domain, http) = match &config.server {
            Server::Standard { registrar, domain } => (*registrar, domain.clone(), None),
            Server::Halo {
                base_url,
                registrar: outbound,
            } => {
                let client = http_client(config.tls_ca.as_deref())?;
                let base = base_url.trim_end_matches('/').to_owned();
                let tokens = login::login(&client, &base, &config.user, &config.password).await?;
                let advertised = if config.transport == TransportKind::Tls {
                    tokens.sip.registrar_tls.clone().ok_or(StartError::NoTls)?
                } else {
                    tokens.sip.registrar.clone()
                };
                let registrar = outbound
                    .or_else(|| registrar_addr(&advertised))
                    .ok_or(StartError::Registrar(advertised))?;
                auth.set_bearer_token(BearerToken::new(tokens.access_token.clone()).ok());
                let api = Api {
                    client: client.clone(),
                    base: base.clone(),
                    token: tokens.access_token.clone(),
                };
                remote_buddies = Some(api.buddies().await?);
                (
                    registrar,
                    tokens.sip.domain.clone(),
                    Some((client, base, tokens)),
                )
            }
        };
        std::fs::create_dir_all(&config.data_dir)?;
        let store = Store::open(&config.data_dir.join(format!("{}.sqlite", config.user)))?;
        let tls = match config.transport {
            TransportKind::Tls => net::TlsConfig {
                client: Some(
                    net::tls::client_config(config.tls_ca.as_deref()).map_err(StartError::Tls)?,
                ),
                ..Default::default()
            },
            _ => net::TlsConfig::default(),
        };
        let (stack, incoming) = Stack::start(StackConfig {
            udp: (config.transport == TransportKind::Udp).then_some(config.sip_bind),
            tcp: (config.transport == TransportKind::Tcp).then_some(config.sip_bind),
            endpoint: sip::endpoint::Config::default(),
            public_host: None,
            tls,
        })
        .await?;
        let host_port = stack
            .contact_host_port(config.transport, None)
            .expect("the stack binds the configured transport");
        let transport_param = match config.transport {
            TransportKind::Udp => "",
            TransportKind::Tcp => ";transport=tcp",
            TransportKind::Tls => ";transport=tls",
        };
        let contact = NameAddr::parse(&format!(
            "<sip:{}@{host_port}{transport_param}>",
            config.user
        ))
        .map_err(|_| StartError::Registrar(host_port.clone()))?;
        let aor = Uri::sip(Some(&config.user), &domain, None);
        let mut rng = SmallRng::from_entropy();
        let seed = rng.next_u64();
        let reg = Reg {
            state: config.table.initial(crate::table::Role::Registration),
            call_id: format!("{:016x}", rng.next_u64()),
            tag: format!("{:08x}", rng.next_u32()),
            cseq: 0,
            expires: config.register_expires,
            granted: 0,
            generation: 0,
            last: None,
            lost: false,
            ping_generation: 0,
        };
        let (internal_tx, internal_rx) = mpsc::unbounded_channel();
        let mut core = Core {
            pub_state: config.table.initial(crate::table::Role::Publication),
            inbound_state: config.table.initial(crate::table::Role::Inbound),
            table: config.table,
            cfg: Settings {
                user: config.user,
                transport: config.transport,
                auto_answer: config.auto_answer,
                dnd_reject: config.dnd_reject,
                presence_expires: config.presence_expires,
                retry_base: config.retry_base,
                retry_max: config.retry_max,
            },
            stack,
            incoming,
            events,
            internal_tx,
            internal_rx,
            rng,
            store,
            media: config.media,
            aor,
            domain,
            remote: Remote {
                transport: config.transport,
                addr: remote_addr,
            },
            contact,
            auth,
            http,
            reg,
            publication: None,
            own: (Status::Available, None),
            buddies: BTreeMap::new(),
            watchers: BTreeMap::new(),
            calls: BTreeMap::new(),
            next_call: 1,
            messages: BTreeMap::new(),
            sub_retries: Deadlines::default(),
            account: AccountTimers::new(
                TimerConfig {
                    keepalive: config.keepalive,
                    retry_base: config.retry_base,
                    retry_max: config.retry_max,
                },
                seed ^ 2,
            ),
            out: Vec::new(),
            queue: VecDeque::new(),
            quitting: None,
            stop: false,
            challenges: HashMap::new(),
        };
        core.schedule_token_refresh();
        match remote_buddies {
            Some(list) => core.adopt_buddies(list),
            None => core.load_buddies(),
        }
        core.watch_watchers();
        core.load_outbox();
        Ok(core)
    }

    pub(super) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        loop {
            let deadline = self.next_deadline();
            tokio::select! {
                cmd = commands.recv() => match cmd {
                    Some(c) => self.command(c),
                    None => break,
                },
                Some(inc) = self.incoming.recv() => self.incoming(inc),
                Some(int) = self.internal_rx.recv() => self.internal(int),
                () = sleep_until(deadline.unwrap_or_else(far_future).into()), if deadline.is_some() => {
                    self.deadlines(Instant::now());
                }
            }
            self.drain_queue();
            self.flush().await;
            if self.quit_done() {
                break;
            }
        }
        self.stack.shutdown().await;
    }

    pub(super) fn emit(&self, event: PhoneEvent) {
        // Nobody listening is fine: the phone runs headless until someone subscribes.
        let _ = self.events.send(event);
    }

    pub(super) fn error(&self, message: impl Into<String>) {
        self.emit(PhoneEvent::Error {
            message: message.into(),
        });
    }

    pub(super) fn new_tag(&mut self) -> String {
        format!("{:08x}", self.rng.next_u32())
    }

    pub(super) fn new_call_id(&mut self) -> String {
        format!("{:016x}{:08x}", self.rng.next_u64(), self.rng.next_u32())
    }

    pub(super) fn local_from(&self, tag: &str) -> NameAddr {
        let mut from = NameAddr::new(self.aor.clone());
        from.set_tag(tag);
        from
    }

    pub(super) fn is_registered(&self) -> bool {
        matches!(self.reg.state, State::Registered | State::Refreshing)
    }

    fn next_deadline(&self) -> Option<Instant> {
        let mut next = self.sub_retries.poll_timeout();
        if let Some(t) = self.account.poll_timeout() {
            next = Some(next.map_or(t, |n| n.min(t)));
        }
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        if matches!(self.pub_state, State::Published | State::PublishRetrying) {
            consider(
                self.publication
                    .as_ref()
                    .and_then(Publication::poll_timeout),
            );
        }
        for b in self.buddies.values() {
            consider(b.sub.as_ref().and_then(Subscription::poll_timeout));
        }
        next
    }

    fn deadlines(&mut self, now: Instant) {
        while let Some(aor) = self.sub_retries.poll_due(now) {
            self.push(Target::Subscription(aor), Event::RetryTimer);
        }
        while let Some(due) = self.account.poll_due(now) {
            self.account_due(due);
        }
        if let Some(t) = self
            .publication
            .as_ref()
            .and_then(Publication::poll_timeout)
        {
            if t <= now {
                match self.pub_state {
                    State::Published => self.push(Target::Publication, Event::PublicationExpiring),
                    State::PublishRetrying => self.push(Target::Publication, Event::RetryTimer),
                    _ => {}
                }
            }
        }
        let subs: Vec<String> = self
            .buddies
            .iter()
            .filter(|(_, b)| b.sub.as_ref().and_then(Subscription::poll_timeout) <= Some(now))
            .filter(|(_, b)| b.sub.is_some())
            .map(|(k, _)| k.clone())
            .collect();
        for aor in subs {
            self.push(Target::Subscription(aor), Event::SubscriptionTimer);
        }
    }

    fn account_due(&mut self, due: Due) {
        match due {
            Due::RefreshRegistration => {
                self.push(Target::Registration, Event::RegistrationExpiring)
            }
            Due::RetryRegistration => self.push(Target::Registration, Event::RetryTimer),
            Due::Ping => self.keepalive(),
            Due::PingUnanswered => self.keepalive_lost(),
            Due::RefreshToken => self.refresh_token(),
            Due::RetryOutbox => self.flush_outbox(),
            Due::Quit => {
                if let Some(done) = self.quitting.take() {
                    let _ = done.send(());
                }
                self.stop = true;
            }
        }
    }

    /// Queues an event with no payload.
    pub(super) fn push(&mut self, target: Target, event: Event) {
        self.queue.push_back((target, event, Ctx::default()));
    }

    pub(super) fn push_ctx(&mut self, target: Target, event: Event, ctx: Ctx) {
        self.queue.push_back((target, event, ctx));
    }

    fn drain_queue(&mut self) {
        // Bounded: a table that loops on itself must not hang the phone.
        for _ in 0..10_000 {
            let Some((target, event, ctx)) = self.queue.pop_front() else {
                return;
            };
            self.fire(target, event, ctx);
        }
        tracing::error!("event queue did not settle; dropping the rest");
        self.queue.clear();
    }

    fn internal(&mut self, int: Internal) {
        match int {
            Internal::Txn(owner, update) => self.outcome(owner, update),
            Internal::Invite(call, txn) => {
                if let Some(c) = self.calls.get_mut(&call) {
                    c.invite_txn = Some(txn);
                }
            }
            Internal::Tokens(result) => self.tokens(result),
            Internal::Rest(done) => self.rest_done(done),
        }
    }

    fn outcome(&mut self, owner: Owner, update: TxnUpdate) {
        if let TxnUpdate::Response(r) = &update {
            if r.status >= 200 && r.status != 401 && r.status != 407 {
                if let Ok(call_id) = sip::msg::SipMessage::call_id(r) {
                    self.challenges.remove(call_id);
                }
            }
        }
        match owner {
            Owner::Register(generation) => self.register_outcome(generation, update),
            Owner::KeepAlive(generation) => self.keepalive_outcome(generation, update),
            Owner::Publish => self.publish_outcome(update),
            Owner::Subscribe(aor) => self.subscribe_outcome(&aor, update),
            Owner::Message(id) => self.message_outcome(&id, update),
            Owner::Invite(call) => self.invite_outcome(call, update),
            Owner::Bye(call) => self.bye_outcome(call, update),
            Owner::Reinvite(call) => self.reinvite_outcome(call, update),
            Owner::Nobody => {}
        }
    }

    fn incoming(&mut self, inc: Incoming) {
        match inc {
            Incoming::Request { txn, request, .. } => self.request(txn, request),
            Incoming::Cancelled { invite, .. } => self.cancelled(invite),
            Incoming::StrayResponse { response, .. } => self.stray(response),
            Incoming::ServerTimeout { txn } => self.unacknowledged(txn),
            Incoming::Ack { .. } => {}
            other => tracing::debug!(?other, "ignored"),
        }
    }

    /// Sends what the actions queued, in order.
    async fn flush(&mut self) {
        for out in std::mem::take(&mut self.out) {
            match out {
                Out::Request(req, owner) => {
                    let invite_of = match owner {
                        Owner::Invite(call) => Some(call),
                        _ => None,
                    };
                    match self.stack.send_request(req, self.remote).await {
                        Ok(txn) => {
                            if let Some(call) = invite_of {
                                let _ = self.internal_tx.send(Internal::Invite(call, txn.id));
                            }
                            tokio::spawn(pass_on(txn, owner, self.internal_tx.clone()));
                        }
                        Err(e) => {
                            tracing::warn!(%e, "send failed");
                            let _ = self
                                .internal_tx
                                .send(Internal::Txn(owner, TxnUpdate::TransportFailed));
                        }
                    }
                }
                Out::Respond(txn, resp) => {
                    if let Err(e) = self.stack.respond(txn, resp).await {
                        tracing::debug!(%e, "response not sent");
                    }
                }
                Out::Stateless(req) => {
                    let _ = self
                        .stack
                        .send_stateless(Message::Request(req), self.remote);
                }
                Out::Cancel(txn) => {
                    if let Ok(mut c) = self.stack.cancel(txn).await {
                        tokio::spawn(async move { c.final_response().await });
                    }
                }
                Out::Keepalive => {
                    let _ = self.stack.keepalive(self.remote);
                }
            }
        }
    }

    pub(super) fn request_out(&mut self, req: Request, owner: Owner) {
        self.out.push(Out::Request(req, owner));
    }

    fn command(&mut self, c: Command) {
        match c {
            Command::Register => self.push(Target::Registration, Event::Register),
            Command::Unregister => self.sign_out(),
            Command::SetStatus(status, note) => {
                self.own = (status, note);
                self.push(Target::Publication, Event::PublishPresence);
            }
            Command::Watch(uri) => self.watch(&uri, false, None),
            Command::Unwatch(uri) => self.unwatch(&uri),
            Command::BuddyAdd(uri, name) => self.buddy_add(&uri, name),
            Command::BuddyRemove(uri) => self.buddy_remove(&uri),
            Command::Buddies => self.report_buddies(),
            Command::Allow(uri) => self.decide_watcher(&uri, true),
            Command::Block(uri) => self.decide_watcher(&uri, false),
            Command::SendMessage(to, text, reply) => {
                let id = self.send_message(&to, &text);
                let _ = reply.send(id);
            }
            Command::History(peer, reply) => {
                let _ = reply.send(self.history(&peer));
            }
            Command::Call(to, reply) => {
                if let Some(id) = self.make_call(&to) {
                    let _ = reply.send(id);
                }
            }
            Command::Answer(c) => self.call_event(c, Event::Accept),
            Command::Reject(c) => self.call_event(c, Event::Reject),
            Command::Hangup(c) => self.call_event(c, Event::Hangup),
            Command::Hold(c) => self.call_event(c, Event::Hold),
            Command::Resume(c) => self.call_event(c, Event::Resume),
            Command::Dtmf(c, digits) => {
                if let Some(id) = self.pick_call(c) {
                    self.media.send_dtmf(id, &digits);
                }
            }
            Command::Mute(c, muted) => {
                if let Some(id) = self.pick_call(c) {
                    self.media.set_muted(id, muted);
                }
            }
            Command::Quit(done) => {
                self.sign_out();
                self.quitting = Some(done);
                self.account
                    .quit(Instant::now(), std::time::Duration::from_secs(4));
            }
        }
    }

    /// Withdraws everything the account holds at the server.
    fn sign_out(&mut self) {
        let calls: Vec<CallId> = self.calls.keys().copied().collect();
        for c in calls {
            self.push(Target::Call(c), Event::Hangup);
        }
        self.push(Target::Publication, Event::Unpublish);
        let watched: Vec<String> = self.buddies.keys().cloned().collect();
        for aor in watched {
            self.push(Target::Subscription(aor), Event::UnsubscribePresence);
        }
        self.push(Target::Registration, Event::Unregister);
    }

    fn quit_done(&mut self) -> bool {
        if self.quitting.is_some() && self.reg.state == State::Unregistered && self.queue.is_empty()
        {
            if let Some(done) = self.quitting.take() {
                let _ = done.send(());
            }
            self.stop = true;
        }
        self.stop
    }
}

fn far_future() -> Instant {
    Instant::now() + std::time::Duration::from_secs(86_400)
}

/// The HTTP client for sign-in and the REST API, trusting `tls_ca` too: a server with a
/// private CA uses it for HTTPS as well as for SIP over TLS.
fn http_client(tls_ca: Option<&std::path::Path>) -> Result<reqwest::Client, StartError> {
    let mut builder = reqwest::Client::builder();
    if let Some(path) = tls_ca {
        let pem = std::fs::read(path).map_err(StartError::Tls)?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            StartError::Tls(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            ))
        })?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| StartError::Login(login::LoginError::Http(e)))
}

/// `sip:host:port` (as halo-server names its registrar) to a socket address.
fn registrar_addr(uri: &str) -> Option<SocketAddr> {
    let uri = Uri::parse(uri).ok()?;
    let host = uri.host.trim_start_matches('[').trim_end_matches(']');
    let ip = if host == "localhost" {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        host.parse().ok()?
    };
    Some(SocketAddr::new(ip, uri.port.unwrap_or(5060)))
}

/// Hands a client transaction's updates to the task up to its final response. An INVITE's
/// go on for Timer M after its first 2xx: in Accepted the transaction passes on the 2xx of
/// other forks (RFC 6026 §8.4), and each of those needs its ACK and BYE.
async fn pass_on(mut txn: ClientTxn, owner: Owner, tx: mpsc::UnboundedSender<Internal>) {
    let mut accepted_until = None;
    loop {
        let update = match accepted_until {
            Some(end) => timeout_at(end, txn.next()).await.unwrap_or(None),
            None => txn.next().await,
        };
        let Some(update) = update else { return };
        let more = match &update {
            TxnUpdate::Response(r) if r.status < 200 => true,
            TxnUpdate::Response(r) if r.is_success() && matches!(owner, Owner::Invite(_)) => {
                // The stack's endpoint runs with the default timers (see `Core::start`).
                let timer_m = sip::endpoint::Config::default().timers.timeout();
                accepted_until.get_or_insert_with(|| tokio::time::Instant::now() + timer_m);
                true
            }
            _ => false,
        };
        if tx.send(Internal::Txn(owner.clone(), update)).is_err() || !more {
            return;
        }
    }
}
