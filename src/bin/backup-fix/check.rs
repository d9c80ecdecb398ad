//! `backup-fix check`: the offline pre-flight verdict.

use backup_fix::check::check_path;
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
}

/// Runs `backup-fix check`; returns whether something blocks the import.
pub(crate) fn run(args: &CheckArgs) -> anyhow::Result<bool> {
    let report = check_path(&args.input)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(report.blocks_import())
}
