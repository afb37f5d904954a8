//! A stack lets go of client transactions when they end: after a final response, and for an
//! INVITE answered 2xx once Timer M (64·T1, RFC 6026) has passed. Before, every transaction's
//! listener stayed for ever: one leaked entry per NOTIFY, MESSAGE or relayed request.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use net::{Incoming, Stack, StackConfig};
use sip::endpoint::Config;
use sip::msg::{Method, Request, Response, Uri};
use sip::transport::{Remote, TransportKind};
use tokio::sync::mpsc::UnboundedReceiver;

async fn stack(t1: Duration) -> (Stack, UnboundedReceiver<Incoming>, Remote) {
    let mut endpoint = Config::default();
    endpoint.timers.t1 = t1;
    let (stack, incoming) = Stack::start(StackConfig {
        udp: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        tcp: None,
        endpoint,
        public_host: None,
        tls: Default::default(),
    })
    .await
    .expect("loopback binds");
    let addr = stack.local_addr(TransportKind::Udp).expect("bound");
    let remote = Remote {
        transport: TransportKind::Udp,
        addr,
    };
    (stack, incoming, remote)
}

fn request(method: Method, n: u32) -> Request {
    let mut req = Request::new(method.clone(), Uri::parse("sip:bob@127.0.0.1").unwrap());
    let h = &mut req.headers;
    h.push("From", format!("<sip:alice@example.test>;tag=a{n}"));
    h.push("To", "<sip:bob@example.test>");
    h.push("Call-ID", format!("listeners-{n}"));
    h.push("CSeq", format!("1 {method}"));
    h.push("Max-Forwards", "70");
    h.push("Contact", "<sip:alice@127.0.0.1>");
    req
}

async fn answer(stack: &Stack, incoming: &mut UnboundedReceiver<Incoming>) {
    let Some(Incoming::Request { txn, request, .. }) = incoming.recv().await else {
        panic!("a request arrives");
    };
    let mut ok = Response::to_request(&request, 200, "OK");
    ok.headers.set("To", "<sip:bob@example.test>;tag=b");
    ok.headers.push("Contact", "<sip:bob@127.0.0.1>");
    stack.respond(txn, ok).await.expect("answered");
}

async fn listened(stack: &Stack) -> usize {
    stack.stats().await.expect("running").listened_transactions
}

#[tokio::test]
async fn listeners_end_with_their_transactions() {
    // A short T1, so that Timer M (64·T1) is over in a third of a second.
    let t1 = Duration::from_millis(5);
    let (client, _client_in, _) = stack(t1).await;
    let (server, mut server_in, at) = stack(t1).await;

    for n in 0..3 {
        let mut txn = client
            .send_request(request(Method::Options, n), at)
            .await
            .expect("sent");
        answer(&server, &mut server_in).await;
        assert_eq!(txn.final_response().await.expect("answered").status, 200);
    }
    assert_eq!(listened(&client).await, 0, "non-INVITEs end at their final");

    let mut invite = client
        .send_request(request(Method::Invite, 9), at)
        .await
        .expect("sent");
    answer(&server, &mut server_in).await;
    assert_eq!(invite.final_response().await.expect("answered").status, 200);
    assert_eq!(listened(&client).await, 1, "kept for other forks' 2xx");
    let deadline = Instant::now() + Duration::from_secs(10);
    while listened(&client).await != 0 {
        assert!(Instant::now() < deadline, "let go after Timer M");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
