//! `--tz`: server-local timestamps to UTC, with the exceptions real exports
//! need, the zone statements made true, and daylight-saving cases as Java.

use crate::support;

use backup_fix::{Error, FixConfig, Options, TzChoice, fix_bytes, scan_facts};
use support::{fix_every_split_with, sax_bytes};

fn jira(rows: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!--\n    JIRA Build : 7.10.0#710001-sha1:abc\n    jira.baseurl : http://jira.corp:8080\n-->\n<entity-engine-xml date=\"1561982605000\">\n{rows}</entity-engine-xml>\n"
    )
}

fn with_tz(zone: &str) -> Options {
    Options::default().tz(TzChoice::parse(zone).unwrap())
}

fn fixed(input: &str, options: &Options) -> (String, backup_fix::Report) {
    let (out, report) = fix_every_split_with(input.as_bytes(), options).expect("repairs");
    (String::from_utf8(out).unwrap(), report)
}

#[test]
fn attribute_timestamps_shift_to_utc_keeping_their_shape() {
    let rows = "    <Action id=\"1\" created=\"2019-07-01 14:03:25.25\" updated=\"2019-01-15 08:00:00.0\"/>\n\
                <Worklog id=\"2\" startdate=\"2019-07-01 00:30:00.123456789\" created=\"2019-07-01 10:00:00\"/>\n\
                <OSPropertyDate id=\"3\" value=\"2019-07-01 14:00:00.1\"/>\n";
    let (out, report) = fixed(&jira(rows), &with_tz("Europe/Berlin"));
    assert!(
        out.contains("created=\"2019-07-01 12:03:25.25\" updated=\"2019-01-15 07:00:00.0\""),
        "{out}"
    );
    assert!(
        out.contains("startdate=\"2019-06-30 22:30:00.123456789\" created=\"2019-07-01 08:00:00\""),
        "{out}"
    );
    assert!(
        out.contains("<OSPropertyDate id=\"3\" value=\"2019-07-01 12:00:00.1\"/>"),
        "{out}"
    );
    let t = report.timestamps.expect("timestamp report");
    assert_eq!(t.shifted["Action.created"], 1);
    assert_eq!(t.shifted["Worklog.startdate"], 1);
    assert_eq!(t.shifted.values().sum::<u64>(), 5);
    assert_eq!(
        (t.zone.as_str(), t.zone_source.as_str()),
        ("Europe/Berlin", "--tz")
    );
    assert!(t.tzdb_version.starts_with("20"));
    assert_eq!(t.build.as_deref(), Some("7.10.0#710001-sha1:abc"));
}

#[test]
fn one_to_nine_fraction_digits_are_kept_digit_for_digit() {
    for digits in 1..=9 {
        let frac = &"123456789"[..digits];
        let rows = format!("<Action id=\"1\" created=\"2019-07-01 14:00:00.{frac}\"/>\n");
        let (out, _) = fixed(&jira(&rows), &with_tz("Europe/Berlin"));
        assert!(
            out.contains(&format!("created=\"2019-07-01 12:00:00.{frac}\"")),
            "{digits}: {out}"
        );
    }
}

#[test]
fn date_only_fields_strings_epoch_millis_and_free_text_are_left_alone() {
    let rows = "<ChangeItem id=\"1\" group=\"1\" field=\"duedate\" newvalue=\"2014-06-24\" newstring=\"2014-06-24 00:00:00.0\" oldstring=\"2014-06-01 10:00:00.0\"/>\n\
                <CustomField id=\"10300\" customfieldtypekey=\"com.atlassian.jira.plugin.system.customfieldtypes:datepicker\" name=\"Start\"/>\n\
                <CustomField id=\"10301\" customfieldtypekey=\"com.atlassian.jira.plugin.system.customfieldtypes:datetime\" name=\"Go live\"/>\n\
                <CustomFieldValue id=\"1\" issue=\"1\" customfield=\"10300\" datevalue=\"2019-07-03 00:00:00.0\"/>\n\
                <CustomFieldValue id=\"2\" issue=\"1\" customfield=\"10301\" datevalue=\"2019-07-03 00:00:00.0\" updated=\"1624508495715\"/>\n\
                <Issue id=\"1\" created=\"2019-07-01 14:00:00.0\" duedate=\"2019-07-05 00:00:00.0\">\n\
                <description><![CDATA[deploy at 2019-07-01 14:00:00.0 sharp]]></description>\n\
                <summary>2019-07-01 14:00:00.0</summary>\n\
                </Issue>\n\
                <!-- 2019-07-01 14:00:00.0 -->\n\
                <OSPropertyString id=\"7\" value=\"2021-07-13 10:37:40\"/>\n\
                <Version id=\"1\" startdate=\"2014-09-01 00:00:00.0\" releasedate=\"2014-09-30 00:00:00.0\"/>\n";
    let (out, report) = fixed(&jira(rows), &with_tz("Europe/Berlin"));
    let input = jira(rows);
    // Only the datetime custom field's value and Issue.created move.
    assert!(
        out.contains(
            "customfield=\"10301\" datevalue=\"2019-07-02 22:00:00.0\" updated=\"1624508495715\""
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "<Issue id=\"1\" created=\"2019-07-01 12:00:00.0\" duedate=\"2019-07-05 00:00:00.0\">"
        ),
        "{out}"
    );
    let restored = out
        .replace(
            "2019-07-02 22:00:00.0\" updated",
            "2019-07-03 00:00:00.0\" updated",
        )
        .replace(
            "created=\"2019-07-01 12:00:00.0\" duedate",
            "created=\"2019-07-01 14:00:00.0\" duedate",
        );
    assert_eq!(restored, input, "anything else changed");
    let t = report.timestamps.unwrap();
    assert_eq!(t.kept_date_only["CustomFieldValue.datevalue"], 1);
    assert_eq!(t.kept_date_only["Issue.duedate"], 1);
    assert_eq!(t.kept_date_only["Version.startdate"], 1);
    assert_eq!(t.kept_strings["ChangeItem.newstring"], 1);
    assert_eq!(t.kept_strings["OSPropertyString.value"], 1);
}

#[test]
fn daylight_saving_gaps_and_overlaps_follow_java_in_east_and_west_zones() {
    let cases = [
        (
            "Europe/Berlin",
            "2019-03-31 02:30:00.0",
            "2019-03-31 01:30:00.0",
            true,
        ),
        (
            "Europe/Berlin",
            "2019-10-27 02:30:00.0",
            "2019-10-27 00:30:00.0",
            false,
        ),
        (
            "America/Sao_Paulo",
            "2018-11-04 00:30:00.0",
            "2018-11-04 03:30:00.0",
            true,
        ),
        (
            "America/Sao_Paulo",
            "2019-02-16 23:30:00.0",
            "2019-02-17 01:30:00.0",
            false,
        ),
    ];
    for (zone, local, utc, gap) in cases {
        let rows = format!("<ChangeGroup id=\"42\" created=\"{local}\"/>\n");
        let (out, report) = fixed(&jira(&rows), &with_tz(zone));
        assert!(
            out.contains(&format!("created=\"{utc}\"")),
            "{zone} {local}: {out}"
        );
        let t = report.timestamps.unwrap();
        let (hit, miss) = if gap {
            (&t.gaps, &t.overlaps)
        } else {
            (&t.overlaps, &t.gaps)
        };
        assert_eq!((hit.count, miss.count), (1, 0), "{zone} {local}");
        let case = &hit.first[0];
        assert_eq!(
            (
                case.element.as_str(),
                case.id.as_deref(),
                case.field.as_str(),
                case.local.as_str(),
                case.utc.as_str()
            ),
            ("ChangeGroup", Some("42"), "created", local, utc)
        );
    }
    // A half-hour zone.
    let (out, _) = fixed(
        &jira("<Action id=\"1\" created=\"2020-01-01 05:30:00.0\"/>\n"),
        &with_tz("Asia/Kolkata"),
    );
    assert!(out.contains("created=\"2020-01-01 00:00:00.0\""), "{out}");
}

#[test]
fn the_backups_own_zone_statements_become_utc() {
    let input = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!--\n    JIRA Build : 8.5.0#805000-sha1:x\n    jvm.system.timezone : America/Sao_Paulo\n-->\n<entity-engine-xml>\n\
                 <OSPropertyEntry id=\"10001\" entityName=\"jira.properties\" entityId=\"1\" propertyKey=\"jvm.system.timezone\" type=\"5\"/>\n\
                 <OSPropertyEntry id=\"10002\" entityName=\"jira.properties\" entityId=\"1\" propertyKey=\"jira.title\" type=\"5\"/>\n\
                 <OSPropertyString id=\"10001\" value=\"America/Sao_Paulo\"/>\n\
                 <OSPropertyString id=\"10002\" value=\"America/Sao_Paulo\"/>\n\
                 </entity-engine-xml>\n";
    let (out, report) = fixed(input, &Options::default().tz(TzChoice::Auto));
    assert!(out.contains("    jvm.system.timezone : UTC\n"), "{out}");
    assert!(
        out.contains("<OSPropertyString id=\"10001\" value=\"UTC\"/>"),
        "{out}"
    );
    assert!(
        out.contains("<OSPropertyString id=\"10002\" value=\"America/Sao_Paulo\"/>"),
        "{out}"
    );
    let t = report.timestamps.unwrap();
    assert_eq!(t.zone, "America/Sao_Paulo");
    assert_eq!(t.zone_source, "the header comment's jvm.system.timezone");
    assert_eq!(t.zone_markers.len(), 2, "{:?}", t.zone_markers);
    // The fixed backup now says UTC: auto on it changes no timestamp.
    let (again, report2) =
        fix_bytes(out.as_bytes(), &Options::default().tz(TzChoice::Auto)).unwrap();
    assert_eq!(String::from_utf8(again).unwrap(), out);
    assert_eq!(report2.timestamps.unwrap().zone, "UTC");
}

#[test]
fn an_explicit_zone_on_a_backup_that_states_utc_is_refused_unless_overridden() {
    let input = jira("<Action id=\"1\" created=\"2019-07-01 14:00:00.0\"/>\n")
        .replace("-->", "    jvm.system.timezone : UTC\n-->");
    let err = fix_bytes(input.as_bytes(), &with_tz("Europe/Berlin")).unwrap_err();
    assert!(matches!(err, Error::ZoneAlreadyUtc { .. }), "{err}");
    assert!(err.is_usage());
    assert!(err.to_string().contains("--tz-ignore-stated"), "{err}");
    // Stated late, in the properties, it is refused all the same.
    let late = jira(
        "<Action id=\"1\" created=\"2019-07-01 14:00:00.0\"/>\n\
         <OSPropertyEntry id=\"9\" propertyKey=\"jvm.system.timezone\"/>\n\
         <OSPropertyString id=\"9\" value=\"Etc/UTC\"/>\n",
    );
    let err = fix_bytes(late.as_bytes(), &with_tz("Europe/Berlin")).unwrap_err();
    assert!(matches!(err, Error::ZoneAlreadyUtc { .. }), "{err}");
    // The override shifts, and the report still warns.
    let (out, report) = fixed(&input, &with_tz("Europe/Berlin").tz_ignore_stated(true));
    assert!(out.contains("created=\"2019-07-01 12:00:00.0\""));
    assert!(report.to_string().contains("shifted it twice"));
    let t = report.timestamps.unwrap();
    assert_eq!(t.stated_zone.as_deref(), Some("UTC"));
    // A stated zone other than UTC is the user's call: converted, with the warning.
    let other = input.replace("timezone : UTC", "timezone : America/New_York");
    let (out, report) = fixed(&other, &with_tz("Europe/Berlin"));
    assert!(out.contains("created=\"2019-07-01 12:00:00.0\""));
    assert!(report.to_string().contains("shifted it twice"));
}

#[test]
fn auto_reads_the_zone_from_properties_with_a_first_pass_and_fails_clearly_without_one() {
    let input = jira(
        "<Action id=\"1\" created=\"2019-07-01 14:00:00.0\"/>\n\
         <OSPropertyEntry id=\"9\" propertyKey=\"jvm.system.timezone\"/>\n\
         <OSPropertyString id=\"9\" value=\"Europe/Berlin\"/>\n",
    );
    let options = Options::default().tz(TzChoice::Auto);
    // One pass cannot know the zone at the first timestamp: a clear error naming the flag.
    let err = fix_bytes(input.as_bytes(), &options).unwrap_err();
    assert!(matches!(err, Error::MissingFact { .. }), "{err}");
    assert!(err.to_string().contains("--tz ZONE"), "{err}");
    // With a first pass, it is known.
    let facts = scan_facts(input.as_bytes(), &options).unwrap();
    assert_eq!(
        facts.zone.as_ref().unwrap().source,
        "the jvm.system.timezone property"
    );
    let mut fixer = backup_fix::Fixer::with_facts(options.clone(), facts).unwrap();
    let mut out = Vec::new();
    fixer.write(input.as_bytes(), &mut out).unwrap();
    fixer.finish(&mut out).unwrap();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("created=\"2019-07-01 12:00:00.0\"")
    );
    // A backup that states no zone at all.
    let silent = jira("<Action id=\"1\" created=\"2019-07-01 14:00:00.0\"/>\n");
    let facts = scan_facts(silent.as_bytes(), &options).unwrap();
    let err = backup_fix::Fixer::with_facts(options, facts)
        .err()
        .expect("no zone");
    assert!(err.to_string().contains("--tz ZONE"), "{err}");
}

#[test]
fn one_checked_config_serves_many_fixers_as_with_facts_would() {
    let input = jira(
        "<Action id=\"1\" created=\"2019-07-01 14:00:00.0\" body=\"http://jira.corp:8080/browse/A-1\"/>\n\
         <OSPropertyEntry id=\"9\" propertyKey=\"jvm.system.timezone\"/>\n\
         <OSPropertyString id=\"9\" value=\"Europe/Berlin\"/>\n\
         <OSPropertyEntry id=\"10\" propertyKey=\"jira.baseurl\"/>\n\
         <OSPropertyString id=\"10\" value=\"http://jira.corp:8080\"/>\n",
    );
    let options = Options::default()
        .tz(TzChoice::Auto)
        .cloud_url("https://acme.atlassian.net");
    let facts = scan_facts(input.as_bytes(), &options).unwrap();
    let run = |mut fixer: backup_fix::Fixer| {
        let mut out = Vec::new();
        fixer.write(input.as_bytes(), &mut out).unwrap();
        let report = fixer.finish(&mut out).unwrap();
        (String::from_utf8(out).unwrap(), report)
    };
    let expected = run(backup_fix::Fixer::with_facts(options.clone(), facts.clone()).unwrap());
    assert!(expected.0.contains("created=\"2019-07-01 12:00:00.0\""));
    assert!(expected.0.contains("https://acme.atlassian.net/browse/A-1"));
    let config = FixConfig::with_facts(&options, facts).unwrap();
    // Each fixer starts afresh: the second's counts are not the sum of both.
    for _ in 0..2 {
        assert_eq!(run(backup_fix::Fixer::from_config(&config)), expected);
    }
    // Shared across threads, as the entries of a zip are.
    std::thread::scope(|s| {
        let config = config.clone();
        let run = &run;
        let expected = &expected;
        s.spawn(move || assert_eq!(&run(backup_fix::Fixer::from_config(&config)), expected));
    });
    // What cannot work fails when the configuration is checked.
    let silent = jira("<Action id=\"1\" created=\"2019-07-01 14:00:00.0\"/>\n");
    let facts = scan_facts(silent.as_bytes(), &options).unwrap();
    let err = FixConfig::with_facts(&options, facts).unwrap_err();
    assert!(matches!(err, Error::MissingFact { .. }), "{err}");
}

#[test]
fn unknown_zones_are_refused() {
    assert!(matches!(
        TzChoice::parse("Europe/Atlantis"),
        Err(Error::UnknownZone { .. })
    ));
    let input = jira("<Action id=\"1\" created=\"2019-07-01 14:00:00.0\"/>\n")
        .replace("-->", "    jvm.system.timezone : Europe/Atlantis\n-->");
    let err = fix_bytes(input.as_bytes(), &Options::default().tz(TzChoice::Auto)).unwrap_err();
    assert!(err.to_string().contains("Europe/Atlantis"), "{err}");
}

#[test]
fn confluence_property_text_shifts_and_active_objects_do_not() {
    let conf = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hibernate-generic datetime=\"2016-05-10 17:04:43\">\n\
                <object class=\"Page\" package=\"com.atlassian.confluence.pages\">\n<id name=\"id\">98361</id>\n\
                <property name=\"title\"><![CDATA[2016-05-10 15:00:02.910]]></property>\n\
                <property name=\"creationDate\">2016-05-10 15:00:02.910</property>\n\
                <property name=\"lastModificationDate\">2016-03-27 02:30:00.000</property>\n\
                <property name=\"version\">1</property>\n\
                <property name=\"space\" class=\"Space\"><id name=\"id\">131074</id></property>\n\
                </object>\n</hibernate-generic>\n";
    let (out, report) = fixed(conf, &with_tz("Europe/Berlin"));
    assert!(
        out.contains("<property name=\"creationDate\">2016-05-10 13:00:02.910</property>"),
        "{out}"
    );
    assert!(
        out.contains("<property name=\"lastModificationDate\">2016-03-27 01:30:00.000</property>"),
        "{out}"
    );
    assert!(
        out.contains("<![CDATA[2016-05-10 15:00:02.910]]>"),
        "CDATA is a string: {out}"
    );
    let t = report.timestamps.unwrap();
    assert_eq!(t.shifted["Page.creationDate"], 1);
    assert_eq!(t.gaps.first[0].id.as_deref(), Some("98361"));
    let ao = "<backup xmlns=\"http://www.atlassian.com/ao\"><data tableName=\"AO_X\"><row><timestamp>2014-09-03T05:44:15.200Z</timestamp><string>2014-09-03 05:44:15.2</string></row></data></backup>";
    let (out, report) = fixed(ao, &with_tz("Europe/Berlin"));
    assert_eq!(out, ao);
    assert_eq!(report.timestamps.unwrap().shifted.len(), 0);
}

#[test]
fn the_real_confluence_export_shifts_and_still_parses() {
    let xml = support::zip_entry(&support::corpus("5.9.zip"), "entities.xml");
    let (out, report) = fixed_bytes(&xml, &with_tz("Europe/Berlin"));
    let t = report.timestamps.unwrap();
    assert!(t.shifted["Page.creationDate"] > 0, "{:?}", t.shifted);
    // May in Berlin is UTC+2.
    let before = String::from_utf8_lossy(&xml)
        .matches("\">2016-05-10 15:00:0")
        .count();
    let after = String::from_utf8_lossy(&out)
        .matches("\">2016-05-10 13:00:0")
        .count();
    assert!(before > 0 && after == before, "{before} {after}");
    // Timestamp-shaped text inside CDATA stays as written.
    assert!(String::from_utf8_lossy(&out).contains("<date>2016-05-10 15:00:09.649 UTC</date>"));
    if let Some(results) = sax_bytes(&[&out]) {
        assert_eq!(results, vec![support::Sax::Ok]);
    }
}

fn fixed_bytes(input: &[u8], options: &Options) -> (Vec<u8>, backup_fix::Report) {
    // Whole, and in 7-byte pieces: both must agree.
    let whole = support::fix_split_with(input, &[], options).expect("repairs");
    let cuts: Vec<usize> = (7..input.len()).step_by(7).collect();
    let split = support::fix_split_with(input, &cuts, options).expect("repairs");
    assert_eq!(whole, split);
    whole
}
