//! The hooks through which product rules (timestamps, links, ...) change what
//! the scanner streams through, kept apart from the streaming mechanism.
//!
//! The scanner calls a [`Rules`] value for every start tag, end tag and piece
//! of text. Rules that do nothing cost nothing: with [`NoRules`] the scanner
//! forwards unchanged input as whole slices.

use crate::error::Error;
use crate::sink::Sink;
use crate::xml::lex::{AttrSpan, RemovedRef};
use std::borrow::Cow;
use std::ops::Range;

/// Which kind of character data a text piece belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TextKind {
    /// Character data between tags (still escaped: `&amp;` arrives as such).
    Text,
    /// The inside of a CDATA section.
    CData,
    /// The inside of a comment.
    Comment,
}

/// A start tag as the rules see it.
pub(crate) struct StartTag<'a> {
    /// The whole tag, from `<` to `>`.
    pub(crate) raw: &'a [u8],
    /// Index after the element name in `raw`.
    pub(crate) name_end: usize,
    pub(crate) attrs: &'a [AttrSpan],
    pub(crate) removed: &'a [RemovedRef],
    /// Input offset of the `<`.
    #[allow(dead_code)]
    pub(crate) offset: u64,
}

impl<'a> StartTag<'a> {
    /// The element name.
    #[allow(dead_code)]
    pub(crate) fn name(&self) -> &'a [u8] {
        &self.raw[1..self.name_end]
    }

    /// The attributes as (name, raw value range) pairs.
    #[allow(dead_code)]
    pub(crate) fn attributes(&self) -> impl Iterator<Item = (&'a [u8], Range<usize>)> + '_ {
        self.attrs
            .iter()
            .map(|a| (&self.raw[a.name.clone()], a.value.clone()))
    }

    /// The raw (still escaped) value of attribute `name`, without removed
    /// references; `None` when the tag has no such attribute.
    pub(crate) fn attr(&self, name: &[u8]) -> Option<Cow<'a, [u8]>> {
        self.attributes()
            .find(|(n, _)| *n == name)
            .map(|(_, r)| self.value(r))
    }

    /// The value of attribute `name` as text, with the predefined entities
    /// undone (see [`unescape`]).
    pub(crate) fn attr_text(&self, name: &[u8]) -> Option<String> {
        self.attr(name).map(|v| unescape(&v))
    }

    /// The raw (still escaped) value of a range, without removed references.
    #[allow(dead_code)]
    pub(crate) fn value(&self, range: Range<usize>) -> Cow<'a, [u8]> {
        if self.removed.is_empty() {
            return Cow::Borrowed(&self.raw[range]);
        }
        let inside: Vec<&RemovedRef> = self
            .removed
            .iter()
            .filter(|r| r.range.start >= range.start && r.range.end <= range.end)
            .collect();
        if inside.is_empty() {
            return Cow::Borrowed(&self.raw[range]);
        }
        let mut v = Vec::with_capacity(range.len());
        let mut from = range.start;
        for r in inside {
            v.extend_from_slice(&self.raw[from..r.range.start]);
            from = r.range.end;
        }
        v.extend_from_slice(&self.raw[from..range.end]);
        Cow::Owned(v)
    }
}

/// A decimal number as an attribute holds it (an id), or `None`.
pub(crate) fn decimal(v: &[u8]) -> Option<u64> {
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// Undoes the five predefined entities (enough for names, URLs and zone
/// names; character references are left as written).
pub(crate) fn unescape(v: &[u8]) -> String {
    if memchr::memchr(b'&', v).is_none() {
        return String::from_utf8_lossy(v).into_owned();
    }
    String::from_utf8_lossy(v)
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Replacements of byte ranges of one start tag (in practice: attribute
/// values), with their bytes in one reusable buffer.
#[derive(Debug, Default)]
pub(crate) struct Edits {
    /// (range in the tag's raw bytes, range in `bytes`).
    list: Vec<(Range<usize>, Range<usize>)>,
    bytes: Vec<u8>,
    /// The rule asked for the whole element to be dropped.
    drop: bool,
}

impl Edits {
    pub(crate) fn clear(&mut self) {
        self.list.clear();
        self.bytes.clear();
        self.drop = false;
    }

    /// No replacement and no drop: the tag goes out as it came.
    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty() && !self.drop
    }

    /// Drops the element this start tag opens, with everything inside it
    /// and the whitespace after it (see [`crate::xml::drop`]); replacements
    /// are then moot. Honoured only when [`Rules::drops`] is true.
    pub(crate) fn drop_element(&mut self) {
        self.drop = true;
    }

    /// Whether [`Edits::drop_element`] was asked for.
    pub(crate) fn drops(&self) -> bool {
        self.drop
    }

    /// Replaces `range` of the tag with `with` (already escaped for the context).
    pub(crate) fn replace(&mut self, range: Range<usize>, with: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(with);
        self.list.push((range, start..self.bytes.len()));
    }

    /// Whether some replacement covers exactly `range`.
    pub(crate) fn covers(&self, range: &Range<usize>) -> bool {
        self.list.iter().any(|(r, _)| r == range)
    }

    /// The replacement bytes, one after the other in the order given.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The replacements, as (range in the tag, range in [`Edits::bytes`]).
    pub(crate) fn ranges(&self) -> &[(Range<usize>, Range<usize>)] {
        &self.list
    }
}

/// Product rules applied while streaming.
pub(crate) trait Rules {
    /// Whether `start_tag`/`end_tag` need to be called.
    const SEES_TAGS: bool;
    /// Whether `text`/`text_end` need to be called.
    const SEES_TEXT: bool;

    /// Whether these rules may drop elements ([`Edits::drop_element`]): the
    /// output then goes through a [`Gate`](crate::xml::drop::Gate). Asked
    /// once, when the pipeline is built.
    fn drops(&self) -> bool {
        false
    }

    /// Whether a whole text node of only whitespace (the indentation
    /// between rows), seen now, would pass unchanged and change no state:
    /// the scanner then calls neither `text` nor `text_end` for it.
    fn ignores_blank_text(&self) -> bool {
        false
    }

    /// A start tag; push replacements to `edits`.
    fn start_tag(&mut self, _tag: &StartTag<'_>, _edits: &mut Edits) -> Result<(), Error> {
        Ok(())
    }

    /// An end tag (also called right after the start tag of an empty element).
    fn end_tag(&mut self, _name: &[u8]) {}

    /// A piece of character data. Return `false` (and write nothing) to keep
    /// it unchanged; otherwise write its replacement to `out` and return `true`.
    fn text<S: Sink>(
        &mut self,
        _kind: TextKind,
        _piece: &[u8],
        _out: &mut S,
    ) -> Result<bool, Error> {
        Ok(false)
    }

    /// The end of a text node, CDATA section or comment: flush anything held back.
    fn text_end<S: Sink>(&mut self, _kind: TextKind, _out: &mut S) -> Result<(), Error> {
        Ok(())
    }
}

/// No rules: the scanner only checks and repairs characters.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct NoRules;

impl Rules for NoRules {
    const SEES_TAGS: bool = false;
    const SEES_TEXT: bool = false;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::CleanSink;
    use crate::xml::scanner::{Limits, XmlStage};

    /// Records the text it is given, and says whether blank nodes matter.
    struct TextRecorder {
        ignores_blank: bool,
        texts: Vec<u8>,
        ends: usize,
    }

    impl Rules for TextRecorder {
        const SEES_TAGS: bool = true;
        const SEES_TEXT: bool = true;

        fn ignores_blank_text(&self) -> bool {
            self.ignores_blank
        }

        fn text<S: Sink>(
            &mut self,
            kind: TextKind,
            piece: &[u8],
            _: &mut S,
        ) -> Result<bool, Error> {
            if kind == TextKind::Text {
                self.texts.extend_from_slice(piece);
                self.texts.push(b'|');
            }
            Ok(false)
        }

        fn text_end<S: Sink>(&mut self, kind: TextKind, _: &mut S) -> Result<(), Error> {
            self.ends += usize::from(kind == TextKind::Text);
            Ok(())
        }
    }

    /// Output and what the rules saw, with the input cut at `cut`.
    fn scan(input: &[u8], cut: usize, ignores_blank: bool) -> (Vec<u8>, TextRecorder) {
        let limits = Limits {
            max_token: 1 << 10,
            keep: 5,
        };
        let rules = TextRecorder {
            ignores_blank,
            texts: Vec::new(),
            ends: 0,
        };
        let mut stage = XmlStage::new(rules, limits);
        let mut out = Vec::new();
        let (a, b) = input.split_at(cut);
        stage.clean(a, 0, &mut out).unwrap();
        stage.clean(b, cut as u64, &mut out).unwrap();
        stage.finish(&mut out).unwrap();
        (out, stage.rules)
    }

    #[test]
    fn blank_nodes_reach_the_rules_only_when_they_ask_for_them() {
        let input = b"<r>\n  <a k=\"1\"/>\n\t<b> x </b>\r\n  <c>y&amp;</c>\n</r>";
        let (out, all) = scan(input, input.len(), false);
        assert_eq!(out, input);
        assert_eq!(all.texts, b"\n  |\n\t| x |\r\n  |y&amp;|\n|");
        assert_eq!(all.ends, 6);
        let (out, some) = scan(input, input.len(), true);
        assert_eq!(out, input, "blank nodes still go out");
        assert_eq!(some.texts, b" x |y&amp;|", "only nodes with content");
        assert_eq!(some.ends, 2);
        // A blank node cut in two is given to the rules as it comes (its
        // first part cannot be judged alone); the output is the same.
        for cut in 0..=input.len() {
            let (out, cut_run) = scan(input, cut, true);
            assert_eq!(out, input, "cut at {cut}");
            let content: Vec<u8> = cut_run
                .texts
                .into_iter()
                .filter(|c| *c != b'|' && !c.is_ascii_whitespace())
                .collect();
            assert_eq!(content, b"xy&amp;", "cut at {cut}: the content, all of it");
        }
    }
}
