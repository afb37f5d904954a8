//! The driver: one task owns the [`Registrar`] and feeds it from a `net::Stack`, the outcomes
//! of the requests it sent, buddy-list changes and its own deadlines.

use std::collections::HashMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use net::{Incoming, Stack, TxnUpdate};
use sip::endpoint::TxnId;
use sip::msg::Method;
use tokio::sync::{mpsc, watch};

use crate::core::{OutId, Outcome, Output, Registrar};

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
    outcomes_tx: mpsc::UnboundedSender<(OutId, Outcome)>,
    outcomes: mpsc::UnboundedReceiver<(OutId, Outcome)>,
    /// Our requests in flight, for CANCEL.
    txns: HashMap<OutId, TxnId>,
}

impl Service {
    /// `policy` carries the usernames whose buddy list or watcher decisions changed.
    pub fn new(
        registrar: Registrar,
        stack: Stack,
        incoming: mpsc::UnboundedReceiver<Incoming>,
        policy: mpsc::UnboundedReceiver<String>,
    ) -> Service {
        let (outcomes_tx, outcomes) = mpsc::unbounded_channel();
        Service {
            registrar,
            stack,
            incoming,
            policy,
            outcomes_tx,
            outcomes,
            txns: HashMap::new(),
        }
    }

    /// The Unix time now, for [`Registrar::new`].
    pub fn unix_now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    /// Serves until `stop` turns true; the store is written through, so nothing is lost.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) -> Result<(), ServiceError> {
        loop {
            let deadline = self.registrar.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                incoming = self.incoming.recv() => {
                    let Some(incoming) = incoming else { return Err(ServiceError::StackStopped) };
                    self.on_incoming(incoming);
                }
                Some((id, outcome)) = self.outcomes.recv() => {
                    let final_ = match &outcome {
                        Outcome::Response(r) => r.status >= 200,
                        Outcome::Failed(_) => true,
                    };
                    if final_ {
                        self.txns.remove(&id);
                    }
                    self.registrar.handle_outcome(Instant::now(), id, outcome);
                }
                Some(user) = self.policy.recv() => {
                    self.registrar.handle_policy_change(Instant::now(), &user);
                }
                () = sleep => self.registrar.handle_timeout(Instant::now()),
                _ = stop.wait_for(|s| *s) => return Ok(()),
            }
            self.drain().await?;
        }
    }

    fn on_incoming(&mut self, incoming: Incoming) {
        let now = Instant::now();
        match incoming {
            Incoming::Request { txn, request, from } => {
                self.registrar.handle_request(now, txn, request, from)
            }
            Incoming::Ack { request, .. } => self.registrar.handle_ack(now, request),
            Incoming::Cancelled { invite, .. } => self.registrar.handle_cancel(now, invite),
            Incoming::StrayResponse { response, .. } => {
                self.registrar.handle_stray_response(now, response)
            }
            Incoming::ServerTimeout { .. } => {}
            _ => {}
        }
    }

    async fn drain(&mut self) -> Result<(), ServiceError> {
        while let Some(output) = self.registrar.poll_output() {
            match output {
                Output::Respond { txn, response } => {
                    if let Err(e) = self.stack.respond(txn, response).await {
                        tracing::debug!(error = %e, "response not sent");
                    }
                }
                Output::Send {
                    id,
                    request,
                    to,
                    relay,
                } => {
                    let invite = request.method == Method::Invite;
                    let sent = if relay {
                        self.stack.forward_request(request, to).await
                    } else {
                        self.stack.send_request(request, to).await
                    };
                    match sent {
                        Ok(txn) => {
                            self.txns.insert(id, txn.id);
                            tokio::spawn(pump(id, txn, invite, self.outcomes_tx.clone()));
                        }
                        Err(net::StackError::Stopped) => return Err(ServiceError::StackStopped),
                        Err(e) => {
                            tracing::debug!(error = %e, "request not sent");
                            self.registrar
                                .handle_outcome(Instant::now(), id, Outcome::Failed(503));
                        }
                    }
                }
                Output::Cancel { id } => {
                    if let Some(&txn) = self.txns.get(&id) {
                        if let Ok(mut cancel) = self.stack.cancel(txn).await {
                            tokio::spawn(async move { while cancel.next().await.is_some() {} });
                        }
                    }
                }
                Output::Stateless { message, to } => {
                    if self.stack.send_stateless(message, to).is_err() {
                        return Err(ServiceError::StackStopped);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Passes a client transaction's updates to the service. An INVITE keeps listening after its
/// first 2xx, for the 2xx of other forks downstream (RFC 6026).
async fn pump(
    id: OutId,
    mut txn: net::ClientTxn,
    invite: bool,
    to: mpsc::UnboundedSender<(OutId, Outcome)>,
) {
    while let Some(update) = txn.next().await {
        let (outcome, last) = match update {
            TxnUpdate::Response(r) => {
                let last = r.status >= 200 && !(invite && r.is_success());
                (Outcome::Response(r), last)
            }
            TxnUpdate::Timeout => (Outcome::Failed(408), true),
            TxnUpdate::TransportFailed => (Outcome::Failed(503), true),
        };
        if to.send((id, outcome)).is_err() || last {
            return;
        }
    }
}
