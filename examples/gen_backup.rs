//! Writes a synthetic Jira `entities.xml` for benchmarks and tests.
//!
//! ```text
//! cargo run --release --example gen_backup -- --size 500MiB [--defects] [--huge-cdata 1GiB] \
//!     [--scatter 50] [--shape mixed|rows|memberships] -o entities.xml
//! ```
//!
//! `--scatter N` puts a raw forbidden control character after every N bytes
//! (see `synth::ScatterControls`), for the cost of dense defects. `--shape rows`
//! writes mostly short attribute-only rows and few long CDATA bodies
//! (`synth::Shape`), the second data shape of the speed goals.

#[path = "support/size.rs"]
mod size;

use backup_fix::synth::{JiraSynth, ScatterControls};
use std::io::Write;

fn parse_size(s: &str) -> u64 {
    size::parse_size("gen_backup", s)
}

fn main() -> std::io::Result<()> {
    let mut synth = JiraSynth::default();
    let mut output: Option<String> = None;
    let mut scatter: Option<usize> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--size" => synth.target_bytes = parse_size(&args.next().unwrap_or_default()),
            "--defects" => synth.defects = true,
            "--seed" => synth.seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(42),
            "--huge-cdata" => synth.huge_cdata = Some(parse_size(&args.next().unwrap_or_default())),
            "--scatter" => match args.next().and_then(|s| s.parse().ok()) {
                Some(n) => scatter = Some(n),
                None => {
                    eprintln!("gen_backup: --scatter needs a number of bytes");
                    std::process::exit(2);
                }
            },
            "--shape" => match args.next().unwrap_or_default().parse() {
                Ok(shape) => synth.shape = shape,
                Err(e) => {
                    eprintln!("gen_backup: --shape: {e}");
                    std::process::exit(2);
                }
            },
            "-o" | "--output" => output = args.next(),
            other => {
                eprintln!("gen_backup: unknown argument {other:?}");
                std::process::exit(2);
            }
        }
    }
    let out: Box<dyn Write> = match output.as_deref() {
        None | Some("-") => Box::new(std::io::stdout().lock()),
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
    };
    let (stats, scattered) = match scatter {
        Some(every) => {
            let mut w = ScatterControls::new(out, every);
            let stats = synth.write_entities(&mut w)?;
            w.flush()?;
            (stats, w.inserted())
        }
        None => {
            let mut out = out;
            let stats = synth.write_entities(&mut out)?;
            out.flush()?;
            (stats, 0)
        }
    };
    writeln!(
        std::io::stderr(),
        "gen_backup: {} bytes, {} rows, {} defects",
        stats.bytes + scattered,
        stats.rows,
        stats.defects() + scattered
    )
}
