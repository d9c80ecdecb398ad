//! Per-entry cost of the one zip layer: `fix` (raw copies, CRC-checked) and
//! `check` (every entry inflated and CRC-checked) on a generated
//! Confluence-like site export of 20,000 entries: a `/` entry, a directory
//! entry per page and attachment, small files, data descriptors on every
//! entry. Throughput is in entries. Run `cargo bench --bench many_entries`;
//! CI runs it once in test mode. The million-entry comparison against
//! `zip -U` and `unzip -tq`, with peak RSS, is in `scripts/bench.sh`.

use backup_fix::Options;
use backup_fix::archive::{ArchiveOptions, fix_zip};
use backup_fix::check::check_path;
use backup_fix::synth::ConfluenceExportSynth;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::io::BufWriter;

const ENTRIES: u64 = 20_000;

fn many_entries(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("export.zip");
    let output = dir.path().join("fixed.zip");
    let mut synth = ConfluenceExportSynth::default();
    synth.fit_entries(ENTRIES);
    let file = std::fs::File::create(&input).expect("create");
    let stats = synth.write_zip(BufWriter::new(file)).expect("generate");
    let mut g = c.benchmark_group("many_entries");
    g.throughput(Throughput::Elements(stats.entries));
    g.sample_size(10);
    g.bench_function("fix_zip", |b| {
        b.iter(|| {
            fix_zip(
                &input,
                &output,
                &Options::default(),
                &ArchiveOptions::default(),
                &mut |_| {},
            )
            .expect("repairs")
        })
    });
    g.bench_function("check_zip", |b| {
        b.iter(|| check_path(&input).expect("checks"))
    });
    g.finish();
}

criterion_group!(benches, many_entries);
criterion_main!(benches);
