//! `backup-fix fix`: repair one XML file, or a whole backup zip.

mod archive;

use crate::{parse_size, progress_bar, rate, write_json};
use anyhow::Context;
use backup_fix::driver::{Progress, fix_file};
use backup_fix::{Error, Options, Report};
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub(crate) struct FixArgs {
    /// The file to repair; `-` reads standard input. gzip and zstd input is recognised.
    input: PathBuf,
    /// Where to write the result; `-` writes standard output. A name ending in .gz or .zst compresses.
    #[arg(short, long)]
    output: PathBuf,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE.json")]
    report: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
    /// Largest single tag held in memory (e.g. 16MiB); a larger one is an error.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "16MiB")]
    max_tag_size: u64,
    /// Zip input: deflate level of the repaired XML entries, 0-9 (1 is fastest).
    #[arg(long, value_name = "N", default_value_t = backup_fix::archive::DEFAULT_LEVEL,
          value_parser = clap::value_parser!(u32).range(0..=9))]
    level: u32,
    /// Zip input: threads that deflate (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Zip input: do not inflate copied entries to check their CRC (faster on huge attachment sets).
    #[arg(long)]
    no_copy_check: bool,
}

/// Runs `backup-fix fix`.
pub(crate) fn run(args: &FixArgs) -> anyhow::Result<()> {
    let max_tag_size = usize::try_from(args.max_tag_size).context("--max-tag-size is too large")?;
    let options = Options::default().max_tag_size(max_tag_size);
    if archive::is_zip_input(&args.input) {
        return archive::run(args, &options);
    }
    let bar = progress_bar(args.quiet);
    let started = Instant::now();
    let mut on_progress = |p: Progress| {
        if let Some(total) = p.total {
            bar.set_length(total);
        }
        bar.set_position(p.read);
    };
    let result: Result<Report, Error> =
        fix_file(&args.input, &args.output, &options, &mut on_progress);
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    if let Some(path) = &args.report {
        let value = match &result {
            Ok(report) => serde_json::json!({
                "ok": true,
                "input": args.input,
                "output": args.output,
                "seconds": elapsed.as_secs_f64(),
                "report": report,
            }),
            Err(e) => serde_json::json!({
                "ok": false,
                "input": args.input,
                "output": args.output,
                "error": e.to_string(),
                "location": e.location(),
            }),
        };
        write_json(path, &value)?;
    }
    let report = result?;
    if !args.quiet {
        eprint!("{report}");
        eprintln!(
            "wrote {} in {:.1} s ({})",
            args.output.display(),
            elapsed.as_secs_f64(),
            rate(report.input_bytes, elapsed)
        );
    }
    Ok(())
}
