//! What link remapping did (`--map-url`, `--cloud-url`), and what became of
//! the links in Confluence page bodies.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// What link remapping did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LinkReport {
    /// Rewrites per mapping, in the order the mappings were given.
    pub mappings: Vec<MappingCount>,
    /// Hosts (with port) seen in links that no mapping matched, with counts:
    /// a hint that a mapping is missing.
    pub other_hosts: BTreeMap<String, u64>,
    /// More distinct other hosts were seen than are listed.
    pub other_hosts_truncated: bool,
}

/// Rewrites made by one mapping.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MappingCount {
    /// FROM.
    pub from: String,
    /// TO.
    pub to: String,
    /// Links rewritten.
    pub count: u64,
}

/// What became of the links in page bodies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ConfluenceLinkReport {
    /// Short links (`/x/...`) decoded.
    pub short_links_expanded: u64,
    /// Links made internal links to pages of this export.
    pub made_internal: u64,
    /// Links to attachments of this export made attachment links.
    pub attachments_linked: u64,
    /// Links to pages not in this export, left as (full) URLs.
    pub left_as_urls: u64,
    /// Short links whose code does not decode.
    pub unknown_codes: u64,
    /// Page bodies stored as escaped text rather than CDATA, whose links were left as URLs.
    pub escaped_bodies: u64,
    /// The first few conversions: (body's page id, link as written, what it became).
    pub examples: Vec<(Option<u64>, String, String)>,
}

impl LinkReport {
    /// Links rewritten.
    pub(crate) fn changes(&self) -> u64 {
        self.mappings.iter().map(|m| m.count).sum()
    }

    /// The summary lines.
    pub(super) fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.mappings {
            writeln!(f, "  links: {} -> {} x {}", m.from, m.to, m.count)?;
        }
        if !self.other_hosts.is_empty() {
            let hosts: Vec<String> = self
                .other_hosts
                .iter()
                .map(|(h, n)| format!("{h} x {n}"))
                .collect();
            writeln!(
                f,
                "  links to other hosts (not remapped): {}",
                hosts.join(", ")
            )?;
        }
        Ok(())
    }
}

impl ConfluenceLinkReport {
    /// Links changed.
    pub(crate) fn changes(&self) -> u64 {
        self.made_internal + self.attachments_linked + self.left_as_urls
    }

    /// The summary lines.
    pub(super) fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self;
        writeln!(
            f,
            "  page links: {} made internal, {} attachment links, {} left as URLs (pages not in the export), {} short links decoded, {} unknown short codes",
            c.made_internal,
            c.attachments_linked,
            c.left_as_urls,
            c.short_links_expanded,
            c.unknown_codes
        )?;
        if c.escaped_bodies > 0 {
            writeln!(
                f,
                "    {} page bodies are escaped text, not CDATA: their links were only remapped",
                c.escaped_bodies
            )?;
        }
        Ok(())
    }
}
