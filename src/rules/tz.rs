//! `--tz`: timestamps to UTC as a rule. Jira rows' timestamp attributes
//! (with the table of date-only and string fields in [`jira`]), Confluence
//! `<property>` texts, and the statements of the zone (the header comment's
//! `jvm.system.timezone`, its property row) set to UTC.

use crate::error::Error;
use crate::report::{Product, Report, ShiftCase, TimestampReport};
use crate::rules::config::{TzPlan, Zone};
use crate::rules::context::{Context, MAX_HELD};
use crate::rules::fnv::FnvMap;
use crate::rules::fnv::FnvSet;
use crate::rules::jira;
use crate::rules::timestamps::{self, Mapping, Shifted, Stamp, ZoneConverter};
use crate::rules::{Rule, TextFlow};
use crate::sink::Sink;
use crate::xml::rules::{Edits, StartTag, TextKind, decimal};
use std::collections::BTreeMap;
use std::ops::Range;

/// Text the rule holds until the end of its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hold {
    Nothing,
    /// A comment before the root element (Jira's header).
    PrologComment,
    /// The text of a Confluence `<property>`, perhaps a timestamp.
    ConfluenceDate,
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
    /// The field last found at each attribute position (rows of an entity
    /// mostly list their attributes in one order); `usize::MAX`: none yet.
    by_position: Vec<usize>,
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The `--tz` rule.
pub(crate) struct Timestamps {
    /// Locations (and examples) kept per kind of change.
    keep: usize,
    /// The zone (once known) and the guard still to check.
    plan: TzPlan,
    converter: Option<ZoneConverter>,
    times: Option<TimestampReport>,
    /// Jira: datepicker custom fields, and the property rows stating the zone.
    datepickers: FnvSet<u64>,
    zone_properties: FnvSet<u64>,
    /// Confluence: the `name` of the `<property>` whose text comes next.
    date_property: Option<String>,
    hold: Hold,
    held: Vec<u8>,
    /// What a held text became, for the rules after this one.
    released: Vec<u8>,
    /// What each `Entity.field` holds, decided once, with its counts.
    entities: Vec<EntityPlan>,
    entity_index: FnvMap<Vec<u8>, usize>,
    last_entity: Option<usize>,
    /// The last converted timestamp.
    shifted: Shifted,
}

impl Timestamps {
    pub(crate) fn new(plan: &TzPlan, keep: usize) -> Self {
        let mut rule = Self {
            keep,
            plan: plan.clone(),
            converter: None,
            times: None,
            datepickers: FnvSet::default(),
            zone_properties: FnvSet::default(),
            date_property: None,
            hold: Hold::Nothing,
            held: Vec::new(),
            released: Vec::new(),
            entities: Vec::new(),
            entity_index: FnvMap::default(),
            last_entity: None,
            shifted: Shifted::default(),
        };
        rule.start_times();
        rule
    }

    /// Starts converting once the zone is known.
    fn start_times(&mut self) {
        if self.converter.is_some() {
            return;
        }
        let Some(Zone { tz, name, source }) = self.plan.zone.clone() else {
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

    /// Uses what the backup states: the guard, and the zone for `--tz auto`.
    fn resolve(&mut self, cx: &Context, offset: u64) -> Result<(), Error> {
        self.plan.resolve(cx.facts(), cx.prescanned, offset)?;
        self.start_times();
        Ok(())
    }

    fn converter(&mut self, cx: &Context, offset: u64) -> Result<&mut ZoneConverter, Error> {
        if self.converter.is_none() {
            self.resolve(cx, offset)?;
        }
        self.converter.as_mut().ok_or_else(|| Error::MissingFact {
            what: "--tz auto: the backup does not state its time zone before its first timestamp (no jvm.system.timezone in the header comment); run on a file, which is read twice, or give --tz ZONE, e.g. --tz Europe/Berlin".into(),
            offset,
        })
    }

    /// The plan of an entity, created on first sight.
    #[inline]
    fn entity(&mut self, name: &[u8]) -> usize {
        // Rows of one entity come together: most lookups hit the last one.
        if let Some(e) = self.last_entity.filter(|&e| self.entities[e].name == name) {
            return e;
        }
        self.other_entity(name)
    }

    /// [`Timestamps::entity`] for another entity than the last one.
    #[inline(never)]
    fn other_entity(&mut self, name: &[u8]) -> usize {
        if let Some(&e) = self.entity_index.get(name) {
            self.last_entity = Some(e);
            return e;
        }
        self.entities.push(EntityPlan {
            name: name.to_vec(),
            fields: Vec::new(),
            by_position: Vec::new(),
        });
        self.entity_index
            .insert(name.to_vec(), self.entities.len() - 1);
        self.last_entity = Some(self.entities.len() - 1);
        self.entities.len() - 1
    }

    /// The plan of field `name` (the `position`-th attribute, or
    /// `usize::MAX` for none) of entity `e`.
    #[inline]
    fn field(&mut self, e: usize, position: usize, name: &[u8], jira: bool) -> usize {
        let plan = &self.entities[e];
        if let Some(&f) = plan.by_position.get(position)
            && plan.fields.get(f).is_some_and(|f| f.name == name)
        {
            return f;
        }
        self.field_at_new_position(e, position, name, jira)
    }

    /// [`Timestamps::field`] when the position held another field before.
    #[inline(never)]
    fn field_at_new_position(
        &mut self,
        e: usize,
        position: usize,
        name: &[u8],
        jira: bool,
    ) -> usize {
        let f = self.find_or_add_field(e, name, jira);
        if position != usize::MAX {
            let by_position = &mut self.entities[e].by_position;
            if by_position.len() <= position {
                by_position.resize(position + 1, usize::MAX);
            }
            by_position[position] = f;
        }
        f
    }

    /// The plan of field `name` of entity `e`, found by name or created.
    fn find_or_add_field(&mut self, e: usize, name: &[u8], jira: bool) -> usize {
        let fields = &self.entities[e].fields;
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
        cx: &Context,
        stamp: Stamp<'_>,
        value: &[u8],
        (e, f): (usize, usize),
        id: impl FnOnce() -> Option<String>,
        offset: u64,
    ) -> Result<bool, Error> {
        let keep = self.keep;
        let Some((shifted, mapping)) = self.converter(cx, offset)?.convert(stamp, value) else {
            return Ok(false);
        };
        self.shifted = shifted;
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
                    utc: lossy(self.shifted.as_bytes()),
                });
            }
        }
        Ok(true)
    }

    /// The timestamp report with its counts.
    fn timestamp_report(&self, cx: &Context) -> Option<TimestampReport> {
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
        t.build = cx.facts().build.clone();
        t.stated_zone = cx
            .facts()
            .zone
            .as_ref()
            .map(|z| z.value.clone())
            .filter(|z| z != &t.zone);
        Some(t)
    }

    /// Reads `value` as a timestamp literal (through the converter's hour
    /// cache once the zone is known).
    #[inline]
    fn read<'a>(&mut self, value: &'a [u8]) -> Option<Stamp<'a>> {
        match &mut self.converter {
            Some(c) => c.read(value),
            None => timestamps::parse(value).map(Stamp::Parsed),
        }
    }

    /// Jira rows: timestamps, zone markers, what later rows depend on.
    fn jira_tag(
        &mut self,
        cx: &Context,
        tag: &StartTag<'_>,
        edits: &mut Edits,
    ) -> Result<(), Error> {
        let name = tag.name();
        match name {
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
        let mut entity = None;
        let zone_row = name == b"OSPropertyString" && !self.zone_properties.is_empty();
        if !zone_row && tag.removed.is_empty() {
            // The common case: a value is looked at only if it has a
            // timestamp's length, a `-` at [4] and a digit first.
            for (i, a) in tag.attrs.iter().enumerate() {
                let Some(value) = tag.raw.get(a.value.clone()) else {
                    continue;
                };
                if value.len() < 19
                    || value.len() > 29
                    || value[4] != b'-'
                    || !value[0].is_ascii_digit()
                {
                    continue;
                }
                let Some(stamp) = self.read(value) else {
                    continue;
                };
                let field = tag.raw.get(a.name.clone()).unwrap_or_default();
                let at = (i, field, a.value.clone());
                self.jira_value(cx, tag, &mut entity, at, value, stamp, edits)?;
            }
            return Ok(());
        }
        // A row that may state the zone, or one with removed references.
        let row_id = || tag.attr(b"id").map(|v| lossy(&v));
        for (i, (field, range)) in tag.attributes().enumerate() {
            // Removing references only shortens a value: anything shorter than
            // a timestamp cannot become one, so most values are passed over
            // without looking at them.
            if range.len() < 19 && !zone_row {
                continue;
            }
            let value = tag.value(range.clone());
            if zone_row
                && field == b"value"
                && tag
                    .attr(b"id")
                    .and_then(|v| decimal(&v))
                    .is_some_and(|i| self.zone_properties.contains(&i))
            {
                if &*value != b"UTC" {
                    // Resolve first so that `--tz auto` can learn it from this row.
                    self.converter(cx, tag.offset)?;
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
            let Some(lit) = self.read(&value) else {
                continue;
            };
            self.jira_value(cx, tag, &mut entity, (i, field, range), &value, lit, edits)?;
        }
        Ok(())
    }

    /// A timestamp literal `value` of Jira row `tag`, the `i`-th attribute
    /// `field` at `range`: counted, and shifted unless its field is kept.
    /// `entity` is the row's entity plan, once looked up.
    #[allow(clippy::too_many_arguments)]
    fn jira_value(
        &mut self,
        cx: &Context,
        tag: &StartTag<'_>,
        entity: &mut Option<usize>,
        (i, field, range): (usize, &[u8], Range<usize>),
        value: &[u8],
        stamp: Stamp<'_>,
        edits: &mut Edits,
    ) -> Result<(), Error> {
        let e = match *entity {
            Some(e) => e,
            None => *entity.insert(self.entity(tag.name())),
        };
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
            return Ok(());
        }
        let row_id = || tag.attr(b"id").map(|v| lossy(&v));
        if self.shift(cx, stamp, value, (e, f), row_id, tag.offset)? {
            edits.replace(range, self.shifted.as_bytes());
        }
        Ok(())
    }

    /// Confluence: the `<property>` whose text may be a timestamp (not a
    /// page body).
    fn confluence_tag(&mut self, cx: &Context, depth: usize, tag: &StartTag<'_>) {
        if tag.name() != b"property" {
            return;
        }
        let name = tag.attr(b"name").map(|v| lossy(&v));
        let body =
            depth == 2 && cx.object_class == "BodyContent" && name.as_deref() == Some("body");
        if !body {
            self.date_property = name;
        }
    }

    /// A piece of the text being held: kept until the end of the node, or,
    /// when too long to be what is held for, passed on with what was held.
    #[inline(never)]
    fn hold_text(&mut self, piece: &[u8]) -> TextFlow<'_> {
        if self.held.len() + piece.len() <= MAX_HELD {
            self.held.extend_from_slice(piece);
            return TextFlow::Taken;
        }
        // Too long to be what we hold for: pass it on unchanged.
        self.hold = Hold::Nothing;
        self.date_property = None;
        self.released.clear();
        self.released.append(&mut self.held);
        self.released.extend_from_slice(piece);
        TextFlow::Replaced(&self.released)
    }

    /// The end of a held header comment: rewrite its zone line.
    fn finish_header(&mut self, cx: &Context) -> Result<(), Error> {
        let held = std::mem::take(&mut self.held);
        self.resolve(cx, 0)?;
        let rewritten = if self.converter.is_some() {
            jira::header_zone_to_utc(&String::from_utf8_lossy(&held))
        } else {
            None
        };
        self.released.clear();
        match rewritten {
            Some(fixed) => {
                if let Some(r) = self.times.as_mut() {
                    r.zone_markers
                        .push("header comment (jvm.system.timezone)".into());
                }
                self.released.extend_from_slice(fixed.as_bytes());
            }
            None => self.released.extend_from_slice(&held),
        }
        self.held = held;
        Ok(())
    }

    /// The end of a Confluence property's text: shifted if it is a timestamp.
    fn finish_date(&mut self, cx: &Context) -> Result<(), Error> {
        let held = std::mem::take(&mut self.held);
        let field = self.date_property.take().unwrap_or_default();
        let id = (!cx.object_id.is_empty()).then(|| cx.object_id.clone());
        let shifted = match self.read(&held) {
            Some(lit) => {
                let e = self.entity(cx.object_class.as_bytes());
                let f = self.field(e, usize::MAX, field.as_bytes(), false);
                self.shift(cx, lit, &held, (e, f), || id, 0)?
            }
            None => false,
        };
        self.released.clear();
        if shifted {
            self.released.extend_from_slice(self.shifted.as_bytes());
        } else {
            self.released.extend_from_slice(&held);
        }
        self.held = held;
        Ok(())
    }
}

impl Rule for Timestamps {
    fn start_tag(
        &mut self,
        cx: &Context,
        depth: usize,
        tag: &StartTag<'_>,
        edits: &mut Edits,
    ) -> Result<(), Error> {
        self.date_property = None;
        if self.plan.guard.is_some() {
            self.plan.guard(cx.facts())?;
        }
        if depth == 0 {
            return self.resolve(cx, tag.offset);
        }
        match cx.product() {
            Some(Product::Jira) => self.jira_tag(cx, tag, edits),
            Some(Product::Confluence) => {
                self.confluence_tag(cx, depth, tag);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    #[inline]
    fn end_tag(&mut self, _cx: &Context) {
        self.date_property = None;
    }

    #[inline(always)]
    fn ignores_blank_text(&self, _cx: &Context) -> bool {
        // Text is held only after a Confluence date property's start tag.
        self.hold == Hold::Nothing && self.date_property.is_none()
    }

    #[inline(always)]
    fn text<S: Sink>(
        &mut self,
        cx: &Context,
        kind: TextKind,
        piece: &[u8],
        _out: &mut S,
    ) -> Result<TextFlow<'_>, Error> {
        // Decided inline: most text is held by nothing.
        if self.hold == Hold::Nothing {
            self.hold = match kind {
                TextKind::Comment if cx.depth == 0 => Hold::PrologComment,
                TextKind::Text if self.date_property.is_some() => Hold::ConfluenceDate,
                _ => return Ok(TextFlow::Pass),
            };
            self.held.clear();
        }
        Ok(self.hold_text(piece))
    }

    #[inline]
    fn text_end<S: Sink>(
        &mut self,
        cx: &Context,
        _kind: TextKind,
        _out: &mut S,
    ) -> Result<Option<&[u8]>, Error> {
        match std::mem::replace(&mut self.hold, Hold::Nothing) {
            Hold::Nothing => return Ok(None),
            Hold::PrologComment => self.finish_header(cx)?,
            Hold::ConfluenceDate => self.finish_date(cx)?,
        }
        Ok(Some(&self.released))
    }

    fn report(&self, cx: &Context, report: &mut Report) {
        report.timestamps = self.timestamp_report(cx);
    }
}
