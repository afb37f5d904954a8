use std::io;
use std::net::SocketAddr;

use std::time::Instant;

use sip::endpoint::{Config, Endpoint, SendError, TxnId};
use sip::msg::{Message, Request, Response};
use sip::transport::{Remote, TransportKind};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, oneshot};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::driver::{Command, Driver, Sockets, Start, Tls};
use crate::tls::TlsConfig;

/// Where to listen and how to run the endpoint.
#[derive(Debug, Clone)]
pub struct StackConfig {
    /// UDP socket to bind (port 0 picks one); `None` for no UDP.
    pub udp: Option<SocketAddr>,
    /// TCP listener to bind; `None` still allows outgoing TCP connections.
    pub tcp: Option<SocketAddr>,
    pub endpoint: Config,
    /// The host to put in Via and Contact when the bound address is a wildcard (`0.0.0.0`);
    /// ignored otherwise.
    pub public_host: Option<String>,
    /// SIP over TLS: a listener, outgoing connections, or both; the default is neither.
    pub tls: TlsConfig,
}

/// Something the network brought that no client transaction was waiting for.
#[derive(Debug)]
#[non_exhaustive]
pub enum Incoming {
    /// A new server transaction: answer it with [`Stack::respond`].
    Request {
        txn: TxnId,
        request: Request,
        from: Remote,
    },
    /// An ACK for a 2xx.
    Ack { request: Request, from: Remote },
    /// The endpoint answered the CANCEL; the INVITE still needs its 487.
    Cancelled { invite: TxnId, cancel: Request },
    /// A response matching no transaction (a late 2xx retransmission).
    StrayResponse { response: Response, from: Remote },
    /// A server transaction ended without its ACK (Timer H or L).
    ServerTimeout { txn: TxnId },
}

/// Counts of what a stack holds, for tests and operators: both should return to zero when
/// the traffic stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StackStats {
    /// Client transactions whose updates are still passed on.
    pub listened_transactions: usize,
    /// Open or opening TCP/TLS connections.
    pub connections: usize,
    /// Bytes waiting to be written to them, each connection's share bounded by
    /// `StreamLimits::max_queued`.
    pub queued_bytes: usize,
}

/// What happens to a request we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnUpdate {
    Response(Response),
    /// Timer B or F: treat as `408`.
    Timeout,
    /// The connection failed: treat as `503`.
    TransportFailed,
}

/// A running client transaction's updates.
#[derive(Debug)]
pub struct ClientTxn {
    pub id: TxnId,
    rx: mpsc::UnboundedReceiver<TxnUpdate>,
}

impl ClientTxn {
    /// The next update; `None` once the driver stopped.
    pub async fn next(&mut self) -> Option<TxnUpdate> {
        self.rx.recv().await
    }

    /// Waits for the final response, skipping provisionals.
    pub async fn final_response(&mut self) -> Result<Response, StackError> {
        loop {
            match self.next().await {
                Some(TxnUpdate::Response(r)) if r.status >= 200 => return Ok(r),
                Some(TxnUpdate::Response(_)) => continue,
                Some(TxnUpdate::Timeout) => return Err(StackError::Timeout),
                Some(TxnUpdate::TransportFailed) => return Err(StackError::TransportFailed),
                None => return Err(StackError::Stopped),
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StackError {
    #[error("the SIP stack has stopped")]
    Stopped,
    #[error("no response in time")]
    Timeout,
    #[error("could not reach the peer")]
    TransportFailed,
    #[error(transparent)]
    Send(#[from] SendError),
}

/// Cheap-clone handle to the driver task.
#[derive(Debug, Clone)]
pub struct Stack {
    cmd: mpsc::UnboundedSender<Command>,
    udp: Option<SocketAddr>,
    tcp: Option<SocketAddr>,
    tls: Option<SocketAddr>,
    /// Opens TLS connections but accepts none.
    tls_client_only: bool,
}

/// The Via and Contact host of a TLS client that does not listen.
pub const CLIENT_ONLY_HOST: &str = "client.invalid";

impl Stack {
    /// Binds the sockets and starts the driver on the current tokio runtime.
    pub async fn start(
        config: StackConfig,
    ) -> io::Result<(Stack, mpsc::UnboundedReceiver<Incoming>)> {
        let udp = match config.udp {
            Some(a) => Some(UdpSocket::bind(a).await?),
            None => None,
        };
        let tcp = match config.tcp {
            Some(a) => Some(TcpListener::bind(a).await?),
            None => None,
        };
        let tls_listener = match &config.tls.listen {
            Some((addr, server)) => Some((
                TcpListener::bind(addr).await?,
                TlsAcceptor::from(server.clone()),
            )),
            None => None,
        };
        let max_message = config.endpoint.max_message_size;
        let limits = config.endpoint.streams.clone();
        let accepted_window = config.endpoint.timers.t1 * 64;
        let udp_addr = udp.as_ref().map(UdpSocket::local_addr).transpose()?;
        let tcp_addr = tcp.as_ref().map(TcpListener::local_addr).transpose()?;
        let tls_addr = tls_listener
            .as_ref()
            .map(|(l, _)| l.local_addr())
            .transpose()?;
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        let mut endpoint = Endpoint::new(config.endpoint, Instant::now());
        for (kind, addr) in [
            (TransportKind::Udp, udp_addr),
            (TransportKind::Tcp, tcp_addr),
            (TransportKind::Tls, tls_addr),
        ] {
            if let Some(addr) = addr {
                endpoint.set_sent_by(kind, sent_by(addr, config.public_host.as_deref()));
            }
        }
        if tls_addr.is_none() && config.tls.client.is_some() {
            // A TLS client without a listener cannot be reached but through its connections,
            // so its Via names no address: an `.invalid` host, as RFC 7118 §5 does for
            // WebSocket clients in the same position.
            endpoint.set_sent_by(TransportKind::Tls, CLIENT_ONLY_HOST.to_owned());
        }
        let tls = Tls {
            listener: tls_listener,
            connector: config.tls.client.clone().map(TlsConnector::from),
            server_name: config.tls.server_name.clone(),
        };
        let tls_client = config.tls.client.is_some();
        let driver = Driver::new(
            endpoint,
            Sockets { udp, tcp, tls },
            max_message,
            limits,
            accepted_window,
            cmd_rx,
            in_tx,
        );
        tokio::spawn(driver.run());
        Ok((
            Stack {
                cmd: cmd_tx,
                udp: udp_addr,
                tcp: tcp_addr,
                tls: tls_addr,
                tls_client_only: tls_addr.is_none() && tls_client,
            },
            in_rx,
        ))
    }

    /// The bound address for a transport.
    pub fn local_addr(&self, transport: TransportKind) -> Option<SocketAddr> {
        match transport {
            TransportKind::Udp => self.udp,
            TransportKind::Tcp => self.tcp,
            TransportKind::Tls => self.tls,
        }
    }

    pub async fn send_request(
        &self,
        request: Request,
        to: Remote,
    ) -> Result<ClientTxn, StackError> {
        self.start_client(Start::Send(request, to)).await
    }

    /// Relays a request as a proxy: a new top Via with a fresh branch is always pushed
    /// (see `Endpoint::forward_request`), so the response comes back to this transaction.
    pub async fn forward_request(
        &self,
        request: Request,
        to: Remote,
    ) -> Result<ClientTxn, StackError> {
        self.start_client(Start::Forward(request, to)).await
    }

    async fn start_client(&self, what: Start) -> Result<ClientTxn, StackError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let id = self
            .call(|reply| Command::Start {
                what,
                updates: tx,
                reply,
            })
            .await??;
        Ok(ClientTxn { id, rx })
    }

    pub async fn respond(&self, txn: TxnId, response: Response) -> Result<(), StackError> {
        Ok(self
            .call(|reply| Command::Respond {
                txn,
                response,
                reply,
            })
            .await??)
    }

    /// CANCELs a pending INVITE; the returned transaction carries the CANCEL's own response.
    pub async fn cancel(&self, invite: TxnId) -> Result<ClientTxn, StackError> {
        self.start_client(Start::Cancel(invite)).await
    }

    /// Sends outside any transaction (an ACK for a 2xx).
    pub fn send_stateless(&self, message: Message, to: Remote) -> Result<(), StackError> {
        self.cmd
            .send(Command::Stateless { message, to })
            .map_err(|_| StackError::Stopped)
    }

    /// Sends a CRLF CRLF keep-alive (RFC 5626 §3.5.1) to `to`.
    pub fn keepalive(&self, to: Remote) -> Result<(), StackError> {
        self.cmd
            .send(Command::Raw {
                bytes: b"\r\n\r\n".to_vec(),
                to,
            })
            .map_err(|_| StackError::Stopped)
    }

    /// A fresh tag, Call-ID or branch from the endpoint's seeded generator.
    pub async fn new_tag(&self) -> Result<String, StackError> {
        self.call(Command::NewTag).await
    }

    pub async fn new_call_id(&self) -> Result<String, StackError> {
        self.call(Command::NewCallId).await
    }

    /// What the stack is holding on to now.
    pub async fn stats(&self) -> Result<StackStats, StackError> {
        self.call(Command::Stats).await
    }

    /// Stops the driver once what was already handed to it is written out; in-flight
    /// transactions are abandoned.
    pub async fn shutdown(&self) {
        let (done, wait) = oneshot::channel();
        if self.cmd.send(Command::Shutdown(done)).is_ok() {
            let _ = wait.await;
        }
    }

    /// The `host:port` a peer can reach this stack at over `transport`, for Contact headers;
    /// [`CLIENT_ONLY_HOST`] for a TLS client that does not listen (reachable only through its
    /// own connections, which a registrar keeps as the binding's source).
    pub fn contact_host_port(
        &self,
        transport: TransportKind,
        public_host: Option<&str>,
    ) -> Option<String> {
        match self.local_addr(transport) {
            Some(a) => Some(sent_by(a, public_host)),
            None if transport == TransportKind::Tls && self.tls_client_only => {
                Some(CLIENT_ONLY_HOST.to_owned())
            }
            None => None,
        }
    }

    async fn call<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, StackError> {
        let (tx, rx) = oneshot::channel();
        self.cmd.send(make(tx)).map_err(|_| StackError::Stopped)?;
        rx.await.map_err(|_| StackError::Stopped)
    }
}

/// `host:port` for Via sent-by: the bound address, unless it is a wildcard.
fn sent_by(addr: SocketAddr, public_host: Option<&str>) -> String {
    match (addr.ip().is_unspecified(), public_host) {
        (true, Some(host)) => format!("{host}:{}", addr.port()),
        (true, None) if addr.is_ipv6() => format!("[::1]:{}", addr.port()),
        (true, None) => format!("127.0.0.1:{}", addr.port()),
        _ => addr.to_string(),
    }
}
