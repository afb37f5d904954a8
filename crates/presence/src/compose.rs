//! Server-side composition: the one document watchers of a presentity get, made from what each
//! of its devices published (RFC 4479 §3.4 leaves the policy to the compositor; this is Halo's).

use crate::model::{Activity, Basic, Document, Person, Tuple};

/// Id of the tuple synthesised from registration state when nothing is published.
pub const REGISTRATION_TUPLE_ID: &str = "registration";

/// Composes the document sent to watchers of `entity`.
///
/// `publications` holds every live publication (one per PUBLISH entity tag) with an ordering key,
/// larger is newer (a publication time or a sequence number); on equal keys the later entry in
/// the slice counts as newer. The rules:
///
/// - every tuple of every publication is kept, in order of first appearance; when two share an
///   id, the newest wins (a device that republished after a `412` before its old entry expired);
///   devices are merged the same way;
/// - the persons and document notes come from the newest publication that has any, because the
///   person is the user's latest choice of status, whichever device made it;
/// - except that if any publication is on the phone (in a person or a tuple), the person's
///   activities become just `on-the-phone`: a call on the desk phone must show while the laptop
///   says "available". The DND marker is kept, so the user's choice survives the call;
/// - with no publication at all, one tuple says whether the user is registered: `open` if so,
///   `closed` otherwise (what Kamailio's presence module does for `pua_usrloc`).
pub fn compose(entity: &str, publications: &[(Document, u64)], registered: bool) -> Document {
    let mut doc = Document {
        entity: entity.to_owned(),
        tuples: Vec::new(),
        persons: Vec::new(),
        devices: Vec::new(),
        notes: Vec::new(),
    };
    if publications.is_empty() {
        doc.tuples.push(Tuple {
            id: REGISTRATION_TUPLE_ID.to_owned(),
            basic: Some(if registered {
                Basic::Open
            } else {
                Basic::Closed
            }),
            contact: None,
            notes: Vec::new(),
            timestamp: None,
            device_id: None,
            activities: Vec::new(),
        });
        return doc;
    }

    // A stable sort, so on equal keys the later entry in the slice stays later, i.e. newer.
    let mut oldest_first: Vec<&(Document, u64)> = publications.iter().collect();
    oldest_first.sort_by_key(|(_, at)| *at);

    for (publication, _) in oldest_first {
        for tuple in &publication.tuples {
            upsert(&mut doc.tuples, tuple.clone(), |t| t.id == tuple.id);
        }
        for device in &publication.devices {
            upsert(&mut doc.devices, device.clone(), |d| d.id == device.id);
        }
        if !publication.persons.is_empty() {
            doc.persons = publication.persons.clone();
        }
        if !publication.notes.is_empty() {
            doc.notes = publication.notes.clone();
        }
    }

    let on_the_phone = publications.iter().any(|(d, _)| {
        d.persons
            .iter()
            .flat_map(|p| &p.activities)
            .chain(d.tuples.iter().flat_map(|t| &t.activities))
            .any(|a| *a == Activity::OnThePhone)
    });
    if on_the_phone {
        if doc.persons.is_empty() {
            doc.persons.push(Person {
                id: "p-composed".to_owned(),
                activities: Vec::new(),
                do_not_disturb: false,
                notes: Vec::new(),
                timestamp: None,
            });
        }
        for person in &mut doc.persons {
            person.activities = vec![Activity::OnThePhone];
        }
    }
    doc
}

/// Replaces the first item matching `same` with `item`, or appends it.
fn upsert<T>(items: &mut Vec<T>, item: T, same: impl Fn(&T) -> bool) {
    match items.iter_mut().find(|i| same(i)) {
        Some(slot) => *slot = item,
        None => items.push(item),
    }
}
