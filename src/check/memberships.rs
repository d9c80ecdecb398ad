//! `check`'s view of Jira's users, groups and memberships: membership ids
//! that do not match the names they stand beside (Data Center 8.22+),
//! duplicate membership rows, memberships of groups or members that do not
//! exist, and the same user twice in one directory.
//!
//! One pass: `User` rows come after `Membership` rows, so each membership is
//! kept as a few hashes and ids (about 48 bytes) and judged at the end.

use crate::check::users::EXAMPLES;
use crate::rules::fnv::{Fnv, FnvMap};
use crate::xml::rules::StartTag;
use std::hash::{BuildHasher, BuildHasherDefault};

/// Rows of one kind of problem: how many, and the first few, described.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Rows {
    pub(crate) count: u64,
    pub(crate) examples: Vec<String>,
}

impl Rows {
    pub(crate) fn add(&mut self, example: impl FnOnce() -> String) {
        self.count += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(example());
        }
    }
}

/// One membership row, as kept until the users are known.
#[derive(Debug)]
struct Kept {
    id: u64,
    parent_key: u64,
    parent: u64,
    child_key: u64,
    child: u64,
    group_child: bool,
}

/// The membership audit.
#[derive(Debug, Default)]
pub(crate) struct MembershipAudit {
    groups: FnvMap<u64, u64>,
    users: FnvMap<u64, u64>,
    rows: Vec<Kept>,
    triples: FnvMap<(u64, u64, bool), ()>,
    /// Rows whose ids are not those of the names (`--repair-memberships`).
    pub(crate) stale: Rows,
    /// Rows repeating an earlier `(parentId, childId, membershipType)`.
    pub(crate) duplicate: Rows,
    /// Rows whose group or member is not in the backup.
    pub(crate) dangling: Rows,
    /// Users whose lower name is taken in their directory already.
    pub(crate) duplicate_users: Rows,
}

fn key(directory: &[u8], lower_name: &[u8]) -> u64 {
    BuildHasherDefault::<Fnv>::default().hash_one((directory, lower_name))
}

fn num(v: &[u8]) -> Option<u64> {
    std::str::from_utf8(v).ok()?.parse().ok()
}

impl MembershipAudit {
    /// A Jira row.
    pub(crate) fn row(&mut self, tag: &StartTag<'_>) {
        let get = |name: &[u8]| tag.attr(name);
        match tag.name() {
            b"Group" => {
                if let (Some(id), Some(dir), Some(name)) = (
                    get(b"id").and_then(|v| num(&v)),
                    get(b"directoryId"),
                    get(b"lowerGroupName"),
                ) {
                    self.groups.entry(key(&dir, &name)).or_insert(id);
                }
            }
            b"User" => {
                if let (Some(id), Some(dir), Some(name)) = (
                    get(b"id").and_then(|v| num(&v)),
                    get(b"directoryId"),
                    get(b"lowerUserName"),
                ) {
                    match self.users.entry(key(&dir, &name)) {
                        std::collections::hash_map::Entry::Occupied(_) => {
                            self.duplicate_users.add(|| {
                                format!(
                                    "{} in directory {} (user id {id})",
                                    String::from_utf8_lossy(&name),
                                    String::from_utf8_lossy(&dir)
                                )
                            });
                        }
                        std::collections::hash_map::Entry::Vacant(v) => {
                            v.insert(id);
                        }
                    }
                }
            }
            b"Membership" => {
                let group_child = match get(b"membershipType").as_deref() {
                    Some(b"GROUP_USER") => false,
                    Some(b"GROUP_GROUP") => true,
                    _ => return,
                };
                let (Some(id), Some(parent), Some(child), Some(dir), Some(pn), Some(cn)) = (
                    get(b"id").and_then(|v| num(&v)),
                    get(b"parentId").and_then(|v| num(&v)),
                    get(b"childId").and_then(|v| num(&v)),
                    get(b"directoryId"),
                    get(b"lowerParentName"),
                    get(b"lowerChildName"),
                ) else {
                    return;
                };
                if self
                    .triples
                    .insert((parent, child, group_child), ())
                    .is_some()
                {
                    self.duplicate.add(|| format!("Membership id={id}"));
                }
                self.rows.push(Kept {
                    id,
                    parent_key: key(&dir, &pn),
                    parent,
                    child_key: key(&dir, &cn),
                    child,
                    group_child,
                });
            }
            _ => {}
        }
    }

    /// Judges the memberships, once the users and groups are known.
    pub(crate) fn finish(&mut self) {
        self.triples = FnvMap::default();
        for row in std::mem::take(&mut self.rows) {
            let children = if row.group_child {
                &self.groups
            } else {
                &self.users
            };
            match (
                self.groups.get(&row.parent_key),
                children.get(&row.child_key),
            ) {
                (Some(&p), Some(&c)) => {
                    if (p, c) != (row.parent, row.child) {
                        self.stale.add(|| {
                            format!(
                                "Membership id={}: parentId {} childId {}, the names say {p} and {c}",
                                row.id, row.parent, row.child
                            )
                        });
                    }
                }
                (p, _) => {
                    let missing = if p.is_none() { "group" } else { "member" };
                    self.dangling
                        .add(|| format!("Membership id={}: no such {missing}", row.id));
                }
            }
        }
    }
}
