//! The `backup-fix split` command: its table and import order, JSON, dry
//! run, exit codes, and splitting existing zips (generated, and the real
//! Java-written corpus zips) by raw copy.

use crate::split_common;

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
    // `jar` writes zips as Java does (data descriptors, MS-DOS attributes).
    if std::process::Command::new("jar")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: jar (from the JDK) is not installed");
        return;
    }
    let tree = tempfile::tempdir().unwrap();
    for (i, size) in [(1u64, 70_000usize), (2, 5), (3, 200_000)] {
        put(
            &tree
                .path()
                .join(format!("data/attachments/AB/10000/AB-{i}/{}", 10_000 + i)),
            &noise(size, i),
        );
    }
    put(
        &tree.path().join("data/attachments/AB/10000/AB-4/10004"),
        &vec![b'x'; 90_000],
    );
    let source = tree.path().join("media.zip");
    let made = std::process::Command::new("jar")
        .args(["--create", "--no-manifest", "--file"])
        .arg(&source)
        .arg("-C")
        .arg(tree.path())
        .arg("data")
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
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
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let entries = zip_entries(&zips_in(out.path()));
    let mut src = zip::ZipArchive::new(fs::File::open(&source).unwrap()).unwrap();
    let mut files = 0;
    let mut described = 0;
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        if f.is_dir() {
            continue;
        }
        let stored: String = f.name().unwrap().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        let e = entries
            .get(stored.as_str())
            .unwrap_or_else(|| panic!("{stored} missing"));
        assert_eq!(e.data, data, "{stored}");
        files += 1;
    }
    // The source really uses data descriptors (general purpose bit 3).
    let raw = fs::read(&source).unwrap();
    for w in raw.windows(8) {
        if w[..4] == *b"PK\x03\x04" && w[6] & 0x08 != 0 {
            described += 1;
        }
    }
    assert!(described > 0, "jar wrote no data descriptors");
    assert_eq!(files, 4);
    assert_eq!(files, entries.keys().filter(|k| !k.ends_with('/')).count());
    assert_unzip_t(&zips_in(out.path()));
    // Java writes MS-DOS attributes; the copies get ordinary Unix permissions.
    for z in zips_in(out.path()) {
        let mut a = zip::ZipArchive::new(fs::File::open(&z).unwrap()).unwrap();
        for i in 0..a.len() {
            let f = a.by_index(i).unwrap();
            let mode = f.unix_mode().unwrap_or(0) & 0o777;
            assert!(
                mode == 0o644 || mode == 0o755,
                "{} has mode {mode:o}",
                f.name().unwrap()
            );
        }
    }
}

#[test]
fn real_confluence_exports_are_refused_as_backups() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/confluence");
    if !corpus.is_dir() {
        eprintln!("SKIPPED: ../shared/corpus is not present");
        return;
    }
    for name in ["3.4.7.zip", "5.9.zip"] {
        let out = tempfile::tempdir().unwrap();
        let o = cli()
            .arg("split")
            .arg(corpus.join(name))
            .arg("-o")
            .arg(out.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains("a backup zip"), "{name}: {err}");
        assert_eq!(fs::read_dir(out.path()).unwrap().count(), 0, "{name}");
    }
}

#[test]
fn backups_and_confluence_homes_are_refused_with_advice() {
    let tmp = tempfile::tempdir().unwrap();
    let backup = tmp.path().join("backup.zip");
    streamed_zip(
        &backup,
        &[
            ("entities.xml", b"<entity-engine-xml/>".to_vec()),
            ("activeobjects.xml", b"<backup/>".to_vec()),
        ],
    );
    let confluence = tmp.path().join("confluence-home");
    put(
        &confluence.join("confluence.cfg.xml"),
        b"<confluence-configuration/>",
    );
    put(
        &confluence.join("attachments/ver003/12/34/5678/1/1"),
        b"file",
    );
    put(
        &confluence.join("backups/xmlexport-2020.zip"),
        b"PK\x05\x06",
    );
    let unpacked = tmp.path().join("unpacked");
    put(&unpacked.join("entities.xml"), b"<entity-engine-xml/>");
    for (source, what, advice) in [
        (
            &backup,
            "a backup zip (it holds jira-home/entities.xml)",
            "backup-fix fix",
        ),
        (&confluence, "a Confluence home directory", "backup-fix fix"),
        (&unpacked, "an unpacked backup", "backup-fix fix"),
    ] {
        let out = tmp.path().join("media");
        let o = cli()
            .arg("split")
            .arg(source)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{}: {err}", source.display());
        assert!(err.contains(what), "{err}");
        assert!(err.contains("not Jira attachments"), "{err}");
        assert!(err.contains(advice), "{err}");
        assert!(
            !out.exists() || fs::read_dir(&out).unwrap().next().is_none(),
            "{} left output",
            source.display()
        );
    }
}
