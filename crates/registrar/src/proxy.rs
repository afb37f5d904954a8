//! The stateful proxy for calls (RFC 3261 §16): INVITE forked in parallel to every contact of
//! the callee with Record-Route, the best answer relayed back, losing branches CANCELled; and
//! loose routing of everything inside the dialog (ACK, BYE, re-INVITE).

use std::collections::HashMap;

use sip::endpoint::TxnId;
use sip::msg::{Message, NameAddr, Request, Response, SipMessage, Uri, BRANCH_COOKIE};
use sip::transport::{Remote, TransportKind};

use crate::auth::Challenger;
use crate::core::{transport_param, OutId, Outcome, Output, Purpose, Registrar};

/// One INVITE being forked.
#[derive(Debug)]
pub(crate) struct Fork {
    request: Request,
    branches: HashMap<usize, OutId>,
    /// Branches still without a final response.
    open: usize,
    /// The best final response so far (RFC 3261 §16.7 step 6).
    best: Option<Response>,
    /// A 2xx went back, or the caller cancelled: no other final may follow.
    done: bool,
}

impl Registrar {
    pub(crate) fn invite(&mut self, txn: TxnId, req: &Request) -> Result<(), u16> {
        // Inside a dialog nothing is challenged (the tags are the evidence).
        if self.is_echo_dialog(req) {
            return self.echo_invite(txn, req);
        }
        let Some(_caller) = self.authenticate(txn, req, Challenger::Proxy)? else {
            return Ok(());
        };
        let Some(user) = self.local_user(&req.uri) else {
            return Err(404);
        };
        if self.is_echo(&user) {
            return self.echo_invite(txn, req);
        }
        if !self.accounts.exists(&user) {
            return Err(404);
        }
        let aor = self.aor_of(&user);
        let targets: Vec<_> = self
            .location
            .bindings(&aor)
            .iter()
            .map(|b| (b.contact.uri.clone(), b.source, b.path.clone()))
            .collect();
        if targets.is_empty() {
            return Err(480);
        }
        let mut fork = Fork {
            request: req.clone(),
            branches: HashMap::new(),
            open: targets.len(),
            best: None,
            done: false,
        };
        let incoming = req
            .top_via()
            .ok()
            .and_then(|v| TransportKind::parse(&v.transport))
            .unwrap_or(TransportKind::Udp);
        for (i, (uri, to, path)) in targets.into_iter().enumerate() {
            let mut fwd = self.prepare_relay(req, uri, &path)?;
            for rr in self.record_route(incoming, to.transport).into_iter().rev() {
                fwd.headers.push_front("Record-Route", rr);
            }
            let id = self.send(
                Purpose::Fork {
                    invite: txn,
                    branch: i,
                },
                fwd,
                to,
                true,
            );
            fork.branches.insert(i, id);
        }
        self.forks.insert(txn, fork);
        Ok(())
    }

    /// Our Record-Route entries: one, or two when the legs use different transports, so each
    /// side routes back to us over its own (RFC 5658).
    fn record_route(&self, incoming: TransportKind, outgoing: TransportKind) -> Vec<String> {
        let entry = |t: TransportKind| {
            self.local(t)
                .map(|a| format!("<sip:{a}{};lr>", transport_param(t)))
        };
        if incoming == outgoing {
            entry(incoming).into_iter().collect()
        } else {
            // Top entry faces the callee, the next one the caller.
            [entry(outgoing), entry(incoming)]
                .into_iter()
                .flatten()
                .collect()
        }
    }

    pub(crate) fn fork_outcome(&mut self, invite: TxnId, branch: usize, outcome: Outcome) {
        let Some(fork) = self.forks.get_mut(&invite) else {
            return;
        };
        let resp = match outcome {
            Outcome::Response(mut r) => {
                r.headers.remove_first("Via");
                r
            }
            Outcome::Failed(status) => {
                Response::to_request(&fork.request, status, sip::msg::reason_phrase(status))
            }
        };
        if resp.status == 100 {
            return;
        }
        if resp.status < 200 {
            if !fork.done {
                self.respond(invite, resp);
            }
            return;
        }
        fork.open = fork.open.saturating_sub(1);
        if resp.is_success() {
            let first = !fork.done;
            fork.done = true;
            let others: Vec<OutId> = fork
                .branches
                .iter()
                .filter(|(&b, _)| b != branch)
                .map(|(_, &id)| id)
                .collect();
            if first {
                self.respond(invite, resp);
                for id in others {
                    self.out.push_back(Output::Cancel { id });
                }
            } else {
                // A second callee answered too: the caller gets this 2xx as well and will
                // BYE it (RFC 3261 §16.7 step 5).
                self.relay_stray(resp);
            }
        } else if resp.status >= 600 && !fork.done {
            // §16.7 step 5: a 6xx ends the search.
            fork.done = true;
            let others: Vec<OutId> = fork.branches.values().copied().collect();
            self.respond(invite, resp);
            for id in others {
                self.out.push_back(Output::Cancel { id });
            }
        } else if !fork.done {
            let better = fork
                .best
                .as_ref()
                .is_none_or(|b| rank(resp.status) < rank(b.status));
            if better {
                fork.best = Some(resp);
            }
        }
        let Some(fork) = self.forks.get_mut(&invite) else {
            return;
        };
        if fork.open == 0 {
            let fork = self.forks.remove(&invite);
            if let Some(Fork {
                done: false,
                best: Some(best),
                ..
            }) = fork
            {
                self.respond(invite, best);
            }
        }
    }

    pub(crate) fn cancel_fork(&mut self, invite: TxnId) {
        let Some(fork) = self.forks.get_mut(&invite) else {
            return;
        };
        if fork.done {
            return;
        }
        fork.done = true;
        let ids: Vec<OutId> = fork.branches.values().copied().collect();
        let req = fork.request.clone();
        for id in ids {
            self.out.push_back(Output::Cancel { id });
        }
        let resp = self.response(&req, 487);
        self.respond(invite, resp);
    }

    /// Removes the Route entries naming us from the top (loose routing, RFC 3261 §16.4): a
    /// preloaded outbound-proxy Route, or our Record-Route echoed back in a dialog.
    pub(crate) fn strip_own_routes(&self, req: &mut Request) {
        while let Some(top) = req.headers.get("Route") {
            let ours = NameAddr::parse(top).is_ok_and(|r| {
                self.is_our_host(&r.uri)
                    || (r.uri.user.is_none()
                        && r.uri.host.eq_ignore_ascii_case(&self.config.domain))
            });
            if !ours {
                break;
            }
            req.headers.remove_first("Route");
        }
    }

    /// Whether a request (its own Routes stripped) goes past us rather than to us: another
    /// Route remains, or the Request-URI is somebody's contact rather than our domain.
    pub(crate) fn is_routed_through_us(&self, req: &Request) -> bool {
        let ours =
            self.is_our_host(&req.uri) || req.uri.host.eq_ignore_ascii_case(&self.config.domain);
        req.headers.contains("Route") || !ours
    }

    /// Where a routed request goes next: its top Route, else its Request-URI.
    fn next_hop(&self, req: &Request) -> Option<Remote> {
        match req.headers.get("Route") {
            Some(top) => self.resolve(&NameAddr::parse(top).ok()?.uri),
            None => self.resolve(&req.uri),
        }
    }

    /// A request inside a dialog we record-routed: relayed statefully to its next hop.
    pub(crate) fn relay_in_dialog(&mut self, txn: TxnId, req: &Request) -> Result<(), u16> {
        let Some(to) = self.next_hop(req) else {
            return Err(404);
        };
        let hops = match req.header("Max-Forwards") {
            Some(v) => v.trim().parse::<u32>().map_err(|_| 400u16)?,
            None => 70,
        };
        if hops == 0 {
            return Err(483);
        }
        let mut fwd = req.clone();
        fwd.headers.set("Max-Forwards", (hops - 1).to_string());
        self.hops.insert(txn, req.clone());
        self.send(Purpose::Hop { txn }, fwd, to, true);
        Ok(())
    }

    pub(crate) fn hop_outcome(&mut self, txn: TxnId, outcome: Outcome) {
        match outcome {
            Outcome::Response(mut r) => {
                if r.status >= 200 {
                    self.hops.remove(&txn);
                }
                r.headers.remove_first("Via");
                if r.status > 100 {
                    self.respond(txn, r);
                }
            }
            Outcome::Failed(status) => {
                if let Some(req) = self.hops.remove(&txn) {
                    let resp = self.response(&req, status);
                    self.respond(txn, resp);
                }
            }
        }
    }

    /// ACK of a 2xx: no transaction, so our Via is added by hand (RFC 3261 §16.6 step 8).
    pub(crate) fn relay_ack(&mut self, mut ack: Request) {
        self.strip_own_routes(&mut ack);
        if !self.is_routed_through_us(&ack) {
            // For us: the ACK of an echo call. Sending it on would send it to ourselves.
            return;
        }
        let Some(to) = self.next_hop(&ack) else {
            return;
        };
        if let Some(local) = self.local(to.transport) {
            let branch = format!("{BRANCH_COOKIE}{}", self.token(16));
            ack.headers.push_front(
                "Via",
                format!("SIP/2.0/{} {local};branch={branch};rport", to.transport),
            );
        }
        self.out.push_back(Output::Stateless {
            message: Message::Request(ack),
            to,
        });
    }

    /// A response without a transaction: drop our Via and send it to the next one's
    /// `received`/`rport` address (RFC 3261 §18.2.2, RFC 3581).
    pub(crate) fn relay_stray(&mut self, mut resp: Response) {
        let Ok(top) = resp.top_via() else { return };
        let ours = top.host.parse::<std::net::IpAddr>().is_ok()
            && Uri::parse(&format!("sip:{}:{}", top.host, top.port.unwrap_or(5060)))
                .is_ok_and(|u| self.is_our_host(&u));
        if ours {
            resp.headers.remove_first("Via");
        }
        let Ok(next) = resp.top_via() else { return };
        let host = next
            .received()
            .unwrap_or(&next.host)
            .trim_matches(['[', ']']);
        let port = match next.rport() {
            Some(Some(p)) => p,
            _ => next.port.unwrap_or(5060),
        };
        let Ok(ip) = host.parse() else { return };
        let transport = TransportKind::parse(&next.transport).unwrap_or(TransportKind::Udp);
        self.out.push_back(Output::Stateless {
            message: Message::Response(resp),
            to: Remote {
                transport,
                addr: std::net::SocketAddr::new(ip, port),
            },
        });
    }
}

/// Lower is better when choosing among final responses (RFC 3261 §16.7 step 6): 6xx, then
/// the lowest class, and within 4xx the ones the caller can act on.
fn rank(status: u16) -> u16 {
    match status {
        600..=699 => 0,
        401 | 407 | 415 | 420 | 484 => 1,
        486 => 2,
        s => s,
    }
}
