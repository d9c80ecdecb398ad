//! One forward pass over the archive, entry by entry in the central
//! directory's order: raw copies go straight from the input's buffer to the
//! output's (their CRC checked on the way), with no thread hand-off, so a
//! million small attachments cost a million header parses and nothing
//! more. Each XML entry runs on threads of its own while it lasts:
//!
//! ```text
//! reader ──chunks──► repair (calling thread) ──blocks──► deflate workers (N)
//!  reads, inflates,   one Fixer                          pigz-style blocks
//!  checks the CRC                                               │
//!                      writer (zip out) ◄──── in order ─────────┘
//! ```
//!
//! Every queue is a `sync_channel` with a small bound, so memory stays
//! bounded whatever the entry's size. Whichever stage fails first stops
//! the others: its queues close, the rest see it and return.

use crate::archive::deflate::{self, Block, CrcChain, Job, Pool, WINDOW};
use crate::archive::error::{ArchiveError, fault_error, read_error};
use crate::archive::layout::{Action, Decision, Sniffed, Survey, sniff_entities};
use crate::archive::report::EntryCounts;
use crate::error::Error;
use crate::fixer::{FixConfig, Fixer};
use crate::report::Report;
use crate::sink::Sink;
use crate::zip::data::{Checked, DataError, read_data};
use crate::zip::extra;
use crate::zip::format::{DEFLATED, FLAG_UTF8};
use crate::zip::inflate::{Inflater, Spare};
use crate::zip::writer::{Digest, EntryMeta, FileOut, Sizes, ZipOut, deflate_version};
use crate::zip::{CentralEntry, CentralReader, ZipInput};
use std::fs::File;
use std::io::{self, Read};
use std::mem;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

/// How the pipeline runs.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub level: u32,
    pub threads: usize,
    pub block_size: usize,
    pub check_copies: bool,
    pub force_zip64: bool,
    /// Where a large output central directory waits (the output's directory).
    pub scratch: std::path::PathBuf,
}

/// Size of the reads from the input file and of inflated chunks.
const CHUNK: usize = 1 << 20;
/// Chunks queued between the reader and the repair.
const READ_QUEUE: usize = 4;
/// Entries between two progress reports.
const PROGRESS_EVERY: u64 = 1024;

/// What the reader sends for an XML entry: `Data`..., then `End`.
enum FromReader {
    Data(Vec<u8>),
    End,
    Failed(Error),
}

/// What the writer receives for an XML entry, in order.
enum ToWriter {
    Block(Receiver<Result<Block, String>>),
    EndStream,
}

/// The inputs of a run.
pub(crate) struct Job2<'a> {
    pub survey: &'a Survey,
    /// The export descriptor's new content, when a rule rewrote it.
    pub descriptor: Option<&'a [u8]>,
    pub comment: &'a [u8],
    pub config: &'a FixConfig,
    pub settings: &'a Settings,
}

/// The result of a pipeline run.
pub(crate) struct Outcome {
    /// Reports of the XML entries: output name, report, compressed size.
    pub xml: Vec<(String, Report, u64)>,
    /// What the head of entities.xml said.
    pub sniffed: Sniffed,
    /// What was done with the entries.
    pub counts: EntryCounts,
    /// The digest of what was written, for the read-back check.
    pub digest: Digest,
    /// Whether zip64 records were written.
    pub zip64: bool,
    /// Size of the output.
    pub output_bytes: u64,
    /// Copied entries whose data could not be checked (unknown methods).
    pub unchecked: u64,
}

/// Where a failure came from, for blaming the right file.
pub(crate) enum Failure {
    /// The input (or an entry's content).
    Input(Error),
    /// The output file.
    Output(Error),
}

enum Stop {
    Failed(Error),
    /// A downstream stage hung up; its own error explains why.
    Hangup,
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Failed(e)
    }
}

/// Runs the repair: streams the directory `central` describes, reading the
/// entries from `input`, into `output`.
pub(crate) fn run(
    mut central: CentralReader,
    input: &mut ZipInput,
    output: &File,
    job: &Job2<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome, Failure> {
    let settings = job.settings;
    let inp = |e: Error| Failure::Input(e);
    let out = |e: io::Error| Failure::Output(e.into());
    let file = output.try_clone().map_err(out)?;
    let mut z = ZipOut::new(
        FileOut::new(file),
        settings.force_zip64,
        &settings.scratch,
        crate::spill::IN_MEMORY,
    );
    let mut counts = EntryCounts {
        input: job.survey.entries,
        ..EntryCounts::default()
    };
    let mut xml = Vec::new();
    let mut sniffed = Sniffed::default();
    let mut unchecked = 0u64;
    let mut buf = vec![0u8; CHUNK];
    let mut spare = Spare::default();
    let (blocks, packed) = (Pool::default(), Pool::default());
    let read = AtomicU64::new(0);
    let mut index = 0u64;
    while let Some(e) = central.next_entry().map_err(|e| inp(read_error(e)))? {
        crate::interrupt::check().map_err(inp)?;
        let this = index;
        index += 1;
        let d = job.survey.decide(&e);
        match d.action {
            Action::Drop => {
                counts.dropped += 1;
                continue;
            }
            Action::DropRoot => {
                counts.root_entries += 1;
                continue;
            }
            _ => {}
        }
        let local = input.local_header(&e).map_err(|e| inp(read_error(e)))?;
        let replaced = if d.action == Action::Descriptor {
            job.descriptor
        } else {
            None
        };
        if let Some(bytes) = replaced {
            let mut c = flate2::Compress::new(flate2::Compression::new(settings.level), false);
            let mut deflated = Vec::new();
            deflate::compress_block(&mut c, bytes, &[], true, &mut deflated)
                .map_err(|e| out(io::Error::other(format!("deflate failed: {e}"))))?;
            z.begin_stream(meta_for(&e, &d, local.extra, Some(settings.level)))
                .map_err(out)?;
            z.data(&deflated).map_err(out)?;
            z.end(Sizes {
                crc: crc32fast::hash(bytes),
                compressed: deflated.len() as u64,
                uncompressed: bytes.len() as u64,
            })
            .map_err(out)?;
            counts.rewritten += 1;
        } else if d.action == Action::Fix {
            let (report, s, compressed) = fix_entry(
                &e,
                &d,
                local.extra,
                input,
                &mut z,
                job,
                &blocks,
                &packed,
                &read,
                progress,
            )?;
            if this == job.survey.entities_index {
                sniffed = s;
            }
            counts.xml += 1;
            xml.push((d.out_display(&e).to_owned(), report, compressed));
        } else {
            let sizes = Sizes {
                crc: e.crc,
                compressed: e.compressed_size,
                uncompressed: e.size,
            };
            z.begin_copy(meta_for(&e, &d, local.extra, None), sizes)
                .map_err(out)?;
            let checked = read_data(
                input,
                &e,
                settings.check_copies,
                &mut buf,
                &mut spare,
                &mut |bytes| z.data(bytes),
            );
            match checked {
                Ok(Checked::Yes) => {}
                Ok(Checked::No) => unchecked += u64::from(!e.is_dir() && settings.check_copies),
                Err(DataError::Read(r)) => return Err(inp(read_error(r))),
                Err(DataError::Fault(f)) => return Err(inp(fault_error(e.display(), f))),
                Err(DataError::Sink(err)) => return Err(out(err)),
                Err(DataError::Interrupted) => return Err(inp(Error::Interrupted)),
            }
            z.end(sizes).map_err(out)?;
            counts.copied += 1;
            if e.is_dir() {
                counts.directories += 1;
            } else if is_attachment(d.out_display(&e)) {
                counts.attachments += 1;
            }
            read.fetch_add(e.size, Ordering::Relaxed);
        }
        counts.output += 1;
        if counts.output.is_multiple_of(PROGRESS_EVERY) {
            progress(read.load(Ordering::Relaxed));
        }
    }
    let (w, digest, zip64) = z.finish(job.comment).map_err(out)?;
    let file = w.into_file().map_err(out)?;
    let output_bytes = file.metadata().map_err(out)?.len();
    Ok(Outcome {
        xml,
        sniffed,
        counts,
        digest,
        zip64,
        output_bytes,
        unchecked,
    })
}

fn is_attachment(name: &str) -> bool {
    name.starts_with("attachments/") || name.starts_with("data/attachments/")
}

/// Repairs one XML entry (the input is at its data) into the open writer.
/// Returns its report, what its head said, and its compressed size.
#[allow(clippy::too_many_arguments)]
fn fix_entry(
    e: &CentralEntry,
    d: &Decision,
    local_extra: Vec<u8>,
    input: &mut ZipInput,
    z: &mut ZipOut<FileOut>,
    job: &Job2<'_>,
    blocks: &Pool,
    packed: &Pool,
    read: &AtomicU64,
    progress: &mut dyn FnMut(u64),
) -> Result<(Report, Sniffed, u64), Failure> {
    let settings = job.settings;
    // Every XML entry gets the facts read from entities.xml: the zone and
    // base URL hold for activeobjects.xml and .pdata too.
    let fixer = Fixer::from_config(job.config);
    let inflater = Inflater::new(e.method, e.size, e.crc, CHUNK)
        .map_err(|f| Failure::Input(fault_error(e.display(), f)))?;
    z.begin_stream(meta_for(e, d, local_extra, Some(settings.level)))
        .map_err(|err| Failure::Output(err.into()))?;
    let threads = settings.threads.max(1);
    let mut sniffed = Sniffed::default();
    let zw = &mut *z;
    let outcome = std::thread::scope(|s| {
        let (rtx, rrx) = sync_channel::<FromReader>(READ_QUEUE);
        let (wtx, wrx) = sync_channel::<ToWriter>(threads * 2 + 2);
        let (jtx, jrx) = sync_channel::<Job>(threads);
        let (pool_tx, pool_rx) = sync_channel::<Vec<u8>>(READ_QUEUE + 2);
        let jrx = Arc::new(Mutex::new(jrx));
        let reader = s.spawn(move || read_xml(input, e, inflater, rtx, pool_rx, read));
        let writer = s.spawn(move || write_blocks(zw, wrx, packed));
        for _ in 0..threads {
            let jobs = Arc::clone(&jrx);
            let level = settings.level;
            s.spawn(move || deflate::worker(jobs, level, blocks, packed));
        }
        drop(jrx);
        let mut tick = || progress(read.load(Ordering::Relaxed));
        let repaired = repair(
            e,
            fixer,
            settings,
            &rrx,
            &wtx,
            jtx,
            pool_tx,
            blocks,
            &mut sniffed,
            &mut tick,
        );
        drop(wtx);
        drop(rrx);
        let written = writer.join();
        let _ = reader.join();
        (repaired, written)
    });
    let written = match outcome.1 {
        Ok(w) => w,
        Err(_) => {
            return Err(Failure::Output(
                io::Error::other("the writer thread panicked").into(),
            ));
        }
    };
    let report = match outcome.0 {
        Ok(report) => report,
        Err(Stop::Failed(err)) => return Err(Failure::Input(err)),
        Err(Stop::Hangup) => {
            return Err(match written {
                Err(err) => Failure::Output(err),
                Ok(_) => Failure::Output(io::Error::other("the writer stopped early").into()),
            });
        }
    };
    let sizes = written.map_err(Failure::Output)?;
    z.end(sizes).map_err(|err| Failure::Output(err.into()))?;
    Ok((report, sniffed, sizes.compressed))
}

/// Collects the repaired output into blocks and hands each to the deflate
/// workers, queueing its future result with the writer in order.
struct BlockSink<'a> {
    cur: Vec<u8>,
    tail: Vec<u8>,
    block: usize,
    jobs: &'a SyncSender<Job>,
    writer: &'a SyncSender<ToWriter>,
    pool: &'a Pool,
    hung_up: bool,
}

impl<'a> BlockSink<'a> {
    fn new(
        block: usize,
        jobs: &'a SyncSender<Job>,
        writer: &'a SyncSender<ToWriter>,
        pool: &'a Pool,
    ) -> Self {
        let mut cur = pool.get();
        cur.reserve(block);
        Self {
            cur,
            tail: Vec::new(),
            block,
            jobs,
            writer,
            pool,
            hung_up: false,
        }
    }

    fn dispatch(&mut self, last: bool) {
        let mut next = self.pool.get();
        next.reserve(self.block);
        let data = mem::replace(&mut self.cur, next);
        if self.hung_up {
            return;
        }
        let dict = mem::take(&mut self.tail);
        self.tail = if data.len() >= WINDOW {
            data[data.len() - WINDOW..].to_vec()
        } else {
            let mut t = dict.clone();
            t.extend_from_slice(&data);
            let cut = t.len().saturating_sub(WINDOW);
            t.drain(..cut);
            t
        };
        let (reply, result) = sync_channel(1);
        let job = Job {
            data,
            dict,
            last,
            reply,
        };
        if self.jobs.send(job).is_err() || self.writer.send(ToWriter::Block(result)).is_err() {
            self.hung_up = true;
        }
    }

    /// Sends the last block, which ends the deflate stream.
    fn finish(mut self) -> Result<(), Stop> {
        self.dispatch(true);
        if self.hung_up {
            Err(Stop::Hangup)
        } else {
            Ok(())
        }
    }
}

impl Sink for BlockSink<'_> {
    fn put(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let room = self.block - self.cur.len();
            if bytes.len() < room {
                self.cur.extend_from_slice(bytes);
                return;
            }
            self.cur.extend_from_slice(&bytes[..room]);
            bytes = &bytes[room..];
            self.dispatch(false);
        }
    }
}

/// The calling thread's part: runs the entry through its Fixer into blocks.
#[allow(clippy::too_many_arguments)]
fn repair(
    e: &CentralEntry,
    mut fixer: Fixer,
    settings: &Settings,
    rrx: &Receiver<FromReader>,
    wtx: &SyncSender<ToWriter>,
    jtx: SyncSender<Job>,
    pool: SyncSender<Vec<u8>>,
    blocks: &Pool,
    sniffed: &mut Sniffed,
    tick: &mut dyn FnMut(),
) -> Result<Report, Stop> {
    let recv = || -> Result<FromReader, Stop> {
        match rrx.recv() {
            Ok(FromReader::Failed(e)) => Err(Stop::Failed(e)),
            Ok(m) => Ok(m),
            Err(_) => Err(Stop::Failed(
                io::Error::other("the reader stopped early").into(),
            )),
        }
    };
    let mut sink = BlockSink::new(settings.block_size, &jtx, wtx, blocks);
    let mut first = true;
    // An XML error may be the symptom of a damaged archive: read the rest of
    // the entry first, so that a CRC or deflate error, the real cause, is
    // what the user sees.
    let in_entry = |err: Error| match drain(rrx) {
        Some(damage) => Stop::Failed(damage),
        None => Stop::Failed(err.in_entry(e.display())),
    };
    loop {
        match recv()? {
            FromReader::Data(chunk) => {
                if first {
                    *sniffed = sniff_entities(&chunk);
                    first = false;
                }
                fixer.write(&chunk, &mut sink).map_err(in_entry)?;
                if sink.hung_up {
                    return Err(Stop::Hangup);
                }
                let _ = pool.try_send(chunk);
                tick();
            }
            FromReader::End => break,
            FromReader::Failed(err) => return Err(Stop::Failed(err)),
        }
    }
    let report = fixer
        .finish(&mut sink)
        .map_err(|err| Stop::Failed(err.in_entry(e.display())))?;
    sink.finish()?;
    wtx.send(ToWriter::EndStream).map_err(|_| Stop::Hangup)?;
    Ok(report)
}

/// Reads and discards the rest of the current entry; returns the reader's
/// error if the entry turns out to be damaged.
fn drain(rrx: &Receiver<FromReader>) -> Option<Error> {
    loop {
        match rrx.recv() {
            Ok(FromReader::Data(_)) => {}
            Ok(FromReader::Failed(e)) => return Some(e),
            Ok(_) | Err(_) => return None,
        }
    }
}

/// Reads one XML entry's data, inflating it and checking its CRC, into chunks.
fn read_xml(
    input: &mut ZipInput,
    e: &CentralEntry,
    mut inflater: Inflater,
    tx: SyncSender<FromReader>,
    pool: Receiver<Vec<u8>>,
    read: &AtomicU64,
) {
    let fail = |err: Error| {
        let _ = tx.send(FromReader::Failed(err));
    };
    let mut raw = vec![0u8; CHUNK];
    let mut remaining = e.compressed_size;
    let mut hung_up = false;
    while remaining > 0 {
        if let Err(err) = crate::interrupt::check() {
            return fail(err);
        }
        let n = remaining.min(raw.len() as u64) as usize;
        if let Err(err) = input.read_exact(&mut raw[..n]) {
            return fail(Error::Archive(ArchiveError::CorruptEntry {
                entry: e.display().to_owned(),
                detail: format!("its data cannot be read: {err}"),
            }));
        }
        remaining -= n as u64;
        let mut emit = |v: &mut Vec<u8>| {
            let full = mem::replace(v, pool.try_recv().unwrap_or_default());
            v.clear();
            read.fetch_add(full.len() as u64, Ordering::Relaxed);
            if tx.send(FromReader::Data(full)).is_err() {
                hung_up = true;
            }
            !hung_up
        };
        if let Err(f) = inflater.push(&raw[..n], &mut emit) {
            return fail(fault_error(e.display(), f));
        }
        if hung_up {
            return;
        }
    }
    let mut emit = |v: &mut Vec<u8>| {
        let full = mem::take(v);
        read.fetch_add(full.len() as u64, Ordering::Relaxed);
        if tx.send(FromReader::Data(full)).is_err() {
            hung_up = true;
        }
        !hung_up
    };
    if let Err(f) = inflater.finish(&mut emit) {
        return fail(fault_error(e.display(), f));
    }
    if !hung_up {
        let _ = tx.send(FromReader::End);
    }
}

/// Writes one XML entry's deflated blocks, in order; returns its sizes.
fn write_blocks(
    z: &mut ZipOut<FileOut>,
    rx: Receiver<ToWriter>,
    packed: &Pool,
) -> Result<Sizes, Error> {
    let mut chain = CrcChain::default();
    let mut compressed = 0u64;
    let stopped = || Error::from(io::Error::other("stopped"));
    loop {
        let Ok(msg) = rx.recv() else {
            return Err(stopped());
        };
        match msg {
            ToWriter::Block(result) => {
                let Ok(block) = result.recv() else {
                    return Err(stopped());
                };
                let block = block.map_err(|e| io::Error::other(format!("deflate failed: {e}")))?;
                z.data(&block.bytes)?;
                chain.push(block.crc, block.len);
                compressed += block.bytes.len() as u64;
                packed.put(block.bytes);
            }
            ToWriter::EndStream => {
                let (crc, len) = chain.finish();
                return Ok(Sizes {
                    crc,
                    compressed,
                    uncompressed: len,
                });
            }
        }
    }
}

/// The output metadata of an entry.
fn meta_for(
    src: &CentralEntry,
    d: &Decision,
    local_extra: Vec<u8>,
    stream_level: Option<u32>,
) -> EntryMeta {
    let (local_extra, central_extra) = if d.renamed() {
        (
            extra::renamed(&local_extra, d.out_name(src), d.out_display(src)),
            extra::renamed(&src.central_extra, d.out_name(src), d.out_display(src)),
        )
    } else {
        (local_extra, src.central_extra.to_vec())
    };
    let mut meta = EntryMeta {
        name: d.out_name(src).to_vec(),
        version_made_by: src.version_made_by,
        version_needed: src.version_needed,
        flags: src.flags,
        method: src.method,
        time: src.time,
        date: src.date,
        internal_attr: src.internal_attr,
        external_attr: src.external_attr,
        local_extra,
        central_extra,
        comment: src.comment.to_vec(),
    };
    if let Some(level) = stream_level {
        meta.method = DEFLATED;
        meta.flags = (src.flags & FLAG_UTF8) | deflate::level_flags(level);
        meta.version_needed = deflate_version(20);
    }
    meta
}
