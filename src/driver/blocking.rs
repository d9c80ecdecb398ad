//! The blocking driver: `Read` in, `Write` out.

use crate::cancel::Cancel;
use crate::chunked::{CHUNK_SIZE, read_chunk};
use crate::driver::progress::{Phase, Progress};
use crate::error::Error;
use crate::fixer::{Fixer, Options};
use crate::report::Report;
use crate::sink::IoSink;
use std::io::{BufWriter, Read, Write};

/// Repairs everything `input` yields into `output`.
///
/// Memory stays bounded: one read buffer, one write buffer, and what the
/// fixer carries between chunks (at most [`Options::max_tag_size`]).
/// On error, part of the output may already have been written; use
/// [`fix_file`](crate::driver::fix_file) for all-or-nothing output.
///
/// ```
/// let input: &[u8] = b"<a>\x1b[1mbold\x1b[0m</a>";
/// let mut output = Vec::new();
/// let report = backup_fix::driver::fix_stream(input, &mut output, &Default::default())?;
/// assert_eq!(output, b"<a>[1mbold[0m</a>");
/// assert_eq!(report.changes(), 2);
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub fn fix_stream<R: Read, W: Write>(
    input: R,
    output: W,
    options: &Options,
) -> Result<Report, Error> {
    fix_stream_with_progress(input, output, options, &mut |_| {})
}

/// Like [`fix_stream`], calling `progress` after each chunk with the input
/// bytes read so far ([`Phase::Main`](crate::driver::Phase::Main); a stream
/// has no known total), as every driver reports progress.
///
/// ```
/// use backup_fix::driver::{Phase, fix_stream_with_progress};
/// let mut seen = Vec::new();
/// let mut out = Vec::new();
/// fix_stream_with_progress(&b"<a>\x01</a>"[..], &mut out, &Default::default(), &mut |p| seen.push(p))?;
/// assert_eq!(seen.last().map(|p| (p.phase, p.read, p.total)), Some((Phase::Main, 8, None)));
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub fn fix_stream_with_progress<R: Read, W: Write>(
    input: R,
    output: W,
    options: &Options,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Report, Error> {
    let mut tick = |read| progress(Progress::new(Phase::Main, read, None));
    let repair = Repair::new(Fixer::new(options.clone())?, options);
    run_fixer(repair, input, output, &mut tick)
}

/// What the driver loops run: a prepared [`Fixer`] (e.g. one made with
/// [`Fixer::with_facts`]) and the token that stops it between chunks.
pub(crate) struct Repair {
    pub(crate) fixer: Fixer,
    pub(crate) cancel: Cancel,
}

impl Repair {
    /// `fixer`, stopped by the token of the `options` it was made from.
    pub(crate) fn new(fixer: Fixer, options: &Options) -> Self {
        Self {
            fixer,
            cancel: options.cancel.clone(),
        }
    }
}

/// Capacity of the output buffer: 32 KiB, half a read chunk, so that
/// unchanged input, which the scanner forwards a chunk at a time, is
/// written straight from the read buffer (`BufWriter` copies only what is
/// shorter than its capacity): 8-9% fewer instructions for plain `fix`,
/// while the short pieces around edits are still gathered.
const WRITE_BUFFER: usize = 32 << 10;

/// Runs a prepared repair over `input` into `output`, calling `progress`
/// with the input bytes read so far.
pub(crate) fn run_fixer<R: Read, W: Write>(
    Repair { mut fixer, cancel }: Repair,
    mut input: R,
    output: W,
    progress: &mut dyn FnMut(u64),
) -> Result<Report, Error> {
    let mut sink = IoSink::new(BufWriter::with_capacity(WRITE_BUFFER, output));
    let mut buf = vec![0u8; CHUNK_SIZE];
    let mut read = 0u64;
    loop {
        let n = read_chunk(&mut input, &mut buf, &cancel)?;
        if n == 0 {
            break;
        }
        fixer.write(&buf[..n], &mut sink)?;
        sink.check()?;
        read += n as u64;
        progress(read);
    }
    let report = fixer.finish(&mut sink)?;
    sink.check()?;
    sink.get_mut().flush()?;
    Ok(report)
}
