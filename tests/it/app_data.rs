//! `--drop-app-data`: apps' tables leave Active Objects data (definitions,
//! data blocks, their lines), checked against an independent line-based
//! oracle, for every split of the input, on a real Confluence `.pdata`
//! inside its zip, through the CLI, and through the JDK SAX parser.

use crate::support;

use backup_fix::{AppDataSelector, Error, Options, Report};
use proptest::prelude::*;
use std::process::Command;

fn options(selectors: &[&str]) -> Options {
    let mut o = Options::default();
    for s in selectors {
        o = o.drop_app_data(AppDataSelector::parse(s).expect("selector"));
    }
    o
}

/// The input without the lines of the tables `drop` selects: each
/// definition or data block is a run of whole lines from its start tag to
/// its end tag (as Active Objects writes them, one element per line).
fn without_tables(input: &str, drop: impl Fn(&str) -> bool) -> String {
    let mut out = String::new();
    let mut skipping: Option<&str> = None;
    for line in input.split_inclusive('\n') {
        let t = line.trim();
        if let Some(end) = skipping {
            if t == end {
                skipping = None;
            }
            continue;
        }
        let table = ["<table name=\"", "<data tableName=\""]
            .iter()
            .find_map(|p| t.strip_prefix(p))
            .and_then(|rest| rest.split('"').next());
        if let Some(name) = table.filter(|n| drop(n)) {
            let _ = name;
            if !t.ends_with("/>") {
                skipping = Some(if t.starts_with("<table") {
                    "</table>"
                } else {
                    "</data>"
                });
            }
            continue;
        }
        out.push_str(line);
    }
    out
}

const AO: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<backup xmlns="http://www.atlassian.com/ao" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <database>
    <meta key="database.name" value="PostgreSQL"/>
  </database>
  <table name="AO_60DB71_RAPIDVIEW">
    <column name="ID" primaryKey="true" autoIncrement="true" sqlType="4" precision="10"/>
  </table>
  <table name="AO_60DB71_SPRINT">
    <column name="ID" primaryKey="true" autoIncrement="true" sqlType="4" precision="10"/>
    <foreignKey fromTable="AO_60DB71_SPRINT" fromColumn="RAPID_VIEW_ID" toTable="AO_60DB71_RAPIDVIEW" toColumn="ID"/>
  </table>
  <table name="AO_ABC123_THING">
    <column name="ID" primaryKey="true" autoIncrement="true" sqlType="4" precision="10"/>
  </table>
  <data tableName="AO_60DB71_RAPIDVIEW">
    <column name="ID"/>
    <row>
      <integer>1</integer>
    </row>
    <row>
      <integer>2</integer>
    </row>
  </data>
  <data tableName="AO_60DB71_SPRINT">
    <column name="ID"/>
    <row>
      <string>sprint &amp; more</string>
    </row>
  </data>
  <data tableName="AO_ABC123_THING">
    <column name="ID"/>
    <row>
      <string>x</string>
    </row>
  </data>
</backup>
"#;

/// The repair of `input` with `selectors`, checked to be the same for every
/// split of the input.
fn drop(input: &str, selectors: &[&str]) -> (String, Report) {
    let b = input.as_bytes();
    let o = options(selectors);
    let (out, report) = support::fix_split_with(b, &[], &o).expect("repair succeeds");
    assert_eq!(report.output_bytes, out.len() as u64);
    for cut in 0..=b.len() {
        let (oc, rc) = support::fix_split_with(b, &[cut], &o).expect("repair succeeds");
        assert_eq!((&oc, &rc), (&out, &report), "split at {cut}");
    }
    let bytes: Vec<usize> = (1..b.len()).collect();
    let (ob, rb) = support::fix_split_with(b, &bytes, &o).expect("repair succeeds");
    assert_eq!((&ob, &rb), (&out, &report), "byte by byte");
    (String::from_utf8(out).expect("UTF-8"), report)
}

#[test]
fn a_prefix_drops_every_table_of_the_app_and_only_those_lines() {
    let (out, report) = drop(AO, &["AO_60DB71"]);
    assert_eq!(out, without_tables(AO, |t| t.starts_with("AO_60DB71_")));
    assert!(out.contains("AO_ABC123_THING") && !out.contains("AO_60DB71"));
    let a = report.app_data.as_ref().expect("app data report");
    assert!(a.app_data);
    assert_eq!(a.tables.len(), 2);
    let rv = &a.tables["AO_60DB71_RAPIDVIEW"];
    assert!(rv.definition);
    assert_eq!((rv.data_blocks, rv.rows), (1, 2));
    assert_eq!(a.tables["AO_60DB71_SPRINT"].rows, 1);
    assert_eq!(a.rows_dropped(), 3);
    assert_eq!(a.elements_dropped(), 4);
    assert!(a.unmatched.is_empty());
    assert!(a.foreign_keys_left.is_empty(), "the key's table went too");
    assert_eq!(report.changes(), 4);
    let text = report.to_string();
    assert!(
        text.contains("app data dropped: 2 tables with 3 rows"),
        "{text}"
    );
}

#[test]
fn a_table_name_drops_that_table_and_reports_keys_left_pointing_at_it() {
    let (out, report) = drop(AO, &["ao_60db71_rapidview"]);
    assert_eq!(out, without_tables(AO, |t| t == "AO_60DB71_RAPIDVIEW"));
    let a = report.app_data.expect("report");
    assert_eq!(a.tables.keys().collect::<Vec<_>>(), ["AO_60DB71_RAPIDVIEW"]);
    assert_eq!(a.foreign_keys_left.len(), 1);
    assert_eq!(a.foreign_keys_left[0].from_table, "AO_60DB71_SPRINT");
    assert_eq!(a.foreign_keys_left[0].to_table, "AO_60DB71_RAPIDVIEW");
}

#[test]
fn a_selector_that_matches_nothing_is_reported_and_changes_nothing() {
    let (out, report) = drop(AO, &["AO_FFFFFF"]);
    assert_eq!(out, AO, "byte-identical");
    assert!(report.is_unchanged());
    let a = report.app_data.as_ref().expect("report");
    assert_eq!(a.unmatched, ["AO_FFFFFF"]);
    assert!(
        report
            .to_string()
            .contains("--drop-app-data AO_FFFFFF: no table in this file matched")
    );
}

#[test]
fn other_xml_is_left_alone_and_says_so() {
    let jira = "<?xml version=\"1.0\"?>\n<entity-engine-xml>\n    <table name=\"AO_60DB71_X\"/>\n</entity-engine-xml>\n";
    let (out, report) = drop(jira, &["AO_60DB71"]);
    assert_eq!(out, jira);
    let a = report.app_data.as_ref().expect("report");
    assert!(!a.app_data && a.tables.is_empty());
    assert!(report.to_string().contains("this file is not app data"));
}

#[test]
fn a_one_line_file_loses_exactly_the_elements() {
    // Jira Cloud writes activeobjects.xml as one long line.
    let one_line: String = AO.lines().map(str::trim).collect();
    let (out, _) = drop(&one_line, &["AO_ABC123"]);
    let want = one_line
        .replace(
            r#"<table name="AO_ABC123_THING"><column name="ID" primaryKey="true" autoIncrement="true" sqlType="4" precision="10"/></table>"#,
            "",
        )
        .replace(
            r#"<data tableName="AO_ABC123_THING"><column name="ID"/><row><string>x</string></row></data>"#,
            "",
        );
    assert_ne!(want, one_line);
    assert_eq!(out, want);
}

#[test]
fn bad_selectors_are_refused_with_the_fix() {
    for bad in ["60DB71", "AO_60DB7", "AO_60DB71-X", ""] {
        let e = AppDataSelector::parse(bad).unwrap_err();
        assert!(matches!(e, Error::BadAppDataSelector { .. }));
        assert!(e.to_string().contains("such as AO_60DB71"), "{e}");
    }
}

#[test]
fn a_real_confluence_pdata_in_its_zip_loses_one_app_and_nothing_else() {
    let input = support::corpus("5.9.zip");
    let pdata = "plugin-data/com.atlassian.activeobjects.confluence.spi/activeObjectsBackupRestoreProvider.pdata";
    let original = String::from_utf8(support::zip_entry(&input, pdata)).expect("UTF-8");
    let dir = tempfile::tempdir().expect("tempdir");
    let output = dir.path().join("fixed.zip");
    let report = backup_fix::archive::fix_zip(
        &input,
        &output,
        &options(&["AO_54C900", "AO_6D345F_CUSTOM_SHAPE"]),
        &backup_fix::archive::ArchiveOptions::default(),
        &mut |_| {},
    )
    .expect("fix succeeds");
    let fixed = String::from_utf8(support::zip_entry(&output, pdata)).expect("UTF-8");
    let want = without_tables(&original, |t| {
        t.starts_with("AO_54C900_") || t == "AO_6D345F_CUSTOM_SHAPE"
    });
    assert_ne!(want, original, "the corpus holds these tables");
    assert_eq!(fixed, want);
    // entities.xml is repaired as without the option, and its report says
    // nothing about app data.
    let entry = |name: &str| {
        report
            .xml
            .iter()
            .find(|x| x.name.ends_with(name))
            .expect("entry")
            .report
            .clone()
    };
    assert!(entry("entities.xml").app_data.is_none());
    let a = entry(".pdata").app_data.expect("app data report");
    assert!(a.tables.contains_key("AO_54C900_C_TEMPLATE_REF"));
    assert!(a.tables.contains_key("AO_6D345F_CUSTOM_SHAPE"));
    assert!(
        a.tables
            .keys()
            .all(|t| t.starts_with("AO_54C900_") || t == "AO_6D345F_CUSTOM_SHAPE")
    );
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    if let Some(results) = support::sax_bytes(&[fixed.as_bytes()]) {
        assert_eq!(results, [support::Sax::Ok]);
    }
}

#[test]
fn the_cli_drops_app_data_and_refuses_a_bad_prefix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("activeobjects.xml");
    let output = dir.path().join("out.xml");
    std::fs::write(&input, AO).expect("write");
    let bin = env!("CARGO_BIN_EXE_backup-fix");
    let ok = Command::new(bin)
        .args(["fix"])
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .args([
            "--drop-app-data",
            "AO_ABC123",
            "--drop-app-data",
            "AO_60DB71_SPRINT",
        ])
        .output()
        .expect("runs");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let out = std::fs::read_to_string(&output).expect("output");
    assert_eq!(
        out,
        without_tables(AO, |t| t == "AO_ABC123_THING" || t == "AO_60DB71_SPRINT")
    );
    let stderr = String::from_utf8_lossy(&ok.stderr);
    assert!(
        stderr.contains("app data dropped: 2 tables with 2 rows"),
        "{stderr}"
    );
    let bad = Command::new(bin)
        .args(["fix"])
        .arg(&input)
        .arg("-o")
        .arg(dir.path().join("never.xml"))
        .args(["--drop-app-data", "60DB71"])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("start with AO_"));
    assert!(!dir.path().join("never.xml").exists());
}

/// An Active Objects document of generated tables, some of the app to drop.
fn ao_doc() -> impl Strategy<Value = (String, Vec<String>)> {
    let table = (
        any::<bool>(),
        0usize..4,
        prop::sample::select(vec!["AO_AAAAAA", "AO_BBBBBB"]),
    );
    prop::collection::vec(table, 1..6).prop_map(|tables| {
        let mut doc = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<backup xmlns=\"http://www.atlassian.com/ao\">\n");
        let mut names = Vec::new();
        for (i, (empty, rows, app)) in tables.iter().enumerate() {
            let name = format!("{app}_T{i}");
            doc.push_str(&format!("  <table name=\"{name}\">\n    <column name=\"ID\"/>\n  </table>\n"));
            if *empty {
                doc.push_str(&format!("  <data tableName=\"{name}\"/>\n"));
            } else {
                doc.push_str(&format!("  <data tableName=\"{name}\">\n    <column name=\"ID\"/>\n"));
                for r in 0..*rows {
                    doc.push_str(&format!("    <row>\n      <string>v{r}&#1;</string>\n    </row>\n"));
                }
                doc.push_str("  </data>\n");
            }
            names.push(name);
        }
        doc.push_str("</backup>\n");
        (doc, names)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any chunking gives the oracle's output; a second run changes nothing.
    #[test]
    fn dropping_is_chunking_invariant_exact_and_idempotent(
        (doc, _names) in ao_doc(),
        cuts in prop::collection::vec(0usize..4096, 0..6),
    ) {
        let o = options(&["AO_BBBBBB"]);
        let b = doc.as_bytes();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (b.len() + 1)).collect();
        cuts.sort_unstable();
        let (whole, report) = support::fix_split_with(b, &[], &o).expect("repair");
        let (split, split_report) = support::fix_split_with(b, &cuts, &o).expect("repair");
        prop_assert_eq!(&split, &whole);
        prop_assert_eq!(&split_report, &report);
        let want = without_tables(&doc, |t| t.starts_with("AO_BBBBBB_")).replace("&#1;", "");
        prop_assert_eq!(String::from_utf8_lossy(&whole), want);
        let (again, again_report) = support::fix_split_with(&whole, &[], &o).expect("repair");
        prop_assert_eq!(&again, &whole);
        prop_assert_eq!(again_report.app_data.map(|a| a.elements_dropped()), Some(0));
    }
}

/// Fixes `input` into `output` with `selectors`.
fn fix_zip_with(
    input: &std::path::Path,
    output: &std::path::Path,
    selectors: &[&str],
) -> backup_fix::archive::ArchiveReport {
    backup_fix::archive::fix_zip(
        input,
        output,
        &options(selectors),
        &backup_fix::archive::ArchiveOptions::default(),
        &mut |_| {},
    )
    .expect("fix succeeds")
}

#[test]
fn a_jira_backup_zip_loses_the_app_and_keeps_entities_and_attachments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("backup.zip");
    let file = std::fs::File::create(&input).expect("create");
    backup_fix::synth::BackupZipSynth::default()
        .write_zip(file)
        .expect("generate");
    let plain = dir.path().join("plain.zip");
    let dropped = dir.path().join("dropped.zip");
    fix_zip_with(&input, &plain, &[]);
    let report = fix_zip_with(&input, &dropped, &["AO_60DB71"]);
    let ao = String::from_utf8(support::zip_entry(&input, "activeobjects.xml")).expect("UTF-8");
    let fixed =
        String::from_utf8(support::zip_entry(&dropped, "activeobjects.xml")).expect("UTF-8");
    assert_eq!(fixed, without_tables(&ao, |t| t.starts_with("AO_60DB71_")));
    assert!(fixed.contains("<database>") && !fixed.contains("AO_60DB71"));
    let a = report
        .xml
        .iter()
        .find(|x| x.name == "activeobjects.xml")
        .and_then(|x| x.report.app_data.clone())
        .expect("report");
    assert_eq!(a.tables["AO_60DB71_RAPIDVIEW"].rows, 200);
    // Everything else is what a repair without the option writes.
    for name in ["entities.xml", "data/attachments/OPS/10000/OPS-1/10001"] {
        assert_eq!(
            support::zip_entry(&dropped, name),
            support::zip_entry(&plain, name),
            "{name}"
        );
    }
    assert_eq!(report.entries.output, report.entries.input);
}

#[test]
fn a_backup_without_app_data_gets_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = support::corpus("3.4.7.zip");
    let report = fix_zip_with(&input, &dir.path().join("out.zip"), &["AO_60DB71"]);
    // This export has no plugin-data: only entities.xml is XML.
    assert!(report.xml.iter().all(|x| !x.name.ends_with(".pdata")));
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("holds no app data")),
        "{:?}",
        report.warnings
    );
    assert!(report.xml.iter().all(|x| x.report.app_data.is_none()));
}

#[test]
fn real_app_data_that_matches_nothing_comes_out_byte_identical() {
    let input = support::corpus("5.9.zip");
    let pdata = "plugin-data/com.atlassian.activeobjects.confluence.spi/activeObjectsBackupRestoreProvider.pdata";
    let dir = tempfile::tempdir().expect("tempdir");
    let output = dir.path().join("fixed.zip");
    let report = fix_zip_with(&input, &output, &["AO_FFFFFF"]);
    assert_eq!(
        support::zip_entry(&output, pdata),
        support::zip_entry(&input, pdata)
    );
    let a = report
        .xml
        .iter()
        .find(|x| x.name.ends_with(".pdata"))
        .and_then(|x| x.report.app_data.clone())
        .expect("report");
    assert_eq!(a.unmatched, ["AO_FFFFFF"]);
    assert!(a.tables.is_empty());
}
