//! Walking a directory source (a Jira home or a `data/attachments`
//! directory) in the stable order, one sorted directory listing at a time,
//! into the entry list.
//!
//! Safety rules applied here: symbolic links are followed only to files
//! inside SOURCE; links out of it, links to directories, broken links and
//! special files are skipped and reported; files and directories that
//! cannot be read are collected (the run fails on them unless told to skip
//! them); names that are not UTF-8 are collected as errors.

use crate::error::SplitError;
use crate::media::order::{Group, natural_cmp};
use crate::media::record::{Kind, ListWriter, Record};
use std::fs::{self, File, FileType, Metadata};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// An entry left out of the zips, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// The path in SOURCE (or the entry name in a source zip).
    pub path: String,
    /// Why it was left out.
    pub reason: String,
}

/// At most this many skipped entries are listed (all are counted).
const SKIPPED_LISTED: usize = 10_000;
/// At most this many examples go in an error message.
const EXAMPLES: usize = 10;

/// What the scan found besides entries: things skipped, and problems that
/// fail the run.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    /// Entries left out (listed up to a limit).
    pub skipped: Vec<Skipped>,
    /// How many were left out.
    pub skipped_count: u64,
    /// Unreadable files and directories.
    pub unreadable: Vec<String>,
    /// How many.
    pub unreadable_count: u64,
    /// Names that are not UTF-8.
    pub non_utf8: Vec<String>,
    /// How many.
    pub non_utf8_count: u64,
    /// Things the user should know.
    pub warnings: Vec<String>,
}

impl Findings {
    pub(crate) fn skip(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.skipped_count += 1;
        if self.skipped.len() < SKIPPED_LISTED {
            self.skipped.push(Skipped {
                path: path.into(),
                reason: reason.into(),
            });
        }
    }

    fn unreadable(&mut self, path: &Path, err: &std::io::Error, skip: bool) {
        self.unreadable_count += 1;
        if self.unreadable.len() < EXAMPLES {
            self.unreadable.push(format!("{}: {err}", path.display()));
        }
        if skip {
            self.skip(path.display().to_string(), format!("cannot be read: {err}"));
        }
    }

    /// The error the findings make fatal, if any.
    pub(crate) fn fatal(&self, skip_unreadable: bool) -> Option<SplitError> {
        if self.non_utf8_count > 0 {
            return Some(SplitError::NonUtf8Names {
                count: self.non_utf8_count,
                examples: self.non_utf8.clone(),
            });
        }
        if self.unreadable_count > 0 && !skip_unreadable {
            return Some(SplitError::Unreadable {
                count: self.unreadable_count,
                examples: self.unreadable.clone(),
            });
        }
        None
    }
}

/// One top-level directory of a tree source and the stored prefix of its entries.
#[derive(Clone, Debug)]
pub(crate) struct Root {
    /// Which group its entries belong to.
    pub group: Group,
    /// The directory.
    pub dir: PathBuf,
}

/// A directory source: its roots in group order.
#[derive(Clone, Debug)]
pub(crate) struct Tree {
    /// The directories walked, in group order.
    pub roots: Vec<Root>,
    /// Canonical SOURCE and canonical roots: links may point anywhere inside them.
    pub allowed: Vec<PathBuf>,
}

impl Tree {
    /// A Jira home: `data/avatars`, `logos`, `data/attachments`.
    pub(crate) fn jira_home(home: &Path) -> Tree {
        let roots = vec![
            Root {
                group: Group::Avatars,
                dir: home.join("data").join("avatars"),
            },
            Root {
                group: Group::Logos,
                dir: home.join("logos"),
            },
            Root {
                group: Group::Attachments,
                dir: home.join("data").join("attachments"),
            },
        ];
        Tree::new(home, roots)
    }

    /// A `data/attachments` directory itself.
    pub(crate) fn attachments(dir: &Path) -> Tree {
        let roots = vec![Root {
            group: Group::Attachments,
            dir: dir.to_path_buf(),
        }];
        Tree::new(dir, roots)
    }

    fn new(source: &Path, roots: Vec<Root>) -> Tree {
        let mut allowed: Vec<PathBuf> = std::iter::once(source)
            .chain(roots.iter().map(|r| r.dir.as_path()))
            .filter_map(|p| fs::canonicalize(p).ok())
            .collect();
        allowed.dedup();
        Tree { roots, allowed }
    }

    /// The file a stored name comes from (before any symlink override).
    pub(crate) fn path_of(&self, name: &str) -> Option<PathBuf> {
        let root = self
            .roots
            .iter()
            .find(|r| name.starts_with(r.group.prefix()))?;
        let rest = &name[root.group.prefix().len()..];
        Some(
            rest.split('/')
                .filter(|c| !c.is_empty())
                .fold(root.dir.clone(), |p, c| p.join(c)),
        )
    }

    /// The canonical directories whose contents are zipped.
    pub(crate) fn canonical_roots(&self) -> Vec<PathBuf> {
        self.roots
            .iter()
            .filter_map(|r| fs::canonicalize(&r.dir).ok())
            .collect()
    }

    fn inside(&self, target: &Path) -> bool {
        self.allowed.iter().any(|a| target.starts_with(a))
    }

    /// Walks every root into `list`, in the stable order.
    pub(crate) fn walk(
        &self,
        list: &mut ListWriter,
        findings: &mut Findings,
        skip_unreadable: bool,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(), SplitError> {
        let mut scan = Scan {
            tree: self,
            list,
            findings,
            skip_unreadable,
            progress,
            files: 0,
            bytes: 0,
        };
        for root in &self.roots {
            match fs::metadata(&root.dir) {
                Ok(m) if m.is_dir() => scan.root(root)?,
                Ok(_) => scan
                    .findings
                    .warnings
                    .push(format!("{}: not a directory; left out", root.dir.display())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => scan.findings.unreadable(&root.dir, &e, skip_unreadable),
            }
        }
        (scan.progress)(scan.files, scan.bytes);
        Ok(())
    }
}

struct Child {
    name: String,
    kind: FileType,
}

struct Frame {
    dir: PathBuf,
    stored: String,
    children: std::vec::IntoIter<Child>,
}

struct Scan<'a> {
    tree: &'a Tree,
    list: &'a mut ListWriter,
    findings: &'a mut Findings,
    skip_unreadable: bool,
    progress: &'a mut dyn FnMut(u64, u64),
    files: u64,
    bytes: u64,
}

impl Scan<'_> {
    fn root(&mut self, root: &Root) -> Result<(), SplitError> {
        let mut stack: Vec<Frame> = Vec::new();
        if let Some(frame) = self.open_dir(&root.dir, root.group.prefix().to_owned(), true)? {
            stack.push(frame);
        }
        while let Some(top) = stack.last_mut() {
            let Some(child) = top.children.next() else {
                stack.pop();
                continue;
            };
            let path = top.dir.join(&child.name);
            let stored = format!("{}{}", top.stored, child.name);
            if child.kind.is_dir() {
                if let Some(frame) = self.open_dir(&path, stored + "/", false)? {
                    stack.push(frame);
                }
            } else if child.kind.is_file() {
                self.file(&path, stored, None)?;
            } else if child.kind.is_symlink() {
                self.symlink(&path, stored)?;
            } else {
                self.findings.skip(
                    path.display().to_string(),
                    "not a regular file (device, pipe or socket)",
                );
            }
        }
        Ok(())
    }

    /// Lists a directory, sorted; an empty one becomes a directory entry.
    fn open_dir(
        &mut self,
        dir: &Path,
        stored: String,
        is_root: bool,
    ) -> Result<Option<Frame>, SplitError> {
        let entries = match fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                self.findings.unreadable(dir, &e, self.skip_unreadable);
                return Ok(None);
            }
        };
        let mut children = Vec::new();
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.findings.unreadable(dir, &e, self.skip_unreadable);
                    return Ok(None);
                }
            };
            let kind = match entry.file_type() {
                Ok(k) => k,
                Err(e) => {
                    self.findings
                        .unreadable(&entry.path(), &e, self.skip_unreadable);
                    continue;
                }
            };
            match entry.file_name().into_string() {
                Ok(name) => children.push(Child { name, kind }),
                Err(raw) => {
                    self.findings.non_utf8_count += 1;
                    if self.findings.non_utf8.len() < EXAMPLES {
                        self.findings
                            .non_utf8
                            .push(dir.join(raw).display().to_string());
                    }
                }
            }
        }
        children.sort_by(|a, b| natural_cmp(&a.name, &b.name));
        if children.is_empty() && !is_root {
            let meta = fs::symlink_metadata(dir).map_err(|e| SplitError::io("reading", dir, e))?;
            let rec = Record::tree(Kind::Dir, stored, 0, mtime(&meta), mode(&meta));
            self.list.push(&rec)?;
            return Ok(None);
        }
        Ok(Some(Frame {
            dir: dir.to_path_buf(),
            stored,
            children: children.into_iter(),
        }))
    }

    fn file(
        &mut self,
        path: &Path,
        stored: String,
        target: Option<&Path>,
    ) -> Result<(), SplitError> {
        let real = target.unwrap_or(path);
        let meta = match fs::metadata(real) {
            Ok(m) => m,
            Err(e) => {
                self.findings.unreadable(path, &e, self.skip_unreadable);
                return Ok(());
            }
        };
        if let Err(e) = File::open(real) {
            self.findings.unreadable(path, &e, self.skip_unreadable);
            return Ok(());
        }
        let mut rec = Record::tree(Kind::File, stored, meta.len(), mtime(&meta), mode(&meta));
        if let Some(t) = target {
            match t.to_str() {
                Some(s) => rec.source = Some(s.to_owned()),
                None => {
                    self.findings.skip(
                        path.display().to_string(),
                        "symbolic link whose target path is not UTF-8: not followed",
                    );
                    return Ok(());
                }
            }
        }
        self.files += 1;
        self.bytes += rec.size;
        self.list.push(&rec)?;
        if self.files.is_multiple_of(1000) {
            (self.progress)(self.files, self.bytes);
        }
        Ok(())
    }

    fn symlink(&mut self, path: &Path, stored: String) -> Result<(), SplitError> {
        let target = match fs::canonicalize(path) {
            Ok(t) => t,
            Err(e) => {
                self.findings.skip(
                    path.display().to_string(),
                    format!("broken symbolic link ({e}): not followed"),
                );
                return Ok(());
            }
        };
        if !self.tree.inside(&target) {
            self.findings.skip(
                path.display().to_string(),
                format!(
                    "symbolic link to {}, outside SOURCE: not followed",
                    target.display()
                ),
            );
            return Ok(());
        }
        match fs::metadata(&target) {
            Ok(m) if m.is_file() => self.file(path, stored, Some(&target)),
            Ok(m) if m.is_dir() => {
                self.findings.skip(
                    path.display().to_string(),
                    format!(
                        "symbolic link to the directory {}: not followed",
                        target.display()
                    ),
                );
                Ok(())
            }
            Ok(_) => {
                self.findings.skip(
                    path.display().to_string(),
                    "symbolic link to a special file: not followed",
                );
                Ok(())
            }
            Err(e) => {
                self.findings.unreadable(path, &e, self.skip_unreadable);
                Ok(())
            }
        }
    }
}

/// Modification time in seconds since the epoch (0 when unknown).
pub(crate) fn mtime(meta: &Metadata) -> i64 {
    match meta.modified() {
        Ok(t) => match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        },
        Err(_) => 0,
    }
}

/// Unix permission bits.
pub(crate) fn mode(meta: &Metadata) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o7777
    }
    #[cfg(not(unix))]
    {
        if meta.is_dir() { 0o755 } else { 0o644 }
    }
}
