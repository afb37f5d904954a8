//! Running the table: an event for a machine instance becomes a [`crate::step`], whose actions
//! are dispatched by name to the code implementing them and whose effects become events.

use super::core::{Core, Ctx, Target};
use super::{CallState, PhoneEvent, WatchState};
use crate::engine::{step, Facts};
use crate::table::{Action, Effect, Event, Guard, State};

impl Core {
    fn state_of(&self, target: &Target) -> Option<State> {
        match target {
            Target::Registration => Some(self.reg.state),
            Target::Publication => Some(self.pub_state),
            Target::Subscription(aor) => self.buddies.get(aor).map(|b| b.state),
            Target::Call(id) => self.calls.get(id).map(|c| c.state),
            Target::Message(id) => self.messages.get(id).map(|m| m.state),
            Target::Inbound => Some(self.inbound_state),
        }
    }

    fn set_state(&mut self, target: &Target, next: State) {
        match target {
            Target::Registration => self.reg.state = next,
            Target::Publication => self.pub_state = next,
            Target::Subscription(aor) => {
                if let Some(b) = self.buddies.get_mut(aor) {
                    b.state = next;
                }
            }
            Target::Call(id) => {
                if let Some(c) = self.calls.get_mut(id) {
                    c.state = next;
                }
            }
            Target::Message(id) => {
                if let Some(m) = self.messages.get_mut(id) {
                    m.state = next;
                }
            }
            Target::Inbound => self.inbound_state = next,
        }
    }

    fn facts(&self, ctx: &Ctx) -> Facts {
        let mut f = Facts::default();
        f.set(Guard::HasAuthentication, ctx.auth_ok);
        f.set(Guard::IsRegistered, self.is_registered());
        f.set(Guard::CanRetry, ctx.can_retry);
        f.set(Guard::HasActiveSubscription, ctx.sub_found.is_some());
        f.set(
            Guard::DoNotDisturb,
            self.own.0 == presence::Status::DoNotDisturb,
        );
        f.set(Guard::AutoAnswer, self.cfg.auto_answer);
        f.set(Guard::InKnownDialog, ctx.known_dialog);
        f
    }

    pub(super) fn fire(&mut self, target: Target, event: Event, ctx: Ctx) {
        let Some(state) = self.state_of(&target) else {
            tracing::debug!(?target, ?event, "no such machine");
            return;
        };
        let facts = self.facts(&ctx);
        let (next, actions, effects) = match step(&self.table, state, &event, &facts) {
            Ok(s) => {
                tracing::debug!(?target, %state, %event, next = %s.next, line = s.line, "step");
                (s.next, s.actions.to_vec(), s.effects.to_vec())
            }
            Err(e) => {
                tracing::debug!(?target, %e, "ignored");
                return;
            }
        };
        // The state changes first, so guards evaluated by events the actions raise see it.
        self.set_state(&target, next);
        for action in actions {
            self.act(&target, action, &ctx);
        }
        for effect in effects {
            self.report(&target, effect, &ctx);
        }
        let terminal = self.table.state(next).is_some_and(|s| s.terminal);
        match target {
            Target::Call(id) if terminal => self.end_call(id),
            Target::Message(id) if terminal => {
                self.messages.remove(&id);
            }
            _ => {}
        }
    }

    fn act(&mut self, target: &Target, action: Action, ctx: &Ctx) {
        let call = match target {
            Target::Call(id) => Some(*id),
            _ => None,
        };
        let aor = match target {
            Target::Subscription(aor) => Some(aor.clone()),
            _ => None,
        };
        if let Target::Message(id) = target {
            match action {
                Action::SendMessageRequest => self.send_message_request(id, Vec::new()),
                Action::AnswerChallenge => self.send_message_request(id, ctx.answers.clone()),
                Action::RecordDelivery => self.record_delivery(id),
                Action::ScheduleRetry => self.schedule_outbox_retry(),
                action => tracing::error!(%action, "the table names an action for the wrong role"),
            }
            return;
        }
        match (action, call, aor) {
            (Action::SendRegister, ..) => self.send_register(self.reg.expires, Vec::new()),
            (Action::SendUnregister, ..) => self.send_register(0, Vec::new()),
            (Action::AnswerChallenge, ..) => self.answer_challenge(target, ctx),
            (Action::ScheduleRefresh, ..) => self.schedule_refresh(),
            (Action::CancelRefresh, ..) => self.account.cancel_refresh(),
            (Action::ScheduleRetry, _, Some(aor)) => self.schedule_sub_retry(&aor, ctx),
            (Action::ScheduleRetry, ..) => {
                self.account.failed(std::time::Instant::now());
            }
            (Action::CancelRetry, _, Some(aor)) => self.cancel_sub_retry(&aor),
            (Action::CancelRetry, ..) => self.account.cancel_retry(),
            (Action::ResetBackoff, ..) => self.account.reset_backoff(),
            (Action::StartUsages, ..) => self.start_usages(),
            (Action::SuspendUsages, ..) => self.suspend_usages(),
            (Action::SendPublish, ..) => self.send_publish(),
            (Action::RefreshPublication, ..) => self.refresh_publication(),
            (Action::SendUnpublish, ..) => self.send_unpublish(),
            (Action::DropPublication, ..) => self.publication = None,
            (Action::SendSubscribe, _, Some(aor)) => self.send_subscribe(&aor),
            (Action::HandleSubscriptionTimer, _, Some(aor)) => self.subscription_timer(&aor),
            (Action::SendUnsubscribe, _, Some(aor)) => self.send_unsubscribe(&aor),
            (Action::DropSubscription, _, Some(aor)) => self.drop_subscription(&aor),
            (Action::SendInvite, Some(c), _) => self.send_invite(c),
            (Action::SendCancel, Some(c), _) => self.send_cancel(c),
            (Action::SendAck, Some(c), _) => self.send_ack(c, ctx),
            (Action::SendByeAfterAck, Some(c), _) => {
                self.send_ack(c, ctx);
                self.send_bye(c);
            }
            (Action::SendRinging, Some(c), _) => self.send_ringing(c),
            (Action::SendAnswer, Some(c), _) => self.send_answer(c),
            (Action::SendDndReject, Some(c), _) => self.reject_invite(c, self.cfg.dnd_reject),
            (Action::SendReject, Some(c), _) => self.reject_invite(c, 603),
            (Action::AnswerCancelled, Some(c), _) => self.reject_invite(c, 487),
            (Action::SendBye, Some(c), _) => self.send_bye(c),
            (Action::AnswerBye, ..) | (Action::AnswerInfo, ..) | (Action::AnswerOptions, ..) => {
                self.answer_ok(ctx)
            }
            (Action::SendHold, Some(c), _) => self.send_reinvite(c, true),
            (Action::SendResume, Some(c), _) => self.send_reinvite(c, false),
            (Action::AnswerReinvite, Some(c), _) => self.answer_reinvite(c, ctx),
            (Action::EnterCallPresence, Some(c), _) => self.call_presence(c, true),
            (Action::LeaveCallPresence, Some(c), _) => self.call_presence(c, false),
            (Action::AcceptMessage, ..) => self.accept_message(ctx),
            (Action::RejectNotAllowed, ..) => self.answer_status(ctx, 405),
            (Action::RejectNoDialog, ..) => self.answer_status(ctx, 481),
            (Action::RouteNotify, ..) => self.route_notify(ctx),
            (action, ..) => {
                tracing::error!(%action, ?target, "the table names an action for the wrong role");
            }
        }
    }

    fn report(&mut self, target: &Target, effect: Effect, ctx: &Ctx) {
        if self.is_winfo(target) {
            // Our own watcher list: only its documents are news to the user.
            if effect == Effect::ReportPresence {
                self.report_watchers(ctx);
            }
            return;
        }
        let failure = || ctx.failure.clone().unwrap_or((0, String::new()));
        let event = match (effect, target) {
            (Effect::ReportRegistered, _) => PhoneEvent::Registered {
                expires: self.reg.granted,
                recovered: std::mem::take(&mut self.reg.lost),
            },
            (Effect::ReportRegistrationFailed, _) | (Effect::ReportRegistrationLost, _) => {
                if effect == Effect::ReportRegistrationLost {
                    self.reg.lost = true;
                }
                let (code, reason) = failure();
                let retry_in_ms = self.account.retry_at().map(|t| {
                    t.saturating_duration_since(std::time::Instant::now())
                        .as_millis() as u64
                });
                PhoneEvent::RegistrationFailed {
                    code,
                    reason,
                    retry_in_ms,
                }
            }
            (Effect::ReportUnregistered, _) => PhoneEvent::Unregistered,
            (Effect::ReportPresence, Target::Subscription(aor)) => match &ctx.view {
                Some(view) => PhoneEvent::Presence {
                    uri: aor.clone(),
                    status: view.status,
                    note: view.note.clone(),
                },
                None => return,
            },
            (Effect::ReportPresenceLost, Target::Subscription(aor)) => PhoneEvent::Watch {
                uri: aor.clone(),
                state: if self.buddies.get(aor).map(|b| b.state)
                    == Some(State::SubscriptionRetrying)
                {
                    WatchState::Retrying
                } else {
                    WatchState::Ended
                },
            },
            (Effect::ReportWatchPending, Target::Subscription(aor)) => PhoneEvent::Watch {
                uri: aor.clone(),
                state: WatchState::Pending,
            },
            (Effect::ReportMessageStatus, Target::Message(id)) => {
                self.report_message(id);
                return;
            }
            (Effect::ReportPublishFailed, _) => PhoneEvent::Error {
                message: format!("publishing presence failed: {:?}", ctx.failure),
            },
            (Effect::ReportIncoming, Target::Call(id)) => PhoneEvent::IncomingCall {
                call: *id,
                from: self
                    .calls
                    .get(id)
                    .map(|c| c.peer.clone())
                    .unwrap_or_default(),
            },
            (effect, Target::Call(id)) => {
                let state = match effect {
                    Effect::ReportCalling => CallState::Calling,
                    Effect::ReportRinging => CallState::Ringing,
                    Effect::ReportEarly => CallState::Early,
                    Effect::ReportActive => CallState::Active,
                    Effect::ReportHeld => CallState::Held,
                    _ => CallState::Ended,
                };
                let reason = (state == CallState::Ended).then(|| {
                    ctx.failure
                        .as_ref()
                        .map_or_else(|| "hangup".to_owned(), |(c, r)| format!("{c} {r}"))
                });
                PhoneEvent::Call {
                    call: *id,
                    state,
                    reason,
                }
            }
            (effect, target) => {
                tracing::error!(%effect, ?target, "the table names an effect for the wrong role");
                return;
            }
        };
        self.emit(event);
    }
}
