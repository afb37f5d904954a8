//! Presence fan-out benchmark: N watchers subscribe to one presentity, then one PUBLISH; the
//! figure is the time from sending the PUBLISH to the last watcher's NOTIFY carrying it.
//! Works against any presence server with Digest (halo-server, Kamailio).
//!
//! ```text
//! presence_fanout SERVER DOMAIN PRESENTITY PASSWORD WATCHER_PREFIX COUNT WATCHER_PASSWORD [LOCAL]
//! presence_fanout 127.0.0.1:5270 example.test fanpub fan-secret fan 1000 fan-secret 127.0.0.1:5300
//! ```
//! Watchers are `{prefix}0000`.., spread over `SOCKETS` UDP sockets (environment, default 10)
//! on LOCAL's address from LOCAL's port up (port 0: any ports). One socket would measure its
//! own receive buffer: a burst of 1,000 NOTIFYs overflows the default one, and the lost ones
//! come again only after T1. Subscriptions last 600 s and are ended before exit.

use std::collections::HashMap;
use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use net::{Incoming, Stack, StackConfig};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use sip::auth::{Authenticator, Challenge, Challenger, RequestParts};
use sip::msg::{Method, Request, Response, SipMessage, Uri};
use sip::transport::{Remote, TransportKind};
use tokio::sync::{mpsc, Semaphore};

type BoxError = Box<dyn Error + Send + Sync>;

/// Subscriptions opened at once; more only queues inside the server.
const IN_FLIGHT: usize = 50;

struct Args {
    server: Remote,
    domain: String,
    presentity: String,
    password: String,
    prefix: String,
    count: usize,
    watcher_password: String,
    local: SocketAddr,
}

fn args() -> Result<Args, BoxError> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() < 7 {
        return Err("usage: presence_fanout SERVER DOMAIN PRESENTITY PASSWORD WATCHER_PREFIX COUNT WATCHER_PASSWORD [LOCAL]".into());
    }
    Ok(Args {
        server: Remote {
            transport: TransportKind::Udp,
            addr: a[0].parse()?,
        },
        domain: a[1].clone(),
        presentity: a[2].clone(),
        password: a[3].clone(),
        prefix: a[4].clone(),
        count: a[5].parse()?,
        watcher_password: a[6].clone(),
        local: a
            .get(7)
            .map_or(Ok(SocketAddr::from(([127, 0, 0, 1], 0))), |s| s.parse())?,
    })
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Arc::new(args()?);
    let sockets: u16 = std::env::var("SOCKETS").map_or(Ok(10), |s| s.parse())?;
    // A note no earlier document had, so only NOTIFYs caused by this PUBLISH count.
    let marker = format!("fanout-{}", registrar::Service::unix_now());
    // Each socket's NOTIFYs are answered by its own task, which reports each Call-ID whose
    // body has the marker.
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    let mut stacks = Vec::new();
    for k in 0..sockets {
        let port = match args.local.port() {
            0 => 0,
            base => base + k,
        };
        let (stack, incoming) = Stack::start(StackConfig {
            udp: Some(SocketAddr::new(args.local.ip(), port)),
            tcp: None,
            endpoint: sip::endpoint::Config::default(),
            public_host: None,
            tls: Default::default(),
        })
        .await?;
        let local = stack
            .local_addr(TransportKind::Udp)
            .ok_or("no UDP socket")?;
        tokio::spawn(answer_notifies(
            stack.clone(),
            incoming,
            marker.clone(),
            seen_tx.clone(),
        ));
        stacks.push((stack, local));
    }
    let stacks = Arc::new(stacks);

    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut subscribing = tokio::task::JoinSet::new();
    for i in 0..args.count {
        let (stacks, args, gate) = (stacks.clone(), args.clone(), gate.clone());
        subscribing.spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let (stack, local) = &stacks[i % stacks.len()];
            subscribe(stack, &args, i, *local, 600).await
        });
    }
    let mut dialogs = Vec::new();
    while let Some(done) = subscribing.join_next().await {
        dialogs.push(done??);
    }
    println!(
        "{} subscriptions accepted in {:.2} s",
        dialogs.len(),
        started.elapsed().as_secs_f64()
    );
    // Let initial NOTIFYs land and any per-subscription NOTIFY throttle window pass.
    tokio::time::sleep(Duration::from_secs(2)).await;
    while seen.try_recv().is_ok() {}

    let mut waiting: HashMap<String, ()> =
        dialogs.iter().map(|d| (d.call_id.clone(), ())).collect();
    let sent = Instant::now();
    let published = publish(&stacks[0].0, &args, &marker).await?;
    let publish_ok = sent.elapsed();
    if !published.is_success() {
        return Err(format!("PUBLISH got {} {}", published.status, published.reason).into());
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !waiting.is_empty() {
        match tokio::time::timeout_at(deadline, seen.recv()).await {
            Ok(Some(call_id)) => {
                waiting.remove(&call_id);
            }
            _ => break,
        }
    }
    let last = sent.elapsed();
    let got = args.count - waiting.len();
    println!(
        "fan-out: PUBLISH 200 after {:.1} ms; {got}/{} watchers notified, last NOTIFY after {:.1} ms",
        publish_ok.as_secs_f64() * 1e3,
        args.count,
        last.as_secs_f64() * 1e3
    );

    // Leave the server as we found it: end every subscription.
    let mut ending = tokio::task::JoinSet::new();
    for d in dialogs {
        let (stacks, args, gate) = (stacks.clone(), args.clone(), gate.clone());
        ending.spawn(async move {
            let _permit = gate.acquire_owned().await;
            let (stack, local) = &stacks[d.index % stacks.len()];
            unsubscribe(stack, &args, d, *local).await
        });
    }
    while ending.join_next().await.is_some() {}
    for (stack, _) in stacks.iter() {
        stack.shutdown().await;
    }
    if got == args.count {
        Ok(())
    } else {
        Err(format!("{} watchers never saw the PUBLISH", waiting.len()).into())
    }
}

/// What is needed to end a subscription.
struct Dialog {
    index: usize,
    call_id: String,
    from_tag: String,
    to_tag: String,
    cseq: u32,
    auth: Authenticator,
}

async fn subscribe(
    stack: &Stack,
    args: &Args,
    index: usize,
    local: SocketAddr,
    expires: u32,
) -> Result<Dialog, BoxError> {
    let user = format!("{}{index:04}", args.prefix);
    let mut auth = Authenticator::new(user.clone(), args.watcher_password.clone());
    let from_tag = stack.new_tag().await?;
    let call_id = stack.new_call_id().await?;
    let mut req = subscribe_request(args, &user, local, &call_id, &from_tag, None, 1, expires);
    let (sent, resp) = send_authenticated(stack, &mut req, args.server, &mut auth).await?;
    if !resp.is_success() {
        return Err(format!("SUBSCRIBE for {user} got {} {}", resp.status, resp.reason).into());
    }
    let to_tag = resp.to_header()?.tag().unwrap_or_default().to_owned();
    Ok(Dialog {
        index,
        call_id,
        from_tag,
        to_tag,
        cseq: sent,
        auth,
    })
}

async fn unsubscribe(
    stack: &Stack,
    args: &Args,
    mut d: Dialog,
    local: SocketAddr,
) -> Result<(), BoxError> {
    let user = format!("{}{:04}", args.prefix, d.index);
    let mut req = subscribe_request(
        args,
        &user,
        local,
        &d.call_id,
        &d.from_tag,
        Some(&d.to_tag),
        d.cseq + 1,
        0,
    );
    send_authenticated(stack, &mut req, args.server, &mut d.auth).await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn subscribe_request(
    args: &Args,
    user: &str,
    local: SocketAddr,
    call_id: &str,
    from_tag: &str,
    to_tag: Option<&str>,
    cseq: u32,
    expires: u32,
) -> Request {
    let target = format!("sip:{}@{}", args.presentity, args.domain);
    let mut req = Request::new(
        Method::Subscribe,
        Uri::parse(&target).expect("built from a user and a domain"),
    );
    let h = &mut req.headers;
    h.push(
        "From",
        format!("<sip:{user}@{}>;tag={from_tag}", args.domain),
    );
    match to_tag {
        Some(tag) => h.push("To", format!("<{target}>;tag={tag}")),
        None => h.push("To", format!("<{target}>")),
    }
    h.push("Call-ID", call_id);
    h.push("CSeq", format!("{cseq} SUBSCRIBE"));
    h.push("Contact", format!("<sip:{user}@{local}>"));
    h.push("Event", "presence");
    h.push("Accept", "application/pidf+xml");
    h.push("Expires", expires.to_string());
    req
}

async fn publish(stack: &Stack, args: &Args, marker: &str) -> Result<Response, BoxError> {
    let aor = format!("sip:{}@{}", args.presentity, args.domain);
    let mut req = Request::new(Method::Publish, Uri::parse(&aor)?);
    let h = &mut req.headers;
    h.push("From", format!("<{aor}>;tag={}", stack.new_tag().await?));
    h.push("To", format!("<{aor}>"));
    h.push("Call-ID", stack.new_call_id().await?);
    h.push("CSeq", "1 PUBLISH");
    h.push("Event", "presence");
    h.push("Expires", "600");
    h.push("Content-Type", "application/pidf+xml");
    req.body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="{aor}">
  <tuple id="fanout"><status><basic>open</basic></status><note>{marker}</note></tuple>
</presence>
"#
    )
    .into_bytes();
    let mut auth = Authenticator::new(args.presentity.clone(), args.password.clone());
    let (_, resp) = send_authenticated(stack, &mut req, args.server, &mut auth).await?;
    Ok(resp)
}

/// Sends `req`, answering one 401/407 with Digest; returns the CSeq last used and the final
/// response.
async fn send_authenticated(
    stack: &Stack,
    req: &mut Request,
    to: Remote,
    auth: &mut Authenticator,
) -> Result<(u32, Response), BoxError> {
    let mut rng = SmallRng::from_entropy();
    let uri = req.uri.to_string();
    for answer in auth.authorize(
        &RequestParts {
            method: req.method.as_str(),
            uri: &uri,
            body: &req.body,
        },
        &mut rng,
    ) {
        req.headers.set(
            answer.challenger.credentials_header(),
            answer.credentials.to_string(),
        );
    }
    for _ in 0..2 {
        let cseq = req.cseq()?.seq;
        let resp = stack
            .send_request(req.clone(), to)
            .await?
            .final_response()
            .await?;
        let Some(challenger) = Challenger::from_status(resp.status) else {
            return Ok((cseq, resp));
        };
        let challenges: Vec<Challenge> = resp
            .headers
            .get_all(challenger.challenge_header())
            .filter_map(|v| v.parse().ok())
            .collect();
        let parts = RequestParts {
            method: req.method.as_str(),
            uri: &uri,
            body: &req.body,
        };
        for answer in auth.respond(challenger, &challenges, &parts, &mut rng)? {
            req.headers.set(
                answer.challenger.credentials_header(),
                answer.credentials.to_string(),
            );
        }
        let method = req.method.as_str().to_owned();
        req.headers.set("CSeq", format!("{} {method}", cseq + 1));
    }
    Err("still challenged after answering".into())
}

/// Answers every NOTIFY with 200 and reports the Call-IDs whose NOTIFY carries `marker`.
async fn answer_notifies(
    stack: Stack,
    mut incoming: mpsc::UnboundedReceiver<Incoming>,
    marker: String,
    seen: mpsc::UnboundedSender<String>,
) {
    while let Some(event) = incoming.recv().await {
        let Incoming::Request { txn, request, .. } = event else {
            continue;
        };
        let status = if request.method == Method::Notify {
            200
        } else {
            501
        };
        let ok = Response::to_request(&request, status, sip::msg::reason_phrase(status));
        if request.method == Method::Notify && contains(&request.body, marker.as_bytes()) {
            if let Ok(call_id) = request.call_id() {
                let _ = seen.send(call_id.to_owned());
            }
        }
        let _ = stack.respond(txn, ok).await;
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
