//! Which backup an archive holds and what happens to each entry: finds the
//! one `entities.xml`, moves a zipped folder's content to the root, picks the
//! XML entries to repair, and refuses what cannot be imported safely
//! (encrypted entries, unsafe names, duplicates).

use crate::archive::entry::{
    SourceEntry, UNICODE_PATH_EXTRA, extra_fields, push_extra, unsafe_name,
};
use crate::archive::error::ArchiveError;
use serde::Serialize;
use std::collections::HashSet;
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
}

/// One entry and its fate.
#[derive(Clone, Debug)]
pub(crate) struct Planned {
    pub src: SourceEntry,
    /// Bytes of the stored name left out of the output name (the folder
    /// moved to the root), and characters of the decoded name.
    strip: (usize, usize),
    pub action: Action,
}

impl Planned {
    /// The output name (raw bytes), the input's unless moved to the root.
    pub fn out_name(&self) -> &[u8] {
        &self.src.name[self.strip.0..]
    }

    /// The output name decoded.
    pub fn out_display(&self) -> &str {
        &self.src.display()[self.strip.1..]
    }

    /// Whether the entry is renamed.
    pub fn renamed(&self) -> bool {
        self.strip.0 > 0
    }
}

/// The plan for a whole archive.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub entries: Vec<Planned>,
    /// The folder (with its trailing slash) whose content moved to the root.
    pub moved_from: Option<String>,
    /// Index in `entries` of `entities.xml`.
    pub entities: usize,
    /// Whether an `activeobjects.xml` sits beside `entities.xml`.
    pub has_activeobjects: bool,
    /// Index of `exportDescriptor.properties`, if present.
    pub descriptor: Option<usize>,
}

fn is_junk(display: &str) -> bool {
    display.starts_with("__MACOSX/")
}

fn file_name(display: &str) -> &str {
    display.rsplit(['/', '\\']).next().unwrap_or(display)
}

/// Plans the repair of an archive with these entries.
pub(crate) fn plan(entries: Vec<SourceEntry>) -> Result<Plan, ArchiveError> {
    for e in &entries {
        if let Some(why) = unsafe_name(e.display()) {
            return Err(ArchiveError::UnsafeName {
                entry: e.display().to_owned(),
                why,
            });
        }
        let header = String::from_utf8_lossy(&e.name);
        if let Some(why) = unsafe_name(&header) {
            return Err(ArchiveError::UnsafeName {
                entry: header.into_owned(),
                why,
            });
        }
        if e.encrypted() {
            return Err(ArchiveError::Encrypted {
                entry: e.display().to_owned(),
            });
        }
    }
    let candidates: Vec<usize> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            !e.is_dir() && !is_junk(e.display()) && file_name(e.display()) == "entities.xml"
        })
        .map(|(i, _)| i)
        .collect();
    let entities = match candidates.as_slice() {
        [] => {
            return Err(ArchiveError::NoEntities {
                entries: entries.len(),
            });
        }
        [one] => *one,
        [a, b, ..] => {
            return Err(ArchiveError::TwoEntities {
                first: entries[*a].display().to_owned(),
                second: entries[*b].display().to_owned(),
            });
        }
    };
    // The folder holding entities.xml, as raw bytes of the stored name.
    let ent = &entries[entities];
    let prefix_len = ent.name.len() - "entities.xml".len();
    let prefix_raw = ent.name[..prefix_len].to_vec();
    let prefix_display = ent.display()[..ent.display().len() - "entities.xml".len()].to_owned();
    let moved_from = (!prefix_raw.is_empty()).then(|| prefix_display.clone());

    // First the decisions, (strip, action) per entry, while the entries
    // stay where they are; then each entry moves into its plan.
    let mut decided: Vec<((usize, usize), Action)> = Vec::with_capacity(entries.len());
    // Hashes of the output names: 8 bytes per entry, not a copy of each
    // name. A repeated hash is confirmed against the names themselves.
    let mut seen: HashSet<u64> = HashSet::with_capacity(entries.len());
    let hash = |name: &str| {
        let mut h = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(name, &mut h);
        std::hash::Hasher::finish(&h)
    };
    let mut has_activeobjects = false;
    let mut descriptor = None;
    for (i, src) in entries.iter().enumerate() {
        let moved = (prefix_raw.len(), prefix_display.len());
        let (strip, action) = if prefix_raw.is_empty() {
            ((0, 0), None)
        } else if src.name.starts_with(&prefix_raw) && src.display().starts_with(&prefix_display) {
            if src.name.len() == prefix_raw.len() {
                // The folder's own directory entry.
                (moved, Some(Action::Drop))
            } else {
                (moved, None)
            }
        } else if src.is_dir() && prefix_display.starts_with(src.display()) {
            // A parent of the folder (`a/` when moving `a/b/`).
            ((0, 0), Some(Action::Drop))
        } else {
            ((0, 0), None)
        };
        let out_display = &src.display()[strip.1..];
        let action = action.unwrap_or_else(|| {
            if src.is_dir() || is_junk(out_display) {
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
            }
        });
        let earlier = || entries.iter().zip(&decided);
        if action != Action::Drop
            && !seen.insert(hash(out_display))
            && earlier()
                .any(|(e, &(strip, a))| a != Action::Drop && &e.display()[strip.1..] == out_display)
        {
            return Err(ArchiveError::DuplicateName {
                after_move: moved_from.is_some()
                    && earlier().all(|(e, _)| e.display() != out_display),
                name: out_display.to_owned(),
            });
        }
        if action == Action::Fix && out_display == "activeobjects.xml" {
            has_activeobjects = true;
        }
        if action == Action::Descriptor {
            descriptor = Some(i);
        }
        decided.push((strip, action));
    }
    drop(seen);
    // Moved from the back, giving the entries' memory back as it goes, so
    // the entries and their plans are never held twice over.
    let mut entries = entries;
    let mut planned = Vec::with_capacity(entries.len());
    let step = (entries.len() / 8).max(4096);
    while let (Some(src), Some((strip, action))) = (entries.pop(), decided.pop()) {
        planned.push(Planned { src, strip, action });
        if entries.len().is_multiple_of(step) {
            entries.shrink_to_fit();
            decided.shrink_to_fit();
        }
    }
    planned.reverse();
    Ok(Plan {
        entries: planned,
        moved_from,
        entities,
        has_activeobjects,
        descriptor,
    })
}

/// The extra fields of a renamed entry: an Info-ZIP Unicode path field is
/// rewritten for the new name (its CRC covers the stored name).
pub(crate) fn renamed_extra(extra: &[u8], new_name: &[u8], new_display: &str) -> Vec<u8> {
    let Some(fields) = extra_fields(extra) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(extra.len());
    for (id, data) in fields {
        if id == UNICODE_PATH_EXTRA {
            let mut field = Vec::with_capacity(5 + new_display.len());
            field.push(1);
            field.extend_from_slice(&crc32fast::hash(new_name).to_le_bytes());
            field.extend_from_slice(new_display.as_bytes());
            if field.len() <= usize::from(u16::MAX) {
                push_extra(&mut out, id, &field);
            }
        } else {
            push_extra(&mut out, id, data);
        }
    }
    out
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

    fn entry(name: &str) -> SourceEntry {
        SourceEntry::named(name)
    }

    fn names(p: &Plan) -> Vec<(&str, Action)> {
        p.entries
            .iter()
            .map(|e| (e.out_display(), e.action))
            .collect()
    }

    #[test]
    fn a_root_backup_keeps_its_names() {
        let p = plan(vec![
            entry("entities.xml"),
            entry("activeobjects.xml"),
            entry("data/attachments/A/10000/A-1/10001"),
        ])
        .unwrap();
        assert_eq!(p.moved_from, None);
        assert!(p.has_activeobjects);
        assert_eq!(
            names(&p),
            [
                ("entities.xml", Action::Fix),
                ("activeobjects.xml", Action::Fix),
                ("data/attachments/A/10000/A-1/10001", Action::Copy)
            ]
        );
    }

    #[test]
    fn a_zipped_folder_moves_to_the_root() {
        let p = plan(vec![
            entry("exports/"),
            entry("exports/backup/"),
            entry("exports/backup/entities.xml"),
            entry("exports/backup/exportDescriptor.properties"),
            entry("exports/backup/attachments/"),
            entry("exports/backup/plugin-data/x/ao.pdata"),
            entry("__MACOSX/exports/backup/._entities.xml"),
        ])
        .unwrap();
        assert_eq!(p.moved_from.as_deref(), Some("exports/backup/"));
        assert_eq!(p.descriptor, Some(3));
        assert_eq!(
            names(&p),
            [
                ("exports/", Action::Drop),
                ("", Action::Drop),
                ("entities.xml", Action::Fix),
                ("exportDescriptor.properties", Action::Descriptor),
                ("attachments/", Action::Copy),
                ("plugin-data/x/ao.pdata", Action::Fix),
                ("__MACOSX/exports/backup/._entities.xml", Action::Copy),
            ]
        );
    }

    #[test]
    fn bad_layouts_are_refused() {
        assert!(matches!(
            plan(vec![entry("a.txt")]),
            Err(ArchiveError::NoEntities { entries: 1 })
        ));
        assert!(matches!(
            plan(vec![entry("a/entities.xml"), entry("b/entities.xml")]),
            Err(ArchiveError::TwoEntities { .. })
        ));
        assert!(matches!(
            plan(vec![entry("entities.xml"), entry("../x")]),
            Err(ArchiveError::UnsafeName { .. })
        ));
        assert!(matches!(
            plan(vec![entry("b/entities.xml"), entry("b/x"), entry("x")]),
            Err(ArchiveError::DuplicateName {
                after_move: true,
                ..
            })
        ));
        let mut enc = entry("entities.xml");
        enc.flags = 1;
        assert!(matches!(
            plan(vec![enc]),
            Err(ArchiveError::Encrypted { .. })
        ));
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
