//! Product rules applied while streaming, kept apart from the mechanism:
//! timestamps to UTC (`--tz`), link remapping (`--map-url`, `--cloud-url`),
//! Confluence page links, global shares restricted to logged-in users,
//! memberships, app data, and the facts a backup states about itself.
//!
//! Each rule is a value implementing [`Rule`], in a file of its own; the
//! [`RuleSet`] the scanner calls holds them in a list, built in one place
//! ([`RuleSet::new`]) from the checked [`RulesConfig`], and calls each in
//! turn with the [`Context`] (what the stream has said so far). A new rule
//! is a new file, a line in [`any_rule!`]'s list and a line in
//! [`RuleSet::new`]. Dispatch is static (an enum), and without rules the
//! scanner runs with [`NoRules`](crate::xml::rules::NoRules) instead.

pub(crate) mod app_data;
pub(crate) mod config;
pub(crate) mod confluence_links;
pub(crate) mod context;
pub(crate) mod facts;
pub(crate) mod fnv;
pub(crate) mod global_shares;
pub(crate) mod jira;
pub(crate) mod links;
pub(crate) mod memberships;
pub(crate) mod objects;
pub(crate) mod page_links;
pub(crate) mod timestamps;
pub(crate) mod tz;
pub(crate) mod urls;

use crate::error::Error;
use crate::report::Report;
use crate::rules::app_data::AppDataDrop;
use crate::rules::config::RulesConfig;
use crate::rules::context::{Context, Seen};
use crate::rules::global_shares::GlobalShares;
use crate::rules::links::Links;
use crate::rules::memberships::MembershipRepair;
use crate::rules::page_links::PageLinks;
use crate::rules::tz::Timestamps;
use crate::sink::Sink;
use crate::xml::rules::{Edits, Rules, StartTag, TextKind};

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

/// What a rule did with a piece of text.
pub(crate) enum TextFlow<'a> {
    /// Nothing: the next rule gets it unchanged.
    Pass,
    /// Held back (to be given at the end of the node), or written to the
    /// output: nothing goes further now.
    Taken,
    /// Replaced: the next rules get these bytes instead.
    Replaced(&'a [u8]),
}

/// One product rule. Every hook has a default that does nothing; `depth`
/// is the number of elements open before the tag.
pub(crate) trait Rule {
    /// Whether the rule may drop elements ([`Edits::drop_element`]).
    fn drops(&self) -> bool {
        false
    }

    /// A start tag; push replacements to `edits`.
    fn start_tag(
        &mut self,
        _cx: &Context,
        _depth: usize,
        _tag: &StartTag<'_>,
        _edits: &mut Edits,
    ) -> Result<(), Error> {
        Ok(())
    }

    /// An end tag (also right after the start tag of an empty element).
    fn end_tag(&mut self, _cx: &Context) {}

    /// A piece of character data, as the rules before this one left it.
    /// A rule that writes to `out` itself comes last ([`Links`]).
    fn text<S: Sink>(
        &mut self,
        _cx: &Context,
        _kind: TextKind,
        _piece: &[u8],
        _out: &mut S,
    ) -> Result<TextFlow<'_>, Error> {
        Ok(TextFlow::Pass)
    }

    /// The end of a text node, CDATA section or comment: what the rule held
    /// back, which the rules after it then get as text.
    fn text_end<S: Sink>(
        &mut self,
        _cx: &Context,
        _kind: TextKind,
        _out: &mut S,
    ) -> Result<Option<&[u8]>, Error> {
        Ok(None)
    }

    /// Whether a whole text node of only whitespace, given now, would
    /// leave this rule as it is and pass unchanged (its `text` and
    /// `text_end` would do nothing): the scanner then does not deliver it.
    /// False unless the rule says so; a rule with text hooks says when.
    fn ignores_blank_text(&self, _cx: &Context) -> bool {
        false
    }

    /// Fills the rule's part of the report.
    fn report(&self, _cx: &Context, _report: &mut Report) {}
}

/// The rules as one enum, so that calls through the list are static.
macro_rules! any_rule {
    ($($variant:ident($rule:ty),)*) => {
        /// Any of the rules.
        pub(crate) enum AnyRule {
            $($variant($rule),)*
        }

        $(impl From<$rule> for AnyRule {
            fn from(rule: $rule) -> Self {
                AnyRule::$variant(rule)
            }
        })*

        impl Rule for AnyRule {
            fn drops(&self) -> bool {
                match self {
                    $(AnyRule::$variant(r) => r.drops(),)*
                }
            }

            #[inline(always)]
            fn start_tag(
                &mut self,
                cx: &Context,
                depth: usize,
                tag: &StartTag<'_>,
                edits: &mut Edits,
            ) -> Result<(), Error> {
                match self {
                    $(AnyRule::$variant(r) => r.start_tag(cx, depth, tag, edits),)*
                }
            }

            #[inline(always)]
            fn end_tag(&mut self, cx: &Context) {
                match self {
                    $(AnyRule::$variant(r) => r.end_tag(cx),)*
                }
            }

            #[inline(always)]
            fn text<S: Sink>(
                &mut self,
                cx: &Context,
                kind: TextKind,
                piece: &[u8],
                out: &mut S,
            ) -> Result<TextFlow<'_>, Error> {
                match self {
                    $(AnyRule::$variant(r) => r.text(cx, kind, piece, out),)*
                }
            }

            #[inline(always)]
            fn text_end<S: Sink>(
                &mut self,
                cx: &Context,
                kind: TextKind,
                out: &mut S,
            ) -> Result<Option<&[u8]>, Error> {
                match self {
                    $(AnyRule::$variant(r) => r.text_end(cx, kind, out),)*
                }
            }

            #[inline(always)]
            fn ignores_blank_text(&self, cx: &Context) -> bool {
                match self {
                    $(AnyRule::$variant(r) => r.ignores_blank_text(cx),)*
                }
            }

            fn report(&self, cx: &Context, report: &mut Report) {
                match self {
                    $(AnyRule::$variant(r) => r.report(cx, report),)*
                }
            }
        }
    };
}

any_rule! {
    Timestamps(Timestamps),
    Memberships(MembershipRepair),
    GlobalShares(GlobalShares),
    AppData(AppDataDrop),
    PageLinks(PageLinks),
    Links(Links),
}

/// The product rules, as scanner hooks: the context, then each rule in turn.
pub(crate) struct RuleSet {
    cx: Context,
    rules: Vec<AnyRule>,
    drops: bool,
}

impl RuleSet {
    /// The rules `cfg` asks for, with fresh state: the one place the list
    /// is built. The order is the order of the calls: a rule sees the text
    /// the rules before it wrote, and link remapping comes last.
    pub(crate) fn new(cfg: &RulesConfig) -> Self {
        let mut rules: Vec<AnyRule> = Vec::new();
        if let Some(tz) = &cfg.tz {
            rules.push(Timestamps::new(tz, cfg.keep).into());
        }
        if cfg.repair_memberships {
            rules.push(MembershipRepair::new(cfg.members.clone(), cfg.keep).into());
        }
        if cfg.restrict_global_shares {
            rules.push(GlobalShares::default().into());
        }
        if !cfg.drop_app_data.is_empty() {
            rules.push(AppDataDrop::new(cfg.drop_app_data.clone()).into());
        }
        if let (Some(pages), Some(links)) = (&cfg.pages, &cfg.links) {
            rules.push(PageLinks::new(pages.clone(), links.mappings.clone(), cfg.keep).into());
        }
        if let Some(links) = &cfg.links {
            rules.push(Links::new(links).into());
        }
        Self {
            cx: Context::new(cfg.facts.clone(), cfg.prescanned),
            drops: rules.iter().any(Rule::drops),
            rules,
        }
    }

    /// Gives `piece` to `rules` in turn; true when something was written
    /// for it (false: it goes out unchanged).
    #[inline(always)]
    fn chain<'a, S: Sink>(
        mut rules: &'a mut [AnyRule],
        cx: &Context,
        kind: TextKind,
        mut piece: &'a [u8],
        out: &mut S,
    ) -> Result<bool, Error> {
        let mut replaced = false;
        while let Some((rule, rest)) = rules.split_first_mut() {
            match rule.text(cx, kind, piece, out)? {
                TextFlow::Pass => {}
                TextFlow::Taken => return Ok(true),
                TextFlow::Replaced(bytes) => {
                    piece = bytes;
                    replaced = true;
                }
            }
            rules = rest;
        }
        if replaced {
            out.put(piece);
        }
        Ok(replaced)
    }
}

impl Rules for RuleSet {
    const SEES_TAGS: bool = true;
    const SEES_TEXT: bool = true;

    fn drops(&self) -> bool {
        self.drops
    }

    #[inline]
    fn ignores_blank_text(&self) -> bool {
        self.cx.ignores_blank_text() && self.rules.iter().all(|r| r.ignores_blank_text(&self.cx))
    }

    #[inline]
    fn start_tag(&mut self, tag: &StartTag<'_>, edits: &mut Edits) -> Result<(), Error> {
        let depth = self.cx.depth;
        self.cx.start_tag(tag, depth);
        for rule in &mut self.rules {
            rule.start_tag(&self.cx, depth, tag, edits)?;
        }
        Ok(())
    }

    #[inline]
    fn end_tag(&mut self, _name: &[u8]) {
        self.cx.end_tag();
        for rule in &mut self.rules {
            rule.end_tag(&self.cx);
        }
    }

    #[inline]
    fn text<S: Sink>(&mut self, kind: TextKind, piece: &[u8], out: &mut S) -> Result<bool, Error> {
        match self.cx.text(kind, piece) {
            Seen::Pass => Self::chain(&mut self.rules, &self.cx, kind, piece, out),
            Seen::Held => Ok(true),
            Seen::Overflow => {
                let held = self.cx.take_overflow();
                if !Self::chain(&mut self.rules, &self.cx, kind, &held, out)? {
                    out.put(&held);
                }
                Self::chain(&mut self.rules, &self.cx, kind, piece, out)
            }
        }
    }

    #[inline]
    fn text_end<S: Sink>(&mut self, kind: TextKind, out: &mut S) -> Result<(), Error> {
        if let Some(header) = self.cx.text_end(kind)
            && !Self::chain(&mut self.rules, &self.cx, kind, &header, out)?
        {
            out.put(&header);
        }
        let mut rules = &mut self.rules[..];
        while let Some((rule, rest)) = rules.split_first_mut() {
            if let Some(bytes) = rule.text_end(&self.cx, kind, out)?
                && !Self::chain(rest, &self.cx, kind, bytes, out)?
            {
                out.put(bytes);
            }
            rules = rest;
        }
        Ok(())
    }
}

/// Fills the rule parts of a report.
pub(crate) fn add_to_report(set: &RuleSet, report: &mut Report) {
    for rule in &set.rules {
        rule.report(&set.cx, report);
    }
    report.backup = set.cx.facts().stated();
}
