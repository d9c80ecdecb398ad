//! Where repaired bytes go, and the interface between pipeline stages.
//!
//! A [`Sink`] receives output as slices, most of them borrowed straight from
//! the input chunk being processed. Sinks cannot fail; a sink that writes to
//! an I/O device ([`IoSink`]) keeps the first error for its driver to check.

use crate::error::Error;
use crate::location::Location;
use crate::report::{CodePoint, Report};
use std::io::{self, Write};

/// Receives the repaired output, in order.
///
/// ```
/// use backup_fix::Sink;
/// let mut out: Vec<u8> = Vec::new();
/// out.put(b"<a/>");
/// assert_eq!(out, b"<a/>");
/// ```
pub trait Sink {
    /// Appends `bytes` to the output.
    fn put(&mut self, bytes: &[u8]);

    /// Marks where an element that a rule drops starts (`true`) and ends
    /// (`false`). The rewrite engine sends these only to its own gate, which
    /// discards the element and the whitespace after it; other sinks ignore them.
    #[inline]
    fn dropping(&mut self, _start: bool) {}
}

impl Sink for Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        (**self).put(bytes);
    }

    #[inline]
    fn dropping(&mut self, start: bool) {
        (**self).dropping(start);
    }
}

/// A sink that discards its input (for checks and benchmarks).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl Sink for NullSink {
    #[inline]
    fn put(&mut self, _bytes: &[u8]) {}
}

/// A sink over an [`io::Write`] that remembers the first write error.
///
/// After an error, further output is dropped; call [`IoSink::check`] after each
/// batch to surface it.
#[derive(Debug)]
pub struct IoSink<W: Write> {
    inner: W,
    error: Option<io::Error>,
    written: u64,
}

impl<W: Write> IoSink<W> {
    /// Wraps a writer.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            error: None,
            written: 0,
        }
    }

    /// Returns the first write error, if any happened.
    pub fn check(&mut self) -> io::Result<()> {
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Bytes successfully handed to the writer.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Gives back the writer.
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// The writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }
}

impl<W: Write> Sink for IoSink<W> {
    fn put(&mut self, bytes: &[u8]) {
        if self.error.is_none() {
            match self.inner.write_all(bytes) {
                Ok(()) => self.written += bytes.len() as u64,
                Err(e) => self.error = Some(e),
            }
        }
    }
}

/// A sink that counts what passes through to another sink.
pub(crate) struct Counting<'a, S: Sink + ?Sized> {
    pub(crate) inner: &'a mut S,
    pub(crate) count: u64,
}

impl<S: Sink + ?Sized> Sink for Counting<'_, S> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.count += bytes.len() as u64;
        self.inner.put(bytes);
    }
}

/// A change made by the character-level stages, reported to the XML stage
/// at the stream position where it happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CharChange {
    /// A raw forbidden character was dropped.
    Removed(u32),
    /// An invalid UTF-8 sequence became U+FFFD.
    InvalidUtf8,
    /// An encoded lone surrogate became U+FFFD.
    LoneSurrogate,
    /// A CESU-8 surrogate pair became one 4-byte character.
    Cesu8Pair,
    /// Bytes invalid in the declared encoding became U+FFFD.
    InvalidEncoded,
}

impl CharChange {
    /// Whether the report still keeps locations of this kind of change:
    /// fewer than `keep` so far.
    pub(crate) fn wants_location(self, report: &Report, keep: usize) -> bool {
        let tally = match self {
            CharChange::Removed(cp) => report.removed_chars.get(&CodePoint(cp)),
            CharChange::InvalidUtf8 => Some(&report.invalid_utf8),
            CharChange::LoneSurrogate => Some(&report.lone_surrogates),
            CharChange::Cesu8Pair => Some(&report.cesu8_pairs),
            CharChange::InvalidEncoded => Some(&report.invalid_encoded),
        };
        tally.is_none_or(|t| t.first.len() < keep)
    }
}

/// The XML stage as seen by the character stages: it receives clean UTF-8
/// (every piece ends on a character boundary) and notes of what was changed.
pub(crate) trait CleanSink {
    /// Clean text; `input_offset` is where `bytes[0]` was in the input.
    fn clean<S: Sink>(&mut self, bytes: &[u8], input_offset: u64, out: &mut S)
    -> Result<(), Error>;
    /// A change at the current stream position; `input_offset` is where it was in the input.
    fn changed(&mut self, change: CharChange, input_offset: u64) -> Result<(), Error>;
    /// Clean text gathered from between removed bytes: `bytes[k]` was at
    /// input offset `input_offset + k + s`, where `s` is the second value of
    /// the last entry of `shifts` (sorted by their first) whose first is at
    /// most `k`, or 0. The same as calling [`CleanSink::clean`] on each
    /// contiguous part; sinks that can take it whole say so by overriding.
    fn clean_shifted<S: Sink>(
        &mut self,
        bytes: &[u8],
        input_offset: u64,
        shifts: &[(usize, u64)],
        out: &mut S,
    ) -> Result<(), Error> {
        let (mut from, mut shift) = (0, 0);
        for &(at, s) in shifts {
            self.clean(&bytes[from..at], input_offset + from as u64 + shift, out)?;
            (from, shift) = (at, s);
        }
        self.clean(&bytes[from..], input_offset + from as u64 + shift, out)
    }
    /// Whether a change of this kind should be reported where it happens,
    /// after everything before it (the report still keeps locations of
    /// this kind). When not, the character stage may count it later and
    /// forward the text around it in one piece.
    fn wants_location(&mut self, _change: CharChange) -> bool {
        true
    }
    /// `count` changes of one kind at consecutive input bytes from
    /// `input_offset` on (a run of removed NUL bytes): the same as `count`
    /// calls of [`CleanSink::changed`], at once.
    fn changed_run(
        &mut self,
        change: CharChange,
        input_offset: u64,
        count: u64,
    ) -> Result<(), Error> {
        for k in 0..count {
            self.changed(change, input_offset + k)?;
        }
        Ok(())
    }
    /// Where the stream is now, for an error the character stages find at
    /// `input_offset` (line and column 0 where lines are not counted).
    fn location(&mut self, input_offset: u64) -> Location {
        Location {
            line: 0,
            column: 0,
            offset: input_offset,
        }
    }
    /// The input is being transcoded (or was declared in a UTF-8 subset such
    /// as US-ASCII): an XML declaration's encoding must be made to say UTF-8.
    fn rewrite_declaration(&mut self) {}
}
