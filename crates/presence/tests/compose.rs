//! The server's composition of a user's publications into the document watchers get.

use presence::{compose, Activity, Basic, Document, Status, REGISTRATION_TUPLE_ID};

const ALICE: &str = "sip:alice@example.com";

fn publish(tuple_id: &str, status: Status, note: Option<&str>) -> Document {
    Document::for_status(ALICE, tuple_id, status, note, None, None)
}

fn tuple_ids(doc: &Document) -> Vec<&str> {
    doc.tuples.iter().map(|t| t.id.as_str()).collect()
}

#[test]
fn nothing_published_follows_registration() {
    let doc = compose(ALICE, &[], true);
    assert_eq!(doc.entity, ALICE);
    assert_eq!(tuple_ids(&doc), [REGISTRATION_TUPLE_ID]);
    assert_eq!(doc.tuples[0].basic, Some(Basic::Open));
    assert_eq!(doc.view().status, Status::Available);

    let doc = compose(ALICE, &[], false);
    assert_eq!(doc.tuples[0].basic, Some(Basic::Closed));
    assert_eq!(doc.view().status, Status::Offline);
}

#[test]
fn all_devices_tuples_are_kept() {
    let doc = compose(
        ALICE,
        &[
            (publish("laptop", Status::Available, None), 1),
            (publish("desk", Status::Available, None), 2),
        ],
        true,
    );
    assert_eq!(tuple_ids(&doc), ["laptop", "desk"]);
}

#[test]
fn same_tuple_id_newest_wins_whatever_the_slice_order() {
    let old = publish("laptop", Status::Away, Some("old"));
    let new = publish("laptop", Status::Busy, Some("new"));
    for publications in [
        [(old.clone(), 1), (new.clone(), 2)],
        [(new.clone(), 2), (old.clone(), 1)],
    ] {
        let doc = compose(ALICE, &publications, true);
        assert_eq!(tuple_ids(&doc), ["laptop"]);
        assert_eq!(doc.tuples[0].notes[0].text, "new");
        assert_eq!(doc.view().status, Status::Busy);
    }
}

#[test]
fn equal_keys_later_entry_wins() {
    let doc = compose(
        ALICE,
        &[
            (publish("laptop", Status::Away, None), 5),
            (publish("desk", Status::Busy, None), 5),
        ],
        true,
    );
    assert_eq!(doc.view().status, Status::Busy);
}

#[test]
fn person_newest_wins() {
    let away = publish("laptop", Status::Away, Some("lunch"));
    let busy = publish("desk", Status::Busy, Some("focus"));
    let doc = compose(ALICE, &[(away.clone(), 1), (busy.clone(), 2)], true);
    assert_eq!(doc.persons.len(), 1);
    assert_eq!(doc.view().status, Status::Busy);
    assert_eq!(doc.view().note.as_deref(), Some("focus"));

    let doc = compose(ALICE, &[(away, 2), (busy, 1)], true);
    assert_eq!(doc.view().status, Status::Away);
    assert_eq!(doc.view().note.as_deref(), Some("lunch"));
}

#[test]
fn any_device_on_the_phone_wins() {
    let doc = compose(
        ALICE,
        &[
            (publish("desk", Status::OnThePhone, None), 1),
            (publish("laptop", Status::Away, Some("lunch")), 2),
        ],
        true,
    );
    assert_eq!(doc.persons.len(), 1);
    assert_eq!(doc.persons[0].activities, [Activity::OnThePhone]);
    assert_eq!(doc.view().status, Status::OnThePhone);
    // The user's latest note stays.
    assert_eq!(doc.view().note.as_deref(), Some("lunch"));
}

#[test]
fn call_keeps_dnd_choice() {
    let doc = compose(
        ALICE,
        &[
            (publish("desk", Status::OnThePhone, None), 1),
            (publish("laptop", Status::DoNotDisturb, None), 2),
        ],
        true,
    );
    assert!(doc.persons[0].do_not_disturb);
    assert_eq!(doc.view().status, Status::OnThePhone);
}

#[test]
fn on_the_phone_from_a_tuple_only_publisher() {
    // A draft-RPID client with no <dm:person>, in a call.
    let mut phone = publish("sipphone", Status::Available, None);
    phone.persons.clear();
    phone.tuples[0].activities = vec![Activity::OnThePhone];
    let doc = compose(ALICE, &[(phone, 1)], true);
    assert_eq!(doc.persons.len(), 1);
    assert_eq!(doc.view().status, Status::OnThePhone);
}

#[test]
fn one_device_offline_another_open() {
    let offline = publish("laptop", Status::Offline, None);
    let open = publish("desk", Status::Available, None);
    let doc = compose(ALICE, &[(open.clone(), 1), (offline.clone(), 2)], true);
    assert_eq!(doc.view().status, Status::Available);
    let doc = compose(ALICE, &[(offline, 1)], true);
    assert_eq!(doc.view().status, Status::Offline);
}

#[test]
fn composed_document_round_trips() {
    let doc = compose(
        ALICE,
        &[
            (publish("desk", Status::OnThePhone, Some("call <&>")), 1),
            (
                publish("laptop", Status::DoNotDisturb, Some("heads down — ☕")),
                2,
            ),
        ],
        true,
    );
    let again = Document::parse(doc.to_xml().as_bytes()).expect("parses");
    assert_eq!(again, doc);
}
