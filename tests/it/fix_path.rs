//! `fix_path`, the one entry point for a path: a backup zip or an
//! XML file, picked by content (not by name), each through its own driver.

use crate::archive_support::{ENTITIES, fix as fix_zip_default, generate, small_synth, zip_of};
use backup_fix::Options;
use backup_fix::archive::ArchiveOptions;
use backup_fix::driver::fix_file;
use backup_fix::{Fixed, fix_path, is_zip_path};
use std::path::Path;

fn fix(input: &Path, output: &Path) -> Fixed {
    fix_path(
        input,
        output,
        &Options::default(),
        &ArchiveOptions::default(),
        &mut |_| {},
    )
    .expect("fix_path")
}

#[test]
fn a_zip_without_a_zip_name_is_repaired_as_a_zip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (zip, _) = generate(dir.path(), "jira-backup.zip", &small_synth(true));
    // The same bytes under a name that says nothing.
    let unnamed = dir.path().join("backup-of-monday");
    std::fs::copy(&zip, &unnamed).expect("copy");
    assert!(is_zip_path(&unnamed));

    let by_path = dir.path().join("by-path.zip");
    let Fixed::Zip(report) = fix(&unnamed, &by_path) else {
        panic!("a zip's content must pick the archive driver")
    };
    assert!(report.changes() > 0, "the defects must be repaired");
    // Exactly what the archive driver writes.
    let direct = dir.path().join("direct.zip");
    let expected = fix_zip_default(&zip, &direct).expect("fix_zip");
    assert_eq!(report.changes(), expected.changes());
    assert_eq!(
        std::fs::read(&by_path).expect("read"),
        std::fs::read(&direct).expect("read")
    );
}

#[test]
fn an_xml_file_named_zip_is_not_a_zip_by_content_but_is_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A damaged "zip" that is really XML gets the archive's message (by name).
    let misnamed = dir.path().join("entities.zip");
    std::fs::write(&misnamed, ENTITIES).expect("write");
    assert!(is_zip_path(&misnamed));
    let err = fix_path(
        &misnamed,
        &dir.path().join("out.zip"),
        &Options::default(),
        &ArchiveOptions::default(),
        &mut |_| {},
    )
    .expect_err("XML is not a zip");
    assert!(
        err.to_string().contains("XML file"),
        "the message says what the file looks like: {err}"
    );
    assert!(!dir.path().join("out.zip").exists());
}

#[test]
fn xml_goes_through_the_file_driver_with_the_same_result() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("entities.xml");
    std::fs::write(
        &input,
        "<entity-engine-xml>\n<Action body=\"a\u{1c}b\"/>\n</entity-engine-xml>\n",
    )
    .expect("write");
    assert!(!is_zip_path(&input));
    let (a, b) = (dir.path().join("a.xml"), dir.path().join("b.xml"));
    let Fixed::Xml(report) = fix(&input, &a) else {
        panic!("XML must pick the file driver")
    };
    let direct = fix_file(&input, &b, &Options::default(), &mut |_| {}).expect("fix_file");
    assert_eq!(*report, direct);
    assert_eq!(report.changes(), 1);
    assert_eq!(std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
    assert_eq!(
        std::fs::read_to_string(&a).expect("a"),
        "<entity-engine-xml>\n<Action body=\"ab\"/>\n</entity-engine-xml>\n"
    );
}

#[test]
fn a_zip_holding_xml_stored_is_a_zip_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let zip = dir.path().join("small");
    zip_of(
        &zip,
        &[
            ("entities.xml", ENTITIES, true),
            ("activeobjects.xml", b"<backup/>", false),
        ],
    );
    assert!(matches!(
        fix(&zip, &dir.path().join("out.zip")),
        Fixed::Zip(_)
    ));
}
