//! `halo`: the headless phone. One command per line on stdin, one JSON event per line on
//! stdout; `halo table check FILE` validates a state table and draws it.

mod commands;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};
use session::{Config, Coordinator, Diagram, PhoneEvent, Server, Table};
use sip::transport::TransportKind;
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Parser)]
#[command(name = "halo", about = "Halo headless phone")]
struct Cli {
    #[command(subcommand)]
    command: Option<Sub>,
    /// halo-server base URL (sign-in by token).
    #[arg(long)]
    server: Option<String>,
    /// Standard SIP server, `sip:HOST:PORT` (Digest); also the outbound proxy. With --server:
    /// where halo-server's SIP side listens, if its advertised registrar does not resolve.
    #[arg(long)]
    registrar: Option<String>,
    /// SIP domain of the account (with --registrar).
    #[arg(long)]
    domain: Option<String>,
    #[arg(long)]
    user: Option<String>,
    /// Read the password from this environment variable (else: the first stdin line).
    #[arg(long)]
    password_env: Option<String>,
    #[arg(long, value_enum, default_value = "udp")]
    transport: Transport,
    /// With --transport tls: CA certificates (PEM) to trust besides the public roots.
    #[arg(long, value_name = "FILE")]
    tls_ca: Option<PathBuf>,
    #[arg(long, default_value = "127.0.0.1:0")]
    sip_bind: SocketAddr,
    /// Chat history and buddy list live here.
    #[arg(long, default_value = ".halo")]
    data: PathBuf,
    #[arg(long)]
    auto_answer: bool,
    /// Reject calls with 603 instead of 486 while do-not-disturb.
    #[arg(long)]
    dnd_decline: bool,
    /// Audio source (used once the media layer lands): default, null, tone:HZ, file:PATH.wav.
    #[arg(long, default_value = "default")]
    audio: String,
    /// Record received audio to this WAV file (once the media layer lands).
    #[arg(long)]
    record: Option<PathBuf>,
    /// REGISTER expiry to ask for, seconds.
    #[arg(long, default_value_t = 3600)]
    register_expires: u32,
    /// PUBLISH/SUBSCRIBE expiry to ask for, seconds.
    #[arg(long, default_value_t = 600)]
    presence_expires: u32,
    /// Seconds between keep-alive checks of the registration.
    #[arg(long, default_value_t = 30)]
    keepalive: u64,
    /// First retry delay after a failure, milliseconds (doubles with jitter).
    #[arg(long, default_value_t = 2000)]
    retry_base_ms: u64,
    /// Longest retry delay, seconds.
    #[arg(long, default_value_t = 300)]
    retry_max: u64,
}

#[derive(Subcommand)]
enum Sub {
    /// State table tools.
    Table {
        #[command(subcommand)]
        command: TableCmd,
    },
}

#[derive(Subcommand)]
enum TableCmd {
    /// Validate a table; print its diagram, or every problem with its line.
    Check {
        file: PathBuf,
        #[arg(long, value_enum, default_value = "mermaid")]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Mermaid,
    Dot,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Transport {
    Udp,
    Tcp,
    Tls,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Logs go to stderr (RUST_LOG=session=debug), so stdout stays pure JSON lines.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    if let Some(Sub::Table {
        command: TableCmd::Check { file, format },
    }) = &cli.command
    {
        return table_check(file, *format);
    }
    run(cli).await
}

fn table_check(file: &PathBuf, format: Format) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    match Table::load(&text) {
        Ok(table) => {
            let kind = match format {
                Format::Mermaid => Diagram::Mermaid,
                Format::Dot => Diagram::Graphviz,
            };
            print!("{}", table.diagram(kind));
            Ok(())
        }
        Err(e) => {
            for p in &e.problems {
                eprintln!("{}:{p}", file.display());
            }
            std::process::exit(1);
        }
    }
}

/// `sip:HOST:PORT` with an IP host (or localhost) to a socket address.
fn registrar_addr(text: &str) -> anyhow::Result<SocketAddr> {
    let uri = sip::msg::Uri::parse(text).map_err(|e| anyhow::anyhow!("--registrar: {e}"))?;
    let host = uri.host.trim_start_matches('[').trim_end_matches(']');
    let ip: std::net::IpAddr = if host == "localhost" {
        [127, 0, 0, 1].into()
    } else {
        host.parse()
            .context("--registrar must name an IP address")?
    };
    Ok(SocketAddr::new(ip, uri.port.unwrap_or(5060)))
}

fn print_event(event: &PhoneEvent) {
    let line = serde_json::to_string(event).expect("events serialise to JSON");
    let mut out = std::io::stdout().lock();
    // A closed stdout means nobody is listening; the phone keeps its state regardless.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let Some(user) = cli.user.clone() else {
        bail!("--user is required");
    };
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let password = match &cli.password_env {
        Some(var) => std::env::var(var).with_context(|| format!("${var} is not set"))?,
        None => stdin.next_line().await?.context("no password on stdin")?,
    };
    let registrar = cli.registrar.as_deref().map(registrar_addr).transpose()?;
    let server = match (&cli.server, registrar, &cli.domain) {
        (Some(url), registrar, _) => Server::Halo {
            base_url: url.clone(),
            registrar,
        },
        (None, Some(registrar), Some(domain)) => Server::Standard {
            registrar,
            domain: domain.clone(),
        },
        _ => bail!("give --server URL, or --registrar sip:HOST:PORT with --domain NAME"),
    };
    let mut config = Config::new(server, &user, &password, cli.data.clone());
    config.transport = match cli.transport {
        Transport::Udp => TransportKind::Udp,
        Transport::Tcp => TransportKind::Tcp,
        Transport::Tls => TransportKind::Tls,
    };
    config.tls_ca = cli.tls_ca.clone();
    config.sip_bind = cli.sip_bind;
    config.auto_answer = cli.auto_answer;
    config.dnd_reject = if cli.dnd_decline { 603 } else { 486 };
    config.register_expires = cli.register_expires;
    config.presence_expires = cli.presence_expires;
    config.keepalive = Duration::from_secs(cli.keepalive);
    config.retry_base = Duration::from_millis(cli.retry_base_ms);
    config.retry_max = Duration::from_secs(cli.retry_max);

    let phone = Coordinator::start(config).await?;
    let mut events = phone.events();
    let printer = tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(e) => print_event(&e),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    print_event(&PhoneEvent::Error {
                        message: format!("{n} events dropped"),
                    });
                }
                Err(_) => break,
            }
        }
    });
    if cli.audio != "default" || cli.record.is_some() {
        print_event(&PhoneEvent::Error {
            message: "audio options are accepted but media is not built yet".to_owned(),
        });
    }
    phone.register()?;
    while let Some(line) = stdin.next_line().await? {
        match commands::run(&phone, &line).await {
            Ok(commands::Flow::Continue) => {}
            Ok(commands::Flow::Quit) => break,
            Err(message) => print_event(&PhoneEvent::Error { message }),
        }
    }
    phone.quit().await.ok();
    // Let the last events reach stdout.
    tokio::time::sleep(Duration::from_millis(100)).await;
    printer.abort();
    Ok(())
}
