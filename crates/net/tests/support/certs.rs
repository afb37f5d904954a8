//! A private CA and a server certificate for 127.0.0.1 and localhost, made per test run.
//! Shared by the TLS tests of several crates (included with `#[path]`).

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};

/// Writes `ca.pem`, `cert.pem` and `key.pem` into `dir`.
pub(crate) fn make_certificates(dir: &Path) {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let key = KeyPair::generate().expect("server key");
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    let cert = params.signed_by(&key, &ca, &ca_key).expect("signed");
    std::fs::write(dir.join("ca.pem"), ca.pem()).expect("written");
    std::fs::write(dir.join("cert.pem"), cert.pem()).expect("written");
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).expect("written");
}
