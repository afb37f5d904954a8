//! The vocabulary shared between the sans-IO core and whatever owns the sockets.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// The transport a message travels on. Reliability decides which timers run (RFC 3261 §17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    Udp,
    Tcp,
    Tls,
}

impl TransportKind {
    /// Reliable transports need no retransmissions and no wait states (Timers A, E, G, D, I,
    /// J, K are skipped or zero, RFC 3261 §17).
    pub fn is_reliable(self) -> bool {
        !matches!(self, TransportKind::Udp)
    }

    /// The token used in Via and in `;transport=`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Udp => "UDP",
            TransportKind::Tcp => "TCP",
            TransportKind::Tls => "TLS",
        }
    }

    /// Parses a Via transport or `;transport=` value (any case).
    pub fn parse(s: &str) -> Option<TransportKind> {
        match s.to_ascii_uppercase().as_str() {
            "UDP" => Some(TransportKind::Udp),
            "TCP" => Some(TransportKind::Tcp),
            "TLS" => Some(TransportKind::Tls),
            _ => None,
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The far end of a message: which transport and which address. For stream transports the
/// address names the connection (the peer's address as the socket reports it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Remote {
    pub transport: TransportKind,
    pub addr: SocketAddr,
}

/// Bytes the driver must send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub remote: Remote,
    pub bytes: Vec<u8>,
}

/// Bounds on stream connections (TCP, TLS). The endpoint keeps no connections; whatever owns
/// the sockets enforces these, so that a peer cannot make it hold memory or sockets for ever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamLimits {
    /// Bytes waiting to be written to one connection. A peer that stops reading would grow
    /// the queue without end; past this the connection is closed and what used it fails.
    /// Must exceed the largest message we send.
    pub max_queued: usize,
    /// Connections peers opened to us, TCP and TLS together; more are refused. Each may hold
    /// up to `max_queued` plus twice the maximum message size, and a file descriptor.
    pub max_accepted: usize,
    /// How long a message may take to arrive once its first byte has. A peer that starts a
    /// message and stalls, or trickles it, is cut off after this.
    pub partial_timeout: Duration,
    /// How long a connection a peer opened may stay without a complete message or keep-alive
    /// (RFC 5626 CRLF pings count). A registered client that sends no keep-alives is quiet
    /// between re-REGISTERs, and its connection is the only way to reach it, so this must
    /// outlast the longest registration. Connections we opened are never closed for quiet.
    pub idle_timeout: Duration,
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits {
            max_queued: 2 * 1024 * 1024,
            max_accepted: 1024,
            partial_timeout: Duration::from_secs(30),
            // A registrar's usual longest expiry, an hour, plus ten minutes for a late refresh.
            idle_timeout: Duration::from_secs(70 * 60),
        }
    }
}
