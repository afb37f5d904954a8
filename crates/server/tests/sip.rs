//! `halo-server` over real loopback sockets: the buddy REST API against its SQLite directory,
//! and what must survive a restart (buddy lists, offline messages, bindings), seen by SIP user
//! agents built on the project's own stack.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use net::{Incoming, Stack, StackConfig};
use serde_json::{json, Value};
use sip::msg::{Method, Request, Response, SipMessage, Uri};
use sip::transport::{Remote, TransportKind};
use tokio::sync::mpsc;

use common::{prepare, Server};

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

async fn login(http: &str, user: &str) -> String {
    let body: Value = reqwest::Client::new()
        .post(format!("{http}/auth/login"))
        .json(&json!({"username": user, "password": format!("{user}-secret")}))
        .send()
        .await
        .expect("login answered")
        .json()
        .await
        .expect("login JSON");
    body["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// `(status, body)` of one call to the buddy API.
async fn api(
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("answered");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("a body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|b| b["username"].as_str().expect("a username").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn buddy_rest_api_manages_lists_and_watchers_and_lists_survive_a_restart() {
    use reqwest::Method as M;
    let dir = tempfile::tempdir().expect("tempdir");
    prepare(dir.path());
    let server = Server::start(dir.path(), any_port());
    let base = format!("{}/users/me", server.http);
    let alice = login(&server.http, "alice").await;

    let (status, _) = api(M::GET, format!("{base}/buddies"), None, None).await;
    assert_eq!(status, 401, "no token, no list");
    let (status, list) = api(M::GET, format!("{base}/buddies"), Some(&alice), None).await;
    assert_eq!(status, 200);
    assert_eq!(names(&list), ["bob", "carol", "echo"], "the demo list");

    let (status, _) = api(
        M::POST,
        format!("{base}/buddies"),
        Some(&alice),
        Some(json!({"username": "nobody"})),
    )
    .await;
    assert_eq!(status, 404, "only existing users can be buddies");
    let (status, _) = api(
        M::PATCH,
        format!("{base}/buddies/carol"),
        Some(&alice),
        Some(json!({"name": "Caz", "group": "Work"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = api(M::DELETE, format!("{base}/buddies/bob"), Some(&alice), None).await;
    assert_eq!(status, 204);
    let (status, _) = api(M::DELETE, format!("{base}/buddies/bob"), Some(&alice), None).await;
    assert_eq!(status, 404, "already gone");
    let (status, _) = api(
        M::POST,
        format!("{base}/buddies"),
        Some(&alice),
        Some(json!({"username": "admin", "group": "Ops"})),
    )
    .await;
    assert_eq!(status, 201);
    for decision in ["allow", "block"] {
        let (status, _) = api(
            M::PUT,
            format!("{base}/watchers/bob"),
            Some(&alice),
            Some(json!({ "decision": decision })),
        )
        .await;
        assert_eq!(status, 204, "{decision}");
    }
    let (status, _) = api(
        M::PUT,
        format!("{base}/watchers/bob"),
        Some(&alice),
        Some(json!({"decision": "maybe"})),
    )
    .await;
    assert_eq!(status, 422, "only allow or block");

    // Restarted with --demo again: the demo seeding must not undo alice's changes.
    server.stop();
    let server = Server::start(dir.path(), any_port());
    let alice = login(&server.http, "alice").await;
    let (_, list) = api(
        M::GET,
        format!("{}/users/me/buddies", server.http),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(names(&list), ["admin", "carol", "echo"]);
    let carol = &list.as_array().expect("a list")[1];
    assert_eq!(carol["name"], json!("Caz"));
    assert_eq!(carol["group"], json!("Work"));
    server.stop();
}

/// A phone on the project's own SIP stack, signing requests with its Bearer token.
struct Phone {
    user: String,
    token: String,
    stack: Stack,
    incoming: mpsc::UnboundedReceiver<Incoming>,
    server: Remote,
    seq: u32,
}

impl Phone {
    async fn start(user: &str, token: String, server: SocketAddr) -> Phone {
        let (stack, incoming) = Stack::start(StackConfig {
            udp: Some(any_port()),
            tcp: None,
            endpoint: sip::endpoint::Config::default(),
            public_host: None,
            tls: Default::default(),
        })
        .await
        .expect("a UDP socket");
        Phone {
            user: user.to_owned(),
            token,
            stack,
            incoming,
            server: Remote {
                transport: TransportKind::Udp,
                addr: server,
            },
            seq: 0,
        }
    }

    fn contact(&self) -> String {
        let local = self.stack.local_addr(TransportKind::Udp).expect("bound");
        format!("<sip:{}@{local}>", self.user)
    }

    async fn request(&mut self, method: Method, target: &str) -> Request {
        self.seq += 1;
        let uri = format!("sip:{target}@example.test");
        let mut r = Request::new(method.clone(), Uri::parse(&uri).expect("valid"));
        let tag = self.stack.new_tag().await.expect("running");
        let h = &mut r.headers;
        h.push(
            "From",
            format!("<sip:{}@example.test>;tag={tag}", self.user),
        );
        h.push("To", format!("<{uri}>"));
        h.push("Call-ID", self.stack.new_call_id().await.expect("running"));
        h.push("CSeq", format!("{} {method}", self.seq));
        let header = if method == Method::Register {
            "Authorization"
        } else {
            "Proxy-Authorization"
        };
        h.push(header, format!("Bearer {}", self.token));
        r
    }

    async fn send(&self, r: Request) -> Response {
        self.stack
            .send_request(r, self.server)
            .await
            .expect("sent")
            .final_response()
            .await
            .expect("a final response")
    }

    async fn register(&mut self, expires: u32) -> Response {
        let mut r = self.request(Method::Register, &self.user.clone()).await;
        r.uri = Uri::parse("sip:example.test").expect("valid");
        r.headers.push("Contact", self.contact());
        r.headers.push("Expires", expires.to_string());
        self.send(r).await
    }

    async fn message(&mut self, to: &str, text: &str) -> Response {
        let mut r = self.request(Method::Message, to).await;
        r.headers.push("Content-Type", "text/plain;charset=utf-8");
        r.body = text.as_bytes().to_vec();
        self.send(r).await
    }

    /// The next MESSAGE that reaches this phone, answered 200; `None` after `limit`.
    async fn receive(&mut self, limit: Duration) -> Option<Request> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let got = tokio::time::timeout_at(deadline, self.incoming.recv())
                .await
                .ok()??;
            let Incoming::Request { txn, request, .. } = got else {
                continue;
            };
            // Anything else (a NOTIFY) is accepted too, but not what the test waits for.
            let ok = Response::to_request(&request, 200, "OK");
            self.stack.respond(txn, ok).await.expect("answered");
            if request.method == Method::Message {
                return Some(request);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_messages_survive_a_restart_and_arrive_in_order_on_register() {
    let dir = tempfile::tempdir().expect("tempdir");
    prepare(dir.path());
    let server = Server::start(dir.path(), any_port());
    let mut bob = Phone::start("bob", login(&server.http, "bob").await, server.sip).await;
    assert_eq!(bob.register(600).await.status, 200);
    for text in ["first", "second ✓"] {
        let resp = bob.message("alice", text).await;
        assert_eq!(resp.status, 202, "alice is offline: stored");
    }

    server.stop();
    let server = Server::start(dir.path(), any_port());
    let mut alice = Phone::start("alice", login(&server.http, "alice").await, server.sip).await;
    assert_eq!(alice.register(600).await.status, 200);
    let mut got = Vec::new();
    while let Some(m) = alice.receive(Duration::from_secs(10)).await {
        assert!(
            m.header("From")
                .is_some_and(|f| f.contains("sip:bob@example.test")),
            "from the real sender"
        );
        got.push(String::from_utf8(m.body).expect("UTF-8 kept"));
        if got.len() == 2 {
            break;
        }
    }
    assert_eq!(got, ["first", "second ✓"], "both, in order, once");

    // bob's binding was stored before the restart: a MESSAGE to him is relayed, not stored.
    let token = login(&server.http, "alice").await;
    let mut again = Phone::start("alice", token, server.sip).await;
    let relayed = tokio::spawn(async move {
        let m = bob.receive(Duration::from_secs(10)).await;
        m.map(|m| m.body)
    });
    assert_eq!(again.message("bob", "still there?").await.status, 200);
    assert_eq!(
        relayed.await.expect("joined").as_deref(),
        Some(b"still there?".as_slice())
    );
    server.stop();
}
