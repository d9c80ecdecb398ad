//! Each repair rule of `fix` on small documents, fed whole, split at every
//! byte, and byte by byte (all must agree).

use crate::support;

use backup_fix::{CodePoint, Error, Malformed};
use support::{fix_err, fix_every_split};

fn fixed(input: &str) -> (String, backup_fix::Report) {
    let (out, report) = fix_every_split(input.as_bytes()).expect("repair succeeds");
    (String::from_utf8(out).expect("output is UTF-8"), report)
}

fn count(report: &backup_fix::Report, cp: u32) -> u64 {
    report
        .removed_chars
        .get(&CodePoint(cp))
        .map_or(0, |t| t.count)
}

#[test]
fn clean_documents_pass_through_byte_for_byte() {
    let doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- header - ok -->\n<entity-engine-xml date=\"1\">\n    \
               <Issue id=\"1\" summary=\"caf\u{e9} &amp; &lt;b&gt; &#x9;&#233;&#x1F600; \u{1F600}\" />\n    \
               <Action id='2'>\n        <body><![CDATA[a ]] b ]]]]><![CDATA[> <x> & \u{1c00}]]></body>\n    </Action>\n\
               <?pi data?>\n</entity-engine-xml>\n<!-- 2 entities -->\n";
    let (out, report) = fixed(doc);
    assert_eq!(out, doc);
    assert!(report.is_unchanged());
    assert_eq!(report.input_bytes, doc.len() as u64);
    assert_eq!(report.output_bytes, doc.len() as u64);
}

#[test]
fn forbidden_raw_characters_are_removed_everywhere() {
    let doc = "<?xml version=\"1.0\"?>\u{1}\n<!-- c\u{1b}omment -->\n<r a=\"x\u{1c}y\u{FFFF}\">t\u{8}ext<![CDATA[c\u{1f}d\u{FFFE}]]><?p \u{2}?></r>\n";
    let (out, report) = fixed(doc);
    assert_eq!(
        out,
        "<?xml version=\"1.0\"?>\n<!-- comment -->\n<r a=\"xy\">text<![CDATA[cd]]><?p ?></r>\n"
    );
    for cp in [0x1, 0x1b, 0x1c, 0xFFFF, 0x8, 0x1f, 0xFFFE, 0x2] {
        assert_eq!(count(&report, cp), 1, "U+{cp:04X}");
    }
    assert_eq!(report.changes(), 8);
}

#[test]
fn tab_lf_cr_and_all_allowed_characters_are_kept() {
    let doc = "<r a=\"\t\r\n\">\t\r\n \u{7f}\u{85}\u{9f}\u{d7ff}\u{e000}\u{fdd0}\u{fffd}\u{10000}\u{10ffff}\u{1F600}\u{1F468}\u{200D}\u{1F469}</r>";
    let (out, report) = fixed(doc);
    assert_eq!(out, doc);
    assert!(report.is_unchanged());
}

#[test]
fn forbidden_character_references_are_removed_valid_ones_kept() {
    let doc = "<r a=\"1&#1;2&#x1F;3&#xFFFE;4&#55296;5\">&#x9;&#233;&#x1F600;&#0;&#xffff;&#xD800;&#1114112;x</r>";
    let (out, report) = fixed(doc);
    assert_eq!(out, "<r a=\"12345\">&#x9;&#233;&#x1F600;x</r>");
    let refs: Vec<(u32, u64)> = report
        .removed_char_refs
        .iter()
        .map(|(cp, t)| (cp.0, t.count))
        .collect();
    assert_eq!(
        refs,
        [
            (0, 1),
            (1, 1),
            (0x1f, 1),
            (0xD800, 2),
            (0xFFFE, 1),
            (0xFFFF, 1),
            (0x110000, 1)
        ]
    );
}

#[test]
fn references_inside_cdata_and_comments_are_text_and_stay() {
    let doc = "<r><![CDATA[&#1; &bogus; &]]><!-- &#1; & --></r>";
    let (out, report) = fixed(doc);
    assert_eq!(out, doc);
    assert!(report.is_unchanged());
}

#[test]
fn invalid_utf8_becomes_replacement_characters() {
    let input = b"<r a=\"\xFF\">x\xC3(\xE2\x82 \xF0\x9F\x98 \xED\xA0\x80 \xC0\xAF</r>";
    let (out, report) = fix_every_split(input).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "<r a=\"\u{FFFD}\">x\u{FFFD}(\u{FFFD} \u{FFFD} \u{FFFD} \u{FFFD}\u{FFFD}</r>"
    );
    assert_eq!(report.invalid_utf8.count, 6);
    assert_eq!(report.lone_surrogates.count, 1);
}

#[test]
fn cesu8_encoded_emoji_are_joined_not_destroyed() {
    let input = b"<r>\xED\xA0\xBD\xED\xB8\x80</r>";
    let (out, report) = fix_every_split(input).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), "<r>\u{1F600}</r>");
    assert_eq!(report.cesu8_pairs.count, 1);
}

#[test]
fn latin1_is_transcoded_and_the_declaration_rewritten() {
    let input =
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<r a=\"caf\xe9\">\x80\xff\x1c</r>\n";
    let (out, report) = fix_every_split(input).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r a=\"caf\u{e9}\">\u{80}\u{ff}</r>\n"
    );
    assert_eq!(
        report.encoding.transcoded_from.as_deref(),
        Some("ISO-8859-1")
    );
    assert!(report.declaration_rewritten);
    assert_eq!(count(&report, 0x1c), 1);
}

#[test]
fn windows_1252_and_shift_jis_are_transcoded() {
    let input = b"<?xml version='1.0' encoding='windows-1252'?><r>\x80 \x93q\x94</r>";
    let (out, report) = fix_every_split(input).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "<?xml version='1.0' encoding='UTF-8'?><r>\u{20ac} \u{201c}q\u{201d}</r>"
    );
    assert_eq!(
        report.encoding.transcoded_from.as_deref(),
        Some("windows-1252")
    );
    let sjis = b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><r>\x93\xfa\x96\x7b</r>";
    let (out, _) = fix_every_split(sjis).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><r>日本</r>"
    );
}

fn utf16(text: &str, little: bool, bom: bool) -> Vec<u8> {
    let mut v = Vec::new();
    if bom {
        v.extend_from_slice(if little { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
    }
    for u in text.encode_utf16() {
        v.extend_from_slice(&if little {
            u.to_le_bytes()
        } else {
            u.to_be_bytes()
        });
    }
    v
}

#[test]
fn utf16_with_and_without_bom_is_transcoded() {
    let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<r>\u{1F600} \u{1c}é</r>\n";
    let expected = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r>\u{1F600} é</r>\n";
    for (little, bom) in [(true, true), (false, true), (true, false), (false, false)] {
        let (out, report) = fix_every_split(&utf16(text, little, bom)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            expected,
            "le={little} bom={bom}"
        );
        assert!(report.encoding.transcoded_from.is_some());
        assert_eq!(count(&report, 0x1c), 1);
    }
}

#[test]
fn utf8_bom_is_kept_and_the_declaration_may_follow_it() {
    let doc = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?><r/>";
    let (out, report) = fixed(doc);
    assert_eq!(out, doc);
    assert!(report.is_unchanged());
}

#[test]
fn unknown_encodings_are_refused_with_the_fix() {
    let err = fix_err(b"<?xml version=\"1.0\" encoding=\"x-klingon\"?><r/>");
    assert!(matches!(err, Error::UnsupportedEncoding { ref label, .. } if label == "x-klingon"));
    assert!(err.to_string().contains("iconv"), "{err}");
}

fn malformed(input: &str) -> (Malformed, backup_fix::Location) {
    match fix_err(input.as_bytes()) {
        Error::Malformed { kind, location } => (kind, location),
        other => panic!("expected a malformed-XML error, got {other}"),
    }
}

#[test]
fn truncated_files_are_errors_at_the_end() {
    for (doc, what) in [
        ("<r><a>text", "UnclosedElement"),
        ("<r><a x=\"1", "inside a tag"),
        ("<r><![CDATA[abc", "inside a CDATA section"),
        ("<r><!-- abc", "inside a comment"),
        ("<r>&am", "inside a reference"),
        ("<r><?pi", "inside a processing instruction"),
        ("", "NoRootElement"),
        ("<?xml version=\"1.0\"?>\n", "NoRootElement"),
    ] {
        let (kind, _) = malformed(doc);
        let text = format!("{kind:?} {kind}");
        assert!(text.contains(what), "{doc:?}: {text}");
    }
    let (kind, at) = malformed("<r>\n  <Issue id=\"1\">\n    text");
    assert_eq!(
        kind,
        Malformed::UnclosedElement {
            name: "Issue".into(),
            opened_line: 2
        }
    );
    assert_eq!((at.line, at.column, at.offset), (3, 9, 29));
}

#[test]
fn structural_errors_name_the_place_and_cause() {
    let (kind, at) = malformed("<r>\n<a>\n</b></r>");
    assert_eq!(
        kind,
        Malformed::MismatchedEndTag {
            expected: "a".into(),
            found: "b".into(),
            opened_line: 2
        }
    );
    assert_eq!((at.line, at.column, at.offset), (3, 1, 8));
    let cases: &[(&str, &str)] = &[
        ("<r></r></r>", "UnexpectedEndTag"),
        ("<r></r><s/>", "SecondRoot"),
        ("text<r/>", "TextOutsideRoot"),
        ("<r/>text", "TextOutsideRoot"),
        ("<r>a ]]> b</r>", "CdataEndInText"),
        ("<r><!-- a -- b --></r>", "DoubleHyphenInComment"),
        ("<r>AT&T</r>", "BadReference"),
        ("<r>&nbsp;</r>", "UndeclaredEntity"),
        ("<r a=\"1\" a=\"2\"/>", "DuplicateAttribute"),
        ("<r a=\"<\"/>", "LtInAttributeValue"),
        ("<r a=1/>", "ExpectedQuote"),
        ("<r a/>", "ExpectedEquals"),
        ("<r a=\"1\"b=\"2\"/>", "MissingWhitespace"),
        ("<1r/>", "UnexpectedChar"),
        ("<r><!X></r>", "BadMarkupDeclaration"),
        ("<r><?xml version=\"1.0\"?></r>", "MisplacedXmlDeclaration"),
        (" <?xml version=\"1.0\"?><r/>", "MisplacedXmlDeclaration"),
        ("<?xml encoding=\"UTF-8\"?><r/>", "BadXmlDeclaration"),
        ("<![CDATA[x]]><r/>", "CdataOutsideRoot"),
        ("<r/><!DOCTYPE r>", "MisplacedDoctype"),
    ];
    for (doc, what) in cases {
        let (kind, _) = malformed(doc);
        assert!(format!("{kind:?}").starts_with(what), "{doc:?}: {kind:?}");
    }
}

#[test]
fn doctype_is_passed_through_never_loaded() {
    let doc = "<!DOCTYPE r SYSTEM \"http://example.invalid/never-fetched.dtd\">\n<r>x</r>";
    let (out, _) = fixed(doc);
    assert_eq!(out, doc);
    // With an internal subset, entity names may be declared there: they are kept, not expanded.
    let doc = "<!DOCTYPE r [ <!ENTITY e \"<bad>\"> ]><r>&e;</r>";
    let (out, _) = fixed(doc);
    assert_eq!(out, doc);
}

#[test]
fn a_tag_larger_than_the_limit_is_a_typed_error() {
    let big = format!("<r><a v=\"{}\"/></r>", "x".repeat(5000));
    let options = backup_fix::Options::default().max_tag_size(1000);
    let mut fixer = backup_fix::Fixer::new(options).unwrap();
    let mut out = Vec::new();
    let mut result = Ok(());
    for chunk in big.as_bytes().chunks(300) {
        result = fixer.write(chunk, &mut out);
        if result.is_err() {
            break;
        }
    }
    match result {
        Err(Error::TokenTooLarge {
            limit, location, ..
        }) => {
            assert_eq!(limit, 1000);
            assert_eq!(location.offset, 3);
        }
        other => panic!("expected TokenTooLarge, got {other:?}"),
    }
    // Large text is streamed, not held: the same limit passes a 5000-byte text node.
    let text = format!("<r>{}</r>", "y".repeat(5000));
    let mut fixer =
        backup_fix::Fixer::new(backup_fix::Options::default().max_tag_size(1000)).unwrap();
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(300) {
        fixer.write(chunk, &mut out).unwrap();
    }
    fixer.finish(&mut out).unwrap();
    assert_eq!(out, text.as_bytes());
}

#[test]
fn locations_of_changes_are_line_column_and_byte_offset() {
    let doc = "<r>\n  ab\u{1c}c\n  \u{1c}é\u{1c}</r>";
    let (_, report) = fixed(doc);
    let t = &report.removed_chars[&CodePoint(0x1c)];
    let at: Vec<(u64, u64, u64)> = t
        .first
        .iter()
        .map(|l| (l.line, l.column, l.offset))
        .collect();
    assert_eq!(at, [(2, 5, 8), (3, 3, 13), (3, 4, 16)]);
}

#[test]
fn the_fixer_refuses_to_continue_after_an_error() {
    let mut fixer = backup_fix::Fixer::new(Default::default()).unwrap();
    let mut out = Vec::new();
    assert!(fixer.write(b"<r></x>", &mut out).is_err());
    assert!(matches!(
        fixer.write(b"<r/>", &mut out),
        Err(Error::Finished(_))
    ));
}

#[test]
fn multibyte_characters_right_after_a_carried_unit_stay_whole() {
    // A piece ending just after '<', ']' or '&' makes the scanner carry the
    // unit and complete it from the next piece; that must not split a
    // character (found by the chunking fuzz target).
    let doc = "<r><abcdefgé/>]é]]é&amp;é<!--é--><![CDATA[é]]é]]></r>";
    let (out, report) = fixed(doc);
    assert_eq!(out, doc);
    assert!(report.is_unchanged());
}
