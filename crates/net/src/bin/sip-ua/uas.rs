use std::collections::HashMap;

use anyhow::bail;
use net::{Incoming, Stack};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sip::dialog::Dialog;
use sip::endpoint::TxnId;
use sip::msg::{reason_phrase, Method, NameAddr, Request, Response, SipMessage};
use sip::sdp::{MediaConfig, SdpSession, SessionDescription};
use sip::transport::Remote;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::common::{contact, media_ip};

const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS";

#[derive(clap::Args)]
pub(crate) struct Options {
    /// Exit 0 after this many calls have been hung up.
    #[arg(long, default_value_t = 1)]
    calls: usize,
    /// The user part of our Contact.
    #[arg(long, default_value = "uas")]
    user: String,
    /// RTP port announced in the SDP answer (nothing is sent: signalling only).
    #[arg(long, default_value_t = 40000)]
    rtp_port: u16,
}

struct Call {
    dialog: Dialog,
    sdp: SdpSession,
}

pub(crate) async fn run(
    stack: Stack,
    mut incoming: UnboundedReceiver<Incoming>,
    options: Options,
) -> anyhow::Result<()> {
    let mut calls: HashMap<String, Call> = HashMap::new();
    let mut ended = 0;
    let mut rng = SmallRng::from_entropy();
    eprintln!(
        "sip-ua uas: listening on udp {:?} tcp {:?}",
        stack.local_addr(sip::transport::TransportKind::Udp),
        stack.local_addr(sip::transport::TransportKind::Tcp)
    );
    while ended < options.calls {
        let Some(event) = incoming.recv().await else {
            bail!("the SIP stack stopped");
        };
        match event {
            Incoming::Request { txn, request, from } => {
                let reply = match request.method {
                    Method::Invite => {
                        answer_invite(&stack, txn, &options, &mut calls, &request, from, &mut rng)
                            .await?
                    }
                    Method::Bye => {
                        let r = end_call(&mut calls, &request);
                        if r.status == 200 {
                            ended += 1;
                        }
                        r
                    }
                    Method::Options => allow(Response::to_request(&request, 200, "OK")),
                    Method::Other(_) => {
                        allow(Response::to_request(&request, 501, reason_phrase(501)))
                    }
                    _ => allow(Response::to_request(&request, 405, reason_phrase(405))),
                };
                stack.respond(txn, reply).await?;
            }
            Incoming::Cancelled { invite, cancel } => {
                calls.remove(cancel.call_id().unwrap_or_default());
                respond_terminated(&stack, invite, &cancel).await?;
            }
            Incoming::Ack { request, .. } => {
                tracing::info!(
                    call_id = request.call_id().unwrap_or_default(),
                    "call confirmed by ACK"
                );
            }
            Incoming::ServerTimeout { txn } => tracing::warn!(%txn, "no ACK for our answer"),
            _ => {}
        }
    }
    eprintln!("sip-ua uas: {ended} call(s) ended");
    stack.shutdown().await;
    Ok(())
}

fn allow(mut resp: Response) -> Response {
    resp.headers.push("Allow", ALLOW);
    resp
}

/// Answers an initial INVITE (180 then 200 with SDP) or a re-INVITE (200 with a new answer).
async fn answer_invite(
    stack: &Stack,
    txn: TxnId,
    options: &Options,
    calls: &mut HashMap<String, Call>,
    req: &Request,
    from: Remote,
    rng: &mut SmallRng,
) -> anyhow::Result<Response> {
    let call_id = req.call_id()?.to_owned();
    let in_dialog = req.to_header()?.tag().is_some();
    if in_dialog {
        let Some(call) = calls.get_mut(&call_id) else {
            return Ok(Response::to_request(req, 481, reason_phrase(481)));
        };
        if let Err(e) = call.dialog.handle_request(req) {
            return Ok(Response::to_request(
                req,
                e.status(),
                reason_phrase(e.status()),
            ));
        }
        let mut ok = Response::to_request(req, 200, "OK");
        ok.headers.set(
            "To",
            format!("{}", with_tag(req, &call.dialog.id().local_tag)?),
        );
        ok.headers
            .push("Contact", contact(stack, &options.user, from.transport)?);
        if let Some(body) = sdp_answer(&mut call.sdp, req, rng) {
            set_sdp(&mut ok, body);
        }
        return Ok(ok);
    }

    let tag = stack.new_tag().await?;
    let our_contact = contact(stack, &options.user, from.transport)?;
    let mut ringing = Response::to_request(req, 180, "Ringing");
    ringing.headers.set("To", with_tag(req, &tag)?.to_string());
    ringing.headers.push("Contact", our_contact.clone());
    // The 180 goes out now; the 200 is this function's result.
    stack.respond(txn, ringing).await?;
    let mut sdp = SdpSession::new(
        MediaConfig::audio(media_ip(stack), options.rtp_port),
        rng.gen(),
    );
    let mut ok = Response::to_request(req, 200, "OK");
    ok.headers.set("To", with_tag(req, &tag)?.to_string());
    ok.headers.push("Contact", our_contact);
    ok.headers.push("Allow", ALLOW);
    match sdp_answer(&mut sdp, req, rng) {
        Some(body) => set_sdp(&mut ok, body),
        None => return Ok(Response::to_request(req, 488, reason_phrase(488))),
    }
    let dialog = Dialog::new_uas(req, &ok)?;
    calls.insert(call_id, Call { dialog, sdp });
    Ok(ok)
}

/// The request's To with our tag, for responses that establish or belong to the dialog.
fn with_tag(req: &Request, tag: &str) -> anyhow::Result<NameAddr> {
    let mut to = req.to_header()?;
    to.set_tag(tag);
    Ok(to)
}

/// An SDP answer to the request's offer, or an offer of our own when it had none (RFC 3264
/// §5: the 200 then carries the offer and the ACK the answer). `None` when negotiation fails.
fn sdp_answer(sdp: &mut SdpSession, req: &Request, rng: &mut SmallRng) -> Option<String> {
    if req.body.is_empty() {
        return Some(sdp.create_offer(rng).to_string());
    }
    let offer = SessionDescription::parse(std::str::from_utf8(&req.body).ok()?).ok()?;
    match sdp.create_answer(&offer, rng) {
        Ok(answer) => Some(answer.sdp.to_string()),
        Err(e) => {
            tracing::warn!(error = %e, "cannot answer the offer");
            None
        }
    }
}

fn set_sdp(resp: &mut Response, body: String) {
    resp.headers.set("Content-Type", "application/sdp");
    resp.body = body.into_bytes();
}

fn end_call(calls: &mut HashMap<String, Call>, req: &Request) -> Response {
    let Some(call) = req.call_id().ok().and_then(|id| calls.get_mut(id)) else {
        return Response::to_request(req, 481, reason_phrase(481));
    };
    if let Err(e) = call.dialog.handle_request(req) {
        return Response::to_request(req, e.status(), reason_phrase(e.status()));
    }
    if let Ok(id) = req.call_id() {
        calls.remove(id);
    }
    Response::to_request(req, 200, "OK")
}

async fn respond_terminated(stack: &Stack, invite: TxnId, cancel: &Request) -> anyhow::Result<()> {
    // The 487 answers the INVITE, whose headers match the CANCEL's except the method.
    let mut resp = Response::to_request(cancel, 487, reason_phrase(487));
    if let Ok(cseq) = cancel.cseq() {
        resp.headers.set("CSeq", format!("{} INVITE", cseq.seq));
    }
    stack.respond(invite, resp).await?;
    Ok(())
}
