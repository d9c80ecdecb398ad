//! Per-entry state that must last to the end of a job, in memory up to a
//! limit and then in anonymous temporary files, so memory does not grow with
//! the number of entries: the bytes of a zip's central directory being
//! written ([`Spill`]), and the hashes of names seen, to find repeats
//! ([`HashRuns`]).

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Bytes held in memory before the rest goes to a temporary file.
pub(crate) const IN_MEMORY: usize = 4 << 20;

/// Bytes collected in order, in memory or spilled to a temporary file.
/// The default is an empty placeholder, to move a collected one out with
/// `mem::take`.
#[derive(Default)]
pub(crate) struct Spill {
    mem: Vec<u8>,
    file: Option<BufWriter<File>>,
    dir: PathBuf,
    limit: usize,
    len: u64,
}

impl Spill {
    /// Collects up to `limit` bytes in memory; beyond that, everything goes
    /// to an anonymous file in `dir` (removed by the system once closed).
    pub(crate) fn new(dir: &Path, limit: usize) -> Self {
        Self {
            mem: Vec::new(),
            file: None,
            dir: dir.to_path_buf(),
            limit,
            len: 0,
        }
    }

    /// Appends `bytes`.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.file.is_none() && self.mem.len() + bytes.len() > self.limit {
            let mut f = BufWriter::new(tempfile::tempfile_in(&self.dir)?);
            f.write_all(&self.mem)?;
            self.mem = Vec::new();
            self.file = Some(f);
        }
        match &mut self.file {
            Some(f) => f.write_all(bytes)?,
            None => self.mem.extend_from_slice(bytes),
        }
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Bytes collected so far.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Whether the bytes went to a temporary file.
    #[cfg(test)]
    pub(crate) fn spilled(&self) -> bool {
        self.file.is_some()
    }

    /// Hands every byte collected, in order, to `out`.
    pub(crate) fn drain(self, mut out: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        let Some(w) = self.file else {
            return out(&self.mem);
        };
        let mut f = w.into_inner().map_err(io::IntoInnerError::into_error)?;
        f.seek(SeekFrom::Start(0))?;
        let mut chunk = vec![0u8; 256 << 10];
        loop {
            match f.read(&mut chunk) {
                Ok(0) => return Ok(()),
                Ok(n) => out(&chunk[..n])?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// 64-bit hashes collected to find the repeated ones: in memory up to a
/// limit, then as sorted runs in anonymous temporary files, merged at the
/// end. Eight bytes per value in memory at most, however many values.
pub(crate) struct HashRuns {
    mem: Vec<u64>,
    runs: Vec<File>,
    dir: PathBuf,
    limit: usize,
}

impl HashRuns {
    /// Holds up to `limit` hashes in memory; beyond, sorted runs go to `dir`.
    pub(crate) fn new(dir: &Path, limit: usize) -> Self {
        Self {
            mem: Vec::new(),
            runs: Vec::new(),
            dir: dir.to_path_buf(),
            limit: limit.max(1),
        }
    }

    /// Adds one hash.
    pub(crate) fn push(&mut self, h: u64) -> io::Result<()> {
        self.mem.push(h);
        if self.mem.len() >= self.limit {
            self.mem.sort_unstable();
            let mut f = BufWriter::new(tempfile::tempfile_in(&self.dir)?);
            for v in &self.mem {
                f.write_all(&v.to_le_bytes())?;
            }
            let mut f = f.into_inner().map_err(io::IntoInnerError::into_error)?;
            f.seek(SeekFrom::Start(0))?;
            self.runs.push(f);
            self.mem.clear();
        }
        Ok(())
    }

    /// The hashes pushed more than once (each listed once, at most `cap`).
    pub(crate) fn repeated(mut self, cap: usize) -> io::Result<Vec<u64>> {
        self.mem.sort_unstable();
        let mut out = Vec::new();
        let mut last = None;
        let mut note = |v: u64, out: &mut Vec<u64>| {
            if last == Some(v) && out.last() != Some(&v) && out.len() < cap {
                out.push(v);
            }
            last = Some(v);
        };
        if self.runs.is_empty() {
            for &v in &self.mem {
                note(v, &mut out);
            }
            return Ok(out);
        }
        // A k-way merge of the runs and what is left in memory.
        let mut readers: Vec<io::BufReader<File>> =
            self.runs.into_iter().map(io::BufReader::new).collect();
        let next = |r: &mut io::BufReader<File>| -> io::Result<Option<u64>> {
            let mut b = [0u8; 8];
            match r.read_exact(&mut b) {
                Ok(()) => Ok(Some(u64::from_le_bytes(b))),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
                Err(e) => Err(e),
            }
        };
        let mut heads = std::collections::BinaryHeap::new();
        for (i, r) in readers.iter_mut().enumerate() {
            if let Some(v) = next(r)? {
                heads.push(std::cmp::Reverse((v, i)));
            }
        }
        let mem_run = readers.len();
        let mut mem_at = 0;
        if let Some(&v) = self.mem.first() {
            heads.push(std::cmp::Reverse((v, mem_run)));
            mem_at = 1;
        }
        while let Some(std::cmp::Reverse((v, i))) = heads.pop() {
            note(v, &mut out);
            let following = if i == mem_run {
                let v = self.mem.get(mem_at).copied();
                mem_at += 1;
                v
            } else {
                next(&mut readers[i])?
            };
            if let Some(n) = following {
                heads.push(std::cmp::Reverse((n, i)));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collected(limit: usize, pieces: &[&[u8]]) -> (Vec<u8>, bool, u64) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spill::new(dir.path(), limit);
        for p in pieces {
            s.push(p).unwrap();
        }
        let (spilled, len) = (s.spilled(), s.len());
        let mut out = Vec::new();
        s.drain(|b| {
            out.extend_from_slice(b);
            Ok(())
        })
        .unwrap();
        (out, spilled, len)
    }

    #[test]
    fn bytes_come_back_in_order_in_memory_or_spilled() {
        let big = vec![7u8; 600 << 10];
        let pieces: [&[u8]; 4] = [b"first ", &big, b" middle ", b"last"];
        let want: Vec<u8> = pieces.concat();
        for limit in [0, 10, 100 << 10, 1 << 30] {
            let (out, spilled, len) = collected(limit, &pieces);
            assert_eq!(out, want, "limit {limit}");
            assert_eq!(len, want.len() as u64);
            assert_eq!(spilled, limit < want.len(), "limit {limit}");
        }
        assert_eq!(collected(0, &[]), (Vec::new(), false, 0));
    }

    #[test]
    fn repeated_hashes_are_found_in_memory_and_across_runs() {
        let dir = tempfile::tempdir().unwrap();
        let values: Vec<u64> = (0..10_000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        for limit in [1, 7, 100, 1 << 20] {
            let mut h = HashRuns::new(dir.path(), limit);
            for &v in &values {
                h.push(v).unwrap();
            }
            h.push(values[42]).unwrap();
            h.push(values[9_999]).unwrap();
            h.push(values[42]).unwrap();
            let mut want = vec![values[42], values[9_999]];
            want.sort_unstable();
            assert_eq!(h.repeated(10).unwrap(), want, "limit {limit}");
        }
        let mut h = HashRuns::new(dir.path(), 3);
        for v in 0..10 {
            h.push(v).unwrap();
        }
        assert!(h.repeated(10).unwrap().is_empty());
    }
}
