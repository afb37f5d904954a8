//! Parse and serialise cost of a typical composed document: what the registrar pays per NOTIFY
//! and a client per buddy update. Figures are kept in docs/benchmarks-presence.md.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use presence::{compose, Document, Status};

/// Two devices of one user, one on the phone, with notes: the common case on a Halo server.
fn typical() -> Document {
    let entity = "sip:alice@example.com";
    let laptop = Document::for_status(
        entity,
        "laptop-3f2a",
        Status::Away,
        Some("Back at 15:00 — café"),
        Some("sip:alice@192.0.2.10:5060;transport=tcp"),
        Some("2026-11-28T10:00:00Z".to_owned()),
    );
    let desk = Document::for_status(
        entity,
        "desk-91c0",
        Status::OnThePhone,
        None,
        Some("sip:alice@192.0.2.11:5060"),
        Some("2026-11-28T10:05:00Z".to_owned()),
    );
    compose(entity, &[(laptop, 1), (desk, 2)], true)
}

fn bench(c: &mut Criterion) {
    let doc = typical();
    let xml = doc.to_xml();
    let kamailio = include_bytes!("../tests/fixtures/kamailio-composed.xml");
    c.bench_function("parse typical composed (Halo)", |b| {
        b.iter(|| Document::parse(black_box(xml.as_bytes())))
    });
    c.bench_function("parse Kamailio composed", |b| {
        b.iter(|| Document::parse(black_box(kamailio)))
    });
    c.bench_function("serialise typical composed", |b| {
        b.iter(|| black_box(&doc).to_xml())
    });
    c.bench_function("parse + view typical composed", |b| {
        b.iter(|| Document::parse(black_box(xml.as_bytes())).map(|d| d.view()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
