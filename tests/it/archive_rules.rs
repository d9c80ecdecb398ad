//! The repair rules on whole backup zips: `--tz`, `--tz auto`, `--cloud-url`
//! and Confluence page links give every XML entry exactly what they give the
//! same file repaired on its own (facts are read from `entities.xml` inside
//! the zip), and `exportDescriptor.properties` says `timezoneId=UTC` after a
//! time-zone conversion.

use crate::archive_support;
use crate::support;

use archive_support::*;
use backup_fix::archive::{ArchiveOptions, ArchiveReport, fix_zip};
use backup_fix::{Error, Fixer, Options, TzChoice, scan_facts};
use std::path::Path;
use support::{corpus, zip_entry};

fn fix_zip_with(input: &Path, output: &Path, options: &Options) -> Result<ArchiveReport, Error> {
    fix_zip(
        input,
        output,
        options,
        &ArchiveOptions::default(),
        &mut |_| {},
    )
}

/// What the two-pass file repair gives for `xml` (facts from `facts_from`).
fn fix_file_like(xml: &[u8], facts_from: &[u8], options: &Options) -> Vec<u8> {
    let facts = scan_facts(facts_from, options).expect("facts");
    let mut fixer = Fixer::with_facts(options.clone(), facts).expect("fixer");
    let mut out = Vec::new();
    fixer.write(xml, &mut out).expect("fix");
    fixer.finish(&mut out).expect("finish");
    out
}

fn zone(name: &str) -> Options {
    Options::default().tz(TzChoice::Zone(name.into()))
}

const CONFLUENCE_ENTITIES: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<hibernate-generic datetime=\"2019-07-01 16:00:00\">
<object class=\"Page\" package=\"com.atlassian.confluence.pages\">
<id name=\"id\">11</id>
<property name=\"title\"><![CDATA[Created 2019-07-01 14:03:25.250]]></property>
<property name=\"creationDate\">2019-07-01 14:03:25.250</property>
<property name=\"lastModificationDate\">2019-10-27 02:30:00.000</property>
</object>
</hibernate-generic>
";

const PDATA: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<backup xmlns=\"http://www.atlassian.com/ao\"><data tableName=\"AO_1\"><column name=\"T\"/>
<row><timestamp>2014-09-03T05:44:15.200Z</timestamp></row></data></backup>
";

fn confluence_zip(dir: &Path, descriptor: &[u8]) -> std::path::PathBuf {
    let path = dir.join("space.zip");
    zip_of(
        &path,
        &[
            ("entities.xml", CONFLUENCE_ENTITIES, false),
            ("exportDescriptor.properties", descriptor, false),
            (
                "plugin-data/ao/activeObjectsBackupRestoreProvider.pdata",
                PDATA,
                false,
            ),
            ("attachments/11/12/1", b"attachment bytes", true),
        ],
    );
    path
}

#[test]
fn tz_auto_takes_the_descriptor_zone_and_makes_it_utc() {
    let dir = tempfile::tempdir().unwrap();
    let descriptor = b"#Mon Jul 01 16:00:00 CEST 2019\nexportType=space\nspaceKey=DS\ntimezoneId=Europe/Berlin\nbuildNumber=8703\n";
    let input = confluence_zip(dir.path(), descriptor);
    let output = dir.path().join("fixed.zip");
    let report = fix_zip_with(&input, &output, &Options::default().tz(TzChoice::Auto)).unwrap();

    let out = entries(&output);
    let xml = String::from_utf8(entry(&out, "entities.xml").content.clone()).unwrap();
    assert!(xml.contains("<property name=\"creationDate\">2019-07-01 12:03:25.250</property>"));
    // Fall-back overlap: the earlier instant, as Java reads it.
    assert!(xml.contains(">2019-10-27 00:30:00.000</property>"));
    // Free text keeps its timestamp-shaped words.
    assert!(xml.contains("Created 2019-07-01 14:03:25.250"));
    assert_eq!(
        entry(&out, "exportDescriptor.properties").content,
        b"#Mon Jul 01 16:00:00 CEST 2019\nexportType=space\nspaceKey=DS\ntimezoneId=UTC\nbuildNumber=8703\n"
    );
    assert!(report.descriptor_rewritten);
    // AO timestamps are UTC already: the .pdata comes out as it went in.
    assert_eq!(
        entry(
            &out,
            "plugin-data/ao/activeObjectsBackupRestoreProvider.pdata"
        )
        .content,
        PDATA
    );
    let entities = report
        .xml
        .iter()
        .find(|x| x.name == "entities.xml")
        .unwrap();
    let times = entities
        .report
        .timestamps
        .as_ref()
        .expect("timestamp report");
    assert_eq!(times.zone, "Europe/Berlin");
    assert!(
        times.zone_source.contains("exportDescriptor.properties"),
        "{}",
        times.zone_source
    );
    assert_eq!(times.shifted.values().sum::<u64>(), 2);

    // Run again with --tz auto: the backup now says UTC, so nothing moves.
    let again = dir.path().join("again.zip");
    let second = fix_zip_with(&output, &again, &Options::default().tz(TzChoice::Auto)).unwrap();
    assert_eq!(
        entry(&entries(&again), "entities.xml").content,
        xml.as_bytes()
    );
    assert!(!second.descriptor_rewritten);
}

#[test]
fn tz_auto_without_a_stated_zone_fails_before_writing() {
    // The real 5.9 export states no zone (no timezoneId, no header comment).
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("fixed.zip");
    let err = fix_zip_with(
        &corpus("5.9.zip"),
        &output,
        &Options::default().tz(TzChoice::Auto),
    )
    .unwrap_err();
    let text = format!("{err}");
    assert!(text.contains("5.9.zip"), "names the input: {text}");
    assert!(text.contains("--tz ZONE"), "names the flag to use: {text}");
    assert!(!output.exists());
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn an_explicit_zone_on_a_real_export_matches_the_file_repair() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("fixed.zip");
    let options = zone("Europe/Paris");
    let report = fix_zip_with(&corpus("5.9.zip"), &output, &options).unwrap();
    let xml = zip_entry(&corpus("5.9.zip"), "entities.xml");
    let (expected, file_report) = backup_fix::fix_bytes(&xml, &options).unwrap();
    let out = entries(&output);
    assert_eq!(entry(&out, "entities.xml").content, expected);
    let shifted = file_report
        .timestamps
        .as_ref()
        .unwrap()
        .shifted
        .values()
        .sum::<u64>();
    assert!(shifted > 0, "the export has local timestamps");
    let entities = report
        .xml
        .iter()
        .find(|x| x.name == "entities.xml")
        .unwrap();
    assert_eq!(entities.report.timestamps, file_report.timestamps);
    // The export stated no zone: its descriptor now says UTC, every other
    // byte as it was.
    assert!(report.descriptor_rewritten);
    let mut expected = zip_entry(&corpus("5.9.zip"), "exportDescriptor.properties");
    expected.extend_from_slice(b"timezoneId=UTC\n");
    assert_eq!(entry(&out, "exportDescriptor.properties").content, expected);
    // And check on the result sees UTC timestamps: no advice to convert again.
    let checked = backup_fix::check::check_path(&output).unwrap();
    let codes: Vec<_> = checked.findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&"utc-zone"), "{checked}");
    assert!(!codes.contains(&"local-timestamps"), "{checked}");
}

#[test]
fn cloud_url_and_page_links_use_facts_read_inside_the_zip() {
    // Confluence states its base URL mid-file and page links need the whole
    // page index: both come from the first pass over the zipped entities.xml.
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("fixed.zip");
    let options = Options::default().cloud_url("https://acme.atlassian.net/wiki");
    let report = fix_zip_with(&corpus("5.9.zip"), &output, &options).unwrap();
    let xml = zip_entry(&corpus("5.9.zip"), "entities.xml");
    let expected = fix_file_like(&xml, &xml, &options);
    assert_ne!(expected, xml, "the export links to its own site");
    assert_eq!(entry(&entries(&output), "entities.xml").content, expected);
    let entities = report
        .xml
        .iter()
        .find(|x| x.name == "entities.xml")
        .unwrap();
    assert!(
        entities
            .report
            .links
            .as_ref()
            .is_some_and(|l| l.mappings.iter().any(|m| m.count > 0))
    );
}

#[test]
fn jira_facts_from_entities_apply_to_activeobjects() {
    // The header states the zone and base URL; activeobjects.xml, a separate
    // entry, has links to the old site that --cloud-url must rewrite too.
    let dir = tempfile::tempdir().unwrap();
    let entities = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<!--
    jira.baseurl : http://jira.corp:8080
    jvm.system.timezone : America/Sao_Paulo
-->
<entity-engine-xml date=\"1\">
    <Issue id=\"1\" created=\"2019-07-01 14:03:25.25\" duedate=\"2019-07-05 00:00:00.0\"/>
</entity-engine-xml>
";
    let ao = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<backup xmlns=\"http://www.atlassian.com/ao\"><data tableName=\"AO_1\"><column name=\"URL\"/>
<row><string>http://jira.corp:8080/browse/ABC-1</string></row></data></backup>
";
    let input = dir.path().join("jira.zip");
    zip_of(
        &input,
        &[
            ("entities.xml", entities, false),
            ("activeobjects.xml", ao, false),
        ],
    );
    let output = dir.path().join("fixed.zip");
    let options = Options::default()
        .tz(TzChoice::Auto)
        .cloud_url("https://acme.atlassian.net");
    fix_zip_with(&input, &output, &options).unwrap();
    let out = entries(&output);
    let xml = String::from_utf8(entry(&out, "entities.xml").content.clone()).unwrap();
    assert!(xml.contains("created=\"2019-07-01 17:03:25.25\""), "{xml}");
    assert!(
        xml.contains("duedate=\"2019-07-05 00:00:00.0\""),
        "date-only kept"
    );
    assert!(xml.contains("jvm.system.timezone : UTC"));
    let ao_out = String::from_utf8(entry(&out, "activeobjects.xml").content.clone()).unwrap();
    assert!(
        ao_out.contains("<string>https://acme.atlassian.net/browse/ABC-1</string>"),
        "{ao_out}"
    );
    assert_eq!(
        entry(&out, "activeobjects.xml").content,
        fix_file_like(ao, entities, &options)
    );
}

/// Jira rows with one stale and one duplicate membership.
const STALE_MEMBERSHIPS: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<entity-engine-xml date=\"1\">
    <Group id=\"10000\" groupName=\"jira-users\" lowerGroupName=\"jira-users\" directoryId=\"1\"/>
    <Membership id=\"1\" parentId=\"3\" childId=\"4\" membershipType=\"GROUP_USER\" parentName=\"jira-users\" lowerParentName=\"jira-users\" childName=\"admin\" lowerChildName=\"admin\" directoryId=\"1\"/>
    <Membership id=\"2\" parentId=\"10000\" childId=\"10010\" membershipType=\"GROUP_USER\" parentName=\"jira-users\" lowerParentName=\"jira-users\" childName=\"admin\" lowerChildName=\"admin\" directoryId=\"1\"/>
    <User id=\"10010\" directoryId=\"1\" userName=\"admin\" lowerUserName=\"admin\"/>
</entity-engine-xml>
";

#[test]
fn memberships_are_repaired_inside_a_zip_as_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("backup.zip");
    zip_of(
        &input,
        &[
            ("entities.xml", STALE_MEMBERSHIPS, false),
            ("activeobjects.xml", ACTIVEOBJECTS, false),
        ],
    );
    let options = Options::default().repair_memberships(true);
    let output = dir.path().join("fixed.zip");
    let report = fix_zip_with(&input, &output, &options).unwrap();
    let want = fix_file_like(STALE_MEMBERSHIPS, STALE_MEMBERSHIPS, &options);
    let fixed = zip_entry(&output, "entities.xml");
    assert_eq!(fixed, want);
    let text = String::from_utf8(fixed).unwrap();
    assert!(text.contains("id=\"1\" parentId=\"10000\" childId=\"10010\""));
    assert!(!text.contains("<Membership id=\"2\""), "{text}");
    let m = report.xml[0].report.memberships.as_ref().unwrap();
    assert_eq!((m.ids_changed, m.rows_dropped.count), (2, 1));
    // activeobjects.xml has no memberships: copied as it was.
    assert_eq!(zip_entry(&output, "activeobjects.xml"), ACTIVEOBJECTS);
}
