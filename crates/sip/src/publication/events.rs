use std::time::{Duration, Instant};

use crate::msg::EntityTag;

/// What a publication tells its owner, from `poll_event`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PubEvent {
    /// A PUBLISH (initial, modify or refresh) succeeded.
    Published {
        /// The entity tag the server assigned, sent back in `SIP-If-Match`.
        etag: EntityTag,
        /// When the published state lapses unless refreshed (the machine refreshes it).
        expires_at: Instant,
    },
    /// The published state is gone: our removal succeeded, or there was nothing to remove.
    Removed,
    /// A PUBLISH failed with this status (408 for a transaction timeout).
    Failed {
        /// The final response's status.
        status: u16,
        /// When the machine tries again on its own; `None` when retrying cannot help
        /// (489, 403 and other client errors) and it waits for the next `publish`.
        retry_in: Option<Duration>,
    },
}
