//! The carry-over of a unit that a piece ends inside (a tag, reference,
//! processing instruction, DOCTYPE, or a `]`/`-` whose meaning depends on
//! what follows): held with where its bytes were, completed from the next
//! pieces up to the size limit, and scanned again whole.

use crate::error::{Error, Malformed};
use crate::location::{LineTracker, Location};
use crate::sink::Sink;
use crate::xml::document::Document;
use crate::xml::lex::{self, DoctypeEndFinder, MAX_REFERENCE, Stop, TagEndFinder};
use crate::xml::piece::{Piece, shift_at};
use crate::xml::rules::{Rules, TextKind};
use crate::xml::scanner::{Lex, TagScratch, XmlStage};
use memchr::memchr;

/// `n`, or `b.len()` if smaller, moved forward to the next character
/// boundary: the carry must never end inside a character.
fn char_boundary(b: &[u8], n: usize) -> usize {
    let mut n = n.min(b.len());
    while n < b.len() && (b[n] & 0xC0) == 0x80 {
        n += 1;
    }
    n
}

/// What the carry holds.
#[derive(Clone, Copy, Debug)]
pub(super) enum Pending {
    /// `<` and too few bytes to tell what follows.
    Markup,
    Tag(TagEndFinder),
    Pi,
    Doctype(DoctypeEndFinder),
    Ref,
    /// `]` or `]]` (text, CDATA) or `-` or `--` (comment) whose meaning depends on the next bytes.
    Lookahead,
}

impl Pending {
    fn what(self) -> &'static str {
        match self {
            Pending::Markup | Pending::Tag(_) => "tag",
            Pending::Pi => "processing instruction",
            Pending::Doctype(_) => "DOCTYPE declaration",
            Pending::Ref => "reference",
            Pending::Lookahead => "markup",
        }
    }

    fn eof_context(self) -> &'static str {
        match self {
            Pending::Markup | Pending::Tag(_) => "inside a tag",
            Pending::Pi => "inside a processing instruction",
            Pending::Doctype(_) => "inside the DOCTYPE declaration",
            Pending::Ref => "inside a reference",
            Pending::Lookahead => "inside markup",
        }
    }
}

/// What a carried unit needs from the next bytes.
enum Need {
    /// Take this many bytes; the unit is then complete (or shown malformed),
    /// or still needs more.
    Take(usize, bool),
    /// The first this many carried bytes are plain content after all.
    Release(usize),
}

/// The unit carried to the next piece, and where its bytes were.
pub(super) struct Carry {
    bytes: Vec<u8>,
    /// Stream position of `bytes[0]`.
    pos: u64,
    /// Input offset of `bytes[0]`.
    off: u64,
    /// Where bytes were removed between carried bytes, relative to `off`
    /// (as [`Piece::shifts`] with base 0).
    shifts: Vec<(usize, u64)>,
    /// Input offsets of each byte of a look-ahead carry (at most 3 bytes,
    /// possibly from pieces with removed characters between them).
    lookahead_offs: [u64; 3],
    pending: Pending,
    /// Carry length when it was last lexed to look for a malformation.
    lexed_len: usize,
    /// Tracker over the carry, for locations of changes while a carry waits.
    tracker: Option<(LineTracker, usize)>,
}

impl Default for Carry {
    fn default() -> Self {
        Self {
            bytes: Vec::new(),
            pos: 0,
            off: 0,
            shifts: Vec::new(),
            lookahead_offs: [0; 3],
            pending: Pending::Markup,
            lexed_len: 0,
            tracker: None,
        }
    }
}

impl Carry {
    /// Whether nothing is carried.
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Notes that carried byte `idx` (about to be appended) was at input
    /// offset `off`, when that is not where the carry's offsets say.
    fn shift(&mut self, idx: usize, off: u64) {
        let shift = self.shifts.last().map_or(0, |&(_, s)| s);
        let gap = off.saturating_sub(self.off + idx as u64);
        if gap != shift {
            self.shifts.push((idx, gap));
        }
    }

    /// The carry is larger than `limit`; `tracker` is where it starts.
    fn too_large(&self, tracker: &LineTracker, limit: usize) -> Error {
        let (line, column) = tracker.here();
        Error::TokenTooLarge {
            what: self.pending.what(),
            limit,
            location: Location {
                line,
                column,
                offset: self.off,
            },
        }
    }

    /// Where the carried (incomplete) tag or processing instruction is
    /// malformed already, if it is.
    fn error_at(&self, any_entity: bool, tag: &mut TagScratch) -> Option<usize> {
        let b = &self.bytes;
        let r = match self.pending {
            Pending::Tag(_) if b.get(1) == Some(&b'/') => lex::end_tag(b, 0).map(|_| ()),
            Pending::Tag(_) => lex::start_tag(
                b,
                0,
                any_entity,
                &mut tag.attrs,
                &mut tag.removed,
                &mut tag.names,
            )
            .map(|_| ()),
            Pending::Pi => lex::processing_instruction(b, 0).map(|_| ()),
            _ => return None,
        };
        match r {
            Err(Stop::Bad(at, _)) => Some(at),
            _ => None,
        }
    }

    /// What to do with the carried unit given the next bytes `rest`, in
    /// lexical state `lex` of document `doc`. The carry only ever holds one
    /// unit: bytes past its end are never taken.
    fn need(&mut self, rest: &[u8], lex: Lex, doc: &Document) -> Need {
        loop {
            let have = self.bytes.len();
            return match &mut self.pending {
                Pending::Tag(f) => f
                    .find(rest)
                    .map_or(Need::Take(rest.len(), false), |n| Need::Take(n, true)),
                Pending::Doctype(f) => f
                    .find(rest)
                    .map_or(Need::Take(rest.len(), false), |n| Need::Take(n, true)),
                Pending::Pi => {
                    if self.bytes.last() == Some(&b'?') && rest[0] == b'>' {
                        Need::Take(1, true)
                    } else {
                        memchr::memmem::find(rest, b"?>")
                            .map_or(Need::Take(rest.len(), false), |k| Need::Take(k + 2, true))
                    }
                }
                Pending::Ref => {
                    let limit = char_boundary(rest, MAX_REFERENCE.saturating_sub(have));
                    memchr(b';', &rest[..limit])
                        .map_or(Need::Take(limit, true), |k| Need::Take(k + 1, true))
                }
                Pending::Markup => {
                    // Decide what the markup is from the carry and the next bytes.
                    let mut head = [0u8; 9];
                    let n = have.min(9);
                    head[..n].copy_from_slice(&self.bytes[..n]);
                    let extra = (9 - n).min(rest.len());
                    head[n..n + extra].copy_from_slice(&rest[..extra]);
                    let head = &head[..n + extra];
                    let finder_from = |c: &[u8]| c.get(1..).unwrap_or_default().to_vec();
                    match head.get(1) {
                        None => Need::Take(rest.len(), false),
                        Some(b'/') | Some(b'?') => {
                            let mut f = TagEndFinder::new(true);
                            if head[1] == b'?' {
                                self.pending = Pending::Pi;
                            } else {
                                let _ = f.find(&finder_from(&self.bytes));
                                self.pending = Pending::Tag(f);
                            }
                            continue;
                        }
                        Some(b'!') => {
                            let fixed = [&b"<!--"[..], b"<![CDATA["];
                            if let Some(m) = fixed.iter().find(|m| head.starts_with(m)) {
                                return Need::Take(m.len() - have, true);
                            }
                            if head.starts_with(b"<!DOCTYPE") {
                                if !doc.doctype_allowed() {
                                    // Misplaced: report that, whatever its length.
                                    return Need::Take(9 - have, true);
                                }
                                let mut f = DoctypeEndFinder::default();
                                let _ = f.find(&finder_from(&self.bytes));
                                self.pending = Pending::Doctype(f);
                                continue;
                            }
                            let prefix = [&b"<!--"[..], b"<![CDATA[", b"<!DOCTYPE"]
                                .iter()
                                .any(|m| m.len() > head.len() && m.starts_with(head));
                            if prefix {
                                Need::Take(rest.len(), false)
                            } else {
                                // Malformed: take what shows it (whole characters).
                                Need::Take(char_boundary(rest, extra.max(1)), true)
                            }
                        }
                        Some(_) => {
                            let mut f = TagEndFinder::new(false);
                            let _ = f.find(&finder_from(&self.bytes));
                            self.pending = Pending::Tag(f);
                            continue;
                        }
                    }
                }
                Pending::Lookahead => {
                    // `]`/`]]` in text or CDATA, `-`/`--` in a comment.
                    let end: &[u8] = if lex == Lex::Comment { b"-->" } else { b"]]>" };
                    let mut head = [0u8; 3];
                    let n = have.min(3);
                    head[..n].copy_from_slice(&self.bytes[..n]);
                    let extra = (3 - n).min(rest.len());
                    head[n..n + extra].copy_from_slice(&rest[..extra]);
                    let head = &head[..n + extra];
                    if head.starts_with(end) {
                        Need::Take(end.len() - have, true)
                    } else if end.starts_with(head) {
                        Need::Take(extra, false)
                    } else if lex == Lex::Comment && head.starts_with(b"--") {
                        // "--" not followed by '>': let the scanner report it.
                        Need::Take(char_boundary(rest, 3 - have), true)
                    } else {
                        Need::Release(1)
                    }
                }
            };
        }
    }

    /// Appends `rest[..n]`, whose first byte is byte `at` of a piece that
    /// starts at input offset `input_offset` with removals `shifts`.
    fn take(
        &mut self,
        rest: &[u8],
        n: usize,
        at: usize,
        input_offset: u64,
        shifts: &[(usize, u64)],
    ) {
        // Input offset of the piece's k-th byte.
        let off_of = |k: usize| input_offset + k as u64 + shift_at(shifts, k);
        if matches!(self.pending, Pending::Lookahead) {
            let have = self.bytes.len();
            for i in 0..n.min(3usize.saturating_sub(have)) {
                self.lookahead_offs[have + i] = off_of(at + i);
            }
        }
        // Where the carried bytes were: a gap before them, and any inside.
        let c = self.bytes.len();
        self.shift(c, off_of(at));
        let inside = shifts.partition_point(|&(k, _)| k <= at);
        for &(k, _) in shifts[inside..].iter().take_while(|&&(k, _)| k < at + n) {
            self.shift(c + k - at, off_of(k));
        }
        self.bytes.extend_from_slice(&rest[..n]);
    }

    /// A copy of the first `n` carried bytes (at most 4), and how many it holds.
    fn front(&self, n: usize) -> ([u8; 4], usize) {
        let mut bytes = [0u8; 4];
        let n = n.min(self.bytes.len()).min(4);
        bytes[..n].copy_from_slice(&self.bytes[..n]);
        (bytes, n)
    }

    /// Drops the first `n` carried bytes (as many as [`Carry::front`] gave).
    fn drop_front(&mut self, n: usize) {
        self.bytes.drain(..n);
        self.pos += n as u64;
        self.lookahead_offs.rotate_left(n);
        self.off = self.lookahead_offs[0];
        if !self.shifts.is_empty() {
            let base = shift_at(&self.shifts, n);
            self.shifts.retain(|&(at, _)| at > n);
            for (at, s) in &mut self.shifts {
                *at -= n;
                *s -= base;
            }
        }
        self.tracker = None;
    }

    /// Starts carrying `p.b[j..]`, a `pending` unit.
    fn start(&mut self, p: &Piece<'_>, j: usize, pending: Pending) {
        self.bytes.extend_from_slice(&p.b[j..]);
        self.pos = p.pos + j as u64;
        self.off = p.off_at(j);
        self.shifts.clear();
        if !p.shifts.is_empty() {
            let (from, end) = (p.base + j, p.base + p.b.len());
            let base = shift_at(p.shifts, from);
            self.shifts.extend(
                p.shifts
                    .iter()
                    .filter(|&&(at, _)| at > from && at < end)
                    .map(|&(at, s)| (at - from, s - base)),
            );
        }
        self.lexed_len = 0;
        if matches!(pending, Pending::Lookahead) {
            for (i, o) in self.lookahead_offs.iter_mut().enumerate() {
                *o = p.off_at(j + i);
            }
        }
        self.pending = pending;
    }
}

impl<R: Rules> XmlStage<R> {
    /// Completes the carry from `bytes` (input offsets as in
    /// [`CleanSink::clean_shifted`](crate::sink::CleanSink::clean_shifted))
    /// and scans it once complete: the index of the first byte it left, or
    /// `None` when it took them all and waits for more.
    pub(super) fn continue_carry<S: Sink>(
        &mut self,
        bytes: &[u8],
        input_offset: u64,
        shifts: &[(usize, u64)],
        out: &mut S,
    ) -> Result<Option<usize>, Error> {
        let mut rest = bytes;
        let mut at = 0;
        while !self.carry.is_empty() && !rest.is_empty() {
            let (n, complete) = match self.carry.need(rest, self.lex, &self.doc) {
                Need::Release(n) => {
                    self.release_front(n, out)?;
                    continue;
                }
                Need::Take(n, complete) => (n, complete),
            };
            self.carry.take(rest, n, at, input_offset, shifts);
            self.received += n as u64;
            rest = &rest[n..];
            at += n;
            let max_token = self.limits.max_token;
            if self.carry.bytes.len() > max_token {
                // Too large, unless it is already malformed within the limit.
                match self.carry.error_at(self.doc.any_entity(), &mut self.tag) {
                    Some(at) if at < max_token => {}
                    _ => return Err(self.carry.too_large(&self.tracker, max_token)),
                }
            } else if !complete {
                // Look for a malformation each time the carry doubles (amortised
                // linear), so it is found at the same byte however the input is split.
                if self.carry.bytes.len() < 2 * self.carry.lexed_len.max(1024) {
                    return Ok(None);
                }
                self.carry.lexed_len = self.carry.bytes.len();
                if self
                    .carry
                    .error_at(self.doc.any_entity(), &mut self.tag)
                    .is_none()
                {
                    return Ok(None);
                }
            }
            self.reprocess_carry(out)?;
        }
        Ok(Some(at))
    }

    /// The first `n` carried bytes turned out to be content of the current
    /// node: hand them on and drop them from the carry.
    fn release_front<S: Sink>(&mut self, n: usize, out: &mut S) -> Result<(), Error> {
        let (bytes, n) = self.carry.front(n);
        let bytes = &bytes[..n];
        let kind = match self.lex {
            Lex::Text => TextKind::Text,
            Lex::CData => TextKind::CData,
            Lex::Comment => TextKind::Comment,
        };
        if !(R::SEES_TEXT && self.rules.text(kind, bytes, out)?) {
            out.put(bytes);
        }
        if R::SEES_TEXT && kind == TextKind::Text {
            self.in_text = true;
        }
        self.tracker.advance(bytes);
        self.carry.drop_front(n);
        Ok(())
    }

    /// Starts carrying `p.b[j..]`; the piece ends there.
    pub(super) fn start_carry(
        &mut self,
        p: &mut Piece<'_>,
        j: usize,
        pending: Pending,
    ) -> Result<usize, Error> {
        if self.eof {
            return Err(self.malformed(p, j, Malformed::UnexpectedEof(pending.eof_context())));
        }
        let pending = match pending {
            Pending::Tag(mut f) => {
                // Bring the finder up to the end of what is carried (after the '<').
                let _ = f.find(&p.b[j + 1..]);
                Pending::Tag(f)
            }
            other => other,
        };
        p.end = j;
        self.carry.start(p, j, pending);
        if self.carry.bytes.len() > self.limits.max_token {
            let location = self.location(p, j);
            return Err(Error::TokenTooLarge {
                what: pending.what(),
                limit: self.limits.max_token,
                location,
            });
        }
        Ok(p.b.len())
    }

    /// Scans the carry, now complete (or at the end of the input).
    pub(super) fn reprocess_carry<S: Sink>(&mut self, out: &mut S) -> Result<(), Error> {
        let carry = std::mem::take(&mut self.carry.bytes);
        let shifts = std::mem::take(&mut self.carry.shifts);
        self.carry.tracker = None;
        let piece = Piece::shifted(&carry, self.carry.pos, self.carry.off, &shifts, 0);
        let r = self.process(piece, out);
        if self.carry.bytes.is_empty() {
            let mut reuse = carry;
            reuse.clear();
            self.carry.bytes = reuse;
        }
        if self.carry.shifts.is_empty() {
            let mut reuse = shifts;
            reuse.clear();
            self.carry.shifts = reuse;
        }
        r
    }

    /// Where the current stream position is, for a change noted between
    /// pieces: past the carry, if any.
    pub(super) fn here(&mut self) -> (u64, u64) {
        let carry = &mut self.carry;
        if carry.bytes.is_empty() {
            return self.tracker.here();
        }
        let (t, done) = carry
            .tracker
            .get_or_insert_with(|| (self.tracker.clone(), 0));
        t.advance(&carry.bytes[*done..]);
        *done = carry.bytes.len();
        t.here()
    }
}
