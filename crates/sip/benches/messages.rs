//! Parse and serialise throughput for the three messages a presence softphone handles most.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sip::msg::Message;

const MESSAGES: &[(&str, &[u8])] = &[
    ("REGISTER", include_bytes!("../fixtures/register.sip")),
    ("INVITE+SDP", include_bytes!("../fixtures/invite.sip")),
    ("NOTIFY+PIDF", include_bytes!("../fixtures/notify.sip")),
];

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    for (name, bytes) in MESSAGES {
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, bytes| {
            b.iter(|| Message::parse(std::hint::black_box(bytes)).expect("fixture parses"))
        });
    }
    g.finish();
}

fn serialise(c: &mut Criterion) {
    let mut g = c.benchmark_group("serialise");
    for (name, bytes) in MESSAGES {
        let msg = Message::parse(bytes).expect("fixture parses");
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(BenchmarkId::from_parameter(name), &msg, |b, msg| {
            b.iter(|| std::hint::black_box(msg).to_bytes())
        });
    }
    g.finish();
}

criterion_group!(benches, parse, serialise);
criterion_main!(benches);
