//! `--restrict-global-shares`: Jira's `<SharePermissions type="global">`
//! becomes `loggedin`, visible to logged-in users only.

use crate::error::Error;
use crate::report::{Product, Report};
use crate::rules::Rule;
use crate::rules::context::Context;
use crate::xml::rules::{Edits, StartTag};
use std::collections::BTreeMap;

/// The global-shares rule, with its counts per entity type.
#[derive(Debug, Default)]
pub(crate) struct GlobalShares {
    restricted: BTreeMap<String, u64>,
}

impl Rule for GlobalShares {
    fn ignores_blank_text(&self, _cx: &Context) -> bool {
        // No text hooks: text passes as it is.
        true
    }

    fn start_tag(
        &mut self,
        cx: &Context,
        depth: usize,
        tag: &StartTag<'_>,
        edits: &mut Edits,
    ) -> Result<(), Error> {
        if depth == 0 || cx.product() != Some(Product::Jira) || tag.name() != b"SharePermissions" {
            return Ok(());
        }
        for (field, range) in tag.attributes() {
            if field == b"type" && &*tag.value(range.clone()) == b"global" {
                let entity = tag
                    .attr(b"entityType")
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
                    .unwrap_or_else(|| "SharePermissions".into());
                *self.restricted.entry(entity).or_default() += 1;
                edits.replace(range, b"loggedin");
            }
        }
        Ok(())
    }

    fn report(&self, _cx: &Context, report: &mut Report) {
        report.global_shares_restricted = self.restricted.clone();
    }
}
