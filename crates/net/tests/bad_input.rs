//! Bad input over real loopback sockets: a malformed request gets a 400 with a reason, and a
//! TCP peer that never ends its header is cut off instead of being buffered without limit.

use std::net::SocketAddr;
use std::time::Duration;

use net::{Incoming, Stack, StackConfig};
use sip::endpoint::Config;
use sip::transport::TransportKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc::UnboundedReceiver;

/// A stack with a small message limit, and its incoming receiver (kept so the driver runs).
async fn stack() -> (Stack, UnboundedReceiver<Incoming>) {
    let config = StackConfig {
        udp: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        tcp: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        endpoint: Config {
            max_message_size: 8 * 1024,
            ..Config::default()
        },
        public_host: None,
        tls: Default::default(),
    };
    Stack::start(config).await.expect("start stack")
}

#[tokio::test]
async fn malformed_request_gets_400_with_reason() {
    let (stack, _incoming) = stack().await;
    let to = stack.local_addr(TransportKind::Udp).unwrap();
    let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let bad = "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbad1\r\n\
        From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\n\
        Call-ID: bad-cseq\r\nCSeq: one OPTIONS\r\nContent-Length: 0\r\n\r\n";
    peer.send_to(bad.as_bytes(), to).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let (n, _) = tokio::time::timeout(Duration::from_secs(5), peer.recv_from(&mut buf))
        .await
        .expect("an answer")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("SIP/2.0 400 "), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("cseq"),
        "reason names the problem: {text}"
    );
    assert!(text.contains("Call-ID: bad-cseq"), "{text}");
}

#[tokio::test]
async fn endless_tcp_header_is_cut_off() {
    let (stack, _incoming) = stack().await;
    let to = stack.local_addr(TransportKind::Tcp).unwrap();
    let mut conn = TcpStream::connect(to).await.unwrap();
    conn.write_all(b"INVITE sip:x@127.0.0.1 SIP/2.0\r\n")
        .await
        .unwrap();
    let junk = b"X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    let mut written = 0usize;
    let closed = loop {
        match conn.write_all(junk).await {
            Ok(()) => written += junk.len(),
            Err(_) => break true,
        }
        // Far beyond the 8 KiB limit (plus socket buffers): the stack must have hung up.
        if written > 16 * 1024 * 1024 {
            break false;
        }
    };
    let mut rest = Vec::new();
    let eof = closed
        || tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut rest))
            .await
            .is_ok();
    assert!(eof, "the stack kept reading an endless header");
}
