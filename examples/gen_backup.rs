//! Writes a synthetic Jira `entities.xml` for benchmarks and tests.
//!
//! ```text
//! cargo run --release --example gen_backup -- --size 500MiB [--defects] [--huge-cdata 1GiB] -o entities.xml
//! ```

#[path = "support/size.rs"]
mod size;

use backup_fix::synth::JiraSynth;
use std::io::Write;

fn parse_size(s: &str) -> u64 {
    size::parse_size("gen_backup", s)
}

fn main() -> std::io::Result<()> {
    let mut synth = JiraSynth::default();
    let mut output: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--size" => synth.target_bytes = parse_size(&args.next().unwrap_or_default()),
            "--defects" => synth.defects = true,
            "--seed" => synth.seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(42),
            "--huge-cdata" => synth.huge_cdata = Some(parse_size(&args.next().unwrap_or_default())),
            "-o" | "--output" => output = args.next(),
            other => {
                eprintln!("gen_backup: unknown argument {other:?}");
                std::process::exit(2);
            }
        }
    }
    let stats = match output.as_deref() {
        None | Some("-") => synth.write_entities(std::io::stdout().lock())?,
        Some(path) => synth.write_entities(std::fs::File::create(path)?)?,
    };
    writeln!(
        std::io::stderr(),
        "gen_backup: {} bytes, {} rows, {} defects",
        stats.bytes,
        stats.rows,
        stats.defects()
    )
}
