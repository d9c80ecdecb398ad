//! Whole-archive repair throughput (`archive::fix_zip`) on a generated Jira
//! backup zip of 16 MiB of XML plus attachments: with one deflate thread and
//! with one per core, at the default level (6) and at level 1. Throughput is
//! counted in uncompressed XML bytes. Run `cargo bench --bench archive`;
//! CI runs it once in test mode. The 500 MiB comparison against
//! `unzip | tr | zip` (levels 6 and 1) is in `scripts/bench.sh`.

use backup_fix::Options;
use backup_fix::archive::{ArchiveOptions, fix_zip};
use backup_fix::synth::{BackupZipSynth, JiraSynth};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::io::BufWriter;

const SIZE: u64 = 16 << 20;

fn archive(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("backup.zip");
    let output = dir.path().join("fixed.zip");
    let synth = BackupZipSynth {
        entities: JiraSynth {
            target_bytes: SIZE,
            defects: true,
            ..Default::default()
        },
        attachments: 16,
        attachment_bytes: 256 << 10,
        ..Default::default()
    };
    let file = std::fs::File::create(&input).expect("create");
    let stats = synth.write_zip(BufWriter::new(file)).expect("generate");
    let mut g = c.benchmark_group("archive");
    g.throughput(Throughput::Bytes(stats.entities.bytes));
    g.sample_size(10);
    for (name, opts) in [
        (
            "fix_zip_level6_1thread",
            ArchiveOptions::default().threads(1),
        ),
        ("fix_zip_level6_all_cores", ArchiveOptions::default()),
        (
            "fix_zip_level1_all_cores",
            ArchiveOptions::default().level(1),
        ),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                fix_zip(&input, &output, &Options::default(), &opts, &mut |_| {})
                    .expect("fix")
                    .changes()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, archive);
criterion_main!(benches);
