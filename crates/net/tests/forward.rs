//! `Stack::forward_request` over real loopback sockets: the relayed request carries the proxy's
//! Via above the original one, and the answer comes back to the proxy's transaction.

use std::net::SocketAddr;

use net::{Incoming, Stack, StackConfig};
use sip::endpoint::Config;
use sip::msg::{Method, Request, Response, SipMessage, Uri};
use sip::transport::{Remote, TransportKind};

async fn stack() -> (Stack, tokio::sync::mpsc::UnboundedReceiver<Incoming>) {
    Stack::start(StackConfig {
        udp: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        tcp: None,
        endpoint: Config::default(),
        public_host: None,
        tls: Default::default(),
    })
    .await
    .expect("loopback binds")
}

#[tokio::test]
async fn forwarded_request_keeps_upstream_via_and_returns_the_response() {
    let (proxy, _proxy_in) = stack().await;
    let (uas, mut uas_in) = stack().await;
    let uas_addr = uas.local_addr(TransportKind::Udp).expect("udp bound");

    let mut req = Request::new(Method::Message, Uri::parse("sip:bob@127.0.0.1").unwrap());
    let h = &mut req.headers;
    h.push("Via", "SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKupstream");
    h.push("From", "<sip:alice@example.test>;tag=a");
    h.push("To", "<sip:bob@example.test>");
    h.push("Call-ID", "fwd-1");
    h.push("CSeq", "1 MESSAGE");
    h.push("Max-Forwards", "69");
    let to = Remote {
        transport: TransportKind::Udp,
        addr: uas_addr,
    };
    let mut txn = proxy.forward_request(req, to).await.expect("sent");

    let Some(Incoming::Request {
        txn: server,
        request,
        ..
    }) = uas_in.recv().await
    else {
        panic!("the UAS gets the request");
    };
    let vias = request.vias().expect("valid Vias");
    assert_eq!(vias.len(), 2);
    assert_eq!(vias[1].branch(), Some("z9hG4bKupstream"));
    let mut ok = Response::to_request(&request, 200, "OK");
    ok.headers.set("To", "<sip:bob@example.test>;tag=b");
    uas.respond(server, ok).await.expect("answered");

    let resp = txn.final_response().await.expect("response relayed back");
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.vias().expect("valid").len(),
        2,
        "the proxy strips its Via itself"
    );
}
