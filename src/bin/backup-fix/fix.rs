//! `backup-fix fix`: repair one XML file, or a whole backup zip.

mod archive;

use crate::progress::Display;
use crate::{parse_size, took};
use anyhow::Context;
use backup_fix::driver::Progress;
use backup_fix::output::PendingFile;
use backup_fix::{AppDataSelector, Cancel, Error, Options, TzChoice, UrlMapping};
use backup_fix::{Fixed, fix_path, is_zip_path};
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub(crate) struct FixArgs {
    /// The backup zip or XML file to repair; `-` reads XML from standard
    /// input. gzip and zstd XML is recognised.
    input: PathBuf,
    /// Where to write the result: a zip for a zip INPUT; for XML, `-` writes
    /// standard output and a name ending in .gz or .zst compresses.
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
    /// With an explicit --tz ZONE, convert even when the backup states its
    /// zone is UTC (refused by default: such a backup was most likely
    /// converted already).
    #[arg(long, requires = "tz")]
    tz_ignore_stated: bool,
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
    /// Jira: recompute the parentId/childId of Membership rows from the group
    /// and member names within their directory, and drop rows that then
    /// duplicate another (Data Center 8.22+ exports hold stale ids). Reads
    /// the input twice, so not from standard input.
    #[arg(long)]
    repair_memberships: bool,
    /// Leave an app's tables out of activeobjects.xml and .pdata files
    /// (definitions and data): an Active Objects prefix such as AO_60DB71
    /// (all the app's tables) or one table such as AO_60DB71_SPRINT.
    /// Repeatable. `backup-fix check` lists the prefixes a backup holds.
    #[arg(long = "drop-app-data", value_name = "PREFIX|TABLE", value_parser = parse_app_data)]
    drop_app_data: Vec<AppDataSelector>,
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

fn parse_app_data(s: &str) -> Result<AppDataSelector, String> {
    AppDataSelector::parse(s).map_err(|e| match e {
        Error::BadAppDataSelector { why, .. } => {
            format!("{why}; give an app's prefix such as AO_60DB71 or one table such as AO_60DB71_SPRINT")
        }
        other => other.to_string(),
    })
}

fn parse_mapping(s: &str) -> Result<UrlMapping, String> {
    UrlMapping::parse(s).map_err(|e| e.to_string())
}

fn parse_cloud_url(s: &str) -> Result<String, String> {
    // Checked as the TO of a mapping; the FROM is read from the backup later.
    // clap names the flag and the value; the reason is all that is left to say.
    UrlMapping::new("http://old-server.invalid", s)
        .map(|m| m.to().to_string())
        .map_err(|e| match e {
            Error::BadUrlMapping { why, .. } => why,
            other => other.to_string(),
        })
}

impl FixArgs {
    /// The library options these arguments ask for.
    fn options(&self, cancel: &Cancel) -> anyhow::Result<Options> {
        let max_tag_size =
            usize::try_from(self.max_tag_size).context("--max-tag-size is too large")?;
        let mut options = Options::default()
            .max_tag_size(max_tag_size)
            .restrict_global_shares(self.restrict_global_shares)
            .repair_memberships(self.repair_memberships)
            .tz_ignore_stated(self.tz_ignore_stated)
            .confluence_links(self.confluence_links == "convert")
            .cancel(cancel.clone());
        options.tz = self.tz.clone();
        options.map_urls = self.map_url.clone();
        options.cloud_url = self.cloud_url.clone();
        options.drop_app_data = self.drop_app_data.clone();
        Ok(options)
    }
}

/// Runs `backup-fix fix`.
pub(crate) fn run(args: &FixArgs, cancel: &Cancel) -> anyhow::Result<()> {
    let options = args.options(cancel)?;
    // The report's file is made before any work, so a report path that
    // cannot be written fails at once rather than after the whole job.
    let report_file = match &args.report {
        Some(path) => Some(
            PendingFile::beside(path)
                .with_context(|| format!("{}: cannot write the report", path.display()))?,
        ),
        None => None,
    };
    let zip = is_zip_path(&args.input);
    let archive = archive::settings(args);
    let display = Display::new(
        args.quiet,
        if zip {
            "repairing entries"
        } else {
            "repairing"
        },
    );
    let started = Instant::now();
    let mut on_progress = |p: Progress| display.show(p);
    let result = fix_path(
        &args.input,
        &args.output,
        &options,
        &archive,
        &mut on_progress,
    );
    display.finish();
    let elapsed = started.elapsed();
    // The JSON keeps its two shapes: a file's report under "report", an
    // archive's under "archive".
    let key = if zip { "archive" } else { "report" };
    let fixed = match result {
        Ok(fixed) => fixed,
        Err(e) => {
            write_report::<Fixed>(args, report_file, elapsed, Err(&e), key)?;
            return Err(crate::lib_error(e));
        }
    };
    match &fixed {
        Fixed::Zip(report) => {
            write_report(args, report_file, elapsed, Ok(report), "archive")?;
            archive::print(args, report, elapsed);
        }
        Fixed::Xml(report) => {
            write_report(args, report_file, elapsed, Ok(&**report), "report")?;
            if !args.quiet {
                eprint!("{report}");
                eprintln!(
                    "wrote {} {}",
                    args.output.display(),
                    took(elapsed, report.input_bytes, "")
                );
            }
        }
        other => {
            write_report(args, report_file, elapsed, Ok(other), key)?;
            if !args.quiet {
                eprint!("{other}");
            }
        }
    }
    Ok(())
}

/// Writes `--report FILE.json` into its pending file, if asked for: the
/// result under `key` (the file's or the archive's report), or the error and
/// where it happened. If the report cannot be written after a repair
/// succeeded, the repaired OUTPUT is removed too: a run either leaves both
/// or neither.
fn write_report<T: serde::Serialize>(
    args: &FixArgs,
    pending: Option<PendingFile>,
    elapsed: std::time::Duration,
    result: Result<&T, &Error>,
    key: &str,
) -> anyhow::Result<()> {
    let Some(mut pending) = pending else {
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
    let text = serde_json::to_string_pretty(&value)? + "\n";
    let path = pending.dest().to_path_buf();
    let written =
        std::io::Write::write_all(pending.file(), text.as_bytes()).and_then(|()| pending.commit());
    if let Err(e) = written {
        if result.is_ok() && args.output.is_file() {
            let _ = std::fs::remove_file(&args.output);
            anyhow::bail!(
                "{}: cannot write the report: {e}; {} was removed so that no output is left without its report",
                path.display(),
                args.output.display()
            );
        }
        anyhow::bail!("{}: cannot write the report: {e}", path.display());
    }
    Ok(())
}
