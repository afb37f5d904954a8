//! `halo-server serve`: the long-running services of one process, and their shutdown.
//!
//! Each service is a task in one `JoinSet`, given the shared `users::AppState` and a shutdown
//! signal. The SIP registrar joins as another such task, validating tokens with
//! `state.sip_token_validator()` and Digest with `state.digest_ha1()`, in the same process.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum_server::tls_rustls::RustlsConfig;
use axum_server::Handle;
use net::{Stack, StackConfig};
use sip::transport::TransportKind;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use users::{AppState, NewUser, Role, SystemClock};

use crate::config::{RegistrarFile, Settings, TlsPaths};

/// How long in-flight requests get to finish after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(10);
/// Room for completed transactions too: over UDP each stays 32 s (Timer J) to absorb
/// retransmissions. 128 Ki keeps them the full 32 s up to ~4,000 requests/s (an office's
/// phones re-registering hourly send a few a second); beyond, the oldest answered ones make
/// room (see `sip::endpoint::Config::max_transactions`), still 4.5 s old at 28,000/s. About
/// 2.8 KiB each, so this bounds their memory near 370 MB.
const SIP_TRANSACTIONS: usize = 128 * 1024;
/// How often the JWKS picks up keys added by `halo-server keys rotate` in another process, and
/// retired keys are deleted. Signing does not wait for it: each token is signed with the newest
/// key on disk.
const KEY_RELOAD: Duration = Duration::from_secs(30);

const DEMO_USERS: [(&str, &str, bool); 4] = [
    ("alice", "alice-secret", false),
    ("bob", "bob-secret", false),
    ("carol", "carol-secret", false),
    ("admin", "admin-secret", true),
];

pub(crate) async fn run(
    settings: Settings,
    demo: bool,
    sip: Option<SocketAddr>,
) -> anyhow::Result<()> {
    let Settings {
        mut users,
        http,
        tls,
        sip_tls,
        registrar: registrar_settings,
    } = settings;
    // Clients learn where to REGISTER from the login answer; a concrete bound address is more
    // use to them than `sip:DOMAIN`, which nothing may resolve. A wildcard bind says nothing.
    if let Some(addr) = sip.filter(|a| !a.ip().is_unspecified()) {
        users
            .sip
            .registrar
            .get_or_insert_with(|| format!("sip:{addr}"));
    }
    if sip_tls.is_some() && sip.is_none() {
        anyhow::bail!("SIP over TLS (sip_tls) needs the SIP service: give --sip");
    }
    let sip_tls = match (sip_tls, &tls) {
        (None, _) => None,
        (Some(addr), Some(TlsPaths { cert, key })) => Some((addr, net::tls::server_config(cert, key)?)),
        (Some(_), None) => anyhow::bail!(
            "--sip-tls needs a certificate: give --tls-cert and --tls-key, or [tls] in the config file"
        ),
    };
    if let Some((addr, _)) = sip_tls.as_ref().filter(|(a, _)| !a.ip().is_unspecified()) {
        users
            .sip
            .registrar_tls
            .get_or_insert_with(|| format!("sip:{addr};transport=tls"));
    }
    // Opening may generate the first RSA key, which takes a moment: keep it off the runtime.
    let state = tokio::task::spawn_blocking(move || AppState::open(users, Arc::new(SystemClock)))
        .await?
        .context("opening the users service")?;
    let registrar_db = state.config().data_dir.join("registrar.db");
    if demo {
        let created = seed_demo(&state).await?;
        seed_demo_buddies(&registrar_db, &created)?;
    }
    let (policy_tx, policy_rx) = mpsc::unbounded_channel();
    let buddies = registrar::BuddyApi::new(
        state.clone(),
        registrar::Store::open(&registrar_db).context("opening the registrar database")?,
        policy_tx,
    );
    let app = users::router(state.clone()).merge(registrar::router(buddies));

    let listener = TcpListener::bind(http).with_context(|| format!("binding {http}"))?;
    listener.set_nonblocking(true)?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    // Printed on stdout, not only logged, so scripts and tests can find an ephemeral port.
    println!(
        "halo-server listening on {scheme}://{}",
        listener.local_addr()?
    );

    let (stop, stopped) = watch::channel(false);
    let mut services = JoinSet::new();
    services.spawn(users_http(app, listener, tls, stopped.clone()));
    if let Some(addr) = sip {
        services.spawn(on_own_thread(sip_service(
            state.clone(),
            addr,
            sip_tls,
            registrar_settings,
            registrar_db,
            policy_rx,
            stopped.clone(),
        )));
    }
    services.spawn(reload_keys(state, stopped));

    tokio::select! {
        signal = shutdown_signal() => {
            tracing::info!(signal, "shutting down");
        }
        Some(ended) = services.join_next() => {
            // A service ending on its own is a failure; stop the others and report it.
            let _ = stop.send(true);
            ended??;
            anyhow::bail!("a service stopped unexpectedly");
        }
    }
    let _ = stop.send(true);
    while let Some(ended) = services.join_next().await {
        ended??;
    }
    Ok(())
}

async fn users_http(
    app: axum::Router,
    listener: TcpListener,
    tls: Option<TlsPaths>,
    mut stopped: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let app = app.into_make_service();
    let handle = Handle::new();
    let drain = handle.clone();
    tokio::spawn(async move {
        let _ = stopped.wait_for(|stop| *stop).await;
        drain.graceful_shutdown(Some(DRAIN));
    });
    match tls {
        Some(TlsPaths { cert, key }) => {
            let config = RustlsConfig::from_pem_file(&cert, &key)
                .await
                .with_context(|| format!("loading TLS {} and {}", cert.display(), key.display()))?;
            axum_server::from_tcp_rustls(listener, config)
                .handle(handle)
                .serve(app)
                .await?;
        }
        None => {
            axum_server::from_tcp(listener)
                .handle(handle)
                .serve(app)
                .await?;
        }
    }
    Ok(())
}

/// Runs `service` on a thread of its own, in a single-threaded runtime, and returns what it
/// returned.
///
/// Every request crosses three tasks (the stack's driver, the registrar core and its outbox);
/// on a multi-threaded runtime each hand-off may wake another thread, and under REGISTER
/// load those wake-ups cost as much as the work (halo-server on one worker thread took 70–74
/// µs of CPU per registration where two took 86–117, same machine, alternating runs). The HTTP
/// API keeps the multi-threaded runtime, so slow sign-ins (Argon2) never delay SIP.
async fn on_own_thread<F>(service: F) -> anyhow::Result<()>
where
    F: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("sip".to_owned())
        .spawn(move || {
            let ran = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the SIP runtime")
                .and_then(|runtime| runtime.block_on(service));
            let _ = done.send(ran);
        })
        .context("starting the SIP thread")?;
    result.await.context("the SIP thread panicked")?
}

/// The SIP registrar, on UDP and TCP at `addr` (and TLS at `tls`), checking credentials with
/// this process's users service.
async fn sip_service(
    state: AppState,
    addr: SocketAddr,
    tls: Option<(SocketAddr, Arc<rustls::ServerConfig>)>,
    settings: RegistrarFile,
    db: PathBuf,
    policy: mpsc::UnboundedReceiver<String>,
    stopped: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let (stack, incoming) = Stack::start(StackConfig {
        udp: Some(addr),
        tcp: Some(addr),
        endpoint: sip::endpoint::Config {
            max_transactions: SIP_TRANSACTIONS,
            ..sip::endpoint::Config::default()
        },
        public_host: None,
        tls: net::TlsConfig {
            listen: tls,
            ..Default::default()
        },
    })
    .await
    .with_context(|| format!("binding SIP on {addr}"))?;
    let mut config = registrar::Config::new(state.config().domain.clone());
    config.digest.realm = state.config().realm();
    settings.apply(&mut config);
    config.udp = stack.local_addr(TransportKind::Udp);
    config.tcp = stack.local_addr(TransportKind::Tcp);
    config.tls = stack.local_addr(TransportKind::Tls);
    if config.echo_user.is_some() {
        let socket = tokio::net::UdpSocket::bind(SocketAddr::new(addr.ip(), 0))
            .await
            .with_context(|| format!("binding the echo buddy's media socket on {}", addr.ip()))?;
        // A wildcard bind cannot go into SDP; the address the stack gives for Contact can.
        let ip = stack
            .contact_host_port(TransportKind::Udp, None)
            .and_then(|hp| hp.parse::<SocketAddr>().ok())
            .map_or(addr.ip(), |a| a.ip());
        config.echo_media = Some(SocketAddr::new(ip, socket.local_addr()?.port()));
        tokio::spawn(registrar::reflect(
            socket,
            config.echo_delay,
            stopped.clone(),
        ));
    }
    println!(
        "halo-server SIP on udp and tcp {}",
        config.udp.map(|a| a.to_string()).unwrap_or_default()
    );
    if let Some(tls) = config.tls {
        println!("halo-server SIP on tls {tls}");
    }
    let store = registrar::Store::open(&db).context("opening the registrar database")?;
    let accounts = Box::new(registrar::UsersAccounts::new(state));
    let core = registrar::Registrar::new(
        config,
        accounts,
        store,
        Instant::now(),
        registrar::Service::unix_now(),
    )
    .context("restoring registrations")?;
    let result = registrar::Service::new(core, stack.clone(), incoming, policy)
        .run(stopped)
        .await;
    stack.shutdown().await;
    Ok(result?)
}

/// alice, bob and carol are each other's buddies, and each has the echo buddy. Only the users
/// just `created` get the list: a restart with `--demo` must not undo what people changed.
fn seed_demo_buddies(db: &std::path::Path, created: &[&str]) -> anyhow::Result<()> {
    let store = registrar::Store::open(db).context("opening the registrar database")?;
    let people = ["alice", "bob", "carol"];
    for owner in people.into_iter().filter(|p| created.contains(p)) {
        for buddy in people.iter().filter(|b| **b != owner).chain(&["echo"]) {
            let entry = registrar::Buddy {
                username: (*buddy).to_owned(),
                name: Some(capitalise(buddy)),
                group: Some("Demo".to_owned()),
            };
            store.put_buddy(owner, &entry)?;
        }
    }
    Ok(())
}

async fn reload_keys(state: AppState, mut stopped: watch::Receiver<bool>) -> anyhow::Result<()> {
    let mut tick = tokio::time::interval(KEY_RELOAD);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let state = state.clone();
                if let Err(e) = tokio::task::spawn_blocking(move || state.reload_keys()).await? {
                    tracing::warn!(error = %e, "reloading signing keys failed");
                }
            }
            _ = stopped.changed() => return Ok(()),
        }
    }
}

/// Creates the demo users that do not exist yet; returns those it created.
async fn seed_demo(state: &AppState) -> anyhow::Result<Vec<&'static str>> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let mut created = Vec::new();
        println!("demo users (username / password):");
        for (name, password, admin) in DEMO_USERS {
            let roles = if admin {
                vec![Role::User, Role::Admin]
            } else {
                vec![Role::User]
            };
            let new = NewUser {
                username: name.to_owned(),
                password: password.to_owned(),
                display_name: Some(capitalise(name)),
                email: None,
                roles: Some(roles),
            };
            match state.create_user(new) {
                Ok(_) => created.push(name),
                Err(users::Error::UsernameTaken) => {}
                Err(e) => return Err(e).context("seeding demo users"),
            }
            println!(
                "  {name} / {password}{}",
                if admin { "  (admin)" } else { "" }
            );
        }
        Ok(created)
    })
    .await?
}

fn capitalise(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

async fn shutdown_signal() -> &'static str {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the server");
            let _ = tokio::signal::ctrl_c().await;
            return "SIGINT";
        }
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    }
}
