//! `split` on generated Jira homes: sizes on disk, the union of the zips
//! equal to the tree, the layout and grouping rules, oversize files,
//! compression, safety rules, and the `unzip -t` oracle.

use crate::split_common;

use backup_fix::driver::{Phase, Progress, ZipStep};
use backup_fix::split::{
    Compress, Manifest, SplitError, SplitOptions, ZipStatus, plan, split, verify_zip,
};
use backup_fix::synth::MediaTreeSynth;
use split_common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

const MIB: u64 = 1 << 20;

fn options(max: u64, min: u64) -> SplitOptions {
    SplitOptions::default()
        .max_size(max)
        .min_size(min)
        .sync(false)
}

/// A home with many small files, a few large ones, a project larger than
/// 4 MiB, non-ASCII names and empty directories.
fn generated_home(dir: &Path) -> backup_fix::synth::MediaTreeStats {
    MediaTreeSynth {
        target_bytes: 12 * MIB,
        projects: 5,
        mean_file: 24 << 10,
        large_files: 3,
        large_file: 1500 << 10,
        thumbnails: true,
        oddities: true,
        old_layout: false,
        seed: 11,
    }
    .write_home(dir)
    .expect("generate home")
}

/// Issue directory of a stored name, if any (`data/attachments/P/<bucket>/P-1/...`).
fn issue_of(name: &str) -> Option<String> {
    let rest = name.strip_prefix("data/attachments/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    let dirs = &parts[..parts.len() - 1];
    match dirs {
        [p, b, i, ..] if b.bytes().all(|c| c.is_ascii_digit()) => Some(format!("{p}/{i}")),
        [_, b] if b.bytes().all(|c| c.is_ascii_digit()) => None,
        [p, i, ..] => Some(format!("{p}/{i}")),
        _ => None,
    }
}

#[test]
fn zips_respect_the_size_bounds_and_hold_the_tree_byte_for_byte() {
    let home = tempfile::tempdir().unwrap();
    let stats = generated_home(home.path());
    assert!(
        stats.project_bytes[0].1 > 4 * MIB,
        "a project larger than the limit"
    );
    let out = tempfile::tempdir().unwrap();
    let (max, min) = (4 * MIB, 2 * MIB);
    let m = split(home.path(), out.path(), &options(max, min), &mut |_| {}).unwrap();
    assert!(m.zips.len() >= 4, "{} zips", m.zips.len());
    assert_sizes(&m, out.path(), max);
    let zips = zips_in(out.path());
    assert_eq!(zips.len(), m.zips.len());
    assert_union_equals_tree(home.path(), &zips);
    assert_unzip_t(&zips);
    // Every zip but the last reaches --min-size, or a warning says why not.
    for z in &m.zips[..m.zips.len() - 1] {
        assert!(
            z.size >= min || m.warnings.iter().any(|w| w.starts_with(&z.name)),
            "{} is {} bytes without a warning",
            z.name,
            z.size
        );
    }
    // Every zip was read back and CRC-checked; the manifest is on disk.
    assert!(
        m.zips
            .iter()
            .all(|z| z.crc_checked && z.status == ZipStatus::Written)
    );
    let on_disk: serde_json::Value =
        serde_json::from_slice(&fs::read(out.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(on_disk["zips"].as_array().unwrap().len(), m.zips.len());
    assert_eq!(on_disk["zips"][0]["name"], "media-001.zip");
    // No temporary file or partial zip is left.
    let left: Vec<String> = fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.') || n.ends_with(".partial"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn layout_rules_avatars_first_issues_never_split_projects_whole_when_they_fit() {
    let home = tempfile::tempdir().unwrap();
    generated_home(home.path());
    let out = tempfile::tempdir().unwrap();
    let (max, min) = (4 * MIB, 2 * MIB);
    let m = split(home.path(), out.path(), &options(max, min), &mut |_| {}).unwrap();
    let entries = zip_entries(&zips_in(out.path()));
    // Avatars and logos are in the first zip.
    for (name, e) in &entries {
        if name.starts_with("data/avatars/") || name.starts_with("logos/") {
            assert_eq!(e.zip, "media-001.zip", "{name}");
        }
    }
    assert!(m.zips[0].avatars && m.zips[0].logos);
    // An issue directory is never split between zips.
    let mut issue_zip: BTreeMap<String, String> = BTreeMap::new();
    for (name, e) in &entries {
        if let Some(issue) = issue_of(name) {
            let z = issue_zip
                .entry(issue.clone())
                .or_insert_with(|| e.zip.clone());
            assert_eq!(*z, e.zip, "issue {issue} is split");
        }
    }
    // Projects appear in consecutive zips, in order; a project in several
    // zips either does not fit in one, or started in a zip below --min-size.
    let mut seen: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for z in &m.zips {
        for p in &z.projects {
            seen.entry(p.key.clone()).or_default().push(z.order);
        }
    }
    let totals: BTreeMap<String, u64> =
        m.zips
            .iter()
            .flat_map(|z| z.projects.iter())
            .fold(BTreeMap::new(), |mut acc, p| {
                *acc.entry(p.key.clone()).or_default() += p.bytes;
                acc
            });
    let mut split_projects = 0;
    for (key, zips) in &seen {
        assert!(
            zips.windows(2).all(|w| w[1] == w[0] + 1),
            "{key} in {zips:?}"
        );
        if zips.len() > 1 {
            split_projects += 1;
            let first = &m.zips[zips[0] - 1];
            let before: u64 = first
                .projects
                .iter()
                .take_while(|p| &p.key != key)
                .map(|p| p.bytes)
                .sum();
            assert!(
                totals[key] > max || before < min,
                "{key} ({} bytes) was split although it fits and {} had {before} bytes",
                totals[key],
                first.name
            );
            assert!(first.projects.iter().all(|p| &p.key != key || !p.whole));
        } else {
            let span = m.zips[zips[0] - 1]
                .projects
                .iter()
                .find(|p| &p.key == key)
                .unwrap();
            assert!(span.whole, "{key} is in one zip but not marked whole");
        }
    }
    assert!(split_projects >= 1, "the big project is split");
    // Issue ranges of split projects name the first and last issue in each zip,
    // and successive zips continue in numeric order.
    let big = &seen["PAA"];
    let mut last_num = 0u64;
    for order in big {
        let span = m.zips[order - 1]
            .projects
            .iter()
            .find(|p| p.key == "PAA")
            .unwrap();
        let num = |k: &Option<String>| -> u64 {
            k.as_deref()
                .unwrap()
                .rsplit('-')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        let (a, b) = (num(&span.first_issue), num(&span.last_issue));
        assert!(
            a <= b && a > last_num,
            "PAA range {a}..{b} after {last_num}"
        );
        last_num = b;
        let in_zip: BTreeSet<u64> = entries
            .iter()
            .filter(|(n, e)| {
                e.zip == m.zips[order - 1].name && n.starts_with("data/attachments/PAA/")
            })
            .filter_map(|(n, _)| issue_of(n))
            .map(|i| i.rsplit('-').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(in_zip.first(), Some(&a));
        assert_eq!(in_zip.last(), Some(&b));
        assert!(
            m.zips[order - 1]
                .contents()
                .contains(&format!("PAA-{a}..PAA-{b}"))
                || a == b
        );
    }
}

#[test]
fn names_are_utf8_as_on_disk_and_empty_directories_are_kept() {
    let home = tempfile::tempdir().unwrap();
    generated_home(home.path());
    let out = tempfile::tempdir().unwrap();
    split(
        home.path(),
        out.path(),
        &options(4 * MIB, 2 * MIB),
        &mut |_| {},
    )
    .unwrap();
    let zips = zips_in(out.path());
    let entries = zip_entries(&zips);
    let odd: Vec<&String> = entries.keys().filter(|n| !n.is_ascii()).collect();
    assert!(odd.iter().any(|n| n.contains("Grüße aus Köln")), "{odd:?}");
    assert!(odd.iter().any(|n| n.contains("日本語")));
    assert!(odd.iter().any(|n| n.contains('😀')));
    assert!(entries.contains_key("data/attachments/OLD/OLD-12/"));
    assert!(entries.contains_key("data/attachments/PAA/990000/"));
    // The UTF-8 flag (bit 11) is set on non-ASCII names, in raw bytes.
    let raw = fs::read(&zips[0]).unwrap();
    let name = "data/attachments/OLD/OLD-1/";
    let at = raw
        .windows(name.len())
        .position(|w| w == name.as_bytes())
        .unwrap();
    let flags = u16::from_le_bytes([raw[at - 30 + 6], raw[at - 30 + 7]]);
    assert_eq!(flags & (1 << 11), 1 << 11, "UTF-8 flag on {name}...");
}

#[test]
fn a_file_larger_than_the_limit_is_an_error_naming_it_or_goes_alone_when_allowed() {
    let home = tempfile::tempdir().unwrap();
    let big = "data/attachments/ABC/10000/ABC-7/10200";
    put(&home.path().join(big), &noise(600 << 10, 1));
    put(
        &home.path().join("data/attachments/ABC/10000/ABC-7/10201"),
        b"small",
    );
    put(
        &home.path().join("data/attachments/ABC/10000/ABC-8/10202"),
        &noise(100 << 10, 2),
    );
    put(&home.path().join("logos/l.png"), b"png");
    let out = tempfile::tempdir().unwrap();
    let max = 512 << 10;
    let err = split(home.path(), out.path(), &options(max, 0), &mut |_| {}).unwrap_err();
    assert!(matches!(err, SplitError::Oversize { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(big) && msg.contains("--allow-oversize"),
        "{msg}"
    );
    assert!(zips_in(out.path()).is_empty(), "nothing written on error");
    assert_eq!(
        fs::read_dir(out.path()).unwrap().count(),
        0,
        "nothing left behind"
    );
    let fresh = out.path().join("new");
    split(home.path(), &fresh, &options(max, 0), &mut |_| {}).unwrap_err();
    assert!(
        !fresh.exists(),
        "a directory created for a failed run is removed"
    );

    let m = split(
        home.path(),
        out.path(),
        &options(max, 0).allow_oversize(true),
        &mut |_| {},
    )
    .unwrap();
    let over: Vec<_> = m.zips.iter().filter(|z| z.oversize).collect();
    assert_eq!(over.len(), 1);
    assert_eq!(over[0].entries, 1, "the oversize file is alone");
    assert!(
        m.warnings.iter().any(|w| w.contains(big)),
        "{:?}",
        m.warnings
    );
    assert!(
        m.warnings
            .iter()
            .any(|w| w.contains("issue ABC-7") && w.contains("split between its files"))
    );
    assert_sizes(&m, out.path(), max);
    assert_union_equals_tree(home.path(), &zips_in(out.path()));
}

#[test]
fn compress_auto_deflates_text_and_stores_compressed_content() {
    let home = tempfile::tempdir().unwrap();
    let text = "2021-07-13 ERROR something failed\n".repeat(4000);
    put(
        &home.path().join("data/attachments/T/10000/T-1/10100"),
        text.as_bytes(),
    );
    let mut jpeg = b"\xFF\xD8\xFF\xE0".to_vec();
    jpeg.extend(noise(50_000, 3));
    put(
        &home.path().join("data/attachments/T/10000/T-1/10101"),
        &jpeg,
    );
    put(
        &home.path().join("data/attachments/T/10000/T-2/10102"),
        &noise(50_000, 4),
    );
    put(&home.path().join("data/attachments/T/10000/T-2/10103"), b"");
    let out = tempfile::tempdir().unwrap();
    let m = split(
        home.path(),
        out.path(),
        &options(64 * MIB, 0).compress(Compress::Auto),
        &mut |_| {},
    )
    .unwrap();
    let entries = zip_entries(&zips_in(out.path()));
    let e = |n: &str| &entries[&format!("data/attachments/T/10000/{n}")];
    assert_eq!(e("T-1/10100").method, zip::CompressionMethod::Deflated);
    assert!(e("T-1/10100").compressed < text.len() as u64 / 10);
    assert_eq!(
        e("T-1/10101").method,
        zip::CompressionMethod::Stored,
        "JPEG is stored"
    );
    // Noise is tried, comes out larger, and is stored.
    assert_eq!(e("T-2/10102").method, zip::CompressionMethod::Stored);
    assert_union_equals_tree(home.path(), &zips_in(out.path()));
    assert!(m.zips[0].size < m.bytes);
    assert_unzip_t(&zips_in(out.path()));
}

#[test]
fn symlinks_are_not_followed_out_of_source() {
    let home = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    put(&outside.path().join("secret"), b"do not zip me");
    put(
        &home.path().join("data/attachments/S/10000/S-1/10100"),
        b"real",
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        let issue = home.path().join("data/attachments/S/10000/S-1");
        symlink(outside.path().join("secret"), issue.join("10101")).unwrap();
        symlink(issue.join("10100"), issue.join("10102")).unwrap();
        symlink(outside.path(), issue.join("dir")).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let m = split(home.path(), out.path(), &options(MIB * 8, 0), &mut |_| {}).unwrap();
    let entries = zip_entries(&zips_in(out.path()));
    assert_eq!(entries["data/attachments/S/10000/S-1/10100"].data, b"real");
    #[cfg(unix)]
    {
        assert!(!entries.contains_key("data/attachments/S/10000/S-1/10101"));
        assert!(entries.values().all(|e| e.data != b"do not zip me"));
        assert_eq!(entries["data/attachments/S/10000/S-1/10102"].data, b"real");
        assert!(
            m.skipped
                .iter()
                .any(|s| s.path.ends_with("10101") && s.reason.contains("outside SOURCE"))
        );
        assert!(m.skipped.iter().any(|s| s.path.ends_with("dir")));
        assert_eq!(m.skipped_count, 2);
    }
}

#[test]
fn unreadable_files_fail_the_run_unless_skipped() {
    if permissions_are_bypassed() {
        eprintln!(
            "SKIPPED: running with privileges that read mode-000 files; unreadable-file checks did not run"
        );
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let locked = home.path().join("data/attachments/U/10000/U-1/10100");
        put(&locked, b"locked");
        put(
            &home.path().join("data/attachments/U/10000/U-2/10101"),
            b"open",
        );
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
        let out = tempfile::tempdir().unwrap();
        let err = split(home.path(), out.path(), &options(MIB, 0), &mut |_| {}).unwrap_err();
        assert!(
            matches!(err, SplitError::Unreadable { count: 1, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("10100") && err.to_string().contains("--skip-unreadable"));
        let m = split(
            home.path(),
            out.path(),
            &options(MIB, 0).skip_unreadable(true),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(m.skipped_count, 1);
        assert_eq!(m.entries, 1);
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o644)).unwrap();
    }
}

#[test]
fn an_attachments_directory_is_zipped_under_data_attachments() {
    let home = tempfile::tempdir().unwrap();
    put(
        &home.path().join("data/attachments/K/10000/K-1/10100"),
        b"one",
    );
    put(
        &home.path().join("data/attachments/K/K-2/10101"),
        b"old layout",
    );
    let out = tempfile::tempdir().unwrap();
    let m = split(
        &home.path().join("data/attachments"),
        out.path(),
        &options(MIB, 0),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(m.source_kind, backup_fix::split::SourceKind::AttachmentsDir);
    let names: Vec<String> = zip_entries(&zips_in(out.path())).into_keys().collect();
    assert_eq!(
        names,
        [
            "data/attachments/K/10000/K-1/10100",
            "data/attachments/K/K-2/10101"
        ]
    );
    let span = &m.zips[0].projects[0];
    assert_eq!(
        (span.first_issue.as_deref(), span.last_issue.as_deref()),
        (Some("K-1"), Some("K-2"))
    );
}

#[test]
fn times_outside_what_zip_fields_hold_are_clamped_not_fatal() {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};
    let home = tempfile::tempdir().unwrap();
    let old = home.path().join("data/attachments/T/10000/T-1/10100");
    let future = home.path().join("data/attachments/T/10000/T-1/10101");
    put(&old, b"from 1960");
    put(&future, b"from 2200");
    let set = |p: &Path, t: SystemTime| {
        fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(t)
            .unwrap();
    };
    set(&old, UNIX_EPOCH - Duration::from_secs(10 * 365 * 86_400));
    set(
        &future,
        UNIX_EPOCH + Duration::from_secs(230 * 365 * 86_400),
    );
    let out = tempfile::tempdir().unwrap();
    let m = split(home.path(), out.path(), &options(MIB, 0), &mut |_| {}).unwrap();
    assert!(m.zips[0].crc_checked);
    // A rerun recognises the zip (times compare as stored) and keeps it.
    let again = split(home.path(), out.path(), &options(MIB, 0), &mut |_| {}).unwrap();
    assert_eq!(again.zips[0].status, ZipStatus::Kept);
    assert_union_equals_tree(home.path(), &zips_in(out.path()));
    assert_unzip_t(&zips_in(out.path()));
}

#[test]
fn splitting_is_deterministic() {
    let home = tempfile::tempdir().unwrap();
    generated_home(home.path());
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let opts = options(4 * MIB, 2 * MIB).jobs(2);
    let ma = split(home.path(), a.path(), &opts, &mut |_| {}).unwrap();
    // The second run flushes each zip to disk before naming it (the default).
    let mb = split(
        home.path(),
        b.path(),
        &opts.clone().jobs(1).sync(true),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(ma.zips, mb.zips);
    for z in &ma.zips {
        assert!(
            fs::read(a.path().join(&z.name)).unwrap() == fs::read(b.path().join(&z.name)).unwrap(),
            "{} differs between runs",
            z.name
        );
    }
}

#[test]
fn more_than_65535_entries_use_zip64_end_records() {
    let home = tempfile::tempdir().unwrap();
    let att = home.path().join("data/attachments/Z/10000");
    for issue in 0..70 {
        let dir = att.join(format!("Z-{issue}"));
        fs::create_dir_all(&dir).unwrap();
        for f in 0..1000 {
            fs::write(dir.join(format!("{}", 10_000 + f)), b"").unwrap();
        }
    }
    let out = tempfile::tempdir().unwrap();
    let m = split(home.path(), out.path(), &options(64 * MIB, 0), &mut |_| {}).unwrap();
    assert_eq!(m.zips.len(), 1);
    assert_eq!(m.zips[0].entries, 70_000);
    let zips = zips_in(out.path());
    let raw = fs::read(&zips[0]).unwrap();
    let zip64_end = 0x0606_4b50u32.to_le_bytes();
    assert!(
        raw.windows(4).rev().take(200).any(|w| w == zip64_end),
        "zip64 end record"
    );
    let check = verify_zip(&zips[0]).unwrap();
    assert_eq!(check.entries, 70_000);
    assert_eq!(zip_entries(&zips).len(), 70_000);
    assert_unzip_t(&zips);
}

#[test]
fn dry_run_plans_without_writing() {
    let home = tempfile::tempdir().unwrap();
    generated_home(home.path());
    let p = plan(home.path(), &options(4 * MIB, 2 * MIB), None, &mut |_| {}).unwrap();
    let m: Manifest = p.manifest();
    assert!(m.dry_run);
    assert!(
        m.zips
            .iter()
            .all(|z| z.status == ZipStatus::Planned && z.size <= 4 * MIB)
    );
    // The plan's sizes are the sizes a real run writes.
    let out = tempfile::tempdir().unwrap();
    let real = split(
        home.path(),
        out.path(),
        &options(4 * MIB, 2 * MIB),
        &mut |_| {},
    )
    .unwrap();
    let sizes = |m: &Manifest| {
        m.zips
            .iter()
            .map(|z| (z.name.clone(), z.size, z.entries))
            .collect::<Vec<_>>()
    };
    assert_eq!(sizes(&m), sizes(&real));
}

#[test]
fn output_inside_the_source_tree_is_refused() {
    let home = tempfile::tempdir().unwrap();
    put(&home.path().join("data/attachments/A/10000/A-1/1"), b"x");
    let inside = home.path().join("data/attachments/out");
    let err = split(home.path(), &inside, &options(MIB, 0), &mut |_| {}).unwrap_err();
    assert!(
        matches!(err, SplitError::OutputInsideSource { .. }),
        "{err:?}"
    );
    assert!(!inside.exists());
    // Elsewhere in the Jira home is fine.
    let m = split(
        home.path(),
        &home.path().join("export/media"),
        &options(MIB, 0),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(m.entries, 1);
}

#[test]
fn a_stray_zip_from_another_run_is_refused_not_overwritten() {
    let home = tempfile::tempdir().unwrap();
    put(&home.path().join("data/attachments/A/10000/A-1/1"), b"x");
    let out = tempfile::tempdir().unwrap();
    fs::write(out.path().join("media-009.zip"), b"someone else's").unwrap();
    let err = split(home.path(), out.path(), &options(MIB, 0), &mut |_| {}).unwrap_err();
    assert!(
        matches!(err, SplitError::StrayZip { planned: 1, .. }),
        "{err:?}"
    );
    assert_eq!(
        fs::read(out.path().join("media-009.zip")).unwrap(),
        b"someone else's"
    );
}

#[test]
fn two_runs_cannot_write_to_one_directory() {
    let home = tempfile::tempdir().unwrap();
    put(&home.path().join("data/attachments/A/10000/A-1/1"), b"x");
    let out = tempfile::tempdir().unwrap();
    let held = fs::File::create(out.path().join(".backup-fix-split.lock")).unwrap();
    held.try_lock().unwrap();
    let err = split(home.path(), out.path(), &options(MIB, 0), &mut |_| {}).unwrap_err();
    assert!(matches!(err, SplitError::Locked { .. }), "{err:?}");
    assert!(
        out.path().join(".backup-fix-split.lock").exists(),
        "the holder's lock stays"
    );
    drop(held);
    let m = split(home.path(), out.path(), &options(MIB, 0), &mut |_| {}).unwrap();
    assert_eq!(m.entries, 1);
    assert!(!out.path().join(".backup-fix-split.lock").exists());
}

#[cfg(unix)]
#[test]
fn a_name_that_is_not_utf8_is_an_error_naming_it() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("data/attachments/L/10000/L-1");
    put(&dir.join("10100"), b"ok");
    // "10101_Gr\xfc\xdfe.txt": a Latin-1 name from an old server.
    let latin1 = dir.join(OsStr::from_bytes(b"10101_Gr\xfc\xdfe.txt"));
    if fs::write(&latin1, b"latin-1").is_err() {
        eprintln!("SKIPPED: this file system refuses non-UTF-8 names");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let err = split(home.path(), out.path(), &options(MIB, 0), &mut |_| {}).unwrap_err();
    assert!(
        matches!(err, SplitError::NonUtf8Names { count: 1, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("10101_Gr") && msg.contains("convmv"), "{msg}");
    assert!(zips_in(out.path()).is_empty());
}

/// Every report of one split, in the order the callback heard them.
fn split_reporting(home: &Path, out: &Path, options: &SplitOptions) -> (Manifest, Vec<Progress>) {
    let mut seen = Vec::new();
    let m = split(home, out, options, &mut |p| seen.push(p)).unwrap();
    (m, seen)
}

/// The zips a split said it started `step` on, in order.
fn zips_at(seen: &[Progress], step: ZipStep) -> Vec<String> {
    seen.iter()
        .filter(|p| p.phase == Phase::Zip(step))
        .map(|p| {
            p.item
                .as_deref()
                .expect("a zip report names its zip")
                .to_owned()
        })
        .collect()
}

#[test]
fn split_reports_scanning_then_each_zip_and_the_bytes_of_all_through_progress() {
    let home = tempfile::tempdir().unwrap();
    generated_home(home.path());
    let out = tempfile::tempdir().unwrap();
    let options = options(4 * MIB, 2 * MIB).jobs(2);
    let (m, seen) = split_reporting(home.path(), out.path(), &options);
    assert!(m.zips.len() >= 4, "{} zips", m.zips.len());

    // Scanning first, and only first; its last report counts the whole tree
    // (its files: the manifest's entries also count empty directories).
    let tree = tree_entries(home.path());
    let files = tree.keys().filter(|name| !name.ends_with('/')).count() as u64;
    let bytes = tree.values().map(|data| data.len() as u64).sum::<u64>();
    assert_eq!(bytes, m.bytes);
    let scanned = seen
        .iter()
        .take_while(|p| p.phase == Phase::Scanning)
        .count();
    assert!(scanned >= 1, "no scanning report: {:?}", seen.first());
    assert!(seen[scanned..].iter().all(|p| p.phase != Phase::Scanning));
    let last_scan = &seen[scanned - 1];
    assert_eq!(last_scan.entries, Some(files));
    assert_eq!(last_scan.read, bytes);
    assert_eq!(last_scan.total, None);

    // Then only zip steps and the bytes of all zips: written, then read back.
    let total = 2 * m.zips.iter().map(|z| z.bytes).sum::<u64>();
    let mut max = 0;
    for p in &seen[scanned..] {
        match p.phase {
            Phase::Main => {
                assert_eq!(p.total, Some(total));
                assert!(p.read <= total, "{} of {total}", p.read);
                max = max.max(p.read);
            }
            Phase::Zip(_) => assert_eq!((p.read, p.total, p.entries), (0, None, None)),
            other => panic!("unexpected phase {other:?}"),
        }
    }
    assert_eq!(max, total, "the last bytes are counted");

    // Every zip is written, then verified; none is checked on a fresh run.
    let names: BTreeSet<String> = m.zips.iter().map(|z| z.name.clone()).collect();
    let written = zips_at(&seen, ZipStep::Writing);
    assert_eq!(written.iter().cloned().collect::<BTreeSet<_>>(), names);
    assert_eq!(written.len(), names.len(), "each zip written once");
    assert_eq!(zips_at(&seen, ZipStep::Verifying).len(), names.len());
    for name in &names {
        let at = |step| {
            seen.iter()
                .position(|p| p.phase == Phase::Zip(step) && p.item.as_deref() == Some(name))
        };
        assert!(at(ZipStep::Writing) < at(ZipStep::Verifying), "{name}");
    }
    assert!(zips_at(&seen, ZipStep::Checking).is_empty());

    // A rerun checks the zips it finds and keeps them, counting their bytes.
    let (again, seen) = split_reporting(home.path(), out.path(), &options);
    assert!(again.zips.iter().all(|z| z.status == ZipStatus::Kept));
    let checked: BTreeSet<String> = zips_at(&seen, ZipStep::Checking).into_iter().collect();
    assert_eq!(checked, names);
    assert!(zips_at(&seen, ZipStep::Writing).is_empty());
    let main = seen.iter().filter(|p| p.phase == Phase::Main);
    assert_eq!(main.map(|p| p.read).max(), Some(total));
}
