//! `backup-fix fix` on a zip: the archive settings from the arguments, and
//! the summary of the repaired backup.

use super::FixArgs;
use crate::took;
use backup_fix::archive::{ArchiveOptions, ArchiveReport};
use std::time::Duration;

/// The archive settings these arguments ask for (used only for zip input).
pub(super) fn settings(args: &FixArgs) -> ArchiveOptions {
    let mut archive = ArchiveOptions::default()
        .level(args.level)
        .check_copies(!args.no_copy_check);
    if let Some(n) = args.threads {
        archive = archive.threads(usize::from(n));
    }
    archive
}

/// Prints the summary of a repaired zip, unless `--quiet`.
pub(super) fn print(args: &FixArgs, report: &ArchiveReport, elapsed: Duration) {
    if args.quiet {
        return;
    }
    eprint!("{report}");
    let xml_bytes: u64 = report.xml.iter().map(|x| x.report.input_bytes).sum();
    eprintln!(
        "wrote {} ({} bytes) {}; the archive reads back and its XML is well-formed",
        args.output.display(),
        report.output_bytes,
        took(elapsed, xml_bytes, " of XML")
    );
    if let Some(cpu) = report.cpu() {
        eprintln!("CPU: {cpu}");
    }
}
