//! Halo's status menu through PUBLISH and back: every status with awkward notes, the DND
//! marker's round trip and its degradation to `busy` for other clients, and every RPID activity.

use presence::{Activity, Basic, Document, Note, Person, QValue, Status};

const ALL: [Status; 6] = [
    Status::Available,
    Status::Away,
    Status::Busy,
    Status::DoNotDisturb,
    Status::OnThePhone,
    Status::Offline,
];

const NOTES: [Option<&str>; 5] = [
    None,
    Some("Back at 3 — café ☕"),
    Some("a <b> & c \"quoted\" 'apos' ]]>"),
    Some("来週東京にいます"),
    Some("Ünïcödé\ttab"),
];

#[test]
fn every_status_with_every_note_round_trips() {
    for status in ALL {
        for note in NOTES {
            let doc = Document::for_status(
                "sip:alice@example.com",
                "laptop-1",
                status,
                note,
                Some("sip:alice@192.0.2.1:5060;transport=tcp"),
                Some("2026-11-28T10:00:00Z".to_owned()),
            );
            let xml = doc.to_xml();
            let again = Document::parse(xml.as_bytes())
                .unwrap_or_else(|e| panic!("{status:?} {note:?}: {e}\n{xml}"));
            assert_eq!(again, doc, "{xml}");
            let view = again.view();
            assert_eq!(view.status, status, "{xml}");
            assert_eq!(view.note.as_deref(), note, "{xml}");
        }
    }
}

#[test]
fn published_document_shape() {
    let doc = Document::for_status("sip:a@x", "t1", Status::Away, Some("lunch"), None, None);
    assert_eq!(doc.tuples[0].basic, Some(Basic::Open));
    assert_eq!(doc.tuples[0].notes, [Note::new("lunch")]);
    assert_eq!(doc.persons[0].notes, [Note::new("lunch")]);
    assert_eq!(doc.persons[0].activities, [Activity::Away]);

    let offline = Document::for_status("sip:a@x", "t1", Status::Offline, None, None, None);
    assert_eq!(offline.tuples[0].basic, Some(Basic::Closed));
    assert!(offline.persons[0].activities.is_empty());
}

#[test]
fn notes_are_escaped_on_output() {
    let doc = Document::for_status("sip:a&b@x", "t1", Status::Busy, Some("<&>"), None, None);
    let xml = doc.to_xml();
    assert!(xml.contains("&lt;&amp;&gt;"), "{xml}");
    assert!(xml.contains(r#"entity="sip:a&amp;b@x""#), "{xml}");
    assert!(!xml.contains("<&>"), "{xml}");
}

#[test]
fn dnd_is_busy_plus_halo_marker() {
    let doc = Document::for_status("sip:a@x", "t1", Status::DoNotDisturb, None, None, None);
    let xml = doc.to_xml();
    assert!(xml.contains("<rpid:busy/>"), "{xml}");
    assert!(
        xml.contains(r#"xmlns:halo="urn:halo:params:xml:ns:pidf:dnd""#),
        "{xml}"
    );
    assert!(xml.contains("<halo:dnd/>"), "{xml}");

    // A reader that ignores the Halo namespace, as baresip and Kamailio do, sees busy.
    let mut foreign_view = Document::parse(xml.as_bytes()).expect("parses");
    foreign_view.persons[0].do_not_disturb = false;
    assert_eq!(foreign_view.view().status, Status::Busy);

    // The namespace is declared only when needed.
    let busy = Document::for_status("sip:a@x", "t1", Status::Busy, None, None, None).to_xml();
    assert!(!busy.contains("urn:halo"), "{busy}");
}

#[test]
fn dnd_marker_is_matched_by_namespace() {
    let other_prefix = br#"<presence xmlns="urn:ietf:params:xml:ns:pidf"
        xmlns:d="urn:ietf:params:xml:ns:pidf:data-model" xmlns:r="urn:ietf:params:xml:ns:pidf:rpid"
        xmlns:h="urn:halo:params:xml:ns:pidf:dnd" entity="sip:a@x">
      <tuple id="t"><status><basic>open</basic></status></tuple>
      <d:person id="p"><r:activities><r:busy/></r:activities><h:dnd/></d:person></presence>"#;
    let doc = Document::parse(other_prefix).expect("parses");
    assert_eq!(doc.view().status, Status::DoNotDisturb);

    let wrong_namespace = br#"<presence xmlns="urn:ietf:params:xml:ns:pidf"
        xmlns:d="urn:ietf:params:xml:ns:pidf:data-model" xmlns:r="urn:ietf:params:xml:ns:pidf:rpid"
        xmlns:h="urn:example:dnd" entity="sip:a@x">
      <tuple id="t"><status><basic>open</basic></status></tuple>
      <d:person id="p"><r:activities><r:busy/></r:activities><h:dnd/></d:person></presence>"#;
    let doc = Document::parse(wrong_namespace).expect("parses");
    assert_eq!(doc.view().status, Status::Busy);
}

#[test]
fn every_rpid_activity_round_trips() {
    let activities = vec![
        Activity::Appointment,
        Activity::Away,
        Activity::Breakfast,
        Activity::Busy,
        Activity::Dinner,
        Activity::Holiday,
        Activity::InTransit,
        Activity::LookingForWork,
        Activity::Lunch,
        Activity::Meal,
        Activity::Meeting,
        Activity::OnThePhone,
        Activity::Performance,
        Activity::PermanentAbsence,
        Activity::Playing,
        Activity::Presentation,
        Activity::Shopping,
        Activity::Sleeping,
        Activity::Spectator,
        Activity::Steering,
        Activity::Travel,
        Activity::Tv,
        Activity::Vacation,
        Activity::Working,
        Activity::Worship,
        Activity::Unknown,
        Activity::Other("writing <code> & tests".to_owned()),
    ];
    let mut doc = Document::for_status("sip:a@x", "t1", Status::Available, None, None, None);
    doc.persons[0].activities = activities.clone();
    let xml = doc.to_xml();
    for name in [
        "in-transit",
        "looking-for-work",
        "permanent-absence",
        "on-the-phone",
    ] {
        assert!(xml.contains(&format!("<rpid:{name}/>")), "{name}: {xml}");
    }
    let again = Document::parse(xml.as_bytes()).expect("parses");
    assert_eq!(again.persons[0].activities, activities);
}

#[test]
fn view_precedence() {
    let with = |activities: Vec<Activity>, dnd: bool| {
        let mut doc = Document::for_status("sip:a@x", "t", Status::Available, None, None, None);
        doc.persons = vec![Person {
            id: "p".to_owned(),
            activities,
            do_not_disturb: dnd,
            notes: Vec::new(),
            timestamp: None,
        }];
        doc.view().status
    };
    assert_eq!(with(vec![Activity::Vacation], false), Status::Away);
    assert_eq!(with(vec![Activity::Appointment], false), Status::Busy);
    assert_eq!(
        with(vec![Activity::Away, Activity::Busy], false),
        Status::Busy
    );
    assert_eq!(with(vec![Activity::Working], false), Status::Available);
    assert_eq!(
        with(vec![Activity::Other("x".into())], false),
        Status::Available
    );
    assert_eq!(with(vec![Activity::Away], true), Status::DoNotDisturb);
    assert_eq!(
        with(vec![Activity::Busy, Activity::OnThePhone], true),
        Status::OnThePhone
    );
}

#[test]
fn offline_when_no_tuple_is_open() {
    let mut doc = Document::for_status("sip:a@x", "t", Status::Busy, Some("gone"), None, None);
    doc.tuples[0].basic = Some(Basic::Closed);
    assert_eq!(doc.view().status, Status::Offline);
    assert_eq!(doc.view().note.as_deref(), Some("gone"));
    doc.tuples[0].basic = None;
    assert_eq!(doc.view().status, Status::Offline);
    doc.tuples.clear();
    assert_eq!(doc.view().status, Status::Offline);
}

#[test]
fn note_language_kept() {
    let mut doc = Document::for_status("sip:a@x", "t", Status::Away, None, None, None);
    doc.persons[0].notes = vec![
        Note {
            text: "Mittagspause".to_owned(),
            lang: Some("de-CH".to_owned()),
        },
        Note {
            text: "Lunch break".to_owned(),
            lang: Some("en".to_owned()),
        },
    ];
    let xml = doc.to_xml();
    assert!(
        xml.contains(r#"<dm:note xml:lang="de-CH">Mittagspause</dm:note>"#),
        "{xml}"
    );
    assert_eq!(Document::parse(xml.as_bytes()).expect("parses"), doc);
    assert_eq!(doc.view().note.as_deref(), Some("Mittagspause"));
}

#[test]
fn contact_priorities() {
    let with_priority = |p: &str| {
        let body = format!(
            r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@x"><tuple id="t">
            <status><basic>open</basic></status><contact priority="{p}">sip:a@h</contact>
            </tuple></presence>"#
        );
        Document::parse(body.as_bytes())
            .map(|d| d.tuples[0].contact.as_ref().and_then(|c| c.priority))
    };
    for (text, thousandths, shortest) in [
        ("0", 0, "0"),
        ("0.8", 800, "0.8"),
        ("0.125", 125, "0.125"),
        ("0.050", 50, "0.05"),
        ("1", 1000, "1"),
        ("1.0", 1000, "1"),
        ("1.000", 1000, "1"),
    ] {
        let q = with_priority(text).expect(text).expect(text);
        assert_eq!(q.thousandths(), thousandths, "{text}");
        assert_eq!(q.to_string(), shortest, "{text}");
    }
    for bad in ["1.5", "2", ".5", "0.1234", "abc", "", "-0", "0.+1"] {
        assert!(with_priority(bad).is_err(), "{bad:?} accepted");
    }
    assert_eq!(QValue::from_thousandths(1001), None);
}
