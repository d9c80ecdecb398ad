//! Link remapping (`--map-url`, `--cloud-url`) as a rule: links in attribute
//! values and in text go through the [`LinkRewriter`]. It comes last, so
//! that what other rules write is remapped too.

use crate::error::Error;
use crate::report::Report;
use crate::rules::config::LinkPlan;
use crate::rules::context::Context;
use crate::rules::urls::{self, LinkRewriter};
use crate::rules::{Rule, TextFlow};
use crate::sink::Sink;
use crate::xml::rules::{Edits, StartTag, TextKind};

/// The link-remapping rule.
pub(crate) struct Links {
    rewriter: LinkRewriter,
    /// `--cloud-url` while the backup's base URL is not known yet.
    cloud: Option<LinkPlan>,
}

impl Links {
    pub(crate) fn new(plan: &LinkPlan) -> Self {
        Self {
            rewriter: LinkRewriter::new(plan.mappings.clone()),
            cloud: plan.cloud_url.is_some().then(|| LinkPlan {
                mappings: Vec::new(),
                cloud_url: plan.cloud_url.clone(),
            }),
        }
    }

    /// Adds the `--cloud-url` mapping once the backup states its base URL.
    fn resolve(&mut self, cx: &Context, offset: u64) -> Result<(), Error> {
        if let Some(plan) = self.cloud.as_mut()
            && let Some(mapping) = plan.resolve(cx.facts(), cx.prescanned, offset)?
        {
            self.rewriter.add(mapping);
            self.cloud = None;
        }
        Ok(())
    }
}

impl Rule for Links {
    fn start_tag(
        &mut self,
        cx: &Context,
        depth: usize,
        tag: &StartTag<'_>,
        edits: &mut Edits,
    ) -> Result<(), Error> {
        if depth == 0 {
            // The mappings must be known when the content starts.
            self.resolve(cx, tag.offset)?;
            if self.cloud.is_some() {
                return Err(Error::MissingFact {
                    what: "--cloud-url: the backup's base URL is not stated before its content (Confluence states it mid-file); run on a file, which is read twice, or give --map-url OLD=NEW".into(),
                    offset: tag.offset,
                });
            }
        }
        // A link holds `://`: values without a `/` hold none, and a `/` is
        // found at less cost than `://` (most rows have none).
        let (Some(first), Some(last)) = (tag.attrs.first(), tag.attrs.last()) else {
            return Ok(());
        };
        let values = tag
            .raw
            .get(first.value.start..last.value.end)
            .unwrap_or_default();
        let Some(slash) = memchr::memchr(b'/', values) else {
            return Ok(());
        };
        let from = (first.value.start + slash).saturating_sub(1);
        let Some(mut at) = urls::scheme_separator_from(tag.raw, from) else {
            return Ok(());
        };
        // Only values holding a `://` can hold a link.
        for (_, range) in tag.attributes() {
            if at < range.start {
                match urls::scheme_separator_from(tag.raw, range.start) {
                    Some(next) => at = next,
                    None => break,
                }
            }
            if at >= range.end {
                continue;
            }
            if !edits.covers(&range)
                && let Some(with) = self.rewriter.value(&tag.value(range.clone()))
            {
                edits.replace(range.clone(), with);
            }
            match urls::scheme_separator_from(tag.raw, range.end) {
                Some(next) => at = next,
                None => break,
            }
        }
        Ok(())
    }

    #[inline(always)]
    fn ignores_blank_text(&self, _cx: &Context) -> bool {
        // Whitespace holds no link and ends none; the mapping is resolved.
        self.cloud.is_none() && self.rewriter.holds_nothing()
    }

    #[inline]
    fn text<S: Sink>(
        &mut self,
        cx: &Context,
        _kind: TextKind,
        piece: &[u8],
        out: &mut S,
    ) -> Result<TextFlow<'_>, Error> {
        if self.cloud.is_some() {
            self.resolve(cx, 0)?;
        }
        Ok(if self.rewriter.text(piece, out) {
            TextFlow::Taken
        } else {
            TextFlow::Pass
        })
    }

    #[inline]
    fn text_end<S: Sink>(
        &mut self,
        cx: &Context,
        _kind: TextKind,
        out: &mut S,
    ) -> Result<Option<&[u8]>, Error> {
        if self.cloud.is_some() {
            self.resolve(cx, 0)?;
        }
        self.rewriter.text_end(out);
        Ok(None)
    }

    fn report(&self, _cx: &Context, report: &mut Report) {
        report.links = Some(self.rewriter.report());
    }
}
