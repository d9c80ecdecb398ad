//! `check --html`: the [`CheckReport`] as one self-contained HTML page, the
//! pre-migration assessment an admin hands over.
//!
//! The page has no external scripts, fonts or styles (it opens on a server
//! without internet access), prints to PDF, and follows the reader's light or
//! dark preference. It is rendered with maud templates, which escape every
//! value they insert: everything that comes from the backup (user names,
//! emails, group names, titles, keys) is untrusted text, in element text and
//! attribute values alike, SVG labels included.

use super::{CheckReport, Finding, Severity};
use crate::error::Error;
use crate::report::plural;
use crate::rules::facts::Product;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// Bars shown per chart; the rest are summed into one last line.
const BARS: usize = 15;
/// Email domains listed in the table; the rest are summed into one last row.
const DOMAINS: usize = 200;

/// What the page says about the check itself: which input, when, by what.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Provenance {
    /// The input as it was named on the command line.
    pub input: String,
    /// Its size in bytes, for a file.
    pub bytes: Option<u64>,
    /// Its SHA-256 (lower-case hex), for a file.
    pub sha256: Option<String>,
    /// When the check started.
    pub checked_at: jiff::Timestamp,
    /// The version of backup-fix that checked it.
    pub tool_version: &'static str,
}

impl Provenance {
    /// The provenance of a check of `path` started at `checked_at`: a file
    /// is read once more for its size and SHA-256; a directory or standard
    /// input (`-`) has neither.
    /// It stops with [`Error::Interrupted`] once `cancel` is set.
    pub fn of_path(
        path: &Path,
        checked_at: jiff::Timestamp,
        cancel: &crate::Cancel,
    ) -> Result<Self, Error> {
        let mut about = Self::unhashed(&path.display().to_string(), checked_at);
        if path.as_os_str() == "-" || path.is_dir() {
            return Ok(about);
        }
        let in_file = |e: std::io::Error| Error::from(e).in_file(path);
        let mut file = std::fs::File::open(path).map_err(in_file)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut bytes = 0u64;
        loop {
            let n = match crate::chunked::read_chunk(&mut file, &mut buf, cancel) {
                Ok(0) => break,
                Ok(n) => n,
                Err(Error::Io(e)) => return Err(in_file(e)),
                Err(e) => return Err(e),
            };
            hasher.update(&buf[..n]);
            bytes += n as u64;
        }
        let digest = hasher.finalize();
        about.bytes = Some(bytes);
        about.sha256 = Some(digest.iter().map(|b| format!("{b:02x}")).collect());
        Ok(about)
    }

    /// A provenance with no size or hash (for input that is not a file).
    pub fn unhashed(input: &str, checked_at: jiff::Timestamp) -> Self {
        Self {
            input: input.to_owned(),
            bytes: None,
            sha256: None,
            checked_at,
            tool_version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// Renders the report as a self-contained HTML page.
///
/// ```
/// use backup_fix::check::check_xml_stream;
/// use backup_fix::check::html::{Provenance, render};
/// let xml = "<entity-engine-xml>\n<User id=\"1\" userName=\"&lt;b&gt;jo\" emailAddress=\"jo@company\"/>\n</entity-engine-xml>";
/// let report = check_xml_stream("entities.xml", xml.as_bytes())?;
/// let page = render(&report, &Provenance::unhashed("entities.xml", jiff::Timestamp::UNIX_EPOCH));
/// assert!(page.contains("The import will fail"));
/// assert!(page.contains("&lt;b&gt;jo") && !page.contains("<b>jo"));
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub fn render(report: &CheckReport, about: &Provenance) -> String {
    page(report, about).into_string()
}

/// [`render`] into `out` (e.g. an [`output::PendingFile`](crate::output::PendingFile)'s file).
pub fn write_html<W: Write>(
    report: &CheckReport,
    about: &Provenance,
    out: &mut W,
) -> Result<(), Error> {
    out.write_all(render(report, about).as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The one-sentence verdict: will the import fail, and why.
pub fn verdict_sentence(report: &CheckReport) -> String {
    let first = report
        .findings
        .iter()
        .find(|f| f.severity == Severity::Error);
    let errors = report.count(Severity::Error) as u64;
    let warnings = report.count(Severity::Warning) as u64;
    match first {
        Some(first) => format!(
            "The import will fail: {} must be dealt with first, starting with: {}.",
            plural(errors, "problem", "problems"),
            first.message
        ),
        None if warnings > 0 => format!(
            "The import should work, but {} say what will be lost, exposed or shifted.",
            plural(warnings, "warning", "warnings")
        ),
        None => "Nothing blocks the import.".to_owned(),
    }
}

/// A path as one shell word (quoted when it needs to be).
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,%".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The output name suggested in commands: `fixed-NAME` beside the input.
fn fixed_name(input: &str) -> String {
    let path = Path::new(input);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    let name = format!("fixed-{name}");
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.join(name).display().to_string(),
        _ => name,
    }
}

/// The `fix` flags that repair a finding: `Some("")` when `fix` repairs it
/// with none, `None` when it needs a manual step.
fn fix_flags(report: &CheckReport, finding: &Finding) -> Option<&'static str> {
    let confluence = report.backup.product == Some(Product::Confluence);
    Some(match finding.code {
        "not-well-formed-curable" | "entities-not-at-root" => "",
        "global-shares" => "--restrict-global-shares",
        "local-timestamps" | "unknown-build" if report.backup.zone.is_some() => "--tz auto",
        "local-timestamps" | "unknown-build" => "--tz ZONE",
        "base-url" | "short-links" if confluence => {
            "--cloud-url https://YOUR-SITE.atlassian.net/wiki"
        }
        "base-url" | "short-links" => "--cloud-url https://YOUR-SITE.atlassian.net",
        "no-base-url" => "--map-url OLD=NEW",
        _ => return None,
    })
}

/// `backup-fix fix FLAGS INPUT -o OUTPUT` for the report's input.
fn command_line<'a>(report: &CheckReport, flags: impl Iterator<Item = &'a str>) -> String {
    // `fix` repairs a zip or an XML file: an unpacked export's entities.xml.
    let input = if report.input.is_empty() {
        "INPUT".to_owned()
    } else if report.kind.ends_with(", directory") {
        Path::new(&report.input)
            .join("entities.xml")
            .display()
            .to_string()
    } else {
        report.input.clone()
    };
    let mut words = vec!["backup-fix".to_owned(), "fix".to_owned()];
    words.extend(flags.flat_map(str::split_whitespace).map(str::to_owned));
    words.push(shell_word(&input));
    words.push("-o".into());
    words.push(shell_word(&fixed_name(&input)));
    words.join(" ")
}

/// The `backup-fix fix` command line that repairs a finding, if one does.
pub fn fix_command(report: &CheckReport, finding: &Finding) -> Option<String> {
    fix_flags(report, finding).map(|flags| command_line(report, std::iter::once(flags)))
}

/// One `backup-fix fix` command line that makes every repair the findings
/// call for (warnings and errors), if any does.
pub fn fix_all_command(report: &CheckReport) -> Option<String> {
    let mut flags: Vec<&str> = Vec::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Pass)
    {
        if let Some(x) = fix_flags(report, f)
            && !flags.contains(&x)
        {
            flags.push(x);
        }
    }
    (!flags.is_empty()).then(|| command_line(report, flags.into_iter()))
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Pass => "pass",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

/// Whether an email domain is one the import refuses, or one to review.
fn domain_flag(domain: &str) -> Option<&'static str> {
    match super::users::email_problem(&format!("x@{domain}")) {
        Some(super::users::EmailProblem::ReservedDomain) => Some("reserved domain: refused"),
        Some(super::users::EmailProblem::NoTopLevelDomain) => Some("no top-level domain: refused"),
        Some(_) => Some("not a domain: refused"),
        None => None,
    }
}

/// A horizontal bar chart: one bar per (label, value), at most [`BARS`].
fn bar_chart(title: &str, rows: &[(String, u64)], unit: fn(u64) -> String) -> Markup {
    let mut shown: Vec<(String, u64)> = rows.iter().take(BARS).cloned().collect();
    if rows.len() > BARS {
        let rest: u64 = rows[BARS..].iter().map(|r| r.1).sum();
        shown.push((format!("{} more", rows.len() - BARS), rest));
    }
    let max = shown.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let (label_w, bar_w, row_h) = (220u64, 380u64, 22u64);
    let width = label_w + bar_w + 120;
    let height = row_h * shown.len() as u64 + 4;
    html! {
        figure.chart {
            figcaption { (title) }
            svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label=(title)
                width=(width) height=(height) viewBox={ "0 0 " (width) " " (height) } {
                @for (i, (label, value)) in shown.iter().enumerate() {
                    @let y = i as u64 * row_h + 2;
                    @let w = (u128::from(*value) * u128::from(bar_w) / u128::from(max)).max(1);
                    text.label x=(label_w - 8) y=(y + 15) text-anchor="end" {
                        (clip(label, 30))
                    }
                    rect.bar x=(label_w) y=(y + 3) width=(w) height=(row_h - 6) rx="2" {
                        title { (label) ": " (unit(*value)) }
                    }
                    text.value x=(label_w as u128 + w + 6) y=(y + 15) { (unit(*value)) }
                }
            }
        }
    }
}

/// At most `n` characters of `s`, with an ellipsis when cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn number(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{} bytes", number(n))
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

const STYLE: &str = r#"
:root { color-scheme: light dark; --fg: #1d2125; --muted: #5e6c84; --bg: #ffffff; --line: #dfe1e6;
  --card: #f7f8f9; --error: #c9372c; --warning: #b65c02; --pass: #22a06b; --bar: #0c66e4; --flag: #fff0b3; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #dee4ea; --muted: #9fadbc; --bg: #1d2125; --line: #38414a; --card: #22272b;
    --error: #f87168; --warning: #f5cd47; --pass: #4bce97; --bar: #579dff; --flag: #533f04; }
}
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  background: var(--bg); max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { font-size: 1.25em; margin: 28px 0 8px;
  border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.verdict { font-size: 1.15em; padding: 12px 16px; border-radius: 6px; border-left: 6px solid var(--pass);
  background: var(--card); }
.verdict.error { border-color: var(--error); } .verdict.warning { border-color: var(--warning); }
.finding { border: 1px solid var(--line); border-left: 6px solid var(--pass); border-radius: 6px;
  padding: 8px 12px; margin: 8px 0; background: var(--card); break-inside: avoid; }
.finding.error { border-left-color: var(--error); } .finding.warning { border-left-color: var(--warning); }
.sev { font-weight: 700; font-size: .8em; letter-spacing: .05em; margin-right: 8px; }
.sev.error { color: var(--error); } .sev.warning { color: var(--warning); } .sev.pass { color: var(--pass); }
.section { color: var(--muted); font-size: .85em; margin-right: 8px; }
.count { color: var(--muted); font-size: .85em; }
.examples { margin: 4px 0; padding-left: 20px; font-size: .9em; } .examples li { word-break: break-all; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em; }
pre.cmd { background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: 6px 8px;
  margin: 6px 0 2px; white-space: pre-wrap; word-break: break-all; }
.manual { margin: 6px 0 2px; }
table { border-collapse: collapse; margin: 8px 0; min-width: 50%; }
th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.flagged td { background: var(--flag); font-weight: 600; }
figure.chart { margin: 12px 0; break-inside: avoid; } figcaption { font-weight: 600; margin-bottom: 4px; }
svg text { fill: var(--fg); font-size: 12px; font-family: system-ui, sans-serif; }
svg rect.bar { fill: var(--bar); }
dl.about { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dl.about dt { color: var(--muted); } dl.about dd { margin: 0; word-break: break-all; }
.note { color: var(--muted); font-size: .9em; }
@media print {
  :root { --fg: #000; --muted: #444; --bg: #fff; --card: #fff; --line: #999; --flag: #eee; }
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; }
}
"#;

fn page(r: &CheckReport, about: &Provenance) -> Markup {
    let worst = severity_class(r.worst());
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy"
                    content="default-src 'none'; style-src 'unsafe-inline'; img-src data:";
                title { "Pre-migration assessment: " (about.input) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { "Pre-migration assessment" }
                    p.sub { (r.kind) ": " code { (about.input) } }
                }
                section #verdict {
                    h2 { "Verdict" }
                    p.verdict.(worst) #verdict-sentence { (verdict_sentence(r)) }
                }
                (findings(r))
                (domains(r))
                (groups(r))
                (apps(r))
                (size(r))
                (provenance(about))
            }
        }
    }
}

fn findings(r: &CheckReport) -> Markup {
    html! {
        section #findings {
            h2 { "Findings" }
            @if let Some(all) = fix_all_command(r) {
                p { "Every repair backup-fix makes, in one run (then check its output again):" }
                pre.cmd #fix-all { code { (all) } }
            }
            @for f in &r.findings {
                @let class = severity_class(f.severity);
                div.finding.(class) data-code=(f.code) {
                    div {
                        span.sev.(class) { (f.severity) }
                        span.section { (f.section) }
                        span.message { (f.message) }
                        @if f.severity != Severity::Pass {
                            " "
                            span.count { "(count: " (number(f.count)) ")" }
                        }
                    }
                    @if !f.examples.is_empty() {
                        ul.examples {
                            @for e in &f.examples { li { (e) } }
                            @let more = f.count.saturating_sub(f.examples.len() as u64);
                            @if more > 0 && f.code != "global-shares" { li.note { "and " (number(more)) " more" } }
                        }
                    }
                    @if let Some(cmd) = fix_command(r, f) {
                        pre.cmd { code { (cmd) } }
                        @if let Some(fix) = &f.fix { div.note { (fix) } }
                    } @else if let Some(fix) = &f.fix {
                        div.manual { strong { "Manual step: " } (fix) }
                    }
                }
            }
        }
    }
}

fn domains(r: &CheckReport) -> Markup {
    let d = &r.users.domains;
    let rest: u64 = d.iter().skip(DOMAINS).map(|x| x.1).sum();
    html! {
        section #domains {
            h2 { "Email domains" }
            p.note {
                (plural(r.users.total, "user", "users")) " in the backup. "
                "Decide which domains to trust before the migration; highlighted ones are refused by the import."
            }
            @if d.is_empty() {
                p { "The backup has no users with an email address." }
            } @else {
                table #domain-table {
                    thead { tr { th { "Domain" } th.n { "Users" } th { "Note" } } }
                    tbody {
                        @for (domain, n) in d.iter().take(DOMAINS) {
                            @let flag = domain_flag(domain);
                            tr.flagged[flag.is_some()] {
                                td { (domain) } td.n { (number(*n)) } td { (flag.unwrap_or("")) }
                            }
                        }
                        @if d.len() > DOMAINS {
                            tr { td { (d.len() - DOMAINS) " more domains" } td.n { (number(rest)) } td {} }
                        }
                    }
                }
            }
        }
    }
}

fn groups(r: &CheckReport) -> Markup {
    html! {
        section #groups {
            h2 { "Groups that will not migrate" }
            @if r.groups.is_empty() {
                p { "The backup has none of the groups the import drops or renames." }
            } @else {
                table #group-table {
                    thead { tr { th { "Group" } th.n { "Members" } th { "In the cloud" } } }
                    tbody {
                        @for g in &r.groups {
                            tr.flagged[g.becomes.is_none()] {
                                td { (g.name) }
                                td.n { (number(g.members)) }
                                td {
                                    @match &g.becomes {
                                        Some(to) => { "renamed to " (to) }
                                        None => "not migrated: give its members their permissions in the cloud",
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn apps(r: &CheckReport) -> Markup {
    let apps = &r.size.apps;
    html! {
        section #apps {
            h2 { "App data (Active Objects)" }
            @if apps.is_empty() {
                p { "No Active Objects data was checked (Jira keeps it in activeobjects.xml)." }
            } @else {
                table #app-table {
                    thead { tr { th { "Prefix" } th.n { "Tables" } th.n { "Rows" } } }
                    tbody {
                        @for a in apps {
                            tr { td { code { (a.prefix) } } td.n { (number(a.tables)) } td.n { (number(a.rows)) } }
                        }
                    }
                }
                p.note { "Apps without a cloud version or migration path leave their data behind: check each prefix's app. To leave an app's tables out of the backup: " code { "backup-fix fix BACKUP.zip -o FIXED.zip --drop-app-data PREFIX" } "." }
            }
        }
    }
}

fn size(r: &CheckReport) -> Markup {
    let s = &r.size;
    let containers = match s.contained.as_str() {
        "issues" => "Issues per project",
        "pages" => "Current pages per space",
        _ => "",
    };
    html! {
        section #size {
            h2 { "Size of the move" }
            @if s.entities.is_empty() {
                p { "No rows were counted." }
            } @else {
                (bar_chart("Rows per entity type", &s.entities, number))
            }
            @if !s.containers.is_empty() {
                (bar_chart(containers, &s.containers, number))
            }
            p {
                (plural(s.attachment_records, "attachment record", "attachment records"))
                @if let Some(b) = s.attachment_bytes_declared { ", stating " (bytes(b)) " in all" }
                "."
            }
            @if !s.attachment_files.is_empty() {
                (bar_chart("Attachment files in the backup, bytes per folder", &s.attachment_files, bytes))
            }
        }
    }
}

fn provenance(about: &Provenance) -> Markup {
    let when = about
        .checked_at
        .strftime("%Y-%m-%d %H:%M:%S UTC")
        .to_string();
    html! {
        section #about {
            h2 { "About this check" }
            dl.about {
                dt { "Tool" } dd { "backup-fix " (about.tool_version) }
                dt { "Input" } dd { code { (about.input) } }
                dt { "Size" } dd {
                    @match about.bytes {
                        Some(b) => { (number(b)) " bytes" @if b >= 1024 { " (" (bytes(b)) ")" } }
                        None => "not a file",
                    }
                }
                dt { "SHA-256" } dd { code { (about.sha256.as_deref().unwrap_or("not a file")) } }
                dt { "Checked" } dd { (when) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{GroupSummary, check_xml_stream};

    const EVIL: &str = "<script>alert(1)</script>";
    const EVIL_EMAIL: &str = "\"><img src=x onerror=alert(1)>";

    fn escaped(page: &str, raw: &str) {
        assert!(!page.contains(raw), "{raw} appears unescaped");
    }

    #[test]
    fn every_untrusted_field_is_escaped() {
        let xml = "<entity-engine-xml>\n\
            <User id=\"1\" userName=\"&lt;script&gt;alert(1)&lt;/script&gt;\" emailAddress=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\"/>\n\
            <User id=\"2\" userName=\"addon_&lt;script&gt;alert(1)&lt;/script&gt;\" emailAddress=\"a@&lt;script&gt;alert(1)&lt;/script&gt;.com\"/>\n\
            </entity-engine-xml>";
        let mut report = check_xml_stream("<script>alert(1)</script>.xml", xml.as_bytes()).unwrap();
        // Fields a Jira backup cannot fill this way, set directly.
        report.kind = EVIL.into();
        report.groups.push(GroupSummary {
            name: EVIL_EMAIL.into(),
            members: 1,
            becomes: Some(EVIL.into()),
        });
        report.size.entities.push((EVIL_EMAIL.into(), 3));
        report.size.containers.push((EVIL.into(), 3));
        report.size.contained = "issues".into();
        report.size.apps.push(crate::check::AppData {
            prefix: EVIL.into(),
            tables: 1,
            rows: 1,
        });
        report.size.attachment_files.push((EVIL_EMAIL.into(), 9));
        let mut about = Provenance::unhashed(EVIL_EMAIL, jiff::Timestamp::UNIX_EPOCH);
        about.sha256 = Some(EVIL.into());
        let page = render(&report, &about);
        escaped(&page, EVIL);
        escaped(&page, "<img");
        // The values are there, as text.
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
        // The page's own markup: one style element, no script at all.
        assert_eq!(page.matches("<style>").count(), 1);
        assert!(!page.contains("<script"));
    }

    #[test]
    fn findings_that_fix_repairs_get_a_command_line_and_the_rest_a_manual_step() {
        let xml = "<entity-engine-xml>\n<User id=\"1\" userName=\"jo\" emailAddress=\"jo@company\"/>\n<SharePermissions id=\"1\" entityType=\"PortalPage\" type=\"global\"/>\n</entity-engine-xml>";
        let report = check_xml_stream("my backup/entities.xml", xml.as_bytes()).unwrap();
        let shares = report.findings.iter().find(|f| f.code == "global-shares");
        let shares = shares.map(|f| fix_command(&report, f));
        assert_eq!(
            shares,
            Some(Some(
                "backup-fix fix --restrict-global-shares 'my backup/entities.xml' -o 'my backup/fixed-entities.xml'".into()
            ))
        );
        assert_eq!(
            fix_all_command(&report).as_deref(),
            Some(
                "backup-fix fix --restrict-global-shares --tz ZONE 'my backup/entities.xml' -o 'my backup/fixed-entities.xml'"
            )
        );
        let tld = report.findings.iter().find(|f| f.code == "email-no-tld");
        assert_eq!(tld.map(|f| fix_command(&report, f)), Some(None));
        let page = render(
            &report,
            &Provenance::unhashed("x", jiff::Timestamp::UNIX_EPOCH),
        );
        assert!(page.contains("Manual step: </strong>give them full addresses"));
    }

    #[test]
    fn numbers_and_sizes_read_as_people_write_them() {
        assert_eq!(number(0), "0");
        assert_eq!(number(1234567), "1,234,567");
        assert_eq!(bytes(999), "999 bytes");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
        assert_eq!(shell_word("a b'c"), r"'a b'\''c'");
        assert_eq!(clip("abcdef", 4), "abc…");
    }
}
