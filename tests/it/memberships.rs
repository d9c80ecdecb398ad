//! `--repair-memberships`: each repair case on small Jira documents, through
//! the library (first pass, then the repair fed whole, split at every byte
//! and byte by byte), on files and zips, and through the JDK SAX parser.

use crate::support;

use backup_fix::{Error, Fixer, Options, Report, scan_facts};
use proptest::prelude::*;
use std::path::Path;

fn options() -> Options {
    Options::default().repair_memberships(true)
}

/// The first pass, then the repair of `input` cut at `cuts`.
fn repair_split(input: &[u8], cuts: &[usize]) -> Result<(Vec<u8>, Report), Error> {
    let facts = scan_facts(input, &options())?;
    support::feed_split(Fixer::with_facts(options(), facts)?, input, cuts)
}

/// The repair, checked to be the same for every split.
fn repair(input: &str) -> (String, Report) {
    let b = input.as_bytes();
    let (out, report) = repair_split(b, &[]).expect("repair succeeds");
    assert_eq!(
        report.output_bytes,
        out.len() as u64,
        "dropped bytes are not output"
    );
    for cut in 0..=b.len() {
        let (o, r) = repair_split(b, &[cut]).expect("repair succeeds");
        assert_eq!((&o, &r), (&out, &report), "split at {cut}");
    }
    let bytes: Vec<usize> = (1..b.len()).collect();
    let (o, r) = repair_split(b, &bytes).expect("repair succeeds");
    assert_eq!((&o, &r), (&out, &report), "byte by byte");
    (String::from_utf8(out).expect("UTF-8"), report)
}

fn jira(rows: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<entity-engine-xml date=\"1\">\n{rows}</entity-engine-xml>\n"
    )
}

const DIRECTORIES: &str = "    <Directory id=\"1\" directoryName=\"Jira Internal Directory\"/>\n    \
    <Directory id=\"10000\" directoryName=\"LDAP\"/>\n";
const GROUPS: &str = "    <Group id=\"10000\" groupName=\"jira-users\" lowerGroupName=\"jira-users\" directoryId=\"1\"/>\n    \
    <Group id=\"10001\" groupName=\"jira-admins\" lowerGroupName=\"jira-admins\" directoryId=\"1\"/>\n    \
    <Group id=\"10100\" groupName=\"Jira-Users\" lowerGroupName=\"jira-users\" directoryId=\"10000\"/>\n";
const USERS: &str = "    <User id=\"10000\" directoryId=\"1\" userName=\"admin\" lowerUserName=\"admin\"/>\n    \
    <User id=\"10001\" directoryId=\"1\" userName=\"Bob\" lowerUserName=\"bob\"/>\n    \
    <User id=\"10200\" directoryId=\"10000\" userName=\"bob\" lowerUserName=\"bob\"/>\n";

fn membership(
    id: u32,
    parent: u32,
    child: u32,
    kind: &str,
    pname: &str,
    cname: &str,
    dir: u32,
) -> String {
    format!(
        "    <Membership id=\"{id}\" parentId=\"{parent}\" childId=\"{child}\" membershipType=\"{kind}\" parentName=\"{pname}\" lowerParentName=\"{pname}\" childName=\"{cname}\" lowerChildName=\"{cname}\" directoryId=\"{dir}\"/>\n"
    )
}

fn backup(memberships: &[String]) -> String {
    jira(&format!(
        "{DIRECTORIES}{GROUPS}{}{USERS}",
        memberships.concat()
    ))
}

fn report(r: &Report) -> &backup_fix::MembershipReport {
    r.memberships.as_ref().expect("a membership report")
}

#[test]
fn correct_memberships_pass_through_byte_for_byte() {
    let doc = backup(&[
        membership(1, 10000, 10000, "GROUP_USER", "jira-users", "admin", 1),
        membership(2, 10000, 10001, "GROUP_USER", "jira-users", "bob", 1),
        membership(
            3,
            10001,
            10000,
            "GROUP_GROUP",
            "jira-admins",
            "jira-users",
            1,
        ),
        membership(4, 10100, 10200, "GROUP_USER", "jira-users", "bob", 10000),
    ]);
    let (out, r) = repair(&doc);
    assert_eq!(out, doc);
    assert!(r.is_unchanged());
    let m = report(&r);
    assert_eq!(
        (m.ids_changed, m.rows_dropped.count, m.unresolved.count),
        (0, 0, 0)
    );
}

#[test]
fn a_stale_child_id_is_recomputed_from_the_user_name() {
    let doc = backup(&[membership(
        1,
        10000,
        99999,
        "GROUP_USER",
        "jira-users",
        "bob",
        1,
    )]);
    let (out, r) = repair(&doc);
    assert_eq!(out, doc.replace("childId=\"99999\"", "childId=\"10001\""));
    let m = report(&r);
    assert_eq!(m.ids_changed, 1);
    assert_eq!(m.rows_repaired.first, ["1"]);
    assert_eq!(r.changes(), 1);
}

#[test]
fn a_stale_parent_id_is_recomputed_from_the_group_name() {
    let doc = backup(&[membership(
        7,
        4,
        10000,
        "GROUP_USER",
        "jira-admins",
        "admin",
        1,
    )]);
    let (out, r) = repair(&doc);
    assert_eq!(out, doc.replace("parentId=\"4\"", "parentId=\"10001\""));
    assert_eq!(report(&r).rows_repaired.first, ["7"]);
}

#[test]
fn a_stale_group_child_is_looked_up_among_groups() {
    // GROUP_GROUP: the child is the group jira-users (10000), not the user 10000's namesake.
    let doc = backup(&[membership(
        3,
        10001,
        10001,
        "GROUP_GROUP",
        "jira-admins",
        "jira-users",
        1,
    )]);
    let (out, r) = repair(&doc);
    assert_eq!(out, doc.replace("childId=\"10001\"", "childId=\"10000\""));
    assert_eq!(report(&r).ids_changed, 1);
}

#[test]
fn rows_that_become_duplicates_are_dropped_with_their_line() {
    let rows = [
        membership(1, 10000, 10000, "GROUP_USER", "jira-users", "admin", 1),
        // Stale: once repaired it is row 1 again.
        membership(2, 5, 6, "GROUP_USER", "jira-users", "admin", 1),
        membership(3, 10000, 10001, "GROUP_USER", "jira-users", "bob", 1),
        // The same ids, but a group membership: not a duplicate.
        membership(
            4,
            10000,
            10001,
            "GROUP_GROUP",
            "jira-users",
            "jira-admins",
            1,
        ),
        // A verbatim duplicate of row 3, last of the run.
        membership(5, 10000, 10001, "GROUP_USER", "jira-users", "bob", 1),
    ];
    let doc = backup(&rows);
    let (out, r) = repair(&doc);
    let want = backup(&[rows[0].clone(), rows[2].clone(), rows[3].clone()]);
    assert_eq!(out, want);
    let m = report(&r);
    assert_eq!(m.rows_dropped.count, 2);
    assert_eq!(m.rows_dropped.first, ["2", "5"]);
    // Row 2's ids were recomputed before it was found to be a duplicate.
    assert_eq!(m.ids_changed, 2);
    assert_eq!(r.changes(), 4);
}

#[test]
fn an_unresolvable_member_is_left_as_it_is_and_reported() {
    let rows = [
        membership(1, 10000, 10000, "GROUP_USER", "jira-users", "ghost", 1),
        membership(2, 10000, 10000, "GROUP_USER", "no-such-group", "admin", 1),
    ];
    let doc = backup(&rows);
    let (out, r) = repair(&doc);
    // Row 2 keeps its stale ids, which are row 1's: a duplicate all the same.
    assert_eq!(out, backup(&rows[..1]));
    let m = report(&r);
    assert_eq!(m.unresolved.first, ["1", "2"]);
    assert_eq!(m.ids_changed, 0);
    assert_eq!(m.rows_dropped.first, ["2"]);
}

#[test]
fn names_resolve_within_their_own_directory() {
    // bob in LDAP (10000) is user 10200, in the group 10100; the internal bob is 10001.
    let rows = [
        membership(1, 10000, 10200, "GROUP_USER", "jira-users", "bob", 1),
        membership(2, 10000, 10001, "GROUP_USER", "jira-users", "bob", 10000),
    ];
    let doc = backup(&rows);
    let (out, r) = repair(&doc);
    let want = backup(&[
        membership(1, 10000, 10001, "GROUP_USER", "jira-users", "bob", 1),
        membership(2, 10100, 10200, "GROUP_USER", "jira-users", "bob", 10000),
    ]);
    assert_eq!(out, want);
    assert_eq!(report(&r).ids_changed, 3);
    assert_eq!(report(&r).rows_dropped.count, 0);
}

#[test]
fn the_repair_is_idempotent() {
    let doc = backup(&[
        membership(1, 1, 2, "GROUP_USER", "jira-users", "admin", 1),
        membership(2, 10000, 10000, "GROUP_USER", "jira-users", "admin", 1),
        membership(3, 3, 3, "GROUP_GROUP", "jira-admins", "jira-users", 1),
    ]);
    let (once, r1) = repair(&doc);
    assert!(r1.changes() > 0);
    let (twice, r2) = repair(&once);
    assert_eq!(twice, once);
    assert!(r2.is_unchanged());
}

#[test]
fn without_a_first_pass_the_repair_says_what_it_needs() {
    let doc = backup(&[membership(
        1,
        10000,
        10000,
        "GROUP_USER",
        "jira-users",
        "admin",
        1,
    )]);
    let mut fixer = Fixer::new(options()).expect("fixer");
    let mut out = Vec::new();
    let e = fixer
        .write(doc.as_bytes(), &mut out)
        .and_then(|()| fixer.finish(&mut out).map(|_| ()))
        .expect_err("no users known");
    assert!(matches!(e, Error::MissingFact { .. }), "{e}");
    assert!(e.to_string().contains("--repair-memberships"), "{e}");
}

#[test]
fn other_rules_still_apply_around_dropped_rows() {
    let rows = [
        membership(1, 10000, 10000, "GROUP_USER", "jira-users", "admin", 1),
        membership(2, 10000, 10000, "GROUP_USER", "jira-users", "admin", 1),
    ];
    let doc = backup(&rows).replace("Jira Internal Directory", "Jira \u{1c}Internal");
    let (out, r) = repair(&doc);
    assert_eq!(
        out,
        backup(&rows[..1]).replace("Jira Internal Directory", "Jira Internal")
    );
    assert_eq!(r.changes(), 2);
}

#[test]
fn every_output_is_accepted_by_the_jdk_sax_parser() {
    let outs: Vec<String> = [
        backup(&[
            membership(1, 1, 2, "GROUP_USER", "jira-users", "admin", 1),
            membership(2, 10000, 10000, "GROUP_USER", "jira-users", "admin", 1),
        ]),
        // The dropped row is the last element before the root's end tag.
        jira(&format!(
            "{GROUPS}{}{}",
            membership(1, 10000, 10000, "GROUP_USER", "jira-users", "admin", 1),
            membership(2, 10000, 10000, "GROUP_USER", "jira-users", "admin", 1)
        )),
    ]
    .iter()
    .map(|d| repair(d).0)
    .collect();
    let docs: Vec<&[u8]> = outs.iter().map(|o| o.as_bytes()).collect();
    let Some(results) = support::sax_bytes(&docs) else {
        return;
    };
    for (r, o) in results.iter().zip(&outs) {
        assert!(matches!(r, support::Sax::Ok), "{r:?} for {o}");
    }
}

#[test]
fn real_exports_come_out_as_without_the_option() {
    let mut docs = vec![(
        "testdata/jira-sample/entities.xml".to_string(),
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/jira-sample/entities.xml"),
        )
        .expect("sample"),
    )];
    for dir in ["attachhist", "attachmenthistory"] {
        let name = format!("{dir}/entities.xml");
        docs.push((
            name.clone(),
            std::fs::read(support::corpus(&name)).expect("corpus"),
        ));
    }
    for zip in ["5.9.zip", "3.4.7.zip", "4.3.2.xml.zip"] {
        docs.push((
            zip.into(),
            support::zip_entry(&support::corpus(zip), "entities.xml"),
        ));
    }
    for (name, input) in docs {
        let cuts: Vec<usize> = (997..input.len()).step_by(997).collect();
        let (out, report) = repair_split(&input, &cuts).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The sample has character defects of its own: the option adds nothing to them.
        let (plain, plain_report) = support::fix_split(&input, &[]).expect("plain repair");
        assert!(out == plain, "{name} changed");
        assert_eq!(report.changes(), plain_report.changes(), "{name}: {report}");
        if plain_report.is_unchanged() {
            assert!(out == input, "{name} changed");
        }
    }
}

/// Memberships drawn from few names, ids and directories, so that stale
/// ids, duplicates and unknown names all occur.
fn memberships() -> impl Strategy<Value = Vec<String>> {
    let row = (
        1u32..40,
        prop::sample::select(vec![10000u32, 10001, 10100, 10200, 1, 2]),
        prop::sample::select(vec![10000u32, 10001, 10100, 10200, 1, 2]),
        prop::sample::select(vec!["GROUP_USER", "GROUP_GROUP"]),
        prop::sample::select(vec!["jira-users", "jira-admins", "nobody"]),
        prop::sample::select(vec!["admin", "bob", "jira-users", "ghost"]),
        prop::sample::select(vec![1u32, 10000]),
    )
        .prop_map(|(id, p, c, k, pn, cn, d)| membership(id, p, c, k, pn, cn, d));
    prop::collection::vec(row, 0..8)
}

proptest! {
    #[test]
    fn repairs_are_chunking_invariant_and_idempotent(
        rows in memberships(),
        cuts in prop::collection::vec(0usize..2000, 0..6),
    ) {
        let doc = backup(&rows);
        let mut cuts = cuts;
        cuts.sort_unstable();
        let (whole, report) = repair_split(doc.as_bytes(), &[]).expect("repair");
        let (split, split_report) = repair_split(doc.as_bytes(), &cuts).expect("repair");
        prop_assert_eq!(&split, &whole);
        prop_assert_eq!(&split_report, &report);
        let (again, again_report) = repair_split(&whole, &cuts).expect("repair");
        prop_assert_eq!(&again, &whole);
        prop_assert!(again_report.is_unchanged(), "{}", again_report);
        let m = report.memberships.clone().unwrap_or_default();
        let kept = String::from_utf8_lossy(&whole).matches("<Membership ").count() as u64;
        prop_assert_eq!(kept + m.rows_dropped.count, rows.len() as u64);
    }
}
