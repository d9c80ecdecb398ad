//! Where something is in the input: line, column and byte offset, and the
//! incremental line counter that computes them over a stream read in chunks.

use serde::Serialize;
use std::fmt;

/// A position in an input file.
///
/// `line` and `column` are 1-based; `column` counts characters (Unicode scalar
/// values), `offset` counts bytes from the start of the input, 0-based.
///
/// For inputs transcoded from another encoding (ISO-8859-1, UTF-16, ...) the
/// offset counts bytes of the UTF-8 text after transcoding. Columns count the
/// characters of the repaired line, so after a removed character on the same
/// line they are one less per removed character; offsets are exact, also
/// inside a tag that lost characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[non_exhaustive]
pub struct Location {
    /// 1-based line number.
    pub line: u64,
    /// 1-based column, in characters.
    pub column: u64,
    /// 0-based byte offset.
    pub offset: u64,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {} (byte {})",
            self.line, self.column, self.offset
        )
    }
}

/// Counts lines and columns over a byte stream, lazily.
///
/// The tracker knows the line and column at stream position `pos`; `advance`
/// moves it forward over the bytes that follow, `peek` computes the line and
/// column at the end of some following bytes without moving. Line breaks are
/// counted as XML does: `\r\n`, `\r` and `\n` each end one line.
#[derive(Clone, Debug)]
pub(crate) struct LineTracker {
    pos: u64,
    line: u64,
    col: u64,
    prev_cr: bool,
}

impl Default for LineTracker {
    fn default() -> Self {
        Self {
            pos: 0,
            line: 1,
            col: 1,
            prev_cr: false,
        }
    }
}

/// Number of characters in a UTF-8 byte run (bytes that are not continuation bytes).
pub(crate) fn count_chars(bytes: &[u8]) -> u64 {
    bytecount::num_chars(bytes) as u64
}

impl LineTracker {
    /// Line and column at the current position.
    pub(crate) fn here(&self) -> (u64, u64) {
        (self.line, self.col)
    }

    /// Moves over `bytes`, which follow the current position.
    pub(crate) fn advance(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.pos += bytes.len() as u64;
        let has_cr = memchr::memchr(b'\r', bytes).is_some();
        let newlines = bytecount::count(bytes, b'\n') as u64;
        let breaks = if !has_cr {
            // A '\n' right after a '\r' that ended the previous run is the
            // second half of a CRLF already counted.
            newlines - u64::from(self.prev_cr && bytes[0] == b'\n')
        } else {
            let mut breaks = 0;
            let mut prev_cr = self.prev_cr;
            for &b in bytes {
                if b == b'\r' || (b == b'\n' && !prev_cr) {
                    breaks += 1;
                }
                prev_cr = b == b'\r';
            }
            breaks
        };
        self.line += breaks;
        match memchr::memrchr2(b'\n', b'\r', bytes) {
            Some(last) => self.col = 1 + count_chars(&bytes[last + 1..]),
            None => self.col += count_chars(bytes),
        }
        self.prev_cr = bytes[bytes.len() - 1] == b'\r';
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_end(chunks: &[&[u8]]) -> (u64, u64) {
        let mut t = LineTracker::default();
        for c in chunks {
            t.advance(c);
        }
        t.here()
    }

    #[test]
    fn counts_lf_cr_and_crlf_once_each() {
        assert_eq!(at_end(&[b"a\nb\r\nc\rd"]), (4, 2));
        assert_eq!(at_end(&[b"a\r", b"\nb"]), (2, 2));
        assert_eq!(at_end(&[b"a\r", b"\r", b"\n"]), (3, 1));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(at_end(&["é😀x".as_bytes()]), (1, 4));
        assert_eq!(at_end(&[b"ab", b"cd"]), (1, 5));
    }
}
