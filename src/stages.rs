//! The pipeline's stages on their own, for callers that need only part of
//! the repair and for per-stage benchmarks.
//!
//! [`CharRepairer`] is the character stage alone: encoding, invalid UTF-8,
//! raw characters XML forbids. It does not look at markup, so it neither
//! checks well-formedness nor removes character references; use
//! [`Fixer`](crate::Fixer) for XML.

use crate::decode::Decoder;
use crate::error::Error;
use crate::location::Location;
use crate::report::{CodePoint, DEFAULT_LOCATIONS_KEPT, Report};
use crate::sink::{CharChange, CleanSink, Counting, Sink};

/// Collects what the character stage forwards and counts its changes.
struct Forward {
    report: Report,
}

impl CleanSink for Forward {
    #[inline]
    fn clean<S: Sink>(&mut self, bytes: &[u8], _off: u64, out: &mut S) -> Result<(), Error> {
        out.put(bytes);
        Ok(())
    }

    #[inline]
    fn clean_shifted<S: Sink>(
        &mut self,
        bytes: &[u8],
        _off: u64,
        _shifts: &[(usize, u64)],
        out: &mut S,
    ) -> Result<(), Error> {
        out.put(bytes);
        Ok(())
    }

    fn wants_location(&mut self, change: CharChange) -> bool {
        change.wants_location(&self.report, DEFAULT_LOCATIONS_KEPT)
    }

    fn changed(&mut self, change: CharChange, input_offset: u64) -> Result<(), Error> {
        self.changed_run(change, input_offset, 1)
    }

    fn changed_run(
        &mut self,
        change: CharChange,
        input_offset: u64,
        count: u64,
    ) -> Result<(), Error> {
        let at = Location {
            line: 0,
            column: 0,
            offset: input_offset,
        };
        let r = &mut self.report;
        let tally = match change {
            CharChange::Removed(cp) => r.removed_chars.entry(CodePoint(cp)).or_default(),
            CharChange::InvalidUtf8 => &mut r.invalid_utf8,
            CharChange::LoneSurrogate => &mut r.lone_surrogates,
            CharChange::Cesu8Pair => &mut r.cesu8_pairs,
            CharChange::InvalidEncoded => &mut r.invalid_encoded,
        };
        tally.add_run(at, count, DEFAULT_LOCATIONS_KEPT);
        Ok(())
    }
}

/// The character stage alone: decodes to UTF-8 and drops or replaces what
/// XML 1.0 forbids at the character level. Locations in its report carry
/// byte offsets only (line and column are 0). It transcodes but does not
/// rewrite an XML declaration's encoding (that is markup: see [`Fixer`](crate::Fixer)).
///
/// ```
/// use backup_fix::stages::CharRepairer;
/// let mut stage = CharRepairer::default();
/// let mut out = Vec::new();
/// stage.write(b"a\x1cb\xffc", &mut out)?;
/// let report = stage.finish(&mut out)?;
/// assert_eq!(out, "ab\u{FFFD}c".as_bytes());
/// assert_eq!(report.changes(), 2);
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub struct CharRepairer {
    decoder: Decoder,
    forward: Forward,
}

impl Default for CharRepairer {
    fn default() -> Self {
        Self {
            decoder: Decoder::default(),
            forward: Forward {
                report: Report::default(),
            },
        }
    }
}

impl CharRepairer {
    /// Repairs the next chunk.
    pub fn write<S: Sink + ?Sized>(&mut self, input: &[u8], out: &mut S) -> Result<(), Error> {
        let mut counting = Counting {
            inner: out,
            count: 0,
        };
        let r = self.decoder.write(input, &mut self.forward, &mut counting);
        self.forward.report.input_bytes += input.len() as u64;
        self.forward.report.output_bytes += counting.count;
        r
    }

    /// Ends the input and returns the report.
    pub fn finish<S: Sink + ?Sized>(mut self, out: &mut S) -> Result<Report, Error> {
        let mut counting = Counting {
            inner: out,
            count: 0,
        };
        self.decoder.finish(&mut self.forward, &mut counting)?;
        self.forward.report.output_bytes += counting.count;
        let mut report = self.forward.report;
        report.encoding = self.decoder.report.clone();
        Ok(report)
    }
}
