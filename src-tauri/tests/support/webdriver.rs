//! A W3C WebDriver client over plain HTTP: just the calls a person's actions need (find,
//! click, type, read) plus script evaluation for waiting on the page and a screenshot.

use std::cell::Cell;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

/// The key under which WebDriver names an element (W3C WebDriver §12.1).
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One session: the app's window. Ending it closes the app.
pub(crate) struct Session {
    http: reqwest::blocking::Client,
    url: String,
    /// Whether a screenshot was taken yet: see [`Session::screenshot`].
    captured: Cell<bool>,
}

impl Session {
    /// Launches `app` through the driver on `port`.
    pub(crate) fn start(port: u16, app: &Path) -> Session {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client");
        let base = format!("http://127.0.0.1:{port}");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "tauri:options": {"application": app.display().to_string()}
        }}});
        let answer = send(http.post(format!("{base}/session")).json(&caps));
        let id = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {answer}"));
        Session {
            url: format!("{base}/session/{id}"),
            http,
            captured: Cell::new(false),
        }
    }

    fn get(&self, path: &str) -> Value {
        send(self.http.get(format!("{}{path}", self.url)))
    }

    fn post(&self, path: &str, body: Value) -> Value {
        send(self.http.post(format!("{}{path}", self.url)).json(&body))
    }

    fn element(&self, css: &str) -> String {
        let found = self.post("/element", json!({"using": "css selector", "value": css}));
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned()
    }

    pub(crate) fn click(&self, css: &str) {
        let id = self.element(css);
        self.post(&format!("/element/{id}/click"), json!({}));
    }

    /// Replaces the field's text, as a person selecting it and typing would.
    pub(crate) fn fill(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.post(&format!("/element/{id}/clear"), json!({}));
        self.post(&format!("/element/{id}/value"), json!({ "text": text }));
    }

    /// The element's visible text.
    pub(crate) fn text(&self, css: &str) -> String {
        let id = self.element(css);
        self.get(&format!("/element/{id}/text"))
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Runs `body` as a function in the page and returns what it returns.
    pub(crate) fn script(&self, body: &str) -> Value {
        self.post("/execute/sync", json!({"script": body, "args": []}))
    }

    /// Polls `body` until it returns something truthy, and returns that, or fails after
    /// twenty seconds with `what` and the page's text.
    pub(crate) fn wait(&self, what: &str, body: &str) -> Value {
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self.script(body);
            let truthy = match &v {
                Value::Null | Value::Bool(false) => false,
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return v;
            }
            if Instant::now() > end {
                let page = self.script("return document.body.innerText;");
                panic!(
                    "the window never showed {what}; it reads:\n{}",
                    page.as_str().unwrap_or("")
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A PNG of the window, written to `path`, once what the page shows now is painted.
    pub(crate) fn screenshot(&self, path: &Path) {
        // WebKit may hand out the frame before the last DOM change is painted; a second
        // animation frame begins only after the first one's paint.
        self.post(
            "/execute/async",
            json!({
                "script": "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                "args": []
            }),
        );
        if !self.captured.replace(true) {
            // WebKitWebDriver's first capture of a session shows the first frame the view
            // ever painted (seen here every time: the empty sign-in form); later ones are
            // current.
            self.get("/screenshot");
        }
        let data = self.get("/screenshot");
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().expect("a screenshot is base64 text"))
            .expect("valid base64");
        std::fs::create_dir_all(path.parent().expect("a file in a folder")).expect("folder");
        std::fs::write(path, png).expect("screenshot written");
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.http.delete(&self.url).send();
    }
}

/// Sends a WebDriver command; its `value`, or a failure with the driver's error.
fn send(req: reqwest::blocking::RequestBuilder) -> Value {
    let resp = req.send().expect("the WebDriver server answers");
    let status = resp.status();
    let body: Value = resp.json().expect("WebDriver answers JSON");
    assert!(status.is_success(), "WebDriver error {status}: {body}");
    body["value"].clone()
}
