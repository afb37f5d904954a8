//! Halo's SIP server: registrar and location service, presence agent with watcher
//! authorization and buddy lists, MESSAGE relay with an offline store, and a stateful proxy for
//! calls, for one domain.
//!
//! [`Registrar`] is sans-IO: requests, responses and time go in, [`Output`]s come out; only its
//! store touches a disk. [`Service`] drives it over a `net::Stack`, and [`router`] serves the
//! buddy lists over HTTP.
//!
//! ```text
//! loop {
//!     registrar.handle_request(now, txn, request, from);   // or handle_outcome, handle_timeout…
//!     while let Some(output) = registrar.poll_output() { /* respond, send, cancel */ }
//!     sleep_until(registrar.poll_timeout());
//! }
//! ```
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]

mod accounts;
mod auth;
mod binding_writer;
mod config;
mod core;
mod echo;
mod echo_media;
mod http;
mod location;
mod message;
mod outbox;
mod presence;
mod proxy;
mod register;
mod service;
mod store;

pub use accounts::{Accounts, TokenRejection, UsersAccounts};
pub use config::Config;
pub use core::{OutId, Outcome, Output, Registrar};
pub use echo_media::reflect;
pub use http::{router, BuddyApi};
pub use location::Binding;
pub use service::{Service, ServiceError};
pub use store::{Buddy, Decision, OfflineMessage, Store, StoreError, StoredBinding};
