//! The `backup-fix split` command: its table and import order, JSON, dry
//! run, exit codes, and splitting existing zips (generated, and the real
//! Java-written corpus zips) by raw copy.

mod split_common;

use split_common::*;
use std::fs;
use std::io::{Read, Write};
use std::path::Path;

fn small_home(dir: &Path) {
    for (i, size) in [(1, 300_000), (2, 300_000), (3, 300_000)] {
        put(
            &dir.join(format!("data/attachments/AB/10000/AB-{i}/{}", 10_000 + i)),
            &noise(size, i as u64),
        );
    }
    put(
        &dir.join("data/attachments/CD/10000/CD-1/20000"),
        &noise(200_000, 9),
    );
    put(&dir.join("data/avatars/10000_avatar.png"), b"avatar");
    put(&dir.join("logos/logo.png"), b"logo");
}

#[test]
fn prints_a_table_with_the_import_order_and_writes_the_manifest() {
    let home = tempfile::tempdir().unwrap();
    small_home(home.path());
    let out = tempfile::tempdir().unwrap();
    let o = cli()
        .args(["split"])
        .arg(home.path())
        .arg("-o")
        .arg(out.path())
        .args(["--max-size", "700KiB", "--min-size", "100KiB", "--no-sync"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.contains("order") && stdout.contains("contents"),
        "{stdout}"
    );
    assert!(
        stdout.contains("avatars, logos, AB (AB-1..AB-2)"),
        "{stdout}"
    );
    assert!(stdout.contains("AB (AB-3), CD"), "{stdout}");
    assert!(
        stdout.contains("in this order: media-001.zip, media-002.zip"),
        "{stdout}"
    );
    assert!(out.path().join("manifest.json").is_file());
    assert_union_equals_tree(home.path(), &zips_in(out.path()));
}

#[test]
fn dry_run_prints_the_plan_and_creates_nothing() {
    let home = tempfile::tempdir().unwrap();
    small_home(home.path());
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("media");
    let o = cli()
        .arg("split")
        .arg(home.path())
        .arg("-o")
        .arg(&out)
        .args(["--max-size", "700KiB", "--dry-run", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(m["dry_run"], true);
    assert_eq!(m["zips"][0]["status"], "planned");
    assert!(!out.exists(), "dry run created the output directory");
}

#[test]
fn exit_codes_scripts_can_trust() {
    let home = tempfile::tempdir().unwrap();
    small_home(home.path());
    let out = tempfile::tempdir().unwrap();
    let run = |args: &[&str], source: &Path| {
        cli()
            .arg("split")
            .arg(source)
            .arg("-o")
            .arg(out.path())
            .args(args)
            .output()
            .unwrap()
    };
    // Usage errors: 2.
    let o = run(&["--max-size", "1MiB", "--min-size", "2MiB"], home.path());
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("--min-size"));
    assert_eq!(
        run(&["--max-size", "4 parsecs"], home.path()).status.code(),
        Some(2)
    );
    // Failures: 1, with the file named.
    let missing = home.path().join("nope");
    let o = run(&[], &missing);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("nope: no such file or directory; give a Jira home"),
        "{err}"
    );
    let o = run(&["--max-size", "100KiB", "--min-size", "0"], home.path());
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("AB-1/10001") && err.contains("--allow-oversize"),
        "{err}"
    );
    // Success: 0.
    assert_eq!(
        run(&["--max-size", "1MiB", "-q"], home.path())
            .status
            .code(),
        Some(0)
    );
}

/// A media zip as people make them: a folder prefix, deflated entries with
/// data descriptors (written by a streaming writer), directory entries.
fn streamed_zip(path: &Path, files: &[(&str, Vec<u8>)]) {
    let file = fs::File::create(path).unwrap();
    let mut w = zip::ZipWriter::new_stream(file);
    w.add_directory("jira-home/data/", zip::write::SimpleFileOptions::default())
        .unwrap();
    for (i, (name, data)) in files.iter().enumerate() {
        let method = if i % 2 == 0 {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let opts = zip::write::SimpleFileOptions::default().compression_method(method);
        w.start_file(format!("jira-home/{name}"), opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.add_directory(
        "jira-home/caches/",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    w.start_file(
        "jira-home/dbconfig.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    w.write_all(b"<jira-database-config/>").unwrap();
    w.finish().unwrap();
}

#[test]
fn an_existing_zip_is_split_by_raw_copy() {
    let dir = tempfile::tempdir().unwrap();
    let text = "line of a log file\n".repeat(20_000).into_bytes();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("data/attachments/QA/10000/QA-10/1", text.clone()),
        ("data/attachments/QA/10000/QA-2/2", noise(300_000, 1)),
        ("data/attachments/QA/10000/QA-2/3", text.clone()),
        ("data/attachments/QB/10000/QB-1/4", noise(200_000, 2)),
        ("logos/logo.png", b"logo".to_vec()),
    ];
    let source = dir.path().join("media.zip");
    streamed_zip(&source, &files);
    let out = dir.path().join("out");
    let o = cli()
        .arg("split")
        .arg(&source)
        .arg("-o")
        .arg(&out)
        .args([
            "--max-size",
            "400KiB",
            "--min-size",
            "0",
            "--no-sync",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(m["source_kind"], "media-zip");
    assert!(
        m["skipped_count"].as_u64().unwrap() >= 1,
        "dbconfig.xml is left out"
    );
    let zips = zips_in(&out);
    assert!(zips.len() >= 2);
    for z in &zips {
        assert!(fs::metadata(z).unwrap().len() <= 400 << 10);
    }
    // Stable order: QA-2 before QA-10, logos in the first zip.
    assert_eq!(m["zips"][0]["projects"][0]["first_issue"], "QA-2");
    let entries = zip_entries(&zips);
    assert_eq!(entries["logos/logo.png"].zip, "media-001.zip");
    // Raw copy: same method, CRC and compressed size as the source entries.
    let mut src = zip::ZipArchive::new(fs::File::open(&source).unwrap()).unwrap();
    for (name, data) in &files {
        let mut f = src.by_name(&format!("jira-home/{name}")).unwrap();
        let e = &entries[*name];
        assert_eq!(e.data, *data, "{name}");
        assert_eq!(
            (e.method, e.crc, e.compressed),
            (f.compression(), f.crc32(), f.compressed_size()),
            "{name}"
        );
        let mut sink = Vec::new();
        f.read_to_end(&mut sink).unwrap();
    }
    assert!(
        !entries
            .keys()
            .any(|k| k.contains("dbconfig") || k.contains("caches"))
    );
    assert_unzip_t(&zips);
}

#[test]
fn real_java_written_zips_with_data_descriptors_split_losslessly() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/confluence");
    if !corpus.is_dir() {
        eprintln!("SKIPPED: ../shared/corpus is not present");
        return;
    }
    for name in ["3.4.7.zip", "5.9.zip"] {
        let source = corpus.join(name);
        let out = tempfile::tempdir().unwrap();
        let o = cli()
            .arg("split")
            .arg(&source)
            .arg("-o")
            .arg(out.path())
            .args([
                "--max-size",
                "64KiB",
                "--min-size",
                "0",
                "--allow-oversize",
                "-q",
                "--no-sync",
            ])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let entries = zip_entries(&zips_in(out.path()));
        let mut src = zip::ZipArchive::new(fs::File::open(&source).unwrap()).unwrap();
        let mut files = 0;
        for i in 0..src.len() {
            let mut f = src.by_index(i).unwrap();
            let stored = format!("data/attachments/{}", f.name().unwrap());
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            let e = entries
                .get(&stored)
                .unwrap_or_else(|| panic!("{name}: {stored} missing"));
            assert_eq!(e.data, data, "{name}: {stored}");
            files += 1;
        }
        assert_eq!(files, entries.len(), "{name}");
        assert_unzip_t(&zips_in(out.path()));
        // Java writes MS-DOS attributes; the copies get ordinary Unix permissions.
        for z in zips_in(out.path()) {
            let mut a = zip::ZipArchive::new(fs::File::open(&z).unwrap()).unwrap();
            for i in 0..a.len() {
                let f = a.by_index(i).unwrap();
                let mode = f.unix_mode().unwrap_or(0) & 0o777;
                assert!(
                    mode == 0o644 || mode == 0o755,
                    "{name}: {} has mode {mode:o}",
                    f.name().unwrap()
                );
            }
        }
    }
}
