//! `split` throughput on a generated Jira home in a temporary directory:
//! planning alone (scan + pack), and planning plus writing and verifying
//! the zips (stored, and with `--compress auto`). Run `cargo bench --bench
//! split`; CI runs it once in test mode. `scripts/bench.sh` compares the
//! binary with `cp -r`, `zip -r -0` and `zipsplit`.

use backup_fix::split::{Compress, SplitOptions, plan, split};
use backup_fix::synth::MediaTreeSynth;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const SIZE: u64 = 32 << 20;

fn splits(c: &mut Criterion) {
    let home = tempfile::tempdir().expect("tempdir");
    let stats = MediaTreeSynth {
        target_bytes: SIZE,
        projects: 6,
        mean_file: 128 << 10,
        oddities: true,
        ..Default::default()
    }
    .write_home(home.path())
    .expect("generate");
    let options = SplitOptions::default()
        .max_size(SIZE / 4)
        .min_size(SIZE / 8)
        .sync(false);
    let mut g = c.benchmark_group("split");
    g.sample_size(10);
    g.throughput(Throughput::Elements(stats.files));
    g.bench_function("plan_only", |b| {
        b.iter(|| {
            plan(home.path(), &options, None, &mut |_| {})
                .expect("plan")
                .zips()
                .len()
        })
    });
    g.throughput(Throughput::Bytes(stats.bytes));
    for (name, compress) in [("store", Compress::None), ("compress_auto", Compress::Auto)] {
        let options = options.clone().compress(compress);
        g.bench_function(name, |b| {
            b.iter_with_setup(
                || tempfile::tempdir().expect("outdir"),
                |out| {
                    split(home.path(), out.path(), &options, &mut |_| {})
                        .expect("split")
                        .size
                },
            )
        });
    }
    g.finish();
}

criterion_group!(benches, splits);
criterion_main!(benches);
