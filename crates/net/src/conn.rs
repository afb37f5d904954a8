//! Stream connections: one reader task per connection turns bytes into frames with the
//! core's [`StreamFramer`]; writes go through a channel so the driver never blocks on a peer.

use std::net::SocketAddr;

use sip::msg::{Frame, StreamFramer};
use sip::transport::{Remote, TransportKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// What connection tasks tell the driver.
// Consumed as soon as sent, so the message variant's size costs nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum ConnEvent {
    Opened(Remote, mpsc::UnboundedSender<Vec<u8>>),
    Frame(Remote, Frame),
    /// Closed by the peer, broken, or never opened; the endpoint fails what used it.
    Closed(Remote),
}

/// Connects, then serves the connection; queued bytes are written first.
pub(crate) async fn connect(
    addr: SocketAddr,
    queued: Vec<Vec<u8>>,
    max_message: usize,
    events: mpsc::UnboundedSender<ConnEvent>,
) {
    let remote = Remote {
        transport: TransportKind::Tcp,
        addr,
    };
    match TcpStream::connect(addr).await {
        Ok(stream) => {
            let (tx, rx) = mpsc::unbounded_channel();
            for bytes in queued {
                let _ = tx.send(bytes);
            }
            serve(stream, remote, tx, rx, max_message, events).await;
        }
        Err(e) => {
            tracing::debug!(%addr, error = %e, "TCP connect failed");
            let _ = events.send(ConnEvent::Closed(remote));
        }
    }
}

/// Serves an accepted or connected stream until either side closes it.
pub(crate) async fn serve(
    stream: TcpStream,
    remote: Remote,
    tx: mpsc::UnboundedSender<Vec<u8>>,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
    max_message: usize,
    events: mpsc::UnboundedSender<ConnEvent>,
) {
    let _ = stream.set_nodelay(true);
    if events.send(ConnEvent::Opened(remote, tx)).is_err() {
        return;
    }
    let (mut read, mut write) = stream.into_split();
    let writer = async move {
        while let Some(bytes) = rx.recv().await {
            if write.write_all(&bytes).await.is_err() {
                break;
            }
        }
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
