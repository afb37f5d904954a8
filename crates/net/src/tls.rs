//! SIP over TLS (RFC 3261 §26.3.1, RFC 5630 for the `sip:` + `transport=tls` form): the
//! certificates and trust a [`Stack`](crate::Stack) uses, built once and shared by every
//! connection. rustls with the ring provider, chosen per config rather than process-wide, so
//! a library user's own rustls setup is left alone.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// What a stack needs for TLS: a listener's certificate, trust for the connections it opens,
/// or both.
#[derive(Debug, Clone, Default)]
pub struct TlsConfig {
    /// Accept SIP over TLS on this address with this certificate.
    pub listen: Option<(SocketAddr, Arc<ServerConfig>)>,
    /// Trust for outgoing connections; `None` means no outgoing TLS.
    pub client: Option<Arc<ClientConfig>>,
    /// The name outgoing peers' certificates must carry; by default their IP address (a
    /// stack only ever connects to IP literals, never resolving names itself).
    pub server_name: Option<String>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn invalid(path: &Path, what: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {what}: {e}", path.display()),
    )
}

/// A listener's configuration from a PEM certificate chain and private key.
pub fn server_config(cert: &Path, key: &Path) -> io::Result<Arc<ServerConfig>> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| invalid(cert, "reading the certificate chain", e))?;
    if chain.is_empty() {
        return Err(invalid(
            cert,
            "reading the certificate chain",
            "no certificate",
        ));
    }
    let key_der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| invalid(key, "reading the private key", e))?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(cert, "TLS versions", e))?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| invalid(cert, "certificate and key", e))?;
    Ok(Arc::new(config))
}

/// Trust for outgoing connections: the Mozilla root set, plus the CA certificates in
/// `extra_ca` (a PEM file) for a server with a private CA.
pub fn client_config(extra_ca: Option<&Path>) -> io::Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = extra_ca {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| invalid(path, "reading CA certificates", e))?;
        if certs.is_empty() {
            return Err(invalid(path, "reading CA certificates", "no certificate"));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| invalid(path, "adding a CA certificate", e))?;
        }
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| io::Error::other(format!("TLS versions: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The name to check a peer at `addr` against.
pub(crate) fn peer_name(
    configured: Option<&str>,
    addr: SocketAddr,
) -> io::Result<ServerName<'static>> {
    match configured {
        Some(name) => ServerName::try_from(name.to_owned())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{name}: {e}"))),
        None => Ok(ServerName::IpAddress(addr.ip().into())),
    }
}
