//! The sans-IO repair pipeline: push input chunks in, get repaired output
//! chunks out, and a [`Report`] at the end. No files, threads or async here;
//! the drivers in [`crate::driver`] wrap it for readers, writers and paths.

use crate::cancel::Cancel;
use crate::decode::Decoder;
use crate::error::Error;
use crate::report::BackupFacts;
use crate::report::{DEFAULT_LOCATIONS_KEPT, Report};
use crate::rules::app_data::AppDataSelector;
use crate::rules::config::{Asked, RulesConfig};
use crate::rules::urls::UrlMapping;
use crate::rules::{RuleSet, TzChoice};
use crate::sink::{Counting, Sink};
use crate::xml::drop::{DropState, Gate};
use crate::xml::rules::{NoRules, Rules};
use crate::xml::scanner::{Limits, XmlStage};
use std::io::Read;
use std::sync::Arc;

/// Default for [`Options::max_tag_size`]: 16 MiB.
pub const DEFAULT_MAX_TAG_SIZE: usize = 16 << 20;

/// What a repair does and how much memory it may hold.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    /// Largest unit held whole in memory: a start tag with all its attributes,
    /// a processing instruction, a DOCTYPE. Text, CDATA and comments are
    /// streamed and have no limit. A larger unit stops the repair with
    /// [`Error::TokenTooLarge`].
    pub max_tag_size: usize,
    /// How many locations the report keeps for each kind of change.
    pub locations_kept: usize,
    /// Convert server-local timestamps to UTC, from this zone (`--tz`).
    pub tz: Option<TzChoice>,
    /// Convert with an explicit [`Options::tz`] even when the backup states
    /// that its zone is UTC (`--tz-ignore-stated`). Without it that is
    /// refused with [`Error::ZoneAlreadyUtc`]: such a backup is usually one
    /// that was converted already, and a second conversion shifts it again.
    pub tz_ignore_stated: bool,
    /// Rewrite links to the old servers (`--map-url FROM=TO`, repeatable).
    pub map_urls: Vec<UrlMapping>,
    /// Rewrite links to the backup's own base URL to this URL (`--cloud-url`).
    pub cloud_url: Option<String>,
    /// Make global shares (`<SharePermissions type="global">`) visible to
    /// logged-in users only (`--restrict-global-shares`).
    pub restrict_global_shares: bool,
    /// With link remapping, turn Confluence page links (short links, page and
    /// attachment URLs to the old server) into internal links
    /// (`--confluence-links convert`, the default); `false` is `keep`.
    pub confluence_links: bool,
    /// Jira: recompute the `parentId`/`childId` of `<Membership>` rows from
    /// the lower names within the directory and drop rows that then
    /// duplicate an earlier one (`--repair-memberships`). Needs the users
    /// and groups from a first pass ([`scan_facts`]).
    pub repair_memberships: bool,
    /// Active Objects tables to leave out of `activeobjects.xml` and
    /// Confluence's `.pdata`, definitions and data alike
    /// (`--drop-app-data`, repeatable): an app's prefix or one table.
    pub drop_app_data: Vec<AppDataSelector>,
    /// Stops the run between chunks once cancelled ([`Error::Interrupted`]);
    /// the drivers, [`scan_facts`] and the archive repair look at it.
    pub cancel: Cancel,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_tag_size: DEFAULT_MAX_TAG_SIZE,
            locations_kept: DEFAULT_LOCATIONS_KEPT,
            tz: None,
            tz_ignore_stated: false,
            map_urls: Vec::new(),
            cloud_url: None,
            restrict_global_shares: false,
            confluence_links: true,
            repair_memberships: false,
            drop_app_data: Vec::new(),
            cancel: Cancel::default(),
        }
    }
}

impl Options {
    /// Sets [`Options::max_tag_size`].
    pub fn max_tag_size(mut self, bytes: usize) -> Self {
        self.max_tag_size = bytes;
        self
    }

    /// Sets [`Options::locations_kept`].
    pub fn locations_kept(mut self, n: usize) -> Self {
        self.locations_kept = n;
        self
    }

    /// Sets [`Options::tz`].
    pub fn tz(mut self, tz: TzChoice) -> Self {
        self.tz = Some(tz);
        self
    }

    /// Adds a link mapping ([`Options::map_urls`]).
    pub fn map_url(mut self, mapping: UrlMapping) -> Self {
        self.map_urls.push(mapping);
        self
    }

    /// Sets [`Options::cloud_url`].
    pub fn cloud_url(mut self, url: impl Into<String>) -> Self {
        self.cloud_url = Some(url.into());
        self
    }

    /// Sets [`Options::tz_ignore_stated`].
    pub fn tz_ignore_stated(mut self, on: bool) -> Self {
        self.tz_ignore_stated = on;
        self
    }

    /// Sets [`Options::restrict_global_shares`].
    pub fn restrict_global_shares(mut self, on: bool) -> Self {
        self.restrict_global_shares = on;
        self
    }

    /// Whether the repair needs facts the backup states (its zone for
    /// `--tz auto`, its base URL for `--cloud-url`), which may sit anywhere in
    /// the file: drivers that can read the input twice run [`scan_facts`] first.
    pub fn needs_facts(&self) -> bool {
        self.tz == Some(TzChoice::Auto)
            || self.cloud_url.is_some()
            || self.needs_page_index()
            || self.repair_memberships
    }

    /// Sets [`Options::repair_memberships`].
    pub fn repair_memberships(mut self, on: bool) -> Self {
        self.repair_memberships = on;
        self
    }

    /// Sets [`Options::cancel`]: the token the caller (a Ctrl-C handler)
    /// cancels to stop the run.
    pub fn cancel(mut self, token: Cancel) -> Self {
        self.cancel = token;
        self
    }

    /// Adds an app or table to leave out ([`Options::drop_app_data`]).
    pub fn drop_app_data(mut self, selector: AppDataSelector) -> Self {
        self.drop_app_data.push(selector);
        self
    }

    /// Whether Confluence page links will be converted, which needs the
    /// export's page index from a first pass.
    pub fn needs_page_index(&self) -> bool {
        self.confluence_links && (!self.map_urls.is_empty() || self.cloud_url.is_some())
    }

    /// Sets [`Options::confluence_links`].
    pub fn confluence_links(mut self, convert: bool) -> Self {
        self.confluence_links = convert;
        self
    }

    /// The rules' options, for [`RulesConfig::new`] to check.
    fn asked(&self) -> Asked<'_> {
        Asked {
            tz: self.tz.as_ref(),
            tz_ignore_stated: self.tz_ignore_stated,
            map_urls: &self.map_urls,
            cloud_url: self.cloud_url.as_deref(),
            restrict_global_shares: self.restrict_global_shares,
            confluence_links: self.confluence_links,
            repair_memberships: self.repair_memberships,
            drop_app_data: &self.drop_app_data,
            keep: self.locations_kept,
        }
    }

    fn limits(&self) -> Limits {
        Limits {
            max_token: self.max_tag_size,
            keep: self.locations_kept,
        }
    }
}

/// A repair's configuration, checked once: the [`Options`] and what the
/// backup states ([`BackupFacts`]), with the zone resolved, the link
/// mappings made (`--cloud-url`'s included) and the first pass's indexes
/// taken. Options that cannot work fail here, before any input is read.
///
/// Cloning is cheap (it is shared, not copied), so every entry of a zip is
/// repaired from one: [`Fixer::from_config`] builds a fixer from it without
/// checking anything again.
///
/// ```
/// use backup_fix::{FixConfig, Fixer, Options, TzChoice};
///
/// let options = Options::default().tz(TzChoice::parse("Europe/Berlin")?);
/// let config = FixConfig::new(&options)?;
/// for entry in ["<a t=\"2014-09-04 10:00:00\"/>", "<b/>"] {
///     let mut fixer = Fixer::from_config(&config);
///     let mut out = Vec::new();
///     fixer.write(entry.as_bytes(), &mut out)?;
///     fixer.finish(&mut out)?;
/// }
/// # Ok::<(), backup_fix::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FixConfig(Arc<Checked>);

/// What a [`FixConfig`] shares.
#[derive(Debug)]
struct Checked {
    limits: Limits,
    /// `None` when no rule is asked for: the scanner's fast path.
    rules: Option<RulesConfig>,
}

impl FixConfig {
    /// The configuration for `options`. Facts the rules need (the zone for
    /// `--tz auto`, the base URL for `--cloud-url`) are then learned from the
    /// Jira header comment as it streams past; when they are stated later
    /// in the file, use [`FixConfig::with_facts`] after [`scan_facts`].
    pub fn new(options: &Options) -> Result<Self, Error> {
        Self::build(options, None)
    }

    /// The configuration for `options` on a backup whose facts are known
    /// (from [`scan_facts`], or filled in by the caller).
    pub fn with_facts(options: &Options, facts: BackupFacts) -> Result<Self, Error> {
        Self::build(options, Some(facts))
    }

    fn build(options: &Options, facts: Option<BackupFacts>) -> Result<Self, Error> {
        Ok(Self(Arc::new(Checked {
            limits: options.limits(),
            rules: RulesConfig::new(options.asked(), facts)?,
        })))
    }
}

/// The scanner with or without product rules (without is the fast path).
enum Engine {
    Plain(Box<XmlStage<NoRules>>),
    Rules(Box<XmlStage<RuleSet>>),
}

/// Runs `$body` with `$xml` bound to the engine's stage, whatever its rules.
macro_rules! with_stage {
    ($engine:expr, $xml:ident => $body:expr) => {
        match $engine {
            Engine::Plain($xml) => $body,
            Engine::Rules($xml) => $body,
        }
    };
}

/// Runs `$body` with `$out` bound to the output: through the drop gate when
/// the rules may drop elements (its state kept in the fixer), as it is
/// otherwise. A macro, so that both stay statically dispatched.
macro_rules! gated {
    ($fixer:ident, $sink:expr, $out:ident => $body:expr) => {
        gated!($fixer, $sink, $out => $body; then |_gate| {})
    };
    ($fixer:ident, $sink:expr, $out:ident => $body:expr; then $end:expr) => {
        if $fixer.drops {
            let mut gate = Gate {
                out: $sink,
                state: &mut $fixer.drop_state,
            };
            let $out = &mut gate;
            let r = $body;
            if r.is_ok() {
                ($end)(&mut gate);
            }
            r
        } else {
            let $out = $sink;
            $body
        }
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Running,
    Failed,
}

/// Repairs one XML stream, chunk by chunk.
///
/// Feed the input with [`Fixer::write`] in chunks of any size, then call
/// [`Fixer::finish`]. The output goes to a [`Sink`] as it is produced; it
/// is the same, and so is the report, however the input is split.
///
/// ```
/// use backup_fix::{Fixer, Options};
///
/// let mut fixer = Fixer::new(Options::default())?;
/// let mut out = Vec::new();
/// fixer.write(b"<a>bad\x1c char", &mut out)?;
/// fixer.write(b"acter &#1;</a>", &mut out)?;
/// let report = fixer.finish(&mut out)?;
/// assert_eq!(out, b"<a>bad character </a>");
/// assert_eq!(report.changes(), 2);
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub struct Fixer {
    decoder: Decoder,
    engine: Engine,
    state: State,
    /// Whether the rules may drop elements: output then goes through a gate
    /// (see [`crate::xml::drop`]), whose state is kept here between chunks.
    drops: bool,
    drop_state: DropState,
}

impl Fixer {
    /// A fixer with the given options.
    ///
    /// Facts the rules need (the zone for `--tz auto`, the base URL for
    /// `--cloud-url`) are learned from the Jira header comment as it streams
    /// past; when they are stated later in the file, use
    /// [`Fixer::with_facts`] after [`scan_facts`].
    pub fn new(options: Options) -> Result<Self, Error> {
        Ok(Self::from_config(&FixConfig::new(&options)?))
    }

    /// A fixer that already knows what the backup states about itself.
    pub fn with_facts(options: Options, facts: BackupFacts) -> Result<Self, Error> {
        Ok(Self::from_config(&FixConfig::with_facts(&options, facts)?))
    }

    /// A fixer from a configuration checked before (one for each entry of a
    /// zip, say); it cannot fail, the configuration having been checked.
    pub fn from_config(config: &FixConfig) -> Self {
        let limits = config.0.limits;
        let engine = match &config.0.rules {
            Some(rules) => Engine::Rules(Box::new(XmlStage::new(RuleSet::new(rules), limits))),
            None => Engine::Plain(Box::new(XmlStage::new(NoRules, limits))),
        };
        let drops = match &engine {
            Engine::Rules(xml) => xml.rules.drops(),
            Engine::Plain(_) => false,
        };
        Self {
            decoder: Decoder::default(),
            engine,
            state: State::Running,
            drops,
            drop_state: DropState::default(),
        }
    }

    /// An error once the fixer has failed.
    fn usable(&self) -> Result<(), Error> {
        match self.state {
            State::Failed => Err(Error::Finished("failed")),
            State::Running => Ok(()),
        }
    }

    /// Repairs the next chunk of input, writing what is ready to `out`.
    ///
    /// After an error the fixer is spent: further calls return an error.
    pub fn write<S: Sink + ?Sized>(&mut self, input: &[u8], out: &mut S) -> Result<(), Error> {
        self.usable()?;
        let mut counting = Counting {
            inner: out,
            count: 0,
        };
        let decoder = &mut self.decoder;
        let r = gated!(self, &mut counting, out => {
            with_stage!(&mut self.engine, xml => decoder.write(input, &mut **xml, out))
        });
        with_stage!(&mut self.engine, xml => {
            xml.report.input_bytes += input.len() as u64;
            xml.report.output_bytes += counting.count;
        });
        if r.is_err() {
            self.state = State::Failed;
        }
        r
    }

    /// Ends the input: writes what is left, checks the document is complete,
    /// and returns the report.
    pub fn finish<S: Sink + ?Sized>(mut self, out: &mut S) -> Result<Report, Error> {
        self.usable()?;
        let mut counting = Counting {
            inner: out,
            count: 0,
        };
        let decoder = &mut self.decoder;
        let r = gated!(self, &mut counting, out => {
            with_stage!(&mut self.engine, xml => decoder
                .finish(&mut **xml, out)
                .and_then(|()| xml.finish(out)))
        }; then |gate: &mut Gate<'_, _>| gate.finish());
        with_stage!(&mut self.engine, xml => xml.report.output_bytes += counting.count);
        r?;
        Ok(self.report())
    }

    /// The report so far (complete after [`Fixer::finish`]).
    pub fn report(&self) -> Report {
        let mut report = with_stage!(&self.engine, xml => xml.report.clone());
        if let Engine::Rules(xml) = &self.engine {
            crate::rules::add_to_report(&xml.rules, &mut report);
        }
        report.encoding = self.decoder.report.clone();
        report
    }

    /// Bytes of input consumed so far.
    pub fn input_bytes(&self) -> u64 {
        with_stage!(&self.engine, xml => xml.report.input_bytes)
    }
}

/// Repairs a whole in-memory document.
///
/// ```
/// let (out, report) = backup_fix::fix_bytes(b"<a>\x08</a>", &Default::default())?;
/// assert_eq!(out, b"<a></a>");
/// assert_eq!(report.changes(), 1);
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub fn fix_bytes(input: &[u8], options: &Options) -> Result<(Vec<u8>, Report), Error> {
    let mut fixer = Fixer::new(options.clone())?;
    let mut out = Vec::with_capacity(input.len());
    fixer.write(input, &mut out)?;
    let report = fixer.finish(&mut out)?;
    Ok((out, report))
}

/// Reads what a backup states about itself (product, build, base URL, zone),
/// stopping as soon as it knows what `options` need, so that a repair can use
/// facts stated anywhere in the file. The input is checked as it is read:
/// malformed XML is an error here too.
///
/// ```
/// use backup_fix::{Options, TzChoice, scan_facts};
/// let xml = "<!--\n    jvm.system.timezone : Europe/Berlin\n-->\n<entity-engine-xml/>";
/// let facts = scan_facts(xml.as_bytes(), &Options::default().tz(TzChoice::Auto))?;
/// assert_eq!(facts.zone.unwrap().value, "Europe/Berlin");
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub fn scan_facts<R: Read>(input: R, options: &Options) -> Result<BackupFacts, Error> {
    scan_facts_from(input, options, BackupFacts::default())
}

/// [`scan_facts`], starting from facts `known` from elsewhere (a zip's
/// `exportDescriptor.properties`); those win over what the file states.
pub(crate) fn scan_facts_from<R: Read>(
    mut input: R,
    options: &Options,
    known: BackupFacts,
) -> Result<BackupFacts, Error> {
    let mut decoder = Decoder::default();
    let facts_only = FactsOnly {
        observer: crate::rules::facts::FactsObserver::new(known),
        index: options
            .needs_page_index()
            .then(crate::rules::confluence_links::IndexBuilder::default),
        members: options.repair_memberships.then(|| {
            crate::rules::memberships::MemberIndexBuilder::new(
                &std::env::temp_dir(),
                options.locations_kept,
            )
        }),
        ..FactsOnly::default()
    };
    let mut stage = XmlStage::new(facts_only, options.limits());
    let mut buf = vec![0u8; 1 << 20];
    let mut sink = crate::sink::NullSink;
    let done = |rules: &FactsOnly| {
        let f = &rules.observer.facts;
        // A Confluence page index needs the whole file.
        let index_done =
            rules.index.is_none() || f.product.is_some_and(|p| p != crate::Product::Confluence);
        // So do Jira's users and groups.
        let members_done =
            rules.members.is_none() || f.product.is_some_and(|p| p != crate::Product::Jira);
        index_done
            && members_done
            && (options.tz != Some(TzChoice::Auto) || f.zone.is_some())
            && (options.cloud_url.is_none() || f.base_url.is_some())
    };
    loop {
        if done(&stage.rules) {
            return Ok(stage.rules.observer.facts.clone());
        }
        let n = crate::chunked::read_chunk(&mut input, &mut buf, &options.cancel)?;
        if n == 0 {
            break;
        }
        decoder.write(&buf[..n], &mut stage, &mut sink)?;
    }
    decoder.finish(&mut stage, &mut sink)?;
    stage.finish(&mut sink)?;
    let mut facts = stage.rules.observer.facts.clone();
    let mut indexes = crate::rules::facts::Indexes::default();
    if let Some(index) = stage.rules.index.take() {
        indexes.pages = Some(std::sync::Arc::new(index.finish()));
    }
    if let Some(members) = stage.rules.members.take() {
        let (index, _) = members.finish()?;
        indexes.members = Some(std::sync::Arc::new(index));
    }
    if indexes.pages.is_some() || indexes.members.is_some() {
        facts.first_pass = crate::report::facts::FirstPass::new(indexes);
    }
    Ok(facts)
}

/// Rules that only learn facts.
#[derive(Default)]
struct FactsOnly {
    observer: crate::rules::facts::FactsObserver,
    depth: usize,
    comment: Vec<u8>,
    /// The Confluence page index, when page links are to be converted.
    index: Option<crate::rules::confluence_links::IndexBuilder>,
    /// Jira's users and groups, when memberships are to be repaired.
    members: Option<crate::rules::memberships::MemberIndexBuilder>,
}

impl Rules for FactsOnly {
    const SEES_TAGS: bool = true;
    const SEES_TEXT: bool = true;

    fn ignores_blank_text(&self) -> bool {
        self.observer.watch == crate::rules::facts::Watch::Nothing
            && !self.index.as_ref().is_some_and(|i| i.takes_text())
    }

    fn start_tag(
        &mut self,
        tag: &crate::xml::rules::StartTag<'_>,
        _edits: &mut crate::xml::rules::Edits,
    ) -> Result<(), Error> {
        self.observer.start_tag(tag, self.depth);
        if let Some(index) = self.index.as_mut() {
            index.start_tag(tag, self.depth);
        }
        if let Some(members) = self.members.as_mut()
            && self.depth == 1
            && self.observer.facts.product == Some(crate::Product::Jira)
        {
            members.start_tag(tag);
        }
        self.depth += 1;
        Ok(())
    }

    fn end_tag(&mut self, _name: &[u8]) {
        self.depth = self.depth.saturating_sub(1);
        self.observer.end_tag();
        if let Some(index) = self.index.as_mut() {
            index.end_tag(self.depth);
        }
    }

    fn text<S: Sink>(
        &mut self,
        kind: crate::xml::rules::TextKind,
        piece: &[u8],
        _out: &mut S,
    ) -> Result<bool, Error> {
        if kind == crate::xml::rules::TextKind::Comment {
            if self.depth == 0 && self.comment.len() < (256 << 10) {
                self.comment.extend_from_slice(piece);
            }
        } else {
            self.observer.text(piece);
            if let Some(index) = self.index.as_mut() {
                index.text(piece);
            }
        }
        Ok(false)
    }

    fn text_end<S: Sink>(
        &mut self,
        kind: crate::xml::rules::TextKind,
        _out: &mut S,
    ) -> Result<(), Error> {
        if kind == crate::xml::rules::TextKind::Comment {
            let text = String::from_utf8_lossy(&std::mem::take(&mut self.comment)).into_owned();
            self.observer.header_comment(&text);
        } else {
            self.observer.text_end();
        }
        Ok(())
    }
}
