//! Dialogs (RFC 3261 §12): the peer-to-peer relationship that in-dialog requests share.
//!
//! A [`Dialog`] is pure state: it is created from a request and the response that established
//! it, builds the requests we send inside it ([`Dialog::create_request`],
//! [`Dialog::create_ack`]), and checks the requests and responses we receive
//! ([`Dialog::handle_request`], [`Dialog::handle_response`]). It neither sends nor times out;
//! the usage that owns it (a call, a subscription) does. [`DialogSet`] tracks the several
//! early dialogs a forked INVITE can create.
//!
//! Errors know their answer: [`DialogError::status`] is 481 for a request that names no
//! dialog, 500 for a CSeq that went backwards, 400 for a malformed one.

mod error;
mod fork;
mod id;
mod route;
mod state;

pub use error::DialogError;
pub use fork::{DialogSet, ForkUpdate};
pub use id::DialogId;
pub use state::{Dialog, DialogState};

pub(crate) use route::apply as apply_route_set;
pub(crate) use state::MAX_FORWARDS;

#[cfg(test)]
mod tests;
