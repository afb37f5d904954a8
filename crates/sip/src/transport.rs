//! The vocabulary shared between the sans-IO core and whatever owns the sockets.

use std::fmt;
use std::net::SocketAddr;

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
