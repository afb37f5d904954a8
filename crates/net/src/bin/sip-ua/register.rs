use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context};
use net::Stack;
use sip::auth::Authenticator;
use sip::msg::{Method, NameAddr, Request, Response, SipMessage, Uri};
use sip::transport::{Remote, TransportKind};

use crate::common::{contact, parse_transport, send_authenticated};

#[derive(clap::Args)]
pub(crate) struct Options {
    /// The registrar (or outbound proxy) address.
    #[arg(long)]
    registrar: SocketAddr,
    /// The SIP domain: the Request-URI and the AOR's host.
    #[arg(long)]
    domain: String,
    #[arg(long)]
    user: String,
    /// Environment variable holding the password (never a command-line argument).
    #[arg(long)]
    password_env: String,
    #[arg(long, default_value = "udp", value_parser = parse_transport)]
    transport: TransportKind,
    #[arg(long, default_value_t = 60)]
    expires: u32,
    /// How long to stay registered before unregistering.
    #[arg(long, default_value_t = 0)]
    stay_ms: u64,
}

pub(crate) async fn run(stack: Stack, o: Options) -> anyhow::Result<()> {
    let password =
        std::env::var(&o.password_env).with_context(|| format!("{} is not set", o.password_env))?;
    let mut auth = Authenticator::new(o.user.clone(), password);
    let to = Remote {
        transport: o.transport,
        addr: o.registrar,
    };
    let our_contact = contact(&stack, &o.user, o.transport)?;
    let aor = format!("<sip:{}@{}>", o.user, o.domain);
    let mut req = Request::new(Method::Register, Uri::parse(&format!("sip:{}", o.domain))?);
    req.headers
        .push("From", format!("{aor};tag={}", stack.new_tag().await?));
    req.headers.push("To", aor);
    req.headers.push("Call-ID", stack.new_call_id().await?);
    req.headers.push("CSeq", "1 REGISTER");
    req.headers.push("Contact", our_contact.clone());
    req.headers.push("Expires", o.expires.to_string());

    let (sent, resp) = send_authenticated(&stack, req, to, Some(&mut auth)).await?;
    if !resp.is_success() {
        bail!("registration failed: {} {}", resp.status, resp.reason);
    }
    let ours = NameAddr::parse(&our_contact)?;
    let expires = granted_expiry(&resp, &ours).context("the 200 does not list our contact")?;
    println!(
        "registered expires={expires} bindings={}",
        resp.contacts()?.len()
    );

    tokio::time::sleep(Duration::from_millis(o.stay_ms)).await;
    let mut unregister = sent;
    unregister.headers.set("Expires", "0");
    let cseq = unregister.cseq()?;
    unregister
        .headers
        .set("CSeq", format!("{} REGISTER", cseq.seq + 1));
    let (_, resp) = send_authenticated(&stack, unregister, to, Some(&mut auth)).await?;
    if !resp.is_success() {
        bail!("unregistration failed: {} {}", resp.status, resp.reason);
    }
    let left = resp
        .contacts()?
        .iter()
        .filter(|c| same_binding(c, &ours))
        .count();
    if left != 0 {
        bail!("our binding is still listed after unregistering");
    }
    println!("unregistered");
    stack.shutdown().await;
    Ok(())
}

/// Our binding's expiry: its `expires` parameter, else the Expires header (RFC 3261 §10.2.4).
fn granted_expiry(resp: &Response, ours: &NameAddr) -> Option<u32> {
    let contacts = resp.contacts().ok()?;
    let binding = contacts.iter().find(|c| same_binding(c, ours))?;
    binding.expires().or_else(|| resp.expires())
}

/// Registrars may add parameters or change case, so compare user, host and port.
fn same_binding(a: &NameAddr, b: &NameAddr) -> bool {
    a.uri.user == b.uri.user
        && a.uri.host.eq_ignore_ascii_case(&b.uri.host)
        && a.uri.port == b.uri.port
}
