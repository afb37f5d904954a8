//! Bad input gets an error that names the problem, never a panic, and costs bounded work.

use presence::{Document, PresenceError, WatcherInfo, MAX_DEPTH, MAX_INPUT, MAX_TUPLES};

const FIXTURES: [&[u8]; 8] = [
    include_bytes!("fixtures/baresip-open.xml"),
    include_bytes!("fixtures/baresip-away.xml"),
    include_bytes!("fixtures/kamailio-composed.xml"),
    include_bytes!("fixtures/linphone-on-the-phone.xml"),
    include_bytes!("fixtures/rfc3863-minimal.xml"),
    include_bytes!("fixtures/rfc3863-extended.xml"),
    include_bytes!("fixtures/rfc4480-example.xml"),
    include_bytes!("fixtures/rfc3858-winfo.xml"),
];

fn err(body: &[u8]) -> PresenceError {
    match Document::parse(body) {
        Ok(doc) => panic!("accepted: {doc:?}"),
        Err(e) => e,
    }
}

fn pidf(inner: &str) -> String {
    format!(r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@x">{inner}</presence>"#)
}

#[test]
fn malformed_xml() {
    let e = err(pidf(r#"<tuple id="t"><status></tuple>"#).as_bytes());
    assert!(matches!(e, PresenceError::Malformed { .. }), "{e:?}");
    assert!(e.to_string().starts_with("malformed XML at byte"), "{e}");
    let e = err(b"<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='a'");
    assert!(matches!(e, PresenceError::Malformed { .. }), "{e:?}");
    let e =
        err(br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@x"><tuple id="t">"#);
    assert!(
        matches!(
            e,
            PresenceError::Truncated { .. } | PresenceError::Malformed { .. }
        ),
        "{e:?}"
    );
}

#[test]
fn empty_and_outside_root() {
    assert!(matches!(err(b""), PresenceError::NoRoot));
    assert!(matches!(
        err(b"  <!-- nothing -->  "),
        PresenceError::NoRoot
    ));
    let two_roots = format!("{}{}", pidf(""), pidf(""));
    assert!(matches!(
        err(two_roots.as_bytes()),
        PresenceError::OutsideRoot
    ));
    let trailing_text = format!("{} junk", pidf(""));
    assert!(matches!(
        err(trailing_text.as_bytes()),
        PresenceError::OutsideRoot
    ));
}

#[test]
fn wrong_root_namespace() {
    let e = err(br#"<presence xmlns="urn:ietf:params:xml:ns:cpim-pidf" entity="sip:a@x"/>"#);
    assert!(matches!(e, PresenceError::WrongRoot { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "root element is {urn:ietf:params:xml:ns:cpim-pidf}presence, \
         expected {urn:ietf:params:xml:ns:pidf}presence"
    );
    let e = err(br#"<presence entity="sip:a@x"/>"#);
    assert!(matches!(e, PresenceError::WrongRoot { .. }), "{e:?}");
    // A watcher-info document is not PIDF, and the other way round.
    let e = err(FIXTURES[7]);
    assert!(matches!(e, PresenceError::WrongRoot { .. }), "{e:?}");
    let e = WatcherInfo::parse(FIXTURES[0]).expect_err("PIDF is not watcher info");
    assert!(matches!(e, PresenceError::WrongRoot { .. }), "{e:?}");
}

#[test]
fn undeclared_prefix() {
    let e = err(br#"<p:presence entity="sip:a@x"/>"#);
    assert!(
        matches!(e, PresenceError::UnknownPrefix { ref prefix } if prefix == "p"),
        "{e:?}"
    );
}

#[test]
fn huge_input() {
    let mut body = pidf("").into_bytes();
    body.resize(MAX_INPUT + 1, b' ');
    let e = err(&body);
    assert!(
        matches!(e, PresenceError::TooLarge { len, max } if len == MAX_INPUT + 1 && max == MAX_INPUT)
    );
}

#[test]
fn deep_nesting() {
    let depth = MAX_DEPTH + 8;
    let inner = format!("{}{}", "<x>".repeat(depth), "</x>".repeat(depth));
    let e = err(pidf(&inner).as_bytes());
    assert!(
        matches!(e, PresenceError::TooDeep { max } if max == MAX_DEPTH),
        "{e:?}"
    );

    // Very deep and unclosed, as an attacker would send it: refused at the limit, not at the end.
    let e = err(pidf(&"<x>".repeat(20_000)).as_bytes());
    assert!(matches!(e, PresenceError::TooDeep { .. }), "{e:?}");
}

#[test]
fn too_many_tuples_and_elements() {
    let tuple =
        |i: usize| format!(r#"<tuple id="t{i}"><status><basic>open</basic></status></tuple>"#);
    let ok: String = (0..MAX_TUPLES).map(tuple).collect();
    assert_eq!(
        Document::parse(pidf(&ok).as_bytes())
            .expect("at the limit")
            .tuples
            .len(),
        MAX_TUPLES
    );
    let over: String = (0..=MAX_TUPLES).map(tuple).collect();
    let e = err(pidf(&over).as_bytes());
    assert!(
        matches!(e, PresenceError::TooMany { what: "tuples", .. }),
        "{e:?}"
    );
    assert_eq!(e.to_string(), format!("more than {MAX_TUPLES} tuples"));

    let flood = "<x/>".repeat(10_000);
    let e = err(pidf(&flood).as_bytes());
    assert!(
        matches!(
            e,
            PresenceError::TooMany {
                what: "elements",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn doctype_entities_and_encoding() {
    let e = err(br#"<!DOCTYPE presence [<!ENTITY x "boom">]><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="a"/>"#);
    assert!(matches!(e, PresenceError::Doctype), "{e:?}");
    let e = err(pidf(r#"<note>&x;</note>"#).as_bytes());
    assert!(
        matches!(e, PresenceError::UnknownEntity { ref name } if name == "x"),
        "{e:?}"
    );
    let e = err(pidf(r#"<note>&#xD800;</note>"#).as_bytes());
    assert!(matches!(e, PresenceError::Malformed { .. }), "{e:?}");
    let e = err(b"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"\xff\"/>");
    assert!(
        matches!(e, PresenceError::NotUtf8 { valid_up_to: 54 }),
        "{e:?}"
    );
}

#[test]
fn missing_or_invalid_required_parts() {
    let e = err(br#"<presence xmlns="urn:ietf:params:xml:ns:pidf"/>"#);
    assert_eq!(e.to_string(), "<presence> has no `entity` attribute");
    let e = err(pidf("<tuple><status/></tuple>").as_bytes());
    assert_eq!(e.to_string(), "<tuple> has no `id` attribute");
    let e = err(pidf(r#"<tuple id="t"/>"#).as_bytes());
    assert_eq!(e.to_string(), "<tuple> has no <status>");
    let e = err(pidf(r#"<tuple id="t"><status><basic>maybe</basic></status></tuple>"#).as_bytes());
    assert_eq!(e.to_string(), "invalid basic: `maybe`");
    let e =
        err(pidf(r#"<device xmlns="urn:ietf:params:xml:ns:pidf:data-model" id="d"/>"#).as_bytes());
    assert_eq!(e.to_string(), "<device> has no <deviceID>");
    let e = err(pidf(r#"<person xmlns="urn:ietf:params:xml:ns:pidf:data-model"/>"#).as_bytes());
    assert_eq!(e.to_string(), "<person> has no `id` attribute");
}

#[test]
fn every_truncation_of_every_fixture_is_handled() {
    for fixture in FIXTURES {
        for len in 0..fixture.len() {
            let cut = &fixture[..len];
            // A panic fails the test. Only cutting trailing whitespace may still succeed.
            if let Ok(doc) = Document::parse(cut) {
                assert!(
                    cut.trim_ascii_end() == fixture.trim_ascii_end(),
                    "truncation at {len} accepted: {doc:?}"
                );
            }
            let _ = WatcherInfo::parse(cut);
        }
    }
}

#[test]
fn byte_flips_never_panic() {
    // A cheap stand-in for fuzzing: every position, a few hostile bytes. One fixture per
    // parser keeps this fast in debug builds; the others share the same reader.
    type Parser = fn(&[u8]) -> bool;
    let cases: [(&[u8], Parser); 2] = [
        (FIXTURES[2], |b| Document::parse(b).is_ok()),
        (FIXTURES[7], |b| WatcherInfo::parse(b).is_ok()),
    ];
    for (fixture, parse) in cases {
        for i in 0..fixture.len() {
            for byte in [b'<', b'&', b':', 0xff] {
                let mut body = fixture.to_vec();
                body[i] = byte;
                let _ = parse(&body);
            }
        }
    }
}
