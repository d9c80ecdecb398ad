//! `check`'s view of Jira's users, groups and memberships: membership ids
//! that do not match the names they stand beside (Data Center 8.22+),
//! duplicate membership rows, memberships of groups or members that do not
//! exist, and the same user twice in one directory.
//!
//! The judging is the repair's own first pass
//! ([`MemberIndexBuilder`](crate::rules::memberships::MemberIndexBuilder)),
//! in memory proportional to the users and groups: the memberships go to
//! sorted runs on disk. This module turns its verdicts into findings' rows.

use crate::check::users::EXAMPLES;
use crate::firsts::Firsts;
use crate::rules::memberships::{Judged, MemberIndexBuilder};
use crate::xml::rules::StartTag;

/// Rows of one kind of problem: how many, and the first
/// [`EXAMPLES`] described.
pub(crate) type Rows = Firsts<String>;

impl Rows {
    /// Counts one more row, described by `example` while fewer than
    /// [`EXAMPLES`] are kept.
    pub(crate) fn add_example(&mut self, example: impl FnOnce() -> String) {
        self.add(EXAMPLES, example);
    }
}

/// The membership audit.
#[derive(Debug, Default)]
pub(crate) struct MembershipAudit {
    builder: Option<MemberIndexBuilder>,
    /// Rows whose ids are not those of the names (`--repair-memberships`).
    pub(crate) stale: Rows,
    /// Rows repeating an earlier `(parentId, childId, membershipType)`.
    pub(crate) duplicate: Rows,
    /// Rows whose group or member is not in the backup.
    pub(crate) dangling: Rows,
    /// Users whose lower name is taken in their directory already.
    pub(crate) duplicate_users: Rows,
    /// Why the memberships could not be judged (temporary files), if so.
    pub(crate) error: Option<String>,
}

impl MembershipAudit {
    /// A Jira row.
    pub(crate) fn row(&mut self, tag: &StartTag<'_>) {
        self.builder
            .get_or_insert_with(|| MemberIndexBuilder::new(&std::env::temp_dir(), EXAMPLES))
            .start_tag(tag);
    }

    /// Judges the memberships, once the users and groups are known.
    pub(crate) fn finish(&mut self) {
        let Some(builder) = self.builder.take() else {
            return;
        };
        let judged = match builder.finish() {
            Ok((_, judged)) => judged,
            Err(e) => {
                self.error = Some(format!(
                    "the memberships need temporary files in {}: {e}",
                    std::env::temp_dir().display()
                ));
                return;
            }
        };
        let Judged {
            stale,
            duplicate,
            dangling,
            duplicate_users,
            ..
        } = judged;
        self.stale = stale.map(|(id, parent, child, p, c)| {
            format!(
                "Membership id={id}: parentId {parent} childId {child}, the names say {p} and {c}"
            )
        });
        self.duplicate = duplicate.map(|id| format!("Membership id={id}"));
        self.dangling =
            dangling.map(|(id, missing)| format!("Membership id={id}: no such {missing}"));
        self.duplicate_users = duplicate_users
            .map(|(name, dir, id)| format!("{name} in directory {dir} (user id {id})"));
    }
}
