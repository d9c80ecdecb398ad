//! Verifying a zip by reading it back: the end records, every central
//! record against its local header, every entry's data against its CRC
//! (inflating deflated entries), and — for a zip of a plan — every entry
//! against the plan (name, size, time, and for raw copies the source's CRC
//! and compressed size), contiguity, and the exact file size. Streams the
//! zip; memory does not grow with its size or entry count.

use crate::chunked::{fill_some, read_some};
use crate::error::SplitError;
use crate::media::record::{Kind, ListReader};
use crate::split::options::Compress;
use crate::zip::format::{DEFLATED, FLAG_DESCRIPTOR, STORED, clamp_unix32};
use crate::zip::local::read_local;
use crate::zip::{CentralReader, ReadError, find_end as read_end};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// What reading a zip back found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ZipCheck {
    /// Size of the file in bytes.
    pub size: u64,
    /// Number of entries.
    pub entries: u64,
    /// Uncompressed bytes of all entries.
    pub bytes: u64,
    /// Entries whose data was read and matched its CRC-32 (all of them for
    /// stored and deflated entries).
    pub crc_checked: u64,
}

impl ZipCheck {
    /// Whether every entry's CRC was checked.
    pub fn all_crc_checked(&self) -> bool {
        self.crc_checked == self.entries
    }
}

/// What a zip of a plan must hold.
pub(crate) struct Expect<'a> {
    /// The plan's records, positioned at the zip's first one.
    pub records: &'a mut ListReader,
    /// Number of entries.
    pub entries: u64,
    /// Exact size on disk, when known (storing).
    pub size: Option<u64>,
    /// Largest size allowed.
    pub max: u64,
    /// Compression asked for (which methods are allowed).
    pub compress: Compress,
}

fn fail(s: impl Into<String>) -> ReadError {
    ReadError::Format(s.into())
}

/// Reads the zip at `path` back and checks it, optionally against a plan.
/// `progress` is told about uncompressed bytes checked.
pub(crate) fn check(
    path: &Path,
    mut expect: Option<Expect<'_>>,
    progress: &mut dyn FnMut(u64),
) -> Result<ZipCheck, ReadError> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    if let Some(x) = &expect {
        if let Some(size) = x.size
            && len != size
        {
            return Err(fail(format!(
                "it is {len} bytes, the plan says {size} bytes"
            )));
        }
        if len > x.max {
            return Err(fail(format!(
                "it is {len} bytes, over the {} byte limit",
                x.max
            )));
        }
    }
    let end = read_end(&mut file, len)?;
    if let Some(x) = &expect
        && end.entries != x.entries
    {
        return Err(fail(format!(
            "it has {} entries, the plan says {}",
            end.entries, x.entries
        )));
    }
    let mut central = CentralReader::new(File::open(path)?, &end)?;
    let mut data = BufReader::with_capacity(1 << 20, file);
    data.seek(SeekFrom::Start(0))?;
    let mut pos = 0u64;
    let mut out = ZipCheck {
        size: len,
        ..ZipCheck::default()
    };
    let mut inflated = vec![0u8; 256 << 10];
    while let Some(e) = central.next_entry()? {
        let shown = String::from_utf8_lossy(&e.name).into_owned();
        if let Some(x) = &mut expect {
            let rec = x
                .records
                .next_record()
                .map_err(|e| fail(e.to_string()))?
                .ok_or_else(|| fail("it has more entries than the plan"))?;
            if *e.name != *rec.name.as_bytes() {
                return Err(fail(format!(
                    "entry {} is {shown:?}, the plan says {:?}",
                    out.entries + 1,
                    rec.name
                )));
            }
            if e.size != rec.size {
                return Err(fail(format!(
                    "entry {shown:?} is {} bytes, the plan says {}",
                    e.size, rec.size
                )));
            }
            if e.header_offset != pos {
                return Err(fail(format!("entry {shown:?} is not where it should be")));
            }
            match rec.kind {
                Kind::File | Kind::Dir => {
                    if e.mtime != Some(i64::from(clamp_unix32(rec.mtime))) {
                        return Err(fail(format!(
                            "entry {shown:?} has another modification time than the source file"
                        )));
                    }
                    let allowed = e.method == STORED
                        || (x.compress == Compress::Auto && e.method == DEFLATED);
                    if !allowed {
                        return Err(fail(format!(
                            "entry {shown:?} uses compression method {}",
                            e.method
                        )));
                    }
                }
                Kind::ZipEntry => {
                    if (e.method, e.crc, e.compressed_size) != (rec.method, rec.crc, rec.csize) {
                        return Err(fail(format!(
                            "entry {shown:?} differs from the source zip's entry"
                        )));
                    }
                }
            }
        }
        if e.header_offset != pos {
            data.seek(SeekFrom::Start(e.header_offset))?;
            pos = e.header_offset;
        }
        let local = read_local(&mut data, pos)?;
        pos = local.data_start;
        if *local.name != *e.name || local.method != e.method {
            return Err(fail(format!(
                "entry {shown:?}: the local header does not match the central directory"
            )));
        }
        if local.flags & FLAG_DESCRIPTOR == 0 && local.crc != e.crc {
            return Err(fail(format!(
                "entry {shown:?}: the local header's CRC does not match the central directory"
            )));
        }
        let mut body = (&mut data).take(e.compressed_size);
        let checked = match e.method {
            STORED => {
                if e.compressed_size != e.size {
                    return Err(fail(format!(
                        "entry {shown:?} is stored but its sizes differ"
                    )));
                }
                Some(crc_in_place(&mut body, progress)?)
            }
            DEFLATED => {
                let mut dec = flate2::bufread::DeflateDecoder::new(&mut body);
                let r = crc_of(&mut dec, &mut inflated, progress).map_err(|e| match e {
                    ReadError::Io(io)
                        if io.kind() == io::ErrorKind::InvalidInput
                            || io.kind() == io::ErrorKind::InvalidData =>
                    {
                        fail(format!("entry {shown:?}: its deflated data is corrupt"))
                    }
                    other => other,
                })?;
                Some(r)
            }
            _ => None,
        };
        if body.limit() > 0 {
            io::copy(&mut body, &mut io::sink())?;
        }
        pos += e.compressed_size;
        if let Some((crc, n)) = checked {
            if n != e.size {
                return Err(fail(format!(
                    "entry {shown:?} holds {n} bytes, its header says {}",
                    e.size
                )));
            }
            if crc != e.crc {
                return Err(fail(format!(
                    "entry {shown:?}: its data does not match its CRC"
                )));
            }
            out.crc_checked += 1;
        }
        out.entries += 1;
        out.bytes += e.size;
    }
    if expect.is_some() {
        if pos != end.cd_offset {
            return Err(fail(
                "there are bytes between the last entry and the central directory",
            ));
        }
        if end.cd_offset + end.cd_size != end.end_at {
            return Err(fail(
                "there are bytes between the central directory and the end records",
            ));
        }
    }
    if out.entries != end.entries {
        return Err(fail(
            "the central directory holds fewer entries than the end record says",
        ));
    }
    Ok(out)
}

/// CRC of a buffered reader's bytes, computed on its own buffer (no copy).
fn crc_in_place(
    r: &mut impl BufRead,
    progress: &mut dyn FnMut(u64),
) -> Result<(u32, u64), ReadError> {
    let mut crc = crc32fast::Hasher::new();
    let mut n = 0u64;
    loop {
        let buf = match fill_some(r) {
            Ok([]) => break,
            Ok(b) => b,
            Err(e) => return Err(ReadError::Io(e)),
        };
        let k = buf.len();
        crc.update(buf);
        r.consume(k);
        n += k as u64;
        progress(k as u64);
    }
    Ok((crc.finalize(), n))
}

fn crc_of(
    r: &mut impl Read,
    buf: &mut [u8],
    progress: &mut dyn FnMut(u64),
) -> Result<(u32, u64), ReadError> {
    let mut crc = crc32fast::Hasher::new();
    let mut n = 0u64;
    loop {
        let k = match read_some(r, buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) => return Err(ReadError::Io(e)),
        };
        crc.update(&buf[..k]);
        n += k as u64;
        progress(k as u64);
    }
    Ok((crc.finalize(), n))
}

/// Reads a zip back and checks its structure and every entry's CRC-32
/// (inflating deflated entries).
///
/// Works on any zip, not only those `split` writes. Memory does not grow
/// with the zip's size or entry count.
///
/// ```no_run
/// let check = backup_fix::split::verify_zip("out/media-001.zip".as_ref())?;
/// assert!(check.all_crc_checked());
/// println!("{} entries, {} bytes", check.entries, check.bytes);
/// # Ok::<(), backup_fix::split::SplitError>(())
/// ```
pub fn verify_zip(path: &Path) -> Result<ZipCheck, SplitError> {
    check(path, None, &mut |_| {}).map_err(|e| match e {
        ReadError::Io(e) => SplitError::io("reading", path, e),
        other => SplitError::Invalid {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    })
}
