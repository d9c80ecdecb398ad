//! Times the stages over a file held in memory (no I/O in the measurement).
//!
//! ```text
//! cargo run --release --example throughput -- bench-out/clean.xml
//! ```

use backup_fix::stages::CharRepairer;
use backup_fix::{Fixer, NullSink, Options, TzChoice, UrlMapping};

/// Options from the RULES environment variable: any of `tz`, `links`.
fn options() -> Options {
    let rules = std::env::var("RULES").unwrap_or_default();
    let mut o = Options::default();
    if rules.contains("tz") {
        o = o.tz(TzChoice::parse("Europe/Berlin").expect("zone"));
    }
    if rules.contains("links") {
        for m in [
            "http://jira.corp:8080=https://acme.atlassian.net",
            "http://confluence.corp:8090=https://acme.atlassian.net/wiki",
        ] {
            o = o.map_url(UrlMapping::parse(m).expect("mapping"));
        }
    }
    o
}
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: throughput FILE");
    let data = std::fs::read(&path).expect("read input");
    if std::env::var_os("FIXER_ONLY").is_some() {
        // One pass of the full fixer only: for instruction counting.
        let mut fixer = Fixer::new(options()).expect("options");
        for chunk in data.chunks(1 << 20) {
            fixer.write(chunk, &mut NullSink).expect("fix");
        }
        fixer.finish(&mut NullSink).expect("fix");
        return;
    }
    let mb = data.len() as f64 / 1e6;
    for round in 0..3 {
        let t = Instant::now();
        let mut stage = CharRepairer::default();
        for chunk in data.chunks(1 << 20) {
            stage.write(chunk, &mut NullSink).expect("chars");
        }
        stage.finish(&mut NullSink).expect("chars");
        let chars = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut fixer = Fixer::new(options()).expect("options");
        for chunk in data.chunks(1 << 20) {
            fixer.write(chunk, &mut NullSink).expect("fix");
        }
        fixer.finish(&mut NullSink).expect("fix");
        let full = t.elapsed().as_secs_f64();
        println!(
            "round {round}: chars stage {:.0} MB/s, full fixer {:.0} MB/s",
            mb / chars,
            mb / full
        );
    }
}
