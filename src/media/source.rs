//! What SOURCE is (a Jira home, a `data/attachments` directory or a media
//! zip) and its listing: the one walk of the tree, or read of the zip's
//! directory, that `split` plans from and `check --attachments` joins with
//! the backup.

use crate::cancel::Cancel;
use crate::driver::Progress;
use crate::error::SplitError;
use crate::media::record::{ListReader, ListWriter};
use crate::media::walk::{Findings, Tree};
use crate::media::zipsource::scan_zip;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// What SOURCE is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SourceKind {
    /// A Jira home directory (`data/attachments`, `data/avatars`, `logos`).
    JiraHome,
    /// A `data/attachments` directory.
    AttachmentsDir,
    /// An existing media zip, split without recompressing.
    MediaZip,
}

/// Where SOURCE's entries come from.
pub(crate) enum SourceData {
    Tree(Tree),
    Zip(PathBuf),
}

/// Recognises SOURCE: a Jira home, a `data/attachments` directory, or a zip.
pub(crate) fn detect(source: &Path) -> Result<(SourceKind, SourceData), SplitError> {
    let meta = fs::metadata(source).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => SplitError::SourceNotFound {
            path: source.to_path_buf(),
        },
        _ => SplitError::io("reading", source, e),
    })?;
    if meta.is_dir() {
        refuse_non_jira_dir(source)?;
        let home = ["data/attachments", "data/avatars", "logos", "dbconfig.xml"]
            .iter()
            .any(|p| source.join(p).exists());
        return Ok(if home {
            (
                SourceKind::JiraHome,
                SourceData::Tree(Tree::jira_home(source)),
            )
        } else {
            (
                SourceKind::AttachmentsDir,
                SourceData::Tree(Tree::attachments(source)),
            )
        });
    }
    if meta.is_file() {
        let mut magic = [0u8; 4];
        let mut f = File::open(source).map_err(|e| SplitError::io("reading", source, e))?;
        let n = f
            .read(&mut magic)
            .map_err(|e| SplitError::io("reading", source, e))?;
        if n == 4 && (magic == *b"PK\x03\x04" || magic == *b"PK\x05\x06") {
            return Ok((SourceKind::MediaZip, SourceData::Zip(source.to_path_buf())));
        }
    }
    Err(SplitError::NotASource {
        path: source.to_path_buf(),
    })
}

/// Refuses a directory that is a Confluence home or an unpacked backup:
/// splitting them makes media zips the Jira importer cannot use.
fn refuse_non_jira_dir(source: &Path) -> Result<(), SplitError> {
    let refuse = |what: &str, advice| {
        Err(SplitError::NotAttachments {
            path: source.to_path_buf(),
            what: what.to_owned(),
            advice,
        })
    };
    if source.join("confluence.cfg.xml").exists() || source.join("attachments/ver003").is_dir() {
        return refuse(
            "a Confluence home directory",
            "A Confluence site or space export carries its attachments inside; repair it with backup-fix fix and import it as it is.",
        );
    }
    if source.join("entities.xml").is_file() {
        return refuse(
            "an unpacked backup (it holds entities.xml)",
            "To repair it, use backup-fix fix on entities.xml (or on the backup zip).",
        );
    }
    Ok(())
}

/// SOURCE's entries, listed in the stable order into a temporary file.
#[cfg_attr(not(feature = "check"), allow(dead_code))]
pub(crate) struct Listing {
    /// What SOURCE is.
    pub(crate) kind: SourceKind,
    pub(crate) data: SourceData,
    /// The entry list.
    pub(crate) list: tempfile::NamedTempFile,
    /// Records in it.
    pub(crate) count: u64,
    /// Per-project totals of the list.
    pub(crate) totals: Vec<crate::media::record::ProjectTotal>,
    /// What was skipped or could not be read (not yet judged).
    pub(crate) findings: Findings,
}

#[cfg_attr(not(feature = "check"), allow(dead_code))]
impl Listing {
    /// Calls `f` with the stored name and size of every record, in order.
    pub(crate) fn for_each(&self, f: &mut dyn FnMut(&str, u64)) -> io::Result<()> {
        let mut reader = ListReader::open(self.list.path(), 0).map_err(io::Error::other)?;
        while let Some(rec) = reader.next_record().map_err(io::Error::other)? {
            f(&rec.name, rec.size);
        }
        Ok(())
    }

    /// Rewrites the list without the records whose ordinals `drop` gives
    /// (ascending), noting each in the findings with `reason`.
    pub(crate) fn leave_out(
        &mut self,
        drop: &mut crate::spill::Sorted<1>,
        scratch: &Path,
        cancel: &Cancel,
        reason: &dyn Fn(&str) -> &'static str,
    ) -> Result<(), SplitError> {
        let (list, mut writer) = new_list(scratch, cancel)?;
        let mut reader = ListReader::open(self.list.path(), 0)?;
        let read_err = |e| SplitError::io("reading the entry list", self.list.path(), e);
        let mut next = drop.next_record().map_err(read_err)?;
        let mut ordinal = 0u64;
        while let Some(rec) = reader.next_record()? {
            if next == Some([ordinal]) {
                self.findings.skip(rec.name.clone(), reason(&rec.name));
                next = drop.next_record().map_err(read_err)?;
            } else {
                writer.push(&rec)?;
            }
            ordinal += 1;
        }
        self.count = writer.count();
        self.totals = writer.finish()?;
        self.list = list;
        Ok(())
    }
}

/// A new, empty entry list in `scratch`, stopping once `cancel` is set.
pub(crate) fn new_list(
    scratch: &Path,
    cancel: &Cancel,
) -> Result<(tempfile::NamedTempFile, ListWriter), SplitError> {
    let err = |e| SplitError::io("creating a temporary file in", scratch, e);
    let list = tempfile::Builder::new()
        .prefix(".backup-fix-split-")
        .suffix(".list")
        .tempfile_in(scratch)
        .map_err(err)?;
    let file = list.reopen().map_err(err)?;
    let writer = ListWriter::new(file, list.path(), cancel);
    Ok((list, writer))
}

/// Lists SOURCE (a Jira home, a `data/attachments` directory or a media
/// zip) into an entry list in `scratch`: the one walk of the tree (or read
/// of the zip's directory) that `split` plans from and `check --attachments`
/// joins with the backup.
pub(crate) fn list_source(
    source: &Path,
    scratch: &Path,
    skip_unreadable: bool,
    cancel: &Cancel,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Listing, SplitError> {
    let (kind, data) = detect(source)?;
    let (list, mut writer) = new_list(scratch, cancel)?;
    let mut findings = Findings::default();
    let mut tick = |entries, bytes| progress(Progress::scanning(entries, bytes));
    match &data {
        SourceData::Tree(tree) => {
            tree.walk(&mut writer, &mut findings, skip_unreadable, &mut tick)?
        }
        SourceData::Zip(path) => scan_zip(path, &mut writer, scratch, &mut findings, &mut tick)?,
    }
    let count = writer.count();
    let totals = writer.finish()?;
    Ok(Listing {
        kind,
        data,
        list,
        count,
        totals,
        findings,
    })
}
