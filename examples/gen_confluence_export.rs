//! Writes a synthetic Confluence site export zip with many entries (one
//! directory per page and per attachment, a file per attachment version,
//! entities.xml with an Attachment object for each file), shaped like the
//! zips Confluence 6.13 writes: a `/` entry first, directory entries, and a
//! data descriptor on every entry. For benchmarks and tests.
//!
//! ```text
//! cargo run --release --example gen_confluence_export -- --entries 1000000 \
//!     [--attachment-size 100] [--no-dirs] [--no-root-entry] \
//!     [--no-data-descriptors] [--level 6] [--seed N] -o export.zip
//! ```
//!
//! `--entries` is the total entry count (directories included); the number
//! of attachment files follows from it. `--attachments N` gives that number
//! instead; `--per-page` and `--pages-per-space` set the fan-out.

#[path = "support/size.rs"]
mod size;

use backup_fix::synth::ConfluenceExportSynth;
use std::io::Write;

fn usage(msg: &str) -> ! {
    eprintln!("gen_confluence_export: {msg}");
    std::process::exit(2)
}

fn number(s: &str, what: &str) -> u64 {
    s.replace('_', "")
        .parse()
        .unwrap_or_else(|_| usage(&format!("{what} needs a number")))
}

fn main() -> std::io::Result<()> {
    let mut synth = ConfluenceExportSynth::default();
    let mut entries: Option<u64> = None;
    let mut output: Option<String> = None;
    let mut args = std::env::args().skip(1);
    let value = |args: &mut dyn Iterator<Item = String>, what: &str| {
        args.next()
            .unwrap_or_else(|| usage(&format!("{what} needs a value")))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--entries" => entries = Some(number(&value(&mut args, &arg), &arg)),
            "--attachments" => synth.attachments = number(&value(&mut args, &arg), &arg),
            "--attachment-size" => {
                synth.attachment_bytes =
                    size::parse_size("gen_confluence_export", &value(&mut args, &arg))
            }
            "--per-page" => synth.attachments_per_page = number(&value(&mut args, &arg), &arg),
            "--pages-per-space" => synth.pages_per_space = number(&value(&mut args, &arg), &arg),
            "--no-dirs" => synth.directory_entries = false,
            "--no-root-entry" => synth.root_entry = false,
            "--no-data-descriptors" => synth.data_descriptors = false,
            "--level" => {
                synth.level = value(&mut args, &arg)
                    .parse()
                    .ok()
                    .filter(|l| *l <= 9)
                    .unwrap_or_else(|| usage("--level needs 0-9"))
            }
            "--seed" => synth.seed = number(&value(&mut args, &arg), &arg),
            "-o" | "--output" => output = Some(value(&mut args, &arg)),
            other => usage(&format!("unknown argument {other:?}")),
        }
    }
    let path = output.unwrap_or_else(|| usage("give the output zip with -o"));
    if let Some(n) = entries {
        synth.fit_entries(n);
    }
    let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
    let stats = synth.write_zip(file)?;
    writeln!(
        std::io::stderr(),
        "gen_confluence_export: {path}: {} entries ({} attachment files, {} directories), {} pages in {} spaces, entities.xml {} bytes, zip {} bytes",
        stats.entries,
        stats.attachment_files,
        stats.directories,
        stats.pages,
        stats.spaces,
        stats.entities_bytes,
        stats.zip_bytes
    )
}
