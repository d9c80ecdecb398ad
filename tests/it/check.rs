//! `check`: one finding per fixture, the real corpus, and agreement with the
//! JDK's SAX parser on broken files.

use crate::support;

use backup_fix::check::{CheckReport, Severity, check_xml_stream};
use support::{Sax, finding_codes as codes, sax_bytes};

fn check(xml: &str) -> CheckReport {
    check_xml_stream("entities.xml", xml.as_bytes()).expect("check runs")
}

fn jira(header: &str, rows: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!--\n{header}-->\n<entity-engine-xml>\n{rows}</entity-engine-xml>\n"
    )
}

fn user(name: &str, email: &str) -> String {
    format!(
        "    <User id=\"1\" directoryId=\"1\" userName=\"{name}\" lowerUserName=\"{name}\" emailAddress=\"{email}\"/>\n"
    )
}

const CURRENT: &str = "    JIRA Build : 8.20.0#820000-sha1:x\n";

#[test]
fn a_clean_current_backup_passes() {
    let r = check(&jira(CURRENT, &user("jane", "jane@acme.com")));
    assert_eq!(codes(&r, Severity::Error), Vec::<&str>::new());
    assert_eq!(codes(&r, Severity::Warning), Vec::<&str>::new());
    assert!(!r.blocks_import());
    assert_eq!(r.users.total, 1);
    assert_eq!(r.users.domains, vec![("acme.com".to_string(), 1)]);
}

#[test]
fn each_user_problem_is_an_error_on_its_own() {
    for (rows, code) in [
        (user("john", "john@company"), "email-no-tld"),
        (user("x", "x@example.com"), "email-reserved-domain"),
        (user("x", "x@build.test"), "email-reserved-domain"),
        (user("x", "x@localhost"), "email-reserved-domain"),
        (
            user(&"y".repeat(3), &format!("{}@acme.com", "l".repeat(65))),
            "email-local-part-too-long",
        ),
        (
            user("addon_jira-slack", "bot@acme.com"),
            "reserved-username",
        ),
        (
            user("a", "Jane@Acme.com") + &user("b", "jane@acme.com"),
            "email-duplicate",
        ),
    ] {
        let r = check(&jira(CURRENT, &rows));
        assert_eq!(codes(&r, Severity::Error), vec![code], "{rows}");
        assert!(r.blocks_import());
    }
    let r = check(&jira(CURRENT, &user("nomail", "")));
    assert_eq!(codes(&r, Severity::Warning), vec!["email-missing"]);
    assert!(!r.blocks_import());
}

#[test]
fn groups_that_are_not_migrated_are_counted_with_their_members() {
    let rows = "    <Group id=\"1\" groupName=\"site-admins\" lowerGroupName=\"site-admins\"/>\n\
                <Group id=\"2\" groupName=\"jira-administrators\" lowerGroupName=\"jira-administrators\"/>\n\
                <Membership id=\"1\" parentId=\"1\" childId=\"5\" membershipType=\"GROUP_USER\" parentName=\"site-admins\" lowerParentName=\"site-admins\" childName=\"a\"/>\n\
                <Membership id=\"2\" parentId=\"1\" childId=\"6\" membershipType=\"GROUP_USER\" parentName=\"site-admins\" lowerParentName=\"site-admins\" childName=\"b\"/>\n\
                <Membership id=\"3\" parentId=\"2\" childId=\"6\" membershipType=\"GROUP_USER\" parentName=\"jira-administrators\" lowerParentName=\"jira-administrators\" childName=\"b\"/>\n";
    let r = check(&jira(CURRENT, rows));
    let not_migrated: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.code == "group-not-migrated")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        not_migrated,
        vec!["group site-admins (2 members) is not migrated"]
    );
    assert!(
        r.findings
            .iter()
            .any(|f| f.code == "group-renamed" && f.message.contains("becomes administrators"))
    );
}

#[test]
fn global_shares_are_counted_per_entity_type_with_the_fix_flag() {
    let rows = "    <SharePermissions id=\"1\" entityId=\"1\" entityType=\"PortalPage\" type=\"global\"/>\n\
                <SharePermissions id=\"2\" entityId=\"2\" entityType=\"SearchRequest\" type=\"global\"/>\n\
                <SharePermissions id=\"3\" entityId=\"3\" entityType=\"SearchRequest\" type=\"global\"/>\n\
                <SharePermissions id=\"4\" entityId=\"4\" entityType=\"SearchRequest\" type=\"group\" param1=\"x\"/>\n";
    let r = check(&jira(CURRENT, rows));
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "global-shares")
        .expect("finding");
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.count, 3);
    assert_eq!(f.examples, vec!["PortalPage 1", "SearchRequest 2"]);
    assert!(
        f.fix
            .as_deref()
            .unwrap()
            .contains("--restrict-global-shares")
    );
}

#[test]
fn old_jira_builds_get_the_tz_flag_to_use() {
    let r = check(&jira(
        "    JIRA Build : 7.10.0#710001-sha1:x\n    jvm.system.timezone : Europe/Berlin\n",
        "",
    ));
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "local-timestamps")
        .unwrap();
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.fix
            .as_deref()
            .unwrap()
            .contains("--tz auto (the backup states Europe/Berlin"),
        "{:?}",
        f.fix
    );
    let r = check(&jira("    JIRA Build : 6.4.12#64027-sha1:x\n", ""));
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "local-timestamps")
        .unwrap();
    assert!(
        f.fix.as_deref().unwrap().contains("--tz ZONE"),
        "{:?}",
        f.fix
    );
    let r = check(&jira("    JIRA Build : 7.13.1#713001-sha1:x\n", ""));
    assert!(r.findings.iter().any(|f| f.code == "utc-timestamps"));
}

#[test]
fn the_base_url_is_found_and_the_flag_suggested() {
    let r = check(&jira("    jira.baseurl : http://jira.corp:8080\n", ""));
    let f = r.findings.iter().find(|f| f.code == "base-url").unwrap();
    assert!(f.message.contains("http://jira.corp:8080"));
    assert!(f.fix.as_deref().unwrap().contains("--cloud-url"));
}

#[test]
fn a_base_url_already_on_a_cloud_site_needs_no_remapping() {
    for url in [
        "https://acme.atlassian.net",
        "https://ACME.Atlassian.NET:443/jira",
    ] {
        let r = check(&jira(&format!("    jira.baseurl : {url}\n"), ""));
        let f = r.findings.iter().find(|f| f.code == "cloud-base-url");
        let f = f.unwrap_or_else(|| panic!("{url}: {r}"));
        assert!(f.fix.is_none(), "{url}");
        assert!(!r.findings.iter().any(|f| f.code == "base-url"));
    }
    // A look-alike host is not a cloud site.
    let r = check(&jira(
        "    jira.baseurl : http://atlassian.net.corp.example:8080\n",
        "",
    ));
    assert!(r.findings.iter().any(|f| f.code == "base-url"), "{r}");
}

#[test]
fn the_two_broken_corpus_files_are_reported_where_java_reports_them() {
    for (file, line, column) in [
        ("asciichar28/entities.xml", 56, 41),
        ("cdatazerowidthspace/entities.xml", 27, 86),
    ] {
        let path = support::corpus(file);
        let r = backup_fix::check::check_path(&path).unwrap();
        let x = &r.files[0];
        assert!(!x.well_formed);
        assert!(x.fix_cures_all, "{file}");
        let e = x.first_error.as_ref().unwrap();
        assert_eq!(
            (e.location.line, e.location.column),
            (line, column),
            "{file}"
        );
        assert!(e.fix_cures);
        assert!(r.blocks_import());
        if let Some(sax) = support::sax(&[&path]) {
            match &sax[0] {
                Sax::Error {
                    line: l, column: c, ..
                } => assert_eq!((*l, *c), (line, column)),
                Sax::Ok => panic!("the JDK accepted {file}"),
            }
        }
    }
}

#[test]
fn the_real_confluence_export_audit() {
    let xml = support::zip_entry(&support::corpus("5.9.zip"), "entities.xml");
    let r = check_xml_stream("entities.xml", &xml[..]).unwrap();
    assert_eq!(r.spaces, vec!["ds"]);
    assert_eq!(r.users.total, 2);
    assert!(r.files[0].well_formed);
    let groups: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.code == "group-not-migrated")
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        groups.contains(&"group site-admins (1 member) is not migrated"),
        "{groups:?}"
    );
    assert_eq!(
        r.backup.base_url.as_ref().unwrap().value,
        "http://localhost:8080"
    );
    assert!(!r.blocks_import());
}

/// Broken files of every kind: the verdict (accept or reject) must agree with
/// the JDK's SAX parser, and so must the line of the first error (and the
/// column, for invalid characters).
#[test]
fn verdicts_agree_with_the_jdk_sax_parser() {
    let cases: &[&str] = &[
        "<r>\n<a>text\n",
        "<r>\n<a x=\"1\"",
        "<r>\n<a>\n</b>\n</r>",
        "<r>\n</r>\n</r>",
        "<r>\n&nbsp;\n</r>",
        "<r>\nAT&T\n</r>",
        "<r>\n&#1;\n</r>",
        "<r>\n<a x=\"&#x1c;\"/>\n</r>",
        "<r>\n<a\u{1}b/>\n</r>",
        "<r>\n<a x=\"1\u{8}\"/>\n</r>",
        "<r>\ntext \u{1c} here\n</r>",
        "<r>\n<!-- comment \u{1b} -->\n</r>",
        "<r>\n<![CDATA[\u{2}]]>\n</r>",
        "<r>\n<a x=\"1\" x=\"2\"/>\n</r>",
        "<r>\n<a x=\"<\"/>\n</r>",
        "<r>\n<!-- a -- b -->\n</r>",
        "<r>\n]]>\n</r>",
        "<r/>\n<s/>",
        "text\n<r/>",
        "<r>\n<1a/>\n</r>",
        "<?xml version=\"1.0\"?>\n<r>\n<?xml version=\"1.0\"?>\n</r>",
        "<r>\n<a>\u{1F600} ok</a>\n</r>",
        "<r>\n<a>&#x1F600; &#233; &#x9;</a>\n</r>",
    ];
    let docs: Vec<&[u8]> = cases.iter().map(|c| c.as_bytes()).collect();
    let Some(sax) = sax_bytes(&docs) else {
        return;
    };
    for (case, java) in cases.iter().zip(sax) {
        let r = check(case);
        let ours = &r.files[0];
        match java {
            Sax::Ok => assert!(
                ours.well_formed,
                "{case:?}: java accepts, we say {:?}",
                ours.first_error
            ),
            Sax::Error {
                line,
                column,
                message,
            } => {
                let e = ours
                    .first_error
                    .as_ref()
                    .unwrap_or_else(|| panic!("{case:?}: java rejects ({message}), we accept"));
                assert_eq!(
                    e.location.line, line,
                    "{case:?}: java says {line}:{column} {message}; we say {} {}",
                    e.location, e.message
                );
                if message.contains("invalid XML character") && !message.contains("reference") {
                    assert_eq!(e.location.column, column, "{case:?}: java says {message}");
                }
            }
        }
    }
}

fn member(
    id: u32,
    parent: u32,
    child: u32,
    kind: &str,
    group: &str,
    name: &str,
    dir: u32,
) -> String {
    format!(
        "    <Membership id=\"{id}\" parentId=\"{parent}\" childId=\"{child}\" membershipType=\"{kind}\" lowerParentName=\"{group}\" lowerChildName=\"{name}\" directoryId=\"{dir}\"/>\n"
    )
}

const GROUPS_AND_USERS: (&str, &str) = (
    "    <Group id=\"10\" groupName=\"g\" lowerGroupName=\"g\" directoryId=\"1\"/>\n    \
     <Group id=\"11\" groupName=\"h\" lowerGroupName=\"h\" directoryId=\"1\"/>\n",
    "    <User id=\"20\" directoryId=\"1\" userName=\"jane\" lowerUserName=\"jane\" emailAddress=\"jane@acme.com\"/>\n    \
     <User id=\"30\" directoryId=\"2\" userName=\"jane\" lowerUserName=\"jane\" emailAddress=\"jane@acme.com\"/>\n",
);

fn with_memberships(rows: &[String]) -> String {
    let (groups, users) = GROUPS_AND_USERS;
    jira(CURRENT, &format!("{groups}{}{users}", rows.concat()))
}

fn finding<'a>(r: &'a CheckReport, code: &str) -> &'a backup_fix::check::Finding {
    r.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:?}", r.findings))
}

#[test]
fn correct_memberships_and_one_name_in_two_directories_pass() {
    let r = check(&with_memberships(&[
        member(1, 10, 20, "GROUP_USER", "g", "jane", 1),
        member(2, 11, 10, "GROUP_GROUP", "h", "g", 1),
    ]));
    assert_eq!(codes(&r, Severity::Error), Vec::<&str>::new());
    assert_eq!(codes(&r, Severity::Warning), Vec::<&str>::new());
}

#[test]
fn stale_and_duplicate_membership_ids_are_errors_naming_the_repair() {
    let r = check(&with_memberships(&[
        member(1, 10, 99, "GROUP_USER", "g", "jane", 1),
        member(2, 10, 99, "GROUP_USER", "g", "jane", 1),
        member(3, 11, 11, "GROUP_GROUP", "h", "g", 1),
    ]));
    assert_eq!(
        codes(&r, Severity::Error),
        vec!["membership-stale-ids", "membership-duplicate-ids"]
    );
    let stale = finding(&r, "membership-stale-ids");
    assert_eq!(stale.count, 3);
    assert!(
        stale.examples[0].starts_with("Membership id=1:"),
        "{stale:?}"
    );
    assert!(
        stale
            .fix
            .as_deref()
            .unwrap()
            .contains("--repair-memberships")
    );
    let dup = finding(&r, "membership-duplicate-ids");
    assert_eq!(
        (dup.count, dup.examples.clone()),
        (1, vec!["Membership id=2".to_string()])
    );
}

#[test]
fn memberships_of_missing_groups_or_members_are_warnings() {
    let r = check(&with_memberships(&[
        member(1, 10, 20, "GROUP_USER", "g", "ghost", 1),
        member(2, 12, 20, "GROUP_USER", "gone", "jane", 1),
    ]));
    assert_eq!(codes(&r, Severity::Error), Vec::<&str>::new());
    assert_eq!(codes(&r, Severity::Warning), vec!["membership-dangling"]);
    let f = finding(&r, "membership-dangling");
    assert_eq!(
        f.examples,
        [
            "Membership id=1: no such member",
            "Membership id=2: no such group"
        ]
    );
}

#[test]
fn the_same_user_twice_in_one_directory_is_an_error() {
    let rows = "    <User id=\"20\" directoryId=\"1\" userName=\"jane\" lowerUserName=\"jane\" emailAddress=\"jane@acme.com\"/>\n    \
                <User id=\"21\" directoryId=\"1\" userName=\"Jane\" lowerUserName=\"jane\" emailAddress=\"jane@acme.com\"/>\n";
    let r = check(&jira(CURRENT, rows));
    assert_eq!(
        codes(&r, Severity::Error),
        vec!["user-duplicate-in-directory"]
    );
    let f = finding(&r, "user-duplicate-in-directory");
    assert_eq!(f.examples, ["jane in directory 1 (user id 21)"]);
}

#[test]
fn duplicate_emails_count_users_distinct_by_name_first() {
    // jane in two directories with one address: one user, no duplicate.
    let (_, users) = GROUPS_AND_USERS;
    let r = check(&jira(CURRENT, users));
    assert_eq!(codes(&r, Severity::Error), Vec::<&str>::new());
    // A different name with that address is a duplicate.
    let r = check(&jira(
        CURRENT,
        &format!("{users}{}", user("jdoe", "JANE@acme.com")),
    ));
    assert_eq!(codes(&r, Severity::Error), vec!["email-duplicate"]);
    assert_eq!(
        finding(&r, "email-duplicate").examples,
        ["jane@acme.com (2 users)"]
    );
}

fn build(version: &str) -> String {
    format!("    JIRA Build : {version}#1-sha1:x\n    jvm.system.timezone : Europe/Berlin\n")
}

#[test]
fn jira_before_7_is_an_error_naming_the_upgrade() {
    let r = check(&jira(&build("6.3.6"), ""));
    assert_eq!(codes(&r, Severity::Error), vec!["jira-version-unsupported"]);
    let f = finding(&r, "jira-version-unsupported");
    assert_eq!(f.count, 1);
    assert!(
        f.message
            .contains("the server must be upgraded before migrating"),
        "{f:?}"
    );
    assert!(f.fix.as_deref().unwrap().contains("upgrade"), "{f:?}");
    // The timestamp warning stays beside it.
    assert_eq!(codes(&r, Severity::Warning), vec!["local-timestamps"]);
    assert!(r.blocks_import());
}

#[test]
fn jira_from_7_0_to_7_6_is_a_warning() {
    let r = check(&jira(&build("7.2.0"), ""));
    assert_eq!(codes(&r, Severity::Error), Vec::<&str>::new());
    assert_eq!(
        codes(&r, Severity::Warning),
        vec!["jira-version-unguaranteed", "local-timestamps"]
    );
    assert!(
        finding(&r, "jira-version-unguaranteed")
            .message
            .contains("may work but is no longer guaranteed")
    );
    // 7.6.0 is past the gate, and still before 7.13.1.
    let r = check(&jira(&build("7.6.0"), ""));
    assert_eq!(codes(&r, Severity::Warning), vec!["local-timestamps"]);
}

#[test]
fn a_current_jira_passes_the_gate_and_states_its_zone() {
    let r = check(&jira(&build("8.5.0"), ""));
    assert_eq!(codes(&r, Severity::Error), Vec::<&str>::new());
    assert_eq!(codes(&r, Severity::Warning), Vec::<&str>::new());
    let zone = finding(&r, "server-zone");
    assert_eq!(zone.severity, Severity::Pass);
    assert!(zone.message.contains("Europe/Berlin"), "{zone:?}");
    assert!(r.findings.iter().any(|f| f.code == "utc-timestamps"));
}

fn project(id: u32, key: &str) -> String {
    format!("    <Project id=\"{id}\" pname=\"P{id}\" key=\"{key}\"/>\n")
}

#[test]
fn project_keys_over_ten_characters_are_a_warning() {
    let rows = [
        project(10000, "ABCDEFGHIJ"),
        project(10001, "ABCDEFGHIJK"),
        project(10002, "ÄBCDEFGHIJ"),
        project(10003, "LONGPROJECTKEY"),
    ]
    .concat();
    let r = check(&jira(CURRENT, &rows));
    assert_eq!(codes(&r, Severity::Error), Vec::<&str>::new());
    assert_eq!(codes(&r, Severity::Warning), vec!["project-key-too-long"]);
    let f = finding(&r, "project-key-too-long");
    assert_eq!(f.count, 2);
    assert_eq!(
        f.examples,
        [
            "Project id=10001 key=ABCDEFGHIJK",
            "Project id=10003 key=LONGPROJECTKEY"
        ]
    );
    assert!(f.fix.as_deref().unwrap().contains("rename the project key"));
}

fn long_text_codes(r: &CheckReport) -> Vec<(String, u64)> {
    r.findings
        .iter()
        .filter(|f| f.code == "text-too-long")
        .map(|f| {
            assert_eq!(f.severity, Severity::Warning);
            (f.message.split(':').next().unwrap().to_string(), f.count)
        })
        .collect()
}

#[test]
fn texts_over_the_cloud_limit_are_counted_by_entity_and_field() {
    let long = "x".repeat(32_768);
    let rows = format!(
        "    <Issue id=\"1\" project=\"1\" summary=\"s\"><description><![CDATA[{long}]]></description></Issue>\n\
         <Issue id=\"2\" project=\"1\" summary=\"s\"><description>{short}</description><environment><![CDATA[{half}]]>{half}<![CDATA[x]]></environment></Issue>\n\
         <Action id=\"3\" issue=\"1\" type=\"comment\" body=\"{long}\"/>\n\
         <Action id=\"4\" issue=\"1\" type=\"comment\"><body>{long}</body></Action>\n\
         <CustomFieldValue id=\"5\" issue=\"1\" textvalue=\"{long}\"/>\n",
        short = "y".repeat(32_767),
        half = "z".repeat(16_384),
    );
    let r = check(&jira(CURRENT, &rows));
    assert_eq!(codes(&r, Severity::Error), Vec::<&str>::new());
    assert_eq!(
        long_text_codes(&r),
        [
            ("Action.body".to_string(), 2),
            ("CustomFieldValue.textvalue".to_string(), 1),
            ("Issue.description".to_string(), 1),
            ("Issue.environment".to_string(), 1),
        ]
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.message.starts_with("Action.body"))
        .unwrap();
    assert_eq!(
        f.examples,
        [
            "Action id=3 (32768 characters)",
            "Action id=4 (32768 characters)"
        ]
    );
    assert!(f.message.contains("refused when edited in the cloud"));
}

#[test]
fn the_text_limit_counts_characters_not_bytes() {
    // 32,767 two-byte characters (65,534 bytes) fit; 32,768 do not.
    for (n, flagged) in [(32_767, false), (32_768, true)] {
        let text = "é".repeat(n);
        let refs = "&amp;".repeat(n);
        let rows = format!(
            "    <Issue id=\"1\" project=\"1\" summary=\"{text}\"><description><![CDATA[{text}]]></description><environment>{refs}</environment></Issue>\n\
             <Action id=\"2\" issue=\"1\" body=\"{refs}\"/>\n"
        );
        let r = check(&jira(CURRENT, &rows));
        let found = long_text_codes(&r);
        if flagged {
            assert_eq!(
                found,
                [
                    ("Action.body".to_string(), 1),
                    ("Issue.description".to_string(), 1),
                    ("Issue.environment".to_string(), 1),
                    ("Issue.summary".to_string(), 1),
                ]
            );
        } else {
            assert_eq!(found, [], "{n} characters");
        }
    }
}

/// Reads at most a few bytes at a time, so that texts arrive in many pieces.
struct Trickle<'a>(&'a [u8], usize);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.1).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn element_text_in_many_pieces_is_counted_whole() {
    for (n, flagged) in [(32_767, false), (32_768, true)] {
        // References count as one character in text, not in CDATA.
        let text = "é&amp;".repeat(n / 2) + if n % 2 == 1 { "€" } else { "" };
        let cdata = "é€".repeat(n / 2) + if n % 2 == 1 { "😀" } else { "" };
        let xml = jira(
            CURRENT,
            &format!(
                "    <Issue id=\"7\" project=\"1\"><description>{text}</description><environment><![CDATA[{cdata}]]></environment></Issue>\n"
            ),
        );
        for step in [7, 997] {
            let r = check_xml_stream("entities.xml", Trickle(xml.as_bytes(), step)).unwrap();
            let found = long_text_codes(&r);
            if flagged {
                assert_eq!(
                    found,
                    [
                        ("Issue.description".to_string(), 1),
                        ("Issue.environment".to_string(), 1)
                    ],
                    "{step}"
                );
            } else {
                assert_eq!(found, [], "{n} characters, {step}-byte reads");
            }
        }
    }
}

#[test]
fn issues_over_the_per_issue_guards_are_warnings_by_kind() {
    let mut rows = String::new();
    let mut id = 100_000;
    let mut row = |rows: &mut String, text: String| {
        id += 1;
        rows.push_str(&text.replace("ID", &id.to_string()));
    };
    for (issue, n) in [(10, 5_001), (11, 5_000)] {
        for _ in 0..n {
            row(
                &mut rows,
                format!("    <Action id=\"ID\" issue=\"{issue}\" type=\"comment\" body=\"b\"/>\n"),
            );
        }
    }
    // Other actions are not comments.
    for _ in 0..5_001 {
        row(
            &mut rows,
            "    <Action id=\"ID\" issue=\"12\" type=\"worklog\"/>\n".into(),
        );
    }
    for _ in 0..2_001 {
        row(
            &mut rows,
            "    <FileAttachment id=\"ID\" issue=\"30\" filename=\"f\" filesize=\"1\"/>\n".into(),
        );
    }
    for _ in 0..5_001 {
        row(
            &mut rows,
            "    <Worklog id=\"ID\" issue=\"20\" timeworked=\"60\"/>\n".into(),
        );
    }
    // Issue 40: 1,001 links out and 1,000 in; issue 41: 2,000 in; a link of
    // an issue to itself counts once.
    for k in 0..2_001 {
        let (s, d) = if k < 1_001 {
            (40, 1_000 + k)
        } else {
            (2_000 + k, 40)
        };
        row(
            &mut rows,
            format!(
                "    <IssueLink id=\"ID\" linktype=\"1\" source=\"{s}\" destination=\"{d}\"/>\n"
            ),
        );
    }
    for k in 0..2_000 {
        row(
            &mut rows,
            format!(
                "    <IssueLink id=\"ID\" linktype=\"1\" source=\"{}\" destination=\"41\"/>\n",
                9_000 + k
            ),
        );
    }
    for _ in 0..2_001 {
        row(
            &mut rows,
            "    <IssueLink id=\"ID\" linktype=\"1\" source=\"42\" destination=\"42\"/>\n".into(),
        );
    }
    let r = check(&jira(CURRENT, &rows));
    let mut warnings = codes(&r, Severity::Warning);
    warnings.sort_unstable();
    assert_eq!(
        warnings,
        [
            "issue-too-many-attachments",
            "issue-too-many-comments",
            "issue-too-many-links",
            "issue-too-many-worklogs"
        ]
    );
    let f = finding(&r, "issue-too-many-comments");
    assert_eq!(
        (f.count, f.examples.as_slice()),
        (1, &["issue id=10: 5001 comments".to_string()][..])
    );
    assert!(
        f.message.contains("more than 5000 comments"),
        "{}",
        f.message
    );
    assert_eq!(
        finding(&r, "issue-too-many-worklogs").examples,
        ["issue id=20: 5001 worklogs"]
    );
    assert_eq!(
        finding(&r, "issue-too-many-attachments").examples,
        ["issue id=30: 2001 attachments"]
    );
    let links = finding(&r, "issue-too-many-links");
    assert_eq!(links.count, 2, "{:?}", links.examples);
    assert_eq!(
        links.examples,
        [
            "issue id=40: 2001 issue links",
            "issue id=42: 2001 issue links"
        ]
    );
}
