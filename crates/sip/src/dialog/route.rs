//! Where a request inside a dialog goes: RFC 3261 §12.2.1.1 with the §16.12.1.1 strict-router
//! compatibility that loose routing replaced.

use crate::msg::{NameAddr, Request, Uri};

/// Sets the Request-URI and the Route headers of `req` from the dialog's route set.
///
/// With an empty route set or a loose router (`;lr`) first, the Request-URI is the remote target
/// and the route set travels as Route headers. A first hop without `;lr` is an RFC 2543 strict
/// router, which routes on the Request-URI: it becomes the Request-URI, and the remote target
/// goes to the end of the Route headers so that the last strict router can restore it.
pub(crate) fn apply(req: &mut Request, remote_target: &Uri, route_set: &[NameAddr]) {
    req.headers.remove("Route");
    match route_set.split_first() {
        Some((first, rest)) if !first.uri.params.has("lr") => {
            req.uri = request_uri_from_route(&first.uri);
            for r in rest {
                req.headers.push("Route", r.to_string());
            }
            req.headers
                .push("Route", NameAddr::new(remote_target.clone()).to_string());
        }
        _ => {
            req.uri = remote_target.clone();
            for r in route_set {
                req.headers.push("Route", r.to_string());
            }
        }
    }
}

/// A Route URI made fit to be a Request-URI: RFC 3261 Table 1 (§19.1.1) allows neither the
/// `method` parameter nor headers there.
fn request_uri_from_route(uri: &Uri) -> Uri {
    let mut uri = uri.clone();
    uri.params.remove("method");
    uri.headers = None;
    uri
}
