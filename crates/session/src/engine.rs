//! The pure engine: given a table, a state, an event and the guards' values, which row is
//! taken. No I/O, no clock: the driver evaluates guards into [`Facts`] and runs the
//! returned actions itself.

use crate::table::{Action, Effect, Event, Guard, State, Table};

/// The values of the guards at the moment an event is handled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts(u32);

impl Facts {
    /// `guard` holds (builder style).
    pub fn with(mut self, guard: Guard) -> Facts {
        self.set(guard, true);
        self
    }

    /// Sets one guard's value.
    pub fn set(&mut self, guard: Guard, holds: bool) {
        let bit = 1u32 << (guard as u32);
        if holds {
            self.0 |= bit;
        } else {
            self.0 &= !bit;
        }
    }

    /// Whether `guard` holds.
    pub fn holds(&self, guard: Guard) -> bool {
        self.0 & (1u32 << (guard as u32)) != 0
    }
}

/// The row taken: where to go and what to do on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step<'t> {
    /// The state entered.
    pub next: State,
    /// Run in order.
    pub actions: &'t [Action],
    /// Reported after the actions.
    pub effects: &'t [Effect],
    /// The row's line in the YAML, for logs.
    pub line: usize,
}

/// No row of the table answers this event in this state with these facts: the driver
/// ignores the event (and logs it), the machine stays where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no transition from {state} on {event}")]
pub struct NoTransition {
    /// The state the machine is in.
    pub state: State,
    /// The event that found no row.
    pub event: Event,
}

/// The row for `event` in `state` whose guards all hold. A checked table has at most one
/// (rows on one state and event must be told apart by a guard), so order does not matter.
pub fn step<'t>(
    table: &'t Table,
    state: State,
    event: &Event,
    facts: &Facts,
) -> Result<Step<'t>, NoTransition> {
    table
        .candidates(state, *event)
        .find(|t| t.guards.iter().all(|g| facts.holds(g.guard) == g.holds))
        .map(|t| Step {
            next: t.next,
            actions: &t.actions,
            effects: &t.effects,
            line: t.line,
        })
        .ok_or(NoTransition {
            state,
            event: *event,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Table;

    #[test]
    fn registration_round_trip_with_digest_challenge() {
        let t = Table::builtin();
        let auth = Facts::default().with(Guard::HasAuthentication);
        let s = step(&t, State::Unregistered, &Event::Register, &auth).unwrap();
        assert_eq!(
            (s.next, s.actions),
            (State::Registering, &[Action::SendRegister][..])
        );
        let s = step(&t, State::Registering, &Event::AuthChallenge, &auth).unwrap();
        assert_eq!(s.actions, &[Action::AnswerChallenge]);
        let s = step(&t, State::Registering, &Event::RegistrationSuccess, &auth).unwrap();
        assert_eq!(s.next, State::Registered);
        assert!(s.actions.contains(&Action::StartUsages));
        assert_eq!(s.effects, &[Effect::ReportRegistered]);
    }

    #[test]
    fn guards_choose_between_rows() {
        let t = Table::builtin();
        let retry = Facts::default().with(Guard::CanRetry);
        let s = step(&t, State::Refreshing, &Event::RegistrationFailure, &retry).unwrap();
        assert_eq!(s.next, State::RegistrationFailed);
        assert_eq!(s.effects, &[Effect::ReportRegistrationLost]);
        let s = step(
            &t,
            State::Refreshing,
            &Event::RegistrationFailure,
            &Facts::default(),
        );
        assert_eq!(s.unwrap().next, State::Unregistered);

        let dnd = Facts::default()
            .with(Guard::DoNotDisturb)
            .with(Guard::AutoAnswer);
        let s = step(&t, State::Idle, &Event::IncomingCall, &dnd).unwrap();
        assert_eq!(s.actions, &[Action::SendDndReject]);
        let s = step(&t, State::Idle, &Event::IncomingCall, &Facts::default()).unwrap();
        assert_eq!(s.next, State::Incoming);
    }

    #[test]
    fn message_lifecycle_waits_for_registration_and_retries() {
        let t = Table::builtin();
        let m = t.initial(crate::table::Role::Message);
        assert_eq!(m, State::MessageQueued);
        let offline = Facts::default();
        let online = Facts::default().with(Guard::IsRegistered);
        let s = step(&t, m, &Event::SendMessage, &offline).unwrap();
        assert_eq!((s.next, s.actions), (State::MessageQueued, &[][..]));
        assert_eq!(s.effects, &[Effect::ReportMessageStatus]);
        let s = step(&t, m, &Event::FlushOutbox, &online).unwrap();
        assert_eq!(s.next, State::MessageSending);
        assert_eq!(s.actions[0], Action::SendMessageRequest);
        let auth = online.with(Guard::HasAuthentication);
        let s = step(&t, State::MessageSending, &Event::AuthChallenge, &auth).unwrap();
        assert_eq!(
            (s.next, s.actions),
            (State::MessageSending, &[Action::AnswerChallenge][..])
        );
        let retry = online.with(Guard::CanRetry);
        let s = step(&t, State::MessageSending, &Event::DeliveryFailure, &retry).unwrap();
        assert_eq!(s.next, State::MessageQueued);
        assert!(s.actions.contains(&Action::ScheduleRetry));
        for (event, end) in [
            (Event::DeliveryConfirmed, State::MessageDelivered),
            (Event::DeliveryDeferred, State::MessageStored),
            (Event::DeliveryFailure, State::MessageFailed),
            (Event::AuthChallenge, State::MessageFailed),
        ] {
            let s = step(&t, State::MessageSending, &event, &online).unwrap();
            assert_eq!(s.next, end, "{event}");
            assert_eq!(s.actions, &[Action::RecordDelivery], "{event}");
            assert!(t.state(end).unwrap().terminal);
        }
    }

    #[test]
    fn invite_challenge_is_answered_or_ends_the_call() {
        let t = Table::builtin();
        let auth = Facts::default().with(Guard::HasAuthentication);
        for state in [State::Calling, State::Ringing, State::EarlyMedia] {
            let s = step(&t, state, &Event::AuthChallenge, &auth).unwrap();
            assert_eq!((s.next, s.actions), (state, &[Action::AnswerChallenge][..]));
            let s = step(&t, state, &Event::AuthChallenge, &Facts::default()).unwrap();
            assert_eq!(
                (s.next, s.effects),
                (State::Ended, &[Effect::ReportEnded][..])
            );
        }
    }

    #[test]
    fn unknown_pairs_are_no_transition() {
        let t = Table::builtin();
        let err = step(&t, State::Ended, &Event::Hangup, &Facts::default()).unwrap_err();
        assert_eq!(
            err,
            NoTransition {
                state: State::Ended,
                event: Event::Hangup
            }
        );
    }

    #[test]
    fn facts_set_and_clear() {
        let mut f = Facts::default().with(Guard::InKnownDialog);
        assert!(f.holds(Guard::InKnownDialog));
        f.set(Guard::InKnownDialog, false);
        assert!(!f.holds(Guard::InKnownDialog));
    }
}
