//! The one zip layer seen from the three commands: `fix`, `check` and
//! `split` treat the same odd entries the same way (root entries dropped
//! with a note, directory entries kept, CP437 and Unicode-path names decoded
//! alike, unsafe names refused), and `check` reports damaged data as damage.

use crate::unzip_oracle;

use backup_fix::Options;
use backup_fix::archive::{ArchiveError, ArchiveOptions, fix_zip};
use backup_fix::check::{CheckReport, Severity, check_path};
use backup_fix::split::{SplitError, SplitOptions, split};
use backup_fix::synth::{ZipEntrySpec, write_zip};
use std::path::{Path, PathBuf};
use unzip_oracle::assert_unzip_t;

const ENTITIES: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<entity-engine-xml date=\"1\">\n    <Action id=\"1\" body=\"hello world, a body long enough to deflate into more than a few bytes of data\"/>\n</entity-engine-xml>\n";
const AO: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<backup xmlns=\"http://www.atlassian.com/ao\"></backup>\n";

fn zip_at(dir: &Path, name: &str, entries: &[ZipEntrySpec]) -> PathBuf {
    let path = dir.join(name);
    let f = std::fs::File::create(&path).unwrap();
    write_zip(entries, false, std::io::BufWriter::new(f)).unwrap();
    path
}

/// A Jira backup around `extra` entries.
fn backup(dir: &Path, extra: Vec<ZipEntrySpec>) -> PathBuf {
    let mut entries = vec![
        ZipEntrySpec::file("entities.xml", ENTITIES).described(),
        ZipEntrySpec::file("activeobjects.xml", AO).described(),
    ];
    entries.extend(extra);
    zip_at(dir, "backup.zip", &entries)
}

/// A media zip around `extra` entries.
fn media(dir: &Path, extra: Vec<ZipEntrySpec>) -> PathBuf {
    let mut entries = vec![ZipEntrySpec::file(
        "data/attachments/ABC/10000/ABC-1/10100",
        b"an attachment",
    )];
    entries.extend(extra);
    zip_at(dir, "media.zip", &entries)
}

fn fix(input: &Path) -> Result<(PathBuf, backup_fix::archive::ArchiveReport), backup_fix::Error> {
    let out = input.with_file_name("fixed.zip");
    let report = fix_zip(
        input,
        &out,
        &Options::default(),
        &ArchiveOptions::default(),
        &mut |_| {},
    )?;
    Ok((out, report))
}

/// The names as stored in the central directory of a small zip (no
/// zip64, no comment), read straight from its bytes.
fn names(zip: &Path) -> Vec<Vec<u8>> {
    let b = std::fs::read(zip).unwrap();
    let le16 = |at: usize| usize::from(u16::from_le_bytes([b[at], b[at + 1]]));
    let le32 = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
    let eocd = b.len() - 22;
    assert_eq!(&b[eocd..eocd + 4], b"PK\x05\x06");
    let (count, mut at) = (le16(eocd + 10), le32(eocd + 16));
    let mut out = Vec::new();
    for _ in 0..count {
        assert_eq!(&b[at..at + 4], b"PK\x01\x02");
        let (n, x, c) = (le16(at + 28), le16(at + 30), le16(at + 32));
        out.push(b[at + 46..at + 46 + n].to_vec());
        at += 46 + n + x + c;
    }
    out
}

fn codes(r: &CheckReport, severity: Severity) -> Vec<&'static str> {
    r.findings
        .iter()
        .filter(|f| f.severity == severity)
        .map(|f| f.code)
        .collect()
}

fn split_to(input: &Path) -> Result<(PathBuf, backup_fix::split::Manifest), SplitError> {
    let out = input.with_file_name("media-out");
    std::fs::create_dir_all(&out).unwrap();
    let m = split(input, &out, &SplitOptions::default(), &mut |_| {})?;
    Ok((out, m))
}

#[test]
fn root_entries_are_dropped_with_a_note_by_fix_check_and_split() {
    let dir = tempfile::tempdir().unwrap();
    // As Confluence 6.13 writes its site backups: "/" first, directory
    // entries, data descriptors on every entry.
    let zip = backup(
        dir.path(),
        vec![
            ZipEntrySpec::dir("/").described(),
            ZipEntrySpec::dir("./"),
            ZipEntrySpec::dir("data/").described(),
            ZipEntrySpec::dir("data/attachments/").described(),
            ZipEntrySpec::file("data/attachments/ABC/10000/ABC-1/10100", b"file").described(),
        ],
    );
    let (out, report) = fix(&zip).expect("a root entry does not block the repair");
    assert_eq!(report.entries.root_entries, 2);
    assert!(
        report
            .to_string()
            .contains("left out 2 directory entries for the archive's root"),
        "{report}"
    );
    let written = names(&out);
    assert!(
        !written.iter().any(|n| n == b"/" || n == b"./"),
        "{written:?}"
    );
    assert!(
        written.iter().any(|n| n == b"data/attachments/"),
        "directory entries are kept"
    );
    assert_eq!(written.len(), 5);
    assert_unzip_t(&out);

    let r = check_path(&zip).unwrap();
    assert!(codes(&r, Severity::Error).is_empty(), "{r}");
    assert!(codes(&r, Severity::Pass).contains(&"root-entry"), "{r}");
    assert!(codes(&r, Severity::Pass).contains(&"zip-readable"), "{r}");

    let m = media(
        dir.path(),
        vec![ZipEntrySpec::dir("/"), ZipEntrySpec::dir("./")],
    );
    let (_, manifest) = split_to(&m).expect("split takes a zip with a root entry");
    assert_eq!(manifest.entries, 1);
    assert!(
        manifest
            .skipped
            .iter()
            .any(|s| s.path == "/" && s.reason.contains("root")),
        "{:?}",
        manifest.skipped
    );
}

#[test]
fn cp437_and_unicode_path_names_decode_the_same_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    // "März.txt" in CP437 without the UTF-8 flag, and a name whose Unicode
    // path field says what it is.
    let cp437 = ZipEntrySpec {
        name: b"data/attachments/ABC/10000/ABC-1/M\x84rz.txt".to_vec(),
        data: b"cp437".to_vec(),
        deflate: true,
        ..Default::default()
    };
    let unicode = ZipEntrySpec {
        name: b"data/attachments/ABC/10000/ABC-1/euro?.txt".to_vec(),
        data: b"unicode path".to_vec(),
        deflate: true,
        unicode_path: Some("data/attachments/ABC/10000/ABC-1/euro€.txt".into()),
        ..Default::default()
    };
    let zip = backup(dir.path(), vec![cp437.clone(), unicode.clone()]);
    let (out, _) = fix(&zip).unwrap();
    let written = names(&out);
    assert!(
        written.contains(&cp437.name),
        "stored bytes kept: {written:?}"
    );
    assert!(written.contains(&unicode.name));

    // check names a damaged CP437 entry by its decoded name.
    let mut bytes = std::fs::read(&zip).unwrap();
    let at = bytes
        .windows(cp437.name.len())
        .position(|w| w == cp437.name.as_slice())
        .unwrap();
    let data_at = at + cp437.name.len(); // the local header has no extra field
    bytes[data_at + 2] ^= 0x55;
    let damaged = dir.path().join("damaged.zip");
    std::fs::write(&damaged, &bytes).unwrap();
    let r = check_path(&damaged).unwrap();
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "entry-damaged")
        .expect("damage found");
    assert!(f.message.contains("März.txt"), "{}", f.message);

    // split stores both under their decoded names, as UTF-8.
    let m = media(dir.path(), vec![cp437, unicode]);
    let (out, manifest) = split_to(&m).expect("split reads CP437 names");
    assert_eq!(manifest.entries, 3);
    let stored = names(&out.join(&manifest.zips[0].name));
    for want in ["März.txt", "euro€.txt"] {
        let full = format!("data/attachments/ABC/10000/ABC-1/{want}");
        assert!(stored.contains(&full.into_bytes()), "{want}: {stored:?}");
    }
}

#[test]
fn unsafe_names_are_refused_by_fix_check_and_split() {
    for (name, why) in [
        ("../evil.txt", "'..'"),
        ("data/attachments/../../evil", "'..'"),
        ("data\\..\\..\\evil", "'..'"),
        ("/etc/passwd", "absolute"),
        ("C:/evil.txt", "drive letter"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let bad = ZipEntrySpec::file(name, b"x");
        let zip = backup(dir.path(), vec![bad.clone()]);
        match fix(&zip) {
            Err(backup_fix::Error::File { cause, .. }) => match *cause {
                backup_fix::Error::Archive(ArchiveError::UnsafeName { why: w, .. }) => {
                    assert!(w.contains(why), "{name}: {w}")
                }
                other => panic!("{name}: {other}"),
            },
            other => panic!("{name}: {:?}", other.map(|r| r.1)),
        }
        assert!(
            !dir.path().join("fixed.zip").exists(),
            "no output for {name}"
        );
        let r = check_path(&zip).unwrap();
        assert_eq!(codes(&r, Severity::Error), ["archive-shape"], "{name}: {r}");
        assert!(r.findings[0].message.contains("unsafe name"), "{r}");

        let m = media(dir.path(), vec![bad]);
        match split_to(&m) {
            Err(e @ SplitError::UnsupportedEntry { .. }) => {
                assert!(e.to_string().contains(why), "{name}: {e}")
            }
            other => panic!("{name}: {:?}", other.map(|m| m.1.entries)),
        }
    }
}

#[test]
fn check_reports_a_flipped_byte_as_damage_and_never_passes_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let attachment = vec![b'a'; 3000];
    for target in ["entities.xml", "data/attachments/ABC/10000/ABC-1/10100"] {
        let zip = backup(
            dir.path(),
            vec![ZipEntrySpec::file(
                "data/attachments/ABC/10000/ABC-1/10100",
                &attachment,
            )],
        );
        let mut bytes = std::fs::read(&zip).unwrap();
        // The local header of `target` (no extra fields), then its data.
        let at = bytes
            .windows(target.len() + 4)
            .position(|w| &w[4..] == target.as_bytes())
            .unwrap();
        let local = bytes[..at]
            .windows(4)
            .rposition(|w| w == b"PK\x03\x04")
            .unwrap();
        let data = local + 30 + target.len();
        bytes[data + 3] ^= 0x01;
        std::fs::write(&zip, &bytes).unwrap();

        let r = check_path(&zip).unwrap();
        let damage: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.code == "entry-damaged")
            .collect();
        assert_eq!(damage.len(), 1, "{target}: {r}");
        assert_eq!(damage[0].severity, Severity::Error);
        assert!(damage[0].message.contains(target), "{}", damage[0].message);
        assert!(
            damage[0]
                .fix
                .as_deref()
                .unwrap_or("")
                .contains("copy the zip again"),
            "{:?}",
            damage[0].fix
        );
        assert!(
            !codes(&r, Severity::Pass).contains(&"zip-readable"),
            "{target}: {r}"
        );
        assert!(r.blocks_import());

        let err = fix(&zip).expect_err("fix refuses damaged data").to_string();
        assert!(err.contains(target), "{err}");
    }
}

#[test]
fn a_declared_size_near_u64_max_is_an_error_not_a_panic() {
    // Found by fuzzing: split summed twice the declared sizes unchecked.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("media.zip");
    let f = std::fs::File::create(&path).unwrap();
    let entries = [ZipEntrySpec::file(
        "data/attachments/ABC/10000/ABC-1/10100",
        b"data",
    )];
    write_zip(&entries, true, std::io::BufWriter::new(f)).unwrap();
    let mut b = std::fs::read(&path).unwrap();
    let central = b.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    let name_len = usize::from(u16::from_le_bytes([b[central + 28], b[central + 29]]));
    let zip64 = central + 46 + name_len;
    assert_eq!(&b[zip64..zip64 + 2], &[1, 0], "the zip64 field comes first");
    b[zip64 + 4..zip64 + 12].copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(&path, &b).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let e = split(&path, &out, &SplitOptions::default(), &mut |_| {}).expect_err("refused");
    assert!(!e.to_string().is_empty());
    let r = check_path(&path).unwrap();
    assert!(r.blocks_import(), "{r}");
}

#[test]
fn two_records_pointing_at_one_local_header_are_both_checked() {
    // Found by fuzzing: check took any record at entities.xml's offset for
    // entities.xml itself and never read it.
    let dir = tempfile::tempdir().unwrap();
    let zip = backup(
        dir.path(),
        vec![ZipEntrySpec::file(
            "data/attachments/ABC/10000/ABC-1/10100",
            b"file data",
        )],
    );
    let mut b = std::fs::read(&zip).unwrap();
    let name = b"data/attachments/ABC/10000/ABC-1/10100";
    let central = b
        .windows(name.len())
        .enumerate()
        .filter(|(_, w)| *w == name)
        .map(|(i, _)| i - 46)
        .find(|&at| &b[at..at + 4] == b"PK\x01\x02")
        .unwrap();
    b[central + 42..central + 46].copy_from_slice(&0u32.to_le_bytes());
    std::fs::write(&zip, &b).unwrap();
    let r = check_path(&zip).unwrap();
    assert!(
        r.findings
            .iter()
            .any(|f| f.code == "entry-damaged" && f.message.contains("10100")),
        "{r}"
    );
    assert!(!codes(&r, Severity::Pass).contains(&"zip-readable"), "{r}");
    let err = fix(&zip).expect_err("fix refuses it too").to_string();
    assert!(err.contains("10100"), "{err}");
}

#[test]
fn a_unicode_path_that_disagrees_on_being_a_directory_is_ignored() {
    // Found by fuzzing: split took a directory entry for a file because its
    // Unicode path field had no trailing slash, while fix and check went by
    // the stored name.
    let dir = tempfile::tempdir().unwrap();
    let odd = ZipEntrySpec {
        name: b"data/attachments/ABC/".to_vec(),
        unicode_path: Some("data/attachments/ABC/10000/ABC-1/file".into()),
        ..Default::default()
    };
    let m = media(dir.path(), vec![odd]);
    let (out, manifest) = split_to(&m).expect("split takes it as the directory it is");
    let stored = names(&out.join(&manifest.zips[0].name));
    assert!(
        !stored.contains(&b"data/attachments/ABC/10000/ABC-1/file".to_vec()),
        "{stored:?}"
    );
    let zip = backup(
        dir.path(),
        vec![ZipEntrySpec {
            name: b"data/attachments/ABC/".to_vec(),
            unicode_path: Some("data/attachments/ABC/10000/ABC-1/file".into()),
            ..Default::default()
        }],
    );
    let (_, report) = fix(&zip).unwrap();
    assert_eq!(report.entries.directories, 1);
}

#[test]
fn a_directory_entry_that_claims_data_is_checked_by_all_three() {
    // Found by fuzzing: split checked a directory entry's CRC, check and fix
    // did not look.
    let dir = tempfile::tempdir().unwrap();
    let with_dir = |path: &Path| {
        let mut b = std::fs::read(path).unwrap();
        let name = b"data/attachments/ABC/";
        let central = b
            .windows(name.len())
            .enumerate()
            .filter(|(i, w)| *w == name && *i >= 46)
            .map(|(i, _)| i - 46)
            .find(|&at| &b[at..at + 4] == b"PK\x01\x02")
            .unwrap();
        b[central + 16..central + 20].copy_from_slice(&0xDEAD_BEEFu32.to_le_bytes());
        std::fs::write(path, &b).unwrap();
    };
    let zip = backup(dir.path(), vec![ZipEntrySpec::dir("data/attachments/ABC/")]);
    with_dir(&zip);
    let r = check_path(&zip).unwrap();
    assert!(r.findings.iter().any(|f| f.code == "entry-damaged"), "{r}");
    assert!(fix(&zip).is_err());
    let m = media(dir.path(), vec![ZipEntrySpec::dir("data/attachments/ABC/")]);
    with_dir(&m);
    assert!(split_to(&m).is_err());
}
