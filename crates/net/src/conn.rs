//! Stream connections, TCP or TLS: one reader task per connection turns bytes into frames
//! with the core's [`StreamFramer`]; writes go through a channel so the driver never blocks
//! on a peer.

use std::time::Duration;

use rustls::pki_types::ServerName;
use sip::msg::{Frame, StreamFramer};
use sip::transport::Remote;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// A TLS handshake that has not finished by then is abandoned: a peer speaking plain TCP to
/// the TLS port, or one that stalls, must not hold a connection open for ever.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What connection tasks tell the driver.
// Consumed as soon as sent, so the message variant's size costs nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum ConnEvent {
    Opened(Remote, mpsc::UnboundedSender<Vec<u8>>),
    Frame(Remote, Frame),
    /// Closed by the peer, broken, or never opened; the endpoint fails what used it.
    Closed(Remote),
}

/// Everything a connection task needs besides its stream.
pub(crate) struct Link {
    pub(crate) remote: Remote,
    pub(crate) max_message: usize,
    pub(crate) events: mpsc::UnboundedSender<ConnEvent>,
}

/// Connects (over TLS when `tls` is given), then serves the connection; `queued` bytes are
/// written first.
pub(crate) async fn connect(
    link: Link,
    queued: Vec<Vec<u8>>,
    tls: Option<(TlsConnector, ServerName<'static>)>,
) {
    let tcp = match TcpStream::connect(link.remote.addr).await {
        Ok(tcp) => tcp,
        Err(e) => {
            tracing::debug!(peer = %link.remote.addr, error = %e, "TCP connect failed");
            let _ = link.events.send(ConnEvent::Closed(link.remote));
            return;
        }
    };
    let _ = tcp.set_nodelay(true);
    match tls {
        None => serve(tcp, link, queued).await,
        Some((connector, name)) => {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, connector.connect(name, tcp)).await {
                Ok(Ok(stream)) => serve(stream, link, queued).await,
                Ok(Err(e)) => handshake_failed(link, &e),
                Err(_) => handshake_failed(link, &"timed out"),
            }
        }
    }
}

/// Serves a connection a peer opened to our TLS listener, once its handshake is done.
pub(crate) async fn accept_tls(tcp: TcpStream, acceptor: TlsAcceptor, link: Link) {
    let _ = tcp.set_nodelay(true);
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(stream)) => serve(stream, link, Vec::new()).await,
        Ok(Err(e)) => handshake_failed(link, &e),
        Err(_) => handshake_failed(link, &"timed out"),
    }
}

fn handshake_failed(link: Link, error: &dyn std::fmt::Display) {
    tracing::info!(peer = %link.remote.addr, %error, "TLS handshake failed");
    let _ = link.events.send(ConnEvent::Closed(link.remote));
}

/// Serves an open stream until either side closes it.
pub(crate) async fn serve<S>(stream: S, link: Link, queued: Vec<Vec<u8>>)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let Link {
        remote,
        max_message,
        events,
    } = link;
    let (tx, mut rx) = mpsc::unbounded_channel();
    for bytes in queued {
        let _ = tx.send(bytes);
    }
    if events.send(ConnEvent::Opened(remote, tx)).is_err() {
        return;
    }
    let (mut read, mut write) = tokio::io::split(stream);
    let writer = async move {
        while let Some(bytes) = rx.recv().await {
            if write.write_all(&bytes).await.is_err() {
                break;
            }
        }
        // A TLS stream ends with close_notify; a TCP one with FIN.
        let _ = write.shutdown().await;
    };
    let reader_events = events.clone();
    let reader = async move {
        let mut framer = StreamFramer::new(max_message);
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if let Err(e) = framer.push(&buf[..n]) {
                tracing::warn!(peer = %remote.addr, error = %e, "closing stream");
                break;
            }
            loop {
                match framer.next_frame() {
                    Ok(Some(frame)) => {
                        if reader_events.send(ConnEvent::Frame(remote, frame)).is_err() {
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
        }
    };
    tokio::select! {
        _ = writer => {}
        _ = reader => {}
    }
    let _ = events.send(ConnEvent::Closed(remote));
}
