//! `backup-fix check`: the offline pre-flight verdict.

use crate::print_out;
use crate::progress::{Display, Labels};
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
    let display = Display::new(args.quiet, Labels { main: "checking" });
    let checked = check_path_with_progress(&args.input, &mut |p: Progress| display.show(p));
    display.finish();
    let report = match checked {
        Ok(report) => report,
        // A script reading --json gets an answer on stdout too.
        Err(e) if args.json => {
            let value = serde_json::json!({
                "ok": false,
                "input": args.input,
                "error": check_error(&e),
                "location": e.location(),
                "interrupted": e.is_interrupted(),
            });
            print_out(&(serde_json::to_string_pretty(&value)? + "\n"))?;
            anyhow::bail!("{}", check_error(&e));
        }
        Err(e) => anyhow::bail!("{}", check_error(&e)),
    };
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
