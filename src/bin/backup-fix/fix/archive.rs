//! `backup-fix fix` on a zip: repairs a whole Jira backup or Confluence
//! export through `backup_fix::archive::fix_zip` and prints its report.

use super::FixArgs;
use crate::progress::Display;
use crate::took;
use backup_fix::archive::{ArchiveOptions, ArchiveReport, fix_zip};
use backup_fix::driver::Progress;
use backup_fix::output::PendingFile;
use backup_fix::{Error, Options};
use std::io::Read;
use std::path::Path;
use std::time::Instant;

/// Whether `path` is a zip: by its first bytes (`PK\x03\x04`, `PK\x05\x06`),
/// or by a `.zip` name (so that a damaged zip gets the archive's error
/// messages, not an XML parser's).
pub(super) fn is_zip_input(path: &Path) -> bool {
    if path.as_os_str() == "-" {
        return false;
    }
    let mut head = [0u8; 4];
    let sniffed = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .is_ok_and(|n| backup_fix::archive::is_zip(&head[..n]));
    sniffed
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// Runs the archive repair for `backup-fix fix INPUT.zip -o OUTPUT.zip`.
pub(super) fn run(
    args: &FixArgs,
    options: &Options,
    report_file: Option<PendingFile>,
) -> anyhow::Result<()> {
    let mut archive = ArchiveOptions::default()
        .level(args.level)
        .check_copies(!args.no_copy_check);
    if let Some(n) = args.threads {
        archive = archive.threads(usize::from(n));
    }
    let display = Display::new(args.quiet, "repairing entries");
    let started = Instant::now();
    let mut on_progress = |p: Progress| display.show(p);
    let result: Result<ArchiveReport, Error> = fix_zip(
        &args.input,
        &args.output,
        options,
        &archive,
        &mut on_progress,
    );
    display.finish();
    let elapsed = started.elapsed();
    super::write_report(args, report_file, elapsed, &result, "archive")?;
    // The library's message already carries the whole chain (file, entry,
    // cause, fix): print it once, not once per source.
    let report = result.map_err(crate::lib_error)?;
    if !args.quiet {
        eprint!("{report}");
        let xml_bytes: u64 = report.xml.iter().map(|x| x.report.input_bytes).sum();
        eprintln!(
            "wrote {} ({} bytes) {}; the archive reads back and its XML is well-formed",
            args.output.display(),
            report.output_bytes,
            took(elapsed, xml_bytes, " of XML")
        );
    }
    Ok(())
}
