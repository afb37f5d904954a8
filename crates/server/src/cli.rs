//! Command-line arguments.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The Halo server: users service (and, later, the SIP registrar) plus operator commands.
#[derive(Debug, Parser)]
#[command(name = "halo-server", version)]
pub(crate) struct Cli {
    /// A TOML configuration file; command-line options override it.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Data directory (SQLite file and signing keys).
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// SIP domain of the users; also the Digest realm unless configured otherwise.
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) domain: Option<String>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Runs the services until SIGTERM or SIGINT.
    Serve(ServeArgs),
    /// Manages users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manages signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address of the HTTP API, e.g. 0.0.0.0:8443; port 0 picks a free one.
    #[arg(long, value_name = "ADDR:PORT")]
    pub(crate) http: Option<SocketAddr>,
    /// PEM certificate chain; serves HTTPS together with --tls-key.
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Seeds demo users (alice, bob, carol, admin) and prints their passwords.
    #[arg(long)]
    pub(crate) demo: bool,
    /// Address of the SIP registrar, UDP and TCP, e.g. 0.0.0.0:5060; no SIP without it.
    #[arg(long, value_name = "ADDR:PORT")]
    pub(crate) sip: Option<SocketAddr>,
    /// Also serve SIP over TLS here, e.g. 0.0.0.0:5061, with the certificate of --tls-cert
    /// (or the config file's [tls]); needs --sip.
    #[arg(long, requires = "sip", value_name = "ADDR:PORT")]
    pub(crate) sip_tls: Option<SocketAddr>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Adds a user; the password comes from HALO_PASSWORD or the first line of stdin.
    Add {
        /// Username (SIP user part).
        name: String,
        /// Grants the admin role.
        #[arg(long)]
        admin: bool,
        /// Name shown to others; defaults to the username.
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Lists users.
    List,
    /// Removes a user.
    Remove {
        /// Username.
        name: String,
    },
    /// Sets a user's password (from HALO_PASSWORD or stdin) and ends their sessions.
    Passwd {
        /// Username.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Creates a new signing key; a running server signs its next token with it.
    Rotate,
}
