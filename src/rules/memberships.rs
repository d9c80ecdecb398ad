//! `--repair-memberships`: Jira's `<Membership>` rows get the `parentId` and
//! `childId` of the `Group` and `User` rows their lower names name within
//! their directory, and rows that then duplicate an earlier
//! `(parentId, childId, membershipType)` are dropped.
//!
//! Data Center 8.22 and later key memberships by name and stop maintaining
//! the ids, which the cloud's unique index still checks. `Group` rows come
//! before `Membership` rows but `User` rows after them, so the ids are
//! learned in a first pass ([`MemberIndexBuilder`]), in memory proportional
//! to the number of users and groups.

use crate::error::Error;
use crate::rules::fnv::FnvMap;
use crate::xml::rules::{Edits, StartTag};
use serde::Serialize;
use std::collections::HashSet;
use std::hash::BuildHasherDefault;
use std::ops::Range;
use std::sync::Arc;

/// Rows of one kind: how many, and the first few row ids.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RowIds {
    /// Number of rows.
    pub count: u64,
    /// The `id`s of the first few, in file order.
    pub first: Vec<String>,
}

impl RowIds {
    fn add(&mut self, id: &[u8], keep: usize) {
        self.count += 1;
        if self.first.len() < keep {
            self.first.push(String::from_utf8_lossy(id).into_owned());
        }
    }
}

/// What `--repair-memberships` did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MembershipReport {
    /// `parentId` and `childId` values rewritten.
    pub ids_changed: u64,
    /// Rows with at least one id rewritten.
    pub rows_repaired: RowIds,
    /// Rows dropped because they duplicated an earlier
    /// `(parentId, childId, membershipType)` once repaired.
    pub rows_dropped: RowIds,
    /// Rows left as they were: their group or member (by lower name within
    /// the directory) is not in the backup, or the row lacks a name.
    pub unresolved: RowIds,
}

/// The key of a user or group: directory id, NUL, lower name (raw, as written).
fn key(directory: &[u8], lower_name: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(directory.len() + 1 + lower_name.len());
    k.extend_from_slice(directory);
    k.push(0);
    k.extend_from_slice(lower_name);
    k
}

/// The ids of a backup's groups and users, by directory and lower name.
#[derive(Debug, Default)]
pub(crate) struct MemberIndex {
    groups: FnvMap<Vec<u8>, Vec<u8>>,
    users: FnvMap<Vec<u8>, Vec<u8>>,
}

/// Learns a [`MemberIndex`] from the `Group` and `User` rows streaming past.
#[derive(Debug, Default)]
pub(crate) struct MemberIndexBuilder {
    index: MemberIndex,
}

impl MemberIndexBuilder {
    /// A Jira row (a start tag at depth 1).
    pub(crate) fn start_tag(&mut self, tag: &StartTag<'_>) {
        let (map, name) = match tag.name() {
            b"Group" => (&mut self.index.groups, &b"lowerGroupName"[..]),
            b"User" => (&mut self.index.users, &b"lowerUserName"[..]),
            _ => return,
        };
        let (Some(id), Some(dir), Some(lower)) =
            (tag.attr(b"id"), tag.attr(b"directoryId"), tag.attr(name))
        else {
            return;
        };
        // The first row wins; a second one in the same directory is a
        // defect of its own, which `check` reports.
        map.entry(key(&dir, &lower))
            .or_insert_with(|| id.into_owned());
    }

    pub(crate) fn finish(self) -> MemberIndex {
        self.index
    }
}

/// The main pass: repairs each `<Membership>` row.
pub(crate) struct MembershipRepair {
    index: Option<Arc<MemberIndex>>,
    /// `(parentId, childId, membershipType)` of the rows written so far.
    seen: HashSet<Vec<u8>, BuildHasherDefault<crate::rules::fnv::Fnv>>,
    keep: usize,
    pub(crate) report: MembershipReport,
    triple: Vec<u8>,
}

/// The attributes of a `<Membership>` row that the repair reads.
#[derive(Default)]
struct Row {
    id: Option<Range<usize>>,
    parent: Option<Range<usize>>,
    child: Option<Range<usize>>,
    kind: Option<Range<usize>>,
    parent_name: Option<Range<usize>>,
    child_name: Option<Range<usize>>,
    directory: Option<Range<usize>>,
}

impl MembershipRepair {
    pub(crate) fn new(index: Option<Arc<MemberIndex>>, keep: usize) -> Self {
        Self {
            index,
            seen: HashSet::default(),
            keep,
            report: MembershipReport::default(),
            triple: Vec::new(),
        }
    }

    /// A `<Membership>` start tag.
    pub(crate) fn row(&mut self, tag: &StartTag<'_>, edits: &mut Edits) -> Result<(), Error> {
        let Some(index) = self.index.as_deref() else {
            return Err(Error::MissingFact {
                what: "--repair-memberships: the users are not known yet (User rows come after Membership rows); run on a file, which is read twice, or call scan_facts first".into(),
                offset: tag.offset,
            });
        };
        let mut row = Row::default();
        for (name, range) in tag.attributes() {
            let slot = match name {
                b"id" => &mut row.id,
                b"parentId" => &mut row.parent,
                b"childId" => &mut row.child,
                b"membershipType" => &mut row.kind,
                b"lowerParentName" => &mut row.parent_name,
                b"lowerChildName" => &mut row.child_name,
                b"directoryId" => &mut row.directory,
                _ => continue,
            };
            *slot = Some(range);
        }
        let value = |r: &Option<Range<usize>>| r.clone().map(|r| tag.value(r));
        let id = value(&row.id).unwrap_or_default();
        let kind = value(&row.kind).unwrap_or_default();
        let resolved = (|| {
            let dir = value(&row.directory)?;
            let children = match &*kind {
                b"GROUP_USER" => &index.users,
                b"GROUP_GROUP" => &index.groups,
                _ => return None,
            };
            let parent = index.groups.get(&key(&dir, &value(&row.parent_name)?))?;
            let child = children.get(&key(&dir, &value(&row.child_name)?))?;
            Some((parent.as_slice(), child.as_slice()))
        })();
        let (parent, child) = match resolved {
            Some((parent, child)) => {
                let mut changed = 0;
                for (range, want) in [(&row.parent, parent), (&row.child, child)] {
                    if let Some(r) = range
                        && *tag.value(r.clone()) != *want
                    {
                        edits.replace(r.clone(), want);
                        changed += 1;
                    }
                }
                if changed > 0 {
                    self.report.ids_changed += changed;
                    self.report.rows_repaired.add(&id, self.keep);
                }
                (
                    std::borrow::Cow::Borrowed(parent),
                    std::borrow::Cow::Borrowed(child),
                )
            }
            None => {
                self.report.unresolved.add(&id, self.keep);
                (
                    value(&row.parent).unwrap_or_default(),
                    value(&row.child).unwrap_or_default(),
                )
            }
        };
        self.triple.clear();
        for part in [&*parent, &*child, &*kind] {
            self.triple.extend_from_slice(part);
            self.triple.push(0);
        }
        if self.seen.contains(&self.triple) {
            edits.drop_element();
            self.report.rows_dropped.add(&id, self.keep);
        } else {
            self.seen.insert(self.triple.clone());
        }
        Ok(())
    }
}
