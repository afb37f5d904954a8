//! rsip, an independent SIP parser, must accept what we serialise and read the same
//! start line, Call-ID and CSeq: a check that our output is standard SIP, not only
//! something our own parser likes.
use sip::msg::{Message, SipMessage};

const FIXTURES: &[&[u8]] = &[
    include_bytes!("../fixtures/register.sip"),
    include_bytes!("../fixtures/invite.sip"),
    include_bytes!("../fixtures/notify.sip"),
];

#[test]
fn rsip_reads_what_we_write() {
    for fixture in FIXTURES {
        let ours = Message::parse(fixture).expect("fixture parses");
        let bytes = ours.to_bytes();
        let theirs = rsip::SipMessage::try_from(bytes.as_slice()).expect("rsip parses our output");
        let (Message::Request(req), rsip::SipMessage::Request(r)) = (&ours, &theirs) else {
            panic!("both should be requests");
        };
        assert_eq!(req.method.as_str(), r.method.to_string());
        assert_eq!(req.body, r.body);
        let call_id = r
            .headers
            .iter()
            .find_map(|h| match h {
                rsip::Header::CallId(c) => Some(c.to_string()),
                _ => None,
            })
            .expect("rsip sees Call-ID");
        assert!(call_id.contains(req.call_id().unwrap()));
        let cseq = r
            .headers
            .iter()
            .find_map(|h| match h {
                rsip::Header::CSeq(c) => Some(c.to_string()),
                _ => None,
            })
            .expect("rsip sees CSeq");
        assert!(cseq.contains(&req.cseq().unwrap().to_string()));
    }
}

#[test]
fn we_read_what_rsip_writes() {
    let theirs = rsip::SipMessage::try_from(FIXTURES[1]).expect("rsip parses the fixture");
    let ours = Message::parse(theirs.to_string().as_bytes()).expect("we parse rsip's output");
    let Message::Request(req) = ours else {
        panic!("request expected")
    };
    req.validate()
        .expect("rsip's serialisation is a valid request");
    let Ok(Message::Request(original)) = Message::parse(FIXTURES[1]) else {
        panic!("fixture is a request")
    };
    assert_eq!(req.body, original.body);
    assert_eq!(req.cseq().unwrap(), original.cseq().unwrap());
    assert_eq!(req.from_header().unwrap(), original.from_header().unwrap());
}
