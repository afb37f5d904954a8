//! The one task that owns the endpoint. Everything that touches it happens here, in order:
//! handle one input, then drain transmits and events, then sleep until the next deadline.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sip::endpoint::{Endpoint, EndpointEvent, SendError, TxnId};
use sip::msg::{Frame, Message, Method, Request, Response, SipMessage};
use sip::transport::{Remote, StreamLimits, Transmit, TransportKind};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio::task::JoinHandle;
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// At most this many datagrams or commands are taken per wake-up, so that a burst of one
/// cannot starve the other.
const BATCH: usize = 64;

/// How long shutdown waits for streams to write out their queues.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

use crate::conn::{self, Conn, ConnEvent, Link, Open};
use crate::stack::{Incoming, StackStats, TxnUpdate};

/// The ways a client transaction starts.
pub(crate) enum Start {
    Send(Request, Remote),
    /// As a proxy: always under a new top Via.
    Forward(Request, Remote),
    Cancel(TxnId),
}

pub(crate) enum Command {
    /// Starts a client transaction whose updates go to `updates`.
    Start {
        what: Start,
        updates: mpsc::UnboundedSender<TxnUpdate>,
        reply: oneshot::Sender<Result<TxnId, SendError>>,
    },
    Respond {
        txn: TxnId,
        response: Response,
        reply: oneshot::Sender<Result<(), SendError>>,
    },
    Stateless {
        message: Message,
        to: Remote,
    },
    Raw {
        bytes: Vec<u8>,
        to: Remote,
    },
    NewTag(oneshot::Sender<String>),
    NewCallId(oneshot::Sender<String>),
    Stats(oneshot::Sender<StackStats>),
    /// Stop after flushing; `done` fires once every stream has written what it was given.
    Shutdown(oneshot::Sender<()>),
}

/// The TLS side of the driver, each part optional.
#[derive(Default)]
pub(crate) struct Tls {
    pub(crate) listener: Option<(TcpListener, TlsAcceptor)>,
    pub(crate) connector: Option<TlsConnector>,
    pub(crate) server_name: Option<String>,
}

pub(crate) struct Driver {
    endpoint: Endpoint,
    udp: Option<UdpSocket>,
    tcp: Option<TcpListener>,
    tls: Tls,
    max_message: usize,
    limits: StreamLimits,
    /// One permit per connection a peer opened, held by its task.
    accepted_slots: Arc<Semaphore>,
    commands: mpsc::UnboundedReceiver<Command>,
    incoming: mpsc::UnboundedSender<Incoming>,
    conns: HashMap<Remote, Conn>,
    conn_tx: mpsc::Sender<ConnEvent>,
    conn_rx: mpsc::Receiver<ConnEvent>,
    clients: HashMap<TxnId, mpsc::UnboundedSender<TxnUpdate>>,
    /// INVITEs answered with a 2xx, listened to for further 2xx from other forks until the
    /// instant given (Timer M, RFC 6026), then forgotten: the endpoint reports no end.
    accepted: VecDeque<(Instant, TxnId)>,
    /// Timer M: 64·T1.
    accepted_window: Duration,
    conn_tasks: Vec<JoinHandle<()>>,
}

/// The sockets a driver owns.
pub(crate) struct Sockets {
    pub(crate) udp: Option<UdpSocket>,
    pub(crate) tcp: Option<TcpListener>,
    pub(crate) tls: Tls,
}

impl Driver {
    pub(crate) fn new(
        endpoint: Endpoint,
        sockets: Sockets,
        max_message: usize,
        limits: StreamLimits,
        accepted_window: Duration,
        commands: mpsc::UnboundedReceiver<Command>,
        incoming: mpsc::UnboundedSender<Incoming>,
    ) -> Driver {
        let (conn_tx, conn_rx) = mpsc::channel(conn::EVENT_QUEUE);
        let Sockets { udp, tcp, tls } = sockets;
        Driver {
            endpoint,
            udp,
            tcp,
            tls,
            max_message,
            accepted_slots: Arc::new(Semaphore::new(limits.max_accepted)),
            limits,
            commands,
            incoming,
            conns: HashMap::new(),
            conn_tx,
            conn_rx,
            clients: HashMap::new(),
            accepted: VecDeque::new(),
            accepted_window,
            conn_tasks: Vec::new(),
        }
    }

    pub(crate) async fn run(mut self) {
        let mut buf = vec![0u8; 65_536];
        loop {
            let deadline = self
                .endpoint
                .poll_timeout()
                .map(tokio::time::Instant::from_std);
            tokio::select! {
                r = recv_udp(self.udp.as_ref(), &mut buf) => match r {
                    Ok((n, addr)) => {
                        self.on_datagram(addr, &buf[..n]);
                        // What else already waits is read now, answered in one flush.
                        for _ in 1..BATCH {
                            let Some(Ok((n, addr))) = self.udp.as_ref().map(|s| s.try_recv_from(&mut buf)) else {
                                break;
                            };
                            self.on_datagram(addr, &buf[..n]);
                        }
                    }
                    Err(e) => tracing::debug!(error = %e, "UDP receive error"),
                },
                r = accept(self.tcp.as_ref()) => if let Ok((stream, addr)) = r {
                    self.on_accept(stream, Remote { transport: TransportKind::Tcp, addr });
                },
                r = accept(self.tls.listener.as_ref().map(|(l, _)| l)) => if let Ok((stream, addr)) = r {
                    self.on_accept(stream, Remote { transport: TransportKind::Tls, addr });
                },
                Some(ev) = self.conn_rx.recv() => self.on_conn_event(ev),
                cmd = self.commands.recv() => {
                    let Some(first) = cmd else { break };
                    let mut next = Some(first);
                    let mut left = BATCH;
                    while let Some(cmd) = next.take() {
                        if let Command::Shutdown(done) = cmd {
                            self.flush().await;
                            self.close_streams().await;
                            let _ = done.send(());
                            return;
                        }
                        self.on_command(cmd);
                        left -= 1;
                        if left > 0 {
                            next = self.commands.try_recv().ok();
                        }
                    }
                },
                _ = sleep_until(deadline) => self.endpoint.handle_timeout(Instant::now()),
            }
            self.flush().await;
        }
    }

    fn on_datagram(&mut self, addr: SocketAddr, bytes: &[u8]) {
        let from = Remote {
            transport: TransportKind::Udp,
            addr,
        };
        self.endpoint.handle_input(Instant::now(), from, bytes);
    }

    fn on_conn_event(&mut self, ev: ConnEvent) {
        match ev {
            ConnEvent::Opened(remote, writer) => {
                if let Some(conn) = self.conns.get_mut(&remote) {
                    conn.opened(writer);
                }
            }
            ConnEvent::Frame(remote, Frame::Message(msg)) => {
                self.endpoint.handle_message(Instant::now(), remote, msg)
            }
            ConnEvent::Frame(remote, Frame::Ping) => self.write_stream(remote, b"\r\n".to_vec()),
            ConnEvent::Frame(_, Frame::Pong) => {}
            ConnEvent::Closed(remote) => {
                self.conns.remove(&remote);
                self.endpoint.handle_transport_error(Instant::now(), remote);
            }
        }
    }

    fn on_command(&mut self, cmd: Command) {
        let now = Instant::now();
        match cmd {
            Command::Start {
                what,
                updates,
                reply,
            } => {
                let r = match what {
                    Start::Send(request, to) => self.endpoint.send_request(now, request, to),
                    Start::Forward(request, to) => self.endpoint.forward_request(now, request, to),
                    Start::Cancel(invite) => self.endpoint.cancel(now, invite),
                };
                if let Ok(id) = r {
                    self.clients.insert(id, updates);
                }
                let _ = reply.send(r);
            }
            Command::Respond {
                txn,
                response,
                reply,
            } => {
                let _ = reply.send(self.endpoint.send_response(now, txn, response));
            }
            Command::Stateless { message, to } => self.endpoint.send_stateless(message, to),
            Command::Raw { bytes, to } => self.transmit(Transmit { remote: to, bytes }),
            Command::NewTag(reply) => {
                let _ = reply.send(self.endpoint.new_tag());
            }
            Command::Stats(reply) => {
                self.forget_accepted(now);
                let _ = reply.send(StackStats {
                    listened_transactions: self.clients.len(),
                    connections: self.conns.len(),
                    queued_bytes: self.conns.values().map(Conn::queued).sum(),
                });
            }
            Command::NewCallId(reply) => {
                let _ = reply.send(self.endpoint.new_call_id());
            }
            Command::Shutdown(_) => {}
        }
    }

    async fn flush(&mut self) {
        // Events first: the tasks they wake work on them while this one is in the kernel
        // sending.
        while let Some(ev) = self.endpoint.poll_event() {
            self.route(ev);
        }
        while let Some(t) = self.endpoint.poll_transmit() {
            if t.remote.transport == TransportKind::Udp {
                if let Some(udp) = &self.udp {
                    let sent = match udp.try_send_to(&t.bytes, t.remote.addr) {
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            udp.send_to(&t.bytes, t.remote.addr).await.map(drop)
                        }
                        other => other.map(drop),
                    };
                    if let Err(e) = sent {
                        tracing::debug!(to = %t.remote.addr, error = %e, "UDP send failed");
                    }
                }
            } else {
                self.transmit(t);
            }
        }
    }

    /// Stream sends; UDP sends happen in `flush` because they await the socket.
    fn transmit(&mut self, t: Transmit) {
        match t.remote.transport {
            TransportKind::Udp => {
                if let Some(udp) = &self.udp {
                    // A keep-alive is tiny; a full socket buffer just drops it.
                    let _ = udp.try_send_to(&t.bytes, t.remote.addr);
                }
            }
            TransportKind::Tcp => self.write_stream(t.remote, t.bytes),
            // Over an open connection (a peer that connected to our listener), or one we may
            // open ourselves.
            TransportKind::Tls
                if self.tls.connector.is_some() || self.conns.contains_key(&t.remote) =>
            {
                self.write_stream(t.remote, t.bytes)
            }
            TransportKind::Tls => {
                tracing::warn!(to = %t.remote.addr, "no TLS client configuration for this stack");
                self.endpoint
                    .handle_transport_error(Instant::now(), t.remote);
            }
        }
    }

    fn track(&mut self, task: JoinHandle<()>) {
        self.conn_tasks.retain(|t| !t.is_finished());
        self.conn_tasks.push(task);
    }

    /// Lets every stream write out what it was given, then closes it: a UA that answers the
    /// last BYE and exits must not take the 200 down with it.
    async fn close_streams(&mut self) {
        // Dropping the writers (pending `Opened` events hold some) lets each stream drain and
        // end; dropped abort senders abort nothing.
        while self.conn_rx.try_recv().is_ok() {}
        self.conns.clear();
        let all = futures_join(std::mem::take(&mut self.conn_tasks));
        tokio::pin!(all);
        let drained = async {
            loop {
                tokio::select! {
                    () = &mut all => return,
                    // Readers waiting on a full event queue would otherwise hold their
                    // streams open.
                    Some(_) = self.conn_rx.recv() => {}
                }
            }
        };
        if tokio::time::timeout(SHUTDOWN_GRACE, drained).await.is_err() {
            tracing::warn!("streams still writing at shutdown; closing them anyway");
        }
    }

    /// A peer connected to one of our listeners: served if under the cap, else closed.
    fn on_accept(&mut self, stream: TcpStream, remote: Remote) {
        let Ok(permit) = self.accepted_slots.clone().try_acquire_owned() else {
            tracing::warn!(
                peer = %remote.addr,
                limit = self.limits.max_accepted,
                "too many connections; refusing"
            );
            return;
        };
        let open = match remote.transport {
            TransportKind::Tls => {
                let (_, acceptor) = self.tls.listener.as_ref().expect("accepted on it");
                Open::AcceptedTls(stream, acceptor.clone())
            }
            _ => {
                let _ = stream.set_nodelay(true);
                Open::Accepted(stream)
            }
        };
        let mut link = self.link(remote);
        link.idle_timeout = Some(self.limits.idle_timeout);
        link.permit = Some(permit);
        self.spawn_conn(link, open);
    }

    fn spawn_conn(&mut self, link: Link, open: Open) {
        let remote = link.remote;
        let (conn, task) = conn::spawn(link, open);
        self.conns.insert(remote, conn);
        self.track(task);
    }

    fn link(&self, remote: Remote) -> Link {
        Link {
            remote,
            max_message: self.max_message,
            partial_timeout: self.limits.partial_timeout,
            idle_timeout: None,
            events: self.conn_tx.clone(),
            permit: None,
        }
    }

    fn write_stream(&mut self, remote: Remote, bytes: Vec<u8>) {
        if !self.conns.contains_key(&remote) {
            let tls = match (remote.transport, &self.tls.connector) {
                (TransportKind::Tls, Some(connector)) => {
                    match crate::tls::peer_name(self.tls.server_name.as_deref(), remote.addr) {
                        Ok(name) => Some((connector.clone(), name)),
                        Err(e) => {
                            tracing::warn!(error = %e, "TLS server name");
                            self.endpoint.handle_transport_error(Instant::now(), remote);
                            return;
                        }
                    }
                }
                _ => None,
            };
            self.spawn_conn(self.link(remote), Open::Connect(tls));
        }
        let limit = self.limits.max_queued;
        let conn = self.conns.get_mut(&remote).expect("inserted above");
        if let Err(overflow) = conn.write(bytes, limit) {
            tracing::warn!(
                peer = %remote.addr,
                queued = overflow.queued,
                limit,
                "peer is not reading; closing the connection"
            );
        }
    }

    /// Stops listening to INVITEs whose Timer M is over.
    fn forget_accepted(&mut self, now: Instant) {
        while let Some(&(until, txn)) = self.accepted.front() {
            if until > now {
                break;
            }
            self.accepted.pop_front();
            self.clients.remove(&txn);
        }
    }

    fn route(&mut self, ev: EndpointEvent) {
        let now = Instant::now();
        self.forget_accepted(now);
        let to_client = |clients: &mut HashMap<TxnId, _>, txn: TxnId, update: TxnUpdate| {
            let done = !matches!(update, TxnUpdate::Response(_));
            let sent = clients
                .get(&txn)
                .is_some_and(|tx: &mpsc::UnboundedSender<TxnUpdate>| tx.send(update).is_ok());
            if done || !sent {
                clients.remove(&txn);
            }
            sent
        };
        let incoming = match ev {
            EndpointEvent::Response { txn, response } => {
                let invite_2xx = response.is_success()
                    && response.cseq().is_ok_and(|c| c.method == Method::Invite);
                let last = response.status >= 200 && !invite_2xx;
                let listening = self.clients.contains_key(&txn);
                to_client(&mut self.clients, txn, TxnUpdate::Response(response));
                // A final response ends the transaction, except a 2xx to an INVITE: other
                // forks' 2xx may follow until Timer M.
                if last {
                    self.clients.remove(&txn);
                } else if invite_2xx && listening && !self.accepted.iter().any(|&(_, t)| t == txn) {
                    self.accepted.push_back((now + self.accepted_window, txn));
                }
                return;
            }
            EndpointEvent::TransactionTimeout { txn } => {
                if to_client(&mut self.clients, txn, TxnUpdate::Timeout) {
                    return;
                }
                Incoming::ServerTimeout { txn }
            }
            EndpointEvent::TransportFailed { txn } => {
                to_client(&mut self.clients, txn, TxnUpdate::TransportFailed);
                return;
            }
            EndpointEvent::IncomingRequest { txn, request, from } => {
                Incoming::Request { txn, request, from }
            }
            EndpointEvent::IncomingAck { request, from } => Incoming::Ack { request, from },
            EndpointEvent::CancelReceived { invite, cancel } => {
                Incoming::Cancelled { invite, cancel }
            }
            EndpointEvent::StrayResponse { response, from } => {
                Incoming::StrayResponse { response, from }
            }
            EndpointEvent::Dropped { reason, from } => {
                tracing::debug!(from = %from.addr, %reason, "dropped");
                return;
            }
            other => {
                tracing::debug!(event = ?other, "unhandled endpoint event");
                return;
            }
        };
        let _ = self.incoming.send(incoming);
    }
}

async fn recv_udp(udp: Option<&UdpSocket>, buf: &mut [u8]) -> std::io::Result<(usize, SocketAddr)> {
    match udp {
        Some(s) => s.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

async fn accept(tcp: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match tcp {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

async fn futures_join(tasks: Vec<JoinHandle<()>>) {
    for task in tasks {
        let _ = task.await;
    }
}
