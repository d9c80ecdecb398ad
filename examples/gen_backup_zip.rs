//! Writes a synthetic Jira backup zip (entities.xml, activeobjects.xml,
//! attachments) for benchmarks and tests.
//!
//! ```text
//! cargo run --release --example gen_backup_zip -- --size 500MiB [--defects] \
//!     [--attachments 20] [--attachment-size 1MiB] [--folder backup/] \
//!     [--level 6] [--data-descriptors] -o backup.zip
//! ```

#[path = "support/size.rs"]
mod size;

use backup_fix::synth::BackupZipSynth;
use std::io::Write;

fn parse_size(s: &str) -> u64 {
    size::parse_size("gen_backup_zip", s)
}

fn usage(msg: &str) -> ! {
    eprintln!("gen_backup_zip: {msg}");
    std::process::exit(2)
}

fn main() -> std::io::Result<()> {
    let mut synth = BackupZipSynth::default();
    let mut output: Option<String> = None;
    let mut args = std::env::args().skip(1);
    let value = |args: &mut dyn Iterator<Item = String>, what: &str| {
        args.next()
            .unwrap_or_else(|| usage(&format!("{what} needs a value")))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--size" => synth.entities.target_bytes = parse_size(&value(&mut args, &arg)),
            "--defects" => synth.entities.defects = true,
            "--seed" => {
                synth.entities.seed = value(&mut args, &arg)
                    .parse()
                    .unwrap_or_else(|_| usage("--seed needs a number"))
            }
            "--huge-cdata" => synth.entities.huge_cdata = Some(parse_size(&value(&mut args, &arg))),
            "--attachments" => {
                synth.attachments = value(&mut args, &arg)
                    .parse()
                    .unwrap_or_else(|_| usage("--attachments needs a number"))
            }
            "--attachment-size" => synth.attachment_bytes = parse_size(&value(&mut args, &arg)),
            "--folder" => synth.folder = Some(value(&mut args, &arg)),
            "--level" => {
                synth.level = value(&mut args, &arg)
                    .parse()
                    .unwrap_or_else(|_| usage("--level needs 0-9"))
            }
            "--data-descriptors" => synth.data_descriptors = true,
            "-o" | "--output" => output = Some(value(&mut args, &arg)),
            other => usage(&format!("unknown argument {other:?}")),
        }
    }
    let path = output.unwrap_or_else(|| usage("give the output zip with -o"));
    let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
    let stats = synth.write_zip(file)?;
    writeln!(
        std::io::stderr(),
        "gen_backup_zip: {path}: {} entries, entities.xml {} bytes, {} defects",
        stats.entries,
        stats.entities.bytes,
        stats.defects()
    )
}
