//! `sip-ua`: a small user agent on Halo's SIP core, for interop tests and for poking at SIP
//! servers by hand. It answers calls (`uas`), places one (`uac`), or registers (`register`),
//! and exits 0 only when the exchange succeeded.

mod common;
mod register;
mod uac;
mod uas;

use std::net::SocketAddr;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "A small SIP user agent built on Halo's sans-IO core")]
struct Args {
    /// Local UDP address to bind.
    #[arg(long, default_value = "127.0.0.1:0")]
    udp: SocketAddr,
    /// Local TCP address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    tcp: SocketAddr,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Answer incoming calls (180 then 200 with an SDP answer) until COUNT calls have ended.
    Uas(uas::Options),
    /// Call TARGET, hold the call, then hang up.
    Uac(uac::Options),
    /// Register (answering Digest challenges), report the binding, then unregister.
    Register(register::Options),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let (stack, incoming) = common::start(args.udp, args.tcp).await?;
    match args.command {
        Command::Uas(o) => uas::run(stack, incoming, o).await,
        Command::Uac(o) => uac::run(stack, o).await,
        Command::Register(o) => register::run(stack, o).await,
    }
}
