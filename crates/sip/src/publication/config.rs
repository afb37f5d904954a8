use std::time::Duration;

use crate::event::Package;
use crate::msg::{NameAddr, Uri};

/// First retry delay after a failure worth retrying (timeout, 408, 5xx).
const DEFAULT_RETRY_MIN: Duration = Duration::from_secs(30);
/// Cap of the doubling retry delay.
const DEFAULT_RETRY_MAX: Duration = Duration::from_secs(30 * 60);

/// What an event publication agent needs to know (RFC 3903 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationConfig {
    /// The address of record whose state we publish: Request-URI and To.
    pub aor: Uri,
    /// Our From, with a tag.
    pub from: NameAddr,
    /// The event package (its `event` goes into the Event header).
    pub package: Package,
    /// The expiry we ask for, in seconds (a 423 raises it).
    pub expires: u32,
    /// Content-Type of the bodies we publish.
    pub content_type: String,
    /// A preloaded route (outbound proxy), RFC 3261 §8.1.2.
    pub route: Vec<NameAddr>,
    /// First retry delay after a timeout, 408 or 5xx; doubled per further failure.
    pub retry_min: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
}

impl PublicationConfig {
    /// The package's default expiry, no preloaded route, retries from 30 s doubling up to
    /// 30 min.
    pub fn new(aor: Uri, from: NameAddr, package: Package, content_type: &str) -> Self {
        PublicationConfig {
            aor,
            from,
            expires: package.default_expires,
            package,
            content_type: content_type.to_owned(),
            route: Vec::new(),
            retry_min: DEFAULT_RETRY_MIN,
            retry_max: DEFAULT_RETRY_MAX,
        }
    }
}
