use crate::event::test_util::{assert_send, na, on_the_wire, reply, request, uri};
use crate::msg::{Method, Request, SipMessage};

use super::*;

fn invite() -> Request {
    request(
        Method::Invite,
        "sip:bob@example.test",
        &[
            ("From", "<sip:alice@example.test>;tag=a1"),
            ("To", "<sip:bob@example.test>"),
            ("Call-ID", "c1"),
            ("CSeq", "7 INVITE"),
            ("Contact", "<sip:alice@192.0.2.1>"),
        ],
    )
}

fn routes(req: &Request) -> Vec<&str> {
    req.headers.get_all("Route").collect()
}

fn uac_dialog(record_route: &[&str]) -> Dialog {
    let inv = invite();
    let mut extra = vec![("Contact", "<sip:bob@192.0.2.4>")];
    extra.extend(record_route.iter().map(|r| ("Record-Route", *r)));
    Dialog::new_uac(&inv, &reply(&inv, 200, Some("b1"), &extra)).unwrap()
}

#[test]
fn uac_reverses_record_route_and_routes_loosely() {
    let mut d = uac_dialog(&["<sip:p2.test;lr>", "<sip:p1.test;lr>"]);
    assert_eq!(d.state(), DialogState::Confirmed);
    assert_eq!(
        d.id(),
        &DialogId {
            call_id: "c1".into(),
            local_tag: "a1".into(),
            remote_tag: "b1".into()
        }
    );
    let bye = d.create_request(Method::Bye);
    assert_eq!(bye.uri, uri("sip:bob@192.0.2.4"));
    assert_eq!(routes(&bye), ["<sip:p1.test;lr>", "<sip:p2.test;lr>"]);
    assert_eq!(bye.cseq().unwrap().seq, 8);
    assert_eq!(bye.to_header().unwrap().tag(), Some("b1"));
    assert_eq!(bye.from_header().unwrap().tag(), Some("a1"));
    assert_eq!(bye.header("Contact"), None, "BYE is no target refresh");
    let reinvite = d.create_request(Method::Invite);
    assert_eq!(reinvite.cseq().unwrap().seq, 9);
    assert_eq!(reinvite.header("Contact"), Some("<sip:alice@192.0.2.1>"));
    let ack = d.create_ack(9);
    assert_eq!(ack.cseq().unwrap().to_string(), "9 ACK");
    assert_eq!(d.local_seq(), Some(9));
    on_the_wire(&reinvite);
    on_the_wire(&ack);
}

#[test]
fn uas_keeps_record_route_order() {
    let mut inv = invite();
    inv.headers.push("Record-Route", "<sip:p1.test;lr>");
    inv.headers.push("Record-Route", "<sip:p2.test;lr>");
    let ok = reply(&inv, 200, Some("b1"), &[("Contact", "<sip:bob@192.0.2.4>")]);
    let mut d = Dialog::new_uas(&inv, &ok).unwrap();
    assert_eq!(d.id().local_tag, "b1");
    assert_eq!(d.id().remote_tag, "a1");
    assert_eq!(d.remote_seq(), Some(7));
    assert_eq!(d.local_seq(), None);
    let bye = d.create_request(Method::Bye);
    assert_eq!(bye.uri, uri("sip:alice@192.0.2.1"));
    assert_eq!(routes(&bye), ["<sip:p1.test;lr>", "<sip:p2.test;lr>"]);
    assert_eq!(bye.cseq().unwrap().seq, 1);
    assert_eq!(bye.to_header().unwrap().tag(), Some("a1"));
    assert_eq!(bye.from_header().unwrap().tag(), Some("b1"));
}

#[test]
fn strict_router_gets_the_request_uri() {
    let mut d = uac_dialog(&["<sip:loose.test;lr>", "<sip:strict.test;method=INVITE>"]);
    let bye = d.create_request(Method::Bye);
    // Reversed: strict.test is the first hop and has no ;lr.
    assert_eq!(bye.uri, uri("sip:strict.test"));
    assert_eq!(
        routes(&bye),
        ["<sip:loose.test;lr>", "<sip:bob@192.0.2.4>"],
        "the remote target travels last in Route"
    );
    on_the_wire(&bye);
}

#[test]
fn no_route_set_targets_the_contact() {
    let mut d = uac_dialog(&[]);
    let bye = d.create_request(Method::Bye);
    assert_eq!(bye.uri, uri("sip:bob@192.0.2.4"));
    assert!(routes(&bye).is_empty());
}

fn in_dialog(method: Method, cseq: &str, extra: &[(&str, &str)]) -> Request {
    let mut headers = vec![
        ("From", "<sip:bob@example.test>;tag=b1"),
        ("To", "<sip:alice@example.test>;tag=a1"),
        ("Call-ID", "c1"),
        ("CSeq", cseq),
    ];
    headers.extend_from_slice(extra);
    request(method, "sip:alice@192.0.2.1", &headers)
}

#[test]
fn remote_cseq_must_not_go_backwards() {
    let mut d = uac_dialog(&[]);
    d.handle_request(&in_dialog(Method::Info, "5 INFO", &[]))
        .unwrap();
    let err = d
        .handle_request(&in_dialog(Method::Info, "4 INFO", &[]))
        .unwrap_err();
    assert_eq!(
        err,
        DialogError::CSeqOutOfOrder {
            received: 4,
            last: 5
        }
    );
    assert_eq!(err.status(), 500);
    assert_eq!(d.remote_seq(), Some(5));
    d.handle_request(&in_dialog(Method::Info, "6 INFO", &[]))
        .unwrap();
    assert_eq!(d.remote_seq(), Some(6));
}

#[test]
fn unknown_tags_are_481() {
    let mut d = uac_dialog(&[]);
    let mut req = in_dialog(Method::Bye, "5 BYE", &[]);
    req.headers.set("From", "<sip:bob@example.test>;tag=other");
    let err = d.handle_request(&req).unwrap_err();
    assert_eq!(err.status(), 481);
    let mut req = in_dialog(Method::Bye, "5 BYE", &[]);
    req.headers.set("Call-ID", "c2");
    assert_eq!(d.handle_request(&req).unwrap_err().status(), 481);
}

#[test]
fn target_refresh_requests_move_the_remote_target() {
    let mut d = uac_dialog(&[]);
    let info = in_dialog(
        Method::Info,
        "5 INFO",
        &[("Contact", "<sip:bob@198.51.100.9>")],
    );
    d.handle_request(&info).unwrap();
    assert_eq!(
        d.remote_target(),
        &uri("sip:bob@192.0.2.4"),
        "INFO refreshes nothing"
    );
    let reinvite = in_dialog(
        Method::Invite,
        "6 INVITE",
        &[("Contact", "<sip:bob@198.51.100.9>")],
    );
    d.handle_request(&reinvite).unwrap();
    assert_eq!(d.remote_target(), &uri("sip:bob@198.51.100.9"));
    let update = in_dialog(
        Method::Update,
        "7 UPDATE",
        &[("Contact", "<sip:bob@198.51.100.10>")],
    );
    d.handle_request(&update).unwrap();
    assert_eq!(d.remote_target(), &uri("sip:bob@198.51.100.10"));
}

#[test]
fn two_hundred_to_reinvite_moves_the_remote_target() {
    let mut d = uac_dialog(&[]);
    let reinvite = d.create_request(Method::Invite);
    let ok = reply(
        &reinvite,
        200,
        None,
        &[("Contact", "<sip:bob@203.0.113.5>")],
    );
    d.handle_response(&ok).unwrap();
    assert_eq!(d.remote_target(), &uri("sip:bob@203.0.113.5"));
    let bye = d.create_request(Method::Bye);
    d.handle_response(&reply(&bye, 481, None, &[])).unwrap();
    assert_eq!(d.state(), DialogState::Terminated, "RFC 3261 §12.2.1.2");
}

#[test]
fn early_dialog_is_confirmed_and_reroutes_on_2xx() {
    let inv = invite();
    let ringing = reply(
        &inv,
        180,
        Some("b1"),
        &[("Record-Route", "<sip:early.test;lr>")],
    );
    let mut d = Dialog::new_uac(&inv, &ringing).unwrap();
    assert_eq!(d.state(), DialogState::Early);
    assert_eq!(d.remote_target(), &inv.uri, "no Contact in the 180");
    let ok = reply(
        &inv,
        200,
        Some("b1"),
        &[
            ("Contact", "<sip:bob@192.0.2.4>"),
            ("Record-Route", "<sip:final.test;lr>"),
        ],
    );
    d.handle_response(&ok).unwrap();
    assert_eq!(d.state(), DialogState::Confirmed);
    assert_eq!(d.route_set(), [na("<sip:final.test;lr>")]);
    assert_eq!(d.remote_target(), &uri("sip:bob@192.0.2.4"));
}

#[test]
fn forked_early_dialogs_one_wins() {
    let inv = invite();
    let mut set = DialogSet::new(inv.clone());
    assert_eq!(
        set.handle_response(&reply(&inv, 100, None, &[])).unwrap(),
        ForkUpdate::Unchanged
    );
    let ring = |tag| reply(&inv, 180, Some(tag), &[("Contact", "<sip:x@192.0.2.7>")]);
    let ForkUpdate::Early(b1) = set.handle_response(&ring("b1")).unwrap() else {
        panic!("180 makes an early dialog")
    };
    let ForkUpdate::Early(b2) = set.handle_response(&ring("b2")).unwrap() else {
        panic!("second fork makes another")
    };
    assert_ne!(b1, b2);
    assert_eq!(set.early().len(), 2);
    let ok = |tag| reply(&inv, 200, Some(tag), &[("Contact", "<sip:x@192.0.2.8>")]);
    let update = set.handle_response(&ok("b2")).unwrap();
    assert_eq!(
        update,
        ForkUpdate::Confirmed {
            id: b2.clone(),
            abandoned: vec![b1.clone()]
        }
    );
    assert!(set.early().is_empty());
    assert_eq!(
        set.handle_response(&ok("b2")).unwrap(),
        ForkUpdate::Unchanged,
        "a retransmitted 2xx"
    );
    let ForkUpdate::ExtraConfirmed(mut extra) = set.handle_response(&ok("b1")).unwrap() else {
        panic!("a second 2xx must be ACKed and BYEd")
    };
    assert_eq!(extra.id(), &b1);
    assert_eq!(extra.create_ack(7).cseq().unwrap().to_string(), "7 ACK");
    assert_eq!(extra.create_request(Method::Bye).method, Method::Bye);
    assert_eq!(set.into_confirmed().unwrap().id(), &b2);
}

#[test]
fn final_failure_abandons_every_early_dialog() {
    let inv = invite();
    let mut set = DialogSet::new(inv.clone());
    let _ = set
        .handle_response(&reply(&inv, 183, Some("b1"), &[]))
        .unwrap();
    let _ = set
        .handle_response(&reply(&inv, 180, Some("b2"), &[]))
        .unwrap();
    let ForkUpdate::Failed { abandoned } = set
        .handle_response(&reply(&inv, 486, Some("b3"), &[]))
        .unwrap()
    else {
        panic!("486 fails the INVITE")
    };
    assert_eq!(abandoned.len(), 2);
    assert!(set.confirmed().is_none());
    let mut other = reply(&inv, 180, Some("b1"), &[]);
    other.headers.set("CSeq", "8 INVITE");
    assert_eq!(set.handle_response(&other).unwrap_err().status(), 481);
}

#[test]
fn malformed_messages_are_errors_not_panics() {
    let inv = invite();
    let no_tag = reply(&inv, 200, None, &[("Contact", "<sip:b@192.0.2.4>")]);
    assert_eq!(
        Dialog::new_uac(&inv, &no_tag).unwrap_err(),
        DialogError::NotDialogCreating { status: 200 }
    );
    let no_contact = reply(&inv, 200, Some("b1"), &[]);
    assert_eq!(
        Dialog::new_uac(&inv, &no_contact).unwrap_err(),
        DialogError::MissingContact
    );
    assert!(Dialog::new_uac(&inv, &reply(&inv, 404, Some("b1"), &[])).is_err());
    let mut uas_inv = inv.clone();
    uas_inv.headers.remove("Contact");
    let err = Dialog::new_uas(&uas_inv, &reply(&inv, 200, Some("b1"), &[])).unwrap_err();
    assert_eq!(err.status(), 400);

    let mut d = uac_dialog(&[]);
    let bare = request(Method::Bye, "sip:alice@192.0.2.1", &[]);
    assert_eq!(d.handle_request(&bare).unwrap_err().status(), 400);
    let bad_rr = reply(
        &inv,
        200,
        Some("b1"),
        &[("Contact", "<sip:b@h>"), ("Record-Route", "<nonsense")],
    );
    assert_eq!(Dialog::new_uac(&inv, &bad_rr).unwrap_err().status(), 400);
    let bad_contact = in_dialog(Method::Invite, "9 INVITE", &[("Contact", "<:::>")]);
    assert!(d.handle_request(&bad_contact).is_err());
    assert_eq!(d.remote_seq(), None, "a refused request changes nothing");
    let mut set = DialogSet::new(request(Method::Invite, "sip:b@h", &[]));
    assert!(set
        .handle_response(&reply(&inv, 180, Some("b1"), &[]))
        .is_err());
}

#[test]
fn types_are_send() {
    assert_send::<Dialog>();
    assert_send::<DialogSet>();
    assert_send::<DialogError>();
}
