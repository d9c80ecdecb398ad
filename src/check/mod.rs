//! `backup-fix check`: know before the upload whether the import will work.
//!
//! One streaming pass over each XML file gives the verdict a strict parser
//! would (the first error, with its line and column, and whether `fix` cures
//! it) and audits what the cloud import refuses or changes: user emails and
//! names, groups that are not migrated, public shares, the Jira version gate,
//! server-local timestamps, texts and project keys over the cloud's limits,
//! the base URL to remap, and for Confluence its spaces and short links. The result is a list of [`Finding`]s, each pass, warning or error.

mod archive;
mod attachments;
mod audit;
mod guards;
pub mod html;
mod jira_home;
mod jira_media;
mod limits;
mod memberships;
mod size;
mod users;

use crate::decode::Decoder;
use crate::driver::{Phase, Progress};
use crate::error::Error;
use crate::location::Location;
use crate::report::{CodePoint, Report, Tally, plural};
use crate::rules::facts::{BackupFacts, Product};
use crate::sink::NullSink;
use crate::xml::scanner::{Limits, XmlStage};
use audit::Auditor;
use serde::Serialize;
use std::fmt;
use std::io::Read;
use std::path::Path;

pub(crate) use jira_home::{
    findings as media_findings, listing_files, media_table_of, name_orphans,
};
pub use jira_media::FileCount;
pub(crate) use jira_media::{MediaTable, join as media_join};
pub use size::{AppData, MoveSize, OTHERS};
pub use users::{GroupSummary, UserSummary};

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fine, or for information.
    Pass,
    /// The import works, but something will be lost, exposed or shifted.
    Warning,
    /// The import fails (or refuses the data) unless this is dealt with.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Severity::Pass => "PASS",
            Severity::Warning => "WARNING",
            Severity::Error => "ERROR",
        })
    }
}

/// One line of the pre-flight screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// Pass, warning or error.
    pub severity: Severity,
    /// The area: `XML`, `Users`, `Groups`, `Sharing`, `Version`, `Time`,
    /// `Limits`, `Links`, `Confluence`.
    pub section: &'static str,
    /// A stable identifier, e.g. `email-no-tld`.
    pub code: &'static str,
    /// What was found.
    pub message: String,
    /// What to do about it, when there is something to do.
    pub fix: Option<String>,
    /// How many times it was found.
    pub count: u64,
    /// The first few examples.
    pub examples: Vec<String>,
}

/// The first thing a strict parser would stop at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FirstError {
    /// Where.
    pub location: Location,
    /// What, in the parser's terms.
    pub message: String,
    /// Whether `backup-fix fix` repairs it.
    pub fix_cures: bool,
    /// Whether it is a tag larger than the `--max-tag-size` limit: not
    /// damage, if the tag is genuine, but more than the check holds.
    pub over_limit: bool,
}

/// How `check` reads XML.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CheckOptions {
    /// Largest single tag held in memory, as [`Options::max_tag_size`](crate::Options::max_tag_size)
    /// for `fix` (`--max-tag-size`).
    pub max_tag_size: usize,
    /// Jira: the attachments to check the backup's `FileAttachment` rows
    /// against (`--attachments`): a Jira home, its `data/attachments`
    /// directory, a media zip, or the output directory of `split`.
    pub attachments: Option<std::path::PathBuf>,
    /// Keep the attachment rows for a cross-check.
    pub(crate) collect_media: bool,
    /// Stops the check between chunks once cancelled
    /// ([`Error::Interrupted`]).
    pub cancel: crate::Cancel,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            max_tag_size: crate::DEFAULT_MAX_TAG_SIZE,
            attachments: None,
            collect_media: false,
            cancel: crate::Cancel::default(),
        }
    }
}

impl CheckOptions {
    /// Sets [`CheckOptions::max_tag_size`].
    pub fn max_tag_size(mut self, bytes: usize) -> Self {
        self.max_tag_size = bytes;
        self
    }

    /// Sets [`CheckOptions::cancel`]: the token the caller (a Ctrl-C
    /// handler) cancels to stop the check.
    pub fn cancel(mut self, token: crate::Cancel) -> Self {
        self.cancel = token;
        self
    }

    /// Sets [`CheckOptions::attachments`].
    pub fn attachments(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.attachments = Some(path.into());
        self
    }
}

/// The verdict on one XML file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct XmlFileCheck {
    /// The file (or archive entry).
    pub name: String,
    /// The product that wrote it.
    pub product: Option<Product>,
    /// Bytes read.
    pub bytes: u64,
    /// Whether a strict XML parser accepts it as it is.
    pub well_formed: bool,
    /// The first error a strict parser reports, if any.
    pub first_error: Option<FirstError>,
    /// Character-level problems (forbidden characters and references,
    /// invalid UTF-8) that `fix` repairs.
    pub curable: u64,
    /// Whether `fix` repairs everything wrong with it.
    pub fix_cures_all: bool,
}

/// Everything `check` found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CheckReport {
    /// What was checked.
    pub input: String,
    /// What kind of backup it looks like.
    pub kind: String,
    /// Each XML file's verdict.
    pub files: Vec<XmlFileCheck>,
    /// The findings, most serious first.
    pub findings: Vec<Finding>,
    /// Users and their email domains.
    pub users: UserSummary,
    /// What the backup states about itself.
    pub backup: BackupFacts,
    /// Confluence space keys.
    pub spaces: Vec<String>,
    /// The groups the import drops or renames, with their members.
    pub groups: Vec<GroupSummary>,
    /// How big the move is.
    pub size: MoveSize,
    /// The attachment rows, for a cross-check with the files.
    #[serde(skip)]
    pub(crate) media: jira_home::MediaSlot,
}

impl CheckReport {
    /// The most serious finding's severity.
    pub fn worst(&self) -> Severity {
        self.findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Pass)
    }

    /// Whether something blocks the import.
    pub fn blocks_import(&self) -> bool {
        self.worst() == Severity::Error
    }

    fn count(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == s).count()
    }
}

impl fmt::Display for CheckReport {
    /// The pre-flight screen.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "backup-fix check: {} ({})", self.input, self.kind)?;
        for x in &self.findings {
            writeln!(f, "  {:<7} {:<10} {}", x.severity, x.section, x.message)?;
            if !x.examples.is_empty() {
                let more = x.count.saturating_sub(x.examples.len() as u64);
                let tail = if more > 0 {
                    format!(" (and {more} more)")
                } else {
                    String::new()
                };
                writeln!(f, "  {:<18} e.g. {}{tail}", "", x.examples.join(", "))?;
            }
            if let Some(fix) = &x.fix {
                writeln!(f, "  {:<18} fix: {fix}", "")?;
            }
        }
        if !self.users.domains.is_empty() {
            let shown: Vec<String> = self
                .users
                .domains
                .iter()
                .take(15)
                .map(|(d, n)| format!("{d} {n}"))
                .collect();
            writeln!(
                f,
                "  users by email domain (review them): {}{}",
                shown.join(", "),
                if self.users.domains.len() > 15 {
                    ", ..."
                } else {
                    ""
                }
            )?;
        }
        if !self.size.apps.is_empty() {
            let shown: Vec<String> = self
                .size
                .apps
                .iter()
                .take(15)
                .map(|a| {
                    format!(
                        "{} {} ({})",
                        a.prefix,
                        plural(a.tables, "table", "tables"),
                        plural(a.rows, "row", "rows")
                    )
                })
                .collect();
            writeln!(
                f,
                "  app data by prefix (to leave out an app with no cloud version: backup-fix fix BACKUP --drop-app-data PREFIX): {}{}",
                shown.join(", "),
                if self.size.apps.len() > 15 {
                    ", ..."
                } else {
                    ""
                }
            )?;
        }
        let verdict = if self.blocks_import() {
            "the import will fail"
        } else if self.count(Severity::Warning) > 0 {
            "the import should work; read the warnings"
        } else {
            "nothing blocks the import"
        };
        writeln!(
            f,
            "verdict: {verdict} ({}, {})",
            plural(self.count(Severity::Error) as u64, "error", "errors"),
            plural(self.count(Severity::Warning) as u64, "warning", "warnings")
        )
    }
}

/// The first location of a tally, with a message for it.
fn earliest<'a>(
    candidates: impl Iterator<Item = (&'a Tally, String)>,
) -> Option<(Location, String)> {
    candidates
        .filter_map(|(t, msg)| t.first.first().map(|l| (*l, msg)))
        .min_by_key(|(l, _)| l.offset)
}

/// The first character-level problem, in the words of Java's parser.
fn first_curable(r: &Report) -> Option<(Location, String)> {
    let chars = r.removed_chars.iter().map(|(CodePoint(cp), t)| {
        (
            t,
            format!("An invalid XML character (Unicode: 0x{cp:x}) was found"),
        )
    });
    let refs = r.removed_char_refs.iter().map(|(CodePoint(cp), t)| {
        (
            t,
            format!("Character reference \"&#x{cp:x};\" is an invalid XML character"),
        )
    });
    let bytes = [
        (
            &r.invalid_utf8,
            "Invalid byte sequence in UTF-8 (Java: Invalid byte 1 of a UTF-8 sequence)",
        ),
        (
            &r.lone_surrogates,
            "A UTF-8-encoded surrogate is not a valid character",
        ),
        (
            &r.cesu8_pairs,
            "A surrogate pair encoded as two 3-byte sequences (CESU-8) is not valid UTF-8",
        ),
        (
            &r.invalid_encoded,
            "Bytes that are not valid in the declared encoding",
        ),
    ]
    .into_iter()
    .map(|(t, m)| (t, m.to_string()));
    earliest(chars.chain(refs).chain(bytes))
}

/// Checks one XML stream: its verdict and what the audit saw.
/// Checks one XML stream; `tick` hears the number of bytes of each read.
fn check_xml<R: Read>(
    name: &str,
    mut input: R,
    options: &CheckOptions,
    tick: &mut dyn FnMut(u64),
) -> Result<(XmlFileCheck, Auditor), Error> {
    let mut decoder = Decoder::default();
    let limits = Limits {
        max_token: options.max_tag_size,
        keep: 1,
    };
    let mut auditor = Auditor::default();
    if options.collect_media {
        auditor.media = jira_home::MediaSlot::collecting();
    }
    let mut stage = XmlStage::new(auditor, limits);
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    let mut fatal: Option<Error> = None;
    loop {
        let n = crate::chunked::read_chunk(&mut input, &mut buf, &options.cancel)
            .map_err(|e| e.in_file(name))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        tick(n as u64);
        if let Err(e) = decoder.write(&buf[..n], &mut stage, &mut NullSink) {
            fatal = Some(e);
            break;
        }
    }
    if fatal.is_none() {
        fatal = decoder
            .finish(&mut stage, &mut NullSink)
            .and_then(|()| stage.finish(&mut NullSink))
            .err();
    }
    if let Some(e) = &fatal
        && e.location().is_none()
    {
        // Not an XML problem (I/O): the check itself failed.
        return Err(fatal.unwrap_or(Error::Finished("failed")).in_file(name));
    }
    let report = &stage.report;
    let curable_count = report.changes();
    let curable = first_curable(report);
    let fatal_at = fatal.as_ref().and_then(|e| {
        let message = match e {
            Error::Malformed { kind, .. } => kind.to_string(),
            // The location is shown beside the message, not in it.
            Error::TokenTooLarge { what, limit, .. } => {
                format!("a single {what} is larger than the {limit}-byte limit (--max-tag-size)")
            }
            other => other.to_string(),
        };
        e.location().map(|l| (l, message))
    });
    let over_limit = matches!(fatal, Some(Error::TokenTooLarge { .. }));
    let first_error = match (curable, fatal_at.clone()) {
        (Some(c), Some(f)) if f.0.offset < c.0.offset => Some((f, false)),
        (Some(c), _) => Some((c, true)),
        (None, Some(f)) => Some((f, false)),
        (None, None) => None,
    }
    .map(|((location, message), fix_cures)| FirstError {
        location,
        message,
        fix_cures,
        over_limit: over_limit && !fix_cures,
    });
    let mut auditor = std::mem::take(&mut stage.rules);
    auditor.finish();
    let file = XmlFileCheck {
        name: name.to_string(),
        product: auditor.observer.facts.product,
        bytes,
        well_formed: first_error.is_none(),
        first_error,
        curable: curable_count,
        fix_cures_all: fatal.is_none(),
    };
    Ok((file, auditor))
}

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
            examples: rows.examples.clone(),
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
            examples: keys.examples.clone(),
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
            examples: rows.examples.clone(),
        });
    }
}

fn jira_version(build: &str) -> Option<(u32, u32, u32)> {
    let v = build.split(['#', ' ', '-']).next()?;
    let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
    Some((
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
        parts.next().flatten().unwrap_or(0),
    ))
}

/// Whether a zone name means UTC (no offset, ever).
/// Whether a base URL is on an Atlassian cloud site (`*.atlassian.net`):
/// the links were remapped already.
fn is_cloud_site(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', ':', '?', '#']).next().unwrap_or("");
    host.to_ascii_lowercase().ends_with(".atlassian.net")
}

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

fn finding(
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
            examples: rows.examples.clone(),
        });
    }
}

/// Turns what was seen into findings.
fn findings_of(files: &[XmlFileCheck], a: &Auditor) -> Vec<Finding> {
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

/// Checks one XML file read from `input`; `name` names it in the report.
///
/// ```
/// use backup_fix::check::{Severity, check_xml_stream};
/// let xml = "<entity-engine-xml>\n<User id=\"1\" userName=\"jo\" emailAddress=\"jo@company\"/>\n</entity-engine-xml>";
/// let report = check_xml_stream("entities.xml", xml.as_bytes())?;
/// assert!(report.blocks_import());
/// assert!(report.findings.iter().any(|f| f.code == "email-no-tld" && f.severity == Severity::Error));
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub fn check_xml_stream<R: Read>(name: &str, input: R) -> Result<CheckReport, Error> {
    let (file, audit) = check_xml(name, input, &CheckOptions::default(), &mut |_| {})?;
    Ok(single_file_report(name.to_string(), file, &audit))
}

/// The report on one XML file checked alone.
fn single_file_report(name: String, file: XmlFileCheck, audit: &Auditor) -> CheckReport {
    let kind = match file.product {
        Some(Product::Jira) => "Jira entities.xml",
        Some(Product::Confluence) => "Confluence entities.xml",
        Some(Product::ActiveObjects) => "Active Objects data",
        _ => "XML file",
    };
    assemble(name, kind.to_string(), vec![file], audit, Vec::new())
}

/// The report from the files' verdicts, what the audit of `entities.xml`
/// saw, and findings on the backup as a whole (`shape`).
fn assemble(
    input: String,
    kind: String,
    files: Vec<XmlFileCheck>,
    audit: &Auditor,
    shape: Vec<Finding>,
) -> CheckReport {
    let mut findings = shape;
    findings.extend(findings_of(&files, audit));
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    CheckReport {
        input,
        kind,
        users: audit.users.summary(),
        backup: audit.observer.facts.clone(),
        spaces: audit.spaces.clone(),
        groups: users::group_summaries(&audit.group_members),
        size: audit.move_size(),
        media: audit.media.clone(),
        files,
        findings,
    }
}

/// Checks a backup at `path`:
/// - a zip (Jira backup or Confluence export), read in place: the zip's
///   shape, every XML entry, and Confluence attachment files against their
///   records;
/// - a directory holding an unpacked export (`entities.xml` at its top);
/// - an XML file, possibly gzip- or zstd-compressed, or `-` for standard input.
///
/// ```no_run
/// let report = backup_fix::check::check_path("confluence-export.zip".as_ref())?;
/// for f in &report.findings {
///     println!("{} {} {}", f.severity, f.section, f.message);
/// }
/// std::process::exit(if report.blocks_import() { 1 } else { 0 });
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub fn check_path(path: &Path) -> Result<CheckReport, Error> {
    check_path_with_progress(path, &mut |_| {})
}

/// [`check_path`], telling `on_progress` how far it has got: bytes of XML
/// checked out of the XML the backup holds (uncompressed sizes, as the zip's
/// directory or the file system states them), or, for a compressed XML file,
/// compressed bytes read out of the file's size. Attachments are not read,
/// so they do not count.
///
/// ```no_run
/// use backup_fix::check::check_path_with_progress;
/// let report = check_path_with_progress("backup.zip".as_ref(), &mut |p| {
///     if let Some(total) = p.total {
///         eprint!("\r{} of {} bytes checked", p.read, total);
///     }
/// })?;
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub fn check_path_with_progress(
    path: &Path,
    on_progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<CheckReport, Error> {
    check_path_with(path, &CheckOptions::default(), on_progress)
}

/// [`check_path_with_progress`] with [`CheckOptions`] (e.g. a larger
/// `max_tag_size` for a backup with genuinely large tags).
///
/// ```no_run
/// use backup_fix::check::{CheckOptions, check_path_with};
/// let options = CheckOptions::default().max_tag_size(64 << 20);
/// let report = check_path_with("backup.zip".as_ref(), &options, &mut |_| {})?;
/// # Ok::<(), backup_fix::Error>(())
/// ```
///
/// With [`CheckOptions::attachments`] (or when `path` is a Jira home: a
/// folder with `export/` and `data/`, whose newest backup zip in `export/`
/// and `data/attachments` are then used), the backup's `FileAttachment`
/// rows are checked against the files: missing, of another size, referred
/// to by no row, thumbnails (section `Attachments`).
///
/// ```no_run
/// use backup_fix::check::{CheckOptions, check_path_with};
/// let options = CheckOptions::default().attachments("/var/atlassian/application-data/jira");
/// let report = check_path_with("jira-backup.zip".as_ref(), &options, &mut |_| {})?;
/// let missing = report.findings.iter().find(|f| f.code == "attachment-file-missing");
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub fn check_path_with(
    path: &Path,
    options: &CheckOptions,
    on_progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<CheckReport, Error> {
    let resolved = jira_home::resolve(path, options)?;
    let mut options = options.clone();
    options.collect_media |= resolved.attachments.is_some();
    let mut report = check_backup(&resolved.backup, &options, on_progress)?;
    let attachments = resolved.attachments.as_deref();
    jira_home::add_cross_check(&mut report, attachments, resolved.notes, &options.cancel)?;
    Ok(report)
}

/// Checks the backup at `path` (see [`check_path_with`]), without the attachments.
fn check_backup(
    path: &Path,
    options: &CheckOptions,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<CheckReport, Error> {
    if path.as_os_str() != "-" {
        if path.is_dir() {
            return archive::check_dir(path, options, on_progress);
        }
        let mut head = [0u8; 4];
        let n = std::fs::File::open(path)
            .and_then(|mut f| f.read(&mut head))
            .map_err(|e| Error::from(e).in_file(path))?;
        let named_zip = path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("zip"));
        if named_zip || crate::archive::is_zip(&head[..n]) {
            return archive::check_zip(path, options, on_progress);
        }
    }
    let name = path.display().to_string();
    let (reader, total, raw) = crate::driver::files::open_decoded(path)?;
    on_progress(Progress::new(Phase::Main, 0, total));
    let (file, audit) = check_xml(&name, reader, options, &mut |_| {
        on_progress(Progress::new(Phase::Main, raw.get(), total));
    })?;
    Ok(single_file_report(name, file, &audit))
}
