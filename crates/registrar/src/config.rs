//! The registrar's policy: domain, expiry bounds, limits.

use std::net::SocketAddr;
use std::time::Duration;

use sip::auth::{Algorithm, ServerConfig};

/// Settings of one registrar.
#[derive(Debug, Clone)]
pub struct Config {
    /// The SIP domain of the users' AORs; requests for other domains get 403 or 404.
    pub domain: String,
    /// Digest: realm (the one the stored HA1 values were computed for), algorithms, nonce age.
    pub digest: ServerConfig,
    /// Keys the nonce HMAC; random per start is fine (old nonces then answer `stale`).
    pub nonce_secret: Vec<u8>,
    /// Shorter non-zero registration expiries get `423` (RFC 3261 §10.3 step 7).
    pub min_expires: u32,
    /// Longer ones are cut down to this.
    pub max_expires: u32,
    /// Used when the REGISTER says nothing.
    pub default_expires: u32,
    /// PUBLISH and SUBSCRIBE bounds (RFC 3903 §6 step 5, RFC 6665 §4.2.1.1).
    pub event_min_expires: u32,
    /// Longer publications and subscriptions are cut down to this.
    pub event_max_expires: u32,
    /// MESSAGE bodies above this get `413` (RFC 3428 §7 asks for a limit; 1300 bytes keeps
    /// UDP unfragmented, but chat lines with UTF-8 need more, and TCP carries it).
    pub max_message_bytes: usize,
    /// The least time between two NOTIFYs of one subscription: changes inside the window are
    /// merged into one NOTIFY of the newest state.
    pub notify_interval: Duration,
    /// Where our sockets are, for Record-Route and the Via of forwarded ACKs.
    pub udp: Option<SocketAddr>,
    /// The TCP listener, if any.
    pub tcp: Option<SocketAddr>,
    /// The TLS listener, if any.
    pub tls: Option<SocketAddr>,
    /// The username of the echo buddy; `None` disables it.
    pub echo_user: Option<String>,
    /// Where the echo buddy's reflector (`echo_media::reflect`) receives RTP; without one the
    /// echo buddy answers calls 480.
    pub echo_media: Option<SocketAddr>,
    /// How long the reflector holds each packet before sending it back.
    pub echo_delay: Duration,
    /// Whether challenges also offer `Bearer realm=…` (RFC 8898). Some Digest-only phones
    /// (libre-based, baresip 1.0) abandon a 401 carrying any challenge they do not know.
    pub bearer_challenge: bool,
}

impl Config {
    /// Defaults for `domain` (also the realm), with our sockets still unknown.
    pub fn new(domain: impl Into<String>) -> Config {
        let domain = domain.into();
        let mut digest = ServerConfig::new(domain.clone());
        // MD5 first: sipp and older phones (baresip 1.0) take the first challenge and know
        // only MD5; SHA-256 clients still find theirs (RFC 8760 §2.4 lets a client choose).
        digest.algorithms = vec![Algorithm::Md5, Algorithm::Sha256];
        // Sized for ~10k authenticated REGISTERs/s over the nonce lifetime, so that the
        // bounded replay map never forgets a nonce it just issued (see `ReplayGuard`).
        digest.replay_capacity = 1 << 20;
        Config {
            domain,
            digest,
            nonce_secret: rand::random::<[u8; 32]>().to_vec(),
            min_expires: 60,
            max_expires: 3600,
            default_expires: 3600,
            event_min_expires: 60,
            event_max_expires: 3600,
            max_message_bytes: 8 * 1024,
            notify_interval: Duration::from_millis(200),
            udp: None,
            tcp: None,
            tls: None,
            echo_user: Some("echo".to_owned()),
            echo_media: None,
            echo_delay: Duration::from_millis(500),
            bearer_challenge: true,
        }
    }
}
