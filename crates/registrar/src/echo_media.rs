//! The echo buddy's reflector: every datagram that reaches its socket goes back to where it
//! came from, `delay` later. It keeps no per-call state and reads nothing inside the packets
//! (RTP, RTCP under rtcp-mux, SRTP alike); one packet out per packet in, so it cannot
//! amplify traffic towards a spoofed source.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::time::Instant;

/// Packets waiting out the delay; more are dropped (a 1 s delay of 50 calls at 50 packets/s
/// needs 2,500).
const MAX_QUEUED: usize = 65_536;

/// Reflects until `stop` turns true.
pub async fn reflect(socket: UdpSocket, delay: Duration, mut stop: watch::Receiver<bool>) {
    let mut queue: VecDeque<(Instant, SocketAddr, Vec<u8>)> = VecDeque::new();
    let mut buf = vec![0u8; 2_048];
    loop {
        let next = queue.front().map(|(due, _, _)| *due);
        tokio::select! {
            got = socket.recv_from(&mut buf) => match got {
                Ok((n, from)) if queue.len() < MAX_QUEUED => {
                    queue.push_back((Instant::now() + delay, from, buf[..n].to_vec()));
                }
                Ok(_) => {}
                // A port-unreachable report for an earlier send: the caller has gone.
                Err(e) => tracing::debug!(error = %e, "echo reflector receive"),
            },
            () = sleep_until(next) => {
                let now = Instant::now();
                while queue.front().is_some_and(|(due, _, _)| *due <= now) {
                    let (_, to, packet) = queue.pop_front().expect("front checked");
                    let _ = socket.send_to(&packet, to).await;
                }
            }
            // The guard `wait_for` returns is not `Send`: keep it inside this block.
            _ = async { stop.wait_for(|s| *s).await.is_ok() } => return,
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
