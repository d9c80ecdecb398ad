//! The record of every change a repair made: counts per kind with the first
//! locations of each, printable as a summary and serialisable as JSON.
//!
//! The rules' parts of it live in the submodules, below the rules that fill
//! them, so that this layer imports nothing but [`Location`].

mod app_data;
pub(crate) mod facts;
mod links;
mod memberships;
mod timestamps;

pub use app_data::{AppDataReport, DroppedTable, ForeignKeyLeft};
pub use facts::{BackupFacts, Product, Stated};
pub use links::{ConfluenceLinkReport, LinkReport, MappingCount};
pub use memberships::{MembershipReport, RowIds};
pub use timestamps::{ShiftCase, ShiftCases, TimestampReport};

use crate::location::Location;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// How many locations each [`Tally`] keeps unless configured otherwise.
pub const DEFAULT_LOCATIONS_KEPT: usize = 5;

/// `n` and the noun for it, singular or plural: `plural(1, "entry", "entries")`
/// is "1 entry", `plural(3, "entry", "entries")` is "3 entries".
///
/// ```
/// use backup_fix::report::plural;
/// assert_eq!(plural(1, "zip", "zips"), "1 zip");
/// assert_eq!(plural(0, "entry", "entries"), "0 entries");
/// ```
pub fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A Unicode code point, shown and serialised as `U+001C`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CodePoint(pub u32);

impl fmt::Display for CodePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "U+{:04X}", self.0)
    }
}

impl Serialize for CodePoint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// How often one kind of change happened, and where it happened first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Tally {
    /// Number of occurrences.
    pub count: u64,
    /// The first few locations, in input order.
    pub first: Vec<Location>,
}

impl Tally {
    /// Counts one occurrence at `at`, keeping at most `keep` locations.
    pub fn add(&mut self, at: Location, keep: usize) {
        self.count += 1;
        if self.first.len() < keep {
            self.first.push(at);
        }
    }

    /// Counts `n` occurrences at consecutive bytes from `at` on (a run of one
    /// removed byte, all at the same line and column), keeping at most
    /// `keep` locations: the same as `n` calls of [`Tally::add`].
    pub(crate) fn add_run(&mut self, at: Location, n: u64, keep: usize) {
        self.count += n;
        let room = (keep.saturating_sub(self.first.len()) as u64).min(n);
        self.first.extend((0..room).map(|k| Location {
            offset: at.offset + k,
            ..at
        }));
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>, what: &dyn fmt::Display) -> fmt::Result {
        write!(f, "  {what} x {}", self.count)?;
        if let Some(at) = self.first.first() {
            write!(f, " (first at {at})")?;
        }
        writeln!(f)
    }
}

/// What was done about the input's character encoding.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EncodingReport {
    /// The encoding the input declared or its byte-order mark implied, if any.
    pub declared: Option<String>,
    /// Set when the input was transcoded to UTF-8 from this encoding.
    pub transcoded_from: Option<String>,
}

/// Every change made to one XML stream.
///
/// Two repairs of the same input give equal reports, however the input was
/// split into chunks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// Bytes read.
    pub input_bytes: u64,
    /// Bytes written.
    pub output_bytes: u64,
    /// Encoding handling.
    pub encoding: EncodingReport,
    /// Raw characters XML 1.0 forbids (C0 controls other than tab, LF, CR; U+FFFE; U+FFFF), removed.
    pub removed_chars: BTreeMap<CodePoint, Tally>,
    /// Character references to forbidden code points (`&#1;`, `&#xFFFE;`), removed.
    pub removed_char_refs: BTreeMap<CodePoint, Tally>,
    /// Invalid UTF-8 sequences, each replaced by U+FFFD (one per maximal invalid subpart).
    pub invalid_utf8: Tally,
    /// UTF-8-encoded lone surrogates (`ED A0 80` ...), each replaced by U+FFFD.
    pub lone_surrogates: Tally,
    /// Surrogate pairs encoded as two 3-byte sequences (CESU-8), re-encoded as one 4-byte character.
    pub cesu8_pairs: Tally,
    /// Bytes invalid in the declared non-UTF-8 encoding, each run replaced by U+FFFD.
    pub invalid_encoded: Tally,
    /// The XML declaration's encoding was rewritten to UTF-8.
    pub declaration_rewritten: bool,
    /// What `--tz` did, when given.
    pub timestamps: Option<TimestampReport>,
    /// What link remapping did, when asked.
    pub links: Option<LinkReport>,
    /// What became of links in Confluence page bodies, when converted.
    pub confluence_links: Option<ConfluenceLinkReport>,
    /// Global shares made visible to logged-in users only, per entity type.
    pub global_shares_restricted: BTreeMap<String, u64>,
    /// What `--repair-memberships` did, when asked.
    pub memberships: Option<MembershipReport>,
    /// What `--drop-app-data` did, when asked.
    pub app_data: Option<AppDataReport>,
    /// What the backup states about itself.
    pub backup: BackupFacts,
}

impl Report {
    /// Number of changes of every kind.
    pub fn changes(&self) -> u64 {
        let per_char: u64 = self
            .removed_chars
            .values()
            .chain(self.removed_char_refs.values())
            .map(|t| t.count)
            .sum();
        per_char
            + self.invalid_utf8.count
            + self.lone_surrogates.count
            + self.cesu8_pairs.count
            + self.invalid_encoded.count
            + u64::from(self.declaration_rewritten)
            + self.timestamps.as_ref().map_or(0, TimestampReport::changes)
            + self.links.as_ref().map_or(0, LinkReport::changes)
            + self
                .confluence_links
                .as_ref()
                .map_or(0, ConfluenceLinkReport::changes)
            + self.global_shares_restricted.values().sum::<u64>()
            + self
                .memberships
                .as_ref()
                .map_or(0, MembershipReport::changes)
            + self
                .app_data
                .as_ref()
                .map_or(0, AppDataReport::elements_dropped)
    }

    /// True when the output is byte-for-byte the input.
    pub fn is_unchanged(&self) -> bool {
        self.changes() == 0 && self.encoding.transcoded_from.is_none()
    }
}

impl fmt::Display for Report {
    /// A short human summary, one line per kind of change.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_unchanged() {
            writeln!(
                f,
                "no changes needed: {} bytes copied unchanged",
                self.input_bytes
            )?;
            if let Some(a) = &self.app_data {
                a.describe(f)?;
            }
            return Ok(());
        }
        writeln!(
            f,
            "{}; {} bytes in, {} bytes out",
            plural(self.changes(), "change", "changes"),
            self.input_bytes,
            self.output_bytes
        )?;
        if let Some(from) = &self.encoding.transcoded_from {
            writeln!(f, "  transcoded from {from} to UTF-8")?;
        }
        if self.declaration_rewritten {
            writeln!(f, "  XML declaration now says encoding=\"UTF-8\"")?;
        }
        for (cp, t) in &self.removed_chars {
            t.describe(f, &format_args!("removed {cp}"))?;
        }
        for (cp, t) in &self.removed_char_refs {
            t.describe(f, &format_args!("removed reference to {cp}"))?;
        }
        let kinds: [(&Tally, &str); 4] = [
            (&self.invalid_utf8, "invalid UTF-8 replaced by U+FFFD"),
            (&self.lone_surrogates, "lone surrogate replaced by U+FFFD"),
            (&self.cesu8_pairs, "CESU-8 surrogate pair re-encoded"),
            (
                &self.invalid_encoded,
                "undecodable bytes replaced by U+FFFD",
            ),
        ];
        for (t, what) in kinds {
            if t.count > 0 {
                t.describe(f, &what)?;
            }
        }
        if let Some(t) = &self.timestamps {
            t.describe(f)?;
        }
        if let Some(l) = &self.links {
            l.describe(f)?;
        }
        if let Some(c) = &self.confluence_links {
            c.describe(f)?;
        }
        for (entity, n) in &self.global_shares_restricted {
            writeln!(
                f,
                "  global shares restricted to logged-in users: {entity} x {n}"
            )?;
        }
        if let Some(m) = &self.memberships {
            m.describe(f)?;
        }
        if let Some(a) = &self.app_data {
            a.describe(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_keeps_only_the_first_locations() {
        let mut t = Tally::default();
        for i in 0..10 {
            t.add(
                Location {
                    line: i,
                    column: 1,
                    offset: i,
                },
                3,
            );
        }
        assert_eq!(t.count, 10);
        assert_eq!(
            t.first.iter().map(|l| l.line).collect::<Vec<_>>(),
            [0, 1, 2]
        );
    }

    #[test]
    fn json_names_code_points_as_u_plus() {
        let mut r = Report::default();
        r.removed_chars
            .entry(CodePoint(0x1c))
            .or_default()
            .add(Location::default(), 1);
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"U+001C\":{\"count\":1"), "{json}");
        assert_eq!(r.changes(), 1);
        assert!(r.to_string().contains("removed U+001C x 1"));
    }
}
