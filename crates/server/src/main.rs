//! `halo-server`: the Halo server process and its operator commands.

mod cli;
mod commands;
mod config;
mod serve;

use clap::Parser as _;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command};
use crate::config::Settings;

// glibc's per-thread arenas grew and trimmed their heaps under REGISTER load (sysmalloc,
// mprotect and page faults were a sixth of the server's CPU); mimalloc keeps freed pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    // rustls needs one process-wide crypto provider; ring builds with a plain C compiler.
    let _ = rustls::crypto::ring::default_provider().install_default();

    let serve_args = match &cli.command {
        Command::Serve(args) => Some(args),
        Command::User(_) | Command::Keys(_) => None,
    };
    let settings = Settings::load(&cli, serve_args)?;
    match cli.command {
        Command::Serve(args) => {
            no_transparent_huge_pages();
            tokio::runtime::Runtime::new()?.block_on(serve::run(settings, args.demo, args.sip))
        }
        Command::User(command) => commands::user(settings, command),
        Command::Keys(command) => commands::keys(settings, command),
    }
}

/// Opts the server out of transparent huge pages (where the kernel has them `always`): each
/// first touch of fresh heap then zeroed a whole 2 MiB page on the SIP thread, ~6 ms during
/// which every request in flight waited (a third of that thread's time under REGISTER load,
/// server p99 latency 7 ms). Databases and caches advise the same for the same reason.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if let Err(e) = nix::sys::prctl::set_thp_disable(true) {
        tracing::debug!(error = %e, "transparent huge pages stay on");
    }
}
