//! The sink the repair writes into for a zip entry: it cuts the repaired
//! output into blocks, hands each to the deflate workers with the window
//! before it, and queues its future result with the writer, in order.

use super::xml_entry::{Stop, ToWriter};
use crate::archive::deflate::{Job, Pool, WINDOW};
use crate::sink::Sink;
use std::mem;
use std::sync::mpsc::{SyncSender, sync_channel};

/// Collects the repaired output into blocks and hands each to the deflate
/// workers, queueing its future result with the writer in order.
pub(super) struct BlockSink<'a> {
    cur: Vec<u8>,
    tail: Vec<u8>,
    block: usize,
    jobs: &'a SyncSender<Job>,
    writer: &'a SyncSender<ToWriter>,
    pool: &'a Pool,
    hung_up: bool,
}

impl<'a> BlockSink<'a> {
    pub(super) fn new(
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

    /// Whether the workers or the writer hung up (their error says why).
    pub(super) fn hung_up(&self) -> bool {
        self.hung_up
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
    pub(super) fn finish(mut self) -> Result<(), Stop> {
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
