use crate::msg::{CSeq, Method, NameAddr, Request, Response, Scheme, SipMessage, Uri};

use super::error::DialogError;
use super::id::DialogId;
use super::route;

/// Where a dialog stands (RFC 3261 §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    /// Created by a provisional response; the INVITE has no final answer yet.
    Early,
    /// Created or confirmed by a 2xx.
    Confirmed,
    /// Ended by a final non-2xx to the creating INVITE, or by a 481/408 to a request inside it
    /// (RFC 3261 §12.2.1.2); requests built from it afterwards reach nobody.
    Terminated,
}

/// One end of a SIP dialog: the state RFC 3261 §12 keeps between requests.
///
/// The dialog builds in-dialog requests (without Via: the transaction layer adds it) and checks
/// and absorbs in-dialog requests and responses. It sends nothing; the owner (a call or a
/// subscription usage) passes what it builds to the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    id: DialogId,
    state: DialogState,
    /// Empty until we send a request when we are the UAS (RFC 3261 §12.1.1).
    local_seq: Option<u32>,
    /// Empty until the peer sends us a request when we are the UAC (RFC 3261 §12.1.2).
    remote_seq: Option<u32>,
    /// Our From (as UAC) or To (as UAS) value, tag included.
    local_uri: NameAddr,
    /// The peer's side, tag included when it has one.
    remote_uri: NameAddr,
    remote_target: Uri,
    route_set: Vec<NameAddr>,
    /// Our Contact, repeated in target-refresh requests (RFC 3261 §12.2.1.1).
    local_contact: Option<NameAddr>,
    secure: bool,
}

/// Methods that replace the remote target with their Contact: RFC 3261 §12.2 (INVITE),
/// RFC 3311 §5.1 (UPDATE), RFC 6665 §4.1.2.4/§4.2.1.2 (SUBSCRIBE, NOTIFY).
pub(crate) fn is_target_refresh(method: &Method) -> bool {
    matches!(
        method,
        Method::Invite | Method::Update | Method::Subscribe | Method::Notify
    )
}

/// RFC 3261 §8.1.1.6: a UAC inserts Max-Forwards 70.
pub(crate) const MAX_FORWARDS: &str = "70";

impl Dialog {
    /// The dialog a UAC holds after `response` (a 101–199 or 2xx with a To tag) to `request`,
    /// the dialog-creating request we sent (RFC 3261 §12.1.2).
    ///
    /// The route set is the response's Record-Route reversed, so that it lists the proxies
    /// nearest us first. A provisional response may lack a Contact (many gateways omit it);
    /// the early dialog then targets the Request-URI until a later response brings one.
    pub fn new_uac(request: &Request, response: &Response) -> Result<Dialog, DialogError> {
        let state = match response.status {
            101..=199 => DialogState::Early,
            200..=299 => DialogState::Confirmed,
            status => return Err(DialogError::NotDialogCreating { status }),
        };
        let local_uri = request.from_header()?;
        let remote_uri = response.to_header()?;
        let Some(remote_tag) = remote_uri.tag().map(str::to_owned) else {
            return Err(DialogError::NotDialogCreating {
                status: response.status,
            });
        };
        let local_tag = local_uri.tag().unwrap_or_default().to_owned();
        let remote_target = match first_contact(response)? {
            Some(c) => c.uri,
            None if state == DialogState::Early => request.uri.clone(),
            None => return Err(DialogError::MissingContact),
        };
        let mut route_set = record_route(response)?;
        route_set.reverse();
        Ok(Dialog {
            id: DialogId {
                call_id: request.call_id()?.to_owned(),
                local_tag,
                remote_tag,
            },
            state,
            local_seq: Some(request.cseq()?.seq),
            remote_seq: None,
            local_uri,
            remote_uri,
            remote_target,
            route_set,
            local_contact: first_contact(request)?,
            secure: request.uri.scheme == Scheme::Sips,
        })
    }

    /// The dialog a UAS holds after answering `request` with `response` (a 101–199 or 2xx that
    /// carries our To tag) (RFC 3261 §12.1.1).
    ///
    /// The route set is the request's Record-Route in order. `secure` follows the
    /// Request-URI's scheme only: whether the request came over TLS is the transport's
    /// knowledge, and a `sips:` request that did not is refused there.
    pub fn new_uas(request: &Request, response: &Response) -> Result<Dialog, DialogError> {
        let state = match response.status {
            101..=199 => DialogState::Early,
            200..=299 => DialogState::Confirmed,
            status => return Err(DialogError::NotDialogCreating { status }),
        };
        let local_uri = response.to_header()?;
        let Some(local_tag) = local_uri.tag().map(str::to_owned) else {
            return Err(DialogError::NotDialogCreating {
                status: response.status,
            });
        };
        let remote_uri = request.from_header()?;
        let remote_target = first_contact(request)?
            .ok_or(DialogError::MissingContact)?
            .uri;
        Ok(Dialog {
            id: DialogId {
                call_id: request.call_id()?.to_owned(),
                local_tag,
                remote_tag: remote_uri.tag().unwrap_or_default().to_owned(),
            },
            state,
            local_seq: None,
            remote_seq: Some(request.cseq()?.seq),
            local_uri,
            remote_uri,
            remote_target,
            route_set: record_route(request)?,
            local_contact: first_contact(response)?,
            secure: request.uri.scheme == Scheme::Sips,
        })
    }

    /// The subscriber's dialog created by a NOTIFY that arrived before the 2xx to our
    /// SUBSCRIBE (RFC 6665 §4.1.2.4): we are the UAC of `subscribe`, yet the peer's tag,
    /// target and route set come from a request, so the route set is the NOTIFY's
    /// Record-Route in order, as a UAS would take it.
    pub fn new_from_notify(subscribe: &Request, notify: &Request) -> Result<Dialog, DialogError> {
        let local_uri = subscribe.from_header()?;
        let remote_uri = notify.from_header()?;
        let Some(remote_tag) = remote_uri.tag().map(str::to_owned) else {
            return Err(DialogError::UnknownDialog);
        };
        let remote_target = first_contact(notify)?
            .ok_or(DialogError::MissingContact)?
            .uri;
        Ok(Dialog {
            id: DialogId {
                call_id: subscribe.call_id()?.to_owned(),
                local_tag: local_uri.tag().unwrap_or_default().to_owned(),
                remote_tag,
            },
            state: DialogState::Confirmed,
            local_seq: Some(subscribe.cseq()?.seq),
            remote_seq: Some(notify.cseq()?.seq),
            local_uri,
            remote_uri,
            remote_target,
            route_set: record_route(notify)?,
            local_contact: first_contact(subscribe)?,
            secure: subscribe.uri.scheme == Scheme::Sips,
        })
    }

    pub fn id(&self) -> &DialogId {
        &self.id
    }

    pub fn state(&self) -> DialogState {
        self.state
    }

    /// Where requests go when no strict router intervenes: the peer's latest Contact.
    pub fn remote_target(&self) -> &Uri {
        &self.remote_target
    }

    /// The proxies requests traverse, nearest first.
    pub fn route_set(&self) -> &[NameAddr] {
        &self.route_set
    }

    /// The CSeq of the last request we built, if any.
    pub fn local_seq(&self) -> Option<u32> {
        self.local_seq
    }

    /// The CSeq of the last request the peer sent, if any.
    pub fn remote_seq(&self) -> Option<u32> {
        self.remote_seq
    }

    /// True when the dialog was set up with a `sips:` Request-URI: every request in it must
    /// then travel over TLS (RFC 3261 §12.1.1).
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// Replaces our Contact, for the next target-refresh request (a re-INVITE after the
    /// local address changed, RFC 3261 §14.1).
    pub fn set_local_contact(&mut self, contact: NameAddr) {
        self.local_contact = Some(contact);
    }

    /// UAS side: our 2xx to the dialog-creating request has been sent, so an early dialog is
    /// now confirmed (RFC 3261 §12.1.1).
    pub fn confirm(&mut self) {
        if self.state == DialogState::Early {
            self.state = DialogState::Confirmed;
        }
    }

    /// A new request in this dialog with the next local CSeq (RFC 3261 §12.2.1.1).
    ///
    /// The caller adds Via (the transaction layer), a body and method-specific headers. Use
    /// [`Dialog::create_ack`] for ACK, which reuses the INVITE's CSeq; CANCEL is built from
    /// the INVITE by the transaction layer, not here.
    pub fn create_request(&mut self, method: Method) -> Request {
        // RFC 3261 §12.2.1.1: empty local sequence number → pick an initial one (§8.1.1.5:
        // below 2^31); 1 keeps traces readable.
        let seq = self.local_seq.map_or(1, |s| s.wrapping_add(1));
        self.local_seq = Some(seq);
        self.build(method, seq)
    }

    /// The ACK for a 2xx to the INVITE (or re-INVITE) that had CSeq `invite_cseq`: a request
    /// of its own in the dialog, with the INVITE's sequence number (RFC 3261 §13.2.2.4).
    pub fn create_ack(&self, invite_cseq: u32) -> Request {
        self.build(Method::Ack, invite_cseq)
    }

    fn build(&self, method: Method, seq: u32) -> Request {
        let mut req = Request::new(method.clone(), self.remote_target.clone());
        route::apply(&mut req, &self.remote_target, &self.route_set);
        let h = &mut req.headers;
        h.push("To", self.remote_uri.to_string());
        h.push("From", self.local_uri.to_string());
        h.push("Call-ID", self.id.call_id.clone());
        h.push("CSeq", CSeq { seq, method }.to_string());
        h.push("Max-Forwards", MAX_FORWARDS);
        if let Some(contact) = &self.local_contact {
            if is_target_refresh(&req.method) {
                req.headers.push("Contact", contact.to_string());
            }
        }
        req
    }

    /// Checks that `req` belongs to this dialog and absorbs it (RFC 3261 §12.2.2): tags and
    /// Call-ID must match (else 481), the CSeq must not go backwards (else 500), and a target
    /// refresh request with a Contact replaces the remote target.
    ///
    /// ACK shares its INVITE's CSeq and CANCEL is the transaction layer's business, so
    /// neither moves the remote sequence number.
    pub fn handle_request(&mut self, req: &Request) -> Result<(), DialogError> {
        let cseq = req.cseq()?;
        let from_tag = req.from_header()?.tag().unwrap_or_default().to_owned();
        let to_tag = req.to_header()?.tag().map(str::to_owned);
        if req.call_id()? != self.id.call_id
            || to_tag.as_deref() != Some(self.id.local_tag.as_str())
            || from_tag != self.id.remote_tag
        {
            return Err(DialogError::UnknownDialog);
        }
        if matches!(req.method, Method::Ack | Method::Cancel) {
            return Ok(());
        }
        if let Some(last) = self.remote_seq {
            if cseq.seq < last {
                return Err(DialogError::CSeqOutOfOrder {
                    received: cseq.seq,
                    last,
                });
            }
        }
        // Parse before changing anything, so a bad Contact leaves the dialog as it was.
        let contact = first_contact(req)?;
        self.remote_seq = Some(cseq.seq);
        if is_target_refresh(&req.method) {
            if let Some(c) = contact {
                self.remote_target = c.uri;
            }
        }
        Ok(())
    }

    /// Absorbs a response to a request we sent in this dialog, or to the INVITE that created
    /// it.
    ///
    /// - a 2xx to a target refresh replaces the remote target with its Contact (RFC 3261
    ///   §12.2.1.2);
    /// - a 2xx to the INVITE of an early dialog confirms it and recomputes the route set from
    ///   the 2xx (RFC 3261 §13.2.2.4);
    /// - a final non-2xx to that INVITE ends the early dialog (RFC 3261 §12.3);
    /// - a 481 or 408 ends the dialog (RFC 3261 §12.2.1.2).
    pub fn handle_response(&mut self, resp: &Response) -> Result<(), DialogError> {
        let cseq = resp.cseq()?;
        let local_tag = resp.from_header()?.tag().unwrap_or_default().to_owned();
        let remote_tag = resp.to_header()?.tag().unwrap_or_default().to_owned();
        if resp.call_id()? != self.id.call_id
            || local_tag != self.id.local_tag
            || remote_tag != self.id.remote_tag
        {
            return Err(DialogError::UnknownDialog);
        }
        let contact = first_contact(resp)?;
        if matches!(resp.status, 408 | 481) {
            self.state = DialogState::Terminated;
            return Ok(());
        }
        let early_invite = self.state == DialogState::Early && cseq.method == Method::Invite;
        match resp.status {
            101..=199 if early_invite => {
                if let Some(c) = contact {
                    self.remote_target = c.uri;
                }
            }
            200..=299 => {
                if early_invite {
                    let mut route_set = record_route(resp)?;
                    route_set.reverse();
                    self.route_set = route_set;
                    self.state = DialogState::Confirmed;
                }
                if is_target_refresh(&cseq.method) {
                    if let Some(c) = contact {
                        self.remote_target = c.uri;
                    }
                }
            }
            300.. if early_invite => self.state = DialogState::Terminated,
            _ => {}
        }
        Ok(())
    }
}

fn first_contact(msg: &impl SipMessage) -> Result<Option<NameAddr>, DialogError> {
    Ok(msg.contacts()?.into_iter().next())
}

fn record_route(msg: &impl SipMessage) -> Result<Vec<NameAddr>, DialogError> {
    msg.headers()
        .get_all("Record-Route")
        .map(|v| NameAddr::parse(v).map_err(DialogError::from))
        .collect()
}
