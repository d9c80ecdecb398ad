//! Bad archives: each gives a clear, typed error naming the file and the
//! entry, and leaves no output (nor a temporary file) behind.

use crate::archive_support;

use archive_support::*;
use backup_fix::Error;
use backup_fix::archive::{ArchiveError, ArchiveOptions};
use std::path::{Path, PathBuf};

/// Repairs `input` into a fresh output path, expecting failure; checks
/// nothing is left behind and returns the archive error and the message.
fn fails(input: &Path) -> (Error, String) {
    fails_with(input, &ArchiveOptions::default())
}

fn fails_with(input: &Path, options: &ArchiveOptions) -> (Error, String) {
    let dir = input.parent().unwrap();
    let output = dir.join("out-should-not-exist.zip");
    let err = match fix_with(input, &output, options) {
        Ok(report) => panic!("expected an error, got {report}"),
        Err(e) => e,
    };
    assert!(!output.exists(), "no output is left");
    assert!(leftovers(dir).is_empty(), "no temporary file is left");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&input.display().to_string()),
        "the message names the input file: {msg}"
    );
    (err, msg)
}

/// The archive error inside `err`.
fn archive_error(err: &Error) -> &ArchiveError {
    match err {
        Error::File { cause, .. } => archive_error(cause),
        Error::Archive(a) => a,
        other => panic!("expected an archive error, got {other:?}"),
    }
}

fn backup(dir: &Path) -> (PathBuf, Vec<u8>) {
    let (path, _) = generate(dir, "backup.zip", &small_synth(false));
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

const STORED: &str = "data/attachments/OPS/10000/OPS-1/10001";

#[test]
fn not_a_zip() {
    let dir = tempfile::tempdir().unwrap();
    let xml = write(dir.path(), "entities.zip", b"<?xml version=\"1.0\"?><a/>");
    let (err, msg) = fails(&xml);
    assert!(matches!(archive_error(&err), ArchiveError::NotAZip { .. }));
    assert!(
        msg.contains("not a zip archive (it looks like an XML file"),
        "{msg}"
    );
    let noise = write(dir.path(), "noise.zip", &[0x13, 0x37, 0, 1, 2, 3]);
    let (_, msg) = fails(&noise);
    assert!(msg.contains("starts with bytes 13 37 00 01"), "{msg}");
    let empty = write(dir.path(), "empty.zip", b"");
    let (_, msg) = fails(&empty);
    assert!(msg.contains("the file is empty"), "{msg}");
}

#[test]
fn truncated_zip() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bytes) = backup(dir.path());
    for keep in [bytes.len() / 2, bytes.len() - 10] {
        let cut = write(dir.path(), "cut.zip", &bytes[..keep]);
        let (err, msg) = fails(&cut);
        assert!(
            matches!(archive_error(&err), ArchiveError::Damaged { .. }),
            "{msg}"
        );
        assert!(msg.contains("truncated or damaged"), "{msg}");
        assert!(msg.contains("copy or download it again"), "{msg}");
    }
}

#[test]
fn crc_mismatch_in_a_copied_entry() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut bytes) = backup(dir.path());
    let (local, _) = records(&bytes, STORED);
    let data = local + 30 + STORED.len() + usize::from(bytes[local + 28]);
    bytes[data + 100] ^= 0xFF;
    let bad = write(dir.path(), "crc.zip", &bytes);
    let (err, msg) = fails(&bad);
    assert!(matches!(
        archive_error(&err),
        ArchiveError::CorruptEntry { entry, .. } if entry == STORED
    ));
    assert!(msg.contains("CRC-32 mismatch"), "{msg}");
    // Without the copy check the damaged entry is copied as it is.
    let out = dir.path().join("unchecked.zip");
    fix_with(&bad, &out, &ArchiveOptions::default().check_copies(false)).unwrap();
}

#[test]
fn damage_in_entities_xml_is_reported_as_damage_not_as_bad_xml() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut bytes) = backup(dir.path());
    let (local, _) = records(&bytes, "entities.xml");
    let data = local + 30 + "entities.xml".len() + usize::from(bytes[local + 28]);
    for b in &mut bytes[data + 5000..data + 5040] {
        *b = !*b;
    }
    let bad = write(dir.path(), "crc.zip", &bytes);
    let (err, msg) = fails(&bad);
    assert!(
        matches!(archive_error(&err), ArchiveError::CorruptEntry { entry, .. } if entry == "entities.xml"),
        "{msg}"
    );
}

#[test]
fn bad_local_header_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bytes) = backup(dir.path());
    let (local, central) = records(&bytes, STORED);
    assert_eq!(get_u32(&bytes, central + 42) as usize, local);
    let mut shifted = bytes.clone();
    put_u32(&mut shifted, central + 42, local as u32 + 7);
    let bad = write(dir.path(), "offset.zip", &shifted);
    let (err, msg) = fails(&bad);
    assert!(matches!(
        archive_error(&err),
        ArchiveError::CorruptEntry { .. }
    ));
    assert!(
        msg.contains(&format!("no local header at byte {}", local + 7)),
        "{msg}"
    );
    let mut past = bytes.clone();
    put_u32(&mut past, central + 42, 0x7FFF_FFFF);
    let bad = write(dir.path(), "offset.zip", &past);
    let (_, msg) = fails(&bad);
    assert!(msg.contains("past the end"), "{msg}");
}

#[test]
fn no_entities_xml() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("media.zip");
    zip_of(&p, &[("data/attachments/A/1", b"x", true)]);
    let (err, msg) = fails(&p);
    assert!(matches!(
        archive_error(&err),
        ArchiveError::NoEntities { entries: 1 }
    ));
    assert!(msg.contains("no entities.xml"), "{msg}");
}

#[test]
fn two_candidate_entities_xml() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("two.zip");
    zip_of(
        &p,
        &[
            ("monday/entities.xml", ENTITIES, false),
            ("tuesday/entities.xml", ENTITIES, false),
        ],
    );
    let (err, msg) = fails(&p);
    assert!(matches!(
        archive_error(&err),
        ArchiveError::TwoEntities { .. }
    ));
    assert!(
        msg.contains("monday/entities.xml and tuesday/entities.xml"),
        "{msg}"
    );
}

#[test]
fn encrypted_entries() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut bytes) = backup(dir.path());
    let (local, central) = records(&bytes, STORED);
    bytes[local + 6] |= 1;
    bytes[central + 8] |= 1;
    let bad = write(dir.path(), "secret.zip", &bytes);
    let (err, msg) = fails(&bad);
    assert!(matches!(
        archive_error(&err),
        ArchiveError::Encrypted { entry } if entry == STORED
    ));
    assert!(msg.contains("without a password"), "{msg}");
}

#[test]
fn unsafe_entry_names() {
    let dir = tempfile::tempdir().unwrap();
    for (evil, why) in [
        ("../evil.txt", "'..'"),
        ("/z/evil.txt", "absolute"),
        ("C:/evil.txt", "drive letter"),
    ] {
        let p = dir.path().join("evil.zip");
        let placeholder = "z".repeat(evil.len());
        zip_of(
            &p,
            &[
                ("entities.xml", ENTITIES, false),
                (&placeholder, b"boo", true),
            ],
        );
        let mut bytes = std::fs::read(&p).unwrap();
        for at in find_all(&bytes, placeholder.as_bytes()) {
            bytes[at..at + evil.len()].copy_from_slice(evil.as_bytes());
        }
        std::fs::write(&p, &bytes).unwrap();
        let (err, msg) = fails(&p);
        assert!(
            matches!(archive_error(&err), ArchiveError::UnsafeName { entry, .. } if entry == evil),
            "{msg}"
        );
        assert!(msg.contains(why), "{msg}");
    }
}

/// Sets the declared uncompressed size of `name` to `size` in both headers.
fn declare_size(bytes: &mut [u8], name: &str, size: u32) {
    let (local, central) = records(bytes, name);
    put_u32(bytes, local + 22, size);
    put_u32(bytes, central + 24, size);
}

#[test]
fn zip_bombs_stop_at_the_declared_size() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bomb.zip");
    let zeros = vec![0u8; 4 << 20];
    let mut big_xml = b"<entity-engine-xml>".to_vec();
    big_xml.extend(std::iter::repeat_n(b' ', 4 << 20));
    big_xml.extend_from_slice(b"</entity-engine-xml>");
    zip_of(
        &p,
        &[
            ("entities.xml", ENTITIES, false),
            ("activeobjects.xml", ACTIVEOBJECTS, false),
            ("data/attachments/A/1", &zeros, false),
        ],
    );
    let mut bytes = std::fs::read(&p).unwrap();
    declare_size(&mut bytes, "data/attachments/A/1", 1000);
    let bomb = write(dir.path(), "bomb.zip", &bytes);
    let (err, msg) = fails(&bomb);
    assert!(matches!(
        archive_error(&err),
        ArchiveError::SizeExceeded { entry, declared: 1000 } if entry == "data/attachments/A/1"
    ));
    assert!(msg.contains("zip bomb"), "{msg}");

    // The same in the XML entry, which is always inflated.
    zip_of(&p, &[("entities.xml", &big_xml, false)]);
    let mut bytes = std::fs::read(&p).unwrap();
    declare_size(&mut bytes, "entities.xml", 100);
    let bomb = write(dir.path(), "bomb.zip", &bytes);
    let (err, _) = fails(&bomb);
    assert!(matches!(
        archive_error(&err),
        ArchiveError::SizeExceeded { declared: 100, .. }
    ));
}

#[test]
fn xml_entries_in_unknown_compression_methods() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bz.zip");
    zip_of(&p, &[("entities.xml", ENTITIES, false)]);
    let mut bytes = std::fs::read(&p).unwrap();
    let (local, central) = records(&bytes, "entities.xml");
    bytes[local + 8] = 12;
    bytes[central + 10] = 12;
    let bad = write(dir.path(), "bz.zip", &bytes);
    let (err, msg) = fails(&bad);
    assert!(matches!(
        archive_error(&err),
        ArchiveError::UnsupportedMethod { method: 12, .. }
    ));
    assert!(msg.contains("re-create the zip with deflate"), "{msg}");
}

#[test]
fn duplicate_names() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dup.zip");
    zip_of(
        &p,
        &[
            ("entities.xml", ENTITIES, false),
            ("attachments/a1", b"one", true),
            ("attachments/a2", b"two", true),
        ],
    );
    let mut bytes = std::fs::read(&p).unwrap();
    for at in find_all(&bytes, b"attachments/a2") {
        bytes[at + 13] = b'1';
    }
    let bad = write(dir.path(), "dup.zip", &bytes);
    let (err, msg) = fails(&bad);
    assert!(matches!(
        archive_error(&err),
        ArchiveError::DuplicateName { name, after_move: false } if name == "attachments/a1"
    ));
    assert!(
        msg.contains("two entries are named attachments/a1"),
        "{msg}"
    );
}

#[test]
fn malformed_xml_in_an_entry_names_the_entry_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.zip");
    zip_of(
        &p,
        &[
            ("entities.xml", ENTITIES, false),
            (
                "activeobjects.xml",
                b"<backup>\n<table>\n</backup>\n",
                false,
            ),
        ],
    );
    let (err, msg) = fails(&p);
    assert!(matches!(err, Error::File { .. }));
    assert!(err.location().is_some(), "the error keeps its location");
    assert!(
        msg.contains("bad.zip: entry activeobjects.xml: line 3"),
        "{msg}"
    );
}

#[test]
fn standard_streams_and_the_input_as_output_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = backup(dir.path());
    let err = fix(Path::new("-"), &dir.path().join("o.zip")).unwrap_err();
    assert!(matches!(
        archive_error(&err),
        ArchiveError::InputNotSeekable
    ));
    let err = fix(&input, Path::new("-")).unwrap_err();
    assert!(matches!(archive_error(&err), ArchiveError::OutputNotFile));
    let err = fix(&input, &input).unwrap_err();
    assert!(matches!(err, Error::OutputIsInput { .. }), "{err}");
    assert!(input.exists());
}
