//! Stream connections, TCP or TLS: one task per connection turns bytes into frames with the
//! core's [`StreamFramer`]; writes go through a queue so the driver never blocks on a peer.
//!
//! Each connection is bounded ([`sip::transport::StreamLimits`]): its write queue in bytes,
//! the time a message may take to arrive, and, for connections peers opened, the time it may
//! stay quiet. The driver counts accepted connections.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use sip::msg::{Frame, StreamFramer};
use sip::transport::Remote;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// A TLS handshake that has not finished by then is abandoned: a peer speaking plain TCP to
/// the TLS port, or one that stalls, must not hold a connection open for ever.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Events waiting for the driver, from all connections. Each holds at most one message, and
/// a reader that finds the queue full stops reading, so a peer sending faster than the driver
/// handles is slowed by TCP flow control instead of growing our memory.
pub(crate) const EVENT_QUEUE: usize = 256;

/// What connection tasks tell the driver.
// Consumed as soon as sent, so the message variant's size costs nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum ConnEvent {
    Opened(Remote, Writer),
    Frame(Remote, Frame),
    /// Closed by the peer, broken, never opened, or closed by us; the endpoint fails what
    /// used it. The last event of every connection.
    Closed(Remote),
}

/// How a connection comes to be.
pub(crate) enum Open {
    Accepted(TcpStream),
    AcceptedTls(TcpStream, TlsAcceptor),
    /// Over TLS when a connector and the name to check are given.
    Connect(Option<(TlsConnector, ServerName<'static>)>),
}

/// Everything a connection task needs besides its stream.
pub(crate) struct Link {
    pub(crate) remote: Remote,
    pub(crate) max_message: usize,
    pub(crate) partial_timeout: Duration,
    /// `None` for connections we opened: whoever opened one decides when it is done.
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) events: mpsc::Sender<ConnEvent>,
    /// An accepted connection's place under the driver's cap, given back when it closes.
    pub(crate) permit: Option<OwnedSemaphorePermit>,
}

/// The driver's side of one connection.
pub(crate) struct Conn {
    state: State,
    abort: Option<oneshot::Sender<()>>,
}

enum State {
    /// Bytes wait here until the connection is open.
    Opening {
        queue: Vec<Vec<u8>>,
        bytes: usize,
    },
    Open(Writer),
    /// Closed for overflow: bytes are dropped until its `Closed` event removes it.
    Closing,
}

/// The sending end of an open connection's write queue.
pub(crate) struct Writer {
    tx: mpsc::UnboundedSender<Vec<u8>>,
    /// Bytes sent and not yet written; the connection task takes off what it wrote.
    queued: Arc<AtomicUsize>,
}

/// A write would pass the queue limit: the connection is closing.
#[derive(Debug)]
pub(crate) struct Overflow {
    pub(crate) queued: usize,
}

/// Starts a connection task; the returned [`Conn`] queues writes until it is open.
pub(crate) fn spawn(link: Link, open: Open) -> (Conn, JoinHandle<()>) {
    let (abort, aborted) = oneshot::channel();
    let task = tokio::spawn(run(link, open, aborted));
    let conn = Conn {
        state: State::Opening {
            queue: Vec::new(),
            bytes: 0,
        },
        abort: Some(abort),
    };
    (conn, task)
}

impl Conn {
    /// Queues `bytes`, unless that passes `max`: then the connection is closed at once, what
    /// is queued is dropped, and its `Closed` event follows.
    pub(crate) fn write(&mut self, bytes: Vec<u8>, max: usize) -> Result<(), Overflow> {
        if matches!(self.state, State::Closing) {
            return Ok(());
        }
        let queued = self.queued();
        if queued + bytes.len() > max {
            self.state = State::Closing;
            if let Some(abort) = self.abort.take() {
                let _ = abort.send(());
            }
            return Err(Overflow { queued });
        }
        match &mut self.state {
            State::Opening { queue, bytes: n } => {
                *n += bytes.len();
                queue.push(bytes);
            }
            State::Open(writer) => {
                writer.queued.fetch_add(bytes.len(), Ordering::Relaxed);
                let _ = writer.tx.send(bytes);
            }
            State::Closing => {}
        }
        Ok(())
    }

    /// The connection is open: what waited goes out first.
    pub(crate) fn opened(&mut self, writer: Writer) {
        if let State::Opening { queue, bytes } = &mut self.state {
            writer.queued.fetch_add(*bytes, Ordering::Relaxed);
            for bytes in queue.drain(..) {
                let _ = writer.tx.send(bytes);
            }
            self.state = State::Open(writer);
        }
    }

    /// Bytes given to this connection and not yet written to the socket.
    pub(crate) fn queued(&self) -> usize {
        match &self.state {
            State::Opening { bytes, .. } => *bytes,
            State::Open(writer) => writer.queued.load(Ordering::Relaxed),
            State::Closing => 0,
        }
    }
}

/// Opens the connection and serves it until the peer, an error, a timeout or the driver's
/// abort ends it; then reports `Closed`.
async fn run(mut link: Link, open: Open, aborted: oneshot::Receiver<()>) {
    let remote = link.remote;
    let events = link.events.clone();
    let permit = link.permit.take();
    tokio::select! {
        biased;
        // A dropped sender (the driver letting streams drain at shutdown) is no abort.
        Ok(()) = aborted => {}
        () = open_and_serve(link, open) => {}
    }
    // Given back before the driver hears of it, so that a count it reports is free again.
    drop(permit);
    let _ = events.send(ConnEvent::Closed(remote)).await;
}

async fn open_and_serve(link: Link, open: Open) {
    let tcp = match open {
        Open::Accepted(tcp) => return serve(tcp, link).await,
        Open::AcceptedTls(tcp, acceptor) => {
            return match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => serve(stream, link).await,
                Ok(Err(e)) => handshake_failed(&link, &e),
                Err(_) => handshake_failed(&link, &"timed out"),
            };
        }
        Open::Connect(tls) => match TcpStream::connect(link.remote.addr).await {
            Ok(tcp) => (tcp, tls),
            Err(e) => {
                tracing::debug!(peer = %link.remote.addr, error = %e, "TCP connect failed");
                return;
            }
        },
    };
    let (tcp, tls) = tcp;
    let _ = tcp.set_nodelay(true);
    match tls {
        None => serve(tcp, link).await,
        Some((connector, name)) => {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, connector.connect(name, tcp)).await {
                Ok(Ok(stream)) => serve(stream, link).await,
                Ok(Err(e)) => handshake_failed(&link, &e),
                Err(_) => handshake_failed(&link, &"timed out"),
            }
        }
    }
}

fn handshake_failed(link: &Link, error: &dyn std::fmt::Display) {
    tracing::info!(peer = %link.remote.addr, %error, "TLS handshake failed");
}

/// Serves an open stream until either side closes it.
async fn serve<S>(stream: S, link: Link)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let queued = Arc::new(AtomicUsize::new(0));
    let writer = Writer {
        tx,
        queued: queued.clone(),
    };
    if link
        .events
        .send(ConnEvent::Opened(link.remote, writer))
        .await
        .is_err()
    {
        return;
    }
    let (read, mut write) = tokio::io::split(stream);
    let writer = async move {
        while let Some(bytes) = rx.recv().await {
            let written = write.write_all(&bytes).await;
            queued.fetch_sub(bytes.len(), Ordering::Relaxed);
            if written.is_err() {
                break;
            }
        }
        // A TLS stream ends with close_notify; a TCP one with FIN.
        let _ = write.shutdown().await;
    };
    tokio::select! {
        () = writer => {}
        () = read_frames(read, &link) => {}
    }
}

/// Passes frames to the driver until the stream ends, breaks, or times out.
async fn read_frames(mut read: impl AsyncRead + Unpin, link: &Link) {
    let remote = link.remote;
    let mut framer = StreamFramer::new(link.max_message);
    // The framer holds at most one message between reads and takes 2·max, so a read must
    // not pass max: a fast peer with a small limit was cut off for valid messages.
    let mut buf = vec![0u8; link.max_message.min(16 * 1024)];
    let mut last_frame = Instant::now();
    // When the bytes of the message now arriving began; `None` between messages.
    let mut started: Option<Instant> = None;
    loop {
        let deadline = match started {
            Some(at) => Some(at + link.partial_timeout),
            None => link.idle_timeout.map(|idle| last_frame + idle),
        };
        let expired = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        let n = tokio::select! {
            // What arrived by the deadline still counts.
            biased;
            r = read.read(&mut buf) => match r {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            () = expired => {
                let (what, after) = match started {
                    Some(_) => ("message incomplete", link.partial_timeout),
                    None => ("idle", link.idle_timeout.unwrap_or_default()),
                };
                tracing::info!(peer = %remote.addr, ?after, "closing stream: {what}");
                return;
            }
        };
        if let Err(e) = framer.push(&buf[..n]) {
            tracing::warn!(peer = %remote.addr, error = %e, "closing stream");
            return;
        }
        let mut framed = false;
        loop {
            match framer.next_frame() {
                Ok(Some(frame)) => {
                    framed = true;
                    if link
                        .events
                        .send(ConnEvent::Frame(remote, frame))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(peer = %remote.addr, error = %e, "closing stream");
                    return;
                }
            }
        }
        let now = Instant::now();
        if framed {
            last_frame = now;
            started = None;
        }
        if framer.buffered() == 0 {
            started = None;
        } else if started.is_none() {
            started = Some(now);
        }
    }
}
