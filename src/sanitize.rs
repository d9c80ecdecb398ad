//! Character-level repair of a UTF-8 stream: invalid UTF-8 becomes U+FFFD,
//! raw characters XML 1.0 forbids are dropped, CESU-8 surrogate pairs become
//! proper 4-byte characters. Clean runs are forwarded as slices of the input;
//! only an unfinished multi-byte sequence is carried to the next chunk, so
//! every forwarded piece ends on a character boundary.
//!
//! A run of NUL bytes is measured at once and reported as one change when it
//! ends; a run longer than [`MAX_NUL_RUN`] is damage (a copy that crashed
//! leaves gigabytes of them), not text, and stops the repair with
//! [`Error::NulRun`]. A run that reaches the end of a chunk is carried as a
//! count, so the verdict does not depend on where chunks end.

use crate::chars::is_forbidden_control;
use crate::error::Error;
use crate::sink::{CharChange, CleanSink, Sink};

const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// The longest run of consecutive NUL bytes taken as (removable) text:
/// 1 MiB. A longer run stops the repair with [`Error::NulRun`].
pub const MAX_NUL_RUN: u64 = 1 << 20;

/// Length of the run of NUL bytes at the start of `b`, counting at most
/// `limit` (whole 64-byte blocks are tested at once).
fn nul_run_len(b: &[u8], limit: usize) -> usize {
    let b = &b[..b.len().min(limit)];
    let mut n = 0;
    for block in b.chunks(64) {
        if block.iter().fold(0u8, |acc, &x| acc | x) == 0 {
            n += block.len();
        } else {
            return n + block.iter().take_while(|&&x| x == 0).count();
        }
    }
    n
}

/// What the bytes at some position hold.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// A valid character of this many bytes.
    Char(usize),
    /// This many bytes form a maximal invalid subpart.
    Invalid(usize),
    /// A 3-byte encoded surrogate without a partner.
    LoneSurrogate,
    /// Two 3-byte encoded surrogates forming a pair, and the 4-byte character they mean.
    Cesu8([u8; 4]),
    /// The bytes are a prefix of something longer: more input is needed.
    Incomplete,
}

fn is_cont(b: u8) -> bool {
    (0x80..=0xBF).contains(&b)
}

/// Classifies the bytes at the start of `b` (which starts with a non-ASCII
/// byte, or is a carried tail). At end of input nothing is `Incomplete`.
fn classify(b: &[u8], eof: bool) -> Step {
    // Encoded surrogates: ED A0..BF xx. A high one (ED A0..AF xx) followed by
    // a low one (ED B0..BF xx) is a CESU-8 pair.
    if b[0] == 0xED && b.len() >= 2 && (0xA0..=0xBF).contains(&b[1]) {
        if b.len() < 3 {
            return if eof {
                Step::Invalid(1)
            } else {
                Step::Incomplete
            };
        }
        if !is_cont(b[2]) {
            return Step::Invalid(1);
        }
        if b[1] <= 0xAF {
            let low = &b[3..b.len().min(6)];
            let prefix_ok = match low.len() {
                0 => true,
                1 => low[0] == 0xED,
                2 => low[0] == 0xED && (0xB0..=0xBF).contains(&low[1]),
                _ => low[0] == 0xED && (0xB0..=0xBF).contains(&low[1]) && is_cont(low[2]),
            };
            if prefix_ok && low.len() == 3 {
                let hi = 0xD800 | (u32::from(b[1] & 0x0F) << 6) | u32::from(b[2] & 0x3F);
                let lo = 0xDC00 | (u32::from(low[1] & 0x0F) << 6) | u32::from(low[2] & 0x3F);
                let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                let mut buf = [0u8; 4];
                if let Some(c) = char::from_u32(cp) {
                    c.encode_utf8(&mut buf);
                    return Step::Cesu8(buf);
                }
            }
            if prefix_ok && low.len() < 3 && !eof {
                return Step::Incomplete;
            }
        }
        return Step::LoneSurrogate;
    }
    let take = b.len().min(4);
    match std::str::from_utf8(&b[..take]) {
        Ok(s) => Step::Char(s.chars().next().map_or(1, char::len_utf8)),
        Err(e) if e.valid_up_to() > 0 => {
            let s = std::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or_default();
            Step::Char(s.chars().next().map_or(1, char::len_utf8))
        }
        Err(e) => match e.error_len() {
            Some(n) => Step::Invalid(n),
            None if eof => Step::Invalid(take),
            None => Step::Incomplete,
        },
    }
}

/// Finds the first byte in `valid` (valid UTF-8) that starts a forbidden
/// character: a C0 control other than tab/LF/CR, or U+FFFE/U+FFFF.
/// Returns its position, byte length and code point.
fn find_forbidden(valid: &[u8]) -> Option<(usize, usize, u32)> {
    const BLOCK: usize = 32;
    let mut blocks = valid.chunks_exact(BLOCK);
    let mut base = 0;
    for block in blocks.by_ref() {
        let block: &[u8; BLOCK] = block.try_into().unwrap_or(&[0; BLOCK]);
        if block_may_hold_forbidden(block)
            && let Some(found) = first_forbidden(valid, base, base + BLOCK)
        {
            return Some(found);
        }
        base += BLOCK;
    }
    first_forbidden(valid, base, valid.len())
}

/// True if `block` holds a forbidden control or a byte 0xEF (which starts
/// U+FFFE/U+FFFF, and other characters).
#[inline(always)]
fn block_may_hold_forbidden(block: &[u8; 32]) -> bool {
    crate::bytescan::any_in_32(block, |b| {
        ((b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r')) | (b == 0xEF)
    })
}

/// The first forbidden character starting in `valid[from..to]`, byte by byte.
fn first_forbidden(valid: &[u8], from: usize, to: usize) -> Option<(usize, usize, u32)> {
    for at in from..to {
        let b = valid[at];
        if is_forbidden_control(b) {
            return Some((at, 1, u32::from(b)));
        }
        if b == 0xEF
            && valid.get(at + 1) == Some(&0xBF)
            && matches!(valid.get(at + 2), Some(0xBE | 0xBF))
        {
            return Some((at, 3, 0xFFC0 | u32::from(valid[at + 2] & 0x3F)));
        }
    }
    None
}

/// Most bytes gathered before they are forwarded (whatever the size of the
/// chunks written).
const GATHER_MAX: usize = 256 << 10;

/// Clean bytes from between removed characters whose locations the report
/// no longer keeps, copied together so that the XML stage gets one piece
/// instead of one per removed character (a forbidden character every few
/// bytes would otherwise cut every tag into pieces).
#[derive(Debug, Default)]
struct Gathered {
    bytes: Vec<u8>,
    /// Input offset of `bytes[0]`.
    off: u64,
    /// Where bytes were removed between them (see [`CleanSink::clean_shifted`]).
    shifts: Vec<(usize, u64)>,
    /// Changes counted in the meantime, reported when the bytes are forwarded.
    counts: Vec<(CharChange, u64)>,
}

impl Gathered {
    /// Appends `bytes`, which were at input offset `off`.
    fn push(&mut self, bytes: &[u8], off: u64) {
        if bytes.is_empty() {
            return;
        }
        if self.bytes.is_empty() {
            self.off = off;
            self.shifts.clear();
        } else {
            let len = self.bytes.len();
            let shift = self.shifts.last().map_or(0, |&(_, s)| s);
            let expected = self.off + len as u64 + shift;
            if off != expected {
                self.shifts.push((len, off - self.off - len as u64));
            }
        }
        self.bytes.extend_from_slice(bytes);
    }

    /// Counts a change to report later.
    fn count(&mut self, change: CharChange, n: u64) {
        match self.counts.iter_mut().find(|(c, _)| *c == change) {
            Some((_, total)) => *total += n,
            None => self.counts.push((change, n)),
        }
    }
}

/// The character-level repair stage over UTF-8 input.
#[derive(Debug, Default)]
pub(crate) struct Sanitizer {
    /// Unfinished sequence carried from the previous chunk (at most 5 bytes).
    tail: Vec<u8>,
    /// Input offset of `tail[0]`.
    tail_offset: u64,
    /// Input offset of the next byte to arrive.
    offset: u64,
    /// A run of NUL bytes that reached the end of the last chunk: its input
    /// offset and length (0: none). Reported when it ends.
    nul_start: u64,
    nul_len: u64,
    /// Clean bytes waiting to be forwarded as one piece.
    gathered: Gathered,
}

impl Sanitizer {
    /// Input offset of the next byte to arrive.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Repairs `buf`, the next bytes of the input, forwarding clean pieces to `ds`.
    pub(crate) fn write<D: CleanSink, S: Sink>(
        &mut self,
        buf: &[u8],
        ds: &mut D,
        out: &mut S,
    ) -> Result<(), Error> {
        let base = self.offset;
        self.offset += buf.len() as u64;
        let mut i = 0;
        if self.nul_len > 0 {
            // A chunk that ended in NUL bytes left no tail.
            i = self.nul_run(buf, 0, ds, out)?;
            if i == buf.len() {
                return Ok(());
            }
        }
        if !self.tail.is_empty() {
            match self.resume_tail(buf, ds, out)? {
                Some(consumed) => i = consumed,
                None => return Ok(()),
            }
        }
        self.scan(buf, i, base, ds, out)
    }

    /// Flushes a carried unfinished sequence at end of input.
    pub(crate) fn finish<D: CleanSink, S: Sink>(
        &mut self,
        ds: &mut D,
        out: &mut S,
    ) -> Result<(), Error> {
        self.end_nul_run(ds, out)?;
        self.flush(ds, out)?;
        while !self.tail.is_empty() {
            let tail = std::mem::take(&mut self.tail);
            let step = classify(&tail, true);
            let used = self.emit_step(&tail, step, self.tail_offset, ds, out)?;
            self.tail_offset += used as u64;
            self.tail = tail[used..].to_vec();
        }
        Ok(())
    }

    /// Completes the carried tail with bytes from `buf`. Returns how many bytes
    /// of `buf` it used, or `None` when all of `buf` went into the tail.
    fn resume_tail<D: CleanSink, S: Sink>(
        &mut self,
        buf: &[u8],
        ds: &mut D,
        out: &mut S,
    ) -> Result<Option<usize>, Error> {
        loop {
            // Six bytes decide any case (the longest is a CESU-8 pair).
            let extra = (6 - self.tail.len()).min(buf.len());
            let mut tmp = self.tail.clone();
            tmp.extend_from_slice(&buf[..extra]);
            let mut step = classify(&tmp, false);
            if step == Step::Incomplete {
                if extra == buf.len() {
                    self.tail = tmp;
                    return Ok(None);
                }
                step = classify(&tmp, true);
            }
            let used = self.emit_step(&tmp, step, self.tail_offset, ds, out)?;
            let from_tail = self.tail.len();
            if used >= from_tail {
                self.tail.clear();
                return Ok(Some(used - from_tail));
            }
            // Only part of the tail was used: look at the rest again.
            self.tail.drain(..used);
            self.tail_offset += used as u64;
        }
    }

    /// Measures the run of NUL bytes at `buf[at..]` (added to a run carried
    /// from the previous chunk, which then starts at `at` = 0) and returns
    /// where it ends in `buf`. A run that reaches the end of `buf` is kept
    /// for the next chunk; one that ends is reported; one longer than
    /// [`MAX_NUL_RUN`] is an error, as soon as it is that long.
    fn nul_run<D: CleanSink, S: Sink>(
        &mut self,
        buf: &[u8],
        at: usize,
        ds: &mut D,
        out: &mut S,
    ) -> Result<usize, Error> {
        if self.nul_len == 0 {
            self.nul_start = self.offset - (buf.len() - at) as u64;
        }
        // MAX_NUL_RUN fits in usize; one byte past the rest of the limit decides.
        let room = (MAX_NUL_RUN - self.nul_len) as usize + 1;
        let n = nul_run_len(&buf[at..], room);
        self.nul_len += n as u64;
        if self.nul_len > MAX_NUL_RUN {
            // The XML stage must have everything before the run, for its line.
            self.flush(ds, out)?;
            return Err(Error::NulRun {
                location: ds.location(self.nul_start),
            });
        }
        let end = at + n;
        if end < buf.len() {
            self.end_nul_run(ds, out)?;
        }
        Ok(end)
    }

    /// Reports a run of NUL bytes that has ended.
    fn end_nul_run<D: CleanSink, S: Sink>(&mut self, ds: &mut D, out: &mut S) -> Result<(), Error> {
        if self.nul_len > 0 {
            let n = std::mem::take(&mut self.nul_len);
            self.removed(CharChange::Removed(0), self.nul_start, n, ds, out)?;
        }
        Ok(())
    }

    /// Reports `n` removed bytes from input offset `off` on: at once, after
    /// what came before them, when the report still keeps locations of this
    /// kind; otherwise counted, and the clean bytes around them gathered.
    fn removed<D: CleanSink, S: Sink>(
        &mut self,
        change: CharChange,
        off: u64,
        n: u64,
        ds: &mut D,
        out: &mut S,
    ) -> Result<(), Error> {
        if ds.wants_location(change) {
            self.flush(ds, out)?;
            ds.changed_run(change, off, n)
        } else {
            self.gathered.count(change, n);
            Ok(())
        }
    }

    /// Forwards the gathered bytes, then the changes counted among them.
    fn flush<D: CleanSink, S: Sink>(&mut self, ds: &mut D, out: &mut S) -> Result<(), Error> {
        let g = &mut self.gathered;
        if !g.bytes.is_empty() {
            ds.clean_shifted(&g.bytes, g.off, &g.shifts, out)?;
            g.bytes.clear();
            g.shifts.clear();
        }
        for (change, n) in g.counts.drain(..) {
            ds.changed_run(change, 0, n)?;
        }
        Ok(())
    }

    /// Forwards `bytes` (at input offset `off`) after the gathered ones: as
    /// they are when nothing is gathered.
    fn forward<D: CleanSink, S: Sink>(
        &mut self,
        bytes: &[u8],
        off: u64,
        ds: &mut D,
        out: &mut S,
    ) -> Result<(), Error> {
        if self.gathered.bytes.is_empty() && self.gathered.counts.is_empty() {
            if bytes.is_empty() {
                return Ok(());
            }
            return ds.clean(bytes, off, out);
        }
        self.gathered.push(bytes, off);
        self.flush(ds, out)
    }

    /// Emits what `step` says about `bytes[0..]` and returns the bytes it covers.
    fn emit_step<D: CleanSink, S: Sink>(
        &mut self,
        bytes: &[u8],
        step: Step,
        offset: u64,
        ds: &mut D,
        out: &mut S,
    ) -> Result<usize, Error> {
        Ok(match step {
            Step::Char(n) => {
                let ch = &bytes[..n];
                if ch == [0xEF, 0xBF, 0xBE] || ch == [0xEF, 0xBF, 0xBF] {
                    ds.changed(
                        CharChange::Removed(0xFFC0 | u32::from(ch[2] & 0x3F)),
                        offset,
                    )?;
                } else if n == 1 && is_forbidden_control(ch[0]) {
                    ds.changed(CharChange::Removed(u32::from(ch[0])), offset)?;
                } else {
                    ds.clean(ch, offset, out)?;
                }
                n
            }
            Step::Invalid(n) => {
                ds.changed(CharChange::InvalidUtf8, offset)?;
                ds.clean(REPLACEMENT, offset, out)?;
                n
            }
            Step::LoneSurrogate => {
                ds.changed(CharChange::LoneSurrogate, offset)?;
                ds.clean(REPLACEMENT, offset, out)?;
                3
            }
            Step::Cesu8(ch) => {
                ds.changed(CharChange::Cesu8Pair, offset)?;
                ds.clean(&ch, offset, out)?;
                6
            }
            Step::Incomplete => 0,
        })
    }

    fn scan<D: CleanSink, S: Sink>(
        &mut self,
        buf: &[u8],
        mut i: usize,
        base: u64,
        ds: &mut D,
        out: &mut S,
    ) -> Result<(), Error> {
        let mut run = i;
        while i < buf.len() {
            let (valid_end, error) = match simdutf8::compat::from_utf8(&buf[i..]) {
                Ok(_) => (buf.len(), false),
                Err(e) => (i + e.valid_up_to(), true),
            };
            while let Some((k, len, cp)) = find_forbidden(&buf[i..valid_end]) {
                let at = i + k;
                let change = CharChange::Removed(cp);
                if ds.wants_location(change) {
                    self.forward(&buf[run..at], base + run as u64, ds, out)?;
                } else {
                    self.gathered.push(&buf[run..at], base + run as u64);
                    if self.gathered.bytes.len() >= GATHER_MAX {
                        self.flush(ds, out)?;
                    }
                }
                if cp == 0 {
                    // NUL bytes are valid UTF-8: the run stays within `valid_end`.
                    i = self.nul_run(buf, at, ds, out)?;
                } else {
                    self.removed(change, base + at as u64, 1, ds, out)?;
                    i = at + len;
                }
                run = i;
            }
            i = valid_end;
            if !error {
                break;
            }
            self.forward(&buf[run..i], base + run as u64, ds, out)?;
            let step = classify(&buf[i..], false);
            if step == Step::Incomplete {
                self.tail = buf[i..].to_vec();
                self.tail_offset = base + i as u64;
                return Ok(());
            }
            i += self.emit_step(&buf[i..], step, base + i as u64, ds, out)?;
            run = i;
        }
        self.forward(&buf[run..], base + run as u64, ds, out)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Records what the sanitizer forwards.
    #[derive(Default)]
    pub(crate) struct Recorder {
        pub(crate) changes: Vec<(CharChange, u64)>,
        pub(crate) pieces: Vec<(Vec<u8>, u64)>,
    }

    impl CleanSink for Recorder {
        fn clean<S: Sink>(&mut self, bytes: &[u8], off: u64, out: &mut S) -> Result<(), Error> {
            assert!(
                std::str::from_utf8(bytes).is_ok(),
                "piece is not whole UTF-8"
            );
            out.put(bytes);
            self.pieces.push((bytes.to_vec(), off));
            Ok(())
        }
        fn changed(&mut self, change: CharChange, off: u64) -> Result<(), Error> {
            self.changes.push((change, off));
            Ok(())
        }
    }

    fn run(chunks: &[&[u8]]) -> (Vec<u8>, Vec<(CharChange, u64)>) {
        let mut s = Sanitizer::default();
        let mut r = Recorder::default();
        let mut out = Vec::new();
        for c in chunks {
            s.write(c, &mut r, &mut out).unwrap();
        }
        s.finish(&mut r, &mut out).unwrap();
        (out, r.changes)
    }

    fn every_split(input: &[u8]) -> (Vec<u8>, Vec<(CharChange, u64)>) {
        let whole = run(&[input]);
        for cut in 0..=input.len() {
            assert_eq!(
                run(&[&input[..cut], &input[cut..]]),
                whole,
                "split at {cut}"
            );
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(run(&bytes), whole, "byte by byte");
        whole
    }

    #[test]
    fn removes_forbidden_controls_and_nonchars_keeps_the_rest() {
        let (out, changes) =
            every_split("a\u{1c}b\u{8}\t\n\r\u{FFFF}c\u{FFFE}😀é\u{FFFD}".as_bytes());
        assert_eq!(out, "ab\t\n\rc😀é\u{FFFD}".as_bytes());
        assert_eq!(
            changes,
            [
                (CharChange::Removed(0x1c), 1),
                (CharChange::Removed(0x8), 3),
                (CharChange::Removed(0xFFFF), 7),
                (CharChange::Removed(0xFFFE), 11)
            ]
        );
    }

    #[test]
    fn invalid_utf8_becomes_one_replacement_per_maximal_subpart() {
        // F0 9F 98 is a truncated 4-byte sequence: one maximal subpart.
        let (out, changes) = every_split(b"a\xF0\x9F\x98b\xFFc\xC3");
        assert_eq!(out, "a\u{FFFD}b\u{FFFD}c\u{FFFD}".as_bytes());
        assert_eq!(
            changes,
            [
                (CharChange::InvalidUtf8, 1),
                (CharChange::InvalidUtf8, 5),
                (CharChange::InvalidUtf8, 7)
            ]
        );
    }

    #[test]
    fn lone_surrogates_become_one_replacement_and_cesu_pairs_are_joined() {
        // U+1F600 as CESU-8: ED A0 BD ED B8 80.
        let (out, changes) = every_split(b"x\xED\xA0\xBD\xED\xB8\x80y\xED\xB8\x80z\xED\xA0\xBD");
        assert_eq!(out, "x😀y\u{FFFD}z\u{FFFD}".as_bytes());
        assert_eq!(
            changes,
            [
                (CharChange::Cesu8Pair, 1),
                (CharChange::LoneSurrogate, 8),
                (CharChange::LoneSurrogate, 12)
            ]
        );
    }

    /// The output or the error, and the changes reported so far.
    type Outcome = (Result<Vec<u8>, Error>, Vec<(CharChange, u64)>);

    /// Runs `chunks` and returns the error, if any, with the changes so far.
    fn run_result(chunks: &[&[u8]]) -> Outcome {
        let mut s = Sanitizer::default();
        let mut r = Recorder::default();
        let mut out = Vec::new();
        let mut go = || -> Result<(), Error> {
            for c in chunks {
                s.write(c, &mut r, &mut out)?;
            }
            s.finish(&mut r, &mut out)
        };
        let result = go();
        (result.map(|()| out), r.changes)
    }

    fn nul_error_offset(result: &Result<Vec<u8>, Error>) -> Option<u64> {
        match result {
            Err(Error::NulRun { location }) => Some(location.offset),
            _ => None,
        }
    }

    #[test]
    fn a_run_of_nul_bytes_up_to_the_limit_is_removed_and_counted_as_one_per_byte() {
        let max = MAX_NUL_RUN as usize;
        let mut input = b"<a>".to_vec();
        input.resize(3 + max, 0);
        input.extend_from_slice(b"</a>\0\0x");
        for cut in [
            0,
            3,
            4,
            1000,
            3 + max - 1,
            3 + max,
            3 + max + 1,
            input.len() - 1,
        ] {
            let (out, changes) = run_result(&[&input[..cut], &input[cut..]]);
            assert_eq!(out.unwrap(), b"<a></a>x", "split at {cut}");
            assert_eq!(changes.len(), max + 2, "split at {cut}");
            assert_eq!(changes[0], (CharChange::Removed(0), 3));
            assert_eq!(changes[max - 1], (CharChange::Removed(0), (2 + max) as u64));
            assert_eq!(changes[max], (CharChange::Removed(0), (7 + max) as u64));
        }
    }

    #[test]
    fn a_run_of_nul_bytes_past_the_limit_is_an_error_at_its_start_however_it_is_split() {
        let max = MAX_NUL_RUN as usize;
        let mut input = b"<a>\0b".to_vec();
        input.resize(5 + max + 1, 0);
        input.extend_from_slice(b"</a>");
        let whole = run_result(&[&input]);
        assert_eq!(nul_error_offset(&whole.0), Some(5));
        // The NUL at 3 ended before the long run: it was counted; the run was not.
        assert_eq!(whole.1, [(CharChange::Removed(0), 3)]);
        let mut cuts: Vec<usize> = (0..12).collect();
        cuts.extend([5 + max - 1, 5 + max, 5 + max + 1, 5 + max + 2, input.len()]);
        for cut in cuts {
            let split = run_result(&[&input[..cut], &input[cut..]]);
            assert_eq!(nul_error_offset(&split.0), Some(5), "split at {cut}");
            assert_eq!(split.1, whole.1, "split at {cut}");
        }
        let many: Vec<&[u8]> = input.chunks(4093).collect();
        let split = run_result(&many);
        assert_eq!(nul_error_offset(&split.0), Some(5));
        assert_eq!(split.1, whole.1);
    }

    #[test]
    fn a_file_of_nothing_but_nul_bytes_is_refused_from_byte_0() {
        let input = vec![0u8; MAX_NUL_RUN as usize + 1];
        assert_eq!(nul_error_offset(&run_result(&[&input]).0), Some(0));
        let exactly = vec![0u8; MAX_NUL_RUN as usize];
        let (out, changes) = run_result(&[&exactly]);
        assert_eq!(out.unwrap(), b"");
        assert_eq!(changes.len(), MAX_NUL_RUN as usize);
    }

    #[test]
    fn nul_run_len_counts_whole_blocks_and_the_rest() {
        let mut b = vec![0u8; 200];
        b[130] = 1;
        assert_eq!(nul_run_len(&b, usize::MAX), 130);
        assert_eq!(nul_run_len(&b, 100), 100);
        assert_eq!(nul_run_len(&b[130..], 10), 0);
        assert_eq!(nul_run_len(&[0, 0], 5), 2);
        assert_eq!(nul_run_len(&[], 5), 0);
    }

    /// A sink that wants no locations: every change may be gathered.
    #[derive(Default)]
    struct Gathering {
        bytes: Vec<u8>,
        /// Input offset of every byte received.
        offsets: Vec<u64>,
        pieces: usize,
        removed: u64,
    }

    impl CleanSink for Gathering {
        fn clean<S: Sink>(&mut self, bytes: &[u8], off: u64, out: &mut S) -> Result<(), Error> {
            self.clean_shifted(bytes, off, &[], out)
        }
        fn clean_shifted<S: Sink>(
            &mut self,
            bytes: &[u8],
            off: u64,
            shifts: &[(usize, u64)],
            out: &mut S,
        ) -> Result<(), Error> {
            out.put(bytes);
            self.pieces += 1;
            self.bytes.extend_from_slice(bytes);
            let mut shift = 0;
            let mut next = shifts.iter().peekable();
            for k in 0..bytes.len() {
                while let Some(&&(at, s)) = next.peek() {
                    if at > k {
                        break;
                    }
                    shift = s;
                    next.next();
                }
                self.offsets.push(off + k as u64 + shift);
            }
            Ok(())
        }
        fn changed(&mut self, _change: CharChange, _off: u64) -> Result<(), Error> {
            self.removed += 1;
            Ok(())
        }
        fn changed_run(&mut self, _change: CharChange, _off: u64, n: u64) -> Result<(), Error> {
            self.removed += n;
            Ok(())
        }
        fn wants_location(&mut self, _change: CharChange) -> bool {
            false
        }
    }

    #[test]
    fn gathered_text_keeps_every_byte_and_its_offset_for_every_split() {
        let input = "a\u{1c}bc\u{0}\u{0}d\u{8}é\u{1f}\u{1f}😀x\u{FFFF}y\u{0}z\u{b}";
        let input = input.as_bytes();
        let expect_bytes: Vec<u8> = "abcdé😀xyz".bytes().collect();
        // Where each kept byte was.
        let expect_offsets: Vec<u64> = {
            let mut v = Vec::new();
            let mut k = 0;
            while k < input.len() {
                let b = input[k];
                let len = match b {
                    0xF0.. => 4,
                    0xE0.. => 3,
                    0xC0.. => 2,
                    _ => 1,
                };
                let ch = &input[k..k + len];
                let gone = (len == 1 && crate::chars::is_forbidden_control(b))
                    || ch == "\u{FFFF}".as_bytes();
                if !gone {
                    v.extend((k..k + len).map(|o| o as u64));
                }
                k += len;
            }
            v
        };
        for cut in 0..=input.len() {
            let mut s = Sanitizer::default();
            let mut g = Gathering::default();
            let mut out = Vec::new();
            s.write(&input[..cut], &mut g, &mut out).unwrap();
            s.write(&input[cut..], &mut g, &mut out).unwrap();
            s.finish(&mut g, &mut out).unwrap();
            assert_eq!(out, expect_bytes, "split at {cut}");
            assert_eq!(g.bytes, expect_bytes, "split at {cut}");
            assert_eq!(g.offsets, expect_offsets, "split at {cut}");
            assert_eq!(g.removed, 9, "split at {cut}");
            assert!(g.pieces <= 3, "split at {cut}: {} pieces", g.pieces);
        }
    }

    #[test]
    fn clean_input_is_forwarded_unchanged_and_whole() {
        let text = "<a>héllo 😀 wörld</a>\n".repeat(50);
        let (out, changes) = every_split(text.as_bytes());
        assert_eq!(out, text.as_bytes());
        assert!(changes.is_empty());
    }
}
