//! Time as a dependency.
//!
//! Lockouts, token lifetimes, key retirement and the JWKS refetch limit all depend on "now". Taking
//! it from an injected [`Clock`] lets tests move time forward by fifteen minutes in one call
//! instead of sleeping, and keeps every comparison in whole Unix seconds, the unit JWTs use.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time in Unix seconds.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
}

/// The operating system's clock, for production.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX)
    }
}

/// A clock that only moves when told to, for tests and simulations.
///
/// Clones share the same time, so a test keeps one handle and gives another to the service.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// Starts at `now` Unix seconds.
    pub fn new(now: i64) -> Self {
        Self(Arc::new(AtomicI64::new(now)))
    }

    /// Starts at the current system time, so tokens it stamps look plausible to other clocks.
    pub fn starting_now() -> Self {
        Self::new(SystemClock.now())
    }

    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
