//! The tokio layer under Halo's sans-IO SIP core: one task owns the [`sip::endpoint::Endpoint`]
//! and its sockets (UDP, TCP and TLS listeners and connections) and drives it with real time.
//!
//! The task `select!`s socket reads, the endpoint's next deadline and a command channel; every
//! lock and every clock lives here, never in `sip`. [`Stack`] is the cheap-clone handle.
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]

mod conn;
mod driver;
mod stack;
pub mod tls;

pub use stack::{
    ClientTxn, Incoming, Stack, StackConfig, StackError, StackStats, TxnUpdate, CLIENT_ONLY_HOST,
};
pub use tls::TlsConfig;
