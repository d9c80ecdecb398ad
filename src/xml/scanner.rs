//! The streaming XML stage: checks well-formedness, removes forbidden
//! character references, calls the rules, and forwards everything else as
//! slices of its input.
//!
//! Input arrives as pieces of clean UTF-8 (every piece ends on a character
//! boundary). Text, CDATA and comments are streamed in pieces; units that must
//! be seen whole (tags, references, processing instructions, DOCTYPE) are
//! carried to the next piece when a piece ends inside them, up to a size limit.
//! Nothing depends on where pieces start and end: output and report are the
//! same for any split of the same input.

use crate::error::{Error, Malformed};
use crate::location::{LineTracker, Location};
use crate::report::{CodePoint, Report, Tally};
use crate::sink::{CharChange, CleanSink, Sink};
use crate::xml::lex::{
    self, AttrSpan, DoctypeEndFinder, MAX_REFERENCE, Reference, RemovedRef, Stop, TagEndFinder,
};
use crate::xml::rules::{Edits, Rules, StartTag, TextKind};
use crate::xml::stack::ElementStack;
use memchr::{memchr, memchr3};
use std::cmp::Reverse;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `n`, or `b.len()` if smaller, moved forward to the next character
/// boundary: the carry must never end inside a character.
fn char_boundary(b: &[u8], n: usize) -> usize {
    let mut n = n.min(b.len());
    while n < b.len() && (b[n] & 0xC0) == 0x80 {
        n += 1;
    }
    n
}

/// Limits that bound memory.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Largest unit held whole (tag, PI, DOCTYPE), and largest total of open element names.
    pub(crate) max_token: usize,
    /// Locations kept per kind of change.
    pub(crate) keep: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lex {
    Text,
    CData,
    Comment,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Doc {
    Prolog,
    Root,
    Epilog,
}

/// What the carry holds.
#[derive(Clone, Copy, Debug)]
enum Pending {
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

/// The cumulative number of removed bytes before `b[i]` of a piece whose
/// removals are `shifts` (see [`CleanSink::clean_shifted`]).
fn shift_at(shifts: &[(usize, u64)], i: usize) -> u64 {
    match shifts.partition_point(|&(at, _)| at <= i) {
        0 => 0,
        k => shifts[k - 1].1,
    }
}

/// The piece of input being scanned.
struct Piece<'p> {
    b: &'p [u8],
    /// Stream position of `b[0]`.
    pos: u64,
    /// Input offset of `b[0]`.
    off: u64,
    /// Where the character stage removed bytes inside the piece: `b[i]` is
    /// `shifts` index `base + i`, and was at `off + i + shift_at(base + i)
    /// - shift_at(base)`.
    shifts: &'p [(usize, u64)],
    base: usize,
    /// `b[..emitted]` has been written or dropped.
    emitted: usize,
    /// The line tracker is at `b[synced]`.
    synced: usize,
    /// Where the piece's own output ends (a carry starts there).
    end: usize,
}

impl<'p> Piece<'p> {
    /// A piece with removed bytes between its bytes; `off` is where `b[0]` was.
    fn shifted(b: &'p [u8], pos: u64, off: u64, shifts: &'p [(usize, u64)], base: usize) -> Self {
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
    fn off_at(&self, i: usize) -> u64 {
        let mut off = self.off + i as u64;
        if !self.shifts.is_empty() {
            off += shift_at(self.shifts, self.base + i) - shift_at(self.shifts, self.base);
        }
        off
    }

    #[inline]
    fn flush<S: Sink>(&mut self, to: usize, out: &mut S) {
        if to > self.emitted {
            out.put(&self.b[self.emitted..to]);
            self.emitted = to;
        }
    }
}

/// A sink that writes `pending` (raw output not yet written) before the
/// first bytes a rule writes, so that rules that write nothing cost no flush.
struct LazyFlush<'a, S: Sink> {
    pending: &'a [u8],
    out: &'a mut S,
    flushed: bool,
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

/// The streaming XML stage.
pub(crate) struct XmlStage<R: Rules> {
    pub(crate) rules: R,
    pub(crate) report: Report,
    limits: Limits,
    lex: Lex,
    doc: Doc,
    carry: Vec<u8>,
    carry_pos: u64,
    carry_off: u64,
    /// Where bytes were removed between carried bytes, relative to
    /// `carry_off` (as [`Piece::shifts`] with base 0).
    carry_shifts: Vec<(usize, u64)>,
    /// Input offsets of each byte of a look-ahead carry (at most 3 bytes,
    /// possibly from pieces with removed characters between them).
    lookahead_offs: [u64; 3],
    pending: Pending,
    /// Carry length when it was last lexed to look for a malformation.
    lexed_len: usize,
    /// Tracker over the carry, for locations of changes while a carry waits.
    carry_tracker: Option<(LineTracker, usize)>,
    /// Stream bytes received.
    received: u64,
    /// Input offset just after the last piece received.
    input_end: u64,
    tracker: LineTracker,
    stack: ElementStack,
    attrs: Vec<AttrSpan>,
    removed: Vec<RemovedRef>,
    /// The attribute names of recent tags, for a quicker lexing of the next.
    names: lex::NameCache,
    edits: Edits,
    /// Scratch: the tag's replacements, sorted.
    splices: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>,
    /// The DOCTYPE has an internal subset, so any entity name may be declared.
    any_entity: bool,
    doctype_seen: bool,
    /// Where an XML declaration may stand (after a BOM, if any).
    decl_pos: u64,
    /// A text node has been delivered to the rules and not ended yet.
    in_text: bool,
    /// The XML declaration's encoding must be rewritten to UTF-8.
    rewrite_declaration: bool,
    eof: bool,
    /// The depth the stack returns to when the element being dropped ends
    /// (see [`crate::xml::drop`]).
    drop_depth: Option<usize>,
}

impl<R: Rules> XmlStage<R> {
    pub(crate) fn new(rules: R, limits: Limits) -> Self {
        Self {
            rules,
            report: Report::default(),
            limits,
            lex: Lex::Text,
            doc: Doc::Prolog,
            carry: Vec::new(),
            carry_pos: 0,
            carry_off: 0,
            carry_shifts: Vec::new(),
            lookahead_offs: [0; 3],
            pending: Pending::Markup,
            lexed_len: 0,
            carry_tracker: None,
            received: 0,
            input_end: 0,
            tracker: LineTracker::default(),
            stack: ElementStack::default(),
            attrs: Vec::new(),
            removed: Vec::new(),
            names: lex::NameCache::default(),
            edits: Edits::default(),
            splices: Vec::new(),
            any_entity: false,
            doctype_seen: false,
            decl_pos: 0,
            in_text: false,
            rewrite_declaration: false,
            eof: false,
            drop_depth: None,
        }
    }

    /// Ends the stream: checks that the document is complete.
    pub(crate) fn finish<S: Sink>(&mut self, out: &mut S) -> Result<(), Error> {
        self.eof = true;
        if !self.carry.is_empty() {
            self.reprocess_carry(out)?;
        }
        let (line, column) = self.tracker.here();
        let at_end = Location {
            line,
            column,
            offset: self.input_end,
        };
        let fail = |kind| {
            Err(Error::Malformed {
                kind,
                location: at_end,
            })
        };
        match self.lex {
            Lex::CData => return fail(Malformed::UnexpectedEof("inside a CDATA section")),
            Lex::Comment => return fail(Malformed::UnexpectedEof("inside a comment")),
            Lex::Text => {}
        }
        match self.doc {
            Doc::Prolog => return fail(Malformed::NoRootElement),
            Doc::Root => {
                let (name, opened_line) = self.stack.top().unwrap_or((b"", 0));
                return fail(Malformed::UnclosedElement {
                    name: String::from_utf8_lossy(name).into_owned(),
                    opened_line,
                });
            }
            Doc::Epilog => {}
        }
        if R::SEES_TEXT && self.in_text {
            self.in_text = false;
            self.rules.text_end(TextKind::Text, out)?;
        }
        Ok(())
    }

    /// Moves the line tracker to `p.b[idx]`, filling in lines of open elements on the way.
    fn sync(&mut self, p: &mut Piece<'_>, idx: usize) {
        if idx <= p.synced {
            return;
        }
        loop {
            let next = self.stack.unresolved().next();
            let Some(frame_pos) = next.filter(|&f| f < p.pos + idx as u64) else {
                break;
            };
            let at = frame_pos.saturating_sub(p.pos) as usize;
            if at > p.synced {
                self.tracker.advance(&p.b[p.synced..at]);
                p.synced = at;
            }
            self.stack.resolve_next(self.tracker.here().0);
        }
        self.tracker.advance(&p.b[p.synced..idx]);
        p.synced = idx;
    }

    fn location(&mut self, p: &mut Piece<'_>, idx: usize) -> Location {
        self.sync(p, idx);
        let (line, column) = self.tracker.here();
        Location {
            line,
            column,
            offset: p.off_at(idx),
        }
    }

    fn malformed(&mut self, p: &mut Piece<'_>, idx: usize, kind: Malformed) -> Error {
        Error::Malformed {
            kind,
            location: self.location(p, idx),
        }
    }

    fn reprocess_carry<S: Sink>(&mut self, out: &mut S) -> Result<(), Error> {
        let carry = std::mem::take(&mut self.carry);
        let shifts = std::mem::take(&mut self.carry_shifts);
        self.carry_tracker = None;
        let piece = Piece::shifted(&carry, self.carry_pos, self.carry_off, &shifts, 0);
        let r = self.process(piece, out);
        if self.carry.is_empty() {
            let mut reuse = carry;
            reuse.clear();
            self.carry = reuse;
        }
        if self.carry_shifts.is_empty() {
            let mut reuse = shifts;
            reuse.clear();
            self.carry_shifts = reuse;
        }
        r
    }

    /// Notes that carried byte `idx` (about to be appended) was at input
    /// offset `off`, when that is not where the carry's offsets say.
    fn carry_shift(&mut self, idx: usize, off: u64) {
        let shift = self.carry_shifts.last().map_or(0, |&(_, s)| s);
        let gap = off.saturating_sub(self.carry_off + idx as u64);
        if gap != shift {
            self.carry_shifts.push((idx, gap));
        }
    }

    fn carry_too_large(&self) -> Error {
        let (line, column) = self.tracker.here();
        Error::TokenTooLarge {
            what: self.pending.what(),
            limit: self.limits.max_token,
            location: Location {
                line,
                column,
                offset: self.carry_off,
            },
        }
    }

    /// Where the carried (incomplete) tag or processing instruction is
    /// malformed already, if it is.
    fn carry_error_at(&mut self) -> Option<usize> {
        let b = &self.carry;
        let r = match self.pending {
            Pending::Tag(_) if b.get(1) == Some(&b'/') => lex::end_tag(b, 0).map(|_| ()),
            Pending::Tag(_) => lex::start_tag(
                b,
                0,
                self.any_entity,
                &mut self.attrs,
                &mut self.removed,
                &mut self.names,
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

    /// A unit that needed `span` bytes from `j` to be decided (its length, or
    /// up to and including its first malformed byte) is too large past the limit.
    fn check_span(
        &mut self,
        p: &mut Piece<'_>,
        j: usize,
        span: usize,
        what: &'static str,
    ) -> Result<(), Error> {
        if span > self.limits.max_token {
            let location = self.location(p, j);
            return Err(Error::TokenTooLarge {
                what,
                limit: self.limits.max_token,
                location,
            });
        }
        Ok(())
    }

    /// What to do with the carried unit given the next bytes `rest`. The
    /// carry only ever holds one unit: bytes past its end are never taken.
    fn need(&mut self, rest: &[u8]) -> Need {
        loop {
            let have = self.carry.len();
            return match &mut self.pending {
                Pending::Tag(f) => f
                    .find(rest)
                    .map_or(Need::Take(rest.len(), false), |n| Need::Take(n, true)),
                Pending::Doctype(f) => f
                    .find(rest)
                    .map_or(Need::Take(rest.len(), false), |n| Need::Take(n, true)),
                Pending::Pi => {
                    if self.carry.last() == Some(&b'?') && rest[0] == b'>' {
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
                    head[..n].copy_from_slice(&self.carry[..n]);
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
                                let _ = f.find(&finder_from(&self.carry));
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
                                if self.doc != Doc::Prolog || self.doctype_seen {
                                    // Misplaced: report that, whatever its length.
                                    return Need::Take(9 - have, true);
                                }
                                let mut f = DoctypeEndFinder::default();
                                let _ = f.find(&finder_from(&self.carry));
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
                            let _ = f.find(&finder_from(&self.carry));
                            self.pending = Pending::Tag(f);
                            continue;
                        }
                    }
                }
                Pending::Lookahead => {
                    // `]`/`]]` in text or CDATA, `-`/`--` in a comment.
                    let end: &[u8] = if self.lex == Lex::Comment {
                        b"-->"
                    } else {
                        b"]]>"
                    };
                    let mut head = [0u8; 3];
                    let n = have.min(3);
                    head[..n].copy_from_slice(&self.carry[..n]);
                    let extra = (3 - n).min(rest.len());
                    head[n..n + extra].copy_from_slice(&rest[..extra]);
                    let head = &head[..n + extra];
                    if head.starts_with(end) {
                        Need::Take(end.len() - have, true)
                    } else if end.starts_with(head) {
                        Need::Take(extra, false)
                    } else if self.lex == Lex::Comment && head.starts_with(b"--") {
                        // "--" not followed by '>': let the scanner report it.
                        Need::Take(char_boundary(rest, 3 - have), true)
                    } else {
                        Need::Release(1)
                    }
                }
            };
        }
    }

    /// The first `n` carried bytes turned out to be content of the current
    /// node: hand them on and drop them from the carry.
    fn release_front<S: Sink>(&mut self, n: usize, out: &mut S) -> Result<(), Error> {
        let mut bytes = [0u8; 4];
        let n = n.min(self.carry.len()).min(4);
        bytes[..n].copy_from_slice(&self.carry[..n]);
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
        self.carry.drain(..n);
        self.carry_pos += n as u64;
        self.lookahead_offs.rotate_left(n);
        self.carry_off = self.lookahead_offs[0];
        if !self.carry_shifts.is_empty() {
            let base = shift_at(&self.carry_shifts, n);
            self.carry_shifts.retain(|&(at, _)| at > n);
            for (at, s) in &mut self.carry_shifts {
                *at -= n;
                *s -= base;
            }
        }
        self.carry_tracker = None;
        Ok(())
    }

    /// Starts carrying `p.b[j..]`; the piece ends there.
    fn start_carry(
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
        self.carry.extend_from_slice(&p.b[j..]);
        self.carry_pos = p.pos + j as u64;
        self.carry_off = p.off_at(j);
        self.carry_shifts.clear();
        if !p.shifts.is_empty() {
            let (from, end) = (p.base + j, p.base + p.b.len());
            let base = shift_at(p.shifts, from);
            self.carry_shifts.extend(
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
        if self.carry.len() > self.limits.max_token {
            let location = self.location(p, j);
            return Err(Error::TokenTooLarge {
                what: pending.what(),
                limit: self.limits.max_token,
                location,
            });
        }
        Ok(p.b.len())
    }

    /// Scans one piece.
    fn process<S: Sink>(&mut self, mut p: Piece<'_>, out: &mut S) -> Result<(), Error> {
        let mut i = 0;
        if p.pos == 0 && p.b.starts_with(BOM) {
            i = BOM.len();
            self.decl_pos = BOM.len() as u64;
        }
        while i < p.b.len() {
            i = match self.lex {
                Lex::Text => self.text(&mut p, i, out)?,
                Lex::CData => self.cdata(&mut p, i, out)?,
                Lex::Comment => self.comment(&mut p, i, out)?,
            };
        }
        let end = p.end;
        p.flush(end, out);
        self.sync(&mut p, end);
        Ok(())
    }

    /// Hands `p.b[from..to]` to the rules, if they look at text.
    #[inline]
    fn deliver<S: Sink>(
        &mut self,
        p: &mut Piece<'_>,
        from: usize,
        to: usize,
        kind: TextKind,
        out: &mut S,
    ) -> Result<(), Error> {
        if R::SEES_TEXT && to > from {
            // Output before the piece is written only if the rule writes:
            // unchanged text keeps coalescing with what surrounds it.
            let mut lazy = LazyFlush {
                pending: &p.b[p.emitted..from],
                out,
                flushed: false,
            };
            if self.rules.text(kind, &p.b[from..to], &mut lazy)? {
                if !lazy.flushed {
                    lazy.out.put(lazy.pending);
                }
                p.emitted = to;
            }
            if kind == TextKind::Text {
                self.in_text = true;
            }
        }
        Ok(())
    }

    /// Ends a CDATA section or comment for the rules.
    fn end_node<S: Sink>(
        &mut self,
        p: &mut Piece<'_>,
        at: usize,
        kind: TextKind,
        out: &mut S,
    ) -> Result<(), Error> {
        if R::SEES_TEXT {
            let mut lazy = LazyFlush {
                pending: &p.b[p.emitted..at],
                out,
                flushed: false,
            };
            self.rules.text_end(kind, &mut lazy)?;
            if lazy.flushed {
                p.emitted = at;
            }
        }
        Ok(())
    }

    fn text<S: Sink>(&mut self, p: &mut Piece<'_>, i: usize, out: &mut S) -> Result<usize, Error> {
        let b = p.b;
        if self.doc != Doc::Root {
            let k = b[i..]
                .iter()
                .position(|&c| !crate::chars::is_space(c))
                .map_or(b.len(), |d| i + d);
            if k == b.len() {
                return Ok(k);
            }
            if b[k] == b'<' {
                return self.markup(p, k, out);
            }
            let side = if self.doc == Doc::Prolog {
                "before"
            } else {
                "after"
            };
            return Err(self.malformed(p, k, Malformed::TextOutsideRoot(side)));
        }
        let mut run = i;
        let mut k = i;
        loop {
            let Some(d) = memchr3(b'<', b'&', b']', &b[k..]) else {
                self.deliver(p, run, b.len(), TextKind::Text, out)?;
                return Ok(b.len());
            };
            k += d;
            match b[k] {
                b'<' => {
                    self.deliver(p, run, k, TextKind::Text, out)?;
                    return self.markup(p, k, out);
                }
                b'&' => match lex::reference(b, k, self.any_entity) {
                    Ok(Reference::Valid(end)) => k = end,
                    Ok(Reference::Forbidden { end, code_point }) => {
                        self.deliver(p, run, k, TextKind::Text, out)?;
                        self.removed_ref(p, k, code_point);
                        p.flush(k, out);
                        p.emitted = end;
                        k = end;
                        run = end;
                    }
                    Err(Stop::Incomplete) => {
                        self.deliver(p, run, k, TextKind::Text, out)?;
                        return self.start_carry(p, k, Pending::Ref);
                    }
                    Err(Stop::Bad(at, m)) => return Err(self.malformed(p, at, m)),
                },
                _ => {
                    let rest = &b[k..];
                    if rest.starts_with(b"]]>") {
                        return Err(self.malformed(p, k, Malformed::CdataEndInText));
                    }
                    if rest.len() < 3 && rest.iter().all(|&c| c == b']') && !self.eof {
                        self.deliver(p, run, k, TextKind::Text, out)?;
                        return self.start_carry(p, k, Pending::Lookahead);
                    }
                    k += 1;
                }
            }
        }
    }

    fn removed_ref(&mut self, p: &mut Piece<'_>, at: usize, code_point: u32) {
        let keep = self.limits.keep;
        let needs_location = self
            .report
            .removed_char_refs
            .get(&CodePoint(code_point))
            .is_none_or(|t| t.first.len() < keep);
        let loc = if needs_location {
            self.location(p, at)
        } else {
            Location::default()
        };
        self.report
            .removed_char_refs
            .entry(CodePoint(code_point))
            .or_default()
            .add(loc, keep);
    }

    fn markup<S: Sink>(
        &mut self,
        p: &mut Piece<'_>,
        j: usize,
        out: &mut S,
    ) -> Result<usize, Error> {
        if R::SEES_TEXT && self.in_text {
            self.in_text = false;
            self.end_node(p, j, TextKind::Text, out)?;
        }
        let b = p.b;
        let Some(&next) = b.get(j + 1) else {
            return self.start_carry(p, j, Pending::Markup);
        };
        match next {
            b'/' => self.end_tag(p, j, out),
            b'?' => self.pi(p, j, out),
            b'!' => {
                let rest = &b[j..];
                if rest.starts_with(b"<!--") {
                    self.lex = Lex::Comment;
                    return Ok(j + 4);
                }
                if rest.starts_with(b"<![CDATA[") {
                    if self.doc != Doc::Root {
                        return Err(self.malformed(p, j, Malformed::CdataOutsideRoot));
                    }
                    self.lex = Lex::CData;
                    return Ok(j + 9);
                }
                if rest.starts_with(b"<!DOCTYPE") {
                    return self.doctype(p, j);
                }
                let need_more = [&b"<!--"[..], b"<![CDATA[", b"<!DOCTYPE"]
                    .iter()
                    .any(|m| m.len() > rest.len() && m.starts_with(rest));
                if need_more {
                    return self.start_carry(p, j, Pending::Markup);
                }
                Err(self.malformed(p, j, Malformed::BadMarkupDeclaration))
            }
            _ => self.start_tag(p, j, out),
        }
    }

    fn doctype(&mut self, p: &mut Piece<'_>, j: usize) -> Result<usize, Error> {
        if self.doc != Doc::Prolog || self.doctype_seen {
            return Err(self.malformed(p, j, Malformed::MisplacedDoctype));
        }
        let mut f = DoctypeEndFinder::default();
        match f.find(&p.b[j + 9..]) {
            Some(n) => {
                self.check_span(p, j, 9 + n, "DOCTYPE declaration")?;
                self.doctype_seen = true;
                self.any_entity = f.internal_subset;
                Ok(j + 9 + n)
            }
            None => self.start_carry(p, j, Pending::Doctype(f)),
        }
    }

    fn pi<S: Sink>(&mut self, p: &mut Piece<'_>, j: usize, out: &mut S) -> Result<usize, Error> {
        match lex::processing_instruction(p.b, j) {
            Ok((end, target)) => {
                self.check_span(p, j, end - j, "processing instruction")?;
                let t = &p.b[target];
                if t.eq_ignore_ascii_case(b"xml") {
                    if t != b"xml" || p.pos + j as u64 != self.decl_pos {
                        return Err(self.malformed(p, j, Malformed::MisplacedXmlDeclaration));
                    }
                    if let Err(m) = lex::xml_declaration(&p.b[j..end]) {
                        return Err(self.malformed(p, j, m));
                    }
                    if self.rewrite_declaration {
                        self.rewrite_encoding(p, j, end, out);
                    }
                }
                Ok(end)
            }
            Err(Stop::Incomplete) => self.start_carry(p, j, Pending::Pi),
            Err(Stop::Bad(at, m)) => {
                self.check_span(p, j, at + 1 - j, "processing instruction")?;
                Err(self.malformed(p, at, m))
            }
        }
    }

    /// Makes the declaration `p.b[j..end]` say `encoding="UTF-8"`.
    fn rewrite_encoding<S: Sink>(&mut self, p: &mut Piece<'_>, j: usize, end: usize, out: &mut S) {
        let Some(range) = crate::decode::declared_encoding(&p.b[j..end]) else {
            return;
        };
        if &p.b[j + range.start..j + range.end] != b"UTF-8" {
            p.flush(j + range.start, out);
            out.put(b"UTF-8");
            p.emitted = j + range.end;
            self.report.declaration_rewritten = true;
        }
    }

    fn end_tag<S: Sink>(
        &mut self,
        p: &mut Piece<'_>,
        j: usize,
        out: &mut S,
    ) -> Result<usize, Error> {
        let b = p.b;
        let (end, name) = match lex::end_tag(&b[j..], 0) {
            Ok(r) => r,
            Err(Stop::Incomplete) => {
                return self.start_carry(p, j, Pending::Tag(TagEndFinder::new(true)));
            }
            Err(Stop::Bad(at, m)) => {
                self.check_span(p, j, at + 1, "tag")?;
                return Err(self.malformed(p, j + at, m));
            }
        };
        self.check_span(p, j, end, "tag")?;
        let name = &b[j + name.start..j + name.end];
        let lossy = |n: &[u8]| String::from_utf8_lossy(n).into_owned();
        match self.stack.top() {
            None => return Err(self.malformed(p, j, Malformed::UnexpectedEndTag(lossy(name)))),
            Some((top, _)) if top != name => {
                let expected = lossy(top);
                self.sync(p, j);
                let opened_line = self.stack.top().map_or(0, |t| t.1);
                let kind = Malformed::MismatchedEndTag {
                    expected,
                    found: lossy(name),
                    opened_line,
                };
                return Err(self.malformed(p, j, kind));
            }
            Some(_) => {}
        }
        self.stack.pop();
        if R::SEES_TAGS {
            self.rules.end_tag(name);
            if self.drop_depth == Some(self.stack.depth()) {
                self.drop_depth = None;
                p.flush(j + end, out);
                out.dropping(false);
            }
        }
        if self.stack.is_empty() {
            self.doc = Doc::Epilog;
        }
        Ok(j + end)
    }

    fn start_tag<S: Sink>(
        &mut self,
        p: &mut Piece<'_>,
        j: usize,
        out: &mut S,
    ) -> Result<usize, Error> {
        let mut attrs = std::mem::take(&mut self.attrs);
        let mut removed = std::mem::take(&mut self.removed);
        let lexed = lex::start_tag(
            &p.b[j..],
            0,
            self.any_entity,
            &mut attrs,
            &mut removed,
            &mut self.names,
        );
        let r = match lexed {
            Ok(t) => match self.check_span(p, j, t.end, "tag") {
                Ok(()) => self.on_start_tag(p, j, &t, &attrs, &removed, out),
                Err(e) => Err(e),
            },
            Err(Stop::Incomplete) => self.start_carry(p, j, Pending::Tag(TagEndFinder::new(false))),
            Err(Stop::Bad(at, m)) => match self.check_span(p, j, at + 1, "tag") {
                Ok(()) => Err(self.malformed(p, j + at, m)),
                Err(e) => Err(e),
            },
        };
        self.attrs = attrs;
        self.removed = removed;
        r
    }

    fn on_start_tag<S: Sink>(
        &mut self,
        p: &mut Piece<'_>,
        j: usize,
        t: &lex::StartTagEnd,
        attrs: &[AttrSpan],
        removed: &[RemovedRef],
        out: &mut S,
    ) -> Result<usize, Error> {
        let b = p.b;
        let raw = &b[j..j + t.end];
        let name = &raw[1..t.name_end];
        match self.doc {
            Doc::Epilog => {
                let n = String::from_utf8_lossy(name).into_owned();
                return Err(self.malformed(p, j, Malformed::SecondRoot(n)));
            }
            Doc::Prolog => self.doc = Doc::Root,
            Doc::Root => {}
        }
        for r in removed {
            self.removed_ref(p, j + r.range.start, r.code_point);
        }
        let mut edits = std::mem::take(&mut self.edits);
        edits.clear();
        if R::SEES_TAGS {
            let tag = StartTag {
                raw,
                name_end: t.name_end,
                attrs,
                removed,
                offset: p.off_at(j),
            };
            if let Err(e) = self.rules.start_tag(&tag, &mut edits) {
                self.edits = edits;
                return Err(e);
            }
        }
        if (!removed.is_empty() || !edits.is_empty()) && edits.drops() {
            if self.drop_depth.is_none() {
                // What precedes the tag goes out; the element goes into the
                // gate, closed at once if empty, at its end tag otherwise.
                p.flush(j, out);
                out.dropping(true);
                if t.empty {
                    p.flush(j + t.end, out);
                    out.dropping(false);
                } else {
                    self.drop_depth = Some(self.stack.depth());
                }
            }
        } else if !removed.is_empty() || !edits.is_empty() {
            // Replacements as (range in the tag, range in the edit buffer);
            // removed references have an empty replacement.
            let mut splices = std::mem::take(&mut self.splices);
            splices.clear();
            splices.extend(removed.iter().map(|r| (r.range.clone(), 0..0)));
            splices.extend_from_slice(edits.ranges());
            splices.sort_by_key(|(r, _)| (r.start, Reverse(r.end)));
            let bytes = edits.bytes();
            p.flush(j, out);
            let mut from = 0;
            for (range, with) in &splices {
                if range.start < from || range.end > raw.len() {
                    continue;
                }
                out.put(&raw[from..range.start]);
                out.put(&bytes[with.clone()]);
                from = range.end;
            }
            out.put(&raw[from..]);
            p.emitted = j + t.end;
            self.splices = splices;
        }
        self.edits = edits;
        if t.empty {
            if R::SEES_TAGS {
                self.rules.end_tag(name);
            }
            if self.stack.is_empty() {
                self.doc = Doc::Epilog;
            }
        } else {
            self.stack.push(name, p.pos + j as u64);
            if self.stack.bytes() > self.limits.max_token {
                let location = self.location(p, j);
                return Err(Error::TokenTooLarge {
                    what: "set of open element names",
                    limit: self.limits.max_token,
                    location,
                });
            }
        }
        Ok(j + t.end)
    }

    fn cdata<S: Sink>(&mut self, p: &mut Piece<'_>, i: usize, out: &mut S) -> Result<usize, Error> {
        let b = p.b;
        let mut k = i;
        loop {
            let Some(d) = memchr(b']', &b[k..]) else {
                self.deliver(p, i, b.len(), TextKind::CData, out)?;
                return Ok(b.len());
            };
            k += d;
            let rest = &b[k..];
            if rest.starts_with(b"]]>") {
                self.deliver(p, i, k, TextKind::CData, out)?;
                self.end_node(p, k, TextKind::CData, out)?;
                self.lex = Lex::Text;
                return Ok(k + 3);
            }
            if rest.len() < 3 && rest.iter().all(|&c| c == b']') && !self.eof {
                self.deliver(p, i, k, TextKind::CData, out)?;
                return self.start_carry(p, k, Pending::Lookahead);
            }
            k += 1;
        }
    }

    fn comment<S: Sink>(
        &mut self,
        p: &mut Piece<'_>,
        i: usize,
        out: &mut S,
    ) -> Result<usize, Error> {
        let b = p.b;
        let mut k = i;
        loop {
            let Some(d) = memchr(b'-', &b[k..]) else {
                self.deliver(p, i, b.len(), TextKind::Comment, out)?;
                return Ok(b.len());
            };
            k += d;
            match (b.get(k + 1), b.get(k + 2)) {
                (Some(b'-'), Some(b'>')) => {
                    self.deliver(p, i, k, TextKind::Comment, out)?;
                    self.end_node(p, k, TextKind::Comment, out)?;
                    self.lex = Lex::Text;
                    return Ok(k + 3);
                }
                (Some(b'-'), Some(_)) => {
                    return Err(self.malformed(p, k, Malformed::DoubleHyphenInComment));
                }
                (Some(b'-'), None) | (None, _) if !self.eof => {
                    self.deliver(p, i, k, TextKind::Comment, out)?;
                    return self.start_carry(p, k, Pending::Lookahead);
                }
                _ => k += 1,
            }
        }
    }

    /// Where the current stream position is, for a change noted between pieces.
    fn here(&mut self) -> (u64, u64) {
        if self.carry.is_empty() {
            return self.tracker.here();
        }
        let (t, done) = self
            .carry_tracker
            .get_or_insert_with(|| (self.tracker.clone(), 0));
        t.advance(&self.carry[*done..]);
        *done = self.carry.len();
        t.here()
    }
}

fn tally_for(report: &mut Report, change: CharChange) -> &mut Tally {
    match change {
        CharChange::Removed(cp) => report.removed_chars.entry(CodePoint(cp)).or_default(),
        CharChange::InvalidUtf8 => &mut report.invalid_utf8,
        CharChange::LoneSurrogate => &mut report.lone_surrogates,
        CharChange::Cesu8Pair => &mut report.cesu8_pairs,
        CharChange::InvalidEncoded => &mut report.invalid_encoded,
    }
}

impl<R: Rules> CleanSink for XmlStage<R> {
    fn clean<S: Sink>(
        &mut self,
        bytes: &[u8],
        input_offset: u64,
        out: &mut S,
    ) -> Result<(), Error> {
        self.clean_shifted(bytes, input_offset, &[], out)
    }

    fn clean_shifted<S: Sink>(
        &mut self,
        bytes: &[u8],
        input_offset: u64,
        shifts: &[(usize, u64)],
        out: &mut S,
    ) -> Result<(), Error> {
        // Input offset of bytes[k].
        let off_of = |k: usize| input_offset + k as u64 + shift_at(shifts, k);
        let mut rest = bytes;
        let mut at = 0;
        if let Some(last) = bytes.len().checked_sub(1) {
            self.input_end = off_of(last) + 1;
        }
        while !self.carry.is_empty() && !rest.is_empty() {
            let (n, complete) = match self.need(rest) {
                Need::Release(n) => {
                    self.release_front(n, out)?;
                    continue;
                }
                Need::Take(n, complete) => (n, complete),
            };
            if matches!(self.pending, Pending::Lookahead) {
                let have = self.carry.len();
                for i in 0..n.min(3usize.saturating_sub(have)) {
                    self.lookahead_offs[have + i] = off_of(at + i);
                }
            }
            // Where the carried bytes were: a gap before them, and any inside.
            let c = self.carry.len();
            self.carry_shift(c, off_of(at));
            let inside = shifts.partition_point(|&(k, _)| k <= at);
            for &(k, _) in shifts[inside..].iter().take_while(|&&(k, _)| k < at + n) {
                self.carry_shift(c + k - at, off_of(k));
            }
            self.carry.extend_from_slice(&rest[..n]);
            self.received += n as u64;
            rest = &rest[n..];
            at += n;
            if self.carry.len() > self.limits.max_token {
                // Too large, unless it is already malformed within the limit.
                match self.carry_error_at() {
                    Some(at) if at < self.limits.max_token => {}
                    _ => return Err(self.carry_too_large()),
                }
            } else if !complete {
                // Look for a malformation each time the carry doubles (amortised
                // linear), so it is found at the same byte however the input is split.
                if self.carry.len() < 2 * self.lexed_len.max(1024) {
                    return Ok(());
                }
                self.lexed_len = self.carry.len();
                if self.carry_error_at().is_none() {
                    return Ok(());
                }
            }
            self.reprocess_carry(out)?;
        }
        if rest.is_empty() {
            return Ok(());
        }
        let pos = self.received;
        self.received += rest.len() as u64;
        self.process(Piece::shifted(rest, pos, off_of(at), shifts, at), out)
    }

    fn wants_location(&mut self, change: CharChange) -> bool {
        change.wants_location(&self.report, self.limits.keep)
    }

    fn rewrite_declaration(&mut self) {
        self.rewrite_declaration = true;
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
        let keep = self.limits.keep;
        let tally = tally_for(&mut self.report, change);
        if tally.first.len() < keep {
            let location = CleanSink::location(self, input_offset);
            tally_for(&mut self.report, change).add_run(location, count, keep);
        } else {
            // Past the locations kept: one lookup, no line count.
            tally.count += count;
        }
        Ok(())
    }

    fn location(&mut self, input_offset: u64) -> Location {
        let (line, column) = self.here();
        Location {
            line,
            column,
            offset: input_offset,
        }
    }
}
