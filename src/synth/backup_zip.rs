//! Synthetic Jira backup zips: `entities.xml` (from [`JiraSynth`]), a small
//! `activeobjects.xml`, and attachment entries under `data/attachments/`,
//! optionally inside a folder (the mistake the importer rejects) or written
//! with data descriptors the way Java's `ZipOutputStream` writes them.

use crate::synth::entities::{JiraSynth, SynthStats};
use std::io::{self, Seek, Write};
use zip::write::{ExtendedFileOptions, FileOptions};
use zip::{CompressionMethod, DateTime, ZipWriter};

/// What to generate.
#[derive(Clone, Debug)]
pub struct BackupZipSynth {
    /// The `entities.xml` to generate.
    pub entities: JiraSynth,
    /// Number of attachment entries.
    pub attachments: u32,
    /// Size of each attachment in bytes.
    pub attachment_bytes: u64,
    /// If set, every entry sits inside this folder (e.g. `"backup/"`), as when a
    /// user zips the folder instead of its content.
    pub folder: Option<String>,
    /// Deflate level of the zip (Jira writes 6).
    pub level: u32,
    /// Write data descriptors after each entry instead of sizes in the local
    /// headers (as Java's `ZipOutputStream` does).
    pub data_descriptors: bool,
}

impl Default for BackupZipSynth {
    fn default() -> Self {
        Self {
            entities: JiraSynth::default(),
            attachments: 8,
            attachment_bytes: 64 << 10,
            folder: None,
            level: 6,
            data_descriptors: false,
        }
    }
}

/// What was generated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackupZipStats {
    /// What went into `entities.xml`.
    pub entities: SynthStats,
    /// Raw forbidden characters injected into `activeobjects.xml`.
    pub activeobjects_defects: u64,
    /// Number of entries written (directories included).
    pub entries: u64,
    /// Names of the attachment entries, in order.
    pub attachment_names: Vec<String>,
}

impl BackupZipStats {
    /// Total number of defects a repair must count (both XML files).
    pub fn defects(&self) -> u64 {
        self.entities.defects() + self.activeobjects_defects
    }
}

/// The fixed modification time of generated entries: 2014-09-10 15:12:16.
fn mtime() -> DateTime {
    DateTime::from_date_and_time(2014, 9, 10, 15, 12, 16).unwrap_or_default()
}

fn options(
    method: CompressionMethod,
    level: u32,
) -> FileOptions<'static, 'static, ExtendedFileOptions> {
    let o = FileOptions::<ExtendedFileOptions>::default()
        .compression_method(method)
        .last_modified_time(mtime())
        .unix_permissions(0o644)
        .large_file(false);
    let o = if method == CompressionMethod::Stored {
        o
    } else {
        o.compression_level(Some(i64::from(level)))
    };
    // 1410361936 = the mtime above as Unix seconds (UTC).
    o.clone()
        .with_extended_timestamp(Some(1_410_361_936), None, None)
        .unwrap_or(o)
}

fn zip_err(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        e => io::Error::other(e),
    }
}

/// Writes an `activeobjects.xml` with a few tables, and a raw control
/// character in two values when `defects` is set. Returns the number injected.
fn activeobjects<W: Write>(mut w: W, defects: bool) -> io::Result<u64> {
    let bad = if defects { "\u{1c}" } else { "" };
    write!(
        w,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<backup xmlns=\"http://www.atlassian.com/ao\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n  <database>\n    <meta key=\"database.name\" value=\"PostgreSQL\"/>\n  </database>\n  <table name=\"AO_60DB71_RAPIDVIEW\">\n    <column name=\"ID\" primaryKey=\"true\" autoIncrement=\"true\" sqlType=\"-5\" precision=\"19\"/>\n    <column name=\"NAME\" primaryKey=\"false\" autoIncrement=\"false\" sqlType=\"12\" precision=\"255\"/>\n  </table>\n  <data tableName=\"AO_60DB71_RAPIDVIEW\">\n    <column name=\"ID\"/>\n    <column name=\"NAME\"/>\n"
    )?;
    for i in 1..=200u32 {
        let name = if i == 7 || i == 150 {
            format!("Board {i}{bad} \u{1F600}")
        } else {
            format!("Board {i} caf\u{e9}")
        };
        writeln!(
            w,
            "    <row>\n      <integer>{i}</integer>\n      <string>{name}</string>\n    </row>"
        )?;
    }
    writeln!(w, "  </data>\n</backup>")?;
    Ok(if defects { 2 } else { 0 })
}

/// Deterministic bytes: text-like for even attachments (compressible),
/// noise for odd ones (like images; stored).
fn attachment(i: u32, len: u64) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ u64::from(i);
    let mut out = Vec::with_capacity(len as usize);
    let words: [&[u8]; 6] = [
        b"log ",
        b"line ",
        b"error ",
        b"INFO ",
        b"2014-09-10 ",
        b"\n",
    ];
    while (out.len() as u64) < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if i.is_multiple_of(2) {
            out.extend_from_slice(words[(x % 6) as usize]);
        } else {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    out.truncate(len as usize);
    out
}

impl BackupZipSynth {
    /// Writes the backup zip to a seekable writer (sizes in local headers).
    /// With [`BackupZipSynth::data_descriptors`], sizes follow each entry
    /// instead (and `w` need not seek: see [`BackupZipSynth::write_stream`]).
    ///
    /// ```
    /// use backup_fix::synth::{BackupZipSynth, JiraSynth};
    /// let mut zip = std::io::Cursor::new(Vec::new());
    /// let synth = BackupZipSynth {
    ///     entities: JiraSynth { target_bytes: 50_000, ..Default::default() },
    ///     attachments: 3,
    ///     ..Default::default()
    /// };
    /// let stats = synth.write_zip(&mut zip)?;
    /// assert_eq!(stats.entries, 5);
    /// let archive = zip::ZipArchive::new(zip)?;
    /// assert!(archive.index_for_name("entities.xml").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_zip<W: Write + Seek>(&self, w: W) -> io::Result<BackupZipStats> {
        if self.data_descriptors {
            return self.write_stream(w);
        }
        let mut zip = ZipWriter::new(w);
        let stats = self.fill(&mut zip)?;
        zip.finish().map_err(zip_err)?;
        Ok(stats)
    }

    /// Writes the backup zip to any writer, with data descriptors.
    pub fn write_stream<W: Write>(&self, w: W) -> io::Result<BackupZipStats> {
        let mut zip = ZipWriter::new_stream(w);
        let stats = self.fill(&mut zip)?;
        zip.finish().map_err(zip_err)?;
        Ok(stats)
    }

    fn fill<W: Write + Seek>(&self, zip: &mut ZipWriter<W>) -> io::Result<BackupZipStats> {
        let prefix = self.folder.clone().unwrap_or_default();
        let mut stats = BackupZipStats::default();
        let deflated = || options(CompressionMethod::Deflated, self.level);
        if !prefix.is_empty() {
            zip.add_directory(prefix.as_str(), deflated())
                .map_err(zip_err)?;
            stats.entries += 1;
        }
        // Jira's large entities.xml may pass 4 GiB: let the writer use zip64 when it does.
        let big = self.entities.target_bytes + self.entities.huge_cdata.unwrap_or(0) >= 0xFFFF_0000;
        zip.start_file(format!("{prefix}entities.xml"), deflated().large_file(big))
            .map_err(zip_err)?;
        stats.entities = self.entities.write_entities(&mut *zip)?;
        stats.entries += 1;
        zip.start_file(format!("{prefix}activeobjects.xml"), deflated())
            .map_err(zip_err)?;
        stats.activeobjects_defects = activeobjects(&mut *zip, self.entities.defects)?;
        stats.entries += 1;
        for i in 0..self.attachments {
            let project = ["ABC", "OPS", "HR"][(i % 3) as usize];
            let issue = 1 + i / 2;
            let name = format!(
                "{prefix}data/attachments/{project}/10000/{project}-{issue}/{}",
                10_000 + i
            );
            let method = if i.is_multiple_of(2) {
                CompressionMethod::Deflated
            } else {
                CompressionMethod::Stored
            };
            zip.start_file(name.as_str(), options(method, self.level))
                .map_err(zip_err)?;
            zip.write_all(&attachment(i, self.attachment_bytes))?;
            stats.entries += 1;
            stats.attachment_names.push(name);
        }
        Ok(stats)
    }
}
