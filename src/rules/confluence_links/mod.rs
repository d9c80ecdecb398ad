//! Confluence links that survive migration. Page ids change in the cloud and
//! short links (`/x/PywS`) stop working, so links in page bodies (storage
//! format) to pages and attachments of this export become internal links:
//!
//! ```text
//! <a href="http://wiki.corp/x/OYAB">notes</a>
//!   -> <ac:link><ri:page ri:space-key="ENG" ri:content-title="Release Notes"/><ac:link-body>notes</ac:link-body></ac:link>
//! ```
//!
//! Links to pages that are not in the export become full URLs on the old
//! server (`FROM/pages/viewpage.action?pageId=N`), which link remapping then
//! rewrites like any other link. The export's [`PageIndex`] comes from a first
//! pass; the rewriting streams over page bodies, holding back only an
//! unfinished tag or link.

mod page_index;
mod resolve;
mod short_code;
mod storage;

pub(crate) use page_index::{IndexBuilder, PageIndex};
pub(crate) use storage::StorageLinks;

#[cfg(test)]
use crate::report::ConfluenceLinkReport;
#[cfg(test)]
use short_code::{decode_short_code, encode_short_code};

/// Runs pieces through a [`StorageLinks`] (for tests).
#[cfg(test)]
fn rewrite_all(links: &mut StorageLinks, index: &PageIndex, pieces: &[&[u8]]) -> String {
    let mut out = Vec::new();
    for p in pieces {
        links.text(p, index, &mut out);
    }
    links.text_end(index, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::objects::Object;
    use crate::rules::urls::UrlMapping;

    #[test]
    fn short_codes_decode_as_the_domain_notes_say() {
        assert_eq!(decode_short_code("2EkGOQ"), Some(956_713_432));
        assert_eq!(decode_short_code("OYAB"), Some(98_361));
        assert_eq!(encode_short_code(98_361), "OYAB");
        assert_eq!(encode_short_code(956_713_432), "2EkGOQ");
        for id in [1u64, 65_536, 98_361, 123_456_789, u64::from(u32::MAX) + 7] {
            assert_eq!(decode_short_code(&encode_short_code(id)), Some(id), "{id}");
        }
        assert_eq!(decode_short_code("not*valid"), None);
        assert_eq!(decode_short_code(""), None);
    }

    fn index() -> PageIndex {
        let mut ix = PageIndex::default();
        let obj = |class: &str, id: &str, props: &[(&str, &str)]| Object {
            class: class.into(),
            id: id.into(),
            props: props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Object::default()
        };
        ix.add(&obj("Space", "1", &[("key", "ENG")]));
        ix.add(&obj(
            "Page",
            "98361",
            &[
                ("space", "1"),
                ("title", "Release Notes"),
                ("contentStatus", "current"),
            ],
        ));
        ix.add(&obj(
            "Page",
            "98362",
            &[("space", "1"), ("title", "A & B <x>")],
        ));
        ix.add(&obj(
            "Page",
            "7",
            &[
                ("space", "1"),
                ("title", "Release Notes"),
                ("originalVersionId", "98361"),
            ],
        ));
        ix.add(&obj(
            "Attachment",
            "5",
            &[("containerContent", "98361"), ("title", "plan v2.pdf")],
        ));
        ix.finish();
        ix
    }

    fn run(body: &str) -> (String, ConfluenceLinkReport) {
        let ix = index();
        let maps = vec![
            UrlMapping::parse("http://wiki.corp:8090=https://acme.atlassian.net/wiki").unwrap(),
        ];
        let mut links = StorageLinks::new(maps.clone(), 5);
        links.start_body(Some(98362));
        let whole = rewrite_all(&mut links, &ix, &[body.as_bytes()]);
        let report = links.report.clone();
        // Any split gives the same result.
        for size in [1, 2, 3, 5, 8, 13] {
            let mut again = StorageLinks::new(maps.clone(), 5);
            again.start_body(Some(98362));
            let pieces: Vec<&[u8]> = body.as_bytes().chunks(size).collect();
            assert_eq!(
                rewrite_all(&mut again, &ix, &pieces),
                whole,
                "pieces of {size}"
            );
        }
        (whole, report)
    }

    #[test]
    fn anchors_to_pages_in_the_export_become_internal_links() {
        let (out, r) =
            run("<p>See <a href=\"http://wiki.corp:8090/x/OYAB\">the <b>notes</b></a>.</p>");
        assert_eq!(
            out,
            "<p>See <ac:link><ri:page ri:space-key=\"ENG\" ri:content-title=\"Release Notes\"/><ac:link-body>the <b>notes</b></ac:link-body></ac:link>.</p>"
        );
        assert_eq!((r.short_links_expanded, r.made_internal), (1, 1));
        let (out, _) = run(
            "<a href=\"http://wiki.corp:8090/pages/viewpage.action?spaceKey=X&amp;pageId=98361#Known-issues\">x</a>",
        );
        assert_eq!(
            out,
            "<ac:link ac:anchor=\"Known-issues\"><ri:page ri:space-key=\"ENG\" ri:content-title=\"Release Notes\"/><ac:link-body>x</ac:link-body></ac:link>"
        );
        let (out, _) = run("<a href=\"https://WIKI.corp:8090/display/ENG/Release+Notes\">r</a>");
        assert!(
            out.starts_with(
                "<ac:link><ri:page ri:space-key=\"ENG\" ri:content-title=\"Release Notes\"/>"
            ),
            "{out}"
        );
        let (out, _) = run("<a href=\"http://wiki.corp:8090/spaces/ENG/pages/98362/A+B\">t</a>");
        assert!(
            out.contains("ri:content-title=\"A &amp; B &lt;x&gt;\""),
            "{out}"
        );
    }

    #[test]
    fn bare_links_become_links_and_unknown_pages_full_urls() {
        let (out, r) = run(
            "<p>go http://wiki.corp:8090/x/OYAB now, or http://wiki.corp:8090/x/2EkGOQ#top</p>",
        );
        assert_eq!(
            out,
            "<p>go <ac:link><ri:page ri:space-key=\"ENG\" ri:content-title=\"Release Notes\"/></ac:link> now, or http://wiki.corp:8090/pages/viewpage.action?pageId=956713432#top</p>"
        );
        assert_eq!(
            (r.made_internal, r.left_as_urls, r.short_links_expanded),
            (1, 1, 2)
        );
        let (out, r) = run("<a href=\"http://wiki.corp:8090/x/2EkGOQ\">gone</a>");
        assert_eq!(
            out,
            "<a href=\"http://wiki.corp:8090/pages/viewpage.action?pageId=956713432\">gone</a>"
        );
        assert_eq!(r.left_as_urls, 1);
    }

    #[test]
    fn attachment_links_name_the_page_only_when_it_is_another() {
        let (out, r) = run(
            "<a href=\"http://wiki.corp:8090/download/attachments/98361/plan%20v2.pdf?version=1\">plan</a>",
        );
        assert_eq!(
            out,
            "<ac:link><ri:attachment ri:filename=\"plan v2.pdf\"><ri:page ri:space-key=\"ENG\" ri:content-title=\"Release Notes\"/></ri:attachment><ac:link-body>plan</ac:link-body></ac:link>"
        );
        assert_eq!(r.attachments_linked, 1);
    }

    #[test]
    fn other_hosts_code_and_escaped_cdata_stay() {
        for body in [
            "<p>http://wiki.corp:8091/x/OYAB and http://other.corp/x/OYAB</p>",
            "<ac:structured-macro ac:name=\"code\"><ac:plain-text-body><![CDATA[curl http://wiki.corp:8090/x/OYAB]] ></ac:plain-text-body></ac:structured-macro>",
            "<p><code>http://wiki.corp:8090/x/OYAB</code></p>",
            "<p>http://wiki.corp:8090/x/not*code here</p>",
        ] {
            assert_eq!(run(body).0, body, "{body}");
        }
        let (out, r) = run("<p>http://wiki.corp:8090/x/!!</p>");
        assert_eq!(out, "<p>http://wiki.corp:8090/x/!!</p>");
        assert_eq!(r.unknown_codes, 1);
    }
}
