//! The entry list: one record per zip entry, in the stable order, kept in a
//! temporary file rather than in memory so that a tree of any size is
//! planned and written in bounded memory. Writers read their zip's slice of
//! it sequentially.

use crate::cancel::Cancel;
use crate::error::SplitError;
use crate::media::order::place;
use crate::zip::format::{Layout, sizes_need_zip64};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Where an entry's bytes come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A regular file in the source tree.
    File,
    /// An empty directory in the source tree.
    Dir,
    /// An entry of a source zip, copied raw.
    ZipEntry,
}

/// One entry to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    /// Where its bytes come from.
    pub kind: Kind,
    /// The stored name (directories end in `/`).
    pub name: String,
    /// Uncompressed size.
    pub size: u64,
    /// Modification time, seconds since the epoch (tree sources).
    pub mtime: i64,
    /// Unix mode (tree sources) or external attributes (zip sources).
    pub mode: u32,
    /// The file to read, when it is not the path the name implies (a symlink's target).
    pub source: Option<String>,
    /// Compressed size (zip sources; equal to `size` otherwise).
    pub csize: u64,
    /// CRC-32 (zip sources).
    pub crc: u32,
    /// Compression method (zip sources).
    pub method: u16,
    /// MS-DOS time and date (zip sources).
    pub dos: (u16, u16),
    /// Offset of the local header in the source zip (zip sources).
    pub offset: u64,
}

impl Record {
    /// A record for a file or empty directory of a tree source.
    pub(crate) fn tree(kind: Kind, name: String, size: u64, mtime: i64, mode: u32) -> Record {
        Record {
            kind,
            name,
            size,
            mtime,
            mode,
            source: None,
            csize: size,
            crc: 0,
            method: 0,
            dos: (0, 0),
            offset: 0,
        }
    }

    /// Bytes of data this entry occupies in a zip when stored (or raw-copied).
    pub(crate) fn data_len(&self) -> u64 {
        match self.kind {
            Kind::ZipEntry => self.csize,
            Kind::File => self.size,
            Kind::Dir => 0,
        }
    }

    /// The header layout this entry gets, which fixes its exact size.
    pub(crate) fn layout(&self) -> Layout {
        Layout {
            name_len: self.name.len() as u64,
            timestamp: self.kind != Kind::ZipEntry,
            zip64_sizes: sizes_need_zip64(self.size, self.data_len()),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(match self.kind {
            Kind::File => 0,
            Kind::Dir => 1,
            Kind::ZipEntry => 2,
        });
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&self.mtime.to_le_bytes());
        out.extend_from_slice(&self.mode.to_le_bytes());
        out.extend_from_slice(&self.csize.to_le_bytes());
        out.extend_from_slice(&self.crc.to_le_bytes());
        out.extend_from_slice(&self.method.to_le_bytes());
        out.extend_from_slice(&self.dos.0.to_le_bytes());
        out.extend_from_slice(&self.dos.1.to_le_bytes());
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&(self.name.len() as u32).to_le_bytes());
        out.extend_from_slice(self.name.as_bytes());
        let src = self.source.as_deref().unwrap_or("");
        out.extend_from_slice(&(src.len() as u32).to_le_bytes());
        out.extend_from_slice(src.as_bytes());
    }

    fn decode(r: &mut impl Read) -> io::Result<Option<Record>> {
        let mut fixed = [0u8; FIXED];
        match r.read_exact(&mut fixed[..1]) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        r.read_exact(&mut fixed[1..])?;
        let kind = match fixed[0] {
            0 => Kind::File,
            1 => Kind::Dir,
            _ => Kind::ZipEntry,
        };
        let f = &fixed;
        let u64_at = |i: usize| u64::from_le_bytes(f[i..i + 8].try_into().unwrap_or([0; 8]));
        let u32_at = |i: usize| u32::from_le_bytes(f[i..i + 4].try_into().unwrap_or([0; 4]));
        let u16_at = |i: usize| u16::from_le_bytes([f[i], f[i + 1]]);
        let name = read_string(r, u32_at(47))?;
        let mut len = [0u8; 4];
        r.read_exact(&mut len)?;
        let source = read_string(r, u32::from_le_bytes(len))?;
        Ok(Some(Record {
            kind,
            name,
            size: u64_at(1),
            mtime: u64_at(9) as i64,
            mode: u32_at(17),
            csize: u64_at(21),
            crc: u32_at(29),
            method: u16_at(33),
            dos: (u16_at(35), u16_at(37)),
            offset: u64_at(39),
            source: (!source.is_empty()).then_some(source),
        }))
    }
}

/// Bytes of a record before its name: kind, size, mtime, mode, csize, crc,
/// method, dos time, dos date, offset, name length.
const FIXED: usize = 1 + 8 + 8 + 4 + 8 + 4 + 2 + 2 + 2 + 8 + 4;

fn read_string(r: &mut impl Read, len: u32) -> io::Result<String> {
    let mut buf = vec![0u8; len as usize];
    r.read_exact(&mut buf)?;
    String::from_utf8(buf).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "entry list"))
}

/// Totals of one project (or of the avatars and logos before the projects),
/// gathered while the list is written, so the planner knows a project's size
/// before it places the project's first issue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ProjectTotal {
    /// The project key (`None`: avatars, logos and loose files).
    pub key: Option<String>,
    /// Entries.
    pub entries: u64,
    /// Local headers plus data.
    pub local: u64,
    /// Central records, assuming the largest layout (zip64 offsets).
    pub central_max: u64,
    /// Uncompressed bytes.
    pub bytes: u64,
}

/// Writes the entry list and gathers per-project totals.
pub(crate) struct ListWriter {
    out: BufWriter<File>,
    path: PathBuf,
    buf: Vec<u8>,
    written: u64,
    count: u64,
    projects: Vec<ProjectTotal>,
    last: Option<Record>,
    /// The run's token, looked at before each record.
    cancel: Cancel,
}

impl ListWriter {
    /// A writer over a new temporary file, stopping once `cancel` is set.
    pub(crate) fn new(file: File, path: &Path, cancel: &Cancel) -> ListWriter {
        ListWriter {
            out: BufWriter::with_capacity(256 << 10, file),
            path: path.to_path_buf(),
            buf: Vec::with_capacity(256),
            written: 0,
            count: 0,
            projects: Vec::new(),
            last: None,
            cancel: cancel.clone(),
        }
    }

    /// The token this writer stops on.
    pub(crate) fn cancel(&self) -> &Cancel {
        &self.cancel
    }

    /// Appends a record; records must come in the stable order.
    pub(crate) fn push(&mut self, rec: &Record) -> Result<(), SplitError> {
        self.cancel.check()?;
        if rec.name.len() > usize::from(u16::MAX) {
            return Err(SplitError::Invalid {
                path: PathBuf::from(&rec.name),
                reason: "the name is longer than the 65,535 bytes a zip entry name can hold".into(),
            });
        }
        self.buf.clear();
        rec.encode(&mut self.buf);
        self.out
            .write_all(&self.buf)
            .map_err(|e| SplitError::io("writing the entry list", &self.path, e))?;
        self.written += self.buf.len() as u64;
        self.count += 1;
        let key = place(&rec.name).and_then(|p| p.project).map(str::to_owned);
        if self.projects.last().is_none_or(|p| p.key != key) {
            self.projects.push(ProjectTotal {
                key,
                ..Default::default()
            });
        }
        if let Some(total) = self.projects.last_mut() {
            let layout = rec.layout();
            total.entries += 1;
            total.local += layout.local_len() + rec.data_len();
            total.central_max += layout.central_len(u64::MAX);
            total.bytes += rec.size;
        }
        self.last = Some(rec.clone());
        Ok(())
    }

    /// The last record pushed.
    pub(crate) fn last(&self) -> Option<&Record> {
        self.last.as_ref()
    }

    /// Records written so far.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// Flushes and returns the project totals in list order.
    pub(crate) fn finish(mut self) -> Result<Vec<ProjectTotal>, SplitError> {
        self.out
            .flush()
            .map_err(|e| SplitError::io("writing the entry list", &self.path, e))?;
        Ok(self.projects)
    }
}

/// Reads records from a position in the entry list.
pub(crate) struct ListReader {
    input: BufReader<File>,
    path: PathBuf,
    pos: u64,
}

impl ListReader {
    /// Opens the list at `path` and seeks to byte `pos`.
    pub(crate) fn open(path: &Path, pos: u64) -> Result<ListReader, SplitError> {
        let err = |e| SplitError::io("reading the entry list", path, e);
        let mut file = File::open(path).map_err(err)?;
        file.seek(SeekFrom::Start(pos)).map_err(err)?;
        Ok(ListReader {
            input: BufReader::with_capacity(256 << 10, file),
            path: path.to_path_buf(),
            pos,
        })
    }

    /// Byte position of the next record.
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    /// The next record, or `None` at the end.
    pub(crate) fn next_record(&mut self) -> Result<Option<Record>, SplitError> {
        let mut counter = Counted {
            inner: &mut self.input,
            n: 0,
        };
        let rec = Record::decode(&mut counter)
            .map_err(|e| SplitError::io("reading the entry list", &self.path, e))?;
        self.pos += counter.n;
        Ok(rec)
    }
}

struct Counted<'a, R> {
    inner: &'a mut R,
    n: u64,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_the_list() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list");
        let mut w = ListWriter::new(File::create(&path).unwrap(), &path, &Cancel::new());
        let mut a = Record::tree(
            Kind::File,
            "data/attachments/P/10000/P-1/1".into(),
            5,
            -3,
            0o644,
        );
        a.source = Some("/x/target".into());
        let b = Record {
            kind: Kind::ZipEntry,
            name: "data/attachments/Q/Q-1/ü".into(),
            size: 1 << 33,
            mtime: 0,
            mode: 7,
            source: None,
            csize: 99,
            crc: 0xDEAD_BEEF,
            method: 8,
            dos: (1, 2),
            offset: 1 << 40,
        };
        w.push(&a).unwrap();
        w.push(&b).unwrap();
        let totals = w.finish().unwrap();
        assert_eq!(totals.len(), 2);
        assert_eq!(totals[0].key.as_deref(), Some("P"));
        assert_eq!(totals[1].bytes, 1 << 33);
        let mut r = ListReader::open(&path, 0).unwrap();
        assert_eq!(r.next_record().unwrap(), Some(a));
        let second = r.pos();
        assert_eq!(r.next_record().unwrap(), Some(b.clone()));
        assert_eq!(r.next_record().unwrap(), None);
        let mut r = ListReader::open(&path, second).unwrap();
        assert_eq!(r.next_record().unwrap(), Some(b));
    }
}
