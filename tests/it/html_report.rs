//! `check --html`: the page a real browser builds holds the verdict, every
//! finding and the domain table, and nothing from the backup becomes markup.

use crate::support;

use backup_fix::check::html::verdict_sentence;
use backup_fix::check::{CheckReport, check_path};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn check_html(input: &Path, html: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backup-fix"))
        .arg("check")
        .arg(input)
        .arg("--html")
        .arg(html)
        .arg("--quiet")
        .output()
        .expect("runs")
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/jira-sample/entities.xml")
}

/// Text as the browser serialises it in element content.
fn dom_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\u{a0}', "&nbsp;")
}

/// Every element and attribute name in a serialised DOM. Text never holds
/// a raw `<` there (the serialiser escapes it), so each `<` opens a tag.
fn markup(dom: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut elements, mut attributes) = (BTreeSet::new(), BTreeSet::new());
    let b = dom.as_bytes();
    let mut i = 0;
    while let Some(k) = dom[i..].find('<') {
        i += k + 1;
        if dom[i..].starts_with("!--") {
            i += dom[i..].find("-->").expect("comment closed") + 3;
            continue;
        }
        if dom[i..].starts_with('!') || dom[i..].starts_with('/') {
            i += dom[i..].find('>').expect("tag closed") + 1;
            continue;
        }
        let end = i + dom[i..]
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .expect("tag name ends");
        let name = dom[i..end].to_ascii_lowercase();
        i = end;
        loop {
            while b[i].is_ascii_whitespace() || b[i] == b'/' {
                i += 1;
            }
            if b[i] == b'>' {
                i += 1;
                break;
            }
            let end = i + dom[i..]
                .find(|c: char| c.is_whitespace() || c == '=' || c == '>')
                .expect("attribute name ends");
            attributes.insert(dom[i..end].to_ascii_lowercase());
            i = end;
            if b[i] == b'=' {
                i += 1;
                assert_eq!(b[i], b'"', "the serialiser quotes attribute values");
                i += 1 + dom[i + 1..].find('"').expect("value closed") + 1;
            }
        }
        if name == "style" || name == "script" {
            i += dom[i..].find("</").expect("raw text closed");
        }
        elements.insert(name);
    }
    (elements, attributes)
}

/// What the report's template writes, and nothing else.
const OWN_ELEMENTS: &[&str] = &[
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "header",
    "h1",
    "h2",
    "p",
    "code",
    "section",
    "div",
    "span",
    "ul",
    "li",
    "pre",
    "strong",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "figure",
    "figcaption",
    "svg",
    "text",
    "rect",
    "dl",
    "dt",
    "dd",
];
const OWN_ATTRIBUTES: &[&str] = &[
    "lang",
    "charset",
    "name",
    "content",
    "http-equiv",
    "class",
    "id",
    "data-code",
    "xmlns",
    "role",
    "aria-label",
    "width",
    "height",
    "viewbox",
    "x",
    "y",
    "text-anchor",
    "rx",
];

/// Renders `input`'s report with the command and checks, on the browser's
/// DOM, the verdict, every finding and the domain table. Returns the report
/// and the DOM (`None` without a browser).
fn rendered(input: &Path) -> (CheckReport, Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let out = check_html(input, &html);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = check_path(input).expect("check runs");
    let Some(dom) = support::dump_dom(&html) else {
        return (report, None);
    };
    let verdict = format!(
        "id=\"verdict-sentence\">{}</p>",
        dom_text(&verdict_sentence(&report))
    );
    assert!(dom.contains(&verdict), "no verdict {verdict}");
    assert!(!report.findings.is_empty());
    for f in &report.findings {
        assert!(
            dom.contains(&format!("data-code=\"{}\"", f.code)),
            "no finding {}",
            f.code
        );
        assert!(
            dom.contains(&format!(
                "<span class=\"message\">{}</span>",
                dom_text(&f.message)
            )),
            "no message {}",
            f.message
        );
        for e in &f.examples {
            assert!(dom.contains(&format!("<li>{}</li>", dom_text(e))), "{e}");
        }
    }
    assert!(dom.contains("id=\"domain-table\""), "no domain table");
    for (domain, n) in &report.users.domains {
        assert!(
            dom.contains(&format!(
                "<td>{}</td><td class=\"n\">{n}</td>",
                dom_text(domain)
            )),
            "no row for {domain}"
        );
    }
    let (elements, attributes) = markup(&dom);
    assert!(elements.contains("svg") && elements.contains("rect"));
    assert!(!elements.contains("script") && !elements.contains("link"));
    assert!(!attributes.contains("src") && !attributes.contains("href"));
    (report, Some(dom))
}

#[test]
fn the_sample_backups_page_holds_the_verdict_findings_domains_and_size() {
    let (report, dom) = rendered(&sample());
    assert!(report.findings.iter().any(|f| f.code == "local-timestamps"));
    let Some(dom) = dom else { return };
    // The sample's fix command line, and its two issues in project [10000].
    assert!(dom.contains("backup-fix fix --tz auto "), "no --tz command");
    assert!(
        dom.contains(">Issue</text>"),
        "no entity chart bar for Issue"
    );
    assert!(dom.contains("Issues per project"));
    assert!(dom.contains("acme-widgets.com"));
}

#[test]
fn a_real_confluence_export_renders_with_its_spaces_and_attachments() {
    let zip = support::corpus("5.9.zip");
    let (report, dom) = rendered(&zip);
    assert!(!report.size.containers.is_empty(), "no pages per space");
    assert!(report.size.attachment_records > 0);
    let Some(dom) = dom else { return };
    assert!(dom.contains("Current pages per space"));
    for (space, _) in report.size.containers.iter().take(15) {
        assert!(dom.contains(&dom_text(space)), "no bar for {space}");
    }
    assert!(dom.contains("Attachment files in the backup"));
}

#[test]
fn a_hostile_user_name_and_email_stay_text_in_the_browser() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("entities.xml");
    let evil_name = "&lt;script&gt;alert(1)&lt;/script&gt;";
    let evil_email = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;";
    std::fs::write(
        &input,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<entity-engine-xml>\n    \
             <User id=\"1\" directoryId=\"1\" userName=\"{evil_name}\" emailAddress=\"{evil_email}\"/>\n    \
             <User id=\"2\" directoryId=\"1\" userName=\"{evil_name}2\" emailAddress=\"x@{evil_email}.com\"/>\n\
             </entity-engine-xml>\n"
        ),
    )
    .unwrap();
    let html = dir.path().join("report.html");
    let out = check_html(&input, &html);
    assert_eq!(out.status.code(), Some(1), "the emails block the import");
    let Some(dom) = support::dump_dom(&html) else {
        return;
    };
    let (elements, attributes) = markup(&dom);
    let foreign: Vec<&String> = elements
        .iter()
        .filter(|e| !OWN_ELEMENTS.contains(&e.as_str()))
        .collect();
    assert!(foreign.is_empty(), "elements not the report's: {foreign:?}");
    let foreign: Vec<&String> = attributes
        .iter()
        .filter(|a| !OWN_ATTRIBUTES.contains(&a.as_str()))
        .collect();
    assert!(
        foreign.is_empty(),
        "attributes not the report's: {foreign:?}"
    );
    // The values are shown, as text: in the finding's examples and the domain table.
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(dom.contains("\"&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(dom.contains("<td>\"&gt;&lt;img src=x onerror=alert(1)&gt;.com</td>"));
}

#[test]
fn the_page_appears_only_when_the_check_finished() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let out = check_html(&dir.path().join("missing.xml"), &html);
    assert_eq!(out.status.code(), Some(1));
    assert!(!html.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "leftovers"
    );
    // A page in a directory that does not exist fails before any work.
    let out = check_html(&sample(), &dir.path().join("nope/report.html"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nope") && err.contains("does not exist"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "the check ran: {err}");
}

#[test]
fn the_page_states_the_inputs_size_and_sha256() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let out = check_html(&sample(), &html);
    assert!(matches!(out.status.code(), Some(0 | 1)));
    let page = std::fs::read_to_string(&html).unwrap();
    let bytes = std::fs::read(sample()).unwrap();
    let sha = Command::new("sha256sum").arg(sample()).output().unwrap();
    let text = String::from_utf8_lossy(&sha.stdout);
    let digest = text.split_whitespace().next().unwrap();
    assert_eq!(digest.len(), 64);
    assert!(page.contains(digest), "no sha256 {digest}");
    let size = bytes.len().to_string();
    let size = format!(
        "{},{} bytes",
        &size[..size.len() - 3],
        &size[size.len() - 3..]
    );
    assert!(page.contains(&size), "no size {size}");
    assert!(page.contains(&format!("backup-fix {}", env!("CARGO_PKG_VERSION"))));
}
