//! SIP over TLS with halo-server holding a certificate from a private CA: a phone that trusts
//! the CA signs in over HTTPS, learns the TLS registrar from the login answer alone, registers
//! over TLS, and exchanges presence and chat with a phone on UDP; the server reaches it only
//! through the connection it opened. Real processes over loopback.

mod common;

use std::path::{Path, PathBuf};

use common::{free_port, is, Phone, Server};

#[path = "../../net/tests/support/certs.rs"]
mod certs;
use certs::make_certificates;

/// A server with a certificate from a fresh private CA, serving SIP over TLS too; and the CA.
fn tls_server(certs: &Path) -> (Server, PathBuf) {
    make_certificates(certs);
    let toml = format!(
        "sip_tls = \"127.0.0.1:{}\"\n[tls]\ncert = \"{}\"\nkey = \"{}\"\n",
        free_port(),
        certs.join("cert.pem").display(),
        certs.join("key.pem").display(),
    );
    (Server::start_with_config(&toml), certs.join("ca.pem"))
}

fn phone(server: &Server, user: &str, ca: &Path, extra: &[&str]) -> Phone {
    let mut args: Vec<String> = vec![
        "--server".into(),
        format!("https://127.0.0.1:{}", server.http),
        "--user".into(),
        user.into(),
        "--data".into(),
        server.data(user).display().to_string(),
        "--tls-ca".into(),
        ca.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    Phone::spawn(&args, &format!("{user}-secret"))
}

#[test]
fn a_phone_on_tls_talks_to_a_phone_on_udp() {
    let certs = tempfile::tempdir().expect("temp dir");
    let (server, ca) = tls_server(certs.path());
    // alice is given no registrar: the TLS one comes from the login answer.
    let mut alice = phone(&server, "alice", &ca, &["--transport", "tls"]);
    let sip = format!("sip:127.0.0.1:{}", server.sip);
    let mut bob = phone(&server, "bob", &ca, &["--registrar", &sip]);
    alice.wait("alice registered over TLS", is("registered"));
    bob.wait("bob registered over UDP", is("registered"));

    alice.send("status away over TLS");
    let p = bob.wait("alice's note", |v| {
        v["event"] == "presence" && v["note"] == "over TLS"
    });
    assert_eq!(p["status"], "away");
    bob.send("status busy over UDP");
    alice.wait("bob's note, notified over alice's connection", |v| {
        v["event"] == "presence" && v["note"] == "over UDP" && v["status"] == "busy"
    });

    alice.send("msg sip:bob@halo.test sent over TLS");
    let m = bob.wait("alice's message", is("message"));
    assert_eq!(m["text"], "sent over TLS");
    bob.send("msg sip:alice@halo.test relayed into the TLS connection");
    let m = alice.wait("bob's message", is("message"));
    assert_eq!(m["text"], "relayed into the TLS connection");

    alice.quit();
    bob.quit();
}

#[test]
fn a_phone_without_the_ca_does_not_sign_in() {
    let certs = tempfile::tempdir().expect("temp dir");
    let (server, _ca) = tls_server(certs.path());
    let args: Vec<String> = vec![
        "--server".into(),
        format!("https://127.0.0.1:{}", server.http),
        "--user".into(),
        "alice".into(),
        "--data".into(),
        server.data("alice").display().to_string(),
        "--transport".into(),
        "tls".into(),
    ];
    let mut alice = Phone::spawn(&args, "alice-secret");
    let status = alice.child.0.wait().expect("exits");
    assert!(!status.success(), "an untrusted server is refused");
}
