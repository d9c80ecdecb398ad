//! Writes a synthetic Jira home (attachments, avatars, logos) for `split`
//! benchmarks and manual tests.
//!
//! ```text
//! cargo run --release --example gen_attachments -- --size 500MiB [--projects 8] [--mean 256KiB] [--large 2x64MiB] [--oddities] -o jira-home
//! ```

#[path = "support/size.rs"]
mod size;

use backup_fix::synth::MediaTreeSynth;

fn parse_size(s: &str) -> u64 {
    size::parse_size("gen_attachments", s)
}

fn main() -> std::io::Result<()> {
    let mut synth = MediaTreeSynth::default();
    let mut output: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_default();
        match arg.as_str() {
            "--size" => synth.target_bytes = parse_size(&value()),
            "--projects" => synth.projects = value().parse().unwrap_or(4),
            "--mean" => synth.mean_file = parse_size(&value()),
            "--large" => {
                let v = value();
                let (n, size) = v.split_once('x').unwrap_or(("1", v.as_str()));
                synth.large_files = n.parse().unwrap_or(1);
                synth.large_file = parse_size(size);
            }
            "--oddities" => synth.oddities = true,
            "--no-thumbnails" => synth.thumbnails = false,
            "--seed" => synth.seed = value().parse().unwrap_or(7),
            "-o" | "--output" => output = Some(value()),
            other => {
                eprintln!("gen_attachments: unknown argument {other:?}");
                std::process::exit(2);
            }
        }
    }
    let Some(out) = output else {
        eprintln!("gen_attachments: -o DIR is required");
        std::process::exit(2);
    };
    let stats = synth.write_home(out.as_ref())?;
    eprintln!(
        "gen_attachments: {} files, {} bytes, {} issues, {} empty dirs",
        stats.files, stats.bytes, stats.issues, stats.empty_dirs
    );
    Ok(())
}
