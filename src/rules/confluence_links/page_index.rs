//! The export's page index, from a first pass: spaces, current pages by id
//! and by (space key, title), attachments, and which page each body belongs
//! to.

use crate::rules::fnv::FnvMap;
use crate::rules::objects::{Object, ObjectReader};
use std::collections::HashSet;

/// What an export holds, for turning links into internal links.
#[derive(Debug, Default)]
pub(crate) struct PageIndex {
    spaces: FnvMap<u64, String>,
    /// Page id -> (space id, title); current versions only.
    pages: FnvMap<u64, (u64, String)>,
    /// (lower-case space key, title) -> page id.
    by_title: FnvMap<(String, String), u64>,
    /// (page id, file name) of attachments.
    attachments: HashSet<(u64, String)>,
    /// Body id -> the page (or other content) it belongs to.
    bodies: FnvMap<u64, u64>,
}

/// The classes the index reads.
pub(crate) const INDEX_CLASSES: &[&str] =
    &["Page", "BlogPost", "Space", "Attachment", "BodyContent"];

impl PageIndex {
    /// Notes one object from the first pass.
    pub(crate) fn add(&mut self, o: &Object) {
        let Some(id) = o.id_num() else {
            return;
        };
        match o.class.as_str() {
            "Space" => {
                if let Some(key) = o.prop("key") {
                    self.spaces.insert(id, key.to_string());
                }
            }
            "Page" | "BlogPost" => {
                let current = o.prop("originalVersionId").is_none()
                    && o.prop("originalVersion").is_none()
                    && o.prop("contentStatus").is_none_or(|s| s == "current");
                if let (true, Some(space), Some(title)) = (current, o.num("space"), o.prop("title"))
                {
                    self.pages.insert(id, (space, title.to_string()));
                }
            }
            "Attachment" => {
                let page = o.num("containerContent").or_else(|| o.num("content"));
                let file = o.prop("title").or_else(|| o.prop("fileName"));
                if let (Some(page), Some(file)) = (page, file) {
                    self.attachments.insert((page, file.to_string()));
                }
            }
            "BodyContent" => {
                if let Some(content) = o.num("content") {
                    self.bodies.insert(id, content);
                }
            }
            _ => {}
        }
    }

    /// Builds the title lookup once everything is read.
    pub(crate) fn finish(&mut self) {
        for (id, (space, title)) in &self.pages {
            if let Some(key) = self.spaces.get(space) {
                self.by_title
                    .insert((key.to_lowercase(), title.clone()), *id);
            }
        }
    }

    /// A page's space key and title.
    pub(super) fn page(&self, id: u64) -> Option<(&str, &str)> {
        let (space, title) = self.pages.get(&id)?;
        Some((self.spaces.get(space)?.as_str(), title.as_str()))
    }

    /// The page (or other content) a body belongs to.
    pub(crate) fn body_page(&self, body: u64) -> Option<u64> {
        self.bodies.get(&body).copied()
    }

    /// Whether page `page` has an attachment named `file`.
    pub(super) fn has_attachment(&self, page: u64, file: &str) -> bool {
        self.attachments.contains(&(page, file.to_string()))
    }

    /// The page titled `title` in the space with key `key` (any case).
    pub(super) fn find(&self, key: &str, title: &str) -> Option<u64> {
        self.by_title
            .get(&(key.to_lowercase(), title.to_string()))
            .copied()
    }
}

/// Reads the index in a first pass.
#[derive(Debug)]
pub(crate) struct IndexBuilder {
    reader: ObjectReader,
    pub(crate) index: PageIndex,
}

impl Default for IndexBuilder {
    fn default() -> Self {
        Self {
            reader: ObjectReader::new(INDEX_CLASSES, &["body"]),
            index: PageIndex::default(),
        }
    }
}

impl IndexBuilder {
    pub(crate) fn start_tag(&mut self, tag: &crate::xml::rules::StartTag<'_>, depth: usize) {
        self.reader.start_tag(tag, depth);
    }

    pub(crate) fn end_tag(&mut self, depth_after: usize) {
        if let Some(o) = self.reader.end_tag(depth_after) {
            self.index.add(&o);
        }
    }

    pub(crate) fn text(&mut self, piece: &[u8]) {
        self.reader.text(piece);
    }

    /// Whether text now would be kept (see [`ObjectReader::takes_text`]).
    pub(crate) fn takes_text(&self) -> bool {
        self.reader.takes_text()
    }

    pub(crate) fn finish(mut self) -> PageIndex {
        self.index.finish();
        self.index
    }
}
