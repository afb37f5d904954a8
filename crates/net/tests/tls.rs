//! SIP over TLS on real loopback sockets, with a CA and certificate made for the test: a
//! request and its answer both ways over one connection, a client that does not trust the
//! certificate failing cleanly, and a plain-TCP peer on the TLS port turned away without
//! harming the next TLS client.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use net::tls::{client_config, server_config};
use net::{Incoming, Stack, StackConfig, StackError, TlsConfig};
use sip::endpoint::Config;
use sip::msg::{Method, Request, Response, SipMessage, Uri};
use sip::transport::{Remote, TransportKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc::UnboundedReceiver;

#[path = "support/certs.rs"]
mod certs;
use certs::make_certificates;

const LOOPBACK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

async fn start(tls: TlsConfig) -> (Stack, UnboundedReceiver<Incoming>) {
    Stack::start(StackConfig {
        udp: None,
        tcp: None,
        endpoint: Config::default(),
        public_host: None,
        tls,
    })
    .await
    .expect("loopback binds")
}

async fn server(dir: &Path) -> (Stack, UnboundedReceiver<Incoming>, Remote) {
    let config = server_config(&dir.join("cert.pem"), &dir.join("key.pem")).expect("loads");
    let (stack, incoming) = start(TlsConfig {
        listen: Some((SocketAddr::new(LOOPBACK, 0), config)),
        ..TlsConfig::default()
    })
    .await;
    let addr = stack.local_addr(TransportKind::Tls).expect("listening");
    let remote = Remote {
        transport: TransportKind::Tls,
        addr,
    };
    (stack, incoming, remote)
}

async fn client(ca: Option<&Path>) -> (Stack, UnboundedReceiver<Incoming>) {
    start(TlsConfig {
        client: Some(client_config(ca).expect("trust loads")),
        ..TlsConfig::default()
    })
    .await
}

fn options(n: u32, host: &str) -> Request {
    let mut req = Request::new(Method::Options, Uri::parse(&format!("sip:{host}")).unwrap());
    let h = &mut req.headers;
    h.push("From", format!("<sip:alice@example.test>;tag=a{n}"));
    h.push("To", "<sip:example.test>");
    h.push("Call-ID", format!("tls-{n}"));
    h.push("CSeq", format!("{n} OPTIONS"));
    h.push("Max-Forwards", "70");
    req
}

/// Answers the next request with 200 and says where it came from.
async fn answer_next(stack: &Stack, incoming: &mut UnboundedReceiver<Incoming>) -> Remote {
    let Some(Incoming::Request { txn, request, from }) = incoming.recv().await else {
        panic!("a request arrives");
    };
    let mut ok = Response::to_request(&request, 200, "OK");
    ok.headers
        .set("To", format!("{};tag=s", request.header("To").unwrap()));
    stack.respond(txn, ok).await.expect("answered");
    from
}

#[tokio::test]
async fn requests_go_both_ways_over_one_tls_connection() {
    let dir = tempfile::tempdir().expect("temp dir");
    make_certificates(dir.path());
    let (srv, mut srv_in, at) = server(dir.path()).await;
    let (cli, mut cli_in) = client(Some(&dir.path().join("ca.pem"))).await;

    let mut txn = cli
        .send_request(options(1, "127.0.0.1"), at)
        .await
        .expect("sent");
    let from = answer_next(&srv, &mut srv_in).await;
    assert_eq!(from.transport, TransportKind::Tls);
    assert_eq!(txn.final_response().await.expect("answered").status, 200);

    // The server reaches the client through the connection the client opened: the client
    // has no listener at all.
    let mut back = srv
        .send_request(options(2, "client.invalid"), from)
        .await
        .expect("sent");
    let reached = answer_next(&cli, &mut cli_in).await;
    assert_eq!(reached, at, "over the same connection");
    assert_eq!(back.final_response().await.expect("answered").status, 200);
}

#[tokio::test]
async fn an_untrusted_certificate_fails_the_transaction() {
    let dir = tempfile::tempdir().expect("temp dir");
    make_certificates(dir.path());
    let (_srv, mut srv_in, at) = server(dir.path()).await;
    let (cli, _cli_in) = client(None).await;
    let mut txn = cli
        .send_request(options(1, "127.0.0.1"), at)
        .await
        .expect("sent");
    assert!(matches!(
        txn.final_response().await,
        Err(StackError::TransportFailed)
    ));
    assert!(srv_in.try_recv().is_err(), "nothing reached the server");
}

#[tokio::test]
async fn plain_tcp_on_the_tls_port_is_closed_and_harmless() {
    let dir = tempfile::tempdir().expect("temp dir");
    make_certificates(dir.path());
    let (srv, mut srv_in, at) = server(dir.path()).await;
    let mut plain = tokio::net::TcpStream::connect(at.addr)
        .await
        .expect("connects");
    let mut bytes = options(1, "127.0.0.1");
    bytes
        .headers
        .push("Via", "SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKplain");
    plain.write_all(&bytes.to_bytes()).await.expect("written");
    let mut buf = [0u8; 512];
    let closed = tokio::time::timeout(Duration::from_secs(30), plain.read(&mut buf))
        .await
        .expect("the server closes the connection");
    // rustls may first send an alert; what matters is that the connection ends.
    if let Ok(n) = closed {
        if n > 0 {
            let rest = tokio::time::timeout(Duration::from_secs(30), plain.read(&mut buf))
                .await
                .expect("closed after the alert");
            assert!(matches!(rest, Ok(0) | Err(_)));
        }
    }

    let (cli, _cli_in) = client(Some(&dir.path().join("ca.pem"))).await;
    let mut txn = cli
        .send_request(options(2, "127.0.0.1"), at)
        .await
        .expect("sent");
    answer_next(&srv, &mut srv_in).await;
    assert_eq!(txn.final_response().await.expect("answered").status, 200);
}
