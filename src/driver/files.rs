//! The file driver: paths or `-` for standard streams, `.gz`/`.zst`
//! compression, and all-or-nothing output through a temporary file that is
//! renamed into place only when the repair succeeded.

use crate::chunked::CHUNK_SIZE;
use crate::driver::blocking::{Repair, run_fixer};
use crate::driver::progress::{Phase, Progress};
use crate::error::Error;
use crate::fixer::{Fixer, Options, scan_facts};
use crate::output::PendingFile;
use crate::report::Report;
use std::cell::Cell;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

/// Compression of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// Plain bytes.
    None,
    /// gzip (`.gz`), possibly multi-member.
    Gzip,
    /// Zstandard (`.zst`).
    Zstd,
}

impl Compression {
    /// The compression a file name's ending asks for.
    ///
    /// ```
    /// use backup_fix::driver::Compression;
    /// assert_eq!(Compression::from_path("entities.xml.gz".as_ref()), Compression::Gzip);
    /// assert_eq!(Compression::from_path("entities.xml".as_ref()), Compression::None);
    /// ```
    pub fn from_path(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("gz") => Compression::Gzip,
            Some(e) if e.eq_ignore_ascii_case("zst") => Compression::Zstd,
            _ => Compression::None,
        }
    }

    /// The compression the first bytes of a stream show (magic numbers).
    pub fn sniff(head: &[u8]) -> Self {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// The error for a compressed file in a build without the `compression` feature.
#[cfg(not(feature = "compression"))]
fn without_compression(c: Compression) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!(
            "{c:?} compression: this build of backup-fix has no gzip or Zstandard support (the `compression` feature); decompress the file first"
        ),
    )
}

/// Remembers that an error came from the input side.
struct Blame<R> {
    inner: R,
    failed: Rc<Cell<bool>>,
}

impl<R: Read> Read for Blame<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if e.kind() != io::ErrorKind::Interrupted {
                self.failed.set(true);
            }
        })
    }
}

fn is_std(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// True for an existing output that is not a regular file or directory.
pub(crate) fn is_special_file(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Refuses an output path that names the input (by path or by inode).
pub(crate) fn refuse_same_file(input: &Path, output: &Path) -> Result<(), Error> {
    let same = || Error::OutputIsInput {
        path: output.to_path_buf(),
    };
    let (Ok(inp), Ok(outp)) = (fs::canonicalize(input), fs::canonicalize(output)) else {
        return Ok(());
    };
    if inp == outp {
        return Err(same());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(a), Ok(b)) = (fs::metadata(&inp), fs::metadata(&outp))
            && a.dev() == b.dev()
            && a.ino() == b.ino()
        {
            return Err(same());
        }
    }
    Ok(())
}

/// An opened input: the (decompressed) reader, the file's size when known,
/// and a counter of raw bytes read.
pub(crate) type Opened = (Box<dyn Read>, Option<u64>, Rc<Cell<u64>>);

/// Opens the input, decompressing it if its first bytes say so.
pub(crate) fn open_decoded(input: &Path) -> Result<Opened, Error> {
    let (raw, total) = open_input(input)?;
    let read = Rc::new(Cell::new(0));
    let counter = Rc::clone(&read);
    let mut buffered = BufReader::with_capacity(
        CHUNK_SIZE,
        Ticking {
            inner: raw,
            tick: move |n: usize| counter.set(counter.get() + n as u64),
        },
    );
    let head = buffered
        .fill_buf()
        .map_err(|e| Error::from(e).in_file(input))?;
    let decoded: Box<dyn Read> = match Compression::sniff(head) {
        #[cfg(feature = "compression")]
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        #[cfg(feature = "compression")]
        Compression::Zstd => Box::new(
            zstd::Decoder::with_buffer(buffered).map_err(|e| Error::from(e).in_file(input))?,
        ),
        Compression::None => Box::new(buffered),
        #[cfg(not(feature = "compression"))]
        c => return Err(Error::from(without_compression(c)).in_file(input)),
    };
    Ok((decoded, total, read))
}

fn open_input(input: &Path) -> Result<(Box<dyn Read>, Option<u64>), Error> {
    if is_std(input) {
        return Ok((Box::new(io::stdin().lock()), None));
    }
    let file = File::open(input).map_err(|e| Error::from(e).in_file(input))?;
    let meta = file.metadata().map_err(|e| Error::from(e).in_file(input))?;
    if meta.is_dir() {
        let e = io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a directory; give the XML file itself",
        );
        return Err(Error::from(e).in_file(input));
    }
    Ok((Box::new(file), meta.is_file().then_some(meta.len())))
}

/// Repairs the XML file `input` into `output`.
///
/// - Either path may be `-` for standard input or output.
/// - Compressed input (gzip, Zstandard) is recognised by its first bytes;
///   output is compressed when its name ends in `.gz` or `.zst`.
/// - The input is never modified; an `output` naming the same file is refused.
/// - Output is written to a temporary file beside `output` and renamed into
///   place only when the repair succeeded: on any error no `output` is left
///   (and an existing one is not touched). Standard output, devices and
///   pipes (`/dev/null`, a FIFO) are written directly and cannot be undone.
///
/// Errors carry the path of the file they concern.
///
/// ```no_run
/// use backup_fix::{Options, driver::fix_file};
/// let report = fix_file("entities.xml".as_ref(), "fixed.xml.gz".as_ref(), &Options::default(), &mut |_| {})?;
/// eprint!("{report}");
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub fn fix_file(
    input: &Path,
    output: &Path,
    options: &Options,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Report, Error> {
    if !is_std(input) && !is_std(output) {
        refuse_same_file(input, output)?;
    }
    if !is_std(output) && output.is_dir() {
        let e = io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a directory; give a file name for the output",
        );
        return Err(Error::from(e).in_file(output));
    }
    // A regular output file is made beside its destination now, so that a
    // missing or read-only directory fails before any work.
    let pending = if is_std(output) || is_special_file(output) {
        None
    } else {
        Some(PendingFile::beside(output).map_err(|e| Error::from(e).in_file(output))?)
    };
    // Facts stated anywhere in the file (the zone for --tz auto, the base URL
    // for --cloud-url) are read in a first pass that stops once they are known.
    let fixer = if options.needs_facts() && !is_std(input) {
        let (reader, total, read) = open_decoded(input)?;
        let ticking = Ticking {
            inner: reader,
            tick: |_| progress(Progress::new(Phase::FirstPass, read.get(), total)),
        };
        let facts = scan_facts(ticking, options).map_err(|e| e.in_file(input))?;
        Fixer::with_facts(options.clone(), facts)
    } else {
        Fixer::new(options.clone())
    }
    .map_err(|e| e.in_file(input))?;
    let repair = Repair::new(fixer, options);
    let (decoded, total, read) = open_decoded(input)?;
    let input_failed = Rc::new(Cell::new(false));
    let source = Blame {
        inner: decoded,
        failed: Rc::clone(&input_failed),
    };
    let mut tick = |_| progress(Progress::new(Phase::Main, read.get(), total));
    let blame = |e: Error| match e {
        Error::Io(_) if !input_failed.get() => e.in_file(output),
        e => e.in_file(input),
    };
    let Some(mut pending) = pending else {
        if is_std(output) {
            let stdout = io::stdout().lock();
            return run_fixer(repair, source, stdout, &mut tick).map_err(blame);
        }
        // A device or pipe (/dev/null, a FIFO): write to it directly; renaming
        // a file over it would replace the device.
        let file = fs::OpenOptions::new()
            .write(true)
            .open(output)
            .map_err(|e| Error::from(e).in_file(output))?;
        return run_fixer(repair, source, file, &mut tick).map_err(blame);
    };
    let out_err = |e: io::Error| Error::from(e).in_file(output);
    let file = pending.file();
    let report = match Compression::from_path(output) {
        #[cfg(feature = "compression")]
        Compression::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(&*file, flate2::Compression::new(6));
            let r = run_fixer(repair, source, &mut enc, &mut tick).map_err(blame)?;
            enc.finish().map_err(out_err)?;
            r
        }
        #[cfg(feature = "compression")]
        Compression::Zstd => {
            let mut enc = zstd::Encoder::new(&*file, 3).map_err(out_err)?;
            let r = run_fixer(repair, source, &mut enc, &mut tick).map_err(blame)?;
            enc.finish().map_err(out_err)?;
            r
        }
        Compression::None => run_fixer(repair, source, &*file, &mut tick).map_err(blame)?,
        #[cfg(not(feature = "compression"))]
        c => return Err(out_err(without_compression(c))),
    };
    progress(Progress::new(Phase::Syncing, 0, None));
    pending.commit().map_err(out_err)?;
    Ok(report)
}

/// Calls `tick` with the byte count after every read: the input's byte
/// counter, and progress during a first pass.
pub(crate) struct Ticking<R, F> {
    /// The reader.
    pub(crate) inner: R,
    /// Told how many bytes each read gave.
    pub(crate) tick: F,
}

impl<R: Read, F: FnMut(usize)> Read for Ticking<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.tick)(n);
        Ok(n)
    }
}
