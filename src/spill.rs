//! Per-entry state that must last to the end of a job, in memory up to a
//! limit and then in anonymous temporary files, so memory does not grow with
//! the number of entries: the bytes of a zip's central directory being
//! written ([`Spill`]), and the hashes of names seen, to find repeats
//! ([`HashRuns`]).

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Bytes held in memory before the rest goes to a temporary file.
#[cfg(feature = "archive")]
pub(crate) const IN_MEMORY: usize = 4 << 20;

/// Bytes collected in order, in memory or spilled to a temporary file.
/// The default is an empty placeholder, to move a collected one out with
/// `mem::take`.
#[derive(Default)]
#[cfg(feature = "archive")]
pub(crate) struct Spill {
    mem: Vec<u8>,
    file: Option<BufWriter<File>>,
    dir: PathBuf,
    limit: usize,
    len: u64,
}

#[cfg(feature = "archive")]
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
            match crate::chunked::read_some(&mut f, &mut chunk)? {
                0 => return Ok(()),
                n => out(&chunk[..n])?,
            }
        }
    }
}

/// Fixed-size records of `N` numbers, collected in any order and given back
/// sorted: in memory up to a limit, then as sorted runs in anonymous
/// temporary files, merged at the end. `8 * N` bytes per record in memory at
/// most, however many records.
pub(crate) struct SortedRuns<const N: usize> {
    mem: Vec<[u64; N]>,
    runs: Vec<File>,
    dir: PathBuf,
    limit: usize,
}

impl<const N: usize> SortedRuns<N> {
    /// Holds up to `limit` records in memory; beyond, sorted runs go to `dir`.
    pub(crate) fn new(dir: &Path, limit: usize) -> Self {
        Self {
            mem: Vec::new(),
            runs: Vec::new(),
            dir: dir.to_path_buf(),
            limit: limit.max(1),
        }
    }

    /// Adds one record.
    pub(crate) fn push(&mut self, record: [u64; N]) -> io::Result<()> {
        self.mem.push(record);
        if self.mem.len() >= self.limit {
            self.mem.sort_unstable();
            let mut f = BufWriter::new(tempfile::tempfile_in(&self.dir)?);
            for r in &self.mem {
                for v in r {
                    f.write_all(&v.to_le_bytes())?;
                }
            }
            let mut f = f.into_inner().map_err(io::IntoInnerError::into_error)?;
            f.seek(SeekFrom::Start(0))?;
            self.runs.push(f);
            self.mem.clear();
        }
        Ok(())
    }

    /// Every record pushed, in ascending order.
    pub(crate) fn into_sorted(mut self) -> io::Result<Sorted<N>> {
        self.mem.sort_unstable();
        let mut readers: Vec<io::BufReader<File>> = self
            .runs
            .into_iter()
            .map(|f| io::BufReader::with_capacity(64 << 10, f))
            .collect();
        let mut heads = std::collections::BinaryHeap::new();
        for (i, r) in readers.iter_mut().enumerate() {
            if let Some(v) = read_record(r)? {
                heads.push(std::cmp::Reverse((v, i)));
            }
        }
        Ok(Sorted {
            readers,
            heads,
            mem: self.mem.into_iter(),
            mem_head: None,
        })
    }
}

fn read_record<const N: usize>(r: &mut io::BufReader<File>) -> io::Result<Option<[u64; N]>> {
    let mut out = [0u64; N];
    let mut b = [0u8; 8];
    for (k, v) in out.iter_mut().enumerate() {
        match r.read_exact(&mut b) {
            Ok(()) => *v = u64::from_le_bytes(b),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && k == 0 => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Ok(Some(out))
}

/// The records of [`SortedRuns`] in ascending order (a k-way merge).
pub(crate) struct Sorted<const N: usize> {
    readers: Vec<io::BufReader<File>>,
    heads: std::collections::BinaryHeap<std::cmp::Reverse<([u64; N], usize)>>,
    mem: std::vec::IntoIter<[u64; N]>,
    mem_head: Option<[u64; N]>,
}

impl<const N: usize> Sorted<N> {
    /// The next record, or `None` after the last.
    pub(crate) fn next_record(&mut self) -> io::Result<Option<[u64; N]>> {
        if self.mem_head.is_none() {
            self.mem_head = self.mem.next();
        }
        let from_run = self.heads.peek().map(|h| h.0.0);
        match (from_run, self.mem_head) {
            (Some(r), Some(m)) if m <= r => Ok(self.mem_head.take()),
            (Some(_), _) => {
                let Some(std::cmp::Reverse((v, i))) = self.heads.pop() else {
                    return Ok(None);
                };
                if let Some(next) = read_record(&mut self.readers[i])? {
                    self.heads.push(std::cmp::Reverse((next, i)));
                }
                Ok(Some(v))
            }
            (None, m) => {
                self.mem_head = None;
                Ok(m)
            }
        }
    }
}

/// Strings kept in a temporary file until an example needs one: each
/// [`Texts::push`] gives the place to read it back from.
#[cfg(feature = "check")]
pub(crate) struct Texts {
    file: Option<BufWriter<File>>,
    len: u64,
    dir: PathBuf,
}

#[cfg(feature = "check")]
impl Texts {
    /// No strings yet; the file is made in `dir` with the first.
    pub(crate) fn new(dir: &Path) -> Self {
        Self {
            file: None,
            len: 0,
            dir: dir.to_path_buf(),
        }
    }

    /// Appends `text`; returns where it is (offset, length).
    pub(crate) fn push(&mut self, text: &str) -> io::Result<(u64, u64)> {
        let at = self.len;
        let f = match &mut self.file {
            Some(f) => f,
            None => self
                .file
                .insert(BufWriter::new(tempfile::tempfile_in(&self.dir)?)),
        };
        f.write_all(text.as_bytes())?;
        self.len += text.len() as u64;
        Ok((at, text.len() as u64))
    }

    /// Ends the writing; the strings can then be read back.
    pub(crate) fn into_reader(self) -> io::Result<TextReader> {
        Ok(TextReader(match self.file {
            Some(w) => Some(w.into_inner().map_err(io::IntoInnerError::into_error)?),
            None => None,
        }))
    }
}

/// The strings of [`Texts`], read back by place.
#[cfg(feature = "check")]
pub(crate) struct TextReader(Option<File>);

#[cfg(feature = "check")]
impl TextReader {
    /// The string at `at` of `len` bytes (lossily decoded).
    pub(crate) fn get(&mut self, at: u64, len: u64) -> io::Result<String> {
        let Some(f) = self.0.as_mut() else {
            return Ok(String::new());
        };
        f.seek(SeekFrom::Start(at))?;
        let mut b = vec![0u8; usize::try_from(len).unwrap_or(0)];
        f.read_exact(&mut b)?;
        Ok(String::from_utf8_lossy(&b).into_owned())
    }
}

/// 64-bit hashes collected to find the repeated ones, in bounded memory
/// (see [`SortedRuns`]).
#[cfg(feature = "archive")]
pub(crate) struct HashRuns(SortedRuns<1>);

#[cfg(feature = "archive")]
impl HashRuns {
    /// Holds up to `limit` hashes in memory; beyond, sorted runs go to `dir`.
    pub(crate) fn new(dir: &Path, limit: usize) -> Self {
        Self(SortedRuns::new(dir, limit))
    }

    /// Adds one hash.
    pub(crate) fn push(&mut self, h: u64) -> io::Result<()> {
        self.0.push([h])
    }

    /// The hashes pushed more than once (each listed once, at most `cap`).
    pub(crate) fn repeated(self, cap: usize) -> io::Result<Vec<u64>> {
        let mut sorted = self.0.into_sorted()?;
        let mut out = Vec::new();
        let mut last = None;
        while let Some([v]) = sorted.next_record()? {
            if last == Some(v) && out.last() != Some(&v) && out.len() < cap {
                out.push(v);
            }
            last = Some(v);
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
