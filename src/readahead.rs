//! A reader on a thread of its own: it fills chunks ahead of the consumer,
//! so that reading (and inflating) overlaps with the work done on what was
//! read. Used where one stream is the longest part of a job, as
//! `entities.xml` is of a `check`.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Bytes per chunk.
const CHUNK: usize = 256 << 10;
/// Chunks read ahead.
const DEPTH: usize = 4;

/// The consumer's end: a [`Read`] over the chunks the thread read.
pub(crate) struct ReadAhead {
    rx: Receiver<io::Result<Vec<u8>>>,
    back: SyncSender<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.cur.len() {
            if self.done {
                return Ok(0);
            }
            let used = std::mem::take(&mut self.cur);
            let _ = self.back.try_send(used);
            self.pos = 0;
            match self.rx.recv() {
                Ok(Ok(chunk)) if chunk.is_empty() => self.done = true,
                Ok(Ok(chunk)) => self.cur = chunk,
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Err(io::Error::other("the reading thread stopped"));
                }
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Runs `work` on a reader that `inner` feeds from another thread; returns
/// what `work` returned, and `inner` (to ask it why a read failed).
pub(crate) fn read_ahead<R: Read + Send, T>(
    mut inner: R,
    work: impl FnOnce(&mut ReadAhead) -> T,
) -> (T, R) {
    std::thread::scope(|s| {
        let (tx, rx) = sync_channel::<io::Result<Vec<u8>>>(DEPTH);
        let (back, spare) = sync_channel::<Vec<u8>>(DEPTH + 2);
        let reader = s.spawn(move || {
            loop {
                let mut buf = spare.try_recv().unwrap_or_default();
                buf.resize(CHUNK, 0);
                match crate::chunked::read_some(&mut inner, &mut buf) {
                    Ok(n) => {
                        buf.truncate(n);
                        if tx.send(Ok(buf)).is_err() || n == 0 {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            }
            inner
        });
        let mut ahead = ReadAhead {
            rx,
            back,
            cur: Vec::new(),
            pos: 0,
            done: false,
        };
        let out = work(&mut ahead);
        // Closing the channel stops the thread at its next chunk.
        drop(ahead);
        match reader.join() {
            Ok(inner) => (out, inner),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_and_errors_come_through_in_order() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let (got, _) = read_ahead(&data[..], |r| {
            let mut out = Vec::new();
            r.read_to_end(&mut out).map(|_| out)
        });
        assert_eq!(got.unwrap(), data);
        // A consumer that stops early does not hang the reader.
        let (first, _) = read_ahead(&data[..], |r| {
            let mut b = [0u8; 10];
            r.read_exact(&mut b).map(|()| b)
        });
        assert_eq!(first.unwrap(), data[..10]);
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let (err, _) = read_ahead(Failing, |r| r.read(&mut [0u8; 4]));
        assert!(err.unwrap_err().to_string().contains("disk on fire"));
    }
}
