//! The outbox: hands the core's outputs to the `net::Stack`, in the order the core produced
//! them, so that the core's own loop never waits on the stack.
//!
//! Each `Stack` call is a command to the stack's task plus an acknowledgement back. Only the
//! commands' order matters (a relayed 180 before its 200), and `Stack` queues a command when
//! its future is first polled. So responses are polled once, here, in order, and never
//! awaited: the acknowledgement only says whether the transaction still existed, which
//! nobody can act on. Requests start in tasks of their own, which report their transaction
//! back through the same queue (for CANCEL) and then pass its responses to the core; a
//! 1,000-watcher fan-out thus costs 1,000 queued commands, not 1,000 round trips.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use net::{Stack, StackError, TxnUpdate};
use sip::endpoint::TxnId;
use sip::msg::Method;
use tokio::sync::mpsc;

use crate::core::{OutId, Outcome, Output};
use crate::service::ServiceError;

/// What reaches the outbox, in order.
// Nearly every job is an `Output`; boxing it to shrink the rare others would cost an
// allocation per response.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Job {
    Output(Output),
    /// The request sent as this id got this transaction.
    Started(OutId, TxnId),
    /// The request sent as this id is over: forget its transaction (kept only for CANCEL).
    Finished(OutId),
}

/// Runs until every sender of `jobs` is gone (the service is stopping) or the stack stops.
/// Outcomes of the requests it sends go back to the core through `outcomes`.
pub(crate) async fn outbox(
    stack: Stack,
    jobs_tx: mpsc::WeakUnboundedSender<Job>,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    outcomes: mpsc::UnboundedSender<(OutId, Outcome)>,
) -> Result<(), ServiceError> {
    let mut txns: HashMap<OutId, TxnId> = HashMap::new();
    // CANCELs asked for before their INVITE's transaction was known.
    let mut cancel_when_started: HashSet<OutId> = HashSet::new();
    while let Some(job) = jobs.recv().await {
        match job {
            Job::Started(id, txn) => {
                if cancel_when_started.remove(&id) {
                    cancel(&stack, txn).await;
                }
                txns.insert(id, txn);
            }
            Job::Finished(id) => {
                txns.remove(&id);
                cancel_when_started.remove(&id);
            }
            Job::Output(Output::Respond { txn, response }) => {
                if let Poll::Ready(Err(StackError::Stopped)) =
                    poll_once(stack.respond(txn, response))
                {
                    return Err(ServiceError::StackStopped);
                }
            }
            Job::Output(Output::Send {
                id,
                request,
                to,
                relay,
            }) => {
                // Upgraded per request: the outbox must not keep its own queue open.
                let Some(jobs) = jobs_tx.upgrade() else {
                    return Ok(());
                };
                let (stack, outcomes) = (stack.clone(), outcomes.clone());
                tokio::spawn(async move {
                    let invite = request.method == Method::Invite;
                    let sent = if relay {
                        stack.forward_request(request, to).await
                    } else {
                        stack.send_request(request, to).await
                    };
                    match sent {
                        Ok(txn) => {
                            let _ = jobs.send(Job::Started(id, txn.id));
                            drop(jobs);
                            pump(id, txn, invite, outcomes).await;
                        }
                        Err(e) => {
                            tracing::debug!(error = %e, "request not sent");
                            let _ = outcomes.send((id, Outcome::Failed(503)));
                        }
                    }
                });
            }
            Job::Output(Output::Cancel { id }) => match txns.get(&id) {
                Some(&txn) => cancel(&stack, txn).await,
                None => {
                    cancel_when_started.insert(id);
                }
            },
            Job::Output(Output::Stateless { message, to }) => {
                if stack.send_stateless(message, to).is_err() {
                    return Err(ServiceError::StackStopped);
                }
            }
        }
    }
    Ok(())
}

/// Polls `fut` once, which is when a `Stack` call queues its command; a pending future is
/// dropped, so its acknowledgement is not waited for.
fn poll_once<F: Future>(fut: F) -> Poll<F::Output> {
    let mut fut = pin!(fut);
    fut.as_mut().poll(&mut Context::from_waker(Waker::noop()))
}

async fn cancel(stack: &Stack, invite: TxnId) {
    if let Ok(mut cancel) = stack.cancel(invite).await {
        tokio::spawn(async move { while cancel.next().await.is_some() {} });
    }
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
