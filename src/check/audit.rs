//! The observer behind `check`: scanner hooks that note, in one pass and in
//! compact tables, what the cloud import cares about: users and emails,
//! groups and their members, global shares, the backup's own facts, and for
//! Confluence its spaces, attachment records and short links.

use crate::check::attachments::{AttachmentRecord, Ledger};
use crate::check::guards::IssueGuards;
use crate::check::limits::LimitsAudit;
use crate::check::memberships::MembershipAudit;
use crate::check::size::{Apps, Counts, MoveSize, RunCounts};
use crate::check::users::{NOT_MIGRATED, RENAMED, UserTable};
use crate::error::Error;
use crate::rules::facts::{FactsObserver, Product, Watch};
use crate::rules::fnv::FnvMap;
use crate::rules::objects::{Object, ObjectReader};
use crate::sink::Sink;
use crate::xml::rules::{Edits, Rules, StartTag, TextKind};
use std::collections::BTreeMap;

/// Longest header comment looked at.
const MAX_HEADER: usize = 256 << 10;

const CLASSES: &[&str] = &[
    "InternalUser",
    "InternalGroup",
    "Page",
    "HibernateMembership",
    "Space",
    "Attachment",
    "ContentProperty",
    "BodyContent",
];

/// The properties the audit reads (of the classes above).
const PROPERTIES: &[&str] = &[
    "attachmentVersion",
    "body",
    "containerContent",
    "content",
    "contentStatus",
    "emailAddress",
    "fileName",
    "fileSize",
    "key",
    "longValue",
    "name",
    "originalVersion",
    "originalVersionId",
    "parentGroup",
    "space",
    "title",
    "userMember",
    "version",
];

/// What the audit has seen.
#[derive(Debug)]
pub(crate) struct Auditor {
    pub(crate) observer: FactsObserver,
    depth: usize,
    pub(crate) users: UserTable,
    /// Jira's memberships against its users and groups.
    pub(crate) memberships_audit: MembershipAudit,
    /// Jira's texts and project keys against the cloud's limits.
    pub(crate) limits: LimitsAudit,
    /// Jira's comments, worklogs, attachments and links per issue.
    pub(crate) guards: IssueGuards,
    /// Members of the groups the report names (not migrated, renamed), by lower-case name.
    pub(crate) group_members: BTreeMap<String, u64>,
    /// Global shares per entity type.
    pub(crate) global_shares: BTreeMap<String, u64>,
    /// Confluence.
    objects: ObjectReader,
    group_names: FnvMap<u64, String>,
    memberships: FnvMap<u64, u64>,
    pub(crate) spaces: Vec<String>,
    /// Attachment records and their size properties, spilled to disk when many.
    pub(crate) attachments: Ledger,
    /// Jira: attachment rows, issues and project keys, when collected.
    pub(crate) media: crate::check::jira_home::MediaSlot,
    /// Short links (`/x/...`) in page bodies, and where.
    pub(crate) short_links: u64,
    in_body: bool,
    body_tail: Vec<u8>,
    /// The comment before the root element (Jira's header), while it is read.
    header: Vec<u8>,
    /// Rows per entity type.
    entities: RunCounts,
    /// Issues per project id, or current pages per space id.
    contained: Counts,
    /// Project or space ids and their keys.
    container_keys: FnvMap<u64, String>,
    /// Attachment records and the sum of the sizes they state.
    attachment_records: u64,
    attachment_bytes: Option<u64>,
    /// Attachment file bytes per folder (set by the whole-backup check).
    pub(crate) attachment_files: Counts,
    /// Active Objects data, and the table whose rows are being read.
    pub(crate) apps: Apps,
    ao_table: Option<String>,
}

impl Default for Auditor {
    fn default() -> Self {
        Self {
            observer: FactsObserver::default(),
            depth: 0,
            users: UserTable::default(),
            memberships_audit: MembershipAudit::default(),
            limits: LimitsAudit::default(),
            guards: IssueGuards::default(),
            group_members: BTreeMap::new(),
            global_shares: BTreeMap::new(),
            objects: ObjectReader::new(CLASSES, &["body"]).keeping(PROPERTIES),
            group_names: FnvMap::default(),
            memberships: FnvMap::default(),
            spaces: Vec::new(),
            attachments: Ledger::default(),
            media: Default::default(),
            short_links: 0,
            in_body: false,
            body_tail: Vec::new(),
            header: Vec::new(),
            entities: RunCounts::default(),
            contained: Counts::default(),
            container_keys: FnvMap::default(),
            attachment_records: 0,
            attachment_bytes: None,
            attachment_files: Counts::default(),
            apps: Apps::default(),
            ao_table: None,
        }
    }
}

fn watched(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    NOT_MIGRATED.contains(&lower.as_str()) || RENAMED.iter().any(|(from, _)| *from == lower)
}

impl Auditor {
    /// An attachment record, with the size it states if it states one.
    fn attachment(&mut self, size: Option<u64>) {
        self.attachment_records += 1;
        if let Some(size) = size {
            let sum = self.attachment_bytes.get_or_insert(0);
            *sum = sum.saturating_add(size);
        }
    }

    /// Keeps a project's or space's key (bounded as the counts are).
    fn container_key(&mut self, id: Option<u64>, key: Option<String>) {
        if let (Some(id), Some(key)) = (id, key)
            && self.container_keys.len() < crate::check::size::MAX_NAMES
        {
            self.container_keys.insert(id, key);
        }
    }

    fn jira_row(&mut self, tag: &StartTag<'_>) {
        if matches!(tag.name(), b"User" | b"Group" | b"Membership") {
            self.memberships_audit.row(tag);
        }
        self.limits.row(tag);
        self.media.row(tag);
        self.guards.row(tag);
        self.entities.add(tag.name());
        match tag.name() {
            b"Issue" => {
                let project = tag.attr_text(b"project").unwrap_or_default();
                self.contained.add(&project, 1);
            }
            b"Project" => {
                let id = tag.attr_text(b"id").and_then(|i| i.trim().parse().ok());
                self.container_key(id, tag.attr_text(b"key"));
            }
            b"FileAttachment" => {
                let size = tag
                    .attr_text(b"filesize")
                    .and_then(|s| s.trim().parse().ok());
                self.attachment(size);
            }
            b"User" => {
                let name = tag.attr_text(b"userName").unwrap_or_default();
                let email = tag.attr_text(b"emailAddress").unwrap_or_default();
                self.users.add(&name, &email);
            }
            b"Membership" => {
                if tag.attr_text(b"membershipType").as_deref() == Some("GROUP_USER")
                    && let Some(group) = tag
                        .attr_text(b"lowerParentName")
                        .or_else(|| tag.attr_text(b"parentName"))
                    && watched(&group)
                {
                    *self
                        .group_members
                        .entry(group.to_ascii_lowercase())
                        .or_default() += 1;
                }
            }
            b"Group" => {
                if let Some(group) = tag.attr_text(b"groupName").filter(|g| watched(g)) {
                    self.group_members
                        .entry(group.to_ascii_lowercase())
                        .or_default();
                }
            }
            b"SharePermissions" if tag.attr_text(b"type").as_deref() == Some("global") => {
                let entity = tag
                    .attr_text(b"entityType")
                    .unwrap_or_else(|| "unknown".into());
                *self.global_shares.entry(entity).or_default() += 1;
            }
            _ => {}
        }
    }

    fn confluence_tag(&mut self, tag: &StartTag<'_>) {
        if self.depth == 1 && tag.name() == b"object" {
            let class = tag.attr_text(b"class").unwrap_or_default();
            self.entities.add(class.as_bytes());
        }
        self.objects.start_tag(tag, self.depth);
        self.in_body = matches!(
            self.objects.current(),
            Some(("BodyContent", _, Some("body")))
        );
    }

    fn finish_object(&mut self, o: Object) {
        let prop = |name: &str| o.prop(name).map(str::to_string);
        let num = |name: &str| o.num(name);
        let id = o.id_num();
        match o.class.as_str() {
            "InternalUser" => {
                let name = prop("name").unwrap_or_default();
                let email = prop("emailAddress").unwrap_or_default();
                self.users.add(&name, &email);
            }
            "InternalGroup" => {
                if let (Some(id), Some(name)) = (id, prop("name")) {
                    self.group_names.insert(id, name);
                }
            }
            "HibernateMembership" => {
                if let Some(group) = num("parentGroup")
                    && o.props.contains_key("userMember")
                {
                    *self.memberships.entry(group).or_default() += 1;
                }
            }
            "Space" => {
                if let Some(key) = prop("key") {
                    self.container_key(id, Some(key.clone()));
                    self.spaces.push(key);
                }
            }
            "Page" => {
                // Historical versions name their current page; trashed pages do not move.
                let current = o.prop("originalVersion").is_none()
                    && o.prop("originalVersionId").is_none()
                    && o.prop("contentStatus").is_none_or(|s| s == "current");
                if current {
                    let space = o.prop("space").unwrap_or_default().to_owned();
                    self.contained.add(&space, 1);
                }
            }
            "ContentProperty" => {
                if prop("name").as_deref() == Some("FILESIZE")
                    && let (Some(id), Some(size)) = (id, num("longValue"))
                {
                    self.attachments.size_property(id, size);
                }
            }
            "Attachment" => {
                self.attachment(num("fileSize"));
                if let Some(id) = id {
                    self.attachments.record(AttachmentRecord {
                        id,
                        container: num("containerContent").or_else(|| num("content")),
                        // `originalVersionId` since Confluence 7 or so.
                        original: num("originalVersion").or_else(|| num("originalVersionId")),
                        version: num("version")
                            .or_else(|| num("attachmentVersion"))
                            .unwrap_or(1),
                        size: num("fileSize"),
                        properties: o
                            .collections
                            .get("contentProperties")
                            .cloned()
                            .unwrap_or_default(),
                        title: prop("title")
                            .or_else(|| prop("fileName"))
                            .unwrap_or_default(),
                        deleted: prop("contentStatus").as_deref() == Some("deleted"),
                    });
                }
            }
            _ => {}
        }
    }

    /// Resolves what needed the whole file (group names, file sizes).
    pub(crate) fn finish(&mut self) {
        self.memberships_audit.finish();
        self.guards.finish();
        for (group, n) in &self.memberships {
            if let Some(name) = self.group_names.get(group).filter(|n| watched(n)) {
                *self
                    .group_members
                    .entry(name.to_ascii_lowercase())
                    .or_default() += n;
            }
        }
        for (id, name) in &self.group_names {
            if watched(name) && !self.memberships.contains_key(id) {
                self.group_members
                    .entry(name.to_ascii_lowercase())
                    .or_default();
            }
        }
    }

    /// The size of the move as far as this file shows it.
    pub(crate) fn move_size(&self) -> MoveSize {
        let contained = match self.observer.facts.product {
            Some(Product::Jira) => "issues",
            Some(Product::Confluence) => "pages",
            _ => "",
        };
        let containers = self
            .contained
            .sorted()
            .into_iter()
            .map(|(id, n)| {
                let key = id
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .and_then(|i| self.container_keys.get(&i).cloned());
                match key {
                    Some(key) => (key, n),
                    None if id == crate::check::size::OTHERS => (id, n),
                    None => (format!("[{id}]"), n),
                }
            })
            .collect();
        MoveSize {
            entities: self.entities.sorted(),
            contained: if self.contained.sorted().is_empty() {
                String::new()
            } else {
                contained.to_owned()
            },
            containers,
            attachment_records: self.attachment_records,
            attachment_bytes_declared: self.attachment_bytes,
            attachment_files: self.attachment_files.sorted(),
            apps: self.apps.summary(),
        }
    }

    /// Active Objects: `<data tableName=...>` and its `<row>`s.
    fn ao_tag(&mut self, tag: &StartTag<'_>) {
        match (self.depth, tag.name()) {
            (1, b"data") => {
                let table = tag.attr_text(b"tableName").unwrap_or_default();
                self.apps.table(&table);
                self.ao_table = Some(table);
            }
            (1, _) => self.ao_table = None,
            (2, b"row") => {
                if let Some(t) = &self.ao_table {
                    self.apps.row(t);
                }
            }
            _ => {}
        }
    }

    /// Counts `/x/` in a page body, across pieces.
    fn body_text(&mut self, piece: &[u8]) {
        // A match that starts in the last two bytes of the previous piece.
        let tail = std::mem::take(&mut self.body_tail);
        let mut joined = tail.clone();
        joined.extend_from_slice(&piece[..piece.len().min(2)]);
        self.short_links += memchr::memmem::find_iter(&joined, b"/x/")
            .filter(|&k| k < tail.len())
            .count() as u64;
        self.short_links += memchr::memmem::find_iter(piece, b"/x/").count() as u64;
        let mut keep = [tail.as_slice(), piece].concat();
        keep.drain(..keep.len().saturating_sub(2));
        self.body_tail = keep;
    }
}

impl Rules for Auditor {
    const SEES_TAGS: bool = true;
    const SEES_TEXT: bool = true;

    fn start_tag(&mut self, tag: &StartTag<'_>, _edits: &mut Edits) -> Result<(), Error> {
        self.observer.start_tag(tag, self.depth);
        match self.observer.facts.product {
            Some(Product::Jira) if self.depth == 1 => self.jira_row(tag),
            Some(Product::Jira) if self.depth > 1 => self.limits.open(tag.name()),
            Some(Product::Confluence) => self.confluence_tag(tag),
            Some(Product::ActiveObjects) => self.ao_tag(tag),
            _ => {}
        }
        self.depth += 1;
        Ok(())
    }

    fn end_tag(&mut self, _name: &[u8]) {
        self.depth = self.depth.saturating_sub(1);
        self.observer.end_tag();
        if self.depth > 1 && self.observer.facts.product == Some(Product::Jira) {
            self.limits.close();
        }
        if self.observer.facts.product == Some(Product::Confluence) {
            if let Some(o) = self.objects.end_tag(self.depth) {
                self.finish_object(o);
            }
            self.in_body = false;
        }
    }

    fn ignores_blank_text(&self) -> bool {
        // The indentation between rows and fields: counted by nothing
        // (Jira's text limits count inside a row's fields only).
        self.observer.watch == Watch::Nothing
            && !self.in_body
            && (self.depth <= 2 || self.observer.facts.product != Some(Product::Jira))
            && !self.objects.takes_text()
    }

    fn text<S: Sink>(&mut self, kind: TextKind, piece: &[u8], _out: &mut S) -> Result<bool, Error> {
        match kind {
            TextKind::Comment => {
                if self.depth == 0 {
                    let room = MAX_HEADER.saturating_sub(self.header.len());
                    self.header
                        .extend_from_slice(&piece[..piece.len().min(room)]);
                }
            }
            _ => {
                if self.depth > 2 && self.observer.facts.product == Some(Product::Jira) {
                    self.limits.text(piece, kind == TextKind::Text);
                }
                self.observer.text(piece);
                if self.in_body {
                    self.body_text(piece);
                }
                self.objects.text(piece);
            }
        }
        Ok(false)
    }

    fn text_end<S: Sink>(&mut self, kind: TextKind, _out: &mut S) -> Result<(), Error> {
        if kind == TextKind::Comment {
            if self.depth == 0 {
                let text = String::from_utf8_lossy(&std::mem::take(&mut self.header)).into_owned();
                self.observer.header_comment(&text);
            }
        } else {
            self.limits.text_end();
            self.observer.text_end();
            if self.in_body {
                self.body_tail.clear();
            }
        }
        Ok(())
    }
}
