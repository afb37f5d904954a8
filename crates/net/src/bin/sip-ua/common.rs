use std::net::{IpAddr, SocketAddr};

use anyhow::{bail, Context};
use net::{Incoming, Stack, StackConfig};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use sip::auth::{Authenticator, Challenge, Challenger, RequestParts};
use sip::endpoint::Config;
use sip::msg::{Request, Response, SipMessage};
use sip::transport::{Remote, TransportKind};
use tokio::sync::mpsc::UnboundedReceiver;

pub(crate) async fn start(
    udp: SocketAddr,
    tcp: SocketAddr,
) -> anyhow::Result<(Stack, UnboundedReceiver<Incoming>)> {
    let config = StackConfig {
        udp: Some(udp),
        tcp: Some(tcp),
        endpoint: Config::default(),
        public_host: None,
        tls: Default::default(),
    };
    Ok(Stack::start(config).await?)
}

/// `udp` or `tcp`, as a command-line value.
pub(crate) fn parse_transport(s: &str) -> Result<TransportKind, String> {
    match TransportKind::parse(s) {
        Some(t @ (TransportKind::Udp | TransportKind::Tcp)) => Ok(t),
        _ => Err(format!("unsupported transport {s:?} (udp or tcp)")),
    }
}

/// `<sip:user@host:port;transport=…>` for this stack on `transport`.
pub(crate) fn contact(
    stack: &Stack,
    user: &str,
    transport: TransportKind,
) -> anyhow::Result<String> {
    let host_port = stack
        .contact_host_port(transport, None)
        .context("no socket for that transport")?;
    let param = match transport {
        TransportKind::Udp => "",
        _ => ";transport=tcp",
    };
    Ok(format!("<sip:{user}@{host_port}{param}>"))
}

/// The address in the SDP: the IP the SIP socket is bound to.
pub(crate) fn media_ip(stack: &Stack) -> IpAddr {
    stack
        .local_addr(TransportKind::Udp)
        .map_or(IpAddr::from([127, 0, 0, 1]), |a| a.ip())
}

/// Sends `req`, answering up to two 401/407 challenges (each retry with the next CSeq), and
/// returns the request as last sent with its final response.
pub(crate) async fn send_authenticated(
    stack: &Stack,
    mut req: Request,
    to: Remote,
    auth: Option<&mut Authenticator>,
) -> anyhow::Result<(Request, Response)> {
    let mut rng = SmallRng::from_entropy();
    let mut auth = auth;
    if let Some(auth) = auth.as_deref_mut() {
        // Known nonces are reused with the next nc, saving a round trip; this also starts a
        // new request as far as the authenticator's rejection check goes.
        let uri = req.uri.to_string();
        let parts = RequestParts {
            method: req.method.as_str(),
            uri: &uri,
            body: &req.body,
        };
        for answer in auth.authorize(&parts, &mut rng) {
            req.headers.set(
                answer.challenger.credentials_header(),
                answer.credentials.to_string(),
            );
        }
    }
    for _ in 0..3 {
        let mut txn = stack.send_request(req.clone(), to).await?;
        let resp = txn.final_response().await?;
        let Some(challenger) = Challenger::from_status(resp.status) else {
            return Ok((req, resp));
        };
        let Some(auth) = auth.as_deref_mut() else {
            return Ok((req, resp));
        };
        let challenges: Vec<Challenge> = resp
            .headers
            .get_all(challenger.challenge_header())
            .filter_map(|v| v.parse().ok())
            .collect();
        let uri = req.uri.to_string();
        let parts = RequestParts {
            method: req.method.as_str(),
            uri: &uri,
            body: &req.body,
        };
        let answers = auth
            .respond(challenger, &challenges, &parts, &mut rng)
            .with_context(|| format!("authentication failed ({} {})", resp.status, resp.reason))?;
        for answer in answers {
            req.headers.set(
                answer.challenger.credentials_header(),
                answer.credentials.to_string(),
            );
        }
        let cseq = req.cseq()?;
        req.headers
            .set("CSeq", format!("{} {}", cseq.seq + 1, cseq.method));
    }
    bail!("still challenged after answering twice")
}

/// Where to send a request for `uri`: its host when that is an IP address, else `fallback`
/// (the outbound proxy; this UA does no DNS).
pub(crate) fn next_hop(uri: &sip::msg::Uri, transport: TransportKind, fallback: Remote) -> Remote {
    let host = uri.host.trim_start_matches('[').trim_end_matches(']');
    let transport = uri
        .transport()
        .and_then(|t| TransportKind::parse(&t))
        .unwrap_or(transport);
    match host.parse::<IpAddr>() {
        Ok(ip) => Remote {
            transport,
            addr: SocketAddr::new(ip, uri.port.unwrap_or(5060)),
        },
        Err(_) => fallback,
    }
}
