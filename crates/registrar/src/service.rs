//! The driver: one task owns the [`Registrar`] and feeds it from a `net::Stack`, the outcomes
//! of the requests it sent, buddy-list changes and its own deadlines.
//!
//! The core never waits for the stack. Each `Stack` call is a round trip to the stack's own
//! task; awaiting them in the core's loop made every REGISTER wait for the previous one's
//! response to be acknowledged, and a 1,000-watcher fan-out wait 1,000 round trips before the
//! next request was read. So the core hands its outputs, in order, to an outbox task (see
//! `outbox.rs`) and goes straight back to reading.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use net::{Incoming, Stack};
use tokio::sync::{mpsc, watch};

use crate::core::{OutId, Outcome, Registrar};
use crate::outbox::{outbox, Job};

/// The service could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The SIP stack stopped underneath the service.
    #[error("the SIP stack stopped")]
    StackStopped,
}

/// Runs a [`Registrar`] on a `net::Stack`.
#[derive(Debug)]
pub struct Service {
    registrar: Registrar,
    stack: Stack,
    incoming: mpsc::UnboundedReceiver<Incoming>,
    policy: mpsc::UnboundedReceiver<String>,
}

impl Service {
    /// `policy` carries the usernames whose buddy list or watcher decisions changed.
    pub fn new(
        registrar: Registrar,
        stack: Stack,
        incoming: mpsc::UnboundedReceiver<Incoming>,
        policy: mpsc::UnboundedReceiver<String>,
    ) -> Service {
        Service {
            registrar,
            stack,
            incoming,
            policy,
        }
    }

    /// The Unix time now, for [`Registrar::new`].
    pub fn unix_now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    /// Serves until `stop` turns true, then lets the outbox hand over what the core already
    /// decided (responses to requests it read) before returning.
    pub async fn run(self, mut stop: watch::Receiver<bool>) -> Result<(), ServiceError> {
        let Service {
            mut registrar,
            stack,
            mut incoming,
            mut policy,
        } = self;
        let (outcomes_tx, mut outcomes) = mpsc::unbounded_channel::<(OutId, Outcome)>();
        let (jobs, jobs_rx) = mpsc::unbounded_channel();
        let outbox = tokio::spawn(outbox(stack, jobs.downgrade(), jobs_rx, outcomes_tx));
        let result = loop {
            let deadline = registrar.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                got = incoming.recv() => {
                    let Some(first) = got else { break Err(ServiceError::StackStopped) };
                    on_incoming(&mut registrar, first);
                    // Take what else is already queued before handing outputs over: one
                    // wake-up of the outbox per burst rather than per request.
                    while let Ok(next) = incoming.try_recv() {
                        on_incoming(&mut registrar, next);
                    }
                }
                Some((id, outcome)) = outcomes.recv() => {
                    let final_ = match &outcome {
                        Outcome::Response(r) => r.status >= 200,
                        Outcome::Failed(_) => true,
                    };
                    registrar.handle_outcome(Instant::now(), id, outcome);
                    if final_ {
                        let _ = jobs.send(Job::Finished(id));
                    }
                }
                Some(user) = policy.recv() => {
                    registrar.handle_policy_change(Instant::now(), &user);
                }
                () = sleep => registrar.handle_timeout(Instant::now()),
                _ = stop.wait_for(|s| *s) => break Ok(()),
            }
            while let Some(output) = registrar.poll_output() {
                if jobs.send(Job::Output(output)).is_err() {
                    // The outbox only ends when the stack has stopped.
                    return Err(ServiceError::StackStopped);
                }
            }
        };
        drop(jobs);
        match outbox.await {
            Ok(Ok(())) => result,
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ServiceError::StackStopped),
        }
    }
}

fn on_incoming(registrar: &mut Registrar, incoming: Incoming) {
    let now = Instant::now();
    match incoming {
        Incoming::Request { txn, request, from } => {
            registrar.handle_request(now, txn, request, from)
        }
        Incoming::Ack { request, .. } => registrar.handle_ack(now, request),
        Incoming::Cancelled { invite, .. } => registrar.handle_cancel(now, invite),
        Incoming::StrayResponse { response, .. } => registrar.handle_stray_response(now, response),
        // Timer H/L: our final response was not ACKed; the core has nothing left to do.
        Incoming::ServerTimeout { .. } => {}
        _ => {}
    }
}
