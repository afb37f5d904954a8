//! Stream peers cannot make a stack hold memory or sockets for ever, over real loopback
//! sockets: a peer that never reads has its connection closed at the write-queue limit, one
//! that stalls in a message or stays quiet is cut off after its timeout (virtual time), and
//! connections beyond the cap are refused.

use std::net::SocketAddr;
use std::time::Duration;

use net::{Incoming, Stack, StackConfig, StackError, StackStats};
use sip::endpoint::Config;
use sip::msg::{Method, Request, Uri};
use sip::transport::{Remote, StreamLimits, TransportKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc::UnboundedReceiver;

const PARTIAL: Duration = Duration::from_secs(30);
const IDLE: Duration = Duration::from_secs(600);

async fn stack(streams: StreamLimits) -> (Stack, UnboundedReceiver<Incoming>, SocketAddr) {
    let config = StackConfig {
        udp: None,
        tcp: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        endpoint: Config {
            max_message_size: 8 * 1024,
            streams,
            ..Config::default()
        },
        public_host: None,
        tls: Default::default(),
    };
    let (stack, incoming) = Stack::start(config).await.expect("loopback binds");
    let addr = stack.local_addr(TransportKind::Tcp).expect("bound");
    (stack, incoming, addr)
}

fn limits() -> StreamLimits {
    StreamLimits {
        partial_timeout: PARTIAL,
        idle_timeout: IDLE,
        ..StreamLimits::default()
    }
}

async fn stats(stack: &Stack) -> StackStats {
    stack.stats().await.expect("running")
}

/// Waits (in real time, polling) until the stack's stats satisfy `done`.
async fn until(stack: &Stack, done: impl Fn(&StackStats) -> bool) -> StackStats {
    let wait = async {
        loop {
            let s = stats(stack).await;
            if done(&s) {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .expect("the stack gets there")
}

/// A keep-alive round trip (RFC 5626 §3.5.1): proves the stack serves the connection and has
/// read everything written before.
async fn ping(conn: &mut TcpStream) {
    conn.write_all(b"\r\n\r\n").await.unwrap();
    let mut pong = [0u8; 2];
    conn.read_exact(&mut pong).await.unwrap();
    assert_eq!(&pong, b"\r\n");
}

/// Reads until the stack hangs up (real time, bounded).
async fn closed_by_stack(conn: &mut TcpStream) {
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the stack closes the connection");
}

/// A request the stack answers 400 by itself (its CSeq is no number), made large by its Vias,
/// which the answer copies.
fn bad_request(n: usize) -> Vec<u8> {
    let mut req = String::from("OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n");
    for hop in 0..40 {
        req += &format!("Via: SIP/2.0/TCP 10.0.0.{hop}:5060;branch=z9hG4bKflood{n}x{hop}\r\n");
    }
    req += &format!(
        "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\n\
         Call-ID: flood-{n}\r\nCSeq: one OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    req.into_bytes()
}

#[tokio::test]
async fn peer_that_never_reads_is_closed_at_the_queue_limit() {
    const QUEUE: usize = 64 * 1024;
    let (stack, _incoming, at) = stack(StreamLimits {
        max_queued: QUEUE,
        ..limits()
    })
    .await;
    // A small receive buffer, so that little of what the stack writes hides in the kernel.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut conn = socket.connect(at).await.unwrap();
    ping(&mut conn).await;

    // A transaction of ours over the connection, which must fail as soon as it closes.
    let peer = Remote {
        transport: TransportKind::Tcp,
        addr: conn.local_addr().unwrap(),
    };
    let mut options = Request::new(Method::Options, Uri::parse("sip:peer@127.0.0.1").unwrap());
    let h = &mut options.headers;
    h.push("From", "<sip:stack@127.0.0.1>;tag=s");
    h.push("To", "<sip:peer@127.0.0.1>");
    h.push("Call-ID", "never-read");
    h.push("CSeq", "1 OPTIONS");
    h.push("Max-Forwards", "70");
    let mut txn = stack.send_request(options, peer).await.expect("sent");

    let (mut read, mut write) = conn.into_split();
    let flood = tokio::spawn(async move {
        let mut sent = 0;
        for n in 0.. {
            let req = bad_request(n);
            if write.write_all(&req).await.is_err() {
                return true;
            }
            sent += req.len();
            // Far beyond the queue limit plus every socket buffer on the way.
            if sent > 256 * 1024 * 1024 {
                break;
            }
        }
        false
    });
    let mut most = 0;
    while !flood.is_finished() {
        most = most.max(stats(&stack).await.queued_bytes);
        tokio::task::yield_now().await;
    }
    assert!(flood.await.unwrap(), "the stack kept the connection");
    assert!(most <= QUEUE, "{most} bytes queued, limit {QUEUE}");

    // Timer F is 32 s; the closed connection fails the transaction at once.
    let failed = tokio::time::timeout(Duration::from_secs(10), txn.final_response())
        .await
        .expect("failed before Timer F");
    assert!(
        matches!(failed, Err(StackError::TransportFailed)),
        "{failed:?}"
    );
    let s = stats(&stack).await;
    assert_eq!((s.connections, s.queued_bytes), (0, 0));
    let mut rest = Vec::new();
    let _ = read.read_to_end(&mut rest).await;
}

#[tokio::test]
async fn stalled_message_is_cut_off_after_the_partial_timeout() {
    let (stack, _incoming, at) = stack(limits()).await;
    let mut conn = TcpStream::connect(at).await.unwrap();
    // One write, so one read: the ping's answer shows the half header behind it was read.
    conn.write_all(
        b"\r\n\r\nINVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKhalf\r\n",
    )
    .await
    .unwrap();
    let mut pong = [0u8; 2];
    conn.read_exact(&mut pong).await.unwrap();

    tokio::time::pause();
    tokio::time::advance(PARTIAL - Duration::from_secs(1)).await;
    assert_eq!(
        stats(&stack).await.connections,
        1,
        "open before the timeout"
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    tokio::time::resume();
    closed_by_stack(&mut conn).await;
    until(&stack, |s| s.connections == 0).await;
}

#[tokio::test]
async fn quiet_connection_is_closed_after_the_idle_timeout_and_keepalives_count() {
    let (stack, _incoming, at) = stack(limits()).await;
    let mut conn = TcpStream::connect(at).await.unwrap();
    ping(&mut conn).await;
    let first_ping = tokio::time::Instant::now();

    tokio::time::pause();
    tokio::time::advance(IDLE - Duration::from_secs(1)).await;
    // Waiting for the pong may let the clock run to the old deadline, but what arrived by a
    // deadline counts: the ping is seen first.
    ping(&mut conn).await;
    tokio::time::advance(IDLE - Duration::from_secs(1)).await;
    assert_eq!(stats(&stack).await.connections, 1, "the keep-alive kept it");
    assert!(first_ping.elapsed() > IDLE);
    tokio::time::advance(Duration::from_secs(2)).await;
    tokio::time::resume();
    closed_by_stack(&mut conn).await;
    until(&stack, |s| s.connections == 0).await;
}

#[tokio::test]
async fn connections_beyond_the_cap_are_refused() {
    let (stack, _incoming, at) = stack(StreamLimits {
        max_accepted: 2,
        ..limits()
    })
    .await;
    let mut first = TcpStream::connect(at).await.unwrap();
    ping(&mut first).await;
    let mut second = TcpStream::connect(at).await.unwrap();
    ping(&mut second).await;

    let mut third = TcpStream::connect(at).await.unwrap();
    let _ = third.write_all(b"\r\n\r\n").await;
    closed_by_stack(&mut third).await;
    assert_eq!(stats(&stack).await.connections, 2);

    drop(first);
    until(&stack, |s| s.connections == 1).await;
    let mut fourth = TcpStream::connect(at).await.unwrap();
    ping(&mut fourth).await;
    ping(&mut second).await;
}
