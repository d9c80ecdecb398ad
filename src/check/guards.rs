//! `check`'s count of what hangs off each Jira issue against the cloud's
//! per-issue guards: 5,000 comments, 5,000 worklogs, 2,000 attachments and
//! 2,000 issue links (Atlassian's Jira Cloud migration guide and limits).
//!
//! Bounded however many issues there are: each comment, worklog, attachment
//! and link end is one 8-byte key (issue id and kind) in sorted runs that
//! spill to disk past 8 MiB; runs of equal keys are counted at the end.

use crate::check::memberships::Rows;
use crate::spill::SortedRuns;
use crate::xml::rules::StartTag;
use std::io;
use std::path::Path;

/// Keys held in memory before a sorted run goes to disk (8 MiB).
const IN_MEMORY: usize = 1 << 20;

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
    /// The keys (`None` once counted).
    keys: Option<SortedRuns<1>>,
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

fn id(v: &[u8]) -> Option<u64> {
    std::str::from_utf8(v)
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|&i| i < MAX_ID)
}

impl IssueGuards {
    /// Counts whose sorted runs spill to `dir`.
    pub(crate) fn new(dir: &Path) -> Self {
        Self::holding(dir, IN_MEMORY)
    }

    /// Counts holding `in_memory` keys before a run goes to `dir`.
    fn holding(dir: &Path, in_memory: usize) -> Self {
        Self {
            keys: Some(SortedRuns::new(dir, in_memory)),
            failed: None,
            over: Default::default(),
            error: None,
        }
    }

    fn push(&mut self, issue: Option<u64>, what: Guarded) {
        if let Some(issue) = issue
            && self.failed.is_none()
            && let Some(keys) = self.keys.as_mut()
            && let Err(e) = keys.push([issue << 2 | what as u64])
        {
            self.failed = Some(e);
        }
    }

    /// A Jira row (an element at depth 1).
    pub(crate) fn row(&mut self, tag: &StartTag<'_>) {
        match tag.name() {
            b"Action" if tag.attr(b"type").as_deref() == Some(b"comment") => {
                self.push(tag.attr(b"issue").and_then(|v| id(&v)), Guarded::Comments);
            }
            b"Worklog" => self.push(tag.attr(b"issue").and_then(|v| id(&v)), Guarded::Worklogs),
            b"FileAttachment" => {
                self.push(
                    tag.attr(b"issue").and_then(|v| id(&v)),
                    Guarded::Attachments,
                );
            }
            b"IssueLink" => {
                let source = tag.attr(b"source").and_then(|v| id(&v));
                let destination = tag.attr(b"destination").and_then(|v| id(&v));
                self.push(source, Guarded::Links);
                if destination != source {
                    self.push(destination, Guarded::Links);
                }
            }
            _ => {}
        }
    }

    /// Counts the runs of equal keys: the issues over each guard.
    pub(crate) fn finish(&mut self) {
        let Some(keys) = self.keys.take() else {
            return;
        };
        let result = match self.failed.take() {
            Some(e) => Err(e),
            None => self.count(keys),
        };
        if let Err(e) = result {
            self.error = Some(format!(
                "the per-issue counts need temporary files in {}: {e}",
                std::env::temp_dir().display()
            ));
        }
    }

    fn count(&mut self, keys: SortedRuns<1>) -> io::Result<()> {
        let mut sorted = keys.into_sorted()?;
        let mut run: Option<(u64, u64)> = None;
        loop {
            let next = sorted.next_record()?.map(|[k]| k);
            match (run, next) {
                (Some((k, n)), Some(key)) if k == key => run = Some((k, n + 1)),
                _ => {
                    if let Some((k, n)) = run {
                        let what = Guarded::ALL[(k & 3) as usize];
                        if n > what.limit() {
                            self.over[what as usize]
                                .add(|| format!("issue id={}: {n} {}", k >> 2, what.noun()));
                        }
                    }
                    match next {
                        Some(key) => run = Some((key, 1)),
                        None => return Ok(()),
                    }
                }
            }
        }
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
        // Interleaved issues, so every run holds a part of each count.
        let issues = || (0..5_000u64 * 3).map(|k| 7 + k % 3);
        let mut spilled = IssueGuards::holding(dir.path(), 97);
        worklogs(&mut spilled, issues().chain(std::iter::once(8)));
        spilled.finish();
        let mut memory = IssueGuards::holding(dir.path(), usize::MAX);
        worklogs(&mut memory, issues().chain(std::iter::once(8)));
        memory.finish();
        assert!(spilled.error.is_none());
        let over = &spilled.over[Guarded::Worklogs as usize];
        assert_eq!(over.examples, ["issue id=8: 5001 worklogs"]);
        assert_eq!(over, &memory.over[Guarded::Worklogs as usize]);
        assert!(
            std::fs::read_dir(dir.path()).expect("dir").next().is_none(),
            "runs are anonymous"
        );
    }
}
