//! Writes a zip front to back: local headers, entry data, the central
//! directory (spilled to disk past a small budget) and the end records, with
//! zip64 records where sizes, offsets or the entry count need them. It keeps
//! no per-entry state: what the read-back check needs is a running digest.
//!
//! Entries whose sizes are known up front (raw copies) get a plain local
//! header. Entries produced as they stream (repaired XML) get a local header
//! with a zip64 extra field that is patched in place when the entry is done,
//! the way Jira's own backups (Apache Commons Compress) are written: the
//! field stays in the local header, and the central directory carries zip64
//! only when the sizes need it. No data descriptors are written.

use crate::spill::Spill;
use crate::zip::format::{
    CENTRAL_SIG, DESCRIPTOR_SIG, FLAG_DESCRIPTOR as FLAG_DATA_DESCRIPTOR,
    LOCAL_FIXED as LOCAL_HEADER_LEN, LOCAL_SIG, MARK32 as U32_LIMIT, VERSION_DEFLATE,
    VERSION_ZIP64, ZIP64_EXTRA, write_end_records,
};
use std::fs::File;
use std::hash::Hasher;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::Path;

/// The metadata of one output entry.
#[derive(Clone, Debug, Default)]
pub(crate) struct EntryMeta {
    pub name: Vec<u8>,
    pub version_made_by: u16,
    pub version_needed: u16,
    pub flags: u16,
    pub method: u16,
    pub time: u16,
    pub date: u16,
    pub internal_attr: u16,
    pub external_attr: u32,
    /// Local extra fields, without zip64.
    pub local_extra: Vec<u8>,
    /// Central extra fields, without zip64.
    pub central_extra: Vec<u8>,
    pub comment: Vec<u8>,
}

/// CRC and sizes of an entry's data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sizes {
    pub crc: u32,
    pub compressed: u64,
    pub uncompressed: u64,
}

impl Sizes {
    fn need_zip64(&self) -> bool {
        self.compressed >= U32_LIMIT || self.uncompressed >= U32_LIMIT
    }
}

/// What the writer recorded about one written entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Written {
    pub header_offset: u64,
    pub sizes: Sizes,
    pub method: u16,
}

/// A digest of every entry written (name, method, CRC, sizes, offset), in
/// order, and their count: what the read-back check compares the file with,
/// in constant memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Digest {
    /// Entries written.
    pub count: u64,
    /// The running hash.
    pub hash: u64,
}

/// Folds one entry into a running digest.
pub(crate) fn digest_entry(h: &mut std::hash::DefaultHasher, name: &[u8], w: &Written) {
    h.write_usize(name.len());
    h.write(name);
    h.write_u16(w.method);
    h.write_u32(w.sizes.crc);
    h.write_u64(w.sizes.compressed);
    h.write_u64(w.sizes.uncompressed);
    h.write_u64(w.header_offset);
}

struct Open {
    meta: EntryMeta,
    header_offset: u64,
    /// Sizes were written up front (copy) or are to be patched (stream).
    known: Option<Sizes>,
    data_written: u64,
    /// The sizes follow the data in a data descriptor.
    described: bool,
}

/// Where a zip is written: appended to, with bytes already written patched
/// in place (a header's CRC and sizes) and, for an entry being redone, cut
/// back.
pub(crate) trait ZipSink: Write {
    /// Overwrites bytes at `at` (before the end of what was written).
    fn patch(&mut self, at: u64, bytes: &[u8]) -> io::Result<()>;
    /// Drops everything from `at` on; writing goes on from there.
    fn truncate(&mut self, at: u64) -> io::Result<()>;
}

/// Any seekable writer: patches seek there and back; it cannot be cut back.
impl<W: Write + Seek> ZipSink for W {
    fn patch(&mut self, at: u64, bytes: &[u8]) -> io::Result<()> {
        let end = self.stream_position()?;
        self.seek(SeekFrom::Start(at))?;
        self.write_all(bytes)?;
        self.seek(SeekFrom::Start(end))?;
        Ok(())
    }

    fn truncate(&mut self, _at: u64) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "zip writer: this output cannot be cut back",
        ))
    }
}

/// Size of [`FileOut`]'s buffer.
const FILE_BUFFER: usize = 1 << 20;

/// A file written through a buffer of its own, so that patches to recent
/// headers (most entries are small) land in the buffer, not in system calls.
pub(crate) struct FileOut {
    file: File,
    buf: Vec<u8>,
    len: usize,
    flushed: u64,
}

impl FileOut {
    /// Writes `file` from its current start.
    pub(crate) fn new(file: File) -> FileOut {
        FileOut {
            file,
            buf: vec![0; FILE_BUFFER],
            len: 0,
            flushed: 0,
        }
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        self.file.write_all(&self.buf[..self.len])?;
        self.flushed += self.len as u64;
        self.len = 0;
        Ok(())
    }

    /// The file, everything written to it.
    pub(crate) fn into_file(mut self) -> io::Result<File> {
        self.flush_buf()?;
        Ok(self.file)
    }
}

impl Write for FileOut {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.len + data.len() > self.buf.len() {
            self.flush_buf()?;
            if data.len() > self.buf.len() {
                self.file.write_all(data)?;
                self.flushed += data.len() as u64;
                return Ok(data.len());
            }
        }
        self.buf[self.len..self.len + data.len()].copy_from_slice(data);
        self.len += data.len();
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_buf()
    }
}

impl ZipSink for FileOut {
    fn patch(&mut self, at: u64, data: &[u8]) -> io::Result<()> {
        let end = at + data.len() as u64;
        if at >= self.flushed {
            let i = usize::try_from(at - self.flushed).map_err(io::Error::other)?;
            let dest = self
                .buf
                .get_mut(i..i + data.len())
                .ok_or_else(|| io::Error::other("zip writer: a patch past the end"))?;
            dest.copy_from_slice(data);
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

    fn truncate(&mut self, at: u64) -> io::Result<()> {
        if at >= self.flushed {
            self.len = usize::try_from(at - self.flushed).map_err(io::Error::other)?;
            return Ok(());
        }
        self.len = 0;
        self.file.set_len(at)?;
        self.file.seek(SeekFrom::Start(at))?;
        self.flushed = at;
        Ok(())
    }
}

/// A zip written front to back, patching streamed entries' local headers.
pub(crate) struct ZipOut<W: ZipSink> {
    w: W,
    pos: u64,
    /// The central directory, spilled beside the output when large.
    central: Spill,
    /// Scratch for one central record.
    record: Vec<u8>,
    digest: std::hash::DefaultHasher,
    count: u64,
    open: Option<Open>,
    force_zip64: bool,
    used_zip64: bool,
}

use crate::zip::format::{put16 as le16, put32 as le32, put64 as le64};
fn clamp32(v: u64, zip64: bool) -> u32 {
    if zip64 || v >= U32_LIMIT {
        u32::MAX
    } else {
        v as u32
    }
}
fn len16(what: &str, v: usize) -> io::Result<u16> {
    u16::try_from(v).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{what} is longer than 65535 bytes"),
        )
    })
}

impl<W: ZipSink> ZipOut<W> {
    /// A writer at the start of `w`. With `force_zip64`, every entry and the
    /// end of the directory use zip64 records even when not needed. A
    /// central directory larger than `central_in_memory` bytes goes to a
    /// temporary file in `scratch` (the output's directory) until the end.
    pub fn new(w: W, force_zip64: bool, scratch: &Path, central_in_memory: usize) -> Self {
        Self {
            w,
            pos: 0,
            central: Spill::new(scratch, central_in_memory),
            record: Vec::new(),
            digest: std::hash::DefaultHasher::new(),
            count: 0,
            open: None,
            force_zip64,
            used_zip64: false,
        }
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.w.write_all(bytes)?;
        self.pos += bytes.len() as u64;
        Ok(())
    }

    fn local_header(&self, meta: &EntryMeta, sizes: Option<Sizes>) -> io::Result<Vec<u8>> {
        // Streamed entries always reserve a zip64 field; copies only when needed.
        let zip64 = match sizes {
            Some(s) => self.force_zip64 || s.need_zip64(),
            None => true,
        };
        let s = sizes.unwrap_or_default();
        let mut extra = Vec::with_capacity(20 + meta.local_extra.len());
        if zip64 {
            le16(&mut extra, ZIP64_EXTRA);
            le16(&mut extra, 16);
            le64(&mut extra, s.uncompressed);
            le64(&mut extra, s.compressed);
        }
        extra.extend_from_slice(&meta.local_extra);
        let mut h = Vec::with_capacity(LOCAL_HEADER_LEN as usize + meta.name.len() + extra.len());
        le32(&mut h, LOCAL_SIG);
        let needed = if zip64 && (sizes.is_none() || s.need_zip64() || self.force_zip64) {
            meta.version_needed.max(VERSION_ZIP64)
        } else {
            meta.version_needed
        };
        le16(&mut h, needed);
        le16(&mut h, meta.flags & !FLAG_DATA_DESCRIPTOR);
        le16(&mut h, meta.method);
        le16(&mut h, meta.time);
        le16(&mut h, meta.date);
        le32(&mut h, s.crc);
        let wide = zip64 && (self.force_zip64 || s.need_zip64());
        le32(&mut h, clamp32(s.compressed, wide));
        le32(&mut h, clamp32(s.uncompressed, wide));
        le16(&mut h, len16("an entry name", meta.name.len())?);
        le16(&mut h, len16("an entry's extra fields", extra.len())?);
        h.extend_from_slice(&meta.name);
        h.extend_from_slice(&extra);
        Ok(h)
    }

    /// Starts an entry whose data (already compressed) and sizes are known.
    pub fn begin_copy(&mut self, mut meta: EntryMeta, sizes: Sizes) -> io::Result<()> {
        self.finish_check()?;
        // The sizes go in the local header: no data descriptor follows.
        meta.flags &= !FLAG_DATA_DESCRIPTOR;
        let header = self.local_header(&meta, Some(sizes))?;
        let header_offset = self.pos;
        self.put(&header)?;
        self.open = Some(Open {
            meta,
            header_offset,
            known: Some(sizes),
            data_written: 0,
            described: false,
        });
        Ok(())
    }

    /// Starts an entry whose CRC and sizes follow its data in a data
    /// descriptor, as Java's `ZipOutputStream` and Confluence write them
    /// (flag bit 3, zeros in the local header). For readers' tests and
    /// generated inputs; repairs write [`ZipOut::begin_stream`] entries.
    pub fn begin_described(&mut self, mut meta: EntryMeta) -> io::Result<()> {
        self.finish_check()?;
        meta.flags |= FLAG_DATA_DESCRIPTOR;
        let mut h = Vec::with_capacity(LOCAL_HEADER_LEN as usize + meta.name.len());
        le32(&mut h, LOCAL_SIG);
        le16(&mut h, meta.version_needed);
        le16(&mut h, meta.flags);
        le16(&mut h, meta.method);
        le16(&mut h, meta.time);
        le16(&mut h, meta.date);
        le32(&mut h, 0);
        le32(&mut h, 0);
        le32(&mut h, 0);
        le16(&mut h, len16("an entry name", meta.name.len())?);
        le16(
            &mut h,
            len16("an entry's extra fields", meta.local_extra.len())?,
        );
        h.extend_from_slice(&meta.name);
        h.extend_from_slice(&meta.local_extra);
        let header_offset = self.pos;
        self.put(&h)?;
        self.open = Some(Open {
            meta,
            header_offset,
            known: None,
            data_written: 0,
            described: true,
        });
        Ok(())
    }

    /// Starts an entry whose sizes are known only at its end.
    pub fn begin_stream(&mut self, mut meta: EntryMeta) -> io::Result<()> {
        self.finish_check()?;
        // The sizes are patched into the local header: no data descriptor.
        meta.flags &= !FLAG_DATA_DESCRIPTOR;
        let header = self.local_header(&meta, None)?;
        let header_offset = self.pos;
        self.put(&header)?;
        self.open = Some(Open {
            meta,
            header_offset,
            known: None,
            data_written: 0,
            described: false,
        });
        Ok(())
    }

    fn finish_check(&self) -> io::Result<()> {
        if self.open.is_some() {
            return Err(io::Error::other("zip writer: an entry is still open"));
        }
        Ok(())
    }

    /// Appends compressed data to the open entry.
    pub fn data(&mut self, bytes: &[u8]) -> io::Result<()> {
        let Some(open) = self.open.as_mut() else {
            return Err(io::Error::other("zip writer: no entry is open"));
        };
        open.data_written += bytes.len() as u64;
        self.put(bytes)
    }

    /// Ends the open entry. For a streamed entry `sizes` are patched into its
    /// local header; for a copy they must match what was declared.
    pub fn end(&mut self, sizes: Sizes) -> io::Result<Written> {
        let Some(open) = self.open.take() else {
            return Err(io::Error::other("zip writer: no entry is open"));
        };
        if open.data_written != sizes.compressed {
            return Err(io::Error::other(format!(
                "zip writer: {} bytes of data written for an entry of {} compressed bytes",
                open.data_written, sizes.compressed
            )));
        }
        match open.known {
            Some(known) if known != sizes => {
                return Err(io::Error::other(
                    "zip writer: a copied entry's sizes changed",
                ));
            }
            Some(_) => {}
            None if open.described => {
                let mut d = Vec::with_capacity(24);
                le32(&mut d, DESCRIPTOR_SIG);
                le32(&mut d, sizes.crc);
                if self.force_zip64 || sizes.need_zip64() {
                    le64(&mut d, sizes.compressed);
                    le64(&mut d, sizes.uncompressed);
                } else {
                    le32(&mut d, sizes.compressed as u32);
                    le32(&mut d, sizes.uncompressed as u32);
                }
                self.put(&d)?;
            }
            None => self.patch(&open, sizes)?,
        }
        self.central_record(&open.meta, open.header_offset, sizes)?;
        let written = Written {
            header_offset: open.header_offset,
            sizes,
            method: open.meta.method,
        };
        digest_entry(&mut self.digest, &open.meta.name, &written);
        self.count += 1;
        Ok(written)
    }

    /// Rewrites the streamed entry's local header with its final CRC and sizes.
    fn patch(&mut self, open: &Open, s: Sizes) -> io::Result<()> {
        let wide = self.force_zip64 || s.need_zip64();
        let needed = if wide {
            open.meta.version_needed.max(VERSION_ZIP64)
        } else {
            open.meta.version_needed
        };
        self.w
            .patch(open.header_offset + 4, &needed.to_le_bytes())?;
        let mut fields = Vec::with_capacity(12);
        le32(&mut fields, s.crc);
        le32(&mut fields, clamp32(s.compressed, wide));
        le32(&mut fields, clamp32(s.uncompressed, wide));
        self.w.patch(open.header_offset + 14, &fields)?;
        let zip64_data = open.header_offset + LOCAL_HEADER_LEN + open.meta.name.len() as u64 + 4;
        let mut z = Vec::with_capacity(16);
        le64(&mut z, s.uncompressed);
        le64(&mut z, s.compressed);
        self.w.patch(zip64_data, &z)
    }

    /// Bytes written so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Appends bytes made elsewhere (a header [`Header`](crate::zip::format::Header)
    /// wrote, an entry's data) outside the entries this writer opens itself.
    pub fn put_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.finish_check()?;
        self.put(bytes)
    }

    /// Overwrites written bytes at `at` (a header's CRC or size).
    pub fn patch_at(&mut self, at: u64, bytes: &[u8]) -> io::Result<()> {
        self.w.patch(at, bytes)
    }

    /// Drops everything from `at` on (an entry being redone).
    pub fn truncate_to(&mut self, at: u64) -> io::Result<()> {
        self.finish_check()?;
        self.w.truncate(at)?;
        self.pos = at;
        Ok(())
    }

    /// Adds the central record `record` (made elsewhere) of an entry named
    /// `name`, written as `written` says.
    pub fn central_raw(&mut self, record: &[u8], name: &[u8], written: &Written) -> io::Result<()> {
        self.central.push(record)?;
        digest_entry(&mut self.digest, name, written);
        self.count += 1;
        Ok(())
    }

    fn central_record(&mut self, meta: &EntryMeta, offset: u64, s: Sizes) -> io::Result<()> {
        let force = self.force_zip64;
        let big_u = force || s.uncompressed >= U32_LIMIT;
        let big_c = force || s.compressed >= U32_LIMIT;
        let big_o = force || offset >= U32_LIMIT;
        let mut z = Vec::new();
        if big_u {
            le64(&mut z, s.uncompressed);
        }
        if big_c {
            le64(&mut z, s.compressed);
        }
        if big_o {
            le64(&mut z, offset);
        }
        let mut extra = Vec::with_capacity(4 + z.len() + meta.central_extra.len());
        if !z.is_empty() {
            le16(&mut extra, ZIP64_EXTRA);
            le16(&mut extra, z.len() as u16);
            extra.extend_from_slice(&z);
            self.used_zip64 = true;
        }
        extra.extend_from_slice(&meta.central_extra);
        let needed = if z.is_empty() {
            meta.version_needed
        } else {
            meta.version_needed.max(VERSION_ZIP64)
        };
        let c = &mut self.record;
        c.clear();
        le32(c, CENTRAL_SIG);
        le16(c, meta.version_made_by);
        le16(c, needed);
        // A described entry keeps its flag: its local header holds zeros.
        le16(c, meta.flags);
        le16(c, meta.method);
        le16(c, meta.time);
        le16(c, meta.date);
        le32(c, s.crc);
        le32(c, clamp32(s.compressed, big_c));
        le32(c, clamp32(s.uncompressed, big_u));
        le16(c, len16("an entry name", meta.name.len())?);
        le16(c, len16("an entry's extra fields", extra.len())?);
        le16(c, len16("an entry comment", meta.comment.len())?);
        le16(c, 0); // disk number start
        le16(c, meta.internal_attr);
        le32(c, meta.external_attr);
        le32(c, clamp32(offset, big_o));
        c.extend_from_slice(&meta.name);
        c.extend_from_slice(&extra);
        c.extend_from_slice(&meta.comment);
        self.central.push(&self.record)
    }

    /// Writes the central directory and end records; returns the writer,
    /// the digest of what was written, and whether zip64 records were used.
    pub fn finish(mut self, comment: &[u8]) -> io::Result<(W, Digest, bool)> {
        self.finish_check()?;
        let cd_offset = self.pos;
        let central = std::mem::take(&mut self.central);
        let cd_size = central.len();
        central.drain(|bytes| self.put(bytes))?;
        let mut tail = Vec::with_capacity(120 + comment.len());
        let zip64 = write_end_records(
            self.count,
            cd_offset,
            cd_size,
            self.force_zip64,
            comment,
            &mut tail,
        );
        self.used_zip64 |= zip64;
        self.put(&tail)?;
        self.w.flush()?;
        let digest = Digest {
            count: self.count,
            hash: self.digest.finish(),
        };
        Ok((self.w, digest, self.used_zip64))
    }
}

/// Version needed to extract a deflated entry written by this tool.
pub(crate) fn deflate_version(original: u16) -> u16 {
    original.max(VERSION_DEFLATE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read};

    fn meta(name: &str, method: u16) -> EntryMeta {
        EntryMeta {
            name: name.as_bytes().to_vec(),
            version_made_by: 0x031E,
            version_needed: 20,
            flags: 0,
            method,
            time: 0x6000,
            date: 0x5A21,
            external_attr: 0o100644 << 16,
            ..Default::default()
        }
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// A two-entry zip; `in_memory` bounds the central directory kept in
    /// memory (0: it is spilled to a temporary file from the first record).
    fn build(force: bool, in_memory: usize) -> Vec<u8> {
        let mut z = ZipOut::new(
            Cursor::new(Vec::new()),
            force,
            &std::env::temp_dir(),
            in_memory,
        );
        let stored = b"stored bytes";
        z.begin_copy(
            meta("a/stored.txt", 0),
            Sizes {
                crc: crc32fast::hash(stored),
                compressed: stored.len() as u64,
                uncompressed: stored.len() as u64,
            },
        )
        .unwrap();
        z.data(stored).unwrap();
        z.end(Sizes {
            crc: crc32fast::hash(stored),
            compressed: stored.len() as u64,
            uncompressed: stored.len() as u64,
        })
        .unwrap();
        let text = "streamed <xml/> ".repeat(1000);
        let packed = deflate(text.as_bytes());
        z.begin_stream(meta("entities.xml", 8)).unwrap();
        z.data(&packed[..10]).unwrap();
        z.data(&packed[10..]).unwrap();
        z.end(Sizes {
            crc: crc32fast::hash(text.as_bytes()),
            compressed: packed.len() as u64,
            uncompressed: text.len() as u64,
        })
        .unwrap();
        let (w, written, _) = z.finish(b"archive comment").unwrap();
        assert_eq!(written.count, 2);
        w.into_inner()
    }

    #[test]
    fn written_zips_read_back_with_and_without_zip64_and_spilling() {
        for (force, in_memory) in [(false, 1 << 20), (true, 1 << 20), (false, 0), (true, 60)] {
            let bytes = build(force, in_memory);
            assert_eq!(bytes, build(force, 1 << 20), "spilling changes nothing");
            let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
            assert_eq!(archive.len(), 2);
            assert_eq!(archive.comment(), b"archive comment");
            let mut s = String::new();
            archive
                .by_name("a/stored.txt")
                .unwrap()
                .read_to_string(&mut s)
                .unwrap();
            assert_eq!(s, "stored bytes");
            let mut s = String::new();
            let mut f = archive.by_name("entities.xml").unwrap();
            f.read_to_string(&mut s).unwrap();
            assert_eq!(s, "streamed <xml/> ".repeat(1000));
            assert_eq!(f.last_modified().unwrap().timepart(), 0x6000);
            drop(f);
            archive.validate_header_consistency().unwrap();
        }
    }

    #[test]
    fn streamed_local_header_is_patched_like_commons_compress() {
        let bytes = build(false, 1 << 20);
        // Second entry's local header: after the first (30 + 12 name + 12 data).
        let at = 30 + 12 + 12;
        assert_eq!(&bytes[at..at + 4], &LOCAL_SIG.to_le_bytes());
        let text_len = 16_000u32;
        // Version needed back to 20, real 32-bit sizes, and the zip64 field holding them too.
        assert_eq!(u16::from_le_bytes([bytes[at + 4], bytes[at + 5]]), 20);
        let usize32 = u32::from_le_bytes(bytes[at + 22..at + 26].try_into().unwrap());
        assert_eq!(usize32, text_len);
        let extra_at = at + 30 + "entities.xml".len();
        assert_eq!(&bytes[extra_at..extra_at + 4], &[1, 0, 16, 0]);
        let z_usize = u64::from_le_bytes(bytes[extra_at + 4..extra_at + 12].try_into().unwrap());
        assert_eq!(z_usize, u64::from(text_len));
    }

    #[test]
    fn a_copy_whose_data_differs_from_its_declared_size_fails() {
        let mut z = ZipOut::new(
            Cursor::new(Vec::new()),
            false,
            &std::env::temp_dir(),
            1 << 20,
        );
        let s = Sizes {
            crc: 0,
            compressed: 5,
            uncompressed: 5,
        };
        z.begin_copy(meta("x", 0), s).unwrap();
        z.data(b"1234").unwrap();
        assert!(z.end(s).is_err());
    }
}
