//! What the rules need to know, checked once: [`RulesConfig`] from the
//! options asked for and the facts known before the stream (zone resolved,
//! `--cloud-url` mapped, the first pass's indexes taken out), shared by every
//! repair made from it (the entries of a zip).
//!
//! What the facts do not settle yet (`--tz auto`, `--cloud-url` and the
//! `--tz` guard when no first pass ran) is settled while streaming, by the
//! same [`TzPlan::resolve`] and [`LinkPlan::resolve`].

use crate::error::Error;
use crate::report::BackupFacts;
use crate::rules::TzChoice;
use crate::rules::app_data::AppDataSelector;
use crate::rules::confluence_links::PageIndex;
use crate::rules::facts::Indexes;
use crate::rules::memberships::MemberIndex;
use crate::rules::timestamps;
use crate::rules::urls::UrlMapping;
use jiff::tz::TimeZone;
use std::sync::Arc;

/// The rules' options as [`Options`](crate::Options) gives them, borrowed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Asked<'a> {
    pub(crate) tz: Option<&'a TzChoice>,
    pub(crate) tz_ignore_stated: bool,
    pub(crate) map_urls: &'a [UrlMapping],
    pub(crate) cloud_url: Option<&'a str>,
    pub(crate) restrict_global_shares: bool,
    /// Turn Confluence page links into internal links (with link remapping).
    pub(crate) confluence_links: bool,
    /// Recompute `<Membership>` ids and drop duplicate rows (`--repair-memberships`).
    pub(crate) repair_memberships: bool,
    /// App tables to leave out (`--drop-app-data`).
    pub(crate) drop_app_data: &'a [AppDataSelector],
    /// Locations (and examples) kept per kind of change.
    pub(crate) keep: usize,
}

impl Asked<'_> {
    /// Whether any rule is asked for (otherwise the scanner runs without rules).
    fn any(&self) -> bool {
        self.tz.is_some()
            || !self.map_urls.is_empty()
            || self.cloud_url.is_some()
            || self.restrict_global_shares
            || self.repair_memberships
            || !self.drop_app_data.is_empty()
    }
}

/// A zone the timestamps are converted from, and where it came from.
#[derive(Clone, Debug)]
pub(crate) struct Zone {
    pub(crate) tz: TimeZone,
    pub(crate) name: String,
    /// `--tz`, or the part of the backup that states it.
    pub(crate) source: String,
}

impl Zone {
    /// The zone named `name` in the bundled database.
    fn new(name: &str, source: String) -> Result<Self, Error> {
        match timestamps::bundled_zone(name) {
            Some(tz) => Ok(Self {
                tz,
                name: name.to_string(),
                source,
            }),
            None => Err(Error::UnknownZone {
                zone: name.to_string(),
                source_of: source,
            }),
        }
    }
}

/// `--tz`, checked.
#[derive(Clone, Debug)]
pub(crate) struct TzPlan {
    /// The zone; `None` while `--tz auto` waits for the backup to state it.
    pub(crate) zone: Option<Zone>,
    /// An explicit `--tz` to compare with the zone the backup states, once
    /// that is known.
    pub(crate) guard: Option<String>,
}

impl TzPlan {
    fn new(choice: &TzChoice, ignore_stated: bool) -> Result<Self, Error> {
        Ok(match choice {
            TzChoice::Zone(zone) => Self {
                zone: Some(Zone::new(zone, "--tz".into())?),
                guard: (!ignore_stated && !timestamps::is_utc_name(zone)).then(|| zone.clone()),
            },
            TzChoice::Auto => Self {
                zone: None,
                guard: None,
            },
        })
    }

    /// Refuses an explicit `--tz` on a backup that states UTC, once the
    /// statement is known (see [`Error::ZoneAlreadyUtc`]).
    pub(crate) fn guard(&mut self, facts: &BackupFacts) -> Result<(), Error> {
        let Some(stated) = facts.zone.as_ref() else {
            return Ok(());
        };
        let Some(zone) = self.guard.take() else {
            return Ok(());
        };
        if timestamps::is_utc_name(&stated.value) {
            return Err(Error::ZoneAlreadyUtc {
                zone,
                stated: stated.value.clone(),
                source_of: stated.source.clone(),
            });
        }
        Ok(())
    }

    /// Uses what the backup states: the guard, and the zone for `--tz auto`.
    /// `complete` says the facts are all there will be (a first pass ran),
    /// so a zone still unknown is an error.
    pub(crate) fn resolve(
        &mut self,
        facts: &BackupFacts,
        complete: bool,
        offset: u64,
    ) -> Result<(), Error> {
        self.guard(facts)?;
        if self.zone.is_none() {
            match &facts.zone {
                Some(z) => self.zone = Some(Zone::new(&z.value, z.source.clone())?),
                None if complete => {
                    return Err(Error::MissingFact {
                        what: "--tz auto: the backup does not state its time zone (no jvm.system.timezone in the header comment or properties, no timezoneId); give it with --tz ZONE, e.g. --tz Europe/Berlin".into(),
                        offset,
                    });
                }
                None => {}
            }
        }
        Ok(())
    }
}

/// Link remapping (`--map-url`, `--cloud-url`), checked.
#[derive(Clone, Debug)]
pub(crate) struct LinkPlan {
    /// The mappings, in the order given, `--cloud-url`'s last once known.
    pub(crate) mappings: Vec<UrlMapping>,
    /// `--cloud-url` while the backup's base URL is not known yet.
    pub(crate) cloud_url: Option<String>,
}

impl LinkPlan {
    /// The `--cloud-url` mapping, once the backup states its base URL (see
    /// [`TzPlan::resolve`] for `complete`).
    pub(crate) fn resolve(
        &mut self,
        facts: &BackupFacts,
        complete: bool,
        offset: u64,
    ) -> Result<Option<UrlMapping>, Error> {
        let Some(cloud) = self.cloud_url.as_deref() else {
            return Ok(None);
        };
        match &facts.base_url {
            Some(base) => {
                let mapping = UrlMapping::new(&base.value, cloud)?;
                self.cloud_url = None;
                Ok(Some(mapping))
            }
            None if complete => Err(Error::MissingFact {
                what: "--cloud-url: the backup states no base URL (no jira.baseurl, no baseUrl in atlassian.confluence.settings); give the mapping with --map-url OLD=NEW".into(),
                offset,
            }),
            None => Ok(None),
        }
    }
}

/// What the rules need to know, checked once and shared.
#[derive(Debug)]
pub(crate) struct RulesConfig {
    /// Locations (and examples) kept per kind of change.
    pub(crate) keep: usize,
    /// What the backup states, as far as known before the stream.
    pub(crate) facts: BackupFacts,
    /// Whether the facts came from a first pass (so all of them are known).
    pub(crate) prescanned: bool,
    pub(crate) tz: Option<TzPlan>,
    pub(crate) links: Option<LinkPlan>,
    /// `<SharePermissions type="global">` becomes `loggedin`.
    pub(crate) restrict_global_shares: bool,
    /// Confluence page links become internal links: the export's index.
    pub(crate) pages: Option<Arc<PageIndex>>,
    /// `--repair-memberships`.
    pub(crate) repair_memberships: bool,
    /// The users and groups from the first pass, for the repair.
    pub(crate) members: Option<Arc<MemberIndex>>,
    /// `--drop-app-data`.
    pub(crate) drop_app_data: Vec<AppDataSelector>,
}

impl RulesConfig {
    /// Checks the options against the facts (`Some` when a first pass or
    /// the caller gave them): the zone, the `--tz` guard, `--tz auto` and
    /// `--cloud-url` as far as the facts settle them. `None` when no rule
    /// is asked for.
    pub(crate) fn new(asked: Asked<'_>, facts: Option<BackupFacts>) -> Result<Option<Self>, Error> {
        if !asked.any() {
            return Ok(None);
        }
        let prescanned = facts.is_some();
        let facts = facts.unwrap_or_default();
        let mut tz = asked
            .tz
            .map(|choice| TzPlan::new(choice, asked.tz_ignore_stated))
            .transpose()?;
        let mut links =
            (!asked.map_urls.is_empty() || asked.cloud_url.is_some()).then(|| LinkPlan {
                mappings: asked.map_urls.to_vec(),
                cloud_url: asked.cloud_url.map(str::to_string),
            });
        if prescanned {
            if let Some(tz) = tz.as_mut() {
                tz.resolve(&facts, true, 0)?;
            }
            if let Some(links) = links.as_mut()
                && let Some(cloud) = links.resolve(&facts, true, 0)?
            {
                links.mappings.push(cloud);
            }
        }
        let indexes = Indexes::of(&facts);
        let pages = (asked.confluence_links && links.is_some())
            .then(|| indexes.and_then(|i| i.pages.clone()))
            .flatten();
        let members = asked
            .repair_memberships
            .then(|| indexes.and_then(|i| i.members.clone()))
            .flatten();
        Ok(Some(Self {
            keep: asked.keep,
            facts: facts.stated(),
            prescanned,
            tz,
            links,
            restrict_global_shares: asked.restrict_global_shares,
            pages,
            repair_memberships: asked.repair_memberships,
            members,
            drop_app_data: asked.drop_app_data.to_vec(),
        }))
    }
}
