//! The threads of an archive repair and the bounded queues between them:
//!
//! ```text
//! reader ──chunks──► transform (calling thread) ──blocks──► deflate workers (N)
//!  reads, inflates,   one Fixer per XML entry,               pigz-style blocks
//!  checks CRCs        raw copies passed through                     │
//!                              │                                    ▼
//!                              └──────── in entry order ──────► writer (zip out)
//! ```
//!
//! Every queue is a `sync_channel` with a small bound, so memory stays
//! bounded whatever the archive's size. Whichever stage fails first stops
//! the others: its queues close, the rest see it and return.

use crate::archive::deflate::{self, Block, CrcChain, Job, Pool, WINDOW};
use crate::archive::entry::{FLAG_UTF8, METHOD_DEFLATE, read_local_header};
use crate::archive::error::ArchiveError;
use crate::archive::inflate::{Fault, Inflater};
use crate::archive::layout::{Action, Plan, Planned, Sniffed, renamed_extra, sniff_entities};
use crate::archive::writer::{EntryMeta, Sizes, Written, ZipOut, deflate_version};
use crate::error::Error;
use crate::fixer::{Fixer, Options};
use crate::report::Report;
use crate::rules::facts::BackupFacts;
use crate::sink::Sink;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom};
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
/// Chunks queued between the reader and the transform.
const READ_QUEUE: usize = 4;

/// What the reader sends, per entry: `Start`, `Data`..., `End`.
enum FromReader {
    Start { local_extra: Vec<u8> },
    Data(Vec<u8>),
    End,
    Failed(Error),
}

/// What the writer receives, in output order.
enum ToWriter {
    BeginCopy {
        idx: usize,
        local_extra: Vec<u8>,
    },
    Raw(Vec<u8>),
    EndCopy {
        idx: usize,
    },
    BeginStream {
        idx: usize,
        local_extra: Vec<u8>,
    },
    Block(Receiver<Result<Block, String>>),
    EndStream,
    Replace {
        idx: usize,
        local_extra: Vec<u8>,
        bytes: Vec<u8>,
    },
    Finish,
}

/// The result of a pipeline run.
pub(crate) struct Outcome {
    /// Reports of the XML entries, with their plan index.
    pub xml: Vec<(usize, Report)>,
    /// What the head of entities.xml said.
    pub sniffed: Sniffed,
    /// The entries as written, in order.
    pub written: Vec<Written>,
    /// Plan index of each written entry.
    pub written_idx: Vec<usize>,
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

fn entry_error(p: &Planned, fault: Fault) -> Error {
    let entry = p.src.display().to_owned();
    Error::Archive(match fault {
        Fault::TooLarge { declared } => ArchiveError::SizeExceeded { entry, declared },
        Fault::Method(method) => ArchiveError::UnsupportedMethod { entry, method },
        f => ArchiveError::CorruptEntry {
            entry,
            detail: f.describe(),
        },
    })
}

/// Runs the repair of `plan` from `input` into `output`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    input: &File,
    input_len: u64,
    plan: &Plan,
    replaced: &HashMap<usize, Vec<u8>>,
    output: &File,
    comment: &[u8],
    options: &Options,
    facts: Option<&BackupFacts>,
    settings: &Settings,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome, Failure> {
    let input = input.try_clone().map_err(|e| Failure::Input(e.into()))?;
    let output = output.try_clone().map_err(|e| Failure::Output(e.into()))?;
    let read = AtomicU64::new(0);
    let threads = settings.threads.max(1);
    let blocks = Pool::default();
    let packed = Pool::default();
    std::thread::scope(|s| {
        let (rtx, rrx) = sync_channel::<FromReader>(READ_QUEUE);
        let (wtx, wrx) = sync_channel::<ToWriter>(threads * 2 + 2);
        let (jtx, jrx) = sync_channel::<Job>(threads);
        let (pool_tx, pool_rx) = sync_channel::<Vec<u8>>(READ_QUEUE + 2);
        let jrx = Arc::new(Mutex::new(jrx));
        let (blocks, packed) = (&blocks, &packed);
        let reader = s.spawn(|| {
            reader_thread(
                input, input_len, plan, replaced, settings, rtx, pool_rx, &read,
            )
        });
        let writer = s.spawn(|| writer_thread(output, plan, settings, comment, wrx, packed));
        for _ in 0..threads {
            let jobs = Arc::clone(&jrx);
            let level = settings.level;
            s.spawn(move || deflate::worker(jobs, level, blocks, packed));
        }
        drop(jrx);
        let mut tick = || progress(read.load(Ordering::Relaxed));
        let driven = transform(
            plan, replaced, options, facts, settings, rrx, &wtx, jtx, pool_tx, blocks, &mut tick,
        );
        drop(wtx);
        let written = writer.join();
        let unchecked = reader.join();
        let unchecked = match unchecked {
            Ok(n) => n,
            Err(_) => {
                return Err(Failure::Input(
                    io::Error::other("the reader thread panicked").into(),
                ));
            }
        };
        let written = match written {
            Ok(w) => w,
            Err(_) => {
                return Err(Failure::Output(
                    io::Error::other("the writer thread panicked").into(),
                ));
            }
        };
        let (xml, sniffed) = match driven {
            Ok(v) => v,
            Err(Stop::Failed(e)) => return Err(Failure::Input(e)),
            Err(Stop::Hangup) => {
                return Err(match written {
                    Err(e) => Failure::Output(e),
                    Ok(_) => Failure::Output(io::Error::other("the writer stopped early").into()),
                });
            }
        };
        let (written, written_idx, zip64, output_bytes) = written.map_err(Failure::Output)?;
        Ok(Outcome {
            xml,
            sniffed,
            written,
            written_idx,
            zip64,
            output_bytes,
            unchecked,
        })
    })
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

/// The calling thread's part: repairs XML entries, passes copies through.
#[allow(clippy::too_many_arguments)]
fn transform(
    plan: &Plan,
    replaced: &HashMap<usize, Vec<u8>>,
    options: &Options,
    facts: Option<&BackupFacts>,
    settings: &Settings,
    rrx: Receiver<FromReader>,
    wtx: &SyncSender<ToWriter>,
    jtx: SyncSender<Job>,
    pool: SyncSender<Vec<u8>>,
    blocks: &Pool,
    tick: &mut dyn FnMut(),
) -> Result<(Vec<(usize, Report)>, Sniffed), Stop> {
    let send = |m: ToWriter| wtx.send(m).map_err(|_| Stop::Hangup);
    let recv = || -> Result<FromReader, Stop> {
        match rrx.recv() {
            Ok(FromReader::Failed(e)) => Err(Stop::Failed(e)),
            Ok(m) => Ok(m),
            Err(_) => Err(Stop::Failed(
                io::Error::other("the reader stopped early").into(),
            )),
        }
    };
    let mut reports = Vec::new();
    let mut sniffed = Sniffed::default();
    for (idx, p) in plan.entries.iter().enumerate() {
        if p.action == Action::Drop {
            continue;
        }
        if let Some(bytes) = replaced.get(&idx) {
            let FromReader::Start { local_extra } = recv()? else {
                return Err(protocol());
            };
            if !matches!(recv()?, FromReader::End) {
                return Err(protocol());
            }
            send(ToWriter::Replace {
                idx,
                local_extra,
                bytes: bytes.clone(),
            })?;
            continue;
        }
        let FromReader::Start { local_extra } = recv()? else {
            return Err(protocol());
        };
        if p.action == Action::Fix {
            send(ToWriter::BeginStream { idx, local_extra })?;
            // Every XML entry gets the facts read from entities.xml: the
            // zone and base URL hold for activeobjects.xml and .pdata too.
            let mut fixer = match facts {
                Some(facts) => Fixer::with_facts(options.clone(), facts.clone()),
                None => Fixer::new(options.clone()),
            }
            .map_err(|e| Stop::Failed(e.in_entry(p.src.display())))?;
            let mut sink = BlockSink::new(settings.block_size, &jtx, wtx, blocks);
            let mut first = idx == plan.entities;
            // An XML error may be the symptom of a damaged archive: read the
            // rest of the entry first, so that a CRC or deflate error, the
            // real cause, is what the user sees.
            let in_entry = |e: Error| match drain(&rrx) {
                Some(damage) => Stop::Failed(damage),
                None => Stop::Failed(e.in_entry(p.src.display())),
            };
            loop {
                match recv()? {
                    FromReader::Data(chunk) => {
                        if first {
                            sniffed = sniff_entities(&chunk);
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
                    _ => return Err(protocol()),
                }
            }
            let report = fixer
                .finish(&mut sink)
                .map_err(|e| Stop::Failed(e.in_entry(p.src.display())))?;
            sink.finish()?;
            send(ToWriter::EndStream)?;
            reports.push((idx, report));
        } else {
            send(ToWriter::BeginCopy { idx, local_extra })?;
            loop {
                match recv()? {
                    FromReader::Data(raw) => {
                        send(ToWriter::Raw(raw))?;
                        tick();
                    }
                    FromReader::End => break,
                    _ => return Err(protocol()),
                }
            }
            send(ToWriter::EndCopy { idx })?;
        }
    }
    send(ToWriter::Finish)?;
    Ok((reports, sniffed))
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

fn protocol() -> Stop {
    Stop::Failed(io::Error::other("internal error: archive pipeline out of step").into())
}

/// Reads every entry in plan order: inflated chunks for XML entries, raw
/// compressed chunks (checked) for copies. Returns the number of copies whose
/// data could not be checked.
#[allow(clippy::too_many_arguments)]
fn reader_thread(
    mut file: File,
    file_len: u64,
    plan: &Plan,
    replaced: &HashMap<usize, Vec<u8>>,
    settings: &Settings,
    tx: SyncSender<FromReader>,
    pool: Receiver<Vec<u8>>,
    read: &AtomicU64,
) -> u64 {
    let mut unchecked = 0;
    let mut raw = vec![0u8; CHUNK];
    for (idx, p) in plan.entries.iter().enumerate() {
        if p.action == Action::Drop {
            continue;
        }
        let result = read_entry(
            &mut file,
            file_len,
            p,
            replaced.contains_key(&idx),
            settings,
            &tx,
            &pool,
            &mut raw,
            read,
        );
        match result {
            Ok(Sent::Checked) => {}
            Ok(Sent::Unchecked) => unchecked += 1,
            Ok(Sent::Hangup) => return unchecked,
            Err(e) => {
                let _ = tx.send(FromReader::Failed(e));
                return unchecked;
            }
        }
    }
    unchecked
}

enum Sent {
    Checked,
    Unchecked,
    Hangup,
}

#[allow(clippy::too_many_arguments)]
fn read_entry(
    file: &mut File,
    file_len: u64,
    p: &Planned,
    skip_data: bool,
    settings: &Settings,
    tx: &SyncSender<FromReader>,
    pool: &Receiver<Vec<u8>>,
    raw: &mut [u8],
    read: &AtomicU64,
) -> Result<Sent, Error> {
    let src = &p.src;
    let local = read_local_header(file, src, file_len)?;
    if tx
        .send(FromReader::Start {
            local_extra: local.extra,
        })
        .is_err()
    {
        return Ok(Sent::Hangup);
    }
    if skip_data {
        return Ok(if tx.send(FromReader::End).is_ok() {
            Sent::Checked
        } else {
            Sent::Hangup
        });
    }
    file.seek(SeekFrom::Start(local.data_start))?;
    let fix = p.action == Action::Fix;
    let mut inflater = if fix {
        Some(Inflater::new(src.method, src.size, src.crc, CHUNK).map_err(|f| entry_error(p, f))?)
    } else if settings.check_copies && !src.is_dir() {
        Inflater::new(src.method, src.size, src.crc, CHUNK).ok()
    } else {
        None
    };
    let checked = inflater.is_some() || src.is_dir();
    let mut hung_up = false;
    let mut remaining = src.compressed_size;
    while remaining > 0 {
        crate::interrupt::check()?;
        let n = remaining.min(raw.len() as u64) as usize;
        file.read_exact(&mut raw[..n]).map_err(|e| {
            Error::Archive(ArchiveError::CorruptEntry {
                entry: src.display().to_owned(),
                detail: format!("its data cannot be read: {e}"),
            })
        })?;
        remaining -= n as u64;
        read.fetch_add(n as u64, Ordering::Relaxed);
        if fix {
            let mut emit = |v: &mut Vec<u8>| {
                let full = mem::replace(v, pool.try_recv().unwrap_or_default());
                v.clear();
                if tx.send(FromReader::Data(full)).is_err() {
                    hung_up = true;
                }
                !hung_up
            };
            if let Some(inf) = inflater.as_mut() {
                inf.push(&raw[..n], &mut emit)
                    .map_err(|f| entry_error(p, f))?;
            }
        } else {
            if let Some(inf) = inflater.as_mut() {
                inf.push(&raw[..n], &mut |_| true)
                    .map_err(|f| entry_error(p, f))?;
            }
            if tx.send(FromReader::Data(raw[..n].to_vec())).is_err() {
                hung_up = true;
            }
        }
        if hung_up {
            return Ok(Sent::Hangup);
        }
    }
    if let Some(inf) = inflater {
        if fix {
            let mut emit = |v: &mut Vec<u8>| {
                let full = mem::take(v);
                if tx.send(FromReader::Data(full)).is_err() {
                    hung_up = true;
                }
                !hung_up
            };
            inf.finish(&mut emit).map_err(|f| entry_error(p, f))?;
        } else {
            inf.finish(&mut |_| true).map_err(|f| entry_error(p, f))?;
        }
    }
    if hung_up || tx.send(FromReader::End).is_err() {
        return Ok(Sent::Hangup);
    }
    Ok(if checked {
        Sent::Checked
    } else {
        Sent::Unchecked
    })
}

/// The output metadata of a planned entry.
fn meta_for(p: &Planned, local_extra: Vec<u8>, stream_level: Option<u32>) -> EntryMeta {
    let src = &p.src;
    let (local_extra, central_extra) = if p.renamed() {
        (
            renamed_extra(&local_extra, p.out_name(), p.out_display()),
            renamed_extra(&src.central_extra, p.out_name(), p.out_display()),
        )
    } else {
        (local_extra, src.central_extra.to_vec())
    };
    let mut meta = EntryMeta {
        name: p.out_name().to_vec(),
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
        meta.method = METHOD_DEFLATE;
        meta.flags = (src.flags & FLAG_UTF8) | deflate::level_flags(level);
        meta.version_needed = deflate_version(20);
    }
    meta
}

type WriterResult = Result<(Vec<Written>, Vec<usize>, bool, u64), Error>;

fn writer_thread(
    file: File,
    plan: &Plan,
    settings: &Settings,
    comment: &[u8],
    rx: Receiver<ToWriter>,
    packed: &Pool,
) -> WriterResult {
    let mut z = ZipOut::new(
        BufWriter::with_capacity(CHUNK, file),
        settings.force_zip64,
        &settings.scratch,
        crate::spill::IN_MEMORY,
    );
    let mut order = Vec::new();
    let mut chain = CrcChain::default();
    let mut compressed = 0u64;
    let sizes_of = |p: &Planned| Sizes {
        crc: p.src.crc,
        compressed: p.src.compressed_size,
        uncompressed: p.src.size,
    };
    let stopped = || Error::from(io::Error::other("stopped"));
    loop {
        let Ok(msg) = rx.recv() else {
            return Err(stopped());
        };
        match msg {
            ToWriter::BeginCopy { idx, local_extra } => {
                let p = &plan.entries[idx];
                z.begin_copy(meta_for(p, local_extra, None), sizes_of(p))?;
                order.push(idx);
            }
            ToWriter::Raw(bytes) => z.data(&bytes)?,
            ToWriter::EndCopy { idx } => z.end(sizes_of(&plan.entries[idx]))?,
            ToWriter::BeginStream { idx, local_extra } => {
                let p = &plan.entries[idx];
                z.begin_stream(meta_for(p, local_extra, Some(settings.level)))?;
                order.push(idx);
                chain = CrcChain::default();
                compressed = 0;
            }
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
                let (crc, len) = mem::take(&mut chain).finish();
                z.end(Sizes {
                    crc,
                    compressed,
                    uncompressed: len,
                })?;
            }
            ToWriter::Replace {
                idx,
                local_extra,
                bytes,
            } => {
                let p = &plan.entries[idx];
                let mut c = flate2::Compress::new(flate2::Compression::new(settings.level), false);
                let mut packed = Vec::new();
                deflate::compress_block(&mut c, &bytes, &[], true, &mut packed)
                    .map_err(|e| io::Error::other(format!("deflate failed: {e}")))?;
                z.begin_stream(meta_for(p, local_extra, Some(settings.level)))?;
                order.push(idx);
                z.data(&packed)?;
                z.end(Sizes {
                    crc: crc32fast::hash(&bytes),
                    compressed: packed.len() as u64,
                    uncompressed: bytes.len() as u64,
                })?;
            }
            ToWriter::Finish => {
                let (w, written, zip64) = z.finish(comment)?;
                let file = w.into_inner().map_err(|e| e.into_error())?;
                let len = file.metadata()?.len();
                return Ok((written, order, zip64, len));
            }
        }
    }
}
