//! Writing one zip: stream each source file (or raw-copy each source zip
//! entry) through a fixed buffer, patch the CRC into the local header
//! afterwards (no data descriptors), keep the central directory in memory up
//! to a limit and in a temporary file beyond it, then write the end records.
//! Memory per writer is a few MiB whatever the zip's size or entry count.

use crate::spill::{self, Spill};
use crate::split::error::SplitError;
use crate::split::options::Compress;
use crate::split::record::{Kind, Record};
use crate::split::sniff::worth_deflating;
use crate::split::walk::{Tree, mtime};
use crate::zip::format::{DEFLATED, Header, STORED, dos_datetime, external_attributes, write_end};
use crate::zip::local::read_local;
use crate::zip::{ReadError, ZipInput};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Size of the output buffer; file data is read straight into it.
const BUF: usize = 1 << 20;
/// Bytes sniffed to choose stored or deflated.
const SNIFF: usize = 512;

/// Where entries' bytes come from.
pub(crate) enum Input<'a> {
    /// Files of a directory tree.
    Tree(&'a Tree),
    /// Entries of a source zip, already open.
    Zip {
        /// The zip's path.
        path: &'a Path,
        /// An open handle of this writer's own, read forward through a buffer.
        file: ZipInput,
    },
}

/// One zip being written.
pub(crate) struct ZipOut {
    file: File,
    path: PathBuf,
    buf: Vec<u8>,
    len: usize,
    flushed: u64,
    central: Spill,
    central_len: u64,
    entries: u64,
    scratch: Vec<u8>,
    read_buf: Vec<u8>,
}

impl Write for ZipOut {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.put(data)?;
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn changed(path: &Path, what: impl Into<String>) -> SplitError {
    SplitError::Changed {
        path: path.to_path_buf(),
        what: what.into(),
    }
}

impl ZipOut {
    /// Creates (truncating) the zip at `path`; `scratch` holds any spilled central directory.
    pub(crate) fn create(path: &Path, scratch: &Path) -> Result<ZipOut, SplitError> {
        let file = File::create(path).map_err(|e| SplitError::io("creating", path, e))?;
        Ok(ZipOut {
            file,
            path: path.to_path_buf(),
            buf: vec![0; BUF],
            len: 0,
            flushed: 0,
            central: Spill::new(scratch, spill::IN_MEMORY),
            central_len: 0,
            entries: 0,
            scratch: Vec::with_capacity(512),
            read_buf: Vec::new(),
        })
    }

    fn out_err(&self, e: io::Error) -> SplitError {
        SplitError::io("writing", &self.path, e)
    }

    /// Bytes written so far (buffered included).
    pub(crate) fn pos(&self) -> u64 {
        self.flushed + self.len as u64
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        self.file.write_all(&self.buf[..self.len])?;
        self.flushed += self.len as u64;
        self.len = 0;
        Ok(())
    }

    fn put(&mut self, data: &[u8]) -> io::Result<()> {
        if self.len + data.len() > self.buf.len() {
            self.flush_buf()?;
            if data.len() > self.buf.len() {
                self.file.write_all(data)?;
                self.flushed += data.len() as u64;
                return Ok(());
            }
        }
        self.buf[self.len..self.len + data.len()].copy_from_slice(data);
        self.len += data.len();
        Ok(())
    }

    /// Overwrites already-written bytes at `at` (a header field).
    fn patch(&mut self, at: u64, data: &[u8]) -> io::Result<()> {
        let end = at + data.len() as u64;
        if at >= self.flushed {
            let i = (at - self.flushed) as usize;
            self.buf[i..i + data.len()].copy_from_slice(data);
            return Ok(());
        }
        if end > self.flushed {
            self.flush_buf()?;
        }
        self.file.seek(SeekFrom::Start(at))?;
        self.file.write_all(data)?;
        self.file.seek(SeekFrom::Start(self.flushed))?;
        Ok(())
    }

    /// Drops everything from `at` on (an entry being redone).
    fn truncate(&mut self, at: u64) -> io::Result<()> {
        if at >= self.flushed {
            self.len = (at - self.flushed) as usize;
            return Ok(());
        }
        self.len = 0;
        self.file.set_len(at)?;
        self.file.seek(SeekFrom::Start(at))?;
        self.flushed = at;
        Ok(())
    }

    fn header_local(&mut self, h: &Header<'_>) -> io::Result<()> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        h.write_local(&mut scratch);
        let r = self.put(&scratch);
        self.scratch = scratch;
        r
    }

    fn header_central(&mut self, h: &Header<'_>, at: u64) -> io::Result<()> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        h.write_central(at, &mut scratch);
        self.central_len += scratch.len() as u64;
        let r = self.central.push(&scratch);
        self.scratch = scratch;
        self.entries += 1;
        r
    }

    /// Adds one entry; `progress` is told about data bytes as they go.
    pub(crate) fn add(
        &mut self,
        rec: &Record,
        input: &mut Input<'_>,
        compress: Compress,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), SplitError> {
        match (rec.kind, input) {
            (Kind::Dir, _) => self.add_dir(rec),
            (Kind::File, Input::Tree(tree)) => {
                let path = match (&rec.source, tree.path_of(&rec.name)) {
                    (Some(s), _) => PathBuf::from(s),
                    (None, Some(p)) => p,
                    (None, None) => return Err(changed(Path::new(&rec.name), "not in SOURCE")),
                };
                self.add_file(rec, &path, compress, progress)
            }
            (Kind::ZipEntry, Input::Zip { path, file }) => self.add_raw(rec, path, file, progress),
            _ => Err(changed(
                Path::new(&rec.name),
                "entry kind does not match the source",
            )),
        }
    }

    fn add_dir(&mut self, rec: &Record) -> Result<(), SplitError> {
        let h = Header {
            name: &rec.name,
            method: STORED,
            crc: 0,
            csize: 0,
            size: 0,
            dos: dos_datetime(rec.mtime),
            mtime: Some(rec.mtime),
            external: external_attributes(rec.mode, true),
            zip64_sizes: false,
        };
        let at = self.pos();
        self.header_local(&h).map_err(|e| self.out_err(e))?;
        self.header_central(&h, at).map_err(|e| self.out_err(e))
    }

    fn add_file(
        &mut self,
        rec: &Record,
        path: &Path,
        compress: Compress,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), SplitError> {
        let in_err = |e| SplitError::io("reading", path, e);
        let mut src = File::open(path).map_err(in_err)?;
        let meta = src.metadata().map_err(in_err)?;
        if !meta.is_file() {
            return Err(changed(path, "no longer a regular file"));
        }
        if meta.len() != rec.size {
            return Err(changed(
                path,
                format!("size was {} bytes, now {}", rec.size, meta.len()),
            ));
        }
        if mtime(&meta) != rec.mtime {
            return Err(changed(path, "modified after the plan was made"));
        }
        let layout = rec.layout();
        let mut h = Header {
            name: &rec.name,
            method: STORED,
            crc: 0,
            csize: rec.size,
            size: rec.size,
            dos: dos_datetime(rec.mtime),
            mtime: Some(rec.mtime),
            external: external_attributes(rec.mode, false),
            zip64_sizes: layout.zip64_sizes,
        };
        let at = self.pos();
        let mut head = [0u8; SNIFF];
        let mut head_len = 0;
        if compress == Compress::Auto && rec.size > 0 {
            while head_len < SNIFF {
                let n = src.read(&mut head[head_len..]).map_err(in_err)?;
                if n == 0 {
                    break;
                }
                head_len += n;
            }
            if worth_deflating(&rec.name, &head[..head_len]) {
                h.method = DEFLATED;
                if let Some((crc, csize)) =
                    self.deflate(&h, &head[..head_len], &mut src, path, rec.size)?
                {
                    h.crc = crc;
                    h.csize = csize;
                    self.patch(at + Header::CRC_AT, &crc.to_le_bytes())
                        .map_err(|e| self.out_err(e))?;
                    let csize_at = at + h.csize_at();
                    let r = if h.zip64_sizes {
                        self.patch(csize_at, &csize.to_le_bytes())
                    } else {
                        self.patch(csize_at, &(csize as u32).to_le_bytes())
                    };
                    r.map_err(|e| self.out_err(e))?;
                    progress(rec.size);
                    return self.header_central(&h, at).map_err(|e| self.out_err(e));
                }
                // Deflate did not make it smaller: store it instead.
                self.truncate(at).map_err(|e| self.out_err(e))?;
                src.seek(SeekFrom::Start(0)).map_err(in_err)?;
                head_len = 0;
                h.method = STORED;
                h.csize = rec.size;
            }
        }
        self.header_local(&h).map_err(|e| self.out_err(e))?;
        let mut crc = crc32fast::Hasher::new();
        let mut total = head_len as u64;
        crc.update(&head[..head_len]);
        self.put(&head[..head_len]).map_err(|e| self.out_err(e))?;
        loop {
            if self.buf.len() - self.len < (64 << 10) {
                self.flush_buf().map_err(|e| self.out_err(e))?;
            }
            let spare = &mut self.buf[self.len..];
            let n = match src.read(spare) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(in_err(e)),
            };
            crc.update(&spare[..n]);
            self.len += n;
            total += n as u64;
            if total > rec.size {
                return Err(changed(path, "it grew while being read"));
            }
            progress(n as u64);
        }
        if total != rec.size {
            return Err(changed(path, "it shrank while being read"));
        }
        h.crc = crc.finalize();
        self.patch(at + Header::CRC_AT, &h.crc.to_le_bytes())
            .map_err(|e| self.out_err(e))?;
        self.header_central(&h, at).map_err(|e| self.out_err(e))
    }

    /// Deflates an entry after its local header; `None` when the result is
    /// not smaller than the data (the caller then stores it).
    fn deflate(
        &mut self,
        h: &Header<'_>,
        head: &[u8],
        src: &mut File,
        path: &Path,
        size: u64,
    ) -> Result<Option<(u32, u64)>, SplitError> {
        let in_err = |e| SplitError::io("reading", path, e);
        self.header_local(h).map_err(|e| self.out_err(e))?;
        let data_at = self.pos();
        let mut crc = crc32fast::Hasher::new();
        crc.update(head);
        let mut total = head.len() as u64;
        let mut read_buf = std::mem::take(&mut self.read_buf);
        read_buf.resize(256 << 10, 0);
        // Errors say which side failed: true for the input.
        let result = (|| -> Result<(), (bool, io::Error)> {
            let out = |e| (false, e);
            let mut enc =
                flate2::write::DeflateEncoder::new(&mut *self, flate2::Compression::new(6));
            enc.write_all(head).map_err(out)?;
            loop {
                let n = match src.read(&mut read_buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err((true, e)),
                };
                crc.update(&read_buf[..n]);
                total += n as u64;
                if total > size {
                    break;
                }
                enc.write_all(&read_buf[..n]).map_err(out)?;
            }
            enc.finish().map_err(out)?;
            Ok(())
        })();
        self.read_buf = read_buf;
        match result {
            Ok(()) => {}
            Err((true, e)) => return Err(in_err(e)),
            Err((false, e)) => return Err(self.out_err(e)),
        }
        if total > size {
            return Err(changed(path, "it grew while being read"));
        }
        if total != size {
            return Err(changed(path, "it shrank while being read"));
        }
        let csize = self.pos() - data_at;
        Ok((csize < size).then(|| (crc.finalize(), csize)))
    }

    fn add_raw(
        &mut self,
        rec: &Record,
        path: &Path,
        src: &mut ZipInput,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), SplitError> {
        let in_err = |e| SplitError::io("reading", path, e);
        let bad = |reason: String| SplitError::BadZip {
            path: path.to_path_buf(),
            reason,
        };
        src.goto(rec.offset).map_err(in_err)?;
        read_local(src, rec.offset).map_err(|e| match e {
            ReadError::Io(e) => in_err(e),
            other => bad(format!("entry {:?}: {other}", rec.name)),
        })?;
        let h = Header {
            name: &rec.name,
            method: rec.method,
            crc: rec.crc,
            csize: rec.csize,
            size: rec.size,
            dos: rec.dos,
            mtime: None,
            external: rec.mode,
            zip64_sizes: rec.layout().zip64_sizes,
        };
        let at = self.pos();
        self.header_local(&h).map_err(|e| self.out_err(e))?;
        let mut crc = crc32fast::Hasher::new();
        let mut left = rec.csize;
        while left > 0 {
            if self.buf.len() - self.len < (64 << 10) {
                self.flush_buf().map_err(|e| self.out_err(e))?;
            }
            let room = (self.buf.len() - self.len).min(usize::try_from(left).unwrap_or(usize::MAX));
            let spare = &mut self.buf[self.len..self.len + room];
            let n = match src.read(spare) {
                Ok(0) => {
                    return Err(bad(format!(
                        "entry {:?}: the file ends inside its data (truncated)",
                        rec.name
                    )));
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(in_err(e)),
            };
            if rec.method == STORED {
                crc.update(&spare[..n]);
            }
            self.len += n;
            left -= n as u64;
            progress(n as u64);
        }
        if rec.method == STORED && crc.finalize() != rec.crc {
            return Err(bad(format!(
                "entry {:?}: its data does not match its CRC (the source zip is damaged)",
                rec.name
            )));
        }
        self.header_central(&h, at).map_err(|e| self.out_err(e))
    }

    /// Writes the central directory and end records; returns the zip's size.
    /// The caller flushes the file to disk if it wants to.
    pub(crate) fn finish(mut self) -> Result<u64, SplitError> {
        let cd_offset = self.pos();
        let spill = std::mem::take(&mut self.central);
        let mut copy = |bytes: &[u8]| self.put(bytes);
        spill.drain(&mut copy).map_err(|e| self.out_err(e))?;
        let mut end = Vec::with_capacity(128);
        write_end(self.entries, cd_offset, self.central_len, &mut end);
        self.put(&end).map_err(|e| self.out_err(e))?;
        self.flush_buf().map_err(|e| self.out_err(e))?;
        Ok(self.pos())
    }
}
