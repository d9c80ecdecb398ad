//! What an archive repair did: the kind of backup, its build, entry counts,
//! the per-XML-entry [`Report`]s, and warnings; printable and serialisable.

use crate::archive::layout::ArchiveKind;
use crate::report::Report;
use serde::{Serialize, Serializer};
use std::fmt;
use std::time::Duration;

/// How many entries of each sort an archive repair handled.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EntryCounts {
    /// Entries in the input's central directory.
    pub input: u64,
    /// Entries written to the output.
    pub output: u64,
    /// XML entries repaired (`entities.xml`, `activeobjects.xml`, `.pdata`).
    pub xml: u64,
    /// Entries copied raw, without recompression (directories included).
    pub copied: u64,
    /// Directory entries (copied).
    pub directories: u64,
    /// Attachment files (under `attachments/` or `data/attachments/`).
    pub attachments: u64,
    /// Entries left out: the directory entries of the folder moved to the root.
    pub dropped: u64,
    /// Entries rewritten by a rule other than the XML repair (the export descriptor).
    pub rewritten: u64,
    /// Directory entries for the archive's root (`/`, `./`), left out: they
    /// hold nothing (Confluence writes one in its site backups).
    pub root_entries: u64,
}

/// The repair of one XML entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct XmlEntryReport {
    /// The entry's name in the output.
    pub name: String,
    /// What the repair changed.
    pub report: Report,
    /// Compressed size in the output.
    pub compressed_bytes: u64,
    /// Where the entry's CPU time went, stage by stage; `None` where the
    /// system does not tell a thread's CPU time (only Linux does here).
    /// A measurement: it differs from run to run.
    pub cpu: Option<StageCpu>,
}

/// The CPU time an XML entry's repair took in each stage of the archive
/// pipeline, summed over the stage's threads, beside the entry's wall time.
/// In JSON every time is a number of seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StageCpu {
    /// Reading the entry and inflating it, with its CRC and size checks
    /// (the reader thread).
    #[serde(serialize_with = "seconds")]
    pub inflate: Duration,
    /// The XML repair, cutting its output into deflate blocks (the calling
    /// thread).
    #[serde(serialize_with = "seconds")]
    pub xml: Duration,
    /// Compressing the blocks, all deflate workers together.
    #[serde(serialize_with = "seconds")]
    pub deflate: Duration,
    /// How many deflate workers ran.
    pub deflate_threads: usize,
    /// Writing the compressed blocks out in order (the writer thread).
    #[serde(serialize_with = "seconds")]
    pub write: Duration,
    /// Wall-clock time from the entry's start to its end.
    #[serde(serialize_with = "seconds")]
    pub wall: Duration,
}

impl StageCpu {
    /// The CPU time of all stages together.
    pub fn total(&self) -> Duration {
        self.inflate + self.xml + self.deflate + self.write
    }

    /// The split of two entries together (most workers of either).
    fn plus(self, other: Self) -> Self {
        Self {
            inflate: self.inflate + other.inflate,
            xml: self.xml + other.xml,
            deflate: self.deflate + other.deflate,
            deflate_threads: self.deflate_threads.max(other.deflate_threads),
            write: self.write + other.write,
            wall: self.wall + other.wall,
        }
    }
}

impl fmt::Display for StageCpu {
    /// One line: `inflate 0.41 s, XML 1.02 s, deflate 4.80 s on 2 threads, write 0.05 s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "inflate {:.2} s, XML {:.2} s, deflate {:.2} s on {} thread{}, write {:.2} s",
            self.inflate.as_secs_f64(),
            self.xml.as_secs_f64(),
            self.deflate.as_secs_f64(),
            self.deflate_threads,
            if self.deflate_threads == 1 { "" } else { "s" },
            self.write.as_secs_f64(),
        )
    }
}

fn seconds<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// Everything an archive repair did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ArchiveReport {
    /// The kind of backup.
    pub kind: ArchiveKind,
    /// The product version, when the backup says (Jira's header comment).
    pub product_version: Option<String>,
    /// The product build number (Jira's header comment, Confluence's `buildNumber`).
    pub build_number: Option<String>,
    /// The space key of a Confluence space export.
    pub space_key: Option<String>,
    /// Entry counts.
    pub entries: EntryCounts,
    /// The folder whose content was moved to the root of the output, if the
    /// backup had been zipped as a folder.
    pub moved_to_root: Option<String>,
    /// One report per repaired XML entry, in archive order.
    pub xml: Vec<XmlEntryReport>,
    /// Whether `exportDescriptor.properties` was rewritten.
    pub descriptor_rewritten: bool,
    /// Size of the input archive in bytes.
    pub input_bytes: u64,
    /// Size of the output archive in bytes.
    pub output_bytes: u64,
    /// Whether the output uses zip64 records.
    pub zip64: bool,
    /// Things the user should know that did not stop the repair.
    pub warnings: Vec<String>,
}

impl ArchiveReport {
    /// Number of changes made to XML entries, all kinds together.
    pub fn changes(&self) -> u64 {
        self.xml.iter().map(|x| x.report.changes()).sum()
    }

    /// The CPU split of all XML entries together, when it is known for
    /// each (and there is at least one).
    pub fn cpu(&self) -> Option<StageCpu> {
        let mut cpus = self.xml.iter().map(|x| x.cpu);
        let first = cpus.next()??;
        cpus.try_fold(first, |sum, c| Some(sum.plus(c?)))
    }
}

impl fmt::Display for ArchiveReport {
    /// A short human summary: kind, build, counts, then each XML entry's report.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        match (&self.product_version, &self.build_number) {
            (Some(v), Some(b)) => write!(f, " (version {v}, build {b})")?,
            (Some(v), None) => write!(f, " (version {v})")?,
            (None, Some(b)) => write!(f, " (build {b})")?,
            (None, None) => {}
        }
        if let Some(key) = &self.space_key {
            write!(f, ", space {key}")?;
        }
        let c = &self.entries;
        writeln!(
            f,
            ": {} entries: {} XML repaired, {} copied unchanged ({} directories, {} attachments){}",
            c.input,
            c.xml,
            c.copied,
            c.directories,
            c.attachments,
            if c.rewritten > 0 {
                format!(", {} rewritten", c.rewritten)
            } else {
                String::new()
            }
        )?;
        if c.root_entries > 0 {
            writeln!(
                f,
                "left out {} directory entr{} for the archive's root (named \"/\"): {} nothing and the importer does not need {}",
                c.root_entries,
                if c.root_entries == 1 { "y" } else { "ies" },
                if c.root_entries == 1 {
                    "it holds"
                } else {
                    "they hold"
                },
                if c.root_entries == 1 { "it" } else { "them" },
            )?;
        }
        if let Some(folder) = &self.moved_to_root {
            writeln!(
                f,
                "moved the content of folder {folder} to the root of the archive ({} folder entries left out), as the cloud importer requires",
                c.dropped
            )?;
        }
        for x in &self.xml {
            write!(f, "{}: ", x.name)?;
            // Indent the entry report's detail lines under its name.
            let text = x.report.to_string();
            let mut lines = text.lines();
            if let Some(first) = lines.next() {
                writeln!(f, "{first}")?;
            }
            for line in lines {
                writeln!(f, "  {line}")?;
            }
        }
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        Ok(())
    }
}
