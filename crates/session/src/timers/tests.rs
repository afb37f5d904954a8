//! The registration role of the built-in table driven by [`AccountTimers`] in virtual time:
//! no sleeps, the clock jumps to each deadline.

use std::time::{Duration, Instant};

use super::{AccountTimers, Due, TimerConfig};
use crate::engine::{step, Facts};
use crate::table::{Action, Event, Guard, State, Table};

/// The table, one registration machine, its timers and what it sent, at virtual `now`.
struct Harness {
    table: Table,
    state: State,
    timers: AccountTimers,
    start: Instant,
    now: Instant,
    granted: Duration,
    /// (seconds since start, what went out).
    sent: Vec<(f64, &'static str)>,
}

impl Harness {
    fn new(config: TimerConfig) -> Harness {
        let now = Instant::now();
        Harness {
            table: Table::builtin(),
            state: State::Unregistered,
            timers: AccountTimers::new(config, 42),
            start: now,
            now,
            granted: Duration::from_secs(3600),
            sent: Vec::new(),
        }
    }

    fn secs(&self) -> f64 {
        (self.now - self.start).as_secs_f64()
    }

    fn fire(&mut self, event: Event, facts: Facts) {
        let s = step(&self.table, self.state, &event, &facts)
            .unwrap_or_else(|e| panic!("at {}s: {e}", self.secs()));
        self.state = s.next;
        for action in s.actions {
            match action {
                Action::SendRegister => self.sent.push((self.secs(), "REGISTER")),
                Action::SendUnregister => self.sent.push((self.secs(), "unREGISTER")),
                Action::ScheduleRefresh => self.timers.registered(self.now, self.granted),
                Action::CancelRefresh => self.timers.cancel_refresh(),
                Action::ScheduleRetry => {
                    self.timers.failed(self.now);
                }
                Action::CancelRetry => self.timers.cancel_retry(),
                Action::ResetBackoff => self.timers.reset_backoff(),
                Action::StartUsages => self.timers.start_pinging(self.now),
                Action::SuspendUsages => self.timers.stop_pinging(),
                other => panic!("not a registration action: {other}"),
            }
        }
    }

    fn ok(&mut self) {
        self.fire(Event::RegistrationSuccess, Facts::default());
    }

    fn fail(&mut self) {
        self.fire(
            Event::RegistrationFailure,
            Facts::default().with(Guard::CanRetry),
        );
    }

    /// Jumps to the next deadline and handles what is due; `pong` answers keep-alives.
    fn advance(&mut self, pong: bool) -> Due {
        let at = self.timers.poll_timeout().expect("a deadline");
        assert!(at >= self.now, "time never goes back");
        self.now = at;
        let due = self.timers.poll_due(self.now).expect("due at its deadline");
        match due {
            Due::RefreshRegistration => self.fire(Event::RegistrationExpiring, Facts::default()),
            Due::RetryRegistration => self.fire(Event::RetryTimer, Facts::default()),
            Due::PingUnanswered => self.fire(Event::KeepAliveLost, Facts::default()),
            Due::Ping => {
                self.sent.push((self.secs(), "OPTIONS"));
                self.timers.ping_sent(self.now);
                if pong {
                    self.timers.pong(self.now);
                }
            }
            Due::RefreshToken => self.sent.push((self.secs(), "token refresh")),
            Due::RetryOutbox | Due::Quit => panic!("the registration role never sets {due:?}"),
        }
        due
    }
}

fn config() -> TimerConfig {
    TimerConfig {
        keepalive: Duration::from_secs(30),
        retry_base: Duration::from_secs(2),
        retry_max: Duration::from_secs(60),
    }
}

#[test]
fn registration_is_refreshed_at_ninety_percent_while_pings_are_answered() {
    let mut h = Harness::new(config());
    h.fire(Event::Register, Facts::default());
    h.ok();
    assert_eq!(h.state, State::Registered);
    // An hour of answered pings every 30 s, and one refresh at 3240 s.
    while h.advance(true) != Due::RefreshRegistration {}
    assert_eq!(h.secs(), 3240.0);
    assert_eq!(h.state, State::Refreshing);
    // Pings at 30 s, 60 s, … 3210 s; the one due at 3240 s comes after the refresh.
    assert_eq!(h.sent.iter().filter(|s| s.1 == "OPTIONS").count(), 107);
    h.ok();
    assert_eq!(h.state, State::Registered);
}

#[test]
fn a_short_grant_is_refreshed_five_seconds_early() {
    let mut h = Harness::new(config());
    h.granted = Duration::from_secs(20);
    h.fire(Event::Register, Facts::default());
    h.ok();
    assert_eq!(h.advance(true), Due::RefreshRegistration);
    assert_eq!(h.secs(), 15.0);
}

#[test]
fn an_unanswered_keepalive_re_registers_after_interval_plus_timeout() {
    let mut h = Harness::new(config());
    h.fire(Event::Register, Facts::default());
    h.ok();
    assert_eq!(h.advance(false), Due::Ping);
    assert_eq!(h.secs(), 30.0);
    // RFC 5626 §4.4.1: no pong within 10 s means the flow is gone.
    assert_eq!(h.advance(false), Due::PingUnanswered);
    assert_eq!(h.secs(), 40.0);
    assert_eq!(h.state, State::Recovering);
    assert_eq!(h.sent.last(), Some(&(40.0, "REGISTER")));
    // No pings while the registration is unverified; only the refresh is left.
    assert_eq!(
        h.timers.poll_timeout(),
        Some(h.start + Duration::from_secs(3240))
    );
    h.ok();
    assert_eq!(h.state, State::Registered);
    assert_eq!(h.advance(true), Due::Ping);
    assert_eq!(h.secs(), 70.0);
}

#[test]
fn failures_back_off_with_jitter_up_to_the_cap_and_success_resets() {
    let mut h = Harness::new(config());
    h.fire(Event::Register, Facts::default());
    let mut ceiling = 2.0f64;
    for _ in 0..8 {
        h.fail();
        assert_eq!(h.state, State::RegistrationFailed);
        let before = h.secs();
        assert_eq!(h.advance(true), Due::RetryRegistration);
        let waited = h.secs() - before;
        assert!(
            waited >= ceiling / 2.0 && waited <= ceiling,
            "{waited}s outside [{}, {ceiling}]",
            ceiling / 2.0
        );
        assert_eq!(h.state, State::Registering);
        ceiling = (ceiling * 2.0).min(60.0);
    }
    h.ok();
    h.fire(Event::KeepAliveLost, Facts::default());
    h.fail();
    let before = h.secs();
    h.advance(true);
    assert!(h.secs() - before <= 2.0, "the backoff starts over");
}

#[test]
fn two_phones_do_not_retry_in_step() {
    let mut a = AccountTimers::new(config(), 1);
    let mut b = AccountTimers::new(config(), 2);
    let now = Instant::now();
    let da: Vec<_> = (0..4).map(|_| a.failed(now)).collect();
    let db: Vec<_> = (0..4).map(|_| b.failed(now)).collect();
    assert_ne!(da, db);
}

#[test]
fn the_token_is_renewed_before_it_expires_and_retried_after_a_failure() {
    let mut h = Harness::new(config());
    h.timers.token_issued(h.now, Duration::from_secs(300));
    assert_eq!(h.advance(true), Due::RefreshToken);
    assert_eq!(h.secs(), 270.0);
    h.timers.token_failed(h.now);
    assert_eq!(h.advance(true), Due::RefreshToken);
    assert!(h.secs() > 270.0 && h.secs() <= 272.0);
    // A short token (60 s) is renewed 6 s early.
    h.timers.token_issued(h.now, Duration::from_secs(60));
    let before = h.secs();
    h.advance(true);
    assert_eq!(h.secs() - before, 54.0);
}

#[test]
fn an_early_wake_up_is_a_no_op() {
    let mut t = AccountTimers::new(config(), 3);
    let now = Instant::now();
    t.registered(now, Duration::from_secs(100));
    assert_eq!(t.poll_due(now + Duration::from_secs(89)), None);
    assert_eq!(
        t.poll_due(now + Duration::from_secs(90)),
        Some(Due::RefreshRegistration)
    );
    assert_eq!(t.poll_timeout(), None);
}

#[test]
fn unregistering_cancels_refresh_and_pings() {
    let mut h = Harness::new(config());
    h.fire(Event::Register, Facts::default());
    h.ok();
    h.fire(Event::Unregister, Facts::default());
    assert_eq!(h.state, State::Unregistering);
    assert_eq!(h.timers.poll_timeout(), None);
}

#[test]
fn outbox_retry_backs_off_shares_one_timer_and_resets_on_flush() {
    let config = TimerConfig {
        retry_base: Duration::from_secs(2),
        retry_max: Duration::from_secs(60),
        ..TimerConfig::default()
    };
    let start = Instant::now();
    let mut t = AccountTimers::new(config, 9);
    t.outbox_failed(start);
    let first = t.poll_timeout().expect("a retry");
    // A second message failing meanwhile does not push the retry back.
    t.outbox_failed(start + Duration::from_millis(500));
    assert_eq!(t.poll_timeout(), Some(first));
    assert!(first - start >= Duration::from_secs(1) && first - start <= Duration::from_secs(2));
    assert_eq!(t.poll_due(first - Duration::from_millis(1)), None);
    assert_eq!(t.poll_due(first), Some(Due::RetryOutbox));
    t.outbox_failed(first);
    let second = t.poll_timeout().unwrap() - first;
    assert!(second >= Duration::from_secs(2) && second <= Duration::from_secs(4));
    t.outbox_flushed();
    assert_eq!(t.poll_timeout(), None);
    t.outbox_failed(first);
    assert!(t.poll_timeout().unwrap() - first <= Duration::from_secs(2));
}

#[test]
fn quit_deadline_comes_due_after_the_grace() {
    let start = Instant::now();
    let mut t = AccountTimers::new(TimerConfig::default(), 1);
    t.quit(start, Duration::from_secs(4));
    assert_eq!(t.poll_due(start + Duration::from_secs(3)), None);
    assert_eq!(t.poll_due(start + Duration::from_secs(4)), Some(Due::Quit));
    assert_eq!(t.poll_timeout(), None);
}

/// The subscription role of the built-in table with per-buddy retry deadlines: a lost
/// subscription is retried after its backoff, the other buddy's is not disturbed.
#[test]
fn subscription_retries_run_per_buddy_in_virtual_time() {
    use crate::schedule::Backoff;
    use crate::timers::Deadlines;
    let table = Table::builtin();
    let start = Instant::now();
    let mut retries: Deadlines<&str> = Deadlines::default();
    let mut backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(60), 3);
    let mut state = State::Subscribing;
    let retry = Facts::default().with(Guard::CanRetry);
    let s = step(&table, state, &Event::SubscriptionTerminated, &retry).unwrap();
    assert!(s.actions.contains(&Action::ScheduleRetry));
    state = s.next;
    retries.set("bob", start + backoff.next_delay());
    retries.set("carol", start + Duration::from_secs(100));
    let at = retries.poll_timeout().unwrap();
    assert!(at - start <= Duration::from_secs(2));
    assert_eq!(retries.poll_due(at - Duration::from_millis(1)), None);
    assert_eq!(retries.poll_due(at), Some("bob"));
    let s = step(
        &table,
        state,
        &Event::RetryTimer,
        &Facts::default().with(Guard::IsRegistered),
    )
    .unwrap();
    assert_eq!(s.actions, &[Action::SendSubscribe]);
    assert_eq!(s.next, State::Subscribing);
    retries.cancel(&"carol");
    assert_eq!(retries.poll_timeout(), None);
}
