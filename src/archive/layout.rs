//! Which backup an archive holds and what happens to each entry: finds the
//! one `entities.xml`, moves a zipped folder's content to the root, picks the
//! XML entries to repair, leaves out root directory entries, and refuses
//! what cannot be imported safely (encrypted entries, unsafe names,
//! duplicates), streaming the central directory rather than holding it.

use crate::archive::error::ArchiveError;
use crate::spill::HashRuns;
use crate::zip::central::Entries;
use crate::zip::name::{self, Verdict};
use crate::zip::{CentralEntry, ReadError};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// What kind of backup an archive holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ArchiveKind {
    /// A Jira backup: `entities.xml` (OFBiz `<entity-engine-xml>`) and `activeobjects.xml`.
    JiraBackup,
    /// A Confluence space export (`exportType=space`).
    ConfluenceSpace,
    /// A Confluence site export (`exportType=all`).
    ConfluenceSite,
    /// A Confluence export whose descriptor does not say which.
    Confluence,
    /// An `entities.xml` that is neither recognisably Jira nor Confluence.
    Unknown,
}

impl fmt::Display for ArchiveKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArchiveKind::JiraBackup => "Jira backup",
            ArchiveKind::ConfluenceSpace => "Confluence space export",
            ArchiveKind::ConfluenceSite => "Confluence site export",
            ArchiveKind::Confluence => "Confluence export",
            ArchiveKind::Unknown => "backup of unknown kind",
        })
    }
}

/// What is done with one entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Inflated, repaired by a `Fixer`, deflated.
    Fix,
    /// Copied raw, without recompression.
    Copy,
    /// `exportDescriptor.properties`: rewritten when a rule applies, else copied.
    Descriptor,
    /// Left out: the directory entry of the folder whose content moved to the root.
    Drop,
    /// Left out: a directory entry for the archive's root (`/`, `./`), which holds nothing.
    DropRoot,
}

/// One entry's fate, decided from its central record and the [`Survey`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Decision {
    /// What is done with it.
    pub action: Action,
    /// Bytes of the stored name left out of the output name (the folder
    /// moved to the root), and bytes of the decoded name.
    strip: (usize, usize),
}

impl Decision {
    /// The output name (raw bytes), the input's unless moved to the root.
    pub fn out_name<'e>(&self, e: &'e CentralEntry) -> &'e [u8] {
        &e.name[self.strip.0..]
    }

    /// The output name decoded.
    pub fn out_display<'e>(&self, e: &'e CentralEntry) -> &'e str {
        &e.display()[self.strip.1..]
    }

    /// Whether the entry is renamed.
    pub fn renamed(&self) -> bool {
        self.strip.0 > 0
    }

    /// Whether the entry is written to the output.
    pub fn kept(&self) -> bool {
        !matches!(self.action, Action::Drop | Action::DropRoot)
    }
}

/// What a first look at the whole central directory found: where
/// `entities.xml` is, which folder moves to the root, the entries a repair
/// needs before the rest (the descriptor, `entities.xml` itself for a facts
/// pass). Everything else is decided entry by entry with [`Survey::decide`]
/// as the directory is streamed again, so nothing per entry is held.
#[derive(Clone, Debug)]
pub(crate) struct Survey {
    /// Entries in the central directory.
    pub entries: u64,
    /// The `entities.xml` entry.
    pub entities: CentralEntry,
    /// Its position in the central directory (from 0): a damaged directory
    /// can point two records at one local header, so offsets do not identify it.
    pub entities_index: u64,
    /// The export descriptor, if present.
    pub descriptor: Option<CentralEntry>,
    /// Whether an `activeobjects.xml` sits beside `entities.xml`.
    pub has_activeobjects: bool,
    /// The folder (with its trailing slash) whose content moves to the root.
    pub moved_from: Option<String>,
    /// Directory entries for the archive's root, left out.
    #[cfg_attr(not(feature = "check"), allow(dead_code))]
    pub root_entries: u64,
    /// Uncompressed bytes of the XML entries.
    pub xml_bytes: u64,
    /// Uncompressed bytes of every entry kept (as the directory states them;
    /// for progress only).
    pub kept_bytes: u64,
    /// The folder's stored name and decoded name.
    prefix: (Vec<u8>, String),
}

fn is_junk(display: &str) -> bool {
    display.starts_with("__MACOSX/")
}

fn file_name(display: &str) -> &str {
    display.rsplit(['/', '\\']).next().unwrap_or(display)
}

/// Hashes in memory before the rest spill (8 bytes each).
const HASHES_IN_MEMORY: usize = 1 << 20;

fn name_hash(name: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(name, &mut h);
    std::hash::Hasher::finish(&h)
}

/// A problem found while surveying: the zip cannot be read, or its shape is refused.
#[derive(Debug)]
pub(crate) enum SurveyError {
    /// Reading the central directory failed.
    Read(ReadError),
    /// The archive cannot be repaired or imported as it is.
    Shape(ArchiveError),
    /// A temporary file for the names could not be written.
    Scratch(std::io::Error),
}

impl From<ReadError> for SurveyError {
    fn from(e: ReadError) -> Self {
        SurveyError::Read(e)
    }
}

impl From<ArchiveError> for SurveyError {
    fn from(e: ArchiveError) -> Self {
        SurveyError::Shape(e)
    }
}

/// Surveys the zip whose directory `open` reads (called once per pass: the
/// directory is streamed two or three times, never held). `scratch` takes
/// the name hashes of very large archives.
pub(crate) fn survey<S: Entries>(
    open: &mut dyn FnMut() -> Result<S, ReadError>,
    scratch: &std::path::Path,
) -> Result<Survey, SurveyError> {
    // Pass 1: names, encryption, and where entities.xml is.
    let mut central = open()?;
    let mut candidates: Vec<(u64, CentralEntry)> = Vec::new();
    let mut root_entries = 0;
    let mut index = 0u64;
    while let Some(e) = central.next_entry()? {
        let this = index;
        index += 1;
        match name::judge(e.display(), &e.name) {
            Verdict::Keep => {}
            Verdict::DropRoot => {
                root_entries += 1;
                continue;
            }
            Verdict::Refuse(why) => {
                return Err(ArchiveError::UnsafeName {
                    entry: e.display().to_owned(),
                    why,
                }
                .into());
            }
        }
        if e.encrypted() {
            return Err(ArchiveError::Encrypted {
                entry: e.display().to_owned(),
            }
            .into());
        }
        if !e.is_dir()
            && !is_junk(e.display())
            && file_name(e.display()) == "entities.xml"
            && candidates.len() < 2
        {
            candidates.push((this, e));
        }
    }
    let entries = central.count();
    let mut candidates = candidates.into_iter();
    let entities = match (candidates.next(), candidates.next()) {
        (None, _) => {
            return Err(ArchiveError::NoEntities {
                entries: usize::try_from(entries).unwrap_or(usize::MAX),
            }
            .into());
        }
        (Some((_, a)), Some((_, b))) => {
            return Err(ArchiveError::TwoEntities {
                first: a.display().to_owned(),
                second: b.display().to_owned(),
            }
            .into());
        }
        (Some(one), None) => one,
    };
    let (entities_index, entities) = entities;
    let prefix_len = entities.name.len() - "entities.xml".len();
    let prefix_raw = entities.name[..prefix_len].to_vec();
    let prefix_display =
        entities.display()[..entities.display().len() - "entities.xml".len()].to_owned();
    let moved_from = (!prefix_raw.is_empty()).then(|| prefix_display.clone());
    let mut survey = Survey {
        entries,
        entities,
        entities_index,
        descriptor: None,
        has_activeobjects: false,
        moved_from,
        root_entries,
        xml_bytes: 0,
        kept_bytes: 0,
        prefix: (prefix_raw, prefix_display),
    };

    // Pass 2: every output name, hashed, to find repeats; the descriptor.
    let mut central = open()?;
    let mut hashes = HashRuns::new(scratch, HASHES_IN_MEMORY);
    while let Some(e) = central.next_entry()? {
        let d = survey.decide(&e);
        if !d.kept() {
            continue;
        }
        let out = d.out_display(&e);
        hashes.push(name_hash(out)).map_err(SurveyError::Scratch)?;
        survey.kept_bytes = survey.kept_bytes.saturating_add(e.size);
        match d.action {
            Action::Fix => {
                survey.xml_bytes += e.size;
                if out == "activeobjects.xml" {
                    survey.has_activeobjects = true;
                }
            }
            Action::Descriptor => survey.descriptor = Some(e),
            _ => {}
        }
    }
    let repeated = hashes.repeated(64).map_err(SurveyError::Scratch)?;
    if !repeated.is_empty() {
        // Pass 3, rare: which names those hashes belong to, and whether a
        // name repeats for real (not just its hash).
        let wanted: HashSet<u64> = repeated.into_iter().collect();
        let mut seen: HashMap<String, (u32, u32)> = HashMap::new();
        let mut central = open()?;
        while let Some(e) = central.next_entry()? {
            let d = survey.decide(&e);
            if !d.kept() {
                continue;
            }
            let out = d.out_display(&e);
            if wanted.contains(&name_hash(out)) {
                seen.entry(out.to_owned()).or_default().0 += 1;
            }
            if wanted.contains(&name_hash(e.display())) {
                seen.entry(e.display().to_owned()).or_default().1 += 1;
            }
        }
        if let Some((name, (_, original))) = seen.into_iter().filter(|(_, (n, _))| *n > 1).min() {
            return Err(ArchiveError::DuplicateName {
                after_move: survey.moved_from.is_some() && original < 2,
                name,
            }
            .into());
        }
    }
    Ok(survey)
}

impl Survey {
    /// What happens to `src`, an entry the survey saw (and did not refuse).
    pub(crate) fn decide(&self, src: &CentralEntry) -> Decision {
        let (prefix_raw, prefix_display) = (&self.prefix.0, &self.prefix.1);
        let keep = |action| Decision {
            action,
            strip: (0, 0),
        };
        if src.is_dir() && name::is_root(src.display()) {
            return keep(Action::DropRoot);
        }
        let moved = (prefix_raw.len(), prefix_display.len());
        let strip = if prefix_raw.is_empty() {
            (0, 0)
        } else if src.name.starts_with(prefix_raw)
            && src.display().starts_with(prefix_display.as_str())
        {
            if src.name.len() == prefix_raw.len() {
                // The folder's own directory entry.
                return Decision {
                    action: Action::Drop,
                    strip: moved,
                };
            }
            moved
        } else if src.is_dir() && prefix_display.starts_with(src.display()) {
            // A parent of the folder (`a/` when moving `a/b/`).
            return keep(Action::Drop);
        } else {
            (0, 0)
        };
        let out_display = &src.display()[strip.1..];
        let action = if src.is_dir() || is_junk(out_display) {
            Action::Copy
        } else if out_display == "entities.xml"
            || out_display == "activeobjects.xml"
            || out_display.ends_with(".pdata")
        {
            Action::Fix
        } else if out_display == "exportDescriptor.properties" {
            Action::Descriptor
        } else {
            Action::Copy
        };
        Decision { action, strip }
    }
}

/// What the head of `entities.xml` says about the product.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sniffed {
    pub jira: bool,
    pub confluence: bool,
    pub version: Option<String>,
    pub build: Option<String>,
}

/// Looks at the first bytes of `entities.xml` for the root element and, in
/// a Jira export's header comment, `JIRA Build : 7.10.0#710001-sha1:...`.
pub(crate) fn sniff_entities(head: &[u8]) -> Sniffed {
    let head = &head[..head.len().min(64 << 10)];
    let text = String::from_utf8_lossy(head);
    let mut s = Sniffed {
        jira: text.contains("<entity-engine-xml"),
        confluence: text.contains("<hibernate-generic"),
        ..Default::default()
    };
    if let Some(at) = text.find("JIRA Build : ") {
        let rest = &text[at + "JIRA Build : ".len()..];
        let line = rest.lines().next().unwrap_or("").trim();
        let (version, build) = line.split_once('#').unwrap_or((line, ""));
        let build: String = build.chars().take_while(char::is_ascii_digit).collect();
        s.version = (!version.is_empty()).then(|| version.to_owned());
        s.build = (!build.is_empty()).then_some(build);
        s.jira = true;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A central directory held in memory, for tests.
    struct Listed<I>(I, u64);

    impl<I: Iterator<Item = CentralEntry>> Entries for Listed<I> {
        fn next_entry(&mut self) -> Result<Option<CentralEntry>, ReadError> {
            let e = self.0.next();
            self.1 += u64::from(e.is_some());
            Ok(e)
        }
        fn count(&self) -> u64 {
            self.1
        }
    }

    fn plan(names: &[CentralEntry]) -> Result<(Survey, Vec<(String, Action)>), SurveyError> {
        let dir = tempfile::tempdir().unwrap();
        let mut open = || Ok(Listed(names.iter().cloned(), 0));
        let s = survey(&mut open, dir.path())?;
        let decided = names
            .iter()
            .map(|e| {
                let d = s.decide(e);
                (d.out_display(e).to_owned(), d.action)
            })
            .collect();
        Ok((s, decided))
    }

    fn entry(name: &str) -> CentralEntry {
        CentralEntry::named(name)
    }

    fn owned(v: &[(&str, Action)]) -> Vec<(String, Action)> {
        v.iter().map(|(n, a)| ((*n).to_owned(), *a)).collect()
    }

    #[test]
    fn a_root_backup_keeps_its_names() {
        let (s, names) = plan(&[
            entry("/"),
            entry("entities.xml"),
            entry("activeobjects.xml"),
            entry("data/attachments/A/10000/A-1/10001"),
        ])
        .unwrap();
        assert_eq!(s.moved_from, None);
        assert!(s.has_activeobjects);
        assert_eq!(s.root_entries, 1);
        assert_eq!(
            names,
            owned(&[
                ("/", Action::DropRoot),
                ("entities.xml", Action::Fix),
                ("activeobjects.xml", Action::Fix),
                ("data/attachments/A/10000/A-1/10001", Action::Copy)
            ])
        );
    }

    #[test]
    fn a_zipped_folder_moves_to_the_root() {
        let (s, names) = plan(&[
            entry("exports/"),
            entry("exports/backup/"),
            entry("exports/backup/entities.xml"),
            entry("exports/backup/exportDescriptor.properties"),
            entry("exports/backup/attachments/"),
            entry("exports/backup/plugin-data/x/ao.pdata"),
            entry("__MACOSX/exports/backup/._entities.xml"),
        ])
        .unwrap();
        assert_eq!(s.moved_from.as_deref(), Some("exports/backup/"));
        assert_eq!(
            s.descriptor.as_ref().map(|d| d.display()),
            Some("exports/backup/exportDescriptor.properties")
        );
        assert_eq!(
            names,
            owned(&[
                ("exports/", Action::Drop),
                ("", Action::Drop),
                ("entities.xml", Action::Fix),
                ("exportDescriptor.properties", Action::Descriptor),
                ("attachments/", Action::Copy),
                ("plugin-data/x/ao.pdata", Action::Fix),
                ("__MACOSX/exports/backup/._entities.xml", Action::Copy),
            ])
        );
    }

    #[test]
    fn bad_layouts_are_refused() {
        let shape = |names: &[CentralEntry]| match plan(names) {
            Err(SurveyError::Shape(e)) => e,
            other => panic!("{:?}", other.map(|p| p.1)),
        };
        assert!(matches!(
            shape(&[entry("a.txt")]),
            ArchiveError::NoEntities { entries: 1 }
        ));
        assert!(matches!(
            shape(&[entry("a/entities.xml"), entry("b/entities.xml")]),
            ArchiveError::TwoEntities { .. }
        ));
        assert!(matches!(
            shape(&[entry("entities.xml"), entry("../x")]),
            ArchiveError::UnsafeName { .. }
        ));
        assert!(matches!(
            shape(&[entry("b/entities.xml"), entry("b/x"), entry("x")]),
            ArchiveError::DuplicateName {
                after_move: true,
                ..
            }
        ));
        assert!(matches!(
            shape(&[entry("entities.xml"), entry("x"), entry("x")]),
            ArchiveError::DuplicateName {
                after_move: false,
                ..
            }
        ));
        let mut enc = entry("entities.xml");
        enc.flags = 1;
        assert!(matches!(shape(&[enc]), ArchiveError::Encrypted { .. }));
    }

    #[test]
    fn the_jira_header_comment_gives_version_and_build() {
        let s = sniff_entities(
            b"<?xml version=\"1.0\"?>\n<!--\n    JIRA Build : 7.10.0#710001-sha1:abc\n-->\n<entity-engine-xml date=\"1\">",
        );
        assert!(s.jira && !s.confluence);
        assert_eq!(s.version.as_deref(), Some("7.10.0"));
        assert_eq!(s.build.as_deref(), Some("710001"));
        assert!(sniff_entities(b"<hibernate-generic datetime=\"x\">").confluence);
    }
}
