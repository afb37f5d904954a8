//! The account's deadlines as a sans-IO machine: registration refresh, retry with backoff,
//! keep-alive ping and its overdue answer, token refresh, the outbox's retry and the quit
//! deadline; [`Deadlines`] keeps one per buddy for subscription retries. Time comes in as `Instant`
//! arguments; the Coordinator's task only sleeps until [`AccountTimers::poll_timeout`] and
//! hands each [`Due`] to the state table, so every timer is tested in virtual time.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use session::{AccountTimers, Due, TimerConfig};
//!
//! let mut now = Instant::now();
//! let mut t = AccountTimers::new(TimerConfig::default(), 7);
//! t.registered(now, Duration::from_secs(60));
//! while let Some(at) = t.poll_timeout() {
//!     now = at;
//!     if let Some(Due::RefreshRegistration) = t.poll_due(now) {
//!         break;
//!     }
//! }
//! # assert!(t.poll_timeout().is_none());
//! ```

use std::time::{Duration, Instant};

use crate::schedule::{keepalive_interval, keepalive_timeout, refresh_after, Backoff};

/// What came due; the driver turns it into a table event or the action it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Renew the registration (table: `RegistrationExpiring`).
    RefreshRegistration,
    /// Try registering again after a failure (table: `RetryTimer`).
    RetryRegistration,
    /// Send a keep-alive now.
    Ping,
    /// The keep-alive went unanswered (table: `KeepAliveLost`).
    PingUnanswered,
    /// Renew the access token before it expires.
    RefreshToken,
    /// Try the queued chat messages again (table: `FlushOutbox`).
    RetryOutbox,
    /// `quit` waited long enough for the server's answers: stop anyway.
    Quit,
}

const ALL: [Due; 7] = [
    Due::RefreshRegistration,
    Due::RetryRegistration,
    Due::Ping,
    Due::PingUnanswered,
    Due::RefreshToken,
    Due::RetryOutbox,
    Due::Quit,
];

/// The durations the machine works with.
#[derive(Debug, Clone, Copy)]
pub struct TimerConfig {
    /// Between keep-alives.
    pub keepalive: Duration,
    /// First retry delay; doubled with jitter per failure.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
}

impl Default for TimerConfig {
    fn default() -> TimerConfig {
        TimerConfig {
            keepalive: Duration::from_secs(30),
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(300),
        }
    }
}

/// One deadline per [`Due`]; `poll_timeout` is the earliest.
#[derive(Debug, Clone)]
pub struct AccountTimers {
    config: TimerConfig,
    backoff: Backoff,
    /// The outbox's own backoff: a message refused by a busy peer must not slow down
    /// re-registering, nor the other way round.
    outbox: Backoff,
    /// Indexed by `Due as usize`.
    deadlines: [Option<Instant>; 7],
}

impl AccountTimers {
    /// `seed` makes the retry jitter replayable.
    pub fn new(config: TimerConfig, seed: u64) -> AccountTimers {
        AccountTimers {
            backoff: Backoff::new(config.retry_base, config.retry_max, seed),
            outbox: Backoff::new(config.retry_base, config.retry_max, seed ^ 1),
            config,
            deadlines: [None; 7],
        }
    }

    fn set(&mut self, due: Due, at: Option<Instant>) {
        self.deadlines[due as usize] = at;
    }

    /// The registrar granted `granted`: refresh at about 90 % of it (the table's
    /// `ScheduleRefresh`).
    pub fn registered(&mut self, now: Instant, granted: Duration) {
        self.set(Due::RefreshRegistration, Some(now + refresh_after(granted)));
    }

    /// A success: the next failure waits `retry_base` again (`ResetBackoff`).
    pub fn reset_backoff(&mut self) {
        self.backoff.reset();
    }

    /// The registration stopped (`CancelRefresh`): no refresh, no pings.
    pub fn cancel_refresh(&mut self) {
        self.set(Due::RefreshRegistration, None);
        self.stop_pinging();
    }

    /// A failure that a later attempt may get past: retry after the backoff's next delay,
    /// which is returned (`ScheduleRetry`).
    pub fn failed(&mut self, now: Instant) -> Duration {
        let delay = self.backoff.next_delay();
        self.set(Due::RetryRegistration, Some(now + delay));
        delay
    }

    /// `CancelRetry`.
    pub fn cancel_retry(&mut self) {
        self.set(Due::RetryRegistration, None);
    }

    /// When the pending retry comes due, if one is.
    pub fn retry_at(&self) -> Option<Instant> {
        self.deadlines[Due::RetryRegistration as usize]
    }

    /// Registered: verify it with a keep-alive every interval (`StartUsages`).
    pub fn start_pinging(&mut self, now: Instant) {
        self.set(
            Due::Ping,
            Some(now + keepalive_interval(self.config.keepalive)),
        );
        self.set(Due::PingUnanswered, None);
    }

    /// The registration is gone or unverified (`SuspendUsages`).
    pub fn stop_pinging(&mut self) {
        self.set(Due::Ping, None);
        self.set(Due::PingUnanswered, None);
    }

    /// A keep-alive went out: its answer is due within the keep-alive timeout.
    pub fn ping_sent(&mut self, now: Instant) {
        self.set(
            Due::PingUnanswered,
            Some(now + keepalive_timeout(self.config.keepalive)),
        );
    }

    /// Any answer to the keep-alive: the server is there; ping again after the interval.
    pub fn pong(&mut self, now: Instant) {
        self.start_pinging(now);
    }

    /// A new access token valid for `lifetime`: renew it at about 90 % of that.
    pub fn token_issued(&mut self, now: Instant, lifetime: Duration) {
        self.set(Due::RefreshToken, Some(now + refresh_after(lifetime)));
    }

    /// Renewing the token failed: try again after the backoff's next delay.
    pub fn token_failed(&mut self, now: Instant) {
        let delay = self.backoff.next_delay();
        self.set(Due::RefreshToken, Some(now + delay));
    }

    /// A message failed in a way worth retrying: flush the outbox after the outbox backoff's
    /// next delay, unless a retry is already due sooner (one timer serves every message).
    pub fn outbox_failed(&mut self, now: Instant) {
        if self.deadlines[Due::RetryOutbox as usize].is_none() {
            let delay = self.outbox.next_delay();
            self.set(Due::RetryOutbox, Some(now + delay));
        }
    }

    /// Registered again and the outbox flushed: its next failure waits `retry_base` again.
    pub fn outbox_flushed(&mut self) {
        self.outbox.reset();
        self.set(Due::RetryOutbox, None);
    }

    /// `quit` was asked for: stop at `now + grace` even if the server never answers.
    pub fn quit(&mut self, now: Instant, grace: Duration) {
        self.set(Due::Quit, Some(now + grace));
    }

    /// The earliest deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// The earliest deadline at or before `now`, cleared; `None` when nothing is due yet
    /// (an early call is a no-op). Call until `None` after every wake-up.
    pub fn poll_due(&mut self, now: Instant) -> Option<Due> {
        let due = ALL
            .iter()
            .copied()
            .filter(|d| self.deadlines[*d as usize].is_some_and(|t| t <= now))
            .min_by_key(|d| self.deadlines[*d as usize])?;
        self.set(due, None);
        Some(due)
    }
}

/// One deadline per key (a buddy's subscription retry), with the same contract as
/// [`AccountTimers`]: `poll_timeout` is the earliest, `poll_due` hands out what is due.
#[derive(Debug, Clone)]
pub struct Deadlines<K> {
    at: std::collections::BTreeMap<K, Instant>,
}

impl<K> Default for Deadlines<K> {
    fn default() -> Self {
        Deadlines {
            at: std::collections::BTreeMap::new(),
        }
    }
}

impl<K: Ord + Clone> Deadlines<K> {
    /// Replaces `key`'s deadline.
    pub fn set(&mut self, key: K, at: Instant) {
        self.at.insert(key, at);
    }

    /// Forgets `key`'s deadline.
    pub fn cancel(&mut self, key: &K) {
        self.at.remove(key);
    }

    /// The earliest deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.at.values().min().copied()
    }

    /// The key whose deadline is earliest and at or before `now`, cleared.
    pub fn poll_due(&mut self, now: Instant) -> Option<K> {
        let key = self
            .at
            .iter()
            .filter(|(_, t)| **t <= now)
            .min_by_key(|(_, t)| **t)
            .map(|(k, _)| k.clone())?;
        self.at.remove(&key);
        Some(key)
    }
}

#[cfg(test)]
mod tests;
