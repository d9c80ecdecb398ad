//! One XML entry of the forward pass, on threads of its own while it lasts:
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

use super::blocks::BlockSink;
use super::thread_cpu::Stopwatch;
use super::{CHUNK, Failure, RunInputs, meta_for};
use crate::archive::deflate::{self, Block, CrcChain, Job, Pool};
use crate::archive::error::{ArchiveError, fault_error};
use crate::archive::layout::{Decision, Sniffed, sniff_entities};
use crate::archive::report::StageCpu;
use crate::cancel::Cancel;
use crate::error::Error;
use crate::fixer::Fixer;
use crate::report::Report;
use crate::zip::inflate::Inflater;
use crate::zip::writer::{FileOut, Sizes, ZipOut};
use crate::zip::{CentralEntry, ZipInput};
use std::io::{self, Read};
use std::mem;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Chunks queued between the reader and the repair.
const READ_QUEUE: usize = 4;

/// What the reader sends for an XML entry: `Data`..., then `End`.
pub(super) enum FromReader {
    Data(Vec<u8>),
    End,
    Failed(Error),
}

/// What the writer receives for an XML entry, in order.
pub(super) enum ToWriter {
    Block(Receiver<Result<Block, String>>),
    EndStream,
}

/// Why the repair stage stopped early.
pub(super) enum Stop {
    Failed(Error),
    /// A downstream stage hung up; its own error explains why.
    Hangup,
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Failed(e)
    }
}

/// What every XML entry of a run shares: the run's inputs, the buffer pools
/// of the deflate stage and the count of input bytes read.
pub(super) struct EntryContext<'a> {
    pub job: &'a RunInputs<'a>,
    /// Buffers for blocks of repaired output.
    pub blocks: &'a Pool,
    /// Buffers for deflated blocks.
    pub packed: &'a Pool,
    /// Inflated input bytes read so far, for progress.
    pub read: &'a AtomicU64,
}

/// The XML entry to repair: its directory record, what the run decided for
/// it, and its local header's extra field.
pub(super) struct XmlEntry<'a> {
    pub e: &'a CentralEntry,
    pub d: &'a Decision,
    pub local_extra: Vec<u8>,
}

/// Repairs one XML entry (the input is at its data) into the open writer.
/// Returns its report, what its head said, its compressed size, and where
/// its CPU time went (when the system says).
pub(super) fn fix_entry(
    ctx: &EntryContext<'_>,
    entry: XmlEntry<'_>,
    input: &mut ZipInput,
    z: &mut ZipOut<FileOut>,
    progress: &mut dyn FnMut(u64),
) -> Result<(Report, Sniffed, u64, Option<StageCpu>), Failure> {
    let began = Instant::now();
    let XmlEntry { e, d, local_extra } = entry;
    let job = ctx.job;
    let (blocks, packed, read) = (ctx.blocks, ctx.packed, ctx.read);
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
        let cancel = job.cancel;
        let reader = s.spawn(move || {
            let watch = Stopwatch::start();
            read_xml(input, e, inflater, rtx, pool_rx, read, cancel);
            watch.spent()
        });
        let writer = s.spawn(move || {
            let watch = Stopwatch::start();
            (write_blocks(zw, wrx, packed), watch.spent())
        });
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let jobs = Arc::clone(&jrx);
                let level = settings.level;
                s.spawn(move || {
                    let watch = Stopwatch::start();
                    deflate::worker(jobs, level, blocks, packed);
                    watch.spent()
                })
            })
            .collect();
        drop(jrx);
        let mut tick = || progress(read.load(Ordering::Relaxed));
        let queues = RepairQueues {
            from_reader: &rrx,
            spare_chunks: pool_tx,
            jobs: jtx,
            to_writer: &wtx,
            blocks,
        };
        let watch = Stopwatch::start();
        let repaired = repair(
            e,
            fixer,
            settings.block_size,
            queues,
            &mut sniffed,
            &mut tick,
        );
        let xml = watch.spent();
        drop(wtx);
        drop(rrx);
        let (written, write) = match writer.join() {
            Ok((w, cpu)) => (Ok(w), cpu),
            Err(p) => (Err(p), None),
        };
        let inflate = reader.join().ok().flatten();
        // The workers end when the repair's job queue closes, as it has.
        let deflate = workers
            .into_iter()
            .map(|w| w.join().ok().flatten())
            .sum::<Option<Duration>>();
        let cpu = match (inflate, xml, deflate, write) {
            (Some(inflate), Some(xml), Some(deflate), Some(write)) => Some(StageCpu {
                inflate,
                xml,
                deflate,
                deflate_threads: threads,
                write,
                wall: began.elapsed(),
            }),
            _ => None,
        };
        (repaired, written, cpu)
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
    Ok((report, sniffed, sizes.compressed, outcome.2))
}

/// The repair stage's ends of the queues: chunks in from the reader (and
/// their buffers back to it), blocks out to the deflate workers, their
/// future results to the writer in order.
struct RepairQueues<'a> {
    from_reader: &'a Receiver<FromReader>,
    spare_chunks: SyncSender<Vec<u8>>,
    jobs: SyncSender<Job>,
    to_writer: &'a SyncSender<ToWriter>,
    /// Buffers for the blocks of repaired output.
    blocks: &'a Pool,
}

/// The calling thread's part: runs the entry through its Fixer into blocks
/// of `block_size`, noting what the entry's head says in `sniffed`.
fn repair(
    e: &CentralEntry,
    mut fixer: Fixer,
    block_size: usize,
    q: RepairQueues<'_>,
    sniffed: &mut Sniffed,
    tick: &mut dyn FnMut(),
) -> Result<Report, Stop> {
    let rrx = q.from_reader;
    let recv = || -> Result<FromReader, Stop> {
        match rrx.recv() {
            Ok(FromReader::Failed(e)) => Err(Stop::Failed(e)),
            Ok(m) => Ok(m),
            Err(_) => Err(Stop::Failed(
                io::Error::other("the reader stopped early").into(),
            )),
        }
    };
    let mut sink = BlockSink::new(block_size, &q.jobs, q.to_writer, q.blocks);
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
                if sink.hung_up() {
                    return Err(Stop::Hangup);
                }
                let _ = q.spare_chunks.try_send(chunk);
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
    q.to_writer
        .send(ToWriter::EndStream)
        .map_err(|_| Stop::Hangup)?;
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
    cancel: &Cancel,
) {
    let fail = |err: Error| {
        let _ = tx.send(FromReader::Failed(err));
    };
    let mut raw = vec![0u8; CHUNK];
    let mut remaining = e.compressed_size;
    let mut hung_up = false;
    while remaining > 0 {
        if let Err(stop) = cancel.check() {
            return fail(stop.into());
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
