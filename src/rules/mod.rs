//! Product rules applied while streaming, kept apart from the mechanism:
//! timestamps to UTC (`--tz`), link remapping (`--map-url`, `--cloud-url`),
//! global shares restricted to logged-in users, and the facts a backup states
//! about itself. [`RuleSet`] plugs them into the scanner's hooks.

pub(crate) mod app_data;
pub(crate) mod config;
pub(crate) mod confluence_links;
pub(crate) mod facts;
pub(crate) mod fnv;
pub(crate) mod jira;
pub(crate) mod memberships;
pub(crate) mod objects;
pub(crate) mod timestamps;
pub(crate) mod urls;

use crate::error::Error;
use crate::report::{BackupFacts, LinkReport, Report, ShiftCase, TimestampReport};
use crate::rules::app_data::AppDataDrop;
use crate::rules::config::{LinkPlan, RulesConfig, TzPlan, Zone};
use crate::rules::confluence_links::{PageIndex, StorageLinks};
use crate::rules::facts::{FactsObserver, Product, Watch};
use crate::rules::fnv::FnvMap;
use crate::rules::memberships::MembershipRepair;
use crate::rules::timestamps::{Mapping, ZoneConverter};
use crate::rules::urls::LinkRewriter;
use crate::sink::Sink;
use crate::xml::rules::{Edits, Rules, StartTag, TextKind, decimal};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// Which zone the backup's timestamps are in (`--tz`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TzChoice {
    /// An IANA zone name, e.g. `Europe/Berlin`.
    Zone(String),
    /// The zone the backup states (Jira: `jvm.system.timezone` in the header
    /// comment or properties; Confluence: `timezoneId`).
    Auto,
}

impl TzChoice {
    /// Parses `auto` or an IANA zone name known to the bundled tz database.
    ///
    /// ```
    /// use backup_fix::TzChoice;
    /// assert_eq!(TzChoice::parse("auto")?, TzChoice::Auto);
    /// assert!(TzChoice::parse("Europe/Berlin").is_ok());
    /// assert!(TzChoice::parse("Mars/Olympus_Mons").is_err());
    /// # Ok::<(), backup_fix::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<Self, Error> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(TzChoice::Auto);
        }
        timestamps::bundled_zone(s)
            .map(|_| TzChoice::Zone(s.to_string()))
            .ok_or_else(|| Error::UnknownZone {
                zone: s.to_string(),
                source_of: "--tz".into(),
            })
    }
}

/// Text the rule set holds until the end of its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hold {
    Nothing,
    /// A comment before the root element (Jira's header).
    PrologComment,
    /// The text of a Confluence `<property>`, perhaps a timestamp.
    ConfluenceDate,
}

/// Longest text held whole (a header comment; a date is far shorter).
const MAX_HELD: usize = 256 << 10;

/// The product rules, as scanner hooks.
pub(crate) struct RuleSet {
    /// Locations (and examples) kept per kind of change.
    keep: usize,
    observer: FactsObserver,
    /// Whether the facts came from a first pass (so all of them are known).
    prescanned: bool,
    /// `--tz`: the zone (once known) and the guard still to check.
    tz: Option<TzPlan>,
    converter: Option<ZoneConverter>,
    /// `--cloud-url` while the backup's base URL is not known yet.
    cloud: Option<LinkPlan>,
    restrict_global_shares: bool,
    links: Option<LinkRewriter>,
    depth: usize,
    datepickers: HashSet<u64>,
    zone_properties: HashSet<u64>,
    /// Confluence: the current object's class and id, and the id being read.
    object_class: String,
    object_id: String,
    reading_id: bool,
    /// Confluence: the `name` of the `<property>` whose text comes next.
    date_property: Option<String>,
    hold: Hold,
    held: Vec<u8>,
    pub(crate) times: Option<TimestampReport>,
    /// Confluence page links: the rewriter (once a body needs it) and the export's index.
    storage: Option<StorageLinks>,
    pages: Option<Arc<PageIndex>>,
    in_body: bool,
    escaped_body_noted: bool,
    escaped_bodies: u64,
    chain: Vec<u8>,
    /// What each `Entity.field` holds, decided once, with its counts.
    entities: Vec<EntityPlan>,
    entity_index: FnvMap<Vec<u8>, usize>,
    last_entity: Option<usize>,
    /// The last converted timestamp.
    shifted: Vec<u8>,
    pub(crate) shares: BTreeMap<String, u64>,
    /// `--repair-memberships`.
    members: Option<MembershipRepair>,
    /// `--drop-app-data`.
    app_data: Option<AppDataDrop>,
}

/// Which count of a [`FieldPlan`].
#[derive(Clone, Copy)]
enum Count {
    Shifted = 0,
    DateOnly = 1,
    Strings = 2,
}

/// What a timestamp-shaped value of one `Entity.field` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FieldRule {
    /// An instant: shifted.
    Instant,
    /// Left alone, for the reason given.
    Keep(jira::Keep),
    /// `CustomFieldValue.datevalue`: a day for datepicker fields, an instant otherwise.
    DependsOnCustomField,
}

/// One field of an entity: its rule and counts.
struct FieldPlan {
    name: Vec<u8>,
    rule: FieldRule,
    counts: [u64; 3],
}

/// The fields of one entity (Jira entity, Confluence object class) seen so far.
struct EntityPlan {
    name: Vec<u8>,
    fields: Vec<FieldPlan>,
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl RuleSet {
    /// The rules `cfg` asks for, with fresh state.
    pub(crate) fn new(cfg: &RulesConfig) -> Self {
        let links = cfg
            .links
            .as_ref()
            .map(|plan| LinkRewriter::new(plan.mappings.clone()));
        let cloud = cfg
            .links
            .as_ref()
            .filter(|plan| plan.cloud_url.is_some())
            .map(|plan| LinkPlan {
                mappings: Vec::new(),
                cloud_url: plan.cloud_url.clone(),
            });
        let mut set = Self {
            keep: cfg.keep,
            observer: FactsObserver::new(cfg.facts.clone()),
            prescanned: cfg.prescanned,
            tz: cfg.tz.clone(),
            converter: None,
            cloud,
            restrict_global_shares: cfg.restrict_global_shares,
            links,
            depth: 0,
            datepickers: HashSet::new(),
            zone_properties: HashSet::new(),
            object_class: String::new(),
            object_id: String::new(),
            reading_id: false,
            date_property: None,
            hold: Hold::Nothing,
            held: Vec::new(),
            times: None,
            storage: None,
            pages: cfg.pages.clone(),
            in_body: false,
            escaped_body_noted: false,
            escaped_bodies: 0,
            chain: Vec::new(),
            entities: Vec::new(),
            entity_index: FnvMap::default(),
            last_entity: None,
            shifted: Vec::new(),
            shares: BTreeMap::new(),
            members: cfg
                .repair_memberships
                .then(|| MembershipRepair::new(cfg.members.clone(), cfg.keep)),
            app_data: (!cfg.drop_app_data.is_empty())
                .then(|| AppDataDrop::new(cfg.drop_app_data.clone())),
        };
        set.start_times();
        set
    }

    /// The facts learned so far.
    pub(crate) fn facts(&self) -> &BackupFacts {
        &self.observer.facts
    }

    /// The link report, if links are remapped.
    pub(crate) fn link_report(&self) -> Option<LinkReport> {
        self.links.as_ref().map(LinkRewriter::report)
    }

    /// Starts converting once the zone is known.
    fn start_times(&mut self) {
        if self.converter.is_some() {
            return;
        }
        let Some(Zone { tz, name, source }) = self.tz.as_ref().and_then(|t| t.zone.clone()) else {
            return;
        };
        self.converter = Some(ZoneConverter::for_zone(tz));
        self.times = Some(TimestampReport {
            zone: name,
            zone_source: source,
            tzdb_version: timestamps::tzdb_version().to_string(),
            ..TimestampReport::default()
        });
    }

    /// Refuses an explicit `--tz` on a backup that states UTC, once the
    /// statement is known (see [`Error::ZoneAlreadyUtc`]).
    fn guard_zone(&mut self) -> Result<(), Error> {
        match self.tz.as_mut() {
            Some(tz) => tz.guard(&self.observer.facts),
            None => Ok(()),
        }
    }

    /// Uses what the backup states for `--tz auto` and `--cloud-url`, once known.
    fn resolve_facts(&mut self, offset: u64) -> Result<(), Error> {
        let facts = &self.observer.facts;
        if let Some(tz) = self.tz.as_mut() {
            tz.resolve(facts, self.prescanned, offset)?;
            self.start_times();
        }
        if let Some(plan) = self.cloud.as_mut()
            && let Some(mapping) = plan.resolve(&self.observer.facts, self.prescanned, offset)?
        {
            if let Some(links) = self.links.as_mut() {
                links.add(mapping);
            }
            self.cloud = None;
        }
        Ok(())
    }

    /// Everything that must be known when the first content arrives.
    fn require_facts(&mut self, offset: u64) -> Result<(), Error> {
        self.resolve_facts(offset)?;
        if self.cloud.is_some() {
            return Err(Error::MissingFact {
                what: "--cloud-url: the backup's base URL is not stated before its content (Confluence states it mid-file); run on a file, which is read twice, or give --map-url OLD=NEW".into(),
                offset,
            });
        }
        Ok(())
    }

    fn converter(&mut self, offset: u64) -> Result<&mut ZoneConverter, Error> {
        if self.converter.is_none() {
            self.resolve_facts(offset)?;
        }
        self.converter.as_mut().ok_or_else(|| Error::MissingFact {
            what: "--tz auto: the backup does not state its time zone before its first timestamp (no jvm.system.timezone in the header comment); run on a file, which is read twice, or give --tz ZONE, e.g. --tz Europe/Berlin".into(),
            offset,
        })
    }

    /// The plan of an entity, created on first sight.
    fn entity(&mut self, name: &[u8]) -> usize {
        // Rows of one entity come together: most lookups hit the last one.
        if let Some(e) = self.last_entity.filter(|&e| self.entities[e].name == name) {
            return e;
        }
        if let Some(&e) = self.entity_index.get(name) {
            self.last_entity = Some(e);
            return e;
        }
        self.entities.push(EntityPlan {
            name: name.to_vec(),
            fields: Vec::new(),
        });
        self.entity_index
            .insert(name.to_vec(), self.entities.len() - 1);
        self.last_entity = Some(self.entities.len() - 1);
        self.entities.len() - 1
    }

    /// The plan of field `name` (the `hint`-th attribute) of entity `e`.
    fn field(&mut self, e: usize, hint: usize, name: &[u8], jira: bool) -> usize {
        let fields = &mut self.entities[e].fields;
        if fields.get(hint).is_some_and(|f| f.name == name) {
            return hint;
        }
        if let Some(i) = fields.iter().position(|f| f.name == name) {
            return i;
        }
        let entity = &self.entities[e].name;
        let rule = if !jira {
            FieldRule::Instant
        } else if let Some(keep) = jira::exception(entity, name) {
            FieldRule::Keep(keep)
        } else if (entity.as_slice(), name) == jira::CUSTOM_FIELD_VALUE {
            FieldRule::DependsOnCustomField
        } else {
            FieldRule::Instant
        };
        let fields = &mut self.entities[e].fields;
        fields.push(FieldPlan {
            name: name.to_vec(),
            rule,
            counts: [0; 3],
        });
        fields.len() - 1
    }

    /// Converts one timestamp literal of field `f` of entity `e` to UTC into
    /// `self.shifted`; `id` names the row for reports of daylight-saving
    /// cases. False when it cannot be converted (out of range).
    fn shift(
        &mut self,
        lit: timestamps::Literal<'_>,
        value: &[u8],
        (e, f): (usize, usize),
        id: impl FnOnce() -> Option<String>,
        offset: u64,
    ) -> Result<bool, Error> {
        let keep = self.keep;
        let Some((utc, mapping)) = self.converter(offset)?.local_to_utc(lit.at) else {
            return Ok(false);
        };
        self.shifted.clear();
        timestamps::format(utc, lit.fraction, &mut self.shifted);
        self.entities[e].fields[f].counts[Count::Shifted as usize] += 1;
        if mapping != Mapping::Normal
            && let Some(report) = self.times.as_mut()
        {
            let cases = if mapping == Mapping::Gap {
                &mut report.gaps
            } else {
                &mut report.overlaps
            };
            cases.count += 1;
            if cases.first.len() < keep {
                let entity = &self.entities[e];
                cases.first.push(ShiftCase {
                    element: lossy(&entity.name),
                    id: id(),
                    field: lossy(&entity.fields[f].name),
                    local: lossy(value),
                    utc: lossy(&self.shifted),
                });
            }
        }
        Ok(true)
    }

    /// The timestamp report with its counts.
    pub(crate) fn timestamp_report(&self) -> Option<TimestampReport> {
        let mut t = self.times.clone()?;
        let named = |which: Count| -> BTreeMap<String, u64> {
            let mut m = BTreeMap::new();
            for e in &self.entities {
                for f in &e.fields {
                    let n = f.counts[which as usize];
                    if n > 0 {
                        m.insert(format!("{}.{}", lossy(&e.name), lossy(&f.name)), n);
                    }
                }
            }
            m
        };
        t.shifted = named(Count::Shifted);
        t.kept_date_only = named(Count::DateOnly);
        t.kept_strings = named(Count::Strings);
        t.build = self.facts().build.clone();
        t.stated_zone = self
            .facts()
            .zone
            .as_ref()
            .map(|z| z.value.clone())
            .filter(|z| z != &t.zone);
        Some(t)
    }

    /// Jira rows: timestamps, zone markers, what later rows depend on.
    fn jira_tag(
        &mut self,
        tag: &StartTag<'_>,
        depth: usize,
        edits: &mut Edits,
    ) -> Result<(), Error> {
        let name = tag.name();
        match name {
            // Rows only, as the first pass counts them.
            b"Membership" if self.members.is_some() && depth == 1 => {
                if let Some(m) = self.members.as_mut() {
                    m.row(tag, edits)?;
                }
            }
            b"CustomField" => {
                if tag
                    .attr(b"customfieldtypekey")
                    .is_some_and(|k| jira::is_datepicker(&k))
                    && let Some(id) = tag.attr(b"id").and_then(|v| decimal(&v))
                {
                    self.datepickers.insert(id);
                }
            }
            b"OSPropertyEntry" => {
                if tag.attr(b"propertyKey").as_deref() == Some(jira::ZONE_PROPERTY)
                    && let Some(id) = tag.attr(b"id").and_then(|v| decimal(&v))
                {
                    self.zone_properties.insert(id);
                }
            }
            _ => {}
        }
        if self.tz.is_none() {
            return Ok(());
        }
        let row_id = || tag.attr(b"id").map(|v| lossy(&v));
        let mut entity = None;
        for (i, (field, range)) in tag.attributes().enumerate() {
            // Removing references only shortens a value: anything shorter than
            // a timestamp cannot become one, so most values are passed over
            // without looking at them.
            let is_zone_row = name == b"OSPropertyString" && !self.zone_properties.is_empty();
            if range.len() < 19 && !is_zone_row {
                continue;
            }
            if tag.removed.is_empty()
                && !is_zone_row
                && (range.len() > 29 || tag.raw[range.start + 4] != b'-')
            {
                continue;
            }
            let value = tag.value(range.clone());
            if name == b"OSPropertyString"
                && field == b"value"
                && !self.zone_properties.is_empty()
                && tag
                    .attr(b"id")
                    .and_then(|v| decimal(&v))
                    .is_some_and(|i| self.zone_properties.contains(&i))
            {
                if &*value != b"UTC" {
                    // Resolve first so that `--tz auto` can learn it from this row.
                    self.converter(tag.offset)?;
                    edits.replace(range, b"UTC");
                    if let Some(r) = self.times.as_mut() {
                        r.zone_markers.push(format!(
                            "OSPropertyString id={} (jvm.system.timezone)",
                            row_id().as_deref().unwrap_or("?")
                        ));
                    }
                }
                continue;
            }
            if value.len() < 19 || value.len() > 29 || value[4] != b'-' {
                continue;
            }
            let Some(lit) = timestamps::parse(&value) else {
                continue;
            };
            let e = *entity.get_or_insert_with(|| self.entity(name));
            let f = self.field(e, i, field, true);
            let keep = match self.entities[e].fields[f].rule {
                FieldRule::Instant => None,
                FieldRule::Keep(keep) => Some(keep),
                FieldRule::DependsOnCustomField => tag
                    .attr(b"customfield")
                    .and_then(|v| decimal(&v))
                    .is_some_and(|c| self.datepickers.contains(&c))
                    .then_some(jira::Keep::DateOnly),
            };
            if let Some(keep) = keep {
                let which = match keep {
                    jira::Keep::DateOnly => Count::DateOnly,
                    jira::Keep::String => Count::Strings,
                };
                self.entities[e].fields[f].counts[which as usize] += 1;
                continue;
            }
            if self.shift(lit, &value, (e, f), row_id, tag.offset)? {
                edits.replace(range, &self.shifted);
            }
        }
        Ok(())
    }

    /// Confluence objects: note the class, read the id, and watch property text.
    fn confluence_tag(&mut self, tag: &StartTag<'_>) {
        match tag.name() {
            b"object" if self.depth == 2 => {
                self.object_class = tag.attr(b"class").map(|v| lossy(&v)).unwrap_or_default();
                self.object_id.clear();
            }
            b"id" if self.depth == 3 => self.reading_id = true,
            b"property" => {
                let name = tag.attr(b"name").map(|v| lossy(&v));
                if self.depth == 3
                    && self.object_class == "BodyContent"
                    && name.as_deref() == Some("body")
                {
                    self.start_body();
                } else if self.tz.is_some() {
                    self.date_property = name;
                }
            }
            _ => {}
        }
    }

    /// A page body begins: links in it may become internal links.
    fn start_body(&mut self) {
        self.in_body = true;
        self.escaped_body_noted = false;
        let Some(pages) = self.pages.clone() else {
            return;
        };
        let Some(links) = self.links.as_ref() else {
            return;
        };
        let storage = self
            .storage
            .get_or_insert_with(|| StorageLinks::new(links.mappings().to_vec(), self.keep));
        let page = self
            .object_id
            .trim()
            .parse()
            .ok()
            .and_then(|b| pages.body_page(b));
        storage.start_body(page);
    }

    /// Bytes produced by a transform, through the link rewriter.
    fn through_links<S: Sink>(links: Option<&mut LinkRewriter>, bytes: &[u8], out: &mut S) {
        match links {
            Some(links) => {
                if !links.text(bytes, out) {
                    out.put(bytes);
                }
            }
            None => out.put(bytes),
        }
    }

    /// `<SharePermissions type="global">` becomes `loggedin`.
    fn restrict_share(&mut self, tag: &StartTag<'_>, edits: &mut Edits) {
        if tag.name() != b"SharePermissions" {
            return;
        }
        for (field, range) in tag.attributes() {
            if field == b"type" && &*tag.value(range.clone()) == b"global" {
                let entity = tag
                    .attr(b"entityType")
                    .map(|v| lossy(&v))
                    .unwrap_or_else(|| "SharePermissions".into());
                *self.shares.entry(entity).or_default() += 1;
                edits.replace(range, b"loggedin");
            }
        }
    }

    /// Writes held or produced text through the link rewriter (if any).
    fn emit<S: Sink>(&mut self, bytes: &[u8], out: &mut S) {
        match self.links.as_mut() {
            Some(links) => {
                if !links.text(bytes, out) {
                    out.put(bytes);
                }
                links.text_end(out);
            }
            None => out.put(bytes),
        }
    }

    /// The end of a held header comment: learn from it, rewrite its zone line.
    fn finish_header<S: Sink>(&mut self, out: &mut S) -> Result<(), Error> {
        let held = std::mem::take(&mut self.held);
        let text = String::from_utf8_lossy(&held).into_owned();
        self.observer.header_comment(&text);
        self.resolve_facts(0)?;
        let rewritten = if self.converter.is_some() {
            jira::header_zone_to_utc(&text)
        } else {
            None
        };
        match rewritten {
            Some(fixed) => {
                if let Some(r) = self.times.as_mut() {
                    r.zone_markers
                        .push("header comment (jvm.system.timezone)".into());
                }
                self.emit(fixed.as_bytes(), out);
            }
            None => self.emit(&held, out),
        }
        Ok(())
    }

    /// The end of a Confluence property's text: shift it if it is a timestamp.
    fn finish_date<S: Sink>(&mut self, out: &mut S) -> Result<(), Error> {
        let held = std::mem::take(&mut self.held);
        let field = self.date_property.take().unwrap_or_default();
        let id = (!self.object_id.is_empty()).then(|| self.object_id.clone());
        let class = self.object_class.clone();
        let shifted = match timestamps::parse(&held) {
            Some(lit) => {
                let e = self.entity(class.as_bytes());
                let f = self.field(e, usize::MAX, field.as_bytes(), false);
                self.shift(lit, &held, (e, f), || id, 0)?
            }
            None => false,
        };
        if shifted {
            out.put(&self.shifted);
        } else {
            self.emit(&held, out);
        }
        Ok(())
    }
}

impl Rules for RuleSet {
    const SEES_TAGS: bool = true;
    const SEES_TEXT: bool = true;

    fn drops(&self) -> bool {
        self.members.is_some() || self.app_data.is_some()
    }

    fn start_tag(&mut self, tag: &StartTag<'_>, edits: &mut Edits) -> Result<(), Error> {
        let depth = self.depth;
        self.depth += 1;
        self.date_property = None;
        self.reading_id = false;
        self.observer.start_tag(tag, depth);
        if self.tz.as_ref().is_some_and(|tz| tz.guard.is_some()) {
            self.guard_zone()?;
        }
        if depth == 0 {
            self.require_facts(tag.offset)?;
            if self.observer.facts.product == Some(Product::ActiveObjects)
                && let Some(drop) = self.app_data.as_mut()
            {
                drop.app_data_root();
            }
        }
        match self.observer.facts.product {
            _ if depth == 0 => {}
            Some(Product::Jira) => {
                self.jira_tag(tag, depth, edits)?;
                if self.restrict_global_shares {
                    self.restrict_share(tag, edits);
                }
            }
            Some(Product::Confluence) => self.confluence_tag(tag),
            Some(Product::ActiveObjects) => {
                if let Some(drop) = self.app_data.as_mut() {
                    drop.tag(tag, depth, edits);
                }
            }
            _ => {}
        }
        if let Some(links) = self.links.as_mut()
            && let Some(mut at) = urls::scheme_separator_from(tag.raw, 0)
        {
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
                    && let Some(with) = links.value(&tag.value(range.clone()))
                {
                    edits.replace(range.clone(), &with);
                }
                match urls::scheme_separator_from(tag.raw, range.end) {
                    Some(next) => at = next,
                    None => break,
                }
            }
        }
        Ok(())
    }

    fn end_tag(&mut self, _name: &[u8]) {
        self.depth = self.depth.saturating_sub(1);
        self.date_property = None;
        self.reading_id = false;
        self.in_body = false;
        self.observer.end_tag();
    }

    fn text<S: Sink>(&mut self, kind: TextKind, piece: &[u8], out: &mut S) -> Result<bool, Error> {
        if self.observer.watch != Watch::Nothing && kind != TextKind::Comment {
            self.observer.text(piece);
        }
        if self.reading_id && kind == TextKind::Text && self.object_id.len() < 64 {
            self.object_id.push_str(&String::from_utf8_lossy(piece));
        }
        if self.in_body {
            match (kind, self.storage.as_mut(), self.pages.as_deref()) {
                (TextKind::CData, Some(storage), Some(pages)) => {
                    let mut chain = std::mem::take(&mut self.chain);
                    chain.clear();
                    storage.text(piece, pages, &mut chain);
                    Self::through_links(self.links.as_mut(), &chain, out);
                    self.chain = chain;
                    return Ok(true);
                }
                (TextKind::Text, Some(_), Some(_)) if !self.escaped_body_noted => {
                    // Escaped storage format: its links are only remapped.
                    self.escaped_body_noted = true;
                    self.escaped_bodies += 1;
                }
                _ => {}
            }
        }
        if self.hold == Hold::Nothing {
            self.hold = match kind {
                TextKind::Comment if self.depth == 0 => Hold::PrologComment,
                TextKind::Text if self.date_property.is_some() => Hold::ConfluenceDate,
                _ => Hold::Nothing,
            };
        }
        if self.hold != Hold::Nothing {
            if self.held.len() + piece.len() <= MAX_HELD {
                self.held.extend_from_slice(piece);
                return Ok(true);
            }
            // Too long to be what we hold for: pass it on unchanged.
            let held = std::mem::take(&mut self.held);
            self.hold = Hold::Nothing;
            self.date_property = None;
            match self.links.as_mut() {
                Some(links) => {
                    if !links.text(&held, out) {
                        out.put(&held);
                    }
                }
                None => out.put(&held),
            }
        }
        match self.links.as_mut() {
            Some(links) => Ok(links.text(piece, out)),
            None => Ok(false),
        }
    }

    fn text_end<S: Sink>(&mut self, kind: TextKind, out: &mut S) -> Result<(), Error> {
        if self.observer.watch != Watch::Nothing && kind != TextKind::Comment {
            self.observer.text_end();
        }
        self.reading_id = false;
        if self.in_body
            && kind == TextKind::CData
            && let (Some(storage), Some(pages)) = (self.storage.as_mut(), self.pages.as_deref())
        {
            let mut chain = std::mem::take(&mut self.chain);
            chain.clear();
            storage.text_end(pages, &mut chain);
            Self::through_links(self.links.as_mut(), &chain, out);
            self.chain = chain;
            if let Some(links) = self.links.as_mut() {
                links.text_end(out);
            }
            return Ok(());
        }
        let hold = std::mem::replace(&mut self.hold, Hold::Nothing);
        match hold {
            Hold::PrologComment => self.finish_header(out),
            Hold::ConfluenceDate => self.finish_date(out),
            Hold::Nothing => {
                if let Some(links) = self.links.as_mut() {
                    links.text_end(out);
                }
                Ok(())
            }
        }
    }
}

/// Fills the rule parts of a report.
pub(crate) fn add_to_report(set: &RuleSet, report: &mut Report) {
    report.timestamps = set.timestamp_report();
    report.links = set.link_report();
    report.confluence_links = set.storage.as_ref().map(|s| {
        let mut r = s.report.clone();
        r.escaped_bodies = set.escaped_bodies;
        r
    });
    report.global_shares_restricted = set.shares.clone();
    report.memberships = set.members.as_ref().map(|m| m.report.clone());
    report.app_data = set.app_data.as_ref().map(AppDataDrop::finish_report);
    report.backup = set.facts().stated();
}
