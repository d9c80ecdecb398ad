//! `--map-url` and `--cloud-url`: links to the old server rewritten in
//! attributes, text, CDATA and comments, by the exact matching rules, split
//! anywhere across input chunks.

use crate::support;

use backup_fix::{Options, UrlMapping, fix_bytes, scan_facts};
use support::{fix_every_split_with, sax_bytes};

fn opts(maps: &[&str]) -> Options {
    maps.iter().fold(Options::default(), |o, m| {
        o.map_url(UrlMapping::parse(m).unwrap())
    })
}

fn fixed(input: &str, options: &Options) -> (String, backup_fix::Report) {
    let (out, report) = fix_every_split_with(input.as_bytes(), options).expect("repairs");
    (String::from_utf8(out).unwrap(), report)
}

const JIRA: &str = "http://jira.corp:8080=https://acme.atlassian.net";

/// Puts `link` in every context and returns the document.
fn everywhere(link: &str) -> String {
    let attr = link.replace('&', "&amp;");
    format!(
        "<!-- jira.baseurl : {link} -->\n<entity-engine-xml>\n\
         <RemoteIssueLink id=\"1\" url=\"{attr}\" iconurl='{attr}/x.png' globalid=\"&quot;baseUrl&quot;:&quot;{attr}&quot;\"/>\n\
         <Action id=\"2\"><body><![CDATA[see {link} (and {link}/browse/X-1)]]></body></Action>\n\
         <summary>go to {attr}</summary>\n<!-- {link} -->\n</entity-engine-xml>\n"
    )
}

#[test]
fn links_are_rewritten_in_every_context() {
    let input = everywhere("http://jira.corp:8080/browse/X-9?focusedCommentId=1&page=2");
    let (out, report) = fixed(&input, &opts(&[JIRA]));
    let expected = everywhere("https://acme.atlassian.net/browse/X-9?focusedCommentId=1&page=2");
    assert_eq!(out, expected);
    let m = &report.links.as_ref().unwrap().mappings[0];
    assert_eq!(
        (m.from.as_str(), m.to.as_str(), m.count),
        ("http://jira.corp:8080", "https://acme.atlassian.net", 8)
    );
    if let Some(r) = sax_bytes(&[out.as_bytes()]) {
        assert_eq!(r, vec![support::Sax::Ok]);
    }
}

#[test]
fn non_matching_links_are_left_alone_in_every_context() {
    for link in [
        "http://jira.corp:8085/browse/PLAN-1",
        "http://jira.corp:8090/display/ENG",
        "http://jira.corp.evil.test:8080/x",
        "http://jira.corp/x",
        "ftp://jira.corp:8080/x",
        "xhttp://jira.corp:8080/x",
    ] {
        let input = everywhere(link);
        let (out, report) = fixed(&input, &opts(&[JIRA]));
        assert_eq!(out, input, "{link}");
        assert_eq!(report.links.unwrap().mappings[0].count, 0, "{link}");
    }
}

#[test]
fn path_prefixes_match_only_at_segment_boundaries() {
    let m = "http://jira.corp:8080/jira=https://acme.atlassian.net";
    let (out, _) = fixed(
        &everywhere("http://jira.corp:8080/jira/browse/A-1"),
        &opts(&[m]),
    );
    assert_eq!(out, everywhere("https://acme.atlassian.net/browse/A-1"));
    let input = everywhere("http://jira.corp:8080/jira2/browse/A-1");
    let (out, _) = fixed(&input, &opts(&[m]));
    assert_eq!(out, input);
}

#[test]
fn several_mappings_the_longest_wins_and_other_hosts_are_listed() {
    let maps = [
        JIRA,
        "http://jira.corp:8080/secure=https://secure.example.net",
        "http://wiki.corp:8090=https://acme.atlassian.net/wiki",
    ];
    let input = "<r a=\"http://jira.corp:8080/secure/x http://jira.corp:8080/browse/B-2\">\
                 http://wiki.corp:8090/display/ENG http://bamboo.corp:8085/browse/P-1 https://BAMBOO.corp:8085/a</r>";
    let (out, report) = fixed(input, &opts(&maps));
    assert_eq!(
        out,
        "<r a=\"https://secure.example.net/x https://acme.atlassian.net/browse/B-2\">\
         https://acme.atlassian.net/wiki/display/ENG http://bamboo.corp:8085/browse/P-1 https://BAMBOO.corp:8085/a</r>"
    );
    let links = report.links.unwrap();
    let counts: Vec<u64> = links.mappings.iter().map(|m| m.count).collect();
    assert_eq!(counts, [1, 1, 1]);
    assert_eq!(links.other_hosts.get("bamboo.corp:8085"), Some(&2));
}

#[test]
fn replacements_cannot_break_cdata_or_escaping() {
    for bad in [
        "http://a.corp=https://b.net/]]",
        "http://a.corp=https://b.net/\"x",
        "http://a.corp=https://b.net/<x>",
        "http://a.corp=https://b.net/a&b",
        "http://a.corp=https://b--c.net",
    ] {
        assert!(UrlMapping::parse(bad).is_err(), "{bad}");
    }
    // A link right before a CDATA end stays well-formed.
    let (out, _) = fixed("<r><![CDATA[http://jira.corp:8080]]></r>", &opts(&[JIRA]));
    assert_eq!(out, "<r><![CDATA[https://acme.atlassian.net]]></r>");
}

#[test]
fn cloud_url_maps_the_base_url_the_jira_header_states() {
    let input = "<!--\n    jira.baseurl : http://172.27.59.62:8080\n-->\n<entity-engine-xml>\n\
                 <OSPropertyString id=\"1\" value=\"http://172.27.59.62:8080\"/>\n\
                 <Action id=\"2\" body=\"see http://172.27.59.62:8080/browse/A-1\"/>\n</entity-engine-xml>\n";
    let options = Options::default().cloud_url("https://acme.atlassian.net");
    let (out, report) = fixed(input, &options);
    assert_eq!(
        out,
        input.replace("http://172.27.59.62:8080", "https://acme.atlassian.net")
    );
    assert_eq!(
        report.backup.base_url.unwrap().source,
        "the header comment's jira.baseurl"
    );
}

#[test]
fn cloud_url_on_the_real_confluence_export_needs_and_uses_a_first_pass() {
    let xml = support::zip_entry(&support::corpus("5.9.zip"), "entities.xml");
    let options = Options::default().cloud_url("https://acme.atlassian.net/wiki");
    // One pass cannot know Confluence's base URL before the content starts.
    let err = fix_bytes(&xml, &options).unwrap_err();
    assert!(err.to_string().contains("--map-url"), "{err}");
    let facts = scan_facts(&xml[..], &options).unwrap();
    let base = facts.base_url.clone().unwrap();
    assert_eq!(base.value, "http://localhost:8080");
    assert_eq!(base.source, "the atlassian.confluence.settings baseUrl");
    let mut fixer = backup_fix::Fixer::with_facts(options, facts).unwrap();
    let mut out = Vec::new();
    for chunk in xml.chunks(4096) {
        fixer.write(chunk, &mut out).unwrap();
    }
    let report = fixer.finish(&mut out).unwrap();
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(text.contains("<baseUrl>https://acme.atlassian.net/wiki</baseUrl>"));
    assert!(!text.contains("http://localhost:8080"));
    let count = report.links.unwrap().mappings[0].count;
    assert_eq!(
        count as usize,
        String::from_utf8_lossy(&xml)
            .matches("http://localhost:8080")
            .count()
    );
    if let Some(r) = sax_bytes(&[&out]) {
        assert_eq!(r, vec![support::Sax::Ok]);
    }
}

#[test]
fn cloud_url_fails_clearly_when_the_backup_states_no_base_url() {
    let input = "<entity-engine-xml><Action id=\"1\"/></entity-engine-xml>";
    let options = Options::default().cloud_url("https://acme.atlassian.net");
    let facts = scan_facts(input.as_bytes(), &options).unwrap();
    let err = backup_fix::Fixer::with_facts(options, facts)
        .err()
        .expect("no base URL");
    assert!(err.to_string().contains("--map-url OLD=NEW"), "{err}");
}

#[test]
fn every_attribute_holding_a_link_is_rewritten_among_those_that_do_not() {
    // Values without links before, between and after; two links in one
    // value; a link next to a removed reference; a `://` that is not a link.
    let input = "<entity-engine-xml>\n<Action id=\"1\" a=\"x:/y\" body=\"see http://jira.corp:8080/browse/A-1 and http://jira.corp:8080/browse/A-2\" \
                 c=\"plain\" d='http://jira.corp:8080/x&#1;' e=\"ftp://jira.corp:8080/\" f=\"http://jira.corp:8080\"/>\n</entity-engine-xml>\n";
    let (out, report) = fixed(input, &opts(&[JIRA]));
    let expected = "<entity-engine-xml>\n<Action id=\"1\" a=\"x:/y\" body=\"see https://acme.atlassian.net/browse/A-1 and https://acme.atlassian.net/browse/A-2\" \
                    c=\"plain\" d='https://acme.atlassian.net/x' e=\"ftp://jira.corp:8080/\" f=\"https://acme.atlassian.net\"/>\n</entity-engine-xml>\n";
    assert_eq!(out, expected);
    assert_eq!(report.links.as_ref().unwrap().mappings[0].count, 4);
    if let Some(r) = sax_bytes(&[out.as_bytes()]) {
        assert_eq!(r, vec![support::Sax::Ok]);
    }
}
