//! What `check` reports: the verdict on each XML file, the findings with
//! their severity, and the report that holds them, with its text form (the
//! pre-flight screen).

use super::jira_home::MediaSlot;
use super::{GroupSummary, MoveSize, UserSummary};
use crate::location::Location;
use crate::report::plural;
use crate::rules::facts::{BackupFacts, Product};
use serde::Serialize;
use std::fmt;

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
    pub(crate) media: MediaSlot,
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

    /// How many findings are of severity `s`.
    pub(super) fn count(&self, s: Severity) -> usize {
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
