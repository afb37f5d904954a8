//! Registration (DESIGN.md flow 2), keep-alive, token refresh and authentication answers:
//! the actions the table names for the registration role.

use std::time::{Duration, Instant};

use net::TxnUpdate;
use sip::auth::{Answer, Challenge, Challenger, RequestParts};
use sip::msg::{CSeq, Method, Request, Response, SipMessage, Uri};

use super::core::{Core, Ctx, Internal, Owner, Target};
use super::login;
use crate::table::Event;

/// Challenges answered in a row for one Call-ID before the credentials count as wrong.
const MAX_CHALLENGES: u32 = 3;

/// Failures a later attempt may get past: no answer, a server in trouble, a user offline.
pub(super) fn retryable(status: u16) -> bool {
    matches!(status, 408 | 480 | 500..=599)
}

impl Core {
    pub(super) fn send_register(&mut self, expires: u32, answers: Vec<Answer>) {
        self.reg.cseq += 1;
        self.reg.generation += 1;
        let mut req = Request::new(Method::Register, Uri::sip(None, &self.domain, None));
        let aor = format!("<{}>", self.aor);
        let h = &mut req.headers;
        h.push("To", aor.clone());
        h.push("From", format!("{aor};tag={}", self.reg.tag));
        h.push("Call-ID", self.reg.call_id.clone());
        h.push(
            "CSeq",
            CSeq {
                seq: self.reg.cseq,
                method: Method::Register,
            }
            .to_string(),
        );
        h.push("Contact", self.contact.to_string());
        h.push("Expires", expires.to_string());
        let answers = if answers.is_empty() {
            let uri = req.uri.to_string();
            let parts = RequestParts {
                method: "REGISTER",
                uri: &uri,
                body: &[],
            };
            self.auth.authorize(&parts, &mut self.rng)
        } else {
            answers
        };
        add_credentials(&mut req, &answers);
        self.reg.last = Some(req.clone());
        self.request_out(req, Owner::Register(self.reg.generation));
    }

    /// The table's `AnswerChallenge`: resend the challenged request of `target` with the
    /// answers computed when the challenge came.
    pub(super) fn answer_challenge(&mut self, target: &Target, ctx: &Ctx) {
        let now = Instant::now();
        match target {
            Target::Registration => {
                let expires = self
                    .reg
                    .last
                    .as_ref()
                    .and_then(|r| r.expires())
                    .unwrap_or(self.reg.expires);
                self.send_register(expires, ctx.answers.clone());
            }
            Target::Publication => {
                if let Some(p) = self.publication.as_mut() {
                    p.authorize(now, &ctx.answers);
                }
                self.drain_publication();
            }
            Target::Subscription(aor) => {
                if let Some(s) = self.buddies.get_mut(aor).and_then(|b| b.sub.as_mut()) {
                    s.authorize(now, &ctx.answers);
                }
                self.drain_subscription(aor, None);
            }
            Target::Call(id) => self.send_invite_with(*id, ctx.answers.clone()),
            // Messages resend from their own action (see `dispatch`); nothing else is challenged.
            Target::Message(_) | Target::Inbound => {}
        }
    }

    /// Answers for a 401/407 to `request`; `None` when we have nothing (more) to offer.
    ///
    /// The sip machines build their own retries and refreshes, and one Digest realm covers
    /// every request, so the authenticator is told of a new request before each answer; a
    /// wrong password is caught by counting challenges in a row per transaction owner instead.
    pub(super) fn challenge_answers(
        &mut self,
        resp: &Response,
        request: &Request,
    ) -> Option<Vec<Answer>> {
        let challenger = Challenger::from_status(resp.status)?;
        let key = resp.call_id().ok()?.to_owned();
        let count = self.challenges.entry(key).or_insert(0);
        *count += 1;
        if *count > MAX_CHALLENGES {
            return None;
        }
        let challenges: Vec<Challenge> = resp
            .headers
            .get_all(challenger.challenge_header())
            .filter_map(|v| v.parse().ok())
            .collect();
        let uri = request.uri.to_string();
        let parts = RequestParts {
            method: request.method.as_str(),
            uri: &uri,
            body: &request.body,
        };
        let _ = self.auth.authorize(&parts, &mut self.rng);
        self.auth
            .respond(challenger, &challenges, &parts, &mut self.rng)
            .ok()
    }

    pub(super) fn register_outcome(&mut self, generation: u64, update: TxnUpdate) {
        if generation != self.reg.generation {
            return;
        }
        let mut ctx = Ctx::default();
        let event = match update {
            TxnUpdate::Response(r) if r.status < 200 => return,
            TxnUpdate::Response(r) if r.is_success() => {
                self.reg.granted =
                    granted_expires(&r, &self.contact.uri).unwrap_or(self.reg.expires);
                Event::RegistrationSuccess
            }
            TxnUpdate::Response(r) if r.status == 401 || r.status == 407 => {
                let last = self.reg.last.clone();
                let answers = last.and_then(|l| self.challenge_answers(&r, &l));
                ctx.auth_ok = answers.is_some();
                ctx.answers = answers.unwrap_or_default();
                ctx.failure = Some((r.status, r.reason.clone()));
                Event::AuthChallenge
            }
            TxnUpdate::Response(r) if r.status == 423 => {
                let min = r.header("Min-Expires").and_then(|v| v.trim().parse().ok());
                self.reg.expires = min.unwrap_or(self.reg.expires.saturating_mul(2));
                Event::IntervalTooBrief
            }
            TxnUpdate::Response(r) => {
                ctx.can_retry = retryable(r.status);
                ctx.failure = Some((r.status, r.reason.clone()));
                Event::RegistrationFailure
            }
            TxnUpdate::Timeout => {
                ctx.can_retry = true;
                ctx.failure = Some((408, "no answer from the registrar".to_owned()));
                Event::RegistrationFailure
            }
            TxnUpdate::TransportFailed => {
                ctx.can_retry = true;
                ctx.failure = Some((503, "registrar unreachable".to_owned()));
                Event::RegistrationFailure
            }
        };
        self.push_ctx(Target::Registration, event, ctx);
    }

    pub(super) fn schedule_refresh(&mut self) {
        let granted = Duration::from_secs(u64::from(self.reg.granted));
        self.account.registered(Instant::now(), granted);
    }

    /// Registered (again): bring presence, subscriptions and the outbox back, and start
    /// verifying the registration with keep-alives.
    pub(super) fn start_usages(&mut self) {
        self.account.start_pinging(Instant::now());
        self.push(Target::Publication, Event::PublishPresence);
        let aors: Vec<String> = self.buddies.keys().cloned().collect();
        for aor in aors {
            self.push(Target::Subscription(aor), Event::SubscribePresence);
        }
        self.account.outbox_flushed();
        self.flush_outbox();
    }

    /// The registration is gone or unverified: stop pinging, and tell the publication and
    /// the subscriptions, whose server-side state went with it (table: `RegistrationLost`).
    pub(super) fn suspend_usages(&mut self) {
        self.account.stop_pinging();
        self.reg.ping_generation += 1;
        self.push(Target::Publication, Event::RegistrationLost);
        let aors: Vec<String> = self.buddies.keys().cloned().collect();
        for aor in aors {
            self.push(Target::Subscription(aor), Event::RegistrationLost);
        }
    }

    /// RFC 5626-style liveness: CRLF on the flow, and an OPTIONS whose answer (any answer)
    /// proves the server is there. The answer must come within `keepalive_timeout`, not
    /// within the transaction's 32 s (Timer F): a retransmission getting through after a
    /// long outage would otherwise hide that the server may have lost our state.
    pub(super) fn keepalive(&mut self) {
        if !self.is_registered() {
            return;
        }
        if self.cfg.transport.is_reliable() {
            self.out.push(super::core::Out::Keepalive);
        }
        let mut req = Request::new(Method::Options, Uri::sip(None, &self.domain, None));
        let tag = self.new_tag();
        let call_id = self.new_call_id();
        let h = &mut req.headers;
        h.push("To", format!("<sip:{}>", self.domain));
        h.push("From", self.local_from(&tag).to_string());
        h.push("Call-ID", call_id);
        h.push("CSeq", "1 OPTIONS");
        self.request_out(req, Owner::KeepAlive(self.reg.ping_generation));
        self.account.ping_sent(Instant::now());
    }

    pub(super) fn keepalive_outcome(&mut self, generation: u64, update: TxnUpdate) {
        if generation != self.reg.ping_generation {
            return;
        }
        match update {
            TxnUpdate::Response(r) if r.status < 200 => {}
            TxnUpdate::Response(_) if self.is_registered() => self.account.pong(Instant::now()),
            TxnUpdate::Response(_) => self.account.stop_pinging(),
            TxnUpdate::Timeout | TxnUpdate::TransportFailed => self.keepalive_lost(),
        }
    }

    /// The keep-alive went unanswered (its transaction failed, or the answer is overdue).
    pub(super) fn keepalive_lost(&mut self) {
        let ctx = Ctx {
            failure: Some((408, "keep-alive unanswered".to_owned())),
            ..Ctx::default()
        };
        self.push_ctx(Target::Registration, Event::KeepAliveLost, ctx);
    }

    pub(super) fn schedule_token_refresh(&mut self) {
        if let Some((_, _, tokens)) = &self.http {
            let lifetime = Duration::from_secs(tokens.expires_in);
            self.account.token_issued(Instant::now(), lifetime);
        }
    }

    pub(super) fn refresh_token(&mut self) {
        let Some((client, base, tokens)) = self.http.clone() else {
            return;
        };
        let tx = self.internal_tx.clone();
        tokio::spawn(async move {
            let result = login::refresh(&client, &base, &tokens.refresh_token).await;
            let _ = tx.send(Internal::Tokens(result));
        });
    }

    /// A new access token: use it from now on and renew the registration with it.
    pub(super) fn tokens(&mut self, result: Result<login::Tokens, login::LoginError>) {
        match result {
            Ok(tokens) => {
                self.auth.set_bearer_token(
                    sip::auth::BearerToken::new(tokens.access_token.clone()).ok(),
                );
                if let Some(http) = self.http.as_mut() {
                    http.2 = tokens;
                }
                self.schedule_token_refresh();
                self.push(Target::Registration, Event::RegistrationRefresh);
            }
            Err(e) => {
                self.error(format!("token refresh failed: {e}"));
                self.account.token_failed(Instant::now());
            }
        }
    }

    pub(super) fn answer_ok(&mut self, ctx: &Ctx) {
        self.answer_status(ctx, 200);
    }

    pub(super) fn answer_status(&mut self, ctx: &Ctx, status: u16) {
        if let Some((txn, req)) = &ctx.request {
            let mut resp = Response::to_request(req, status, sip::msg::reason_phrase(status));
            if status == 405 || req.method == Method::Options {
                resp.headers.push(
                    "Allow",
                    "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, NOTIFY, INFO, UPDATE",
                );
            }
            self.out.push(super::core::Out::Respond(*txn, resp));
        }
    }
}

pub(super) fn add_credentials(req: &mut Request, answers: &[Answer]) {
    for a in answers {
        req.headers
            .push(a.challenger.credentials_header(), a.credentials.to_string());
    }
}

/// The expiry the registrar granted our contact: its `expires` parameter in the 2xx, else
/// the Expires header (RFC 3261 §10.2.4).
fn granted_expires(resp: &Response, ours: &Uri) -> Option<u32> {
    let contacts = resp.contacts().unwrap_or_default();
    contacts
        .iter()
        .find(|c| c.uri.user == ours.user && c.uri.host == ours.host && c.uri.port == ours.port)
        .and_then(|c| c.expires())
        .or_else(|| resp.expires())
}
