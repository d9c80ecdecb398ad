//! `check`'s count of what hangs off each Jira issue against the cloud's
//! per-issue guards: 5,000 comments, 5,000 worklogs, 2,000 attachments and
//! 2,000 issue links (Atlassian's Jira Cloud migration guide and limits).
//!
//! Bounded however many issues there are: each (issue id, kind) is counted
//! in a map of at most 256K keys; when it fills, its counts go to sorted
//! runs on disk and the map starts again, and the runs' counts of one key
//! are added up at the end. A backup of fewer issues never touches the disk.

use crate::check::memberships::Rows;
use crate::rules::fnv::FnvMap;
use crate::spill::SortedRuns;
use crate::xml::rules::StartTag;
use std::io;
use std::path::Path;

/// Keys counted in memory before the counts go to a sorted run on disk.
const IN_MEMORY: usize = 256 << 10;

/// What the cloud guards per issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Guarded {
    Comments = 0,
    Worklogs = 1,
    Attachments = 2,
    Links = 3,
}

impl Guarded {
    pub(crate) const ALL: [Guarded; 4] = [
        Guarded::Comments,
        Guarded::Worklogs,
        Guarded::Attachments,
        Guarded::Links,
    ];

    /// The most one issue may have in the cloud.
    pub(crate) fn limit(self) -> u64 {
        match self {
            Guarded::Comments | Guarded::Worklogs => 5_000,
            Guarded::Attachments | Guarded::Links => 2_000,
        }
    }

    /// The plural noun.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Guarded::Comments => "comments",
            Guarded::Worklogs => "worklogs",
            Guarded::Attachments => "attachments",
            Guarded::Links => "issue links",
        }
    }

    /// The finding's code.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Guarded::Comments => "issue-too-many-comments",
            Guarded::Worklogs => "issue-too-many-worklogs",
            Guarded::Attachments => "issue-too-many-attachments",
            Guarded::Links => "issue-too-many-links",
        }
    }
}

/// Issue ids at or above this cannot share a key with the kind (never seen:
/// Jira's ids are far smaller); such rows are not counted.
const MAX_ID: u64 = 1 << 62;

/// The per-issue counts.
pub(crate) struct IssueGuards {
    /// Rows per (issue id << 2 | kind), up to `limit` keys.
    counts: FnvMap<u64, u64>,
    limit: usize,
    /// Counts spilled when the map was full: [key, count].
    runs: Option<SortedRuns<2>>,
    dir: std::path::PathBuf,
    failed: Option<io::Error>,
    /// Issues over each guard, in the order of [`Guarded::ALL`] (after
    /// [`IssueGuards::finish`]).
    pub(crate) over: [Rows; 4],
    /// Why the counts could not be made (temporary files), if so.
    pub(crate) error: Option<String>,
}

impl std::fmt::Debug for IssueGuards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssueGuards")
            .field("over", &self.over)
            .finish()
    }
}

impl Default for IssueGuards {
    fn default() -> Self {
        Self::new(&std::env::temp_dir())
    }
}

/// A decimal issue id, as written (spaces around it allowed).
fn id(v: &[u8]) -> Option<u64> {
    let v = v.trim_ascii();
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = v.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    (n < MAX_ID).then_some(n)
}

impl IssueGuards {
    /// Counts whose sorted runs spill to `dir`.
    pub(crate) fn new(dir: &Path) -> Self {
        Self::holding(dir, IN_MEMORY)
    }

    /// Counts holding `in_memory` keys before a run goes to `dir`.
    fn holding(dir: &Path, in_memory: usize) -> Self {
        Self {
            counts: FnvMap::default(),
            limit: in_memory.max(1),
            runs: None,
            dir: dir.to_path_buf(),
            failed: None,
            over: Default::default(),
            error: None,
        }
    }

    fn push(&mut self, issue: Option<u64>, what: Guarded) {
        let Some(issue) = issue else {
            return;
        };
        *self.counts.entry(issue << 2 | what as u64).or_default() += 1;
        if self.counts.len() >= self.limit
            && let Err(e) = self.spill()
        {
            self.failed.get_or_insert(e);
            self.counts.clear();
        }
    }

    /// Moves the map's counts to a sorted run.
    fn spill(&mut self) -> io::Result<()> {
        let runs = self
            .runs
            .get_or_insert_with(|| SortedRuns::new(&self.dir, self.limit));
        for (k, n) in self.counts.drain() {
            runs.push([k, n])?;
        }
        Ok(())
    }

    /// A Jira row (an element at depth 1): its attributes are read once.
    pub(crate) fn row(&mut self, tag: &StartTag<'_>) {
        let what = match tag.name() {
            b"Action" => Guarded::Comments,
            b"Worklog" => Guarded::Worklogs,
            b"FileAttachment" => Guarded::Attachments,
            b"IssueLink" => Guarded::Links,
            _ => return,
        };
        let (mut issue, mut other, mut counted) = (None, None, what != Guarded::Comments);
        for (name, range) in tag.attributes() {
            match (what, name) {
                (Guarded::Links, b"source") => issue = id(&tag.value(range)),
                (Guarded::Links, b"destination") => other = id(&tag.value(range)),
                (Guarded::Links, _) => {}
                (_, b"issue") => issue = id(&tag.value(range)),
                (Guarded::Comments, b"type") => counted = &*tag.value(range) == b"comment",
                _ => {}
            }
        }
        if !counted {
            return;
        }
        self.push(issue, what);
        // A link of an issue to itself counts once.
        if other != issue {
            self.push(other, what);
        }
    }

    /// The issues over each guard, from the counts.
    pub(crate) fn finish(&mut self) {
        let result = match self.failed.take() {
            Some(e) => Err(e),
            None => self.count(),
        };
        if let Err(e) = result {
            self.error = Some(format!(
                "the per-issue counts need temporary files in {}: {e}",
                std::env::temp_dir().display()
            ));
        }
    }

    fn count(&mut self) -> io::Result<()> {
        // Over the limit, in issue order.
        let mut over: Vec<(u64, u64)> = Vec::new();
        let mut judge = |k: u64, n: u64| {
            if n > Guarded::ALL[(k & 3) as usize].limit() {
                over.push((k, n));
            }
        };
        if self.runs.is_none() {
            for (&k, &n) in &self.counts {
                judge(k, n);
            }
            over.sort_unstable();
        } else {
            self.spill()?;
            let Some(runs) = self.runs.take() else {
                return Ok(());
            };
            let mut sorted = runs.into_sorted()?;
            let mut run: Option<(u64, u64)> = None;
            while let Some([k, n]) = sorted.next_record()? {
                run = match run {
                    Some((key, total)) if key == k => Some((key, total + n)),
                    Some((key, total)) => {
                        judge(key, total);
                        Some((k, n))
                    }
                    None => Some((k, n)),
                };
            }
            if let Some((key, total)) = run {
                judge(key, total);
            }
        }
        self.counts = FnvMap::default();
        for (k, n) in over {
            let what = Guarded::ALL[(k & 3) as usize];
            self.over[what as usize]
                .add_example(|| format!("issue id={}: {n} {}", k >> 2, what.noun()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::lex::{AttrSpan, RemovedRef};

    /// Feeds `<Worklog issue="N"/>` rows for each issue id in `issues`.
    fn worklogs(g: &mut IssueGuards, issues: impl IntoIterator<Item = u64>) {
        for issue in issues {
            let raw = format!("<Worklog issue=\"{issue}\"/>");
            let start = raw.find('"').map_or(0, |k| k + 1);
            let end = raw.rfind('"').unwrap_or(start);
            let attrs = [AttrSpan {
                name: 9..14,
                value: start..end,
            }];
            let removed: [RemovedRef; 0] = [];
            let tag = StartTag {
                raw: raw.as_bytes(),
                name_end: 8,
                attrs: &attrs,
                removed: &removed,
                offset: 0,
            };
            g.row(&tag);
        }
    }

    #[test]
    fn counts_across_spilled_runs_equal_those_in_memory() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Three busy issues interleaved with 15,000 others, so the map
        // fills and every run holds a part of each busy issue's count.
        let issues = || (0..5_000u64 * 3).flat_map(|k| [7 + k % 3, 1_000 + k]);
        let mut spilled = IssueGuards::holding(dir.path(), 97);
        worklogs(&mut spilled, issues().chain(std::iter::once(8)));
        assert!(spilled.runs.is_some(), "the map filled and spilled");
        spilled.finish();
        let mut memory = IssueGuards::holding(dir.path(), usize::MAX);
        worklogs(&mut memory, issues().chain(std::iter::once(8)));
        memory.finish();
        assert!(spilled.error.is_none());
        assert!(
            memory.runs.is_none(),
            "nothing spilled when the map holds every key"
        );
        let over = &spilled.over[Guarded::Worklogs as usize];
        assert_eq!(over.first, ["issue id=8: 5001 worklogs"]);
        assert_eq!(over, &memory.over[Guarded::Worklogs as usize]);
        assert!(
            std::fs::read_dir(dir.path()).expect("dir").next().is_none(),
            "runs are anonymous"
        );
    }
}
