//! Confluence page links become internal links: fixtures built from the real
//! 5.9 export (its pages, spaces and attachments) with hand-made page bodies.

use crate::support;

use backup_fix::{Fixer, Options, fix_bytes, scan_facts};
use support::{Sax, corpus, sax_bytes, zip_entry};

/// Short-link code of a page id (base64 of the little-endian id, trailing
/// `A`s dropped, `/` and `+` written `-` and `_`).
fn short(id: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let bits = u128::from(u64::from_be_bytes(id.to_le_bytes())) << 2;
    let code: String = (0..11)
        .rev()
        .map(|i| ALPHABET[((bits >> (i * 6)) & 63) as usize] as char)
        .collect();
    code.trim_end_matches('A').to_string()
}

const BODY_ID: &str = "851969"; // the body of page 655366 "toto", space "ds"

/// The 5.9 export with `body` as the storage format of page "toto".
fn export_with_body(body: &str) -> Vec<u8> {
    let xml = String::from_utf8(zip_entry(&corpus("5.9.zip"), "entities.xml")).unwrap();
    let marker = format!("<id name=\"id\">{BODY_ID}</id>\n<property name=\"body\"><![CDATA[");
    let start = xml.find(&marker).expect("body of page toto") + marker.len();
    let end = start + xml[start..].find("]]></property>").unwrap();
    format!("{}{}{}", &xml[..start], body, &xml[end..]).into_bytes()
}

/// The storage format of page "toto" in an output.
fn body_of(output: &[u8]) -> String {
    let text = String::from_utf8_lossy(output);
    let marker = format!("<id name=\"id\">{BODY_ID}</id>\n<property name=\"body\"><![CDATA[");
    let start = text.find(&marker).unwrap() + marker.len();
    let end = start + text[start..].find("]]></property>").unwrap();
    text[start..end].to_string()
}

fn cloud() -> Options {
    Options::default().cloud_url("https://acme.atlassian.net/wiki")
}

/// Fixes with a first pass, in pieces of `chunk` bytes.
fn fix_two_pass(input: &[u8], options: &Options, chunk: usize) -> (Vec<u8>, backup_fix::Report) {
    let facts = scan_facts(input, options).unwrap();
    let mut fixer = Fixer::with_facts(options.clone(), facts).unwrap();
    let mut out = Vec::new();
    for piece in input.chunks(chunk) {
        fixer.write(piece, &mut out).unwrap();
    }
    let report = fixer.finish(&mut out).unwrap();
    (out, report)
}

/// Checks that a storage-format body parses (namespace prefixes are plain
/// names here; HTML entities are declared).
fn assert_storage_parses(body: &str) {
    let doc = format!(
        "<!DOCTYPE body [<!ENTITY nbsp \"&#160;\">]><body>{}</body>",
        body.replace("]] >", "]]>")
    );
    fix_bytes(doc.as_bytes(), &Options::default())
        .unwrap_or_else(|e| panic!("storage format: {e}\n{body}"));
    if let Some(r) = sax_bytes(&[doc.as_bytes()]) {
        assert_eq!(r[0], Sax::Ok, "{body}");
    }
}

#[test]
fn page_links_of_every_kind_become_internal_links() {
    let body = format!(
        "<p>Start at <a href=\"http://localhost:8080/x/{step1}\">step <strong>one</strong></a>, \
         then http://localhost:8080/x/{step2}#Editing and \
         <a href=\"http://localhost:8080/pages/viewpage.action?spaceKey=ds&amp;pageId=196613&amp;focusedCommentId=1\">edit</a>, \
         <a href=\"http://localhost:8080/display/ds/Welcome+to+Confluence\">home</a>, \
         the <a href=\"http://localhost:8080/download/attachments/196617/step05-04.png?version=1&amp;api=v2\">image</a>, \
         gone http://localhost:8080/x/{gone}, other space <a href=\"http://localhost:8080/display/OTHER/Some+Page\">o</a>.</p>\
         <ac:structured-macro ac:name=\"code\"><ac:plain-text-body><![CDATA[curl http://localhost:8080/x/{step1}]] ></ac:plain-text-body></ac:structured-macro>",
        step1 = short(196_615),
        step2 = short(196_612),
        gone = short(999_999),
    );
    let input = export_with_body(&body);
    let (out, report) = fix_two_pass(&input, &cloud(), 1 << 20);
    let fixed = body_of(&out);
    let expected = "<p>Start at <ac:link><ri:page ri:space-key=\"ds\" ri:content-title=\"What is Confluence? (step 1 of 9)\"/><ac:link-body>step <strong>one</strong></ac:link-body></ac:link>, \
         then <ac:link ac:anchor=\"Editing\"><ri:page ri:space-key=\"ds\" ri:content-title=\"A quick look at the editor (step 2 of 9)\"/></ac:link> and \
         <ac:link><ri:page ri:space-key=\"ds\" ri:content-title=\"Let&apos;s edit this page (step 3 of 9)\"/><ac:link-body>edit</ac:link-body></ac:link>, \
         <ac:link><ri:page ri:space-key=\"ds\" ri:content-title=\"Welcome to Confluence\"/><ac:link-body>home</ac:link-body></ac:link>, \
         the <ac:link><ri:attachment ri:filename=\"step05-04.png\"><ri:page ri:space-key=\"ds\" ri:content-title=\"Get serious with a table (step 5 of 9)\"/></ri:attachment><ac:link-body>image</ac:link-body></ac:link>, \
         gone https://acme.atlassian.net/wiki/pages/viewpage.action?pageId=999999, other space <a href=\"https://acme.atlassian.net/wiki/display/OTHER/Some+Page\">o</a>.</p>";
    let expected = expected.replace("Let&apos;s", "Let's");
    assert!(
        fixed.starts_with(&expected),
        "got:\n{fixed}\nwanted:\n{expected}"
    );
    assert!(fixed.ends_with(&format!("<![CDATA[curl https://acme.atlassian.net/wiki/x/{}]] ></ac:plain-text-body></ac:structured-macro>", short(196_615))), "{fixed}");
    let c = report.confluence_links.expect("page link report");
    assert_eq!(
        (
            c.made_internal,
            c.attachments_linked,
            c.left_as_urls,
            c.short_links_expanded
        ),
        (4, 1, 1, 3)
    );
    assert_eq!(
        c.examples[0].0,
        Some(655_366),
        "the containing page is named"
    );
    assert_storage_parses(&fixed);
    if let Some(r) = sax_bytes(&[&out]) {
        assert_eq!(r[0], Sax::Ok);
    }
    // The same in any chunking.
    for chunk in [1 << 12, 777, 64] {
        assert_eq!(
            fix_two_pass(&input, &cloud(), chunk).0,
            out,
            "chunk {chunk}"
        );
    }
}

#[test]
fn keep_leaves_page_links_as_remapped_urls() {
    let body = format!(
        "<p><a href=\"http://localhost:8080/x/{}\">one</a></p>",
        short(196_615)
    );
    let input = export_with_body(&body);
    let (out, report) = fix_two_pass(&input, &cloud().confluence_links(false), 1 << 20);
    assert_eq!(
        body_of(&out),
        format!(
            "<p><a href=\"https://acme.atlassian.net/wiki/x/{}\">one</a></p>",
            short(196_615)
        )
    );
    assert!(report.confluence_links.is_none());
}

#[test]
fn the_file_driver_reads_the_export_twice_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("entities.xml");
    std::fs::write(
        &input,
        export_with_body(&format!(
            "<p>http://localhost:8080/x/{}</p>",
            short(196_614)
        )),
    )
    .unwrap();
    let output = dir.path().join("fixed.xml");
    let report = backup_fix::driver::fix_file(&input, &output, &cloud(), &mut |_| {}).unwrap();
    assert_eq!(report.confluence_links.unwrap().made_internal, 1);
    assert!(
        body_of(&std::fs::read(&output).unwrap())
            .contains("ri:content-title=\"Welcome to Confluence\"")
    );
}

#[test]
fn an_eight_style_export_converts_space_page_and_same_page_attachment_links() {
    let xml = std::fs::read_to_string(corpus("attachhist/entities.xml")).unwrap();
    let original =
        "<p>First attachment was updated with a third revision, second attachment was removed</p>";
    let body = "<p><a href=\"https://wiki.example.net/spaces/attachhist/pages/948633601/Page+with+attachment#top\">self</a> \
                and https://wiki.example.net/download/attachments/948633601/attachment2.txt</p>";
    assert!(xml.contains(original));
    let input = xml.replacen(original, body, 1).into_bytes();
    let options = Options::default().map_url(
        backup_fix::UrlMapping::parse("https://wiki.example.net=https://acme.atlassian.net/wiki")
            .unwrap(),
    );
    let (out, report) = fix_two_pass(&input, &options, 4096);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(
        text.contains("<p><ac:link ac:anchor=\"top\"><ri:page ri:space-key=\"attachhist\" ri:content-title=\"Page with attachment\"/><ac:link-body>self</ac:link-body></ac:link> \
                and <ac:link><ri:attachment ri:filename=\"attachment2.txt\"></ri:attachment></ac:link></p>"),
        "{text}"
    );
    let c = report.confluence_links.unwrap();
    assert_eq!((c.made_internal, c.attachments_linked), (1, 1));
    if let Some(r) = sax_bytes(&[&out]) {
        assert_eq!(r[0], Sax::Ok);
    }
}
