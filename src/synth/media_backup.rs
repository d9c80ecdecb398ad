//! Synthetic Jira homes with the backup that goes with them: the attachment
//! tree of [`MediaTreeSynth`] plus, in `export/`, a backup zip whose
//! `FileAttachment`, `Issue`, `Project` and `ProjectKey` rows match it,
//! with a few rows left out (orphan files), rows added for files that do
//! not exist, sizes that differ, and a renamed project, on request.

use crate::synth::attachments::{MediaTreeStats, MediaTreeSynth};
use crate::synth::zips::{ZipEntrySpec, write_zip};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Filenames given to the rows, in turn (any Unicode text, escaped as XML).
const NAMES: [&str; 6] = [
    "项目预算明细表.xlsx",
    "Grüße aus Köln.pdf",
    "screenshot 😀.png",
    "report & <notes>.txt",
    "плана.docx",
    "build.log",
];

/// What to generate beside the tree.
#[derive(Clone, Debug)]
pub struct MediaBackupSynth {
    /// The attachment tree.
    pub tree: MediaTreeSynth,
    /// Leave out the row of every n-th attachment (its file becomes an
    /// orphan); `0` leaves none out.
    pub orphan_every: u64,
    /// Rows added for files that do not exist.
    pub missing: u64,
    /// Rows (the first ones) whose `filesize` is one more than the file's.
    pub size_mismatches: u64,
    /// The first project was renamed: its `Project` row carries the key
    /// `R<KEY>` while its files stay under the old key's folder, and
    /// `ProjectKey` rows list both keys.
    pub renamed_project: bool,
    /// The backup's file name in `export/`.
    pub backup_name: String,
}

impl Default for MediaBackupSynth {
    fn default() -> Self {
        MediaBackupSynth {
            tree: MediaTreeSynth {
                old_layout: true,
                ..MediaTreeSynth::default()
            },
            orphan_every: 0,
            missing: 0,
            size_mismatches: 0,
            renamed_project: false,
            backup_name: "2026-Dec-01--0200.zip".into(),
        }
    }
}

/// What was generated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MediaBackupStats {
    /// The tree.
    pub tree: MediaTreeStats,
    /// The backup zip.
    pub backup: PathBuf,
    /// Attachment files written (thumbnails and legacy names excepted).
    pub attachment_files: u64,
    /// `FileAttachment` rows written.
    pub rows: u64,
    /// Files whose row was left out, and their bytes.
    pub orphans: u64,
    /// Bytes of those files.
    pub orphan_bytes: u64,
    /// Rows without a file.
    pub missing: u64,
    /// Rows whose size differs from the file's.
    pub size_mismatches: u64,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl MediaBackupSynth {
    /// Writes the Jira home under `home` and its backup in `home/export/`.
    pub fn write(&self, home: &Path) -> io::Result<MediaBackupStats> {
        let mut files: Vec<(String, u64, u64, u64)> = Vec::new();
        let tree = self.tree.write_home_noting(home, &mut |w| {
            files.push((w.key.to_owned(), w.issue, w.id, w.size));
        })?;
        let mut stats = MediaBackupStats {
            tree,
            attachment_files: files.len() as u64,
            ..Default::default()
        };
        // Projects in order of appearance, and their issues.
        let mut projects: Vec<String> = Vec::new();
        let mut issues: BTreeMap<(String, u64), u64> = BTreeMap::new();
        for (key, issue, _, _) in &files {
            if !projects.contains(key) {
                projects.push(key.clone());
            }
            let next = 20_000 + issues.len() as u64;
            issues.entry((key.clone(), *issue)).or_insert(next);
        }
        let project_id =
            |key: &str| 10_000 + projects.iter().position(|k| k == key).unwrap_or(0) as u64;
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!--\n    JIRA Build : 8.5.0#805000-sha1:abcdef\n-->\n<entity-engine-xml date=\"1733011200000\">\n",
        );
        let mut max_id = 0;
        for (n, (key, issue, id, size)) in files.iter().enumerate() {
            max_id = max_id.max(*id);
            if self.orphan_every > 0 && (n as u64 + 1).is_multiple_of(self.orphan_every) {
                stats.orphans += 1;
                stats.orphan_bytes += size;
                continue;
            }
            let mut stated = *size;
            if stats.size_mismatches < self.size_mismatches {
                stats.size_mismatches += 1;
                stated += 1;
            }
            let issue_id = issues.get(&(key.clone(), *issue)).copied().unwrap_or(0);
            let name = escape(NAMES[n % NAMES.len()]);
            let _ = writeln!(
                xml,
                "    <FileAttachment id=\"{id}\" issue=\"{issue_id}\" mimetype=\"application/octet-stream\" filename=\"{name}\" created=\"2021-07-13 10:37:40.0\" filesize=\"{stated}\" author=\"admin\" zip=\"0\" thumbnailable=\"0\"/>"
            );
            stats.rows += 1;
        }
        let first = files
            .first()
            .and_then(|(key, issue, _, _)| issues.get(&(key.clone(), *issue)).copied());
        if let Some(first) = first {
            for k in 0..self.missing {
                let id = max_id + 1 + k;
                let _ = writeln!(
                    xml,
                    "    <FileAttachment id=\"{id}\" issue=\"{first}\" mimetype=\"text/plain\" filename=\"lost {k}.txt\" created=\"2021-07-13 10:37:40.0\" filesize=\"123\" author=\"admin\" zip=\"0\" thumbnailable=\"0\"/>"
                );
                stats.rows += 1;
                stats.missing += 1;
            }
        }
        for ((key, number), id) in &issues {
            let project = project_id(key);
            if key == "LEG" {
                // Jira 6.x: the key, no number.
                let _ = writeln!(
                    xml,
                    "    <Issue id=\"{id}\" key=\"{key}-{number}\" project=\"{project}\" summary=\"issue {number}\"/>"
                );
            } else {
                let _ = writeln!(
                    xml,
                    "    <Issue id=\"{id}\" project=\"{project}\" number=\"{number}\" summary=\"issue {number}\"/>"
                );
            }
        }
        for (i, key) in projects.iter().enumerate() {
            let current = if self.renamed_project && i == 0 {
                format!("R{key}")
            } else {
                key.clone()
            };
            let _ = writeln!(
                xml,
                "    <Project id=\"{}\" name=\"Project {key}\" key=\"{current}\" lead=\"admin\"/>",
                project_id(key)
            );
        }
        if self.renamed_project
            && let Some(key) = projects.first()
        {
            let id = project_id(key);
            let _ = writeln!(
                xml,
                "    <ProjectKey id=\"1\" projectId=\"{id}\" projectKey=\"{key}\"/>\n    <ProjectKey id=\"2\" projectId=\"{id}\" projectKey=\"R{key}\"/>"
            );
        }
        xml.push_str("</entity-engine-xml>\n");
        let ao = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<backup xmlns=\"http://www.atlassian.com/ao\">\n</backup>\n";
        let export = home.join("export");
        fs::create_dir_all(&export)?;
        let path = export.join(&self.backup_name);
        let mut file = io::BufWriter::new(fs::File::create(&path)?);
        write_zip(
            &[
                ZipEntrySpec::file("entities.xml", xml.as_bytes()),
                ZipEntrySpec::file("activeobjects.xml", ao.as_bytes()),
            ],
            false,
            &mut file,
        )?;
        io::Write::flush(&mut file)?;
        stats.backup = path;
        Ok(stats)
    }
}
