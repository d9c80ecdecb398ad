//! Writes a generated Jira home with a matching backup in `export/`, for
//! trying `check --attachments` and `split --backup` by hand and for the
//! benchmark: `cargo run --example gen_jira_home -- OUT_DIR [FILES] [ORPHAN_EVERY] [MISSING]`.

use backup_fix::synth::{MediaBackupSynth, MediaTreeSynth};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .ok_or("usage: gen_jira_home OUT_DIR [FILES] [ORPHAN_EVERY] [MISSING]")?;
    let files: u64 = args.next().map_or(Ok(2000), |a| a.parse())?;
    let orphan_every: u64 = args.next().map_or(Ok(0), |a| a.parse())?;
    let missing: u64 = args.next().map_or(Ok(0), |a| a.parse())?;
    // About 1.5 attachments of 1 KiB mean per issue, a thumbnail for most.
    let mean_file = 1024;
    let synth = MediaBackupSynth {
        tree: MediaTreeSynth {
            target_bytes: files * mean_file,
            mean_file,
            projects: 8,
            old_layout: true,
            thumbnails: true,
            ..Default::default()
        },
        orphan_every,
        missing,
        renamed_project: true,
        ..Default::default()
    };
    let stats = synth.write(out.as_ref())?;
    println!(
        "{} files ({} bytes), {} attachment files, {} rows, backup {}",
        stats.tree.files,
        stats.tree.bytes,
        stats.attachment_files,
        stats.rows,
        stats.backup.display()
    );
    Ok(())
}
