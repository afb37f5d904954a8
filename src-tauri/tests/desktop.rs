//! The desktop app as a person uses it: the real window under Xvfb, driven through WebDriver
//! (tauri-driver in front of WebKitWebDriver), signed in to a real `halo-server` on loopback,
//! with bob on a headless `halo` phone at the other end. Fails, never skips, when Xvfb,
//! tauri-driver or the workspace's binaries are missing.
//!
//! A screenshot of the main window lands in `target/<profile>/screenshots/` for a person to
//! look at when the UI changes.

mod support;

use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::Value;
use support::webdriver::Session;
use support::{target_profile_dir, Display, Driver, Phone, Server};

/// One window at a time: two apps building WebKit views at once on a two-core machine only
/// make both slow, and each test starts everything it needs anyway.
static ONE_WINDOW: Mutex<()> = Mutex::new(());

const BOB: &str = "sip:bob@halo.test";

/// A display, a driver and the app's window showing its sign-in form, with the server's
/// address typed in. Drop order (fields first to last) ends the session, the driver, then X.
struct Desktop {
    window: Session,
    _driver: Driver,
    _display: Display,
    _home: tempfile::TempDir,
}

impl Desktop {
    fn open(server: &Server) -> Desktop {
        let home = tempfile::tempdir().expect("temp dir");
        let display = Display::start();
        let driver = Driver::start(&display, home.path());
        let window = Session::start(
            driver.port,
            &PathBuf::from(env!("CARGO_BIN_EXE_halo-desktop")),
        );
        window.wait(
            "the sign-in form, filled in",
            "return !document.getElementById('signin').hidden && document.getElementById('server').value;",
        );
        window.fill("#server", &server.url());
        Desktop {
            window,
            _driver: driver,
            _display: display,
            _home: home,
        }
    }
}

fn lock() -> std::sync::MutexGuard<'static, ()> {
    // A test that failed while holding the lock says so itself; the next may still run.
    ONE_WINDOW.lock().unwrap_or_else(|p| p.into_inner())
}

fn call_state(s: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["event"] == "call" && v["state"] == s
}

/// A script returning whether the call window shows `state`.
fn call_window_is(state: &str) -> String {
    format!("const w = document.getElementById('call'); return !w.hidden && w.dataset.state === '{state}';")
}

#[test]
fn a_wrong_password_is_shown_and_the_form_keeps_what_was_typed() {
    let _one = lock();
    let server = Server::start();
    let desktop = Desktop::open(&server);
    let w = &desktop.window;

    w.fill("#user", "alice");
    w.fill("#password", "not-her-password");
    w.click("#signin-button");
    w.wait(
        "the wrong-password error",
        "const e = document.getElementById('signin-error'); return !e.hidden && e.dataset.kind === 'wrong_password';",
    );
    assert_eq!(w.text("#signin-error"), "Wrong username or password.");
    let kept = w.script(
        "return [document.getElementById('user').value, document.getElementById('password').value,
                 document.getElementById('password').getAttribute('aria-invalid')];",
    );
    assert_eq!(
        kept,
        serde_json::json!(["alice", "not-her-password", "true"])
    );
    assert!(
        w.script("return document.getElementById('main').hidden;") == Value::Bool(true),
        "the main window must stay closed"
    );

    // A server nobody runs is named as unreachable, not as a wrong password.
    w.fill(
        "#server",
        &format!("http://127.0.0.1:{}", support::free_port()),
    );
    w.fill("#password", "alice-secret");
    w.click("#signin-button");
    w.wait(
        "the unreachable-server error",
        "const e = document.getElementById('signin-error'); return !e.hidden && e.dataset.kind === 'unreachable';",
    );
    assert!(w
        .text("#signin-error")
        .starts_with("Cannot reach http://127.0.0.1:"));
}

#[test]
fn alice_signs_in_sees_bob_chats_and_calls_him() {
    let _one = lock();
    let server = Server::start();
    let mut bob = Phone::start(&server, "bob", &server.dir.path().join("bob"));
    bob.wait("bob's registration", |v| v["event"] == "registered");
    let desktop = Desktop::open(&server);
    let w = &desktop.window;

    // Sign in with "remember me": there is no keyring here, which the app must say while
    // signing in all the same.
    w.fill("#user", "alice");
    w.fill("#password", "alice-secret");
    w.click("#remember");
    w.click("#signin-button");
    w.wait(
        "the main window, registered",
        "return !document.getElementById('main').hidden && document.getElementById('registration').textContent === 'Online';",
    );
    w.wait(
        "the keyring notice",
        "const t = document.querySelector('#toasts .notice'); return t && t.textContent.includes('not remembered');",
    );

    // Bob's presence, live: first as he signed in, then as he changes it.
    let bob_row = format!("document.querySelector('#buddy-list li[data-uri=\"{BOB}\"]')");
    w.wait(
        "bob available",
        &format!("const b = {bob_row}; return b && b.dataset.status === 'available';"),
    );
    bob.send("status away at lunch");
    w.wait(
        "bob away at lunch",
        &format!(
            "const b = {bob_row}; return b && b.dataset.status === 'away' && b.querySelector('.note').textContent === 'Away · at lunch';"
        ),
    );

    // Chat both ways, with the delivery state on alice's line.
    w.click(&format!("#buddy-list li[data-uri=\"{BOB}\"]"));
    w.wait(
        "bob's chat",
        "return !document.getElementById('chat').hidden;",
    );
    w.fill("#chat-input", "hello bob, lunch was good?");
    w.click("#composer button");
    let m = bob.wait("alice's message", |v| v["event"] == "message");
    assert_eq!(m["text"], "hello bob, lunch was good?");
    assert_eq!(m["from"], "sip:alice@halo.test");
    w.wait(
        "alice's line delivered",
        "const l = document.querySelector('#chat-lines .line.out'); return l && l.dataset.state === 'delivered' && l.textContent.includes('delivered');",
    );
    bob.send("msg sip:alice@halo.test very good, thanks ☕");
    w.wait(
        "bob's reply in the chat pane",
        "const l = document.querySelector('#chat-lines .line.in'); return l && l.querySelector('.bubble').textContent === 'very good, thanks ☕';",
    );
    w.screenshot(&target_profile_dir().join("screenshots/main-window.png"));

    // A call to bob from the chat pane: ringing, answered, held and resumed, muted, a DTMF
    // digit, hung up.
    w.click("#chat-call");
    bob.wait("bob's phone ringing", |v| v["event"] == "incoming_call");
    w.wait("the call window ringing", &call_window_is("ringing"));
    assert_eq!(
        w.text("#call .media-note"),
        "Signalling only: audio arrives with the media layer."
    );
    bob.send("answer");
    w.wait("the call connected", &call_window_is("active"));
    assert_eq!(w.text("#call-state"), "Connected");
    w.wait(
        "alice's own status on the phone",
        "return !document.getElementById('on-phone').hidden;",
    );
    w.click("#call-hold");
    w.wait("the call held", &call_window_is("held"));
    w.click("#call-hold");
    w.wait("the call resumed", &call_window_is("active"));
    w.click("#call-mute");
    w.wait(
        "the mute button on",
        "return document.getElementById('call-mute').textContent === 'Unmute';",
    );
    w.click("#call-keypad");
    w.click("#keypad button[data-key=\"5\"]");
    w.wait(
        "the digit sent",
        "return document.getElementById('dtmf-sent').textContent === 'Sent: 5';",
    );
    w.screenshot(&target_profile_dir().join("screenshots/call-window.png"));
    w.click("#call-hangup");
    w.wait("the call ended", &call_window_is("ended"));
    bob.wait("bob's call ended", call_state("ended"));

    // Bob calls back: the banner, answered from it, then bob hangs up.
    bob.send("call sip:alice@halo.test");
    w.wait(
        "the incoming-call banner",
        "const b = document.getElementById('incoming'); return !b.hidden && b.textContent.includes('sip:bob@halo.test');",
    );
    w.click("#incoming-answer");
    bob.wait("bob's call answered", call_state("active"));
    w.wait("the answered call connected", &call_window_is("active"));
    bob.send("hangup");
    w.wait("bob's hang-up shown", &call_window_is("ended"));

    // Sign-out unregisters: bob sees alice go offline, and the form is back.
    w.click("#signout");
    w.wait(
        "the sign-in form again",
        "return !document.getElementById('signin').hidden && document.getElementById('user').value === 'alice';",
    );
    bob.wait("alice offline", |v| {
        v["event"] == "presence" && v["uri"] == "sip:alice@halo.test" && v["status"] == "offline"
    });
}
