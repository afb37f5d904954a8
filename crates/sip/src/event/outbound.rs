//! What subscriptions and publications share when they build requests: out-of-dialog
//! headers, and credentials kept from the last challenge.

use crate::auth::Answer;
use crate::dialog::{apply_route_set, MAX_FORWARDS};
use crate::msg::{CSeq, Method, NameAddr, Request, Uri};

/// A request outside any dialog, to `target`, as RFC 3261 §8.1.1 builds it: To without tag,
/// our From with its tag, the preloaded `route` (an outbound proxy, §8.1.2), no Via.
pub(crate) fn out_of_dialog(
    method: Method,
    target: &Uri,
    from: &NameAddr,
    call_id: &str,
    seq: u32,
    route: &[NameAddr],
) -> Request {
    let mut req = Request::new(method.clone(), target.clone());
    apply_route_set(&mut req, target, route);
    let h = &mut req.headers;
    h.push("To", NameAddr::new(target.clone()).to_string());
    h.push("From", from.to_string());
    h.push("Call-ID", call_id);
    h.push("CSeq", CSeq { seq, method }.to_string());
    h.push("Max-Forwards", MAX_FORWARDS);
    req
}

/// The `Authorization`/`Proxy-Authorization` values from the last answered challenge, added
/// to every later request (RFC 3261 §22.2 lets a UAC reuse them; a server that wants a
/// fresh nonce count answers 401 `stale=true`, which is answered the same way).
#[derive(Debug, Clone, Default)]
pub(crate) struct StoredCredentials(Vec<(&'static str, String)>);

impl StoredCredentials {
    /// Replaces the stored values of each header the answers use.
    pub(crate) fn update(&mut self, answers: &[Answer]) {
        for name in answers.iter().map(|a| a.challenger.credentials_header()) {
            self.0.retain(|(n, _)| *n != name);
        }
        self.0.extend(
            answers
                .iter()
                .map(|a| (a.challenger.credentials_header(), a.credentials.to_string())),
        );
    }

    pub(crate) fn apply(&self, req: &mut Request) {
        for (name, value) in &self.0 {
            req.headers.push(name, value.clone());
        }
    }
}
