//! `check` on whole backups: zips read in place and unpacked export
//! directories. The zip's shape (readable, entities.xml at the root, the
//! entries the importer expects), damaged entries, and Confluence attachment
//! records against the files present, on fixtures (one finding each) and on
//! the real corpus.

use crate::archive_support;
use crate::support;

use archive_support::{ACTIVEOBJECTS, ENTITIES, zip_of};
use backup_fix::check::{
    CheckOptions, CheckReport, Finding, Severity, check_path, check_path_with,
};
use std::path::Path;
use support::{corpus, finding_codes as codes};

fn find<'a>(r: &'a CheckReport, code: &str) -> &'a Finding {
    r.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} finding in {r}"))
}

fn check(path: &Path) -> CheckReport {
    check_path(path).expect("check runs")
}

/// A Confluence `entities.xml` with one page and its attachments: (id,
/// version, original version id, file size, status) each.
fn confluence_entities(attachments: &[(u64, u64, Option<u64>, u64, &str)]) -> Vec<u8> {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hibernate-generic datetime=\"2024-01-01 10:00:00\">\n\
         <object class=\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">100</id>\
         <property name=\"title\"><![CDATA[Home]]></property></object>\n",
    );
    for (id, version, original, size, status) in attachments {
        let original = original.map_or("<property name=\"originalVersionId\"/>".to_string(), |o| {
            format!("<property name=\"originalVersionId\">{o}</property>")
        });
        xml.push_str(&format!(
            "<object class=\"Attachment\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">{id}</id>\
             <property name=\"title\"><![CDATA[file-{id}.png]]></property>\
             <property name=\"version\">{version}</property>{original}\
             <property name=\"fileSize\">{size}</property>\
             <property name=\"contentStatus\"><![CDATA[{status}]]></property>\
             <property name=\"containerContent\" class=\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">100</id></property>\
             </object>\n"
        ));
    }
    xml.push_str("</hibernate-generic>\n");
    xml.into_bytes()
}

const DESCRIPTOR: &[u8] =
    b"exportType=space\nspaceKey=DS\nbuildNumber=8703\nbackupAttachments=true\n";

#[test]
fn a_complete_confluence_zip_passes_its_shape_and_attachments() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("space.zip");
    // Attachment 201 has two versions: the older record (202) points at the
    // current one with originalVersionId, and its file lives under 201.
    let entities = confluence_entities(&[
        (201, 2, None, 4, "current"),
        (202, 1, Some(201), 3, "current"),
        (203, 1, None, 9, "deleted"),
    ]);
    zip_of(
        &zip,
        &[
            ("entities.xml", &entities, false),
            ("exportDescriptor.properties", DESCRIPTOR, false),
            ("attachments/100/201/2", b"four", true),
            ("attachments/100/201/1", b"one", true),
        ],
    );
    let r = check(&zip);
    assert_eq!(codes(&r, Severity::Error), Vec::<&str>::new(), "{r}");
    assert!(r.kind.starts_with("Confluence space export"), "{}", r.kind);
    assert!(codes(&r, Severity::Pass).contains(&"zip-readable"));
    let a = find(&r, "attachments");
    assert!(a.message.starts_with("2 attachment files"), "{}", a.message);
    assert!(a.message.contains("1 trashed"), "{}", a.message);
}

#[test]
fn missing_and_wrong_size_attachments_are_warnings_with_their_paths() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("space.zip");
    let entities =
        confluence_entities(&[(201, 1, None, 4, "current"), (301, 1, None, 5, "current")]);
    zip_of(
        &zip,
        &[
            ("entities.xml", &entities, false),
            ("exportDescriptor.properties", DESCRIPTOR, false),
            ("attachments/100/201/1", b"4 bytes? no, 16", true),
        ],
    );
    let r = check(&zip);
    let missing = find(&r, "attachment-missing");
    assert_eq!(missing.severity, Severity::Warning);
    assert_eq!(missing.count, 1);
    assert_eq!(
        missing.examples,
        vec!["attachments/100/301/1 (\"file-301.png\")"]
    );
    let size = find(&r, "attachment-size-mismatch");
    assert_eq!(size.count, 1);
    assert!(
        size.examples[0].contains("attachments/100/201/1")
            && size.examples[0].contains("says 4 bytes, the file has 15"),
        "{:?}",
        size.examples
    );
    assert!(!r.blocks_import());
}

#[test]
fn an_export_without_attachments_says_so_once() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("space.zip");
    let entities = confluence_entities(&[(201, 1, None, 4, "current")]);
    zip_of(
        &zip,
        &[
            ("entities.xml", &entities, false),
            (
                "exportDescriptor.properties",
                b"exportType=space\nbackupAttachments=false\n",
                false,
            ),
        ],
    );
    let r = check(&zip);
    assert_eq!(
        find(&r, "attachments-not-exported").severity,
        Severity::Warning
    );
    assert!(!codes(&r, Severity::Warning).contains(&"attachment-missing"));
}

#[test]
fn entities_in_a_folder_blocks_the_import_and_names_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("jira.zip");
    zip_of(
        &zip,
        &[
            ("backup/entities.xml", ENTITIES, false),
            ("backup/activeobjects.xml", ACTIVEOBJECTS, false),
        ],
    );
    let r = check(&zip);
    let f = find(&r, "entities-not-at-root");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("\"backup/\""), "{}", f.message);
    assert!(
        f.fix
            .as_deref()
            .is_some_and(|x| x.contains("backup-fix fix"))
    );
    assert!(r.blocks_import());
    // The XML inside is still checked (ENTITIES has a control character).
    assert_eq!(r.files.len(), 2);
    assert!(!r.files[0].well_formed && r.files[0].fix_cures_all);
}

#[test]
fn expected_entries_are_missing() {
    let dir = tempfile::tempdir().unwrap();
    let jira = dir.path().join("jira.zip");
    zip_of(&jira, &[("entities.xml", ENTITIES, false)]);
    assert_eq!(
        find(&check(&jira), "no-activeobjects").severity,
        Severity::Warning
    );
    let confluence = dir.path().join("space.zip");
    zip_of(
        &confluence,
        &[("entities.xml", &confluence_entities(&[]), false)],
    );
    let r = check(&confluence);
    assert_eq!(find(&r, "no-export-descriptor").severity, Severity::Error);
    assert!(r.blocks_import());
    // No PASS line for the zip beside an ERROR about it.
    assert!(!codes(&r, Severity::Pass).contains(&"zip-readable"), "{r}");
}

#[test]
fn a_tag_over_the_limit_is_not_called_damage_and_the_limit_can_be_raised() {
    let dir = tempfile::tempdir().unwrap();
    let xml = format!(
        "<?xml version=\"1.0\"?>\n<r>\n<a v=\"{}\"/>\n</r>\n",
        "x".repeat(200_000)
    );
    let path = dir.path().join("big.xml");
    std::fs::write(&path, &xml).unwrap();
    let small = CheckOptions::default().max_tag_size(100_000);
    let r = check_path_with(&path, &small, &mut |_| {}).unwrap();
    let f = find(&r, "not-well-formed");
    let text = r.to_string();
    // The place once, the limit named, and no advice to export again.
    assert_eq!(text.matches("line 3, column 1").count(), 1, "{text}");
    assert!(f.message.contains("--max-tag-size"), "{text}");
    let fix = f.fix.as_deref().unwrap();
    assert!(fix.contains("--max-tag-size"), "{fix}");
    assert!(!fix.contains("export it again"), "{fix}");
    let first = r.files[0].first_error.as_ref().unwrap();
    assert!(first.over_limit);
    let large = CheckOptions::default().max_tag_size(1 << 20);
    let r = check_path_with(&path, &large, &mut |_| {}).unwrap();
    assert!(r.files[0].well_formed, "{r}");
}

#[test]
fn unreadable_zips_are_one_error_each() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.zip");
    zip_of(
        &good,
        &[
            ("entities.xml", ENTITIES, false),
            ("activeobjects.xml", ACTIVEOBJECTS, false),
        ],
    );
    let bytes = std::fs::read(&good).unwrap();

    let truncated = dir.path().join("truncated.zip");
    std::fs::write(&truncated, &bytes[..bytes.len() - 40]).unwrap();
    let not_zip = dir.path().join("notes.zip");
    std::fs::write(&not_zip, b"just some text\n").unwrap();
    let two = dir.path().join("two.zip");
    zip_of(
        &two,
        &[
            ("a/entities.xml", ENTITIES, false),
            ("b/entities.xml", ENTITIES, false),
        ],
    );
    let none = dir.path().join("none.zip");
    zip_of(&none, &[("readme.txt", b"hello", false)]);
    for (path, code, says) in [
        (&truncated, "zip-unreadable", "end record"),
        (&not_zip, "zip-unreadable", "not a zip"),
        (&two, "archive-shape", "a/entities.xml"),
        (&none, "archive-shape", "entities.xml"),
    ] {
        let r = check(path);
        assert!(r.blocks_import(), "{}", path.display());
        assert_eq!(r.findings.len(), 1, "{r}");
        assert_eq!(r.findings[0].code, code, "{r}");
        assert!(r.findings[0].message.contains(says), "{r}");
    }
}

#[test]
fn a_damaged_entry_is_reported_as_damage_not_as_bad_xml() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("jira.zip");
    let clean: &[u8] = b"<?xml version=\"1.0\"?>\n<entity-engine-xml>\n<Action id=\"1\" body=\"hello\"/>\n</entity-engine-xml>\n";
    zip_of(
        &zip,
        &[
            ("entities.xml", clean, true),
            ("activeobjects.xml", ACTIVEOBJECTS, false),
        ],
    );
    let mut bytes = std::fs::read(&zip).unwrap();
    let at = archive_support::find_all(&bytes, b"hello")[0];
    bytes[at] = b'j'; // still well-formed, but the CRC no longer matches
    std::fs::write(&zip, &bytes).unwrap();
    let r = check(&zip);
    let f = find(&r, "entry-damaged");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("entities.xml"), "{}", f.message);
    assert!(r.blocks_import());
}

#[test]
fn the_descriptor_zone_feeds_the_time_advice() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("space.zip");
    zip_of(
        &zip,
        &[
            ("entities.xml", &confluence_entities(&[]), false),
            (
                "exportDescriptor.properties",
                b"exportType=space\ntimezoneId=Europe/Berlin\n",
                false,
            ),
        ],
    );
    let r = check(&zip);
    let t = find(&r, "local-timestamps");
    assert!(
        t.fix
            .as_deref()
            .is_some_and(|f| f.contains("--tz auto") && f.contains("Europe/Berlin")),
        "{t:?}"
    );
}

#[test]
fn the_real_corpus_attachments() {
    // 4.3.2: three files are placeholders much smaller than their records.
    let r = check(&corpus("4.3.2.xml.zip"));
    let size = find(&r, "attachment-size-mismatch");
    assert_eq!(size.count, 3);
    assert!(
        size.examples
            .iter()
            .any(|e| e.starts_with("attachments/753668/884737/1")
                && e.contains("says 174028 bytes, the file has 630")),
        "{:?}",
        size.examples
    );
    assert_eq!(r.files.len(), 2, "entities.xml and the .pdata");
    // 5.9: every current attachment has its file; two trashed ones do not.
    let r = check(&corpus("5.9.zip"));
    assert!(
        find(&r, "attachments")
            .message
            .starts_with("25 attachment files")
    );
    assert!(!codes(&r, Severity::Warning).contains(&"attachment-missing"));
    // The unpacked 8.x export with attachment history: versions live under
    // the first version's id; the space's own attachment has no file; the
    // descriptor states UTC.
    let r = check(&corpus("attachhist"));
    let missing = find(&r, "attachment-missing");
    assert_eq!(missing.count, 1);
    assert!(missing.examples[0].starts_with("attachments/948469762/948471659/1"));
    assert_eq!(find(&r, "utc-zone").severity, Severity::Pass);
    let r = check(&corpus("attachmenthistory"));
    assert!(
        find(&r, "attachments")
            .message
            .starts_with("9 attachment files")
    );
}

#[test]
fn an_unpacked_broken_export_is_reported_where_java_reports_it() {
    let r = check(&corpus("asciichar28"));
    let e = r.files[0].first_error.as_ref().expect("broken");
    assert_eq!((e.location.line, e.location.column), (56, 41));
    assert!(r.blocks_import());
}

/// Every progress report of one check: monotonic, within its total, and
/// ending at the total (all the XML was read).
fn progress_of(path: &Path) -> Vec<(u64, u64)> {
    let mut seen = Vec::new();
    check_path_with(path, &CheckOptions::default(), &mut |p| {
        seen.push((p.read, p.total.expect("a file's size is known")));
    })
    .expect("check runs");
    assert!(seen.len() >= 2, "{seen:?}");
    for w in seen.windows(2) {
        assert!(w[0].0 <= w[1].0, "progress went back: {seen:?}");
    }
    for &(read, total) in &seen {
        assert!(read <= total, "{seen:?}");
    }
    seen
}

#[test]
fn progress_counts_what_is_checked_up_to_its_total() {
    let dir = tempfile::tempdir().unwrap();
    let entities = confluence_entities(&[(201, 1, None, 4, "current")]);
    let ao = ACTIVEOBJECTS;
    // A zip: its bytes, attachments included (every entry's CRC is checked).
    let zip = dir.path().join("space.zip");
    zip_of(
        &zip,
        &[
            ("entities.xml", &entities, true),
            ("exportDescriptor.properties", DESCRIPTOR, false),
            ("attachments/100/201/1", &[7u8; 5000], true),
        ],
    );
    let zip_len = std::fs::metadata(&zip).unwrap().len();
    assert_eq!(progress_of(&zip).last(), Some(&(zip_len, zip_len)));
    // An unpacked export: entities.xml and activeobjects.xml.
    let export = dir.path().join("export");
    std::fs::create_dir(&export).unwrap();
    std::fs::write(export.join("entities.xml"), &entities).unwrap();
    std::fs::write(export.join("activeobjects.xml"), ao).unwrap();
    let both = entities.len() as u64 + ao.len() as u64;
    assert_eq!(progress_of(&export).last(), Some(&(both, both)));
    // A gzipped XML file: compressed bytes out of the file's size.
    let gz = dir.path().join("entities.xml.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, ENTITIES).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let size = std::fs::metadata(&gz).unwrap().len();
    assert_eq!(progress_of(&gz).last(), Some(&(size, size)));
}

#[test]
fn the_size_of_a_jira_move_counts_rows_issues_per_project_app_data_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("backup.zip");
    let entities = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<entity-engine-xml>\n    \
        <FileAttachment id=\"1\" issue=\"10\" filesize=\"300\"/>\n    \
        <FileAttachment id=\"2\" issue=\"11\" filesize=\"700\"/>\n    \
        <Group id=\"1\" groupName=\"site-admins\"/>\n    \
        <Issue id=\"10\" project=\"100\"/>\n    <Issue id=\"11\" project=\"100\"/>\n    \
        <Issue id=\"12\" project=\"101\"/>\n    <Issue id=\"13\" project=\"999\"/>\n    \
        <Membership id=\"1\" parentName=\"site-admins\" lowerParentName=\"site-admins\" membershipType=\"GROUP_USER\" childName=\"jo\"/>\n    \
        <Project id=\"100\" key=\"ABC\"/>\n    <Project id=\"101\" key=\"XY\"/>\n\
        </entity-engine-xml>\n";
    let ao = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<backup xmlns=\"http://www.atlassian.com/ao\">\n\
        <table name=\"AO_60DB71_RANK\"/>\n\
        <data tableName=\"AO_60DB71_RANK\"><column name=\"ID\"/><row><integer>1</integer></row><row><integer>2</integer></row></data>\n\
        <data tableName=\"AO_60DB71_SPRINT\"><row><integer>1</integer></row></data>\n\
        <data tableName=\"AO_21D670_RULES\"></data>\n</backup>\n";
    zip_of(
        &input,
        &[
            ("entities.xml", entities.as_bytes(), false),
            ("activeobjects.xml", ao.as_bytes(), false),
            ("data/attachments/ABC/10000/10/1", &[7u8; 300], true),
            ("data/attachments/XY/10000/12/2", &[7u8; 50], true),
        ],
    );
    let r = check_path(&input).unwrap();
    let s = &r.size;
    let count = |name: &str| s.entities.iter().find(|e| e.0 == name).map(|e| e.1);
    assert_eq!(count("Issue"), Some(4));
    assert_eq!(count("Project"), Some(2));
    assert_eq!(s.contained, "issues");
    assert_eq!(
        s.containers,
        vec![("ABC".into(), 2), ("XY".into(), 1), ("[999]".into(), 1)]
    );
    assert_eq!(
        (s.attachment_records, s.attachment_bytes_declared),
        (2, Some(1000))
    );
    assert_eq!(
        s.attachment_files,
        vec![("ABC".into(), 300), ("XY".into(), 50)]
    );
    let apps: Vec<(&str, u64, u64)> = s
        .apps
        .iter()
        .map(|a| (a.prefix.as_str(), a.tables, a.rows))
        .collect();
    assert_eq!(apps, vec![("AO_60DB71", 2, 3), ("AO_21D670", 1, 0)]);
    // The terminal output lists them too.
    let text = r.to_string();
    assert!(
        text.contains("AO_60DB71 2 tables (3 rows), AO_21D670 1 table (0 rows)"),
        "{text}"
    );
    assert_eq!(r.groups.len(), 1);
    assert_eq!(
        (r.groups[0].name.as_str(), r.groups[0].members),
        ("site-admins", 1)
    );
}
