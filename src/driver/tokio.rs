//! The tokio driver: the [`Fixer`] over `AsyncRead`/`AsyncWrite` streams and
//! files, with gzip and Zstandard through async-compression, the CPU work on
//! tokio's blocking threads, progress, and all-or-nothing file output.
//!
//! The contract with the executor: no call here repairs bytes on an executor
//! thread. Each chunk (1 MiB, about 2 ms of CPU) is handed to
//! [`tokio::task::spawn_blocking`] with the
//! fixer and comes back with its output, so other tasks keep running; I/O
//! is awaited as usual. Works on the current-thread and multi-thread runtimes.

use crate::driver::blocking::Repair;
use crate::driver::files::{self, Compression};
use crate::driver::progress::{Phase, Progress};
use crate::error::Error;
use crate::fixer::{Fixer, Options};
use crate::output::PendingFile;
use crate::report::Report;
use ::tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
    ReadBuf,
};
use async_compression::tokio::bufread::{GzipDecoder, ZstdDecoder};
use async_compression::tokio::write::{GzipEncoder, ZstdEncoder};
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

/// Size of the chunks handed to a blocking thread: 1 MiB, so that the hand-off
/// (a task per chunk) costs little against the work.
const TASK_CHUNK: usize = 1 << 20;

/// Runs blocking work off the executor; a panic or cancellation of the
/// blocking task becomes an I/O error rather than a panic here.
async fn off_executor<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    ::tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Io(io::Error::other(format!("the repair task failed: {e}"))))
}

/// Repairs everything `input` yields into `output`, then flushes `output`,
/// calling `progress` with the bytes read so far after each chunk.
///
/// The caller shuts `output` down if it needs to (a compressing encoder
/// writes its trailer on shutdown); [`fix_async_compressed`] does that
/// itself.
async fn run_async<R, W>(
    Repair { mut fixer, cancel }: Repair,
    mut input: R,
    mut output: W,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Report, Error>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; TASK_CHUNK];
    let mut out = Vec::with_capacity(TASK_CHUNK);
    let mut read = 0u64;
    loop {
        cancel.check()?;
        let n = input.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        read += n as u64;
        let (f, b, o, r) = off_executor(move || {
            let r = fixer.write(&buf[..n], &mut out);
            (fixer, buf, out, r)
        })
        .await?;
        (fixer, buf, out) = (f, b, o);
        r?;
        output.write_all(&out).await?;
        out.clear();
        progress(read);
    }
    let (report, out) = off_executor(move || {
        let r = fixer.finish(&mut out);
        (r, out)
    })
    .await?;
    let report = report?;
    output.write_all(&out).await?;
    output.flush().await?;
    Ok(report)
}

/// Repairs everything `input` yields into `output`, then flushes `output`.
///
/// The caller shuts `output` down if it needs to (a compressing encoder
/// writes its trailer on shutdown).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), backup_fix::Error> {
/// let input: &[u8] = b"<a>\x07</a>";
/// let mut output = Vec::new();
/// let report = backup_fix::driver::tokio::fix_async(input, &mut output, &Default::default()).await?;
/// assert_eq!(output, b"<a></a>");
/// assert_eq!(report.changes(), 1);
/// # Ok(()) }
/// ```
pub async fn fix_async<R, W>(input: R, output: W, options: &Options) -> Result<Report, Error>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let repair = Repair::new(Fixer::new(options.clone())?, options);
    run_async(repair, input, output, &mut |_| {}).await
}

/// Counts the bytes a buffered reader hands out (the compressed bytes, when
/// it feeds a decoder).
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Counted<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        r
    }
}

impl<R: AsyncBufRead + Unpin> AsyncBufRead for Counted<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Pin::new(&mut self.get_mut().inner).poll_fill_buf(cx)
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        self.read.fetch_add(amt as u64, Ordering::Relaxed);
        Pin::new(&mut self.inner).consume(amt);
    }
}

/// Notes that an error came from the input side (the file or its decoder),
/// so that I/O errors can be blamed on the right file.
struct Blamed<R> {
    inner: R,
    failed: Arc<AtomicBool>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Blamed<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Err(_)) = &r {
            self.failed.store(true, Ordering::Relaxed);
        }
        r
    }
}

/// A reader that decompresses what its first bytes say is compressed.
type Decoded<'a> = Pin<Box<dyn AsyncRead + Send + 'a>>;

/// Wraps `input` in the decoder its first bytes call for.
async fn decoded<'a, R>(mut input: R) -> Result<Decoded<'a>, Error>
where
    R: AsyncBufRead + Unpin + Send + 'a,
{
    let head = input.fill_buf().await?;
    Ok(match Compression::sniff(head) {
        Compression::Gzip => {
            let mut d = GzipDecoder::new(input);
            d.multiple_members(true);
            Box::pin(d)
        }
        Compression::Zstd => {
            let mut d = ZstdDecoder::new(input);
            d.multiple_members(true);
            Box::pin(d)
        }
        _ => Box::pin(input),
    })
}

/// Repairs a possibly compressed stream into a stream compressed as asked:
/// gzip and Zstandard input is recognised by its first bytes; `output` is
/// written with `compress` and shut down at the end (so an encoder writes
/// its trailer). `progress` hears the bytes of `input` consumed so far
/// ([`Phase::Main`], no total).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), backup_fix::Error> {
/// use backup_fix::driver::{Compression, tokio::fix_async_compressed};
/// let mut gz = Vec::new();
/// fix_async_compressed(&b"<a>\x07</a>"[..], &mut gz, Compression::Gzip, &Default::default(), &mut |_| {}).await?;
/// let mut plain = Vec::new();
/// fix_async_compressed(&gz[..], &mut plain, Compression::None, &Default::default(), &mut |_| {}).await?;
/// assert_eq!(plain, b"<a></a>");
/// # Ok(()) }
/// ```
pub async fn fix_async_compressed<R, W>(
    input: R,
    output: W,
    compress: Compression,
    options: &Options,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Report, Error>
where
    R: AsyncBufRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send,
{
    let repair = Repair::new(Fixer::new(options.clone())?, options);
    let failed = Arc::new(AtomicBool::new(false));
    compressed(repair, input, output, compress, None, &failed, progress).await
}

/// The repair of a stream through the decoder its head asks for, into
/// `output` encoded with `compress`; progress counts raw input bytes, and
/// `input_failed` is set when an error came from the input side.
async fn compressed<R, W>(
    repair: Repair,
    input: R,
    output: W,
    compress: Compression,
    total: Option<u64>,
    input_failed: &Arc<AtomicBool>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Report, Error>
where
    R: AsyncBufRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send,
{
    let read = Arc::new(AtomicU64::new(0));
    let counted = Counted {
        inner: input,
        read: Arc::clone(&read),
    };
    let head_failed = |e: Error| {
        input_failed.store(true, Ordering::Relaxed);
        e
    };
    let source = Blamed {
        inner: decoded(counted).await.map_err(head_failed)?,
        failed: Arc::clone(input_failed),
    };
    let mut tick = |_| {
        progress(Progress::new(
            Phase::Main,
            read.load(Ordering::Relaxed),
            total,
        ))
    };
    match compress {
        Compression::Gzip => {
            let mut enc = GzipEncoder::new(output);
            let report = run_async(repair, source, &mut enc, &mut tick).await?;
            enc.shutdown().await?;
            Ok(report)
        }
        Compression::Zstd => {
            let mut enc = ZstdEncoder::new(output);
            let report = run_async(repair, source, &mut enc, &mut tick).await?;
            enc.shutdown().await?;
            Ok(report)
        }
        _ => {
            let mut output = output;
            let report = run_async(repair, source, &mut output, &mut tick).await?;
            output.shutdown().await?;
            Ok(report)
        }
    }
}

/// Repairs the XML file `input` into the file `output`, as
/// [`fix_file`](crate::driver::fix_file) does, on tokio.
///
/// - Compressed input (gzip, Zstandard) is recognised by its first bytes;
///   output is compressed when its name ends in `.gz` or `.zst`.
/// - The input is never modified; an `output` naming it is refused.
/// - Output goes to a temporary file beside `output`, renamed into place
///   only when the repair succeeded and the file is on disk: on any error no
///   `output` is left, and an existing one is untouched. Devices and pipes
///   (`/dev/null`, a FIFO) are written directly.
/// - Facts stated anywhere in the file (`--tz auto`, `--cloud-url`, page
///   links, memberships) are read in a first pass on a blocking thread.
/// - `progress` hears [`Phase::FirstPass`] (when there is one),
///   [`Phase::Main`] with the input file's bytes read and its size, then
///   [`Phase::Syncing`].
///
/// Errors carry the path of the file they concern.
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), backup_fix::Error> {
/// use backup_fix::{Options, driver::tokio::fix_file_async};
/// let report = fix_file_async("entities.xml.gz".as_ref(), "fixed.xml.zst".as_ref(), &Options::default(), &mut |p| {
///     eprintln!("{:?}: {} of {:?} bytes", p.phase, p.read, p.total)
/// })
/// .await?;
/// eprint!("{report}");
/// # Ok(()) }
/// ```
pub async fn fix_file_async(
    input: &Path,
    output: &Path,
    options: &Options,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Report, Error> {
    files::refuse_same_file(input, output)?;
    if output.is_dir() {
        let e = io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a directory; give a file name for the output",
        );
        return Err(Error::from(e).in_file(output));
    }
    // Made now, so that a missing or read-only directory fails before any
    // work. A device or pipe (/dev/null, a FIFO) is written directly:
    // renaming a file over it would replace the device.
    let mut pending = if files::is_special_file(output) {
        None
    } else {
        Some(PendingFile::beside(output).map_err(|e| Error::from(e).in_file(output))?)
    };
    let fixer = if options.needs_facts() {
        progress(Progress::new(Phase::FirstPass, 0, None));
        let (path, opts) = (input.to_path_buf(), options.clone());
        let facts = off_executor(move || {
            let (reader, _, _) = files::open_decoded(&path)?;
            crate::scan_facts(reader, &opts).map_err(|e| e.in_file(&path))
        })
        .await??;
        Fixer::with_facts(options.clone(), facts)
    } else {
        Fixer::new(options.clone())
    }
    .map_err(|e| e.in_file(input))?;
    let in_err = |e: io::Error| Error::from(e).in_file(input);
    let file = ::tokio::fs::File::open(input).await.map_err(in_err)?;
    let meta = file.metadata().await.map_err(in_err)?;
    if meta.is_dir() {
        let e = io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a directory; give the XML file itself",
        );
        return Err(in_err(e));
    }
    let total = meta.is_file().then_some(meta.len());
    let out_file = match pending.as_mut() {
        Some(p) => p.file().try_clone(),
        None => std::fs::OpenOptions::new().write(true).open(output),
    }
    .map_err(|e| Error::from(e).in_file(output))?;
    let out = ::tokio::fs::File::from_std(out_file);
    let reader = BufReader::with_capacity(TASK_CHUNK, file);
    let input_failed = Arc::new(AtomicBool::new(false));
    let report = compressed(
        Repair::new(fixer, options),
        reader,
        out,
        Compression::from_path(output),
        total,
        &input_failed,
        progress,
    )
    .await
    .map_err(|e| match e {
        Error::Io(_) if !input_failed.load(Ordering::Relaxed) => e.in_file(output),
        e => e.in_file(input),
    })?;
    progress(Progress::new(Phase::Syncing, 0, None));
    if let Some(pending) = pending {
        off_executor(move || pending.commit())
            .await?
            .map_err(|e| Error::from(e).in_file(output))?;
    }
    Ok(report)
}
