//! Writing one media zip through the crate's zip writer: stream each source
//! file (or raw-copy each source zip entry) through a fixed buffer, patch
//! the CRC into the local header afterwards (no data descriptors), and let
//! the writer keep the central directory (spilled past 4 MiB) and write the
//! end records. Memory per writer is a few MiB whatever the zip's size or
//! entry count.

use crate::chunked::read_some;
use crate::error::SplitError;
use crate::media::record::{Kind, Record};
use crate::media::walk::{Tree, mtime};
use crate::spill;
use crate::split::options::Compress;
use crate::split::sniff::worth_deflating;
use crate::zip::format::{DEFLATED, Header, STORED, dos_datetime, external_attributes};
use crate::zip::local::read_local;
use crate::zip::writer::{FileOut, Sizes, Written, ZipOut as Writer};
use crate::zip::{ReadError, ZipInput};
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
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

/// One zip being written, through the crate's one zip writer (buffered
/// output with in-place patches, the central directory spilled past 4 MiB,
/// the end records).
pub(crate) struct ZipOut {
    z: Writer<FileOut>,
    path: PathBuf,
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
            z: Writer::new(FileOut::new(file), false, scratch, spill::IN_MEMORY),
            path: path.to_path_buf(),
            scratch: Vec::with_capacity(512),
            read_buf: vec![0; BUF],
        })
    }

    fn out_err(&self, e: io::Error) -> SplitError {
        SplitError::io("writing", &self.path, e)
    }

    /// Bytes written so far (buffered included).
    pub(crate) fn pos(&self) -> u64 {
        self.z.position()
    }

    fn put(&mut self, data: &[u8]) -> io::Result<()> {
        self.z.put_raw(data)
    }

    /// Overwrites already-written bytes at `at` (a header field).
    fn patch(&mut self, at: u64, data: &[u8]) -> io::Result<()> {
        self.z.patch_at(at, data)
    }

    /// Drops everything from `at` on (an entry being redone).
    fn truncate(&mut self, at: u64) -> io::Result<()> {
        self.z.truncate_to(at)
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
        let written = Written {
            header_offset: at,
            sizes: Sizes {
                crc: h.crc,
                compressed: h.csize,
                uncompressed: h.size,
            },
            method: h.method,
        };
        let r = self.z.central_raw(&scratch, h.name.as_bytes(), &written);
        self.scratch = scratch;
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
                let n = read_some(&mut src, &mut head[head_len..]).map_err(in_err)?;
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
        let mut buf = std::mem::take(&mut self.read_buf);
        let copied = loop {
            let n = match read_some(&mut src, &mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) => break Err(in_err(e)),
            };
            crc.update(&buf[..n]);
            if let Err(e) = self.put(&buf[..n]) {
                break Err(self.out_err(e));
            }
            total += n as u64;
            if total > rec.size {
                break Err(changed(path, "it grew while being read"));
            }
            progress(n as u64);
        };
        self.read_buf = buf;
        copied?;
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
                let n = match read_some(src, &mut read_buf) {
                    Ok(0) => break,
                    Ok(n) => n,
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
        let mut buf = std::mem::take(&mut self.read_buf);
        let copied = (|| {
            while left > 0 {
                let room = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                let n = match read_some(src, &mut buf[..room]) {
                    Ok(0) => {
                        return Err(bad(format!(
                            "entry {:?}: the file ends inside its data (truncated)",
                            rec.name
                        )));
                    }
                    Ok(n) => n,
                    Err(e) => return Err(in_err(e)),
                };
                if rec.method == STORED {
                    crc.update(&buf[..n]);
                }
                self.put(&buf[..n]).map_err(|e| self.out_err(e))?;
                left -= n as u64;
                progress(n as u64);
            }
            Ok(())
        })();
        self.read_buf = buf;
        copied?;
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
    pub(crate) fn finish(self) -> Result<u64, SplitError> {
        let path = self.path;
        let out_err = |e| SplitError::io("writing", &path, e);
        let (w, _, _) = self.z.finish(&[]).map_err(out_err)?;
        let file = w.into_file().map_err(out_err)?;
        Ok(file.metadata().map_err(out_err)?.len())
    }
}
