//! What `--tz` did: the zone, the values shifted per field, those left
//! alone, and the daylight-saving cases.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// One timestamp that fell into a daylight-saving transition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShiftCase {
    /// Element (Jira entity, Confluence object class).
    pub element: String,
    /// The row's or object's id.
    pub id: Option<String>,
    /// The attribute or property.
    pub field: String,
    /// The value as written (local time).
    pub local: String,
    /// The value written (UTC).
    pub utc: String,
}

/// Transitions cases: how many, and the first few.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ShiftCases {
    /// Number of values.
    pub count: u64,
    /// The first few.
    pub first: Vec<ShiftCase>,
}

/// What `--tz` did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TimestampReport {
    /// The zone the timestamps were converted from.
    pub zone: String,
    /// Where the zone came from: `--tz`, or the part of the backup that states it.
    pub zone_source: String,
    /// The zone the backup itself states, if any (when it differs from `zone`,
    /// check the flag: running `--tz` on a fixed backup shifts twice).
    pub stated_zone: Option<String>,
    /// Version of the bundled IANA time zone database.
    pub tzdb_version: String,
    /// The product build from the backup, if stated.
    pub build: Option<String>,
    /// Values shifted to UTC, per `Entity.field`.
    pub shifted: BTreeMap<String, u64>,
    /// Values left alone because they mean a calendar day, per `Entity.field`.
    pub kept_date_only: BTreeMap<String, u64>,
    /// Timestamp-shaped strings left alone, per `Entity.field`.
    pub kept_strings: BTreeMap<String, u64>,
    /// Wall times in a spring-forward gap (moved later by the gap, as Java does).
    pub gaps: ShiftCases,
    /// Wall times in a fall-back overlap (the earlier instant, as Java does).
    pub overlaps: ShiftCases,
    /// Where the backup's statement of its zone was made to say UTC.
    pub zone_markers: Vec<String>,
}

impl TimestampReport {
    /// Values shifted to UTC.
    pub(crate) fn changes(&self) -> u64 {
        self.shifted.values().sum::<u64>() + self.zone_markers.len() as u64
    }

    /// The summary lines.
    pub(super) fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self;
        let shifted: u64 = t.shifted.values().sum();
        writeln!(
            f,
            "  timestamps: {shifted} shifted from {} ({}) to UTC, tz database {}",
            t.zone, t.zone_source, t.tzdb_version
        )?;
        for (field, n) in &t.shifted {
            writeln!(f, "    {field} x {n}")?;
        }
        let kept: u64 =
            t.kept_date_only.values().sum::<u64>() + t.kept_strings.values().sum::<u64>();
        if kept > 0 {
            writeln!(f, "    left alone: {kept} date-only or string values")?;
        }
        if t.gaps.count + t.overlaps.count > 0 {
            writeln!(
                f,
                "    daylight saving: {} in a gap (moved later), {} in an overlap (earlier instant)",
                t.gaps.count, t.overlaps.count
            )?;
        }
        for m in &t.zone_markers {
            writeln!(f, "    zone statement set to UTC: {m}")?;
        }
        if let Some(stated) = &t.stated_zone {
            writeln!(
                f,
                "  warning: the backup states its zone is {stated}, not {}; if it was fixed before, --tz shifted it twice",
                t.zone
            )?;
        }
        Ok(())
    }
}
