//! Synthetic Jira `entities.xml`: header comment, alphabetically ordered
//! entity rows, attributes, CDATA bodies, emoji, links, timestamps; clean or
//! with the defects real exports carry.

use crate::synth::rng::Rng;
use std::io::{self, Write};

/// What to generate.
#[derive(Clone, Debug)]
pub struct JiraSynth {
    /// Approximate size of `entities.xml` in bytes (the result is slightly larger).
    pub target_bytes: u64,
    /// Inject defects: raw control characters, U+FFFF, forbidden character
    /// references, invalid UTF-8, lone surrogates.
    pub defects: bool,
    /// Seed of the pseudo-random choices.
    pub seed: u64,
    /// If set, one comment body is a single CDATA section of this many bytes.
    pub huge_cdata: Option<u64>,
    /// How the bytes are spread over rows and bodies.
    pub shape: Shape,
}

/// How a synthetic `entities.xml` spreads its bytes: the engine's speed
/// depends on the mix of tags, attribute values and text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Shape {
    /// Issue rows with CDATA descriptions, comments with CDATA or attribute
    /// bodies, change history, users, custom field values (the default).
    #[default]
    Mixed,
    /// Many short attribute-only rows (change history, custom field values,
    /// property entries, worklogs without text) and few long CDATA bodies:
    /// one comment in 200 has a body of 8-40 kB, the rest none.
    Rows,
    /// Users, groups and memberships only, as a Data Center 8.22+ export
    /// writes them: one user in 5 with a stale `childId`, one row in 10 with
    /// a stale `parentId`, one row in 50 written twice; ten groups per user.
    /// For the memory of `check` and `fix --repair-memberships`.
    Memberships,
}

impl std::str::FromStr for Shape {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "mixed" => Ok(Self::Mixed),
            "rows" => Ok(Self::Rows),
            "memberships" => Ok(Self::Memberships),
            other => Err(format!(
                "unknown shape {other:?}: use mixed, rows or memberships"
            )),
        }
    }
}

impl Default for JiraSynth {
    fn default() -> Self {
        Self {
            target_bytes: 1 << 20,
            defects: false,
            seed: 42,
            huge_cdata: None,
            shape: Shape::Mixed,
        }
    }
}

/// What was generated: counts of rows and of each injected defect.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SynthStats {
    /// Bytes written.
    pub bytes: u64,
    /// Entity rows written.
    pub rows: u64,
    /// Raw forbidden control characters injected.
    pub control_chars: u64,
    /// Raw U+FFFF injected.
    pub nonchars: u64,
    /// Forbidden character references injected (`&#1;` and the like).
    pub bad_refs: u64,
    /// Invalid UTF-8 bytes injected (each a maximal invalid subpart).
    pub invalid_utf8: u64,
    /// Encoded lone surrogates injected.
    pub lone_surrogates: u64,
}

impl SynthStats {
    /// Total number of defects, which a repair must each count once.
    pub fn defects(&self) -> u64 {
        self.control_chars
            + self.nonchars
            + self.bad_refs
            + self.invalid_utf8
            + self.lone_surrogates
    }
}

const WORDS: &[&str] = &[
    "the",
    "build",
    "fails",
    "when",
    "deploying",
    "to",
    "staging",
    "after",
    "upgrade",
    "customer",
    "reports",
    "login",
    "page",
    "timeout",
    "see",
    "attached",
    "log",
    "please",
    "review",
    "Grüße",
    "naïve",
    "café",
    "日本語",
    "テスト",
    "😀",
    "🚀",
    "データ",
    "résumé",
    "Ελληνικά",
    "ok",
];
const USERS: &[&str] = &["admin", "jsmith", "mmüller", "akumar", "lchen", "ops-bot"];
const LINKS: &[&str] = &[
    "http://jira.corp:8080/browse/ABC-",
    "https://jira.corp:8080/secure/attachment/10",
    "http://confluence.corp:8090/pages/viewpage.action?pageId=",
    "http://bamboo.corp:8085/browse/PLAN-",
];

/// Writes text into a row while counting bytes and injecting defects.
struct Out<W: Write> {
    w: W,
    rng: Rng,
    stats: SynthStats,
    defects: bool,
    /// Seconds since the epoch at which the current rows were created.
    clock: i64,
}

impl<W: Write> Out<W> {
    fn raw(&mut self, s: &[u8]) -> io::Result<()> {
        self.stats.bytes += s.len() as u64;
        self.w.write_all(s)
    }

    fn fmt(&mut self, args: std::fmt::Arguments<'_>) -> io::Result<()> {
        let s = args.to_string();
        self.raw(s.as_bytes())
    }

    /// Maybe injects one defect (between ASCII characters, so it stays one).
    /// `in_cdata`: character references are text there, so none are injected.
    fn defect(&mut self, in_cdata: bool) -> io::Result<()> {
        if !self.defects || self.rng.below(40) != 0 {
            return Ok(());
        }
        match self.rng.below(if in_cdata { 4 } else { 5 }) {
            0 => {
                const CONTROLS: &[u8] = &[0x1c, 0x08, 0x0b, 0x1b, 0x02, 0x1f, 0x0c, 0x1d];
                let c = CONTROLS[self.rng.below(CONTROLS.len() as u64) as usize];
                self.stats.control_chars += 1;
                self.raw(&[c])
            }
            1 => {
                self.stats.nonchars += 1;
                self.raw("\u{FFFF}".as_bytes())
            }
            2 => {
                self.stats.invalid_utf8 += 1;
                self.raw(b"\xFF")
            }
            3 => {
                self.stats.lone_surrogates += 1;
                self.raw(b"\xED\xA0\x80")
            }
            _ => {
                self.stats.bad_refs += 1;
                self.raw(b"&#x1c;")
            }
        }
    }

    /// A sentence of `n` words, escaped for an attribute unless `in_cdata`.
    fn sentence(&mut self, n: usize, in_cdata: bool) -> io::Result<()> {
        for i in 0..n {
            if i > 0 {
                self.raw(b" ")?;
            }
            match self.rng.below(12) {
                0 => {
                    let link = self.rng.pick(LINKS);
                    let id = self.rng.below(5000) + 1;
                    self.fmt(format_args!("{link}{id}"))?;
                }
                1 if !in_cdata => self.raw(b"&amp;")?,
                1 => self.raw(b"& <b>")?,
                _ => {
                    let w = self.rng.pick(WORDS);
                    self.raw(w.as_bytes())?;
                }
            }
            self.defect(in_cdata)?;
        }
        Ok(())
    }

    /// A `java.sql.Timestamp` near the section's clock: rows are written
    /// roughly in the order they were created, as in real exports.
    fn timestamp(&mut self) -> io::Result<()> {
        let jitter = self.rng.below(3 * 86_400) as i64;
        let at = jiff::Timestamp::from_second(self.clock + jitter)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .datetime();
        // java.sql.Timestamp.toString(): trailing zeros trimmed, at least one digit.
        let digits = 1 + self.rng.below(3) as usize;
        let frac = format!("{:03}", self.rng.below(1000));
        let frac = frac[..digits].trim_end_matches('0');
        let frac = if frac.is_empty() { "0" } else { frac };
        self.fmt(format_args!("{}.{frac}", at.strftime("%Y-%m-%d %H:%M:%S")))
    }
}

/// Where each section's clock starts: 2012-01-01.
const CLOCK_START: i64 = 1_325_376_000;

/// The entity sections in export order, with their share of the bytes.
const SECTIONS: &[(&str, u64)] = &[
    ("Action", 30),
    ("ChangeGroup", 6),
    ("ChangeItem", 10),
    ("CustomField", 0),
    ("CustomFieldValue", 8),
    ("FileAttachment", 4),
    ("Issue", 25),
    ("OSPropertyEntry", 0),
    ("OSPropertyString", 0),
    ("RemoteIssueLink", 4),
    ("User", 3),
    ("Version", 2),
    ("Worklog", 8),
];

/// [`Shape::Rows`]: mostly short attribute-only rows.
const ROW_SECTIONS: &[(&str, u64)] = &[
    ("Action", 12),
    ("ChangeGroup", 14),
    ("ChangeItem", 26),
    ("CustomField", 0),
    ("CustomFieldValue", 22),
    ("FileAttachment", 6),
    ("OSPropertyEntry", 0),
    ("OSPropertyString", 0),
    ("SchemePermissions", 12),
    ("Worklog", 8),
];

impl JiraSynth {
    /// Writes `entities.xml` to `w`.
    pub fn write_entities<W: Write>(&self, w: W) -> io::Result<SynthStats> {
        let mut o = Out {
            w: io::BufWriter::with_capacity(1 << 16, w),
            rng: Rng::new(self.seed),
            stats: SynthStats::default(),
            defects: self.defects,
            clock: CLOCK_START,
        };
        o.raw(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<!--\n")?;
        o.raw(b"    Exported from Jira Server (synthetic backup made by backup-fix)\n")?;
        o.raw(b"    JIRA Build : 7.10.0#710001-sha1:00000000000000000000000000000000000000\n")?;
        o.raw(b"    Build Date : Mon Jun 04 00:00:00 CEST 2018\n")?;
        o.raw(b"    JIRA Installation Type : Standalone\n")?;
        o.raw(b"    jira.baseurl : http://jira.corp:8080\n")?;
        o.raw(b"    jvm.system.timezone : Europe/Berlin\n")?;
        o.raw(b"    Exported on Wednesday, September 10, 2014 3:12:16 PM CEST\n-->\n")?;
        o.raw(b"<entity-engine-xml date=\"1410342136942\">\n")?;
        let sections = match self.shape {
            Shape::Mixed => SECTIONS,
            Shape::Rows => ROW_SECTIONS,
            Shape::Memberships => {
                self.memberships(&mut o)?;
                &[]
            }
        };
        let total: u64 = sections.iter().map(|s| s.1).sum();
        let body_budget = self.target_bytes.saturating_sub(o.stats.bytes + 64);
        for &(name, share) in sections {
            let until = o.stats.bytes + body_budget * share / total;
            let mut id = 10000u64;
            o.clock = CLOCK_START;
            loop {
                // About a row every quarter of an hour.
                o.clock += o.rng.below(1800) as i64;
                self.row(&mut o, name, id)?;
                o.stats.rows += 1;
                id += 1;
                if o.stats.bytes >= until || share == 0 && id > 10010 {
                    break;
                }
            }
        }
        o.raw(b"</entity-engine-xml>\n")?;
        let rows = o.stats.rows;
        o.fmt(format_args!("<!-- {rows} entities written -->\n"))?;
        o.w.flush()?;
        Ok(o.stats)
    }

    /// [`Shape::Memberships`]: groups, then memberships (about 230 bytes
    /// each, ten per user), then the users.
    fn memberships<W: Write>(&self, o: &mut Out<W>) -> io::Result<()> {
        const GROUPS: u64 = 20;
        let users = (self.target_bytes / 2_500).max(10);
        for g in 0..GROUPS {
            o.fmt(format_args!(
                "    <Group id=\"{}\" groupName=\"Team-{g}\" lowerGroupName=\"team-{g}\" active=\"1\" directoryId=\"1\"/>\n",
                10000 + g
            ))?;
            o.stats.rows += 1;
        }
        let mut id = 10000u64;
        for u in 0..users {
            // A user whose rows all carry another user's id, as after 8.22.
            let stale_child = o.rng.below(5) == 0;
            for k in 0..10 {
                let g = (u + k * 7) % GROUPS;
                let parent = if o.rng.below(10) == 0 {
                    10000 + (g + 1) % GROUPS
                } else {
                    10000 + g
                };
                let child = if stale_child {
                    20000 + (u + 1) % users
                } else {
                    20000 + u
                };
                let copies = if o.rng.below(50) == 0 { 2 } else { 1 };
                for _ in 0..copies {
                    o.fmt(format_args!(
                        "    <Membership id=\"{id}\" parentId=\"{parent}\" childId=\"{child}\" membershipType=\"GROUP_USER\" parentName=\"Team-{g}\" lowerParentName=\"team-{g}\" childName=\"user{u}\" lowerChildName=\"user{u}\" directoryId=\"1\"/>\n"
                    ))?;
                    o.stats.rows += 1;
                    id += 1;
                }
            }
        }
        for u in 0..users {
            o.fmt(format_args!(
                "    <User id=\"{}\" directoryId=\"1\" userName=\"user{u}\" lowerUserName=\"user{u}\" active=\"1\" emailAddress=\"user{u}@acme.com\"/>\n",
                20000 + u
            ))?;
            o.stats.rows += 1;
        }
        Ok(())
    }

    fn row<W: Write>(&self, o: &mut Out<W>, name: &str, id: u64) -> io::Result<()> {
        let issue = 10000 + o.rng.below(5000);
        match name {
            "Action" => {
                let author = o.rng.pick(USERS);
                o.fmt(format_args!(
                    "    <Action id=\"{id}\" issue=\"{issue}\" author=\"{author}\" type=\"comment\""
                ))?;
                o.raw(b" created=\"")?;
                o.timestamp()?;
                o.raw(b"\" updated=\"")?;
                o.timestamp()?;
                if id == 10000
                    && let Some(huge) = self.huge_cdata
                {
                    o.raw(b"\">\n        <body><![CDATA[")?;
                    let line = "A very long comment body line with text 😀 and a link http://jira.corp:8080/browse/ABC-1 that goes on.\n".as_bytes();
                    let mut left = huge;
                    while left >= line.len() as u64 {
                        o.raw(line)?;
                        left -= line.len() as u64;
                    }
                    o.raw(&b"x".repeat(left as usize))?;
                    return o.raw(b"]]></body>\n    </Action>\n");
                }
                if self.shape == Shape::Rows {
                    if o.rng.below(200) != 0 {
                        return o.raw(b"\"/>\n");
                    }
                    o.raw(b"\">\n        <body><![CDATA[")?;
                    for _ in 0..30 + o.rng.below(120) {
                        let n = 20 + o.rng.below(40) as usize;
                        o.sentence(n, true)?;
                        o.raw(b"\n")?;
                    }
                    return o.raw(b"]]></body>\n    </Action>\n");
                }
                if o.rng.below(3) == 0 {
                    o.raw(b"\" body=\"")?;
                    let n = 5 + o.rng.below(20) as usize;
                    o.sentence(n, false)?;
                    o.raw(b"\"/>\n")
                } else {
                    o.raw(b"\">\n        <body><![CDATA[")?;
                    for _ in 0..1 + o.rng.below(4) {
                        let n = 8 + o.rng.below(30) as usize;
                        o.sentence(n, true)?;
                        o.raw(b"\n")?;
                    }
                    o.raw(b"]]></body>\n    </Action>\n")
                }
            }
            "ChangeGroup" => {
                let author = o.rng.pick(USERS);
                o.fmt(format_args!(
                    "    <ChangeGroup id=\"{id}\" issue=\"{issue}\" author=\"{author}\" created=\""
                ))?;
                o.timestamp()?;
                o.raw(b"\"/>\n")
            }
            "ChangeItem" => {
                let group = 10000 + o.rng.below(1000);
                if o.rng.below(4) == 0 {
                    o.fmt(format_args!("    <ChangeItem id=\"{id}\" group=\"{group}\" fieldtype=\"jira\" field=\"duedate\" newvalue=\"2014-06-24\" newstring=\"2014-06-24 00:00:00.0\"/>\n"))
                } else {
                    o.fmt(format_args!("    <ChangeItem id=\"{id}\" group=\"{group}\" fieldtype=\"jira\" field=\"status\" oldvalue=\"1\" oldstring=\"Open\" newvalue=\"3\" newstring=\"In Progress\"/>\n"))
                }
            }
            "CustomField" => {
                let key = if id.is_multiple_of(2) { "datepicker" } else { "datetime" };
                o.fmt(format_args!("    <CustomField id=\"{id}\" customfieldtypekey=\"com.atlassian.jira.plugin.system.customfieldtypes:{key}\" customfieldsearcherkey=\"com.atlassian.jira.plugin.system.customfieldtypes:daterange\" name=\"Date field {id}\"/>\n"))
            }
            "CustomFieldValue" => {
                let field = 10000 + o.rng.below(10);
                o.fmt(format_args!(
                    "    <CustomFieldValue id=\"{id}\" issue=\"{issue}\" customfield=\"{field}\" datevalue=\""
                ))?;
                o.timestamp()?;
                o.raw(b"\"/>\n")
            }
            "FileAttachment" => {
                let size = o.rng.below(1 << 20);
                o.fmt(format_args!("    <FileAttachment id=\"{id}\" issue=\"{issue}\" mimetype=\"image/png\" filename=\"screenshot-{id}.png\" created=\""))?;
                o.timestamp()?;
                o.fmt(format_args!(
                    "\" filesize=\"{size}\" author=\"admin\" zip=\"0\" thumbnailable=\"1\"/>\n"
                ))
            }
            "Issue" => {
                let key = id - 9999;
                let reporter = o.rng.pick(USERS);
                o.fmt(format_args!("    <Issue id=\"{id}\" key=\"ABC-{key}\" number=\"{key}\" project=\"10000\" reporter=\"{reporter}\" assignee=\"admin\" creator=\"{reporter}\" type=\"1\" summary=\""))?;
                let n = 4 + o.rng.below(8) as usize;
                o.sentence(n, false)?;
                o.raw(b"\" priority=\"3\" status=\"1\" created=\"")?;
                o.timestamp()?;
                o.raw(b"\" updated=\"")?;
                o.timestamp()?;
                o.raw(b"\" duedate=\"2014-10-01 00:00:00.0\" votes=\"0\" watches=\"1\" workflowId=\"")?;
                o.fmt(format_args!("{id}\">\n        <description><![CDATA["))?;
                for _ in 0..1 + o.rng.below(3) {
                    let n = 10 + o.rng.below(40) as usize;
                    o.sentence(n, true)?;
                    o.raw(b"\n")?;
                }
                o.raw(b"]]></description>\n    </Issue>\n")
            }
            "OSPropertyEntry" => {
                let key = match id {
                    10000 => "jira.baseurl",
                    10001 => "jvm.system.timezone",
                    _ => "jira.option.something",
                };
                o.fmt(format_args!("    <OSPropertyEntry id=\"{id}\" entityName=\"jira.properties\" entityId=\"1\" propertyKey=\"{key}\" type=\"5\"/>\n"))
            }
            "OSPropertyString" => {
                let value = match id {
                    10000 => "http://jira.corp:8080",
                    10001 => "Europe/Berlin",
                    _ => "2021-07-13 10:37:40",
                };
                o.fmt(format_args!(
                    "    <OSPropertyString id=\"{id}\" value=\"{value}\"/>\n"
                ))
            }
            "RemoteIssueLink" => {
                let page = o.rng.below(100000);
                o.fmt(format_args!("    <RemoteIssueLink id=\"{id}\" issueid=\"{issue}\" globalid=\"appId=1&amp;pageId={page}\" title=\"Design page\" url=\"http://confluence.corp:8090/pages/viewpage.action?pageId={page}\" iconurl=\"http://jira.corp:8080/images/icons/generic_link_16.png\" relationship=\"Wiki Page\" applicationtype=\"com.atlassian.confluence\" applicationname=\"Confluence\"/>\n"))
            }
            "User" => {
                let user = format!("user{id}");
                o.fmt(format_args!("    <User id=\"{id}\" directoryId=\"1\" userName=\"{user}\" lowerUserName=\"{user}\" active=\"1\" createdDate=\""))?;
                o.timestamp()?;
                o.raw(b"\" updatedDate=\"")?;
                o.timestamp()?;
                o.fmt(format_args!("\" firstName=\"First\" lowerFirstName=\"first\" lastName=\"Last {id}\" lowerLastName=\"last {id}\" displayName=\"First Last\" lowerDisplayName=\"first last\" emailAddress=\"{user}@acme-industries.com\" lowerEmailAddress=\"{user}@acme-industries.com\" credential=\"{{PKCS5S2}}abc\"/>\n"))
            }
            "SchemePermissions" => {
                let group = o.rng.pick(&["jira-users", "jira-developers", "jira-administrators"]);
                o.fmt(format_args!("    <SchemePermissions id=\"{id}\" scheme=\"0\" permission=\"{}\" type=\"group\" parameter=\"{group}\"/>\n", id % 50))
            }
            "Version" => o.fmt(format_args!("    <Version id=\"{id}\" project=\"10000\" name=\"1.{id}\" sequence=\"{id}\" released=\"true\" archived=\"false\" startdate=\"2014-09-01 00:00:00.0\" releasedate=\"2014-09-30 00:00:00.0\"/>\n")),
            _ if self.shape == Shape::Rows => {
                let author = o.rng.pick(USERS);
                o.fmt(format_args!(
                    "    <Worklog id=\"{id}\" issue=\"{issue}\" author=\"{author}\" created=\""
                ))?;
                o.timestamp()?;
                o.raw(b"\" timeworked=\"1800\"/>\n")
            }
            _ => {
                let author = o.rng.pick(USERS);
                o.fmt(format_args!(
                    "    <Worklog id=\"{id}\" issue=\"{issue}\" author=\"{author}\" body=\""
                ))?;
                let n = 3 + o.rng.below(8) as usize;
                o.sentence(n, false)?;
                o.raw(b"\" created=\"")?;
                o.timestamp()?;
                o.raw(b"\" startdate=\"")?;
                o.timestamp()?;
                o.raw(b"\" timeworked=\"3600\"/>\n")
            }
        }
    }
}
