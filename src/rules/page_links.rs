//! Confluence page links as a rule: the storage format of page bodies goes
//! through [`StorageLinks`] (links to pages and attachments of the export
//! become internal links), and what it writes then goes on to link remapping.

use crate::error::Error;
use crate::report::{Product, Report};
use crate::rules::confluence_links::{PageIndex, StorageLinks};
use crate::rules::context::Context;
use crate::rules::urls::UrlMapping;
use crate::rules::{Rule, TextFlow};
use crate::sink::Sink;
use crate::xml::rules::{Edits, StartTag, TextKind};
use std::sync::Arc;

/// The page-links rule.
pub(crate) struct PageLinks {
    /// The export's pages and attachments, from the first pass.
    pages: Arc<PageIndex>,
    /// The link mappings (`--cloud-url`'s included), for links to pages not
    /// in the export.
    mappings: Vec<UrlMapping>,
    keep: usize,
    /// The rewriter, once a body needs it.
    storage: Option<StorageLinks>,
    in_body: bool,
    escaped_body_noted: bool,
    escaped_bodies: u64,
    /// What the rewriter wrote for the current piece.
    written: Vec<u8>,
}

impl PageLinks {
    pub(crate) fn new(pages: Arc<PageIndex>, mappings: Vec<UrlMapping>, keep: usize) -> Self {
        Self {
            pages,
            mappings,
            keep,
            storage: None,
            in_body: false,
            escaped_body_noted: false,
            escaped_bodies: 0,
            written: Vec::new(),
        }
    }
}

impl Rule for PageLinks {
    fn start_tag(
        &mut self,
        cx: &Context,
        depth: usize,
        tag: &StartTag<'_>,
        _edits: &mut Edits,
    ) -> Result<(), Error> {
        if depth == 2
            && cx.product() == Some(Product::Confluence)
            && tag.name() == b"property"
            && cx.object_class == "BodyContent"
            && tag.attr(b"name").as_deref() == Some(b"body")
        {
            // A page body begins: links in it may become internal links.
            self.in_body = true;
            self.escaped_body_noted = false;
            let (mappings, keep) = (&self.mappings, self.keep);
            let storage = self
                .storage
                .get_or_insert_with(|| StorageLinks::new(mappings.clone(), keep));
            let page = cx
                .object_id
                .trim()
                .parse()
                .ok()
                .and_then(|b| self.pages.body_page(b));
            storage.start_body(page);
        }
        Ok(())
    }

    #[inline]
    fn end_tag(&mut self, _cx: &Context) {
        self.in_body = false;
    }

    #[inline]
    fn text<S: Sink>(
        &mut self,
        _cx: &Context,
        kind: TextKind,
        piece: &[u8],
        _out: &mut S,
    ) -> Result<TextFlow<'_>, Error> {
        if !self.in_body {
            return Ok(TextFlow::Pass);
        }
        match (kind, self.storage.as_mut()) {
            (TextKind::CData, Some(storage)) => {
                self.written.clear();
                storage.text(piece, &self.pages, &mut self.written);
                Ok(TextFlow::Replaced(&self.written))
            }
            (TextKind::Text, Some(_)) if !self.escaped_body_noted => {
                // Escaped storage format: its links are only remapped.
                self.escaped_body_noted = true;
                self.escaped_bodies += 1;
                Ok(TextFlow::Pass)
            }
            _ => Ok(TextFlow::Pass),
        }
    }

    #[inline(always)]
    fn ignores_blank_text(&self, _cx: &Context) -> bool {
        !self.in_body
    }

    #[inline]
    fn text_end<S: Sink>(
        &mut self,
        _cx: &Context,
        kind: TextKind,
        _out: &mut S,
    ) -> Result<Option<&[u8]>, Error> {
        match (self.in_body, kind, self.storage.as_mut()) {
            (true, TextKind::CData, Some(storage)) => {
                self.written.clear();
                storage.text_end(&self.pages, &mut self.written);
                Ok(Some(&self.written))
            }
            _ => Ok(None),
        }
    }

    fn report(&self, _cx: &Context, report: &mut Report) {
        report.confluence_links = self.storage.as_ref().map(|s| {
            let mut r = s.report.clone();
            r.escaped_bodies = self.escaped_bodies;
            r
        });
    }
}
