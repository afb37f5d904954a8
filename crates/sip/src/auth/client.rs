//! The UAC's side: answer 401/407 challenges and reuse nonces on later requests
//! (RFC 3261 §22.2–§22.3, RFC 7616 §3.4, RFC 8898 for Bearer).

use std::fmt;

use rand::RngCore;

use super::digest::{expected_response, hex};
use super::{
    ha1, userhash, Algorithm, AuthError, BearerToken, Challenge, Credentials, DigestChallenge,
    DigestCredentials, Qop,
};

/// Answers beyond the first allowed per realm and request, all of which must be `stale=true`
/// with a new nonce; a server that keeps calling fresh nonces stale is treated as a rejection
/// rather than looped on.
const MAX_ANSWERS: u8 = 3;
/// Realms remembered at once; a response naming more cannot grow memory without bound.
const MAX_SESSIONS: usize = 16;
/// Random bytes in a client nonce (32 hex digits).
const CNONCE_LEN: usize = 16;

/// Who challenged, which fixes the header pair used (RFC 3261 §22.2, §22.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Challenger {
    /// A 401 with `WWW-Authenticate`, answered with `Authorization`.
    Server,
    /// A 407 with `Proxy-Authenticate`, answered with `Proxy-Authorization`.
    Proxy,
}

impl Challenger {
    /// 401 → [`Challenger::Server`], 407 → [`Challenger::Proxy`], anything else → `None`.
    pub fn from_status(status: u16) -> Option<Self> {
        match status {
            401 => Some(Challenger::Server),
            407 => Some(Challenger::Proxy),
            _ => None,
        }
    }

    /// The header carrying the challenge.
    pub fn challenge_header(self) -> &'static str {
        match self {
            Challenger::Server => "WWW-Authenticate",
            Challenger::Proxy => "Proxy-Authenticate",
        }
    }

    /// The header carrying the answer.
    pub fn credentials_header(self) -> &'static str {
        match self {
            Challenger::Server => "Authorization",
            Challenger::Proxy => "Proxy-Authorization",
        }
    }
}

/// The parts of the outgoing request that the Digest response covers.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The request's method; for CANCEL and a non-2xx ACK reuse the INVITE's credentials
    /// instead (RFC 3261 §22.1).
    pub method: &'a str,
    /// The Request-URI, sent as `uri`.
    pub uri: &'a str,
    /// The body, hashed only for `qop=auth-int`.
    pub body: &'a [u8],
}

/// Credentials to add to a request, in the header named by `challenger`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Selects `Authorization` or `Proxy-Authorization`.
    pub challenger: Challenger,
    /// The header value; `to_string()` gives the text.
    pub credentials: Credentials,
}

/// Answers challenges for one account.
///
/// Contract: call [`authorize`](Self::authorize) when building each *new* request (it
/// reuses known nonces with the next `nc`, and returns nothing before the first challenge),
/// and [`respond`](Self::respond) with the challenges of a 401/407 to build the retry.
/// A new request resets the rejection check; a retry does not, which is how a wrong password
/// becomes [`AuthError::Rejected`] on the second non-stale challenge instead of a loop.
pub struct Authenticator {
    username: String,
    password: String,
    bearer: Option<BearerToken>,
    sessions: Vec<Session>,
}

/// What we last answered for one challenger and realm.
struct Session {
    challenger: Challenger,
    realm: String,
    scheme: Scheme,
    /// Challenges answered since the last new request.
    answers: u8,
}

enum Scheme {
    Digest { challenge: DigestChallenge, nc: u32 },
    Bearer,
}

impl Authenticator {
    /// An account with a Digest username and password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
            bearer: None,
            sessions: Vec::new(),
        }
    }

    /// Sets (or clears) the token for Bearer challenges, preferred over Digest when both
    /// are offered because an account given a token was provisioned for it (RFC 8898).
    /// A new token counts as new credentials, so a Bearer realm may be answered again.
    pub fn set_bearer_token(&mut self, token: Option<BearerToken>) {
        self.bearer = token;
        for session in &mut self.sessions {
            if matches!(session.scheme, Scheme::Bearer) {
                session.answers = 0;
            }
        }
    }

    /// Credentials for a retry after a 401/407 carrying `challenges` (the parsed values of
    /// every challenge header; unparseable ones are simply left out).
    ///
    /// Per realm the strongest usable challenge is answered (Bearer with a token, then
    /// SHA-512-256, SHA-256, MD5; ties go to the first listed, which RFC 8760 makes the
    /// server's preference), so a server listing MD5 first cannot downgrade us. One answer is
    /// returned per realm, as a forking proxy may gather several (RFC 3261 §22.3).
    ///
    /// A `stale=true` challenge with a new nonce is answered silently. Any other challenge
    /// for a realm already answered since the last [`authorize`](Self::authorize) means the
    /// credentials are wrong: [`AuthError::Rejected`], and nothing is changed.
    pub fn respond<R: RngCore + ?Sized>(
        &mut self,
        challenger: Challenger,
        challenges: &[Challenge],
        request: &RequestParts<'_>,
        rng: &mut R,
    ) -> Result<Vec<Answer>, AuthError> {
        let chosen = self.choose(challenges);
        if chosen.is_empty() {
            return Err(AuthError::NoUsableChallenge);
        }
        for challenge in &chosen {
            let session = self.session(challenger, challenge.realm());
            if let Some(session) = session.and_then(|i| self.sessions.get(i)) {
                if !session.admits(challenge) {
                    return Err(AuthError::Rejected {
                        realm: challenge.realm().to_owned(),
                    });
                }
            }
        }
        let mut answers = Vec::with_capacity(chosen.len());
        for challenge in chosen {
            let at = self.record(challenger, challenge);
            if let Some(answer) = self.answer(at, request, rng) {
                answers.push(answer);
            }
        }
        Ok(answers)
    }

    /// Credentials for a new request from the challenges already answered, each Digest one
    /// with its nonce count advanced (RFC 7616 §3.4 `nc`).
    ///
    /// Before any server challenge, an account holding a token presents it as
    /// `Authorization: Bearer` (RFC 6750 §2.1): the token is proof on its own, and a server
    /// that does not list Bearer among its challenges (one tuned for Digest-only phones) still
    /// accepts it. Without a token this is empty before the first challenge.
    pub fn authorize<R: RngCore + ?Sized>(
        &mut self,
        request: &RequestParts<'_>,
        rng: &mut R,
    ) -> Vec<Answer> {
        let mut answers: Vec<Answer> = (0..self.sessions.len())
            .filter_map(|at| {
                if let Some(session) = self.sessions.get_mut(at) {
                    session.answers = 0;
                }
                self.answer(at, request, rng)
            })
            .collect();
        let server_answered = answers.iter().any(|a| a.challenger == Challenger::Server);
        if let (false, Some(token)) = (server_answered, &self.bearer) {
            answers.push(Answer {
                challenger: Challenger::Server,
                credentials: Credentials::Bearer(token.clone()),
            });
        }
        answers
    }

    /// The best answerable challenge per realm, realms in order of first appearance.
    fn choose<'c>(&self, challenges: &'c [Challenge]) -> Vec<&'c Challenge> {
        let mut best: Vec<(&Challenge, u8)> = Vec::new();
        for challenge in challenges {
            let Some(rank) = self.rank(challenge) else {
                continue;
            };
            match best
                .iter_mut()
                .find(|(c, _)| c.realm() == challenge.realm())
            {
                Some(slot) if rank > slot.1 => *slot = (challenge, rank),
                Some(_) => {}
                None => best.push((challenge, rank)),
            }
        }
        best.into_iter().map(|(c, _)| c).collect()
    }

    fn rank(&self, challenge: &Challenge) -> Option<u8> {
        match challenge {
            Challenge::Digest(d) => Some(d.algorithm.unwrap_or(Algorithm::Md5).strength()),
            Challenge::Bearer(_) => self.bearer.as_ref().map(|_| u8::MAX),
        }
    }

    fn session(&self, challenger: Challenger, realm: &str) -> Option<usize> {
        self.sessions
            .iter()
            .position(|s| s.challenger == challenger && s.realm == realm)
    }

    /// Stores `challenge` as the realm's current one and returns its session index.
    fn record(&mut self, challenger: Challenger, challenge: &Challenge) -> usize {
        let scheme = |nc| match challenge {
            Challenge::Digest(d) => Scheme::Digest {
                challenge: d.clone(),
                nc,
            },
            Challenge::Bearer(_) => Scheme::Bearer,
        };
        if let Some(at) = self.session(challenger, challenge.realm()) {
            if let Some(session) = self.sessions.get_mut(at) {
                // nc counts uses of a nonce, so it survives a re-challenge with the same nonce.
                let nc = match (&session.scheme, challenge) {
                    (Scheme::Digest { challenge: old, nc }, Challenge::Digest(new))
                        if old.nonce == new.nonce =>
                    {
                        *nc
                    }
                    _ => 0,
                };
                session.scheme = scheme(nc);
                session.answers = session.answers.saturating_add(1);
            }
            return at;
        }
        if self.sessions.len() >= MAX_SESSIONS {
            self.sessions.remove(0);
        }
        self.sessions.push(Session {
            challenger,
            realm: challenge.realm().to_owned(),
            scheme: scheme(0),
            answers: 1,
        });
        self.sessions.len() - 1
    }

    /// Builds the answer for session `at`, consuming the next nonce count.
    fn answer<R: RngCore + ?Sized>(
        &mut self,
        at: usize,
        request: &RequestParts<'_>,
        rng: &mut R,
    ) -> Option<Answer> {
        let session = self.sessions.get_mut(at)?;
        let credentials = match &mut session.scheme {
            Scheme::Bearer => Credentials::Bearer(self.bearer.clone()?),
            Scheme::Digest { challenge, nc } => {
                *nc = nc.wrapping_add(1).max(1);
                let account = (self.username.as_str(), self.password.as_str());
                Credentials::Digest(digest(account, challenge, *nc, request, rng))
            }
        };
        Some(Answer {
            challenger: session.challenger,
            credentials,
        })
    }
}

impl Session {
    /// Whether a new challenge for this realm may be answered (see [`Authenticator::respond`]).
    fn admits(&self, challenge: &Challenge) -> bool {
        if self.answers == 0 {
            return true;
        }
        let fresh_stale = match (&self.scheme, challenge) {
            (Scheme::Digest { challenge: old, .. }, Challenge::Digest(new)) => {
                new.stale && new.nonce != old.nonce
            }
            _ => false,
        };
        fresh_stale && self.answers < MAX_ANSWERS
    }
}

/// Digest credentials answering `challenge` with nonce count `nc` (RFC 7616 §3.4): qop
/// `auth` is preferred over `auth-int`, which would tie the answer to this exact body.
fn digest<R: RngCore + ?Sized>(
    (username, password): (&str, &str),
    challenge: &DigestChallenge,
    nc: u32,
    request: &RequestParts<'_>,
    rng: &mut R,
) -> DigestCredentials {
    let algorithm = challenge.algorithm.unwrap_or(Algorithm::Md5);
    let qop = [Qop::Auth, Qop::AuthInt]
        .into_iter()
        .find(|q| challenge.qop.contains(q));
    let cnonce = (qop.is_some() || algorithm.is_sess()).then(|| {
        let mut bytes = [0u8; CNONCE_LEN];
        rng.fill_bytes(&mut bytes);
        hex(&bytes)
    });
    let realm = &challenge.realm;
    let mut credentials = DigestCredentials {
        username: if challenge.userhash {
            userhash(algorithm, username, realm)
        } else {
            username.to_owned()
        },
        realm: realm.clone(),
        nonce: challenge.nonce.clone(),
        uri: request.uri.to_owned(),
        response: String::new(),
        algorithm: challenge.algorithm,
        cnonce,
        opaque: challenge.opaque.clone(),
        qop,
        nc: qop.map(|_| nc),
        userhash: challenge.userhash,
        extra: Vec::new(),
    };
    let ha1 = ha1(algorithm, username, realm, password);
    credentials.response = expected_response(&credentials, &ha1, request.method, request.body);
    credentials
}

impl fmt::Debug for Authenticator {
    /// Redacted: no password or token in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("username", &self.username)
            .field("realms", &self.sessions.len())
            .finish_non_exhaustive()
    }
}
