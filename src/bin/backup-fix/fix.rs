//! `backup-fix fix`: repair one XML file, or a whole backup zip.

mod archive;

use crate::{parse_size, progress_bar, rate, show_progress, write_json};
use anyhow::Context;
use backup_fix::driver::{Progress, fix_file};
use backup_fix::{Error, Options, Report, TzChoice, UrlMapping};
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
    /// Convert server-local timestamps to UTC from ZONE (an IANA name such as
    /// Europe/Berlin), or `auto` for the zone the backup states. Run it once:
    /// a second run shifts again.
    #[arg(long, value_name = "ZONE|auto", value_parser = parse_tz)]
    tz: Option<TzChoice>,
    /// Rewrite links to an old server: FROM=TO, e.g.
    /// http://jira.corp:8080=https://acme.atlassian.net. Repeatable; the longest FROM wins.
    #[arg(long = "map-url", value_name = "FROM=TO", value_parser = parse_mapping)]
    map_url: Vec<UrlMapping>,
    /// Rewrite links to the backup's own base URL (read from the backup) to URL.
    #[arg(long, value_name = "URL", value_parser = parse_cloud_url)]
    cloud_url: Option<String>,
    /// Make dashboards and filters shared with everyone (global shares)
    /// visible to logged-in users only.
    #[arg(long)]
    restrict_global_shares: bool,
    /// With --map-url or --cloud-url, what to do with Confluence page links
    /// (short links, page and attachment URLs to the old server): `convert`
    /// them into internal links (the default), or `keep` them as URLs.
    #[arg(long, value_name = "convert|keep", default_value = "convert", value_parser = ["convert", "keep"])]
    confluence_links: String,
    /// Zip input: deflate level of the repaired XML entries, 0-9. The default
    /// 6 writes about the size Info-ZIP's zip does; 1 is the fastest.
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

fn parse_tz(s: &str) -> Result<TzChoice, String> {
    TzChoice::parse(s).map_err(|e| e.to_string())
}

fn parse_mapping(s: &str) -> Result<UrlMapping, String> {
    UrlMapping::parse(s).map_err(|e| e.to_string())
}

fn parse_cloud_url(s: &str) -> Result<String, String> {
    // Checked as the TO of a mapping; the FROM is read from the backup later.
    UrlMapping::new("http://old-server.invalid", s)
        .map(|m| m.to().to_string())
        .map_err(|e| e.to_string().replace("http://old-server.invalid=", ""))
}

impl FixArgs {
    /// The library options these arguments ask for.
    fn options(&self) -> anyhow::Result<Options> {
        let max_tag_size =
            usize::try_from(self.max_tag_size).context("--max-tag-size is too large")?;
        let mut options = Options::default()
            .max_tag_size(max_tag_size)
            .restrict_global_shares(self.restrict_global_shares)
            .confluence_links(self.confluence_links == "convert");
        options.tz = self.tz.clone();
        options.map_urls = self.map_url.clone();
        options.cloud_url = self.cloud_url.clone();
        Ok(options)
    }
}

/// Runs `backup-fix fix`.
pub(crate) fn run(args: &FixArgs) -> anyhow::Result<()> {
    let options = args.options()?;
    if archive::is_zip_input(&args.input) {
        return archive::run(args, &options);
    }
    let bar = progress_bar(args.quiet);
    let started = Instant::now();
    let mut on_progress = |p: Progress| show_progress(&bar, p);
    let result: Result<Report, Error> =
        fix_file(&args.input, &args.output, &options, &mut on_progress);
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    write_report(args, elapsed, &result, "report")?;
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

/// Writes `--report FILE.json`, if asked for: the result under `key` (the
/// file's or the archive's report), or the error and where it happened.
fn write_report<T: serde::Serialize>(
    args: &FixArgs,
    elapsed: std::time::Duration,
    result: &Result<T, Error>,
    key: &str,
) -> anyhow::Result<()> {
    let Some(path) = &args.report else {
        return Ok(());
    };
    let value = match result {
        Ok(report) => serde_json::json!({
            "ok": true,
            "input": args.input,
            "output": args.output,
            "seconds": elapsed.as_secs_f64(),
            key: report,
        }),
        Err(e) => serde_json::json!({
            "ok": false,
            "input": args.input,
            "output": args.output,
            "error": e.to_string(),
            "location": e.location(),
        }),
    };
    write_json(path, &value)
}
