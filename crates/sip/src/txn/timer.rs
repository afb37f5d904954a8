//! Transaction timers as deadlines (RFC 3261 §17, Table 4; RFC 6026 §8.11).
//!
//! A transaction never sleeps: it records when each of its timers is due, the endpoint reports
//! the earliest through `poll_timeout`, and the driver calls `handle_timeout` once it is reached.

use std::fmt;
use std::time::{Duration, Instant};

/// The base intervals every transaction timer derives from (RFC 3261 §17.1.1.1, Table 4).
///
/// The defaults are the RFC's; a network with a known smaller round-trip time may lower `t1`,
/// and every `64·T1` timeout shrinks with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// Round-trip time estimate: the first retransmission interval (500 ms).
    pub t1: Duration,
    /// The cap on retransmission intervals of non-INVITE requests and INVITE responses (4 s).
    pub t2: Duration,
    /// How long a message can stay in the network (5 s): the wait states that absorb
    /// retransmissions on unreliable transports.
    pub t4: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

impl TimerConfig {
    /// `64·T1`: how long a transaction waits for an answer before giving up (Timers B, F, H,
    /// J, L, M).
    pub fn timeout(&self) -> Duration {
        self.t1 * 64
    }
}

/// How long a server INVITE transaction waits for the TU before it sends `100 Trying` itself
/// (RFC 3261 §17.2.1: "if the TU will not generate a provisional response within 200 ms").
pub(crate) const AUTO_TRYING_DELAY: Duration = Duration::from_millis(200);

/// Timer D on unreliable transports: at least 32 s, to absorb retransmitted finals
/// (RFC 3261 §17.1.1.2). It is not derived from T1 because it covers the *server's* Timer G
/// retransmissions, whose T1 we do not know.
pub(crate) const TIMER_D: Duration = Duration::from_secs(32);

/// A transaction timer, named as in RFC 3261 Table 4 and RFC 6026; reported by
/// [`Endpoint::timeout_reason`](crate::endpoint::Endpoint::timeout_reason) for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Timer {
    /// Client INVITE retransmission, T1 doubling (unreliable only).
    A,
    /// Client INVITE timeout, 64·T1.
    B,
    /// Client INVITE wait in Completed for retransmitted finals.
    D,
    /// Client non-INVITE retransmission, T1 doubling up to T2 (unreliable only).
    E,
    /// Client non-INVITE timeout, 64·T1.
    F,
    /// Server INVITE final-response retransmission, T1 doubling up to T2 (unreliable only).
    G,
    /// Server INVITE wait for the ACK of a non-2xx final, 64·T1.
    H,
    /// Server INVITE wait in Confirmed for retransmitted ACKs.
    I,
    /// Server non-INVITE wait in Completed for retransmitted requests.
    J,
    /// Client non-INVITE wait in Completed for retransmitted responses.
    K,
    /// Server INVITE lifetime in Accepted, 64·T1 (RFC 6026 §8.7).
    L,
    /// Client INVITE lifetime in Accepted, 64·T1 (RFC 6026 §8.4).
    M,
    /// Server INVITE `100 Trying` sent on the TU's behalf after 200 ms (RFC 3261 §17.2.1).
    AutoTrying,
    /// Server INVITE 2xx retransmission, T1 doubling up to T2 (RFC 3261 §13.3.1.4; done by the
    /// transaction here, see [`Endpoint`](crate::endpoint::Endpoint)).
    Retransmit2xx,
}

impl Timer {
    const COUNT: usize = 14;
    const ALL: [Timer; Timer::COUNT] = [
        Timer::A,
        Timer::B,
        Timer::D,
        Timer::E,
        Timer::F,
        Timer::G,
        Timer::H,
        Timer::I,
        Timer::J,
        Timer::K,
        Timer::L,
        Timer::M,
        Timer::AutoTrying,
        Timer::Retransmit2xx,
    ];
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timer::AutoTrying => f.write_str("auto 100 Trying"),
            Timer::Retransmit2xx => f.write_str("2xx retransmission"),
            other => write!(f, "Timer {other:?}"),
        }
    }
}

/// The deadlines of one transaction, one slot per [`Timer`].
#[derive(Debug, Clone, Default)]
pub(crate) struct TimerTable {
    deadlines: [Option<Instant>; Timer::COUNT],
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.deadlines[timer as usize] = Some(at);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.deadlines[timer as usize] = None;
    }

    pub(crate) fn stop_all(&mut self) {
        self.deadlines = [None; Timer::COUNT];
    }

    /// The earliest deadline and its timer.
    pub(crate) fn next(&self) -> Option<(Instant, Timer)> {
        Timer::ALL
            .iter()
            .filter_map(|&t| self.deadlines[t as usize].map(|at| (at, t)))
            .min_by_key(|&(at, _)| at)
    }

    /// Stops and returns the earliest timer due at `now`, so that timers fire in deadline order.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<Timer> {
        let (at, timer) = self.next()?;
        if at > now {
            return None;
        }
        self.stop(timer);
        Some(timer)
    }
}

/// A retransmission interval: starts at T1 and doubles, optionally capped (at T2 for Timers
/// E and G and for 2xx retransmissions; uncapped for Timer A).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    interval: Duration,
    cap: Option<Duration>,
}

impl Backoff {
    pub(crate) fn new(t1: Duration, cap: Option<Duration>) -> Backoff {
        Backoff { interval: t1, cap }
    }

    /// The interval to wait now; the next call returns the doubled one.
    pub(crate) fn next_interval(&mut self) -> Duration {
        let current = self.interval;
        let doubled = self.interval * 2;
        self.interval = self.cap.map_or(doubled, |cap| doubled.min(cap));
        current
    }

    /// Jumps straight to the cap: a non-INVITE client in Proceeding retransmits every T2
    /// (RFC 3261 §17.1.2.2).
    pub(crate) fn saturate(&mut self) {
        if let Some(cap) = self.cap {
            self.interval = cap;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_pops_in_deadline_order() {
        let t0 = Instant::now();
        let mut table = TimerTable::default();
        table.set(Timer::B, t0 + Duration::from_secs(32));
        table.set(Timer::A, t0 + Duration::from_millis(500));
        assert_eq!(
            table.next(),
            Some((t0 + Duration::from_millis(500), Timer::A))
        );
        assert_eq!(table.pop_expired(t0), None, "an early call fires nothing");
        assert_eq!(
            table.pop_expired(t0 + Duration::from_secs(40)),
            Some(Timer::A)
        );
        assert_eq!(
            table.pop_expired(t0 + Duration::from_secs(40)),
            Some(Timer::B)
        );
        assert_eq!(table.next(), None);
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let ms = Duration::from_millis;
        let mut e = Backoff::new(ms(500), Some(ms(4000)));
        let got: Vec<_> = (0..6).map(|_| e.next_interval()).collect();
        assert_eq!(
            got,
            [ms(500), ms(1000), ms(2000), ms(4000), ms(4000), ms(4000)]
        );
        let mut a = Backoff::new(ms(500), None);
        let got: Vec<_> = (0..5).map(|_| a.next_interval()).collect();
        assert_eq!(got, [ms(500), ms(1000), ms(2000), ms(4000), ms(8000)]);
    }
}
