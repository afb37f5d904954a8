//! Documents as other software sends them: baresip, Kamailio, Linphone, and the RFC examples.
//! Each is checked field by field, then written and read back unchanged.

use presence::{Activity, Basic, Document, Note, QValue, Status, View};

fn parse(bytes: &[u8]) -> Document {
    match Document::parse(bytes) {
        Ok(doc) => doc,
        Err(e) => panic!("fixture refused: {e}"),
    }
}

fn lang(text: &str, lang: &str) -> Note {
    Note {
        text: text.to_owned(),
        lang: Some(lang.to_owned()),
    }
}

/// Writing and reading back gives the same document.
fn assert_round_trips(doc: &Document) {
    let again = Document::parse(doc.to_xml().as_bytes()).expect("own output parses");
    assert_eq!(&again, doc);
}

#[test]
fn baresip_open_without_activity_is_available() {
    let doc = parse(include_bytes!("fixtures/baresip-open.xml"));
    assert_eq!(doc.entity, "sip:alice@example.com");
    assert_eq!(doc.tuples.len(), 1);
    assert_eq!(doc.tuples[0].id, "t4109");
    assert_eq!(doc.tuples[0].basic, Some(Basic::Open));
    let contact = doc.tuples[0].contact.as_ref().expect("contact");
    assert_eq!(contact.uri, "sip:alice@example.com");
    assert_eq!(contact.priority, None);
    assert_eq!(doc.persons[0].id, "p4159");
    assert!(doc.persons[0].activities.is_empty());
    assert_eq!(
        doc.view(),
        View {
            status: Status::Available,
            note: None
        }
    );
    assert_round_trips(&doc);
}

#[test]
fn baresip_away_is_away() {
    let doc = parse(include_bytes!("fixtures/baresip-away.xml"));
    assert_eq!(doc.persons[0].activities, [Activity::Away]);
    assert_eq!(doc.view().status, Status::Away);
    assert_round_trips(&doc);
}

#[test]
fn kamailio_composed_with_p_prefix() {
    let doc = parse(include_bytes!("fixtures/kamailio-composed.xml"));
    assert_eq!(doc.entity, "sip:bob@example.com");
    let ids: Vec<_> = doc.tuples.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["0x7f3a2c0b8e40", "0x7f3a2c0b9f10"]);
    assert_eq!(doc.tuples[0].basic, Some(Basic::Open));
    assert_eq!(doc.tuples[1].basic, Some(Basic::Closed));
    let contact = doc.tuples[0].contact.as_ref().expect("contact");
    assert_eq!(contact.uri, "sip:bob@192.0.2.4:5060;transport=udp");
    assert_eq!(contact.priority, QValue::from_thousandths(800));
    assert_eq!(doc.tuples[0].notes, [lang("Ready", "en")]);
    assert_eq!(
        doc.tuples[0].timestamp.as_deref(),
        Some("2026-11-28T09:58:12Z")
    );
    assert_eq!(doc.persons[0].activities, [Activity::Meeting]);
    assert_eq!(
        doc.view(),
        View {
            status: Status::Busy,
            note: Some("In a meeting until noon".to_owned())
        }
    );
    assert_round_trips(&doc);
}

#[test]
fn linphone_person_on_the_phone() {
    let doc = parse(include_bytes!("fixtures/linphone-on-the-phone.xml"));
    assert_eq!(doc.entity, "sip:carol@sip.example.org");
    assert_eq!(doc.tuples[0].basic, Some(Basic::Open));
    assert_eq!(doc.persons[0].id, "qvepwg");
    assert_eq!(doc.persons[0].activities, [Activity::OnThePhone]);
    assert_eq!(
        doc.persons[0].timestamp.as_deref(),
        Some("2026-11-28T10:01:30Z")
    );
    assert_eq!(doc.view().status, Status::OnThePhone);
    assert_round_trips(&doc);
}

#[test]
fn rfc3863_minimal_example() {
    let doc = parse(include_bytes!("fixtures/rfc3863-minimal.xml"));
    assert_eq!(doc.entity, "pres:someone@example.com");
    assert_eq!(doc.tuples[0].id, "sg89ae");
    let contact = doc.tuples[0].contact.as_ref().expect("contact");
    assert_eq!(contact.uri, "tel:+09012345678");
    assert!(doc.persons.is_empty());
    assert_eq!(doc.view().status, Status::Available);
    assert_round_trips(&doc);
}

#[test]
fn rfc3863_extended_example_keeps_languages_and_skips_extensions() {
    let doc = parse(include_bytes!("fixtures/rfc3863-extended.xml"));
    let first = &doc.tuples[0];
    assert_eq!(first.basic, Some(Basic::Open));
    assert_eq!(
        first.notes,
        [
            lang("Don't Disturb Me!", "en"),
            lang("Ne dérangez pas, s'il vous plaît", "fr"),
        ]
    );
    assert_eq!(first.timestamp.as_deref(), Some("2001-10-27T16:49:29Z"));
    assert_eq!(
        doc.tuples[1].contact.as_ref().and_then(|c| c.priority),
        QValue::from_thousandths(1000)
    );
    assert_eq!(
        doc.notes,
        [
            lang("I'll be in Tokyo next week", "en"),
            lang("来週東京にいます", "ja"),
        ]
    );
    // No person: the first tuple note is what a client shows.
    assert_eq!(doc.view().note.as_deref(), Some("Don't Disturb Me!"));
    assert_round_trips(&doc);
}

#[test]
fn rfc4480_example_person_device_and_service() {
    let doc = parse(include_bytes!("fixtures/rfc4480-example.xml"));
    assert_eq!(doc.tuples.len(), 3);
    assert_eq!(
        doc.tuples[0].device_id.as_deref(),
        Some("urn:device:0003ba4811e3")
    );
    assert_eq!(doc.tuples[1].device_id, None);
    assert_eq!(doc.notes, [Note::new("I'll be in Tokyo next week")]);

    assert_eq!(doc.devices.len(), 1);
    assert_eq!(doc.devices[0].id, "pc147");
    assert_eq!(doc.devices[0].device_id, "urn:device:0003ba4811e3");
    assert_eq!(doc.devices[0].notes, [Note::new("PC")]);

    let person = &doc.persons[0];
    assert_eq!(person.id, "p1");
    // <rpid:note> inside <rpid:activities> and <rpid:unknown/> inside <rpid:privacy> are not
    // activities.
    assert_eq!(person.activities, [Activity::Away]);
    assert!(!person.do_not_disturb);
    assert_eq!(person.notes, [Note::new("Scoring 120")]);
    assert_eq!(
        person.timestamp.as_deref(),
        Some("2005-05-30T16:09:44+05:00")
    );
    assert_eq!(
        doc.view(),
        View {
            status: Status::Away,
            note: Some("Scoring 120".to_owned())
        }
    );
    assert_round_trips(&doc);
}

#[test]
fn draft_rpid_activities_in_tuple_status() {
    // Clients that follow the pre-RFC RPID drafts (X-Lite era) put activities in <status>.
    let body = br#"<presence xmlns="urn:ietf:params:xml:ns:pidf"
        xmlns:es="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:dave@example.com">
      <tuple id="x1"><status><basic>open</basic>
        <es:activities><es:on-the-phone/></es:activities></status></tuple>
    </presence>"#;
    let doc = parse(body);
    assert_eq!(doc.tuples[0].activities, [Activity::OnThePhone]);
    assert_eq!(doc.view().status, Status::OnThePhone);
    assert_round_trips(&doc);
}

#[test]
fn names_match_by_namespace_not_prefix() {
    // The same document three ways: default namespace, odd prefixes, and a prefix rebound
    // midway. All must give the same result.
    let default_ns = br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:e@x">
        <tuple id="t"><status><basic>open</basic></status></tuple></presence>"#;
    let prefixed = br#"<pidf:presence xmlns:pidf="urn:ietf:params:xml:ns:pidf" entity="sip:e@x">
        <pidf:tuple id="t"><pidf:status><pidf:basic>open</pidf:basic></pidf:status></pidf:tuple>
        </pidf:presence>"#;
    let rebound = br#"<a:presence xmlns:a="urn:ietf:params:xml:ns:pidf" entity="sip:e@x">
        <b:tuple xmlns:b="urn:ietf:params:xml:ns:pidf" id="t">
        <status xmlns="urn:ietf:params:xml:ns:pidf"><basic>open</basic></status></b:tuple>
        </a:presence>"#;
    let expected = parse(default_ns);
    assert_eq!(parse(prefixed), expected);
    assert_eq!(parse(rebound), expected);
    assert_eq!(expected.tuples[0].basic, Some(Basic::Open));

    // A PIDF-looking element in a foreign namespace is not a tuple.
    let foreign =
        br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:o="urn:other" entity="sip:e@x">
        <o:tuple id="t"><status><basic>open</basic></status></o:tuple></presence>"#;
    assert!(parse(foreign).tuples.is_empty());
}
