//! The findings `check` draws from what the audit saw: one function per
//! area (XML, users, groups, sharing, version, time, limits, links,
//! Confluence), each turning counts and examples into [`Finding`]s with a
//! severity, a message and what to do.

use super::audit::Auditor;
use super::report::{Finding, Severity, XmlFileCheck};
use super::{guards, limits, memberships, users};
use crate::report::plural;
use crate::rules::facts::Product;

/// Jira versions before this write server-local timestamps.
const JIRA_UTC_SINCE: (u32, u32, u32) = (7, 13, 1);

/// Jira versions before this must be upgraded before migrating (Atlassian's
/// Jira Cloud migration guide).
const JIRA_MIGRATES_SINCE: (u32, u32, u32) = (7, 0, 0);

/// Jira versions before this (and from [`JIRA_MIGRATES_SINCE`]) "may work",
/// but the import is no longer guaranteed (Atlassian's Jira Cloud migration
/// guide).
const JIRA_GUARANTEED_SINCE: (u32, u32, u32) = (7, 6, 0);

/// The version gate: an error below 7.0.0, a warning below 7.6.0.
fn version_findings(build: &str, out: &mut Vec<Finding>) {
    let Some(v) = jira_version(build) else {
        return;
    };
    if v < JIRA_MIGRATES_SINCE {
        out.push(finding(
            Severity::Error,
            "Version",
            "jira-version-unsupported",
            format!("Jira {build} is older than 7.0.0: the server must be upgraded before migrating"),
            Some("upgrade the server to Jira 7.6.0 or later (7.13.1 or later needs no timestamp repair), then export again".into()),
        ));
    } else if v < JIRA_GUARANTEED_SINCE {
        out.push(finding(
            Severity::Warning,
            "Version",
            "jira-version-unguaranteed",
            format!("Jira {build} is older than 7.6.0: the import may work but is no longer guaranteed"),
            Some("upgrade the server to Jira 7.6.0 or later (7.13.1 or later needs no timestamp repair) before exporting, if you can".into()),
        ));
    }
}

/// Texts over the cloud's limit, per `Entity.field`, and long project keys.
fn limit_findings(l: &limits::LimitsAudit, out: &mut Vec<Finding>) {
    for (field, rows) in &l.long_texts {
        out.push(Finding {
            severity: Severity::Warning,
            section: "Limits",
            code: "text-too-long",
            message: format!(
                "{field}: {} over {} characters; longer values are refused when edited in the cloud",
                plural(rows.count, "value is", "values are"),
                limits::MAX_TEXT_CHARS
            ),
            fix: Some("shorten them (or move the text into an attachment) before export, or expect to shorten them when they are next edited".into()),
            count: rows.count,
            examples: rows.first.clone(),
        });
    }
    let keys = &l.long_keys;
    if keys.count > 0 {
        out.push(Finding {
            severity: Severity::Warning,
            section: "Limits",
            code: "project-key-too-long",
            message: format!(
                "{} a key over {} characters, the cloud's limit for project keys",
                plural(keys.count, "project has", "projects have"),
                limits::MAX_PROJECT_KEY
            ),
            fix: Some(
                "rename the project key on the server (project settings, details) before exporting"
                    .into(),
            ),
            count: keys.count,
            examples: keys.first.clone(),
        });
    }
}

/// Issues over the cloud's per-issue guards.
fn guard_findings(g: &guards::IssueGuards, out: &mut Vec<Finding>) {
    if let Some(e) = &g.error {
        out.push(finding(
            Severity::Warning,
            "Limits",
            "issue-guards-unchecked",
            format!("comments, worklogs, attachments and links per issue were not counted: {e}"),
            Some("free space there (or point TMPDIR at a disk with room) and check again".into()),
        ));
        return;
    }
    for what in guards::Guarded::ALL {
        let rows = &g.over[what as usize];
        if rows.count == 0 {
            continue;
        }
        out.push(Finding {
            severity: Severity::Warning,
            section: "Limits",
            code: what.code(),
            message: format!(
                "{} more than {} {}, the cloud's limit per issue; no more can be added there",
                plural(rows.count, "issue has", "issues have"),
                what.limit(),
                what.noun()
            ),
            fix: Some(format!(
                "reduce the {} of these issues on the server before exporting (for example move old ones into a new issue), or expect the cloud to refuse new ones there",
                what.noun()
            )),
            count: rows.count,
            examples: rows.first.clone(),
        });
    }
}

/// The version a Jira build states (`8.20.1#820001`), as (major, minor, patch).
fn jira_version(build: &str) -> Option<(u32, u32, u32)> {
    let v = build.split(['#', ' ', '-']).next()?;
    let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
    Some((
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
        parts.next().flatten().unwrap_or(0),
    ))
}

/// Whether a base URL is on an Atlassian cloud site (`*.atlassian.net`):
/// the links were remapped already.
fn is_cloud_site(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', ':', '?', '#']).next().unwrap_or("");
    host.to_ascii_lowercase().ends_with(".atlassian.net")
}

/// Whether a zone name means UTC (no offset, ever).
fn is_utc(zone: &str) -> bool {
    let name = zone.strip_prefix("Etc/").unwrap_or(zone);
    [
        "UTC",
        "UCT",
        "GMT",
        "GMT0",
        "GMT+0",
        "GMT-0",
        "Universal",
        "Zulu",
        "Greenwich",
        "Z",
    ]
    .iter()
    .any(|u| u.eq_ignore_ascii_case(name))
}

/// A finding counted once, with no examples.
pub(super) fn finding(
    severity: Severity,
    section: &'static str,
    code: &'static str,
    message: String,
    fix: Option<String>,
) -> Finding {
    Finding {
        severity,
        section,
        code,
        message,
        fix,
        count: 1,
        examples: Vec::new(),
    }
}

/// The findings about memberships and users within directories.
fn membership_findings(m: &memberships::MembershipAudit, out: &mut Vec<Finding>) {
    if let Some(e) = &m.error {
        out.push(finding(
            Severity::Warning,
            "Users",
            "memberships-unchecked",
            format!("the memberships were not judged: {e}"),
            Some("free space there (or point TMPDIR at a disk with room) and check again".into()),
        ));
    }
    let repair = "`backup-fix fix --repair-memberships` recomputes the ids from the names and drops the duplicates";
    let cases: [(
        &memberships::Rows,
        Severity,
        &'static str,
        &str,
        Option<&str>,
    ); 4] = [
        (
            &m.stale,
            Severity::Error,
            "membership-stale-ids",
            "parentId/childId that are not the ids of the group and member they name (Data Center 8.22+ stops maintaining them; the cloud's unique index fails the import)",
            Some(repair),
        ),
        (
            &m.duplicate,
            Severity::Error,
            "membership-duplicate-ids",
            "the (parentId, childId, membershipType) of an earlier row, which the cloud's unique index refuses",
            Some(repair),
        ),
        (
            &m.dangling,
            Severity::Warning,
            "membership-dangling",
            "a group or member that is not in the backup (the import skips or fails on them)",
            Some("remove those memberships, or restore the group or user, before export"),
        ),
        (
            &m.duplicate_users,
            Severity::Error,
            "user-duplicate-in-directory",
            "the name of another user in the same directory (the import's user step fails after hours; one name in two directories is normal)",
            Some("remove or rename the extra user rows in the server's database before export"),
        ),
    ];
    for (rows, severity, code, what, fix) in cases {
        if rows.count == 0 {
            continue;
        }
        let noun = if code == "user-duplicate-in-directory" {
            plural(rows.count, "user has", "users have")
        } else {
            plural(rows.count, "membership row has", "membership rows have")
        };
        out.push(Finding {
            severity,
            section: "Users",
            code,
            message: format!("{noun} {what}"),
            fix: fix.map(str::to_string),
            count: rows.count,
            examples: rows.first.clone(),
        });
    }
}

/// Turns what was seen into findings.
pub(super) fn findings_of(files: &[XmlFileCheck], a: &Auditor) -> Vec<Finding> {
    let mut out = Vec::new();
    for x in files {
        match &x.first_error {
            None => out.push(finding(
                Severity::Pass,
                "XML",
                "well-formed",
                format!("{} is well-formed ({} bytes)", x.name, x.bytes),
                None,
            )),
            Some(e) => {
                let fix = if x.fix_cures_all {
                    format!(
                        "`backup-fix fix` repairs it ({}, nothing else wrong)",
                        plural(x.curable, "character problem", "character problems")
                    )
                } else if e.over_limit {
                    "if the tag is genuine (a very large field or page), raise the limit: --max-tag-size 64MiB, for check and for fix; a file that is damaged would fail again".into()
                } else if e.fix_cures {
                    "`backup-fix fix` repairs the characters, but the file is also damaged further on: export it again".into()
                } else {
                    "the file is damaged in a way no character repair cures: export it again (or check the copy is complete)".into()
                };
                let mut f = finding(
                    Severity::Error,
                    "XML",
                    if x.fix_cures_all {
                        "not-well-formed-curable"
                    } else {
                        "not-well-formed"
                    },
                    format!("{}: {}: {}", x.name, e.location, e.message),
                    Some(fix),
                );
                f.count = x.curable.max(1);
                out.push(f);
            }
        }
    }
    let users = &a.users;
    let user_problems: [(&str, Severity, &str, &str); 6] = [
        (
            "email-no-tld",
            Severity::Error,
            "an email without a top-level domain (john@company)",
            "give them full addresses before export",
        ),
        (
            "email-reserved-domain",
            Severity::Error,
            "an email in a reserved or example domain (example.com, .test, .invalid, localhost)",
            "give them real addresses before export",
        ),
        (
            "email-local-part-too-long",
            Severity::Error,
            "an email whose part before @ is over 64 characters",
            "shorten those addresses",
        ),
        (
            "email-malformed",
            Severity::Error,
            "an email that is not an address",
            "correct those addresses",
        ),
        (
            "reserved-username",
            Severity::Error,
            "a name starting with addon_, which the cloud reserves for apps",
            "rename them before export",
        ),
        (
            "email-missing",
            Severity::Warning,
            "no email address",
            "add addresses, or they cannot log in to the cloud site",
        ),
    ];
    for (code, severity, what, fix) in user_problems {
        if let Some((n, examples)) = users.problems.get(code) {
            out.push(Finding {
                severity,
                section: "Users",
                code,
                message: format!("{} {what}", plural(*n, "user has", "users have")),
                fix: Some(fix.into()),
                count: *n,
                examples: examples.clone(),
            });
        }
    }
    if !users.duplicates.is_empty() {
        let examples: Vec<String> = users
            .duplicates
            .iter()
            .take(users::EXAMPLES)
            .map(|(e, n)| format!("{e} ({n} users)"))
            .collect();
        out.push(Finding {
            severity: Severity::Error,
            section: "Users",
            code: "email-duplicate",
            message: format!(
                "{} shared by more than one user (case-insensitive; users counted distinct by name first, as the migration assistant does: one name in two directories is one user)",
                plural(
                    users.duplicates.len() as u64,
                    "email address is",
                    "email addresses are"
                )
            ),
            fix: Some(
                "give each user their own address, or merge the accounts, before export".into(),
            ),
            count: users.duplicates.len() as u64,
            examples,
        });
    }
    membership_findings(&a.memberships_audit, &mut out);
    if users.total > 0
        && !out
            .iter()
            .any(|f| f.section == "Users" && f.severity == Severity::Error)
    {
        out.push(finding(
            Severity::Pass,
            "Users",
            "users",
            format!(
                "{}, no email or name the import refuses",
                plural(users.total, "user", "users")
            ),
            None,
        ));
    }
    for (group, members) in &a.group_members {
        if let Some((_, to)) = users::RENAMED.iter().find(|(from, _)| from == group) {
            out.push(finding(
                Severity::Pass,
                "Groups",
                "group-renamed",
                format!(
                    "group {group} ({}) becomes {to} in the cloud",
                    plural(*members, "member", "members")
                ),
                None,
            ));
        } else {
            out.push(Finding {
                severity: Severity::Warning,
                section: "Groups",
                code: "group-not-migrated",
                message: format!(
                    "group {group} ({}) is not migrated",
                    plural(*members, "member", "members")
                ),
                fix: Some(
                    "members who need its permissions must be given them in the cloud".into(),
                ),
                count: *members,
                examples: Vec::new(),
            });
        }
    }
    if !a.global_shares.is_empty() {
        let total: u64 = a.global_shares.values().sum();
        out.push(Finding {
            severity: Severity::Warning,
            section: "Sharing",
            code: "global-shares",
            message: format!(
                "{} public (shared with everyone); in the cloud that means anyone on the internet",
                plural(total, "dashboard/filter share is", "dashboard/filter shares are")
            ),
            fix: Some("backup-fix fix --restrict-global-shares makes them visible to logged-in users only".into()),
            count: total,
            examples: a.global_shares.iter().map(|(t, n)| format!("{t} {n}")).collect(),
        });
    }
    let facts = &a.observer.facts;
    let zone_hint = match &facts.zone {
        Some(z) => format!("backup-fix fix --tz auto (the backup states {} in {})", z.value, z.source),
        None => "backup-fix fix --tz ZONE with the server's zone, e.g. --tz Europe/Berlin (the backup does not state it)".into(),
    };
    let stated_utc = facts.zone.as_ref().filter(|z| is_utc(&z.value));
    if facts.product == Some(Product::Jira) {
        if let Some(build) = facts.build.as_deref() {
            version_findings(build, &mut out);
        }
        limit_findings(&a.limits, &mut out);
        guard_findings(&a.guards, &mut out);
        if let Some(z) = facts.zone.as_ref().filter(|z| !is_utc(&z.value)) {
            out.push(finding(
                Severity::Pass,
                "Time",
                "server-zone",
                format!(
                    "the backup states the server's zone: {} (from {})",
                    z.value, z.source
                ),
                None,
            ));
        }
    }
    match (facts.product, facts.build.as_deref()) {
        (Some(Product::Jira | Product::Confluence), _) if stated_utc.is_some() => {
            if let Some(z) = stated_utc {
                out.push(finding(
                    Severity::Pass,
                    "Time",
                    "utc-zone",
                    format!(
                        "the server's zone is {} (from {}): its timestamps are UTC already",
                        z.value, z.source
                    ),
                    None,
                ));
            }
        }
        (Some(Product::Jira), Some(build)) => match jira_version(build) {
            Some(v) if v < JIRA_UTC_SINCE => out.push(finding(
                Severity::Warning,
                "Time",
                "local-timestamps",
                format!("Jira {build} is older than 7.13.1: its timestamps are server-local time and the import would read them as UTC"),
                Some(zone_hint),
            )),
            Some(_) => out.push(finding(
                Severity::Pass,
                "Time",
                "utc-timestamps",
                format!("Jira {build} writes timestamps the import reads correctly"),
                None,
            )),
            None => out.push(finding(
                Severity::Warning,
                "Time",
                "unknown-build",
                format!("Jira build {build:?} is not a version number; if it is older than 7.13.1, its timestamps are server-local"),
                Some(zone_hint),
            )),
        },
        (Some(Product::Jira), None) => out.push(finding(
            Severity::Warning,
            "Time",
            "unknown-build",
            "the Jira build is not stated; if it is older than 7.13.1, its timestamps are server-local".into(),
            Some(zone_hint),
        )),
        (Some(Product::Confluence), _) => out.push(finding(
            Severity::Warning,
            "Time",
            "local-timestamps",
            "Confluence exports write server-local timestamps".into(),
            Some(zone_hint),
        )),
        _ => {}
    }
    match &facts.base_url {
        Some(base) if is_cloud_site(&base.value) => out.push(finding(
            Severity::Pass,
            "Links",
            "cloud-base-url",
            format!(
                "base URL {} (from {}) is already an Atlassian cloud site",
                base.value, base.source
            ),
            None,
        )),
        Some(base) => out.push(finding(
            Severity::Pass,
            "Links",
            "base-url",
            format!("base URL {} (from {})", base.value, base.source),
            Some(format!(
                "backup-fix fix --cloud-url https://YOUR-SITE.atlassian.net{} rewrites links to it",
                if facts.product == Some(Product::Confluence) {
                    "/wiki"
                } else {
                    ""
                }
            )),
        )),
        None if matches!(facts.product, Some(Product::Jira | Product::Confluence)) => {
            out.push(finding(
                Severity::Pass,
                "Links",
                "no-base-url",
                "the backup states no base URL".into(),
                Some("backup-fix fix --map-url OLD=NEW rewrites links to the old server".into()),
            ))
        }
        None => {}
    }
    if facts.product == Some(Product::Confluence) {
        if !a.spaces.is_empty() {
            out.push(Finding {
                severity: Severity::Pass,
                section: "Confluence",
                code: "spaces",
                message: format!(
                    "{}: {}",
                    plural(a.spaces.len() as u64, "space", "spaces"),
                    a.spaces.join(", ")
                ),
                fix: None,
                count: a.spaces.len() as u64,
                examples: Vec::new(),
            });
        }
        if a.short_links > 0 {
            out.push(Finding {
                severity: Severity::Warning,
                section: "Confluence",
                code: "short-links",
                message: format!(
                    "{} (/x/...) in page bodies break after the move",
                    plural(a.short_links, "short link", "short links")
                ),
                fix: Some("backup-fix fix --cloud-url URL (or --map-url OLD=NEW) makes them internal links".into()),
                count: a.short_links,
                examples: Vec::new(),
            });
        }
    }
    out
}
