//! Bytes kept for the end of a file being written (a zip's central
//! directory): in memory up to a limit, then in an anonymous temporary file
//! beside the output, so memory does not grow with the number of entries.

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
}
