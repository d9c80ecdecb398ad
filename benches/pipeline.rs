//! Per-stage throughput on generated Jira-like XML held in memory:
//! the character stage alone, and the full fixer on clean and defective input;
//! dense defects (a forbidden control character every 50 bytes) against the
//! same clean input, and a run of NUL bytes refused; the two data shapes of
//! the speed goals (`shapes`), and what each rule costs per value it looks
//! at (`rules_per_value`: rows that are only a timestamp and a link, plain
//! against `--tz`, one mapping and ten), and the start-tag lexer on rows that
//! are only attributes (`start_tags`: the names each row repeats, names that
//! change from row to row, single quotes). Run `cargo bench --bench pipeline`;
//! CI runs it once in test mode.

use backup_fix::stages::CharRepairer;
use backup_fix::synth::{JiraSynth, ScatterControls, Shape};
use backup_fix::{Fixer, NullSink, Options, TzChoice, UrlMapping};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::io::Write;

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
    run_fixer_with(data, &Options::default())
}

fn run_fixer_with(data: &[u8], options: &Options) -> u64 {
    let mut fixer = Fixer::new(options.clone()).expect("options");
    for chunk in data.chunks(CHUNK) {
        fixer.write(chunk, &mut NullSink).expect("fix");
    }
    fixer.finish(&mut NullSink).expect("fix").changes()
}

/// The bench data (mixed) and the second shape of the speed goals: many
/// short attribute-only rows, few long CDATA bodies.
fn shapes(c: &mut Criterion) {
    let mut g = c.benchmark_group("shapes");
    g.sample_size(10);
    for (name, shape) in [("fixer_mixed", Shape::Mixed), ("fixer_rows", Shape::Rows)] {
        let mut xml = Vec::new();
        let mut synth = JiraSynth {
            target_bytes: SIZE,
            ..Default::default()
        };
        synth.shape = shape;
        synth.write_entities(&mut xml).expect("generate");
        g.throughput(Throughput::Bytes(xml.len() as u64));
        g.bench_function(name, |b| b.iter(|| run_fixer(black_box(&xml))));
    }
    g.finish();
}

/// Rows holding one timestamp and one link to the old server each: the time
/// per row with a rule on, less the plain time, is that rule's cost per
/// value. Ten mappings (nine for other hosts) should cost what one does.
fn rules_per_value(c: &mut Criterion) {
    const ROWS: u64 = 50_000;
    let mut xml = String::from("<?xml version=\"1.0\"?>\n<entity-engine-xml>\n");
    for i in 0..ROWS {
        let (h, m, s) = (i / 3600 % 24, i / 60 % 60, i % 60);
        xml.push_str(&format!(
            "    <Action id=\"{i}\" created=\"2014-09-04 {h:02}:{m:02}:{s:02}.5\" \
             body=\"see http://jira.corp:8080/browse/ABC-{i}\"/>\n"
        ));
    }
    xml.push_str("</entity-engine-xml>\n");
    let xml = xml.into_bytes();
    let mapping = |from: &str| {
        UrlMapping::parse(&format!("{from}=https://acme.atlassian.net")).expect("mapping")
    };
    let plain = Options::default();
    let tz = Options::default().tz(TzChoice::Zone("Europe/Berlin".into()));
    let one = Options::default().map_url(mapping("http://jira.corp:8080"));
    let mut ten = Options::default();
    for k in 1..10 {
        ten = ten.map_url(mapping(&format!("http://server{k}.corp:8080")));
    }
    let ten = ten.map_url(mapping("http://jira.corp:8080"));
    // Each rule changes every row, so the bench measures what it says.
    assert_eq!(run_fixer_with(&xml, &plain), 0);
    for options in [&tz, &one, &ten] {
        assert_eq!(run_fixer_with(&xml, options), ROWS);
    }
    let mut g = c.benchmark_group("rules_per_value");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ROWS));
    for (name, options) in [
        ("plain", &plain),
        ("tz", &tz),
        ("one_mapping", &one),
        ("ten_mappings", &ten),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| run_fixer_with(black_box(&xml), options))
        });
    }
    g.finish();
}

/// Attribute-only rows, the cost of lexing start tags per row: rows of one
/// entity (each repeats the last one's names, which the lexer recognises
/// from memory), rows whose names change every time (each name scanned),
/// and the same rows in single quotes.
fn start_tags(c: &mut Criterion) {
    const ROWS: u64 = 50_000;
    let rows = |row: &dyn Fn(u64) -> String| {
        let mut xml = String::from("<?xml version=\"1.0\"?>\n<entity-engine-xml>\n");
        for i in 0..ROWS {
            xml.push_str(&row(i));
        }
        xml.push_str("</entity-engine-xml>\n");
        xml.into_bytes()
    };
    let same_names = rows(&|i| {
        format!(
            "    <Action id=\"{i}\" issue=\"1{i}\" author=\"admin\" type=\"comment\" \
             created=\"2012-01-01 17:12:10.45\" updated=\"2012-01-02 06:08:13.5\"/>\n"
        )
    });
    let other_names = rows(&|i| {
        let k = i % 7;
        format!(
            "    <Action id{k}=\"{i}\" issue{k}=\"1{i}\" author{k}=\"admin\" type=\"comment\" \
             created{k}=\"2012-01-01 17:12:10.45\" updated=\"2012-01-02 06:08:13.5\"/>\n"
        )
    });
    let single_quotes = rows(&|i| {
        format!(
            "    <Action id='{i}' issue='1{i}' author='admin' type='comment' \
             created='2012-01-01 17:12:10.45' updated='2012-01-02 06:08:13.5'/>\n"
        )
    });
    let mut g = c.benchmark_group("start_tags");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ROWS));
    for (name, xml) in [
        ("same_names", &same_names),
        ("other_names", &other_names),
        ("single_quotes", &single_quotes),
    ] {
        assert_eq!(run_fixer(xml), 0);
        g.bench_function(name, |b| b.iter(|| run_fixer(black_box(xml))));
    }
    g.finish();
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

/// `clean` with a forbidden control character after every `every` bytes.
fn scatter(clean: &[u8], every: usize) -> Vec<u8> {
    let mut w = ScatterControls::new(Vec::with_capacity(clean.len() * 2), every);
    w.write_all(clean).expect("in memory");
    w.into_inner()
}

/// Scattered defects cost against clean input (the goal: at most 2x the
/// time per input byte), and a file that turns to NUL bytes refused.
fn dense_defects(c: &mut Criterion) {
    let clean = generate(false);
    let scattered = scatter(&clean, 50);
    let mut g = c.benchmark_group("dense_defects");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(clean.len() as u64));
    g.bench_function("fixer_clean", |b| b.iter(|| run_fixer(black_box(&clean))));
    g.throughput(Throughput::Bytes(scattered.len() as u64));
    g.bench_function("fixer_control_every_50_bytes", |b| {
        b.iter(|| run_fixer(black_box(&scattered)))
    });
    g.bench_function("chars_stage_control_every_50_bytes", |b| {
        b.iter(|| {
            let mut stage = CharRepairer::default();
            for chunk in scattered.chunks(CHUNK) {
                stage.write(black_box(chunk), &mut NullSink).expect("chars");
            }
            stage.finish(&mut NullSink).expect("chars")
        })
    });
    // The head of a backup, then NUL bytes: refused in the second chunk,
    // 1 MiB into the run.
    let mut crashed = clean[..64 << 10].to_vec();
    crashed.resize(2 << 20, 0);
    g.throughput(Throughput::Bytes(crashed.len() as u64));
    g.bench_function("fixer_nul_run_refused", |b| {
        b.iter(|| {
            let mut fixer = Fixer::new(Options::default()).expect("options");
            let refused = black_box(&crashed)
                .chunks(CHUNK)
                .try_for_each(|chunk| fixer.write(chunk, &mut NullSink));
            assert!(matches!(refused, Err(backup_fix::Error::NulRun { .. })));
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    stages,
    dense_defects,
    shapes,
    rules_per_value,
    start_tags
);
criterion_main!(benches);
