//! Per-stage throughput on generated Jira-like XML held in memory:
//! the character stage alone, and the full fixer on clean and defective input.
//! Run `cargo bench --bench pipeline`; CI runs it once in test mode.

use backup_fix::stages::CharRepairer;
use backup_fix::synth::JiraSynth;
use backup_fix::{Fixer, NullSink, Options};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const SIZE: u64 = 8 << 20;
const CHUNK: usize = 1 << 20;

fn generate(defects: bool) -> Vec<u8> {
    let mut xml = Vec::new();
    JiraSynth {
        target_bytes: SIZE,
        defects,
        ..Default::default()
    }
    .write_entities(&mut xml)
    .expect("generate");
    xml
}

fn run_fixer(data: &[u8]) -> u64 {
    let mut fixer = Fixer::new(Options::default()).expect("options");
    for chunk in data.chunks(CHUNK) {
        fixer.write(chunk, &mut NullSink).expect("fix");
    }
    fixer.finish(&mut NullSink).expect("fix").changes()
}

fn stages(c: &mut Criterion) {
    let clean = generate(false);
    let defects = generate(true);
    let mut g = c.benchmark_group("stages");
    g.throughput(Throughput::Bytes(clean.len() as u64));
    g.sample_size(10);
    g.bench_function("chars_stage_clean", |b| {
        b.iter(|| {
            let mut stage = CharRepairer::default();
            for chunk in clean.chunks(CHUNK) {
                stage.write(black_box(chunk), &mut NullSink).expect("chars");
            }
            stage.finish(&mut NullSink).expect("chars")
        })
    });
    g.bench_function("fixer_clean", |b| b.iter(|| run_fixer(black_box(&clean))));
    g.throughput(Throughput::Bytes(defects.len() as u64));
    g.bench_function("fixer_defects", |b| {
        b.iter(|| run_fixer(black_box(&defects)))
    });
    g.bench_function("fixer_clean_64k_chunks", |b| {
        b.iter(|| {
            let mut fixer = Fixer::new(Options::default()).expect("options");
            for chunk in clean.chunks(64 << 10) {
                fixer.write(black_box(chunk), &mut NullSink).expect("fix");
            }
            fixer.finish(&mut NullSink).expect("fix")
        })
    });
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
