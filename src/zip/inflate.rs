//! Inflates one entry's data as it is pushed in, in bounded memory, and
//! checks it: never past the declared size (zip bombs), the stream must end
//! where the data ends (truncation), and the CRC-32 must match.

use crate::zip::format::{DEFLATED, STORED};
use flate2::{Decompress, FlushDecompress, Status};

/// Why an entry's data is not what its directory record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fault {
    /// The method is neither stored nor deflate.
    Method(u16),
    /// More output than the declared size.
    TooLarge { declared: u64 },
    /// The deflate stream is invalid.
    Corrupt(String),
    /// The compressed data ended before the deflate stream did.
    Truncated,
    /// The stream ended with fewer bytes than declared.
    Short { declared: u64, found: u64 },
    /// The CRC-32 of the data differs from the recorded one.
    Crc { recorded: u32, computed: u32 },
}

impl Fault {
    /// A sentence for an error message.
    pub fn describe(&self) -> String {
        match self {
            Fault::Method(m) => format!("compression method {m} cannot be read"),
            Fault::TooLarge { declared } => {
                format!("it inflates past its declared size of {declared} bytes")
            }
            Fault::Corrupt(why) => format!("its compressed data is corrupt ({why})"),
            Fault::Truncated => "its compressed data ends before the deflate stream does".into(),
            Fault::Short { declared, found } => format!(
                "it inflates to {found} bytes but the central directory declares {declared}"
            ),
            Fault::Crc { recorded, computed } => format!(
                "CRC-32 mismatch: the archive records {recorded:08x}, the data gives {computed:08x}"
            ),
        }
    }
}

/// The inflate state and output buffer of a finished entry, kept for the next.
#[derive(Default)]
pub(crate) struct Spare {
    decompress: Option<Decompress>,
    out: Vec<u8>,
}

/// Inflates pushed compressed bytes into chunks of at most `chunk` bytes.
pub(crate) struct Inflater {
    decompress: Option<Decompress>,
    out: Vec<u8>,
    chunk: usize,
    produced: u64,
    declared: u64,
    recorded_crc: u32,
    crc: crc32fast::Hasher,
    ended: bool,
}

impl Inflater {
    /// An inflater for an entry of `method` that declares `declared` bytes and CRC `crc`.
    pub fn new(method: u16, declared: u64, crc: u32, chunk: usize) -> Result<Self, Fault> {
        Self::reusing(method, declared, crc, chunk, &mut Spare::default())
    }

    /// [`Inflater::new`], taking the inflate state from `spare` when there
    /// is one (see [`Inflater::finish_into`]): a million small entries then
    /// cost no million allocations of zlib's window.
    pub fn reusing(
        method: u16,
        declared: u64,
        crc: u32,
        chunk: usize,
        spare: &mut Spare,
    ) -> Result<Self, Fault> {
        let decompress = match method {
            STORED => None,
            DEFLATED => Some(match spare.decompress.take() {
                Some(mut d) => {
                    d.reset(false);
                    d
                }
                None => Decompress::new(false),
            }),
            m => return Err(Fault::Method(m)),
        };
        let mut out = std::mem::take(&mut spare.out);
        out.clear();
        Ok(Self {
            decompress,
            out,
            chunk: chunk.max(1),
            produced: 0,
            declared,
            recorded_crc: crc,
            crc: crc32fast::Hasher::new(),
            ended: false,
        })
    }

    /// Gives the buffer to fill next (reused when `emit` left it allocated).
    fn ready_out(&mut self) {
        if self.out.capacity() < self.chunk {
            self.out = Vec::with_capacity(self.chunk);
        }
    }

    /// Inflates `input`, calling `emit` with each full chunk. `emit` may take
    /// the vector (to send it on) or leave it, to have it cleared and reused.
    pub fn push<E>(&mut self, mut input: &[u8], emit: &mut E) -> Result<(), Fault>
    where
        E: FnMut(&mut Vec<u8>) -> bool,
    {
        while !input.is_empty() {
            self.ready_out();
            let Some(d) = self.decompress.as_mut() else {
                // Stored: the input is the data.
                let room = self.out.capacity() - self.out.len();
                let n = room.min(input.len());
                self.produce(&input[..n])?;
                input = &input[n..];
                if self.out.len() == self.out.capacity() && !self.flush(emit) {
                    return Ok(());
                }
                continue;
            };
            if self.ended {
                // Data after the end of the deflate stream is ignored (as unzip does).
                return Ok(());
            }
            let before_in = d.total_in();
            let before_out = self.out.len();
            let status = d
                .decompress_vec(input, &mut self.out, FlushDecompress::None)
                .map_err(|e| Fault::Corrupt(e.to_string()))?;
            let consumed = (d.total_in() - before_in) as usize;
            input = &input[consumed..];
            let new = before_out..self.out.len();
            self.account(new)?;
            if status == Status::StreamEnd {
                self.ended = true;
            }
            if consumed == 0 && self.out.len() == before_out && !self.ended {
                // No progress with input left and room to write: zlib cannot
                // use what it was given. Treat as corrupt.
                return Err(Fault::Corrupt(
                    "the deflate stream makes no progress".into(),
                ));
            }
            if self.out.len() == self.out.capacity() && !self.flush(emit) {
                return Ok(());
            }
        }
        Ok(())
    }

    fn produce(&mut self, bytes: &[u8]) -> Result<(), Fault> {
        let start = self.out.len();
        self.out.extend_from_slice(bytes);
        self.account(start..self.out.len())
    }

    fn account(&mut self, new: std::ops::Range<usize>) -> Result<(), Fault> {
        let n = (new.end - new.start) as u64;
        self.produced += n;
        if self.produced > self.declared {
            return Err(Fault::TooLarge {
                declared: self.declared,
            });
        }
        self.crc.update(&self.out[new]);
        Ok(())
    }

    /// Hands the current chunk to `emit`; false when `emit` asks to stop.
    fn flush<E: FnMut(&mut Vec<u8>) -> bool>(&mut self, emit: &mut E) -> bool {
        let go = emit(&mut self.out);
        self.out.clear();
        go
    }

    /// Ends the entry: for deflate, drains what zlib still holds; emits the
    /// last (partial) chunk; checks the stream ended, the size and the CRC.
    pub fn finish<E>(self, emit: &mut E) -> Result<(), Fault>
    where
        E: FnMut(&mut Vec<u8>) -> bool,
    {
        self.finish_into(emit, &mut Spare::default())
    }

    /// [`Inflater::finish`], leaving the inflate state in `spare` for the
    /// next entry.
    pub fn finish_into<E>(mut self, emit: &mut E, spare: &mut Spare) -> Result<(), Fault>
    where
        E: FnMut(&mut Vec<u8>) -> bool,
    {
        let mut d = self.decompress.take();
        let result = self.complete(d.as_mut(), emit);
        if d.is_some() {
            spare.decompress = d;
        }
        spare.out = std::mem::take(&mut self.out);
        result
    }

    /// Gives the inflate state and buffer back to `spare` without checking
    /// the end (the entry is abandoned).
    pub fn abandon(mut self, spare: &mut Spare) {
        if let Some(d) = self.decompress.take() {
            spare.decompress = Some(d);
        }
        spare.out = std::mem::take(&mut self.out);
    }

    fn complete<E>(&mut self, d: Option<&mut Decompress>, emit: &mut E) -> Result<(), Fault>
    where
        E: FnMut(&mut Vec<u8>) -> bool,
    {
        if let Some(d) = d {
            while !self.ended {
                if !self.out.is_empty()
                    && self.out.len() == self.out.capacity()
                    && !self.flush(emit)
                {
                    return Ok(());
                }
                self.ready_out();
                let before_out = self.out.len();
                let status = d
                    .decompress_vec(&[], &mut self.out, FlushDecompress::Finish)
                    .map_err(|e| Fault::Corrupt(e.to_string()))?;
                self.account(before_out..self.out.len())?;
                if status == Status::StreamEnd {
                    self.ended = true;
                } else if self.out.len() == before_out {
                    return Err(Fault::Truncated);
                }
                if self.out.len() == self.out.capacity() && !self.flush(emit) {
                    return Ok(());
                }
            }
        }
        if !self.out.is_empty() {
            self.flush(emit);
        }
        if self.produced != self.declared {
            return Err(Fault::Short {
                declared: self.declared,
                found: self.produced,
            });
        }
        let computed = self.crc.clone().finalize();
        if computed != self.recorded_crc {
            return Err(Fault::Crc {
                recorded: self.recorded_crc,
                computed,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn run(
        method: u16,
        packed: &[u8],
        declared: u64,
        crc: u32,
        piece: usize,
    ) -> Result<Vec<u8>, Fault> {
        let mut inf = Inflater::new(method, declared, crc, 7)?;
        let mut out = Vec::new();
        let mut emit = |v: &mut Vec<u8>| {
            assert!(v.len() <= 7);
            out.extend_from_slice(v);
            true
        };
        for p in packed.chunks(piece) {
            inf.push(p, &mut emit)?;
        }
        inf.finish(&mut emit)?;
        Ok(out)
    }

    #[test]
    fn inflates_in_bounded_chunks_however_fed() {
        let data = b"hello hello hello, world of zips and deflate streams".repeat(20);
        let packed = deflate(&data);
        let crc = crc32fast::hash(&data);
        for piece in [1, 3, 64, 100_000] {
            assert_eq!(
                run(8, &packed, data.len() as u64, crc, piece).unwrap(),
                data
            );
            assert_eq!(run(0, &data, data.len() as u64, crc, piece).unwrap(), data);
        }
    }

    #[test]
    fn bombs_truncation_and_crc_mismatch_are_caught() {
        let data = vec![b'a'; 100_000];
        let packed = deflate(&data);
        let crc = crc32fast::hash(&data);
        assert_eq!(
            run(8, &packed, 1000, crc, 4096),
            Err(Fault::TooLarge { declared: 1000 })
        );
        assert_eq!(
            run(8, &packed[..packed.len() / 2], 100_000, crc, 4096),
            Err(Fault::Truncated)
        );
        assert!(matches!(
            run(8, &packed, 100_000, crc ^ 1, 4096),
            Err(Fault::Crc { .. })
        ));
        assert!(matches!(
            run(8, &packed, 100_001, crc, 4096),
            Err(Fault::Short { .. })
        ));
        assert!(matches!(
            run(8, b"\xff\xff\xff\xff", 10, 0, 4),
            Err(Fault::Corrupt(_))
        ));
        assert!(matches!(Inflater::new(12, 0, 0, 1), Err(Fault::Method(12))));
    }
}
