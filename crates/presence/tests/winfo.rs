//! Watcher information (RFC 3858): parsing the RFC example, round trips, and refusals.

use presence::{
    PresenceError, Watcher, WatcherEvent, WatcherInfo, WatcherList, WatcherStatus, WinfoState,
};

#[test]
fn rfc3858_example() {
    let info = WatcherInfo::parse(include_bytes!("fixtures/rfc3858-winfo.xml")).expect("parses");
    assert_eq!(info.version, 0);
    assert_eq!(info.state, WinfoState::Full);
    assert_eq!(info.lists.len(), 1);
    let list = &info.lists[0];
    assert_eq!(list.resource, "sip:professor@example.net");
    assert_eq!(list.package, "presence");
    assert_eq!(
        list.watchers,
        [
            Watcher {
                id: "8ajksjda7s".to_owned(),
                status: WatcherStatus::Active,
                event: WatcherEvent::Approved,
                uri: "sip:userA@example.net".to_owned(),
                display_name: None,
                expiration: None,
                duration_subscribed: Some(509),
                lang: None,
            },
            Watcher {
                id: "hh8juja87s997-ass7".to_owned(),
                status: WatcherStatus::Pending,
                event: WatcherEvent::Subscribe,
                uri: "sip:userB@example.org".to_owned(),
                display_name: Some("Mr. Subscriber".to_owned()),
                expiration: None,
                duration_subscribed: None,
                lang: None,
            },
        ]
    );
    assert_eq!(
        WatcherInfo::parse(info.to_xml().as_bytes()).expect("parses"),
        info
    );
}

#[test]
fn every_status_and_event_round_trips() {
    let statuses = [
        WatcherStatus::Pending,
        WatcherStatus::Active,
        WatcherStatus::Waiting,
        WatcherStatus::Terminated,
    ];
    let events = [
        WatcherEvent::Subscribe,
        WatcherEvent::Approved,
        WatcherEvent::Deactivated,
        WatcherEvent::Probation,
        WatcherEvent::Rejected,
        WatcherEvent::Timeout,
        WatcherEvent::Giveup,
        WatcherEvent::Noresource,
    ];
    let watchers = statuses
        .iter()
        .flat_map(|s| events.iter().map(move |e| (*s, *e)))
        .enumerate()
        .map(|(i, (status, event))| Watcher {
            id: format!("w{i}"),
            status,
            event,
            uri: format!("sip:user{i}@example.org"),
            display_name: (i % 2 == 0).then(|| "Zoë <&> \"Z\"".to_owned()),
            expiration: (i % 3 == 0).then_some(3600),
            duration_subscribed: (i % 4 == 0).then_some(12),
            lang: (i % 5 == 0).then(|| "fr".to_owned()),
        })
        .collect();
    let info = WatcherInfo {
        version: 42,
        state: WinfoState::Partial,
        lists: vec![
            WatcherList {
                resource: "sip:alice@example.com".to_owned(),
                package: "presence".to_owned(),
                watchers,
            },
            WatcherList {
                resource: "sip:alice@example.com".to_owned(),
                package: "message-summary".to_owned(),
                watchers: Vec::new(),
            },
        ],
    };
    let xml = info.to_xml();
    assert!(xml.contains(r#"state="partial""#), "{xml}");
    assert!(xml.contains("Zoë &lt;&amp;&gt; &quot;Z&quot;"), "{xml}");
    assert_eq!(WatcherInfo::parse(xml.as_bytes()).expect("parses"), info);
}

#[test]
fn prefixed_namespace() {
    let body = br#"<wi:watcherinfo xmlns:wi="urn:ietf:params:xml:ns:watcherinfo" version="3" state="partial">
      <wi:watcher-list resource="sip:a@x" package="presence">
        <wi:watcher id="1" status="terminated" event="rejected">sip:b@y</wi:watcher>
      </wi:watcher-list></wi:watcherinfo>"#;
    let info = WatcherInfo::parse(body).expect("parses");
    assert_eq!(info.version, 3);
    assert_eq!(info.lists[0].watchers[0].status, WatcherStatus::Terminated);
    assert_eq!(info.lists[0].watchers[0].event, WatcherEvent::Rejected);
}

#[test]
fn refusals_name_the_problem() {
    let err = |body: &str| {
        WatcherInfo::parse(body.as_bytes())
            .expect_err("refused")
            .to_string()
    };
    let doc = |watcher_attrs: &str| {
        format!(
            r#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="0" state="full">
            <watcher-list resource="sip:a@x" package="presence">
            <watcher {watcher_attrs}>sip:b@y</watcher></watcher-list></watcherinfo>"#
        )
    };
    assert_eq!(
        err(&doc(r#"id="1" status="maybe" event="subscribe""#)),
        "invalid watcher status: `maybe`"
    );
    assert_eq!(
        err(&doc(r#"id="1" status="active" event="poke""#)),
        "invalid watcher event: `poke`"
    );
    assert_eq!(
        err(&doc(r#"status="active" event="approved""#)),
        "<watcher> has no `id` attribute"
    );
    assert_eq!(
        err(&doc(
            r#"id="1" status="active" event="approved" expiration="soon""#
        )),
        "invalid watcher expiration: `soon`"
    );
    assert_eq!(
        err(
            r#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="-1" state="full"/>"#
        ),
        "invalid watcherinfo version: `-1`"
    );
    assert_eq!(
        err(
            r#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="1" state="some"/>"#
        ),
        "invalid watcherinfo state: `some`"
    );
    let e = WatcherInfo::parse(br#"<watcherinfo version="1" state="full"/>"#).expect_err("refused");
    assert!(matches!(e, PresenceError::WrongRoot { .. }), "{e:?}");
}
