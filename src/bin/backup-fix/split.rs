//! `backup-fix split`: media zips the cloud importer accepts.

use crate::progress::Display;
use crate::{parse_size, print_out, took};
use backup_fix::Cancel;
use backup_fix::driver::Progress;
use backup_fix::report::plural;
use backup_fix::split::{
    Compress, DEFAULT_MIN_SIZE, MANIFEST, Manifest, SplitError, SplitOptions, ZipStatus, plan,
    split,
};
use clap::{Args, CommandFactory, ValueEnum};
use indicatif::HumanBytes;
use std::fmt::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone, Copy, ValueEnum)]
enum CompressArg {
    /// Store every entry (attachments are mostly compressed already).
    None,
    /// Deflate entries that are not already compressed (text, logs, CSV, ...).
    Auto,
}

#[derive(Args)]
pub(crate) struct SplitArgs {
    /// A Jira home directory, its data/attachments directory, or an existing media zip.
    source: PathBuf,
    /// Directory for media-001.zip, media-002.zip, ... and manifest.json (created if missing).
    #[arg(short, long, value_name = "OUTDIR")]
    output: PathBuf,
    /// Largest zip on disk, headers included (e.g. 4GiB, 5GB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "4GiB")]
    max_size: u64,
    /// Smallest zip except the last, where the data allows [default: 2GiB, or half of --max-size if smaller].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    min_size: Option<u64>,
    /// Compression: none stores everything; auto deflates what is not already compressed.
    #[arg(long, value_enum, default_value = "none")]
    compress: CompressArg,
    /// Put a file larger than --max-size alone in its own zip (with a warning) instead of failing.
    #[arg(long)]
    allow_oversize: bool,
    /// Leave out files that cannot be read (listed in the manifest) instead of failing.
    #[arg(long)]
    skip_unreadable: bool,
    /// Print the plan without writing anything.
    #[arg(long)]
    dry_run: bool,
    /// Zips written at once [default: the number of cores, at most 4].
    #[arg(
        short,
        long,
        value_name = "N",
        default_value_t = 0,
        hide_default_value = true
    )]
    jobs: usize,
    /// Do not flush each zip to disk before naming it (faster; less safe on power loss).
    #[arg(long)]
    no_sync: bool,
    /// Check the files against this Jira backup's attachment rows before
    /// packing (missing, wrong size, unreferenced, thumbnails; in the manifest).
    #[arg(long, value_name = "BACKUP.zip")]
    backup: Option<PathBuf>,
    /// Leave out files no attachment row refers to (needs --backup).
    #[arg(long)]
    only_referenced: bool,
    /// Leave out thumbnails (thumbs/...; the cloud makes its own).
    #[arg(long)]
    no_thumbnails: bool,
    /// Print the manifest as JSON on standard output instead of the table.
    #[arg(long)]
    json: bool,
    /// Print nothing but errors (and the JSON with --json).
    #[arg(short, long)]
    quiet: bool,
}

/// Runs `backup-fix split`.
pub(crate) fn run(args: &SplitArgs, cancel: &Cancel) -> anyhow::Result<()> {
    let compress = match args.compress {
        CompressArg::None => Compress::None,
        CompressArg::Auto => Compress::Auto,
    };
    let options = SplitOptions::default()
        .max_size(args.max_size)
        .min_size(
            args.min_size
                .unwrap_or(DEFAULT_MIN_SIZE.min(args.max_size / 2)),
        )
        .compress(compress)
        .allow_oversize(args.allow_oversize)
        .skip_unreadable(args.skip_unreadable)
        .jobs(args.jobs)
        .sync(!args.no_sync)
        .only_referenced(args.only_referenced)
        .no_thumbnails(args.no_thumbnails)
        .cancel(cancel.clone());
    let options = match &args.backup {
        Some(b) => options.backup(b),
        None => options,
    };
    if let Err(e) = options.validate() {
        crate::Cli::command()
            .error(clap::error::ErrorKind::ArgumentConflict, e.to_string())
            .exit();
    }
    let display = Display::new(args.quiet, "splitting");
    let mut on_progress = |p: Progress| display.show_split(p);
    let started = Instant::now();
    let result: Result<Manifest, SplitError> = if args.dry_run {
        plan(&args.source, &options, None, &mut on_progress).map(|p| p.manifest())
    } else {
        split(&args.source, &args.output, &options, &mut on_progress)
    };
    display.finish();
    let manifest = match result {
        Ok(m) => m,
        Err(e) if e.is_usage() => crate::Cli::command()
            .error(clap::error::ErrorKind::ArgumentConflict, e.to_string())
            .exit(),
        Err(e) => return Err(e.into()),
    };
    if args.json {
        print_out(&(serde_json::to_string_pretty(&manifest)? + "\n"))?;
    }
    if args.quiet {
        return Ok(());
    }
    for w in &manifest.warnings {
        eprintln!("backup-fix: warning: {w}");
    }
    if manifest.skipped_count > 0 {
        eprintln!(
            "backup-fix: warning: {} left out:",
            plural(manifest.skipped_count as u64, "entry", "entries")
        );
        for s in manifest.skipped.iter().take(10) {
            eprintln!("  {}: {}", s.path, s.reason);
        }
        if manifest.skipped_count > 10 {
            eprintln!("  ... (all are listed in {MANIFEST})");
        }
    }
    if let Some(a) = &manifest.attachments {
        for f in &a.findings {
            eprintln!("backup-fix: {} {}", f.severity, f.message);
            if !f.examples.is_empty() {
                eprintln!("  e.g. {}", f.examples.join(", "));
            }
        }
        if a.left_out.files > 0 {
            eprintln!(
                "backup-fix: left out {} ({} saved): {}",
                plural(a.left_out.files, "file", "files"),
                HumanBytes(a.left_out.bytes),
                [
                    (a.orphans_left_out, "no row refers to them"),
                    (a.thumbnails_left_out, "thumbnails")
                ]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, what)| *what)
                .collect::<Vec<_>>()
                .join(", ")
            );
        }
    }
    if !args.json {
        let mut text = table(&manifest);
        if args.dry_run {
            text.push_str("Dry run: nothing was written.\n");
        } else {
            let written = manifest
                .zips
                .iter()
                .filter(|z| z.status == ZipStatus::Written)
                .count();
            let elapsed = started.elapsed();
            let _ = writeln!(
                text,
                "Wrote {}, kept {} {}; manifest: {}",
                plural(written as u64, "zip", "zips"),
                manifest.zips.len() - written,
                took(elapsed, manifest.bytes, ""),
                args.output.join(MANIFEST).display()
            );
        }
        print_out(&text)?;
    }
    Ok(())
}

/// The manifest as a table, with the order to import the zips.
fn table(m: &Manifest) -> String {
    let mut text = String::new();
    let name_w = m
        .zips
        .iter()
        .map(|z| z.name.len())
        .max()
        .unwrap_or(3)
        .max(3);
    let _ = writeln!(
        text,
        "{:>5}  {:<name_w$}  {:>11}  {:>8}  {:<5}  {:<8}  contents",
        "order", "zip", "size", "entries", "CRC", "status"
    );
    for z in &m.zips {
        let crc = match (z.status, z.crc_checked) {
            (ZipStatus::Planned, _) => "-",
            (_, true) => "ok",
            (_, false) => "no",
        };
        let status = match z.status {
            ZipStatus::Planned => "planned",
            ZipStatus::Written => "written",
            ZipStatus::Kept => "kept",
            _ => "?",
        };
        let size = HumanBytes(z.size).to_string();
        let oversize = if z.oversize { " [OVERSIZE]" } else { "" };
        let _ = writeln!(
            text,
            "{:>5}  {:<name_w$}  {:>11}  {:>8}  {:<5}  {:<8}  {}{oversize}",
            z.order,
            z.name,
            size,
            z.entries,
            crc,
            status,
            z.contents()
        );
    }
    let _ = writeln!(
        text,
        "Total: {}, {}, {} ({} of data).",
        plural(m.zips.len() as u64, "zip", "zips"),
        plural(m.entries, "entry", "entries"),
        HumanBytes(m.size),
        HumanBytes(m.bytes)
    );
    let _ = writeln!(
        text,
        "Import them in Jira Cloud (Import media) one at a time, waiting for each to finish, in this order: {}",
        m.import_order().join(", ")
    );
    text
}
