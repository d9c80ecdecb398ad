//! The `backup-fix` command: argument parsing, progress and printing over the
//! library. No repair logic lives here.

mod check;
mod fix;
mod progress;
mod split;

use backup_fix::Cancel;
use clap::{Parser, Subcommand};
use std::process::ExitCode;
use std::time::Duration;

/// Repair Atlassian Jira and Confluence backups so that Atlassian Cloud imports them.
///
/// Exit status: 0 success, 1 the input could not be repaired (or I/O failed), 2 usage error.
#[derive(Parser)]
#[command(name = "backup-fix", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Repair a backup zip, or one XML file (entities.xml, activeobjects.xml, a .pdata, any XML).
    ///
    /// Removes characters XML 1.0 forbids and references to them, replaces
    /// invalid UTF-8 with U+FFFD, transcodes non-UTF-8 encodings to UTF-8, and
    /// checks that the result is well-formed. Every other byte is copied as is.
    /// On a Jira backup zip or Confluence export zip, repairs every XML entry
    /// and copies the rest; the output zip is read back before it is named.
    /// The output appears only when the repair succeeded.
    Fix(fix::FixArgs),
    /// Say, offline, whether the cloud import will accept a backup.
    ///
    /// Checks well-formedness (first error, as a strict parser reports it, and
    /// whether `fix` cures it), user emails and names, groups that are not
    /// migrated, public shares, server-local timestamps and the base URL; on
    /// a zip also its shape (entities.xml at the root, expected entries),
    /// damaged entries and Confluence attachment files against their records.
    /// Exit status: 0 nothing blocks the import, 1 something does, 2 usage error.
    Check(check::CheckArgs),
    /// Split attachments into media zips the Jira Cloud importer accepts.
    ///
    /// SOURCE is a Jira home directory, its data/attachments directory, or an
    /// existing media zip (split without recompressing). Writes
    /// OUTDIR/media-001.zip, media-002.zip, ... (each at most --max-size on
    /// disk, keeping the data/attachments/<PROJECT>/... layout) and
    /// OUTDIR/manifest.json, and prints the order to import them. Rerunning
    /// with the same arguments keeps complete, verified zips.
    Split(split::SplitArgs),
}

/// Parses `123`, `64KiB`, `16MiB`, `4GiB`, `2GB`, `500M`.
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size like 16MiB"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "kb" => 1000,
        "m" | "mib" => 1 << 20,
        "mb" => 1_000_000,
        "g" | "gib" => 1 << 30,
        "gb" => 1_000_000_000,
        "t" | "tib" => 1 << 40,
        "tb" => 1_000_000_000_000,
        other => return Err(format!("unknown size unit {other:?} (use KiB, MiB, GiB)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("{s:?} is too large"))
}

/// How long a run took, with its throughput when that means something:
/// "in 12 ms" for a quick run, "in 4.2 s (465 MB/s of XML)" otherwise.
/// Rates are decimal megabytes, as on the progress bars.
pub(crate) fn took(elapsed: Duration, bytes: u64, of: &str) -> String {
    let secs = elapsed.as_secs_f64();
    if secs < 0.1 {
        return format!("in {} ms", elapsed.as_millis());
    }
    let rate = bytes as f64 / secs / 1e6;
    let rate = if rate < 10.0 {
        format!("{rate:.1}")
    } else {
        format!("{rate:.0}")
    };
    format!("in {secs:.1} s ({rate} MB/s{of})")
}

/// Writes `text` to standard output. A reader that went away (`| head`) is
/// not an error: the work is done, and the exit status must still say how
/// it went rather than report a broken pipe.
pub(crate) fn print_out(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// An error in how the command was asked (options that contradict the
/// backup): the command exits 2, as for clap's usage errors.
#[derive(Debug)]
pub(crate) struct Usage(pub(crate) String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// The library's error for the command line: usage errors marked so that
/// they exit 2, the rest printed once with their whole chain.
pub(crate) fn lib_error(e: backup_fix::Error) -> anyhow::Error {
    if e.is_usage() {
        anyhow::Error::new(Usage(e.to_string()))
    } else {
        anyhow::anyhow!("{e}")
    }
}

/// Ctrl-C (or SIGTERM) cancels `cancel`, the token every job of this run
/// holds: the job removes its temporary output and the command exits 130.
/// A second one exits at once.
fn stop_on_signal(cancel: &Cancel) {
    let on_signal = cancel.clone();
    let installed = ctrlc::set_handler(move || {
        if on_signal.is_cancelled() {
            std::process::exit(130);
        }
        on_signal.cancel();
    });
    if let Err(e) = installed {
        eprintln!("backup-fix: warning: Ctrl-C will not clean up: {e}");
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let cancel = Cancel::new();
    stop_on_signal(&cancel);
    let result = match &cli.command {
        Command::Fix(args) => fix::run(args, &cancel),
        Command::Check(args) => match check::run(args, &cancel) {
            Ok(true) => return ExitCode::from(1),
            other => other.map(|_| ()),
        },
        Command::Split(args) => split::run(args, &cancel),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("backup-fix: error: {e:#}");
            if cancel.is_cancelled() {
                ExitCode::from(130)
            } else if e.is::<Usage>() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_size, took};
    use std::time::Duration;

    #[test]
    fn quick_runs_give_no_rate_and_slow_ones_a_readable_one() {
        assert_eq!(took(Duration::from_millis(3), 2703, ""), "in 3 ms");
        assert_eq!(
            took(Duration::from_secs(2), 930_000_000, " of XML"),
            "in 2.0 s (465 MB/s of XML)"
        );
        assert_eq!(
            took(Duration::from_secs(4), 10_000_000, ""),
            "in 4.0 s (2.5 MB/s)"
        );
    }

    #[test]
    fn sizes_parse_with_binary_and_decimal_units() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("4GiB"), Ok(4 << 30));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert!(parse_size("4 parsecs").is_err());
        assert!(parse_size("").is_err());
    }
}
