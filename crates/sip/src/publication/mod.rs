//! Event state publication (RFC 3903): the client that keeps our presence document at the
//! server with PUBLISH, after pjsip-simple's `publish.h`. Not a subscription: no dialog,
//! just an entity tag to refresh, modify or remove.

mod client;
mod config;
mod events;

pub use client::Publication;
pub use config::PublicationConfig;
pub use events::PubEvent;

#[cfg(test)]
mod tests;
