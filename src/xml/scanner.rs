//! The streaming XML stage's dispatcher: scans each piece for text, CDATA,
//! comments and tags, checks their well-formedness, removes forbidden
//! character references, calls the rules, and forwards everything else as
//! slices of its input.
//!
//! Input arrives as pieces of clean UTF-8 (every piece ends on a character
//! boundary). Text, CDATA and comments are streamed in pieces; units that must
//! be seen whole (tags, references, processing instructions, DOCTYPE) are
//! carried to the next piece when a piece ends inside them, up to a size limit
//! ([`crate::xml::carry`]). Nothing depends on where pieces start and end:
//! output and report are the same for any split of the same input. The rules
//! of the document as a whole (one root, the declaration, the DOCTYPE) are in
//! [`crate::xml::document`]; a piece and its input offsets in
//! [`crate::xml::piece`].

use crate::error::{Error, Malformed};
use crate::location::{LineTracker, Location};
use crate::report::{CodePoint, Report, Tally};
use crate::sink::{CharChange, CleanSink, Sink};
use crate::xml::carry::{Carry, Pending};
use crate::xml::document::Document;
use crate::xml::lex::{self, AttrSpan, Reference, RemovedRef, Stop, TagEndFinder};
use crate::xml::piece::{LazyFlush, Piece, shift_at};
use crate::xml::rules::{Edits, Rules, StartTag, TextKind};
use crate::xml::stack::ElementStack;
use memchr::{memchr, memchr3};
use std::cmp::Reverse;

/// Limits that bound memory.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Largest unit held whole (tag, PI, DOCTYPE), and largest total of open element names.
    pub(crate) max_token: usize,
    /// Locations kept per kind of change.
    pub(crate) keep: usize,
}

/// The lexical state: what the next bytes of content are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lex {
    Text,
    CData,
    Comment,
}

/// Scratch buffers for lexing and editing start tags, kept between tags.
#[derive(Default)]
pub(super) struct TagScratch {
    pub(super) attrs: Vec<AttrSpan>,
    pub(super) removed: Vec<RemovedRef>,
    /// The attribute names of recent tags, for a quicker lexing of the next.
    pub(super) names: lex::NameCache,
    edits: Edits,
    /// The tag's replacements, sorted.
    splices: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>,
}

/// The streaming XML stage.
pub(crate) struct XmlStage<R: Rules> {
    pub(crate) rules: R,
    pub(crate) report: Report,
    pub(super) limits: Limits,
    pub(super) lex: Lex,
    /// The document-level state: prolog, root or epilog; DOCTYPE; declaration.
    pub(super) doc: Document,
    /// The unit a piece ended inside, waiting for the next pieces.
    pub(super) carry: Carry,
    pub(super) tag: TagScratch,
    /// Stream bytes received.
    pub(super) received: u64,
    /// Input offset just after the last piece received.
    input_end: u64,
    pub(super) tracker: LineTracker,
    stack: ElementStack,
    /// A text node has been delivered to the rules and not ended yet.
    pub(super) in_text: bool,
    pub(super) eof: bool,
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
            doc: Document::default(),
            carry: Carry::default(),
            tag: TagScratch::default(),
            received: 0,
            input_end: 0,
            tracker: LineTracker::default(),
            stack: ElementStack::default(),
            in_text: false,
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
        if let Some(missing) = self.doc.missing_at_end(&self.stack) {
            return fail(missing);
        }
        if R::SEES_TEXT && self.in_text {
            self.in_text = false;
            self.rules.text_end(TextKind::Text, out)?;
        }
        Ok(())
    }

    /// Moves the line tracker to `p.b[idx]`, filling in lines of open elements on the way.
    pub(super) fn sync(&mut self, p: &mut Piece<'_>, idx: usize) {
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

    pub(super) fn location(&mut self, p: &mut Piece<'_>, idx: usize) -> Location {
        self.sync(p, idx);
        let (line, column) = self.tracker.here();
        Location {
            line,
            column,
            offset: p.off_at(idx),
        }
    }

    pub(super) fn malformed(&mut self, p: &mut Piece<'_>, idx: usize, kind: Malformed) -> Error {
        Error::Malformed {
            kind,
            location: self.location(p, idx),
        }
    }

    /// A unit that needed `span` bytes from `j` to be decided (its length, or
    /// up to and including its first malformed byte) is too large past the limit.
    pub(super) fn check_span(
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

    /// Scans one piece.
    pub(super) fn process<S: Sink>(&mut self, mut p: Piece<'_>, out: &mut S) -> Result<(), Error> {
        let mut i = self.doc.skip_bom(&p);
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
        if !self.doc.in_root() {
            return self.outside_root(p, i, out);
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
                    // A whole node of indentation between rows goes out as
                    // it is when the rules say it changes nothing for them.
                    let blank_node = R::SEES_TEXT
                        && !self.in_text
                        && self.rules.ignores_blank_text()
                        && lex::skip_space(b, run) == k;
                    if !blank_node {
                        self.deliver(p, run, k, TextKind::Text, out)?;
                    }
                    return self.markup(p, k, out);
                }
                b'&' => match lex::reference(b, k, self.doc.any_entity()) {
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

    pub(super) fn markup<S: Sink>(
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
                    if !self.doc.in_root() {
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

    fn pi<S: Sink>(&mut self, p: &mut Piece<'_>, j: usize, out: &mut S) -> Result<usize, Error> {
        match lex::processing_instruction(p.b, j) {
            Ok((end, target)) => {
                self.check_span(p, j, end - j, "processing instruction")?;
                let b = p.b;
                let t = &b[target];
                if t.eq_ignore_ascii_case(b"xml") {
                    self.declaration(p, j, end, t, out)?;
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
        self.doc.close_element(&self.stack);
        Ok(j + end)
    }

    fn start_tag<S: Sink>(
        &mut self,
        p: &mut Piece<'_>,
        j: usize,
        out: &mut S,
    ) -> Result<usize, Error> {
        let mut attrs = std::mem::take(&mut self.tag.attrs);
        let mut removed = std::mem::take(&mut self.tag.removed);
        let lexed = lex::start_tag(
            &p.b[j..],
            0,
            self.doc.any_entity(),
            &mut attrs,
            &mut removed,
            &mut self.tag.names,
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
        self.tag.attrs = attrs;
        self.tag.removed = removed;
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
        if !self.doc.open_element() {
            let n = String::from_utf8_lossy(name).into_owned();
            return Err(self.malformed(p, j, Malformed::SecondRoot(n)));
        }
        for r in removed {
            self.removed_ref(p, j + r.range.start, r.code_point);
        }
        // Borrowed in place (not taken and put back): with no rules that is
        // a call per tag saved, the drop of the value put back.
        let edits = &mut self.tag.edits;
        edits.clear();
        if R::SEES_TAGS {
            let tag = StartTag {
                raw,
                name_end: t.name_end,
                attrs,
                removed,
                offset: p.off_at(j),
            };
            self.rules.start_tag(&tag, edits)?;
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
            // What the tag keeps before and after each replacement stays
            // pending with the input around it: one write for the input
            // since the last change, one for the replacement.
            if let ([], [(range, with)]) = (removed, edits.ranges()) {
                // One replacement (a shifted timestamp, a remapped link): no
                // list to build and sort.
                if range.start <= range.end && range.end <= raw.len() {
                    p.flush(j + range.start, out);
                    out.put(&edits.bytes()[with.clone()]);
                    p.emitted = j + range.end;
                }
            } else {
                // Replacements as (range in the tag, range in the edit buffer);
                // removed references have an empty replacement.
                let mut splices = std::mem::take(&mut self.tag.splices);
                splices.clear();
                splices.extend(removed.iter().map(|r| (r.range.clone(), 0..0)));
                splices.extend_from_slice(edits.ranges());
                splices.sort_by_key(|(r, _)| (r.start, Reverse(r.end)));
                let bytes = edits.bytes();
                let mut from = 0;
                for (range, with) in &splices {
                    if range.start < from || range.end > raw.len() {
                        continue;
                    }
                    p.flush(j + range.start, out);
                    out.put(&bytes[with.clone()]);
                    p.emitted = j + range.end;
                    from = range.end;
                }
                self.tag.splices = splices;
            }
        }
        if t.empty {
            if R::SEES_TAGS {
                self.rules.end_tag(name);
            }
            self.doc.close_element(&self.stack);
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
        if let Some(last) = bytes.len().checked_sub(1) {
            self.input_end = input_offset + last as u64 + shift_at(shifts, last) + 1;
        }
        let at = if self.carry.is_empty() {
            0
        } else {
            match self.continue_carry(bytes, input_offset, shifts, out)? {
                Some(at) => at,
                None => return Ok(()),
            }
        };
        if at == bytes.len() {
            return Ok(());
        }
        let rest = &bytes[at..];
        let pos = self.received;
        self.received += rest.len() as u64;
        let off = input_offset + at as u64 + shift_at(shifts, at);
        self.process(Piece::shifted(rest, pos, off, shifts, at), out)
    }

    fn wants_location(&mut self, change: CharChange) -> bool {
        change.wants_location(&self.report, self.limits.keep)
    }

    fn rewrite_declaration(&mut self) {
        self.doc.rewrite_declaration();
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
