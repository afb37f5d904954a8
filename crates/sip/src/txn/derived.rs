//! Requests a client builds from its INVITE: the ACK of a non-2xx final (RFC 3261 §17.1.1.3)
//! and the CANCEL (§9.1). Both reuse the INVITE's branch, so they reach the same server
//! transaction, or, for CANCEL, the same server.

use crate::msg::{Method, Request, Response, SipMessage};

/// The ACK for a 300–699 final: same Request-URI, Call-ID, From, CSeq number and top Via
/// (hence branch) as the INVITE, the To of the response (with its tag), and the INVITE's Route
/// set. Only the top Via: the ACK is hop-by-hop, the next hop is the one that answered.
pub(crate) fn ack_for_non_2xx(invite: &Request, response: &Response) -> Request {
    let mut ack = Request::new(Method::Ack, invite.uri.clone());
    copy_first(invite, &mut ack, "Via");
    for route in invite.headers.get_all("Route") {
        ack.headers.push("Route", route);
    }
    ack.headers.push(
        "Max-Forwards",
        invite.header("Max-Forwards").unwrap_or("70"),
    );
    copy_first(invite, &mut ack, "From");
    copy_first(response, &mut ack, "To");
    copy_first(invite, &mut ack, "Call-ID");
    ack.headers.push("CSeq", format!("{} ACK", seq(invite)));
    ack
}

/// The CANCEL of a pending INVITE (RFC 3261 §9.1): same Request-URI, Call-ID, From, To (no tag
/// added), CSeq number and top Via, and the INVITE's Route set, since it must follow the INVITE.
pub(crate) fn cancel_for(invite: &Request) -> Request {
    let mut cancel = Request::new(Method::Cancel, invite.uri.clone());
    copy_first(invite, &mut cancel, "Via");
    for route in invite.headers.get_all("Route") {
        cancel.headers.push("Route", route);
    }
    cancel.headers.push("Max-Forwards", "70");
    copy_first(invite, &mut cancel, "From");
    copy_first(invite, &mut cancel, "To");
    copy_first(invite, &mut cancel, "Call-ID");
    cancel
        .headers
        .push("CSeq", format!("{} CANCEL", seq(invite)));
    cancel
}

fn copy_first(from: &impl SipMessage, to: &mut Request, name: &str) {
    if let Some(v) = from.header(name) {
        to.headers.push(name, v);
    }
}

fn seq(invite: &Request) -> u32 {
    invite
        .cseq()
        .expect("client transactions start only from validated requests")
        .seq
}
