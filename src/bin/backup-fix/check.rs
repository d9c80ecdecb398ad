//! `backup-fix check`: the offline pre-flight verdict.

use crate::parse_size;
use crate::print_out;
use crate::progress::Display;
use anyhow::Context;
use backup_fix::Cancel;
use backup_fix::check::html::{Provenance, write_html};
use backup_fix::check::{CheckOptions, check_path_with};
use backup_fix::driver::Progress;
use backup_fix::output::PendingFile;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct CheckArgs {
    /// The backup to check: a Jira or Confluence zip, an unpacked export
    /// directory, a Jira home (its newest backup in export/, with
    /// data/attachments), or an XML file (optionally .gz or .zst); `-` reads standard input.
    input: PathBuf,
    /// Jira: check the backup's attachment rows against these files: a Jira
    /// home, its data/attachments directory, a media zip, or the output
    /// directory of split (all its zips).
    #[arg(long, value_name = "JIRA_HOME|DIR|MEDIA.zip")]
    attachments: Option<PathBuf>,
    /// Print the report as JSON instead of the screen.
    #[arg(long)]
    json: bool,
    /// Also write the report as one self-contained HTML page (the
    /// pre-migration assessment) to this file; it appears only when complete.
    #[arg(long, value_name = "FILE.html")]
    html: Option<PathBuf>,
    /// Largest single tag held in memory (e.g. 64MiB), as for fix; a larger one is reported.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "16MiB")]
    max_tag_size: u64,
    /// No progress bar (it shows only on a terminal anyway).
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `backup-fix check`; returns whether something blocks the import.
pub(crate) fn run(args: &CheckArgs, cancel: &Cancel) -> anyhow::Result<bool> {
    let display = Display::new(args.quiet, "checking");
    let max_tag_size = usize::try_from(args.max_tag_size).context("--max-tag-size is too large")?;
    let mut options = CheckOptions::default()
        .max_tag_size(max_tag_size)
        .cancel(cancel.clone());
    if let Some(a) = &args.attachments {
        options = options.attachments(a);
    }
    // Made before any work, so a path that cannot be written fails at once.
    let html = match &args.html {
        Some(path) => Some(
            PendingFile::beside(path)
                .with_context(|| format!("{}: cannot write the HTML report", path.display()))?,
        ),
        None => None,
    };
    let started = jiff::Timestamp::now();
    let checked = check_path_with(&args.input, &options, &mut |p: Progress| display.show(p));
    display.finish();
    let report = match checked {
        Ok(report) => report,
        // A script reading --json gets an answer on stdout too.
        Err(e) if args.json => {
            let message = check_error(&e);
            let value = serde_json::json!({
                "ok": false,
                "input": args.input,
                "error": message,
                "location": e.location(),
                "interrupted": e.is_interrupted(),
            });
            print_out(&(serde_json::to_string_pretty(&value)? + "\n"))?;
            anyhow::bail!("{message}");
        }
        Err(e) => anyhow::bail!("{}", check_error(&e)),
    };
    if let Some(mut pending) = html {
        let about = Provenance::of_path(&args.input, started, cancel).map_err(crate::lib_error)?;
        let dest = pending.dest().display().to_string();
        write_html(&report, &about, pending.file())
            .map_err(crate::lib_error)
            .and_then(|()| Ok(pending.commit()?))
            .with_context(|| format!("{dest}: cannot write the HTML report"))?;
    }
    let text = if args.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        report.to_string()
    };
    print_out(&text)?;
    Ok(report.blocks_import())
}

/// The message for a check that could not finish. An interrupted check wrote
/// nothing to begin with, so it says what it means for the user.
fn check_error(e: &backup_fix::Error) -> String {
    if e.is_interrupted() {
        "interrupted; the check did not finish (run it again)".to_owned()
    } else {
        e.to_string()
    }
}
