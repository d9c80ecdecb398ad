//! `backup-fix check`: the offline pre-flight verdict.

use crate::{print_out, progress_bar, show_progress};
use backup_fix::check::check_path_with_progress;
use backup_fix::driver::Progress;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct CheckArgs {
    /// The backup to check: a Jira or Confluence zip, an unpacked export
    /// directory, or an XML file (optionally .gz or .zst); `-` reads standard input.
    input: PathBuf,
    /// Print the report as JSON instead of the screen.
    #[arg(long)]
    json: bool,
    /// No progress bar (it shows only on a terminal anyway).
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `backup-fix check`; returns whether something blocks the import.
pub(crate) fn run(args: &CheckArgs) -> anyhow::Result<bool> {
    let bar = progress_bar(args.quiet);
    let checked = check_path_with_progress(&args.input, &mut |p: Progress| show_progress(&bar, p));
    bar.finish_and_clear();
    let report = checked?;
    let text = if args.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        report.to_string()
    };
    print_out(&text)?;
    Ok(report.blocks_import())
}
