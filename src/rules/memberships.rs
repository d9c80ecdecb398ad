//! `--repair-memberships`: Jira's `<Membership>` rows get the `parentId` and
//! `childId` of the `Group` and `User` rows their lower names name within
//! their directory, and rows that then duplicate an earlier
//! `(parentId, childId, membershipType)` are dropped.
//!
//! Data Center 8.22 and later key memberships by name and stop maintaining
//! the ids, which the cloud's unique index still checks. `Group` rows come
//! before `Membership` rows but `User` rows after them, so everything is
//! judged after a first pass ([`MemberIndexBuilder`], which `check` runs as
//! its audit too): the ids of users and groups by directory and lower name
//! in memory (one entry each), and each membership as one fixed-size record
//! in sorted runs that spill to disk, so memory does not grow with the
//! number of memberships. What the pass decides (the ids and the rows to
//! drop, in file order) the repair then applies as the rows stream past.

use crate::error::Error;
use crate::firsts::Firsts;
use crate::report::{MembershipReport, Product, Report};
use crate::rules::Rule;
use crate::rules::context::Context;
use crate::rules::fnv::FnvMap;
use crate::spill::SortedRuns;
use crate::xml::rules::{Edits, StartTag, decimal};
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Membership records held in memory before a sorted run goes to disk.
const IN_MEMORY: usize = 64 << 10;

/// "None" in a numeric column.
const NONE: u64 = u64::MAX;

/// The key of a user or group: a 128-bit hash of its directory id and lower
/// name (as written). Two different names meeting on one key would need a
/// collision of two independent 64-bit SipHashes.
fn key(directory: &[u8], lower_name: &[u8]) -> u128 {
    let half = |seed: u8| {
        let mut h =
            std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default().build_hasher();
        h.write_u8(seed);
        h.write(directory);
        h.write_u8(0);
        h.write(lower_name);
        h.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

fn num(v: &[u8]) -> Option<u64> {
    decimal(v).filter(|&n| n != NONE)
}

/// What `<Membership>` says its child is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    User = 0,
    Group = 1,
}

/// The attributes of a `<Membership>` row that the repair and the audit read.
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

impl Row {
    fn read(tag: &StartTag<'_>) -> Self {
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
        row
    }

    fn kind(&self, tag: &StartTag<'_>) -> Option<Kind> {
        match &*tag.value(self.kind.clone()?) {
            b"GROUP_USER" => Some(Kind::User),
            b"GROUP_GROUP" => Some(Kind::Group),
            _ => None,
        }
    }

    /// The keys of its group and of its member, when it names both.
    fn keys(&self, tag: &StartTag<'_>) -> Option<(u128, u128)> {
        let dir = tag.value(self.directory.clone()?);
        let parent = tag.value(self.parent_name.clone()?);
        let child = tag.value(self.child_name.clone()?);
        Some((key(&dir, &parent), key(&dir, &child)))
    }

    fn number(&self, tag: &StartTag<'_>, r: &Option<Range<usize>>) -> Option<u64> {
        num(&tag.value(r.clone()?))
    }
}

/// The ids of a backup's groups and users by directory and lower name (the
/// first row wins), and the membership rows to drop.
#[derive(Debug, Default)]
pub(crate) struct MemberIndex {
    groups: FnvMap<u128, u64>,
    users: FnvMap<u128, u64>,
    drops: DropList,
}

impl MemberIndex {
    /// The (group, member) ids a membership's names resolve to.
    fn resolve(&self, kind: Kind, (parent, child): (u128, u128)) -> Option<(u64, u64)> {
        let children = match kind {
            Kind::User => &self.users,
            Kind::Group => &self.groups,
        };
        Some((*self.groups.get(&parent)?, *children.get(&child)?))
    }
}

/// The membership rows to drop, as (ordinal among `<Membership>` rows, row
/// id) in file order, in an anonymous temporary file; each repair reads it
/// with a cursor of its own.
#[derive(Debug, Default)]
struct DropList {
    file: Option<Mutex<File>>,
    len: u64,
}

/// One repair's place in the [`DropList`].
#[derive(Debug, Default)]
struct DropCursor {
    next: u64,
    buf: Vec<[u64; 2]>,
    at: usize,
}

impl DropCursor {
    /// The next (ordinal, id) to drop, if any.
    fn peek(&mut self, list: &DropList) -> io::Result<Option<[u64; 2]>> {
        if self.at == self.buf.len() {
            self.buf.clear();
            self.at = 0;
            let Some(file) = &list.file else {
                return Ok(None);
            };
            let want = (list.len - self.next).min(4096) as usize;
            if want == 0 {
                return Ok(None);
            }
            let mut bytes = vec![0u8; want * 16];
            {
                let mut f = file
                    .lock()
                    .map_err(|_| io::Error::other("drop list poisoned"))?;
                f.seek(SeekFrom::Start(self.next * 16))?;
                f.read_exact(&mut bytes)?;
            }
            self.next += want as u64;
            for rec in bytes.chunks_exact(16) {
                let (a, b) = rec.split_at(8);
                let a = u64::from_le_bytes(a.try_into().map_err(io::Error::other)?);
                let b = u64::from_le_bytes(b.try_into().map_err(io::Error::other)?);
                self.buf.push([a, b]);
            }
        }
        Ok(self.buf.get(self.at).copied())
    }
}

/// What the first pass found wrong with the memberships, for `check`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Judged {
    /// (row id, parentId, childId, the group's id, the member's id).
    pub(crate) stale: Firsts<(u64, u64, u64, u64, u64)>,
    /// Row ids repeating an earlier (parentId, childId, membershipType) as written.
    pub(crate) duplicate: Firsts<u64>,
    /// (row id, "group" or "member") whose name is not in the backup.
    pub(crate) dangling: Firsts<(u64, &'static str)>,
    /// (lower name, directory, user id) of users whose name the directory has already.
    pub(crate) duplicate_users: Firsts<(String, String, String)>,
    /// Rows the repair will drop.
    pub(crate) dropped: u64,
}

/// Learns a [`MemberIndex`] from the `Group`, `User` and `Membership` rows
/// streaming past, and judges the memberships at the end.
pub(crate) struct MemberIndexBuilder {
    index: MemberIndex,
    /// [ordinal, row id, kind, parent key (2), child key (2), parentId, childId].
    rows: Option<SortedRuns<9>>,
    ordinal: u64,
    keep: usize,
    duplicate_users: Firsts<(String, String, String)>,
    dir: std::path::PathBuf,
    failed: Option<io::Error>,
}

impl std::fmt::Debug for MemberIndexBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberIndexBuilder")
            .field("ordinal", &self.ordinal)
            .finish()
    }
}

impl Default for MemberIndexBuilder {
    fn default() -> Self {
        Self::new(&std::env::temp_dir(), 5)
    }
}

fn split(k: u128) -> [u64; 2] {
    [(k >> 64) as u64, k as u64]
}

fn join(hi: u64, lo: u64) -> u128 {
    (u128::from(hi) << 64) | u128::from(lo)
}

impl MemberIndexBuilder {
    /// A builder whose runs spill to `dir`, keeping `keep` examples of each problem.
    pub(crate) fn new(dir: &Path, keep: usize) -> Self {
        Self::holding(dir, keep, IN_MEMORY)
    }

    fn holding(dir: &Path, keep: usize, in_memory: usize) -> Self {
        Self {
            index: MemberIndex::default(),
            rows: Some(SortedRuns::new(dir, in_memory)),
            ordinal: 0,
            keep,
            duplicate_users: Firsts::default(),
            dir: dir.to_path_buf(),
            failed: None,
        }
    }

    /// A Jira row (a start tag at depth 1).
    pub(crate) fn start_tag(&mut self, tag: &StartTag<'_>) {
        match tag.name() {
            b"Group" | b"User" => self.member(tag),
            b"Membership" => {
                let row = Row::read(tag);
                let ordinal = self.ordinal;
                self.ordinal += 1;
                let Some(kind) = row.kind(tag) else {
                    return;
                };
                let (pk, ck) = row
                    .keys(tag)
                    .map_or(([NONE; 2], [NONE; 2]), |(p, c)| (split(p), split(c)));
                let record = [
                    ordinal,
                    row.number(tag, &row.id).unwrap_or(NONE),
                    kind as u64,
                    pk[0],
                    pk[1],
                    ck[0],
                    ck[1],
                    row.number(tag, &row.parent).unwrap_or(NONE),
                    row.number(tag, &row.child).unwrap_or(NONE),
                ];
                if let Some(rows) = self.rows.as_mut()
                    && self.failed.is_none()
                    && let Err(e) = rows.push(record)
                {
                    self.failed = Some(e);
                }
            }
            _ => {}
        }
    }

    fn member(&mut self, tag: &StartTag<'_>) {
        let (users, name) = match tag.name() {
            b"Group" => (false, &b"lowerGroupName"[..]),
            _ => (true, &b"lowerUserName"[..]),
        };
        let (Some(id), Some(dir), Some(lower)) =
            (tag.attr(b"id"), tag.attr(b"directoryId"), tag.attr(name))
        else {
            return;
        };
        let Some(n) = num(&id) else {
            return;
        };
        let map = if users {
            &mut self.index.users
        } else {
            &mut self.index.groups
        };
        match map.entry(key(&dir, &lower)) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(n);
            }
            // The first row wins; a second user in the same directory is a
            // defect of its own.
            std::collections::hash_map::Entry::Occupied(_) if users => {
                self.duplicate_users.add(self.keep, || {
                    (
                        String::from_utf8_lossy(&lower).into_owned(),
                        String::from_utf8_lossy(&dir).into_owned(),
                        String::from_utf8_lossy(&id).into_owned(),
                    )
                });
            }
            std::collections::hash_map::Entry::Occupied(_) => {}
        }
    }

    /// Judges every membership now that the users and groups are known:
    /// the index for the repair, and what `check` reports.
    pub(crate) fn finish(mut self) -> io::Result<(MemberIndex, Judged)> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let mut judged = Judged {
            duplicate_users: std::mem::take(&mut self.duplicate_users),
            ..Judged::default()
        };
        let keep = self.keep;
        // [parentId, childId, kind, ordinal, id] as written, and as repaired.
        let mut written: SortedRuns<5> = SortedRuns::new(&self.dir, IN_MEMORY);
        let mut repaired: SortedRuns<5> = SortedRuns::new(&self.dir, IN_MEMORY);
        let mut rows = match self.rows.take() {
            Some(r) => r.into_sorted()?,
            None => return Ok((self.index, judged)),
        };
        while let Some([ordinal, id, kind, p1, p2, c1, c2, parent, child]) = rows.next_record()? {
            let kind_of = if kind == Kind::Group as u64 {
                Kind::Group
            } else {
                Kind::User
            };
            let keys = (p1 != NONE || p2 != NONE).then(|| (join(p1, p2), join(c1, c2)));
            let resolved = keys.and_then(|k| self.index.resolve(kind_of, k));
            // Rows without their ids or names are left to the import.
            match (resolved, keys) {
                (Some((p, c)), _)
                    if parent != NONE && child != NONE && (p, c) != (parent, child) =>
                {
                    judged.stale.add(keep, || (id, parent, child, p, c));
                }
                (Some(_), _) => {}
                (None, Some((pk, _))) => {
                    let missing = if self.index.groups.contains_key(&pk) {
                        "member"
                    } else {
                        "group"
                    };
                    judged.dangling.add(keep, || (id, missing));
                }
                _ => {}
            }
            if parent != NONE && child != NONE {
                written.push([parent, child, kind, ordinal, id])?;
            }
            let (rp, rc) = resolved.unwrap_or((parent, child));
            if rp != NONE && rc != NONE {
                repaired.push([rp, rc, kind, ordinal, id])?;
            }
        }
        // Rows whose triple an earlier row has: sorted by triple, then ordinal.
        let repeats = |runs: SortedRuns<5>,
                       mut each: Box<dyn FnMut([u64; 5]) -> io::Result<()> + '_>|
         -> io::Result<()> {
            let mut sorted = runs.into_sorted()?;
            let mut last: Option<[u64; 3]> = None;
            while let Some(r) = sorted.next_record()? {
                let triple = [r[0], r[1], r[2]];
                if last == Some(triple) {
                    each(r)?;
                }
                last = Some(triple);
            }
            Ok(())
        };
        let mut duplicates: SortedRuns<2> = SortedRuns::new(&self.dir, IN_MEMORY);
        repeats(written, Box::new(|r| duplicates.push([r[3], r[4]])))?;
        let mut sorted = duplicates.into_sorted()?;
        while let Some([_, id]) = sorted.next_record()? {
            judged.duplicate.add(keep, || id);
        }
        let mut drops: SortedRuns<2> = SortedRuns::new(&self.dir, IN_MEMORY);
        repeats(repaired, Box::new(|r| drops.push([r[3], r[4]])))?;
        let mut sorted = drops.into_sorted()?;
        let mut file: Option<BufWriter<File>> = None;
        let mut len = 0u64;
        while let Some([ordinal, id]) = sorted.next_record()? {
            if file.is_none() {
                file = Some(BufWriter::new(tempfile::tempfile_in(&self.dir)?));
            }
            if let Some(f) = file.as_mut() {
                f.write_all(&ordinal.to_le_bytes())?;
                f.write_all(&id.to_le_bytes())?;
            }
            len += 1;
        }
        judged.dropped = len;
        if let Some(f) = file {
            let f = f.into_inner().map_err(io::IntoInnerError::into_error)?;
            self.index.drops = DropList {
                file: Some(Mutex::new(f)),
                len,
            };
        }
        Ok((self.index, judged))
    }
}

/// The main pass: repairs each `<Membership>` row.
pub(crate) struct MembershipRepair {
    index: Option<Arc<MemberIndex>>,
    ordinal: u64,
    drops: DropCursor,
    keep: usize,
    pub(crate) report: MembershipReport,
    digits: Vec<u8>,
}

impl MembershipRepair {
    pub(crate) fn new(index: Option<Arc<MemberIndex>>, keep: usize) -> Self {
        Self {
            index,
            ordinal: 0,
            drops: DropCursor::default(),
            keep,
            report: MembershipReport::default(),
            digits: Vec::new(),
        }
    }

    /// A `<Membership>` start tag (a Jira row, at depth 1).
    pub(crate) fn row(&mut self, tag: &StartTag<'_>, edits: &mut Edits) -> Result<(), Error> {
        let Some(index) = self.index.as_deref() else {
            return Err(Error::MissingFact {
                what: "--repair-memberships: the users are not known yet (User rows come after Membership rows); run on a file, which is read twice, or call scan_facts first".into(),
                offset: tag.offset,
            });
        };
        let ordinal = self.ordinal;
        self.ordinal += 1;
        let row = Row::read(tag);
        let id = row.id.clone().map(|r| tag.value(r)).unwrap_or_default();
        let resolved = row
            .kind(tag)
            .zip(row.keys(tag))
            .and_then(|(kind, keys)| index.resolve(kind, keys));
        match resolved {
            Some((parent, child)) => {
                let mut changed = 0;
                for (range, want) in [(&row.parent, parent), (&row.child, child)] {
                    if let Some(r) = range
                        && num(&tag.value(r.clone())) != Some(want)
                    {
                        self.digits.clear();
                        self.digits.extend_from_slice(want.to_string().as_bytes());
                        edits.replace(r.clone(), &self.digits);
                        changed += 1;
                    }
                }
                if changed > 0 {
                    self.report.ids_changed += changed;
                    self.report.rows_repaired.add(&id, self.keep);
                }
            }
            None => self.report.unresolved.add(&id, self.keep),
        }
        let next = self.drops.peek(&index.drops).map_err(Error::Io)?;
        if let Some([at, drop_id]) = next
            && at == ordinal
        {
            if num(&id).unwrap_or(NONE) != drop_id {
                return Err(Error::MissingFact {
                    what: format!(
                        "--repair-memberships: Membership row {} is not the row the first pass marked as a duplicate (id {drop_id}); the file changed between the two reads: run again on a copy that does not change",
                        String::from_utf8_lossy(&id)
                    ),
                    offset: tag.offset,
                });
            }
            self.drops.at += 1;
            edits.drop_element();
            self.report.rows_dropped.add(&id, self.keep);
        }
        Ok(())
    }
}

impl Rule for MembershipRepair {
    fn ignores_blank_text(&self, _cx: &Context) -> bool {
        // No text hooks: text passes as it is.
        true
    }

    fn drops(&self) -> bool {
        true
    }

    fn start_tag(
        &mut self,
        cx: &Context,
        depth: usize,
        tag: &StartTag<'_>,
        edits: &mut Edits,
    ) -> Result<(), Error> {
        // Rows only, as the first pass counts them.
        if depth == 1 && cx.product() == Some(Product::Jira) && tag.name() == b"Membership" {
            self.row(tag, edits)?;
        }
        Ok(())
    }

    fn report(&self, _cx: &Context, report: &mut Report) {
        report.memberships = Some(self.report.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lexes one start tag and hands it to `f`.
    fn with_tag(raw: &str, f: impl FnOnce(&StartTag<'_>)) {
        let mut attrs = Vec::new();
        let mut removed = Vec::new();
        let mut names = crate::xml::lex::NameCache::default();
        let t = crate::xml::lex::start_tag(
            raw.as_bytes(),
            0,
            false,
            &mut attrs,
            &mut removed,
            &mut names,
        )
        .unwrap_or_else(|_| panic!("lexes: {raw}"));
        let tag = StartTag {
            raw: raw.as_bytes(),
            name_end: t.name_end,
            attrs: &attrs,
            removed: &removed,
            offset: 0,
        };
        f(&tag);
    }

    #[test]
    fn spilled_runs_judge_as_memory_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut rows = vec![r#"<Group id="1" lowerGroupName="g" directoryId="1"/>"#.to_string()];
        for k in 0..300u64 {
            // Every third row repeats the previous one's ids; all name user k/3.
            let u = k / 3;
            rows.push(format!(
                r#"<Membership id="{}" parentId="1" childId="{}" membershipType="GROUP_USER" lowerParentName="g" lowerChildName="u{u}" directoryId="1"/>"#,
                1000 + k,
                if k % 3 == 0 { 5000 + k } else { 7 }
            ));
        }
        for u in 0..100u64 {
            rows.push(format!(
                r#"<User id="{}" lowerUserName="u{u}" directoryId="1"/>"#,
                10 + u
            ));
        }
        let judge = |in_memory: usize| {
            let mut b = MemberIndexBuilder::holding(dir.path(), 3, in_memory);
            for r in &rows {
                with_tag(r, |t| b.start_tag(t));
            }
            b.finish().expect("judged")
        };
        let (index, judged) = judge(7);
        let (_, in_memory) = judge(usize::MAX);
        assert_eq!(judged, in_memory);
        assert_eq!(judged.stale.count, 300, "no row has its user's id");
        // childId 7 repeats in 199 rows after the first.
        assert_eq!(judged.duplicate.count, 199);
        // Repaired, each user's three rows are one triple: two of each go.
        assert_eq!(judged.dropped, 200);
        assert_eq!(index.drops.len, 200);
        let mut cursor = DropCursor::default();
        assert_eq!(cursor.peek(&index.drops).expect("reads"), Some([1, 1001]));
        assert!(
            std::fs::read_dir(dir.path()).expect("dir").next().is_none(),
            "runs are anonymous"
        );
    }
}
