//! The piece of input the scanner is working on: its bytes, where they were
//! in the stream and in the input (offsets shifted past bytes the character
//! stage removed), and how much of it has been written.

use crate::sink::Sink;

/// The cumulative number of removed bytes before `b[i]` of a piece whose
/// removals are `shifts` (see [`CleanSink::clean_shifted`](crate::sink::CleanSink::clean_shifted)).
pub(super) fn shift_at(shifts: &[(usize, u64)], i: usize) -> u64 {
    match shifts.partition_point(|&(at, _)| at <= i) {
        0 => 0,
        k => shifts[k - 1].1,
    }
}

/// The piece of input being scanned.
pub(super) struct Piece<'p> {
    pub(super) b: &'p [u8],
    /// Stream position of `b[0]`.
    pub(super) pos: u64,
    /// Input offset of `b[0]`.
    pub(super) off: u64,
    /// Where the character stage removed bytes inside the piece: `b[i]` is
    /// `shifts` index `base + i`, and was at `off + i + shift_at(base + i)
    /// - shift_at(base)`.
    pub(super) shifts: &'p [(usize, u64)],
    pub(super) base: usize,
    /// `b[..emitted]` has been written or dropped.
    pub(super) emitted: usize,
    /// The line tracker is at `b[synced]`.
    pub(super) synced: usize,
    /// Where the piece's own output ends (a carry starts there).
    pub(super) end: usize,
}

impl<'p> Piece<'p> {
    /// A piece with removed bytes between its bytes; `off` is where `b[0]` was.
    pub(super) fn shifted(
        b: &'p [u8],
        pos: u64,
        off: u64,
        shifts: &'p [(usize, u64)],
        base: usize,
    ) -> Self {
        Self {
            b,
            pos,
            off,
            shifts,
            base,
            emitted: 0,
            synced: 0,
            end: b.len(),
        }
    }

    /// Input offset of `b[i]`.
    #[inline]
    pub(super) fn off_at(&self, i: usize) -> u64 {
        let mut off = self.off + i as u64;
        if !self.shifts.is_empty() {
            off += shift_at(self.shifts, self.base + i) - shift_at(self.shifts, self.base);
        }
        off
    }

    /// Writes what is not written yet up to `b[to]`.
    #[inline]
    pub(super) fn flush<S: Sink>(&mut self, to: usize, out: &mut S) {
        if to > self.emitted {
            out.put(&self.b[self.emitted..to]);
            self.emitted = to;
        }
    }
}

/// A sink that writes `pending` (raw output not yet written) before the
/// first bytes a rule writes, so that rules that write nothing cost no flush.
pub(super) struct LazyFlush<'a, S: Sink> {
    pub(super) pending: &'a [u8],
    pub(super) out: &'a mut S,
    pub(super) flushed: bool,
}

impl<S: Sink> Sink for LazyFlush<'_, S> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        if !self.flushed {
            self.flushed = true;
            self.out.put(self.pending);
        }
        self.out.put(bytes);
    }
}
