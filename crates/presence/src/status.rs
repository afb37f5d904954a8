//! Halo's user-facing status and its mapping to and from RPID (RFC 4480).

use crate::model::{Activity, Basic, Contact, Document, Note, Person, Tuple};

/// What a Halo user picks from the status menu and sees next to a buddy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Reachable, nothing else to say.
    Available,
    /// Away from the device: RPID `away`, and the absence-like activities.
    Away,
    /// Busy: RPID `busy`, `meeting`, `appointment` and the like.
    Busy,
    /// Do not disturb: RPID `busy` plus Halo's DND marker, so other clients show `busy`.
    DoNotDisturb,
    /// In a call: RPID `on-the-phone`.
    OnThePhone,
    /// Not reachable: every service is `closed`, or there is none.
    Offline,
}

/// What a client shows for one buddy, computed by [`Document::view`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// The status to show.
    pub status: Status,
    /// The note to show under it.
    pub note: Option<String>,
}

impl Status {
    /// Precedence when several activities or persons disagree: the one that most restricts the
    /// caller wins, so nobody is shown "available" while a device is in a call.
    fn rank(self) -> u8 {
        match self {
            Status::Offline | Status::Available => 0,
            Status::Away => 1,
            Status::Busy => 2,
            Status::DoNotDisturb => 3,
            Status::OnThePhone => 4,
        }
    }

    /// The status one RPID activity reads as. Activities that say where the person is rather
    /// than whether they can talk (`working`, `tv`, `other`, …) read as available.
    fn of_activity(activity: &Activity) -> Status {
        match activity {
            Activity::OnThePhone => Status::OnThePhone,
            Activity::Busy
            | Activity::Meeting
            | Activity::Appointment
            | Activity::Performance
            | Activity::Presentation
            | Activity::Steering => Status::Busy,
            Activity::Away
            | Activity::Vacation
            | Activity::Holiday
            | Activity::Sleeping
            | Activity::Meal
            | Activity::Breakfast
            | Activity::Lunch
            | Activity::Dinner
            | Activity::PermanentAbsence
            | Activity::Travel
            | Activity::InTransit
            | Activity::Shopping
            | Activity::Worship => Status::Away,
            Activity::Working
            | Activity::Playing
            | Activity::Spectator
            | Activity::Tv
            | Activity::LookingForWork
            | Activity::Unknown
            | Activity::Other(_) => Status::Available,
        }
    }

    /// The activities Halo publishes for this status; DND adds the marker on the person too.
    fn activities(self) -> Vec<Activity> {
        match self {
            Status::Available | Status::Offline => Vec::new(),
            Status::Away => vec![Activity::Away],
            Status::Busy | Status::DoNotDisturb => vec![Activity::Busy],
            Status::OnThePhone => vec![Activity::OnThePhone],
        }
    }

    fn max(self, other: Status) -> Status {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

impl Document {
    /// The document a Halo client PUBLISHes for its own status (one device, one tuple).
    ///
    /// `tuple_id` must be an XML `ID` (letters, digits, `-`, `_`, `.`; not starting with a
    /// digit) and stable for the device, so the server can replace this device's tuple on the
    /// next publication. The note goes on both the person (RFC 4479 readers) and the tuple
    /// (older PIDF-only readers such as baresip show only tuple notes).
    pub fn for_status(
        entity: &str,
        tuple_id: &str,
        status: Status,
        note: Option<&str>,
        contact: Option<&str>,
        now_rfc3339: Option<String>,
    ) -> Document {
        let notes: Vec<Note> = note.map(Note::new).into_iter().collect();
        let basic = match status {
            Status::Offline => Basic::Closed,
            _ => Basic::Open,
        };
        Document {
            entity: entity.to_owned(),
            tuples: vec![Tuple {
                id: tuple_id.to_owned(),
                basic: Some(basic),
                contact: contact.map(|uri| Contact {
                    uri: uri.to_owned(),
                    priority: None,
                }),
                notes: notes.clone(),
                timestamp: now_rfc3339.clone(),
                device_id: None,
                activities: Vec::new(),
            }],
            persons: vec![Person {
                id: format!("p-{tuple_id}"),
                activities: status.activities(),
                do_not_disturb: status == Status::DoNotDisturb,
                notes,
                timestamp: now_rfc3339,
            }],
            devices: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The summary a client shows for this document.
    ///
    /// Offline unless some tuple is `open`. Otherwise the most restrictive of every person's
    /// activities and DND marker and every tuple's activities (so `on-the-phone` anywhere wins).
    /// The note is the first person note, else the first tuple note, else the first document note.
    pub fn view(&self) -> View {
        let reachable = self.tuples.iter().any(|t| t.basic == Some(Basic::Open));
        let status = if reachable {
            let person_activities = self.persons.iter().flat_map(|p| &p.activities);
            let tuple_activities = self.tuples.iter().flat_map(|t| &t.activities);
            let dnd = self.persons.iter().any(|p| p.do_not_disturb);
            let from_dnd = if dnd {
                Status::DoNotDisturb
            } else {
                Status::Available
            };
            person_activities
                .chain(tuple_activities)
                .map(Status::of_activity)
                .fold(from_dnd, Status::max)
        } else {
            Status::Offline
        };
        let note = self
            .persons
            .iter()
            .flat_map(|p| &p.notes)
            .chain(self.tuples.iter().flat_map(|t| &t.notes))
            .chain(&self.notes)
            .next()
            .map(|n| n.text.clone());
        View { status, note }
    }
}
