//! What a backup says about itself (product, build, base URL, time zone),
//! learned while streaming: from the Jira header comment, Jira's
//! `OSPropertyEntry`/`OSPropertyString` rows, and Confluence's
//! `atlassian.confluence.settings` bandana record.

pub(crate) use crate::report::facts::{BackupFacts, Product, Stated};
use crate::rules::confluence_links::PageIndex;
use crate::rules::jira;
use crate::rules::memberships::MemberIndex;
use crate::xml::rules::{StartTag, decimal, unescape};
use std::collections::HashMap;
use std::sync::Arc;

/// The indexes a first pass builds for the rules, carried in
/// [`BackupFacts`] (opaque there) from [`scan_facts`](crate::scan_facts) to
/// the repair.
#[derive(Debug, Default)]
pub(crate) struct Indexes {
    /// Confluence: the export's pages and attachments.
    pub(crate) pages: Option<Arc<PageIndex>>,
    /// Jira: the ids of users and groups (`--repair-memberships`).
    pub(crate) members: Option<Arc<MemberIndex>>,
}

impl Indexes {
    /// The indexes carried in `facts`, if a first pass built any.
    pub(crate) fn of(facts: &BackupFacts) -> Option<&Self> {
        facts.first_pass.get()
    }
}

/// What a Jira property row holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Property {
    Zone,
    BaseUrl,
}

/// The text the observer wants to see.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Watch {
    #[default]
    Nothing,
    /// A property element inside a bandana record: `key` or `value`.
    BandanaKey,
    BandanaValue,
}

/// Largest bandana settings value looked at for the base URL.
const MAX_SETTINGS: usize = 1 << 20;

/// Learns [`BackupFacts`] from what streams past.
#[derive(Debug, Default)]
pub(crate) struct FactsObserver {
    pub(crate) facts: BackupFacts,
    /// Jira `OSPropertyEntry` ids whose string values are facts.
    properties: HashMap<u64, Property>,
    /// Inside a `ConfluenceBandanaRecord` object.
    in_bandana: bool,
    /// The current bandana record's key is `atlassian.confluence.settings`.
    settings_record: bool,
    pub(crate) watch: Watch,
    text: Vec<u8>,
}

impl FactsObserver {
    pub(crate) fn new(facts: BackupFacts) -> Self {
        Self {
            facts,
            ..Self::default()
        }
    }

    /// The header comment before the root element.
    pub(crate) fn header_comment(&mut self, comment: &str) {
        if let Some(build) = jira::header_value(comment, "JIRA Build") {
            self.facts.build.get_or_insert_with(|| build.to_string());
        }
        if let Some(url) = jira::header_value(comment, "jira.baseurl") {
            self.facts.base_url.get_or_insert_with(|| Stated {
                value: url.to_string(),
                source: "the header comment's jira.baseurl".into(),
            });
        }
        if let Some(zone) = jira::header_value(comment, "jvm.system.timezone") {
            self.facts.zone.get_or_insert_with(|| Stated {
                value: zone.to_string(),
                source: "the header comment's jvm.system.timezone".into(),
            });
        }
    }

    /// A start tag; `depth` is the number of open elements before it.
    #[inline]
    pub(crate) fn start_tag(&mut self, tag: &StartTag<'_>, depth: usize) {
        self.watch = Watch::Nothing;
        if depth > 0 {
            // Most rows are none of the elements below: told by the first
            // byte (Jira's `OSProperty...`) or the length (Confluence's
            // `object` and `property`), inline.
            let name = tag.name();
            let may_state = match self.facts.product {
                Some(Product::Jira) => name.first() == Some(&b'O'),
                Some(Product::Confluence) => matches!(name.len(), 6 | 8),
                _ => false,
            };
            if !may_state {
                return;
            }
        }
        self.stating_tag(tag, depth);
    }

    /// [`FactsObserver::start_tag`] for the root and the elements that may
    /// state facts.
    #[inline(never)]
    fn stating_tag(&mut self, tag: &StartTag<'_>, depth: usize) {
        let name = tag.name();
        if depth == 0 {
            self.facts.product.get_or_insert(Product::from_root(name));
            return;
        }
        match (self.facts.product, name) {
            (Some(Product::Jira), b"OSPropertyEntry") => {
                let kind = match tag.attr(b"propertyKey").as_deref() {
                    Some(jira::ZONE_PROPERTY) => Property::Zone,
                    Some(jira::BASE_URL_PROPERTY) => Property::BaseUrl,
                    _ => return,
                };
                if let Some(id) = tag.attr(b"id").and_then(|v| decimal(&v)) {
                    self.properties.insert(id, kind);
                }
            }
            (Some(Product::Jira), b"OSPropertyString") => {
                let Some(kind) = tag
                    .attr(b"id")
                    .and_then(|v| decimal(&v))
                    .and_then(|id| self.properties.get(&id).copied())
                else {
                    return;
                };
                let Some(value) = tag.attr(b"value").map(|v| unescape(&v)) else {
                    return;
                };
                let (slot, source) = match kind {
                    Property::Zone => (&mut self.facts.zone, "the jvm.system.timezone property"),
                    Property::BaseUrl => (&mut self.facts.base_url, "the jira.baseurl property"),
                };
                slot.get_or_insert_with(|| Stated {
                    value,
                    source: source.into(),
                });
            }
            (Some(Product::Confluence), b"object") => {
                self.in_bandana = tag.attr(b"class").as_deref() == Some(b"ConfluenceBandanaRecord");
                self.settings_record = false;
            }
            (Some(Product::Confluence), b"property") if self.in_bandana => {
                self.watch = match tag.attr(b"name").as_deref() {
                    Some(b"key") => Watch::BandanaKey,
                    Some(b"value") if self.settings_record && self.facts.base_url.is_none() => {
                        Watch::BandanaValue
                    }
                    _ => Watch::Nothing,
                };
                self.text.clear();
            }
            _ => {}
        }
    }

    /// An end tag.
    pub(crate) fn end_tag(&mut self) {
        self.watch = Watch::Nothing;
    }

    /// Text (or CDATA) inside the watched element.
    pub(crate) fn text(&mut self, piece: &[u8]) {
        if self.watch != Watch::Nothing && self.text.len() + piece.len() <= MAX_SETTINGS {
            self.text.extend_from_slice(piece);
        }
    }

    /// The end of the watched element's text or CDATA.
    pub(crate) fn text_end(&mut self) {
        match self.watch {
            Watch::BandanaKey => {
                self.settings_record = self.text.trim_ascii() == b"atlassian.confluence.settings";
            }
            Watch::BandanaValue => {
                // Raw in CDATA (older writers) or escaped in text (newer ones).
                let t = String::from_utf8_lossy(&self.text).into_owned();
                let found = [
                    ("<baseUrl>", "</baseUrl>"),
                    ("&lt;baseUrl&gt;", "&lt;/baseUrl&gt;"),
                ]
                .iter()
                .find_map(|(open, close)| {
                    let start = t.find(open)? + open.len();
                    let len = t[start..].find(close)?;
                    Some(unescape(t[start..start + len].trim().as_bytes()))
                });
                if let Some(url) = found.filter(|u| !u.is_empty()) {
                    self.facts.base_url = Some(Stated {
                        value: url,
                        source: "the atlassian.confluence.settings baseUrl".into(),
                    });
                }
            }
            Watch::Nothing => {}
        }
        self.text.clear();
    }
}
