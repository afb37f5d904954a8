//! PIDF input: RFC 3863 with the RFC 4479 data model and RFC 4480 RPID elements.
//!
//! Elements are matched by namespace URI and local name only. Elements this crate does not model
//! (capabilities, CIPID, moods, other extensions) are skipped, as RFC 3863 §4.1.6 lets a watcher
//! do; what is modelled and required by the schemas (ids, `<status>`, `<dm:deviceID>`) must be
//! there, so a broken publisher is told rather than silently shown offline.

use crate::model::{Activity, Basic, Contact, Device, Document, Note, Person, QValue, Tuple};
use crate::xml::{self, Element, DATA_MODEL, HALO_DND, PIDF, RPID};
use crate::PresenceError;

/// Most tuples, persons or devices (each) kept from one document. A Halo user has a handful of
/// devices; 64 covers any composed document a real server sends while bounding composition work.
pub const MAX_TUPLES: usize = 64;

impl Document {
    /// Parses an `application/pidf+xml` body.
    ///
    /// Never panics; refuses bodies over [`crate::MAX_INPUT`] bytes, nested over
    /// [`crate::MAX_DEPTH`], or with more than [`MAX_TUPLES`] tuples, persons or devices.
    pub fn parse(data: &[u8]) -> Result<Document, PresenceError> {
        let root = xml::read(data)?.expect_root(PIDF, "presence")?;
        let mut doc = Document {
            entity: required_attr(&root, "presence", "entity")?.to_owned(),
            tuples: Vec::new(),
            persons: Vec::new(),
            devices: Vec::new(),
            notes: Vec::new(),
        };
        for child in &root.children {
            match (child.ns(), child.name()) {
                (PIDF, "tuple") => push_bounded(&mut doc.tuples, "tuples", tuple(child)?)?,
                (PIDF, "note") => doc.notes.push(note(child)),
                (DATA_MODEL, "person") => {
                    push_bounded(&mut doc.persons, "persons", person(child)?)?;
                }
                (DATA_MODEL, "device") => {
                    push_bounded(&mut doc.devices, "devices", device(child)?)?;
                }
                _ => {}
            }
        }
        Ok(doc)
    }
}

fn push_bounded<T>(items: &mut Vec<T>, what: &'static str, item: T) -> Result<(), PresenceError> {
    if items.len() == MAX_TUPLES {
        return Err(PresenceError::TooMany {
            what,
            max: MAX_TUPLES,
        });
    }
    items.push(item);
    Ok(())
}

pub(crate) fn required_attr<'a>(
    element: &'a Element,
    element_name: &'static str,
    attribute: &'static str,
) -> Result<&'a str, PresenceError> {
    element
        .attr(attribute)
        .ok_or(PresenceError::MissingAttribute {
            element: element_name,
            attribute,
        })
}

fn tuple(el: &Element) -> Result<Tuple, PresenceError> {
    let id = required_attr(el, "tuple", "id")?.to_owned();
    let status = el
        .child(PIDF, "status")
        .ok_or(PresenceError::MissingElement {
            parent: "tuple",
            element: "status",
        })?;
    let basic = status
        .child(PIDF, "basic")
        .map(|b| Basic::parse(b.text()))
        .transpose()?;
    let contact = match el.child(PIDF, "contact") {
        Some(c) => Some(Contact {
            uri: c.text().to_owned(),
            priority: c.attr("priority").map(QValue::parse).transpose()?,
        }),
        None => None,
    };
    Ok(Tuple {
        id,
        basic,
        contact,
        notes: el.children_named(PIDF, "note").map(note).collect(),
        timestamp: el.child(PIDF, "timestamp").map(|t| t.text().to_owned()),
        device_id: el
            .child(DATA_MODEL, "deviceID")
            .map(|d| d.text().to_owned()),
        // Draft-era RPID put activities inside <status>; RFC 4480 clients never put them on
        // tuples, so reading both places costs nothing.
        activities: activities(status).chain(activities(el)).collect(),
    })
}

fn person(el: &Element) -> Result<Person, PresenceError> {
    Ok(Person {
        id: required_attr(el, "person", "id")?.to_owned(),
        activities: activities(el).collect(),
        do_not_disturb: el.child(HALO_DND, "dnd").is_some(),
        // RFC 4479 defines <dm:note>; some clients write <rpid:note> or a PIDF <note> instead.
        notes: el
            .children
            .iter()
            .filter(|c| c.name() == "note" && [DATA_MODEL, RPID, PIDF].contains(&c.ns()))
            .map(note)
            .collect(),
        timestamp: el
            .child(DATA_MODEL, "timestamp")
            .map(|t| t.text().to_owned()),
    })
}

fn device(el: &Element) -> Result<Device, PresenceError> {
    let device_id = el
        .child(DATA_MODEL, "deviceID")
        .ok_or(PresenceError::MissingElement {
            parent: "device",
            element: "deviceID",
        })?;
    Ok(Device {
        id: required_attr(el, "device", "id")?.to_owned(),
        device_id: device_id.text().to_owned(),
        notes: el.children_named(DATA_MODEL, "note").map(note).collect(),
        timestamp: el
            .child(DATA_MODEL, "timestamp")
            .map(|t| t.text().to_owned()),
    })
}

/// Every activity in every `<rpid:activities>` child of `el`. Unknown RPID names (a later RFC's
/// activities) and `<rpid:note>` are skipped rather than refused.
fn activities(el: &Element) -> impl Iterator<Item = Activity> + '_ {
    el.children_named(RPID, "activities")
        .flat_map(|a| a.children.iter())
        .filter(|c| c.ns() == RPID)
        .filter_map(|c| match c.name() {
            "other" => Some(Activity::Other(c.text().to_owned())),
            name => Activity::from_element(name),
        })
}

fn note(el: &Element) -> Note {
    Note {
        text: el.text().to_owned(),
        lang: el.lang().map(str::to_owned),
    }
}
