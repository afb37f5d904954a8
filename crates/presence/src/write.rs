//! PIDF output: what Halo publishes and what its server notifies.
//!
//! The default namespace is PIDF and the prefixes are the ones RFC 4479/4480 examples and
//! Kamailio use (`dm`, `rpid`), so the output reads like every trace an operator has seen. The
//! Halo namespace is declared only when a DND marker is written. Children follow the schemas'
//! sequence order (RFC 3863 §4.1, RFC 4479 §4) because validating servers check it.

use crate::model::{Activity, Document, Note, Tuple};
use crate::xml::{DATA_MODEL, HALO_DND, PIDF, RPID};
use crate::xmlout::XmlOut;

impl Document {
    /// Writes this document as `application/pidf+xml`. [`Document::parse`] of the result gives
    /// back an equal document, except that surrounding whitespace of texts is trimmed.
    pub fn to_xml(&self) -> String {
        let mut w = XmlOut::new();
        let mut attrs = vec![
            ("xmlns", PIDF),
            ("xmlns:dm", DATA_MODEL),
            ("xmlns:rpid", RPID),
        ];
        if self.persons.iter().any(|p| p.do_not_disturb) {
            attrs.push(("xmlns:halo", HALO_DND));
        }
        attrs.push(("entity", &self.entity));
        w.open("presence", &attrs);
        for tuple in &self.tuples {
            write_tuple(&mut w, tuple);
        }
        write_notes(&mut w, "note", &self.notes);
        for person in &self.persons {
            w.open("dm:person", &[("id", &person.id)]);
            write_activities(&mut w, &person.activities);
            if person.do_not_disturb {
                w.empty("halo:dnd", &[]);
            }
            write_notes(&mut w, "dm:note", &person.notes);
            if let Some(ts) = &person.timestamp {
                w.text("dm:timestamp", &[], ts);
            }
            w.close("dm:person");
        }
        for device in &self.devices {
            w.open("dm:device", &[("id", &device.id)]);
            w.text("dm:deviceID", &[], &device.device_id);
            write_notes(&mut w, "dm:note", &device.notes);
            if let Some(ts) = &device.timestamp {
                w.text("dm:timestamp", &[], ts);
            }
            w.close("dm:device");
        }
        w.close("presence");
        w.finish()
    }
}

fn write_tuple(w: &mut XmlOut, tuple: &Tuple) {
    w.open("tuple", &[("id", &tuple.id)]);
    w.open("status", &[]);
    if let Some(basic) = tuple.basic {
        w.text("basic", &[], basic.as_str());
    }
    write_activities(w, &tuple.activities);
    w.close("status");
    if let Some(device_id) = &tuple.device_id {
        w.text("dm:deviceID", &[], device_id);
    }
    if let Some(contact) = &tuple.contact {
        match contact.priority {
            Some(q) => w.text("contact", &[("priority", &q.to_string())], &contact.uri),
            None => w.text("contact", &[], &contact.uri),
        }
    }
    write_notes(w, "note", &tuple.notes);
    if let Some(ts) = &tuple.timestamp {
        w.text("timestamp", &[], ts);
    }
    w.close("tuple");
}

fn write_activities(w: &mut XmlOut, activities: &[Activity]) {
    if activities.is_empty() {
        return;
    }
    w.open("rpid:activities", &[]);
    for activity in activities {
        let name = format!("rpid:{}", activity.element());
        match activity {
            Activity::Other(text) => w.text(&name, &[], text),
            _ => w.empty(&name, &[]),
        }
    }
    w.close("rpid:activities");
}

fn write_notes(w: &mut XmlOut, name: &str, notes: &[Note]) {
    for note in notes {
        match &note.lang {
            Some(lang) => w.text(name, &[("xml:lang", lang)], &note.text),
            None => w.text(name, &[], &note.text),
        }
    }
}
