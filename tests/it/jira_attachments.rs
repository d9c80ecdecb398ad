//! Jira attachments checked against the backup (`check --attachments`,
//! `check JIRA_HOME`, `split --backup --only-referenced --no-thumbnails`):
//! generated homes with both layouts, a renamed project, Unicode filenames,
//! missing files, size mismatches, orphans and thumbnails; malformed rows
//! and odd names never panic.

use crate::split_common;

use backup_fix::check::{CheckOptions, CheckReport, Finding, Severity, check_path_with};
use backup_fix::split::{SplitOptions, plan, split};
use backup_fix::synth::{MediaBackupStats, MediaBackupSynth, MediaTreeSynth};
use split_common::{cli, put, tree_entries, zip_entries, zips_in};
use std::path::Path;

fn find<'a>(r: &'a CheckReport, code: &str) -> &'a Finding {
    r.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} finding in {r}"))
}

fn has(r: &CheckReport, code: &str) -> bool {
    r.findings.iter().any(|f| f.code == code)
}

fn synth() -> MediaBackupSynth {
    MediaBackupSynth {
        tree: MediaTreeSynth {
            target_bytes: 600 << 10,
            mean_file: 8 << 10,
            projects: 3,
            old_layout: true,
            thumbnails: true,
            ..Default::default()
        },
        orphan_every: 7,
        missing: 2,
        size_mismatches: 3,
        renamed_project: true,
        ..Default::default()
    }
}

/// A backup that matches its tree.
fn clean() -> MediaBackupSynth {
    MediaBackupSynth {
        orphan_every: 0,
        missing: 0,
        size_mismatches: 0,
        ..synth()
    }
}

fn home(s: &MediaBackupSynth) -> (tempfile::TempDir, MediaBackupStats) {
    let dir = tempfile::tempdir().unwrap();
    let stats = s.write(dir.path()).unwrap();
    (dir, stats)
}

/// Thumbnails in the tree: (count, bytes).
fn thumbnails(home: &Path) -> (u64, u64) {
    let t: Vec<u64> = tree_entries(home)
        .iter()
        .filter(|(n, _)| n.contains("/thumbs/"))
        .map(|(_, d)| d.len() as u64)
        .collect();
    (t.len() as u64, t.iter().sum())
}

/// The media findings of two checks count the same.
fn assert_same_counts(a: &CheckReport, b: &CheckReport) {
    for code in [
        "attachment-file-missing",
        "attachment-file-size-mismatch",
        "attachment-file-orphaned",
        "attachment-thumbnails",
    ] {
        assert_eq!(find(a, code).count, find(b, code).count, "{code}");
    }
}

fn check_with(backup: &Path, attachments: Option<&Path>) -> CheckReport {
    let mut options = CheckOptions::default();
    if let Some(a) = attachments {
        options = options.attachments(a);
    }
    check_path_with(backup, &options, &mut |_| {}).expect("check runs")
}

#[test]
fn a_jira_home_is_checked_with_its_newest_backup_and_its_attachments() {
    let (dir, stats) = home(&synth());
    assert!(
        stats.orphans > 0 && stats.attachment_files > 20,
        "{stats:?}"
    );
    let r = check_with(dir.path(), None);
    let used = find(&r, "jira-home-backup");
    assert!(
        used.message.contains("2026-Dec-01--0200.zip"),
        "{}",
        used.message
    );
    let missing = find(&r, "attachment-file-missing");
    assert_eq!(missing.severity, Severity::Error);
    assert_eq!(missing.count, 2);
    // The missing rows belong to the first (renamed) project: its current key.
    assert!(missing.message.contains("RPAA 2"), "{}", missing.message);
    assert!(
        missing.examples[0].contains("lost 0.txt"),
        "{:?}",
        missing.examples
    );
    let sizes = find(&r, "attachment-file-size-mismatch");
    assert_eq!((sizes.severity, sizes.count), (Severity::Warning, 3));
    // Filenames are any Unicode text, shown as the row has them.
    assert!(
        sizes.examples[0].contains("项目预算明细表.xlsx"),
        "{:?}",
        sizes.examples
    );
    let orphans = find(&r, "attachment-file-orphaned");
    assert_eq!(orphans.count, stats.orphans);
    assert!(
        orphans
            .fix
            .as_deref()
            .unwrap()
            .contains("--only-referenced")
    );
    let (thumbs, _) = thumbnails(dir.path());
    assert!(thumbs > 0);
    assert_eq!(find(&r, "attachment-thumbnails").count, thumbs);
    assert!(r.blocks_import());
    assert!(!has(&r, "attachment-row-unresolved"), "{r}");
    // The size of the move counts the home's attachment bytes per project.
    let folders: Vec<&str> = r
        .size
        .attachment_files
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert!(
        folders.contains(&"PAA") && folders.contains(&"LEG"),
        "{folders:?}"
    );
}

#[test]
fn a_matching_backup_passes_across_both_layouts_and_a_renamed_project() {
    let s = clean();
    let (dir, stats) = home(&s);
    let r = check_with(&stats.backup, Some(dir.path()));
    let ok = find(&r, "attachment-files");
    assert_eq!(ok.severity, Severity::Pass);
    // Every file found: the bucket-less LEG project and the renamed PAA's files too.
    assert_eq!(ok.count, stats.attachment_files);
    assert_eq!(stats.rows, stats.attachment_files);
    for code in [
        "attachment-file-missing",
        "attachment-file-size-mismatch",
        "attachment-file-orphaned",
    ] {
        assert!(!has(&r, code), "{code} in {r}");
    }
    assert!(!r.blocks_import(), "{r}");
    // The same from data/attachments itself.
    let r2 = check_with(&stats.backup, Some(&dir.path().join("data/attachments")));
    assert_eq!(find(&r2, "attachment-files").count, stats.attachment_files);
}

#[test]
fn without_the_renamed_keys_the_old_folder_is_missing() {
    // The renamed project's files are found only through its ProjectKey rows.
    let s = clean();
    let (dir, stats) = home(&s);
    // Rewrite the backup without its ProjectKey rows.
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&stats.backup).unwrap()).unwrap();
    let mut xml = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name("entities.xml").unwrap(), &mut xml).unwrap();
    let text = String::from_utf8(xml).unwrap();
    let stripped: String = text
        .lines()
        .filter(|l| !l.contains("<ProjectKey "))
        .map(|l| format!("{l}\n"))
        .collect();
    let scratch = tempfile::tempdir().unwrap();
    let plain = scratch.path().join("entities.xml");
    std::fs::write(&plain, stripped).unwrap();
    let r = check_with(&plain, Some(dir.path()));
    let missing = find(&r, "attachment-file-missing");
    let paa = stats
        .tree
        .project_bytes
        .iter()
        .position(|(k, _)| k == "PAA")
        .unwrap();
    assert_eq!(paa, 0);
    assert!(
        missing.count > 0 && missing.message.contains("RPAA"),
        "{}",
        missing.message
    );
}

#[test]
fn a_media_zip_from_split_is_checked_like_the_tree() {
    let (dir, stats) = home(&synth());
    let out = tempfile::tempdir().unwrap();
    let options = SplitOptions::default()
        .max_size(64 << 20)
        .min_size(1 << 20)
        .sync(false);
    split(dir.path(), out.path(), &options, &mut |_| {}).unwrap();
    let zips = zips_in(out.path());
    assert_eq!(zips.len(), 1);
    let tree = check_with(&stats.backup, Some(dir.path()));
    let zipped = check_with(&stats.backup, Some(&zips[0]));
    assert_same_counts(&tree, &zipped);
}

#[test]
fn the_output_directory_of_split_is_checked_zip_by_zip() {
    let (dir, stats) = home(&synth());
    let out = tempfile::tempdir().unwrap();
    let options = SplitOptions::default()
        .max_size(256 << 10)
        .min_size(128 << 10)
        .allow_oversize(true)
        .sync(false);
    split(dir.path(), out.path(), &options, &mut |_| {}).unwrap();
    assert!(zips_in(out.path()).len() > 2);
    let tree = check_with(&stats.backup, Some(dir.path()));
    let zipped = check_with(&stats.backup, Some(out.path()));
    assert_same_counts(&tree, &zipped);
}

#[test]
fn a_failed_backup_is_skipped_and_said() {
    let (dir, _) = home(&synth());
    let export = dir.path().join("export");
    let failed = export.join("2026-Dec-02--0200.zip");
    put(&failed, b"");
    put(
        &export.join("2026-Dec-02--0200.zip.failure.txt"),
        b"disk full",
    );
    // Newer than the good one.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&failed)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let r = check_with(dir.path(), None);
    assert!(
        find(&r, "backup-failed-skipped")
            .message
            .contains("2026-Dec-02--0200.zip")
    );
    assert!(
        find(&r, "jira-home-backup")
            .message
            .contains("2026-Dec-01--0200.zip")
    );
    assert!(has(&r, "attachment-file-missing"));
}

#[test]
fn a_jira_home_without_a_usable_backup_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    put(&dir.path().join("data/attachments/P/10000/P-1/1"), b"x");
    put(&dir.path().join("export/b.zip"), b"");
    put(&dir.path().join("export/b.zip.failure.txt"), b"failed");
    let e = check_path_with(dir.path(), &CheckOptions::default(), &mut |_| {}).unwrap_err();
    assert!(
        matches!(e, backup_fix::Error::NoBackupInHome { failed: 1, .. }),
        "{e}"
    );
    let out = cli().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no usable backup zip"));
}

#[test]
fn malformed_rows_and_odd_names_give_findings_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<entity-engine-xml>\n\
        <FileAttachment id=\"1\" issue=\"10\" filesize=\"12kB\" filename=\"a\"/>\n\
        <FileAttachment id=\"2\" filesize=\"3\" filename=\"no issue\"/>\n\
        <FileAttachment issue=\"10\" filesize=\"3\"/>\n\
        <FileAttachment id=\"x\" issue=\"10\"/>\n\
        <FileAttachment id=\"3\" issue=\"99\" filesize=\"1\"/>\n\
        <FileAttachment id=\"4\" issue=\"10\" filesize=\"5\" filename=\"&#x1F600; ok\"/>\n\
        <Issue id=\"10\" project=\"1\" number=\"not a number\" key=\"\"/>\n\
        <Issue id=\"11\" project=\"1\"/>\n\
        <Issue id=\"12\"/>\n\
        <Project id=\"1\"/>\n\
        <Project id=\"2\" key=\"K\"/>\n\
        <ProjectKey projectId=\"x\" projectKey=\"Z\"/>\n\
        </entity-engine-xml>\n";
    let entities = dir.path().join("entities.xml");
    std::fs::write(&entities, xml).unwrap();
    let att = dir.path().join("attachments");
    put(&att.join("K/10000/K-1/4"), b"12345");
    put(&att.join("K/K-x/5"), b"1");
    put(&att.join("loose"), b"1");
    put(&att.join("K/10000/K-1/thumbs/_thumb_4.png"), b"1");
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let odd = att.join(std::ffi::OsStr::from_bytes(b"K/bad\xff"));
        put(&odd, b"1");
    }
    let r = check_with(&entities, Some(&att));
    let unresolved = find(&r, "attachment-row-unresolved");
    // 12kB, no issue, no id (twice), issue 99, and every row of issue 10 (no number).
    assert!(unresolved.count >= 5, "{r}");
    assert!(
        unresolved.examples.iter().any(|e| e.contains("\"12kB\"")),
        "{:?}",
        unresolved.examples
    );
    assert_eq!(find(&r, "attachment-file-orphaned").count, 3);
    assert_eq!(find(&r, "attachment-thumbnails").count, 1);
    #[cfg(unix)]
    assert_eq!(find(&r, "attachment-names-not-utf8").count, 1);
}

#[test]
fn split_leaves_out_exactly_the_orphans_and_thumbnails_asked() {
    let (dir, stats) = home(&synth());
    let (thumbs, thumb_bytes) = thumbnails(dir.path());
    let base = SplitOptions::default()
        .max_size(64 << 20)
        .min_size(1 << 20)
        .sync(false);
    // With --backup alone nothing is left out, and the cross-check is in the manifest.
    let all = tempfile::tempdir().unwrap();
    let plain = plan(dir.path(), &base, None, &mut |_| {})
        .unwrap()
        .manifest();
    let m = split(
        dir.path(),
        all.path(),
        &base.clone().backup(&stats.backup),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(m.entries, plain.entries);
    let a = m.attachments.as_ref().unwrap();
    assert_eq!(a.left_out.files, 0);
    assert_eq!(a.orphans.files, stats.orphans);
    assert_eq!(a.orphans.bytes, stats.orphan_bytes);
    assert!(
        a.findings
            .iter()
            .any(|f| f.code == "attachment-file-missing" && f.count == 2)
    );
    // --only-referenced --no-thumbnails.
    let out = tempfile::tempdir().unwrap();
    let options = base
        .clone()
        .backup(&stats.backup)
        .only_referenced(true)
        .no_thumbnails(true);
    let m = split(dir.path(), out.path(), &options, &mut |_| {}).unwrap();
    let a = m.attachments.as_ref().unwrap();
    assert_eq!(a.left_out.files, stats.orphans + thumbs);
    assert_eq!(a.left_out.bytes, stats.orphan_bytes + thumb_bytes);
    assert_eq!(m.entries, plain.entries - stats.orphans - thumbs);
    let zipped = zip_entries(&zips_in(out.path()));
    let tree = tree_entries(dir.path());
    let left: Vec<&String> = tree.keys().filter(|k| !zipped.contains_key(*k)).collect();
    assert_eq!(left.len() as u64, stats.orphans + thumbs);
    assert!(left.iter().all(|n| n.starts_with("data/attachments/")));
    // The manifest names each file left out, and why.
    let listed: Vec<&str> = m.skipped.iter().map(|s| s.path.as_str()).collect();
    for name in &left {
        assert!(
            listed.contains(&name.as_str()),
            "{name} not in the manifest"
        );
    }
    assert!(
        m.skipped
            .iter()
            .any(|s| s.reason.contains("--no-thumbnails"))
    );
    let json = std::fs::read_to_string(out.path().join("manifest.json")).unwrap();
    assert!(json.contains("\"orphans_left_out\": true"), "{json}");
    // --no-thumbnails alone, without a backup.
    let out = tempfile::tempdir().unwrap();
    let m = split(
        dir.path(),
        out.path(),
        &base.clone().no_thumbnails(true),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(m.entries, plain.entries - thumbs);
    assert_eq!(m.attachments.unwrap().left_out.bytes, thumb_bytes);
}

#[test]
fn only_referenced_without_a_backup_is_a_usage_error() {
    let e = SplitOptions::default()
        .only_referenced(true)
        .validate()
        .unwrap_err();
    assert!(e.is_usage());
    assert!(e.to_string().contains("--backup"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    put(&dir.path().join("data/attachments/P/10000/P-1/1"), b"x");
    let out = cli()
        .args(["split"])
        .arg(dir.path())
        .arg("-o")
        .arg(dir.path().join("out"))
        .arg("--only-referenced")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--backup"));
}

#[test]
fn a_backup_that_is_not_jira_is_a_typed_error_for_split() {
    let dir = tempfile::tempdir().unwrap();
    put(&dir.path().join("data/attachments/P/10000/P-1/1"), b"x");
    let other = dir.path().join("other.xml");
    std::fs::write(&other, "<root/>").unwrap();
    let options = SplitOptions::default().backup(&other);
    let e = plan(dir.path(), &options, None, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("not a Jira backup"), "{e}");
}

#[test]
fn cli_exit_codes_follow_the_findings() {
    let (dir, stats) = home(&synth());
    let out = cli().arg("check").arg(dir.path()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("ERROR   Media"), "{text}");
    let clean = clean();
    let (cdir, cstats) = home(&clean);
    let out = cli()
        .arg("check")
        .arg(&cstats.backup)
        .arg("--attachments")
        .arg(cdir.path().join("data/attachments"))
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"attachment-files"), "{codes:?}");
    // split --backup --only-referenced: exit 0, and the saving is said.
    let media = tempfile::tempdir().unwrap();
    let out = cli()
        .arg("split")
        .arg(dir.path())
        .arg("-o")
        .arg(media.path())
        .args(["--no-sync", "--only-referenced", "--backup"])
        .arg(&stats.backup)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("left out"));
}

mod arbitrary {
    //! Arbitrary rows and file names: the cross-check never panics, and
    //! every file under data/attachments is counted once.

    use super::{CheckOptions, check_path_with, find, put};
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{1,3}",
            "[0-9a-zA-Z\\-]{0,6}",
            Just("18446744073709551615".to_owned()),
            Just("99999999999999999999999".to_owned()),
        ]
    }

    fn row() -> impl Strategy<Value = String> {
        let attr = |name: &'static str| {
            proptest::option::of(value())
                .prop_map(move |v| v.map_or_else(String::new, |v| format!(" {name}=\"{v}\"")))
        };
        prop_oneof![
            (
                attr("id"),
                attr("issue"),
                attr("filesize"),
                attr("filename")
            )
                .prop_map(|(a, b, c, d)| format!("<FileAttachment{a}{b}{c}{d}/>")),
            (attr("id"), attr("project"), attr("number"), attr("key"))
                .prop_map(|(a, b, c, d)| format!("<Issue{a}{b}{c}{d}/>")),
            (attr("id"), attr("key")).prop_map(|(a, b)| format!("<Project{a}{b}/>")),
            (attr("projectId"), attr("projectKey"))
                .prop_map(|(a, b)| format!("<ProjectKey{a}{b}/>")),
        ]
    }

    fn name() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                "[A-Z]{1,3}",
                "[0-9]{1,5}",
                "[A-Z]{1,2}-[0-9]{1,3}",
                Just("thumbs".to_owned())
            ],
            1..5,
        )
        .prop_map(|parts| parts.join("/"))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn any_rows_and_names_give_findings(
            rows in proptest::collection::vec(row(), 0..30),
            names in proptest::collection::btree_set(name(), 1..12),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let xml = format!(
                "<entity-engine-xml>\n{}\n</entity-engine-xml>\n",
                rows.join("\n")
            );
            let entities = dir.path().join("entities.xml");
            std::fs::write(&entities, xml).unwrap();
            let att = dir.path().join("home/data/attachments");
            let mut files = 0u64;
            for n in &names {
                // A name that is a prefix of another is a directory: skip it.
                if names.iter().any(|m| m != n && m.starts_with(&format!("{n}/"))) {
                    continue;
                }
                put(&att.join(n), b"data");
                files += 1;
            }
            let options = CheckOptions::default().attachments(dir.path().join("home"));
            let r = check_path_with(&entities, &options, &mut |_| {}).unwrap();
            let source = find(&r, "attachments-source");
            prop_assert!(
                source.message.contains(&format!("{files} file")),
                "{} for {files} files",
                source.message
            );
        }
    }
}
