//! Sans-IO SIP protocol core for Halo.
//!
//! Nothing in this crate touches a socket, a clock or a thread: bytes, peer addresses and
//! `Instant`s go in; messages to send, events and the next timer deadline come out.
//!
//! # The run loop
//!
//! Every state machine here is driven the same way: hand it one input (`handle_*` or a TU
//! command), drain what that produced (`poll_transmit`, `poll_event`), then wait for the next
//! input or until `poll_timeout`, whichever comes first. The driver (`crates/net`) owns the
//! sockets and the clock. Below a virtual clock stands in for both, and an OPTIONS to a peer
//! that never answers runs into Timer F (64·T1, RFC 3261 §17.1.2.2):
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::Instant;
//!
//! use sip::endpoint::{Config, Endpoint, EndpointEvent};
//! use sip::msg::{Method, Request, Uri};
//! use sip::transport::{Remote, TransportKind};
//!
//! let mut now = Instant::now();
//! let mut endpoint = Endpoint::new(Config::default(), now);
//! endpoint.set_sent_by(TransportKind::Udp, "192.0.2.1:5060".to_owned());
//! let peer = Remote {
//!     transport: TransportKind::Udp,
//!     addr: SocketAddr::from(([192, 0, 2, 2], 5060)),
//! };
//!
//! // A TU command is an input like any other. The endpoint adds Via, Max-Forwards and
//! // User-Agent.
//! let mut options = Request::new(Method::Options, Uri::parse("sip:bob@192.0.2.2")?);
//! let (tag, call_id) = (endpoint.new_tag(), endpoint.new_call_id());
//! options.headers.push("From", format!("<sip:alice@192.0.2.1>;tag={tag}"));
//! options.headers.push("To", "<sip:bob@192.0.2.2>");
//! options.headers.push("Call-ID", call_id);
//! options.headers.push("CSeq", "1 OPTIONS");
//! let txn = endpoint.send_request(now, options, peer)?;
//!
//! let mut sent = 0;
//! let mut timed_out = false;
//! loop {
//!     // Drain everything the last input produced...
//!     while let Some(transmit) = endpoint.poll_transmit() {
//!         sent += 1; // socket.send_to(&transmit.bytes, transmit.remote.addr)
//!         assert_eq!(transmit.remote, peer);
//!     }
//!     while let Some(event) = endpoint.poll_event() {
//!         timed_out |= event == EndpointEvent::TransactionTimeout { txn };
//!     }
//!     // ...then wait for a datagram (`handle_input`) or the deadline. Nobody answers here,
//!     // so it is always the deadline.
//!     let Some(deadline) = endpoint.poll_timeout() else {
//!         break;
//!     };
//!     now = deadline;
//!     endpoint.handle_timeout(now);
//! }
//! assert!(timed_out);
//! assert_eq!(sent, 11, "the request and 10 Timer E retransmissions");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]
pub mod auth;
pub mod dialog;
pub mod endpoint;
pub mod event;
pub mod msg;
pub mod publication;
pub mod sdp;
pub mod token;
pub mod transport;
pub mod txn;
