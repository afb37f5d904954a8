//! Sans-IO SIP protocol core for Halo.
//!
//! Nothing in this crate touches a socket, a clock or a thread: bytes, peer addresses and
//! `Instant`s go in; messages to send, events and the next timer deadline come out.
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]
pub mod msg;
pub mod transport;
