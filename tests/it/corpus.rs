//! The real Confluence exports in ../shared/corpus: the two broken files
//! come out well-formed and otherwise byte-identical; the well-formed ones
//! come out unchanged; the JDK's SAX parser accepts every output.

use crate::support;

use backup_fix::CodePoint;
use support::{corpus, fix_split, zip_entry};

/// Every XML document of the corpus, by name.
fn documents() -> Vec<(String, Vec<u8>)> {
    let mut docs = Vec::new();
    for dir in [
        "asciichar28",
        "cdatazerowidthspace",
        "attachhist",
        "attachmenthistory",
    ] {
        let path = corpus(&format!("{dir}/entities.xml"));
        docs.push((
            format!("{dir}/entities.xml"),
            std::fs::read(&path).expect("corpus file"),
        ));
    }
    for zip in ["5.9.zip", "3.4.7.zip", "4.3.2.xml.zip"] {
        docs.push((
            format!("{zip}:entities.xml"),
            zip_entry(&corpus(zip), "entities.xml"),
        ));
    }
    docs.push((
        "4.3.2.xml.zip:pdata".into(),
        zip_entry(
            &corpus("4.3.2.xml.zip"),
            "plugin-data/com.atlassian.activeobjects.confluence.spi/activeObjectsBackupRestoreProvider.pdata",
        ),
    ));
    docs
}

#[test]
fn broken_files_become_well_formed_and_nothing_else_changes() {
    for (name, expected) in [
        (
            "asciichar28/entities.xml",
            &[(0x08u32, 2u64), (0x1c, 6)][..],
        ),
        (
            "cdatazerowidthspace/entities.xml",
            &[(0x02, 1), (0x08, 2)][..],
        ),
    ] {
        let input = std::fs::read(corpus(name)).unwrap();
        let (out, report) = fix_split(&input, &[]).expect("repairs");
        // Output = input minus exactly the removed control characters.
        let removed: Vec<u8> = expected.iter().map(|(cp, _)| *cp as u8).collect();
        let stripped: Vec<u8> = input
            .iter()
            .copied()
            .filter(|b| !removed.contains(b))
            .collect();
        assert_eq!(out, stripped, "{name}");
        let counts: Vec<(u32, u64)> = report
            .removed_chars
            .iter()
            .map(|(CodePoint(c), t)| (*c, t.count))
            .collect();
        assert_eq!(counts, expected, "{name}");
        assert_eq!(
            report.changes(),
            expected.iter().map(|(_, n)| n).sum::<u64>()
        );
    }
}

#[test]
fn well_formed_exports_pass_unchanged_in_any_chunking() {
    for (name, input) in documents() {
        if name.starts_with("asciichar28") || name.starts_with("cdatazerowidthspace") {
            continue;
        }
        let cuts: Vec<usize> = (997..input.len()).step_by(997).collect();
        let (out, report) = fix_split(&input, &cuts).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(out == input, "{name} changed");
        assert!(report.is_unchanged(), "{name}: {report}");
    }
}

#[test]
fn the_jdk_accepts_every_output() {
    let outputs: Vec<Vec<u8>> = documents()
        .into_iter()
        .map(|(name, input)| {
            fix_split(&input, &[])
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .0
        })
        .collect();
    let refs: Vec<&[u8]> = outputs.iter().map(Vec::as_slice).collect();
    if let Some(results) = support::sax_bytes(&refs) {
        for (result, (name, _)) in results.iter().zip(documents()) {
            assert_eq!(result, &support::Sax::Ok, "{name}");
        }
    }
}
