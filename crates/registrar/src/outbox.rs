//! The outbox: hands the core's outputs to the `net::Stack`, in the order the core produced
//! them, so that the core's own loop never waits on the stack.
//!
//! Order matters only per transaction (a relayed 180 before its 200, a CANCEL after its
//! INVITE); one task taking jobs from one queue keeps all of it.

use std::collections::HashMap;

use net::{Stack, StackError, TxnUpdate};
use sip::endpoint::TxnId;
use sip::msg::Method;
use tokio::sync::mpsc;

use crate::core::{OutId, Outcome, Output};
use crate::service::ServiceError;

/// What the core's loop asks of the outbox.
#[derive(Debug)]
pub(crate) enum Job {
    Output(Output),
    /// The request sent as this id is over: forget its transaction (kept only for CANCEL).
    Finished(OutId),
}

/// Runs until the job queue closes (the service is stopping) or the stack stops. Outcomes of
/// the requests it sends go back to the core through `outcomes`.
pub(crate) async fn outbox(
    stack: Stack,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    outcomes: mpsc::UnboundedSender<(OutId, Outcome)>,
) -> Result<(), ServiceError> {
    let mut txns: HashMap<OutId, TxnId> = HashMap::new();
    while let Some(job) = jobs.recv().await {
        let output = match job {
            Job::Finished(id) => {
                txns.remove(&id);
                continue;
            }
            Job::Output(output) => output,
        };
        match output {
            Output::Respond { txn, response } => {
                if let Err(e) = stack.respond(txn, response).await {
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
                    stack.forward_request(request, to).await
                } else {
                    stack.send_request(request, to).await
                };
                match sent {
                    Ok(txn) => {
                        txns.insert(id, txn.id);
                        tokio::spawn(pump(id, txn, invite, outcomes.clone()));
                    }
                    Err(StackError::Stopped) => return Err(ServiceError::StackStopped),
                    Err(e) => {
                        tracing::debug!(error = %e, "request not sent");
                        let _ = outcomes.send((id, Outcome::Failed(503)));
                    }
                }
            }
            Output::Cancel { id } => {
                if let Some(&txn) = txns.get(&id) {
                    if let Ok(mut cancel) = stack.cancel(txn).await {
                        tokio::spawn(async move { while cancel.next().await.is_some() {} });
                    }
                }
            }
            Output::Stateless { message, to } => {
                if stack.send_stateless(message, to).is_err() {
                    return Err(ServiceError::StackStopped);
                }
            }
        }
    }
    Ok(())
}

/// Passes a client transaction's updates to the core. An INVITE keeps listening after its
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
