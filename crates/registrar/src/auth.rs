//! Who sent a request: Digest (RFC 3261 §22, RFC 7616) against the stored HA1, or a Bearer
//! token (RFC 8898). A request without acceptable credentials gets both challenges, so Halo
//! (Bearer) and standard phones (Digest) each find theirs.

use sip::auth::{BearerChallenge, Credentials, DigestServer, ServerConfig, Verdict};
use sip::msg::{reason_phrase, Request, Response};

use crate::accounts::Accounts;

/// Who asks: the registrar (401, `WWW-Authenticate`) or the proxy (407, `Proxy-Authenticate`),
/// RFC 3261 §22.2 and §22.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Challenger {
    Registrar,
    Proxy,
}

impl Challenger {
    fn status(self) -> u16 {
        match self {
            Challenger::Registrar => 401,
            Challenger::Proxy => 407,
        }
    }

    fn credentials_header(self) -> &'static str {
        match self {
            Challenger::Registrar => "Authorization",
            Challenger::Proxy => "Proxy-Authorization",
        }
    }

    fn challenge_header(self) -> &'static str {
        match self {
            Challenger::Registrar => "WWW-Authenticate",
            Challenger::Proxy => "Proxy-Authenticate",
        }
    }
}

/// The outcome of [`Authenticator::check`].
#[derive(Debug)]
pub(crate) enum Authenticated {
    /// The username the credentials prove.
    User(String),
    /// Send this challenge instead.
    Challenge(Response),
}

#[derive(Debug)]
pub(crate) struct Authenticator {
    digest: DigestServer,
    realm: String,
    /// Offer `Bearer realm=…` beside the Digest challenges.
    bearer: bool,
}

impl Authenticator {
    pub(crate) fn new(config: ServerConfig, secret: &[u8], bearer: bool) -> Authenticator {
        Authenticator {
            realm: config.realm.clone(),
            digest: DigestServer::new(config, secret),
            bearer,
        }
    }

    /// Checks the request's credentials for our realm. Which user may do what is the caller's
    /// business (403 for a wrong owner); this only says who it is.
    pub(crate) fn check(
        &mut self,
        req: &Request,
        who: Challenger,
        accounts: &dyn Accounts,
        now_secs: u64,
    ) -> Authenticated {
        let mut stale = false;
        for value in req.headers.get_all(who.credentials_header()) {
            match value.parse::<Credentials>() {
                Ok(Credentials::Bearer(token)) => {
                    return match accounts.validate_token(token.as_str()) {
                        Ok(user) => Authenticated::User(user),
                        Err(rejection) => Authenticated::Challenge(self.challenge(
                            req,
                            who,
                            now_secs,
                            false,
                            Some((rejection.code, rejection.description)),
                        )),
                    };
                }
                Ok(Credentials::Digest(creds)) if creds.realm == self.realm => {
                    let algorithm = creds.algorithm_or_default();
                    let Some(ha1) = accounts.ha1(&creds.username, algorithm) else {
                        // Unknown user: the same challenge as a wrong password, so the answer
                        // does not reveal which usernames exist.
                        continue;
                    };
                    let method = req.method.to_string();
                    let mut verdict = self
                        .digest
                        .verify(&creds, &ha1, &method, &req.body, now_secs);
                    if matches!(verdict, Verdict::Denied(_)) {
                        // Perhaps the password changed since the HA1 was cached.
                        if let Some(fresh) = accounts.fresh_ha1(&creds.username, algorithm) {
                            if fresh != ha1 {
                                verdict = self
                                    .digest
                                    .verify(&creds, &fresh, &method, &req.body, now_secs);
                            }
                        }
                    }
                    match verdict {
                        Verdict::Authorized => return Authenticated::User(creds.username),
                        Verdict::Stale => stale = true,
                        Verdict::Denied(denial) => {
                            tracing::debug!(?denial, user = %creds.username, "digest denied");
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::debug!(error = %e, "unreadable credentials"),
            }
        }
        Authenticated::Challenge(self.challenge(req, who, now_secs, stale, None))
    }

    /// A 401/407 with one Digest challenge per algorithm, then `Bearer realm=…` (with the
    /// RFC 6750 error when a token was refused).
    fn challenge(
        &mut self,
        req: &Request,
        who: Challenger,
        now_secs: u64,
        stale: bool,
        error: Option<(&'static str, String)>,
    ) -> Response {
        let status = who.status();
        let mut resp = Response::to_request(req, status, reason_phrase(status));
        for challenge in self.digest.challenges(now_secs, stale) {
            resp.headers
                .push(who.challenge_header(), challenge.to_string());
        }
        // A refused token is always answered in Bearer terms: that client speaks it.
        if !self.bearer && error.is_none() {
            return resp;
        }
        let (code, description) = match error {
            Some((code, description)) => (Some(code.to_owned()), Some(description)),
            None => (None, None),
        };
        let bearer = BearerChallenge {
            realm: Some(self.realm.clone()),
            error: code,
            error_description: description,
            ..BearerChallenge::default()
        };
        resp.headers
            .push(who.challenge_header(), bearer.to_string());
        resp
    }
}
