//! Scattered forbidden characters: a writer that puts a raw C0 control
//! character after every so many bytes of whatever passes through it, for
//! measuring what dense defects cost against clean input.

use std::io::{self, Write};

/// The controls inserted, in turn: those seen in real exports, and NUL.
const CONTROLS: [u8; 8] = [0x1C, 0x00, 0x08, 0x1F, 0x0B, 0x0C, 0x1B, 0x02];

/// A writer that inserts one forbidden control character (U+001C, U+0000,
/// U+0008, U+001F, U+000B, U+000C, U+001B, U+0002 in turn) after every
/// `every` bytes written to it, where the next character starts (never
/// inside a multi-byte one). Wherever they land, even inside a tag, `fix`
/// removes them and gives back what was written.
///
/// ```
/// use backup_fix::synth::ScatterControls;
/// use std::io::Write;
/// let mut w = ScatterControls::new(Vec::new(), 3);
/// w.write_all(b"<a>text</a>")?;
/// assert_eq!(w.inserted(), 3);
/// let dirty = w.into_inner();
/// assert_eq!(dirty, b"<a>\x1ctex\x00t</\x08a>");
/// let (out, report) = backup_fix::fix_bytes(&dirty, &Default::default()).unwrap();
/// assert_eq!(out, b"<a>text</a>");
/// assert_eq!(report.changes(), 3);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct ScatterControls<W: Write> {
    inner: W,
    every: usize,
    since: usize,
    inserted: u64,
}

impl<W: Write> ScatterControls<W> {
    /// Inserts a control character after every `every` bytes (at least 1).
    pub fn new(inner: W, every: usize) -> Self {
        Self {
            inner,
            every: every.max(1),
            since: 0,
            inserted: 0,
        }
    }

    /// How many control characters were inserted.
    pub fn inserted(&self) -> u64 {
        self.inserted
    }

    /// Gives back the writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for ScatterControls<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let is_cont = |b: u8| (0x80..=0xBF).contains(&b);
        let mut rest = buf;
        while let Some(&first) = rest.first() {
            // Due: inserted before the next byte that starts a character.
            let due = self.since >= self.every;
            if due && !is_cont(first) {
                let c = CONTROLS[(self.inserted % CONTROLS.len() as u64) as usize];
                self.inner.write_all(&[c])?;
                self.inserted += 1;
                self.since = 0;
            }
            let room = if self.since >= self.every {
                rest.iter().take_while(|&&b| is_cont(b)).count()
            } else {
                self.every - self.since
            };
            let take = room.min(rest.len());
            self.inner.write_all(&rest[..take])?;
            self.since += take;
            rest = &rest[take..];
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
