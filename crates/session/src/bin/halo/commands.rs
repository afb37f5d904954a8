//! The stdin command language of `halo` (one command per line).

use session::{parse_status, CallId, Coordinator};

pub(crate) enum Flow {
    Continue,
    Quit,
}

/// Runs one line; `Err` is shown as an `error` event.
pub(crate) async fn run(phone: &Coordinator, line: &str) -> Result<Flow, String> {
    let line = line.trim();
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let arg = |what: &str| {
        let a = rest.split_whitespace().next().unwrap_or("");
        if a.is_empty() {
            Err(format!("{word}: missing {what}"))
        } else {
            Ok(a.to_owned())
        }
    };
    let call = || -> Result<Option<CallId>, String> {
        match rest.split_whitespace().next() {
            None => Ok(None),
            Some(n) => n
                .parse()
                .map(|n| Some(CallId(n)))
                .map_err(|_| format!("{word}: bad call id `{n}`")),
        }
    };
    let stopped = |e: session::Stopped| e.to_string();
    match word {
        "" => {}
        "register" => phone.register().map_err(stopped)?,
        "unregister" => phone.unregister().map_err(stopped)?,
        "status" => {
            let (s, note) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            let status = parse_status(s).ok_or_else(|| format!("status: unknown status `{s}`"))?;
            let note = (!note.trim().is_empty()).then(|| note.trim().to_owned());
            phone.set_status(status, note).map_err(stopped)?;
        }
        "watch" => phone.watch(&arg("uri")?).map_err(stopped)?,
        "unwatch" => phone.unwatch(&arg("uri")?).map_err(stopped)?,
        "buddy" => {
            let mut parts = rest.splitn(3, char::is_whitespace);
            match (parts.next(), parts.next(), parts.next()) {
                (Some("add"), Some(uri), name) => phone
                    .add_buddy(
                        uri,
                        name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
                    )
                    .map_err(stopped)?,
                (Some("remove"), Some(uri), None) => phone.remove_buddy(uri).map_err(stopped)?,
                _ => return Err("usage: buddy add <uri> [name] | buddy remove <uri>".to_owned()),
            }
        }
        "buddies" => phone.list_buddies().map_err(stopped)?,
        "allow" => phone.allow_watcher(&arg("uri")?).map_err(stopped)?,
        "block" => phone.block_watcher(&arg("uri")?).map_err(stopped)?,
        "msg" => {
            let (to, text) = rest
                .split_once(char::is_whitespace)
                .ok_or_else(|| "usage: msg <uri> <text…>".to_owned())?;
            phone.send_message(to, text.trim()).await.map_err(stopped)?;
        }
        "call" => {
            phone.call(&arg("uri")?).await.map_err(stopped)?;
        }
        "answer" => phone.answer(call()?).map_err(stopped)?,
        "reject" => phone.reject(call()?).map_err(stopped)?,
        "hangup" => phone.hangup(call()?).map_err(stopped)?,
        "hold" => phone.hold(call()?).map_err(stopped)?,
        "resume" => phone.resume(call()?).map_err(stopped)?,
        "dtmf" => phone.dtmf(None, &arg("digits")?).map_err(stopped)?,
        "mute" => phone.mute(None, true).map_err(stopped)?,
        "unmute" => phone.mute(None, false).map_err(stopped)?,
        "quit" => return Ok(Flow::Quit),
        other => return Err(format!("unknown command `{other}`")),
    }
    Ok(Flow::Continue)
}
