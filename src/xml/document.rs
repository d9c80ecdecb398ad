//! The document-level rules of the scanner: one root element with only
//! space, comments and processing instructions around it, the XML
//! declaration only at the very start (its encoding rewritten to UTF-8 when
//! the input was transcoded), and at most one DOCTYPE, before the root.

use crate::error::{Error, Malformed};
use crate::sink::Sink;
use crate::xml::carry::Pending;
use crate::xml::lex::{self, DoctypeEndFinder};
use crate::xml::piece::Piece;
use crate::xml::rules::Rules;
use crate::xml::scanner::XmlStage;
use crate::xml::stack::ElementStack;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Where in the document the scanner is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Prolog,
    Root,
    Epilog,
}

/// What the scanner knows of the document as a whole.
pub(super) struct Document {
    part: Part,
    /// The DOCTYPE has an internal subset, so any entity name may be declared.
    any_entity: bool,
    doctype_seen: bool,
    /// Where an XML declaration may stand (after a BOM, if any).
    decl_pos: u64,
    /// The XML declaration's encoding must be rewritten to UTF-8.
    rewrite_declaration: bool,
}

impl Default for Document {
    fn default() -> Self {
        Self {
            part: Part::Prolog,
            any_entity: false,
            doctype_seen: false,
            decl_pos: 0,
            rewrite_declaration: false,
        }
    }
}

impl Document {
    /// Whether the root element is open (text and CDATA are allowed).
    #[inline]
    pub(super) fn in_root(&self) -> bool {
        self.part == Part::Root
    }

    /// Whether any entity name may be referred to (the DOCTYPE has an
    /// internal subset).
    #[inline]
    pub(super) fn any_entity(&self) -> bool {
        self.any_entity
    }

    /// Whether a DOCTYPE may stand here: before the root, and only one.
    pub(super) fn doctype_allowed(&self) -> bool {
        self.part == Part::Prolog && !self.doctype_seen
    }

    /// Asks for the XML declaration's encoding to be rewritten to UTF-8.
    pub(super) fn rewrite_declaration(&mut self) {
        self.rewrite_declaration = true;
    }

    /// The length of the byte order mark `p` starts with, if it is the
    /// start of the stream (the declaration may then stand after it).
    pub(super) fn skip_bom(&mut self, p: &Piece<'_>) -> usize {
        if p.pos == 0 && p.b.starts_with(BOM) {
            self.decl_pos = BOM.len() as u64;
            return BOM.len();
        }
        0
    }

    /// A start tag opens an element: false if it would be a second root.
    #[inline]
    pub(super) fn open_element(&mut self) -> bool {
        match self.part {
            Part::Epilog => return false,
            Part::Prolog => self.part = Part::Root,
            Part::Root => {}
        }
        true
    }

    /// An element ended, leaving `stack` open: the root ends with it.
    #[inline]
    pub(super) fn close_element(&mut self, stack: &ElementStack) {
        if stack.is_empty() {
            self.part = Part::Epilog;
        }
    }

    /// What is missing at the end of the input, if the document is not
    /// complete (`stack` holds the elements still open).
    pub(super) fn missing_at_end(&self, stack: &ElementStack) -> Option<Malformed> {
        match self.part {
            Part::Prolog => Some(Malformed::NoRootElement),
            Part::Root => {
                let (name, opened_line) = stack.top().unwrap_or((b"", 0));
                Some(Malformed::UnclosedElement {
                    name: String::from_utf8_lossy(name).into_owned(),
                    opened_line,
                })
            }
            Part::Epilog => None,
        }
    }
}

impl<R: Rules> XmlStage<R> {
    /// Scans `p.b[i..]` outside the root element, where only space may stand
    /// before the next markup.
    pub(super) fn outside_root<S: Sink>(
        &mut self,
        p: &mut Piece<'_>,
        i: usize,
        out: &mut S,
    ) -> Result<usize, Error> {
        let b = p.b;
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
        let side = if self.doc.part == Part::Prolog {
            "before"
        } else {
            "after"
        };
        Err(self.malformed(p, k, Malformed::TextOutsideRoot(side)))
    }

    /// The DOCTYPE declaration at `p.b[j..]`.
    pub(super) fn doctype(&mut self, p: &mut Piece<'_>, j: usize) -> Result<usize, Error> {
        if !self.doc.doctype_allowed() {
            return Err(self.malformed(p, j, Malformed::MisplacedDoctype));
        }
        let mut f = DoctypeEndFinder::default();
        match f.find(&p.b[j + 9..]) {
            Some(n) => {
                self.check_span(p, j, 9 + n, "DOCTYPE declaration")?;
                self.doc.doctype_seen = true;
                self.doc.any_entity = f.internal_subset;
                Ok(j + 9 + n)
            }
            None => self.start_carry(p, j, Pending::Doctype(f)),
        }
    }

    /// The processing instruction `p.b[j..end]` whose target is `xml` in
    /// any case: the XML declaration, which must be well placed and formed.
    pub(super) fn declaration<S: Sink>(
        &mut self,
        p: &mut Piece<'_>,
        j: usize,
        end: usize,
        target: &[u8],
        out: &mut S,
    ) -> Result<(), Error> {
        if target != b"xml" || p.pos + j as u64 != self.doc.decl_pos {
            return Err(self.malformed(p, j, Malformed::MisplacedXmlDeclaration));
        }
        if let Err(m) = lex::xml_declaration(&p.b[j..end]) {
            return Err(self.malformed(p, j, m));
        }
        if self.doc.rewrite_declaration {
            self.rewrite_encoding(p, j, end, out);
        }
        Ok(())
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
}
