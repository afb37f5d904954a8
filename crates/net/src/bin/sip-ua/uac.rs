use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context};
use net::Stack;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sip::auth::Authenticator;
use sip::dialog::Dialog;
use sip::msg::{Message, Method, Request, SipMessage, Uri};
use sip::sdp::{process_answer, MediaConfig, SdpSession, SessionDescription};
use sip::transport::{Remote, TransportKind};

use crate::common::{contact, media_ip, next_hop, parse_transport, send_authenticated};

#[derive(clap::Args)]
pub(crate) struct Options {
    /// Whom to call, e.g. sip:service@127.0.0.1:5099.
    target: String,
    /// Where to send the INVITE (the peer, or an outbound proxy).
    #[arg(long)]
    to: SocketAddr,
    #[arg(long, default_value = "udp", value_parser = parse_transport)]
    transport: TransportKind,
    /// How long to stay in the call before hanging up.
    #[arg(long, default_value_t = 1000)]
    hold_ms: u64,
    /// How long to stay up after hanging up, so that a peer still using our TCP connection
    /// (sipp's UAS waits 4 s after the BYE) does not see it close.
    #[arg(long, default_value_t = 0)]
    linger_ms: u64,
    /// Our user name (From and Contact).
    #[arg(long, default_value = "uac")]
    user: String,
    /// Our domain for From; defaults to our own address.
    #[arg(long)]
    domain: Option<String>,
    /// Environment variable holding the password, for servers that challenge.
    #[arg(long)]
    password_env: Option<String>,
    #[arg(long, default_value_t = 40002)]
    rtp_port: u16,
}

pub(crate) async fn run(stack: Stack, o: Options) -> anyhow::Result<()> {
    let proxy = Remote {
        transport: o.transport,
        addr: o.to,
    };
    let target = Uri::parse(&o.target).context("bad target URI")?;
    let domain = match &o.domain {
        Some(d) => d.clone(),
        None => stack
            .contact_host_port(o.transport, None)
            .context("no socket")?,
    };
    let mut auth = match &o.password_env {
        Some(var) => Some(Authenticator::new(
            o.user.clone(),
            std::env::var(var).with_context(|| format!("{var} is not set"))?,
        )),
        None => None,
    };
    let mut rng = SmallRng::from_entropy();
    let mut sdp = SdpSession::new(MediaConfig::audio(media_ip(&stack), o.rtp_port), rng.gen());
    let offer = sdp.create_offer(&mut rng);

    let mut invite = Request::new(Method::Invite, target.clone());
    let tag = stack.new_tag().await?;
    invite
        .headers
        .push("From", format!("<sip:{}@{domain}>;tag={tag}", o.user));
    invite.headers.push("To", format!("<{target}>"));
    invite.headers.push("Call-ID", stack.new_call_id().await?);
    invite.headers.push("CSeq", "1 INVITE");
    invite
        .headers
        .push("Contact", contact(&stack, &o.user, o.transport)?);
    invite.headers.push("Content-Type", "application/sdp");
    invite.body = offer.to_string().into_bytes();

    let (sent, resp) = send_authenticated(&stack, invite, proxy, auth.as_mut()).await?;
    if !resp.is_success() {
        bail!("call failed: {} {}", resp.status, resp.reason);
    }
    let mut dialog = Dialog::new_uac(&sent, &resp)?;
    let hop = first_hop(&dialog, o.transport, proxy);
    let ack = dialog.create_ack(sent.cseq()?.seq);
    stack.send_stateless(Message::Request(ack), hop)?;
    let answer = SessionDescription::parse(std::str::from_utf8(&resp.body)?)?;
    let negotiated = process_answer(&offer, &answer)?;
    eprintln!(
        "sip-ua uac: call established, codec {} to {}",
        negotiated.codec.name, negotiated.remote_rtp
    );

    tokio::time::sleep(Duration::from_millis(o.hold_ms)).await;
    let bye = dialog.create_request(Method::Bye);
    let (_, resp) = send_authenticated(&stack, bye, hop, auth.as_mut()).await?;
    if !resp.is_success() {
        bail!("BYE failed: {} {}", resp.status, resp.reason);
    }
    eprintln!("sip-ua uac: call ended");
    tokio::time::sleep(Duration::from_millis(o.linger_ms)).await;
    stack.shutdown().await;
    Ok(())
}

/// In-dialog requests go to the first route, or to the remote target (RFC 3261 §12.2.1.1).
fn first_hop(dialog: &Dialog, transport: TransportKind, proxy: Remote) -> Remote {
    match dialog.route_set().first() {
        Some(route) => next_hop(&route.uri, transport, proxy),
        None => next_hop(dialog.remote_target(), transport, proxy),
    }
}
