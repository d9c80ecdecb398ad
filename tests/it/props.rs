//! Property tests of the stream invariants: chunking invariance, idempotence,
//! byte-exactness outside the removed characters, well-formed output.

use crate::support;

use backup_fix::{Error, MAX_NUL_RUN, Options, TzChoice, UrlMapping};
use proptest::prelude::*;
use support::{fix_split, fix_split_with};

/// Every rule on: timestamps, two link mappings, global shares.
fn rules() -> Options {
    Options::default()
        .tz(TzChoice::parse("Europe/Berlin").unwrap())
        .map_url(UrlMapping::parse("http://jira.corp:8080=https://acme.atlassian.net").unwrap())
        .map_url(UrlMapping::parse("http://jira.corp:8080/browse=https://b.example.net").unwrap())
        .restrict_global_shares(true)
}

/// Text content pieces: plain, multi-byte, escaped, brackets and dashes
/// (which the scanner must look past), valid references.
fn text_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z ]{1,12}",
        Just("é😀日本".to_string()),
        Just("&amp;&lt;&gt;&quot;&apos;".to_string()),
        Just("]]]".to_string()),
        Just("] ]".to_string()),
        Just("&#x9;&#233;&#x1F600;".to_string()),
        Just("\n\t\r\n".to_string()),
        Just("http://jira.corp:8080/browse/A-1?x=1&amp;y=2".to_string()),
        Just("2019-03-31 02:30:00.0".to_string()),
        Just("2019-07-01 14:03:25.25".to_string()),
    ]
}

/// A text piece, with `&#1;`-style forbidden references when `bad`.
/// Returns (with references, without).
fn text(bad: bool) -> impl Strategy<Value = (String, String)> {
    prop::collection::vec((text_piece(), prop::bool::weighted(0.2)), 0..4).prop_map(move |v| {
        let mut with = String::new();
        let mut without = String::new();
        for (piece, add_ref) in v {
            with.push_str(&piece);
            without.push_str(&piece);
            if bad && add_ref {
                with.push_str("&#x1c;");
            }
        }
        (with, without)
    })
}

#[derive(Clone, Debug)]
enum Node {
    Element(String, Vec<(String, (String, String))>, Vec<Node>),
    Text((String, String)),
    CData(String),
    Comment(String),
    Pi(String),
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Issue".to_string()),
        Just("Action".to_string()),
        Just("created".to_string()),
        Just("SharePermissions".to_string()),
        Just("body".to_string()),
        Just("ns:elé".to_string()),
        "[a-z][a-z0-9._-]{0,6}",
    ]
}

fn node(bad: bool) -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        text(bad).prop_map(Node::Text),
        "[a-z <>&\\]😀]{0,12}".prop_map(|s| Node::CData(s.replace("]]>", "]] >"))),
        "[a-z <>&😀]{0,12}".prop_map(|s| Node::Comment(s.replace('-', "_"))),
        "[a-z ]{0,8}".prop_map(Node::Pi),
    ];
    leaf.prop_recursive(4, 32, 5, move |inner| {
        (
            name(),
            prop::collection::vec((name(), text(bad)), 0..4),
            prop::collection::vec(inner, 0..5),
        )
            .prop_map(|(n, attrs, kids)| {
                let mut seen = std::collections::HashSet::new();
                let attrs = attrs
                    .into_iter()
                    .filter(|(a, _)| seen.insert(a.clone()))
                    .map(|(a, (w, wo))| (a, (w.replace('<', "&lt;"), wo.replace('<', "&lt;"))))
                    .collect();
                Node::Element(n, attrs, kids)
            })
    })
}

/// Serialises a node; `clean` leaves out the forbidden references.
fn write(node: &Node, clean: bool, out: &mut String) {
    let pick = |(w, wo): &(String, String)| if clean { wo.clone() } else { w.clone() };
    match node {
        Node::Element(n, attrs, kids) => {
            out.push('<');
            out.push_str(n);
            for (a, v) in attrs {
                out.push_str(&format!(" {a}=\"{}\"", pick(v).replace('"', "&quot;")));
            }
            if kids.is_empty() {
                out.push_str("/>");
            } else {
                out.push('>');
                for k in kids {
                    write(k, clean, out);
                }
                out.push_str(&format!("</{n}>"));
            }
        }
        Node::Text(t) => out.push_str(&pick(t).replace('<', "&lt;").replace("]]>", "]]&gt;")),
        Node::CData(t) => out.push_str(&format!("<![CDATA[{t}]]>")),
        Node::Comment(t) => out.push_str(&format!("<!--{t}-->")),
        Node::Pi(t) => out.push_str(&format!("<?pi {t}?>")),
    }
}

/// A whole document: (with forbidden references, without).
fn document(bad: bool) -> impl Strategy<Value = (String, String)> {
    (
        prop::bool::ANY,
        name(),
        prop::collection::vec(node(bad), 0..6),
    )
        .prop_map(|(decl, root, kids)| {
            let root = Node::Element(root, vec![], kids);
            let mut pair = Vec::new();
            for clean in [false, true] {
                let mut s = String::new();
                if decl {
                    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
                }
                s.push_str("<!-- header -->\n");
                write(&root, clean, &mut s);
                s.push('\n');
                pair.push(s);
            }
            (pair[0].clone(), pair[1].clone())
        })
}

/// Raw forbidden characters to sprinkle: each is removed wherever it lands.
fn forbidden_char() -> impl Strategy<Value = &'static str> {
    prop::sample::select(
        &[
            "\u{1}", "\u{8}", "\u{b}", "\u{1c}", "\u{1f}", "\u{fffe}", "\u{ffff}",
        ][..],
    )
}

/// Inserts `chars` at the given (char-boundary) positions of `doc`.
fn sprinkle(doc: &str, inserts: &[(prop::sample::Index, &str)]) -> String {
    let boundaries: Vec<usize> = doc
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(doc.len()))
        .collect();
    let mut at: Vec<(usize, &str)> = inserts
        .iter()
        .map(|(i, c)| (boundaries[i.index(boundaries.len())], *c))
        .collect();
    at.sort_by_key(|(p, _)| *p);
    let mut out = String::new();
    let mut from = 0;
    for (p, c) in at {
        out.push_str(&doc[from..p]);
        out.push_str(c);
        from = p;
    }
    out.push_str(&doc[from..]);
    out
}

fn cuts() -> impl Strategy<Value = Vec<prop::sample::Index>> {
    prop::collection::vec(any::<prop::sample::Index>(), 0..12)
}

fn positions(len: usize, cuts: &[prop::sample::Index]) -> Vec<usize> {
    let mut v: Vec<usize> = cuts.iter().map(|i| i.index(len + 1)).collect();
    v.sort_unstable();
    v
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(400),
        ..ProptestConfig::default()
    })]

    /// Any split of the input gives the same output and report (or error).
    #[test]
    fn chunking_invariance(
        (doc, _) in document(true),
        inserts in prop::collection::vec((any::<prop::sample::Index>(), forbidden_char()), 0..6),
        raw in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        cut in cuts(),
    ) {
        // Forbidden characters, and arbitrary bytes (invalid UTF-8, broken markup).
        let mut bytes = sprinkle(&doc, &inserts).into_bytes();
        for (i, b) in raw {
            let at = i.index(bytes.len() + 1);
            bytes.insert(at, b);
        }
        let whole = fix_split(&bytes, &[]).map_err(|e| e.to_string());
        let split = fix_split(&bytes, &positions(bytes.len(), &cut)).map_err(|e| e.to_string());
        prop_assert_eq!(split, whole);
    }

    /// The same with every rule on (timestamps, links, shares), in a Jira root.
    #[test]
    fn chunking_invariance_with_rules((doc, _) in document(true), cut in cuts()) {
        // Make it a Jira document so that the Jira rules apply.
        let doc = match doc.find("-->\n") {
            Some(at) => format!("{}<entity-engine-xml>{}</entity-engine-xml>\n", &doc[..at + 4], &doc[at + 4..].trim_end()),
            None => doc,
        };
        let bytes = doc.as_bytes();
        let options = rules();
        let whole = fix_split_with(bytes, &[], &options).map_err(|e| e.to_string());
        let split = fix_split_with(bytes, &positions(bytes.len(), &cut), &options).map_err(|e| e.to_string());
        prop_assert_eq!(split, whole);
    }

    /// Removed characters and references are the only difference from the clean
    /// document, each counted once; and fixing again changes nothing.
    #[test]
    fn byte_exact_outside_changes_and_idempotent(
        (doc, clean) in document(true),
        inserts in prop::collection::vec((any::<prop::sample::Index>(), forbidden_char()), 0..8),
        cut in cuts(),
    ) {
        let dirty = sprinkle(&doc, &inserts);
        let bytes = dirty.as_bytes();
        let (out, report) = fix_split(bytes, &positions(bytes.len(), &cut)).expect("well-formed input repairs");
        prop_assert_eq!(String::from_utf8(out.clone()).unwrap(), clean.clone());
        let refs = doc.matches("&#x1c;").count() as u64;
        let removed: u64 = report.removed_chars.values().map(|t| t.count).sum();
        let removed_refs: u64 = report.removed_char_refs.values().map(|t| t.count).sum();
        prop_assert_eq!(removed, inserts.len() as u64);
        prop_assert_eq!(removed_refs, refs);
        let (again, report2) = fix_split(&out, &[]).expect("output repairs again");
        prop_assert_eq!(again, out);
        prop_assert!(report2.is_unchanged());
    }

    /// Clean documents pass through byte for byte, whatever the split.
    #[test]
    fn clean_documents_are_unchanged((_, clean) in document(false), cut in cuts()) {
        let bytes = clean.as_bytes();
        let (out, report) = fix_split(bytes, &positions(bytes.len(), &cut)).expect("clean input");
        prop_assert_eq!(out, bytes.to_vec());
        prop_assert!(report.is_unchanged());
    }

    /// Whatever is accepted comes out as UTF-8 that is accepted again unchanged.
    #[test]
    fn output_of_arbitrary_bytes_is_well_formed(data in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut input = b"<r>".to_vec();
        input.extend(data.iter().map(|&b| if b == b'<' || b == b'&' { b'x' } else { b }));
        input.extend_from_slice(b"</r>");
        if let Ok((out, _)) = fix_split(&input, &[]) {
            prop_assert!(std::str::from_utf8(&out).is_ok());
            let (again, report) = fix_split(&out, &[]).expect("fixed output is accepted");
            prop_assert_eq!(again, out);
            prop_assert!(report.is_unchanged());
        }
    }
}

/// Lengths of NUL runs around the limit, and short ones.
fn nul_run_len() -> impl Strategy<Value = usize> {
    let max = MAX_NUL_RUN as usize;
    prop_oneof![
        1usize..300,
        Just(max - 1),
        Just(max),
        Just(max + 1),
        Just(max + 2),
        (max + 3)..(max + 3000),
    ]
}

proptest! {
    // Each case is over a megabyte: a tenth of the cases of the others.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse::<u32>().ok()).unwrap_or(400) / 10 + 1,
        ..ProptestConfig::default()
    })]

    /// A run of NUL bytes anywhere in a document, split anywhere (the run
    /// spanning chunks or not): up to MAX_NUL_RUN it is removed like any
    /// forbidden character; longer, it is refused at the byte where it
    /// starts; the same for every chunking.
    #[test]
    fn nul_runs_are_judged_the_same_for_every_chunking(
        (doc, _) in document(true),
        at in any::<prop::sample::Index>(),
        len in nul_run_len(),
        cut in cuts(),
    ) {
        let mut at = at.index(doc.len() + 1);
        while !doc.is_char_boundary(at) {
            at -= 1;
        }
        let mut bytes = doc.clone().into_bytes();
        bytes.splice(at..at, std::iter::repeat_n(0u8, len));
        let key = |r: Result<(Vec<u8>, backup_fix::Report), Error>| match r {
            Ok((out, report)) => Ok((out, report.removed_chars.values().map(|t| t.count).sum::<u64>(), format!("{report:?}"))),
            Err(e) => Err((e.to_string(), match e { Error::NulRun { location } => Some(location.offset), _ => None })),
        };
        let whole = key(fix_split(&bytes, &[]));
        let split = key(fix_split(&bytes, &positions(bytes.len(), &cut)));
        prop_assert_eq!(&split, &whole);
        if len as u64 > MAX_NUL_RUN {
            prop_assert_eq!(whole.err().and_then(|(_, at)| at), Some(at as u64));
        } else {
            let (out, removed, _) = whole.expect("a short run is removed");
            let (clean, _) = fix_split(doc.as_bytes(), &[]).expect("the document repairs");
            prop_assert_eq!(out, clean);
            prop_assert!(removed >= len as u64);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(400),
        ..ProptestConfig::default()
    })]

    /// Dense defects: far more removed characters of one kind than the
    /// report keeps locations of, so that the character stage gathers the
    /// text between them into one piece; with arbitrary bytes too (broken
    /// markup, invalid UTF-8). Any split gives the same output, report or
    /// error (error offsets included), and well-formed input comes out as
    /// its clean self.
    #[test]
    fn dense_defects_are_chunking_invariant_and_exact(
        (doc, clean) in document(true),
        inserts in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(&["\u{1c}", "\u{0}", "\u{b}"][..])), 10..80),
        raw in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        cut in cuts(),
    ) {
        let dirty = sprinkle(&doc, &inserts);
        // NUL bytes that make the head look like UTF-16 change the encoding.
        prop_assume!(!dirty.starts_with("\0<\0?") && !dirty.starts_with("<\0?\0"));
        let (out, report) = fix_split(dirty.as_bytes(), &positions(dirty.len(), &cut)).expect("well-formed input repairs");
        prop_assert_eq!(String::from_utf8(out).unwrap(), clean);
        let removed: u64 = report.removed_chars.values().map(|t| t.count).sum();
        prop_assert_eq!(removed, inserts.len() as u64);
        let mut bytes = dirty.into_bytes();
        for (i, b) in raw {
            let at = i.index(bytes.len() + 1);
            bytes.insert(at, b);
        }
        let whole = fix_split(&bytes, &[]).map_err(|e| e.to_string());
        let split = fix_split(&bytes, &positions(bytes.len(), &cut)).map_err(|e| e.to_string());
        prop_assert_eq!(split, whole);
    }
}
