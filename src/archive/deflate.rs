//! Parallel deflate, pigz-style: the stream is cut into blocks; each block is
//! compressed on its own (on any core) as raw deflate primed with the last
//! 32 KiB of the block before it, and ended with a sync flush (a byte-aligned
//! empty stored block), so the blocks' outputs concatenate into one valid
//! deflate stream; the last block ends the stream. Each block's CRC-32 is
//! computed beside it and the CRCs are combined in order.

use flate2::{Compress, Compression, FlushCompress, Status};
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Mutex};

/// Size of the deflate window: how much of the previous block primes the next.
pub(crate) const WINDOW: usize = 32 << 10;

/// One block to compress.
pub(crate) struct Job {
    /// The uncompressed bytes.
    pub data: Vec<u8>,
    /// The up to 32 KiB that precede `data` in the stream.
    pub dict: Vec<u8>,
    /// Whether this block ends the stream.
    pub last: bool,
    /// Where the result goes.
    pub reply: SyncSender<Result<Block, String>>,
}

/// One compressed block.
pub(crate) struct Block {
    /// The compressed bytes.
    pub bytes: Vec<u8>,
    /// CRC-32 of the uncompressed bytes.
    pub crc: u32,
    /// Number of uncompressed bytes.
    pub len: u64,
}

/// Compresses `data` as one block of a larger raw deflate stream into `out`
/// (cleared first): primed with `dict`, ended with a sync flush, or with the
/// end of the stream when `last`.
pub(crate) fn compress_block(
    c: &mut Compress,
    data: &[u8],
    dict: &[u8],
    last: bool,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    c.reset();
    if !dict.is_empty() {
        c.set_dictionary(dict).map_err(|e| e.to_string())?;
    }
    out.clear();
    // Room for incompressible data: stored blocks cost 5 bytes per 16 KiB or so.
    out.reserve(data.len() + data.len() / 64 + 64);
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let start_in = c.total_in();
    loop {
        let consumed = (c.total_in() - start_in) as usize;
        let status = c
            .compress_vec(&data[consumed..], out, flush)
            .map_err(|e| e.to_string())?;
        let all_in = (c.total_in() - start_in) as usize == data.len();
        let done = match status {
            Status::StreamEnd => true,
            // A flush is complete when it left room in the output.
            _ => !last && all_in && out.len() < out.capacity(),
        };
        if done {
            return Ok(());
        }
        if out.len() == out.capacity() {
            out.reserve(out.capacity() / 4 + 64);
        }
    }
}

/// Buffers handed back for reuse, so that steady state allocates nothing
/// (fresh megabyte buffers cost page faults on every block).
#[derive(Default)]
pub(crate) struct Pool {
    free: Mutex<Vec<Vec<u8>>>,
}

impl Pool {
    /// Most buffers kept.
    const KEEP: usize = 16;

    /// A cleared buffer, reused when one is free.
    pub fn get(&self) -> Vec<u8> {
        let mut v = self
            .free
            .lock()
            .ok()
            .and_then(|mut f| f.pop())
            .unwrap_or_default();
        v.clear();
        v
    }

    /// Hands a buffer back.
    pub fn put(&self, v: Vec<u8>) {
        if let Ok(mut f) = self.free.lock()
            && f.len() < Self::KEEP
        {
            f.push(v);
        }
    }
}

/// A compression worker: takes jobs until the queue closes. Compressed
/// bytes go into buffers from `packed`; the blocks' input buffers go back
/// to `blocks`.
pub(crate) fn worker(jobs: Arc<Mutex<Receiver<Job>>>, level: u32, blocks: &Pool, packed: &Pool) {
    let mut c = Compress::new(Compression::new(level), false);
    loop {
        let job = {
            let Ok(rx) = jobs.lock() else { return };
            match rx.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        let mut bytes = packed.get();
        let result =
            compress_block(&mut c, &job.data, &job.dict, job.last, &mut bytes).map(|()| Block {
                bytes,
                crc: crc32fast::hash(&job.data),
                len: job.data.len() as u64,
            });
        blocks.put(job.data);
        // The writer may have stopped (an error elsewhere): nothing to do then.
        let _ = job.reply.send(result);
    }
}

/// Combines the CRCs of consecutive blocks.
#[derive(Default)]
pub(crate) struct CrcChain {
    hasher: crc32fast::Hasher,
    len: u64,
}

impl CrcChain {
    /// Appends a block with CRC `crc` over `len` bytes.
    pub fn push(&mut self, crc: u32, len: u64) {
        self.hasher
            .combine(&crc32fast::Hasher::new_with_initial_len(crc, len));
        self.len += len;
    }

    /// The CRC of everything pushed, and its length.
    pub fn finish(self) -> (u32, u64) {
        (self.hasher.finalize(), self.len)
    }
}

/// Compression level flags (general purpose bits 1-2) for a deflate level,
/// as Info-ZIP sets them.
pub(crate) fn level_flags(level: u32) -> u16 {
    match level {
        0 | 1 => 0b110,
        2 => 0b100,
        8 | 9 => 0b010,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn blocks(data: &[u8], size: usize, level: u32) -> (Vec<u8>, u32) {
        let mut c = Compress::new(Compression::new(level), false);
        let mut stream = Vec::new();
        let mut chain = CrcChain::default();
        let pieces: Vec<&[u8]> = if data.is_empty() {
            vec![&[]]
        } else {
            data.chunks(size).collect()
        };
        let mut offset: usize = 0;
        for (i, piece) in pieces.iter().enumerate() {
            let dict = &data[offset.saturating_sub(WINDOW)..offset];
            let mut out = Vec::new();
            compress_block(&mut c, piece, dict, i + 1 == pieces.len(), &mut out).unwrap();
            stream.extend_from_slice(&out);
            chain.push(crc32fast::hash(piece), piece.len() as u64);
            offset += piece.len();
        }
        let (crc, len) = chain.finish();
        assert_eq!(len, data.len() as u64);
        (stream, crc)
    }

    #[test]
    fn blocks_concatenate_into_one_stream_with_the_right_crc() {
        let mut data = Vec::new();
        for i in 0..20_000u32 {
            data.extend_from_slice(format!("<Row id=\"{i}\" v=\"{}\"/>\n", i * 7 % 13).as_bytes());
        }
        for (size, level) in [(4096, 1), (100_000, 6), (1 << 20, 9), (333, 0)] {
            let (stream, crc) = blocks(&data, size, level);
            let mut back = Vec::new();
            flate2::read::DeflateDecoder::new(&stream[..])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, data, "block size {size} level {level}");
            assert_eq!(crc, crc32fast::hash(&data));
        }
        let (stream, crc) = blocks(&[], 10, 1);
        let mut back = Vec::new();
        flate2::read::DeflateDecoder::new(&stream[..])
            .read_to_end(&mut back)
            .unwrap();
        assert!(back.is_empty());
        assert_eq!(crc, 0);
    }

    #[test]
    fn the_dictionary_makes_blocks_compress_like_one_stream() {
        let line = b"<Action id=\"1\" body=\"the same words again and again\"/>\n";
        let data = line.repeat(50_000);
        let (primed, _) = blocks(&data, 64 << 10, 1);
        // Unprimed: each block compressed alone.
        let mut c = Compress::new(Compression::new(1), false);
        let mut alone = 0;
        for piece in data.chunks(64 << 10) {
            let mut out = Vec::new();
            compress_block(&mut c, piece, &[], false, &mut out).unwrap();
            alone += out.len();
        }
        assert!(primed.len() < alone, "{} vs {alone}", primed.len());
    }
}
