//! What the stream has said so far, which every rule reads: the depth, the
//! facts the backup states (through [`FactsObserver`]), the current
//! Confluence object, and the header comment before the root, held whole
//! until the facts in it are learned.

use crate::report::{BackupFacts, Product};
use crate::rules::facts::{FactsObserver, Watch};
use crate::xml::rules::{StartTag, TextKind};

/// Longest text held whole (a header comment; a date is far shorter).
pub(crate) const MAX_HELD: usize = 256 << 10;

/// What the context did with a piece of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Nothing: the rules get it.
    Pass,
    /// Held (part of the header comment).
    Held,
    /// Too long to be a header comment: what was held
    /// ([`Context::take_overflow`]) goes to the rules first, then the piece.
    Overflow,
}

/// What the stream has said so far.
pub(crate) struct Context {
    /// Elements open (during a start tag: including it).
    pub(crate) depth: usize,
    /// Whether the facts came from a first pass (so all of them are known).
    pub(crate) prescanned: bool,
    observer: FactsObserver,
    /// Confluence: the current object's class and id.
    pub(crate) object_class: String,
    pub(crate) object_id: String,
    /// The object's id is being read.
    reading_id: bool,
    /// A comment before the root element, held.
    holding: bool,
    held: Vec<u8>,
}

impl Context {
    pub(crate) fn new(facts: BackupFacts, prescanned: bool) -> Self {
        Self {
            depth: 0,
            prescanned,
            observer: FactsObserver::new(facts),
            object_class: String::new(),
            object_id: String::new(),
            reading_id: false,
            holding: false,
            held: Vec::new(),
        }
    }

    /// The facts learned so far.
    #[inline]
    pub(crate) fn facts(&self) -> &BackupFacts {
        &self.observer.facts
    }

    /// The product, once the root element said it.
    #[inline]
    pub(crate) fn product(&self) -> Option<Product> {
        self.observer.facts.product
    }

    /// A start tag, with `depth` elements open before it.
    #[inline(always)]
    pub(crate) fn start_tag(&mut self, tag: &StartTag<'_>, depth: usize) {
        self.depth = depth + 1;
        self.reading_id = false;
        self.observer.start_tag(tag, depth);
        if depth > 0 && self.product() == Some(Product::Confluence) {
            match tag.name() {
                b"object" if depth == 1 => {
                    self.object_class = tag
                        .attr(b"class")
                        .map(|v| String::from_utf8_lossy(&v).into_owned())
                        .unwrap_or_default();
                    self.object_id.clear();
                }
                b"id" if depth == 2 => self.reading_id = true,
                _ => {}
            }
        }
    }

    /// An end tag.
    #[inline(always)]
    pub(crate) fn end_tag(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        self.reading_id = false;
        self.observer.end_tag();
    }

    /// Whether a whole text node of only whitespace would change nothing
    /// here: no fact is being read, no id, no header comment held.
    #[inline(always)]
    pub(crate) fn ignores_blank_text(&self) -> bool {
        self.observer.watch == Watch::Nothing && !self.reading_id && !self.holding
    }

    /// A piece of text, seen before the rules see it.
    #[inline(always)]
    pub(crate) fn text(&mut self, kind: TextKind, piece: &[u8]) -> Seen {
        // Most text (the whitespace between rows) concerns none of this.
        if self.observer.watch == Watch::Nothing
            && !self.reading_id
            && !self.holding
            && (kind != TextKind::Comment || self.depth != 0)
        {
            return Seen::Pass;
        }
        if self.observer.watch != Watch::Nothing && kind != TextKind::Comment {
            self.observer.text(piece);
        }
        if self.reading_id && kind == TextKind::Text && self.object_id.len() < 64 {
            self.object_id.push_str(&String::from_utf8_lossy(piece));
        }
        if !self.holding && kind == TextKind::Comment && self.depth == 0 {
            self.holding = true;
        }
        if !self.holding {
            return Seen::Pass;
        }
        if self.held.len() + piece.len() <= MAX_HELD {
            self.held.extend_from_slice(piece);
            return Seen::Held;
        }
        self.holding = false;
        Seen::Overflow
    }

    /// What was held when [`Seen::Overflow`] was returned.
    pub(crate) fn take_overflow(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.held)
    }

    /// The end of a text node, CDATA section or comment: the held header
    /// comment, once learned from, for the rules to see whole.
    #[inline(always)]
    pub(crate) fn text_end(&mut self, kind: TextKind) -> Option<Vec<u8>> {
        if self.observer.watch == Watch::Nothing && !self.holding {
            self.reading_id = false;
            return None;
        }
        if self.observer.watch != Watch::Nothing && kind != TextKind::Comment {
            self.observer.text_end();
        }
        self.reading_id = false;
        if !std::mem::replace(&mut self.holding, false) {
            return None;
        }
        let held = std::mem::take(&mut self.held);
        self.observer
            .header_comment(&String::from_utf8_lossy(&held));
        Some(held)
    }
}
