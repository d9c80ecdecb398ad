//! Synthetic Confluence site exports with many entries, shaped like the zips
//! Confluence 6.13 writes: a root directory entry named `/`, a directory entry
//! before the files of each directory (`attachments/`, `attachments/<page>/`,
//! `attachments/<page>/<attachment>/`), every entry deflated with a data
//! descriptor (flag bit 3, sizes after the data, as Java's
//! `ZipOutputStream` writes them), then `entities.xml` and
//! `exportDescriptor.properties`.
//!
//! `entities.xml` holds one `Attachment` object per attachment file, in the
//! shape server exports use (the size in a `FILESIZE` content property, later
//! versions' files under the current version's id), so that `check` finds
//! every file where its record says and of its size.
//!
//! The zip is written by the crate's own zip writer (the `zip` crate's
//! writer keeps every entry's record in memory, and writes directories
//! stored, without data descriptors). Nothing grows with the entry count:
//! the central directory goes to a temporary file past 4 MiB, `entities.xml`
//! is deflated as it is generated, and the plan of pages and attachments is
//! regenerated from the seed rather than stored.

use crate::spill::IN_MEMORY;
use crate::synth::rng::Rng;
use crate::zip::format::{DEFLATED, FLAG_UTF8, STORED, VERSION_DEFLATE};
use crate::zip::writer::{EntryMeta, Sizes, ZipOut};
use flate2::write::DeflateEncoder;
use flate2::{Compress, Compression, FlushCompress, Status};
use std::fmt::Write as _;
use std::io::{self, BufWriter, Seek, Write};

/// What to generate.
#[derive(Clone, Debug)]
pub struct ConfluenceExportSynth {
    /// Number of attachment files (`attachments/<page>/<attachment>/<version>`),
    /// versions included. [`ConfluenceExportSynth::fit_entries`] sets it from
    /// a total entry count.
    pub attachments: u64,
    /// Size of each attachment file in bytes. Each is generated in memory
    /// before it is written, so keep it small (real sites hold mostly small
    /// files; the default is 100). Content differs from file to file: mostly
    /// text-like, some noise (like images).
    pub attachment_bytes: u64,
    /// Mean number of attachments (not versions) per page; each page gets
    /// between 1 and twice this, less one.
    pub attachments_per_page: u64,
    /// Pages per space.
    pub pages_per_space: u64,
    /// Write a directory entry before the files of each directory, as
    /// Confluence does.
    pub directory_entries: bool,
    /// Write a directory entry named exactly `/` first, as Confluence 6.13 does.
    pub root_entry: bool,
    /// Every entry (directories included) with flag bit 3 and a data
    /// descriptor after its data, as Java's `ZipOutputStream` writes them.
    /// Without, sizes are in the local headers and directories are stored.
    pub data_descriptors: bool,
    /// Deflate level 1 to 9 (Confluence writes 6-ish), or 0 to store every entry.
    pub level: u32,
    /// Seed of the layout (attachments per page, versions) and of the content.
    pub seed: u64,
}

impl Default for ConfluenceExportSynth {
    fn default() -> Self {
        Self {
            attachments: 1000,
            attachment_bytes: 100,
            attachments_per_page: 4,
            pages_per_space: 200,
            directory_entries: true,
            root_entry: true,
            data_descriptors: true,
            level: 6,
            seed: 13,
        }
    }
}

/// What was generated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfluenceExportStats {
    /// Entries written, directories included.
    pub entries: u64,
    /// Attachment files written (each with its `Attachment` object).
    pub attachment_files: u64,
    /// Directory entries written (the `/` entry included).
    pub directories: u64,
    /// Pages in `entities.xml`.
    pub pages: u64,
    /// Spaces in `entities.xml`.
    pub spaces: u64,
    /// Uncompressed size of `entities.xml`.
    pub entities_bytes: u64,
    /// Size of the zip.
    pub zip_bytes: u64,
}

/// File kinds of attachments: extension, media type.
const KINDS: &[(&str, &str)] = &[
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("pdf", "application/pdf"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("txt", "text/plain"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
];

const WORDS: &[&str] = &[
    "release",
    "notes",
    "meeting",
    "design",
    "screenshot",
    "diagram",
    "budget",
    "roadmap",
    "invoice",
    "report",
    "draft",
    "final",
    "review",
    "logo",
    "export",
    "minutes",
];

/// One version of an attachment: its object, file and content properties.
struct Version {
    id: u64,
    version: u64,
    media_prop: u64,
    size_prop: u64,
    /// Index of its file among all attachment files (seeds its content).
    file: u64,
}

/// One attachment: the current version's id names its directory; versions
/// in order, the last being the current one (whose id is `id`).
struct Attachment {
    id: u64,
    kind: usize,
    name: usize,
    versions: Vec<Version>,
}

/// One page and its attachments.
struct PagePlan {
    id: u64,
    body_id: u64,
    space_id: u64,
    /// Index of the space (names its key).
    space: u64,
    /// The space's home page (this page when it is the space's first).
    home_id: u64,
    /// When the page starts a new space.
    new_space: bool,
    attachments: Vec<Attachment>,
}

/// Walks the layout of pages and attachments, the same every time for a
/// given configuration: the zip's entries and `entities.xml` both follow it,
/// and nothing of it is stored.
struct Walker {
    rng: Rng,
    files_left: u64,
    next_id: u64,
    next_file: u64,
    pages: u64,
    per_page: u64,
    per_space: u64,
    space_id: u64,
    home_id: u64,
}

impl Walker {
    fn new(s: &ConfluenceExportSynth) -> Self {
        Walker {
            rng: Rng::new(s.seed),
            files_left: s.attachments,
            // Confluence's ids are large numbers handed out in blocks.
            next_id: 65_537,
            next_file: 0,
            pages: 0,
            per_page: s.attachments_per_page.max(1),
            per_space: s.pages_per_space.max(1),
            space_id: 0,
            home_id: 0,
        }
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

impl Iterator for Walker {
    type Item = PagePlan;

    fn next(&mut self) -> Option<PagePlan> {
        if self.files_left == 0 {
            return None;
        }
        let new_space = self.pages.is_multiple_of(self.per_space);
        if new_space {
            self.space_id = self.id();
        }
        let id = self.id();
        if new_space {
            self.home_id = id;
        }
        let body_id = self.id();
        let space = self.pages / self.per_space;
        self.pages += 1;
        let count = 1 + self.rng.below(self.per_page.saturating_mul(2) - 1);
        let mut attachments = Vec::new();
        for _ in 0..count {
            if self.files_left == 0 {
                break;
            }
            // Most attachments have one version; some were uploaded again.
            let versions = match self.rng.below(20) {
                0 => 3,
                1..=3 => 2,
                _ => 1,
            }
            .min(self.files_left);
            self.files_left -= versions;
            let kind = self.rng.below(KINDS.len() as u64) as usize;
            let name = self.rng.below(WORDS.len() as u64) as usize;
            let current = self.id();
            let mut list = Vec::new();
            for v in 1..=versions {
                let vid = if v == versions { current } else { self.id() };
                let media_prop = self.id();
                let size_prop = self.id();
                list.push(Version {
                    id: vid,
                    version: v,
                    media_prop,
                    size_prop,
                    file: self.next_file,
                });
                self.next_file += 1;
            }
            attachments.push(Attachment {
                id: current,
                kind,
                name,
                versions: list,
            });
        }
        Some(PagePlan {
            id,
            body_id,
            space_id: self.space_id,
            space,
            home_id: self.home_id,
            new_space,
            attachments,
        })
    }
}

/// A date-time like Confluence's (`2016-05-10 15:00:04.075`), from an id.
fn date(id: u64) -> String {
    let mut r = Rng::new(id);
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
        2014 + r.below(5),
        1 + r.below(12),
        1 + r.below(28),
        r.below(24),
        r.below(60),
        r.below(60),
        r.below(1000)
    )
}

/// A space key: `SA`, `SB`, ... `SAA`, ...
fn space_key(i: u64) -> String {
    let mut key = String::from("S");
    let mut n = i;
    let mut letters = Vec::new();
    loop {
        letters.push((b'A' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    key.extend(letters.iter().rev());
    key
}

const PAGE_CLASS: &str = "class=\"Page\" package=\"com.atlassian.confluence.pages\"";
const SPACE_CLASS: &str = "class=\"Space\" package=\"com.atlassian.confluence.spaces\"";
const ATTACHMENT_CLASS: &str = "class=\"Attachment\" package=\"com.atlassian.confluence.pages\"";
const PROPERTY_CLASS: &str =
    "class=\"ContentProperty\" package=\"com.atlassian.confluence.content\"";

impl ConfluenceExportSynth {
    /// The number of entries [`ConfluenceExportSynth::write_zip`] writes,
    /// computed without writing.
    pub fn entries(&self) -> u64 {
        let mut n = 2 + u64::from(self.root_entry);
        if self.directory_entries && self.attachments > 0 {
            n += 1;
        }
        for page in Walker::new(self) {
            n += page
                .attachments
                .iter()
                .map(|a| a.versions.len() as u64 + u64::from(self.directory_entries))
                .sum::<u64>();
            n += u64::from(self.directory_entries);
        }
        n
    }

    /// Sets [`ConfluenceExportSynth::attachments`] to the most files that keep
    /// [`ConfluenceExportSynth::entries`] at or under `entries` (it is then
    /// `entries`, or a few under when a new directory would overshoot).
    pub fn fit_entries(&mut self, entries: u64) {
        let (mut lo, mut hi) = (0u64, entries);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            self.attachments = mid;
            if self.entries() <= entries {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        self.attachments = lo;
    }

    /// The content of attachment file number `file`.
    fn content(&self, file: u64, out: &mut Vec<u8>) {
        let len = self.attachment_bytes as usize;
        out.clear();
        let mut r = Rng::new(self.seed ^ file.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        if r.below(4) == 0 {
            // Noise, like the images and office files.
            while out.len() < len {
                out.extend_from_slice(&r.next().to_le_bytes());
            }
        } else {
            while out.len() < len {
                let w = WORDS[r.below(WORDS.len() as u64) as usize];
                out.extend_from_slice(w.as_bytes());
                match r.below(8) {
                    0 => out.push(b'\n'),
                    1 => out.extend_from_slice(format!(" {} ", r.below(10_000)).as_bytes()),
                    _ => out.push(b' '),
                }
            }
        }
        out.truncate(len);
    }

    /// Writes `exportDescriptor.properties` of a site export.
    fn descriptor(&self) -> Vec<u8> {
        // 7901: the build number Confluence 6.13 states.
        b"#Thu Mar 14 10:12:43 UTC 2019\nexportType=all\nbuildNumber=7901\ncreatedByBuildNumber=7901\nbackupAttachments=true\ndefaultUsersGroup=confluence-users\nao.data.list=\n"
            .to_vec()
    }

    /// Writes `entities.xml`; returns (pages, spaces).
    fn write_entities<W: Write>(&self, w: &mut W) -> io::Result<(u64, u64)> {
        let (mut pages, mut spaces) = (0u64, 0u64);
        w.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hibernate-generic datetime=\"2019-03-14 10:12:43\">\n")?;
        for p in Walker::new(self) {
            pages += 1;
            if p.new_space {
                spaces += 1;
                let key = space_key(p.space);
                write!(
                    w,
                    "<object {SPACE_CLASS}>\n<id name=\"id\">{}</id>\n<property name=\"name\"><![CDATA[Space {key}]]></property>\n<property name=\"key\"><![CDATA[{key}]]></property>\n<property name=\"lowerKey\"><![CDATA[{}]]></property>\n<property name=\"homePage\" {PAGE_CLASS}><id name=\"id\">{}</id>\n</property>\n<property name=\"creationDate\">{}</property>\n<property name=\"lastModificationDate\">{}</property>\n<property name=\"spaceType\">global</property>\n<property name=\"spaceStatus\" enum-class=\"SpaceStatus\" package=\"com.atlassian.confluence.spaces\">CURRENT</property>\n</object>\n",
                    p.space_id,
                    key.to_ascii_lowercase(),
                    p.home_id,
                    date(p.space_id),
                    date(p.space_id + 1),
                )?;
            }
            self.write_page(w, &p)?;
            for a in &p.attachments {
                self.write_attachment(w, &p, a)?;
            }
        }
        w.write_all(b"</hibernate-generic>\n")?;
        Ok((pages, spaces))
    }

    fn write_page<W: Write>(&self, w: &mut W, p: &PagePlan) -> io::Result<()> {
        let title = format!("Page {} of space {}", p.id, space_key(p.space));
        write!(
            w,
            "<object {PAGE_CLASS}>\n<id name=\"id\">{}</id>\n<property name=\"space\" {SPACE_CLASS}><id name=\"id\">{}</id>\n</property>\n<property name=\"hibernateVersion\">2</property>\n<property name=\"title\"><![CDATA[{title}]]></property>\n<property name=\"lowerTitle\"><![CDATA[{}]]></property>\n<collection name=\"bodyContents\" class=\"java.util.Collection\"><element class=\"BodyContent\" package=\"com.atlassian.confluence.core\"><id name=\"id\">{}</id>\n</element>\n</collection>\n<property name=\"version\">1</property>\n<property name=\"creationDate\">{}</property>\n<property name=\"lastModificationDate\">{}</property>\n<property name=\"versionComment\"><![CDATA[]]></property>\n<property name=\"originalVersionId\"/><property name=\"contentStatus\"><![CDATA[current]]></property>\n",
            p.id,
            p.space_id,
            title.to_lowercase(),
            p.body_id,
            date(p.id),
            date(p.id + 1),
        )?;
        if p.id != p.home_id {
            write!(
                w,
                "<property name=\"parent\" {PAGE_CLASS}><id name=\"id\">{}</id>\n</property>\n",
                p.home_id
            )?;
        }
        if !p.attachments.is_empty() {
            w.write_all(b"<collection name=\"attachments\" class=\"java.util.Collection\">")?;
            for a in &p.attachments {
                write!(
                    w,
                    "<element {ATTACHMENT_CLASS}><id name=\"id\">{}</id>\n</element>\n",
                    a.id
                )?;
            }
            w.write_all(b"</collection>\n")?;
        }
        w.write_all(b"</object>\n")?;
        // The body shows the page's first attachment.
        let image = p.attachments.first().map_or(String::new(), |a| {
            format!(
                "<p><ac:image><ri:attachment ri:filename=\"{}\" /></ac:image></p>",
                self.title(a)
            )
        });
        write!(
            w,
            "<object class=\"BodyContent\" package=\"com.atlassian.confluence.core\">\n<id name=\"id\">{}</id>\n<property name=\"body\"><![CDATA[<p>Notes for page {}: see the attached files.</p>{image}]]></property>\n<property name=\"content\" {PAGE_CLASS}><id name=\"id\">{}</id>\n</property>\n<property name=\"bodyType\">2</property>\n</object>\n",
            p.body_id, p.id, p.id
        )
    }

    fn title(&self, a: &Attachment) -> String {
        format!("{}-{}.{}", WORDS[a.name], a.id, KINDS[a.kind].0)
    }

    fn write_attachment<W: Write>(
        &self,
        w: &mut W,
        p: &PagePlan,
        a: &Attachment,
    ) -> io::Result<()> {
        let title = self.title(a);
        let (_, media) = KINDS[a.kind];
        for v in &a.versions {
            // Earlier versions point at the current one, whose id names the directory.
            let original = if v.id == a.id {
                "<property name=\"originalVersionId\"/>".to_string()
            } else {
                format!("<property name=\"originalVersionId\">{}</property>", a.id)
            };
            write!(
                w,
                "<object {ATTACHMENT_CLASS}>\n<id name=\"id\">{}</id>\n<property name=\"space\" {SPACE_CLASS}><id name=\"id\">{}</id>\n</property>\n<property name=\"hibernateVersion\">{}</property>\n<property name=\"title\"><![CDATA[{title}]]></property>\n<property name=\"lowerTitle\"><![CDATA[{title}]]></property>\n<collection name=\"contentProperties\" class=\"java.util.Collection\"><element {PROPERTY_CLASS}><id name=\"id\">{}</id>\n</element>\n<element {PROPERTY_CLASS}><id name=\"id\">{}</id>\n</element>\n</collection>\n<property name=\"version\">{}</property>\n<property name=\"creationDate\">{}</property>\n<property name=\"lastModificationDate\">{}</property>\n<property name=\"versionComment\"><![CDATA[]]></property>\n{original}<property name=\"contentStatus\"><![CDATA[current]]></property>\n<property name=\"containerContent\" {PAGE_CLASS}><id name=\"id\">{}</id>\n</property>\n</object>\n",
                v.id,
                p.space_id,
                v.version + 1,
                v.media_prop,
                v.size_prop,
                v.version,
                date(v.id),
                date(v.id + 1),
                p.id,
            )?;
            write!(
                w,
                "<object {PROPERTY_CLASS}>\n<id name=\"id\">{}</id>\n<property name=\"name\"><![CDATA[MEDIA_TYPE]]></property>\n<property name=\"stringValue\"><![CDATA[{media}]]></property>\n<property name=\"longValue\"/><property name=\"dateValue\"/></object>\n<object {PROPERTY_CLASS}>\n<id name=\"id\">{}</id>\n<property name=\"name\"><![CDATA[FILESIZE]]></property>\n<property name=\"stringValue\"/><property name=\"longValue\">{}</property>\n<property name=\"dateValue\"/></object>\n",
                v.media_prop, v.size_prop, self.attachment_bytes
            )?;
        }
        Ok(())
    }

    /// Writes the export zip to `w`, streaming: memory does not grow with the
    /// number of entries (the central directory goes to a temporary file
    /// past 4 MiB).
    ///
    /// ```
    /// use backup_fix::synth::ConfluenceExportSynth;
    /// let mut zip = std::io::Cursor::new(Vec::new());
    /// let synth = ConfluenceExportSynth { attachments: 20, ..Default::default() };
    /// let stats = synth.write_zip(&mut zip)?;
    /// assert_eq!(stats.entries, synth.entries());
    /// let archive = zip::ZipArchive::new(zip)?;
    /// assert_eq!(archive.len() as u64, stats.entries);
    /// assert_eq!(archive.name_for_index(0).transpose()?.as_deref(), Some("/"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_zip<W: Write + Seek>(&self, w: W) -> io::Result<ConfluenceExportStats> {
        if self.level > 9 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the deflate level is 0 to 9",
            ));
        }
        if self.attachment_bytes >= u64::from(u32::MAX) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "attachment files must be under 4 GiB",
            ));
        }
        let mut zip = ExportZip::new(w, self.level, self.data_descriptors)?;
        let mut stats = ConfluenceExportStats::default();
        let dir = |zip: &mut ExportZip<W>, stats: &mut ConfluenceExportStats, name: &str| {
            stats.directories += 1;
            zip.add_dir(name)
        };
        if self.root_entry {
            dir(&mut zip, &mut stats, "/")?;
        }
        if self.directory_entries && self.attachments > 0 {
            dir(&mut zip, &mut stats, "attachments/")?;
        }
        let mut buf = Vec::with_capacity(self.attachment_bytes as usize);
        let mut name = String::new();
        for p in Walker::new(self) {
            if self.directory_entries {
                dir(&mut zip, &mut stats, &format!("attachments/{}/", p.id))?;
            }
            for a in &p.attachments {
                if self.directory_entries {
                    dir(
                        &mut zip,
                        &mut stats,
                        &format!("attachments/{}/{}/", p.id, a.id),
                    )?;
                }
                for v in &a.versions {
                    self.content(v.file, &mut buf);
                    name.clear();
                    let _ = write!(name, "attachments/{}/{}/{}", p.id, a.id, v.version);
                    zip.add_file(&name, &buf)?;
                    stats.attachment_files += 1;
                }
            }
        }
        let mut counts = (0, 0);
        stats.entities_bytes = zip.add_stream("entities.xml", |w| {
            let mut w = BufWriter::with_capacity(1 << 16, w);
            counts = self.write_entities(&mut w)?;
            w.flush()
        })?;
        (stats.pages, stats.spaces) = counts;
        zip.add_file("exportDescriptor.properties", &self.descriptor())?;
        stats.entries = zip.entries;
        stats.zip_bytes = zip.finish()?;
        Ok(stats)
    }
}

/// The modification time of every entry: 2019-03-14 10:12:42, in DOS form.
const DOS_TIME: u16 = (10 << 11) | (12 << 5) | (42 / 2);
const DOS_DATE: u16 = ((2019 - 1980) << 9) | (3 << 5) | 14;

/// The body of a streamed entry: deflated (or stored) into the zip as it is
/// written, with the CRC and size of what goes in.
struct Body<'a, W: Write + Seek> {
    sink: BodySink<'a, W>,
    crc: crc32fast::Hasher,
    size: u64,
}

/// The compressed bytes of a streamed entry, handed to the zip writer.
struct Data<'a, W: Write + Seek> {
    z: &'a mut ZipOut<W>,
    written: u64,
}

impl<W: Write + Seek> Write for Data<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.z.data(buf)?;
        self.written += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

enum BodySink<'a, W: Write + Seek> {
    Deflate(DeflateEncoder<Data<'a, W>>),
    Stored(Data<'a, W>),
}

impl<W: Write + Seek> Write for Body<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.sink {
            BodySink::Deflate(d) => d.write(buf)?,
            BodySink::Stored(s) => s.write(buf)?,
        };
        self.crc.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            BodySink::Deflate(d) => d.flush(),
            BodySink::Stored(s) => s.flush(),
        }
    }
}

/// Streams `fill`'s output into the open entry of `z`, deflated unless
/// `method` is stored; returns its CRC, size and compressed size.
fn stream_into<W: Write + Seek>(
    z: &mut ZipOut<W>,
    method: u16,
    level: u32,
    fill: impl FnOnce(&mut Body<'_, W>) -> io::Result<()>,
) -> io::Result<(u32, u64, u64)> {
    let data = Data { z, written: 0 };
    let sink = if method == DEFLATED {
        BodySink::Deflate(DeflateEncoder::new(data, Compression::new(level)))
    } else {
        BodySink::Stored(data)
    };
    let mut body = Body {
        sink,
        crc: crc32fast::Hasher::new(),
        size: 0,
    };
    fill(&mut body)?;
    let compressed = match body.sink {
        BodySink::Deflate(d) => d.finish()?.written,
        BodySink::Stored(s) => s.written,
    };
    Ok((body.crc.finalize(), body.size, compressed))
}

/// The export's entries through the crate's zip writer (the one `fix`
/// uses; its central directory spills to a temporary file past 4 MiB), as
/// Java writes them: UTF-8 flag, and with `descriptors` every entry, empty
/// directories included, deflated with a data descriptor.
struct ExportZip<W: Write + Seek> {
    z: ZipOut<W>,
    level: u32,
    descriptors: bool,
    deflater: Compress,
    packed: Vec<u8>,
    entries: u64,
}

impl<W: Write + Seek> ExportZip<W> {
    fn new(w: W, level: u32, descriptors: bool) -> io::Result<Self> {
        Ok(ExportZip {
            z: ZipOut::new(w, false, &std::env::temp_dir(), IN_MEMORY),
            level,
            descriptors,
            deflater: Compress::new(Compression::new(level), false),
            packed: Vec::new(),
            entries: 0,
        })
    }

    fn method(&self) -> u16 {
        if self.level == 0 { STORED } else { DEFLATED }
    }

    fn meta(&self, name: &str, method: u16) -> EntryMeta {
        EntryMeta {
            name: name.as_bytes().to_vec(),
            version_made_by: VERSION_DEFLATE,
            version_needed: VERSION_DEFLATE,
            flags: FLAG_UTF8,
            method,
            time: DOS_TIME,
            date: DOS_DATE,
            ..EntryMeta::default()
        }
    }

    /// Deflates `data` into `self.packed` as one raw deflate stream.
    fn deflate(&mut self, data: &[u8]) -> io::Result<()> {
        self.deflater.reset();
        self.packed.clear();
        self.packed.reserve(data.len() + data.len() / 8 + 64);
        loop {
            let done = usize::try_from(self.deflater.total_in())
                .unwrap_or(usize::MAX)
                .min(data.len());
            let status = self
                .deflater
                .compress_vec(&data[done..], &mut self.packed, FlushCompress::Finish)
                .map_err(io::Error::other)?;
            if status == Status::StreamEnd {
                return Ok(());
            }
            self.packed.reserve(self.packed.capacity().max(64));
        }
    }

    /// Writes one entry whose content is in memory.
    fn add_entry(&mut self, name: &str, data: &[u8], method: u16) -> io::Result<()> {
        if method == STORED {
            self.packed.clear();
            self.packed.extend_from_slice(data);
        } else {
            self.deflate(data)?;
        }
        let meta = self.meta(name, method);
        let sizes = Sizes {
            crc: crc32fast::hash(data),
            compressed: self.packed.len() as u64,
            uncompressed: data.len() as u64,
        };
        if self.descriptors {
            self.z.begin_described(meta)?;
        } else {
            self.z.begin_copy(meta, sizes)?;
        }
        self.z.data(&self.packed)?;
        self.z.end(sizes)?;
        self.entries += 1;
        Ok(())
    }

    fn add_file(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        self.add_entry(name, data, self.method())
    }

    /// A directory entry: as Java writes them with data descriptors (an
    /// empty deflate stream), stored otherwise.
    fn add_dir(&mut self, name: &str) -> io::Result<()> {
        let method = if self.descriptors {
            self.method()
        } else {
            STORED
        };
        self.add_entry(name, &[], method)
    }

    /// Writes an entry whose content `fill` streams; returns its size.
    fn add_stream(
        &mut self,
        name: &str,
        fill: impl FnOnce(&mut Body<'_, W>) -> io::Result<()>,
    ) -> io::Result<u64> {
        let method = self.method();
        let meta = self.meta(name, method);
        if self.descriptors {
            self.z.begin_described(meta)?;
        } else {
            self.z.begin_stream(meta)?;
        }
        let level = self.level;
        let (crc, size, compressed) = stream_into(&mut self.z, method, level, fill)?;
        self.z.end(Sizes {
            crc,
            compressed,
            uncompressed: size,
        })?;
        self.entries += 1;
        Ok(size)
    }

    /// Writes the central directory and end records; returns the zip's size.
    fn finish(self) -> io::Result<u64> {
        let (mut w, _, _) = self.z.finish(&[])?;
        w.flush()?;
        w.stream_position()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read};
    use std::process::Command;

    fn small(entries: u64) -> ConfluenceExportSynth {
        let mut s = ConfluenceExportSynth::default();
        s.fit_entries(entries);
        s
    }

    fn write(s: &ConfluenceExportSynth) -> (Vec<u8>, ConfluenceExportStats) {
        let mut zip = Cursor::new(Vec::new());
        let stats = s.write_zip(&mut zip).unwrap();
        (zip.into_inner(), stats)
    }

    fn u16_at(b: &[u8], i: usize) -> u16 {
        u16::from_le_bytes([b[i], b[i + 1]])
    }
    fn u32_at(b: &[u8], i: usize) -> u32 {
        u32::from_le_bytes(b[i..i + 4].try_into().unwrap())
    }
    fn u64_at(b: &[u8], i: usize) -> u64 {
        u64::from_le_bytes(b[i..i + 8].try_into().unwrap())
    }

    /// An entry as the central directory lists it.
    struct Listed {
        name: String,
        flags: u16,
        local_flags: u16,
    }

    /// Reads the central directory by hand (through the zip64 end records
    /// when the end record points there), checking each local header's name.
    fn central(b: &[u8]) -> Vec<Listed> {
        let eocd = b.len() - 22;
        assert_eq!(&b[eocd..eocd + 4], b"PK\x05\x06");
        let mut count = u64::from(u16_at(b, eocd + 10));
        let mut at = u64::from(u32_at(b, eocd + 16));
        if count == 0xFFFF || at == 0xFFFF_FFFF {
            let locator = eocd - 20;
            assert_eq!(&b[locator..locator + 4], b"PK\x06\x07");
            let record = u64_at(b, locator + 8) as usize;
            assert_eq!(&b[record..record + 4], b"PK\x06\x06");
            count = u64_at(b, record + 32);
            at = u64_at(b, record + 48);
        }
        let mut at = at as usize;
        let mut out = Vec::new();
        for _ in 0..count {
            assert_eq!(&b[at..at + 4], b"PK\x01\x02");
            let name_len = usize::from(u16_at(b, at + 28));
            let extra = usize::from(u16_at(b, at + 30));
            let comment = usize::from(u16_at(b, at + 32));
            let local = u32_at(b, at + 42) as usize;
            let name = String::from_utf8(b[at + 46..at + 46 + name_len].to_vec()).unwrap();
            assert_eq!(&b[local..local + 4], b"PK\x03\x04");
            assert_eq!(&b[local + 30..local + 30 + name_len], name.as_bytes());
            out.push(Listed {
                name,
                flags: u16_at(b, at + 8),
                local_flags: u16_at(b, local + 6),
            });
            at += 46 + name_len + extra + comment;
        }
        assert_eq!(
            &b[at..at + 4],
            if count >= 0xFFFF {
                b"PK\x06\x06"
            } else {
                b"PK\x05\x06"
            }
        );
        out
    }

    /// Whether `program` runs; says so when it does not.
    fn available(program: &str, arg: &str) -> bool {
        let ok = Command::new(program)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("SKIPPED: `{program}` is not installed; its checks did not run");
        }
        ok
    }

    /// `unzip -t` accepts the zip, when unzip is installed.
    fn assert_unzip_t(zip: &[u8]) {
        if !available("unzip", "-v") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.zip");
        std::fs::write(&path, zip).unwrap();
        let out = Command::new("unzip").arg("-t").arg(&path).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("No errors detected"),
            "unzip -t: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Reads every entry with the zip crate (CRCs checked); returns the names
    /// and the content of `entities.xml`.
    fn read_all(zip: &[u8]) -> (Vec<String>, Vec<u8>) {
        let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
        let mut names = Vec::new();
        let mut entities = Vec::new();
        for i in 0..archive.len() {
            let mut f = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            let name = f.name().unwrap().into_owned();
            if name == "entities.xml" {
                entities = data;
            }
            names.push(name);
        }
        (names, entities)
    }

    fn count(hay: &[u8], needle: &str) -> u64 {
        memchr::memmem::find_iter(hay, needle.as_bytes()).count() as u64
    }

    #[test]
    fn synth_default_zip_is_shaped_like_confluence_613s() {
        let s = small(300);
        assert_eq!(s.entries(), 300);
        let (zip, stats) = write(&s);
        assert_eq!(stats.entries, 300);
        assert_eq!(stats.zip_bytes, zip.len() as u64);
        assert_eq!(stats.attachment_files, s.attachments);
        assert_eq!(
            stats.entries,
            stats.attachment_files + stats.directories + 2
        );
        let listed = central(&zip);
        assert_eq!(listed.len() as u64, stats.entries);
        assert_eq!(listed[0].name, "/");
        assert_eq!(listed[1].name, "attachments/");
        assert!(
            listed
                .iter()
                .all(|e| e.flags & 8 != 0 && e.local_flags & 8 != 0)
        );
        // Each directory comes before the files in it.
        let mut seen = std::collections::HashSet::new();
        for e in &listed {
            if let Some(cut) = e.name.trim_end_matches('/').rfind('/') {
                assert!(
                    seen.contains(&e.name[..=cut]),
                    "{} before its directory",
                    e.name
                );
            }
            seen.insert(e.name.clone());
        }
        let (names, entities) = read_all(&zip);
        assert_eq!(names.len() as u64, stats.entries);
        assert_eq!(names[names.len() - 2], "entities.xml");
        assert_unzip_t(&zip);
        assert_eq!(entities.len() as u64, stats.entities_bytes);
        assert_eq!(
            count(&entities, "<object class=\"Attachment\""),
            stats.attachment_files
        );
        assert_eq!(count(&entities, "<object class=\"Page\""), stats.pages);
        assert_eq!(count(&entities, "<object class=\"Space\""), stats.spaces);
    }

    #[test]
    fn synth_entities_xml_is_well_formed() {
        let (zip, stats) = write(&small(300));
        let (_, entities) = read_all(&zip);
        let report = crate::check::check_xml_stream("entities.xml", &entities[..]).unwrap();
        assert!(
            report.files[0].well_formed,
            "{:?}",
            report.files[0].first_error
        );
        assert_eq!(report.spaces.len() as u64, stats.spaces);
        if available("xmllint", "--version") {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("entities.xml");
            std::fs::write(&path, &entities).unwrap();
            let out = Command::new("xmllint")
                .arg("--noout")
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    #[test]
    fn synth_check_finds_every_attachment_file_of_its_size() {
        // Without the `/` entry, which check refuses as an unsafe name.
        let mut s = small(300);
        s.root_entry = false;
        s.fit_entries(300);
        let (zip, stats) = write(&s);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.zip");
        std::fs::write(&path, &zip).unwrap();
        let report = crate::check::check_path(&path).unwrap();
        let found = |code: &str| report.findings.iter().find(|f| f.code == code);
        let attachments = found("attachments").expect("an attachments finding");
        assert_eq!(attachments.severity, crate::check::Severity::Pass);
        assert!(
            attachments
                .message
                .starts_with(&format!("{} attachment files", stats.attachment_files)),
            "{}",
            attachments.message
        );
        assert!(found("attachment-missing").is_none());
        assert!(found("attachment-size-mismatch").is_none());
        assert!(
            report.kind.starts_with("Confluence site export"),
            "{}",
            report.kind
        );
    }

    #[test]
    fn synth_options_each_give_a_readable_zip() {
        type Change = fn(&mut ConfluenceExportSynth);
        let variants: [(&str, Change); 5] = [
            ("no dirs", |s: &mut ConfluenceExportSynth| {
                s.directory_entries = false
            }),
            ("no root", |s: &mut ConfluenceExportSynth| {
                s.root_entry = false
            }),
            ("no descriptors", |s: &mut ConfluenceExportSynth| {
                s.data_descriptors = false
            }),
            ("stored", |s: &mut ConfluenceExportSynth| s.level = 0),
            ("stored, no descriptors", |s: &mut ConfluenceExportSynth| {
                s.level = 0;
                s.data_descriptors = false;
            }),
        ];
        for (what, change) in variants {
            let mut s = ConfluenceExportSynth {
                attachments: 150,
                ..Default::default()
            };
            change(&mut s);
            let (zip, stats) = write(&s);
            assert_eq!(stats.entries, s.entries(), "{what}");
            assert_eq!(stats.attachment_files, 150, "{what}");
            let listed = central(&zip);
            assert_eq!(listed.len() as u64, stats.entries, "{what}");
            assert_eq!(listed[0].name == "/", s.root_entry, "{what}");
            assert!(
                listed
                    .iter()
                    .all(|e| (e.flags & 8 != 0) == s.data_descriptors),
                "{what}"
            );
            let dirs = listed.iter().filter(|e| e.name.ends_with('/')).count() as u64;
            assert_eq!(dirs, stats.directories, "{what}");
            if !s.directory_entries {
                assert_eq!(dirs, u64::from(s.root_entry), "{what}");
            }
            let (names, entities) = read_all(&zip);
            assert_eq!(names.len() as u64, stats.entries, "{what}");
            assert_eq!(entities.len() as u64, stats.entities_bytes, "{what}");
            assert_unzip_t(&zip);
        }
    }

    #[test]
    fn synth_is_deterministic_for_a_seed_and_content_varies() {
        let s = small(300);
        assert_eq!(write(&s).0, write(&s).0);
        let other = ConfluenceExportSynth {
            seed: 14,
            ..s.clone()
        };
        assert_ne!(write(&other).0, write(&s).0);
        let mut a = Vec::new();
        let mut b = Vec::new();
        s.content(1, &mut a);
        s.content(2, &mut b);
        assert_eq!(a.len(), 100);
        assert_ne!(a, b);
    }

    #[test]
    fn synth_fit_entries_reaches_the_count() {
        for n in [0, 3, 4, 5, 10, 301, 5000] {
            let mut s = ConfluenceExportSynth::default();
            s.fit_entries(n);
            assert!(s.entries() <= n.max(3), "{n}");
            assert!(s.entries() + 4 >= n, "{n}: {}", s.entries());
        }
    }

    #[test]
    fn synth_zip64_end_records_past_65535_entries() {
        // Stored, so that the test stays quick; the end records are the point.
        let mut s = ConfluenceExportSynth {
            level: 0,
            attachment_bytes: 10,
            attachments_per_page: 30,
            ..Default::default()
        };
        s.fit_entries(70_000);
        let (zip, stats) = write(&s);
        assert!(stats.entries > 0xFFFF && stats.entries <= 70_000);
        let listed = central(&zip);
        assert_eq!(listed.len() as u64, stats.entries);
        let archive = zip::ZipArchive::new(Cursor::new(&zip)).unwrap();
        assert_eq!(archive.len() as u64, stats.entries);
        assert_unzip_t(&zip);
    }

    #[test]
    fn synth_refuses_what_it_cannot_write() {
        let mut out = Cursor::new(Vec::new());
        let s = ConfluenceExportSynth {
            level: 10,
            ..Default::default()
        };
        assert!(s.write_zip(&mut out).is_err());
    }
}
